"""Generator families: written independently (no template shared), every hard case with ground truth."""

from __future__ import annotations

import itertools
import json
import random

import pytest

from multimodal_pipeline.synth import StreamSpec, generate_stream
from multimodal_pipeline.synth.families import FAMILY_NAMES, HELD_OUT_FAMILIES, TUNING_FAMILIES, family
from multimodal_pipeline.synth.tts import tokenize


def _templates(name: str) -> dict[str, set[str]]:
    f = family(name)
    return {
        "questions": {q for t in f.topics for q in t.questions} | {q for q, _ in f.yes_no}
        | {q for t in f.long_topics for q in t.questions},
        "answers": {a for t in f.topics for a in t.answers} | {s for t in f.long_topics for s in t.sentences},
        "leads": set(f.read_aloud) | set(f.named) | set(f.paid_read) | set(f.paid_named),
        "thanks": {t for v in f.thanks.values() for t in v} | set(f.member_replies),
        "monologue": set(f.monologue) | set(f.intros) | set(f.outros),
        "chatter": set(f.chatter),
        "dismiss": set(f.dismiss) | set(f.second_answer),
    }


def test_families_share_no_template_and_tuning_is_apart_from_held_out():
    assert set(TUNING_FAMILIES).isdisjoint(HELD_OUT_FAMILIES)
    assert set(TUNING_FAMILIES) | set(HELD_OUT_FAMILIES) == set(FAMILY_NAMES)
    for a, b in itertools.combinations(FAMILY_NAMES, 2):
        ta, tb = _templates(a), _templates(b)
        for kind in ta:
            shared = ta[kind] & tb[kind]
            assert not shared, (a, b, kind, sorted(shared)[:3])
        # and not the same sentence shapes: the lead templates differ once the names are filled in
        assert not ({t.format(name="X", text="Y", answer="Z", amount="A") for t in ta["leads"]}
                    & {t.format(name="X", text="Y", answer="Z", amount="A") for t in tb["leads"]})


def test_handles_differ_by_family():
    shapes = {name: {family(name).handle(random.Random(k))[0] for k in range(200)} for name in FAMILY_NAMES}
    for a, b in itertools.combinations(FAMILY_NAMES, 2):
        assert len(shapes[a] & shapes[b]) == 0


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_every_family_makes_a_stream(tmp_path, name):
    stream = generate_stream(tmp_path, StreamSpec(seed=3, duration_s=60, name=f"{name}-3", family=name))
    truth = json.loads(stream.truth.read_text())
    assert truth["messages"] and json.loads(stream.script.read_text())["utterances"]


def test_unknown_family_is_refused():
    with pytest.raises(ValueError, match="family"):
        StreamSpec(family="omega")


@pytest.fixture(scope="module")
def gamma_stream(tmp_path_factory):
    # a stream that holds every hard case checked below (seed 5 lost its two-in-one-breath pair when gamma's pauses
    # changed: the cases are drawn at random)
    return generate_stream(tmp_path_factory.mktemp("gamma"), StreamSpec(seed=7, duration_s=480, name="g7",
                                                                        family="gamma", chat_rate_per_min=40))


def test_hard_cases_have_ground_truth(gamma_stream):
    truth = json.loads(gamma_stream.truth.read_text())
    script = {u["utt_id"]: u for u in json.loads(gamma_stream.script.read_text())["utterances"]}
    answered = [m for m in truth["messages"] if m["answered"]]
    cases = {m["case"] for m in truth["messages"] if m["case"]}
    assert {"pair", "thanks", "dismissed"} <= cases | {t and "thanks" for t in truth["thanks"]}, cases
    for m in answered:
        # the reply (the answer alone) lies inside the spoken answer and has its own text
        assert m["answer_start_ms"] <= m["reply_start_ms"] < m["reply_end_ms"] <= m["answer_end_ms"]
        assert m["reply_text"] and m["author_spoken"] not in m["reply_text"].lower()
        spoken = " ".join(script[u]["text"] for u in m["answer_utt_ids"]).lower()
        assert all(w.lower() in spoken for w, _a, _b in tokenize(m["reply_text"]))
        if m["style"] == "read_aloud":
            assert m["reply_start_ms"] > m["answer_start_ms"]  # the read-aloud comes first
    for m in truth["messages"]:
        if m["case"] == "dismissed":
            assert not m["answered"] and m["reply_text"] is None
    for t in truth["thanks"]:  # the thanked chatter wrote something unrelated just before: not an answer
        theirs = [m for m in truth["messages"] if m["author"] == t["viewer"] and m["ts_ms"] <= t["start_ms"]]
        assert theirs and not any(m["answered"] and m["answer_start_ms"] == t["start_ms"] for m in theirs)
    pairs = [m for m in answered if m["case"] == "pair"]
    assert len(pairs) % 2 == 0 and pairs


def test_one_word_late_and_long_answers(tmp_path):
    stream = generate_stream(tmp_path, StreamSpec(seed=3, duration_s=900, name="b3", family="beta",
                                                  chat_rate_per_min=40))
    answered = [m for m in json.loads(stream.truth.read_text())["messages"] if m["answered"]]
    by_case = {}
    for m in answered:
        by_case.setdefault(m["case"], []).append(m)
    assert any(len(tokenize(m["reply_text"])) == 1 for m in by_case.get("yes_no", [])), sorted(by_case)
    assert all(20_000 <= m["lag_ms"] <= 40_000 for m in by_case.get("late", []))
    assert all(m["reply_end_ms"] - m["reply_start_ms"] >= 30_000 for m in by_case.get("long", []))
    assert by_case.get("late") and by_case.get("long") and by_case.get("out_of_order"), sorted(by_case)


def test_families_pause_differently_and_the_held_out_one_like_real_speech():
    """One scheduler once set every family's pauses, so a pause alone told where an utterance ended: families now
    pause differently, and the held-out family's pauses are shaped on the gaps between a real stream's cues."""
    import numpy as np

    from multimodal_pipeline.asr.subtitles import read_subtitles
    from multimodal_pipeline_tests.real_fixtures import real_fixture

    medians = {}
    for name in FAMILY_NAMES:
        rng = random.Random(7)
        medians[name] = float(np.median([family(name).pause_ms(rng) for _ in range(4000)]))
    tuning = [medians[n] for n in TUNING_FAMILIES]
    assert max(tuning) - min(tuning) >= 500, medians  # from a run-on talker to a measured one
    assert min(tuning) < 350  # at least one tuning family pauses less than the TTS between two sentences
    gaps = []
    for srt in ("20240208_stream_J2YmJL0PX5M.srt", "20240329_twitch_v2105205489.srt"):
        seg = read_subtitles(real_fixture(f"duckautomata__dokiscripts-data/{srt}"), "real")
        start, end = seg["start_ms"].to_numpy(), seg["end_ms"].to_numpy()
        gaps.extend((start[1:] - end[:-1]).tolist())
    real = float(np.median(gaps))
    assert all(abs(medians[n] - real) <= 200 for n in HELD_OUT_FAMILIES), (medians, real)
