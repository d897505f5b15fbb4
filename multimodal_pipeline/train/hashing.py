"""Hashes of what a training run consumes: a directory's files, a snapshot's split manifest and its content."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from multimodal_pipeline.curate.pipeline import split_manifest  # noqa: F401  (defined once, by curation)
from multimodal_pipeline.storage.hashing import canonical_json, sha256_bytes, sha256_file



def dir_manifest(folder: str | Path) -> dict[str, str]:
    """{relative posix path: sha256} of every regular file under `folder` (hidden temporaries excluded)."""
    folder = Path(folder)
    return {
        p.relative_to(folder).as_posix(): sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def hash_dir(folder: str | Path) -> str:
    """Content hash of a directory: sha256 of the sorted (relative path, file sha256) list. Names and bytes count,
    timestamps and permissions do not."""
    manifest = dir_manifest(folder)
    if not manifest:
        raise ValueError(f"{folder}: no files to hash")
    return sha256_bytes(json.dumps(sorted(manifest.items()), separators=(",", ":")).encode())


def split_manifest_sha256(df: pl.DataFrame) -> str:
    """sha256 of the canonical JSON of `split_manifest(df)`: which samples went to which split."""
    return sha256_bytes(canonical_json(split_manifest(df)).encode())


def snapshot_content_sha256(df: pl.DataFrame) -> str:
    """sha256 over what training reads: (sample_id, split, messages) of every row, in sample_id order."""
    rows = df.select("sample_id", "split", "messages").sort("sample_id").to_dicts()
    return sha256_bytes(canonical_json(rows).encode())


def combined_id(values: list[str]) -> str:
    """One ID for several (a corpus adapter trains on many snapshots): the value itself when there is only one."""
    unique = sorted(set(values))
    if len(unique) == 1:
        return unique[0]
    return "multi-" + sha256_bytes(canonical_json(unique).encode())[:32]
