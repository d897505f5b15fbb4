import time

import polars as pl

import dagster as dg

from multimodal_pipeline.asr import checks, transcribe_full
from multimodal_pipeline.asr.transcription import subtitles_full
from multimodal_pipeline.defs.common import Gate, check_from, output, store_rejects, video_asset
from multimodal_pipeline.defs.resources import PipelineResource
from multimodal_pipeline.speaker import check_streamer_share, label_speakers

GATES = (
    Gate("speech_timestamps_valid", "Timestamps are non-negative, ordered and inside the audio's duration."),
    Gate("speech_words_inside_segments", "Every word lies inside its segment."),
    Gate("speech_coverage", "Speech seconds / audio seconds is above the floor."),
    Gate("speech_reject_share", "The share of segments rejected by the hallucination guards is below the ceiling."),
    Gate("speech_streamer_share", "A dominant (or the reference) voice was found: the streamer's share of the speech "
                                  "is above the floor."),
)


@video_asset(GATES, kinds={"faster-whisper", "parquet"}, pool="asr")
def speech_segments(context: dg.AssetExecutionContext, audio: pl.DataFrame, raw_video: pl.DataFrame,
                    pipeline: PipelineResource):
    """Speech segments with word timestamps (faster-whisper, bundled tiny.en by default); guarded segments kept
    as rejects with their reason; each segment labelled with its voice (`speaker`: the streamer or another voice)
    and cut where the voice changes. The same audio, model and config are never transcribed twice (stage key).
    With `asr.subtitles` (the inbox line's `subs=`), the transcript stored with the original is the speech instead."""
    row = audio.row(0, named=True)
    last = [0.0]

    def progress(fraction: float, audio_s: float, speed: float) -> None:
        if fraction >= 1.0 or time.monotonic() - last[0] > 10:
            last[0] = time.monotonic()
            context.log.info(f"asr: {100 * fraction:.0f}% of the audio ({audio_s:.0f} s), {speed:.1f}x real time")

    asr = pipeline.video_config(context.partition_key).asr
    raw, store = raw_video.row(0, named=True), pipeline.store
    subs = raw.get("subs_path") and store.fetch(raw["subs_path"], raw.get("subs_sha256"))
    audio_path = store.fetch(row["path"], row["sha256"])
    if asr.subtitles and subs:
        context.log.info(f"speech from the stored transcript {subs} (subs={asr.subtitles}), not the ASR")
        result = subtitles_full(subs, row["duration_ms"], asr, video_id=context.partition_key)
    else:
        if asr.subtitles and asr.subtitles != "auto":
            raise ValueError(f"asr.subtitles={asr.subtitles!r} but no transcript was stored with the original of "
                             f"{context.partition_key}: list it on the inbox line (subs=...) so that it is stored")
        if asr.subtitles:
            context.log.warning("subs=auto: the video came without captions; the ASR transcribes it")
        result = transcribe_full(audio_path, asr, video_id=context.partition_key, progress=progress,
                                 cache_dir=store.sub("staged/asr_cache"), audio_sha256=row["sha256"])
    voice = raw.get("voice_path") and store.fetch(raw["voice_path"], raw.get("voice_sha256"))
    voices = label_speakers(audio_path, result.segments, asr.speakers, audio_sha256=row["sha256"],
                            cache=pipeline.stage_cache, reference=voice)  # the stored copy of `voice=`, if any
    context.log.info(f"speakers: {voices.stats['voices']} voice(s), streamer share {voices.stats['streamer_share']}, "
                     f"{voices.stats['elapsed_s']} s")
    segments = voices.segments
    yield output(segments, metadata={
        "source": result.stats.get("source", "asr"),
        "stats": dg.MetadataValue.json(result.stats), "cache_hit": bool(result.stats.get("cache_hit")),
        "speakers": dg.MetadataValue.json(voices.stats),
        "speech_s": checks.speech_ms(segments) / 1000,
        **store_rejects(pipeline, "speech_segments", context.partition_key, result.rejects)})
    gates = pipeline.config.asr.gates
    audio_ms = row["duration_ms"]
    yield check_from("speech_timestamps_valid",
                     checks.check_timestamps(segments, audio_ms, gates.timestamp_tolerance_ms))
    yield check_from("speech_words_inside_segments",
                     checks.check_words_inside_segments(segments, gates.word_tolerance_ms))
    yield check_from("speech_coverage", checks.check_speech_coverage(segments, audio_ms, gates.min_speech_coverage))
    yield check_from("speech_reject_share", checks.check_reject_share(segments, result.rejects, gates.max_reject_share))
    yield check_from("speech_streamer_share", check_streamer_share(voices.stats, gates.min_streamer_share))
