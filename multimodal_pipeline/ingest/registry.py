"""The video registry: one JSON file per partition recording where the video comes from."""

from __future__ import annotations

import json
from pathlib import Path

from multimodal_pipeline.ingest.inbox import InboxEntry
from multimodal_pipeline.storage.root import DataRoot, as_root


class UnknownVideoError(LookupError):
    pass


def entry_path(registry: Path | DataRoot, video_id: str) -> str:
    return as_root(registry).url(f"{video_id}.json")


def is_registered(registry: Path | DataRoot, video_id: str) -> bool:
    return as_root(registry).exists(f"{video_id}.json")


def register(registry: Path | DataRoot, entry: InboxEntry) -> str:
    """Record where a video comes from (`registry` is the registry's folder or its place in an object store)."""
    as_root(registry).write_text(f"{entry.video_id}.json", json.dumps(entry.to_dict(), indent=2, sort_keys=True))
    return entry_path(registry, entry.video_id)


def lookup(registry: Path | DataRoot, video_id: str) -> InboxEntry:
    try:
        text = as_root(registry).read_text(f"{video_id}.json")
    except FileNotFoundError:
        raise UnknownVideoError(
            f"video partition '{video_id}' has no registry entry ({entry_path(registry, video_id)}); add it through a "
            "URI list in the inbox"
        ) from None
    return InboxEntry(**json.loads(text))


def video_overrides(registry: Path | DataRoot, video_id: str) -> dict[str, dict]:
    """The config updates of a video's inbox line; none for a video without a registry entry (the demo's)."""
    return lookup(registry, video_id).config_overrides() if is_registered(registry, video_id) else {}
