"""Advisory locks between processes (runs, workers on one machine): one holder at a time per name.

The lock is `fcntl.flock` on a small file; the kernel releases it when the holder dies, so a killed run never leaves
a stale lock behind. The file names the current holder (pid, host, what it is doing) for the message that a waiting
or refused caller gets.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path


class LockBusyError(RuntimeError):
    """Another process holds the lock for longer than the caller would wait."""


@contextlib.contextmanager
def exclusive(path: str | Path, what: str, wait_s: float = 0.0, log: Callable[[str], None] = lambda _m: None,
              poll_s: float = 0.5) -> Iterator[None]:
    """Hold the lock at `path` for the block. Waits up to `wait_s` seconds (logging who holds it), then raises
    `LockBusyError` naming the holder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_s
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 512, 0).decode("utf-8", errors="replace").strip() or "another process"
                if time.monotonic() >= deadline:
                    raise LockBusyError(f"{what}: busy, held by {holder} (lock {path}); waited {wait_s:.0f} s. "
                                        "Only one run may work on it at a time: try again when that run ends.")
                if not told:
                    log(f"{what}: waiting for {holder} to finish (lock {path})")
                    told = True
                time.sleep(poll_s)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}: {what}".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
