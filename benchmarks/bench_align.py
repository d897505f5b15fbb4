"""Alignment cost at growing sizes, each in its own process (time, peak memory), on two kinds of tables:

- `realistic`: real chat text (the Twitch comments fixture) against a real stream transcript (the dokiscripts SRT),
  both tiled in time to the size asked for: real word counts, real overlap between chat and speech;
- `generated`: random words from a small vocabulary (the previous benchmark's tables).

    python -m benchmarks.bench_align [--events 1000000 --segments 100000 --fractions 0.0625 0.125 0.25]

Every size runs the whole alignment, semantic signal included (MiniLM on the shortlisted messages and sentences).
The baseline is the smallest size: the ratios show how the cost grows.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import polars as pl

from benchmarks.common import measure, python, write_result

VOCAB = ("what game keyboard pizza music dog cat stream boss level play today tomorrow favorite best setup chair "
         "mouse song band movie coffee tea sleep hello chat thanks why how when where who is are you your the a "
         "to of and it this that pog lol kekw nice wow gg").split()


def tables(n_events: int, n_segments: int, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    duration = n_segments * 5_000
    seg_start = np.sort(rng.integers(0, duration, n_segments))
    n_words = 8
    word_idx = rng.integers(0, len(VOCAB), (n_segments, n_words))
    word_start = seg_start[:, None] + np.arange(n_words)[None, :] * 350
    vocab = np.array(VOCAB, dtype=object)
    words = pl.DataFrame({
        "seg": np.repeat(np.arange(n_segments), n_words), "word": vocab[word_idx.ravel()],
        "start_ms": word_start.ravel(), "end_ms": word_start.ravel() + 300, "prob": np.full(n_segments * n_words, 0.9),
    })
    speech = (words.group_by("seg", maintain_order=True)
              .agg(pl.col("word").str.join(" ").alias("text"), pl.struct("word", "start_ms", "end_ms", "prob")
                   .alias("words"), pl.col("start_ms").min(), pl.col("end_ms").max())
              .select(pl.lit("bench").alias("video_id"), pl.col("seg").cast(pl.String).alias("segment_id"),
                      "start_ms", "end_ms", "text", "words", pl.lit(-0.2).alias("avg_logprob"),
                      pl.lit(0.01).alias("no_speech_prob"), pl.lit(1.3).alias("compression_ratio")))
    ts = np.sort(rng.integers(0, duration, n_events))
    lengths = rng.integers(1, 8, n_events)
    text_idx = rng.integers(0, len(VOCAB), lengths.sum())
    texts = pl.DataFrame({"i": np.repeat(np.arange(n_events), lengths), "w": vocab[text_idx]}).group_by(
        "i", maintain_order=True).agg(pl.col("w").str.join(" "))["w"]
    chat = pl.DataFrame({"video_id": "bench", "event_id": np.arange(n_events).astype(str), "ts_ms": ts,
                         "author": [f"user_{i % 5000}" for i in range(n_events)], "author_id": None, "text": texts,
                         "source": "bench", "kind": "message"}).with_columns(
        pl.struct(type=pl.lit("text"), text=pl.col("text"), emote_id=pl.lit(None, pl.String)).alias("f"),
    ).with_columns(pl.concat_list("f").alias("fragments"), pl.lit(None, pl.String).alias("amount"),
                   pl.lit(False).alias("deleted"), pl.lit("bench:0").alias("raw_ref")).drop("f")
    return speech, chat


def realistic_tables(n_events: int, n_segments: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Real chat text and a real transcript, tiled in time until there are `n_events` messages and `n_segments`
    speech segments (the chat's time span is stretched to the speech's)."""
    from benchmarks.eval_align import FIXTURES
    from multimodal_pipeline.asr.subtitles import srt_segments
    from multimodal_pipeline.chat import parse_chat

    cues = srt_segments(FIXTURES / "duckautomata__dokiscripts-data" / "20240329_twitch_v2105205489.srt", "bench")
    span = int(cues["end_ms"].max()) + 1000
    reps = -(-n_segments // cues.height)
    speech = pl.concat([cues.with_columns(
        segment_id=pl.col("segment_id") + f"-{k}", start_ms=pl.col("start_ms") + k * span,
        end_ms=pl.col("end_ms") + k * span,
        words=pl.col("words").list.eval(pl.struct(
            pl.element().struct.field("word"), (pl.element().struct.field("start_ms") + k * span).alias("start_ms"),
            (pl.element().struct.field("end_ms") + k * span).alias("end_ms"), pl.element().struct.field("prob"))))
        for k in range(reps)]).head(n_segments)
    chat0 = parse_chat(FIXTURES / "charlie-collard__twitch-chat-replay" / "1087079172.json", "bench").events
    duration = int(speech["end_ms"].max())
    reps = -(-n_events // chat0.height)
    step = duration / max(1, reps)
    scale = step / max(1, int(chat0["ts_ms"].max()) + 1)
    chat = pl.concat([chat0.with_columns(event_id=pl.col("event_id") + f"-{k}",
                                         ts_ms=(pl.col("ts_ms") * scale + k * step).cast(pl.Int64))
                      for k in range(reps)]).head(n_events).sort("ts_ms")
    return speech, chat


CHILD = """
import json, time
from benchmarks.bench_align import tables, realistic_tables
from multimodal_pipeline.align import align
speech, chat = {kind}({events}, {segments})
t = time.perf_counter()
out = align(speech, chat)
print(json.dumps({{"align_s": time.perf_counter() - t, "candidates": out.height,
                  "accepted": int(out["accepted"].sum())}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.0625, 0.125, 0.25])
    parser.add_argument("--kinds", nargs="+", default=["realistic", "generated"])
    args = parser.parse_args()
    results = {}
    for kind in args.kinds:
        rows = []
        for fraction in args.fractions:
            ev, seg = int(args.events * fraction), int(args.segments * fraction)
            fn = "realistic_tables" if kind == "realistic" else "tables"
            m = measure(python(CHILD.format(kind=fn, events=ev, segments=seg)))
            child = json.loads(m["stdout"].splitlines()[-1])
            rows.append({"events": ev, "segments": seg, "align_s": round(child["align_s"], 3),
                         "candidates": child["candidates"], "accepted": child["accepted"],
                         "peak_rss_mib": m["peak_rss_mib"]})
            print(kind, rows[-1], flush=True)
        base = rows[0]
        for row in rows:
            row["time_ratio_vs_smallest"] = round(row["align_s"] / base["align_s"], 2)
            row["size_ratio_vs_smallest"] = round(row["events"] / base["events"], 2)
            row["us_per_event"] = round(row["align_s"] / row["events"] * 1e6, 1)
        results[kind] = rows
    path = write_result("align", {"baseline": "the smallest size of each kind", "results": results})
    print(f"-> {path}")


if __name__ == "__main__":
    main()
