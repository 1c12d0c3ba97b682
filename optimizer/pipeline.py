"""One pipeline for every scenario: prepare a source, solve it, write its run folder.

```python
source = Source.of("data/scenarios/us-default.yaml", ["build.n_metros=15"])  # or a folder
prepared = prepare(source, data_dir)         # the validated scenario (+ full year, tables)
results = solve(prepared, solver_options(prepared.scenario, threads=2))
write_run(results, "runs/us", data_dir)      # tables, summary.json, GeoJSON, map, plots
```

``dcsite run``, each variant of ``dcsite batch`` and the notebooks call these same functions,
so every run folder has the same files. Solving is model -> HiGHS -> results, with progress
messages and honest statuses; where the scenario has a full year, the plan is then operated
over every hour (:mod:`optimizer.checks.fullyear`) and in every weather year.

Robust rounds (``build.robust_day_rounds``, built scenarios): the representative days cannot
hold every tight hour of nine years, so a plan that keeps its curtailment budget on them may
still curtail beyond it in some year's hourly operation. After each solve, the days on which
each such year curtails most beyond the budget (:func:`optimizer.checks.years.tightest_days`)
join ``build.required_days``, the scenario is prepared again and solved again, until no year
curtails beyond its budget or the rounds run out (day generation, a cutting-plane loop over
days). The summary's ``robust_rounds`` lists each round.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.builders.us.cache import cached_build
from optimizer.builders.us.scenario import assemble, ba_summary, days_summary
from optimizer.checks.fullyear import full_year_check
from optimizer.checks.years import YearSteps, operate_years
from optimizer.export import write_run_exports
from optimizer.inputs import registry as reg
from optimizer.model import BuiltModel, build_model
from optimizer.results.collect import Results, collect_results
from optimizer.scenario import Scenario, load_scenario
from optimizer.solve.highs import MatrixModel, SolveResult, SolverOptions, load_values, to_matrix
from optimizer.solve.infeasibility import describe_violations, explain_infeasibility
from optimizer.solve.plan import solve_plan
from optimizer.source import Source

Progress = Callable[[str], None]


def solver_options(scenario: Scenario, **overrides) -> SolverOptions:
    """The scenario's solver settings, with keyword overrides (e.g. ``log_to_console=True``)."""
    cfg = scenario.config.solver
    options = SolverOptions(
        time_limit_s=cfg.time_limit_s,
        mip_gap_pct=cfg.mip_gap_pct,
        threads=cfg.threads,
        seed=cfg.seed,
    )
    return dataclasses.replace(options, **overrides)


def _versions() -> dict[str, str]:
    return {pkg: version(pkg) for pkg in ("dcsite", "pyomo", "highspy")}


@dataclass
class Prepared:
    """A scenario ready to solve, and what preparing it found on the way."""

    scenario: Scenario
    full_year: Scenario | None = None
    """the same settings and plan decisions over every hour (built scenarios)"""
    weather_years: dict[int, YearSteps] = field(default_factory=dict)
    """every hour of each year of the load record, to operate the plan in (built scenarios)"""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    """the builder's tables, written into the run folder (``time_to_power``, ...)"""
    stage_seconds: dict[str, float] = field(default_factory=dict)
    again: Callable[[list[str]], Prepared] | None = None
    """the same source prepared again with these days (ISO dates) as ``build.required_days``
    (built scenarios: the robust rounds)"""
    source: Source | None = None
    """what the scenario was read or built from; its run folder records it (``scenario/``)"""
    info: dict[str, Any] = field(default_factory=dict)
    """keys the run's summary gains for a built scenario: ``build`` (key, id, seconds, reused),
    ``bas`` (BAs asked for and modelled, those left out with the reason, those whose seasonal
    thresholds lack years of record), ``representative_days`` (days, peak days and the largest
    shortfall of a BA's extreme on its peak day), ``ba_polygons`` (the mirror's polygon file;
    the map draws it) and ``left_out_metros`` (metro code: name and reason)"""


