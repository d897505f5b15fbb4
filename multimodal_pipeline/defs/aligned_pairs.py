import polars as pl

import dagster as dg

from multimodal_pipeline.align import align_full, checks
from multimodal_pipeline.align.core import align_stage_key
from multimodal_pipeline.align.report import write_review
from multimodal_pipeline.align.scorer import load_scorer
from multimodal_pipeline.curate.filters import prompt_filter
from multimodal_pipeline.defs.common import check_from, video_asset, video_check
from multimodal_pipeline.defs.resources import PipelineResource


@video_asset(kinds={"polars", "parquet"})
def aligned_pairs(context: dg.AssetExecutionContext, speech_segments: pl.DataFrame, chat_events: pl.DataFrame,
                  pipeline: PipelineResource) -> pl.DataFrame:
    """Every (chat message, spoken response) candidate with its features, score, decision and reject reason;
    a review page (timeline, score histogram, pairs) is linked from the metadata."""
    config = pipeline.config
    scorer = load_scorer(config.align.scorer_path)
    pairs, calibration, spans = align_full(speech_segments, chat_events, config.align, context.partition_key,
                                           prompt_filter(config.curate, config.align.prompt_filters), scorer)
    review = write_review(pairs, spans, chat_events,
                          pipeline.layout.artifacts / "reviews" / f"{context.partition_key}.html",
                          f"Alignment review: {context.partition_key}")
    context.log.info(f"align: {pairs.height} candidates, {int(pairs['accepted'].sum())} accepted, "
                     f"offset {calibration.offset_ms} ms from {calibration.matches} read-aloud matches")
    context.add_output_metadata({"review": dg.MetadataValue.path(str(review)),
                                 "accepted": int(pairs["accepted"].sum()),
                                 "offset_ms": calibration.offset_ms, "calibration_matches": calibration.matches,
                                 "scorer_sha256": scorer.sha256,
                                 "stage_key": align_stage_key(speech_segments, chat_events, config.align, scorer),
                                 "scorer_threshold": config.align.accept_threshold or scorer.threshold})
    return pairs


@video_check(aligned_pairs, blocking=True)
def alignment_acceptance_rate(aligned_pairs: pl.DataFrame, pipeline: PipelineResource) -> dg.AssetCheckResult:
    """The share of chat messages paired with a response lies in the configured band."""
    config = pipeline.config.align
    return check_from(checks.check_acceptance_rate(aligned_pairs, config.acceptance_band[0], config.acceptance_band[1]))


@video_check(aligned_pairs, blocking=True)
def alignment_responses_follow_messages(aligned_pairs: pl.DataFrame) -> dg.AssetCheckResult:
    """No accepted response starts before its message (after calibration)."""
    return check_from(checks.check_no_response_before_message(aligned_pairs))


@video_check(aligned_pairs)
def alignment_distributions(aligned_pairs: pl.DataFrame) -> dg.AssetCheckResult:
    """Score and lag distributions and the share of read-aloud matches (informational)."""
    return check_from(checks.distributions(aligned_pairs))
