import dagster as dg

from multimodal_pipeline.contracts import RawVideo, frame_from_records
from multimodal_pipeline.defs.common import Gate, check_result, output, video_asset
from multimodal_pipeline.defs.resources import PipelineResource
from multimodal_pipeline.ingest.fetch import IngestError, acquire
from multimodal_pipeline.ingest.registry import lookup

GATES = (Gate("raw_has_audio_stream", "The original has an audio stream that decodes (the probe decodes its first "
                                      "packet)."),)


@video_asset(GATES, kinds={"yt-dlp", "parquet"})
def raw_video(context: dg.AssetExecutionContext, pipeline: PipelineResource):
    """The immutable original of one video (and its chat sidecar) under data/raw/, by sha256, in the ledger. A stored
    original is verified against the ledger before it is used (a changed byte fails the step)."""
    entry = lookup(pipeline.registry, context.partition_key)
    context.log.info(f"acquiring {entry.uri} (listed in {entry.inbox_file}:{entry.line})")
    ingest = pipeline.config.ingest
    try:
        record = acquire(entry, pipeline.layout.raw, ingest, log=context.log.info, store=pipeline.store)
    except IngestError as exc:
        if not exc.transient:  # a 404, an unsupported URL, a file too large: retrying cannot help
            raise
        wait = ingest.retry_backoff_s * 10 * 2 ** context.retry_number
        context.log.warning(f"{exc}; the step runs again in {wait:.0f} s")
        raise dg.RetryRequested(max_retries=ingest.retries, seconds_to_wait=wait) from exc
    yield output(frame_from_records(RawVideo, [record]), metadata={
        "source_uri": record.source_uri, "original": dg.MetadataValue.path(pipeline.store.url(record.path)),
        "bytes": record.bytes,
        "duration_ms": record.duration_ms or 0, "has_chat": record.chat_path is not None})
    ok = record.audio_codec is not None
    yield check_result("raw_has_audio_stream", ok,
                       {"container": record.container, "video_codec": record.video_codec,
                        "audio_codec": record.audio_codec, "audio_channels": record.audio_channels,
                        "audio_sample_rate": record.audio_sample_rate},
                       "" if ok else f"{record.path} has no audio stream: nothing to transcribe")
