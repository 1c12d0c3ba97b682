"""Representative days that keep the peak days, and the inference load's diurnal profile.

Why: the siting model's solve time grows steeply with the number of hourly steps
(../shared/PERFORMANCE.md), so it runs on a few representative days, each weighted by the number
of days of the year it stands for. Plain clustering would average the rare days that matter most
away: stranded power is smallest on the days when load comes close to its seasonal planning
threshold, and those few days decide how much flexible load a region can take and how much
storage or firm capacity a site needs. They are therefore kept whole, each as its own period of
weight 1, and only the remaining, ordinary days are clustered.

Method, for a model year ``year`` (default 2024 in the callers):

* Days are the UTC calendar days of the model year. The load data is hour-ending, so day ``d``
  is the 24 stamps ``d 01:00 .. d+1 00:00`` UTC (the hours 00:00-24:00 UTC of ``d``); its steps
  are named ``"d2024-07-16h01" .. "d2024-07-16h24"``, ``hNN`` being the hour that ends at NN:00
  UTC. A day is described by its 24 hourly stranded-power values in every BA.
* Stranded power: each BA's seasonal thresholds come from ``headroom.stranded_power`` over the
  years of record; the model year's hours are held against them,
  ``H_t = max(0, P_season(t) - L_t)``, the season judged by the month in the BA's local standard
  time at the start of the hour (as in ``headroom``).
* Peak days, kept: for every BA, the day holding its highest load of the summer months
  (May-September) and of the winter months (November-March) of the model year, the days that set
  or come closest to its seasonal thresholds, and the day holding its largest curtailment, the
  hour with the lowest margin ``P_season(t) - L_t`` (its lowest stranded power; the unclipped
  margin breaks the ties between hours at zero). Many coincide across BAs; each distinct day is
  one period with weight 1 and ``kind == "peak"``.
* A cap on the peak days (``max_peak_days``; the US builder's ``build.max_peak_days``, 30): over
  the 45 BAs of the lower 48 that host sites, these days are 45 (2024), against 28 for the 22
  largest BAs, and the model's size grows with the steps (each campus group has hourly
  columns in every step). Neighbouring BAs peak in the same heat wave or cold snap, a day or
  two apart, so one day can stand for several of them at little loss. When the BAs' own peak
  days exceed the cap, a day *covers* a BA's extreme (summer peak load, winter peak load,
  lowest stranded power) when its own value for that BA lies within a tolerance of the
  extreme, the tolerance a share of the BA's highest seasonal threshold; the days are chosen by
  greedy set cover (repeatedly the day covering the most extremes not yet covered, ties to the
  earliest), and the tolerance grows by 0.1 % until the days fit the cap. So every BA's
  three extremes are still held to within the tolerance reached (0.8 % of its peak for
  the lower 48; ``peak_reasons`` gives each BA's shortfall, the run's ``peak_days.csv``), the
  model keeps about the steps of the 22-BA default, and below the cap (the 22 BAs' 28 days)
  every BA keeps its own days exactly.
* Typical days: the other days are clustered into ``n_typical_days`` groups by tsam
  (hierarchical Ward clustering of the days' 24 x n_BA stranded-power vectors, each BA min-max
  normalised by tsam, so every BA counts alike whatever its size). Each group is represented by
  its medoid, a real day, so stranded power and load of a typical day are values that occurred
  together; its weight is the number of days in its group. tsam's rescaling of representatives
  to the data's means is switched off, because it would make the medoid an invented day.
* Weights sum to the days of the year (365 or 366), and the steps' ``weight_h`` to its hours.
* When ``n_typical_days`` is at least the number of non-peak days, nothing is clustered: every
  day is its own period of weight 1, which is exactly ``full_year`` (the full-year check of a
  plan chosen on representative days).

Days from every year of record (:func:`record_days`, ``build.plan_years: record``), for a plan
that holds in each year: the peak targets are per BA, reason *and year*, so every year keeps its
own peak days (a day stands only for its own year's extremes, hence at least 2 peak days per
year); the other days of each year are clustered into ``n_typical_days`` of that year; each
step stands for hours of its own year (``year_weights``) and weighs the mean over the years.

Data edge: the public load record ends at the stamp 2024-12-31 23:00 UTC, so the last hour of
the last UTC day of 2024 (stamp 2025-01-01 00:00) is absent. Up to 24 such trailing hours of the
model year are filled with the same hours one day earlier, listed in ``filled_hours_utc``, and
never chosen as a peak hour; any other missing hour is an error.

Inference: edge clusters serve interactive traffic whose diurnal shape is an assumed profile
(``data/inference_diurnal_profile.csv``, fraction of the daily peak by local standard hour);
``inference_profiles`` places it on the steps of each zone by its UTC offset.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.errors import InputError
from optimizer.inputs.project import PROJECT_DATA_DIR
from optimizer.stranded.headroom import (
    SUMMER_PEAK_MONTHS,
    SUMMER_THRESHOLD_MONTHS,
    WINTER_PEAK_MONTHS,
    local_hour_start,
    stranded_power_by_ba,
)

HOURS_PER_DAY = 24
MAX_FILLED_TRAILING_HOURS = 24
PEAK = "peak"
TYPICAL = "typical"
DAYS_COLUMNS = ["period", "date", "weight_days", "kind", "members"]
TIMESTEPS_COLUMNS = ["timestep", "period", "duration_h", "weight_h", "datetime_utc"]
PEAK_REASONS = ("summer_peak_load", "winter_peak_load", "lowest_stranded_power")
INFERENCE_PROFILE_PATH = PROJECT_DATA_DIR / "inference_diurnal_profile.csv"


@dataclass(frozen=True, eq=False)
class RepresentativeDays:
    """Representative days of a model year, ready for the scenario's time tables.

    Attributes:
        days: one row per period in date order: ``period`` (``"d2024-07-16"``), ``date`` (the
            UTC calendar day, ``datetime.date``), ``weight_days`` (days of the year it stands
            for), ``kind`` (``"peak"`` or ``"typical"``), ``members`` (number of days in its
            group; 1 for a peak day).
        timesteps: the scenario's steps, ``timestep, period, duration_h, weight_h`` and
            ``datetime_utc`` (the hour-ending UTC stamp of the real hour), 24 per period in time
            order; ``weight_h`` is the period's ``weight_days`` (h per step), summing to the
            hours of the year.
        stranded: ``region, timestep, stranded_mw``: stranded power per BA and step, regions x
            timesteps order.
        load_mw: ``region, timestep, load_mw``: the BA's load in the same hours, for reference.
        day_of_year_map: ``date, period``: for every day of the year, the period standing for it.
        peak_reasons: ``date, region, reason, shortfall_pct``: the peak day kept for each BA
            and reason (reasons in ``PEAK_REASONS``), and how far it falls short of the BA's
            extreme of the year, in % of its highest seasonal threshold (0 for its own day).
        year: the model year.
        filled_hours_utc: hour-ending stamps absent from the record and filled from the day
            before (see the module docstring); empty when the record covers the year.
        year_weights: days drawn from several years (:func:`record_days`): ``timestep,
            weather_year, weight_h``, the hours of each year a step stands for (steps with
            none left out); None for days of one year.
    """

    days: pd.DataFrame
    timesteps: pd.DataFrame
    stranded: pd.DataFrame
    load_mw: pd.DataFrame
    day_of_year_map: pd.DataFrame
    peak_reasons: pd.DataFrame
    year: int
    filled_hours_utc: tuple[pd.Timestamp, ...]
    year_weights: pd.DataFrame | None = None

    @property
    def n_peak_days(self) -> int:
        """Number of distinct peak days kept whole."""
        return int((self.days["kind"] == PEAK).sum())


@dataclass(frozen=True, eq=False)
class _YearHours:
    """The model year's hours as (day, hour, BA) arrays."""

    dates: list[dt.date]
    stamps_utc: pd.DatetimeIndex  # hour-ending, n_days * 24
    bas: list[str]
    load_mw: np.ndarray  # (n_days, 24, n_ba)
    margin_mw: np.ndarray  # P_season(t) - L_t, unclipped, (n_days, 24, n_ba)
    local_month: np.ndarray  # (n_days * 24, n_ba)
    measured: np.ndarray  # (n_days * 24,) False where filled
    filled: tuple[pd.Timestamp, ...]

    @property
    def stranded_mw(self) -> np.ndarray:
        return np.maximum(self.margin_mw, 0.0)


