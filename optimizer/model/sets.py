"""Sets and parameters of the siting model, as plain Python lists and dicts.

Built once from a validated :class:`~optimizer.scenario.Scenario`; every constraint module reads
from here and never scans pairs it does not need (PERFORMANCE.md: data as lists and dicts, not
Params; sparse index sets with precomputed neighbour lists).

Sets
    ``sites`` S; ``campus_sites`` (campus allowed), ``edge_sites`` (edge allowed),
    ``storage_sites`` (storage allowed); ``pools`` P: campus sites without edge or storage that
    share a region, a PUE and an energy price adder, each pool with ``sites_in_pool[p]`` (``pool_of[s]``, its
    ``pool_region[p]``, ``pool_pue[p]`` and ``pool_price_adder_usd_per_mwh[p]``): they share one hourly operation (see ``power``);
    ``hourly_sites``: the other campus or storage sites, each with hourly decisions of its own
    (an edge-only site without storage draws exactly its inference load times PUE, an
    expression of its build decisions); ``regions`` R with
    ``sites_in_region[r]``; ``metros`` M, each following one inference ``zone``; ``blocks`` K
    (campus sizes); ``timesteps`` T in order, grouped in ``periods`` with ``prev_timestep[t]``
    cyclic within each period; ``pairs`` A: admissible (site, metro) pairs, with
    ``pairs_of_metro[m]``, ``pairs_of_site[s]`` and ``site_zones`` (site, zone) pairs.

Grid nodes (where stranded power is drawn, see ``stranded``): under ``grid.deliverability: ba``
the ``nodes`` N are the regions (a copper plate per region); under ``zonal`` they are the
scenario's zones, each site at ``site_node[s]`` (its ``reeds_zone``). Either way
``supply_matrix[n, r]`` is the fraction of region r's stranded power open to node n (ba: the
region's ``stranded_share_pct / 100`` on the diagonal; zonal: that times the zone's
``stranded_apportion_pct / 100``), ``node_supply[n]`` its nonzero (region, fraction) entries,
``node_region[n]`` the region whose firm capacity price the node pays
(``node_firm_capacity_usd_per_mw_year``), and the ``interfaces`` I (none under ba) link
``interface_from[i]`` to ``interface_to[i]``, each allowing ``interface_forward_mw[i]`` one way
and ``interface_reverse_mw[i]`` back: ``grid.interface_share_pct`` of the scenario's limits.
Pools are keyed by node as well (a pool's sites share one node).

A site row may stand for ``count[s]`` identical sites (a group of campus candidates of one BA
and voltage class); its decisions are the group's totals (see ``siting`` and ``power``).

Parameters (units in names) are dicts keyed by the set elements. The time series are also
held as arrays over the time steps (:class:`StepSeries`, ``ModelData.series``), for code that
builds matrices instead of a Pyomo model (the full-year check's dispatch LP).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from optimizer.scenario import Scenario


def capital_recovery_factor(rate: float, lifetime_years: float) -> float:
    """Annuity factor turning an overnight cost into equal yearly payments: r(1+r)^n/((1+r)^n-1)."""
    if rate == 0:
        return 1.0 / lifetime_years
    growth = (1.0 + rate) ** lifetime_years
    return rate * growth / (growth - 1.0)


@dataclass(frozen=True)
class StepSeries:
    """The time series of :class:`ModelData` as arrays, one column per time step in
    ``timesteps`` order; same names and units as the dicts (``stranded_mw[i, j]`` is
    ``ModelData.stranded_mw[regions[i], timesteps[j]]``)."""

    weight_h: np.ndarray
    """[step]"""
    duration_h: np.ndarray
    """[step]"""
    stranded_mw: np.ndarray
    """[region, step], regions in ``regions`` order"""
    price_usd_per_mwh: np.ndarray
    """[region, step], regions in ``regions`` order"""
    inference_profile: np.ndarray
    """[zone, step], zones in ``zones`` order"""


@dataclass
class ModelData:
    """Everything the Pyomo model needs, derived from a scenario."""

    sites: list[str]
    campus_sites: list[str]
    edge_sites: list[str]
    storage_sites: list[str]
    hourly_sites: list[str]
    pools: list[str]
    sites_in_pool: dict[str, list[str]]
    pool_of: dict[str, str]
    pool_region: dict[str, str]
    pool_pue: dict[str, float]
    pool_price_adder_usd_per_mwh: dict[str, float]
    regions: list[str]
    metros: list[str]
    zones: list[str]
    blocks: list[int]
    timesteps: list[str]
    periods: dict[str, list[str]]
    prev_timestep: dict[str, str]
    pairs: list[tuple[str, str]]
    pairs_of_metro: dict[str, list[str]]
    pairs_of_site: dict[str, list[str]]
    site_zones: list[tuple[str, str]]
    metro_zone: dict[str, str]
    site_region: dict[str, str]
    sites_in_region: dict[str, list[str]]
    deliverability: str
    nodes: list[str]
    site_node: dict[str, str]
    sites_in_node: dict[str, list[str]]
    pool_node: dict[str, str]
    node_region: dict[str, str]
    node_supply: dict[str, list[tuple[str, float]]]
    supply_matrix: np.ndarray
    """[node, region]: fraction of the region's stranded power open to the node"""
    node_firm_capacity_usd_per_mw_year: dict[str, float]
    interfaces: list[str]
    interface_from: dict[str, str]
    interface_to: dict[str, str]
    interface_forward_mw: dict[str, float]
    """allowed to new load: ``interface_share_pct`` of the limit"""
    interface_reverse_mw: dict[str, float]
    # parameters
    count: dict[str, int]
    block_mw: dict[int, float]
    training_target_mw: float
    curtailment_budget_frac: float
    module_mw: float
    interconnect_mw: dict[str, float]
    interconnect_upgrade_max_mw: dict[str, float]
    site_max_mw: dict[str, float]
    pue: dict[str, float]
    energy_price_adder_usd_per_mwh: dict[str, float]
    time_to_power_years: dict[str, float]
    spur_capex_usd_per_mw: dict[str, float]
    inference_demand_mw: dict[str, float]
    latency_ms: dict[tuple[str, str], float]
    stranded_share_pct: dict[str, float]
    stranded_mw: dict[tuple[str, str], float]
    price_usd_per_mwh: dict[tuple[str, str], float]
    firm_capacity_usd_per_mw_year: dict[str, float]
    duration_h: dict[str, float]
    weight_h: dict[str, float]
    inference_profile: dict[tuple[str, str], float]
    charge_efficiency_pct: float
    discharge_efficiency_pct: float
    max_energy_mwh_per_site: float | None
    # annualized cost coefficients
    wacc: float
    crf: dict[str, float]
    costs: dict[str, float]
    curtailment_cost_usd_per_mwh: float
    unserved_penalty_usd_per_mwh: float
    series: StepSeries
    """the time series above as arrays over the steps"""
    year_weight_h: dict[int, dict[str, float]] = dataclasses.field(default_factory=dict)
    """steps standing for several weather years: each year's step weights (nonzero only), h"""
    year_hours: dict[int, float] = dataclasses.field(default_factory=dict)
    """hours of each weather year of ``year_weight_h``"""
    budget_years: list[int] = dataclasses.field(default_factory=list)
    """the weather years in each of which the curtailment budget holds (scope every_year and
    steps of several years); empty: the budget holds over ``weight_h`` (one or the mean year)"""
    operational_check: bool = False
    """Full-year check: builds are fixed by the caller; inference may go unserved hour by hour
    and training may exceed its curtailment budget, both at the unserved penalty."""

    @property
    def hours_per_year(self) -> float:
        """Hours of the year the time steps stand for (sum of weights)."""
        return sum(self.weight_h.values())

    def energy_price_usd_per_mwh(self, s: str, t: str) -> float:
        """Energy price at site s in step t: its region's plus the site's adder."""
        adder = self.energy_price_adder_usd_per_mwh[s]
        return self.price_usd_per_mwh[self.site_region[s], t] + adder

    def node_available_mw(self, n: str, t: str) -> float:
        """Stranded power open to node n in step t (before firm capacity), MW."""
        return sum(frac * self.stranded_mw[r, t] for r, frac in self.node_supply[n])

    def inference_energy_h(self, zone: str) -> float:
        """Equivalent full-load hours of a zone's inference: sum of weight x profile."""
        return sum(self.weight_h[t] * self.inference_profile[zone, t] for t in self.timesteps)


