"""Candidate sites from real data: campus points along high-voltage lines, edge sites at the
largest metros and at existing data-center clusters, each with its BA, grid figures, spur
distance, PUE and time to power.

Campus candidates
    HIFLD lines of a voltage class (``345+``: 345, 500 and 735 kV and above; ``220-287``) are
    merged where the published pieces meet (they were cut at map-tile edges), projected to an
    equal-area metric CRS (EPSG:5070), and sampled one point per ``spacing_km`` of line at the
    middle of each stretch. Points closer than ``spacing_km / 2`` to an already kept point of the
    same class (parallel circuits) are dropped. Each point gets the BA whose polygon holds it;
    points outside the chosen BAs are dropped. Candidates sit on the line they tap, so their
    spur is the short tap to a new substation (``campus_spur_km``).

    Points of one BA and one class are identical to the model (same grid figures, PUE, time to
    power and prices), so they form one *group* row with ``count`` = the number of points: the
    model chooses how many campuses of each block size go to a group, which is exact and far
    smaller than a binary per point (symmetry removed). The points themselves are kept for maps.

Edge candidates
    The principal city of each of the ``n_metros`` largest metros, and the centre of each cluster
    of at least ``cluster_min_count`` existing data centers within ``cluster_km`` of one another
    (a cluster within 10 km of a metro city is that city). Their spur is the distance to the
    nearest line of 220 kV or more.

PUE (climate rule)
    ``pue = pue_base + pue_per_degree_south * max(0, pue_reference_lat - lat)``: cooling needs grow
    toward the hot, humid south; campus groups use the latitude of their BA's polygon centre so
    that a group is one climate. A scenario may set one constant instead.

Time to power
    From the LBNL queue: for requests entered since ``since_year`` with an online date (or, if
    not online, an interconnection agreement date), the median years from queue entry to that
    date in the queue region holding the BA. The figures per region are written to the run.
    A BA's queue region comes from ``data/queue_regions.csv``: each of the seven ISOs is its own
    BA; any other BA is in LBNL's non-ISO West if most of its generating capacity (EIA-860 2022
    generators, the mirror's ``grid/eia_generators_2022_pypsa_usa.csv.gz``) is in NERC's WECC
    (the Western Interconnection), else in the non-ISO Southeast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from optimizer.errors import InputError
from optimizer.inputs.project import PROJECT_DATA_DIR

METRIC_CRS = "EPSG:5070"  # CONUS Albers equal area, metres
VOLTAGE_CLASSES = {"345+": ("345", "500", "735 AND ABOVE"), "220-287": ("220-287",)}
QUEUE_REGIONS = PROJECT_DATA_DIR / "queue_regions.csv"
"""Queue region (LBNL Queued Up) of a BA: an ISO's own BA by its code, any other by the NERC
region of most of its generating capacity (:func:`ba_queue_regions`)."""


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

    Returns columns ``candidate, region, voltage_class, lat, lon`` and Point geometry (EPSG:4326).
    """
    spacing_m = spacing_km * 1000.0
    polygons = ba_polygons[ba_polygons["ba"].isin(bas)].to_crs(METRIC_CRS)[["ba", "geometry"]]
    frames = []
    for voltage_class in classes:
        if voltage_class not in VOLTAGE_CLASSES:
            raise InputError(
                f"unknown voltage class {voltage_class!r}; known: {list(VOLTAGE_CLASSES)}"
            )
        chosen = lines[lines["volt_class"].isin(VOLTAGE_CLASSES[voltage_class])].to_crs(METRIC_CRS)
        merged = shapely.line_merge(shapely.union_all(chosen.geometry.values))
        parts = list(getattr(merged, "geoms", [merged]))
        points = [p for part in parts for p in _sample_line(part, spacing_m)]
        if not points:
            continue
        xy = np.array([(p.x, p.y) for p in points])
        xy = xy[_thin(xy, spacing_m / 2)]
        gdf = gpd.GeoDataFrame(
            {"voltage_class": [voltage_class] * len(xy)},
            geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
            crs=METRIC_CRS,
        )  # fmt: skip
        gdf = gpd.sjoin(gdf, polygons, predicate="within", how="inner")
        frames.append(gdf.drop(columns="index_right").rename(columns={"ba": "region"}))
    if not frames:
        return gpd.GeoDataFrame(
            columns=["candidate", "region", "voltage_class", "lat", "lon", "geometry"],
            geometry="geometry", crs="EPSG:4326",
        )  # fmt: skip
    out = pd.concat(frames, ignore_index=True).to_crs("EPSG:4326")
    out = out.sort_values(["region", "voltage_class"], kind="stable", ignore_index=True)
    out["lat"], out["lon"] = out.geometry.y, out.geometry.x
    out["candidate"] = [
        f"{r}-{c}-{i:04d}"
        for (r, c), g in out.groupby(["region", "voltage_class"], sort=False)
        for i in range(len(g))
    ]
    return out[["candidate", "region", "voltage_class", "lat", "lon", "geometry"]]


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


def pue_from_latitude(lat, base: float, per_degree_south: float, reference_lat: float):
    """Climate rule: ``base + per_degree_south * max(0, reference_lat - lat)``."""
    return base + per_degree_south * np.maximum(0.0, reference_lat - np.asarray(lat, dtype=float))


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


def ba_reference_lat(ba_polygons: gpd.GeoDataFrame, bas: Sequence[str]) -> dict[str, float]:
    """Latitude of a point inside each BA's polygon (its representative point)."""
    chosen = ba_polygons[ba_polygons["ba"].isin(bas)]
    points = chosen.geometry.representative_point()
    return dict(zip(chosen["ba"], points.y, strict=True))


def campus_groups(
    candidates: gpd.GeoDataFrame,
    classes: Mapping[str, Mapping[str, float]],
    pue_by_ba: Mapping[str, float],
    time_to_power_by_ba: Mapping[str, float],
    spur_km: float,
    spur_capex_usd_per_mw_km: float,
) -> pd.DataFrame:
    """One site row per (BA, voltage class) group of identical campus candidates.

    The row's position is the group's medoid candidate (for maps); ``count`` is the number of
    candidates. Columns follow the scenario's sites table.
    """
    rows = []
    for (region, voltage_class), group in candidates.groupby(
        ["region", "voltage_class"], sort=True
    ):
        if voltage_class not in classes:
            continue
        xy = np.column_stack([group["lon"], group["lat"]])
        medoid = int(np.argmin(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1).sum(1)))
        cfg = classes[voltage_class]
        rows.append(
            {
                "site": f"campus-{region}-{voltage_class}",
                "region": region,
                "lat": float(group["lat"].iloc[medoid]),
                "lon": float(group["lon"].iloc[medoid]),
                "count": len(group),
                "voltage_class": voltage_class,
                "interconnect_mw": cfg["interconnect_mw"],
                "interconnect_upgrade_max_mw": cfg["interconnect_upgrade_max_mw"],
                "site_max_mw": cfg["site_max_mw"],
                "pue": pue_by_ba[region],
                "time_to_power_years": time_to_power_by_ba[region],
                "spur_km": spur_km,
                "spur_capex_usd_per_mw": spur_km * spur_capex_usd_per_mw_km,
                "campus_allowed": True,
                "edge_allowed": False,
                "storage_allowed": True,
            }
        )
    return pd.DataFrame(rows)
