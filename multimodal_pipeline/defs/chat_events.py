import polars as pl

import dagster as dg

from multimodal_pipeline.chat import checks, parse_chat
from multimodal_pipeline.contracts import ChatEvent, empty_frame
from multimodal_pipeline.defs.common import check_from, load_rejects, store_rejects, video_asset, video_check
from multimodal_pipeline.defs.resources import PipelineResource


@video_asset(kinds={"parquet"})
def chat_events(context: dg.AssetExecutionContext, raw_video: pl.DataFrame,
                pipeline: PipelineResource) -> pl.DataFrame:
    """The video's live chat as normalized events (format auto-detected); rejected lines kept with reasons."""
    row = raw_video.row(0, named=True)
    if row["chat_path"] is None:
        context.log.warning(f"{context.partition_key} has no chat sidecar: empty chat_events")
        return empty_frame(ChatEvent)
    result = parse_chat(row["chat_path"], context.partition_key,
                        config=pipeline.video_config(context.partition_key).chat)
    context.log.info(f"chat: {result.format}: {result.stats}")
    context.add_output_metadata({"format": result.format, "source": row["chat_source"],
                                 "stats": dg.MetadataValue.json(result.stats),
                                 **store_rejects(pipeline, "chat_events", context.partition_key, result.rejects)})
    return result.events


@video_check(chat_events, blocking=True)
def chat_schema_holds(chat_events: pl.DataFrame) -> dg.AssetCheckResult:
    """The table holds the chat-event contract."""
    return check_from(checks.check_schema(chat_events))


@video_check(chat_events, blocking=True, additional_ins={"raw_video": dg.AssetIn()})
def chat_inside_video(chat_events: pl.DataFrame, raw_video: pl.DataFrame,
                      pipeline: PipelineResource) -> dg.AssetCheckResult:
    """Every ts_ms lies inside the video (with a tolerance); completeness figures as metadata."""
    duration = raw_video["duration_ms"][0]
    passed, meta = checks.check_ts_in_video(chat_events, duration, pipeline.config.chat.ts_tolerance_ms)
    _, complete = checks.check_completeness(chat_events, duration)
    return check_from((passed, {**meta, "completeness": complete}))


@video_check(chat_events, blocking=True)
def chat_reject_rate(context: dg.AssetCheckExecutionContext, chat_events: pl.DataFrame,
                     pipeline: PipelineResource) -> dg.AssetCheckResult:
    """Rejected lines stay below the configured share."""
    rejects = load_rejects(pipeline, "chat_events", context.partition_key)
    if rejects.height == 0:
        rejects = pl.DataFrame(schema={"raw_ref": pl.String, "reason": pl.String})
    return check_from(checks.check_reject_rate(chat_events, rejects, pipeline.config.chat.max_reject_rate))


@video_check(chat_events, blocking=True)
def chat_unique_event_ids(chat_events: pl.DataFrame) -> dg.AssetCheckResult:
    """No event id appears twice."""
    return check_from(checks.check_unique_event_ids(chat_events))
