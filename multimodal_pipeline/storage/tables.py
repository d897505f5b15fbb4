"""Content-addressed Parquet tables.

A table is written as Parquet into memory, named by the sha256 of its bytes and moved into place atomically, so
identical data always yields the identical file and a file's name proves its content. A small pointer per
(asset, partition) names the current file; DuckDB views and fan-in readers follow the pointers.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

import polars as pl

from multimodal_pipeline.storage.atomic import atomic_write_bytes, sweep_temporary
from multimodal_pipeline.storage.hashing import sha256_bytes, sha256_file
from multimodal_pipeline.storage.root import DataRoot, as_root

UNPARTITIONED = "__all__"
TABLES = "staged/tables"  # where the tier tables live under a data root


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
    """Content-addressed Parquet under `<root>/<asset>/<sha256>.parquet`, pointers under `<root>/<asset>/_current/`.
    `root` is a folder or a `DataRoot` (an object store too, or a part of one: `DataRoot.sub`); pointers name the
    table by its key relative to the data root ("staged/tables/<asset>/<sha256>.parquet"), never a local path."""

    def __init__(self, root: str | Path | DataRoot):
        self.root = as_root(root)

    @classmethod
    def of_data_root(cls, data_root: str | Path | DataRoot) -> TableStore:
        """The tier tables of a data root (a folder or an object-store URI): `staged/tables/`."""
        return cls(as_root(data_root).sub(TABLES))

    def _pointer(self, asset: str, partition: str | None) -> str:
        return f"{asset}/_current/{partition or UNPARTITIONED}.json"

    def write(self, df: pl.DataFrame, asset: str, partition: str | None, schema_version: int) -> StoredTable:
        data = parquet_bytes(df, schema_version)
        digest = sha256_bytes(data)
        key = f"{asset}/{digest}.parquet"
        if not self.root.remote:
            path = self.root.path(key)
            for folder in (path.parent, path.parent / "_current"):  # what writers killed over an hour ago left
                sweep_temporary(folder)  # behind
            if not (path.exists() and sha256_file(path) == digest):
                atomic_write_bytes(path, data)
        elif not self.root.exists(key):
            self.root.write_bytes(key, data)
        stored = StoredTable(self.root.base.key(self.root.path(key)), digest, df.height, schema_version, asset,
                             partition or UNPARTITIONED)
        self.root.write_text(self._pointer(asset, partition), stored.to_json())
        return stored

    def current(self, asset: str, partition: str | None) -> StoredTable:
        pointer = self._pointer(asset, partition)
        try:
            text = self.root.read_text(pointer)
        except FileNotFoundError:
            raise MissingTableError(f"no stored table for asset '{asset}' partition '{partition}' "
                                    f"({self.root.url(pointer)})") from None
        return StoredTable(**json.loads(text))

    def partitions(self, asset: str) -> list[str]:
        return [PurePosixPath(k).stem for k in self.root.list(f"{asset}/_current", ".json")]

    def assets(self) -> list[str]:
        return self.root.folders()

    def url(self, stored: StoredTable) -> str:
        """Where a stored table lives (a local path or an object-store URL), for people to read."""
        return self.root.base.url(stored.path)

    def local_path(self, stored: StoredTable) -> Path:
        """The table's file in the working copy (downloaded from an object store when needed, hash checked)."""
        try:
            return self.root.base.fetch(stored.path, stored.sha256)
        except FileNotFoundError:
            raise MissingTableError(f"stored table {self.url(stored)} is missing") from None

    def read_path(self, path: str | Path) -> pl.DataFrame:
        """Read a stored table by its key relative to the data root (or a local path), verifying that its bytes still
        hash to its name."""
        base = self.root.base
        expected = PurePosixPath(str(path)).stem
        try:
            data = base.read_bytes(str(path)) if base.remote else base.path(path).read_bytes()
        except FileNotFoundError:
            raise MissingTableError(f"stored table {base.url(path)} is missing") from None
        actual = sha256_bytes(data)
        if actual != expected:
            raise CorruptTableError(
                f"{base.url(path)}: content hash {actual[:16]}… does not match its name {expected[:16]}…; "
                "the file was modified or truncated after it was written. Re-materialize the asset partition."
            )
        return pl.read_parquet(io.BytesIO(data))

    def read(self, asset: str, partition: str | None) -> pl.DataFrame:
        return self.read_path(self.current(asset, partition).path)
