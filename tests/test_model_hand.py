"""Hand-solved instances of the siting model with exact optimal objectives."""

from __future__ import annotations

import pytest
from factory import make_scenario, site

from optimizer.errors import InputError
from optimizer.pipeline import run_scenario

pytestmark = pytest.mark.solver


def _steps(*weights_h: float) -> list[dict]:
    """One-hour steps t1, t2, ... of one period, standing for the given hours of the year."""
    return [
        {"timestep": f"t{i}", "period": "d", "duration_h": 1.0, "weight_h": w}
        for i, w in enumerate(weights_h, start=1)
    ]


def test_storage_arbitrage_at_one_site():
    # A 100 MW campus, two one-hour steps of 4380 h each: energy at 10 and 100 USD/MWh.
    # Storage (1 h, lossless) shifts load from the expensive to the cheap hour; each MW saves
    # 4380 * 90 = 394,200 USD/yr and costs 100,000 (power) + 100,000 (1 MWh): build as much as
    # fits. The 150 MW interconnect caps charging at 50 MW on top of the campus: 50 MW / 50 MWh.
    # Cost: campus 100 * 1000 + energy 150 MW * 4380 h * 10 + 50 MW * 4380 h * 100
    # + storage 50 * 200,000.
    steps = _steps(4380.0, 4380.0)
    scenario = make_scenario(
        [site("s1", interconnect_mw=150.0, storage_allowed=True)],
        steps=steps,
        prices={("r1", "t1"): 10.0, ("r1", "t2"): 100.0},
        training={"target_mw": 100.0, "campus_blocks_mw": [100.0]},
    )
    res = run_scenario(scenario)
    assert res.summary["status"] == "optimal"
    assert res.summary["objective_usd"] == pytest.approx(
        100_000 + 6_570_000 + 21_900_000 + 10_000_000
    )
    row = res.sites.iloc[0]
    assert row["storage_power_mw"] == pytest.approx(50.0)
    assert row["storage_energy_mwh"] == pytest.approx(50.0)
    d = res.dispatch.set_index("timestep")
    assert d.loc["t1", "grid_import_mw"] == pytest.approx(150.0)
    assert d.loc["t2", "grid_import_mw"] == pytest.approx(50.0)
    # the interconnect binds in t1: one more MW is one more MW of storage, worth 394,200 - 200,000
    assert row["interconnect_dual_usd_per_mw_year"] == pytest.approx(194_200)


def test_stranded_limit_binding_training_curtails_exactly_its_budget():
    # 100 MW campus, budget 1 % = 8,760 MWh. Step t2 (175.2 h, 2 % of the year) has no stranded
    # power: curtailing all of it would be 17,520 MWh, twice the budget, so firm capacity x must
    # cover (100 - x) * 175.2 <= 8,760 -> x >= 50. Another firm MW (100,000 USD) would save only
    # 175.2 MWh * 150 = 26,280 USD of curtailment, so x = 50 and the budget binds exactly.
    steps = _steps(8584.8, 175.2)
    scenario = make_scenario(
        [site("s1")],
        steps=steps,
        stranded={("r1", "t1"): 1000.0, ("r1", "t2"): 0.0},
        training={"target_mw": 100.0, "curtailment_budget_pct": 1.0},
        costs={"firm_capacity_usd_per_mw_year": 100_000.0},
    )
    res = run_scenario(scenario)
    expected = 100_000 + 100 * 8584.8 * 50 + 50 * 175.2 * 50 + 50 * 100_000 + 8760 * 150
    assert res.summary["objective_usd"] == pytest.approx(expected)
    assert res.summary["totals"]["firm_capacity_mw"] == pytest.approx(50.0)
    assert res.summary["totals"]["training_curtailment_pct"] == pytest.approx(1.0)
    assert res.sites.iloc[0]["curtailed_mwh"] == pytest.approx(8760.0)
    steps_out = res.region_timesteps.set_index("timestep")
    # one more MW of stranded power in t2 replaces one MW of firm capacity
    assert steps_out.loc["t2", "stranded_dual_usd_per_mw"] == pytest.approx(100_000)
    assert steps_out.loc["t1", "stranded_dual_usd_per_mw"] == pytest.approx(0.0, abs=1e-6)


