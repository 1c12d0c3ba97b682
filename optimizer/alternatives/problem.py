"""One near-optimal problem per worker: the model handed to HiGHS once, the cost row added
once, then only the objective changes from solve to solve.

With the plan's cost c'x + c0 (the model's objective, USD/yr) and the cost C* of the run's plan,
every near-optimal plan satisfies the *cost row*

    c'x + c0 <= (1 + slack) C* + tol,     tol = 1e-7 |C*|  (floating-point room, 3.6 kUSD/yr
                                                          on the default scenario)

besides every row of the model. Each task minimises (or maximises) a weighted campus MW
w'x over that feasible set: ``w[build_campus[s, k]] = block_mw[k]`` for the sites s of a BA, of
one site, or of the sites a Hop-Skip-Jump step avoids (:mod:`optimizer.alternatives.run`).

Each solve has two parts, as the run's own solve (:mod:`optimizer.solve.heuristic`):

1. **Bound.** The LP relaxation with the cost row, in one HiGHS instance per worker: a task
   changes only the costs (``changeColsCost``), so the simplex starts from the previous task's
   basis. Its optimum bounds the near-optimal MIP: from below when minimising, from above when
   maximising.
2. **Plan.** The relaxed campuses rounded, the edge modules kept at the run's plan, and the LP
   with those integers fixed solved for the plan's exact cost (a second HiGHS instance, whose
   integer columns' bounds change from plan to plan). Two roundings are tried in turn: per site
   (:meth:`NearOptimal.round_sites`: each single site's relaxed campus MW rounded down to a
   block, then the sites with the largest remainders rounded up to the smallest block that holds
   their MW until the target is met; this does not depend on how a degenerate LP splits a
   site's MW among blocks) and by largest remainder over blocks
   (:func:`optimizer.solve.heuristic.round_campuses`). A plan within the cost row is a real
   near-optimal plan and its campus MW the value found; if rounding pushes every plan over, the
   LP is solved again with half, then a quarter of the slack and rounded again, and failing that
   the best plan known for the objective (the run's plan or one found since, kept in a small
   pool) is the value found.

Campus MW takes values in multiples of the GCD ``g`` of the block sizes, so a bound within ``g``
of the value found proves that value exact; otherwise both are reported. Branch and bound with
the cost row was tried: on the default US scenario HiGHS had not finished its root LP within
60 s per solve, where the relaxation with a warm basis takes seconds.

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
from optimizer.solve.heuristic import round_campuses
from optimizer.solve.highs import (
    MatrixModel,
    SolverOptions,
    model_status,
    new_highs,
    solve_fixed,
)

COST_ROW_TOL = 1e-7
"""Relative room on the cost row for floating-point error (module docstring)."""
POOL_SIZE = 24
"""Plans kept per worker as starting solutions."""
MATCH_TOL = 1e-4
"""Relative difference allowed between the run's cost and its plan's cost in the rebuilt model."""
ZERO_MW = 1e-3
SLACK_SHARES = ((1.0, "rounded"), (0.5, "rounded, half slack"), (0.25, "rounded, quarter slack"))
"""Shares of the slack the relaxation is solved with, in turn, until a rounding is within it."""
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
    """``rounded`` (the rounded relaxation is within the slack), ``rounded, half slack``,
    ``rounded, quarter slack``, ``known plan`` (no rounding within the slack: the best plan
    known) or ``LP <HiGHS status>`` (the relaxation stopped, e.g. by the time limit: no bound,
    the best plan known)"""
    value_mw: float
    """the objective's campus MW in the best plan found (a real plan within the slack)"""
    bound_mw: float | None
    """the LP relaxation's bound on the objective: a lower bound when minimising, upper when
    maximising (None when the LP was stopped by the time limit)"""
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


