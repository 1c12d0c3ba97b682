"""Nothing a user has is ever lost, and every bad input gets one clear line and exit code 2.

Each case of issue 9 is a test here: outputs that would destroy inputs, interrupted writes,
bad option values, damaged run folders and scenario files. Every command runs in this process
through ``optimizer.cli.main`` except where a real process is the point (a closed pipe, a
killed writer).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from optimizer.cli import main
from optimizer.inputs import registry as reg
from optimizer.outputs import MANIFEST_FILE, check_output, output_dir, record_files

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "data" / "scenarios" / "tiny"
US_DEFAULT = ROOT / "data" / "scenarios" / "us-default.yaml"
SWEEP = ROOT / "data" / "sweeps" / "tiny-variants.yaml"
DCSITE = [sys.executable, "-c", "import sys; from optimizer.cli import main; sys.exit(main())"]


def checksums(*paths: Path) -> dict[str, str]:
    """SHA-256 of every file under ``paths`` (files and folders), by path."""
    out = {}
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def one_error_line(capsys) -> str:
    """The single line a refused command printed on stderr (and that it printed only that)."""
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("dcsite"), lines[0]
    return lines[0]


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    """A copy of the tiny scenario folder with the user's own notes in it."""
    folder = tmp_path / "my-scenario"
    shutil.copytree(TINY, folder)
    (folder / "notes.md").write_text("my notes on this scenario\n")
    return folder


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    """A complete run folder of the tiny scenario (written once, copied by the tests)."""
    out = tmp_path_factory.mktemp("run") / "tiny"
    assert main(["run", str(TINY), "--out", str(out), "--quiet"]) == 0
    return out


# --------------------------------------------------------------------------------------------
# Outputs never destroy inputs
# --------------------------------------------------------------------------------------------


def test_run_into_its_own_scenario_folder_is_refused(scenario, capsys):
    before = checksums(scenario)
    assert main(["run", str(scenario), "--out", str(scenario), "--quiet"]) == 2
    assert "is " + str(scenario) + ", an input of this command" in one_error_line(capsys)
    assert checksums(scenario) == before


def test_out_on_a_folder_with_foreign_files_is_refused(scenario, tmp_path, capsys):
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter1.tex").write_text("\\chapter{Power}\n")
    before = checksums(thesis, scenario)
    assert main(["run", str(scenario), "--out", str(thesis), "--quiet"]) == 2
    line = one_error_line(capsys)
    assert "holds files dcsite did not write (chapter1.tex)" in line
    assert checksums(thesis, scenario) == before


@pytest.mark.parametrize("command", ["run", "batch", "headroom"])
def test_out_on_a_file_is_refused_by_every_command(command, scenario, tmp_path, capsys):
    target = tmp_path / "results.txt"
    target.write_text("a user's file\n")
    argv = {
        "run": ["run", str(scenario)],
        "batch": ["batch", str(SWEEP)],
        "headroom": ["headroom", "--data-dir", str(tmp_path)],
    }[command]
    assert main([*argv, "--out", str(target)]) == 2
    assert "is a file, not a folder dcsite wrote" in one_error_line(capsys)
    assert target.read_text() == "a user's file\n"


def test_out_dot_and_a_parent_of_the_scenario_are_refused(scenario, tmp_path, monkeypatch, capsys):
    before = checksums(tmp_path)
    monkeypatch.chdir(scenario)
    assert main(["run", ".", "--out", ".", "--quiet"]) == 2
    assert "--out .: is the current folder" in one_error_line(capsys)
    assert main(["run", ".", "--out", str(tmp_path), "--quiet"]) == 2
    assert f"is a parent of the current folder ({scenario})" in one_error_line(capsys)
    monkeypatch.chdir(ROOT)  # elsewhere: the parent of the scenario is refused for holding it
    assert main(["run", str(scenario), "--out", str(tmp_path), "--quiet"]) == 2
    assert f"holds {scenario}, an input of this command" in one_error_line(capsys)
    assert checksums(tmp_path) == before


def test_out_where_nothing_can_be_written(scenario, tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["run", str(scenario), "--out", str(blocker / "run"), "--quiet"]) == 2
    assert f"{blocker} is a file, not a folder" in one_error_line(capsys)

    locked = tmp_path / "locked"
    locked.mkdir()
    if os.geteuid() != 0:
        locked.chmod(0o555)
    else:  # root writes anywhere: make creating folders there fail as it does for a user

        def refuse(*args, dir=None, **kwargs):
            if dir is not None and Path(dir) == locked:
                raise PermissionError(13, "Permission denied")
            return real_mkdtemp(*args, dir=dir, **kwargs)

        real_mkdtemp = __import__("tempfile").mkdtemp
        monkeypatch.setattr("optimizer.outputs.tempfile.mkdtemp", refuse)
    try:
        assert main(["run", str(scenario), "--out", str(locked / "run"), "--quiet"]) == 2
        assert f"cannot write in {locked} (Permission denied)" in one_error_line(capsys)
    finally:
        locked.chmod(0o755)
    assert list(locked.iterdir()) == []


