"""Site power: hourly balance with PUE, firm inference, curtailable training, interconnect.

Sets: sites S; hourly sites S_h (campus or storage sites not in a pool); pools P (campus sites
with neither edge nor storage, pooled by region, PUE and price adder; ``sites_in_pool[p]``, PUE
``pue[p]``);
campus sites S_c, of them those with hourly decisions S_ch = S_c cap S_h; edge sites S_e with
their zones; time steps T (weights ``weight_h[t]``, ``hours = sum_t weight_h[t]``). ``n[s]`` is 1
for a single site and ``campus_count[s]`` for a group row (count > 1): a group's connection
grows with its campuses.

Inference IT load: ``inference_mw(s, t) = sum_z inference_profile[z, t] * edge_served_mw[s, z]``,
never curtailed (firm).

Variables
    ``grid_import_mw[s, t] >= 0``, s in S_h: power drawn from the grid;
    ``curtailed_mw[s, t] >= 0``, s in S_ch: training IT MW paused in step t;
    ``pool_curtailed_mw[p, t] >= 0``, p in P: training IT MW of the pool's campuses paused in t;
    ``interconnect_upgrade_mw[s]`` in [0, count[s] * interconnect_upgrade_max_mw[s]].
Edge-only sites without storage draw ``edge_grid_import_mw[s, t] = pue[s] * inference_mw(s, t)``
and a pool draws ``pool_grid_import_mw[p, t] = pue[p] * (pool_campus_mw[p]
- pool_curtailed_mw[p, t])`` (expressions: no grid import variables), where
``pool_campus_mw[p]`` is a variable held by ``power_pool_campus[p]``:
pool_campus_mw[p] = sum_{s in p} campus_mw[s] (one term in each hourly row, not one per site).

Constraints
    ``power_balance[s, t]``, s in S_h:
        grid_import_mw + discharge_mw - charge_mw
            = pue[s] * (inference_mw(s, t) + campus_mw[s] - curtailed_mw[s, t])
    ``power_curtail_cap[s, t]``, s in S_ch:  curtailed_mw[s, t] <= campus_mw[s]
    ``power_curtail_budget[s]``, s in S_ch:
        sum_t weight_h[t] * curtailed_mw[s, t] <= budget * hours * campus_mw[s]
    ``power_curtail_budget_year[s, y]``, s in S_ch, y in the weather years Y when the steps
    stand for several years and the budget holds in every year (``budget_years``; the
    average rows above are then left out, being the mean of these):
        sum_t weight_h[y, t] * curtailed_mw[s, t] <= budget * hours[y] * campus_mw[s]
    ``power_pool_curtail_cap[p, t]``:  pool_curtailed_mw[p, t] <= pool_campus_mw[p]
    ``power_pool_curtail_budget[p]``:
        sum_t weight_h[t] * pool_curtailed_mw[p, t] <= budget * hours * pool_campus_mw[p]
    ``power_pool_curtail_budget_year[p, y]``: the same per weather year, as for sites
    ``power_campus_wire[s]``, s in a pool: pue[s] * campus_mw[s]
        <= interconnect_mw[s] * n[s] + interconnect_upgrade_mw[s]
        (a campus's connection carries its full load; a pooled site draws at most that)
    ``power_interconnect_limit[s, t]``, s in S_h:
        grid_import_mw[s, t] <= interconnect_mw[s] * n[s] + interconnect_upgrade_mw[s]
    ``power_edge_interconnect_limit[s, t]``, edge-only sites without storage, only at the steps
        whose zone profiles no other step dominates (the others cannot bind):
        edge_grid_import_mw[s, t] <= interconnect_mw[s] + interconnect_upgrade_mw[s]
    ``power_upgrade_cap[s]``, group rows: interconnect_upgrade_mw[s] <= interconnect_upgrade_max_mw[s] * campus_count[s]
    ``power_upgrade_need[s]``, group rows: interconnect_upgrade_mw[s]
        >= sum_k max(0, pue[s] * block_mw[k] - interconnect_mw[s]) * build_campus[s, k]
        (each campus's own connection carries its full load; without it a small campus's spare
        wire would be lent to a large one)

A group row pools its campuses' wires only for what exceeds their full load (storage charging):
that part is a relaxation of separate sites when a group mixes block sizes.

Pools are exact. Their sites differ only in static figures (costs, caps, time to power), which
stay on each site's own decisions; the hourly rows and costs of a site without edge or storage
depend on its campus MW alone, at its region's stranded limit, its PUE and its price. Any
hourly plan of the sites sums to one of the pool (caps and budgets add up, and so do grid import
and costs); conversely a pool's plan splits in proportion to campus MW,
``curtailed_mw[s, t] = pool_curtailed_mw[p, t] * campus_mw[s] / sum_{s' in p} campus_mw[s']``,
which keeps every site within its cap and budget at the same region draw and cost. The one
condition is the wire: a pooled site's connection carries the campus's full load
(``power_campus_wire``), so its grid import never meets the limit. Pooling turns hourly
variables per candidate into hourly variables per (region, PUE, price), which is what lets
thousands of individual candidates into the model.

Full-year check (``operational_check``): the budgets get penalised slacks
``curtail_excess_mwh[s] >= 0`` and ``pool_curtail_excess_mwh[p] >= 0`` so that a fixed plan stays
feasible in any year.

Parts (:class:`PowerParts`): the upgrade and a pool's campus MW are static decisions (the
latter set by the sites' blocks through ``power_pool_campus``), grid import and both
curtailments hourly ones; the budgets, the interconnect limits and the campus wire are limits a
user sets; the edge-only interconnect rows, the campus wire, a pool's campus MW, the upgrade
need and cap bind build decisions only (planning-only); the edge-only and pool grid imports are
hourly expressions. :func:`inference_mw` is the one definition of the inference load, for the model's rows and for the results read from solution values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyomo.environ as pyo

from optimizer.model.demand import peak_steps, zones_of_sites
from optimizer.model.parts import Family, decision, expression, row, slack
from optimizer.model.sets import ModelData


@dataclass(frozen=True)
class PowerParts(Family):
    """The power family's parts (see the module docstring)."""

    name = "power"
    interconnect_upgrade_mw: pyo.Var = decision()
    grid_import_mw: pyo.Var = decision(hourly=True)
    curtailed_mw: pyo.Var = decision(hourly=True)
    pool_campus_mw: pyo.Var = decision()
    pool_curtailed_mw: pyo.Var = decision(hourly=True)
    curtail_excess_mwh: pyo.Var | None = slack()
    pool_curtail_excess_mwh: pyo.Var | None = slack()
    edge_grid_import_mw: pyo.Expression = expression(hourly=True)
    pool_grid_import_mw: pyo.Expression = expression(hourly=True)
    power_balance: pyo.Constraint = row(hourly=True)
    power_curtail_cap: pyo.Constraint = row(hourly=True)
    power_curtail_budget: pyo.Constraint = row(limit=True)
    power_curtail_budget_year: pyo.Constraint = row(limit=True)
    power_pool_campus: pyo.Constraint = row(planning_only=True)
    power_pool_curtail_cap: pyo.Constraint = row(hourly=True)
    power_pool_curtail_budget: pyo.Constraint = row(limit=True)
    power_pool_curtail_budget_year: pyo.Constraint = row(limit=True)
    power_campus_wire: pyo.Constraint = row(limit=True, planning_only=True)
    power_interconnect_limit: pyo.Constraint = row(hourly=True, limit=True)
    power_edge_interconnect_limit: pyo.Constraint = row(hourly=True, limit=True, planning_only=True)
    power_upgrade_need: pyo.Constraint = row(planning_only=True)
    power_upgrade_cap: pyo.Constraint = row(planning_only=True)


