"""The files of ``RUN_DIR/alternatives/`` besides the plans: the map layer and the range plot.

``alternatives.geojson``: one feature per BA of ``ranges.csv`` with its optimal, least and most
campus MW, bounds and verdict, on the BA's polygon from the run's ``regions.geojson`` when the
run has one, else on a point at the mean place of its campus candidates. ``ranges.png``: each
BA's range as a bar from least to most found (real plans), a line on to the LP bound where it
lies above, and the run's plan marked, coloured by verdict.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from shapely.geometry import Point, shape  # noqa: E402

from optimizer.export.geojson import dumps, feature, feature_collection  # noqa: E402

COLOURS = {"essential": "#b2182b", "interchangeable": "#2166ac", "avoidable": "#999999"}


def _region_geometries(run_dir: Path) -> dict[str, object]:
    path = run_dir / "regions.geojson"
    if not path.is_file():
        return {}
    try:
        layer = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out = {}
    for f in layer.get("features", []):
        region = (f.get("properties") or {}).get("region")
        if region is not None and f.get("geometry"):
            out[str(region)] = shape(f["geometry"])
    return out


def alternatives_geojson(ranges: pd.DataFrame, sites: pd.DataFrame, run_dir: Path) -> dict:
    """The BA rows of ``ranges`` as GeoJSON features (module docstring)."""
    shapes = _region_geometries(run_dir)
    places = sites.groupby("region")[["lon", "lat"]].mean()
    features = []
    for row in ranges[ranges["kind"] == "ba"].to_dict("records"):
        geom = shapes.get(row["name"])
        source = "run regions.geojson"
        if geom is None and row["name"] in places.index:
            lon, lat = places.loc[row["name"]]
            geom, source = Point(float(lon), float(lat)), "mean place of its campus candidates"
        props = {k: v for k, v in row.items() if k != "kind"}
        props["geometry_source"] = source
        features.append(feature(geom, props, fid=row["name"]))
    return feature_collection(features)


def write_geojson(
    ranges: pd.DataFrame, sites: pd.DataFrame, run_dir: Path, path: str | os.PathLike[str]
) -> None:
    """Write ``alternatives.geojson``."""
    Path(path).write_text(dumps(alternatives_geojson(ranges, sites, run_dir)), encoding="utf-8")


def plot_ranges(ranges: pd.DataFrame, slack_pct: float, path: str | os.PathLike[str]) -> None:
    """Write ``ranges.png``: the BAs that some near-optimal plan builds in, or whose verdict
    (avoidable) the bound leaves open (drawn as the bound's line alone), least to most."""
    shown = (ranges["most_campus_mw"] > 0) | ~ranges["verdict_proven"].astype(bool)
    bas = ranges[(ranges["kind"] == "ba") & shown]
    bas = bas.sort_values(["most_campus_mw", "name"], ascending=[True, False])
    height = max(2.5, 0.28 * len(bas) + 1.2)
    fig, ax = plt.subplots(figsize=(8, height))
    y = range(len(bas))
    colours = [COLOURS[v] for v in bas["verdict"]]
    ax.barh(
        list(y),
        bas["most_campus_mw"] - bas["least_campus_mw"],
        left=bas["least_campus_mw"],
        color=colours,
        alpha=0.6,
        height=0.6,
    )
    bound = bas["most_bound_mw"].astype(float)
    open_ = bound.notna() & (bound > bas["most_campus_mw"])
    ax.hlines(
        [i for i, is_open in zip(y, open_, strict=True) if is_open],
        bas.loc[open_, "most_campus_mw"],
        bound[open_],
        color="#555555",
        linewidth=1,
        label="up to the LP bound",
    )
    ax.scatter(bas["optimal_campus_mw"], list(y), color="black", s=14, zorder=3, label="run")
    ax.set_yticks(list(y), bas["name"])
    ax.set_xlabel("campus MW")
    ax.set_title(f"Campus MW per BA within {slack_pct:g} % of the run's cost")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c, alpha=0.6) for c in COLOURS.values()]
    ax.legend(
        [*handles, ax.collections[0], ax.collections[1]],
        [*COLOURS, "LP bound above the most found", "the run's plan"],
        loc="lower right",
        fontsize=8,
    )
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
