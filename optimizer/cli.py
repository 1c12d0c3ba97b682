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
