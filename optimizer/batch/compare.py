"""The variants of a batch side by side: ``comparison.csv`` and ``comparison.png``.

One row per variant with a solution, read from its run folder (pandas only):

* ``variant`` and one column per override path (as in ``summary.csv``);
* ``training_cost_usd_per_mw_year``: the annualized cost at the sites that host a campus
  (capital recovery, storage, wires, energy, curtailment, time to power; regional firm
  capacity is not split between loads and is shown apart) per MW of training built;
* ``campus_mw``, ``firm_capacity_mw``, ``training_curtailment_pct`` (representative days)
  and ``full_year_curtailment_pct`` (the plan over every hour, where the scenario has a full
  year);
* ``campus_mw.<region>``: campus MW built in each region (0 where none).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from optimizer.atomic import atomic_path
from optimizer.export.plots import plot_training_comparison
from optimizer.results.folder import read_summary, read_table

COMPARISON_FILES = ("comparison.csv", "comparison.png")
_FIGURES = (
    "training_cost_usd_per_mw_year",
    "campus_mw",
    "firm_capacity_mw",
    "training_curtailment_pct",
    "full_year_curtailment_pct",
)


def _row(run_dir: Path) -> dict[str, float]:
    summary = read_summary(run_dir)
    sites = read_table(run_dir, "sites")
    campus = sites[sites["campus_mw"] > 0]
    campus_mw = float(campus["campus_mw"].sum())
    totals = summary["totals"]
    row = {
        "training_cost_usd_per_mw_year": float(campus["total_cost_usd"].sum()) / campus_mw
        if campus_mw
        else float("nan"),
        "campus_mw": campus_mw,
        "firm_capacity_mw": totals["firm_capacity_mw"],
        "training_curtailment_pct": totals["training_curtailment_pct"],
        "full_year_curtailment_pct": (summary.get("full_year") or {}).get(
            "training_curtailment_pct", float("nan")
        ),
    }
    by_region = campus.groupby("region")["campus_mw"].sum()
    row.update({f"campus_mw.{region}": float(mw) for region, mw in by_region.items()})
    return row


def comparison_table(out_dir: str | os.PathLike[str], summary: pd.DataFrame) -> pd.DataFrame:
    """The comparison of the variants of ``summary`` (the batch's summary table) that have a
    solution (module docstring)."""
    out = Path(out_dir)
    solved = summary[summary["has_solution"]]
    overrides = list(summary.columns[1 : list(summary.columns).index("status")])
    rows = [_row(out / run_dir) for run_dir in solved["run_dir"]]
    regions = sorted({key for row in rows for key in row} - set(_FIGURES))
    figures = pd.DataFrame(rows, index=solved.index, columns=[*_FIGURES, *regions])
    figures[regions] = figures[regions].fillna(0.0)
    return pd.concat([solved[["variant", *overrides]], figures], axis=1).reset_index(drop=True)


def write_comparison(out_dir: str | os.PathLike[str], summary: pd.DataFrame) -> pd.DataFrame:
    """Write ``comparison.csv`` and, when a variant has a solution, ``comparison.png`` into the
    batch folder (each atomically); the table."""
    table = comparison_table(out_dir, summary)
    with atomic_path(Path(out_dir) / COMPARISON_FILES[0]) as tmp:
        table.to_csv(tmp, index=False)
    if len(table):
        plot_training_comparison(table, Path(out_dir) / COMPARISON_FILES[1])
    return table
