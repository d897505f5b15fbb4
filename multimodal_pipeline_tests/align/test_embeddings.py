"""The alignment's sentence embeddings: the bundled all-MiniLM-L6-v2 run as a plain PyTorch forward pass must give the
embeddings sentence-transformers gives for the same model (it is used instead to save seconds of imports)."""

from __future__ import annotations

import numpy as np

from multimodal_pipeline.embeddings import MiniLM, cosine_similarity, embed, model_dir
from multimodal_pipeline_tests.real_fixtures import real_fixture


def _texts() -> list[str]:
    lines = sorted(real_fixture("duckautomata__dokiscripts-data").rglob("*.srt"))[0].read_text(
        encoding="utf-8").splitlines()
    speech = [x for x in lines if x.strip() and not x[0].isdigit()][:60]
    chat = ["what game is this", "LMAO", "how long have u been streaming??", "こんにちは", "", "gg", "Kappa Kappa"]
    return speech + chat + ["word " * 400]  # the last one is truncated at the model's 256 tokens


def test_embeddings_equal_sentence_transformers():
    from sentence_transformers import SentenceTransformer

    texts = _texts()
    ours = MiniLM().encode(texts, batch_size=16)
    theirs = SentenceTransformer(str(model_dir()), device="cpu", local_files_only=True).encode(
        texts, batch_size=16, normalize_embeddings=True, convert_to_numpy=True)
    assert ours.shape == theirs.shape == (len(texts), 384)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_embed_and_cosine_similarity():
    vec = embed(["what game is this", "which game are you playing", "what game is this"])
    assert np.allclose(np.linalg.norm(vec, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vec[0], vec[2])
    sim = cosine_similarity(["what game is this", "what game is this"], ["which game are you playing", "I like soup"])
    assert sim[0] > 0.6 > sim[1]
    assert embed([]).shape == (0, 384)
