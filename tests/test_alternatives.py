"""Near-optimal alternatives (``dcsite alternatives``) on a case solved by hand.

Three campus sites in region r1 and one in r2; blocks of 100 and 200 MW, one campus per site,
a 300 MW training target. Cost of capital 0 and lifetimes of 1 year (tests/factory.py), so a
campus costs per MW and year its capex (1,000 USD) and its energy, 50 USD/MWh x 8,760 h x PUE:

=====  ======  ===========  ==============  ===================
site   region  most MW      PUE             USD per MW-year
=====  ======  ===========  ==============  ===================
E      r1      200          1.0             439,000
A, B   r1      100 each     1.2             526,600
C      r2      100          2.0             877,000
=====  ======  ===========  ==============  ===================

The optimum builds E 200 + A or B 100: 140.46 M USD/yr (A and B tie). E 100 + A + B costs
149.22 M (+6.24 %); replacing A by C costs 175.50 M (+24.95 %); without E, 300 MW needs A, B and
C at 193.02 M (+37.4 %). So within 2 %: E is essential at 200 MW, A and B are interchangeable
(0 to 100 MW), C is avoidable; r1 is essential at 300 MW, r2 avoidable. Within 10 % E's least is
100 MW; within 30 % C (and r2) becomes interchangeable, and E stays essential.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import highspy
import numpy as np
import pandas as pd
import pytest
import yaml
from factory import BASE_CONFIG, deep_merge
from test_model_random import random_scenario

from optimizer.alternatives import ALTERNATIVES_DIR, run_alternatives
from optimizer.alternatives.problem import LP_TOL_SHARE, NearOptimal, Objective, plan_of_run
from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.model import build_model
from optimizer.outputs import OutputError, read_manifest
from optimizer.pipeline import prepare, run_scenario, solve, write_run
from optimizer.results.folder import read_table
from optimizer.scenario import SCENARIO_FILE, load_scenario
from optimizer.solve.highs import SolverOptions, solve_matrix, to_matrix
from optimizer.source import Source, recorded_source

OPTIMUM_USD = 200 * 439_000 + 100 * 526_600


def _write_case(folder: Path) -> Path:
    folder.mkdir(parents=True)
    config = deep_merge(
        BASE_CONFIG,
        {"name": "hand-mga", "training": {"target_mw": 300.0, "campus_blocks_mw": [100, 200]}},
    )
    (folder / "scenario.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    site = {
        "lat": 40.0,
        "lon": -90.0,
        "interconnect_mw": 1000.0,
        "interconnect_upgrade_max_mw": 0.0,
        "time_to_power_years": 0.0,
        "campus_allowed": True,
        "edge_allowed": False,
        "storage_allowed": False,
    }
    rows = [
        {"site": "E", "region": "r1", "site_max_mw": 200.0, "pue": 1.0},
        {"site": "A", "region": "r1", "site_max_mw": 100.0, "pue": 1.2},
        {"site": "B", "region": "r1", "site_max_mw": 100.0, "pue": 1.2},
        {"site": "C", "region": "r2", "site_max_mw": 100.0, "pue": 2.0, "lon": -100.0},
        {"site": "X", "region": "r1", "site_max_mw": 100.0, "pue": 1.0, "campus_allowed": False,
         "edge_allowed": True},  # the metro's edge site (no inference demand)
    ]  # fmt: skip
    pd.DataFrame([{**site, **row} for row in rows]).to_csv(folder / "sites.csv", index=False)
    metro = {"metro": "m0", "lat": 40.0, "lon": -90.0, "inference_demand_mw": 0.0}
    pd.DataFrame([metro]).to_csv(folder / "metros.csv", index=False)
    pd.DataFrame({"region": ["r1", "r2"]}).to_csv(folder / "regions.csv", index=False)
    step = {"timestep": "t1", "period": "p1", "duration_h": 1.0, "weight_h": 8760.0}
    pd.DataFrame([step]).to_csv(folder / "timesteps.csv", index=False)
    stranded = [{"region": r, "timestep": "t1", "stranded_mw": 1e5} for r in ("r1", "r2")]
    pd.DataFrame(stranded).to_csv(folder / "stranded.csv", index=False)
    return folder


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """The hand case solved and written by the pipeline, as ``dcsite run`` does."""
    source = Source.of(_write_case(tmp_path / "case"))
    prepared = prepare(source)
    return write_run(solve(prepared), tmp_path / "run", exports=False)


def _ranges(run: Path, slack_pct: float, count: int = 0) -> pd.DataFrame:
    run_alternatives(run, slack_pct=slack_pct, count=count, workers=0, exports=False)
    table = pd.read_csv(run / ALTERNATIVES_DIR / "ranges.csv")
    return table.set_index(["kind", "name"])


def test_hand_case_ranges_and_verdicts(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["objective_usd"] == pytest.approx(OPTIMUM_USD, rel=1e-9)
    table = _ranges(run_dir, 2.0)
    expected = {
        ("ba", "r1"): (300, 300, 300, "essential"),
        ("ba", "r2"): (0, 0, 0, "avoidable"),
        ("site", "E"): (200, 200, 200, "essential"),
    }
    for key, (optimal, least, most, verdict) in expected.items():
        row = table.loc[key]
        assert (row["optimal_campus_mw"], row["least_campus_mw"], row["most_campus_mw"]) == (
            optimal,
            least,
            most,
        ), key
        assert row["verdict"] == verdict and bool(row["verdict_proven"]), key
        assert row["status"] == "exact", key
    # A and B tie: the optimum takes one of them, which is interchangeable
    used = [s for s in ("A", "B") if ("site", s) in table.index]
    assert len(used) == 1
    row = table.loc[("site", used[0])]
    assert (row["least_campus_mw"], row["most_campus_mw"], row["verdict"]) == (
        0,
        100,
        "interchangeable",
    )
    assert ("site", "C") not in table.index  # not built by the optimum: a BA's range covers it
    info = json.loads((run_dir / ALTERNATIVES_DIR / "summary.json").read_text())
    assert info["verdicts"]["ba"] == {"essential": 1, "interchangeable": 0, "avoidable": 1}
    assert info["plan_cost_usd"] == pytest.approx(OPTIMUM_USD, rel=1e-9)
    assert info["cost_limit_usd"] == pytest.approx(1.02 * OPTIMUM_USD, rel=1e-6)


def test_alternatives_within_the_slack(run_dir: Path) -> None:
    """Each plan's cost, recomputed from its own run folder in a freshly built model, is within
    (1 + slack) x the optimum, and the plans move campuses away from the optimum's sites."""
    slack_pct = 30.0
    run_alternatives(run_dir, slack_pct=slack_pct, count=3, workers=0, exports=False)
    plans = sorted((run_dir / ALTERNATIVES_DIR / "plans").iterdir())
    # alt-3 avoids every site; the one plan within 30 % not found yet (E 100 + A + B) is no
    # rounding of its relaxation, and a plan found before is not written again
    assert [p.name for p in plans] == ["alt-1", "alt-2"]
    campus = [read_table(p, "sites").set_index("site")["campus_mw"] for p in [run_dir, *plans]]
    assert len({tuple(c.items()) for c in campus}) == 3  # the run's plan and two new ones
    scenario = load_scenario(recorded_source(run_dir).path)
    built = build_model(scenario)
    matrix = to_matrix(built.model)
    for plan in plans:
        summary = json.loads((plan / "summary.json").read_text())
        _, cost_usd = plan_of_run(built, matrix, read_table(plan, "sites"), SolverOptions())
        assert cost_usd == pytest.approx(summary["objective_usd"], rel=1e-9)
        assert sum(summary["objective_breakdown_usd"].values()) == pytest.approx(cost_usd)
        assert cost_usd <= (1 + slack_pct / 100) * OPTIMUM_USD * (1 + 1e-9)
        assert read_manifest(plan)["kind"] == "run"
        # each plan records the run's scenario, so it can be ranged in turn
        recorded = recorded_source(plan).path / SCENARIO_FILE
        assert recorded.read_bytes() == (recorded_source(run_dir).path / SCENARIO_FILE).read_bytes()
    # alt-1 avoids E and the optimum's A or B: E 100 + A + B or E 100 + C + the other one
    # exceed 30 %, so its least is 200 MW there: E 200 and the other of A and B (the tie)
    optimum = read_table(run_dir, "sites").set_index("site")["campus_mw"]
    first = read_table(plans[0], "sites").set_index("site")["campus_mw"]
    assert first["E"] == 200 and first["C"] == 0
    assert {first["A"], first["B"]} == {0, 100} and first["A"] != optimum["A"]
    info = json.loads((run_dir / ALTERNATIVES_DIR / "summary.json").read_text())
    assert info["highest_cost_usd"] <= (1 + slack_pct / 100) * OPTIMUM_USD * (1 + 1e-9)
    assert all(p["cost_above_run_pct"] <= slack_pct + 1e-7 for p in info["plans"])
    assert info["plans"][0]["campus_mw_moved"] > 0


