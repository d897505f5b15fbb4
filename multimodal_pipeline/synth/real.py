"""Real text for generated streams used in evaluation: monologue lines from a real stream transcript (SRT) and chat
noise from a real chat log (Twitch v5 comments JSON, or a Twitch IRC recent-messages dump). The fixtures these come
from are for tests and evaluation only; streams made with them are never a shipped dataset."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

_TIME = re.compile(r"^\d\d:\d\d:\d\d[,.]\d{3}\s*-->")
_SPEAKABLE = re.compile(r"^[A-Za-z ,.'?!-]+$")
_IRC_TEXT = re.compile(r" PRIVMSG #\S+ :(.*)$")


@functools.lru_cache(maxsize=8)
def transcript_lines(path: str, min_words: int = 4, max_words: int = 22) -> tuple[str, ...]:
    """Speakable cue texts of an SRT file, in order: plain ASCII letters and punctuation (numbers are dropped, the
    synthesizer and the ASR disagree on them), `min_words`..`max_words` words."""
    out = []
    for block in Path(path).read_text(encoding="utf-8", errors="replace").split("\n\n"):
        lines = [ln.strip() for ln in block.strip().splitlines()]
        text = " ".join(ln for ln in lines if ln and not ln.isdigit() and not _TIME.match(ln))
        text = re.sub(r"\s+", " ", text).strip()
        if _SPEAKABLE.match(text) and min_words <= len(text.split()) <= max_words:
            out.append(text)
    if not out:
        raise ValueError(f"{path}: no speakable cues")
    return tuple(out)


@functools.lru_cache(maxsize=8)
def chat_lines(path: str) -> tuple[str, ...]:
    """Message texts of a real chat log: Twitch v5 comments (`comments[].message.body`) or a recent-messages dump
    (`messages[]` raw IRC lines, PRIVMSG only)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict) and "comments" in data:
        texts = [c.get("message", {}).get("body", "") for c in data["comments"]]
    elif isinstance(data, dict) and "messages" in data:
        texts = [m.group(1) for line in data["messages"] if (m := _IRC_TEXT.search(line))]
    else:
        raise ValueError(f"{path}: neither Twitch comments nor an IRC recent-messages dump")
    out = tuple(t.strip() for t in texts if t and t.strip() and not t.startswith("\x01"))
    if not out:
        raise ValueError(f"{path}: no chat messages")
    return out
