"""One variant of a sweep, as a pure function of (source, overrides) to a run folder.

:func:`run_variant` runs in a worker process. It prepares the variant's scenario
(:func:`optimizer.pipeline.prepare`), skips the run when the folder already holds a complete
result of the same scenario hash (on ``--resume``, or when Dask retries a task whose worker died
after saving), else solves and writes the run folder atomically as ``dcsite run`` does. A
variant that fails (invalid scenario, infeasible, no solution in the time limit, an exception)
still gets a run folder whose ``summary.json`` holds its ``status`` and ``error``; only a dead
worker process escapes it, and the driver records that one (:func:`write_failure`).

For a built scenario, :func:`build_shared` first builds what the variants of one build key
share into the batch's cache folder (:mod:`optimizer.builders.us.cache`); each variant then
reads it from there.
"""

from __future__ import annotations

import json
import os
import socket
import time
import traceback
import uuid
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from optimizer.errors import InputError
from optimizer.outputs import output_dir
from optimizer.source import Source

SUMMARY_FILE = "summary.json"
RERUN_STATUSES = frozenset({"error", "invalid", "lost"})
"""Statuses of a run folder that ``--resume`` runs again (the others are final for a hash)."""


@dataclass(frozen=True)
class Job:
    """What a worker needs to run one variant (picklable, paths absolute)."""

    name: str
    source: Source
    overrides: dict[str, Any]
    run_dir: str
    batch_id: str
    data_dir: str | None = None
    """the public data mirror (built scenarios and maps)"""
    cache_dir: str | None = None
    """folder of shared builds (built scenarios)"""
    build_key: str | None = None
    """the build key of a built scenario (:func:`optimizer.builders.us.settings.build_key`)"""
    exports: bool = True
    """write the GeoJSON layers, map and plots into the run folder"""
    resume: bool = False
    topic: str | None = None