def test_ranges_monotone_in_the_slack(run_dir: Path) -> None:
    tables = {slack: _ranges(run_dir, slack) for slack in (0.0, 2.0, 10.0, 30.0)}
    slacks = sorted(tables)
    for low, high in zip(slacks, slacks[1:], strict=False):
        a, b = tables[low], tables[high].loc[tables[low].index]
        assert (b["least_campus_mw"] <= a["least_campus_mw"]).all(), (low, high)
        assert (b["most_campus_mw"] >= a["most_campus_mw"]).all(), (low, high)
    assert tables[0.0].loc[("site", "E"), "least_campus_mw"] == 200
    assert tables[10.0].loc[("site", "E"), "least_campus_mw"] == 100
    assert tables[10.0].loc[("ba", "r2"), "verdict"] == "avoidable"
    assert tables[30.0].loc[("ba", "r2"), "verdict"] == "interchangeable"
    assert tables[30.0].loc[("ba", "r2"), "most_campus_mw"] == 100
    assert tables[30.0].loc[("site", "E"), "verdict"] == "essential"


def test_run_folder_records_its_scenario(tmp_path: Path) -> None:
    case = _write_case(tmp_path / "case")
    source = Source.of(case, ["training.target_mw=200"])
    run = write_run(solve(prepare(source)), tmp_path / "run", exports=False)
    again = recorded_source(run)
    assert again.overrides == ("training.target_mw=200",)
    assert load_scenario(again.path, again.overrides).hash() == prepare(source).scenario.hash()
    shutil.rmtree(case)  # the copy is enough
    assert (run / "scenario" / "case" / "sites.csv").is_file()
    assert "scenario" in read_manifest(run)["files"]


