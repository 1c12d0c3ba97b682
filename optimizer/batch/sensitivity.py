"""What drives the answer: each key input moved to a low and a high value, one at a time.

```python
from optimizer.batch.sensitivity import run_sensitivity

result = run_sensitivity("data/scenarios/tiny", "data/sensitivity/tiny.yaml", "runs/tiny-sens",
                         workers=2)
result.tornado          # one row per input, largest swing of total cost first
result.campus_mw_by_ba  # campus MW per region (BA) of every run and its shift from the base
```

:func:`plan_sensitivity` checks the preset (:mod:`optimizer.batch.preset`) against the base
scenario and turns it into a sweep: the run ``base`` (the scenario with the ``--set``
overrides) and, per input, ``<input>-low`` and ``<input>-high`` (the overrides plus the input's
setting at that value). :func:`run_sensitivity` runs that sweep with the batch engine
(:func:`optimizer.batch.run_sweep`: local worker processes or a Dask cluster, ``resume``,
atomic run folders, one shared build per build key) into a folder of kind ``sensitivity``, and
then writes, beside the batch engine's own files,

* ``tornado.csv`` and ``tornado.png`` (:mod:`optimizer.batch.tornado`,
  :mod:`optimizer.export.tornado`);
* ``campus_mw_by_ba.csv``: campus MW per region of every run and its shift from the base;
* ``sensitivity.json``: the base scenario, overrides and the preset's inputs.

A run that fails or stops at its time limit is a row with its status, never dropped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.atomic import atomic_path
from optimizer.batch.engine import run_sweep
from optimizer.batch.preset import SIDES, Preset, load_preset
from optimizer.batch.sweep import Sweep, sweep_from_dict
from optimizer.batch.tornado import BASE_RUN, campus_shift_table, run_name, tornado_table
from optimizer.builders.us.settings import DEFAULT_SCENARIO
from optimizer.errors import InputError
from optimizer.export.tornado import plot_tornado
from optimizer.inputs.project import PROJECT_DATA_DIR
from optimizer.scenario.settings import parse_override
from optimizer.source import Source

DEFAULT_PRESET = PROJECT_DATA_DIR / "sensitivity" / "us-default.yaml"
"""The documented ranges for the default US scenario."""
PLAN_FILE = "sensitivity.json"
TORNADO_FILES = ("tornado.csv", "tornado.png")
SHIFT_FILE = "campus_mw_by_ba.csv"
FILES = (PLAN_FILE, *TORNADO_FILES, SHIFT_FILE)
"""What a sensitivity writes beside the batch engine's files."""


@dataclass(frozen=True)
class SensitivityPlan:
    """A checked sensitivity: the base, the preset, the sweep that runs it, and each input's
    value in the base."""

    base: Source
    preset: Preset
    sweep: Sweep
    base_values: dict[str, Any]

    def run_names(self) -> list[str]:
        """Every run, in order: the base, then each input low and high."""
        return [BASE_RUN, *(run_name(i, s) for i in self.preset.inputs for s in SIDES)]


@dataclass
class SensitivityResult:
    """What :func:`run_sensitivity` returns: its tables and where they are."""

    tornado: pd.DataFrame
    campus_mw_by_ba: pd.DataFrame
    summary: pd.DataFrame
    """the batch summary table (one row per run, :func:`optimizer.batch.collect_summary`)"""
    out_dir: Path


