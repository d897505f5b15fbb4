"""Each filter on crafted rows: kept, or rejected with the right reason; and the order of the filters."""

from __future__ import annotations

import polars as pl
import pytest

from multimodal_pipeline.contracts.curate_config import CurateConfig
from multimodal_pipeline.curate import (
    AsrConfidenceFilter,
    BotFilter,
    DeletedFilter,
    EmoteFilter,
    EventKindFilter,
    FilterContext,
    LanguageFilter,
    LengthFilter,
    SpamFilter,
    UrlSpamFilter,
    curate_video,
)
from multimodal_pipeline_tests.curate.helpers import event, frames, pair, segment

CFG = CurateConfig()


def table(rows: list[dict], events: list[dict] | None = None) -> pl.DataFrame:
    """Pairs joined with their events, as the pipeline hands them to the filters."""
    p, e, _ = frames(rows, events or [])
    if events:
        p = p.join(e.select("event_id", "kind", "deleted", "ts_ms", "fragments"), on="event_id", how="left",
                   maintain_order="left")
    return p.with_row_index("_row")


def reasons(flt, prompts: list[str], ctx: FilterContext | None = None, **pair_kw) -> list[str | None]:
    rows = [pair(i, p, **pair_kw) for i, p in enumerate(prompts)]
    return flt.reasons(table(rows), ctx or FilterContext(CFG)).to_list()


def test_length_filter():
    got = reasons(LengthFilter(), ["what game is this?", "hi", "x" * 301, "???", "ok so how was your day"])
    assert got == [None, "prompt_too_short", "prompt_too_long", "prompt_no_text", None]
    rows = [pair(0, "what game is this?", response="ok"), pair(1, "what game is this?", response="y " * 1001),
            pair(2, "what game is this?", response="it is the new one")]
    assert LengthFilter().reasons(table(rows), FilterContext(CFG)).to_list() == [
        "response_too_short", "response_too_long", None]


def test_emote_filter_text_and_fragments():
    got = reasons(EmoteFilter(), ["KEKW KEKW", "😂😂🔥", "LUL what was that", ":face-blue-smiling:", "PogChamp 😂",
                                  "is this 😂 real", "hi😂"])
    assert got == ["emote_only", "emoji_only", None, "emote_only", "emote_only", None, None]
    # fragments tell emotes apart: "catJAM" is an emote by its fragment, not by the word list
    frag = [{"type": "emote", "text": "catJAMMER", "emote_id": "42"}, {"type": "text", "text": " ", "emote_id": None}]
    events = [event(0, "catJAMMER ", fragments=frag), event(1, "catJAMMER is great"),
              event(2, "👍", fragments=[{"type": "emoji", "text": "👍", "emote_id": None}])]
    rows = [pair(0, "catJAMMER "), pair(1, "catJAMMER is great"), pair(2, "👍")]
    assert EmoteFilter().reasons(table(rows, events), FilterContext(CFG)).to_list() == [
        "emote_only", None, "emoji_only"]


def test_bot_filter():
    rows = [pair(0, "follow the rules chat", author="Nightbot"), pair(1, "hello there friend", author="coolguy"),
            pair(2, "!uptime", author="coolguy"), pair(3, "beep boop I am here", author="my_helperbot2"),
            pair(4, "this is a message", author="someone")]
    got = BotFilter().reasons(table(rows), FilterContext(CFG)).to_list()
    assert got == ["bot_account", None, "bot_command", "bot_name", None]
    # configurable: a custom bot list and no name heuristic
    cfg = CurateConfig(bot_authors=("someone",), bot_name_pattern=None)
    got = BotFilter().reasons(table(rows), FilterContext(cfg)).to_list()
    assert got == [None, None, "bot_command", None, "bot_account"]


def test_url_and_promotion_filter():
    got = reasons(UrlSpamFilter(), ["check out https://spam.example/x", "follow me for follow back",
                                    "join discord.gg/abc", "visit mysite.gg now", "what is a url anyway"])
    assert got == ["url", "self_promotion", "self_promotion", "url", None]
    # with url_policy="scrub" a link alone is no reason
    assert reasons(UrlSpamFilter(), ["see https://example.com/page"], FilterContext(CurateConfig(url_policy="scrub"))
                   ) == [None]


def test_deleted_and_event_kind_filters():
    events = [event(0, "rude message", deleted=True), event(1, "nice message"),
              event(2, "welcome to the club", kind="membership")]
    rows = [pair(0, "rude message"), pair(1, "nice message"), pair(2, "welcome to the club"),
            pair(3, "orphan", event_id="missing")]
    df = table(rows, events)
    ctx = FilterContext(CFG, chat_events=frames([], events)[1])
    assert DeletedFilter().reasons(df, ctx).to_list() == ["deleted_by_moderator", None, None, None]
    assert EventKindFilter().reasons(df, ctx).to_list() == [None, None, "event_kind:membership",
                                                           "missing_chat_event"]


