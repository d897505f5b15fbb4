"""The evaluation's own metrics on crafted cases: what a person sees at a glance must move the numbers."""

from __future__ import annotations

import polars as pl

from multimodal_pipeline.align.truth import names_in, score_pairs, span_precision, token_f1

ANSWER = "I use a Keychron keyboard with brown switches"


def test_token_f1_punishes_read_aloud_lead_name_and_monologue():
    clean = token_f1(ANSWER + ".", ANSWER)
    lead = token_f1("Pixel Bean asks, what keyboard do you use? " + ANSWER, ANSWER)
    tail = token_f1(ANSWER + ". Okay, let's head to the castle now, this knight has way too much health.", ANSWER)
    both = token_f1("Pixel Bean asks, what keyboard do you use? " + ANSWER + ". Let's head to the castle now.",
                    ANSWER)
    assert clean == 1.0
    assert both < lead < clean and tail < clean and lead < 0.8 and tail < 0.8
    assert token_f1("yes.", "Yes") == 1.0 and token_f1("", ANSWER) == 0.0 and token_f1("no", "yes") == 0.0


def test_span_precision_and_names():
    assert span_precision(1000, 3000, 1000, 3000) == 1.0
    assert span_precision(0, 4000, 1000, 3000) == 0.5  # a read-aloud before and a tail after the answer
    assert span_precision(5000, 6000, 1000, 3000) == 0.0
    assert names_in("thank you, Pixel Bean, for the follow", ["pixel bean", "moon beam"]) == 1
    assert names_in("pixelbean is here", ["pixel bean"]) == 0  # whole spoken words only


def _truth() -> pl.DataFrame:
    return pl.DataFrame({
        "ts_ms": [1000, 20_000, 40_000], "text": ["what keyboard?", "lol", "what mouse?"],
        "answered": [True, False, True], "style": ["read_aloud", None, "direct"], "case": [None, None, "late"],
        "answer_start_ms": [3000, None, 70_000], "answer_end_ms": [9000, None, 74_000],
        "reply_start_ms": [6000, None, 70_000], "reply_end_ms": [9000, None, 74_000],
        "reply_text": [ANSWER, None, "a light Razer mouse"]})


def test_score_pairs_counts_right_pairs_quality_names_and_thanks():
    truth = _truth()
    pairs = pl.DataFrame({
        "event_ts_ms": [1000, 20_000], "prompt": ["what keyboard?", "lol"],
        "response_start_ms": [3000, 21_000], "response_end_ms": [9000, 23_000],
        "response": ["Pixel Bean asks what keyboard? " + ANSWER, "thanks for the follow, Pixel Bean"]})
    extras = {"spoken_names": ["pixel bean"], "thanks": [{"start_ms": 21_000, "end_ms": 23_000}]}
    got = score_pairs(pairs, truth, extras)
    assert got["overall"]["correct"] == 1 and got["overall"]["pairs"] == 2 and got["overall"]["true_answers"] == 2
    assert 0 < got["overall"]["token_f1_sum"] < 0.9  # the read-aloud lead counts against the response
    assert got["overall"]["span_precision_sum"] == 0.5
    assert got["names_left"] == 2 and got["thanks_paired"] == 1
    assert got["case:late"]["true_answers"] == 1 and got["case:late"]["correct"] == 0
    # the same pair cut to the answer alone scores higher
    cut = pairs.head(1).with_columns(response=pl.lit(ANSWER), response_start_ms=pl.lit(6000))
    better = score_pairs(cut, truth, extras)
    assert better["overall"]["token_f1_sum"] == 1.0 and better["overall"]["span_precision_sum"] == 1.0
    assert better["names_left"] == 0
