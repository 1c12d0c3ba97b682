"""Reference facts about balancing authorities and states that we author ourselves (``data/``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from optimizer.errors import InputError
from optimizer.inputs.project import PROJECT_DATA_DIR


def ba_utc_offsets_h(path: Path | None = None) -> dict[str, int]:
    """Standard-time UTC offset (hours, no daylight saving) per BA code.

    Read from ``data/ba_timezones.csv`` (columns ``ba, utc_offset_standard_h, time_zone,
    basis``): the time zone that holds most of each BA's load.
    """
    path = path or PROJECT_DATA_DIR / "ba_timezones.csv"
    table = pd.read_csv(path)
    bad = table[~table["utc_offset_standard_h"].between(-12, 14)]
    if not bad.empty:
        row = bad.index[0] + 2  # header is line 1
        raise InputError(f"{path}: line {row}, field utc_offset_standard_h: not a UTC offset")
    return dict(zip(table["ba"], table["utc_offset_standard_h"].astype(int), strict=True))


def state_codes(path: Path | None = None) -> dict[str, str]:
    """USPS code of each state by its 2-digit FIPS code (``data/states.csv``: ``fips, state,
    name, lower48``; the names are those of the us-atlas states layer)."""
    path = path or PROJECT_DATA_DIR / "states.csv"
    table = pd.read_csv(path, dtype=str)
    return dict(zip(table["fips"], table["state"], strict=True))


def lower48_states(path: Path | None = None) -> frozenset[str]:
    """USPS codes of the contiguous United States: the 48 states and DC (``data/states.csv``,
    column ``lower48``); Alaska, Hawaii and the territories are outside."""
    path = path or PROJECT_DATA_DIR / "states.csv"
    table = pd.read_csv(path, dtype=str)
    flags = table["lower48"].str.lower()
    if not flags.isin(["true", "false"]).all():
        raise InputError(f"{path}: column lower48 must be true or false")
    return frozenset(table.loc[flags == "true", "state"])
