"""Twitch IRC (TMI) logs: raw IRC lines with IRCv3 tags.

Containers: a text file with one raw line a line; the recent-messages API JSON `{"messages": ["@...", ...]}`; a JSON
array of lines; Chatterino snapshot files `{"input": "@..."}` (one object, or JSON Lines of them).

Commands: PRIVMSG → message (`bits` → paid "N bits"; Hype Chat `pinned-chat-paid-*` → paid "NOK 14.00"), with or
without the `:` before the text and with `\\x01ACTION ...\\x01` unwrapped; USERNOTICE → membership / gift / notice by
`msg-id` (text: the user's own message, else the unescaped `system-msg`); CLEARCHAT → moderation (a timeout or ban
of one user marks that user's earlier messages deleted unless `timeouts_delete_messages` is off); CLEARMSG →
moderation and marks `target-msg-id` deleted. Other commands (ROOMSTATE, JOIN, PING...) are skipped with a count.
Emotes come from the `emotes` tag (`id:start-end,.../id2:...`, code point positions). Times: `tmi-sent-ts` (epoch ms,
else `rm-received-ts`) minus the stream start (config, else the earliest line, recorded as an assumption).
"""

from __future__ import annotations

import re

import polars as pl

from multimodal_pipeline.chat._core import Frag, Sink, Source, decode_text, json_error, loads, open_container
from multimodal_pipeline.chat.twitch_comments import NOTICE_KIND

FORMAT = "twitch_irc"

_CHAT_COMMANDS = ("PRIVMSG", "USERNOTICE", "CLEARCHAT", "CLEARMSG")
_UNESCAPE = {"s": " ", ":": ";", "\\": "\\", "r": "\r", "n": "\n"}


def unescape(value: str) -> str:
    """IRCv3 tag value unescaping (\\s → space, \\: → ;, \\\\ → \\, \\r, \\n)."""
    if "\\" not in value:
        return value
    out = []
    i, n = 0, len(value)
    while i < n:
        ch = value[i]
        if ch == "\\" and i + 1 < n:
            out.append(_UNESCAPE.get(value[i + 1], value[i + 1]))
            i += 2
        elif ch == "\\":
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def looks_like_irc(line: str) -> bool:
    if line.startswith("@"):
        sp = line.find(" ")
        rest = line[sp + 1:] if sp > 0 else ""
    else:
        rest = line
    if rest.startswith(":"):
        sp = rest.find(" ")
        rest = rest[sp + 1:] if sp > 0 else ""
    cmd = rest.split(" ", 1)[0]
    return cmd in _CHAT_COMMANDS or (line.startswith("@") and cmd.isupper() and cmd.isalpha())


def sniff(value: object) -> bool:
    if isinstance(value, dict):
        msgs = value.get("messages")
        if isinstance(msgs, list):
            return not msgs or isinstance(msgs[0], str)
        return isinstance(value.get("input"), str) and looks_like_irc(value["input"])
    if isinstance(value, list) and value and isinstance(value[0], str):
        return looks_like_irc(value[0])
    return False


def split_line(line: str) -> tuple[dict[str, str], str, str, str] | None:
    """(tags, prefix, command, params) of one IRC line, or None when it is not one."""
    tags: dict[str, str] = {}
    rest = line
    if rest.startswith("@"):
        sp = rest.find(" ")
        if sp < 0:
            return None
        try:
            tags = dict(t.split("=", 1) for t in rest[1:sp].split(";"))  # type: ignore[misc]
        except ValueError:  # a tag without "=" (a valueless flag)
            for t in rest[1:sp].split(";"):
                k, _, v = t.partition("=")
                tags[k] = v
        rest = rest[sp + 1:].lstrip(" ")
    prefix = ""
    if rest.startswith(":"):
        sp = rest.find(" ")
        if sp < 0:
            return None
        prefix = rest[1:sp]
        rest = rest[sp + 1:].lstrip(" ")
    sp = rest.find(" ")
    cmd, params = (rest, "") if sp < 0 else (rest[:sp], rest[sp + 1:])
    if not ((cmd.isalpha() and cmd.isupper()) or (cmd.isdigit() and len(cmd) == 3)):
        return None
    return tags, prefix, cmd, params


def _channel_and_text(params: str) -> tuple[str, str | None]:
    """`#chan :text` or `#chan text` (recent-messages drops the colon of one-word messages)."""
    sp = params.find(" ")
    if sp < 0:
        return params, None
    chan, text = params[:sp], params[sp + 1:]
    if text.startswith(":"):
        text = text[1:]
    return chan, text


