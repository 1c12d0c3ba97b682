"""Where a candidate site is, and what that place offers: its county, state and ReEDS zone, the
nearest point where high-voltage lines meet, and the time to power of the interconnection
requests nearest to it (or of a campus at an existing plant's connection).

Place
    The county (us-atlas 1:10M, FIPS code and name) and ReEDS zone whose polygon holds the
    point; a point outside every polygon but within ``max_gap_km`` of one (the BA polygons and
    the counties are drawn at different precisions) takes the nearest. Its name reads as people
    write it: "Maricopa County, AZ", "Caddo Parish, LA", "Richmond city, VA" (an independent
    city), "District of Columbia, DC" (:func:`place_name`).

Substation proxies
    No public substations layer is in the data (the mirror's README says why). A point where
    two or more 220 kV+ lines meet is where a substation has to be, so it stands in for one:
    tapping an existing substation is cheaper and faster than building one on a bare line. A
    junction is where a published line piece (HIFLD, AC only) ends and at least three line
    directions meet within ``JUNCTION_TOLERANCE_M``: pieces ending there count one each, a
    piece passing through counts two. Two pieces meeting end to end are one line cut at a
    map-tile edge (two directions), and lines crossing with no end at the crossing (one over the
    other) are not junctions. :func:`junctions_on` keeps the junctions a given set of lines
    (one voltage class) passes through or ends at.

Time to power
    From the LBNL queue (requests entered since ``since_year`` that reached an interconnection
    agreement or came online; years from queue entry to that date): the median of the requests
    in the candidate's county when there are at least ``min_records`` of them, else in its
    state, else in its queue region. Each figure comes with the level used and the number of
    requests behind it, so a reader can judge it. County names are matched without case, dots,
    accents and a "County" or "Parish" suffix (the queue writes "st. james parish", the
    counties layer "St. James").

Co-location at existing plants
    A campus beside a plant of at least :data:`PLANT_MIN_CAPACITY_MW` takes up to
    :data:`COLOCATION_SHARE_PCT` of the plant's capacity at the plant's existing connection, and
    gets power sooner than a new connection (:data:`COLOCATION_TIME_TO_POWER_YEARS`,
    :func:`colocation_time_to_power`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

METRIC_CRS = "EPSG:5070"  # CONUS Albers equal area, metres
MIN_QUEUE_RECORDS = 5
"""Requests a county or state needs before its median time to power is used."""
TIME_TO_POWER_LEVELS = ("county", "state", "queue_region")


JUNCTION_TOLERANCE_M = 100.0
"""Line ends this close to each other, or to another line, meet there (published geometry is
simplified to about 0.002 degrees, and reprojection moves points by millimetres)."""


def substation_proxies(lines: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Points where two or more AC lines of ``lines`` meet (see the module docstring).

    Returns columns ``lat, lon, lines_meeting`` and Point geometry (EPSG:4326); a line that
    passes through a junction counts twice (it leaves in two directions).
    """
    ac = lines[~lines["is_dc"]].to_crs(METRIC_CRS)
    pieces = np.array(
        [part for geom in ac.geometry.values for part in getattr(geom, "geoms", [geom])],
        dtype=object,
    )
    columns = {"lat": [], "lon": [], "lines_meeting": []}
    if len(pieces) == 0:
        return gpd.GeoDataFrame(columns, geometry=[], crs="EPSG:4326")
    ends = np.array([p.coords[i] for p in pieces for i in (0, -1)])
    owner = np.repeat(np.arange(len(pieces)), 2)
    # ends within the tolerance of one another form one meeting point (single linkage)
    pairs = cKDTree(ends).query_pairs(JUNCTION_TOLERANCE_M, output_type="ndarray")
    graph = sparse.coo_matrix(
        (np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(ends), len(ends))
    )
    _, cluster = sparse.csgraph.connected_components(graph, directed=False)
    centre = np.array([ends[cluster == c].mean(axis=0) for c in range(cluster.max() + 1)])
    ending = [set(owner[cluster == c]) for c in range(len(centre))]
    # lines passing through a meeting point without ending there
    tree = shapely.STRtree(pieces)
    point_index, piece_index = tree.query(
        shapely.points(centre), predicate="dwithin", distance=JUNCTION_TOLERANCE_M
    )
    through = Counter(
        int(c) for c, p in zip(point_index, piece_index, strict=True) if p not in ending[c]
    )
    meeting = np.array([len(ending[c]) + 2 * through[c] for c in range(len(centre))])
    keep = meeting >= 3
    out = gpd.GeoDataFrame(
        {"lines_meeting": meeting[keep]},
        geometry=gpd.points_from_xy(centre[keep, 0], centre[keep, 1]),
        crs=METRIC_CRS,
    ).to_crs("EPSG:4326")
    out.insert(0, "lat", out.geometry.y)
    out.insert(1, "lon", out.geometry.x)
    return out.reset_index(drop=True)