def test_rerun_replaces_only_its_own_folder(scenario, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == 0
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    assert manifest["kind"] == "run" and "summary.json" in manifest["files"]
    assert set(manifest["files"]) == {p.name for p in out.iterdir()}
    assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == 0  # replaced whole
    capsys.readouterr()
    (out / "my-analysis.ipynb").write_text("{}")  # the user adds their own work
    before = checksums(out)
    assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == 2
    assert "also holds files dcsite did not write (my-analysis.ipynb)" in one_error_line(capsys)
    assert checksums(out) == before


def test_a_folder_of_another_kind_is_refused(tmp_path):
    out = tmp_path / "heads"
    with output_dir(out, "headroom") as tmp:
        (tmp / "headroom.csv").write_text("ba\n")
    with pytest.raises(Exception, match="is a headroom folder, not a run folder"):
        check_output(out, "run")
    assert check_output(out, "headroom") == out


def test_export_writes_only_its_own_files(tiny_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    (run / "map.html").write_text("my own map")  # not the one dcsite wrote: unlisted
    manifest = json.loads((run / MANIFEST_FILE).read_text())
    manifest["files"].remove("map.html")
    (run / MANIFEST_FILE).write_text(json.dumps(manifest))
    before = checksums(run)
    assert main(["export", str(run)]) == 2
    assert "map.html not written by dcsite" in one_error_line(capsys)
    assert checksums(run) == before

    plain = tmp_path / "plain"
    plain.mkdir()
    shutil.copy(tiny_run / "summary.json", plain / "summary.json")
    assert main(["export", str(plain)]) == 2
    assert f"not a run folder written by dcsite (no {MANIFEST_FILE})" in one_error_line(capsys)
    assert sorted(os.listdir(plain)) == ["summary.json"]


def test_export_records_what_it_adds(tiny_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    (run / "map.html").unlink()
    manifest = json.loads((run / MANIFEST_FILE).read_text())
    manifest["files"].remove("map.html")
    (run / MANIFEST_FILE).write_text(json.dumps(manifest))
    assert main(["export", str(run), "--format", "html"]) == 0
    assert "map.html" in json.loads((run / MANIFEST_FILE).read_text())["files"]


# --------------------------------------------------------------------------------------------
# Interrupted writes
# --------------------------------------------------------------------------------------------

_KILLED_WRITER = """
import sys
from optimizer.outputs import output_dir
with output_dir(sys.argv[1], "run") as tmp:
    (tmp / "summary.json").write_text("{}")
    print("writing", flush=True)
    sys.stdin.read()  # until the test kills this process
"""


@pytest.mark.slow  # starts a process
def test_a_killed_run_leaves_a_temporary_folder_the_next_run_removes(scenario, tmp_path):
    out = tmp_path / "run"
    writer = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert writer.stdout.readline() == "writing\n"  # the event: inside the write
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    finally:
        writer.kill()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".run.")]
    assert len(leftovers) == 1 and leftovers[0].endswith(".tmp") and not out.exists()
    assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".run.")]
    assert (out / "summary.json").is_file()


