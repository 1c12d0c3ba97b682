"""Full-year check: the plan chosen on representative days, operated over every hour.

The static decisions the model declares (campuses per block, edge modules, metro assignments,
storage energy and power, interconnect upgrades, firm capacity) are fixed at the solved plan's
values, the rows only the planning model has are dropped, and the dispatch LP is solved over
all hours of the year (each day its own period, storage cyclic per day, as in the reduced
model). Training may be curtailed beyond its budget and load may go unserved where the fixed
plan falls short, both at the unserved penalty, so the check always has an answer and says how
far the plan misses. Only the sites the plan uses are operated (an unused site imports nothing).

Two ways to the same LP:

- :func:`operate_with_matrices` (what :func:`full_year_check` uses): the plan's numbers
  (:class:`~optimizer.checks.dispatch.FixedPlan`) and the year's
  :class:`~optimizer.model.ModelData`, read straight from the validated full-year scenario, go
  to :mod:`optimizer.checks.dispatch`, which builds the LP as sparse matrices for HiGHS;
- :func:`operate_with_pyomo`: the definition, and the tests' reference: the ``operational_check``
  Pyomo model of the year over the used sites, its static decisions fixed
  (:func:`fix_decisions`), handed to HiGHS like the planning model. Tens of seconds on a full
  year where the matrices take about one.

When every day is its own representative day, the check solves the same dispatch problem as
the reduced model and reproduces its dispatch cost exactly.
"""

from __future__ import annotations

import dataclasses
import time

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from optimizer.checks.dispatch import DispatchLP, DispatchSolution, FixedPlan
from optimizer.model import BuiltModel, build_model, model_data
from optimizer.model.objective import ObjectiveParts
from optimizer.scenario import Scenario, scenario_from_frames
from optimizer.solve.highs import SolverOptions, load_values, solve_matrix, to_matrix


def used_sites(reduced: BuiltModel) -> list[str]:
    """Sites where the plan builds anything (campus, modules, storage or an upgrade)."""
    return FixedPlan.of(reduced).sites


def restrict_to_sites(scenario: Scenario, sites: list[str]) -> Scenario:
    """The same scenario with only the given sites (and their latency pairs), validated again."""
    keep = scenario.sites["site"].isin(sites)
    return scenario_from_frames(
        scenario.config,
        sites=scenario.sites[keep],
        metros=scenario.metros,
        regions=scenario.regions,
        timesteps=scenario.timesteps,
        stranded=scenario.stranded,
        prices=scenario.prices,
        latency=scenario.latency[scenario.latency["site"].isin(sites)],
        inference_profiles=scenario.inference_profiles,
        source=f"{scenario.source} (sites used by the plan)",
        require_reach=False,
        zones=scenario.zones,
        region_zones=scenario.region_zones,
        interfaces=scenario.interfaces,
    )


def fix_decisions(full: BuiltModel, reduced: BuiltModel) -> None:
    """Fix every static decision of ``full`` at its value in the solved ``reduced`` model and
    drop the planning-only rows (held by the fixed plan: checking them in floating point would
    only trip on rounding)."""
    decisions = zip(full.parts.static_decisions(), reduced.parts.static_decisions(), strict=True)
    for target, source in decisions:
        values = source.extract_values()
        for index, var in target.items():
            var.fix(values.get(index) or 0.0)
    for rows in full.parts.planning_rows():
        rows.deactivate()


