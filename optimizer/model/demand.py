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
    ``demand_module_cap[s]``: sum_z edge_served_mw[s, z] <= module_mw * edge_modules[s]
                             (modules sized for the sum of the served metros' peaks)

Parts (:class:`DemandParts`): both variables are static decisions and both rows bind them alone
(planning-only). The rows need only the sets and ``edge_modules`` (``siting.add_edge_modules``),
so the heuristic's edge model is built from this family too.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    demand_module_cap: pyo.Constraint = row(planning_only=True)


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
    m.demand_module_cap = pyo.Constraint(
        [s for s in d.edge_sites if d.pairs_of_site[s]],
        rule=lambda m, s: (
            sum(m.served_mw[s, mm] for mm in d.pairs_of_site[s]) <= d.module_mw * m.edge_modules[s]
        ),
    )
