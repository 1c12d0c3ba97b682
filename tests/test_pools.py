"""Pooled campus sites (optimizer/model/power.py): campus sites without edge or storage that share
a region and a PUE share one hourly operation. The pooling is exact: the same optimum as every
site operating on its own, on hand-solved and random instances, and the pooled plan's per-site
results keep every site within its own limits."""

from __future__ import annotations

import numpy as np
import pytest
from factory import make_scenario, random_settings, site

from optimizer.model import build_model
from optimizer.pipeline import run_scenario
from optimizer.solve.highs import SolverOptions, solve_matrix, to_matrix

EXACT = SolverOptions(time_limit_s=60, mip_gap_pct=0.0, threads=1)
TOL = 1e-6


def _campus(name: str, region: str = "r1", **kw) -> dict:
    return site(name, region, **{"edge_allowed": False, "storage_allowed": False, **kw})


def _edge(region: str = "r1") -> dict:
    """An edge-only site (the default metro needs one within reach; it serves nothing)."""
    return site(f"edge-{region}", region, campus_allowed=False, storage_allowed=False)


def _solve(scenario, pool_sites: bool):
    built = build_model(scenario, pool_sites=pool_sites)
    matrix = to_matrix(built.model)
    return built, matrix, solve_matrix(matrix, EXACT)


def test_sites_of_one_region_and_pue_share_one_hourly_operation():
    sites = [
        _campus("a", pue=1.2),
        _campus("b", pue=1.2),
        _campus("c", pue=1.3),
        _campus("d", "r2", pue=1.2),
        site("e", pue=1.2),  # edge allowed: its own operation
        _campus("f", pue=1.2, storage_allowed=True),  # storage: its own operation
    ]
    steps = [{"timestep": f"t{k}", "period": "p", "duration_h": 1.0, "weight_h": 2190.0}
             for k in range(4)]  # fmt: skip
    d = build_model(make_scenario(sites, steps=steps)).data
    assert d.sites_in_pool == {
        "r1@pue=1.2": ["a", "b"],
        "r1@pue=1.3": ["c"],
        "r2@pue=1.2": ["d"],
    }
    assert d.hourly_sites == ["e", "f"]
    built = build_model(make_scenario(sites, steps=steps))
    hourly = built.parts.power.pool_curtailed_mw
    assert len(hourly) == 3 * 4  # pools x steps, not sites x steps


def test_a_pooled_site_offers_only_blocks_its_connection_carries():
    """PUE 1.2: a 100 MW block draws 120 MW; site a's 100 MW wire with 10 MW of upgrade cannot
    carry it, b's 100 + 20 can; blocks of 50 MW fit both. Site c has storage (not pooled): its
    own hourly limit decides."""
    sites = [
        _campus("a", pue=1.2, interconnect_mw=100.0, interconnect_upgrade_max_mw=10.0),
        _campus("b", pue=1.2, interconnect_mw=100.0, interconnect_upgrade_max_mw=20.0),
        _campus("c", pue=1.2, interconnect_mw=100.0, storage_allowed=True),
        _edge(),
    ]
    built = build_model(make_scenario(sites, training={"campus_blocks_mw": [50.0, 100.0]}))
    assert sorted(built.parts.siting.build_campus) == [
        ("a", 0), ("b", 0), ("b", 1), ("c", 0), ("c", 1)
    ]  # fmt: skip


def test_hand_solved_pool_curtails_for_its_sites_within_their_budgets():
    """Two campuses of 100 MW (PUE 1) in one pool; one step weighing 87.6 h (1 % of the year)
    has 150 MW of stranded power, firm capacity is dear. A 1 % budget lets each campus pause
    8,760 MWh a year. Pausing (60 USD/MWh) costs more than the energy it saves (50 USD/MWh), so
    the pool pauses only the 50 MW short in that step: 50 x 87.6 = 4,380 MWh, no firm capacity.
    Split by campus MW, each site pauses 2,190 MWh."""
    steps = [
        {"timestep": "scarce", "period": "p", "duration_h": 1.0, "weight_h": 87.6},
        {"timestep": "ample", "period": "p", "duration_h": 1.0, "weight_h": 8760 - 87.6},
    ]
    scenario = make_scenario(
        [_campus("a"), _campus("b"), _edge()],
        steps=steps,
        stranded={("r1", "scarce"): 150.0, ("r1", "ample"): 1e5},
        training={"target_mw": 200.0, "curtailment_budget_pct": 1.0,
                  "curtailment_cost_usd_per_mwh": 60.0},
    )  # fmt: skip
    res = run_scenario(scenario, EXACT)
    cost = res.summary["objective_breakdown_usd"]
    assert cost["curtailment"] == pytest.approx(60.0 * 50 * 87.6)
    assert cost["firm_capacity"] == pytest.approx(0.0, abs=1e-6)
    assert cost["energy"] == pytest.approx(50.0 * (200 * 8760 - 50 * 87.6))
    sites = res.sites.set_index("site")
    assert sites.loc["a", "curtailed_mwh"] == pytest.approx(2190.0)
    assert sites.loc["b", "curtailed_mwh"] == pytest.approx(2190.0)
    assert sites["curtailment_usd"].sum() == pytest.approx(cost["curtailment"])
    assert sites["energy_usd"].sum() == pytest.approx(cost["energy"])


