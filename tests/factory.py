"""Small scenarios written in Python for model tests (hand-solved and random instances).

Defaults make the arithmetic easy: cost of capital 0 and lifetimes of 1 year (every capital
recovery factor is 1), PUE 1, no delay, one region with ample stranded power and costly firm
capacity.
"""

from __future__ import annotations

import copy

import pandas as pd

from optimizer.scenario import Scenario, scenario_from_frames

SHRUNK_US = [
    "build.bas=[ERCO,SWPP]",
    "build.n_metros=15",
    "build.campus_spacing_km=400",
    "build.plant_min_capacity_mw=2000",
]
"""``--set`` overrides shrinking the default US scenario for solver tests: two BAs, 15 metros
and about 50 campus candidates (a line point every 400 km, plants of 2 GW or more) instead of
about 490."""

BASE_CONFIG = {
    "name": "test",
    "training": {
        "target_mw": 0.0,
        "campus_blocks_mw": [100.0],
        "curtailment_budget_pct": 0.0,
        "curtailment_cost_usd_per_mwh": 150.0,
    },
    "inference": {"module_mw": 5.0, "latency_max_ms": 20.0, "unserved_penalty_usd_per_mwh": 1e5},
    "costs": {
        "campus_capex_usd_per_mw": 1000.0,
        "edge_capex_usd_per_mw": 2000.0,
        "storage_energy_capex_usd_per_mwh": 100_000.0,
        "storage_power_capex_usd_per_mw": 100_000.0,
        "interconnect_upgrade_capex_usd_per_mw": 50_000.0,
        "firm_capacity_usd_per_mw_year": 1e9,
        "energy_price_usd_per_mwh": 50.0,
        "delay_cost_usd_per_mw_year": 0.0,
    },
    "finance": {
        "wacc_pct": 0.0,
        "campus_lifetime_years": 1,
        "edge_lifetime_years": 1,
        "storage_lifetime_years": 1,
        "interconnect_lifetime_years": 1,
    },
    "storage": {"charge_efficiency_pct": 100.0, "discharge_efficiency_pct": 100.0},
    "solver": {"time_limit_s": 60, "mip_gap_pct": 0.0, "threads": 1},
}


def deep_merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def site(name: str, region: str = "r1", **kw) -> dict:
    row = {
        "site": name,
        "region": region,
        "lat": 40.0,
        "lon": -90.0,
        "interconnect_mw": 1000.0,
        "interconnect_upgrade_max_mw": 0.0,
        "site_max_mw": 1000.0,
        "pue": 1.0,
        "time_to_power_years": 0.0,
        "campus_allowed": True,
        "edge_allowed": True,
        "storage_allowed": False,
    }
    row.update(kw)
    return row


def make_scenario(
    sites: list[dict],
    metros: list[dict] | None = None,
    steps: list[dict] | None = None,
    stranded: dict | None = None,
    prices: dict | None = None,
    latency: list[dict] | None = None,
    regions: list[dict] | None = None,
    inference_profiles: list[dict] | None = None,
    year_weights: list[dict] | None = None,
    zones: list[dict] | None = None,
    region_zones: list[dict] | None = None,
    interfaces: list[dict] | None = None,
    **config,
) -> Scenario:
    """Build a scenario from rows; ``stranded``/``prices`` map (region, timestep) to a value;
    ``zones``, ``region_zones`` and ``interfaces`` rows go with ``grid={"deliverability":
    "zonal"}``."""
    steps = steps or [{"timestep": "t1", "period": "p1", "duration_h": 1.0, "weight_h": 8760.0}]
    region_names = sorted({s["region"] for s in sites})
    regions = regions or [{"region": r} for r in region_names]
    metros = metros or [{"metro": "m0", "lat": 40.0, "lon": -90.0, "inference_demand_mw": 0.0}]
    timesteps = [s["timestep"] for s in steps]
    stranded = stranded or {}
    stranded_rows = [
        {"region": r["region"], "timestep": t, "stranded_mw": stranded.get((r["region"], t), 1e5)}
        for r in regions
        for t in timesteps
    ]
    price_frame = None
    if prices:
        price_frame = pd.DataFrame(
            [
                {
                    "region": r["region"],
                    "timestep": t,
                    "price_usd_per_mwh": prices.get((r["region"], t), 50.0),
                }
                for r in regions
                for t in timesteps
            ]
        )
    return scenario_from_frames(
        deep_merge(BASE_CONFIG, config),
        sites=pd.DataFrame(sites),
        metros=pd.DataFrame(metros),
        regions=pd.DataFrame(regions),
        timesteps=pd.DataFrame(steps),
        stranded=pd.DataFrame(stranded_rows),
        prices=price_frame,
        latency=None if latency is None else pd.DataFrame(latency),
        inference_profiles=None if inference_profiles is None else pd.DataFrame(inference_profiles),
        year_weights=None if year_weights is None else pd.DataFrame(year_weights),
        zones=None if zones is None else pd.DataFrame(zones),
        region_zones=None if region_zones is None else pd.DataFrame(region_zones),
        interfaces=None
        if interfaces is None
        else pd.DataFrame(
            interfaces, columns=["interface", "from_zone", "to_zone", "forward_mw", "reverse_mw"]
        ),
    )


def random_settings(rng, regions: list[str], targets_mw: list[float]) -> dict:
    """The regions and settings of the random small instances (tests/test_model_random.py,
    tests/test_dispatch.py): region prices and shares, then training drawn from ``rng``."""
    return {
        "regions": [
            {"region": r, "firm_capacity_usd_per_mw_year": float(rng.uniform(5e4, 3e5)),
             "stranded_share_pct": float(rng.uniform(50, 100))}
            for r in regions
        ],
        "training": {"target_mw": float(rng.choice(targets_mw)), "campus_blocks_mw": [5.0, 10.0],
                     "curtailment_budget_pct": float(rng.choice([0, 1, 10])),
                     "curtailment_cost_usd_per_mwh": float(rng.uniform(0, 300))},
        "costs": {"firm_capacity_usd_per_mw_year": 1e5, "delay_cost_usd_per_mw_year": 1e4},
        "finance": {"wacc_pct": 7.0, "campus_lifetime_years": 20, "edge_lifetime_years": 10,
                    "storage_lifetime_years": 15, "interconnect_lifetime_years": 40},
        "storage": {"charge_efficiency_pct": 92, "discharge_efficiency_pct": 95},
        "inference": {"module_mw": 5.0, "unserved_penalty_usd_per_mwh": 2000.0},
    }  # fmt: skip
