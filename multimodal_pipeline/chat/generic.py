"""Generic chat logs: JSON Lines (or a JSON array of objects) and CSV, read through a column mapping.

The mapping is `ChatConfig.generic` (`GenericColumns`): which column holds the time (`ts`, default "ts_ms"), its unit
(`ts_unit`: ms | s | us | ns | iso) and origin (`ts_origin`: video | epoch), the text (`text`), and optionally the
author, author id, the source's message id, the kind and the paid amount. A JSON record may also carry `fragments`
as a list of {type, text, emote_id} (the ChatEvent form), which is kept when it adds up to the text.
Rows without a usable time or text are rejected with the reason.
"""

from __future__ import annotations

import csv
import io
import mmap
import os
import re
from datetime import datetime
from typing import Any

import polars as pl

from multimodal_pipeline.chat._core import BOM, ChatFormatError, Frag, Sink, Source, records
from multimodal_pipeline.contracts import ChatEvent
from multimodal_pipeline.contracts.chat_config import ChatConfig, GenericColumns

FORMAT_JSONL = "generic_jsonl"
FORMAT_CSV = "generic_csv"

_SCALE = {"ms": 1.0, "s": 1000.0, "us": 0.001, "ns": 0.000001}
_FRAG_TYPES = ("text", "emote", "emoji")


def sniff_jsonl(value: object, config: ChatConfig) -> bool:
    m = config.generic
    item = value[0] if isinstance(value, list) and value else value
    return isinstance(item, dict) and m.ts in item and m.text in item


def sniff_csv_header(header: list[str], config: ChatConfig) -> bool:
    m = config.generic
    return m.ts in header and m.text in header


def _time(value: Any, m: GenericColumns) -> tuple[int | None, int | None]:
    """(video offset ms, epoch ms); raises ValueError for an unusable value."""
    if value is None or value == "":
        raise ValueError("empty time")
    if m.ts_unit == "iso":
        dt = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        return None, round(dt.timestamp() * 1000)
    if isinstance(value, bool):
        raise ValueError("time is a boolean")
    if isinstance(value, (int, float)):
        v = value
    else:
        s = str(value).strip()
        v = int(s) if s.lstrip("-").isdigit() else float(s)
    ms = round(v * _SCALE[m.ts_unit]) if m.ts_unit != "ms" or isinstance(v, float) else v
    if ms != ms:  # NaN
        raise ValueError("time is NaN")
    return (ms, None) if m.ts_origin == "video" else (None, ms)


def _opt(row: dict, col: str | None) -> str | None:
    if col is None:
        return None
    v = row.get(col)
    if v is None or v == "":
        return None
    return v if isinstance(v, str) else str(v)


def _frags(value: Any, text: str) -> list[Frag] | None:
    if not isinstance(value, list) or not value:
        return None
    out: list[Frag] = []
    for f in value:
        if not isinstance(f, dict) or f.get("type") not in _FRAG_TYPES or not isinstance(f.get("text"), str):
            return None
        eid = f.get("emote_id")
        out.append((f["type"], f["text"], str(eid) if eid is not None else None))
    return out if "".join(f[1] for f in out) == text else None


def _row(row: dict, ref: str, raw: Any, sink: Sink, m: GenericColumns, key_default: str) -> None:
    try:
        ts, ep = _time(row.get(m.ts), m)
    except (TypeError, ValueError, OverflowError) as exc:
        sink.reject(ref, f"bad time in column '{m.ts}': {exc}", raw)
        return
    text = row.get(m.text)
    if text is None:
        sink.reject(ref, f"no text column '{m.text}'", raw)
        return
    if not isinstance(text, str):
        text = str(text)
    kind = _opt(row, m.kind) or "message"
    if kind not in ChatEvent.KINDS:
        sink.reject(ref, f"unknown kind {kind!r} (expected one of {', '.join(ChatEvent.KINDS)})", raw)
        return
    nid = _opt(row, m.id)
    key = f"{nid}|{row.get(m.ts)}" if nid is not None else key_default
    sink.add(ts, ep, _opt(row, m.author), _opt(row, m.author_id), text, kind, _frags(row.get("fragments"), text),
             _opt(row, m.amount), ref, key, nid)


