"""Alignment measured against the synthetic stream's ground truth, and the naive baseline to compare with."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from multimodal_pipeline.align.spans import speech_words

STYLES = ("read_aloud", "named", "direct")


def load_truth(path: str | Path, kinds: tuple[str, ...] = ("message", "paid")) -> pl.DataFrame:
    """Ground-truth chat messages that can be prompts (text messages, paid messages; not memberships, which the
    streamer may thank but which carry no text): ts_ms, text, answered, style, answer_start_ms, answer_end_ms."""
    data = json.loads(Path(path).read_text())
    rows = [{"ts_ms": m["ts_ms"], "text": m["text"], "answered": bool(m.get("answered")), "style": m.get("style"),
             "answer_start_ms": m.get("answer_start_ms"), "answer_end_ms": m.get("answer_end_ms")}
            for m in data["messages"] if m.get("kind", "message") in kinds]
    return pl.DataFrame(rows, schema={"ts_ms": pl.Int64, "text": pl.String, "answered": pl.Boolean,
                                      "style": pl.String, "answer_start_ms": pl.Int64, "answer_end_ms": pl.Int64})


def naive_pairs(speech: pl.DataFrame, chat: pl.DataFrame, horizon_ms: int = 10_000) -> pl.DataFrame:
    """The naive method: every chat message paired with all the speech that starts in the next 10 s."""
    words = speech_words(speech)
    starts = words["start_ms"].to_numpy()
    ends = words["end_ms"].to_numpy()
    ts = chat["ts_ms"].to_numpy()
    lo = np.searchsorted(starts, ts, "left")
    hi = np.searchsorted(starts, ts + horizon_ms, "right")
    has = hi > lo
    return pl.DataFrame({
        "event_ts_ms": ts[has], "prompt": np.asarray(chat["text"].to_list(), dtype=object)[has].tolist(),
        "response_start_ms": starts[lo[has]], "response_end_ms": ends[hi[has] - 1],
    })


def score_pairs(pairs: pl.DataFrame, truth: pl.DataFrame, min_overlap: float = 0.5) -> dict:
    """Precision, recall and F1 of accepted pairs, overall and per answer style.

    A pair is right when its message is a truly answered message (matched by timestamp and text) and its response
    span overlaps the true answer by at least `min_overlap` of the true answer's length.
    """
    joined = pairs.join(truth.rename({"ts_ms": "event_ts_ms", "text": "prompt"}), on=["event_ts_ms", "prompt"],
                        how="left")
    inter = (pl.min_horizontal("response_end_ms", "answer_end_ms")
             - pl.max_horizontal("response_start_ms", "answer_start_ms")).clip(lower_bound=0)
    joined = joined.with_columns(
        correct=pl.col("answered").fill_null(False)
        & (inter >= min_overlap * (pl.col("answer_end_ms") - pl.col("answer_start_ms"))).fill_null(False))
    answered = truth.filter(pl.col("answered"))

    def prf(sub_pairs: pl.DataFrame, n_true: int) -> dict:
        tp = int(sub_pairs["correct"].sum())
        p = tp / sub_pairs.height if sub_pairs.height else 0.0
        r = tp / n_true if n_true else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "pairs": sub_pairs.height,
                "true_answers": n_true, "correct": tp}

    result = {"overall": prf(joined, answered.height)}
    for style in STYLES:
        # per style: precision among pairs whose message has that style (false positives on unanswered messages
        # count only overall, where they belong to no style)
        result[style] = prf(joined.filter(pl.col("style") == style), answered.filter(pl.col("style") == style).height)
    return result
