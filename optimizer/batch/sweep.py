"""Sweep files: a base scenario plus named variants, a grid and seeds, expanded into variants.

A sweep file (YAML) holds

* ``base``: the scenario folder, or a built scenario file (``us-default.yaml``), relative to
  the sweep file;
* ``override_files`` (optional): YAML files merged over the base settings (relative to the
  sweep file), as ``dcsite run --override-file``;
* ``variants`` (optional): a list of ``{name, set: {PATH: VALUE}}``, each a named set of
  overrides (the same dotted paths as ``dcsite run --set PATH=VALUE``, ``build.*`` included);
* ``grid`` (optional): ``{PATH: [VALUE, ...]}``; every combination of values is run, named from
  its values (``wacc_pct=6,curtailment_budget_pct=0.5``);
* ``seeds`` (optional): solver random seeds (``solver.seed``); every variant runs once per seed;
* ``solver`` (optional): solver settings for every variant (``{time_limit_s: 60}``), which a
  variant or the grid may override;
* ``exports`` (optional, default true): write each run's GeoJSON layers, map and plots (turn
  them off for very large sweeps);
* ``description`` (optional): free text.

``variants``, ``grid`` and ``seeds`` multiply: each named variant is run at each grid point and
each seed, named ``variant,grid point,seed=N``; at least one of them must be given. The sweep is
checked as a whole before anything runs: unknown keys, unknown override paths, values the
scenario schema rejects, duplicate or unsafe variant names and a missing base are each a line
of one :class:`SweepError`.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from optimizer.errors import InputError, ProblemsError
from optimizer.scenario import ScenarioConfig, ScenarioError, apply_overrides
from optimizer.scenario.settings import builder_setting_problem, read_yaml
from optimizer.section import name_problem
from optimizer.source import Source

MAX_PROBLEMS_SHOWN = 30
_UNSAFE = re.compile(r"[^A-Za-z0-9._=+-]+")


class SweepError(ProblemsError):
    """A sweep file with problems; ``problems`` lists each, naming the field, path or value."""

    kind = "sweep"
    max_shown = MAX_PROBLEMS_SHOWN


# --------------------------------------------------------------------------------------------
# The file format
# --------------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VariantSpec(_Strict):
    """One named variant of the sweep file."""

    name: str = Field(min_length=1, description="variant name (also its run folder name)")
    set: dict[str, Any] = Field(
        default_factory=dict, description="overrides, dotted path -> value (as --set)"
    )


class SweepFile(_Strict):
    """Everything in a sweep file (see the module docstring)."""

    description: str = Field("", description="what the sweep is about")
    base: str = Field(
        min_length=1,
        description="scenario folder or built scenario file, relative to the sweep file",
    )
    override_files: list[str] = Field(
        default_factory=list, description="YAML files merged over the base settings"
    )
    variants: list[VariantSpec] = Field(default_factory=list, description="named variants")
    grid: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(
        default_factory=dict, description="path -> values; every combination is run"
    )
    seeds: list[Annotated[int, Field(ge=0, le=2**31 - 1)]] = Field(
        default_factory=list, description="solver random seeds; every variant runs per seed"
    )
    solver: dict[str, Any] = Field(
        default_factory=dict, description="solver settings for every variant (solver.KEY)"
    )
    exports: bool = Field(
        True, description="write each run's GeoJSON layers, map and plots (off: large sweeps)"
    )


@dataclass(frozen=True)
class Variant:
    """One run of a sweep: its name (run folder) and its overrides, dotted path -> value."""

    name: str
    overrides: dict[str, Any]

    def set_args(self) -> list[str]:
        """The overrides as ``PATH=VALUE`` strings for :func:`optimizer.scenario.load_scenario`."""
        return [f"{path}={yaml_text(value)}" for path, value in self.overrides.items()]


@dataclass(frozen=True)
class Sweep:
    """A checked sweep: absolute base (folder or built scenario file) and override files, and
    every variant in order."""

    base: Path
    variants: list[Variant]
    override_files: list[Path] = field(default_factory=list)
    source: str = "<memory>"
    description: str = ""
    exports: bool = True

    def names(self) -> list[str]:
        """Variant names in order."""
        return [v.name for v in self.variants]

    def source_of(self, variant: Variant) -> Source:
        """What ``variant`` runs: the base with the override files and its overrides."""
        return Source.of(self.base, variant.set_args(), self.override_files)


# --------------------------------------------------------------------------------------------
# Values and names
# --------------------------------------------------------------------------------------------


def yaml_text(value: Any) -> str:
    """``value`` as YAML flow text that ``yaml.safe_load`` reads back as the same value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:  # YAML 1.1 floats need a dot
            text = text.replace("e", ".0e")
        if "e" in text and text.split("e")[1][0] not in "+-":
            text = text.replace("e", "e+")
        return text
    if isinstance(value, Mapping):
        items = ", ".join(f"{json.dumps(str(k))}: {yaml_text(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(yaml_text(v) for v in value) + "]"
    return json.dumps(str(value))


