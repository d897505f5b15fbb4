"""The vectorized paths give exactly what the row-by-row paths give: events (ids, times, authors, texts, fragments,
deleted marks, order), rejects and statistics, on the real fixtures turned into raw line files and on fuzzed lines.
(The row path is the reference; each fast path hands the lines it does not take to it.)"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from multimodal_pipeline.chat import parse_chat, twitch_irc
from multimodal_pipeline.contracts.chat_config import ChatConfig
from multimodal_pipeline_tests.chat.helpers import check_contract, real

CHATTERINO = "Chatterino__chatterino2"


def _both(path, monkeypatch, config=None):
    fast = parse_chat(path, "vid", config=config)
    with monkeypatch.context() as m:
        m.setattr(twitch_irc, "_vectorized_lines", lambda src, sink: False)
        slow = parse_chat(path, "vid", config=config)
    return fast, slow


def _same(fast, slow) -> None:
    check_contract(fast)
    assert_frame_equal(fast.events, slow.events)
    assert_frame_equal(fast.rejects, slow.rejects)
    fast_stats, slow_stats = dict(fast.stats), dict(slow.stats)
    fast_stats.pop("fast_path_events", None)
    slow_stats.pop("fast_path_events", None)
    assert fast_stats == slow_stats


def _real_irc_lines() -> list[str]:
    return json.loads(real(f"{CHATTERINO}/recentmessages-nymn.json").read_text())["messages"]


def test_irc_raw_lines_of_the_real_fixture(tmp_path, monkeypatch):
    lines = _real_irc_lines()
    path = tmp_path / "nymn.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fast, slow = _both(path, monkeypatch)
    _same(fast, slow)
    assert fast.events.height > 100 and fast.stats["variant"] == "raw_lines"
    assert fast.stats["fast_path_events"] > fast.events.height / 2
    kinds = set(fast.events["kind"].to_list())
    assert {"message", "moderation"} <= kinds  # timeouts and deletes mark earlier messages
    assert fast.stats["deleted"] > 0


IRREGULAR = [
    "",  # blank
    "   \t",
    "@badge-info=;id=dup;tmi-sent-ts=1704557985000;id=dup2 :a!a@a PRIVMSG #c :duplicate id tag",
    "@display-name=A\\sB;id=e1;tmi-sent-ts=1704557986000 :a!a@a PRIVMSG #c :escaped display name",
    "@id=e2;tmi-sent-ts=1704557987000;login= :nick!nick@nick PRIVMSG #c :empty login, nick from prefix",
    "@id=e3;tmi-sent-ts=1704557988000 :noexclamation PRIVMSG #c :no nick in the prefix",
    "@id=;tmi-sent-ts=1704557989000 :a!a@a PRIVMSG #c :empty id: the line is the key",
    "@id=e4;tmi-sent-ts=١٢٣ :a!a@a PRIVMSG #c :arabic digits",
    "@id=e5;tmi-sent-ts=99999999999999999999999 :a!a@a PRIVMSG #c :huge time",
    "@id=e6;tmi-sent-ts=1704557990000;bits= :a!a@a PRIVMSG #c :cheer",
    "@id=e7;tmi-sent-ts=1704557991000 :a!a@a PRIVMSG #c :\x01ACTION dances\x01",
    "@id=e8;tmi-sent-ts=1704557992000 :a!a@a PRIVMSG #c ::starts with a colon",
    "@id=e9;tmi-sent-ts=1704557993000 :a!a@a PRIVMSG #c",
    "@id=e10;tmi-sent-ts=1704557994000 :a!a@a PRIVMSG #c ",
    "@flag;id=e11;tmi-sent-ts=1704557995000 :a!a@a PRIVMSG #c :valueless tag",
    "@ :a!a@a PRIVMSG #c :empty tags",
    "@id=e12;tmi-sent-ts=1704557996000;emotes=25:0-4 :a!a@a PRIVMSG #c :Kappa with an emote",
    "@id=e13;tmi-sent-ts=1704557997000  :a!a@a PRIVMSG #c :two spaces",
    '{"input": "@id=e14;tmi-sent-ts=1704557998000 :a!a@a PRIVMSG #c :a snapshot line"}',
    '{"input": 5}',
    "@id=e1;tmi-sent-ts=1704557986000;display-name=A\\sB :a!a@a PRIVMSG #c :escaped display name",
    "@id=e15;tmi-sent-ts=1704557999000 :a!a@a PRIVMSG #c :text with\rcarriage return\r",
    "not irc at all",
    "@id=e16;tmi-sent-ts=1704558000000;target-user-id=7;ban-duration=5 :tmi.twitch.tv CLEARCHAT #c :a",
    # emote positions: several emotes and ranges out of order, code points after an emoji, and the ones the
    # row path refuses (overlapping, past the end, reversed, not ASCII digits, a bad group)
    "@id=f1;tmi-sent-ts=1704558001000;emotes=25:10-14,0-4/1902:6-8 :a!a@a PRIVMSG #c :Kappa Keo Kappa tail",
    "@id=f2;tmi-sent-ts=1704558002000;emotes=25:3-7 :a!a@a PRIVMSG #c :😀 Kappa",
    "@id=f3;tmi-sent-ts=1704558003000;emotes=25:0-4,3-6 :a!a@a PRIVMSG #c :Kappa Kappa",
    "@id=f4;tmi-sent-ts=1704558004000;emotes=25:0-40 :a!a@a PRIVMSG #c :Kappa",
    "@id=f5;tmi-sent-ts=1704558005000;emotes=25:4-0 :a!a@a PRIVMSG #c :Kappa",
    "@id=f6;tmi-sent-ts=1704558006000;emotes=25:٠-4 :a!a@a PRIVMSG #c :Kappa",
    "@id=f7;tmi-sent-ts=1704558007000;emotes=25 :a!a@a PRIVMSG #c :Kappa",
    "@id=f8;tmi-sent-ts=1704558008000;emotes=:0-4 :a!a@a PRIVMSG #c :Kappa",
    "@id=f9;tmi-sent-ts=1704558009000;emotes=25:0-4 :a!a@a PRIVMSG #c Kappa",
    "@id=f10;tmi-sent-ts=1704558010000;emotes=25:0-4,0-4 :a!a@a PRIVMSG #c :Kappa",
    # each tag that is read given twice (the row path decides which value wins), and names that end like another
    *[f"@id=g{i};tmi-sent-ts={1704558020000 + i};{t}=7;x=1;{t}=8 :a!a@a PRIVMSG #c :{t} twice"
      for i, t in enumerate(twitch_irc._TAGS_USED)],
    "@user-id=5;id=h1;tmi-sent-ts=1704558040000;xid=3;my-login=q :a!a@a PRIVMSG #c :lookalike tag names",
]


def test_irc_irregular_lines(tmp_path, monkeypatch):
    path = tmp_path / "odd.log"
    path.write_bytes("\r\n".join(_real_irc_lines()[:40] + IRREGULAR).encode("utf-8"))
    fast, slow = _both(path, monkeypatch)
    _same(fast, slow)
    assert fast.rejects.height >= 2
    f1 = fast.events.filter(text="Kappa Keo Kappa tail")["fragments"].item().to_list()
    assert [(f["type"], f["text"], f["emote_id"]) for f in f1] == [
        ("emote", "Kappa", "25"), ("text", " ", None), ("emote", "Keo", "1902"), ("text", " ", None),
        ("emote", "Kappa", "25"), ("text", " tail", None)]
    assert fast.stats["bad_emote_positions"] >= 4


@pytest.mark.parametrize("prefix", [b"\xef\xbb\xbf", b""])
def test_irc_bom_and_config(tmp_path, monkeypatch, prefix):
    path = tmp_path / "bom.log"
    path.write_bytes(prefix + "\n".join(_real_irc_lines()[:30]).encode("utf-8"))
    fast, slow = _both(path, monkeypatch, ChatConfig(stream_start_epoch_ms=1704557900000,
                                                     timeouts_delete_messages=False))
    _same(fast, slow)


_PIECES = st.sampled_from(IRREGULAR + _real_irc_lines()[:60])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(_PIECES, st.text(max_size=80).map(lambda t: t.replace("\n", " "))), min_size=1,
                      max_size=40))
def test_irc_fuzzed_lines(tmp_path, monkeypatch, lines):
    path = tmp_path / "fuzz.log"
    path.write_text("\n".join(["@id=first;tmi-sent-ts=1704557984000 :a!a@a PRIVMSG #c :first"] + lines) + "\n",
                    encoding="utf-8", errors="surrogatepass")
    fast, slow = _both(path, monkeypatch)
    _same(fast, slow)


# ---------------------------------------------------------------------------------------------------------------------
# yt-dlp live_chat.json: typed decoding of plain replay messages against the general path

PYTCHAT = "taizan-hokuto__pytchat"


def _ytdlp_both(path, monkeypatch):
    from multimodal_pipeline.chat import ytdlp_live_chat

    def never(_line):
        raise ValueError("typed path off")

    fast = parse_chat(path, "vid", fmt="ytdlp_live_chat")
    with monkeypatch.context() as m:
        m.setattr(ytdlp_live_chat, "_DECODE_PLAIN", never)
        slow = parse_chat(path, "vid", fmt="ytdlp_live_chat")
    return fast, slow


def _actions(name: str) -> list:
    return json.loads(real(f"{PYTCHAT}/{name}").read_text())["continuationContents"]["liveChatContinuation"]["actions"]


def _replay_lines() -> list[str]:
    """yt-dlp writes one replay wrapper a line, as pytchat's real replay response holds them."""
    return [json.dumps(a, ensure_ascii=False) for a in _actions("chatreplay.json")]


