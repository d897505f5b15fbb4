"""The real public sample data beside the checkout (`../shared/fixtures/real`, see its SOURCES.md).

Tests that read them fail when they are missing: a missing fixture must never turn a test into a silent skip.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "real"


def real_fixture(relative: str) -> Path:
    path = SHARED_REAL / relative
    if not path.exists():
        pytest.fail(f"real fixture {path} is missing: the tests need ../shared/fixtures/real beside the checkout "
                    "(see its SOURCES.md)", pytrace=False)
    return path
