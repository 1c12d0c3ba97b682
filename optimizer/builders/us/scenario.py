"""The default US scenario, built from the public data (``data/scenarios/us-default.yaml``).

Stages, each a pure function of the previous stage's output (so a notebook can stop anywhere):

1. ``load_inputs``: the public data the builder reads (hourly BA load, lines, BA polygons,
   metros, existing data centers, queue, backbone topologies);
2. ``build_sites``: campus candidate groups along high-voltage lines and edge candidates at the
   largest metros and data-center clusters (:mod:`.sites`), with PUE, time to power
   and spur cost;
3. ``build_metros``: inference demand per metro (population x peak W per resident), its
   latency limit and its time zone;
4. ``build_latency``: round-trip latency of admissible site-metro pairs over the merged backbone
   (:mod:`.latency`); metros with no edge site in reach are left out and listed;
5. ``build_time``: peak-keeping representative days (:mod:`.timeseries`), stranded
   headroom per BA and step, and each zone's inference profile;
6. ``assemble``: a validated :class:`~optimizer.scenario.Scenario` (and its full-year twin for
   the full-year check).

The numbers the builder needs that are not in the public data (costs, firm capacity and energy
prices per BA, the financing mix) come from ``data/costs/`` with their sources.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import networkx as nx
import pandas as pd

from optimizer import inputs as ds
from optimizer.builders.us import latency as lat
from optimizer.builders.us import sites as st
from optimizer.builders.us import timeseries as tsr
from optimizer.errors import InputError
from optimizer.inputs.project import PROJECT_DATA_DIR
from optimizer.inputs.regions import ba_utc_offsets_h
from optimizer.scenario import (
    Scenario,
    ScenarioConfig,
    scenario_from_frames,
    settings_from_files,
)

DEFAULT_SCENARIO = PROJECT_DATA_DIR / "scenarios" / "us-default.yaml"
DEFAULT_COSTS = PROJECT_DATA_DIR / "costs" / "us_default_costs.yaml"
REGION_COSTS = PROJECT_DATA_DIR / "costs" / "regions.csv"
STATE_TIMEZONES = PROJECT_DATA_DIR / "state_timezones.csv"
Progress = Callable[[str], None]


@dataclass
class UsInputs:
    """The public data the builder reads, loaded once."""

    load_mw: pd.DataFrame
    lines: gpd.GeoDataFrame
    ba_polygons: gpd.GeoDataFrame
    metros: gpd.GeoDataFrame
    datacenters: gpd.GeoDataFrame
    queue: pd.DataFrame
    topologies: dict[str, nx.Graph]


@dataclass
class UsScenario:
    """The built scenario, its full-year twin, and what the builder decided on the way."""

    scenario: Scenario
    full_year: Scenario | None
    campus_candidates: gpd.GeoDataFrame
    time_to_power: pd.DataFrame
    days: pd.DataFrame
    left_out_metros: pd.DataFrame
    stage_seconds: dict[str, float] = field(default_factory=dict)


def load_us_config(
    path: str | Path = DEFAULT_SCENARIO,
    overrides: Sequence[str] = (),
    override_files: Sequence[str | Path] = (),
    costs_file: str | Path = DEFAULT_COSTS,
) -> ScenarioConfig:
    """The settings of a built scenario: the sourced cost file, the scenario file merged over
    it, then override files and ``--set`` overrides; every problem reported at once."""
    return settings_from_files([Path(costs_file), Path(path)], overrides, override_files)


def load_inputs(data_dir: str | Path | None, networks: list[str] | None = None) -> UsInputs:
    """Load and check every public file the builder reads."""
    return UsInputs(
        load_mw=ds.load_ba_load_mw(data_dir),
        lines=ds.load_transmission_lines(data_dir),
        ba_polygons=ds.load_ba_polygons(data_dir),
        metros=ds.load_metros(data_dir),
        datacenters=ds.load_datacenters(data_dir),
        queue=ds.load_interconnection_queue(data_dir),
        topologies=ds.load_backbone_topologies(data_dir, tuple(networks) if networks else None),
    )


def chosen_bas(config: ScenarioConfig, load_mw: pd.DataFrame) -> list[str]:
    """The BAs of the scenario: ``build.bas`` or every BA with hourly load."""
    bas = list(config.build.bas) or list(load_mw.columns)
    unknown = sorted(set(bas) - set(load_mw.columns))
    if unknown:
        raise InputError(f"build.bas: unknown BA code(s) {unknown}; known: {list(load_mw.columns)}")
    return bas


def build_sites(
    config: ScenarioConfig, inputs: UsInputs, bas: list[str]
) -> tuple[pd.DataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """Site rows (campus groups, then edge sites), the campus candidate points, and the
    time-to-power figures per queue region."""
    b = config.build
    candidates = st.line_candidates(
        inputs.lines, inputs.ba_polygons, bas, b.campus_spacing_km, tuple(b.campus_classes)
    )
    by_region = st.time_to_power_by_region(inputs.queue)
    ttp = st.ba_time_to_power(bas, by_region)
    ref_lat = st.ba_reference_lat(inputs.ba_polygons, bas)

    def pue(lat_deg):
        if b.pue_constant is not None:
            return b.pue_constant + 0.0 * pd.Series(lat_deg, dtype=float).to_numpy()
        return st.pue_from_latitude(
            lat_deg, b.pue_base, b.pue_per_degree_south, b.pue_reference_lat
        )

    classes = {k: v.model_dump() for k, v in b.campus_classes.items()}
    campus = st.campus_groups(
        candidates,
        classes,
        pue_by_ba={ba: float(pue([ref_lat[ba]])[0]) for ba in bas},
        time_to_power_by_ba=ttp,
        spur_km=b.campus_spur_km,
        spur_capex_usd_per_mw_km=b.spur_capex_usd_per_mw_km,
    )
    edge = st.edge_candidates(
        inputs.metros,
        inputs.datacenters,
        inputs.ba_polygons,
        bas,
        b.n_metros,
        b.datacenter_cluster_km,
        b.datacenter_cluster_min_count,
    )
    grid_lines = inputs.lines[~inputs.lines["is_dc"]]
    spur_km = st.distance_to_lines_km(edge, grid_lines)
    edge_rows = pd.DataFrame(
        {
            "site": edge["site"],
            "region": edge["region"],
            "lat": edge["lat"],
            "lon": edge["lon"],
            "count": 1,
            "voltage_class": "distribution",
            "interconnect_mw": b.edge_interconnect_mw,
            "interconnect_upgrade_max_mw": b.edge_interconnect_upgrade_max_mw,
            "site_max_mw": b.edge_site_max_mw,
            "pue": pue(edge["lat"]),
            "time_to_power_years": edge["region"].map(ttp),
            "spur_km": spur_km,
            "spur_capex_usd_per_mw": spur_km * b.spur_capex_usd_per_mw_km,
            "campus_allowed": False,
            "edge_allowed": True,
            "storage_allowed": False,
            "note": edge["kind"] + ": " + edge["name"],
        }
    )
    by_region["bas"] = by_region["queue_region"].map(
        lambda q: " ".join(ba for ba in bas if st.BA_QUEUE_REGION.get(ba) == q)
    )
    sites = pd.concat([campus, edge_rows], ignore_index=True)
    return sites, candidates, by_region


def state_utc_offsets(path: Path = STATE_TIMEZONES) -> dict[str, int]:
    """Standard-time UTC offset of each state (most-populous zone for split states)."""
    table = pd.read_csv(path)
    return dict(zip(table["state"], table["utc_offset_standard_h"].astype(int), strict=True))


def zone_name(offset_h: int) -> str:
    """Profile zone name of a UTC offset, e.g. ``UTC-5``."""
    return f"UTC{offset_h:+d}"


def build_metros(config: ScenarioConfig, inputs: UsInputs) -> pd.DataFrame:
    """The largest metros with their peak inference demand (IT MW) and time zone."""
    b = config.build
    top = inputs.metros.head(b.n_metros)
    offsets = state_utc_offsets()
    missing = sorted(set(top["principal_state"]) - set(offsets))
    if missing:
        raise InputError(f"{STATE_TIMEZONES}: no time zone for state(s) {missing}")
    return pd.DataFrame(
        {
            "metro": top["cbsa"].astype(str),
            "lat": top["city_lat"],
            "lon": top["city_lon"],
            "inference_demand_mw": top["pop_2023"] * b.inference_w_per_capita / 1e6,
            "latency_max_ms": config.inference.latency_max_ms,
            "profile_zone": top["principal_state"].map(offsets).map(zone_name),
            "note": top["name"],
        }
    ).reset_index(drop=True)


def build_latency(
    config: ScenarioConfig, inputs: UsInputs, sites: pd.DataFrame, metros: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Admissible pairs over the merged backbone; metros with none are left out (returned)."""
    c = config.latency
    graph = lat.backbone_graph(
        inputs.topologies, merge_km=config.build.network_merge_km, route_factor=c.route_factor
    )
    edge_sites = sites[sites["edge_allowed"]][["site", "lat", "lon"]]
    pairs = lat.latency_table(
        graph,
        edge_sites,
        metros[["metro", "lat", "lon", "latency_max_ms"]],
        fibre_ms_per_km=c.fibre_ms_per_km,
        route_factor=c.route_factor,
        overhead_ms=c.overhead_ms,
    )
    reached = metros["metro"].isin(pairs["metro"])
    return metros[reached].reset_index(drop=True), pairs, metros[~reached].reset_index(drop=True)


