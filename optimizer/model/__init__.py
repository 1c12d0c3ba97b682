"""The siting model: ``build_model(scenario)`` returns a Pyomo model and its data.

Modules, in build order, each documenting its math:

- ``sets``: sets and parameters as plain Python data, and the Pyomo index sets;
- ``siting``: campus blocks, edge modules, training target, site cap;
- ``demand``: metro inference over admissible site-metro pairs;
- ``storage``: sizing and state of charge (the power balance uses it, so it comes first);
- ``power``: site power balance, curtailment budget, interconnect;
- ``stranded``: regional stranded power plus firm capacity;
- ``objective``: annualized cost terms.

Each family module declares its parts (:mod:`.parts`): its decisions (static or hourly), the
limits a user sets, the rows only the planning model has, its expressions and cost terms.
``build_model`` returns them bound to the model as :class:`ModelParts`; other code asks it for
components (``parts.siting.campus_mw``, ``parts.static_decisions()``, ``parts.limits()``) and
never spells a component's name.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from optimizer.model.demand import DemandParts, add_demand
from optimizer.model.objective import ObjectiveParts, add_objective
from optimizer.model.parts import Family, ModelPartsError
from optimizer.model.power import PowerParts, add_power
from optimizer.model.sets import ModelData, add_sets, capital_recovery_factor, model_data
from optimizer.model.siting import SitingParts, add_siting
from optimizer.model.storage import StorageParts, add_storage
from optimizer.model.stranded import StrandedParts, add_stranded
from optimizer.scenario import Scenario


@dataclass(frozen=True)
class ModelParts:
    """Every family's declared parts on one built model: what other code asks the model for.

    ``parts.siting.campus_mw`` is campus MW per site, ``parts.objective.total_cost_usd`` the
    cost; the methods below select across families by role.
    """

    siting: SitingParts
    demand: DemandParts
    storage: StorageParts
    power: PowerParts
    stranded: StrandedParts
    objective: ObjectiveParts

    @classmethod
    def bind(cls, model: pyo.ConcreteModel, operational_check: bool) -> ModelParts:
        """Look up every declared part on ``model``; a missing one is a ModelPartsError."""
        check = operational_check
        return cls(
            siting=SitingParts.bind(model, check),
            demand=DemandParts.bind(model, check),
            storage=StorageParts.bind(model, check),
            power=PowerParts.bind(model, check),
            stranded=StrandedParts.bind(model, check),
            objective=ObjectiveParts.bind(model, check),
        )

    def families(self) -> tuple[Family, ...]:
        """The families in build order."""
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))

    def _select(self, kind: str, **flags: bool) -> list:
        return [
            component
            for family in self.families()
            for role, component in family.parts()
            if role.kind == kind and all(getattr(role, k) == v for k, v in flags.items())
        ]

    def static_decisions(self) -> list[pyo.Var]:
        """Build decisions, made once for the plan (a fixed plan fixes exactly these)."""
        return self._select("decision", hourly=False)

    def hourly_decisions(self) -> list[pyo.Var]:
        """Decisions per time step (operation)."""
        return self._select("decision", hourly=True)

    def limits(self) -> list[pyo.Constraint]:
        """Rows that state limits a user sets (relaxed to explain infeasibility)."""
        return self._select("row", limit=True)

    def planning_rows(self) -> list[pyo.Constraint]:
        """Rows on build decisions alone: only the planning model needs them."""
        return self._select("row", planning_only=True)

    def hourly_rows(self) -> list[pyo.Constraint]:
        """Rows per time step."""
        return self._select("row", hourly=True)


@dataclass
class BuiltModel:
    """A built Pyomo model, its declared parts, the data it came from and the build time."""

    model: pyo.ConcreteModel
    parts: ModelParts
    data: ModelData
    build_seconds: float


def build_model(
    scenario: Scenario, operational_check: bool = False, pool_sites: bool = True
) -> BuiltModel:
    """Build the siting MIP of a validated scenario (garbage collection paused while building).

    ``operational_check`` builds the full-year check variant (see ``sets.ModelData``);
    ``pool_sites=False`` gives each campus site its own hourly operation (see ``power``).
    """
    started = time.perf_counter()
    with PauseGC():
        data = model_data(scenario, operational_check, pool_sites)
        m = pyo.ConcreteModel(name=scenario.config.name)
        add_sets(m, data)
        add_siting(m, data)
        add_demand(m, data)
        add_storage(m, data)
        add_power(m, data)
        add_stranded(m, data)
        add_objective(m, data)
        parts = ModelParts.bind(m, operational_check)
    return BuiltModel(m, parts, data, time.perf_counter() - started)


__all__ = [
    "BuiltModel",
    "Family",
    "ModelData",
    "ModelParts",
    "ModelPartsError",
    "build_model",
    "capital_recovery_factor",
    "model_data",
]
