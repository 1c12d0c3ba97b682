"""Random small instances: the MIP optimum equals brute-force enumeration of every integer
decision (each completed by its LP), and every solution honours the model's invariants."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from factory import make_scenario, random_settings, site

from optimizer.model import build_model
from optimizer.pipeline import run_scenario
from optimizer.solve.highs import SolverOptions, solve_fixed, solve_matrix, to_matrix

pytestmark = pytest.mark.solver
EXACT = SolverOptions(time_limit_s=60, mip_gap_pct=0.0)
TOL = 1e-6


def random_scenario(seed: int):
    rng = np.random.default_rng(seed)
    regions = ["ra", "rb"][: rng.integers(1, 3)]
    sites = [
        site(
            f"s{i}",
            region=str(rng.choice(regions)),
            interconnect_mw=float(rng.integers(5, 30)),
            interconnect_upgrade_max_mw=float(rng.integers(0, 10)),
            site_max_mw=15.0,
            pue=float(rng.choice([1.0, 1.2, 1.4])),
            time_to_power_years=float(rng.integers(0, 3)),
            storage_allowed=bool(rng.random() < 0.6),
            campus_allowed=True,
            edge_allowed=True,
        )
        for i in range(2)
    ]
    metros = [
        {"metro": f"m{j}", "lat": 40.0, "lon": -90.0,
         "inference_demand_mw": float(rng.integers(0, 13))}
        for j in range(2)
    ]  # fmt: skip
    latency = [
        {"site": s["site"], "metro": m["metro"], "latency_ms": float(rng.uniform(1, 30))}
        for s in sites
        for m in metros
    ]
    for m in metros:  # every metro keeps at least one admissible site
        latency[[r["metro"] for r in latency].index(m["metro"])]["latency_ms"] = 5.0
    steps = [
        {"timestep": f"t{k}", "period": "p1" if k < 2 else "p2", "duration_h": 1.0 + k % 2,
         "weight_h": 8760 / 4, "inference_profile": float(rng.uniform(0.5, 1.0))}
        for k in range(4)
    ]  # fmt: skip
    stranded = {(r, s["timestep"]): float(rng.uniform(0, 40)) for r in regions for s in steps}
    prices = {(r, s["timestep"]): float(rng.uniform(10, 120)) for r in regions for s in steps}
    return make_scenario(
        sites,
        metros=metros,
        steps=steps,
        stranded=stranded,
        prices=prices,
        latency=latency,
        **random_settings(rng, regions, [0, 5, 10, 15]),
    )  # fmt: skip


@pytest.mark.parametrize("seed", range(10))
def test_mip_optimum_equals_brute_force(seed):
    built = build_model(random_scenario(seed))
    matrix = to_matrix(built.model)
    mip = solve_matrix(matrix, EXACT)
    lower = np.asarray(matrix.lp.col_lower_)
    upper = np.asarray(matrix.lp.col_upper_)
    domains = [range(int(lower[i]), int(upper[i]) + 1) for i in matrix.integer_columns]
    assert 1 < math.prod(len(d) for d in domains) <= 1024
    best = math.inf
    x = np.zeros(matrix.lp.num_col_)
    for combo in itertools.product(*domains):
        x[matrix.integer_columns] = combo
        fixed = solve_fixed(matrix, x, EXACT)
        if fixed.objective_usd is not None:
            best = min(best, fixed.objective_usd)
    if math.isinf(best):
        assert mip.status == "infeasible"
    else:
        assert mip.status == "optimal"
        assert mip.objective_usd == pytest.approx(best, rel=1e-7, abs=1e-3)


@pytest.mark.parametrize("seed", range(10))
def test_invariants_hold_on_every_solution(seed):
    scenario = random_scenario(seed)
    res = run_scenario(scenario, EXACT)
    if res.summary["status"] == "infeasible":
        pytest.skip("infeasible draw: covered by the brute-force test")
    cfg = scenario.config
    sites = scenario.sites.set_index("site")
    steps = scenario.timesteps.set_index("timestep")
    d = res.dispatch.merge(res.sites[["site", "campus_mw", "region"]], on="site")
    pue = d["site"].map(sites["pue"])
    # energy balance per site and step
    supply = d["grid_import_mw"] + d["discharge_mw"] - d["charge_mw"]
    assert np.allclose(supply, pue * (d["inference_mw"] + d["training_mw"]), atol=TOL)
    # training within its campus, curtailment within the budget
    assert (d["curtailed_mw"] >= -TOL).all() and (d["curtailed_mw"] <= d["campus_mw"] + TOL).all()
    hours = steps["weight_h"].sum()
    budget = cfg.training.curtailment_budget_pct / 100
    peak = d.groupby("site")["inference_mw"].max()
    for s, row in res.sites.set_index("site").iterrows():
        assert row["curtailed_mwh"] <= budget * hours * row["campus_mw"] + 1e-4
        assert row["campus_mw"] + row["edge_mw"] <= sites.loc[s, "site_max_mw"] + TOL
        # modules cover the coincident inference peak, and no more than it needs (they cost)
        assert row["inference_peak_mw"] == pytest.approx(peak.get(s, 0.0), abs=TOL)
        assert row["edge_mw"] == 5.0 * math.ceil(peak.get(s, 0.0) / 5.0 - 1e-6)
    # interconnect
    limit = d["site"].map(sites["interconnect_mw"]) + d["site"].map(
        res.sites.set_index("site")["interconnect_upgrade_mw"]
    )
    assert (d["grid_import_mw"] <= limit + TOL).all()
    # latency limits honoured by every assignment
    limits = scenario.metros.set_index("metro")["latency_max_ms"]
    assert (res.assignments["latency_ms"] <= res.assignments["metro"].map(limits) + 1e-9).all()
    # demand served plus unserved equals demand
    served = res.assignments.groupby("metro")["served_mw"].sum()
    demand = scenario.metros.set_index("metro")["inference_demand_mw"]
    unserved = res.summary["totals"]["unserved_mw"]
    assert served.reindex(demand.index, fill_value=0).sum() + unserved == pytest.approx(
        demand.sum()
    )
    # stranded power per region and step
    rt = res.region_timesteps
    assert (
        rt["grid_import_mw"] <= rt["stranded_available_mw"] + rt["firm_capacity_mw"] + TOL
    ).all()
    # storage bounds and state of charge recurrence, cyclic in each period
    storage = res.sites.set_index("site")
    d = d.merge(scenario.timesteps[["timestep", "period", "duration_h"]], on="timestep")
    eta_c = cfg.storage.charge_efficiency_pct / 100
    eta_d = cfg.storage.discharge_efficiency_pct / 100
    for (s, _), g in d.groupby(["site", "period"], sort=False):
        assert (g["soc_mwh"] <= storage.loc[s, "storage_energy_mwh"] + TOL).all()
        assert (g["charge_mw"] <= storage.loc[s, "storage_power_mw"] + TOL).all()
        assert (g["discharge_mw"] <= storage.loc[s, "storage_power_mw"] + TOL).all()
        soc = g["soc_mwh"].to_numpy()
        delta = g["duration_h"].to_numpy() * (
            eta_c * g["charge_mw"].to_numpy() - g["discharge_mw"].to_numpy() / eta_d
        )
        assert np.allclose(soc, np.roll(soc, 1) + delta, atol=1e-5)
    # the objective equals the sum of its terms and of the site costs plus system terms
    terms = res.summary["objective_breakdown_usd"]
    assert sum(terms.values()) == pytest.approx(res.summary["objective_usd"], rel=1e-9)
    site_terms = res.sites["total_cost_usd"].sum()
    assert site_terms + terms["firm_capacity"] + terms["unserved"] == pytest.approx(
        res.summary["objective_usd"], rel=1e-9
    )
