"""Format detection by content: the first record decides, never the file name.

1. Empty (or whitespace-only) file → "empty".
2. Up to the first 50 non-blank lines are looked at one by one: a line that is a complete JSON value is classified by
   its shape (the sniff function of each adapter, in FORMATS order); a line that looks like a Twitch IRC line means
   twitch_irc; the first line may also be a CSV header holding the generic mapping's ts and text columns.
   A classified line whose value is the whole file (one-line JSON) is handed over already decoded.
3. Otherwise, when the file starts with `{` or `[`, it is decoded as one JSON document (pretty-printed files) and the
   document is classified.
4. Nothing matched: ChatFormatError naming the file and every format tried.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

from multimodal_pipeline.chat import chat_downloader, generic, twitch_comments, twitch_irc, youtube_api
from multimodal_pipeline.chat import ytdlp_live_chat
from multimodal_pipeline.chat._core import BOM, ChatFormatError, Source, decode_text, json_error, loads
from multimodal_pipeline.contracts.chat_config import ChatConfig

#: every format, in detection order
FORMATS: tuple[str, ...] = (
    ytdlp_live_chat.FORMAT, youtube_api.FORMAT, chat_downloader.FORMAT, chat_downloader.FORMAT_LEGACY,
    twitch_comments.FORMAT, twitch_irc.FORMAT, generic.FORMAT_JSONL, generic.FORMAT_CSV,
)

_MAX_SNIFF_LINES = 50


def _classify_value(value: Any, config: ChatConfig, one_line: bool) -> str | None:
    """Format of a decoded JSON value: a JSON Lines record (one_line) or a whole document."""
    sniffers: list[tuple[str, Callable[[Any], bool]]] = [
        (youtube_api.FORMAT, youtube_api.sniff),
        (twitch_comments.FORMAT, twitch_comments.sniff),
        (twitch_irc.FORMAT, twitch_irc.sniff),
        (chat_downloader.FORMAT, chat_downloader.sniff),
        (chat_downloader.FORMAT_LEGACY, chat_downloader.sniff_legacy),
        (generic.FORMAT_JSONL, lambda v: generic.sniff_jsonl(v, config)),
    ]
    if one_line and ytdlp_live_chat.sniff(value):
        return ytdlp_live_chat.FORMAT
    for fmt, sniff in sniffers:
        if sniff(value):
            return fmt
    return None


def detect(path: Path, config: ChatConfig) -> tuple[str, Source]:
    """(format name, Source prepared for the adapter). Raises ChatFormatError."""
    src = Source(path)
    one_line = _one_line_document(src, config)
    if one_line is not None:
        return one_line, src
    if src.is_utf16():
        lines_iter = enumerate(src.raw_bytes().split(b"\n"), 1)
    else:
        lines_iter = src.lines()
    first: bytes | None = None
    n_lines = 0
    it = iter(lines_iter)
    for _n, line in it:
        if not line.strip():
            continue
        n_lines += 1
        if first is None:
            first = line.strip()
        stripped = line.strip()
        if stripped[:1] in (b"{", b"["):
            try:
                value, _ = loads(stripped)
            except ValueError:
                value = None
            else:
                fmt = _classify_value(value, config, one_line=True)
                if fmt is not None:
                    if n_lines == 1 and not any(rest.strip() for _m, rest in it):
                        src.parsed, src.has_parsed, src.layout = value, True, "doc"
                        return _classify_value(value, config, one_line=False) or fmt, src
                    src.layout = "lines"
                    return fmt, src
        else:
            text, _ = decode_text(stripped)
            if twitch_irc.looks_like_irc(text):
                src.layout = "lines"
                return twitch_irc.FORMAT, src
            if n_lines == 1:
                try:
                    header = next(csv.reader([text], delimiter=config.generic.delimiter))
                except csv.Error:
                    header = []
                if generic.sniff_csv_header([h.strip() for h in header], config):
                    src.layout = "lines"
                    return generic.FORMAT_CSV, src
        if n_lines >= _MAX_SNIFF_LINES:
            break
    if first is None:
        return "empty", src
    if first[:1] in (b"{", b"["):
        try:
            doc = src.doc()
        except ValueError as exc:
            raise ChatFormatError(path, f"starts like JSON but is neither JSON Lines of a known format nor one "
                                        f"JSON document ({json_error(exc)})", FORMATS) from None
        src.layout = "doc"
        if isinstance(doc, list) and not doc:
            return "empty", src
        fmt = _classify_value(doc, config, one_line=False)
        if fmt is not None:
            return fmt, src
        raise ChatFormatError(path, f"JSON document of an unknown shape ({_shape(doc)})", FORMATS)
    raise ChatFormatError(path, f"unknown chat format (first line: {first[:80]!r})", FORMATS)


_BIG_LINE = 1 << 20


def _one_line_document(src: Source, config: ChatConfig) -> str | None:
    """The format of a file that is one JSON document on one long line (its first MiB holds no line break), decoded
    straight from the file's bytes and handed over (reading a line that long through `lines()` costs more than its
    decoding's tenth); None: not such a file, or not classified (the line-by-line detection below decides)."""
    if src.is_utf16():
        return None
    with open(src.path, "rb") as f:
        head = f.read(_BIG_LINE)
    if len(head) < _BIG_LINE or b"\n" in head or head.lstrip(BOM + b" \t\r")[:1] not in (b"{", b"["):
        return None
    data = src.raw_bytes()
    nl = data.find(b"\n")
    if nl >= 0 and data[nl + 1:].strip():
        return None  # more lines follow: JSON Lines with a long first line
    try:
        value, repaired = loads(data if nl < 0 else data[:nl])
    except ValueError:
        return None
    fmt = _classify_value(value, config, one_line=True)
    if fmt is None:
        return None
    src.parsed, src.has_parsed, src.doc_repaired, src.layout = value, True, repaired, "doc"
    return _classify_value(value, config, one_line=False) or fmt


def _shape(doc: Any) -> str:
    if isinstance(doc, dict):
        return "object with keys " + ", ".join(list(doc)[:8])
    if isinstance(doc, list):
        return f"array of {type(doc[0]).__name__}" if doc else "empty array"
    return type(doc).__name__
