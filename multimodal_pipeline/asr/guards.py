"""Hallucination and loop guards: pure functions on speech-segment tables.

Each `flag_*` function takes a segment table (the `SpeechSegment` columns, sorted by `start_ms`) and returns a
String Series aligned with its rows: null where the segment passes, else a short human-readable detail.
`apply_guards` runs them in a fixed order and splits the table into kept segments and rejects, each reject
carrying the `reason` (the guard's code) and its `detail`. Nothing is ever dropped without a row in the rejects.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from multimodal_pipeline.asr.wer import normalize_words
from multimodal_pipeline.contracts.asr_config import GuardConfig

EMPTY = "empty"
NO_SPEECH = "no_speech"
LOW_LOGPROB = "low_logprob"
COMPRESSION_RATIO = "compression_ratio"
NGRAM_LOOP = "ngram_loop"
WORDS_IN_SILENCE = "words_in_silence"
REPEATS_PREVIOUS = "repeats_previous"

#: guard codes in the order `apply_guards` runs them
REASONS: tuple[str, ...] = (
    EMPTY, NO_SPEECH, LOW_LOGPROB, COMPRESSION_RATIO, NGRAM_LOOP, WORDS_IN_SILENCE, REPEATS_PREVIOUS,
)

SpeechRegions = Sequence[tuple[int, int]]


def _details(values: list[str | None]) -> pl.Series:
    return pl.Series("detail", values, dtype=pl.String)


# --- per-segment guards ------------------------------------------------------------------------------------------


def flag_empty(df: pl.DataFrame) -> pl.Series:
    """Segments with no words at all after normalization (e.g. only punctuation or music symbols)."""
    return _details(["no words" if not normalize_words(t) else None for t in df["text"].to_list()])


def flag_no_speech(df: pl.DataFrame, no_speech_prob_max: float | None, logprob_min: float) -> pl.Series:
    """Whisper's silence rule: the model says "no speech" and is unsure of the text it produced."""
    if no_speech_prob_max is None:
        return _details([None] * df.height)
    out = []
    for nsp, lp in zip(df["no_speech_prob"].to_list(), df["avg_logprob"].to_list(), strict=True):
        bad = nsp > no_speech_prob_max and lp < logprob_min
        out.append(f"no_speech_prob {nsp:.2f} > {no_speech_prob_max} and avg_logprob {lp:.2f} < {logprob_min}"
                   if bad else None)
    return _details(out)


def flag_low_logprob(df: pl.DataFrame, avg_logprob_floor: float | None) -> pl.Series:
    if avg_logprob_floor is None:
        return _details([None] * df.height)
    return _details([f"avg_logprob {lp:.2f} < {avg_logprob_floor}" if lp < avg_logprob_floor else None
                     for lp in df["avg_logprob"].to_list()])


def flag_compression_ratio(df: pl.DataFrame, compression_ratio_max: float | None) -> pl.Series:
    """Highly compressible text is repetitive text: Whisper's own decoding-failure signal."""
    if compression_ratio_max is None:
        return _details([None] * df.height)
    return _details([f"compression_ratio {cr:.2f} > {compression_ratio_max}" if cr > compression_ratio_max else None
                     for cr in df["compression_ratio"].to_list()])


def longest_tandem_repeat(tokens: Sequence[str], max_n: int) -> tuple[int, tuple[str, ...]]:
    """The most back-to-back copies of any n-gram (n <= max_n) in `tokens`: (copies, n-gram)."""
    best: tuple[int, tuple[str, ...]] = (1 if tokens else 0, tuple(tokens[:1]))
    length = len(tokens)
    for n in range(1, max_n + 1):
        i = 0
        while i + 2 * n <= length:
            gram = tuple(tokens[i:i + n])
            copies, j = 1, i + n
            while j + n <= length and tuple(tokens[j:j + n]) == gram:
                copies += 1
                j += n
            if copies > best[0]:
                best = (copies, gram)
            i += n * (copies - 1) + 1 if copies > 1 else 1
    return best