def build_time(
    config: ScenarioConfig, inputs: UsInputs, bas: list[str], zones: dict[str, int], full: bool
) -> tuple[tsr.RepresentativeDays, pd.DataFrame]:
    """Representative days (or the full year) and each zone's inference profile on them."""
    b = config.build
    load = inputs.load_mw[bas]
    offsets = ba_utc_offsets_h()
    record = (b.record_first_year, b.record_last_year)
    days = (
        tsr.full_year(load, offsets, b.year, record)
        if full
        else tsr.representative_days(load, offsets, b.year, b.n_typical_days, record)
    )
    return days, tsr.inference_profiles(days.timesteps, zones)


def region_table(config: ScenarioConfig, bas: list[str], path: Path = REGION_COSTS) -> pd.DataFrame:
    """Regions (BAs) with our share of their headroom and their firm capacity and energy prices."""
    costs = pd.read_csv(path).set_index("region")
    missing = sorted(set(bas) - set(costs.index))
    if missing:
        raise InputError(f"{path}: no costs for region(s) {missing}")
    return pd.DataFrame(
        {
            "region": bas,
            "headroom_share": config.build.headroom_share,
            "firm_capacity_usd_per_mw_year": costs.loc[bas, "firm_capacity_usd_per_mw_year"].values,
            "energy_price_usd_per_mwh": costs.loc[bas, "energy_price_usd_per_mwh"].values,
        }
    )


