"""A run's tables and summary (:class:`Results`), written as a run folder and read back with
pandas only (no Pyomo), checked against what was written.

:meth:`Results.save` records in the folder's manifest
(:data:`optimizer.outputs.MANIFEST_FILE`) the kind of every column of every table; reading
checks each table against it, so a file damaged or edited by hand (a missing table, text in a
number column, a damaged ``summary.json``) is an :class:`~optimizer.errors.InputError` naming
the file, row and column, not a wrong map or a traceback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimizer.errors import InputError
from optimizer.outputs import output_dir, read_manifest, record_files

SUMMARY_FILE = "summary.json"
SCENARIO_DIR = "scenario"
"""Where a run folder keeps the source it was solved from (``optimizer.source``)."""
TABLES = ("sites", "metros", "assignments", "regions", "region_timesteps", "timesteps")
"""The CSV tables of every run folder (besides ``dispatch.parquet`` and ``summary.json``)."""
PathLike = str | os.PathLike[str]
_RERUN = "rerun dcsite run to write it again"


def column_kinds(frame: pd.DataFrame) -> dict[str, str]:
    """``number``, ``bool`` or ``text`` for each column (what the manifest records)."""
    kinds = {}
    for name, dtype in frame.dtypes.items():
        if pd.api.types.is_bool_dtype(dtype):
            kinds[str(name)] = "bool"
        elif pd.api.types.is_numeric_dtype(dtype):
            kinds[str(name)] = "number"
        else:
            kinds[str(name)] = "text"
    return kinds


def read_summary(run_dir: PathLike) -> dict:
    """``summary.json`` of a run folder; an InputError when missing or damaged."""
    path = Path(run_dir) / SUMMARY_FILE
    if not Path(run_dir).is_dir():
        raise InputError(f"{run_dir}: run folder not found")
    if not path.is_file():
        raise InputError(f"{run_dir}: not a run folder (no {SUMMARY_FILE})")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: damaged (not UTF-8 text); {_RERUN}") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}: damaged (not JSON at line {exc.lineno}, column {exc.colno}); {_RERUN}"
        ) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror}); {_RERUN}") from None
    if not isinstance(summary, dict) or "status" not in summary:
        raise InputError(f"{path}: damaged (not a run summary); {_RERUN}")
    return summary


def _check_kinds(frame: pd.DataFrame, path: Path, kinds: dict[str, str]) -> pd.DataFrame:
    missing = [name for name in kinds if name not in frame.columns]
    if missing:
        raise InputError(f"{path}: column {missing[0]} is missing; {_RERUN}")
    for name, kind in kinds.items():
        column = frame[name]
        if kind == "number":
            values = pd.to_numeric(column, errors="coerce")
            bad = values.isna() & column.notna()
        elif kind == "bool":
            text = column.astype(str).str.strip().str.lower()
            values = text.map({"true": True, "false": False})
            bad = values.isna()
        else:
            continue
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(
                f"{path}: row {row + 2}, column {name}: not a {kind}: "
                f"{column.iloc[row]!r}; {_RERUN}"
            )
        frame[name] = values.astype(bool) if kind == "bool" else values
    return frame


def read_table(run_dir: PathLike, name: str) -> pd.DataFrame:
    """Table ``name`` (``sites``, ``dispatch``, ...) of a run folder, its columns checked
    against the kinds recorded when it was written."""
    run = Path(run_dir)
    parquet = run / f"{name}.parquet"
    path = parquet if parquet.exists() else run / f"{name}.csv"
    if not path.is_file():
        raise InputError(f"{run}: {name}.csv is missing; the run folder is incomplete; {_RERUN}")
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: damaged ({first}); {_RERUN}") from None
    kinds = ((read_manifest(run) or {}).get("tables") or {}).get(path.name)
    if kinds is None:
        raise InputError(f"{path}: not listed in the run's manifest; {_RERUN}")
    return _check_kinds(frame, path, kinds)


@dataclass
class Results:
    """The tables and summary of one run (also what a notebook works with)."""

    summary: dict
    sites: pd.DataFrame
    metros: pd.DataFrame
    assignments: pd.DataFrame
    dispatch: pd.DataFrame
    regions: pd.DataFrame
    region_timesteps: pd.DataFrame
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)
    """More tables of a run (e.g. the US builder's candidates and queue figures), saved as
    ``<name>.csv``."""
    timesteps: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The scenario's time steps (``timestep, period, duration_h, weight_h``, ...), so that the
    run folder needs nothing outside it."""
    source: Any = None
    """The :class:`optimizer.source.Source` the run was solved from, or None (a scenario in
    memory). :meth:`save` copies it into the folder's ``scenario/`` and records it in
    ``summary.json`` (``scenario_source``), so the run can be rebuilt
    (:func:`optimizer.source.recorded_source`)."""

    def save(
        self,
        out_dir: str | os.PathLike[str],
        extras: Callable[[Path], object] | None = None,
        protect: Iterable[str | os.PathLike[str] | None] = (),
    ) -> Path:
        """Write the run folder atomically (temporary folder, then rename).

        ``out_dir`` must be new, empty or a run folder dcsite wrote
        (:func:`optimizer.outputs.check_output`; ``protect`` are the run's inputs, which it must
        not hold). ``extras(folder)`` may write more files (maps, plots) into the folder before
        it is renamed into place, so a reader never sees a run without them.
        """
        with output_dir(out_dir, "run", protect) as tmp:
            if self.source is not None:
                self.summary["scenario_source"] = self.source.record(tmp / SCENARIO_DIR)
            (tmp / SUMMARY_FILE).write_text(json.dumps(self.summary, indent=2, default=_json))
            frames = {f"{name}.csv": getattr(self, name) for name in TABLES}
            frames.update({f"{name}.csv": table for name, table in self.extras.items()})
            for file_name, table in frames.items():
                table.to_csv(tmp / file_name, index=False)
            self.dispatch.to_parquet(tmp / "dispatch.parquet", index=False)
            frames["dispatch.parquet"] = self.dispatch
            record_files(tmp, frames, {name: column_kinds(t) for name, t in frames.items()})
            if extras is not None:
                extras(tmp)
        return Path(out_dir)

    @classmethod
    def load(cls, run_dir: str | os.PathLike[str]) -> Results:
        """Read a run folder written by :meth:`save`, each table checked
        (:mod:`optimizer.results.folder`): a damaged file is an InputError naming it."""
        return cls(
            summary=read_summary(run_dir),
            dispatch=read_table(run_dir, "dispatch"),
            **{name: read_table(run_dir, name) for name in TABLES},
        )

    def describe(self) -> str:
        """A short readable summary."""
        s, t = self.summary, self.summary.get("totals", {})
        notes = f" ({'; '.join(s['notes'])})" if s.get("notes") else ""
        lines = [f"status: {status_text(s)}{notes}"]
        if s.get("objective_usd") is not None:
            gap_pct = s.get("mip_gap_pct")
            lines.append(
                f"annualized cost: {s['objective_usd'] / 1e6:,.1f} M USD/yr"
                f" (best bound {s['best_bound_usd'] / 1e6:,.1f} M, gap {gap_pct or 0:.2f} %)"
                if s.get("best_bound_usd") is not None
                else f"annualized cost: {s['objective_usd'] / 1e6:,.1f} M USD/yr"
            )
            lines.append(
                f"campuses: {t['campus_mw']:,.0f} MW at {t['campus_sites']} sites; edge: "
                f"{t['edge_modules']} modules at {t['edge_sites']} sites; storage: "
                f"{t['storage_energy_mwh']:,.0f} MWh / {t['storage_power_mw']:,.0f} MW; "
                f"firm capacity: "
                f"{t['firm_capacity_mw']:,.0f} MW; unserved: {t['unserved_mw']:,.1f} MW; "
                f"training curtailed: {t['training_curtailment_pct']:.2f} %"
            )
            terms = ", ".join(
                f"{k} {v / 1e6:,.1f}M"
                for k, v in s["objective_breakdown_usd"].items()
                if abs(v) > 1
            )
            lines.append(f"cost terms (USD/yr): {terms}")
        lines += bas_lines(s)
        lines.append(
            f"build {s['build_seconds']:.2f} s, hand-off {s['handoff_seconds']:.2f} s, "
            f"solve {s['solve_seconds']:.2f} s"
        )
        return "\n".join(lines)


def bas_lines(summary: dict) -> list[str]:
    """A built run's BAs (``bas`` and ``left_out_metros`` of its summary): how many were
    modelled, those left out and why, those whose seasonal thresholds lack years of record,
    and the metros out of reach."""
    bas = summary.get("bas")
    if not bas:
        return []
    lines = [f"BAs: {bas['modelled']} of {bas['requested']} modelled"]
    lines += [f"  {ba} left out: {reason}" for ba, reason in bas["left_out"].items()]
    lines += [
        f"  {ba}: seasonal thresholds from {r['years_used']} (load missing in {r['years_missing']})"
        for ba, r in bas["partial_record"].items()
    ]
    left = summary.get("left_out_metros") or {}
    if isinstance(left, dict):
        lines += [f"metro {metro} left out: {why}" for metro, why in left.items()]
    return lines


PROVEN_OPTIMAL_GAP_PCT = 1e-4
"""A plan is called optimal only when its proven gap is at most this, %."""


def status_text(summary: dict) -> str:
    """The status as planners read it: "optimal" only for a proven optimum, otherwise how close
    to optimal the plan is proven to be, e.g. "within 0.45 % of optimal (proven bound)"."""
    status, gap_pct = summary.get("status"), summary.get("mip_gap_pct")
    if not summary.get("has_solution") or gap_pct is None or gap_pct <= PROVEN_OPTIMAL_GAP_PCT:
        return str(status)
    within = f"within {gap_pct:.2f} % of optimal (proven bound)"
    return within if status == "optimal" else f"{status}: {within}"


def _json(value):
    if isinstance(value, np.integer | np.floating):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value)}")
