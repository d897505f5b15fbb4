import time
from pathlib import Path

import polars as pl

import dagster as dg

from multimodal_pipeline.contracts import AdapterCheckpoint
from multimodal_pipeline.defs.common import Gate, check_from, check_result, gated_asset, output, video_asset
from multimodal_pipeline.defs.curated_snapshot import CORPUS_TAGS
from multimodal_pipeline.defs.resources import PipelineResource
from multimodal_pipeline.evaluate import evaluate_adapter, gate
from multimodal_pipeline.train import default_mlflow_uri, last_promoted, loss_fell, promote, train_adapter


def _tracking(context, pipeline: PipelineResource) -> str:
    """The MLflow tracking URI of this step (warned about when workers would not share it)."""
    uri = default_mlflow_uri(pipeline.layout.artifacts)
    if pipeline.store.remote and uri.startswith("sqlite:///"):
        context.log.warning("the data root is an object store, but MLflow tracks runs in this machine's working copy: "
                            "set MLFLOW_TRACKING_URI to a tracking server or database that every worker shares, or "
                            "an evaluation on another worker does not find the training run (docs/scale.md)")
    return uri


def _train(context, snapshot: pl.DataFrame, pipeline: PipelineResource, card_dir: str, gate: str):
    """Train (or reuse by stage key) the LoRA adapter of a snapshot; progress goes to the run's log. Its gate: the
    training loss fell. An empty snapshot (a video without chat) trains nothing: no output, so nothing after it
    runs."""
    if snapshot.height == 0:
        context.log.warning("no samples in the snapshot (a video without chat?): nothing to train")
        yield check_result(gate, False, {"samples": 0}, "no samples in the snapshot: nothing trained", warn=True)
        return
    last = [0.0]

    def progress(info: dict) -> None:
        if time.monotonic() - last[0] > 10 or info.get("final"):
            last[0] = time.monotonic()
            context.log.info(f"train: {info}")

    artifacts = pipeline.layout.artifacts
    result = train_adapter(snapshot, artifacts, pipeline.config.train, progress=progress,
                           card_path=f"{card_dir}/{snapshot['snapshot_id'][0]}/README.md" if snapshot.height else None,
                           mlflow_uri=_tracking(context, pipeline), store=pipeline.store)
    first, last = result.stats.get("first_loss"), result.stats.get("last_loss")
    store = pipeline.store  # the adapter and its lineage are stored under keys (train_adapter uploaded them)
    adapter, lineage = store.key(result.checkpoint.adapter_path), store.key(result.checkpoint.lineage_path)
    table = result.table.with_columns(adapter_path=pl.lit(adapter), lineage_path=pl.lit(lineage))
    yield output(table, metadata={
        "adapter": dg.MetadataValue.path(store.url(adapter)),
        "mlflow_run_id": result.checkpoint.mlflow_run_id,
        "mlflow_ui": f"mlflow ui --backend-store-uri {default_mlflow_uri(artifacts)} --host 127.0.0.1",
        "cache_hit": bool(result.stats.get("cache_hit")), "first_loss": first or 0.0, "last_loss": last or 0.0,
        "tokens_per_s": result.stats.get("tokens_per_s") or 0.0, "stats": dg.MetadataValue.json(result.stats)})
    fell, on = loss_fell(result.stats)
    yield check_result(gate, fell, {**on, "first_loss": first, "last_loss": last},
                       "" if fell else f"the {on['on']} did not fall ({on['before']} -> {on['after']}): check the "
                                       "data and the learning rate before evaluating this adapter")


def _evaluate(context, snapshot: pl.DataFrame, checkpoint: pl.DataFrame, pipeline: PipelineResource,
              scope: str, gate: str):
    """Base vs adapter on the test split and the prompt suite, then the regression gate (passing promotes)."""
    artifacts, store = pipeline.layout.artifacts, pipeline.store
    uri = _tracking(context, pipeline)
    stored = AdapterCheckpoint(**checkpoint.row(0, named=True))
    local = stored.model_copy(update={"adapter_path": str(store.fetch_tree(stored.adapter_path)),
                                      "lineage_path": str(store.fetch(stored.lineage_path))})
    result = evaluate_adapter(snapshot, local, artifacts, pipeline.config.eval,
                              previous_promoted=last_promoted(uri, scope=scope), mlflow_uri=uri)
    folder = store.publish_tree(Path(result.html_path).parent, immutable=False)
    yield output(result.metrics, metadata={
        "report": dg.MetadataValue.path(store.url(f"{folder}/{Path(result.html_path).name}")),
        "report_md": dg.MetadataValue.path(store.url(f"{folder}/{Path(result.report_path).name}")),
        "report_url": dg.MetadataValue.url(pipeline.layout.report_url(result.html_path)
                                           or Path(result.html_path).as_uri()),
        "gate_passed": result.passed, "gate": dg.MetadataValue.json(result.reasons),
        **{f"{m}_{k}": float(v) for m, b, a in result.metrics.select("metric", "base", "adapter").iter_rows()
           for k, v in (("base", b), ("adapter", a)) if v is not None},
        "suite_sha256": result.suite_sha256})
    yield _gate(result.metrics, checkpoint, pipeline, scope, gate)


