"""Checks across tables, and the admissible site-metro pairs.

Each check appends ``file: row N, column C: what is wrong`` lines to ``problems`` and looks only
at values that passed the per-table checks (invalid cells are None by then).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from optimizer import geo
from optimizer.scenario.config import LatencyConfig, ScenarioConfig
from optimizer.scenario.settings import error_source

HOURS_PER_YEAR = (8760.0, 8784.0)


def known(values: Iterable[Any]) -> set[Any]:
    return {v for v in values if v is not None}


def check_refs(
    frame: pd.DataFrame,
    column: str,
    allowed: set[str],
    label: str,
    target_label: str,
    problems: list[str],
) -> None:
    """Every value of ``column`` (where valid) is a key of the target table; one problem per
    unknown value, at its first row."""
    listed = sorted(allowed)
    hint = f"; known: {', '.join(listed)}" if len(listed) <= 12 else ""
    unknown: dict[str, list[int]] = {}
    bad = frame[frame[column].notna() & ~frame[column].isin(allowed)]
    for line, value in zip(bad["_line"], bad[column], strict=True):
        unknown.setdefault(value, []).append(int(line))
    for value, lines in unknown.items():
        more = ""
        if len(lines) > 1:
            rows = "rows" if len(lines) > 2 else "row"
            more = f"; also on {rows} {list_text(lines[1:], quote=False)}"
        problems.append(
            f"{label}: row {lines[0]}, column {column}: unknown {column} {value!r} "
            f"(not in {target_label}{hint}){more}"
        )


def list_text(items: Sequence[Any], limit: int = 5, quote: bool = True) -> str:
    shown = ", ".join(repr(x) if quote else str(x) for x in items[:limit])
    return shown + (f", ... ({len(items)} in all)" if len(items) > limit else "")


def check_timesteps(
    ts: pd.DataFrame,
    label: str,
    problems: list[str],
    warnings: list[str],
    several_years: bool = False,
) -> None:
    """Each period's steps together; weights summing to a year (a mean year when the steps
    stand for ``several_years``: year_weights checks each year)."""
    last_period = None
    closed: set[str] = set()
    for line, period in zip(ts["_line"], ts["period"], strict=True):
        if period is None:
            continue
        if period != last_period:
            if period in closed:
                problems.append(
                    f"{label}: row {line}, column period: period {period!r} resumes after other "
                    "periods; list each period's steps together, in time order"
                )
            if last_period is not None:
                closed.add(last_period)
            last_period = period
    weights = [w for w in ts["weight_h"] if w is not None]
    if weights and len(weights) == len(ts):
        total = float(sum(weights))
        if total <= 0:
            problems.append(f"{label}: column weight_h: weights sum to {total:g} h, not a year")
        elif not several_years and min(abs(total - h) for h in HOURS_PER_YEAR) > 0.5:
            warnings.append(
                f"{label}: column weight_h: weights sum to {total:g} h, not 8760 or 8784 "
                "(annual costs and budgets scale with this sum)"
            )


def check_year_weights(
    frame: pd.DataFrame, ts: pd.DataFrame, labels: Mapping[str, str], problems: list[str]
) -> None:
    """Steps known; each step's mean over the years (0 where a year lacks it) equal to its
    ``weight_h`` in timesteps (within 1e-6 h)."""
    label, steps = labels["year_weights"], labels["timesteps"]
    check_refs(frame, "timestep", set(ts["timestep"].dropna()), label, steps, problems)
    usable = frame.dropna(subset=["timestep", "weather_year", "weight_h"])
    if usable.empty or ts["weight_h"].isna().any():
        return
    n_years = usable["weather_year"].nunique()
    mean = usable.groupby("timestep")["weight_h"].sum() / n_years
    given = ts.set_index("timestep")["weight_h"].astype(float)
    off = (mean.reindex(given.index).fillna(0.0) - given).abs() > 1e-6
    for step in given.index[off.to_numpy()][:10]:
        problems.append(
            f"{label}: timestep {step!r}: its weights over the {n_years} weather years average "
            f"{mean.get(step, 0.0):g} h, but {steps} gives weight_h {given[step]:g} h"
        )
    if off.sum() > 10:
        problems.append(f"{label}: {int(off.sum()) - 10} more steps whose weights disagree")


def computed_latency(
    sites: pd.DataFrame, metros: pd.DataFrame, config: LatencyConfig
) -> pd.DataFrame:
    """Round-trip latency of every site-metro pair with valid coordinates (sites x metros)."""
    s = sites[sites["lat"].notna() & sites["lon"].notna() & sites["site"].notna()]
    m = metros[metros["lat"].notna() & metros["lon"].notna() & metros["metro"].notna()]
    km = geo.haversine_km(
        s["lat"].to_numpy(float)[:, None],
        s["lon"].to_numpy(float)[:, None],
        m["lat"].to_numpy(float)[None, :],
        m["lon"].to_numpy(float)[None, :],
    )
    ms = geo.roundtrip_latency_ms(
        km, config.fibre_ms_per_km, config.route_factor, config.overhead_ms
    )
    return pd.DataFrame(
        {
            "site": np.repeat(s["site"].to_numpy(object), len(m)),
            "metro": np.tile(m["metro"].to_numpy(object), len(s)),
            "latency_ms": ms.ravel(),
        }
    )


def admissible(
    latency: pd.DataFrame,
    sites: pd.DataFrame,
    metros: pd.DataFrame,
    labels: Mapping[str, str],
    problems: list[str],
    require_reach: bool = True,
) -> pd.DataFrame:
    """Pairs within each metro's limit; unless ``require_reach`` is off, a problem for each
    metro with no edge site among them."""
    limit = dict(zip(metros["metro"], metros["latency_max_ms"], strict=True))
    valid = latency[latency["latency_ms"].notna() & latency["metro"].isin(limit.keys())]
    limits = valid["metro"].map(limit)
    keep = valid[limits.notna() & (valid["latency_ms"] <= limits.astype(float))]
    edge_sites = set(sites.loc[sites["edge_allowed"].map(lambda v: v is True), "site"])
    for line, metro, max_ms in zip(
        metros["_line"], metros["metro"], metros["latency_max_ms"], strict=True
    ):
        if metro is None or max_ms is None or not require_reach:
            continue
        ok = keep[(keep["metro"] == metro) & keep["site"].isin(edge_sites)]
        if not ok.empty:
            continue
        near = valid[(valid["metro"] == metro) & valid["site"].isin(edge_sites)]
        if near.empty:
            nearest = "no site with edge_allowed has a latency to it"
        else:
            best = near.loc[near["latency_ms"].astype(float).idxmin()]
            nearest = f"nearest: {best['site']!r} at {float(best['latency_ms']):.1f} ms"
        problems.append(
            f"{labels['metros']}: row {line}, column latency_max_ms: metro {metro!r} has no "
            f"admissible site: no site with edge_allowed within {max_ms:g} ms ({nearest})"
        )
    return keep


def check_training(
    config: ScenarioConfig,
    sites: pd.DataFrame,
    labels: Mapping[str, str],
    sources: Mapping[str, str],
    problems: list[str],
) -> None:
    """The training target can be met by at most one campus block per campus site (a row
    stands for ``count`` sites)."""
    training = config.training
    if training.target_mw <= 0:
        return
    where = f"{error_source('training.target_mw', sources)}: field training.target_mw"
    campus = sites[sites["campus_allowed"].map(lambda v: v is True)]
    if campus.empty:
        problems.append(
            f"{where}: {training.target_mw:g} MW of campuses wanted but no site in "
            f"{labels['sites']} has campus_allowed"
        )
        return
    fits = 0.0
    for cap, count in zip(campus["site_max_mw"], campus["count"], strict=True):
        if cap is not None and count is not None:
            fits += count * max((b for b in training.campus_blocks_mw if b <= cap), default=0.0)
    if fits < training.target_mw:
        problems.append(
            f"{where}: {training.target_mw:g} MW cannot be built: the largest campus block that "
            f"fits each campus site's site_max_mw adds up to {fits:g} MW"
        )


def check_complete(
    frame: pd.DataFrame,
    key: str,
    keys: Sequence[str],
    timesteps: Sequence[str],
    label: str,
    problems: list[str],
) -> None:
    """Every value in ``keys`` has a row for every timestep (one problem per key lacking some)."""
    valid = frame[frame[key].notna() & frame["timestep"].notna()]
    have = pd.MultiIndex.from_arrays([valid[key], valid["timestep"]])
    grid = pd.MultiIndex.from_product([keys, timesteps])
    absent = grid[~grid.isin(have)].to_frame(index=False, name=[key, "timestep"])
    for value in keys:
        missing = absent.loc[absent[key] == value, "timestep"].tolist()
        if missing:
            problems.append(
                f"{label}: column timestep: {key} {value!r} has no row for "
                f"{len(missing)} timestep(s): {list_text(missing)}"
            )


def check_groups(sites: pd.DataFrame, label: str, problems: list[str]) -> None:
    """A row standing for several identical sites (count > 1) hosts no edge modules."""
    group = sites["count"].map(lambda c: c is not None and c > 1)
    edge = sites["edge_allowed"].map(lambda v: v is True)
    for line in sites.loc[group & edge, "_line"]:
        problems.append(
            f"{label}: row {line}, column count: a group of identical sites (count > 1) cannot "
            "host edge modules; set edge_allowed to false"
        )


def check_inference_profiles(
    profiles: pd.DataFrame,
    metros: pd.DataFrame | None,
    timesteps: Sequence[str],
    labels: Mapping[str, str],
    problems: list[str],
    warnings: list[str],
) -> None:
    """Known timesteps, each listed zone complete; a warning for zones no metro follows."""
    label = labels["inference_profiles"]
    check_refs(profiles, "timestep", set(timesteps), label, labels["timesteps"], problems)
    zones = list(dict.fromkeys(z for z in profiles["profile_zone"] if z is not None))
    check_complete(profiles, "profile_zone", zones, timesteps, label, problems)
    if metros is not None:
        unused = [z for z in zones if z not in known(metros["profile_zone"])]
        if unused:
            warnings.append(
                f"{label}: column profile_zone: no metro in {labels['metros']} follows "
                f"{list_text(unused)}"
            )


APPORTION_TOLERANCE_PCT = 0.01
"""A region's stranded_apportion_pct may sum to 100 within this, % (rounding in a file)."""


