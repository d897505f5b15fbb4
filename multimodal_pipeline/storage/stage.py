"""Stage keys: the identity of an expensive step's output, so the same inputs and config never run twice."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from multimodal_pipeline.storage.atomic import atomic_write_text, temporary_path
from multimodal_pipeline.storage.hashing import sha256_bytes

log = logging.getLogger(__name__)


def stage_key(stage: str, input_hashes: Iterable[str], config_hash: str, code_version: str) -> str:
    """sha256 over (stage name, sorted input hashes, config hash, code version)."""
    payload = json.dumps(
        {"stage": stage, "inputs": sorted(input_hashes), "config": config_hash, "code": code_version},
        sort_keys=True,
        separators=(",", ":"),
    )
    return sha256_bytes(payload.encode())


class StageCache:
    """The outputs of expensive stages by stage key: `<root>/<stage>/<key>.json` (the record, written last: it marks
    the entry complete) and `<key>.parquet` (a table, when there is one). Writes are atomic; an entry that cannot be
    read is a miss (the stage runs again and rewrites it)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def get(self, stage: str, key: str) -> tuple[dict, pl.DataFrame | None] | None:
        folder = self.root / stage
        try:
            record = json.loads((folder / f"{key}.json").read_text())
            table = pl.read_parquet(folder / f"{key}.parquet") if record.get("_table") else None
        except FileNotFoundError:
            return None
        except (OSError, ValueError, pl.exceptions.PolarsError) as exc:
            log.warning("stage cache entry %s/%s is unusable, recomputing: %s", stage, key, exc)
            return None
        return {k: v for k, v in record.items() if k != "_table"}, table

    def put(self, stage: str, key: str, record: dict, table: pl.DataFrame | None = None) -> None:
        folder = self.root / stage
        folder.mkdir(parents=True, exist_ok=True)
        if table is not None:
            with temporary_path(folder, suffix=".parquet") as tmp:
                table.write_parquet(tmp)
                os.replace(tmp, folder / f"{key}.parquet")
        atomic_write_text(folder / f"{key}.json", json.dumps({**record, "_table": table is not None}))
