"""dcsite sensitivity: presets checked against the base, the tornado and the campus MW shifts
read from the run folders, the firm capacity price scale, builder settings refused on a
scenario folder, and the command end to end.

Fast tests run each run of a sensitivity in this process (:func:`optimizer.batch.run_variant`,
as a worker would) and build the tables from the folders; the test marked ``slow`` runs the
command on local worker processes (its outcome does not depend on their timing: every run is
independent and the tables are read from the folders at the end).
"""

from __future__ import annotations

import json
import math
import shutil
import signal
from pathlib import Path

import pandas as pd
import pytest
import yaml
from factory import make_scenario, site

from optimizer.batch import Job, SweepError, run_variant, sweep_from_dict
from optimizer.batch.preset import PresetError
from optimizer.batch.sensitivity import (
    FILES,
    SensitivityPlan,
    plan_sensitivity,
    sensitivity_tables,
    write_sensitivity,
)
from optimizer.batch.tornado import BASE_RUN
from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.outputs import read_manifest
from optimizer.pipeline import run_scenario

pytestmark = pytest.mark.solver
ROOT = Path(__file__).absolute().parent.parent
TINY = ROOT / "data" / "scenarios" / "tiny"
PRESETS = ROOT / "data" / "sensitivity"
TEST_DEADLINE_S = 240
INFEASIBLE = {"training.target_mw": 800, "training.curtailment_budget_pct": 0}

SMALL_PRESET = {
    "description": "three inputs of tiny",
    "inputs": {
        "wacc": {"setting": "finance.wacc_pct", "low": 5.5, "high": 10, "unit": "%",
                 "source": "test"},
        "firm_price": {"setting": "costs.firm_capacity_price_scale_pct", "low": 50,
                       "high": 150, "unit": "%", "source": "test", "label": "firm price"},
        "target": {"setting": "training.target_mw", "low": 100, "high": 400, "unit": "MW",
                   "source": "test: moves campuses"},
    },
}  # fmt: skip


@pytest.fixture(autouse=True)
def deadline():
    """Fail (rather than hang) a test that runs longer than TEST_DEADLINE_S."""

    def expire(signum, frame):
        raise TimeoutError(f"test exceeded its {TEST_DEADLINE_S} s deadline")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, TEST_DEADLINE_S)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def run_in_process(plan: SensitivityPlan, out: Path) -> None:
    """Every run of ``plan`` into ``out/runs/<run>/`` in this process, as a worker runs it."""
    for variant in plan.sweep.variants:
        job = Job(
            name=variant.name,
            source=plan.sweep.source_of(variant),
            overrides=variant.overrides,
            run_dir=str(out / "runs" / variant.name),
            batch_id="test",
            exports=False,
        )
        run_variant(job)


def objective(out: Path, name: str) -> float | None:
    return json.loads((out / "runs" / name / "summary.json").read_text())["objective_usd"]


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[SensitivityPlan, Path]:
    """The three-input sensitivity of tiny, run in this process."""
    out = tmp_path_factory.mktemp("sens") / "out"
    plan = plan_sensitivity(TINY, SMALL_PRESET, ["solver.mip_gap_pct=0"])
    run_in_process(plan, out)
    return plan, out


# --- the plan -------------------------------------------------------------------------------


def test_plan_runs_the_base_and_each_input_low_and_high_with_the_overrides():
    plan = plan_sensitivity(TINY, SMALL_PRESET, ["solver.mip_gap_pct=0"])
    assert plan.run_names() == [
        "base", "wacc-low", "wacc-high", "firm_price-low", "firm_price-high",
        "target-low", "target-high",
    ]  # fmt: skip
    overrides = {v.name: v.overrides for v in plan.sweep.variants}
    assert overrides["base"] == {"solver.mip_gap_pct": 0}
    assert overrides["firm_price-high"] == {
        "solver.mip_gap_pct": 0,
        "costs.firm_capacity_price_scale_pct": 150,
    }
    assert plan.base_values == {"wacc": None, "firm_price": 100.0, "target": 200.0}


