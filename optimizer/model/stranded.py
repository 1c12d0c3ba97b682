"""Regional grid limit: stranded power plus procured firm capacity.

Sets: regions R with their sites, time steps T.

Variable
    ``firm_capacity_mw[r] >= 0``: firm capacity procured in region r (paid per MW-year).

Constraint
    ``stranded_limit[r, t]``: sum_{s in r, not pooled} grid import (s, t)
                              + sum_{p in r} pool_grid_import_mw[p, t]
                              <= stranded_share_pct[r] / 100 * stranded_mw[r, t]
                                 + firm_capacity_mw[r]

Full-year check (``operational_check``): load the fixed plan cannot get from the grid in a step
is ``shortfall_mw[r, t] >= 0`` on the left-hand side, paid at the unserved penalty.

Parts (:class:`StrandedParts`): firm capacity is a static decision; the limit is an hourly row
and a limit a user sets (through the stranded share); the shortfall is the check's slack.
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
    shortfall_mw: pyo.Var | None = slack(hourly=True)
    stranded_limit: pyo.Constraint = row(hourly=True, limit=True)


def add_stranded(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Add firm capacity and the per-region, per-step stranded limit to ``m``."""
    m.firm_capacity_mw = pyo.Var(m.regions, domain=pyo.NonNegativeReals)
    used = [r for r in d.regions if d.sites_in_region[r]]
    own = {r: [s for s in d.sites_in_region[r] if s not in d.pool_of] for r in d.regions}
    pools_in_region: dict[str, list[str]] = {r: [] for r in d.regions}
    for p in d.pools:
        pools_in_region[d.pool_region[p]].append(p)
    if d.operational_check:
        m.shortfall_mw = pyo.Var(used, m.timesteps, domain=pyo.NonNegativeReals)

    def limit(m, r, t):
        drawn = sum(grid_import(m, s, t) for s in own[r]) + sum(
            m.pool_grid_import_mw[p, t] for p in pools_in_region[r]
        )
        if d.operational_check:
            drawn -= m.shortfall_mw[r, t]
        available = d.stranded_share_pct[r] / 100 * d.stranded_mw[r, t]
        return drawn <= available + m.firm_capacity_mw[r]

    m.stranded_limit = pyo.Constraint(used, m.timesteps, rule=limit)
