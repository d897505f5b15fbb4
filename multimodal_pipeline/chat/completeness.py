"""Chat completeness accounting: is the chat log whole, and is its timing trustworthy?

Computed over the chat messages (kinds message, paid, sticker, membership, gift; moderation, system and notice
events are not chat activity). All values are plain JSON (ints, floats, lists, dicts) for asset-check metadata.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

MESSAGE_KINDS = ("message", "paid", "sticker", "membership", "gift")
DEFAULT_GAP_THRESHOLD_MS = 120_000
MINUTE_MS = 60_000


def completeness(events: pl.DataFrame, video_duration_ms: int | None = None,
                 gap_threshold_ms: int = DEFAULT_GAP_THRESHOLD_MS, max_gaps_listed: int = 10) -> dict[str, Any]:
    """Messages per minute (mean, max, per-minute histogram), gaps longer than `gap_threshold_ms` (count, longest,
    the first few), the share of messages on whole seconds (a sign of one-per-second clamping), and the events
    before 0 / after the end of the video.

    The histogram spans minute 0 to the end of the video (or to the last message when the duration is unknown).
    Gaps include the silence from 0 to the first message and, with a known duration, from the last message to the
    end.
    """
    ts_all = events["ts_ms"]
    msgs = events.filter(pl.col("kind").is_in(MESSAGE_KINDS))["ts_ms"].sort()
    n_msgs = msgs.len()
    before = int((ts_all < 0).sum())
    after = int((ts_all > video_duration_ms).sum()) if video_duration_ms is not None else None
    inside = msgs.filter(msgs >= 0)
    if video_duration_ms is not None:
        inside = inside.filter(inside <= video_duration_ms)
        end = video_duration_ms
    else:
        end = int(inside.max()) + 1 if inside.len() else 0  # type: ignore[arg-type]
    n_minutes = max(1, math.ceil(end / MINUTE_MS)) if end > 0 else 0
    hist = [0] * n_minutes
    if n_minutes:
        idx = (inside // MINUTE_MS).clip(0, n_minutes - 1)
        for minute, count in idx.value_counts().iter_rows():
            hist[int(minute)] = int(count)
    span_min = end / MINUTE_MS
    points = [0, *inside.to_list()]
    if video_duration_ms is not None:
        points.append(video_duration_ms)
    gaps = []
    for a, b in zip(points, points[1:], strict=False):
        if b - a > gap_threshold_ms:
            gaps.append({"start_ms": int(a), "end_ms": int(b), "length_ms": int(b - a)})
    whole = float((msgs % 1000 == 0).mean()) if n_msgs else None  # type: ignore[arg-type]
    return {
        "events": events.height,
        "messages": n_msgs,
        "messages_in_video": inside.len(),
        "video_duration_ms": video_duration_ms,
        "span_ms": end,
        "messages_per_minute_mean": round(inside.len() / span_min, 3) if span_min > 0 else 0.0,
        "messages_per_minute_max": max(hist) if hist else 0,
        "messages_per_minute": hist,
        "gap_threshold_ms": gap_threshold_ms,
        "gaps": len(gaps),
        "longest_gap_ms": max((g["length_ms"] for g in gaps), default=0),
        "gaps_first": gaps[:max_gaps_listed],
        "whole_second_share": round(whole, 4) if whole is not None else None,
        "events_before_start": before,
        "events_after_end": after,
    }