def test_the_shipped_presets_check_against_their_scenarios():
    tiny = plan_sensitivity(TINY, PRESETS / "tiny.yaml")
    assert len(tiny.run_names()) == 1 + 2 * len(tiny.preset.inputs)
    us = plan_sensitivity(None, None)  # the default US scenario and preset; nothing is built
    settings = {i.setting for i in us.preset.inputs}
    assert {"finance.wacc_pct", "costs.firm_capacity_price_scale_pct",
            "build.stranded_share_pct", "inference.latency_max_ms",
            "training.curtailment_budget_pct", "costs.storage_energy_capex_usd_per_mwh",
            "costs.delay_cost_usd_per_mw_year"} <= settings  # fmt: skip
    for item in us.preset.inputs:
        assert item.source.strip() and item.unit.strip() and item.low != item.high


def _input(**changes) -> dict:
    item = {"setting": "finance.wacc_pct", "low": 5, "high": 9, "unit": "%", "source": "s"}
    item.update(changes)
    return {key: value for key, value in item.items() if value is not None}


@pytest.mark.parametrize(
    "preset, needle",
    [
        ({"inputs": {"w": _input(), }, "extra": 1}, "field extra: unknown key"),
        ({"inputs": {"w": _input(colour="red")}}, "field inputs.w.colour: unknown key"),
        ({"inputs": {"w": _input(source=None)}}, "field inputs.w.source: required field"),
        ({"inputs": {}}, "field inputs:"),
        ({"inputs": {"w": _input(setting="finance.wacc")}},
         "inputs.w.setting: unknown key finance.wacc"),
        ({"inputs": {"w": _input(low=7, high=7)}}, "inputs.w: low and high are both 7"),
        ({"inputs": {"w": _input(high=150)}},
         "inputs.w.high: field finance.wacc_pct: Input should be less than or equal to 100"),
        ({"inputs": {"w": _input(), "v": _input(low=6)}},
         "inputs.v.setting: finance.wacc_pct is also moved by w"),
        ({"inputs": {"a b": _input()}}, "inputs.a b: run name 'a b-low' cannot be a folder"),
        ({"inputs": {"s": _input(setting="build.stranded_share_pct", low=25, high=75)}},
         "inputs.s.setting: build.stranded_share_pct is a setting of the US scenario builder"),
        ({"inputs": {"w": _input()}, "solver": {"nope": 1}}, "solver.nope: unknown key"),
        ({"inputs": {"w": _input()}, "solver": {"time_limit_s": -1}},
         "solver: field solver.time_limit_s: Input should be greater than 0"),
    ],
)  # fmt: skip
def test_bad_presets_are_refused_naming_the_field(preset, needle):
    with pytest.raises(PresetError) as info:
        plan_sensitivity(TINY, preset)
    assert needle in str(info.value), str(info.value)


def test_a_bad_preset_file_is_named(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"inputs": {"w": _input(low=7, high=7)}}))
    with pytest.raises(PresetError, match=rf"sensitivity preset {path}: inputs.w: low and high"):
        plan_sensitivity(TINY, path)
    path.write_text("inputs: {w: {setting: a\n")
    with pytest.raises(PresetError, match=rf"{path}: not valid YAML"):
        plan_sensitivity(TINY, path)
    with pytest.raises(PresetError, match="file not found"):
        plan_sensitivity(TINY, tmp_path / "none.yaml")


def test_the_default_preset_is_for_the_default_scenario_only():
    with pytest.raises(InputError, match="the default preset us-default.yaml is for the default"):
        plan_sensitivity(TINY, None)


def test_bad_overrides_are_refused_before_the_preset():
    with pytest.raises(InputError, match="training.nope"):
        plan_sensitivity(TINY, SMALL_PRESET, ["training.nope=1"])


# --- the tables -----------------------------------------------------------------------------


