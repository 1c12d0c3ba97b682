"""One near-optimal problem per worker: the model handed to HiGHS once, the cost row added
once, then only the objective changes from solve to solve.

With the plan's cost c'x + c0 (the model's objective, USD/yr) and the cost C* of the run's plan,
every near-optimal plan satisfies the *cost row*

    c'x + c0 <= (1 + slack) C* + tol,     tol = 1e-7 |C*|  (floating-point room, 3.6 kUSD/yr
                                                          on the default scenario)

besides every row of the model. Each task minimises (or maximises) a weighted campus MW
w'x over that feasible set: ``w[build_campus[s, k]] = block_mw[k]`` for the sites s of a BA, of
one site, or of the sites a Hop-Skip-Jump step avoids (:mod:`optimizer.alternatives.tasks`).
HiGHS gets the new costs (``changeColsCost``, offset 0) and the best known plan for them as its
starting solution (``setSolution``): the run's plan is feasible for every task, and so is every
plan found since (kept in a small pool). Campus MW takes values in multiples of the GCD ``g`` of
the block sizes, so an absolute gap below ``g`` proves the value found optimal; each solve is
also capped by a time limit, and both the value found (a real plan within the slack) and
HiGHS' bound are reported.

The run's plan is read back from its run folder (``sites.csv``: campuses, campus MW and edge
modules per site), its integers fixed, and the LP with them solved (:func:`plan_of_run`); its
cost must match the run's ``objective_usd``, else the rebuilt model is not the run's.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd

from optimizer.errors import InputError
from optimizer.model import BuiltModel
from optimizer.solve.highs import MatrixModel, SolverOptions, model_status, new_highs, solve_fixed

COST_ROW_TOL = 1e-7
"""Relative room on the cost row for floating-point error (module docstring)."""
POOL_SIZE = 24
"""Plans kept per worker as starting solutions."""
MATCH_TOL = 1e-4
"""Relative difference allowed between the run's cost and its plan's cost in the rebuilt model."""
ZERO_MW = 1e-3
"""Campus MW below this is zero (values and bounds)."""


@dataclass(frozen=True)
class Objective:
    """What one solve minimises or maximises: the campus MW of ``sites`` (a BA's, a site's, or
    the sites a Hop-Skip-Jump plan avoids)."""

    task: str
    """a unique name, e.g. ``ba:PJM:max``, ``site:s12:min``, ``plan:alt-1``"""
    sites: tuple[str, ...]
    maximise: bool = False


@dataclass
class Found:
    """The outcome of one solve."""

    task: str
    status: str
    """``optimal`` (proven within the block granularity), ``time_limit`` (value and bound as
    found when stopped) or ``start`` (no better plan than the starting one in the time limit)"""
    value_mw: float
    """the objective's campus MW in the best plan found (a real plan within the slack)"""
    bound_mw: float | None
    """HiGHS' bound on the objective: a lower bound when minimising, upper when maximising"""
    cost_usd: float
    """the plan's cost, c'x + c0"""
    campus_mw: dict[str, float]
    """the plan's campus MW per site (sites with none left out)"""
    seconds: float
    x: np.ndarray | None = field(default=None, repr=False)


def _fitting_blocks(built: BuiltModel, matrix: MatrixModel) -> dict[str, dict[int, int]]:
    """Column of ``build_campus[s, k]`` per campus site and block."""
    component = built.parts.siting.build_campus
    out: dict[str, dict[int, int]] = {}
    for i, var in enumerate(matrix.columns):
        if var.parent_component() is component:
            s, k = var.index()
            out.setdefault(s, {})[k] = i
    return out


def _blocks_for(mw: float, campuses: int, sizes: dict[int, float], site: str) -> dict[int, int]:
    """Blocks (block -> number) of ``campuses`` campuses summing to ``mw``."""
    if campuses == 0:
        return {}
    for combo in itertools.combinations_with_replacement(sorted(sizes), campuses):
        if abs(sum(sizes[k] for k in combo) - mw) <= 1e-6 * max(1.0, mw):
            return {k: combo.count(k) for k in set(combo)}
    raise InputError(
        f"sites.csv: site {site}: {campuses} campuses of {mw:g} MW fit no blocks of "
        f"{sorted(sizes.values())} MW; the run does not match its scenario"
    )


def plan_of_run(
    built: BuiltModel, matrix: MatrixModel, sites: pd.DataFrame, options: SolverOptions
) -> tuple[np.ndarray, float]:
    """The run's plan as a full column vector and its cost (USD/yr): the integers from its
    ``sites.csv``, the rest from the LP with them fixed."""
    d = built.data
    x = np.zeros(len(matrix.columns))
    columns = _fitting_blocks(built, matrix)
    table = sites.set_index("site")
    missing = sorted(set(d.sites) - set(table.index))
    if missing:
        raise InputError(f"sites.csv lacks site {missing[0]} of the rebuilt scenario")
    for s, blocks in columns.items():
        sizes = {k: d.block_mw[k] for k in blocks}
        mw, count = float(table.at[s, "campus_mw"]), int(table.at[s, "campuses"])
        for k, n in _blocks_for(mw, count, sizes, s).items():
            x[blocks[k]] = n
    modules = built.parts.siting.edge_modules
    for i, var in enumerate(matrix.columns):
        if var.parent_component() is modules:
            x[i] = int(table.at[var.index(), "edge_modules"])
    lp_options = dataclasses.replace(options, time_limit_s=max(options.time_limit_s, 600.0))
    fixed = solve_fixed(matrix, x, lp_options)
    if fixed.x is None or fixed.objective_usd is None:
        raise InputError(
            f"the run's plan is {fixed.status} in the rebuilt model; the run does not match its "
            "scenario (data changed?)"
        )
    return fixed.x, fixed.objective_usd


