"""Tidy result tables, totals and duals of a solved siting model (a :class:`Results`).

Tables (one name from Pyomo component to column):

- ``sites``: one row per candidate site with every decision, its annualized cost and its figures
  from the scenario;
- ``metros``: one row per metro with its demand, served and unserved MW;
- ``assignments``: site, metro, served_mw, latency_ms;
- ``dispatch``: site, timestep and every power flow (MW) and state of charge (MWh);
- ``regions``: per region stranded power used, firm capacity and the value of more stranded power;
- ``region_timesteps``: per region and step the stranded power, the import and its dual;
- under ``grid.deliverability: zonal`` (as extras): ``zones``: per zone its supply, stranded
  power used, imports and exports, firm capacity and the value of more headroom there;
  ``interfaces``: per interface its limits, what new load may use, peak and mean flow, hours at
  the limit and the value of one more MW on it (``optimizer.model.stranded``).

``summary`` holds status, objective and its terms, gap, timings, model size and totals.

Every quantity is read from the model's declared parts (``BuiltModel.parts``): variables, the
expressions the families define (campus MW, edge served MW, site costs, cost terms) and the
rows' duals. The hourly inference load comes from ``power.inference_mw``, the definition the
model's rows use, applied to the solved ``edge_served_mw`` (evaluating 10^5 Pyomo expressions
one by one would take seconds).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from optimizer.checks.dispatch import FixedPlan
from optimizer.model import BuiltModel
from optimizer.model.demand import zones_of_sites
from optimizer.model.power import inference_mw
from optimizer.results.folder import Results
from optimizer.scenario import Scenario
from optimizer.solve.highs import MatrixModel, SolveResult


def _values(var: pyo.Var) -> dict:
    """Solution values by index; unset is 0 and solver noise below 1e-9 is cleaned to 0."""
    return {
        k: (0.0 if v is None or abs(v) < 1e-9 else float(v))
        for k, v in var.extract_values().items()
    }


def _expression_values(expression: pyo.Expression) -> dict:
    """Value of each index of a named expression at the loaded solution."""
    return {k: float(pyo.value(e)) for k, e in expression.items()}


def _duals(matrix: MatrixModel, result: SolveResult, *components: pyo.Constraint) -> dict:
    """Dual of each row of ``components`` keyed by index (empty when no duals were computed)."""
    if result.row_dual is None:
        return {}
    wanted = {id(c) for c in components}
    out = {}
    for row, con in enumerate(matrix.rows):
        if id(con.parent_component()) in wanted:
            out[con.index()] = float(result.row_dual[row])
    return out


def _clean(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _summary(
    built: BuiltModel, matrix: MatrixModel, result: SolveResult, scenario_info: dict
) -> dict:
    return {
        "status": result.status,
        "highs_status": result.highs_status,
        "has_solution": result.has_solution,
        "notes": list(result.notes),
        "objective_usd": _clean(result.objective_usd),
        "best_bound_usd": _clean(result.best_bound_usd),
        "mip_gap_pct": _clean(result.mip_gap_pct),
        "build_seconds": built.build_seconds,
        "handoff_seconds": matrix.handoff_seconds,
        "solve_seconds": result.solve_seconds,
        "dual_seconds": result.dual_seconds,
        "model_size": matrix.shape,
        "wacc_pct": 100 * built.data.wacc,
        "deliverability": built.data.deliverability,
        "capital_recovery_pct_per_year": {k: 100 * v for k, v in built.data.crf.items()},
        "scenario": scenario_info,
    }


def _pool_shares(built: BuiltModel) -> dict[str, float]:
    """Each pooled site's share of its pool's operation: its campus MW over the pool's (0 when
    the pool builds nothing). The pool's hourly plan split this way is one of the sites (see
    ``optimizer.model.power``)."""
    d = built.data
    campus_mw = _expression_values(built.parts.siting.campus_mw)
    pooled = {p: sum(campus_mw[s] for s in members) for p, members in d.sites_in_pool.items()}
    return {s: campus_mw[s] / pooled[p] if pooled[p] > 0 else 0.0 for s, p in d.pool_of.items()}


def dispatch_table(built: BuiltModel) -> pd.DataFrame:
    """Every site where something is built, every step: power flows (MW) and state of charge
    (MWh), with the step weight. A pooled site gets its share of the pool's operation."""
    p, d = built.parts, built.data
    sites = FixedPlan.of(built).sites
    served = _expression_values(p.demand.edge_served_mw)
    zones = zones_of_sites(d)
    hourly = set(d.hourly_sites)
    n_t = len(d.timesteps)

    def per_step(values: dict) -> np.ndarray:
        return np.array([values.get((s, t), 0.0) for s in sites for t in d.timesteps])

    inference = np.array(
        [
            inference_mw(d, served, zones[s], s, t) if s in zones else 0.0
            for s in sites
            for t in d.timesteps
        ],
        dtype=float,
    )
    campus_mw = _expression_values(p.siting.campus_mw)
    curtailed = per_step(_values(p.power.curtailed_mw))
    share, pool_curtailed = _pool_shares(built), _values(p.power.pool_curtailed_mw)
    pooled = np.repeat([s in d.pool_of for s in sites], n_t)
    curtailed[pooled] = [
        share[s] * pool_curtailed[d.pool_of[s], t]
        for s in sites
        if s in d.pool_of
        for t in d.timesteps
    ]
    training = np.repeat([campus_mw.get(s, 0.0) for s in sites], n_t) - curtailed
    site_load = np.repeat([d.pue[s] for s in sites], n_t) * (inference + training)
    without_hourly = np.repeat([s not in hourly for s in sites], n_t)
    index = pd.MultiIndex.from_product([sites, d.timesteps], names=["site", "timestep"])
    dispatch = pd.DataFrame(index=index)
    # a site without hourly grid import (edge only without storage, or pooled) draws its load
    grid = per_step(_values(p.power.grid_import_mw))
    dispatch["grid_import_mw"] = np.where(without_hourly, site_load, grid)
    dispatch["inference_mw"] = inference
    dispatch["training_mw"] = training
    dispatch["curtailed_mw"] = curtailed
    dispatch["charge_mw"] = per_step(_values(p.storage.charge_mw))
    dispatch["discharge_mw"] = per_step(_values(p.storage.discharge_mw))
    dispatch["soc_mwh"] = per_step(_values(p.storage.soc_mwh))
    dispatch["site_load_mw"] = site_load
    dispatch["weight_h"] = np.tile([d.weight_h[t] for t in d.timesteps], len(sites))
    return dispatch.reset_index()


