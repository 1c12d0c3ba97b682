"""Solving a built model with HiGHS: the matrix hand-off and statuses (:mod:`.highs`), the LP
bound and rounded starting plan (:mod:`.heuristic`), the plan of a run (:mod:`.plan`) and the
explanation of an infeasible scenario (:mod:`.infeasibility`)."""

from optimizer.solve.highs import (
    MatrixModel,
    SolveResult,
    SolverOptions,
    load_values,
    solve_fixed,
    solve_matrix,
    to_matrix,
)
from optimizer.solve.infeasibility import Violation, describe_violations, explain_infeasibility
from optimizer.solve.plan import solve_plan

__all__ = [
    "MatrixModel",
    "SolveResult",
    "SolverOptions",
    "Violation",
    "describe_violations",
    "explain_infeasibility",
    "load_values",
    "solve_fixed",
    "solve_matrix",
    "solve_plan",
    "to_matrix",
]