def _utc(index: pd.Index) -> pd.DatetimeIndex:
    if not isinstance(index, pd.DatetimeIndex):
        raise InputError("load_mw needs a DatetimeIndex of hour-ending UTC stamps")
    return index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")


def _year_stamps(year: int) -> pd.DatetimeIndex:
    """Hour-ending UTC stamps of the UTC days of ``year`` (Jan 1 01:00 .. Jan 1 00:00 next)."""
    n_days = 366 if calendar.isleap(year) else 365
    start = pd.Timestamp(year, 1, 1, 1, tz="UTC")
    return pd.date_range(start, periods=n_days * HOURS_PER_DAY, freq="h", name="datetime_utc")


def _thresholds(
    load_mw: pd.DataFrame, utc_offsets_h: Mapping[str, int], record_years: tuple[int, int]
) -> dict:
    """Each BA's seasonal thresholds over the years of record (``load_mw`` UTC-indexed)."""
    return {
        ba: sp.thresholds
        for ba, sp in stranded_power_by_ba(load_mw, utc_offsets_h, record_years).items()
    }


def _hours(
    frame: pd.DataFrame,
    thresholds: dict,
    utc_offsets_h: Mapping[str, int],
    measured: np.ndarray,
    filled: tuple[pd.Timestamp, ...],
) -> _YearHours:
    """A year's complete hours (``frame``: its stamps, one column per BA) against the
    thresholds: load, margins and local months by UTC day."""
    stamps = pd.DatetimeIndex(frame.index)
    values = frame.to_numpy(dtype="float64")
    if not np.isfinite(values).all():
        raise InputError(f"load_mw has non-finite values in {stamps[0].year}")
    bas = [str(ba) for ba in frame.columns]
    local_month = np.empty(values.shape, dtype="int64")
    margin = np.empty(values.shape)
    for j, ba in enumerate(bas):
        month = local_hour_start(stamps, utc_offsets_h[ba]).month.to_numpy()
        t = thresholds[ba]
        threshold = np.where(np.isin(month, SUMMER_THRESHOLD_MONTHS), t.summer_mw, t.winter_mw)
        local_month[:, j] = month
        margin[:, j] = threshold - values[:, j]
    n_days = len(stamps) // HOURS_PER_DAY
    first = stamps[0] - pd.Timedelta(hours=1)
    shape = (n_days, HOURS_PER_DAY, len(bas))
    return _YearHours(
        dates=[first.date() + dt.timedelta(days=i) for i in range(n_days)],
        stamps_utc=stamps,
        bas=bas,
        load_mw=values.reshape(shape),
        margin_mw=margin.reshape(shape),
        local_month=local_month,
        measured=measured,
        filled=filled,
    )


