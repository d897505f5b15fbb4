"""Atomic file writes: a temporary file beside the target, fsync, then rename. No partial file is ever visible."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

TMP_PREFIX = ".tmp-"


@contextlib.contextmanager
def atomic_writer(target: str | Path) -> Iterator[BinaryIO]:
    """Write to a hidden temporary file in the target's folder; rename it onto `target` only on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(target: str | Path, data: bytes) -> None:
    with atomic_writer(target) as f:
        f.write(data)


def atomic_write_text(target: str | Path, text: str) -> None:
    atomic_write_bytes(target, text.encode("utf-8"))


@contextlib.contextmanager
def temporary_path(folder: str | Path, suffix: str = "") -> Iterator[Path]:
    """A hidden temporary path in `folder` for tools that write by name; removed unless the caller moved it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=suffix, dir=folder)
    os.close(fd)
    try:
        yield Path(tmp)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def sweep_temporary(folder: str | Path, prefix: str = TMP_PREFIX, older_than_s: float = 3600.0) -> list[Path]:
    """Remove what killed writers of short-lived temporary files left behind in `folder`: entries named `prefix…`
    not modified for `older_than_s` seconds. (Long-lived work folders are `OwnedDir`s.) The removed paths."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    now = time.time()
    removed = []
    for path in folder.iterdir():
        if not path.name.startswith(prefix):
            continue
        try:
            if now - path.lstat().st_mtime < older_than_s:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
        except FileNotFoundError:  # another sweeper was first
            continue
    return removed


OWNER_SUFFIX = ".owner"


class OwnedDir:
    """A temporary directory (`folder/<prefix>…`) with a lock file beside it that stays locked while its process
    lives: `sweep_orphans` removes it once that process is gone (killed), whatever the host or pid, and a new
    `OwnedDir` sweeps the orphans of its own prefix first. Remove it with `close()` (or use it as a context
    manager); a caller may rename `path` away first."""

    def __init__(self, folder: str | Path, prefix: str = TMP_PREFIX):
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        sweep_orphans(folder, prefix)
        self.path = Path(tempfile.mkdtemp(prefix=prefix, dir=folder))
        self._lock = self.path.with_name(self.path.name + OWNER_SUFFIX)
        self._fd = os.open(self._lock, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def close(self) -> None:
        if self._fd < 0:
            return
        shutil.rmtree(self.path, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._lock)
        os.close(self._fd)
        self._fd = -1

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc) -> None:
        self.close()


def sweep_orphans(folder: str | Path, prefix: str = TMP_PREFIX) -> list[Path]:
    """Remove the `OwnedDir`s in `folder` whose owner is gone (their lock file can be locked); those in use stay.
    The removed paths."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for lock in folder.glob(f"{prefix}*{OWNER_SUFFIX}"):
        try:
            fd = os.open(lock, os.O_RDWR)
        except FileNotFoundError:  # its owner finished meanwhile
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # alive
            os.close(fd)
            continue
        target = lock.with_name(lock.name[: -len(OWNER_SUFFIX)])
        shutil.rmtree(target, ignore_errors=True)
        lock.unlink(missing_ok=True)
        os.close(fd)
        removed.append(target)
    return removed
