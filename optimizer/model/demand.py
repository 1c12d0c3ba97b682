"""Inference demand: metros served over admissible site-metro pairs, or unserved at a penalty.

Sets: metros M, each in an inference profile zone z(m); admissible pairs A (round-trip latency
within the metro's limit); edge sites S_e; site-zone pairs (s, z) reached by A.

Variables
    ``serve_mw[s, m] >= 0``, (s, m) in A: peak inference IT MW of metro m served at site s;
    ``unserved_mw[m] >= 0``: peak inference IT MW of metro m not served.

Expression
    ``edge_served_mw[s, z] = sum_{m in z: (s, m) in A} serve_mw[s, m]``; the inference IT load at
    site s in step t is ``sum_z inference_profile[z, t] * edge_served_mw[s, z]``.

Constraints
    ``demand_balance[m]``:   sum_{s: (s, m) in A} serve_mw[s, m] + unserved_mw[m] = inference_demand_mw[m]
    ``demand_module_cap[s]``: sum_z edge_served_mw[s, z] <= module_mw * edge_modules[s]
                             (modules sized for the sum of the served metros' peaks)
    ``demand_module_rounding[c]``, for each connected component c of the admissible pairs (its
        sites serve only its metros) whose demand D_c is not a whole number of modules:
            sum_{s in c} edge_modules[s] + sum_{m in c} unserved_mw[m] / (module_mw * f_c)
                >= ceil(D_c / module_mw),      f_c = D_c / module_mw - floor(D_c / module_mw)
        the mixed-integer rounding of sum_s module_mw * edge_modules[s] >= D_c - sum_m unserved_mw[m]
        (implied by the two above). It cuts off fractional modules, so the LP relaxation bounds
        the integer optimum far more tightly; every integer solution satisfies it.
"""

from __future__ import annotations

import math

import networkx as nx
import pyomo.environ as pyo

from optimizer.model.sets import ModelData


def add_demand(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Add the serve and unserved variables, demand balance and module capacity to ``m``."""
    m.serve_mw = pyo.Var(
        m.pairs, domain=pyo.NonNegativeReals, bounds=lambda _, s, mm: (0, d.inference_demand_mw[mm])
    )
    m.unserved_mw = pyo.Var(
        m.metros, domain=pyo.NonNegativeReals, bounds=lambda _, mm: (0, d.inference_demand_mw[mm])
    )
    metros_of: dict[tuple[str, str], list[str]] = {sz: [] for sz in d.site_zones}
    for s, mm in d.pairs:
        metros_of[s, d.metro_zone[mm]].append(mm)
    m.edge_served_mw = pyo.Expression(
        m.site_zones, rule=lambda m, s, z: sum(m.serve_mw[s, mm] for mm in metros_of[s, z])
    )
    m.demand_balance = pyo.Constraint(
        m.metros,
        rule=lambda m, mm: (
            sum(m.serve_mw[s, mm] for s in d.pairs_of_metro[mm]) + m.unserved_mw[mm]
            == d.inference_demand_mw[mm]
        ),
    )
    m.demand_module_cap = pyo.Constraint(
        [s for s in d.edge_sites if d.pairs_of_site[s]],
        rule=lambda m, s: (
            sum(m.serve_mw[s, mm] for mm in d.pairs_of_site[s]) <= d.module_mw * m.edge_modules[s]
        ),
    )


def module_components(d: ModelData) -> list[tuple[list[str], list[str]]]:
    """Connected components (sites, metros) of the admissible site-metro pairs."""
    graph = nx.Graph()
    graph.add_nodes_from(("metro", mm) for mm in d.metros)
    graph.add_edges_from((("site", s), ("metro", mm)) for s, mm in d.pairs)
    out = []
    for nodes in nx.connected_components(graph):
        sites = [name for kind, name in nodes if kind == "site"]
        metros = [name for kind, name in nodes if kind == "metro"]
        if sites:
            out.append((sorted(sites, key=d.sites.index), sorted(metros, key=d.metros.index)))
    return out


def add_module_rounding(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Add the mixed-integer rounding cuts ``demand_module_rounding`` (see the docstring)."""
    cuts = []
    for sites, metros in module_components(d):
        modules = sum(d.inference_demand_mw[mm] for mm in metros) / d.module_mw
        frac = modules - math.floor(modules)
        if 1e-6 < frac < 1 - 1e-6:
            cuts.append((sites, metros, math.ceil(modules), frac))
    m.demand_module_rounding = pyo.Constraint(
        range(len(cuts)),
        rule=lambda m, i: (
            sum(m.edge_modules[s] for s in cuts[i][0])
            + sum(m.unserved_mw[mm] for mm in cuts[i][1]) / (d.module_mw * cuts[i][3])
            >= cuts[i][2]
        ),
    )
