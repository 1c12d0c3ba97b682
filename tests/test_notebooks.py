"""The planning notebooks (``notebooks/*.ipynb``) are stored without outputs and run top to
bottom on the real data.

Each notebook is executed in memory (the stored file is never rewritten) in a kernel of this
Python environment, from the ``notebooks/`` folder, with ``DCSITE_NOTEBOOK_SHRINK=1`` (the
quickstart runs the shrunk scenario) and ``DCSITE_NOTEBOOK_OUT`` pointing at a temporary folder
(run folders and figures go there). The time each notebook took is written to the terminal
(no ``-s`` needed) and kept as the test's ``notebook_seconds`` property.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import nbformat
import pytest
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

pytestmark = pytest.mark.slow  # a kernel per notebook

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = (
    "01_quickstart.ipynb",
    "02_stranded_power.ipynb",
    "03_what_if.ipynb",
    "04_robustness.ipynb",
)
TIME_LIMIT_S = 600.0
"""Each notebook must finish within this, s (the slowest, 03_what_if, takes about a minute)."""
KERNEL_NAME = "dcsite-notebook-test"

# files each notebook writes under DCSITE_NOTEBOOK_OUT: proof that it did its work
WRITES = {
    "01_quickstart.ipynb": ["quickstart-shrunk/map.html", "quickstart-shrunk/sites.geojson"],
    "02_stranded_power.ipynb": [
        "stranded_power/headroom.png",
        "stranded_power/duration_curves.png",
    ],
    "03_what_if.ipynb": [
        "what_if/comparison.png",
        "what_if/maps.png",
        "what_if/base/map.html",
        "what_if/latency-10-ms/map.html",
    ],
    "04_robustness.ipynb": [
        "robustness/plan-2024/weather_years.png",
        "robustness/robust/weather_years.csv",
        "robustness/robust_vs_2024.png",
        "robustness/sensitivity/tornado.png",
        "robustness/sensitivity/campus_mw_by_ba.csv",
        "robustness/plan-2024/alternatives/ranges.csv",
        "robustness/plan-2024/alternatives/alternatives.geojson",
    ],
}


# A cell run after each notebook, in its kernel: what the notebook computed, as one JSON line
# that the test checks against the library and the run folder (not only that cells ran).
CHECK_PREFIX = "DCSITE_CHECK "
CHECKS = {
    "01_quickstart.ipynb": """
import json
from optimizer.results import Results as _Results
_saved = _Results.load(RUN_DIR)
_totals = results.summary["totals"]
print("DCSITE_CHECK " + json.dumps({
    "has_solution": results.summary["has_solution"],
    "campus_mw": _totals["campus_mw"],
    "target_mw": config.training.target_mw,
    "objective_usd": results.summary["objective_usd"],
    "saved_objective_usd": _saved.summary["objective_usd"],
    "saved_sites": len(_saved.sites),
    "sites": len(results.sites),
    "full_year_hours": (results.summary.get("full_year") or {}).get("hours"),
    "demand_mw": float(results.metros["inference_demand_mw"].sum()),
    "served_mw": float(results.metros["served_mw"].sum()),
    "unserved_mw": float(results.metros["unserved_mw"].sum()),
}))
""",
    "02_stranded_power.ipynb": """
import json
print("DCSITE_CHECK " + json.dumps({
    "bas": list(load.columns),
    "years": [int(y) for y in years],
    "limits_pct": [float(x) for x in LIMITS_PCT],
    "headroom_mw": {f"{r.ba}|{r.limit_pct:g}": float(r.headroom_mw) for r in table.itertuples()},
}))
""",
    "03_what_if.ipynb": """
import json
print("DCSITE_CHECK " + json.dumps({
    name: {
        "objective_usd": r.summary["objective_usd"],
        "best_bound_usd": r.summary["best_bound_usd"],
        "campus_mw": r.summary["totals"]["campus_mw"],
        "target_mw": configs[name].training.target_mw,
        "curtailment_pct": r.summary["totals"]["training_curtailment_pct"],
        "metros": len(r.metros),
    }
    for name, r in runs.items()
}))
""",
    "04_robustness.ipynb": """
