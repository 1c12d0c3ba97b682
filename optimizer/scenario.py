"""The scenario format: a folder with ``scenario.yaml`` and CSV tables, validated and typed.

A scenario folder holds

* ``scenario.yaml``: the settings (:class:`ScenarioConfig`: training target, costs, financing,
  storage, latency, solver, table file names), validated by pydantic; unknown keys are errors;
* ``sites.csv``, ``metros.csv``, ``regions.csv``, ``timesteps.csv``, ``headroom.csv``, and
  optionally ``prices.csv`` and ``latency.csv`` (columns in :data:`TABLES`; ``dcsite scenario
  schema`` prints every field and column with its type, default, bounds and meaning).

:func:`load_scenario` reads and checks everything and returns a :class:`Scenario` with tidy
frames (defaults filled, one dtype per column), or raises one :class:`ScenarioError` listing
every problem, each as ``file: row N, column C: what is wrong`` (row numbers as in the CSV
file, header = row 1). :func:`check_scenario` returns that list instead of raising.
:func:`scenario_from_frames` applies the same checks to frames built in Python.

Settings can be changed without editing the folder: override files (YAML, deep-merged over
``scenario.yaml`` in order) and then ``--set PATH=VALUE`` overrides (:func:`apply_overrides`).

When the scenario has no latency table, the round-trip latency of every site-metro pair is
computed from coordinates (:mod:`optimizer.geo`). ``Scenario.latency`` keeps only the pairs
within the metro's ``latency_max_ms``, whatever the sites' ``edge_allowed``; every metro needs
at least one such pair with a site that allows edge modules.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import types
import typing
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticUndefined

from optimizer import geo
from optimizer.errors import InputError

SCENARIO_FILE = "scenario.yaml"
HOURS_PER_YEAR = (8760.0, 8784.0)
MAX_PROBLEMS_IN_MESSAGE = 100
"""At most this many problems are spelled out in a :class:`ScenarioError` message."""
FREE_TEXT_COLUMNS = ("note", "source")
"""Columns any table may carry for people (not read by the model)."""


# --------------------------------------------------------------------------------------------
# scenario.yaml
# --------------------------------------------------------------------------------------------


class _Section(BaseModel):
    """Base of every settings section: unknown keys and non-finite numbers are errors."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_assignment=True)


class TrainingConfig(_Section):
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
    curtailment_cost_usd_per_mwh: float = Field(
        150.0, ge=0, description="value lost per curtailed training MWh (IT), USD/MWh"
    )

    @field_validator("campus_blocks_mw")
    @classmethod
    def _distinct_blocks(cls, blocks: list[float]) -> list[float]:
        if len(set(blocks)) != len(blocks):
            raise ValueError(f"campus sizes must be distinct, got {blocks}")
        return blocks


class InferenceConfig(_Section):
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


class CostsConfig(_Section):
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
    energy_price_usd_per_mwh: float = Field(
        60.0, ge=0, description="energy price (USD/MWh) of regions without their own"
    )
    delay_cost_usd_per_mw_year: float = Field(
        500_000.0,
        ge=0,
        description="cost of each year a site's capacity waits for power, USD per IT MW-year",
    )


class TenantConfig(_Section):
    """One offtake contract backing the project debt."""

    name: str = Field(min_length=1, description="tenant or contract name")
    share: float = Field(ge=0, le=1, description="share of the capacity contracted (fraction)")
    credit_spread_pct: float = Field(
        ge=0,
        le=100,
        description="debt spread over the base rate for this tenant's credit, % "
        "(e.g. investment grade 1.5, non-investment grade 4.0)",
    )


def _default_tenants() -> list[TenantConfig]:
    return [TenantConfig(name="investment-grade", share=1.0, credit_spread_pct=1.5)]


class FinanceConfig(_Section):
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
        description="offtake contracts backing the debt; shares sum to 1 (default: one "
        "tenant 'investment-grade', share 1, credit spread 1.5 %)",
    )
    debt_share: float = Field(0.6, ge=0, le=1, description="debt share of the capital (fraction)")
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
        total = sum(t.share for t in self.tenants)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"tenant shares must sum to 1, got {total:g}")
        names = [t.name for t in self.tenants]
        if len(set(names)) != len(names):
            raise ValueError(f"tenant names must be distinct, got {names}")
        return self

    def cost_of_debt_pct(self) -> float:
        """Cost of debt, %: base rate plus the share-weighted tenants' credit spreads."""
        return self.base_rate_pct + sum(t.share * t.credit_spread_pct for t in self.tenants)

    def wacc(self) -> float:
        """Cost of capital as a FRACTION (0.07 for 7 %).

        ``wacc_pct / 100`` when given, else the after-tax weighted average
        ``(debt_share * cost_of_debt * (1 - tax) + (1 - debt_share) * cost_of_equity) / 100``.
        """
        if self.wacc_pct is not None:
            return self.wacc_pct / 100.0
        after_tax_debt_pct = self.cost_of_debt_pct() * (1.0 - self.tax_rate_pct / 100.0)
        equity_share = 1.0 - self.debt_share
        return (self.debt_share * after_tax_debt_pct + equity_share * self.cost_of_equity_pct) / 100


class StorageConfig(_Section):
    """Batteries at sites that allow them."""

    charge_efficiency: float = Field(0.95, gt=0, le=1, description="charge efficiency (fraction)")
    discharge_efficiency: float = Field(
        0.95, gt=0, le=1, description="discharge efficiency (fraction)"
    )
    max_energy_mwh_per_site: float | None = Field(
        None, ge=0, description="cap on storage energy per site, MWh; null for no cap"
    )


class LatencyConfig(_Section):
    """Latency from coordinates, used only when the scenario has no latency table."""

    fibre_ms_per_km: float = Field(
        geo.FIBRE_MS_PER_KM, gt=0, description="one-way propagation delay in fibre, ms per km"
    )
    route_factor: float = Field(
        geo.ROUTE_FACTOR, ge=1, description="fibre route km over great-circle km"
    )
    overhead_ms: float = Field(geo.OVERHEAD_MS, ge=0, description="fixed round-trip overhead, ms")


