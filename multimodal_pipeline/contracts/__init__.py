"""Schemas and configs of every tier: pydantic record models and the Polars schemas derived from them (no I/O).

The names below are imported on first use, so that one config module (`contracts.config`, which the audio
extraction's command line needs) comes without Polars and every record model."""

from __future__ import annotations

from multimodal_pipeline.lazy import lazy_exports

_WHERE = {
    "Record": "base", "empty_frame": "base", "frame_from_records": "base", "polars_schema": "base",
    "ContractError": "validate", "validate": "validate",
    **{name: "records" for name in (
        "TIER_RECORDS", "AdapterCheckpoint", "AlignedPair", "Audio", "ChatEvent", "CuratedSample", "EvalMetric",
        "Fragment", "Message", "RawVideo", "STREAMER", "SpeechSegment", "Word")},
}
__all__ = sorted(_WHERE)
__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())
