"""Full-year check: the plan chosen on representative days, operated over every hour.

The static decisions the model declares (campuses per block, edge modules, metro assignments,
storage energy and power, interconnect upgrades, firm capacity) are fixed at the solved plan's
values, the rows only the planning model has are dropped, and the dispatch LP is solved over
all hours of the year (each day its own period, storage cyclic per day, as in the reduced
model). Training may be curtailed beyond its budget and load may go unserved where the fixed
plan falls short, both at the unserved penalty, so the check always has an answer and says how
far the plan misses. Only the sites the plan uses are kept (an unused site imports nothing),
which keeps the LP small.

When every day is its own representative day, the check solves the same dispatch problem as
the reduced model and reproduces its dispatch cost exactly.
"""

from __future__ import annotations

import dataclasses
import time

import pyomo.environ as pyo

from optimizer.model import BuiltModel, build_model
from optimizer.scenario import Scenario, scenario_from_frames
from optimizer.solve.highs import SolverOptions, load_values, solve_matrix, to_matrix


def used_sites(reduced: BuiltModel) -> list[str]:
    """Sites where the plan builds anything (campus, modules, storage or an upgrade)."""
    p = reduced.parts
    built = [
        p.siting.campus_mw,
        p.siting.edge_modules,
        p.storage.storage_power_mw,
        p.storage.storage_energy_mwh,
        p.power.interconnect_upgrade_mw,
    ]
    return [
        s
        for s in reduced.data.sites
        if any(s in part and abs(pyo.value(part[s]) or 0.0) > 1e-9 for part in built)
    ]


def restrict_to_sites(scenario: Scenario, sites: list[str]) -> Scenario:
    """The same scenario with only the given sites (and their latency pairs)."""
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


def full_year_check(
    reduced: BuiltModel, full_year: Scenario, reduced_summary: dict, options: SolverOptions
) -> dict:
    """Operate the reduced model's plan over the full year; return the ``full_year`` summary.

    ``full_year`` is the scenario over every hour of the year (same sites, metros, regions);
    ``reduced_summary`` is the reduced run's summary (its objective breakdown is compared).
    """
    started = time.perf_counter()
    sites = used_sites(reduced)
    scenario = restrict_to_sites(full_year, sites)
    full = build_model(scenario, operational_check=True)
    fix_decisions(full, reduced)
    matrix = to_matrix(full.model)
    result = solve_matrix(matrix, dataclasses.replace(options, mip_gap_pct=0.0))
    if not result.has_solution:
        return {"status": result.status, "seconds": time.perf_counter() - started}
    load_values(matrix, result.x)
    p, d = full.parts, full.data
    terms = {k: float(pyo.value(p.objective.cost_usd[k])) for k in p.objective.terms}
    campus = sum(pyo.value(p.siting.campus_mw[s]) for s in d.campus_sites)
    curtailed = p.power.curtailed_mw.extract_values().items()
    curtailed_mwh = sum(d.weight_h[t] * v for (_, t), v in curtailed)
    excess = sum(p.power.curtail_excess_mwh.extract_values().values())
    shortfalls = p.stranded.shortfall_mw.extract_values().items()
    shortfall = sum(d.weight_h[t] * v for (_, t), v in shortfalls)
    unassigned = sum(  # inference the plan leaves unserved, over the year's own profile
        d.inference_energy_h(d.metro_zone[mm]) * (v or 0.0)
        for mm, v in p.demand.unserved_mw.extract_values().items()
    )
    reduced_terms = reduced_summary["objective_breakdown_usd"]
    dispatch_terms = p.objective.dispatch_terms
    dispatch_full = sum(terms[k] for k in dispatch_terms)
    dispatch_reduced = sum(reduced_terms[k] for k in dispatch_terms)
    out = {
        "status": result.status,
        "hours": d.hours_per_year,
        "sites_operated": len(sites),
        "objective_usd": sum(terms.values()),
        "objective_breakdown_usd": terms,
        "dispatch_cost_usd": dispatch_full,
        "training_curtailment_pct": 100 * curtailed_mwh / (campus * d.hours_per_year)
        if campus
        else 0.0,
        "curtailment_beyond_budget_mwh": excess,
        "unserved_energy_mwh": unassigned + shortfall,
        "shortfall_energy_mwh": shortfall,
        "reduced": {
            "objective_usd": reduced_summary["objective_usd"],
            "dispatch_cost_usd": dispatch_reduced,
            "training_curtailment_pct": reduced_summary["totals"]["training_curtailment_pct"],
        },
        "difference": {
            "objective_usd": sum(terms.values()) - reduced_summary["objective_usd"],
            "dispatch_cost_usd": dispatch_full - dispatch_reduced,
            "dispatch_cost_pct": 100 * (dispatch_full - dispatch_reduced) / dispatch_reduced
            if dispatch_reduced
            else 0.0,
            "training_curtailment_pct_points": 100 * curtailed_mwh / (campus * d.hours_per_year)
            - reduced_summary["totals"]["training_curtailment_pct"]
            if campus
            else 0.0,
        },
        "build_seconds": full.build_seconds,
        "handoff_seconds": matrix.handoff_seconds,
        "solve_seconds": result.solve_seconds,
        "seconds": time.perf_counter() - started,
    }
    return out
