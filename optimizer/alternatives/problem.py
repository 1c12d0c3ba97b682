"""One near-optimal problem per worker: the model handed to HiGHS once, then only costs and
one row's bounds change from solve to solve.

With the plan's cost c'x + c0 (the model's objective, USD/yr) and the cost C* of the run's plan,
the near-optimal plans are those of the model within the *cost limit*

    c'x + c0 <= L,     L = (1 + slack) C* + tol,   tol = 1e-7 |C*|  (floating-point room,
                                                   3.6 kUSD/yr on the default scenario).

Each task minimises a weighted campus MW f'x over them (``f = w`` to minimise, ``f = -w`` to
maximise; ``w[build_campus[s, k]] = block_mw[k]`` for the sites s of a BA, of one site, or of the
sites a Hop-Skip-Jump step avoids, :mod:`optimizer.alternatives.run`).

Each solve has two parts, as the run's own solve (:mod:`optimizer.solve.heuristic`):

1. **Bound, by Lagrangian search over the cost limit.** Let Q be the relaxation's points within
   the limit and P the relaxation. The cost limit is not a row: a row with a coefficient on every
   costed column (327,136 on the default scenario) made each simplex iteration about 30 times
   slower, and maximising one BA took 70-340 s. Instead, for a price lambda > 0 on cost per MW
   of objective, HiGHS solves

       x(lambda) = argmin { c'x + lambda f'x : x in P, f'x >= beta }

   with only column costs changed, from the basis of the relaxation's own optimum, and

       beta <- max(beta, f'x(lambda) + (c'x(lambda) + c0 - L) / lambda)

   is a lower bound on min { f'x : x in Q } (weak duality: for x in Q, f'x >= f'x +
   (c'x + c0 - L) / lambda >= the minimum over P). The row ``f'x >= beta`` (the *objective row*,
   sparse: the objective's campus columns) holds for every x in Q, so it changes no answer; it
   keeps a price above the best one from building campuses far beyond any plan within the
   limit, LPs that took 25-45 s instead of 1-3 s. The points found within the limit give the
   other side: the relaxation's optimum x_lo of the largest price with c'x + c0 <= L, and with
   the one x_hi of the smallest price above it the point ``x* = x_lo + theta (x_hi - x_lo)`` with
   c'x* + c0 = L, which is in Q. The price is doubled from ``(L - C_lp) / target MW`` until a
   point is beyond the limit, then set to the slope between x_lo and x_hi (the Eisner-Severance
   chord: at the optimal price both are optimal, and then x* is the relaxation's optimum within
   the limit), or to the middle of the two prices when the same side moved twice. The search
   stops when f'x* - beta is below a thousandth of a block (the relaxation's optimum within the
   limit is found), when beta proves the best plan known optimal (below), or at the time limit,
   every price's beta a valid bound.

   Before the search, the relaxation's own optimum x0 (cost C_lp, reduced costs d) tightens the
   column bounds: for every x of the relaxation c'x + c0 - C_lp >= sum_j d_j (x_j - x0_j), each
   term of which is >= 0 at x0's nonbasic bounds, so within the limit a column at its lower
   bound with d_j > 0 satisfies x_j <= l_j + (L - C_lp) / d_j (and one at its upper bound with
   d_j < 0, x_j >= u_j - (L - C_lp) / |d_j|). No point within the limit is cut; on the default
   scenario 317,249 columns get tighter bounds, and each search takes about a quarter less.
2. **Plan.** x* and then the points within the limit (x_lo first) are rounded, the edge modules
   kept at the run's plan, and the LP with those integers fixed solved for the plan's exact cost
   (a second HiGHS instance, whose integer columns' bounds change from plan to plan). Two
   roundings are tried for each point: per site (:meth:`NearOptimal.round_sites`: each single
   site's relaxed campus MW rounded down to a block, then the sites with the largest remainders
   rounded up to the smallest block that holds their MW until the target is met; this does not
   depend on how a degenerate LP splits a site's MW among blocks) and by largest remainder over
   blocks (:func:`optimizer.solve.heuristic.round_campuses`). The first plan within the limit is
   the value found if it beats the best plan known for the objective (the run's plan or one
   found since, kept in a small pool).

Campus MW takes values in multiples of the GCD ``g`` of the block sizes, so a bound within ``g``
of the value found proves that value exact: the search stops as soon as it does. Branch and bound
with the cost limit as a row was tried: on the default US scenario HiGHS had not finished its
root LP within 60 s per solve.

The run's plan is read back from its run folder (``sites.csv``: campuses, campus MW and edge
modules per site), its integers fixed, and the LP with them solved (:func:`plan_of_run`); its
cost must match the run's ``objective_usd``, else the rebuilt model is not the run's.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Iterator
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

COST_LIMIT_TOL = 1e-7
"""Relative room on the cost limit for floating-point error (module docstring)."""
POOL_SIZE = 24
"""Plans kept per worker as starting solutions."""
MATCH_TOL = 1e-4
"""Relative difference allowed between the run's cost and its plan's cost in the rebuilt model."""
ZERO_MW = 1e-3
"""Campus MW below this is zero (values and bounds)."""
MAX_PRICES = 40
"""Prices (LPs) one search tries at most."""
LP_TOL_SHARE = 1e-3
"""The search has found the relaxation's optimum when it is this share of a block from the bound."""
ROUNDED_POINTS = 3
"""Points of the search rounded at most: x*, then the points within the limit, newest first."""


