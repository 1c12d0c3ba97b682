"""The ``dcsite`` command.

Errors the user can fix (missing data, bad options, bad input) print one line and exit with
code 2; the data directory comes from ``--data-dir`` or the ``DCSITE_DATA`` environment variable.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from optimizer.errors import DcsiteError, InputError

EXIT_USER_ERROR = 2


def _data_dir(args: argparse.Namespace) -> str | None:
    return getattr(args, "data_dir", None) or os.environ.get("DCSITE_DATA")


def _cmd_data_check(args: argparse.Namespace) -> int:
    from optimizer.datasets import check_all

    report = check_all(_data_dir(args))
    width = max(len(path) for path, _ in report)
    for path, status in report:
        print(f"{path:<{width}}  {status}")
    bad = sum(status != "OK" for _, status in report)
    print(f"{len(report) - bad} of {len(report)} files OK")
    return 0 if bad == 0 else EXIT_USER_ERROR


def _parse_limits(text: str) -> list[float]:
    try:
        limits = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"--limits {text!r}: expected percentages like 0.25,0.5,1,5") from None
    if not limits or any(not 0 < x < 100 for x in limits):
        raise InputError(f"--limits {text!r}: each limit must be a percentage between 0 and 100")
    return sorted(set(limits))


def _cmd_headroom(args: argparse.Namespace) -> int:
    from optimizer import headroom as hr
    from optimizer.atomic import atomic_path
    from optimizer.datasets import load_ba_load_mw
    from optimizer.plots import plot_headroom
    from optimizer.regions import ba_utc_offsets_h

    limits = _parse_limits(args.limits)
    load = load_ba_load_mw(_data_dir(args))
    if args.bas:
        load = load[hr.check_bas(args.bas.split(","), load.columns)]
    offsets = ba_utc_offsets_h()
    years = hr.parse_years(args.years) if args.years else hr.full_years(load, offsets)

    started = time.perf_counter()
    stranded = hr.stranded_power_by_ba(load, offsets, years)
    table = hr.headroom_table(stranded, limits)
    seconds = time.perf_counter() - started

    out = Path(args.out)
    with atomic_path(out / "headroom.csv") as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(out / "thresholds.csv") as tmp:
        hr.thresholds_table(stranded).to_csv(tmp, index=False)
    plot_headroom(table, out / "headroom.png")

    wide = table.pivot(index="ba", columns="limit_pct", values="headroom_mw")
    wide.loc["TOTAL"] = wide.sum()
    wide.columns = [f"{c:g} %" for c in wide.columns]
    print(
        f"Curtailment-enabled headroom (MW) of {len(load.columns)} BAs, "
        f"years {years[0]}-{years[1]} (local standard time)"
    )
    print(wide.round(0).astype(int).to_string())
    print(f"computed in {seconds:.3f} s; wrote {out / 'headroom.csv'}, {out / 'headroom.png'}")
    return 0


def _cmd_scenario_schema(args: argparse.Namespace) -> int:
    from optimizer.scenario import schema_text

    print(schema_text())
    return 0


def _cmd_scenario_check(args: argparse.Namespace) -> int:
    from optimizer.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(args.dir, args.overrides, args.override_files)
    except ScenarioError as exc:
        for problem in exc.problems:
            print(problem)
        n = len(exc.problems)
        print(f"{n} problem{'s' if n != 1 else ''} in scenario {args.dir}", file=sys.stderr)
        return EXIT_USER_ERROR
    for warning in scenario.warnings:
        print(f"warning: {warning}")
    print(f"OK: {scenario.summary()}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from optimizer.run import run_scenario, solver_options
    from optimizer.scenario import load_scenario

    scenario = load_scenario(args.dir, args.overrides, args.override_files)
    for warning in scenario.warnings:
        print(f"warning: {warning}")
    chosen = {
        "time_limit_s": args.time_limit,
        "mip_rel_gap": args.gap,
        "threads": args.threads,
    }
    options = solver_options(
        scenario,
        log_to_console=not args.quiet,
        **{key: value for key, value in chosen.items() if value is not None},
    )
    results = run_scenario(scenario, options, progress=None if args.quiet else print)
    results.save(args.out)
    print(results.describe())
    print(f"wrote {args.out}")
    if results.summary["status"] == "infeasible":
        print(f"dcsite: error: scenario {args.dir} is infeasible; {results.summary['explanation']}",
              file=sys.stderr)  # fmt: skip
        return EXIT_USER_ERROR
    return 0 if results.summary["has_solution"] else 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dcsite`` and its subcommands."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help="folder of the public data mirror (default: $DCSITE_DATA)",
    )
    parser = argparse.ArgumentParser(
        prog="dcsite",
        description="Data-center power and siting optimizer.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", required=True)
    overrides = argparse.ArgumentParser(add_help=False)
    overrides.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a setting, e.g. training.target_mw=500 (repeatable)",
    )
    overrides.add_argument(
        "--override-file",
        dest="override_files",
        action="append",
        default=[],
        metavar="FILE",
        help="YAML file merged over scenario.yaml before --set (repeatable)",
    )

    data = sub.add_parser("data", help="the public data files")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    check = data_sub.add_parser(
        "check", parents=[common], help="check every data file (presence, columns, checksum)"
    )
    check.set_defaults(func=_cmd_data_check)

    head = sub.add_parser(
        "headroom", parents=[common], help="curtailment-enabled headroom (stranded power) per BA"
    )
    head.add_argument("--limits", default="0.25,0.5,1,5", help="curtailment limits in %%")
    head.add_argument("--bas", default=None, help="comma-separated BA codes (default: all 22)")
    head.add_argument(
        "--years", default=None, help="year range, e.g. 2016-2024 (default: every complete year)"
    )
    head.add_argument("--out", required=True, help="output folder")
    head.set_defaults(func=_cmd_headroom)

    scen = sub.add_parser("scenario", help="scenario folders: schema and checks")
    scen_sub = scen.add_subparsers(dest="scenario_command", required=True)
    schema = scen_sub.add_parser("schema", help="every setting and table column, with units")
    schema.set_defaults(func=_cmd_scenario_schema)
    scen_check = scen_sub.add_parser(
        "check", parents=[overrides], help="list every problem of a scenario folder"
    )
    scen_check.add_argument("dir", help="scenario folder (scenario.yaml and CSV tables)")
    scen_check.set_defaults(func=_cmd_scenario_check)

    run = sub.add_parser(
        "run", parents=[common, overrides], help="solve a scenario and write its run folder"
    )
    run.add_argument("dir", help="scenario folder (scenario.yaml and CSV tables)")
    run.add_argument("--out", required=True, help="run folder to write (replaced atomically)")
    run.add_argument("--time-limit", type=float, default=None, help="solver time limit in s")
    run.add_argument("--gap", type=float, default=None, help="relative MIP gap, e.g. 0.01")
    run.add_argument("--threads", type=int, default=None, help="HiGHS threads")
    run.add_argument("--quiet", action="store_true", help="no HiGHS log, only the summary")
    run.set_defaults(func=_cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dcsite`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DcsiteError as exc:
        print(f"dcsite: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR


if __name__ == "__main__":
    sys.exit(main())
