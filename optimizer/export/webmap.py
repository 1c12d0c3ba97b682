"""A self-contained interactive map of a run (``map.html``): Leaflet, inlined, no network.

The page carries everything it needs: Leaflet's JavaScript and CSS (vendored from the npm
package ``leaflet`` in ``webmap_assets/`` beside this module, BSD-2-Clause, its icons as data
URIs), our page script, and the run's layers as JSON. It opens from a file without a server
and without internet. The base layer is the US states drawn as vectors (when the data mirror
is given); online OpenStreetMap tiles are an optional base layer, off by default.

Layers: regions shaded by the share of stranded power used, transmission lines of 345 kV and
above plus HVDC (context, when the data mirror is given), assignment lines (width by served MW),
metros, built training campuses and inference edge clusters sized by MW (one marker with class
``dcsite-site`` per built site), unbuilt candidate sites, and in zonal runs the binding
interfaces between zones (width by the MW allowed, colour by the value of one more MW, with
their flows); popups with each feature's numbers, a legend, a layer control and a scale bar.
"""

from __future__ import annotations

import base64
import html
import json
from importlib import resources
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from optimizer.export.geojson import (
    clean_properties,
    feature,
    feature_collection,
    geojson_layers,
    polygon_parts,
    region_shapes,
)

if TYPE_CHECKING:
    from optimizer.results import Results

LEAFLET_VERSION = "1.9.4"
"""Version of the vendored Leaflet (``optimizer/export/webmap_assets/leaflet.js``)."""
SIMPLIFY_DEG = 0.01
"""Tolerance (degrees, about 1 km) for simplifying states, BA polygons and lines on the map."""
TRANSMISSION_CLASSES = ("345", "500", "735 AND ABOVE", "DC")
"""Transmission voltage classes drawn on the map (345 kV and above, and HVDC)."""
MAP_DECIMALS = 4
"""Decimals kept in map coordinates (1e-4 degree is about 10 m)."""
TRANSMISSION_DECIMALS = 3
"""Decimals kept in the transmission context lines (1e-3 degree is about 100 m)."""

STYLE: dict[str, Any] = {
    "campus_color": "#b2182b",
    "edge_color": "#2166ac",
    "candidate_color": "#7a7a7a",
    "metro_color": "#1b7837",
    "metro_unserved_color": "#e08214",
    "assignment_color": "#5e3c99",
    "region_bins": [0, 20, 40, 60, 80],
    "region_colors": ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
    "region_nodata": "#d0d0d0",
    "interface_color": "#d01c8b",
    "transmission": {
        "345": "#8c6d31",
        "500": "#7b4173",
        "735 AND ABOVE": "#252525",
        "DC": "#31a354",
    },
}
TILES = {
    "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "attribution": "&copy; OpenStreetMap contributors",
}
CANDIDATE_FIELDS = ("site", "region", "kind", "place", "line", "plant", "interconnect_mw", "pue",
                    "time_to_power_years", "time_to_power_level", "spur_km",
                    "energy_price_adder_usd_per_mwh", "voltage_class", "lat", "lon")  # fmt: skip
"""Properties kept for unbuilt candidate sites on the map (the GeoJSON file keeps them all)."""

_UNITS = (
    ("_usd_per_mw_year", "USD/MW-yr"),
    ("_usd_per_mwh", "USD/MWh"),
    ("_usd_per_mw", "USD/MW"),
    ("_mwh", "MWh"),
    ("_mw", "MW"),
    ("_usd", "USD/yr"),
    ("_pct", "%"),
    ("_ms", "ms"),
    ("_years", "years"),
    ("_km", "km"),
    ("_h", "h"),
)


def field_label(column: str) -> str:
    """A readable popup label from a column name: ``campus_mw`` -> ``campus (MW)``."""
    for suffix, unit in _UNITS:
        if column.endswith(suffix):
            return f"{column[: -len(suffix)].replace('_', ' ')} ({unit})"
    return column.replace("_", " ")


def _fields(columns: list[str], skip: tuple[str, ...] = ()) -> list[list[str]]:
    return [[c, field_label(c)] for c in columns if c not in skip]


def _asset(name: str) -> bytes:
    return resources.files("optimizer.export").joinpath("webmap_assets", name).read_bytes()


def leaflet_css() -> str:
    """Leaflet's CSS with its layer-control icons inlined as data URIs (the marker icon, which
    the page never uses, is left as it is)."""
    css = _asset("leaflet.css").decode("utf-8")
    for name in ("layers.png", "layers-2x.png"):
        data = base64.b64encode(_asset(f"images/{name}")).decode("ascii")
        css = css.replace(f"url(images/{name})", f"url(data:image/png;base64,{data})")
    return css


def _script_safe(text: str) -> str:
    if "</script" in text.lower():
        raise ValueError("inline script contains '</script'")
    return text


