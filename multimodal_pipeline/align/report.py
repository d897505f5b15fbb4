"""The per-video alignment review: one self-contained HTML file with a timeline, the score histogram and the pairs."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import polars as pl

from multimodal_pipeline.storage.atomic import atomic_write_text

FEATURES = ["lag_ms", "read_aloud", "author_named", "answer_overlap", "embedding_similarity", "is_question",
            "chat_density", "score"]


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


def _plots(pairs: pl.DataFrame, spans: pl.DataFrame, chat: pl.DataFrame, max_minutes: float) -> tuple[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    limit_ms = max_minutes * 60_000
    fig, ax = plt.subplots(figsize=(14, 3.2))
    for row in spans.filter(pl.col("start_ms") < limit_ms).iter_rows(named=True):
        ax.barh(1, (row["end_ms"] - row["start_ms"]) / 1000, left=row["start_ms"] / 1000, height=0.3,
                color="#7aa6c2")
    ts = chat.filter(pl.col("ts_ms") < limit_ms)["ts_ms"].to_numpy() / 1000
    ax.scatter(ts, [0] * len(ts), s=6, color="#999999", label="chat event")
    acc = pairs.filter(pl.col("accepted") & (pl.col("event_ts_ms") < limit_ms))
    for row in acc.iter_rows(named=True):
        ax.plot([(row["event_ts_ms"] + row["offset_ms"]) / 1000, row["response_start_ms"] / 1000], [0, 0.85],
                color="#d62728", lw=1)
    ax.scatter([], [], color="#d62728", label="accepted pair", marker="_")
    ax.set_yticks([0, 1], ["chat", "speech"])
    ax.set_xlabel("seconds from the start of the video")
    ax.set_ylim(-0.5, 1.5)
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(f"Timeline (first {max_minutes:g} minutes)")
    timeline = _png(fig)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 3))
    scored = pairs.filter(~pl.col("reject_reason").is_in(["prompt_not_a_message", "prompt_empty"]).fill_null(False))
    ax.hist([scored.filter(~pl.col("accepted"))["score"].to_numpy(),
             scored.filter(pl.col("accepted"))["score"].to_numpy()],
            bins=40, range=(0.0, 1.0), stacked=True, label=["rejected", "accepted"], color=["#bbbbbb", "#d62728"])
    # most candidates score near 0: on a linear axis the few accepted ones would not show
    if scored.height:
        ax.set_yscale("log")
    ax.set_xlabel("score")
    ax.set_ylabel("candidates (log scale)")
    ax.legend()
    hist = _png(fig)
    plt.close(fig)
    return timeline, hist


def _table(df: pl.DataFrame, columns: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    rows = []
    for row in df.select(columns).iter_rows():
        cells = "".join(f"<td>{html.escape(f'{v:.3f}' if isinstance(v, float) else str(v))}</td>" for v in row)
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def write_review(pairs: pl.DataFrame, spans: pl.DataFrame, chat: pl.DataFrame, path: str | Path,
                 title: str, max_minutes: float = 10.0, max_rejected: int = 200) -> Path:
    """Write the review HTML atomically to `path`."""
    timeline, hist = _plots(pairs, spans, chat, max_minutes)
    accepted = pairs.filter(pl.col("accepted"))
    rejected = (pairs.filter(~pl.col("accepted") & ~pl.col("reject_reason").is_in(["prompt_not_a_message"]))
                .sort("score", descending=True).head(max_rejected))
    reasons = pairs.group_by("reject_reason").len().sort("len", descending=True)
    cols = ["event_ts_ms", "author", "prompt", "response_start_ms", "lead", "response", *FEATURES]
    doc = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse;font-size:12px}}
td,th{{border:1px solid #ccc;padding:3px 6px;vertical-align:top}} th{{background:#f3f3f3}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{pairs.height} candidates, {accepted.height} accepted, chat-to-speech offset
{pairs['offset_ms'][0] if pairs.height else 0} ms.</p>
<img src="data:image/png;base64,{timeline}" alt="timeline"><br>
<img src="data:image/png;base64,{hist}" alt="score histogram">
<h2>Decisions</h2>{_table(reasons.with_columns(pl.col('reject_reason').fill_null('accepted')), ['reject_reason', 'len'])}
<h2>Accepted pairs</h2>{_table(accepted, cols)}
<h2>Best-scored rejected candidates</h2>{_table(rejected, [*cols, 'reject_reason'])}
</body></html>"""
    path = Path(path)
    atomic_write_text(path, doc)
    return path