def _step_sets(ts: pd.DataFrame) -> tuple[list[str], dict[str, list[str]], dict[str, str]]:
    """Steps in order, the steps of each period, and the step before each (cyclic per period)."""
    timesteps = ts["timestep"].tolist()
    periods: dict[str, list[str]] = {}
    for t, p in zip(ts["timestep"], ts["period"], strict=True):
        periods.setdefault(p, []).append(t)
    prev_timestep = {
        steps[i]: steps[i - 1] for steps in periods.values() for i in range(len(steps))
    }
    return timesteps, periods, prev_timestep


def with_steps(
    d: ModelData,
    timesteps: pd.DataFrame,
    stranded: pd.DataFrame,
    inference_profiles: pd.DataFrame,
) -> ModelData:
    """``d`` over other steps (another year's hours): the steps and their time series replaced,
    the series as arrays only (:class:`StepSeries`; the per-pair dicts are left empty, for
    matrix code such as the dispatch LP). Prices stay each region's flat price (``d``'s must be
    flat); a region missing from ``stranded`` gets none."""
    price = d.series.price_usd_per_mwh
    if price.size and not np.allclose(price, price[:, :1]):
        raise ValueError("with_steps needs flat prices per region")  # a bug: built scenarios
    steps, periods, prev = _step_sets(timesteps)
    grid = stranded.pivot(index="region", columns="timestep", values="stranded_mw")
    return dataclasses.replace(
        d,
        timesteps=steps,
        periods=periods,
        prev_timestep=prev,
        weight_h=_column(timesteps, "timestep", "weight_h"),
        duration_h=_column(timesteps, "timestep", "duration_h"),
        stranded_mw={},
        price_usd_per_mwh={},
        inference_profile={},
        series=StepSeries(
            weight_h=timesteps["weight_h"].to_numpy(dtype=float),
            duration_h=timesteps["duration_h"].to_numpy(dtype=float),
            stranded_mw=grid.reindex(index=d.regions, columns=steps).fillna(0.0).to_numpy(),
            price_usd_per_mwh=np.repeat(price[:, :1], len(steps), axis=1),
            inference_profile=_grid(
                inference_profiles, "profile_zone", d.zones, "inference_profile", steps
            ),
        ),
    )