def _round(coords: Any, decimals: int = MAP_DECIMALS) -> Any:
    if isinstance(coords, list) and coords and isinstance(coords[0], int | float):
        return [round(c, decimals) for c in coords]
    return [_round(c, decimals) for c in coords]


def _lighter(collection: dict, decimals: int = MAP_DECIMALS) -> dict:
    """Coordinates rounded further for the page (the GeoJSON files keep 6 decimals)."""
    out = []
    for f in collection["features"]:
        geom = f["geometry"]
        if geom is not None:
            geom = {"type": geom["type"], "coordinates": _round(geom["coordinates"], decimals)}
        out.append({**f, "geometry": geom})
    return feature_collection(out)


def _wrap_west(geom: BaseGeometry) -> BaseGeometry:
    """Polygon parts lying wholly east of Greenwich moved 360 degrees west, so that the
    Aleutians beyond the antimeridian sit next to Alaska on the page."""
    geom = polygon_parts(geom)
    parts = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    moved = [
        shapely.transform(p, lambda xy: xy - [360.0, 0.0]) if p.bounds[0] > 0 else p
        for p in parts
        if not p.is_empty
    ]
    if not moved:
        return Polygon()
    return MultiPolygon(moved) if len(moved) > 1 else moved[0]


def states_layer(states: gpd.GeoDataFrame, tolerance_deg: float = SIMPLIFY_DEG) -> dict:
    """US states simplified for the page as a FeatureCollection (properties ``fips``, ``name``)."""
    frame = states.to_crs("EPSG:4326")
    features = []
    for row in frame.to_dict("records"):
        geom = row["geometry"]
        if geom is None or geom.is_empty:
            continue
        geom = _wrap_west(shapely.make_valid(geom).simplify(tolerance_deg))
        props = {"fips": row.get("fips"), "name": row.get("name")}
        features.append(feature(geom, props))
    return _lighter(feature_collection(features))


def transmission_layer(lines: gpd.GeoDataFrame, tolerance_deg: float = SIMPLIFY_DEG) -> dict:
    """Transmission lines of :data:`TRANSMISSION_CLASSES` merged and simplified, one feature per
    voltage class (property ``volt_class``)."""
    chosen = lines[lines["volt_class"].isin(TRANSMISSION_CLASSES)].to_crs("EPSG:4326")
    features = []
    for volt_class in TRANSMISSION_CLASSES:
        geoms = chosen.loc[chosen["volt_class"] == volt_class, "geometry"]
        geoms = geoms[geoms.notna() & ~geoms.is_empty]
        if not len(geoms):
            continue
        # join touching pieces, then simplify each line (fast, vectorised)
        pieces = shapely.get_parts(shapely.get_parts(geoms.to_numpy()))
        joined = shapely.get_parts(shapely.line_merge(shapely.MultiLineString(list(pieces))))
        simple = shapely.simplify(joined, tolerance_deg, preserve_topology=False)
        simple = simple[~shapely.is_empty(simple) & (shapely.length(simple) > 0)]
        merged = shapely.MultiLineString(list(simple))
        features.append(feature(merged, {"volt_class": volt_class}))
    return _lighter(feature_collection(features), TRANSMISSION_DECIMALS)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _meta(summary: dict) -> dict:
    scenario = summary.get("scenario", {}) or {}
    totals = summary.get("totals", {}) or {}
    lines = [f"status: {summary.get('status', 'unknown')}"]
    if summary.get("objective_usd") is not None:
        lines.append(f"annualized cost: {summary['objective_usd'] / 1e6:,.1f} M USD/yr")
    if totals:
        lines.append(
            f"campuses: {totals.get('campus_mw', 0):,.0f} MW at"
            f" {_count(totals.get('campus_sites', 0), 'site')}; edge:"
            f" {_count(totals.get('edge_modules', 0), 'module')} at"
            f" {_count(totals.get('edge_sites', 0), 'site')}"
        )
        lines.append(
            f"storage: {totals.get('storage_energy_mwh', 0):,.0f} MWh"
            f" / {totals.get('storage_power_mw', 0):,.0f} MW;"
            f" firm capacity: {totals.get('firm_capacity_mw', 0):,.0f} MW; unserved:"
            f" {totals.get('unserved_mw', 0):,.1f} MW"
        )
    return {"title": f"dcsite plan: {scenario.get('name', 'run')}", "lines": lines}


INTERFACE_FIELDS = ("interface", "from_zone", "to_zone", "kind", "name", "forward_allowed_mw",
                    "reverse_allowed_mw", "forward_peak_mw", "reverse_peak_mw", "flow_mean_mw",
                    "hours_at_limit_h", "forward_dual_usd_per_mw_year",
                    "reverse_dual_usd_per_mw_year", "dual_usd_per_mw_year")  # fmt: skip
"""Properties of the binding interfaces on the map."""


