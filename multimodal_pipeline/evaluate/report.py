"""The readable evaluation report: Markdown + HTML with matplotlib plots (loss curves, generated lengths)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import polars as pl


def _plot_losses(history: list[dict[str, Any]], path: Path) -> bool:
    train = [(h["step"], h["loss"]) for h in history if h.get("loss") is not None]
    evals = [(h["step"], h["eval_loss"]) for h in history if h.get("eval_loss") is not None]
    if not train and not evals:
        return False
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    if train:
        ax.plot(*zip(*train, strict=True), label="train loss", marker=".")
    if evals:
        ax.plot(*zip(*evals, strict=True), label="val loss", marker="o")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (nats/token, assistant turn)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return True


def _plot_lengths(generations: list[dict[str, Any]], reference: list[int], path: Path) -> bool:
    if not generations:
        return False
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    base = [g["base_tokens"] for g in generations]
    adapter = [g["adapter_tokens"] for g in generations]
    top = max([*base, *adapter, *reference, 1])
    bins = list(range(0, top + max(1, top // 20) + 1, max(1, top // 20)))
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    ax.hist(base, bins=bins, alpha=0.5, label="base")
    ax.hist(adapter, bins=bins, alpha=0.5, label="adapter")
    if reference:
        ax.hist(reference, bins=bins, alpha=0.5, label="real responses (test)", histtype="step", linewidth=2)
    ax.set_xlabel("reply length (tokens)")
    ax.set_ylabel("count")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return True


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def write_report(
    folder: Path, *, checkpoint: Any, metrics: pl.DataFrame, passed: bool, reasons: list[str],
    generations: list[dict[str, Any]], history: list[dict[str, Any]], stats: dict[str, Any], side_by_side: int,
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    has_loss = _plot_losses(history, folder / "loss_curves.png")
    has_len = _plot_lengths(generations, stats.get("reference_lengths", []), folder / "lengths.png")
    (folder / "metrics.json").write_text(json.dumps(metrics.to_dicts(), indent=2))
    (folder / "generations.json").write_text(json.dumps(generations, indent=2, ensure_ascii=False))

    columns = ["metric", "base", "adapter", "delta", "reference", "verdict", "n"]
    table = metrics.select(columns).to_dicts()
    verdict = "PASSED" if passed else "FAILED"
    lineage = [
        ("adapter sha256", checkpoint.adapter_sha256), ("MLflow run", checkpoint.mlflow_run_id),
        ("base model", f"{checkpoint.base_model_id} ({checkpoint.base_model_sha256[:16]}…)"),
        ("snapshot", checkpoint.snapshot_id), ("split manifest sha256", checkpoint.split_manifest_sha256),
        ("template sha256", checkpoint.template_sha256),
        ("chat template sha256", getattr(checkpoint, "chat_template_sha256", "")),
        ("prompt suite", f"{stats.get('suite')} ({stats.get('suite_sha256')})"),
        ("evaluated on", f"{stats.get('split')} split, {stats.get('test_samples')} samples, "
                         f"{stats.get('scored_tokens')} scored tokens; {stats.get('generated_prompts')} generations "
                         f"of at most {stats.get('max_new_tokens')} tokens"),
    ]
    shown = [g for g in generations if g["source"] == "suite"][: max(1, side_by_side // 2)]
    shown += [g for g in generations if g["source"] == "test"][: side_by_side - len(shown)]
    shown = shown[:side_by_side]

    md = [f"# Evaluation of adapter `{checkpoint.adapter_sha256[:16]}`", "", f"**Regression gate: {verdict}**", ""]
    md += [f"- {r}" for r in reasons] + [""]
    md += ["## Metrics", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    md += ["| " + " | ".join(_fmt(r[c]) for c in columns) + " |" for r in table]
    md += ["", "Lengths: the verdict compares the distance to the real responses (`reference`).", ""]
    if has_loss:
        md += ["## Loss curves", "", "![loss curves](loss_curves.png)", ""]
    if has_len:
        md += ["## Reply lengths", "", "![reply lengths](lengths.png)", ""]
    md += ["## Generations side by side", ""]
    for g in shown:
        md += [f"### {g['source']}: {g['id']}", "", f"**chat:** {g['prompt']}", ""]
        if g.get("reference"):
            md += [f"**real reply:** {g['reference']}", ""]
        md += [f"**base** ({g['base_tokens']} tokens{', stopped' if g['base_stopped'] else ', cut off'}): "
               f"{g['base']}", "",
               f"**adapter** ({g['adapter_tokens']} tokens{', stopped' if g['adapter_stopped'] else ', cut off'}): "
               f"{g['adapter']}", ""]
    md += ["## Lineage", ""] + [f"- {k}: `{v}`" for k, v in lineage] + [""]
    (folder / "report.md").write_text("\n".join(md), encoding="utf-8")

    e = html.escape
    rows_html = "".join(
        "<tr>" + "".join(f"<td>{e(_fmt(r[c]))}</td>" for c in columns) + "</tr>" for r in table)
    gens_html = "".join(
        f"<tr><td>{e(g['source'])}: {e(str(g['id']))}</td><td>{e(g['prompt'])}</td><td>{e(g.get('reference') or '')}"
        f"</td><td>{e(g['base'])}</td><td>{e(g['adapter'])}</td></tr>" for g in shown)
    doc = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Adapter {e(checkpoint.adapter_sha256[:16])}</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top}}.pass{{color:#070}}.fail{{color:#a00}}</style>
</head><body>
<h1>Evaluation of adapter <code>{e(checkpoint.adapter_sha256[:16])}</code></h1>
<h2 class="{'pass' if passed else 'fail'}">Regression gate: {verdict}</h2>
<ul>{''.join(f'<li>{e(r)}</li>' for r in reasons)}</ul>
<h2>Metrics</h2>
<table><tr>{''.join(f'<th>{c}</th>' for c in columns)}</tr>{rows_html}</table>
<p>Lengths: the verdict compares the distance to the real responses (<code>reference</code>).</p>
{'<h2>Loss curves</h2><img src="loss_curves.png" alt="loss curves">' if has_loss else ''}
{'<h2>Reply lengths</h2><img src="lengths.png" alt="reply lengths">' if has_len else ''}
<h2>Generations side by side</h2>
<table><tr><th>prompt</th><th>chat</th><th>real reply</th><th>base</th><th>adapter</th></tr>{gens_html}</table>
<h2>Lineage</h2>
<ul>{''.join(f'<li>{e(k)}: <code>{e(str(v))}</code></li>' for k, v in lineage)}</ul>
</body></html>
"""
    (folder / "report.html").write_text(doc, encoding="utf-8")
