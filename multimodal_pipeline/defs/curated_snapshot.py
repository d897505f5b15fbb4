import polars as pl

import dagster as dg

from multimodal_pipeline.contracts.curate_config import CurateConfig
from multimodal_pipeline.curate import build_corpus, checks, curate_video, export_snapshot
from multimodal_pipeline.curate.pipeline import chatter_names_pattern
from multimodal_pipeline.defs.common import check_from, load_rejects, store_rejects, video_asset, video_check
from multimodal_pipeline.defs.resources import PipelineResource

CORPUS_TAGS = {"mmp/scope": "corpus"}


def _sources(raw_video: pl.DataFrame) -> list[dict]:
    return raw_video.select("video_id", "source_uri", "sha256", "chat_source", "chat_sha256").to_dicts()


@video_asset(kinds={"datasets", "parquet"})
def curated_snapshot(context: dg.AssetExecutionContext, aligned_pairs: pl.DataFrame, chat_events: pl.DataFrame,
                     speech_segments: pl.DataFrame, raw_video: pl.DataFrame,
                     pipeline: PipelineResource) -> pl.DataFrame:
    """Accepted pairs filtered, PII-scrubbed, deduplicated and split by time blocks; exported as JSONL, an HF
    DatasetDict and a dataset card under data/curated/videos/<snapshot id>/."""
    result = curate_video(aligned_pairs, chat_events, speech_segments, context.partition_key, pipeline.config.curate)
    export = export_snapshot(result, pipeline.layout.curated / "videos", _sources(raw_video))
    context.add_output_metadata({"snapshot_id": result.snapshot_id, "export": dg.MetadataValue.path(export["path"]),
                                 "split_sizes": dg.MetadataValue.json(result.stats.get("split_sizes", {})),
                                 "filters": dg.MetadataValue.json(result.stats.get("filters", {})),
                                 **store_rejects(pipeline, "curated_snapshot", context.partition_key, result.rejects)})
    return result.samples


def gate_results(samples: pl.DataFrame, rejects: pl.DataFrame, config: CurateConfig,
                 chat_events: pl.DataFrame | None = None) -> dict[str, tuple[bool, dict]]:
    """The training gates of a snapshot (the blocking checks), as pure (passed, metadata) results. With the video's
    `chat_events`, no chatter's spoken name may be left either."""
    names = chatter_names_pattern(chat_events, samples["response"]) if chat_events is not None else None
    return {
        "no_shared_prompt": checks.check_no_shared_prompt(samples),
        "no_near_duplicate_across_splits": checks.check_no_near_duplicate_across_splits(
            samples, config.minhash, response_min_words=config.response_leak_min_words),
        "no_pii": checks.check_no_pii(samples, names=names),
        "min_samples_per_split": checks.check_min_samples_per_split(samples,
                                                                    config.min_samples_per_split.as_dict()),
        "reject_rate": checks.check_reject_rate(samples, rejects, config.max_reject_rate),
    }


GATES = ("no_shared_prompt", "no_near_duplicate_across_splits", "no_pii", "min_samples_per_split", "reject_rate")


def _video_gate(gate: str) -> dg.AssetChecksDefinition:
    @video_check(curated_snapshot, blocking=True, name=f"curated_{gate}",
                 description=f"Training gate of the video's snapshot: {gate.replace('_', ' ')}.",
                 additional_ins={"chat_events": dg.AssetIn("chat_events")})
    def check(context: dg.AssetCheckExecutionContext, curated_snapshot: pl.DataFrame, chat_events: pl.DataFrame,
              pipeline: PipelineResource) -> dg.AssetCheckResult:
        rejects = load_rejects(pipeline, "curated_snapshot", context.partition_key)
        return check_from(gate_results(curated_snapshot, rejects, pipeline.config.curate, chat_events)[gate])

    return check


@dg.asset(tags=CORPUS_TAGS, group_name="corpus", kinds={"datasets", "parquet"},
          ins={"curated_snapshot": dg.AssetIn(), "raw_video": dg.AssetIn()})
def corpus_snapshot(context: dg.AssetExecutionContext, curated_snapshot: dict[str, pl.DataFrame],
                    raw_video: dict[str, pl.DataFrame], pipeline: PipelineResource) -> pl.DataFrame:
    """Every video's snapshot that passes the training gates, unioned and deduplicated across videos."""
    config = pipeline.config.curate
    passed = {}
    for video, samples in sorted(curated_snapshot.items()):
        failed = [g for g, (ok, _) in gate_results(samples, load_rejects(pipeline, "curated_snapshot", video),
                                                   config).items() if not ok]
        if failed:
            context.log.warning(f"corpus: {video} left out, its gates failed: {failed}")
        else:
            passed[video] = samples
    if not passed:
        raise ValueError("corpus: no video snapshot passes its gates yet; materialize curated_snapshot first")
    result = build_corpus(passed, config)
    sources = [s for v in passed for s in _sources(raw_video[v])] if raw_video else []
    export = export_snapshot(result, pipeline.layout.curated / "corpus", sources)
    context.add_output_metadata({"snapshot_id": result.snapshot_id, "videos": sorted(passed),
                                 "export": dg.MetadataValue.path(export["path"]),
                                 "split_sizes": dg.MetadataValue.json(result.stats.get("split_sizes", {})),
                                 **store_rejects(pipeline, "corpus_snapshot", None, result.rejects)})
    return result.samples


def _corpus_gate(gate: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=corpus_snapshot, blocking=True, name=f"corpus_{gate}",
                    description=f"Training gate of the corpus: {gate.replace('_', ' ')}.")
    def check(corpus_snapshot: pl.DataFrame, pipeline: PipelineResource) -> dg.AssetCheckResult:
        rejects = load_rejects(pipeline, "corpus_snapshot", None)
        return check_from(gate_results(corpus_snapshot, rejects, pipeline.config.curate)[gate])

    return check


curated_gates = [_video_gate(g) for g in GATES]
corpus_gates = [_corpus_gate(g) for g in GATES]
