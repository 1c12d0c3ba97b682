"""Full-year check: the plan chosen on representative days, operated over every hour.

The build decisions of a solved model (campuses per block, edge modules, metro assignments,
storage energy and power, interconnect upgrades, firm capacity) are fixed, and the dispatch LP
is solved over all hours of the year (each day its own period, storage cyclic per day, as in
the reduced model). Training may be curtailed beyond its budget and load may go unserved where
the fixed plan falls short, both at the unserved penalty, so the check always has an answer and
says how far the plan misses. Only the sites the plan uses are kept (an unused site imports
nothing), which keeps the LP small.

When every day is its own representative day, the check solves the same dispatch problem as
the reduced model and reproduces its dispatch cost exactly.
"""

from __future__ import annotations

import dataclasses
import time

import pyomo.environ as pyo

from optimizer.model import COST_TERMS, BuiltModel, build_model
from optimizer.scenario import Scenario, scenario_from_frames
from optimizer.solve.highs import SolverOptions, load_values, solve_matrix, to_matrix

DECISIONS = (
    "build_campus",
    "edge_modules",
    "serve_mw",
    "unserved_mw",
    "storage_energy_mwh",
    "storage_power_mw",
    "interconnect_upgrade_mw",
    "firm_capacity_mw",
)
BUILD_CONSTRAINTS = (
    "siting_one_block",
    "siting_training_target",
    "siting_site_cap",
    "demand_balance",
    "demand_module_cap",
    "power_upgrade_cap",
    "power_upgrade_need",
)
"""Constraints on build decisions only: held by the fixed plan, so dropped (checking them in
floating point would only trip on rounding)."""
DISPATCH_TERMS = ("energy", "curtailment", "unserved")
"""Cost terms that depend on hourly operation; the others are fixed with the build."""


def used_sites(reduced: BuiltModel) -> list[str]:
    """Sites where the plan builds anything (campus, modules, storage or an upgrade)."""
    m = reduced.model
    used = []
    for s in reduced.data.sites:
        values = [
            pyo.value(m.campus_mw[s]) if s in m.campus_sites else 0.0,
            pyo.value(m.edge_modules[s]) if s in m.edge_sites else 0.0,
            pyo.value(m.storage_power_mw[s]) if s in m.storage_sites else 0.0,
            pyo.value(m.storage_energy_mwh[s]) if s in m.storage_sites else 0.0,
            pyo.value(m.interconnect_upgrade_mw[s]),
        ]
        if any(abs(v or 0.0) > 1e-9 for v in values):
            used.append(s)
    return used


def restrict_to_sites(scenario: Scenario, sites: list[str]) -> Scenario:
    """The same scenario with only the given sites (and their latency pairs)."""
    keep = scenario.sites["site"].isin(sites)
    return scenario_from_frames(
        scenario.config,
        sites=scenario.sites[keep],
        metros=scenario.metros,
        regions=scenario.regions,
        timesteps=scenario.timesteps,
        headroom=scenario.headroom,
        prices=scenario.prices,
        latency=scenario.latency[scenario.latency["site"].isin(sites)],
        inference_profiles=scenario.inference_profiles,
        source=f"{scenario.source} (sites used by the plan)",
        require_reach=False,
    )


def fix_decisions(full: BuiltModel, reduced: BuiltModel) -> None:
    """Fix every build decision of ``full`` at its value in the solved ``reduced`` model."""
    for name in DECISIONS:
        target, source = getattr(full.model, name), getattr(reduced.model, name)
        values = source.extract_values()
        for index, var in target.items():
            var.fix(values.get(index) or 0.0)
    for name in BUILD_CONSTRAINTS:
        component = full.model.component(name)
        if component is not None:
            component.deactivate()
    static = set(full.model.edge_only_sites)  # their draw is fixed by the plan's assignments
    for (s, _), con in full.model.power_interconnect_limit.items():
        if s in static:
            con.deactivate()


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
    result = solve_matrix(matrix, dataclasses.replace(options, mip_rel_gap=0.0))
    if not result.has_solution:
        return {"status": result.status, "seconds": time.perf_counter() - started}
    load_values(matrix, result.x)
    m, d = full.model, full.data
    terms = {k: float(pyo.value(m.cost_usd[k])) for k in COST_TERMS}
    campus = sum(pyo.value(m.campus_mw[s]) for s in d.campus_sites)
    curtailed_mwh = sum(d.weight_h[t] * v for (_, t), v in m.curtailed_mw.extract_values().items())
    excess = sum(m.curtail_excess_mwh.extract_values().values())
    shortfall = sum(d.weight_h[t] * v for (_, t), v in m.shortfall_mw.extract_values().items())
    unassigned = sum(  # inference the plan leaves unserved, over the year's own profile
        d.inference_energy_h(d.metro_zone[mm]) * (v or 0.0)
        for mm, v in m.unserved_mw.extract_values().items()
    )
    reduced_terms = reduced_summary["objective_breakdown_usd"]
    dispatch_full = sum(terms[k] for k in DISPATCH_TERMS)
    dispatch_reduced = sum(reduced_terms[k] for k in DISPATCH_TERMS)
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
