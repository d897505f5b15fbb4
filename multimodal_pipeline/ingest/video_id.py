"""Canonical video IDs: valid Dagster partition keys, stable for the same source, computed without network."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from urllib.parse import urlparse

from multimodal_pipeline.storage.hashing import sampled_sha256, sha256_bytes

_KEY_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class VideoIdError(ValueError):
    pass


def is_url(uri: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", uri))


def local_path(uri: str) -> Path | None:
    """The local file a URI names (a plain path or file://), else None."""
    if not is_url(uri):
        return Path(uri).expanduser()
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(parsed.path)
    return None


@functools.lru_cache(maxsize=1)
def _extractors() -> tuple:
    from yt_dlp.extractor import gen_extractor_classes

    return tuple(ie for ie in gen_extractor_classes() if ie.ie_key() != "Generic")


def extractor_id(url: str) -> tuple[str, str] | None:
    """(extractor key, its video id) when a yt-dlp extractor recognises the URL offline."""
    for ie in _extractors():
        if ie.suitable(url):
            vid = ie.get_temp_id(url)
            return (ie.ie_key(), vid) if vid else None
    return None


def sanitize_key(raw: str) -> str:
    key = _UNSAFE.sub("-", raw).strip("-.")
    return key[:128]


def validate_key(key: str) -> str:
    if not _KEY_OK.match(key):
        raise VideoIdError(
            f"invalid video id {key!r}: use 1-128 characters of A-Z, a-z, 0-9, '_', '.', '-', starting with a letter or digit"
        )
    return key


def canonical_video_id(uri: str, explicit: str | None = None) -> str:
    """`explicit` if given; else yt-dlp's extractor + ID (`youtube-dQw4w9WgXcQ`: IDs keep their case);
    a local file by content (`file-<sha256[:16]>` up to 4 MiB, above that a fingerprint of the size and 1 MiB of
    evenly spread slices: the sensor's tick stays short whatever the file's size); any other URL by a short hash of
    the URL."""
    if explicit:
        return validate_key(explicit)
    path = local_path(uri)
    if path is not None:
        if not path.is_file():
            raise VideoIdError(f"local file not found: {path}")
        return f"file-{sampled_sha256(path)[:16]}"
    found = extractor_id(uri)
    if found:
        key, vid = found
        return validate_key(sanitize_key(f"{key.lower()}-{vid}"))
    return f"url-{sha256_bytes(uri.strip().encode())[:16]}"
