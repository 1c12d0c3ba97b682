"""Co-location at an existing plant: the campus connects at the plant (no spur, no new wire), but
its load still counts against its BA's stranded power. Co-location moves supply to the campus; it
does not create it."""

from __future__ import annotations

import pytest
from factory import make_scenario, site

from optimizer.pipeline import run_scenario
from optimizer.solve.highs import SolverOptions

EXACT = SolverOptions(time_limit_s=60, mip_gap_pct=0.0, threads=1)
STEPS = [{"timestep": "t1", "period": "p", "duration_h": 1.0, "weight_h": 8760.0}]


def _plant(name: str, region: str, capacity_mw: float = 1000.0) -> dict:
    """A plant's co-location candidate as the US builder writes it: 40 % of the plant's
    capacity at its own connection, no spur, no upgrade, 1.5 years to power."""
    share = 0.4 * capacity_mw
    return site(name, region, kind="plant", interconnect_mw=share, site_max_mw=share,
                interconnect_upgrade_max_mw=0.0, spur_capex_usd_per_mw=0.0,
                time_to_power_years=1.5, edge_allowed=False, storage_allowed=False)  # fmt: skip


def _line(name: str, region: str, spur_capex_usd_per_mw: float) -> dict:
    return site(name, region, kind="line", interconnect_mw=500.0, site_max_mw=500.0,
                spur_capex_usd_per_mw=spur_capex_usd_per_mw, time_to_power_years=1.5,
                edge_allowed=False, storage_allowed=False)  # fmt: skip


def _edge(region: str) -> dict:
    return site(f"edge-{region}", region, campus_allowed=False, storage_allowed=False)


def _scenario(sites: list[dict], stranded: dict) -> object:
    return make_scenario(
        sites,
        steps=STEPS,
        stranded=stranded,
        regions=[
            {"region": r, "firm_capacity_usd_per_mw_year": 100_000.0} for r in ("plant_ba", "other")
        ],
        training={"target_mw": 250.0, "campus_blocks_mw": [250.0]},
    )


def test_a_campus_at_a_plant_buys_firm_capacity_when_its_ba_has_no_headroom():
    """The plant's BA has no stranded power: the 250 MW campus at the plant (PUE 1) draws 250 MW
    from its BA, which must be bought as firm capacity (250 x 100,000 USD/MW-yr): the plant's
    own output does not serve it for free."""
    scenario = _scenario(
        [_plant("plant", "plant_ba"), _edge("plant_ba")],
        stranded={("plant_ba", "t1"): 0.0},
    )
    res = run_scenario(scenario, EXACT)
    regions = res.regions.set_index("region")
    assert res.sites.set_index("site").loc["plant", "campus_mw"] == 250.0
    assert regions.loc["plant_ba", "firm_capacity_mw"] == pytest.approx(250.0)
    assert res.summary["objective_breakdown_usd"]["firm_capacity"] == pytest.approx(25e6)
    assert res.summary["objective_breakdown_usd"]["spur_capex"] == pytest.approx(0.0)


def test_headroom_elsewhere_beats_a_plant_in_a_ba_without_it():
    """A line site in a BA with ample stranded power costs 60,000 USD/MW in spur (annualized
    with the factory's capital recovery factor of 1: 15 M USD/yr for 250 MW), less than the
    25 M USD/yr of firm capacity the plant's BA would need: the campus goes to the line. With
    headroom at the plant's BA too, the plant (no spur) wins."""
    sites = [_plant("plant", "plant_ba"), _line("line", "other", 60_000.0)]
    sites += [_edge("plant_ba"), _edge("other")]
    scarce = _scenario(sites, stranded={("plant_ba", "t1"): 0.0, ("other", "t1"): 1e4})
    built = run_scenario(scarce, EXACT).sites.set_index("site")["campus_mw"]
    assert (built["line"], built["plant"]) == (250.0, 0.0)
    ample = _scenario(sites, stranded={("plant_ba", "t1"): 1e4, ("other", "t1"): 1e4})
    built = run_scenario(ample, EXACT).sites.set_index("site")["campus_mw"]
    assert (built["line"], built["plant"]) == (0.0, 250.0)
