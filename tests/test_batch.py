"""Batch runs: sweep files, one variant as a pure function, the summary table, and whole
batches on local worker processes and on a real Dask cluster (scheduler and workers started
here on 127.0.0.1 and stopped at the end), including a killed worker and an interrupted batch.

The tests marked ``slow`` start worker processes (each pays a few seconds of imports); every
test runs under a deadline so a hang fails instead of blocking CI. Tests that act on a batch in
flight (kill a worker, interrupt the batch) never rely on how long a variant takes: one variant
waits at a gate (tests/batch_gate.py, preloaded into the workers) that the test opens only after
acting, so that variant is provably in progress on a known worker process until then.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import psutil
import pytest
import yaml
from batch_gate import arrivals, open_gate, worker_env
from test_batch_scenarios import SCENARIOS, scaled_scenario

from optimizer.batch import (
    Job,
    SweepError,
    collect_summary,
    load_sweep,
    run_sweep,
    run_variant,
    sweep_from_dict,
)
from optimizer.batch.engine import Progress
from optimizer.batch.sweep import check_name, yaml_text
from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.scenario import load_scenario

pytestmark = pytest.mark.solver
ROOT = Path(__file__).absolute().parent.parent
SWEEPS = ROOT / "data" / "sweeps"
TINY = SCENARIOS / "tiny"
DASK = Path(sys.executable).parent / "dask"
TEST_DEADLINE_S = 240  # generous: CI machines may be shared and slow
INFEASIBLE = {"training.target_mw": 800, "training.curtailment_budget_pct": 0}


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


def write_sweep(folder: Path, data: dict, name: str = "sweep.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def wait_for(condition, timeout: float, what: str, step: float = 0.05):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` s."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(step)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def exited(pid: int) -> bool:
    """Whether process ``pid`` is gone (or a zombie: dead, not yet reaped by its parent)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def summaries(out: Path) -> dict[str, dict]:
    runs = out / "runs"
    if not runs.is_dir():
        return {}
    found = {}
    for folder in runs.iterdir():
        path = folder / "summary.json"
        if not folder.name.startswith(".") and path.exists():
            found[folder.name] = json.loads(path.read_text())
    return found


def local_objectives(sweep_path: Path) -> dict[str, float]:
    """Each variant solved in this process with plain load_scenario + run_scenario."""
    from optimizer.pipeline import run_scenario

    sweep = load_sweep(sweep_path)
    out = {}
    for variant in sweep.variants:
        scenario = load_scenario(sweep.base, variant.set_args(), sweep.override_files)
        out[variant.name] = run_scenario(scenario).summary["objective_usd"]
    return out


@pytest.fixture(scope="module")
def heavy_base(tmp_path_factory) -> Path:
    """The tiny scenario with 4 days and 3 copies of each site: about 1.5 s per solve."""
    return scaled_scenario(TINY, tmp_path_factory.mktemp("heavy") / "tiny-x12", 4, 3)


def heavy_sweep(folder: Path, base: Path) -> Path:
    return write_sweep(
        folder,
        {
            "base": str(base),
            "grid": {
                "finance.wacc_pct": [6, 7, 8, 9],
                "training.curtailment_budget_pct": [0.5, 2],
            },
            "solver": {"time_limit_s": 60},
            "variants": [{"name": "t400", "set": {"training.target_mw": 400}}],
            "exports": False,  # what these tests check is the batch, not the maps
        },
    )


# --------------------------------------------------------------------------------------------
# Sweep files
# --------------------------------------------------------------------------------------------


