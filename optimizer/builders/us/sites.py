"""Candidate sites from real data: campus candidates along high-voltage lines and at large
existing plants, edge sites at the largest metros and at existing data-center clusters. Every
candidate is its own site row (``count`` 1) with its own place, PUE, time to power and spur.

Line candidates (``kind`` ``line``)
    HIFLD lines of a voltage class (``345+``: 345, 500 and 735 kV and above; ``220-287``) are
    merged where the published pieces meet end to end (they were cut at map-tile edges),
    projected to an equal-area metric CRS (EPSG:5070), and sampled one point per
    ``build.campus_spacing_km`` of line at the middle of each stretch. Points closer than half
    the spacing to an already kept point of the same class (parallel circuits) are dropped.
    Each point gets the BA whose polygon holds it; points outside the chosen BAs are dropped.
    ``line`` names the line a point lies on: its class and the index of its merged section
    (the mirror's lines carry no id, owner or name). Grid figures (``interconnect_mw``,
    ``interconnect_upgrade_max_mw``, ``site_max_mw``) are those of its class
    (``build.campus_classes``).

    Connection: a campus connects to the nearest existing substation that has its voltage: for
    a ``345+`` candidate the nearest junction on a line of 345 kV or more, for a ``220-287``
    candidate the nearest junction of any 220 kV+ AC lines (a substation of a higher class has
    the lower voltage too, or takes a transformer the campus needs anyway; some 230 kV lines in
    345 kV grids such as ERCOT's meet no other 230 kV line for hundreds of km)
    (:func:`~.places.substation_proxies`, :func:`~.places.junctions_on`), ``substation_km``
    away, by a spur of that length
    (``spur_km`` = ``substation_km``; ``spur_capex_usd_per_mw`` = ``spur_km`` x
    ``build.spur_capex_usd_per_mw_km``). The other way, tapping the line the candidate sits on
    through a new switching substation, needs almost no spur but a new high-voltage substation,
    the line owner's consent and its own studies; the cost data hold no sourced figure for such
    a substation and the queue data do not tell its delay apart, so a tap would be priced at its
    short spur alone and every point of a line would look as good as one beside a substation,
    which is what individual candidates are meant to tell apart. The spur to the existing
    substation is chosen: it prices the connection from what the data show, and it overstates
    the cost only where a tap would be cheaper (long lines far from any junction), which errs
    against far candidates rather than for them.

Plant candidates (``kind`` ``plant``: co-location)
    Every existing plant of at least :data:`~.places.PLANT_MIN_CAPACITY_MW` of operating units
    (EIA-860 2022, :func:`~.places.plant_candidates`) in the polygon of a chosen BA. The plant's
    BA is the BA whose polygon holds it, as for lines (EIA's own ``ba_code`` of the plant is
    kept in the candidate table): a campus there draws the plant's output at the plant's
    existing point of interconnection, so ``interconnect_mw`` is
    :data:`~.places.COLOCATION_SHARE_PCT` of the plant's capacity, with no upgrade beyond that
    share (``interconnect_upgrade_max_mw`` 0), no new spur (``spur_km`` 0) and ``site_max_mw``
    equal to that share. Its load still counts against that BA's stranded power, like any
    campus's (the model limits the sites' grid import per ``region``): co-location moves supply
    to the campus, it does not create it. Its time to power is shorter than a new connection's
    (:func:`~.places.colocation_time_to_power`).

Edge candidates (``kind`` ``metro`` or ``datacenter_cluster``)
    The principal city of each of the ``n_metros`` largest metros, and the centre of each cluster
    of at least ``cluster_min_count`` existing data centers within ``cluster_km`` of one another
    (a cluster within 10 km of a metro city is that city). Their spur is the distance to the
    nearest line of 220 kV or more.

Place
    Every candidate's county, state, ReEDS zone and name (``place``, e.g. "Maricopa County,
    AZ") come from :func:`~.places.locate`.

PUE (climate rule)
    ``pue = pue_base + pue_per_degree_south * max(0, pue_reference_lat - lat)`` at the site's
    own latitude, rounded to :data:`PUE_DECIMALS` decimals: cooling needs grow toward the hot,
    humid south, and PUE is an annual figure quoted to two decimals. Campus candidates with
    equal region and PUE share one hourly operation in the model, which keeps the model small
    (a candidate allowed storage, ``build.campus_storage``, carries its own). A scenario may set
    one constant instead.

Time to power
    Campus candidates: the median years from queue entry to agreement or online of the LBNL
    queue requests in the candidate's county, else its state, else its queue region, with the
    level used and the number of requests (``time_to_power_level``,
    ``time_to_power_records``; :func:`~.places.time_to_power`); plants: the co-location rule.
    Edge candidates: the median of their BA's queue region (:func:`time_to_power_by_region`,
    written to the run). A BA's queue region comes from ``data/queue_regions.csv``: each of the
    seven ISOs is its own BA; any other BA is in LBNL's non-ISO West if most of its generating
    capacity (EIA-860 2022 generators, the mirror's ``grid/eia_generators_2022_pypsa_usa.csv.gz``)
    is in NERC's WECC (the Western Interconnection), else in the non-ISO Southeast.

Site ids
    Readable and stable for the same data and settings: ``campus-<BA>-<county>-<state>-<nn>``
    for line candidates (numbered from west to east within a BA and county), e.g.
    ``campus-PNM-bernalillo-nm-03``, and ``plant-<EIA plant id>-<plant name>`` for plants, e.g.
    ``plant-6008-palo-verde``; edge sites ``edge-<CBSA code>`` and ``edge-dc<nnn>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from optimizer.builders.us import places as pl
from optimizer.errors import InputError
from optimizer.inputs.project import PROJECT_DATA_DIR

METRIC_CRS = "EPSG:5070"  # CONUS Albers equal area, metres
VOLTAGE_CLASSES = {"345+": ("345", "500", "735 AND ABOVE"), "220-287": ("220-287",)}
QUEUE_REGIONS = PROJECT_DATA_DIR / "queue_regions.csv"
"""Queue region (LBNL Queued Up) of a BA: an ISO's own BA by its code, any other by the NERC
region of most of its generating capacity (:func:`ba_queue_regions`)."""
PUE_DECIMALS = 2
"""PUE is an annual figure quoted to two decimals (module docstring)."""
PLACE_MAX_GAP_KM = 5.0
"""A candidate in no county or ReEDS zone polygon takes the nearest within this distance (the
layers are drawn at different precisions than the BA polygons)."""
CANDIDATE_COLUMNS = [
    "site", "kind", "region", "lat", "lon", "place", "county", "county_fips", "state",
    "reeds_zone", "voltage_class", "line", "plant", "plant_id_eia", "plant_capacity_mw",
    "plant_technology", "plant_ba_code", "pue", "time_to_power_years", "time_to_power_level",
    "time_to_power_records", "substation_km", "spur_km", "spur_capex_usd_per_mw",
    "interconnect_mw", "interconnect_upgrade_max_mw", "site_max_mw", "count", "campus_allowed",
    "edge_allowed", "storage_allowed",
]  # fmt: skip
"""Columns of the campus candidate table (:func:`campus_rows`; the run's
``campus_candidates.csv``); those the scenario's sites table declares go into ``sites.csv``."""