def _fill_trailing(frame: pd.DataFrame, year: int) -> tuple[pd.DataFrame, np.ndarray, tuple]:
    """Up to ``MAX_FILLED_TRAILING_HOURS`` hours missing at the end of ``frame`` (after the end
    of the record) filled from the day before; any other missing hour is an error. Returns the
    frame, the measured-hour mask and the filled stamps."""
    stamps = pd.DatetimeIndex(frame.index)
    missing = frame.isna().any(axis=1).to_numpy()
    if not missing.any():
        return frame, ~missing, ()
    first_missing = int(np.argmax(missing))
    trailing = missing[first_missing:].all() and not missing[:first_missing].any()
    n_missing = int(missing.sum())
    if not trailing or n_missing > MAX_FILLED_TRAILING_HOURS or first_missing == 0:
        bad = stamps[missing]
        raise InputError(
            f"load_mw lacks {n_missing} hour(s) of the model year {year} (UTC days, "
            f"hour-ending stamps {stamps[0]} .. {stamps[-1]}), first {bad[0]}; only up to "
            f"{MAX_FILLED_TRAILING_HOURS} trailing hours after the end of the record are filled"
        )
    values = frame.to_numpy(dtype="float64", copy=True)
    for i in range(first_missing, len(stamps)):
        values[i] = values[i - HOURS_PER_DAY]
    filled = pd.DataFrame(values, index=stamps, columns=frame.columns)
    return filled, ~missing, tuple(stamps[missing])


def _year_hours(
    load_mw: pd.DataFrame,
    utc_offsets_h: Mapping[str, int],
    year: int,
    record_years: tuple[int, int],
) -> _YearHours:
    """Thresholds over the record, then the model year's load and margins by UTC day."""
    if load_mw.shape[1] == 0:
        raise InputError("load_mw has no BA columns")
    load_mw = load_mw.set_axis(_utc(load_mw.index), axis=0)
    thresholds = _thresholds(load_mw, utc_offsets_h, record_years)
    frame, measured, filled = _fill_trailing(load_mw.reindex(_year_stamps(year)), year)
    return _hours(frame, thresholds, utc_offsets_h, measured, filled)


