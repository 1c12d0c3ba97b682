"""How a constraint family declares its parts, so that other code asks instead of spelling names.

Each family module (``siting``, ``demand``, ...) declares one frozen dataclass, a subclass of
:class:`Family`, whose fields are the Pyomo components it adds, each tagged with its role:

- :func:`decision`: a variable; ``hourly`` when indexed by time step (last index), else a
  static (build) decision made once for the plan: the full-year check fixes these;
- :func:`slack`: a penalised variable that only the full-year check model has (``None`` in the
  planning model);
- :func:`expression`: a quantity derived from decisions that others read (campus MW per site,
  cost per site and term);
- :func:`row`: a constraint; ``limit`` when it states a limit the user sets (infeasibility
  explanation relaxes these), ``planning_only`` when it holds on build decisions alone (a fixed
  plan keeps it, so the full-year check drops it), ``hourly`` when indexed by time step;
- :func:`objective`: the objective.

The field name is the component's name on the model (``{family}_{what}`` for rows, DESIGN.md);
:meth:`Family.bind` looks each one up once, right after the build, and a declared part the model
lacks is a :class:`ModelPartsError`, never skipped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import pyomo.environ as pyo

_ROLE = "role"


class ModelPartsError(RuntimeError):
    """A family declares a part that the built model lacks (or has as another kind): a bug."""


@dataclass(frozen=True)
class Role:
    """What a declared part is, and how the full-year check and explanations treat it."""

    kind: str  # "decision", "slack", "expression", "row" or "objective"
    hourly: bool = False
    limit: bool = False
    planning_only: bool = False


_CTYPE = {
    "decision": pyo.Var,
    "slack": pyo.Var,
    "expression": pyo.Expression,
    "row": pyo.Constraint,
    "objective": pyo.Objective,
}


def _part(role: Role) -> Any:
    return dataclasses.field(metadata={_ROLE: role})


def decision(*, hourly: bool = False) -> Any:
    """A decision variable: static (a build decision) unless ``hourly``."""
    return _part(Role("decision", hourly=hourly))


def slack(*, hourly: bool = False) -> Any:
    """A penalised slack that only the full-year check model has."""
    return _part(Role("slack", hourly=hourly))


def expression(*, hourly: bool = False) -> Any:
    """A named expression other code reads."""
    return _part(Role("expression", hourly=hourly))


def row(*, hourly: bool = False, limit: bool = False, planning_only: bool = False) -> Any:
    """A constraint: a user's ``limit``, ``planning_only`` (on build decisions alone), ``hourly``."""
    return _part(Role("row", hourly=hourly, limit=limit, planning_only=planning_only))


def objective() -> Any:
    """The objective."""
    return _part(Role("objective"))


@dataclass(frozen=True)
class Family:
    """Base of a family's declaration: subclasses set ``name`` and declare fields with roles."""

    name: ClassVar[str]

    @classmethod
    def bind(cls, model: pyo.ConcreteModel, operational_check: bool) -> Self:
        """The family's components on ``model`` (slacks only on the full-year check model)."""
        found = {}
        for f in dataclasses.fields(cls):
            role: Role = f.metadata[_ROLE]
            component = model.component(f.name)
            if role.kind == "slack" and not operational_check:
                if component is not None:
                    raise ModelPartsError(
                        f"{cls.name} family: slack {f.name} is on the planning model"
                    )
                found[f.name] = None
                continue
            if component is None:
                raise ModelPartsError(
                    f"{cls.name} family declares {role.kind} {f.name}, "
                    f"but model {model.name!r} has no component of that name"
                )
            if component.ctype is not _CTYPE[role.kind]:
                raise ModelPartsError(
                    f"{cls.name} family declares {f.name} as a {role.kind}, but the model's "
                    f"{f.name} is a {component.ctype.__name__}"
                )
            found[f.name] = component
        return cls(**found)

    def parts(self) -> Iterator[tuple[Role, Any]]:
        """Each declared role with its component (``None`` for a slack of the planning model)."""
        for f in dataclasses.fields(self):
            yield f.metadata[_ROLE], getattr(self, f.name)
