"""Candidate sites: spacing along lines, BA assignment, clusters, PUE rule, time to power."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from optimizer.builders.us import sites as st
from optimizer.errors import InputError


def _lines(coords: list[list[tuple[float, float]]], volt: str = "345") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"volt_class": [volt] * len(coords), "is_dc": [False] * len(coords)},
        geometry=[shapely.LineString(c) for c in coords],
        crs="EPSG:4326",
    )


def _box_ba(name: str, lon0: float, lon1: float) -> dict:
    return {"ba": name, "geometry": shapely.box(lon0, 30, lon1, 45)}


def test_spacing_pieces_merged_and_parallel_lines_thinned():
    # A 345 kV line along 40N from -100 to -95 (about 427 km) published as two pieces cut at
    # -97.5, plus a parallel circuit 5 km north: one point per 50 km of the merged line, and
    # none of the parallel circuit's points survive (all within 25 km of a kept point).
    main = [[(-100.0, 40.0), (-97.5, 40.0)], [(-97.5, 40.0), (-95.0, 40.0)]]
    parallel = [[(-100.0, 40.045), (-95.0, 40.045)]]
    polygons = gpd.GeoDataFrame([_box_ba("AAA", -101, -97.5), _box_ba("BBB", -97.5, -94)],
                                crs="EPSG:4326")  # fmt: skip
    points = st.line_candidates(_lines(main + parallel), polygons, ["AAA", "BBB"], 50.0, ["345+"])
    length_km = shapely.LineString([(-100, 40), (-95, 40)]).length * 111.32 * np.cos(np.radians(40))
    assert len(points) == pytest.approx(round(length_km / 50), abs=1)
    xy = points.to_crs(st.METRIC_CRS).geometry
    gaps = np.sort(np.diff(np.sort(xy.x.to_numpy()))) / 1000
    assert gaps.min() > 40  # neighbours are not duplicates
    # each point carries the BA whose polygon holds it
    assert set(points.loc[points["lon"] < -97.5, "region"]) == {"AAA"}
    assert set(points.loc[points["lon"] > -97.5, "region"]) == {"BBB"}
    # outside the chosen BAs: dropped
    only_a = st.line_candidates(_lines(main), polygons, ["AAA"], 50.0, ["345+"])
    assert (only_a["region"] == "AAA").all() and len(only_a) < len(points)


def test_voltage_classes_are_separate():
    lines = pd.concat([_lines([[(-100, 40), (-99, 40)]], "500"),
                       _lines([[(-100, 41), (-99, 41)]], "220-287")])  # fmt: skip
    polygons = gpd.GeoDataFrame([_box_ba("AAA", -101, -98)], crs="EPSG:4326")
    points = st.line_candidates(lines, polygons, ["AAA"], 50.0)
    assert set(points["voltage_class"]) == {"345+", "220-287"}
    assert (points.loc[points["voltage_class"] == "345+", "lat"] - 40).abs().max() < 0.01


def _plants(rows: list[tuple[int, str, float, float, float]]) -> gpd.GeoDataFrame:
    """Plants (EIA id, name, capacity MW, lon, lat) as places.plant_candidates returns them."""
    frame = pd.DataFrame(rows, columns=["plant_id_eia", "name", "capacity_mw", "lon", "lat"])
    frame = frame.assign(state="NM", ba_code="PNM", technology="Gas_CC")
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326"
    )


def test_campus_rows_are_individual_candidates_with_their_own_figures():
    polygons = gpd.GeoDataFrame([_box_ba("AAA", -101, -90), _box_ba("BBB", -90, -80)],
                                crs="EPSG:4326")  # fmt: skip
    lines = pd.concat([_lines([[(-100, 40), (-96, 40)]]),
                       _lines([[(-100, 33), (-99, 33)]], "220-287")])  # fmt: skip
    on_lines = st.line_candidates(lines, polygons, ["AAA"], 50.0)
    assert on_lines["line"].str.fullmatch(r"(345\+|220-287) kV section \d+").all()
    plants = st.plant_sites(
        _plants([(7, "Big Plant", 2500.0, -95.0, 35.0), (8, "Elsewhere", 900.0, -70.0, 35.0)]),
        polygons,
        ["AAA", "BBB"],
    )
    assert plants["plant_id_eia"].tolist() == [7] and plants["region"].tolist() == ["AAA"]
    points = st.campus_points(on_lines, plants)
    n_line = len(on_lines)
    # figures as place_figures gives them: two counties along the 345 kV line
    west = (points["lon"] < -98).to_numpy()
    figures = pd.DataFrame(
        {"county_fips": np.where(west, "35001", "35043"),
         "county": np.where(west, "Bernalillo", "Doña Ana"), "state": "NM",
         "place": np.where(west, "Bernalillo County, NM", "Doña Ana County, NM"),
         "reeds_zone": "p48", "substation_km": np.arange(len(points)) + 1.0,
         "time_to_power_years": 3.0, "time_to_power_level": "state",
         "time_to_power_records": 12},
        index=points.index,
    )  # fmt: skip
    classes = {
        "345+": {"interconnect_mw": 500, "interconnect_upgrade_max_mw": 1500, "site_max_mw": 2000},
        "220-287": {"interconnect_mw": 200, "interconnect_upgrade_max_mw": 400,
                    "site_max_mw": 600},
    }  # fmt: skip

    def pue(lat):
        return st.pue_from_latitude(lat, 1.12, 0.008, 42.0)

    rows = st.campus_rows(points, figures, classes, pue, 2000.0, storage_allowed=False)
    assert list(rows.columns) == st.CANDIDATE_COLUMNS
    assert len(rows) == n_line + 1 and rows["site"].is_unique
    assert (rows["count"] == 1).all() and rows["campus_allowed"].all()
    assert not rows["edge_allowed"].any() and not rows["storage_allowed"].any()
    line = rows[rows["kind"] == "line"].set_index("site")
    assert line.loc[line["voltage_class"] == "345+", "interconnect_mw"].eq(500).all()
    assert line.loc[line["voltage_class"] == "220-287", "site_max_mw"].eq(600).all()
    # a line campus connects to its nearest substation: spur = substation distance
    np.testing.assert_allclose(line["spur_km"], line["substation_km"])
    np.testing.assert_allclose(line["spur_capex_usd_per_mw"], 2000.0 * line["substation_km"])
    # PUE from each candidate's own latitude, two decimals
    np.testing.assert_allclose(line["pue"], np.round(1.12 + 0.008 * (42 - line["lat"]), 2))
    assert set(line["pue"]) == {1.14, 1.19}
    # ids: BA, county, state and a number from west to east
    ids = line.index[line["place"] == "Doña Ana County, NM"]
    assert sorted(ids)[0] == "campus-AAA-dona-ana-nm-01"
    west_ids = line[line["county"] == "Bernalillo"].sort_values("lon", kind="stable").index
    assert list(west_ids) == [f"campus-AAA-bernalillo-nm-{n:02d}" for n in range(1, 6)]
    # a plant: 40 % of its capacity at its own connection, no spur, no upgrade
    plant = rows[rows["kind"] == "plant"].iloc[0]
    assert plant["site"] == "plant-7-big-plant" and plant["plant"] == "Big Plant"
    assert plant["interconnect_mw"] == pytest.approx(1000.0) == plant["site_max_mw"]
    assert plant["interconnect_upgrade_max_mw"] == 0 and plant["spur_km"] == 0
    assert plant["spur_capex_usd_per_mw"] == 0 and plant["substation_km"] > 0
    assert plant["pue"] == pytest.approx(1.18)
    # storage only when the build allows it at campus candidates
    with_storage = st.campus_rows(points, figures, classes, pue, 2000.0, storage_allowed=True)
    assert with_storage["storage_allowed"].all()
    # lines of a class the build does not list are left out
    only_high = st.campus_rows(points, figures, {"345+": classes["345+"]}, pue, 0.0, False)
    assert set(only_high["voltage_class"]) == {"345+", ""}


def test_pue_rule():
    pue = st.pue_from_latitude(
        [45.0, 42.0, 30.0], base=1.12, per_degree_south=0.008, reference_lat=42.0
    )
    assert pue == pytest.approx([1.12, 1.12, 1.22])  # 1.216 quoted to two decimals
    assert st.pue_from_latitude([30.0], 1.12, 0.008, 42.0, decimals=3) == pytest.approx([1.216])


def test_datacenter_clusters():
    # three data centers within a few km of each other, two far apart singles
    pts = [(-77.45, 39.0), (-77.47, 39.02), (-77.44, 39.03), (-100.0, 35.0), (-110.0, 35.0)]
    dcs = gpd.GeoDataFrame({"sqft": [1.0] * 5}, geometry=[shapely.Point(p) for p in pts],
                           crs="EPSG:4326")  # fmt: skip
    clusters = st.datacenter_clusters(dcs, cluster_km=10, min_count=3)
    assert len(clusters) == 1 and clusters.iloc[0]["n_datacenters"] == 3
    assert clusters.iloc[0]["lon"] == pytest.approx(-77.4533, abs=1e-3)


def test_time_to_power_median():
    queue = pd.DataFrame(
        {
            "region": ["PJM", "PJM", "PJM", "ERCOT"],
            "q_date": pd.to_datetime(["2016-01-01", "2018-01-01", "2019-01-01", "2020-01-01"]),
            "on_date": pd.to_datetime(["2018-01-01", None, "2024-01-01", None]),
            "ia_date": pd.to_datetime([None, "2021-01-01", None, "2021-01-01"]),
        }
    )
    table = st.time_to_power_by_region(queue).set_index("queue_region")
    assert table.loc["PJM", "median_years"] == pytest.approx(3.0, abs=0.01)  # 2, 3, 5 years
    assert table.loc["PJM", "online"] == 2 and table.loc["PJM", "agreement_only"] == 1
    ttp = st.ba_time_to_power(["ERCO"], table.reset_index(), {"ERCO": "ERCOT"})
    assert ttp["ERCO"] == pytest.approx(1.0, abs=0.01)
    with pytest.raises(InputError, match="no interconnection-queue figures"):
        st.ba_time_to_power(["NEVP"], table.reset_index(), {"NEVP": "West (non-ISO)"})


def test_queue_region_of_an_iso_by_code_of_others_by_their_generators_nerc_region():
    generators = pd.DataFrame(
        {
            "ba_code": ["ERCO", "NEVP", "NEVP", "TVA", "TVA", "XX"],
            "nerc_region": ["TRE", "WECC", "SERC", "SERC", "RFC", "TRE"],
            "capacity_mw": [100.0, 900.0, 10.0, 500.0, 40.0, 5.0],
        }
    )
    table = st.ba_queue_regions(["ERCO", "NEVP", "TVA"], generators).set_index("ba")
    assert table["queue_region"].to_dict() == {
        "ERCO": "ERCOT", "NEVP": "West (non-ISO)", "TVA": "Southeast (non-ISO)"
    }  # fmt: skip
    assert table.loc["NEVP", "basis"] == "NERC region WECC (EIA-860 generators)"
    with pytest.raises(InputError, match="no queue region for BA.*XX \\(NERC region TRE\\).*"
                       "YY \\(NERC region unknown"):  # fmt: skip
        st.ba_queue_regions(["XX", "YY"], generators)


@pytest.mark.realdata
def test_real_candidates(data_dir):
    import optimizer.inputs as ds

    bas = list(ds.load_ba_load_mw(data_dir).columns)
    lines, polygons = ds.load_transmission_lines(data_dir), ds.load_ba_polygons(data_dir)
    points = st.line_candidates(lines, polygons, bas, 50.0)
    assert 1000 < len(points) < 10_000
    assert set(points["region"]) <= set(bas) and points["region"].nunique() >= 20
    # points of one class are never closer than half the spacing
    for _, group in points.groupby("voltage_class"):
        xy = group.to_crs(st.METRIC_CRS)
        from scipy.spatial import cKDTree

        d, _ = cKDTree(np.column_stack([xy.geometry.x, xy.geometry.y])).query(
            np.column_stack([xy.geometry.x, xy.geometry.y]), k=2
        )
        assert d[:, 1].min() >= 25_000 - 1
    edge = st.edge_candidates(ds.load_metros(data_dir), ds.load_datacenters(data_dir), polygons,
                              bas, 100, 25, 3)  # fmt: skip
    assert (edge["kind"] == "metro").sum() >= 80
    assert "edge-35620" in set(edge["site"])  # New York
