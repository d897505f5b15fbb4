"""Chat-aware filters, in datatrove's style: each filter is a small class that gives, for every row, either null
(kept) or the reason it rejects the row; the pipeline applies them in order and the first reason wins.

Every filter works on a whole table at once (Polars); `Filter.__call__(row)` gives `(kept, reason)` for one row.

The table a filter sees: the accepted `AlignedPair` columns, the prompt's chat event (`author`, `author_id`,
`kind`, `deleted`, `ts_ms`, `fragments`; null when the chat events were not given) and `_row` (row index).
The context carries the config, the video's chat events and its speech segments.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import polars as pl

from multimodal_pipeline.contracts.curate_config import CurateConfig, MinHashParams
from multimodal_pipeline.curate.dedup import find_duplicates
from multimodal_pipeline.curate.text import (
    BARE_DOMAIN,
    EMOJI,
    LANGUAGE_SCRIPTS,
    SCRIPTS,
    STOPWORDS,
    URL,
    normalize_expr,
)

EVENT_COLUMNS = ("author", "author_id", "kind", "deleted", "ts_ms", "fragments")
_NULL_REASON = pl.lit(None, dtype=pl.String)


@dataclass(frozen=True)
class FilterContext:
    config: CurateConfig
    chat_events: pl.DataFrame | None = None
    speech_segments: pl.DataFrame | None = None

    @property
    def has_events(self) -> bool:
        return self.chat_events is not None


class Filter:
    """A step that rejects rows with a reason. Subclasses set `name` and implement `reasons`."""

    name: ClassVar[str] = ""

    def reasons(self, df: pl.DataFrame, ctx: FilterContext) -> pl.Series:
        """A String Series as long as `df`: null where the row is kept, else the reason."""
        raise NotImplementedError

    def __call__(self, row: dict[str, Any], ctx: FilterContext | None = None) -> tuple[bool, str | None]:
        """(kept, reason) of one row (a dict of the table's columns)."""
        ctx = ctx or FilterContext(CurateConfig())
        df = pl.DataFrame([{**row, "_row": 0}])
        reason = self.reasons(df, ctx)[0]
        return reason is None, reason

    def _series(self, df: pl.DataFrame, expr: pl.Expr) -> pl.Series:
        return df.select(expr.cast(pl.String).alias(self.name)).to_series()


def _has(df: pl.DataFrame, *cols: str) -> bool:
    return all(c in df.columns for c in cols)


# ------------------------------------------------------------------------------------------------------------------


class DeletedFilter(Filter):
    """Messages that moderators deleted (the chat tier marks them; timeouts and bans included)."""

    name = "deleted"

    def reasons(self, df, ctx):
        if not _has(df, "deleted"):
            return self._series(df, _NULL_REASON)
        return self._series(df, pl.when(pl.col("deleted").fill_null(False)).then(pl.lit("deleted_by_moderator")))


class EventKindFilter(Filter):
    """Only chat messages (and paid messages) are prompts; a pair whose chat event is missing is rejected."""

    name = "event_kind"

    def reasons(self, df, ctx):
        if not ctx.has_events or not _has(df, "kind"):
            return self._series(df, _NULL_REASON)
        kind = pl.col("kind")
        return self._series(df, pl.when(kind.is_null()).then(pl.lit("missing_chat_event"))
                            .when(~kind.is_in(list(ctx.config.allowed_kinds)))
                            .then(pl.concat_str(pl.lit("event_kind:"), kind)))


class BotFilter(Filter):
    """Bot accounts (configured names or ids, a name pattern) and bot commands (`!uptime`)."""

    name = "bot"

    def reasons(self, df, ctx):
        cfg = ctx.config
        bots = [b.lower() for b in cfg.bot_authors]
        expr = pl.when(pl.lit(False)).then(_NULL_REASON)
        listed = [pl.col(c).fill_null("").str.to_lowercase().str.strip_chars().is_in(bots)
                  for c in ("author", "author_id") if c in df.columns and df.schema[c] != pl.Null]
        if listed:
            expr = expr.when(pl.any_horizontal(listed)).then(pl.lit("bot_account"))
        if _has(df, "author") and df.schema["author"] != pl.Null:
            if cfg.bot_name_pattern:
                expr = expr.when(pl.col("author").fill_null("").str.contains(cfg.bot_name_pattern)).then(
                    pl.lit("bot_name"))
        prompt = pl.col("prompt").str.strip_chars_start()
        if cfg.command_prefixes:
            is_cmd = pl.any_horizontal([prompt.str.starts_with(p) for p in cfg.command_prefixes])
            expr = expr.when(is_cmd).then(pl.lit("bot_command"))
        return self._series(df, expr)


class UrlSpamFilter(Filter):
    """Self-promotion phrases (`follow me`, `discord.gg/...`) and, with `url_policy="reject"`, any URL."""

    name = "url_spam"

    def reasons(self, df, ctx):
        cfg = ctx.config
        prompt = pl.col("prompt")
        expr = pl.when(pl.lit(False)).then(_NULL_REASON)
        if cfg.promo_patterns:
            promo = "(?i)(?:" + "|".join(cfg.promo_patterns) + ")"
            expr = expr.when(prompt.str.contains(promo)).then(pl.lit("self_promotion"))
        if cfg.url_policy == "reject":
            expr = expr.when(prompt.str.contains(URL) | prompt.str.contains(BARE_DOMAIN)).then(pl.lit("url"))
        return self._series(df, expr)


def _author_key() -> pl.Expr:
    return pl.coalesce(pl.col("author_id"), pl.col("author"), pl.col("event_id"))


class SpamFilter(Filter):
    """Copypasta (the same or nearly the same text from several authors within a short time), one author
    repeating a text, and character floods (`aaaaaaaaaaaa`).

    "Nearly the same": the chat messages' bags of words are clustered with MinHash LSH (unigram shingles, the
    configured threshold), so `KEKW KEKW KEKW` and `kekw kekw` or a copypasta with one word changed share a
    cluster; counts are taken within ±`copypasta_window_ms` of the prompt's event."""

    name = "spam"

    def reasons(self, df, ctx):
        cfg = ctx.config
        letters = pl.col("prompt").str.replace_all(r"\s+", "")
        n_distinct = letters.str.split("").list.unique().list.len()
        flood = (letters.str.len_chars() >= cfg.char_spam_min_chars) & (n_distinct <= 2)
        base = pl.when(flood).then(pl.lit("char_spam"))
        if not ctx.has_events or ctx.chat_events.height == 0:
            return self._series(df, base)
        counts = self._window_counts(df, ctx)
        out = df.select("_row", "prompt").join(counts, on="_row", how="left", maintain_order="left")
        expr = (base.when(pl.col("n_authors").fill_null(0) >= cfg.copypasta_min_authors)
                .then(pl.format("copypasta:{}_authors", pl.col("n_authors")))
                .when(pl.col("n_same_author").fill_null(0) >= cfg.spam_min_repeats)
                .then(pl.format("repeated:{}x", pl.col("n_same_author"))))
        return out.select(expr.cast(pl.String).alias(self.name)).to_series()

    @staticmethod
    def clusters(events: pl.DataFrame, params: MinHashParams) -> pl.DataFrame:
        """(event_id, cluster) of chat messages: equal bags of words, then near-duplicate bags, share a cluster."""
        bag = normalize_expr(pl.col("text")).str.split(" ").list.unique().list.sort().list.join(" ")
        ev = events.select("event_id", bag=bag)
        keys = ev.group_by("bag").agg(pl.len().alias("n")).sort(["n", "bag"], descending=[True, False])
        res = find_duplicates(keys["bag"], MinHashParams(num_perm=params.num_perm, threshold=params.threshold,
                                                         shingle_size=1, seed=params.seed), normalized=True)
        cluster = np.where(res.dup_of >= 0, res.dup_of, np.arange(keys.height))
        keys = keys.with_columns(cluster=pl.Series(cluster, dtype=pl.Int64))
        return ev.join(keys.select("bag", "cluster"), on="bag", how="left", maintain_order="left").select(
            "event_id", "cluster")

    def _window_counts(self, df: pl.DataFrame, ctx: FilterContext) -> pl.DataFrame:
        cfg = ctx.config
        events = ctx.chat_events.filter(pl.col("kind").is_in(list(cfg.allowed_kinds)))
        if events.height == 0:
            return pl.DataFrame(schema={"_row": pl.UInt32, "n_authors": pl.UInt32, "n_same_author": pl.UInt32})
        cl = self.clusters(events, cfg.minhash)
        ev_all = events.join(cl, on="event_id").select("event_id", "cluster", "ts_ms", e_author=_author_key())
        ev = ev_all.drop("event_id")
        # the prompt's own event gives its time, author and cluster
        q = df.select("_row", "event_id").join(ev_all, on="event_id", how="inner").select(
            "_row", "cluster", q_ts=pl.col("ts_ms"), q_author=pl.col("e_author"))
        w = cfg.copypasta_window_ms
        joined = q.join(ev, on="cluster").filter((pl.col("ts_ms") - pl.col("q_ts")).abs() <= w)
        return joined.group_by("_row").agg(
            n_authors=pl.col("e_author").n_unique().cast(pl.UInt32),
            n_same_author=(pl.col("e_author") == pl.col("q_author")).sum().cast(pl.UInt32),
        )


class EmoteFilter(Filter):
    """Prompts made only of emotes (the event's emote fragments, common emote words, `:shortcodes:`) or only of
    Unicode emoji: `emote_only` / `emoji_only`."""

    name = "emote_only"

    def reasons(self, df, ctx):
        emotes = sorted({e.lower() for e in ctx.config.emote_words})
        # exploded (one row per fragment, then per word) rather than list.eval: linear and fast on millions of rows
        base = df.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("_i"), pl.col("prompt").fill_null(""))
        if _has(df, "fragments") and df.schema["fragments"] != pl.Null:
            frag = pl.col("fragments").struct.field("type")
            per_row = (df.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("_i"), "fragments")
                       .explode("fragments").filter(pl.col("fragments").is_not_null())
                       .group_by("_i").agg(text=pl.col("fragments").struct.field("text").filter(frag == "text")
                                           .str.join(" "), emote_frag=(frag == "emote").any(),
                                           emoji_frag=(frag == "emoji").any()))
            base = base.join(per_row, on="_i", how="left").sort("_i")
            residual = pl.coalesce("text", "prompt")
        else:
            base = base.with_columns(emote_frag=pl.lit(False), emoji_frag=pl.lit(False))
            residual = pl.col("prompt")
        base = base.select("_i", residual.alias("residual"), pl.col("emote_frag").fill_null(False),
                           pl.col("emoji_frag").fill_null(False))
        tok = pl.col("tok")
        word = tok.str.to_lowercase().str.strip_chars(".,!?;:'\"()")
        is_emote_word = word.is_in(emotes) | tok.str.contains(r"^:[\w\-]+:$")
        is_emoji = tok.str.contains(EMOJI) & (tok.str.replace_all(EMOJI, "").str.len_chars() == 0)
        words = (base.select("_i", tok=pl.col("residual").str.split(" ")).explode("tok")
                 .filter(tok.str.len_chars() > 0)
                 .group_by("_i").agg(content=(tok.str.contains(r"[\p{L}\p{N}]") & ~is_emote_word & ~is_emoji).sum(),
                                     n_emote_words=is_emote_word.sum()))
        out = base.join(words, on="_i", how="left").sort("_i")
        has_emote = pl.col("emote_frag") | (pl.col("n_emote_words").fill_null(0) > 0)
        has_emoji = pl.col("emoji_frag") | (pl.col("residual").str.count_matches(r"\p{Extended_Pictographic}") > 0)
        only = (pl.col("content").fill_null(0) == 0) & (has_emote | has_emoji)
        return self._series(out, pl.when(only & has_emote).then(pl.lit("emote_only"))
                            .when(only & has_emoji).then(pl.lit("emoji_only")))


