"""Speakers: which speech is the streamer's own voice (no dagster here).

Public API:
- `label_speakers(audio_path, segments, config=None, ...) -> SpeakerResult` (segments with `speaker`/`streamer_p`,
  cut where the voice changes; stats with talk time per voice)
- `check_streamer_share(stats, min_share)`: the asset check's rule

Alignment answers from the streamer's segments only (`multimodal_pipeline.align.core.answer_speech`).
"""

from __future__ import annotations

from typing import Any

from multimodal_pipeline.speaker.diarize import CODE_VERSION, SpeakerResult, Voices, find_voices, label_speakers

__all__ = ["CODE_VERSION", "SpeakerResult", "Voices", "check_streamer_share", "find_voices", "label_speakers"]


def check_streamer_share(stats: dict[str, Any], min_share: float) -> tuple[bool, dict[str, Any]]:
    """Passes when a streamer's voice was found and holds at least `min_share` of the speech."""
    share = stats.get("streamer_share")
    meta = {"streamer_share": share, "min_streamer_share": min_share, "voices": stats.get("voices"),
            "talk_s": {k: round(v / 1000, 1) for k, v in (stats.get("talk_ms") or {}).items()},
            "streamer_found": stats.get("streamer_found")}
    if share is None:  # no speech at all: nothing to attribute (the coverage gate speaks for it)
        return True, meta
    return bool(stats.get("streamer_found")) and share >= min_share, meta
