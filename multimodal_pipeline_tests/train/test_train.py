"""train_adapter: the loss falls, the adapter is content-addressed and reloadable, the stage cache and MLflow."""

import json
import os
import time

import polars as pl
import pytest

from multimodal_pipeline.contracts import AdapterCheckpoint, validate
from multimodal_pipeline.contracts.train_config import TrainConfig
from multimodal_pipeline.train import (
    TrainingDataError,
    generate,
    hash_dir,
    load_adapter_model,
    resolve_runtime,
    split_manifest_sha256,
    train_adapter,
)
from multimodal_pipeline.train.inference import base_dir_for
from multimodal_pipeline.train.synthetic import synthetic_snapshot
from multimodal_pipeline_tests.train.conftest import TINY


def test_a_few_steps_reduce_the_loss(trained):
    stats, history = trained.stats, trained.stats["history"]
    assert not stats["cache_hit"] and stats["steps"] == 6 and stats["device"] == "cpu"
    evals = [h["eval_loss"] for h in history if h.get("eval_loss") is not None]
    assert len(evals) == 2  # before training and at the end
    assert evals[-1] < evals[0] * 0.8, evals
    losses = [h["loss"] for h in history if h.get("loss") is not None]
    assert len(losses) == 6 and losses[-1] < losses[0]
    assert trained.checkpoint.eval_loss == pytest.approx(evals[-1])


def test_progress_reports_step_loss_and_speed(trained):
    events = [e for e in trained.stats["progress_events"] if e.get("loss") is not None and not e.get("final")]
    assert [e["step"] for e in events] == [1, 2, 3, 4, 5, 6]
    final = trained.stats["progress_events"][-1]
    assert final["final"] and not final["cache_hit"] and final["adapter_sha256"] == trained.checkpoint.adapter_sha256
    assert all(e["tokens_per_s"] > 0 and e["max_steps"] == 6 for e in events)


def test_checkpoint_row_and_content_addressed_adapter(trained, train_artifacts, snapshot):
    ckpt = trained.checkpoint
    validate(trained.table, AdapterCheckpoint, "adapter_checkpoint")
    path = train_artifacts / "adapters" / ckpt.adapter_sha256
    assert ckpt.adapter_path == str(path) and hash_dir(path) == ckpt.adapter_sha256
    assert {"adapter_model.safetensors", "adapter_config.json", "chat_template.jinja"} <= set(os.listdir(path))
    assert ckpt.split_manifest_sha256 == split_manifest_sha256(snapshot)
    assert ckpt.train_samples == 28 and ckpt.val_samples == 6 and ckpt.train_tokens > 0
    lineage = json.loads((train_artifacts / "adapters" / f"{ckpt.adapter_sha256}.lineage.json").read_text())
    for key in ("base_model_sha256", "snapshot_id", "split_manifest_sha256", "template_sha256",
                "chat_template_sha256", "config_hash", "stage_key"):
        assert lineage[key] == getattr(ckpt, key)
    assert lineage["split_manifest"]["test"] == sorted(snapshot.filter(pl.col("split") == "test")["sample_id"])
    assert str(train_artifacts) not in (path / "adapter_config.json").read_text() + (path / "README.md").read_text()


def test_adapter_reloads_onto_the_base_and_changes_generations(trained, train_artifacts, snapshot):
    model, tokenizer = load_adapter_model(trained.checkpoint.adapter_path,
                                          base_dir_for(trained.checkpoint, train_artifacts))
    convo = snapshot.filter(pl.col("split") == "test")["messages"].to_list()[0]
    with_adapter = generate(model, tokenizer, [convo], max_new_tokens=10)[0]
    with model.disable_adapter():
        base = generate(model, tokenizer, [convo], max_new_tokens=10)[0]
    assert with_adapter.text and with_adapter.text != base.text


