"""Helpers of the chat tests: the real fixtures beside the checkout and small file writers."""

from __future__ import annotations

import json
from pathlib import Path


from multimodal_pipeline.contracts import ChatEvent, validate
from multimodal_pipeline_tests.real_fixtures import real_fixture

real = real_fixture


def write_lines(path: Path, lines: list) -> Path:
    """JSON Lines: dicts are dumped, str/bytes written as they are."""
    with open(path, "wb") as f:
        for line in lines:
            if isinstance(line, (dict, list)):
                line = json.dumps(line, ensure_ascii=False)
            f.write(line if isinstance(line, bytes) else line.encode("utf-8"))
            f.write(b"\n")
    return path


def check_contract(result) -> None:
    """The events hold the contract, are sorted by time and have unique IDs; fragments add up to the text."""
    ev = result.events
    validate(ev, ChatEvent, "test")
    assert ev.columns == list(ChatEvent.model_fields)
    assert ev["ts_ms"].is_sorted()
    assert ev["event_id"].n_unique() == ev.height
    for text, frags in zip(ev["text"].to_list(), ev["fragments"].to_list(), strict=True):
        assert "".join(f["text"] for f in frags) == text
    assert result.rejects.columns == ["video_id", "source", "raw_ref", "reason", "raw"]


def row(result, **match) -> dict:
    """The one event whose columns equal `match`."""
    rows = [r for r in result.events.iter_rows(named=True) if all(r[k] == v for k, v in match.items())]
    assert len(rows) == 1, f"{len(rows)} rows match {match}"
    return rows[0]
