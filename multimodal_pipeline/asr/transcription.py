"""Audio -> speech segments: faster-whisper (batched, Silero VAD, word timestamps), guards, stage-key cache.

`transcribe_full` is the domain function behind the `speech_segments` asset:

1. resolve the model offline (bundled tiny.en by default) and hash its files;
2. with a `cache_dir`, look up the stage key (audio sha256, model hash, decoding config, code version): a hit
   returns the stored raw segments without loading the model;
3. otherwise decode the audio once (PyAV, 16 kHz mono), transcribe, report progress as segments arrive, and store
   the raw segments under the stage key;
4. run the hallucination/loop guards (cheap, so guard thresholds are not part of the stage key) and validate the
   kept table against the `SpeechSegment` contract.
"""

from __future__ import annotations

import json
import logging
import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from multimodal_pipeline.asr import model as asr_model
from multimodal_pipeline.asr.checks import speech_ms, summary
from multimodal_pipeline.asr.guards import apply_guards, reject_counts, rejects_schema
from multimodal_pipeline.contracts import SpeechSegment, polars_schema, validate
from multimodal_pipeline.contracts.asr_config import AsrConfig
from multimodal_pipeline.settings import DataLayout
from multimodal_pipeline.storage import TableStore, config_hash, sha256_file, stage_key
from multimodal_pipeline.storage.root import DataRoot, as_root
from multimodal_pipeline.storage.tables import CorruptTableError, MissingTableError

log = logging.getLogger(__name__)

STAGE = "speech_segments"
#: bump when the raw segments produced for the same audio/model/config change (extraction, rounding, clamping)
CODE_VERSION = "asr-raw-2"
SAMPLE_RATE = 16_000
RAW_TABLE = "raw_segments"

#: progress(fraction_done, audio_seconds_done, speed_x): speed_x is audio seconds per wall second
ProgressFn = Callable[[float, float, float], None]

SEGMENT_SCHEMA = polars_schema(SpeechSegment)
#: columns the recognizer does not decide: the voice (filled in by `multimodal_pipeline.speaker`; until then every
#: segment is the streamer's) and where word times come from (always the recognizer here)
DERIVED_COLUMNS = ("speaker", "streamer_p", "timing")
#: the cached, pre-guard table: the contract's columns with a positional index instead of the two ID columns
RAW_SCHEMA = pl.Schema(
    {"segment_index": pl.Int64(),
     **{k: v for k, v in SEGMENT_SCHEMA.items() if k not in ("video_id", "segment_id", *DERIVED_COLUMNS)}}
)
REJECTS_SCHEMA = rejects_schema(SEGMENT_SCHEMA)


@dataclass(frozen=True)
class TranscriptionResult:
    """Kept segments (the `SpeechSegment` contract), rejects (same columns + reason, detail) and run stats."""

    segments: pl.DataFrame
    rejects: pl.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RawTranscript:
    table: pl.DataFrame  # RAW_SCHEMA
    stats: dict[str, Any]
    speech_regions: list[tuple[int, int]] | None  # VAD regions for the silence guard, when computed


def default_cache_dir(layout: DataLayout | None = None) -> Path:
    """`data/staged/asr_cache`: where the `speech_segments` asset keeps raw transcripts by stage key."""
    return (layout or DataLayout.default()).staged / "asr_cache"


def segment_id(video_id: str, index: int) -> str:
    """Stable ID of the index-th raw segment (kept and rejected segments share one numbering)."""
    return f"{video_id}:{index:05d}" if video_id else f"{index:05d}"


def asr_stage_key(audio_sha256: str, model_sha256: str, config: AsrConfig, device: str, compute_type: str) -> str:
    return stage_key(
        STAGE,
        [f"audio:{audio_sha256}", f"model:{model_sha256}"],
        config_hash(config.decoding_fingerprint(device, compute_type)),
        CODE_VERSION,
    )


# --- public API --------------------------------------------------------------------------------------------------


def transcribe(
    audio_path: str | Path,
    config: AsrConfig | None = None,
    *,
    video_id: str = "",
    progress: ProgressFn | None = None,
    cache_dir: str | Path | DataRoot | None = None,
) -> pl.DataFrame:
    """Speech segments of one audio file (the `SpeechSegment` contract). See `transcribe_full` for the rest."""
    return transcribe_full(audio_path, config, video_id=video_id, progress=progress, cache_dir=cache_dir).segments


