"""Existing subtitles (SRT) as speech segments: the same contract as the ASR's output, word times spread evenly over
each cue (the cue carries no word timing). Used for real transcripts in evaluation (the null test)."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from multimodal_pipeline.contracts import SpeechSegment, frame_from_records

_TIME = re.compile(r"^(\d+):(\d\d):(\d\d)[,.](\d{3})\s*-->\s*(\d+):(\d\d):(\d\d)[,.](\d{3})")


class SubtitleError(ValueError):
    def __init__(self, path: str | Path, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")


def _ms(h: str, m: str, s: str, ms: str) -> int:
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)


def srt_segments(path: str | Path, video_id: str, start_ms: int = 0, end_ms: int | None = None) -> pl.DataFrame:
    """The cues of an SRT file starting in [start_ms, end_ms) as SpeechSegment rows (times shifted by -start_ms)."""
    rows = []
    lines = Path(path).read_text(encoding="utf-8-sig", errors="replace").splitlines()
    i = 0
    while i < len(lines):
        m = _TIME.match(lines[i].strip())
        if not m:
            i += 1
            continue
        a, b = _ms(*m.groups()[:4]), _ms(*m.groups()[4:])
        if b < a:
            raise SubtitleError(path, i + 1, "cue ends before it starts")
        text_lines = []
        i += 1
        while i < len(lines) and lines[i].strip():
            text_lines.append(lines[i].strip())
            i += 1
        text = " ".join(text_lines)
        if not text or a < start_ms or (end_ms is not None and a >= end_ms):
            continue
        words = text.split()
        step = (b - a) / max(1, len(words))
        rows.append({
            "video_id": video_id, "segment_id": f"{video_id}-srt{len(rows):06d}", "start_ms": a - start_ms,
            "end_ms": b - start_ms, "text": text,
            "words": [{"word": w, "start_ms": a - start_ms + round(k * step),
                       "end_ms": a - start_ms + max(round((k + 1) * step), round(k * step) + 1), "prob": 1.0}
                      for k, w in enumerate(words)],
            "avg_logprob": 0.0, "no_speech_prob": 0.0, "compression_ratio": 1.0})
    return frame_from_records(SpeechSegment, rows)
