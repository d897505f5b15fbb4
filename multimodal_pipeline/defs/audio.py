import polars as pl

import dagster as dg

from multimodal_pipeline.contracts import Audio, frame_from_records
from multimodal_pipeline.defs.common import Gate, check_result, output, video_asset
from multimodal_pipeline.defs.resources import PipelineResource
from multimodal_pipeline.media.audio import extract_audio_cached
from multimodal_pipeline.storage import config_hash

GATES = (
    Gate("audio_duration_matches_source", "Decoded audio lasts as long as the source container says (a short decode "
                                          "means a truncated file)."),
    Gate("audio_not_silent", "The audio's RMS level is above the silence floor."),
)


@video_asset(GATES, kinds={"pyav", "parquet"})
def audio(context: dg.AssetExecutionContext, raw_video: pl.DataFrame, pipeline: PipelineResource):
    """The video's audio decoded and resampled (16 kHz mono by default) into a lossless file under
    data/staged/audio/."""
    row = raw_video.row(0, named=True)
    config, store = pipeline.config.audio, pipeline.store
    result, cache_hit = extract_audio_cached(
        store.fetch(row["path"], row["sha256"]), row["sha256"], pipeline.layout.staged / "audio", config,
        pipeline.stage_cache,
        progress=lambda done, total: context.log.info(f"audio: {100 * done / total:.0f}% "
                                                      f"({done / 1000:.0f}/{total / 1000:.0f} s)"),
        warn=context.log.warning)
    key = store.publish(result.path)  # the audio file under its key (uploaded when the root is an object store)
    yield output(
        frame_from_records(Audio, [Audio(video_id=context.partition_key, path=key, sha256=result.sha256,
                                         sample_rate=result.sample_rate, channels=result.channels,
                                         source_channels=result.source_channels,
                                         source_sample_rate=result.source_sample_rate,
                                         duration_ms=result.duration_ms, rms_dbfs=result.rms_dbfs,
                                         peak_dbfs=result.peak_dbfs, config_hash=config_hash(config))]),
        metadata={"audio_file": dg.MetadataValue.path(store.url(key)), "duration_s": result.duration_ms / 1000,
                  "rms_dbfs": result.rms_dbfs, "corrupt_packets": result.corrupt_packets, "cache_hit": cache_hit})
    want, tolerance = row["duration_ms"], config.duration_tolerance_ms
    ok = want is None or abs(result.duration_ms - want) <= tolerance
    yield check_result("audio_duration_matches_source", ok,
                       {"audio_ms": result.duration_ms, "source_ms": want or -1, "tolerance_ms": tolerance},
                       "" if ok else f"audio {result.duration_ms} ms vs source {want} ms: truncated or damaged stream")
    floor = config.silence_floor_dbfs
    ok = result.rms_dbfs > floor
    yield check_result("audio_not_silent", ok,
                       {"rms_dbfs": result.rms_dbfs, "peak_dbfs": result.peak_dbfs, "floor_dbfs": floor},
                       "" if ok else f"RMS {result.rms_dbfs} dBFS is below the floor {floor} dBFS: silent audio")
