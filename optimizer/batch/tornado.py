"""The tables of a sensitivity batch, read from its run folders (pandas only).

:func:`tornado_table`: one row per input, its low and high runs against the base:

* ``input``, ``label``, ``setting``, ``unit``, ``base_value``, ``low_value``, ``high_value``
  (``base_value`` of a setting the base leaves null and derives, such as ``finance.wacc_pct``:
  the value the base run derived);
* ``base_cost_musd_per_year``, ``low_cost_musd_per_year``, ``high_cost_musd_per_year``: each
  run's total annualized cost (its objective), M USD/yr; empty for a run without a solution;
* ``low_change_musd_per_year``, ``high_change_musd_per_year`` (run minus base) and
  ``low_change_pct``, ``high_change_pct`` (of the base cost);
* ``swing_musd_per_year``: the spread of the base, low and high costs (largest minus smallest
  of those with a solution); rows are sorted by it, largest first;
* ``base_gap_pct``, ``low_gap_pct``, ``high_gap_pct``: the proven MIP gap of each run;
  ``low_gap_band_musd_per_year``, ``high_gap_band_musd_per_year``: how far the change may be
  off from that of the optima (the run's gap plus the base's, each as gap x cost);
  ``low_within_gap``, ``high_within_gap``: the change is no larger than its band;
  ``within_gap``: every side has a solution and is within its band (the input's effect is not
  told apart from the solver's tolerance);
* ``base_status``, ``low_status``, ``high_status`` (``optimal``, ``time_limit``, ``infeasible``,
  ``not run``, ...) and ``note``: each side without a solution or stopped by the time limit,
  and (built scenarios) each side that leaves out other metros than the base (a tighter or
  looser latency limit reaches other metros: its cost is that of other demand);
* ``source``: where the range comes from; ``low_run``, ``high_run``: the run folders.

:func:`campus_shift_table`: campus MW per region (the BA, in built US scenarios) of every run
against the base: ``input``, ``label``, ``side`` (``base``, ``low``, ``high``), ``setting``,
``value``, ``status``, ``region``, ``campus_mw``, ``base_campus_mw``, ``shift_mw``. A run's rows
cover every region where it or the base builds a campus, so its ``campus_mw`` sum to its
total campus MW and its ``shift_mw`` to the change of that total; a run without a solution has
one row per base region with empty ``campus_mw`` and ``shift_mw`` and its status.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.batch.preset import SIDES, SensitivityInput
from optimizer.batch.table import NOT_RUN, RUNS_DIR
from optimizer.batch.task import read_summary
from optimizer.results.folder import read_table

BASE_RUN = "base"
"""Run (folder) name of the base scenario."""
DERIVED = {"finance.wacc_pct": "wacc_pct"}
"""Settings that may be left null and then derived by the run, with the ``summary.json`` key
holding the value it derived (the base value shown for them)."""
USD_PER_MUSD = 1e6


def run_name(item: SensitivityInput | None, side: str) -> str:
    """The run (folder) name of ``item`` at ``side``; the base run for ``item`` None."""
    return BASE_RUN if item is None else f"{item.name}-{side}"


def _value_text(value: Any) -> Any:
    """A setting value as a table cell: numbers and text as they are, the rest as JSON."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, default=str)


def _cost_usd(summary: dict[str, Any] | None) -> float:
    if not summary or not summary.get("has_solution") or summary.get("objective_usd") is None:
        return math.nan
    return float(summary["objective_usd"])


def _gap_pct(summary: dict[str, Any] | None) -> float:
    if not summary or not summary.get("has_solution") or summary.get("mip_gap_pct") is None:
        return math.nan
    return float(summary["mip_gap_pct"])


def _status(summary: dict[str, Any] | None) -> str:
    return NOT_RUN if summary is None else str(summary.get("status"))


