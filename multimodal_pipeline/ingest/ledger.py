"""The checksum ledger of immutable originals: an append-only JSON Lines file under data/raw/.

Crash safety: each entry is one `write` of a whole line under an exclusive lock, then fsync. A crash can still leave a
torn last line (no newline, not valid JSON). Readers skip a torn tail and report it (`torn_tail`); the next append
repairs it under the lock: the torn bytes move to `ledger.torn.jsonl` beside it (kept, never silently dropped) and
the file is cut back to its last whole line. The stored original a torn line was about is never lost: originals are
named by their hash, and the next run of that video finds the file in place and records it again. A malformed line
anywhere else is not a crash artefact: reading stops with the file and line number.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from multimodal_pipeline.storage.hashing import sha256_file
from multimodal_pipeline.storage.root import DataRoot, StorageError


class RawIntegrityError(RuntimeError):
    """A raw original's bytes no longer match the ledger."""


@dataclass(frozen=True)
class LedgerEntry:
    video_id: str
    role: str  # "video" | "chat" | "subs" | "voice"
    path: str
    sha256: str
    bytes: int
    source_uri: str
    recorded_at: str


class LedgerCorruptError(RuntimeError):
    """A ledger line other than a torn tail does not parse."""


_FIELDS = {f.name for f in fields(LedgerEntry)}


def _entry(line: str) -> LedgerEntry | None:
    try:
        doc = json.loads(line)
    except ValueError:
        return None
    return LedgerEntry(**doc) if isinstance(doc, dict) and set(doc) == _FIELDS else None


class Ledger:
    def __init__(self, raw_root: Path):
        self.path = Path(raw_root) / "ledger.jsonl"
        self.torn_path = Path(raw_root) / "ledger.torn.jsonl"
        self.torn_tail: str | None = None  # the torn last line seen by the last read, if any

    def entries(self) -> list[LedgerEntry]:
        if not self.path.exists():
            return []
        data = self.path.read_bytes().decode("utf-8", errors="replace")
        lines = data.split("\n")
        complete, tail = lines[:-1], lines[-1]  # `tail` is "" when the file ends with a newline
        out: list[LedgerEntry] = []
        for number, line in enumerate(complete, start=1):
            if not line.strip():
                continue
            entry = _entry(line)
            if entry is None:
                raise LedgerCorruptError(f"{self.path}:{number}: not a ledger entry ({line[:120]!r}); it is not the "
                                         "last line, so it is not a torn write: restore the ledger from a backup or "
                                         "remove the line by hand")
            out.append(entry)
        self.torn_tail = None
        if tail.strip():
            entry = _entry(tail)
            if entry is not None:  # whole, only its newline is missing
                out.append(entry)
            else:
                self.torn_tail = tail
        return out

    def latest(self, video_id: str, role: str) -> LedgerEntry | None:
        found = [e for e in self.entries() if e.video_id == video_id and e.role == role]
        return found[-1] if found else None

    def for_path(self, path: str | Path) -> LedgerEntry | None:
        name = Path(path).name
        found = [e for e in self.entries() if Path(e.path).name == name]
        return found[-1] if found else None

    def append(self, video_id: str, role: str, path: Path, sha256: str, size: int, source_uri: str,
               recorded_at: str | None = None) -> LedgerEntry:
        entry = LedgerEntry(video_id, role, str(path), sha256, size, source_uri,
                            recorded_at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(asdict(entry), sort_keys=True) + "\n").encode()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._repair_locked(fd)
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        return entry

    def repair(self) -> str | None:
        """Cut a torn last line (kept in `ledger.torn.jsonl`); the torn text, or None when there was none."""
        if not self.path.exists():
            return None
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            return self._repair_locked(fd)
        finally:
            os.close(fd)

    def _repair_locked(self, fd: int) -> str | None:
        size = os.fstat(fd).st_size
        if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
            return None
        data = os.pread(fd, size, 0)
        cut = data.rfind(b"\n") + 1
        tail = data[cut:]
        if _entry(tail.decode("utf-8", errors="replace")) is not None:  # whole: only the newline is missing
            os.write(fd, b"\n")
            return None
        with open(self.torn_path, "ab") as kept:
            kept.write(json.dumps({"torn_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "offset": cut,
                                   "text": tail.decode("utf-8", errors="replace")}).encode() + b"\n")
            kept.flush()
            os.fsync(kept.fileno())
        os.ftruncate(fd, cut)
        return tail.decode("utf-8", errors="replace")

    def verify(self, entry: LedgerEntry) -> None:
        """Raise RawIntegrityError unless the file exists and still hashes to the ledger's sha256."""
        path = Path(entry.path)
        if not path.exists():
            raise RawIntegrityError(f"raw original {path} of video {entry.video_id} is missing (ledger {self.path})")
        actual = sha256_file(path)
        if actual != entry.sha256:
            raise RawIntegrityError(
                f"raw original {path} of video {entry.video_id} was modified: sha256 {actual[:16]}… but the ledger "
                f"{self.path} recorded {entry.sha256[:16]}… on {entry.recorded_at}. Raw files are immutable: restore "
                "the original, or remove both the file and its ledger line to download it again."
            )


# --- the ledger of an object-store data root ----------------------------------------------------------------------
# An object store cannot append to a file. There, each ledger entry is one object, written once,
# `raw/ledger/<video_id>/<recorded_at>-<role>-<sha256>.json`, holding the file's key (relative to the data root);
# the ledger file of each machine's working copy is restored from those objects before it is read.

def _entry_key(entry: LedgerEntry) -> str:
    stamp = entry.recorded_at.replace(":", "")
    return f"raw/ledger/{entry.video_id}/{stamp}-{entry.role}-{entry.sha256}.json"


def publish_entries(root: DataRoot, entries: Iterable[LedgerEntry | None]) -> None:
    """Store the files of `entries` (working-copy paths; None skipped), then one object per entry naming its key."""
    for entry in filter(None, entries):
        key = root.publish(entry.path)
        if not root.exists(_entry_key(entry)):
            root.write_text(_entry_key(entry), json.dumps({**asdict(entry), "path": key}, sort_keys=True))


def restore_entries(root: DataRoot, ledger: Ledger, video_id: str) -> int:
    """Bring the stored entries of a video that this working copy's ledger lacks into it, their files downloaded
    and checked against the recorded sha256 (RawIntegrityError when they differ). The number restored."""
    have = {(e.role, e.sha256) for e in ledger.entries() if e.video_id == video_id}
    restored = 0
    for key in root.list(f"raw/ledger/{video_id}", ".json"):
        doc = json.loads(root.read_text(key))
        if set(doc) != _FIELDS or (doc["role"], doc["sha256"]) in have:
            continue
        try:
            local = root.fetch(doc["path"], doc["sha256"])
        except (FileNotFoundError, StorageError) as exc:
            raise RawIntegrityError(f"raw original {root.url(doc['path'])} of video {video_id} (ledger {root.url(key)}"
                                    f"): {exc}") from exc
        ledger.append(video_id, doc["role"], local, doc["sha256"], doc["bytes"], doc["source_uri"], doc["recorded_at"])
        restored += 1
    return restored
