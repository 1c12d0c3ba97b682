"""The default US scenario, built from the public data (``data/scenarios/us-default.yaml``).

Stages, each a pure function of the previous stage's output (so a notebook can stop anywhere):

1. ``load_inputs``: the public data the builder reads (hourly load of the 54 lower-48 load BAs,
   lines, BA polygons, counties, ReEDS zones, metros, existing data centers, queue, EIA-860
   generators, backbone topologies);
2. ``build_sites``: individual campus candidates (one site row each) along high-voltage lines
   and at existing plants of 500 MW or more (co-location), and edge candidates at the largest
   metros and data-center clusters (:mod:`.sites`), each with its place (county, state, ReEDS
   zone), PUE, time to power, spur and grid figures, in the chosen BAs (``build.bas``) that can
   host a site (:func:`ba_table`); the campus candidates with every figure are the run's
   ``campus_candidates.csv``;
3. ``build_metros``: inference demand per metro (population x peak W per resident), its
   latency limit and its time zone;
4. ``build_latency``: round-trip latency of admissible site-metro pairs over the merged backbone
   (:mod:`.latency`); metros with no edge site in reach are left out and listed with the reason
   (:func:`left_out_reasons`);
5. ``build_time``: peak-keeping representative days (:mod:`.timeseries`), stranded power per
   BA and step, and each zone's inference profile (and the same over the full year for the
   full-year check), over the BAs that hold candidate sites.

Which BAs are modelled (:func:`ba_table`, written to the run as ``balancing_authorities.csv``
and summarised in ``summary.json`` under ``bas``): of the BAs of ``build.bas`` (by default all
54 lower-48 load BAs), a BA is a region of the scenario when its load covers every hour of the
model year and its polygon holds at least one candidate site. The others are listed with the
reason: no load in the model year (AEC, merged into SOCO in 2021, and NSB, which stopped
reporting in 2020, for 2024), no polygon (CPLW, GVL, HST, IID, LDWP, SCL and SPA sell most in no
county of EIA-861 2018), or no candidate site in the polygon. A region's seasonal thresholds
come from the years of record its load covers (a year missing more than 1 % of its hours is
left out, :func:`optimizer.stranded.headroom.stranded_power`): PSEI and TAL without 2020, TEPC
without 2021; the table and the run summary say which years. Only the regions' peak days are
kept: the stranded power of a BA without sites limits nothing.

:func:`build_us` runs these stages into a :class:`UsBuild`, which depends only on the build key
(:mod:`.settings`), so that scenarios differing elsewhere share it (:mod:`.cache`);
:func:`assemble` makes the validated :class:`~optimizer.scenario.Scenario` (and its full-year
twin) of a scenario's settings on it.

The numbers the builder needs that are not in the public data (costs, firm capacity and energy
prices per BA and per state, the financing mix) come from ``data/costs/`` with their sources; a
site pays its state's price (:func:`state_price_adders`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from optimizer import inputs as ds
from optimizer.builders.us import latency as lat
from optimizer.builders.us import places as pl
from optimizer.builders.us import sites as st
from optimizer.builders.us import timeseries as tsr
from optimizer.builders.us import zones as zn
from optimizer.builders.us.settings import NO_BUILD
from optimizer.errors import InputError
from optimizer.inputs.project import PROJECT_DATA_DIR
from optimizer.inputs.regions import ba_utc_offsets_h, lower48_states, state_codes
from optimizer.scenario import TABLES, Scenario, ScenarioConfig, scenario_from_frames
from optimizer.stranded.headroom import stranded_power_by_ba, year_ranges

REGION_COSTS = PROJECT_DATA_DIR / "costs" / "regions.csv"
STATE_PRICES = PROJECT_DATA_DIR / "costs" / "state_prices.csv"
"""EIA's 2023 industrial price of each lower-48 state but Wyoming (the stored source is cut off
before it), with its source."""
STATE_TIMEZONES = PROJECT_DATA_DIR / "state_timezones.csv"
METRO_TIMEZONES = PROJECT_DATA_DIR / "metro_timezones.csv"
"""Metros in a state split by time zones whose principal city is not in the state's most
populous zone (El Paso, Knoxville, Chattanooga): their own zone."""
Progress = Callable[[str], None]


@dataclass
class UsInputs:
    """The public data the builder reads, loaded once."""

    load_mw: pd.DataFrame
    lines: gpd.GeoDataFrame
    ba_polygons: gpd.GeoDataFrame
    counties: gpd.GeoDataFrame
    reeds_zones: gpd.GeoDataFrame
    reeds_interfaces: pd.DataFrame
    reeds_links: pd.DataFrame
    metros: gpd.GeoDataFrame
    datacenters: gpd.GeoDataFrame
    queue: pd.DataFrame
    generators: pd.DataFrame
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
    year_weights: pd.DataFrame | None = None
    """``timestep, weather_year, weight_h`` when the steps stand for several years"""


@dataclass
class UsBuild:
    """What the builder takes from the public data for one build key (module docstring)."""

    bas: list[str]
    """the BAs modelled (regions): those of ``build.bas`` that can host a site"""
    sites: pd.DataFrame
    metros: pd.DataFrame
    latency: pd.DataFrame
    """``site, metro, latency_ms`` of the admissible pairs"""
    days: Steps
    """the representative days"""
    full_year: Steps | None
    """every hour of the model year (None when not built)"""
    grid: dict[str, pd.DataFrame]
    """zonal deliverability (:mod:`.zones`): ``zones``, ``region_zones`` (each BA's stranded
    power apportioned to its zones) and ``interfaces``"""
    weather_years: dict[int, Steps]
    """every hour of each year of the record, for the BAs with its load (empty when the full
    year is not built); the BAs that sit a year out are in ``tables["weather_year_coverage"]``"""
    tables: dict[str, pd.DataFrame]
    """what the builder decided on the way, for the run folder: ``balancing_authorities``,
    ``time_to_power``, ``weather_year_coverage`` (each year of record: BAs left out for missing
    load, BAs with hours filled), ``representative_days``, ``peak_days`` (the day kept for each BA's
    extremes and its shortfall), ``campus_candidates`` (every campus candidate with its place,
    line or plant and figures: :data:`.sites.CANDIDATE_COLUMNS`), ``left_out_metros``"""
    stage_seconds: dict[str, float]


def load_inputs(
    data_dir: str | Path | None, networks: list[str] | None = None, duke22_polygons: bool = False
) -> UsInputs:
    """Load and check every public file the builder reads; the BA polygons are the lower-48
    partition, or with ``duke22_polygons`` the first release's 40 (``build.bas: duke22``)."""
    return UsInputs(
        load_mw=ds.load_ba_load_mw(data_dir, all_bas=True),
        lines=ds.load_transmission_lines(data_dir),
        ba_polygons=ds.load_ba_polygons(data_dir, all_bas=not duke22_polygons),
        counties=ds.load_counties(data_dir),
        reeds_zones=ds.load_reeds_zones(data_dir),
        reeds_interfaces=ds.load_reeds_interfaces(data_dir),
        reeds_links=ds.load_reeds_links(data_dir),
        metros=ds.load_metros(data_dir),
        datacenters=ds.load_datacenters(data_dir),
        queue=ds.load_interconnection_queue(data_dir),
        generators=ds.load_eia_generators(data_dir),
        topologies=ds.load_backbone_topologies(data_dir, tuple(networks) if networks else None),
    )


