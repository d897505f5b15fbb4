"""Completeness accounting and the pure check functions behind the chat asset checks."""

from __future__ import annotations

import json

import polars as pl

from multimodal_pipeline.chat import checks, completeness, parse_chat
from multimodal_pipeline_tests.chat.helpers import real, write_lines


def events_at(tmp_path, times, kind="message"):
    lines = [{"id": f"e{i}", "ts_ms": t, "text": f"m{i}", "kind": kind} for i, t in enumerate(times)]
    return parse_chat(write_lines(tmp_path / "e.jsonl", lines), "vid").events


def test_completeness_figures(tmp_path):
    ev = events_at(tmp_path, [-2000, 1000, 2000, 30_500, 61_000, 400_000, 700_000])
    c = completeness(ev, video_duration_ms=600_000, gap_threshold_ms=120_000)
    json.dumps(c)  # plain JSON values only
    assert c["events"] == 7 and c["messages"] == 7 and c["messages_in_video"] == 5
    assert c["events_before_start"] == 1 and c["events_after_end"] == 1
    assert c["messages_per_minute"] == [3, 1, 0, 0, 0, 0, 1, 0, 0, 0]
    assert c["messages_per_minute_max"] == 3 and c["messages_per_minute_mean"] == 0.5
    # silences over 2 min: 61 s → 400 s and 400 s → the end at 600 s
    assert c["gaps"] == 2 and c["longest_gap_ms"] == 339_000
    assert c["gaps_first"][0] == {"start_ms": 61_000, "end_ms": 400_000, "length_ms": 339_000}
    assert c["whole_second_share"] == round(6 / 7, 4)


def test_completeness_without_duration_and_empty(tmp_path):
    ev = events_at(tmp_path, [500, 1500, 125_000])
    c = completeness(ev)
    assert c["events_after_end"] is None and c["span_ms"] == 125_001
    assert c["messages_per_minute"] == [2, 0, 1] and c["gaps"] == 1
    empty = completeness(ev.clear())
    assert empty["messages"] == 0 and empty["messages_per_minute"] == [] and empty["whole_second_share"] is None


def test_moderation_is_not_chat_activity(tmp_path):
    ev = events_at(tmp_path, [1000, 2000], kind="moderation")
    assert completeness(ev)["messages"] == 0


def test_completeness_on_real_comments():
    # the Twitch comments give whole seconds only: the one-per-second clamping sign is 1.0
    ev = parse_chat(real("charlie-collard__twitch-chat-replay/1087079172.json"), "v").events
    c = completeness(ev, video_duration_ms=(48 * 60 + 58) * 1000)
    assert c["whole_second_share"] == 1.0 and c["events_after_end"] == 0 and c["messages"] == 3090
    assert len(c["messages_per_minute"]) == 49 and sum(c["messages_per_minute"]) == 3090


def test_checks_pass_on_a_good_table(tmp_path):
    ev = events_at(tmp_path, [0, 1000, 2000])
    rejects = parse_chat(write_lines(tmp_path / "r.jsonl", [{"ts_ms": 1, "text": "a"}]), "vid").rejects
    for passed, meta in (checks.check_schema(ev), checks.check_ts_in_video(ev, 3000),
                         checks.check_reject_rate(ev, rejects), checks.check_unique_event_ids(ev),
                         checks.check_completeness(ev, 3000)):
        assert passed is True
        json.dumps(meta)


def test_checks_fail_with_reasons(tmp_path):
    ev = events_at(tmp_path, [-10_000, 1000, 9_000])
    ok, meta = checks.check_ts_in_video(ev, video_duration_ms=5000, tolerance_ms=2000)
    assert not ok and meta["outside"] == 2 and meta["before_start"] == 1 and meta["after_end"] == 1
    assert checks.check_ts_in_video(ev, 5000, tolerance_ms=2000, max_outside_share=0.7)[0]
    assert not checks.check_ts_in_video(ev, None, tolerance_ms=2000)[0]  # only the lower bound without a duration

    bad = write_lines(tmp_path / "bad.jsonl", [{"ts_ms": 1, "text": "a"}, "not json", "nor this"])
    r = parse_chat(bad, "vid")
    ok, meta = checks.check_reject_rate(r.events, r.rejects, ceiling=0.5)
    assert not ok and meta["reject_rate"] == round(2 / 3, 6) and meta["top_reasons"] == {"invalid JSON": 2}

    dup = pl.concat([ev, ev.head(1)])
    ok, meta = checks.check_unique_event_ids(dup)
    assert not ok and meta["duplicated_ids"] == 1

    ok, meta = checks.check_schema(ev.with_columns(pl.lit("shout").alias("kind")))
    assert not ok and meta["field"] == "kind" and meta["row"] == 0
    ok, meta = checks.check_schema(ev.drop("fragments"))
    assert not ok and "missing column" in meta["error"]
