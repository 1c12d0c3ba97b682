"""Test tiers: fast unit tests on constructed data; real-data tests that need the public data
mirror (``DCSITE_DATA``) and skip with a clear reason only when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The public data mirror, or a skip saying how to provide it."""
    value = os.environ.get("DCSITE_DATA")
    if not value:
        pytest.skip("DCSITE_DATA is not set: real-data tests need the public data mirror")
    path = Path(value)
    if not path.is_dir():
        pytest.skip(f"DCSITE_DATA={value} is not a directory: real-data tests need the mirror")
    return path
