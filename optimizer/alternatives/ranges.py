"""Ranges of campus MW over the near-optimal plans, per BA and per large site, and verdicts.

For an entity e (a BA: the campus sites of its region; or one site) and the plans P within the
slack, ``least(e) = min_{x in P} campus_mw_e(x)`` and ``most(e) = max_{x in P} campus_mw_e(x)``.
Every plan any solve finds is a *witness*: it is within the slack, so it narrows every range at
once (``least`` can only go down, ``most`` only up, each attained by a real plan). The solves add
*bounds*: HiGHS' lower bound when minimising e, its upper bound when maximising. The run's plan is
the first witness, so an entity it leaves empty has least 0 without a solve, and a minimisation
is skipped whenever some witness already gives 0.

Campus MW is a sum of blocks, so it moves in steps of the blocks' GCD ``g``: a bound within
``g`` of the value found proves that value exact.

Verdicts (``verdict``, with ``verdict_proven``):

* ``essential``: every near-optimal plan builds there (least > 0). Proven when the lower bound
  is above 0; a least above 0 whose bound is 0 (time limit) is ``essential`` not proven.
* ``interchangeable``: some near-optimal plans build there and some do not (least = 0 < most);
  always proven, by the two witnesses.
* ``avoidable``: no near-optimal plan builds there (most = 0). Proven when the upper bound is
  below ``g``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from optimizer.alternatives.problem import ZERO_MW, Found

VERDICTS = ("essential", "interchangeable", "avoidable")


@dataclass(frozen=True)
class Entity:
    """A BA or a site whose campus MW is ranged."""

    kind: str
    """``ba`` or ``site``"""
    name: str
    ba: str
    sites: tuple[str, ...]
    optimal_mw: float

    @property
    def key(self) -> str:
        """``ba:NAME`` or ``site:NAME``."""
        return f"{self.kind}:{self.name}"

    def value_mw(self, campus_mw: dict[str, float]) -> float:
        """Campus MW of a plan (site -> MW) at this entity."""
        return float(sum(campus_mw.get(s, 0.0) for s in self.sites))


def entities(sites: pd.DataFrame, top_sites: int = 10) -> list[Entity]:
    """Every region with a campus candidate (sorted), then the ``top_sites`` sites with the most
    campus MW in the run (ties by name), from a run's ``sites.csv``."""
    campus = sites[sites["campus_allowed"].astype(bool)] if "campus_allowed" in sites else sites
    out = []
    for region, group in campus.groupby("region", sort=True):
        names = tuple(group["site"])
        out.append(Entity("ba", str(region), str(region), names, float(group["campus_mw"].sum())))
    built = campus[campus["campus_mw"] > ZERO_MW].sort_values(
        ["campus_mw", "site"], ascending=[False, True]
    )
    for row in built.head(top_sites).to_dict("records"):
        out.append(Entity("site", row["site"], row["region"], (row["site"],), row["campus_mw"]))
    return out


@dataclass
class Range:
    """What is known of one entity's range."""

    entity: Entity
    least_mw: float
    most_mw: float
    least_bound_mw: float = 0.0
    most_bound_mw: float | None = None
    solves: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Ranges:
    """The ranges of every entity, narrowed by witnesses and bounds (module docstring)."""

    def __init__(self, items: list[Entity], plan_campus_mw: dict[str, float]) -> None:
        self.ranges = {
            e.key: Range(e, e.value_mw(plan_campus_mw), e.value_mw(plan_campus_mw)) for e in items
        }
        self.granularity_mw: float | None = None
        self.witnesses = 1

    def add_plan(self, campus_mw: dict[str, float]) -> None:
        """A plan within the slack (site -> campus MW): narrow every range."""
        self.witnesses += 1
        for r in self.ranges.values():
            value = r.entity.value_mw(campus_mw)
            r.least_mw = min(r.least_mw, value)
            r.most_mw = max(r.most_mw, value)

    def add_found(self, key: str, maximise: bool, found: Found) -> None:
        """The outcome of minimising (or maximising) entity ``key``."""
        self.add_plan(found.campus_mw)
        r = self.ranges[key]
        r.solves.append(f"{'max' if maximise else 'min'}: {found.status}")
        r.seconds += found.seconds
        if found.bound_mw is None:
            return
        if maximise:
            r.most_bound_mw = (
                found.bound_mw if r.most_bound_mw is None else min(r.most_bound_mw, found.bound_mw)
            )
        else:
            r.least_bound_mw = max(r.least_bound_mw, found.bound_mw)

    def needs_min(self, key: str) -> bool:
        """Whether minimising ``key`` could tell more (no witness gives it 0 yet)."""
        return self.ranges[key].least_mw > ZERO_MW

    def table(self) -> pd.DataFrame:
        """``ranges.csv``: one row per entity with its range, bounds, status and verdict."""
        g = self.granularity_mw or 0.0
        rows = []
        for r in self.ranges.values():
            least_exact = r.least_mw <= ZERO_MW or r.least_mw - r.least_bound_mw < g - ZERO_MW
            most_exact = r.most_bound_mw is not None and r.most_bound_mw - r.most_mw < g - ZERO_MW
            if r.least_mw > ZERO_MW:
                verdict, proven = "essential", r.least_bound_mw > ZERO_MW
            elif r.most_mw > ZERO_MW:
                verdict, proven = "interchangeable", True
            else:
                verdict = "avoidable"
                proven = r.most_bound_mw is not None and r.most_bound_mw < g - ZERO_MW
            rows.append(
                {
                    "kind": r.entity.kind,
                    "name": r.entity.name,
                    "ba": r.entity.ba,
                    "optimal_campus_mw": r.entity.optimal_mw,
                    "least_campus_mw": r.least_mw,
                    "most_campus_mw": r.most_mw,
                    "least_bound_mw": r.least_bound_mw,
                    "most_bound_mw": r.most_bound_mw,
                    "status": "exact" if least_exact and most_exact else "bounds open",
                    "verdict": verdict,
                    "verdict_proven": proven,
                    "solves": "; ".join(r.solves) or "none (known from the plans found)",
                    "solve_seconds": r.seconds,
                }
            )
        return pd.DataFrame(rows)
