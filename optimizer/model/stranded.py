"""Grid limit per node: stranded power plus procured firm capacity, and transport between zones.

Sets: grid nodes N with their sites (``sites_in_node[n]``) and pools; time steps T; interfaces I
between nodes (``interface_from[i]`` to ``interface_to[i]``). Under
``grid.deliverability: ba`` the nodes are the regions and there is no interface: a copper plate
per region, as in the Duke headroom method (a MW of a BA's stranded power feeds a site anywhere
in the BA, and nowhere else). Under ``zonal`` the nodes are grid zones (ReEDS zones in the US
scenario) and stranded power moves between them over interfaces (a transport model).

Parameters
    ``available_mw[n, t] = sum_r supply_matrix[n, r] * stranded_mw[r, t]``: the stranded power
    open to node n (ba: ``stranded_share_pct[r] / 100 * stranded_mw[r, t]`` of its region;
    zonal: each region's open share apportioned to its zones by ``stranded_apportion_pct``);
    ``interface_forward_mw[i]``, ``interface_reverse_mw[i]``: what new load may move over the
    interface each way (``grid.interface_share_pct`` of the transfer limits).

Variables
    ``firm_capacity_mw[n] >= 0``: firm capacity procured at node n (paid per MW-year at the
    price of the node's region ``node_region[n]``);
    ``flow_mw[i, t]`` in [-interface_reverse_mw[i], interface_forward_mw[i]]: power moved from
    ``interface_from[i]`` to ``interface_to[i]`` in step t (negative: the other way). Losses are
    not modelled: the data give no distance or loss figure per interface, and the allowed share
    is the coarser assumption.

Constraint
    ``stranded_limit[n, t]``, nodes with a site or an interface:
        sum_{s in n, not pooled} grid import (s, t) + sum_{p at n} pool_grid_import_mw[p, t]
        + sum_{i from n} flow_mw[i, t] - sum_{i to n} flow_mw[i, t]
        <= available_mw[n, t] + firm_capacity_mw[n]

The dual of ``stranded_limit[n, t]`` (``lambda[n, t] <= 0``; ``-lambda`` is the value of one more
MW at n in step t, weights included) prices the node; a flow between the bounds has zero reduced
cost, so ``lambda`` is equal at both ends of an interface that does not bind, and the value of one
more MW allowed on interface i over the year is ``sum_t |lambda[from(i), t] - lambda[to(i), t]|``,
the difference of the nodes' marginal costs in the steps where it binds.

Full-year check (``operational_check``): load the fixed plan cannot get from the grid in a step
is ``shortfall_mw[n, t] >= 0`` on the left-hand side of a node with a site, paid at the
unserved penalty.

Parts (:class:`StrandedParts`): firm capacity is a static decision, the flows hourly decisions;
the limit is an hourly row and a limit a user sets (through the stranded share); the shortfall is
the check's slack.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.environ as pyo

from optimizer.model.parts import Family, decision, row, slack
from optimizer.model.power import grid_import
from optimizer.model.sets import ModelData


@dataclass(frozen=True)
class StrandedParts(Family):
    """The stranded family's parts (see the module docstring)."""

    name = "stranded"
    firm_capacity_mw: pyo.Var = decision()
    flow_mw: pyo.Var = decision(hourly=True)
    shortfall_mw: pyo.Var | None = slack(hourly=True)
    stranded_limit: pyo.Constraint = row(hourly=True, limit=True)


def limited_nodes(d: ModelData) -> list[str]:
    """The nodes with a ``stranded_limit`` row: those with a site or an interface."""
    linked = set(d.interface_from.values()) | set(d.interface_to.values())
    return [n for n in d.nodes if d.sites_in_node[n] or n in linked]


def add_stranded(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Add firm capacity, the flows and the per-node, per-step stranded limit to ``m``."""
    m.firm_capacity_mw = pyo.Var(m.nodes, domain=pyo.NonNegativeReals)
    m.flow_mw = pyo.Var(
        m.interfaces,
        m.timesteps,
        bounds=lambda _, i, t: (-d.interface_reverse_mw[i], d.interface_forward_mw[i]),
    )
    used = limited_nodes(d)
    own = {n: [s for s in d.sites_in_node[n] if s not in d.pool_of] for n in d.nodes}
    pools_at: dict[str, list[str]] = {n: [] for n in d.nodes}
    for p in d.pools:
        pools_at[d.pool_node[p]].append(p)
    out_of: dict[str, list[str]] = {n: [] for n in d.nodes}
    into: dict[str, list[str]] = {n: [] for n in d.nodes}
    for i in d.interfaces:
        out_of[d.interface_from[i]].append(i)
        into[d.interface_to[i]].append(i)
    short = [n for n in used if d.sites_in_node[n]]
    if d.operational_check:
        m.shortfall_mw = pyo.Var(short, m.timesteps, domain=pyo.NonNegativeReals)

    def limit(m, n, t):
        drawn = (
            sum(grid_import(m, s, t) for s in own[n])
            + sum(m.pool_grid_import_mw[p, t] for p in pools_at[n])
            + sum(m.flow_mw[i, t] for i in out_of[n])
            - sum(m.flow_mw[i, t] for i in into[n])
        )
        if d.operational_check and d.sites_in_node[n]:
            drawn -= m.shortfall_mw[n, t]
        return drawn <= d.node_available_mw(n, t) + m.firm_capacity_mw[n]

    m.stranded_limit = pyo.Constraint(used, m.timesteps, rule=limit)
