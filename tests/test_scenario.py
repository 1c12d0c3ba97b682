"""The scenario format: the example scenarios, financing, overrides, every kind of bad input
(each reported with file, row and column), latency from coordinates, the hash and the CLI.

Bad scenarios are copies of ``data/scenarios/tiny`` in ``tmp_path`` with one thing broken.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer import geo
from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.scenario import (
    FinanceConfig,
    ScenarioConfig,
    ScenarioError,
    UsBuildConfig,
    apply_overrides,
    check_scenario,
    load_scenario,
    scenario_from_frames,
    schema_text,
)
from optimizer.scenario.settings import builder_setting_problem, settings_from_files

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "scenarios"
TINY_SUMMARY = "tiny: 6 sites, 4 metros, 3 regions, 24 timesteps, 8 admissible site-metro pairs"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A fresh copy of the tiny example to break."""
    folder = tmp_path / "tiny"
    shutil.copytree(EXAMPLES / "tiny", folder)
    return folder


def _edit_csv(folder: Path, name: str, edit: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    path = folder / name
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    edit(frame).to_csv(path, index=False)


def _set_cell(folder: Path, name: str, row: int, column: str, value: str) -> None:
    """Set the cell at CSV row ``row`` (header = row 1)."""

    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[row - 2, column] = value
        return frame

    _edit_csv(folder, name, edit)


def _edit_yaml(folder: Path, edit: Callable[[dict], None]) -> None:
    path = folder / "scenario.yaml"
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


# --- the examples ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tiny", "stranded-storage"])
def test_example_scenarios_load_and_check_clean(name):
    folder = EXAMPLES / name
    assert check_scenario(folder) == []
    scenario = load_scenario(folder)
    assert scenario.config.name == name
    assert scenario.warnings == []
    assert (folder / "README.md").read_text().count("llustrative") >= 1
    n_pairs = len(scenario.regions) * len(scenario.timesteps)
    assert len(scenario.stranded) == len(scenario.prices) == n_pairs
    assert scenario.prices["price_usd_per_mwh"].notna().all()


def test_tiny_tables_are_tidy_with_defaults_filled():
    s = load_scenario(EXAMPLES / "tiny")
    assert list(s.sites.columns) == [
        "site", "region", "lat", "lon", "count", "kind", "place", "county", "state",
        "reeds_zone", "voltage_class", "line", "plant", "interconnect_mw",
        "interconnect_upgrade_max_mw", "site_max_mw", "pue", "time_to_power_years",
        "time_to_power_level", "time_to_power_records", "substation_km", "spur_km",
        "spur_capex_usd_per_mw", "energy_price_adder_usd_per_mwh", "campus_allowed",
        "edge_allowed", "storage_allowed",
    ]  # fmt: skip
    assert s.sites["campus_allowed"].dtype == bool
    assert s.sites["count"].dtype == "int64" and s.sites["count"].eq(1).all()
    assert s.sites["spur_capex_usd_per_mw"].eq(0.0).all() and s.sites["spur_km"].eq(0.0).all()
    assert s.sites["energy_price_adder_usd_per_mwh"].eq(0.0).all()
    assert s.sites["voltage_class"].eq("").all() and s.sites["place"].eq("").all()
    assert s.sites["time_to_power_records"].eq(0).all() and s.sites["substation_km"].eq(0).all()
    assert s.metros["profile_zone"].eq("all").all()
    assert s.sites["interconnect_mw"].dtype == "float64"
    assert s.sites.loc[s.sites["site"] == "mesa", "campus_allowed"].item() is False
    # latency_max_ms: Charlotte's own 8 ms; the others inherit inference.latency_max_ms (10 ms)
    limits = dict(zip(s.metros["metro"], s.metros["latency_max_ms"], strict=True))
    assert limits == {"phoenix": 10.0, "dallas": 10.0, "atlanta": 10.0, "charlotte": 8.0}
    assert s.timesteps["timestep"].tolist() == [f"h{h:02d}" for h in range(24)]
    assert list(s.stranded.columns) == ["region", "timestep", "stranded_mw"]
    assert list(s.prices.columns) == ["region", "timestep", "price_usd_per_mwh"]
    # no prices.csv: every step gets the region's flat price
    flat = dict(zip(s.regions["region"], s.regions["energy_price_usd_per_mwh"], strict=True))
    assert (s.prices["price_usd_per_mwh"] == s.prices["region"].map(flat)).all()
    assert list(s.latency.columns) == ["site", "metro", "latency_ms"]
    assert (s.latency["latency_ms"] <= s.latency["metro"].map(limits)).all()


def test_optional_columns_missing_take_defaults_from_config(tiny):
    (tiny / "regions.csv").write_text("region\nwest\ncentral\neast\n")
    (tiny / "metros.csv").write_text(
        "metro,lat,lon,inference_demand_mw\nphoenix,33.45,-112.07,20\ndallas,32.78,-96.80,40\n"
    )
    s = load_scenario(tiny)
    assert s.regions["stranded_share_pct"].tolist() == [100.0, 100.0, 100.0]
    assert s.regions["firm_capacity_usd_per_mw_year"].tolist() == [100_000.0] * 3
    assert s.prices["price_usd_per_mwh"].eq(60.0).all()
    assert s.metros["latency_max_ms"].tolist() == [10.0, 10.0]


# --- financing ------------------------------------------------------------------------------


def test_wacc_given_directly():
    assert FinanceConfig(wacc_pct=9.0).wacc() == pytest.approx(0.09)


def test_wacc_derived_from_two_tenants():
    # cost of debt 4.5 + 0.7 * 1.5 + 0.3 * 4.0 = 6.75 %; after tax 6.75 * 0.79 = 5.3325 %
    # WACC = 0.6 * 5.3325 + 0.4 * 11 = 3.1995 + 4.4 = 7.5995 %
    finance = FinanceConfig(
        base_rate_pct=4.5,
        tenants=[
            {"name": "ig", "share_pct": 70, "credit_spread_pct": 1.5},
            {"name": "non-ig", "share_pct": 30, "credit_spread_pct": 4.0},
        ],
        debt_share_pct=60,
        cost_of_equity_pct=11.0,
        tax_rate_pct=21.0,
    )
    assert finance.cost_of_debt_pct() == pytest.approx(6.75)
    assert finance.wacc() == pytest.approx(0.075995, abs=1e-12)
    assert load_scenario(EXAMPLES / "tiny").config.finance.wacc() == pytest.approx(0.075995)


def test_default_finance_is_one_investment_grade_tenant():
    finance = FinanceConfig()
    assert [(t.share_pct, t.credit_spread_pct) for t in finance.tenants] == [(100.0, 1.5)]
    assert finance.wacc() == pytest.approx((0.6 * 6.0 * 0.79 + 0.4 * 11.0) / 100)


def test_tenant_shares_must_sum_to_100(tiny):
    _edit_yaml(tiny, lambda d: d["finance"]["tenants"][1].update(share_pct=20))
    problems = check_scenario(tiny)
    assert problems == ["scenario.yaml: field finance: tenant shares must sum to 100 (%), got 90"]


# --- overrides ------------------------------------------------------------------------------


def test_set_override_changes_value(tiny):
    s = load_scenario(tiny, ["training.target_mw=500", "training.campus_blocks_mw=[100, 200]"])
    assert s.config.training.target_mw == 500.0
    assert load_scenario(tiny).config.training.target_mw == 200.0


def test_apply_overrides_is_a_copy_and_reaches_list_items():
    base = {"finance": {"tenants": [{"name": "a", "share_pct": 100, "credit_spread_pct": 1.5}]}}
    out = apply_overrides(base, ["finance.tenants.0.credit_spread_pct=4", "solver.threads=2"])
    assert out["finance"]["tenants"][0]["credit_spread_pct"] == 4
    assert out["solver"] == {"threads": 2}
    assert base["finance"]["tenants"][0]["credit_spread_pct"] == 1.5


def test_unknown_override_path_names_it_and_the_valid_keys(tiny):
    with pytest.raises(InputError, match=r"costs\.nope") as info:
        apply_overrides({}, ["costs.nope=1"])
    assert "campus_capex_usd_per_mw" in str(info.value)
    with pytest.raises(InputError, match=r"costs\.nope"):
        load_scenario(tiny, ["costs.nope=1"])
    with pytest.raises(InputError, match="valid keys at the top level: name, description"):
        apply_overrides({}, ["nope=1"])


@pytest.mark.parametrize("text", ["training.target_mw", "=5", "training..target_mw=1"])
def test_malformed_override(text):
    with pytest.raises(InputError, match="PATH=VALUE"):
        apply_overrides({}, [text])


def test_override_names_itself_in_the_problem(tiny):
    problems = check_scenario(tiny, ["training.target_mw=-5"])
    assert problems == [
        "--set training.target_mw=-5: field training.target_mw: Input should be greater than or "
        "equal to 0 (got -5)"
    ]


def test_override_files_merge_deep_then_set_wins(tiny, tmp_path):
    first = tmp_path / "bigger.yaml"
    first.write_text("training:\n  target_mw: 400\nsolver:\n  threads: 2\n")
    second = tmp_path / "cheap.yaml"
    second.write_text("costs:\n  campus_capex_usd_per_mw: 8000000\n")
    s = load_scenario(tiny, override_files=[first, second])
    assert s.config.training.target_mw == 400.0
    assert s.config.training.campus_blocks_mw == [100.0, 200.0]  # kept from scenario.yaml
    assert s.config.solver.threads == 2
    assert s.config.solver.mip_gap_pct == 0.1
    assert s.config.costs.campus_capex_usd_per_mw == 8e6
    assert s.config.costs.edge_capex_usd_per_mw == 12e6
    s = load_scenario(tiny, ["training.target_mw=300"], [first])
    assert s.config.training.target_mw == 300.0


def test_override_file_with_unknown_key(tiny, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("training:\n  target_mwh: 400\n")
    problems = check_scenario(tiny, override_files=[bad])
    assert len(problems) == 1
    assert problems[0].startswith(f"{bad}: unknown key training.target_mwh; valid keys under")


# --- bad scenarios: one problem each, named by file, row and column --------------------------


def _drop_stranded_pair(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[~((frame["region"] == "east") & (frame["timestep"] == "h05"))]


BREAKAGES = {
    "missing table file": (
        lambda f: (f / "metros.csv").unlink(),
        "metros.csv: file not found",
    ),
    "unknown region in sites": (
        lambda f: _set_cell(f, "sites.csv", 3, "region", "nowhere"),
        "sites.csv: row 3, column region: unknown region 'nowhere' (not in regions.csv; "
        "known: central, east, west)",
    ),
    "negative interconnect": (
        lambda f: _set_cell(f, "sites.csv", 4, "interconnect_mw", "-50"),
        "sites.csv: row 4, column interconnect_mw: must be >= 0, got -50",
    ),
    "NaN in required column": (
        lambda f: _set_cell(f, "metros.csv", 3, "inference_demand_mw", ""),
        "metros.csv: row 3, column inference_demand_mw: missing value (required)",
    ),
    "NaN spelled out": (
        lambda f: _set_cell(f, "sites.csv", 5, "site_max_mw", "NaN"),
        "sites.csv: row 5, column site_max_mw: missing value (required)",
    ),
    "not a number": (
        lambda f: _set_cell(f, "timesteps.csv", 7, "weight_h", "lots"),
        "timesteps.csv: row 7, column weight_h: not a number: 'lots'",
    ),
    "not a boolean": (
        lambda f: _set_cell(f, "sites.csv", 2, "edge_allowed", "maybe"),
        "sites.csv: row 2, column edge_allowed: not true/false: 'maybe'",
    ),
    "duplicate site": (
        lambda f: _set_cell(f, "sites.csv", 7, "site", "mesa"),
        "sites.csv: row 7, column site: duplicate site 'mesa' (first on row 2)",
    ),
    "stranded missing a pair": (
        lambda f: _edit_csv(f, "stranded.csv", _drop_stranded_pair),
        "stranded.csv: column timestep: region 'east' has no row for 1 timestep(s): 'h05'",
    ),
    "metro with no admissible site": (
        lambda f: _set_cell(f, "metros.csv", 2, "latency_max_ms", "1"),
        "metros.csv: row 2, column latency_max_ms: metro 'phoenix' has no admissible site: no "
        "site with edge_allowed within 1 ms (nearest: 'mesa' at 1.3 ms)",
    ),
    "unknown column": (
        lambda f: _edit_csv(f, "regions.csv", lambda d: d.assign(stranded_shares_pct="1")),
        "regions.csv: column stranded_shares_pct: unknown column",
    ),
    "interleaved periods": (
        lambda f: _set_cell(f, "timesteps.csv", 3, "period", "day2"),
        "timesteps.csv: row 4, column period: period 'day1' resumes after other periods",
    ),
    "wrong type in scenario.yaml": (
        lambda f: _edit_yaml(f, lambda d: d["training"].update(target_mw="lots")),
        "scenario.yaml: field training.target_mw: Input should be a valid number (got 'lots')",
    ),
    "unknown key in scenario.yaml": (
        lambda f: _edit_yaml(f, lambda d: d["costs"].update(campus_capex_usd_per_mwh=1)),
        "scenario.yaml: field costs.campus_capex_usd_per_mwh: unknown key; valid keys here: "
        "campus_capex_usd_per_mw, edge_capex_usd_per_mw",
    ),
    "missing required setting": (
        lambda f: _edit_yaml(f, lambda d: d.pop("training")),
        "scenario.yaml: field training: required field is missing",
    ),
    "target no campus can meet": (
        lambda f: _edit_yaml(f, lambda d: d["training"].update(target_mw=900)),
        "scenario.yaml: field training.target_mw: 900 MW cannot be built: the largest campus "
        "block that fits each campus site's site_max_mw adds up to 800 MW",
    ),
    "scenario.yaml missing": (
        lambda f: (f / "scenario.yaml").unlink(),
        "scenario.yaml: file not found",
    ),
    "scenario.yaml not YAML": (
        lambda f: (f / "scenario.yaml").write_text("name: tiny\ntraining: [1, 2\n"),
        "scenario.yaml: not valid YAML: line 3, column 1",
    ),
}


@pytest.mark.parametrize("case", list(BREAKAGES))
def test_bad_scenario_reports_one_named_problem(tiny, case):
    breakage, expected = BREAKAGES[case]
    breakage(tiny)
    problems = check_scenario(tiny)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems[0]
    with pytest.raises(InputError) as info:
        load_scenario(tiny)
    message = str(info.value)
    assert message.startswith(f"scenario {tiny}: ") and expected in message
    assert "\n" not in message and "Traceback" not in message


def test_three_problems_all_reported(tiny):
    _set_cell(tiny, "sites.csv", 3, "region", "nowhere")
    _set_cell(tiny, "sites.csv", 6, "interconnect_mw", "-1")
    _edit_yaml(tiny, lambda d: d["inference"].update(module_mw=0))
    problems = check_scenario(tiny)
    assert problems == [
        "scenario.yaml: field inference.module_mw: Input should be greater than 0 (got 0)",
        "sites.csv: row 6, column interconnect_mw: must be >= 0, got -1",
        "sites.csv: row 3, column region: unknown region 'nowhere' (not in regions.csv; known: "
        "central, east, west)",
    ]
    with pytest.raises(ScenarioError) as info:
        load_scenario(tiny)
    lines = str(info.value).splitlines()
    assert lines[0] == f"scenario {tiny} has 3 problems:"
    assert [line.strip() for line in lines[1:]] == problems
    assert info.value.problems == problems


def test_blank_lines_keep_row_numbers(tiny):
    text = (tiny / "sites.csv").read_text().splitlines()
    text.insert(2, "")  # a blank line 3: mesa stays row 2, tucson moves to row 4
    text[3] = text[3].replace(",150,", ",-150,")
    (tiny / "sites.csv").write_text("\n".join(text) + "\n")
    assert check_scenario(tiny) == [
        "sites.csv: row 4, column interconnect_mw: must be >= 0, got -150"
    ]


def test_csv_records_keep_their_file_lines(tiny):
    # a quoted note over lines 2-3 puts the next record on line 4 (record 3); a BOM is ignored
    (tiny / "regions.csv").write_text(
        '\ufeffregion,stranded_share_pct,note\nwest,50,"two\nlines"\ncentral,200,x\neast,100,\n'
    )
    assert check_scenario(tiny) == [
        "regions.csv: row 4, column stranded_share_pct: must be <= 100, got 200"
    ]


def test_ragged_row_is_reported_not_shifted(tiny):
    (tiny / "regions.csv").write_text("region,stranded_share_pct\nwest,100,2\ncentral\neast,100\n")
    problems = check_scenario(tiny)
    assert problems[0] == "regions.csv: row 2: 3 fields, but the header has 2"
    # the row left out is a region no more: one problem per unknown value, at its first row
    assert problems[1] == (
        "sites.csv: row 2, column region: unknown region 'west' (not in regions.csv; known: "
        "central, east); also on row 3"
    )
    assert problems[2].startswith(
        "stranded.csv: row 2, column region: unknown region 'west' (not in regions.csv; known: "
        "central, east); also on rows 3, 4, 5, 6, 7, ... (23 in all)"
    )
    assert len(problems) == 3


def test_empty_table_does_not_cascade(tiny):
    (tiny / "timesteps.csv").write_text("timestep,period,weight_h\n")
    assert check_scenario(tiny) == ["timesteps.csv: no rows (at least one timestep is needed)"]
    (tiny / "sites.csv").write_text("site,region,lat,lon,interconnect_mw,site_max_mw\n")
    assert check_scenario(tiny) == [
        "sites.csv: no rows (at least one site is needed)",
        "timesteps.csv: no rows (at least one timestep is needed)",
    ]


def test_scenario_folder_not_found(tmp_path):
    missing = tmp_path / "nope"
    assert check_scenario(missing) == [f"{missing}: scenario folder not found"]
    with pytest.raises(InputError, match="scenario folder not found"):
        load_scenario(missing)


def test_weights_not_a_year_is_a_warning(tiny):
    _edit_csv(tiny, "timesteps.csv", lambda d: d.assign(weight_h="300"))
    s = load_scenario(tiny)
    assert s.warnings == [
        "timesteps.csv: column weight_h: weights sum to 7200 h, not 8760 or 8784 (annual costs "
        "and budgets scale with this sum)"
    ]


def test_free_text_columns_are_allowed_and_dropped(tiny):
    _edit_csv(tiny, "regions.csv", lambda d: d.assign(note="illustrative"))
    s = load_scenario(tiny)
    assert "note" not in s.regions.columns


# --- optional tables ------------------------------------------------------------------------


def test_prices_table_overrides_flat_price_where_given(tiny):
    (tiny / "prices.csv").write_text(
        "region,timestep,price_usd_per_mwh\ncentral,h18,120\ncentral,h19,110\n"
    )
    s = load_scenario(tiny, ["tables.prices=prices.csv"])
    price = s.prices.set_index(["region", "timestep"])["price_usd_per_mwh"]
    assert price["central", "h18"] == 120.0 and price["central", "h19"] == 110.0
    assert price["central", "h17"] == 45.0 and price["west", "h18"] == 55.0


def test_prices_table_checks_references(tiny):
    (tiny / "prices.csv").write_text("region,timestep,price_usd_per_mwh\ncentral,h99,120\n")
    problems = check_scenario(tiny, ["tables.prices=prices.csv"])
    assert problems == [
        "prices.csv: row 2, column timestep: unknown timestep 'h99' (not in timesteps.csv)"
    ]


def test_latency_table_used_and_filtered(tiny):
    (tiny / "latency.csv").write_text(
        "site,metro,latency_ms\n"
        "mesa,phoenix,4\ntucson,phoenix,12\nwaco,dallas,3\n"
        "douglasville,atlanta,2\ngaffney,charlotte,7.5\ngaffney,atlanta,9\n"
    )
    s = load_scenario(tiny, ["tables.latency=latency.csv"])
    assert list(
        zip(s.latency["site"], s.latency["metro"], s.latency["latency_ms"], strict=True)
    ) == [
        ("mesa", "phoenix", 4.0),
        ("waco", "dallas", 3.0),
        ("douglasville", "atlanta", 2.0),
        ("gaffney", "charlotte", 7.5),
        ("gaffney", "atlanta", 9.0),
    ]  # tucson-phoenix (12 ms > 10 ms) is not admissible


def test_latency_table_problems(tiny):
    (tiny / "latency.csv").write_text(
        "site,metro,latency_ms\nmesa,phoenix,4\nmesa,phoenix,5\nwaco,dallas,3\n"
        "nowhere,atlanta,1\ngaffney,charlotte,-1\n"
    )
    problems = check_scenario(tiny, ["tables.latency=latency.csv"])
    assert problems == [
        "latency.csv: row 6, column latency_ms: must be >= 0, got -1",
        "latency.csv: row 3, columns site, metro: duplicate pair ('mesa', 'phoenix') (first on "
        "row 2)",
        "latency.csv: row 5, column site: unknown site 'nowhere' (not in sites.csv; known: "
        "abilene, douglasville, gaffney, mesa, tucson, waco)",
        "metros.csv: row 4, column latency_max_ms: metro 'atlanta' has no admissible site: no "
        "site with edge_allowed within 10 ms (no site with edge_allowed has a latency to it)",
        "metros.csv: row 5, column latency_max_ms: metro 'charlotte' has no admissible site: no "
        "site with edge_allowed within 8 ms (no site with edge_allowed has a latency to it)",
    ]


def test_edge_allowed_decides_admissibility(tiny):
    # Phoenix's only sites are mesa and tucson; without edge there it has no admissible site,
    # but the latency table still lists the pairs (the model filters on edge_allowed).
    _set_cell(tiny, "sites.csv", 2, "edge_allowed", "false")
    assert load_scenario(tiny).latency["site"].tolist().count("mesa") == 1
    _set_cell(tiny, "sites.csv", 3, "edge_allowed", "no")
    (problem,) = check_scenario(tiny)
    assert problem.startswith("metros.csv: row 2, column latency_max_ms: metro 'phoenix' has no")


# --- latency from coordinates ---------------------------------------------------------------


def test_haversine_and_latency_hand_computed():
    # 100 km along a meridian is 0.8993 degrees of latitude (mean Earth radius 6371 km)
    km = geo.haversine_km(40.0, -100.0, 40.8993, -100.0)
    assert km == pytest.approx(100.0, rel=1e-3)
    expected_ms = 2 * 100 * 1.5 * 0.0049 + 1.0  # 2.47 ms
    assert geo.roundtrip_latency_ms(km) == pytest.approx(expected_ms, rel=0.005)
    assert geo.roundtrip_latency_ms(km, 0.005, 1.0, 0.0) == pytest.approx(1.0, rel=1e-3)


def test_haversine_broadcasts_to_a_matrix():
    lat = np.array([0.0, 10.0, 20.0])
    lon = np.array([0.0, 90.0, 180.0, -90.0])
    km = geo.haversine_km(lat[:, None], 0.0, 0.0, lon[None, :])
    assert km.shape == (3, 4)
    assert km[0, 0] == 0.0
    # a quarter of the equator, and half of it
    assert km[0, 1] == pytest.approx(np.pi / 2 * geo.EARTH_MEAN_RADIUS_KM)
    assert km[0, 2] == pytest.approx(np.pi * geo.EARTH_MEAN_RADIUS_KM)


coords = st.tuples(st.floats(-90, 90, allow_nan=False), st.floats(-180, 180, allow_nan=False))


@settings(max_examples=200, deadline=None, derandomize=True)  # the same cases every run
@given(
    a=coords,
    b=coords,
    fibre=st.floats(0.001, 0.01),
    route=st.floats(1.0, 3.0),
    overhead=st.floats(0.0, 5.0),
)
def test_latency_never_below_straight_fibre(a, b, fibre, route, overhead):
    km = geo.haversine_km(a[0], a[1], b[0], b[1])
    assert 0.0 <= km <= np.pi * geo.EARTH_MEAN_RADIUS_KM + 1e-6
    assert km == pytest.approx(geo.haversine_km(b[0], b[1], a[0], a[1]), abs=1e-6)
    assert geo.roundtrip_latency_ms(km, fibre, route, overhead) >= 2 * km * fibre - 1e-9


def test_scenario_latency_matches_geo():
    s = load_scenario(EXAMPLES / "tiny")
    row = s.latency[(s.latency["site"] == "mesa") & (s.latency["metro"] == "phoenix")]
    km = geo.haversine_km(33.42, -111.83, 33.45, -112.07)
    assert row["latency_ms"].item() == pytest.approx(2 * km * 1.5 * 0.0049 + 1.0)


def test_latency_settings_change_the_pairs(tiny):
    assert len(load_scenario(tiny).latency) == 8
    # a longer route lets fewer pairs through; Charlotte (8 ms) keeps only Gaffney
    s = load_scenario(tiny, ["latency.route_factor=2.5"])
    assert ("douglasville", "charlotte") not in set(
        zip(s.latency["site"], s.latency["metro"], strict=True)
    )


# --- site groups (count) ------------------------------------------------------------------


def test_group_of_sites_cannot_host_edge_modules(tiny):
    _set_cell(tiny, "sites.csv", 4, "count", "3")  # abilene, edge_allowed true
    assert check_scenario(tiny) == [
        "sites.csv: row 4, column count: a group of identical sites (count > 1) cannot host edge "
        "modules; set edge_allowed to false"
    ]
    _set_cell(tiny, "sites.csv", 4, "edge_allowed", "false")
    s = load_scenario(tiny)
    assert s.sites.set_index("site")["count"].to_dict()["abilene"] == 3


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2.5", "not a whole number: '2.5'"),
        ("0", "must be >= 1, got 0"),
        ("two", "not a number: 'two'"),
    ],
)
def test_count_must_be_a_whole_number_of_at_least_one(tiny, value, problem):
    _set_cell(tiny, "sites.csv", 4, "edge_allowed", "false")
    _set_cell(tiny, "sites.csv", 4, "count", value)
    assert check_scenario(tiny) == [f"sites.csv: row 4, column count: {problem}"]


def test_count_from_frames_and_empty_cells_take_the_default():
    frames = _tiny_frames()
    frames["sites"]["count"] = [1, 2.0, None, 1, 1, 1]  # tucson: 2 identical sites
    frames["sites"]["edge_allowed"] = [True, False, True, True, True, True]
    config = yaml.safe_load((EXAMPLES / "tiny" / "scenario.yaml").read_text())
    s = scenario_from_frames(config, **frames)
    assert s.sites["count"].tolist() == [1, 2, 1, 1, 1, 1]
    frames["sites"].loc[1, "count"] = 1.5
    with pytest.raises(ScenarioError, match="row 3, column count: not a whole number: 1.5"):
        scenario_from_frames(config, **frames)


def test_training_target_counts_every_site_of_a_group(tiny):
    # the campus sites fit 200 + 200 + 200 + 200 MW; abilene standing for 2 sites adds 200 more
    assert "adds up to 800 MW" in check_scenario(tiny, ["training.target_mw=900"])[0]
    _set_cell(tiny, "sites.csv", 4, "edge_allowed", "false")
    _set_cell(tiny, "sites.csv", 4, "count", "2")
    assert check_scenario(tiny, ["training.target_mw=1000"]) == []
    (problem,) = check_scenario(tiny, ["training.target_mw=1100"])
    assert problem.startswith(
        "--set training.target_mw=1100: field training.target_mw: 1100 MW cannot be built: the "
        "largest campus block that fits each campus site's site_max_mw adds up to 1000 MW"
    )


def test_spur_capex_given_per_site(tiny):
    _edit_csv(tiny, "sites.csv", lambda d: d.assign(spur_capex_usd_per_mw=""))
    _set_cell(tiny, "sites.csv", 3, "spur_capex_usd_per_mw", "125000")
    spur = load_scenario(tiny).sites.set_index("site")["spur_capex_usd_per_mw"]
    assert spur["tucson"] == 125000.0 and spur.drop("tucson").eq(0.0).all()
    _set_cell(tiny, "sites.csv", 3, "spur_capex_usd_per_mw", "-1")
    assert check_scenario(tiny) == [
        "sites.csv: row 3, column spur_capex_usd_per_mw: must be >= 0, got -1"
    ]


# --- inference profiles ---------------------------------------------------------------------

STEPS = [f"h{h:02d}" for h in range(24)]


def _profiles(tiny: Path, rows: list[tuple[str, str, float]]) -> list[str]:
    """Write inference_profiles.csv; the override that makes the scenario read it."""
    lines = ["profile_zone,timestep,inference_profile", *(f"{z},{t},{v}" for z, t, v in rows)]
    (tiny / "inference_profiles.csv").write_text("\n".join(lines) + "\n")
    return ["tables.inference_profiles=inference_profiles.csv"]


def _zoned_metros(tiny: Path) -> None:
    """phoenix and atlanta follow zone 'sun', dallas 'plains', charlotte the default 'all'."""
    _edit_csv(tiny, "metros.csv", lambda d: d.assign(profile_zone=["sun", "plains", "sun", ""]))


def test_inference_profiles_default_to_the_timesteps_profile():
    s = load_scenario(EXAMPLES / "tiny")
    p = s.inference_profiles
    assert list(p.columns) == ["profile_zone", "timestep", "inference_profile"]
    assert p["profile_zone"].eq("all").all() and p["timestep"].tolist() == STEPS
    assert p["inference_profile"].tolist() == s.timesteps["inference_profile"].tolist()
    assert p["inference_profile"].dtype == "float64"


def test_inference_profiles_filled_for_every_zone_in_metro_order(tiny):
    _zoned_metros(tiny)
    override = _profiles(tiny, [("sun", t, 0.5) for t in STEPS])
    s = load_scenario(tiny, override)
    p = s.inference_profiles
    assert len(p) == 3 * 24
    assert list(dict.fromkeys(p["profile_zone"])) == ["sun", "plains", "all"]
    assert p["timestep"].tolist() == STEPS * 3
    by_zone = p.groupby("profile_zone", sort=False)["inference_profile"].apply(list).to_dict()
    assert by_zone["sun"] == [0.5] * 24
    assert by_zone["plains"] == by_zone["all"] == s.timesteps["inference_profile"].tolist()
    assert s.warnings == []
    assert s.hash() != load_scenario(tiny).hash()


def test_inference_profiles_zone_missing_a_timestep(tiny):
    _zoned_metros(tiny)
    override = _profiles(tiny, [("sun", t, 0.5) for t in STEPS if t not in ("h05", "h06")])
    assert check_scenario(tiny, override) == [
        "inference_profiles.csv: column timestep: profile_zone 'sun' has no row for 2 "
        "timestep(s): 'h05', 'h06'"
    ]


def test_inference_profiles_unknown_or_repeated_timestep(tiny):
    _zoned_metros(tiny)
    rows = [("sun", t, 0.5) for t in STEPS]
    override = _profiles(tiny, [*rows, ("sun", "h99", 0.5), ("sun", "h03", 0.4)])
    assert check_scenario(tiny, override) == [
        "inference_profiles.csv: row 27, columns profile_zone, timestep: duplicate pair ('sun', "
        "'h03') (first on row 5)",
        "inference_profiles.csv: row 26, column timestep: unknown timestep 'h99' (not in "
        "timesteps.csv)",
    ]


def test_inference_profiles_bounds_and_unused_zone(tiny):
    _zoned_metros(tiny)
    override = _profiles(tiny, [("sun", t, 1.5 if t == "h00" else 0.5) for t in STEPS])
    assert check_scenario(tiny, override) == [
        "inference_profiles.csv: row 2, column inference_profile: must be <= 1, got 1.5"
    ]
    override = _profiles(tiny, [(z, t, 0.5) for z in ("sun", "moon") for t in STEPS])
    s = load_scenario(tiny, override)
    assert "moon" not in set(s.inference_profiles["profile_zone"])
    assert s.warnings == [
        "inference_profiles.csv: column profile_zone: no metro in metros.csv follows 'moon'"
    ]


def test_inference_profiles_from_frames_equal_the_folder(tiny):
    _zoned_metros(tiny)
    override = _profiles(tiny, [("plains", t, 0.25) for t in STEPS])
    config = yaml.safe_load((tiny / "scenario.yaml").read_text())
    frames = {n: pd.read_csv(tiny / f"{n}.csv") for n in (*_tiny_frames(), "inference_profiles")}
    s = scenario_from_frames(config, **frames)
    assert s.hash() == load_scenario(tiny, override).hash()
    assert s.inference_profiles.set_index(["profile_zone", "timestep"]).loc[
        ("plains", "h12"), "inference_profile"
    ] == pytest.approx(0.25)


# --- build settings (US scenario builder) ---------------------------------------------------


def test_build_section_is_optional_with_documented_defaults():
    assert load_scenario(EXAMPLES / "tiny").config.build is None
    build = UsBuildConfig()
    assert (build.year, build.record_first_year, build.record_last_year) == (2024, 2016, 2024)
    assert build.bas == "lower48" and len(build.ba_codes) == 54
    assert build.backbone_networks == [] and build.pue_constant is None
    assert (build.n_metros, build.n_typical_days, build.stranded_share_pct) == (100, 6, 50.0)
    assert build.max_peak_days == 30
    assert (build.campus_spacing_km, build.spur_capex_usd_per_mw_km) == (75.0, 2500.0)
    assert build.campus_storage is False
    assert {k: v.model_dump() for k, v in build.campus_classes.items()} == {
        "345+": {"interconnect_mw": 500.0, "interconnect_upgrade_max_mw": 1500.0,
                 "site_max_mw": 2000.0},
        "220-287": {"interconnect_mw": 200.0, "interconnect_upgrade_max_mw": 400.0,
                    "site_max_mw": 600.0},
    }  # fmt: skip


def test_build_section_in_scenario_yaml(tiny):
    _edit_yaml(tiny, lambda d: d.update(build={"year": 2023, "bas": ["PJM", "ERCO"]}))
    s = load_scenario(tiny)
    assert s.config.build.year == 2023 and s.config.build.bas == ["PJM", "ERCO"]
    assert s.config.build.campus_spacing_km == 75.0
    assert s.hash() != load_scenario(EXAMPLES / "tiny").hash()


def test_build_overrides_create_the_section_and_keep_defaults(tiny):
    out = apply_overrides({}, ["build.n_typical_days=4"])
    assert out == {"build": {"n_typical_days": 4}}
    overrides = ["build.n_typical_days=4", "build.campus_classes.345+.site_max_mw=1500"]
    config = settings_from_files([tiny / "scenario.yaml"], overrides)  # as a built file reads
    classes = config.build.campus_classes
    assert config.build.n_typical_days == 4
    assert (classes["345+"].site_max_mw, classes["345+"].interconnect_mw) == (1500.0, 500.0)
    assert classes["220-287"].site_max_mw == 600.0


def test_build_override_file_merges_like_set(tiny, tmp_path):
    over = tmp_path / "us.yaml"
    over.write_text("build:\n  campus_classes:\n    220-287:\n      interconnect_mw: 150\n")
    s = load_scenario(tiny, override_files=[over])
    classes = s.config.build.campus_classes
    assert classes["220-287"].interconnect_mw == 150.0 and classes["220-287"].site_max_mw == 600
    assert classes["345+"].site_max_mw == 2000.0


def test_unknown_build_paths_are_rejected(tiny):
    with pytest.raises(InputError, match=r"unknown key build\.nope; valid keys under build: year"):
        apply_overrides({}, ["build.nope=1"])
    with pytest.raises(
        InputError,
        match=r"unknown key build\.campus_classes\.500\+; valid keys under "
        r"build\.campus_classes: 345\+, 220-287",
    ):
        apply_overrides({}, ["build.campus_classes.500+.site_max_mw=1"])
    with pytest.raises(InputError, match=r"build\.campus_classes\.345\+\.nope"):
        load_scenario(tiny, ["build.campus_classes.345+.nope=1"])


@pytest.mark.parametrize(
    ("build", "problem"),
    [
        (
            {"campus_classes": {"500+": {"interconnect_mw": 1, "interconnect_upgrade_max_mw": 1,
                                         "site_max_mw": 1}}},
            "field build.campus_classes.500+: unknown key; valid keys here: 345+, 220-287",
        ),
        (
            {"campus_classes": {"345+": {"interconnect_mw": 1, "site_max_mw": 1}}},
            "field build.campus_classes.345+.interconnect_upgrade_max_mw: required field is "
            "missing",
        ),
        (
            {"campus_classes": {"345+": {"interconnect_mw": 1, "interconnect_upgrade_max_mw": 1,
                                         "site_max_mw": 0}}},
            "field build.campus_classes.345+.site_max_mw: Input should be greater than 0 (got 0)",
        ),
        ({"year": 2015}, "field build.year: Input should be greater than or equal to 2016"),
        ({"n_typical_days": 366}, "field build.n_typical_days: Input should be less than or "
                                  "equal to 365 (got 366)"),
        ({"n_metros": 0}, "field build.n_metros: Input should be greater than or equal to 1"),
        ({"stranded_share_pct": 150}, "field build.stranded_share_pct: Input should be less "
                                      "than or equal to 100"),
        ({"pue_constant": 0.9}, "field build.pue_constant: Input should be greater than or "
                                "equal to 1"),
        ({"campus_spacing_km": 0}, "field build.campus_spacing_km: Input should be greater "
                                   "than 0"),
        ({"datacenter_cluster_min_count": 2.5}, "field build.datacenter_cluster_min_count: "
                                                "Input should be a valid integer"),
        ({"record_first_year": 2020, "record_last_year": 2018},
         "field build: record_first_year (2020) is after record_last_year (2018)"),
        ({"bas": ["PJM", "NOPE"]}, "field build.bas: unknown BA codes ['NOPE']; known: AEC"),
        ({"bas": ["PJM", "PJM"]}, "field build.bas: BA codes must be distinct"),
        ({"nope": 1}, "field build.nope: unknown key; valid keys here: year, record_first_year"),
    ],
)  # fmt: skip
def test_build_settings_are_validated(tiny, build, problem):
    _edit_yaml(tiny, lambda d: d.update(build=build))
    problems = check_scenario(tiny)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"scenario.yaml: {problem}"), problems[0]


