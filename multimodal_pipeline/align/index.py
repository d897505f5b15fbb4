"""Token matches between chat messages and response spans, counted per candidate with sorted searches.

No token list is copied per candidate. The spans' tokens form one sorted posting array keyed by (token, span) with
the token's first position in the span. The candidate spans of a message are a contiguous range of span indices (its
time window), so each message token finds its hits in that range with two binary searches, and the hits are summed
per candidate with a weighted bincount.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl


def expand(first: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of `counts[i]` consecutive integers starting at `first[i]`: (group index, integer) of every member."""
    counts = counts.astype(np.int64)
    group = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    offsets = np.arange(counts.sum(), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return group, np.repeat(first.astype(np.int64), counts) + offsets


def token_hashes(tokens: pl.Series) -> np.ndarray:
    return tokens.hash(seed=0).to_numpy()


@dataclass(frozen=True)
class Windows:
    """Each message's candidate spans: `lo[i] .. lo[i] + count[i] - 1`, candidate rows from `row0[i]` on."""

    lo: np.ndarray
    count: np.ndarray

    @property
    def row0(self) -> np.ndarray:
        return np.cumsum(self.count) - self.count

    @property
    def n_candidates(self) -> int:
        return int(self.count.sum())

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(message index, span index) of every candidate, ordered by message then span."""
        return expand(self.lo, self.count)

    @classmethod
    def search(cls, event_ts: np.ndarray, span_start: np.ndarray, lo_ms: int, hi_ms: int) -> Windows:
        """Spans starting in [ts + lo_ms, ts + hi_ms] of each message (span_start sorted)."""
        lo = np.searchsorted(span_start, event_ts + lo_ms, "left")
        hi = np.searchsorted(span_start, event_ts + hi_ms, "right")
        return cls(lo.astype(np.int64), (hi - lo).astype(np.int64))


@dataclass(frozen=True)
class Tokens:
    """Tokens exploded: the row (message, span, phrase) each comes from, its position there, its hash."""

    row: np.ndarray
    pos: np.ndarray
    hash: np.ndarray

    @classmethod
    def of(cls, lists: pl.Series, normalize: Callable[[pl.Series], pl.Series] | None = None) -> Tokens:
        """From one list of tokens per row; `normalize` maps the flat token Series (a stemmer)."""
        flat = lists.explode().drop_nulls()
        return cls.from_flat(lists.list.len().to_numpy(), normalize(flat) if normalize else flat)

    @classmethod
    def from_flat(cls, lens: np.ndarray, flat: pl.Series) -> Tokens:
        """From the rows' token counts and all their tokens, row after row."""
        row, pos = expand(np.zeros(len(lens), np.int64), lens)
        return cls(row, pos, token_hashes(flat))

    def first_mask(self) -> np.ndarray:
        """True at the first occurrence of each (row, token)."""
        first = pl.DataFrame({"r": self.row, "h": self.hash}).select(pl.struct("r", "h").is_first_distinct())
        return first.to_series().to_numpy()

    def distinct(self) -> Tokens:
        keep = self.first_mask()
        return Tokens(self.row[keep], self.pos[keep], self.hash[keep])


@dataclass(frozen=True)
class Postings:
    """Sorted unique (token, span) keys of the spans' tokens, with the token's first position in the span."""

    vocab: np.ndarray  # sorted token hashes
    key: np.ndarray  # token id * n_spans + span index, sorted
    pos: np.ndarray
    n_spans: int
    idf: np.ndarray  # per vocabulary token, and one more entry for a token never spoken
    df: np.ndarray  # in how many documents (phrases) each vocabulary token is, and 0 for a token never spoken

    @classmethod
    def build(cls, spans: Tokens, n_spans: int, docs: Tokens | None = None, n_docs: int = 0) -> Postings:
        """`spans`: the spans' tokens (row = span index). `docs`: the documents (phrases) the tokens' inverse
        document frequency is counted over, log((N + 1) / (df + 1))."""
        vocab, token_id = np.unique(spans.hash, return_inverse=True)
        key, first = np.unique(token_id.astype(np.int64) * max(n_spans, 1) + spans.row, return_index=True)
        idf = np.ones(len(vocab) + 1)
        df = np.zeros(len(vocab) + 1, np.int64)
        if docs is not None and n_docs:
            tid, found = cls._lookup(vocab, docs.hash)
            pairs = np.unique(tid[found].astype(np.int64) * n_docs + docs.row[found])
            df = np.bincount(pairs // n_docs, minlength=len(vocab) + 1)
            idf = np.log((n_docs + 1) / (df + 1))
        return cls(vocab, key, spans.pos[first], n_spans, idf, df)

    @staticmethod
    def _lookup(vocab: np.ndarray, q_hash: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(vocab) == 0:
            return np.zeros(len(q_hash), np.int64), np.zeros(len(q_hash), bool)
        token_id = np.minimum(np.searchsorted(vocab, q_hash), len(vocab) - 1)
        return token_id, vocab[token_id] == q_hash

    def weights(self, q_hash: np.ndarray) -> np.ndarray:
        """Inverse document frequency of each token (the highest for a token never spoken)."""
        token_id, found = self._lookup(self.vocab, q_hash)
        return self.idf[np.where(found, token_id, len(self.vocab))]

    def doc_freq(self, q_hash: np.ndarray) -> np.ndarray:
        """In how many documents (phrases) each token is (0 for a token never spoken)."""
        token_id, found = self._lookup(self.vocab, q_hash)
        return self.df[np.where(found, token_id, len(self.vocab))]

    def hits(self, windows: Windows, q_event: np.ndarray, q_hash: np.ndarray, q_limit: np.ndarray | None = None,
             q_weight: np.ndarray | None = None) -> np.ndarray:
        """Per candidate: the summed weight of the query tokens (rows of message, token hash, position limit,
        weight) found in the candidate span at a position below the limit."""
        return self.hits_many(windows, q_event, q_hash, [(q_limit, q_weight)])[0]

    def hits_many(self, windows: Windows, q_event: np.ndarray, q_hash: np.ndarray,
                  measures: list[tuple[np.ndarray | None, np.ndarray | None]]) -> list[np.ndarray]:
        """`hits` for several (limit, weight) measures of the same query tokens, searched once. A weight of 0 leaves
        a token out of a measure."""
        n = windows.n_candidates
        if len(self.vocab) == 0 or len(q_hash) == 0 or n == 0:
            return [np.zeros(n) for _ in measures]
        token_id, found = self._lookup(self.vocab, q_hash)
        q_event, token_id = q_event[found], token_id[found].astype(np.int64)
        base = token_id * self.n_spans + windows.lo[q_event]
        a = np.searchsorted(self.key, base)
        b = np.searchsorted(self.key, base + windows.count[q_event])
        q, hit = expand(a, b - a)
        ev = q_event[q]
        row = windows.row0[ev] + (self.key[hit] - token_id[q] * self.n_spans) - windows.lo[ev]
        pos = self.pos[hit]
        out = []
        for limit, weight in measures:
            keep = slice(None) if limit is None else pos < limit[found][q]
            w = None if weight is None else weight[found][q][keep]
            out.append(np.bincount(row[keep], weights=w, minlength=n).astype(np.float64))
        return out
