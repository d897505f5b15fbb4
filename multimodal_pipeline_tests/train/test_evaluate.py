"""evaluate_adapter on the shared tiny adapter: metrics table, report, suite hash, gate, MLflow."""

import dataclasses
import json
from pathlib import Path

import pytest

from multimodal_pipeline.contracts import EvalMetric, validate
from multimodal_pipeline.evaluate import evaluate_adapter, gate, last_promoted, load_suite, promote
from multimodal_pipeline.storage.hashing import sha256_file
from multimodal_pipeline.train import tracking
from multimodal_pipeline_tests.train.conftest import TINY_EVAL

SUITE = Path(__file__).resolve().parents[2] / "multimodal_pipeline" / "evaluate" / "prompt_suite_v1.json"


def test_metrics_table(evaluated, trained):
    table = validate(evaluated.metrics, EvalMetric, "eval_report")
    rows = {r["metric"]: r for r in table.to_dicts()}
    assert set(rows) == {"test_loss", "test_perplexity", "stop_rate", "gen_length_mean_tokens",
                         "gen_length_median_tokens", "similarity_to_reference"}
    assert rows["test_loss"]["adapter"] < rows["test_loss"]["base"]
    assert rows["test_loss"]["verdict"] == "better" and rows["test_loss"]["n"] == 6
    assert 0.0 <= rows["stop_rate"]["adapter"] <= 1.0 and rows["stop_rate"]["n"] == 10 + 4
    assert rows["gen_length_mean_tokens"]["reference"] > 0
    assert -1.0 <= rows["similarity_to_reference"]["adapter"] <= 1.0
    assert set(table["adapter_sha256"]) == {trained.checkpoint.adapter_sha256}
    assert set(table["suite_sha256"]) == {sha256_file(SUITE)} == {evaluated.suite_sha256}
    assert evaluated.passed, evaluated.reasons
    assert gate(table) == (evaluated.passed, evaluated.reasons)


def test_report_is_written_with_plots_and_generations(evaluated, trained, train_artifacts):
    folder = train_artifacts / "reports" / trained.checkpoint.adapter_sha256
    assert Path(evaluated.report_dir) == folder
    for name in ("report.md", "report.html", "loss_curves.png", "lengths.png", "metrics.json", "generations.json"):
        assert (folder / name).stat().st_size > 0, name
    md = (folder / "report.md").read_text()
    assert "Regression gate: PASSED" in md and evaluated.suite_sha256 in md and "### suite: greeting" in md
    assert len(evaluated.generations) == 14
    suite, _ = load_suite()
    assert [g["id"] for g in evaluated.generations[:10]] == [p["id"] for p in suite["prompts"]]


def test_eval_metrics_reach_the_training_run(evaluated, trained, train_artifacts):
    c = tracking.client(tracking.default_mlflow_uri(train_artifacts))
    run = c.get_run(trained.checkpoint.mlflow_run_id)
    assert run.data.metrics["eval_test_loss_adapter"] < run.data.metrics["eval_test_loss_base"]
    assert evaluated.stats["mlflow_logged"]


def test_promotion_then_regression_against_the_promoted_adapter(evaluated, trained, train_artifacts, snapshot,
                                                                tmp_path):
    uri = tracking.default_mlflow_uri(train_artifacts)
    loss = evaluated.metrics.filter(metric="test_loss")["adapter"][0]
    promote(trained.checkpoint.mlflow_run_id, uri, scope="tests", test_loss=loss)
    promoted = last_promoted(uri, scope="tests")
    assert promoted.adapter_sha256 == trained.checkpoint.adapter_sha256
    assert promoted.adapter_path == trained.checkpoint.adapter_path
    # the same weights loaded a second time as "the promoted adapter": equal loss on this split, gate passes
    promoted = dataclasses.replace(promoted, adapter_sha256="0" * 64)
    suite = tmp_path / "one_prompt_suite.json"
    suite.write_text(json.dumps({"name": "mini", "version": 1, "prompts": [{"id": "hi", "user": "hi"}]}))
    cheap = TINY_EVAL.model_copy(update={"max_generation_samples": 0, "max_new_tokens": 4, "prompt_suite": str(suite)})
    again = evaluate_adapter(snapshot, trained.checkpoint, train_artifacts, cheap, previous_promoted=promoted,
                             log_to_mlflow=False)
    assert again.suite_sha256 == sha256_file(suite)
    row = again.metrics.filter(metric="test_loss_vs_promoted").to_dicts()[0]
    assert row["base"] == pytest.approx(row["adapter"], rel=1e-6) and again.passed
    assert again.stats["promoted"]["note"] == "measured on this test split"