def test_tornado_changes_are_the_runs_objectives_minus_the_base(small):
    plan, out = small
    tornado, _ = sensitivity_tables(out, plan)
    base = objective(out, BASE_RUN)
    assert list(tornado["input"]) == list(
        tornado.sort_values("swing_musd_per_year", ascending=False)["input"]
    )
    for row in tornado.to_dict("records"):
        assert row["base_cost_musd_per_year"] == pytest.approx(base / 1e6, rel=1e-12)
        costs = [base]
        for side in ("low", "high"):
            cost = objective(out, f"{row['input']}-{side}")
            costs.append(cost)
            assert row[f"{side}_cost_musd_per_year"] == pytest.approx(cost / 1e6, rel=1e-12)
            assert row[f"{side}_change_musd_per_year"] == pytest.approx((cost - base) / 1e6)
            assert row[f"{side}_change_pct"] == pytest.approx(100 * (cost - base) / base)
            assert row[f"{side}_status"] == "optimal" and row[f"{side}_gap_pct"] <= 1e-6
            assert row[f"{side}_run"] == f"runs/{row['input']}-{side}"
        assert row["swing_musd_per_year"] == pytest.approx((max(costs) - min(costs)) / 1e6)
        assert row["note"] is None
    rows = tornado.set_index("input")
    # the cost of capital and the target move the cost well beyond a zero gap
    assert rows.loc["wacc", "low_change_musd_per_year"] < 0 < rows.loc["wacc", "high_change_pct"]
    assert not rows["within_gap"].any()
    assert rows.loc["wacc", "base_value"] == pytest.approx(
        json.loads((out / "runs" / BASE_RUN / "summary.json").read_text())["wacc_pct"]
    )  # left null in tiny: the base run's derived cost of capital


def test_changes_within_the_solver_gap_are_flagged(small, tmp_path):
    plan, out = small
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    tornado, _ = sensitivity_tables(copy, plan)
    change = tornado.set_index("input").loc["firm_price", "high_change_musd_per_year"] * 1e6
    base_usd = objective(copy, BASE_RUN)
    # report a base gap just wide enough to cover the firm price's high change, not its low one
    summary_path = copy / "runs" / BASE_RUN / "summary.json"
    summary = json.loads(summary_path.read_text())
    summary["mip_gap_pct"] = 100 * abs(change) * 1.01 / base_usd
    summary_path.write_text(json.dumps(summary))
    rows = sensitivity_tables(copy, plan)[0].set_index("input")
    assert bool(rows.loc["firm_price", "high_within_gap"])
    assert rows.loc["firm_price", "high_gap_band_musd_per_year"] == pytest.approx(
        abs(change) * 1.01 / 1e6
    )
    assert not rows.loc["wacc", "within_gap"]


def test_campus_shifts_sum_to_each_runs_campus_and_match_its_sites(small):
    plan, out = small
    _, shifts = sensitivity_tables(out, plan)
    base_sites = pd.read_csv(out / "runs" / BASE_RUN / "sites.csv")
    base_by_region = base_sites.groupby("region")["campus_mw"].sum()
    moved = 0
    for (name, side), rows in shifts.groupby(["input", "side"], sort=False):
        run = BASE_RUN if side == BASE_RUN else f"{name}-{side}"
        sites = pd.read_csv(out / "runs" / run / "sites.csv")
        by_region = sites.groupby("region")["campus_mw"].sum()
        total = json.loads((out / "runs" / run / "summary.json").read_text())["totals"]
        assert rows["campus_mw"].sum() == pytest.approx(total["campus_mw"])
        assert rows["shift_mw"].sum() == pytest.approx(by_region.sum() - base_by_region.sum())
        for row in rows.to_dict("records"):
            assert row["campus_mw"] == pytest.approx(by_region.get(row["region"], 0.0))
            assert row["base_campus_mw"] == pytest.approx(base_by_region.get(row["region"], 0.0))
            assert row["shift_mw"] == pytest.approx(row["campus_mw"] - row["base_campus_mw"])
        built = set(by_region[by_region > 0].index) | set(base_by_region[base_by_region > 0].index)
        assert set(rows["region"]) == built
        moved += int((rows["shift_mw"].abs() > 0).sum())
    assert moved > 0  # the target moves campus MW between regions


