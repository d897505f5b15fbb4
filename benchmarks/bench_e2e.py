"""End to end: a generated stream through every per-video tier (training and evaluation excluded) as the sensor's
job runs it, in one process, against the ASR step's own time; then the same partition again, unchanged.

    python -m benchmarks.bench_e2e [--minutes 60]

Figures:
- `wall_over_asr`: the run's wall time (as the instance records it) / the ASR's own transcription time (`transcribe_s`
  in the `speech_segments` step's stats). The ASR is the work that cannot be avoided; everything else (download,
  decode, chat, speaker labelling, alignment, curation, the Dagster run itself) is overhead on it. Goal: at most 1.3.
- `speakers_over_asr`: the speaker labelling's time (the `speakers` stats, model loading included) / the same.
- `rerun_share`: the unchanged re-run's wall time / the first run's (stage-key caches: the download, the audio and
  the ASR are reused when their inputs did not change). Goal: at most 0.05.
- `peak_rss_mib` per step: the process's resident memory sampled every 100 ms, the highest sample inside the step.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.bench_orchestration import _run_figures
from benchmarks.common import write_result
from multimodal_pipeline_tests.dagster_helpers import add_videos, materialize_partition

TIERS = ["raw_video", "audio", "chat_events", "speech_segments", "aligned_pairs", "curated_snapshot"]


class RssSampler:
    """The process's resident set size every `every_s` seconds, with the time of each sample."""

    def __init__(self, every_s: float = 0.1):
        self.every_s = every_s
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        page = 4096 / 2 ** 20
        while not self._stop.is_set():
            with open("/proc/self/statm") as f:
                self.samples.append((time.time(), int(f.read().split()[1]) * page))
            self._stop.wait(self.every_s)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self, start: float, end: float) -> float:
        inside = [m for t, m in self.samples if start <= t <= end]
        if not inside and self.samples:  # a step shorter than the sampling interval: the nearest sample
            inside = [min(self.samples, key=lambda s: abs(s[0] - start))[1]]
        return round(max(inside), 1) if inside else 0.0


def run_once(defs, instance, key: str, sampler: RssSampler) -> dict:
    import dagster as dg

    result = materialize_partition(defs, instance, key, selection=TIERS)
    if not result.success:
        raise SystemExit(f"run {result.run_id} failed")
    figures = _run_figures(instance, instance.get_run_by_id(result.run_id))
    speech = instance.get_latest_materialization_event(dg.AssetKey("speech_segments")).asset_materialization.metadata
    figures["transcribe_s"] = speech["stats"].data.get("transcribe_s")
    figures["speakers_s"] = speech["speakers"].data.get("elapsed_s")
    figures["speakers_cache_hit"] = speech["speakers"].data.get("cache_hit")
    figures["speakers_key"] = speech["speakers"].data.get("stage_key")
    figures["peak_rss_mib"] = {s.step_key: sampler.peak(s.start_time, s.end_time)
                               for s in instance.get_run_step_stats(result.run_id) if s.start_time and s.end_time}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    import dagster as dg

    from multimodal_pipeline.synth import StreamSpec, generate_stream

    work = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    try:
        started = time.perf_counter()
        stream = generate_stream(work / "site", StreamSpec(seed=args.seed, duration_s=args.minutes * 60, name="e2e"))
        generate_s = time.perf_counter() - started
        print(f"generated a {args.minutes:g}-minute stream in {generate_s:.0f} s", flush=True)
        data = work / "data"
        for sub in ("raw", "staged", "curated", "artifacts", "inbox"):
            (data / sub).mkdir(parents=True)
        instance = dg.DagsterInstance.ephemeral()
        defs, sensed = add_videos(data, [f"{stream.video} chat={stream.chat['youtube_live_chat']} id=e2e"], instance)
        key = sensed.run_requests[0].partition_key
        with RssSampler() as sampler:
            first = run_once(defs, instance, key, sampler)
            print("first", first, flush=True)
            again = run_once(defs, instance, key, sampler)
            print("unchanged re-run", again, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    asr = first["transcribe_s"]
    result = {"minutes": args.minutes, "seed": args.seed, "tiers": TIERS, "generate_s": round(generate_s, 1),
              "baseline": "the ASR's own transcription time (transcribe_s)", "first": first, "rerun": again,
              "wall_over_asr": round(first["wall_s"] / asr, 3), "goal_wall_over_asr": 1.3,
              "speakers_over_asr": round(first["speakers_s"] / asr, 3),
              "rerun_share": round(again["wall_s"] / first["wall_s"], 4), "goal_rerun_share": 0.05}
    print(f"{args.minutes:g} min: run {first['wall_s']} s, ASR {asr} s: {result['wall_over_asr']}x (goal 1.3); "
          f"speakers {first['speakers_s']} s = {result['speakers_over_asr']}x the ASR; "
          f"unchanged re-run {again['wall_s']} s = {result['rerun_share']:.1%} of the first (goal 5 %)")
    print(f"-> {write_result('e2e', result)}")


if __name__ == "__main__":
    main()
