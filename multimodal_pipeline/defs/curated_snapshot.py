import polars as pl

import dagster as dg

from multimodal_pipeline.contracts.curate_config import CurateConfig
from multimodal_pipeline.curate import build_corpus, checks, curate_video, export_snapshot
from multimodal_pipeline.curate.pipeline import chatter_names_pattern
from multimodal_pipeline.defs.common import (
    Gate, check_from, gated_asset, load_rejects, no_chat, output, store_rejects, video_asset,
)
from multimodal_pipeline.defs.resources import PipelineResource

CORPUS_TAGS = {"mmp/scope": "corpus"}


def _sources(raw_video: pl.DataFrame) -> list[dict]:
    return raw_video.select("video_id", "source_uri", "sha256", "chat_source", "chat_sha256").to_dicts()


GATES = ("no_shared_prompt", "no_near_duplicate_across_splits", "no_pii", "min_samples_per_split", "reject_rate")
#: a video's own split sizes gate only its own adapter: the corpus takes its samples all the same (each video keeps its
#: split assignment there, and the corpus's splits have their own gate)
OWN_SPLITS_GATE = "min_samples_per_split"


def _gates(scope: str) -> tuple[Gate, ...]:
    return tuple(Gate(f"{scope}_{g}", f"Training gate of the {'video' if scope == 'curated' else 'corpus'}'s "
                                      f"snapshot: {g.replace('_', ' ')}.") for g in GATES)


@video_asset(_gates("curated"), kinds={"datasets", "parquet"})
def curated_snapshot(context: dg.AssetExecutionContext, aligned_pairs: pl.DataFrame, chat_events: pl.DataFrame,
                     speech_segments: pl.DataFrame, raw_video: pl.DataFrame, pipeline: PipelineResource):
    """Accepted pairs filtered, PII-scrubbed, deduplicated and split by time blocks; exported as JSONL, an HF
    DatasetDict and a dataset card under data/curated/videos/<snapshot id>/. Its training gates are computed once,
    here."""
    config = pipeline.config.curate
    result = curate_video(aligned_pairs, chat_events, speech_segments, context.partition_key, config)
    export = export_snapshot(result, pipeline.layout.curated / "videos", _sources(raw_video))
    sizes = result.stats.get("split_sizes", {})
    yield output(result.samples, metadata={
        "snapshot_id": result.snapshot_id,
        "export": dg.MetadataValue.path(pipeline.store.url(pipeline.store.publish_tree(export["path"]))),
        "samples": result.samples.height, **{f"{k}_samples": int(v) for k, v in sizes.items()},
        "split_sizes": dg.MetadataValue.json(sizes), "filters": dg.MetadataValue.json(result.stats.get("filters", {})),
        **store_rejects(pipeline, "curated_snapshot", context.partition_key, result.rejects)})
    if chat_events.height == 0:
        for gate in GATES:
            yield no_chat(f"curated_{gate}", "no pairs to curate; the corpus leaves this video out")
        return
    for gate, (ok, meta) in gate_results(result.samples, result.rejects, config, chat_events).items():
        if gate == OWN_SPLITS_GATE and not ok:
            meta = {**meta, "reason": f"{meta['reason']}. This video gets no adapter of its own; the corpus still "
                                      "takes its samples"}
        yield check_from(f"curated_{gate}", (ok, meta))


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


@gated_asset(_gates("corpus"), tags=CORPUS_TAGS, group_name="corpus", kinds={"datasets", "parquet"},
             ins={"curated_snapshot": dg.AssetIn(), "raw_video": dg.AssetIn()})
def corpus_snapshot(context: dg.AssetExecutionContext, curated_snapshot: dict[str, pl.DataFrame],
                    raw_video: dict[str, pl.DataFrame], pipeline: PipelineResource):
    """Every video's snapshot that passes the training gates, unioned and deduplicated across videos."""
    config = pipeline.config.curate
    passed = {}
    for video, samples in sorted(curated_snapshot.items()):
        gates = gate_results(samples, load_rejects(pipeline, "curated_snapshot", video), config)
        failed = [g for g, (ok, _) in gates.items() if not ok and g != OWN_SPLITS_GATE]
        if failed:
            context.log.warning(f"corpus: {video} left out, its gates failed: {failed}")
            continue
        if not gates[OWN_SPLITS_GATE][0]:
            context.log.info(f"corpus: {video} has too few samples for splits of its own "
                             f"({gates[OWN_SPLITS_GATE][1]['sizes']}); its samples go in with their splits")
        passed[video] = samples
    if not passed:
        raise ValueError("corpus: no video snapshot passes its gates yet; materialize curated_snapshot first")
    result = build_corpus(passed, config)
    sources = [s for v in passed for s in _sources(raw_video[v])] if raw_video else []
    export = export_snapshot(result, pipeline.layout.curated / "corpus", sources)
    yield output(result.samples, metadata={
        "snapshot_id": result.snapshot_id, "videos": sorted(passed), "video_count": len(passed),
        "samples": result.samples.height,
        "export": dg.MetadataValue.path(pipeline.store.url(pipeline.store.publish_tree(export["path"]))),
        "split_sizes": dg.MetadataValue.json(result.stats.get("split_sizes", {})),
        **store_rejects(pipeline, "corpus_snapshot", None, result.rejects)})
    for gate, outcome in gate_results(result.samples, result.rejects, config).items():
        yield check_from(f"corpus_{gate}", outcome)
