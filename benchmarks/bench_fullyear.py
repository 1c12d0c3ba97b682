"""Benchmark: the full-year check of the default US plan, Pyomo model against matrix dispatch LP.

Run from the project root (the data mirror beside it):

    DCSITE_DATA=../shared/data .venv/bin/python benchmarks/bench_fullyear.py [--set PATH=VALUE ...]

Prepares the default scenario and solves its plan on the representative days once (the solved
plan is kept in ``--plan``, keyed by the scenario's hash, and reused by the next run), then
operates that plan over all 8,784 hours of 2024 both ways: the Pyomo ``operational_check`` model
(``operate_with_pyomo``: restrict the scenario, build, fix, hand-off, solve, read back) and the
matrix dispatch LP (``operate_with_matrices``: read the plan, the year's model data, the LP's
arrays and their hand-off, solve), then ``full_year_check`` end to end. Prints the seconds of
each stage, checks that both give the same objective and figures (1e-6 relative) and writes the
same as JSON to ``benchmarks/results/fullyear.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from optimizer.builders.us.settings import DEFAULT_SCENARIO
from optimizer.checks.dispatch import DispatchSolution
from optimizer.checks.fullyear import full_year_check, operate_with_matrices, operate_with_pyomo
from optimizer.model import build_model
from optimizer.pipeline import _run, prepare, solver_options
from optimizer.solve.highs import load_values, to_matrix
from optimizer.source import Source

REL = 1e-6
FIGURES = ("curtailed_mwh", "curtail_excess_mwh", "shortfall_mwh", "unassigned_mwh")


def solved_plan(prepared, options, plan_file: Path):
    """The solved reduced model and its summary: from ``plan_file`` when it holds this
    scenario's plan, else solved (and saved there)."""
    scenario = prepared.scenario
    if plan_file.exists():
        saved = np.load(plan_file, allow_pickle=False)
        if str(saved["hash"]) == scenario.hash():
            print(f"reusing the solved plan in {plan_file}")
            built = build_model(scenario)
            load_values(to_matrix(built.model), saved["x"])
            return built, json.loads(str(saved["summary"]))
    results, built = _run(scenario, options, print)
    x = np.array([v.value or 0.0 for v in to_matrix(built.model).columns])
    plan_file.parent.mkdir(parents=True, exist_ok=True)
    summary = json.dumps(results.summary, default=float)
    np.savez(plan_file, x=x, hash=scenario.hash(), summary=summary)
    return built, results.summary


def _same(a: DispatchSolution, b: DispatchSolution) -> dict[str, float]:
    """Relative differences of the objective, each cost term and each figure."""

    def rel(x: float, y: float, scale: float) -> float:
        return abs(x - y) / max(abs(y), scale)

    scale = abs(b.objective_usd)
    out = {"objective_usd": rel(a.objective_usd, b.objective_usd, 1.0)}
    out.update({k: rel(a.cost_usd[k], v, REL * scale) for k, v in b.cost_usd.items()})
    energy = max(1.0, b.campus_mw * b.hours)
    out.update({k: rel(getattr(a, k), getattr(b, k), energy) for k in FIGURES})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--plan", default="benchmarks/results/fullyear_plan.npz")
    parser.add_argument("--cache-dir", default=None, help="shared build folder (optional)")
    parser.add_argument("--out", default="benchmarks/results/fullyear.json")
    args = parser.parse_args()
    source = Source.of(DEFAULT_SCENARIO, args.overrides)
    prepared = prepare(source, os.environ.get("DCSITE_DATA"), cache_dir=args.cache_dir)
    options = solver_options(prepared.scenario)
    built, summary = solved_plan(prepared, options, Path(args.plan))
    year = prepared.full_year
    print(f"full year: {year.summary()}")

    started = time.perf_counter()
    new, new_stages = operate_with_matrices(built, year, options)
    new_stages["total"] = time.perf_counter() - started
    started = time.perf_counter()
    old, old_stages = operate_with_pyomo(built, year, options)
    old_stages["total"] = time.perf_counter() - started
    started = time.perf_counter()
    check = full_year_check(built, year, summary, options)
    check_seconds = time.perf_counter() - started

    differences = _same(new, old)
    worst = max(differences.values())
    report = {
        "pyomo_seconds": old_stages,
        "matrix_seconds": new_stages,
        "full_year_check_seconds": check_seconds,
        "speedup": old_stages["total"] / new_stages["total"],
        "objective_usd": {"pyomo": old.objective_usd, "matrix": new.objective_usd},
        "largest_relative_difference": worst,
        "relative_differences": differences,
        "full_year": check,
        "overrides": args.overrides,
    }
    print(f"\n{'Pyomo model':<28}{'seconds':>9}    {'matrix dispatch LP':<28}{'seconds':>9}")
    rows = max(len(old_stages), len(new_stages))
    left, right = list(old_stages.items()), list(new_stages.items())
    for i in range(rows):
        a = f"{left[i][0]:<28}{left[i][1]:>9.2f}" if i < len(left) else " " * 37
        b = f"{right[i][0]:<28}{right[i][1]:>9.2f}" if i < len(right) else ""
        print(f"{a}    {b}")
    print(f"\nfull_year_check end to end: {check_seconds:.2f} s "
          f"(speedup of the operation {report['speedup']:.0f}x)")  # fmt: skip
    print(f"objective: Pyomo {old.objective_usd:,.2f} USD, matrix {new.objective_usd:,.2f} USD; "
          f"largest relative difference {worst:.1e}")  # fmt: skip
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=float))
    if worst > REL or old.status != new.status:
        raise SystemExit(f"the two paths differ: {differences}")


if __name__ == "__main__":
    main()