def test_ytdlp_lines_of_the_real_replay(tmp_path, monkeypatch):
    path = tmp_path / "live_chat.json"
    path.write_text("\n".join(_replay_lines()) + "\n", encoding="utf-8")
    fast, slow = _ytdlp_both(path, monkeypatch)
    _same(fast, slow)
    assert fast.events.height > 40 and {"message", "paid"} <= set(fast.events["kind"].to_list())
    assert fast.stats["fast_path_events"] > fast.events.height / 2


def _wrap(action: dict, offset: str = "5000", live: bool = False) -> str:
    line = {"replayChatItemAction": {"actions": [action], "videoOffsetTimeMsec": offset}}
    if live:
        line["isLive"] = True
    return json.dumps(line, ensure_ascii=False)


def _yt_irregular() -> list[str]:
    replay = _replay_lines()
    live = _actions("test_stream.json")
    text = json.loads(replay[0])["replayChatItemAction"]["actions"][0]
    emoji = json.loads(json.dumps(text))
    r = emoji["addChatItemAction"]["item"]["liveChatTextMessageRenderer"]
    r["message"]["runs"] = [{"text": "hi "}, {"emoji": {"emojiId": "😀", "shortcuts": [":grin:"]}}]
    r["id"] = "emoji-1"
    no_name = json.loads(json.dumps(text))
    del no_name["addChatItemAction"]["item"]["liveChatTextMessageRenderer"]["authorName"]
    no_name["addChatItemAction"]["item"]["liveChatTextMessageRenderer"]["id"] = "no-name"
    deleted_target = text["addChatItemAction"]["item"]["liveChatTextMessageRenderer"]["id"]

    def runs_variant(runs: list, nid: str) -> dict:  # the same message with other runs
        v = json.loads(json.dumps(text))
        v["addChatItemAction"]["item"]["liveChatTextMessageRenderer"]["message"]["runs"] = runs
        v["addChatItemAction"]["item"]["liveChatTextMessageRenderer"]["id"] = nid
        return v

    runs_cases = [runs_variant([{"text": "two "}, {"text": "runs"}], "runs-2"),
                  runs_variant([{"text": a} for a in ("five", " ", "text", " ", "runs")], "runs-5"),
                  runs_variant([], "runs-0"), runs_variant([{"text": ""}, {"text": "x"}], "runs-empty-first"),
                  runs_variant([{"text": None}, {"text": "y"}], "runs-null"),
                  runs_variant([{"text": "link", "navigationEndpoint": {"url": "u"}}, {"text": " z"}], "runs-link")]
    return [
        *[_wrap(v, str(9100 + k)) for k, v in enumerate(runs_cases)],
        *replay[:30],
        "",
        "{broken json",
        "[1, 2]",
        _wrap(emoji),
        _wrap(no_name, "7000"),
        _wrap(text, "not a number"),
        _wrap(text, "12.5"),
        _wrap({"markChatItemAsDeletedAction": {"targetItemId": deleted_target}}, "8000"),
        json.dumps(live[0], ensure_ascii=False),  # a bare action line, timed by the last line seen
        _wrap(text, "9000", live=True),
        replay[0],  # an exact duplicate
        *replay[30:60],
        json.dumps({"replayChatItemAction": {"actions": [text, text], "videoOffsetTimeMsec": "9500"}}),
        '{"replayChatItemAction": {"actions": [{"addChatItemAction": {"item": {"liveChatTextMessageRenderer": '
        '{"message": {"runs": [{"text": "lone \\ud800 surrogate"}]}, "id": "sur"}}}}], "videoOffsetTimeMsec": "9900"}}',
    ]


