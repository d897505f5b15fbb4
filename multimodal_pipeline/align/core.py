"""Chat-to-speech alignment: candidate windows, features, lag calibration, scoring and one-to-one assignment.

Every candidate (chat event, response span) is returned with its features, score, `accepted` flag and, when
rejected, the reason. Candidates come from a sorted search (numpy.searchsorted over span starts), never a nested
loop over all pairs; features are Polars expressions over the candidate table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from multimodal_pipeline.align.spans import build_spans
from multimodal_pipeline.align.text import content_tokens, is_question, name_tokens, tokens
from multimodal_pipeline.contracts import AlignedPair, polars_schema
from multimodal_pipeline.contracts.align_config import AlignConfig

REASONS = ("prompt_not_a_message", "prompt_deleted", "prompt_empty", "response_too_short",
           "response_only_reads_message", "response_before_message",
           "below_threshold", "message_already_answered", "response_already_used")


@dataclass(frozen=True)
class Calibration:
    offset_ms: int
    matches: int
    lags_ms: list[int] = field(default_factory=list)


def _prepare_events(chat: pl.DataFrame) -> pl.DataFrame:
    events = chat.select("event_id", "ts_ms", "author", "text", "kind", "deleted", "fragments").with_columns(
        # the prompt's words: text fragments only (emotes are not words)
        prompt_words=pl.col("fragments").list.eval(
            pl.when(pl.element().struct.field("type") == "text").then(pl.element().struct.field("text"))
        ).list.drop_nulls().list.join(" "),
    )
    events = events.with_columns(
        msg_tokens=tokens(pl.col("prompt_words")).list.unique(),
        msg_content=content_tokens(pl.col("prompt_words")),
        author_tokens=name_tokens(pl.col("author")),
        is_question=is_question(pl.col("text")),
    )
    return (events.drop("fragments", "prompt_words").sort("ts_ms").with_row_index("ev_idx")
            .with_columns(pl.col("ev_idx").cast(pl.Int64)))


def _density(ts: np.ndarray, window_ms: int) -> np.ndarray:
    lo = np.searchsorted(ts, ts - window_ms, "left")
    hi = np.searchsorted(ts, ts + window_ms, "right")
    return (hi - lo - 1) / (2 * window_ms / 1000)


def _candidate_index(event_ts: np.ndarray, span_start: np.ndarray, lo_ms: int, hi_ms: int):
    """(event index, span index) of every span starting in [ts + lo_ms, ts + hi_ms]; sorted search, no nested loop."""
    lo = np.searchsorted(span_start, event_ts + lo_ms, "left")
    hi = np.searchsorted(span_start, event_ts + hi_ms, "right")
    counts = (hi - lo).astype(np.int64)
    ev = np.repeat(np.arange(len(event_ts), dtype=np.int64), counts)
    offsets = np.arange(counts.sum(), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return ev, np.repeat(lo.astype(np.int64), counts) + offsets


def _features(events: pl.DataFrame, spans: pl.DataFrame, ev: np.ndarray, sp: np.ndarray, offset_ms: int,
              config: AlignConfig) -> pl.DataFrame:
    e = events[ev]
    s = spans[sp].select(pl.col("start_ms").alias("response_start_ms"), pl.col("end_ms").alias("response_end_ms"),
                         pl.col("text").alias("response"), "n_words", "prob", "head_tokens", "content",
                         "first_phrase", "last_phrase", "extended")
    c = pl.concat([e, s], how="horizontal")
    n_msg = pl.col("msg_tokens").list.len()
    # a read-aloud or a name counts at the start of the response ("<name> asks, <message>", "thanks <name>, ...")
    n_author = pl.col("author_tokens").list.len()
    c = c.with_columns(
        read_head=pl.col("head_tokens").list.head(n_msg + n_author + config.head_slack_words).list.unique(),
        name_head=pl.col("head_tokens").list.head(n_author + config.head_slack_words).list.unique())
    return c.with_columns(
        lag_ms=pl.col("response_start_ms") - (pl.col("ts_ms") + offset_ms),
        read_aloud=pl.when(n_msg >= config.min_read_aloud_tokens)
        .then(pl.col("msg_tokens").list.set_intersection(pl.col("read_head")).list.len() / n_msg)
        .otherwise(0.0),
        # at least half of the handle's spoken parts ("xXRapidBadgerXx" -> "rapid badger")
        author_named=pl.col("author_tokens").list.set_intersection(pl.col("name_head")).list.len()
        >= (pl.col("author_tokens").list.len() / 2).ceil().clip(lower_bound=1),
        # shared content words, smoothed so that one shared word of a one-word message is weak evidence
        lexical_overlap=pl.col("msg_content").list.set_intersection(pl.col("content")).list.len()
        / (pl.col("msg_content").list.len() + 1),
    )


def calibrate(events: pl.DataFrame, spans: pl.DataFrame, config: AlignConfig) -> Calibration:
    """Chat-to-speech offset from confident read-aloud matches, searched in a wide window around each message."""
    pool = events.filter(pl.col("msg_tokens").list.len() >= config.min_read_aloud_tokens + 1)
    if pool.height == 0 or spans.height == 0:
        return Calibration(0, 0)
    if pool.height > config.calibration_sample:
        pool = pool.gather_every(pool.height // config.calibration_sample + 1)
    w = config.calibration_window_ms
    ev, sp = _candidate_index(pool["ts_ms"].to_numpy(), spans["start_ms"].to_numpy(), -w, w)
    if len(ev) == 0:
        return Calibration(0, 0)
    c = _features(pool, spans, ev, sp, 0, config).filter(pl.col("read_aloud") >= 0.9)
    # the best read-aloud span of each message, kept only when it is unambiguous
    best = c.sort("read_aloud", descending=True).group_by("ev_idx", maintain_order=True).first()
    lags = np.asarray(best["lag_ms"].to_list(), dtype=np.int64)
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
    gain_needed = max(config.calibration_min_matches - 1, int(np.ceil(0.25 * len(lags))))
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
    eligible = pl.col("reason").is_null()
    c = c.with_columns(reason=pl.when(eligible & (pl.col("score") < config.accept_threshold))
                       .then(pl.lit("below_threshold")).otherwise(pl.col("reason")))
    # best score first; on a tie the span that runs on past the first pause (a read-aloud and its answer), then the
    # shorter lag
    order = c.with_row_index("row").filter(pl.col("reason").is_null()).sort(
        "score", "extended", "lag_ms", descending=[True, True, False])
    used_events: set[int] = set()
    used_phrases: set[int] = set()
    verdict = {}
    for row, ev, first, last in zip(order["row"].to_list(), order["ev_idx"].to_list(),
                                    order["first_phrase"].to_list(), order["last_phrase"].to_list()):
        phrases = range(first, last + 1)
        if ev in used_events:
            verdict[row] = "message_already_answered"
        elif any(p in used_phrases for p in phrases):
            verdict[row] = "response_already_used"
        else:
            verdict[row] = None
            used_events.add(ev)
            used_phrases.update(phrases)
    rows = pl.DataFrame({"row": list(verdict), "final": list(verdict.values())},
                        schema={"row": pl.UInt32, "final": pl.String})
    c = c.with_row_index("row").join(rows, on="row", how="left")
    accepted = pl.col("row").is_in(rows.filter(pl.col("final").is_null())["row"].implode())
    return c.with_columns(accepted=accepted,
                          reject_reason=pl.when(accepted).then(None).otherwise(pl.coalesce("final", "reason")))


def align(speech: pl.DataFrame, chat: pl.DataFrame, config: AlignConfig | None = None,
          video_id: str | None = None) -> pl.DataFrame:
    """Every candidate pairing of one video's chat events with its response spans (AlignedPair contract)."""
    return align_full(speech, chat, config, video_id)[0]


