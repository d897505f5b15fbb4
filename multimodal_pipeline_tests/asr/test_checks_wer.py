"""The asset-check functions and the WER helper, on crafted tables (no model)."""

from __future__ import annotations

import json

from multimodal_pipeline.asr.checks import (
    check_no_repeats,
    check_reject_share,
    check_speech_coverage,
    check_timestamps,
    check_words_inside_segments,
    run_checks,
    speech_ms,
)
from multimodal_pipeline.asr.guards import apply_guards
from multimodal_pipeline.asr.wer import normalize_words, wer, word_errors

from .helpers import seg, table

GOOD = table(seg(0, 2_000, "hello chat"), seg(1_500, 4_000, "what is up"), seg(6_000, 8_000, "back again"))


def test_good_table_passes_every_check_with_json_metadata():
    kept, rejects = apply_guards(GOOD)
    results = run_checks(kept, rejects, audio_ms=10_000, stats={"real_time_factor": 0.1, "model_id": "m"})
    assert all(ok for ok, _ in results.values()), results
    json.dumps({k: meta for k, (_, meta) in results.items()})  # plain JSON values only
    cov = results["speech_coverage"][1]
    assert cov["speech_s"] == 6.0 and cov["coverage"] == 0.6 and cov["words"] == 7
    assert cov["real_time_factor"] == 0.1 and 0 < cov["mean_word_prob"] <= 1


def test_timestamps():
    assert speech_ms(GOOD) == 6_000
    ok, meta = check_timestamps(table(seg(0, 1_000, "a b"), seg(500, 12_000, "c d")), audio_ms=11_000)
    assert not ok and meta["beyond_audio"] >= 1
    ok, meta = check_timestamps(table(seg(3_000, 4_000, "a b"), seg(1_000, 2_000, "c d")), audio_ms=11_000)
    assert not ok and meta["out_of_order"] == 1
    bad_word = seg(1_000, 2_000, "x", words=[{"word": "x", "start_ms": -5, "end_ms": 10, "prob": 1.0}])
    ok, meta = check_timestamps(table(bad_word), audio_ms=11_000)
    assert not ok and meta["negative"] == 1


def test_words_inside_segments():
    inside = seg(1_000, 2_000, "a", words=[{"word": "a", "start_ms": 900, "end_ms": 2_150, "prob": 1.0}])
    assert check_words_inside_segments(table(inside), tolerance_ms=200)[0]
    outside = seg(1_000, 2_000, "a", words=[{"word": "a", "start_ms": 1_500, "end_ms": 2_600, "prob": 1.0}])
    ok, meta = check_words_inside_segments(table(outside), tolerance_ms=200)
    assert not ok and meta["words_outside"] == 1 and meta["max_overshoot_ms"] == 600


def test_coverage_and_reject_share():
    assert not check_speech_coverage(GOOD, audio_ms=600_000, min_coverage=0.05)[0]
    kept = table(seg(0, 1_000, "a b"))
    rejects = apply_guards(table(seg(0, 1_000, "x y", compression_ratio=9.0), seg(2_000, 3_000, "z w",
                                                                                  compression_ratio=9.0)))[1]
    ok, meta = check_reject_share(kept, rejects, max_share=0.5)
    assert not ok and meta["reject_share"] == 0.6667 and meta["rejected_by_reason"]["compression_ratio"] == 2


def test_no_repeats():
    ok, meta = check_no_repeats(table(seg(0, 1_000, "see you soon"), seg(1_000, 2_000, "See you soon!")))
    assert not ok and meta["repeats"] == 1
    assert check_no_repeats(GOOD)[0]


def test_wer():
    assert normalize_words("And so, my fellow Americans! Don't-stop") == ["and", "so", "my", "fellow", "americans",
                                                                        "don't", "stop"]
    assert wer("ask not what your country", "Ask not, what your country.") == 0.0
    r = word_errors("a b c d", "a x c d e")
    assert (r.substitutions, r.deletions, r.insertions, r.reference_words) == (1, 0, 1, 4)
    assert word_errors("a b c d", "a d").deletions == 2
    assert wer("a b", "") == 1.0 and wer("", "") == 0.0


def test_wer_spells_numbers_and_matches_word_timings():
    from multimodal_pipeline.asr.wer import matched_words, number_words

    assert number_words(32) == ["thirty", "two"] and number_words(1_200) == ["one", "thousand", "two", "hundred"]
    assert wer("we need about three more crystals, a thirty two inch monitor", "We need about 3 more crystals, "
               "a 32-inch monitor.") == 0.0
    ref = [{"word": "hello", "start_ms": 0, "end_ms": 300}, {"word": "chat", "start_ms": 350, "end_ms": 700},
           {"word": "welcome", "start_ms": 900, "end_ms": 1300}]
    hyp = [{"word": "Hello", "start_ms": 20, "end_ms": 310}, {"word": "cat,", "start_ms": 340, "end_ms": 690},
           {"word": "welcome.", "start_ms": 880, "end_ms": 1290}]
    pairs = matched_words(ref, hyp)
    assert [(r["word"], h["start_ms"]) for r, h in pairs] == [("hello", 20), ("welcome", 880)]
