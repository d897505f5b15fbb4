"""Chat-to-speech alignment: candidate windows, features, lag calibration, scoring and one-to-one assignment.

Every candidate (chat event, response span) is returned with its features, score, `accepted` flag and, when
rejected, the reason. Candidates come from a sorted search (numpy.searchsorted over span starts), never a nested
loop over all pairs; features are Polars expressions over the candidate table.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from multimodal_pipeline.align.spans import build_phrases, build_spans
from multimodal_pipeline.align.index import Postings, Windows, token_hashes
from multimodal_pipeline.align.text import is_content, is_question, match_tokens, name_tokens, stem
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
    """Chat events sorted by time (`frame`: one row per event, `ev_idx` its position) and their tokens exploded:
    the message's distinct words (`msg_*`, with a content-word flag) and the spoken parts of the author's handle."""

    frame: pl.DataFrame
    msg_event: np.ndarray
    msg_hash: np.ndarray
    msg_content: np.ndarray
    author_event: np.ndarray
    author_hash: np.ndarray

    def take(self, idx: np.ndarray) -> _Events:
        new = np.full(self.frame.height, -1, np.int64)
        new[idx] = np.arange(len(idx))
        m, a = new[self.msg_event], new[self.author_event]
        frame = self.frame[idx].with_columns(ev_idx=pl.int_range(len(idx), dtype=pl.Int64))
        return _Events(frame, m[m >= 0], self.msg_hash[m >= 0], self.msg_content[m >= 0], a[a >= 0],
                       self.author_hash[a >= 0])


def _exploded(frame: pl.DataFrame, column: str) -> tuple[np.ndarray, pl.Series]:
    """(row index, token) of every token in a list column."""
    lens = frame[column].list.len().to_numpy()
    return np.repeat(np.arange(frame.height, dtype=np.int64), lens), frame[column].explode().drop_nulls()


def _prompt_rejects(events: pl.DataFrame, curate: CurateConfig, names: tuple[str, ...]) -> pl.Series:
    """Curation's prompt filters (bot accounts and commands, self-promotion, emote-only), run before alignment so that
    a message that can never be a prompt does not take a response from one that can: `prompt_<reason>` or null."""
    filters = [f for f in DEFAULT_FILTERS if f.name in names]
    if not filters or events.height == 0:
        return pl.Series("prompt_reject", [None] * events.height, dtype=pl.String)
    frame, _ = apply_filters(events.rename({"text": "prompt"}), FilterContext(curate), tuple(filters))
    return frame.select(pl.concat_str(pl.lit("prompt_"), pl.col("reason")).alias("prompt_reject")).to_series()


def _prepare_events(chat: pl.DataFrame, config: AlignConfig, curate: CurateConfig) -> _Events:
    events = chat.select("event_id", "ts_ms", "author", "author_id", "text", "kind", "deleted", "fragments").with_columns(
        # the prompt's words: text fragments only (emotes are not words)
        prompt_words=pl.col("fragments").list.eval(
            pl.when(pl.element().struct.field("type") == "text").then(pl.element().struct.field("text"))
        ).list.drop_nulls().list.join(" "),
    ).sort("ts_ms", maintain_order=True)
    events = events.with_columns(_prompt_rejects(events, curate, config.prompt_filters))
    events = events.with_columns(msg_tokens=match_tokens(pl.col("prompt_words")).list.unique(maintain_order=True),
                                 is_question=is_question(pl.col("text")))
    # handles repeat: their spoken parts are worked out once per author
    authors = events.select(pl.col("author").unique()).with_columns(
        author_tokens=name_tokens(pl.col("author")).list.eval(stem(pl.element())).list.unique())
    events = events.join(authors, on="author", how="left", maintain_order="left", nulls_equal=True)
    msg_event, msg_tokens = _exploded(events, "msg_tokens")
    author_event, author_tokens = _exploded(events, "author_tokens")
    content = pl.select(is_content(pl.lit(msg_tokens))).to_series().to_numpy()
    frame = events.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("ev_idx"), "event_id", "ts_ms", "author", "text", "kind",
        "deleted", "prompt_reject", "is_question", pl.col("msg_tokens").list.len().cast(pl.Int64).alias("n_msg"),
        pl.col("author_tokens").list.len().cast(pl.Int64).alias("n_author"),
    ).with_columns(n_content=pl.Series(np.bincount(msg_event[content], minlength=events.height), dtype=pl.Int64))
    return _Events(frame, msg_event, token_hashes(msg_tokens), content, author_event, token_hashes(author_tokens))


def _postings(spans: pl.DataFrame, phrases: pl.DataFrame) -> Postings:
    def token_lists(frame: pl.DataFrame) -> pl.Series:
        return frame.select(match_tokens(pl.col("text")).alias("tokens"))["tokens"]

    return Postings.build(token_lists(spans), token_lists(phrases))


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
    w = postings.weights(events.msg_hash) if config.idf_weighting else np.ones(len(events.msg_hash))
    unseen = float(postings.idf[-1]) if config.idf_weighting else 1.0
    n_ev = events.frame.height
    read = postings.hits(windows, events.msg_event, events.msg_hash, read_limit[events.msg_event], w)
    named = postings.hits(windows, events.author_event, events.author_hash, name_limit[events.author_event])
    c = events.msg_content
    shared = postings.hits(windows, events.msg_event[c], events.msg_hash[c],
                           np.full(int(c.sum()), config.overlap_words), w[c])
    msg_weight = np.bincount(events.msg_event, weights=w, minlength=n_ev)
    content_weight = np.bincount(events.msg_event[c], weights=w[c], minlength=n_ev)
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
    postings = _postings(spans, phrases)
    events = _prepare_events(chat, config, curate or CurateConfig())
    cal = calibrate(events, spans, postings, config) if config.calibrate else Calibration(0, 0)
    ts = events.frame["ts_ms"].to_numpy() + cal.offset_ms
    windows = Windows.search(ts, spans["start_ms"].to_numpy(), config.window_start_ms, config.window_end_ms)
    events = replace(events, frame=events.frame.with_columns(
        chat_density=pl.Series(_density(ts, config.density_window_ms))))
    c = _features(events, spans, postings, windows, cal.offset_ms, config)
    reason = (pl.when(~pl.col("kind").is_in(list(config.prompt_kinds))).then(pl.lit("prompt_not_a_message"))
              .when(pl.col("deleted")).then(pl.lit("prompt_deleted"))
              .when(pl.col("n_msg") == 0).then(pl.lit("prompt_empty"))
              .when(pl.col("prompt_reject").is_not_null()).then(pl.col("prompt_reject"))
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
    c = _assign(c.with_columns(score=_score(config)), config)
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
