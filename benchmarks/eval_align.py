"""Alignment quality against generated streams' ground truth, through the real ASR, next to the naive baseline.

    python -m benchmarks.eval_align                                   # held-out: zeta + real-noise streams, real ASR
    python -m benchmarks.eval_align --streams beta:12 --speech script # a quick look without ASR
    python -m benchmarks.eval_align --streams theta:41 theta:42 theta:43 theta:44 theta:45 theta+real:51 \
        theta+real:52 theta+real:53                                   # the second held-out family

Streams are `family:seed` (the generator family's wording) or `family+real:seed` (that family's questions and answers,
monologue from a real stream transcript and chat noise from a real chat log, both from ../shared/fixtures/real).
The scorer was fitted on families alpha, beta, gamma, delta and epsilon (`benchmarks/fit_scorer.py`), and the
settings tuned on those and on eta (a held-out family until its wrong pairs were read); zeta, theta and their
real-noise streams were not looked at while tuning (zeta's figures were, many times: see the README). A pair is
right when its message was truly answered and its response covers at least half of the true answer (the reply
alone). Beside P/R/F1: response token F1 and span precision on right pairs, names left in accepted responses,
thank-yous paired, dismissed questions accepted.
The naive baseline pairs every message with all the speech that starts in the next 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import polars as pl

from benchmarks.common import write_result
from multimodal_pipeline.align import align_full
from multimodal_pipeline.align.truth import CASES, STYLES, load_extras, load_truth, naive_pairs, score_pairs
from multimodal_pipeline.chat import parse_chat
from multimodal_pipeline.contracts import SpeechSegment, frame_from_records
from multimodal_pipeline.contracts.align_config import AlignConfig
from multimodal_pipeline.contracts.curate_config import CurateConfig
from multimodal_pipeline.curate.filters import prompt_filter
from multimodal_pipeline.synth.families import TUNING_FAMILIES

FIXTURES = Path(os.environ.get("MMP_FIXTURES", Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"))
REAL_MONOLOGUE = FIXTURES / "duckautomata__dokiscripts-data" / "20240208_stream_J2YmJL0PX5M.srt"
REAL_CHAT = FIXTURES / "charlie-collard__twitch-chat-replay" / "1087079172.json"
HELD_OUT = ["zeta:41", "zeta:42", "zeta:43", "zeta:44", "zeta:45", "zeta+real:51", "zeta+real:52", "zeta+real:53"]


def script_speech(script_path: Path, video_id: str) -> pl.DataFrame:
    """The generator's script as if it were a perfect transcript (the no-ASR tuning loop)."""
    script = json.loads(script_path.read_text())
    rows = [dict(video_id=video_id, segment_id=u["utt_id"], start_ms=u["start_ms"], end_ms=u["end_ms"], text=u["text"],
                 words=[dict(word=w["word"], start_ms=w["start_ms"], end_ms=w["end_ms"], prob=1.0) for w in u["words"]],
                 avg_logprob=0.0, no_speech_prob=0.0, compression_ratio=1.0) for u in script["utterances"]]
    return frame_from_records(SpeechSegment, rows)


def asr_model_name(asr_model: str | None) -> str:
    """The ASR model a run uses: the one named, else the pipeline's default (recorded with the results)."""
    from multimodal_pipeline.contracts.asr_config import AsrConfig

    return asr_model or AsrConfig().model


def asr_speech(video: Path, work: Path, video_id: str, asr_model: str | None = None) -> pl.DataFrame:
    from multimodal_pipeline.asr import transcribe
    from multimodal_pipeline.contracts.asr_config import AsrConfig
    from multimodal_pipeline.media.audio import extract_audio

    audio = extract_audio(video, work / "audio")
    config = AsrConfig(model=asr_model_name(asr_model))
    return transcribe(audio.path, config, video_id=video_id, cache_dir=work / "asr_cache")


def stream_inputs(stream_id: str, minutes: float, speech_mode: str, chat_format: str, work: Path,
                  guest_voice: str | None = None, asr_model: str | None = None
                  ) -> tuple[str, pl.DataFrame, pl.DataFrame, Path]:
    """(name, speech, chat, truth path) of one generated stream `family[+real]:seed` (with a guest's voice)."""
    from multimodal_pipeline.synth import StreamSpec, generate_stream

    fam, seed = stream_id.split(":")
    real = fam.endswith("+real")
    fam = fam.removesuffix("+real")
    name = f"eval-{fam}{'-real' if real else ''}-{seed}-{minutes:g}"
    extra: dict = {"real_monologue": str(REAL_MONOLOGUE), "real_chat": str(REAL_CHAT)} if real else {}
    if guest_voice:
        name += "-guest-" + guest_voice.replace("+", "-")
        extra["guest_voice"] = guest_voice
    out = work / name
    truth_path = out / f"{name}.truth.json"
    if truth_path.exists():  # generated before (byte-deterministic)
        from multimodal_pipeline.synth.spec import CHAT_SUFFIXES

        video, chat_path, script = (out / f"{name}.mp4", out / f"{name}{CHAT_SUFFIXES[chat_format]}",
                                    out / f"{name}.script.json")
    else:
        stream = generate_stream(out, StreamSpec(seed=int(seed), duration_s=minutes * 60, name=name, family=fam,
                                                 **extra))
        video, chat_path, script, truth_path = stream.video, stream.chat[chat_format], stream.script, stream.truth
    speech = script_speech(script, name) if speech_mode == "script" else asr_speech(video, work, name, asr_model)
    return name, speech, parse_chat(chat_path, name).events, truth_path