def _frames(days: tsr.RepresentativeDays, profiles: pd.DataFrame, bas: list[str]):
    timesteps = days.timesteps[["timestep", "period", "duration_h", "weight_h"]]
    headroom = days.headroom[days.headroom["region"].isin(bas)]
    return timesteps, headroom, profiles


def build_us_scenario(
    config: ScenarioConfig,
    data_dir: str | Path | None,
    with_full_year: bool = True,
    progress: Progress | None = None,
) -> UsScenario:
    """Build the US scenario of ``config`` (which needs a ``build`` section) from the data."""
    if config.build is None:
        raise InputError("the US scenario builder needs a build: section in the scenario")
    say = progress or (lambda _msg: None)
    seconds: dict[str, float] = {}

    def stage(name, fn, *args):
        started = time.perf_counter()
        out = fn(*args)
        seconds[name] = time.perf_counter() - started
        say(f"{name}: {seconds[name]:.1f} s")
        return out

    inputs = stage("data load", load_inputs, data_dir, config.build.backbone_networks or None)
    if config.build.n_metros > len(inputs.metros):
        raise InputError(
            f"build.n_metros is {config.build.n_metros}, but the metros table holds "
            f"{len(inputs.metros)} metro and micro areas with coordinates; give at most that"
        )
    bas = chosen_bas(config, inputs.load_mw)
    sites, candidates, ttp = stage("sites", build_sites, config, inputs, bas)
    metros = build_metros(config, inputs)
    metros, pairs, left_out = stage("latency", build_latency, config, inputs, sites, metros)
    zones = {z: int(z.removeprefix("UTC")) for z in metros["profile_zone"].unique()}
    days, profiles = stage("time reduction", build_time, config, inputs, bas, zones, False)
    regions = region_table(config, bas)
    timesteps, headroom, profiles = _frames(days, profiles, bas)
    common = {"sites": sites, "metros": metros, "regions": regions, "latency": pairs[
        ["site", "metro", "latency_ms"]]}  # fmt: skip
    started = time.perf_counter()
    scenario = scenario_from_frames(
        config, timesteps=timesteps, headroom=headroom, inference_profiles=profiles,
        source=f"us-default built from {data_dir}", **common,
    )  # fmt: skip
    seconds["assemble"] = time.perf_counter() - started
    full = None
    if with_full_year:
        full_days, full_profiles = stage(
            "full-year series", build_time, config, inputs, bas, zones, True
        )
        f_steps, f_headroom, f_profiles = _frames(full_days, full_profiles, bas)
        full = scenario_from_frames(
            config, timesteps=f_steps, headroom=f_headroom, inference_profiles=f_profiles,
            source=f"us-default full year {config.build.year}", **common,
        )  # fmt: skip
    return UsScenario(scenario, full, candidates, ttp, days.days, left_out, seconds)
