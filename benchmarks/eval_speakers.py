"""Speaker labelling against generated streams with a guest, through the real ASR: who speaks, and what alignment
does with it.

    python -m benchmarks.eval_speakers                          # held-out guest voices, delta family, real ASR
    python -m benchmarks.eval_speakers --guests en-us+Annie --streams gamma:61   # a tuning look

Each stream `family:seed` is generated twice, with a guest (a second eSpeak NG voice who says some monologue lines and
answers some viewers' questions, reading them aloud) and without. Reported per stream and pooled:

- diarization: the share of the true speech time (the script's words whose midpoint an ASR segment covers) whose
  label is right (streamer or not), and the streamer's and the guest's recall;
- alignment: guest answers accepted as pairs (every one is false), with speaker labels and without them (every
  voice taken as the streamer, as before this tier told voices apart); F1 with the guest next to F1 of the same seed
  without the guest;
- cost: the speaker step's time over the ASR step's own time (`transcribe_s`) on the same audio.

The clustering distance was set on the tuning voices (en-us+Annie, en-us+f3) and on real speech (the JFK, MIT
licence and hotwords clips of ../shared/fixtures/real); the held-out guest voices (en-us+travis, en-us+Alicia) and
the delta family were not looked at while setting it.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks.common import write_result
from benchmarks.eval_align import stream_inputs
from multimodal_pipeline.align import align_full
from multimodal_pipeline.align.truth import load_extras, load_truth, score_pairs
from multimodal_pipeline.contracts import STREAMER
from multimodal_pipeline.contracts.align_config import AlignConfig
from multimodal_pipeline.contracts.curate_config import CurateConfig
from multimodal_pipeline.contracts.speaker_config import SpeakerConfig
from multimodal_pipeline.curate.filters import prompt_filter

HELD_OUT_GUESTS = ["en-us+travis", "en-us+Alicia"]
TUNING_GUESTS = ["en-us+Annie", "en-us+f3"]
HELD_OUT_STREAMS = ["delta:71", "delta:72", "delta:73"]


def asr_with_speakers(name: str, work: Path, config: SpeakerConfig) -> tuple[pl.DataFrame, dict, dict]:
    """(labelled segments, ASR stats, speaker stats) of the generated stream `name` in `work`."""
    from multimodal_pipeline.asr import transcribe_full
    from multimodal_pipeline.media.audio import extract_audio
    from multimodal_pipeline.speaker import label_speakers

    audio = extract_audio(work / name / f"{name}.mp4", work / "audio")
    asr = transcribe_full(audio.path, video_id=name, cache_dir=work / "asr_cache")
    voices = label_speakers(audio.path, asr.segments, config)
    return voices.segments, asr.stats, voices.stats


def diarization(segments: pl.DataFrame, script_path: Path) -> dict:
    """Right labels over the true speech time: every script word, by the ASR segment covering its midpoint."""
    script = json.loads(script_path.read_text())
    seg = segments.sort("start_ms")
    starts, ends = seg["start_ms"].to_numpy(), seg["end_ms"].to_numpy()
    is_streamer = (seg["speaker"] == STREAMER).to_numpy()
    tally = {"streamer": [0, 0], "guest": [0, 0]}  # voice -> [ms labelled right, ms covered]
    total = 0
    for u in script["utterances"]:
        voice = u.get("voice", "streamer")
        for w in u["words"]:
            dur = max(1, w["end_ms"] - w["start_ms"])
            total += dur
            mid = (w["start_ms"] + w["end_ms"]) // 2
            i = int(np.searchsorted(starts, mid, "right")) - 1
            if i < 0 or mid > ends[i]:
                continue
            tally[voice][1] += dur
            tally[voice][0] += dur * (bool(is_streamer[i]) == (voice == "streamer"))
    right = sum(v[0] for v in tally.values())
    covered = sum(v[1] for v in tally.values())
    return {"accuracy": round(right / covered, 4) if covered else None, "covered_share": round(covered / total, 4),
            "streamer_recall": round(tally["streamer"][0] / tally["streamer"][1], 4) if tally["streamer"][1] else None,
            "guest_recall": round(tally["guest"][0] / tally["guest"][1], 4) if tally["guest"][1] else None,
            "right_ms": right, "covered_ms": covered, "guest_ms": tally["guest"][1]}


def align_score(name: str, speech: pl.DataFrame, chat: pl.DataFrame, truth_path: Path, streamer_only: bool) -> dict:
    config = AlignConfig(streamer_only=streamer_only)
    pairs, _cal, _ = align_full(speech, chat, config, name, prompt_filter(CurateConfig(), config.prompt_filters))
    return score_pairs(pairs.filter(pl.col("accepted")), load_truth(truth_path), load_extras(truth_path))


def warm_up(config: SpeakerConfig) -> float:
    """Load the encoder and the clustering library once (seconds): a worker process pays this once per run, so the
    per-stream cost ratios below leave it out and it is reported on its own."""
    from multimodal_pipeline.speaker import encoder, find_voices

    t = time.perf_counter()
    encoder.load_encoder(encoder.resolve_device(config.device))
    encoder.mel_frames(np.zeros(encoder.SAMPLE_RATE, np.float32))
    find_voices(np.eye(3, 256, dtype=np.float32), np.ones(3), config)
    return round(time.perf_counter() - t, 3)


def evaluate(stream_id: str, guest: str, minutes: float, work: Path, config: SpeakerConfig) -> dict:
    row: dict = {"stream": stream_id, "guest": guest}
    for with_guest in (True, False):
        name, _script_speech, chat, truth_path = stream_inputs(stream_id, minutes, "script", "youtube_live_chat",
                                                               work, guest if with_guest else None)
        speech, asr_stats, spk = asr_with_speakers(name, work, config)
        key = "guest" if with_guest else "solo"
        row[key] = {"speakers": spk, "asr_transcribe_s": asr_stats.get("transcribe_s"),
                    "cost_ratio": round(spk["elapsed_s"] / asr_stats["transcribe_s"], 3)
                    if asr_stats.get("transcribe_s") else None,
                    "diarization": diarization(speech, truth_path.with_name(f"{name}.script.json"))}
        scored = align_score(name, speech, chat, truth_path, streamer_only=True)
        row[key]["align"] = scored["overall"]
        row[key]["guest_accepted"] = scored["guest_accepted"]
        row[key]["guest_total"] = scored["guest_total"]
        if with_guest:
            unlabelled = align_score(name, speech, chat, truth_path, streamer_only=False)
            row[key]["guest_accepted_without_labels"] = unlabelled["guest_accepted"]
            row[key]["align_without_labels"] = unlabelled["overall"]
    return row


def pooled(rows: list[dict]) -> dict:
    def f1(part: str, key: str = "align") -> float:
        tp = sum(r[part][key]["correct"] for r in rows)
        n_pairs = sum(r[part][key]["pairs"] for r in rows)
        n_true = sum(r[part][key]["true_answers"] for r in rows)
        p, rc = (tp / n_pairs if n_pairs else 0.0), (tp / n_true if n_true else 0.0)
        return round(2 * p * rc / (p + rc), 4) if p + rc else 0.0

    right = sum(r["guest"]["diarization"]["right_ms"] for r in rows)
    covered = sum(r["guest"]["diarization"]["covered_ms"] for r in rows)
    solo_right = sum(r["solo"]["diarization"]["right_ms"] for r in rows)
    solo_covered = sum(r["solo"]["diarization"]["covered_ms"] for r in rows)
    return {
        "diarization_accuracy": round(right / covered, 4) if covered else None,
        "solo_streamer_kept": round(solo_right / solo_covered, 4) if solo_covered else None,
        "guest_accepted": sum(r["guest"]["guest_accepted"] for r in rows),
        "guest_accepted_without_labels": sum(r["guest"]["guest_accepted_without_labels"] for r in rows),
        "guest_total": sum(r["guest"]["guest_total"] for r in rows),
        "f1_with_guest": f1("guest"), "f1_without_guest": f1("solo"),
        "f1_with_guest_without_labels": f1("guest", "align_without_labels"),
        "cost_ratio_median": float(np.median([r[k]["cost_ratio"] for r in rows for k in ("guest", "solo")
                                              if r[k]["cost_ratio"] is not None])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", nargs="+", default=HELD_OUT_STREAMS, help="family:seed ...")
    parser.add_argument("--guests", nargs="+", default=HELD_OUT_GUESTS, help="eSpeak NG voices of the guest")
    parser.add_argument("--minutes", type=float, default=8)
    parser.add_argument("--out", default="speaker_quality")
    parser.add_argument("--work", default=None, help="keep generated streams and ASR caches here")
    parser.add_argument("--hop-ms", type=int, default=SpeakerConfig().hop_ms, help="step between embedding windows")
    args = parser.parse_args()
    config = SpeakerConfig(hop_ms=args.hop_ms)
    rows = []
    started = time.perf_counter()
    load_s = warm_up(config)
    with tempfile.TemporaryDirectory(prefix="eval-speakers-") as tmp:
        work = Path(args.work or tmp)
        for i, stream_id in enumerate(args.streams):
            guest = args.guests[i % len(args.guests)]
            rows.append(evaluate(stream_id, guest, args.minutes, work, config))
            g = rows[-1]["guest"]
            print(json.dumps({"stream": stream_id, "guest": guest, "diarization": g["diarization"]["accuracy"],
                              "guest_accepted": g["guest_accepted"], "without_labels":
                              g["guest_accepted_without_labels"], "of": g["guest_total"],
                              "f1": g["align"]["f1"], "f1_solo": rows[-1]["solo"]["align"]["f1"],
                              "cost": g["cost_ratio"]}))
    result = {"streams": args.streams, "guests": args.guests, "minutes": args.minutes,
              "tuning_guests": TUNING_GUESTS, "config": config.model_dump(), "load_s": load_s, "pooled": pooled(rows),
              "per_stream": rows, "elapsed_s": round(time.perf_counter() - started, 1)}
    path = write_result(args.out, result)
    print(json.dumps(result["pooled"], indent=1))
    print(f"-> {path}")


if __name__ == "__main__":
    main()
