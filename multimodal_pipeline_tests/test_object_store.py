"""The data root on an object store: a real S3 API server (moto's server mode, a separate process on loopback),
the storage layer against it, and every tier of a video stored there through the real Dagster job."""

import os

import dagster as dg
import duckdb
import polars as pl
import pytest

from multimodal_pipeline.defs import build_defs
from multimodal_pipeline.storage import StageCache, TableStore
from multimodal_pipeline.storage.catalog import refresh_catalog
from multimodal_pipeline.storage.root import DataRoot, StorageError
from multimodal_pipeline_tests.conftest import serve_directory
from multimodal_pipeline_tests.dagster_helpers import (
    add_videos, materialize_partition, start_s3_server, stop_group,
)

BUCKET = "mmp-test"


@pytest.fixture
def s3(tmp_path, monkeypatch):
    """An S3-compatible server (moto) on a free loopback port with an empty bucket; yields the bucket's URI."""
    proc, env = start_s3_server(tmp_path / "moto.log", BUCKET)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        yield f"s3://{BUCKET}"
    finally:
        stop_group(proc)


def _objects(uri: str) -> list[str]:
    import s3fs

    fs = s3fs.S3FileSystem(skip_instance_cache=True, use_listings_cache=False)
    prefix = uri.split("://", 1)[1]
    return sorted(p[len(prefix) + 1:] for p in fs.find(prefix))


def test_storage_layer_on_an_object_store(s3, tmp_path):
    root = DataRoot(f"{s3}/unit", work_dir=tmp_path / "work")
    assert root.remote and root.local == tmp_path / "work"
    tables = TableStore.of_data_root(root)
    df = pl.DataFrame({"video_id": ["v", "v"], "x": [1, 2]})
    stored = tables.write(df, "audio", "v1", 1)
    assert stored.path == f"staged/tables/audio/{stored.sha256}.parquet"  # the data root's key, not a local path
    assert tables.read("audio", "v1").equals(df) and tables.partitions("audio") == ["v1"]
    assert _objects(f"{s3}/unit") == [f"staged/tables/audio/{stored.sha256}.parquet",
                                      "staged/tables/audio/_current/v1.json"]
    assert not (tmp_path / "work").exists()  # writing a table never needs the working copy
    cache = StageCache(root.sub("staged/stage_cache"))
    cache.put("s", "k", {"n": 1}, df)
    record, table = cache.get("s", "k")
    assert record == {"n": 1} and table.equals(df) and cache.get("s", "other") is None

    # a finished file of the working copy is published under its key and fetched on another machine
    (tmp_path / "work" / "staged" / "audio").mkdir(parents=True)
    (tmp_path / "work" / "staged" / "audio" / "a.flac").write_bytes(b"flac bytes")
    assert root.publish(tmp_path / "work" / "staged" / "audio" / "a.flac") == "staged/audio/a.flac"
    other = DataRoot(f"{s3}/unit", work_dir=tmp_path / "other")
    from multimodal_pipeline.storage import sha256_bytes

    assert other.fetch("staged/audio/a.flac", sha256_bytes(b"flac bytes")).read_bytes() == b"flac bytes"
    # an object whose bytes differ from the recorded hash is refused and leaves nothing in the working copy
    other.write_bytes("staged/audio/b.flac", b"damaged")
    with pytest.raises(StorageError, match="was modified or damaged"):
        other.fetch("staged/audio/b.flac", sha256_bytes(b"original"))
    assert sorted(p.name for p in (tmp_path / "other" / "staged" / "audio").iterdir()) == ["a.flac"]
    with pytest.raises(FileNotFoundError, match="not in the object store"):
        other.fetch("staged/audio/missing.flac")
    with pytest.raises(ValueError, match="invalid storage key"):
        other.fetch("../escape")
    # the DuckDB catalog reads the current tables of an object-store root through the working copy
    with duckdb.connect(":memory:") as conn:
        assert refresh_catalog(conn, TableStore.of_data_root(other)) == {"audio": 1}
        assert conn.execute("SELECT sum(x) FROM audio").fetchone()[0] == 3


TIERS = ("raw_video", "audio", "chat_events", "speech_segments", "aligned_pairs", "curated_snapshot")


def _tables(root: DataRoot) -> dict[str, pl.DataFrame]:
    store = TableStore.of_data_root(root)
    return {t: store.read(t, "vid") for t in TIERS}


def _checks(result) -> dict[str, bool]:
    return {f"{e.asset_key.to_user_string()}.{e.check_name}": e.passed for e in result.get_asset_check_evaluations()}


