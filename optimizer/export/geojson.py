"""GeoJSON layers of a run (RFC 7946), one FeatureCollection per layer.

Every file follows RFC 7946: WGS84 longitude/latitude (lon before lat), no ``crs`` member,
coordinates within [-180, 180] x [-90, 90] and rounded to 6 decimals (about 0.1 m), polygon
exterior rings counter-clockwise and holes clockwise (right-hand rule), valid geometries, and only
finite numbers in properties (NaN and infinity are written as ``null``). Property names are the
column names of the result tables, so they carry their units.

Layers:

- ``sites``: every candidate site as a Point with every column of ``sites.csv`` (its decisions,
  costs and the ``built`` flag);
- ``assignments``: a LineString from each serving site to each metro it serves, with ``site``,
  ``metro``, ``served_mw`` and ``latency_ms``;
- ``metros``: metros as Points with every column of ``metros.csv`` (``inference_demand_mw``,
  ``served_mw``, ``unserved_mw`` ...);
- ``regions``: one feature per region with every column of ``regions.csv`` (stranded power
  used, firm capacity procured, the stranded-limit dual) plus ``geometry_source``:
  ``eia861_ba_polygon`` when the region is a BA code found in the EIA-861 BA polygons (then
  also ``ba_name``), otherwise
  ``approximate_hull_50km``: the convex hull of the region's candidate sites and the metros they
  serve, buffered by 50 km (hand-made scenarios name regions like ``west``; they are not BAs);
- ``interfaces`` (zonal runs only, :data:`ZONAL_LAYERS`): a LineString from each interface's
  ``from_zone`` to its ``to_zone`` (the zones' points) with every column of ``interfaces.csv``
  and ``binding`` (the limit binds in some step).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

if TYPE_CHECKING:
    from optimizer.results import Results

LAYERS = ("sites", "assignments", "metros", "regions")
"""The GeoJSON layers of a run, each written as ``{layer}.geojson``."""
ZONAL_LAYERS = ("interfaces",)
"""Layers written only by runs under zonal deliverability (with ``interfaces.csv``)."""
COORDINATE_DECIMALS = 6
"""Decimals kept in coordinates (1e-6 degree is about 0.1 m)."""
REGION_BUFFER_KM = 50.0
"""Buffer around the hull of an approximate (non-BA) region polygon, km."""
BA_POLYGON_SOURCE = "eia861_ba_polygon"
APPROXIMATE_SOURCE = "approximate_hull_50km"
WGS84 = "EPSG:4326"


def clean_value(value: Any) -> Any:
    """A property value as plain JSON: numpy scalars unwrapped, NaN/inf/NA/None to None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        number = float(value)
        return number + 0.0 if math.isfinite(number) else None  # + 0.0: no -0.0
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple | np.ndarray):
        return [clean_value(v) for v in value]
    return str(value)


def clean_properties(row: Mapping[str, Any]) -> dict[str, Any]:
    """Every value of ``row`` cleaned with :func:`clean_value`, keys as strings."""
    return {str(key): clean_value(value) for key, value in row.items()}


def _round_coords(coords: Any) -> Any:
    if isinstance(coords, list | tuple) and coords and isinstance(coords[0], Real):
        return [round(float(c), COORDINATE_DECIMALS) for c in coords]
    return [_round_coords(c) for c in coords]


def oriented(geom: BaseGeometry) -> BaseGeometry:
    """Polygons with counter-clockwise exterior and clockwise interior rings (RFC 7946 7.1)."""
    if isinstance(geom, Polygon):
        return orient(geom, sign=1.0)
    if isinstance(geom, MultiPolygon):
        return MultiPolygon([orient(part, sign=1.0) for part in geom.geoms])
    if isinstance(geom, shapely.GeometryCollection):
        return shapely.GeometryCollection([oriented(part) for part in geom.geoms])
    return geom


