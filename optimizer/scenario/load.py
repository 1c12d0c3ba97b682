"""The validated :class:`Scenario`, and the entry points that build it from a folder or frames.

:func:`load_scenario` reads and checks a folder and returns a :class:`Scenario` with tidy frames
(defaults filled, one dtype per column), or raises one :class:`ScenarioError` listing every
problem; :func:`check_scenario` returns that list instead of raising;
:func:`scenario_from_frames` applies the same checks to frames built in Python.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimizer.errors import ScenarioError
from optimizer.scenario.checks import (
    admissible,
    check_complete,
    check_groups,
    check_inference_profiles,
    check_refs,
    check_timesteps,
    check_training,
    check_year_weights,
    check_zonal,
    computed_latency,
    known,
)
from optimizer.scenario.clean import clean_table
from optimizer.scenario.config import ScenarioConfig
from optimizer.scenario.read import read_csv
from optimizer.scenario.renames import file_renamed, old_file_of
from optimizer.scenario.settings import assemble_settings, validate_settings
from optimizer.scenario.tables import TABLES, TableSpec

MAX_PROBLEMS_IN_MESSAGE = ScenarioError.max_shown
"""At most this many problems are spelled out in a :class:`ScenarioError` message."""

_FRAMES = (
    "sites",
    "metros",
    "regions",
    "timesteps",
    "stranded",
    "prices",
    "latency",
    "inference_profiles",
    "year_weights",
    "zones",
    "region_zones",
    "interfaces",
)


@dataclass
class Scenario:
    """A validated scenario: settings and tidy tables (defaults filled, one dtype per column).

    Attributes:
        config: the settings, overrides applied.
        sites, metros, regions: one row per site, metro, region, columns as in :data:`TABLES`.
        timesteps: one row per step, in file order.
        stranded: ``region, timestep, stranded_mw`` for every pair (regions x timesteps order).
        prices: ``region, timestep, price_usd_per_mwh`` for every pair: from ``prices.csv``
            where given, else the region's flat ``energy_price_usd_per_mwh``.
        latency: ``site, metro, latency_ms``, only the pairs within the metro's
            ``latency_max_ms`` (given, or computed from coordinates).
        inference_profiles: ``profile_zone, timestep, inference_profile`` for every zone some
            metro follows (in order of first appearance in metros) and every step: from
            ``inference_profiles.csv`` for the zones it lists, else the step's
            ``inference_profile`` in timesteps.
        year_weights: ``timestep, weather_year, weight_h`` when the steps stand for several
            weather years (each step's mean over the years is its ``weight_h``), else None.
        zones, region_zones, interfaces: under ``grid.deliverability: zonal`` the grid zones,
            each region's stranded power apportioned to its zones, and the transfer limits
            between zones (columns as in :data:`TABLES`); None under ``ba``.
        source: the scenario folder, or ``"<memory>"``.
        warnings: remarks that do not stop a run (e.g. step weights not summing to a year).
    """

    config: ScenarioConfig
    sites: pd.DataFrame
    metros: pd.DataFrame
    regions: pd.DataFrame
    timesteps: pd.DataFrame
    stranded: pd.DataFrame
    prices: pd.DataFrame
    latency: pd.DataFrame
    inference_profiles: pd.DataFrame
    year_weights: pd.DataFrame | None = None
    zones: pd.DataFrame | None = None
    region_zones: pd.DataFrame | None = None
    interfaces: pd.DataFrame | None = None
    source: str = "<memory>"
    warnings: list[str] = field(default_factory=list)

    def hash(self) -> str:
        """SHA-256 (hex) of the settings and every table, stable across runs and machines.

        The folder path and the table file names are not part of it: the same content in
        another place has the same hash.
        """
        config = self.config.model_dump(mode="json", exclude={"tables"})
        tables = {
            name: getattr(self, name).to_csv(index=False, lineterminator="\n")
            for name in _FRAMES
            if getattr(self, name) is not None
        }
        text = json.dumps({"config": config, "tables": tables}, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def summary(self) -> str:
        """One line: name and the size of each set."""
        return (
            f"{self.config.name}: {len(self.sites)} sites, {len(self.metros)} metros, "
            f"{len(self.regions)} regions, {len(self.timesteps)} timesteps, "
            f"{len(self.latency)} admissible site-metro pairs"
        )


# --------------------------------------------------------------------------------------------
# Checking settings and tables together
# --------------------------------------------------------------------------------------------

GetFrame = Callable[[str, str, ScenarioConfig], pd.DataFrame | None]
"""``(table key, label, settings) -> raw frame``, or None for a table not given."""


def _ids(frame: pd.DataFrame | None, column: str) -> list[str] | None:
    """The valid keys of a table others refer to; None (no cross-checks) when there are none."""
    return None if frame is None else [v for v in frame[column] if v is not None] or None


def _validate(
    raw_config: Mapping[str, Any] | ScenarioConfig | None,
    sources: Mapping[str, str],
    get_frame: GetFrame,
    source: str,
    problems: list[str],
    require_reach: bool = True,
) -> Scenario | None:
    """Check settings and tables together; the scenario, or None if there is any problem."""
    warnings: list[str] = []
    config, usable = validate_settings(raw_config, sources, problems)
    labels = {key: getattr(usable.tables, key) or f"{key}.csv" for key in TABLES}
    zonal = usable.grid.deliverability == "zonal"
    clean: dict[str, pd.DataFrame | None] = {}
    for key, spec in TABLES.items():
        if spec.zonal and not zonal:
            clean[key] = None
            continue
        raw = get_frame(key, labels[key], usable)
        if raw is None and spec.zonal:
            problems.append(
                f"{labels[key]}: needed: grid.deliverability is zonal, which reads zones, "
                "region_zones and interfaces (or set grid.deliverability: ba)"
            )
        clean[key] = None if raw is None else clean_table(raw, spec, labels[key], usable, problems)

    for key in ("sites", "regions", "timesteps"):
        frame = clean[key]
        if frame is not None and frame.empty:
            problems.append(f"{labels[key]}: no rows (at least one {key[:-1]} is needed)")

    sites, metros = clean["sites"], clean["metros"]
    region_ids, step_ids = _ids(clean["regions"], "region"), _ids(clean["timesteps"], "timestep")
    if sites is not None and not known(sites["site"]):
        sites = None

    if sites is not None:
        if region_ids is not None:
            label = labels["sites"]
            check_refs(sites, "region", set(region_ids), label, labels["regions"], problems)
        check_groups(sites, labels["sites"], problems)
    if clean["timesteps"] is not None:
        several_years = clean["year_weights"] is not None
        check_timesteps(clean["timesteps"], labels["timesteps"], problems, warnings, several_years)
        if several_years:
            check_year_weights(clean["year_weights"], clean["timesteps"], labels, problems)
    if region_ids is not None and step_ids is not None:
        for key in ("stranded", "prices"):
            frame, label = clean[key], labels[key]
            if frame is None:
                continue
            check_refs(frame, "region", set(region_ids), label, labels["regions"], problems)
            check_refs(frame, "timestep", set(step_ids), label, labels["timesteps"], problems)
            if key == "stranded":  # prices may leave pairs to the regions' flat prices
                check_complete(frame, "region", region_ids, step_ids, label, problems)
    if clean["inference_profiles"] is not None and step_ids is not None:
        check_inference_profiles(
            clean["inference_profiles"], metros, step_ids, labels, problems, warnings
        )

    latency = None
    if sites is not None and metros is not None:
        given = clean["latency"]
        if given is not None:
            label = labels["latency"]
            check_refs(given, "site", known(sites["site"]), label, labels["sites"], problems)
            check_refs(given, "metro", known(metros["metro"]), label, labels["metros"], problems)
            pairs = given[["site", "metro", "latency_ms"]]
        else:
            pairs = computed_latency(sites, metros, usable.latency)
        latency = admissible(pairs, sites, metros, labels, problems, require_reach)
    if config is not None and sites is not None:
        check_training(config, sites, labels, sources, problems)
    if zonal and sites is not None and region_ids is not None:
        check_zonal(clean, set(region_ids), labels, problems)

    if problems or config is None:
        return None
    assert latency is not None and step_ids is not None and region_ids is not None
    scenario = _assemble(config, clean, latency, region_ids, step_ids, source)
    scenario.warnings = warnings
    return scenario


# --------------------------------------------------------------------------------------------
# The tidy tables
# --------------------------------------------------------------------------------------------


def _final(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Drop ``_line`` and give each column its dtype."""
    dtypes = {"float": "float64", "int": "int64", "bool": bool}
    out = pd.DataFrame(index=range(len(frame)))
    for column in spec.columns:
        values = frame[column.name].to_numpy(dtype=object)
        if column.kind == "str":
            out[column.name] = pd.Series(values, dtype=str)
        else:
            out[column.name] = values.astype(dtypes[column.kind])
    return out


def _on_grid(
    grid: pd.MultiIndex, name: str, given: pd.DataFrame | None, fallback: pd.Series | None = None
) -> pd.DataFrame:
    """One row per pair of ``grid`` (in its order) with column ``name``: the value ``given``
    holds for the pair, else ``fallback`` (a Series indexed by one of the grid's levels)."""
    if given is None:
        values = pd.Series(np.nan, index=grid, dtype="float64")
    else:
        values = given.set_index(list(grid.names))[name].reindex(grid)
    if fallback is not None:
        level = grid.get_level_values(fallback.index.name)
        values = values.fillna(pd.Series(fallback.reindex(level).to_numpy(), index=grid))
    frame = values.rename(name).reset_index()
    for level_name in grid.names:
        frame[level_name] = frame[level_name].astype(str)
    frame[name] = frame[name].astype("float64")
    return frame


def _assemble(
    config: ScenarioConfig,
    clean: Mapping[str, pd.DataFrame | None],
    latency: pd.DataFrame,
    region_ids: list[str],
    step_ids: list[str],
    source: str,
) -> Scenario:
    """The Scenario from checked frames: dtypes set, pair tables in grid order."""
    tables = {k: _final(f, TABLES[k]) for k, f in clean.items() if f is not None}
    region_steps = pd.MultiIndex.from_product([region_ids, step_ids], names=["region", "timestep"])
    zones = list(dict.fromkeys(tables["metros"]["profile_zone"]))
    zone_steps = pd.MultiIndex.from_product([zones, step_ids], names=["profile_zone", "timestep"])
    return Scenario(
        config=config,
        sites=tables["sites"],
        metros=tables["metros"],
        regions=tables["regions"],
        timesteps=tables["timesteps"],
        stranded=_on_grid(region_steps, "stranded_mw", tables["stranded"]),
        prices=_on_grid(
            region_steps,
            "price_usd_per_mwh",
            tables.get("prices"),
            tables["regions"].set_index("region")["energy_price_usd_per_mwh"],
        ),
        latency=pd.DataFrame(
            {
                "site": pd.Series(latency["site"].to_numpy(object), dtype=str),
                "metro": pd.Series(latency["metro"].to_numpy(object), dtype=str),
                "latency_ms": latency["latency_ms"].to_numpy(dtype="float64"),
            }
        ),
        inference_profiles=_on_grid(
            zone_steps,
            "inference_profile",
            tables.get("inference_profiles"),
            tables["timesteps"].set_index("timestep")["inference_profile"],
        ),
        year_weights=tables.get("year_weights"),
        zones=tables.get("zones"),
        region_zones=tables.get("region_zones"),
        interfaces=tables.get("interfaces"),
        source=source,
    )


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def _inspect(
    folder: str | Path,
    overrides: Sequence[str],
    override_files: Sequence[str | Path],
) -> tuple[Scenario | None, list[str]]:
    folder = Path(folder)
    if not folder.is_dir():
        return None, [f"{folder}: scenario folder not found"]
    problems: list[str] = []
    raw, sources = assemble_settings(folder, overrides, override_files, problems)

    def get_frame(key: str, label: str, config: ScenarioConfig) -> pd.DataFrame | None:
        name = getattr(config.tables, key)
        if name is None:
            return None
        old = old_file_of(name)
        if old and not (folder / name).exists() and (folder / old).is_file():
            problems.append(f"{old}: {file_renamed(old)}")
            return None
        return read_csv(folder / name, label, problems)

    return _validate(raw, sources, get_frame, str(folder), problems), problems


def load_scenario(
    folder: str | Path,
    overrides: Sequence[str] = (),
    override_files: Sequence[str | Path] = (),
) -> Scenario:
    """Read and check a scenario folder; override files, then ``--set`` overrides, applied.

    Raises :class:`ScenarioError` (an :class:`InputError`) listing every problem found.
    """
    scenario, problems = _inspect(folder, overrides, override_files)
    if scenario is None:
        raise ScenarioError(str(folder), problems or ["invalid scenario"])
    return scenario


def check_scenario(
    folder: str | Path,
    overrides: Sequence[str] = (),
    override_files: Sequence[str | Path] = (),
) -> list[str]:
    """Every problem of a scenario folder, each ``file: row N, column C: what is wrong``.

    Row numbers are lines of the CSV file (the header is row 1). Empty if the scenario is valid.
    """
    return _inspect(folder, overrides, override_files)[1]


def scenario_from_frames(
    config: Mapping[str, Any] | ScenarioConfig,
    sites: pd.DataFrame,
    metros: pd.DataFrame,
    regions: pd.DataFrame,
    timesteps: pd.DataFrame,
    stranded: pd.DataFrame,
    prices: pd.DataFrame | None = None,
    latency: pd.DataFrame | None = None,
    inference_profiles: pd.DataFrame | None = None,
    year_weights: pd.DataFrame | None = None,
    source: str = "<memory>",
    require_reach: bool = True,
    zones: pd.DataFrame | None = None,
    region_zones: pd.DataFrame | None = None,
    interfaces: pd.DataFrame | None = None,
) -> Scenario:
    """A scenario from settings and frames built in Python, with the same checks as a folder.

    Problems name the table as its file would be (``sites.csv``) and rows as they would be in
    that file (first data row = row 2). ``require_reach=False`` lets a metro have no admissible
    site (all of it unserved): the full-year check keeps only the sites a plan uses.
    """
    frames = {
        "sites": sites,
        "metros": metros,
        "regions": regions,
        "timesteps": timesteps,
        "stranded": stranded,
        "prices": prices,
        "latency": latency,
        "inference_profiles": inference_profiles,
        "year_weights": year_weights,
        "zones": zones,
        "region_zones": region_zones,
        "interfaces": interfaces,
    }
    problems: list[str] = []

    def get_frame(key: str, label: str, _: ScenarioConfig) -> pd.DataFrame | None:
        frame = frames[key]
        if frame is None:
            if not TABLES[key].optional:
                problems.append(f"{label}: table not given")
            return None
        return frame.reset_index(drop=True)

    raw = config if isinstance(config, ScenarioConfig) else copy.deepcopy(dict(config))
    scenario = _validate(raw, {}, get_frame, source, problems, require_reach)
    if scenario is None:
        raise ScenarioError(source, problems or ["invalid scenario"])
    return scenario
