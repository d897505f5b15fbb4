"""Near-duplicate removal: `curate.dedup.find_duplicates` against datasketch's plain usage, with peak memory.

    python -m benchmarks.bench_dedup [--n 1000000] [--skip-plain] [--seed 0]

`--n` short chat-like texts are generated (seeded): Zipf-distributed words from a synthetic vocabulary plus chat
words and emotes, 1-24 words each, random case and punctuation. Planted among them: exact copies up to case and
punctuation (5 %) and near-duplicates of an earlier text of 8+ words (10 %: one word appended, one word deleted, an
emote appended, or two words appended). Every text gets a random score; both implementations keep the best-scored
text of each cluster (priority order = score descending).

Each measurement runs in its own child process (peak RSS from wait4) and times itself without interpreter
start-up, imports and reading the texts:
- `plain`: the plain datasketch loop — per text `MinHash(num_perm, seed)`, `update_batch` of its word shingles
  (sha1), `MinHashLSH.query`, `MinHash.jaccard` against the candidates, and `MinHashLSH.insert` of the texts kept.
  Texts are normalized beforehand with the same (vectorized) normalization, so both sides see the same shingles.
- `ours`: `find_duplicates(texts, params, order)` — exact pass on normalized text, then vectorized MinHash
  (bit-identical signatures) and numpy LSH banding with a greedy pass only over the texts that share a bucket.
Both use `MinHashParams()` (128 permutations, threshold 0.7, word bigrams). The decisions of the two are compared
(`agreement`: share of texts with the same kept/duplicate decision) and the recall on the planted near-duplicates
is reported. Writes benchmarks/results/dedup.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.common import measure, python, write_result

CHAT_WORDS = ("i you the a is it this that what how why lol lmao omg wait no yes yeah bro dude chat game play "
              "stream today tomorrow love hate so much very good bad insane crazy clip run boss level win lose "
              "again please hi hello hey gg wp nice cool when where who are do does can will was were have has "
              "my your me we they he she not just about think know see look like want need go going come back "
              "first last next time one two three more less still already never always really actually").split()
EMOTES = ("KEKW", "LUL", "PogChamp", "Kappa", "monkaS", "OMEGALUL", "Sadge", "catJAM", "5Head", "PepeHands")
PUNCT = ("", "", "", "?", "!", "!!", "...", "??", ".")


def generate(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    syll = ["ka", "ro", "mi", "to", "za", "ne", "lu", "shi", "ba", "de", "qu", "ix", "or", "pa", "fe", "gy"]
    vocab_extra = {"".join(rng.choice(syll, size=rng.integers(2, 4))) for _ in range(30000)}
    vocab = np.array(CHAT_WORDS + sorted(vocab_extra))
    ranks = np.arange(1, len(vocab) + 1)
    probs = 1.0 / ranks ** 1.05
    probs /= probs.sum()
    lengths = np.minimum(rng.geometric(0.14, size=n), 24)
    words = vocab[rng.choice(len(vocab), size=int(lengths.sum()), p=probs)]
    kind = rng.random(n)
    texts: list[str] = []
    planted_near: list[tuple[int, int]] = []
    pos = 0
    long_ids: list[int] = []
    for i in range(n):
        w = words[pos:pos + lengths[i]].tolist()
        pos += lengths[i]
        k = kind[i]
        if i > 100 and k < 0.05:  # exact copy up to case/punctuation
            src = texts[int(rng.integers(0, i))]
            t = src.upper() if rng.random() < 0.3 else src.rstrip("?!.") + PUNCT[int(rng.integers(0, len(PUNCT)))]
        elif long_ids and k < 0.15:  # near-duplicate of an earlier text of 8+ words
            src_i = long_ids[int(rng.integers(0, len(long_ids)))]
            sw = texts[src_i].split(" ")
            e = int(rng.integers(0, 4))
            if e == 0:
                sw = [*sw, str(vocab[int(rng.integers(0, 200))])]
            elif e == 1:
                del sw[int(rng.integers(1, len(sw) - 1))]
            elif e == 2:
                sw = [*sw, EMOTES[int(rng.integers(0, len(EMOTES)))]]
            else:
                sw = [*sw, str(vocab[int(rng.integers(0, 200))]), str(vocab[int(rng.integers(0, 200))])]
            t = " ".join(sw)
            planted_near.append((i, src_i))
        else:
            if rng.random() < 0.3:
                w.append(EMOTES[int(rng.integers(0, len(EMOTES)))])
            t = " ".join(w)
            if rng.random() < 0.2:
                t = t.capitalize()
            t += PUNCT[int(rng.integers(0, len(PUNCT)))]
        if len(t.split(" ")) >= 8:
            long_ids.append(i)
        texts.append(t)
    scores = rng.random(n)
    return {"texts": texts, "scores": scores, "planted_near": np.array(planted_near, dtype=np.int64).reshape(-1, 2)}


# ------------------------------------------------------------------------------------------------------------------
# children (each prints one JSON line; decisions go to an .npy file)

PLAIN = r"""
import json, sys, time
import numpy as np, polars as pl
from datasketch import MinHash, MinHashLSH
from multimodal_pipeline.contracts.curate_config import MinHashParams
from multimodal_pipeline.curate.text import normalize, word_shingles
data, out = sys.argv[1], sys.argv[2]
df = pl.read_parquet(data)
p = MinHashParams()
t0 = time.perf_counter()
order = np.argsort(-df["score"].to_numpy(), kind="stable")
norm = normalize(df["text"]).gather(order).to_list()
lsh = MinHashLSH(threshold=p.threshold, num_perm=p.num_perm)
kept = {}
dup_of = np.full(len(norm), -1, dtype=np.int64)
for rank, t in enumerate(norm):
    m = MinHash(num_perm=p.num_perm, seed=p.seed)
    m.update_batch([s.encode() for s in word_shingles(t, p.shingle_size)])
    cands = lsh.query(m)
    if cands:
        best, best_j = -1, -1.0
        for c in sorted(cands):
            j = m.jaccard(kept[c])
            if j > best_j:
                best, best_j = c, j
        if best_j >= p.threshold:
            dup_of[order[rank]] = order[best]
            continue
    lsh.insert(rank, m)
    kept[rank] = m