def junctions_on(proxies: gpd.GeoDataFrame, lines: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The substation proxies (:func:`substation_proxies`) that one of ``lines`` passes through
    or ends at (within :data:`JUNCTION_TOLERANCE_M`): those a campus on one of these lines can
    connect to at the lines' voltage."""
    if len(proxies) == 0 or len(lines) == 0:
        return proxies.iloc[:0]
    metric = lines.to_crs(METRIC_CRS).geometry.values
    tree = shapely.STRtree(metric)
    found, _ = tree.query(
        proxies.to_crs(METRIC_CRS).geometry.values, predicate="dwithin",
        distance=JUNCTION_TOLERANCE_M,
    )  # fmt: skip
    return proxies.iloc[np.unique(found)]


def nearest(points: gpd.GeoDataFrame, targets: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Distance (km) from each point to the nearest target point, and that target's position."""
    if len(targets) == 0:
        return np.full(len(points), np.inf), np.full(len(points), -1)
    p = points.to_crs(METRIC_CRS).geometry
    t = targets.to_crs(METRIC_CRS).geometry
    distance_m, index = cKDTree(np.column_stack([t.x, t.y])).query(np.column_stack([p.x, p.y]))
    return distance_m / 1000.0, index


def locate(
    points: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    state_codes: dict[str, str],
    max_gap_km: float = 0.0,
) -> pd.DataFrame:
    """County (FIPS and name), state (USPS code) and ReEDS zone of each point (None outside).

    ``state_codes`` maps 2-digit state FIPS codes to USPS codes. A point in no polygon of a
    layer takes the nearest one within ``max_gap_km`` (module docstring)."""
    out = pd.DataFrame(index=points.index)
    metric = points[["geometry"]].to_crs(METRIC_CRS)
    for layer, columns in ((counties, {"fips": "county_fips", "name": "county"}),
                           (zones, {"rb": "reeds_zone"})):  # fmt: skip
        shapes = layer[[*columns, "geometry"]].to_crs(METRIC_CRS)
        joined = gpd.sjoin(metric, shapes, predicate="within", how="left")
        joined = joined[~joined.index.duplicated()]  # a point on a shared border: the first
        first = next(iter(columns))
        outside = joined[first].isna()
        if max_gap_km > 0 and outside.any():
            near = gpd.sjoin_nearest(
                metric[outside.to_numpy()], shapes, how="left", max_distance=max_gap_km * 1000.0
            )
            near = near[~near.index.duplicated()]
            joined.loc[near.index, list(columns)] = near[list(columns)].to_numpy()
        for source, target in columns.items():
            values = [v if isinstance(v, str) else None for v in joined[source]]
            out[target] = pd.Series(values, index=out.index, dtype=object)
    state = [state_codes.get(f[:2]) if f else None for f in out["county_fips"]]
    out["state"] = pd.Series(state, index=out.index, dtype=object)
    return out


INDEPENDENT_CITIES = ("24510", "29510", "32510")
"""County-equivalent cities outside Virginia (Baltimore, St. Louis, Carson City); Virginia's
are its FIPS codes 51510 and above."""


def place_name(county: str | None, county_fips: str | None, state: str | None) -> str | None:
    """A county as people name it, with its state: "Maricopa County, AZ", "Caddo Parish, LA",
    "Richmond city, VA", "Carson City, NV", "District of Columbia, DC" (None without a
    county)."""
    if not county or not county_fips or not state:
        return None
    if county_fips == "11001":
        kind = ""
    elif county_fips.startswith("22"):
        kind = " Parish"
    elif county_fips in INDEPENDENT_CITIES or (county_fips[:2] == "51" and county_fips >= "51510"):
        kind = "" if county.endswith(" City") else " city"
    else:
        kind = " County"
    return f"{county}{kind}, {state}"


def slug(text: str) -> str:
    """Lower-case ASCII words joined by hyphens, for ids: "Doña Ana" -> ``dona-ana``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _county_key(names: pd.Series) -> pd.Series:
    """County names for matching: no case, dots, accents or "County"/"Parish" suffix."""
    text = names.astype("string").str.normalize("NFKD").str.encode("ascii", "ignore")
    text = text.str.decode("ascii").str.strip().str.lower().str.replace(".", "", regex=False)
    text = text.str.replace(r"\s+(county|parish)$", "", regex=True)
    return text.astype(object).where(text.notna(), None)


def time_to_power(
    places: pd.DataFrame,
    queue: pd.DataFrame,
    since_year: int = 2015,
    min_records: int = MIN_QUEUE_RECORDS,
) -> pd.DataFrame:
    """Median years from queue entry to agreement or online of the requests nearest to each
    place: its county, else its state, else its queue region (see the module docstring).

    ``places`` has columns ``county``, ``state`` (USPS) and ``queue_region``; returns columns
    ``time_to_power_years``, ``time_to_power_level`` (one of :data:`TIME_TO_POWER_LEVELS`) and
    ``time_to_power_records`` on the same index.
    """
    q = queue[queue["q_date"].dt.year >= since_year].copy()
    q["years"] = (q["on_date"].fillna(q["ia_date"]) - q["q_date"]).dt.days / 365.25
    q = q[q["years"] > 0]
    q["county"] = _county_key(q["county_1"])
    by_level = {
        "county": q.groupby(["state", "county"])["years"].agg(["median", "size"]),
        "state": q.groupby("state")["years"].agg(["median", "size"]),
        "queue_region": q.groupby("region", observed=True)["years"].agg(["median", "size"]),
    }
    keys = {
        "county": list(zip(places["state"], _county_key(places["county"]), strict=True)),
        "state": list(places["state"]),
        "queue_region": list(places["queue_region"]),
    }
    out = pd.DataFrame(
        {"time_to_power_years": np.nan, "time_to_power_level": None,
         "time_to_power_records": 0}, index=places.index,
    )  # fmt: skip
    for level in TIME_TO_POWER_LEVELS:
        table = by_level[level]
        figures = table.reindex(pd.Index(keys[level], tupleize_cols=level == "county"))
        enough = (figures["size"] >= (min_records if level != "queue_region" else 1)).to_numpy()
        todo = out["time_to_power_level"].isna().to_numpy() & enough
        out.loc[todo, "time_to_power_years"] = figures["median"].to_numpy()[todo]
        out.loc[todo, "time_to_power_level"] = level
        out.loc[todo, "time_to_power_records"] = figures["size"].to_numpy()[todo].astype(int)
    return out


PLANT_MIN_CAPACITY_MW = 500.0
"""Plants this large or larger (operating capacity) are co-location candidates."""
COLOCATION_SHARE_PCT = 40.0
"""Share of a plant's capacity a co-located campus may take at the plant's connection, %.

Basis: the first large co-location deal, Talen Energy's sale to AWS (March 2024) of the Cumulus
campus beside the 2.5 GW Susquehanna nuclear plant with up to 960 MW of its output (about
38 %); FERC rejected (1 Nov 2024, docket ER24-2172) the amended interconnection agreement that
would have raised the co-located load there from 300 to 480 MW, and opened a show-cause
proceeding on co-location in PJM (20 Feb 2025, docket EL25-49), so the share a plant can give
is contested and a scenario should treat this as an upper bound."""

COLOCATION_TIME_TO_POWER_YEARS = 1.5
"""Years until a campus at an existing plant's connection gets power.

Basis: the same Susquehanna case. Cumulus Data broke ground on its campus beside the plant on
30 September 2021 as an 18-month project; in January 2023 the powered shell of its first 48 MW
building was complete and TeraWulf's Nautilus cryptomine on the campus was starting to mine
(50 MW expected in the first quarter of 2023), both fed directly from the plant: about 1.5
years from the start of construction to power. A new connection's figure from the queue
(:func:`time_to_power`) counts from the request to the agreement or online date, so it holds
the interconnection studies and the network upgrades a campus behind an existing connection
does not wait for. One case, so a rule of thumb; :func:`colocation_time_to_power` never makes
co-location slower than a new connection at the same place."""
COLOCATION_LEVEL = "colocation"
"""``time_to_power_level`` of a figure that is :data:`COLOCATION_TIME_TO_POWER_YEARS`."""


def colocation_time_to_power(new_connection: pd.DataFrame) -> pd.DataFrame:
    """Time to power of campuses at plants, from that of a new connection at the same places
    (:func:`time_to_power`): :data:`COLOCATION_TIME_TO_POWER_YEARS` with level
    :data:`COLOCATION_LEVEL` (0 queue records), or the place's own figure where that is shorter
    (it keeps its level and records)."""
    out = new_connection.copy()
    rule = ~(out["time_to_power_years"] < COLOCATION_TIME_TO_POWER_YEARS)
    out.loc[rule, "time_to_power_years"] = COLOCATION_TIME_TO_POWER_YEARS
    out.loc[rule, "time_to_power_level"] = COLOCATION_LEVEL
    out.loc[rule, "time_to_power_records"] = 0
    return out


def plant_candidates(
    generators: pd.DataFrame, min_capacity_mw: float = PLANT_MIN_CAPACITY_MW
) -> gpd.GeoDataFrame:
    """Existing plants of at least ``min_capacity_mw`` of operating generators (EIA-860 2022),
    one row per plant: ``plant_id_eia, name, state, ba_code, technology`` (that of most of its
    capacity), ``capacity_mw``, ``lat, lon`` and Point geometry (EPSG:4326). Plants without
    coordinates are left out."""
    operating = generators[(generators["status"] == "OP") & generators["latitude"].notna()]
    by_tech = operating.groupby(["plant_id_eia", "tech_type"])["capacity_mw"].sum()
    main_tech = by_tech.sort_values(ascending=False).reset_index().drop_duplicates("plant_id_eia")
    plants = operating.groupby("plant_id_eia").agg(
        name=("plant_name_eia", "first"),
        state=("state", "first"),
        ba_code=("ba_code", "first"),
        capacity_mw=("capacity_mw", "sum"),
        lat=("latitude", "first"),
        lon=("longitude", "first"),
    )
    plants["technology"] = main_tech.set_index("plant_id_eia")["tech_type"]
    plants = plants[plants["capacity_mw"] >= min_capacity_mw].reset_index()
    plants = plants.sort_values("capacity_mw", ascending=False, ignore_index=True)
    columns = ["plant_id_eia", "name", "state", "ba_code", "technology", "capacity_mw"]
    return gpd.GeoDataFrame(
        plants[[*columns, "lat", "lon"]],
        geometry=gpd.points_from_xy(plants["lon"], plants["lat"]),
        crs="EPSG:4326",
    )
