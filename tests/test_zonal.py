"""Zonal deliverability (optimizer/model/stranded.py): stranded power moved between zones over
interfaces within their allowed share. Hand-solved cases with exact optima and duals, a campus
the copper plate puts behind a bottleneck and the zonal model moves, the zonal model with one
zone per region and no interface equal to the copper plate, and on random instances: flows
within their limits in every step, every zone's balance held, and the full-year dispatch LP
equal to the Pyomo operational model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from factory import make_scenario, site

from optimizer.checks.dispatch import DispatchLP, FixedPlan
from optimizer.checks.fullyear import operate_with_matrices, operate_with_pyomo
from optimizer.errors import ScenarioError
from optimizer.model import model_data
from optimizer.pipeline import _run, run_scenario
from optimizer.solve.highs import SolverOptions

pytestmark = pytest.mark.solver
EXACT = SolverOptions(time_limit_s=60, mip_gap_pct=0.0, threads=1)
ZONAL = {"deliverability": "zonal", "interface_share_pct": 100.0}


def _zone(name: str, region: str) -> dict:
    return {"zone": name, "region": region, "lat": 40.0, "lon": -90.0}


def _link(a: str, b: str, forward: float, reverse: float) -> dict:
    return {"interface": f"{a}||{b}", "from_zone": a, "to_zone": b, "forward_mw": forward,
            "reverse_mw": reverse}  # fmt: skip


def three_zones(**overrides):
    """Zones za, zb (region r1, firm 100,000 USD/MW-yr) and zc (region r2, firm 300,000) in a
    line za - zb - zc; r1's 1,000 MW of stranded power all in za, r2 has none; a 100 MW campus
    at zc; za -> zb allows 30 MW, zb -> zc 50 MW; one step standing for the year."""
    config = {
        "sites": [site("sc", region="r2", reeds_zone="zc")],
        "regions": [
            {"region": "r1", "firm_capacity_usd_per_mw_year": 100_000.0},
            {"region": "r2", "firm_capacity_usd_per_mw_year": 300_000.0},
        ],
        "stranded": {("r1", "t1"): 1000.0, ("r2", "t1"): 0.0},
        "training": {"target_mw": 100.0, "campus_blocks_mw": [100.0]},
        "zones": [_zone("za", "r1"), _zone("zb", "r1"), _zone("zc", "r2")],
        "region_zones": [
            {"region": "r1", "zone": "za", "stranded_apportion_pct": 100.0},
            {"region": "r2", "zone": "zc", "stranded_apportion_pct": 100.0},
        ],
        "interfaces": [_link("za", "zb", 30.0, 30.0), _link("zb", "zc", 50.0, 50.0)],
        "grid": ZONAL,
    }
    config.update(overrides)
    sites = config.pop("sites")
    return make_scenario(sites, **config)


def test_three_zones_by_hand_interface_duals_are_differences_of_zone_values():
    # zc needs 100 MW: 30 MW of za's stranded power through zb, 20 MW of firm capacity bought
    # at zb (100,000) through zb -> zc (50 MW, full), 50 MW of firm capacity at zc (300,000).
    # Marginal value of a MW: za 0 (stranded power to spare), zb 100,000 (firm there), zc
    # 300,000 (firm there). za -> zb binds: one more MW is worth 100,000 - 0; zb -> zc binds:
    # 300,000 - 100,000 = 200,000.
    res = run_scenario(three_zones())
    assert res.summary["status"] == "optimal"
    assert res.summary["deliverability"] == "zonal"
    energy = 100 * 8760 * 50.0
    assert res.summary["objective_usd"] == pytest.approx(
        100 * 1000 + energy + 20 * 100_000 + 50 * 300_000
    )
    zones = res.extras["zones"].set_index("zone")
    assert zones["firm_capacity_mw"].to_dict() == pytest.approx({"za": 0, "zb": 20, "zc": 50})
    assert zones["stranded_dual_usd_per_mw_year"].to_dict() == pytest.approx(
        {"za": 0.0, "zb": 100_000.0, "zc": 300_000.0}, abs=1e-6
    )
    links = res.extras["interfaces"].set_index("interface")
    assert links["forward_peak_mw"].to_dict() == pytest.approx({"za||zb": 30.0, "zb||zc": 50.0})
    assert links["hours_at_limit_h"].to_dict() == pytest.approx({"za||zb": 8760, "zb||zc": 8760})
    value = zones["stranded_dual_usd_per_mw_year"]
    for i, row in links.iterrows():
        assert row["dual_usd_per_mw_year"] == pytest.approx(
            value[row["to_zone"]] - value[row["from_zone"]]
        ), i
    assert links.loc["zb||zc", "forward_dual_usd_per_mw_year"] == pytest.approx(200_000)
    assert links.loc["za||zb", "reverse_dual_usd_per_mw_year"] == pytest.approx(0.0)
    # the region figures: r1's stranded power is worth what one more MW of it in za is worth
    regions = res.regions.set_index("region")
    assert regions.loc["r1", "firm_capacity_mw"] == pytest.approx(20.0)
    assert regions.loc["r2", "firm_capacity_mw"] == pytest.approx(50.0)
    assert res.summary["zonal"]["binding_interfaces"] == 2
    # one more allowed MW on zb -> zc saves exactly its dual
    wider = three_zones(interfaces=[_link("za", "zb", 30.0, 30.0), _link("zb", "zc", 51.0, 51.0)])
    saved = res.summary["objective_usd"] - run_scenario(wider).summary["objective_usd"]
    assert saved == pytest.approx(200_000)


def test_copper_plate_of_the_same_case_ignores_the_bottleneck():
    # ba: r2 has no stranded power of its own, so the campus buys 100 MW of firm capacity in r2
    res = run_scenario(three_zones(grid={"deliverability": "ba"}))
    assert res.summary["objective_usd"] == pytest.approx(
        100 * 1000 + 100 * 8760 * 50.0 + 100 * 300_000
    )
    assert "zones" not in res.extras


def test_interface_share_scales_the_allowed_flow():
    # half of each limit: za -> zb 15 MW, zb -> zc 25 MW: 15 MW of stranded power, 10 MW of
    # firm at zb, 75 MW at zc
    res = run_scenario(three_zones(grid={"deliverability": "zonal", "interface_share_pct": 50}))
    assert res.summary["objective_usd"] == pytest.approx(
        100 * 1000 + 100 * 8760 * 50.0 + 10 * 100_000 + 75 * 300_000
    )
    links = res.extras["interfaces"].set_index("interface")
    assert links["forward_allowed_mw"].to_dict() == pytest.approx({"za||zb": 15, "zb||zc": 25})
    assert links["forward_limit_mw"].to_dict() == pytest.approx({"za||zb": 30, "zb||zc": 50})


def bottleneck(deliverability: str):
    """One region whose 500 MW of stranded power lies 10 % in z1 and 90 % in z2, joined by an
    interface allowing 20 MW; a 100 MW campus at s1 (z1, 5 USD/MWh cheaper) or s2 (z2)."""
    return make_scenario(
        [
            site("s1", reeds_zone="z1", energy_price_adder_usd_per_mwh=-5.0),
            site("s2", reeds_zone="z2"),
        ],
        regions=[{"region": "r1", "firm_capacity_usd_per_mw_year": 1e6}],
        stranded={("r1", "t1"): 500.0},
        training={"target_mw": 100.0, "campus_blocks_mw": [100.0]},
        zones=[_zone("z1", "r1"), _zone("z2", "r1")],
        region_zones=[
            {"region": "r1", "zone": "z1", "stranded_apportion_pct": 10.0},
            {"region": "r1", "zone": "z2", "stranded_apportion_pct": 90.0},
        ],
        interfaces=[_link("z1", "z2", 20.0, 20.0)],
        grid={"deliverability": deliverability, "interface_share_pct": 100.0},
    )


def test_zonal_model_moves_a_campus_the_copper_plate_put_behind_a_bottleneck():
    plate = run_scenario(bottleneck("ba"))
    zonal = run_scenario(bottleneck("zonal"))
    built = {name: r.sites.set_index("site")["campus_mw"] for name, r in
             (("ba", plate), ("zonal", zonal))}  # fmt: skip
    # the copper plate takes the cheaper site: 500 MW of the BA's stranded power anywhere
    assert built["ba"].to_dict() == {"s1": 100.0, "s2": 0.0}
    assert plate.summary["totals"]["firm_capacity_mw"] == pytest.approx(0.0)
    # zonally s1 would get z1's own 50 MW and 20 MW over the interface: 30 MW of firm capacity
    # at 1e6/MW-yr, more than the 4.38 M USD/yr its price saves; s2 has 450 MW in its zone
    assert built["zonal"].to_dict() == {"s1": 0.0, "s2": 100.0}
    assert zonal.summary["totals"]["firm_capacity_mw"] == pytest.approx(0.0)
    energy = 100 * 8760 * 50.0
    assert plate.summary["objective_usd"] == pytest.approx(100 * 1000 + energy - 100 * 8760 * 5)
    assert zonal.summary["objective_usd"] == pytest.approx(100 * 1000 + energy)


def test_one_zone_per_region_without_interfaces_is_the_copper_plate():
    def case(deliverability):
        return make_scenario(
            [site("a", region="r1", reeds_zone="za", edge_allowed=False),
             site("b", region="r2", reeds_zone="zb", edge_allowed=False, pue=1.2),
             site("e", region="r2", reeds_zone="zb", campus_allowed=False)],
            regions=[{"region": "r1", "firm_capacity_usd_per_mw_year": 2e5,
                      "stranded_share_pct": 60.0},
                     {"region": "r2", "firm_capacity_usd_per_mw_year": 1e5}],
            steps=[{"timestep": f"t{k}", "period": "p", "weight_h": w}
                   for k, w in enumerate([8000.0, 700.0, 60.0])],
            stranded={("r1", "t0"): 300.0, ("r1", "t1"): 50.0, ("r1", "t2"): 0.0,
                      ("r2", "t0"): 80.0, ("r2", "t1"): 10.0, ("r2", "t2"): 0.0},
            training={"target_mw": 200.0, "campus_blocks_mw": [100.0],
                      "curtailment_budget_pct": 1.0},
            zones=[_zone("za", "r1"), _zone("zb", "r2")],
            region_zones=[{"region": "r1", "zone": "za", "stranded_apportion_pct": 100.0},
                          {"region": "r2", "zone": "zb", "stranded_apportion_pct": 100.0}],
            interfaces=[],
            grid={"deliverability": deliverability},
        )  # fmt: skip

    plate, zonal = run_scenario(case("ba")), run_scenario(case("zonal"))
    assert zonal.summary["objective_usd"] == pytest.approx(plate.summary["objective_usd"])
    firm = zonal.extras["zones"].set_index("region")["firm_capacity_mw"]
    assert firm.to_dict() == pytest.approx(
        plate.regions.set_index("region")["firm_capacity_mw"].to_dict()
    )


def test_zonal_scenario_problems_name_file_row_and_column():
    good = dict(
        zones=[_zone("z1", "r1"), _zone("z2", "r9")],
        region_zones=[{"region": "r1", "zone": "z1", "stranded_apportion_pct": 60.0},
                      {"region": "r1", "zone": "z3", "stranded_apportion_pct": 30.0}],
        interfaces=[_link("z1", "z1", 5.0, 5.0)],
        grid=ZONAL,
    )  # fmt: skip
    with pytest.raises(ScenarioError) as err:
        make_scenario([site("s1", reeds_zone="zz")], **good)
    text = str(err.value)
    assert "zones.csv: row 3, column region: unknown region 'r9'" in text
    assert "sites.csv: row 2, column reeds_zone: unknown reeds_zone 'zz'" in text
    assert "region_zones.csv: row 3, column zone: unknown zone 'z3'" in text
    assert "region_zones.csv: column stranded_apportion_pct: region 'r1''s shares sum to 90 %" in (
        text
    )
    assert "interfaces.csv: row 2, column to_zone: the interface links zone 'z1' to itself" in text
    with pytest.raises(ScenarioError, match="zones.csv: table not given"):
        make_scenario([site("s1")], grid=ZONAL)


def random_zonal(seed: int, share_pct: float = 100.0):
    """Four zones over two regions (one zone shared), a ring of interfaces, campus and edge
    sites in three zones, scarce and varying stranded power over four steps."""
    rng = np.random.default_rng(seed)
    steps = [{"timestep": f"t{k}", "period": "d", "weight_h": w, "inference_profile": p}
             for k, (w, p) in enumerate(zip([3000.0, 3000.0, 2000.0, 760.0],
                                            [0.6, 1.0, 0.8, 0.9], strict=True))]  # fmt: skip
    stranded = {(r, f"t{k}"): float(rng.uniform(0, 120)) for r in ("r1", "r2") for k in range(4)}
    zones = ["z1", "z2", "z3", "z4"]
    cut = float(rng.uniform(10, 90))
    sites = [
        site(f"c{k}", region="r1" if k < 3 else "r2", reeds_zone=zones[k % 3],
             edge_allowed=False, pue=float(rng.choice([1.1, 1.3])),
             energy_price_adder_usd_per_mwh=float(rng.uniform(-10, 10)),
             interconnect_mw=200.0, site_max_mw=100.0)
        for k in range(5)
    ] + [site("e1", region="r2", reeds_zone="z4", campus_allowed=False)]  # fmt: skip
    return make_scenario(
        sites,
        metros=[{"metro": "m0", "lat": 40.0, "lon": -90.0, "inference_demand_mw": 12.0}],
        steps=steps,
        stranded=stranded,
        regions=[{"region": "r1", "firm_capacity_usd_per_mw_year": float(rng.uniform(5e4, 3e5))},
                 {"region": "r2", "firm_capacity_usd_per_mw_year": float(rng.uniform(5e4, 3e5)),
                  "stranded_share_pct": float(rng.uniform(50, 100))}],
        training={"target_mw": float(rng.choice([100, 200])), "campus_blocks_mw": [50.0, 100.0],
                  "curtailment_budget_pct": float(rng.choice([0, 1, 10]))},
        costs={"delay_cost_usd_per_mw_year": 1e4},
        inference={"unserved_penalty_usd_per_mwh": 2000.0},
        zones=[_zone("z1", "r1"), _zone("z2", "r1"), _zone("z3", "r2"), _zone("z4", "r2")],
        region_zones=[{"region": "r1", "zone": "z1", "stranded_apportion_pct": cut},
                      {"region": "r1", "zone": "z2", "stranded_apportion_pct": 100 - cut},
                      {"region": "r2", "zone": "z2", "stranded_apportion_pct": 30.0},
                      {"region": "r2", "zone": "z3", "stranded_apportion_pct": 70.0}],
        interfaces=[_link(a, b, float(rng.uniform(0, 60)), float(rng.uniform(0, 60)))
                    for a, b in (("z1", "z2"), ("z2", "z3"), ("z3", "z4"), ("z4", "z1"))],
        grid={"deliverability": "zonal", "interface_share_pct": share_pct},
    )  # fmt: skip


@pytest.mark.parametrize("seed", range(6))
def test_random_flows_stay_within_their_limits_and_zones_balance(seed):
    scenario = random_zonal(seed, share_pct=float([100, 40, 25][seed % 3]))
    res = run_scenario(scenario, EXACT)
    assert res.summary["has_solution"]
    links = res.extras["interfaces"]
    tol = 1e-6
    assert (links["forward_peak_mw"] <= links["forward_allowed_mw"] + tol).all()
    assert (links["reverse_peak_mw"] <= links["reverse_allowed_mw"] + tol).all()
    share = scenario.config.grid.interface_share_pct / 100
    assert links["forward_allowed_mw"].to_numpy() == pytest.approx(
        share * links["forward_limit_mw"].to_numpy()
    )
    # every zone, every step: draw + net export <= open stranded power + firm capacity
    results, built = _run(scenario, EXACT, lambda _m: None)
    d = built.data
    flow = built.parts.stranded.flow_mw.extract_values()
    grid = results.dispatch.assign(zone=results.dispatch["site"].map(d.site_node))
    draw = grid.groupby(["zone", "timestep"])["grid_import_mw"].sum()
    firm = built.parts.stranded.firm_capacity_mw.extract_values()
    for i in d.interfaces:
        for t in d.timesteps:
            assert -d.interface_reverse_mw[i] - tol <= flow[i, t] <= d.interface_forward_mw[i] + tol
    for n in d.nodes:
        for t in d.timesteps:
            net = sum(flow[i, t] for i in d.interfaces if d.interface_from[i] == n) - sum(
                flow[i, t] for i in d.interfaces if d.interface_to[i] == n
            )
            assert (
                draw.get((n, t), 0.0) + net <= d.node_available_mw(n, t) + (firm[n] or 0.0) + 1e-5
            )


@pytest.mark.parametrize("seed", range(4))
def test_zonal_dispatch_lp_equals_the_pyomo_operational_model(seed):
    scenario = random_zonal(seed)
    results, built = _run(scenario, EXACT, lambda _m: None)
    assert results.summary["has_solution"]
    stranded = scenario.stranded.assign(stranded_mw=scenario.stranded["stranded_mw"] * 0.3)
    year = dataclasses.replace(scenario, stranded=stranded)
    matrix, _ = operate_with_matrices(built, year, EXACT)
    pyomo, _ = operate_with_pyomo(built, year, EXACT)
    assert matrix.cost_usd == pytest.approx(pyomo.cost_usd, rel=1e-6, abs=1e-3)
    assert matrix.shortfall_mwh == pytest.approx(pyomo.shortfall_mwh, rel=1e-6, abs=1e-4)
    assert matrix.curtailed_mwh == pytest.approx(pyomo.curtailed_mwh, rel=1e-6, abs=1e-4)
    # the plan's own year: its own cost
    own = DispatchLP(model_data(scenario, operational_check=True), FixedPlan.of(built), EXACT)
    assert own.solve().objective_usd == pytest.approx(results.summary["objective_usd"], rel=1e-7)


def test_weather_years_of_a_zonal_plan_are_operated_zonally():
    # the three-zone plan in its own year: zonally its cost is the plan's own and nothing is
    # short; on the copper plate per BA (what the weather years did before) r2's campus would get
    # r2's 50 MW of firm capacity only and pause 50 MW beyond its budget all year
    from types import SimpleNamespace

    from optimizer.checks.years import operate_years

    scenario = three_zones()
    results, built = _run(scenario, EXACT, lambda _m: None)
    year = SimpleNamespace(
        timesteps=scenario.timesteps[["timestep", "period", "duration_h", "weight_h"]],
        stranded=scenario.stranded,
        inference_profiles=scenario.inference_profiles,
    )
    table, bas, info = operate_years(built, scenario, {2024: year}, EXACT)
    assert info["deliverability"] == "zonal"
    row = table.iloc[0]
    assert row["total_cost_usd"] == pytest.approx(results.summary["objective_usd"], rel=1e-9)
    assert row["curtailment_beyond_budget_mwh"] == pytest.approx(0.0, abs=1e-6)
    assert row["unserved_energy_mwh"] == pytest.approx(0.0, abs=1e-6)
    assert bas["shortfall_mwh"].sum() == pytest.approx(0.0, abs=1e-6)
    # a year with 20 MW of stranded power in za: 20 MW reach zb, so zc gets 90 MW, 10 short
    thin = scenario.stranded.assign(stranded_mw=scenario.stranded["stranded_mw"] * 0.02)
    lean, lean_bas, _ = operate_years(built, scenario, {2025: SimpleNamespace(
        timesteps=year.timesteps, stranded=thin, inference_profiles=year.inference_profiles
    )}, EXACT)  # fmt: skip
    assert lean.loc[0, "total_cost_usd"] > row["total_cost_usd"]
    assert lean_bas.set_index("region").loc["r2", "curtailed_mwh"] == pytest.approx(10.0 * 8760)


def test_zonal_run_folder_has_zones_interfaces_their_layer_map_and_plot(tmp_path):
    import json

    from optimizer.export import write_exports
    from optimizer.pipeline import write_run
    from optimizer.results import Results
    from optimizer.results.folder import read_table

    run = write_run(run_scenario(three_zones()), tmp_path / "run")
    zones, links = read_table(run, "zones"), read_table(run, "interfaces")
    assert list(zones["zone"]) == ["za", "zb", "zc"]
    assert set(links["interface"]) == {"za||zb", "zb||zc"}
    layer = json.loads((run / "interfaces.geojson").read_text())
    assert [f["geometry"]["type"] for f in layer["features"]] == ["LineString"] * 2
    assert all(f["properties"]["binding"] for f in layer["features"])
    assert (run / "interfaces.png").stat().st_size > 0
    page = (run / "map.html").read_text()
    assert '"interfaces":{"type":"FeatureCollection"' in page
    assert Results.load(run).summary["zonal"]["binding_interfaces"] == 2
    # exports again from the folder alone
    again = write_exports(run)
    assert {p.name for p in again} >= {"interfaces.geojson", "interfaces.png", "map.html"}
    # a copper-plate run writes neither
    plate = write_run(run_scenario(three_zones(grid={"deliverability": "ba"})), tmp_path / "ba")
    assert not (plate / "interfaces.csv").exists() and not (plate / "interfaces.png").exists()
