"""The US scenario builder over the lower 48: which BAs it models and why, every campus
candidate an individual site with its own place and figures, every lower-48 metro in reach, BAs
with missing years, and the 22 BAs of the Duke study on the polygons the earlier releases used
(``build.bas: duke22``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizer.builders.us.config import BA_SELECTIONS
from optimizer.builders.us.settings import DEFAULT_SCENARIO, build_key, load_us_config
from optimizer.inputs.registry import BAS_ALL
from optimizer.scenario import ScenarioError

NO_POLYGON = {"CPLW", "GVL", "HST", "IID", "LDWP", "SCL", "SPA"}
NO_LOAD_2024 = {"AEC", "NSB"}  # AEC merged into SOCO in 2021; NSB stopped reporting in 2020
PARTIAL = {  # BA: (years used, years missing) of the 2016-2024 record
    "PSEI": ("2016-2019, 2021-2024", "2020"),
    "TAL": ("2016-2019, 2021-2024", "2020"),
    "TEPC": ("2016-2020, 2022-2024", "2021"),
}


def test_bas_default_to_the_lower_48_and_take_a_selection_or_codes():
    default = load_us_config(DEFAULT_SCENARIO).build
    assert default.bas == "lower48" and default.ba_codes == list(BAS_ALL)
    assert not default.duke22_polygons
    duke = load_us_config(DEFAULT_SCENARIO, ["build.bas=duke22"]).build
    assert len(duke.ba_codes) == 22 and duke.duke22_polygons
    assert "NEVP" not in duke.ba_codes and {"PJM", "ERCO", "TVA"} <= set(duke.ba_codes)
    codes = load_us_config(DEFAULT_SCENARIO, ["build.bas=[NEVP,PNM]"]).build
    assert codes.ba_codes == ["NEVP", "PNM"] and not codes.duke22_polygons
    assert load_us_config(DEFAULT_SCENARIO, ["build.bas=EPE"]).build.ba_codes == ["EPE"]
    keys = {build_key(load_us_config(DEFAULT_SCENARIO, [f"build.bas={b}"])) for b in BA_SELECTIONS}
    assert len(keys) == len(BA_SELECTIONS)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[]", "give BA codes, or one of lower48, duke22"),
        ("lower49", "'lower49' is neither a selection \\(lower48, duke22\\) nor a BA code"),
        ("[NEVP,XX]", "unknown BA codes \\['XX'\\]"),
        ("[NEVP,NEVP]", "BA codes must be distinct"),
    ],
)
def test_bad_bas_are_refused_with_the_choices(value, message):
    with pytest.raises(ScenarioError, match=message):
        load_us_config(DEFAULT_SCENARIO, [f"build.bas={value}"])


@pytest.fixture(scope="module")
def lower48(data_dir):
    from optimizer.builders.us.scenario import build_us

    return build_us(load_us_config(DEFAULT_SCENARIO), str(data_dir), with_full_year=False)


def test_default_build_covers_the_54_lower_48_bas(lower48):
    table = lower48.tables["balancing_authorities"].set_index("ba")
    assert list(table.index) == list(BAS_ALL)
    left = table[~table["modelled"]]
    assert set(left.index) == NO_POLYGON | NO_LOAD_2024
    for ba in NO_LOAD_2024:
        assert left.loc[ba, "reason"].startswith("no load in the model year 2024")
    for ba in NO_POLYGON:
        assert left.loc[ba, "reason"].startswith("no polygon")
    modelled = table[table["modelled"]]
    assert len(modelled) == 45 and lower48.bas == list(modelled.index)
    # every modelled BA hosts a site, sites lie only in them, and the BAs that were grey before
    # (Nevada, Idaho, Montana, Wyoming, New Mexico, El Paso) now host campus candidates
    assert set(lower48.sites["region"]) == set(lower48.bas)
    assert (modelled["campus_candidates"] + modelled["edge_sites"] > 0).all()
    grey = ["NEVP", "IPCO", "NWMT", "WACM", "PNM", "EPE"]
    assert (modelled.loc[grey, "campus_candidates"] > 0).all()
    assert set(lower48.days.stranded["region"]) == set(lower48.bas)
    # at most 30 peak days (their own would be 45) hold every modelled BA's summer and winter
    # peak load and lowest stranded power within 1 % of its peak
    days = lower48.tables["representative_days"]
    assert (days["kind"] == "peak").sum() <= 30 and len(days) <= 36
    assert len(lower48.days.timesteps) == 24 * len(days)
    peaks = lower48.tables["peak_days"]
    assert peaks.groupby("region")["reason"].nunique().to_dict() == dict.fromkeys(lower48.bas, 3)
    assert set(peaks["date"]) == set(days.loc[days["kind"] == "peak", "date"])
    assert 0 < peaks["shortfall_pct"].max() <= 1.0


def test_every_campus_candidate_is_an_individual_site_with_its_own_figures(lower48, data_dir):
    from shapely import box

    from optimizer.builders.us import places as pl
    from optimizer.inputs import load_ba_polygons

    table = lower48.tables["campus_candidates"]
    campus = lower48.sites[lower48.sites["campus_allowed"]]
    # the default scenario: at least 2,000 individual campus candidates (2,220 line points every
    # 75 km and 696 plants of 500 MW or more in 2024), every one its own row of sites.csv
    assert len(table) >= 2_000 and len(campus) == len(table)
    assert set(campus["site"]) == set(table["site"]) and table["site"].is_unique
    assert (table["count"] == 1).all() and (lower48.sites["count"] == 1).all()
    kinds = table["kind"].value_counts()
    assert kinds["line"] >= 1_500 and kinds["plant"] >= 600
    bas = lower48.tables["balancing_authorities"]
    assert bas["campus_candidates"].sum() == len(table)
    assert bas["plant_candidates"].sum() == kinds["plant"]
    for column in ("place", "county", "state", "reeds_zone"):
        assert table[column].map(lambda v: isinstance(v, str) and v != "").all(), column
    assert (
        table["site"].str.fullmatch(r"campus-[A-Z]+-[a-z0-9-]+-[a-z]{2}-\d{2,}|plant-\d+-.+").all()
    )
    # PUE from each candidate's latitude, quoted to two decimals
    np.testing.assert_array_equal(table["pue"], table["pue"].round(2))
    assert table["pue"].between(1.12, 1.30).all()
    # time to power of its county, else state, else queue region (plants: co-location)
    line, plant = table[table["kind"] == "line"], table[table["kind"] == "plant"]
    assert set(line["time_to_power_level"]) == set(pl.TIME_TO_POWER_LEVELS)
    local = line["time_to_power_level"] != "queue_region"
    assert (line.loc[local, "time_to_power_records"] >= pl.MIN_QUEUE_RECORDS).all()
    assert (line.loc[~local, "time_to_power_records"] >= 1).all()
    assert line["time_to_power_years"].between(0.1, 15).all()
    rule = plant["time_to_power_level"] == pl.COLOCATION_LEVEL
    assert rule.mean() > 0.9
    assert (plant.loc[rule, "time_to_power_years"] == pl.COLOCATION_TIME_TO_POWER_YEARS).all()
    assert (plant.loc[~rule, "time_to_power_years"] < pl.COLOCATION_TIME_TO_POWER_YEARS).all()
    # a line campus's spur is the way to its nearest substation; its class's grid figures
    np.testing.assert_array_equal(line["spur_km"], line["substation_km"])
    assert line["substation_km"].median() < 40 and line["line"].ne("").all()
    np.testing.assert_allclose(line["spur_capex_usd_per_mw"], 2500.0 * line["spur_km"])
    high = line[line["voltage_class"] == "345+"]
    assert (high["interconnect_mw"] == 500).all() and (high["site_max_mw"] == 2000).all()
    # a plant: 40 % of its capacity at its own connection, no spur and no upgrade
    share = plant["plant_capacity_mw"] * pl.COLOCATION_SHARE_PCT / 100
    np.testing.assert_allclose(plant["interconnect_mw"], share)
    assert (plant[["spur_km", "spur_capex_usd_per_mw", "interconnect_upgrade_max_mw"]] == 0).all(
        axis=None
    )
    assert (plant["plant_capacity_mw"] >= pl.PLANT_MIN_CAPACITY_MW).all()
    # ... in the BA whose polygon holds it (its load counts against that BA's stranded power)
    polygons = load_ba_polygons(data_dir, all_bas=True).set_index("ba")
    for row in plant.sample(60, random_state=1).itertuples():
        point = box(row.lon, row.lat, row.lon, row.lat)
        assert polygons.loc[row.region, "geometry"].intersects(point), row.site
    # no storage at campus candidates by default (build.campus_storage)
    assert not lower48.sites["storage_allowed"].any()
    # the scenario's sites table carries the descriptive columns
    sites = lower48.sites.set_index("site")
    palo_verde = table[table["plant"].str.contains("Palo Verde", case=False)].iloc[0]
    assert sites.loc[palo_verde["site"], "place"] == "Maricopa County, AZ"
    assert sites.loc[palo_verde["site"], "kind"] == "plant"


def test_a_site_pays_its_state_price(lower48):
    """A site's energy price adder is its state's EIA 2023 industrial price minus its BA's (the
    price of the state the BA mostly serves); Wyoming has no price in the table: its BA's."""
    from optimizer.builders.us.scenario import REGION_COSTS, STATE_PRICES

    state = pd.read_csv(STATE_PRICES).set_index("state")["energy_price_usd_per_mwh"]
    ba = pd.read_csv(REGION_COSTS).set_index("region")["energy_price_usd_per_mwh"]
    sites = lower48.sites
    adder = sites["energy_price_adder_usd_per_mwh"]
    priced = sites["state"].isin(state.index)
    expected = sites.loc[priced, "state"].map(state) - sites.loc[priced, "region"].map(ba)
    np.testing.assert_allclose(adder[priced], expected, atol=1e-9)
    assert (adder[~priced] == 0).all() and (sites.loc[~priced, "state"] == "WY").all()
    # a BA across state lines: PacifiCorp East (priced as Utah, 69.9 USD/MWh) has sites in
    # Idaho, which pay Idaho's 71.7 USD/MWh
    pace = sites[(sites["region"] == "PACE") & (sites["state"] == "ID")]
    assert len(pace) and np.allclose(pace["energy_price_adder_usd_per_mwh"], 71.7 - 69.9)