@dataclass(frozen=True)
class Objective:
    """What one solve minimises or maximises: the campus MW of ``sites`` (a BA's, a site's, or
    the sites a Hop-Skip-Jump plan avoids)."""

    task: str
    """a unique name, e.g. ``ba:PJM:max``, ``site:s12:min``, ``plan:alt-1``"""
    sites: tuple[str, ...]
    maximise: bool = False
    exclude: tuple[tuple[tuple[str, float], ...], ...] = ()
    """plans (:func:`plan_key`) the plan found must differ from (Hop-Skip-Jump); with them, a
    plan that ties the best one known is taken"""


def plan_key(campus_mw: dict[str, float]) -> tuple[tuple[str, float], ...]:
    """A plan's campus MW per site as a sorted tuple, to tell plans apart."""
    return tuple(sorted((s, round(mw, 3)) for s, mw in campus_mw.items() if mw > ZERO_MW))


@dataclass
class Found:
    """The outcome of one solve."""

    task: str
    status: str
    """``rounded`` (x* rounded is within the slack), ``rounded, inside the limit`` (a point of
    the search below the limit, rounded), ``known plan`` (no rounding within the slack, or the
    bound proves the best plan known optimal: that plan) or ``LP <HiGHS status>`` (the first LP
    stopped, e.g. by the time limit: no bound, the best plan known)"""
    value_mw: float
    """the objective's campus MW in the best plan found (a real plan within the slack)"""
    bound_mw: float | None
    """the bound the search proved on the objective: a lower bound when minimising, upper when
    maximising (None when its first LP was stopped by the time limit)"""
    cost_usd: float
    """the plan's cost, c'x + c0"""
    campus_mw: dict[str, float]
    """the plan's campus MW per site (sites with none left out)"""
    seconds: float
    lp_solves: int = 0
    """LPs of the search (prices tried)"""
    lp_optimum: bool = False
    """the search found the relaxation's optimum within the limit (else it stopped on a proof,
    the time limit or :data:`MAX_PRICES`)"""
    x: np.ndarray | None = field(default=None, repr=False)


def _fitting_blocks(built: BuiltModel, matrix: MatrixModel) -> dict[str, dict[int, int]]:
    """Column of ``build_campus[s, k]`` per campus site and block."""
    out: dict[str, dict[int, int]] = {}
    for (s, k), i in matrix.columns_of(built.parts.siting.build_campus).items():
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
    for s, i in matrix.columns_of(built.parts.siting.edge_modules).items():
        x[i] = int(table.at[s, "edge_modules"])
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


