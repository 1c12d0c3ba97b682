"""Settings of a built scenario file (``data/scenarios/us-default.yaml``) and its build key.

A built scenario file holds settings only; its tables are built from the public data. Its
settings are the sourced cost file (``data/costs/us_default_costs.yaml``), the scenario file
merged over it, then override files and ``--set`` overrides.

The *build key* names what the expensive part of building depends on (sites, latency,
representative days and the full-year series): the ``build`` section, the ``latency`` section
and ``inference.latency_max_ms`` (metros out of reach are left out), the dcsite version, and a
digest of what the builder is made of: the package's source files and the tables we author in
``data/`` (a changed table or source file gives a new key, never a stale shared build). Scenarios
with the same key share one build (:mod:`.cache`).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

from optimizer.errors import InputError
from optimizer.inputs.project import PROJECT_DATA_DIR
from optimizer.scenario import ScenarioConfig, settings_from_files
from optimizer.scenario.settings import layered_settings

DEFAULT_SCENARIO = PROJECT_DATA_DIR / "scenarios" / "us-default.yaml"
DEFAULT_COSTS = PROJECT_DATA_DIR / "costs" / "us_default_costs.yaml"
NO_BUILD = "the US scenario builder needs a build: section in the scenario"


def load_us_config(
    path: str | Path = DEFAULT_SCENARIO,
    overrides: Sequence[str] = (),
    override_files: Sequence[str | Path] = (),
) -> ScenarioConfig:
    """The settings of a built scenario: the sourced cost file, the scenario file merged over
    it, then override files and ``--set`` overrides; every problem reported at once."""
    return settings_from_files([DEFAULT_COSTS, Path(path)], overrides, override_files)


def us_settings(
    path: str | Path, override_files: Sequence[str | Path], problems: list[str]
) -> dict[str, Any]:
    """The unvalidated settings of a built scenario file with its override files (what sweep
    overrides are checked against); problems are added to ``problems``."""
    return layered_settings([DEFAULT_COSTS, Path(path)], override_files, problems)


SOURCES = Path(__file__).parents[2]
"""The optimizer package: its source files (``*.py``) are part of every build key."""


@functools.cache
def builder_digest() -> str:
    """SHA-256 (hex) of the optimizer package's source files (the builder and what it calls)
    and every table in ``data/`` (not the scenario and sweep files, which reach the key as
    settings)."""
    tables = [
        p
        for p in PROJECT_DATA_DIR.rglob("*")
        if p.is_file()
        and p.suffix in (".csv", ".yaml")
        and p.relative_to(PROJECT_DATA_DIR).parts[0] not in ("scenarios", "sweeps")
    ]
    digest = hashlib.sha256()
    for path in sorted(SOURCES.rglob("*.py")) + sorted(tables):
        name = str(path.relative_to(SOURCES.parent))
        digest.update(name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_key(config: ScenarioConfig) -> str:
    """SHA-256 (hex) of every setting the builder's expensive stages read (module docstring)."""
    if config.build is None:
        raise InputError(NO_BUILD)
    read = {
        "build": config.build.model_dump(mode="json"),
        "latency": config.latency.model_dump(mode="json"),
        "latency_max_ms": config.inference.latency_max_ms,
        "dcsite": version("dcsite"),
        "builder": builder_digest(),
    }
    return hashlib.sha256(json.dumps(read, sort_keys=True).encode("utf-8")).hexdigest()