@pytest.mark.slow  # starts a process
def test_a_terminated_run_removes_its_temporary_folder(scenario, tmp_path):
    """SIGTERM while the run folder is being written: the temporary folder goes with it."""
    out = tmp_path / "run"
    code = (
        "import os, signal, sys\n"
        "import optimizer.results as r\n"
        "real = r.Results.save\n"
        "def save(self, *a, **k):\n"  # terminate the process from inside the folder write
        "    extras = k.get('extras')\n"
        "    def kill(folder):\n"
        "        extras(folder)\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "    k['extras'] = kill\n"
        "    return real(self, *a, **k)\n"
        "r.Results.save = save\n"
        "from optimizer.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    env = dict(os.environ)
    if env.get("DCSITE_DATA"):  # the process runs elsewhere: a relative data path must hold
        env["DCSITE_DATA"] = str(Path(env["DCSITE_DATA"]).resolve())
    done = subprocess.run(
        [sys.executable, "-c", code, "run", str(scenario), "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 130, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last == "dcsite: interrupted; nothing is left half-written"
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".run.")]


def test_leftovers_of_a_live_writer_are_kept(tmp_path):
    from optimizer.atomic import remove_leftovers

    live = tmp_path / f".run.{os.getppid()}.abcd1234.tmp"  # our parent process is alive
    dead = tmp_path / ".run.2147483646.abcd1234.tmp"
    older = tmp_path / ".run.k2j3h4g5.tmp"  # older versions' names had no pid
    other = tmp_path / ".runs.1.abcd1234.tmp"  # another target's
    for path in (live, dead, older, other):
        path.mkdir()
    removed = remove_leftovers(tmp_path / "run")
    assert sorted(p.name for p in removed) == sorted([dead.name, older.name])
    assert live.exists() and other.exists()


# --------------------------------------------------------------------------------------------
# Bad option values: refused by the parser with the valid range
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--time-limit", "-1", "--time-limit -1: must be a number of seconds above 0"),
        ("--time-limit", "nan", "--time-limit nan: not a finite number"),
        ("--time-limit", "0", "--time-limit 0: must be a number of seconds above 0"),
        ("--gap-pct", "-1", "--gap-pct -1: must be a percentage from 0 up to 100"),
        ("--gap-pct", "nan", "--gap-pct nan: not a finite number"),
        ("--gap-pct", "100", "--gap-pct 100: must be a percentage from 0 up to 100, e.g. 1"),
        ("--threads", "0", "--threads 0: must be from 1 to"),
        ("--threads", "-4", "--threads -4: must be from 1 to"),
        ("--threads", "100000", "--threads 100000: must be from 1 to"),
        ("--threads", "two", "--threads two: not a number"),
        ("--gap", "0.01", "--gap 0.01: renamed --gap-pct, a percentage (--gap-pct 1 for a 1 %"),
    ],
)
def test_bad_option_values_are_refused(scenario, tmp_path, capsys, option, value, message):
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out), option, value]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"dcsite run: error: {message}"), line
    assert not out.exists()


@pytest.mark.parametrize("option", ["--gap-p", "--time-lim", "--thread"])
def test_abbreviated_options_are_refused(scenario, tmp_path, capsys, option):
    # a prefix must never silently stand for a longer option (the old --gap read as --gap-pct)
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out), option, "1"]) == 2
    assert f"unrecognized arguments: {option} 1" in one_error_line(capsys)
    assert not out.exists()


def test_bad_workers_refused(tmp_path, capsys):
    assert main(["batch", str(SWEEP), "--out", str(tmp_path / "b"), "--workers", "0"]) == 2
    assert "--workers 0: must be from 1 to" in one_error_line(capsys)


