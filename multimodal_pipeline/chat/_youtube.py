"""YouTube live-chat actions (the innertube JSON that yt-dlp, pytchat and chat-downloader store) → chat events.

Shared by the yt-dlp `live_chat.json` adapter and the raw API response / action list adapter. Quirks handled here:
replay wrappers (`replayChatItemAction` + `videoOffsetTimeMsec` as a string), live items timed only by
`timestampUsec` (wall clock), text/emoji runs, paid messages and stickers, memberships and gifted memberships,
tickers and pinned banners (re-displays: dropped as echoes when the original is in the file), deletes by item and by
author, and `replaceChatItemAction`.
"""

from __future__ import annotations

import re
from typing import Any

from multimodal_pipeline.chat._core import Frag, Sink

#: renderer → event kind; renderers not listed are skipped (counted in the stats)
KIND_BY_RENDERER = {
    "liveChatTextMessageRenderer": "message",
    "liveChatPaidMessageRenderer": "paid",
    "liveChatLegacyPaidMessageRenderer": "paid",
    "liveChatPaidStickerRenderer": "sticker",
    "liveChatMembershipItemRenderer": "membership",
    "liveChatSponsorshipsGiftPurchaseAnnouncementRenderer": "gift",
    "liveChatSponsorshipsGiftRedemptionAnnouncementRenderer": "gift",
    "liveChatDonationAnnouncementRenderer": "paid",
    "liveChatViewerEngagementMessageRenderer": "system",
    "liveChatModeChangeMessageRenderer": "system",
    "liveChatPurchasedProductMessageRenderer": "notice",
    "liveChatModerationMessageRenderer": "moderation",
}

#: known actions that carry no chat event (counted as skipped)
IGNORED_ACTIONS = frozenset({
    "removeBannerForLiveChatCommand", "showLiveChatTooltipCommand", "showLiveChatActionPanelAction",
    "updateLiveChatPollAction", "closeLiveChatActionPanelAction", "addLiveChatTextMessageFromTemplateAction",
    "liveChatReportModerationStateCommand", "showLiveChatDialogAction", "showLiveChatSurveyCommand",
    "replaceLiveChatRendererAction", "updateDateTextAction", "updateDescriptionAction", "updateTitleAction",
    "updateToggleButtonTextAction", "updateViewershipAction", "addToPlaylistCommand",
})

#: every action name this module understands (used by format detection)
ACTION_KEYS = frozenset({
    "addChatItemAction", "addLiveChatTickerItemAction", "replayChatItemAction", "markChatItemAsDeletedAction",
    "markChatItemsByAuthorAsDeletedAction", "removeChatItemAction", "removeChatItemByAuthorAction",
    "replaceChatItemAction", "addBannerToLiveChatCommand",
}) | IGNORED_ACTIONS

_MONEY = re.compile(r"^\s*\D{0,4}\s?\d[\d.,\s]*\s?\D{0,4}\s*$")


def simple(node: Any) -> str | None:
    """Text of a {simpleText} or {runs} node."""
    if not node:
        return None
    t = node.get("simpleText")
    if t is not None:
        return t
    runs = node.get("runs")
    if runs:
        return "".join(r.get("text") or _emoji_text(r.get("emoji")) or "" for r in runs)
    return None


def _emoji_text(e: dict | None) -> str:
    if not e:
        return ""
    if e.get("isCustomEmoji"):
        sc = e.get("shortcuts")
        return sc[0] if sc else (e.get("emojiId") or "")
    return e.get("emojiId") or ((e.get("shortcuts") or [""])[0])


def runs_of(node: Any) -> tuple[str, list[Frag] | None]:
    """(text, fragments) of a message node. Adjacent text runs are merged; a standard emoji becomes an "emoji"
    fragment holding the character itself, a channel's custom emoji an "emote" fragment holding its :shortcut:.
    Fragments None means one plain-text fragment."""
    if not node:
        return "", None
    runs = node.get("runs")
    if runs is None:
        return node.get("simpleText") or "", None
    if len(runs) == 1:
        t = runs[0].get("text")
        if t is not None:
            return t, None
    frags: list[Frag] = []
    buf: list[str] = []
    plain = True
    for run in runs:
        t = run.get("text")
        if t is not None:
            buf.append(t)
            continue
        e = run.get("emoji")
        if e is None:
            continue
        plain = False
        if buf:
            frags.append(("text", "".join(buf), None))
            buf = []
        if e.get("isCustomEmoji"):
            frags.append(("emote", _emoji_text(e), e.get("emojiId")))
        else:
            frags.append(("emoji", _emoji_text(e), None))
    if plain:
        return "".join(buf), None
    if buf:
        frags.append(("text", "".join(buf), None))
    frags = [f for f in frags if f[1]]
    return "".join(f[1] for f in frags), frags


