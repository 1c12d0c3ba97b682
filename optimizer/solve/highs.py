"""Hand a built Pyomo model to HiGHS, solve it, and read back what HiGHS found.

Hand-off (PERFORMANCE.md): Pyomo's ``LinearStandardFormCompiler`` turns the model into sparse
matrices, which go to ``highspy.Highs.passModel`` directly; this is several times faster than
writing an LP file or using the persistent interfaces, and keeps the row and column order so
values and duals map back to Pyomo components without names.

Statuses are reported as HiGHS gives them: a run stopped by its time limit returns its best
solution, its bound and its gap, and says so. After the MIP, the LP with every integer decision
fixed is solved again for duals (:func:`solve_fixed`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler
from scipy import sparse

INF = highspy.kHighsInf


@dataclass(frozen=True)
class SolverOptions:
    """HiGHS options: time limit (s), relative MIP gap (%), threads, random seed."""

    time_limit_s: float = 300.0
    mip_gap_pct: float = 1.0
    threads: int = 1
    seed: int = 0
    log_to_console: bool = False


@dataclass
class MatrixModel:
    """A Pyomo model in matrix form, rows and columns in the order HiGHS sees them."""

    columns: list  # Pyomo VarData per column
    rows: list  # Pyomo ConstraintData per row
    row_sense: np.ndarray  # 0: equality, 1: upper bound (<=), -1: lower bound (>=)
    lp: highspy.HighsLp
    integer_columns: np.ndarray
    objective_offset: float
    handoff_seconds: float
    _by_component: dict = field(default_factory=dict, repr=False)

    def columns_of(self, component: pyo.Var) -> dict:
        """Column position of each index of the variable ``component`` (found once, then
        kept: the columns of a compiled model do not change)."""
        found = self._by_component.get(component.name)
        if found is None:
            found = {
                var.index(): i
                for i, var in enumerate(self.columns)
                if var.parent_component() is component
            }
            self._by_component[component.name] = found
        return found

    @property
    def shape(self) -> dict[str, int]:
        """Numbers of variables, integer variables, constraints and nonzeros."""
        return {
            "variables": len(self.columns),
            "integer_variables": int(self.integer_columns.size),
            "constraints": len(self.rows),
            "nonzeros": int(len(self.lp.a_matrix_.value_)),
        }


def to_matrix(model: pyo.ConcreteModel) -> MatrixModel:
    """Compile ``model`` to a HiGHS LP/MIP in column-wise sparse form."""
    started = time.perf_counter()
    with PauseGC():
        info = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
    columns = list(info.columns)
    senses = np.array([sense for _, sense in info.rows], dtype=int)
    rhs = np.asarray(info.rhs, dtype=float)
    a = sparse.csc_array(info.A)
    a.sort_indices()
    n_col, n_row = len(columns), len(senses)

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_col, n_row
    lp.col_cost_ = np.asarray(info.c.toarray()).ravel() if n_col else np.zeros(0)
    lp.offset_ = float(info.c_offset[0]) if len(info.c_offset) else 0.0
    lp.col_lower_ = np.array([-INF if v.lb is None else v.lb for v in columns], dtype=float)
    lp.col_upper_ = np.array([INF if v.ub is None else v.ub for v in columns], dtype=float)
    lp.row_lower_ = np.where(senses == 1, -INF, rhs)
    lp.row_upper_ = np.where(senses == -1, INF, rhs)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    integer = np.array([i for i, v in enumerate(columns) if v.is_integer()], dtype=int)
    kinds = [highspy.HighsVarType.kContinuous] * n_col
    for i in integer:
        kinds[i] = highspy.HighsVarType.kInteger
    lp.integrality_ = kinds
    return MatrixModel(
        columns=columns,
        rows=[con for con, _ in info.rows],
        row_sense=senses,
        lp=lp,
        integer_columns=integer,
        objective_offset=lp.offset_,
        handoff_seconds=time.perf_counter() - started,
    )


@dataclass
class SolveResult:
    """What HiGHS reported, stated plainly.

    ``status`` is one of ``optimal`` (within the gap), ``time_limit`` (stopped by the time
    limit; ``has_solution`` says whether an incumbent exists), ``infeasible``,
    ``unbounded``, or ``error: <HiGHS status>``. ``mip_gap_pct``: the relative gap proven, %
    (HiGHS' ``mip_gap`` x 100; 0 for an LP with a solution).
    """

    status: str
    highs_status: str
    has_solution: bool
    objective_usd: float | None
    best_bound_usd: float | None
    mip_gap_pct: float | None
    solve_seconds: float
    x: np.ndarray | None = None
    row_dual: np.ndarray | None = None
    dual_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def new_highs(lp: highspy.HighsLp, options: SolverOptions) -> highspy.Highs:
    """A HiGHS instance with ``options`` set and ``lp`` passed to it."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", options.log_to_console)
    h.setOptionValue("log_to_console", options.log_to_console)
    h.setOptionValue("time_limit", float(options.time_limit_s))
    h.setOptionValue("mip_rel_gap", float(options.mip_gap_pct) / 100)
    h.setOptionValue("threads", int(options.threads))
    h.setOptionValue("random_seed", int(options.seed))
    h.passModel(lp)
    return h


