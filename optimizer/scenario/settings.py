"""``scenario.yaml`` in: read it, merge override files, apply ``--set`` overrides, validate.

Override files are deep-merged over ``scenario.yaml`` in order, then each ``--set PATH=VALUE``
is applied (:func:`apply_overrides`). Every problem becomes one line naming where the value came
from: ``scenario.yaml``, the override file, or the ``--set`` override.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from optimizer.errors import InputError, ScenarioError
from optimizer.scenario.config import ScenarioConfig
from optimizer.scenario.renames import setting_renamed
from optimizer.scenario.schema import keys_text, walk

SCENARIO_FILE = "scenario.yaml"


# --------------------------------------------------------------------------------------------
# YAML
# --------------------------------------------------------------------------------------------


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, first_line: int, second_line: int):
        super().__init__(f"key {key!r} is given twice, on lines {first_line} and {second_line}")


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses a key given twice in one mapping (PyYAML would keep
    the second silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    raise _DuplicateKey(key, seen[key], line)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str) -> Any:
    """YAML text to Python values (safe types only); a key given twice, or nesting too deep to
    read, is a ``yaml.YAMLError``."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader)
    except RecursionError:
        raise yaml.YAMLError("nested too deeply to read") from None


# --------------------------------------------------------------------------------------------
# Overrides
# --------------------------------------------------------------------------------------------


def _parse_override(text: str) -> tuple[list[str], Any]:
    path, sep, value_text = text.partition("=")
    parts = [p.strip() for p in path.strip().split(".")]
    if not sep or not all(parts):
        raise InputError(f"--set {text!r}: expected PATH=VALUE, e.g. training.target_mw=500")
    try:
        value = parse_yaml(value_text) if value_text.strip() else None
    except yaml.YAMLError as exc:
        raise InputError(f"--set {text!r}: the value is not valid YAML ({exc})") from None
    return parts, value


def _set_path(root: dict[str, Any], parts: Sequence[str], value: Any, what: str) -> None:
    """Set ``root[parts[0]][parts[1]]... = value``, creating missing mappings on the way."""
    walk(parts, what, value)
    node: Any = root
    for i, part in enumerate(parts):
        key: str | int = part
        if isinstance(node, list):
            key = int(part)
            if key >= len(node):
                raise InputError(
                    f"{what}: {'.'.join(parts[:i])} has no item {key} "
                    f"(it has {len(node)}); set the whole list instead"
                )
        if i == len(parts) - 1:
            node[key] = value
            return
        child = node[key] if isinstance(node, list) else node.get(key)
        if child is None:
            child = node[key] = walk(parts[: i + 1], what)[1]
        if not isinstance(child, (dict, list)):
            raise InputError(f"{what}: {'.'.join(parts[: i + 1])} in the scenario is not a mapping")
        node = child


def parse_override(text: str) -> tuple[str, Any]:
    """The dotted path and the value of one ``PATH=VALUE`` override (the value read as YAML);
    an :class:`InputError` when it is not of that form."""
    parts, value = _parse_override(text)
    return ".".join(parts), value


BUILD_SECTION = "build"
"""Settings of the US scenario builder: read only when a built scenario file is built."""


def builder_setting_problem(path: str, folder: str | Path) -> str | None:
    """Why the override path ``path`` cannot apply to the scenario folder ``folder`` (a
    ``build.*`` setting: a folder's tables are given, not built, so it would be ignored), or
    None when it can."""
    if path.strip().split(".")[0].strip() != BUILD_SECTION:
        return None
    return (
        f"{path.strip()} is a setting of the US scenario builder, but {folder} is a scenario "
        "folder (its tables are given, not built) and would ignore it; give a built scenario "
        "file such as data/scenarios/us-default.yaml, or change the folder's tables"
    )


