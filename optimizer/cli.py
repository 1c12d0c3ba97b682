"""The ``dcsite`` command.

Errors the user can fix (missing data, bad options, bad input) print one line and exit with
code 2; the data directory comes from ``--data-dir`` or the ``DCSITE_DATA`` environment variable.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from optimizer.errors import DcsiteError, InputError

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
MAX_WORKERS = 1024


def _data_dir(args: argparse.Namespace) -> str | None:
    return getattr(args, "data_dir", None) or os.environ.get("DCSITE_DATA")


def _cmd_data_check(args: argparse.Namespace) -> int:
    from optimizer.inputs import check_all

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
    from optimizer.export.plots import plot_headroom
    from optimizer.inputs import load_ba_load_mw
    from optimizer.inputs.regions import ba_utc_offsets_h
    from optimizer.outputs import check_output, output_dir
    from optimizer.stranded import headroom as hr

    limits = _parse_limits(args.limits)
    check_output(args.out, "headroom", [_data_dir(args)])
    load = load_ba_load_mw(_data_dir(args), all_bas=True)
    if args.bas:
        load = load[hr.check_bas(args.bas.split(","), load.columns)]
    offsets = ba_utc_offsets_h()
    record = hr.full_years(load, offsets)
    years = hr.check_years(hr.parse_years(args.years), record, args.years) if args.years else record

    started = time.perf_counter()
    stranded = hr.stranded_power_by_ba(load, offsets, years, skip_unreported=True)
    if not stranded:
        raise InputError(f"no load of {', '.join(load.columns)} in {years[0]}-{years[1]}")
    table = hr.headroom_table(stranded, limits)
    seconds = time.perf_counter() - started

    out = Path(args.out)
    with output_dir(out, "headroom", [_data_dir(args)]) as tmp:
        table.to_csv(tmp / "headroom.csv", index=False)
        hr.thresholds_table(stranded).to_csv(tmp / "thresholds.csv", index=False)
        plot_headroom(table, tmp / "headroom.png")

    wide = table.pivot(index="ba", columns="limit_pct", values="headroom_mw")
    wide.loc["TOTAL"] = wide.sum()
    wide.columns = [f"{c:g} %" for c in wide.columns]
    print(
        f"Curtailment-enabled headroom (MW) of {len(load.columns)} BAs, "
        f"years {years[0]}-{years[1]} (local standard time)"
    )
    print(wide.round(0).astype(int).to_string())
    for ba, sp in stranded.items():
        if sp.missing_years:
            print(f"{ba}: years {hr.year_ranges(sp.years)} only (load missing in "
                  f"{hr.year_ranges(sp.missing_years)})")  # fmt: skip
    unreported = [ba for ba in load.columns if ba not in stranded]
    if unreported:
        print(f"left out, no load reported in {years[0]}-{years[1]}: {', '.join(unreported)}")
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
    from optimizer.builders.us.settings import DEFAULT_SCENARIO
    from optimizer.outputs import check_output
    from optimizer.pipeline import prepare, solve, solver_options, write_run
    from optimizer.source import Source

    source = Source.of(args.scenario or DEFAULT_SCENARIO, args.overrides, args.override_files)
    chosen = {"time_limit_s": args.time_limit, "mip_gap_pct": args.gap_pct, "threads": args.threads}
    chosen = {key: value for key, value in chosen.items() if value is not None}
    say = None if args.quiet else print
    data_dir = _data_dir(args)
    protect = [source.path, data_dir, *source.override_files]
    config = source.config()  # every settings problem (and a folder's table problems) first
    out = args.out or f"runs/{config.name}"
    check_output(out, "run", protect)
    prepared = prepare(source, data_dir, full_year=not args.no_full_year, progress=say)
    for warning in prepared.scenario.warnings:
        print(f"warning: {warning}")
    options = solver_options(prepared.scenario, log_to_console=not args.quiet, **chosen)
    results = solve(prepared, options, progress=say)
    write_run(results, out, data_dir, protect=protect)
    print(results.describe())
    print(f"wrote {out}")
    if results.summary["status"] == "infeasible":
        print(f"dcsite: error: scenario {source.path} is infeasible; "
              f"{results.summary['explanation']}", file=sys.stderr)  # fmt: skip
        return EXIT_USER_ERROR
    return 0 if results.summary["has_solution"] else 1


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _cmd_batch(args: argparse.Namespace) -> int:
    from optimizer.batch import run_sweep

    try:
        table = run_sweep(
            args.sweep,
            args.out,
            workers=args.workers,
            scheduler=args.scheduler,
            resume=args.resume,
            progress=not args.quiet,
            data_dir=_data_dir(args),
        )
    except KeyboardInterrupt:
        print(
            f"dcsite: batch interrupted; finished variants are kept in {Path(args.out) / 'runs'};"
            " rerun with --resume to finish the rest",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    from optimizer.results.folder import status_text

    shown = table[["variant", "objective_usd", "wall_seconds"]].copy()
    shown.insert(1, "status", [status_text(row) for row in table.to_dict("records")])
    shown["objective_usd"] = (shown["objective_usd"] / 1e6).round(2)
    shown["wall_seconds"] = shown["wall_seconds"].round(1)
    shown.columns = ["variant", "status", "cost M USD/yr", "seconds"]
    print(shown.to_string(index=False))
    failed = int((~table["has_solution"]).sum())
    out = Path(args.out)
    print(
        f"wrote {out / 'runs'}/, {out / 'summary.parquet'}, {out / 'summary.csv'} and "
        f"{out / 'comparison.csv'} (.png)"
    )
    if failed:
        print(
            f"dcsite: {failed} of {len(table)} variants have no solution (see the error column"
            f" of {out / 'summary.csv'})",
            file=sys.stderr,
        )
        return 1
    return 0


def _cmd_alternatives(args: argparse.Namespace) -> int:
    from optimizer.alternatives import ALTERNATIVES_DIR, run_alternatives

    try:
        summary = run_alternatives(
            args.run_dir,
            slack_pct=args.slack_pct,
            count=args.count,
            top_sites=args.sites,
            workers=args.workers,
            scheduler=args.scheduler,
            time_limit_s=args.time_limit,
            data_dir=_data_dir(args),
            progress=None if args.quiet else print,
        )
    except KeyboardInterrupt:
        print(
            f"dcsite: interrupted; {Path(args.run_dir) / ALTERNATIVES_DIR} is as it was",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    out = Path(args.run_dir) / ALTERNATIVES_DIR
    counts = summary["verdicts"]["ba"]
    print(
        f"within {summary['slack_pct']:g} % of {summary['plan_cost_usd'] / 1e6:,.1f} M USD/yr: "
        + ", ".join(f"{n} BAs {verdict}" for verdict, n in counts.items())
        + f"; {summary['solves']} solves on {summary['workers']} worker(s) in "
        f"{summary['seconds']:.0f} s"
    )
    for plan in summary["plans"]:
        print(
            f"{plan['name']}: {plan['cost_usd'] / 1e6:,.1f} M USD/yr "
            f"({plan['cost_above_run_pct']:+.2f} %), {plan['campus_mw_moved']:,.0f} MW moved"
        )
    if summary["not_proven"]:
        print(f"verdicts not proven in the time limit: {', '.join(summary['not_proven'])}")
    print(f"wrote {out / 'ranges.csv'}, alternatives.geojson, ranges.png, plans/")
    return 0


def _cmd_sensitivity(args: argparse.Namespace) -> int:
    from optimizer.batch.sensitivity import run_sensitivity
    from optimizer.export.tornado import value_text

    try:
        result = run_sensitivity(
            args.scenario,
            args.preset,
            args.out,
            overrides=args.overrides,
            workers=args.workers,
            scheduler=args.scheduler,
            resume=args.resume,
            progress=not args.quiet,
            data_dir=_data_dir(args),
            override_files=args.override_files,
        )
    except KeyboardInterrupt:
        print(
            f"dcsite: sensitivity interrupted; finished runs are kept in {Path(args.out) / 'runs'};"
            " rerun with --resume to finish the rest",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    tornado = result.tornado
    shown = tornado[["label", "low_value", "high_value", "unit"]].copy()
    for side in ("low", "high"):
        shown[f"{side}_value"] = tornado[f"{side}_value"].map(value_text)
        change = tornado[f"{side}_change_musd_per_year"].round(1).astype(object)
        status = tornado[f"{side}_status"]
        shown[f"{side} M USD/yr"] = change.where(change.notna(), status)
    shown["swing M USD/yr"] = tornado["swing_musd_per_year"].round(1)
    shown["within gap"] = tornado["within_gap"].map({True: "yes", False: ""})
    base = tornado["base_cost_musd_per_year"].iloc[0] if len(tornado) else float("nan")
    print(f"base: {base:,.1f} M USD/yr; change of total cost at each input's low and high value:")
    print(shown.to_string(index=False))
    out = Path(args.out)
    print(f"wrote {out / 'tornado.csv'} (.png), {out / 'campus_mw_by_ba.csv'} and the runs in "
          f"{out / 'runs'}/")  # fmt: skip
    failed = int((~result.summary["has_solution"]).sum())
    if failed:
        print(
            f"dcsite: {failed} of {len(result.summary)} runs have no solution (see the note "
            f"column of {out / 'tornado.csv'})",
            file=sys.stderr,
        )
        return 1
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from optimizer.export import FORMATS, write_exports

    formats = FORMATS if args.format == "all" else (args.format,)
    written = write_exports(args.run_dir, _data_dir(args), formats)
    for path in written:
        print(f"wrote {path}")
    if not written:
        print(f"{args.run_dir}: the run has no solution; nothing to export")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``dcsite run: error: argument --gap-pct: ...``, exit 2."""

    def __init__(self, *args, **kwargs) -> None:
        # no abbreviations: a prefix such as the old --gap must not silently mean --gap-pct
        super().__init__(*args, allow_abbrev=False, **kwargs)

    def error(self, message: str) -> NoReturn:
        # "argument --gap-pct: 500: must be ..." (our option types) reads "--gap-pct 500: must ..."
        message = re.sub(r"^argument ([^:/ ]+)(?:/\S+)?: (?=\S+: )", r"\1 ", message)
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(text: str, kind: type = float) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text}: not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text}: not a finite number")
    return value