def test_failed_and_missing_runs_are_shown_not_dropped(tmp_path):
    out = tmp_path / "out"
    preset = {"inputs": {"target": {"setting": "training.target_mw", "low": 100, "high": 800,
                                    "unit": "MW", "source": "800 MW without curtailment: "
                                    "infeasible"}}}  # fmt: skip
    plan = plan_sensitivity(TINY, preset, ["training.curtailment_budget_pct=0"])
    run_in_process(plan, out)
    shutil.rmtree(out / "runs" / "target-low")  # as if it never ran
    tornado, shifts = sensitivity_tables(out, plan)
    row = tornado.iloc[0]
    assert row["high_status"] == "infeasible" and row["low_status"] == "not run"
    assert math.isnan(row["high_change_musd_per_year"]) and math.isnan(row["swing_musd_per_year"])
    assert not row["within_gap"]
    assert "high: infeasible, no solution" in row["note"] and "low: not run" in row["note"]
    high = shifts[(shifts["input"] == "target") & (shifts["side"] == "high")]
    assert len(high) >= 1 and high["campus_mw"].isna().all()
    assert set(high["status"]) == {"infeasible"}
    low = shifts[(shifts["input"] == "target") & (shifts["side"] == "low")]
    assert set(low["status"]) == {"not run"}
    (out / "dcsite-output.json").write_text(json.dumps({"kind": "sensitivity", "files": []}))
    write_sensitivity(out, plan)  # the figure shows the failed sides
    assert (out / "tornado.png").stat().st_size > 0


def test_a_failed_base_still_gives_every_row_and_the_figure(tmp_path):
    out = tmp_path / "out"
    preset = {"inputs": {"wacc": SMALL_PRESET["inputs"]["wacc"]}}
    plan = plan_sensitivity(TINY, preset, [f"{p}={v}" for p, v in INFEASIBLE.items()])
    run_in_process(plan, out)
    (out / "dcsite-output.json").write_text(json.dumps({"kind": "sensitivity", "files": []}))
    tornado, shifts = write_sensitivity(out, plan)
    row = tornado.iloc[0]
    assert (row["base_status"], row["low_status"], row["high_status"]) == ("infeasible",) * 3
    assert row["note"].startswith("base: infeasible, no solution (") and "\n" not in row["note"]
    assert list(shifts["side"]) == ["base", "low", "high"] and shifts["campus_mw"].isna().all()
    assert (out / "tornado.png").stat().st_size > 0


def test_a_run_leaving_out_other_metros_than_the_base_is_noted():
    from optimizer.batch.tornado import _metros_note

    base = {"left_out_metros": {"1": "Honolulu, HI: outside", "2": "Houston, TX: far"}}
    tight = {"left_out_metros": {**base["left_out_metros"], "3": "Austin, TX: none in 3 ms"}}
    loose = {"left_out_metros": {"1": "Honolulu, HI: outside"}}
    assert _metros_note("low", tight, base) == (
        "low: leaves out Austin, TX, unlike the base (other demand: not like for like)"
    )
    assert _metros_note("high", loose, base).startswith("high: serves Houston, TX, unlike")
    assert _metros_note("low", base, base) == ""
    assert _metros_note("low", {}, base) == ""  # a scenario folder: no such record


# --- the firm capacity price scale ------------------------------------------------------------


def _firm_case(scale_pct: float):
    # tests/test_model_hand.py: a 100 MW campus curtails its 1 % budget and needs 50 MW of firm
    # capacity in t2; another firm MW saves 26,280 USD of curtailment, less than each price
    # here, so the firm MW stay 50 and only their price moves.
    steps = [{"timestep": "t1", "period": "d", "duration_h": 1.0, "weight_h": 8584.8},
             {"timestep": "t2", "period": "d", "duration_h": 1.0, "weight_h": 175.2}]  # fmt: skip
    return make_scenario(
        [site("s1")],
        steps=steps,
        stranded={("r1", "t1"): 1000.0, ("r1", "t2"): 0.0},
        regions=[{"region": "r1", "firm_capacity_usd_per_mw_year": 100_000.0}],
        training={"target_mw": 100.0, "curtailment_budget_pct": 1.0},
        costs={"firm_capacity_price_scale_pct": scale_pct},
    )


@pytest.mark.parametrize("scale_pct", [50.0, 100.0, 150.0, 250.0])
def test_firm_price_scale_multiplies_the_regions_firm_capacity_cost(scale_pct):
    res = run_scenario(_firm_case(scale_pct))
    assert res.summary["totals"]["firm_capacity_mw"] == pytest.approx(50.0)
    firm_usd = res.summary["objective_breakdown_usd"]["firm_capacity"]
    assert firm_usd == pytest.approx(50 * 100_000.0 * scale_pct / 100)
    assert res.regions.set_index("region").loc["r1", "firm_capacity_usd"] == pytest.approx(firm_usd)