def _gate(metrics: pl.DataFrame, checkpoint: pl.DataFrame, pipeline: PipelineResource,
          scope: str, name: str) -> dg.AssetCheckResult:
    """Adapter beats the base on test loss and is not worse than the last promoted one; passing promotes it."""
    config = pipeline.config.eval
    uri = default_mlflow_uri(pipeline.layout.artifacts)
    previous = last_promoted(uri, scope=scope)
    passed, reasons = gate(metrics, previous, config.tolerance, min_improvement=config.min_improvement,
                           min_stop_rate=config.min_stop_rate)
    run_id = checkpoint["mlflow_run_id"][0]
    loss = metrics.filter(pl.col("metric") == "test_loss")
    if passed:
        promote(run_id, uri, scope=scope, test_loss=float(loss["adapter"][0]) if loss.height else None)
    return check_from(name, (passed, {"reasons": reasons, "promoted": passed, "mlflow_run_id": run_id,
                                      "previous_promoted_run": previous.run_id if previous else None}),
                      "; ".join(r for r in reasons if r.startswith("fail")))


def _gates(scope: str, what: str) -> tuple[Gate, ...]:
    return (Gate(f"{scope}_loss_fell", f"The {what} adapter's loss fell: on the validation split, before the first "
                 "step against after the last (without one, the training loss's last third against its first)."),)


REGRESSION = "The adapter beats the base on test loss and is not worse than the last promoted adapter; passing " \
             "promotes it."


@video_asset(_gates("adapter", "video's"), kinds={"trl", "peft", "mlflow"}, pool="training", output_required=False)
def adapter_checkpoint(context: dg.AssetExecutionContext, curated_snapshot: pl.DataFrame, pipeline: PipelineResource):
    """A LoRA adapter of the base model trained on this video's snapshot (TRL SFTTrainer), tracked in MLflow."""
    if not pipeline.config.train.per_video_adapters:
        context.log.info("per-video adapters are off (train.per_video_adapters): the corpus adapter covers this video")
        yield check_result("adapter_loss_fell", False, {"per_video_adapters": False},
                           "not trained: per-video adapters are off (train.per_video_adapters)", warn=True)
        return
    yield from _train(context, curated_snapshot, pipeline, str(pipeline.layout.curated / "videos"),
                      "adapter_loss_fell")


@video_asset((Gate("eval_regression_gate", REGRESSION),), kinds={"mlflow", "html"}, pool="training")
def eval_report(context: dg.AssetExecutionContext, curated_snapshot: pl.DataFrame, adapter_checkpoint: pl.DataFrame,
                pipeline: PipelineResource):
    """Base vs adapter on the test split and the fixed prompt suite; an HTML/Markdown report with plots."""
    yield from _evaluate(context, curated_snapshot, adapter_checkpoint, pipeline, context.partition_key,
                         "eval_regression_gate")


@gated_asset(_gates("corpus_adapter", "corpus"), tags=CORPUS_TAGS, group_name="corpus",
             kinds={"trl", "peft", "mlflow"}, pool="training")
def corpus_adapter(context: dg.AssetExecutionContext, corpus_snapshot: pl.DataFrame, pipeline: PipelineResource):
    """The model most users want: one LoRA adapter over every video that passed its gates."""
    yield from _train(context, corpus_snapshot, pipeline, str(pipeline.layout.curated / "corpus"),
                      "corpus_adapter_loss_fell")


@gated_asset((Gate("corpus_regression_gate", REGRESSION),), tags=CORPUS_TAGS, group_name="corpus",
             kinds={"mlflow", "html"}, pool="training")
def corpus_eval(context: dg.AssetExecutionContext, corpus_snapshot: pl.DataFrame, corpus_adapter: pl.DataFrame,
                pipeline: PipelineResource):
    """The corpus adapter against the base model, with its report."""
    yield from _evaluate(context, corpus_snapshot, corpus_adapter, pipeline, "corpus", "corpus_regression_gate")
