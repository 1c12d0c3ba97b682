"""The shape of the settings: which dotted paths exist, their defaults, and the schema text.

A path walks :class:`~optimizer.scenario.config.ScenarioConfig` from section to field; a list
of sections takes an index (``finance.tenants.0.share_pct``) and a mapping of sections a key
(``build.campus_classes.345+.site_max_mw``). :func:`schema_text` prints every path and table
column with its type, default, bounds and meaning (``dcsite scenario schema``), under the naming
convention of :data:`CONVENTION`.
"""

from __future__ import annotations

import copy
import json
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from optimizer.errors import InputError
from optimizer.scenario.config import ScenarioConfig
from optimizer.scenario.renames import setting_renamed
from optimizer.scenario.tables import FREE_TEXT_COLUMNS, TABLES, TableSpec


@dataclass(frozen=True)
class ListOf:
    """A list of sections: items are reached by index."""

    item: type[BaseModel]


@dataclass(frozen=True)
class DictOf:
    """A mapping of sections: items are reached by key, one of ``keys`` when they are fixed."""

    item: type[BaseModel]
    keys: tuple[str, ...] | None


CONVENTION = (
    "Names: every name carries its unit (_mw, _mwh, _usd, _usd_per_mw_year, _ms, _h, _s, ...).",
    "Every share, rate and efficiency is a percentage, named _pct (0-100: 60 means 60 %, not "
    "0.6); the same holds",
    "for result columns and summary.json keys (inference_profile, a demand shape relative to the "
    "peak, is 0-1).",
    "stranded_mw is the hourly stranded power of a region (stranded.csv); headroom_mw is only "
    "the constant load",
    "a BA can take at a curtailment limit (dcsite headroom). Old names (finance.debt_share, "
    "regions.csv's",
    "headroom_share, headroom.csv, ...) are refused with their new name.",
)
"""The naming convention, printed at the top of ``dcsite scenario schema``."""


Node = type[BaseModel] | ListOf | DictOf | None
"""What a path leads to: a section, a list or mapping of sections, or None for a value."""


def _strip(annotation: Any) -> Any:
    """The type inside ``Annotated[...]`` and ``X | None``."""
    while True:
        if typing.get_origin(annotation) is Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation


