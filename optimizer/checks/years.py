"""Weather years: a solved plan operated in every year of the load record.

The plan is chosen on representative days of one year; a planner wants to know how it fares in
the others. Each year of the record (its own hourly load against the seasonal thresholds of the
whole record, so its own stranded power; ``builders.us.timeseries.weather_year``) gets the
plan's dispatch LP (:mod:`.dispatch`, the full-year check's): its cost, the training curtailment
against the budget, the inference left unserved and the firm capacity short, per year and per
BA. A BA whose load the record lacks in a year (more than a couple of days of it) sits that year
out with its sites, and the year's row says so.

One HiGHS model serves every year of the same length: the LP's matrix depends only on the sites,
the steps' count, periods, weights and durations, so :meth:`DispatchLP.update` moves it to the
next year by bounds, right-hand sides and costs, and HiGHS starts from the last basis. Leap and
common years (8,784 and 8,760 hours) take one model each, a year without a BA another, and
under zonal deliverability a year whose steps with grid rows differ another.

A zonal plan is operated zonally in every year, its interfaces and firm capacity per zone as in
the full-year check: only the steps where the interfaces might not deliver the plan's largest
draws get grid rows and flows (:mod:`.deliverable`), 0-1 steps a year on the default US
scenario, where a flow per interface and hour would be 2.6 million columns.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Protocol

import numpy as np
import pandas as pd
from pyomo.common.gc_manager import PauseGC

from optimizer.checks.dispatch import DispatchLP, DispatchSolution, FixedPlan, regions_table
from optimizer.model import BuiltModel, model_data
from optimizer.model.sets import with_steps
from optimizer.scenario import Scenario
from optimizer.solve.highs import SolverOptions

YEAR_COLUMNS = [
    "year", "status", "hours", "bas_left_out", "total_cost_usd", "dispatch_cost_usd",
    "training_curtailment_pct", "curtailment_budget_pct", "curtailment_beyond_budget_mwh",
    "unserved_energy_mwh", "firm_capacity_short_mw", "lp_reused", "seconds",
]  # fmt: skip
"""Columns of ``weather_years.csv``, one row per year."""


class YearSteps(Protocol):
    """One year's hours (the US builder's ``Steps``): ``timesteps`` (``timestep, period,
    duration_h, weight_h``), ``stranded`` (``region, timestep, stranded_mw``; a BA without that
    year's load is absent) and ``inference_profiles`` (``profile_zone, timestep,
    inference_profile``)."""

    timesteps: pd.DataFrame
    stranded: pd.DataFrame
    inference_profiles: pd.DataFrame


BEYOND_TOLERANCE_MWH = 1e-3
"""Curtailment beyond a campus's budget below this counts as none."""
TIGHTEST_DAYS = 60
"""Days of a year named where its hourly operation curtails most beyond the budget."""


def tightest_days(lp: DispatchLP, solution: DispatchSolution, periods: np.ndarray) -> list[str]:
    """The days (``period`` names, one per day) on which the campuses that curtail beyond their
    budget in ``solution`` curtail the most energy, most first: at most :data:`TIGHTEST_DAYS`,
    only days with some curtailment. The robust rounds add them to the plan's days."""
    lay, x = lp.layout, solution.x
    first = lay.col["curtail_excess_mwh"]
    beyond = x[first : first + len(lay.campus)] > BEYOND_TOLERANCE_MWH
    block = x[lay.col["curtailed_mw"] : lay.col["curtailed_mw"] + len(lay.campus) * lay.steps]
    energy = block.reshape(len(lay.campus), lay.steps)[beyond].sum(axis=0) * lp.data.series.weight_h
    per_day = pd.Series(energy).groupby(periods).sum().sort_values(ascending=False, kind="stable")
    return [str(day) for day in per_day[per_day > BEYOND_TOLERANCE_MWH].index[:TIGHTEST_DAYS]]


def operate_years(
    reduced: BuiltModel,
    full_year: Scenario,
    years: dict[int, YearSteps],
    options: SolverOptions,
    left_out: dict[int, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Operate the solved ``reduced`` model's plan in each year of ``years`` (the sets, costs and
    flat prices of ``full_year``, each year's steps and series: ``with_steps``).

    Returns ``weather_years`` (:data:`YEAR_COLUMNS`), ``weather_year_bas`` (year, region and
    the figures of :func:`~.dispatch.regions_table`) and what ``summary.json`` says of them
    (``seconds``, ``lp_models`` and per year its row). ``left_out`` names, per year, the BAs
    that sat it out (their sites with them).
    """
    started = time.perf_counter()
    options = dataclasses.replace(options, mip_gap_pct=0.0)
    budget_pct = 100 * reduced.data.curtailment_budget_frac
    with PauseGC():
        plan = FixedPlan.of(reduced)
        base = model_data(full_year, operational_check=True)
    models: dict[tuple, DispatchLP] = {}
    tight: dict[int, list[str]] = {}
    built_lps = 0
    rows, regions = [], []
    for year, steps in sorted(years.items()):
        clock = time.perf_counter()
        data = with_steps(base, steps.timesteps, steps.stranded, steps.inference_profiles)
        present = set(steps.stranded["region"])
        year_plan = dataclasses.replace(
            plan, sites=[s for s in plan.sites if data.site_region[s] in present]
        )
        key = (len(data.timesteps), tuple(year_plan.sites))
        lp = models.get(key)
        reused = lp is not None and lp.fits(data)
        if reused:
            lp.update(data)
        else:
            lp = models[key] = DispatchLP(data, year_plan, options)
            built_lps += 1
        solution = lp.solve()
        per_ba = regions_table(lp, solution)
        if solution.has_solution and solution.curtail_excess_mwh > BEYOND_TOLERANCE_MWH:
            tight[year] = tightest_days(lp, solution, steps.timesteps["period"].to_numpy())
        firm_short = float(per_ba["shortfall_peak_mw"].sum()) if len(per_ba) else 0.0
        ok = solution.has_solution
        rows.append({
            "year": year,
            "status": solution.status,
            "hours": data.hours_per_year,
            "bas_left_out": (left_out or {}).get(year, ""),
            "total_cost_usd": solution.objective_usd if ok else None,
            "dispatch_cost_usd": solution.dispatch_cost_usd if ok else None,
            "training_curtailment_pct": solution.training_curtailment_pct if ok else None,
            "curtailment_budget_pct": budget_pct,
            "curtailment_beyond_budget_mwh": solution.curtail_excess_mwh if ok else None,
            "unserved_energy_mwh": solution.unserved_energy_mwh if ok else None,
            "firm_capacity_short_mw": firm_short if ok else None,
            "lp_reused": reused,
            "seconds": time.perf_counter() - clock,
        })  # fmt: skip
        regions.append(per_ba.assign(year=year))
    table = pd.DataFrame(rows, columns=YEAR_COLUMNS)
    bas = pd.concat(regions, ignore_index=True) if regions else pd.DataFrame()
    if len(bas):
        bas = bas[["year", *[c for c in bas.columns if c != "year"]]]
    info = {
        "deliverability": base.deliverability,
        "seconds": time.perf_counter() - started,
        "lp_models": built_lps,
        "years": {
            int(r["year"]): {k: v for k, v in r.items() if k != "year"}
            | ({"tightest_days": tight[r["year"]]} if r["year"] in tight else {})
            for r in rows
        },
    }
    return table, bas, info
