"""chat-downloader (xenova) JSON output, current schema and the legacy flat one.

Current (`chat_downloader`): a JSON array (or JSON Lines) of dicts with `message_id, message, author{name,id},
time_in_seconds, timestamp (µs), message_type, action_type, emotes, money{text,...}`. The time is `time_in_seconds`
(replays); live captures carry only `timestamp` (wall clock) and are taken from the stream start. Ticker items
(`ticker_*`) are re-displays of a paid message / membership / sticker: dropped as echoes when the original is in the
file. YouTube emoji that chat-downloader wrote as `:shortcut:` come back as emoji/emote fragments.

Legacy (`chat_downloader_legacy`, chat_replay_downloader before 0.1): flat dicts `author, author_id?, message,
time_in_seconds, time_text, timestamp, amount?, video_offset_time_msec?, ticker_duration?`. Items with
`ticker_duration` are ticker echoes of the paid message beside them.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import polars as pl

from multimodal_pipeline.chat._core import Frag, Sink, Source, records

FORMAT = "chat_downloader"
FORMAT_LEGACY = "chat_downloader_legacy"

_KIND = {
    "text_message": "message", "paid_message": "paid", "paid_sticker": "sticker", "membership_item": "membership",
    "donation_announcement": "paid", "highlighted_message": "message", "viewer_engagement_message": "system",
    "mode_change_message": "system", "purchased_product_message": "notice",
    "sponsorships_gift_purchase_announcement": "gift", "sponsorships_gift_redemption_announcement": "gift",
    "ticker_paid_message_item": "paid", "ticker_paid_sticker_item": "sticker", "ticker_sponsor_item": "membership",
    "subscription": "membership", "resubscription": "membership", "extend_subscription": "membership",
    "prime_paid_upgrade": "membership", "gift_paid_upgrade": "membership", "anonymous_gift_paid_upgrade": "membership",
    "subscription_gift": "gift", "mystery_subscription_gift": "gift", "anonymous_subscription_gift": "gift",
    "anonymous_mystery_subscription_gift": "gift", "community_pay_forward": "gift", "standard_pay_forward": "gift",
    "raid": "notice", "unraid": "notice", "ritual": "notice", "announcement": "notice", "bits_badge_tier": "notice",
    "reward_gift": "notice", "deleted_message": "moderation", "ban_user": "moderation", "timeout_user": "moderation",
    "clear_chat": "moderation", "delete_message": "moderation", "message_deleted": "moderation",
}
_SKIP = {"placeholder_item", "banner", "banner_header", "remove_banner", "tooltip", "poll"}


def _kind_of(mt: str) -> str:
    k = _KIND.get(mt)
    if k:
        return k
    for needle, kind in (("gift", "gift"), ("sub", "membership"), ("member", "membership"), ("sticker", "sticker"),
                         ("paid", "paid"), ("donation", "paid"), ("cheer", "paid"), ("delete", "moderation"),
                         ("ban", "moderation"), ("timeout", "moderation"), ("clear", "moderation"),
                         ("raid", "notice"), ("announcement", "notice"), ("engagement", "system"),
                         ("mode", "system")):
        if needle in mt:
            return kind
    return "message"


def sniff(value: object) -> bool:
    item = value[0] if isinstance(value, list) and value else value
    return isinstance(item, dict) and (
        ("message_type" in item or "action_type" in item or "message_id" in item)
        or (isinstance(item.get("author"), dict) and ("time_in_seconds" in item or "timestamp" in item)))


def sniff_legacy(value: object) -> bool:
    item = value[0] if isinstance(value, list) and value else value
    return isinstance(item, dict) and isinstance(item.get("author"), str) and "message" in item and (
        "time_in_seconds" in item or "video_offset_time_msec" in item)


def _emote_frags(text: str, emotes: list, sink: Sink) -> tuple[str, list[Frag] | None]:
    """Split a message on its emotes: by `locations` ("start-end", code points) when given, else by name."""
    located: list[tuple[int, int, dict]] = []
    by_name: dict[str, dict] = {}
    for e in emotes:
        if not isinstance(e, dict):
            continue
        locs = e.get("locations")
        if isinstance(locs, list) and locs:
            for loc in locs:
                try:
                    a, b = (int(x) for x in str(loc).split("-"))
                except ValueError:
                    continue
                located.append((a, b, e))
        elif e.get("name"):
            by_name[e["name"]] = e
    frags: list[Frag] = []

    def emote(e: dict, shown: str) -> Frag:
        if e.get("is_custom_emoji") is False and e.get("id") and not str(e["id"]).isascii():
            return ("emoji", str(e["id"]), None)  # a standard emoji written as :shortcut:
        return ("emote", shown, str(e["id"]) if e.get("id") is not None else None)

    if located:
        located.sort(key=lambda x: x[0])
        pos = 0
        for a, b, e in located:
            if a < pos or b >= len(text) or b < a:
                sink.counters["bad_emote_positions"] += 1
                return text, None
            if a > pos:
                frags.append(("text", text[pos:a], None))
            frags.append(emote(e, text[a:b + 1]))
            pos = b + 1
        if pos < len(text):
            frags.append(("text", text[pos:], None))
    elif by_name:
        pattern = re.compile("|".join(re.escape(n) for n in sorted(by_name, key=len, reverse=True)))
        pos = 0
        for m in pattern.finditer(text):
            if m.start() > pos:
                frags.append(("text", text[pos:m.start()], None))
            frags.append(emote(by_name[m.group(0)], m.group(0)))
            pos = m.end()
        if pos < len(text):
            frags.append(("text", text[pos:], None))
    else:
        return text, None
    return "".join(f[1] for f in frags), frags


def parse(src: Source, sink: Sink) -> None:
    if src.has_parsed and type(src.parsed) is list and src.parsed:  # a JSON array the detector decoded
        _parse_array(src, sink)
    else:
        _parse_items(src, sink)


def _parse_items(src: Source, sink: Sink) -> None:
    """The general path: every item through `_item` (JSON Lines, and the reference for the vectorized path)."""
    last: tuple[int | None, int | None] = (None, None)
    for ref, item in records(src, sink):
        last = _item(ref, item, sink, last)


def _item(ref: str | int, item: Any, sink: Sink, last: tuple[int | None, int | None]) -> tuple[int | None, int | None]:
    """One item through the general path; returns the (video time, wall clock) that an untimed moderation item after
    it takes."""
    if not isinstance(item, dict):
        sink.reject(ref, f"not a JSON object ({type(item).__name__})", item)
        return last
    if not any(k in item for k in ("message", "message_type", "action_type", "message_id", "author")):
        sink.reject(ref, "not a chat-downloader item (no message, message_type, author...)", item)
        return last
    mt = str(item.get("message_type") or "text_message")
    if mt in _SKIP:
        sink.skip(mt)
        return last
    kind = _kind_of(mt)
    author = item.get("author")
    if isinstance(author, dict):
        name, aid = author.get("display_name") or author.get("name"), author.get("id")
    else:
        name, aid = (author if isinstance(author, str) else None), item.get("author_id")
    if name is not None and not isinstance(name, str):
        name = str(name)  # a number or a boolean where the name should be
    aid = str(aid) if aid is not None else None
    tis, stamp = item.get("time_in_seconds"), item.get("timestamp")
    try:
        if tis is not None:
            ts, ep = round(float(tis) * 1000), None
        elif stamp is not None:
            ts, ep = None, int(stamp) // 1000
        elif kind == "moderation":
            ts, ep = last  # moderation actions may carry no time: they follow the item before them
        else:
            ts, ep = None, None
    except (TypeError, ValueError):
        sink.reject(ref, f"time is not a number (time_in_seconds={tis!r}, timestamp={stamp!r})", item)
        return last
    if ts is None and ep is None:
        sink.reject(ref, "no time: neither time_in_seconds nor timestamp", item)
        return last
    msg = item.get("message")
    text = msg if isinstance(msg, str) else ""
    money = item.get("money")
    amount = money.get("text") if isinstance(money, dict) else (money if isinstance(money, str) else None)
    if amount is None and item.get("bits"):
        amount = f"{item['bits']} bits"
        if kind == "message":
            kind = "paid"
    emotes = item.get("emotes")
    text, frags = _emote_frags(text, emotes, sink) if emotes and isinstance(emotes, list) else (text, None)
    nid = item.get("message_id")
    nid = str(nid) if nid is not None else None
    echo = mt.startswith("ticker_")
    if kind == "moderation":
        text = text or mt.replace("_", " ")
    key = f"{mt}|{nid}|{stamp}|{tis}|{aid}|{amount}|{text}"
    row = sink.add(ts, ep, name, aid, text, kind, frags, amount, ref, key, nid if kind != "moderation" else None,
                   echo)
    if kind == "moderation":
        target = item.get("target_message_id")
        if target:
            sink.delete_id(str(target), row)
        elif mt in ("ban_user", "timeout_user") and sink.config.timeouts_delete_messages:
            sink.delete_author(aid, row)
    return ts, ep


# ---------------------------------------------------------------------------------------------------------------------
# the vectorized path of a JSON array: plain text messages become columns in Polars, the rest takes `_item`

_STR = (str, type(None))
_ID = (str, int, type(None))
_ITEM_SCHEMA = pl.Schema({"message_id": pl.String(), "message": pl.String(), "time_in_seconds": pl.Float64(),
                          "timestamp": pl.Int64(), "author": pl.Struct({"name": pl.String(),
                                                                        "display_name": pl.String(),
                                                                        "id": pl.String()})})


def _plain_items(items: list) -> list[bool]:
    """Which items are plain text messages whose columns Polars builds exactly as `_item` would: a dict with a string
    message, a float time_in_seconds that Polars writes as Python does (0, or 1e-4 up to 1e15), no emotes, money or
    bits, message_type text_message or none, and a string or integer id, time stamp and author fields (no booleans:
    Polars would write them in lower case)."""
    return [
        type(x) is dict and x.get("message_type", "text_message") == "text_message" and type(x.get("message")) is str
        and type(t := x.get("time_in_seconds")) is float and (1e-4 <= t < 1e15 or t == 0.0)
        and not x.get("emotes") and not x.get("bits") and "money" not in x
        and type(x.get("message_id")) in _STR and type(x.get("timestamp")) in _ID
        and type(a := x.get("author")) is dict and type(a.get("name")) in _STR
        and type(a.get("display_name")) in _STR and type(a.get("id")) in _ID
        for x in items]


def _columns(items: list, index: list[int]) -> pl.DataFrame:
    """The plain items at `index` as the sink's columns; the key is the one `_item` writes
    (`text_message|id|timestamp|time_in_seconds|author id|None|text`, Python's "None" for a missing part)."""
    frame = pl.DataFrame([items[i] for i in index], schema=_ITEM_SCHEMA)
    tis = frame["time_in_seconds"].to_numpy()
    none = pl.lit("None")
    display = pl.col("author").struct.field("display_name")
    return frame.select(
        pl.Series("ts", np.rint(tis * 1000).astype(np.int64)),  # round half to even, as Python's round
        pl.lit(None, dtype=pl.Int64).alias("epoch"),
        pl.when(display.is_null() | (display == "")).then(pl.col("author").struct.field("name"))
        .otherwise(display).alias("author"),
        pl.col("author").struct.field("id").alias("author_id"),
        pl.col("message").alias("text"), pl.lit("message").alias("kind"),
        pl.lit(None, dtype=pl.String).alias("amount"),
        pl.concat_str([pl.lit("text_message"), pl.col("message_id").fill_null(none),
                       pl.col("timestamp").cast(pl.String).fill_null(none),
                       pl.col("time_in_seconds").cast(pl.String), pl.col("author").struct.field("id").fill_null(none),
                       none, pl.col("message")], separator="|").alias("key"),
        pl.col("message_id").alias("native"), pl.lit(False).alias("echo"),
        pl.Series("ref", index, dtype=pl.Int64))


def _parse_array(src: Source, sink: Sink) -> None:
    items: list = src.parsed
    sink.counters["utf8_repaired_items"] += int(src.doc_repaired)
    sink.items += len(items)
    sink.ref_prefix, sink.ref_suffix = f"{src.name}#[", "]"
    plain = _plain_items(items)
    index = [i for i, p in enumerate(plain) if p]
    if index:
        try:
            sink.batch = _columns(items, index)
        except (pl.exceptions.PolarsError, OverflowError, ValueError):  # an integer past 64 bits, say
            plain = [False] * len(items)
        else:
            sink.notes["fast_path_events"] = len(index)
    last: tuple[int | None, int | None] = (None, None)
    for i, item in enumerate(items):
        if plain[i]:
            continue
        if i and plain[i - 1]:
            last = (round(items[i - 1]["time_in_seconds"] * 1000), None)
        last = _item(i, item, sink, last)


def parse_legacy(src: Source, sink: Sink) -> None:
    for ref, item in records(src, sink):
        if not isinstance(item, dict):
            sink.reject(ref, f"not a JSON object ({type(item).__name__})", item)
            continue
        off, tis = item.get("video_offset_time_msec"), item.get("time_in_seconds")
        try:
            ts = int(off) if off is not None else round(float(tis) * 1000)
        except (TypeError, ValueError):
            sink.reject(ref, f"time is not a number (video_offset_time_msec={off!r}, time_in_seconds={tis!r})",
                        item)
            continue
        author = item.get("author")
        author = author if isinstance(author, str) else None
        aid = item.get("author_id")
        aid = str(aid) if aid is not None else None
        msg = item.get("message")
        text = msg if isinstance(msg, str) else ""
        amount: Any = item.get("amount")
        amount = str(amount) if amount is not None else None
        stamp = item.get("timestamp")
        echo = "ticker_duration" in item
        key = f"{'ticker|' if echo else ''}{stamp}|{tis}|{off}|{aid or author}|{amount}|{text}"
        sink.add(ts, None, author, aid, text, "paid" if amount else "message", None, amount, ref, key,
                 str(stamp) if stamp is not None else None, echo)
