"""`dcsite run` end to end on the example scenarios: files, atomic folder, statuses, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from optimizer.cli import main
from optimizer.outputs import record_files
from optimizer.results import Results

pytestmark = pytest.mark.solver
SCENARIOS = Path(__file__).resolve().parent.parent / "data" / "scenarios"


@pytest.mark.parametrize("name", ["tiny", "stranded-storage"])
def test_run_writes_every_output(name, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(SCENARIOS / name), "--out", str(out), "--quiet"]) == 0
    names = {p.name for p in out.iterdir()}
    tables = {"summary.json", "sites.csv", "metros.csv", "assignments.csv", "dispatch.parquet",
              "regions.csv", "region_timesteps.csv"}  # fmt: skip
    exports = {"sites.geojson", "assignments.geojson", "metros.geojson", "regions.geojson",
               "map.html", "cost_breakdown.png", "stranded_power_duration.png"}  # fmt: skip
    assert tables | exports <= names
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary folder left behind
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert summary["mip_gap_pct"] <= 1
    for key in ("campus_mw", "edge_modules", "storage_energy_mwh", "storage_power_mw",
                "unserved_mw", "training_curtailment_pct", "firm_capacity_mw"):  # fmt: skip
        assert key in summary["totals"]
    assert sum(summary["objective_breakdown_usd"].values()) == pytest.approx(
        summary["objective_usd"]
    )
    assert summary["build_seconds"] > 0 and summary["solve_seconds"] > 0
    assert list(pd.read_csv(out / "assignments.csv").columns) == [
        "site", "metro", "served_mw", "latency_ms"
    ]  # fmt: skip
    dispatch = pd.read_parquet(out / "dispatch.parquet")
    assert {"site", "timestep", "grid_import_mw", "soc_mwh", "curtailed_mw"} <= set(dispatch)
    loaded = Results.load(out)
    assert loaded.summary == summary and len(loaded.sites) == len(pd.read_csv(out / "sites.csv"))
    assert "annualized cost" in capsys.readouterr().out


def test_stranded_storage_plan_is_the_one_its_readme_explains(tmp_path):
    out = tmp_path / "run"
    assert main(["run", str(SCENARIOS / "stranded-storage"), "--out", str(out), "--quiet"]) == 0
    sites = pd.read_csv(out / "sites.csv").set_index("site")
    summary = json.loads((out / "summary.json").read_text())
    assert sites.loc["plains-a", "campus_mw"] == 300
    assert sites.loc["plains-a", "storage_power_mw"] == pytest.approx(152.7, abs=0.5)
    assert summary["totals"]["firm_capacity_mw"] == pytest.approx(0.0, abs=1e-6)
    assert summary["totals"]["training_curtailment_pct"] == pytest.approx(0.5, abs=1e-6)
    # with a curtailment budget that covers the gap, the battery is no longer worth it
    out2 = tmp_path / "run2"
    argv = ["run", str(SCENARIOS / "stranded-storage"), "--out", str(out2), "--quiet",
            "--set", "training.curtailment_budget_pct=1.4"]  # fmt: skip
    assert main(argv) == 0
    assert json.loads((out2 / "summary.json").read_text())["totals"]["storage_power_mw"] < 1.0


def test_infeasible_run_writes_summary_and_exits_2(tmp_path, capsys):
    # 800 MW needs a 200 MW block at waco, whose 130 MW of wire (with upgrade) cannot carry
    # 240 MW without curtailment: the best it can do is 100 MW there, 100 MW short of target.
    out = tmp_path / "run"
    argv = ["run", str(SCENARIOS / "tiny"), "--out", str(out), "--quiet",
            "--set", "training.target_mw=800",
            "--set", "training.curtailment_budget_pct=0"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "is infeasible" in err and "siting_training_target relaxed by 100.000" in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "infeasible" and summary["has_solution"] is False
    assert summary["infeasibility"][0] == {
        "constraint": "siting_training_target", "index": "", "amount": pytest.approx(100.0)
    }  # fmt: skip


def test_unknown_override_path_is_a_clear_error(tmp_path, capsys):
    argv = ["run", str(SCENARIOS / "tiny"), "--out", str(tmp_path / "r"), "--quiet",
            "--set", "costs.nope=1"]  # fmt: skip
    assert main(argv) == 2
    assert "costs.nope" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_rerun_replaces_the_folder_whole(tmp_path):
    out = tmp_path / "run"
    scenario = str(SCENARIOS / "tiny")
    assert main(["run", scenario, "--out", str(out), "--quiet"]) == 0
    (out / "stale.png").write_text("a figure an older dcsite wrote")
    record_files(out, ["stale.png"])
    assert (
        main(["run", scenario, "--out", str(out), "--quiet", "--set", "training.target_mw=100"])
        == 0
    )
    assert not (out / "stale.png").exists()
    assert json.loads((out / "summary.json").read_text())["totals"]["campus_mw"] >= 100
