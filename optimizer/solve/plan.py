"""The plan of a run: LP bound and a rounded plan first, branch and bound only if needed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from optimizer.model import BuiltModel
from optimizer.solve.heuristic import warm_start
from optimizer.solve.highs import MatrixModel, SolveResult, SolverOptions, solve_matrix

Progress = Callable[[str], None]


def solve_plan(
    built: BuiltModel, matrix: MatrixModel, options: SolverOptions, say: Progress
) -> SolveResult:
    """LP bound and rounded plan first (:mod:`.heuristic`); branch and bound from that
    plan only if it is not already proven within the gap. The bound reported is the better of
    the LP relaxation's and HiGHS'."""
    if matrix.integer_columns.size == 0:
        return solve_matrix(matrix, options)
    ws = warm_start(matrix, built, options)
    if ws.x is None:
        say(f"no rounded plan after {ws.seconds:.1f} s; branch and bound from scratch")
        return solve_matrix(matrix, options)
    say(
        f"LP bound {ws.bound_usd:,.0f} USD, rounded plan {ws.objective_usd:,.0f} USD "
        f"(gap {100 * ws.gap:.2f} %) after {ws.seconds:.1f} s"
    )
    if ws.gap <= options.mip_gap_pct / 100:
        return SolveResult(
            status="optimal",
            highs_status="rounded plan within the gap of the LP relaxation bound",
            has_solution=True,
            objective_usd=ws.objective_usd,
            best_bound_usd=ws.bound_usd,
            mip_gap_pct=100 * max(ws.gap, 0.0),
            solve_seconds=ws.seconds,
            x=ws.x,
            row_dual=ws.row_dual,
            notes=[f"gap proven by the LP relaxation bound ({100 * ws.gap:.2f} %)"],
        )
    remaining = max(options.time_limit_s - ws.seconds, 10.0)
    result = solve_matrix(matrix, dataclasses.replace(options, time_limit_s=remaining), start=ws.x)
    result.solve_seconds += ws.seconds
    if result.has_solution and result.best_bound_usd is not None and ws.bound_usd is not None:
        result.best_bound_usd = max(result.best_bound_usd, ws.bound_usd)
        result.mip_gap_pct = 100 * max(
            (result.objective_usd - result.best_bound_usd) / max(abs(result.objective_usd), 1e-9),
            0.0,
        )
    return result
