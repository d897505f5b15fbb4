"""Orchestration overhead on the path users take: a generated stream through the real daemon (`dagster dev` on
loopback, as `make ui` starts it: webserver, daemon, inbox sensor, run queue), against the sum of the run's step
compute times, and the same job in-process, in the same run of this script.

    python -m benchmarks.bench_orchestration [--minutes 3]

Figure: run wall time (from the run's start to its end, as the instance records it) / the sum of its steps' own
durations (start to end of each step, whatever its outcome). Goal: at most 1.3. The whole job runs, training and
evaluation included (a few training steps, so the stream is short).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import write_result
from multimodal_pipeline_tests.dagster_helpers import add_videos, free_port, materialize_partition, stop_group

REPO = Path(__file__).resolve().parent.parent
CONFIG = ("curate:\n  split_block_ms: 15000\ntrain:\n  max_steps: 6\n  max_seq_len: 192\n  batch_size: 4\n"
          "eval:\n  max_new_tokens: 24\n  max_generation_samples: 4\n")


def _run_figures(instance, run) -> dict:
    stats = instance.get_run_stats(run.run_id)
    steps = {s.step_key: s.end_time - s.start_time for s in instance.get_run_step_stats(run.run_id)
             if s.start_time and s.end_time}
    wall = (stats.end_time or time.time()) - (stats.launch_time or stats.start_time)
    compute = sum(steps.values())
    return {"run_id": run.run_id, "status": str(run.status), "wall_s": round(wall, 1), "step_compute_s": round(compute, 1),
            "overhead_ratio": round(wall / compute, 2) if compute else None, "steps": len(steps),
            "step_s": {k: round(v, 1) for k, v in sorted(steps.items())}}


def daemon_run(work: Path, video_line: str, timeout_s: float) -> dict:
    import dagster as dg

    home, data = work / "home", work / "data"
    home.mkdir()
    (data / "inbox").mkdir(parents=True)
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    (work / "pipeline.yaml").write_text(CONFIG)
    env = {**os.environ, "DAGSTER_HOME": str(home), "MMP_DATA_ROOT": str(data), "MMP_CONFIG": str(work / "pipeline.yaml")}
    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "dagster"), "dev", "-w", "workspace.yaml", "-h",
                             "127.0.0.1", "-p", str(port)], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(5)
        dropped = time.time()
        (data / "inbox" / "bench.txt").write_text(video_line + "\n")
        os.environ["DAGSTER_HOME"] = str(home)
        with dg.DagsterInstance.get() as instance:
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                runs = instance.get_runs()
                if runs and runs[0].is_finished:
                    figures = _run_figures(instance, runs[0])
                    figures["drop_to_end_s"] = round(instance.get_run_stats(runs[0].run_id).end_time - dropped, 1)
                    return figures
                time.sleep(2)
        raise SystemExit(f"no finished run after {timeout_s} s")
    finally:
        stop_group(proc)


def in_process_run(work: Path, video_line: str) -> dict:
    import dagster as dg

    data = work / "data-inproc"
    for sub in ("raw", "staged", "curated", "artifacts", "inbox"):
        (data / sub).mkdir(parents=True)
    instance = dg.DagsterInstance.ephemeral()
    defs, sensed = add_videos(data, [video_line], instance, config_file=work / "pipeline.yaml")
    key = sensed.run_requests[0].partition_key
    result = materialize_partition(defs, instance, key)
    run = instance.get_run_by_id(result.run_id)
    return _run_figures(instance, run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    from multimodal_pipeline.synth import StreamSpec, generate_stream

    work = Path(tempfile.mkdtemp(prefix="bench-orch-"))
    try:
        stream = generate_stream(work / "site", StreamSpec(seed=5, duration_s=args.minutes * 60, name="orch"))
        line = f"{stream.video} chat={stream.chat['youtube_live_chat']} id=orch"
        daemon = daemon_run(work, line, args.timeout)
        print("daemon", daemon)
        inproc = in_process_run(work, line)
        print("in-process", inproc)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {"minutes": args.minutes, "daemon": daemon, "in_process": inproc, "goal_ratio": 1.3,
              "baseline": "sum of the run's step durations"}
    print(f"daemon path: wall {daemon['wall_s']} s for {daemon['step_compute_s']} s of step compute "
          f"({daemon['steps']} steps): {daemon['overhead_ratio']}x; in-process {inproc['overhead_ratio']}x")
    print(f"-> {write_result('orchestration', result)}")


if __name__ == "__main__":
    main()
