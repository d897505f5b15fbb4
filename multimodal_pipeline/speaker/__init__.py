"""Speakers: which speech is the streamer's own voice (no dagster here).

Public API:
- `label_speakers(audio_path, segments, config=None, ...) -> SpeakerResult` (segments with `speaker`/`streamer_p`,
  cut where the voice changes; stats with talk time per voice)
- `check_streamer_share(stats, min_share)`: the asset check's rule
- `streamer_speech(segments)`: the segments of the streamer's voice (what alignment answers from)
"""

from __future__ import annotations

from typing import Any

import polars as pl

from multimodal_pipeline.contracts import STREAMER
from multimodal_pipeline.speaker.diarize import CODE_VERSION, SpeakerResult, Voices, find_voices, label_speakers

__all__ = ["CODE_VERSION", "SpeakerResult", "Voices", "check_streamer_share", "find_voices", "label_speakers",
           "streamer_speech"]


def streamer_speech(segments: pl.DataFrame) -> pl.DataFrame:
    """Only the streamer's segments (every segment when speakers were not told apart: all are labelled streamer)."""
    return segments.filter(pl.col("speaker") == STREAMER) if "speaker" in segments.columns else segments


def check_streamer_share(stats: dict[str, Any], min_share: float) -> tuple[bool, dict[str, Any]]:
    """Passes when a streamer's voice was found and holds at least `min_share` of the speech."""
    share = stats.get("streamer_share")
    meta = {"streamer_share": share, "min_streamer_share": min_share, "voices": stats.get("voices"),
            "talk_s": {k: round(v / 1000, 1) for k, v in (stats.get("talk_ms") or {}).items()},
            "streamer_found": stats.get("streamer_found")}
    if share is None:  # no speech at all: nothing to attribute (the coverage gate speaks for it)
        return True, meta
    return bool(stats.get("streamer_found")) and share >= min_share, meta