def _seconds(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text}: must be a number of seconds above 0, e.g. 600")
    return value


def _renamed_gap(text: str) -> NoReturn:
    raise argparse.ArgumentTypeError(
        f"{text}: renamed --gap-pct, a percentage (--gap-pct 1 for a 1 % gap)"
    )


def _gap_pct(text: str) -> float:
    value = _number(text)
    if not 0 <= value < 100:
        raise argparse.ArgumentTypeError(f"{text}: must be a percentage from 0 up to 100, e.g. 1")
    return value


def _threads(text: str) -> int:
    value = int(_number(text, int))
    cores = os.cpu_count() or 1
    if not 1 <= value <= cores:
        raise argparse.ArgumentTypeError(
            f"{text}: must be from 1 to {cores}, the number of cores of this machine"
        )
    return value


def _slack_pct(text: str) -> float:
    value = _number(text)
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text}: must be a percentage from 0 to 100, e.g. 2")
    return value


def _count(text: str) -> int:
    value = int(_number(text, int))
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text}: must be 0 or more")
    return value


def _workers(text: str) -> int:
    value = int(_number(text, int))
    if not 1 <= value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"{text}: must be from 1 to {MAX_WORKERS}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dcsite`` and its subcommands."""
    common = _Parser(add_help=False)
    common.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help="folder of the public data mirror (default: $DCSITE_DATA)",
    )
    parser = _Parser(
        prog="dcsite",
        description="Data-center power and siting optimizer.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", required=True)
    engine = _Parser(add_help=False)  # where the solves run: dcsite batch, sensitivity, ...
    engine.add_argument(
        "--workers", type=_workers, default=None, help="local worker processes (default: cores)"
    )
    engine.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on the Dask cluster of this scheduler, e.g. tcp://host:8786",
    )
    overrides = _Parser(add_help=False)
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
    head.add_argument(
        "--bas",
        default=None,
        help="comma-separated BA codes (default: all 54 lower-48 load BAs)",
    )
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
    run.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="scenario folder (scenario.yaml and CSV tables) or a built scenario's YAML file "
        "(default: data/scenarios/us-default.yaml, built from the public data)",
    )
    run.add_argument(
        "--out", default=None, help="run folder to write, replaced atomically (default: runs/NAME)"
    )
    run.add_argument(
        "--no-full-year", action="store_true", help="skip the full-year check of a built scenario"
    )
    run.add_argument("--time-limit", type=_seconds, default=None, help="solver time limit in s")
    run.add_argument(
        "--gap-pct", type=_gap_pct, default=None, help="relative MIP gap in %%, e.g. 1 (0 to 100)"
    )
    run.add_argument("--gap", type=_renamed_gap, help=argparse.SUPPRESS)  # the old name
    run.add_argument("--threads", type=_threads, default=None, help="HiGHS threads (1 to cores)")
    run.add_argument("--quiet", action="store_true", help="no HiGHS log, only the summary")
    run.set_defaults(func=_cmd_run)

    export = sub.add_parser(
        "export", parents=[common], help="write a run folder's GeoJSON layers, HTML map, plots"
    )
    export.add_argument("run_dir", help="run folder written by dcsite run")
    export.add_argument(
        "--format",
        choices=["geojson", "html", "png", "all"],
        default="all",
        help="GeoJSON layers, map.html, PNG plots, or all of them (default: all)",
    )
    export.set_defaults(func=_cmd_export)

    batch = sub.add_parser(
        "batch",
        parents=[common, engine],
        help="run every variant of a sweep file, locally or on a Dask cluster",
    )
    batch.add_argument("sweep", help="sweep file (YAML): base scenario, variants, grid, seeds")
    batch.add_argument("--out", required=True, help="batch folder (runs/<variant>/, summary.*)")
    batch.add_argument(
        "--resume", action="store_true", help="skip variants already done for the same hash"
    )
    batch.add_argument("--quiet", action="store_true", help="no progress line, only the table")
    batch.set_defaults(func=_cmd_batch)

    sens = sub.add_parser(
        "sensitivity",
        parents=[common, overrides, engine],
        help="what drives the answer: each key input low and high, one at a time (tornado)",
    )
    sens.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="scenario folder or built scenario file (default: data/scenarios/us-default.yaml)",
    )
    sens.add_argument(
        "--out", required=True, help="sensitivity folder (runs/<run>/, tornado.*, ...)"
    )
    sens.add_argument(
        "--preset",
        default=None,
        metavar="FILE",
        help="inputs and their low and high values (default: data/sensitivity/us-default.yaml)",
    )
    sens.add_argument(
        "--resume", action="store_true", help="skip runs already done for the same hash"
    )
    sens.add_argument("--quiet", action="store_true", help="no progress line, only the table")
    sens.set_defaults(func=_cmd_sensitivity)

    alt = sub.add_parser(
        "alternatives",
        parents=[common, engine],
        help="near-optimal alternatives of a run: campus MW ranges per BA, different plans",
    )
    alt.add_argument("run_dir", help="run folder written by dcsite run (it records its scenario)")
    alt.add_argument(
        "--slack-pct",
        type=_slack_pct,
        default=2.0,
        help="plans may cost this much above the run's plan, %% (default 2)",
    )
    alt.add_argument(
        "--count", type=_count, default=4, help="maximally different plans to write (default 4)"
    )
    alt.add_argument(
        "--sites", type=_count, default=10, help="largest sites of the run to range (default 10)"
    )
    alt.add_argument(
        "--time-limit",
        type=_seconds,
        default=60.0,
        help="time limit of each range search, s (default 60)",
    )
    alt.add_argument("--quiet", action="store_true", help="no line per solve, only the result")
    alt.set_defaults(func=_cmd_alternatives)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dcsite`` console script; returns the exit code.

    A problem the user can fix is one line on stderr and exit code 2; SIGTERM stops the command
    as Ctrl-C does (temporary files are removed); output into a closed pipe (``| head``) ends
    quietly with the shell's code for it, 141."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a bad option (one line printed, code 2)
        return exc.code if isinstance(exc.code, int) else EXIT_USER_ERROR
    previous = None
    with contextlib.suppress(ValueError):  # ValueError: not the main thread; no handler then
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        return args.func(args)
    except DcsiteError as exc:
        print(f"dcsite: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("dcsite: interrupted; nothing is left half-written", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that flushing it at exit raises no second BrokenPipeError."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