def operate_with_matrices(
    reduced: BuiltModel, full_year: Scenario, options: SolverOptions
) -> tuple[DispatchSolution, dict[str, float]]:
    """Operate the solved ``reduced`` model's plan over ``full_year`` with the matrix dispatch
    LP; returns its solution and the seconds of each stage (``plan``: reading the plan,
    ``data``: the year's ModelData, ``matrix``: the LP's arrays and their hand-off to HiGHS,
    ``solve``)."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with PauseGC():  # the planning model's many objects make each collection slow
        plan = FixedPlan.of(reduced)
        seconds["plan"] = time.perf_counter() - started
        started = time.perf_counter()
        data = model_data(full_year, operational_check=True)
        seconds["data"] = time.perf_counter() - started
        lp = DispatchLP(data, plan, dataclasses.replace(options, mip_gap_pct=0.0))
        seconds["matrix"] = lp.build_seconds
    solution = lp.solve()
    seconds["solve"] = solution.solve_seconds
    return solution, seconds


def operate_with_pyomo(
    reduced: BuiltModel, full_year: Scenario, options: SolverOptions
) -> tuple[DispatchSolution, dict[str, float]]:
    """Operate the plan with the Pyomo ``operational_check`` model (the definition); returns the
    same summary as :func:`operate_with_matrices` and the seconds of each stage (``plan``,
    ``restrict``: the scenario of the used sites, ``build``, ``fix``, ``handoff``, ``solve``,
    ``read``: values back into Pyomo and the figures read from them)."""
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = now - clock
        clock = now

    sites = used_sites(reduced)
    lap("plan")
    scenario = restrict_to_sites(full_year, sites)
    lap("restrict")
    full = build_model(scenario, operational_check=True)
    lap("build")
    fix_decisions(full, reduced)
    lap("fix")
    matrix = to_matrix(full.model)
    lap("handoff")
    result = solve_matrix(matrix, dataclasses.replace(options, mip_gap_pct=0.0))
    seconds["solve"] = result.solve_seconds
    clock = time.perf_counter()
    if not result.has_solution:
        return DispatchSolution(result.status, result.highs_status, False), seconds
    with PauseGC():
        load_values(matrix, result.x)
        p, d = full.parts, full.data
        weights = d.weight_h
        shortfalls = p.stranded.shortfall_mw.extract_values().items()
        solution = DispatchSolution(
            status=result.status,
            highs_status=result.highs_status,
            has_solution=True,
            cost_usd={k: float(pyo.value(p.objective.cost_usd[k])) for k in p.objective.terms},
            curtailed_mwh=sum(
                weights[t] * v
                for curtailed in (p.power.curtailed_mw, p.power.pool_curtailed_mw)
                for (_, t), v in curtailed.extract_values().items()
            ),
            curtail_excess_mwh=sum(
                v
                for excess in (p.power.curtail_excess_mwh, p.power.pool_curtail_excess_mwh)
                for v in excess.extract_values().values()
            ),
            shortfall_mwh=sum(weights[t] * v for (_, t), v in shortfalls),
            unassigned_mwh=sum(  # inference the plan leaves unserved, over the year's profile
                d.inference_energy_h(d.metro_zone[mm]) * (v or 0.0)
                for mm, v in p.demand.unserved_mw.extract_values().items()
            ),
            campus_mw=sum(pyo.value(p.siting.campus_mw[s]) for s in d.campus_sites),
            hours=d.hours_per_year,
            sites_operated=len(sites),
            solve_seconds=result.solve_seconds,
            x=result.x,
        )
    lap("read")
    return solution, seconds


def full_year_check(
    reduced: BuiltModel, full_year: Scenario, reduced_summary: dict, options: SolverOptions
) -> dict:
    """Operate the reduced model's plan over the full year; return the ``full_year`` summary.

    ``full_year`` is the validated scenario over every hour of the year (same sites, metros,
    regions); ``reduced_summary`` is the reduced run's summary (its objective breakdown is
    compared). Timing keys: ``data_seconds`` (the year's model data), ``matrix_seconds`` (the
    dispatch LP's arrays, handed to HiGHS), ``solve_seconds`` and ``seconds`` (all of it).
    """
    started = time.perf_counter()
    solution, stages = operate_with_matrices(reduced, full_year, options)
    if not solution.has_solution:
        return {"status": solution.status, "seconds": time.perf_counter() - started}
    out = summarize(solution, reduced_summary)
    out.update(
        {
            "data_seconds": stages["data"],
            "matrix_seconds": stages["matrix"],
            "solve_seconds": stages["solve"],
            "seconds": time.perf_counter() - started,
        }
    )
    return out


def summarize(solution: DispatchSolution, reduced_summary: dict) -> dict:
    """The ``full_year`` summary keys (without timings) of a solved dispatch, next to the
    reduced run's figures."""
    reduced_terms = reduced_summary["objective_breakdown_usd"]
    dispatch_full = solution.dispatch_cost_usd
    dispatch_reduced = sum(reduced_terms[k] for k in ObjectiveParts.dispatch_terms)
    curtailment_pct = solution.training_curtailment_pct
    reduced_curtailment_pct = reduced_summary["totals"]["training_curtailment_pct"]
    return {
        "status": solution.status,
        "hours": solution.hours,
        "sites_operated": solution.sites_operated,
        "objective_usd": solution.objective_usd,
        "objective_breakdown_usd": dict(solution.cost_usd),
        "dispatch_cost_usd": dispatch_full,
        "training_curtailment_pct": curtailment_pct,
        "curtailment_beyond_budget_mwh": solution.curtail_excess_mwh,
        "unserved_energy_mwh": solution.unserved_energy_mwh,
        "shortfall_energy_mwh": solution.shortfall_mwh,
        "reduced": {
            "objective_usd": reduced_summary["objective_usd"],
            "dispatch_cost_usd": dispatch_reduced,
            "training_curtailment_pct": reduced_curtailment_pct,
        },
        "difference": {
            "objective_usd": solution.objective_usd - reduced_summary["objective_usd"],
            "dispatch_cost_usd": dispatch_full - dispatch_reduced,
            "dispatch_cost_pct": 100 * (dispatch_full - dispatch_reduced) / dispatch_reduced
            if dispatch_reduced
            else 0.0,
            "training_curtailment_pct_points": curtailment_pct - reduced_curtailment_pct
            if solution.campus_mw
            else 0.0,
        },
    }
