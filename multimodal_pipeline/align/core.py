"""Chat-to-speech alignment: candidate windows, features, lag calibration, scoring and one-to-one assignment.

Every candidate (chat event, response span) is returned with its features, score, `accepted` flag and, when
rejected, the reason. Candidates come from a sorted search (numpy.searchsorted over span starts), never a nested
loop over all pairs. Word matches (read aloud, name, shared words) are counted per candidate from a sorted posting
array of the spans' stemmed tokens (`index.py`), each message word weighted by how rarely the streamer says it in
this video (inverse document frequency over the phrases), so that "game" or "so" is weak evidence and "Spirited
Away" is strong; the rest are Polars expressions over the candidate table.
"""

from __future__ import annotations

import math

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import polars as pl

from collections.abc import Callable

from multimodal_pipeline.align.answer import (Cut, Embedder, Message, Words, breath_split, breath_texts, cut_answer,
                                             find_lead, reads_message, skip_first)
from multimodal_pipeline.align.index import Postings, Tokens, Windows, token_hashes
from multimodal_pipeline.align.scorer import Continuation, Scorer, feature_frame, load_scorer
from multimodal_pipeline.align.spans import build_phrases, build_spans, speech_words
from multimodal_pipeline.align.text import (
    handle_parts,
    is_content,
    is_question,
    name_tokens,
    prompt_text,
    spelled_out,
    split_run_together,
    stem,
    stem_series,
    tokens,
)
from multimodal_pipeline.contracts import STREAMER, AlignedPair, polars_schema
from multimodal_pipeline.contracts.align_config import AlignConfig
from multimodal_pipeline.storage.hashing import config_hash, frame_sha256, sha256_file
from multimodal_pipeline.storage.stage import StageCache, stage_key


def source_version(root: Path) -> str:
    """The alignment code's version: a hash of the sources whose changes can change its output (the package at
    `root`, the handle splitting and the sentence embeddings beside it). A hand-kept version string was left unbumped
    through two sessions of changes, and the stage cache then served pairs the current code would not make."""
    paths = sorted(root.glob("*.py")) + [root.parent / "names.py", root.parent / "embeddings.py"]
    return f"align-{config_hash({f'{p.parent.name}/{p.name}': sha256_file(p) for p in paths})[:16]}"


CODE_VERSION = source_version(Path(__file__).resolve().parent)

#: given the chat rows (`prompt`, `author`, `kind`, ...), a reason per row why it can never be a prompt (or null)
PromptFilter = Callable[[pl.DataFrame], pl.Series]

#: the reasons a candidate is rejected (`prompt_<filter reason>` also comes from curation's prompt filters:
#: `prompt_bot_command`, `prompt_emote_only`, `prompt_self_promotion`, ...)
REASONS = ("prompt_not_a_message", "prompt_deleted", "prompt_empty", "response_too_short",
           "response_before_message", "no_evidence", "not_shortlisted", "response_only_reads_message",
           "response_reads_message_later", "response_reads_another_message", "answer_off_topic",
           "below_threshold", "message_already_answered", "response_already_used")


@dataclass(frozen=True)
class Calibration:
    offset_ms: int
    matches: int
    lags_ms: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Events:
    """Chat events sorted by time (`frame`: one row per event, `ev_idx` its position) and their tokens: the
    message's distinct stemmed words (`msg`, with a content-word flag) and the spoken parts of the author's handle."""

    frame: pl.DataFrame
    msg: Tokens
    msg_content: np.ndarray
    author: Tokens
    source: pl.DataFrame  # the chat rows in `frame`'s order, all columns the prompt filters read
    handle: pl.Series  # the spoken parts of each message's author (stemmed), in `frame`'s order

    def take(self, idx: np.ndarray) -> _Events:
        new = np.full(self.frame.height, -1, np.int64)
        new[idx] = np.arange(len(idx))

        def sub(t: Tokens) -> tuple[Tokens, np.ndarray]:
            row = new[t.row]
            keep = row >= 0
            return Tokens(row[keep], t.pos[keep], t.hash[keep]), keep

        msg, keep = sub(self.msg)
        frame = self.frame[idx].with_columns(ev_idx=pl.int_range(len(idx), dtype=pl.Int64))
        return _Events(frame, msg, self.msg_content[keep], sub(self.author)[0], self.source[idx],
                       self.handle.gather(idx))


def _prompt_rejects(c: pl.DataFrame, events: _Events, prompt_filter: PromptFilter | None) -> pl.DataFrame:
    """The caller's prompt filters (curation's bot, spam and emote filters in the pipeline) before the assignment,
    so that a message that can never be a prompt does not take a response from one that can: every candidate of
    such a message is rejected with `prompt_<reason>`. They run on the shortlisted messages only."""
    contenders = c.filter(pl.col("reason").is_null())["ev_idx"].unique()
    if prompt_filter is None or contenders.len() == 0:
        return c
    rows = events.source[contenders.to_numpy()].rename({"text": "prompt"})
    reasons = prompt_filter(rows)
    rejected = pl.DataFrame({"ev_idx": contenders, "prompt_reject": reasons}).with_columns(
        prompt_reject=pl.concat_str(pl.lit("prompt_"), pl.col("prompt_reject")))
    return (c.join(rejected, on="ev_idx", how="left", maintain_order="left")
            .with_columns(reason=pl.coalesce("prompt_reject", "reason")).drop("prompt_reject"))


