"""The video registry: one JSON file per partition recording where the video comes from."""

from __future__ import annotations

import json
from pathlib import Path

from multimodal_pipeline.ingest.inbox import InboxEntry
from multimodal_pipeline.storage.atomic import atomic_write_text


class UnknownVideoError(LookupError):
    pass


def entry_path(registry: Path, video_id: str) -> Path:
    return registry / f"{video_id}.json"


def is_registered(registry: Path, video_id: str) -> bool:
    return entry_path(registry, video_id).exists()


def register(registry: Path, entry: InboxEntry) -> Path:
    path = entry_path(registry, entry.video_id)
    atomic_write_text(path, json.dumps(entry.to_dict(), indent=2, sort_keys=True))
    return path


def lookup(registry: Path, video_id: str) -> InboxEntry:
    path = entry_path(registry, video_id)
    if not path.exists():
        raise UnknownVideoError(
            f"video partition '{video_id}' has no registry entry ({path}); add it through a URI list in the inbox"
        )
    return InboxEntry(**json.loads(path.read_text()))


def video_overrides(registry: Path, video_id: str) -> dict[str, dict]:
    """The config updates of a video's inbox line; none for a video without a registry entry (the demo's)."""
    return lookup(registry, video_id).config_overrides() if is_registered(registry, video_id) else {}
