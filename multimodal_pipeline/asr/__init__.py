"""Speech: audio -> speech segments with word timestamps, hallucination guards and QA checks (no dagster here).

Public API:
- `transcribe(audio_path, config=None, *, video_id="", progress=None, cache_dir=None) -> polars.DataFrame`
- `transcribe_full(...) -> TranscriptionResult` (segments, rejects, stats)
- `AsrConfig` (from `multimodal_pipeline.contracts.asr_config`), `load_model(config)`
- guards: `multimodal_pipeline.asr.guards.apply_guards` and the `flag_*` functions
- checks: `multimodal_pipeline.asr.checks.run_checks` and the `check_*` functions
- `wer(reference, hypothesis)`
"""

from multimodal_pipeline.asr.model import ModelNotAvailableError, load_model, model_hash, resolve_model
from multimodal_pipeline.asr.transcription import (
    CODE_VERSION,
    REJECTS_SCHEMA,
    SEGMENT_SCHEMA,
    ProgressFn,
    TranscriptionResult,
    asr_stage_key,
    decode_audio,
    default_cache_dir,
    segment_id,
    transcribe,
    transcribe_full,
)
from multimodal_pipeline.asr.wer import WerResult, normalize_words, wer, word_errors
from multimodal_pipeline.asr.whisperx_backend import WhisperXUnavailableError
from multimodal_pipeline.contracts.asr_config import AsrConfig, GateConfig, GuardConfig, VadParams

__all__ = [
    "CODE_VERSION", "REJECTS_SCHEMA", "SEGMENT_SCHEMA", "AsrConfig", "GateConfig", "GuardConfig",
    "ModelNotAvailableError", "ProgressFn", "TranscriptionResult", "VadParams", "WerResult",
    "WhisperXUnavailableError", "asr_stage_key", "decode_audio", "default_cache_dir", "load_model", "model_hash",
    "normalize_words", "resolve_model", "segment_id", "transcribe", "transcribe_full", "wer", "word_errors",
]