def test_ytdlp_irregular_lines(tmp_path, monkeypatch):
    path = tmp_path / "odd_live_chat.json"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(_yt_irregular()).encode("utf-8") + b"\n\xff\xfe broken utf-8\n")
    fast, slow = _ytdlp_both(path, monkeypatch)
    _same(fast, slow)
    assert fast.stats["deleted"] >= 1 and fast.rejects.height >= 3


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=50))
def test_ytdlp_fuzzed_line_orders(tmp_path, monkeypatch, picks):
    pool = _yt_irregular() + _replay_lines()[60:200]
    path = tmp_path / "fuzz_live_chat.json"
    path.write_text("\n".join(pool[i % len(pool)] for i in picks) + "\n", encoding="utf-8")
    fast, slow = _ytdlp_both(path, monkeypatch)
    _same(fast, slow)


# ---------------------------------------------------------------------------------------------------------------------
# chat-downloader JSON arrays: plain text messages as columns against the general path


def _cd_both(path, monkeypatch, config=None):
    from multimodal_pipeline.chat import chat_downloader

    fast = parse_chat(path, "vid", config=config)
    with monkeypatch.context() as m:
        m.setattr(chat_downloader, "_parse_array", chat_downloader._parse_items)
        slow = parse_chat(path, "vid", config=config)
    return fast, slow


