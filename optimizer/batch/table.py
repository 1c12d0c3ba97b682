"""The batch summary table, rebuilt from the run folders (so it is never the only copy).

One row per variant: ``variant``, one column per override path (``finance.wacc_pct``),
``status``, ``has_solution``, ``objective_usd``, ``best_bound_usd``, ``mip_gap_pct``, each cost
term as ``<term>_usd``, every total (``campus_mw``, ``storage_energy_mwh``, ...), the timings
(``build_seconds``, ``handoff_seconds``, ``solve_seconds``, ``wall_seconds``),
``scenario_hash``, ``run_id``, ``error`` and ``run_dir`` (relative to the batch folder).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.atomic import atomic_path
from optimizer.batch.task import read_summary, summary_hash

RUNS_DIR = "runs"
MANIFEST_FILE = "sweep.json"
TABLE_FILES = ("summary.parquet", "summary.csv")
NOT_RUN = "not run"
"""Status of a variant of the sweep that has no run folder yet."""

_HEAD = ["status", "has_solution", "objective_usd", "best_bound_usd", "mip_gap_pct"]
_TIMES = ["build_seconds", "handoff_seconds", "solve_seconds", "wall_seconds"]
_TAIL = ["scenario_hash", "run_id", "error", "run_dir"]


def read_manifest(out_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The sweep manifest (variant names and overrides) a batch wrote into its folder."""
    try:
        return json.loads((Path(out_dir) / MANIFEST_FILE).read_text())
    except (OSError, ValueError):
        return None


def _column(values: list[Any]) -> list[Any]:
    """Override values made storable: numbers, booleans and text stay; anything else (lists,
    mixed kinds) becomes JSON text."""
    present = [v for v in values if v is not None]
    kinds = {
        "bool" if isinstance(v, bool) else "number" if isinstance(v, int | float) else "str"
        if isinstance(v, str) else "other"
        for v in present
    }  # fmt: skip
    if len(kinds) <= 1 and "other" not in kinds:
        return values
    return [None if v is None else json.dumps(v, default=str) for v in values]


def _row(name: str, summary: dict[str, Any] | None) -> dict[str, Any]:
    row: dict[str, Any] = {"variant": name}
    if summary is None:
        row.update(status=NOT_RUN, has_solution=False, run_dir=None)
        return row
    row.update({key: summary.get(key) for key in _HEAD})
    row["has_solution"] = bool(summary.get("has_solution"))
    for term, value in (summary.get("objective_breakdown_usd") or {}).items():
        row[f"{term}_usd"] = value
    row.update(summary.get("totals") or {})
    row.update({key: summary.get(key) for key in _TIMES[:3]})
    row["wall_seconds"] = (summary.get("batch") or {}).get("wall_seconds")
    row["scenario_hash"] = summary_hash(summary)
    row["run_id"] = summary.get("run_id")
    row["error"] = summary.get("error")
    row["run_dir"] = f"{RUNS_DIR}/{name}"
    return row


def collect_summary(out_dir: str | os.PathLike[str], write: bool = True) -> pd.DataFrame:
    """One row per variant from ``out_dir/runs/*/summary.json``.

    The variants and their order come from the sweep manifest (``out_dir/sweep.json``) when
    there is one (a variant without a run folder gets status ``"not run"``), else from the run
    folders found. With ``write``, also writes ``summary.parquet`` and ``summary.csv`` into
    ``out_dir`` (each atomically).
    """
    out = Path(out_dir)
    runs = out / RUNS_DIR
    manifest = read_manifest(out)
    if manifest is not None:
        planned = [(v["name"], v.get("overrides") or {}) for v in manifest.get("variants", [])]
    else:
        found = runs.iterdir() if runs.is_dir() else []
        names = sorted(p.name for p in found if p.is_dir() and not p.name.startswith("."))
        planned = [(name, None) for name in names]
    rows, overrides = [], []
    for name, planned_overrides in planned:
        summary = read_summary(runs / name)
        rows.append(_row(name, summary))
        chosen = (summary or {}).get("overrides")
        overrides.append(chosen if chosen is not None else planned_overrides or {})
    paths = list(dict.fromkeys(p for o in overrides for p in o))
    table = pd.DataFrame(rows)
    if table.empty:
        table = pd.DataFrame(columns=["variant", *_HEAD, *_TIMES, *_TAIL])
    for i, path in enumerate(paths):
        table.insert(1 + i, path, _column([o.get(path) for o in overrides]))
    fixed = {"variant", *paths, *_HEAD, *_TIMES, *_TAIL}
    middle = [c for c in table.columns if c not in fixed]
    order = ["variant", *paths, *_HEAD, *middle, *_TIMES, *_TAIL]
    table = table.reindex(columns=order)
    for col in ("objective_usd", "best_bound_usd", "mip_gap_pct", *_TIMES):
        table[col] = pd.to_numeric(table[col], errors="coerce").astype("float64")
    table["has_solution"] = table["has_solution"].fillna(False).astype(bool)
    for col in ("status", "scenario_hash", "run_id", "error", "run_dir"):
        table[col] = table[col].astype(object).where(table[col].notna(), None)
    if write:
        with atomic_path(out / TABLE_FILES[0]) as tmp:
            table.to_parquet(tmp, index=False)
        with atomic_path(out / TABLE_FILES[1]) as tmp:
            table.to_csv(tmp, index=False)
    return table