def _is_section(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def node_of(annotation: Any) -> Node:
    """Schema node of a field annotation."""
    annotation = _strip(annotation)
    origin, args = typing.get_origin(annotation), [_strip(a) for a in typing.get_args(annotation)]
    if _is_section(annotation):
        return annotation
    if origin is list and _is_section(args[0]):
        return ListOf(args[0])
    if origin is dict and _is_section(args[1]):
        keys = typing.get_args(args[0]) if typing.get_origin(args[0]) is Literal else None
        return DictOf(args[1], keys)
    return None


def keys_text(node: Node) -> str:
    """The keys valid under a node, comma separated ("" when they are not fixed)."""
    if isinstance(node, DictOf):
        return ", ".join(node.keys or ())
    return ", ".join(node.model_fields) if isinstance(node, type) else ""


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return None if value is PydanticUndefined else value


def walk(parts: Sequence[str], what: str, value: Any = None) -> tuple[Node, dict[str, Any]]:
    """The node at a settable path of :class:`ScenarioConfig`, and what a missing mapping there
    starts as when an override sets something inside it.

    Sections start empty (pydantic fills their defaults); a mapping of sections such as
    ``build.campus_classes``, and each of its entries, starts as its default, so that
    ``build.campus_classes.345+.site_max_mw=1500`` changes one figure and keeps the rest.
    Raises :class:`InputError`, prefixed with ``what``, for an unknown path; a renamed one
    (:mod:`optimizer.scenario.renames`) is named with its new name (``value``, the value given
    there, shown as the percentage to write when the value became one).
    """
    node: Node = ScenarioConfig
    default: Any = None
    in_mapping = False
    for i, part in enumerate(parts):
        here, path = ".".join(parts[:i]), ".".join(parts[: i + 1])
        if isinstance(node, ListOf):
            if not part.isdigit():
                raise InputError(f"{what}: {here} is a list; use an index such as {here}.0")
            node, default = node.item, None
        elif isinstance(node, DictOf):
            if node.keys is not None and part not in node.keys:
                raise InputError(
                    f"{what}: unknown key {path}; valid keys under {here}: {keys_text(node)}"
                )
            node, default = node.item, default.get(part) if isinstance(default, dict) else None
        elif node is None:
            raise InputError(f"{what}: {here} is a value and has no key {part!r}")
        else:
            info = node.model_fields.get(part)
            if info is None:
                renamed = setting_renamed(parts[: i + 1], value if i == len(parts) - 1 else None)
                if renamed:
                    raise InputError(f"{what}: field {path}: {renamed}")
                level = f"under {here}" if here else "at the top level"
                raise InputError(
                    f"{what}: unknown key {path}; valid keys {level}: {keys_text(node)}"
                )
            node = node_of(info.annotation)
            default = _jsonable(info.get_default(call_default_factory=True))
        in_mapping = in_mapping or isinstance(node, DictOf)
    start = default if in_mapping and isinstance(default, dict) else {}
    return node, copy.deepcopy(start)


# --------------------------------------------------------------------------------------------
# Schema text
# --------------------------------------------------------------------------------------------


def _type_text(annotation: Any) -> str:
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        return " | ".join(_type_text(a) for a in args) + (" | null" if optional else "")
    if origin is list:
        (item,) = typing.get_args(annotation)
        return f"list[{_type_text(item)}]"
    if _is_section(annotation):
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
    value = info.get_default(call_default_factory=True)
    if value is PydanticUndefined:
        return "required"
    items = list(value.values()) if isinstance(value, dict) else value
    if isinstance(items, list) and any(isinstance(v, BaseModel) for v in items):
        return f"{len(items)} item{'s' if len(items) != 1 else ''} (see description)"
    return json.dumps(value)


Row = tuple[str, str, str, str, str]


def _schema_rows(model: type[BaseModel], prefix: str) -> list[Row]:
    rows: list[Row] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        node = node_of(info.annotation)
        if isinstance(node, type):
            if info.default is None:  # an optional section
                rows.append((path, "mapping | null", "null", "", info.description or ""))
            rows.extend(_schema_rows(node, f"{path}."))
            continue
        bounds = ", ".join(
            b for b in (_bounds_text(info.metadata), _item_bounds(info.annotation)) if b
        )
        if isinstance(node, DictOf) and node.keys:
            bounds = f"keys in {{{', '.join(node.keys)}}}"
        if isinstance(node, ListOf):
            type_text = f"list[{node.item.__name__}]"
        elif isinstance(node, DictOf):
            type_text = f"dict[str, {node.item.__name__}]"
        else:
            type_text = _type_text(info.annotation)
        rows.append((path, type_text, _default_text(info), bounds, info.description or ""))
        if isinstance(node, ListOf):
            rows.extend(_schema_rows(node.item, f"{path}.N."))
        elif isinstance(node, DictOf):
            rows.extend(_schema_rows(node.item, f"{path}.KEY."))
    return rows


def _column_rows(spec: TableSpec) -> list[Row]:
    rows = []
    for c in spec.columns:
        default = "required" if c.required else c.default_from or json.dumps(c.default)
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
    header = ("path", "type", "default", "bounds", "description")
    lines = [
        "A scenario is a folder: scenario.yaml plus CSV tables.",
        "",
        *CONVENTION,
        "",
        "scenario.yaml (dotted paths as used by --set PATH=VALUE; N is a list index, KEY a "
        "mapping key)",
        *_table_text(_schema_rows(ScenarioConfig, ""), header),
    ]
    for key, spec in TABLES.items():
        optional = (
            " (grid.deliverability: zonal only)"
            if spec.zonal
            else " (optional)"
            if spec.optional
            else ""
        )
        lines += [
            "",
            f"{key}.csv{optional}: file name set by tables.{key}; unique key: "
            f"{', '.join(spec.unique)}",
            *_table_text(_column_rows(spec), ("column", *header[1:])),
        ]
    lines += [
        "",
        f"Any table may also carry free-text columns {', '.join(FREE_TEXT_COLUMNS)}. Rows are "
        "counted as in the file (header = row 1).",
        "stranded.csv must hold every (region, timestep) pair; prices.csv any subset (the rest "
        "use the region's flat price);",
        "latency.csv lists the known site-metro latencies (pairs not listed are not admissible); "
        "without it latency is",
        "2 * great-circle km * latency.route_factor * latency.fibre_ms_per_km + "
        "latency.overhead_ms.",
        "inference_profiles.csv gives a profile_zone of metros.csv its own profile, with every "
        "timestep exactly once;",
        "metros of zones it does not list follow timesteps.csv's inference_profile.",
        "A sites.csv row with count > 1 stands for that many identical sites (each may host "
        "one campus block) and",
        "needs edge_allowed false.",
        "Under grid.deliverability: zonal, every site's reeds_zone is a zone of zones.csv, each "
        "region's stranded_apportion_pct",
        "in region_zones.csv sums to 100, and interfaces.csv links two different zones.",
    ]
    return "\n".join(lines)