def _int(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return None


class YouTubeActions:
    """Feeds YouTube actions into a Sink, keeping the last known time for actions that carry none."""

    def __init__(self, sink: Sink):
        self.sink = sink
        self.last: tuple[int | None, int | None] = (None, None)

    # time: replay items use the wrapper's video offset; live items use timestampUsec (wall clock)
    def _time(self, r: dict | None, offset: int | None) -> tuple[int | None, int | None]:
        if offset is not None:
            self.last = (offset, None)
            return self.last
        if r is not None:
            us = r.get("timestampUsec")
            if us is not None:
                us = _int(us)
                if us is not None:
                    self.last = (None, us // 1000)
                    return self.last
        return self.last

    def action(self, act: Any, ref: str, offset: int | None) -> bool:
        """Process one action object; False when it holds no known action at all."""
        if not isinstance(act, dict):
            return False
        known = False
        for name, body in act.items():
            if name == "clickTrackingParams" or not isinstance(body, dict):
                continue
            if name == "addChatItemAction":
                self._item(body.get("item"), ref, offset, echo=False)
            elif name == "replayChatItemAction":
                off = offset if offset is not None else _int(body.get("videoOffsetTimeMsec"))
                for a in body.get("actions") or ():
                    self.action(a, ref, off)
            elif name == "addLiveChatTickerItemAction":
                self._ticker(body.get("item"), ref, offset)
            elif name == "addBannerToLiveChatCommand":
                banner = (body.get("bannerRenderer") or {}).get("liveChatBannerRenderer") or {}
                contents = banner.get("contents")
                if contents:
                    self._item(contents, ref, offset, echo=True)
                else:
                    self.sink.skip("banner without message")
            elif name in ("markChatItemAsDeletedAction", "removeChatItemAction"):
                self._delete(body, ref, offset)
            elif name in ("markChatItemsByAuthorAsDeletedAction", "removeChatItemByAuthorAction"):
                self._delete_author(body, ref, offset)
            elif name == "replaceChatItemAction":
                self._replace(body, ref, offset)
            elif name in IGNORED_ACTIONS:
                self.sink.skip(name)
            else:
                self.sink.skip(f"unknown action {name}")
                continue
            known = True
        return known

    def _item(self, item: Any, ref: str, offset: int | None, echo: bool, replacement: bool = False) -> None:
        if not isinstance(item, dict):
            self.sink.skip("action without item")
            return
        for rname, r in item.items():
            kind = KIND_BY_RENDERER.get(rname)
            if kind is None or not isinstance(r, dict):
                self.sink.skip("placeholder" if rname == "liveChatPlaceholderItemRenderer" else f"renderer {rname}")
                continue
            self._emit(kind, r, ref, offset, echo, replacement)

    def _ticker(self, item: Any, ref: str, offset: int | None) -> None:
        if not isinstance(item, dict):
            self.sink.skip("ticker without item")
            return
        for _name, t in item.items():
            inner = None
            if isinstance(t, dict):
                inner = ((t.get("showItemEndpoint") or {}).get("showLiveChatItemEndpoint") or {}).get("renderer")
            if inner:
                self._item(inner, ref, offset, echo=True)
            else:
                self.sink.skip("ticker without message")

    def _emit(self, kind: str, r: dict, ref: str, offset: int | None, echo: bool, replacement: bool) -> None:
        ts, ep = self._time(r, offset)
        if ts is None and ep is None:
            self.sink.reject(ref, "no time: neither videoOffsetTimeMsec nor timestampUsec", r)
            return
        nid = r.get("id")
        author = simple(r.get("authorName"))
        aid = r.get("authorExternalChannelId")
        amount = None
        if kind == "message":
            text, frags = runs_of(r.get("message"))
        elif kind == "paid":
            amount = simple(r.get("purchaseAmountText"))
            text, frags = runs_of(r.get("message"))
            if amount is None and "text" in r:  # donation announcement
                text, frags = _joined(r.get("text"), r.get("subtext"))
                runs = (r.get("text") or {}).get("runs") or ()
                amount = next((x.get("text") for x in runs if x.get("text") and _MONEY.match(x["text"])), None)
        elif kind == "sticker":
            amount = simple(r.get("purchaseAmountText"))
            text, frags = "", None
        elif kind == "membership":
            if r.get("message"):
                text, frags = runs_of(r.get("message"))
            else:
                text, frags = _joined(r.get("headerPrimaryText"), r.get("headerSubtext"))
        elif kind == "gift":
            header = (r.get("header") or {}).get("liveChatSponsorshipsHeaderRenderer")
            if header:
                author = author or simple(header.get("authorName"))
                text, frags = runs_of(header.get("primaryText"))
            else:
                text, frags = runs_of(r.get("message"))
        else:  # system, notice, moderation renderers
            text, frags = _joined(r.get("message") or r.get("text"), r.get("subtext"))
        key = f"{'R|' if replacement else ''}{nid}|{r.get('timestampUsec')}|{offset}|{aid}|{amount}|{text}"
        row = self.sink.add(ts, ep, author, aid, text, kind, frags, amount, ref, key, nid, echo)
        if replacement:
            self.sink.replacement_rows.add(row)

    def _delete(self, body: dict, ref: str, offset: int | None) -> None:
        target = body.get("targetItemId")
        ts, ep = self._time(None, offset)
        if ts is None and ep is None:
            self.sink.reject(ref, "no time for a delete action (no earlier event)", body)
            return
        text = simple(body.get("deletedStateMessage")) or "[message deleted]"
        row = self.sink.add(ts, ep, None, None, text, "moderation", None, None, ref, f"delete|{target}|{offset}")
        self.sink.delete_id(target, row)

    def _delete_author(self, body: dict, ref: str, offset: int | None) -> None:
        aid = body.get("externalChannelId")
        ts, ep = self._time(None, offset)
        if ts is None and ep is None:
            self.sink.reject(ref, "no time for a delete-by-author action (no earlier event)", body)
            return
        text = simple(body.get("deletedStateMessage")) or "[messages by author deleted]"
        row = self.sink.add(ts, ep, None, aid, text, "moderation", None, None, ref,
                            f"delete_author|{aid}|{ts}|{ep}")
        self.sink.delete_author(aid, row)

    def _replace(self, body: dict, ref: str, offset: int | None) -> None:
        target = body.get("targetItemId")
        item = body.get("replacementItem")
        if not isinstance(item, dict):
            self.sink.skip("replace without item")
            return
        ts, ep = self._time(None, offset)
        self.sink.counters["replaced"] += 1
        if "liveChatPlaceholderItemRenderer" in item or not any(k in KIND_BY_RENDERER for k in item):
            if ts is None and ep is None:
                self.sink.reject(ref, "no time for a replace action (no earlier event)", body)
                return
            row = self.sink.add(ts, ep, None, None, "[message replaced]", "moderation", None, None, ref,
                                f"replace|{target}|{offset}")
            self.sink.delete_id(target, row)
            return
        # the target (a placeholder, or a message now rewritten) is superseded by the replacement
        n_before = len(self.sink.rows)
        self._item(item, ref, offset, echo=False, replacement=True)
        if len(self.sink.rows) > n_before:
            self.sink.delete_id(target, n_before)


def _joined(a: Any, b: Any) -> tuple[str, list[Frag] | None]:
    ta, fa = runs_of(a)
    tb, fb = runs_of(b)
    if not tb:
        return ta, fa
    if not ta:
        return tb, fb
    text = f"{ta} {tb}"
    if fa is None and fb is None:
        return text, None
    frags = (fa or [("text", ta, None)]) + [("text", " ", None)] + (fb or [("text", tb, None)])
    return text, frags
