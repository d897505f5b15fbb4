"""Builders of crafted AlignedPair / ChatEvent / SpeechSegment tables for the curation tests."""

from __future__ import annotations

import random
from typing import Any

import polars as pl

from multimodal_pipeline.contracts import AlignedPair, ChatEvent, SpeechSegment, frame_from_records

VIDEO = "vid1"


def event(i: int, text: str, *, ts_ms: int | None = None, author: str | None = None, author_id: str | None = None,
          kind: str = "message", deleted: bool = False, fragments: list[dict] | None = None,
          video_id: str = VIDEO) -> dict[str, Any]:
    author = author if author is not None else f"viewer{i}"
    return {
        "video_id": video_id, "event_id": f"{video_id}-e{i}", "ts_ms": ts_ms if ts_ms is not None else 10_000 * i,
        "author": author, "author_id": author_id if author_id is not None else f"id-{author}", "text": text,
        "source": "generic", "kind": kind,
        "fragments": fragments if fragments is not None else [{"type": "text", "text": text, "emote_id": None}],
        "amount": None, "deleted": deleted, "raw_ref": f"chat.jsonl:{i + 1}",
    }


_ANSWER_WORDS = ("keyboard mouse pizza ramen cat dog river mountain castle dragon coffee tea winter summer guitar "
                 "piano soccer tennis movie book rocket forest harbor village tower sword shield potion lantern map "
                 "compass train bicycle garden bakery library ocean desert island comet").split()


def answer(i: int) -> str:
    """A response of its own for pair `i` (distinct answers: the same answer in two splits would be a leak)."""
    return "well " + " ".join(random.Random(i).sample(_ANSWER_WORDS, 7))


def pair(i: int, prompt: str, response: str | None = None, *,
         start_ms: int | None = None, end_ms: int | None = None, score: float = 0.8, accepted: bool = True,
         event_id: str | None = None, author: str | None = None, video_id: str = VIDEO) -> dict[str, Any]:
    start = start_ms if start_ms is not None else 10_000 * i + 2_000
    response = response if response is not None else answer(i)
    return {
        "video_id": video_id, "pair_id": f"{video_id}-p{i}", "event_id": event_id or f"{video_id}-e{i}",
        "event_ts_ms": max(0, start - 2_000), "author": author if author is not None else f"viewer{i}",
        "prompt": prompt, "lead": None, "response": response, "response_start_ms": start,
        "response_end_ms": end_ms if end_ms is not None else start + 3_000, "lag_ms": 2_000, "offset_ms": 0,
        "read_aloud": 0.0,
        "author_named": False, "lexical_overlap": 0.1, "answer_overlap": 0.1, "is_question": prompt.endswith("?"), "chat_density": 1.0,
        "embedding_similarity": None, "score": score, "accepted": accepted,
        "reject_reason": None if accepted else "low_score",
    }


def segment(i: int, start_ms: int, end_ms: int, *, avg_logprob: float = -0.3, no_speech_prob: float = 0.05,
            text: str = "words", video_id: str = VIDEO) -> dict[str, Any]:
    return {"video_id": video_id, "segment_id": f"{video_id}-s{i}", "start_ms": start_ms, "end_ms": end_ms,
            "text": text, "words": [], "avg_logprob": avg_logprob, "no_speech_prob": no_speech_prob,
            "compression_ratio": 1.2}


def frames(pairs: list[dict], events: list[dict], segments: list[dict] | None = None
           ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]:
    return (frame_from_records(AlignedPair, pairs), frame_from_records(ChatEvent, events),
            frame_from_records(SpeechSegment, segments) if segments is not None else None)


QUESTIONS = [
    "what game are we playing after this one", "how long have you been streaming today", "did you sleep well",
    "what is your favorite food to eat on stream", "can you show the settings menu again", "who is your main",
    "when is the next charity stream happening", "why did you pick that weapon over the shotgun",
    "are you going to finish the story mode tonight", "which keyboard switches are you using right now",
    "how do you beat the second boss without dying", "what music is playing in the background",
    "is your cat going to show up on camera", "do you ever play horror games with friends",
    "where did you get that cool hoodie", "what rank did you reach last season", "have you tried the new update",
    "what do you think about the patch notes", "will you play the sequel when it comes out",
    "how many hours do you have in this game", "what was the hardest level for you",
    "do you prefer controller or mouse and keyboard", "can we get a giveaway for subscribers",
    "what time do you usually start streaming", "how did you learn to speedrun",
]
TAIL = ("chat", "mods", "tonight", "bro", "seriously", "asking", "for", "a", "friend", "real", "quick", "again",
        "today", "maybe", "later", "lol", "honestly", "please", "streamer", "buddy", "question", "quick", "now")
ANSWERS = [
    "honestly i think we are going to try the new dungeon next", "about four hours now, my back is feeling it",
    "not really, i stayed up way too late editing videos", "probably ramen, it is the easiest thing to eat",
    "sure, give me a second and i will open it up", "right now it is the tank, i love being annoying",
    "we are planning it for next month, more info soon", "the shotgun is fun but the rifle has better range",
    "that is the plan if chat behaves itself tonight", "they are brown switches, quiet enough for the mic",
]


def generated_stream(n: int = 120, *, seed: int = 0, video_id: str = VIDEO, spacing_ms: int = 20_000
                     ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """A clean generated stream: n questions, each answered a few seconds later, covered by good speech segments;
    a few exact and near-duplicate questions (lower scores) sprinkled in."""
    rng = random.Random(seed)
    events, pairs, segs = [], [], []
    for i in range(n):
        q = QUESTIONS[i % len(QUESTIONS)]
        if i >= len(QUESTIONS):  # later rounds: distinct tails, but every 10th a near-duplicate ("... pls")
            q = f"{q} pls" if i % 10 == 0 else f"{q} " + " ".join(rng.sample(TAIL, 4))
        ts = i * spacing_ms
        author = f"viewer{rng.randrange(1000)}"
        events.append(event(i, q, ts_ms=ts, author=author, video_id=video_id))
        start = ts + 2_000
        pairs.append(pair(i, q, f"{ANSWERS[i % len(ANSWERS)]} {answer(i)}", start_ms=start, end_ms=start + 4_000,
                          score=round(rng.uniform(0.5, 1.0), 4), author=author, video_id=video_id))
        segs.append(segment(i, start - 500, start + 4_500, video_id=video_id))
    return frames(pairs, events, segs)
