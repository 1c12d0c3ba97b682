"""Sweeps of the built US scenario: on local workers (``dcsite batch --workers 2``) and on a real
Dask cluster, with the data directory handed to the workers (not in their environment), every
run folder complete, one shared build per build key, and the comparison of the variants."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_batch import dask_cluster, deadline, summaries, write_sweep  # noqa: F401 (a fixture)

from optimizer.batch import load_sweep, run_sweep
from optimizer.builders.us.cache import META_FILE
from optimizer.builders.us.settings import DEFAULT_SCENARIO
from optimizer.cli import main
from optimizer.export.geojson import LAYERS

pytestmark = [pytest.mark.solver, pytest.mark.realdata, pytest.mark.slow]
ROOT = Path(__file__).absolute().parent.parent
RUN_FILES = {"summary.json", "sites.csv", "timesteps.csv", "map.html", "representative_days.csv",
             *(f"{name}.geojson" for name in LAYERS)}  # fmt: skip


def small_sweep(folder: Path, grid: dict) -> Path:
    """A sweep of the US default scenario on two BAs and 15 metros."""
    (folder / "small.yaml").write_text(
        "build:\n  bas: [ERCO, SWPP]\n  n_metros: 15\n  campus_spacing_km: 400\n"
        "  plant_min_capacity_mw: 2000\n"
    )
    sweep = {"base": str(DEFAULT_SCENARIO), "override_files": ["small.yaml"], "grid": grid}
    return write_sweep(folder, sweep)


@pytest.fixture(autouse=True)
def no_data_in_the_environment(monkeypatch):
    """DCSITE_DATA unset: only --data-dir (data_dir=) can reach the workers."""
    monkeypatch.delenv("DCSITE_DATA", raising=False)


def check_batch(out: Path, names: list[str]) -> dict[str, dict]:
    """Every variant's run folder complete and the summary and comparison written; the
    summaries by variant."""
    found = summaries(out)
    assert sorted(found) == sorted(names)
    for name, summary in found.items():
        assert summary["status"] == "optimal", (name, summary.get("error"))
        assert summary["full_year"]["hours"] == 8784
        assert {p.name for p in (out / "runs" / name).iterdir()} >= RUN_FILES, name
    table = pd.read_parquet(out / "summary.parquet")
    assert table["variant"].tolist() == names and table["has_solution"].all()
    comparison = pd.read_csv(out / "comparison.csv")
    assert comparison["variant"].tolist() == names
    assert (comparison["campus_mw"] >= comparison["training.target_mw"]).all()
    figures = {"training_cost_usd_per_mw_year", "firm_capacity_mw", "full_year_curtailment_pct"}
    assert figures <= set(comparison.columns)
    regions = [c for c in comparison.columns if c.startswith("campus_mw.")]
    assert regions and set(regions) <= {"campus_mw.ERCO", "campus_mw.SWPP"}
    assert comparison[regions].sum(axis=1).tolist() == pytest.approx(comparison["campus_mw"])
    assert (out / "comparison.png").stat().st_size > 0
    manifest = json.loads((out / "dcsite-output.json").read_text())
    assert {"comparison.csv", "comparison.png", "build-cache"} <= set(manifest["files"])
    return found


def check_shared_builds(out: Path, found: dict[str, dict], n_keys: int) -> None:
    """One build per build key, made before the variants and reused by each of them."""
    builds = {name: summary["build"] for name, summary in found.items()}
    assert all(b["reused"] for b in builds.values())
    assert all("sites" not in s["stages_seconds"] for s in found.values())
    keys = {b["key"] for b in builds.values()}
    assert len(keys) == n_keys and len({b["id"] for b in builds.values()}) == n_keys
    cache = out / "build-cache"
    assert sorted(p.name for p in cache.iterdir()) == sorted(keys)
    for build in builds.values():
        assert json.loads((cache / build["key"] / META_FILE).read_text())["id"] == build["id"]


def test_local_batch_of_the_built_scenario_shares_its_builds_and_resumes(tmp_path, data_dir):
    """Two training targets x two numbers of typical days: two build keys."""
    path = small_sweep(
        tmp_path, {"training.target_mw": [500, 1000], "build.n_typical_days": [2, 3]}
    )
    names = load_sweep(path).names()
    out = tmp_path / "out"
    argv = ["batch", str(path), "--out", str(out), "--workers", "2", "--quiet",
            "--data-dir", str(data_dir)]  # fmt: skip
    assert main(argv) == 0
    found = check_batch(out, names)
    check_shared_builds(out, found, n_keys=2)
    for days in (2, 3):  # the variants of one number of typical days share one build
        keys = {s["build"]["key"] for n, s in found.items() if f"n_typical_days={days}" in n}
        assert len(keys) == 1
    built_at = {p.name: (p / META_FILE).stat().st_mtime_ns for p in (out / "build-cache").iterdir()}

    assert main([*argv, "--resume"]) == 0  # nothing rebuilt, nothing solved again
    again = summaries(out)
    assert {n: s["run_id"] for n, s in again.items()} == {n: s["run_id"] for n, s in found.items()}
    after = {p.name: (p / META_FILE).stat().st_mtime_ns for p in (out / "build-cache").iterdir()}
    assert after == built_at


def test_cluster_batch_of_the_built_scenario(tmp_path, data_dir):
    """Two training targets sharing one build, on a scheduler and two workers started here."""
    path = small_sweep(tmp_path, {"training.target_mw": [500, 1000]})
    names = load_sweep(path).names()
    out = tmp_path / "out"
    with dask_cluster(tmp_path) as address:
        run_sweep(path, out, scheduler=address, progress=False, data_dir=data_dir)
    found = check_batch(out, names)
    check_shared_builds(out, found, n_keys=1)
    assert all(s["batch"]["worker"].startswith("tcp://127.0.0.1:") for s in found.values())


def test_a_built_sweep_needs_the_data_directory(tmp_path, capsys):
    out = tmp_path / "out"
    path = small_sweep(tmp_path, {"training.target_mw": [500]})
    assert main(["batch", str(path), "--out", str(out)]) == 2
    assert "no data directory given" in capsys.readouterr().err
    assert not out.exists()