def parse_jsonl(src: Source, sink: Sink) -> None:
    m = sink.config.generic
    if _fast_jsonl(src, sink):
        return
    for ref, obj in records(src, sink):
        if not isinstance(obj, dict):
            sink.reject(ref, f"not a JSON object ({type(obj).__name__})", obj)
            continue
        _row(obj, ref, obj, sink, m, key_default=repr(sorted(obj.items(), key=lambda kv: kv[0]))[:2000])


def parse_csv(src: Source, sink: Sink) -> None:
    m = sink.config.generic
    data = src.raw_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", "replace")
        sink.counters["utf8_repaired_items"] += 1
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=m.delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        sink.reject(f"{src.name}:1", f"unreadable CSV header: {exc}", text[:500])
        return
    header = [h.strip() for h in header]
    missing = [c for c in (m.ts, m.text) if c not in header]
    if missing:
        raise ChatFormatError(src.path, f"CSV header {header[:20]} lacks the mapped column(s) {missing} "
                                        "(set ChatConfig.generic)", (FORMAT_CSV,))
    if _fast_csv(src, sink):
        return
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            sink.items += 1
            sink.reject(f"{src.name}:{start}", f"malformed CSV: {exc}", "")
            start = reader.line_num + 1
            continue
        ref = f"{src.name}:{start}"
        start = reader.line_num + 1
        if not cells or all(not c.strip() for c in cells):
            continue
        sink.items += 1
        raw = m.delimiter.join(cells)
        if len(cells) != len(header):
            sink.reject(ref, f"row has {len(cells)} fields, the header has {len(header)}", raw)
            continue
        _row(dict(zip(header, cells, strict=True)), ref, raw, sink, m, key_default=raw)


# ---------------------------------------------------------------------------------------------------------------------
# vectorized fast path: Polars reads the whole file; any irregularity (a malformed line, a blank line, a null or
# unparsable time, an unknown kind, a missing id, fragments, quoted newlines in CSV) falls back to the row path
# above, which rejects precisely. Both paths give the same events and event ids.

_TS_EXPR_SCALE = {"ms": 1, "s": 1000, "us": 0.001, "ns": 0.000001}


