"""Bad input: malformed lines, unknown formats, empty files, non-UTF-8 bytes — and a property test over garbage."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multimodal_pipeline.chat import FORMATS, ChatFormatError, parse_chat
from multimodal_pipeline.contracts import ChatEvent, polars_schema
from multimodal_pipeline_tests.chat.helpers import check_contract, row, write_lines


def ytdlp_line(i: int, text: str) -> str:
    return json.dumps({"replayChatItemAction": {"videoOffsetTimeMsec": str(1000 * i), "actions": [
        {"addChatItemAction": {"item": {"liveChatTextMessageRenderer": {
            "id": f"id{i}", "timestampUsec": "1", "authorName": {"simpleText": f"user{i}"},
            "authorExternalChannelId": f"UC{i}", "message": {"runs": [{"text": text}]}}}}}]}}, ensure_ascii=False)


def irc_line(i: int, text: str) -> str:
    return (f"@display-name=user{i};id=id{i};tmi-sent-ts={1_700_000_000_000 + 1000 * i};user-id={i} "
            f":user{i}!user{i}@user{i}.tmi.twitch.tv PRIVMSG #chan :{text}")


def generic_line(i: int, text: str) -> str:
    return json.dumps({"id": f"id{i}", "ts_ms": 1000 * i, "author": f"user{i}", "text": text}, ensure_ascii=False)


def cd_line(i: int, text: str) -> str:
    return json.dumps({"message_id": f"id{i}", "message": text, "message_type": "text_message",
                       "time_in_seconds": i, "author": {"name": f"user{i}", "id": str(i)}}, ensure_ascii=False)


LINE_MAKERS = {"ytdlp_live_chat": ytdlp_line, "twitch_irc": irc_line, "generic_jsonl": generic_line,
               "chat_downloader": cd_line}


def test_malformed_line_is_rejected_with_line_and_reason(tmp_path):
    path = write_lines(tmp_path / "live_chat.json", [ytdlp_line(1, "one"), '{"replayChatItemAction": {"act',
                                                     ytdlp_line(3, "three"), "[1, 2]", '{"foo": 1}'])
    r = parse_chat(path, "vid")
    check_contract(r)
    assert r.format == "ytdlp_live_chat"
    assert r.events["text"].to_list() == ["one", "three"]
    rej = r.rejects.to_dicts()
    assert [x["raw_ref"] for x in rej] == ["live_chat.json:2", "live_chat.json:4", "live_chat.json:5"]
    assert rej[0]["reason"].startswith("invalid JSON") and rej[0]["raw"] == '{"replayChatItemAction": {"act'
    assert rej[1]["reason"] == "not a JSON object (list)"
    assert rej[2]["reason"] == "no YouTube chat action in this line"
    assert set(r.rejects["video_id"].to_list()) == {"vid"} and set(r.rejects["source"].to_list()) == {
        "ytdlp_live_chat"}


def test_garbage_first_line_does_not_hide_the_format(tmp_path):
    path = write_lines(tmp_path / "x.json", ["garbage ~~~", ytdlp_line(1, "ok")])
    r = parse_chat(path, "vid")
    assert r.format == "ytdlp_live_chat" and r.events.height == 1 and r.rejects["raw_ref"].to_list() == ["x.json:1"]


def test_raw_is_truncated(tmp_path):
    path = write_lines(tmp_path / "c.jsonl", [generic_line(1, "ok"), "{" + "x" * 5000])
    r = parse_chat(path, "vid", config={"raw_max_chars": 100})
    assert len(r.rejects["raw"][0]) == 100


def test_unknown_format_lists_the_formats_tried(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Dear diary,\ntoday I watched a stream.\n")
    with pytest.raises(ChatFormatError) as exc:
        parse_chat(path, "vid")
    msg = str(exc.value)
    assert "notes.txt" in msg and "unknown chat format" in msg
    for fmt in FORMATS:
        assert fmt in msg
    assert exc.value.tried == FORMATS


def test_unknown_json_shape_and_unknown_format_name(tmp_path):
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"hello": [1, 2, 3]}, indent=1))
    with pytest.raises(ChatFormatError, match=r"other\.json: JSON document of an unknown shape"):
        parse_chat(path, "vid")
    with pytest.raises(ChatFormatError, match="unknown format name 'irc'"):
        parse_chat(path, "vid", fmt="irc")
    with pytest.raises(FileNotFoundError):
        parse_chat(tmp_path / "missing.json", "vid")


def test_truncated_document(tmp_path):
    path = tmp_path / "comments.json"
    path.write_text(json.dumps({"comments": [{"_id": "a", "content_offset_seconds": 1,
                                              "message": {"body": "x"}}]}, indent=2)[:-20])
    with pytest.raises(ChatFormatError, match="invalid JSON"):
        parse_chat(path, "vid")
    r = parse_chat(path, "vid", fmt="twitch_comments")  # the format is known: one reject, no crash
    assert r.events.height == 0 and r.rejects.height == 1 and r.rejects["raw_ref"][0] == "comments.json"


def test_csv_without_the_mapped_columns(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("when,what\n1,a\n")
    with pytest.raises(ChatFormatError):
        parse_chat(path, "vid")
    with pytest.raises(ChatFormatError, match="lacks the mapped column"):
        parse_chat(path, "vid", fmt="generic_csv")


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"[]", b"\xef\xbb\xbf"])
def test_empty_file_is_empty_tables(tmp_path, content):
    path = tmp_path / "empty.json"
    path.write_bytes(content)
    r = parse_chat(path, "vid")
    assert r.format == "empty" and r.events.height == 0 and r.rejects.height == 0
    assert r.events.schema == polars_schema(ChatEvent)
    check_contract(r)


@pytest.mark.parametrize("fmt", ["ytdlp_live_chat", "twitch_irc", "generic_jsonl", "generic_csv"])
def test_empty_file_with_a_format(tmp_path, fmt):
    path = tmp_path / "empty.log"
    path.write_bytes(b"")
    r = parse_chat(path, "vid", fmt=fmt)
    assert r.events.height == 0 and r.rejects.height == 0


def test_non_utf8_bytes_are_replaced_not_fatal(tmp_path):
    good = ytdlp_line(1, "caf\u00e9").encode()
    bad = ytdlp_line(2, "PLACEHOLDER").encode().replace(b"PLACEHOLDER", b"caf\xe9 \xff\xfe")  # Latin-1 bytes
    path = tmp_path / "live_chat.json"
    path.write_bytes(good + b"\n" + bad + b"\n")
    r = parse_chat(path, "vid")
    check_contract(r)
    assert r.events["text"].to_list() == ["café", "caf\ufffd \ufffd\ufffd"]
    assert r.stats["utf8_repaired_items"] == 1
    irc = tmp_path / "chan.log"
    irc.write_bytes(irc_line(1, "ok").encode() + b"\n" + irc_line(2, "XX").encode().replace(b"XX", b"\xc3\x28")
                    + b"\n")
    r2 = parse_chat(irc, "vid")
    assert r2.events["text"].to_list() == ["ok", "\ufffd("] and r2.stats["utf8_repaired_items"] == 1
    doc = tmp_path / "legacy.json"
    doc.write_bytes(b'[{"author": "a\xff", "message": "hi", "time_in_seconds": 1}]')
    r3 = parse_chat(doc, "vid")
    assert r3.format == "chat_downloader_legacy" and r3.events["author"].to_list() == ["a\ufffd"]


def test_utf16_file_with_bom(tmp_path):
    path = tmp_path / "u16.jsonl"
    path.write_bytes("\n".join([generic_line(1, "héllo"), generic_line(2, "😀")]).encode("utf-16"))
    r = parse_chat(path, "vid")
    assert r.format == "generic_jsonl" and r.events["text"].to_list() == ["héllo", "😀"]


def test_lone_surrogate_escape(tmp_path):
    path = write_lines(tmp_path / "s.jsonl", ['{"ts_ms": 1, "text": "bad \\ud800 half"}', generic_line(2, "ok")])
    r = parse_chat(path, "vid")
    check_contract(r)
    assert r.events.height == 2 and row(r, ts_ms=1)["text"].startswith("bad ")


def test_stable_ids_across_reruns(tmp_path):
    path = write_lines(tmp_path / "live_chat.json", [ytdlp_line(i, f"m{i}") for i in range(20)])
    a, b = parse_chat(path, "vid"), parse_chat(path, "vid")
    assert a.events["event_id"].to_list() == b.events["event_id"].to_list()
    assert a.events.equals(b.events)


# ---------------------------------------------------------------------------------------------------------------------
# property: garbage lines never crash a parser and never cost a valid line

_TEXT = st.text(st.characters(blacklist_characters="\r\n\x01\x00", blacklist_categories=("Cs",)), min_size=1,
                max_size=30)
_GARBAGE = st.one_of(
    st.binary(max_size=60).map(lambda b: b.replace(b"\n", b" ").replace(b"\r", b" ")),
    st.text(max_size=60).map(lambda s: s.replace("\n", " ").replace("\r", " ").encode("utf-8", "surrogatepass")),
    st.sampled_from([b"{", b"[]", b"null", b"{}", b'{"replayChatItemAction": 3}', b"@a B", b"@", b":x", b"\xff\xfe",
                     b'{"messages": 1}', b'{"input": 5}', b"PRIVMSG", b'{"ts_ms": "x", "text": 1}']),
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fmt=st.sampled_from(sorted(LINE_MAKERS)),
       lines=st.lists(st.one_of(st.tuples(st.just("valid"), _TEXT), st.tuples(st.just("garbage"), _GARBAGE)),
                      min_size=1, max_size=25))
def test_garbage_never_crashes_nor_loses_valid_lines(fmt, lines):
    make = LINE_MAKERS[fmt]
    out, valid_texts, garbage = [], [], 0
    for i, (what, value) in enumerate(lines):
        if what == "valid":
            out.append(make(i, value).encode("utf-8"))
            valid_texts.append(value)
        else:
            out.append(value)
            garbage += 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chat.log"
        path.write_bytes(b"\n".join(out) + b"\n")
        r = parse_chat(path, "vid", fmt=fmt)
    check_contract(r)
    assert r.events.height == len(valid_texts)
    assert sorted(r.events["text"].to_list()) == sorted(valid_texts)
    assert r.rejects.height + sum(r.stats["skipped"].values()) <= garbage
