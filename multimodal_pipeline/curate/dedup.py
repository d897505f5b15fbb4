"""Exact and near-duplicate detection: normalized-text hashing, then MinHash LSH on word shingles.

The MinHash signatures are bit-identical to datasketch's (`MinHash(num_perm, seed)` — its default affine32
scheme with the sha1 32-bit hash — `.update_batch(shingle.encode() for shingle in shingles)`), with its
permutations and its LSH banding `(b, r)` (`MinHashLSH(threshold, num_perm)`), but computed for every text at
once: shingles come from Polars, each distinct shingle is hashed once, the permutations are applied as a numpy
matrix product and reduced per text with `minimum.reduceat`; the LSH buckets are numpy arrays of band hashes.
Only texts that share a bucket with another text go through the (sequential) greedy pass, which has the exact
semantics of the plain loop over `MinHashLSH.query` + `insert`: texts in priority order; a text whose candidates
include a kept text with estimated Jaccard >= threshold is a near-duplicate of the most similar one (ties: the
best-ranked), otherwise it is kept and indexed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl
from datasketch import MinHash, MinHashLSH

from multimodal_pipeline.contracts.curate_config import MinHashParams
from multimodal_pipeline.curate.text import normalize

KEPT, EXACT, NEAR = 0, 1, 2
_CHUNK = 1 << 16  # shingles per block of the permutation matrix (64 Ki x num_perm x 4 bytes)


@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters (a, b), uint32."""
    a, b = MinHash(num_perm=num_perm, seed=seed).permutations
    return a.astype(np.uint32), b.astype(np.uint32)


@lru_cache(maxsize=16)
def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """datasketch's optimal (bands, rows) for this threshold and number of permutations."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def _sha1_32(values: list[bytes]) -> np.ndarray:
    """datasketch's `sha1_hash32` of each value: the first 4 bytes of its sha1, little-endian."""
    sha1 = hashlib.sha1
    return np.frombuffer(b"".join([sha1(v).digest()[:4] for v in values]), dtype="<u4").astype(np.uint32)


def shingle_table(normalized: pl.Series, k: int) -> pl.DataFrame:
    """(row, shingle) for every word k-shingle of every normalized text, the shingles of a text contiguous and in
    position order. A text with fewer than k words is one shingle; an empty text has none (`text.word_shingles`)."""
    df = pl.DataFrame({"t": normalized}).with_row_index("row").filter(pl.col("t") != "")
    words = df.select("row", w=pl.col("t").str.split(" "))
    if k == 1:
        return words.explode("w").rename({"w": "shingle"})
    n = pl.col("w").list.len()
    short = words.filter(n < k).select("row", shingle=pl.col("w").list.join(" "))
    long_ = words.filter(n >= k)
    m = pl.col("w").list.len() - k + 1
    parts = long_.select("row", *[pl.col("w").list.slice(j, m).alias(f"s{j}") for j in range(k)])
    parts = parts.explode([f"s{j}" for j in range(k)])
    long_sh = parts.select("row", shingle=pl.concat_str([pl.col(f"s{j}") for j in range(k)], separator=" "))
    return pl.concat([short, long_sh])  # each row lies in one part only: its shingles stay contiguous


