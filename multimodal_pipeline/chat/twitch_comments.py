"""Twitch VOD comments in the v5 `comments[]` schema (Twitch's old API; TwitchDownloader's JSON uses it too).

`{"comments": [...]}` with or without TwitchDownloader's header (`FileInfo`, `streamer`, `video`, `embeddedData`);
JSON Lines of comment objects are accepted too. Per comment: `_id`, `content_offset_seconds` (int or float seconds
from the start of the VOD: the event time), `commenter{display_name, _id, name}`, `message{body, fragments[{text,
emoticon{emoticon_id}}], emoticons[{_id, begin, end}], bits_spent, user_notice_params{msg-id}}`.
`msg-id` sub/resub/... → membership, subgift/... → gift, raid/announcement/... → notice; bits → paid ("N bits").
"""

from __future__ import annotations

from typing import Any

from multimodal_pipeline.chat._core import Frag, Sink, Source, records

FORMAT = "twitch_comments"

NOTICE_KIND = {
    "sub": "membership", "resub": "membership", "extendsub": "membership", "primepaidupgrade": "membership",
    "giftpaidupgrade": "membership", "anongiftpaidupgrade": "membership",
    "subgift": "gift", "submysterygift": "gift", "anonsubgift": "gift", "anonsubmysterygift": "gift",
    "communitypayforward": "gift", "standardpayforward": "gift",
    "raid": "notice", "unraid": "notice", "ritual": "notice", "bitsbadgetier": "notice", "announcement": "notice",
    "viewermilestone": "notice", "rewardgift": "notice", "charitydonation": "paid",
}


def sniff(value: object) -> bool:
    if isinstance(value, dict):
        if isinstance(value.get("comments"), list):
            return True
        return "content_offset_seconds" in value and "message" in value
    return False


def _fragments(msg: dict, body: str, sink: Sink) -> list[Frag] | None:
    frs = msg.get("fragments")
    if isinstance(frs, list) and frs:
        if len(frs) == 1 and not frs[0].get("emoticon"):
            return None
        out: list[Frag] = []
        for f in frs:
            if not isinstance(f, dict):
                continue
            emo = f.get("emoticon")
            text = f.get("text") or ""
            if emo:
                eid = emo.get("emoticon_id") if isinstance(emo, dict) else None
                out.append(("emote", text, str(eid) if eid is not None else None))
            elif text:
                out.append(("text", text, None))
        return out
    emos = msg.get("emoticons")
    if not isinstance(emos, list) or not emos:
        return None
    out = []
    pos = 0
    try:
        spans = sorted((int(e["begin"]), int(e["end"]), str(e.get("_id"))) for e in emos)
    except (KeyError, TypeError, ValueError):
        sink.counters["bad_emote_positions"] += 1
        return None
    for a, b, eid in spans:
        if a < pos or b >= len(body) or b < a:
            sink.counters["bad_emote_positions"] += 1
            return None
        if a > pos:
            out.append(("text", body[pos:a], None))
        out.append(("emote", body[a:b + 1], eid))
        pos = b + 1
    if pos < len(body):
        out.append(("text", body[pos:], None))
    return out


def parse(src: Source, sink: Sink) -> None:
    header_seen = False
    for ref, c in records(src, sink, list_key="comments"):
        if not header_seen:
            header_seen = True
            if src.has_parsed and isinstance(src.parsed, dict):
                doc = src.parsed
                sink.notes["twitchdownloader_header"] = "FileInfo" in doc or "embeddedData" in doc
                video: Any = doc.get("video")
                if isinstance(video, dict):
                    sink.notes["twitch_video_id"] = str(video.get("id")) if video.get("id") is not None else None
                    if video.get("start") not in (None, 0):
                        sink.notes["twitch_video_start_s"] = video.get("start")
        if not isinstance(c, dict):
            sink.reject(ref, f"not a JSON object ({type(c).__name__})", c)
            continue
        off = c.get("content_offset_seconds")
        try:
            ts = round(float(off) * 1000)
        except (TypeError, ValueError):
            sink.reject(ref, f"content_offset_seconds is not a number ({off!r})", c)
            continue
        msg = c.get("message")
        if not isinstance(msg, dict):
            sink.reject(ref, "no message object", c)
            continue
        body = msg.get("body")
        frags = _fragments(msg, body or "", sink)
        if not isinstance(body, str):
            body = "".join(f[1] for f in frags) if frags else ""
        elif frags is not None:
            joined = "".join(f[1] for f in frags)
            if joined != body:  # fragments that do not add up to the body: trust the body
                sink.counters["fragments_mismatch"] += 1
                frags = None
        commenter = c.get("commenter") if isinstance(c.get("commenter"), dict) else {}
        author = commenter.get("display_name") or commenter.get("name")
        aid = commenter.get("_id")
        aid = str(aid) if aid is not None else None
        notice = msg.get("user_notice_params")
        mid = notice.get("msg-id") if isinstance(notice, dict) else None
        kind = NOTICE_KIND.get(mid, "notice") if mid else "message"
        amount = None
        bits = msg.get("bits_spent")
        if bits:
            amount = f"{bits} bits"
            if kind == "message":
                kind = "paid"
        cid = c.get("_id")
        key = f"{cid}|{off}" if cid is not None else f"{off}|{aid}|{c.get('created_at')}|{body}"
        sink.add(ts, None, author, aid, body, kind, frags, amount, ref, key, str(cid) if cid is not None else None)
