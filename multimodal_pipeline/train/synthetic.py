"""A small generated curated snapshot with a consistent streamer persona (tests, benchmarks, demos).

Every reply has the same shape ("yo <author>! <answer about the topic>, lets gooo"), so a few optimizer steps
visibly lower the loss and an adapter's generations drift towards the style.
"""

from __future__ import annotations

import random

import polars as pl

from multimodal_pipeline.contracts import CuratedSample, frame_from_records
from multimodal_pipeline.storage.hashing import sha256_bytes

SYSTEM = "You are Kai, a cheerful livestreamer answering your chat."
AUTHORS = ["mia", "rex", "zoe", "sam", "lou", "ivy", "max", "ben", "ada", "kim"]
TOPICS = [
    ("what game is next", "next up is the dungeon run"),
    ("how long is the stream today", "we go for about three hours today"),
    ("what is your favorite snack", "spicy chips all day"),
    ("when do you sleep", "sleep is for after the boss fight"),
    ("which keyboard do you use", "a loud blue switch keyboard"),
    ("can you play music", "music is on, volume going up"),
    ("did you beat the boss yesterday", "we beat him on the tenth try"),
    ("what rank are you", "gold rank and climbing"),
    ("do you have a dog", "yes, his name is pixel"),
    ("are you doing a giveaway", "giveaway happens at the end of the stream"),
    ("why is the mic quiet", "fixed the mic, should be loud now"),
    ("what city are you in", "streaming from a tiny apartment in lisbon"),
]
TEMPLATE_SHA256 = sha256_bytes(b"synthetic-persona-template-v1")


def persona_reply(author: str, answer: str) -> str:
    return f"yo {author}! {answer}, lets gooo"


def synthetic_snapshot(
    n: int = 40, *, seed: int = 0, video_id: str = "synthvid", snapshot_id: str | None = None,
    splits: tuple[float, float] = (0.7, 0.15), garbage: bool = False,
) -> pl.DataFrame:
    """`n` chat→reply samples as a `CuratedSample` table; `splits` = (train share, val share), the rest is test.

    `garbage=True` pairs every prompt with a random shuffled-word reply (an adapter trained on it should lose to
    the base model on the real test split).
    """
    rng = random.Random(seed)
    snapshot_id = snapshot_id or f"snap-{video_id}-{seed}-{n}"
    n_train = max(1, int(round(n * splits[0])))
    n_val = int(round(n * splits[1]))
    rows = []
    for i in range(n):
        author = AUTHORS[i % len(AUTHORS)]
        question, answer = TOPICS[(i * 7 + seed) % len(TOPICS)]
        prompt = f"{author}: {question}?"
        response = persona_reply(author, answer)
        if garbage:
            words = (response + " " + " ".join(rng.choice(TOPICS)[1] for _ in range(2))).split()
            rng.shuffle(words)
            response = " ".join(words)
        split = "train" if i < n_train else "val" if i < n_train + n_val else "test"
        rows.append({
            "video_id": video_id,
            "sample_id": f"{video_id}:{i:05d}",
            "pair_id": f"{video_id}:p{i:05d}",
            "split": split,
            "prompt": prompt,
            "response": response,
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": prompt},
                {"role": "assistant", "content": response},
            ],
            "response_start_ms": 1000 * i,
            "score": 1.0,
            "snapshot_id": snapshot_id,
            "template_sha256": TEMPLATE_SHA256,
        })
    return frame_from_records(CuratedSample, rows)
