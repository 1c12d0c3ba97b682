"""Reading a scenario CSV file: every cell as text, each record with the file line it starts on.

pandas' C parser reads ordinary files; files it cannot read faithfully (ragged records, cells
over several lines, unnamed or repeated columns) go through Python's csv reader record by
record, so every problem can name the line a person sees in an editor.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pandas as pd


def read_csv(path: Path, label: str, problems: list[str]) -> pd.DataFrame | None:
    """All cells as text, plus ``_line``: the line each record starts on (header = line 1)."""
    if not path.is_file():
        problems.append(f"{label}: file not found ({path})")
        return None
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(f"{label}: cannot read as CSV: {exc}")
        return None
    nul_line = _nul_line(path)
    if nul_line is not None:
        problems.append(
            f"{label}: line {nul_line}: holds a NUL byte (a binary or damaged file?); "
            "save it as plain text"
        )
        return None
    if header is None or not "".join(header).strip():
        problems.append(f"{label}: the file is empty (expected a header line)")
        return None
    header = [name.strip() for name in header]
    frame = _read_csv_fast(path, header)
    return frame if frame is not None else _read_csv_exact(path, label, header, problems)


def _nul_line(path: Path) -> int | None:
    """The first line holding a NUL byte (header = line 1), or None."""
    data = path.read_bytes()
    at = data.find(b"\0")
    return None if at < 0 else data.count(b"\n", 0, at) + 1


def _read_csv_fast(path: Path, header: list[str]) -> pd.DataFrame | None:
    """pandas' C parser, where a record is a line; None when the file needs the exact reader
    (records with extra or missing fields, cells over several lines, unnamed or repeated
    columns, anything pandas does not parse)."""
    if not all(header) or len(set(header)) != len(header):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                index_col=False,
                encoding="utf-8-sig",
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError, UnicodeDecodeError):
        return None
    if [str(c).strip() for c in frame.columns] != header:
        return None
    text = frame.to_numpy(dtype=str)
    if text.size and ((np.char.find(text, "\n") >= 0) | (np.char.find(text, "\r") >= 0)).any():
        return None
    frame.columns = header
    frame.insert(0, "_line", np.arange(len(frame)) + 2)
    return frame


def _read_csv_exact(
    path: Path, label: str, header: list[str], problems: list[str]
) -> pd.DataFrame | None:
    """Python's csv reader, record by record: blank lines skipped, a short record padded with
    empty cells, a record with more fields than the header reported (and left out)."""
    width = len(header)
    rows, lines = [], []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            next(reader)
            start = reader.line_num + 1
            for record in reader:
                line, start = start, reader.line_num + 1
                if not "".join(record).strip():
                    continue
                if len(record) > width and "".join(record[width:]).strip():
                    problems.append(
                        f"{label}: row {line}: {len(record)} fields, but the header has {width}"
                    )
                    continue
                rows.append(record[:width] + [""] * (width - len(record)))
                lines.append(line)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(f"{label}: cannot read as CSV: {exc}")
        return None
    frame = pd.DataFrame(rows, columns=range(width), dtype=object)
    frame.columns = header
    unnamed = [i for i, name in enumerate(header) if not name]
    for i in unnamed:
        if any(row[i].strip() for row in rows):
            problems.append(f"{label}: column {i + 1}: has values but no name in the header")
    frame = frame.iloc[:, [i for i in range(width) if i not in unnamed]]
    frame.insert(0, "_line", lines)
    return frame