def _cd(i: int, **over) -> dict:
    item = {"message_id": f"m{i}", "message": f"message number {i}", "message_type": "text_message",
            "action_type": "add_chat_item", "time_in_seconds": round(1.5 + i * 0.731, 3),
            "timestamp": 1_700_000_000_000_000 + i * 731_000, "time_text": "0:01",
            "author": {"name": f"user{i % 7}", "display_name": f"User {i % 7}", "id": f"UC{i % 7}",
                       "images": [{"url": "x"}]}}
    item.update(over)
    return item


CD_IRREGULAR = [
    _cd(100, time_in_seconds=12),  # an integer time: "12" in the key, not "12.0"
    _cd(101, time_in_seconds=0.00001),  # Python writes 1e-05
    _cd(102, time_in_seconds=-0.5),
    _cd(103, time_in_seconds="13.25"),
    _cd(104, time_in_seconds="soon"),
    _cd(105, time_in_seconds=0.0),
    _cd(106, time_in_seconds=0.0005),  # half a millisecond: rounds to even
    _cd(107, time_in_seconds=0.0015),
    _cd(108, timestamp=True),
    _cd(109, timestamp=None),
    _cd(110, timestamp=2**70),
    _cd(111, message_id=12345),
    _cd(112, message_id=None),
    _cd(113, message=None),
    _cd(114, message=42),
    _cd(115, author={"name": "only name", "id": 77}),
    _cd(116, author={"name": "n", "display_name": "", "id": "UCe"}),
    _cd(117, author={"name": None, "display_name": None, "id": None}),
    _cd(118, author={"name": True, "display_name": False, "id": True}),
    _cd(119, author="a string author", author_id="X1"),
    _cd(120, author=None),
    _cd(128, author={"name": "x", "display_name": 0, "id": "UCz"}),  # Python's `or` passes over a falsy name
    _cd(121, emotes=[{"id": "25", "name": "Kappa", "locations": ["0-4"]}], message="Kappa hi"),
    _cd(122, emotes=[]),
    _cd(123, message_type="paid_message", money={"text": "€2.00"}),
    _cd(123, message_type="ticker_paid_message_item", money={"text": "€2.00"}),
    _cd(124, bits=100),
    _cd(125, message_type=None),
    _cd(126, message_type=""),
    _cd(127, message_type="membership_item"),
    {"message_type": "deleted_message", "target_message_id": "m3", "message": "[message deleted]"},  # untimed
    {"message_type": "ban_user", "author": {"name": "user2", "id": "UC2"}},
    _cd(129),  # a plain message, then an untimed delete: the delete takes its time
    {"message_type": "deleted_message", "target_message_id": "m5", "message": "[message deleted]"},
    {"message_type": "placeholder_item", "time_in_seconds": 6.0},
    {"message_type": "timeout_user", "author": {"name": "user4", "id": "UC4"}, "time_in_seconds": 40.0},
    5, "a string", [1, 2], {"unrelated": True}, {},
    _cd(3),  # an exact duplicate of a plain message
    _cd(4, message="same id, other text"),
]


def test_chat_downloader_array_of_crafted_items(tmp_path, monkeypatch):
    items = [_cd(i) for i in range(60)]
    items[10:10] = CD_IRREGULAR
    path = tmp_path / "chat.json"
    path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    fast, slow = _cd_both(path, monkeypatch)
    _same(fast, slow)
    assert 0 < fast.stats["fast_path_events"] < len(items)
    assert fast.stats["deleted"] >= 2 and fast.rejects.height >= 5 and fast.stats["exact_duplicates"] >= 1
    fast, slow = _cd_both(path, monkeypatch, ChatConfig(timeouts_delete_messages=False))
    _same(fast, slow)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=60))