def block_granularity_mw(built: BuiltModel) -> float:
    """The GCD of the block sizes (MW; the smallest block when they are not whole MW)."""
    sizes = [built.data.block_mw[k] for k in built.data.blocks]
    if not sizes:
        return 1.0
    if all(float(v).is_integer() for v in sizes):
        return float(math.gcd(*(int(v) for v in sizes)))
    return float(min(sizes))


class NearOptimal:
    """The model in one HiGHS instance with the cost row; :meth:`solve` one objective at a time
    (module docstring)."""

    def __init__(
        self,
        built: BuiltModel,
        matrix: MatrixModel,
        plan_x: np.ndarray,
        plan_cost_usd: float,
        slack_pct: float,
        options: SolverOptions,
    ) -> None:
        self.matrix = matrix
        self.plan_cost_usd = float(plan_cost_usd)
        self.slack_pct = float(slack_pct)
        self.options = options
        self.cost = np.asarray(matrix.lp.col_cost_, dtype=float)
        self.offset = float(matrix.objective_offset)
        self.limit_usd = (1 + slack_pct / 100) * plan_cost_usd + COST_ROW_TOL * abs(plan_cost_usd)
        self.granularity_mw = block_granularity_mw(built)
        h = new_highs(matrix.lp, options)
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 0.99 * self.granularity_mw)
        nz = np.flatnonzero(self.cost).astype(np.int32)
        h.addRow(-highspy.kHighsInf, self.limit_usd - self.offset, nz.size, nz, self.cost[nz])
        h.changeObjectiveOffset(0.0)
        self.h = h
        self.n = len(matrix.columns)
        blocks = _fitting_blocks(built, matrix)
        self.site_columns = {
            s: (np.array(list(cols.values()), dtype=np.int64),
                np.array([built.data.block_mw[k] for k in cols], dtype=float))
            for s, cols in blocks.items()
        }  # fmt: skip
        self.pool: list[np.ndarray] = [np.asarray(plan_x, dtype=float)]

    def campus_mw(self, x: np.ndarray) -> dict[str, float]:
        """Campus MW per site of plan ``x`` (integers rounded; sites with none left out)."""
        out = {}
        for s, (cols, mw) in self.site_columns.items():
            value = float(np.round(x[cols]) @ mw)
            if value > ZERO_MW:
                out[s] = value
        return out

    def plan_cost_of(self, x: np.ndarray) -> float:
        """The cost of plan ``x``, c'x + c0 (USD/yr)."""
        return float(self.cost @ x + self.offset)

    def weights(self, objective: Objective) -> np.ndarray:
        """The objective's costs over every column (negated when maximising)."""
        w = np.zeros(self.n)
        for s in objective.sites:
            cols, mw = self.site_columns.get(s, (np.zeros(0, dtype=np.int64), np.zeros(0)))
            w[cols] += mw
        return -w if objective.maximise else w

    def solve(self, objective: Objective, time_limit_s: float) -> Found:
        """The best plan for ``objective`` within ``time_limit_s``, its value and HiGHS' bound."""
        started = time.perf_counter()
        w = self.weights(objective)
        sign = -1.0 if objective.maximise else 1.0
        start = min(self.pool, key=lambda x: float(w @ np.round(x)))
        h = self.h
        h.setOptionValue("time_limit", float(time_limit_s))
        h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), w)
        solution = highspy.HighsSolution()
        solution.col_value = start
        solution.value_valid = True
        h.setSolution(solution)
        h.run()
        status, _ = model_status(h)
        info = h.getInfo()
        x = start
        if info.primal_solution_status == 2:
            found = np.asarray(h.getSolution().col_value, dtype=float)
            if float(w @ np.round(found)) <= float(w @ np.round(start)) + 1e-9:
                x = found
        bound = info.mip_dual_bound
        finite = math.isfinite(bound) and abs(bound) < 1e300
        bound_mw = sign * float(bound) + 0.0 if finite else None  # + 0.0: no -0
        value = sign * float(w @ np.round(x)) + 0.0
        if x is start and status != "optimal":
            status = "start"
        self.pool.append(x)
        if len(self.pool) > POOL_SIZE:
            del self.pool[1]  # keep the run's plan
        return Found(
            task=objective.task,
            status=status,
            value_mw=value,
            bound_mw=bound_mw,
            cost_usd=self.plan_cost_of(x),
            campus_mw=self.campus_mw(x),
            seconds=time.perf_counter() - started,
            x=x,
        )