class SolverConfig(_Section):
    """HiGHS options."""

    time_limit_s: float = Field(300.0, gt=0, description="wall-clock limit of the solve, s")
    mip_rel_gap: float = Field(
        0.01, ge=0, le=1, description="relative MIP gap at which the solve stops (fraction)"
    )
    threads: int = Field(1, ge=1, description="solver threads")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="solver random seed")


class TablesConfig(_Section):
    """File names of the tables, relative to the scenario folder."""

    sites: str = Field("sites.csv", min_length=1, description="candidate sites table")
    metros: str = Field("metros.csv", min_length=1, description="metros (inference demand)")
    regions: str = Field("regions.csv", min_length=1, description="regions (grid areas)")
    timesteps: str = Field("timesteps.csv", min_length=1, description="representative steps")
    headroom: str = Field("headroom.csv", min_length=1, description="headroom per region, step")
    prices: str | None = Field(
        None, description="energy prices per region and step; null: the regions' flat prices"
    )
    latency: str | None = Field(
        None, description="site-metro latency table; null: computed from coordinates"
    )


class ScenarioConfig(_Section):
    """Everything in ``scenario.yaml``."""

    name: str = Field(min_length=1, description="scenario name, shown in results")
    description: str = Field("", description="what the scenario is about")
    training: TrainingConfig = Field(description="training campuses")
    inference: InferenceConfig = Field(default_factory=InferenceConfig, description="edge")
    costs: CostsConfig = Field(default_factory=CostsConfig, description="costs")
    finance: FinanceConfig = Field(default_factory=FinanceConfig, description="cost of capital")
    storage: StorageConfig = Field(default_factory=StorageConfig, description="storage")
    latency: LatencyConfig = Field(default_factory=LatencyConfig, description="latency model")
    solver: SolverConfig = Field(default_factory=SolverConfig, description="solver options")
    tables: TablesConfig = Field(default_factory=TablesConfig, description="table file names")


