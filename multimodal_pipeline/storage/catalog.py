"""The DuckDB audit catalog: one view per tier over the current Parquet of every partition."""

from __future__ import annotations

import re

import duckdb

from multimodal_pipeline.storage.tables import TableStore

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def refresh_catalog(conn: duckdb.DuckDBPyConnection, store: TableStore) -> dict[str, int]:
    """(Re)create a view per stored asset; returns the number of current files behind each view. The views read the
    working copy of the tables (downloaded from an object store when the data root is one)."""
    counts: dict[str, int] = {}
    for asset in store.assets():
        if not _IDENT.match(asset):
            continue
        paths = [str(store.local_path(store.current(asset, part))) for part in store.partitions(asset)]
        if not paths:
            continue
        files = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
        conn.execute(f"CREATE OR REPLACE VIEW {asset} AS SELECT * FROM read_parquet([{files}], union_by_name = true)")
        counts[asset] = len(paths)
    return counts
