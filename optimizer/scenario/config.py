"""``scenario.yaml``: the settings of a scenario as pydantic models.

Every field carries its unit in its name, a description, its bounds and its default;
``dcsite scenario schema`` prints them (:mod:`optimizer.scenario.schema`). Unknown keys and
non-finite numbers are errors.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from optimizer import geo
from optimizer.builders.us.config import UsBuildConfig
from optimizer.section import MAX_NAME_LENGTH, Section, distinct, name_problem


class TrainingConfig(Section):
    """Training campuses: large, latency-insensitive, curtailable load."""

    target_mw: float = Field(ge=0, description="IT MW of training campuses to build in total")
    campus_blocks_mw: list[Annotated[float, Field(gt=0)]] = Field(
        default_factory=lambda: [100.0, 250.0, 500.0, 1000.0],
        min_length=1,
        description="allowed campus sizes, IT MW each (a site gets at most one block)",
    )
    curtailment_budget_pct: float = Field(
        1.0,
        ge=0,
        le=100,
        description="max curtailed training energy per site, % of its full-year energy",
    )
    curtailment_budget_scope: Literal["average", "every_year"] = Field(
        "average",
        description="where the budget holds when the steps stand for several weather years "
        "(year_weights.csv): average (over the years) or every_year (in each year); one year "
        "of steps: the same",
    )
    curtailment_cost_usd_per_mwh: float = Field(
        150.0, ge=0, description="value lost per curtailed training MWh (IT), USD/MWh"
    )

    @field_validator("campus_blocks_mw")
    @classmethod
    def _distinct_blocks(cls, blocks: list[float]) -> list[float]:
        return distinct(blocks, "campus sizes")


class InferenceConfig(Section):
    """Inference edge clusters: firm load in modules close to their metros."""

    module_mw: float = Field(5.0, gt=0, description="IT MW per edge module")
    latency_max_ms: float = Field(
        20.0,
        gt=0,
        description="round-trip latency limit (ms) of metros without their own latency_max_ms",
    )
    unserved_penalty_usd_per_mwh: float = Field(
        10000.0, ge=0, description="penalty per MWh of inference demand not served, USD/MWh"
    )


class CostsConfig(Section):
    """Capital and operating costs (capex is overnight, annualized with the cost of capital)."""

    campus_capex_usd_per_mw: float = Field(
        10_000_000.0, ge=0, description="campus capex per IT MW, USD/MW"
    )
    edge_capex_usd_per_mw: float = Field(
        12_000_000.0, ge=0, description="edge module capex per IT MW, USD/MW"
    )
    storage_energy_capex_usd_per_mwh: float = Field(
        250_000.0, ge=0, description="storage capex per MWh of energy capacity, USD/MWh"
    )
    storage_power_capex_usd_per_mw: float = Field(
        300_000.0, ge=0, description="storage capex per MW of charge/discharge power, USD/MW"
    )
    interconnect_upgrade_capex_usd_per_mw: float = Field(
        150_000.0, ge=0, description="capex per MW of interconnection added at a site, USD/MW"
    )
    firm_capacity_usd_per_mw_year: float = Field(
        100_000.0,
        ge=0,
        description="firm capacity price (USD per MW-year) of regions without their own",
    )
    firm_capacity_price_scale_pct: float = Field(
        100.0,
        ge=0,
        description="every region's firm capacity price (regions.csv "
        "firm_capacity_usd_per_mw_year, or the default above) times this share, % (100: as "
        "given; 150: 50 % dearer); one setting to vary the per-region prices, e.g. in dcsite "
        "sensitivity",
    )
    energy_price_usd_per_mwh: float = Field(
        60.0, ge=0, description="energy price (USD/MWh) of regions without their own"
    )
    delay_cost_usd_per_mw_year: float = Field(
        500_000.0,
        ge=0,
        description="cost of each year a site's capacity waits for power, USD per IT MW-year",
    )


class TenantConfig(Section):
    """One offtake contract backing the project debt."""

    name: str = Field(min_length=1, description="tenant or contract name")
    share_pct: float = Field(
        ge=0, le=100, description="share of the capacity contracted, % (the shares sum to 100)"
    )
    credit_spread_pct: float = Field(
        ge=0,
        le=100,
        description="debt spread over the base rate for this tenant's credit, % "
        "(e.g. investment grade 1.5, non-investment grade 4.0)",
    )


def _default_tenants() -> list[TenantConfig]:
    return [TenantConfig(name="investment-grade", share_pct=100.0, credit_spread_pct=1.5)]


class FinanceConfig(Section):
    """Cost of capital: given directly, or derived from the debt and equity mix."""

    wacc_pct: float | None = Field(
        None,
        ge=0,
        le=100,
        description="cost of capital, %; if null, derived from the financing mix below",
    )
    base_rate_pct: float = Field(
        4.5, ge=0, le=100, description="benchmark rate the debt spreads sit on, %"
    )
    tenants: list[TenantConfig] = Field(
        default_factory=_default_tenants,
        min_length=1,
        description="offtake contracts backing the debt; shares sum to 100 (default: one "
        "tenant 'investment-grade', share 100 %, credit spread 1.5 %)",
    )
    debt_share_pct: float = Field(60.0, ge=0, le=100, description="debt share of the capital, %")
    cost_of_equity_pct: float = Field(11.0, ge=0, le=100, description="cost of equity, %")
    tax_rate_pct: float = Field(21.0, ge=0, le=100, description="tax rate (debt tax shield), %")
    campus_lifetime_years: float = Field(20.0, gt=0, description="campus asset life, years")
    edge_lifetime_years: float = Field(10.0, gt=0, description="edge module asset life, years")
    storage_lifetime_years: float = Field(15.0, gt=0, description="storage asset life, years")
    interconnect_lifetime_years: float = Field(
        40.0, gt=0, description="interconnection upgrade asset life, years"
    )

    @model_validator(mode="after")
    def _tenant_shares(self) -> FinanceConfig:
        total = sum(t.share_pct for t in self.tenants)
        if abs(total - 100.0) > 1e-4:
            raise ValueError(f"tenant shares must sum to 100 (%), got {total:g}")
        distinct([t.name for t in self.tenants], "tenant names")
        return self

    def cost_of_debt_pct(self) -> float:
        """Cost of debt, %: base rate plus the share-weighted tenants' credit spreads."""
        return self.base_rate_pct + sum(
            t.share_pct / 100 * t.credit_spread_pct for t in self.tenants
        )

    def wacc(self) -> float:
        """Cost of capital as a FRACTION (0.07 for 7 %).

        ``wacc_pct / 100`` when given, else the after-tax weighted average
        ``(debt * cost_of_debt * (1 - tax) + (1 - debt) * cost_of_equity) / 100`` with
        ``debt = debt_share_pct / 100``.
        """
        if self.wacc_pct is not None:
            return self.wacc_pct / 100.0
        after_tax_debt_pct = self.cost_of_debt_pct() * (1.0 - self.tax_rate_pct / 100.0)
        debt = self.debt_share_pct / 100
        equity = 1.0 - debt
        return (debt * after_tax_debt_pct + equity * self.cost_of_equity_pct) / 100