@pytest.mark.slow
def test_every_tier_of_a_video_in_an_object_store_equals_the_local_run(s3, data_root, tmp_path, monkeypatch):
    from multimodal_pipeline.synth import StreamSpec, generate_stream

    stream = generate_stream(tmp_path / "site", StreamSpec(seed=0, duration_s=150, name="os"))
    config = tmp_path / "pipeline.yaml"
    config.write_text("curate:\n  split_block_ms: 15000\ntrain:\n  max_steps: 4\n  max_seq_len: 160\n"
                      "  batch_size: 4\neval:\n  max_new_tokens: 16\n  max_generation_samples: 2\n")
    remote = f"{s3}/data"
    with serve_directory(tmp_path / "site") as base:
        line = f"{base}/os.mp4 chat={base}/{stream.chat['youtube_live_chat'].name} id=vid"
        # the local run: tiers up to curation, on a local data root
        local_instance = dg.DagsterInstance.ephemeral()
        defs, _ = add_videos(data_root, [line], local_instance, config_file=config)
        local = materialize_partition(defs, local_instance, "vid", selection=list(TIERS))
        assert local.success
        # the same video on the object store, every tier (training and evaluation too), from the inbox
        monkeypatch.setenv("MMP_WORK_DIR", str(tmp_path / "machine-a"))
        monkeypatch.setenv("MMP_INBOX", str(tmp_path / "inbox"))
        # the machines share one MLflow tracking store (as workers share a tracking server)
        monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'tracking' / 'mlflow.db'}")
        instance = dg.DagsterInstance.ephemeral()
        defs, _ = add_videos(remote, [line], instance, config_file=config)
        first = materialize_partition(defs, instance, "vid")
    assert first.success
    checks = _checks(first)
    assert len(checks) == 18 and all(checks.values()), checks
    assert {k: v for k, v in checks.items() if k.split(".")[0] in TIERS} == _checks(local)

    # the tables equal the local run's, byte for byte (the download time aside), and hold no local path
    work_a = DataRoot(remote)  # machine A's working copy ($MMP_WORK_DIR)
    tables, local_tables = _tables(work_a), _tables(DataRoot(data_root))
    for tier in TIERS:
        a, b = tables[tier], local_tables[tier]
        if tier == "raw_video":
            a, b = a.drop("downloaded_at"), b.drop("downloaded_at")
        assert a.equals(b), tier
        for column, dtype in tables[tier].schema.items():
            if dtype == pl.String:
                values = tables[tier][column].drop_nulls()
                assert not values.str.contains(str(tmp_path)).any(), (tier, column)
    raw, audio = tables["raw_video"].row(0, named=True), tables["audio"].row(0, named=True)
    snapshot = tables["curated_snapshot"]["snapshot_id"][0]
    objects = set(_objects(remote))
    assert {raw["path"], raw["chat_path"], audio["path"], "registry/vid.json", f"curated/videos/{snapshot}/train.jsonl",
            "artifacts/reviews/vid.html"} <= objects
    assert any(k.startswith("raw/ledger/vid/") and k.endswith(f"-video-{raw['sha256']}.json") for k in objects)
    checkpoint = TableStore.of_data_root(work_a).read("adapter_checkpoint", "vid").row(0, named=True)
    assert checkpoint["adapter_path"].startswith("artifacts/adapters/")
    assert any(k.startswith(checkpoint["adapter_path"] + "/") for k in objects)
    assert checkpoint["lineage_path"] in objects and any(k.startswith("artifacts/reports/") for k in objects)

    # another machine: an empty working copy, the video's server gone. Everything comes from the object store:
    # the original is not downloaded again, the stage caches hit (the adapter is not trained again), the adapter is
    # fetched for the evaluation
    monkeypatch.setenv("MMP_WORK_DIR", str(tmp_path / "machine-b"))
    defs_b = build_defs(remote, config_file=config)
    again = materialize_partition(defs_b, instance, "vid")
    assert again.success, [e.message for e in again.all_events if e.event_type_value == "STEP_FAILURE"]
    logs = [e.user_message or "" for e in instance.all_logs(again.run_id)]
    assert any("brought from" in m for m in logs), "the original was not restored from the object store"
    for tier in ("audio", "speech_segments", "aligned_pairs", "adapter_checkpoint"):
        meta = instance.get_latest_materialization_event(dg.AssetKey(tier)).asset_materialization.metadata
        assert meta["cache_hit"].value is True, tier
    machine_b = DataRoot(remote)
    assert machine_b.local.is_relative_to(tmp_path / "machine-b")
    assert all(_tables(machine_b)[t].equals(tables[t]) for t in TIERS)
    assert os.path.isdir(machine_b.local / checkpoint["adapter_path"])
    again_checkpoint = TableStore.of_data_root(machine_b).read("adapter_checkpoint", "vid").row(0, named=True)
    assert again_checkpoint == checkpoint  # the same adapter, the same MLflow run
