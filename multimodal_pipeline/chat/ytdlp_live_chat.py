"""yt-dlp's YouTube `live_chat.json` (`--write-subs --sub-langs live_chat`): JSON Lines, one action wrapper a line.

Replay (VOD) lines: `{"replayChatItemAction": {"actions": [...], "videoOffsetTimeMsec": "12345"}}` — the offset is a
string and is the event time. Live captures (`isLive: true`): yt-dlp writes `videoOffsetTimeMsec` at the top level,
counted from when the download started, so it is ignored; the time is the item's `timestampUsec` (wall clock) minus
the stream start (config, else the earliest item). Bare action lines (no wrapper) are accepted too.
"""

from __future__ import annotations

import msgspec
import polars as pl

from multimodal_pipeline.chat._core import BOM, Sink, Source, json_error, loads, loads_fast
from multimodal_pipeline.chat._youtube import ACTION_KEYS, YouTubeActions, _int

FORMAT = "ytdlp_live_chat"


# The typed shape of the common line, a replay wrapper around one plain text message. msgspec decodes only these
# fields (skipping the author photos, menus and accessibility labels that make up most of each line) into structs;
# any other shape fails to decode and the line goes the general way below. `forbid_unknown_fields` is what keeps
# e.g. a paid message, an emoji run or a second renderer off this path; several text runs are one text.
class _Run(msgspec.Struct, forbid_unknown_fields=True):
    text: str


class _Message(msgspec.Struct):
    runs: list[_Run]


class _Name(msgspec.Struct):
    simpleText: str


class _Text(msgspec.Struct):
    message: _Message
    authorName: _Name | None = None
    authorExternalChannelId: str | None = None
    id: str | None = None
    timestampUsec: str | None = None


class _Item(msgspec.Struct, forbid_unknown_fields=True):
    liveChatTextMessageRenderer: _Text


class _Add(msgspec.Struct, forbid_unknown_fields=True):
    item: _Item
    clientId: str | None = None


class _Action(msgspec.Struct, forbid_unknown_fields=True):
    addChatItemAction: _Add
    clickTrackingParams: str | None = None


class _Replay(msgspec.Struct):
    actions: list[_Action]
    videoOffsetTimeMsec: str


class _Line(msgspec.Struct):
    replayChatItemAction: _Replay
    isLive: bool | None = None


_DECODE_PLAIN = msgspec.json.Decoder(_Line).decode
_NOT_PLAIN = (msgspec.DecodeError, msgspec.ValidationError)


def sniff(value: object) -> bool:
    """True for one decoded line of this format."""
    return isinstance(value, dict) and any(k in ACTION_KEYS for k in value)


def parse(src: Source, sink: Sink) -> None:
    yt = YouTubeActions(sink)
    repaired = 0
    live_lines = 0
    _loads = loads_fast
    decode_plain = _DECODE_PLAIN
    # plain text messages, as columns (the event key is put together in Polars from them)
    p_line: list[int] = []
    p_off: list[int] = []
    p_author: list = []
    p_aid: list = []
    p_text: list[str] = []
    p_id: list = []
    p_usec: list = []
    last_off = None  # the time of the latest plain line, handed to the general path's "last time seen"
    with_lines = src.lines() if src.is_utf16() else None
    f = None if with_lines is not None else open(src.path, "rb")  # noqa: SIM115
    try:
        numbered = with_lines if with_lines is not None else enumerate(f, 1)  # type: ignore[arg-type]
        for n, line in numbered:
            try:
                plain = decode_plain(line)
                wrapper = plain.replayChatItemAction
                if plain.isLive or len(wrapper.actions) != 1:
                    raise ValueError
                offset = int(wrapper.videoOffsetTimeMsec)
            except (*_NOT_PLAIN, ValueError):
                pass
            else:
                r = wrapper.actions[0].addChatItemAction.item.liveChatTextMessageRenderer
                sink.items += 1
                p_line.append(n)
                p_off.append(offset)
                p_author.append(r.authorName.simpleText if r.authorName is not None else None)
                p_aid.append(r.authorExternalChannelId)
                runs = r.message.runs  # text runs only: merged, as `runs_of` merges adjacent text runs
                p_text.append(runs[0].text if len(runs) == 1 else "".join(run.text for run in runs))
                p_id.append(r.id)
                p_usec.append(r.timestampUsec)
                last_off = offset
                continue
            if last_off is not None:
                yt.last = (last_off, None)
                last_off = None
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
                for act in wrapper.get("actions") or ():
                    yt.action(act, n, offset)
            elif not yt.action(obj, n, None):
                sink.reject(n, "no YouTube chat action in this line", line.rstrip(b"\r\n"))
    finally:
        if f is not None:
            f.close()
    if p_line:
        sink.batch = _plain_columns(p_line, p_off, p_author, p_aid, p_text, p_id, p_usec)
        sink.notes["fast_path_events"] = len(p_line)
    sink.counters["utf8_repaired_items"] += repaired
    sink.notes["variant"] = "live" if live_lines else "replay"


def _plain_columns(lines: list, offsets: list, authors: list, aids: list, texts: list, ids: list,
                   usecs: list) -> pl.DataFrame:
    """The plain messages as the sink's columns; the key is the one the general path writes
    (`id|timestampUsec|offset|channel id|None|text`, Python's "None" for a missing part)."""
    cols = pl.DataFrame({"ref": pl.Series(lines, dtype=pl.Int64), "ts": pl.Series(offsets, dtype=pl.Int64),
                         "author": pl.Series(authors, dtype=pl.String), "author_id": pl.Series(aids, dtype=pl.String),
                         "text": pl.Series(texts, dtype=pl.String), "native": pl.Series(ids, dtype=pl.String),
                         "_usec": pl.Series(usecs, dtype=pl.String)})
    none = pl.lit("None")
    return cols.select(
        "ts", pl.lit(None, dtype=pl.Int64).alias("epoch"), "author", "author_id", "text",
        pl.lit("message").alias("kind"), pl.lit(None, dtype=pl.String).alias("amount"),
        pl.concat_str([pl.col("native").fill_null(none), pl.col("_usec").fill_null(none),
                       pl.col("ts").cast(pl.String), pl.col("author_id").fill_null(none), none, pl.col("text")],
                      separator="|").alias("key"),
        "native", pl.lit(False).alias("echo"), "ref")
