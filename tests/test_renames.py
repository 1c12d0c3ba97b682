"""Old names in user files are refused with their new name (:mod:`optimizer.scenario.renames`):
settings in scenario.yaml, ``--set`` and sweep override paths, table columns and table files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from optimizer.batch import SweepError, sweep_from_dict
from optimizer.errors import InputError
from optimizer.scenario import check_scenario
from optimizer.scenario.renames import COLUMNS, FILES, SETTINGS
from optimizer.scenario.schema import walk
from optimizer.scenario.tables import TABLES

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "scenarios"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(EXAMPLES / "tiny", folder)
    return folder


def _edit_yaml(folder: Path, edit) -> None:
    path = folder / "scenario.yaml"
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_the_rename_table_names_real_new_names_and_no_old_ones():
    for rename in SETTINGS:
        new = rename.new.replace(".N.", ".0.").split(".")
        walk(new, "test")  # the new path exists
        with pytest.raises(InputError, match="renamed"):
            walk(rename.old.replace(".N.", ".0.").split("."), "test")
        assert rename.new.endswith("_pct") == rename.pct
    for key, renames in COLUMNS.items():
        for rename in renames:
            assert rename.new in TABLES[key].names and rename.old not in TABLES[key].names
            assert rename.new.endswith("_pct") == rename.pct
    assert {r.new for r in FILES} <= {f"{key}.csv" for key in TABLES}


def test_old_setting_in_scenario_yaml_names_the_new_one(tiny):
    def old_names(d: dict) -> None:
        d["finance"]["debt_share"] = d["finance"].pop("debt_share_pct") / 100
        d["finance"]["tenants"][0]["share"] = d["finance"]["tenants"][0].pop("share_pct") / 100
        d["solver"]["mip_rel_gap"] = 0.001

    _edit_yaml(tiny, old_names)
    problems = check_scenario(tiny)
    assert (
        "scenario.yaml: field finance.debt_share: renamed finance.debt_share_pct "
        "(a percentage: 60 for 0.6)"
    ) in problems
    assert (
        "scenario.yaml: field finance.tenants.0.share: renamed finance.tenants.0.share_pct "
        "(a percentage: 70 for 0.7)"
    ) in problems
    assert (
        "scenario.yaml: field solver.mip_rel_gap: renamed solver.mip_gap_pct "
        "(a percentage: 0.1 for 0.001)"
    ) in problems
    # the new name is not reported missing as well
    assert not any("share_pct: required field is missing" in p for p in problems), problems


def test_old_build_and_tables_settings_name_the_new_ones(tiny):
    def old_names(d: dict) -> None:
        d["storage"] = {"charge_efficiency": 0.95, "discharge_efficiency": 0.9}
        d["tables"] = {"headroom": "headroom.csv"}

    _edit_yaml(tiny, old_names)
    problems = check_scenario(tiny)
    assert (
        "scenario.yaml: field storage.charge_efficiency: renamed storage.charge_efficiency_pct "
        "(a percentage: 95 for 0.95)"
    ) in problems
    assert (
        "scenario.yaml: field storage.discharge_efficiency: renamed "
        "storage.discharge_efficiency_pct (a percentage: 90 for 0.9)"
    ) in problems
    assert "scenario.yaml: field tables.headroom: renamed tables.stranded" in problems


def test_old_path_in_set_override_names_the_new_one(tiny):
    problems = check_scenario(tiny, ["finance.debt_share=0.65", "build.headroom_share=0.5"])
    assert problems == [
        "--set finance.debt_share=0.65: field finance.debt_share: renamed "
        "finance.debt_share_pct (a percentage: 65 for 0.65)",
        "--set build.headroom_share=0.5: field build.headroom_share: renamed "
        "build.stranded_share_pct (a percentage: 50 for 0.5)",
    ]


def test_old_path_in_sweep_names_the_new_one():
    data = {
        "base": str(EXAMPLES / "tiny"),
        "grid": {"finance.debt_share": [0.5, 0.6]},
        "solver": {"mip_rel_gap": 0.01},
    }
    with pytest.raises(SweepError) as info:
        sweep_from_dict(data, source="s.yaml")
    message = str(info.value)
    assert "field finance.debt_share: renamed finance.debt_share_pct (a percentage" in message
    assert (
        "field solver.mip_rel_gap: renamed solver.mip_gap_pct (a percentage: 1 for 0.01)" in message
    )


def test_old_column_names_the_new_one(tiny):
    path = tiny / "regions.csv"
    path.write_text(path.read_text().replace("stranded_share_pct", "headroom_share", 1))
    path = tiny / "stranded.csv"
    path.write_text(path.read_text().replace("stranded_mw", "headroom_mw", 1))
    problems = check_scenario(tiny)
    assert "regions.csv: column headroom_share: renamed stranded_share_pct (a percentage)" in (
        problems
    )
    assert "stranded.csv: column headroom_mw: renamed stranded_mw" in problems


def test_old_table_file_names_the_new_one(tiny):
    (tiny / "stranded.csv").rename(tiny / "headroom.csv")
    problems = check_scenario(tiny)
    assert problems[0] == "headroom.csv: renamed stranded.csv (column stranded_mw)", problems
    assert not any("file not found" in p for p in problems), problems