def test_firm_price_scale_is_a_documented_setting():
    from optimizer.scenario import schema_text

    line = next(
        t for t in schema_text().splitlines() if t.startswith("costs.firm_capacity_price_scale")
    )
    assert "100.0" in line and ">= 0" in line and "firm capacity price" in line


# --- builder settings on a scenario folder --------------------------------------------------


def test_run_refuses_builder_settings_on_a_scenario_folder(tmp_path, capsys):
    code = main(["run", str(TINY), "--set", "build.n_metros=3", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2
    assert "--set build.n_metros=3: build.n_metros is a setting of the US scenario builder" in err
    assert "scenario folder" in err and not (tmp_path / "r").exists()


def test_sweeps_refuse_builder_settings_on_a_scenario_folder():
    data = {"base": str(TINY), "grid": {"build.n_metros": [3, 4]},
            "variants": [{"name": "a", "set": {"build.year": 2023}}]}  # fmt: skip
    with pytest.raises(SweepError) as info:
        sweep_from_dict(data)
    text = str(info.value)
    assert "grid.build.n_metros: build.n_metros is a setting of the US scenario builder" in text
    assert "variants.0 (a): set.build.year: build.year is a setting" in text


# --- the command ----------------------------------------------------------------------------


def test_cli_refuses_a_folder_holding_the_users_files(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    args = ["sensitivity", str(TINY), "--preset", str(PRESETS / "tiny.yaml"), "--out", str(out)]
    assert main(args) == 2
    assert "folder holds files dcsite did not write (notes.txt)" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "dcsite-output.json").write_text(json.dumps({"kind": "batch", "files": []}))
    assert main([*args[:-1], str(batch)]) == 2
    assert "is a batch folder, not a sensitivity folder" in capsys.readouterr().err


def test_cli_bad_preset_exits_2_before_running(tmp_path, capsys):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"inputs": {"w": _input(low=7, high=7)}}))
    out = tmp_path / "out"
    assert main(["sensitivity", str(TINY), "--preset", str(path), "--out", str(out)]) == 2
    assert f"sensitivity preset {path}: inputs.w: low and high" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.slow
def test_cli_writes_the_tornado_and_shift_tables_and_resumes(tmp_path, capsys):
    out = tmp_path / "sens"
    args = ["sensitivity", str(TINY), "--preset", str(PRESETS / "tiny.yaml"), "--out", str(out),
            "--workers", "2", "--quiet", "--set", "solver.mip_gap_pct=0"]  # fmt: skip
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "cost of capital" in printed and "wrote" in printed
    manifest = read_manifest(out)
    assert manifest["kind"] == "sensitivity" and set(FILES) <= set(manifest["files"])
    for name in FILES:
        assert (out / name).stat().st_size > 0
    tornado = pd.read_csv(out / "tornado.csv")
    plan = plan_sensitivity(TINY, PRESETS / "tiny.yaml", ["solver.mip_gap_pct=0"])
    assert len(tornado) == len(plan.preset.inputs)
    assert set(tornado["low_status"]) == set(tornado["high_status"]) == {"optimal"}
    base = objective(out, BASE_RUN)
    for row in tornado.to_dict("records"):
        cost = objective(out, f"{row['input']}-high")
        assert row["high_change_musd_per_year"] == pytest.approx((cost - base) / 1e6)
    shifts = pd.read_csv(out / "campus_mw_by_ba.csv")
    assert set(shifts["side"]) == {"base", "low", "high"}
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["variant"]) == plan.run_names()
    # again with --resume: nothing runs again, the same tables
    run_ids = {n: json.loads((out / "runs" / n / "summary.json").read_text())["run_id"]
               for n in plan.run_names()}  # fmt: skip
    assert main([*args, "--resume"]) == 0
    for name, run_id in run_ids.items():
        assert json.loads((out / "runs" / name / "summary.json").read_text())["run_id"] == run_id
    pd.testing.assert_frame_equal(pd.read_csv(out / "tornado.csv"), tornado)