def check_plan_cost(cost_usd: float, run_cost_usd: float | None, run_dir: object) -> None:
    """Refuse a rebuilt model in which the run's plan does not cost what the run says (the
    data or the code changed since the run): within :data:`MATCH_TOL`, relative."""
    if run_cost_usd is None:
        raise InputError(f"{run_dir}: summary.json has no objective_usd; run the scenario again")
    if abs(cost_usd - run_cost_usd) > MATCH_TOL * max(abs(run_cost_usd), 1.0):
        raise InputError(
            f"{run_dir}: the run's plan costs {cost_usd:,.0f} USD/yr in the rebuilt model, the "
            f"run says {run_cost_usd:,.0f}: the data or dcsite changed since the run; run the "
            "scenario again"
        )


def block_granularity_mw(built: BuiltModel) -> float:
    """The GCD of the block sizes (MW; the smallest block when they are not whole MW)."""
    sizes = [built.data.block_mw[k] for k in built.data.blocks]
    if not sizes:
        return 1.0
    if all(float(v).is_integer() for v in sizes):
        return float(math.gcd(*(int(v) for v in sizes)))
    return float(min(sizes))


def _time_limit(h: highspy.Highs, seconds: float) -> None:
    """Limit the next run to ``seconds``: HiGHS' time limit counts from the instance's
    creation over every run, so it is set to the time used so far plus ``seconds``."""
    h.setOptionValue("time_limit", float(h.getRunTime()) + float(seconds))


