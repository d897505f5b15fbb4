"""Write one planned chat in three real formats.

- ``youtube_live_chat``: yt-dlp's ``<id>.live_chat.json`` (one ``replayChatItemAction`` JSON object per line,
  ``videoOffsetTimeMsec`` as a string; renderer shapes as in the pytchat / chat-downloader samples).
- ``twitch_comments``: the Twitch v5 ``{"video": ..., "comments": [...]}`` document (TwitchDownloader's
  ``comments[]`` schema), ``content_offset_seconds`` as a float with millisecond precision.
- ``twitch_irc``: raw IRCv3 lines with tags as Twitch sends them (``tmi-sent-ts`` = stream start + offset).

Quirks real files have, kept on purpose: the YouTube file starts with the "Welcome to live chat" engagement
item and the IRC log with a ROOMSTATE line (neither is a chat message); Twitch cheers carry their cheermote
in the text (``Cheer500 ...``); YouTube subscribers ("memberships") are Twitch ``sub`` USERNOTICEs.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from . import banks
from .names import Viewer
from .plan import Msg, Plan
from .spec import StreamSpec

_TOKEN_RE = re.compile(r"\S+")
_YT_EMOJI_BASE = "https://www.youtube.com/s/gaming/emoji/7ff574f2"
_TWITCH_AVATAR = "https://static-cdn.jtvnw.net/user-default-pictures-uv/{}-profile_image-300x300.png"
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@dataclass
class Ids:
    youtube: str
    twitch: str  # the same UUID in the v5 comments (``_id``) and in IRC (``id`` tag), as on Twitch
    usec_jitter: int
    nonce: str


def assign_ids(plan: Plan, spec: StreamSpec) -> dict[str, Ids]:
    rng = random.Random(f"multimodal_pipeline.synth:{spec.seed}:ids")
    out: dict[str, Ids] = {}
    for m in plan.messages:
        inner = "C" + "".join(rng.choice(_B64) for _ in range(25))
        yt = base64.b64encode(b"\n\x1c\n\x1a" + inner.encode()).decode()
        tw = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        out[m.msg_id] = Ids(yt, tw, rng.randrange(1000), f"{rng.getrandbits(128):032x}")
    return out


def segments(text: str) -> list[tuple[str, str, int]]:
    """Split ``text`` into (kind, text, char offset) with kind text | twitch_emote | emoji | yt_emoji."""
    labels: list[str | None] = [None] * len(text)
    for m in _TOKEN_RE.finditer(text):
        tok = m.group()
        if tok in banks.TWITCH_EMOTES:
            for i in range(m.start(), m.end()):
                labels[i] = "twitch_emote"
        elif tok in banks.YT_CUSTOM_EMOJI:
            for i in range(m.start(), m.end()):
                labels[i] = "yt_emoji"
    out: list[tuple[str, str, int]] = []
    i = 0
    while i < len(text):
        lab = labels[i]
        if lab is None and text[i] in banks.EMOJI:
            out.append(("emoji", text[i], i))
            i += 1
            continue
        if lab is not None:
            j = i
            while j < len(text) and labels[j] == lab and not text[j].isspace():
                j += 1
            out.append((lab, text[i:j], i))
            i = j
            continue
        j = i
        while j < len(text) and labels[j] is None and text[j] not in banks.EMOJI:
            j += 1
        out.append(("text", text[i:j], i))
        i = j
    return out


def twitch_text(m: Msg) -> str:
    if m.kind == "paid" and m.bits:
        return f"Cheer{m.bits} {m.text}"
    if m.kind == "membership":
        return f"{m.author.handle} subscribed at Tier 1. "
    return m.text


def youtube_text(m: Msg, spec: StreamSpec) -> str:
    if m.kind == "membership":
        return f"Welcome to {spec.streamer}!"
    return m.text


def _iso(epoch_ms: int) -> str:
    t = dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{epoch_ms % 1000:03d}Z"


def _hms(ms: int) -> str:
    s = ms // 1000
    h, rem = divmod(s, 3600)
    mi, se = divmod(rem, 60)
    return f"{h}:{mi:02d}:{se:02d}" if h else f"{mi}:{se:02d}"


# ---- YouTube (yt-dlp live_chat.json) ---------------------------------------------------------------


def _yt_photo(v: Viewer) -> dict:
    key = v.yt_channel[2:14]
    return {"thumbnails": [
        {"url": f"https://yt4.ggpht.com/ytc/{key}=s32-c-k-c0x00ffffff-no-rj", "width": 32, "height": 32},
        {"url": f"https://yt4.ggpht.com/ytc/{key}=s64-c-k-c0x00ffffff-no-rj", "width": 64, "height": 64},
    ]}


def _yt_runs(text: str) -> list[dict]:
    runs: list[dict] = []
    for kind, part, _off in segments(text):
        if kind == "emoji":
            short = banks.EMOJI[part]
            runs.append({"emoji": {
                "emojiId": part,
                "shortcuts": list(short),
                "searchTerms": [w for w in short[0].strip(":").split("_") if w],
                "image": {
                    "thumbnails": [{"url": f"{_YT_EMOJI_BASE}/emoji_u{ord(part):x}.svg"}],
                    "accessibility": {"accessibilityData": {"label": part}},
                },
            }})
        elif kind == "yt_emoji":
            eid = banks.YT_CUSTOM_EMOJI[part]
            key = eid.split("/")[-1]
            label = part.strip(":")
            runs.append({"emoji": {
                "emojiId": eid,
                "shortcuts": [part],
                "searchTerms": [label],
                "image": {
                    "thumbnails": [
                        {"url": f"https://yt3.ggpht.com/{key}=w24-h24-c-k-nd", "width": 24, "height": 24},
                        {"url": f"https://yt3.ggpht.com/{key}=w48-h48-c-k-nd", "width": 48, "height": 48},
                    ],
                    "accessibility": {"accessibilityData": {"label": label}},
                },
                "isCustomEmoji": True,
            }})
        elif runs and "text" in runs[-1]:
            runs[-1]["text"] += part
        else:
            runs.append({"text": part})
    return runs


def _context_menu(rng: random.Random) -> dict:
    params = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(90))).decode()
    return {
        "commandMetadata": {"webCommandMetadata": {"ignoreNavigation": True}},
        "liveChatItemContextMenuEndpoint": {"params": params},
    }


_ACCESS = {"accessibilityData": {"label": "Chat actions"}}
_MOD_BADGE = {"liveChatAuthorBadgeRenderer": {
    "icon": {"iconType": "MODERATOR"}, "tooltip": "Moderator",
    "accessibility": {"accessibilityData": {"label": "Moderator"}},
}}
_PAID_COLORS = {  # by amount: header bg, header text, body bg, body text (ARGB ints as YouTube sends)
    "low": (4278237396, 4278190080, 4278248959, 4278190080),
    "mid": (4294947584, 4278190080, 4294953512, 4278190080),
    "high": (4293271831, 4294967295, 4294278144, 4294967295),
}


def write_youtube(path: Path, plan: Plan, spec: StreamSpec, ids: dict[str, Ids]) -> None:
    rng = random.Random(f"multimodal_pipeline.synth:{spec.seed}:youtube")
    lines: list[str] = []

    def action(item: dict, offset_ms: int) -> str:
        ctp = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(27))).decode()
        return json.dumps({
            "clickTrackingParams": ctp,
            "replayChatItemAction": {
                "actions": [{"clickTrackingParams": ctp, "addChatItemAction": {"item": item}}],
                "videoOffsetTimeMsec": str(offset_ms),
            },
        }, ensure_ascii=False)

    welcome = {"liveChatViewerEngagementMessageRenderer": {
        "id": "welcome-" + spec.name,
        "timestampUsec": str(spec.stream_start_epoch_ms * 1000),
        "icon": {"iconType": "YOUTUBE_ROUND"},
        "message": {"runs": [{"text": "Welcome to live chat! Remember to guard your privacy and abide by our "
                                      "community guidelines."}]},
        "actionButton": {"buttonRenderer": {"style": "STYLE_BLUE_TEXT", "size": "SIZE_DEFAULT",
                                            "text": {"simpleText": "LEARN MORE"}}},
    }}
    lines.append(action(welcome, 0))
    for m in plan.messages:
        i = ids[m.msg_id]
        usec = str((spec.stream_start_epoch_ms + m.ts_ms) * 1000 + i.usec_jitter)
        common_head = {"id": i.youtube, "timestampUsec": usec}
        author = {"authorName": {"simpleText": m.author.handle}, "authorPhoto": _yt_photo(m.author)}
        if m.kind == "membership":
            item = {"liveChatMembershipItemRenderer": {
                **common_head,
                "timestampText": {"simpleText": _hms(m.ts_ms)},
                "authorExternalChannelId": m.author.yt_channel,
                "headerSubtext": {"runs": [{"text": "Welcome to "}, {"text": spec.streamer}, {"text": "!"}]},
                **author,
                "authorBadges": [{"liveChatAuthorBadgeRenderer": {
                    "customThumbnail": {"thumbnails": [{"url": "https://yt3.ggpht.com/member-badge=s16-c-k"},
                                                       {"url": "https://yt3.ggpht.com/member-badge=s32-c-k"}]},
                    "tooltip": "New member",
                    "accessibility": {"accessibilityData": {"label": "New member"}},
                }}],
                "contextMenuEndpoint": _context_menu(rng),
                "contextMenuAccessibility": _ACCESS,
            }}
        elif m.kind == "paid":
            tier = "low" if (m.bits or 0) < 500 else ("mid" if (m.bits or 0) < 1000 else "high")
            hb, ht, bb, bt = _PAID_COLORS[tier]
            body = {
                **common_head,
                **author,
                "purchaseAmountText": {"simpleText": m.amount},
            }
            if m.text:
                body["message"] = {"runs": _yt_runs(m.text)}
            body.update({
                "headerBackgroundColor": hb, "headerTextColor": ht, "bodyBackgroundColor": bb,
                "bodyTextColor": bt, "authorExternalChannelId": m.author.yt_channel,
                "authorNameTextColor": 3003121664, "contextMenuEndpoint": _context_menu(rng),
                "timestampColor": 2147483648, "contextMenuAccessibility": _ACCESS,
                "timestampText": {"simpleText": _hms(m.ts_ms)},
            })
            item = {"liveChatPaidMessageRenderer": body}
        else:
            body = {
                "message": {"runs": _yt_runs(m.text)},
                **author,
                "contextMenuEndpoint": _context_menu(rng),
                **common_head,
            }
            if m.author.is_bot:
                body["authorBadges"] = [_MOD_BADGE]
            body.update({
                "authorExternalChannelId": m.author.yt_channel,
                "contextMenuAccessibility": _ACCESS,
                "timestampText": {"simpleText": _hms(m.ts_ms)},
            })
            item = {"liveChatTextMessageRenderer": body}
        lines.append(action(item, m.ts_ms))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---- Twitch v5 comments ------------------------------------------------------------------------------


def _twitch_fragments(text: str) -> tuple[list[dict], list[dict]]:
    frags: list[dict] = []
    emoticons: list[dict] = []
    for kind, part, off in segments(text):
        if kind == "twitch_emote":
            eid = banks.TWITCH_EMOTES[part]
            frags.append({"text": part, "emoticon": {"emoticon_id": eid, "emoticon_set_id": ""}})
            emoticons.append({"_id": eid, "begin": off, "end": off + len(part) - 1})
        elif frags and "emoticon" not in frags[-1]:
            frags[-1]["text"] += part
        else:
            frags.append({"text": part})
    return frags, emoticons


def _badges(v: Viewer, m: Msg) -> list[dict]:
    if v.is_bot:
        return [{"_id": "moderator", "version": "1"}]
    if m.kind == "membership":
        return [{"_id": "subscriber", "version": "0"}]
    if m.kind == "paid" and m.bits:
        return [{"_id": "bits", "version": "100"}]
    return []


def write_twitch_comments(path: Path, plan: Plan, spec: StreamSpec, ids: dict[str, Ids], channel: dict) -> None:
    start = spec.stream_start_epoch_ms
    d = plan.duration_ms // 1000
    h, rem = divmod(d, 3600)
    mi, se = divmod(rem, 60)
    duration = (f"{h}h" if h else "") + (f"{mi}m" if (h or mi) else "") + f"{se}s"
    video = {
        "id": channel["video_id"],
        "stream_id": channel["stream_id"],
        "user_id": channel["user_id"],
        "user_login": spec.streamer.lower(),
        "user_name": spec.streamer,
        "title": f"{plan.game} with chat ({spec.name})",
        "description": "",
        "created_at": _iso(start)[:19] + "Z",
        "published_at": _iso(start)[:19] + "Z",
        "url": f"https://www.twitch.tv/videos/{channel['video_id']}",
        "thumbnail_url": "https://static-cdn.jtvnw.net/cf_vods/synthetic/thumb/thumb0-%{width}x%{height}.jpg",
        "viewable": "public",
        "view_count": 0,
        "language": "en",
        "type": "archive",
        "duration": duration,
        "muted_segments": None,
    }
    comments = []
    for m in plan.messages:
        i = ids[m.msg_id]
        v = m.author
        body = twitch_text(m)
        frags, emoticons = _twitch_fragments(body)
        msg: dict = {"body": body}
        if emoticons:
            msg["emoticons"] = emoticons
        msg["fragments"] = frags
        msg["is_action"] = False
        badges = _badges(v, m)
        if badges:
            msg["user_badges"] = badges
        msg["user_color"] = v.color
        if m.kind == "paid" and m.bits:
            msg["bits_spent"] = m.bits
        msg["user_notice_params"] = ({
            "msg-id": "sub", "msg-param-cumulative-months": "1", "msg-param-months": "0",
            "msg-param-multimonth-duration": "1", "msg-param-multimonth-tenure": "0",
            "msg-param-should-share-streak": "0", "msg-param-sub-plan": "1000",
            "msg-param-sub-plan-name": f"Channel Subscription ({spec.streamer.lower()})",
            "msg-param-was-gifted": "false",
        } if m.kind == "membership" else {})
        created = _iso(start + m.ts_ms)
        comments.append({
            "_id": i.twitch,
            "created_at": created,
            "updated_at": created,
            "channel_id": channel["user_id"],
            "content_type": "video",
            "content_id": channel["video_id"],
            "content_offset_seconds": round(m.ts_ms / 1000, 3),
            "commenter": {
                "display_name": v.handle,
                "_id": v.twitch_id,
                "name": v.login,
                "type": "user",
                "bio": None,
                "created_at": "2019-03-02T17:21:09.482Z",
                "updated_at": "2023-10-01T08:00:00.000Z",
                "logo": _TWITCH_AVATAR.format(v.twitch_id),
            },
            "source": "chat",
            "state": "published",
            "message": msg,
        })
    doc = {"video": video, "comments": comments}
    path.write_text(json.dumps(doc, indent=4) + "\n", encoding="utf-8")


# ---- Twitch IRC --------------------------------------------------------------------------------------

_ESC = {"\\": "\\\\", ";": "\\:", " ": "\\s", "\r": "\\r", "\n": "\\n"}


def irc_escape(value: str) -> str:
    return "".join(_ESC.get(c, c) for c in value)


def irc_emotes_tag(text: str) -> str:
    order: list[str] = []
    spans: dict[str, list[str]] = {}
    for kind, part, off in segments(text):
        if kind == "twitch_emote":
            eid = banks.TWITCH_EMOTES[part]
            if eid not in spans:
                order.append(eid)
                spans[eid] = []
            spans[eid].append(f"{off}-{off + len(part) - 1}")
    return "/".join(f"{eid}:{','.join(spans[eid])}" for eid in order)


def write_twitch_irc(path: Path, plan: Plan, spec: StreamSpec, ids: dict[str, Ids], channel: dict) -> None:
    chan = "#" + spec.streamer.lower()
    room = channel["user_id"]
    lines = [f"@emote-only=0;followers-only=-1;r9k=0;room-id={room};slow=0;subs-only=0 :tmi.twitch.tv ROOMSTATE {chan}"]
    for m in plan.messages:
        i = ids[m.msg_id]
        v = m.author
        ts = spec.stream_start_epoch_ms + m.ts_ms
        badges = ",".join(f"{b['_id']}/{b['version']}" for b in _badges(v, m))
        if m.kind == "membership":
            system = f"{v.handle} subscribed at Tier 1."
            tags = [
                ("badge-info", "subscriber/1"), ("badges", badges), ("color", v.color), ("display-name", v.handle),
                ("emotes", ""), ("flags", ""), ("id", i.twitch), ("login", v.login), ("mod", "0"),
                ("msg-id", "sub"), ("msg-param-cumulative-months", "1"), ("msg-param-months", "0"),
                ("msg-param-multimonth-duration", "1"), ("msg-param-multimonth-tenure", "0"),
                ("msg-param-should-share-streak", "0"),
                ("msg-param-sub-plan-name", f"Channel Subscription ({spec.streamer.lower()})"),
                ("msg-param-sub-plan", "1000"), ("msg-param-was-gifted", "false"), ("room-id", room),
                ("subscriber", "1"), ("system-msg", system), ("tmi-sent-ts", str(ts)), ("user-id", v.twitch_id),
                ("user-type", ""),
            ]
            tag_str = ";".join(f"{k}={irc_escape(val)}" for k, val in tags)
            lines.append(f"@{tag_str} :tmi.twitch.tv USERNOTICE {chan}")
            continue
        body = twitch_text(m)
        tags = [("badge-info", ""), ("badges", badges)]
        if m.kind == "paid" and m.bits:
            tags.append(("bits", str(m.bits)))
        if not v.is_bot:
            tags.append(("client-nonce", i.nonce))
        tags += [
            ("color", v.color), ("display-name", v.handle), ("emotes", irc_emotes_tag(body)), ("first-msg", "0"),
            ("flags", ""), ("id", i.twitch), ("mod", "1" if v.is_bot else "0"), ("returning-chatter", "0"),
            ("room-id", room), ("subscriber", "0"), ("tmi-sent-ts", str(ts)), ("turbo", "0"),
            ("user-id", v.twitch_id), ("user-type", "mod" if v.is_bot else ""),
        ]
        tag_str = ";".join(f"{k}={irc_escape(val)}" for k, val in tags)
        lines.append(f"@{tag_str} :{v.login}!{v.login}@{v.login}.tmi.twitch.tv PRIVMSG {chan} :{body}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