def sites_table(
    built: BuiltModel,
    matrix: MatrixModel,
    result: SolveResult,
    dispatch: pd.DataFrame,
    scenario: Scenario,
) -> pd.DataFrame:
    """One row per candidate site: every decision, its peak import, curtailment and costs."""
    p, d = built.parts, built.data
    campus_mw = _expression_values(p.siting.campus_mw)
    campuses = _expression_values(p.siting.campus_count)
    modules = {s: int(round(v)) for s, v in _values(p.siting.edge_modules).items()}
    edge_mw = _expression_values(p.siting.edge_mw)
    edge_served: dict[str, float] = {}
    for (s, _), v in _expression_values(p.demand.edge_served_mw).items():
        edge_served[s] = edge_served.get(s, 0.0) + v
    energy_mwh = _values(p.storage.storage_energy_mwh)
    power_mw = _values(p.storage.storage_power_mw)
    upgrade = _values(p.power.interconnect_upgrade_mw)
    site_cost = _expression_values(p.objective.site_cost_usd)
    share, pool_cost = _pool_shares(built), _expression_values(p.objective.pool_cost_usd)
    for s, pool in d.pool_of.items():  # a pooled site's share of its pool's hourly costs
        for term in p.objective.pool_terms:
            site_cost[s, term] = share[s] * pool_cost[pool, term]
    # one scan of the rows: hourly limits are keyed (site, step), a pooled site's wire by site
    ic_dual = _duals(
        matrix,
        result,
        p.power.power_interconnect_limit,
        p.power.power_edge_interconnect_limit,
        p.power.power_campus_wire,
    )
    peak_import = dispatch.groupby("site", sort=False)["grid_import_mw"].max()
    peak_inference = dispatch.groupby("site", sort=False)["inference_mw"].max()
    curtailed_mwh = (
        (dispatch["curtailed_mw"] * dispatch["weight_h"]).groupby(dispatch["site"]).sum()
    )
    hours = d.hours_per_year
    rows = []
    for s in d.sites:
        cmw = campus_mw.get(s, 0.0)
        costs = {f"{k}_usd": site_cost.get((s, k), 0.0) for k in p.objective.site_terms}
        rows.append(
            {
                "site": s,
                "region": d.site_region[s],
                "count": d.count[s],
                "campuses": int(round(campuses.get(s, 0.0))),
                "campus_mw": cmw,
                "edge_modules": modules.get(s, 0),
                "edge_mw": edge_mw.get(s, 0.0),
                "edge_served_mw": edge_served.get(s, 0.0),  # sum of the metros' peaks
                "inference_peak_mw": float(peak_inference.get(s, 0.0)),  # coincident: modules
                "storage_energy_mwh": energy_mwh.get(s, 0.0),
                "storage_power_mw": power_mw.get(s, 0.0),
                "interconnect_mw": d.interconnect_mw[s],
                "interconnect_upgrade_mw": upgrade.get(s, 0.0),
                "grid_import_peak_mw": float(peak_import.get(s, 0.0)),
                "curtailed_mwh": float(curtailed_mwh.get(s, 0.0)),
                "curtailment_pct": 100 * float(curtailed_mwh.get(s, 0.0)) / (cmw * hours)
                if cmw
                else 0.0,
                "pue": d.pue[s],
                "time_to_power_years": d.time_to_power_years[s],
                **costs,
                "total_cost_usd": sum(costs.values()),
                "interconnect_dual_usd_per_mw_year": -(
                    sum(ic_dual.get((s, t), 0.0) for t in d.timesteps) + ic_dual.get(s, 0.0)
                )
                if ic_dual
                else None,
            }
        )
    sites = pd.DataFrame(rows)
    sites["built"] = (sites["campus_mw"] > 0) | (sites["edge_modules"] > 0)
    # the site's own figures from the scenario (place, voltage, spur, price adder, ...)
    extra = [
        c for c in scenario.sites.columns if c not in sites.columns and c not in ("lat", "lon")
    ]
    sites = sites.merge(scenario.sites[["site", *extra]], on="site", how="left")
    coords = scenario.sites.set_index("site")[["lat", "lon"]]
    sites.insert(2, "lat", sites["site"].map(coords["lat"]))
    sites.insert(3, "lon", sites["site"].map(coords["lon"]))
    return sites