class LengthFilter(Filter):
    """Prompt and response length bounds (characters; response also words); prompts without any letter or digit."""

    name = "length"

    def reasons(self, df, ctx):
        c = ctx.config
        p = pl.col("prompt").str.strip_chars()
        r = pl.col("response").str.strip_chars()
        r_words = r.str.split(" ").list.eval(pl.element().filter(pl.element().str.len_chars() > 0)).list.len()
        return self._series(df, pl.when(~p.str.contains(r"[\p{L}\p{N}]")).then(pl.lit("prompt_no_text"))
                            .when(p.str.len_chars() < c.prompt_min_chars).then(pl.lit("prompt_too_short"))
                            .when(p.str.len_chars() > c.prompt_max_chars).then(pl.lit("prompt_too_long"))
                            .when((r.str.len_chars() < c.response_min_chars) | (r_words < c.response_min_words))
                            .then(pl.lit("response_too_short"))
                            .when(r.str.len_chars() > c.response_max_chars).then(pl.lit("response_too_long")))


class LanguageFilter(Filter):
    """Prompts in another language than `config.language`, offline: first the share of the letters written in the
    language's script (`language:script=Cyrillic`), then, for prompts of `language_min_words` words or more in a
    Latin-script language, stopword votes (`language:es` when Spanish stopwords outvote the configured ones)."""

    name = "language"

    def reasons(self, df, ctx):
        c = ctx.config
        lang = (c.language or "").lower()
        if not lang or lang not in LANGUAGE_SCRIPTS:
            return self._series(df, _NULL_REASON)
        p = pl.col("prompt")
        counts = df.select("_row", letters=p.str.count_matches(r"\p{L}"),
                           **{name: p.str.count_matches(rx) for name, rx in SCRIPTS.items()})
        names = list(SCRIPTS)
        dominant = np.array(names)[counts.select(names).to_numpy().argmax(axis=1)] if counts.height else []
        expected = sum(pl.col(s) for s in LANGUAGE_SCRIPTS[lang])
        script_bad = (pl.col("letters") >= 3) & (expected < pl.col("letters") * c.language_min_script_share)
        out = counts.select("_row", bad=script_bad).with_columns(
            dominant=pl.Series(list(dominant), dtype=pl.String))
        if LANGUAGE_SCRIPTS[lang] == ("Latin",):
            vote = self._stopword_vote(df, lang, c.language_min_words)
            out = out.join(vote, on="_row", how="left", maintain_order="left")
        else:
            out = out.with_columns(voted=_NULL_REASON)
        return out.select(
            pl.when(pl.col("bad")).then(pl.concat_str(pl.lit("language:script="), pl.col("dominant")))
            .when(pl.col("voted").is_not_null()).then(pl.concat_str(pl.lit("language:"), pl.col("voted")))
            .cast(pl.String).alias(self.name)).to_series()

    @staticmethod
    def _stopword_vote(df: pl.DataFrame, lang: str, min_words: int) -> pl.DataFrame:
        own = STOPWORDS.get(lang, frozenset())
        table = pl.DataFrame(
            [{"w": w, "lang": lg} for lg, words in STOPWORDS.items() for w in sorted(words)
             if lg == lang or w not in own],
            schema={"w": pl.String, "lang": pl.String})
        toks = df.select("_row", w=pl.col("prompt").str.to_lowercase().str.extract_all(r"[\p{L}']+"))
        toks = toks.filter(pl.col("w").list.len() >= min_words).explode("w")
        hits = toks.join(table, on="w").group_by("_row", "lang").agg(n=pl.len())
        own_hits = hits.filter(pl.col("lang") == lang).select("_row", own=pl.col("n"))
        best = (hits.filter(pl.col("lang") != lang).sort(["_row", "n", "lang"], descending=[False, True, False])
                .unique("_row", keep="first").rename({"n": "foreign"}))
        voted = (best.join(own_hits, on="_row", how="left")
                 .filter((pl.col("foreign") >= 2) & (pl.col("foreign") > pl.col("own").fill_null(0))))
        return voted.select("_row", voted=pl.col("lang"))


