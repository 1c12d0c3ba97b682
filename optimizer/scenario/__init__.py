"""The scenario format: a folder with ``scenario.yaml`` and CSV tables, validated and typed.

A scenario folder holds

* ``scenario.yaml``: the settings (:class:`ScenarioConfig`: training target, costs, financing,
  storage, latency, solver, table file names, and the US scenario builder's ``build``
  settings), validated by pydantic; unknown keys are errors;
* ``sites.csv``, ``metros.csv``, ``regions.csv``, ``timesteps.csv``, ``stranded.csv``, and
  optionally ``prices.csv``, ``latency.csv``, ``inference_profiles.csv`` and
  ``year_weights.csv`` (steps standing for several weather years) (columns in
  :data:`TABLES`; ``dcsite scenario schema`` prints every field and column with its type,
  default, bounds and meaning).

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

Modules, one job each:

* :mod:`~optimizer.scenario.config`: the settings models;
* :mod:`~optimizer.scenario.tables`: the table columns (:data:`TABLES`);
* :mod:`~optimizer.scenario.schema`: settable paths and :func:`schema_text`;
* :mod:`~optimizer.scenario.settings`: ``scenario.yaml``, override files and ``--set``;
* :mod:`~optimizer.scenario.read`: CSV files to text frames with file line numbers;
* :mod:`~optimizer.scenario.clean`: typed columns, defaults, per-cell problems;
* :mod:`~optimizer.scenario.checks`: checks across tables, admissible site-metro pairs;
* :mod:`~optimizer.scenario.load`: :class:`Scenario` and the entry points.
"""

from optimizer.builders.us.config import CampusClass, CampusClassConfig, UsBuildConfig
from optimizer.errors import ScenarioError
from optimizer.scenario.config import (
    CostsConfig,
    FinanceConfig,
    InferenceConfig,
    LatencyConfig,
    ScenarioConfig,
    SolverConfig,
    StorageConfig,
    TablesConfig,
    TenantConfig,
    TrainingConfig,
)
from optimizer.scenario.load import (
    MAX_PROBLEMS_IN_MESSAGE,
    Scenario,
    check_scenario,
    load_scenario,
    scenario_from_frames,
)
from optimizer.scenario.schema import schema_text
from optimizer.scenario.settings import SCENARIO_FILE, apply_overrides, settings_from_files
from optimizer.scenario.tables import FREE_TEXT_COLUMNS, TABLES, Column, TableSpec

__all__ = [
    "FREE_TEXT_COLUMNS",
    "MAX_PROBLEMS_IN_MESSAGE",
    "SCENARIO_FILE",
    "TABLES",
    "CampusClass",
    "CampusClassConfig",
    "Column",
    "CostsConfig",
    "FinanceConfig",
    "InferenceConfig",
    "LatencyConfig",
    "Scenario",
    "ScenarioConfig",
    "ScenarioError",
    "SolverConfig",
    "StorageConfig",
    "TableSpec",
    "TablesConfig",
    "TenantConfig",
    "TrainingConfig",
    "UsBuildConfig",
    "apply_overrides",
    "check_scenario",
    "load_scenario",
    "scenario_from_frames",
    "schema_text",
    "settings_from_files",
]