def _name_text(value: Any) -> str:
    """A value as it appears in a generated variant name."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        text = str(int(value))
    elif isinstance(value, list | tuple):
        text = "+".join(_name_text(v) for v in value) or "empty"
    elif isinstance(value, Mapping):
        text = "+".join(f"{k}-{_name_text(v)}" for k, v in value.items()) or "empty"
    else:
        text = str(value)
    return _UNSAFE.sub("_", text).strip("_") or "_"


def _grid_labels(paths: Sequence[str]) -> dict[str, str]:
    """Short label of each grid path: its last part, or the whole path where those collide."""
    last = [p.split(".")[-1] for p in paths]
    return {p: (t if last.count(t) == 1 else p) for p, t in zip(paths, last, strict=True)}


def check_name(name: str) -> str | None:
    """Why ``name`` is not a safe variant (folder) name, or None if it is."""
    return name_problem(name, "variant name")


# --------------------------------------------------------------------------------------------
# Loading and checking
# --------------------------------------------------------------------------------------------


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def _pydantic_problems(exc: ValidationError, root: type[BaseModel], prefix: str) -> list[str]:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            model: Any = root
            for part in err["loc"][:-1]:
                info = model.model_fields.get(str(part)) if _is_model(model) else None
                if info is None:
                    continue  # a list index or a mapping key
                model = info.annotation
                args = getattr(model, "__args__", ())
                model = next((a for a in args if _is_model(a)), model)
            keys = ", ".join(model.model_fields) if _is_model(model) else ""
            message = f"unknown key; valid keys here: {keys}" if keys else "unknown key"
        elif err["type"] == "missing":
            message = "required field is missing"
        else:
            message = err["msg"].removeprefix("Value error, ")
            value = err.get("input")
            if isinstance(value, str | int | float | bool) or value is None:
                message += f" (got {value!r})"
        problems.append(f"{prefix}field {loc or '(top level)'}: {message}")
    return problems


def _expand(spec: SweepFile, problems: list[str]) -> list[Variant]:
    """Every variant of the sweep, in order: variants x grid points x seeds."""
    common = {f"solver.{key}": value for key, value in spec.solver.items()}
    named: list[tuple[str, dict[str, Any]]] = [
        (v.name, {p.strip(): value for p, value in v.set.items()}) for v in spec.variants
    ] or [("", {})]
    paths = [p.strip() for p in spec.grid]
    labels = _grid_labels(paths)
    points: list[tuple[str, dict[str, Any]]] = [("", {})]
    if spec.grid:
        points = []
        for values in itertools.product(*spec.grid.values()):
            point = dict(zip(paths, values, strict=True))
            name = ",".join(f"{labels[p]}={_name_text(v)}" for p, v in point.items())
            points.append((name, point))
    seeds: list[int | None] = list(spec.seeds) or [None]
    clashes: set[tuple[str, str]] = set()
    seed_clash = False
    out = []
    for (vname, vset), (gname, gset), seed in itertools.product(named, points, seeds):
        for path in sorted(set(vset) & set(gset)):
            if (vname, path) not in clashes:
                clashes.add((vname, path))
                problems.append(f"variant {vname!r} sets {path}, which the grid also sets")
        seed_clash = seed_clash or (seed is not None and "solver.seed" in {*vset, *gset})
        overrides = {**common, **vset, **gset}
        if seed is not None:
            overrides["solver.seed"] = seed
        name = ",".join(p for p in (vname, gname, "" if seed is None else f"seed={seed}") if p)
        out.append(Variant(name, overrides))
    if seed_clash:
        problems.append("seeds: solver.seed is also set by a variant or the grid; set it once")
    return out


def _check_paths(
    spec: SweepFile, settings: dict[str, Any], folder: Path | None, problems: list[str]
) -> None:
    """Each override path of the file checked against the scenario schema, naming its place;
    with a scenario ``folder`` as the base, ``build.*`` paths are refused (it ignores them)."""
    places: list[tuple[str, str, Any]] = [
        (f"solver.{key}", f"solver.{key}", value) for key, value in spec.solver.items()
    ]
    for i, v in enumerate(spec.variants):
        places += [(f"variants.{i} ({v.name}): set.{p}", p, val) for p, val in v.set.items()]
    places += [(f"grid.{p}", p, values[0]) for p, values in spec.grid.items()]
    for where, path, value in places:
        reason = None if folder is None else builder_setting_problem(path, folder)
        if reason:
            problems.append(f"{where}: {reason}")
            continue
        text = f"{path.strip()}={yaml_text(value)}"
        try:
            apply_overrides(settings, [text])
        except InputError as exc:
            problems.append(f"{where}: {str(exc).removeprefix(f'--set {text}: ')}")


def _check_values(
    variants: Sequence[Variant], settings: dict[str, Any], problems: list[str]
) -> None:
    """Each variant's settings validated; one line per distinct problem, naming a variant."""
    seen: dict[str, list[str]] = {}
    for variant in variants:
        try:
            merged = apply_overrides(settings, variant.set_args())
            ScenarioConfig.model_validate(merged)
        except InputError as exc:
            seen.setdefault(str(exc), []).append(variant.name)
        except ValidationError as exc:
            for line in _pydantic_problems(exc, ScenarioConfig, ""):
                seen.setdefault(line, []).append(variant.name)
    for line, names in seen.items():
        more = f" (and {len(names) - 1} more variants)" if len(names) > 1 else ""
        problems.append(f"variant {names[0]!r}{more}: {line}")