def test_a_site_pays_its_region_price_plus_its_adder():
    """One 100 MW campus is needed; site b's state price is 10 USD/MWh above its region's, so
    a (adder 0) is built, at 50 USD/MWh; with b alone the energy costs 60 USD/MWh."""
    both = make_scenario(
        [_campus("a"), _campus("b", energy_price_adder_usd_per_mwh=10.0), _edge()],
        training={"target_mw": 100.0},
    )
    d = build_model(both).data
    assert d.sites_in_pool == {"r1@pue=1.0": ["a"], "r1@pue=1.0,price+10.0": ["b"]}
    res = run_scenario(both, EXACT)
    assert res.sites.set_index("site").loc["a", "campus_mw"] == 100.0
    assert res.summary["objective_breakdown_usd"]["energy"] == pytest.approx(50.0 * 100 * 8760)
    only_b = make_scenario(
        [_campus("b", energy_price_adder_usd_per_mwh=10.0), _edge()], training={"target_mw": 100.0}
    )
    res = run_scenario(only_b, EXACT)
    assert res.summary["objective_breakdown_usd"]["energy"] == pytest.approx(60.0 * 100 * 8760)


def _random_scenario(seed: int):
    rng = np.random.default_rng(seed)
    regions = ["ra", "rb"]
    sites = [
        _campus(
            f"s{i}",
            region=str(rng.choice(regions)),
            pue=float(rng.choice([1.1, 1.3])),
            interconnect_mw=float(rng.integers(5, 15)),
            interconnect_upgrade_max_mw=float(rng.integers(0, 10)),
            site_max_mw=float(rng.choice([5.0, 10.0])),
            time_to_power_years=float(rng.integers(0, 4)),
            spur_capex_usd_per_mw=float(rng.uniform(0, 2e5)),
            energy_price_adder_usd_per_mwh=float(rng.choice([0.0, 0.0, 0.0, -5.0])),
        )
        for i in range(8)
    ] + [_edge(r) for r in regions]
    steps = [
        {"timestep": f"t{k}", "period": "p1" if k < 3 else "p2", "duration_h": 1.0,
         "weight_h": 8760 / 6}
        for k in range(6)
    ]  # fmt: skip
    stranded = {(r, s["timestep"]): float(rng.uniform(0, 30)) for r in regions for s in steps}
    prices = {(r, s["timestep"]): float(rng.uniform(-20, 120)) for r in regions for s in steps}
    return make_scenario(
        sites,
        steps=steps,
        stranded=stranded,
        prices=prices,
        **random_settings(rng, regions, [10.0, 20.0, 30.0]),
    )


@pytest.mark.parametrize("seed", range(12))
def test_pooled_optimum_equals_every_site_on_its_own(seed):
    scenario = _random_scenario(seed)
    pooled_built, pooled_matrix, pooled = _solve(scenario, pool_sites=True)
    own_built, own_matrix, own = _solve(scenario, pool_sites=False)
    assert len(pooled_built.data.pools) < len(own_built.data.pools)  # something is pooled
    assert pooled_matrix.shape["variables"] < own_matrix.shape["variables"]
    assert pooled.status == own.status
    if own.status == "infeasible":
        return
    assert pooled.objective_usd == pytest.approx(own.objective_usd, rel=1e-7, abs=1e-3)


@pytest.mark.parametrize("seed", range(6))
def test_pooled_plan_keeps_every_site_within_its_limits(seed):
    scenario = _random_scenario(seed)
    res = run_scenario(scenario, EXACT)
    if res.summary["status"] == "infeasible":
        pytest.skip("infeasible draw")
    cfg = scenario.config
    given = scenario.sites.set_index("site")
    sites = res.sites.set_index("site")
    hours = scenario.timesteps["weight_h"].sum()
    budget = cfg.training.curtailment_budget_pct / 100
    d = res.dispatch.merge(res.sites[["site", "campus_mw"]], on="site")
    pue = d["site"].map(given["pue"])
    assert np.allclose(d["grid_import_mw"], pue * d["training_mw"], atol=TOL)
    assert ((d["curtailed_mw"] >= -TOL) & (d["curtailed_mw"] <= d["campus_mw"] + TOL)).all()
    wire = d["site"].map(given["interconnect_mw"] + sites["interconnect_upgrade_mw"])
    assert (d["grid_import_mw"] <= wire + TOL).all()
    for s, row in sites.iterrows():
        assert row["curtailed_mwh"] <= budget * hours * row["campus_mw"] + 1e-4, s
    rt = res.region_timesteps
    open_grid = rt["stranded_available_mw"] + rt["firm_capacity_mw"]
    assert (rt["grid_import_mw"] <= open_grid + TOL).all()
    terms = res.summary["objective_breakdown_usd"]
    for term in ("energy", "curtailment"):  # the pools' costs, split over their sites
        assert sites[f"{term}_usd"].sum() == pytest.approx(terms[term], rel=1e-9, abs=1e-3)
