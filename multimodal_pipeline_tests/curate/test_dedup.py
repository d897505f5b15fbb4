"""Exact and near-duplicate detection: datasketch-identical signatures, the same decisions as the plain
datasketch loop, planted near-duplicates found with the best-scored kept."""

from __future__ import annotations

import random

import numpy as np
from datasketch import MinHash, MinHashLSH

from multimodal_pipeline.contracts.curate_config import CurateConfig, MinHashParams
from multimodal_pipeline.curate import curate_video
from multimodal_pipeline.curate.dedup import EXACT, KEPT, NEAR, find_duplicates, near_matches, signatures
from multimodal_pipeline.curate.text import normalize, word_shingles
from multimodal_pipeline_tests.curate.helpers import event, frames, pair

P = MinHashParams()
WORDS = ("game chat boss level stream play run clip win lose hard easy new old best worst team map score time "
         "fight jump music cat dog food night day song rank skin mode story quest loot raid").split()


def random_texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 14))) for _ in range(n)]


def test_signatures_bit_identical_to_datasketch():
    texts = ["What game is this??", "hi", "", "Ｆｕｌｌ width ＴＥＸＴ 😂 here", "one two", "a b c d e f g h"]
    texts += random_texts(50)
    norm = normalize(texts)
    for params in (P, MinHashParams(num_perm=64, shingle_size=3, seed=7), MinHashParams(shingle_size=1)):
        sig = signatures(norm, params)
        for i, t in enumerate(norm.to_list()):
            m = MinHash(num_perm=params.num_perm, seed=params.seed)
            m.update_batch([s.encode() for s in word_shingles(t, params.shingle_size)])
            assert np.array_equal(m.hashvalues, sig[i]), t


def plain_loop(texts: list[str], order: np.ndarray) -> np.ndarray:
    """datasketch's plain usage: per text MinHash + LSH query, jaccard on candidates, insert when kept."""
    norm = normalize(texts).to_list()
    lsh = MinHashLSH(threshold=P.threshold, num_perm=P.num_perm)
    kept: dict[int, MinHash] = {}
    dup_of = np.full(len(texts), -1)
    for i in order.tolist():
        m = MinHash(num_perm=P.num_perm, seed=P.seed)
        m.update_batch([s.encode() for s in word_shingles(norm[i], P.shingle_size)])
        best = max(((m.jaccard(kept[c]), -c, c) for c in lsh.query(m)), default=None)
        if best is not None and best[0] >= P.threshold:
            dup_of[i] = best[2]
            continue
        lsh.insert(i, m)
        kept[i] = m
    return dup_of


def test_same_decisions_as_plain_datasketch_loop():
    rng = random.Random(3)
    base = random_texts(300, seed=1)
    texts = list(base)
    for t in rng.sample(base, 120):  # planted: appended word, deleted word, case/punctuation variants
        w = t.split()
        edit = rng.randrange(3)
        if edit == 0:
            texts.append(t + " " + rng.choice(WORDS))
        elif edit == 1 and len(w) > 3:
            del w[rng.randrange(len(w))]
            texts.append(" ".join(w))
        else:
            texts.append(t.upper() + "!!")
    order = np.array(rng.sample(range(len(texts)), len(texts)))
    ours = find_duplicates(texts, P, order=order)
    plain = plain_loop(texts, order)
    assert np.array_equal(ours.dup_of >= 0, plain >= 0)
    assert (ours.kind == NEAR).sum() > 10 and (ours.kind == EXACT).sum() > 10


def test_planted_near_duplicates_keep_the_best_scored():
    base = "does anyone know what time the tournament finals start tonight"
    texts = [base, base + " chat", base + " please help", "totally unrelated message about cats",
             base.upper() + "?!", "hello everyone"]
    scores = np.array([0.5, 0.9, 0.6, 0.99, 0.7, 0.1])
    res = find_duplicates(texts, P, order=np.argsort(-scores, kind="stable"))
    assert res.kind.tolist() == [NEAR, KEPT, NEAR, KEPT, NEAR, KEPT]
    assert res.dup_of.tolist() == [1, -1, 1, -1, 1, -1]
    assert res.similarity[0] >= P.threshold


def test_exact_duplicate_of_a_near_duplicate_points_to_the_kept_text():
    base = "what do you think about the new season of the show"
    texts = [base, base + " guys", base + "!!!"]  # best first: text 1 wins, text 0 is near, text 2 exact of 0
    res = find_duplicates(texts, P, order=np.array([1, 0, 2]))
    assert res.dup_of.tolist() == [1, -1, 1]
    assert res.kind.tolist() == [NEAR, KEPT, NEAR]


def test_near_matches_between_sets():
    q = normalize(["the quick brown fox jumps over the lazy dog", "something else entirely here", ""])
    r = normalize(["unrelated", "the quick brown fox jumps over the lazy dog again"])
    match, sim = near_matches(signatures(q, P), signatures(r, P), P, query_active=(q != "").to_numpy())
    assert match.tolist() == [1, -1, -1] and sim[0] >= P.threshold


def test_curate_video_rejects_duplicates_with_the_kept_sample_id():
    prompts = ["what game are we playing after this one", "What game are we playing after this one??",
               "what game are we playing after this one tonight", "how long have you been streaming today"]
    scores = [0.6, 0.7, 0.95, 0.8]
    rows = [pair(i, p, score=s) for i, (p, s) in enumerate(zip(prompts, scores, strict=True))]
    events = [event(i, p, ts_ms=100_000 * i) for i, p in enumerate(prompts)]  # minutes apart: no copypasta
    res = curate_video(*frames(rows, events)[:2], None, "vid1")
    kept = dict(zip(res.samples["pair_id"], res.samples["sample_id"], strict=True))
    assert set(kept) == {"vid1-p2", "vid1-p3"}
    rej = res.rejects.sort("pair_id")
    assert rej["filter"].to_list() == ["near_duplicate", "near_duplicate"]
    # the exact pair (p0, p1) both point at the best-scored near-duplicate p2
    assert rej["reason"].to_list() == [f"near_duplicate_of:{kept['vid1-p2']}"] * 2
    assert res.stats["filters"]["near_duplicate"] == 2


def test_dedup_on_prompt_and_response():
    rows = [pair(0, "what game is this", "it is the new racing game", score=0.9),
            pair(1, "what game is this", "we are playing the old shooter again", score=0.8)]
    events = [event(0, "what game is this"), event(1, "what game is this")]
    p, e, _ = frames(rows, events)
    by_prompt = curate_video(p, e, None, "vid1")
    both = curate_video(p, e, None, "vid1", CurateConfig(dedup_on="prompt_response"))
    assert by_prompt.samples["pair_id"].to_list() == ["vid1-p0"]
    assert by_prompt.rejects["reason"][0] == f"duplicate_of:{by_prompt.samples['sample_id'][0]}"
    # compared with their responses they differ: both kept (one block, one split: no leakage either)
    assert both.stats["filters"]["duplicate"] == 0 and both.samples.height == 2