def test_example_sweeps_load():
    grid = load_sweep(SWEEPS / "tiny-wacc-curtailment.yaml")
    assert len(grid.variants) == 8
    assert grid.base == TINY.resolve()
    names = grid.names()
    assert names[0] == "wacc_pct=6,curtailment_budget_pct=0.5" and len(set(names)) == 8
    assert grid.variants[0].overrides == {
        "solver.time_limit_s": 60,
        "solver.mip_gap_pct": 0.1,
        "finance.wacc_pct": 6,
        "training.curtailment_budget_pct": 0.5,
    }
    named = load_sweep(SWEEPS / "tiny-variants.yaml")
    assert named.names() == [
        "reference,seed=1",
        "reference,seed=2",
        "cheap-storage,seed=1",
        "cheap-storage,seed=2",
        "big-and-firm,seed=1",
        "big-and-firm,seed=2",
    ]
    assert named.variants[3].overrides["solver.seed"] == 2
    assert len(load_sweep(SWEEPS / "stranded-storage-budget.yaml").variants) == 8
    us = load_sweep(SWEEPS / "us-training-target.yaml")
    assert us.base == (ROOT / "data" / "scenarios" / "us-default.yaml").resolve()
    assert len(us.variants) == 12 and us.exports
    assert us.variants[-1].overrides == {
        "training.target_mw": 20000,
        "training.curtailment_budget_pct": 5,
    }


def test_sweeps_of_a_built_scenario_check_build_settings_before_running():
    base = str(ROOT / "data" / "scenarios" / "us-default.yaml")
    sweep = sweep_from_dict({"base": base, "grid": {"build.n_metros": [15, 20]}, "exports": False})
    assert sweep.names() == ["n_metros=15", "n_metros=20"] and not sweep.exports
    with pytest.raises(SweepError, match="grid.build.n_metro: unknown key build.n_metro"):
        sweep_from_dict({"base": base, "grid": {"build.n_metro": [1]}})
    with pytest.raises(SweepError, match="unknown BA codes .'XX'."):
        sweep_from_dict({"base": base, "grid": {"build.bas": [["ERCO", "XX"]]}})


def test_variants_grid_and_seeds_multiply(tmp_path):
    sweep = sweep_from_dict(
        {
            "base": str(TINY),
            "variants": [{"name": "a", "set": {"training.target_mw": 100}}, {"name": "b"}],
            "grid": {"finance.wacc_pct": [6.5, 7], "inference.latency_max_ms": [10]},
            "seeds": [0, 3],
            "solver": {"threads": 1},
        }
    )
    assert len(sweep.variants) == 2 * 2 * 1 * 2
    first = sweep.variants[0]
    assert first.name == "a,wacc_pct=6.5,latency_max_ms=10,seed=0"
    assert first.overrides == {
        "solver.threads": 1,
        "training.target_mw": 100,
        "finance.wacc_pct": 6.5,
        "inference.latency_max_ms": 10,
        "solver.seed": 0,
    }
    assert first.set_args()[0] == "solver.threads=1"


def test_grid_names_use_the_full_path_when_last_parts_collide():
    sweep = sweep_from_dict(
        {
            "base": str(TINY),
            "grid": {"finance.tenants.0.share_pct": [70], "finance.tenants.1.share_pct": [30]},
        }
    )
    assert sweep.names() == ["finance.tenants.0.share_pct=70,finance.tenants.1.share_pct=30"]


@pytest.mark.parametrize(
    "value", [5, 0.5, 1e-7, 2.5e20, -3.0, True, None, "abc", "1e5", [100, 200.5], {"a": 1}]
)
def test_yaml_text_round_trips(value):
    assert yaml.safe_load(yaml_text(value)) == value


