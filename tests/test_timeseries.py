"""Representative days that keep the peak days: planted peak days on a constructed two-BA year,
weights, medoids that are real days, the full-year path, the trailing-hour fill, the inference
profile by local hour, and the real 22-BA year 2024."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from optimizer.builders.us import timeseries as ts
from optimizer.errors import InputError
from optimizer.stranded import headroom as hr

YEAR = 2024
RECORD = (2024, 2024)
OFFSETS = {"AAA": -5, "BBB": -8}
SUMMER_SPIKE = dt.date(2024, 7, 16)  # AAA's summer peak
WINTER_SPIKE = dt.date(2024, 1, 22)  # BBB's winter peak
LOW_STRANDED = dt.date(2024, 10, 10)  # BBB above its summer threshold in October


def _year_stamps(end_missing_h: int = 0) -> pd.DatetimeIndex:
    """Hour-ending UTC stamps of the UTC days of YEAR (2024-01-01 01:00 .. 2025-01-01 00:00)."""
    n = 366 * 24 - end_missing_h
    return pd.date_range("2024-01-01 01:00", periods=n, freq="h", tz="UTC", name="datetime_utc")


def _day_rows(index: pd.DatetimeIndex, day: dt.date, first_h: int, last_h: int) -> np.ndarray:
    """Rows of ``index`` whose hour-ending stamp lies on ``day`` between first_h and last_h."""
    start = pd.Timestamp(day, tz="UTC")
    return (index >= start + pd.Timedelta(hours=first_h)) & (
        index <= start + pd.Timedelta(hours=last_h)
    )


def _constructed_load(end_missing_h: int = 0) -> pd.DataFrame:
    """Two BAs with diurnal and seasonal swings and noise, plus three planted days."""
    index = _year_stamps(end_missing_h)
    rng = np.random.default_rng(7)
    hour = index.hour.to_numpy()
    day_of_year = index.dayofyear.to_numpy()
    frame = {}
    for ba, base in (("AAA", 1000.0), ("BBB", 5000.0)):
        diurnal = 0.15 * base * np.sin(2 * np.pi * (hour - 12) / 24)
        seasonal = 0.10 * base * np.cos(4 * np.pi * (day_of_year - 15) / 366)
        frame[ba] = base + diurnal + seasonal + rng.normal(0, 0.02 * base, len(index))
    load = pd.DataFrame(frame, index=index)
    # AAA: a summer heat day far above anything else of May-September
    load.loc[_day_rows(index, SUMMER_SPIKE, 16, 23), "AAA"] += 900.0
    # BBB: a winter cold snap far above anything else of November-March
    load.loc[_day_rows(index, WINTER_SPIKE, 12, 20), "BBB"] += 4000.0
    # BBB: an October day above its summer threshold (October is held to the summer threshold)
    summer_max = load.loc[index.month.isin([5, 6, 7, 8, 9]), "BBB"].max()
    load.loc[_day_rows(index, LOW_STRANDED, 17, 19), "BBB"] = summer_max + 300.0
    return load


@pytest.fixture(scope="module")
def load() -> pd.DataFrame:
    return _constructed_load()


@pytest.fixture(scope="module")
def rep(load) -> ts.RepresentativeDays:
    return ts.representative_days(load, OFFSETS, YEAR, 4, RECORD)


def _real_day(load: pd.DataFrame, ba: str, day: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """Load and stranded power (MW) of a UTC day, recomputed from the thresholds."""
    thresholds = hr.stranded_power(load[ba], OFFSETS[ba], RECORD).thresholds
    stamps = pd.date_range(pd.Timestamp(day, tz="UTC") + pd.Timedelta(hours=1), periods=24,
                           freq="h")  # fmt: skip
    day_load = load.loc[stamps, ba].to_numpy()
    month = hr.local_hour_start(stamps, OFFSETS[ba]).month
    threshold = np.where(
        month.isin(hr.SUMMER_THRESHOLD_MONTHS), thresholds.summer_mw, thresholds.winter_mw
    )
    return day_load, np.maximum(threshold - day_load, 0.0)


def test_planted_peak_days_are_kept_with_weight_one(rep):
    days = rep.days.set_index("date")
    for day in (SUMMER_SPIKE, WINTER_SPIKE, LOW_STRANDED):
        assert day in days.index, day
        assert days.loc[day, "kind"] == "peak"
        assert days.loc[day, "weight_days"] == 1
        assert days.loc[day, "members"] == 1
    reasons = set(zip(rep.peak_reasons["date"], rep.peak_reasons["region"],
                      rep.peak_reasons["reason"], strict=True))  # fmt: skip
    assert (SUMMER_SPIKE, "AAA", "summer_peak_load") in reasons
    assert (WINTER_SPIKE, "BBB", "winter_peak_load") in reasons
    assert (LOW_STRANDED, "BBB", "lowest_stranded_power") in reasons
    # at most three distinct days per BA, and every peak day has a reason
    assert 3 <= rep.n_peak_days <= 6
    assert set(days.index[days["kind"] == "peak"]) == set(rep.peak_reasons["date"])


def _heat_wave_load() -> tuple[pd.DataFrame, dict[str, int]]:
    """Six BAs (UTC-6) of one region, each peaking in the same heat wave and cold snap, on
    neighbouring days: on the others its lift (0.3 or 0.5 times its base load) is 2 % lower,
    less than 1 % of its peak."""
    index = _year_stamps()
    frame = {}
    for k in range(6):
        base = 1000.0 * (k + 1)
        frame[f"B{k}"] = base + 0.15 * base * np.sin(2 * np.pi * index.hour / 24)
    load = pd.DataFrame(frame, index=index)
    for k, ba in enumerate(load.columns):
        for first, lift in ((dt.date(2024, 7, 20), 0.3), (dt.date(2024, 1, 10), 0.5)):
            for shift in range(6):  # each BA peaks k days in; the other days 2 % lower
                day = first + dt.timedelta(days=shift)
                extra = lift * 1000.0 * (k + 1) * (1.0 if shift == k else 0.98)
                load.loc[_day_rows(index, day, 1, 24), ba] += extra
    return load, dict.fromkeys(load.columns, -6)


@pytest.mark.filterwarnings("ignore:Something went wrong:UserWarning")  # tsam on flat days
def test_peak_days_over_the_cap_hold_every_ba_within_the_tolerance_reached():
    load, offsets = _heat_wave_load()
    own = ts.representative_days(load, offsets, YEAR, 4, RECORD)
    assert own.n_peak_days >= 12  # six BAs, each its own summer and winter peak day
    assert (own.peak_reasons["shortfall_pct"] == 0).all()
    # under a cap equal to the BAs' own days nothing changes
    same = ts.representative_days(load, offsets, YEAR, 4, RECORD, max_peak_days=own.n_peak_days)
    pd.testing.assert_frame_equal(same.days, own.days)
    capped = ts.representative_days(load, offsets, YEAR, 4, RECORD, max_peak_days=4)
    assert capped.n_peak_days <= 4 and len(capped.days) == capped.n_peak_days + 4
    assert capped.days["weight_days"].sum() == 366
    reasons = capped.peak_reasons
    assert set(zip(reasons["region"], reasons["reason"], strict=True)) == set(
        zip(own.peak_reasons["region"], own.peak_reasons["reason"], strict=True)
    )  # every BA's every extreme still stands on a kept day ...
    kept = set(capped.days.loc[capped.days["kind"] == "peak", "date"])
    assert set(reasons["date"]) == kept
    assert 0 < reasons["shortfall_pct"].max() <= 1.0  # ... within 1 % of its peak
    # the shortfall is what the kept day's load misses of the BA's peak
    row = reasons[reasons["reason"] == "summer_peak_load"].iloc[0]
    stamps = pd.date_range(pd.Timestamp(row["date"], tz="UTC") + pd.Timedelta(hours=1),
                           periods=24, freq="h")  # fmt: skip
    peak = load.loc[load.index.month.isin([5, 6, 7, 8, 9]), row["region"]].max()
    record = max(peak, load.loc[~load.index.month.isin([4, 10]), row["region"]].max())
    missed = (peak - load.loc[stamps, row["region"]].max()) / record * 100
    assert row["shortfall_pct"] == pytest.approx(missed)
    with pytest.raises(InputError, match="max_peak_days must be at least 2"):
        ts.representative_days(load, offsets, YEAR, 4, RECORD, max_peak_days=1)


def test_weights_sum_to_the_year(rep):
    assert rep.days["weight_days"].sum() == 366
    assert (rep.days["weight_days"] == rep.days["members"]).all()
    assert rep.timesteps["weight_h"].sum() == pytest.approx(366 * 24)
    assert len(rep.days) == rep.n_peak_days + 4
    assert (rep.days.loc[rep.days["kind"] == "typical", "weight_days"] > 1).all()
    # the day map covers every day once and agrees with the weights
    assert len(rep.day_of_year_map) == 366
    assert rep.day_of_year_map["date"].is_unique
    counts = rep.day_of_year_map["period"].value_counts()
    assert counts.reindex(rep.days["period"]).tolist() == rep.days["weight_days"].tolist()
    # a representative day stands for itself
    own = rep.day_of_year_map.set_index("date").loc[rep.days["date"], "period"]
    assert own.tolist() == rep.days["period"].tolist()


def test_timestep_table_structure(rep):
    steps = rep.timesteps
    assert list(steps.columns) == ["timestep", "period", "duration_h", "weight_h", "datetime_utc"]
    assert len(steps) == 24 * len(rep.days)
    assert steps["timestep"].is_unique
    assert (steps["duration_h"] == 1.0).all()
    first = steps.iloc[:24]
    period = first["period"].iloc[0]
    assert first["timestep"].tolist() == [f"{period}h{h:02d}" for h in range(1, 25)]
    # hour-ending stamps 01:00 .. 24:00 UTC of the period's day
    day = pd.Timestamp(rep.days["date"].iloc[0], tz="UTC")
    assert first["datetime_utc"].iloc[0] == day + pd.Timedelta(hours=1)
    assert first["datetime_utc"].iloc[-1] == day + pd.Timedelta(hours=24)
    weights = steps.groupby("period", sort=False)["weight_h"].first()
    assert weights.tolist() == rep.days["weight_days"].astype(float).tolist()
    for frame, column in ((rep.stranded, "stranded_mw"), (rep.load_mw, "load_mw")):
        assert list(frame.columns) == ["region", "timestep", column]
        assert len(frame) == 2 * len(steps)
        assert frame["region"].tolist() == ["AAA"] * len(steps) + ["BBB"] * len(steps)
    assert (rep.stranded["stranded_mw"] >= 0).all()


def test_representative_days_are_real_days(rep, load):
    stranded = rep.stranded.set_index(["region", "timestep"])["stranded_mw"]
    load_out = rep.load_mw.set_index(["region", "timestep"])["load_mw"]
    for period, day in zip(rep.days["period"], rep.days["date"], strict=True):
        steps = [f"{period}h{h:02d}" for h in range(1, 25)]
        for ba in OFFSETS:
            day_load, day_stranded = _real_day(load, ba, day)
            np.testing.assert_allclose(load_out.loc[ba].loc[steps].to_numpy(), day_load)
            np.testing.assert_allclose(stranded.loc[ba].loc[steps].to_numpy(), day_stranded)
    # the low-stranded-power day is curtailed: BBB has no stranded power in its planted hours
    low = stranded.loc["BBB"].loc[[f"d{LOW_STRANDED.isoformat()}h{h:02d}" for h in (17, 18, 19)]]
    assert (low == 0.0).all()


def test_full_year_and_many_typical_days_agree(load):
    full = ts.full_year(load, OFFSETS, YEAR, RECORD)
    many = ts.representative_days(load, OFFSETS, YEAR, 400, RECORD)
    assert len(full.days) == 366
    assert (full.days["weight_days"] == 1).all()
    assert (full.timesteps["weight_h"] == 1.0).all()
    assert full.timesteps["weight_h"].sum() == 366 * 24
    assert (full.day_of_year_map["period"] == full.days["period"]).all()
    for name in ("days", "timesteps", "stranded", "load_mw", "day_of_year_map", "peak_reasons"):
        pd.testing.assert_frame_equal(getattr(full, name), getattr(many, name))
    # exactly as many typical days as non-peak days: no clustering either
    exact = ts.representative_days(load, OFFSETS, YEAR, 366 - full.n_peak_days, RECORD)
    pd.testing.assert_frame_equal(exact.days, full.days)


def test_trailing_hour_missing_is_filled_from_the_day_before():
    load = _constructed_load(end_missing_h=1)  # the record ends at 2024-12-31 23:00 UTC
    result = ts.full_year(load, OFFSETS, YEAR, RECORD)
    last = pd.Timestamp("2025-01-01 00:00", tz="UTC")
    assert result.filled_hours_utc == (last,)
    values = result.load_mw.set_index(["region", "timestep"])["load_mw"]
    for ba in OFFSETS:
        expected = load.loc[last - pd.Timedelta(hours=24), ba]
        assert values.loc[(ba, "d2024-12-31h24")] == expected
    assert ts.full_year(_constructed_load(), OFFSETS, YEAR, RECORD).filled_hours_utc == ()


def test_a_weather_year_fills_short_gaps_and_leaves_out_a_ba_missing_more(load):
    """A BA missing up to MAX_FILLED_GAP_HOURS hours of the year gets each from the same hour a
    day earlier; one missing more sits the year out (named with its missing hours)."""
    gappy = load.copy()
    gap = gappy.index[1000:1006]  # 6 hours of AAA
    gappy.loc[gap, "AAA"] = np.nan
    gappy.iloc[2000 : 2000 + ts.MAX_FILLED_GAP_HOURS + 1, 1] = np.nan  # BBB: one hour too many
    year = ts.weather_year(gappy, OFFSETS, YEAR, RECORD)
    assert year.filled == {"AAA": 6} and year.left_out == {"BBB": ts.MAX_FILLED_GAP_HOURS + 1}
    assert set(year.days.stranded["region"]) == {"AAA"}
    whole = ts.weather_year(load, OFFSETS, YEAR, RECORD)
    assert whole.filled == {} and whole.left_out == {}
    pd.testing.assert_frame_equal(
        whole.days.stranded, ts.full_year(load, OFFSETS, YEAR, RECORD).stranded
    )
    # the filled hours: AAA's load of the day before, so its stranded power of that hour
    filled = year.days.load_mw.set_index(["region", "timestep"])["load_mw"]
    steps = year.days.timesteps.set_index("datetime_utc")["timestep"]
    for stamp in gap:
        before = load.loc[stamp - pd.Timedelta(hours=24), "AAA"]
        assert filled["AAA", steps[stamp]] == pytest.approx(before)


def test_bad_inputs_are_refused(load):
    with pytest.raises(InputError, match="n_typical_days"):
        ts.representative_days(load, OFFSETS, YEAR, 0, RECORD)
    gap = load.drop(load.index[1000])
    with pytest.raises(InputError, match="lacks 1 hour"):
        ts.full_year(gap, OFFSETS, YEAR, RECORD)
    with pytest.raises(InputError, match="no UTC offset"):
        ts.full_year(load, {"AAA": -5}, YEAR, RECORD)


def test_inference_profile_file_is_a_documented_evening_peaked_shape():
    table = pd.read_csv(ts.INFERENCE_PROFILE_PATH)
    assert list(table.columns) == ["hour_local", "inference_profile", "source"]
    profile = ts.load_inference_profile()
    assert profile.index.tolist() == list(range(24))
    assert profile.max() == 1.0
    assert int(profile.idxmax()) in (20, 21)
    assert 0.45 <= profile.loc[[4, 5]].min() <= 0.55
    assert profile.idxmin() in (4, 5)
    assert table["source"].str.contains("assumed").all()
    assert table["source"].str.contains("not measured").all()


def test_inference_profile_peaks_at_the_local_peak_hour():
    stamps = pd.date_range("2024-07-16 01:00", periods=48, freq="h", tz="UTC")
    steps = pd.DataFrame({"timestep": [f"s{i}" for i in range(48)], "datetime_utc": stamps})
    result = ts.inference_profiles(steps, {"EST": -5, "UTC": 0})
    assert list(result.columns) == ["profile_zone", "timestep", "inference_profile"]
    assert len(result) == 2 * 48
    peak_hour = int(ts.load_inference_profile().idxmax())
    est = result[result["profile_zone"] == "EST"].set_index("timestep")["inference_profile"]
    at_peak = est[est == 1.0].index
    assert len(at_peak) == 2  # once a day
    for step in at_peak:
        stamp = steps.set_index("timestep").loc[step, "datetime_utc"]
        # the hour starting at peak_hour local (UTC-5) ends at peak_hour + 1 + 5 UTC
        assert stamp.hour == (peak_hour + 1 + 5) % 24
        local_start = stamp - pd.Timedelta(hours=1) - pd.Timedelta(hours=5)
        assert local_start.hour == peak_hour
    utc = result[result["profile_zone"] == "UTC"]["inference_profile"].to_numpy()
    # the same shape: a zone at UTC reaches each local hour 5 h (steps) before UTC-5 does
    np.testing.assert_allclose(np.roll(est.to_numpy(), -5), utc)


@pytest.mark.realdata
def test_real_2024_six_typical_days(data_dir):
    from optimizer.inputs import load_ba_load_mw
    from optimizer.inputs.regions import ba_utc_offsets_h

    load = load_ba_load_mw(data_dir)
    result = ts.representative_days(load, ba_utc_offsets_h(), 2024, 6, (2016, 2024))
    assert 5 <= result.n_peak_days <= 70
    assert len(result.days) == result.n_peak_days + 6
    assert result.days["weight_days"].sum() == 366
    assert result.timesteps["weight_h"].sum() == pytest.approx(366 * 24)
    assert len(result.stranded) == 22 * len(result.timesteps)
    # every BA's highest-load hour of 2024 (UTC days) lies on a kept day
    year = load.loc[pd.Timestamp("2024-01-01 01:00", tz="UTC") :]
    kept = set(result.days["date"])
    for ba in load.columns:
        stamp = year[ba].idxmax()
        assert (stamp - pd.Timedelta(hours=1)).date() in kept, ba
