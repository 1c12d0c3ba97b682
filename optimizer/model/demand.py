"""Inference demand: metros served over admissible site-metro pairs, or unserved at a penalty.

Sets: metros M, each in an inference profile zone z(m); admissible pairs A (round-trip latency
within the metro's limit); edge sites S_e; site-zone pairs (s, z) reached by A.

Variables
    ``served_mw[s, m] >= 0``, (s, m) in A: peak inference IT MW of metro m served at site s;
    ``unserved_mw[m] >= 0``: peak inference IT MW of metro m not served.

Expression
    ``edge_served_mw[s, z] = sum_{m in z: (s, m) in A} served_mw[s, m]``; the inference IT load at
    site s in step t is ``sum_z inference_profile[z, t] * edge_served_mw[s, z]``.

Constraints
    ``demand_balance[m]``:   sum_{s: (s, m) in A} served_mw[s, m] + unserved_mw[m] = inference_demand_mw[m]
    ``demand_module_cap[s, t]``, (s, t) in P:
        sum_z inference_profile[z, t] * edge_served_mw[s, z] <= module_mw * edge_modules[s]
    Modules cover the coincident load of what the site serves, step by step, not the sum of the
    served metros' peaks (metros in other time zones peak at other hours). P holds, for each
    edge site, only the steps whose vector of zone profiles no other step dominates
    (:func:`peak_steps`): at a dominated step every term is at most the dominating step's, so
    its row cannot bind and leaving it out is exact. A site serving one zone has one such step,
    the zone's peak step.

Parts (:class:`DemandParts`): both variables are static decisions and both rows bind them alone;
the module cap is indexed by step (hourly). Both rows are planning-only: the US builder's profiles
are daily shapes, so the representative days hold every hour's profile vector. The rows need only the sets and ``edge_modules``
(``siting.add_edge_modules``), so the heuristic's edge model is built from this family too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from optimizer.model.parts import Family, decision, expression, row
from optimizer.model.sets import ModelData


@dataclass(frozen=True)
class DemandParts(Family):
    """The demand family's parts (see the module docstring)."""

    name = "demand"
    served_mw: pyo.Var = decision()
    unserved_mw: pyo.Var = decision()
    edge_served_mw: pyo.Expression = expression()
    demand_balance: pyo.Constraint = row(planning_only=True)
    demand_module_cap: pyo.Constraint = row(hourly=True, planning_only=True)


def zones_of_sites(d: ModelData) -> dict[str, list[str]]:
    """The inference zones each edge site serves (through its admissible pairs)."""
    zones: dict[str, list[str]] = {s: [] for s in d.edge_sites}
    for s, z in d.site_zones:
        zones[s].append(z)
    return zones


def undominated_steps(d: ModelData, zones: list[str]) -> list[str]:
    """Steps whose vector of zone profiles no other step's dominates (of equal vectors, the
    first). Equal vectors are merged first, so a year of daily shapes costs no more than a day."""
    if not zones:
        return d.timesteps[:1]
    p = np.array([[d.inference_profile[z, t] for z in zones] for t in d.timesteps])
    vectors, first = np.unique(p, axis=0, return_index=True)
    ge = (vectors[:, None, :] >= vectors[None, :, :]).all(axis=2)  # ge[a, b]: a >= b everywhere
    dominated = (ge & ~np.eye(len(vectors), dtype=bool)).any(axis=0)  # distinct, so a > b
    keep = sorted(first[~dominated])
    return [d.timesteps[i] for i in keep]


def peak_steps(d: ModelData, sites: list[str]) -> list[tuple[str, str]]:
    """(site, step) pairs where the coincident inference load of each site can peak: the
    undominated steps of the zones it serves (computed once per set of zones)."""
    zones = zones_of_sites(d)
    steps_of: dict[tuple[str, ...], list[str]] = {}
    pairs = []
    for s in sites:
        key = tuple(zones[s])
        if key not in steps_of:
            steps_of[key] = undominated_steps(d, zones[s])
        pairs.extend((s, t) for t in steps_of[key])
    return pairs


def add_demand(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Add the serve and unserved variables, demand balance and module capacity to ``m``."""
    m.served_mw = pyo.Var(
        m.pairs, domain=pyo.NonNegativeReals, bounds=lambda _, s, mm: (0, d.inference_demand_mw[mm])
    )
    m.unserved_mw = pyo.Var(
        m.metros, domain=pyo.NonNegativeReals, bounds=lambda _, mm: (0, d.inference_demand_mw[mm])
    )
    metros_of: dict[tuple[str, str], list[str]] = {sz: [] for sz in d.site_zones}
    for s, mm in d.pairs:
        metros_of[s, d.metro_zone[mm]].append(mm)
    m.edge_served_mw = pyo.Expression(
        m.site_zones, rule=lambda m, s, z: sum(m.served_mw[s, mm] for mm in metros_of[s, z])
    )
    m.demand_balance = pyo.Constraint(
        m.metros,
        rule=lambda m, mm: (
            sum(m.served_mw[s, mm] for s in d.pairs_of_metro[mm]) + m.unserved_mw[mm]
            == d.inference_demand_mw[mm]
        ),
    )
    zones = zones_of_sites(d)
    m.demand_module_cap = pyo.Constraint(
        peak_steps(d, [s for s in d.edge_sites if d.pairs_of_site[s]]),
        rule=lambda m, s, t: (
            sum(d.inference_profile[z, t] * m.edge_served_mw[s, z] for z in zones[s])
            <= d.module_mw * m.edge_modules[s]
        ),
    )
