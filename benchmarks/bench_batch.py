"""Benchmark of batch runs: speed-up of 2 local workers over 1, and the batch machinery's
overhead per variant against a plain in-process run (prepare + solve + write_run).

The tiny scenario solves in about 0.15 s, less than a worker process takes to import pyomo,
so the sweep runs on a bigger copy of it (``--days`` copies of its day and ``--copies``
copies of its sites, written to a temporary folder; about 1.5 s per solve by default) with a
grid of cost of capital x curtailment budget at a 400 MW training target.

Figures printed:

* end-to-end: ``run_sweep`` wall time with 1 and 2 workers (sweep check, cluster start, worker
  imports, all variants, summary table, shutdown) and their ratio; each is run ``--repeat``
  times, alternating, and the fastest run counts (other work on a shared machine only slows);
* steady state: first variant start to last variant end (from the run summaries), the part
  that scales with the number of variants, and its ratio;
* overhead per variant: steady-state time per variant with 1 worker minus the plain run's,
  and the end-to-end figure (fixed start-up spread over the variants);
* for scale, one plain ``dcsite run`` process (which pays the imports on every run).

Run: ``.venv/bin/python benchmarks/bench_batch.py [--variants 16] [--days 4] [--copies 3]``.
Machines shared with other work give noisy figures: the load average and the parallel capacity
left (two busy processes against one) are printed first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).absolute().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

WACC_VALUES = [5.0, 5.5, 6.0, 6.5, 7.0, 7.5, 8.0, 8.5, 9.0, 9.5, 10.0, 10.5, 11.0, 11.5, 12.0]


def write_sweep(folder: Path, base: Path, n: int) -> Path:
    """A sweep of ``n`` variants (n even): wacc values x two curtailment budgets."""
    if n % 2 or n < 2 or n // 2 > len(WACC_VALUES):
        raise SystemExit(f"--variants must be even, between 2 and {2 * len(WACC_VALUES)}")
    sweep = {
        "description": "batch benchmark",
        "base": str(base),
        "variants": [{"name": "t400", "set": {"training.target_mw": 400}}],
        "grid": {
            "finance.wacc_pct": WACC_VALUES[: n // 2],
            "training.curtailment_budget_pct": [0.5, 2.0],
        },
        "solver": {"time_limit_s": 120, "threads": 1},
    }
    path = folder / "bench-sweep.yaml"
    path.write_text(yaml.safe_dump(sweep, sort_keys=False))
    return path


def plain_runs(sweep_path: Path, out: Path, limit: int | None = None) -> list[float]:
    """Seconds of prepare + solve + write_run per variant, in this process."""
    from optimizer.batch import load_sweep
    from optimizer.pipeline import prepare, solve, write_run

    sweep = load_sweep(sweep_path)
    seconds = []
    for variant in sweep.variants[:limit]:
        started = time.perf_counter()
        write_run(solve(prepare(sweep.source_of(variant))), out / variant.name)
        seconds.append(time.perf_counter() - started)
    return seconds


def batch_run(sweep_path: Path, out: Path, workers: int) -> dict:
    """One run_sweep; its wall time and the steady-state span from the run summaries."""
    from optimizer.batch import run_sweep

    started = time.perf_counter()
    table = run_sweep(sweep_path, out, workers=workers, progress=False)
    wall = time.perf_counter() - started
    if not table["has_solution"].all():
        raise SystemExit(f"benchmark variants failed:\n{table[['variant', 'status', 'error']]}")
    runs = [json.loads(p.read_text()) for p in (out / "runs").glob("*/summary.json")]
    starts = [r["batch"]["started_epoch_s"] for r in runs]
    ends = [r["batch"]["started_epoch_s"] + r["batch"]["wall_seconds"] for r in runs]
    return {
        "wall": wall,
        "span": max(ends) - min(starts),
        "task": statistics.mean(r["batch"]["wall_seconds"] for r in runs),
        "n": len(runs),
    }


def dcsite_run_seconds(sweep_path: Path, out: Path) -> float:
    """Wall time of one ``dcsite run`` process on the first variant."""
    from optimizer.batch import load_sweep

    sweep = load_sweep(sweep_path)
    variant = sweep.variants[0]
    argv = [sys.executable, "-m", "optimizer.cli", "run", str(sweep.base), "--out", str(out),
            "--quiet"]  # fmt: skip
    for text in variant.set_args():
        argv += ["--set", text]
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


def parallel_capacity() -> float:
    """How many busy processes this machine runs at once at full speed right now (2.0 on two
    idle cores): one CPU-bound process alone, then two at once."""
    argv = [sys.executable, "-c", "sum(range(4 * 10**7))"]

    def timed(n: int) -> float:
        started = time.perf_counter()
        procs = [subprocess.Popen(argv) for _ in range(n)]
        for proc in procs:
            proc.wait()
        return time.perf_counter() - started

    alone = timed(1)
    return 2 * alone / timed(2)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", type=int, default=16, help="variants (even, >= 8)")
    parser.add_argument("--days", type=int, default=4, help="copies of the tiny scenario's day")
    parser.add_argument("--copies", type=int, default=3, help="copies of its sites")
    parser.add_argument(
        "--repeat", type=int, default=2, help="batch runs per worker count; the best counts"
    )
    args = parser.parse_args()

    from test_batch_scenarios import SCENARIOS, scaled_scenario

    print(
        f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f} (1 min), two busy "
        f"processes run {parallel_capacity():.2f}x as fast as one (the ceiling of any speed-up)"
    )
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        folder = Path(tmp)
        base = scaled_scenario(SCENARIOS / "tiny", folder / "tiny-x", args.days, args.copies)
        sweep_path = write_sweep(folder, base, args.variants)
        print(
            f"sweep: {args.variants} variants of tiny x {args.days} days x {args.copies} site "
            "copies (grid: cost of capital x curtailment budget, 400 MW training)"
        )
        plain_runs(sweep_path, folder / "warm", limit=1)  # imports out of the figures
        plain = plain_runs(sweep_path, folder / "plain")
        t_plain = statistics.mean(plain)
        print(
            f"plain in-process run + save: {t_plain:.2f} s per variant "
            f"(min {min(plain):.2f}, max {max(plain):.2f}), {sum(plain):.1f} s in all"
        )
        results: dict[int, list[dict]] = {1: [], 2: []}
        for i in range(args.repeat):  # alternated, so that other work on the machine hits both
            for workers in (1, 2):
                results[workers].append(batch_run(sweep_path, folder / f"b{workers}-{i}", workers))
        one, two = (min(results[w], key=lambda r: r["wall"]) for w in (1, 2))
        for workers in (1, 2):
            walls = ", ".join(f"{r['wall']:.1f}" for r in results[workers])
            print(f"batch end-to-end seconds, {workers} worker(s), each run: {walls}")
        n = one["n"]
        for label, r in (("1 worker ", one), ("2 workers", two)):
            print(
                f"batch, {label}: end to end {r['wall']:.1f} s, steady state {r['span']:.1f} s"
                f" (start-up and shut-down {r['wall'] - r['span']:.1f} s), "
                f"task {r['task']:.2f} s per variant"
            )
        print(
            f"speed-up 2 vs 1 worker: end to end {one['wall'] / two['wall']:.2f}x, "
            f"steady state {one['span'] / two['span']:.2f}x (target >= 1.6x)"
        )
        print(
            f"overhead per variant vs plain run (1 worker): steady state "
            f"{one['span'] / n - t_plain:+.2f} s, end to end incl. start-up "
            f"{(one['wall'] - sum(plain)) / n:+.2f} s (target < 1 s)"
        )
        single = dcsite_run_seconds(sweep_path, folder / "single")
        print(f"for scale, one `dcsite run` process: {single:.1f} s")
    after = parallel_capacity()
    note = " (below 1.9x: other work took CPU meanwhile)" if after < 1.9 else ""
    print(f"afterwards: load average {os.getloadavg()[0]:.2f}, capacity {after:.2f}x{note}")


if __name__ == "__main__":
    main()
