"""Chat-to-speech alignment: candidate windows, features, lag calibration, scoring and one-to-one assignment.

Every candidate (chat event, response span) is returned with its features, score, `accepted` flag and, when
rejected, the reason. Candidates come from a sorted search (numpy.searchsorted over span starts), never a nested
loop over all pairs. Word matches (read aloud, name, shared words) are counted per candidate from a sorted posting
array of the spans' stemmed tokens (`index.py`), each message word weighted by how rarely the streamer says it in
this video (inverse document frequency over the phrases), so that "game" or "so" is weak evidence and "Spirited
Away" is strong; the rest are Polars expressions over the candidate table.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from multimodal_pipeline.align.spans import build_phrases, build_spans
from multimodal_pipeline.align.index import Postings, Tokens, Windows
from multimodal_pipeline.align.text import (
    is_content,
    is_question,
    name_tokens,
    split_run_together,
    stem,
    stem_series,
    tokens,
)
from multimodal_pipeline.contracts import AlignedPair, polars_schema
from multimodal_pipeline.contracts.align_config import AlignConfig
from multimodal_pipeline.contracts.curate_config import CurateConfig
from multimodal_pipeline.curate.filters import DEFAULT_FILTERS, FilterContext, apply_filters

#: the reasons a candidate is rejected (`prompt_<filter reason>` also comes from curation's prompt filters:
#: `prompt_bot_command`, `prompt_emote_only`, `prompt_self_promotion`, ...)
REASONS = ("prompt_not_a_message", "prompt_deleted", "prompt_empty", "response_too_short",
           "response_only_reads_message", "response_before_message",
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

    def take(self, idx: np.ndarray) -> _Events:
        new = np.full(self.frame.height, -1, np.int64)
        new[idx] = np.arange(len(idx))

        def sub(t: Tokens) -> tuple[Tokens, np.ndarray]:
            row = new[t.row]
            keep = row >= 0
            return Tokens(row[keep], t.pos[keep], t.hash[keep]), keep

        msg, keep = sub(self.msg)
        frame = self.frame[idx].with_columns(ev_idx=pl.int_range(len(idx), dtype=pl.Int64))
        return _Events(frame, msg, self.msg_content[keep], sub(self.author)[0], self.source[idx])


def _prompt_rejects(c: pl.DataFrame, events: _Events, config: AlignConfig, curate: CurateConfig) -> pl.DataFrame:
    """Curation's prompt filters (bot accounts and commands, self-promotion, emote-only) before the assignment, so
    that a message that can never be a prompt does not take a response from one that can: every candidate of such a
    message is rejected with `prompt_<reason>`. They run on the messages with a candidate at or above the threshold
    (any other message's candidates are rejected already)."""
    filters = tuple(f for f in DEFAULT_FILTERS if f.name in config.prompt_filters)
    contenders = c.filter(pl.col("reason").is_null() & (pl.col("score") >= config.accept_threshold))["ev_idx"].unique()
    if not filters or contenders.len() == 0:
        return c
    rows = events.source[contenders.to_numpy()].rename({"text": "prompt"})
    frame, _ = apply_filters(rows, FilterContext(curate), filters)
    rejected = frame.select(ev_idx=contenders, prompt_reject=pl.concat_str(pl.lit("prompt_"), pl.col("reason")))
    return (c.join(rejected, on="ev_idx", how="left", maintain_order="left")
            .with_columns(reason=pl.coalesce("prompt_reject", "reason")).drop("prompt_reject"))


def _prepare_events(chat: pl.DataFrame, spoken: set[str]) -> _Events:
    """`spoken`: the (stemmed) words the streamer says in this video."""
    columns = ("event_id", "ts_ms", "author", "author_id", "text", "kind", "deleted", "fragments")
    source = chat.select(columns).sort("ts_ms", maintain_order=True)
    events = source.with_columns(is_question=is_question(pl.col("text")))
    # the prompt's words: text fragments only (emotes are not words)
    words = events.select(tokens(pl.col("fragments").list.eval(
        pl.when(pl.element().struct.field("type") == "text").then(pl.element().struct.field("text"))
    ).list.drop_nulls().list.join(" ")))
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
    return _Events(frame, msg, content.to_numpy()[first], author, source)


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


def _features(events: _Events, spans: pl.DataFrame, postings: Postings, windows: Windows, offset_ms: int,
              config: AlignConfig) -> pl.DataFrame:
    """One row per candidate (message, span) with the token-match features; message then span order."""
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
    named = postings.hits(windows, author.row, author.hash, name_limit[author.row])
    msg_weight = np.bincount(msg.row, weights=w, minlength=n_ev)
    content_weight = np.bincount(msg.row[c], weights=w[c], minlength=n_ev)
    s = spans[sp].select(pl.col("start_ms").alias("response_start_ms"), pl.col("end_ms").alias("response_end_ms"),
                         pl.col("text").alias("response"), "span_idx", "n_words", "prob", "first_phrase",
                         "last_phrase", "extended")
    cand = pl.concat([events.frame[ev], s], how="horizontal").with_columns(
        read_hits=pl.Series(read), name_hits=pl.Series(named), shared=pl.Series(shared),
        msg_weight=pl.Series(msg_weight[ev]), content_weight=pl.Series(content_weight[ev]))
    return cand.with_columns(
        lag_ms=pl.col("response_start_ms") - (pl.col("ts_ms") + offset_ms),
        read_aloud=pl.when(pl.col("n_msg") >= config.min_read_aloud_tokens)
        .then(pl.col("read_hits") / pl.col("msg_weight")).otherwise(0.0),
        # at least half of the handle's spoken parts ("xXRapidBadgerXx" -> "rapid badger")
        author_named=pl.col("name_hits") >= (pl.col("n_author") / 2).ceil().clip(lower_bound=1),
        # shared content words, smoothed so that one shared word of a one-word message is weak evidence
        lexical_overlap=pl.col("shared") / (pl.col("content_weight") + unseen),
    ).drop("read_hits", "name_hits", "shared", "msg_weight", "content_weight")


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


def _score(config: AlignConfig) -> pl.Expr:
    w = config.weights
    lag = pl.col("lag_ms").cast(pl.Float64)
    lag_prior = (pl.when(lag < 0).then(0.0)
                 .when(lag <= config.expected_lag_ms).then(1.0)
                 .otherwise((-(lag - config.expected_lag_ms) / config.lag_decay_ms).exp()))
    read = pl.when(pl.col("read_aloud") >= config.read_aloud_min).then(pl.col("read_aloud")).otherwise(0.0)
    score = (w.read_aloud * read + w.author_named * pl.col("author_named").cast(pl.Float64)
             + w.lexical_overlap * pl.col("lexical_overlap") + w.is_question * pl.col("is_question").cast(pl.Float64)
             + w.lag_prior * lag_prior + w.chat_density * pl.col("chat_density").log1p())
    if config.use_embeddings:
        score = score + w.embedding_similarity * pl.col("embedding_similarity").fill_null(0.0)
    return score


def _assign(c: pl.DataFrame, config: AlignConfig) -> pl.DataFrame:
    """Greedy one-to-one assignment by score: a message gets one response, a response answers one message."""
    c = c.with_columns(reason=pl.when(pl.col("reason").is_null() & (pl.col("score") < config.accept_threshold))
                       .then(pl.lit("below_threshold")).otherwise(pl.col("reason")))
    open_rows = np.flatnonzero(c["reason"].is_null().to_numpy())
    # best score first; on a tie the span that runs on past the first pause (a read-aloud and its answer), then the
    # shorter lag
    o = c[open_rows]
    order = open_rows[np.lexsort((o["lag_ms"].to_numpy(), ~o["extended"].to_numpy(), -o["score"].to_numpy()))]
    ev_col, first_col, last_col = (c[name].to_numpy() for name in ("ev_idx", "first_phrase", "last_phrase"))
    verdict = np.full(c.height, -1, np.int8)  # -1 not contested, 0 accepted, 1 message answered, 2 response used
    used_events: set[int] = set()
    used_phrases: set[int] = set()
    for row, ev, first, last in zip(order.tolist(), ev_col[order].tolist(), first_col[order].tolist(),
                                    last_col[order].tolist()):
        phrases = range(first, last + 1)
        if ev in used_events:
            verdict[row] = 1
        elif any(p in used_phrases for p in phrases):
            verdict[row] = 2
        else:
            verdict[row] = 0
            used_events.add(ev)
            used_phrases.update(phrases)
    lost = pl.Series(verdict).replace_strict({1: "message_already_answered", 2: "response_already_used"},
                                             default=None, return_dtype=pl.String)
    return c.with_columns(accepted=pl.Series(verdict == 0), reject_reason=pl.coalesce(lost, "reason"))


def align(speech: pl.DataFrame, chat: pl.DataFrame, config: AlignConfig | None = None,
          video_id: str | None = None) -> pl.DataFrame:
    """Every candidate pairing of one video's chat events with its response spans (AlignedPair contract), ordered
    by message time, then response start."""
    return align_full(speech, chat, config, video_id)[0]


def align_full(speech: pl.DataFrame, chat: pl.DataFrame, config: AlignConfig | None = None,
               video_id: str | None = None, curate: CurateConfig | None = None,
               ) -> tuple[pl.DataFrame, Calibration, pl.DataFrame]:
    """(candidates, calibration, spans). `curate`: the settings of the prompt filters (bots, emotes, promotion)."""
    config = config or AlignConfig()
    if video_id is None:
        video_id = (chat["video_id"][0] if chat.height else speech["video_id"][0] if speech.height else "")
    phrases = build_phrases(speech, config)
    spans = build_spans(phrases, config)
    postings, spoken = _postings(spans, phrases)
    events = _prepare_events(chat, spoken)
    cal = calibrate(events, spans, postings, config) if config.calibrate else Calibration(0, 0)
    ts = events.frame["ts_ms"].to_numpy() + cal.offset_ms
    windows = Windows.search(ts, spans["start_ms"].to_numpy(), config.window_start_ms, config.window_end_ms)
    events = replace(events, frame=events.frame.with_columns(
        chat_density=pl.Series(_density(ts, config.density_window_ms))))
    c = _features(events, spans, postings, windows, cal.offset_ms, config)
    reason = (pl.when(~pl.col("kind").is_in(list(config.prompt_kinds))).then(pl.lit("prompt_not_a_message"))
              .when(pl.col("deleted")).then(pl.lit("prompt_deleted"))
              .when(pl.col("n_msg") == 0).then(pl.lit("prompt_empty"))
              .when(pl.col("n_words") < config.min_response_words).then(pl.lit("response_too_short"))
              .when((pl.col("read_aloud") >= config.read_aloud_min)
                    & (pl.col("n_words") - pl.col("n_msg") - 2 < config.min_response_words))
              .then(pl.lit("response_only_reads_message"))
              .when(pl.col("lag_ms") < 0).then(pl.lit("response_before_message")))
    c = c.with_columns(reason=reason, embedding_similarity=pl.lit(None, pl.Float64))
    if config.use_embeddings and c.height:
        from multimodal_pipeline.embeddings import cosine_similarity

        rows = np.flatnonzero(c["reason"].is_null().to_numpy())
        sims = np.full(c.height, np.nan)
        sims[rows] = cosine_similarity(c["text"].gather(rows).to_list(), c["response"].gather(rows).to_list())
        c = c.with_columns(embedding_similarity=pl.Series(sims).fill_nan(None))
    c = _prompt_rejects(c.with_columns(score=_score(config)), events, config, curate or CurateConfig())
    c = _assign(c, config)
    out = c.select(
        pl.lit(video_id).alias("video_id"),
        # readable and stable: the event and the span it is paired with
        pl.concat_str("event_id", pl.lit("@"), "response_start_ms", pl.lit("-"), "response_end_ms").alias("pair_id"),
        "event_id", pl.col("ts_ms").alias("event_ts_ms"), "author", pl.col("text").alias("prompt"), "response",
        "response_start_ms", "response_end_ms", "lag_ms", pl.lit(cal.offset_ms, pl.Int64).alias("offset_ms"),
        pl.col("read_aloud").cast(pl.Float64), "author_named", pl.col("lexical_overlap").cast(pl.Float64),
        "is_question", pl.col("chat_density").cast(pl.Float64), "embedding_similarity",
        pl.col("score").cast(pl.Float64), "accepted", "reject_reason",
    )
    return out.select(list(polars_schema(AlignedPair))), cal, spans
