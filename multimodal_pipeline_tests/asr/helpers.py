"""Crafted segment tables and the paths of the real fixtures (shared/ beside the repository checkout)."""

from __future__ import annotations


import polars as pl

from multimodal_pipeline.contracts import SpeechSegment, polars_schema
from multimodal_pipeline_tests.real_fixtures import real_fixture

__all__ = ["real_fixture"]

JFK_FLAC = "openai__whisper/jfk.flac"
JFK_WAV = "ggerganov__whisper.cpp/jfk.wav"
JFK_REFERENCE = ("And so my fellow Americans, ask not what your country can do for you, "
                 "ask what you can do for your country.")


def words_for(text: str, start_ms: int, end_ms: int, prob: float = 0.9) -> list[dict]:
    """Evenly spaced words over [start_ms, end_ms]."""
    tokens = text.split()
    if not tokens:
        return []
    step = (end_ms - start_ms) / len(tokens)
    return [{"word": t, "start_ms": int(start_ms + i * step), "end_ms": int(start_ms + (i + 1) * step), "prob": prob}
            for i, t in enumerate(tokens)]


def seg(start_ms: int, end_ms: int, text: str, *, words: list[dict] | None = None, avg_logprob: float = -0.2,
        no_speech_prob: float = 0.05, compression_ratio: float = 1.3, prob: float = 0.9) -> dict:
    return {
        "video_id": "v", "segment_id": "", "start_ms": start_ms, "end_ms": end_ms, "text": text,
        "words": words if words is not None else words_for(text, start_ms, end_ms, prob),
        "avg_logprob": avg_logprob, "no_speech_prob": no_speech_prob, "compression_ratio": compression_ratio,
    }


def table(*rows: dict) -> pl.DataFrame:
    rows = [{**r, "segment_id": r["segment_id"] or f"v:{i:05d}"} for i, r in enumerate(rows)]
    return pl.DataFrame(rows, schema=polars_schema(SpeechSegment))