def transcribe_full(
    audio_path: str | Path,
    config: AsrConfig | None = None,
    *,
    video_id: str = "",
    progress: ProgressFn | None = None,
    cache_dir: str | Path | DataRoot | None = None,
    audio_sha256: str | None = None,
) -> TranscriptionResult:
    """Transcribe `audio_path` (any file PyAV decodes) into kept segments, rejects and stats.

    With `cache_dir` (e.g. `data/staged/asr_cache`), the raw transcript is stored under
    `<cache_dir>/<stage_key>/` and a later call with the same audio bytes, model files and decoding config
    reuses it (`stats["cache_hit"]`) without loading the model. Pass `audio_sha256` when the audio tier already
    hashed the file (it is then trusted, not recomputed).
    """
    config = config or AsrConfig()
    started = time.perf_counter()
    audio_path = Path(audio_path)
    if not audio_path.is_file():
        raise FileNotFoundError(f"audio file not found: {audio_path}")
    resolved = asr_model.resolve_model(config)
    model_sha = asr_model.model_hash(resolved.path)

    key = audio_sha = None
    raw: RawTranscript | None = None
    if cache_dir is not None:
        audio_sha = audio_sha256 or sha256_file(audio_path)
        key = asr_stage_key(audio_sha, model_sha, config, resolved.device, resolved.compute_type)
        raw = read_cache(as_root(cache_dir).sub(key))
    cache_hit = raw is not None
    if raw is None:
        raw = _run_backend(audio_path, config, resolved, progress)
        if cache_dir is not None and key is not None:
            write_cache(as_root(cache_dir).sub(key), raw, key)
    elif progress is not None:
        progress(1.0, raw.stats["audio_s"], math.inf)

    audio_ms = int(round(raw.stats["audio_s"] * 1000))
    kept_raw, rejects_raw = apply_guards(raw.table, config.guards, speech_regions=raw.speech_regions,
                                         audio_ms=audio_ms)
    segments = validate(_label(kept_raw, video_id, SEGMENT_SCHEMA), SpeechSegment,
                        source=f"speech_segments({video_id or audio_path.name})")
    rejects = _label(rejects_raw, video_id, REJECTS_SCHEMA)

    stats = _stats(raw, segments, rejects, resolved, model_sha, config, audio_ms)
    stats.update(cache_hit=cache_hit, stage_key=key, audio_sha256=audio_sha,
                 elapsed_s=round(time.perf_counter() - started, 3))
    return TranscriptionResult(segments, rejects, stats)


def subtitles_full(subtitle_path: str | Path, audio_ms: int, config: AsrConfig | None = None, *,
                   video_id: str = "") -> TranscriptionResult:
    """An existing transcript (SRT, WebVTT, json3) as the speech source: the same contract, clamped into the audio's
    duration, through the same hallucination guards (captions have their own loops: "[Music] [Music] ...")."""
    from multimodal_pipeline.asr.subtitles import read_subtitles

    config = config or AsrConfig()
    started = time.perf_counter()
    cues = read_subtitles(subtitle_path, video_id)
    inside = cues.filter(pl.col("start_ms") < audio_ms)
    # cues come in time order and clamping keeps it, so a cue's position is its `segment_index`
    table, clamped = _raw_table(inside.select([c for c in RAW_SCHEMA.names() if c != "segment_index"]).to_dicts(),
                                audio_ms)
    kept_raw, rejects_raw = apply_guards(table, config.guards, audio_ms=audio_ms)
    timing = dict(enumerate(inside["timing"].to_list()))
    kept_raw, rejects_raw = (t.with_columns(timing=pl.col("segment_index").replace_strict(timing, return_dtype=pl.String))
                             for t in (kept_raw, rejects_raw))
    segments = validate(_label(kept_raw, video_id, SEGMENT_SCHEMA), SpeechSegment,
                        source=f"speech_segments({video_id or Path(subtitle_path).name})")
    rejects = _label(rejects_raw, video_id, REJECTS_SCHEMA)
    total = segments.height + rejects.height
    stats = {"source": "subtitles", "subtitles": str(subtitle_path), "cues": cues.height,
             "cues_after_audio_end": cues.height - inside.height, "clamped_times": clamped,
             "audio_s": round(audio_ms / 1000, 3), "segments": segments.height, "rejected": rejects.height,
             "reject_share": round(rejects.height / total, 4) if total else 0.0,
             "rejected_by_reason": reject_counts(rejects),
             "word_timing": {k: int(v) for k, v in segments["timing"].value_counts().iter_rows()},
             "speech_s": round(speech_ms(segments) / 1000, 3), "elapsed_s": round(time.perf_counter() - started, 3),
             "cache_hit": False, "code_version": CODE_VERSION}
    return TranscriptionResult(segments, rejects, stats)


