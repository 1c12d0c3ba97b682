"""Fuzz: damaged scenario folders, sweep files and run folders each get exit code 2, one line
naming the problem, and no input file changes.

Hypothesis draws where and how to damage a copy of a real input (a number column of a table
gets text, a NUL byte or invalid UTF-8 lands somewhere, a setting gets the wrong type or is
given twice, a table goes missing, ``summary.json`` is cut short, ...). Examples are
derandomized: every run of the suite tries the same cases, so a failure is reproducible and
CI never fails by chance.
"""

from __future__ import annotations

import re
import shutil
import string
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_safety import checksums

from optimizer.cli import main

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "data" / "scenarios" / "tiny"
TABLES = ("sites", "metros", "regions", "timesteps", "stranded")
RUN_TABLES = ("sites", "metros", "assignments", "regions", "region_timesteps")

FUZZ = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
junk_text = st.text(alphabet=string.ascii_letters + " _-", min_size=1, max_size=12).filter(
    lambda t: t.strip() and t.strip().lower() not in {"nan", "inf", "infinity", "true", "false"}
)


def number_columns(path: Path) -> list[str]:
    """Columns of a CSV file whose every cell is a number."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return [c for c in frame.columns if pd.to_numeric(frame[c], errors="coerce").notna().all()]


def set_cell(path: Path, row: int, column: str, text: str) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row % len(frame), column] = text
    frame.to_csv(path, index=False)


def leaf_paths(mapping: dict, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for key, value in mapping.items():
        if isinstance(value, dict):
            out += leaf_paths(value, (*prefix, key))
        else:
            out.append((*prefix, key))
    return out


def insert_bytes(path: Path, at: int, data: bytes) -> None:
    body = path.read_bytes()
    at %= len(body) + 1
    path.write_bytes(body[:at] + data + body[at:])


def run_refused(argv: list[str], capsys, inputs: list[Path]) -> str:
    """Run ``dcsite argv``; it must exit 2 with one line on stderr and leave ``inputs`` as they
    were. Returns the line."""
    before = checksums(*inputs)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, (argv, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("dcsite"), err
    assert "Traceback" not in err
    assert checksums(*inputs) == before
    return lines[0]


# --------------------------------------------------------------------------------------------
# Scenario folders
# --------------------------------------------------------------------------------------------


def damage_cell(folder: Path, data: st.DataObject) -> str:
    table = data.draw(st.sampled_from(TABLES))
    path = folder / f"{table}.csv"
    column = data.draw(st.sampled_from(number_columns(path)))
    text = data.draw(junk_text)
    set_cell(path, data.draw(st.integers(0, 10_000)), column, text)
    return f"{table}.csv: row "


def damage_bytes(folder: Path, data: st.DataObject) -> str:
    name = data.draw(st.sampled_from([f"{t}.csv" for t in TABLES] + ["scenario.yaml"]))
    junk = data.draw(st.sampled_from([b"\0", b"\xff\xfe", b"\x00\x00\x00"]))
    insert_bytes(folder / name, data.draw(st.integers(0, 100_000)), junk)
    return f"{name}: "


def damage_setting(folder: Path, data: st.DataObject) -> str:
    path = folder / "scenario.yaml"
    settings_ = yaml.safe_load(path.read_text())
    numeric = [p for p in leaf_paths(settings_) if isinstance(_get(settings_, p), int | float)]
    leaf = data.draw(st.sampled_from(numeric))
    value = data.draw(st.one_of(junk_text, st.booleans(), st.just([1, 2]), st.just({"a": 1})))
    _get(settings_, leaf[:-1])[leaf[-1]] = value
    path.write_text(yaml.safe_dump(settings_, sort_keys=False))
    return f"field {'.'.join(leaf)}"


def damage_duplicate_key(folder: Path, data: st.DataObject) -> str:
    path = folder / "scenario.yaml"
    lines = path.read_text().splitlines()
    leaves = [i for i, line in enumerate(lines) if re.match(r"\s*[a-z_]+: +[^\s#>|]", line)]
    at = data.draw(st.sampled_from(leaves))
    lines.insert(at + data.draw(st.integers(0, 1)), lines[at].split("#")[0].rstrip())
    path.write_text("\n".join(lines) + "\n")
    return "is given twice, on lines"


def damage_missing_table(folder: Path, data: st.DataObject) -> str:
    table = data.draw(st.sampled_from(("sites", "metros", "timesteps")))
    (folder / f"{table}.csv").unlink()
    return f"{table}.csv: file not found"


SCENARIO_DAMAGE = {
    "cell": damage_cell,
    "bytes": damage_bytes,
    "setting": damage_setting,
    "duplicate": damage_duplicate_key,
    "missing": damage_missing_table,
}


def _get(mapping: dict, path: tuple[str, ...]):
    for key in path:
        mapping = mapping[key]
    return mapping


@FUZZ
@given(kind=st.sampled_from(sorted(SCENARIO_DAMAGE)), data=st.data())
def test_damaged_scenario_folder(kind, data, capsys):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "scenario"
        shutil.copytree(TINY, folder)
        expected = SCENARIO_DAMAGE[kind](folder, data)
        out = Path(tmp) / "run"
        line = run_refused(["run", str(folder), "--out", str(out), "--quiet"], capsys, [folder])
        assert expected in line, line
        assert not out.exists()


# --------------------------------------------------------------------------------------------
# Sweep files
# --------------------------------------------------------------------------------------------

bad_variant_name = st.one_of(
    st.just(".."),
    st.just("a/b"),
    st.text(min_size=201, max_size=210, alphabet="ab"),
    st.text(alphabet=' /\\:*?"<>|\0', min_size=1, max_size=4).map(lambda t: f"v{t}"),
)


@FUZZ
@given(
    kind=st.sampled_from(["name", "path", "type", "duplicate", "unknown"]),
    name=bad_variant_name,
    word=st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=10),
    junk=junk_text,
)
def test_damaged_sweep_file(kind, name, word, junk, capsys):
    with tempfile.TemporaryDirectory() as tmp:
        sweep = Path(tmp) / "sweep.yaml"
        base = f"base: {TINY}\n"
        text = {
            "name": base + f"variants:\n  - name: {yaml.safe_dump(name).splitlines()[0]}\n",
            "path": base + f"variants:\n  - name: v1\n    set:\n      training.{word}_zz: 1\n",
            "type": base + f"grid:\n  training.target_mw: [100, {junk!r}]\n",
            "duplicate": base + "variants:\n  - name: v1\nvariants:\n  - name: v2\n",
            "unknown": base + f"{word}_zz: 1\nvariants:\n  - name: v1\n",
        }[kind]
        sweep.write_text(text)
        out = Path(tmp) / "batch"
        line = run_refused(["batch", str(sweep), "--out", str(out)], capsys, [sweep, TINY])
        assert "sweep" in line, line
        assert not out.exists()


# --------------------------------------------------------------------------------------------
# Run folders
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fuzzrun") / "tiny"
    assert main(["run", str(TINY), "--out", str(out), "--quiet"]) == 0
    return out


@FUZZ
@given(kind=st.sampled_from(["cell", "summary", "missing", "parquet"]), data=st.data())
def test_damaged_run_folder(tiny_run, kind, data, capsys):
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        shutil.copytree(tiny_run, run)
        if kind == "cell":
            table = data.draw(st.sampled_from(RUN_TABLES))
            path = run / f"{table}.csv"
            column = data.draw(st.sampled_from(number_columns(path)))
            set_cell(path, data.draw(st.integers(0, 10_000)), column, data.draw(junk_text))
            expected = f"{table}.csv: row "
        elif kind == "summary":
            path = run / "summary.json"
            body = path.read_bytes()
            path.write_bytes(body[: data.draw(st.integers(0, len(body) - 1))])
            expected = "summary.json: damaged"
        elif kind == "missing":
            table = data.draw(st.sampled_from(RUN_TABLES))
            (run / f"{table}.csv").unlink()
            expected = f"{table}.csv is missing"
        else:
            path = run / "dispatch.parquet"
            body = path.read_bytes()
            path.write_bytes(body[: data.draw(st.integers(0, len(body) - 1))])  # cut short
            expected = "dispatch.parquet: damaged"
        line = run_refused(["export", str(run)], capsys, [run])
        assert expected in line, line
