"""Splits by time blocks (deterministic, leakage-free) and PII scrubbing."""

from __future__ import annotations

import polars as pl
import pytest

from multimodal_pipeline.contracts.curate_config import CurateConfig, SplitFractions
from multimodal_pipeline.curate import curate_video
from multimodal_pipeline.curate.splits import assign_blocks, split_counts
from multimodal_pipeline.curate.text import count_pii, scrub_frame
from multimodal_pipeline_tests.curate.helpers import event, frames, generated_stream, pair

CFG = CurateConfig(split_block_ms=120_000)


def test_split_counts_follow_fractions_and_fill_every_split():
    f = {"train": 0.8, "val": 0.1, "test": 0.1}
    assert split_counts(10, f) == {"train": 8, "val": 1, "test": 1}
    assert split_counts(3, f) == {"train": 1, "val": 1, "test": 1}
    assert split_counts(2, f)["train"] + split_counts(2, f)["val"] + split_counts(2, f)["test"] == 2
    assert split_counts(100, {"train": 0.7, "val": 0.0, "test": 0.3}) == {"train": 70, "val": 0, "test": 30}


def test_block_assignment_is_deterministic_and_seeded():
    blocks = list(range(40))
    a = assign_blocks("vid1", blocks, CFG)
    assert a == assign_blocks("vid1", list(reversed(blocks)), CFG)
    assert sorted(a.values()).count("test") == 4 and sorted(a.values()).count("val") == 4
    assert a != assign_blocks("vid2", blocks, CFG)  # the video ID salts the hash
    assert a != assign_blocks("vid1", blocks, CFG.model_copy(update={"split_seed": "other"}))


def test_curated_splits_are_whole_blocks_deterministic_and_leakage_free():
    p, e, s = generated_stream(150)
    r1 = curate_video(p, e, s, "vid1", CFG)
    r2 = curate_video(p.sample(fraction=1.0, shuffle=True, seed=1), e, s, "vid1", CFG)
    assert r1.samples.equals(r2.samples) and r1.snapshot_id == r2.snapshot_id
    blocks = r1.samples.with_columns(block=pl.col("response_start_ms") // CFG.split_block_ms)
    per_block = blocks.group_by("block").agg(pl.col("split").n_unique())
    assert per_block["split"].max() == 1  # a block never straddles splits
    sizes = r1.stats["splits"]
    assert all(sizes[s] > 0 for s in ("train", "val", "test"))
    from multimodal_pipeline.curate import checks

    assert checks.check_no_shared_prompt(r1.samples)[0]
    assert checks.check_no_near_duplicate_across_splits(r1.samples, CFG.minhash)[0]


def test_near_duplicate_of_a_test_prompt_is_dropped_from_train():
    # dedup compares prompt + response here, so both askings of the question survive it; two blocks: one goes to
    # test, one to train, and the question (nearly the same) is asked in both
    cfg = CurateConfig(split_block_ms=60_000, split_fractions=SplitFractions(train=0.5, val=0.0, test=0.5),
                       dedup_on="prompt_response")
    q = "could you explain how the crafting system works in this game"
    rows = [pair(0, q, "you gather wood first and then build the bench", start_ms=5_000, score=0.6),
            pair(1, q + " please", "i already told you, check the wiki for that", start_ms=65_000, score=0.9),
            pair(2, "what is your favourite map to play on", start_ms=10_000),
            pair(3, "when does the next tournament start", start_ms=70_000)]
    events = [event(i, r["prompt"], ts_ms=r["response_start_ms"] - 2_000) for i, r in enumerate(rows)]
    res = curate_video(*frames(rows, events)[:2], None, "vid1", cfg)
    split = dict(zip(res.samples["pair_id"], res.samples["split"], strict=True))
    leak = res.rejects.filter(pl.col("filter") == "leakage")
    assert leak.height == 1
    dropped = leak["pair_id"][0]
    kept_twin = "vid1-p0" if dropped == "vid1-p1" else "vid1-p1"
    assert split[kept_twin] == "test" and dropped not in split
    assert leak["reason"][0].startswith("leak_near_duplicate_of:")
    assert res.stats["filters"]["leakage"] == 1


@pytest.mark.parametrize(("text", "expected", "kind"), [
    ("mail me at jane.doe+x@example.co.uk now", "mail me at <EMAIL> now", "email"),
    ("call 555-123-4567 or (555) 987 6543", "call <PHONE> or <PHONE>", "phone"),
    ("intl +44 20 7946 0958 ok", "intl <PHONE> ok", "phone"),
    ("go to https://site.example/reset?token=abc123&user=9 fast", "go to <URL> fast", "url"),
    ("see https://example.com/page plain link", "see https://example.com/page plain link", None),
    ("hey @streamer_fan99 and @bob", "hey <USER> and <USER>", "handle"),
    ("in 2024 we had 300 people and 10 000 000 views", "in 2024 we had 300 people and 10 000 000 views", None),
])
def test_scrub_patterns(text, expected, kind):
    df = pl.DataFrame({"prompt": [text], "response": ["fine"]})
    out, counts = scrub_frame(df, ["prompt", "response"])
    assert out["prompt"][0] == expected
    assert sum(counts.values()) == (0 if kind is None else expected.count("<"))
    if kind:
        assert counts[kind] >= 1
    assert sum(count_pii(out, ["prompt", "response"]).values()) == 0


def test_author_name_policy_and_counts_in_stats():
    rows = [pair(0, "hi I am JohnnyGamer, email me at j@x.io", "thanks johnnygamer for the question, call 555 123 4567",
                 author="JohnnyGamer")]
    events = [event(0, rows[0]["prompt"], author="JohnnyGamer")]
    p, e, _ = frames(rows, events)
    res = curate_video(p, e, None, "vid1")
    s = res.samples.row(0, named=True)
    assert s["prompt"] == "hi I am <USER>, email me at <EMAIL>"
    assert s["response"] == "thanks <USER> for the question, call <PHONE>"
    assert res.stats["pii"] == {"url": 0, "email": 1, "phone": 1, "handle": 0, "author": 2, "spoken_name": 0}
    assert s["messages"][1]["content"] == s["prompt"]
    kept = curate_video(p, e, None, "vid1", CurateConfig(author_name_policy="keep"))
    assert "JohnnyGamer" in kept.samples["prompt"][0] and kept.stats["pii"]["author"] == 0
    # scrub_all_urls replaces every link
    rows2 = [pair(0, "have you seen this one", "it was on https://example.com/blog yesterday")]
    res2 = curate_video(*frames(rows2, [event(0, "have you seen this one")])[:2], None, "vid1",
                        CurateConfig(scrub_all_urls=True))
    assert res2.samples["response"][0] == "it was on <URL> yesterday"
