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
5. ``build_time``: peak-keeping representative days (:mod:`.timeseries`), stranded power per
   BA and step, and each zone's inference profile (and the same over the full year for the
   full-year check).

:func:`build_us` runs these stages into a :class:`UsBuild`, which depends only on the build key
(:mod:`.settings`), so that scenarios differing elsewhere share it (:mod:`.cache`);
:func:`assemble` makes the validated :class:`~optimizer.scenario.Scenario` (and its full-year
twin) of a scenario's settings on it.

The numbers the builder needs that are not in the public data (costs, firm capacity and energy
prices per BA, the financing mix) come from ``data/costs/`` with their sources.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import networkx as nx
import pandas as pd

from optimizer import inputs as ds
from optimizer.builders.us import latency as lat
from optimizer.builders.us import sites as st
from optimizer.builders.us import timeseries as tsr
from optimizer.builders.us.settings import NO_BUILD
from optimizer.errors import InputError
from optimizer.inputs.project import PROJECT_DATA_DIR
from optimizer.inputs.regions import ba_utc_offsets_h
from optimizer.scenario import Scenario, ScenarioConfig, scenario_from_frames

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
class Steps:
    """Time steps of a built scenario and the tables on them."""

    timesteps: pd.DataFrame
    """``timestep, period, duration_h, weight_h``"""
    stranded: pd.DataFrame
    """``region, timestep, stranded_mw``"""
    inference_profiles: pd.DataFrame
    """``profile_zone, timestep, inference_profile``"""


@dataclass
class UsBuild:
    """What the builder takes from the public data for one build key (module docstring)."""

    bas: list[str]
    sites: pd.DataFrame
    metros: pd.DataFrame
    latency: pd.DataFrame
    """``site, metro, latency_ms`` of the admissible pairs"""
    days: Steps
    """the representative days"""
    full_year: Steps | None
    """every hour of the model year (None when not built)"""
    tables: dict[str, pd.DataFrame]
    """what the builder decided on the way, for the run folder: ``time_to_power``,
    ``representative_days``, ``campus_candidates``, ``left_out_metros``"""
    stage_seconds: dict[str, float]


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
    config: ScenarioConfig, inputs: UsInputs, bas: list[str], full: bool
) -> tsr.RepresentativeDays:
    """Representative days (or the full year)."""
    b = config.build
    load = inputs.load_mw[bas]
    offsets = ba_utc_offsets_h()
    record = (b.record_first_year, b.record_last_year)
    if full:
        return tsr.full_year(load, offsets, b.year, record)
    return tsr.representative_days(load, offsets, b.year, b.n_typical_days, record)


def region_table(config: ScenarioConfig, bas: list[str], path: Path = REGION_COSTS) -> pd.DataFrame:
    """Regions (BAs): our share of their stranded power, their firm capacity and energy prices."""
    costs = pd.read_csv(path).set_index("region")
    missing = sorted(set(bas) - set(costs.index))
    if missing:
        raise InputError(f"{path}: no costs for region(s) {missing}")
    return pd.DataFrame(
        {
            "region": bas,
            "stranded_share_pct": config.build.stranded_share_pct,
            "firm_capacity_usd_per_mw_year": costs.loc[bas, "firm_capacity_usd_per_mw_year"].values,
            "energy_price_usd_per_mwh": costs.loc[bas, "energy_price_usd_per_mwh"].values,
        }
    )


def _steps(days: tsr.RepresentativeDays, zones: dict[str, int]) -> Steps:
    return Steps(
        timesteps=days.timesteps[["timestep", "period", "duration_h", "weight_h"]],
        stranded=days.stranded,
        inference_profiles=tsr.inference_profiles(days.timesteps, zones),
    )


def build_us(
    config: ScenarioConfig,
    data_dir: str | Path | None,
    with_full_year: bool = True,
    progress: Progress | None = None,
) -> UsBuild:
    """Build what the scenario of ``config`` (which needs a ``build`` section) takes from the
    public data: everything that depends on its build key only (:mod:`.settings`)."""
    if config.build is None:
        raise InputError(NO_BUILD)
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
    days = stage("time reduction", build_time, config, inputs, bas, False)
    full = (
        stage("full-year series", build_time, config, inputs, bas, True) if with_full_year else None
    )
    return UsBuild(
        bas=bas,
        sites=sites,
        metros=metros,
        latency=pairs[["site", "metro", "latency_ms"]],
        days=_steps(days, zones),
        full_year=None if full is None else _steps(full, zones),
        tables={
            "time_to_power": ttp,
            "representative_days": days.days,
            "campus_candidates": pd.DataFrame(candidates.drop(columns="geometry")),
            "left_out_metros": left_out,
        },
        stage_seconds=seconds,
    )


def assemble(
    config: ScenarioConfig, build: UsBuild, source: str, full_year: bool = True
) -> tuple[Scenario, Scenario | None]:
    """The validated scenario of ``config`` on ``build`` (built for its build key), and its
    full-year twin when ``full_year`` and the build has the full year."""
    regions = region_table(config, build.bas)

    def scenario(steps: Steps, label: str) -> Scenario:
        return scenario_from_frames(
            config,
            sites=build.sites,
            metros=build.metros,
            regions=regions,
            latency=build.latency,
            timesteps=steps.timesteps,
            stranded=steps.stranded,
            inference_profiles=steps.inference_profiles,
            source=label,
        )

    full = build.full_year if full_year else None
    return (
        scenario(build.days, source),
        None if full is None else scenario(full, f"{source}, full year {config.build.year}"),
    )
