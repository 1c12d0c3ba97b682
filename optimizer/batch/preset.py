"""Sensitivity presets: the key inputs of a scenario, each with a documented low and high value.

A preset file (YAML; ``data/sensitivity/README.md``) holds

* ``inputs``: a mapping from an input's name (letters, digits and ``. _ , = + -``; it names the
  runs ``<name>-low`` and ``<name>-high``) to

  - ``setting``: the dotted setting path it moves (as ``dcsite run --set PATH=VALUE``);
  - ``low`` and ``high``: its two values (different);
  - ``unit``: the unit of the values, for people (``%``, ``USD per MW-year``);
  - ``source``: one line on where the range comes from;
  - ``label`` (optional): the name shown in the tornado (default: the input's name);

* ``solver`` (optional): solver settings for every run (``{time_limit_s: 600}``);
* ``exports`` (optional, default false): GeoJSON layers, map and plots of every run;
* ``description`` (optional): free text.

:func:`load_preset` checks the file against the base scenario before anything runs: unknown
keys, unknown setting paths (``build.*`` on a scenario folder), two inputs moving one setting,
``low`` equal to ``high``, and values the scenario schema rejects are each a line of one
:class:`PresetError`, naming the file and the field.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from optimizer.batch.sweep import _pydantic_problems, check_name, yaml_text
from optimizer.errors import InputError, ProblemsError
from optimizer.scenario import ScenarioConfig, apply_overrides
from optimizer.scenario.settings import builder_setting_problem, read_yaml
from optimizer.source import Source

SIDES = ("low", "high")


class PresetError(ProblemsError):
    """A sensitivity preset with problems; ``problems`` names the field of each."""

    kind = "sensitivity preset"
    max_shown = 30


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputSpec(_Strict):
    """One input of a preset file."""

    setting: str = Field(min_length=1, description="dotted setting path, as --set PATH=VALUE")
    low: Any = Field(description="the low value")
    high: Any = Field(description="the high value")
    unit: str = Field(min_length=1, description="unit of the values, for people")
    source: str = Field(min_length=1, description="where the range comes from, one line")
    label: str = Field("", description="name shown in the tornado (default: the input's name)")


class PresetFile(_Strict):
    """Everything in a preset file (see the module docstring)."""

    description: str = Field("", description="what the preset is about")
    inputs: dict[str, InputSpec] = Field(min_length=1, description="name -> input")
    solver: dict[str, Any] = Field(
        default_factory=dict, description="solver settings for every run (solver.KEY)"
    )
    exports: bool = Field(False, description="GeoJSON layers, map and plots of every run")


@dataclass(frozen=True)
class SensitivityInput:
    """One input moved one at a time: its setting path and its low and high values."""

    name: str
    setting: str
    low: Any
    high: Any
    unit: str
    source: str
    label: str

    def value(self, side: str) -> Any:
        """The value of ``side`` (``low`` or ``high``)."""
        return self.low if side == "low" else self.high


@dataclass(frozen=True)
class Preset:
    """A checked preset: its inputs in file order, and what every run shares."""

    inputs: list[SensitivityInput]
    source: str = "<memory>"
    description: str = ""
    solver: dict[str, Any] = field(default_factory=dict)
    exports: bool = False


def _check_input(
    name: str,
    spec: InputSpec,
    settings: dict[str, Any],
    base: Source,
    problems: list[str],
) -> None:
    """The problems of one input against the base settings (``settings``, overrides applied)."""
    where = f"inputs.{name}"
    for reason in dict.fromkeys(filter(None, (check_name(f"{name}-{s}") for s in SIDES))):
        problems.append(f"{where}: {reason.replace('variant name', 'run name')}")
    folder = None if base.built else base.path
    reason = None if folder is None else builder_setting_problem(spec.setting, folder)
    if reason:
        problems.append(f"{where}.setting: {reason}")
        return
    if spec.low == spec.high:
        problems.append(f"{where}: low and high are both {yaml_text(spec.low)}; give two values")
    for side in SIDES:
        text = f"{spec.setting.strip()}={yaml_text(getattr(spec, side))}"
        try:
            merged = apply_overrides(settings, [text])
        except InputError as exc:
            problems.append(f"{where}.setting: {str(exc).removeprefix(f'--set {text}: ')}")
            return
        try:
            ScenarioConfig.model_validate(merged)
        except ValidationError as exc:
            for line in _pydantic_problems(exc, ScenarioConfig, ""):
                problems.append(f"{where}.{side}: {line}")


def preset_from_dict(data: Mapping[str, Any], base: Source, source: str = "<memory>") -> Preset:
    """Check a preset given as a mapping against the base scenario ``base`` (its ``--set``
    overrides applied); raises :class:`PresetError` listing every problem."""
    try:
        spec = PresetFile.model_validate(dict(data))
    except ValidationError as exc:
        raise PresetError(source, _pydantic_problems(exc, PresetFile, "")) from None
    problems: list[str] = []
    settings = base.settings(problems)
    if problems:
        raise PresetError(source, [f"base scenario {base.path}: {p}" for p in problems])
    settings = apply_overrides(settings, base.overrides)
    for key, value in spec.solver.items():
        text = f"solver.{key}={yaml_text(value)}"
        try:
            settings = apply_overrides(settings, [text])
        except InputError as exc:
            problems.append(f"solver.{key}: {str(exc).removeprefix(f'--set {text}: ')}")
    if not problems:
        try:
            ScenarioConfig.model_validate(settings)
        except ValidationError as exc:
            problems += _pydantic_problems(exc, ScenarioConfig, "solver: ")
    if problems:  # the settings every run shares are wrong: the inputs cannot be checked
        raise PresetError(source, problems)
    owners: dict[str, str] = {}
    for name, item in spec.inputs.items():
        path = item.setting.strip()
        if path in owners:
            problems.append(f"inputs.{name}.setting: {path} is also moved by {owners[path]}")
        owners.setdefault(path, name)
        _check_input(name, item, settings, base, problems)
    if problems:
        raise PresetError(source, problems)
    inputs = [
        SensitivityInput(
            name=name,
            setting=item.setting.strip(),
            low=item.low,
            high=item.high,
            unit=item.unit,
            source=item.source,
            label=item.label or name,
        )
        for name, item in spec.inputs.items()
    ]
    return Preset(inputs, source, spec.description, dict(spec.solver), spec.exports)


def load_preset(preset: str | os.PathLike[str] | Mapping[str, Any], base: Source) -> Preset:
    """Read and check a preset file (or mapping) against the base scenario ``base``; raises
    :class:`PresetError` (an :class:`~optimizer.errors.InputError`) listing every problem."""
    if isinstance(preset, Mapping):
        return preset_from_dict(preset, base)
    path = Path(preset)
    problems: list[str] = []
    data = read_yaml(path, "", problems)
    if data is None:
        raise PresetError(str(path), problems)
    return preset_from_dict(data, base, str(path))