def inference_mw(
    d: ModelData, edge_served_mw: Mapping[tuple[str, str], Any], zones: list[str], s: str, t: str
) -> Any:
    """Inference IT load of site s in step t (0 when it serves no metro), from the model's
    ``edge_served_mw`` (an expression) or from its solution values (a number)."""
    return sum(d.inference_profile[z, t] * edge_served_mw[s, z] for z in zones)


def grid_import(m: pyo.ConcreteModel, s: str, t: str):
    """Grid import of site s (not pooled) in step t: a variable at hourly sites, else an
    expression."""
    if s in m.hourly_sites:
        return m.grid_import_mw[s, t]
    return m.edge_grid_import_mw[s, t]


def add_power(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Add grid import, curtailment, interconnect upgrades and the site power balance to ``m``."""
    campus, edge, storage = set(d.campus_sites), set(d.edge_sites), set(d.storage_sites)
    zones = zones_of_sites(d)
    group = {s for s in d.campus_sites if d.count[s] > 1}
    m.grid_import_mw = pyo.Var(m.hourly_sites, m.timesteps, domain=pyo.NonNegativeReals)
    m.curtailed_mw = pyo.Var(m.hourly_campus_sites, m.timesteps, domain=pyo.NonNegativeReals)
    m.pool_curtailed_mw = pyo.Var(m.pools, m.timesteps, domain=pyo.NonNegativeReals)
    m.interconnect_upgrade_mw = pyo.Var(
        m.sites,
        domain=pyo.NonNegativeReals,
        bounds=lambda _, s: (0, d.count[s] * d.interconnect_upgrade_max_mw[s]),
    )
    static = [s for s in d.edge_sites if s not in m.hourly_sites]
    m.edge_only_sites = pyo.Set(initialize=static, ordered=True)
    m.edge_grid_import_mw = pyo.Expression(
        m.edge_only_sites,
        m.timesteps,
        rule=lambda m, s, t: d.pue[s] * inference_mw(d, m.edge_served_mw, zones[s], s, t),
    )

    def balance(m, s, t):
        it_load = 0
        if s in edge:
            it_load += inference_mw(d, m.edge_served_mw, zones[s], s, t)
        if s in campus:
            it_load += m.campus_mw[s] - m.curtailed_mw[s, t]
        supply = m.grid_import_mw[s, t]
        if s in storage:
            supply += m.discharge_mw[s, t] - m.charge_mw[s, t]
        return supply == d.pue[s] * it_load

    m.power_balance = pyo.Constraint(m.hourly_sites, m.timesteps, rule=balance)
    m.power_curtail_cap = pyo.Constraint(
        m.hourly_campus_sites,
        m.timesteps,
        rule=lambda m, s, t: m.curtailed_mw[s, t] <= m.campus_mw[s],
    )
    hours = d.hours_per_year
    if d.operational_check:
        m.curtail_excess_mwh = pyo.Var(m.hourly_campus_sites, domain=pyo.NonNegativeReals)
        m.pool_curtail_excess_mwh = pyo.Var(m.pools, domain=pyo.NonNegativeReals)

    def budget(curtailed, key, excess, campus_mw, year=None):
        """``curtailed[key, t]`` weighted over the steps (of ``year``) within the budget."""
        weight = d.weight_h if year is None else d.year_weight_h[year]
        used = sum(w * curtailed[key, t] for t, w in weight.items())
        allowed = (
            d.curtailment_budget_frac * (hours if year is None else d.year_hours[year]) * campus_mw
        )
        if d.operational_check:
            allowed += excess
        return used <= allowed

    averaged = [] if d.budget_years else m.hourly_campus_sites
    m.power_curtail_budget = pyo.Constraint(
        averaged,
        rule=lambda m, s: budget(
            m.curtailed_mw,
            s,
            m.curtail_excess_mwh[s] if d.operational_check else 0,
            m.campus_mw[s],
        ),
    )
    m.power_curtail_budget_year = pyo.Constraint(
        [(s, y) for s in m.hourly_campus_sites for y in d.budget_years],
        rule=lambda m, s, y: budget(m.curtailed_mw, s, 0, m.campus_mw[s], y),
    )

    # one variable per pool, so that the hourly rows hold one term for the pool's campuses
    # instead of one per site and block
    m.pool_campus_mw = pyo.Var(m.pools, domain=pyo.NonNegativeReals)
    m.power_pool_campus = pyo.Constraint(
        m.pools,
        rule=lambda m, p: m.pool_campus_mw[p] == sum(m.campus_mw[s] for s in d.sites_in_pool[p]),
    )
    pooled_mw = m.pool_campus_mw
    m.pool_grid_import_mw = pyo.Expression(
        m.pools,
        m.timesteps,
        rule=lambda m, p, t: d.pool_pue[p] * (pooled_mw[p] - m.pool_curtailed_mw[p, t]),
    )
    m.power_pool_curtail_cap = pyo.Constraint(
        m.pools, m.timesteps, rule=lambda m, p, t: m.pool_curtailed_mw[p, t] <= pooled_mw[p]
    )
    m.power_pool_curtail_budget = pyo.Constraint(
        [] if d.budget_years else m.pools,
        rule=lambda m, p: budget(
            m.pool_curtailed_mw,
            p,
            m.pool_curtail_excess_mwh[p] if d.operational_check else 0,
            pooled_mw[p],
        ),
    )
    m.power_pool_curtail_budget_year = pyo.Constraint(
        [(p, y) for p in m.pools for y in d.budget_years],
        rule=lambda m, p, y: budget(m.pool_curtailed_mw, p, 0, pooled_mw[p], y),
    )

    def capacity(m, s):
        n = m.campus_count[s] if s in group else 1
        return d.interconnect_mw[s] * n + m.interconnect_upgrade_mw[s]

    m.power_interconnect_limit = pyo.Constraint(
        m.hourly_sites,
        m.timesteps,
        rule=lambda m, s, t: m.grid_import_mw[s, t] <= capacity(m, s),
    )
    m.power_campus_wire = pyo.Constraint(
        list(d.pool_of),
        rule=lambda m, s: d.pue[s] * m.campus_mw[s] <= capacity(m, s),
    )
    m.power_edge_interconnect_limit = pyo.Constraint(
        peak_steps(d, static), rule=lambda m, s, t: m.edge_grid_import_mw[s, t] <= capacity(m, s)
    )
    blocks_of = {s: [k for (g, k) in m.site_blocks if g == s] for s in group}
    m.power_upgrade_need = pyo.Constraint(
        sorted(group, key=d.sites.index),
        rule=lambda m, s: (
            m.interconnect_upgrade_mw[s]
            >= sum(
                max(0.0, d.pue[s] * d.block_mw[k] - d.interconnect_mw[s]) * m.build_campus[s, k]
                for k in blocks_of[s]
            )
        ),
    )
    m.power_upgrade_cap = pyo.Constraint(
        sorted(group, key=d.sites.index),
        rule=lambda m, s: (
            m.interconnect_upgrade_mw[s] <= d.interconnect_upgrade_max_mw[s] * m.campus_count[s]
        ),
    )
