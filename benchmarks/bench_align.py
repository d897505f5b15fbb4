"""Alignment cost: 1,000,000 chat events and 100,000 speech segments (generated tables, no ASR), and half and a
quarter of that, to show that the cost grows linearly; peak memory of each size in its own process.

    python -m benchmarks.bench_align [--events 1000000 --segments 100000]
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


CHILD = """
import json, time
from benchmarks.bench_align import tables
from multimodal_pipeline.align import align
speech, chat = tables({events}, {segments})
t = time.perf_counter()
out = align(speech, chat)
print(json.dumps({{"align_s": time.perf_counter() - t, "candidates": out.height,
                  "accepted": int(out["accepted"].sum())}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--segments", type=int, default=100_000)
    args = parser.parse_args()
    rows = []
    for fraction in (0.25, 0.5, 1.0):
        ev, seg = int(args.events * fraction), int(args.segments * fraction)
        m = measure(python(CHILD.format(events=ev, segments=seg)))
        child = json.loads(m["stdout"].splitlines()[-1])
        rows.append({"events": ev, "segments": seg, "align_s": round(child["align_s"], 3),
                     "candidates": child["candidates"], "accepted": child["accepted"],
                     "peak_rss_mib": m["peak_rss_mib"]})
        print(rows[-1])
    base = rows[0]
    for row in rows:
        row["time_ratio_vs_quarter"] = round(row["align_s"] / base["align_s"], 2)
        row["size_ratio_vs_quarter"] = round(row["events"] / base["events"], 2)
    path = write_result("align", {"baseline": "the quarter-size run", "results": rows})
    print(f"-> {path}")


if __name__ == "__main__":
    main()
