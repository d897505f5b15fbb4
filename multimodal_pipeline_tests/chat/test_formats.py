"""Crafted files for each format's edge cases (written to tmp_path)."""

from __future__ import annotations

import json

from multimodal_pipeline.chat import ChatConfig, GenericColumns, parse_chat
from multimodal_pipeline_tests.chat.helpers import check_contract, row, write_lines

CH = "UCchannel"


def text_item(mid, text=None, runs=None, author="alice", aid="UCa", us=1_700_000_000_000_000):
    return {"liveChatTextMessageRenderer": {
        "id": mid, "timestampUsec": str(us), "authorName": {"simpleText": author},
        "authorExternalChannelId": aid, "message": {"runs": runs or [{"text": text}]}}}


def paid_item(mid, amount, text, author="bob", aid="UCb", us=1_700_000_001_000_000):
    return {"liveChatPaidMessageRenderer": {
        "id": mid, "timestampUsec": str(us), "authorName": {"simpleText": author}, "authorExternalChannelId": aid,
        "purchaseAmountText": {"simpleText": amount}, "message": {"runs": [{"text": text}]}}}


def replay(offset, action):
    return {"replayChatItemAction": {"actions": [action], "videoOffsetTimeMsec": str(offset)},
            "clickTrackingParams": "x"}


def add(item):
    return {"addChatItemAction": {"item": item, "clientId": "c"}}


SMILE = {"emoji": {"emojiId": "😀", "shortcuts": [":grinning_face:"], "searchTerms": ["grinning"]}}
CUSTOM = {"emoji": {"emojiId": "UCx/abc", "shortcuts": [":hand-pink-waving:"], "isCustomEmoji": True}}


def test_ytdlp_replay_jsonl(tmp_path):
    paid = paid_item("P1", "$5.00", "thanks!")
    ticker = {"addLiveChatTickerItemAction": {"item": {"liveChatTickerPaidMessageItemRenderer": {
        "id": "P1", "amount": {"simpleText": "$5.00"}, "showItemEndpoint": {"showLiveChatItemEndpoint": {
            "renderer": paid}}}}, "durationSec": "120"}}
    lines = [
        replay(1500, add(text_item("M1", runs=[SMILE, {"text": " hello "}, CUSTOM]))),  # emoji starts the message
        replay(2500, add(text_item("M2", runs=[CUSTOM, CUSTOM]))),  # emote-only
        "",  # blank line: ignored
        replay(3000, add(text_item("M3", text="a\u200db\u200bc\u2060"))),  # invisible characters
        replay(4000, add(paid)),
        replay(4200, ticker),  # ticker echo of P1: a duplicate, not a new event
        replay(5000, add({"liveChatPaidStickerRenderer": {
            "id": "S1", "timestampUsec": "1", "authorName": {"simpleText": "carol"},
            "authorExternalChannelId": "UCc", "purchaseAmountText": {"simpleText": "¥200"},
            "sticker": {"accessibility": {"accessibilityData": {"label": "a cat"}}}}})),
        replay(6000, add({"liveChatMembershipItemRenderer": {
            "id": "B1", "timestampUsec": "1", "authorName": {"simpleText": "dan"}, "authorExternalChannelId": "UCd",
            "headerPrimaryText": {"runs": [{"text": "Member for 6 months"}]},
            "message": {"runs": [{"text": "six months!"}]}}})),
        replay(7000, {"markChatItemAsDeletedAction": {"deletedStateMessage": {"runs": [{"text": "[message deleted]"}]},
                                                      "targetItemId": "M3"}}),
        replay(8000, add({"liveChatPlaceholderItemRenderer": {"id": "M9", "timestampUsec": "1"}})),
        replay(8001, {"replaceChatItemAction": {"targetItemId": "M9",
                                                "replacementItem": text_item("M9", text="held then shown")}}),
        replay(500, add(text_item("M0", text="earliest, written late"))),
    ]
    path = write_lines(tmp_path / "live_chat.json", lines)
    r = parse_chat(path, "vid")
    check_contract(r)
    assert r.format == "ytdlp_live_chat" and r.stats["variant"] == "replay"
    assert r.rejects.height == 0
    assert r.events["ts_ms"].to_list() == [500, 1500, 2500, 3000, 4000, 5000, 6000, 7000, 8001]
    assert r.stats["ticker_echoes"] == 1 and r.stats["skipped"] == {"placeholder": 1}
    m1 = row(r, ts_ms=1500)
    assert m1["text"] == "😀 hello :hand-pink-waving:"
    assert m1["fragments"] == [{"type": "emoji", "text": "😀", "emote_id": None},
                               {"type": "text", "text": " hello ", "emote_id": None},
                               {"type": "emote", "text": ":hand-pink-waving:", "emote_id": "UCx/abc"}]
    assert [f["type"] for f in row(r, ts_ms=2500)["fragments"]] == ["emote", "emote"]
    m3 = row(r, ts_ms=3000)
    assert m3["text"] == "a\u200db\u200bc\u2060" and m3["deleted"] is True
    mod = row(r, kind="moderation")
    assert mod["text"] == "[message deleted]" and mod["deleted"] is False
    p = row(r, kind="paid")
    assert (p["amount"], p["text"], p["author"], p["raw_ref"]) == ("$5.00", "thanks!", "bob", "live_chat.json:5")
    s = row(r, kind="sticker")
    assert (s["amount"], s["text"]) == ("¥200", "")
    assert row(r, kind="membership")["text"] == "six months!"
    shown = row(r, ts_ms=8001)
    assert shown["text"] == "held then shown" and shown["deleted"] is False
    assert r.stats["deleted"] == 1