def _note(side: str, summary: dict[str, Any] | None) -> str | None:
    """What to know about a run that is not a solution within its gap."""
    if summary is None:
        return f"{side}: {NOT_RUN}"
    status = str(summary.get("status"))
    if not summary.get("has_solution"):
        error = " ".join(str(summary.get("error") or status).split())  # one line
        return f"{side}: {status}, no solution ({error})"
    if status != "optimal":
        return f"{side}: {status} (a solution, gap {_gap_pct(summary):.2f} %)"
    return None


def _metros_note(side: str, summary: dict[str, Any] | None, base: dict[str, Any] | None) -> str:
    """For built scenarios: the metros a run leaves out (no edge site within its latency limit)
    against the base's, when they differ; its cost then serves other demand."""
    ours, theirs = (s.get("left_out_metros") if s else None for s in (summary, base))
    if not isinstance(ours, dict) or not isinstance(theirs, dict) or ours.keys() == theirs.keys():
        return ""
    more = [ours[m].split(":")[0] for m in ours.keys() - theirs.keys()]
    fewer = [theirs[m].split(":")[0] for m in theirs.keys() - ours.keys()]
    parts = ([f"leaves out {'; '.join(sorted(more))}"] if more else []) + (
        [f"serves {'; '.join(sorted(fewer))}"] if fewer else []
    )
    return f"{side}: {' and '.join(parts)}, unlike the base (other demand: not like for like)"


def _base_value(
    item: SensitivityInput, base_values: dict[str, Any], base: dict[str, Any] | None
) -> Any:
    """The input's setting in the base; for a setting left null that the run derives
    (:data:`DERIVED`), the value the base run derived."""
    value = base_values.get(item.name)
    if value is None and item.setting in DERIVED:
        return (base or {}).get(DERIVED[item.setting])
    return value


def read_runs(out_dir: str | os.PathLike[str], inputs: list[SensitivityInput]) -> dict:
    """The ``summary.json`` of every run of the sensitivity (None where there is none), by
    run name."""
    runs = Path(out_dir) / RUNS_DIR
    names = [BASE_RUN, *(run_name(item, side) for item in inputs for side in SIDES)]
    return {name: read_summary(runs / name) for name in names}


def tornado_table(
    out_dir: str | os.PathLike[str],
    inputs: list[SensitivityInput],
    base_values: dict[str, Any],
) -> pd.DataFrame:
    """The tornado of the sensitivity batch in ``out_dir`` (module docstring); ``base_values``
    maps each input's name to its setting's value in the base scenario."""
    summaries = read_runs(out_dir, inputs)
    base = summaries[BASE_RUN]
    base_cost, base_gap = _cost_usd(base), _gap_pct(base)
    base_band = abs(base_cost) * base_gap / 100
    rows = []
    for item in inputs:
        row: dict[str, Any] = {
            "input": item.name,
            "label": item.label,
            "setting": item.setting,
            "unit": item.unit,
            "base_value": _value_text(_base_value(item, base_values, base)),
            "low_value": _value_text(item.low),
            "high_value": _value_text(item.high),
            "base_cost_musd_per_year": base_cost / USD_PER_MUSD,
        }
        costs = [base_cost]
        notes = [note for note in [_note("base", base)] if note]
        for side in SIDES:
            summary = summaries[run_name(item, side)]
            cost, gap = _cost_usd(summary), _gap_pct(summary)
            change = cost - base_cost
            band = base_band + abs(cost) * gap / 100
            row[f"{side}_cost_musd_per_year"] = cost / USD_PER_MUSD
            row[f"{side}_change_musd_per_year"] = change / USD_PER_MUSD
            row[f"{side}_change_pct"] = 100 * change / base_cost if base_cost else math.nan
            row[f"{side}_gap_pct"] = gap
            row[f"{side}_gap_band_musd_per_year"] = band / USD_PER_MUSD
            row[f"{side}_within_gap"] = bool(abs(change) <= band) if math.isfinite(change) else None
            row[f"{side}_status"] = _status(summary)
            costs.append(cost)
            notes += [n for n in (_note(side, summary), _metros_note(side, summary, base)) if n]
        solved = [c for c in costs if math.isfinite(c)]
        row["swing_musd_per_year"] = (
            (max(solved) - min(solved)) / USD_PER_MUSD if len(solved) > 1 else math.nan
        )
        row["base_gap_pct"] = base_gap
        row["within_gap"] = all(row[f"{side}_within_gap"] is True for side in SIDES)
        row["base_status"] = _status(base)
        row["note"] = "; ".join(notes) or None
        row["source"] = item.source
        for side in SIDES:
            row[f"{side}_run"] = f"{RUNS_DIR}/{run_name(item, side)}"
        rows.append(row)
    table = pd.DataFrame(rows, columns=_TORNADO_COLUMNS)
    order = table["swing_musd_per_year"].fillna(-1.0).sort_values(ascending=False, kind="stable")
    return table.loc[order.index].reset_index(drop=True)


