import polars as pl

import dagster as dg

from multimodal_pipeline.contracts import RawVideo, frame_from_records
from multimodal_pipeline.defs.common import check_result, video_asset, video_check
from multimodal_pipeline.defs.resources import PipelineResource
from multimodal_pipeline.ingest.fetch import IngestError, acquire
from multimodal_pipeline.ingest.ledger import Ledger, RawIntegrityError
from multimodal_pipeline.ingest.registry import lookup


@video_asset(kinds={"yt-dlp", "parquet"})
def raw_video(context: dg.AssetExecutionContext, pipeline: PipelineResource) -> pl.DataFrame:
    """The immutable original of one video (and its chat sidecar) under data/raw/, by sha256, in the ledger."""
    entry = lookup(pipeline.layout.registry, context.partition_key)
    context.log.info(f"acquiring {entry.uri} (listed in {entry.inbox_file}:{entry.line})")
    ingest = pipeline.config.ingest
    try:
        record = acquire(entry, pipeline.layout.raw, ingest, log=context.log.info)
    except IngestError as exc:
        if not exc.transient:  # a 404, an unsupported URL, a file too large: retrying cannot help
            raise
        wait = ingest.retry_backoff_s * 10 * 2 ** context.retry_number
        context.log.warning(f"{exc}; the step runs again in {wait:.0f} s")
        raise dg.RetryRequested(max_retries=ingest.retries, seconds_to_wait=wait) from exc
    context.add_output_metadata({"source_uri": record.source_uri, "original": dg.MetadataValue.path(record.path),
                                 "bytes": record.bytes, "duration_ms": record.duration_ms or 0})
    return frame_from_records(RawVideo, [record])


@video_check(raw_video, blocking=True)
def raw_checksum_matches_ledger(raw_video: pl.DataFrame, pipeline: PipelineResource) -> dg.AssetCheckResult:
    """The stored original (and chat sidecar) still hash to what the ledger recorded."""
    row = raw_video.row(0, named=True)
    ledger = Ledger(pipeline.layout.raw)
    problems = []
    for path in filter(None, (row["path"], row["chat_path"])):
        entry = ledger.for_path(path)
        try:
            if entry is None:
                raise RawIntegrityError(f"{path} has no ledger entry")
            ledger.verify(entry)
        except RawIntegrityError as exc:
            problems.append(str(exc))
    return check_result(not problems, {"files_checked": 1 + bool(row["chat_path"]), "problems": problems},
                        "; ".join(problems))


@video_check(raw_video, blocking=True)
def raw_has_audio_stream(raw_video: pl.DataFrame) -> dg.AssetCheckResult:
    """The original has an audio stream that decodes (the probe decodes its first packet)."""
    row = raw_video.row(0, named=True)
    ok = row["audio_codec"] is not None
    return check_result(ok, {k: row[k] for k in ("container", "video_codec", "audio_codec", "audio_channels",
                                                 "audio_sample_rate")},
                        "" if ok else f"{row['path']} has no audio stream: nothing to transcribe")
