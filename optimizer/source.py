"""What a run starts from: a scenario folder (``scenario.yaml`` and its tables) or a built
scenario file (settings only, such as ``data/scenarios/us-default.yaml``: the tables are built
from the public data), with override files and then ``--set`` overrides layered over it.

:class:`Source` only names and checks settings; :func:`optimizer.pipeline.prepare` turns it
into a scenario ready to solve.

A run folder keeps the source it was solved from (:meth:`Source.record`), so that later
commands (``dcsite alternatives``) rebuild exactly the same model: its ``scenario/`` folder holds
a copy of the built scenario file, or of the scenario folder's files, the override files and
``source.json`` (the original paths and the ``--set`` overrides, in order).
:func:`recorded_source` reads it back as a :class:`Source` over those copies; a built scenario is
then built again from the same data directory, given by the caller.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer.builders.us.settings import load_us_config, us_settings
from optimizer.errors import InputError
from optimizer.results.folder import SCENARIO_DIR
from optimizer.scenario import SCENARIO_FILE, ScenarioConfig, load_scenario
from optimizer.scenario.settings import layered_settings

SOURCE_FILE = "source.json"
RECORD_VERSION = 1


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

    def record(self, folder: str | os.PathLike[str]) -> dict[str, Any]:
        """Copy this source into ``folder`` (created; see the module docstring) and return what
        ``source.json`` says: ``kind`` (``built`` or ``folder``), ``path`` (the copy, relative
        to ``folder``), ``original_path``, ``overrides``, ``override_files`` (the copies) and
        ``original_override_files``. A scenario folder's regular files are copied, not its
        subfolders (a scenario is ``scenario.yaml`` and its tables)."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        if self.built:
            copied = self.path.name
            shutil.copyfile(self.path, out / copied)
        else:
            copied = self.path.resolve().name or "scenario-folder"
            (out / copied).mkdir()
            for entry in sorted(self.path.iterdir()):
                if entry.is_file():
                    shutil.copyfile(entry, out / copied / entry.name)
        files = []
        for i, path in enumerate(self.override_files):
            name = f"override-{i + 1:02d}-{path.name}"
            shutil.copyfile(path, out / name)
            files.append(name)
        record = {
            "version": RECORD_VERSION,
            "kind": "built" if self.built else "folder",
            "path": copied,
            "original_path": str(self.path.absolute()),
            "overrides": list(self.overrides),
            "override_files": files,
            "original_override_files": [str(p.absolute()) for p in self.override_files],
        }
        (out / SOURCE_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")
        return record


def recorded_source(run_dir: str | os.PathLike[str]) -> Source:
    """The :class:`Source` a run folder was solved from, over the copies in its ``scenario/``
    folder (:meth:`Source.record`). An :class:`~optimizer.errors.InputError` for a folder
    without it (written before dcsite recorded it, or by ``run_scenario`` from a scenario in
    memory) or with a damaged record."""
    folder = Path(run_dir) / SCENARIO_DIR
    path = folder / SOURCE_FILE
    if not path.is_file():
        raise InputError(
            f"{run_dir}: the run folder does not record the scenario it was solved from (no "
            f"{SCENARIO_DIR}/{SOURCE_FILE}: written by an older dcsite, or from a scenario in "
            "memory); run the scenario again with dcsite run"
        )
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        copied = folder / record["path"]
        files = [folder / name for name in record["override_files"]]
        overrides = [str(o) for o in record["overrides"]]
        kind = record["kind"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: damaged ({type(exc).__name__}: {exc}); run again") from None
    wanted = copied.is_file() if kind == "built" else copied.is_dir()
    if not wanted or not all(f.is_file() for f in files):
        raise InputError(f"{path}: names files its folder lacks; run the scenario again")
    return Source(copied, tuple(overrides), tuple(files))
