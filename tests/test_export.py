"""GeoJSON layers (RFC 7946 rules checked on real run folders), plots and `dcsite export`.

Unit tests on constructed geometry and tables need no solver; the run-folder tests solve the
tiny and stranded-storage scenarios once per module. Tests that draw BA polygons need the public
data mirror (``DCSITE_DATA``) and skip only when it is absent.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon, shape
from shapely.geometry.polygon import orient

from optimizer.cli import main
from optimizer.export import FORMATS, MAP_FILE, PLOT_FILES, write_exports, write_run_exports
from optimizer.export import geojson as gj
from optimizer.export.plots import largest_campus, plot_batch_comparison
from optimizer.geo import haversine_km
from optimizer.outputs import output_dir

SCENARIOS = Path(__file__).resolve().parent.parent / "data" / "scenarios"
GEOJSON_FILES = [f"{layer}.geojson" for layer in gj.LAYERS]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --- RFC 7946 checks ------------------------------------------------------------------------


def _no_constant(name: str):
    raise AssertionError(f"non-finite number {name} in GeoJSON")


def _positions(coords):
    if coords and isinstance(coords[0], int | float):
        yield coords
    else:
        for c in coords:
            yield from _positions(c)


def _finite_numbers(value, where: str) -> None:
    if isinstance(value, float):
        assert math.isfinite(value), where
    elif isinstance(value, dict):
        for k, v in value.items():
            _finite_numbers(v, f"{where}.{k}")
    elif isinstance(value, list):
        for v in value:
            _finite_numbers(v, where)


def check_rfc7946(path: Path) -> dict:
    """Assert the RFC 7946 rules on one file and return it parsed."""
    text = path.read_text(encoding="utf-8")
    fc = json.loads(text, parse_constant=_no_constant)  # NaN / Infinity are not JSON
    assert fc["type"] == "FeatureCollection" and isinstance(fc["features"], list)
    assert "crs" not in fc, "RFC 7946 removed the crs member"
    for f in fc["features"]:
        assert f["type"] == "Feature" and "crs" not in f
        assert isinstance(f["properties"], dict)
        _finite_numbers(f["properties"], f"{path.name}:{f.get('id')}")
        geom = f["geometry"]
        if geom is None:
            continue
        assert "crs" not in geom
        for pos in _positions(geom["coordinates"]):
            assert len(pos) == 2 and all(math.isfinite(c) for c in pos)
            lon, lat = pos
            assert -180 <= lon <= 180 and -90 <= lat <= 90, (path.name, pos)
        g = shape(geom)
        assert g.is_valid, (path.name, f.get("id"), shapely.is_valid_reason(g))
        polygons = {"Polygon": [g], "MultiPolygon": list(getattr(g, "geoms", []))}
        for poly in polygons.get(g.geom_type, []):  # right-hand rule: exterior ccw, holes cw
            assert poly.exterior.is_ccw, (path.name, f.get("id"))
            assert not any(ring.is_ccw for ring in poly.interiors), (path.name, f.get("id"))
            assert orient(poly, 1.0).equals_exact(poly, 0.0)
    return fc


# --- run folders ------------------------------------------------------------------------------


def _solve(name: str, out: Path) -> Path:
    from optimizer.pipeline import run_scenario
    from optimizer.scenario import load_scenario

    run_scenario(load_scenario(SCENARIOS / name)).save(out)
    return out


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> dict[str, Path]:
    """Run folders of the example scenarios (results only, no exports yet)."""
    root = tmp_path_factory.mktemp("solved")
    return {name: _solve(name, root / name) for name in ("tiny", "stranded-storage")}


def _copy(run: Path, tmp_path: Path) -> Path:
    out = tmp_path / run.name
    shutil.copytree(run, out)
    return out


@pytest.mark.solver
@pytest.mark.parametrize("name", ["tiny", "stranded-storage"])
def test_geojson_layers_follow_rfc7946_and_match_the_tables(solved, name, tmp_path):
    run = _copy(solved[name], tmp_path)
    written = write_exports(run, None, ("geojson",))
    assert [p.name for p in written] == GEOJSON_FILES
    tables = {layer: pd.read_csv(run / f"{layer}.csv") for layer in gj.LAYERS}
    for layer in gj.LAYERS:
        fc = check_rfc7946(run / f"{layer}.geojson")
        table = tables[layer]
        assert len(fc["features"]) == len(table), layer
        props = fc["features"][0]["properties"]
        assert set(table.columns) <= set(props), layer  # names (with units) as in the table
        frame = gpd.read_file(run / f"{layer}.geojson")
        assert len(frame) == len(table) and frame.crs.to_epsg() == 4326
        assert frame.geometry.notna().all() and frame.is_valid.all()
    sites = tables["sites"].set_index("site")
    for f in json.loads((run / "sites.geojson").read_text())["features"]:
        s = sites.loc[f["properties"]["site"]]
        assert f["geometry"] == {"type": "Point", "coordinates": [s["lon"], s["lat"]]}  # lon first
        assert f["properties"]["built"] == bool(s["built"])
        assert f["properties"]["campus_mw"] == pytest.approx(s["campus_mw"])
    frame = gpd.read_file(run / "sites.geojson")
    assert frame["built"].sum() == sites["built"].sum()
    metros = tables["metros"].set_index("metro")
    for f in json.loads((run / "assignments.geojson").read_text())["features"]:
        a, b = f["geometry"]["coordinates"]
        p = f["properties"]
        assert a == [sites.loc[p["site"], "lon"], sites.loc[p["site"], "lat"]]
        assert b == [metros.loc[p["metro"], "lon"], metros.loc[p["metro"], "lat"]]
        assert set(p) == {"site", "metro", "served_mw", "latency_ms"}
    for f in json.loads((run / "regions.geojson").read_text())["features"]:
        assert f["properties"]["geometry_source"] == gj.APPROXIMATE_SOURCE  # not BA codes
        assert f["geometry"]["type"] == "Polygon"
        region_sites = sites[sites["region"] == f["id"]]
        hull = shape(f["geometry"])
        points = zip(region_sites["lon"], region_sites["lat"], strict=True)
        assert all(hull.contains(Point(x, y)) for x, y in points)


@pytest.mark.solver
@pytest.mark.realdata
def test_regions_named_by_ba_codes_get_their_eia861_polygons(solved, data_dir, tmp_path):
    run = _copy(solved["tiny"], tmp_path)
    codes = {"west": "AZPS", "central": "ERCO", "east": "SOCO"}
    for name in ("sites", "regions", "region_timesteps"):
        table = pd.read_csv(run / f"{name}.csv")
        table["region"] = table["region"].map(codes)
        table.to_csv(run / f"{name}.csv", index=False)
    write_exports(run, data_dir, ("geojson",))
    fc = check_rfc7946(run / "regions.geojson")
    by_id = {f["id"]: f for f in fc["features"]}
    assert set(by_id) == set(codes.values())
    for f in by_id.values():
        assert f["properties"]["geometry_source"] == gj.BA_POLYGON_SOURCE
        assert f["properties"]["ba_name"]
        assert f["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    sites = pd.read_csv(run / "sites.csv")
    abilene = sites.set_index("site").loc["abilene"]
    assert shape(by_id["ERCO"]["geometry"]).contains(Point(abilene["lon"], abilene["lat"]))
    regions = pd.read_csv(run / "regions.csv").set_index("region")
    assert by_id["ERCO"]["properties"]["firm_capacity_mw"] == pytest.approx(
        regions.loc["ERCO", "firm_capacity_mw"]
    )


@pytest.mark.solver
def test_write_run_exports_writes_every_file_atomically(solved, tmp_path):
    run = _copy(solved["stranded-storage"], tmp_path)
    before = set(os.listdir(run))
    written = write_run_exports(run)
    assert [p.name for p in written] == [*GEOJSON_FILES, MAP_FILE, *PLOT_FILES]
    assert set(os.listdir(run)) == before | {p.name for p in written}  # no temporary left
    mask = os.umask(0o022)
    os.umask(mask)
    for path in written:  # usual permissions, not the 0600 of a temporary file
        assert path.parent == run and path.stat().st_size > 0
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask
    for name in PLOT_FILES:
        assert (run / name).read_bytes()[:8] == PNG_MAGIC
    # a second call replaces the files in place
    assert [p.name for p in write_run_exports(run)] == [p.name for p in written]
    assert set(os.listdir(run)) == before | {p.name for p in written}


@pytest.mark.solver
def test_export_command(solved, tmp_path, capsys):
    run = _copy(solved["tiny"], tmp_path)
    assert main(["export", str(run), "--format", "geojson"]) == 0
    assert sorted(p.name for p in run.glob("*.geojson")) == sorted(GEOJSON_FILES)
    assert not (run / MAP_FILE).exists()
    assert main(["export", str(run), "--format", "png"]) == 0
    assert all((run / name).is_file() for name in PLOT_FILES)
    assert main(["export", str(run)]) == 0
    assert (run / MAP_FILE).is_file()
    assert f"wrote {run / MAP_FILE}" in capsys.readouterr().out
    assert main(["export", str(tmp_path / "missing")]) == 2
    assert "run folder not found" in capsys.readouterr().err


def test_export_of_a_run_without_solution_writes_nothing(tmp_path, capsys):
    run = tmp_path / "run"
    with output_dir(run, "run") as tmp:
        summary = {"status": "infeasible", "has_solution": False}
        (tmp / "summary.json").write_text(json.dumps(summary))
    assert write_run_exports(run) == []
    assert main(["export", str(run)]) == 0
    assert "nothing to export" in capsys.readouterr().out
    assert sorted(os.listdir(run)) == ["dcsite-output.json", "summary.json"]
    with pytest.raises(Exception, match="unknown export format"):
        write_exports(run, None, ("pdf",))
    assert set(FORMATS) == {"geojson", "html", "png"}


# --- unit tests on constructed data ---------------------------------------------------------


def test_clean_value_writes_null_for_non_finite_numbers():
    assert gj.clean_value(float("nan")) is None
    assert gj.clean_value(float("inf")) is None and gj.clean_value(-np.inf) is None
    assert gj.clean_value(np.float64(2.5)) == 2.5 and type(gj.clean_value(np.float64(2.5))) is float
    assert gj.clean_value(np.int64(3)) == 3 and type(gj.clean_value(np.int64(3))) is int
    assert gj.clean_value(np.bool_(True)) is True and gj.clean_value(pd.NA) is None
    assert math.copysign(1.0, gj.clean_value(-0.0)) == 1.0  # no "-0.0" in the files
    with pytest.raises(ValueError):
        gj.dumps({"x": float("nan")})


def test_polygons_are_oriented_by_the_right_hand_rule():
    shell = [(0, 0), (0, 10), (10, 10), (10, 0), (0, 0)]  # clockwise
    hole = [(2, 2), (4, 2), (4, 4), (2, 4), (2, 2)]  # counter-clockwise
    geom = gj.geometry_json(Polygon(shell, [hole]))
    poly = shape(geom)
    assert poly.exterior.is_ccw and not poly.interiors[0].is_ccw
    assert gj.geometry_json(None) is None and gj.geometry_json(Polygon()) is None
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])  # invalid: made valid
    assert shape(gj.geometry_json(bowtie)).is_valid


def test_approximate_region_is_the_hull_buffered_by_50_km():
    circle = gj.buffered_hull([(-100.0, 40.0)], 50.0)
    ring = np.asarray(circle.exterior.coords)
    km = haversine_km(40.0, -100.0, ring[:, 1], ring[:, 0])
    assert km == pytest.approx(np.full(len(ring), 50.0), rel=0.01)
    assert gj.buffered_hull([], 50.0).is_empty
    sites = pd.DataFrame(
        {"site": ["a", "b"], "region": ["r1", "r1"], "lon": [-100.0, -99.0], "lat": [40.0, 41.0]}
    )
    metros = pd.DataFrame({"metro": ["m"], "lon": [-98.0], "lat": [40.0]})
    assignments = pd.DataFrame({"site": ["a"], "metro": ["m"]})
    shapes = gj.region_shapes(["r1", "r2"], sites, metros, assignments)
    geom, source, name = shapes["r1"]
    assert source == gj.APPROXIMATE_SOURCE and name is None
    assert all(geom.contains(Point(x, y)) for x, y in [(-100, 40), (-99, 41), (-98, 40)])
    assert shapes["r2"][0].is_empty  # a region without sites has no shape: null geometry


def test_points_out_of_range_get_null_geometry():
    sites = pd.DataFrame(
        {"site": ["ok", "bad"], "lon": [-100.0, float("nan")], "lat": [40.0, 95.0],
         "campus_mw": [1.0, 0.0], "edge_modules": [0, 0]}
    )  # fmt: skip
    fc = gj.sites_geojson(sites)
    assert fc["features"][0]["geometry"]["coordinates"] == [-100.0, 40.0]
    assert fc["features"][1]["geometry"] is None
    assert [f["properties"]["built"] for f in fc["features"]] == [True, False]


def test_largest_campus_and_batch_comparison(tmp_path):
    sites = pd.DataFrame(
        {"site": ["a", "b", "c"], "campus_mw": [0.0, 300.0, 100.0], "built": [True, True, True],
         "grid_import_peak_mw": [50.0, 330.0, 110.0]}
    )  # fmt: skip
    assert largest_campus(sites) == "b"
    edge_only = sites.assign(campus_mw=0.0)
    assert largest_campus(edge_only) == "b"
    assert largest_campus(edge_only.assign(built=False)) is None
    table = pd.DataFrame(
        {
            "variant": ["base", "wacc-high", "broken"],
            "finance.wacc_pct": [7.0, 10.0, 5.0],
            "finance.capex_usd": [1.0, 2.0, 3.0],  # an override path, not a cost term
            "objective_usd": [500e6, 560e6, np.nan],
            "best_bound_usd": [499e6, 559e6, np.nan],
            "campus_capex_usd": [300e6, 350e6, np.nan],
            "energy_usd": [190e6, 200e6, np.nan],
            "unserved_usd": [0.0, 0.0, np.nan],
            "curtailment_usd": [10e6, 10e6, np.nan],
        }
    )
    path = tmp_path / "batch.png"
    plot_batch_comparison(table, path)
    assert path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size > 10_000


def test_status_text_says_optimal_only_when_proven():
    from optimizer.results.folder import status_text

    def summary(status, gap_pct, has_solution=True):
        return {"status": status, "mip_gap_pct": gap_pct, "has_solution": has_solution}

    assert status_text(summary("optimal", 0.0)) == "optimal"
    assert status_text(summary("optimal", None)) == "optimal"  # an LP: no gap
    assert status_text(summary("optimal", 0.45)) == "within 0.45 % of optimal (proven bound)"
    assert status_text(summary("time_limit", 3.1)) == (
        "time_limit: within 3.10 % of optimal (proven bound)"
    )
    assert status_text(summary("infeasible", None, False)) == "infeasible"
