"""The checksum ledger of immutable originals: an append-only JSON Lines file under data/raw/."""

from __future__ import annotations

import fcntl
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from multimodal_pipeline.storage.hashing import sha256_file


class RawIntegrityError(RuntimeError):
    """A raw original's bytes no longer match the ledger."""


@dataclass(frozen=True)
class LedgerEntry:
    video_id: str
    role: str  # "video" | "chat"
    path: str
    sha256: str
    bytes: int
    source_uri: str
    recorded_at: str


class Ledger:
    def __init__(self, raw_root: Path):
        self.path = Path(raw_root) / "ledger.jsonl"

    def entries(self) -> list[LedgerEntry]:
        if not self.path.exists():
            return []
        return [LedgerEntry(**json.loads(line)) for line in self.path.read_text().splitlines() if line.strip()]

    def latest(self, video_id: str, role: str) -> LedgerEntry | None:
        found = [e for e in self.entries() if e.video_id == video_id and e.role == role]
        return found[-1] if found else None

    def for_path(self, path: str | Path) -> LedgerEntry | None:
        name = Path(path).name
        found = [e for e in self.entries() if Path(e.path).name == name]
        return found[-1] if found else None

    def append(self, video_id: str, role: str, path: Path, sha256: str, size: int, source_uri: str) -> LedgerEntry:
        entry = LedgerEntry(video_id, role, str(path), sha256, size, source_uri,
                            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.write(json.dumps(asdict(entry), sort_keys=True) + "\n")
            f.flush()
        return entry

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
