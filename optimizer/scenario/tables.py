"""The scenario tables: every column with its type, unit, default, bounds and meaning.

:data:`TABLES` is the single description of the CSV tables: reading, cleaning, defaults, the
final dtypes and ``dcsite scenario schema`` all follow it.
"""

from __future__ import annotations

from dataclasses import dataclass

FREE_TEXT_COLUMNS = ("note", "source")
"""Columns any table may carry for people (not read by the model)."""


@dataclass(frozen=True)
class Column:
    """One column of a scenario table.

    Attributes:
        name: column name (with its unit).
        kind: ``str``, ``float``, ``int`` (a whole number) or ``bool`` (true/false, yes/no,
            1/0).
        description: meaning, shown by ``dcsite scenario schema``.
        default: constant default of an optional column.
        default_from: dotted ``scenario.yaml`` path whose value is the default.
        ge, gt, le: bounds of numeric columns.

    A column with neither ``default`` nor ``default_from`` is required: every row needs a
    value. Otherwise the default fills empty cells and a missing column.
    """

    name: str
    kind: str
    description: str
    default: float | int | bool | str | None = None
    default_from: str | None = None
    ge: float | None = None
    gt: float | None = None
    le: float | None = None

    @property
    def required(self) -> bool:
        """Every row needs a value (the column has no default)."""
        return self.default is None and self.default_from is None


@dataclass(frozen=True)
class TableSpec:
    """A scenario table: its ``tables`` key, columns in output order, and unique key columns."""

    key: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...]
    optional: bool = False
    zonal: bool = False
    """read only under ``grid.deliverability: zonal`` (and then required)"""

    @property
    def names(self) -> list[str]:
        """Column names in output order."""
        return [c.name for c in self.columns]


_LAT = Column("lat", "float", "latitude, degrees (WGS84)", ge=-90, le=90)
_LON = Column("lon", "float", "longitude, degrees (WGS84)", ge=-180, le=180)
_REGION = Column("region", "str", "region (in regions)")
_TIMESTEP = Column("timestep", "str", "step (in timesteps)")