def flag_ngram_loop(df: pl.DataFrame, max_ngram_repeats: int | None, ngram_max_n: int = 6) -> pl.Series:
    """Decoder loops inside one segment: an n-gram repeated back to back more than `max_ngram_repeats` times."""
    if max_ngram_repeats is None:
        return _details([None] * df.height)
    out = []
    for text in df["text"].to_list():
        copies, gram = longest_tandem_repeat(normalize_words(text), ngram_max_n)
        out.append(f"'{' '.join(gram)}' x{copies} > {max_ngram_repeats}" if copies > max_ngram_repeats else None)
    return _details(out)


# --- guards that look at neighbours ------------------------------------------------------------------------------


def word_anomaly(word: dict[str, Any]) -> float:
    """OpenAI Whisper's word anomaly score: improbable, implausibly short or implausibly long words."""
    duration_s = (word["end_ms"] - word["start_ms"]) / 1000
    score = 0.0
    if word["prob"] < 0.15:
        score += 1.0
    if duration_s < 0.133:
        score += (0.133 - duration_s) * 15
    if duration_s > 2.0:
        score += duration_s - 2.0
    return score


def _segment_is_anomalous(words: list[dict[str, Any]]) -> bool:
    words = words[:8]
    if not words:
        return False
    score = sum(word_anomaly(w) for w in words)
    return score >= 3 or score + 0.01 >= len(words)


def _silent_gaps(regions: SpeechRegions, long_silence_ms: int) -> list[tuple[int, int]]:
    """Non-speech stretches at least `long_silence_ms` long between (and before) the speech regions."""
    gaps, cursor = [], 0
    for start, end in sorted(regions):
        if start - cursor >= long_silence_ms:
            gaps.append((cursor, start))
        cursor = max(cursor, end)
    gaps.append((cursor, 1 << 62))  # after the last region: silence to the end
    return gaps


def _in_gap(ms: float, gaps: list[tuple[int, int]], starts: list[int]) -> bool:
    i = bisect.bisect_right(starts, ms) - 1
    return i >= 0 and gaps[i][0] <= ms < gaps[i][1]


def flag_words_in_silence(
    df: pl.DataFrame,
    long_silence_ms: int | None,
    max_word_ms: int = 3000,
    max_words_in_silence: int = 2,
    speech_regions: SpeechRegions | None = None,
    audio_ms: int | None = None,
) -> pl.Series:
    """Words placed in long silences: the classic "Thank you." hallucinated over a pause or music.

    A word is *in silence* when its midpoint lies in a non-speech stretch of at least `long_silence_ms` between
    the `speech_regions` (VAD), or, without regions, when it lasts longer than `max_word_ms` (Whisper smears a
    hallucinated word over the silence). A segment is flagged when more than `max_words_in_silence` of its words
    (or all of them) are in silence, or when it is isolated by long silences on both sides (gaps to the
    neighbouring segments, audio edges count) and its words are anomalous by Whisper's word anomaly score
    (improbable, implausibly short or long words; the rule of `hallucination_silence_threshold`).
    """
    if long_silence_ms is None:
        return _details([None] * df.height)
    rows = df.select("start_ms", "end_ms", "words").to_dicts()
    gaps = _silent_gaps(speech_regions, long_silence_ms) if speech_regions is not None else None
    gap_starts = [g[0] for g in gaps] if gaps else []
    out: list[str | None] = []
    for k, row in enumerate(rows):
        words = row["words"] or []
        if gaps is not None:
            silent = [w for w in words if _in_gap((w["start_ms"] + w["end_ms"]) / 2, gaps, gap_starts)]
            how = f"outside VAD speech (silences >= {long_silence_ms} ms)"
        else:
            silent = [w for w in words if w["end_ms"] - w["start_ms"] > max_word_ms]
            how = f"longer than {max_word_ms} ms"
        if silent and (len(silent) > max_words_in_silence or len(silent) == len(words)):
            sample = ", ".join(f"'{w['word']}'@{w['start_ms']}-{w['end_ms']}" for w in silent[:3])
            out.append(f"{len(silent)}/{len(words)} words {how}: {sample}")
            continue
        prev_end = rows[k - 1]["end_ms"] if k > 0 else 0
        if k + 1 < len(rows):
            next_start = rows[k + 1]["start_ms"]
        else:
            next_start = audio_ms if audio_ms is not None else row["end_ms"] + long_silence_ms
        first = words[0]["start_ms"] if words else row["start_ms"]
        last = words[-1]["end_ms"] if words else row["end_ms"]
        isolated = first - prev_end >= long_silence_ms and next_start - last >= long_silence_ms
        if isolated and _segment_is_anomalous(words):
            out.append(f"isolated by silences >= {long_silence_ms} ms with anomalous words "
                       f"(score {sum(word_anomaly(w) for w in words[:8]):.1f} over {min(len(words), 8)} words)")
        else:
            out.append(None)
    return _details(out)