def _fast(frame: pl.DataFrame, src: Source, sink: Sink, first_line: int, lines: int) -> bool:
    m = sink.config.generic
    n = frame.height
    if n == 0 or m.ts not in frame.columns or m.text not in frame.columns or m.id is None \
            or m.id not in frame.columns or "fragments" in frame.columns or m.ts_unit == "iso":
        return False
    if lines != n + first_line - 1:  # blank lines or quoted newlines: line numbers would drift
        return False
    try:
        def as_str(col: str | None) -> pl.Expr:
            if col is None or col not in frame.columns:
                return pl.lit(None, dtype=pl.String)
            e = pl.col(col).cast(pl.String, strict=True)
            return pl.when(e == "").then(None).otherwise(e)

        ts_raw = pl.col(m.ts)
        dtype = frame.schema[m.ts]
        if dtype == pl.String:
            if frame[m.ts].str.contains(r"^-?\d+$").all():
                num = ts_raw.cast(pl.Int64, strict=True)
            else:
                return False  # floats written as text: the row path keeps Python's exact rounding
        elif dtype.is_integer():
            num = ts_raw.cast(pl.Int64)
        elif dtype.is_float():
            num = ts_raw
        else:
            return False
        scale = _TS_EXPR_SCALE[m.ts_unit]
        ms = (num * scale).round(0).cast(pl.Int64) if (scale != 1 or dtype.is_float()) else num
        kind = as_str(m.kind).fill_null("message")
        out = frame.select(
            ms.alias("ms"), as_str(m.text).alias("text"), as_str(m.author).alias("author"),
            as_str(m.author_id).alias("author_id"), as_str(m.id).alias("id"), kind.alias("kind"),
            as_str(m.amount).alias("amount"), ts_raw.cast(pl.String).alias("ts_raw"))
    except (pl.exceptions.PolarsError, TypeError, ValueError):
        return False
    if out["ms"].null_count() or out["text"].null_count() != frame[m.text].null_count() \
            or frame[m.text].null_count() or out["id"].null_count() \
            or not out["kind"].is_in(list(ChatEvent.KINDS)).all():
        return False
    if dtype.is_float() and not out["ts_raw"].str.contains(r"^-?\d+\.\d+$").all():
        return False  # keep str(float) identical to Python's for the event key
    video = m.ts_origin == "video"
    none = pl.lit(None, dtype=pl.Int64)
    sink.batch = out.select(
        (pl.col("ms") if video else none).alias("ts"), (none if video else pl.col("ms")).alias("epoch"),
        "author", "author_id", "text", "kind", "amount",
        pl.concat_str([pl.col("id"), pl.lit("|"), pl.col("ts_raw")]).alias("key"), pl.col("id").alias("native"),
        pl.lit(False).alias("echo"), pl.int_range(first_line, first_line + n, dtype=pl.Int64).alias("ref"))
    sink.items += n
    sink.notes["fast_path_events"] = n
    return True


def _blank(data: bytes) -> bool:
    """Nothing but ASCII whitespace (what `not data.strip()` says, without copying the file)."""
    return not data or data.isspace()


def _line_count(data: bytes | mmap.mmap) -> int:
    """Lines of a file's bytes (a last line without its newline counts); a mapping is read in 1 MiB slices."""
    step = 1 << 20
    n = data.count(b"\n") if isinstance(data, bytes) else \
        sum(data[a:a + step].count(b"\n") for a in range(0, len(data), step))
    return n + (0 if not len(data) or data[-1:] == b"\n" else 1)


def _fast_jsonl(src: Source, sink: Sink) -> bool:
    if src.layout != "lines" or src.is_utf16():
        return False
    # the file is mapped, not read: Polars reads it from its path, and the checks below touch it in slices (a
    # 36 MiB copy in a fresh process cost as much as the hashing of 200,000 event ids)
    with open(src.path, "rb") as f:
        if not os.fstat(f.fileno()).st_size:
            return False
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data[:3] == BOM or re.search(rb"\S", data) is None:  # type: ignore[call-overload]
                return False
            lines = _line_count(data)
    # Polars expands glob patterns in a path ("chat[1].jsonl" would read "chat1.jsonl"): such a name goes as bytes
    source = src.path.read_bytes() if re.search(r"[*?\[\]{}]", str(src.path)) else src.path
    try:
        frame = pl.read_ndjson(source)
    except (pl.exceptions.PolarsError, ValueError, OSError, TypeError):
        return False
    if not _fast(frame, src, sink, 1, lines):
        return False
    sink.counters["utf8_repaired_items"] += 0  # Polars refuses invalid UTF-8: the row path reports the same 0
    return True


def _fast_csv(src: Source, sink: Sink) -> bool:
    if src.is_utf16():
        return False
    m = sink.config.generic
    data = src.path.read_bytes()
    if data.startswith(BOM) or b"\r" in data or _blank(data) or len(m.delimiter) != 1:
        return False
    try:
        frame = pl.read_csv(io.BytesIO(data), separator=m.delimiter, infer_schema=False, has_header=True)
    except (pl.exceptions.PolarsError, ValueError, OSError, TypeError):
        return False
    frame = frame.rename({c: c.strip() for c in frame.columns})
    return _fast(frame, src, sink, 2, _line_count(data))
