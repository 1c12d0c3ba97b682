"""Where a candidate is and what the place offers (optimizer/builders/us/places.py): substation
proxies from line junctions, county/state/zone lookup, time to power with its fallback levels."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, MultiLineString, Point, box

from optimizer.builders.us import places as pl
from optimizer.inputs.regions import state_codes

KM = 1000.0


def _lines(*geoms, dc=()) -> gpd.GeoDataFrame:
    """Lines given in metres of the metric CRS, as the loader returns them (lon/lat)."""
    return gpd.GeoDataFrame(
        {"is_dc": [i in dc for i in range(len(geoms))]}, geometry=list(geoms), crs=pl.METRIC_CRS
    ).to_crs("EPSG:4326")


def _xy(frame: gpd.GeoDataFrame) -> set[tuple[int, int]]:
    metric = frame.to_crs(pl.METRIC_CRS).geometry
    return {(round(x), round(y)) for x, y in zip(metric.x, metric.y, strict=True)}


def test_substation_proxies_are_junctions_not_crossings_or_tile_cuts():
    x0, y0 = 1_000_000.0, 1_500_000.0
    # a T junction at (x0, y0): line A runs west-east through it, line B ends on it from the north
    a = LineString([(x0 - 50 * KM, y0), (x0 + 50 * KM, y0)])
    b = LineString([(x0, y0 + 40 * KM), (x0, y0)])
    # a crossing: line C crosses line A at (x0 + 30 km, y0) without ending there
    c = LineString([(x0 + 30 * KM, y0 - 20 * KM), (x0 + 30 * KM, y0 + 20 * KM)])
    # a tile cut: line D is published as two pieces meeting end to end
    d1 = LineString([(x0 - 50 * KM, y0 + 100 * KM), (x0, y0 + 100 * KM)])
    d2 = LineString([(x0, y0 + 100 * KM), (x0 + 50 * KM, y0 + 100 * KM)])
    # three lines ending at one point (a substation with three feeders), one a multi-part piece
    e = MultiLineString([[(x0 - 80 * KM, y0 - 60 * KM), (x0 - 60 * KM, y0 - 60 * KM)]])
    f = LineString([(x0 - 60 * KM, y0 - 60 * KM), (x0 - 60 * KM, y0 - 90 * KM)])
    g = LineString([(x0 - 60 * KM, y0 - 60 * KM), (x0 - 40 * KM, y0 - 70 * KM)])
    # an HVDC line ending on line A is not a junction of the AC grid
    h = LineString([(x0 - 20 * KM, y0 - 30 * KM), (x0 - 20 * KM, y0)])
    proxies = pl.substation_proxies(_lines(a, b, c, d1, d2, e, f, g, h, dc=(8,)))
    assert _xy(proxies) == {(round(x0), round(y0)), (round(x0 - 60 * KM), round(y0 - 60 * KM))}
    assert sorted(proxies["lines_meeting"]) == [3, 3]
    assert proxies.crs == "EPSG:4326" and np.allclose(proxies["lat"], proxies.geometry.y)


def test_junctions_on_a_voltage_class():
    x0, y0 = 1_000_000.0, 1_500_000.0
    # a 345 kV T at (x0, y0); a 230 kV T 50 km east with a 345 kV line passing through it
    a = LineString([(x0 - 50 * KM, y0), (x0 + 20 * KM, y0)])
    b = LineString([(x0, y0 + 40 * KM), (x0, y0)])
    c = LineString([(x0 + 50 * KM, y0 - 30 * KM), (x0 + 50 * KM, y0 + 30 * KM)])
    d = LineString([(x0 + 80 * KM, y0), (x0 + 50 * KM, y0)])
    lines = _lines(a, b, c, d).assign(volt_class=["345", "345", "345", "220-287"])
    proxies = pl.substation_proxies(lines)
    assert len(proxies) == 2
    high = pl.junctions_on(proxies, lines[lines["volt_class"] == "345"])
    low = pl.junctions_on(proxies, lines[lines["volt_class"] == "220-287"])
    assert len(high) == 2 and _xy(low) == {(round(x0 + 50 * KM), round(y0))}
    assert pl.junctions_on(proxies, lines.iloc[:0]).empty


def test_nearest_distance_in_km():
    targets = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(10 * KM, 0)], crs=pl.METRIC_CRS)
    points = gpd.GeoDataFrame(geometry=[Point(3 * KM, 4 * KM), Point(10 * KM, 1 * KM)],
                              crs=pl.METRIC_CRS)  # fmt: skip
    distance, index = pl.nearest(points.to_crs("EPSG:4326"), targets.to_crs("EPSG:4326"))
    np.testing.assert_allclose(distance, [5.0, 1.0], rtol=1e-6)
    assert index.tolist() == [0, 1]


def test_locate_gives_county_state_and_zone():
    counties = gpd.GeoDataFrame(
        {"fips": ["48201", "22017"], "name": ["Harris", "Caddo"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:4326",
    )  # fmt: skip
    zones = gpd.GeoDataFrame({"rb": ["p60"]}, geometry=[box(0, 0, 1.5, 1)], crs="EPSG:4326")
    points = gpd.GeoDataFrame(geometry=[Point(0.5, 0.5), Point(1.7, 0.5), Point(5, 5)],
                              crs="EPSG:4326")  # fmt: skip
    found = pl.locate(points, counties, zones, state_codes())
    assert found["county"].tolist() == ["Harris", "Caddo", None]
    assert found["county_fips"].tolist() == ["48201", "22017", None]
    assert found["state"].tolist() == ["TX", "LA", None]
    assert found["reeds_zone"].tolist() == ["p60", None, None]
    # a point just outside every polygon takes the nearest one within max_gap_km
    near = gpd.GeoDataFrame(geometry=[Point(2.01, 0.5), Point(5, 5)], crs="EPSG:4326")
    assert pl.locate(near, counties, zones, state_codes())["county"].tolist() == [None, None]
    found = pl.locate(near, counties, zones, state_codes(), max_gap_km=5.0)
    assert found["county"].tolist() == ["Caddo", None] and found["state"].tolist() == ["LA", None]
    assert found["reeds_zone"].tolist() == [None, None]  # the zone is 57 km away


def test_place_names_and_slugs():
    assert pl.place_name("Maricopa", "04013", "AZ") == "Maricopa County, AZ"
    assert pl.place_name("Caddo", "22017", "LA") == "Caddo Parish, LA"
    assert pl.place_name("Richmond", "51760", "VA") == "Richmond city, VA"
    assert pl.place_name("Richmond", "51159", "VA") == "Richmond County, VA"
    assert pl.place_name("Baltimore", "24510", "MD") == "Baltimore city, MD"
    assert pl.place_name("Carson City", "32510", "NV") == "Carson City, NV"
    assert pl.place_name("Yoakum", "48501", "TX") == "Yoakum County, TX"
    assert pl.place_name("District of Columbia", "11001", "DC") == "District of Columbia, DC"
    assert pl.place_name(None, None, None) is None
    assert pl.slug("Doña Ana") == "dona-ana" and pl.slug("St. Mary's") == "st-mary-s"


def _queue(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    """Requests (region, state, county, years to online) entered in 2020."""
    start = pd.Timestamp("2020-01-01")
    return pd.DataFrame(
        {
            "region": [r[0] for r in rows],
            "state": [r[1] for r in rows],
            "county_1": [r[2] for r in rows],
            "q_date": start,
            "on_date": [start + pd.Timedelta(days=365.25 * r[3]) for r in rows],
            "ia_date": pd.NaT,
        }
    )


def test_time_to_power_falls_back_from_county_to_state_to_region():
    queue = _queue(
        [("ERCOT", "TX", "harris", y) for y in (1.0, 2.0, 3.0, 4.0, 5.0)]  # 5 in Harris: median 3
        + [("ERCOT", "TX", "travis", 10.0)] * 2  # 2 in Travis: too few for a county figure
        + [("SPP", "OK", "tulsa", 7.0)] * 3  # Oklahoma: 3 requests, too few for a state figure
        + [("SPP", "KS", "sedgwick", 1.0)] * 2
    )
    places = pd.DataFrame(
        {"county": ["Harris", "Travis", "Tulsa", "Nowhere"], "state": ["TX", "TX", "OK", "NM"],
         "queue_region": ["ERCOT", "ERCOT", "SPP", "West (non-ISO)"]},
    )  # fmt: skip
    got = pl.time_to_power(places, queue)
    assert got["time_to_power_level"].tolist() == ["county", "state", "queue_region", None]
    np.testing.assert_allclose(
        got["time_to_power_years"].to_numpy()[:3], [3.0, 4.0, 7.0], atol=0.01
    )  # Texas: median of 1, 2, 3, 4, 5, 10, 10 = 4; SPP: median of 7, 7, 7, 1, 1 = 7
    assert got["time_to_power_records"].tolist() == [5, 7, 5, 0]
    assert np.isnan(got["time_to_power_years"].iloc[3])
    # a county with 3 requests is too few: its state's figure
    three = _queue([("PJM", "PA", "luzerne", 2.0)] * 3 + [("PJM", "PA", "york", 6.0)] * 4)
    got = pl.time_to_power(pd.DataFrame({"county": ["Luzerne"], "state": ["PA"],
                                         "queue_region": ["PJM"]}), three)  # fmt: skip
    assert got["time_to_power_level"].tolist() == ["state"]
    assert got["time_to_power_records"].tolist() == [7]


def test_county_names_match_without_case_dots_accents_or_suffix():
    queue = _queue([("MISO", "LA", "st. james parish", 2.0)] * 5
                   + [("West (non-ISO)", "NM", "Dona Ana County", 4.0)] * 5)  # fmt: skip
    places = pd.DataFrame({"county": ["St. James", "Doña Ana"], "state": ["LA", "NM"],
                           "queue_region": ["MISO", "West (non-ISO)"]})  # fmt: skip
    got = pl.time_to_power(places, queue)
    assert got["time_to_power_level"].tolist() == ["county", "county"]
    np.testing.assert_allclose(got["time_to_power_years"], [2.0, 4.0], atol=0.01)


def test_colocation_is_never_slower_than_a_new_connection():
    new = pd.DataFrame(
        {"time_to_power_years": [3.2, 0.9, np.nan],
         "time_to_power_level": ["county", "state", None], "time_to_power_records": [8, 40, 0]}
    )  # fmt: skip
    got = pl.colocation_time_to_power(new)
    rule = pl.COLOCATION_TIME_TO_POWER_YEARS
    assert got["time_to_power_years"].tolist() == [rule, 0.9, rule]
    assert got["time_to_power_level"].tolist() == [pl.COLOCATION_LEVEL, "state", "colocation"]
    assert got["time_to_power_records"].tolist() == [0, 40, 0]


@pytest.mark.realdata
def test_real_places_of_line_candidates(data_dir):
    from optimizer.inputs import loaders as ld

    lines = ld.load_transmission_lines(data_dir)
    proxies = pl.substation_proxies(lines)
    assert 3_500 < len(proxies) < 6_000  # 4,436 junctions of 220 kV+ lines (HIFLD 2024)
    assert proxies["lat"].between(24, 50).mean() > 0.99
    counties, zones = ld.load_counties(data_dir), ld.load_reeds_zones(data_dir)
    found = pl.locate(proxies.head(400), counties, zones, state_codes())
    assert found["state"].notna().mean() > 0.95 and found["reeds_zone"].notna().mean() > 0.95
    queue = ld.load_interconnection_queue(data_dir)
    region = {"TX": "ERCOT", "CA": "CAISO"}
    places = found.dropna(subset=["state"]).assign(
        queue_region=lambda f: f["state"].map(region).fillna("PJM")
    )
    ttp = pl.time_to_power(places, queue)
    assert ttp["time_to_power_level"].notna().all()
    assert set(ttp["time_to_power_level"]) <= set(pl.TIME_TO_POWER_LEVELS)
    assert ttp["time_to_power_years"].between(0.1, 15).all()
    assert (ttp["time_to_power_records"] >= 1).all()


def test_plant_candidates_sum_operating_units_above_the_threshold():
    generators = pd.DataFrame(
        {
            "plant_id_eia": [1, 1, 1, 2, 3, 3],
            "plant_name_eia": ["Big", "Big", "Big", "Small", "Mixed", "Mixed"],
            "state": ["PA", "PA", "PA", "TX", "AZ", "AZ"],
            "ba_code": ["PJM", "PJM", "PJM", "ERCO", "AZPS", "AZPS"],
            "status": ["OP", "OP", "SB", "OP", "OP", "OP"],
            "tech_type": ["Nuclear", "Nuclear", "Gas_SC", "Gas_CC", "Solar", "Gas_CC"],
            "capacity_mw": [1200.0, 1200.0, 900.0, 400.0, 300.0, 600.0],
            "latitude": [41.1, 41.1, 41.1, 30.0, 33.0, 33.0],
            "longitude": [-76.1, -76.1, -76.1, -97.0, -112.0, -112.0],
        }
    )
    plants = pl.plant_candidates(generators, min_capacity_mw=500)
    assert plants["plant_id_eia"].tolist() == [1, 3]  # standby units do not count; 2 too small
    assert plants["capacity_mw"].tolist() == [2400.0, 900.0]
    assert plants["technology"].tolist() == ["Nuclear", "Gas_CC"]
    assert plants.crs == "EPSG:4326" and plants.geometry.x.tolist() == [-76.1, -112.0]


@pytest.mark.realdata
def test_real_plant_candidates(data_dir):
    from optimizer.inputs import load_eia_generators

    plants = pl.plant_candidates(load_eia_generators(data_dir))
    assert 600 < len(plants) < 800  # 707 plants of 500 MW or more in 2022
    assert plants["capacity_mw"].is_monotonic_decreasing
    assert (plants["technology"] == "Nuclear").sum() >= 40
