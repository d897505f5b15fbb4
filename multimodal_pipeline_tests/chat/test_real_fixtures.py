"""Every real chat log under ../shared/fixtures/real parses with hand-verified counts and spot checks.

The expected counts were computed independently of the parser, with a few lines of python/jq over the raw JSON
(noted above each test); they are not read back from the parser's output.
"""

from __future__ import annotations

import json
import re

import pytest

from multimodal_pipeline.chat import parse_chat
from multimodal_pipeline_tests.chat.helpers import check_contract, real, row

PYTCHAT = "taizan-hokuto__pytchat"
XENOVA = "xenova__chat-downloader"
CHATTERINO = "Chatterino__chatterino2"


def test_pytchat_chatreplay():
    # jq '.continuationContents.liveChatContinuation.actions[].replayChatItemAction.actions[0].addChatItemAction
    #     .item | keys[0]' | sort | uniq -c  →  47 liveChatTextMessageRenderer, 1 liveChatPaidMessageRenderer,
    # 1 liveChatPlaceholderItemRenderer (skipped): 48 events; videoOffsetTimeMsec from "101308" to "3747045".
    r = parse_chat(real(f"{PYTCHAT}/chatreplay.json"), "v1")
    check_contract(r)
    assert r.format == "youtube_api"
    assert r.events.height == 48
    assert r.stats["kinds"] == {"message": 47, "paid": 1}
    assert r.stats["skipped"] == {"placeholder": 1}
    assert r.rejects.height == 0
    assert r.events["ts_ms"].to_list()[0] == 101308 and r.events["ts_ms"].to_list()[-1] == 3747045
    first = r.events.row(0, named=True)
    assert first["author"] == "だにょぉぉーん Frisk" and first["text"] == "や"
    assert first["raw_ref"] == "chatreplay.json#actions[0]"
    paid = row(r, kind="paid")
    assert paid["ts_ms"] == 3269119
    assert paid["author"] == "Svatopluk Čech" and paid["author_id"] == "UCXpFDJR-iw7NQ_nbj3wx0cQ"
    assert paid["amount"] == "CZK\u00a020.00"  # YouTube puts a no-break space between currency and number
    assert paid["text"] == "Hello from Czech Republic"
    # emoji typed as text survive; two adjacent text runs are merged into one text fragment
    smile = row(r, ts_ms=3363790)
    assert smile["text"] == "おつかれさま〜😊😊😊"
    assert smile["fragments"] == [{"type": "text", "text": "おつかれさま〜😊😊😊", "emote_id": None}]
    assert row(r, ts_ms=2505715)["text"] == "🦋❤️👍"  # emoji-only message, starts with an emoji
    assert "stream_start_epoch_ms" not in r.stats  # replay: offsets are the times, no assumption needed


def test_pytchat_superchat_0():
    # 52 replay actions: 46 text, 4 liveChatPaidMessageRenderer (￥6,000 @11152, €2 @11728, ￥300 @17680,
    # ￥500 @18640) and 2 addLiveChatTickerItemAction whose embedded renderer repeats the ￥6,000 and ￥500 paid
    # messages (same id, author, amount, text): 50 events, 2 ticker echoes removed. Every id is "dummy_id" (the file
    # is anonymised), so identity must not rest on the id alone.
    r = parse_chat(real(f"{PYTCHAT}/superchat_0.json"), "v1")
    check_contract(r)
    assert r.events.height == 50
    assert r.stats["kinds"] == {"message": 46, "paid": 4}
    assert r.stats["ticker_echoes"] == 2 and r.stats["duplicates_removed"] == 2
    paid = r.events.filter(kind="paid")
    assert paid["amount"].to_list() == ["￥6,000", "€2", "￥300", "￥500"]
    assert paid["ts_ms"].to_list() == [11152, 11728, 17680, 18640]
    assert r.events["ts_ms"].min() == 10000 and r.events["ts_ms"].max() == 20000


