"""Schemas and configs of every tier: pydantic record models and the Polars schemas derived from them (no I/O)."""

from multimodal_pipeline.contracts.base import Record, empty_frame, frame_from_records, polars_schema
from multimodal_pipeline.contracts.records import (
    TIER_RECORDS,
    AdapterCheckpoint,
    AlignedPair,
    Audio,
    ChatEvent,
    CuratedSample,
    EvalMetric,
    Fragment,
    Message,
    RawVideo,
    STREAMER,
    SpeechSegment,
    Word,
)
from multimodal_pipeline.contracts.validate import ContractError, validate

__all__ = [
    "TIER_RECORDS", "AdapterCheckpoint", "AlignedPair", "Audio", "ChatEvent", "ContractError", "CuratedSample",
    "EvalMetric", "Fragment", "Message", "RawVideo", "Record", "STREAMER", "SpeechSegment", "Word", "empty_frame",
    "frame_from_records", "polars_schema", "validate",
]