import json
print("DCSITE_CHECK " + json.dumps({
    "plan_dir": str(plan_dir),
    "robust_dir": str(robust_dir),
    "cost_of_robustness_musd": float(cost_of_robustness),
    "rounds": robust.summary["robust_rounds"],
    "required_days": robust.summary["representative_days"].get("required_days", []),
    "sensitivity_dir": str(sensitivity.out_dir),
    "sensitivity_inputs": SENSITIVITY_INPUTS,
    "slack_pct": SLACK_PCT,
    "alternatives": alternatives,
}))
""",
}


def _check_output(nb: nbformat.NotebookNode) -> dict:
    text = "".join(out.get("text", "") for out in nb.cells[-1].outputs if "text" in out)
    line = next(line for line in text.splitlines() if line.startswith(CHECK_PREFIX))
    return json.loads(line.removeprefix(CHECK_PREFIX))


def _check_quickstart(found: dict, data_dir: Path) -> None:
    assert found["has_solution"]
    assert found["campus_mw"] == pytest.approx(found["target_mw"], abs=1e-6)
    assert found["saved_objective_usd"] == found["objective_usd"]  # the run folder reads back
    assert found["saved_sites"] == found["sites"]
    assert found["full_year_hours"] == 8784  # the plan operated over every hour of 2024
    served = found["served_mw"] + found["unserved_mw"]
    assert served == pytest.approx(found["demand_mw"], rel=1e-6)  # every metro's demand met


def _check_stranded_power(found: dict, data_dir: Path) -> None:
    from optimizer.inputs import load_ba_load_mw
    from optimizer.inputs.regions import ba_utc_offsets_h
    from optimizer.stranded.headroom import headroom_table, stranded_power_by_ba

    load = load_ba_load_mw(data_dir)[found["bas"]]
    stranded = stranded_power_by_ba(load, ba_utc_offsets_h(), tuple(found["years"]))
    table = headroom_table(stranded, found["limits_pct"])
    expected = {f"{r.ba}|{r.limit_pct:g}": r.headroom_mw for r in table.itertuples()}
    assert found["headroom_mw"] == pytest.approx(expected, rel=1e-12)
    assert len(found["bas"]) == 22 and found["years"] == [2016, 2024]


def _check_what_if(found: dict, data_dir: Path) -> None:
    base = found["base"]
    for name, run in found.items():
        assert run["campus_mw"] == pytest.approx(run["target_mw"], abs=1e-6), name
    # a dearer capital and no curtailment can only cost more: never below base's proven bound
    assert found["wacc 12 %"]["objective_usd"] > base["best_bound_usd"]
    assert found["no curtailment"]["objective_usd"] >= base["best_bound_usd"]
    assert found["no curtailment"]["curtailment_pct"] == pytest.approx(0.0, abs=1e-6)
    assert found["latency 10 ms"]["metros"] <= base["metros"]  # a tighter limit reaches fewer


def _check_robustness(found: dict, data_dir: Path) -> None:
    import pandas as pd

    plan = pd.read_csv(Path(found["plan_dir"]) / "weather_years.csv").set_index("year")
    robust = pd.read_csv(Path(found["robust_dir"]) / "weather_years.csv").set_index("year")
    assert list(plan.index) == list(range(2016, 2025)) == list(robust.index)
    # the 2024 plan keeps its budget in 2024 but not in every year; the robust plan, after its
    # rounds, in every year
    assert plan.loc[2024, "curtailment_beyond_budget_mwh"] <= 1e-3
    assert plan["curtailment_beyond_budget_mwh"].max() > 1.0
    assert (robust["curtailment_beyond_budget_mwh"] <= 1e-3).all()
    rounds = found["rounds"]
    assert rounds[0]["years_beyond_budget"] and not rounds[-1]["years_beyond_budget"]
    assert found["required_days"] == rounds[-1]["required_days"] != []
    mean = (robust["total_cost_usd"].mean() - plan["total_cost_usd"].mean()) / 1e6
    assert found["cost_of_robustness_musd"] == pytest.approx(mean, rel=1e-9)
    # the tornado: one row per input, each side's change is its run's objective less the base's
    folder = Path(found["sensitivity_dir"])
    tornado = pd.read_csv(folder / "tornado.csv").set_index("input")
    assert sorted(tornado.index) == sorted(found["sensitivity_inputs"])
    runs = pd.read_csv(folder / "summary.csv").set_index("variant")
    base = runs.loc["base", "objective_usd"]
    for name, row in tornado.iterrows():
        for side in ("low", "high"):
            change = (runs.loc[f"{name}-{side}", "objective_usd"] - base) / 1e6
            assert row[f"{side}_change_musd_per_year"] == pytest.approx(change, abs=1e-6)
    # alternatives: every BA with campus candidates ranged, each range holding the plan's own
    # MW, every plan written within the slack of the run's cost
    alternatives = found["alternatives"]
    ranges = pd.read_csv(Path(found["plan_dir"]) / "alternatives" / "ranges.csv")
    assert set(ranges.loc[ranges["kind"] == "ba", "name"]) >= {"ERCO", "SWPP"}
    assert (ranges["least_campus_mw"] <= ranges["optimal_campus_mw"] + 1e-6).all()
    assert (ranges["most_campus_mw"] >= ranges["optimal_campus_mw"] - 1e-6).all()
    assert set(ranges["verdict"]) <= {"essential", "interchangeable", "avoidable"}
    limit = alternatives["run_objective_usd"] * (1 + found["slack_pct"] / 100)
    for plan in alternatives["plans"]:
        assert plan["cost_usd"] <= limit * (1 + 1e-6), plan


VERIFY = {
    "01_quickstart.ipynb": _check_quickstart,
    "02_stranded_power.ipynb": _check_stranded_power,
    "03_what_if.ipynb": _check_what_if,
    "04_robustness.ipynb": _check_robustness,
}


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK_DIR / name, as_version=4)


def test_every_notebook_is_tested():
    assert sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb")) == sorted(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stored_without_outputs(name):
    nb = _read(name)
    nbformat.validate(nb)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{name}: cells {dirty} carry outputs or execution counts; clear them"


@pytest.fixture(scope="module")
def kernel_specs(tmp_path_factory) -> KernelSpecManager:
    """A kernel spec that starts ipykernel with this very interpreter (not whatever ``python3``
    kernel the machine has installed)."""
    folder = tmp_path_factory.mktemp("kernels")
    write_kernel_spec(folder / KERNEL_NAME, overrides={"display_name": "dcsite test kernel"})
    specs = KernelSpecManager(kernel_dirs=[str(folder)])
    assert specs.get_kernel_spec(KERNEL_NAME).argv[0] == sys.executable
    return specs


@pytest.mark.realdata
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name, data_dir, kernel_specs, tmp_path, monkeypatch, capsys, request):
    monkeypatch.setenv("DCSITE_DATA", str(data_dir.resolve()))  # the kernel runs in notebooks/
    monkeypatch.setenv("DCSITE_NOTEBOOK_SHRINK", "1")
    monkeypatch.setenv("DCSITE_NOTEBOOK_OUT", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = _read(name)  # executed in memory; the stored file stays as it is
    nb.cells.append(nbformat.v4.new_code_cell(CHECKS[name]))
    client = NotebookClient(
        nb,
        km=KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=kernel_specs),
        timeout=TIME_LIMIT_S,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    started = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{name}: a cell failed after {time.perf_counter() - started:.0f} s:\n{exc}")
    seconds = time.perf_counter() - started
    request.node.user_properties.append(("notebook_seconds", round(seconds, 1)))
    with capsys.disabled():
        print(f" [{name}: executed in {seconds:.1f} s] ", end="", flush=True)

    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]
    assert not errors, f"{name}: error outputs {[(e.ename, e.evalue) for e in errors]}"
    assert seconds < TIME_LIMIT_S, f"{name}: took {seconds:.0f} s (limit {TIME_LIMIT_S:.0f} s)"
    missing = [path for path in WRITES[name] if not (tmp_path / path).is_file()]
    assert not missing, f"{name}: did not write {missing} under DCSITE_NOTEBOOK_OUT"
    VERIFY[name](_check_output(nb), data_dir)


def test_every_notebook_is_checked():
    assert sorted(CHECKS) == sorted(VERIFY) == sorted(NOTEBOOKS)
