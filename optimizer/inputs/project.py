"""Where the project's own tables are: ``data/`` of the repository (costs with their sources,
time zones, scenarios, sweeps).

In a source checkout or an editable install they are read from the repository's ``data/``;
a regular install (``pip install .``) carries a copy as package data, ``optimizer/project_data``
(mapped from ``data/`` in ``pyproject.toml``), so ``dcsite run`` works from any folder.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def _project_data_dir() -> Path:
    installed = _PACKAGE / "project_data"
    if (installed / "scenarios").is_dir():
        return installed
    return _PACKAGE.parent / "data"


PROJECT_DATA_DIR = _project_data_dir()
"""The project's own tables (see the module docstring)."""