def _emote_frags(text: str, spec: str, sink: Sink) -> list[Frag] | None:
    spans = []
    try:
        for group in spec.split("/"):
            eid, _, ranges = group.partition(":")
            for r in ranges.split(","):
                a, _, b = r.partition("-")
                spans.append((int(a), int(b), eid))
    except ValueError:
        sink.counters["bad_emote_positions"] += 1
        return None
    spans.sort()
    out: list[Frag] = []
    pos = 0
    for a, b, eid in spans:
        if a < pos or b >= len(text) or b < a:
            sink.counters["bad_emote_positions"] += 1
            return None
        if a > pos:
            out.append(("text", text[pos:a], None))
        out.append(("emote", text[a:b + 1], eid))
        pos = b + 1
    if pos < len(text):
        out.append(("text", text[pos:], None))
    return out


def _paid_amount(tags: dict[str, str]) -> str | None:
    bits = tags.get("bits")
    if bits:
        return f"{bits} bits"
    amt = tags.get("pinned-chat-paid-amount")
    if amt:
        try:
            exp = int(tags.get("pinned-chat-paid-exponent") or 0)
            value = int(amt) / (10 ** exp)
            return f"{tags.get('pinned-chat-paid-currency', '')} {value:.{exp}f}".strip()
        except ValueError:
            return f"{tags.get('pinned-chat-paid-currency', '')} {amt}".strip()
    return None


def _fast_privmsg(line: str, ref: str | int, sink: Sink) -> bool:
    """The common case inlined: a tagged PRIVMSG with tmi-sent-ts, no bits, no Hype Chat, no /me. False: not
    handled (the general path takes the line)."""
    sp = line.find(" ")
    if sp < 0:
        return False
    try:
        tags = dict(t.split("=", 1) for t in line[1:sp].split(";"))  # type: ignore[misc]
    except ValueError:
        return False
    rest = line[sp + 1:]
    sp2 = rest.find(" ")
    if rest[:1] != ":" or sp2 < 0 or not rest.startswith("PRIVMSG ", sp2 + 1):
        return False
    params = rest[sp2 + 9:]
    sp3 = params.find(" ")
    stamp = tags.get("tmi-sent-ts")
    if sp3 < 0 or not stamp or not stamp.isdigit() or len(stamp) > 18 or "bits" in tags or "pinned-chat-paid-amount" in tags:
        return False
    text = params[sp3 + 1:]
    if text[:1] == ":":
        text = text[1:]
    if text.startswith("\x01ACTION "):
        return False
    dn = tags.get("display-name")
    if dn:
        author = unescape(dn) if "\\" in dn else dn
    else:
        prefix = rest[1:sp2]
        author = tags.get("login") or (prefix.split("!", 1)[0] if "!" in prefix else None)
    mid = tags.get("id") or None
    emotes = tags.get("emotes")
    frags = _emote_frags(text, emotes, sink) if emotes else None
    sink.rows.append((None, int(stamp), author, tags.get("user-id") or None, text, "message", frags, None, ref,
                      f"{mid}|{stamp}" if mid else line, mid, False))
    return True