class AsrConfidenceFilter(Filter):
    """Low ASR confidence in the response: over the speech segments overlapping the response span, the
    overlap-weighted mean `avg_logprob` below the floor or mean `no_speech_prob` above the ceiling; a span that no
    segment covers is rejected too (`no_speech_segments`, when `asr_require_segments`)."""

    name = "asr_confidence"

    def reasons(self, df, ctx):
        c = ctx.config
        segs = ctx.speech_segments
        if segs is None:
            return self._series(df, _NULL_REASON)
        stats = self.span_confidence(df, segs)
        out = df.select("_row").join(stats, on="_row", how="left", maintain_order="left")
        expr = pl.when(pl.col("avg_logprob").is_null())
        expr = expr.then(pl.lit("no_speech_segments") if c.asr_require_segments else _NULL_REASON)
        expr = (expr.when(pl.col("avg_logprob") < c.asr_min_avg_logprob)
                .then(pl.format("low_avg_logprob:{}", pl.col("avg_logprob").round(2)))
                .when(pl.col("no_speech_prob") > c.asr_max_no_speech_prob)
                .then(pl.format("high_no_speech_prob:{}", pl.col("no_speech_prob").round(2))))
        return out.select(expr.cast(pl.String).alias(self.name)).to_series()

    @staticmethod
    def span_confidence(df: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
        """(_row, avg_logprob, no_speech_prob, segments) of each response span, overlap-weighted."""
        segs = segments.select(s_start=pl.col("start_ms"), s_end=pl.col("end_ms"), lp=pl.col("avg_logprob"),
                               nsp=pl.col("no_speech_prob"))
        # a zero-length span still lies inside the segment that covers its instant
        q = df.select("_row", r_start=pl.col("response_start_ms"),
                      r_end=pl.max_horizontal(pl.col("response_end_ms"), pl.col("response_start_ms") + 1))
        if segs.height == 0 or q.height == 0:
            return pl.DataFrame(schema={"_row": pl.UInt32, "avg_logprob": pl.Float64, "no_speech_prob": pl.Float64,
                                        "segments": pl.UInt32})
        j = q.join_where(segs, pl.col("s_start") < pl.col("r_end"), pl.col("s_end") > pl.col("r_start"))
        w = (pl.min_horizontal("s_end", "r_end") - pl.max_horizontal("s_start", "r_start")).clip(lower_bound=1)
        return j.with_columns(w=w.cast(pl.Float64)).group_by("_row").agg(
            avg_logprob=(pl.col("lp") * pl.col("w")).sum() / pl.col("w").sum(),
            no_speech_prob=(pl.col("nsp") * pl.col("w")).sum() / pl.col("w").sum(),
            segments=pl.len().cast(pl.UInt32),
        )


#: the filters in the order they are applied (the first reason wins)
DEFAULT_FILTERS: tuple[Filter, ...] = (
    DeletedFilter(), EventKindFilter(), BotFilter(), UrlSpamFilter(), SpamFilter(), EmoteFilter(), LengthFilter(),
    LanguageFilter(), AsrConfidenceFilter(),
)
FILTER_NAMES: tuple[str, ...] = tuple(f.name for f in DEFAULT_FILTERS)


def apply_filters(df: pl.DataFrame, ctx: FilterContext, filters: tuple[Filter, ...] = DEFAULT_FILTERS
                  ) -> tuple[pl.DataFrame, dict[str, int]]:
    """Add `filter` and `reason` columns (null when kept): the first filter that rejects a row names it.
    Returns the frame and the number of rows each filter rejected (first reason only)."""
    if "_row" not in df.columns:
        df = df.with_row_index("_row")
    filt = pl.Series("filter", [None] * df.height, dtype=pl.String)
    reason = pl.Series("reason", [None] * df.height, dtype=pl.String)
    counts: dict[str, int] = {}
    for f in filters:
        r = f.reasons(df, ctx)
        new = r.is_not_null() & reason.is_null()
        counts[f.name] = int(new.sum())
        reason = r.alias("reason").zip_with(new, reason)
        filt = pl.Series("filter", [f.name] * df.height, dtype=pl.String).zip_with(new, filt)
    return df.with_columns(filt, reason), counts


def prompt_filter(config: CurateConfig, names: tuple[str, ...]) -> Callable[[pl.DataFrame], pl.Series]:
    """Curation's filters named `names` as a prompt filter for alignment: given chat rows (`prompt`, `author`,
    `kind`, ...), the reason each can never be a prompt (null when it can)."""
    filters = tuple(f for f in DEFAULT_FILTERS if f.name in names)

    def reasons(rows: pl.DataFrame) -> pl.Series:
        if not filters or rows.height == 0:
            return pl.Series("reason", [None] * rows.height, dtype=pl.String)
        frame, _ = apply_filters(rows, FilterContext(config), filters)
        return frame["reason"]

    return reasons
