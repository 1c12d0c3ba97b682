"""A gate that holds one variant of a batch on its worker until the test opens it.

Test-only: nothing in the package imports this module. tests/test_batch.py loads it into Dask
worker processes as a preload module (the ``distributed.worker.preload`` setting, given to the
worker processes through the environment of :func:`worker_env`, with tests/ on PYTHONPATH),
so it works for ``dask worker`` processes and for the local cluster of ``dcsite batch`` alike.

When the environment names a gate folder and a variant, :func:`dask_setup` wraps
:func:`optimizer.batch.task.run_variant` in that worker process (a task's function reaches the
worker pickled by reference, so the worker calls the wrapper). Each attempt of that variant
first writes an ``arrived-*.json`` file (its worker address and process id) into the gate
folder, then waits until the file ``open`` exists there, then runs as usual. Until the test
creates ``open``, the variant is provably in progress on a known worker process and cannot
finish; once ``open`` exists, an attempt goes straight through. Other variants are untouched.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

GATE_ENV = "DCSITE_TEST_GATE"
"""Folder of the gate (arrival files and the ``open`` file)."""
VARIANT_ENV = "DCSITE_TEST_GATE_VARIANT"
"""Name of the variant the gate holds."""
OPEN_FILE = "open"
WAIT_LIMIT_S = 600
"""A failure guard only: a gate never opened fails the attempt after this long."""
POLL_S = 0.02


def worker_env(gate: Path, variant: str) -> dict[str, str]:
    """Environment variables that make Dask worker processes hold ``variant`` at ``gate``."""
    tests = str(Path(__file__).absolute().parent)
    path = os.environ.get("PYTHONPATH")
    return {
        "PYTHONPATH": tests + (os.pathsep + path if path else ""),
        "DASK_DISTRIBUTED__WORKER__PRELOAD": json.dumps([__name__]),
        GATE_ENV: str(gate),
        VARIANT_ENV: variant,
    }


def arrivals(gate: Path) -> list[dict[str, Any]]:
    """The attempts that reached the gate so far (worker, pid, at), oldest first."""
    found = [json.loads(p.read_text()) for p in gate.glob("arrived-*.json")]
    return sorted(found, key=lambda a: a["at"])


def open_gate(gate: Path) -> None:
    """Let every attempt of the held variant, waiting or to come, run."""
    (gate / OPEN_FILE).touch()


def _arrive(gate: Path, name: str) -> None:
    from distributed import get_worker

    arrival = {
        "variant": name,
        "worker": get_worker().address,
        "pid": os.getpid(),
        "at": time.time(),
    }
    stem = f"arrived-{os.getpid()}-{uuid.uuid4().hex}"
    tmp = gate / f".{stem}.tmp"
    tmp.write_text(json.dumps(arrival))
    os.replace(tmp, gate / f"{stem}.json")  # seen whole or not at all


def _wait_open(gate: Path) -> None:
    end = time.monotonic() + WAIT_LIMIT_S
    while not (gate / OPEN_FILE).exists():
        if time.monotonic() > end:
            raise TimeoutError(f"the test gate {gate} was not opened in {WAIT_LIMIT_S} s")
        time.sleep(POLL_S)


def dask_setup(worker: Any) -> None:
    """Preload entry point (run in each worker process before it takes tasks)."""
    folder, variant = os.environ.get(GATE_ENV), os.environ.get(VARIANT_ENV)
    if not folder or not variant:
        return
    import optimizer.batch.task as task

    gate, original = Path(folder), task.run_variant

    def gated_run_variant(job: Any, *args: Any) -> dict[str, Any]:
        if job.name == variant:
            _arrive(gate, job.name)
            _wait_open(gate)
        return original(job, *args)

    task.run_variant = gated_run_variant