def check_zonal(
    clean: Mapping[str, pd.DataFrame | None],
    region_ids: set[str],
    labels: Mapping[str, str],
    problems: list[str],
) -> None:
    """Under ``grid.deliverability: zonal``: zones name known regions; every site's
    ``reeds_zone`` is a zone; every region's stranded power is apportioned to known zones with
    shares summing to 100 %; interfaces link two different known zones."""
    zones, shares, interfaces = clean["zones"], clean["region_zones"], clean["interfaces"]
    if zones is None:
        return
    zone_ids = known(zones["zone"])
    check_refs(zones, "region", region_ids, labels["zones"], labels["regions"], problems)
    sites = clean["sites"]
    check_refs(sites, "reeds_zone", zone_ids, labels["sites"], labels["zones"], problems)
    if shares is not None:
        label = labels["region_zones"]
        check_refs(shares, "region", region_ids, label, labels["regions"], problems)
        check_refs(shares, "zone", zone_ids, label, labels["zones"], problems)
        valid = shares[shares["region"].notna() & shares["stranded_apportion_pct"].notna()]
        total = valid.groupby("region")["stranded_apportion_pct"].sum()
        for region in sorted(region_ids):
            if region not in total.index:
                problems.append(
                    f"{label}: region {region!r} has no zone (its stranded power would reach "
                    "no site); give it at least one row"
                )
            elif abs(float(total[region]) - 100.0) > APPORTION_TOLERANCE_PCT:
                problems.append(
                    f"{label}: column stranded_apportion_pct: region {region!r}'s shares sum "
                    f"to {float(total[region]):g} %, not 100"
                )
    if interfaces is not None:
        label = labels["interfaces"]
        for column in ("from_zone", "to_zone"):
            check_refs(interfaces, column, zone_ids, label, labels["zones"], problems)
        loops = interfaces[
            interfaces["from_zone"].notna() & (interfaces["from_zone"] == interfaces["to_zone"])
        ]
        for line, zone in zip(loops["_line"], loops["from_zone"], strict=True):
            problems.append(
                f"{label}: row {int(line)}, column to_zone: the interface links zone {zone!r} "
                "to itself"
            )
