"""Site power: hourly balance with PUE, firm inference, curtailable training, interconnect.

Sets: sites S, campus sites S_c, storage sites S_b, time steps T (weights ``weight_h[t]``).

Variables
    ``grid_import_mw[s, t] >= 0``: power drawn from the grid;
    ``curtailed_mw[s, t] >= 0``, s in S_c: training IT MW paused in step t;
    ``interconnect_upgrade_mw[s]`` in [0, interconnect_upgrade_max_mw[s]].

Training IT load is ``campus_mw[s] - curtailed_mw[s, t]``; inference IT load is
``inference_profile[t] * edge_served_mw[s]`` and is never curtailed (firm).

Constraints
    ``power_balance[s, t]``:
        grid_import_mw + discharge_mw - charge_mw
            = pue[s] * (inference_profile[t] * edge_served_mw[s] + campus_mw[s] - curtailed_mw[s, t])
    ``power_curtail_cap[s, t]``:  curtailed_mw[s, t] <= campus_mw[s]
    ``power_curtail_budget[s]``:
        sum_t weight_h[t] * curtailed_mw[s, t] <= budget * (sum_t weight_h[t]) * campus_mw[s]
    ``power_interconnect_limit[s, t]``:
        grid_import_mw[s, t] <= interconnect_mw[s] + interconnect_upgrade_mw[s]
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.model.sets import ModelData


def add_power(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Add grid import, curtailment, interconnect upgrades and the site power balance to ``m``."""
    campus, edge, storage = set(d.campus_sites), set(d.edge_sites), set(d.storage_sites)
    m.grid_import_mw = pyo.Var(m.sites, m.timesteps, domain=pyo.NonNegativeReals)
    m.curtailed_mw = pyo.Var(m.campus_sites, m.timesteps, domain=pyo.NonNegativeReals)
    m.interconnect_upgrade_mw = pyo.Var(
        m.sites,
        domain=pyo.NonNegativeReals,
        bounds=lambda _, s: (0, d.interconnect_upgrade_max_mw[s]),
    )

    def balance(m, s, t):
        it_load = 0
        if s in edge:
            it_load += d.inference_profile[t] * m.edge_served_mw[s]
        if s in campus:
            it_load += m.campus_mw[s] - m.curtailed_mw[s, t]
        supply = m.grid_import_mw[s, t]
        if s in storage:
            supply += m.discharge_mw[s, t] - m.charge_mw[s, t]
        return supply == d.pue[s] * it_load

    m.power_balance = pyo.Constraint(m.sites, m.timesteps, rule=balance)
    m.power_curtail_cap = pyo.Constraint(
        m.campus_sites, m.timesteps, rule=lambda m, s, t: m.curtailed_mw[s, t] <= m.campus_mw[s]
    )
    hours = d.hours_per_year
    m.power_curtail_budget = pyo.Constraint(
        m.campus_sites,
        rule=lambda m, s: (
            sum(d.weight_h[t] * m.curtailed_mw[s, t] for t in d.timesteps)
            <= d.curtailment_budget_frac * hours * m.campus_mw[s]
        ),
    )
    m.power_interconnect_limit = pyo.Constraint(
        m.sites,
        m.timesteps,
        rule=lambda m, s, t: (
            m.grid_import_mw[s, t] <= d.interconnect_mw[s] + m.interconnect_upgrade_mw[s]
        ),
    )