def chosen_bas(config: ScenarioConfig, load_mw: pd.DataFrame) -> list[str]:
    """The BAs of ``build.bas`` (a selection's or the codes given), each with hourly load."""
    bas = config.build.ba_codes
    unknown = sorted(set(bas) - set(load_mw.columns))
    if unknown:
        raise InputError(f"build.bas: unknown BA code(s) {unknown}; known: {list(load_mw.columns)}")
    return bas


BA_TABLE_COLUMNS = [
    "ba", "modelled", "reason", "years_used", "years_missing", "model_year_hours",
    "model_year_hours_missing",
    "has_polygon", "campus_candidates", "plant_candidates", "campus_pue_values", "edge_sites",
]  # fmt: skip
"""Columns of ``balancing_authorities.csv`` (:func:`ba_table`)."""


def ba_record(
    load_mw: pd.DataFrame, bas: list[str], year: int, record: tuple[int, int]
) -> pd.DataFrame:
    """The load record of each BA: ``ba, years_used, years_missing`` (years of ``record`` with
    and without its load, as the seasonal thresholds use them), ``model_year_hours`` (hours of
    the model year's UTC days in the record) and ``model_year_hours_missing`` (those without
    its load)."""
    stranded = stranded_power_by_ba(load_mw[bas], ba_utc_offsets_h(), record, skip_unreported=True)
    start = pd.Timestamp(year, 1, 1, 1, tz="UTC")
    stamps = pd.date_range(start, pd.Timestamp(year + 1, 1, 1, tz="UTC"), freq="h")
    in_year = load_mw.loc[load_mw.index.isin(stamps), bas]
    all_years = range(record[0], record[1] + 1)
    rows = []
    for ba in bas:
        used = stranded[ba].years if ba in stranded else ()
        rows.append(
            {
                "ba": ba,
                "years_used": year_ranges(used),
                "years_missing": year_ranges(y for y in all_years if y not in used),
                "model_year_hours": len(in_year),
                "model_year_hours_missing": int(in_year[ba].isna().sum()),
            }
        )
    return pd.DataFrame(rows, columns=["ba", "years_used", "years_missing", "model_year_hours",
                                       "model_year_hours_missing"])  # fmt: skip