def flag_repeats_previous(df: pl.DataFrame, repeat_min_words: int = 2) -> pl.Series:
    """A segment whose normalized text equals the previous segment's: a loop across decoding windows."""
    out: list[str | None] = []
    previous: list[str] | None = None
    for text in df["text"].to_list():
        words = normalize_words(text)
        out.append(f"same text as the previous segment ({len(words)} words)"
                   if previous is not None and words == previous and len(words) >= repeat_min_words else None)
        previous = words
    return _details(out)


# --- the whole chain ---------------------------------------------------------------------------------------------


def rejects_schema(segment_schema: pl.Schema) -> pl.Schema:
    return pl.Schema({**segment_schema, "reason": pl.String(), "detail": pl.String()})


def apply_guards(
    df: pl.DataFrame,
    config: GuardConfig | None = None,
    *,
    speech_regions: SpeechRegions | None = None,
    audio_ms: int | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a segment table into (kept, rejects). Rejects have the same columns plus `reason` and `detail`.

    Guards run in `REASONS` order, each on what the previous ones kept, so a segment carries the first reason
    that caught it and the neighbour-aware guards see only plausible neighbours.
    """
    config = config or GuardConfig()
    df = df.sort("start_ms", "end_ms", maintain_order=True)
    steps: list[tuple[str, Callable[[pl.DataFrame], pl.Series]]] = [
        (EMPTY, flag_empty),
        (NO_SPEECH, lambda d: flag_no_speech(d, config.no_speech_prob_max, config.logprob_min)),
        (LOW_LOGPROB, lambda d: flag_low_logprob(d, config.avg_logprob_floor)),
        (COMPRESSION_RATIO, lambda d: flag_compression_ratio(d, config.compression_ratio_max)),
        (NGRAM_LOOP, lambda d: flag_ngram_loop(d, config.max_ngram_repeats, config.ngram_max_n)),
        (WORDS_IN_SILENCE, lambda d: flag_words_in_silence(
            d, config.long_silence_ms, config.max_word_ms, config.max_words_in_silence, speech_regions, audio_ms)),
        (REPEATS_PREVIOUS, lambda d: flag_repeats_previous(d, config.repeat_min_words)
         if config.drop_repeated_segments else _details([None] * d.height)),
    ]
    rejected: list[pl.DataFrame] = []
    kept = df
    for reason, flag in steps:
        if kept.height == 0:
            break
        detail = flag(kept)
        hit = detail.is_not_null()
        if hit.any():
            rejected.append(kept.filter(hit).with_columns(pl.lit(reason).alias("reason"), detail.filter(hit)))
            kept = kept.filter(~hit)
    schema = rejects_schema(df.schema)
    rejects = pl.concat(rejected, how="vertical") if rejected else pl.DataFrame(schema=schema)
    return kept, rejects.select(schema.names()).sort("start_ms", "end_ms", maintain_order=True)


def reject_counts(rejects: pl.DataFrame) -> dict[str, int]:
    counts = {reason: 0 for reason in REASONS}
    for reason, n in rejects.group_by("reason").len().iter_rows():
        counts[reason] = int(n)
    return counts
