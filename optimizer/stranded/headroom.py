"""Stranded power: curtailment-enabled headroom of a balancing authority (BA).

Method (DESIGN.md, after Norris et al., "Rethinking Load Growth", Duke 2025):

* Hours are judged in the BA's local *standard* time, by the start of each hour (the data is
  UTC and hour-ending, so a stamp ``t`` stands for the hour ``[t - 1 h, t)``).
* Seasonal thresholds: ``P_summer`` is the highest load of May-September over all years of
  record, ``P_winter`` the highest of November-March. Hours of April-October are held to
  ``P_summer``, hours of November-March to ``P_winter``.
* Stranded power ``H_t = max(0, P_season(t) - L_t)`` (MW), the grid capacity idle in hour t.
* A new constant load X (MW) is curtailed by ``c_t = max(0, L_t + X - P_season(t))``, which is
  ``max(0, X - H_t)`` wherever the load is below its threshold. (Where it is not, which can only
  happen in April or October, the new load is curtailed whole, never by more than itself.)
* Year y's curtailment rate is ``sum_{t in y} c_t / (X * hours_y)``; the rate ``R(X)`` is the
  mean over the years.
* Headroom at a limit ``a`` is the largest X with ``R(X) <= a``.

Exact solution: with weights ``w_t = 1 / (n_years * hours_y(t))`` (they sum to 1),
``R(X) = sum_t w_t max(0, X - H_t) / X``. On a segment between consecutive sorted values of H,
``R(X) = W - S / X`` with ``W`` and ``S`` the cumulative sums of ``w`` and ``w * H`` below X,
so R is continuous, nondecreasing, and piecewise of that form. Its value at the sorted
breakpoints, ``R(H_(k)) = W_k - S_k / H_(k)``, is sorted too; the first breakpoint above the
limit fixes the segment, and there ``X = S / (W - a)``. One sort per BA serves every limit.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from optimizer.errors import InputError

SUMMER_PEAK_MONTHS = (5, 6, 7, 8, 9)
WINTER_PEAK_MONTHS = (11, 12, 1, 2, 3)
SUMMER_THRESHOLD_MONTHS = (4, 5, 6, 7, 8, 9, 10)
DEFAULT_LIMITS_PCT = (0.25, 0.5, 1.0, 5.0)
HEADROOM_COLUMNS = [
    "ba",
    "years",
    "limit_pct",
    "headroom_mw",
    "curtailed_hours_per_year",
    "mean_event_hours",
    "share_hours_half_load_kept",
    "load_factor",
]


def local_hour_start(index_utc: pd.DatetimeIndex, utc_offset_h: int) -> pd.DatetimeIndex:
    """Local standard time (naive) at the start of each hour of an hour-ending UTC index."""
    if index_utc.tz is not None:
        index_utc = index_utc.tz_convert("UTC").tz_localize(None)
    return index_utc - pd.Timedelta(hours=1) + pd.Timedelta(hours=utc_offset_h)


@dataclass(frozen=True)
class SeasonalThresholds:
    """Planning thresholds of one BA (MW)."""

    summer_mw: float
    winter_mw: float


@dataclass(frozen=True, eq=False)
class StrandedPower:
    """Hourly stranded power of one BA in time order, with what the headroom needs.

    Attributes:
        stranded_mw: ``H_t``, MW, one per hour, in time order.
        year: local-standard-time year of each hour.
        thresholds: the seasonal thresholds behind ``H_t``.
        load_factor: mean load over peak load of the same hours.
    """

    stranded_mw: np.ndarray
    year: np.ndarray
    thresholds: SeasonalThresholds
    load_factor: float
    missing_years: tuple[int, ...] = ()
    """Years of the record left out because the BA's load is missing in more than 1 % of
    their hours (e.g. a BA that stopped reporting); empty for a complete series."""

    @property
    def years(self) -> tuple[int, ...]:
        """The years whose hours this holds, in order."""
        return tuple(int(y) for y in np.unique(self.year))

    @cached_property
    def _year_counts(self) -> tuple[np.ndarray, np.ndarray]:
        offset = self.year - self.year.min()
        counts = np.bincount(offset)
        return offset, counts

    @property
    def n_years(self) -> int:
        """Number of distinct years with at least one hour."""
        return int(np.count_nonzero(self._year_counts[1]))

    @cached_property
    def year_weights(self) -> np.ndarray:
        """``w_t = 1 / (n_years * hours in t's year)``: averages yearly rates; sums to 1."""
        offset, counts = self._year_counts
        return 1.0 / (self.n_years * counts[offset])


def _months_years(index: pd.Index, utc_offset_h: int) -> tuple[np.ndarray, np.ndarray]:
    """Month (1-12) and year of each hour's start in local standard time (vectorised numpy)."""
    local = np.asarray(local_hour_start(pd.DatetimeIndex(index), utc_offset_h), "datetime64[h]")
    months = local.astype("datetime64[M]").astype("int64")
    return months % 12 + 1, months // 12 + 1970


def _thresholds(load: np.ndarray, month: np.ndarray, name: str) -> SeasonalThresholds:
    summer = load[np.isin(month, SUMMER_PEAK_MONTHS)]
    winter = load[np.isin(month, WINTER_PEAK_MONTHS)]
    if summer.size == 0 or winter.size == 0:
        raise InputError(
            f"load of {name} needs hours in both May-September and November-March to set its "
            "seasonal thresholds"
        )
    return SeasonalThresholds(float(summer.max()), float(winter.max()))


def seasonal_thresholds(load_mw: pd.Series, utc_offset_h: int) -> SeasonalThresholds:
    """Summer (May-Sep) and winter (Nov-Mar) thresholds of an hour-ending UTC load series."""
    month, _ = _months_years(load_mw.index, utc_offset_h)
    return _thresholds(load_mw.to_numpy(dtype="float64"), month, str(load_mw.name))


MAX_MISSING_SHARE = 0.01
"""A year whose load is missing (NaN) in more of its hours than this is left out of a BA's
record; missing hours of the years kept are skipped."""


def stranded_power(
    load_mw: pd.Series, utc_offset_h: int, years: tuple[int, int] | None = None
) -> StrandedPower:
    """Stranded power of one BA from its hourly load (hour-ending UTC index, MW).

    ``years`` (inclusive, local standard time) restricts the record; thresholds come from the
    years kept. Missing load (NaN): a year missing more than :data:`MAX_MISSING_SHARE` of its
    hours is left out (listed in ``missing_years``), other missing hours are skipped; a BA left
    with no hours is an InputError.
    """
    load = load_mw.to_numpy(dtype="float64")
    month, year = _months_years(load_mw.index, utc_offset_h)
    if years is not None:
        keep = (year >= years[0]) & (year <= years[1])
        if not keep.any():
            raise InputError(
                f"years {years[0]}-{years[1]}: no load of {load_mw.name} in that range "
                f"(the data covers {year.min()}-{year.max()})"
            )
        load, month, year = load[keep], month[keep], year[keep]
    if np.isinf(load).any():
        raise InputError(f"load of {load_mw.name} has infinite values")
    missing = np.isnan(load)
    present, hours = np.unique(year, return_counts=True)
    lacking = np.bincount(year - present[0], weights=missing)[present - present[0]]
    missing_years = tuple(int(y) for y in present[lacking > MAX_MISSING_SHARE * hours])
    keep = ~missing & ~np.isin(year, missing_years)
    if not keep.any():
        raise InputError(f"load of {load_mw.name} is missing in every year of its record")
    load, month, year = load[keep], month[keep], year[keep]
    thresholds = _thresholds(load, month, str(load_mw.name))
    threshold = np.where(
        np.isin(month, SUMMER_THRESHOLD_MONTHS), thresholds.summer_mw, thresholds.winter_mw
    )
    return StrandedPower(
        stranded_mw=np.maximum(threshold - load, 0.0),
        year=year,
        thresholds=thresholds,
        load_factor=float(load.mean() / load.max()),
        missing_years=missing_years,
    )


def stranded_power_mw(load_mw: pd.Series, utc_offset_h: int) -> pd.Series:
    """Hourly stranded power ``max(0, P_season - L_t)`` (MW) on the load's own index.

    This is the series the siting model gives to curtailable load in the BA.
    """
    result = stranded_power(load_mw, utc_offset_h)
    if len(result.stranded_mw) != len(load_mw):
        raise InputError(f"load of {load_mw.name} has missing values: no hourly series for it")
    return pd.Series(result.stranded_mw, index=load_mw.index, name=load_mw.name)


def curtailment_rate(stranded: StrandedPower, new_load_mw: float) -> float:
    """Mean over the years of the yearly curtailment rate of a constant new load (fraction)."""
    if new_load_mw <= 0:
        return 0.0
    curtailed = np.maximum(new_load_mw - stranded.stranded_mw, 0.0)
    return float((stranded.year_weights * curtailed).sum() / new_load_mw)


def headroom_mw(stranded: StrandedPower, limits_pct: Sequence[float]) -> np.ndarray:
    """Exact largest constant new load (MW) whose mean curtailment rate is within each limit."""
    limits = np.asarray(limits_pct, dtype="float64") / 100.0
    if ((limits <= 0) | (limits >= 1)).any():
        raise InputError(f"curtailment limits must be between 0 and 100 %, got {list(limits_pct)}")
    order = np.argsort(stranded.stranded_mw)
    h = stranded.stranded_mw[order]
    w = stranded.year_weights[order]
    cum_w = np.cumsum(w)
    cum_s = np.cumsum(w * h)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_at_break = np.where(h > 0, cum_w - cum_s / h, 0.0)
    rate_at_break = np.maximum.accumulate(rate_at_break)  # guards float noise; R is monotone
    # first breakpoint whose rate exceeds the limit; X lies on the segment just below it
    k = np.searchsorted(rate_at_break, limits, side="right")
    result = np.empty(len(limits))
    for i, (ki, a) in enumerate(zip(k, limits, strict=True)):
        if ki == 0:
            result[i] = 0.0
            continue
        seg_w, seg_s = cum_w[ki - 1], cum_s[ki - 1]
        result[i] = seg_s / (seg_w - a) if seg_w > a else h[ki - 1]
    return result


def curtailment_stats(stranded: StrandedPower, new_load_mw: float) -> dict[str, float]:
    """Hours per year with curtailment, mean event length (h) and share of curtailed hours that
    keep at least half of the new load, for a constant new load."""
    curtailed = stranded.stranded_mw < new_load_mw
    n_hours = int(curtailed.sum())
    starts = int(curtailed[0]) + int((curtailed[1:] & ~curtailed[:-1]).sum())
    half_kept = (stranded.stranded_mw[curtailed] >= 0.5 * new_load_mw).sum()
    return {
        "curtailed_hours_per_year": n_hours / stranded.n_years,
        "mean_event_hours": n_hours / starts if starts else 0.0,
        "share_hours_half_load_kept": half_kept / n_hours if n_hours else float("nan"),
    }


def parse_years(text: str) -> tuple[int, int]:
    """``"2016-2024"`` or ``"2020"`` to an inclusive (first, last) year range."""
    parts = text.split("-")
    try:
        first, last = (int(parts[0]), int(parts[-1])) if len(parts) <= 2 else (None, None)
    except ValueError:
        first = last = None
    if first is None or last is None:
        raise InputError(f"--years {text!r}: expected YEAR or FIRST-LAST, e.g. 2016-2024")
    if first > last:
        raise InputError(f"--years {text!r}: empty year range (first year after last)")
    return first, last


def full_years(load_mw: pd.DataFrame, utc_offsets_h: Mapping[str, int]) -> tuple[int, int]:
    """The widest year range whose every year holds at least 99 % of its hours for every BA.

    The default record: a year that is barely in the data (the few local hours of 2015 before
    the first UTC stamp of 2016) would otherwise weigh as much as a whole year in the mean rate.
    Hours count whatever their value: a BA's missing load is handled by :func:`stranded_power`.
    """
    complete: set[int] | None = None
    for ba in load_mw.columns:
        _, year = _months_years(load_mw.index, utc_offsets_h[ba])
        years, counts = np.unique(year, return_counts=True)
        hours = np.array([366 * 24 if calendar.isleap(int(y)) else 365 * 24 for y in years])
        ok = {int(y) for y in years[counts >= 0.99 * hours]}
        complete = ok if complete is None else complete & ok
    if not complete:
        raise InputError("the load record holds no complete year")
    return min(complete), max(complete)


def check_bas(requested: Iterable[str], available: Iterable[str]) -> list[str]:
    """Validate BA codes (case-insensitive) against those with load data."""
    available = list(available)
    requested = [ba.strip().upper() for ba in requested if ba.strip()]
    unknown = [ba for ba in requested if ba not in available]
    if unknown:
        raise InputError(
            f"unknown BA code(s) {', '.join(unknown)}; BAs with hourly load: {', '.join(available)}"
        )
    if not requested:
        raise InputError("no BA codes given")
    repeated = sorted({ba for ba in requested if requested.count(ba) > 1})
    if repeated:
        raise InputError(f"BA code(s) given more than once: {', '.join(repeated)}")
    return requested


def check_years(years: tuple[int, int], record: tuple[int, int], text: str) -> tuple[int, int]:
    """``years`` if within ``record`` (the complete years of the load record), else an error
    naming the record's range."""
    if years[0] < record[0] or years[1] > record[1]:
        raise InputError(
            f"--years {text}: outside the load record, which holds the complete years "
            f"{record[0]}-{record[1]}"
        )
    return years


def stranded_power_by_ba(
    load_mw: pd.DataFrame,
    utc_offsets_h: Mapping[str, int],
    years: tuple[int, int] | None = None,
    skip_unreported: bool = False,
) -> dict[str, StrandedPower]:
    """Stranded power of every BA (a column of ``load_mw``) over the given years.

    A BA whose load is missing in all of them (one that stopped reporting before) is an
    InputError, or with ``skip_unreported`` left out of the result (the caller says which)."""
    missing = [ba for ba in load_mw.columns if ba not in utc_offsets_h]
    if missing:
        raise InputError(
            f"no UTC offset known for BA(s) {', '.join(missing)} (data/ba_timezones.csv)"
        )
    result = {}
    for ba in load_mw.columns:
        try:
            result[ba] = stranded_power(load_mw[ba], utc_offsets_h[ba], years)
        except InputError:
            if not skip_unreported:
                raise
    return result


def year_ranges(years: Iterable[int]) -> str:
    """``2016-2019, 2021-2024`` for a set of years."""
    ordered = sorted(set(years))
    parts, start = [], None
    for i, y in enumerate(ordered):
        start = y if start is None else start
        if i + 1 == len(ordered) or ordered[i + 1] != y + 1:
            parts.append(str(y) if y == start else f"{start}-{y}")
            start = None
    return ", ".join(parts)


def headroom_table(
    stranded_by_ba: Mapping[str, StrandedPower], limits_pct: Sequence[float] = DEFAULT_LIMITS_PCT
) -> pd.DataFrame:
    """Headroom and curtailment figures per BA and limit (columns ``HEADROOM_COLUMNS``)."""
    rows = []
    for ba, stranded in stranded_by_ba.items():
        for limit, x in zip(limits_pct, headroom_mw(stranded, limits_pct), strict=True):
            rows.append(
                {
                    "ba": ba,
                    "years": year_ranges(stranded.years),
                    "limit_pct": float(limit),
                    "headroom_mw": float(x),
                    **curtailment_stats(stranded, x),
                    "load_factor": stranded.load_factor,
                }
            )
    return pd.DataFrame(rows, columns=HEADROOM_COLUMNS)


def thresholds_table(stranded_by_ba: Mapping[str, StrandedPower]) -> pd.DataFrame:
    """Seasonal thresholds per BA: ``ba, summer_threshold_mw, winter_threshold_mw``."""
    return pd.DataFrame(
        [
            {"ba": ba, "summer_threshold_mw": sp.thresholds.summer_mw,
             "winter_threshold_mw": sp.thresholds.winter_mw}
            for ba, sp in stranded_by_ba.items()
        ]
    )  # fmt: skip