def ba_table(
    record: pd.DataFrame, polygons: gpd.GeoDataFrame, sites: pd.DataFrame, year: int
) -> pd.DataFrame:
    """Every BA of ``build.bas``: whether it is modelled, why not, the years of its record, and
    its candidate sites: campus candidates (of which at plants), the distinct PUE values among
    them (candidates of one BA and PUE share an hourly operation in the model) and edge sites
    (columns :data:`BA_TABLE_COLUMNS`; see the module docstring)."""
    table = record.copy()
    table["has_polygon"] = table["ba"].isin(polygons["ba"])
    campus = sites[sites["campus_allowed"]]
    table["campus_candidates"] = table["ba"].map(campus["region"].value_counts())
    plants = campus[campus["kind"] == "plant"]
    table["plant_candidates"] = table["ba"].map(plants["region"].value_counts())
    table["campus_pue_values"] = table["ba"].map(campus.groupby("region")["pue"].nunique())
    table["edge_sites"] = table["ba"].map(sites.loc[sites["edge_allowed"], "region"].value_counts())
    for column in ("campus_candidates", "plant_candidates", "campus_pue_values", "edge_sites"):
        table[column] = table[column].fillna(0).astype("int64")
    reasons = []
    for row in table.itertuples():
        if not row.years_used:
            reasons.append("no load in the years of record")
        elif row.model_year_hours_missing == row.model_year_hours:
            reasons.append(f"no load in the model year {year} (load in {row.years_used})")
        elif row.model_year_hours_missing:
            reasons.append(
                f"load missing in {row.model_year_hours_missing} hours of the model year {year}"
            )
        elif not row.has_polygon:
            reasons.append(
                "no polygon: it sells most in no county (EIA-861 2018), so no site can be placed"
            )
        elif row.campus_candidates + row.edge_sites == 0:
            reasons.append(
                "no candidate site in its polygon (no 220 kV+ line, large plant, metro or cluster)"
            )
        else:
            reasons.append("")
    table["reason"] = reasons
    table["modelled"] = table["reason"] == ""
    return table[BA_TABLE_COLUMNS]


