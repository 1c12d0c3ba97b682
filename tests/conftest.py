"""Test tiers.

* fast: ``pytest -m "not slow and not realdata"`` (under a minute): unit tests on constructed
  data and solver runs of the small example scenarios, in this process;
* realdata: tests that read the public data mirror (``DCSITE_DATA``; marked automatically when
  they use the ``data_dir`` fixture), skipped with a clear reason only when it is absent;
* slow: tests that start processes (Dask workers, a browser, a killed writer) or execute the
  notebooks;
* the full suite (what ``.ci/run`` runs): all of them.
"""

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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark real-data tests by the fixture they use, so no test can forget its tier."""
    for item in items:
        if "data_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.realdata)
