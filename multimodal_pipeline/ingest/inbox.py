"""URI-list files dropped into the inbox: one video per line.

    # comment
    https://www.youtube.com/watch?v=dQw4w9WgXcQ
    https://example.org/stream.mp4  chat=https://example.org/stream.live_chat.json  id=my-stream
    /data/vods/2024-02-08.mp4 chat=/data/vods/2024-02-08.irc.log

The URI comes first, then optional `chat=<path or URL>` and `id=<partition key>`, separated by whitespace.
"""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass
from pathlib import Path

from multimodal_pipeline.ingest.video_id import VideoIdError, canonical_video_id, is_url, local_path

INBOX_SUFFIXES = (".txt", ".uris", ".list")


@dataclass(frozen=True)
class InboxEntry:
    video_id: str
    uri: str
    chat: str | None
    inbox_file: str
    line: int

    def to_dict(self) -> dict:
        return asdict(self)


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
        if not sep or key not in ("chat", "id") or not value:
            return InboxLineError(inbox_file, line, text, f"unknown option {token!r}: expected chat=<path|URL> or id=<key>")
        if key in options:
            return InboxLineError(inbox_file, line, text, f"option {key!r} given twice")
        options[key] = value
    uri = _resolve(uri, base)
    chat = _resolve(options["chat"], base) if "chat" in options else None
    try:
        video_id = canonical_video_id(uri, options.get("id"))
    except VideoIdError as exc:
        return InboxLineError(inbox_file, line, text, str(exc))
    return InboxEntry(video_id, uri, chat, inbox_file, line)


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
