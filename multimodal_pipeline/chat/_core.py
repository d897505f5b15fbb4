"""Machinery shared by the chat adapters: the source file, JSON decoding, and the columnar event sink.

An adapter reads one source format and calls `Sink.add` once per event (plain Python values, no per-row model), and
`Sink.reject` for input it cannot use. `Sink.finish` turns the columns into the ChatEvent table in one go: it converts
wall-clock times to video offsets, applies moderation (deleted marks), derives stable event IDs, removes duplicates
and ticker echoes with a count, and sorts by time.
"""

from __future__ import annotations

import codecs
import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from itertools import accumulate
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import polars_hash  # noqa: F401  (registers the .chash namespace)
import pyarrow as pa

from multimodal_pipeline.contracts import ChatEvent, polars_schema
from multimodal_pipeline.contracts.chat_config import ChatConfig

try:  # orjson is several times faster than json on chat logs; json is the fallback
    import orjson

    _loads = orjson.loads
    JSON_DECODER = f"orjson {orjson.__version__}"
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None
    _loads = json.loads
    JSON_DECODER = "json (stdlib)"

#: the raw decoder (raises ValueError on malformed JSON or invalid UTF-8); `loads` adds the repairs
loads_fast = _loads
BOM = codecs.BOM_UTF8
EVENT_SCHEMA = polars_schema(ChatEvent)
REJECT_SCHEMA = pl.Schema({"video_id": pl.String(), "source": pl.String(), "raw_ref": pl.String(),
                           "reason": pl.String(), "raw": pl.String()})
_FRAGMENT_DTYPE = EVENT_SCHEMA["fragments"]


class ChatFormatError(ValueError):
    """The chat file is in no supported format (or not in the one asked for)."""

    def __init__(self, path: str | Path, problem: str, tried: tuple[str, ...] = ()):
        self.path, self.problem, self.tried = str(path), problem, tuple(tried)
        msg = f"{self.path}: {problem}"
        if tried:
            msg += f" (formats tried: {', '.join(tried)})"
        super().__init__(msg)


# ---------------------------------------------------------------------------------------------------------------------
# decoding


def _clean_surrogates(obj: Any) -> Any:
    """Re-encode a value the stdlib decoded with lone surrogates (from \\ud800-style escapes) into valid text."""
    text = json.dumps(obj, ensure_ascii=False)
    return json.loads(text.encode("utf-8", "replace").decode("utf-8"))


def loads(data: bytes | str) -> tuple[Any, bool]:
    """Decode one JSON value. Returns (value, repaired): repaired is True when invalid UTF-8 bytes or lone
    surrogate escapes had to be replaced. Raises ValueError for malformed JSON."""
    try:
        return _loads(data), False
    except ValueError:
        pass
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return loads(data.decode("utf-8", "replace"))[0], True
    else:
        text = data
    # orjson refuses lone surrogate escapes that the stdlib accepts
    value = json.loads(text)
    return _clean_surrogates(value), True


