import os

import duckdb
import polars as pl
import pytest

from multimodal_pipeline.storage import CorruptTableError, TableStore, atomic_writer, sha256_file, stage_key
from multimodal_pipeline.storage.catalog import refresh_catalog


def _df(n=3):
    return pl.DataFrame({"video_id": ["v"] * n, "x": list(range(n)), "w": [[{"a": i}] for i in range(n)]})


def test_round_trip_is_content_addressed_and_deterministic(tmp_path):
    store = TableStore(tmp_path)
    a = store.write(_df(), "tier", "v1", 1)
    b = store.write(_df(), "tier", "v1", 1)
    assert a.path == b.path == f"tier/{a.sha256}.parquet"  # a key relative to the root, never an absolute path
    assert a.sha256 == sha256_file(tmp_path / a.path) and a.rows == 3
    assert store.local_path(a) == tmp_path / a.path
    assert store.read("tier", "v1").equals(_df())
    c = store.write(_df(4), "tier", "v1", 1)
    assert c.path != a.path and store.current("tier", "v1").path == c.path


def test_tampered_file_is_a_clear_error(tmp_path):
    store = TableStore(tmp_path)
    stored = store.write(_df(), "tier", "v1", 1)
    os.chmod(tmp_path / stored.path, 0o644)
    with open(tmp_path / stored.path, "r+b") as f:
        f.seek(20)
        f.write(b"\x00\x01\x02")
    with pytest.raises(CorruptTableError, match="does not match its name"):
        store.read("tier", "v1")


def test_interrupted_write_leaves_no_partial_file(tmp_path, monkeypatch):
    store = TableStore(tmp_path)

    def boom(*args):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        store.write(_df(), "tier", "v1", 1)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    with pytest.raises(RuntimeError):
        with atomic_writer(tmp_path / "x.bin") as f:
            f.write(b"half")
            raise RuntimeError("crash mid-write")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_stage_key_ignores_input_order_and_tracks_everything_else():
    k = stage_key("asr", ["b", "a"], "cfg", "1")
    assert k == stage_key("asr", ["a", "b"], "cfg", "1")
    assert len({k, stage_key("asr", ["a"], "cfg", "1"), stage_key("asr", ["a", "b"], "cfg2", "1"),
                stage_key("asr", ["a", "b"], "cfg", "2"), stage_key("train", ["a", "b"], "cfg", "1")}) == 5


def test_catalog_views_follow_current_tables(tmp_path):
    store = TableStore(tmp_path / "tables")
    store.write(_df(2), "audio", "v1", 1)
    store.write(_df(3), "audio", "v2", 1)
    store.write(_df(5), "audio", "v1", 1)  # v1 re-materialized: the view shows only the current file
    with duckdb.connect(str(tmp_path / "c.duckdb")) as conn:
        assert refresh_catalog(conn, store) == {"audio": 2}
        assert conn.execute("SELECT count(*) FROM audio").fetchone()[0] == 8