def test_run_folder_without_its_scenario_is_refused(run_dir: Path, tmp_path: Path) -> None:
    shutil.rmtree(run_dir / "scenario")
    with pytest.raises(InputError, match="does not record the scenario it was solved from"):
        run_alternatives(run_dir, workers=0)
    assert not (run_dir / ALTERNATIVES_DIR).exists()
    # a scenario in memory (run_scenario) has no source to record
    memory = write_run(
        run_scenario(load_scenario(_write_case(tmp_path / "c2"))), tmp_path / "r2", exports=False
    )
    with pytest.raises(InputError, match="no scenario/source.json"):
        run_alternatives(memory, workers=0)


def test_cli_refuses_a_run_without_its_scenario(
    run_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    shutil.rmtree(run_dir / "scenario")
    assert main(["alternatives", str(run_dir), "--workers", "1"]) == 2
    assert "does not record the scenario" in capsys.readouterr().err
    assert main(["alternatives", str(run_dir), "--slack-pct", "-1"]) == 2


def test_rerun_replaces_only_what_dcsite_wrote(run_dir: Path) -> None:
    _ranges(run_dir, 2.0)
    _ranges(run_dir, 10.0)  # replaces the folder whole
    info = json.loads((run_dir / ALTERNATIVES_DIR / "summary.json").read_text())
    assert info["slack_pct"] == 10.0
    assert "alternatives" in read_manifest(run_dir)["files"]
    (run_dir / ALTERNATIVES_DIR / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="notes.txt"):
        _ranges(run_dir, 2.0)
    assert (run_dir / ALTERNATIVES_DIR / "notes.txt").read_text() == "mine"


@pytest.mark.slow
def test_two_workers_give_the_same_ranges_as_one(run_dir: Path) -> None:
    tables = []
    for workers in (1, 2):
        run_alternatives(run_dir, slack_pct=10.0, count=2, workers=workers, exports=False)
        table = pd.read_csv(run_dir / ALTERNATIVES_DIR / "ranges.csv")
        tables.append(table.drop(columns=["solves", "solve_seconds"]))
        info = json.loads((run_dir / ALTERNATIVES_DIR / "summary.json").read_text())
        assert info["workers"] == workers
    pd.testing.assert_frame_equal(tables[0], tables[1])


def test_a_run_that_no_longer_matches_its_model_is_refused(run_dir: Path) -> None:
    path = run_dir / "summary.json"
    summary = json.loads(path.read_text())
    summary["objective_usd"] *= 1.01  # as if the data had changed since the run
    path.write_text(json.dumps(summary))
    with pytest.raises(InputError, match="the data or dcsite changed since the run"):
        run_alternatives(run_dir, workers=0)


def test_shrunk_us_run_rebuilt_from_its_folder(data_dir: Path, tmp_path: Path) -> None:
    """A built scenario: the run folder records the file and the overrides, the model is built
    again from the data directory, and the run's plan costs the same in it."""
    from factory import SHRUNK_US

    from optimizer.builders.us.settings import DEFAULT_SCENARIO

    source = Source.of(DEFAULT_SCENARIO, SHRUNK_US)
    run = write_run(solve(prepare(source, data_dir, full_year=False)), tmp_path / "us", data_dir)
    again = recorded_source(run)
    assert again.built and again.overrides == tuple(SHRUNK_US)
    info = run_alternatives(run, count=1, top_sites=2, workers=0, data_dir=data_dir)
    assert info["plan_cost_usd"] == pytest.approx(info["run_objective_usd"], rel=1e-6)
    table = pd.read_csv(run / ALTERNATIVES_DIR / "ranges.csv")
    assert sorted(table.loc[table["kind"] == "ba", "name"]) == ["ERCO", "SWPP"]
    assert (table["least_campus_mw"] <= table["optimal_campus_mw"]).all()
    assert (table["optimal_campus_mw"] <= table["most_campus_mw"]).all()
    assert info["highest_cost_usd"] <= info["cost_limit_usd"]
    features = json.loads((run / ALTERNATIVES_DIR / "alternatives.geojson").read_text())
    assert {f["id"] for f in features["features"]} == {"ERCO", "SWPP"}
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features["features"])