def apply_overrides(config_dict: Mapping[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """A copy of ``config_dict`` with each ``PATH=VALUE`` override set.

    ``PATH`` is dotted (``training.target_mw``; list items by index,
    ``finance.tenants.0.share_pct``; mapping entries by key,
    ``build.campus_classes.345+.site_max_mw``); ``VALUE`` is parsed with ``yaml.safe_load``
    (``500``, ``true``, ``[100, 200]``, ``null``). An unknown path is an
    :class:`InputError` naming it and the valid keys at that level.
    """
    result = copy.deepcopy(dict(config_dict))
    for text in overrides:
        parts, value = _parse_override(text)
        _set_path(result, parts, value, f"--set {text}")
    return result


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


def deep_merge(
    base: Mapping[str, Any], over: Mapping[str, Any], prefix: tuple[str, ...] = ()
) -> dict[str, Any]:
    """``over`` merged into a copy of ``base``; a mapping absent from ``base`` starts as it
    would for ``--set`` (see :func:`~optimizer.scenario.schema.walk`)."""
    merged = dict(base)
    for key, value in over.items():
        path = (*prefix, str(key))
        current = merged.get(key)
        if isinstance(value, Mapping) and current is None:
            current = walk(path, "")[1]
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            merged[key] = deep_merge(current, value, path)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def read_yaml(path: Path, label: str, problems: list[str]) -> dict[str, Any] | None:
    """A YAML file holding a mapping, or None with the problem (prefixed by ``label``) added."""
    label = f"{label}: " if label else ""
    try:
        text = path.read_text(encoding="utf-8")
        data = parse_yaml(text)
    except FileNotFoundError:
        problems.append(f"{label}file not found ({path})")
        return None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, ...)
        line = text[: exc.position].count("\n") + 1
        problems.append(f"{label}not valid YAML: line {line}: {exc.reason} ({exc.character!r})")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(f"{label}not valid YAML: {where}{problem}")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{label}cannot read ({exc})")
        return None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(f"{label}expected a mapping, got {type(data).__name__}")
        return None
    return data


def _layer(
    raw: dict[str, Any],
    overrides: Sequence[str],
    override_files: Sequence[str | Path],
    problems: list[str],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Override files (deep merge, every path checked), then ``--set``; and who set what
    (dotted path -> override file or ``--set`` text)."""
    sources: dict[str, str] = {}
    for file in override_files:
        path = Path(file)
        data = read_yaml(path, str(path), problems)
        if data is None:
            continue
        bad = False
        for parts in _leaf_paths(data):
            try:
                walk(parts, str(path))
            except InputError as exc:
                problems.append(str(exc))
                bad = True
            else:
                sources[".".join(parts)] = str(path)
        if not bad:
            raw = deep_merge(raw, data)
    for text in overrides:
        try:
            raw = apply_overrides(raw, [text])
        except InputError as exc:
            problems.append(str(exc))
        else:
            sources[text.partition("=")[0].strip()] = f"--set {text}"
    return raw, sources


def assemble_settings(
    folder: Path,
    overrides: Sequence[str],
    override_files: Sequence[str | Path],
    problems: list[str],
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """scenario.yaml, then override files (deep merge), then ``--set``; and who set what
    (dotted path -> override file or ``--set`` text). None when scenario.yaml is unusable."""
    raw = read_yaml(folder / SCENARIO_FILE, SCENARIO_FILE, problems)
    if raw is None:  # reported; the tables are still checked with default settings
        return None, {}
    kept = []
    for text in overrides:
        reason = builder_setting_problem(text.partition("=")[0], folder)
        if reason and _settable(text):  # else _layer names the bad or renamed path
            problems.append(f"--set {text}: {reason}")
        else:
            kept.append(text)
    return _layer(raw, kept, override_files, problems)


def _settable(text: str) -> bool:
    """Whether the override ``text`` names a path of the schema (its value unchecked)."""
    try:
        parts, value = _parse_override(text)
        walk(parts, "", value)
    except InputError:
        return False
    return True


def _merged(files: Sequence[Path], problems: list[str]) -> dict[str, Any]:
    """YAML files, each deep-merged over the one before."""
    raw: dict[str, Any] = {}
    for path in files:
        data = read_yaml(Path(path), str(path), problems)
        if data is not None:
            raw = deep_merge(raw, data)
    return raw


def layered_settings(
    files: Sequence[Path], override_files: Sequence[str | Path], problems: list[str]
) -> dict[str, Any]:
    """Layered YAML files, then override files, not validated (what ``--set`` overrides are
    checked against); problems are added to ``problems``."""
    return _layer(_merged(files, problems), (), override_files, problems)[0]


def settings_from_files(
    files: Sequence[Path], overrides: Sequence[str] = (), override_files: Sequence[str | Path] = ()
) -> ScenarioConfig:
    """Settings from layered YAML files (each deep-merged over the one before, e.g. a sourced
    cost file under a scenario file), then override files and ``--set``; one ScenarioError
    listing every problem."""
    problems: list[str] = []
    raw, sources = _layer(_merged(files, problems), overrides, override_files, problems)
    config, _ = validate_settings(raw, sources, problems)
    if problems or config is None:
        raise ScenarioError(str(files[-1]), problems or ["invalid settings"])
    return config


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def error_source(loc: str, sources: Mapping[str, str]) -> str:
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


def _keys_at(parts: Sequence[str]) -> str:
    try:
        return keys_text(walk(parts, "")[0])
    except InputError:
        return ""


def _validation_problems(exc: ValidationError, sources: Mapping[str, str]) -> list[str]:
    """One ``scenario.yaml: field a.b: message`` line per pydantic error; an old name is named
    with its new one (:mod:`optimizer.scenario.renames`), and the new one is not also reported
    missing."""
    problems = []
    errors = exc.errors()
    given_as_old = set()
    for err in errors:
        parts = [str(p) for p in err["loc"]]
        renamed = setting_renamed(parts) if err["type"] == "extra_forbidden" else None
        if renamed:
            given_as_old.add(renamed.split()[1])
    for err in errors:
        parts = [str(p) for p in err["loc"]]
        if err["type"] == "missing" and ".".join(parts) in given_as_old:
            continue
        unknown_key = err["type"] == "extra_forbidden" or parts[-1:] == ["[key]"]
        if parts[-1:] == ["[key]"]:  # a key outside a mapping's fixed keys
            parts.pop()
        loc = ".".join(parts)
        renamed = setting_renamed(parts, err.get("input")) if unknown_key else None
        if renamed:
            message = renamed
        elif unknown_key:
            keys = _keys_at(parts[:-1])
            message = f"unknown key; valid keys here: {keys}" if keys else "unknown key"
        elif err["type"] == "missing":
            message = "required field is missing"
        else:
            message = err["msg"].removeprefix("Value error, ")
            value = err.get("input")
            if isinstance(value, (str, int, float, bool)) or value is None:
                shown = repr(value)
                message += f" (got {shown if len(shown) <= 60 else shown[:57] + '...'})"
        where = f"field {loc}" if loc else "top level"
        problems.append(f"{error_source(loc, sources)}: {where}: {message}")
    return problems


def validate_settings(
    raw: Mapping[str, Any] | ScenarioConfig | None, sources: Mapping[str, str], problems: list[str]
) -> tuple[ScenarioConfig | None, ScenarioConfig]:
    """The validated settings (or None), and a best-effort version to check the tables with:
    each valid section as given, the others at their defaults."""
    if isinstance(raw, ScenarioConfig):
        return raw, raw
    if raw is not None:  # None: scenario.yaml unreadable (already reported)
        try:
            config = ScenarioConfig.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_validation_problems(exc, sources))
        else:
            return config, config
    raw = raw or {}
    sections = {}
    for name, info in ScenarioConfig.model_fields.items():
        model = info.annotation
        if name == "training" or not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        try:
            sections[name] = model.model_validate(raw.get(name) or {})
        except ValidationError:
            sections[name] = model()
    fallback = ScenarioConfig.model_construct(
        name=str(raw.get("name") or "?"), description="", training=None, **sections
    )
    return None, fallback


def config_value(config: ScenarioConfig, dotted: str) -> Any:
    """The setting at a dotted path (``inference.latency_max_ms``)."""
    value: Any = config
    for part in dotted.split("."):
        value = getattr(value, part)
    return value
