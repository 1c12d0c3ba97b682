"""Why a scenario is infeasible: the least relaxation of the user's limits that admits a plan.

The model is re-solved as an LP with a penalised slack on every row of the limits the user sets
(the model declares them); the rows whose slack is used say which limits cannot hold together
and by how much.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
from scipy import sparse

from optimizer.solve.highs import INF, MatrixModel, SolverOptions, new_highs


@dataclass
class Violation:
    """A limit that had to be relaxed to find any solution."""

    constraint: str  # component name, e.g. siting_training_target
    index: str  # the row's index, e.g. "('r1', 't01')", or "" for a scalar constraint
    amount: float  # how far the row had to be relaxed, in the row's unit (MW, MWh, ...)


def explain_infeasibility(
    matrix: MatrixModel,
    options: SolverOptions,
    relaxable: Sequence[pyo.Constraint],
    max_rows: int = 5,
) -> list[Violation]:
    """Re-solve with a slack (cost 1 per unit) on every row of the ``relaxable`` constraint
    components (``ModelParts.limits()``: the limits a user sets, such as targets, caps and
    budgets, not the physics of balances and state of charge), and list the rows that need one.

    The minimum total relaxation says which limits cannot all hold, where, and by how much.
    Returns the largest relaxations of each constraint component, largest first.
    """
    lp = matrix.lp
    n_col, n_row = lp.num_col_, lp.num_row_
    a = sparse.csc_array(
        (lp.a_matrix_.value_, lp.a_matrix_.index_, lp.a_matrix_.start_), shape=(n_row, n_col)
    )
    limits = {id(component) for component in relaxable}
    is_limit = np.array([id(con.parent_component()) in limits for con in matrix.rows], dtype=bool)
    rows_up = np.flatnonzero(is_limit & (matrix.row_sense >= 0))  # may be exceeded (<=, =)
    rows_down = np.flatnonzero(is_limit & (matrix.row_sense <= 0))  # may fall short (>=, =)
    slack = sparse.hstack(
        [
            sparse.csc_array((-np.ones(rows_up.size), (rows_up, np.arange(rows_up.size))),
                             shape=(n_row, rows_up.size)),
            sparse.csc_array((np.ones(rows_down.size), (rows_down, np.arange(rows_down.size))),
                             shape=(n_row, rows_down.size)),
        ],
        format="csc",
    )  # fmt: skip
    full = sparse.hstack([a, slack], format="csc")
    full.sort_indices()
    n_slack = slack.shape[1]
    elastic = highspy.HighsLp()
    elastic.num_col_, elastic.num_row_ = n_col + n_slack, n_row
    elastic.col_cost_ = np.concatenate([np.zeros(n_col), np.ones(n_slack)])
    elastic.col_lower_ = np.concatenate([np.asarray(lp.col_lower_), np.zeros(n_slack)])
    elastic.col_upper_ = np.concatenate([np.asarray(lp.col_upper_), np.full(n_slack, INF)])
    elastic.row_lower_, elastic.row_upper_ = lp.row_lower_, lp.row_upper_
    elastic.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    elastic.a_matrix_.start_, elastic.a_matrix_.index_ = full.indptr, full.indices
    elastic.a_matrix_.value_ = full.data
    elastic.integrality_ = list(lp.integrality_) + [highspy.HighsVarType.kContinuous] * n_slack
    h = new_highs(elastic, options)
    h.run()
    if h.getInfo().primal_solution_status != 2:
        return []
    values = np.asarray(h.getSolution().col_value)[n_col:]
    used_rows = np.concatenate([rows_up, rows_down])
    by_component: dict[str, list[Violation]] = defaultdict(list)
    for row, amount in zip(used_rows, values, strict=True):
        if amount > 1e-6:
            con = matrix.rows[row]
            index = con.index()
            by_component[con.parent_component().name].append(
                Violation(con.parent_component().name, "" if index is None else str(index), amount)
            )
    out = []
    for items in sorted(by_component.values(), key=lambda v: -sum(x.amount for x in v)):
        out.extend(sorted(items, key=lambda v: -v.amount)[:max_rows])
    return out


def describe_violations(violations: list[Violation]) -> str:
    """One line per relaxed limit, grouped by constraint family."""
    if not violations:
        return "HiGHS found no solution even with every limit relaxed (check variable bounds)."
    lines = ["these limits cannot all hold (minimum relaxation that makes the scenario feasible):"]
    for v in violations:
        where = f"[{v.index}]" if v.index else ""
        lines.append(f"  {v.constraint}{where} relaxed by {v.amount:,.3f}")
    return "\n".join(lines)
