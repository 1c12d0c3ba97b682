"""The siting model: ``build_model(scenario)`` returns a Pyomo model and its data.

Modules, in build order, each documenting its math:

- ``sets``: sets and parameters as plain Python data, and the Pyomo index sets;
- ``siting``: campus blocks, edge modules, training target, site cap;
- ``demand``: metro inference over admissible site-metro pairs;
- ``storage``: sizing and state of charge (the power balance uses it, so it comes first);
- ``power``: site power balance, curtailment budget, interconnect;
- ``headroom``: regional stranded headroom plus firm capacity;
- ``objective``: annualized cost terms.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from optimizer.model.demand import add_demand
from optimizer.model.headroom import add_headroom
from optimizer.model.objective import COST_TERMS, add_objective
from optimizer.model.power import add_power
from optimizer.model.sets import ModelData, add_sets, capital_recovery_factor, model_data
from optimizer.model.siting import add_siting
from optimizer.model.storage import add_storage
from optimizer.scenario import Scenario

CONSTRAINT_FAMILIES = ("siting", "demand", "power", "storage", "headroom")
LIMIT_CONSTRAINTS = (
    "siting_training_target",
    "siting_site_cap",
    "power_curtail_budget",
    "power_interconnect_limit",
    "headroom_limit",
)
"""Constraints that state limits a user sets; relaxed one by one to explain infeasibility."""


@dataclass
class BuiltModel:
    """A built Pyomo model with the data it came from and how long the build took."""

    model: pyo.ConcreteModel
    data: ModelData
    build_seconds: float


def build_model(scenario: Scenario, operational_check: bool = False) -> BuiltModel:
    """Build the siting MIP of a validated scenario (garbage collection paused while building).

    ``operational_check`` builds the full-year check variant (see ``sets.ModelData``).
    """
    started = time.perf_counter()
    with PauseGC():
        data = model_data(scenario, operational_check)
        m = pyo.ConcreteModel(name=scenario.config.name)
        add_sets(m, data)
        add_siting(m, data)
        add_demand(m, data)
        add_storage(m, data)
        add_power(m, data)
        add_headroom(m, data)
        add_objective(m, data)
    return BuiltModel(m, data, time.perf_counter() - started)


__all__ = [
    "COST_TERMS",
    "CONSTRAINT_FAMILIES",
    "LIMIT_CONSTRAINTS",
    "BuiltModel",
    "ModelData",
    "build_model",
    "capital_recovery_factor",
    "model_data",
]
