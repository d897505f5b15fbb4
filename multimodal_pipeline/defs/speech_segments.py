import time

import polars as pl

import dagster as dg

from multimodal_pipeline.asr import checks, transcribe_full
from multimodal_pipeline.defs.common import check_from, load_rejects, store_rejects, video_asset, video_check
from multimodal_pipeline.defs.resources import PipelineResource


@video_asset(kinds={"faster-whisper", "parquet"}, pool="asr")
def speech_segments(context: dg.AssetExecutionContext, audio: pl.DataFrame,
                    pipeline: PipelineResource) -> pl.DataFrame:
    """Speech segments with word timestamps (faster-whisper, bundled tiny.en by default); guarded segments kept
    as rejects with their reason. The same audio, model and config are never transcribed twice (stage key)."""
    row = audio.row(0, named=True)
    last = [0.0]

    def progress(fraction: float, audio_s: float, speed: float) -> None:
        if fraction >= 1.0 or time.monotonic() - last[0] > 10:
            last[0] = time.monotonic()
            context.log.info(f"asr: {100 * fraction:.0f}% of the audio ({audio_s:.0f} s), {speed:.1f}x real time")

    result = transcribe_full(row["path"], pipeline.video_config(context.partition_key).asr,
                             video_id=context.partition_key, progress=progress,
                             cache_dir=pipeline.layout.staged / "asr_cache", audio_sha256=row["sha256"])
    context.add_output_metadata({"stats": dg.MetadataValue.json(result.stats),
                                 "cache_hit": bool(result.stats.get("cache_hit")),
                                 **store_rejects(pipeline, "speech_segments", context.partition_key, result.rejects)})
    return result.segments


@video_check(speech_segments, blocking=True, additional_ins={"audio": dg.AssetIn()})
def speech_timestamps_valid(speech_segments: pl.DataFrame, audio: pl.DataFrame,
                            pipeline: PipelineResource) -> dg.AssetCheckResult:
    """Timestamps are non-negative, ordered and inside the audio's duration."""
    gates = pipeline.config.asr.gates
    return check_from(checks.check_timestamps(speech_segments, audio["duration_ms"][0], gates.timestamp_tolerance_ms))


@video_check(speech_segments, blocking=True)
def speech_words_inside_segments(speech_segments: pl.DataFrame, pipeline: PipelineResource) -> dg.AssetCheckResult:
    """Every word lies inside its segment."""
    return check_from(checks.check_words_inside_segments(speech_segments, pipeline.config.asr.gates.word_tolerance_ms))


@video_check(speech_segments, blocking=True, additional_ins={"audio": dg.AssetIn()})
def speech_coverage(speech_segments: pl.DataFrame, audio: pl.DataFrame,
                    pipeline: PipelineResource) -> dg.AssetCheckResult:
    """Speech seconds / audio seconds is above the floor."""
    gates = pipeline.config.asr.gates
    return check_from(checks.check_speech_coverage(speech_segments, audio["duration_ms"][0], gates.min_speech_coverage))


@video_check(speech_segments, blocking=True)
def speech_reject_share(context: dg.AssetCheckExecutionContext, speech_segments: pl.DataFrame,
                        pipeline: PipelineResource) -> dg.AssetCheckResult:
    """The share of segments rejected by the hallucination guards is below the ceiling."""
    rejects = load_rejects(pipeline, "speech_segments", context.partition_key)
    return check_from(checks.check_reject_share(speech_segments, rejects, pipeline.config.asr.gates.max_reject_share))


@video_check(speech_segments, blocking=True)
def speech_no_repeats(speech_segments: pl.DataFrame) -> dg.AssetCheckResult:
    """No segment repeats the previous one (a decoding loop)."""
    return check_from(checks.check_no_repeats(speech_segments))
