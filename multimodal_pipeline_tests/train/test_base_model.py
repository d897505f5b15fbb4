"""The base model offline: GGUF → safetensors cache, built once, and the quantization state that must be cleared."""

import json

import pytest

from multimodal_pipeline.contracts.train_config import BUNDLED_BASE_MODEL
from multimodal_pipeline.storage.hashing import sha256_file
from multimodal_pipeline.train import base_model as bm


def test_bundled_gguf_resolves_to_its_hash():
    resolved = bm.resolve_base_model(BUNDLED_BASE_MODEL)
    assert resolved.kind == "gguf"
    assert resolved.source.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    assert resolved.sha256 == sha256_file(resolved.source)


def test_unknown_hub_id_is_not_downloaded():
    with pytest.raises(bm.BaseModelNotAvailableError, match="nothing is downloaded"):
        bm.resolve_base_model("no-such-org/no-such-model-xyz")


def test_gguf_cache_is_built_once_and_reused(trained, train_artifacts, monkeypatch):
    resolved = bm.resolve_base_model(BUNDLED_BASE_MODEL)
    folder, built = bm.base_model_dir(resolved, train_artifacts)
    assert folder == train_artifacts / "base_models" / resolved.sha256
    assert trained.stats["base_model_dir"] == str(folder)
    assert not built
    stamp = (folder / "model.safetensors").stat().st_mtime_ns

    def boom(*args, **kwargs):
        raise AssertionError("the GGUF was converted a second time")

    monkeypatch.setattr(bm, "_convert_gguf", boom)
    assert bm.base_model_dir(resolved, train_artifacts) == (folder, False)
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp
    config = json.loads((folder / "config.json").read_text())
    assert "quantization_config" not in config
    assert json.loads((folder / "conversion.json").read_text())["gguf_sha256"] == resolved.sha256
    assert not list((train_artifacts / "base_models").glob(".tmp-*"))

    model = bm.load_model(folder)
    assert getattr(model, "hf_quantizer", None) is None and not model.is_quantized
    assert all(p.is_floating_point() for p in model.parameters())


def test_clear_quantization_state_makes_a_gguf_model_savable(tmp_path):
    from transformers import GgufConfig, LlamaConfig, LlamaForCausalLM
    from transformers.quantizers.quantizer_gguf import GgufHfQuantizer

    tiny = LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                       num_attention_heads=2, num_key_value_heads=1)
    model = LlamaForCausalLM(tiny)
    quant = GgufConfig(gguf_file="x.gguf")
    # what `from_pretrained(..., gguf_file=...)` leaves on the model
    model.hf_quantizer = GgufHfQuantizer(quant)
    model.is_quantized = True
    model.quantization_method = quant.quant_method
    model.config.quantization_config = quant
    model.config._is_quantized = True
    with pytest.raises(ValueError, match="not serializable"):
        model.save_pretrained(tmp_path / "before")

    bm.clear_quantization_state(model)
    model.save_pretrained(tmp_path / "after")
    assert "quantization_config" not in json.loads((tmp_path / "after" / "config.json").read_text())
    assert getattr(model, "hf_quantizer", None) is None and not model.is_quantized
