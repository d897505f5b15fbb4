"""Content-addressed storage, stage keys, atomic writes and the DuckDB catalog.

The names below are imported on first use, so that the atomic writer and the hashes come without Polars."""

from __future__ import annotations

from multimodal_pipeline.lazy import lazy_exports

_WHERE = {
    **dict.fromkeys(("atomic_write_bytes", "atomic_write_text", "atomic_writer", "temporary_path"), "atomic"),
    **dict.fromkeys(("config_hash", "sha256_bytes", "sha256_file"), "hashing"),
    **dict.fromkeys(("StageCache", "stage_key"), "stage"),
    **dict.fromkeys(("CorruptTableError", "MissingTableError", "StoredTable", "TableStore"), "tables"),
}
__all__ = sorted(_WHERE)
__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())