def align_full(speech: pl.DataFrame, chat: pl.DataFrame, config: AlignConfig | None = None,
               video_id: str | None = None) -> tuple[pl.DataFrame, Calibration, pl.DataFrame]:
    """(candidates, calibration, spans)."""
    config = config or AlignConfig()
    if video_id is None:
        video_id = (chat["video_id"][0] if chat.height else speech["video_id"][0] if speech.height else "")
    spans = build_spans(speech, config)
    events = _prepare_events(chat)
    cal = calibrate(events, spans, config) if config.calibrate else Calibration(0, 0)
    ts = events["ts_ms"].to_numpy() + cal.offset_ms
    ev, sp = _candidate_index(ts, spans["start_ms"].to_numpy() if spans.height else np.array([], np.int64),
                              config.window_start_ms, config.window_end_ms)
    events = events.with_columns(chat_density=pl.Series(_density(ts, config.density_window_ms)))
    c = _features(events, spans, ev, sp, cal.offset_ms, config).with_columns(span_idx=pl.Series(sp, dtype=pl.Int64))
    reason = (pl.when(~pl.col("kind").is_in(list(config.prompt_kinds))).then(pl.lit("prompt_not_a_message"))
              .when(pl.col("deleted")).then(pl.lit("prompt_deleted"))
              .when(pl.col("msg_tokens").list.len() == 0).then(pl.lit("prompt_empty"))
              .when(pl.col("n_words") < config.min_response_words).then(pl.lit("response_too_short"))
              .when((pl.col("read_aloud") >= config.read_aloud_min)
                    & (pl.col("n_words") - pl.col("msg_tokens").list.len() - 2 < config.min_response_words))
              .then(pl.lit("response_only_reads_message"))
              .when(pl.col("lag_ms") < 0).then(pl.lit("response_before_message")))
    c = c.with_columns(reason=reason, embedding_similarity=pl.lit(None, pl.Float64))
    if config.use_embeddings and c.height:
        from multimodal_pipeline.embeddings import cosine_similarity

        rows = c.with_row_index("row").filter(pl.col("reason").is_null())
        sims = pl.Series(cosine_similarity(rows["text"].to_list(), rows["response"].to_list()), dtype=pl.Float64)
        c = c.with_row_index("row").join(rows.select("row").with_columns(sim=sims), on="row", how="left").with_columns(
            embedding_similarity=pl.col("sim")).drop("row", "sim")
    c = c.with_columns(score=_score(config))
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
    ).sort("event_ts_ms", "response_start_ms")
    return out.select(list(polars_schema(AlignedPair))), cal, spans