_TORNADO_COLUMNS = [
    "input", "label", "setting", "unit", "base_value", "low_value", "high_value",
    "base_cost_musd_per_year", "low_cost_musd_per_year", "high_cost_musd_per_year",
    "low_change_musd_per_year", "high_change_musd_per_year", "low_change_pct", "high_change_pct",
    "swing_musd_per_year", "base_gap_pct", "low_gap_pct", "high_gap_pct",
    "low_gap_band_musd_per_year", "high_gap_band_musd_per_year",
    "low_within_gap", "high_within_gap", "within_gap",
    "base_status", "low_status", "high_status", "note", "source", "low_run", "high_run",
]  # fmt: skip


def campus_mw_by_region(run_dir: str | os.PathLike[str]) -> dict[str, float]:
    """Campus MW built per region of a run folder with a solution (regions without: absent)."""
    sites = read_table(run_dir, "sites")
    campus = sites[sites["campus_mw"] > 0]
    return {str(r): float(mw) for r, mw in campus.groupby("region")["campus_mw"].sum().items()}


def campus_shift_table(
    out_dir: str | os.PathLike[str], inputs: list[SensitivityInput]
) -> pd.DataFrame:
    """Campus MW per region of every run of the sensitivity batch in ``out_dir`` and its shift
    from the base (module docstring)."""
    runs = Path(out_dir) / RUNS_DIR
    summaries = read_runs(out_dir, inputs)

    def by_region(name: str) -> dict[str, float] | None:
        summary = summaries[name]
        if not summary or not summary.get("has_solution"):
            return None
        return campus_mw_by_region(runs / name)

    base = by_region(BASE_RUN)
    head = {"input": BASE_RUN, "label": BASE_RUN, "side": BASE_RUN, "setting": None,
            "value": None, "status": _status(summaries[BASE_RUN])}  # fmt: skip
    rows = _shift_rows(head, base, base)
    for item in inputs:
        for side in SIDES:
            name = run_name(item, side)
            head = {"input": item.name, "label": item.label, "side": side,
                    "setting": item.setting, "value": _value_text(item.value(side)),
                    "status": _status(summaries[name])}  # fmt: skip
            rows += _shift_rows(head, by_region(name), base)
    return pd.DataFrame(rows, columns=_SHIFT_COLUMNS)


def _shift_rows(
    head: dict[str, Any], mw: dict[str, float] | None, base: dict[str, float] | None
) -> list[dict[str, Any]]:
    """The rows of one run: every region where it (``mw``, None without a solution) or the
    base builds a campus; one row without a region when there is none."""
    regions = sorted(set(base or {}) | set(mw or {})) or [None]
    rows = []
    for region in regions:
        here = math.nan if mw is None else mw.get(region, 0.0)
        before = math.nan if base is None else base.get(region, 0.0)
        rows.append({**head, "region": region, "campus_mw": here, "base_campus_mw": before,
                     "shift_mw": here - before})  # fmt: skip
    return rows


_SHIFT_COLUMNS = [
    "input", "label", "side", "setting", "value", "status", "region", "campus_mw",
    "base_campus_mw", "shift_mw",
]  # fmt: skip