TABLES: dict[str, TableSpec] = {
    "sites": TableSpec(
        "sites",
        (
            Column("site", "str", "candidate site id (unique)"),
            Column("region", "str", "region the site draws power from (in regions)"),
            _LAT,
            _LON,
            Column(
                "count",
                "int",
                "identical candidate sites this row stands for (count > 1: edge_allowed false)",
                default=1,
                ge=1,
            ),
            Column(
                "kind",
                "str",
                "what the candidate is, for people and maps (the US builder: line, plant, metro, "
                "datacenter_cluster)",
                default="",
            ),
            Column(
                "place",
                "str",
                "where the site is, for people and maps (e.g. Maricopa County, AZ)",
                default="",
            ),
            Column("county", "str", "county of the site, for people and maps", default=""),
            Column(
                "state", "str", "state of the site (USPS code), for people and maps", default=""
            ),
            Column(
                "reeds_zone",
                "str",
                "NREL ReEDS zone of the site (p1..p134), for people and maps",
                default="",
            ),
            Column(
                "voltage_class",
                "str",
                "grid voltage class of the site's connection, for people and maps (e.g. 345+)",
                default="",
            ),
            Column(
                "line",
                "str",
                "transmission line the site lies on, for people and maps",
                default="",
            ),
            Column(
                "plant",
                "str",
                "existing power plant the site is co-located with, for people and maps",
                default="",
            ),
            Column("interconnect_mw", "float", "existing firm grid connection, MW", ge=0),
            Column(
                "interconnect_upgrade_max_mw",
                "float",
                "largest interconnection upgrade possible, MW",
                default=0.0,
                ge=0,
            ),
            Column("site_max_mw", "float", "land/power cap on campus + edge IT MW", gt=0),
            Column(
                "pue", "float", "power usage effectiveness (facility / IT power)", default=1.2, ge=1
            ),
            Column(
                "time_to_power_years",
                "float",
                "years until the site can get power",
                default=0.0,
                ge=0,
            ),
            Column(
                "time_to_power_level",
                "str",
                "where time_to_power_years comes from, for people (the US builder: county, "
                "state, queue_region, colocation)",
                default="",
            ),
            Column(
                "time_to_power_records",
                "int",
                "interconnection requests behind time_to_power_years, for people",
                default=0,
                ge=0,
            ),
            Column(
                "substation_km",
                "float",
                "distance from the site to the nearest existing substation, km (for people and "
                "maps; 0: not given)",
                default=0.0,
                ge=0,
            ),
            Column(
                "spur_km",
                "float",
                "length of the spur line from the site to the grid, km (for people and maps)",
                default=0.0,
                ge=0,
            ),
            Column(
                "spur_capex_usd_per_mw",
                "float",
                "spur line from the site to the grid, USD per IT MW built at the site",
                default=0.0,
                ge=0,
            ),
            Column(
                "energy_price_adder_usd_per_mwh",
                "float",
                "added to the region's energy price at this site in every step, USD/MWh (e.g. "
                "the site's state price minus its region's; may be negative)",
                default=0.0,
            ),
            Column("campus_allowed", "bool", "a training campus may be built here", default=True),
            Column("edge_allowed", "bool", "edge modules may be built here", default=True),
            Column("storage_allowed", "bool", "storage may be built here", default=True),
        ),
        ("site",),
    ),
    "metros": TableSpec(
        "metros",
        (
            Column("metro", "str", "metro id (unique)"),
            _LAT,
            _LON,
            Column("inference_demand_mw", "float", "peak inference demand, IT MW", ge=0),
            Column(
                "latency_max_ms",
                "float",
                "round-trip latency limit of the metro's users, ms",
                default_from="inference.latency_max_ms",
                gt=0,
            ),
            Column(
                "profile_zone",
                "str",
                "profile zone the metro follows (inference_profiles.csv; unlisted: timesteps.csv)",
                default="all",
            ),
        ),
        ("metro",),
    ),
    "regions": TableSpec(
        "regions",
        (
            Column("region", "str", "region id (unique), e.g. a balancing authority"),
            Column(
                "stranded_share_pct",
                "float",
                "our share of the region's stranded power, %",
                default=100.0,
                ge=0,
                le=100,
            ),
            Column(
                "firm_capacity_usd_per_mw_year",
                "float",
                "firm capacity price, USD per MW-year",
                default_from="costs.firm_capacity_usd_per_mw_year",
                ge=0,
            ),
            Column(
                "energy_price_usd_per_mwh",
                "float",
                "flat energy price, USD/MWh (prices.csv overrides it per step)",
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
            Column("duration_h", "float", "length of the step, h", default=1.0, gt=0),
            Column("weight_h", "float", "hours of the year the step stands for, h", gt=0),
            Column(
                "inference_profile",
                "float",
                "inference demand, fraction of the peak (zones without their own profile)",
                default=1.0,
                ge=0,
                le=1,
            ),
        ),
        ("timestep",),
    ),
    "stranded": TableSpec(
        "stranded",
        (
            _REGION,
            _TIMESTEP,
            Column(
                "stranded_mw",
                "float",
                "stranded power of the region (hourly, below its planning peak), MW",
                ge=0,
            ),
        ),
        ("region", "timestep"),
    ),
    "prices": TableSpec(
        "prices",
        (
            _REGION,
            _TIMESTEP,
            Column("price_usd_per_mwh", "float", "energy price, USD/MWh"),
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
    "inference_profiles": TableSpec(
        "inference_profiles",
        (
            Column("profile_zone", "str", "profile zone (as in metros' profile_zone)"),
            _TIMESTEP,
            Column(
                "inference_profile",
                "float",
                "inference demand of the zone's metros, fraction of their peak",
                ge=0,
                le=1,
            ),
        ),
        ("profile_zone", "timestep"),
        optional=True,
    ),
    "year_weights": TableSpec(
        "year_weights",
        (
            _TIMESTEP,
            Column("weather_year", "int", "weather year the step stands for hours of"),
            Column(
                "weight_h",
                "float",
                "hours of the weather year the step stands for, h (a step missing from a year "
                "stands for none of it); each step's mean over the years is its weight_h in "
                "timesteps",
                ge=0,
            ),
        ),
        ("timestep", "weather_year"),
        optional=True,
    ),
    "zones": TableSpec(
        "zones",
        (
            Column("zone", "str", "grid zone id (unique), e.g. a ReEDS zone p1..p134"),
            Column(
                "region",
                "str",
                "region whose firm capacity price applies to firm capacity procured in the zone "
                "(in regions)",
            ),
            Column("reeds_ba", "str", "ReEDS's own BA label of the zone, for people", default=""),
            _LAT,
            _LON,
        ),
        ("zone",),
        zonal=True,
    ),
    "region_zones": TableSpec(
        "region_zones",
        (
            _REGION,
            Column("zone", "str", "zone (in zones)"),
            Column(
                "population",
                "float",
                "population the apportionment counts in the cell, for people",
                default=0.0,
                ge=0,
            ),
            Column("area_km2", "float", "area of the cell, km2, for people", default=0.0, ge=0),
            Column(
                "basis",
                "str",
                "what the apportionment follows (the US builder: population, area), for people",
                default="",
            ),
            Column(
                "stranded_apportion_pct",
                "float",
                "share of the region's stranded power that lies in the zone, % (a region's "
                "shares sum to 100)",
                ge=0,
                le=100,
            ),
        ),
        ("region", "zone"),
        zonal=True,
    ),
    "interfaces": TableSpec(
        "interfaces",
        (
            Column("interface", "str", "interface id (unique)"),
            Column("from_zone", "str", "zone at one end (in zones)"),
            Column("to_zone", "str", "zone at the other end (in zones)"),
            Column(
                "kind",
                "str",
                "AC, or a link outside the AC network (the US builder: LCC, B2B), for people",
                default="AC",
            ),
            Column("forward_mw", "float", "transfer limit from from_zone to to_zone, MW", ge=0),
            Column("reverse_mw", "float", "transfer limit from to_zone to from_zone, MW", ge=0),
            Column("name", "str", "name of the path or project, for people", default=""),
        ),
        ("interface",),
        zonal=True,
    ),
}
"""Every scenario table, by its key in ``tables`` (``scenario.yaml``)."""
