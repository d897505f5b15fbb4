"""The per-video QA view: every video's gates, as its own latest run left them, in one table.

Dagster records a planned check of a step that never ran (a video whose download failed) without a partition, so its
own check pages can show one failed video as every video's failure. `qa_summary` reads the check history from the
instance and attributes each record to the video its run was for (the run's partition tag): a video shows passed,
failed, warning or "not run" for each gate, with the reason, and no video's failure shows on another's row. It is
refreshed by `qa_sensor` after every finished `video_pipeline` run.
"""

import json

import polars as pl

import dagster as dg

from multimodal_pipeline.defs.common import VIDEO_TAGS
from multimodal_pipeline.defs.jobs import video_pipeline
from multimodal_pipeline.defs.resources import PipelineResource
from multimodal_pipeline.storage.atomic import atomic_write_text

SCHEMA = {"video_id": pl.String, "tier": pl.String, "gate": pl.String, "status": pl.String, "description": pl.String,
          "run_id": pl.String, "recorded_at": pl.Float64}
STATUS_MARK = {"passed": "✅ passed", "failed": "❌ failed", "warning": "⚠️ warning", "not run": "⏭ not run"}


def gate_statuses(records: list[dict]) -> pl.DataFrame:
    """The latest record per (video, gate) of `records` ({video_id, tier, gate, status, description, run_id,
    recorded_at}): what each video's own last run said."""
    if not records:
        return pl.DataFrame(schema=SCHEMA)
    frame = pl.DataFrame(records, schema=SCHEMA)
    return (frame.sort("recorded_at").group_by("video_id", "tier", "gate", maintain_order=True).last()
            .sort("video_id", "tier", "gate"))


def video_overview(statuses: pl.DataFrame) -> pl.DataFrame:
    """One row per video: counts per status and the first failure's reason."""
    if statuses.is_empty():
        return pl.DataFrame(schema={"video_id": pl.String, "passed": pl.UInt32, "failed": pl.UInt32,
                                    "warning": pl.UInt32, "not run": pl.UInt32, "first_problem": pl.String})
    counts = statuses.pivot(on="status", index="video_id", values="gate", aggregate_function="len")
    for status in ("passed", "failed", "warning", "not run"):
        if status not in counts.columns:
            counts = counts.with_columns(pl.lit(0, pl.UInt32).alias(status))
    failing = (pl.col("status") == "failed") | pl.col("description").str.starts_with("the step failed")
    problems = (statuses.filter(failing).group_by("video_id", maintain_order=True)
                .agg(first_problem=pl.format("{}: {}", pl.col("gate").first(), pl.col("description").first())))
    return (counts.select("video_id", pl.col("passed", "failed", "warning", "not run").fill_null(0).cast(pl.UInt32))
            .join(problems, on="video_id", how="left").sort("video_id"))


def markdown(overview: pl.DataFrame, statuses: pl.DataFrame) -> str:
    lines = ["| video | passed | failed | warnings | not run | first problem |", "|---|---|---|---|---|---|"]
    for r in overview.iter_rows(named=True):
        lines.append(f"| {r['video_id']} | {r['passed']} | {r['failed']} | {r['warning']} | {r['not run']} | "
                     f"{(r['first_problem'] or '').replace('|', '/')[:160]} |")
    lines += ["", "| video | tier | gate | status | why |", "|---|---|---|---|---|"]
    for r in statuses.iter_rows(named=True):
        lines.append(f"| {r['video_id']} | {r['tier']} | {r['gate']} | {STATUS_MARK[r['status']]} | "
                     f"{(r['description'] or '').replace('|', '/')[:160]} |")
    return "\n".join(lines)


def video_check_keys() -> list[dg.AssetCheckKey]:
    """The gates of every per-video tier."""
    from multimodal_pipeline.defs import TIER_MODULES  # the package imports this module

    assets = [a for m in TIER_MODULES for a in vars(m).values() if isinstance(a, dg.AssetsDefinition)]
    return sorted({k for a in assets if set(a.tags_by_key.get(a.key, {}).items()) >= set(VIDEO_TAGS.items())
                   for k in a.check_keys}, key=lambda k: (k.asset_key.to_user_string(), k.name))