def build_sites(
    config: ScenarioConfig, inputs: UsInputs, bas: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Site rows (campus candidates, then edge sites; the columns of the scenario's sites
    table), the campus candidate table with every figure (:data:`.sites.CANDIDATE_COLUMNS`),
    and the time-to-power figures per queue region."""
    b = config.build
    by_region = st.time_to_power_by_region(inputs.queue)
    placed = [ba for ba in bas if ba in set(inputs.ba_polygons["ba"])]
    queue_region = dict(
        st.ba_queue_regions(placed, inputs.generators)[["ba", "queue_region"]].to_numpy()
    )
    ttp = st.ba_time_to_power(placed, by_region, queue_region)

    def pue(lat_deg):
        if b.pue_constant is not None:
            return b.pue_constant + 0.0 * pd.Series(lat_deg, dtype=float).to_numpy()
        return st.pue_from_latitude(
            lat_deg, b.pue_base, b.pue_per_degree_south, b.pue_reference_lat
        )

    on_lines = st.line_candidates(
        inputs.lines, inputs.ba_polygons, bas, b.campus_spacing_km, tuple(b.campus_classes)
    )
    plants = st.plant_sites(
        pl.plant_candidates(inputs.generators, b.plant_min_capacity_mw), inputs.ba_polygons, bas
    )
    points = st.campus_points(on_lines, plants)
    proxies = pl.substation_proxies(inputs.lines)
    figures = st.place_figures(
        points, inputs.lines, proxies, inputs.counties, inputs.reeds_zones, state_codes(),
        inputs.queue, queue_region,
    )  # fmt: skip
    campus = st.campus_rows(
        points,
        figures,
        {k: v.model_dump() for k, v in b.campus_classes.items()},
        pue,
        b.spur_capex_usd_per_mw_km,
        storage_allowed=b.campus_storage,
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
    where = pl.locate(
        edge, inputs.counties, inputs.reeds_zones, state_codes(), max_gap_km=st.PLACE_MAX_GAP_KM
    )
    records = dict(zip(by_region["queue_region"], by_region["requests"], strict=True))
    edge_rows = pd.DataFrame(
        {
            "site": edge["site"],
            "kind": edge["kind"],
            "region": edge["region"],
            "lat": edge["lat"],
            "lon": edge["lon"],
            "place": [
                pl.place_name(c, f, s)
                for c, f, s in zip(where["county"], where["county_fips"], where["state"],
                                   strict=True)
            ],
            "county": where["county"],
            "state": where["state"],
            "reeds_zone": where["reeds_zone"],
            "count": 1,
            "voltage_class": "distribution",
            "interconnect_mw": b.edge_interconnect_mw,
            "interconnect_upgrade_max_mw": b.edge_interconnect_upgrade_max_mw,
            "site_max_mw": b.edge_site_max_mw,
            "pue": pue(edge["lat"]),
            "time_to_power_years": edge["region"].map(ttp),
            "time_to_power_level": "queue_region",
            "time_to_power_records": edge["region"].map(queue_region).map(records),
            "substation_km": pl.nearest(edge, proxies)[0],
            "spur_km": spur_km,
            "spur_capex_usd_per_mw": spur_km * b.spur_capex_usd_per_mw_km,
            "campus_allowed": False,
            "edge_allowed": True,
            "storage_allowed": False,
            "note": edge["kind"] + ": " + edge["name"],
        }
    )  # fmt: skip
    columns = [c for c in TABLES["sites"].names if c in campus.columns]
    sites = pd.concat([campus[columns], edge_rows], ignore_index=True)
    for column in ("place", "county", "state", "reeds_zone"):
        sites[column] = sites[column].fillna("")
    sites["energy_price_adder_usd_per_mwh"] = state_price_adders(sites)
    hosts = set(sites["region"])
    by_region["bas"] = by_region["queue_region"].map(
        lambda q: " ".join(ba for ba in placed if queue_region[ba] == q and ba in hosts)
    )
    return sites, campus, by_region


def sites_in_zones(sites: pd.DataFrame, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """``sites`` with every ``reeds_zone`` given: a site in no zone polygon within
    :data:`.sites.PLACE_MAX_GAP_KM` takes the nearest zone (its hourly node under zonal
    deliverability)."""
    missing = sites["reeds_zone"].eq("") | sites["reeds_zone"].isna()
    if not missing.any():
        return sites
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(sites.loc[missing, "lon"], sites.loc[missing, "lat"]),
        index=sites.index[missing],
        crs="EPSG:4326",
    ).to_crs(pl.METRIC_CRS)
    near = gpd.sjoin_nearest(points, zones[["rb", "geometry"]].to_crs(pl.METRIC_CRS), how="left")
    near = near[~near.index.duplicated()]
    out = sites.copy()
    out.loc[near.index, "reeds_zone"] = near["rb"].to_numpy()
    return out


def build_zones(inputs: UsInputs, bas: list[str], sites: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The tables of zonal deliverability over the modelled BAs (:mod:`.zones`): ``zones``,
    ``region_zones`` (the cells with a share) and ``interfaces``."""
    cells = zn.cells(inputs.ba_polygons, inputs.reeds_zones, inputs.metros, bas)
    zones = zn.zone_table(inputs.reeds_zones, cells, sites)
    interfaces = zn.interface_table(
        inputs.reeds_interfaces, inputs.reeds_links, zones["zone"].tolist()
    )
    shared = cells[cells["stranded_apportion_pct"] > 0].reset_index(drop=True)
    return {"zones": zones, "region_zones": shared, "interfaces": interfaces}


def state_utc_offsets(path: Path = STATE_TIMEZONES) -> dict[str, int]:
    """Standard-time UTC offset of each state (most-populous zone for split states)."""
    table = pd.read_csv(path)
    return dict(zip(table["state"], table["utc_offset_standard_h"].astype(int), strict=True))


def zone_name(offset_h: int) -> str:
    """Profile zone name of a UTC offset, e.g. ``UTC-5``."""
    return f"UTC{offset_h:+d}"


def build_metros(config: ScenarioConfig, inputs: UsInputs) -> pd.DataFrame:
    """The largest metros with their peak inference demand (IT MW) and time zone: their
    state's most populous zone (``data/state_timezones.csv``) unless ``data/metro_timezones.csv``
    gives the metro's own."""
    b = config.build
    top = inputs.metros.head(b.n_metros)
    offsets = state_utc_offsets()
    missing = sorted(set(top["principal_state"]) - set(offsets))
    if missing:
        raise InputError(f"{STATE_TIMEZONES}: no time zone for state(s) {missing}")
    own = pd.read_csv(METRO_TIMEZONES, dtype={"cbsa": str})
    own_offset = dict(zip(own["cbsa"], own["utc_offset_standard_h"].astype(int), strict=True))
    offset = [
        own_offset.get(str(cbsa), offsets[state])
        for cbsa, state in zip(top["cbsa"], top["principal_state"], strict=True)
    ]
    return pd.DataFrame(
        {
            "metro": top["cbsa"].astype(str),
            "lat": top["city_lat"],
            "lon": top["city_lon"],
            "inference_demand_mw": top["pop_2023"] * b.inference_w_per_capita / 1e6,
            "latency_max_ms": config.inference.latency_max_ms,
            "profile_zone": [zone_name(h) for h in offset],
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


def left_out_reasons(
    left_out: pd.DataFrame, inputs: UsInputs, bas: pd.DataFrame, latency_max_ms: float
) -> pd.Series:
    """Why each left-out metro has no edge site in reach: outside the lower 48, its city in
    no BA polygon or in a BA not modelled (``bas``: :func:`ba_table`), or no edge site within
    the latency limit."""
    if left_out.empty:
        return pd.Series([], index=left_out.index, dtype=object)
    state = inputs.metros.set_index(inputs.metros["cbsa"].astype(str))["principal_state"]
    lower48 = lower48_states()
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(left_out["lon"], left_out["lat"]), crs="EPSG:4326"
    )
    ba_of = st.assign_region(points, inputs.ba_polygons, list(inputs.ba_polygons["ba"]))
    why = bas.set_index("ba")["reason"]
    reasons = []
    for i, metro in enumerate(left_out["metro"]):
        where, ba = state.get(metro), ba_of.iloc[i]
        beyond = f"no edge site within {latency_max_ms:g} ms round trip over the backbone"
        if where not in lower48:
            reasons.append(f"outside the lower 48 ({where}): no lower-48 BA can serve it")
        elif not isinstance(ba, str):
            reasons.append(f"its city lies in no BA polygon, and {beyond}")
        elif ba not in why.index:
            reasons.append(f"its city lies in {ba}, not in build.bas, and {beyond}")
        elif why[ba]:
            reasons.append(f"its city lies in {ba}, not modelled ({why[ba]}), and {beyond}")
        else:
            reasons.append(beyond)
    return pd.Series(reasons, index=left_out.index, dtype=object)


def build_time(
    config: ScenarioConfig, inputs: UsInputs, bas: list[str], full: bool
) -> tuple[tsr.RepresentativeDays, pd.DataFrame | None]:
    """Representative days (or the full year), and with ``build.plan_years: record`` the
    table of the years they are drawn from (else None)."""
    b = config.build
    load = inputs.load_mw[bas]
    offsets = ba_utc_offsets_h()
    record = (b.record_first_year, b.record_last_year)
    if full:
        return tsr.full_year(load, offsets, b.year, record), None
    if b.plan_years == "record":
        years = list(range(b.record_first_year, b.record_last_year + 1))
        drawn = tsr.record_days(
            load, offsets, years, b.n_typical_days, record, b.max_peak_days, b.required_days
        )
        return drawn.days, drawn.years
    days = tsr.representative_days(
        load, offsets, b.year, b.n_typical_days, record, b.max_peak_days, b.required_days
    )
    return days, None


def build_weather_years(
    config: ScenarioConfig, inputs: UsInputs, bas: list[str], zones: dict[str, int]
) -> tuple[dict[int, Steps], pd.DataFrame]:
    """Every hour of each year of the record for the BAs with its load (thresholds of the whole
    record), and a table of each year's BAs left out (missing load) and filled (short gaps)."""
    b = config.build
    load = inputs.load_mw[bas]
    offsets = ba_utc_offsets_h()
    record = (b.record_first_year, b.record_last_year)
    years, rows = {}, []
    for year in range(b.record_first_year, b.record_last_year + 1):
        wy = tsr.weather_year(load, offsets, year, record)
        years[year] = _steps(wy.days, zones)
        rows.append({
            "year": year,
            "hours": len(wy.days.timesteps),
            "bas": len(bas) - len(wy.left_out),
            "left_out": " ".join(f"{ba} ({n} h missing)" for ba, n in wy.left_out.items()),
            "filled": " ".join(f"{ba} ({n} h)" for ba, n in wy.filled.items()),
        })  # fmt: skip
    return years, pd.DataFrame(rows)


def state_price_adders(
    sites: pd.DataFrame, states: Path = STATE_PRICES, regions: Path = REGION_COSTS
) -> np.ndarray:
    """Each site's energy price adder, USD/MWh: its state's industrial price minus its BA's
    (the price of the state the BA mostly serves, ``regions.csv``), so that a site pays its own
    state's price; 0 where the state has no price in ``states`` (Wyoming) or is unknown."""
    state_price = pd.read_csv(states).set_index("state")["energy_price_usd_per_mwh"]
    ba_price = pd.read_csv(regions).set_index("region")["energy_price_usd_per_mwh"]
    own = sites["state"].map(state_price)
    return (own - sites["region"].map(ba_price)).fillna(0.0).round(2).to_numpy()


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
        year_weights=days.year_weights,
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

    def stage(name: str, fn: Callable, *args: object):
        started = time.perf_counter()
        out = fn(*args)
        seconds[name] = time.perf_counter() - started
        say(f"{name}: {seconds[name]:.1f} s")
        return out

    b = config.build
    inputs = stage(
        "data load", load_inputs, data_dir, b.backbone_networks or None, b.duke22_polygons
    )
    if b.n_metros > len(inputs.metros):
        raise InputError(
            f"build.n_metros is {b.n_metros}, but the metros table holds "
            f"{len(inputs.metros)} metro and micro areas with coordinates; give at most that"
        )
    requested = chosen_bas(config, inputs.load_mw)
    record = stage(
        "load record", ba_record, inputs.load_mw, requested, b.year,
        (b.record_first_year, b.record_last_year),
    )  # fmt: skip
    complete = (record["years_used"] != "") & (record["model_year_hours_missing"] == 0)
    eligible = record.loc[complete, "ba"].tolist()
    sites, candidates, ttp = stage("sites", build_sites, config, inputs, eligible)
    bas_table = ba_table(record, inputs.ba_polygons, sites, b.year)
    bas = bas_table.loc[bas_table["modelled"], "ba"].tolist()
    if not bas:
        raise InputError(
            "build.bas: no BA can host a site: "
            + "; ".join(f"{r.ba}: {r.reason}" for r in bas_table.itertuples())
        )
    left = bas_table.loc[~bas_table["modelled"], "ba"].tolist()
    say(f"BAs: {len(bas)} of {len(requested)} modelled" + (f"; left out {left}" if left else ""))
    sites = sites_in_zones(sites, inputs.reeds_zones)
    grid = stage("zones", build_zones, inputs, bas, sites)
    metros = build_metros(config, inputs)
    metros, pairs, left_out = stage("latency", build_latency, config, inputs, sites, metros)
    left_out["reason"] = left_out_reasons(
        left_out, inputs, bas_table, config.inference.latency_max_ms
    )
    zones = {z: int(z.removeprefix("UTC")) for z in metros["profile_zone"].unique()}
    days, plan_years = stage("time reduction", build_time, config, inputs, bas, False)
    say(days_text(days_summary(days.days, days.peak_reasons, plan_years)))
    full = (
        stage("full-year series", build_time, config, inputs, bas, True)[0]
        if with_full_year
        else None
    )
    years, year_table = (
        stage("weather-year series", build_weather_years, config, inputs, bas, zones)
        if with_full_year
        else ({}, pd.DataFrame())
    )
    return UsBuild(
        bas=bas,
        sites=sites,
        metros=metros,
        latency=pairs[["site", "metro", "latency_ms"]],
        days=_steps(days, zones),
        full_year=None if full is None else _steps(full, zones),
        grid=grid,
        weather_years=years,
        tables={
            "weather_year_coverage": year_table,
            "balancing_authorities": bas_table,
            "time_to_power": ttp,
            "representative_days": days.days,
            "peak_days": days.peak_reasons,
            "campus_candidates": candidates,
            "region_zones": grid["region_zones"],
            "left_out_metros": left_out,
        }
        | ({} if plan_years is None else {"plan_years": plan_years}),
        stage_seconds=seconds,
    )


def days_summary(
    days: pd.DataFrame, peak_days: pd.DataFrame, plan_years: pd.DataFrame | None = None
) -> dict[str, object]:
    """What a run's ``summary.json`` says of its representative days (``representative_days``):
    how many, of which peak days, the largest shortfall of a BA's extreme on the peak day
    standing for it, % of the BA's highest seasonal threshold (0: every BA its own days), and
    with days drawn from several years (``plan_years``) the years used."""
    peak = int((days["kind"] == tsr.PEAK).sum())
    shortfall = float(peak_days["shortfall_pct"].max()) if len(peak_days) else 0.0
    info: dict[str, object] = {
        "days": len(days),
        "peak_days": peak,
        "typical_days": len(days) - peak,
        "peak_shortfall_max_pct": shortfall,
    }
    if plan_years is not None:
        info["years"] = [int(y) for y in plan_years.loc[plan_years["used"], "year"]]
    required = peak_days.loc[peak_days["reason"] == "required", "date"]
    if len(required):
        info["required_days"] = sorted(str(day) for day in required)
    return info


def days_text(info: dict[str, object]) -> str:
    """The representative days in one line."""
    within = (
        f"each BA's peaks within {info['peak_shortfall_max_pct']:.1f} % of its peak"
        if info["peak_shortfall_max_pct"]
        else "each BA's own peak days"
    )
    years = info.get("years")
    drawn = f" drawn from {len(years)} years {years[0]}-{years[-1]}" if years else ""
    return (
        f"representative days{drawn}: {info['days']} ({info['peak_days']} peak days, {within}; "
        f"{info['typical_days']} typical)"
    )


def ba_summary(bas_table: pd.DataFrame) -> dict[str, object]:
    """What a run's ``summary.json`` says of its BAs (``bas``): how many were asked for and
    modelled, each left out with its reason, and each modelled BA whose seasonal thresholds
    lack years of the record (its years used and missing)."""
    left = bas_table[~bas_table["modelled"]]
    short = bas_table[bas_table["modelled"] & (bas_table["years_missing"] != "")]
    return {
        "requested": len(bas_table),
        "modelled": int(bas_table["modelled"].sum()),
        "left_out": dict(zip(left["ba"], left["reason"], strict=True)),
        "partial_record": {
            r.ba: {"years_used": r.years_used, "years_missing": r.years_missing}
            for r in short.itertuples()
        },
    }


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
            year_weights=steps.year_weights,
            source=label,
            zones=build.grid["zones"],
            region_zones=build.grid["region_zones"],
            interfaces=build.grid["interfaces"],
        )

    full = build.full_year if full_year else None
    return (
        scenario(build.days, source),
        None if full is None else scenario(full, f"{source}, full year {config.build.year}"),
    )
