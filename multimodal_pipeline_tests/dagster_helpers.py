"""Running the real Definitions against an ephemeral Dagster instance in tests."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg

from multimodal_pipeline.defs import build_defs
from multimodal_pipeline.settings import DataLayout
from multimodal_pipeline.storage.root import DataRoot


def run_inbox(defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None = None) -> dg.SensorResult:
    sensor = defs.get_sensor_def("inbox_sensor")
    ctx = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"pipeline": defs.resources["pipeline"]})
    return sensor(ctx)


def add_videos(root: Path | str, lines: list[str], instance: dg.DagsterInstance, name: str = "list.txt",
               config_file: str | Path = ""):
    """Drop a URI list into the inbox and let the real sensor register the partitions; returns (defs, result).
    `root`: a data root's folder or URI (the inbox is `$MMP_INBOX` or the working copy's)."""
    defs = build_defs(root, config_file=config_file)
    inbox = DataLayout(DataRoot(root).local).inbox
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / name).write_text("\n".join(lines) + "\n")
    result = run_inbox(defs, instance)
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions("videos", list(request.partition_keys))
    return defs, result


def materialize_partition(defs: dg.Definitions, instance: dg.DagsterInstance, key: str,
                          selection: list[str] | None = None, raise_on_error: bool = False):
    job = defs.resolve_job_def("video_pipeline")
    kwargs = {"asset_selection": [dg.AssetKey(a) for a in selection]} if selection else {}
    return job.execute_in_process(partition_key=key, instance=instance, raise_on_error=raise_on_error, **kwargs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    """A query to the real webserver's GraphQL API on loopback."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        return json.loads(resp.read())


def stop_group(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout_s: float = 30) -> None:
    """Stop a process started with `start_new_session=True` and everything it started: `sig`, then SIGKILL."""
    os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def start_s3_server(log: Path, bucket: str) -> tuple[subprocess.Popen, dict[str, str]]:
    """An S3-compatible server (moto's server mode) as its own process on a free loopback port, with an empty
    `bucket`; returns the process and the environment that points clients at it (stop it with `stop_group`)."""
    import s3fs

    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_group(proc)
                raise RuntimeError(f"the S3 server did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.2)
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{port}"}
    s3fs.S3FileSystem(skip_instance_cache=True, key="test", secret="test",
                      endpoint_url=env["AWS_ENDPOINT_URL_S3"]).mkdir(bucket)
    return proc, env