def _sample_line(line: shapely.LineString, spacing_m: float) -> list[shapely.Point]:
    n = max(1, int(round(line.length / spacing_m)))
    step = line.length / n
    return [line.interpolate((i + 0.5) * step) for i in range(n)]


def _thin(points: np.ndarray, min_dist_m: float) -> np.ndarray:
    """Greedy thinning: keep a point unless a kept point lies within ``min_dist_m``."""
    tree = cKDTree(points)
    keep = np.ones(len(points), dtype=bool)
    for i in range(len(points)):
        if not keep[i]:
            continue
        for j in tree.query_ball_point(points[i], min_dist_m):
            if j > i:
                keep[j] = False
    return keep


def line_candidates(
    lines: gpd.GeoDataFrame,
    ba_polygons: gpd.GeoDataFrame,
    bas: Sequence[str],
    spacing_km: float,
    classes: Sequence[str] = tuple(VOLTAGE_CLASSES),
) -> gpd.GeoDataFrame:
    """Campus candidate points along the lines of each voltage class, in the given BAs.

    Returns columns ``region, voltage_class, line, lat, lon`` and Point geometry (EPSG:4326),
    sorted by region and class; ``line`` is the class and index of the merged line section the
    point lies on (module docstring).
    """
    spacing_m = spacing_km * 1000.0
    polygons = ba_polygons[ba_polygons["ba"].isin(bas)].to_crs(METRIC_CRS)[["ba", "geometry"]]
    columns = ["region", "voltage_class", "line", "lat", "lon", "geometry"]
    frames = []
    for voltage_class in classes:
        if voltage_class not in VOLTAGE_CLASSES:
            raise InputError(
                f"unknown voltage class {voltage_class!r}; known: {list(VOLTAGE_CLASSES)}"
            )
        chosen = lines[lines["volt_class"].isin(VOLTAGE_CLASSES[voltage_class])].to_crs(METRIC_CRS)
        merged = shapely.line_merge(shapely.union_all(chosen.geometry.values))
        parts = list(getattr(merged, "geoms", [merged]))
        sampled = [(p, k) for k, part in enumerate(parts) for p in _sample_line(part, spacing_m)]
        if not sampled:
            continue
        xy = np.array([(p.x, p.y) for p, _ in sampled])
        section = np.array([k for _, k in sampled])
        keep = _thin(xy, spacing_m / 2)
        xy, section = xy[keep], section[keep]
        gdf = gpd.GeoDataFrame(
            {"voltage_class": [voltage_class] * len(xy),
             "line": [f"{voltage_class} kV section {k}" for k in section]},
            geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
            crs=METRIC_CRS,
        )  # fmt: skip
        gdf = gpd.sjoin(gdf, polygons, predicate="within", how="inner")
        frames.append(gdf.drop(columns="index_right").rename(columns={"ba": "region"}))
    if not frames:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs="EPSG:4326")
    out = pd.concat(frames, ignore_index=True).to_crs("EPSG:4326")
    out = out.sort_values(["region", "voltage_class"], kind="stable", ignore_index=True)
    out["lat"], out["lon"] = out.geometry.y, out.geometry.x
    return out[columns]


