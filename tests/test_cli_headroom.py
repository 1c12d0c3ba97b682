"""`dcsite headroom` and `dcsite data check` end to end on the real data."""

from __future__ import annotations

import pandas as pd
import pytest

from optimizer.cli import main
from optimizer.stranded.headroom import HEADROOM_COLUMNS

pytestmark = pytest.mark.realdata


def test_headroom_command_writes_csv_png_and_totals(data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["--data-dir", str(data_dir), "headroom", "--out", str(out)]) == 0
    table = pd.read_csv(out / "headroom.csv")
    assert list(table.columns) == HEADROOM_COLUMNS
    assert len(table) == 54 * 4 and sorted(table["limit_pct"].unique()) == [0.25, 0.5, 1.0, 5.0]
    assert (out / "headroom.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    total_line = next(line for line in printed.splitlines() if line.startswith("TOTAL"))
    totals = [int(x) for x in total_line.split()[1:]]
    expected = table.groupby("limit_pct")["headroom_mw"].sum().round().astype(int).tolist()
    assert totals == expected
    assert "PSEI: years 2016-2019, 2021-2024 only (load missing in 2020)" in printed


def test_headroom_leaves_out_a_ba_that_did_not_report(data_dir, tmp_path, capsys):
    out = tmp_path / "late"
    argv = ["headroom", "--data-dir", str(data_dir), "--bas", "NSB,ERCO", "--years", "2021-2024"]
    assert main([*argv, "--out", str(out)]) == 0
    assert pd.read_csv(out / "headroom.csv")["ba"].unique().tolist() == ["ERCO"]
    assert "left out, no load reported in 2021-2024: NSB" in capsys.readouterr().out
    assert main([*argv[:4], "NSB", *argv[5:], "--out", str(tmp_path / "none")]) == 2
    assert "no load of NSB in 2021-2024" in capsys.readouterr().err


def test_headroom_subset_of_bas_and_years(data_dir, tmp_path):
    out = tmp_path / "sub"
    argv = ["headroom", "--data-dir", str(data_dir), "--bas", "pjm,ERCO", "--limits", "1",
            "--years", "2020-2022", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    table = pd.read_csv(out / "headroom.csv")
    assert table["ba"].tolist() == ["PJM", "ERCO"] and table["limit_pct"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bas", "PJM,XYZ"], "unknown BA code(s) XYZ"),
        (["--years", "2022-2018"], "empty year range"),
        (
            ["--years", "1990-1991"],
            "outside the load record, which holds the complete years 2016-2024",
        ),
        (["--limits", "0,1"], "between 0 and 100"),
    ],
)
def test_headroom_bad_options(data_dir, tmp_path, capsys, args, message):
    argv = ["headroom", "--data-dir", str(data_dir), "--out", str(tmp_path), *args]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_data_check_lists_every_file(data_dir, capsys):
    assert main(["data", "check", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "eia930/ba22_load_mw_wide_2016_2024.parquet" in out
    assert out.strip().endswith("44 of 44 files OK")  # with the ReEDS non-AC links
