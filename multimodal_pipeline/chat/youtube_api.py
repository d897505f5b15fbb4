"""Raw YouTube live-chat API responses and plain YouTube action lists.

Accepted containers:
- one `get_live_chat` / `get_live_chat_replay` response (pytchat's test data, a browser capture):
  `{"continuationContents": {"liveChatContinuation": {"actions": [...]}}}` (also `response.` or
  `contents.liveChatRenderer.` prefixes); replay responses wrap each action in `replayChatItemAction`;
- a JSON array of such responses, or JSON Lines with one response a line;
- a JSON array of bare actions (chat-downloader's `youtube_actions.json`).

Live responses carry wall-clock `timestampUsec` only: times are taken from the stream start (config, else the earliest
item). raw_ref is the JSON index path of the action (`file.json#actions[12]`, or `file.json:3#actions[12]` for JSON
Lines).
"""

from __future__ import annotations

from typing import Any

from multimodal_pipeline.chat._core import Sink, Source, json_error, loads, open_container
from multimodal_pipeline.chat._youtube import ACTION_KEYS, YouTubeActions

FORMAT = "youtube_api"


def actions_of(resp: Any) -> list | None:
    """The action list of one API response, or None if `resp` is not one."""
    if not isinstance(resp, dict):
        return None
    if isinstance(resp.get("response"), dict):
        resp = resp["response"]
    for path in (("continuationContents", "liveChatContinuation"), ("contents", "liveChatRenderer")):
        node: Any = resp
        for k in path:
            node = node.get(k) if isinstance(node, dict) else None
        if isinstance(node, dict):
            acts = node.get("actions")
            return acts if isinstance(acts, list) else []
    return None


def sniff(value: object) -> bool:
    if actions_of(value) is not None:
        return True
    if isinstance(value, list) and value:
        first = value[0]
        return actions_of(first) is not None or (isinstance(first, dict) and any(k in ACTION_KEYS for k in first))
    return False


def _feed(yt: YouTubeActions, sink: Sink, acts: list, prefix: str) -> None:
    for i, act in enumerate(acts):
        sink.items += 1
        ref = f"{prefix}#actions[{i}]"
        if not yt.action(act, ref, None):
            sink.reject(ref, "no YouTube chat action in this item", act)


def parse(src: Source, sink: Sink) -> None:
    yt = YouTubeActions(sink)
    name = src.name
    how, doc = open_container(src, sink)
    if how == "failed":
        return
    if how == "doc":
        acts = actions_of(doc)
        if acts is not None:
            sink.notes["variant"] = "response"
            _feed(yt, sink, acts, name)
        elif isinstance(doc, list) and doc and actions_of(doc[0]) is not None:
            sink.notes["variant"] = "response_list"
            for j, resp in enumerate(doc):
                acts = actions_of(resp)
                if acts is None:
                    sink.items += 1
                    sink.reject(f"{name}#[{j}]", "not a live-chat API response", resp)
                    continue
                _feed(yt, sink, acts, f"{name}#[{j}]")
        elif isinstance(doc, list):
            sink.notes["variant"] = "action_list"
            for i, act in enumerate(doc):
                sink.items += 1
                ref = f"{name}#[{i}]"
                if not yt.action(act, ref, None):
                    sink.reject(ref, "no YouTube chat action in this item", act)
        else:
            sink.items += 1
            sink.reject(name, "not a live-chat API response nor an action list", doc)
        _note_replay(sink)
        return
    # JSON Lines of responses
    sink.notes["variant"] = "response_lines"
    for n, line in src.lines():
        if not line.strip():
            continue
        try:
            resp, fixed = loads(line)
        except ValueError as exc:
            sink.items += 1
            sink.reject(n, json_error(exc), line)
            continue
        sink.counters["utf8_repaired_items"] += fixed
        acts = actions_of(resp)
        if acts is None:
            sink.items += 1
            sink.reject(n, "not a live-chat API response", line)
            continue
        _feed(yt, sink, acts, f"{name}:{n}")
    _note_replay(sink)


def _note_replay(sink: Sink) -> None:
    sink.notes["variant"] = sink.notes.get("variant", "") + (
        "/live" if any(r[0] is None for r in sink.rows) else "/replay")
