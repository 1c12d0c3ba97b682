"""Tidy result tables, totals and duals of a solved siting model (a :class:`Results`).

Tables (one name from Pyomo component to column):

- ``sites``: one row per candidate site with every decision and its annualized cost;
- ``metros``: one row per metro with its demand, served and unserved MW;
- ``assignments``: site, metro, served_mw, latency_ms;
- ``dispatch``: site, timestep and every power flow (MW) and state of charge (MWh);
- ``regions``: per region headroom used, firm capacity and the value of more headroom;
- ``region_timesteps``: per region and step the headroom, the import and its dual.

``summary`` holds status, objective and its terms, gap, timings, model size and totals.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from optimizer.model import COST_TERMS, BuiltModel
from optimizer.model.objective import SITE_COST_TERMS
from optimizer.results.folder import Results
from optimizer.scenario import Scenario
from optimizer.solve.highs import MatrixModel, SolveResult


def _values(var: pyo.Var) -> dict:
    """Solution values by index; unset is 0 and solver noise below 1e-9 is cleaned to 0."""
    return {
        k: (0.0 if v is None or abs(v) < 1e-9 else float(v))
        for k, v in var.extract_values().items()
    }


def _duals(matrix: MatrixModel, result: SolveResult, component: pyo.Constraint) -> dict:
    """Dual of each row of ``component`` keyed by index (empty when no duals were computed)."""
    if result.row_dual is None:
        return {}
    out = {}
    for row, con in enumerate(matrix.rows):
        if con.parent_component() is component:
            out[con.index()] = float(result.row_dual[row])
    return out


def _clean(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def collect_results(
    built: BuiltModel,
    matrix: MatrixModel,
    result: SolveResult,
    scenario: Scenario,
    scenario_info: dict,
) -> Results:
    """Read the solved model (values already loaded into its variables) into tables."""
    m, d = built.model, built.data
    summary = {
        "status": result.status,
        "highs_status": result.highs_status,
        "has_solution": result.has_solution,
        "notes": list(result.notes),
        "objective_usd": _clean(result.objective_usd),
        "best_bound_usd": _clean(result.best_bound_usd),
        "mip_gap": _clean(result.mip_gap),
        "build_seconds": built.build_seconds,
        "handoff_seconds": matrix.handoff_seconds,
        "solve_seconds": result.solve_seconds,
        "dual_seconds": result.dual_seconds,
        "model_size": matrix.shape,
        "wacc": d.wacc,
        "capital_recovery_factor": d.crf,
        "scenario": scenario_info,
    }
    if not result.has_solution:
        empty = pd.DataFrame()
        return Results(summary, empty, empty, empty, empty, empty, empty)

    breakdown = {k: float(pyo.value(m.cost_usd[k])) for k in COST_TERMS}
    summary["objective_breakdown_usd"] = breakdown

    campus_mw = {s: float(pyo.value(m.campus_mw[s])) for s in d.campus_sites}
    modules = {s: int(round(v)) for s, v in _values(m.edge_modules).items()}
    served = _values(m.serve_mw)
    grid = _values(m.grid_import_mw)
    curtailed = _values(m.curtailed_mw)
    charge, discharge, soc = _values(m.charge_mw), _values(m.discharge_mw), _values(m.soc_mwh)
    energy_mwh, power_mw = _values(m.storage_energy_mwh), _values(m.storage_power_mw)
    upgrade = _values(m.interconnect_upgrade_mw)
    site_cost = {k: float(pyo.value(e)) for k, e in m.site_cost_usd.items()}
    ic_dual = _duals(matrix, result, m.power_interconnect_limit)

    # dispatch, long form
    index = pd.MultiIndex.from_product([d.sites, d.timesteps], names=["site", "timestep"])
    edge_served = {s: sum(served[s, mm] for mm in d.pairs_of_site[s]) for s in d.edge_sites}
    zone_served: dict[str, dict[str, float]] = {}
    for (s, mm), v in served.items():
        zone = zone_served.setdefault(s, {})
        zone[d.metro_zone[mm]] = zone.get(d.metro_zone[mm], 0.0) + v
    profile = {z: np.array([d.inference_profile[z, t] for t in d.timesteps]) for z in d.zones}
    weight = np.array([d.weight_h[t] for t in d.timesteps])
    dispatch = pd.DataFrame(index=index)
    n_t = len(d.timesteps)

    def per_site(values: dict, sites: list[str]) -> np.ndarray:
        have = set(sites)
        return np.array(
            [values.get((s, t), 0.0) if s in have else 0.0 for s in d.sites for t in d.timesteps]
        )

    n_zero = np.zeros(n_t)
    inference = np.concatenate(
        [sum((v * profile[z] for z, v in zone_served.get(s, {}).items()), n_zero) for s in d.sites]
    )
    hourly = set(d.hourly_sites)
    pue_rep = np.repeat([d.pue[s] for s in d.sites], n_t)
    static = np.repeat([s not in hourly for s in d.sites], n_t)
    dispatch["grid_import_mw"] = np.where(static, pue_rep * inference, per_site(grid, d.sites))
    campus_rep = np.repeat([campus_mw.get(s, 0.0) for s in d.sites], n_t)
    curtail_arr = per_site(curtailed, d.campus_sites)
    dispatch["inference_mw"] = inference
    dispatch["training_mw"] = campus_rep - curtail_arr
    dispatch["curtailed_mw"] = curtail_arr
    dispatch["charge_mw"] = per_site(charge, d.storage_sites)
    dispatch["discharge_mw"] = per_site(discharge, d.storage_sites)
    dispatch["soc_mwh"] = per_site(soc, d.storage_sites)
    dispatch["site_load_mw"] = pue_rep * (dispatch["inference_mw"] + dispatch["training_mw"])
    dispatch["weight_h"] = np.tile(weight, len(d.sites))
    dispatch = dispatch.reset_index()

    # sites
    by_site = dispatch.groupby("site", sort=False)
    peak_import = by_site["grid_import_mw"].max()
    curtailed_mwh = (
        (dispatch["curtailed_mw"] * dispatch["weight_h"]).groupby(dispatch["site"]).sum()
    )
    hours = d.hours_per_year
    rows = []
    for s in d.sites:
        cmw = campus_mw.get(s, 0.0)
        costs = {f"{k}_usd": site_cost.get((s, k), 0.0) for k in SITE_COST_TERMS}
        rows.append(
            {
                "site": s,
                "region": d.site_region[s],
                "count": d.count[s],
                "campuses": int(round(pyo.value(m.campus_count[s]))) if s in campus_mw else 0,
                "campus_mw": cmw,
                "edge_modules": modules.get(s, 0),
                "edge_mw": d.module_mw * modules.get(s, 0),
                "edge_served_mw": edge_served.get(s, 0.0),
                "storage_energy_mwh": energy_mwh.get(s, 0.0),
                "storage_power_mw": power_mw.get(s, 0.0),
                "interconnect_mw": d.interconnect_mw[s],
                "interconnect_upgrade_mw": upgrade.get(s, 0.0),
                "grid_import_peak_mw": float(peak_import[s]),
                "curtailed_mwh": float(curtailed_mwh[s]),
                "curtailment_pct": 100 * float(curtailed_mwh[s]) / (cmw * hours) if cmw else 0.0,
                "pue": d.pue[s],
                "time_to_power_years": d.time_to_power_years[s],
                **costs,
                "total_cost_usd": sum(costs.values()),
                "interconnect_dual_usd_per_mw_year": -sum(
                    ic_dual.get((s, t), 0.0) for t in d.timesteps
                )
                if ic_dual
                else None,
            }
        )
    sites = pd.DataFrame(rows)
    sites["built"] = (sites["campus_mw"] > 0) | (sites["edge_modules"] > 0)
    extra = [c for c in ("voltage_class", "spur_km") if c in scenario.sites.columns]
    if extra:
        sites = sites.merge(scenario.sites[["site", *extra]], on="site", how="left")
    coords = scenario.sites.set_index("site")[["lat", "lon"]]
    sites.insert(2, "lat", sites["site"].map(coords["lat"]))
    sites.insert(3, "lon", sites["site"].map(coords["lon"]))

    assignments = pd.DataFrame(
        [
            {"site": s, "metro": mm, "served_mw": v, "latency_ms": d.latency_ms[s, mm]}
            for (s, mm), v in served.items()
            if v > 1e-6
        ],
        columns=["site", "metro", "served_mw", "latency_ms"],
    )

    unserved = _values(m.unserved_mw)
    metros = scenario.metros[
        ["metro", "lat", "lon", "inference_demand_mw", "latency_max_ms"]
    ].copy()
    metros["unserved_mw"] = metros["metro"].map(unserved).fillna(0.0)
    metros["served_mw"] = metros["inference_demand_mw"] - metros["unserved_mw"]
    metros["serving_sites"] = metros["metro"].map(assignments.groupby("metro").size()).fillna(0)

    # regions
    hr_dual = _duals(matrix, result, m.headroom_limit)
    firm = _values(m.firm_capacity_mw)
    site_region = pd.Series(d.site_region)
    region_import = (
        dispatch.assign(region=dispatch["site"].map(site_region))
        .groupby(["region", "timestep"])["grid_import_mw"]
        .sum()
    )
    step_rows = []
    for r in d.regions:
        for t in d.timesteps:
            available = d.headroom_share[r] * d.headroom_mw[r, t]
            dual = hr_dual.get((r, t))
            step_rows.append(
                {
                    "region": r,
                    "timestep": t,
                    "weight_h": d.weight_h[t],
                    "headroom_mw": d.headroom_mw[r, t],
                    "headroom_available_mw": available,
                    "grid_import_mw": float(region_import.get((r, t), 0.0)),
                    "firm_capacity_mw": firm.get(r, 0.0),
                    "headroom_dual_usd_per_mw": None
                    if dual is None
                    else -dual * d.headroom_share[r],
                }
            )
    region_timesteps = pd.DataFrame(step_rows)
    rt = region_timesteps.assign(
        used_mwh=region_timesteps["weight_h"]
        * np.minimum(region_timesteps["grid_import_mw"], region_timesteps["headroom_available_mw"]),
        available_mwh=region_timesteps["weight_h"] * region_timesteps["headroom_available_mw"],
    )
    grouped = rt.groupby("region", sort=False)
    regions = pd.DataFrame(
        {
            "region": d.regions,
            "sites": [len(d.sites_in_region[r]) for r in d.regions],
            "grid_import_peak_mw": grouped["grid_import_mw"].max().reindex(d.regions).to_numpy(),
            "headroom_used_mwh": grouped["used_mwh"].sum().reindex(d.regions).to_numpy(),
            "headroom_available_mwh": grouped["available_mwh"].sum().reindex(d.regions).to_numpy(),
            "firm_capacity_mw": [firm.get(r, 0.0) for r in d.regions],
            "firm_capacity_usd": [
                firm.get(r, 0.0) * d.firm_capacity_usd_per_mw_year[r] for r in d.regions
            ],
            "headroom_dual_usd_per_mw_year": grouped["headroom_dual_usd_per_mw"]
            .sum(min_count=1)
            .reindex(d.regions)
            .to_numpy(),
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        regions["headroom_used_pct"] = (
            100
            * regions["headroom_used_mwh"]
            / regions["headroom_available_mwh"].where(regions["headroom_available_mwh"] > 0)
        )

    total_campus = sum(campus_mw.values())
    summary["totals"] = {
        "campus_mw": total_campus,
        "campus_sites": int(sum(v > 0 for v in campus_mw.values())),
        "edge_modules": int(sum(modules.values())),
        "edge_sites": int(sum(v > 0 for v in modules.values())),
        "edge_mw": d.module_mw * sum(modules.values()),
        "storage_mwh": float(sum(energy_mwh.values())),
        "storage_mw": float(sum(power_mw.values())),
        "unserved_mw": float(sum(unserved.values())),
        "training_curtailment_pct": 100 * float(curtailed_mwh.sum()) / (total_campus * hours)
        if total_campus
        else 0.0,
        "firm_capacity_mw": float(sum(firm.values())),
        "interconnect_upgrade_mw": float(sum(upgrade.values())),
    }
    return Results(summary, sites, metros, assignments, dispatch, regions, region_timesteps)