# --------------------------------------------------------------------------------------------
# CSV tables
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a scenario table.

    Attributes:
        name: column name (with its unit).
        kind: ``str``, ``float`` or ``bool`` (true/false, yes/no, 1/0).
        description: meaning, shown by ``dcsite scenario schema``.
        required: a value must be given on every row; else ``default`` or ``default_from``
            fills empty cells and a missing column.
        default: constant default of an optional column.
        default_from: dotted ``scenario.yaml`` path whose value is the default.
        ge, gt, le: bounds of numeric columns.
    """

    name: str
    kind: str
    description: str
    required: bool = True
    default: float | bool | None = None
    default_from: str | None = None
    ge: float | None = None
    gt: float | None = None
    le: float | None = None


@dataclass(frozen=True)
class TableSpec:
    """A scenario table: its ``tables`` key, columns in output order, and unique key columns."""

    key: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...]
    optional: bool = False

    @property
    def names(self) -> list[str]:
        """Column names in output order."""
        return [c.name for c in self.columns]


def _lat(name: str = "lat") -> Column:
    return Column(name, "float", "latitude, degrees (WGS84)", ge=-90, le=90)


def _lon(name: str = "lon") -> Column:
    return Column(name, "float", "longitude, degrees (WGS84)", ge=-180, le=180)


TABLES: dict[str, TableSpec] = {
    "sites": TableSpec(
        "sites",
        (
            Column("site", "str", "candidate site id (unique)"),
            Column("region", "str", "region the site draws power from (in regions)"),
            _lat(),
            _lon(),
            Column("interconnect_mw", "float", "existing firm grid connection, MW", ge=0),
            Column(
                "interconnect_upgrade_max_mw",
                "float",
                "largest interconnection upgrade possible, MW",
                required=False,
                default=0.0,
                ge=0,
            ),
            Column("site_max_mw", "float", "land/power cap on campus + edge IT MW", gt=0),
            Column(
                "pue",
                "float",
                "power usage effectiveness (facility / IT power)",
                required=False,
                default=1.2,
                ge=1,
            ),
            Column(
                "time_to_power_years",
                "float",
                "years until the site can get power",
                required=False,
                default=0.0,
                ge=0,
            ),
            Column(
                "campus_allowed",
                "bool",
                "a training campus may be built here",
                required=False,
                default=True,
            ),
            Column(
                "edge_allowed",
                "bool",
                "edge modules may be built here",
                required=False,
                default=True,
            ),
            Column(
                "storage_allowed", "bool", "storage may be built here", required=False, default=True
            ),
        ),
        ("site",),
    ),
    "metros": TableSpec(
        "metros",
        (
            Column("metro", "str", "metro id (unique)"),
            _lat(),
            _lon(),
            Column("inference_demand_mw", "float", "peak inference demand, IT MW", ge=0),
            Column(
                "latency_max_ms",
                "float",
                "round-trip latency limit of the metro's users, ms",
                required=False,
                default_from="inference.latency_max_ms",
                gt=0,
            ),
        ),
        ("metro",),
    ),
    "regions": TableSpec(
        "regions",
        (
            Column("region", "str", "region id (unique), e.g. a balancing authority"),
            Column(
                "headroom_share",
                "float",
                "our share of the region's stranded headroom",
                required=False,
                default=1.0,
                ge=0,
                le=1,
            ),
            Column(
                "firm_capacity_usd_per_mw_year",
                "float",
                "firm capacity price, USD per MW-year",
                required=False,
                default_from="costs.firm_capacity_usd_per_mw_year",
                ge=0,
            ),
            Column(
                "energy_price_usd_per_mwh",
                "float",
                "flat energy price, USD/MWh (prices.csv overrides it per step)",
                required=False,
                default_from="costs.energy_price_usd_per_mwh",
                ge=0,
            ),
        ),
        ("region",),
    ),
    "timesteps": TableSpec(
        "timesteps",
        (
            Column("timestep", "str", "step id (unique); steps of a period in time order"),
            Column("period", "str", "representative period; storage is cyclic within it"),
            Column(
                "duration_h", "float", "length of the step, h", required=False, default=1.0, gt=0
            ),
            Column("weight_h", "float", "hours of the year the step stands for, h", gt=0),
            Column(
                "inference_profile",
                "float",
                "inference demand, fraction of the peak",
                required=False,
                default=1.0,
                ge=0,
                le=1,
            ),
        ),
        ("timestep",),
    ),
    "headroom": TableSpec(
        "headroom",
        (
            Column("region", "str", "region (in regions)"),
            Column("timestep", "str", "step (in timesteps)"),
            Column("headroom_mw", "float", "stranded grid headroom of the region, MW", ge=0),
        ),
        ("region", "timestep"),
    ),
    "prices": TableSpec(
        "prices",
        (
            Column("region", "str", "region (in regions)"),
            Column("timestep", "str", "step (in timesteps)"),
            Column("price_usd_per_mwh", "float", "energy price, USD/MWh", ge=0),
        ),
        ("region", "timestep"),
        optional=True,
    ),
    "latency": TableSpec(
        "latency",
        (
            Column("site", "str", "site (in sites)"),
            Column("metro", "str", "metro (in metros)"),
            Column("latency_ms", "float", "round-trip latency, ms", ge=0),
        ),
        ("site", "metro"),
        optional=True,
    ),
}
"""Every scenario table, by its key in ``tables`` (``scenario.yaml``)."""

_NA_TOKENS = {"", "nan", "na", "n/a", "null", "none"}
_TRUE = {"true", "yes", "y", "t", "1"}
_FALSE = {"false", "no", "n", "f", "0"}


# --------------------------------------------------------------------------------------------
# The validated scenario
# --------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    """A validated scenario: settings and tidy tables (defaults filled, one dtype per column).

    Attributes:
        config: the settings, overrides applied.
        sites, metros, regions: one row per site, metro, region, columns as in :data:`TABLES`.
        timesteps: one row per step, in file order.
        headroom: ``region, timestep, headroom_mw`` for every pair (regions x timesteps order).
        prices: ``region, timestep, price_usd_per_mwh`` for every pair: from ``prices.csv``
            where given, else the region's flat ``energy_price_usd_per_mwh``.
        latency: ``site, metro, latency_ms``, only the pairs within the metro's
            ``latency_max_ms`` (given, or computed from coordinates).
        source: the scenario folder, or ``"<memory>"``.
        warnings: remarks that do not stop a run (e.g. step weights not summing to a year).
    """

    config: ScenarioConfig
    sites: pd.DataFrame
    metros: pd.DataFrame
    regions: pd.DataFrame
    timesteps: pd.DataFrame
    headroom: pd.DataFrame
    prices: pd.DataFrame
    latency: pd.DataFrame
    source: str = "<memory>"
    warnings: list[str] = field(default_factory=list)

    def hash(self) -> str:
        """SHA-256 (hex) of the settings and every table, stable across runs and machines.

        The folder path and the table file names are not part of it: the same content in
        another place has the same hash.
        """
        config = self.config.model_dump(mode="json", exclude={"tables"})
        tables = {
            name: getattr(self, name).to_csv(index=False, lineterminator="\n")
            for name in ("sites", "metros", "regions", "timesteps", "headroom", "prices", "latency")
        }
        text = json.dumps({"config": config, "tables": tables}, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def summary(self) -> str:
        """One line: name and the size of each set."""
        return (
            f"{self.config.name}: {len(self.sites)} sites, {len(self.metros)} metros, "
            f"{len(self.regions)} regions, {len(self.timesteps)} timesteps, "
            f"{len(self.latency)} admissible site-metro pairs"
        )


class ScenarioError(InputError):
    """A scenario with problems; ``problems`` lists each as ``file: row N, column C: ...``."""

    def __init__(self, source: str, problems: Sequence[str]):
        self.source = source
        self.problems = list(problems)
        n = len(self.problems)
        if n == 1:
            message = f"scenario {source}: {self.problems[0]}"
        else:
            shown = self.problems[:MAX_PROBLEMS_IN_MESSAGE]
            lines = [f"scenario {source} has {n} problems:", *(f"  {p}" for p in shown)]
            if n > len(shown):
                lines.append(f"  ... and {n - len(shown)} more (dcsite scenario check lists all)")
            message = "\n".join(lines)
        super().__init__(message)


# --------------------------------------------------------------------------------------------
# Settings: schema walking, overrides, pydantic errors
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ListOf:
    item: type[BaseModel]


def _strip_annotated(annotation: Any) -> Any:
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _node(annotation: Any) -> type[BaseModel] | _ListOf | None:
    """Schema node of a field: a section (model), a list of models, or None for a value."""
    annotation = _strip_annotated(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        item = _strip_annotated(item)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return _ListOf(item)
    return None


def _keys_text(model: type[BaseModel]) -> str:
    return ", ".join(model.model_fields)


def _check_path(parts: Sequence[str], what: str) -> None:
    """Raise InputError unless ``parts`` is a settable path of :class:`ScenarioConfig`."""
    node: type[BaseModel] | _ListOf | None = ScenarioConfig
    for i, part in enumerate(parts):
        here = ".".join(parts[:i])
        path = ".".join(parts[: i + 1])
        if isinstance(node, _ListOf):
            if not part.isdigit():
                raise InputError(f"{what}: {here} is a list; use an index such as {here}.0")
            node = node.item
        elif node is None:
            raise InputError(f"{what}: {here} is a value and has no key {part!r}")
        else:
            info = node.model_fields.get(part)
            if info is None:
                level = f"under {here}" if here else "at the top level"
                raise InputError(
                    f"{what}: unknown key {path}; valid keys {level}: {_keys_text(node)}"
                )
            node = _node(info.annotation)


def _leaf_paths(mapping: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Dotted paths of a nested mapping, down to values (lists are values)."""
    paths = []
    for key, value in mapping.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and value:
            paths.extend(_leaf_paths(value, path))
        else:
            paths.append(path)
    return paths


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(dict(merged[key]), value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _parse_override(text: str) -> tuple[list[str], Any]:
    path, sep, value_text = text.partition("=")
    parts = [p.strip() for p in path.strip().split(".")]
    if not sep or not all(parts):
        raise InputError(f"--set {text!r}: expected PATH=VALUE, e.g. training.target_mw=500")
    try:
        value = yaml.safe_load(value_text) if value_text.strip() else None
    except yaml.YAMLError as exc:
        raise InputError(f"--set {text!r}: the value is not valid YAML ({exc})") from None
    return parts, value


def apply_overrides(config_dict: Mapping[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """A copy of ``config_dict`` with each ``PATH=VALUE`` override set.

    ``PATH`` is dotted (``training.target_mw``; list items by index, ``finance.tenants.0.share``);
    ``VALUE`` is parsed with ``yaml.safe_load`` (``500``, ``true``, ``[100, 200]``, ``null``).
    An unknown path is an :class:`InputError` naming it and the valid keys at that level.
    """
    result = copy.deepcopy(dict(config_dict))
    for text in overrides:
        parts, value = _parse_override(text)
        _check_path(parts, f"--set {text}")
        node: Any = result
        for i, part in enumerate(parts[:-1]):
            here = ".".join(parts[: i + 1])
            if isinstance(node, list):
                index = int(part)
                if index >= len(node):
                    raise InputError(
                        f"--set {text}: {'.'.join(parts[:i])} has no item {index} "
                        f"(it has {len(node)}); set the whole list instead"
                    )
                node = node[index]
                continue
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, (dict, list)):
                raise InputError(f"--set {text}: {here} in the scenario is not a mapping")
            node = child
        last = parts[-1]
        if isinstance(node, list):
            index = int(last)
            if index >= len(node):
                raise InputError(
                    f"--set {text}: {'.'.join(parts[:-1])} has no item {index} "
                    f"(it has {len(node)}); set the whole list instead"
                )
            node[index] = value
        else:
            node[last] = value
    return result


def _error_source(loc: str, sources: Mapping[str, str]) -> str:
    """Where a setting came from: the override that set it (or a parent of it), else the file
    (naming the overrides that set something inside it)."""
    parts = loc.split(".")
    for n in range(len(parts), 0, -1):
        label = sources.get(".".join(parts[:n]))
        if label:
            return label
    inside = sorted({label for path, label in sources.items() if path.startswith(f"{loc}.")})
    if loc and inside:
        return f"{SCENARIO_FILE} (with {'; '.join(inside)})"
    return SCENARIO_FILE


def _model_at(loc: Sequence[Any]) -> type[BaseModel] | None:
    node: type[BaseModel] | _ListOf | None = ScenarioConfig
    for part in loc:
        if isinstance(node, _ListOf):
            node = node.item
        elif node is None:
            return None
        else:
            info = node.model_fields.get(str(part))
            node = _node(info.annotation) if info else None
    return node if isinstance(node, type) else None


def _validation_problems(exc: ValidationError, sources: Mapping[str, str]) -> list[str]:
    """One ``scenario.yaml: field a.b: message`` line per pydantic error."""
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            parent = _model_at(err["loc"][:-1])
            keys = f"; valid keys here: {_keys_text(parent)}" if parent else ""
            message = f"unknown key{keys}"
        elif kind == "missing":
            message = "required field is missing"
        else:
            message = err["msg"].removeprefix("Value error, ")
            value = err.get("input")
            if isinstance(value, (str, int, float, bool)) or value is None:
                message += f" (got {value!r})"
        where = f"field {loc}" if loc else "top level"
        problems.append(f"{_error_source(loc, sources)}: {where}: {message}")
    return problems


def _read_yaml(path: Path, label: str, problems: list[str]) -> dict[str, Any] | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{label}: file not found ({path})")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        problems.append(f"{label}: not valid YAML: {where}{problem}")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{label}: cannot read ({exc})")
        return None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(f"{label}: expected a mapping of settings, got {type(data).__name__}")
        return None
    return data


def _assemble_settings(
    folder: Path,
    overrides: Sequence[str],
    override_files: Sequence[str | Path],
    problems: list[str],
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """scenario.yaml, then override files (deep merge), then ``--set``; and who set what."""
    raw = _read_yaml(folder / SCENARIO_FILE, SCENARIO_FILE, problems)
    sources: dict[str, str] = {}
    if raw is None:  # reported; the tables are still checked with default settings
        return None, sources
    for file in override_files:
        path = Path(file)
        data = _read_yaml(path, str(path), problems)
        if data is None:
            continue
        bad = False
        for parts in _leaf_paths(data):
            try:
                _check_path(parts, str(path))
            except InputError as exc:
                problems.append(str(exc))
                bad = True
            else:
                sources[".".join(parts)] = str(path)
        if not bad:
            raw = _deep_merge(raw, data)
    for text in overrides:
        try:
            raw = apply_overrides(raw, [text])
        except InputError as exc:
            problems.append(str(exc))
        else:
            sources[text.partition("=")[0].strip()] = f"--set {text}"
    return raw, sources


def _validate_settings(
    raw: Mapping[str, Any] | ScenarioConfig | None, sources: Mapping[str, str], problems: list[str]
) -> tuple[ScenarioConfig | None, ScenarioConfig]:
    """The validated settings (or None), and a best-effort version to check the tables with."""
    if isinstance(raw, ScenarioConfig):
        return raw, raw
    if raw is None:  # scenario.yaml unreadable (already reported)
        raw = {}
    else:
        try:
            config = ScenarioConfig.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_validation_problems(exc, sources))
        else:
            return config, config
    sections = {}
    for name, info in ScenarioConfig.model_fields.items():
        model = _node(info.annotation)
        if not isinstance(model, type) or name == "training":
            continue
        try:
            sections[name] = model.model_validate(raw.get(name) or {})
        except ValidationError:
            sections[name] = model()
    fallback = ScenarioConfig.model_construct(
        name=str(raw.get("name") or "?"), description="", training=None, **sections
    )
    return None, fallback


def _config_value(config: ScenarioConfig, dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


# --------------------------------------------------------------------------------------------
# Tables: reading and cleaning
# --------------------------------------------------------------------------------------------


def _label(config: ScenarioConfig, key: str) -> str:
    return getattr(config.tables, key) or f"{key}.csv"


def _read_csv(path: Path, label: str, problems: list[str]) -> pd.DataFrame | None:
    """All cells as text, plus ``_line``: the line each record starts on (header = line 1)."""
    if not path.is_file():
        problems.append(f"{label}: file not found ({path})")
        return None
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(f"{label}: cannot read as CSV: {exc}")
        return None
    if header is None or not "".join(header).strip():
        problems.append(f"{label}: the file is empty (expected a header line)")
        return None
    header = [name.strip() for name in header]
    frame = _read_csv_fast(path, header)
    return frame if frame is not None else _read_csv_exact(path, label, header, problems)


def _read_csv_fast(path: Path, header: list[str]) -> pd.DataFrame | None:
    """pandas' C parser, where a record is a line; None when the file needs the exact reader
    (records with extra or missing fields, cells over several lines, unnamed or repeated
    columns, anything pandas does not parse)."""
    if not all(header) or len(set(header)) != len(header):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                index_col=False,
                encoding="utf-8-sig",
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError, UnicodeDecodeError):
        return None
    if [str(c).strip() for c in frame.columns] != header:
        return None
    text = frame.to_numpy(dtype=str)
    if text.size and ((np.char.find(text, "\n") >= 0) | (np.char.find(text, "\r") >= 0)).any():
        return None
    frame.columns = header
    frame.insert(0, "_line", np.arange(len(frame)) + 2)
    return frame


def _read_csv_exact(
    path: Path, label: str, header: list[str], problems: list[str]
) -> pd.DataFrame | None:
    """Python's csv reader, record by record: blank lines skipped, a short record padded with
    empty cells, a record with more fields than the header reported (and left out)."""
    width = len(header)
    rows, lines = [], []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            next(reader)
            start = reader.line_num + 1
            for record in reader:
                line, start = start, reader.line_num + 1
                if not "".join(record).strip():
                    continue
                if len(record) > width and "".join(record[width:]).strip():
                    problems.append(
                        f"{label}: row {line}: {len(record)} fields, but the header has {width}"
                    )
                    continue
                rows.append(record[:width] + [""] * (width - len(record)))
                lines.append(line)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(f"{label}: cannot read as CSV: {exc}")
        return None
    frame = pd.DataFrame(rows, columns=range(width), dtype=object)
    frame.columns = header
    unnamed = [i for i, name in enumerate(header) if not name]
    for i in unnamed:
        if any(row[i].strip() for row in rows):
            problems.append(f"{label}: column {i + 1}: has values but no name in the header")
    frame = frame.iloc[:, [i for i in range(width) if i not in unnamed]]
    frame.insert(0, "_line", lines)
    return frame


def _clean_cells(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cells stripped of surrounding blanks, and which are empty (None, NaN or blank text)."""
    if pd.api.types.infer_dtype(cells, skipna=False) == "string":  # from a file: vectorised
        text = np.char.strip(cells.astype(str))
        return text.astype(object), text == ""
    stripped = np.array([v.strip() if isinstance(v, str) else v for v in cells], dtype=object)
    blank = np.array([isinstance(v, str) and not v for v in stripped], dtype=bool)
    empty = pd.isna(stripped) | blank
    return stripped, np.asarray(empty, dtype=bool)


def _na_tokens(stripped: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Which candidate cells spell a missing value (NaN, NA, N/A, null, none; any case)."""
    found = np.zeros(len(stripped), dtype=bool)
    for i in np.flatnonzero(candidates).tolist():
        value = stripped[i]
        found[i] = isinstance(value, str) and value.lower() in _NA_TOKENS
    return found


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def _parse_column(cells: np.ndarray, column: Column, default: Any) -> tuple[np.ndarray, dict]:
    """Typed values (object array, None where invalid or missing) and {row index: problem}."""
    stripped, missing = _clean_cells(cells)
    problems: dict[int, str] = {}
    if column.kind == "str":
        values = np.array([v if type(v) is str else str(v) for v in stripped], dtype=object)
    elif column.kind == "bool":
        values = np.array([_to_bool(v) for v in stripped], dtype=object)
        failed = ~missing & np.equal(values, None)
        missing |= _na_tokens(stripped, failed)
        for i in np.flatnonzero(failed & ~missing).tolist():
            problems[i] = f"not true/false: {cells[i]!r}"
    else:
        given = np.where(missing, None, stripped)
        numbers = pd.to_numeric(pd.Series(given, dtype=object), errors="coerce").to_numpy(float)
        failed = ~missing & np.isnan(numbers)
        missing |= _na_tokens(stripped, failed)
        for i in np.flatnonzero(failed & ~missing).tolist():
            problems[i] = f"not a number: {cells[i]!r}"
        for i in np.flatnonzero(np.isinf(numbers)).tolist():
            problems[i] = f"not a finite number: {cells[i]!r}"
        with np.errstate(invalid="ignore"):
            checks = (
                (column.ge, ">=", numbers < (column.ge or 0.0)),
                (column.gt, ">", numbers <= (column.gt or 0.0)),
                (column.le, "<=", numbers > (column.le or 0.0)),
            )
        for bound, sign, outside in checks:
            if bound is None:
                continue
            for i in np.flatnonzero(outside & np.isfinite(numbers)).tolist():
                problems.setdefault(i, f"must be {sign} {bound:g}, got {numbers[i]:g}")
        values = numbers.astype(object)
    if column.required:
        problems.update(dict.fromkeys(np.flatnonzero(missing).tolist(), "missing value (required)"))
    values[missing] = None if column.required else default
    for i in problems:
        values[i] = None
    return values, problems


def _clean_table(
    raw: pd.DataFrame,
    spec: TableSpec,
    label: str,
    config: ScenarioConfig,
    problems: list[str],
) -> pd.DataFrame:
    """Typed copy of ``raw`` with the spec's columns plus ``_line`` (row number in the file).

    Invalid cells become None and are reported; empty cells of optional columns get defaults.
    Frames not read from a file number their rows as a file would (first data row = 2).
    """
    raw = raw.copy()
    raw.columns = [str(c).strip() for c in raw.columns]
    if "_line" not in raw.columns:
        raw.insert(0, "_line", np.arange(len(raw)) + 2)
    raw = raw.reset_index(drop=True)
    data_columns = [c for c in raw.columns if c != "_line"]
    if data_columns and len(raw):
        cells = raw.drop(columns="_line").to_numpy(dtype=object)
        blank = _clean_cells(cells.ravel())[1].reshape(cells.shape).all(axis=1)
        raw = raw[~blank].reset_index(drop=True)

    known = set(spec.names) | set(FREE_TEXT_COLUMNS)
    for name in data_columns:
        if name not in known:
            problems.append(
                f"{label}: column {name}: unknown column; columns of this table: "
                f"{', '.join(spec.names)} (and free-text {', '.join(FREE_TEXT_COLUMNS)})"
            )
    seen: set[str] = set()
    for name in data_columns:
        if name in seen:
            problems.append(f"{label}: column {name}: appears twice in the header")
        seen.add(name)

    lines = raw["_line"].to_numpy(dtype="int64")
    out = pd.DataFrame({"_line": lines})
    found: list[tuple[int, int, str]] = []  # (row, column order, message) to sort by row
    for order, column in enumerate(spec.columns):
        default = (
            _config_value(config, column.default_from) if column.default_from else column.default
        )
        if column.name not in raw.columns:
            if column.required:
                problems.append(f"{label}: column {column.name}: required column is missing")
            out[column.name] = pd.Series(
                [None if column.required else default] * len(out), dtype=object
            )
            continue
        source = raw[column.name]
        if isinstance(source, pd.DataFrame):  # duplicated header: use the first
            source = source.iloc[:, 0]
        values, problem = _parse_column(source.to_numpy(dtype=object), column, default)
        for i, what in problem.items():
            found.append((int(lines[i]), order, f"column {column.name}: {what}"))
        out[column.name] = pd.Series(values, dtype=object)
    problems.extend(f"{label}: row {line}, {what}" for line, _, what in sorted(found))
    _check_unique(out, spec, label, problems)
    return out


def _check_unique(frame: pd.DataFrame, spec: TableSpec, label: str, problems: list[str]) -> None:
    keys = list(spec.unique)
    valid = frame[frame[keys].notna().all(axis=1)]
    dup = valid.duplicated(subset=keys, keep="first")
    if not dup.any():
        return
    first_line: dict[tuple, int] = {}
    for line, *key in zip(valid["_line"], *(valid[k] for k in keys), strict=True):
        first_line.setdefault(tuple(key), int(line))
    repeated = valid[dup]
    for line, *key in zip(repeated["_line"], *(repeated[k] for k in keys), strict=True):
        key = tuple(key)
        if len(keys) == 1:
            what = f"column {keys[0]}: duplicate {keys[0]} {key[0]!r}"
        else:
            what = f"columns {', '.join(keys)}: duplicate pair {key!r}"
        problems.append(f"{label}: row {line}, {what} (first on row {first_line[key]})")


def _known(values: Iterable[Any]) -> set[Any]:
    return {v for v in values if v is not None}


def _check_refs(
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
            more = f"; also on {rows} {_list_text(lines[1:], quote=False)}"
        problems.append(
            f"{label}: row {lines[0]}, column {column}: unknown {column} {value!r} "
            f"(not in {target_label}{hint}){more}"
        )


def _list_text(items: Sequence[Any], limit: int = 5, quote: bool = True) -> str:
    shown = ", ".join(repr(x) if quote else str(x) for x in items[:limit])
    return shown + (f", ... ({len(items)} in all)" if len(items) > limit else "")


# --------------------------------------------------------------------------------------------
# Cross-table checks and derived tables
# --------------------------------------------------------------------------------------------


def _check_timesteps(
    ts: pd.DataFrame, label: str, problems: list[str], warnings: list[str]
) -> None:
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
        elif min(abs(total - h) for h in HOURS_PER_YEAR) > 0.5:
            warnings.append(
                f"{label}: column weight_h: weights sum to {total:g} h, not 8760 or 8784 "
                "(annual costs and budgets scale with this sum)"
            )


def _check_pairs(
    frame: pd.DataFrame,
    label: str,
    regions: list[str],
    timesteps: list[str],
    labels: Mapping[str, str],
    problems: list[str],
    complete: bool,
) -> None:
    _check_refs(frame, "region", set(regions), label, labels["regions"], problems)
    _check_refs(frame, "timestep", set(timesteps), label, labels["timesteps"], problems)
    if not complete:
        return
    valid = frame[frame["region"].notna() & frame["timestep"].notna()]
    have = pd.MultiIndex.from_arrays([valid["region"], valid["timestep"]])
    grid = pd.MultiIndex.from_product([regions, timesteps])
    absent = grid[~grid.isin(have)].to_frame(index=False, name=["region", "timestep"])
    for region in regions:
        missing = absent.loc[absent["region"] == region, "timestep"].tolist()
        if missing:
            problems.append(
                f"{label}: column timestep: region {region!r} has no row for "
                f"{len(missing)} timestep(s): {_list_text(missing)}"
            )


def _computed_latency(
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


def _admissible(
    latency: pd.DataFrame,
    sites: pd.DataFrame,
    metros: pd.DataFrame,
    labels: Mapping[str, str],
    problems: list[str],
) -> pd.DataFrame:
    """Pairs within each metro's limit; a problem for each metro with no edge site among them."""
    limit = dict(zip(metros["metro"], metros["latency_max_ms"], strict=True))
    valid = latency[latency["latency_ms"].notna() & latency["metro"].isin(limit.keys())]
    limits = valid["metro"].map(limit)
    keep = valid[limits.notna() & (valid["latency_ms"] <= limits.astype(float))]
    edge_sites = set(sites.loc[sites["edge_allowed"].map(lambda v: v is True), "site"])
    for line, metro, max_ms in zip(
        metros["_line"], metros["metro"], metros["latency_max_ms"], strict=True
    ):
        if metro is None or max_ms is None:
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


def _check_training(
    config: ScenarioConfig,
    sites: pd.DataFrame,
    labels: Mapping[str, str],
    sources: Mapping[str, str],
    problems: list[str],
) -> None:
    """The training target can be met by at most one campus block per campus site."""
    training = config.training
    if training.target_mw <= 0:
        return
    where = f"{_error_source('training.target_mw', sources)}: field training.target_mw"
    campus = sites[sites["campus_allowed"].map(lambda v: v is True)]
    if campus.empty:
        problems.append(
            f"{where}: {training.target_mw:g} MW of campuses wanted but no site in "
            f"{labels['sites']} has campus_allowed"
        )
        return
    fits = 0.0
    for cap in campus["site_max_mw"]:
        if cap is not None:
            fits += max((b for b in training.campus_blocks_mw if b <= cap), default=0.0)
    if fits < training.target_mw:
        problems.append(
            f"{where}: {training.target_mw:g} MW cannot be built: the largest campus block that "
            f"fits each campus site's site_max_mw adds up to {fits:g} MW"
        )


def _final(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Drop ``_line`` and give each column its dtype."""
    out = pd.DataFrame(index=range(len(frame)))
    for column in spec.columns:
        values = frame[column.name].to_numpy(dtype=object)
        if column.kind == "float":
            out[column.name] = values.astype("float64")
        elif column.kind == "bool":
            out[column.name] = values.astype(bool)
        else:
            out[column.name] = pd.Series(values, dtype=str)
    return out


def _validate(
    raw_config: Mapping[str, Any] | ScenarioConfig | None,
    sources: Mapping[str, str],
    get_frame: Callable[[str, str, ScenarioConfig], pd.DataFrame | None],
    source: str,
    problems: list[str],
) -> tuple[Scenario | None, list[str]]:
    """Check settings and tables together; the scenario (None if any problem) and warnings."""
    warnings: list[str] = []
    config, usable = _validate_settings(raw_config, sources, problems)
    labels = {key: _label(usable, key) for key in TABLES}
    clean: dict[str, pd.DataFrame | None] = {}
    for key, spec in TABLES.items():
        raw = get_frame(key, labels[key], usable)
        clean[key] = None if raw is None else _clean_table(raw, spec, labels[key], usable, problems)

    for key in ("sites", "regions", "timesteps"):
        frame = clean[key]
        if frame is not None and frame.empty:
            problems.append(f"{labels[key]}: no rows (at least one {key[:-1]} is needed)")

    sites, metros, regions, timesteps = (
        clean[k] for k in ("sites", "metros", "regions", "timesteps")
    )
    # keys of the tables others refer to; None (no cross-checks) when a table has no usable key
    region_ids = [r for r in regions["region"] if r is not None] if regions is not None else None
    region_ids = region_ids or None
    step_ids = (
        [t for t in timesteps["timestep"] if t is not None] if timesteps is not None else None
    ) or None
    if sites is not None and not _known(sites["site"]):
        sites = None

    if sites is not None and region_ids is not None:
        _check_refs(sites, "region", set(region_ids), labels["sites"], labels["regions"], problems)
    if timesteps is not None:
        _check_timesteps(timesteps, labels["timesteps"], problems, warnings)
    for key in ("headroom", "prices"):
        frame = clean[key]
        if frame is not None and region_ids is not None and step_ids is not None:
            complete = key == "headroom"
            _check_pairs(frame, labels[key], region_ids, step_ids, labels, problems, complete)

    latency = None
    if sites is not None and metros is not None:
        given = clean["latency"]
        if given is not None:
            _check_refs(
                given, "site", _known(sites["site"]), labels["latency"], labels["sites"], problems
            )
            _check_refs(
                given,
                "metro",
                _known(metros["metro"]),
                labels["latency"],
                labels["metros"],
                problems,
            )
            pairs = given[["site", "metro", "latency_ms"]]
        else:
            pairs = _computed_latency(sites, metros, usable.latency)
        latency = _admissible(pairs, sites, metros, labels, problems)
    if config is not None and sites is not None:
        _check_training(config, sites, labels, sources, problems)

    if problems or config is None:
        return None, warnings
    assert all(clean[k] is not None for k in TABLES if not TABLES[k].optional)
    assert latency is not None and step_ids is not None and region_ids is not None
    scenario = _assemble(config, clean, latency, region_ids, step_ids, source)
    scenario.warnings = warnings
    return scenario, warnings


def _assemble(
    config: ScenarioConfig,
    clean: Mapping[str, pd.DataFrame | None],
    latency: pd.DataFrame,
    region_ids: list[str],
    step_ids: list[str],
    source: str,
) -> Scenario:
    """The Scenario from checked frames: dtypes set, pair tables in regions x timesteps order."""
    tables = {k: _final(f, TABLES[k]) for k, f in clean.items() if f is not None}
    grid = pd.MultiIndex.from_product([region_ids, step_ids], names=["region", "timestep"])
    headroom = tables["headroom"].set_index(["region", "timestep"])["headroom_mw"]
    flat = tables["regions"].set_index("region")["energy_price_usd_per_mwh"]
    prices = pd.Series(flat.reindex(grid.get_level_values("region")).to_numpy(), index=grid)
    if "prices" in tables:
        given = tables["prices"].set_index(["region", "timestep"])["price_usd_per_mwh"]
        prices.loc[given.index] = given.to_numpy()

    def pair_frame(series: pd.Series, name: str) -> pd.DataFrame:
        frame = series.reindex(grid).rename(name).reset_index()
        frame["region"] = frame["region"].astype(str)
        frame["timestep"] = frame["timestep"].astype(str)
        frame[name] = frame[name].astype("float64")
        return frame

    latency_out = pd.DataFrame(
        {
            "site": pd.Series(latency["site"].to_numpy(object), dtype=str),
            "metro": pd.Series(latency["metro"].to_numpy(object), dtype=str),
            "latency_ms": latency["latency_ms"].to_numpy(dtype="float64"),
        }
    )
    return Scenario(
        config=config,
        sites=tables["sites"],
        metros=tables["metros"],
        regions=tables["regions"],
        timesteps=tables["timesteps"],
        headroom=pair_frame(headroom, "headroom_mw"),
        prices=pair_frame(prices, "price_usd_per_mwh"),
        latency=latency_out,
        source=source,
    )


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


def _inspect(
    folder: str | Path,
    overrides: Sequence[str],
    override_files: Sequence[str | Path],
) -> tuple[Scenario | None, list[str]]:
    folder = Path(folder)
    if not folder.is_dir():
        return None, [f"{folder}: scenario folder not found"]
    problems: list[str] = []
    raw, sources = _assemble_settings(folder, overrides, override_files, problems)

    def get_frame(key: str, label: str, config: ScenarioConfig) -> pd.DataFrame | None:
        name = getattr(config.tables, key)
        if name is None:
            return None
        return _read_csv(folder / name, label, problems)

    scenario, _ = _validate(raw, sources, get_frame, str(folder), problems)
    return scenario, problems


def load_scenario(
    folder: str | Path,
    overrides: Sequence[str] = (),
    override_files: Sequence[str | Path] = (),
) -> Scenario:
    """Read and check a scenario folder; override files, then ``--set`` overrides, applied.

    Raises :class:`ScenarioError` (an :class:`InputError`) listing every problem found.
    """
    scenario, problems = _inspect(folder, overrides, override_files)
    if scenario is None:
        raise ScenarioError(str(folder), problems or ["invalid scenario"])
    return scenario


def check_scenario(
    folder: str | Path,
    overrides: Sequence[str] = (),
    override_files: Sequence[str | Path] = (),
) -> list[str]:
    """Every problem of a scenario folder, each ``file: row N, column C: what is wrong``.

    Row numbers are lines of the CSV file (the header is row 1). Empty if the scenario is valid.
    """
    return _inspect(folder, overrides, override_files)[1]


def scenario_from_frames(
    config: Mapping[str, Any] | ScenarioConfig,
    sites: pd.DataFrame,
    metros: pd.DataFrame,
    regions: pd.DataFrame,
    timesteps: pd.DataFrame,
    headroom: pd.DataFrame,
    prices: pd.DataFrame | None = None,
    latency: pd.DataFrame | None = None,
    source: str = "<memory>",
) -> Scenario:
    """A scenario from settings and frames built in Python, with the same checks as a folder.

    Problems name the table as its file would be (``sites.csv``) and rows as they would be in
    that file (first data row = row 2).
    """
    frames = {
        "sites": sites,
        "metros": metros,
        "regions": regions,
        "timesteps": timesteps,
        "headroom": headroom,
        "prices": prices,
        "latency": latency,
    }
    problems: list[str] = []

    def get_frame(key: str, label: str, _: ScenarioConfig) -> pd.DataFrame | None:
        frame = frames[key]
        if frame is None:
            if not TABLES[key].optional:
                problems.append(f"{label}: table not given")
            return None
        return frame.reset_index(drop=True)

    raw = config if isinstance(config, ScenarioConfig) else copy.deepcopy(dict(config))
    scenario, _ = _validate(raw, {}, get_frame, source, problems)
    if scenario is None:
        raise ScenarioError(source, problems or ["invalid scenario"])
    return scenario


# --------------------------------------------------------------------------------------------
# Schema text
# --------------------------------------------------------------------------------------------


def _type_text(annotation: Any) -> str:
    annotation = _strip_annotated(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return " | ".join(_type_text(a) for a in args) + " | null"
    if origin is list:
        (item,) = typing.get_args(annotation)
        return f"list[{_type_text(item)}]"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    return getattr(annotation, "__name__", str(annotation))


def _bounds_text(metadata: Iterable[Any]) -> str:
    signs = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<", "min_length": "length >="}
    parts = []
    for item in metadata:
        for attr, sign in signs.items():
            value = getattr(item, attr, None)
            if value is not None:
                parts.append(f"{sign} {value:g}" if isinstance(value, float) else f"{sign} {value}")
    return ", ".join(parts)


def _item_bounds(annotation: Any) -> str:
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        if typing.get_origin(item) is Annotated:
            inner = [m for a in typing.get_args(item)[1:] for m in getattr(a, "metadata", [a])]
            text = _bounds_text(inner)
            return f"each {text}" if text else ""
    return ""


def _default_text(info: Any) -> str:
    if info.default_factory is not None:
        value = info.default_factory()
    elif info.default is PydanticUndefined:
        return "required"
    else:
        value = info.default
    if isinstance(value, BaseModel):
        return "-"
    if isinstance(value, list) and any(isinstance(v, BaseModel) for v in value):
        return f"{len(value)} item{'s' if len(value) != 1 else ''} (see description)"
    return json.dumps(value)


def _schema_rows(model: type[BaseModel], prefix: str) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        node = _node(info.annotation)
        if isinstance(node, type):
            rows.extend(_schema_rows(node, f"{path}."))
            continue
        bounds = ", ".join(
            b for b in (_bounds_text(info.metadata), _item_bounds(info.annotation)) if b
        )
        type_text = (
            f"list[{node.item.__name__}]"
            if isinstance(node, _ListOf)
            else _type_text(info.annotation)
        )
        rows.append((path, type_text, _default_text(info), bounds, info.description or ""))
        if isinstance(node, _ListOf):
            rows.extend(_schema_rows(node.item, f"{path}.N."))
    return rows


def _column_rows(spec: TableSpec) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for c in spec.columns:
        if c.required:
            default = "required"
        elif c.default_from:
            default = c.default_from
        else:
            default = json.dumps(c.default)
        bounds = ", ".join(
            f"{sign} {value:g}"
            for sign, value in ((">=", c.ge), (">", c.gt), ("<=", c.le))
            if value is not None
        )
        rows.append((c.name, c.kind, default, bounds, c.description))
    return rows


def _table_text(rows: Sequence[tuple[str, ...]], header: tuple[str, ...]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return lines


def schema_text() -> str:
    """Every setting and table column: path, type, default, bounds and meaning."""
    lines = [
        "A scenario is a folder: scenario.yaml plus CSV tables.",
        "",
        "scenario.yaml (dotted paths as used by --set PATH=VALUE; N is a list index)",
    ]
    header = ("path", "type", "default", "bounds", "description")
    lines += _table_text(_schema_rows(ScenarioConfig, ""), header)
    for key, spec in TABLES.items():
        optional = " (optional)" if spec.optional else ""
        lines += [
            "",
            f"{key}.csv{optional}: file name set by tables.{key}; unique key: "
            f"{', '.join(spec.unique)}",
        ]
        lines += _table_text(
            _column_rows(spec), ("column", "type", "default", "bounds", "description")
        )
    lines += [
        "",
        f"Any table may also carry free-text columns {', '.join(FREE_TEXT_COLUMNS)}. Rows are "
        "counted as in the file (header = row 1).",
        "headroom.csv must hold every (region, timestep) pair; prices.csv any subset (the rest "
        "use the region's flat price);",
        "latency.csv lists the known site-metro latencies (pairs not listed are not admissible); "
        "without it latency is",
        "2 * great-circle km * latency.route_factor * latency.fibre_ms_per_km + "
        "latency.overhead_ms.",
    ]
    return "\n".join(lines)
