"""Hashes used for content addressing, ledgers and stage keys."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    """Streaming sha256 of a file (constant memory)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


SAMPLED_MIN = 4 * CHUNK
SAMPLES = 16
SAMPLE_BYTES = 64 * 1024


def sampled_sha256(path: str | Path) -> str:
    """A content fingerprint read in bounded time: the whole file's sha256 up to 4 MiB; above that, the sha256 of
    the size and 16 slices of 64 KiB spread evenly from the first byte to the last (1 MiB read, whatever the size).
    For names that must be cheap (a sensor tick); the ledger keeps the full sha256."""
    path = Path(path)
    size = path.stat().st_size
    if size <= SAMPLED_MIN:
        return sha256_file(path)
    h = hashlib.sha256(f"sampled-v1:{size}:".encode())
    with open(path, "rb") as f:
        for k in range(SAMPLES):
            f.seek((size - SAMPLE_BYTES) * k // (SAMPLES - 1))
            h.update(f.read(SAMPLE_BYTES))
    return h.hexdigest()


def canonical_json(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def config_hash(config: Any) -> str:
    """Stable hash of a config (a pydantic model, dict or scalar): key order never matters."""
    return sha256_bytes(canonical_json(config).encode())


def frame_sha256(df) -> str:
    """sha256 of a Polars DataFrame's Arrow IPC bytes (uncompressed, one chunk, plain offsets-and-data strings): equal
    tables give equal digests. Polars' default string views lay their buffers out by how the strings were built, so
    the same table computed and the same table read back from a file could hash differently."""
    import io

    import polars as pl

    buf = io.BytesIO()
    df.rechunk().write_ipc(buf, compression="uncompressed", compat_level=pl.CompatLevel.oldest())
    return sha256_bytes(buf.getvalue())