class StorageConfig(Section):
    """Batteries at sites that allow them."""

    charge_efficiency_pct: float = Field(95.0, gt=0, le=100, description="charge efficiency, %")
    discharge_efficiency_pct: float = Field(
        95.0, gt=0, le=100, description="discharge efficiency, %"
    )
    max_energy_mwh_per_site: float | None = Field(
        None, ge=0, description="cap on storage energy per site, MWh; null for no cap"
    )


class LatencyConfig(Section):
    """Latency from coordinates, used only when the scenario has no latency table."""

    fibre_ms_per_km: float = Field(
        geo.FIBRE_MS_PER_KM, gt=0, description="one-way propagation delay in fibre, ms per km"
    )
    route_factor: float = Field(
        geo.ROUTE_FACTOR, ge=1, description="fibre route km over great-circle km"
    )
    overhead_ms: float = Field(geo.OVERHEAD_MS, ge=0, description="fixed round-trip overhead, ms")


class SolverConfig(Section):
    """HiGHS options."""

    time_limit_s: float = Field(300.0, gt=0, description="wall-clock limit of the solve, s")
    mip_gap_pct: float = Field(
        1.0, ge=0, le=100, description="relative MIP gap at which the solve stops, %"
    )
    threads: int = Field(1, ge=1, description="solver threads")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="solver random seed")