def polygon_parts(geom: BaseGeometry) -> BaseGeometry:
    """Only the polygon parts of a (made valid) areal geometry."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    polys = [p for g in parts for p in (g.geoms if isinstance(g, MultiPolygon) else [g])]
    return MultiPolygon(polys) if polys else Polygon()


def geometry_json(geom: BaseGeometry | None) -> dict | None:
    """A shapely geometry as an RFC 7946 geometry object (None for a missing or empty one).

    Areal geometries are snapped to the coordinate grid keeping validity, then oriented by the
    right-hand rule; coordinates are rounded to :data:`COORDINATE_DECIMALS`.
    """
    if geom is None or geom.is_empty:
        return None
    if isinstance(geom, Polygon | MultiPolygon):
        grid = 10.0**-COORDINATE_DECIMALS
        geom = shapely.set_precision(shapely.make_valid(geom), grid)
        geom = polygon_parts(geom)
        if geom.is_empty:
            return None
        geom = oriented(geom)
    out = mapping(geom)
    return {"type": out["type"], "coordinates": _round_coords(out["coordinates"])}


def feature(geom: BaseGeometry | None, properties: Mapping[str, Any], fid: Any = None) -> dict:
    """One GeoJSON Feature (``id`` only when given)."""
    out: dict[str, Any] = {"type": "Feature"}
    if fid is not None:
        out["id"] = clean_value(fid)
    out["geometry"] = geometry_json(geom)
    out["properties"] = clean_properties(properties)
    return out


def feature_collection(features: Iterable[dict]) -> dict:
    """A FeatureCollection (no ``crs`` member: RFC 7946 is always WGS84 lon/lat)."""
    return {"type": "FeatureCollection", "features": list(features)}


def dumps(collection: dict) -> str:
    """Serialise a GeoJSON object; refuses NaN or infinity (``allow_nan=False``)."""
    return json.dumps(collection, allow_nan=False, separators=(",", ":"), ensure_ascii=False)


def _lonlat_ok(lon: Any, lat: Any) -> bool:
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        return False
    finite = math.isfinite(lon) and math.isfinite(lat)
    return finite and -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0


def _point(lon: Any, lat: Any) -> Point | None:
    return Point(float(lon), float(lat)) if _lonlat_ok(lon, lat) else None


def sites_geojson(sites: pd.DataFrame) -> dict:
    """Every candidate site as a Point with every column of ``sites`` as properties.

    ``sites`` is the run's sites table (``site``, ``lat``, ``lon`` and the decisions); ``built``
    is added when missing (campus MW or edge modules above zero).
    """
    table = sites.copy()
    if "built" not in table:
        table["built"] = (table.get("campus_mw", 0) > 0) | (table.get("edge_modules", 0) > 0)
    return feature_collection(
        feature(_point(row["lon"], row["lat"]), row, fid=row["site"])
        for row in table.to_dict("records")
    )


def metros_geojson(metros: pd.DataFrame) -> dict:
    """Metros as Points with every column of the metros table as properties."""
    return feature_collection(
        feature(_point(row["lon"], row["lat"]), row, fid=row["metro"])
        for row in metros.to_dict("records")
    )


def assignments_geojson(
    assignments: pd.DataFrame, sites: pd.DataFrame, metros: pd.DataFrame
) -> dict:
    """A LineString from each serving site to each metro it serves, with the assignment row
    (``site``, ``metro``, ``served_mw``, ``latency_ms``) as properties."""
    site_xy = sites.set_index("site")[["lon", "lat"]]
    metro_xy = metros.set_index("metro")[["lon", "lat"]]
    features = []
    for row in assignments.to_dict("records"):
        geom = None
        if row["site"] in site_xy.index and row["metro"] in metro_xy.index:
            a, b = site_xy.loc[row["site"]], metro_xy.loc[row["metro"]]
            if _lonlat_ok(a["lon"], a["lat"]) and _lonlat_ok(b["lon"], b["lat"]):
                geom = LineString([(a["lon"], a["lat"]), (b["lon"], b["lat"])])
        features.append(feature(geom, row, fid=f"{row['site']}->{row['metro']}"))
    return feature_collection(features)


def buffered_hull(lonlat: Iterable[tuple[float, float]], buffer_km: float) -> BaseGeometry:
    """Convex hull of lon/lat points buffered by ``buffer_km``, measured in an azimuthal
    equidistant projection centred on the points (so the buffer is true km), back in WGS84."""
    points = [(x, y) for x, y in lonlat if _lonlat_ok(x, y)]
    if not points:
        return Polygon()
    lon0, lat0 = np.mean(points, axis=0)
    local = f"+proj=aeqd +lat_0={lat0:.6f} +lon_0={lon0:.6f} +datum=WGS84 +units=m +no_defs"
    hull = gpd.GeoSeries([shapely.MultiPoint(points)], crs=WGS84).to_crs(local).convex_hull
    buffered = shapely.buffer(hull.iloc[0], buffer_km * 1000.0, quad_segs=16)
    return gpd.GeoSeries([buffered], crs=local).to_crs(WGS84).iloc[0]


def region_shapes(
    regions: Iterable[str],
    sites: pd.DataFrame,
    metros: pd.DataFrame,
    assignments: pd.DataFrame,
    ba_polygons: gpd.GeoDataFrame | None = None,
    buffer_km: float = REGION_BUFFER_KM,
) -> dict[str, tuple[BaseGeometry, str, str | None]]:
    """Geometry, its source and the BA name of each region.

    A region whose name is a BA code of ``ba_polygons`` (columns ``ba``, ``ba_name``, geometry,
    EPSG:4326) gets that polygon; any other gets the convex hull of its candidate sites and the
    metros they serve, buffered by ``buffer_km``.
    """
    polygons = {}
    if ba_polygons is not None and len(ba_polygons):
        frame = ba_polygons.to_crs(WGS84)
        polygons = {
            row["ba"]: (row["geometry"], row.get("ba_name"))
            for row in frame.to_dict("records")
            if row["geometry"] is not None
        }
    site_region = sites.set_index("site")["region"] if len(sites) else pd.Series(dtype=object)
    metro_xy = metros.set_index("metro")[["lon", "lat"]] if len(metros) else None
    out = {}
    for region in regions:
        if region in polygons:
            geom, name = polygons[region]
            out[region] = (geom, BA_POLYGON_SOURCE, name)
            continue
        members = sites[sites["region"] == region] if len(sites) else sites
        points = list(zip(members["lon"], members["lat"], strict=True)) if len(members) else []
        if len(assignments) and metro_xy is not None:
            served = assignments[assignments["site"].map(site_region) == region]["metro"]
            served = metro_xy.reindex(served.unique()).dropna()
            points += list(zip(served["lon"], served["lat"], strict=True))
        out[region] = (buffered_hull(points, buffer_km), APPROXIMATE_SOURCE, None)
    return out


def regions_geojson(
    regions: pd.DataFrame,
    sites: pd.DataFrame,
    metros: pd.DataFrame,
    assignments: pd.DataFrame,
    ba_polygons: gpd.GeoDataFrame | None = None,
) -> dict:
    """One feature per region with every column of the regions table, ``geometry_source`` and
    ``ba_name`` (see :func:`region_shapes`)."""
    shapes = region_shapes(regions["region"], sites, metros, assignments, ba_polygons)
    features = []
    for row in regions.to_dict("records"):
        geom, source, name = shapes[row["region"]]
        props = {**row, "geometry_source": source, "ba_name": name}
        features.append(feature(geom, props, fid=row["region"]))
    return feature_collection(features)


def geojson_layers(
    results: Results,
    ba_polygons: gpd.GeoDataFrame | None = None,
    zonal: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> dict[str, dict]:
    """The four layers of a run as FeatureCollections keyed by :data:`LAYERS` name, and with
    ``zonal`` (the run's ``interfaces`` and ``zones`` tables) the ``interfaces`` layer.

    ``ba_polygons`` (from :func:`~optimizer.inputs.load_ba_polygons`) gives regions named by
    BA codes their territory; without it every region gets the approximate hull.
    """
    sites, metros = results.sites, results.metros
    assignments, regions = results.assignments, results.regions
    return {
        "sites": sites_geojson(sites),
        "assignments": assignments_geojson(assignments, sites, metros),
        "metros": metros_geojson(metros),
        "regions": regions_geojson(regions, sites, metros, assignments, ba_polygons),
        **({"interfaces": interfaces_geojson(*zonal)} if zonal is not None else {}),
    }


def interfaces_geojson(interfaces: pd.DataFrame, zones: pd.DataFrame) -> dict:
    """A LineString from each interface's ``from_zone`` to its ``to_zone`` (the zones' ``lon``,
    ``lat``) with every column of ``interfaces`` and ``binding``: the limit binds in some step
    (``hours_at_limit_h`` above zero)."""
    xy = zones.set_index("zone")[["lon", "lat"]]
    features = []
    for row in interfaces.to_dict("records"):
        geom = None
        if row["from_zone"] in xy.index and row["to_zone"] in xy.index:
            a, b = xy.loc[row["from_zone"]], xy.loc[row["to_zone"]]
            if _lonlat_ok(a["lon"], a["lat"]) and _lonlat_ok(b["lon"], b["lat"]):
                geom = LineString([(a["lon"], a["lat"]), (b["lon"], b["lat"])])
        props = {**row, "binding": bool((row.get("hours_at_limit_h") or 0) > 0)}
        features.append(feature(geom, props, fid=row["interface"]))
    return feature_collection(features)