# --- backends ----------------------------------------------------------------------------------------------------


def decode_audio(path: str | Path) -> np.ndarray:
    """16 kHz mono float32 samples of any file PyAV can decode (WAV, FLAC, MP3, the audio track of an MP4)."""
    from faster_whisper.audio import decode_audio as fw_decode

    return fw_decode(str(path), sampling_rate=SAMPLE_RATE)


def transcribe_options(config: AsrConfig, duration_s: float) -> dict[str, Any]:
    """The keyword arguments handed to faster-whisper (shared with the benchmark's bare baseline)."""
    opts: dict[str, Any] = {
        "language": config.language,
        "beam_size": config.beam_size,
        "word_timestamps": config.word_timestamps,
        "vad_filter": config.vad_filter,
        "vad_parameters": config.vad.to_faster_whisper(config.batched) if config.vad_filter else None,
        "initial_prompt": config.initial_prompt,
    }
    if config.batched:
        opts["batch_size"] = config.batch_size
        opts["without_timestamps"] = config.without_timestamps
        opts["temperature"] = config.temperatures[0]
        if not config.vad_filter and duration_s >= 30:
            # the batched pipeline needs chunks: without VAD, fixed 30 s windows
            opts["clip_timestamps"] = [
                {"start": float(s), "end": float(min(s + 30, duration_s))} for s in range(0, math.ceil(duration_s), 30)
            ]
    else:
        opts["temperature"] = list(config.temperatures)
        opts["condition_on_previous_text"] = config.condition_on_previous_text
    return opts


def _run_backend(audio_path: Path, config: AsrConfig, resolved: asr_model.ResolvedModel,
                 progress: ProgressFn | None) -> RawTranscript:
    t0 = time.perf_counter()
    audio = decode_audio(audio_path)
    duration_s = audio.shape[0] / SAMPLE_RATE
    decode_s = time.perf_counter() - t0
    if config.backend == "whisperx":
        from multimodal_pipeline.asr.whisperx_backend import transcribe_whisperx

        rows, extra = transcribe_whisperx(audio, config, resolved, progress)
        load_s = extra.pop("load_s", 0.0)
    else:
        t1 = time.perf_counter()
        model = asr_model._load(resolved)
        load_s = time.perf_counter() - t1
        rows, extra = _run_faster_whisper(model, audio, duration_s, config, progress)
    n_decoded = len(rows)
    if config.word_timestamps and config.split_pause_ms:
        rows = split_on_pauses(rows, config.split_pause_ms)
    table, clamped = _raw_table(rows, int(round(duration_s * 1000)))

    regions = None
    if not config.vad_filter and config.guards.silence_guard_vad_when_unfiltered and config.guards.long_silence_ms:
        regions = speech_regions(audio, config)
    transcribe_s = extra.pop("transcribe_s")
    stats = {
        "audio_s": round(duration_s, 3),
        "decode_s": round(decode_s, 3),
        "model_load_s": round(load_s, 3),
        "transcribe_s": round(transcribe_s, 3),
        "decoded_segments": n_decoded,
        "raw_segments": table.height,
        "clamped_timestamps": clamped,
        **extra,
    }
    return RawTranscript(table, stats, regions)