def _prepare_events(chat: pl.DataFrame, spoken: set[str]) -> _Events:
    """`spoken`: the (stemmed) words the streamer says in this video."""
    columns = ("event_id", "ts_ms", "author", "author_id", "text", "kind", "deleted", "fragments")
    source = chat.select(columns).sort("ts_ms", maintain_order=True)
    events = source.with_columns(is_question=is_question(pl.col("text")))
    words = events.select(tokens(prompt_text(pl.col("fragments"))))
    stems = stem_series(words.to_series().explode().drop_nulls())
    msg_all = Tokens.from_flat(words.to_series().list.len().to_numpy(), stems)
    content = pl.select(is_content(pl.lit(stems))).to_series()
    first = msg_all.first_mask()
    # handles repeat: their spoken parts are worked out once per author
    authors = events.select(pl.col("author").unique(maintain_order=True)).with_row_index("a")
    author_idx = events.join(authors, on="author", how="left", maintain_order="left", nulls_equal=True)["a"]
    handle = authors.select(name_tokens(pl.col("author")).list.eval(stem(pl.element()))).to_series()
    # "penguinmoon" is said "penguin moon": run-together handles split into words the streamer says
    handle = pl.Series([[w for t in parts for w in split_run_together(t, spoken)] for parts in handle.to_list()],
                       dtype=pl.List(pl.String)).gather(author_idx)
    msg = Tokens(msg_all.row[first], msg_all.pos[first], msg_all.hash[first])
    author = Tokens.of(handle).distinct()
    n = events.height
    frame = events.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("ev_idx"), "event_id", "ts_ms", "author", "text", "kind",
        "deleted", "is_question",
    ).with_columns(n_msg=pl.Series(np.bincount(msg.row, minlength=n), dtype=pl.Int64),
                   n_author=pl.Series(np.bincount(author.row, minlength=n), dtype=pl.Int64))
    return _Events(frame, msg, content.to_numpy()[first], author, source, handle)


def _token_lists(frame: pl.DataFrame) -> pl.Series:
    return frame.select(tokens(pl.col("text"))).to_series()


def _postings(spans: pl.DataFrame, phrases: pl.DataFrame) -> tuple[Postings, set[str]]:
    """The spans' word postings (with inverse document frequencies over the phrases) and the set of (stemmed) words
    the streamer says."""
    phrase_lists = _token_lists(phrases)
    phrase_stems = stem_series(phrase_lists.explode().drop_nulls())
    postings = Postings.build(Tokens.of(_token_lists(spans), stem_series), spans.height,
                              Tokens.from_flat(phrase_lists.list.len().to_numpy(), phrase_stems), phrases.height)
    return postings, set(phrase_stems.unique().to_list())


def _density(ts: np.ndarray, window_ms: int) -> np.ndarray:
    lo = np.searchsorted(ts, ts - window_ms, "left")
    hi = np.searchsorted(ts, ts + window_ms, "right")
    return (hi - lo - 1) / (2 * window_ms / 1000)


def common_name_phrases(phrases: pl.DataFrame, config: AlignConfig) -> int:
    """In how many phrases a handle's part must be said for it to be a common word of this stream
    (`common_name_per_hour` over the speech's duration, at least `common_name_min`)."""
    hours = (phrases["end_ms"].max() - phrases["start_ms"].min()) / 3_600_000 if phrases.height else 0.0
    return max(config.common_name_min, math.ceil(config.common_name_per_hour * hours))


def _features(events: _Events, spans: pl.DataFrame, postings: Postings, windows: Windows, offset_ms: int,
              config: AlignConfig, common_df: int | None = None) -> pl.DataFrame:
    """One row per candidate (message, span) with the token-match features; message then span order. A handle's
    part said in `common_df` phrases or more names the chatter only with the rest of the handle (see
    `names_chatter`)."""
    ev, sp = windows.pairs()
    n_msg = events.frame["n_msg"].to_numpy()
    n_author = events.frame["n_author"].to_numpy()
    # a read-aloud or a name counts at the start of the response ("<name> asks, <message>", "thanks <name>, ...")
    read_limit = np.minimum(config.head_words, n_msg + n_author + config.head_slack_words)
    name_limit = np.minimum(config.head_words, n_author + config.head_slack_words)
    # message words weigh by how rarely the streamer says them (or all the same)
    w = postings.weights(events.msg.hash) if config.idf_weighting else np.ones(len(events.msg.hash))
    unseen = float(postings.idf[-1]) if config.idf_weighting else 1.0
    n_ev = events.frame.height
    msg, author, c = events.msg, events.author, events.msg_content
    read, shared = postings.hits_many(windows, msg.row, msg.hash, [
        (read_limit[msg.row], w), (np.full(len(msg.row), config.overlap_words), np.where(c, w, 0.0))])
    # the name at the start of the response, and anywhere in its first words (a sign-off: "..., hope that helps,
    # Pixel Bean")
    rare = (postings.doc_freq(author.hash) < common_df).astype(np.float64) if common_df is not None \
        else np.ones(len(author.hash))
    named, named_later, named_rare, later_rare = postings.hits_many(windows, author.row, author.hash, [
        (name_limit[author.row], None), (np.full(len(author.row), config.overlap_words), None),
        (name_limit[author.row], rare), (np.full(len(author.row), config.overlap_words), rare)])
    msg_weight = np.bincount(msg.row, weights=w, minlength=n_ev)
    content_weight = np.bincount(msg.row[c], weights=w[c], minlength=n_ev)
    s = spans[sp].select(pl.col("start_ms").alias("response_start_ms"), pl.col("end_ms").alias("response_end_ms"),
                         pl.col("text").alias("response"), "span_idx", "n_words", "prob", "first_phrase",
                         "last_phrase", "extended")
    cand = pl.concat([events.frame[ev], s], how="horizontal").with_columns(
        read_hits=pl.Series(read), name_hits=pl.Series(named), later_hits=pl.Series(named_later),
        rare_hits=pl.Series(named_rare), rare_later=pl.Series(later_rare),
        shared=pl.Series(shared),
        msg_weight=pl.Series(msg_weight[ev]), content_weight=pl.Series(content_weight[ev]))
    return cand.with_columns(
        lag_ms=pl.col("response_start_ms") - (pl.col("ts_ms") + offset_ms),
        read_aloud=pl.when(pl.col("n_msg") >= config.min_read_aloud_tokens)
        .then(pl.col("read_hits") / pl.col("msg_weight")).otherwise(0.0),
        # at least half of the handle's spoken parts ("xXRapidBadgerXx" -> "rapid badger"), one of them not a
        # common word of the stream, or the whole handle
        author_named=_names(pl.col("name_hits"), pl.col("rare_hits")),
        named_later=_names(pl.col("later_hits"), pl.col("rare_later")),
        # shared content words, smoothed so that one shared word of a one-word message is weak evidence
        lexical_overlap=pl.col("shared") / (pl.col("content_weight") + unseen),
    ).drop("read_hits", "name_hits", "later_hits", "rare_hits", "rare_later", "shared", "msg_weight",
           "content_weight")


