"""The hallucination/loop guards on crafted segment tables (no model)."""

from __future__ import annotations

from multimodal_pipeline.asr import guards
from multimodal_pipeline.asr.guards import apply_guards, longest_tandem_repeat
from multimodal_pipeline.contracts.asr_config import GuardConfig

from .helpers import seg, table

CLEAN = [
    seg(0, 2_000, "hello chat how are you doing today"),
    seg(2_500, 5_000, "thanks for the follow that is really kind"),
    seg(5_200, 7_000, "let us get into the game"),
]


def test_clean_table_passes_untouched():
    kept, rejects = apply_guards(table(*CLEAN))
    assert kept.height == 3 and rejects.height == 0
    assert rejects.columns == [*kept.columns, "reason", "detail"]


def test_compression_ratio():
    df = table(*CLEAN, seg(8_000, 9_000, "la la la la", compression_ratio=3.1))
    assert guards.flag_compression_ratio(df, 2.4).to_list()[:3] == [None] * 3
    kept, rejects = apply_guards(df, GuardConfig(max_ngram_repeats=None))
    assert rejects["reason"].to_list() == ["compression_ratio"]
    assert "3.10 > 2.4" in rejects["detail"][0]
    assert apply_guards(df, GuardConfig(compression_ratio_max=None, max_ngram_repeats=None))[1].height == 0


def test_no_speech_needs_both_high_no_speech_and_low_logprob():
    df = table(
        seg(0, 1_000, "thank you", no_speech_prob=0.9, avg_logprob=-1.5),  # silence hallucination
        seg(2_000, 3_000, "good game everyone", no_speech_prob=0.9, avg_logprob=-0.3),  # confident: kept
        seg(4_000, 5_000, "what was that", no_speech_prob=0.2, avg_logprob=-1.5),  # speech, unsure: kept
    )
    kept, rejects = apply_guards(df)
    assert rejects["reason"].to_list() == ["no_speech"]
    assert rejects["text"].to_list() == ["thank you"]
    assert kept.height == 2


def test_avg_logprob_floor_is_off_by_default():
    df = table(seg(0, 1_000, "mumble mumble words", avg_logprob=-2.5))
    assert apply_guards(df)[1].height == 0
    assert apply_guards(df, GuardConfig(avg_logprob_floor=-2.0))[1]["reason"].to_list() == ["low_logprob"]


def test_tandem_repeats():
    assert longest_tandem_repeat("a b c".split(), 4)[0] == 1
    assert longest_tandem_repeat("no no no no no".split(), 4) == (5, ("no",))
    copies, gram = longest_tandem_repeat("so i said i don't know i don't know i don't know ok".split(), 6)
    assert (copies, gram) == (3, ("i", "don't", "know"))
    assert longest_tandem_repeat([], 3)[0] == 0


def test_ngram_loop_within_a_segment():
    loop = "I'm going to the store. " * 6
    df = table(*CLEAN, seg(8_000, 15_000, loop, compression_ratio=2.0))
    kept, rejects = apply_guards(df)
    assert rejects["reason"].to_list() == ["ngram_loop"]
    assert "x6" in rejects["detail"][0]
    # the same phrase four times is under the default limit (4)
    df = table(*CLEAN, seg(8_000, 15_000, "I'm going to the store. " * 4, compression_ratio=2.0))
    assert apply_guards(df)[1].height == 0


def test_segment_repeating_the_previous_one():
    df = table(
        seg(0, 2_000, "Thanks for watching, see you next time."),
        seg(2_100, 4_000, "thanks for watching see you next time"),  # same words: a loop across windows
        seg(4_100, 6_000, "Thanks for watching, see you next time!"),
        seg(6_500, 7_000, "yeah"),
        seg(7_100, 7_500, "yeah"),  # one word twice is speech (repeat_min_words=2)
    )
    kept, rejects = apply_guards(df)
    assert rejects["reason"].to_list() == ["repeats_previous", "repeats_previous"]
    assert kept["text"].to_list() == ["Thanks for watching, see you next time.", "yeah", "yeah"]
    assert apply_guards(df, GuardConfig(drop_repeated_segments=False))[1].height == 0


