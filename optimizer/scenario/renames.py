"""Names that changed (settings, table columns, table files), and the message an old one gets.

One table, used by every check that meets a name it does not know: scenario settings
(``scenario.yaml``, override files, ``--set``, sweep paths: :func:`setting_renamed`), table
columns (:func:`column_renamed`) and table files (:func:`file_renamed`). A setting path writes
a list index as ``N`` (``finance.tenants.N.share``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rename:
    """``old`` is now ``new``; ``pct``: the value became a percentage (0.6 is now 60)."""

    old: str
    new: str
    pct: bool


SETTINGS: tuple[Rename, ...] = (
    Rename("finance.tenants.N.share", "finance.tenants.N.share_pct", pct=True),
    Rename("finance.debt_share", "finance.debt_share_pct", pct=True),
    Rename("storage.charge_efficiency", "storage.charge_efficiency_pct", pct=True),
    Rename("storage.discharge_efficiency", "storage.discharge_efficiency_pct", pct=True),
    Rename("solver.mip_rel_gap", "solver.mip_gap_pct", pct=True),
    Rename("build.headroom_share", "build.stranded_share_pct", pct=True),
    Rename("tables.headroom", "tables.stranded", pct=False),
)
"""Settings paths of ``scenario.yaml`` (and sweeps' override paths)."""

COLUMNS: dict[str, tuple[Rename, ...]] = {
    "regions": (Rename("headroom_share", "stranded_share_pct", pct=True),),
    "stranded": (Rename("headroom_mw", "stranded_mw", pct=False),),
}
"""Table columns, per table key (:data:`optimizer.scenario.tables.TABLES`)."""

FILES: tuple[Rename, ...] = (Rename("headroom.csv", "stranded.csv", pct=False),)
"""Table files of a scenario folder (their default names)."""

FILE_COLUMNS = {"stranded.csv": "stranded_mw"}
"""The renamed value column of a renamed table file, named in its message."""

_EXAMPLE = {
    "finance.tenants.N.share": 0.7,
    "finance.debt_share": 0.6,
    "storage.charge_efficiency": 0.95,
    "storage.discharge_efficiency": 0.95,
    "solver.mip_rel_gap": 0.01,
    "build.headroom_share": 0.5,
}


def _pattern(parts: Sequence[str]) -> str:
    return ".".join("N" if part.isdigit() else part for part in parts)


def _pct_text(rename: Rename, value: Any) -> str:
    if not rename.pct:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        value = _EXAMPLE.get(rename.old, 0.5)
    return f" (a percentage: {100 * value:.10g} for {value:.10g})"


def setting_renamed(parts: Sequence[str], value: Any = None) -> str | None:
    """``renamed NEW (a percentage: 60 for 0.6)`` for an old settings path, else None.

    ``value``, when a number, is the one given, shown as the percentage to write instead.
    """
    pattern = _pattern(parts)
    for rename in SETTINGS:
        if rename.old == pattern:
            new = rename.new.split(".")
            indices = iter(part for part in parts if part.isdigit())
            path = ".".join(next(indices) if part == "N" else part for part in new)
            return f"renamed {path}{_pct_text(rename, value)}"
    return None


def column_renamed(table: str, column: str) -> str | None:
    """``renamed NEW (a percentage)`` for an old column of table ``table``, else None."""
    for rename in COLUMNS.get(table, ()):
        if rename.old == column:
            return f"renamed {rename.new}{' (a percentage)' if rename.pct else ''}"
    return None


def file_renamed(old: str) -> str | None:
    """``renamed NEW (column C)`` for an old table file name, else None."""
    for rename in FILES:
        if rename.old == old:
            column = FILE_COLUMNS.get(rename.new)
            return f"renamed {rename.new}" + (f" (column {column})" if column else "")
    return None


def old_file_of(name: str) -> str | None:
    """The old name of the table file now called ``name``, or None."""
    return next((r.old for r in FILES if r.new == name), None)