def evaluate_stream(stream_id: str, minutes: float, speech_mode: str, chat_format: str, work: Path,
                    config: AlignConfig, asr_model: str | None = None) -> dict:
    name, speech, chat, truth_path = stream_inputs(stream_id, minutes, speech_mode, chat_format, work,
                                                   asr_model=asr_model)
    truth, extras = load_truth(truth_path), load_extras(truth_path)
    curate = CurateConfig()
    pairs, calibration, _ = align_full(speech, chat, config, name, prompt_filter(curate, config.prompt_filters))
    accepted = pairs.filter(pl.col("accepted"))
    return {"stream": stream_id, "offset_ms": calibration.offset_ms,
            "pipeline": score_pairs(accepted, truth, extras), "naive_10s": score_pairs(naive_pairs(speech, chat),
                                                                                      truth, extras),
            "accepted": accepted.select("prompt", "lead", "response", "score").to_dicts()}


def pooled(rows: list[dict], method: str) -> dict:
    out: dict = {}
    for key in ("overall", *STYLES, *(f"case:{c}" for c in CASES)):
        tp = sum(r[method][key]["correct"] for r in rows)
        n_pairs = sum(r[method][key]["pairs"] for r in rows)
        n_true = sum(r[method][key]["true_answers"] for r in rows)
        p = tp / n_pairs if n_pairs else 0.0
        rc = tp / n_true if n_true else 0.0
        out[key] = {"precision": round(p, 3), "recall": round(rc, 3),
                    "f1": round(2 * p * rc / (p + rc), 3) if p + rc else 0.0, "true_answers": n_true,
                    "token_f1": round(sum(r[method][key]["token_f1_sum"] for r in rows) / tp, 3) if tp else None,
                    "span_precision": round(sum(r[method][key]["span_precision_sum"] for r in rows) / tp, 3)
                    if tp else None}
    for key in ("names_left", "thanks_paired", "thanks_total", "dismissed_accepted", "dismissed_total",
                "guest_accepted", "guest_total"):
        out[key] = sum(r[method][key] for r in rows)
    return out


def print_table(result: dict) -> None:
    print(f"{'':18s} {'pipeline P/R/F1 tokF1 spanP':>36s}   {'naive 10 s P/R/F1 tokF1':>28s}")
    for key in ("overall", *STYLES, *(f"case:{c}" for c in CASES)):
        a, b = result["pipeline"][key], result["naive_10s"][key]
        print(f"{key:18s} {a['precision']:6.3f} {a['recall']:6.3f} {a['f1']:6.3f} {a['token_f1'] or 0:6.3f} "
              f"{a['span_precision'] or 0:6.3f}   {b['precision']:6.3f} {b['recall']:6.3f} {b['f1']:6.3f} "
              f"{b['token_f1'] or 0:6.3f}  (n={a['true_answers']})")
    for key in ("names_left", "thanks_paired", "dismissed_accepted"):
        print(f"{key}: pipeline {result['pipeline'][key]}, naive {result['naive_10s'][key]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", nargs="+", default=HELD_OUT, help="family[+real]:seed ...")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--speech", choices=["asr", "script"], default="asr")
    parser.add_argument("--chat-format", default="youtube_live_chat")
    parser.add_argument("--asr-model", default=None, help="AsrConfig.model (default: the pipeline's default)")
    parser.add_argument("--scorer", default=None, help="a fitted scorer JSON (default: the bundled one)")
    parser.add_argument("--out", default="align_quality")
    parser.add_argument("--work", default=None, help="keep generated streams and ASR caches here")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="AlignConfig settings for this run (JSON values: breath_margin=-1)")
    args = parser.parse_args()
    config = AlignConfig(scorer_path=args.scorer, **{k: json.loads(v) for k, v in (a.split("=", 1) for a in args.set)})
    rows = []
    with tempfile.TemporaryDirectory(prefix="eval-align-") as tmp:
        work = Path(args.work or tmp)
        for stream_id in args.streams:
            rows.append(evaluate_stream(stream_id, args.minutes, args.speech, args.chat_format, work, config,
                                        args.asr_model))
            print(json.dumps({"stream": stream_id, "pipeline": rows[-1]["pipeline"]["overall"]}))
    families = sorted({s.split(":")[0] for s in args.streams})
    result = {"streams": args.streams, "minutes": args.minutes, "speech": args.speech,
              "asr_model": asr_model_name(args.asr_model) if args.speech == "asr" else None,
              "chat_format": args.chat_format, "tuned_on": list(TUNING_FAMILIES), "baseline": "naive_10s",
              "settings": args.set}
    result["pipeline"] = pooled(rows, "pipeline")
    result["naive_10s"] = pooled(rows, "naive_10s")
    result["per_family"] = {f: {m: pooled([r for r in rows if r["stream"].split(":")[0] == f], m)
                                for m in ("pipeline", "naive_10s")} for f in families}
    result["per_stream"] = rows
    path = write_result(args.out, result)
    print_table(result)
    for f in families:
        print(f"\n== {f}")
        print_table(result["per_family"][f])
    print(f"-> {path}")


if __name__ == "__main__":
    main()
