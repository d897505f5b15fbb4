"""Content-addressed Parquet tables.

A table is written as Parquet into memory, named by the sha256 of its bytes and moved into place atomically, so
identical data always yields the identical file and a file's name proves its content. A small pointer per
(asset, partition) names the current file; DuckDB views and fan-in readers follow the pointers.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from multimodal_pipeline.storage.atomic import atomic_write_bytes, atomic_write_text, sweep_temporary
from multimodal_pipeline.storage.hashing import sha256_bytes, sha256_file

UNPARTITIONED = "__all__"


class CorruptTableError(RuntimeError):
    """A stored table's bytes no longer match the hash in its name."""


class MissingTableError(FileNotFoundError):
    """No table has been stored for this asset and partition."""


@dataclass(frozen=True)
class StoredTable:
    path: str
    sha256: str
    rows: int
    schema_version: int
    asset: str
    partition: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def parquet_bytes(df: pl.DataFrame, schema_version: int) -> bytes:
    buf = io.BytesIO()
    df.write_parquet(buf, compression="zstd", metadata={"schema_version": str(schema_version)})
    return buf.getvalue()


class TableStore:
    """Content-addressed Parquet under `root/<asset>/<sha256>.parquet`, pointers under `root/<asset>/_current/`."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _pointer(self, asset: str, partition: str | None) -> Path:
        return self.root / asset / "_current" / f"{partition or UNPARTITIONED}.json"

    def write(self, df: pl.DataFrame, asset: str, partition: str | None, schema_version: int) -> StoredTable:
        data = parquet_bytes(df, schema_version)
        digest = sha256_bytes(data)
        path = self.root / asset / f"{digest}.parquet"
        for folder in (path.parent, self._pointer(asset, partition).parent):  # what writers killed over an hour
            sweep_temporary(folder)  # ago left behind
        if not (path.exists() and sha256_file(path) == digest):
            atomic_write_bytes(path, data)
        stored = StoredTable(str(path), digest, df.height, schema_version, asset, partition or UNPARTITIONED)
        atomic_write_text(self._pointer(asset, partition), stored.to_json())
        return stored

    def current(self, asset: str, partition: str | None) -> StoredTable:
        pointer = self._pointer(asset, partition)
        if not pointer.exists():
            raise MissingTableError(f"no stored table for asset '{asset}' partition '{partition}' ({pointer})")
        return StoredTable(**json.loads(pointer.read_text()))

    def partitions(self, asset: str) -> list[str]:
        folder = self.root / asset / "_current"
        return sorted(p.stem for p in folder.glob("*.json")) if folder.exists() else []

    @staticmethod
    def read_path(path: str | Path) -> pl.DataFrame:
        """Read a stored table, verifying that its bytes still hash to its name."""
        path = Path(path)
        expected = path.stem
        if not path.exists():
            raise MissingTableError(f"stored table {path} is missing")
        data = path.read_bytes()
        actual = sha256_bytes(data)
        if actual != expected:
            raise CorruptTableError(
                f"{path}: content hash {actual[:16]}… does not match its name {expected[:16]}…; "
                "the file was modified or truncated after it was written. Re-materialize the asset partition."
            )
        return pl.read_parquet(io.BytesIO(data))

    def read(self, asset: str, partition: str | None) -> pl.DataFrame:
        return self.read_path(self.current(asset, partition).path)
