"""Reading a run folder back, with pandas only, checked against what was written.

:meth:`optimizer.results.Results.save` records in the folder's manifest
(:data:`optimizer.outputs.MANIFEST_FILE`) the kind of every column of every table; reading
checks each table against it, so a file damaged or edited by hand (a missing table, text in a
number column, a damaged ``summary.json``) is an :class:`~optimizer.errors.InputError` naming
the file, row and column, not a wrong map or a traceback.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from optimizer.errors import InputError
from optimizer.outputs import read_manifest

SUMMARY_FILE = "summary.json"
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