_STATUS = {
    "kOptimal": "optimal",
    "kTimeLimit": "time_limit",
    "kInfeasible": "infeasible",
    "kUnbounded": "unbounded",
    "kUnboundedOrInfeasible": "infeasible",
}


def model_status(h: highspy.Highs) -> tuple[str, str]:
    """The status of the last run, as this project names it (``optimal``, ``time_limit``,
    ``infeasible``, ``unbounded``, ``error: <HiGHS status>``), and HiGHS' own name."""
    model_status = h.getModelStatus()
    name = model_status.name if hasattr(model_status, "name") else str(model_status)
    return _STATUS.get(name, f"error: {name}"), name


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) and abs(value) < 1e300 else None


def solve_matrix(
    matrix: MatrixModel,
    options: SolverOptions,
    duals: bool = True,
    start: np.ndarray | None = None,
) -> SolveResult:
    """Solve the MIP (from a starting solution ``start`` if given); on a solution (and with
    ``duals``), re-solve with integers fixed for duals."""
    h = new_highs(matrix.lp, options)
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = np.asarray(start, dtype=float)
        solution.value_valid = True
        h.setSolution(solution)
    started = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - started
    status, name = model_status(h)
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    is_mip = matrix.integer_columns.size > 0
    gap = _finite(info.mip_gap) if is_mip and has_solution else (0.0 if has_solution else None)
    result = SolveResult(
        status=status,
        highs_status=name,
        has_solution=has_solution,
        objective_usd=_finite(info.objective_function_value) if has_solution else None,
        best_bound_usd=_finite(info.mip_dual_bound) if is_mip else None,
        mip_gap_pct=None if gap is None else 100 * gap,
        solve_seconds=seconds,
    )
    if status == "time_limit":
        result.notes.append(
            f"stopped by the time limit of {options.time_limit_s:g} s"
            + (" with an incumbent; gap as reported" if has_solution else " without a solution")
        )
    if has_solution:
        result.x = np.asarray(h.getSolution().col_value, dtype=float)
        if is_mip and duals:
            result.x[matrix.integer_columns] = np.round(result.x[matrix.integer_columns])
            started = time.perf_counter()
            result.row_dual = solve_fixed(matrix, result.x, options).row_dual
            result.dual_seconds = time.perf_counter() - started
        else:
            result.row_dual = np.asarray(h.getSolution().row_dual, dtype=float)
    return result


@dataclass
class FixedSolve:
    """The LP with integer decisions fixed: its status, objective, solution and row duals."""

    status: str
    objective_usd: float | None
    x: np.ndarray | None
    row_dual: np.ndarray | None


def solve_fixed(matrix: MatrixModel, x: np.ndarray, options: SolverOptions) -> FixedSolve:
    """Solve the LP with every integer column fixed at its value in ``x``.

    HiGHS' sign convention for a minimisation: a row dual is d(objective)/d(row bound), so a
    binding upper limit has a dual <= 0 and relaxing it by one unit saves ``-dual``.
    """
    h = new_highs(matrix.lp, options)
    idx = matrix.integer_columns.astype(np.int32)
    if idx.size:
        continuous = np.full(idx.size, highspy.HighsVarType.kContinuous)
        h.changeColsIntegrality(idx.size, idx, continuous)
        h.changeColsBounds(idx.size, idx, x[idx], x[idx])
    h.run()
    status = h.getModelStatus()
    name = _STATUS.get(status.name, f"error: {status.name}")
    if status != highspy.HighsModelStatus.kOptimal:
        return FixedSolve(name, None, None, None)
    solution = h.getSolution()
    return FixedSolve(
        name,
        float(h.getInfo().objective_function_value),
        np.asarray(solution.col_value, dtype=float),
        np.asarray(solution.row_dual, dtype=float),
    )


def load_values(matrix: MatrixModel, x: np.ndarray) -> None:
    """Write a solution vector into the Pyomo variables (integers rounded)."""
    with PauseGC():
        for var, value in zip(matrix.columns, x.tolist(), strict=True):
            var.set_value(value, skip_validation=True)
