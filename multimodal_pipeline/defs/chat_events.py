import polars as pl

import dagster as dg

from multimodal_pipeline.chat import checks, parse_chat
from multimodal_pipeline.contracts import ChatEvent, empty_frame
from multimodal_pipeline.defs.common import Gate, check_from, no_chat, output, store_rejects, video_asset
from multimodal_pipeline.defs.resources import PipelineResource

GATES = (
    Gate("chat_inside_video", "Every ts_ms lies inside the video (with a tolerance); completeness figures as "
                              "metadata."),
    Gate("chat_reject_rate", "Rejected lines stay below the configured share."),
)


@video_asset(GATES, kinds={"parquet"})
def chat_events(context: dg.AssetExecutionContext, raw_video: pl.DataFrame, pipeline: PipelineResource):
    """The video's live chat as normalized events (format auto-detected); rejected lines kept with reasons."""
    row = raw_video.row(0, named=True)
    config = pipeline.video_config(context.partition_key).chat
    if row["chat_path"] is None:
        context.log.warning(f"{context.partition_key} has no chat sidecar: empty chat_events")
        yield output(empty_frame(ChatEvent), metadata={"format": "none", "events": 0})
        for gate in GATES:
            yield no_chat(gate.name, "no chat sidecar was given or found")
        return
    chat = pipeline.store.fetch(row["chat_path"], row["chat_sha256"])
    result = parse_chat(chat, context.partition_key, config=config)
    context.log.info(f"chat: {result.format}: {result.stats}")
    yield output(result.events, metadata={
        "format": result.format, "source": row["chat_source"], "events": result.events.height,
        "stats": dg.MetadataValue.json(result.stats),
        **store_rejects(pipeline, "chat_events", context.partition_key, result.rejects)})
    duration = row["duration_ms"]
    passed, meta = checks.check_ts_in_video(result.events, duration, config.ts_tolerance_ms)
    _, complete = checks.check_completeness(result.events, duration)
    yield check_from("chat_inside_video", (passed, {**meta, "completeness": complete}))
    rejects = result.rejects if result.rejects.height else pl.DataFrame(schema={"raw_ref": pl.String,
                                                                                "reason": pl.String})
    yield check_from("chat_reject_rate", checks.check_reject_rate(result.events, rejects, config.max_reject_rate))
