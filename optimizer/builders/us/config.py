"""Settings of the US scenario builder: the ``build:`` section of a built scenario file."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from optimizer.inputs.regions import ba_utc_offsets_h
from optimizer.inputs.registry import BA_LOAD_WIDE, BAS_ALL
from optimizer.section import Section, distinct

BA_SELECTIONS: dict[str, tuple[str, ...]] = {
    "lower48": BAS_ALL,
    "duke22": tuple(c for c in BA_LOAD_WIDE.columns if c != "datetime_utc"),
}
"""Named BA selections of ``build.bas``.

``lower48``: the 54 lower-48 load BAs with a cleaned hourly demand series, on the partition of US
counties over 50 BAs (the mirror's ``grid/ba_polygons_all_eia861_2018.geojson``).

``duke22``: the 22 largest BAs, those of the Duke headroom study (Norris et al. 2025) and of the
releases before the lower 48, on the 40-BA polygons they were built with
(``grid/ba_polygons_eia861_2018.geojson``), so that their results are reproduced.

A list of BA codes uses the lower-48 partition, where AZPS, BPAT, CISO, FPC and FPL lose to BAs
added with it (TEPC, GCPD and DOPD, BANC, FMPP, TEC) the counties where those sell most."""
DUKE22_POLYGONS = "duke22"
"""The selection whose BAs are drawn with the first release's 40-BA polygons."""

CampusClass = Literal["345+", "220-287"]
"""Voltage classes of campus candidate sites: lines of 345 kV and above, and of 220-287 kV."""


class CampusClassConfig(Section):
    """Grid figures of campus candidate sites of one voltage class (US scenario builder)."""

    interconnect_mw: float = Field(
        ge=0, description="firm interconnect available to a campus site without upgrades, MW"
    )
    interconnect_upgrade_max_mw: float = Field(
        ge=0, description="largest interconnection upgrade possible at such a site, MW"
    )
    site_max_mw: float = Field(gt=0, description="largest campus IT MW at one such site, MW")


def _default_campus_classes() -> dict[CampusClass, CampusClassConfig]:
    return {
        "345+": CampusClassConfig(
            interconnect_mw=500.0, interconnect_upgrade_max_mw=1500.0, site_max_mw=2000.0
        ),
        "220-287": CampusClassConfig(
            interconnect_mw=200.0, interconnect_upgrade_max_mw=400.0, site_max_mw=600.0
        ),
    }


class UsBuildConfig(Section):
    """Settings used only by the US scenario builder (hand-written scenarios have none)."""

    year: int = Field(
        2024,
        ge=2016,
        le=2024,
        description="load (and weather) year the representative days come from",
    )
    record_first_year: int = Field(
        2016, ge=2016, le=2024, description="first year of record setting the seasonal thresholds"
    )
    record_last_year: int = Field(
        2024, ge=2016, le=2024, description="last year of record setting the seasonal thresholds"
    )
    bas: str | list[Annotated[str, Field(min_length=1)]] = Field(
        "lower48",
        description="balancing authorities to include: lower48 (the 54 lower-48 load BAs), "
        "duke22 (the 22 of the Duke study on their first-release polygons: the results of the "
        "releases before the lower 48), or a list of BA codes (on the lower-48 polygons)",
    )
    campus_spacing_km: float = Field(
        75.0,
        gt=0,
        description="one campus candidate per this many km of 220 kV+ line, km (75: about 2,200 "
        "line candidates and, with the plants, 2,900 individual campus candidates over the "
        "lower 48; 50 gives 3,500 and 4,200)",
    )
    campus_classes: dict[CampusClass, CampusClassConfig] = Field(
        default_factory=_default_campus_classes,
        description="campus candidate grid figures per line voltage class (default: 345+: "
        "500 MW interconnect, 1500 MW upgrade, 2000 MW site; 220-287: 200, 400, 600 MW)",
    )
    plant_min_capacity_mw: float = Field(
        500.0,
        gt=0,
        description="existing plants of at least this operating capacity (EIA-860 2022) are "
        "campus candidates (co-location: 40 % of the plant's capacity at its connection), MW",
    )
    campus_storage: bool = Field(
        False,
        description="campus candidates may build storage (storage_allowed); off by default: "
        "storage at campus candidates was never chosen in the default runs (0 MWh), and each "
        "candidate with storage carries its own hourly operation (5 hourly series: grid "
        "import, curtailment, charge, discharge, state of charge) while candidates without "
        "storage share one per (BA, PUE)",
    )
    spur_capex_usd_per_mw_km: float = Field(
        2500.0,
        ge=0,
        description="spur line capex per MW of IT capacity and km of line, USD per MW-km",
    )
    n_metros: int = Field(
        100,
        ge=1,
        description="metros to serve: the largest US metro areas by 2023 population; those no "
        "edge site reaches (outside the lower 48: Honolulu) are listed in left_out_metros.csv "
        "with the reason",
    )
    inference_w_per_capita: float = Field(
        10.0, ge=0, description="peak inference IT demand per resident, W"
    )
    edge_interconnect_mw: float = Field(
        20.0, ge=0, description="firm interconnect of an edge candidate site without upgrades, MW"
    )
    edge_interconnect_upgrade_max_mw: float = Field(
        200.0, ge=0, description="largest interconnection upgrade at an edge candidate site, MW"
    )
    edge_site_max_mw: float = Field(
        300.0, gt=0, description="largest IT MW at one edge candidate site, MW"
    )
    datacenter_cluster_km: float = Field(
        25.0, gt=0, description="existing data centers this close together form a cluster, km"
    )
    datacenter_cluster_min_count: int = Field(
        3, ge=1, description="existing data centers a cluster needs to become an edge candidate"
    )
    plan_years: Literal["model_year", "record"] = Field(
        "model_year",
        description="the days the plan is chosen on: model_year (the representative days of "
        "year) or record (a robust plan: representative days drawn from every year of record "
        "at once, keeping each year's peak days, each step weighted per year; with "
        "training.curtailment_budget_scope every_year the budget holds in each year); with "
        "record raise max_peak_days (2 per year at least; e.g. 90) and n_typical_days",
    )
    n_typical_days: int = Field(
        6, ge=1, le=365, description="representative days the year is reduced to"
    )
    max_peak_days: int | None = Field(
        30,
        ge=2,
        le=366,
        description="at most this many peak days kept whole beside the typical days: when "
        "the BAs' own summer, winter and lowest-stranded-power days are more, the fewest days "
        "holding each of them within the smallest tolerance (a share of the BA's peak) that "
        "fits; null: every BA's own days",
    )
    required_days: list[dt.date] = Field(
        default_factory=list,
        description="days kept whole as peak days besides the others (YYYY-MM-DD): days of "
        "year, or with plan_years record of any year drawn from; the robust rounds add to "
        "them",
    )
    robust_day_rounds: int = Field(
        0,
        ge=0,
        le=10,
        description="rounds of day generation: after a solve, the days each weather year's "
        "hourly operation curtails most beyond the budget join required_days and the plan is "
        "solved again, until no year curtails beyond its budget or the rounds run out (with "
        "plan_years record and training.curtailment_budget_scope every_year: a plan that "
        "holds its budget in every hour of every year)",
    )
    backbone_networks: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list, description="Internet Topology Zoo networks to use; empty: all"
    )
    network_merge_km: float = Field(
        10.0, ge=0, description="nodes of different networks closer than this are one city, km"
    )
    pue_constant: float | None = Field(
        None, ge=1, description="PUE of every site; null: the climate rule below"
    )
    pue_base: float = Field(
        1.12, ge=1, description="climate rule: PUE at or north of pue_reference_lat"
    )
    pue_per_degree_south: float = Field(
        0.008,
        ge=0,
        description="climate rule: PUE added per degree of latitude south of pue_reference_lat "
        "(pue = pue_base + pue_per_degree_south * max(0, pue_reference_lat - lat))",
    )
    pue_reference_lat: float = Field(
        42.0, ge=-90, le=90, description="climate rule: latitude north of which PUE is pue_base"
    )
    stranded_share_pct: float = Field(
        50.0, ge=0, le=100, description="share of each BA's stranded power open to our sites, %"
    )

    @field_validator("bas")
    @classmethod
    def _known_bas(cls, bas: str | list[str]) -> str | list[str]:
        known = ba_utc_offsets_h()
        if isinstance(bas, str):
            if bas in BA_SELECTIONS:
                return bas
            if bas not in known:
                raise ValueError(
                    f"{bas!r} is neither a selection ({', '.join(BA_SELECTIONS)}) nor a BA code;"
                    f" known BA codes: {', '.join(known)}"
                )
            bas = [bas]
        if not bas:
            raise ValueError(f"give BA codes, or one of {', '.join(BA_SELECTIONS)}")
        unknown = [ba for ba in bas if ba not in known]
        if unknown:
            raise ValueError(f"unknown BA codes {unknown}; known: {', '.join(known)}")
        return distinct(bas, "BA codes")

    @field_validator("backbone_networks")
    @classmethod
    def _distinct_networks(cls, names: list[str]) -> list[str]:
        return distinct(names, "network names")

    @property
    def ba_codes(self) -> list[str]:
        """The BA codes ``bas`` names (a selection's, or the list given)."""
        return list(BA_SELECTIONS[self.bas]) if isinstance(self.bas, str) else list(self.bas)

    @property
    def duke22_polygons(self) -> bool:
        """Whether the BAs are drawn with the first release's 40-BA polygons (``duke22``)."""
        return self.bas == DUKE22_POLYGONS

    @model_validator(mode="after")
    def _record_years(self) -> UsBuildConfig:
        if self.record_first_year > self.record_last_year:
            raise ValueError(
                f"record_first_year ({self.record_first_year}) is after record_last_year "
                f"({self.record_last_year})"
            )
        return self
