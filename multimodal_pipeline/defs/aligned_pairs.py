import polars as pl

import dagster as dg

from multimodal_pipeline.align import checks
from multimodal_pipeline.align.core import align_cached
from multimodal_pipeline.align.report import write_review
from multimodal_pipeline.align.scorer import load_scorer
from multimodal_pipeline.curate.filters import prompt_filter
from multimodal_pipeline.defs.common import Gate, check_from, no_chat, output, video_asset
from multimodal_pipeline.defs.resources import PipelineResource
from multimodal_pipeline.storage import config_hash

GATES = (Gate("alignment_acceptance_rate", "The share of chat messages paired with a response lies in the "
                                           "configured band."),)


@video_asset(GATES, kinds={"polars", "parquet"})
def aligned_pairs(context: dg.AssetExecutionContext, speech_segments: pl.DataFrame, chat_events: pl.DataFrame,
                  pipeline: PipelineResource):
    """Every (chat message, spoken response) candidate with its features, score, decision and reject reason;
    a review page (timeline, score histogram, pairs) is linked from the metadata, with the score and lag
    distributions."""
    config = pipeline.config
    scorer = load_scorer(config.align.scorer_path)
    pairs, calibration, spans, key, cache_hit = align_cached(
        speech_segments, chat_events, config.align, context.partition_key,
        prompt_filter(config.curate, config.align.prompt_filters), scorer, pipeline.stage_cache,
        config_hash(config.curate))
    review = write_review(pairs, spans, chat_events,
                          pipeline.layout.artifacts / "reviews" / f"{context.partition_key}.html",
                          f"Alignment review: {context.partition_key}")
    review_key = pipeline.store.publish(review, immutable=False)
    accepted = int(pairs["accepted"].sum())
    context.log.info(f"align: {pairs.height} candidates, {accepted} accepted, "
                     f"offset {calibration.offset_ms} ms from {calibration.matches} read-aloud matches")
    _, spread = checks.distributions(pairs)
    yield output(pairs, metadata={
        "review": dg.MetadataValue.path(pipeline.store.url(review_key)), "review_url": dg.MetadataValue.url(
            pipeline.layout.report_url(review) or review.as_uri()), "accepted": accepted,
        "offset_ms": calibration.offset_ms, "calibration_matches": calibration.matches,
        "lag_s_median": spread["lag_s_median"] or 0.0, "read_aloud_share": spread["read_aloud_share"],
        "lead_cut_share": spread["lead_cut_share"], "distributions": dg.MetadataValue.json(spread),
        "scorer_sha256": scorer.sha256, "stage_key": key, "cache_hit": cache_hit,
        "scorer_threshold": config.align.accept_threshold or scorer.threshold})
    if chat_events.height == 0:
        yield no_chat("alignment_acceptance_rate", "nothing to pair")
        return
    low, high = config.align.acceptance_band
    yield check_from("alignment_acceptance_rate", checks.check_acceptance_rate(pairs, low, high))