def test_every_lower_48_metro_of_the_largest_is_in_reach(lower48, data_dir):
    from optimizer.inputs import load_metros
    from optimizer.inputs.regions import lower48_states

    top = load_metros(data_dir).head(100)
    inside = set(top.loc[top["principal_state"].isin(lower48_states()), "cbsa"].astype(str))
    assert len(inside) == 99  # Honolulu is the one outside
    assert inside <= set(lower48.metros["metro"])
    assert inside <= set(lower48.latency["metro"])
    left = lower48.tables["left_out_metros"]
    assert left["metro"].tolist() == ["46520"]
    assert left["reason"].iloc[0].startswith("outside the lower 48 (HI)")
    # the metros missing from the 22-BA build are served from their own BAs now
    region = lower48.sites.set_index("site")["region"]
    for metro, ba in {"29820": "NEVP", "10740": "PNM", "21340": "EPE", "14260": "IPCO"}.items():
        sites = lower48.latency.loc[lower48.latency["metro"] == metro, "site"]
        assert ba in set(sites.map(region)), metro


def test_bas_with_missing_years_are_built_and_reported(lower48, data_dir):
    from optimizer.inputs import load_ba_load_mw
    from optimizer.inputs.regions import ba_utc_offsets_h
    from optimizer.pipeline import prepare
    from optimizer.results.folder import bas_lines
    from optimizer.source import Source
    from optimizer.stranded.headroom import stranded_power

    table = lower48.tables["balancing_authorities"].set_index("ba")
    short = table[table["years_missing"] != ""]
    assert set(short.index) == set(PARTIAL) | NO_LOAD_2024
    for ba, (used, missing) in PARTIAL.items():
        assert table.loc[ba, "modelled"]
        assert (table.loc[ba, "years_used"], table.loc[ba, "years_missing"]) == (used, missing)
    # their stranded power is held against the seasonal peaks of the years they have
    load = load_ba_load_mw(data_dir, all_bas=True)["PSEI"]
    sp = stranded_power(load, ba_utc_offsets_h()["PSEI"], (2016, 2024))
    assert sp.missing_years == (2020,)
    psei = lower48.days.stranded[lower48.days.stranded["region"] == "PSEI"]
    stamps = pd.to_datetime(psei["timestep"].str[1:11]).dt.tz_localize("UTC") + pd.to_timedelta(
        psei["timestep"].str[-2:].astype(int), unit="h"
    )
    level = psei["stranded_mw"].to_numpy() + load.reindex(stamps).to_numpy()
    positive = (psei["stranded_mw"].to_numpy() > 0) & np.isfinite(level)
    assert positive.sum() > 24 * 20
    thresholds = np.array([sp.thresholds.summer_mw, sp.thresholds.winter_mw])
    assert np.abs(level[positive, None] - thresholds).min(axis=1).max() < 1e-6
    # a run says which BAs and years, in summary.json and in the printed summary
    small = ["build.bas=[PSEI,TEPC,AEC,LDWP]", "build.n_metros=30"]
    prepared = prepare(Source.of(DEFAULT_SCENARIO, small), str(data_dir), full_year=False)
    info = prepared.info["bas"]
    assert info["requested"] == 4 and info["modelled"] == 2
    assert set(info["left_out"]) == {"AEC", "LDWP"}
    assert info["partial_record"] == {
        "PSEI": {"years_used": "2016-2019, 2021-2024", "years_missing": "2020"},
        "TEPC": {"years_used": "2016-2020, 2022-2024", "years_missing": "2021"},
    }
    text = "\n".join(bas_lines(prepared.info))
    assert "BAs: 2 of 4 modelled" in text
    assert "AEC left out: no load in the model year 2024 (load in 2016-2020)" in text
    assert "PSEI: seasonal thresholds from 2016-2019, 2021-2024 (load missing in 2020)" in text
    assert set(prepared.scenario.regions["region"]) == {"PSEI", "TEPC"}


