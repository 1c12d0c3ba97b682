"""The task a worker runs: one near-optimal solve, on a model built once per worker process.

:func:`solve_task` rebuilds the run's model from the scenario its run folder records
(:func:`optimizer.source.recorded_source`, with the data directory handed to the task), hands it
to HiGHS, reads the run's plan back and adds the cost row (:class:`NearOptimal`), all once per
process: later tasks of the same job find it in :data:`_CACHE` and change only the objective.
A Hop-Skip-Jump task also writes its plan as a run folder, through the same writer as
``dcsite run`` (:func:`optimizer.pipeline.write_run`).
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer.alternatives.problem import NearOptimal, Objective, check_plan_cost, plan_of_run
from optimizer.solve.highs import SolveResult, SolverOptions, solve_fixed


@dataclass(frozen=True)
class AlternativesJob:
    """What every task of one ``dcsite alternatives`` needs (picklable, paths absolute)."""

    job_id: str
    run_dir: str
    data_dir: str | None
    slack_pct: float
    time_limit_s: float
    """per solve"""
    threads: int = 1
    exports: bool = True
    """write maps and plots into each plan's run folder"""


@dataclass
class _State:
    job_id: str
    prepared: Any
    built: Any
    matrix: Any
    problem: NearOptimal
    setup_seconds: float


_CACHE: dict[str, _State] = {}
"""The model of the current job in this process (one job at a time: the last one is kept)."""


def _state(job: AlternativesJob) -> tuple[_State, bool]:
    state = _CACHE.get(job.job_id)
    if state is not None:
        return state, False
    _CACHE.clear()  # one model in memory per worker
    from optimizer.model import build_model
    from optimizer.pipeline import prepare
    from optimizer.results.folder import read_summary, read_table
    from optimizer.solve.highs import to_matrix
    from optimizer.source import recorded_source

    started = time.perf_counter()
    prepared = prepare(recorded_source(job.run_dir), job.data_dir, full_year=False)
    built = build_model(prepared.scenario)
    matrix = to_matrix(built.model)
    options = SolverOptions(time_limit_s=job.time_limit_s, threads=job.threads)
    x, cost = plan_of_run(built, matrix, read_table(job.run_dir, "sites"), options)
    check_plan_cost(cost, read_summary(job.run_dir).get("objective_usd"), job.run_dir)
    problem = NearOptimal(built, matrix, x, cost, job.slack_pct, options)
    state = _State(job.job_id, prepared, built, matrix, problem, time.perf_counter() - started)
    _CACHE[job.job_id] = state
    return state, True


def _write_plan(
    job: AlternativesJob, state: _State, x: Any, out_dir: str, info: dict[str, Any]
) -> dict[str, Any]:
    """Write plan ``x`` as a run folder: its integers fixed, the LP solved again for its exact
    cost and duals, the tables read back as ``dcsite run`` reads them, and the run's scenario
    recorded (so ``dcsite alternatives`` runs on a plan too)."""
    from optimizer.pipeline import collect_run, write_run

    matrix, built = state.matrix, state.built
    started = time.perf_counter()
    options = SolverOptions(time_limit_s=max(job.time_limit_s, 600.0), threads=job.threads)
    fixed = solve_fixed(matrix, x, options)
    if fixed.x is None:
        raise RuntimeError(f"plan {info['name']}: its fixed LP is {fixed.status}")
    result = SolveResult(
        status="optimal",
        highs_status="near-optimal alternative: integers fixed, LP solved",
        has_solution=True,
        objective_usd=fixed.objective_usd,
        best_bound_usd=None,
        mip_gap_pct=None,
        solve_seconds=time.perf_counter() - started,
        x=fixed.x,
        row_dual=fixed.row_dual,
        notes=[f"near-optimal alternative {info['name']} within {job.slack_pct:g} % of the run"],
    )
    results = collect_run(built, matrix, result, state.prepared.scenario)
    results.source = state.prepared.source  # the plan's folder records the run's scenario
    results.summary["alternative"] = {
        **info,
        "cost_usd": fixed.objective_usd,
        "cost_above_run_pct": 100 * (fixed.objective_usd / state.problem.plan_cost_usd - 1),
        "run_id": uuid.uuid4().hex,
    }
    write_run(results, out_dir, job.data_dir, exports=job.exports)
    return results.summary["alternative"]


def solve_task(
    job: AlternativesJob, objective: Objective, plan_dir: str | None = None
) -> dict[str, Any]:
    """Solve one objective (:meth:`NearOptimal.solve`); with ``plan_dir``, write the plan found
    there as a run folder, if it is a new one (a rounding within the slack, not a plan known
    before). A picklable record of what was found."""
    state, new = _state(job)
    found = state.problem.solve(objective, job.time_limit_s)
    out = dataclasses.asdict(dataclasses.replace(found, x=None))
    out.update(
        {
            "maximise": objective.maximise,
            "granularity_mw": state.problem.granularity_mw,
            "plan_cost_usd": state.problem.plan_cost_usd,
            "limit_usd": state.problem.limit_usd,
            "setup_seconds": state.setup_seconds if new else 0.0,
            "plan": None,
        }
    )
    if plan_dir is not None and found.status.startswith("rounded"):
        info = {"name": Path(plan_dir).name, "avoided_sites": list(objective.sites)}
        out["plan"] = _write_plan(job, state, found.x, plan_dir, info)
        out["cost_usd"] = out["plan"]["cost_usd"]
    return out
