"""A run folder is self-contained: it holds its time steps, loads and exports with pandas only
(no Pyomo), and exports again when copied elsewhere with its scenario folder gone."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from optimizer.cli import main
from optimizer.results import read_table

pytestmark = pytest.mark.solver
SCENARIOS = Path(__file__).resolve().parent.parent / "data" / "scenarios"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "run"
    assert main(["run", str(SCENARIOS / "stranded-storage"), "--out", str(out), "--quiet"]) == 0
    return out


def test_the_run_folder_holds_the_time_steps_with_periods_and_weights(run_dir):
    steps = read_table(run_dir, "timesteps")
    given = pd.read_csv(SCENARIOS / "stranded-storage" / "timesteps.csv")
    assert steps["timestep"].tolist() == given["timestep"].astype(str).tolist()
    assert steps["period"].tolist() == given["period"].astype(str).tolist()
    assert steps["weight_h"].tolist() == pytest.approx(given["weight_h"].tolist())
    assert {"duration_h", "inference_profile"} <= set(steps.columns)


def test_loading_and_exporting_a_run_folder_does_not_import_pyomo(run_dir, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    code = textwrap.dedent(
        f"""
        import sys
        from optimizer.export import write_exports
        from optimizer.results import Results

        results = Results.load({str(copy)!r})
        assert len(results.sites) and len(results.timesteps), "tables not loaded"
        assert write_exports({str(copy)!r}), "nothing exported"
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("pyomo", "highspy"))
        assert not heavy, heavy
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_copied_run_folder_exports_again_without_its_scenario_folder(tmp_path, capsys):
    scenario = tmp_path / "scenario"
    shutil.copytree(SCENARIOS / "stranded-storage", scenario)
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == 0
    moved = tmp_path / "elsewhere" / "run"
    shutil.copytree(out, moved)
    shutil.rmtree(scenario)
    shutil.rmtree(out)
    exports = ["map.html", "sites.geojson", "campus_dispatch.png", "cost_breakdown.png"]
    for name in exports:
        (moved / name).unlink()
    capsys.readouterr()
    assert main(["export", str(moved)]) == 0
    printed = capsys.readouterr().out
    for name in exports:
        assert (moved / name).is_file() and f"wrote {moved / name}" in printed
