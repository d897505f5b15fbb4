"""Configuration of the `chat_events` tier: how chat logs are parsed and judged (no I/O).

`ChatConfig` is passed to `multimodal_pipeline.chat.parse_chat` and to the chat asset checks. Every field has a
default, so `ChatConfig()` parses every auto-detected format; the generic JSONL/CSV adapter reads its column mapping
from `generic` (see docs/chat.md).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class GenericColumns(BaseModel):
    """Column mapping of the generic JSONL / JSON-array / CSV adapter.

    `ts` is required in every row, and so is `text`; the other columns are optional (a missing column or an empty
    cell gives null). Set an optional column to None to ignore it even when present.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    ts: str = "ts_ms"
    #: unit of the `ts` column: milliseconds, seconds (float allowed), micro- or nanoseconds, or ISO-8601 text
    ts_unit: Literal["ms", "s", "us", "ns", "iso"] = "ms"
    #: "video": ts counts from the start of the video; "epoch": ts is wall-clock time (Unix epoch), converted with
    #: `ChatConfig.stream_start_epoch_ms` (or, when that is absent, the earliest event, recorded as an assumption).
    #: ISO timestamps are always wall-clock.
    ts_origin: Literal["video", "epoch"] = "video"
    text: str = "text"
    author: str | None = "author"
    author_id: str | None = "author_id"
    #: the source's own message id: the event id is derived from it (else from the whole row)
    id: str | None = "id"
    #: optional event kind column; values must be one of `ChatEvent.KINDS` (empty → "message")
    kind: str | None = "kind"
    amount: str | None = "amount"
    #: CSV only: field delimiter
    delimiter: str = ","


class ChatConfig(BaseModel):
    """How chat logs are parsed and which thresholds the chat checks apply."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: wall-clock time (Unix epoch, ms) of the first frame of the video. Sources that carry only wall-clock times
    #: (Twitch IRC, live YouTube captures, chat-downloader live captures, generic with ts_origin="epoch") subtract it.
    #: When None, the earliest event of the file is taken as the start and the assumption is recorded in the stats.
    stream_start_epoch_ms: int | None = None
    #: added to every event's ts_ms after parsing: a known delay between the chat's clock and the video's (per video
    #: on the inbox line: `chat_offset=-2.5s`)
    offset_ms: int = 0
    generic: GenericColumns = Field(default_factory=GenericColumns)
    #: Twitch CLEARCHAT aimed at one user (timeout/ban) and chat-downloader ban_user/timeout_user events mark that
    #: user's earlier messages deleted, like YouTube's markChatItemsByAuthorAsDeletedAction does
    timeouts_delete_messages: bool = True
    #: rejected raw input is kept, truncated to this many characters
    raw_max_chars: int = Field(default=500, ge=16)
    #: completeness: a silence longer than this between two chat messages counts as a gap
    gap_threshold_ms: int = Field(default=120_000, gt=0)
    #: check: events may lie this far before 0 or after the end of the video
    ts_tolerance_ms: int = Field(default=5_000, ge=0)
    #: check: the largest share of events outside the video (with the tolerance) that still passes
    max_outside_share: float = Field(default=0.0, ge=0.0, le=1.0)
    #: check: rejected items / (events + rejected items) must stay at or below this
    max_reject_rate: float = Field(default=0.01, ge=0.0, le=1.0)
