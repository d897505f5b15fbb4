"""Pure QA checks of a speech-segment table, for the `speech_segments` asset checks.

Each returns `(passed, metadata)` where metadata holds plain JSON values (counts, rates, probabilities).
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from multimodal_pipeline.asr.guards import REASONS, flag_repeats_previous
from multimodal_pipeline.contracts.asr_config import GateConfig

CheckResult = tuple[bool, dict[str, Any]]


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), digits)


def speech_ms(segments: pl.DataFrame) -> int:
    """Length of the union of the segments' [start_ms, end_ms) intervals."""
    total, cur_s, cur_e = 0, None, None
    for s, e in segments.select("start_ms", "end_ms").sort("start_ms").iter_rows():
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None:
        total += cur_e - cur_s
    return int(total)


def summary(segments: pl.DataFrame) -> dict[str, Any]:
    """Counts and mean probabilities of a segment table."""
    words = segments.select(pl.col("words").explode()).unnest("words").drop_nulls("word") if segments.height else None
    n_words = 0 if words is None else words.height
    return {
        "segments": segments.height,
        "words": n_words,
        "mean_word_prob": _r(words["prob"].mean()) if n_words else None,
        "mean_avg_logprob": _r(segments["avg_logprob"].mean()) if segments.height else None,
        "mean_token_prob": _r(segments["avg_logprob"].exp().mean()) if segments.height else None,
        "mean_no_speech_prob": _r(segments["no_speech_prob"].mean()) if segments.height else None,
        "mean_compression_ratio": _r(segments["compression_ratio"].mean()) if segments.height else None,
    }


def check_timestamps(segments: pl.DataFrame, audio_ms: int, tolerance_ms: int = 0) -> CheckResult:
    """Segment and word times are non-negative, each start <= its end, segments ordered, all inside the audio."""
    rows = segments.select("start_ms", "end_ms", "words").to_dicts()
    negative = sum(1 for r in rows if r["start_ms"] < 0) + sum(
        1 for r in rows for w in r["words"] or [] if w["start_ms"] < 0)
    inverted = sum(1 for r in rows if r["end_ms"] < r["start_ms"]) + sum(
        1 for r in rows for w in r["words"] or [] if w["end_ms"] < w["start_ms"])
    unordered = sum(1 for a, b in zip(rows, rows[1:]) if b["start_ms"] < a["start_ms"])
    limit = audio_ms + tolerance_ms
    beyond = sum(1 for r in rows if r["end_ms"] > limit) + sum(
        1 for r in rows for w in r["words"] or [] if w["end_ms"] > limit)
    passed = negative == inverted == unordered == beyond == 0
    return passed, {
        "segments": len(rows), "negative": negative, "end_before_start": inverted, "out_of_order": unordered,
        "beyond_audio": beyond, "audio_ms": int(audio_ms),
        "max_end_ms": int(max((r["end_ms"] for r in rows), default=0)),
    }


def check_words_inside_segments(segments: pl.DataFrame, tolerance_ms: int = 200) -> CheckResult:
    """Every word lies inside its segment's [start_ms, end_ms], give or take `tolerance_ms`."""
    n_words, outside, worst = 0, 0, 0
    for s, e, words in segments.select("start_ms", "end_ms", "words").iter_rows():
        for w in words or []:
            n_words += 1
            over = max(s - w["start_ms"], w["end_ms"] - e, 0)
            worst = max(worst, over)
            if over > tolerance_ms:
                outside += 1
    segs_without_words = int(segments.filter(pl.col("words").list.len() == 0).height)
    return outside == 0, {
        "words": n_words, "words_outside": outside, "max_overshoot_ms": int(worst), "tolerance_ms": tolerance_ms,
        "segments_without_words": segs_without_words,
    }


def check_speech_coverage(segments: pl.DataFrame, audio_ms: int, min_coverage: float = 0.05) -> CheckResult:
    """Speech seconds (union of kept segments) over audio seconds is at least `min_coverage`."""
    speech = speech_ms(segments)
    coverage = speech / audio_ms if audio_ms > 0 else 0.0
    return coverage >= min_coverage, {
        "speech_s": round(speech / 1000, 3), "audio_s": round(audio_ms / 1000, 3), "coverage": _r(coverage),
        "min_coverage": min_coverage, **summary(segments),
    }


def check_reject_share(segments: pl.DataFrame, rejects: pl.DataFrame, max_share: float = 0.25) -> CheckResult:
    """The share of segments the guards rejected is at most `max_share`."""
    total = segments.height + rejects.height
    share = rejects.height / total if total else 0.0
    by_reason = {r: 0 for r in REASONS}
    if rejects.height:
        for reason, n in rejects.group_by("reason").len().iter_rows():
            by_reason[reason] = int(n)
    return share <= max_share, {
        "kept": segments.height, "rejected": rejects.height, "reject_share": _r(share), "max_share": max_share,
        "rejected_by_reason": by_reason,
    }


def check_no_repeats(segments: pl.DataFrame, min_words: int = 2) -> CheckResult:
    """No segment's normalized text equals the previous segment's (with at least `min_words` words)."""
    ordered = segments.sort("start_ms", "end_ms", maintain_order=True)
    flags = flag_repeats_previous(ordered, min_words)
    hits = flags.is_not_null()
    examples = ordered.filter(hits)["text"].head(3).to_list()
    return int(hits.sum()) == 0, {"segments": segments.height, "repeats": int(hits.sum()), "examples": examples}


def run_checks(
    segments: pl.DataFrame,
    rejects: pl.DataFrame,
    audio_ms: int,
    gates: GateConfig | None = None,
    stats: dict[str, Any] | None = None,
    repeat_min_words: int = 2,
) -> dict[str, CheckResult]:
    """All checks by name; `stats` (from `TranscriptionResult.stats`) adds the real-time factor to the metadata."""
    gates = gates or GateConfig()
    results = {
        "timestamps_valid": check_timestamps(segments, audio_ms, gates.timestamp_tolerance_ms),
        "words_inside_segments": check_words_inside_segments(segments, gates.word_tolerance_ms),
        "speech_coverage": check_speech_coverage(segments, audio_ms, gates.min_speech_coverage),
        "reject_share": check_reject_share(segments, rejects, gates.max_reject_share),
        "no_repeated_segments": check_no_repeats(segments, repeat_min_words),
    }
    if stats:
        extra = {k: stats.get(k) for k in ("real_time_factor", "speed_x", "model_id", "cache_hit") if k in stats}
        results = {name: (ok, {**meta, **extra}) for name, (ok, meta) in results.items()}
    return results