def _column(frame, key: str, value: str) -> dict:
    return dict(zip(frame[key], frame[value].astype(float), strict=True))


def _triples(frame, a: str, b: str, value: str) -> dict:
    keys = zip(frame[a].tolist(), frame[b].tolist(), strict=True)
    return dict(zip(keys, frame[value].to_numpy(dtype=float).tolist(), strict=True))


def _grid(frame: pd.DataFrame, a: str, keys: list[str], value: str, steps: list[str]) -> np.ndarray:
    """``frame``'s ``value`` as an array [key, step] (keys and steps in the given order)."""
    table = frame.pivot(index=a, columns="timestep", values=value)
    grid = table.reindex(index=keys, columns=steps).to_numpy(dtype=float)
    if np.isnan(grid).any():
        raise ValueError(f"{value}: not given for every ({a}, timestep)")  # validated: a bug
    return grid


def _pools(
    campus_sites: list[str],
    other_use: set[str],
    site_region: dict[str, str],
    site_node: dict[str, str],
    pue: dict[str, float],
    adder: dict[str, float],
    pool_sites: bool,
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Campus sites with neither edge nor storage, pooled by (node, region, PUE, price adder),
    in site order: ``pool_of[s]`` and ``sites_in_pool[p]``. A pool is named
    ``REGION@pue=PUE`` (its node is its region) or ``NODE/REGION@pue=PUE`` and, with an adder,
    ``...,price+ADDER``; without ``pool_sites`` every such site is a pool of its own, named
    after it."""
    pool_of: dict[str, str] = {}
    sites_in_pool: dict[str, list[str]] = {}
    for s in campus_sites:
        if s in other_use:
            continue
        r, n = site_region[s], site_node[s]
        p = f"{r}@pue={float(pue[s])!r}" if n == r else f"{n}/{r}@pue={float(pue[s])!r}"
        if adder[s]:
            p += f",price{float(adder[s]):+}"
        if not pool_sites:
            p = s
        pool_of[s] = p
        sites_in_pool.setdefault(p, []).append(s)
    return pool_of, sites_in_pool


def firm_prices(scenario: Scenario) -> dict[str, float]:
    """Each region's firm capacity price as the model reads it, USD per MW-year: its
    ``firm_capacity_usd_per_mw_year`` times ``costs.firm_capacity_price_scale_pct`` / 100."""
    scale = scenario.config.costs.firm_capacity_price_scale_pct / 100.0
    prices = _column(scenario.regions, "region", "firm_capacity_usd_per_mw_year")
    return {r: price * scale for r, price in prices.items()}


def _grid_nodes(
    scenario: Scenario, regions: list[str], site_region: dict[str, str]
) -> dict[str, object]:
    """The grid nodes, the sites at each, their supply, firm price and interfaces (module
    docstring) under the scenario's ``grid.deliverability``."""
    cfg = scenario.config.grid
    share = _column(scenario.regions, "region", "stranded_share_pct")
    firm = firm_prices(scenario)
    sites = scenario.sites["site"].tolist()
    if cfg.deliverability == "zonal":
        zones = scenario.zones
        nodes = zones["zone"].tolist()
        node_region = dict(zip(zones["zone"], zones["region"], strict=True))
        site_node = dict(zip(scenario.sites["site"], scenario.sites["reeds_zone"], strict=True))
        supply: dict[str, list[tuple[str, float]]] = {n: [] for n in nodes}
        cells = scenario.region_zones
        for r, n, pct in zip(
            cells["region"], cells["zone"], cells["stranded_apportion_pct"], strict=True
        ):
            if pct > 0:
                supply[n].append((r, share[r] / 100 * pct / 100))
        links = scenario.interfaces
        scale = cfg.interface_share_pct / 100
        interfaces = links["interface"].tolist()
        interface_from = dict(zip(links["interface"], links["from_zone"], strict=True))
        interface_to = dict(zip(links["interface"], links["to_zone"], strict=True))
        forward = {i: scale * v for i, v in _column(links, "interface", "forward_mw").items()}
        reverse = {i: scale * v for i, v in _column(links, "interface", "reverse_mw").items()}
    else:
        nodes = list(regions)
        node_region = {r: r for r in regions}
        site_node = dict(site_region)
        supply = {r: [(r, share[r] / 100)] for r in regions}
        interfaces, interface_from, interface_to, forward, reverse = [], {}, {}, {}, {}
    sites_in_node: dict[str, list[str]] = {n: [] for n in nodes}
    for s in sites:
        sites_in_node[site_node[s]].append(s)
    row = {r: j for j, r in enumerate(regions)}
    matrix = np.zeros((len(nodes), len(regions)))
    for i, n in enumerate(nodes):
        for r, frac in supply[n]:
            matrix[i, row[r]] += frac
    return {
        "deliverability": cfg.deliverability,
        "nodes": nodes,
        "site_node": site_node,
        "sites_in_node": sites_in_node,
        "node_region": node_region,
        "node_supply": supply,
        "supply_matrix": matrix,
        "node_firm_capacity_usd_per_mw_year": {n: firm[node_region[n]] for n in nodes},
        "interfaces": interfaces,
        "interface_from": interface_from,
        "interface_to": interface_to,
        "interface_forward_mw": forward,
        "interface_reverse_mw": reverse,
    }


def model_data(
    scenario: Scenario, operational_check: bool = False, pool_sites: bool = True
) -> ModelData:
    """Derive the model's sets and parameters from a validated scenario. ``pool_sites=False``
    gives every campus site its own hourly operation (the same optimum, a larger model: for
    tests and benchmarks of the pooling)."""
    cfg = scenario.config
    sites_df = scenario.sites
    sites = sites_df["site"].tolist()
    campus_sites = sites_df.loc[sites_df["campus_allowed"], "site"].tolist()
    edge_sites = sites_df.loc[sites_df["edge_allowed"], "site"].tolist()
    storage_sites = sites_df.loc[sites_df["storage_allowed"], "site"].tolist()
    site_region = dict(zip(sites_df["site"], sites_df["region"], strict=True))
    pue = _column(sites_df, "site", "pue")
    adder = _column(sites_df, "site", "energy_price_adder_usd_per_mwh")
    other_use = set(edge_sites) | set(storage_sites)
    regions = scenario.regions["region"].tolist()
    grid = _grid_nodes(scenario, regions, site_region)
    site_node = grid["site_node"]
    pool_of, sites_in_pool = _pools(
        campus_sites, other_use, site_region, site_node, pue, adder, pool_sites
    )
    hourly = (set(campus_sites) | set(storage_sites)) - set(pool_of)
    sites_in_region: dict[str, list[str]] = {r: [] for r in regions}
    for s in sites:
        sites_in_region[site_region[s]].append(s)

    ts = scenario.timesteps
    timesteps, periods, prev_timestep = _step_sets(ts)

    metro_zone = dict(zip(scenario.metros["metro"], scenario.metros["profile_zone"], strict=True))
    zones = list(dict.fromkeys(metro_zone.values()))
    edge_set = set(edge_sites)
    lat = scenario.latency
    lat = lat[lat["site"].isin(edge_set)]
    pairs = list(zip(lat["site"], lat["metro"], strict=True))
    metros = scenario.metros["metro"].tolist()
    pairs_of_metro: dict[str, list[str]] = {m: [] for m in metros}
    pairs_of_site: dict[str, list[str]] = {s: [] for s in edge_sites}
    for s, m in pairs:
        pairs_of_metro[m].append(s)
        pairs_of_site[s].append(m)
    site_zones = list(dict.fromkeys((s, metro_zone[m]) for s, m in pairs))

    fin = cfg.finance
    wacc = fin.wacc()
    crf = {
        "campus": capital_recovery_factor(wacc, fin.campus_lifetime_years),
        "edge": capital_recovery_factor(wacc, fin.edge_lifetime_years),
        "storage": capital_recovery_factor(wacc, fin.storage_lifetime_years),
        "interconnect": capital_recovery_factor(wacc, fin.interconnect_lifetime_years),
    }
    regions_df = scenario.regions
    year_weight_h: dict[int, dict[str, float]] = {}
    if scenario.year_weights is not None:
        for (year, step), w in scenario.year_weights.set_index(["weather_year", "timestep"])[
            "weight_h"
        ].items():
            if w > 0:
                year_weight_h.setdefault(int(year), {})[step] = float(w)
    every_year = cfg.training.curtailment_budget_scope == "every_year"

    return ModelData(
        sites=sites,
        campus_sites=campus_sites,
        edge_sites=edge_sites,
        storage_sites=storage_sites,
        hourly_sites=[s for s in sites if s in hourly],
        pools=list(sites_in_pool),
        sites_in_pool=sites_in_pool,
        pool_of=pool_of,
        pool_region={p: site_region[members[0]] for p, members in sites_in_pool.items()},
        pool_pue={p: pue[members[0]] for p, members in sites_in_pool.items()},
        pool_price_adder_usd_per_mwh={p: adder[m[0]] for p, m in sites_in_pool.items()},
        regions=regions,
        metros=metros,
        zones=zones,
        blocks=list(range(len(cfg.training.campus_blocks_mw))),
        timesteps=timesteps,
        periods=periods,
        prev_timestep=prev_timestep,
        pairs=pairs,
        pairs_of_metro=pairs_of_metro,
        pairs_of_site=pairs_of_site,
        site_zones=site_zones,
        metro_zone=metro_zone,
        site_region=site_region,
        sites_in_region=sites_in_region,
        pool_node={p: site_node[members[0]] for p, members in sites_in_pool.items()},
        **grid,
        count={s: int(c) for s, c in zip(sites_df["site"], sites_df["count"], strict=True)},
        block_mw={k: float(b) for k, b in enumerate(cfg.training.campus_blocks_mw)},
        training_target_mw=float(cfg.training.target_mw),
        curtailment_budget_frac=cfg.training.curtailment_budget_pct / 100.0,
        module_mw=float(cfg.inference.module_mw),
        interconnect_mw=_column(sites_df, "site", "interconnect_mw"),
        interconnect_upgrade_max_mw=_column(sites_df, "site", "interconnect_upgrade_max_mw"),
        site_max_mw=_column(sites_df, "site", "site_max_mw"),
        pue=pue,
        energy_price_adder_usd_per_mwh=adder,
        time_to_power_years=_column(sites_df, "site", "time_to_power_years"),
        spur_capex_usd_per_mw=_column(sites_df, "site", "spur_capex_usd_per_mw"),
        inference_demand_mw=_column(scenario.metros, "metro", "inference_demand_mw"),
        latency_ms=dict(zip(pairs, lat["latency_ms"].astype(float), strict=True)),
        stranded_share_pct=_column(regions_df, "region", "stranded_share_pct"),
        stranded_mw=_triples(scenario.stranded, "region", "timestep", "stranded_mw"),
        price_usd_per_mwh=_triples(scenario.prices, "region", "timestep", "price_usd_per_mwh"),
        firm_capacity_usd_per_mw_year=firm_prices(scenario),
        duration_h=_column(ts, "timestep", "duration_h"),
        weight_h=_column(ts, "timestep", "weight_h"),
        inference_profile=_triples(
            scenario.inference_profiles, "profile_zone", "timestep", "inference_profile"
        ),
        charge_efficiency_pct=cfg.storage.charge_efficiency_pct,
        discharge_efficiency_pct=cfg.storage.discharge_efficiency_pct,
        max_energy_mwh_per_site=cfg.storage.max_energy_mwh_per_site,
        wacc=wacc,
        crf=crf,
        costs=cfg.costs.model_dump(),
        curtailment_cost_usd_per_mwh=cfg.training.curtailment_cost_usd_per_mwh,
        unserved_penalty_usd_per_mwh=cfg.inference.unserved_penalty_usd_per_mwh,
        series=StepSeries(
            weight_h=ts["weight_h"].to_numpy(dtype=float),
            duration_h=ts["duration_h"].to_numpy(dtype=float),
            stranded_mw=_grid(scenario.stranded, "region", regions, "stranded_mw", timesteps),
            price_usd_per_mwh=_grid(
                scenario.prices, "region", regions, "price_usd_per_mwh", timesteps
            ),
            inference_profile=_grid(
                scenario.inference_profiles, "profile_zone", zones, "inference_profile", timesteps
            ),
        ),
        year_weight_h=year_weight_h,
        year_hours={y: sum(w.values()) for y, w in year_weight_h.items()},
        budget_years=sorted(year_weight_h) if every_year and len(year_weight_h) > 1 else [],
        operational_check=operational_check,
    )


def add_sets(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Declare the model's index sets (ordered, sparse: pairs only where admissible)."""
    m.sites = pyo.Set(initialize=d.sites, ordered=True)
    m.campus_sites = pyo.Set(initialize=d.campus_sites, ordered=True)
    m.edge_sites = pyo.Set(initialize=d.edge_sites, ordered=True)
    m.storage_sites = pyo.Set(initialize=d.storage_sites, ordered=True)
    m.hourly_sites = pyo.Set(initialize=d.hourly_sites, ordered=True)
    m.hourly_campus_sites = pyo.Set(
        initialize=[s for s in d.campus_sites if s not in d.pool_of], ordered=True
    )
    m.pools = pyo.Set(initialize=d.pools, ordered=True)
    m.regions = pyo.Set(initialize=d.regions, ordered=True)
    m.nodes = pyo.Set(initialize=d.nodes, ordered=True)
    m.interfaces = pyo.Set(initialize=d.interfaces, ordered=True)
    m.metros = pyo.Set(initialize=d.metros, ordered=True)
    m.zones = pyo.Set(initialize=d.zones, ordered=True)
    m.blocks = pyo.Set(initialize=d.blocks, ordered=True)
    m.timesteps = pyo.Set(initialize=d.timesteps, ordered=True)
    m.pairs = pyo.Set(initialize=d.pairs, dimen=2, ordered=True)
    m.site_zones = pyo.Set(initialize=d.site_zones, dimen=2, ordered=True)
