"""`parse_chat`: one chat file of any supported format → the ChatEvent table, its rejects and parse statistics."""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from multimodal_pipeline.chat import chat_downloader, generic, twitch_comments, twitch_irc, youtube_api
from multimodal_pipeline.chat import ytdlp_live_chat
from multimodal_pipeline.chat._core import JSON_DECODER, ChatFormatError, Sink, Source
from multimodal_pipeline.chat.detect import FORMATS, detect
from multimodal_pipeline.contracts.chat_config import ChatConfig

ADAPTERS: dict[str, Callable[[Source, Sink], None]] = {
    ytdlp_live_chat.FORMAT: ytdlp_live_chat.parse,
    youtube_api.FORMAT: youtube_api.parse,
    chat_downloader.FORMAT: chat_downloader.parse,
    chat_downloader.FORMAT_LEGACY: chat_downloader.parse_legacy,
    twitch_comments.FORMAT: twitch_comments.parse,
    twitch_irc.FORMAT: twitch_irc.parse,
    generic.FORMAT_JSONL: generic.parse_jsonl,
    generic.FORMAT_CSV: generic.parse_csv,
}
assert tuple(ADAPTERS) == FORMATS


@dataclass(frozen=True)
class ChatParseResult:
    """What `parse_chat` returns.

    events: the ChatEvent table (contract columns, sorted by ts_ms, unique event_id);
    rejects: `video_id, source, raw_ref, reason, raw` (raw truncated), one row per unusable line/item;
    format: the format name (detected or given; "empty" for an empty file);
    stats: plain-JSON counts: items read, events, rejected, duplicates removed (exact + ticker echoes), per-kind
    counts, deleted, skipped (known non-chat actions), stream start and the assumptions made.
    """

    events: pl.DataFrame
    rejects: pl.DataFrame
    format: str
    stats: dict[str, Any] = field(default_factory=dict)


def parse_chat(path: str | Path, video_id: str, fmt: str | None = None,
               config: ChatConfig | dict | None = None) -> ChatParseResult:
    """Parse one chat log into normalized chat events.

    `fmt` None detects the format by content (see `multimodal_pipeline.chat.detect`); otherwise it must be one of
    `FORMATS`. Raises ChatFormatError for an unknown format and FileNotFoundError for a missing file; malformed lines
    or items never raise: they become reject rows with the file, line (or JSON path) and the reason.
    """
    path = Path(path)
    cfg = config if isinstance(config, ChatConfig) else ChatConfig.model_validate(config or {})
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such chat file")
    if fmt is not None and fmt not in ADAPTERS:
        raise ChatFormatError(path, f"unknown format name {fmt!r}", FORMATS)
    # millions of small decoded values and row tuples hold no reference cycles: pausing the cyclic GC while the file
    # is decoded (the detector decodes a JSON document whole) and its rows are built and turned into columns saves
    # repeated full-heap scans (about a third of the time on large files)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        fmt, src = detect(path, cfg) if fmt is None else (fmt, Source(path))
        sink = Sink(video_id=video_id, source=fmt, file_name=path.name, config=cfg)
        if fmt != "empty":
            ADAPTERS[fmt](src, sink)
        events, rejects, stats = sink.finish()
    finally:
        if gc_was_enabled:
            gc.enable()
    stats = {"format": fmt, "file": path.name, "json_decoder": JSON_DECODER, **stats}
    if cfg.offset_ms:  # a known delay between the chat's clock and the video's
        events = events.with_columns(pl.col("ts_ms") + cfg.offset_ms)
        stats["offset_ms"] = cfg.offset_ms
    return ChatParseResult(events=events, rejects=rejects, format=fmt, stats=stats)
