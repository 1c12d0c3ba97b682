"""Weather years (optimizer/checks/years.py): a plan operated in other years of the record, one
HiGHS model per year length moved from year to year; each year's figures equal the Pyomo
operational model's (the definition) on that year."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest
from factory import make_scenario, site

from optimizer.checks.fullyear import operate_with_pyomo
from optimizer.checks.years import operate_years
from optimizer.model import build_model
from optimizer.solve.highs import SolverOptions, load_values, solve_matrix, to_matrix

EXACT = SolverOptions(time_limit_s=60, mip_gap_pct=0.0, threads=1)
HALF = 8760.0 / 2


def _steps(names: list[str]) -> list[dict]:
    return [{"timestep": t, "period": "p", "duration_h": 1.0, "weight_h": HALF} for t in names]


def _scenario(names: list[str], stranded: dict[str, float], target_mw: float = 100.0):
    """One campus-only site (pooled) and an edge site in r1, a 1 % curtailment budget."""
    sites = [site("campus", edge_allowed=False, storage_allowed=False),
             site("edge", campus_allowed=False, storage_allowed=False)]  # fmt: skip
    return make_scenario(
        sites,
        steps=_steps(names),
        stranded={("r1", t): v for t, v in stranded.items()},
        training={"target_mw": target_mw, "curtailment_budget_pct": 1.0},
    )


def _solved(scenario):
    built = build_model(scenario)
    matrix = to_matrix(built.model)
    result = solve_matrix(matrix, EXACT)
    load_values(matrix, result.x)
    return built


def _year(scenario) -> SimpleNamespace:
    return SimpleNamespace(
        timesteps=scenario.timesteps[["timestep", "period", "duration_h", "weight_h"]],
        stranded=scenario.stranded,
        inference_profiles=scenario.inference_profiles,
    )


def test_a_plan_within_its_budget_in_one_year_is_beyond_it_in_another():
    """Planned with ample stranded power: 100 MW, no firm capacity. A year with 1,000 MW open
    keeps it whole; a year with 50 MW open for half the year leaves 50 MW x 4,380 h = 219,000
    MWh to pause or go short, of which the 1 % budget covers 8,760 MWh."""
    plan_year = _scenario(["a", "b"], {"a": 1e4, "b": 1e4})
    reduced = _solved(plan_year)
    ample = _scenario(["x1", "x2"], {"x1": 1000.0, "x2": 1000.0})
    scarce = _scenario(["y1", "y2"], {"y1": 50.0, "y2": 1000.0})
    table, bas, info = operate_years(
        reduced, plan_year, {2001: _year(ample), 2002: _year(scarce)}, EXACT
    )
    rows = table.set_index("year")
    assert rows.loc[2001, "training_curtailment_pct"] == pytest.approx(0.0, abs=1e-9)
    assert rows.loc[2001, "unserved_energy_mwh"] == pytest.approx(0.0, abs=1e-6)
    beyond = rows.loc[2002, "curtailment_beyond_budget_mwh"] + rows.loc[2002, "unserved_energy_mwh"]
    assert beyond == pytest.approx(50 * HALF - 0.01 * 8760 * 100)
    assert rows.loc[2002, "training_curtailment_pct"] >= 1.0 - 1e-9
    assert list(rows["lp_reused"]) == [False, True]  # one HiGHS model, moved to the next year
    assert info["lp_models"] == 1 and set(info["years"]) == {2001, 2002}
    r1 = bas[bas["region"] == "r1"].set_index("year")
    assert r1.loc[2002, "campus_mw"] == 100.0
    # each year's total cost is the Pyomo operational model's on that year
    for year, scenario in ((2001, ample), (2002, scarce)):
        pyomo, _ = operate_with_pyomo(reduced, scenario, EXACT)
        assert rows.loc[year, "total_cost_usd"] == pytest.approx(pyomo.objective_usd, rel=1e-7)


def test_a_ba_without_a_years_load_sits_it_out_with_its_sites():
    """Two BAs; r2's load is missing in the year: its campus is left out of that year's LP and
    the year's row names it; r1's campus operates as planned."""
    sites = [site("c1", "r1", edge_allowed=False, storage_allowed=False),
             site("c2", "r2", edge_allowed=False, storage_allowed=False),
             site("edge", "r1", campus_allowed=False, storage_allowed=False)]  # fmt: skip
    stranded = {(r, t): 1e4 for r in ("r1", "r2") for t in ("a", "b")}
    plan_year = make_scenario(sites, steps=_steps(["a", "b"]), stranded=stranded,
                              training={"target_mw": 200.0})  # fmt: skip
    reduced = _solved(plan_year)
    year = _year(plan_year)
    year.stranded = year.stranded[year.stranded["region"] == "r1"]
    table, bas, _ = operate_years(reduced, plan_year, {2003: year}, EXACT, {2003: "r2 (no load)"})
    assert table.loc[0, "bas_left_out"] == "r2 (no load)" and table.loc[0, "status"] == "optimal"
    assert set(bas["region"]) == {"r1"} and bas["campus_mw"].sum() == 100.0


def test_year_steps_keep_the_scenarios_own_names_apart_from_their_positions():
    """A year's steps are matched to the LP by position, not by name: the same series under
    other step names gives the same figures."""
    plan_year = _scenario(["a", "b"], {"a": 1e4, "b": 60.0})
    reduced = _solved(plan_year)
    same = _year(plan_year)
    renamed = _year(_scenario(["p", "q"], {"p": 1e4, "q": 60.0}))
    table, _, _ = operate_years(reduced, plan_year, {1: same, 2: renamed}, EXACT)
    cost = pd.to_numeric(table["total_cost_usd"])
    assert cost.iloc[0] == pytest.approx(cost.iloc[1], rel=1e-12)
