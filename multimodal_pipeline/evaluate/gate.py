"""The regression gate: an adapter must beat its base model and must not fall behind the last promoted adapter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from multimodal_pipeline.contracts import EvalMetric
from multimodal_pipeline.train.tracking import PromotedAdapter

TEST_LOSS = "test_loss"
VS_PROMOTED = "test_loss_vs_promoted"
STOP_RATE = "stop_rate"


def _rows(metrics: pl.DataFrame | Sequence[EvalMetric] | Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    if isinstance(metrics, pl.DataFrame):
        items = metrics.to_dicts()
    else:
        items = [m.model_dump() if isinstance(m, EvalMetric) else dict(m) for m in metrics]
    return {m["metric"]: m for m in items}


def gate(
    metrics: pl.DataFrame | Sequence[EvalMetric] | Sequence[dict[str, Any]],
    previous_promoted: PromotedAdapter | float | None = None,
    tolerance: float = 0.02,
    *,
    min_improvement: float = 0.0,
    min_stop_rate: float | None = None,
) -> tuple[bool, list[str]]:
    """(passed, reasons): one reason per check, each starting with "pass:" or "fail:".

    1. the adapter's test loss must be below the base model's (by at least `min_improvement`, a fraction);
    2. it may exceed the last promoted adapter's test loss by at most `tolerance` (a fraction). The promoted loss is
       the `test_loss_vs_promoted` row when `evaluate_adapter` measured the promoted adapter on the same test split,
       else `previous_promoted` (a `PromotedAdapter` with its recorded test loss, or a number);
    3. optionally, the adapter's stop rate must reach `min_stop_rate`.
    """
    rows = _rows(metrics)
    reasons: list[str] = []
    ok = True
    loss = rows.get(TEST_LOSS)
    if loss is None:
        return False, ["fail: no test_loss metric to judge (was the test split empty?)"]
    adapter_loss, base_loss = float(loss["adapter"]), float(loss["base"])
    bar = base_loss * (1.0 - min_improvement)
    if adapter_loss < bar:
        reasons.append(f"pass: adapter test loss {adapter_loss:.4f} beats the base model's {base_loss:.4f}")
    else:
        ok = False
        reasons.append(f"fail: adapter test loss {adapter_loss:.4f} does not beat the base model's {base_loss:.4f}"
                       + (f" by {min_improvement:.1%}" if min_improvement else ""))

    promoted_loss, where = None, ""
    if VS_PROMOTED in rows:
        promoted_loss, where = float(rows[VS_PROMOTED]["base"]), " (measured on this test split)"
        adapter_loss = float(rows[VS_PROMOTED]["adapter"])
    elif isinstance(previous_promoted, PromotedAdapter) and previous_promoted.test_loss is not None:
        promoted_loss, where = float(previous_promoted.test_loss), " (as recorded at its promotion)"
    elif isinstance(previous_promoted, int | float):
        promoted_loss = float(previous_promoted)
    if promoted_loss is None:
        reasons.append("pass: no promoted adapter to compare with")
    elif adapter_loss <= promoted_loss * (1.0 + tolerance):
        reasons.append(f"pass: adapter test loss {adapter_loss:.4f} is within {tolerance:.1%} of the promoted "
                       f"adapter's {promoted_loss:.4f}{where}")
    else:
        ok = False
        reasons.append(f"fail: adapter test loss {adapter_loss:.4f} is worse than the promoted adapter's "
                       f"{promoted_loss:.4f}{where} beyond the {tolerance:.1%} tolerance")

    if min_stop_rate is not None:
        stop = rows.get(STOP_RATE)
        if stop is None or float(stop["adapter"]) < min_stop_rate:
            ok = False
            value = "missing" if stop is None else f"{float(stop['adapter']):.2f}"
            reasons.append(f"fail: stop rate {value} is below {min_stop_rate:.2f}")
        else:
            reasons.append(f"pass: stop rate {float(stop['adapter']):.2f} reaches {min_stop_rate:.2f}")
    return ok, reasons
