"""The planning notebooks (``notebooks/*.ipynb``) are stored without outputs and run top to
bottom on the real data.

Each notebook is executed in memory (the stored file is never rewritten) in a kernel of this
Python environment, from the ``notebooks/`` folder, with ``DCSITE_NOTEBOOK_SHRINK=1`` (the
quickstart runs the shrunk scenario) and ``DCSITE_NOTEBOOK_OUT`` pointing at a temporary folder
(run folders and figures go there). The time each notebook took is written to the terminal
(no ``-s`` needed) and kept as the test's ``notebook_seconds`` property.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
import pytest
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

pytestmark = pytest.mark.slow  # a kernel per notebook

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = ("01_quickstart.ipynb", "02_stranded_power.ipynb", "03_what_if.ipynb")
TIME_LIMIT_S = 600.0
"""Each notebook must finish within this, s (the slowest, 03_what_if, takes about a minute)."""
KERNEL_NAME = "dcsite-notebook-test"

# files each notebook writes under DCSITE_NOTEBOOK_OUT: proof that it did its work
WRITES = {
    "01_quickstart.ipynb": ["quickstart-shrunk/map.html", "quickstart-shrunk/sites.geojson"],
    "02_stranded_power.ipynb": [
        "stranded_power/headroom.png",
        "stranded_power/duration_curves.png",
    ],
    "03_what_if.ipynb": [
        "what_if/comparison.png",
        "what_if/maps.png",
        "what_if/base/map.html",
        "what_if/latency-10-ms/map.html",
    ],
}


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK_DIR / name, as_version=4)


def test_every_notebook_is_tested():
    assert sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb")) == sorted(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stored_without_outputs(name):
    nb = _read(name)
    nbformat.validate(nb)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{name}: cells {dirty} carry outputs or execution counts; clear them"


@pytest.fixture(scope="module")
def kernel_specs(tmp_path_factory) -> KernelSpecManager:
    """A kernel spec that starts ipykernel with this very interpreter (not whatever ``python3``
    kernel the machine has installed)."""
    folder = tmp_path_factory.mktemp("kernels")
    write_kernel_spec(folder / KERNEL_NAME, overrides={"display_name": "dcsite test kernel"})
    specs = KernelSpecManager(kernel_dirs=[str(folder)])
    assert specs.get_kernel_spec(KERNEL_NAME).argv[0] == sys.executable
    return specs


@pytest.mark.realdata
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name, data_dir, kernel_specs, tmp_path, monkeypatch, capsys, request):
    monkeypatch.setenv("DCSITE_DATA", str(data_dir.resolve()))  # the kernel runs in notebooks/
    monkeypatch.setenv("DCSITE_NOTEBOOK_SHRINK", "1")
    monkeypatch.setenv("DCSITE_NOTEBOOK_OUT", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = _read(name)  # executed in memory; the stored file stays as it is
    client = NotebookClient(
        nb,
        km=KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=kernel_specs),
        timeout=TIME_LIMIT_S,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    started = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{name}: a cell failed after {time.perf_counter() - started:.0f} s:\n{exc}")
    seconds = time.perf_counter() - started
    request.node.user_properties.append(("notebook_seconds", round(seconds, 1)))
    with capsys.disabled():
        print(f" [{name}: executed in {seconds:.1f} s] ", end="", flush=True)

    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]
    assert not errors, f"{name}: error outputs {[(e.ename, e.evalue) for e in errors]}"
    assert seconds < TIME_LIMIT_S, f"{name}: took {seconds:.0f} s (limit {TIME_LIMIT_S:.0f} s)"
    missing = [path for path in WRITES[name] if not (tmp_path / path).is_file()]
    assert not missing, f"{name}: did not write {missing} under DCSITE_NOTEBOOK_OUT"