def _step_failures(instance: dg.DagsterInstance, run_id: str) -> dict[str, str]:
    """step key -> the first line of its error, for the failed steps of a run."""
    out = {}
    for record in instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records:
        event = record.event_log_entry.dagster_event
        error = event.event_specific_data.error
        while error is not None and error.cause is not None and "Error occurred while executing" in error.message:
            error = error.cause
        out[event.step_key] = (error.message.strip().splitlines() or [""])[0][:300] if error else "failed"
    return out


def _records(instance: dg.DagsterInstance, check_keys) -> list[dict]:
    """Every recorded check execution of the per-video gates, attributed to its run's video."""
    runs: dict[str, dg.DagsterRun | None] = {}
    failures: dict[str, dict[str, str]] = {}
    out = []
    for key in check_keys:
        for record in instance.event_log_storage.get_asset_check_execution_history(key, limit=1000):
            if record.run_id not in runs:
                runs[record.run_id] = instance.get_run_by_id(record.run_id)
            run = runs[record.run_id]
            video = run.tags.get("dagster/partition") if run else None
            if video is None:
                continue
            evaluation = getattr(record.event.dagster_event, "event_specific_data", None) if record.event else None
            if record.status.value == "SUCCEEDED":
                status, why = "passed", ""
            elif record.status.value == "FAILED":
                warn = getattr(evaluation, "severity", None) == dg.AssetCheckSeverity.WARN
                status, why = ("warning" if warn else "failed"), getattr(evaluation, "description", None) or ""
            else:  # planned, but the step failed before its gates, or never ran
                if not run.is_finished:
                    continue  # still running: its result will come
                if record.run_id not in failures:
                    failures[record.run_id] = _step_failures(instance, record.run_id)
                step = key.asset_key.to_user_string()
                failed = failures[record.run_id]
                status = "not run"
                why = (f"the step failed: {failed[step]}" if step in failed else
                       f"not run: {', '.join(failed)} failed first" if failed else "not run")
            out.append({"video_id": video, "tier": key.asset_key.to_user_string(), "gate": key.name,
                        "status": status, "description": why, "run_id": record.run_id,
                        "recorded_at": record.create_timestamp})
    return out


@dg.asset(group_name="qa", kinds={"dagster", "parquet"})
def qa_summary(context: dg.AssetExecutionContext, pipeline: PipelineResource) -> pl.DataFrame:
    """Every video's gates as its own latest run left them (passed, failed, warning, not run) with the reason:
    the QA dashboard per video. Refreshed after every finished video run (`qa_sensor`)."""
    statuses = gate_statuses(_records(context.instance, video_check_keys()))
    overview = video_overview(statuses)
    page = pipeline.layout.artifacts / "qa" / "summary.md"
    text = markdown(overview, statuses)
    atomic_write_text(page, "# QA per video\n\n" + text + "\n")
    page_key = pipeline.store.publish(page, immutable=False)
    context.add_output_metadata({
        "videos": overview.height,
        "videos_failing": int(overview["first_problem"].is_not_null().sum()),
        "summary": dg.MetadataValue.md(text),
        "per_video": dg.MetadataValue.json(json.loads(overview.write_json())),
        "page": dg.MetadataValue.path(pipeline.store.url(page_key)),
    })
    return statuses


qa_job = dg.define_asset_job("refresh_qa", selection=dg.AssetSelection.assets(qa_summary),
                             description="Rebuild the per-video QA table from the instance's check history.")


@dg.sensor(job=qa_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def qa_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Requests `refresh_qa` when a `video_pipeline` run finished since the last tick."""
    last = float(context.cursor or 0)
    finished = [r for r in context.instance.get_run_records(
        dg.RunsFilter(job_name=video_pipeline.name, statuses=[dg.DagsterRunStatus.SUCCESS,
                                                              dg.DagsterRunStatus.FAILURE,
                                                              dg.DagsterRunStatus.CANCELED]), limit=50)
        if r.update_timestamp.timestamp() > last]
    if not finished:
        return dg.SensorResult(skip_reason="no video run finished since the last refresh", cursor=str(last))
    newest = max(r.update_timestamp.timestamp() for r in finished)
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=f"qa-{newest}")], cursor=str(newest))


