"""The data root: a local folder or an object-store URI (`s3://bucket/prefix`, any fsspec protocol).

Everything the pipeline stores goes through a `DataRoot` by *key*: a '/'-separated path relative to the root
("staged/tables/audio/<sha256>.parquet"). Tables and pointers hold keys, never absolute local paths, so the same
data reads the same from any machine.

Tools that need a file on disk (yt-dlp, PyAV, faster-whisper, PEFT) work in the root's *working copy*, `local`:

- a local root is its own working copy: `publish` does nothing, `fetch` returns the file in place;
- an object-store root keeps a working copy per machine (`$MMP_WORK_DIR`, default
  `~/.cache/multimodal_pipeline/work/<hash of the URI>/`): `publish` uploads a finished file under its key, `fetch`
  downloads a key that the working copy lacks (to a temporary name, then one rename).

No partial object is ever visible: local writes go to a temporary file and are renamed; on an object store an object
appears whole when its single PUT (or its multipart upload) completes. The object store is authoritative for what
can change (pointers, registry entries); content-addressed files are named by their hash and verified on read.
Connection settings of an object store come from the usual environment (`AWS_ACCESS_KEY_ID`,
`AWS_ENDPOINT_URL_S3`, ...) or `$MMP_STORAGE_OPTIONS` (a JSON object of fsspec options).
"""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath

from multimodal_pipeline.storage.atomic import atomic_write_bytes, temporary_path
from multimodal_pipeline.storage.hashing import sha256_bytes, sha256_file


class StorageError(RuntimeError):
    """A stored object is missing or does not match what it should hold."""


def is_remote(uri: str | Path) -> bool:
    text = str(uri)
    return "://" in text and not text.startswith("file://")


def default_work_dir(uri: str) -> Path:
    env = os.environ.get("MMP_WORK_DIR")
    base = Path(env) if env else Path.home() / ".cache" / "multimodal_pipeline" / "work"
    return base / sha256_bytes(uri.encode())[:16]


def _storage_options() -> dict:
    text = os.environ.get("MMP_STORAGE_OPTIONS", "").strip()
    if not text:
        return {}
    try:
        options = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"MMP_STORAGE_OPTIONS is not a JSON object: {exc}") from exc
    if not isinstance(options, dict):
        raise ValueError("MMP_STORAGE_OPTIONS is not a JSON object")
    return options


