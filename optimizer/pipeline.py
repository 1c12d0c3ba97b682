"""One run: scenario -> model -> HiGHS -> results, with progress messages and honest statuses."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from importlib.metadata import version

from optimizer.model import BuiltModel, build_model
from optimizer.results.collect import Results, collect_results
from optimizer.scenario import Scenario, ScenarioConfig
from optimizer.solve.highs import SolverOptions, load_values, to_matrix
from optimizer.solve.infeasibility import describe_violations, explain_infeasibility
from optimizer.solve.plan import solve_plan

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
    return _run(scenario, options or solver_options(scenario), say)[0]


def _run(scenario: Scenario, options: SolverOptions, say: Progress) -> tuple[Results, BuiltModel]:
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
    result = solve_plan(built, matrix, options, say)
    say(f"{result.status} after {result.solve_seconds:.2f} s ({result.highs_status})")
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
        violations = explain_infeasibility(matrix, options, built.parts.limits())
        results.summary["infeasibility"] = [dataclasses.asdict(v) for v in violations]
        results.summary["explanation"] = describe_violations(violations)
    return results, built


def run_us_scenario(
    config: ScenarioConfig,
    data_dir: str | None,
    options: SolverOptions | None = None,
    progress: Progress | None = None,
    full_year: bool = True,
) -> Results:
    """Build the US scenario from the public data, solve it, and operate the plan over the
    full year; the summary gains ``stages_seconds`` and ``full_year``."""
    from optimizer.builders.us.scenario import build_us_scenario
    from optimizer.checks.fullyear import full_year_check

    say = progress or (lambda _msg: None)
    built_us = build_us_scenario(config, data_dir, with_full_year=full_year, progress=say)
    scenario = built_us.scenario
    say(
        f"scenario: {len(scenario.sites)} sites, {len(scenario.metros)} metros, "
        f"{len(scenario.timesteps)} steps ({len(built_us.days)} days), "
        f"{len(scenario.latency)} admissible pairs"
    )
    options = options or solver_options(scenario)
    results, reduced = _run(scenario, options, say)
    stages = dict(built_us.stage_seconds)
    stages.update(
        {
            "model build": results.summary["build_seconds"],
            "hand-off to HiGHS": results.summary["handoff_seconds"],
            "solve": results.summary["solve_seconds"],
        }
    )
    if full_year and results.summary["has_solution"]:
        say("full-year check: operating the plan over every hour of the year ...")
        check = full_year_check(reduced, built_us.full_year, results.summary, options)
        results.summary["full_year"] = check
        stages["full-year check"] = check["seconds"]
        say(
            f"full year: dispatch cost {check['dispatch_cost_usd'] / 1e6:,.1f} M USD "
            f"({check['difference']['dispatch_cost_pct']:+.2f} % vs the representative days), "
            f"curtailment {check['training_curtailment_pct']:.2f} %, unserved "
            f"{check['unserved_energy_mwh']:,.0f} MWh"
        )
    results.summary["stages_seconds"] = stages
    results.summary["left_out_metros"] = built_us.left_out_metros["metro"].tolist()
    results.extras = {
        "time_to_power": built_us.time_to_power,
        "representative_days": built_us.days,
        "campus_candidates": built_us.campus_candidates.drop(columns="geometry"),
        "left_out_metros": built_us.left_out_metros,
    }
    return results
