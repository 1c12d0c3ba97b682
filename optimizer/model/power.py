"""Site power: hourly balance with PUE, firm inference, curtailable training, interconnect.

Sets: sites S; hourly sites S_h (campus or storage sites); campus sites S_c; edge sites S_e with
their zones; time steps T (weights ``weight_h[t]``). ``n[s]`` is 1 for a single site and
``campus_count[s]`` for a group row (count > 1): a group's connection grows with its campuses.

Inference IT load: ``inference_mw(s, t) = sum_z inference_profile[z, t] * edge_served_mw[s, z]``,
never curtailed (firm).

Variables (hourly sites)
    ``grid_import_mw[s, t] >= 0``: power drawn from the grid;
    ``curtailed_mw[s, t] >= 0``, s in S_c: training IT MW paused in step t;
    ``interconnect_upgrade_mw[s]`` in [0, count[s] * interconnect_upgrade_max_mw[s]].
Edge-only sites without storage draw ``edge_grid_import_mw[s, t] = pue[s] * inference_mw(s, t)``
(an expression: no hourly variables).

Constraints
    ``power_balance[s, t]``, s in S_h:
        grid_import_mw + discharge_mw - charge_mw
            = pue[s] * (inference_mw(s, t) + campus_mw[s] - curtailed_mw[s, t])
    ``power_curtail_cap[s, t]``:  curtailed_mw[s, t] <= campus_mw[s]
    ``power_curtail_budget[s]``:
        sum_t weight_h[t] * curtailed_mw[s, t] <= budget * (sum_t weight_h[t]) * campus_mw[s]
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

Full-year check (``operational_check``): the budget gets a penalised slack
``curtail_excess_mwh[s] >= 0`` so that a fixed plan stays feasible in any year.

Parts (:class:`PowerParts`): the upgrade is a static decision, grid import and curtailment
hourly ones; the budget and both interconnect limits are limits a user sets; the edge-only
interconnect rows, the upgrade need and cap bind build decisions only (planning-only); the
edge-only grid import is an hourly expression. :func:`inference_mw` is the one definition of the
inference load, for the model's rows and for the results read from solution values.
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
    curtail_excess_mwh: pyo.Var | None = slack()
    edge_grid_import_mw: pyo.Expression = expression(hourly=True)
    power_balance: pyo.Constraint = row(hourly=True)
    power_curtail_cap: pyo.Constraint = row(hourly=True)
    power_curtail_budget: pyo.Constraint = row(limit=True)
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
    """Grid import of site s in step t: a variable at hourly sites, else an expression."""
    if s in m.hourly_sites:
        return m.grid_import_mw[s, t]
    return m.edge_grid_import_mw[s, t]


def add_power(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Add grid import, curtailment, interconnect upgrades and the site power balance to ``m``."""
    campus, edge, storage = set(d.campus_sites), set(d.edge_sites), set(d.storage_sites)
    zones = zones_of_sites(d)
    group = {s for s in d.campus_sites if d.count[s] > 1}
    m.grid_import_mw = pyo.Var(m.hourly_sites, m.timesteps, domain=pyo.NonNegativeReals)
    m.curtailed_mw = pyo.Var(m.campus_sites, m.timesteps, domain=pyo.NonNegativeReals)
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
        m.campus_sites, m.timesteps, rule=lambda m, s, t: m.curtailed_mw[s, t] <= m.campus_mw[s]
    )
    hours = d.hours_per_year
    if d.operational_check:
        m.curtail_excess_mwh = pyo.Var(m.campus_sites, domain=pyo.NonNegativeReals)

    def budget(m, s):
        used = sum(d.weight_h[t] * m.curtailed_mw[s, t] for t in d.timesteps)
        allowed = d.curtailment_budget_frac * hours * m.campus_mw[s]
        if d.operational_check:
            allowed += m.curtail_excess_mwh[s]
        return used <= allowed

    m.power_curtail_budget = pyo.Constraint(m.campus_sites, rule=budget)

    def capacity(m, s):
        n = m.campus_count[s] if s in group else 1
        return d.interconnect_mw[s] * n + m.interconnect_upgrade_mw[s]

    m.power_interconnect_limit = pyo.Constraint(
        m.hourly_sites,
        m.timesteps,
        rule=lambda m, s, t: m.grid_import_mw[s, t] <= capacity(m, s),
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
