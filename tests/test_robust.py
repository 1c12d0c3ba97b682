"""A plan that holds in every weather year: representative days drawn from several years of
record (``record_days``) and the curtailment budget held in each year (``every_year``) or on
average, on a hand-solved two-year case and on constructed load of three years."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from factory import make_scenario, site

from optimizer.builders.us import timeseries as ts
from optimizer.errors import InputError
from optimizer.pipeline import run_scenario
from optimizer.solve.highs import SolverOptions

EXACT = SolverOptions(time_limit_s=60, mip_gap_pct=0.0, threads=1)

# Two weather years of 100 h each: 2001 ample everywhere; in 2002 the cheap region has no
# stranded power for 15 h. Step weights are the mean of the two years.
YEAR_WEIGHTS = [
    {"timestep": "a1", "weather_year": 2001, "weight_h": 100.0},
    {"timestep": "b1", "weather_year": 2002, "weight_h": 85.0},
    {"timestep": "b2", "weather_year": 2002, "weight_h": 15.0},
]
STEPS = [
    {"timestep": t, "period": t, "duration_h": 1.0, "weight_h": w}
    for t, w in (("a1", 50.0), ("b1", 42.5), ("b2", 7.5))
]


def _two_years(scope: str) -> object:
    """100 MW of training, budget 10 %, firm capacity unaffordable. At the cheap region (40
    USD/MWh) the campus pays 40 x 100 x 92.5 = 370,000 USD of energy in the mean year and
    curtails 100 MW for 7.5 h (112,500 USD at 150 USD/MWh): 482,500 USD, against 500,000 USD at
    the dear region (50 USD/MWh, never curtailed). On average it curtails 7.5 % of its energy,
    within the budget; in 2002 it curtails 15 h of 100, 15 %, beyond it."""
    sites = [
        site("c1", "cheap", edge_allowed=False),
        site("d1", "dear", edge_allowed=False),
        site("edge", "dear", campus_allowed=False),  # the metro (no demand) needs a site
    ]
    regions = [
        {"region": "cheap", "energy_price_usd_per_mwh": 40.0},
        {"region": "dear", "energy_price_usd_per_mwh": 50.0},
    ]
    return make_scenario(
        sites,
        steps=STEPS,
        regions=regions,
        stranded={("cheap", "b2"): 0.0},
        year_weights=YEAR_WEIGHTS,
        training={
            "target_mw": 100.0,
            "curtailment_budget_pct": 10.0,
            "curtailment_budget_scope": scope,
        },
    )


def _curtailed_pct_by_year(result) -> dict[int, float]:
    """Each year's curtailed training energy, % of its training energy, from the plan's steps."""
    dispatch = result.dispatch.merge(pd.DataFrame(YEAR_WEIGHTS), on="timestep", suffixes=("", "_y"))
    dispatch = dispatch[dispatch["training_mw"] + dispatch["curtailed_mw"] > 0]
    share = {}
    for year, rows in dispatch.groupby("weather_year"):
        curtailed = (rows["weight_h_y"] * rows["curtailed_mw"]).sum()
        energy = (rows["weight_h_y"] * (rows["training_mw"] + rows["curtailed_mw"])).sum()
        share[int(year)] = 100 * curtailed / energy
    return share


def test_a_plan_within_its_budget_on_average_exceeds_it_in_one_year_and_the_robust_one_does_not():
    average = run_scenario(_two_years("average"), EXACT)
    built = average.sites.set_index("site")["campus_mw"]
    assert (built["c1"], built["d1"]) == (100.0, 0.0)
    assert average.summary["objective_usd"] == pytest.approx(100 * 1000 + 482_500)
    by_year = _curtailed_pct_by_year(average)
    assert by_year == pytest.approx({2001: 0.0, 2002: 15.0})  # beyond the 10 % budget in 2002

    robust = run_scenario(_two_years("every_year"), EXACT)
    built = robust.sites.set_index("site")["campus_mw"]
    assert (built["c1"], built["d1"]) == (0.0, 100.0)
    assert robust.summary["objective_usd"] == pytest.approx(100 * 1000 + 500_000)
    assert max(_curtailed_pct_by_year(robust).values()) <= 10.0


def test_year_weights_must_average_to_the_step_weights():
    steps = [dict(s) for s in STEPS]
    steps[0]["weight_h"] = 60.0
    with pytest.raises(InputError, match=r"timestep 'a1'.*average 50 h.*weight_h 60 h"):
        make_scenario(
            [site("c1", "cheap")],
            steps=steps, year_weights=YEAR_WEIGHTS,
            training={"target_mw": 0.0},
        )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Days drawn from three constructed years
# ---------------------------------------------------------------------------------------------

YEARS = [2021, 2022, 2023]
OFFSETS = {"AAA": -5, "BBB": -8}
SPIKES = {2021: dt.date(2021, 7, 20), 2022: dt.date(2022, 8, 3), 2023: dt.date(2023, 6, 28)}


def _record_load(gap: tuple[int, int] | None = None) -> pd.DataFrame:
    """Three years of two BAs with diurnal swings and noise, a summer spike in AAA each year
    (smaller each year, so that only 2021's is the record's), and BBB missing ``gap`` (a
    range of hour positions) when given."""
    index = pd.date_range("2021-01-01 01:00", "2024-01-01 00:00", freq="h", tz="UTC")
    rng = np.random.default_rng(3)
    hour = index.hour.to_numpy()
    frame = {
        ba: base + 0.15 * base * np.sin(2 * np.pi * (hour - 12) / 24)
        + rng.normal(0, 0.02 * base, len(index))
        for ba, base in (("AAA", 1000.0), ("BBB", 5000.0))
    }  # fmt: skip
    load = pd.DataFrame(frame, index=index)
    for year, day in SPIKES.items():
        start = pd.Timestamp(day, tz="UTC")
        rows = (index > start + pd.Timedelta(hours=15)) & (index <= start + pd.Timedelta(hours=22))
        load.loc[rows, "AAA"] += 900.0 - 200.0 * (year - 2021)
    if gap is not None:
        load.iloc[gap[0] : gap[1], 1] = np.nan
    return load


def test_record_days_keep_every_years_peak_and_weigh_each_year():
    drawn = ts.record_days(_record_load(), OFFSETS, YEARS, 3, (2021, 2023))
    days = drawn.days
    kept = set(days.days.loc[days.days["kind"] == ts.PEAK, "date"])
    assert set(SPIKES.values()) <= kept  # each year's own summer peak of AAA, not only 2021's
    weights = days.year_weights
    per_year = weights.groupby("weather_year")["weight_h"].sum()
    assert per_year.to_dict() == pytest.approx({2021: 8760.0, 2022: 8760.0, 2023: 8760.0})
    # a step stands for hours of its own year only, and its weight is the mean over the years
    step_year = weights.set_index("timestep")["weather_year"]
    assert step_year.index.is_unique
    assert (step_year == step_year.index.str[1:5].astype(int)).all()
    mean = weights.set_index("timestep")["weight_h"] / 3
    given = days.timesteps.set_index("timestep")["weight_h"]
    pd.testing.assert_series_equal(mean.reindex(given.index), given, check_names=False)
    assert days.timesteps["weight_h"].sum() == pytest.approx(8760.0)
    # 3 typical days per year beside the peak days
    typical = days.days[days.days["kind"] == ts.TYPICAL]
    assert typical["date"].map(lambda d: d.year).value_counts().to_dict() == {y: 3 for y in YEARS}
    assert drawn.years["used"].all() and (drawn.years["days_used"] == 365).all()


def test_days_a_ba_misses_are_left_out_and_a_year_missing_most_of_its_days_sits_out():
    # BBB misses 30 days of 2022 (from hour position 8760 + 24 * 100): the other 335 days of
    # 2022 stand for its 365
    start = 8760 + 24 * 100
    drawn = ts.record_days(_record_load((start, start + 30 * 24)), OFFSETS, YEARS, 3, (2021, 2023))
    years = drawn.years.set_index("year")
    assert years.loc[2022, "days_used"] == 335 and years.loc[2022, "missing"] == "BBB (720 h)"
    dates = set(drawn.days.days["date"])
    gap = {dt.date(2022, 1, 1) + dt.timedelta(days=100 + i) for i in range(30)}
    assert not dates & gap
    per_year = drawn.days.year_weights.groupby("weather_year")["weight_h"].sum()
    assert per_year[2022] == pytest.approx(8760.0)
    # BBB misses 200 days of 2022: the year sits out, the others remain
    out = ts.record_days(_record_load((8760, 8760 + 200 * 24)), OFFSETS, YEARS, 3, (2021, 2023))
    assert not out.years.set_index("year").loc[2022, "used"]
    assert set(out.days.year_weights["weather_year"]) == {2021, 2023}
    assert out.days.timesteps["weight_h"].sum() == pytest.approx(8760.0)


def test_too_few_peak_days_for_the_years_is_refused():
    with pytest.raises(InputError, match="at least 2 per year"):
        ts.record_days(_record_load(), OFFSETS, YEARS, 3, (2021, 2023), max_peak_days=5)


def test_hours_filled_in_the_days_drawn_from_are_listed():
    # BBB misses 5 hours of 2022 (filled from the day before): they are listed as filled, as
    # a single year's filled hours are
    start = 8760 + 24 * 200 + 3
    drawn = ts.record_days(_record_load((start, start + 5)), OFFSETS, YEARS, 3, (2021, 2023))
    assert drawn.years.set_index("year").loc[2022, "filled"] == "BBB (5 h)"
    index = pd.date_range("2021-01-01 01:00", "2024-01-01 00:00", freq="h", tz="UTC")
    gap = set(index[start : start + 5])
    assert set(drawn.days.filled_hours_utc) == gap


def test_required_days_are_kept_whole_and_days_not_drawn_from_are_refused():
    # the robust rounds' days: kept as peak days of their own (reason "required", weight one
    # day of their year), beside each year's peak days; the other days' weights still sum to
    # each year's hours
    required = [dt.date(2022, 3, 9), dt.date(2023, 11, 2)]
    drawn = ts.record_days(_record_load(), OFFSETS, YEARS, 3, (2021, 2023), required_days=required)
    days = drawn.days.days.set_index("date")
    assert (days.loc[required, "kind"] == ts.PEAK).all()
    assert (days.loc[required, "members"] == 1).all()
    reasons = drawn.days.peak_reasons
    assert set(reasons.loc[reasons["reason"] == "required", "date"]) == set(required)
    assert set(SPIKES.values()) <= set(days.index[days["kind"] == ts.PEAK])
    per_year = drawn.days.year_weights.groupby("weather_year")["weight_h"].sum()
    assert per_year.to_dict() == pytest.approx({2021: 8760.0, 2022: 8760.0, 2023: 8760.0})
    # one year: a day of the model year only; a day of another year, or a day a BA misses, is
    # refused naming the setting
    one = ts.representative_days(_record_load(), OFFSETS, 2022, 3, (2021, 2023), None, required[:1])
    assert one.days.set_index("date").loc[required[0], "kind"] == ts.PEAK
    with pytest.raises(InputError, match=r"build.required_days: 2023-11-02 not among the days"):
        ts.representative_days(_record_load(), OFFSETS, 2022, 3, (2021, 2023), None, required)
    start = 8760 + 24 * 100  # BBB misses 2022-04-11 to 2022-05-10
    with pytest.raises(InputError, match=r"build.required_days: 2022-04-20 not among"):
        ts.record_days(
            _record_load((start, start + 30 * 24)), OFFSETS, YEARS, 3, (2021, 2023),
            required_days=[dt.date(2022, 4, 20)],
        )  # fmt: skip
