"""One run: scenario -> model -> HiGHS -> results, with progress messages and honest statuses."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from importlib.metadata import version

from optimizer.model import LIMIT_CONSTRAINTS, build_model
from optimizer.results import Results, collect_results
from optimizer.scenario import Scenario
from optimizer.solve import (
    SolverOptions,
    describe_violations,
    explain_infeasibility,
    load_values,
    solve_matrix,
    to_matrix,
)

Progress = Callable[[str], None]


def solver_options(scenario: Scenario, **overrides) -> SolverOptions:
    """The scenario's solver settings, with keyword overrides (e.g. ``log_to_console=True``)."""
    cfg = scenario.config.solver
    options = SolverOptions(
        time_limit_s=cfg.time_limit_s,
        mip_rel_gap=cfg.mip_rel_gap,
        threads=cfg.threads,
        seed=cfg.seed,
    )
    return dataclasses.replace(options, **overrides)


def _versions() -> dict[str, str]:
    return {pkg: version(pkg) for pkg in ("dcsite", "pyomo", "highspy")}


def run_scenario(
    scenario: Scenario, options: SolverOptions | None = None, progress: Progress | None = None
) -> Results:
    """Build, solve and read back one scenario. An infeasible scenario returns Results whose
    summary has ``status == "infeasible"`` and an ``infeasibility`` explanation."""
    say = progress or (lambda _msg: None)
    options = options or solver_options(scenario)
    say(f"building model for scenario {scenario.config.name} ...")
    built = build_model(scenario)
    matrix = to_matrix(built.model)
    size = matrix.shape
    say(
        f"built in {built.build_seconds:.2f} s, handed to HiGHS in {matrix.handoff_seconds:.2f} s:"
        f" {size['variables']:,} variables ({size['integer_variables']:,} integer),"
        f" {size['constraints']:,} constraints, {size['nonzeros']:,} nonzeros"
    )
    say(f"solving (time limit {options.time_limit_s:g} s, gap {100 * options.mip_rel_gap:g} %) ...")
    result = solve_matrix(matrix, options)
    say(f"HiGHS: {result.highs_status} after {result.solve_seconds:.2f} s")
    info = {
        "name": scenario.config.name,
        "source": str(scenario.source),
        "hash": scenario.hash(),
        "versions": _versions(),
    }
    if result.has_solution:
        load_values(matrix, result.x)
    results = collect_results(built, matrix, result, scenario, info)
    if result.status == "infeasible":
        say("infeasible: looking for the limits that conflict ...")
        violations = explain_infeasibility(matrix, options, LIMIT_CONSTRAINTS)
        results.summary["infeasibility"] = [dataclasses.asdict(v) for v in violations]
        results.summary["explanation"] = describe_violations(violations)
    return results