def _extremes(
    hours: _YearHours,
) -> tuple[np.ndarray, list[tuple[str, str, int]], np.ndarray]:
    """Each day's value of every peak target (BA, reason, year), the larger the more extreme,
    and each target's scale.

    Targets: per BA and year of the days its summer and winter peak load (the day's highest
    load in those months) and its lowest stranded power (minus the day's lowest margin
    ``P_season(t) - L_t``); filled hours, hours outside a reason's months and days of other
    years count as ``-inf``. Scale: the BA's highest seasonal threshold, MW. Returns values
    (n_days, n_targets), targets, scales.
    """
    n_days, n_hours = len(hours.dates), len(hours.stamps_utc)
    load = hours.load_mw.reshape(n_hours, -1)
    margin = hours.margin_mw.reshape(n_hours, -1)
    day_year = np.repeat([day.year for day in hours.dates], HOURS_PER_DAY)
    columns, targets, scales = [], [], []
    for j, ba in enumerate(hours.bas):
        month = hours.local_month[:, j]
        scale = float((margin[:, j] + load[:, j]).max())
        for year in np.unique(day_year):
            in_year = hours.measured & (day_year == year)
            candidates = {
                PEAK_REASONS[0]: (np.isin(month, SUMMER_PEAK_MONTHS) & in_year, load[:, j]),
                PEAK_REASONS[1]: (np.isin(month, WINTER_PEAK_MONTHS) & in_year, load[:, j]),
                PEAK_REASONS[2]: (in_year, -margin[:, j]),
            }
            for reason, (mask, values) in candidates.items():
                if not mask.any():
                    continue
                by_day = np.where(mask, values, -np.inf).reshape(n_days, HOURS_PER_DAY)
                columns.append(by_day.max(axis=1))
                targets.append((ba, reason, int(year)))
                scales.append(scale)
    values = np.column_stack(columns) if columns else np.empty((n_days, 0))
    return values, targets, np.asarray(scales)


PEAK_TOLERANCE_STEP_PCT = 0.1
"""Step by which the peak-day tolerance grows until the peak days fit their cap, %."""


def _greedy_cover(covers: np.ndarray) -> np.ndarray:
    """The day standing for each target: repeatedly keep the day that covers the most targets
    not yet covered (ties: the earliest); ``covers`` is (n_days, n_targets) bool."""
    days = np.flatnonzero(covers.any(axis=1))  # the days that cover anything, in order
    cover = covers[days]
    left = cover.sum(axis=1)  # targets not yet covered that each day covers
    todo = np.ones(covers.shape[1], dtype=bool)
    chosen = np.full(covers.shape[1], -1, dtype="int64")
    while todo.any():
        best = int(np.argmax(left))
        newly = cover[best] & todo
        chosen[newly] = days[best]
        todo &= ~newly
        left -= cover[:, newly].sum(axis=1)
    return chosen


def _peak_days(hours: _YearHours, max_peak_days: int | None = None) -> pd.DataFrame:
    """``day, region, reason, shortfall_pct``: the day kept for each BA's summer and winter
    peak load and its lowest stranded power (filled hours excluded), and how far that day's
    value falls short of the BA's extreme of the year, in % of its highest seasonal threshold.

    Each extreme's own day (shortfall 0) when these days number at most ``max_peak_days`` (or
    it is None); otherwise the fewest days by greedy cover within a tolerance that grows by
    :data:`PEAK_TOLERANCE_STEP_PCT` until they fit (module docstring).
    """
    values, targets, scales = _extremes(hours)
    extreme = values.max(axis=0) if len(targets) else np.empty(0)
    chosen = np.argmax(values, axis=0) if len(targets) else np.empty(0, dtype="int64")
    if max_peak_days is not None and np.unique(chosen).size > max_peak_days:
        step = 1
        while True:  # at 100 % one day of each half-year covers every target
            tolerance = step * PEAK_TOLERANCE_STEP_PCT / 100.0
            chosen = _greedy_cover(values >= extreme - tolerance * scales - 1e-9)
            if np.unique(chosen).size <= max_peak_days:
                break
            step += 1
    shortfall = (extreme - values[chosen, np.arange(len(targets))]) / scales * 100.0
    return pd.DataFrame(
        {
            "day": chosen.astype("int64"),
            "region": [ba for ba, _, _ in targets],
            "reason": [reason for _, reason, _ in targets],
            "shortfall_pct": np.maximum(shortfall, 0.0),
        },
        columns=["day", "region", "reason", "shortfall_pct"],
    )


def _required(hours: _YearHours, required_days: Sequence[dt.date]) -> pd.DataFrame:
    """The peak-day rows (``_peak_days``' columns) of the days a scenario requires."""
    position = {day: i for i, day in enumerate(hours.dates)}
    missing = sorted({str(day) for day in required_days if day not in position})
    if missing:
        first, last = min(hours.dates), max(hours.dates)
        raise InputError(
            f"build.required_days: {', '.join(missing)} not among the days drawn from "
            f"({first} to {last}, days with every BA's load)"
        )
    days = sorted(set(required_days))
    return pd.DataFrame({
        "day": [position[day] for day in days],
        "region": "all",
        "reason": "required",
        "shortfall_pct": 0.0,
    })  # fmt: skip