def test_same_inputs_and_config_never_train_twice(trained, train_artifacts, snapshot, monkeypatch):
    import trl

    def no_training(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr(trl, "SFTTrainer", no_training)
    start = time.perf_counter()
    again = train_adapter(snapshot.sample(fraction=1.0, shuffle=True, seed=1), train_artifacts, TINY)
    assert again.stats["cache_hit"] and time.perf_counter() - start < 30
    assert again.checkpoint == trained.checkpoint
    # runtime-only settings do not change the stage key; anything that changes the adapter does
    assert train_adapter(snapshot, train_artifacts, TINY.model_copy(update={"num_threads": 2})).stats["cache_hit"]
    with pytest.raises(AssertionError, match="trained again"):
        train_adapter(snapshot, train_artifacts, TINY.model_copy(update={"seed": 7}))


def test_training_is_reproducible(train_artifacts, tmp_path):
    """Same inputs, same seed, two stores: byte-identical adapters (same content hash)."""
    data = synthetic_snapshot(8, splits=(1.0, 0.0), snapshot_id="repro")
    config = TrainConfig(max_steps=2, batch_size=2, max_seq_len=64, learning_rate=1e-3, num_threads=1)
    shas = []
    for name in ("a", "b"):
        store = tmp_path / name
        store.mkdir()
        os.symlink(train_artifacts / "base_models", store / "base_models")  # reuse the converted base model
        result = train_adapter(data, store, config)
        assert not result.stats["cache_hit"] and result.checkpoint.eval_loss is None
        shas.append(result.checkpoint.adapter_sha256)
    assert shas[0] == shas[1]


def test_mlflow_run_holds_the_hashes_and_the_loss_curves(trained, train_artifacts):
    from mlflow.tracking import MlflowClient

    ckpt = trained.checkpoint
    client = MlflowClient(tracking_uri=f"sqlite:///{train_artifacts / 'mlflow' / 'mlflow.db'}")
    run = client.get_run(ckpt.mlflow_run_id)
    params = run.data.params
    for key in ("base_model_sha256", "snapshot_id", "split_manifest_sha256", "template_sha256",
                "chat_template_sha256", "config_hash", "stage_key", "adapter_sha256"):
        assert params[key] == str(getattr(ckpt, key)), key
    assert run.info.status == "FINISHED"
    assert [m.step for m in client.get_metric_history(run.info.run_id, "train_loss")] == [1, 2, 3, 4, 5, 6]
    assert [m.step for m in client.get_metric_history(run.info.run_id, "eval_loss")][0] == 0
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"adapter", "dataset_card", "lineage"} <= artifacts
    stored = {a.path for a in client.list_artifacts(run.info.run_id, "adapter")}
    assert "adapter/adapter_model.safetensors" in stored
    assert run.info.artifact_uri.startswith((train_artifacts / "mlflow" / "artifacts").as_uri())


def test_split_manifest_hash_depends_on_membership_not_order(snapshot):
    base = split_manifest_sha256(snapshot)
    assert split_manifest_sha256(snapshot.reverse()) == base
    moved = snapshot.with_columns(
        pl.when(pl.col("sample_id") == snapshot["sample_id"][0]).then(pl.lit("test")).otherwise(pl.col("split"))
        .alias("split"))
    assert split_manifest_sha256(moved) != base


def test_empty_train_split_is_refused(tmp_path):
    data = synthetic_snapshot(4, splits=(0.0, 0.5))
    data = data.with_columns(pl.lit("test").alias("split"))
    with pytest.raises(TrainingDataError, match="train split is empty"):
        train_adapter(data, tmp_path, TINY)


def test_runtime_on_a_cpu_box():
    import torch

    if torch.cuda.is_available():
        pytest.skip("CPU-only expectations")
    runtime = resolve_runtime(TrainConfig())
    assert (runtime.device, runtime.bf16, runtime.gradient_checkpointing) == ("cpu", False, False)
    with pytest.raises(RuntimeError, match="no CUDA"):
        resolve_runtime(TrainConfig(device="cuda"))
    with pytest.raises(RuntimeError, match="bf16"):
        resolve_runtime(TrainConfig(bf16=True))


def test_the_loss_gate_reads_the_validation_loss_and_otherwise_smooths_the_training_loss():
    """One batch's loss is noisy: the gate compares the validation loss before and after training, or without a
    validation split the first and last thirds of the logged training losses (the demo's corpus once failed a
    first-step-against-last-step gate while its validation loss fell)."""
    from multimodal_pipeline.train.trainer import loss_fell, loss_thirds

    def history(losses):
        return [{"step": i + 1, "loss": x} for i, x in enumerate(losses)] + [{"step": len(losses), "eval_loss": 1.0}]

    demo = history([3.82, 4.11, 2.71, 3.61, 3.60, 4.30, 3.47, 3.60, 4.17])  # the corpus run that failed the old gate
    assert loss_fell({"initial_eval_loss": 4.04, "eval_loss": 3.92, "history": demo})[0]
    assert not loss_fell({"initial_eval_loss": 3.9, "eval_loss": 4.0})[0]
    assert loss_thirds(history([4.0, 3.0, 3.5, 2.0, 1.0, 1.5])) == (3.5, 1.25)
    assert loss_fell({"eval_loss": None, "history": history([4.0, 3.0, 3.5, 2.0, 1.0, 1.5])}) == (
        True, {"on": "training loss, first and last third of the steps", "before": 3.5, "after": 1.25})
    assert not loss_fell({"history": history([3.5, 3.6])})[0]
    assert not loss_fell({})[0]