def signatures(normalized: pl.Series, params: MinHashParams) -> np.ndarray:
    """MinHash signatures (n, num_perm) uint32 of normalized texts; an empty text gets the empty signature
    (all 0xFFFFFFFF), as an empty datasketch MinHash."""
    n = len(normalized)
    a, b = permutations(params.num_perm, params.seed)
    sig = np.full((n, params.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    table = shingle_table(normalized, params.shingle_size)
    if table.height == 0:
        return sig
    # hash each distinct shingle once (sha1, as datasketch's default hashfunc), then pre-mix it (fmix32);
    # distinct shingles are found through a 64-bit Polars hash (a grouping key only)
    ids = table["shingle"].hash(seed=0).rank("dense").to_numpy().astype(np.int64) - 1
    first = np.empty(int(ids.max()) + 1, dtype=np.int64)
    first[ids[::-1]] = np.arange(len(ids) - 1, -1, -1)
    hashes = _fmix32(_sha1_32(table["shingle"].gather(first).cast(pl.Binary).to_list()))
    hv = hashes[ids]
    rows = table["row"].to_numpy()
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    bounds = np.r_[starts, len(rows)]
    text_rows = rows[starts]
    a_col, b_col = a[:, None], b[:, None]
    buf = np.empty((params.num_perm, min(_CHUNK, len(rows))), dtype=np.uint32)
    i, n_texts = 0, len(starts)
    while i < n_texts:  # whole texts, in blocks of about _CHUNK shingles (at least one text)
        j = min(max(int(np.searchsorted(bounds, bounds[i] + _CHUNK, side="right")) - 1, i + 1), n_texts)
        lo, hi = int(bounds[i]), int(bounds[j])
        if hi - lo > buf.shape[1]:
            buf = np.empty((params.num_perm, hi - lo), dtype=np.uint32)
        block = buf[:, :hi - lo]
        np.multiply(a_col, hv[None, lo:hi], out=block)  # uint32 arithmetic wraps: a*h + b mod 2^32
        block += b_col
        sig[text_rows[i:j]] = np.minimum.reduceat(block, starts[i:j] - lo, axis=1).T
        i = j
    return sig


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64 hash of each LSH band of each signature (equal bands give equal keys)."""
    n = sig.shape[0]
    # a random odd 64-bit multiplier per position: key = fmix64(sum(value * multiplier)). Equal bands give equal
    # keys; a rare spurious collision only adds a candidate, which the Jaccard verification then rejects.
    mult = (np.random.default_rng(0x5EED).integers(0, 1 << 63, size=bands * rows, dtype=np.uint64) << np.uint64(1)
            ) | np.uint64(1)
    keys = np.empty((n, bands), dtype=np.uint64)
    step = 1 << 18
    for lo in range(0, n, step):
        block = sig[lo:lo + step, :bands * rows].astype(np.uint64)
        block *= mult[None, :]
        h = block.reshape(block.shape[0], bands, rows).sum(axis=2, dtype=np.uint64)
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xFF51AFD7ED558CCD)
        h ^= h >> np.uint64(33)
        keys[lo:lo + step] = h
    return keys


def near_duplicates(sig: np.ndarray, params: MinHashParams, active: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Greedy near-duplicate pass over signatures already in priority order (row 0 = best).

    Returns (dup_of, similarity): dup_of[i] = row of the kept text that row i nearly duplicates, or -1 when kept.
    Rows where `active` is False take no part (kept, never a candidate)."""
    n = sig.shape[0]
    dup_of = np.full(n, -1, dtype=np.int64)
    sim = np.zeros(n, dtype=np.float64)
    idx = np.arange(n) if active is None else np.flatnonzero(active)
    if len(idx) < 2:
        return dup_of, sim
    bands, rows = lsh_bands(params.threshold, params.num_perm)
    keys = band_keys(sig[idx], bands, rows)
    # group id per (text, band) — only for buckets holding more than one text; -1 elsewhere
    gids = np.full(keys.shape, -1, dtype=np.int64)
    offset = 0
    for band in range(bands):
        _, inv, counts = np.unique(keys[:, band], return_inverse=True, return_counts=True)
        shared = counts[inv] > 1
        gids[shared, band] = inv[shared] + offset
        offset += len(counts)
    colliding = np.flatnonzero((gids >= 0).any(axis=1))
    if len(colliding) == 0:
        return dup_of, sim
    kept_in: dict[int, list[int]] = {}
    thr, num_perm = params.threshold, sig.shape[1]
    for local, groups in zip(colliding.tolist(), gids[colliding].tolist(), strict=True):
        groups = [g for g in groups if g >= 0]
        cands: set[int] = set()
        for g in groups:
            members = kept_in.get(g)
            if members:
                cands.update(members)
        if cands:
            cand = np.fromiter(sorted(cands), dtype=np.int64, count=len(cands))
            j = (sig[idx[cand]] == sig[idx[local]]).sum(axis=1) / num_perm
            best = int(np.argmax(j))  # first max: the best-ranked among the most similar
            if j[best] >= thr:
                dup_of[idx[local]] = idx[cand[best]]
                sim[idx[local]] = float(j[best])
                continue
        for g in groups:
            kept_in.setdefault(g, []).append(local)
    return dup_of, sim


def near_matches(query_sig: np.ndarray, ref_sig: np.ndarray, params: MinHashParams,
                 query_active: np.ndarray | None = None, ref_active: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """For each query signature, the most similar reference (estimated Jaccard >= threshold among LSH
    candidates), or -1. Returns (match, similarity)."""
    nq = query_sig.shape[0]
    match = np.full(nq, -1, dtype=np.int64)
    sim = np.zeros(nq, dtype=np.float64)
    qi = np.arange(nq) if query_active is None else np.flatnonzero(query_active)
    ri = np.arange(ref_sig.shape[0]) if ref_active is None else np.flatnonzero(ref_active)
    if len(qi) == 0 or len(ri) == 0:
        return match, sim
    bands, rows = lsh_bands(params.threshold, params.num_perm)
    qk = band_keys(query_sig[qi], bands, rows)
    rk = band_keys(ref_sig[ri], bands, rows)
    pairs = []
    for band in range(bands):
        q = pl.DataFrame({"q": np.arange(len(qi)), "k": qk[:, band]})
        r = pl.DataFrame({"r": np.arange(len(ri)), "k": rk[:, band]})
        pairs.append(q.join(r, on="k").select("q", "r"))
    cand = pl.concat(pairs).unique().sort("q", "r")
    if cand.height == 0:
        return match, sim
    q_loc, r_loc = cand["q"].to_numpy(), cand["r"].to_numpy()
    j = np.empty(len(q_loc), dtype=np.float64)
    step = max(1, _CHUNK // 4)
    for lo in range(0, len(q_loc), step):
        hi = lo + step
        j[lo:hi] = (query_sig[qi[q_loc[lo:hi]]] == ref_sig[ri[r_loc[lo:hi]]]).mean(axis=1)
    best = (pl.DataFrame({"q": q_loc, "r": r_loc, "j": j}).filter(pl.col("j") >= params.threshold)
            .sort(["q", "j", "r"], descending=[False, True, False]).unique("q", keep="first"))
    if best.height:
        qs = qi[best["q"].to_numpy()]
        match[qs] = ri[best["r"].to_numpy()]
        sim[qs] = best["j"].to_numpy()
    return match, sim


@dataclass(frozen=True)
class DedupResult:
    """Per input text (original order): `kind` KEPT/EXACT/NEAR, `dup_of` the index of the kept text it
    duplicates (-1 when kept), `similarity` (1.0 for exact)."""

    kind: np.ndarray
    dup_of: np.ndarray
    similarity: np.ndarray

    @property
    def kept(self) -> np.ndarray:
        return self.kind == KEPT


def find_duplicates(texts: pl.Series | list[str], params: MinHashParams, order: np.ndarray | None = None,
                    normalized: bool = False) -> DedupResult:
    """Exact duplicates (equal normalized text) then near-duplicates (MinHash LSH) of `texts`.

    `order`: indices of `texts` best first (the best of each cluster is kept); default: input order."""
    s = texts if isinstance(texts, pl.Series) else pl.Series("text", texts, dtype=pl.String)
    n = len(s)
    order = np.arange(n, dtype=np.int64) if order is None else np.asarray(order, dtype=np.int64)
    norm = s if normalized else normalize(s)
    ranked = norm.gather(order)
    # exact: first (best-ranked) of each normalized text
    rep_rank = (pl.DataFrame({"t": ranked}).with_row_index("r")
                .select(pl.col("r").min().over("t")).to_series().to_numpy().astype(np.int64))
    is_exact = rep_rank != np.arange(n)
    kind_r = np.where(is_exact, EXACT, KEPT).astype(np.int8)
    dup_r = np.where(is_exact, rep_rank, -1)
    sim_r = np.where(is_exact, 1.0, 0.0)
    # near: among the exact-kept texts with at least one shingle
    keep_r = np.flatnonzero(~is_exact)
    sub = ranked.gather(keep_r)
    sig = signatures(sub, params)
    near_of, near_sim = near_duplicates(sig, params, active=(sub != "").to_numpy())
    hit = near_of >= 0
    kind_r[keep_r[hit]] = NEAR
    dup_r[keep_r[hit]] = keep_r[near_of[hit]]
    sim_r[keep_r[hit]] = near_sim[hit]
    # an exact duplicate of a text that turned out to be a near-duplicate points to the kept text itself
    via = is_exact & (kind_r[np.maximum(dup_r, 0)] == NEAR)
    if via.any():
        reps = dup_r[via]
        kind_r[via] = NEAR
        sim_r[via] = sim_r[reps]
        dup_r[via] = dup_r[reps]
    # back to input order
    kind = np.empty(n, dtype=np.int8)
    dup_of = np.full(n, -1, dtype=np.int64)
    sim = np.zeros(n, dtype=np.float64)
    kind[order] = kind_r
    dup_of[order] = np.where(dup_r >= 0, order[np.maximum(dup_r, 0)], -1)
    sim[order] = sim_r
    return DedupResult(kind=kind, dup_of=dup_of, similarity=sim)
