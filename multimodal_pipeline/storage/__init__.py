"""Content-addressed storage, stage keys, atomic writes and the DuckDB catalog."""

from multimodal_pipeline.storage.atomic import atomic_write_bytes, atomic_write_text, atomic_writer, temporary_path
from multimodal_pipeline.storage.hashing import config_hash, sha256_bytes, sha256_file
from multimodal_pipeline.storage.stage import StageCache, stage_key
from multimodal_pipeline.storage.tables import CorruptTableError, MissingTableError, StoredTable, TableStore

__all__ = [
    "CorruptTableError", "MissingTableError", "StageCache", "StoredTable", "TableStore", "atomic_write_bytes", "atomic_write_text",
    "atomic_writer", "config_hash", "sha256_bytes", "sha256_file", "stage_key", "temporary_path",
]