def _cluster_days(features: np.ndarray, bas: list[str], n_clusters: int) -> np.ndarray:
    """Medoid day (position in ``features``) standing for each day, by tsam.

    ``features`` is (n_days, 24, n_ba) stranded power in MW; tsam min-max normalises each BA,
    clusters the days hierarchically (Ward) and returns each cluster's medoid.
    """
    import tsam  # imported here: tsam pulls in scikit-learn and Pyomo (about 2 s)

    n_days = features.shape[0]
    # tsam needs a regular hourly index; the days are not contiguous, so give them a stand-in
    # one and map back by position
    index = pd.date_range("2000-01-01", periods=n_days * HOURS_PER_DAY, freq="h")
    frame = pd.DataFrame(features.reshape(n_days * HOURS_PER_DAY, -1), index=index, columns=bas)
    result = tsam.aggregate(
        frame,
        n_clusters=n_clusters,
        period_duration=HOURS_PER_DAY,
        temporal_resolution=1.0,
        cluster=tsam.ClusterConfig(method="hierarchical", representation="medoid"),
        preserve_column_means=False,
    )
    labels = np.asarray(result.clustering.cluster_assignments, dtype="int64")
    centers = np.asarray(result.clustering.cluster_centers, dtype="int64")
    if labels.shape != (n_days,) or centers.size <= labels.max():
        raise RuntimeError("tsam returned cluster assignments that do not match the days given")
    medoid = centers[labels]
    if not (labels[medoid] == labels).all():  # a medoid lies in its own cluster
        raise RuntimeError("tsam returned a medoid outside its cluster")
    return medoid


def _assemble(
    hours: _YearHours,
    n_typical_days: int | None,
    max_peak_days: int | None = None,
    year_days: Mapping[int, int] | None = None,
    required_days: Sequence[dt.date] = (),
) -> RepresentativeDays:
    """Peak days whole, the rest clustered (or, with ``n_typical_days`` None or at least the
    number of the other days, every day its own period).

    ``required_days`` are kept whole too, as peak days with the reason ``required`` (region
    ``all``), beside the ones ``max_peak_days`` caps: the days a plan's hourly operation found
    tight (the robust rounds, ``build.robust_day_rounds``). Each must be one of the days in
    ``hours`` (complete, in the years drawn from), else an InputError names it.

    ``year_days`` (days drawn from several years): each year's number of days; the other days
    of each year are clustered into ``n_typical_days`` of that year, a year's complete days in
    ``hours`` stand for all of them (a day of year y weighs ``year_days[y] / complete days of
    y``), and a step's weight is the mean over the years (one average year)."""
    reasons = _peak_days(hours, max_peak_days)
    if len(required_days):
        reasons = pd.concat([reasons, _required(hours, required_days)], ignore_index=True)
    n_days = len(hours.dates)
    peak = np.zeros(n_days, dtype=bool)
    peak[reasons["day"].to_numpy()] = True
    others = np.flatnonzero(~peak)
    stands_for = np.arange(n_days)  # representative day of every day
    day_year = np.array([day.year for day in hours.dates])
    for year in np.unique(day_year) if year_days is not None else [None]:
        group = others if year is None else others[day_year[others] == year]
        if n_typical_days is not None and 0 < n_typical_days < group.size:
            medoid = _cluster_days(hours.stranded_mw[group], hours.bas, n_typical_days)
            stands_for[group] = group[medoid]
    representatives, position, counts = np.unique(
        stands_for, return_inverse=True, return_counts=True
    )
    period_of_day = [f"d{day.isoformat()}" for day in hours.dates]
    weights: np.ndarray = counts.astype("int64")
    year_weights = None
    if year_days is not None:
        years = sorted(year_days)
        per_year = np.zeros((len(representatives), len(years)))
        for i, year in enumerate(years):
            mine = day_year == year
            scale = year_days[year] / mine.sum()
            np.add.at(per_year[:, i], position[mine], scale)
        weights = per_year.mean(axis=1)
        year_weights = per_year

    days = pd.DataFrame(
        {
            "period": [period_of_day[d] for d in representatives],
            "date": [hours.dates[d] for d in representatives],
            "weight_days": weights,
            "kind": np.where(peak[representatives], PEAK, TYPICAL),
            "members": counts.astype("int64"),
        },
        columns=DAYS_COLUMNS,
    )
    steps = (representatives[:, None] * HOURS_PER_DAY + np.arange(HOURS_PER_DAY)).ravel()
    step_period = np.repeat(days["period"].to_numpy(), HOURS_PER_DAY)
    hour_names = np.tile([f"h{h:02d}" for h in range(1, HOURS_PER_DAY + 1)], len(days))
    timestep_ids = np.char.add(step_period.astype(str), hour_names)
    timesteps = pd.DataFrame(
        {
            "timestep": timestep_ids,
            "period": step_period,
            "duration_h": 1.0,
            "weight_h": np.repeat(weights.astype("float64"), HOURS_PER_DAY),
            "datetime_utc": hours.stamps_utc[steps],
        },
        columns=TIMESTEPS_COLUMNS,
    )

    def long(values: np.ndarray, name: str) -> pd.DataFrame:
        flat = values.reshape(n_days * HOURS_PER_DAY, -1)[steps]  # (steps, n_ba)
        return pd.DataFrame(
            {
                "region": np.repeat(hours.bas, len(steps)),
                "timestep": np.tile(timestep_ids, len(hours.bas)),
                name: flat.T.ravel(),
            }
        )

    peak_reasons = pd.DataFrame(
        {
            "date": [hours.dates[d] for d in reasons["day"]],
            "region": reasons["region"].to_numpy(),
            "reason": reasons["reason"].to_numpy(),
            "shortfall_pct": reasons["shortfall_pct"].to_numpy(),
        }
    )
    return RepresentativeDays(
        days=days,
        timesteps=timesteps,
        stranded=long(hours.stranded_mw, "stranded_mw"),
        load_mw=long(hours.load_mw, "load_mw"),
        day_of_year_map=pd.DataFrame(
            {"date": hours.dates, "period": [period_of_day[d] for d in stands_for]}
        ),
        peak_reasons=peak_reasons,
        year=hours.dates[-1].year,
        filled_hours_utc=hours.filled,
        year_weights=None
        if year_weights is None
        else _year_weights(timestep_ids, year_weights, sorted(year_days or {})),
    )


