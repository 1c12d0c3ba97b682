"""Benchmark: pooled campus sites against every site with its own hourly operation.

Run from the project root (the data mirror beside it):

    DCSITE_DATA=../shared/data .venv/bin/python benchmarks/bench_pools.py \
        [--set build.bas=[PNM,EPE,NEVP]] [--solve] [--time-limit 600]

Prepares the US scenario (default: the README's default run; ``--set`` narrows it, e.g. to a few
BAs, so that the unpooled model still fits), then builds the siting model both ways
(``build_model(pool_sites=True|False)``), hands each to HiGHS and reports the numbers of sites,
pools, columns, rows, nonzeros and the seconds of the build and the hand-off; with ``--solve``
also solves both MIPs (same gap and time limit) and checks that they reach the same objective
within the gap. Writes the report as JSON to ``benchmarks/results/pools.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from pathlib import Path

from optimizer.builders.us.settings import DEFAULT_SCENARIO
from optimizer.model import build_model
from optimizer.pipeline import prepare, solver_options
from optimizer.solve.highs import solve_matrix, to_matrix
from optimizer.source import Source


def measure(scenario, options, pool_sites: bool, solve: bool) -> dict:
    """Sizes and seconds of one way of building (and solving) the model."""
    started = time.perf_counter()
    built = build_model(scenario, pool_sites=pool_sites)
    build_seconds = time.perf_counter() - started
    matrix = to_matrix(built.model)
    d = built.data
    report = {
        "pool_sites": pool_sites,
        "campus_sites": len(d.campus_sites),
        "pools": len(d.pools),
        "hourly_sites": len(d.hourly_sites),
        "steps": len(d.timesteps),
        **matrix.shape,
        "build_seconds": build_seconds,
        "handoff_seconds": matrix.handoff_seconds,
    }
    if solve:
        result = solve_matrix(matrix, options, duals=False)
        report.update(
            status=result.status,
            objective_usd=result.objective_usd,
            best_bound_usd=result.best_bound_usd,
            mip_gap_pct=result.mip_gap_pct,
            solve_seconds=result.solve_seconds,
        )
    print(
        ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in report.items())
    )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--solve", action="store_true", help="also solve both MIPs")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per solve")
    parser.add_argument("--cache-dir", default=None, help="shared build folder (optional)")
    parser.add_argument("--out", default="benchmarks/results/pools.json")
    args = parser.parse_args()
    source = Source.of(DEFAULT_SCENARIO, args.overrides)
    prepared = prepare(source, os.environ.get("DCSITE_DATA"), cache_dir=args.cache_dir)
    options = solver_options(prepared.scenario)
    if args.time_limit:
        options = dataclasses.replace(options, time_limit_s=args.time_limit)
    print(prepared.scenario.summary())
    runs = [measure(prepared.scenario, options, pool, args.solve) for pool in (True, False)]
    report = {"overrides": args.overrides, "pooled": runs[0], "own": runs[1]}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=float))
    if args.solve and all(r["objective_usd"] is not None for r in runs):
        a, b = runs[0]["objective_usd"], runs[1]["objective_usd"]
        gap = max(r["mip_gap_pct"] or 0.0 for r in runs) / 100
        print(f"objectives: pooled {a:,.0f} USD, own {b:,.0f} USD (relative difference "
              f"{abs(a - b) / abs(b):.1e}, within the gap {gap:.1e})")  # fmt: skip
        if abs(a - b) > 1.01 * gap * max(abs(a), abs(b)) + 1e-6:
            raise SystemExit("the pooled and unpooled optima differ by more than the gap")


if __name__ == "__main__":
    main()
