"""yt-dlp's YouTube `live_chat.json` (`--write-subs --sub-langs live_chat`): JSON Lines, one action wrapper a line.

Replay (VOD) lines: `{"replayChatItemAction": {"actions": [...], "videoOffsetTimeMsec": "12345"}}` — the offset is a
string and is the event time. Live captures (`isLive: true`): yt-dlp writes `videoOffsetTimeMsec` at the top level,
counted from when the download started, so it is ignored; the time is the item's `timestampUsec` (wall clock) minus
the stream start (config, else the earliest item). Bare action lines (no wrapper) are accepted too.
"""

from __future__ import annotations

from multimodal_pipeline.chat._core import BOM, Sink, Source, json_error, loads, loads_fast
from multimodal_pipeline.chat._youtube import ACTION_KEYS, YouTubeActions, _int, runs_of

FORMAT = "ytdlp_live_chat"


def sniff(value: object) -> bool:
    """True for one decoded line of this format."""
    return isinstance(value, dict) and any(k in ACTION_KEYS for k in value)


def parse(src: Source, sink: Sink) -> None:
    yt = YouTubeActions(sink)
    name = src.name
    repaired = 0
    live_lines = 0
    rows_append = sink.rows.append
    _loads = loads_fast
    with_lines = src.lines() if src.is_utf16() else None
    f = None if with_lines is not None else open(src.path, "rb")  # noqa: SIM115
    try:
        numbered = with_lines if with_lines is not None else enumerate(f, 1)  # type: ignore[arg-type]
        for n, line in numbered:
            try:
                obj = _loads(line)
            except ValueError:
                if not line.strip():
                    continue
                if n == 1 and line.startswith(BOM):
                    line = line[3:]
                try:
                    obj, fixed = loads(line)
                    repaired += fixed
                except ValueError as exc:
                    sink.items += 1
                    sink.reject(n, json_error(exc), line.rstrip(b"\r\n"))
                    continue
            sink.items += 1
            if type(obj) is not dict:
                sink.reject(n, f"not a JSON object ({type(obj).__name__})", line.rstrip(b"\r\n"))
                continue
            wrapper = obj.get("replayChatItemAction")
            if wrapper is not None and type(wrapper) is dict:
                if obj.get("isLive"):
                    live_lines += 1
                    offset = None
                else:
                    raw_off = wrapper.get("videoOffsetTimeMsec", obj.get("videoOffsetTimeMsec"))
                    try:
                        offset = int(raw_off)
                    except (TypeError, ValueError):
                        offset = _int(raw_off)
                    if offset is None:
                        sink.reject(n, "replay action without a numeric videoOffsetTimeMsec", line.rstrip(b"\r\n"))
                        continue
                    # fast path: one plain text message (most lines of a replay)
                    acts = wrapper.get("actions")
                    if acts and len(acts) == 1:
                        add = acts[0].get("addChatItemAction")
                        item = add.get("item") if add is not None else None
                        r = item.get("liveChatTextMessageRenderer") if item is not None else None
                        if r is not None and len(item) == 1:
                            msg = r.get("message")
                            runs = msg.get("runs") if msg else None
                            if runs is not None and len(runs) == 1 and "text" in runs[0]:
                                text, frags = runs[0]["text"], None
                            else:
                                text, frags = runs_of(msg)
                            nid = r.get("id")
                            aid = r.get("authorExternalChannelId")
                            an = r.get("authorName")
                            yt.last = (offset, None)
                            rows_append((offset, None, an.get("simpleText") if an else None, aid, text, "message",
                                         frags, None, n, f"{nid}|{r.get('timestampUsec')}|{offset}|{aid}|None|{text}",
                                         nid, False))
                            continue
                for act in wrapper.get("actions") or ():
                    yt.action(act, n, offset)
            elif not yt.action(obj, n, None):
                sink.reject(n, "no YouTube chat action in this line", line.rstrip(b"\r\n"))
    finally:
        if f is not None:
            f.close()
    sink.counters["utf8_repaired_items"] += repaired
    sink.notes["variant"] = "live" if live_lines else "replay"