def test_duke22_builds_the_22_bas_on_their_first_release_polygons(data_dir):
    """``build.bas: duke22`` gives the BAs, polygons, metros, pairs and representative days of
    the releases before the lower 48; its campus candidates are individual sites now (the grouped
    plan of those releases is not reproduced exactly)."""
    import optimizer.inputs as ds
    from optimizer.builders.us import places as pl
    from optimizer.builders.us import sites as st
    from optimizer.builders.us import timeseries as tsr
    from optimizer.builders.us.scenario import build_us
    from optimizer.inputs.regions import ba_utc_offsets_h

    config = load_us_config(DEFAULT_SCENARIO, ["build.bas=duke22"])
    build = build_us(config, str(data_dir), with_full_year=False)
    load22 = ds.load_ba_load_mw(data_dir)
    assert build.bas == list(load22.columns)
    assert build.tables["balancing_authorities"]["modelled"].all()
    # the edge sites, metros and pairs of the 22-BA default before the lower 48
    assert int(build.sites["edge_allowed"].sum()) == 129
    assert len(build.metros) == 95 and len(build.latency) == 485
    assert len(build.days.timesteps) == 816
    assert build.tables["left_out_metros"]["metro"].tolist() == [
        "29820", "46520", "10740", "21340", "14260",
    ]  # fmt: skip
    # campus candidates on the first release's polygons, days from the 22-BA file
    polygons = ds.load_ba_polygons(data_dir)
    on_lines = st.line_candidates(ds.load_transmission_lines(data_dir), polygons, build.bas, 75.0)
    plants = st.plant_sites(pl.plant_candidates(ds.load_eia_generators(data_dir)), polygons,
                            build.bas)  # fmt: skip
    table = build.tables["campus_candidates"]
    line = table[table["kind"] == "line"]
    key = ["region", "voltage_class", "line", "lat", "lon"]
    pd.testing.assert_frame_equal(
        line[key].sort_values(key, ignore_index=True),
        pd.DataFrame(on_lines[key]).sort_values(key, ignore_index=True),
    )
    assert sorted(table.loc[table["kind"] == "plant", "plant_id_eia"]) == sorted(
        plants["plant_id_eia"]
    )
    assert int(build.sites["campus_allowed"].sum()) == len(on_lines) + len(plants) > 2_000
    days = tsr.representative_days(load22, ba_utc_offsets_h(), 2024, 6, (2016, 2024))
    pd.testing.assert_frame_equal(build.tables["representative_days"], days.days)
    np.testing.assert_array_equal(build.days.stranded["stranded_mw"], days.stranded["stranded_mw"])


def test_metros_in_a_split_state_keep_their_own_time_zone(lower48):
    """The inference profile follows local time: El Paso is Mountain though Texas is mostly
    Central, Knoxville and Chattanooga Eastern though Tennessee is mostly Central."""
    zone = lower48.metros.set_index("note")["profile_zone"]
    assert zone["El Paso, TX"] == "UTC-7" and zone["Dallas-Fort Worth-Arlington, TX"] == "UTC-6"
    assert zone["Knoxville, TN"] == zone["Chattanooga, TN-GA"] == "UTC-5"
    assert zone["Nashville-Davidson--Murfreesboro--Franklin, TN"] == "UTC-6"