def decode_text(data: bytes) -> tuple[str, bool]:
    """UTF-8 text of a line; invalid bytes become U+FFFD (returns repaired=True)."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace"), True


def json_error(exc: Exception) -> str:
    return f"invalid JSON: {str(exc).splitlines()[0][:200]}"


# ---------------------------------------------------------------------------------------------------------------------
# the source file


@dataclass
class Source:
    """One chat file. Line-based adapters stream `lines()`; document adapters call `doc()` (decoded once, cached)."""

    path: Path
    #: set by the detector when it already decoded the whole file as one JSON value
    parsed: Any = None
    has_parsed: bool = False
    #: True when the whole document needed invalid UTF-8 replaced
    doc_repaired: bool = False
    #: "doc" (one JSON value), "lines" (one record a line) or None (not known: adapters try the document first)
    layout: str | None = None
    _utf16: str | None = None

    @property
    def name(self) -> str:
        return self.path.name

    def raw_bytes(self) -> bytes:
        data = self.path.read_bytes()
        if data.startswith(codecs.BOM_UTF8):
            return data[3:]
        if self.is_utf16():
            return data.decode("utf-16", "replace").encode("utf-8")
        return data

    def is_utf16(self) -> bool:
        """A UTF-16 byte-order mark followed by UTF-16 text (an ASCII first character: one zero byte)."""
        if self._utf16 is None:
            with open(self.path, "rb") as f:
                head = f.read(4)
            le = head[:2] == codecs.BOM_UTF16_LE and len(head) == 4 and head[3] == 0
            be = head[:2] == codecs.BOM_UTF16_BE and len(head) == 4 and head[2] == 0
            self._utf16 = "y" if le or be else "n"
        return self._utf16 == "y"

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """(1-based line number, line without its end-of-line bytes), blank lines included."""
        if self.is_utf16():
            for n, line in enumerate(self.raw_bytes().split(b"\n"), 1):
                yield n, line.rstrip(b"\r")
            return
        with open(self.path, "rb") as f:
            n = 0
            for line in f:
                n += 1
                if n == 1 and line.startswith(codecs.BOM_UTF8):
                    line = line[3:]
                yield n, line.rstrip(b"\r\n")

    def doc(self) -> Any:
        """The whole file as one JSON value. Raises ValueError (with the decoder's position) when malformed."""
        if not self.has_parsed:
            self.parsed, self.doc_repaired = loads(self.raw_bytes())
            self.has_parsed = True
        return self.parsed


# ---------------------------------------------------------------------------------------------------------------------
# the event sink

#: a fragment as adapters hand it over: (type, text, emote_id)
Frag = tuple[str, str, "str | None"]


def event_id(video_id: str, source: str, key: str) -> str:
    """Stable ID of an event: the first 80 bits (20 hex digits) of the SHA-256 of the video, the source format and the
    adapter's identity key of the event (the source's own message ID plus its time and content, or the raw line where
    the source has no ID). `event_ids` computes the same for a whole column."""
    data = f"{video_id}\x1f{source}\x1f{key}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:20]


def event_ids(video_id: str, source: str, keys: pl.Series | list | tuple) -> pl.Series:
    """`event_id` of every key, hashed in Rust (polars-hash); keys Polars cannot hold (lone surrogates) in Python."""
    if not isinstance(keys, pl.Series):
        try:
            keys = pl.Series("key", keys, dtype=pl.String)
        except UnicodeEncodeError:
            return pl.Series("event_id", [event_id(video_id, source, k) for k in keys], dtype=pl.String)
    prefix = f"{video_id}\x1f{source}\x1f"

    def hashed(col: pl.Expr) -> pl.Expr:
        return (pl.lit(prefix) + col).chash.sha2_256().str.slice(0, 20).alias("event_id")

    if len(keys) < _PARALLEL_IDS:
        return pl.select(hashed(pl.lit(keys))).to_series()
    # the plugin hashes one chunk on one thread: slices collected together hash on every core (200,000 ids: 0.05 s
    # -> 0.025 s here)
    frame, step = keys.alias("key").to_frame(), -(-len(keys) // 4)
    parts = pl.collect_all([frame.slice(i * step, step).lazy().select(hashed(pl.col("key"))) for i in range(4)])
    return pl.concat([part.to_series() for part in parts])


#: from this many keys on, `event_ids` hashes slices in parallel
_PARALLEL_IDS = 20_000


#: field order of a row tuple in `Sink.rows`
ROW_FIELDS = ("ts", "epoch", "author", "author_id", "text", "kind", "frags", "amount", "ref", "key", "native", "echo")


@dataclass
class Sink:
    """Rows of the events being parsed (one tuple per event, in ROW_FIELDS order), plus rejects and counters.

    Hot loops append tuples to `rows` directly; `add` does the same for the rest. A row's `ts` is the video offset
    in ms or None when only `epoch` (wall clock, ms) is known; `frags` None means one text fragment holding the text
    (none when the text is empty); `ref` is a raw_ref string, or an int line number of the file; `key` is the
    event's identity within the source (hashed into event_id); `native` the source's own message id (deletes and
    echo matching); `echo` marks ticker/banner re-displays of another message.
    """

    video_id: str
    source: str
    file_name: str
    config: ChatConfig
    rows: list = field(default_factory=list)
    rej_ref: list = field(default_factory=list)
    rej_reason: list = field(default_factory=list)
    rej_raw: list = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    counters: Counter = field(default_factory=Counter)
    notes: dict = field(default_factory=dict)
    assumptions: list = field(default_factory=list)
    #: (target native id, index of the moderation row)
    deleted_ids: list = field(default_factory=list)
    #: (author id, index of the moderation row): the author's events up to that row's time are marked deleted
    deleted_authors: list = field(default_factory=list)
    replacement_rows: set = field(default_factory=set)
    items: int = 0
    #: columns from a vectorized fast path (ROW_FIELDS, with `ref` an int), taken after `rows`; its optional `frags`
    #: column holds explicit fragment lists (the fragments' dtype, null for the implicit one)
    batch: pl.DataFrame | None = None
    #: how an int `ref` is written: "{prefix}{ref}{suffix}"; the default prefix is "{file_name}:" (a line number);
    #: a JSON array's fast path numbers its items ("{file_name}#[", "]")
    ref_prefix: str | None = None
    ref_suffix: str = ""

    @property
    def _prefix(self) -> str:
        return f"{self.file_name}:" if self.ref_prefix is None else self.ref_prefix

    def int_ref(self, ref: int) -> str:
        return f"{self._prefix}{ref}{self.ref_suffix}"

    def _int_refs(self, refs: pl.Series | pl.Expr) -> pl.Expr:
        return pl.lit(self._prefix) + refs.cast(pl.String) + pl.lit(self.ref_suffix)

    def add(self, ts: int | None, epoch: int | None, author: str | None, author_id: str | None, text: str,
            kind: str, frags: list[Frag] | None, amount: str | None, ref: str | int, key: str,
            native: str | None = None, echo: bool = False) -> int:
        """Append one event; returns its row index."""
        self.rows.append((ts, epoch, author, author_id, text, kind, frags, amount, ref, key, native, echo))
        return len(self.rows) - 1

    def reject(self, ref: str | int, reason: str, raw: bytes | str | Any) -> None:
        if isinstance(ref, int):
            ref = self.int_ref(ref)
        if isinstance(raw, bytes):
            raw = raw[: self.config.raw_max_chars * 4].decode("utf-8", "replace")
        elif not isinstance(raw, str):
            try:
                raw = json.dumps(raw, ensure_ascii=False)[: self.config.raw_max_chars * 2]
            except (TypeError, ValueError):
                raw = repr(raw)
        self.rej_ref.append(ref)
        self.rej_reason.append(reason)
        self.rej_raw.append(raw[: self.config.raw_max_chars].encode("utf-8", "replace").decode("utf-8"))

    def skip(self, what: str) -> None:
        self.skipped[what] += 1

    def delete_id(self, target: str | None, moderation_row: int) -> None:
        if target:
            self.deleted_ids.append((target, moderation_row))

    def delete_author(self, author_id: str | None, moderation_row: int) -> None:
        if author_id:
            self.deleted_authors.append((author_id, moderation_row))

    # -----------------------------------------------------------------------------------------------------------------

    def _offsets(self, ts: pl.Series, epoch: pl.Series) -> pl.Series:
        """Video offsets in ms: `ts` where known, else the wall clock minus the stream start (config, else the
        earliest wall-clock time of an event that has no offset)."""
        if not ts.null_count():
            return ts
        start = self.config.stream_start_epoch_ms
        if start is None:
            start = int(epoch.filter(ts.is_null()).min())  # type: ignore[arg-type]
            self.assumptions.append(
                f"stream start not given: the earliest wall-clock time in the file ({start} ms since epoch) is "
                "taken as video time 0")
            self.notes["stream_start_source"] = "earliest_event"
        else:
            self.notes["stream_start_source"] = "config"
        self.notes["stream_start_epoch_ms"] = start
        return pl.select(pl.coalesce(pl.lit(ts), pl.lit(epoch) - start).alias("ts")).to_series()

    def _deleted(self, frame: pl.DataFrame, ts: pl.Series) -> pl.Series | None:
        """Moderation marks: events whose native id a delete names, and an author's events up to the time of a
        timeout or ban of that author (moderation rows and replacements themselves are never marked)."""
        if not self.deleted_ids and not self.deleted_authors:
            return None
        idx = pl.int_range(pl.len())
        markable = (pl.col("kind") != "moderation") & ~idx.is_in(pl.Series(sorted(self.replacement_rows),
                                                                          dtype=pl.Int64).implode())
        work = frame.select(pl.col("native", "author_id", "kind")).with_columns(ts.alias("_ts"),
                                                                                markable.alias("_markable"))
        deleted = pl.repeat(False, frame.height, eager=True)
        if self.deleted_ids:
            targets = [t for t, _row in self.deleted_ids]
            hit = work.select(pl.col("_markable") & pl.col("native").is_in(pl.Series(targets).implode())
                              .fill_null(False)).to_series()  # an event without a native id is no target
            found = set(work.filter(hit)["native"].to_list())
            marked = sum(1 for t in targets if t in found)
            self.notes["delete_targets_found"] = marked
            self.notes["delete_targets_missing"] = len(targets) - marked
            deleted = deleted | hit
        else:
            self.notes["delete_targets_found"] = self.notes["delete_targets_missing"] = 0
        if self.deleted_authors:
            limits = pl.DataFrame({"author_id": [a for a, _row in self.deleted_authors],
                                   "_limit": ts.gather([row for _a, row in self.deleted_authors])},
                                  schema={"author_id": pl.String, "_limit": pl.Int64}) \
                .group_by("author_id").agg(pl.col("_limit").max())
            hit = work.join(limits, on="author_id", how="left", maintain_order="left").select(
                pl.col("_markable") & (pl.col("_ts") <= pl.col("_limit")).fill_null(False)).to_series()
            deleted = deleted | hit
        return deleted.alias("deleted")

    @staticmethod
    def _echoes(frame: pl.DataFrame) -> pl.Series:
        """True for ticker/banner echoes of a message that is in the file (same native id, kind, author, amount and
        text as a non-echo row; an empty author id counts as missing)."""
        who = pl.when(pl.col("author_id").is_null() | (pl.col("author_id") == "")).then(pl.col("author")) \
            .otherwise(pl.col("author_id"))
        sig = frame.select(pl.int_range(pl.len()).alias("_i"), pl.col("echo"), pl.col("native"), pl.col("kind"),
                           who.alias("_who"), pl.col("amount"), pl.col("text"))
        on = ["native", "kind", "_who", "amount", "text"]
        hits = sig.filter(pl.col("echo")).join(sig.filter(~pl.col("echo")).select(on).unique(), on=on, how="semi",
                                               nulls_equal=True)["_i"]
        return pl.select(pl.int_range(frame.height).is_in(hits.implode())).to_series()

    def _fragments(self, frags: tuple, n: int) -> pl.Series | None:
        """The explicit fragment lists as a List(Struct) series (null where the row has the implicit one)."""
        if frags.count(None) == n:
            return None
        flat = [f for fl in frags if fl is not None for f in fl]
        ends = list(accumulate((len(fl) if fl is not None else 0 for fl in frags), initial=0))
        f_type = [f[0] for f in flat]  # (not zip(*flat): unpacking a huge argument list is slow)
        f_text = [f[1] for f in flat]
        f_emote = [f[2] for f in flat]
        struct = pa.StructArray.from_arrays(
            [pl.Series(f_type, dtype=pl.String).to_arrow(), pl.Series(f_text, dtype=pl.String).to_arrow(),
             pl.Series(f_emote, dtype=pl.String).to_arrow()], names=["type", "text", "emote_id"])
        mask = pa.array([fl is None for fl in frags], pa.bool_())
        arr = pa.LargeListArray.from_arrays(pa.array(ends, pa.int64()), struct, mask=mask)
        return pl.Series("fragments", arr).cast(_FRAGMENT_DTYPE)

    def finish(self) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
        rows = self.rows
        n = len(rows)
        cols = dict(zip(ROW_FIELDS, zip(*rows, strict=True), strict=True)) if n else {k: () for k in ROW_FIELDS}
        self.rows = []  # the columns hold the data now
        try:
            refs = pl.select(self._int_refs(pl.Series(cols["ref"], dtype=pl.Int64))).to_series()
        except TypeError:  # some refs are JSON paths (strings)
            refs = pl.Series([r if isinstance(r, str) else self.int_ref(r) for r in cols["ref"]], dtype=pl.String)
        string_cols = ("author", "author_id", "text", "kind", "amount", "native")
        frame = pl.DataFrame({
            "ts": pl.Series(cols["ts"], dtype=pl.Int64), "epoch": pl.Series(cols["epoch"], dtype=pl.Int64),
            **{c: pl.Series(cols[c], dtype=pl.String) for c in string_cols},
            "echo": pl.Series(cols["echo"], dtype=pl.Boolean), "raw_ref": refs,
        })
        explicit = self._fragments(cols["frags"], n)
        ids = event_ids(self.video_id, self.source, cols["key"])
        line_order = None
        if self.batch is not None:  # columns from a vectorized fast path, after the rows
            if n:  # some lines took the row path: both carry line numbers, file order is restored below
                line_order = pl.concat([pl.Series(cols["ref"], dtype=pl.Int64), self.batch["ref"].cast(pl.Int64)])
            fast = self.batch.select(
                pl.col("ts", "epoch").cast(pl.Int64), *(pl.col(c).cast(pl.String) for c in string_cols),
                pl.col("echo").cast(pl.Boolean),
                self._int_refs(pl.col("ref")).alias("raw_ref"))
            frame = pl.concat([frame, fast]) if n else fast
            batch_frags = self.batch.get_column("frags") if "frags" in self.batch.columns else None
            if explicit is not None or batch_frags is not None:
                none = lambda k: pl.Series("fragments", [None] * k, dtype=_FRAGMENT_DTYPE)  # noqa: E731
                explicit = pl.concat([explicit if explicit is not None else none(n),
                                      batch_frags.cast(_FRAGMENT_DTYPE).alias("fragments")
                                      if batch_frags is not None else none(self.batch.height)])
            ids = pl.concat([ids, event_ids(self.video_id, self.source, self.batch["key"])])
            self.batch = None
        total = frame.height
        stats: dict[str, Any] = {}
        ts = self._offsets(frame["ts"], frame["epoch"])
        deleted = self._deleted(frame, ts)
        implicit = pl.when(pl.col("text") != "").then(pl.concat_list([pl.struct(
            pl.lit("text").alias("type"), pl.col("text").alias("text"),
            pl.lit(None, dtype=pl.String).alias("emote_id"))])).otherwise(pl.lit([], dtype=_FRAGMENT_DTYPE))
        frag_expr = implicit if explicit is None else pl.coalesce(pl.lit(explicit), implicit)
        events = frame.with_columns(
            pl.lit(self.video_id, dtype=pl.String).alias("video_id"), ids.alias("event_id"), ts.alias("ts_ms"),
            pl.lit(self.source, dtype=pl.String).alias("source"),
            (deleted if deleted is not None else pl.lit(False)).alias("deleted"),
            frag_expr.cast(_FRAGMENT_DTYPE).alias("fragments"))
        if line_order is not None:  # rows and fast-path columns of one line file: back into file order
            events = events.with_columns(line_order.alias("_line")).sort("_line", maintain_order=True)
        echoes = dups = 0
        if events["echo"].any():  # ticker/banner echoes of a message in the file
            echo = self._echoes(events)
            echoes = int(echo.sum())
            events = events.filter(~echo)
        if events.height and events["event_id"].n_unique() != events.height:  # exact duplicates: the first is kept
            first = events["event_id"].is_first_distinct()
            dups = events.height - int(first.sum())
            events = events.filter(first)
        events = events.select(list(EVENT_SCHEMA))
        if events.height and not events["ts_ms"].is_sorted():
            events = events.sort("ts_ms", maintain_order=True)
        rejects = pl.DataFrame({
            "video_id": pl.Series([self.video_id] * len(self.rej_ref), dtype=pl.String),
            "source": pl.Series([self.source] * len(self.rej_ref), dtype=pl.String),
            "raw_ref": pl.Series(self.rej_ref, dtype=pl.String),
            "reason": pl.Series(self.rej_reason, dtype=pl.String),
            "raw": pl.Series(self.rej_raw, dtype=pl.String),
        }, schema=REJECT_SCHEMA)
        kinds = events["kind"].value_counts().rows() if events.height else []
        stats.update({
            "items": self.items,
            "events_parsed": total,
            "events": events.height,
            "rejected": rejects.height,
            "duplicates_removed": dups + echoes,
            "exact_duplicates": dups,
            "ticker_echoes": echoes,
            "kinds": {k: int(c) for k, c in sorted(kinds)},
            "deleted": int(events["deleted"].sum()) if events.height else 0,
            "skipped": dict(sorted(self.skipped.items())),
            "reject_reasons": dict(Counter(r.split(":")[0] for r in self.rej_reason).most_common(10)),
        })
        stats.update(self.counters)
        stats.update(self.notes)
        stats["assumptions"] = list(self.assumptions)
        return events, rejects, stats


def open_container(src: Source, sink: Sink, text_lines: bool = False) -> tuple[str, Any]:
    """How to read a file that may be one JSON document or JSON Lines (or, with `text_lines`, plain text lines):
    ("doc", value), ("lines", None), or ("failed", None) after rejecting the whole file (it starts like one JSON
    document but does not decode)."""
    if src.layout == "lines":
        return "lines", None
    try:
        doc = src.doc()
    except ValueError as exc:
        if src.layout != "doc":
            seen = 0
            for _n, line in src.lines():
                line = line.strip()
                if not line:
                    continue
                seen += 1
                if text_lines and line[:1] not in (b"{", b"["):
                    return "lines", None
                try:
                    value = loads(line)[0]
                except ValueError:
                    value = None
                if not isinstance(value, (dict, list)):
                    if seen >= 50:
                        break
                    continue
                return "lines", None  # a record decodes on its own: JSON Lines (with malformed lines)
            else:
                if seen == 0:
                    return "lines", None  # nothing but blank lines
        sink.items += 1
        sink.reject(src.name, json_error(exc), b"")
        return "failed", None
    sink.counters["utf8_repaired_items"] += int(src.doc_repaired)
    return "doc", doc


def records(src: Source, sink: Sink, list_key: str | None = None) -> Iterator[tuple[str | int, Any]]:
    """(raw_ref, record) of a file holding records either as one JSON array (or an object whose `list_key` is the
    array) or as JSON Lines (raw_ref: the line number). Malformed lines are rejected here; each record yielded
    counts as an item."""
    name = src.name
    how, doc = open_container(src, sink)
    if how == "failed":
        return
    if how == "doc":
        items, path = doc, ""
        if isinstance(doc, dict) and list_key and isinstance(doc.get(list_key), list):
            items, path = doc[list_key], list_key
        if isinstance(items, list):
            for i, x in enumerate(items):
                sink.items += 1
                yield f"{name}#{path}[{i}]", x
        else:
            sink.items += 1
            yield name, items
        return
    repaired = 0
    for n, line in src.lines():
        if not line.strip():
            continue
        sink.items += 1
        try:
            obj, fixed = loads(line)
        except ValueError as exc:
            sink.reject(n, json_error(exc), line)
            continue
        repaired += fixed
        yield n, obj
    sink.counters["utf8_repaired_items"] += repaired