def _year_weights(timestep_ids: np.ndarray, per_year: np.ndarray, years: list[int]) -> pd.DataFrame:
    """``timestep, weather_year, weight_h`` from each period's days in each year (periods x
    years), the steps of a period in order, zero weights left out."""
    period, year = np.nonzero(per_year)
    steps = period[:, None] * HOURS_PER_DAY + np.arange(HOURS_PER_DAY)
    return pd.DataFrame(
        {
            "timestep": timestep_ids[steps.ravel()],
            "weather_year": np.repeat(np.asarray(years)[year], HOURS_PER_DAY).astype("int64"),
            "weight_h": np.repeat(per_year[period, year], HOURS_PER_DAY),
        }
    ).sort_values(["weather_year", "timestep"], kind="stable", ignore_index=True)


def representative_days(
    load_mw: pd.DataFrame,
    utc_offsets_h: Mapping[str, int],
    year: int,
    n_typical_days: int,
    record_years: tuple[int, int],
    max_peak_days: int | None = None,
    required_days: Sequence[dt.date] = (),
) -> RepresentativeDays:
    """Peak-keeping representative days of ``year`` (UTC calendar days).

    Args:
        load_mw: hourly load, hour-ending UTC index, one float column per BA (MW), as
            ``datasets.load_ba_load_mw`` returns; it must cover ``record_years`` and ``year``.
        utc_offsets_h: standard-time UTC offset (h) of every BA (``regions.ba_utc_offsets_h``).
        year: the model year.
        n_typical_days: number of typical days for the non-peak days (at least 1); when it is
            at least their number, every day is its own period of weight 1 (as ``full_year``).
        record_years: inclusive years (local standard time) that set the seasonal thresholds.
        max_peak_days: at most this many peak days (None: every BA's own peak days); when
            the BAs' peak days are more, the fewest days that hold every BA's peaks within a
            tolerance (module docstring).
        required_days: days of ``year`` kept whole as peak days besides (``_assemble``).

    Returns:
        The periods, steps, stranded power and load per BA and step, and the day map.
    """
    if n_typical_days < 1:
        raise InputError(f"n_typical_days must be at least 1, got {n_typical_days}")
    if max_peak_days is not None and max_peak_days < 2:
        raise InputError(f"max_peak_days must be at least 2, got {max_peak_days}")
    hours = _year_hours(load_mw, utc_offsets_h, year, record_years)
    return _assemble(hours, n_typical_days, max_peak_days, required_days=required_days)


def full_year(
    load_mw: pd.DataFrame,
    utc_offsets_h: Mapping[str, int],
    year: int,
    record_years: tuple[int, int],
) -> RepresentativeDays:
    """Every UTC day of ``year`` as its own period of weight 1, in the structure of
    ``representative_days`` (peak days still marked ``"peak"``): for the full-year check."""
    return _assemble(_year_hours(load_mw, utc_offsets_h, year, record_years), None)


MAX_FILLED_GAP_HOURS = 48
"""A BA's hours missing in a weather year up to this many are filled from the same hour a day
earlier (as the record's trailing hours are); a BA missing more sits that year out."""


@dataclass
class WeatherYear:
    """One year of record, every hour (:func:`full_year`), for the BAs with its load."""

    days: RepresentativeDays
    left_out: dict[str, int]
    """BA: hours of the year missing from the record (more than ``MAX_FILLED_GAP_HOURS``)"""
    filled: dict[str, int]
    """BA: hours filled from the day before"""