def assignments_table(built: BuiltModel) -> pd.DataFrame:
    """Site, metro, MW served and round-trip latency of every pair in use."""
    d = built.data
    return pd.DataFrame(
        [
            {"site": s, "metro": mm, "served_mw": v, "latency_ms": d.latency_ms[s, mm]}
            for (s, mm), v in _values(built.parts.demand.served_mw).items()
            if v > 1e-6
        ],
        columns=["site", "metro", "served_mw", "latency_ms"],
    )


def metros_table(built: BuiltModel, scenario: Scenario, assignments: pd.DataFrame) -> pd.DataFrame:
    """One row per metro: demand, served and unserved MW, and how many sites serve it."""
    unserved = _values(built.parts.demand.unserved_mw)
    metros = scenario.metros[
        ["metro", "lat", "lon", "inference_demand_mw", "latency_max_ms"]
    ].copy()
    metros["unserved_mw"] = metros["metro"].map(unserved).fillna(0.0)
    metros["served_mw"] = metros["inference_demand_mw"] - metros["unserved_mw"]
    metros["serving_sites"] = metros["metro"].map(assignments.groupby("metro").size()).fillna(0)
    return metros


def _firm_by_region(built: BuiltModel) -> tuple[dict[str, float], dict[str, float]]:
    """Firm capacity procured per region (MW) and what it costs (USD/yr): the sum over the
    grid nodes that pay the region's price (a region's own node under ba deliverability, the
    zones whose ``region`` it is under zonal)."""
    d = built.data
    firm = _values(built.parts.stranded.firm_capacity_mw)
    mw = {r: 0.0 for r in d.regions}
    usd = {r: 0.0 for r in d.regions}
    for n in d.nodes:
        r = d.node_region[n]
        mw[r] += firm.get(n, 0.0)
        usd[r] += firm.get(n, 0.0) * d.node_firm_capacity_usd_per_mw_year[n]
    return mw, usd


