"""Stage keys: the identity of an expensive step's output, so the same inputs and config never run twice."""

from __future__ import annotations

import json
from collections.abc import Iterable

from multimodal_pipeline.storage.hashing import sha256_bytes


def stage_key(stage: str, input_hashes: Iterable[str], config_hash: str, code_version: str) -> str:
    """sha256 over (stage name, sorted input hashes, config hash, code version)."""
    payload = json.dumps(
        {"stage": stage, "inputs": sorted(input_hashes), "config": config_hash, "code": code_version},
        sort_keys=True,
        separators=(",", ":"),
    )
    return sha256_bytes(payload.encode())
