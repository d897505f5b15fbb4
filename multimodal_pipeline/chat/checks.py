"""Pure check functions behind the `chat_events` asset checks.

Each returns `(passed, metadata)` with plain JSON metadata; the Dagster layer wraps them in `AssetCheckResult`s.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import polars as pl

from multimodal_pipeline.chat.completeness import DEFAULT_GAP_THRESHOLD_MS, completeness
from multimodal_pipeline.contracts import ChatEvent, ContractError, validate

Result = tuple[bool, dict[str, Any]]


def check_schema(events: pl.DataFrame, source: str = "chat_events") -> Result:
    """The table holds the ChatEvent contract: columns, dtypes, required fields, known kinds."""
    try:
        validate(events, ChatEvent, source)
    except ContractError as exc:
        return False, {"error": str(exc), "field": exc.field, "row": exc.row, "rows": events.height}
    return True, {"rows": events.height, "columns": len(events.columns), "schema_version": ChatEvent.schema_version}


def check_ts_in_video(events: pl.DataFrame, video_duration_ms: int | None, tolerance_ms: int = 5_000,
                      max_outside_share: float = 0.0, examples: int = 5) -> Result:
    """Every ts_ms lies in [-tolerance, duration + tolerance] (only the lower bound when the duration is unknown),
    or at most `max_outside_share` of the events lie outside."""
    ts = pl.col("ts_ms")
    before = ts < -tolerance_ms
    after = ts > (video_duration_ms + tolerance_ms) if video_duration_ms is not None else pl.lit(False)
    bad = events.filter(before | after)
    n = events.height
    share = bad.height / n if n else 0.0
    meta = {
        "events": n, "outside": bad.height, "outside_share": round(share, 6),
        "before_start": int(events.select(before.sum()).item()) if n else 0,
        "after_end": int(events.select(after.sum()).item()) if n and video_duration_ms is not None else 0,
        "tolerance_ms": tolerance_ms, "video_duration_ms": video_duration_ms, "max_outside_share": max_outside_share,
        "min_ts_ms": int(events["ts_ms"].min()) if n else None,  # type: ignore[arg-type]
        "max_ts_ms": int(events["ts_ms"].max()) if n else None,  # type: ignore[arg-type]
        "examples": [{"event_id": e, "ts_ms": t} for e, t in bad.select("event_id", "ts_ms").head(examples).rows()],
    }
    return share <= max_outside_share, meta


def check_reject_rate(events: pl.DataFrame, rejects: pl.DataFrame, ceiling: float = 0.01) -> Result:
    """rejected / (events + rejected) stays at or below `ceiling`."""
    total = events.height + rejects.height
    rate = rejects.height / total if total else 0.0
    reasons = Counter(r.split(":")[0] for r in rejects["reason"].to_list()) if rejects.height else Counter()
    meta = {"events": events.height, "rejected": rejects.height, "reject_rate": round(rate, 6), "ceiling": ceiling,
            "top_reasons": dict(reasons.most_common(5)),
            "examples": [{"raw_ref": a, "reason": b} for a, b in rejects.select("raw_ref", "reason").head(5).rows()]}
    return rate <= ceiling, meta


def check_unique_event_ids(events: pl.DataFrame) -> Result:
    """No event_id appears twice."""
    dup = events.group_by("event_id").len().filter(pl.col("len") > 1)
    return dup.height == 0, {"events": events.height, "duplicated_ids": dup.height,
                             "examples": dup["event_id"].head(5).to_list()}


def check_completeness(events: pl.DataFrame, video_duration_ms: int | None = None,
                       gap_threshold_ms: int = DEFAULT_GAP_THRESHOLD_MS) -> Result:
    """Informational (always passes): the completeness figures as metadata."""
    return True, completeness(events, video_duration_ms, gap_threshold_ms)