def plant_sites(
    plants: gpd.GeoDataFrame, ba_polygons: gpd.GeoDataFrame, bas: Sequence[str]
) -> gpd.GeoDataFrame:
    """The plants of :func:`~.places.plant_candidates` inside the chosen BAs' polygons, each
    with the BA of the polygon holding it (``region``; EIA's ``ba_code`` is kept)."""
    region = assign_region(plants, ba_polygons, bas)
    out = plants.assign(region=region)
    return out[out["region"].notna()].reset_index(drop=True)


def distance_to_lines_km(points: gpd.GeoDataFrame, lines: gpd.GeoDataFrame) -> np.ndarray:
    """Distance (km) from each point to the nearest of the given lines."""
    p = points.to_crs(METRIC_CRS)
    ln = lines.to_crs(METRIC_CRS)
    joined = gpd.sjoin_nearest(p[["geometry"]], ln[["geometry"]], distance_col="d_m")
    d_m = joined.groupby(level=0)["d_m"].min().reindex(p.index)
    return d_m.to_numpy() / 1000.0


def datacenter_clusters(
    datacenters: gpd.GeoDataFrame, cluster_km: float, min_count: int
) -> gpd.GeoDataFrame:
    """Clusters of existing data centers: any two within ``cluster_km`` share a cluster.

    Returns columns ``cluster, n_datacenters, sqft, lat, lon`` and a Point at the centre.
    """
    metric = datacenters.to_crs(METRIC_CRS)
    xy = np.column_stack([metric.geometry.x, metric.geometry.y])
    graph = nx.Graph()
    graph.add_nodes_from(range(len(xy)))
    graph.add_edges_from(cKDTree(xy).query_pairs(cluster_km * 1000.0))
    rows = []
    for members in nx.connected_components(graph):
        if len(members) < min_count:
            continue
        idx = sorted(members)
        centre = xy[idx].mean(axis=0)
        rows.append(
            {"n_datacenters": len(idx), "sqft": float(np.nansum(datacenters["sqft"].iloc[idx])),
             "x": centre[0], "y": centre[1]}
        )  # fmt: skip
    frame = pd.DataFrame(rows, columns=["n_datacenters", "sqft", "x", "y"])
    frame = frame.sort_values("n_datacenters", ascending=False, ignore_index=True)
    gdf = gpd.GeoDataFrame(
        frame.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(frame["x"], frame["y"]),
        crs=METRIC_CRS,
    ).to_crs("EPSG:4326")  # fmt: skip
    gdf.insert(0, "cluster", [f"dc{i:03d}" for i in range(len(gdf))])
    gdf["lat"], gdf["lon"] = gdf.geometry.y, gdf.geometry.x
    return gdf