class NearOptimal:
    """The model in two HiGHS instances, the relaxation with the cost row and the fixed-plan
    LP; :meth:`solve` one objective at a time (module docstring)."""

    def __init__(
        self,
        built: BuiltModel,
        matrix: MatrixModel,
        plan_x: np.ndarray,
        plan_cost_usd: float,
        slack_pct: float,
        options: SolverOptions,
    ) -> None:
        self.built, self.matrix = built, matrix
        self.plan_cost_usd = float(plan_cost_usd)
        self.slack_pct = float(slack_pct)
        self.cost = np.asarray(matrix.lp.col_cost_, dtype=float)
        self.offset = float(matrix.objective_offset)
        self.limit_usd = (1 + slack_pct / 100) * plan_cost_usd + COST_ROW_TOL * abs(plan_cost_usd)
        self.granularity_mw = block_granularity_mw(built)
        self.n = len(matrix.columns)
        self.integers = matrix.integer_columns.astype(np.int32)
        continuous = np.full(self.integers.size, highspy.HighsVarType.kContinuous)
        lp = new_highs(matrix.lp, options)
        if self.integers.size:
            lp.changeColsIntegrality(self.integers.size, self.integers, continuous)
        nz = np.flatnonzero(self.cost).astype(np.int32)
        lp.addRow(-highspy.kHighsInf, self.limit_usd - self.offset, nz.size, nz, self.cost[nz])
        lp.changeObjectiveOffset(0.0)
        self.lp, self.cost_row = lp, matrix.lp.num_row_
        fixed = new_highs(matrix.lp, options)
        if self.integers.size:
            fixed.changeColsIntegrality(self.integers.size, self.integers, continuous)
        self.fixed = fixed
        blocks = _fitting_blocks(built, matrix)
        self.campus_cols = np.array(
            sorted(i for cols in blocks.values() for i in cols.values()), dtype=np.int64
        )
        self.site_columns = {
            s: (np.array(list(cols.values()), dtype=np.int64),
                np.array([built.data.block_mw[k] for k in cols], dtype=float))
            for s, cols in blocks.items()
        }  # fmt: skip
        self.plan_x = np.asarray(plan_x, dtype=float)
        self.pool: list[np.ndarray] = [self.plan_x]
        self.lp_status = ""

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

    def _relax(self, w: np.ndarray, limit_usd: float, time_limit_s: float) -> np.ndarray | None:
        """The relaxation's optimum for costs ``w`` under a cost limit, or None (time limit)."""
        h = self.lp
        _time_limit(h, time_limit_s)
        h.changeRowBounds(self.cost_row, -highspy.kHighsInf, limit_usd - self.offset)
        h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), w)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            self.lp_status = model_status(h)[1]
            h.clearSolver()  # the next task starts afresh, not from this basis
            return None
        return np.asarray(h.getSolution().col_value, dtype=float)

    def round_sites(self, x_relaxed: np.ndarray) -> dict[tuple[str, int], int] | None:
        """Campus blocks from relaxed ones, per site (module docstring); None when a site row
        stands for a group of sites."""
        d = self.built.data
        if any(d.count[s] != 1 for s in self.site_columns):
            return None
        blocks = _fitting_blocks(self.built, self.matrix)
        chosen: dict[str, int] = {}
        remainder: dict[str, tuple[float, int]] = {}
        for s, cols in blocks.items():
            m = float(sum(d.block_mw[k] * x_relaxed[i] for k, i in cols.items()))
            below = [k for k in cols if d.block_mw[k] <= m + 1e-6]
            if below:
                chosen[s] = max(below, key=lambda k: d.block_mw[k])
            held = m - (d.block_mw[chosen[s]] if s in chosen else 0.0)
            above = [k for k in cols if d.block_mw[k] >= m - 1e-6 and k != chosen.get(s)]
            if held > 1e-6 and above:
                remainder[s] = (held, min(above, key=lambda k: d.block_mw[k]))
        built_mw = sum(d.block_mw[k] for k in chosen.values())
        for s, (_, k) in sorted(remainder.items(), key=lambda item: (-item[1][0], item[0])):
            if built_mw >= d.training_target_mw - 1e-6:
                break
            built_mw += d.block_mw[k] - (d.block_mw[chosen[s]] if s in chosen else 0.0)
            chosen[s] = k
        return {(s, k): 1 for s, k in chosen.items()}

    def _fixed_plan(
        self, rounded: dict[tuple[str, int], int], time_limit_s: float
    ) -> np.ndarray | None:
        """The campuses ``rounded``, the run's edge modules, the rest re-optimised for cost."""
        x = self.plan_x.copy()
        x[self.campus_cols] = 0.0
        cols = _fitting_blocks(self.built, self.matrix)
        for (s, k), count in rounded.items():
            x[cols[s][k]] = count
        values = np.round(x[self.integers])
        h = self.fixed
        _time_limit(h, time_limit_s)
        h.changeColsBounds(self.integers.size, self.integers, values, values)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            h.clearSolver()
            return None
        return np.asarray(h.getSolution().col_value, dtype=float)

    def solve(self, objective: Objective, time_limit_s: float) -> Found:
        """The relaxation's bound and the best real plan found for ``objective`` (module
        docstring), each LP within ``time_limit_s``."""
        started = time.perf_counter()
        w = self.weights(objective)
        sign = -1.0 if objective.maximise else 1.0
        best = min(self.pool, key=lambda x: float(w @ np.round(x)))
        status, bound_mw, x = "known plan", None, best
        room = self.limit_usd - self.plan_cost_usd
        for share, label in SLACK_SHARES:
            relaxed = self._relax(w, self.plan_cost_usd + share * room, time_limit_s)
            if relaxed is None:
                status = f"LP {self.lp_status}" if bound_mw is None else status
                break
            if bound_mw is None:
                bound_mw = sign * float(w @ relaxed) + 0.0  # + 0.0: no -0
            plan = None
            for rounded in (
                self.round_sites(relaxed),
                round_campuses(self.matrix, self.built, relaxed),
            ):
                if rounded is None:
                    continue
                candidate = self._fixed_plan(rounded, time_limit_s)
                if candidate is not None and self.plan_cost_of(candidate) <= self.limit_usd:
                    plan = candidate
                    break
            if plan is not None:
                if float(w @ np.round(plan)) <= float(w @ np.round(best)) + 1e-9:
                    status, x = label, plan
                break
        self.lp.changeRowBounds(self.cost_row, -highspy.kHighsInf, self.limit_usd - self.offset)
        if x is not best:
            self.pool.append(x)
            if len(self.pool) > POOL_SIZE:
                del self.pool[1]  # keep the run's plan
        return Found(
            task=objective.task,
            status=status,
            value_mw=sign * float(w @ np.round(x)) + 0.0,
            bound_mw=bound_mw,
            cost_usd=self.plan_cost_of(x),
            campus_mw=self.campus_mw(x),
            seconds=time.perf_counter() - started,
            x=x,
        )
