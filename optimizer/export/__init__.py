"""Exports of a run folder: GeoJSON layers, a self-contained HTML map and PNG plots.

Each writer reads a run folder written by :meth:`optimizer.results.Results.save` and writes its
files into it, each atomically (temporary sibling, then rename):

==============================  ==============================================================
``sites.geojson``               every candidate site (Point) with its decisions and ``built``
``assignments.geojson``         site -> metro LineStrings with ``served_mw``, ``latency_ms``
``metros.geojson``              metros (Point) with demand, served and unserved MW
``regions.geojson``             BA polygons (or approximate hulls) with the regions table
``map.html``                    interactive Leaflet map, works offline from the file
``stranded_power_duration.png`` stranded-power duration curve per region used, with grid import
``campus_dispatch.png``         dispatch of the largest campus over the representative days
``cost_breakdown.png``          the objective's terms
``weather_years.png``           the plan in every year of the record (built scenarios)
``interfaces.geojson``          zonal runs: interfaces between zone points with their flows
                                and values (binding ones drawn on the map)
``interfaces.png``              zonal runs: the ten most valuable interfaces
==============================  ==============================================================

``data_dir`` is the public data mirror (``../shared/data``), resolved by the caller (the CLI
reads ``--data-dir`` or ``DCSITE_DATA``). With it, regions named by BA codes get their EIA-861
polygons and the map gets US states as its base layer and transmission lines as context;
without it, regions are approximate hulls and the map has no base layer. A run without a
solution (infeasible, time limit without incumbent) has nothing to draw: no file is written.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd

from optimizer.atomic import atomic_path
from optimizer.errors import InputError
from optimizer.export.geojson import LAYERS, ZONAL_LAYERS, dumps, geojson_layers
from optimizer.export.webmap import map_html
from optimizer.outputs import check_files_writable, record_files
from optimizer.results.folder import Results, read_summary, read_table

PathLike = str | os.PathLike[str]

MAP_FILE = "map.html"
PLOT_FILES = ("stranded_power_duration.png", "campus_dispatch.png", "cost_breakdown.png")
WEATHER_YEARS_PLOT = "weather_years.png"
"""Drawn when the run operated its plan in the years of the record (built scenarios)."""
INTERFACES_PLOT = "interfaces.png"
"""Drawn for runs under zonal deliverability (with ``interfaces.csv``)."""
FORMATS = ("geojson", "html", "png")
"""Export formats: the GeoJSON layers, the HTML map, the PNG plots."""


@dataclass
class _Run:
    """A run folder and the public data it is drawn with, each loaded once on first use."""

    run_dir: Path
    data_dir: PathLike | None = None
    _cache: dict = field(default_factory=dict)

    @cached_property
    def summary(self) -> dict:
        return read_summary(self.run_dir)

    @property
    def has_solution(self) -> bool:
        return bool(self.summary.get("has_solution"))

    @cached_property
    def results(self) -> Results:
        return Results.load(self.run_dir)

    def _data(self, name: str, loader: Callable[[PathLike], gpd.GeoDataFrame]):
        if self.data_dir is None:
            return None
        if name not in self._cache:
            self._cache[name] = loader(self.data_dir)
        return self._cache[name]

    @property
    def ba_polygons(self) -> gpd.GeoDataFrame | None:
        """The BA polygons the run was built on (``ba_polygons`` in its summary: the first
        release's 40 for ``build.bas: duke22``), else the lower-48 partition."""
        from optimizer.inputs.loaders import load_ba_polygons
        from optimizer.inputs.registry import BA_POLYGONS

        duke22 = self.summary.get("ba_polygons") == BA_POLYGONS.path
        return self._data("ba_polygons", lambda d: load_ba_polygons(d, all_bas=not duke22))

    @property
    def zonal(self) -> bool:
        """The run moved stranded power between zones (it has ``interfaces.csv``)."""
        return (self.run_dir / "interfaces.csv").is_file()

    @cached_property
    def interfaces(self) -> tuple | None:
        """``interfaces`` and ``zones`` tables of a zonal run, else None."""
        if not self.zonal:
            return None
        return read_table(self.run_dir, "interfaces"), read_table(self.run_dir, "zones")

    @property
    def states(self) -> gpd.GeoDataFrame | None:
        from optimizer.inputs.loaders import load_states

        return self._data("states", load_states)

    @property
    def transmission(self) -> gpd.GeoDataFrame | None:
        from optimizer.inputs.loaders import load_transmission_lines

        return self._data("transmission", load_transmission_lines)


def _write_text(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def _geojson(run: _Run) -> list[Path]:
    if not run.has_solution:
        return []
    layers = geojson_layers(run.results, run.ba_polygons, run.interfaces)
    names = [*LAYERS, *(ZONAL_LAYERS if run.zonal else ())]
    return [_write_text(run.run_dir / f"{name}.geojson", dumps(layers[name])) for name in names]


def _map(run: _Run) -> list[Path]:
    if not run.has_solution:
        return []
    page = map_html(run.results, run.states, run.transmission, run.ba_polygons, run.interfaces)
    return [_write_text(run.run_dir / MAP_FILE, page)]


def _periods(run: _Run, timesteps: list[str]) -> list[str]:
    """Representative period of each step, from the run folder's ``timesteps.csv``."""
    table = run.results.timesteps
    period = dict(zip(table["timestep"], table["period"], strict=True))
    return [period[t] for t in timesteps]


def _plots(run: _Run) -> list[Path]:
    from optimizer.export import plots

    if not run.has_solution:
        return []
    res, out = run.results, run.run_dir
    written = []
    if len(res.region_timesteps):
        path = out / "stranded_power_duration.png"
        plots.plot_stranded_power_duration(res.region_timesteps, path)
        written.append(path)
    site = plots.largest_campus(res.sites) if len(res.sites) else None
    path = out / "campus_dispatch.png"
    if site is not None and len(res.dispatch):
        steps = res.dispatch.loc[res.dispatch["site"] == site, "timestep"].astype(str).tolist()
        plots.plot_campus_dispatch(res.dispatch, site, path, _periods(run, steps))
        written.append(path)
    else:
        path.unlink(missing_ok=True)  # nothing built: no stale figure of an earlier export
    breakdown = run.summary.get("objective_breakdown_usd")
    if breakdown:
        path = out / "cost_breakdown.png"
        plots.plot_cost_breakdown(breakdown, path)
        written.append(path)
    if (out / "weather_years.csv").is_file():
        path = out / WEATHER_YEARS_PLOT
        plots.plot_weather_years(read_table(out, "weather_years"), path)
        written.append(path)
    if run.interfaces is not None:
        path = out / INTERFACES_PLOT
        plots.plot_interface_values(run.interfaces[0], path)
        written.append(path)
    return written


_WRITERS = {"geojson": _geojson, "html": _map, "png": _plots}


def _file_mode() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


_FILES = {
    "geojson": tuple(f"{name}.geojson" for name in (*LAYERS, *ZONAL_LAYERS)),
    "html": (MAP_FILE,),
    "png": (*PLOT_FILES, WEATHER_YEARS_PLOT, INTERFACES_PLOT),
}


def write_geojson(run_dir: PathLike, data_dir: PathLike | None = None) -> list[Path]:
    """Write ``sites``, ``assignments``, ``metros`` and ``regions.geojson`` into ``run_dir``."""
    return write_exports(run_dir, data_dir, ("geojson",))


def write_map(run_dir: PathLike, data_dir: PathLike | None = None) -> list[Path]:
    """Write ``map.html`` into ``run_dir`` (an empty list when the run has no solution)."""
    return write_exports(run_dir, data_dir, ("html",))


def write_plots(run_dir: PathLike) -> list[Path]:
    """Write the run's PNG plots into ``run_dir``; a plot with nothing to show is skipped (the
    dispatch plot when nothing is built)."""
    return write_exports(run_dir, None, ("png",))


def write_exports(
    run_dir: PathLike, data_dir: PathLike | None = None, formats: tuple[str, ...] = FORMATS
) -> list[Path]:
    """Write the exports of the chosen ``formats`` (see :data:`FORMATS`); returns the files."""
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise InputError(f"unknown export format(s) {unknown}; known: {list(FORMATS)}")
    run = _Run(Path(run_dir), data_dir)
    run.summary  # noqa: B018  (a missing or damaged run folder is refused before writing)
    check_files_writable(run.run_dir, "run", [f for name in formats for f in _FILES[name]])
    if run.has_solution:
        run.results  # noqa: B018  (every table checked before anything is written)
    written = [path for name in FORMATS if name in formats for path in _WRITERS[name](run)]
    mode = _file_mode()
    for path in written:  # temporary files are private (0600); give the usual permissions
        path.chmod(mode)
    record_files(run.run_dir, [path.name for path in written])
    return written


def write_run_exports(run_dir: PathLike, data_dir: PathLike | None = None) -> list[Path]:
    """Write every export of a run folder into it: the four GeoJSON layers, ``map.html`` and
    the PNG plots, each file atomically. Returns the files written (none for a run without a
    solution). ``data_dir`` is the public data mirror or None (see the module docstring)."""
    return write_exports(run_dir, data_dir, FORMATS)


__all__ = [
    "FORMATS",
    "LAYERS",
    "MAP_FILE",
    "PLOT_FILES",
    "geojson_layers",
    "map_html",
    "write_exports",
    "write_geojson",
    "write_map",
    "write_plots",
    "write_run_exports",
]