def test_pytchat_test_stream_live_response():
    # 7 live actions (no replay wrapper, timestampUsec 0): text x2, placeholder (skipped), a paid ticker (￥10,000:
    # its message is NOT in the file — the paid message there is ￥10,800 — so it is kept), a paid message, a paid
    # sticker (￥150) and a sponsor ticker whose membership item is not in the file (kept): 6 events.
    r = parse_chat(real(f"{PYTCHAT}/test_stream.json"), "v1")
    check_contract(r)
    assert r.events.height == 6
    assert r.stats["kinds"] == {"membership": 1, "message": 2, "paid": 2, "sticker": 1}
    assert r.stats["variant"] == "response/live"
    assert r.stats["stream_start_source"] == "earliest_event" and r.stats["assumptions"]
    assert set(r.events["ts_ms"].to_list()) == {0}
    assert sorted(r.events.filter(kind="paid")["amount"].to_list()) == ["￥10,000", "￥10,800"]
    sticker = row(r, kind="sticker")
    assert sticker["amount"] == "￥150" and sticker["text"] == "" and sticker["fragments"] == []
    assert row(r, kind="membership")["text"] == "メンバーシップ へようこそ！"


def test_chat_downloader_youtube_actions():
    # 19 bare actions (json.load → list of 19 dicts, one action key each): events from text (1), viewer engagement
    # (system), membership, donation announcement (paid $50.00), paid sticker ($9.99), mode change (system), a paid
    # sticker ticker (original absent: kept), markChatItemAsDeleted, markChatItemsByAuthorAsDeleted, 2 replace-with-
    # placeholder (4 moderation), a paid-message ticker (original absent: kept, $10.00), a sponsor ticker that echoes
    # the membership item (same id: removed), a pinned banner message (kept). Skipped: tooltip, banner removal, poll
    # panel, poll update, panel close. 13 events, 1 echo.
    r = parse_chat(real(f"{XENOVA}/youtube_actions.json"), "v1")
    check_contract(r)
    assert r.format == "youtube_api" and r.stats["variant"] == "action_list/live"
    assert r.stats["items"] == 19
    assert r.events.height == 13 and r.stats["ticker_echoes"] == 1
    assert r.stats["kinds"] == {"membership": 1, "message": 2, "moderation": 4, "paid": 2, "sticker": 2,
                                "system": 2}
    assert sum(r.stats["skipped"].values()) == 5
    assert r.stats["stream_start_epoch_ms"] == 1587851737705  # earliest timestampUsec // 1000
    techno = row(r, amount="$10.00")
    assert techno["text"] == "\u200b❤️ TECHNO SUPPORT ❤️"  # the zero-width space survives
    assert techno["author"] == "Kelly McDowell" and techno["kind"] == "paid"
    assert techno["ts_ms"] == 1597516833427 - 1587851737705
    assert row(r, amount="$50.00")["text"] == "Anonymous donated $50.00 to UN Foundation (UNF)"
    assert row(r, amount="$9.99")["author"] == "Kenley"
    member = row(r, kind="membership")
    assert member["author"] == "bifta89" and member["ts_ms"] == 0
    assert r.events.filter(kind="moderation")["deleted"].to_list() == [False] * 4


def test_chat_downloader_legacy_superchats():
    # 127 flat dicts: 69 without ticker_duration + 58 with it; every ticker item equals a non-ticker item on
    # (author_id, timestamp, amount, message) → 69 events, 58 echoes. 8 paid items have message null → text "".
    r = parse_chat(real(f"{XENOVA}/legacy_youtube_superchats_97w16cYskVI.json"), "v1")
    check_contract(r)
    assert r.format == "chat_downloader_legacy"
    assert r.events.height == 69 and r.stats["ticker_echoes"] == 58
    assert r.stats["kinds"] == {"paid": 69}
    assert (r.events["text"] == "").sum() == 8
    first = r.events.row(0, named=True)
    assert (first["author"], first["amount"], first["ts_ms"]) == ("Apricot the Lich", "£10.00", 0)
    assert first["author_id"] == "UCWgv3YTAX1ucqhi6xWNnulQ"
    assert r.events["ts_ms"].max() == 97769
    assert row(r, author="Dunzl")["text"] == "it aint much but its an honest donation"


