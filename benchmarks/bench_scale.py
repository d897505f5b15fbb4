"""Scale-out throughput: the same videos through the Celery executor with one worker process and with two, each
against a fresh PostgreSQL instance and data root (`scripts/scale_local.sh`); all videos are submitted at once.

    python -m benchmarks.bench_scale [--videos 4] [--minutes 2] [--s3]

Figure: `speedup` = wall time with 1 worker / wall time with 2 (the baseline is the 1-worker run of the same videos).
With `--s3`, the data root is a bucket of the S3-compatible server that `WITH_S3=1 scripts/scale_local.sh up` starts,
and each worker keeps its own working copy.
Writes benchmarks/results/scale.json. Needs PostgreSQL and Redis (WITH_SCALE=1 bash scripts/setup.sh).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import write_result

REPO = Path(__file__).resolve().parents[1]
TIERS = "raw_video,audio,chat_events,speech_segments,aligned_pairs"


def run(lines: list[str], workers: int, work: Path, s3: bool = False) -> dict:
    import dagster as dg

    from multimodal_pipeline_tests.dagster_helpers import add_videos, free_port

    base = work / f"w{workers}"
    home = base / "dagster_home"
    home.mkdir(parents=True)
    shutil.copy(REPO / "deploy" / "celery" / "dagster.yaml", home / "dagster.yaml")
    data = base / "data"
    for sub in ("raw", "staged", "curated", "artifacts", "inbox"):
        (data / sub).mkdir(parents=True)
    env = {**os.environ, "MMP_SCALE_DIR": str(base / "services"), "MMP_PG_PORT": str(free_port()),
           "MMP_REDIS_PORT": str(free_port()), "MMP_DATA_ROOT": str(data), "DAGSTER_HOME": str(home),
           "VENV": str(Path(sys.executable).parents[1])}
    if s3:
        env.update({"WITH_S3": "1", "MMP_S3_PORT": str(free_port()), "MMP_WORK_DIR": str(base / "machines"),
                    "MMP_INBOX": str(base / "inbox")})
    up = subprocess.run(["bash", "scripts/scale_local.sh", "up", str(workers)], cwd=REPO, env=env, capture_output=True,
                        text=True, check=True)
    env.update(dict(kv.split("=", 1) for kv in re.search(r"^export (.*)$", up.stdout, re.M).group(1).split()))
    try:
        for name in ("DAGSTER_HOME", "MMP_POSTGRES_URL", "MMP_DATA_ROOT", "MMP_INBOX", "MMP_WORK_DIR",
                     "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_S3"):
            if name in env:
                os.environ[name] = env[name]
        instance = dg.DagsterInstance.get()
        _defs, sensed = add_videos(env["MMP_DATA_ROOT"], lines, instance)
        keys = [r.partition_key for r in sensed.run_requests]
        time.sleep(5)  # the workers finish starting
        dagster = str(Path(sys.executable).parent / "dagster")
        started = time.perf_counter()
        procs = [subprocess.Popen([dagster, "asset", "materialize", "-m", "multimodal_pipeline.definitions",
                                   "--select", TIERS, "--partition", key], cwd=REPO, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for key in keys]
        codes = [p.wait() for p in procs]
        wall = time.perf_counter() - started
        if any(codes):
            raise SystemExit(f"{workers} worker(s): a run failed ({codes})")
        return {"workers": workers, "videos": len(keys), "wall_s": round(wall, 1)}
    finally:
        subprocess.run(["bash", "scripts/scale_local.sh", "down"], cwd=REPO, env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=int, default=4)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--s3", action="store_true", help="the data root in a bucket of a local S3-compatible server")
    args = parser.parse_args()
    from multimodal_pipeline.synth import StreamSpec, generate_stream

    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    work.chmod(0o755)  # PostgreSQL runs as its own user
    try:
        lines = []
        for i in range(args.videos):
            stream = generate_stream(work / "site", StreamSpec(seed=300 + i, duration_s=args.minutes * 60,
                                                                name=f"bench{i}"))
            lines.append(f"{stream.video} chat={stream.chat['youtube_live_chat']} id=bench{i}")
        one = run(lines, 1, work, args.s3)
        print("1 worker", one, flush=True)
        two = run(lines, 2, work, args.s3)
        print("2 workers", two, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {"videos": args.videos, "minutes": args.minutes, "baseline": "the same videos on 1 worker",
              "data_root": "s3 (moto, loopback)" if args.s3 else "local folder",
              "one_worker": one, "two_workers": two, "speedup": round(one["wall_s"] / two["wall_s"], 2),
              "cpus": os.cpu_count()}
    print(f"{args.videos} videos of {args.minutes:g} min: 1 worker {one['wall_s']} s, 2 workers {two['wall_s']} s: "
          f"{result['speedup']}x")
    print(f"-> {write_result('scale-s3' if args.s3 else 'scale', result)}")


if __name__ == "__main__":
    main()