def sweep_from_dict(
    data: Mapping[str, Any], root: str | os.PathLike[str] = ".", source: str = "<memory>"
) -> Sweep:
    """Check a sweep given as a mapping (paths relative to ``root``) and expand its variants.

    Raises :class:`SweepError` (an :class:`~optimizer.errors.InputError`) listing every problem.
    """
    problems: list[str] = []
    try:
        spec = SweepFile.model_validate(dict(data))
    except ValidationError as exc:
        raise SweepError(source, _pydantic_problems(exc, SweepFile, "")) from None
    root = Path(root)
    base = Path(os.path.abspath(root / spec.base))
    files = [Path(os.path.abspath(root / f)) for f in spec.override_files]
    if not base.exists():
        raise SweepError(
            source, [f"base: not found: {base} (give a scenario folder or a built scenario file)"]
        )
    if not (spec.variants or spec.grid or spec.seeds):
        raise SweepError(source, ["nothing to run: give variants, grid and/or seeds"])

    names = [v.name for v in spec.variants]
    for name in dict.fromkeys(names):
        if names.count(name) > 1:
            problems.append(f"variants: duplicate variant name {name!r}")
        reason = check_name(name)
        if reason:
            problems.append(f"variants: {reason}")
    base_source = Source.of(base, (), files)
    try:
        base_source.config()
    except ScenarioError as exc:
        raise SweepError(source, [f"base scenario {base}: {p}" for p in exc.problems]) from None
    settings = base_source.settings(problems)

    _check_paths(spec, settings, None if base_source.built else base, problems)
    if problems:
        raise SweepError(source, problems)
    variants = _expand(spec, problems)
    full = [v.name for v in variants]
    duplicates = sorted({n for n in full if full.count(n) > 1})
    if duplicates:
        problems.append(f"variant names are not unique: {', '.join(map(repr, duplicates[:10]))}")
    problems.extend(
        f"{reason} (generated from the grid)"
        for reason in dict.fromkeys(filter(None, (check_name(n) for n in full)))
    )
    if not problems:
        _check_values(variants, settings, problems)
    if problems:
        raise SweepError(source, problems)
    return Sweep(
        base=base,
        variants=variants,
        override_files=files,
        source=source,
        description=spec.description,
        exports=spec.exports,
    )


def load_sweep(path: str | os.PathLike[str]) -> Sweep:
    """Read and check a sweep file (relative paths in it are relative to the file).

    Raises :class:`SweepError` (an :class:`~optimizer.errors.InputError`) listing every problem.
    """
    path = Path(path)
    problems: list[str] = []
    data = read_yaml(path, "", problems)
    if data is None:
        raise SweepError(str(path), problems)
    return sweep_from_dict(data, path.absolute().parent, str(path))