def feed_line(line: str, ref: str | int, sink: Sink) -> None:
    """Parse one IRC line into the sink (or reject / skip it)."""
    if line[:1] == "@" and _fast_privmsg(line, ref, sink):
        return
    parts = split_line(line)
    if parts is None:
        sink.reject(ref, "not an IRC line", line)
        return
    tags, prefix, cmd, params = parts
    if cmd not in _CHAT_COMMANDS:
        sink.skip(f"IRC {cmd}")
        return
    stamp = tags.get("tmi-sent-ts") or tags.get("rm-received-ts")
    try:
        epoch = int(stamp)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        sink.reject(ref, f"{cmd} without a numeric tmi-sent-ts tag", line)
        return
    if abs(epoch) >= 10 ** 18:
        sink.reject(ref, f"{cmd} with a tmi-sent-ts out of range ({stamp})", line)
        return
    chan, text = _channel_and_text(params)
    nick = prefix.split("!", 1)[0] if "!" in prefix else None
    dn = tags.get("display-name")
    author = unescape(dn) if dn else (tags.get("login") or nick)
    aid = tags.get("user-id") or None
    mid = tags.get("id") or None
    if cmd == "PRIVMSG":
        if text is None:
            sink.reject(ref, "PRIVMSG without text", line)
            return
        if text.startswith("\x01ACTION "):
            text = text[8:-1] if text.endswith("\x01") else text[8:]
            sink.counters["irc_actions"] += 1
        emotes = tags.get("emotes")
        frags = _emote_frags(text, emotes, sink) if emotes else None
        amount = _paid_amount(tags)
        key = f"{mid}|{stamp}" if mid else line
        sink.add(None, epoch, author, aid, text, "paid" if amount else "message", frags, amount, ref, key, mid)
    elif cmd == "USERNOTICE":
        msg_id = tags.get("msg-id") or ""
        kind = NOTICE_KIND.get(msg_id, "notice")
        amount = _paid_amount(tags)
        if text:
            emotes = tags.get("emotes")
            frags = _emote_frags(text, emotes, sink) if emotes else None
        else:
            text, frags = unescape(tags.get("system-msg") or msg_id).strip(), None
        key = f"{mid}|{stamp}" if mid else line
        sink.add(None, epoch, author, aid, text, kind, frags, amount, ref, key, mid)
    elif cmd == "CLEARCHAT":
        target = text
        target_id = tags.get("target-user-id") or None
        if target:
            dur = tags.get("ban-duration")
            what = f"timeout {dur}s" if dur else "ban"
        else:
            what = "chat cleared"
        row = sink.add(None, epoch, target, target_id, what, "moderation", None, None, ref,
                       f"CLEARCHAT|{stamp}|{target}|{mid}")
        if target and sink.config.timeouts_delete_messages:
            sink.delete_author(target_id, row)
    else:  # CLEARMSG
        target = tags.get("target-msg-id")
        row = sink.add(None, epoch, tags.get("login"), None, "message deleted", "moderation", None, None, ref,
                       f"CLEARMSG|{stamp}|{target}")
        sink.delete_id(target, row)


def parse(src: Source, sink: Sink) -> None:
    name = src.name
    how, doc = open_container(src, sink, text_lines=True)
    if how == "failed":
        return
    if how == "doc":
        if isinstance(doc, dict) and isinstance(doc.get("messages"), list):
            items, path = doc["messages"], "messages"
            sink.notes["variant"] = "recent_messages"
        elif isinstance(doc, dict) and "input" in doc:
            items, path = [doc["input"]], None
            sink.notes["variant"] = "chatterino_snapshot"
        elif isinstance(doc, list):
            items, path = doc, ""
            sink.notes["variant"] = "line_list"
        else:
            sink.items += 1
            sink.reject(name, "no IRC lines in this JSON document", doc)
            return
        for i, line in enumerate(items):
            sink.items += 1
            ref = f"{name}#input" if path is None else f"{name}#{path}[{i}]"
            if not isinstance(line, str):
                sink.reject(ref, f"not a string ({type(line).__name__})", line)
                continue
            feed_line(line.rstrip("\r\n"), ref, sink)
        return
    sink.notes["variant"] = "raw_lines"
    if _vectorized_lines(src, sink):
        return
    repaired = 0
    for n, raw in src.lines():
        if not raw.strip():
            continue
        sink.items += 1
        line, fixed = decode_text(raw)
        repaired += fixed
        _feed_text_line(line, raw, n, sink)
    sink.counters["utf8_repaired_items"] += repaired


def _feed_text_line(line: str, raw: bytes | str, n: int, sink: Sink) -> None:
    if line.startswith("{"):  # JSON Lines of Chatterino snapshots
        try:
            obj, _fixed = loads(raw)
        except ValueError as exc:
            sink.reject(n, json_error(exc), raw)
            return
        if isinstance(obj, dict) and isinstance(obj.get("input"), str):
            feed_line(obj["input"], n, sink)
        else:
            sink.reject(n, "JSON line without an IRC 'input' string", raw)
        return
    feed_line(line, n, sink)


# ---------------------------------------------------------------------------------------------------------------------
# vectorized path for raw line files: Polars takes every plain tagged PRIVMSG (what `_fast_privmsg` takes, minus
# emotes and escaped display names) in one pass; the other lines go through `feed_line` above. Both give the same
# events (a test compares them on the real fixtures and fuzzed files).

_TAGS_USED = ("tmi-sent-ts", "id", "display-name", "user-id", "login", "emotes", "bits", "pinned-chat-paid-amount")
_ASCII_SPACE = " \t\n\r\x0b\x0c"
#: one of those tags given twice in a line (one regex pass instead of a count per tag)
_TAG_TWICE = ";(?:" + "|".join(f"{re.escape(t)}=.*;{re.escape(t)}" for t in _TAGS_USED) + ")="