def test_build_problem_names_the_override(tiny):
    assert check_scenario(tiny, ["build.n_typical_days=4"]) == [
        f"--set build.n_typical_days=4: {builder_setting_problem('build.n_typical_days', tiny)}"
    ]  # a scenario folder's tables are given: a builder setting would be ignored
    with pytest.raises(ScenarioError) as info:  # a built scenario file checks the value
        settings_from_files([tiny / "scenario.yaml"], ["build.n_typical_days=0"])
    assert info.value.problems == [
        "--set build.n_typical_days=0: field build.n_typical_days: Input should be greater than "
        "or equal to 1 (got 0)"
    ]


# --- hash -----------------------------------------------------------------------------------


def test_hash_is_stable_and_follows_values(tiny):
    base = load_scenario(EXAMPLES / "tiny").hash()
    assert len(base) == 64
    assert load_scenario(EXAMPLES / "tiny").hash() == base
    assert load_scenario(tiny).hash() == base  # same content elsewhere
    assert load_scenario(tiny, ["training.target_mw=200"]).hash() == base  # same value
    assert load_scenario(tiny, ["training.target_mw=300"]).hash() != base
    _set_cell(tiny, "stranded.csv", 10, "stranded_mw", "299")
    assert load_scenario(tiny).hash() != base