def test_chat_downloader_legacy_twitch():
    # 19 flat dicts {author, message, time_in_seconds, time_text, timestamp}: 19 messages, time_in_seconds * 1000.
    r = parse_chat(real(f"{XENOVA}/legacy_twitch_vod_449716115.json"), "v1")
    check_contract(r)
    assert r.events.height == 19 and r.stats["kinds"] == {"message": 19}
    first, last = r.events.row(0, named=True), r.events.row(-1, named=True)
    assert (first["author"], first["text"], first["ts_ms"]) == ("jump3N", "guthenGG", 307000)
    assert (last["author"], last["text"], last["ts_ms"]) == ("Clallae566", "ni kommer förlora", 3169000)
    assert first["raw_ref"] == "legacy_twitch_vod_449716115.json#[0]"


def test_twitch_v5_comments():
    # jq '.comments | length' → 3090; user_notice_params msg-id: 19 resub + 2 sub (membership); fragments with an
    # emoticon: 930 in all, 616 comments made only of emotes; content_offset_seconds 0 … 2922.
    r = parse_chat(real("charlie-collard__twitch-chat-replay/1087079172.json"), "v1")
    check_contract(r)
    assert r.format == "twitch_comments"
    assert r.events.height == 3090
    assert r.stats["kinds"] == {"membership": 21, "message": 3069}
    frags = r.events["fragments"].to_list()
    assert sum(1 for fl in frags for f in fl if f["type"] == "emote") == 930
    assert sum(1 for fl in frags if fl and all(f["type"] == "emote" for f in fl)) == 616
    first = r.events.row(0, named=True)
    assert (first["author"], first["author_id"], first["text"], first["ts_ms"]) == ("DunkoPop", "75471431", "<3", 0)
    assert first["fragments"] == [{"type": "emote", "text": "<3", "emote_id": "555555584"}]
    assert first["raw_ref"] == "1087079172.json#comments[0]"
    last = r.events.row(-1, named=True)
    assert (last["author"], last["ts_ms"]) == ("awowadas", 2922000)
    sub = row(r, author="Edude123", kind="membership")
    assert sub["kind"] == "membership" and sub["fragments"][-1] == {"type": "emote", "text": "Kappa",
                                                                     "emote_id": "25"}
    assert r.stats["twitchdownloader_header"] is False


def test_chatterino_recent_messages_irc():
    # {"messages": [800 IRC strings]}: 798 PRIVMSG + 2 CLEARCHAT (timeouts of e7om and abitbol, ban-duration=180).
    # e7om wrote 3 messages before his timeout (and 1 after), abitbol 1 before: 4 messages marked deleted.
    # Earliest tmi-sent-ts 1704557984095 (the first line). 337 PRIVMSG lack the ':' before the text. emotes tags
    # hold 1002 id:start-end spans in all; 5 lines are /me (\x01ACTION ...\x01).
    r = parse_chat(real(f"{CHATTERINO}/recentmessages-nymn.json"), "v1")
    check_contract(r)
    assert r.format == "twitch_irc" and r.stats["variant"] == "recent_messages"
    assert r.events.height == 800
    assert r.stats["kinds"] == {"message": 798, "moderation": 2}
    assert r.stats["stream_start_epoch_ms"] == 1704557984095
    assert r.stats["irc_actions"] == 5
    deleted = r.events.filter("deleted")
    assert deleted.height == 4 and set(deleted["author"].to_list()) == {"e7om", "Abitbol"}  # display-name
    e7om = r.events.filter(author="e7om", kind="message")
    assert e7om["deleted"].to_list() == [True, True, True, False]
    mods = r.events.filter(kind="moderation")
    assert mods["text"].to_list() == ["timeout 180s", "timeout 180s"]
    assert mods["author_id"].to_list() == ["423574282", "31034458"]
    frags = r.events["fragments"].to_list()
    assert sum(1 for fl in frags for f in fl if f["type"] == "emote") == 1002
    first = r.events.row(0, named=True)
    assert (first["author"], first["ts_ms"]) == ("Purple_Geco", 0)
    assert first["fragments"][0] == {"type": "emote", "text": "forsenParty",
                                     "emote_id": "emotesv2_ee52e9d2f1344320bad5e93dd2a6e570"}
    assert first["raw_ref"] == "recentmessages-nymn.json#messages[0]"
    # a PRIVMSG without the ':' (one-word message) keeps its text
    lines = json.loads(real(f"{CHATTERINO}/recentmessages-nymn.json").read_text())["messages"]
    i = next(i for i, x in enumerate(lines) if " PRIVMSG #nymn " in x and " PRIVMSG #nymn :" not in x)
    assert row(r, raw_ref=f"recentmessages-nymn.json#messages[{i}]")["text"] == lines[i].split(" PRIVMSG #nymn ")[1]