def _fill_gaps(
    load: pd.DataFrame, stamps: pd.DatetimeIndex
) -> tuple[pd.DataFrame, dict[str, int], dict[str, int]]:
    """``load`` (UTC-indexed) over ``stamps``, each BA's missing hours filled from the same
    hour a day earlier (else a day later) when they number at most ``MAX_FILLED_GAP_HOURS``;
    up to ``MAX_FILLED_TRAILING_HOURS`` hours after the end of the record are filled from the
    day before and not counted. Returns the frame (NaN where a BA misses more), each such BA's
    missing hours, and each filled BA's filled hours."""
    frame = load.reindex(stamps)
    inside = stamps <= load.index[-1]
    if 0 < (~inside).sum() <= MAX_FILLED_TRAILING_HOURS:
        after = np.flatnonzero(~inside)
        frame.iloc[after] = frame.iloc[after - HOURS_PER_DAY].to_numpy()
    missing = frame[inside].isna().sum()
    left_out = {str(ba): int(n) for ba, n in missing.items() if n > MAX_FILLED_GAP_HOURS}
    filled = {str(ba): int(n) for ba, n in missing.items() if 0 < n <= MAX_FILLED_GAP_HOURS}
    for ba in filled:
        column = load[ba]
        for stamp in stamps[inside & frame[ba].isna().to_numpy()]:
            value = column.get(stamp - pd.Timedelta(hours=HOURS_PER_DAY))
            if value is None or pd.isna(value):
                value = column.get(stamp + pd.Timedelta(hours=HOURS_PER_DAY))
            frame.loc[stamp, ba] = value
    return frame, left_out, filled


def weather_year(
    load_mw: pd.DataFrame,
    utc_offsets_h: Mapping[str, int],
    year: int,
    record_years: tuple[int, int],
) -> WeatherYear:
    """Every hour of ``year`` for each BA of ``load_mw`` whose load the record holds that year
    (up to ``MAX_FILLED_GAP_HOURS`` missing hours filled from the day before), against the
    thresholds of the whole record: a weather year in which to operate a plan."""
    load = load_mw.set_axis(_utc(load_mw.index), axis=0)
    stamps = _year_stamps(year)
    frame, left_out, filled = _fill_gaps(load, stamps[stamps <= load.index[-1]])
    kept = [ba for ba in load.columns if str(ba) not in left_out]
    if not kept:
        raise InputError(f"no BA has load in {year}")
    days = full_year(frame[kept].combine_first(load[kept]), utc_offsets_h, year, record_years)
    return WeatherYear(days, left_out, filled)


MIN_YEAR_DAYS_PCT = 50.0
"""A year of record stands in the plan's days (:func:`record_days`) when at least this share of
its days have every BA's load; its complete days then stand for all its days."""


@dataclass(frozen=True, eq=False)
class RecordDays:
    """Representative days drawn from several years of record (:func:`record_days`)."""

    days: RepresentativeDays
    years: pd.DataFrame
    """``year, days, days_used, used`` (bool), ``missing`` (BAs with more than
    ``MAX_FILLED_GAP_HOURS`` missing hours: the days they miss are not used), ``filled``"""


def _concat_days(parts: list[_YearHours]) -> _YearHours:
    return _YearHours(
        dates=[day for h in parts for day in h.dates],
        stamps_utc=pd.DatetimeIndex(np.concatenate([h.stamps_utc for h in parts])),
        bas=parts[0].bas,
        load_mw=np.concatenate([h.load_mw for h in parts]),
        margin_mw=np.concatenate([h.margin_mw for h in parts]),
        local_month=np.concatenate([h.local_month for h in parts]),
        measured=np.concatenate([h.measured for h in parts]),
        filled=tuple(stamp for h in parts for stamp in h.filled),
    )


def _some_days(hours: _YearHours, keep: np.ndarray) -> _YearHours:
    """The days of ``hours`` where ``keep`` (per day) is true."""
    by_hour = np.repeat(keep, HOURS_PER_DAY)
    return _YearHours(
        dates=[day for day, k in zip(hours.dates, keep, strict=True) if k],
        stamps_utc=hours.stamps_utc[by_hour],
        bas=hours.bas,
        load_mw=hours.load_mw[keep],
        margin_mw=hours.margin_mw[keep],
        local_month=hours.local_month[by_hour],
        measured=hours.measured[by_hour],
        filled=tuple(sorted(set(hours.filled) & set(hours.stamps_utc[by_hour]))),
    )