elapsed = time.perf_counter() - t0
np.save(out, dup_of)
print(json.dumps({"seconds": round(elapsed, 3), "duplicates": int((dup_of >= 0).sum())}))
"""

OURS = r"""
import json, sys, time
import numpy as np, polars as pl
from multimodal_pipeline.contracts.curate_config import MinHashParams
from multimodal_pipeline.curate.dedup import find_duplicates
data, out = sys.argv[1], sys.argv[2]
df = pl.read_parquet(data)
p = MinHashParams()
t0 = time.perf_counter()
order = np.argsort(-df["score"].to_numpy(), kind="stable")
r = find_duplicates(df["text"], p, order=order)
elapsed = time.perf_counter() - t0
np.save(out, r.dup_of)
print(json.dumps({"seconds": round(elapsed, 3), "duplicates": int((r.dup_of >= 0).sum()),
                  "exact": int((r.kind == 1).sum()), "near": int((r.kind == 2).sum())}))
"""


def _rep(dup_of: np.ndarray) -> np.ndarray:
    return np.where(dup_of >= 0, dup_of, np.arange(len(dup_of)))


def recall(dup_of: np.ndarray, planted: np.ndarray) -> float:
    """Share of planted (copy, source) pairs that ended in the same cluster."""
    if len(planted) == 0:
        return 1.0
    rep = _rep(dup_of)
    return float(np.mean(rep[planted[:, 0]] == rep[planted[:, 1]]))


def true_jaccard(texts: list[str], planted: np.ndarray, k: int) -> np.ndarray:
    """Exact Jaccard similarity of the word-shingle sets of each planted pair."""
    from multimodal_pipeline.curate.text import normalize, word_shingles

    ids = np.unique(planted.ravel())
    norm = dict(zip(ids.tolist(), normalize([texts[i] for i in ids]).to_list(), strict=True))
    out = np.empty(len(planted))
    for n, (a, b) in enumerate(planted.tolist()):
        sa, sb = set(word_shingles(norm[a], k)), set(word_shingles(norm[b], k))
        out[n] = len(sa & sb) / len(sa | sb) if sa | sb else 1.0
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-plain", action="store_true", help="only run our implementation")
    args = ap.parse_args(argv)

    import polars as pl

    data = generate(args.n, args.seed)
    planted = data["planted_near"]
    jac = true_jaccard(data["texts"], planted, 2)
    above = planted[jac >= 0.7]
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench-dedup-") as tmp:
        path = Path(tmp) / "texts.parquet"
        pl.DataFrame({"text": data["texts"], "score": data["scores"]}).write_parquet(path)
        decisions = {}
        for name, code in (("ours", OURS), ("plain", PLAIN)):
            if name == "plain" and args.skip_plain:
                continue
            out = Path(tmp) / f"{name}.npy"
            m = measure(python(code) + [str(path), str(out)])
            child = json.loads(m["stdout"].splitlines()[-1])
            decisions[name] = np.load(out)
            results[name] = {"seconds": child["seconds"], "texts_per_s": round(args.n / child["seconds"]),
                             "wall_s": m["wall_s"], "peak_rss_mib": m["peak_rss_mib"],
                             "recall_planted_near": round(recall(decisions[name], planted), 4),
                             "recall_planted_near_jaccard_ge_threshold": round(recall(decisions[name], above), 4),
                             **{k: v for k, v in child.items() if k != "seconds"}}
            print(name, results[name], file=sys.stderr, flush=True)
    payload: dict = {"n": args.n, "seed": args.seed, "planted_near": int(len(planted)),
                     "planted_near_jaccard_ge_threshold": int(len(above)),
                     "params": {"num_perm": 128, "threshold": 0.7, "shingle_size": 2}, "results": results}
    if "plain" in decisions:
        a, b = decisions["ours"] >= 0, decisions["plain"] >= 0
        payload["agreement"] = round(float(np.mean(a == b)), 6)
        payload["same_representative"] = round(float(np.mean(decisions["ours"] == decisions["plain"])), 6)
        payload["speedup"] = round(results["plain"]["seconds"] / results["ours"]["seconds"], 1)
        payload["memory_ratio"] = round(results["plain"]["peak_rss_mib"] / results["ours"]["peak_rss_mib"], 2)
    path = write_result("dedup", payload)
    print(json.dumps({k: v for k, v in payload.items()}, indent=2))
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
