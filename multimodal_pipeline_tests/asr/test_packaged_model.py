"""Whisper models shipped in parts on PyPI: joined once into the cache, verified, never half-written; the real
whisper-base transcribes the JFK clip."""

from __future__ import annotations

import hashlib
import sys

import pytest

from multimodal_pipeline.asr import AsrConfig, transcribe_full, wer
from multimodal_pipeline.asr.model import resolve_model_path
from multimodal_pipeline.asr.packaged import PackagedModel, PackagedModelError, packaged_model_dir

from .helpers import JFK_FLAC, JFK_REFERENCE, real_fixture

EXTRAS = ("config.json", "tokenizer.json")


@pytest.fixture()
def parts_on_path(tmp_path, monkeypatch):
    """Two importable packages holding model.bin.part1 and part2 (and the extra files in the last)."""
    site = tmp_path / "site"
    chunks = [b"A" * 1000 + b"first", b"second" + b"B" * 3000]
    for k, chunk in enumerate(chunks, start=1):
        data = site / f"fakemodel_part_{k}" / "data"
        data.mkdir(parents=True)
        (data.parent / "__init__.py").write_text("")
        (data / f"model.bin.part{k}").write_bytes(chunk)
    for extra in EXTRAS:
        (site / "fakemodel_part_2" / "data" / extra).write_text(f'{{"name": "{extra}"}}')
    monkeypatch.syspath_prepend(str(site))
    for mod in [m for m in sys.modules if m.startswith("fakemodel_part_")]:
        monkeypatch.delitem(sys.modules, mod)
    return b"".join(chunks)


def _model(sha256: str) -> dict[str, PackagedModel]:
    return {"fake": PackagedModel(packages=("fakemodel_part_1", "fakemodel_part_2"), sha256=sha256,
                                  extra_files=EXTRAS)}


def test_parts_are_joined_once_and_verified(parts_on_path, tmp_path):
    joined = parts_on_path
    models = _model(hashlib.sha256(joined).hexdigest())
    root = tmp_path / "cache"
    target = packaged_model_dir("fake", root, models)
    assert target.parent == root and target.name.startswith("fake-")
    assert (target / "model.bin").read_bytes() == joined
    assert sorted(p.name for p in target.iterdir()) == sorted(["model.bin", *EXTRAS])
    mtime = (target / "model.bin").stat().st_mtime_ns
    assert packaged_model_dir("fake", root, models) == target
    assert (target / "model.bin").stat().st_mtime_ns == mtime  # not joined again
    assert [p.name for p in root.iterdir()] == [target.name]  # no temporary directory left


def test_a_damaged_part_fails_and_leaves_nothing(parts_on_path, tmp_path):
    models = _model(hashlib.sha256(b"something else").hexdigest())
    root = tmp_path / "cache"
    with pytest.raises(PackagedModelError, match="expected"):
        packaged_model_dir("fake", root, models)
    assert list(root.iterdir()) == []  # neither the target nor a temporary directory


def test_a_missing_package_names_it(tmp_path):
    models = {"gone": PackagedModel(packages=("no_such_model_part_1",), sha256="0" * 64)}
    with pytest.raises(PackagedModelError, match="no-such-model-part-1"):
        packaged_model_dir("gone", tmp_path, models)


@pytest.mark.slow
def test_whisper_base_from_pypi_transcribes_jfk(tmp_path, monkeypatch):
    monkeypatch.setenv("MMP_MODEL_CACHE", str(tmp_path / "models"))
    model_id, path = resolve_model_path("whisper-base")
    assert model_id == "whisper-base" and path.startswith(str(tmp_path))
    result = transcribe_full(real_fixture(JFK_FLAC), AsrConfig(model="whisper-base", cpu_threads=2), video_id="jfk")
    hypothesis = " ".join(result.segments["text"])
    assert wer(JFK_REFERENCE, hypothesis) <= 0.10, hypothesis
    assert result.stats["model_id"] == "whisper-base", result.stats