def region_timesteps_table(
    built: BuiltModel, matrix: MatrixModel, result: SolveResult, dispatch: pd.DataFrame
) -> pd.DataFrame:
    """Per region and step: stranded power, what the sites import, firm capacity and the value
    of one more MW of the region's stranded power (the nodes' duals weighted by the share of it
    each node gets: under ba the region's own, under zonal its zones')."""
    p, d = built.parts, built.data
    hr_dual = _duals(matrix, result, p.stranded.stranded_limit)
    firm, _ = _firm_by_region(built)
    region_import = (
        dispatch.assign(region=dispatch["site"].map(pd.Series(d.site_region)))
        .groupby(["region", "timestep"])["grid_import_mw"]
        .sum()
    )
    feeds: dict[str, list[tuple[str, float]]] = {r: [] for r in d.regions}
    for n in d.nodes:
        for r, frac in d.node_supply[n]:
            feeds[r].append((n, frac))
    share = {r: d.stranded_share_pct[r] / 100 for r in d.regions}
    rows = []
    for r in d.regions:
        for t in d.timesteps:
            duals = [(frac, hr_dual[n, t]) for n, frac in feeds[r] if (n, t) in hr_dual]
            rows.append(
                {
                    "region": r,
                    "timestep": t,
                    "weight_h": d.weight_h[t],
                    "stranded_mw": d.stranded_mw[r, t],
                    "stranded_available_mw": share[r] * d.stranded_mw[r, t],
                    "grid_import_mw": float(region_import.get((r, t), 0.0)),
                    "firm_capacity_mw": firm[r],
                    "stranded_dual_usd_per_mw": -sum(f * v for f, v in duals) if duals else None,
                }
            )
    return pd.DataFrame(rows)