# Chatterino snapshots: one {"input": IRC line} each → exactly one event; (kind, author, text, amount) read off the
# raw input line by hand.
SNAPSHOTS = {
    "simple": ("message", "jammehcow", "Kappa", None),
    "first-msg": ("message", "jammehcow", "Kappa", None),
    "action": ("message", "pajlada", "Kappa", None),
    "reply-root": ("message", "nerixyz", "@nerixyz d", None),
    "emotes2": ("message", "nerixyz", "BTTVEmote Kappa 7TVEmote 7TVEmote0w 7TVEmote0w 😂😂 PogChamp 7TVGlobal Keepo "
                "FFZEmote FFZGlobal", None),
    "cheer1": ("paid", "slyckity", "Cheer1 a Cheer1 Cheer1 Cheer1 Cheer1 b c", "5 bits"),
    "hype-chat1": ("paid", "matrHS", "Title: Beating the record. but who is recordingLOL", "NOK 14.00"),
    "announcement": ("notice", "Supinic", "mm test lol", None),
    "raid": ("notice", "nerixyz", "2 raiders from nerixyz have joined!", None),
    "sub-message": ("membership", "ronni", "Great stream -- keep it up!", None),
    "sub-gift": ("gift", "TWW2", "TWW2 gifted a Tier 1 sub to Mr_Woodchuck!", None),
    "sub-multi-month-anon-gift": ("gift", "AnAnonymousGifter",
                                  "An anonymous user gifted a Tier 1 sub to MohammadrezaDH!", None),
    "clearchat": ("moderation", None, "chat cleared", None),
    "clearmsg-non-truncated": ("moderation", "kooby_", "message deleted", None),
}


@pytest.mark.parametrize("name", sorted(SNAPSHOTS))
def test_chatterino_snapshots(name):
    path = real(f"{CHATTERINO}/irc_snapshots/{name}.json")
    r = parse_chat(path, "v1")
    check_contract(r)
    assert r.format == "twitch_irc" and r.stats["variant"] == "chatterino_snapshot"
    assert r.events.height == 1 and r.rejects.height == 0
    ev = r.events.row(0, named=True)
    kind, author, text, amount = SNAPSHOTS[name]
    assert (ev["kind"], ev["author"], ev["text"], ev["amount"]) == (kind, author, text, amount)
    assert ev["ts_ms"] == 0 and ev["raw_ref"] == f"{name}.json#input"
    line = json.loads(path.read_text())["input"]
    stamp = re.search(r"tmi-sent-ts=(\d+)", line)
    assert stamp and r.stats["stream_start_epoch_ms"] == int(stamp.group(1))


def test_snapshot_emotes_on_code_points():
    # emotes=25:10-14/305954156:50-57/1902:69-73 counts code points: the two 😂 before PogChamp are one position each
    r = parse_chat(real(f"{CHATTERINO}/irc_snapshots/emotes2.json"), "v1")
    emotes = [(f["text"], f["emote_id"]) for f in r.events["fragments"][0] if f["type"] == "emote"]
    assert emotes == [("Kappa", "25"), ("PogChamp", "305954156"), ("Keepo", "1902")]
    action = parse_chat(real(f"{CHATTERINO}/irc_snapshots/action.json"), "v1")
    assert action.events["fragments"][0].to_list() == [{"type": "emote", "text": "Kappa", "emote_id": "25"}]


def test_event_ids_are_stable_and_video_scoped():
    path = real(f"{CHATTERINO}/recentmessages-nymn.json")
    a, b = parse_chat(path, "v1"), parse_chat(path, "v1")
    assert a.events["event_id"].to_list() == b.events["event_id"].to_list()
    other = parse_chat(path, "v2")
    assert set(a.events["event_id"].to_list()).isdisjoint(other.events["event_id"].to_list())
