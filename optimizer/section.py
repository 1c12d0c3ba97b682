"""Base of every settings section (``scenario.yaml``, a builder's ``build:`` section, sweeps):
unknown keys, non-finite numbers and values of the wrong type (``true`` for a number) are
errors; names that become folder names follow one rule."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """Base of every settings section: unknown keys and non-finite numbers are errors."""

    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, validate_assignment=True, strict=True
    )


NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._,=+-]*")
"""A name that becomes a folder name (scenario, sweep variant): letters, digits and
``. _ , = + -``, starting with a letter or digit."""
MAX_NAME_LENGTH = 200


def name_problem(name: str, what: str) -> str | None:
    """Why ``name`` cannot be a folder name (see :data:`NAME_PATTERN`), or None if it can."""
    if len(name) > MAX_NAME_LENGTH:
        return f"{what} is longer than {MAX_NAME_LENGTH} characters: {name[:40]!r}..."
    if not NAME_PATTERN.fullmatch(name):
        return (
            f"{what} {name!r} cannot be a folder name: use letters, digits and . _ , = + -,"
            " starting with a letter or digit"
        )
    return None


def distinct(items: list[Any], what: str) -> list[Any]:
    """``items`` unchanged, or a ValueError if any repeats."""
    if len(set(items)) != len(items):
        raise ValueError(f"{what} must be distinct, got {items}")
    return items