def regions_table(built: BuiltModel, region_timesteps: pd.DataFrame) -> pd.DataFrame:
    """Per region: peak import, stranded power used and available, firm capacity, its value."""
    d = built.data
    rt = region_timesteps.assign(
        used_mwh=region_timesteps["weight_h"]
        * np.minimum(region_timesteps["grid_import_mw"], region_timesteps["stranded_available_mw"]),
        available_mwh=region_timesteps["weight_h"] * region_timesteps["stranded_available_mw"],
    )
    grouped = rt.groupby("region", sort=False)
    firm, firm_usd = _firm_by_region(built)
    regions = pd.DataFrame(
        {
            "region": d.regions,
            "sites": [len(d.sites_in_region[r]) for r in d.regions],
            "grid_import_peak_mw": grouped["grid_import_mw"].max().reindex(d.regions).to_numpy(),
            "stranded_used_mwh": grouped["used_mwh"].sum().reindex(d.regions).to_numpy(),
            "stranded_available_mwh": grouped["available_mwh"].sum().reindex(d.regions).to_numpy(),
            "firm_capacity_mw": [firm[r] for r in d.regions],
            "firm_capacity_usd": [firm_usd[r] for r in d.regions],
            "stranded_dual_usd_per_mw_year": grouped["stranded_dual_usd_per_mw"]
            .sum(min_count=1)
            .reindex(d.regions)
            .to_numpy(),
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        regions["stranded_used_pct"] = (
            100
            * regions["stranded_used_mwh"]
            / regions["stranded_available_mwh"].where(regions["stranded_available_mwh"] > 0)
        )
    return regions


AT_LIMIT_TOLERANCE_MW = 1e-6
"""A flow within this of an allowed limit counts as at the limit (runs without duals)."""
BINDING_TOLERANCE_USD_PER_MW = 1e-3
"""An interface binds in a step where its ends' values differ by more than this, USD/MW."""


def _node_steps(built: BuiltModel, dispatch: pd.DataFrame) -> dict[str, np.ndarray]:
    """Arrays [node, step] of the zonal figures: ``draw`` (the sites' grid import),
    ``available`` (open stranded power), ``net_export`` (flows out minus in), ``value`` (one
    more MW at the node in the step, USD/MW, NaN without duals); and [interface, step]
    ``flow``."""
    d, p = built.data, built.parts
    node_at = {n: i for i, n in enumerate(d.nodes)}
    step_at = {t: j for j, t in enumerate(d.timesteps)}
    shape = (len(d.nodes), len(d.timesteps))
    draw = np.zeros(shape)
    if len(dispatch):
        rows = dispatch["site"].map(lambda s: node_at[d.site_node[s]]).to_numpy()
        cols = dispatch["timestep"].map(step_at).to_numpy()
        np.add.at(draw, (rows, cols), dispatch["grid_import_mw"].to_numpy())
    available = d.supply_matrix @ d.series.stranded_mw
    flows = _values(p.stranded.flow_mw)
    flow = np.array(
        [[flows.get((i, t), 0.0) for t in d.timesteps] for i in d.interfaces], dtype=float
    ).reshape(len(d.interfaces), len(d.timesteps))
    net_export = np.zeros(shape)
    for k, i in enumerate(d.interfaces):
        net_export[node_at[d.interface_from[i]]] += flow[k]
        net_export[node_at[d.interface_to[i]]] -= flow[k]
    return {"draw": draw, "available": available, "net_export": net_export, "flow": flow}


def zonal_tables(
    built: BuiltModel,
    matrix: MatrixModel,
    result: SolveResult,
    dispatch: pd.DataFrame,
    scenario: Scenario,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``zones`` and ``interfaces`` of a zonal run (module docstring). The value of one more MW
    at a zone in a step is minus the dual of its ``stranded_limit`` row; one more MW allowed on
    an interface is worth the difference of its ends' values in each step, summed over the
    year (``forward``: from ``from_zone`` to ``to_zone``). ``hours_at_limit_h`` counts the
    hours of the steps where the limit binds (the ends' values differ; without duals: where
    the flow is at a limit). Flows are free of cost, so where no limit binds the LP may park
    a flow anywhere within its limits: ``forward_peak_mw``, ``reverse_peak_mw`` and
    ``flow_mean_mw`` are those of one optimal dispatch, not of every one."""
    d, p = built.data, built.parts
    w = d.series.weight_h
    a = _node_steps(built, dispatch)
    duals = _duals(matrix, result, p.stranded.stranded_limit)
    value = np.full(a["draw"].shape, np.nan)
    if duals:
        node_at = {n: i for i, n in enumerate(d.nodes)}
        step_at = {t: j for j, t in enumerate(d.timesteps)}
        for (n, t), v in duals.items():
            value[node_at[n], step_at[t]] = -v
    firm = _values(p.stranded.firm_capacity_mw)
    campus_mw = _expression_values(p.siting.campus_mw)
    supplied = np.maximum(0.0, a["draw"] + a["net_export"])
    zones = scenario.zones.set_index("zone")
    cells = scenario.region_zones[scenario.region_zones["stranded_apportion_pct"] > 0]
    feeding = (
        (cells["region"] + " " + cells["stranded_apportion_pct"].map("{:.1f}%".format))
        .groupby(cells["zone"])
        .agg(", ".join)
        .to_dict()
    )
    has_row = ~np.isnan(value).all(axis=1)
    zone_rows = pd.DataFrame(
        {
            "zone": d.nodes,
            "region": [d.node_region[n] for n in d.nodes],
            "reeds_ba": zones["reeds_ba"].reindex(d.nodes).to_numpy(),
            "lat": zones["lat"].reindex(d.nodes).to_numpy(),
            "lon": zones["lon"].reindex(d.nodes).to_numpy(),
            "supplying_regions": [feeding.get(n, "") for n in d.nodes],
            "sites": [len(d.sites_in_node[n]) for n in d.nodes],
            "campus_mw": [sum(campus_mw.get(s, 0.0) for s in d.sites_in_node[n]) for n in d.nodes],
            "grid_import_peak_mw": a["draw"].max(axis=1, initial=0.0),
            "stranded_available_mwh": a["available"] @ w,
            "stranded_used_mwh": np.minimum(a["available"], supplied) @ w,
            "import_mwh": np.maximum(0.0, -a["net_export"]) @ w,
            "export_mwh": np.maximum(0.0, a["net_export"]) @ w,
            "firm_capacity_mw": [firm.get(n, 0.0) for n in d.nodes],
            "firm_capacity_usd": [
                firm.get(n, 0.0) * d.node_firm_capacity_usd_per_mw_year[n] for n in d.nodes
            ],
            "stranded_dual_usd_per_mw_year": np.where(has_row, np.nansum(value, axis=1), np.nan),
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        zone_rows["stranded_used_pct"] = (
            100
            * zone_rows["stranded_used_mwh"]
            / zone_rows["stranded_available_mwh"].where(zone_rows["stranded_available_mwh"] > 0)
        )

    links = scenario.interfaces.set_index("interface")
    flow = a["flow"]
    forward = np.array([d.interface_forward_mw[i] for i in d.interfaces])
    reverse = np.array([d.interface_reverse_mw[i] for i in d.interfaces])
    tol = AT_LIMIT_TOLERANCE_MW
    at_limit = ((forward[:, None] > 0) & (flow >= forward[:, None] - tol)) | (
        (reverse[:, None] > 0) & (flow <= -reverse[:, None] + tol)
    )
    if duals:
        node_at = {n: i for i, n in enumerate(d.nodes)}
        ends_from = value[[node_at[d.interface_from[i]] for i in d.interfaces]]
        ends_to = value[[node_at[d.interface_to[i]] for i in d.interfaces]]
        gain = np.nan_to_num(ends_to - ends_from).reshape(flow.shape)
        forward_value = np.maximum(gain, 0.0).sum(axis=1)
        reverse_value = np.maximum(-gain, 0.0).sum(axis=1)
        # where the ends' values differ, the limit binds (the flow is at it); a flow at a limit
        # whose ends are worth the same is one of many equally good flows
        at_limit = np.abs(gain) > BINDING_TOLERANCE_USD_PER_MW
    else:
        forward_value = reverse_value = np.full(len(d.interfaces), np.nan)
    hours = d.hours_per_year
    interface_rows = pd.DataFrame(
        {
            "interface": d.interfaces,
            "from_zone": [d.interface_from[i] for i in d.interfaces],
            "to_zone": [d.interface_to[i] for i in d.interfaces],
            "kind": links["kind"].reindex(d.interfaces).to_numpy(),
            "name": links["name"].reindex(d.interfaces).to_numpy(),
            "forward_limit_mw": links["forward_mw"].reindex(d.interfaces).to_numpy(),
            "reverse_limit_mw": links["reverse_mw"].reindex(d.interfaces).to_numpy(),
            "forward_allowed_mw": forward,
            "reverse_allowed_mw": reverse,
            "forward_peak_mw": np.maximum(flow, 0.0).max(axis=1, initial=0.0),
            "reverse_peak_mw": np.maximum(-flow, 0.0).max(axis=1, initial=0.0),
            "flow_mean_mw": flow @ w / hours if hours else 0.0,
            "hours_at_limit_h": at_limit.astype(float) @ w,
            "forward_dual_usd_per_mw_year": forward_value,
            "reverse_dual_usd_per_mw_year": reverse_value,
            "dual_usd_per_mw_year": forward_value + reverse_value,
        }
    )
    return zone_rows, interface_rows


def totals(
    built: BuiltModel, sites: pd.DataFrame, metros: pd.DataFrame, regions: pd.DataFrame
) -> dict:
    """The plan's totals over sites, metros and regions."""
    campus_mw = float(sites["campus_mw"].sum())
    hours = built.data.hours_per_year
    return {
        "campus_mw": campus_mw,
        "campus_sites": int((sites["campus_mw"] > 0).sum()),
        "edge_modules": int(sites["edge_modules"].sum()),
        "edge_sites": int((sites["edge_modules"] > 0).sum()),
        "edge_mw": float(sites["edge_mw"].sum()),
        "storage_energy_mwh": float(sites["storage_energy_mwh"].sum()),
        "storage_power_mw": float(sites["storage_power_mw"].sum()),
        "unserved_mw": float(metros["unserved_mw"].sum()),
        "training_curtailment_pct": 100 * float(sites["curtailed_mwh"].sum()) / (campus_mw * hours)
        if campus_mw
        else 0.0,
        "firm_capacity_mw": float(regions["firm_capacity_mw"].sum()),
        "interconnect_upgrade_mw": float(sites["interconnect_upgrade_mw"].sum()),
    }


def collect_results(
    built: BuiltModel,
    matrix: MatrixModel,
    result: SolveResult,
    scenario: Scenario,
    scenario_info: dict,
) -> Results:
    """Read the solved model (values already loaded into its variables) into tables."""
    summary = _summary(built, matrix, result, scenario_info)
    if not result.has_solution:
        empty = pd.DataFrame()
        return Results(summary, empty, empty, empty, empty, empty, empty)
    cost = built.parts.objective
    summary["objective_breakdown_usd"] = {k: float(pyo.value(cost.cost_usd[k])) for k in cost.terms}
    dispatch = dispatch_table(built)
    sites = sites_table(built, matrix, result, dispatch, scenario)
    assignments = assignments_table(built)
    metros = metros_table(built, scenario, assignments)
    region_timesteps = region_timesteps_table(built, matrix, result, dispatch)
    regions = regions_table(built, region_timesteps)
    summary["totals"] = totals(built, sites, metros, regions)
    extras = {}
    if built.data.deliverability == "zonal":
        zones, interfaces = zonal_tables(built, matrix, result, dispatch, scenario)
        extras = {"zones": zones, "interfaces": interfaces}
        summary["zonal"] = zonal_summary(zones, interfaces)
    return Results(summary, sites, metros, assignments, dispatch, regions, region_timesteps, extras)


BINDING_SHOWN = 10
"""Binding interfaces named in the summary, most valuable first."""


def zonal_summary(zones: pd.DataFrame, interfaces: pd.DataFrame) -> dict:
    """What ``summary.json`` says of a zonal run (``zonal``): zones and interfaces, the
    interfaces that bind (one more MW on them is worth something; without duals: at their
    limit in some step), and the most valuable of them with their value of one more MW (USD
    per MW-year) and hours at the limit."""
    binding = (
        interfaces[interfaces["dual_usd_per_mw_year"].fillna(0) > 0]
        if len(interfaces) and interfaces["dual_usd_per_mw_year"].notna().any()
        else interfaces[interfaces["hours_at_limit_h"] > 0]
    )
    top = binding.sort_values("dual_usd_per_mw_year", ascending=False).head(BINDING_SHOWN)
    return {
        "zones": len(zones),
        "interfaces": len(interfaces),
        "binding_interfaces": len(binding),
        "most_valuable": {
            r.interface: {
                "from_zone": r.from_zone,
                "to_zone": r.to_zone,
                "dual_usd_per_mw_year": None
                if pd.isna(r.dual_usd_per_mw_year)
                else float(r.dual_usd_per_mw_year),
                "hours_at_limit_h": float(r.hours_at_limit_h),
            }
            for r in top.itertuples()
        },
    }
