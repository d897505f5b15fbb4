"""Stage keys: the identity of an expensive step's output, so the same inputs and config never run twice."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from multimodal_pipeline.storage.hashing import sha256_bytes, sha256_file
from multimodal_pipeline.storage.root import DataRoot, StorageError, as_root

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
    the entry complete) and `<key>.parquet` (a table, when there is one). `root` is a folder or a `DataRoot` (an
    object store too). Writes are atomic; an entry that cannot be read is a miss (the stage runs again and rewrites
    it)."""

    def __init__(self, root: str | Path | DataRoot):
        self.root = as_root(root)

    def get(self, stage: str, key: str) -> tuple[dict, pl.DataFrame | None] | None:
        try:
            record = json.loads(self.root.read_text(f"{stage}/{key}.json"))
            table = pl.read_parquet(io.BytesIO(self.root.read_bytes(f"{stage}/{key}.parquet"))) \
                if record.get("_table") else None
        except FileNotFoundError:
            return None
        except (OSError, ValueError, pl.exceptions.PolarsError) as exc:
            log.warning("stage cache entry %s/%s is unusable, recomputing: %s", stage, key, exc)
            return None
        return {k: v for k, v in record.items() if k != "_table"}, table

    def put(self, stage: str, key: str, record: dict, table: pl.DataFrame | None = None) -> None:
        if table is not None:
            buf = io.BytesIO()
            table.write_parquet(buf)
            self.root.write_bytes(f"{stage}/{key}.parquet", buf.getvalue())
        self.root.write_text(f"{stage}/{key}.json", json.dumps({**record, "_table": table is not None}))

    def working_file(self, path: str | Path, sha256: str) -> Path | None:
        """A file a cached record names (in the root's working copy), downloaded when the working copy lacks it;
        None when it is stored nowhere or its bytes no longer match `sha256`."""
        data_root = self.root.base
        try:
            local = data_root.fetch(data_root.key(path), sha256) if data_root.remote else Path(path)
        except (FileNotFoundError, ValueError, StorageError):
            return None
        return local if local.is_file() and sha256_file(local) == sha256 else None