def test_spam_copypasta_and_repeats():
    pasta = "this streamer is the best streamer in the whole world no cap"
    events = [
        event(0, pasta, ts_ms=100_000, author="a"),
        event(1, pasta.upper() + "!!", ts_ms=105_000, author="b"),
        event(2, pasta.replace("whole", "entire"), ts_ms=110_000, author="c"),  # nearly the same
        event(3, pasta, ts_ms=900_000, author="d"),  # same text, far away in time: alone
        event(4, "buy my stuff now", ts_ms=200_000, author="e"),
        event(5, "buy my stuff now", ts_ms=205_000, author="e"),
        event(6, "buy my stuff now", ts_ms=210_000, author="e"),
        event(7, "what game is this", ts_ms=300_000, author="f"),
        event(8, "aaaaaaaaaaaaaaaa", ts_ms=400_000, author="g"),
    ]
    rows = [pair(0, pasta), pair(3, pasta), pair(6, "buy my stuff now"), pair(7, "what game is this"),
            pair(8, "aaaaaaaaaaaaaaaa")]
    p, e, _ = frames(rows, events)
    df = p.join(e.select("event_id", "ts_ms"), on="event_id", how="left", maintain_order="left").with_row_index("_row")
    got = SpamFilter().reasons(df, FilterContext(CFG, chat_events=e)).to_list()
    assert got == ["copypasta:3_authors", None, "repeated:3x", None, "char_spam"]


def test_language_filter():
    got = reasons(LanguageFilter(), ["what game are you playing today", "hola que tal estás, cómo va el juego",
                                     "привет как дела", "gg", "c'est quoi ce jeu je ne sais pas",
                                     "wie heißt das spiel und was ist das", "lol"])
    assert got == [None, "language:es", "language:script=Cyrillic", None, "language:fr", "language:de", None]
    # the configured language is the one kept
    es = FilterContext(CurateConfig(language="es"))
    assert reasons(LanguageFilter(), ["hola que tal estás, cómo va el juego", "what are you doing with the game"],
                   es) == [None, "language:en"]
    assert reasons(LanguageFilter(), ["привет как дела"], FilterContext(CurateConfig(language=None))) == [None]


def test_asr_confidence_filter():
    rows = [pair(0, "q one", start_ms=1_000, end_ms=4_000), pair(1, "q two", start_ms=10_000, end_ms=12_000),
            pair(2, "q three", start_ms=20_000, end_ms=22_000), pair(3, "q four", start_ms=40_000, end_ms=41_000),
            pair(4, "q five", start_ms=50_000, end_ms=54_000)]
    segs = [segment(0, 0, 5_000, avg_logprob=-0.2), segment(1, 9_000, 13_000, avg_logprob=-1.8),
            segment(2, 19_000, 23_000, no_speech_prob=0.9),
            # span 50-54 s: 3 s of a good segment, 1 s of a bad one → weighted mean above the floor
            segment(3, 49_000, 53_000, avg_logprob=-0.4), segment(4, 53_000, 60_000, avg_logprob=-1.9)]
    ctx = FilterContext(CFG, speech_segments=frames([], [], segs)[2])
    got = AsrConfidenceFilter().reasons(table(rows), ctx).to_list()
    assert got == [None, "low_avg_logprob:-1.8", "high_no_speech_prob:0.9", "no_speech_segments", None]
    stats = AsrConfidenceFilter.span_confidence(table(rows), frames([], [], segs)[2]).sort("_row")
    assert stats.filter(pl.col("_row") == 4)["avg_logprob"][0] == pytest.approx((-0.4 * 3 + -1.9 * 1) / 4)


def test_single_row_call_gives_kept_or_reason():
    assert LengthFilter()(pair(0, "hi")) == (False, "prompt_too_short")
    assert LengthFilter()(pair(0, "how are you doing today")) == (True, None)


def test_first_reason_wins_and_counts_per_filter():
    events = [event(0, "!so @friend", author="coolguy"), event(1, "KEKW", author="x"),
              event(2, "what is the plan for tonight", author="y", deleted=True),
              event(3, "how did you learn to play like that", author="z")]
    rows = [pair(0, "!so @friend", author="coolguy"), pair(1, "KEKW", author="x"),
            pair(2, "what is the plan for tonight", author="y"), pair(3, "how did you learn to play like that",
                                                                      author="z")]
    p, e, _ = frames(rows, events)
    res = curate_video(p, e, None, "vid1")
    rej = {r["pair_id"]: (r["filter"], r["reason"]) for r in res.rejects.iter_rows(named=True)}
    assert rej == {"vid1-p0": ("bot", "bot_command"), "vid1-p1": ("emote_only", "emote_only"),
                   "vid1-p2": ("deleted", "deleted_by_moderator")}
    assert res.stats["filters"]["bot"] == 1 and res.stats["filters"]["emote_only"] == 1
    assert res.stats["filters"]["deleted"] == 1 and res.stats["filters"]["length"] == 0
    assert res.samples["pair_id"].to_list() == ["vid1-p3"]