def _tag(name: str) -> pl.Expr:
    """The value of one tag (`_tags` starts with ";", so every tag follows one)."""
    return pl.col("_tags").str.extract(f";{name}=([^;]*)", 1)


def _read_lines(raw: bytes) -> pl.Series | None:
    """The file's lines as strings (end-of-line bytes stripped later); None when it is not valid UTF-8."""
    lines = None
    if b"\x00" not in raw:  # Polars' CSV reader with a separator that never occurs: one column, one row a line
        try:
            lines = pl.read_csv(raw, has_header=False, separator="\x00", quote_char=None, new_columns=["line"],
                                schema={"line": pl.String})["line"]
        except (pl.exceptions.PolarsError, ValueError):
            lines = None
        expected = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
        if lines is not None and lines.len() != expected:  # blank lines skipped: numbering would drift
            lines = None
    if lines is None:
        try:
            lines = pl.Series("line", raw.split(b"\n")).cast(pl.String)
        except pl.exceptions.PolarsError:
            return None
        if raw.endswith(b"\n"):
            lines = lines.head(-1)
    return lines


def _vectorized_lines(src: Source, sink: Sink) -> bool:
    """False (nothing done) when the file is not valid UTF-8: the row path repairs and counts it."""
    lines = _read_lines(src.raw_bytes())
    if lines is None:
        return False
    frame = lines.to_frame().with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("ref"),
                                          pl.col("line").str.strip_chars_end("\r\n")) \
        .filter(pl.col("line").str.strip_chars(_ASCII_SPACE) != "")
    sink.items += frame.height
    sink.counters["utf8_repaired_items"] += 0  # valid UTF-8: nothing repaired (the row path reports the same 0)
    # "@tags :prefix PRIVMSG #channel text": five parts at the first four spaces
    parts = pl.col("line").str.splitn(" ", 5)
    frame = frame.with_columns(parts.struct.field("field_0").alias("_t"), parts.struct.field("field_1").alias("_p"),
                               parts.struct.field("field_2").alias("_cmd"), parts.struct.field("field_4")
                               .alias("_text"))
    frame = frame.with_columns((pl.lit(";") + pl.col("_t").str.slice(1)).alias("_tags"))
    # the tags both the test below and the columns read, extracted once
    frame = frame.with_columns(_tag("tmi-sent-ts").alias("_stamp"), _tag("display-name").alias("_dn"),
                               _tag("emotes").fill_null("").alias("_em"),
                               pl.when(pl.col("_text").str.starts_with(":")).then(pl.col("_text").str.slice(1))
                               .otherwise(pl.col("_text")).alias("_body"))
    once = ~pl.col("_tags").str.contains(_TAG_TWICE)
    stamp, dn = pl.col("_stamp"), pl.col("_dn")
    plain = (pl.col("_t").str.starts_with("@") & pl.col("_p").str.starts_with(":") & (pl.col("_cmd") == "PRIVMSG")
             & pl.col("_text").is_not_null() & ~pl.col("_tags").str.contains(";[^;=]*(?:;|$)") & once
             & stamp.str.contains("^[0-9]{1,18}$").fill_null(False)
             & ~pl.col("_tags").str.contains(";bits=", literal=True)
             & ~pl.col("_tags").str.contains(";pinned-chat-paid-amount=", literal=True)
             & pl.col("_em").str.contains(_EMOTE_SPEC) & ~dn.fill_null("").str.contains("\\", literal=True)
             & ~pl.col("_text").str.starts_with(":\x01ACTION ") & ~pl.col("_text").str.starts_with("\x01ACTION "))
    frame = frame.with_columns(plain.fill_null(False).alias("_plain"))
    spans = _emote_spans(frame.filter(pl.col("_plain") & (pl.col("_em") != "")))
    if spans.height:  # emote positions the row path would refuse (it counts them): that path takes those lines
        bad = spans.filter(~pl.col("_ok"))["ref"].unique()
        frame = frame.with_columns(pl.col("_plain") & ~pl.col("ref").is_in(bad.implode()))
    for n, line in frame.filter(~pl.col("_plain")).select("ref", "line").iter_rows():
        _feed_text_line(line, line, n, sink)
    fast = frame.filter(pl.col("_plain"))
    if not fast.height:
        return True
    prefix = pl.col("_p").str.slice(1)
    nick = pl.when(prefix.str.contains("!", literal=True)).then(prefix.str.split_exact("!", 1).struct.field("field_0"))
    none = lambda e: pl.when(e != "").then(e)  # noqa: E731 - "" counts as missing, as `or None` does
    mid = none(_tag("id"))
    sink.batch = fast.select(
        pl.lit(None, dtype=pl.Int64).alias("ts"), stamp.cast(pl.Int64).alias("epoch"),
        pl.coalesce(none(dn), none(_tag("login")), nick).alias("author"), none(_tag("user-id")).alias("author_id"),
        pl.col("_body").alias("text"),
        pl.lit("message").alias("kind"), pl.lit(None, dtype=pl.String).alias("amount"),
        pl.when(mid.is_not_null()).then(pl.concat_str([mid, pl.lit("|"), stamp])).otherwise(pl.col("line"))
        .alias("key"), mid.alias("native"), pl.lit(False).alias("echo"), pl.col("ref"))
    if spans.height:
        frags = _emote_fragments(spans.filter(pl.col("_ok")))
        sink.batch = sink.batch.join(frags, on="ref", how="left", maintain_order="left")
    sink.notes["fast_path_events"] = fast.height
    return True


