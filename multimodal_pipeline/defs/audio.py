import polars as pl

import dagster as dg

from multimodal_pipeline.contracts import Audio, frame_from_records
from multimodal_pipeline.defs.common import check_result, video_asset, video_check
from multimodal_pipeline.defs.resources import PipelineResource
from multimodal_pipeline.media.audio import extract_audio
from multimodal_pipeline.storage import config_hash


@video_asset(kinds={"pyav", "parquet"})
def audio(context: dg.AssetExecutionContext, raw_video: pl.DataFrame, pipeline: PipelineResource) -> pl.DataFrame:
    """The video's audio decoded and resampled (16 kHz mono by default) into a lossless file under data/staged/audio/."""
    row = raw_video.row(0, named=True)
    config = pipeline.config.audio
    result = extract_audio(row["path"], pipeline.layout.staged / "audio", config,
                           progress=lambda done, total: context.log.info(f"audio: {100 * done / total:.0f}% "
                                                                         f"({done / 1000:.0f}/{total / 1000:.0f} s)"),
                           warn=context.log.warning)
    context.add_output_metadata({"audio_file": dg.MetadataValue.path(str(result.path)),
                                 "duration_s": result.duration_ms / 1000, "rms_dbfs": result.rms_dbfs,
                                 "corrupt_packets": result.corrupt_packets})
    return frame_from_records(Audio, [Audio(video_id=context.partition_key, path=str(result.path),
                                            sha256=result.sha256, sample_rate=result.sample_rate,
                                            channels=result.channels, source_channels=result.source_channels,
                                            source_sample_rate=result.source_sample_rate,
                                            duration_ms=result.duration_ms, rms_dbfs=result.rms_dbfs,
                                            peak_dbfs=result.peak_dbfs, config_hash=config_hash(config))])


@video_check(audio, blocking=True, additional_ins={"raw_video": dg.AssetIn()})
def audio_duration_matches_source(audio: pl.DataFrame, raw_video: pl.DataFrame,
                                  pipeline: PipelineResource) -> dg.AssetCheckResult:
    """Decoded audio lasts as long as the source container says (a short decode means a truncated file)."""
    got, want = audio["duration_ms"][0], raw_video["duration_ms"][0]
    tolerance = pipeline.config.audio.duration_tolerance_ms
    ok = want is None or abs(got - want) <= tolerance
    return check_result(ok, {"audio_ms": got, "source_ms": want or -1, "tolerance_ms": tolerance},
                        "" if ok else f"audio {got} ms vs source {want} ms: truncated or damaged stream")


@video_check(audio, blocking=True)
def audio_format_as_configured(audio: pl.DataFrame, pipeline: PipelineResource) -> dg.AssetCheckResult:
    """Sample rate and channel count are the configured ones."""
    config = pipeline.config.audio
    row = audio.row(0, named=True)
    ok = row["sample_rate"] == config.sample_rate and row["channels"] == config.channels
    return check_result(ok, {"sample_rate": row["sample_rate"], "channels": row["channels"],
                             "source_sample_rate": row["source_sample_rate"],
                             "source_channels": row["source_channels"]})


@video_check(audio, blocking=True)
def audio_not_silent(audio: pl.DataFrame, pipeline: PipelineResource) -> dg.AssetCheckResult:
    """The audio's RMS level is above the silence floor."""
    row = audio.row(0, named=True)
    floor = pipeline.config.audio.silence_floor_dbfs
    ok = row["rms_dbfs"] > floor
    return check_result(ok, {"rms_dbfs": row["rms_dbfs"], "peak_dbfs": row["peak_dbfs"], "floor_dbfs": floor},
                        "" if ok else f"RMS {row['rms_dbfs']} dBFS is below the floor {floor} dBFS: silent audio")
