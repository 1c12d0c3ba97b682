"""Regional grid limit: stranded headroom plus procured firm capacity.

Sets: regions R with their sites, time steps T.

Variable
    ``firm_capacity_mw[r] >= 0``: firm capacity procured in region r (paid per MW-year).

Constraint
    ``headroom_limit[r, t]``: sum_{s in r} grid import (s, t)
                              <= headroom_share[r] * headroom_mw[r, t] + firm_capacity_mw[r]

Full-year check (``operational_check``): load the fixed plan cannot get from the grid in a step
is ``shortfall_mw[r, t] >= 0`` on the left-hand side, paid at the unserved penalty.

Parts (:class:`HeadroomParts`): firm capacity is a static decision; the limit is an hourly row
and a limit a user sets (through the headroom share); the shortfall is the check's slack.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.environ as pyo

from optimizer.model.parts import Family, decision, row, slack
from optimizer.model.power import grid_import
from optimizer.model.sets import ModelData


@dataclass(frozen=True)
class HeadroomParts(Family):
    """The headroom family's parts (see the module docstring)."""

    name = "headroom"
    firm_capacity_mw: pyo.Var = decision()
    shortfall_mw: pyo.Var | None = slack(hourly=True)
    headroom_limit: pyo.Constraint = row(hourly=True, limit=True)


def add_headroom(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Add firm capacity and the per-region, per-step headroom limit to ``m``."""
    m.firm_capacity_mw = pyo.Var(m.regions, domain=pyo.NonNegativeReals)
    used = [r for r in d.regions if d.sites_in_region[r]]
    if d.operational_check:
        m.shortfall_mw = pyo.Var(used, m.timesteps, domain=pyo.NonNegativeReals)

    def limit(m, r, t):
        drawn = sum(grid_import(m, s, t) for s in d.sites_in_region[r])
        if d.operational_check:
            drawn -= m.shortfall_mw[r, t]
        return drawn <= d.headroom_share[r] * d.headroom_mw[r, t] + m.firm_capacity_mw[r]

    m.headroom_limit = pyo.Constraint(used, m.timesteps, rule=limit)
