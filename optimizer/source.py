"""What a run starts from: a scenario folder (``scenario.yaml`` and its tables) or a built
scenario file (settings only, such as ``data/scenarios/us-default.yaml``: the tables are built
from the public data), with override files and then ``--set`` overrides layered over it.

:class:`Source` only names and checks settings; :func:`optimizer.pipeline.prepare` turns it
into a scenario ready to solve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer.builders.us.settings import load_us_config, us_settings
from optimizer.scenario import SCENARIO_FILE, ScenarioConfig, load_scenario
from optimizer.scenario.settings import layered_settings


@dataclass(frozen=True)
class Source:
    """A scenario folder or a built scenario file, with its overrides (picklable)."""

    path: Path
    overrides: tuple[str, ...] = ()
    """``PATH=VALUE`` settings, applied last (as ``--set``)"""
    override_files: tuple[Path, ...] = ()
    """YAML files merged over the settings before ``overrides`` (as ``--override-file``)"""

    @classmethod
    def of(
        cls,
        path: str | Path,
        overrides: Sequence[str] = (),
        override_files: Sequence[str | Path] = (),
    ) -> Source:
        """A source from the arguments of ``dcsite run``."""
        return cls(Path(path), tuple(overrides), tuple(Path(f) for f in override_files))

    @property
    def built(self) -> bool:
        """Whether this is a built scenario file (else a scenario folder)."""
        return self.path.is_file()

    def config(self) -> ScenarioConfig:
        """The validated settings; a scenario folder's tables are checked too. Raises one
        :class:`~optimizer.errors.ScenarioError` listing every problem."""
        if self.built:
            return load_us_config(self.path, self.overrides, self.override_files)
        return load_scenario(self.path, self.overrides, self.override_files).config

    def settings(self, problems: list[str]) -> dict[str, Any]:
        """The settings before ``overrides``, not validated (what overrides are checked
        against); problems reading them are added to ``problems``."""
        if self.built:
            return us_settings(self.path, self.override_files, problems)
        return layered_settings([self.path / SCENARIO_FILE], self.override_files, problems)