def prepare(
    source: Source,
    data_dir: str | os.PathLike[str] | None = None,
    full_year: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> Prepared:
    """Read a scenario folder, or build a built scenario file's scenario from the public data
    in ``data_dir`` (with its full year unless ``full_year`` is False). With ``cache_dir``, the
    build is shared through that folder by every scenario with the same build key
    (:mod:`optimizer.builders.us.cache`). Raises :class:`~optimizer.errors.InputError` for
    anything the user can fix."""
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    if not source.built:
        scenario = load_scenario(source.path, source.overrides, source.override_files)
        stages = {"scenario load": time.perf_counter() - started}
        return Prepared(scenario, source=source, stage_seconds=stages)
    config = source.config()
    build, record = cached_build(config, data_dir, cache_dir, full_year, say)
    if record["reused"]:
        stages = {"shared build load": time.perf_counter() - started}
        say(f"shared build {record['key'][:12]} reused ({stages['shared build load']:.1f} s)")
    else:
        stages = dict(build.stage_seconds)
    started = time.perf_counter()
    label = f"{source.path} built from {data_dir}"
    scenario, full = assemble(config, build, label, full_year)
    years: dict[int, YearSteps] = dict(build.weather_years) if full_year else {}
    stages["assemble"] = time.perf_counter() - started

    def again(days: list[str]) -> Prepared:
        # one required_days override, the last: ``days`` hold the earlier rounds' and the user's
        kept = [o for o in source.overrides if not o.strip().startswith(REQUIRED_DAYS + "=")]
        required = f"{REQUIRED_DAYS}=[{', '.join(days)}]"
        more = dataclasses.replace(source, overrides=(*kept, required))
        return prepare(more, data_dir, full_year, cache_dir, progress)

    return Prepared(
        scenario=scenario,
        full_year=full,
        weather_years=years,
        tables=build.tables,
        stage_seconds=stages,
        again=again,
        source=source,
        info={
            "build": record,
            "bas": ba_summary(build.tables["balancing_authorities"]),
            "representative_days": days_summary(
                build.tables["representative_days"],
                build.tables["peak_days"],
                build.tables.get("plan_years"),
            ),
            "ba_polygons": (
                reg.BA_POLYGONS if config.build.duke22_polygons else reg.BA_POLYGONS_ALL
            ).path,
            "left_out_metros": {
                row["metro"]: f"{row['note']}: {row['reason']}"
                for row in build.tables["left_out_metros"].to_dict("records")
            },
        },
    )


def collect_run(
    built: BuiltModel, matrix: MatrixModel, result: SolveResult, scenario: Scenario
) -> Results:
    """The results of a solve as a run folder holds them: the solution loaded into the model
    and read back, with the scenario's name, source, hash and the package versions, and its
    time steps (``dcsite run``, and each plan ``dcsite alternatives`` writes)."""
    info = {
        "name": scenario.config.name,
        "source": str(scenario.source),
        "hash": scenario.hash(),
        "versions": _versions(),
    }
    if result.has_solution:
        load_values(matrix, result.x)
    results = collect_results(built, matrix, result, scenario, info)
    results.timesteps = scenario.timesteps
    return results


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
    say(f"solving (time limit {options.time_limit_s:g} s, gap {options.mip_gap_pct:g} %) ...")
    result = solve_plan(built, matrix, options, say)
    say(f"{result.status} after {result.solve_seconds:.2f} s ({result.highs_status})")
    results = collect_run(built, matrix, result, scenario)
    if result.status == "infeasible":
        say("infeasible: looking for the limits that conflict ...")
        violations = explain_infeasibility(matrix, options, built.parts.limits())
        results.summary["infeasibility"] = [dataclasses.asdict(v) for v in violations]
        results.summary["explanation"] = describe_violations(violations)
    return results, built


def solve(
    prepared: Prepared, options: SolverOptions | None = None, progress: Progress | None = None
) -> Results:
    """Solve a prepared scenario and read back its results; where it has a full year, operate
    the plan over every hour (``full_year`` in the summary) and in every year of the record
    (``weather_years``, with its tables ``weather_years`` and ``weather_year_bas``). The summary
    gains ``stages_seconds`` and what preparing recorded; the results carry the builder's
    tables and the source (recorded in the run folder). With ``build.robust_day_rounds``, the
    robust rounds (module docstring): the results are the last round's, with ``robust_rounds``
    in the summary (and the source of the last round, its required days among the overrides)."""
    say = progress or (lambda _msg: None)
    results = _solve_once(prepared, options, say)
    build = getattr(prepared.scenario.config, "build", None)
    rounds = build.robust_day_rounds if build is not None else 0
    if not rounds or prepared.again is None:
        return results
    required = [day.isoformat() for day in build.required_days]
    history = []
    for round_number in range(1, rounds + 1):
        new = _new_days(results)
        history.append(_round_row(round_number - 1, results.summary, required, new))
        if not new:
            break
        say(f"robust round {round_number}: {len(new)} tight day(s) join the plan's days: "
            f"{', '.join(new)}")  # fmt: skip
        required = sorted({*required, *new})
        prepared = prepared.again(required)
        results = _solve_once(prepared, options, say)
    else:
        history.append(_round_row(rounds, results.summary, required, _new_days(results)))
    results.summary["robust_rounds"] = history
    return results


REQUIRED_DAYS = "build.required_days"
ROUND_DAYS = 10
"""Days a robust round adds per year that curtails beyond its budget."""


def _new_days(results: Results) -> list[str]:
    """The days (ISO dates) a robust round adds: in each weather year that curtails beyond its
    budget, the :data:`ROUND_DAYS` tightest days the plan's days do not yet hold whole (its
    peak and required days; a typical day stands for others, so its day may be added)."""
    years = (results.summary.get("weather_years") or {}).get("years", {})
    days = results.extras.get("representative_days")
    whole = set() if days is None else {str(d) for d in days.loc[days["kind"] == "peak", "date"]}
    new: set[str] = set()
    for row in years.values():
        tight = [d.removeprefix("d") for d in row.get("tightest_days", [])]
        new.update([d for d in tight if d not in whole][:ROUND_DAYS])
    return sorted(new)


def _round_row(number: int, summary: dict, required: list[str], new: list[str]) -> dict:
    years = (summary.get("weather_years") or {}).get("years", {})
    beyond = {
        int(y): row["curtailment_beyond_budget_mwh"]
        for y, row in years.items()
        if (row.get("curtailment_beyond_budget_mwh") or 0.0) > 0
    }
    return {
        "round": number,
        "objective_usd": summary.get("objective_usd"),
        "required_days": list(required),
        "years_beyond_budget": beyond,
        "days_added_next": new,
    }


def _solve_once(prepared: Prepared, options: SolverOptions | None, say: Progress) -> Results:
    """One solve of a prepared scenario with its checks (:func:`solve` without the rounds)."""
    scenario = prepared.scenario
    say(f"scenario {scenario.summary()}")
    options = options or solver_options(scenario)
    results, reduced = _run(scenario, options, say)
    summary = results.summary
    stages = dict(prepared.stage_seconds)
    stages.update(
        {
            "model build": summary["build_seconds"],
            "hand-off to HiGHS": summary["handoff_seconds"],
            "solve": summary["solve_seconds"],
        }
    )
    if prepared.full_year is not None and summary["has_solution"]:
        say("full-year check: operating the plan over every hour of the year ...")
        check = full_year_check(reduced, prepared.full_year, summary, options)
        summary["full_year"] = check
        stages["full-year check"] = check["seconds"]
        say(
            f"full year: dispatch cost {check['dispatch_cost_usd'] / 1e6:,.1f} M USD "
            f"({check['difference']['dispatch_cost_pct']:+.2f} % vs the representative days), "
            f"curtailment {check['training_curtailment_pct']:.2f} %, unserved "
            f"{check['unserved_energy_mwh']:,.0f} MWh"
        )
    if prepared.weather_years and prepared.full_year is not None and summary["has_solution"]:
        say(f"weather years: operating the plan in {len(prepared.weather_years)} years ...")
        left = prepared.tables.get("weather_year_coverage")
        left_out = {} if left is None else dict(zip(left["year"], left["left_out"], strict=True))
        table, bas, info = operate_years(
            reduced, prepared.full_year, prepared.weather_years, options, left_out
        )
        summary["weather_years"] = info
        stages["weather years"] = info["seconds"]
        results.extras["weather_years"] = table
        results.extras["weather_year_bas"] = bas
        cut = table["training_curtailment_pct"]
        say(
            f"weather years: {info['seconds']:.1f} s; curtailment {cut.min():.2f}-{cut.max():.2f} %"
            f" (worst {int(table.loc[cut.idxmax(), 'year'])}), unserved up to "
            f"{table['unserved_energy_mwh'].max():,.0f} MWh"
        )
    summary["stages_seconds"] = stages
    summary.update(prepared.info)
    results.extras = {**prepared.tables, **results.extras}
    results.source = prepared.source
    return results


def write_run(
    results: Results,
    out_dir: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None = None,
    protect: Iterable[str | os.PathLike[str] | None] = (),
    exports: bool = True,
) -> Path:
    """Write the run folder atomically (:meth:`Results.save`), with its GeoJSON layers, map and
    plots unless ``exports`` is False; ``data_dir`` draws the map's states and BA polygons.
    Results of a prepared source record it in the folder's ``scenario/``
    (:meth:`optimizer.source.Source.record`)."""
    extras = (lambda folder: write_run_exports(folder, data_dir)) if exports else None
    return results.save(out_dir, extras=extras, protect=protect)


def run_scenario(
    scenario: Scenario, options: SolverOptions | None = None, progress: Progress | None = None
) -> Results:
    """Solve one scenario and read back its results (:func:`solve` of the scenario alone). An
    infeasible scenario returns Results whose summary has ``status == "infeasible"`` and an
    ``infeasibility`` explanation."""
    return solve(Prepared(scenario), options, progress)