def test_chat_downloader_fuzzed_item_orders(tmp_path, monkeypatch, picks):
    pool = CD_IRREGULAR + [_cd(i) for i in range(40)]
    path = tmp_path / "fuzz_chat.json"
    items = [_cd(1000)] + [pool[i % len(pool)] for i in picks]  # the first item makes it a chat-downloader file
    path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    fast, slow = _cd_both(path, monkeypatch)
    _same(fast, slow)


def test_chat_downloader_pretty_printed_array(tmp_path, monkeypatch):
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps([_cd(i) for i in range(30)] + CD_IRREGULAR[:8], indent=2), encoding="utf-8")
    fast, slow = _cd_both(path, monkeypatch)
    _same(fast, slow)
    assert fast.stats["fast_path_events"] >= 30


def test_a_long_one_line_document_is_detected_from_its_bytes(tmp_path, monkeypatch):
    """Past 1 MiB without a line break the detector decodes the file's bytes straight away: the same result as the
    same array written over many lines, and a JSON Lines file with a long first record stays JSON Lines."""
    from multimodal_pipeline.chat import detect as detect_module

    items = [_cd(i, message="x" * 400 + f" {i}") for i in range(3000)] + CD_IRREGULAR
    one = tmp_path / "one.json"
    one.write_bytes(b"\xef\xbb\xbf" + json.dumps(items).encode("utf-8") + b"\n\n")
    assert one.stat().st_size > detect_module._BIG_LINE
    many = tmp_path / "one.json.d"
    many.mkdir()
    many = many / "one.json"  # the same file name: raw_ref names the file
    many.write_text(json.dumps(items, indent=1), encoding="utf-8")
    called = []
    real = detect_module._one_line_document
    monkeypatch.setattr(detect_module, "_one_line_document", lambda src, cfg: called.append(1) or real(src, cfg))
    fast, slow = parse_chat(one, "vid"), parse_chat(many, "vid")
    assert called and fast.format == "chat_downloader"
    _same(fast, slow)
    lines = tmp_path / "long_first.jsonl"
    lines.write_text("\n".join(json.dumps(x) for x in [_cd(0, message="y" * (2 << 20))] + items[1:50]) + "\n",
                     encoding="utf-8")
    r = parse_chat(lines, "vid")
    assert r.format == "chat_downloader" and r.events.height == 50 and r.events["raw_ref"][0] == "long_first.jsonl:1"


@pytest.mark.parametrize("tail", ["\n", "", "\n\n", "\n   \n"])
@pytest.mark.parametrize("gap", ["", "\n", "\n \t\n"])
def test_generic_jsonl_file_equal_to_the_row_path(tmp_path, monkeypatch, tail, gap):
    """The file is mapped, not read, and its lines counted in slices: blank and whitespace-only lines anywhere, a
    last line without its newline and a byte-order mark all give what the row path gives, line numbers included."""
    from multimodal_pipeline.chat import generic

    rows = [json.dumps({"id": f"g{i}", "ts_ms": 1000 * i, "author": f"u{i % 3}", "text": f"message {i}"})
            for i in range(40)]
    body = "\n".join(rows[:20]) + "\n" + gap + "\n".join(rows[20:]) + tail
    for name, data in (("plain.jsonl", body.encode()), ("bom.jsonl", b"\xef\xbb\xbf" + body.encode()),
                       ("spaces.jsonl", b" \n\t\n"), ("empty.jsonl", b"")):
        path = tmp_path / name
        path.write_bytes(data)
        fast = parse_chat(path, "vid")
        with monkeypatch.context() as m:
            m.setattr(generic, "_fast_jsonl", lambda src, sink: False)
            slow = parse_chat(path, "vid")
        _same(fast, slow)
        if name == "plain.jsonl":
            assert fast.events.height == 40
            assert (fast.stats.get("fast_path_events") == 40) == (gap == "" and tail in ("\n", ""))


def test_generic_jsonl_name_with_glob_characters_reads_its_own_file(tmp_path):
    """Polars expands glob patterns in paths: the fast path must read the named file, not one the pattern matches."""
    (tmp_path / "chat1.jsonl").write_text(json.dumps({"id": "a", "ts_ms": 1, "text": "another file"}) + "\n")
    own = tmp_path / "chat[1].jsonl"
    own.write_text("".join(json.dumps({"id": f"b{i}", "ts_ms": i, "text": f"mine {i}"}) + "\n" for i in range(3)))
    r = parse_chat(own, "vid")
    assert r.format == "generic_jsonl" and r.events["text"].to_list() == ["mine 0", "mine 1", "mine 2"]
    assert r.stats.get("fast_path_events") == 3
