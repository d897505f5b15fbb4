"""URI-list files dropped into the inbox: one video per line.

    # comment
    https://www.youtube.com/watch?v=dQw4w9WgXcQ
    https://example.org/stream.mp4  chat=https://example.org/stream.live_chat.json  id=my-stream
    /data/vods/2024-02-08.mp4 chat=/data/vods/2024-02-08.irc.log

The URI comes first, then options separated by whitespace:

- `chat=<path or URL>`: the chat log (a sidecar file or URL);
- `id=<partition key>`: the partition key (letters, digits, `_ . -`);
- `start=<time>`: when the video's first frame was recorded, for chat logs that carry only wall-clock times (IRC
  logs, live captures): ISO-8601 with a time zone (`2024-02-08T19:00:05Z`) or Unix epoch milliseconds;
- `chat_offset=<duration>`: added to every chat time, for a chat clock that runs ahead of or behind the video
  (`-2.5s`, `1500ms`, `1500`: milliseconds when no unit is given);
- `lang=<code>`: the spoken language for the ASR (`en`, `de`, …; `auto` to detect it);
- `voice=<path>`: a short audio clip of the streamer alone: the streamer is the voice closest to it (by default, the
  dominant voice of the stream);
- `subs=<path or URL>`: an existing transcript (SRT or WebVTT, or YouTube `json3` captions) used as the speech source
  instead of the ASR; `subs=auto`: the subtitles or automatic captions yt-dlp fetches with the video.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from multimodal_pipeline.ingest.video_id import VideoIdError, canonical_video_id, is_url, local_path

INBOX_SUFFIXES = (".txt", ".uris", ".list")


OPTIONS = ("chat", "id", "start", "chat_offset", "lang", "voice", "subs")


@dataclass(frozen=True)
class InboxEntry:
    video_id: str
    uri: str
    chat: str | None
    inbox_file: str
    line: int
    start_epoch_ms: int | None = None
    chat_offset_ms: int | None = None
    lang: str | None = None
    voice: str | None = None
    subs: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def config_overrides(self) -> dict[str, dict]:
        """This video's settings from its inbox line, as updates of the pipeline config's sections."""
        out: dict[str, dict] = {}
        if self.start_epoch_ms is not None:
            out.setdefault("chat", {})["stream_start_epoch_ms"] = self.start_epoch_ms
        if self.chat_offset_ms is not None:
            out.setdefault("chat", {})["offset_ms"] = self.chat_offset_ms
        if self.lang is not None:
            out.setdefault("asr", {})["language"] = None if self.lang == "auto" else self.lang
        if self.voice is not None:
            out.setdefault("asr", {})["speakers"] = {"reference": self.voice}
        if self.subs is not None:
            out.setdefault("asr", {})["subtitles"] = self.subs
        return out


def parse_start(value: str) -> int:
    """`start=`: ISO-8601 with a time zone, or Unix epoch milliseconds."""
    if re.fullmatch(r"\d{12,14}", value):
        return int(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"start={value!r}: expected ISO-8601 with a time zone (2024-02-08T19:00:05Z) or epoch "
                         "milliseconds") from None
    if moment.tzinfo is None:
        raise ValueError(f"start={value!r}: give the time zone (Z or +01:00): a local time is ambiguous")
    return round(moment.timestamp() * 1000)


def parse_offset(value: str) -> int:
    """`chat_offset=`: `-2.5s`, `1500ms` or `1500` (milliseconds)."""
    found = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)(ms|s)?", value)
    if not found:
        raise ValueError(f"chat_offset={value!r}: expected a duration such as -2.5s, 1500ms or 1500")
    number, unit = float(found.group(1)), found.group(2) or "ms"
    return round(number * (1000 if unit == "s" else 1))


def parse_lang(value: str) -> str:
    if not re.fullmatch(r"auto|[a-z]{2,3}(-[A-Za-z]{2,4})?", value):
        raise ValueError(f"lang={value!r}: expected a language code such as en, de, pt-BR, or auto")
    return value


@dataclass(frozen=True)
class InboxLineError:
    inbox_file: str
    line: int
    text: str
    reason: str

    def __str__(self) -> str:
        return f"{self.inbox_file}:{self.line}: {self.reason} (line: {self.text!r})"


def _resolve(uri: str, base: Path) -> str:
    """Relative local paths are taken relative to the inbox file's folder."""
    path = local_path(uri)
    if path is not None and not is_url(uri) and not path.is_absolute():
        return str((base / path).resolve())
    return uri


def parse_line(text: str, inbox_file: str, line: int, base: Path) -> InboxEntry | InboxLineError | None:
    stripped = text.strip()
    if not stripped or stripped.startswith("#"):
        return None
    try:
        tokens = shlex.split(stripped, comments=True)
    except ValueError as exc:
        return InboxLineError(inbox_file, line, text, f"cannot split line: {exc}")
    if not tokens:
        return None
    uri, options = tokens[0], {}
    if "=" in uri and not is_url(uri):
        return InboxLineError(inbox_file, line, text, "the line must start with the video URI or path")
    for token in tokens[1:]:
        key, sep, value = token.partition("=")
        if not sep or key not in OPTIONS or not value:
            return InboxLineError(inbox_file, line, text, f"unknown option {token!r}: expected "
                                  + ", ".join(f"{o}=…" for o in OPTIONS))
        if key in options:
            return InboxLineError(inbox_file, line, text, f"option {key!r} given twice")
        options[key] = value
    try:
        settings = {"start_epoch_ms": parse_start(options["start"]) if "start" in options else None,
                    "chat_offset_ms": parse_offset(options["chat_offset"]) if "chat_offset" in options else None,
                    "lang": parse_lang(options["lang"]) if "lang" in options else None}
    except ValueError as exc:
        return InboxLineError(inbox_file, line, text, str(exc))
    uri = _resolve(uri, base)
    chat = _resolve(options["chat"], base) if "chat" in options else None
    if "voice" in options:
        settings["voice"] = _resolve(options["voice"], base)
        if is_url(settings["voice"]):
            return InboxLineError(inbox_file, line, text, "voice= must be a local audio file, not a URL")
    if "subs" in options:
        settings["subs"] = options["subs"] if options["subs"] == "auto" else _resolve(options["subs"], base)
    try:
        video_id = canonical_video_id(uri, options.get("id"))
    except VideoIdError as exc:
        return InboxLineError(inbox_file, line, text, str(exc))
    return InboxEntry(video_id, uri, chat, inbox_file, line, **settings)


def parse_uri_list(path: str | Path) -> tuple[list[InboxEntry], list[InboxLineError]]:
    """Every entry of a URI-list file and every malformed line (with file and line number)."""
    path = Path(path)
    entries: list[InboxEntry] = []
    errors: list[InboxLineError] = []
    seen: dict[str, int] = {}
    raw = path.read_bytes().decode("utf-8", errors="replace")
    for number, text in enumerate(raw.splitlines(), start=1):
        parsed = parse_line(text, str(path), number, path.parent)
        if parsed is None:
            continue
        if isinstance(parsed, InboxLineError):
            errors.append(parsed)
        elif parsed.video_id in seen:
            errors.append(InboxLineError(str(path), number, text,
                                         f"video {parsed.video_id} already listed on line {seen[parsed.video_id]}"))
        else:
            seen[parsed.video_id] = number
            entries.append(parsed)
    return entries, errors


def inbox_files(inbox: Path) -> list[Path]:
    if not inbox.exists():
        return []
    return sorted(p for p in inbox.iterdir() if p.is_file() and p.suffix in INBOX_SUFFIXES and not p.name.startswith("."))
