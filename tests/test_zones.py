"""Zones and interfaces of zonal deliverability from the ReEDS zoning
(optimizer/builders/us/zones.py): the apportionment rule on constructed shapes, and on the real
data: each modelled BA's shares sum to 100 %, interface limits read both ways, EIA BA codes
mapped to ReEDS zones by geometry, not by ReEDS's own label."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from optimizer import inputs as ds
from optimizer.builders.us import zones as zn
from optimizer.builders.us.places import METRIC_CRS
from optimizer.inputs.registry import BAS_ALL

KM = 1000.0
NOT_MODELLED_2024 = {"AEC", "NSB", "CPLW", "GVL", "HST", "IID", "LDWP", "SCL", "SPA"}
"""Lower-48 load BAs without 2024 load or without a polygon (README, "The model")."""


def _shapes(column: str, boxes: dict[str, tuple[float, float, float, float]]) -> gpd.GeoDataFrame:
    names = list(boxes)
    frame = gpd.GeoDataFrame(
        {column: names},
        geometry=[box(*(v * KM for v in boxes[n])) for n in names],
        crs=METRIC_CRS,
    )
    return frame.to_crs("EPSG:4326")


def _centres(points: list[tuple[float, float, float]]) -> pd.DataFrame:
    """Metro centres at (x km, y km) of the metric CRS with their population."""
    metric = gpd.GeoSeries(
        gpd.points_from_xy([p[0] * KM for p in points], [p[1] * KM for p in points]),
        crs=METRIC_CRS,
    ).to_crs("EPSG:4326")
    return pd.DataFrame(
        {"pop_2023": [p[2] for p in points], "popw_lon": metric.x, "popw_lat": metric.y}
    )


def test_stranded_power_is_apportioned_by_population_and_by_area_without_any():
    # BA A spans zones z1 and z2 (x 0-200 km); BA B lies in z2 only; BA C has no metro centre
    base = (1000, 1000)
    x0, y0 = base

    def rect(a, b):
        return (x0 + a, y0, x0 + b, y0 + 100)

    polygons = _shapes("ba", {"A": rect(0, 200), "B": rect(200, 300), "C": rect(300, 400)})
    zones = _shapes("rb", {"z1": rect(0, 100), "z2": rect(100, 350), "z3": rect(350, 400)})
    zones["ba_code"] = ["X", "X", "Y"]
    metros = _centres(
        [(x0 + 50, y0 + 50, 300.0), (x0 + 150, y0 + 50, 100.0), (x0 + 250, y0 + 50, 80.0),
         (x0 + 900, y0 + 50, 1e6)]  # outside every polygon: counted nowhere
    )  # fmt: skip
    cells = zn.cells(polygons, zones, metros, ["A", "B", "C"])
    share = cells.set_index(["region", "zone"])["stranded_apportion_pct"]
    assert share["A", "z1"] == pytest.approx(75.0)
    assert share["A", "z2"] == pytest.approx(25.0)
    assert share["B", "z2"] == pytest.approx(100.0)
    # C: no metro centre, so by area: half in z2, half in z3
    assert share["C", "z2"] == pytest.approx(50.0, abs=0.1)
    assert share["C", "z3"] == pytest.approx(50.0, abs=0.1)
    assert set(cells.loc[cells["region"] == "C", "basis"]) == {"area"}
    assert cells.groupby("region")["stranded_apportion_pct"].sum().tolist() == pytest.approx(
        [100.0] * 3
    )

    sites = pd.DataFrame({"reeds_zone": ["z3"], "region": ["C"]})
    table = zn.zone_table(zones, cells, sites)
    assert table["zone"].tolist() == ["z1", "z2", "z3"]
    # z2 holds A's 100 and B's 80 people: A's; z3 only C's area
    assert table.set_index("zone")["region"].to_dict() == {"z1": "A", "z2": "A", "z3": "C"}


def test_interfaces_keep_both_directions_links_and_kept_zones_only():
    ac = pd.DataFrame(
        {
            "interface": ["z1||z2", "z2||z3", "z3||z4", "z1||z3"],
            "r": ["z1", "z2", "z3", "z1"],
            "rr": ["z2", "z3", "z4", "z3"],
            "forward_mw": [100.0, 0.0, 50.0, 0.0],
            "reverse_mw": [40.0, 17.0, 50.0, 0.0],
        }
    )
    links = pd.DataFrame(
        {"r": ["z1"], "rr": ["z3"], "kind": ["B2B"], "capacity_mw": [200.0], "name": ["tie"]}
    )
    table = zn.interface_table(ac, links, ["z1", "z2", "z3"]).set_index("interface")
    # z4 is not kept; z1||z3 has no limit either way; a one-way limit is kept
    assert list(table.index) == ["z1||z2", "z2||z3", "z1||z3|B2B"]
    assert table.loc["z1||z2", ["forward_mw", "reverse_mw"]].tolist() == [100.0, 40.0]
    assert table.loc["z2||z3", ["forward_mw", "reverse_mw"]].tolist() == [0.0, 17.0]
    assert table.loc["z1||z3|B2B", ["kind", "forward_mw", "reverse_mw"]].tolist() == [
        "B2B", 200.0, 200.0,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def real(data_dir):
    bas = [b for b in BAS_ALL if b not in NOT_MODELLED_2024]
    zones = ds.load_reeds_zones(data_dir)
    polygons = ds.load_ba_polygons(data_dir, all_bas=True)
    cells = zn.cells(polygons, zones, ds.load_metros(data_dir), bas)
    interfaces = zn.interface_table(
        ds.load_reeds_interfaces(data_dir),
        ds.load_reeds_links(data_dir),
        sorted(set(cells["zone"])),
    )
    return bas, zones, cells, interfaces


def test_every_modelled_ba_has_zones_whose_shares_sum_to_100(real):
    bas, _, cells, _ = real
    assert len(bas) == 45
    shared = cells[cells["stranded_apportion_pct"] > 0]
    total = shared.groupby("region")["stranded_apportion_pct"].sum()
    assert set(total.index) == set(bas)
    assert total.to_numpy() == pytest.approx(100.0)
    # only the BAs without a metro centre in their polygon are split by area
    assert sorted(cells.loc[cells["basis"] == "area", "region"].unique()) == ["DOPD", "WALC"]
    zones_of = shared.groupby("region")["zone"].apply(set)
    assert len(zones_of["PJM"]) > 15 and len(zones_of["MISO"]) > 30
    assert zones_of["ERCO"] <= {f"p{i}" for i in range(60, 68)}


def test_eia_codes_map_to_zones_by_geometry_not_by_the_reeds_label(real):
    bas, zones, cells, _ = real
    labels = set(zones["ba_code"])
    unlabelled = sorted(set(bas) - labels)
    # documented in optimizer/builders/us/zones.py
    assert unlabelled == [
        "BANC", "CHPD", "DOPD", "FMPP", "FPC", "GCPD", "JEA", "LGEE", "PGE", "PSEI", "SCEG",
        "SRP", "TAL", "TEC", "TIDC", "TPWR", "WAUW",
    ]  # fmt: skip
    label = zones.set_index("rb")["ba_code"]
    shared = cells[cells["stranded_apportion_pct"] > 0].set_index(["region", "zone"])
    # SRP's stranded power lies in ReEDS's "AZPS" zone, BANC's in a "CISO" zone
    srp = shared.loc["SRP"]
    assert list(srp.index) == ["p28"] and label["p28"] == "AZPS"
    assert {label[z] for z in shared.loc["BANC"].index} == {"CISO"}
    # zones straddle BAs: some zone takes stranded power from two BAs or more
    assert (
        cells[cells["stranded_apportion_pct"] > 0].groupby("zone")["region"].nunique() > 1
    ).any()


def test_real_interface_limits_are_read_both_ways(real, data_dir):
    _, _, _, interfaces = real
    table = interfaces.set_index("interface")
    assert table.loc["p1||p2", ["from_zone", "to_zone"]].tolist() == ["p1", "p2"]
    assert table.loc["p1||p2", "forward_mw"] == pytest.approx(8287.031)
    assert table.loc["p1||p2", "reverse_mw"] == pytest.approx(9392.247)
    # a limit in one direction only is kept; no limit either way is dropped
    assert table.loc["p18||p23", ["forward_mw", "reverse_mw"]].tolist() == [0.0, 17.04]
    assert "p95||p98" not in table.index
    raw = ds.load_reeds_interfaces(data_dir)
    assert len(raw) == 292
    # the Pacific DC Intertie, both ways
    pdci = table.loc["p5||p10|LCC"]
    assert (pdci["forward_mw"], pdci["reverse_mw"], pdci["kind"]) == (2780.0, 2780.0, "LCC")
    assert (table["forward_mw"] + table["reverse_mw"] > 0).all()
