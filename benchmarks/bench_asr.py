"""ASR benchmark: `multimodal_pipeline.asr.transcribe` against bare faster-whisper, batched and sequential.

    .venv/bin/python benchmarks/bench_asr.py                # 10-minute stream, 2 repeats, 2 CPU threads
    .venv/bin/python benchmarks/bench_asr.py --minutes 2 --repeats 1

Every measurement runs in its own subprocess (so `ru_maxrss` is that run's peak memory), bare and pipeline runs
interleaved, the model loaded before the clock starts on both sides. The bare baseline decodes the same file with
faster-whisper's PyAV decoder and calls `BatchedInferencePipeline.transcribe` / `WhisperModel.transcribe` with the
exact keyword arguments the pipeline passes (`transcription.transcribe_options`). The pipeline run is a cache miss
(fresh cache folder) and includes everything `transcribe_full` does: audio sha256, model hash, guards, contract
validation, cache write. Writes `benchmarks/results/asr.json` and prints a table.

Audio: a generated stream from `multimodal_pipeline.synth` when that package exists; otherwise a stand-in built
from the real fixture clips (../shared/fixtures/real) concatenated with silences up to the requested length.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SHARED_REAL = REPO.parent / "shared" / "fixtures" / "real"
RESULTS = REPO / "benchmarks" / "results" / "asr.json"
SR = 16_000

os.environ.setdefault("HF_HUB_OFFLINE", "1")


# --- audio ------------------------------------------------------------------------------------------------------


def write_wav(path: Path, samples: np.ndarray) -> Path:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())
    return path


def synth_available() -> bool:
    return (REPO / "multimodal_pipeline" / "synth" / "__init__.py").is_file()


def make_synth_audio(folder: Path, seconds: float, seed: int) -> tuple[Path, dict]:
    from faster_whisper.audio import decode_audio

    from multimodal_pipeline.synth import StreamSpec, generate_stream

    paths = generate_stream(folder / "stream", StreamSpec(seed=seed, duration_s=seconds))
    audio = decode_audio(str(paths.video), sampling_rate=SR)
    info = {"source": "multimodal_pipeline.synth", "seed": seed, "video": str(paths.video)}
    script = getattr(paths, "script", None)
    if script is not None:
        info["script"] = str(script)
    return write_wav(folder / "stream.wav", audio), info


def make_standin_audio(folder: Path, seconds: float, seed: int) -> tuple[Path, dict]:
    """Real fixture clips (JFK, faster-whisper's stereo and hotword clips) with 0.5-4 s of quiet noise between."""
    from faster_whisper.audio import decode_audio

    clips = [SHARED_REAL / p for p in ("ggerganov__whisper.cpp/jfk.wav", "SYSTRAN__faster-whisper/hotwords.mp3",
                                       "SYSTRAN__faster-whisper/stereo_diarization.wav")]
    clips = [c for c in clips if c.is_file()]
    if not clips:
        raise SystemExit(f"no synth package and no real fixtures under {SHARED_REAL}: nothing to benchmark")
    decoded = [decode_audio(str(c), sampling_rate=SR) for c in clips]
    rng = np.random.default_rng(seed)
    parts, total, target, order = [], 0, int(seconds * SR), []
    while total < target:
        i = int(rng.integers(len(decoded)))
        gap = (rng.normal(0, 0.003, int(rng.uniform(0.5, 4.0) * SR))).astype(np.float32)
        parts += [gap, decoded[i]]
        order.append(clips[i].name)
        total += gap.size + decoded[i].size
    audio = np.concatenate(parts)[:target]
    info = {"source": "stand-in: real fixture clips + silences (multimodal_pipeline.synth not present)",
            "clips": sorted(set(order)), "clip_count": len(order), "seed": seed}
    return write_wav(folder / "standin.wav", audio), info


# --- workers (one subprocess per measurement) --------------------------------------------------------------------


def worker(kind: str, mode: str, audio_path: str, threads: int, model_name: str | None) -> dict:
    from multimodal_pipeline.asr import AsrConfig
    from multimodal_pipeline.asr.model import load_model, resolve_model
    from multimodal_pipeline.asr.transcription import transcribe_options

    chosen = {"model": model_name} if model_name else {}
    config = AsrConfig(batched=(mode == "batched"), cpu_threads=threads, **chosen)
    t0 = time.perf_counter()
    model = load_model(config)
    load_s = time.perf_counter() - t0
    out: dict = {"kind": kind, "mode": mode, "load_s": round(load_s, 3)}
    if kind == "bare":
        from faster_whisper import BatchedInferencePipeline
        from faster_whisper.audio import decode_audio

        t1 = time.perf_counter()
        audio = decode_audio(audio_path, sampling_rate=SR)
        t2 = time.perf_counter()
        opts = transcribe_options(config, audio.shape[0] / SR)
        fn = BatchedInferencePipeline(model).transcribe if config.batched else model.transcribe
        segments, _info = fn(audio, **opts)
        segments = list(segments)
        wall = time.perf_counter() - t1
        out.update(audio_s=audio.shape[0] / SR, segments=len(segments), decode_s=round(t2 - t1, 3),
                   transcribe_s=round(wall - (t2 - t1), 3), text=" ".join(s.text.strip() for s in segments))
    else:
        from multimodal_pipeline.asr import transcribe_full

        with tempfile.TemporaryDirectory() as cache:
            t1 = time.perf_counter()
            result = transcribe_full(audio_path, config, video_id="bench", cache_dir=cache)
            wall = time.perf_counter() - t1
        segs = result.segments
        out.update(audio_s=result.stats["audio_s"], segments=segs.height, rejected=result.rejects.height,
                   text=" ".join(segs["text"]), decode_s=result.stats["decode_s"],
                   transcribe_s=result.stats["transcribe_s"], model_id=result.stats["model_id"],
                   compute_type=result.stats["compute_type"])
        # what the pipeline adds around decode + faster-whisper: hashing, guards, validation, cache write
        out["pipeline_extra_s"] = round(wall - result.stats["transcribe_s"] - result.stats["decode_s"], 3)
        out["device"] = resolve_model(config).device
    out["wall_s"] = round(wall, 3)
    out["rtf"] = round(wall / out["audio_s"], 4)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def run_worker(kind: str, mode: str, audio: Path, threads: int, model_name: str | None) -> dict:
    cmd = [sys.executable, __file__, "--worker", kind, "--mode", mode, "--audio", str(audio), "--threads",
           str(threads), *(["--model", model_name] if model_name else [])]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {kind}/{mode} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- driver ------------------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--repeats", type=int, default=2, help="runs per (kind, mode); the fastest counts")
    ap.add_argument("--threads", type=int, default=2, help="CTranslate2 CPU threads")
    ap.add_argument("--modes", default="batched,sequential")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--model", default=None, help="AsrConfig.model (default: the pipeline's default, whisper-base)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--standin", action="store_true", help="use the fixture stand-in even if synth exists")
    ap.add_argument("--worker", choices=["bare", "pipeline"], help=argparse.SUPPRESS)
    ap.add_argument("--mode", choices=["batched", "sequential"], help=argparse.SUPPRESS)
    ap.add_argument("--audio", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        print(json.dumps(worker(args.worker, args.mode, args.audio, args.threads, args.model)))
        return

    from multimodal_pipeline.asr.wer import wer

    modes = [m for m in args.modes.split(",") if m]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        if synth_available() and not args.standin:
            audio, audio_info = make_synth_audio(folder, args.minutes * 60, args.seed)
        else:
            audio, audio_info = make_standin_audio(folder, args.minutes * 60, args.seed)
        audio_info["build_s"] = round(time.perf_counter() - t0, 1)
        reference = _script_text(audio_info.get("script"))
        runs: list[dict] = []
        for rep in range(args.repeats):
            for mode in modes:
                for kind in (("bare", "pipeline") if rep % 2 == 0 else ("pipeline", "bare")):
                    r = run_worker(kind, mode, audio, args.threads, args.model)
                    r["repeat"] = rep
                    runs.append(r)
                    print(f"  {kind:8s} {mode:10s} rep {rep}: {r['wall_s']:7.2f} s  rtf {r['rtf']:.4f}  "
                          f"rss {r['peak_rss_mb']:.0f} MB", file=sys.stderr, flush=True)

    summary: dict = {}
    for mode in modes:
        best = {k: min((r for r in runs if r["mode"] == mode and r["kind"] == k), key=lambda r: r["wall_s"])
                for k in ("bare", "pipeline")}
        entry = {
            "audio_s": best["pipeline"]["audio_s"],
            "bare_wall_s": best["bare"]["wall_s"], "pipeline_wall_s": best["pipeline"]["wall_s"],
            "bare_rtf": best["bare"]["rtf"], "pipeline_rtf": best["pipeline"]["rtf"],
            "overhead_ratio": round(best["pipeline"]["wall_s"] / best["bare"]["wall_s"], 4),
            # load-independent: the pipeline's own work outside decoding and faster-whisper, over its wall time
            "pipeline_extra_s": max(r["pipeline_extra_s"] for r in runs
                                    if r["mode"] == mode and r["kind"] == "pipeline"),
            "pipeline_extra_share": round(max(r["pipeline_extra_s"] / r["wall_s"] for r in runs
                                              if r["mode"] == mode and r["kind"] == "pipeline"), 4),
            "bare_peak_rss_mb": max(r["peak_rss_mb"] for r in runs if r["mode"] == mode and r["kind"] == "bare"),
            "pipeline_peak_rss_mb": max(r["peak_rss_mb"] for r in runs
                                        if r["mode"] == mode and r["kind"] == "pipeline"),
            "model_load_s": best["pipeline"]["load_s"],
            "segments": best["pipeline"]["segments"], "rejected": best["pipeline"].get("rejected"),
            "pipeline_vs_bare_text_wer": round(wer(best["bare"]["text"], best["pipeline"]["text"]), 4),
        }
        if reference:
            entry["wer_vs_script"] = round(wer(reference, best["pipeline"]["text"]), 4)
        summary[mode] = entry
    if len(summary) == 2:
        summary["batched_speedup_over_sequential"] = round(
            summary["sequential"]["pipeline_wall_s"] / summary["batched"]["pipeline_wall_s"], 3)

    pipeline_run = next(r for r in runs if r["kind"] == "pipeline")
    result = {
        "benchmark": "asr",
        "command": "python benchmarks/bench_asr.py " + " ".join(sys.argv[1:]),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpu_count": os.cpu_count(), "load_avg_1m_at_end": round(os.getloadavg()[0], 2)},
        "model_id": pipeline_run["model_id"], "device": pipeline_run["device"],
        "compute_type": pipeline_run["compute_type"], "cpu_threads": args.threads, "repeats": args.repeats,
        "audio": {**audio_info, "minutes": args.minutes},
        "summary": summary,
        "runs": [{k: v for k, v in r.items() if k != "text"} for r in runs],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(_table(result))
    print(f"\nwrote {args.out}")


def _script_text(script_path: str | None) -> str | None:
    if not script_path:
        return None
    data = json.loads(Path(script_path).read_text())
    utterances = data.get("utterances", data) if isinstance(data, dict) else data
    texts = []
    for u in utterances:
        if u.get("text"):
            texts.append(u["text"])
        elif u.get("words"):
            texts.append(" ".join(w["word"] for w in u["words"]))
    return " ".join(texts) or None


def _table(result: dict) -> str:
    a = result["audio"]
    lines = [f"ASR benchmark: {a['minutes']} min ({a['source']}), {result['model_id']} {result['device']}/"
             f"{result['compute_type']}, {result['cpu_threads']} threads, best of {result['repeats']}",
             f"{'mode':10s} {'bare s':>8s} {'pipe s':>8s} {'bare RTF':>9s} {'pipe RTF':>9s} {'overhead':>9s} "
             f"{'extra':>7s} {'bare MB':>8s} {'pipe MB':>8s} {'segs':>5s} {'rej':>4s}"]
    for mode, s in result["summary"].items():
        if not isinstance(s, dict):
            continue
        lines.append(f"{mode:10s} {s['bare_wall_s']:8.2f} {s['pipeline_wall_s']:8.2f} {s['bare_rtf']:9.4f} "
                     f"{s['pipeline_rtf']:9.4f} {(s['overhead_ratio'] - 1) * 100:+8.1f}% "
                     f"{s['pipeline_extra_share'] * 100:6.2f}% "
                     f"{s['bare_peak_rss_mb']:8.0f} {s['pipeline_peak_rss_mb']:8.0f} {s['segments']:5d} "
                     f"{s['rejected'] or 0:4d}")
    if "batched_speedup_over_sequential" in result["summary"]:
        lines.append(f"batched is {result['summary']['batched_speedup_over_sequential']:.2f}x the speed of "
                     "sequential (pipeline wall time)")
    lines.append("overhead = pipeline/bare wall time - 1 (best of the repeats; noisy on a shared box); extra = the "
                 "pipeline's own work outside decoding and faster-whisper (hashing, guards, validation, cache "
                 "write) as a share of its wall time")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
