"""Benchmark: what the shared build saves per variant of a sweep of the built US scenario.

Prepares each of ``--variants`` training targets of the default US scenario (with the build
settings of ``--set``, default the shrunk two-BA, 15-metro scenario) twice: each built alone
(as ``dcsite run`` does) and through one cache folder (as ``dcsite batch`` does: built once,
then read back). Prints the seconds of each and the saving per variant.

Run from the project root (the data mirror beside it):

    DCSITE_DATA=../shared/data .venv/bin/python benchmarks/bench_build_cache.py [--set P=V ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from optimizer.builders.us.settings import DEFAULT_SCENARIO
from optimizer.pipeline import prepare
from optimizer.source import Source

SHRUNK = ["build.bas=[ERCO,SWPP]", "build.n_metros=15"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="overrides", action="append", default=None)
    parser.add_argument("--variants", type=int, default=3)
    args = parser.parse_args()
    overrides = SHRUNK if args.overrides is None else args.overrides
    data_dir = os.environ.get("DCSITE_DATA")
    sources = [
        Source.of(DEFAULT_SCENARIO, [*overrides, f"training.target_mw={500 * (i + 1)}"])
        for i in range(args.variants)
    ]
    alone, shared = [], []
    for source in sources:
        started = time.perf_counter()
        prepare(source, data_dir)
        alone.append(time.perf_counter() - started)
    with tempfile.TemporaryDirectory() as cache:
        for source in sources:
            started = time.perf_counter()
            prepared = prepare(source, data_dir, cache_dir=cache)
            shared.append(time.perf_counter() - started)
            print(f"{source.overrides[-1]}: {prepared.info['build']}")
    print(f"\n{'variant':<10}{'alone s':>10}{'shared s':>10}")
    for i, (a, s) in enumerate(zip(alone, shared, strict=True)):
        print(f"{i:<10}{a:>10.2f}{s:>10.2f}")
    reused = statistics.mean(shared[1:]) if len(shared) > 1 else float("nan")
    print(
        f"prepare alone {statistics.mean(alone):.2f} s per variant; shared: first "
        f"{shared[0]:.2f} s (builds), then {reused:.2f} s; saved per reusing variant "
        f"{statistics.mean(alone) - reused:.2f} s"
    )


if __name__ == "__main__":
    main()