@dataclass
class _Point:
    """The relaxation's optimum at one price: its cost c'x + c0 and objective f'x."""

    price: float
    cost_usd: float
    value: float
    x: np.ndarray = field(repr=False)


@dataclass
class _Search:
    """What one Lagrangian search found (module docstring)."""

    bound: float | None
    """beta, the lower bound on f'x within the limit (None: no LP finished)"""
    points: list[_Point]
    """x* (if there is a point beyond the limit), then the points within the limit, newest
    first"""
    lp_solves: int
    optimum: bool
    status: str


class NearOptimal:
    """The model in two HiGHS instances, the relaxation (its own optimum's basis kept) and the
    fixed-plan LP; :meth:`solve` one objective at a time (module docstring)."""

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
        self.limit_usd = (1 + slack_pct / 100) * plan_cost_usd + COST_LIMIT_TOL * abs(plan_cost_usd)
        self.granularity_mw = block_granularity_mw(built)
        self.n = len(matrix.columns)
        self.all_columns = np.arange(self.n, dtype=np.int32)
        self.integers = matrix.integer_columns.astype(np.int32)
        continuous = np.full(self.integers.size, highspy.HighsVarType.kContinuous)
        lp = new_highs(matrix.lp, options)
        if self.integers.size:
            lp.changeColsIntegrality(self.integers.size, self.integers, continuous)
        _time_limit(lp, max(options.time_limit_s, 600.0))
        lp.run()
        if lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise InputError(
                f"the relaxation of the rebuilt model is {model_status(lp)[1]}; it cannot be "
                "ranged (a larger --time-limit?)"
            )
        solution = lp.getSolution()
        x0 = np.asarray(solution.col_value, dtype=float)
        self.optimum = _Point(0.0, self.plan_cost_of(x0), 0.0, x0)
        self.tightened_columns = self._tighten(lp, x0, np.asarray(solution.col_dual, dtype=float))
        self.basis = lp.getBasis()
        self.lp, self.objective_row = lp, matrix.lp.num_row_
        fixed = new_highs(matrix.lp, options)
        if self.integers.size:
            fixed.changeColsIntegrality(self.integers.size, self.integers, continuous)
        self.fixed = fixed
        self.blocks = blocks = _fitting_blocks(built, matrix)
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

    def _tighten(self, lp: highspy.Highs, x0: np.ndarray, reduced: np.ndarray) -> int:
        """Column bounds from the relaxation's optimum's reduced costs (module docstring); the
        number of columns tightened."""
        lower = np.asarray(self.matrix.lp.col_lower_, dtype=float)
        upper = np.asarray(self.matrix.lp.col_upper_, dtype=float)
        room = (self.limit_usd - self.optimum.cost_usd) * (1 + 1e-6) + 1.0
        at_lower = (reduced > 1e-9) & (x0 <= lower + 1e-9)
        at_upper = (reduced < -1e-9) & (x0 >= upper - 1e-9)
        new_lower, new_upper = lower.copy(), upper.copy()
        new_upper[at_lower] = np.minimum(
            upper[at_lower], lower[at_lower] + room / reduced[at_lower]
        )
        new_lower[at_upper] = np.maximum(
            lower[at_upper], upper[at_upper] - room / -reduced[at_upper]
        )
        lp.changeColsBounds(self.n, self.all_columns, new_lower, new_upper)
        return int(at_lower.sum() + at_upper.sum())

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

    def _set_objective_row(self, f: np.ndarray) -> None:
        """The relaxation back at its optimum's basis, with the objective row of ``f``."""
        h = self.lp
        if h.getNumRow() > self.objective_row:
            h.deleteRows(1, np.array([self.objective_row], dtype=np.int32))
        h.setBasis(self.basis)
        cols = np.flatnonzero(f).astype(np.int32)
        h.addRow(-highspy.kHighsInf, highspy.kHighsInf, cols.size, cols, f[cols])

    def _at_price(self, f: np.ndarray, price: float, floor: float, seconds: float) -> _Point | str:
        """The relaxation's optimum of c'x + price f'x with f'x >= floor, or HiGHS' status."""
        h = self.lp
        _time_limit(h, seconds)
        h.changeRowBounds(self.objective_row, floor, highspy.kHighsInf)
        h.changeColsCost(self.n, self.all_columns, self.cost + price * f)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return model_status(h)[1]
        x = np.asarray(h.getSolution().col_value, dtype=float)
        return _Point(price, self.plan_cost_of(x), float(f @ x), x)

    def _search(self, f: np.ndarray, known: float, time_limit_s: float) -> _Search:
        """The Lagrangian search for min f'x within the limit (module docstring); ``known`` is
        the best plan's f'x, which a bound within a block proves optimal."""
        started = time.perf_counter()
        limit, g = self.limit_usd, self.granularity_mw
        self._set_objective_row(f)
        lo = dataclasses.replace(self.optimum, value=float(f @ self.optimum.x))
        hi: _Point | None = None
        inside: list[_Point] = [lo]
        bound: float | None = None
        sides: list[str] = []
        target = max(self.built.data.training_target_mw, g)
        price = max(limit - lo.cost_usd, 1.0) / target
        status, optimum, solves = "", False, 0
        while solves < MAX_PRICES:
            left = time_limit_s - (time.perf_counter() - started)
            floor = -highspy.kHighsInf if bound is None else bound - 1e-9 * max(1.0, abs(bound))
            point = self._at_price(f, price, floor, max(left, 0.1))
            if isinstance(point, str):
                status = point
                break
            solves += 1
            lagrangian = point.value + (point.cost_usd - limit) / price
            bound = lagrangian if bound is None else max(bound, lagrangian)
            if point.cost_usd <= limit:
                lo = point
                inside = [point, *inside][:ROUNDED_POINTS]
                sides.append("lo")
            else:
                hi = point
                sides.append("hi")
            upper = lo.value
            if hi is not None:
                upper += (limit - lo.cost_usd) * (hi.value - lo.value) / (hi.cost_usd - lo.cost_usd)
            if upper - bound <= LP_TOL_SHARE * g:
                optimum = True
                break
            # the best plan known is optimal, or more LPs would not move the bound past a block
            if self._proves(bound, known) or self._proves(bound, upper):
                break
            if time.perf_counter() - started >= time_limit_s:
                status = "kTimeLimit"
                break
            if hi is None:
                price *= 2
            elif sides[-2:] in (["lo", "lo"], ["hi", "hi"]) or lo.value <= hi.value:
                price = 0.5 * (lo.price + hi.price)
            else:
                price = (hi.cost_usd - lo.cost_usd) / (lo.value - hi.value)
        points = inside
        if hi is not None:
            theta = (limit - lo.cost_usd) / (hi.cost_usd - lo.cost_usd)
            x = lo.x + theta * (hi.x - lo.x)
            points = [_Point(np.nan, limit, float(f @ x), x), *points[: ROUNDED_POINTS - 1]]
        return _Search(bound, points, solves, optimum, status)

    def _proves(self, bound: float, value: float) -> bool:
        """Whether a lower bound on f'x leaves no multiple of a block below ``value``."""
        g = self.granularity_mw
        return value <= g * math.ceil(bound / g - 1e-6) + ZERO_MW

    def round_sites(
        self, x_relaxed: np.ndarray, last: frozenset[str] = frozenset()
    ) -> dict[tuple[str, int], int] | None:
        """Campus blocks from relaxed ones, per site (module docstring), the sites ``last``
        rounded up only when the others cannot meet the target; None when a site row stands
        for a group of sites."""
        d = self.built.data
        if any(d.count[s] != 1 for s in self.site_columns):
            return None
        chosen: dict[str, int] = {}
        remainder: dict[str, tuple[float, int]] = {}
        for s, cols in self.blocks.items():
            m = float(sum(d.block_mw[k] * x_relaxed[i] for k, i in cols.items()))
            below = [k for k in cols if d.block_mw[k] <= m + 1e-6]
            if below:
                chosen[s] = max(below, key=lambda k: d.block_mw[k])
            held = m - (d.block_mw[chosen[s]] if s in chosen else 0.0)
            above = [k for k in cols if d.block_mw[k] >= m - 1e-6 and k != chosen.get(s)]
            if held > 1e-6 and above:
                remainder[s] = (held, min(above, key=lambda k: d.block_mw[k]))
        built_mw = sum(d.block_mw[k] for k in chosen.values())
        order = sorted(remainder.items(), key=lambda item: (item[0] in last, -item[1][0], item[0]))
        for s, (_, k) in order:
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
        for (s, k), count in rounded.items():
            x[self.blocks[s][k]] = count
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
        """The search's bound and the best real plan found for ``objective`` (module
        docstring), the search within ``time_limit_s``."""
        started = time.perf_counter()
        f = self.weights(objective)
        sign = -1.0 if objective.maximise else 1.0
        best = min(self.pool, key=lambda x: float(f @ np.round(x)))
        known = float(f @ np.round(best))
        if not np.any(f):  # no campus column: nothing to range
            search = _Search(0.0, [], 0, True, "")
        else:
            search = self._search(f, known, time_limit_s)
        status, x = "known plan", best
        distinct = bool(objective.exclude)
        if search.bound is None:
            status = f"LP {search.status}"
        elif not distinct and self._proves(search.bound, known):
            search.points = []  # no plan can do better than the one known
        plan, label = None, ""
        for n, point in enumerate(search.points):
            if point.value > known + ZERO_MW:
                continue  # its roundings would not do better than the plan known
            for candidate in self._rounded_plans(point.x, objective, time_limit_s):
                if not distinct or plan_key(self.campus_mw(candidate)) not in objective.exclude:
                    plan, label = candidate, "rounded" if n == 0 else "rounded, inside the limit"
                    break
            if plan is not None:
                break
        if plan is not None and float(f @ np.round(plan)) <= known + 1e-9:
            status, x = label, plan
        if x is not best:
            self.pool.append(x)
            if len(self.pool) > POOL_SIZE:
                del self.pool[1]  # keep the run's plan
        bound = None
        if search.bound is not None:  # campus MW is never below 0 (+ 0.0: no -0)
            bound = max(search.bound, 0.0) + 0.0 if sign > 0 else -search.bound + 0.0
        return Found(
            task=objective.task,
            status=status,
            value_mw=sign * float(f @ np.round(x)) + 0.0,
            bound_mw=bound,
            cost_usd=self.plan_cost_of(x),
            campus_mw=self.campus_mw(x),
            seconds=time.perf_counter() - started,
            lp_solves=search.lp_solves,
            lp_optimum=search.optimum,
            x=x,
        )

    def _rounded_plans(
        self, x_relaxed: np.ndarray, objective: Objective, time_limit_s: float
    ) -> Iterator[np.ndarray]:
        """The roundings of ``x_relaxed`` whose plans are within the limit: per site, per site
        with the objective's sites rounded up last (less cost when maximising, less objective
        when minimising), by largest remainder."""
        tried: list[dict] = []
        for rounded in (
            self.round_sites(x_relaxed),
            self.round_sites(x_relaxed, last=frozenset(objective.sites)),
            round_campuses(self.matrix, self.built, x_relaxed),
        ):
            if rounded is None or rounded in tried:
                continue
            tried.append(rounded)
            candidate = self._fixed_plan(rounded, time_limit_s)
            if candidate is not None and self.plan_cost_of(candidate) <= self.limit_usd:
                yield candidate