class DataRoot:
    """A local folder or an object-store URI, addressed by keys relative to it (see the module's docstring)."""

    def __init__(self, uri: str | Path, work_dir: str | Path | None = None):
        text = str(uri)
        if text.startswith("file://"):
            text = text[len("file://"):]
        self.remote = is_remote(text)
        if self.remote:
            self.uri = text.rstrip("/")
            import fsspec

            options = {"use_listings_cache": False, **_storage_options()}
            endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
            if self.uri.startswith(("s3://", "s3a://")) and endpoint:  # explicit: fsspec caches filesystems by
                options.setdefault("endpoint_url", endpoint)  # their arguments, not by the environment
            self.fs, _ = fsspec.core.url_to_fs(self.uri, **options)
            self.local = Path(work_dir) if work_dir else default_work_dir(self.uri)
        else:
            self.uri = str(Path(text).resolve())
            self.fs = None
            self.local = Path(self.uri)
        self.base = self  # the data root this one is a part of (`sub`)

    def __repr__(self) -> str:
        return f"DataRoot({self.uri!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, DataRoot) and (self.uri, self.local) == (other.uri, other.local)

    def __hash__(self) -> int:
        return hash((self.uri, self.local))

    # --- names ------------------------------------------------------------------------------------------------

    def sub(self, prefix: str) -> DataRoot:
        """The root of the keys under `prefix` (same store, same working copy)."""
        prefix = _clean(prefix)
        child = DataRoot.__new__(DataRoot)
        child.remote, child.fs = self.remote, self.fs
        child.uri = f"{self.uri}/{prefix}" if self.remote else str(Path(self.uri) / prefix)
        child.local = self.local / prefix
        child.base = self.base
        return child

    def key(self, path: str | Path) -> str:
        """The key of a path in the working copy (a key is returned as it is)."""
        p = Path(path)
        if not p.is_absolute():
            return _clean(str(path))
        try:
            return p.relative_to(self.local).as_posix()
        except ValueError:
            pass
        try:
            return p.resolve().relative_to(self.local.resolve()).as_posix()
        except ValueError:
            raise ValueError(f"{path} is not under the data root's working copy {self.local}") from None

    def path(self, key: str | Path) -> Path:
        """Where a key lives in the working copy. An absolute path (a table written before keys) stays as it is."""
        return Path(key) if Path(key).is_absolute() else self.local / _clean(str(key))

    def url(self, key: str | Path) -> str:
        """The full address of a key: an object-store URL, or the local path."""
        if Path(key).is_absolute():
            return str(key)
        return f"{self.uri}/{_clean(str(key))}" if self.remote else str(self.local / _clean(str(key)))

    # --- the store itself -------------------------------------------------------------------------------------

    def exists(self, key: str) -> bool:
        if self.remote and not Path(key).is_absolute():
            return self.fs.exists(self.url(key))
        return self.path(key).exists()

    def read_bytes(self, key: str) -> bytes:
        """The stored bytes of a key (from the object store itself when remote). FileNotFoundError if absent."""
        if self.remote and not Path(key).is_absolute():
            return self.fs.cat_file(self.url(key))
        return self.path(key).read_bytes()

    def read_text(self, key: str) -> str:
        return self.read_bytes(key).decode("utf-8")

    def write_bytes(self, key: str, data: bytes) -> None:
        """Store `data` under `key`: atomically (whole or not at all). Remote: one PUT; the working copy is not
        touched."""
        if self.remote:
            self.fs.pipe_file(self.url(key), data)
        else:
            atomic_write_bytes(self.path(key), data)

    def write_text(self, key: str, text: str) -> None:
        self.write_bytes(key, text.encode("utf-8"))

    def _entries(self, prefix: str) -> list[tuple[str, bool]]:
        """(name, is a folder) of what lies directly under `prefix` ("" = the root)."""
        if self.remote:
            try:
                entries = self.fs.ls(self.url(prefix) if prefix else self.uri, detail=True)
            except FileNotFoundError:
                return []
            return [(PurePosixPath(e["name"]).name, e.get("type") == "directory") for e in entries]
        folder = self.local / prefix if prefix else self.local
        return [(p.name, p.is_dir()) for p in folder.iterdir()] if folder.is_dir() else []

    def list(self, prefix: str, suffix: str = "") -> list[str]:
        """The keys directly under `prefix` (files only) that end in `suffix`, sorted."""
        prefix = _clean(prefix)
        return sorted(f"{prefix}/{name}" for name, folder in self._entries(prefix)
                      if not folder and name.endswith(suffix) and not name.startswith(".tmp-"))

    def folders(self, prefix: str = "") -> list[str]:
        """The names of the folders directly under `prefix`."""
        return sorted(name for name, folder in self._entries(_clean(prefix) if prefix else "") if folder)

    # --- the working copy -------------------------------------------------------------------------------------

    def publish(self, path: str | Path, immutable: bool = True) -> str:
        """Make a finished file of the working copy stored under its key; the key. `immutable` (content-addressed
        names): an object already there is not uploaded again."""
        key = self.key(path)
        if self.remote:
            local = self.path(key)
            if not local.is_file():
                raise StorageError(f"cannot publish {local}: no such file in the working copy")
            if not (immutable and self.fs.exists(self.url(key))):
                self.fs.put_file(str(local), self.url(key))
        return key

    def publish_tree(self, path: str | Path, immutable: bool = True) -> str:
        """Publish every file under a folder of the working copy; the folder's key."""
        folder = self.path(self.key(path))
        for file in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".tmp-")):
            self.publish(file, immutable)
        return self.key(folder)

    def fetch(self, key: str | Path, sha256: str | None = None) -> Path:
        """The working-copy file of a key, downloaded first when the working copy lacks it (a temporary name, the
        sha256 checked when given, then one rename). FileNotFoundError when the key is stored nowhere."""
        local = self.path(key)
        if local.is_file() or not self.remote or Path(key).is_absolute():
            if not local.is_file():
                raise FileNotFoundError(f"{local} does not exist")
            return local
        url = self.url(self.key(key))
        with temporary_path(local.parent, suffix=local.suffix) as tmp:
            try:
                self.fs.get_file(url, str(tmp))
            except FileNotFoundError:
                raise FileNotFoundError(f"{url} is not in the object store") from None
            if sha256 is not None and (actual := sha256_file(tmp)) != sha256:
                raise StorageError(f"{url}: sha256 {actual[:16]}… but {sha256[:16]}… was recorded; the stored object "
                                   "was modified or damaged")
            os.replace(tmp, local)
        return local

    def fetch_tree(self, key: str) -> Path:
        """Every file under a folder key, in the working copy; the local folder."""
        key = self.key(key)
        if self.remote:
            for url in self.fs.find(self.url(key)):
                name = PurePosixPath(url).relative_to(PurePosixPath(self.url(key).split("://", 1)[-1]))
                self.fetch(f"{key}/{name.as_posix()}")
        return self.path(key)


def _clean(key: str) -> str:
    parts = [p for p in PurePosixPath(key.replace("\\", "/")).parts if p not in ("", ".")]
    if not parts or ".." in parts or parts[0] == "/":
        raise ValueError(f"invalid storage key {key!r}")
    return "/".join(parts)


def as_root(root: str | Path | DataRoot) -> DataRoot:
    return root if isinstance(root, DataRoot) else DataRoot(root)
