"""Pure checks of the aligned-pairs tier (the alignment QA dashboard); each returns (passed, metadata)."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

Result = tuple[bool, dict[str, Any]]


def _histogram(values: np.ndarray, bins: int, range_: tuple[float, float]) -> dict[str, list]:
    counts, edges = np.histogram(values, bins=bins, range=range_)
    return {"edges": [round(float(e), 3) for e in edges], "counts": [int(c) for c in counts]}


def _eligible_messages(pairs: pl.DataFrame) -> int:
    ok = ~pl.col("reject_reason").is_in(["prompt_not_a_message", "prompt_deleted", "prompt_empty"]).fill_null(False)
    return pairs.filter(ok)["event_id"].n_unique()


def check_acceptance_rate(pairs: pl.DataFrame, low: float, high: float) -> Result:
    """Accepted pairs / chat messages that could be prompts lies in [low, high]."""
    messages = _eligible_messages(pairs)
    accepted = int(pairs["accepted"].sum()) if pairs.height else 0
    rate = accepted / messages if messages else 0.0
    reasons = {str(k): int(v) for k, v in pairs.group_by("reject_reason").len().iter_rows()} if pairs.height else {}
    return low <= rate <= high, {"accepted": accepted, "eligible_messages": messages, "acceptance_rate": round(rate, 4),
                                 "band": [low, high], "candidates": pairs.height, "decisions": reasons}


def check_no_response_before_message(pairs: pl.DataFrame) -> Result:
    """No accepted response starts before its message (after the chat-to-speech offset is applied)."""
    bad = pairs.filter(pl.col("accepted") & (pl.col("response_start_ms") < pl.col("event_ts_ms") + pl.col("offset_ms")))
    return bad.height == 0, {"violations": bad.height, "examples": bad["pair_id"].head(5).to_list(),
                             "offset_ms": int(pairs["offset_ms"][0]) if pairs.height else 0}


def distributions(pairs: pl.DataFrame) -> Result:
    """Informational: score and lag distributions of accepted pairs and all candidates, read-aloud share."""
    acc = pairs.filter(pl.col("accepted"))
    lags = acc["lag_ms"].to_numpy() / 1000
    read = int((acc["read_aloud"] >= 0.75).sum()) if acc.height else 0
    return True, {
        "score_all": _histogram(pairs["score"].to_numpy(), 20, (0.0, 1.0)),
        "score_accepted": _histogram(acc["score"].to_numpy(), 20, (0.0, 1.0)),
        "lag_s_accepted": _histogram(lags, 24, (-2, 46)),
        "lag_s_median": round(float(np.median(lags)), 2) if len(lags) else None,
        "read_aloud_share": round(read / acc.height, 4) if acc.height else 0.0,
        "author_named_share": round(float(acc["author_named"].mean()), 4) if acc.height else 0.0,
        "lead_cut_share": round(float(acc["lead"].is_not_null().mean()), 4) if acc.height else 0.0,
    }
