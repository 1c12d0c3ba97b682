"""One loader per public data file. Each checks its file against the registry, then returns a
tidy frame with documented columns and units; geographic frames are in EPSG:4326 (lon/lat).

Every loader takes ``data_dir``, the folder of the public data mirror, resolved by the caller
(the CLI reads ``--data-dir`` or ``DCSITE_DATA``); library code reads no environment.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from optimizer.errors import DataError
from optimizer.inputs import registry as reg

DataDir = str | os.PathLike[str] | None
WGS84 = "EPSG:4326"


def _checked(data_dir: DataDir, entry: reg.DataFile) -> Path:
    return reg.check_file(reg.resolve_data_dir(data_dir), entry)


def _read(entry: reg.DataFile, path: Path, reader, **kwargs):
    try:
        return reader(path, **kwargs)
    except Exception as exc:  # a registered file that fails to parse is corrupt
        raise reg._unreadable(entry, exc) from None


def _points(frame: pd.DataFrame, lon: str, lat: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame[lon], frame[lat]), crs=WGS84)


def load_ba_load_mw(data_dir: DataDir, all_bas: bool = False) -> pd.DataFrame:
    """Hourly demand of the 22 BAs of the Duke headroom study (or, with ``all_bas``, of all 54
    lower-48 load BAs, :data:`~optimizer.inputs.registry.BAS_ALL`), 2016-2024.

    Returns a frame indexed by ``datetime_utc`` (tz-aware UTC, hour-ending: a row is the mean MW
    of the hour before its stamp) with one float64 column per BA code (MW). The 22 series have
    no gaps; of the 54, seven have gaps (NaN: AEC after its merger into SOCO in 2021, NSB from
    2020, PSEI in 2020, a month of TEPC and TAL, hours of JEA and LGEE; the mirror's README).
    """
    entry = reg.BA_LOAD_WIDE_ALL if all_bas else reg.BA_LOAD_WIDE
    frame = _read(entry, _checked(data_dir, entry), pd.read_parquet)
    frame["datetime_utc"] = pd.to_datetime(frame["datetime_utc"], utc=True)
    frame = frame.set_index("datetime_utc").sort_index().astype("float64")
    frame.columns.name = "ba"
    return frame


def load_ba_load_raw_long(data_dir: DataDir) -> pd.DataFrame:
    """The same hours in long form, raw next to cleaned.

    Columns: ``datetime_utc`` (UTC, hour-ending), ``ba``, ``raw_mw`` (as reported; may be
    missing, zero, negative or a spike), ``cleaned_mw``, ``category`` (why a value changed).
    """
    entry = reg.BA_LOAD_LONG
    frame = _read(entry, _checked(data_dir, entry), pd.read_parquet)
    frame["datetime_utc"] = pd.to_datetime(frame["datetime_utc"], utc=True)
    frame[["raw_mw", "cleaned_mw"]] = frame[["raw_mw", "cleaned_mw"]].astype("float64")
    return frame


def load_metros(data_dir: DataDir) -> gpd.GeoDataFrame:
    """Census core-based statistical areas (metro and micro), largest first.

    Columns: ``cbsa`` (code), ``name``, ``type``, ``pop_2020``, ``pop_2023`` (persons),
    ``principal_city``, ``principal_state``, ``city_lat``, ``city_lon``, ``popw_lat``,
    ``popw_lon`` (degrees), ``n_counties``, ``county_fips`` (list of 5-digit strings);
    geometry: Point at the principal city. The 13 small areas without principal-city
    coordinates in the file (none among the largest 300) cannot be placed and are left out.
    """
    entry = reg.METROS
    frame = _read(entry, _checked(data_dir, entry), pd.read_csv, dtype={"county_fips": str})
    frame = frame.dropna(subset=["city_lat", "city_lon"])
    frame["county_fips"] = frame["county_fips"].fillna("").str.split(";")
    frame = frame.sort_values("pop_2023", ascending=False, ignore_index=True)
    return _points(frame, "city_lon", "city_lat")


def _atlas(data_dir: DataDir, entry: reg.DataFile) -> gpd.GeoDataFrame:
    frame = _read(entry, _checked(data_dir, entry), gpd.read_file, layer=entry.layer)
    return frame.set_crs(WGS84, allow_override=True).rename(columns={"id": "fips"})


def load_states(data_dir: DataDir) -> gpd.GeoDataFrame:
    """US states and territories (56). Columns: ``fips`` (2-digit string), ``name``, geometry."""
    return _atlas(data_dir, reg.STATES)


def load_counties(data_dir: DataDir) -> gpd.GeoDataFrame:
    """US counties (3,231). Columns: ``fips`` (5-digit string), ``name``, geometry (made valid;
    Falls Church, VA, is empty at this 1:10M scale)."""
    frame = _atlas(data_dir, reg.COUNTIES)
    frame["geometry"] = frame.geometry.make_valid()
    return frame


def load_nation(data_dir: DataDir) -> gpd.GeoDataFrame:
    """The US outline as one row. Columns: ``fips``, ``name``, geometry."""
    return _atlas(data_dir, reg.NATION)


def load_ba_polygons(data_dir: DataDir, all_bas: bool = False) -> gpd.GeoDataFrame:
    """Approximate BA service territories from EIA-861 2018 county sales: the 40 BAs of the
    first release's file, or with ``all_bas`` the partition of US counties over 50 BAs (46 of
    the 54 lower-48 load BAs; CPLW, GVL, HST, IID, LDWP, NSB, SCL and SPA have no county of
    their own) that extends it (the mirror's README: AVA, AZPS, BPAT, CISO, FPC, FPL and PSEI
    lose to BAs added there the counties where those sell most).

    Columns: ``ba`` (EIA code), ``ba_name``, ``n_counties``, geometry (MultiPolygon); with
    ``all_bas`` also ``in_load_file`` (False for CEA, HECO, NBSO and SEC, which have no load).
    """
    entry = reg.BA_POLYGONS_ALL if all_bas else reg.BA_POLYGONS
    frame = _read(entry, _checked(data_dir, entry), gpd.read_file)
    frame = frame.rename(columns={"BA_Short_Name": "ba", "BA_Long_Name": "ba_name"})
    columns = ["ba", "ba_name", "n_counties", *(["in_load_file"] if all_bas else []), "geometry"]
    return frame[columns].to_crs(WGS84)


def load_county_ba(data_dir: DataDir) -> pd.DataFrame:
    """County to primary BA. Columns: ``county_fips`` (5-digit string), ``county_name``, ``ba``,
    ``share`` (fraction of the county's 2018 retail sales in that BA)."""
    entry = reg.COUNTY_BA
    frame = _read(entry, _checked(data_dir, entry), pd.read_csv)
    frame["county_fips"] = frame["county_fips"].astype(int).astype(str).str.zfill(5)
    return frame.rename(columns={"name": "county_name", "BA_Short_Name": "ba"})


def load_ba_points(data_dir: DataDir) -> gpd.GeoDataFrame:
    """A representative point per BA (66). Columns: ``ba``, ``name``, ``lon``, ``lat``, geometry."""
    entry = reg.BA_POINTS
    return _points(_read(entry, _checked(data_dir, entry), pd.read_csv), "lon", "lat")


_VOLTAGE_KV_MIN = {"220-287": 220.0, "345": 345.0, "500": 500.0, "735 AND ABOVE": 735.0}


def load_transmission_lines(data_dir: DataDir) -> gpd.GeoDataFrame:
    """HIFLD transmission line pieces of 220 kV and above plus HVDC (13,601).

    Columns: ``volt_class`` (``220-287``, ``345``, ``500``, ``735 AND ABOVE``, ``DC``),
    ``voltage_kv_min`` (lower bound of the class in kV, NaN for DC), ``is_dc`` (bool),
    geometry (LineString/MultiLineString).
    """
    entry = reg.TRANSMISSION
    frame = _read(entry, _checked(data_dir, entry), gpd.read_file)
    frame = frame.rename(columns={"VOLT_CLASS": "volt_class"}).to_crs(WGS84)
    frame["voltage_kv_min"] = frame["volt_class"].map(_VOLTAGE_KV_MIN).astype("float64")
    frame["is_dc"] = frame["volt_class"].eq("DC")
    return frame[["volt_class", "voltage_kv_min", "is_dc", "geometry"]]


def load_power_plants(data_dir: DataDir) -> gpd.GeoDataFrame:
    """US power plants, capacity year 2019 (11,879 in the file; the 33 without valid
    coordinates are dropped).

    Columns: ``name``, ``gppd_idnr``, ``capacity_mw``, ``latitude``, ``longitude``,
    ``primary_fuel``, ``commissioning_year``, ``owner``, ``generation_gwh_2019``; Point geometry.
    """
    entry = reg.POWER_PLANTS
    frame = _read(entry, _checked(data_dir, entry), pd.read_csv, low_memory=False)
    frame = frame[list(entry.columns)]
    # 32 plants have no coordinates and one has latitude 425: they cannot be placed on a map
    placed = frame["latitude"].between(-90, 90) & frame["longitude"].between(-180, 180)
    return _points(frame[placed].reset_index(drop=True), "longitude", "latitude")


def load_eia_generators(data_dir: DataDir) -> pd.DataFrame:
    """25,327 existing US generators (EIA-860 2022, as in PyPSA-USA): one row per unit with
    ``plant_id_eia, plant_name_eia, generator_id, state, latitude, longitude, ba_code, status``
    (OP operating, SB standby, OS out of service, OA out for a while), ``operating_year,
    tech_type, capacity_mw`` and the mirror's other columns. No planned retirements."""
    entry = reg.EIA_GENERATORS
    return _read(entry, _checked(data_dir, entry), pd.read_csv, low_memory=False)


def load_reeds_zones(data_dir: DataDir) -> gpd.GeoDataFrame:
    """NREL ReEDS balancing zones (134). Columns: ``rb`` (p1..p134), ``ba_code``, geometry."""
    root = reg.resolve_data_dir(data_dir)
    for part in reg.REEDS_ZONES_PARTS:
        reg.check_file(root, part)
    entry = reg.REEDS_ZONES
    frame = _read(entry, reg.check_file(root, entry), gpd.read_file)
    return frame.rename(columns={"BA_Code": "ba_code"}).to_crs(WGS84)


def load_reeds_interfaces(data_dir: DataDir) -> pd.DataFrame:
    """AC transfer limits between ReEDS zones (NARIS 2024, 292 interfaces).

    Columns: ``interface``, ``r``, ``rr`` (zones), ``forward_mw`` (r to rr), ``reverse_mw``.
    """
    entry = reg.REEDS_INTERFACES
    frame = _read(entry, _checked(data_dir, entry), pd.read_csv)
    frame = frame.rename(columns={"MW_f0": "forward_mw", "MW_r0": "reverse_mw"})
    return frame[["interface", "r", "rr", "forward_mw", "reverse_mw"]]


def load_reeds_links(data_dir: DataDir) -> pd.DataFrame:
    """Links between ReEDS zones that are not part of the AC network (11): HVDC lines (``LCC``)
    and back-to-back converters between the interconnections (``B2B``).

    Columns: ``r``, ``rr`` (zones), ``kind`` (``LCC``, ``B2B``), ``capacity_mw`` (the link's
    rating; the file gives one figure, taken for both directions), ``name`` (the projects).
    """
    entry = reg.REEDS_LINKS
    frame = _read(entry, _checked(data_dir, entry), pd.read_csv)
    frame = frame.rename(columns={"trtype": "kind", "MW": "capacity_mw", "Project(s)": "name"})
    frame["capacity_mw"] = frame["capacity_mw"].astype("float64")
    return frame[["r", "rr", "kind", "capacity_mw", "name"]]


def load_reeds_membership(data_dir: DataDir) -> pd.DataFrame:
    """ReEDS zone membership. Columns: ``rb`` (zone), ``nercr``, ``transreg``, ``st`` (state),
    ``interconnect`` and the file's other grouping columns."""
    entry = reg.REEDS_MEMBERSHIP
    return _read(entry, _checked(data_dir, entry), pd.read_csv).rename(columns={"ba": "rb"})


def load_interconnection_queue(data_dir: DataDir) -> pd.DataFrame:
    """Generator interconnection requests with an agreement, withdrawal or online date.

    Columns: ``q_id``, ``q_status``, ``region`` (ISO or non-ISO area), ``state``, ``county_1``,
    ``poi_name``, ``type_clean``, ``mw_total`` (MW), and dates as datetime64 (NaT if absent):
    ``q_date`` (queue entry), ``ia_date`` (interconnection agreement), ``wd_date``
    (withdrawal), ``on_date`` (online).
    """
    entry = reg.QUEUE
    frame = _read(entry, _checked(data_dir, entry), pd.read_parquet)
    frame = frame[list(entry.columns)].copy()
    for column in ("q_date", "ia_date", "wd_date", "on_date"):
        frame[column] = pd.to_datetime(frame[column].astype("string"), errors="coerce",
                                       format="mixed")  # fmt: skip
    frame["region"] = frame["region"].astype("string")
    return frame


def load_backbone_topologies(
    data_dir: DataDir, names: tuple[str, ...] | None = None
) -> dict[str, nx.Graph]:
    """Backbone network topologies from the Internet Topology Zoo.

    Returns {network name: undirected simple graph}; node attributes ``label`` (city),
    ``lat``, ``lon`` (degrees). Nodes without coordinates are dropped, parallel edges merged.
    """
    root = reg.resolve_data_dir(data_dir)
    unknown = sorted(set(names or ()) - set(reg.TOPOLOGIES))
    if unknown:
        raise DataError(f"unknown backbone network(s) {unknown}; known: {reg.BACKBONE_NETWORKS}")
    graphs = {}
    for name in names or reg.BACKBONE_NETWORKS:
        entry = reg.TOPOLOGIES[name]
        raw = _read(entry, reg.check_file(root, entry), nx.read_graphml)
        graph = nx.Graph(name=name)
        for node, attrs in raw.nodes(data=True):
            lat, lon = attrs.get("Latitude"), attrs.get("Longitude")
            if lat is None or lon is None or not np.isfinite([lat, lon]).all():
                continue
            graph.add_node(node, label=attrs.get("label", str(node)), lat=float(lat),
                           lon=float(lon))  # fmt: skip
        graph.add_edges_from((u, v) for u, v in raw.edges() if u in graph and v in graph and u != v)
        graphs[name] = graph
    return graphs


def load_datacenters(data_dir: DataDir) -> gpd.GeoDataFrame:
    """Existing US data centers (1,165). Columns: ``state_abb``, ``county``, ``operator``,
    ``name``, ``sqft`` (square feet), ``type``; Point geometry (centroid)."""
    entry = reg.DATACENTERS
    frame = _read(entry, _checked(data_dir, entry), gpd.read_file)
    return frame.to_crs(WGS84)