def assign_region(points: gpd.GeoDataFrame, ba_polygons: gpd.GeoDataFrame, bas: Sequence[str]):
    """The BA whose polygon holds each point (NaN outside the chosen BAs)."""
    polygons = ba_polygons[ba_polygons["ba"].isin(bas)][["ba", "geometry"]]
    joined = gpd.sjoin(points[["geometry"]], polygons, predicate="within", how="left")
    return joined.groupby(level=0)["ba"].first().reindex(points.index)


def edge_candidates(
    metros: gpd.GeoDataFrame,
    datacenters: gpd.GeoDataFrame,
    ba_polygons: gpd.GeoDataFrame,
    bas: Sequence[str],
    n_metros: int,
    cluster_km: float,
    cluster_min_count: int,
) -> gpd.GeoDataFrame:
    """Edge candidate sites: principal cities of the largest metros, then data-center clusters
    not within 10 km of one of those cities; only those inside the chosen BAs.

    Returns columns ``site, kind, name, region, lat, lon`` and Point geometry.
    """
    top = metros.head(n_metros)
    cities = gpd.GeoDataFrame(
        {"site": [f"edge-{c}" for c in top["cbsa"]], "kind": ["metro"] * len(top),
         "name": top["principal_city"] + ", " + top["principal_state"]},
        geometry=top.geometry.values, crs="EPSG:4326",
    )  # fmt: skip
    clusters = datacenter_clusters(datacenters, cluster_km, cluster_min_count)
    if len(clusters):
        dist = cKDTree(
            np.column_stack(
                [cities.to_crs(METRIC_CRS).geometry.x, cities.to_crs(METRIC_CRS).geometry.y]
            )
        ).query(
            np.column_stack(
                [clusters.to_crs(METRIC_CRS).geometry.x, clusters.to_crs(METRIC_CRS).geometry.y]
            )
        )[0]
        clusters = clusters[dist > 10_000.0]
    dcs = gpd.GeoDataFrame(
        {"site": "edge-" + clusters["cluster"], "kind": ["datacenter_cluster"] * len(clusters),
         "name": clusters["n_datacenters"].astype(str) + " data centers"},
        geometry=clusters.geometry.values, crs="EPSG:4326",
    )  # fmt: skip
    sites = pd.concat([cities, dcs], ignore_index=True)
    sites["region"] = assign_region(sites, ba_polygons, bas)
    sites = sites[sites["region"].notna()].reset_index(drop=True)
    sites["lat"], sites["lon"] = sites.geometry.y, sites.geometry.x
    return sites[["site", "kind", "name", "region", "lat", "lon", "geometry"]]


def pue_from_latitude(
    lat, base: float, per_degree_south: float, reference_lat: float, decimals: int = PUE_DECIMALS
) -> np.ndarray:
    """Climate rule: ``base + per_degree_south * max(0, reference_lat - lat)``, rounded to
    ``decimals`` decimals (module docstring)."""
    south = np.maximum(0.0, reference_lat - np.asarray(lat, dtype=float))
    return np.round(base + per_degree_south * south, decimals)


def time_to_power_by_region(queue: pd.DataFrame, since_year: int = 2015) -> pd.DataFrame:
    """Median years from queue entry to online (or agreement) per queue region.

    Returns columns ``queue_region, requests, online, agreement_only, median_years``.
    """
    q = queue[queue["q_date"].dt.year >= since_year].copy()
    q["end"] = q["on_date"].fillna(q["ia_date"])
    q["years"] = (q["end"] - q["q_date"]).dt.days / 365.25
    q = q[q["years"] > 0]
    grouped = q.groupby("region", observed=True)
    out = pd.DataFrame(
        {
            "requests": grouped.size(),
            "online": grouped["on_date"].count(),
            "median_years": grouped["years"].median(),
        }
    )
    out["agreement_only"] = out["requests"] - out["online"]
    out = out.reset_index().rename(columns={"region": "queue_region"})
    return out[["queue_region", "requests", "online", "agreement_only", "median_years"]]


def ba_nerc_regions(generators: pd.DataFrame) -> dict[str, str]:
    """The NERC region holding most of each BA's generating capacity (``ba_code``,
    ``nerc_region``, ``capacity_mw`` of the EIA-860 generators)."""
    known = generators.dropna(subset=["ba_code", "nerc_region"])
    by_region = known.groupby(["ba_code", "nerc_region"])["capacity_mw"].sum()
    largest = by_region.sort_values(ascending=False, kind="stable").reset_index()
    largest = largest.drop_duplicates("ba_code")
    return dict(zip(largest["ba_code"], largest["nerc_region"], strict=True))