# --- frames built in Python -----------------------------------------------------------------


def _tiny_frames() -> dict[str, pd.DataFrame]:
    names = ("sites", "metros", "regions", "timesteps", "stranded")
    return {n: pd.read_csv(EXAMPLES / "tiny" / f"{n}.csv") for n in names}


def test_scenario_from_frames_equals_the_folder():
    config = yaml.safe_load((EXAMPLES / "tiny" / "scenario.yaml").read_text())
    s = scenario_from_frames(config, **_tiny_frames())
    assert s.source == "<memory>"
    assert s.hash() == load_scenario(EXAMPLES / "tiny").hash()
    again = scenario_from_frames(ScenarioConfig.model_validate(config), **_tiny_frames())
    assert again.hash() == s.hash()


def test_scenario_from_frames_reports_rows_as_in_a_file():
    config = yaml.safe_load((EXAMPLES / "tiny" / "scenario.yaml").read_text())
    frames = _tiny_frames()
    frames["sites"].loc[0, "pue"] = 0.9
    frames["stranded"] = frames["stranded"].iloc[1:]
    with pytest.raises(ScenarioError) as info:
        scenario_from_frames(config, **frames)
    assert info.value.problems == [
        "sites.csv: row 2, column pue: must be >= 1, got 0.9",
        "stranded.csv: column timestep: region 'west' has no row for 1 timestep(s): 'h00'",
    ]