def test_words_smeared_over_a_silence():
    smeared = [
        {"word": "Thank", "start_ms": 10_000, "end_ms": 18_000, "prob": 0.4},
        {"word": "you.", "start_ms": 18_000, "end_ms": 29_000, "prob": 0.5},
    ]
    df = table(*CLEAN, seg(10_000, 29_000, "Thank you.", words=smeared))
    kept, rejects = apply_guards(df)
    assert rejects["reason"].to_list() == ["words_in_silence"]
    assert "2/2 words longer than 3000 ms" in rejects["detail"][0]
    # one long word among many is a pause absorbed by a real word: kept
    words = [{"word": "so", "start_ms": 10_000, "end_ms": 14_000, "prob": 0.9}] + [
        {"word": w, "start_ms": 14_000 + i * 300, "end_ms": 14_300 + i * 300, "prob": 0.9}
        for i, w in enumerate("what do you all think about".split())]
    df = table(*CLEAN, seg(10_000, 15_800, "so what do you all think about", words=words))
    assert apply_guards(df)[1].height == 0


def test_isolated_anomalous_segment():
    """An improbable, too-short-worded segment alone in a long silence is dropped; a confident one is kept."""
    weird = [{"word": "you", "start_ms": 20_000, "end_ms": 20_050, "prob": 0.05},
             {"word": "know", "start_ms": 20_050, "end_ms": 20_100, "prob": 0.1}]
    df = table(*CLEAN, seg(20_000, 20_100, "you know", words=weird), seg(30_000, 31_000, "anyway back to it"))
    kept, rejects = apply_guards(df)
    assert rejects["reason"].to_list() == ["words_in_silence"]
    assert "isolated" in rejects["detail"][0]
    fine = [{"word": "welcome", "start_ms": 20_000, "end_ms": 20_400, "prob": 0.95},
            {"word": "back", "start_ms": 20_400, "end_ms": 20_800, "prob": 0.95}]
    df = table(*CLEAN, seg(20_000, 20_800, "welcome back", words=fine), seg(30_000, 31_000, "anyway back to it"))
    assert apply_guards(df)[1].height == 0


def test_words_in_silence_by_vad_regions():
    df = table(
        seg(0, 2_000, "hello there everyone"),
        seg(12_000, 13_000, "thank you so much"),  # VAD heard nothing from 2.5 s to 20 s
        seg(20_000, 22_000, "ok where were we"),
    )
    regions = [(0, 2_500), (20_000, 22_500)]
    kept, rejects = apply_guards(df, speech_regions=regions)
    assert rejects["text"].to_list() == ["thank you so much"]
    assert "outside VAD speech" in rejects["detail"][0]
    # a short pause between regions is not a long silence
    assert apply_guards(df, speech_regions=[(0, 12_000), (13_000, 22_500)])[1].height == 0


def test_empty_and_first_reason_wins():
    df = table(seg(0, 1_000, "...", words=[]), seg(2_000, 3_000, "la la la la la la", compression_ratio=3.0))
    kept, rejects = apply_guards(df)
    assert kept.height == 0
    assert rejects["reason"].to_list() == ["empty", "compression_ratio"]  # compression runs before ngram_loop


def test_empty_input():
    kept, rejects = apply_guards(table())
    assert kept.height == 0 and rejects.height == 0 and "reason" in rejects.columns


def test_split_on_pauses():
    from multimodal_pipeline.asr.transcription import split_on_pauses

    words = [{"word": w, "start_ms": s, "end_ms": e, "prob": 0.9}
             for w, s, e in [("hi", 0, 300), ("chat.", 300, 600), ("So", 2_000, 2_200), ("today", 2_250, 2_600)]]
    row = {"start_ms": 0, "end_ms": 2_600, "text": "hi chat. So today", "words": words, "avg_logprob": -0.3,
           "no_speech_prob": 0.1, "compression_ratio": 1.0}
    pieces = split_on_pauses([row], 1_000)
    spans = [(p["start_ms"], p["end_ms"], p["text"]) for p in pieces]
    assert spans == [(0, 600, "hi chat."), (2_000, 2_600, "So today")]
    assert all(p["avg_logprob"] == -0.3 for p in pieces)
    assert split_on_pauses([row], 1_500) == [row]
    assert split_on_pauses([{**row, "words": []}], 10) == [{**row, "words": []}]