def _latency_case(limit_ms: float):
    # Site "far" has cheap energy (10) but 30 ms to the metro; "near" costs 50 at 5 ms.
    sites = [
        site("far", region="ra", campus_allowed=False, lat=30.0),
        site("near", region="rb", campus_allowed=False),
    ]
    metros = [{"metro": "m1", "lat": 40.0, "lon": -90.0, "inference_demand_mw": 20.0,
               "latency_max_ms": limit_ms}]  # fmt: skip
    latency = [
        {"site": "far", "metro": "m1", "latency_ms": 30.0},
        {"site": "near", "metro": "m1", "latency_ms": 5.0},
    ]
    return make_scenario(
        sites,
        metros=metros,
        latency=latency,
        regions=[{"region": "ra", "energy_price_usd_per_mwh": 10.0}, {"region": "rb"}],
    )


def test_latency_limit_excludes_the_cheapest_site():
    res = run_scenario(_latency_case(20.0))
    # 20 MW at "near": 4 modules * 5 MW * 2000 + 20 MW * 8760 h * 50
    assert res.summary["objective_usd"] == pytest.approx(20 * 2000 + 20 * 8760 * 50)
    assert res.assignments[["site", "metro"]].values.tolist() == [["near", "m1"]]
    assert (res.assignments["latency_ms"] <= 20.0).all()
    # with a looser limit the cheap far site wins: the limit is what excluded it
    loose = run_scenario(_latency_case(40.0))
    assert loose.summary["objective_usd"] == pytest.approx(20 * 2000 + 20 * 8760 * 10)
    assert loose.assignments["site"].tolist() == ["far"]


def test_edge_modules_round_up():
    metros = [{"metro": "m1", "lat": 40.0, "lon": -90.0, "inference_demand_mw": 12.0}]
    res = run_scenario(make_scenario([site("s1", campus_allowed=False)], metros=metros))
    assert res.summary["totals"]["edge_modules"] == 3
    assert res.summary["objective_usd"] == pytest.approx(15 * 2000 + 12 * 8760 * 50)
    assert res.summary["totals"]["unserved_mw"] == pytest.approx(0.0)


def _two_zone_case(east: tuple[float, float], west: tuple[float, float]):
    # One edge site serves a 10 MW metro in each of two zones over two steps of 4380 h.
    steps = _steps(4380.0, 4380.0)
    metros = [
        {"metro": "mE", "lat": 40.0, "lon": -88.0, "inference_demand_mw": 10.0,
         "profile_zone": "east"},
        {"metro": "mW", "lat": 40.0, "lon": -92.0, "inference_demand_mw": 10.0,
         "profile_zone": "west"},
    ]  # fmt: skip
    profiles = [
        {"profile_zone": z, "timestep": t, "inference_profile": v}
        for z, values in (("east", east), ("west", west))
        for t, v in zip(("t1", "t2"), values, strict=True)
    ]
    return make_scenario(
        [site("s1", campus_allowed=False)],
        metros=metros,
        steps=steps,
        inference_profiles=profiles,
    )


def test_edge_modules_cover_the_coincident_peak_not_the_sum_of_peaks():
    # Loads: t1 10 + 4 = 14 MW, t2 2 + 10 = 12 MW. The coincident peak is 14 MW: 3 modules
    # (the sum of the metros' peaks, 20 MW, would take 4). Energy: (14 + 12) MW * 4380 h * 50.
    res = run_scenario(_two_zone_case(east=(1.0, 0.2), west=(0.4, 1.0)))
    assert res.summary["totals"]["edge_modules"] == 3
    assert res.summary["objective_usd"] == pytest.approx(15 * 2000 + 26 * 4380 * 50)
    assert res.summary["totals"]["unserved_mw"] == pytest.approx(0.0)
    # in step with each other, the zones peak together: 20 MW, 4 modules
    together = run_scenario(_two_zone_case(east=(1.0, 0.2), west=(1.0, 0.4)))
    assert together.summary["totals"]["edge_modules"] == 4
    assert together.summary["objective_usd"] == pytest.approx(20 * 2000 + 26 * 4380 * 50)


def test_negative_prices_are_priced():
    # A 100 MW campus over two steps of 4380 h at -20 and 100 USD/MWh: energy earns in the
    # first step. Cost: campus 100 * 1000 + 100 MW * 4380 h * (-20 + 100).
    steps = _steps(4380.0, 4380.0)
    scenario = make_scenario(
        [site("s1")],
        steps=steps,
        prices={("r1", "t1"): -20.0, ("r1", "t2"): 100.0},
        training={"target_mw": 100.0, "campus_blocks_mw": [100.0]},
    )
    res = run_scenario(scenario)
    assert res.summary["objective_usd"] == pytest.approx(100_000 + 100 * 4380 * 80)
    assert res.summary["objective_breakdown_usd"]["energy"] == pytest.approx(100 * 4380 * 80)