# --- schema and CLI -------------------------------------------------------------------------


def test_schema_lists_every_field_with_units_and_bounds():
    text = schema_text()
    for path in ScenarioConfig.model_fields:
        assert path in text
    assert "training.target_mw" in text and "finance.tenants.N.credit_spread_pct" in text
    assert "interconnect_upgrade_max_mw" in text and "inference.latency_max_ms" in text
    for name in ("count", "spur_capex_usd_per_mw", "profile_zone", "tables.inference_profiles"):
        assert name in text
    assert "inference_profiles.csv (optional)" in text
    assert "build.campus_classes.KEY.site_max_mw" in text and "build.pue_constant" in text


def test_cli_scenario_check_ok(capsys):
    assert main(["scenario", "check", str(EXAMPLES / "tiny")]) == 0
    assert capsys.readouterr().out.strip() == f"OK: {TINY_SUMMARY}"


def test_cli_scenario_check_bad(tiny, capsys):
    _set_cell(tiny, "sites.csv", 3, "region", "nowhere")
    _set_cell(tiny, "sites.csv", 4, "interconnect_mw", "-5")
    assert main(["scenario", "check", str(tiny), "--set", "training.target_mw=100"]) == 2
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "sites.csv: row 4, column interconnect_mw: must be >= 0, got -5",
        "sites.csv: row 3, column region: unknown region 'nowhere' (not in regions.csv; known: "
        "central, east, west)",
    ]
    assert "2 problems" in captured.err


def test_cli_scenario_check_unknown_set_path(capsys):
    assert main(["scenario", "check", str(EXAMPLES / "tiny"), "--set", "costs.nope=1"]) == 2
    assert "costs.nope" in capsys.readouterr().out


def test_cli_scenario_schema(capsys):
    assert main(["scenario", "schema"]) == 0
    assert "training.target_mw" in capsys.readouterr().out
