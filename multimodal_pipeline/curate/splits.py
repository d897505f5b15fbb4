"""Leakage-safe splits: whole time blocks of a video go to one split, and no near-duplicate of a held-out prompt
stays in a lower split.

Assignment: the video is cut into blocks of `split_block_ms` (by `response_start_ms`). The blocks that hold at
least one accepted pair are ranked by sha256(split_seed, video_id, block); the first blocks of that ranking go to
test, the next to val, the rest to train, in numbers given by the fractions (largest remainder; a split with a
non-zero fraction gets at least one block when there are enough blocks). The assignment is a pure function of
(video_id, blocks, config): re-running gives the same split, and neighbouring moments never straddle splits
except at block edges.

Leakage: `leaks` finds the samples of a split whose prompt equals (normalized) or nearly duplicates (MinHash LSH)
a prompt of a higher split (test > val > train); the caller drops them from the lower split.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from multimodal_pipeline.contracts.curate_config import SPLITS, CurateConfig, MinHashParams
from multimodal_pipeline.curate.dedup import near_matches, signatures
from multimodal_pipeline.curate.text import normalize
from multimodal_pipeline.storage.hashing import sha256_bytes

#: the order in which splits win a leak: a test prompt stays, its near-duplicates in val or train go
PRECEDENCE: tuple[str, ...] = ("test", "val", "train")


def block_expr(block_ms: int, column: str = "response_start_ms") -> pl.Expr:
    return (pl.col(column) // block_ms).alias("block")


def _block_rank_key(seed: str, video_id: str, block: int) -> str:
    return sha256_bytes(f"{seed}\x1f{video_id}\x1f{block}".encode())


def split_counts(n_blocks: int, fractions: dict[str, float]) -> dict[str, int]:
    """Blocks per split: largest remainder, then at least one block for every split with a non-zero fraction
    (taken from the split with the most blocks) when there are enough blocks."""
    quotas = {s: fractions[s] * n_blocks for s in SPLITS}
    counts = {s: math.floor(q) for s, q in quotas.items()}
    rest = n_blocks - sum(counts.values())
    for s in sorted(SPLITS, key=lambda s: (-(quotas[s] - counts[s]), PRECEDENCE.index(s)))[:rest]:
        counts[s] += 1
    wanted = [s for s in PRECEDENCE if fractions[s] > 0]
    if n_blocks >= len(wanted):
        for s in wanted:
            if counts[s] == 0:
                donor = max(SPLITS, key=lambda d: (counts[d], d == "train"))
                counts[donor] -= 1
                counts[s] += 1
    return counts


def assign_blocks(video_id: str, blocks: list[int] | set[int], config: CurateConfig) -> dict[int, str]:
    """{block: split} for the blocks of one video."""
    ranked = sorted(set(int(b) for b in blocks), key=lambda b: _block_rank_key(config.split_seed, video_id, b))
    counts = split_counts(len(ranked), config.split_fractions.as_dict())
    out: dict[int, str] = {}
    i = 0
    for split in PRECEDENCE:
        for b in ranked[i:i + counts[split]]:
            out[b] = split
        i += counts[split]
    return out


def memorable_responses(df: pl.DataFrame, min_words: int) -> pl.DataFrame:
    """The rows whose response has at least `min_words` words: the ones that may not repeat across splits (a
    one-word "Yes." carries nothing to memorize)."""
    return df.filter(normalize(df["response"]).str.count_matches(" ") + 1 >= min_words)


def leaks(df: pl.DataFrame, params: MinHashParams, text: str = "prompt") -> pl.DataFrame:
    """Samples to drop because their `text` equals (normalized) or nearly duplicates that of a sample in a higher
    split. `df` needs `sample_id`, `split` and `text`. Returns (sample_id, leak_of, kind: "exact" | "near",
    similarity), one row per leaking sample; a dropped sample is not a reference for lower splits."""
    out: list[pl.DataFrame] = []
    norm = df.select("sample_id", "split", t=normalize(df[text]))
    dropped: set[str] = set()
    for lower_i, lower in enumerate(PRECEDENCE[1:], start=1):
        higher = PRECEDENCE[:lower_i]
        ref = norm.filter(pl.col("split").is_in(list(higher)) & ~pl.col("sample_id").is_in(list(dropped)))
        qry = norm.filter(pl.col("split") == lower)
        if ref.height == 0 or qry.height == 0:
            continue
        exact = (qry.join(ref.group_by("t").agg(pl.col("sample_id").min().alias("leak_of")), on="t")
                 .select("sample_id", "leak_of", kind=pl.lit("exact"), similarity=pl.lit(1.0)))
        q_rest = qry.filter(~pl.col("sample_id").is_in(exact["sample_id"].implode()))
        found = [exact]
        if q_rest.height:
            qs, rs = signatures(q_rest["t"], params), signatures(ref["t"], params)
            match, sim = near_matches(qs, rs, params, query_active=(q_rest["t"] != "").to_numpy(),
                                      ref_active=(ref["t"] != "").to_numpy())
            hit = np.flatnonzero(match >= 0)
            if len(hit):
                found.append(pl.DataFrame({
                    "sample_id": q_rest["sample_id"].gather(hit), "leak_of": ref["sample_id"].gather(match[hit]),
                    "kind": ["near"] * len(hit), "similarity": sim[hit]}))
        got = pl.concat(found)
        dropped.update(got["sample_id"].to_list())
        out.append(got)
    if not out:
        return pl.DataFrame(schema={"sample_id": pl.String, "leak_of": pl.String, "kind": pl.String,
                                    "similarity": pl.Float64})
    return pl.concat(out)
