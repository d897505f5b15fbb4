"""Scale-out with real servers: the Dagster instance in PostgreSQL, steps on two Celery worker processes through a
Redis broker (`scripts/scale_local.sh`, `deploy/celery/`), every tier stored in an S3-compatible object store (moto's
server), each worker with its own working copy as on separate machines; three videos dropped into the inbox and run by
the daemon; their tables and checks equal those of the default in-process run on a local data root. A worker killed
mid-step gives its step back."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from multimodal_pipeline.storage import sha256_bytes, sha256_file
from multimodal_pipeline.synth import StreamSpec, generate_stream
from multimodal_pipeline_tests.dagster_helpers import add_videos, free_port, materialize_partition, stop_group

REPO = Path(__file__).resolve().parents[1]
TIERS = ["raw_video", "audio", "chat_events", "speech_segments", "aligned_pairs"]
#: byte for byte the same on the object store and on a local root (tables hold keys relative to the root), but for the
#: alignment's float similarities (equal within 1e-5); raw_video differs only in its download time
SAME_TABLES = ["audio", "chat_events", "speech_segments", "aligned_pairs"]
BUCKET = "mmp"  # the bucket of `WITH_S3=1 scripts/scale_local.sh up`
# a short training and evaluation, one thread per worker process (two workers share this machine's two cores)
CONFIG = ("asr:\n  cpu_threads: 1\ncurate:\n  split_block_ms: 15000\n"
          "train:\n  max_steps: 3\n  max_seq_len: 160\n  batch_size: 4\n  num_threads: 1\n"
          "eval:\n  max_new_tokens: 12\n  max_test_samples: 4\n  max_generation_samples: 1\n  num_threads: 1\n")


def _data_root(path: Path) -> Path:
    for sub in ("raw", "staged", "curated", "artifacts", "inbox"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def scale_env():
    """PostgreSQL, Redis, an S3-compatible server holding the data root and two Celery workers, started by the
    command the README gives (`WITH_S3=1 scripts/scale_local.sh up 2`)."""
    work = Path(tempfile.mkdtemp(prefix="mmp-scale-"))  # not under pytest's 0700 folder: PostgreSQL runs as postgres
    work.chmod(0o755)
    home = work / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "celery" / "dagster.yaml", home / "dagster.yaml")
    config = work / "pipeline.yaml"  # what the daemon's runs and the workers load: a short training
    config.write_text(CONFIG)
    env = {**os.environ, "MMP_CONFIG": str(config), "MMP_SCALE_DIR": str(work / "services"), "WITH_S3": "1",
           "MMP_PG_PORT": str(free_port()), "MMP_REDIS_PORT": str(free_port()), "MMP_S3_PORT": str(free_port()),
           "MMP_WORK_DIR": str(work / "machines"), "MMP_INBOX": str(work / "inbox"),
           # the workers share one MLflow tracking store, as workers on several machines share a tracking server
           "MLFLOW_TRACKING_URI": f"sqlite:///{work / 'tracking' / 'mlflow.db'}",
           "DAGSTER_HOME": str(home), "VENV": str(Path(sys.executable).parents[1])}
    up = subprocess.run(["bash", "scripts/scale_local.sh", "up", "2"], cwd=REPO, env=env, capture_output=True,
                        text=True, timeout=180)
    assert up.returncode == 0, up.stderr
    exports = re.search(r"^export (.*)$", up.stdout, re.M)
    assert exports, up.stdout
    env.update(dict(kv.split("=", 1) for kv in exports.group(1).split()))
    assert env["MMP_DATA_ROOT"] == f"s3://{BUCKET}/data", exports.group(1)
    try:
        yield env, work
    finally:
        subprocess.run(["bash", "scripts/scale_local.sh", "down"], cwd=REPO, env=env, timeout=120)
        shutil.rmtree(work, ignore_errors=True)


_S3_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_S3")


def _s3(env: dict[str, str]):
    import s3fs

    return s3fs.S3FileSystem(skip_instance_cache=True, key=env["AWS_ACCESS_KEY_ID"],
                             secret=env["AWS_SECRET_ACCESS_KEY"], endpoint_url=env["AWS_ENDPOINT_URL_S3"])


def _objects(env: dict[str, str]) -> set[str]:
    """The keys stored under the data root in the object store."""
    prefix = env["MMP_DATA_ROOT"].split("://", 1)[1]
    return {p[len(prefix) + 1:] for p in _s3(env).find(prefix)}


def _workers_by_step(instance: dg.DagsterInstance, key: str) -> dict[str, list[str]]:
    """step key -> the Celery workers that started it (the executor's engine events), for the runs of one partition."""
    started: dict[str, list[str]] = {}
    for run in instance.get_runs(filters=dg.RunsFilter(tags={"dagster/partition": key})):
        for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
            data = record.dagster_event.engine_event_data
            if data is not None and "Celery worker" in data.metadata and "step_keys" in data.metadata:
                started.setdefault(data.metadata["step_keys"].value, []).append(data.metadata["Celery worker"].value)
    return started


def _stored(instance: dg.DagsterInstance, asset: str, key: str) -> tuple[str, pl.DataFrame]:
    """(sha256, table) of the latest materialization of one partition."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[key]), limit=1).records
    assert records, (asset, key)
    metadata = records[0].event_log_entry.asset_materialization.metadata
    path = metadata["path"].value  # a local path or an s3:// URL
    data = _s3(os.environ).cat_file(path) if path.startswith("s3://") else Path(path).read_bytes()
    return metadata["sha256"].value, pl.read_parquet(io.BytesIO(data))


def _checks(instance: dg.DagsterInstance, key: str) -> dict[tuple[str, str], bool]:
    """(asset, check) -> passed, from the latest run of one partition."""
    runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/partition": key}), limit=1)
    assert runs, key
    out = {}
    for record in instance.all_logs(runs[0].run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        data = record.dagster_event.event_specific_data
        out[(data.asset_key.to_user_string(), data.check_name)] = data.passed
    return out


def _head_tail(text: str, n: int = 1500) -> str:
    return text if len(text) <= 2 * n else f"{text[:n]} ... {text[-n:]}"


def _failures(instance: dg.DagsterInstance, runs) -> list[str]:
    """What failed in the runs that did not succeed: the step and its error (the run's own failure otherwise)."""
    out = []
    for run in runs:
        if run.status == dg.DagsterRunStatus.SUCCESS:
            continue
        for record in instance.all_logs(run.run_id):
            event = record.dagster_event
            if event is not None and event.event_type in (dg.DagsterEventType.STEP_FAILURE,
                                                          dg.DagsterEventType.RUN_FAILURE,
                                                          dg.DagsterEventType.ENGINE_EVENT) and (
                    event.event_type != dg.DagsterEventType.ENGINE_EVENT or "error" in (event.message or "").lower()):
                error = getattr(event.event_specific_data, "error", None)
                out.append(f"{run.tags.get('dagster/partition')} {event.step_key}: {event.message} "
                           f"{_head_tail(error.to_string()) if error else ''}")
    return out


def test_three_videos_through_the_inbox_on_two_celery_workers_with_postgres(scale_env, monkeypatch):
    """The path users take when scaled out: a URI list dropped into the inbox, the daemon's sensor and run queue on
    the PostgreSQL instance, every step a Celery task; the tables, hashes and checks equal an in-process run's."""
    env, work = scale_env
    site = work / "site"
    lines = []
    # seeds whose 150 s streams give every split a sample, so that the training gates pass and the run goes through
    # training and evaluation (others stop, rightly, at the curated snapshot's gates)
    for seed in (0, 2, 4):
        stream = generate_stream(site, StreamSpec(seed=seed, duration_s=150, name=f"scale{seed}"))
        lines.append(f"{stream.video} chat={stream.chat['youtube_live_chat']} id=scale{seed}")
    keys = ["scale0", "scale2", "scale4"]
    for name in ("DAGSTER_HOME", "MMP_POSTGRES_URL", *_S3_ENV):
        monkeypatch.setenv(name, env[name])
    instance = dg.DagsterInstance.get()
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    daemon = subprocess.Popen([str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
                              cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    try:
        Path(env["MMP_INBOX"]).mkdir(exist_ok=True)
        (Path(env["MMP_INBOX"]) / "three.txt").write_text("\n".join(lines) + "\n")
        deadline = time.monotonic() + 1500
        while True:
            assert daemon.poll() is None, daemon.stderr.read().decode()[-3000:]
            runs = [r for r in instance.get_runs() if r.job_name == "video_pipeline"]
            if len(runs) == 3 and all(r.is_finished for r in runs):
                break
            assert time.monotonic() < deadline, [(r.tags.get("dagster/partition"), r.status) for r in runs]
            time.sleep(5)
    finally:
        stop_group(daemon, timeout_s=60)
    assert sorted(r.tags["dagster/partition"] for r in runs) == keys
    if any(r.status != dg.DagsterRunStatus.SUCCESS for r in runs):
        failures = _failures(instance, runs)
        print("\n".join(failures))  # in full (pytest shortens the assertion's message)
        raise AssertionError(failures or [(r.run_id, r.status) for r in runs])
    workers = {w for key in keys for names in _workers_by_step(instance, key).values() for w in names}
    assert len(workers) == 2 and all(w.startswith(("mmp1@", "mmp2@")) for w in workers), workers
    # every tier in the object store; each worker worked in its own working copy
    objects = _objects(env)
    for key in keys:
        raw = _stored(instance, "raw_video", key)[1].row(0, named=True)
        audio = _stored(instance, "audio", key)[1].row(0, named=True)
        assert {raw["path"], raw["chat_path"], audio["path"], f"registry/{key}.json",
                f"artifacts/reviews/{key}.html"} <= objects, key
    assert {"mmp1", "mmp2"} <= {p.name for p in (work / "machines").iterdir()}

    # the same videos in one process on another data root: the same tables, byte for byte, and the same checks
    monkeypatch.delenv("DAGSTER_HOME")
    local = dg.DagsterInstance.ephemeral()
    local_root = _data_root(work / "local")
    for name in ("MMP_INBOX", "MMP_WORK_DIR"):
        monkeypatch.delenv(name, raising=False)
    local_defs, _ = add_videos(local_root, lines, local, config_file=env["MMP_CONFIG"])
    for key in keys:
        assert materialize_partition(local_defs, local, key).success
        for asset in SAME_TABLES:
            (sha, table), (local_sha, local_table) = _stored(instance, asset, key), _stored(local, asset, key)
            if asset == "aligned_pairs" and sha != local_sha:  # MiniLM similarities: last bits can differ (seen)
                assert_frame_equal(table, local_table, check_exact=False, rtol=1e-5)
            else:
                assert sha == local_sha, (asset, key)
        scaled, alone = _checks(instance, key), _checks(local, key)
        assert len(alone) >= 10 and all(alone.values()) and scaled == alone, (key, scaled, alone)


def test_a_worker_killed_mid_step_gives_the_step_back(scale_env, monkeypatch):
    """SIGKILL of the worker process that runs a video's ASR step: the step goes back to the queue, runs again, and
    the run succeeds with a speech table; no file under a final name is partial."""
    env, work = scale_env
    stream = generate_stream(work / "site", StreamSpec(seed=6, duration_s=150, name="scale6"))
    for name in ("DAGSTER_HOME", "MMP_POSTGRES_URL", "MMP_INBOX", "MMP_WORK_DIR", *_S3_ENV):
        monkeypatch.setenv(name, env[name])
    instance = dg.DagsterInstance.get()
    add_videos(env["MMP_DATA_ROOT"], [f"{stream.video} chat={stream.chat['youtube_live_chat']} id=scale6"], instance,
               name="kill.txt")
    dagster = str(Path(sys.executable).parent / "dagster")
    proc = subprocess.Popen([dagster, "asset", "materialize", "-m", "multimodal_pipeline.definitions",
                             "--select", ",".join(TIERS), "--partition", "scale6"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 300
    worker = None
    while worker is None and time.monotonic() < deadline and proc.poll() is None:
        worker = next(iter(_workers_by_step(instance, "scale6").get("speech_segments", [])), None)
        time.sleep(0.2)
    assert worker is not None, "the ASR step never started"
    time.sleep(2.0)  # inside the ASR (several seconds on a 150 s stream)
    main_pid = int((Path(env["MMP_SCALE_DIR"]) / "workers" / f"{worker[3]}.pid").read_text())
    children = subprocess.run(["pgrep", "-P", str(main_pid)], capture_output=True, text=True).stdout.split()
    assert children, f"no pool process under {worker}"
    for pid in children:
        os.kill(int(pid), signal.SIGKILL)
    out = proc.communicate(timeout=900)[0]
    assert proc.returncode == 0, out[-3000:]
    assert len(_workers_by_step(instance, "scale6")["speech_segments"]) >= 2  # started again
    _sha, speech = _stored(instance, "speech_segments", "scale6")
    assert speech.height > 0
    # nothing partial under a final name: every content-addressed object and working-copy file hashes to its name
    fs = _s3(env)
    named = [o for o in fs.find(f"{BUCKET}/data") if re.search(r"/staged/(tables/.*\.parquet|audio/.*\.flac)$", o)]
    assert named and all(sha256_bytes(fs.cat_file(o)) == Path(o).stem for o in named)
    local = [f for f in (work / "machines").rglob("*") if re.search(r"/staged/(tables/.*\.parquet|audio/.*\.flac)$",
                                                                     str(f)) and not f.name.startswith(".tmp-")]
    assert local and all(sha256_file(f) == f.stem for f in local)