def ba_queue_regions(
    bas: Sequence[str], generators: pd.DataFrame, path: str | Path = QUEUE_REGIONS
) -> pd.DataFrame:
    """Queue region of each BA (:data:`QUEUE_REGIONS`): ``ba, queue_region, basis``."""
    rules = pd.read_csv(path, dtype=str)
    by_ba = rules[rules["match"] == "ba"].set_index("value")["queue_region"]
    by_nerc = rules[rules["match"] == "nerc_region"].set_index("value")["queue_region"]
    nerc = ba_nerc_regions(generators)
    rows, unknown = [], []
    for ba in bas:
        if ba in by_ba.index:
            rows.append((ba, by_ba[ba], "ISO"))
        elif nerc.get(ba) in by_nerc.index:
            rows.append((ba, by_nerc[nerc[ba]], f"NERC region {nerc[ba]} (EIA-860 generators)"))
        else:
            unknown.append(f"{ba} (NERC region {nerc.get(ba, 'unknown: no generators')})")
    if unknown:
        raise InputError(f"{path}: no queue region for BA(s) {', '.join(unknown)}")
    return pd.DataFrame(rows, columns=["ba", "queue_region", "basis"])


def ba_time_to_power(
    bas: Sequence[str], by_region: pd.DataFrame, queue_region: Mapping[str, str]
) -> dict[str, float]:
    """Years to power per BA from the median of its queue region (``queue_region`` by BA)."""
    years = dict(zip(by_region["queue_region"], by_region["median_years"], strict=True))
    missing = [ba for ba in bas if queue_region.get(ba) not in years]
    if missing:
        raise InputError(f"no interconnection-queue figures for BA(s) {missing}")
    return {ba: float(years[queue_region[ba]]) for ba in bas}