def _bound_with_cost_row(problem: NearOptimal, f: np.ndarray) -> float:
    """min f'x over the relaxation with the cost limit as a row, solved directly."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(problem.matrix.lp)
    if problem.integers.size:
        continuous = np.full(problem.integers.size, highspy.HighsVarType.kContinuous)
        h.changeColsIntegrality(problem.integers.size, problem.integers, continuous)
    nz = np.flatnonzero(problem.cost).astype(np.int32)
    h.addRow(-highspy.kHighsInf, problem.limit_usd - problem.offset, nz.size, nz, problem.cost[nz])
    h.changeObjectiveOffset(0.0)
    h.changeColsCost(problem.n, problem.all_columns, f)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return float(h.getInfo().objective_function_value)


@pytest.mark.parametrize("seed", range(12))
def test_lagrangian_search_finds_the_lp_with_the_cost_row(seed: int) -> None:
    """On random small instances, the search's bound for every site and region, least and most,
    equals the relaxation's optimum with the cost limit written as a row (to the search's
    tolerance, and never above it), and every point it
    rounds is within the limit."""
    scenario = random_scenario(seed)
    built = build_model(scenario)
    matrix = to_matrix(built.model)
    mip = solve_matrix(matrix, SolverOptions(time_limit_s=60, mip_gap_pct=0.0))
    slack_pct = [0.0, 2.0, 10.0, 40.0][seed % 4]
    problem = NearOptimal(built, matrix, mip.x, mip.objective_usd, slack_pct, SolverOptions())
    groups = {(s,) for s in problem.site_columns}
    groups |= {tuple(sorted(problem.site_columns)), ()}
    checked = 0
    for sites in sorted(groups):
        for maximise in (False, True):
            f = problem.weights(Objective("t", sites, maximise))
            if not f.any():
                continue
            search = problem._search(f, known=np.inf, time_limit_s=60)
            # a valid bound; at most the search's tolerance from the optimum, or in the same
            # block when the search stopped early because more LPs could not move it past one
            reference = _bound_with_cost_row(problem, f)
            g = problem.granularity_mw
            assert search.bound <= reference + 1e-7, (sites, maximise)
            if search.optimum:
                assert search.bound >= reference - LP_TOL_SHARE * g - 1e-7, (sites, maximise)
            else:
                assert g * math.ceil(search.bound / g - 1e-6) >= reference - 1e-7
            assert all(p.cost_usd <= problem.limit_usd * (1 + 1e-9) for p in search.points)
            checked += 1
    assert checked >= 2
