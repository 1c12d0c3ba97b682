"""Zones and interfaces for zonal deliverability, from NREL's ReEDS zoning (PyPSA-USA's copy).

The copper plate per BA lets a MW of stranded power anywhere in a BA feed a campus anywhere in
it. With ``grid.deliverability: zonal`` the model instead moves stranded power between ReEDS
zones over their interfaces (:mod:`optimizer.model.stranded`); this module builds the three
tables it needs from the public data.

BAs and zones
    The ReEDS zones (``grid/reeds/rb_and_ba_areas.shp``, 134 zones ``p1``..``p134``) carry a
    ``BA_Code``, but that label is not the EIA-930 BA whose load sets the stranded power: ReEDS
    gives each zone one code, mostly the ISO or the largest utility there, and 17 of the 45
    BAs modelled in 2024 label no zone at all (BANC, CHPD, DOPD, FMPP, FPC, GCPD, JEA, LGEE,
    PGE, PSEI, SCEG, SRP, TAL, TEC, TIDC, TPWR, WAUW: SRP lies in the zone labelled AZPS, BANC
    and TIDC in zones labelled CISO, FPC and TEC in zones labelled FPL, ...); and zones straddle
    BA borders (35 of the 128 zones with supply get it from two BAs or more). So the mapping is
    geometric, never by code: a BA's zones are the zones its polygon (the EIA-861 county
    partition the sites are placed on) overlaps, and each (BA, zone) pair is a *cell*.
    ``reeds_ba`` in the zones table keeps ReEDS's own label for reference. Every modelled BA
    has at least one zone (its polygon lies in the lower 48, which the zones tile).

Apportionment rule (``region_zones``: ``stranded_apportion_pct`` of each cell)
    A BA's hourly stranded power is split over its zones in proportion to the population living
    in each cell: the 2023 population of each metropolitan and micropolitan area (Census CBSA,
    ``census/cbsa_metros_pop2023.csv``, 94 % of the US population) counted at its
    population-weighted centre, in the BA polygon and zone holding that point. Reasoning: a BA's
    grid is built to deliver its seasonal peak to where its load is; in an hour below the peak,
    the spare deliverable capacity of each load pocket scales with that pocket's load, and load
    (residential and commercial sales are about two thirds of retail sales) scales with
    population. A BA whose polygon holds no CBSA centre (DOPD, WALC in the lower 48) is split
    by the area of its cells instead (``basis`` ``area``). Each modelled BA's shares sum to
    100 %. Known limit: a metro counts wholly in the cell of its centre, so the New Jersey part
    of New York's metro (in PJM) and Long Island (ReEDS zone p128) count in NYISO's zone p127;
    county populations would split them, but the mirror holds none.

Zones (``zones``)
    The zones holding a cell with a share (or a candidate site), each with ``region``: the
    modelled BA with the most population in the zone (else the largest area), whose firm
    capacity price applies to firm capacity procured in the zone; ``reeds_ba``; and a point
    inside the zone for maps (``lat``, ``lon``). A zone with neither supply nor site is left
    out with its interfaces: power does not transit through areas outside the model.

Interfaces (``interfaces``)
    The AC transfer limits between zones (``transmission_capacity_init_AC_ba_NARIS2024.csv``,
    NARIS 2024: ``forward_mw`` from ``from_zone`` to ``to_zone``, ``reverse_mw`` back; 292
    interfaces, kind ``AC``), and the links outside the AC network
    (``transmission_capacity_init_nonAC_ba.csv``: HVDC lines ``LCC`` and back-to-back ties
    between the interconnections ``B2B``, one rating taken for both ways), between kept zones,
    with at least one limit above zero. How much of a limit new load may use is a scenario
    setting (``grid.interface_share_pct``, :class:`~optimizer.scenario.config.GridConfig`).
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

from optimizer.builders.us.places import METRIC_CRS

ZONE_MAX_GAP_KM = 10.0
"""A metro centre in no zone polygon (on the coast: Virginia Beach) takes the nearest zone
within this distance."""
REGION_ZONE_COLUMNS = [
    "region", "zone", "population", "area_km2", "basis", "stranded_apportion_pct",
]  # fmt: skip
ZONE_COLUMNS = ["zone", "region", "reeds_ba", "lat", "lon"]
INTERFACE_COLUMNS = [
    "interface",
    "from_zone",
    "to_zone",
    "kind",
    "forward_mw",
    "reverse_mw",
    "name",
]


def _metric(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.to_crs(METRIC_CRS)


def cells(
    polygons: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, metros: gpd.GeoDataFrame, bas: list[str]
) -> pd.DataFrame:
    """Every (BA, zone) cell of the BAs ``bas``: ``region, zone, population, area_km2, basis,
    stranded_apportion_pct`` (module docstring: the apportionment rule), BAs in the order of
    ``bas``, zones by area within a BA.

    ``polygons`` has ``ba`` and geometry, ``zones`` ``rb`` and geometry, ``metros``
    ``pop_2023``, ``popw_lat`` and ``popw_lon``.
    """
    ba_shapes = _metric(polygons.loc[polygons["ba"].isin(bas), ["ba", "geometry"]])
    zone_shapes = _metric(zones[["rb", "geometry"]])
    overlap = gpd.overlay(ba_shapes, zone_shapes, how="intersection", keep_geom_type=True)
    overlap["area_km2"] = overlap.geometry.area / 1e6
    area = overlap.groupby(["ba", "rb"])["area_km2"].sum()
    area = area[area > 0]

    centres = gpd.GeoDataFrame(
        {"population": metros["pop_2023"].astype(float).to_numpy()},
        geometry=gpd.points_from_xy(metros["popw_lon"], metros["popw_lat"]),
        crs="EPSG:4326",
    ).to_crs(METRIC_CRS)
    in_ba = gpd.sjoin(centres, ba_shapes, how="inner", predicate="within").drop(
        columns="index_right"
    )
    in_ba = in_ba[~in_ba.index.duplicated()]
    in_zone = gpd.sjoin_nearest(
        in_ba, zone_shapes, how="left", max_distance=ZONE_MAX_GAP_KM * 1000.0
    )
    in_zone = in_zone[~in_zone.index.duplicated() & in_zone["rb"].notna()]
    population = in_zone.groupby(["ba", "rb"])["population"].sum()

    table = pd.concat([area.rename("area_km2"), population.rename("population")], axis=1)
    table = table.fillna(0.0).reset_index().rename(columns={"ba": "region", "rb": "zone"})
    total_pop = table.groupby("region")["population"].transform("sum")
    total_area = table.groupby("region")["area_km2"].transform("sum")
    by_pop = total_pop > 0
    table["basis"] = np.where(by_pop, "population", "area")
    share = np.where(by_pop, table["population"] / total_pop.where(by_pop, 1.0),
                     table["area_km2"] / total_area)  # fmt: skip
    table["stranded_apportion_pct"] = 100.0 * share
    order = {ba: i for i, ba in enumerate(bas)}
    table = table.assign(_ba=table["region"].map(order)).sort_values(
        ["_ba", "area_km2"], ascending=[True, False]
    )
    return table[REGION_ZONE_COLUMNS].reset_index(drop=True)


def zone_table(
    zones: gpd.GeoDataFrame, cell_table: pd.DataFrame, sites: pd.DataFrame
) -> pd.DataFrame:
    """The zones with supply (a cell with a share) or a site: ``zone, region, reeds_ba, lat,
    lon`` (module docstring), in ReEDS order (p1, p2, ...)."""
    supplied = set(cell_table.loc[cell_table["stranded_apportion_pct"] > 0, "zone"])
    with_sites = {z for z in sites["reeds_zone"] if isinstance(z, str) and z}
    kept = supplied | with_sites
    ranked = cell_table.sort_values(["population", "area_km2"], ascending=False)
    region = ranked.drop_duplicates("zone").set_index("zone")["region"].to_dict()
    site_region = (
        sites[sites["reeds_zone"].isin(kept)].groupby("reeds_zone")["region"]
        .agg(lambda r: r.value_counts().index[0]).to_dict()
    )  # fmt: skip
    shapes = zones[zones["rb"].isin(kept)]
    points = _metric(shapes).representative_point().to_crs("EPSG:4326")
    table = pd.DataFrame(
        {
            "zone": shapes["rb"].to_numpy(),
            "region": [region.get(z, site_region.get(z)) for z in shapes["rb"]],
            "reeds_ba": shapes["ba_code"].fillna("").to_numpy(),
            "lat": points.y.to_numpy(),
            "lon": points.x.to_numpy(),
        }
    )
    order = sorted(range(len(table)), key=lambda i: _natural(table["zone"].iloc[i]))
    return table.iloc[order][ZONE_COLUMNS].reset_index(drop=True)


def _natural(name: str) -> tuple:
    """Sort key reading the digits of a name as a number: p2 before p10."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def interface_table(ac: pd.DataFrame, links: pd.DataFrame, zones: list[str]) -> pd.DataFrame:
    """Interfaces between the kept ``zones`` with a limit above zero (module docstring):
    ``interface, from_zone, to_zone, kind, forward_mw, reverse_mw, name``."""
    ac_rows = pd.DataFrame(
        {
            "interface": ac["interface"],
            "from_zone": ac["r"],
            "to_zone": ac["rr"],
            "kind": "AC",
            "forward_mw": ac["forward_mw"].astype(float),
            "reverse_mw": ac["reverse_mw"].astype(float),
            "name": "",
        }
    )
    link_rows = pd.DataFrame(
        {
            "interface": links["r"] + "||" + links["rr"] + "|" + links["kind"],
            "from_zone": links["r"],
            "to_zone": links["rr"],
            "kind": links["kind"],
            "forward_mw": links["capacity_mw"].astype(float),
            "reverse_mw": links["capacity_mw"].astype(float),
            "name": links["name"].fillna(""),
        }
    )
    table = pd.concat([ac_rows, link_rows], ignore_index=True)
    keep = (
        table["from_zone"].isin(zones)
        & table["to_zone"].isin(zones)
        & ((table["forward_mw"] > 0) | (table["reverse_mw"] > 0))
    )
    return table.loc[keep, INTERFACE_COLUMNS].reset_index(drop=True)