def campus_points(lines_points: gpd.GeoDataFrame, plants: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Line candidates (:func:`line_candidates`) and plant candidates (:func:`plant_sites`) in
    one frame: ``kind`` (``line`` or ``plant``), ``region, lat, lon, voltage_class, line,
    plant`` (its name), ``plant_id_eia, plant_capacity_mw, plant_technology, plant_ba_code``
    (empty for lines) and Point geometry (EPSG:4326)."""
    on_lines = pd.DataFrame(
        {"kind": "line", "region": lines_points["region"], "lat": lines_points["lat"],
         "lon": lines_points["lon"], "voltage_class": lines_points["voltage_class"],
         "line": lines_points["line"], "plant": "", "plant_id_eia": pd.NA,
         "plant_capacity_mw": np.nan, "plant_technology": "", "plant_ba_code": ""}
    )  # fmt: skip
    at_plants = pd.DataFrame(
        {"kind": "plant", "region": plants["region"], "lat": plants["lat"], "lon": plants["lon"],
         "voltage_class": "", "line": "", "plant": plants["name"],
         "plant_id_eia": plants["plant_id_eia"], "plant_capacity_mw": plants["capacity_mw"],
         "plant_technology": plants["technology"],
         "plant_ba_code": plants["ba_code"].fillna("")}
    )  # fmt: skip
    frame = pd.concat([on_lines, at_plants], ignore_index=True)
    frame["plant_id_eia"] = frame["plant_id_eia"].astype("Int64")
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326"
    )


def place_figures(
    points: gpd.GeoDataFrame,
    lines: gpd.GeoDataFrame,
    proxies: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    state_codes: dict[str, str],
    queue: pd.DataFrame,
    queue_region: Mapping[str, str],
) -> pd.DataFrame:
    """What each campus point's place offers (module docstring): ``county_fips, county, state,
    place, reeds_zone``, ``substation_km`` (to the nearest junction on a 345 kV+ line for a
    ``345+`` point; for the others, to the nearest junction of any 220 kV+ AC lines) and
    ``time_to_power_years, time_to_power_level, time_to_power_records`` (plants: the
    co-location rule). ``proxies`` are the substation proxies of ``lines``
    (:func:`~.places.substation_proxies`); ``queue_region`` maps each BA to its queue region."""
    out = pl.locate(points, counties, zones, state_codes, max_gap_km=PLACE_MAX_GAP_KM)
    out["place"] = [
        pl.place_name(c, f, s)
        for c, f, s in zip(out["county"], out["county_fips"], out["state"], strict=True)
    ]
    ac = lines[~lines["is_dc"]]
    substation_km = pl.nearest(points, proxies)[0]
    high = ((points["kind"] == "line") & (points["voltage_class"] == "345+")).to_numpy()
    if high.any():
        junctions = pl.junctions_on(proxies, ac[ac["volt_class"].isin(VOLTAGE_CLASSES["345+"])])
        substation_km[high] = pl.nearest(points[high], junctions)[0]
    out["substation_km"] = substation_km
    plant = (points["kind"] == "plant").to_numpy()
    asked = out[["county", "state"]].assign(queue_region=points["region"].map(queue_region))
    ttp = pl.time_to_power(asked, queue)
    ttp.loc[plant] = pl.colocation_time_to_power(ttp.loc[plant])
    return pd.concat([out, ttp], axis=1)


def campus_rows(
    points: gpd.GeoDataFrame,
    figures: pd.DataFrame,
    classes: Mapping[str, Mapping[str, float]],
    pue: Callable[[np.ndarray], np.ndarray],
    spur_capex_usd_per_mw_km: float,
    storage_allowed: bool,
) -> pd.DataFrame:
    """One site row per campus candidate (:data:`CANDIDATE_COLUMNS`): ``points`` of
    :func:`campus_points` with their :func:`place_figures`, the grid figures of their voltage
    class (``classes``: ``interconnect_mw, interconnect_upgrade_max_mw, site_max_mw``; lines of
    a class not in it are left out) or of co-location, ``pue`` of their latitudes, the spur and
    its cost, and ids (module docstring)."""
    frame = pd.concat([pd.DataFrame(points.drop(columns="geometry")), figures], axis=1)
    line = frame["kind"] == "line"
    frame = frame[~line | frame["voltage_class"].isin(list(classes))].copy()
    line = frame["kind"] == "line"
    for column in ("interconnect_mw", "interconnect_upgrade_max_mw", "site_max_mw"):
        by_class = {c: float(cfg[column]) for c, cfg in classes.items()}
        frame[column] = frame["voltage_class"].map(by_class).astype(float)
    share = frame["plant_capacity_mw"] * pl.COLOCATION_SHARE_PCT / 100.0
    frame.loc[~line, "interconnect_mw"] = share[~line]
    frame.loc[~line, "interconnect_upgrade_max_mw"] = 0.0
    frame.loc[~line, "site_max_mw"] = share[~line]
    frame["spur_km"] = np.where(line, frame["substation_km"], 0.0)
    frame["spur_capex_usd_per_mw"] = frame["spur_km"] * spur_capex_usd_per_mw_km
    frame["pue"] = pue(frame["lat"].to_numpy())
    frame["count"] = 1
    frame["campus_allowed"] = True
    frame["edge_allowed"] = False
    frame["storage_allowed"] = storage_allowed
    frame["site"] = _campus_ids(frame)
    frame = frame.sort_values(["region", "kind", "site"], kind="stable", ignore_index=True)
    return frame[CANDIDATE_COLUMNS]


def _campus_ids(frame: pd.DataFrame) -> pd.Series:
    """``campus-<BA>-<county>-<state>-<nn>`` (numbered west to east within a BA and county) and
    ``plant-<EIA id>-<name>``."""
    ids = pd.Series("", index=frame.index, dtype=object)
    plant = frame["kind"] == "plant"
    ids[plant] = [
        f"plant-{int(i)}-{pl.slug(n)}"
        for i, n in zip(frame.loc[plant, "plant_id_eia"], frame.loc[plant, "plant"], strict=True)
    ]
    lines = frame[~plant].copy()
    lines["where"] = [
        f"{pl.slug(c)}-{s.lower()}" if isinstance(c, str) and isinstance(s, str) else "unplaced"
        for c, s in zip(lines["county"], lines["state"], strict=True)
    ]
    lines = lines.sort_values(["region", "where", "lon", "lat"], kind="stable")
    for (region, where), group in lines.groupby(["region", "where"], sort=False):
        width = max(2, len(str(len(group))))
        numbers = range(1, len(group) + 1)
        ids[group.index] = [f"campus-{region}-{where}-{n:0{width}d}" for n in numbers]
    return ids
