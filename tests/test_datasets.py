"""Data loaders on the real files, and each bad-data case ending in its one-line error."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shutil
from pathlib import Path

import pytest

import optimizer.inputs as ds
from optimizer.cli import main
from optimizer.errors import DataError
from optimizer.inputs import registry as reg

LOADERS = [name for name in ds.__all__ if name.startswith("load_")]


@pytest.mark.realdata
def test_every_registered_file_checks_ok(data_dir):
    report = ds.check_all(data_dir)
    assert len(report) == len(reg.REGISTRY)
    assert [status for _, status in report] == ["OK"] * len(report)


@pytest.mark.realdata
@pytest.mark.parametrize("loader", LOADERS)
def test_loader_returns_tidy_frame(data_dir, loader):
    result = getattr(ds, loader)(data_dir)
    frames = result.values() if isinstance(result, dict) else [result]
    for frame in frames:
        if hasattr(frame, "number_of_nodes"):  # a backbone graph
            assert frame.number_of_nodes() > 5
            for _, attrs in frame.nodes(data=True):
                assert -180 <= attrs["lon"] <= 180 and -90 <= attrs["lat"] <= 90
            continue
        assert len(frame) > 0
        if hasattr(frame, "geometry") and "geometry" in frame.columns:
            assert frame.crs.to_epsg() == 4326
            assert all(geom is not None for geom in frame.geometry)
            minx, miny, maxx, maxy = frame.total_bounds
            assert -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90


@pytest.mark.realdata
def test_specific_shapes_and_units(data_dir):
    load = ds.load_ba_load_mw(data_dir)
    assert load.shape == (78912, 22) and str(load.index.tz) == "UTC"
    assert (load.to_numpy() > 0).all()
    metros = ds.load_metros(data_dir)
    assert metros["pop_2023"].is_monotonic_decreasing
    assert metros.loc[0, "principal_city"] == "New York City"
    assert all(len(f) == 5 for f in metros.loc[0, "county_fips"])
    plants = ds.load_power_plants(data_dir)
    assert len(plants) == 11879 - 33 and plants["capacity_mw"].sum() > 1.1e6
    lines = ds.load_transmission_lines(data_dir)
    assert set(lines["volt_class"]) == {"220-287", "345", "500", "735 AND ABOVE", "DC"}
    assert lines.loc[lines["is_dc"], "voltage_kv_min"].isna().all()
    assert set(ds.load_ba_polygons(data_dir)["ba"]) >= set(load.columns)
    county_ba = ds.load_county_ba(data_dir)
    assert county_ba["county_fips"].str.len().eq(5).all()
    queue = ds.load_interconnection_queue(data_dir)
    assert str(queue["q_date"].dtype).startswith("datetime64")
    assert queue["q_date"].notna().mean() > 0.95
    zones = ds.load_reeds_zones(data_dir)
    assert len(zones) == 134 and zones.crs.to_epsg() == 4326
    assert -125 < zones.total_bounds[0] < -120  # reprojected from EPSG:3857 to degrees


# ---- bad data: each case ends in a one-line DataError naming the file --------------------------


@pytest.fixture
def tiny_csv(tmp_path: Path) -> tuple[Path, reg.DataFile]:
    path = tmp_path / "sub" / "table.csv"
    path.parent.mkdir()
    path.write_text("a,b\n1,2\n")
    entry = reg.DataFile(
        "sub/table.csv", hashlib.sha256(path.read_bytes()).hexdigest(), ("a", "b"), "csv", "test"
    )
    return tmp_path, entry


def _one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_missing_directory(tmp_path):
    with pytest.raises(DataError) as exc:
        ds.load_ba_load_mw(tmp_path / "nope")
    assert "does not exist" in _one_line(exc) and "DCSITE_DATA" in _one_line(exc)
    with pytest.raises(DataError, match="no data directory given"):
        ds.load_metros(None)


def test_missing_file(tmp_path):
    with pytest.raises(DataError) as exc:
        ds.load_metros(tmp_path)
    assert _one_line(exc).startswith("census/cbsa_metros_pop2023.csv: missing from data directory")


def test_wrong_checksum(tiny_csv):
    root, entry = tiny_csv
    (root / entry.path).write_text("a,b\n1,3\n")
    with pytest.raises(DataError) as exc:
        reg.check_file(root, entry)
    assert _one_line(exc).startswith("sub/table.csv: checksum mismatch")


def test_missing_column(tiny_csv):
    root, entry = tiny_csv
    needs_c = dataclasses.replace(entry, columns=("a", "b", "c"))
    with pytest.raises(DataError) as exc:
        reg.check_file(root, needs_c)
    assert _one_line(exc).startswith("sub/table.csv: missing column(s) c")


def test_unreadable_file(tiny_csv):
    root, entry = tiny_csv
    parquet = dataclasses.replace(entry, fmt="parquet")
    with pytest.raises(DataError) as exc:
        reg.check_file(root, parquet)
    assert _one_line(exc).startswith("sub/table.csv: cannot be read")


def test_ok_file_passes(tiny_csv):
    root, entry = tiny_csv
    assert reg.check_file(root, entry) == root / entry.path


@pytest.mark.realdata
def test_real_file_with_a_dropped_column_and_a_changed_byte(data_dir, tmp_path):
    """A copy of the real metros file with one column removed, then one with a changed value."""
    import pandas as pd

    target = tmp_path / reg.METROS.path
    target.parent.mkdir(parents=True)
    pd.read_csv(data_dir / reg.METROS.path).drop(columns=["popw_lat"]).to_csv(target, index=False)
    with pytest.raises(DataError, match=r"cbsa_metros_pop2023.csv: missing column\(s\) popw_lat"):
        ds.load_metros(tmp_path)
    shutil.copy(data_dir / reg.METROS.path, target)
    with target.open("a") as handle:
        handle.write("\n")
    with pytest.raises(DataError, match="cbsa_metros_pop2023.csv: checksum mismatch"):
        ds.load_metros(tmp_path)


def test_cli_exit_code_2_and_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DCSITE_DATA", raising=False)
    assert main(["headroom", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("dcsite: error: no data directory given") and "\n" not in err
    assert main(["--data-dir", str(tmp_path), "data", "check"]) == 2
    out = capsys.readouterr().out
    assert re.search(r"census/cbsa_metros_pop2023.csv +missing from data directory", out)
    assert f"0 of {len(reg.REGISTRY)} files OK" in out