def _setting_value(config: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of settings dumped to plain data (None where absent)."""
    node: Any = config
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, Mapping):
            node = node.get(part)
        else:
            return None
    return node


def plan_sensitivity(
    scenario: str | os.PathLike[str] | None = None,
    preset: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    overrides: Sequence[str] = (),
    override_files: Sequence[str | os.PathLike[str]] = (),
) -> SensitivityPlan:
    """Check a sensitivity before anything runs and turn it into a sweep.

    Args:
        scenario: a scenario folder or a built scenario file (default: the default US
            scenario, ``data/scenarios/us-default.yaml``).
        preset: a preset file or mapping (default: ``data/sensitivity/us-default.yaml``).
        overrides: ``PATH=VALUE`` settings applied to the base and every run (as ``--set``).
        override_files: YAML files merged over the base settings (as ``--override-file``).

    Raises an :class:`~optimizer.errors.InputError` naming every problem of the scenario, the
    overrides or the preset (file and field).
    """
    path = Path(os.path.abspath(scenario if scenario is not None else DEFAULT_SCENARIO))
    files = [Path(os.path.abspath(f)) for f in override_files]
    base = Source.of(path, overrides, files)
    config = base.config()  # every problem of the scenario and the overrides first
    if preset is None and not base.built:
        raise InputError(
            f"--preset: the default preset {DEFAULT_PRESET.name} is for the default US scenario;"
            f" give a preset for the scenario folder {scenario} (data/sensitivity/README.md; "
            "data/sensitivity/tiny.yaml for tiny)"
        )
    preset_path = preset if preset is not None else DEFAULT_PRESET
    checked = load_preset(preset_path, base)
    common = dict(parse_override(text) for text in overrides)
    variants = [{"name": BASE_RUN, "set": common}]
    for item in checked.inputs:
        for side in SIDES:
            variants.append({"name": run_name(item, side),
                             "set": {**common, item.setting: item.value(side)}})  # fmt: skip
    data = {
        "description": checked.description,
        "base": str(path),
        "override_files": [str(f) for f in files],
        "variants": variants,
        "solver": checked.solver,
        "exports": checked.exports,
    }
    source = checked.source if isinstance(preset_path, Mapping) else str(Path(preset_path))
    sweep = sweep_from_dict(data, ".", source)
    dumped = config.model_dump(mode="json")
    values = {item.name: _setting_value(dumped, item.setting) for item in checked.inputs}
    return SensitivityPlan(base, checked, sweep, values)


def sensitivity_tables(
    out_dir: str | os.PathLike[str], plan: SensitivityPlan
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tornado and the campus MW shift table of the runs of ``plan`` in ``out_dir``
    (:mod:`optimizer.batch.tornado`), read from the run folders."""
    inputs = plan.preset.inputs
    return tornado_table(out_dir, inputs, plan.base_values), campus_shift_table(out_dir, inputs)


def write_sensitivity(
    out_dir: str | os.PathLike[str], plan: SensitivityPlan
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write ``sensitivity.json``, ``tornado.csv``, ``tornado.png`` and ``campus_mw_by_ba.csv``
    into the sensitivity folder ``out_dir`` (each atomically); the tornado and shift tables."""
    out = Path(out_dir)
    tornado, shifts = sensitivity_tables(out, plan)
    record = {
        "scenario": str(plan.base.path),
        "overrides": list(plan.base.overrides),
        "override_files": [str(f) for f in plan.base.override_files],
        "preset": plan.preset.source,
        "description": plan.preset.description,
        "solver": plan.preset.solver,
        "inputs": [
            {**asdict(item), "base_value": plan.base_values[item.name]}
            for item in plan.preset.inputs
        ],
        "runs": plan.run_names(),
    }
    with atomic_path(out / PLAN_FILE) as tmp:
        tmp.write_text(json.dumps(record, indent=2, default=str))
    with atomic_path(out / TORNADO_FILES[0]) as tmp:
        tornado.to_csv(tmp, index=False)
    plot_tornado(tornado, out / TORNADO_FILES[1])
    with atomic_path(out / SHIFT_FILE) as tmp:
        shifts.to_csv(tmp, index=False)
    return tornado, shifts


def run_sensitivity(
    scenario: str | os.PathLike[str] | None,
    preset: str | os.PathLike[str] | Mapping[str, Any] | None,
    out_dir: str | os.PathLike[str],
    overrides: Sequence[str] = (),
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = True,
    data_dir: str | os.PathLike[str] | None = None,
    override_files: Sequence[str | os.PathLike[str]] = (),
) -> SensitivityResult:
    """Run the base and each input of ``preset`` low and high (module docstring) into
    ``out_dir`` and write the tornado and the campus MW shifts.

    Args:
        scenario: a scenario folder or a built scenario file (None: the default US scenario).
        preset: a preset file or mapping (None: ``data/sensitivity/us-default.yaml``).
        out_dir: the sensitivity folder: new, empty, or one a sensitivity wrote (never a folder
            holding other files).
        overrides: ``PATH=VALUE`` settings applied to the base and every run.
        workers, scheduler, resume, progress, data_dir: as :func:`optimizer.batch.run_sweep`.
        override_files: YAML files merged over the base settings.

    Returns:
        A :class:`SensitivityResult` (a run without a solution is a row with its status). Bad
        input raises an :class:`~optimizer.errors.InputError` before anything runs.

    Local workers are new processes: a script that calls this must do so under
    ``if __name__ == "__main__":``.
    """
    plan = plan_sensitivity(scenario, preset, overrides, override_files)
    summary = run_sweep(
        plan.sweep,
        out_dir,
        workers=workers,
        scheduler=scheduler,
        resume=resume,
        progress=progress,
        data_dir=data_dir,
        kind="sensitivity",
        files=FILES,
    )
    tornado, shifts = write_sensitivity(out_dir, plan)
    return SensitivityResult(tornado, shifts, summary, Path(out_dir).absolute())
