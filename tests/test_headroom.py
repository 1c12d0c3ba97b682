"""Stranded power and curtailment-enabled headroom: exact hand-solved cases, properties on random
series, seasons and the UTC to local-time shift, and the real 22-BA table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.errors import InputError
from optimizer.stranded import headroom as hr


def _hourly(start_utc: str, values) -> pd.Series:
    index = pd.date_range(start_utc, periods=len(values), freq="h", tz="UTC")
    return pd.Series(np.asarray(values, dtype=float), index=index, name="TEST")


def _stranded(h_mw, year=None, thresholds=(0.0, 0.0), load_factor=0.5) -> hr.StrandedPower:
    h = np.asarray(h_mw, dtype=float)
    year = np.zeros(len(h), dtype=int) + 2020 if year is None else np.asarray(year)
    return hr.StrandedPower(h, year, hr.SeasonalThresholds(*thresholds), load_factor)


def test_hand_computed_headroom_single_year():
    # 10 hours, stranded power 0, 10, 20, ..., 90 MW. For X in [10, 20]: curtailed MWh =
    # X + (X - 10) = 2X - 10, rate = (2X - 10) / (10 X). Rate 0.15 at X = 20 and the limit 15 %
    # lies on the segment below 20? (2X - 10) / 10X = 0.15 -> X = 10 / 0.5 = 20 (the breakpoint).
    # Limit 12 %: (2X - 10) = 1.2 X -> X = 12.5 MW.
    sp = _stranded(np.arange(10) * 10.0)
    x12, x15 = hr.headroom_mw(sp, [12.0, 15.0])
    assert x12 == pytest.approx(12.5, abs=1e-9)
    assert x15 == pytest.approx(20.0, abs=1e-9)
    # Limit 10 %: the zero hour alone curtails 10 % of any X, so X = 10 % holds up to
    # X = 10 (where the 10 MW hour starts to bite): every X in (0, 10] has rate exactly 0.10.
    assert hr.headroom_mw(sp, [10.0])[0] == pytest.approx(10.0, abs=1e-9)
    # Below 10 % nothing fits.
    assert hr.headroom_mw(sp, [5.0])[0] == 0.0


def test_hand_computed_headroom_mean_over_years_of_unequal_length():
    # Year A: 2 hours with H = 0 and 100; year B: 4 hours all with H = 100.
    # For X <= 100: rate_A = X / (2X) = 0.5, rate_B = 0 -> mean 0.25.
    # For X > 100: rate_A = (X + X - 100) / 2X, rate_B = (X - 100) / X.
    # Mean = 0.5 * [(2X - 100)/2X + (X - 100)/X] = limit 0.3 -> (4X - 300)/(4X) = 0.3
    # -> 4X - 300 = 1.2 X -> X = 300 / 2.8.
    sp = _stranded([0, 100, 100, 100, 100, 100], year=[2019, 2019, 2020, 2020, 2020, 2020])
    assert hr.headroom_mw(sp, [30.0])[0] == pytest.approx(300 / 2.8, rel=1e-12)
    assert hr.curtailment_rate(sp, 300 / 2.8) == pytest.approx(0.30, rel=1e-12)


def test_headroom_beyond_largest_stranded_hour():
    # Every hour has 100 MW stranded: rate (X - 100) / X <= 0.5 -> X = 200.
    sp = _stranded([100.0] * 5)
    assert hr.headroom_mw(sp, [50.0])[0] == pytest.approx(200.0)


@settings(max_examples=60, deadline=None, derandomize=True)  # the same cases every run
@given(
    st.lists(st.floats(0, 5000, allow_nan=False, allow_subnormal=False), min_size=2, max_size=300),
    st.lists(st.integers(0, 3), min_size=2, max_size=300),
    st.sampled_from([0.25, 0.5, 1.0, 5.0, 20.0]),
)
def test_headroom_meets_limit_and_one_more_mw_breaks_it(h, year_codes, limit):
    n = min(len(h), len(year_codes))
    sp = _stranded(h[:n], year=np.sort(np.asarray(year_codes[:n])) + 2000)
    x = hr.headroom_mw(sp, [limit])[0]
    assert x >= 0
    assert hr.curtailment_rate(sp, x) <= limit / 100 * (1 + 1e-9) + 1e-12
    assert hr.curtailment_rate(sp, x + 1.0) > limit / 100


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    st.lists(st.floats(0, 1000, allow_nan=False, allow_subnormal=False), min_size=5, max_size=200)
)
def test_headroom_is_nondecreasing_in_the_limit(h):
    sp = _stranded(h)
    values = hr.headroom_mw(sp, [0.25, 0.5, 1.0, 5.0, 50.0])
    assert np.all(np.diff(values) >= -1e-9)


def test_local_time_shift_moves_hours_across_month_boundary():
    # Stamps 2021-06-01 01:00..06:00 UTC are hour-ending: their hours start at 00:00..05:00 UTC
    # on June 1, i.e. 19:00..00:00 local standard time at UTC-5: the first five are in May.
    series = _hourly("2021-06-01 01:00", [1, 2, 3, 4, 5, 6])
    local = hr.local_hour_start(series.index, -5)
    assert list(local.month) == [5, 5, 5, 5, 5, 6]
    assert local[0] == pd.Timestamp("2021-05-31 19:00")


def test_seasons_judged_in_local_time_and_shoulder_months():
    # A full year of flat 100 MW with three spikes placed near month boundaries.
    index = pd.date_range("2021-01-01 01:00", "2022-01-01 00:00", freq="h", tz="UTC")
    load = pd.Series(100.0, index=index, name="TEST")
    # 2021-10-01 03:00 UTC ends the hour starting 02:00 UTC = 20:00 on Sep 30 at UTC-6:
    # a September hour, so it sets the summer threshold in Central time...
    load[pd.Timestamp("2021-10-01 03:00", tz="UTC")] = 900.0
    # ...a spike in April never sets a threshold (not a peak month)...
    load[pd.Timestamp("2021-04-15 12:00", tz="UTC")] = 5000.0
    # ...and 2021-04-01 05:00 UTC starts at 04:00 UTC = 22:00 on March 31 at UTC-6: winter peak.
    load[pd.Timestamp("2021-04-01 05:00", tz="UTC")] = 700.0
    central = hr.seasonal_thresholds(load, -6)
    assert (central.summer_mw, central.winter_mw) == (900.0, 700.0)
    # At UTC+0 the September spike falls on October 1 and the March spike on April 1:
    # neither counts, both thresholds are the flat 100 MW.
    utc = hr.seasonal_thresholds(load, 0)
    assert (utc.summer_mw, utc.winter_mw) == (100.0, 100.0)
    # Stranded power: April and October hours are held to the summer threshold, November and
    # March to the winter one.
    h = hr.stranded_power_mw(load, -6)
    assert h[pd.Timestamp("2021-10-20 12:00", tz="UTC")] == 800.0  # 900 - 100
    assert h[pd.Timestamp("2021-11-20 12:00", tz="UTC")] == 600.0  # 700 - 100
    assert h[pd.Timestamp("2021-03-20 12:00", tz="UTC")] == 600.0
    # The April spike exceeds the summer threshold: stranded power floors at 0, so a new load
    # is curtailed whole there, never by more than itself.
    assert h[pd.Timestamp("2021-04-15 12:00", tz="UTC")] == 0.0


def test_curtailment_stats_on_a_known_series():
    # H: 50 50 0 0 50 20 50 ; X = 40 -> curtailed hours are H < 40: indices 2,3,5 -> 3 hours,
    # events {2,3} and {5} -> mean 1.5 h; half of X kept where H >= 20: only index 5 -> 1/3.
    sp = _stranded([50, 50, 0, 0, 50, 20, 50])
    stats = hr.curtailment_stats(sp, 40.0)
    assert stats == {
        "curtailed_hours_per_year": 3.0,
        "mean_event_hours": 1.5,
        "share_hours_half_load_kept": pytest.approx(1 / 3),
    }


def test_bad_inputs_are_clear_errors():
    with pytest.raises(InputError, match="unknown BA code"):
        hr.check_bas(["PJM", "NOPE"], ["PJM", "MISO"])
    with pytest.raises(InputError, match="empty year range"):
        hr.parse_years("2024-2020")
    with pytest.raises(InputError, match="expected YEAR"):
        hr.parse_years("last year")
    series = _hourly("2021-01-01 01:00", np.ones(24 * 400))
    with pytest.raises(InputError, match="no load of TEST in that range"):
        hr.stranded_power(series, -5, (2030, 2031))
    series.iloc[5] = np.inf
    with pytest.raises(InputError, match="infinite"):
        hr.stranded_power(series, -5)
    series[:] = np.nan
    with pytest.raises(InputError, match="missing in every year"):
        hr.stranded_power(series, -5)
    with pytest.raises(InputError, match="between 0 and 100"):
        hr.headroom_mw(_stranded([1.0, 2.0]), [0.0])


def test_missing_load_leaves_out_its_years_and_skips_its_hours():
    """A year missing more than 1 % of its hours is left out whole (and said); fewer missing
    hours are skipped. The result equals the series with exactly those hours removed."""
    rng = np.random.default_rng(7)
    index = pd.date_range("2019-01-01 06:00", "2022-01-01 05:00", freq="h", tz="UTC")
    load = pd.Series(1000 + 300 * rng.random(len(index)), index=index, name="TEST")
    year = (index - pd.Timedelta(hours=6)).year  # local standard time at UTC-5, hour start
    gappy = load.copy()
    gappy[(year == 2020) & (index.month == 2)] = np.nan  # a month of 2020: ~8 % of its hours
    gappy.iloc[100:150] = np.nan  # 50 hours of 2019: under 1 %
    sp = hr.stranded_power(gappy, -5)
    assert sp.missing_years == (2020,) and sp.years == (2019, 2021)
    kept = load[(year != 2020)].drop(load.index[100:150])
    expected = hr.stranded_power(kept, -5)
    assert expected.missing_years == () and expected.years == (2019, 2021)
    np.testing.assert_array_equal(sp.stranded_mw, expected.stranded_mw)
    assert sp.thresholds == expected.thresholds
    assert hr.headroom_mw(sp, [1.0])[0] == hr.headroom_mw(expected, [1.0])[0]
    table = hr.headroom_table({"TEST": sp}, [1.0])
    assert table.loc[0, "years"] == "2019, 2021"
    with pytest.raises(InputError, match="no hourly series"):
        hr.stranded_power_mw(gappy, -5)


def test_year_ranges():
    assert (
        hr.year_ranges([2016, 2017, 2018, 2019, 2021, 2022, 2024]) == "2016-2019, 2021-2022, 2024"
    )
    assert hr.year_ranges([2020]) == "2020"


def test_unreported_bas_are_skipped_only_on_request():
    index = pd.date_range("2021-01-01 06:00", "2022-01-01 05:00", freq="h", tz="UTC")
    load = pd.DataFrame({"A": np.linspace(1, 2, len(index)), "B": np.nan}, index=index)
    with pytest.raises(InputError, match="load of B is missing in every year"):
        hr.stranded_power_by_ba(load, {"A": -5, "B": -5})
    assert list(hr.stranded_power_by_ba(load, {"A": -5, "B": -5}, skip_unreported=True)) == ["A"]


@pytest.mark.realdata
def test_real_headroom_table_of_all_54_bas(data_dir):
    """Every lower-48 load BA gets headroom; those with gaps use the years they have; the 22
    BAs of the Duke study give the same figures as from their own file."""
    from optimizer.inputs import load_ba_load_mw
    from optimizer.inputs.regions import ba_utc_offsets_h
    from optimizer.inputs.registry import BAS_ALL

    load = load_ba_load_mw(data_dir, all_bas=True)
    assert list(load.columns) == list(BAS_ALL)
    offsets = ba_utc_offsets_h()
    years = hr.full_years(load, offsets)
    assert years == (2016, 2024)
    stranded = hr.stranded_power_by_ba(load, offsets, years)
    table = hr.headroom_table(stranded)
    assert len(table) == 54 * 4 and (table["headroom_mw"] > 0).all()
    short = {ba: sp.missing_years for ba, sp in stranded.items() if sp.missing_years}
    assert short == {
        "AEC": (2021, 2022, 2023, 2024),
        "NSB": (2020, 2021, 2022, 2023, 2024),
        "PSEI": (2020,),
        "TAL": (2020,),
        "TEPC": (2021,),
    }
    assert set(table.loc[table["ba"] == "PSEI", "years"]) == {"2016-2019, 2021-2024"}
    for row in table.itertuples():
        sp = stranded[row.ba]
        assert hr.curtailment_rate(sp, row.headroom_mw) <= row.limit_pct / 100 + 1e-9
        assert hr.curtailment_rate(sp, row.headroom_mw + 1) > row.limit_pct / 100
    ba22 = load_ba_load_mw(data_dir)
    table22 = hr.headroom_table(hr.stranded_power_by_ba(ba22, offsets, years))
    same = table[table["ba"].isin(ba22.columns)].reset_index(drop=True)
    pd.testing.assert_frame_equal(same, table22)
    totals22 = table22.groupby("limit_pct")["headroom_mw"].sum().round().astype(int).tolist()
    assert totals22 == [74_201, 95_842, 122_558, 208_322]  # the first release's 22-BA figures


@pytest.mark.realdata
def test_real_headroom_table_all_bas_and_limits(data_dir):
    from optimizer.inputs import load_ba_load_mw
    from optimizer.inputs.regions import ba_utc_offsets_h

    load = load_ba_load_mw(data_dir)
    offsets = ba_utc_offsets_h()
    years = hr.full_years(load, offsets)
    assert years == (2016, 2024)
    stranded = hr.stranded_power_by_ba(load, offsets, years)
    table = hr.headroom_table(stranded)
    assert list(table.columns) == hr.HEADROOM_COLUMNS
    assert len(table) == 22 * 4 and table["ba"].nunique() == 22
    for row in table.itertuples():
        sp = stranded[row.ba]
        assert hr.curtailment_rate(sp, row.headroom_mw) <= row.limit_pct / 100 + 1e-9
        assert hr.curtailment_rate(sp, row.headroom_mw + 1) > row.limit_pct / 100
        assert 0 < row.load_factor < 1
    totals = table.groupby("limit_pct")["headroom_mw"].sum()
    # the national picture is tens of GW at 0.25 % and grows with the limit
    assert 50_000 < totals[0.25] < totals[0.5] < totals[1.0] < totals[5.0] < 400_000