@pytest.mark.parametrize(
    ("name", "ok"),
    [("base", True), ("wacc=6,cb=0.5", True), ("a b", False), ("../x", False), (".x", False),
     ("a/b", False), ("x" * 201, False), ("é", False)],
)  # fmt: skip
def test_variant_names_must_be_filesystem_safe(name, ok):
    assert (check_name(name) is None) == ok


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"variants": [{"name": "a", "set": {"finance.wac": 7}}]},
         ["variants.0 (a): set.finance.wac", "unknown key finance.wac", "wacc_pct"]),
        ({"grid": {"training.target": [1, 2]}}, ["grid.training.target", "unknown key"]),
        ({"variants": [{"name": "x"}], "solver": {"time_limit": 5}},
         ["solver.time_limit", "unknown key solver.time_limit"]),
        ({"variants": [{"name": "a"}, {"name": "a"}]}, ["duplicate variant name 'a'"]),
        ({"variants": [{"name": "a b"}]}, ["'a b' cannot be a folder name"]),
        ({"variants": [{"name": "a", "sett": {}}]}, ["field variants.0.sett: unknown key",
                                                     "valid keys here: name, set"]),
        ({"variants": [{"name": "a"}], "extra": 1}, ["field extra: unknown key"]),
        ({"grid": {"finance.wacc_pct": [7, -1]}},
         ["variant 'wacc_pct=-1'", "field finance.wacc_pct", "(got -1)"]),
        ({"grid": {"finance.wacc_pct": []}}, ["field grid.finance.wacc_pct", "at least 1"]),
        ({"seeds": [-1]}, ["field seeds.0", "(got -1)"]),
        ({}, ["nothing to run"]),
        ({"variants": [{"name": "a", "set": {"solver.seed": 1}}], "seeds": [1, 2]},
         ["solver.seed is also set"]),
        ({"variants": [{"name": "a", "set": {"finance.wacc_pct": 1}}],
          "grid": {"finance.wacc_pct": [2]}}, ["variant 'a' sets finance.wacc_pct"]),
        ({"variants": [{"name": "a", "set": {"finance.tenants.5.share_pct": 100}}]},
         ["finance.tenants has no item 5"]),
    ],
)  # fmt: skip
def test_bad_sweeps_are_clear_input_errors(data, expected):
    with pytest.raises(SweepError) as info:
        sweep_from_dict({"base": str(TINY), **data}, source="s.yaml")
    assert isinstance(info.value, InputError)
    message = str(info.value)
    assert message.startswith("sweep s.yaml")
    for text in expected:
        assert text in message, message


def test_missing_base_folder_and_file(tmp_path):
    with pytest.raises(SweepError, match="base: not found: .*nowhere .give a scenario folder"):
        load_sweep(write_sweep(tmp_path, {"base": "nowhere", "variants": [{"name": "a"}]}))
    with pytest.raises(SweepError, match="file not found"):
        load_sweep(tmp_path / "absent.yaml")
    (tmp_path / "bad.yaml").write_text("base: [unclosed\n")
    with pytest.raises(SweepError, match="not valid YAML: line"):
        load_sweep(tmp_path / "bad.yaml")