@pytest.mark.slow  # starts a process
def test_closed_pipe_ends_quietly(tmp_path):
    """Output into a pipe nobody reads (``dcsite ... | head`` after head exits)."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # no reader from the start: the first write fails, deterministically
    try:
        done = subprocess.run(
            [*DCSITE, "scenario", "schema"], stdout=write_end, stderr=subprocess.PIPE, text=True
        )
    finally:
        os.close(write_end)
    assert done.returncode == 141
    assert done.stderr == ""


# --------------------------------------------------------------------------------------------
# Damaged run folders
# --------------------------------------------------------------------------------------------


def test_export_of_a_damaged_run_folder(tiny_run, tmp_path, capsys):
    cases = {
        "summary": (
            lambda run: (run / "summary.json").write_text('{"status": "optimal", '),
            "summary.json: damaged (not JSON at line 1, column 23); rerun dcsite run",
        ),
        "sites": (
            lambda run: (run / "sites.csv").unlink(),
            "sites.csv is missing; the run folder is incomplete",
        ),
        "text": (
            lambda run: (run / "sites.csv").write_text(
                (tiny_run / "sites.csv").read_text().replace(",west,33.42,", ",west,north,", 1)
            ),
            "sites.csv: row 2, column lat: not a number: 'north'",
        ),
    }
    for name, (damage, message) in cases.items():
        run = tmp_path / name
        shutil.copytree(tiny_run, run)
        for geojson in run.glob("*.geojson"):
            geojson.unlink()
        damage(run)
        before = checksums(run)
        assert main(["export", str(run)]) == 2, name
        assert message in one_error_line(capsys), name
        assert checksums(run) == before, name


# --------------------------------------------------------------------------------------------
# Scenario files
# --------------------------------------------------------------------------------------------


def _set_name(folder: Path, text: str) -> None:
    path = folder / "scenario.yaml"
    lines = path.read_text().splitlines()
    lines = [f"name: {text}" if line.startswith("name:") else line for line in lines]
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    ("yaml_value", "message"),
    [
        ('"' + "x" * 300 + '"', "scenario name is longer than 200 characters"),
        ('".."', "scenario name '..' cannot be a folder name"),
        ('"a\\0b"', "scenario name 'a\\x00b' cannot be a folder name"),
        ('"runs/../../etc"', "cannot be a folder name"),
    ],
)
def test_scenario_name_that_is_not_a_file_name(scenario, capsys, yaml_value, message):
    _set_name(scenario, yaml_value)
    before = checksums(scenario)
    assert main(["run", str(scenario), "--quiet"]) == 2
    assert message in one_error_line(capsys)
    assert checksums(scenario) == before


def test_deeply_nested_yaml(scenario, capsys):
    path = scenario / "scenario.yaml"
    path.write_text(path.read_text() + "extra: " + "[" * 5000 + "]" * 5000 + "\n")
    assert main(["run", str(scenario), "--quiet"]) == 2
    assert "scenario.yaml: not valid YAML: nested too deeply to read" in one_error_line(capsys)


def test_duplicate_key_names_the_key_and_both_lines(scenario, capsys):
    path = scenario / "scenario.yaml"
    lines = path.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  target_mw:"))
    lines.insert(at + 2, "  target_mw: 400")
    path.write_text("\n".join(lines) + "\n")
    assert main(["run", str(scenario), "--quiet"]) == 2
    line = one_error_line(capsys)
    assert f"key 'target_mw' is given twice, on lines {at + 1} and {at + 3}" in line


def test_a_boolean_is_not_a_number(scenario, capsys):
    path = scenario / "scenario.yaml"
    text = path.read_text()
    path.write_text(text.replace("  target_mw: 200", "  target_mw: true", 1))
    assert main(["run", str(scenario), "--quiet"]) == 2
    line = one_error_line(capsys)
    assert "field training.target_mw: Input should be a valid number (got True)" in line


def test_nul_byte_in_a_csv(scenario, capsys):
    path = scenario / "sites.csv"
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b",", b",\0", 1)
    path.write_bytes(b"\n".join(lines))
    assert main(["run", str(scenario), "--quiet"]) == 2
    assert "sites.csv: line 3: holds a NUL byte" in one_error_line(capsys)


def test_unreadable_data_file_with_only_a_checksum(tmp_path, monkeypatch, capsys):
    entry = next(e for e in reg.REGISTRY if not e.columns)  # checked by checksum alone
    path = tmp_path / entry.path
    path.parent.mkdir(parents=True)
    path.write_bytes(b"x")
    if os.geteuid() != 0:
        path.chmod(0)
    else:  # root reads anything: fail the read as it fails for a user

        def refuse(target):
            raise PermissionError(13, "Permission denied", str(target))

        monkeypatch.setattr(reg, "file_sha256", refuse)
    with pytest.raises(reg.DataError, match=f"{entry.path}: cannot be read"):
        reg.check_file(tmp_path, entry)
    assert main(["data", "check", "--data-dir", str(tmp_path)]) == 2
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    assert f"{entry.path}" in out.out and "cannot be read" in out.out


# --------------------------------------------------------------------------------------------
# Real data
# --------------------------------------------------------------------------------------------


@pytest.mark.realdata
def test_headroom_repeated_ba_and_years_outside_the_record(data_dir, tmp_path, capsys):
    out = tmp_path / "h"
    argv = ["headroom", "--data-dir", str(data_dir), "--out", str(out)]
    assert main([*argv, "--bas", "ERCO,ERCO"]) == 2
    assert one_error_line(capsys) == "dcsite: error: BA code(s) given more than once: ERCO"
    assert main([*argv, "--bas", "ERCO", "--years", "1900-2100"]) == 2
    assert one_error_line(capsys) == (
        "dcsite: error: --years 1900-2100: outside the load record, which holds the complete "
        "years 2016-2024"
    )
    assert not out.exists()
    assert main([*argv, "--bas", "ERCO", "--years", "2020-2024"]) == 0
    assert sorted(os.listdir(out)) == sorted(
        [MANIFEST_FILE, "headroom.csv", "thresholds.csv", "headroom.png"]
    )


@pytest.mark.realdata
def test_built_scenario_with_more_metros_than_the_data(data_dir, tmp_path, capsys):
    argv = ["run", str(US_DEFAULT), "--data-dir", str(data_dir), "--out", str(tmp_path / "r")]
    assert main([*argv, "--set", "build.n_metros=5000", "--set", "build.bas=[ERCO]"]) == 2
    line = one_error_line(capsys)
    assert "build.n_metros is 5000, but the metros table holds 912" in line


def test_record_files_needs_a_dcsite_folder(tmp_path):
    with pytest.raises(Exception, match="not a folder written by dcsite"):
        record_files(tmp_path, ["x"])
