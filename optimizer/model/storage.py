"""Storage at a site: energy (MWh) and power (MW) sized separately, cyclic in each period.

Sets: storage sites S_b, time steps T grouped in periods; ``prev_timestep[t]`` is the step
before t in its period, the last step for the first (cyclic).

Variables (all >= 0)
    ``storage_energy_mwh[s]``, ``storage_power_mw[s]``; per step ``charge_mw[s, t]``,
    ``discharge_mw[s, t]``, ``soc_mwh[s, t]`` (state of charge at the end of step t).

Constraints
    ``storage_soc[s, t]``: soc_mwh[s, t] = soc_mwh[s, prev(t)]
                           + duration_h[t] * (eta_c * charge_mw[s, t] - discharge_mw[s, t] / eta_d)
    ``storage_charge_cap[s, t]``:    charge_mw[s, t] <= storage_power_mw[s]
    ``storage_discharge_cap[s, t]``: discharge_mw[s, t] <= storage_power_mw[s]
    ``storage_energy_cap[s, t]``:    soc_mwh[s, t] <= storage_energy_mwh[s]
Optional bound ``storage_energy_mwh[s] <= count[s] * max_energy_mwh_per_site`` (a group row's
storage is the total of its sites).

Parts (:class:`StorageParts`): energy and power are static decisions, charge, discharge and state
of charge hourly ones; all four rows are hourly.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.environ as pyo

from optimizer.model.parts import Family, decision, row
from optimizer.model.sets import ModelData


@dataclass(frozen=True)
class StorageParts(Family):
    """The storage family's parts (see the module docstring)."""

    name = "storage"
    storage_energy_mwh: pyo.Var = decision()
    storage_power_mw: pyo.Var = decision()
    charge_mw: pyo.Var = decision(hourly=True)
    discharge_mw: pyo.Var = decision(hourly=True)
    soc_mwh: pyo.Var = decision(hourly=True)
    storage_soc: pyo.Constraint = row(hourly=True)
    storage_charge_cap: pyo.Constraint = row(hourly=True)
    storage_discharge_cap: pyo.Constraint = row(hourly=True)
    storage_energy_cap: pyo.Constraint = row(hourly=True)


def add_storage(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Add storage sizing, charge, discharge and state of charge to ``m``."""
    cap = d.max_energy_mwh_per_site
    m.storage_energy_mwh = pyo.Var(
        m.storage_sites,
        domain=pyo.NonNegativeReals,
        bounds=lambda _, s: (0, None if cap is None else cap * d.count[s]),
    )
    m.storage_power_mw = pyo.Var(m.storage_sites, domain=pyo.NonNegativeReals)
    m.charge_mw = pyo.Var(m.storage_sites, m.timesteps, domain=pyo.NonNegativeReals)
    m.discharge_mw = pyo.Var(m.storage_sites, m.timesteps, domain=pyo.NonNegativeReals)
    m.soc_mwh = pyo.Var(m.storage_sites, m.timesteps, domain=pyo.NonNegativeReals)
    eta_c, eta_d = d.charge_efficiency_pct / 100, d.discharge_efficiency_pct / 100
    m.storage_soc = pyo.Constraint(
        m.storage_sites,
        m.timesteps,
        rule=lambda m, s, t: (
            m.soc_mwh[s, t]
            == m.soc_mwh[s, d.prev_timestep[t]]
            + d.duration_h[t] * (eta_c * m.charge_mw[s, t] - m.discharge_mw[s, t] / eta_d)
        ),
    )
    m.storage_charge_cap = pyo.Constraint(
        m.storage_sites,
        m.timesteps,
        rule=lambda m, s, t: m.charge_mw[s, t] <= m.storage_power_mw[s],
    )
    m.storage_discharge_cap = pyo.Constraint(
        m.storage_sites,
        m.timesteps,
        rule=lambda m, s, t: m.discharge_mw[s, t] <= m.storage_power_mw[s],
    )
    m.storage_energy_cap = pyo.Constraint(
        m.storage_sites,
        m.timesteps,
        rule=lambda m, s, t: m.soc_mwh[s, t] <= m.storage_energy_mwh[s],
    )