def test_base_relative_to_the_sweep_file_and_override_files(tmp_path):
    (tmp_path / "more.yaml").write_text("training:\n  target_mw: 100\n")
    path = write_sweep(
        tmp_path / "sub",
        {"base": os.path.relpath(TINY, tmp_path / "sub"), "override_files": ["../more.yaml"],
         "variants": [{"name": "a"}]},
    )  # fmt: skip
    sweep = load_sweep(path)
    assert sweep.base == TINY.resolve() and sweep.override_files == [tmp_path / "more.yaml"]
    (tmp_path / "more.yaml").write_text("training:\n  targt_mw: 100\n")
    with pytest.raises(SweepError, match="training.targt_mw"):
        load_sweep(path)


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"variants": [{"name": "a", "set": {"costs.nope": 1}}]}, "costs.nope"),
        ({"variants": [{"name": "a"}, {"name": "a"}]}, "duplicate variant name"),
        ({"base": "missing-folder", "variants": [{"name": "a"}]}, "missing-folder"),
    ],
)
def test_cli_bad_sweep_exits_2_before_running(tmp_path, capsys, data, needle):
    path = write_sweep(tmp_path, {"base": str(TINY), **data})
    out = tmp_path / "out"
    assert main(["batch", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dcsite: error: sweep ") and needle in err
    assert not out.exists()


def test_cli_bad_options_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("optimizer.batch.engine.CONNECT_TIMEOUT_S", 2)
    path = SWEEPS / "tiny-wacc-curtailment.yaml"
    assert main(["batch", str(path), "--out", str(tmp_path / "o"), "--workers", "0"]) == 2
    assert "--workers 0" in capsys.readouterr().err
    port = free_port()
    argv = ["batch", str(path), "--out", str(tmp_path / "o"), "--scheduler",
            f"tcp://127.0.0.1:{port}"]  # fmt: skip
    assert main(argv) == 2
    assert f"--scheduler tcp://127.0.0.1:{port}: cannot connect" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# One variant, in this process
# --------------------------------------------------------------------------------------------


def make_job(tmp_path: Path, name: str, overrides: dict, resume=False, batch="b1") -> Job:
    sweep = sweep_from_dict({"base": str(TINY), "variants": [{"name": name, "set": overrides}]})
    variant = sweep.variants[0]
    return Job(
        name=name,
        source=sweep.source_of(variant),
        overrides=variant.overrides,
        run_dir=str(tmp_path / "runs" / name),
        batch_id=batch,
        resume=resume,
    )


def test_run_variant_writes_a_complete_run_folder_and_resume_skips_it(tmp_path):
    job = make_job(tmp_path, "w7", {"finance.wacc_pct": 7})
    rec = run_variant(job)
    assert rec["status"] == "optimal" and rec["has_solution"] and not rec["skipped"]
    summary = json.loads(Path(job.run_dir, "summary.json").read_text())
    expected_hash = load_scenario(TINY, ["finance.wacc_pct=7"]).hash()
    assert summary["scenario"]["hash"] == expected_hash == rec["hash"]
    assert summary["variant"] == "w7" and summary["overrides"] == {"finance.wacc_pct": 7}
    assert summary["error"] is None and summary["run_id"] == rec["run_id"]
    assert set(summary["scenario"]["versions"]) >= {"dcsite", "pyomo", "highspy"}
    assert summary["batch"]["id"] == "b1" and summary["batch"]["wall_seconds"] > 0
    assert (Path(job.run_dir) / "dispatch.parquet").exists()
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["w7"]  # no temporary left

    again = run_variant(make_job(tmp_path, "w7", {"finance.wacc_pct": 7}, resume=True, batch="b2"))
    assert again["skipped"] and again["run_id"] == rec["run_id"]
    retried = run_variant(job)  # the same batch (a Dask retry after the save): skipped too
    assert retried["skipped"] and retried["run_id"] == rec["run_id"]
    fresh = run_variant(make_job(tmp_path, "w7", {"finance.wacc_pct": 7}, batch="b3"))
    assert not fresh["skipped"] and fresh["run_id"] != rec["run_id"]
    changed = run_variant(make_job(tmp_path, "w7", {"finance.wacc_pct": 8}, resume=True))
    assert not changed["skipped"] and changed["hash"] != expected_hash


def test_run_variant_records_infeasible_invalid_and_no_solution(tmp_path):
    rec = run_variant(make_job(tmp_path, "big", INFEASIBLE))
    summary = json.loads((tmp_path / "runs" / "big" / "summary.json").read_text())
    assert rec["status"] == summary["status"] == "infeasible" and not rec["has_solution"]
    assert summary["error"].startswith("these limits cannot all hold")
    assert "siting_training_target" in summary["error"]
    assert summary["scenario"]["hash"]

    rec = run_variant(make_job(tmp_path, "rushed", {"solver.time_limit_s": 1e-6}))
    summary = json.loads((tmp_path / "runs" / "rushed" / "summary.json").read_text())
    assert rec["status"] == "time_limit" and not rec["has_solution"]
    assert summary["error"] == "stopped by the time limit of 1e-06 s without a solution"

    rec = run_variant(make_job(tmp_path, "nofile", {"tables.sites": "missing.csv"}))
    summary = json.loads((tmp_path / "runs" / "nofile" / "summary.json").read_text())
    assert rec["status"] == "invalid" and "missing.csv" in summary["error"]
    assert sorted(os.listdir(tmp_path / "runs" / "nofile")) == [
        "dcsite-output.json",
        "summary.json",
    ]
    # an invalid or erred run is not final: resume runs it again
    again = run_variant(make_job(tmp_path, "nofile", {"tables.sites": "missing.csv"}, True))
    assert not again["skipped"]


def test_collect_summary_one_row_per_variant(tmp_path):
    for name, overrides in [("a", {"finance.wacc_pct": 7}), ("b", INFEASIBLE)]:
        run_variant(make_job(tmp_path, name, overrides))
    table = collect_summary(tmp_path)
    assert list(table["variant"]) == ["a", "b"]
    assert list(table["status"]) == ["optimal", "infeasible"]
    assert table.columns[:4].tolist() == [
        "variant", "finance.wacc_pct", "training.target_mw", "training.curtailment_budget_pct"
    ]  # fmt: skip
    for column in ("objective_usd", "mip_gap_pct", "campus_capex_usd", "energy_usd", "campus_mw",
                   "storage_energy_mwh", "build_seconds", "solve_seconds", "wall_seconds", "error",
                   "scenario_hash"):  # fmt: skip
        assert column in table.columns
    a = table.iloc[0]
    terms = [c for c in table.columns if c.endswith("_usd") and c not in
             ("objective_usd", "best_bound_usd")]  # fmt: skip
    assert a[terms].sum() == pytest.approx(a["objective_usd"])
    assert pd.isna(table.iloc[1]["objective_usd"]) and "siting" in table.iloc[1]["error"]
    stored = pd.read_parquet(tmp_path / "summary.parquet")
    assert list(stored.columns) == list(table.columns)
    numeric = table.select_dtypes("number").columns
    pd.testing.assert_frame_equal(stored[numeric], table[numeric], check_dtype=False)
    assert stored["status"].tolist() == table["status"].tolist()
    assert len(pd.read_csv(tmp_path / "summary.csv")) == 2
    # with a manifest, its variants and order rule, and a missing run folder is "not run"
    manifest = {"variants": [{"name": "b", "overrides": INFEASIBLE},
                             {"name": "c", "overrides": {"finance.wacc_pct": 9}},
                             {"name": "a", "overrides": {"finance.wacc_pct": 7}}]}  # fmt: skip
    (tmp_path / "sweep.json").write_text(json.dumps(manifest))
    table = collect_summary(tmp_path, write=False)
    assert list(table["variant"]) == ["b", "c", "a"]
    assert list(table["status"]) == ["infeasible", "not run", "optimal"]
    assert table.loc[1, "finance.wacc_pct"] == 9


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_on_a_terminal_and_in_a_log():
    log = io.StringIO()
    progress = Progress(10, log, interval_s=0)
    progress.update(0, 0, 0, 2)
    progress.update(0, 0, 0, 2)  # unchanged: no new line in a log
    progress.update(3, 1, 1, 2)
    progress.message("variant x: infeasible: ...")
    progress.update(9, 1, 1, 0, final=True)
    lines = log.getvalue().splitlines()
    assert len(lines) == 4 and "\r" not in log.getvalue()
    assert (
        lines[0].startswith("batch: 0/10 | 0 done, 2 running, 0 failed") and "left ~?" in lines[0]
    )
    assert "4/10 | 3 done (1 skipped), 2 running, 1 failed" in lines[1]
    assert lines[3].endswith("left ~0:00")
    tty = _Tty()
    progress = Progress(4, tty)
    progress.update(1, 0, 0, 1)
    progress.message("hello")
    progress.update(4, 0, 0, 0, final=True)
    assert tty.getvalue().startswith("\rbatch: 1/4") and "\rhello\n" in tty.getvalue()
    assert tty.getvalue().endswith("left ~0:00\n")


# --------------------------------------------------------------------------------------------
# Whole batches: local worker processes
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_local_batch_records_an_infeasible_variant_and_finishes_the_others(tmp_path, capsys):
    path = write_sweep(
        tmp_path,
        {
            "base": str(TINY),
            "variants": [
                {"name": "reference"},
                {"name": "big-and-firm", "set": INFEASIBLE},
                {"name": "dear-money", "set": {"finance.wacc_pct": 12}},
            ],
        },
    )
    out = tmp_path / "out"
    assert main(["batch", str(path), "--out", str(out), "--workers", "2"]) == 1
    captured = capsys.readouterr()
    assert "variant big-and-firm: infeasible: " in captured.err
    assert "batch: 3/3 | 2 done, 0 running, 1 failed" in captured.err
    assert "1 of 3 variants have no solution" in captured.err
    assert "reference" in captured.out and "wrote" in captured.out
    table = pd.read_parquet(out / "summary.parquet").set_index("variant")
    assert table.loc[["reference", "big-and-firm", "dear-money"], "status"].tolist() == [
        "optimal", "infeasible", "optimal"
    ]  # fmt: skip
    assert "siting_training_target" in table.loc["big-and-firm", "error"]
    assert table.loc["dear-money", "objective_usd"] > table.loc["reference", "objective_usd"]
    assert sorted(p.name for p in (out / "runs").iterdir()) == [
        "big-and-firm", "dear-money", "reference"
    ]  # fmt: skip
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "comparison.csv", "comparison.png", "dcsite-output.json", "runs", "summary.csv",
        "summary.parquet", "sweep.json"
    ]  # fmt: skip
    # a variant's run folder holds what dcsite run writes: tables, GeoJSON, map and plots
    reference = {p.name for p in (out / "runs" / "reference").iterdir()}
    assert {"timesteps.csv", "sites.geojson", "map.html", "cost_breakdown.png"} <= reference
    comparison = pd.read_csv(out / "comparison.csv")
    assert comparison["variant"].tolist() == ["reference", "dear-money"]


def batch_children(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
def test_interrupted_batch_resumes_without_rerunning_finished_variants(tmp_path, heavy_base):
    """Interrupted once a variant has finished while another is held at the gate: part-way,
    whatever the timing; the resumed batch runs only what the first one did not finish."""
    path = heavy_sweep(tmp_path, heavy_base)
    held = load_sweep(path).names()[0]
    gate = tmp_path / "gate"
    gate.mkdir()
    env = {**os.environ, **worker_env(gate, held)}
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "optimizer.cli", "batch", str(path), "--out", str(out),
            "--workers", "2"]  # fmt: skip
    log = open(tmp_path / "batch.log", "w")  # noqa: SIM115 - closed in the finally below
    # Ctrl-C reaches the batch even when this test runs where SIGINT is ignored (a background
    # job of a shell script): a child inherits an ignored SIGINT, and Python then never raises
    # KeyboardInterrupt
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env,
                            preexec_fn=_default_sigint)  # fmt: skip
    children: list[psutil.Process] = []
    try:
        wait_for(lambda: arrivals(gate), 90, f"variant {held} to reach the gate")
        wait_for(lambda: summaries(out), 90, "the first finished variant")
        children = batch_children(proc.pid)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130, (tmp_path / "batch.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
        _, alive = psutil.wait_procs(children, timeout=15)
        for child in alive:
            child.kill()
    assert not alive, f"worker processes outlived the interrupted batch: {alive}"
    assert "rerun with --resume" in (tmp_path / "batch.log").read_text()

    before = summaries(out)
    assert 0 < len(before) < 8 and held not in before, sorted(before)
    mtimes = {n: (out / "runs" / n / "summary.json").stat().st_mtime_ns for n in before}
    partial = pd.read_csv(out / "summary.csv")  # rebuilt even after the interruption
    assert len(partial) == 8 and (partial["status"] == "not run").sum() == 8 - len(before)

    open_gate(gate)
    argv = [sys.executable, "-m", "optimizer.cli", "batch", str(path), "--out", str(out),
            "--workers", "2", "--resume", "--quiet"]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=150, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr
    after = summaries(out)
    assert len(after) == 8 and all(s["status"] == "optimal" for s in after.values())
    for name, summary in before.items():
        assert after[name]["run_id"] == summary["run_id"]
        assert (out / "runs" / name / "summary.json").stat().st_mtime_ns == mtimes[name]
    first_batch = {s["batch"]["id"] for s in before.values()}
    assert len(first_batch) == 1
    assert all(after[n]["batch"]["id"] not in first_batch for n in set(after) - set(before))
    assert len(arrivals(gate)) == 2  # the held variant: once per batch
    table = pd.read_parquet(out / "summary.parquet")
    assert len(table) == 8 and (table["status"] == "optimal").all()
    assert not list((out / "runs").glob("*/map.html"))  # exports: false in the sweep


# --------------------------------------------------------------------------------------------
# A real Dask cluster on 127.0.0.1
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """Stop a process started here and everything it started (its own session)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def scheduler_address(scheduler_file: Path, scheduler: subprocess.Popen) -> str | None:
    """The address in a scheduler file once it is written whole; None before."""
    if scheduler.poll() is not None:
        pytest.fail(f"dask scheduler exited with {scheduler.returncode} before starting")
    try:
        return json.loads(scheduler_file.read_text())["address"]
    except (OSError, ValueError, KeyError):
        return None


@contextlib.contextmanager
def dask_cluster(
    log_dir: Path, n_workers: int = 2, env: dict[str, str] | None = None
) -> Iterator[str]:
    """``dask scheduler`` and ``n_workers`` ``dask worker`` processes on 127.0.0.1 (with extra
    environment variables ``env``); the scheduler address. The scheduler listens on a port it
    picks itself and writes to its scheduler file. Each process is in its own session, stopped
    (with its children) at the end; the scheduler closes itself after 2 idle minutes and the
    workers 60 s after losing it should this process die first."""
    from distributed import Client

    scheduler_file = log_dir / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__IDLE_TIMEOUT": "120s", **(env or {})}
    procs: list[subprocess.Popen] = []
    logs = []

    def start(argv: list[str], name: str) -> None:
        log = open(log_dir / f"{name}.log", "w")  # noqa: SIM115 - closed at the end
        logs.append(log)
        procs.append(
            subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                             start_new_session=True)
        )  # fmt: skip

    try:
        start([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
               "--scheduler-file", str(scheduler_file)], "scheduler")  # fmt: skip
        address = wait_for(
            lambda: scheduler_address(scheduler_file, procs[0]), 60, "the dask scheduler"
        )
        for i in range(n_workers):
            start([str(DASK), "worker", address, "--nworkers", "1", "--nthreads", "1",
                   "--host", "127.0.0.1", "--no-dashboard", "--death-timeout", "60",
                   "--name", f"w{i}"], f"worker{i}")  # fmt: skip
        with Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(n_workers, timeout=60)
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)
        for log in logs:
            log.close()


@pytest.mark.slow
def test_cluster_results_equal_the_local_run(tmp_path):
    path = SWEEPS / "tiny-wacc-curtailment.yaml"
    with dask_cluster(tmp_path) as address:
        table = run_sweep(path, tmp_path / "out", scheduler=address, progress=False)
    assert len(table) == 8 and (table["status"] == "optimal").all()
    local = local_objectives(path)
    for row in table.itertuples():
        assert row.objective_usd == pytest.approx(local[row.variant], rel=1e-6)
    workers = {s["batch"]["worker"] for s in summaries(tmp_path / "out").values()}
    assert len(workers) == 2 and all(w.startswith("tcp://127.0.0.1:") for w in workers)


@pytest.mark.slow
def test_cluster_batch_survives_a_killed_worker(tmp_path):
    """The worker running a variant is SIGKILLed; Dask runs that variant again on another
    worker and the batch completes. The variant is held at the gate until its worker process is
    gone, so it cannot have finished before the kill."""
    from distributed import Client

    grid = {"finance.wacc_pct": [6, 7, 8, 9]}
    path = write_sweep(tmp_path, {"base": str(TINY), "grid": grid, "exports": False})
    held = load_sweep(path).names()[0]
    gate = tmp_path / "gate"
    gate.mkdir()
    out = tmp_path / "out"
    result: dict = {}

    def batch() -> None:
        try:
            result["table"] = run_sweep(path, out, scheduler=address, progress=False)
        except BaseException as exc:  # reported by the main thread
            result["error"] = exc

    cluster = dask_cluster(tmp_path, env=worker_env(gate, held))
    with cluster as address, Client(address, set_as_default=False) as observer:
        pids = observer.run(os.getpid)
        runner = threading.Thread(target=batch, daemon=True)
        runner.start()
        victim = wait_for(lambda: arrivals(gate), 90, f"variant {held} to reach the gate")[0]
        assert pids.get(victim["worker"]) == victim["pid"], (victim, pids)  # one of ours
        os.kill(victim["pid"], signal.SIGKILL)
        wait_for(lambda: exited(victim["pid"]), 30, "the killed worker process to exit")
        open_gate(gate)
        runner.join(timeout=150)
        assert not runner.is_alive(), "the batch did not finish after a worker was killed"
    assert "error" not in result, result.get("error")
    table = result["table"]
    assert len(table) == 4 and (table["status"] == "optimal").all(), table
    rerun = summaries(out)[held]["batch"]
    assert rerun["worker"] != victim["worker"] and rerun["pid"] != victim["pid"], rerun
    assert [a["pid"] for a in arrivals(gate)] == [victim["pid"], rerun["pid"]]
