import time

import polars as pl

import dagster as dg

from multimodal_pipeline.contracts import AdapterCheckpoint
from multimodal_pipeline.defs.common import check_from, video_asset, video_check
from multimodal_pipeline.defs.curated_snapshot import CORPUS_TAGS
from multimodal_pipeline.defs.resources import PipelineResource
from multimodal_pipeline.evaluate import evaluate_adapter, gate
from multimodal_pipeline.train import default_mlflow_uri, last_promoted, promote, train_adapter


def _train(context, snapshot: pl.DataFrame, pipeline: PipelineResource, card_dir: str) -> pl.DataFrame:
    """Train (or reuse by stage key) the LoRA adapter of a snapshot; progress goes to the run's log."""
    last = [0.0]

    def progress(info: dict) -> None:
        if time.monotonic() - last[0] > 10 or info.get("final"):
            last[0] = time.monotonic()
            context.log.info(f"train: {info}")

    artifacts = pipeline.layout.artifacts
    result = train_adapter(snapshot, artifacts, pipeline.config.train, progress=progress,
                           card_path=f"{card_dir}/{snapshot['snapshot_id'][0]}/README.md" if snapshot.height else None,
                           mlflow_uri=default_mlflow_uri(artifacts))
    context.add_output_metadata({"adapter": dg.MetadataValue.path(result.checkpoint.adapter_path),
                                 "mlflow_run_id": result.checkpoint.mlflow_run_id,
                                 "mlflow_ui": f"mlflow ui --backend-store-uri {default_mlflow_uri(artifacts)} "
                                              "--host 127.0.0.1",
                                 "cache_hit": bool(result.stats.get("cache_hit")),
                                 "stats": dg.MetadataValue.json(result.stats)})
    return result.table


def _evaluate(context, snapshot: pl.DataFrame, checkpoint: pl.DataFrame, pipeline: PipelineResource,
              scope: str) -> pl.DataFrame:
    artifacts = pipeline.layout.artifacts
    uri = default_mlflow_uri(artifacts)
    result = evaluate_adapter(snapshot, AdapterCheckpoint(**checkpoint.row(0, named=True)), artifacts,
                              pipeline.config.eval, previous_promoted=last_promoted(uri, scope=scope), mlflow_uri=uri)
    context.add_output_metadata({"report": dg.MetadataValue.path(result.html_path),
                                 "report_md": dg.MetadataValue.path(result.report_path),
                                 "gate_passed": result.passed, "gate": dg.MetadataValue.json(result.reasons),
                                 "suite_sha256": result.suite_sha256})
    return result.metrics


def _gate(metrics: pl.DataFrame, checkpoint: pl.DataFrame, pipeline: PipelineResource,
          scope: str) -> dg.AssetCheckResult:
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
    return check_from((passed, {"reasons": reasons, "promoted": passed, "mlflow_run_id": run_id,
                                "previous_promoted_run": previous.run_id if previous else None}),
                      "; ".join(r for r in reasons if r.startswith("fail")))


@video_asset(kinds={"trl", "peft", "mlflow"}, pool="training")
def adapter_checkpoint(context: dg.AssetExecutionContext, curated_snapshot: pl.DataFrame,
                       pipeline: PipelineResource) -> pl.DataFrame:
    """A LoRA adapter of the base model trained on this video's snapshot (TRL SFTTrainer), tracked in MLflow."""
    return _train(context, curated_snapshot, pipeline, str(pipeline.layout.curated / "videos"))


@video_asset(kinds={"mlflow", "html"}, pool="training")
def eval_report(context: dg.AssetExecutionContext, curated_snapshot: pl.DataFrame, adapter_checkpoint: pl.DataFrame,
                pipeline: PipelineResource) -> pl.DataFrame:
    """Base vs adapter on the test split and the fixed prompt suite; an HTML/Markdown report with plots."""
    return _evaluate(context, curated_snapshot, adapter_checkpoint, pipeline, scope=context.partition_key)


@video_check(eval_report, blocking=True, additional_ins={"adapter_checkpoint": dg.AssetIn()})
def eval_regression_gate(context: dg.AssetCheckExecutionContext, eval_report: pl.DataFrame,
                         adapter_checkpoint: pl.DataFrame, pipeline: PipelineResource) -> dg.AssetCheckResult:
    """The adapter beats the base on test loss and is not worse than the last promoted adapter; passing promotes it."""
    return _gate(eval_report, adapter_checkpoint, pipeline, scope=context.partition_key)


@dg.asset(tags=CORPUS_TAGS, group_name="corpus", kinds={"trl", "peft", "mlflow"}, pool="training")
def corpus_adapter(context: dg.AssetExecutionContext, corpus_snapshot: pl.DataFrame,
                   pipeline: PipelineResource) -> pl.DataFrame:
    """The model most users want: one LoRA adapter over every video that passed its gates."""
    return _train(context, corpus_snapshot, pipeline, str(pipeline.layout.curated / "corpus"))


@dg.asset(tags=CORPUS_TAGS, group_name="corpus", kinds={"mlflow", "html"}, pool="training")
def corpus_eval(context: dg.AssetExecutionContext, corpus_snapshot: pl.DataFrame, corpus_adapter: pl.DataFrame,
                pipeline: PipelineResource) -> pl.DataFrame:
    """The corpus adapter against the base model, with its report."""
    return _evaluate(context, corpus_snapshot, corpus_adapter, pipeline, scope="corpus")


@dg.asset_check(asset=corpus_eval, blocking=True, additional_ins={"corpus_adapter": dg.AssetIn()})
def corpus_regression_gate(corpus_eval: pl.DataFrame, corpus_adapter: pl.DataFrame,
                           pipeline: PipelineResource) -> dg.AssetCheckResult:
    """The corpus adapter beats the base and the last promoted corpus adapter; passing promotes it."""
    return _gate(corpus_eval, corpus_adapter, pipeline, scope="corpus")
