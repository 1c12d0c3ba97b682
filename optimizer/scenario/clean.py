"""Cleaning a table: typed values, defaults filled, every bad cell reported by row and column.

Works the same on text read from a file (:mod:`optimizer.scenario.read`) and on frames built in
Python; a frame not read from a file numbers its rows as the file would (first data row = 2).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from optimizer.scenario.config import ScenarioConfig
from optimizer.scenario.renames import column_renamed
from optimizer.scenario.settings import config_value
from optimizer.scenario.tables import FREE_TEXT_COLUMNS, Column, TableSpec

_NA_TOKENS = {"", "nan", "na", "n/a", "null", "none"}
_TRUE = {"true", "yes", "y", "t", "1"}
_FALSE = {"false", "no", "n", "f", "0"}


def _clean_cells(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cells stripped of surrounding blanks, and which are empty (None, NaN or blank text)."""
    if pd.api.types.infer_dtype(cells, skipna=False) == "string":  # from a file: vectorised
        text = np.char.strip(cells.astype(str))
        return text.astype(object), text == ""
    stripped = np.array([v.strip() if isinstance(v, str) else v for v in cells], dtype=object)
    blank = np.array([isinstance(v, str) and not v for v in stripped], dtype=bool)
    empty = pd.isna(stripped) | blank
    return stripped, np.asarray(empty, dtype=bool)


def _na_tokens(stripped: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Which candidate cells spell a missing value (NaN, NA, N/A, null, none; any case)."""
    found = np.zeros(len(stripped), dtype=bool)
    for i in np.flatnonzero(candidates).tolist():
        value = stripped[i]
        found[i] = isinstance(value, str) and value.lower() in _NA_TOKENS
    return found


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def _parse_column(cells: np.ndarray, column: Column, default: Any) -> tuple[np.ndarray, dict]:
    """Typed values (object array, None where invalid or missing) and {row index: problem}."""
    stripped, missing = _clean_cells(cells)
    problems: dict[int, str] = {}
    if column.kind == "str":
        values = np.array([v if type(v) is str else str(v) for v in stripped], dtype=object)
    elif column.kind == "bool":
        values = np.array([_to_bool(v) for v in stripped], dtype=object)
        failed = ~missing & np.equal(values, None)
        missing |= _na_tokens(stripped, failed)
        for i in np.flatnonzero(failed & ~missing).tolist():
            problems[i] = f"not true/false: {cells[i]!r}"
    else:
        given = np.where(missing, None, stripped)
        numbers = pd.to_numeric(pd.Series(given, dtype=object), errors="coerce").to_numpy(float)
        failed = ~missing & np.isnan(numbers)
        missing |= _na_tokens(stripped, failed)
        for i in np.flatnonzero(failed & ~missing).tolist():
            problems[i] = f"not a number: {cells[i]!r}"
        for i in np.flatnonzero(np.isinf(numbers)).tolist():
            problems[i] = f"not a finite number: {cells[i]!r}"
        if column.kind == "int":
            fractional = np.isfinite(numbers) & (numbers != np.round(numbers))
            for i in np.flatnonzero(fractional).tolist():
                problems[i] = f"not a whole number: {cells[i]!r}"
        with np.errstate(invalid="ignore"):
            checks = (
                (column.ge, ">=", numbers < (column.ge or 0.0)),
                (column.gt, ">", numbers <= (column.gt or 0.0)),
                (column.le, "<=", numbers > (column.le or 0.0)),
            )
        for bound, sign, outside in checks:
            if bound is None:
                continue
            for i in np.flatnonzero(outside & np.isfinite(numbers)).tolist():
                problems.setdefault(i, f"must be {sign} {bound:g}, got {numbers[i]:g}")
        values = numbers.astype(object)
    if column.required:
        problems.update(dict.fromkeys(np.flatnonzero(missing).tolist(), "missing value (required)"))
    values[missing] = None if column.required else default
    for i in problems:
        values[i] = None
    return values, problems


def clean_table(
    raw: pd.DataFrame,
    spec: TableSpec,
    label: str,
    config: ScenarioConfig,
    problems: list[str],
) -> pd.DataFrame:
    """Typed copy of ``raw`` with the spec's columns plus ``_line`` (row number in the file).

    Invalid cells become None and are reported; empty cells of optional columns get defaults.
    Frames not read from a file number their rows as a file would (first data row = 2).
    """
    raw = raw.copy()
    raw.columns = [str(c).strip() for c in raw.columns]
    if "_line" not in raw.columns:
        raw.insert(0, "_line", np.arange(len(raw)) + 2)
    raw = raw.reset_index(drop=True)
    data_columns = [c for c in raw.columns if c != "_line"]
    if data_columns and len(raw):
        cells = raw.drop(columns="_line").to_numpy(dtype=object)
        blank = _clean_cells(cells.ravel())[1].reshape(cells.shape).all(axis=1)
        raw = raw[~blank].reset_index(drop=True)

    known = set(spec.names) | set(FREE_TEXT_COLUMNS)
    for name in data_columns:
        renamed = column_renamed(spec.key, name)
        if renamed and name not in known:
            problems.append(f"{label}: column {name}: {renamed}")
        elif name not in known:
            problems.append(
                f"{label}: column {name}: unknown column; columns of this table: "
                f"{', '.join(spec.names)} (and free-text {', '.join(FREE_TEXT_COLUMNS)})"
            )
    seen: set[str] = set()
    for name in data_columns:
        if name in seen:
            problems.append(f"{label}: column {name}: appears twice in the header")
        seen.add(name)

    lines = raw["_line"].to_numpy(dtype="int64")
    out = pd.DataFrame({"_line": lines})
    found: list[tuple[int, int, str]] = []  # (row, column order, message) to sort by row
    for order, column in enumerate(spec.columns):
        default = (
            config_value(config, column.default_from) if column.default_from else column.default
        )
        if column.name not in raw.columns:
            if column.required:
                problems.append(f"{label}: column {column.name}: required column is missing")
            out[column.name] = pd.Series(
                [None if column.required else default] * len(out), dtype=object
            )
            continue
        source = raw[column.name]
        if isinstance(source, pd.DataFrame):  # duplicated header: use the first
            source = source.iloc[:, 0]
        values, problem = _parse_column(source.to_numpy(dtype=object), column, default)
        for i, what in problem.items():
            found.append((int(lines[i]), order, f"column {column.name}: {what}"))
        out[column.name] = pd.Series(values, dtype=object)
    problems.extend(f"{label}: row {line}, {what}" for line, _, what in sorted(found))
    _check_unique(out, spec, label, problems)
    return out


def _check_unique(frame: pd.DataFrame, spec: TableSpec, label: str, problems: list[str]) -> None:
    keys = list(spec.unique)
    valid = frame[frame[keys].notna().all(axis=1)]
    dup = valid.duplicated(subset=keys, keep="first")
    if not dup.any():
        return
    first_line: dict[tuple, int] = {}
    for line, *key in zip(valid["_line"], *(valid[k] for k in keys), strict=True):
        first_line.setdefault(tuple(key), int(line))
    repeated = valid[dup]
    for line, *key in zip(repeated["_line"], *(repeated[k] for k in keys), strict=True):
        key = tuple(key)
        if len(keys) == 1:
            what = f"column {keys[0]}: duplicate {keys[0]} {key[0]!r}"
        else:
            what = f"columns {', '.join(keys)}: duplicate pair {key!r}"
        problems.append(f"{label}: row {line}, {what} (first on row {first_line[key]})")
