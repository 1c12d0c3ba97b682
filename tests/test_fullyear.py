"""Full-year check: with the same days as the model, it reproduces the model's dispatch cost
exactly; on the real data, a shrunk default scenario runs end to end."""

from __future__ import annotations

import pytest
from factory import SHRUNK_US
from test_model_random import EXACT, random_scenario

from optimizer.checks.fullyear import full_year_check
from optimizer.model.objective import ObjectiveParts
from optimizer.pipeline import _run, prepare, solve

pytestmark = pytest.mark.solver


@pytest.mark.parametrize("seed", range(6))
def test_same_days_reproduce_the_dispatch_cost_exactly(seed):
    scenario = random_scenario(seed)
    results, built = _run(scenario, EXACT, lambda _msg: None)
    if not results.summary["has_solution"]:
        pytest.skip("infeasible draw")
    check = full_year_check(built, scenario, results.summary, EXACT)
    reduced = sum(
        results.summary["objective_breakdown_usd"][k] for k in ObjectiveParts.dispatch_terms
    )
    assert check["status"] == "optimal"
    assert check["dispatch_cost_usd"] == pytest.approx(reduced, rel=1e-7, abs=1e-3)
    assert check["objective_usd"] == pytest.approx(results.summary["objective_usd"], rel=1e-7)
    assert check["curtailment_beyond_budget_mwh"] == pytest.approx(0.0, abs=1e-6)
    assert check["difference"]["dispatch_cost_pct"] == pytest.approx(0.0, abs=1e-5)


@pytest.mark.realdata
def test_shrunk_default_scenario_end_to_end(data_dir, tmp_path):
    from optimizer.builders.us.settings import DEFAULT_SCENARIO
    from optimizer.pipeline import write_run
    from optimizer.results import Results
    from optimizer.source import Source

    source = Source.of(
        DEFAULT_SCENARIO,
        [*SHRUNK_US, "training.target_mw=1000"],
    )
    results = solve(prepare(source, str(data_dir)))
    summary = results.summary
    assert summary["status"] == "optimal" and summary["mip_gap_pct"] <= 1
    assert summary["totals"]["campus_mw"] >= 1000
    assert set(results.sites.loc[results.sites["campus_mw"] > 0, "region"]) <= {"ERCO", "SWPP"}
    # every assignment honours the 5 ms limit, over the real backbone
    assert (results.assignments["latency_ms"] <= 5.0 + 1e-9).all()
    full = summary["full_year"]
    assert full["hours"] == 8784 and full["status"] == "optimal"
    assert set(summary["stages_seconds"]) >= {
        "data load", "sites", "latency", "time reduction", "model build", "hand-off to HiGHS",
        "solve", "full-year check",
    }  # fmt: skip
    out = tmp_path / "run"
    write_run(results, out, str(data_dir))
    for name in ("time_to_power.csv", "representative_days.csv", "map.html", "sites.geojson"):
        assert (out / name).exists()
    assert Results.load(out).summary["full_year"]["hours"] == 8784
