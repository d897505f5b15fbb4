"""Response spans: one or more consecutive phrases of speech, cut at pauses and capped in length.

Words are grouped into phrases at short silences (`phrase_pause_ms`). A response span may start at any phrase and
runs on through the following phrases while the silence between them stays under `pause_ms`, up to
`max_response_ms`: so a read-aloud message and the answer that follows it form one span, whatever the Whisper
segmentation was. Spans starting at different phrases overlap; the assignment never gives one phrase to two
messages.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from multimodal_pipeline.align.text import SENTENCE_END
from multimodal_pipeline.contracts.align_config import AlignConfig

SPAN_SCHEMA = {"span_idx": pl.Int64, "extended": pl.Boolean, "first_phrase": pl.Int64, "last_phrase": pl.Int64,
               "start_ms": pl.Int64, "end_ms": pl.Int64, "text": pl.String, "n_words": pl.Int64, "prob": pl.Float64}


def speech_words(speech: pl.DataFrame) -> pl.DataFrame:
    """One row per spoken word (segments without word timing count as one word-run)."""
    if speech.height == 0:
        return pl.DataFrame(schema={"word": pl.String, "start_ms": pl.Int64, "end_ms": pl.Int64, "prob": pl.Float64})
    with_words = speech.filter(pl.col("words").list.len() > 0)
    words = (with_words.select(pl.col("words")).explode("words").unnest("words")
             .select(pl.col("word").str.strip_chars(), "start_ms", "end_ms", "prob"))
    bare = (speech.filter(pl.col("words").list.len() == 0)
            .select(pl.col("text").str.strip_chars().alias("word"), "start_ms", "end_ms",
                    pl.col("avg_logprob").exp().alias("prob")))
    return pl.concat([words, bare]).filter(pl.col("word") != "").sort("start_ms", "end_ms")


def build_phrases(speech: pl.DataFrame, config: AlignConfig) -> pl.DataFrame:
    """Words grouped at short silences and at sentence ends (the ASR's punctuation), with the range of word
    indices (`first_word`, `last_word`) of each phrase in `speech_words` order."""
    words = speech_words(speech).with_row_index("w")
    gap = pl.col("start_ms") - pl.col("end_ms").shift(1).cum_max()
    sentence_end = pl.col("word").shift(1).str.contains(SENTENCE_END).fill_null(False)
    return (words.with_columns(phrase=((gap.fill_null(0) >= config.phrase_pause_ms) | sentence_end).cum_sum())
            .group_by("phrase", maintain_order=True)
            .agg(pl.col("start_ms").min(), pl.col("end_ms").max(), pl.col("word").str.join(" ").alias("text"),
                 pl.len().cast(pl.Int64).alias("n_words"), pl.col("prob").sum().alias("prob_sum"),
                 pl.col("w").min().cast(pl.Int64).alias("first_word"), pl.col("w").max().cast(pl.Int64).alias("last_word"))
            .sort("start_ms").drop("phrase"))


def build_spans(phrases: pl.DataFrame, config: AlignConfig) -> pl.DataFrame:
    """One span per starting phrase (and one more where it runs on past a short pause): `span_idx, extended,
    first_phrase, last_phrase, start_ms, end_ms, text, n_words, prob`, sorted by start."""
    n = phrases.height
    if n == 0:
        return pl.DataFrame(schema=SPAN_SCHEMA)
    start = phrases["start_ms"].to_numpy()
    end = phrases["end_ms"].to_numpy()
    # runs of phrases joined by short pauses; a span runs to the end of its run, capped at max_response_ms
    breaks = np.concatenate([[True], start[1:] - np.maximum.accumulate(end)[:-1] >= config.pause_ms])
    run = np.cumsum(breaks) - 1
    run_last = np.r_[np.flatnonzero(breaks)[1:] - 1, n - 1][run]
    cap = np.searchsorted(end, start + config.max_response_ms, "right") - 1
    idx = np.arange(n)
    last = np.maximum(np.minimum(run_last, cap), idx)
    # the extended variant runs on through the next run when it follows within extend_pause_ms (a message read
    # aloud, a breath, then the answer)
    nxt = np.minimum(last + 1, n - 1)
    next_run_last = run_last[nxt]
    can_extend = (last + 1 < n) & (start[nxt] - end[last] < config.extend_pause_ms) & (last == run_last)
    ext_last = np.where(can_extend, np.maximum(np.minimum(next_run_last, cap), last), last)
    first = np.concatenate([idx, idx[ext_last > last]])
    last_all = np.concatenate([last, ext_last[ext_last > last]])
    extended = np.concatenate([np.zeros(n, bool), np.ones(int((ext_last > last).sum()), bool)])
    counts = last_all - first + 1
    span = np.repeat(np.arange(len(first)), counts)
    member = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(first, counts)
    parts = phrases[member].drop("first_word", "last_word").with_columns(span_idx=pl.Series(span, dtype=pl.Int64))
    spans = (parts.group_by("span_idx", maintain_order=True)
             .agg(pl.col("start_ms").first(), pl.col("end_ms").last(), pl.col("text").str.join(" "),
                  pl.col("n_words").sum(), (pl.col("prob_sum").sum() / pl.col("n_words").sum()).alias("prob"))
             .with_columns(first_phrase=pl.Series(first, dtype=pl.Int64),
                           last_phrase=pl.Series(last_all, dtype=pl.Int64), extended=pl.Series(extended))
             .sort("start_ms", "extended")
             .with_columns(span_idx=pl.int_range(pl.len(), dtype=pl.Int64)))
    return spans.select(list(SPAN_SCHEMA))