def versions() -> dict[str, str]:
    """Versions of the packages a batch result depends on."""
    out = {}
    for pkg in ("dcsite", "pyomo", "highspy", "dask", "distributed"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def read_summary(run_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The ``summary.json`` of a run folder, or None when absent or unreadable."""
    try:
        return json.loads((Path(run_dir) / SUMMARY_FILE).read_text())
    except (OSError, ValueError):
        return None


def summary_hash(summary: dict[str, Any] | None) -> str | None:
    """The scenario hash a run summary was computed for."""
    return ((summary or {}).get("scenario") or {}).get("hash")


def is_complete(summary: dict[str, Any] | None, digest: str | None) -> bool:
    """Whether a run summary is a final result for the scenario hash ``digest``."""
    return (
        summary is not None
        and digest is not None
        and summary_hash(summary) == digest
        and summary.get("status") not in RERUN_STATUSES
    )


def _batch_info(job: Job, started: float, seconds: float) -> dict[str, Any]:
    worker = None
    try:
        from distributed import get_worker

        worker = get_worker().address
    except (ImportError, ValueError):
        pass
    return {
        "id": job.batch_id,
        "worker": worker,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "started_epoch_s": started,
        "wall_seconds": seconds,
        "versions": versions(),
    }


def _event(topic: str | None, message: dict[str, Any]) -> None:
    """Tell the driver (progress display) what this worker does; a no-op outside Dask."""
    if not topic:
        return
    try:
        from distributed import get_worker

        get_worker().log_event(topic, message)
    except Exception:  # progress is best effort, never a reason to fail a run
        pass


def record(summary: dict[str, Any], skipped: bool = False) -> dict[str, Any]:
    """The small record a worker returns to the driver."""
    return {
        "variant": summary.get("variant"),
        "status": summary.get("status"),
        "has_solution": bool(summary.get("has_solution")),
        "objective_usd": summary.get("objective_usd"),
        "hash": summary_hash(summary),
        "error": summary.get("error"),
        "run_id": summary.get("run_id"),
        "skipped": skipped,
    }


def write_failure(
    run_dir: str | os.PathLike[str],
    name: str,
    overrides: dict[str, Any],
    status: str,
    error: str,
    scenario_info: dict[str, Any] | None = None,
    batch_info: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write a run folder holding only the ``summary.json`` of a failed variant (atomically)."""
    summary = {
        "status": status,
        "has_solution": False,
        "error": error,
        "objective_usd": None,
        "variant": name,
        "overrides": overrides,
        "run_id": uuid.uuid4().hex,
        "scenario": scenario_info or {"hash": None, "versions": versions()},
        "batch": batch_info or {},
        **(details or {}),
    }
    with output_dir(run_dir, "run", label="run folder") as tmp:
        (tmp / SUMMARY_FILE).write_text(json.dumps(summary, indent=2, default=str))
    return summary


def _no_solution_reason(summary: dict[str, Any]) -> str:
    """Why a run has no solution, without repeating its status."""
    status = str(summary.get("status"))
    text = summary.get("explanation") or "; ".join(summary.get("notes") or []) or status
    return text.removeprefix(f"{status}: ")


def _failure(exc: Exception) -> tuple[str, str, dict[str, str]]:
    """Status, error and details of an exception in a task: ``invalid`` for what the user can
    fix, else ``error`` with its traceback."""
    if isinstance(exc, InputError):
        return "invalid", str(exc), {}
    return "error", f"{type(exc).__name__}: {exc}", {"traceback": traceback.format_exc()}


def build_shared(job: Job) -> dict[str, Any]:
    """Build what the variants of ``job.build_key`` share into ``job.cache_dir`` (or find it
    there); the build's record, or its ``status`` and ``error`` when it cannot be built."""
    from optimizer.builders.us.cache import cached_build

    try:
        return cached_build(job.source.config(), job.data_dir, job.cache_dir)[1]
    except Exception as exc:  # recorded by every variant of the key; the batch goes on
        status, error, details = _failure(exc)
        return {"status": status, "error": error, **details}


def run_variant(job: Job, shared: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run one variant into ``job.run_dir`` (or skip it when already done); its record.
    ``shared`` is the record of :func:`build_shared` for the variant's build key."""
    from optimizer.pipeline import prepare, solve, solver_options, write_run

    started, t0 = time.time(), time.perf_counter()
    _event(job.topic, {"variant": job.name, "event": "start"})

    def fail(status: str, error: str, info: dict | None = None, **details) -> dict[str, Any]:
        batch = _batch_info(job, started, time.perf_counter() - t0)
        summary = write_failure(
            job.run_dir, job.name, job.overrides, status, error, info, batch, details
        )
        return record(summary)

    if shared is not None and "error" in shared:
        details = {k: v for k, v in shared.items() if k not in ("status", "error")}
        return fail(shared["status"], f"shared build: {shared['error']}", **details)
    try:
        prepared = prepare(job.source, job.data_dir, cache_dir=job.cache_dir)
    except Exception as exc:  # recorded; the batch goes on
        status, error, details = _failure(exc)
        return fail(status, error, **details)
    scenario = prepared.scenario
    digest = scenario.hash()
    previous = read_summary(job.run_dir)
    if is_complete(previous, digest) and (
        job.resume or (previous or {}).get("batch", {}).get("id") == job.batch_id
    ):
        return record(previous or {}, skipped=True)

    info = {"name": scenario.config.name, "source": str(scenario.source), "hash": digest}
    try:
        results = solve(prepared, solver_options(scenario))
    except Exception as exc:  # recorded; the batch goes on
        info["versions"] = versions()
        return fail("error", f"{type(exc).__name__}: {exc}", info, traceback=traceback.format_exc())
    summary = results.summary
    summary["variant"] = job.name
    summary["overrides"] = job.overrides
    summary["run_id"] = uuid.uuid4().hex
    summary["error"] = None if summary.get("has_solution") else _no_solution_reason(summary)
    summary["batch"] = _batch_info(job, started, time.perf_counter() - t0)
    write_run(results, job.run_dir, job.data_dir, exports=job.exports)
    return record(summary)
