"""Benchmark: the default US scenario end to end, by stage, with peak memory.

Run from the project root (the data mirror beside it):

    DCSITE_DATA=../shared/data .venv/bin/python benchmarks/bench_default.py [--set PATH=VALUE ...]

Prints a table of stage times (data load, sites, latency, time reduction, model build, hand-off
to HiGHS, solve, full-year check), the gap reached, the model size and the peak resident memory,
and writes the same as JSON to ``benchmarks/results/default.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

from optimizer.builders.us.settings import DEFAULT_SCENARIO
from optimizer.pipeline import prepare, solve
from optimizer.source import Source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--out", default="benchmarks/results/default.json")
    args = parser.parse_args()
    source = Source.of(DEFAULT_SCENARIO, args.overrides)
    started = time.perf_counter()
    results = solve(prepare(source, os.environ.get("DCSITE_DATA"), progress=print), progress=print)
    total = time.perf_counter() - started
    summary = results.summary
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    report = {
        "stages_seconds": summary["stages_seconds"],
        "total_seconds": total,
        "peak_memory_gib": peak_gib,
        "status": summary["status"],
        "mip_gap_pct": summary["mip_gap_pct"],
        "objective_usd": summary["objective_usd"],
        "best_bound_usd": summary["best_bound_usd"],
        "model_size": summary["model_size"],
        "full_year_dispatch_cost_pct": summary.get("full_year", {})
        .get("difference", {})
        .get("dispatch_cost_pct"),
        "overrides": args.overrides,
    }
    print(f"\n{'stage':<22}{'seconds':>10}")
    for stage, seconds in summary["stages_seconds"].items():
        print(f"{stage:<22}{seconds:>10.1f}")
    print(f"{'total':<22}{total:>10.1f}")
    print(f"peak memory {peak_gib:.2f} GiB; status {summary['status']}, gap "
          f"{summary['mip_gap_pct'] or 0:.2f} %; size {summary['model_size']}")  # fmt: skip
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