def map_data(
    results: Results,
    states: gpd.GeoDataFrame | None = None,
    transmission: gpd.GeoDataFrame | None = None,
    ba_polygons: gpd.GeoDataFrame | None = None,
    zonal: tuple | None = None,
) -> dict:
    """Everything the page script draws, as one JSON-ready dict (layers, labels, style);
    ``zonal`` is a zonal run's ``interfaces`` and ``zones`` tables (binding interfaces drawn)."""
    layers = geojson_layers(results, ba_polygons, zonal)
    binding = None
    if zonal is not None:
        binding = feature_collection(
            {**f, "properties": {k: v for k, v in f["properties"].items()
                                 if k in INTERFACE_FIELDS}}
            for f in layers["interfaces"]["features"]
            if f["properties"]["binding"] and f["geometry"] is not None
        )  # fmt: skip
    # regions: BA polygons simplified for the page
    shapes = region_shapes(
        results.regions["region"], results.sites, results.metros, results.assignments, ba_polygons
    )
    regions = []
    for f in layers["regions"]["features"]:
        geom, _source, _name = shapes[f["properties"]["region"]]
        simple = geom.simplify(SIMPLIFY_DEG) if geom is not None else None
        regions.append(feature(simple, f["properties"], fid=f.get("id")))
    # unbuilt candidates: fewer properties keep a national page small
    sites = []
    for f in layers["sites"]["features"]:
        props = f["properties"]
        if not props.get("built"):
            props = {k: v for k, v in props.items() if k in CANDIDATE_FIELDS or k == "built"}
        sites.append({**f, "properties": props})
    note = None
    if states is None:
        note = "No US states base layer: export with --data-dir to draw one."
    meta = _meta(results.summary)
    meta["note"] = note
    return {
        "meta": meta,
        "style": STYLE,
        "tiles": TILES,
        "fields": {
            "site": _fields(list(results.sites.columns), skip=("site",)),
            "candidate": _fields(list(CANDIDATE_FIELDS), skip=("site",)),
            "metro": _fields(list(results.metros.columns), skip=("metro",)),
            "assignment": _fields(list(results.assignments.columns)),
            "region": _fields(
                [*results.regions.columns, "ba_name", "geometry_source"], skip=("region",)
            ),
            "interface": _fields(list(INTERFACE_FIELDS), skip=("interface",)),
        },
        "states": states_layer(states) if states is not None else None,
        "transmission": transmission_layer(transmission) if transmission is not None else None,
        "regions": _lighter(feature_collection(regions)),
        "sites": _lighter(feature_collection(sites), 6),
        "metros": _lighter(layers["metros"], 6),
        "assignments": _lighter(layers["assignments"], 6),
        "interfaces": None if binding is None else _lighter(binding, 6),
    }


def _json_for_script(data: dict) -> str:
    text = json.dumps(data, allow_nan=False, separators=(",", ":"), ensure_ascii=False)
    # "<" only occurs inside JSON strings, where \u003c means the same: no "</script" possible
    return text.replace("<", "\\u003c")


def map_html(
    results: Results,
    states: gpd.GeoDataFrame | None = None,
    transmission: gpd.GeoDataFrame | None = None,
    ba_polygons: gpd.GeoDataFrame | None = None,
    zonal: tuple | None = None,
) -> str:
    """The complete, self-contained HTML page of a run's map.

    ``states`` (:func:`~optimizer.inputs.load_states`), ``transmission``
    (:func:`~optimizer.inputs.load_transmission_lines`) and ``ba_polygons``
    (:func:`~optimizer.inputs.load_ba_polygons`) are optional; without them the page has no
    vector base layer, no transmission context and approximate region shapes.
    """
    data = map_data(results, states, transmission, ba_polygons, zonal)
    title = html.escape(data["meta"]["title"])
    license_text = _asset("LICENSE-leaflet.txt").decode("utf-8").strip()
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{title}</title>",
            f"<!-- Leaflet {LEAFLET_VERSION} (https://leafletjs.com), inlined so that this page",
            "     works offline. Its licence:",
            license_text.replace("--", "- -"),  # a comment cannot hold "--"
            "-->",
            f"<style>\n{leaflet_css()}\n</style>",
            f"<style>\n{_asset('dcsite_map.css').decode('utf-8')}\n</style>",
            "</head>",
            "<body>",
            '<div id="map"></div>',
            '<pre id="dcsite-errors"></pre>',
            f"<script>\n{_script_safe(_asset('leaflet.js').decode('utf-8'))}\n</script>",
            f'<script id="dcsite-data" type="application/json">{_json_for_script(data)}</script>',
            f"<script>\n{_script_safe(_asset('dcsite_map.js').decode('utf-8'))}\n</script>",
            "</body>",
            "</html>",
            "",
        ]
    )


__all__ = [
    "LEAFLET_VERSION",
    "clean_properties",
    "field_label",
    "leaflet_css",
    "map_data",
    "map_html",
    "states_layer",
    "transmission_layer",
]
