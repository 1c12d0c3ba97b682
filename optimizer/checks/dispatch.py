"""The dispatch LP of a fixed plan, built straight as sparse matrices and handed to HiGHS.

A plan's static decisions (:class:`FixedPlan`, read from a solved model through its declared
parts) fix what is built; what is left is the hourly operation: the LP below. It is the
``operational_check`` model of :mod:`optimizer.model` with every static decision fixed and the
planning-only rows dropped (that Pyomo model is its definition and the tests' reference),
written with numpy and scipy instead: on the default US year it is built and handed to HiGHS in
about a second, where the Pyomo model takes tens of seconds.

Sets: the sites the plan uses, U (something built there); of them the hourly sites U_h (campus
or storage allowed, pooled or not: a pool's sites share one hourly operation in the planning
model, which is exact because that operation splits in proportion to campus MW, see
``optimizer.model.power``; here each site operates on its own), the campus sites U_c with
``campus_mw[s] > 0`` and the storage sites U_b with ``storage_power_mw[s] > 0`` (both within
U_h), and the edge-only sites U_e (edge sites that allow neither: no variables); the grid
nodes (``optimizer.model.stranded``: the regions under ``grid.deliverability: ba``, the zones
under ``zonal``) with a row N_h: those with an hourly site or an interface, and N_e: those
whose used sites are all edge-only and that have no interface; the interfaces I between nodes
(none under ba), each from node ``from(i)`` to ``to(i)``; the time steps T
(weights ``w[t]``, durations ``dur[t]``, ``hours = sum_t w[t]``) with ``prev(t)``, the step
before t in its period (cyclic); inference zones z with profiles ``profile[z, t]``; metros m in
zone z(m).

Plan (:class:`FixedPlan`): ``campus_mw[s]``, ``campus_count[s]``, ``edge_served_mw[s, z]``,
``storage_power_mw[s]``, ``storage_energy_mwh[s]``, ``interconnect_upgrade_mw[s]``,
``firm_capacity_mw[n]``, ``unserved_mw[m]``, and the cost terms it fixes. Derived:
``inference_mw[s, t] = sum_z profile[z, t] * edge_served_mw[s, z]``; the constant draw of an
edge-only site ``edge_import_mw[s, t] = pue[s] * inference_mw[s, t]``; ``n[s] =
campus_count[s]`` for a group row (count > 1), else 1; the open grid of node n,
``available[n, t] = sum_r supply_matrix[n, r] * stranded_mw[r, t] + firm_capacity_mw[n]
- sum_{s in U_e, at n} edge_import_mw[s, t]``.

Columns (all >= 0; hourly blocks site-major, column ``first + i * |T| + t``)
    ``grid_import_mw[s, t]``, s in U_h:  <= interconnect_mw[s] * n[s] + interconnect_upgrade_mw[s]
    ``curtailed_mw[s, t]``, s in U_c:    <= campus_mw[s]
    ``charge_mw[s, t]``, ``discharge_mw[s, t]``, s in U_b: <= storage_power_mw[s]
    ``soc_mwh[s, t]``, s in U_b:         <= storage_energy_mwh[s]
    ``curtail_excess_mwh[s]``, s in U_c: slack of the curtailment budget
    ``flow_mw[i, t]``, i in I, t in G:   in [-interface_reverse_mw[i], interface_forward_mw[i]]
    ``shortfall_mw[n, t]``, n in N_h with a used site, t in G: slack of the stranded limit
The model's caps (``power_curtail_cap``, ``power_interconnect_limit``, ``storage_*_cap``) are
these column bounds. What the plan fixes at zero is left out: curtailment and its budget at a
site without a campus, storage where the plan has no storage power (its state of charge could
only stay put), and the shortfall of a node in N_e, which is the constant
``max(0, -available[n, t])``.

Rows
    ``power_balance[s, t]``, s in U_h (equality; curtailment only for s in U_c, storage only
    for s in U_b):
        grid_import_mw + discharge_mw - charge_mw + pue[s] * curtailed_mw
            = pue[s] * (inference_mw[s, t] + campus_mw[s])
    ``power_curtail_budget[s]``, s in U_c:
        sum_t w[t] * curtailed_mw[s, t] - curtail_excess_mwh[s]
            <= curtailment_budget_frac * hours * campus_mw[s]
    ``storage_soc[s, t]``, s in U_b (equality):
        soc_mwh[s, t] - soc_mwh[s, prev(t)] - dur[t] * eta_c * charge_mw[s, t]
            + dur[t] / eta_d * discharge_mw[s, t] = 0
    ``stranded_limit[n, t]``, n in N_h, t in G (all steps without interfaces; with them, the
    steps where the interfaces might not carry the nodes' largest draws beyond their open
    grid from the other nodes' spare: elsewhere no row can bind and zero flows are optimal, so
    rows, flows and shortfalls are left out, exactly; :func:`grid_steps`,
    :mod:`.deliverable`):
        sum_{s in U_h, at n} grid_import_mw[s, t] + sum_{i from n} flow_mw[i, t]
            - sum_{i to n} flow_mw[i, t] - shortfall_mw[n, t] <= available[n, t]

Objective: the dispatch cost terms (``ObjectiveParts.dispatch_terms``), each a linear part and
a constant
    ``energy``      = sum_{s in U_h, t} w[t] * price[s, t] * grid_import_mw[s, t]
                      + sum_{s in U_e, t} w[t] * price[s, t] * edge_import_mw[s, t]
                      with price[s, t] = price_usd_per_mwh[r(s), t]
                      + energy_price_adder_usd_per_mwh[s]
    ``curtailment`` = curtailment_cost_usd_per_mwh * sum_{s, t} w[t] * curtailed_mw[s, t]
                      + max(unserved_penalty - curtailment_cost, 0) * sum_s curtail_excess_mwh[s]
    ``unserved``    = unserved_penalty_usd_per_mwh * (sum_{n, t} w[t] * shortfall_mw[n, t]
                      + sum_{n in N_e, t} w[t] * max(0, -available[n, t])
                      + sum_m inference_energy_h[z(m)] * unserved_mw[m])
with ``inference_energy_h[z] = sum_t w[t] * profile[z, t]`` of this year. The other cost terms
are fixed by the plan (``FixedPlan.fixed_cost_usd``, the solved model's values).

Built once, updated per year: the matrix depends only on the sets, PUE, the storage
efficiencies and the steps' weights and durations; the plan and the time series (stranded
power, prices, inference profiles) enter only column bounds, row bounds, costs and constants.
So :meth:`DispatchLP.update` operates the same plan over another year with the same steps
(another weather year) by changing those vectors of the one HiGHS model, which then starts
from its last basis.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo
from scipy import sparse

from optimizer.checks.deliverable import undeliverable_steps
from optimizer.model import BuiltModel, ModelData, ModelPartsError
from optimizer.model.objective import ObjectiveParts
from optimizer.solve.highs import INF, SolverOptions, model_status, new_highs

BUILT_TOLERANCE = 1e-9
"""A decision above this counts as built (a site is used)."""


def _values(component) -> dict:
    """Values of an indexed Pyomo variable or expression (an unset variable is 0)."""
    return {
        index: float(pyo.value(item, exception=False) or 0.0) for index, item in component.items()
    }


@dataclass(frozen=True)
class FixedPlan:
    """A solved plan's static decisions, as numbers keyed like the model's components.

    ``sites`` are the sites where the plan builds anything (campus, modules, storage or an
    upgrade), in the model's order; ``fixed_cost_usd`` the cost terms the plan alone sets
    (every term but the dispatch terms).
    """

    sites: list[str]
    campus_mw: dict[str, float]
    campus_count: dict[str, float]
    edge_served_mw: dict[tuple[str, str], float]
    storage_power_mw: dict[str, float]
    storage_energy_mwh: dict[str, float]
    interconnect_upgrade_mw: dict[str, float]
    firm_capacity_mw: dict[str, float]
    unserved_mw: dict[str, float]
    fixed_cost_usd: dict[str, float]

    @classmethod
    def of(cls, built: BuiltModel) -> FixedPlan:
        """The plan of a solved model (values loaded), read through its declared parts.

        Raises ModelPartsError when the model has a static decision this plan does not read
        (the dispatch LP would silently ignore it).
        """
        p = built.parts
        read = [
            p.siting.build_campus,  # through campus_mw and campus_count
            p.siting.edge_modules,  # whether a site is used
            p.demand.served_mw,  # through edge_served_mw
            p.demand.unserved_mw,
            p.storage.storage_energy_mwh,
            p.storage.storage_power_mw,
            p.power.interconnect_upgrade_mw,
            p.power.pool_campus_mw,  # the sum of its sites' campus MW
            p.stranded.firm_capacity_mw,
        ]
        known = {id(v) for v in read}
        unknown = [v.name for v in p.static_decisions() if id(v) not in known]
        if unknown:
            raise ModelPartsError(f"the dispatch LP does not read static decisions {unknown}")
        campus_mw = _values(p.siting.campus_mw)
        modules = _values(p.siting.edge_modules)
        power = _values(p.storage.storage_power_mw)
        energy = _values(p.storage.storage_energy_mwh)
        upgrade = _values(p.power.interconnect_upgrade_mw)
        built_at = (campus_mw, modules, power, energy, upgrade)
        sites = [
            s
            for s in built.data.sites
            if any(abs(v.get(s, 0.0)) > BUILT_TOLERANCE for v in built_at)
        ]
        dispatch = set(ObjectiveParts.dispatch_terms)
        cost = p.objective.cost_usd
        return cls(
            sites=sites,
            campus_mw=campus_mw,
            campus_count=_values(p.siting.campus_count),
            edge_served_mw=_values(p.demand.edge_served_mw),
            storage_power_mw=power,
            storage_energy_mwh=energy,
            interconnect_upgrade_mw=upgrade,
            firm_capacity_mw=_values(p.stranded.firm_capacity_mw),
            unserved_mw=_values(p.demand.unserved_mw),
            fixed_cost_usd={
                k: float(pyo.value(cost[k])) for k in ObjectiveParts.terms if k not in dispatch
            },
        )


@dataclass
class DispatchSolution:
    """The dispatch LP's answer, summed up: what the full-year check reports.

    ``cost_usd`` has every cost term (the plan's fixed terms and the dispatch terms), in
    ``ObjectiveParts.terms`` order; energies are over the year (weights applied).
    """

    status: str
    highs_status: str
    has_solution: bool
    cost_usd: dict[str, float] = field(default_factory=dict)
    curtailed_mwh: float = 0.0
    """training IT energy curtailed"""
    curtail_excess_mwh: float = 0.0
    """curtailment beyond the sites' budgets"""
    shortfall_mwh: float = 0.0
    """load the regions' stranded power and firm capacity could not carry"""
    unassigned_mwh: float = 0.0
    """inference the plan serves nowhere (unserved_mw over the year's profiles)"""
    campus_mw: float = 0.0
    hours: float = 0.0
    sites_operated: int = 0
    solve_seconds: float = 0.0
    x: np.ndarray | None = None

    @property
    def objective_usd(self) -> float:
        """Total annualized cost of the plan operated over the year."""
        return sum(self.cost_usd.values())

    @property
    def dispatch_cost_usd(self) -> float:
        """The dispatch terms (energy, curtailment, unserved)."""
        return sum(self.cost_usd[k] for k in ObjectiveParts.dispatch_terms)

    @property
    def training_curtailment_pct(self) -> float:
        """Curtailed training energy, % of the campuses' energy over the year."""
        return 100 * self.curtailed_mwh / (self.campus_mw * self.hours) if self.campus_mw else 0.0

    @property
    def unserved_energy_mwh(self) -> float:
        """Inference left unserved by the plan plus load short of grid power."""
        return self.unassigned_mwh + self.shortfall_mwh


@dataclass(frozen=True)
class _Layout:
    """The sets in LP order, and where each block of columns and rows starts."""

    hourly: list[str]  # U_h
    campus: list[str]  # U_c
    storage: list[str]  # U_b
    edge_only: list[str]  # U_e
    nodes: list[str]  # N_h
    edge_nodes: list[str]  # N_e
    short_nodes: list[str]  # N_h with a used site: a shortfall column each
    interfaces: list[str]  # I
    steps: int
    grid_steps: np.ndarray  # positions of the steps with stranded-limit rows (G)
    col: dict[str, int]
    row: dict[str, int]
    n_col: int
    n_row: int


def _sets(d: ModelData, plan: FixedPlan) -> tuple[list[str], ...]:
    """U_h, U_c, U_b, U_e, N_h, N_e, the nodes with a shortfall column, and I."""
    used = set(plan.sites)
    if not used <= set(d.sites):
        raise ValueError(f"the plan uses sites the year lacks: {sorted(used - set(d.sites))}")
    hourly_sites, campus_sites = set(d.hourly_sites) | set(d.pool_of), set(d.campus_sites)
    storage_sites, edge_sites = set(d.storage_sites), set(d.edge_sites)
    sites = [s for s in d.sites if s in used]
    hourly = [s for s in sites if s in hourly_sites]
    campus = [s for s in hourly if s in campus_sites and plan.campus_mw.get(s, 0.0) > 0]
    storage = [s for s in hourly if s in storage_sites and plan.storage_power_mw.get(s, 0.0) > 0]
    edge_only = [s for s in sites if s in edge_sites and s not in hourly_sites]
    linked = set(d.interface_from.values()) | set(d.interface_to.values())
    with_hourly = {d.site_node[s] for s in hourly} | linked
    with_edge = {d.site_node[s] for s in edge_only} - with_hourly
    with_site = {d.site_node[s] for s in sites}
    nodes = [n for n in d.nodes if n in with_hourly]
    edge_nodes = [n for n in d.nodes if n in with_edge]
    short_nodes = [n for n in nodes if n in with_site]
    interfaces = list(d.interfaces)
    return hourly, campus, storage, edge_only, nodes, edge_nodes, short_nodes, interfaces


def grid_steps(d: ModelData, plan: FixedPlan) -> np.ndarray:
    """Positions of the steps that need the stranded-limit rows (G). Without interfaces, all.
    With them (zonal deliverability) a step where the interfaces can carry every node's
    largest draw beyond its own open grid (``available``, firm capacity included) from the
    other nodes' spare needs neither rows nor flows: no row can bind and zero flows are
    optimal, so leaving them out is exact (:mod:`.deliverable`). A site's largest draw is
    ``min(its connection, pue * (inference + campus) + storage power)``."""
    steps = len(d.timesteps)
    if not d.interfaces:
        return np.arange(steps)
    hourly, _, _, edge_only, nodes, _, short_nodes, _ = _sets(d, plan)
    if not short_nodes:
        return np.arange(0)
    capacity = np.array([_capacity(d, plan, s) for s in hourly])
    need = (
        np.array([d.pue[s] for s in hourly])[:, None]
        * (
            _inference_mw(d, plan, hourly)
            + np.array([plan.campus_mw.get(s, 0.0) for s in hourly])[:, None]
        )
        + np.array([plan.storage_power_mw.get(s, 0.0) for s in hourly])[:, None]
    )
    most = np.minimum(need, capacity[:, None])
    edge = np.array([d.pue[s] for s in edge_only])[:, None] * _inference_mw(d, plan, edge_only)
    index = {n: i for i, n in enumerate(d.nodes)}
    firm = np.array([plan.firm_capacity_mw.get(n, 0.0) for n in nodes])
    open_grid = d.supply_matrix[[index[n] for n in nodes]] @ d.series.stranded_mw + firm[:, None]
    draw = _by_node(d, nodes, hourly, most) + _by_node(d, nodes, edge_only, edge)
    position = {n: i for i, n in enumerate(nodes)}
    with_site = set(short_nodes)
    return undeliverable_steps(
        draw - open_grid,
        np.array([n in with_site for n in nodes]),
        np.array([position[d.interface_from[i]] for i in d.interfaces], dtype=int),
        np.array([position[d.interface_to[i]] for i in d.interfaces], dtype=int),
        np.array([d.interface_forward_mw[i] for i in d.interfaces]),
        np.array([d.interface_reverse_mw[i] for i in d.interfaces]),
    )


def _capacity(d: ModelData, plan: FixedPlan, s: str) -> float:
    """A used hourly site's connection, MW (interconnect plus upgrade)."""
    n = plan.campus_count.get(s, 0.0) if d.count[s] > 1 else 1.0
    return d.interconnect_mw[s] * n + plan.interconnect_upgrade_mw.get(s, 0.0)


def _layout(d: ModelData, plan: FixedPlan) -> _Layout:
    sets = _sets(d, plan)
    hourly, campus, storage, edge_only, nodes, edge_nodes, short_nodes, interfaces = sets
    steps = len(d.timesteps)
    grid = grid_steps(d, plan)
    k = len(grid)
    cols = [
        ("grid_import_mw", len(hourly) * steps),
        ("curtailed_mw", len(campus) * steps),
        ("charge_mw", len(storage) * steps),
        ("discharge_mw", len(storage) * steps),
        ("soc_mwh", len(storage) * steps),
        ("curtail_excess_mwh", len(campus)),
        ("flow_mw", len(interfaces) * k),
        ("shortfall_mw", len(short_nodes) * k),
    ]
    rows = [
        ("power_balance", len(hourly) * steps),
        ("power_curtail_budget", len(campus)),
        ("storage_soc", len(storage) * steps),
        ("stranded_limit", len(nodes) * k),
    ]

    def starts(blocks: list[tuple[str, int]]) -> tuple[dict[str, int], int]:
        first = np.concatenate([[0], np.cumsum([n for _, n in blocks])])
        return {name: int(first[i]) for i, (name, _) in enumerate(blocks)}, int(first[-1])

    col, n_col = starts(cols)
    row, n_row = starts(rows)
    return _Layout(
        hourly, campus, storage, edge_only, nodes, edge_nodes, short_nodes, interfaces, steps,
        grid, col, row, n_col, n_row,
    )  # fmt: skip


def _block(first: int, n: int, steps: int) -> np.ndarray:
    """Indices [i, t] of a site-major block of n x steps entries starting at ``first``."""
    return first + np.arange(n * steps).reshape(n, steps)


@dataclass
class _Vectors:
    """What the plan and the year's time series set: bounds, costs and constants."""

    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    cost: dict[str, np.ndarray]  # dispatch term -> cost per column
    constant_usd: dict[str, float]  # dispatch term -> its constant part
    unassigned_mwh: float  # inference the plan serves nowhere
    edge_shortfall_mwh: float  # shortfall of the nodes in N_e
    edge_shortfall_mw: np.ndarray  # [N_e, step]: shortfall of the nodes in N_e

    @property
    def col_cost(self) -> np.ndarray:
        return sum(self.cost.values())

    @property
    def offset(self) -> float:
        return sum(self.constant_usd.values())


def _inference_mw(d: ModelData, plan: FixedPlan, sites: list[str]) -> np.ndarray:
    """Inference IT load [site, step] of ``sites`` under the plan (served MW x zone profiles)."""
    zone = {z: i for i, z in enumerate(d.zones)}
    position = {s: i for i, s in enumerate(sites)}
    served = np.zeros((len(sites), len(d.zones)))
    for (s, z), mw in plan.edge_served_mw.items():
        if s in position:
            served[position[s], zone[z]] += mw
    return served @ d.series.inference_profile


def _by_node(d: ModelData, nodes: list[str], sites: list[str], values: np.ndarray) -> np.ndarray:
    """Sum of ``values`` [site, step] over the sites at each node: [node, step]."""
    out = np.zeros((len(nodes), values.shape[1]))
    at = {n: i for i, n in enumerate(nodes)}
    mine = [i for i, s in enumerate(sites) if d.site_node[s] in at]
    rows = np.array([at[d.site_node[sites[i]]] for i in mine], dtype=int)
    np.add.at(out, rows, values[mine])
    return out


def _vectors(d: ModelData, plan: FixedPlan, lay: _Layout) -> _Vectors:
    """Bounds, right-hand sides, costs and constants of the LP for the plan over d's year."""
    series, steps = d.series, lay.steps
    w = series.weight_h
    index = {r: i for i, r in enumerate(d.regions)}
    col_lower, col_upper = np.zeros(lay.n_col), np.full(lay.n_col, INF)
    row_lower, row_upper = np.full(lay.n_row, -INF), np.full(lay.n_row, INF)

    def cols(name: str, n: int) -> slice:
        return slice(lay.col[name], lay.col[name] + n)

    def rows(name: str, n: int) -> slice:
        return slice(lay.row[name], lay.row[name] + n)

    def per_site(values: list[float]) -> np.ndarray:
        return np.repeat(np.asarray(values, dtype=float), steps)

    def get(values: dict[str, float], keys: list[str]) -> np.ndarray:
        return np.array([values.get(k, 0.0) for k in keys], dtype=float)

    n_h, n_c, n_b, n_r = len(lay.hourly), len(lay.campus), len(lay.storage), len(lay.nodes)
    n_i, n_s = len(lay.interfaces), len(lay.short_nodes)
    g, k = lay.grid_steps, len(lay.grid_steps)
    # column bounds: the model's caps and the interfaces' allowed flows
    capacity = [_capacity(d, plan, s) for s in lay.hourly]
    col_upper[cols("grid_import_mw", n_h * steps)] = per_site(capacity)
    campus_mw = get(plan.campus_mw, lay.campus)
    col_upper[cols("curtailed_mw", n_c * steps)] = np.repeat(campus_mw, steps)
    power = per_site(get(plan.storage_power_mw, lay.storage).tolist())
    col_upper[cols("charge_mw", n_b * steps)] = power
    col_upper[cols("discharge_mw", n_b * steps)] = power
    energy = get(plan.storage_energy_mwh, lay.storage)
    col_upper[cols("soc_mwh", n_b * steps)] = np.repeat(energy, steps)
    col_lower[cols("flow_mw", n_i * k)] = -np.repeat(
        [d.interface_reverse_mw[i] for i in lay.interfaces], k
    )
    col_upper[cols("flow_mw", n_i * k)] = np.repeat(
        [d.interface_forward_mw[i] for i in lay.interfaces], k
    )

    # power balance = pue * (inference + campus); budget; state of charge = 0
    pue_h = get(d.pue, lay.hourly)
    demand = pue_h[:, None] * (
        _inference_mw(d, plan, lay.hourly) + get(plan.campus_mw, lay.hourly)[:, None]
    )
    row_lower[rows("power_balance", n_h * steps)] = demand.ravel()
    row_upper[rows("power_balance", n_h * steps)] = demand.ravel()
    budget = d.curtailment_budget_frac * d.hours_per_year * campus_mw
    row_upper[rows("power_curtail_budget", n_c)] = budget
    row_lower[rows("storage_soc", n_b * steps)] = 0.0
    row_upper[rows("storage_soc", n_b * steps)] = 0.0

    # stranded limit: open stranded power + firm - edge-only import (N_h); N_e: a constant
    edge_import = get(d.pue, lay.edge_only)[:, None] * _inference_mw(d, plan, lay.edge_only)
    node_index = {n: i for i, n in enumerate(d.nodes)}

    def available(nodes: list[str]) -> np.ndarray:
        supply = d.supply_matrix[[node_index[n] for n in nodes]]
        firm = get(plan.firm_capacity_mw, nodes)
        edge = _by_node(d, nodes, lay.edge_only, edge_import)
        return supply @ series.stranded_mw + firm[:, None] - edge

    row_upper[rows("stranded_limit", n_r * k)] = available(lay.nodes)[:, g].ravel()
    edge_shortfall = np.maximum(0.0, -available(lay.edge_nodes))  # [N_e, step]

    # costs of the dispatch terms, per column, and their constant parts
    cc, penalty = d.curtailment_cost_usd_per_mwh, d.unserved_penalty_usd_per_mwh
    price = series.price_usd_per_mwh
    cost = {k: np.zeros(lay.n_col) for k in ObjectiveParts.dispatch_terms}

    def site_price(sites: list[str]) -> np.ndarray:  # [site, step]
        adder = np.array([d.energy_price_adder_usd_per_mwh[s] for s in sites])
        return price[[index[d.site_region[s]] for s in sites]] + adder.reshape(-1, 1)

    price_h = site_price(lay.hourly)
    cost["energy"][cols("grid_import_mw", n_h * steps)] = (w * price_h).ravel()
    cost["curtailment"][cols("curtailed_mw", n_c * steps)] = np.tile(cc * w, n_c)
    cost["curtailment"][cols("curtail_excess_mwh", n_c)] = max(penalty - cc, 0.0)
    cost["unserved"][cols("shortfall_mw", n_s * k)] = np.tile(penalty * w[g], n_s)
    price_e = site_price(lay.edge_only)
    zone = {z: i for i, z in enumerate(d.zones)}
    energy_h = series.inference_profile @ w  # [zone]: the year's full-load hours
    unassigned = float(
        sum(energy_h[zone[d.metro_zone[m]]] * mw for m, mw in plan.unserved_mw.items())
    )
    edge_shortfall_mwh = float((edge_shortfall @ w).sum())
    return _Vectors(
        col_lower=col_lower,
        col_upper=col_upper,
        row_lower=row_lower,
        row_upper=row_upper,
        cost=cost,
        constant_usd={
            "energy": float((w * price_e * edge_import).sum()),
            "curtailment": 0.0,
            "unserved": penalty * (unassigned + edge_shortfall_mwh),
        },
        unassigned_mwh=unassigned,
        edge_shortfall_mwh=edge_shortfall_mwh,
        edge_shortfall_mw=edge_shortfall,
    )


def _matrix(d: ModelData, lay: _Layout) -> sparse.csc_array:
    """The constraint matrix: it depends on the sets, PUE, efficiencies, weights and
    durations only."""
    steps, series = lay.steps, d.series
    w, dur = series.weight_h, series.duration_h
    n_h, n_c, n_b, n_r = len(lay.hourly), len(lay.campus), len(lay.storage), len(lay.nodes)
    n_i = len(lay.interfaces)
    gi = _block(lay.col["grid_import_mw"], n_h, steps)
    cu = _block(lay.col["curtailed_mw"], n_c, steps)
    ch = _block(lay.col["charge_mw"], n_b, steps)
    dis = _block(lay.col["discharge_mw"], n_b, steps)
    soc = _block(lay.col["soc_mwh"], n_b, steps)
    excess = lay.col["curtail_excess_mwh"] + np.arange(n_c)
    g, k = lay.grid_steps, len(lay.grid_steps)
    flow = _block(lay.col["flow_mw"], n_i, k)
    shortfall = _block(lay.col["shortfall_mw"], len(lay.short_nodes), k)
    balance = _block(lay.row["power_balance"], n_h, steps)
    budget = lay.row["power_curtail_budget"] + np.arange(n_c)
    soc_row = _block(lay.row["storage_soc"], n_b, steps)
    limit = _block(lay.row["stranded_limit"], n_r, k)
    position = {s: i for i, s in enumerate(lay.hourly)}
    at_c = [position[s] for s in lay.campus]
    at_b = [position[s] for s in lay.storage]
    node = {n: i for i, n in enumerate(lay.nodes)}
    node_of_h = [node[d.site_node[s]] for s in lay.hourly]
    node_of_short = [node[n] for n in lay.short_nodes]
    flow_from = [node[d.interface_from[i]] for i in lay.interfaces]
    flow_to = [node[d.interface_to[i]] for i in lay.interfaces]
    pue_c = np.array([d.pue[s] for s in lay.campus], dtype=float)
    step = {t: j for j, t in enumerate(d.timesteps)}
    prev = np.array([step[d.prev_timestep[t]] for t in d.timesteps], dtype=int)
    eta_c, eta_d = d.charge_efficiency_pct / 100, d.discharge_efficiency_pct / 100
    ones = np.ones

    entries = [  # (rows, columns, values), each triple of one shape
        (balance, gi, ones(gi.shape)),
        (balance[at_c], cu, np.broadcast_to(pue_c[:, None], cu.shape)),
        (balance[at_b], dis, ones(dis.shape)),
        (balance[at_b], ch, -ones(ch.shape)),
        (np.broadcast_to(budget[:, None], cu.shape), cu, np.broadcast_to(w, cu.shape)),
        (budget, excess, -ones(n_c)),
        (soc_row, soc, ones(soc.shape)),
        (soc_row, soc[:, prev], -ones(soc.shape)),
        (soc_row, ch, np.broadcast_to(-dur * eta_c, ch.shape)),
        (soc_row, dis, np.broadcast_to(dur / eta_d, dis.shape)),
        (limit[node_of_h], gi[:, g], ones((n_h, k))),
        (limit[flow_from], flow, ones(flow.shape)),
        (limit[flow_to], flow, -ones(flow.shape)),
        (limit[node_of_short], shortfall, -ones(shortfall.shape)),
    ]
    rows = np.concatenate([np.ravel(r) for r, _, _ in entries])
    cols = np.concatenate([np.ravel(c) for _, c, _ in entries])
    vals = np.concatenate([np.ravel(v) for _, _, v in entries])
    a = sparse.csc_array((vals, (rows, cols)), shape=(lay.n_row, lay.n_col))
    a.sum_duplicates()  # soc - soc(prev) of a one-step period cancels
    a.eliminate_zeros()
    a.sort_indices()
    return a


class DispatchLP:
    """The dispatch LP of ``plan`` over the year of ``data``, held in one HiGHS model.

    ``DispatchLP(data, plan, options).solve()`` operates the plan over the year;
    :meth:`update` moves the same model to another year with the same steps (only bounds and
    costs change); :meth:`solve` again starts from the last basis.
    """

    def __init__(self, data: ModelData, plan: FixedPlan, options: SolverOptions) -> None:
        started = time.perf_counter()
        self.plan = plan
        self.data = data
        self.layout = _layout(data, plan)
        a = _matrix(data, self.layout)
        vectors = _vectors(data, plan, self.layout)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.layout.n_col, self.layout.n_row
        lp.col_cost_ = vectors.col_cost
        lp.offset_ = vectors.offset
        lp.col_lower_, lp.col_upper_ = vectors.col_lower, vectors.col_upper
        lp.row_lower_, lp.row_upper_ = vectors.row_lower, vectors.row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr
        lp.a_matrix_.index_ = a.indices
        lp.a_matrix_.value_ = a.data
        self.nonzeros = int(a.nnz)
        self._vectors = vectors
        self._structure = _structure(data)
        self.highs = new_highs(lp, options)
        self.build_seconds = time.perf_counter() - started

    @property
    def shape(self) -> dict[str, int]:
        """Numbers of columns, rows and nonzeros."""
        return {
            "variables": self.layout.n_col,
            "constraints": self.layout.n_row,
            "nonzeros": self.nonzeros,
        }

    def fits(self, data: ModelData) -> bool:
        """Whether :meth:`update` can move this LP to ``data``'s year: the same structure
        (sites, nodes, interfaces, steps by position, weights, durations, efficiencies) and,
        under zonal deliverability, the same steps with grid rows (:func:`grid_steps`)."""
        return _structure(data) == self._structure and np.array_equal(
            grid_steps(data, self.plan), self.layout.grid_steps
        )

    def update(self, data: ModelData) -> None:
        """Operate the same plan over ``data``'s year: same sites, regions, zones and steps (with
        the same weights and durations), other stranded power, prices and inference profiles.
        Changes only bounds, right-hand sides, costs and the offset of the HiGHS model."""
        if not self.fits(data):
            raise ValueError(
                "update needs a year with the same sites, regions, zones, steps, weights, "
                "durations, efficiencies and steps with grid rows; build a new DispatchLP "
                "instead"
            )
        v = _vectors(data, self.plan, self.layout)
        n_col, n_row = self.layout.n_col, self.layout.n_row
        cols, rows = np.arange(n_col, dtype=np.int32), np.arange(n_row, dtype=np.int32)
        h = self.highs
        h.changeColsCost(n_col, cols, v.col_cost)
        h.changeColsBounds(n_col, cols, v.col_lower, v.col_upper)
        h.changeRowsBounds(n_row, rows, v.row_lower, v.row_upper)
        h.changeObjectiveOffset(v.offset)
        self.data, self._vectors = data, v

    def solve(self) -> DispatchSolution:
        """Solve the LP and sum up its solution (:class:`DispatchSolution`)."""
        lay, d, v = self.layout, self.data, self._vectors
        started = time.perf_counter()
        if lay.n_col:
            self.highs.run()
            status, name = model_status(self.highs)
            has_solution = self.highs.getInfo().primal_solution_status == 2  # feasible
        else:  # no site with hourly decisions: every figure is a constant
            status, name, has_solution = "optimal", "kModelEmpty", True
        seconds = time.perf_counter() - started
        if not has_solution:
            return DispatchSolution(status, name, False, solve_seconds=seconds)
        x = np.asarray(self.highs.getSolution().col_value, dtype=float)[: lay.n_col]
        steps, w = lay.steps, d.series.weight_h

        def block(name: str, n: int) -> np.ndarray:
            return x[lay.col[name] : lay.col[name] + n * steps].reshape(n, steps)

        dispatch = {k: float(v.cost[k] @ x) + v.constant_usd[k] for k in v.cost}
        cost = {
            k: dispatch[k] if k in dispatch else self.plan.fixed_cost_usd[k]
            for k in ObjectiveParts.terms
        }
        curtailed = block("curtailed_mw", len(lay.campus))
        k = len(lay.grid_steps)
        first = lay.col["shortfall_mw"]
        shortfall = x[first : first + len(lay.short_nodes) * k].reshape(len(lay.short_nodes), k)
        excess = lay.col["curtail_excess_mwh"]
        return DispatchSolution(
            status=status,
            highs_status=name,
            has_solution=True,
            cost_usd=cost,
            curtailed_mwh=float((curtailed @ w).sum()),
            curtail_excess_mwh=float(x[excess : excess + len(lay.campus)].sum()),
            shortfall_mwh=float((shortfall @ w[lay.grid_steps]).sum()) + v.edge_shortfall_mwh,
            unassigned_mwh=v.unassigned_mwh,
            campus_mw=float(sum(self.plan.campus_mw.get(s, 0.0) for s in lay.campus)),
            hours=d.hours_per_year,
            sites_operated=len(self.plan.sites),
            solve_seconds=seconds,
            x=x,
        )


def regions_table(lp: DispatchLP, solution: DispatchSolution) -> pd.DataFrame:
    """Per region of the plan's sites: campus MW, curtailed training energy (MWh and % of the
    campuses' energy), and the load its stranded power and firm capacity could not carry
    (``shortfall_mwh``, and its largest hour ``shortfall_peak_mw``: the firm capacity short).
    Under zonal deliverability a zone's shortfall counts in the zone's region."""
    lay, d = lp.layout, lp.data
    w = d.series.weight_h
    columns = ["region", "campus_mw", "curtailed_mwh", "curtailment_pct", "shortfall_mwh",
               "shortfall_peak_mw"]  # fmt: skip
    if not solution.has_solution:
        return pd.DataFrame(columns=columns)
    x, steps = solution.x, lay.steps
    campus_mw = np.array([lp.plan.campus_mw.get(s, 0.0) for s in lay.campus])
    curtailed = x[_block(lay.col["curtailed_mw"], len(lay.campus), steps)] @ w
    on_grid = np.zeros((len(lay.short_nodes), steps))
    on_grid[:, lay.grid_steps] = x[
        _block(lay.col["shortfall_mw"], len(lay.short_nodes), len(lay.grid_steps))
    ]
    short = np.concatenate([on_grid, lp._vectors.edge_shortfall_mw]).reshape(-1, steps)
    short_region = [d.node_region[n] for n in (*lay.short_nodes, *lay.edge_nodes)]
    site_region = np.array([d.site_region[s] for s in lay.campus], dtype=object)
    regions = [
        r
        for r in d.regions
        if r in set(short_region) or r in set(site_region) or r in set(_used_regions(lp))
    ]
    rows = []
    for r in regions:
        mine = site_region == r
        mw = float(campus_mw[mine].sum())
        cut = float(curtailed[mine].sum())
        at = [i for i, q in enumerate(short_region) if q == r]
        hourly = short[at].sum(axis=0) if at else np.zeros(steps)
        rows.append([r, mw, cut, 100 * cut / (mw * d.hours_per_year) if mw else 0.0,
                     float(hourly @ w), float(hourly.max(initial=0.0))])  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _used_regions(lp: DispatchLP) -> list[str]:
    """Regions of the sites the plan uses."""
    return list(dict.fromkeys(lp.data.site_region[s] for s in lp.plan.sites))


def _structure(d: ModelData) -> tuple:
    """What the matrix depends on besides the plan (update keeps all of it). Steps count by
    position: another year with as many steps, in periods of the same lengths, fits."""
    position = {t: i for i, t in enumerate(d.timesteps)}
    return (
        tuple(d.sites),
        tuple(d.hourly_sites),
        tuple(d.pool_of),
        tuple(d.regions),
        tuple(d.nodes),
        tuple(d.site_node[s] for s in d.sites),
        tuple(d.interfaces),
        d.supply_matrix.tobytes(),
        tuple(d.zones),
        len(d.timesteps),
        tuple(position[d.prev_timestep[t]] for t in d.timesteps),
        tuple(d.pue[s] for s in d.sites),
        d.series.weight_h.tobytes(),
        d.series.duration_h.tobytes(),
        d.charge_efficiency_pct,
        d.discharge_efficiency_pct,
    )


def operate(data: ModelData, plan: FixedPlan, options: SolverOptions) -> DispatchSolution:
    """Operate ``plan`` over the year of ``data`` (build the dispatch LP and solve it)."""
    return DispatchLP(data, plan, options).solve()
