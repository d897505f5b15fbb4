"""Optional whisperx backend (`AsrConfig(backend="whisperx")`): same inputs and outputs as the default backend.

NOT RUN in this repository: whisperx is not installed here (it pins torch 2.8 with CUDA, while this project runs
torch 2.13 CPU) and its word aligner needs wav2vec2 weights from a model hub, which this pipeline never downloads.
The code follows whisperx's documented API (load_model -> transcribe -> load_align_model -> align) and is kept
behind a lazy import so the default path never touches it. See docs/asr.md.
"""

from __future__ import annotations

import gzip
import math
import time
from typing import Any

import numpy as np

from multimodal_pipeline.contracts.asr_config import AsrConfig

INSTALL_HINT = (
    "the 'whisperx' ASR backend needs the optional package whisperx (pip install whisperx), which pins torch 2.8 "
    "with CUDA (this project pins torch 2.13 CPU, so install it in a separate GPU environment), and its word "
    "aligner needs wav2vec2 alignment weights (e.g. WAV2VEC2_ASR_BASE_960H from torchaudio, or a Hugging Face "
    "wav2vec2 model) present locally: this pipeline never downloads weights at run time. Set "
    "AsrConfig.whisperx_align_model to a local wav2vec2 directory. The default backend 'faster-whisper' needs none "
    "of this and gives word timestamps from cross-attention."
)


class WhisperXUnavailableError(RuntimeError):
    """whisperx (or its alignment weights) is not available in this environment."""


def _compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / len(gzip.compress(data)) if data else 0.0


def transcribe_whisperx(audio: np.ndarray, config: AsrConfig, resolved: Any, progress: Any = None
                        ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    try:
        import whisperx  # noqa: PLC0415 - optional, heavy
    except ImportError as exc:
        raise WhisperXUnavailableError(INSTALL_HINT) from exc

    t0 = time.perf_counter()
    model = whisperx.load_model(
        resolved.path, resolved.device, compute_type=resolved.compute_type, language=config.language,
        threads=resolved.cpu_threads,
    )
    load_s = time.perf_counter() - t0
    started = time.perf_counter()
    result = model.transcribe(audio, batch_size=config.batch_size, language=config.language)
    try:
        align_model, metadata = whisperx.load_align_model(
            language_code=result.get("language", config.language or "en"), device=resolved.device,
            model_name=config.whisperx_align_model,
        )
    except Exception as exc:  # noqa: BLE001 - whisperx raises whatever the hub client raises
        raise WhisperXUnavailableError(f"whisperx could not load its alignment model: {exc}. {INSTALL_HINT}") from exc
    aligned = whisperx.align(result["segments"], align_model, metadata, audio, resolved.device,
                             return_char_alignments=False)
    duration_s = audio.shape[0] / 16000
    rows = []
    for seg in aligned["segments"]:
        words = [
            {"word": str(w["word"]).strip(), "start_ms": int(round(w["start"] * 1000)),
             "end_ms": int(round(w["end"] * 1000)), "prob": float(w.get("score", math.nan))}
            for w in seg.get("words", []) if "start" in w and "end" in w  # unalignable tokens carry no times
        ]
        text = str(seg.get("text", "")).strip()
        rows.append({
            "start_ms": int(round(seg["start"] * 1000)), "end_ms": int(round(seg["end"] * 1000)), "text": text,
            "words": words, "avg_logprob": float(seg.get("avg_logprob", math.nan)),
            "no_speech_prob": float(seg.get("no_speech_prob", 0.0)), "compression_ratio": _compression_ratio(text),
        })
        if progress is not None:
            done = min(float(seg["end"]), duration_s)
            progress(done / duration_s if duration_s else 1.0, done, done / max(time.perf_counter() - started, 1e-9))
    return rows, {"transcribe_s": time.perf_counter() - started, "load_s": load_s,
                  "language": result.get("language", config.language), "vad_speech_s": None}
