"""Every benchmark in turn, as the README's figures were measured (`make bench`); each writes its own JSON under
benchmarks/results/, and this one writes `run_all.json` and `run_all.md`: what ran, for how long, whether it succeeded
and where its figures are.

    python -m benchmarks.run_all                   # all of them (hours on a 2-core CPU: dedup's baseline and
                                                   # the real-ASR alignment evaluation are the long ones)
    python -m benchmarks.run_all --only chat audio # some of them

A failed benchmark does not stop the others; the exit status is non-zero when any failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from benchmarks.common import write_result

#: name -> module and arguments (the README's commands)
BENCHMARKS: dict[str, list[str]] = {
    "chat": ["benchmarks.bench_chat"],
    "audio": ["benchmarks.bench_audio"],
    "asr": ["benchmarks.bench_asr"],
    "align": ["benchmarks.bench_align"],
    "align_quality": ["benchmarks.eval_align"],
    "align_null": ["benchmarks.null_align"],
    "speakers": ["benchmarks.eval_speakers"],
    "dedup": ["benchmarks.bench_dedup"],
    "orchestration": ["benchmarks.bench_orchestration"],
    "e2e": ["benchmarks.bench_e2e"],
    "scale": ["benchmarks.bench_scale"],
    "train": ["benchmarks.bench_train"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), default=list(BENCHMARKS))
    args = parser.parse_args()
    runs = []
    for name in args.only:
        module, *rest = BENCHMARKS[name]
        print(f"== {name}: python -m {module} {' '.join(rest)}", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", module, *rest])
        runs.append({"benchmark": name, "command": f"python -m {module} {' '.join(rest)}".strip(),
                     "wall_s": round(time.perf_counter() - start, 1), "exit_code": code})
        print(f"== {name}: exit {code} after {runs[-1]['wall_s']} s", flush=True)
    path = write_result("run_all", {"runs": runs})
    lines = ["# Benchmarks", "", "| benchmark | command | wall s | exit | result |", "|---|---|---|---|---|"]
    for r in runs:
        lines.append(f"| {r['benchmark']} | `{r['command']}` | {r['wall_s']} | {r['exit_code']} | "
                     f"results/{r['benchmark']}.json |")  # each benchmark writes results/<its name>.json
    (path.parent / "run_all.md").write_text("\n".join(lines) + "\n")
    print(f"-> {path} and {path.parent / 'run_all.md'}")
    return 0 if all(r["exit_code"] == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