def record_days(
    load_mw: pd.DataFrame,
    utc_offsets_h: Mapping[str, int],
    years: list[int],
    n_typical_days: int,
    record_years: tuple[int, int],
    max_peak_days: int | None = None,
    required_days: Sequence[dt.date] = (),
) -> RecordDays:
    """Peak-keeping representative days drawn from every year of ``years`` at once (a plan that
    holds in each of them): the days of all the years are one pool, every year's own peak days
    are kept (each BA's summer and winter peak load and lowest stranded power in that year,
    within the tolerance that fits ``max_peak_days``), the other days of each year are clustered
    into ``n_typical_days`` days of that year (a cluster never mixes years, whose loads grew),
    and each step carries the hours it stands for in each year (``days.year_weights``); its
    ``weight_h`` is their mean, one average year. ``required_days`` are kept whole besides
    (``_assemble``).

    A BA's gaps of up to ``MAX_FILLED_GAP_HOURS`` in a year are filled from the day before; the
    days a BA still misses are not used, and the year's other days stand for them. A year with
    fewer than ``MIN_YEAR_DAYS_PCT`` % of its days complete is left out (``years``)."""
    if n_typical_days < 1:
        raise InputError(f"n_typical_days must be at least 1, got {n_typical_days}")
    load = load_mw.set_axis(_utc(load_mw.index), axis=0)
    thresholds = _thresholds(load, utc_offsets_h, record_years)
    parts, year_days, rows = [], {}, []
    for year in years:
        stamps = _year_stamps(year)
        frame, missing, filled = _fill_gaps(load, stamps)
        n_days = len(stamps) // HOURS_PER_DAY
        gaps = frame.isna().to_numpy()
        complete = ~gaps.reshape(n_days, HOURS_PER_DAY, -1).any(axis=(1, 2))
        used = complete.sum() >= MIN_YEAR_DAYS_PCT / 100 * n_days
        rows.append({
            "year": year,
            "days": n_days,
            "days_used": int(complete.sum()) if used else 0,
            "used": bool(used),
            "missing": " ".join(f"{ba} ({n} h)" for ba, n in missing.items()),
            "filled": " ".join(f"{ba} ({n} h)" for ba, n in filled.items()),
        })  # fmt: skip
        if not used:
            continue
        measured = ~load.reindex(stamps).isna().any(axis=1).to_numpy()
        filled_stamps = tuple(stamps[~measured & ~gaps.any(axis=1)])
        hours = _hours(frame.fillna(0.0), thresholds, utc_offsets_h, measured, filled_stamps)
        parts.append(_some_days(hours, complete))
        year_days[year] = n_days
    table = pd.DataFrame(rows)
    if not parts:
        raise InputError(
            f"no year of {years} has {MIN_YEAR_DAYS_PCT:g} % of its days with every BA's load"
        )
    if max_peak_days is not None and max_peak_days < 2 * len(parts):
        raise InputError(
            f"max_peak_days ({max_peak_days}) must be at least 2 per year drawn from "
            f"({2 * len(parts)} for {len(parts)} years): a day stands for peaks of its own year"
        )
    days = _assemble(_concat_days(parts), n_typical_days, max_peak_days, year_days, required_days)
    return RecordDays(days, table)


def load_inference_profile(path: Path | None = None) -> pd.Series:
    """The diurnal inference profile (fraction of the daily peak) indexed by ``hour_local``
    0-23, from ``data/inference_diurnal_profile.csv`` (an assumed shape; see its ``source``)."""
    path = path or INFERENCE_PROFILE_PATH
    table = pd.read_csv(path)
    hours = table["hour_local"].tolist()
    if sorted(hours) != list(range(HOURS_PER_DAY)):
        raise InputError(f"{path}: column hour_local must hold each of 0-23 once")
    profile = table.set_index("hour_local")["inference_profile"].sort_index().astype("float64")
    if not profile.between(0.0, 1.0, inclusive="right").all() or profile.max() != 1.0:
        raise InputError(f"{path}: column inference_profile must lie in (0, 1] with maximum 1.0")
    return profile


def inference_profiles(
    timesteps: pd.DataFrame, zones_utc_offset_h: Mapping[str, int]
) -> pd.DataFrame:
    """Each zone's inference profile at each step, by the local standard hour at the start of
    the step (hour-ending ``datetime_utc`` minus 1 h plus the zone's UTC offset).

    Returns ``profile_zone, timestep, inference_profile`` (fraction of the daily peak), zones x
    timesteps order.
    """
    if "datetime_utc" not in timesteps.columns:
        raise InputError("timesteps needs a datetime_utc column (hour-ending UTC stamps)")
    profile = load_inference_profile().to_numpy()
    stamps = _utc(pd.DatetimeIndex(timesteps["datetime_utc"]))
    frames = []
    for zone, offset in zones_utc_offset_h.items():
        if not -12 <= offset <= 14:
            raise InputError(f"zone {zone}: UTC offset {offset} h is not a UTC offset")
        local_hour = local_hour_start(stamps, int(offset)).hour.to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "profile_zone": zone,
                    "timestep": timesteps["timestep"].to_numpy(),
                    "inference_profile": profile[local_hour],
                }
            )
        )
    columns = ["profile_zone", "timestep", "inference_profile"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]