def _run_faster_whisper(model: Any, audio: np.ndarray, duration_s: float, config: AsrConfig,
                        progress: ProgressFn | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from faster_whisper import BatchedInferencePipeline

    opts = transcribe_options(config, duration_s)
    started = time.perf_counter()
    if config.batched:
        segments, info = BatchedInferencePipeline(model).transcribe(audio, **opts)
    else:
        segments, info = model.transcribe(audio, **opts)
    rows = []
    for seg in segments:
        rows.append(_segment_row(seg))
        if progress is not None:
            done = min(float(seg.end), duration_s)
            elapsed = time.perf_counter() - started
            progress(done / duration_s if duration_s else 1.0, done, done / elapsed if elapsed > 0 else math.inf)
    transcribe_s = time.perf_counter() - started
    if progress is not None:
        progress(1.0, duration_s, duration_s / transcribe_s if transcribe_s > 0 else math.inf)
    return rows, {
        "transcribe_s": transcribe_s,
        "vad_speech_s": round(float(info.duration_after_vad), 3),
        "language": info.language,
        "language_probability": round(float(info.language_probability), 4),
    }


def _segment_row(seg: Any) -> dict[str, Any]:
    words = [
        {"word": w.word.strip(), "start_ms": _ms(w.start), "end_ms": _ms(w.end), "prob": float(w.probability)}
        for w in (seg.words or [])
    ]
    return {
        "start_ms": _ms(seg.start), "end_ms": _ms(seg.end), "text": seg.text.strip(), "words": words,
        "avg_logprob": float(seg.avg_logprob), "no_speech_prob": float(seg.no_speech_prob),
        "compression_ratio": float(seg.compression_ratio),
    }


def compression_ratio(text: str) -> float:
    """gzip compression ratio of the text, as faster-whisper computes it."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def segment_piece(row: dict[str, Any], words: list[dict[str, Any]]) -> dict[str, Any]:
    """`row` cut down to some of its words: their span and text, the compression ratio recomputed on that text."""
    text = " ".join(w["word"] for w in words if w["word"])
    return {**row, "start_ms": words[0]["start_ms"], "end_ms": words[-1]["end_ms"], "text": text, "words": words,
            "compression_ratio": compression_ratio(text)}


def split_on_pauses(rows: list[dict[str, Any]], pause_ms: int) -> list[dict[str, Any]]:
    """Split each segment where two consecutive words are at least `pause_ms` apart.

    Pieces take their words' span and text; the decoder's probabilities (per 30 s chunk in batched mode) are
    inherited and the compression ratio is recomputed on the piece's text. Segments without words are kept as is.
    """
    out: list[dict[str, Any]] = []
    for row in rows:
        words = row["words"]
        cuts = [i for i in range(1, len(words)) if words[i]["start_ms"] - words[i - 1]["end_ms"] >= pause_ms]
        if not cuts:
            out.append(row)
            continue
        out.extend(segment_piece(row, words[a:b]) for a, b in zip([0, *cuts], [*cuts, len(words)], strict=True))
    return out


def _ms(seconds: float) -> int:
    return int(round(float(seconds) * 1000))


def _raw_table(rows: list[dict[str, Any]], audio_ms: int) -> tuple[pl.DataFrame, int]:
    """Rows in time order with positional indexes; times clamped into [0, audio_ms] (count returned)."""
    clamped = 0

    def clamp(v: int) -> int:
        nonlocal clamped
        c = min(max(v, 0), audio_ms)
        clamped += c != v
        return c

    out = []
    for row in rows:
        words = [{**w, "start_ms": clamp(w["start_ms"]), "end_ms": clamp(w["end_ms"])} for w in row["words"]]
        for w in words:
            w["end_ms"] = max(w["end_ms"], w["start_ms"])
        start, end = clamp(row["start_ms"]), clamp(row["end_ms"])
        out.append({**row, "start_ms": start, "end_ms": max(end, start), "words": words})
    out.sort(key=lambda r: (r["start_ms"], r["end_ms"]))
    table = pl.DataFrame([{"segment_index": i, **r} for i, r in enumerate(out)], schema=RAW_SCHEMA)
    return table, clamped


def speech_regions(audio: np.ndarray, config: AsrConfig) -> list[tuple[int, int]]:
    """Silero VAD speech regions in ms (used by the silence guard when decoding ran without VAD)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    ts = get_speech_timestamps(audio, VadOptions(**config.vad.to_faster_whisper(batched=False)))
    return [(int(t["start"] * 1000 // SAMPLE_RATE), int(t["end"] * 1000 // SAMPLE_RATE)) for t in ts]


# --- labelling and stats -----------------------------------------------------------------------------------------


def _label(df: pl.DataFrame, video_id: str, schema: pl.Schema) -> pl.DataFrame:
    ids = [segment_id(video_id, int(i)) for i in df["segment_index"].to_list()]
    return df.with_columns(
        pl.lit(video_id, dtype=pl.String).alias("video_id"), pl.Series("segment_id", ids, dtype=pl.String),
        *(pl.lit(SpeechSegment.model_fields[c].default).alias(c) for c in DERIVED_COLUMNS if c not in df.columns),
    ).select(schema.names()).cast(dict(schema))


def _stats(raw: RawTranscript, segments: pl.DataFrame, rejects: pl.DataFrame, resolved: asr_model.ResolvedModel,
           model_sha: str, config: AsrConfig, audio_ms: int) -> dict[str, Any]:
    audio_s = raw.stats["audio_s"]
    transcribe_s = raw.stats["transcribe_s"]
    speech_s = speech_ms(segments) / 1000
    total = segments.height + rejects.height
    s = summary(segments)
    return {
        **raw.stats,
        "speech_s": round(speech_s, 3),
        "speech_coverage": round(speech_s / audio_s, 4) if audio_s else 0.0,
        "real_time_factor": round(transcribe_s / audio_s, 4) if audio_s else None,
        "speed_x": round(audio_s / transcribe_s, 2) if transcribe_s else None,
        "model_id": resolved.model_id,
        "model_path": resolved.path,
        "model_sha256": model_sha,
        "backend": config.backend,
        "device": resolved.device,
        "compute_type": resolved.compute_type,
        "cpu_threads": resolved.cpu_threads,
        "batched": config.batched,
        "segments": segments.height,
        "rejected": rejects.height,
        "reject_share": round(rejects.height / total, 4) if total else 0.0,
        "rejected_by_reason": reject_counts(rejects),
        "words": s["words"],
        "mean_word_prob": s["mean_word_prob"],
        "mean_avg_logprob": s["mean_avg_logprob"],
        "mean_token_prob": s["mean_token_prob"],
        "mean_no_speech_prob": s["mean_no_speech_prob"],
        "code_version": CODE_VERSION,
    }


# --- stage-key cache ---------------------------------------------------------------------------------------------

MANIFEST = "manifest.json"


def write_cache(folder: DataRoot, raw: RawTranscript, key: str) -> None:
    """Store the raw table (content-addressed Parquet) then the manifest, atomically: the manifest commits it."""
    stored = TableStore(folder).write(raw.table, RAW_TABLE, None, schema_version=SpeechSegment.schema_version)
    manifest = {
        "stage": STAGE,
        "stage_key": key,
        "code_version": CODE_VERSION,
        "table": f"{RAW_TABLE}/{Path(stored.path).name}",
        "table_sha256": stored.sha256,
        "rows": stored.rows,
        "stats": raw.stats,
        "speech_regions": raw.speech_regions,
    }
    folder.write_text(MANIFEST, json.dumps(manifest, sort_keys=True, indent=1))


def read_cache(folder: DataRoot) -> RawTranscript | None:
    """The cached raw transcript in `folder`, or None when absent or unreadable (then it is recomputed)."""
    try:
        manifest = json.loads(folder.read_text(MANIFEST))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ASR cache entry %s is unusable, transcribing again: %s", folder, exc)
        return None
    try:
        table = TableStore(folder).read_path(folder.base.key(folder.path(manifest["table"])))  # the data root's key
        if table.schema != RAW_SCHEMA:
            raise ValueError(f"cached table schema {table.schema} differs from {RAW_SCHEMA}")
    except (OSError, ValueError, KeyError, CorruptTableError, MissingTableError) as exc:
        log.warning("ASR cache entry %s is unusable, transcribing again: %s", folder, exc)
        return None
    regions = manifest.get("speech_regions")
    return RawTranscript(table, manifest["stats"], [tuple(r) for r in regions] if regions is not None else None)