def _names(hits: pl.Expr, rare_hits: pl.Expr) -> pl.Expr:
    """The column form of `answer.names_chatter`: `hits` of the handle's `n_author` parts, `rare_hits` of them not
    common words of the stream."""
    return (hits >= (pl.col("n_author") / 2).ceil().clip(lower_bound=1)) \
        & ((rare_hits >= 1) | (hits >= pl.col("n_author")))


def calibrate(events: _Events, spans: pl.DataFrame, postings: Postings, config: AlignConfig) -> Calibration:
    """Chat-to-speech offset from confident read-aloud matches, searched in a wide window around each message."""
    pool = np.flatnonzero(events.frame["n_msg"].to_numpy() >= config.min_read_aloud_tokens + 1)
    if len(pool) == 0 or spans.height == 0:
        return Calibration(0, 0)
    if len(pool) > config.calibration_sample:
        pool = pool[:: len(pool) // config.calibration_sample + 1]
    sample = events.take(pool)
    w = config.calibration_window_ms
    windows = Windows.search(sample.frame["ts_ms"].to_numpy(), spans["start_ms"].to_numpy(), -w, w)
    if windows.n_candidates == 0:
        return Calibration(0, 0)
    c = _features(sample, spans, postings, windows, 0, config).filter(pl.col("read_aloud") >= 0.9)
    # the best read-aloud span of each message, kept only when it is unambiguous: a message said (or a phrase
    # repeated) at two places farther apart than one response's head is no evidence of the offset
    best = (c.sort("read_aloud", descending=True, maintain_order=True).group_by("ev_idx", maintain_order=True)
            .agg(pl.col("lag_ms").first(), spread=pl.col("lag_ms").max() - pl.col("lag_ms").min())
            .filter(pl.col("spread") <= config.calibration_ambiguity_ms))
    lags = best["lag_ms"].to_numpy().astype(np.int64)
    if len(lags) < config.calibration_min_matches:
        return Calibration(0, len(lags), lags.tolist())
    # The offsets that put the most read-aloud matches into the plausible lag band win (repeated messages and
    # chance matches far away cannot outvote the consistent ones); the middle of that plateau is the estimate.
    lo, hi = config.window_start_ms, config.expected_lag_ms + config.lag_decay_ms
    offsets = np.arange(-w, w + 1, 250)
    inside = ((lags[None, :] - offsets[:, None] >= lo) & (lags[None, :] - offsets[:, None] <= hi)).sum(axis=1)
    at_zero = int(inside[np.searchsorted(offsets, 0)])
    best_count = int(inside.max())
    candidates = offsets[inside == best_count]
    offset = int(np.median(candidates))
    gain_needed = max(config.calibration_min_matches, int(np.ceil(0.25 * len(lags))))
    if best_count - at_zero < gain_needed or abs(offset) < config.calibration_min_offset_ms:
        offset = 0
    return Calibration(offset, len(lags), lags.tolist())


def _shortlist(c: pl.DataFrame, config: AlignConfig) -> pl.DataFrame:
    """Candidates with any evidence (a read-aloud, the name, a shared word, a question), the
    `shortlist_per_message` best of each message by that evidence, then the shortest lag; the rest are rejected
    here (`no_evidence`, `not_shortlisted`)."""
    evidence = (pl.col("read_aloud") + pl.col("author_named").cast(pl.Float64) + pl.col("lexical_overlap"))
    has = (pl.col("read_aloud") >= config.read_aloud_min) | pl.col("author_named") | (pl.col("lexical_overlap") > 0) \
        | pl.col("is_question") | pl.col("named_later")
    c = c.with_columns(reason=pl.when(pl.col("reason").is_null() & ~has).then(pl.lit("no_evidence"))
                       .otherwise(pl.col("reason")), _ev=evidence, _row=pl.int_range(pl.len()))
    rank = (c.filter(pl.col("reason").is_null()).sort(["ev_idx", "_ev", "lag_ms"], descending=[False, True, False])
            .with_columns(_rank=pl.int_range(pl.len()).over("ev_idx")).select("_row", "_rank"))
    c = c.join(rank, on="_row", how="left", maintain_order="left")
    return c.with_columns(reason=pl.when(pl.col("reason").is_null() & (pl.col("_rank") >= config.shortlist_per_message))
                          .then(pl.lit("not_shortlisted")).otherwise(pl.col("reason"))).drop("_ev", "_rank", "_row")


def _messages(events: _Events, rows: np.ndarray, postings: Postings, common_df: int) -> dict[int, Message]:
    """The shortlisted messages' stemmed words (weighted by inverse frequency in the speech) and name parts (those
    said in `common_df` phrases or more marked as common words)."""
    if len(rows) == 0:
        return {}
    src = events.source[rows]
    words = src.select(tokens(prompt_text(pl.col("fragments")))).to_series()
    flat = words.explode().drop_nulls()
    stems = stem_series(flat)
    content = pl.select(is_content(pl.lit(stems))).to_series().to_list()
    w_all = postings.weights(token_hashes(stems))
    # a word the streamer never says (misheard by the ASR, or not read) weighs like an ordinary word, not like the
    # rarest one: otherwise one misrecognized name hides a read-aloud
    unseen = float(postings.idf[-1])
    seen = w_all[w_all < unseen]
    w = np.where(w_all >= unseen, float(np.median(seen)) if len(seen) else 1.0, w_all).tolist()
    out: dict[int, Message] = {}
    k = 0
    texts = src["text"].to_list()
    questions = events.frame["is_question"].gather(rows).to_list()
    letters = ["".join(handle_parts(a)) for a in src["author"].to_list()]
    handles = events.handle.gather(rows)
    parts_all = handles.explode().drop_nulls().unique()
    common_parts = set(parts_all.filter(pl.Series(postings.doc_freq(token_hashes(parts_all)) >= common_df))
                       .to_list()) if parts_all.len() else set()
    for i, (n, handle) in enumerate(zip(words.list.len().to_list(), handles.to_list())):
        ws: dict[str, float] = {}
        cs: set[str] = set()
        for s_, c_, w_ in zip(stems[k:k + n].to_list(), content[k:k + n], w[k:k + n]):
            ws.setdefault(s_, w_)
            if c_:
                cs.add(s_)
        k += n
        parts = frozenset(handle or ())
        out[int(rows[i])] = Message(ws, frozenset(cs), parts, spelled_out(texts[i] or ""), letters[i],
                                    frozenset(parts & common_parts), bool(questions[i]))
    return out


def _answers(c: pl.DataFrame, events: _Events, words: Words, phrases: pl.DataFrame, postings: Postings,
             config: AlignConfig, embedder: Embedder | None, continuation: Continuation | None,
             nonanswer: np.ndarray | None = None) -> pl.DataFrame:
    """Lead, answer boundaries and answer features of the shortlisted candidates (`reason` null). `nonanswer`: rows
    of directions in embedding space (the scorer's fitted direction of spoken non-answers, "next question,
    please"): each answer's start is projected on every row (`nonanswer_dots`), and `nonanswer_similarity` is its
    cosine with the rows' sum."""
    open_rows = np.flatnonzero(c["reason"].is_null().to_numpy())
    n = c.height
    cols: dict[str, np.ndarray | list] = {
        "lead": [None] * n, "answer_first": np.full(n, -1), "answer_last": np.full(n, -2),
        "lead_first": np.full(n, -1), "lead_read": np.zeros(n), "lead_named": np.zeros(n, bool),
        "answer_overlap": np.zeros(n), "answer_similarity": np.full(n, np.nan), "n_answer_words": np.zeros(n, np.int64),
        "reads_later": np.zeros(n, bool), "reads_other": np.zeros(n, bool), "signoff_named": np.zeros(n, bool),
        "nonanswer_similarity": np.full(n, np.nan),
    }
    n_dirs = 0 if nonanswer is None else len(nonanswer)
    dots = np.full((n, n_dirs), np.nan)
    dir_norm = max(float(np.linalg.norm(nonanswer.sum(axis=0))), 1e-9) if n_dirs else 1.0

    def done() -> pl.DataFrame:
        out = c.with_columns(**{k: pl.Series(v) for k, v in cols.items()})
        # from the 2-D array in one piece (a list of Python lists took a quarter of the alignment's time)
        return out.with_columns(nonanswer_dots=pl.Series(dots).cast(pl.List(pl.Float64))) if n_dirs else out

    if len(open_rows) == 0:
        return done()
    p_first = phrases["first_word"].to_numpy()
    p_last = phrases["last_word"].to_numpy()
    ev = c["ev_idx"].to_numpy()
    span_first = p_first[c["first_phrase"].to_numpy()]
    # an answer may run on past the span's pauses (up to extend_pause_ms each, max_answer_ms in all): where it
    # ends is decided by the sentences (`cut_answer`), not by the span
    gaps = np.r_[words.start_ms[1:] - words.end_ms[:-1], 10 ** 9] if len(words.text) else np.zeros(0, np.int64)
    breaks = np.flatnonzero(gaps >= config.extend_pause_ms)
    run_end = breaks[np.searchsorted(breaks, np.arange(len(words.text)))] if len(words.text) else gaps
    cap = np.searchsorted(words.end_ms, words.start_ms + config.max_answer_ms, "right") - 1
    span_last = np.maximum(p_last[c["last_phrase"].to_numpy()],
                           np.minimum(run_end[span_first], cap[span_first]))
    msgs = _messages(events, np.unique(ev[open_rows]), postings, common_name_phrases(phrases, config))
    cuts: dict[int, Cut] = {}
    for r in open_rows.tolist():
        cuts[r] = find_lead(words, int(span_first[r]), int(span_last[r]), msgs[int(ev[r])], config)
    # sentences that read a message aloud belong to that message: no other answer takes them
    read_by: dict[int, set[int]] = {}
    for r, k in cuts.items():
        if k.lead_last >= 0 and k.lead_read >= config.read_aloud_min:
            for sent in range(int(words.sentence[k.lead_first]), int(words.sentence[k.lead_last]) + 1):
                read_by.setdefault(sent, set()).add(int(ev[r]))
    # embeddings once per distinct text: messages, sentences of the shortlisted spans, each answer's first part
    sent_ids = sorted({int(s) for r in open_rows.tolist()
                       for s in range(max(0, words.sentence[span_first[r]] - 1), words.sentence[span_last[r]] + 1)})
    sent_text = {s: words.join(int(words.sentence_first[s]), int(words.sentence_last[s])) for s in sent_ids}
    first_part = {r: words.join(k.answer_first, min(int(words.sentence_last[words.sentence[k.answer_first]]),
                                                    k.answer_last))
                  for r, k in cuts.items() if k.answer_first <= k.answer_last}
    vec: dict[str, np.ndarray] = {}
    if embedder is not None:
        texts = sorted({m.text for m in msgs.values()} | set(sent_text.values()) | set(first_part.values()))
        vec = dict(zip(texts, embedder(texts)))

    def sim(a: str, b: str) -> float:
        return float(vec[a] @ vec[b]) if a in vec and b in vec else float("nan")

    starts = {r: k.answer_first for r, k in cuts.items()}
    for r, k in cuts.items():
        msg = msgs[int(ev[r])]
        cuts[r] = skip_first(words, k, lambda s, msg=msg: sim(msg.text, sent_text.get(s, "")), config, msg.question)
    split = _breath_splits(cuts, ev, words, msgs, vec, embedder, config)
    for r in split:  # the first part of an answer that a breath split moved or shortened
        k = cuts[r]
        first_part[r] = words.join(k.answer_first, min(int(words.sentence_last[words.sentence[k.answer_first]]),
                                                       k.answer_last))
    fresh = sorted({first_part[r] for r in split} - vec.keys())  # a split implies an embedder
    if fresh:
        vec.update(zip(fresh, embedder(fresh)))
    for r, k in cuts.items():
        msg = msgs[int(ev[r])]
        head = first_part.get(r) if k.answer_first == starts[r] or r in split else \
            sent_text.get(int(words.sentence[k.answer_first])) if k.answer_first <= k.answer_last else None

        def sims(kind: int, s: int, msg=msg, head=head) -> float:
            ref = msg.text if kind == 0 else (head or "") if kind == 1 else sent_text.get(s - 1, "")
            x = sim(ref, sent_text.get(s, ""))
            return -1.0 if np.isnan(x) else x

        mine = int(ev[r])

        def other_read(sent: int, mine=mine) -> bool:
            return bool(read_by.get(sent, set()) - {mine})

        k = cut_answer(words, k, msg, config, sims, continuation.keeps if continuation else None, other_read)
        cuts[r] = k
        if k.answer_first <= k.answer_last and other_read(int(words.sentence[k.answer_first])):
            cols["reads_other"][r] = True
        if k.lead_last >= 0:
            cols["lead"][r] = words.join(k.lead_first, k.lead_last)
            cols["lead_first"][r] = k.lead_first
        cols["lead_read"][r] = k.lead_read if k.lead_last >= 0 else 0.0
        cols["lead_named"][r] = k.lead_named and k.lead_last >= 0
        cols["answer_first"][r], cols["answer_last"][r] = k.answer_first, k.answer_last
        cols["signoff_named"][r] = k.signoff_named
        if k.answer_first > k.answer_last:
            continue
        cols["n_answer_words"][r] = k.answer_last - k.answer_first + 1
        # the message read aloud inside the answer: this span starts too early (a later one holds lead and answer).
        # But after the chatter's name, an answer that restates the question at once and goes on is the reply itself
        # ("Pixel, my favourite game of all time is probably ..."), and so is one that answers first and echoes the
        # question inside a clause ("Pixel, it's a jazz playlist, I don't remember who made this song though.").
        # A reading a few words on that opens a clause of its own is a later read-aloud ("Pixel has sent three
        # pounds, thank you, and writes, is this any percent?")
        read_first, read_end = reads_message(words, k.answer_first, k.answer_last, msg, config) \
            if k.lead_read < config.read_aloud_min else (-1, -1)
        if read_end >= 0:
            if read_first - k.answer_first >= config.min_response_words:  # a few words on: an echo inside a clause
                reply = not words.clause_end[read_first - 1]
            else:  # at once: a restatement that goes on
                reply = k.answer_last - read_end >= config.min_response_words
            cols["reads_later"][r] = not (cols["lead_named"][r] and reply)
        total = math.fsum(msg.weights[t] for t in msg.content)
        said = {t for j in range(k.answer_first, k.answer_last + 1) for t in words.stems[j]}
        shared = math.fsum(msg.weights[t] for t in msg.content & said)
        cols["answer_overlap"][r] = shared / (total + float(postings.idf[-1])) if msg.content else 0.0
        # how well the answer's start fits the message; when it starts with a few words only ("Thank you so
        # much.", "Oh man."), the next sentence counts too
        s0 = int(words.sentence[k.answer_first])
        start_texts = [head] if head else []
        if head and len(head.split()) <= 4 and s0 < int(words.sentence[k.answer_last]) and sent_text.get(s0 + 1):
            start_texts.append(sent_text[s0 + 1])
        values = [v for v in (sim(msg.text, t) for t in start_texts) if not np.isnan(v)]
        if n_dirs and start_texts and all(t in vec for t in start_texts):
            # the answer's start against the non-answers
            dots[r] = nonanswer @ np.mean([vec[t] for t in start_texts], axis=0)
            cols["nonanswer_similarity"][r] = float(dots[r].sum() / dir_norm)
        cols["answer_similarity"][r] = max(values) if values else np.nan
    if embedder is not None and config.answer_embed_words > 0:
        # the answer as a whole fits the message too: its first sentence may be only a lead-in ("Uh, okay, so,
        # ..."), its point in the next one; the similarity is the better of the two
        a_first, a_last = cols["answer_first"], cols["answer_last"]
        whole = {r: words.join(int(a_first[r]), min(int(a_last[r]), int(a_first[r]) + config.answer_embed_words - 1))
                 for r in cuts if a_first[r] <= a_last[r]}
        fresh = sorted(set(whole.values()) - vec.keys())
        if fresh:
            vec.update(zip(fresh, embedder(fresh)))
        for r, text in whole.items():
            cols["answer_similarity"][r] = np.nanmax([cols["answer_similarity"][r], sim(msgs[int(ev[r])].text, text)])
    return done()


#: a message whose similarity to a whole sentence is below this is not one of two answered in it (`_breath_splits`)
BREATH_NEAR = 0.12


def _breath_splits(cuts: dict[int, Cut], ev: np.ndarray, words: Words, msgs: dict[int, Message],
                   vec: dict[str, np.ndarray], embedder: Embedder | None, config: AlignConfig) -> set[int]:
    """Two answers in one breath (`breath_split`): where a sentence that starts lead-less answers to several
    messages is cut, the lead-less answers of the message before the cut that start in that sentence end there,
    and those of the message after it that start before the cut (at the sentence's start or at a pause inside it)
    start there. Returns the rows whose cut changed."""
    if embedder is None or config.breath_margin < 0:
        return set()
    inside: dict[int, dict[int, list[int]]] = {}  # sentence -> message -> lead-less rows starting in it
    for r, k in cuts.items():
        if k.lead_last < 0 and k.answer_first <= k.answer_last:
            inside.setdefault(int(words.sentence[k.answer_first]), {}).setdefault(int(ev[r]), []).append(r)
    todo = {}
    for s, rows in inside.items():
        opening = [m for m, rs in rows.items() if any(cuts[r].answer_first == words.sentence_first[s] for r in rs)]
        # only messages the sentence as a whole fits a little: each of the 20 splits made on the tuning streams
        # had both of its messages at 0.14 or more, and the sentences left to compare fall by half
        whole = vec.get(words.join(int(words.sentence_first[s]), int(words.sentence_last[s])))
        near = [m for m in opening if whole is None or float(vec[msgs[m].text] @ whole) >= BREATH_NEAR]
        if len(near) >= 2:
            todo[s] = sorted(near)
    texts = sorted({t for s in todo for t in breath_texts(words, s, config)} - vec.keys())
    if texts:
        vec.update(zip(texts, embedder(texts)))

    def fit(m: int, text: str) -> float:
        if text not in vec:  # a single clause, weighed only where a sentence is cut
            vec[text] = embedder([text])[0]
        return float(vec[msgs[m].text] @ vec[text])

    changed: set[int] = set()
    for s, near in todo.items():
        got = breath_split(words, s, near, fit, config)
        if got is None:
            continue
        a, b, end, start = got
        for r in inside[s][a]:
            if cuts[r].answer_first <= end:
                cuts[r] = replace(cuts[r], answer_last=min(cuts[r].answer_last, end))
                changed.add(r)
        for r in inside[s][b]:
            if cuts[r].answer_first < start <= cuts[r].answer_last:
                cuts[r] = replace(cuts[r], answer_first=start)
                changed.add(r)
    return changed


def _window_pairs(lo: np.ndarray, hi: np.ndarray, order: np.ndarray, max_pairs: int = 2_000_000):
    """For each row i, the rows order[lo[i]:hi[i]]: (i, j) index arrays, in chunks of about `max_pairs` pairs."""
    counts = hi - lo
    ends = np.cumsum(counts)
    start = 0
    while start < len(lo):
        done = int(ends[start - 1]) if start else 0
        stop = max(int(np.searchsorted(ends, done + max_pairs, "right")), start + 1)
        n = counts[start:stop]
        i = np.repeat(np.arange(start, stop), n)
        offset = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
        yield i, order[np.repeat(lo[start:stop], n) + offset]
        start = stop


def _competition(c: pl.DataFrame) -> pl.DataFrame:
    """How a shortlisted candidate's answer similarity compares with the message's other candidates whose answers
    do not overlap it (`similarity_margin`) and with the other messages whose candidates want an overlapping answer
    (`sentence_margin`); 1.0 when there is no competitor. A direct answer is the one that fits its question better
    than the monologue around it, and better than it fits the other questions.

    Linear in the candidates: a candidate's overlapping rivals are found among those whose answer starts at most the
    longest answer before its own (sorted by start), and its own message's among that message's few candidates."""
    rows = np.flatnonzero(c["reason"].is_null().to_numpy())
    own = np.ones(c.height)
    other = np.ones(c.height)
    if len(rows):
        sim = np.nan_to_num(c["answer_similarity"].to_numpy()[rows].astype(np.float64), nan=0.0)
        ev = c["ev_idx"].to_numpy()[rows]
        a, b = c["answer_first"].to_numpy()[rows], c["answer_last"].to_numpy()[rows]
        n = len(rows)
        best_own, best_other = np.full(n, -np.inf), np.full(n, -np.inf)
        by_start = np.argsort(a, kind="stable")
        longest = max(int((b - a).max()), 0)
        lo = np.searchsorted(a[by_start], a - longest, "left")
        hi = np.searchsorted(a[by_start], b, "right")
        for i, j in _window_pairs(lo, hi, by_start):
            keep = (a[j] <= b[i]) & (b[j] >= a[i]) & (ev[j] != ev[i])
            np.maximum.at(best_other, i[keep], sim[j[keep]])
        by_ev = np.argsort(ev, kind="stable")
        first = np.flatnonzero(np.r_[True, ev[by_ev][1:] != ev[by_ev][:-1]])
        size = np.diff(np.r_[first, n])
        lo, hi = np.empty(n, np.int64), np.empty(n, np.int64)
        lo[by_ev] = np.repeat(first, size)
        hi[by_ev] = np.repeat(first + size, size)
        for i, j in _window_pairs(lo, hi, by_ev):
            keep = ~((a[j] <= b[i]) & (b[j] >= a[i]))
            np.maximum.at(best_own, i[keep], sim[j[keep]])
        own[rows] = np.where(best_own > -np.inf, sim - best_own, 1.0)
        other[rows] = np.where(best_other > -np.inf, sim - best_other, 1.0)
    return c.with_columns(similarity_margin=pl.Series(own), sentence_margin=pl.Series(other))


def _assign(c: pl.DataFrame, threshold: float, clause_end: np.ndarray | None = None,
            min_words: int = 3) -> pl.DataFrame:
    """Greedy one-to-one assignment by score: a message gets one answer, a spoken word (lead or answer) belongs to
    at most one message.

    Two answers in one breath: with `clause_end` (each word ends a clause), an answer that runs into another
    message's read-aloud or name lead taken before it ends at the clause before that lead, and an answer taken
    before that holds a later one's lead (at a clause's start) and answer gives them up: it ends at the clause
    before the lead. A later answer without a lead never shortens another (on the tuning streams most such
    candidates were the earlier answer's own second half). Either way the answer that ends keeps at least
    `min_words` words; otherwise the later one is rejected as before (`response_already_used`). The shortened
    answers' `answer_last` is updated."""
    c = c.with_columns(reason=pl.when(pl.col("reason").is_null() & (pl.col("score") < threshold))
                       .then(pl.lit("below_threshold")).otherwise(pl.col("reason")))
    # the same answer to the same message, with its read-aloud or name lead and without (a span starting at the
    # lead, one at the answer): one decision, the better score for both, the version with the lead first
    same = ["ev_idx", "answer_first", "answer_last"]
    c = c.with_columns(score=pl.when(pl.col("reason").is_null() & (pl.col("answer_first") >= 0))
                       .then(pl.col("score").filter(pl.col("reason").is_null()).max().over(same))
                       .otherwise(pl.col("score")))
    open_rows = np.flatnonzero(c["reason"].is_null().to_numpy())
    o = c[open_rows]
    order = open_rows[np.lexsort((o["lag_ms"].to_numpy(), o["lead_first"].to_numpy() < 0, -o["score"].to_numpy()))]
    ev_col = c["ev_idx"].to_numpy()
    a_first = c["answer_first"].to_numpy()
    lead_col = c["lead_first"].to_numpy()
    first_col = np.where(lead_col >= 0, lead_col, a_first)
    last_col = c["answer_last"].to_numpy().copy()
    verdict = np.full(c.height, -1, np.int8)  # -1 not contested, 0 accepted, 1 message answered, 2 response used
    used_events: set[int] = set()
    owner = np.full(int(max(last_col.max(initial=0), 0)) + 2, -1, np.int64)  # the accepted row holding each word

    def ends_before(row: int, u: int) -> bool:  # row's answer can end at the clause before word u
        return clause_end is not None and u - a_first[row] >= min_words and bool(clause_end[u - 1])

    for row in order.tolist():
        ev, a, b = int(ev_col[row]), int(first_col[row]), int(last_col[row])
        if ev in used_events:
            verdict[row] = 1
            continue
        held = owner[a: b + 1]
        if (held >= 0).any():
            earlier = int(owner[a])
            if lead_col[row] >= 0 and earlier >= 0 and set(held[held >= 0].tolist()) == {earlier} \
                    and ends_before(earlier, a):
                owner[a: int(last_col[earlier]) + 1] = -1  # the earlier answer ends where this one begins
                last_col[earlier] = a - 1
                held = owner[a: b + 1]
            taken = np.flatnonzero(held >= 0)
            u = a + int(taken[0]) if len(taken) else -1
            if u >= 0 and lead_col[int(owner[u])] == u and ends_before(row, u):
                b = last_col[row] = u - 1  # this one ends where the taken words begin
            elif len(taken):
                verdict[row] = 2
                continue
        verdict[row] = 0
        used_events.add(ev)
        owner[a: b + 1] = row
    lost = pl.Series(verdict).replace_strict({1: "message_already_answered", 2: "response_already_used"},
                                             default=None, return_dtype=pl.String)
    return c.with_columns(accepted=pl.Series(verdict == 0), reject_reason=pl.coalesce(lost, "reason"),
                          answer_last=pl.Series(last_col))


def probabilities(c: pl.DataFrame, scorer: Scorer, expected_lag_ms: int) -> np.ndarray:
    """The scorer's probability for each shortlisted candidate (`reason` null); 0 for the others."""
    shortlisted = c["reason"].is_null().to_numpy()
    prob = np.zeros(c.height)
    if shortlisted.any():
        prob[shortlisted] = scorer.predict(feature_frame(c.filter(pl.Series(shortlisted)), expected_lag_ms))
    return prob


def off_topic(c: pl.DataFrame, floor: float) -> np.ndarray:
    """Candidates with no lead and no sign-off with the chatter's name whose answer fits the message less than
    `floor` (the scorer's fitted `min_answer_similarity`): nothing but the timing would speak for them."""
    sim = c["answer_similarity"].fill_nan(None).fill_null(-1.0).to_numpy()
    return (c["lead"].is_null().to_numpy() & ~c["signoff_named"].to_numpy() & (sim < floor)).astype(bool)


def _default_embedder(config: AlignConfig) -> Embedder | None:
    if not config.semantic:
        return None
    from multimodal_pipeline.embeddings import embed

    return lambda texts: embed(texts, config.embedding_model_dir)


def answer_speech(speech: pl.DataFrame, config: AlignConfig) -> pl.DataFrame:
    """The speech a response can come from: the streamer's voice only (`streamer_only`), else all of it."""
    if config.streamer_only and "speaker" in speech.columns:
        return speech.filter(pl.col("speaker") == STREAMER)
    return speech


def candidates(speech: pl.DataFrame, chat: pl.DataFrame, config: AlignConfig | None = None,
               prompt_filter: PromptFilter | None = None, embedder: Embedder | None = None,
               continuation: Continuation | None = None, nonanswer: np.ndarray | None = None,
               ) -> tuple[pl.DataFrame, Calibration, pl.DataFrame, Words]:
    """Every candidate with its features; the shortlisted ones (`reason` null) cut into lead and answer, with the
    answer features the scorer reads. (candidates, calibration, spans, words)."""
    config = config or AlignConfig()
    embedder = embedder if embedder is not None else _default_embedder(config)
    speech = answer_speech(speech, config)
    phrases = build_phrases(speech, config)
    spans = build_spans(phrases, config)
    words = Words.build(speech_words(speech), config)
    postings, spoken = _postings(spans, phrases)
    events = _prepare_events(chat, spoken)
    cal = calibrate(events, spans, postings, config) if config.calibrate else Calibration(0, 0)
    ts = events.frame["ts_ms"].to_numpy() + cal.offset_ms
    windows = Windows.search(ts, spans["start_ms"].to_numpy(), config.window_start_ms, config.window_end_ms)
    events = replace(events, frame=events.frame.with_columns(
        chat_density=pl.Series(_density(ts, config.density_window_ms))))
    c = _features(events, spans, postings, windows, cal.offset_ms, config, common_name_phrases(phrases, config))
    reason = (pl.when(~pl.col("kind").is_in(list(config.prompt_kinds))).then(pl.lit("prompt_not_a_message"))
              .when(pl.col("deleted")).then(pl.lit("prompt_deleted"))
              .when(pl.col("n_msg") == 0).then(pl.lit("prompt_empty"))
              .when(pl.col("lag_ms") < 0).then(pl.lit("response_before_message")))
    c = _shortlist(c.with_columns(reason=reason), config)
    c = _prompt_rejects(c, events, prompt_filter)
    c = _answers(c, events, words, phrases, postings, config, embedder, continuation, nonanswer)
    c = c.with_columns(reason=pl.when(pl.col("reason").is_null() & (pl.col("n_answer_words") == 0))
                       .then(pl.lit("response_only_reads_message"))
                       .when(pl.col("reason").is_null() & pl.col("reads_later"))
                       .then(pl.lit("response_reads_message_later"))
                       .when(pl.col("reason").is_null() & pl.col("reads_other"))
                       .then(pl.lit("response_reads_another_message"))
                       .when(pl.col("reason").is_null() & (pl.col("n_answer_words") < config.min_response_words)
                             & pl.col("lead").is_null())
                       .then(pl.lit("response_too_short")).otherwise(pl.col("reason")))
    c = _competition(c)
    # the answer replaces the span as the response; its start is the lag
    c = _responses(c, words).with_columns(lag_ms=pl.col("response_start_ms") - (pl.col("ts_ms") + cal.offset_ms))
    first = (c.filter(pl.col("reason").is_null()).group_by("ev_idx").agg(pl.col("response_start_ms").min()
                                                                         .alias("_first")))
    c = c.join(first, on="ev_idx", how="left", maintain_order="left").with_columns(
        first_candidate=(pl.col("response_start_ms") == pl.col("_first")).fill_null(False)).drop("_first")
    return c, cal, spans, words


def _responses(c: pl.DataFrame, words: Words, rows: np.ndarray | None = None) -> pl.DataFrame:
    """Each candidate's response (text, start, end) from its answer's words, where it has an answer (only in
    `rows`, a boolean mask, when given)."""
    start, end = words.start_ms, words.end_ms
    a, b = c["answer_first"].to_numpy(), c["answer_last"].to_numpy()
    ok = (a >= 0) & (b >= a) & (rows if rows is not None else True)
    if not len(start) or not ok.any():
        return c
    text = [words.join(int(x), int(y)) if k else None for x, y, k in zip(a.tolist(), b.tolist(), ok.tolist())]
    keep = pl.Series(ok)
    return c.with_columns(
        response=pl.when(keep).then(pl.Series(text, dtype=pl.String)).otherwise(pl.col("response")),
        response_start_ms=pl.when(keep).then(pl.Series(start[np.clip(a, 0, len(start) - 1)]))
        .otherwise(pl.col("response_start_ms")),
        response_end_ms=pl.when(keep).then(pl.Series(end[np.clip(b, 0, len(end) - 1)]))
        .otherwise(pl.col("response_end_ms")))


def align_stage_key(speech: pl.DataFrame, chat: pl.DataFrame, config: AlignConfig, scorer: Scorer) -> str:
    """The stage key of one video's alignment: its inputs, its settings, the code and the fitted scorer's hash."""
    return stage_key("aligned_pairs", [frame_sha256(speech), frame_sha256(chat)], config_hash(config),
                     f"{CODE_VERSION}+scorer:{scorer.sha256}")


def align(speech: pl.DataFrame, chat: pl.DataFrame, config: AlignConfig | None = None,
          video_id: str | None = None) -> pl.DataFrame:
    """Every candidate pairing of one video's chat events with its response spans (AlignedPair contract), ordered
    by message time, then response start."""
    return align_full(speech, chat, config, video_id)[0]


def align_full(speech: pl.DataFrame, chat: pl.DataFrame, config: AlignConfig | None = None,
               video_id: str | None = None, prompt_filter: PromptFilter | None = None,
               scorer: Scorer | None = None, embedder: Embedder | None = None,
               ) -> tuple[pl.DataFrame, Calibration, pl.DataFrame]:
    """(candidates, calibration, spans). `prompt_filter`: why a chat row can never be a prompt (the pipeline passes
    curation's bot, spam and emote filters); `scorer`: the fitted model (the configured or bundled one)."""
    config = config or AlignConfig()
    scorer = scorer or load_scorer(config.scorer_path)
    if video_id is None:
        video_id = (chat["video_id"][0] if chat.height else speech["video_id"][0] if speech.height else "")
    c, cal, spans, words = candidates(speech, chat, config, prompt_filter, embedder, scorer.continuation,
                                      scorer.nonanswer)
    prob = probabilities(c, scorer, config.expected_lag_ms)
    threshold = config.accept_threshold if config.accept_threshold is not None else scorer.threshold
    floor = scorer.meta.get("min_answer_similarity")
    if floor is not None and config.semantic:
        c = c.with_columns(reason=pl.when(pl.col("reason").is_null() & pl.Series(off_topic(c, floor)))
                           .then(pl.lit("answer_off_topic")).otherwise(pl.col("reason")))
    before = c["answer_last"].to_numpy()
    c = _assign(c.with_columns(score=pl.Series(prob)), threshold, words.clause_end, config.min_response_words)
    c = _responses(c, words, c["answer_last"].to_numpy() != before)  # answers that gave way to a later one
    out = c.select(
        pl.lit(video_id).alias("video_id"),
        # readable and stable: the event and the span it is paired with
        pl.concat_str("event_id", pl.lit("@"), "response_start_ms", pl.lit("-"), "response_end_ms").alias("pair_id"),
        "event_id", pl.col("ts_ms").alias("event_ts_ms"), "author", pl.col("text").alias("prompt"), "lead",
        "response", "response_start_ms", "response_end_ms", "lag_ms", pl.lit(cal.offset_ms, pl.Int64).alias("offset_ms"),
        pl.col("read_aloud").cast(pl.Float64), "author_named", pl.col("lexical_overlap").cast(pl.Float64),
        pl.col("answer_overlap").cast(pl.Float64), "is_question", pl.col("chat_density").cast(pl.Float64),
        pl.col("answer_similarity").fill_nan(None).alias("embedding_similarity"),
        pl.col("score").cast(pl.Float64), "accepted", "reject_reason",
    )
    # the same message and span can be listed twice (a span with and without its extension cut to one answer)
    out = (out.with_row_index("_i").sort(["accepted", "_i"], descending=[True, False])
           .unique(subset=["pair_id"], keep="first").sort("_i").drop("_i"))
    return out.select(list(polars_schema(AlignedPair))), cal, spans


def align_cached(speech: pl.DataFrame, chat: pl.DataFrame, config: AlignConfig, video_id: str,
                 prompt_filter: PromptFilter | None, scorer: Scorer, cache: StageCache, filters_hash: str,
                 ) -> tuple[pl.DataFrame, Calibration, pl.DataFrame, str, bool]:
    """`align_full`, reused by stage key (`align_stage_key` and `filters_hash`, the hash of what decides the prompt
    filter) when nothing it reads changed: (pairs, calibration, spans, stage key, cache hit)."""
    key = stage_key("aligned_pairs", [align_stage_key(speech, chat, config, scorer)], filters_hash, CODE_VERSION)
    hit = cache.get("aligned_pairs", key)
    if hit is not None and hit[1] is not None:
        record, pairs = hit
        return (pairs, Calibration(**record), build_spans(build_phrases(answer_speech(speech, config), config), config),
                key, True)
    pairs, calibration, spans = align_full(speech, chat, config, video_id, prompt_filter, scorer)
    cache.put("aligned_pairs", key, {"offset_ms": calibration.offset_ms, "matches": calibration.matches,
                                     "lags_ms": calibration.lags_ms}, pairs)
    return pairs, calibration, spans, key, False