#: an `emotes` tag `_emote_frags` reads: `id:a-b,c-d/id:e-f`, ASCII digits (int() would take more: the row path)
_EMOTE_SPEC = "^(?:[^:/]*:[0-9]{1,9}-[0-9]{1,9}(?:,[0-9]{1,9}-[0-9]{1,9})*(?:/[^:/]*:[0-9]{1,9}-[0-9]{1,9}" \
              "(?:,[0-9]{1,9}-[0-9]{1,9})*)*)?$"


def _emote_spans(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per emote position (`ref, _body, _len, eid, a, b, pos`, sorted as `_emote_frags` sorts them), with
    `_ok` False on every span of a line whose positions `_emote_frags` refuses (overlapping, past the text's end,
    reversed)."""
    groups = frame.select("ref", "_body", pl.col("_body").str.len_chars().alias("_len"),
                          pl.col("_em").str.split("/").alias("_g")).explode("_g")
    groups = groups.with_columns(pl.col("_g").str.splitn(":", 2).alias("_s")).select(
        "ref", "_body", "_len", pl.col("_s").struct.field("field_0").alias("eid"),
        pl.col("_s").struct.field("field_1").str.split(",").alias("_r")).explode("_r")
    ab = pl.col("_r").str.splitn("-", 2)
    spans = groups.select("ref", "_body", "_len", "eid", ab.struct.field("field_0").cast(pl.Int64).alias("a"),
                          ab.struct.field("field_1").cast(pl.Int64).alias("b")).sort("ref", "a", "b", "eid")
    spans = spans.with_columns((pl.col("b") + 1).shift(1).over("ref").fill_null(0).alias("pos"))
    ok = (pl.col("a") >= pl.col("pos")) & (pl.col("b") < pl.col("_len")) & (pl.col("b") >= pl.col("a"))
    return spans.with_columns(ok.all().over("ref").alias("_ok"))


def _emote_fragments(s: pl.DataFrame) -> pl.DataFrame:
    """`ref, frags`: the fragment list of each line with emotes (`s`: its spans from `_emote_spans`), as `_emote_frags`
    builds it: the text before each emote, the emote, and the text after the last one."""
    body, a, b, pos = pl.col("_body"), pl.col("a"), pl.col("b"), pl.col("pos")

    def piece(kind: str, text: pl.Expr, eid: pl.Expr, k: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        return pl.struct(pl.lit(kind).alias("type"), text.alias("text"), eid.alias("emote_id")).alias("f"), \
            k.alias("_k")

    none = pl.lit(None, dtype=pl.String)
    gaps = s.filter(a > pos).select("ref", *piece("text", body.str.slice(pos, a - pos), none, a * 2))
    emotes = s.select("ref", *piece("emote", body.str.slice(a, b - a + 1), pl.col("eid"), a * 2 + 1))
    last = s.group_by("ref").agg(pl.col("b").max() + 1, pl.col("_body").first(), pl.col("_len").first())
    tails = last.filter(pl.col("b") < pl.col("_len")).select(
        "ref", *piece("text", body.str.slice(pl.col("b")), none, pl.lit(2**62, dtype=pl.Int64)))
    return pl.concat([gaps, emotes, tails]).sort("ref", "_k").group_by("ref", maintain_order=True) \
        .agg(pl.col("f").alias("frags"))