INTERFACE_SHARE_PCT = 25.0
"""Default share of an interface's transfer limit that new load may use, %.

The NARIS 2024 limits between ReEDS zones are transfer capabilities of the whole path, and the
path already carries the flows that serve today's load: at the seasonal peak, the hours a
deliverability study looks at, the major paths run near their ratings (WECC's path flow
studies track how often a path exceeds 75 % of its operating transfer capability, the level at
which it counts as heavily used). A quarter of the limit is what is left when existing flows
take three quarters, the heavily-used level, and it is applied in every hour: off-peak, when
most stranded power appears, more is usually free, so the default errs towards less transfer
than a path could give. A scenario choice: vary it with ``--set grid.interface_share_pct=50``."""


class GridConfig(Section):
    """How stranded power reaches the sites: a copper plate per region, or zones and
    interfaces (``zones.csv``, ``region_zones.csv``, ``interfaces.csv``)."""

    deliverability: Literal["ba", "zonal"] = Field(
        "ba",
        description="ba: a region's stranded power feeds any of its sites (copper plate per "
        "region); zonal: each region's stranded power is apportioned to its zones "
        "(region_zones.csv), a site draws in its zone (sites' reeds_zone), and power moves "
        "between zones over interfaces (interfaces.csv) within their allowed share",
    )
    interface_share_pct: float = Field(
        INTERFACE_SHARE_PCT,
        ge=0,
        le=100,
        description="share of each interface's transfer limit (both ways) that new load may "
        "use, % (zonal only; existing flows use most of a path at peak)",
    )


class TablesConfig(Section):
    """File names of the tables, relative to the scenario folder."""

    sites: str = Field("sites.csv", min_length=1, description="candidate sites table")
    metros: str = Field("metros.csv", min_length=1, description="metros (inference demand)")
    regions: str = Field("regions.csv", min_length=1, description="regions (grid areas)")
    timesteps: str = Field("timesteps.csv", min_length=1, description="representative steps")
    stranded: str = Field(
        "stranded.csv", min_length=1, description="stranded power per region and step"
    )
    prices: str | None = Field(
        None, description="energy prices per region and step; null: the regions' flat prices"
    )
    latency: str | None = Field(
        None, description="site-metro latency table; null: computed from coordinates"
    )
    inference_profiles: str | None = Field(
        None,
        description="inference profile per profile zone and step; null: every metro follows "
        "timesteps.csv",
    )
    year_weights: str | None = Field(
        None,
        description="hours of each weather year each step stands for (steps drawn from "
        "several years); null: the steps stand for one year",
    )
    zones: str | None = Field(
        "zones.csv", description="grid zones (grid.deliverability: zonal); read only then"
    )
    region_zones: str | None = Field(
        "region_zones.csv",
        description="each region's stranded power apportioned to its zones (zonal only)",
    )
    interfaces: str | None = Field(
        "interfaces.csv", description="transfer limits between zones (zonal only)"
    )


class ScenarioConfig(Section):
    """Everything in ``scenario.yaml``."""

    name: str = Field(
        min_length=1,
        description="scenario name, shown in results and the default run folder runs/NAME: "
        f"letters, digits and . _ , = + -, starting with a letter or digit, at most "
        f"{MAX_NAME_LENGTH} characters",
    )
    description: str = Field("", description="what the scenario is about")
    training: TrainingConfig = Field(description="training campuses")
    inference: InferenceConfig = Field(default_factory=InferenceConfig, description="edge")
    costs: CostsConfig = Field(default_factory=CostsConfig, description="costs")
    finance: FinanceConfig = Field(default_factory=FinanceConfig, description="cost of capital")
    storage: StorageConfig = Field(default_factory=StorageConfig, description="storage")
    latency: LatencyConfig = Field(default_factory=LatencyConfig, description="latency model")
    solver: SolverConfig = Field(default_factory=SolverConfig, description="solver options")
    grid: GridConfig = Field(default_factory=GridConfig, description="grid deliverability")
    tables: TablesConfig = Field(default_factory=TablesConfig, description="table file names")
    build: UsBuildConfig | None = Field(
        None, description="settings of the US scenario builder; null in hand-written scenarios"
    )

    @field_validator("name")
    @classmethod
    def _file_name(cls, name: str) -> str:
        problem = name_problem(name, "scenario name")
        if problem:
            raise ValueError(problem)
        return name
