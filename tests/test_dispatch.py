"""The matrix dispatch LP of a fixed plan (optimizer/checks/dispatch.py) against its definition,
the Pyomo ``operational_check`` model with the same plan fixed: same cost terms and the same
curtailment, shortfall and unserved figures, on random instances operated over another "year"
(other steps, scarcer stranded power, other prices and profiles) and on the example scenarios.
Updating one dispatch LP to another year gives what a new one gives."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
from factory import make_scenario, random_settings, site

from optimizer.checks.dispatch import DispatchLP, DispatchSolution, FixedPlan
from optimizer.checks.fullyear import operate_with_matrices, operate_with_pyomo
from optimizer.model import ModelPartsError, model_data
from optimizer.pipeline import _run
from optimizer.scenario import Scenario, load_scenario, scenario_from_frames
from optimizer.solve.highs import SolverOptions

pytestmark = pytest.mark.solver
EXACT = SolverOptions(time_limit_s=60, mip_gap_pct=0.0)
REL = 1e-6
SCENARIOS = Path(__file__).resolve().parent.parent / "data" / "scenarios"
FIGURES = ("curtailed_mwh", "curtail_excess_mwh", "shortfall_mwh", "unassigned_mwh", "campus_mw")


def plan_scenario(seed: int) -> Scenario:
    """A small random plan instance: campus, storage, edge-only and group sites in two
    regions, an edge-only site alone in a third (it serves a metro no other site reaches),
    metros in two profile zones. PUE above 1 everywhere, so that curtailing beyond the
    budget and falling short of grid power never cost the same (the split would be a tie)."""
    rng = np.random.default_rng(seed)
    regions = ["ra", "rb", "rc"]
    sites = [
        site(
            f"s{i}",
            region=regions[i % 2],
            interconnect_mw=float(rng.integers(5, 30)),
            interconnect_upgrade_max_mw=float(rng.integers(0, 10)),
            site_max_mw=20.0,
            pue=float(rng.choice([1.1, 1.25, 1.4])),
            storage_allowed=bool(rng.random() < 0.6),
            campus_allowed=i < 2,
            edge_allowed=True,
        )
        for i in range(4)
    ]
    sites.append(  # a group of three identical campus sites
        site("grp", region="rb", count=3, interconnect_mw=4.0, interconnect_upgrade_max_mw=10.0,
             site_max_mw=10.0, pue=1.2, edge_allowed=False, storage_allowed=bool(seed % 2))
    )  # fmt: skip
    sites.append(site("edge", region="rc", pue=1.3, campus_allowed=False))
    metros = [
        {"metro": f"m{j}", "lat": 40.0, "lon": -90.0, "profile_zone": f"z{j % 2}",
         "inference_demand_mw": float(rng.integers(0, 13))}
        for j in range(3)
    ]  # fmt: skip
    metros.append(
        {"metro": "far", "lat": 40.0, "lon": -90.0, "profile_zone": "z1",
         "inference_demand_mw": float(rng.integers(1, 8))}
    )  # fmt: skip
    latency = [
        {"site": s["site"], "metro": m["metro"], "latency_ms": float(rng.uniform(1, 30))}
        for s in sites[:4]
        for m in metros[:3]
    ]
    for j in range(3):  # every metro keeps an admissible site (s0)
        latency[j]["latency_ms"] = 5.0
    latency.append({"site": "edge", "metro": "far", "latency_ms": 5.0})
    steps = [
        {"timestep": f"t{k}", "period": "p1" if k < 2 else "p2", "duration_h": 1.0 + k % 2,
         "weight_h": 8760 / 4, "inference_profile": 1.0}
        for k in range(4)
    ]  # fmt: skip
    return make_scenario(
        sites,
        metros=metros,
        steps=steps,
        stranded={(r, s["timestep"]): float(rng.uniform(10, 60)) for r in regions for s in steps},
        prices={(r, s["timestep"]): float(rng.uniform(10, 120)) for r in regions for s in steps},
        latency=latency,
        inference_profiles=_profiles(rng, [s["timestep"] for s in steps]),
        **random_settings(rng, regions, [5, 10, 15]),
    )  # fmt: skip


def _profiles(rng: np.random.Generator, steps: list[str]) -> list[dict]:
    return [
        {"profile_zone": z, "timestep": t, "inference_profile": float(rng.uniform(0.3, 1.0))}
        for z in ("z0", "z1")
        for t in steps
    ]


def another_year(scenario: Scenario, seed: int, scarcity: float) -> Scenario:
    """The same sites, metros and regions over another set of steps: three periods of a few
    steps (one of a single step), stranded power scaled by ``scarcity`` and drawn anew, other
    prices (some negative) and inference profiles."""
    rng = np.random.default_rng(1000 + seed)
    sizes = [1, 3, 4]
    steps = pd.DataFrame(
        [
            {"timestep": f"y{p}-{k}", "period": f"d{p}", "duration_h": float(rng.choice([1, 2])),
             "weight_h": float(rng.uniform(100, 900)), "inference_profile": 1.0}
            for p, n in enumerate(sizes)
            for k in range(n)
        ]
    )  # fmt: skip
    names = steps["timestep"].tolist()
    regions = scenario.regions["region"].tolist()
    grid = [(r, t) for r in regions for t in names]
    stranded = pd.DataFrame(
        [{"region": r, "timestep": t, "stranded_mw": scarcity * float(rng.uniform(0, 60))}
         for r, t in grid]
    )  # fmt: skip
    prices = pd.DataFrame(
        [{"region": r, "timestep": t, "price_usd_per_mwh": float(rng.uniform(-20, 150))}
         for r, t in grid]
    )  # fmt: skip
    zones = list(dict.fromkeys(scenario.metros["profile_zone"]))
    profiles = pd.DataFrame(
        [{"profile_zone": z, "timestep": t, "inference_profile": float(rng.uniform(0.3, 1.0))}
         for z in zones for t in names]
    )  # fmt: skip
    return scenario_from_frames(
        scenario.config,
        sites=scenario.sites,
        metros=scenario.metros,
        regions=scenario.regions,
        timesteps=steps,
        stranded=stranded,
        prices=prices,
        latency=scenario.latency,
        inference_profiles=profiles,
    )


def assert_same(matrix: DispatchSolution, pyomo: DispatchSolution) -> None:
    assert matrix.status == pyomo.status == "optimal"
    assert list(matrix.cost_usd) == list(pyomo.cost_usd)
    scale = max(abs(v) for v in pyomo.cost_usd.values())
    for term, value in pyomo.cost_usd.items():
        assert matrix.cost_usd[term] == pytest.approx(value, rel=REL, abs=REL * scale), term
    assert matrix.objective_usd == pytest.approx(pyomo.objective_usd, rel=REL)
    energy = max(1.0, pyomo.campus_mw * pyomo.hours)
    for name in FIGURES:
        assert getattr(matrix, name) == pytest.approx(
            getattr(pyomo, name), rel=REL, abs=REL * energy
        ), name
    assert matrix.hours == pyomo.hours
    assert matrix.sites_operated == pyomo.sites_operated


def solved(scenario: Scenario):
    results, built = _run(scenario, EXACT, lambda _msg: None)
    if not results.summary["has_solution"]:
        pytest.skip("infeasible draw")
    return built


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("scarcity", [1.0, 0.3])
def test_random_plans_over_another_year(seed, scarcity):
    scenario = plan_scenario(seed)
    built = solved(scenario)
    year = another_year(scenario, seed, scarcity)
    matrix, _ = operate_with_matrices(built, year, EXACT)
    pyomo, _ = operate_with_pyomo(built, year, EXACT)
    if pyomo.status == "infeasible":  # the definition has no slack on a site's interconnect
        assert matrix.status == "infeasible"
        return
    assert_same(matrix, pyomo)


def test_random_draws_reach_shortfall_and_excess():
    """The draws above are not all easy years: some fall short (also in the region with an
    edge-only site alone, where the shortfall is a constant), some curtail beyond budget."""
    seen = dict.fromkeys(["shortfall", "excess", "storage", "edge_region_short"], 0)
    for seed in range(8):
        scenario = plan_scenario(seed)
        built = solved(scenario)
        year = model_data(another_year(scenario, seed, 0.3), operational_check=True)
        lp = DispatchLP(year, FixedPlan.of(built), EXACT)
        solution = lp.solve()
        seen["shortfall"] += solution.shortfall_mwh > 1
        seen["excess"] += solution.curtail_excess_mwh > 1
        seen["storage"] += len(lp.layout.storage) > 0
        seen["edge_region_short"] += lp.layout.edge_nodes == ["rc"] and (
            lp._vectors.edge_shortfall_mwh > 1
        )
    assert all(count > 0 for count in seen.values()), seen


@pytest.mark.parametrize("name", ["tiny", "stranded-storage"])
@pytest.mark.parametrize("scarcity", [None, 0.4])
def test_example_scenarios(name, scarcity):
    scenario = load_scenario(SCENARIOS / name)
    built = solved(scenario)
    year = scenario
    if scarcity is not None:  # the same steps, with less stranded power
        stranded = scenario.stranded.assign(stranded_mw=scenario.stranded["stranded_mw"] * scarcity)
        year = dataclasses.replace(scenario, stranded=stranded)
    matrix, _ = operate_with_matrices(built, year, EXACT)
    pyomo, _ = operate_with_pyomo(built, year, EXACT)
    assert_same(matrix, pyomo)
    if scarcity is None:  # the plan's own days: its own cost
        total = pyo.value(built.parts.objective.total_cost_usd)
        assert matrix.objective_usd == pytest.approx(total, rel=1e-7)


def test_update_to_another_year_equals_a_new_lp():
    scenario = plan_scenario(3)
    built = solved(scenario)
    plan = FixedPlan.of(built)
    years = [another_year(scenario, 3, 1.0)]
    for k in (1, 2):  # other weather over the same steps (another_year names steps alike)
        other = another_year(scenario, 3 + 10 * k, 0.2 * k)
        years.append(dataclasses.replace(other, timesteps=years[0].timesteps))
    data = [model_data(y, operational_check=True) for y in years]
    lp = DispatchLP(data[0], plan, EXACT)
    for d in (data[1], data[2], data[0]):
        lp.update(d)
        updated = lp.solve()
        fresh = DispatchLP(d, plan, EXACT).solve()
        assert updated.cost_usd == pytest.approx(fresh.cost_usd, rel=1e-9, abs=1e-6)
        for name in FIGURES:
            assert getattr(updated, name) == pytest.approx(getattr(fresh, name), abs=1e-6)
    with pytest.raises(ValueError, match="same sites"):
        lp.update(model_data(scenario, operational_check=True))  # other steps


def test_plan_reads_every_static_decision():
    built = solved(plan_scenario(0))
    plan = FixedPlan.of(built)
    assert set(plan.fixed_cost_usd) == {"campus_capex", "edge_capex", "storage_capex",
                                        "interconnect_capex", "spur_capex", "time_to_power",
                                        "firm_capacity"}  # fmt: skip
    parts = built.parts
    extra = dataclasses.replace(parts)
    # a family declaring a static decision the dispatch LP does not read is refused
    object.__setattr__(
        extra, "static_decisions", lambda: [*parts.static_decisions(), parts.storage.soc_mwh]
    )
    with pytest.raises(ModelPartsError, match="soc_mwh"):
        FixedPlan.of(dataclasses.replace(built, parts=extra))


def test_plan_of_edge_only_sites_is_all_constants():
    """No site with hourly decisions: the LP is empty, every figure a constant."""
    steps = [
        {"timestep": f"t{k}", "period": "p1", "duration_h": 1.0, "weight_h": 8760 / 3,
         "inference_profile": p}
        for k, p in enumerate([0.5, 1.0, 0.8])
    ]  # fmt: skip
    scenario = make_scenario(
        [site("e1", campus_allowed=False, pue=1.2), site("e2", region="r2", campus_allowed=False)],
        metros=[{"metro": "m0", "lat": 40.0, "lon": -90.0, "inference_demand_mw": 12.0}],
        steps=steps,
        stranded={("r1", "t1"): 5.0, ("r2", "t1"): 3.0},
        latency=[{"site": "e1", "metro": "m0", "latency_ms": 5.0}],
    )
    built = solved(scenario)
    year = dataclasses.replace(
        scenario, stranded=scenario.stranded.assign(stranded_mw=[9.0, 2.0, 30.0, 1e5, 1e5, 1e5])
    )
    matrix, _ = operate_with_matrices(built, year, EXACT)
    pyomo, _ = operate_with_pyomo(built, year, EXACT)
    assert_same(matrix, pyomo)
    assert matrix.shortfall_mwh > 0 and matrix.x.size == 0