def test_choice_between_campus_blocks():
    # Target 200 MW with blocks 100 and 250: one site must take the 250 block (50 MW more than
    # needed); two sites can take 100 each. Cost per campus MW: 1000 + 8760 * 50.
    per_mw = 1000 + 8760 * 50
    training = {"target_mw": 200.0, "campus_blocks_mw": [100.0, 250.0]}
    one = run_scenario(make_scenario([site("s1")], training=training))
    assert one.summary["objective_usd"] == pytest.approx(250 * per_mw)
    two = run_scenario(make_scenario([site("s1"), site("s2")], training=training))
    assert two.summary["objective_usd"] == pytest.approx(200 * per_mw)
    assert sorted(two.sites["campus_mw"].tolist()) == [100.0, 100.0]


def test_unreachable_target_is_caught_before_solving():
    # 500 MW of training but one site capped at 300 MW: the scenario check says so plainly.
    with pytest.raises(InputError, match="500 MW cannot be built"):
        make_scenario(
            [site("s1", site_max_mw=300.0)],
            training={"target_mw": 500.0, "campus_blocks_mw": [100.0, 200.0, 300.0]},
        )


def test_infeasible_target_is_explained():
    # 500 MW of training on two sites of 300 MW, but each has a 250 MW interconnect (no upgrade,
    # no curtailment, no storage): blocks of 200 + 200 = 400 MW fit the wires. The least
    # relaxation that makes it feasible is 50 MW more interconnect at one site (a 300 MW block
    # plus a 200 MW block), cheaper in MW than 100 MW less target.
    scenario = make_scenario(
        [site("s1", site_max_mw=300.0, interconnect_mw=250.0),
         site("s2", site_max_mw=300.0, interconnect_mw=250.0)],
        training={"target_mw": 500.0, "campus_blocks_mw": [100.0, 200.0, 300.0]},
    )  # fmt: skip
    res = run_scenario(scenario)
    assert res.summary["status"] == "infeasible"
    violations = res.summary["infeasibility"]
    assert len(violations) == 1
    assert violations[0]["constraint"] == "power_interconnect_limit"
    assert violations[0]["amount"] == pytest.approx(50.0)
    assert "power_interconnect_limit[('s" in res.summary["explanation"]


def test_infeasible_interconnect_is_explained():
    # A 100 MW campus behind a 50 MW interconnect with no upgrade and a 1 % budget (at most
    # 1 MW curtailed in the single step): the interconnect must give 49 MW.
    scenario = make_scenario(
        [site("s1", interconnect_mw=50.0)],
        training={"target_mw": 100.0, "curtailment_budget_pct": 1.0},
    )
    res = run_scenario(scenario)
    assert res.summary["status"] == "infeasible"
    first = res.summary["infeasibility"][0]
    assert first["constraint"] == "power_interconnect_limit"
    assert first["amount"] == pytest.approx(49.0)


def test_group_of_identical_sites_equals_the_sites_themselves():
    # Two identical sites (500 MW wire each, upgrades up to 1000 MW at 50,000 USD/MW) must take
    # 1,250 MW of training in blocks of 250 and 1000: the 1000 MW campus needs 500 MW of upgrade
    # on its own wire (the 250 MW campus's spare wire cannot help it). A group row with
    # count = 2 gives the same plan and cost as the two sites written out.
    training = {"target_mw": 1250.0, "campus_blocks_mw": [250.0, 1000.0]}
    kw = {"interconnect_mw": 500.0, "interconnect_upgrade_max_mw": 1000.0, "site_max_mw": 1000.0,
          "edge_allowed": False}  # fmt: skip
    edge = site("e", campus_allowed=False)  # serves the (zero) inference demand
    apart = run_scenario(make_scenario([site("a", **kw), site("b", **kw), edge], training=training))
    group = run_scenario(make_scenario([site("g", count=2, **kw), edge], training=training))
    expected = 1250 * 1000 + 500 * 50_000 + 1250 * 8760 * 50
    assert apart.summary["objective_usd"] == pytest.approx(expected)
    assert group.summary["objective_usd"] == pytest.approx(expected)
    row = group.sites.iloc[0]
    assert row["campuses"] == 2 and row["campus_mw"] == 1250
    assert row["interconnect_upgrade_mw"] == pytest.approx(500.0)