def test_ytdlp_live_variant_uses_timestamp_usec(tmp_path):
    start_ms = 1_700_000_000_000
    lines = [{"replayChatItemAction": {"actions": [add(text_item(f"L{i}", text=f"m{i}",
                                                                 us=(start_ms + 10_000 * (i + 1)) * 1000))]},
              "videoOffsetTimeMsec": str(-99999 + i), "isLive": True} for i in range(3)]
    path = write_lines(tmp_path / "live.live_chat.json", lines)
    with_start = parse_chat(path, "vid", config=ChatConfig(stream_start_epoch_ms=start_ms))
    check_contract(with_start)
    assert with_start.stats["variant"] == "live"
    assert with_start.events["ts_ms"].to_list() == [10_000, 20_000, 30_000]
    assert with_start.stats["stream_start_source"] == "config" and with_start.stats["assumptions"] == []
    assumed = parse_chat(path, "vid")
    assert assumed.events["ts_ms"].to_list() == [0, 10_000, 20_000]
    assert assumed.stats["stream_start_source"] == "earliest_event" and assumed.stats["assumptions"]


def test_youtube_api_live_response_with_moderation(tmp_path):
    t = 1_700_000_000_000_000
    actions = [
        add(text_item("A1", text="spam 1", author="spammer", aid="UCspam", us=t)),
        add(text_item("A2", text="fine", author="alice", aid="UCa", us=t + 1_000_000)),
        add(text_item("A3", text="spam 2", author="spammer", aid="UCspam", us=t + 2_000_000)),
        {"markChatItemsByAuthorAsDeletedAction": {"deletedStateMessage": {"runs": [{"text": "[message retracted]"}]},
                                                  "externalChannelId": "UCspam"}},
        add(text_item("A4", text="bad word", author="eve", aid="UCe", us=t + 3_000_000)),
        {"replaceChatItemAction": {"targetItemId": "A4", "replacementItem": {
            "liveChatPlaceholderItemRenderer": {"id": "A4", "timestampUsec": str(t + 3_000_000)}}}},
        add(text_item("A5", text="later spam", author="spammer", aid="UCspam", us=t + 9_000_000)),
        {"someFutureAction": {"x": 1}},
    ]
    doc = {"responseContext": {}, "continuationContents": {"liveChatContinuation": {"actions": actions}}}
    path = tmp_path / "get_live_chat.json"
    path.write_text(json.dumps(doc, indent=2))
    r = parse_chat(path, "vid", config={"stream_start_epoch_ms": t // 1000})
    check_contract(r)
    assert r.format == "youtube_api" and r.stats["variant"] == "response/live"
    assert r.rejects.height == 1 and r.rejects["reason"][0] == "no YouTube chat action in this item"
    msgs = {x["text"]: x["deleted"] for x in r.events.filter(kind="message").iter_rows(named=True)}
    assert msgs == {"spam 1": True, "fine": False, "spam 2": True, "bad word": True, "later spam": False}
    mods = r.events.filter(kind="moderation")
    assert mods["text"].to_list() == ["[message retracted]", "[message replaced]"]
    assert mods["ts_ms"].to_list() == [2000, 3000]  # a delete action carries the time of the item before it
    assert row(r, text="fine")["raw_ref"] == "get_live_chat.json#actions[1]"


def test_chat_downloader_current_schema(tmp_path):
    items = [
        {"message_id": "m1", "message": ":red_heart: love :hand-pink-waving:", "message_type": "text_message",
         "action_type": "add_chat_item", "time_in_seconds": 1.5, "timestamp": 1_700_000_001_500_000,
         "author": {"name": "alice", "id": "UCa"},
         "emotes": [{"id": "❤", "name": ":red_heart:", "is_custom_emoji": False},
                    {"id": "UCx/abc", "name": ":hand-pink-waving:", "is_custom_emoji": True}]},
        {"message_id": "p1", "message": "take my money", "message_type": "paid_message", "time_in_seconds": 3.0,
         "timestamp": 1_700_000_003_000_000, "author": {"name": "bob", "id": "UCb"},
         "money": {"text": "€2.00", "amount": 2.0, "currency": "EUR"}},
        {"message_id": "p1", "message": "take my money", "message_type": "ticker_paid_message_item",
         "time_in_seconds": 3.2, "timestamp": 1_700_000_003_000_000, "author": {"name": "bob", "id": "UCb"},
         "money": {"text": "€2.00"}, "ticker_duration": 120},
        {"message_id": "t1", "message": "Kappa hi", "message_type": "text_message", "time_in_seconds": 4,
         "author": {"display_name": "Zed", "name": "zed", "id": "99"},
         "emotes": [{"id": "25", "name": "Kappa", "locations": ["0-4"]}]},
        {"message_type": "deleted_message", "action_type": "mark_chat_item_as_deleted",
         "target_message_id": "m1", "message": "[message deleted]", "time_in_seconds": 5},
        {"message_type": "placeholder_item", "time_in_seconds": 6},
    ]
    path = tmp_path / "chat.json"
    path.write_text(json.dumps(items))
    r = parse_chat(path, "vid")
    check_contract(r)
    assert r.format == "chat_downloader"
    assert r.events.height == 4 and r.stats["ticker_echoes"] == 1 and r.stats["skipped"] == {"placeholder_item": 1}
    m1 = row(r, ts_ms=1500)
    assert m1["text"] == "❤ love :hand-pink-waving:" and m1["deleted"] is True
    assert [f["type"] for f in m1["fragments"]] == ["emoji", "text", "emote"]
    assert row(r, kind="paid")["amount"] == "€2.00"
    zed = row(r, ts_ms=4000)
    assert zed["author"] == "Zed" and zed["fragments"][0] == {"type": "emote", "text": "Kappa", "emote_id": "25"}
    assert row(r, kind="moderation")["ts_ms"] == 5000
    # the same records as JSON Lines give the same events
    jl = write_lines(tmp_path / "chat.jsonl", items)
    r2 = parse_chat(jl, "vid")
    assert r2.format == "chat_downloader"
    assert r2.events.drop("raw_ref").equals(r.events.drop("raw_ref"))
    assert row(r2, kind="paid")["raw_ref"] == "chat.jsonl:2"


def test_twitch_comments_with_twitchdownloader_header(tmp_path):
    def comment(cid, off, body, **msg):
        return {"_id": cid, "content_offset_seconds": off, "commenter": {"display_name": "Viewer", "_id": "42",
                                                                         "name": "viewer"},
                "message": {"body": body, **msg}}

    doc = {
        "FileInfo": {"Version": {"Major": 1, "Minor": 3}, "CreatedAt": "2024-01-01T00:00:00Z"},
        "streamer": {"name": "Streamer", "id": 7},
        "video": {"title": "t", "id": "123", "start": 0, "end": 100, "length": 100},
        "comments": [
            comment("c1", 12.345, "LUL LUL", emoticons=[{"_id": "425618", "begin": 0, "end": 2},
                                                        {"_id": "425618", "begin": 4, "end": 6}]),
            comment("c2", 1.0, "cheer100 gg", bits_spent=100,
                    fragments=[{"text": "cheer100 gg", "emoticon": None}]),
            comment("c3", 50, "gifted!", user_notice_params={"msg-id": "subgift"}),
            comment("c4", "soon", "bad offset"),
        ],
        "embeddedData": {"thirdParty": [], "firstParty": []},
    }
    path = tmp_path / "twitchdownloader.json"
    path.write_text(json.dumps(doc, indent=2))
    r = parse_chat(path, "vid")
    check_contract(r)
    assert r.format == "twitch_comments" and r.stats["twitchdownloader_header"] is True
    assert r.events["ts_ms"].to_list() == [1000, 12345, 50000]
    lul = row(r, ts_ms=12345)
    assert [(f["type"], f["text"]) for f in lul["fragments"]] == [("emote", "LUL"), ("text", " "), ("emote", "LUL")]
    assert row(r, kind="paid")["amount"] == "100 bits"
    assert row(r, kind="gift")["text"] == "gifted!"
    assert r.rejects.height == 1 and r.rejects["raw_ref"][0] == "twitchdownloader.json#comments[3]"
    assert "content_offset_seconds" in r.rejects["reason"][0]


IRC_START = 1_700_000_000_000


def irc(ts, rest, mid="", extra=""):
    return f"@badge-info=;display-name=Alice;emotes={extra};id={mid};tmi-sent-ts={ts};user-id=11 {rest}"


def test_twitch_irc_raw_lines(tmp_path):
    lines = [
        ":tmi.twitch.tv 001 justinfan :Welcome",  # no tags: not chat, skipped
        irc(IRC_START + 1000, ":alice!alice@alice.tmi.twitch.tv PRIVMSG #chan :hello world", "a1"),
        irc(IRC_START + 2000, ":alice!alice@alice.tmi.twitch.tv PRIVMSG #chan Kappa", "a2", "25:0-4"),
        irc(IRC_START + 3000, ":alice!alice@alice.tmi.twitch.tv PRIVMSG #chan :\x01ACTION waves Kappa\x01", "a3",
            "25:6-10"),
        irc(IRC_START + 3500, ":alice!alice@alice.tmi.twitch.tv PRIVMSG #chan :bad emote range", "a4", "25:50-60"),
        f"@login=alice;room-id=1;target-msg-id=a1;tmi-sent-ts={IRC_START + 4000} :tmi.twitch.tv CLEARMSG #chan "
        ":hello world",
        f"@display-name=Bob;login=bob;msg-id=resub;system-msg=Bob\\ssubscribed\\sfor\\s3\\smonths!;id=u1;"
        f"tmi-sent-ts={IRC_START + 5000};user-id=22 :tmi.twitch.tv USERNOTICE #chan",
        f"@display-name=Raider;login=raider;msg-id=raid;system-msg=5\\sraiders;id=u2;tmi-sent-ts={IRC_START + 6000}"
        " :tmi.twitch.tv USERNOTICE #chan",
        "@emote-only=0;room-id=1 :tmi.twitch.tv ROOMSTATE #chan",
        "PING :tmi.twitch.tv",
        "@display-name=NoTime;id=x :x!x@x.tmi.twitch.tv PRIVMSG #chan :no timestamp",  # rejected
        "this is not irc at all",  # rejected
    ]
    path = write_lines(tmp_path / "chan.log", lines)
    r = parse_chat(path, "vid", config=ChatConfig(stream_start_epoch_ms=IRC_START))
    check_contract(r)
    assert r.format == "twitch_irc" and r.stats["variant"] == "raw_lines"
    assert r.events["ts_ms"].to_list() == [1000, 2000, 3000, 3500, 4000, 5000, 6000]
    assert r.stats["skipped"] == {"IRC 001": 1, "IRC PING": 1, "IRC ROOMSTATE": 1}
    assert sorted(r.rejects["raw_ref"].to_list()) == ["chan.log:11", "chan.log:12"]
    assert row(r, ts_ms=1000)["deleted"] is True  # CLEARMSG target
    assert row(r, ts_ms=2000)["fragments"] == [{"type": "emote", "text": "Kappa", "emote_id": "25"}]
    act = row(r, ts_ms=3000)
    assert act["text"] == "waves Kappa" and act["fragments"][-1]["emote_id"] == "25"
    assert row(r, ts_ms=3500)["fragments"] == [{"type": "text", "text": "bad emote range", "emote_id": None}]
    assert r.stats["bad_emote_positions"] == 1
    sub = row(r, kind="membership")
    assert (sub["author"], sub["text"]) == ("Bob", "Bob subscribed for 3 months!")
    assert row(r, kind="notice")["text"] == "5 raiders"
    assert row(r, kind="moderation")["author"] == "alice"


def test_twitch_irc_chatterino_jsonl_and_line_list(tmp_path):
    line = irc(IRC_START, ":alice!alice@alice.tmi.twitch.tv PRIVMSG #chan :hi", "z1")
    jl = write_lines(tmp_path / "snap.jsonl", [{"input": line, "output": {}}, {"input": line.replace("z1", "z2")}])
    r = parse_chat(jl, "vid")
    assert r.format == "twitch_irc" and r.events.height == 2 and r.events["raw_ref"].to_list() == [
        "snap.jsonl:1", "snap.jsonl:2"]
    arr = tmp_path / "lines.json"
    arr.write_text(json.dumps([line, line]))  # the same line twice: one event, one duplicate
    r2 = parse_chat(arr, "vid")
    assert r2.format == "twitch_irc" and r2.events.height == 1 and r2.stats["exact_duplicates"] == 1


def test_generic_jsonl_default_mapping(tmp_path):
    lines = [{"id": "g1", "ts_ms": 1200, "author": "a", "text": "hi", "kind": "message"},
             {"id": "g2", "ts_ms": "900", "author": "b", "text": "first", "amount": "$1", "kind": "paid"},
             {"id": "g3", "ts_ms": 1300, "text": "x", "kind": "shout"},
             {"id": "g4", "ts_ms": None, "text": "no time"},
             {"id": "g1", "ts_ms": 1200, "author": "a", "text": "hi", "kind": "message"}]
    r = parse_chat(write_lines(tmp_path / "export.jsonl", lines), "vid")
    check_contract(r)
    assert r.format == "generic_jsonl"
    assert r.events["text"].to_list() == ["first", "hi"] and r.stats["exact_duplicates"] == 1
    assert row(r, kind="paid")["amount"] == "$1"
    reasons = dict(zip(r.rejects["raw_ref"].to_list(), r.rejects["reason"].to_list(), strict=True))
    assert reasons["export.jsonl:3"].startswith("unknown kind 'shout'")
    assert reasons["export.jsonl:4"].startswith("bad time in column 'ts_ms'")


def test_generic_mapping_seconds_and_epoch(tmp_path):
    cols = GenericColumns(ts="time", ts_unit="s", ts_origin="epoch", text="body", author="user", id="uuid",
                          author_id=None, kind=None, amount=None)
    lines = [{"uuid": "1", "time": 1_700_000_010.25, "user": "a", "body": "x"},
             {"uuid": "2", "time": "1700000020", "user": "b", "body": "y"}]
    r = parse_chat(write_lines(tmp_path / "e.jsonl", lines), "vid", fmt="generic_jsonl",
                   config=ChatConfig(generic=cols, stream_start_epoch_ms=1_700_000_000_000))
    check_contract(r)
    assert r.events["ts_ms"].to_list() == [10250, 20000]
    iso = GenericColumns(ts="at", ts_unit="iso", text="msg")
    r2 = parse_chat(write_lines(tmp_path / "iso.jsonl", [{"at": "2024-01-01T00:00:05Z", "msg": "a"},
                                                         {"at": "2024-01-01T00:01:00+00:00", "msg": "b"}]),
                    "vid", config=ChatConfig(generic=iso))
    assert r2.format == "generic_jsonl" and r2.events["ts_ms"].to_list() == [0, 55000]
    assert r2.stats["assumptions"]


def test_generic_csv(tmp_path):
    path = tmp_path / "chat.csv"
    path.write_text('id,ts_ms,author,text\n'
                    'c1,1000,alice,"hello, world"\n'
                    'c2,2000,bob,"two\nlines"\n'
                    'c3,abc,carol,bad time\n'
                    'c4,4000,dave\n'
                    'c5,5000,erin,😀 emoji first\n', encoding="utf-8")
    r = parse_chat(path, "vid")
    check_contract(r)
    assert r.format == "generic_csv"
    assert r.events["text"].to_list() == ["hello, world", "two\nlines", "😀 emoji first"]
    assert r.events["raw_ref"].to_list() == ["chat.csv:2", "chat.csv:3", "chat.csv:7"]
    assert dict(zip(r.rejects["raw_ref"].to_list(), r.rejects["reason"].to_list(), strict=True)) == {
        "chat.csv:5": "bad time in column 'ts_ms': could not convert string to float: 'abc'",
        "chat.csv:6": "row has 3 fields, the header has 4"}
    semi = tmp_path / "semi.csv"
    semi.write_text("t;msg\n1.5;a\n", encoding="utf-8")
    cfg = ChatConfig(generic=GenericColumns(ts="t", ts_unit="s", text="msg", delimiter=";"))
    assert parse_chat(semi, "vid", config=cfg).events["ts_ms"].to_list() == [1500]
