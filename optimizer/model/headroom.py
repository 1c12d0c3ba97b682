"""Regional grid limit: stranded headroom plus procured firm capacity.

Sets: regions R with their sites, time steps T.

Variable
    ``firm_capacity_mw[r] >= 0``: firm capacity procured in region r (paid per MW-year).

Constraint
    ``headroom_limit[r, t]``: sum_{s in r} grid_import_mw[s, t]
                              <= headroom_share[r] * headroom_mw[r, t] + firm_capacity_mw[r]
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.model.sets import ModelData


def add_headroom(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Add firm capacity and the per-region, per-step headroom limit to ``m``."""
    m.firm_capacity_mw = pyo.Var(m.regions, domain=pyo.NonNegativeReals)
    used = [r for r in d.regions if d.sites_in_region[r]]
    m.headroom_limit = pyo.Constraint(
        used,
        m.timesteps,
        rule=lambda m, r, t: (
            sum(m.grid_import_mw[s, t] for s in d.sites_in_region[r])
            <= d.headroom_share[r] * d.headroom_mw[r, t] + m.firm_capacity_mw[r]
        ),
    )
