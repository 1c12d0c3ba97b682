"""Running a sweep on Dask: local worker processes by default, or a cluster by address.

The engine is Dask's own scheduler and workers; nothing here queues or retries by itself. Each
variant is one task (:func:`optimizer.batch.task.run_variant`) on a single-threaded worker
process, so a solver crash takes down only that process; Dask reschedules the task elsewhere,
up to :data:`WORKER_DEATHS_ALLOWED` deaths on a local cluster (a remote cluster uses its own
``distributed.scheduler.allowed-failures``), and ``retries`` covers an exception that escapes
the task. The batch folder holds

* ``runs/<variant>/``: one run folder per variant, written atomically by its worker;
* ``sweep.json``: the variants and their overrides (written before anything runs);
* ``build-cache/<build key>/``: for a built base scenario, what the variants of one build key
  share (sites, latency, representative days, full year), built once by one task that the
  key's variants wait for (:func:`optimizer.batch.task.build_shared`);
* ``summary.parquet`` and ``summary.csv``: one row per variant, rebuilt from the run folders
  at the end (also after an interruption) by :func:`optimizer.batch.collect_summary`;
* ``comparison.csv`` and ``comparison.png``: the variants side by side
  (:mod:`optimizer.batch.compare`).

The data directory is handed to every task, never read from a worker's environment. With a
cluster the base scenario, the data directory and the batch folder must be on a file system
every worker sees at the same (absolute) path.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd

from optimizer.atomic import atomic_path
from optimizer.batch.compare import COMPARISON_FILES, write_comparison
from optimizer.batch.sweep import Sweep, load_sweep, sweep_from_dict
from optimizer.batch.table import MANIFEST_FILE, RUNS_DIR, TABLE_FILES, collect_summary
from optimizer.batch.task import (
    Job,
    build_shared,
    read_summary,
    record,
    run_variant,
    write_failure,
)
from optimizer.builders.us.settings import build_key
from optimizer.errors import InputError
from optimizer.inputs import resolve_data_dir
from optimizer.outputs import Kind, check_output, claim_folder

TASK_RETRIES = 2
"""Dask ``retries`` of a task that raised (the task records its own failures, so this is for
what escapes it, such as a full disk)."""
WORKER_DEATHS_ALLOWED = 2
"""Worker processes that may die under one variant before it is recorded as ``lost``."""
CONNECT_TIMEOUT_S = 10
LOCK_FILE = ".batch.lock"
CACHE_DIR = "build-cache"


def default_workers() -> int:
    """Worker processes of a local batch when not given: the number of cores."""
    return os.cpu_count() or 1


# --------------------------------------------------------------------------------------------
# Progress display
# --------------------------------------------------------------------------------------------


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """One status line on a stream: done, running, failed, elapsed time and time left.

    On a terminal the line is redrawn in place; otherwise (a log file, a pipe, CI) a new line
    is printed when the counts change, at most every ``interval_s`` seconds.
    """

    def __init__(self, total: int, stream: IO[str] | None = None, interval_s: float = 5.0):
        self.total = total
        self.stream = stream or sys.stderr
        try:
            self.tty = self.stream.isatty()
        except (AttributeError, ValueError):
            self.tty = False
        self.interval_s = interval_s
        self.started = time.monotonic()
        self._shown = ""
        self._shown_at = 0.0
        self._width = 0

    def line(self, ok: int, failed: int, skipped: int, running: int) -> str:
        """The status line for these counts."""
        finished = ok + failed
        executed = finished - skipped
        elapsed = time.monotonic() - self.started
        remaining = self.total - finished
        if remaining == 0:
            eta = "0:00"
        elif executed > 0:
            eta = _clock(elapsed / executed * remaining)
        else:
            eta = "?"
        done = f"{ok} done" + (f" ({skipped} skipped)" if skipped else "")
        return (
            f"batch: {finished}/{self.total} | {done}, {running} running, {failed} failed"
            f" | elapsed {_clock(elapsed)}, left ~{eta}"
        )

    def update(self, ok: int, failed: int, skipped: int, running: int, final: bool = False) -> None:
        """Show the counts (redrawn on a terminal; a new line when changed elsewhere)."""
        text = self.line(ok, failed, skipped, running)
        now = time.monotonic()
        try:
            if self.tty:
                pad = max(0, self._width - len(text))
                self.stream.write("\r" + text + " " * pad + ("\n" if final else ""))
                self._width = 0 if final else len(text)
            else:
                counts = text.split(" | ")[:2]
                if counts == self._shown.split(" | ")[:2] and not final:
                    return
                if not final and now - self._shown_at < self.interval_s:
                    return
                self.stream.write(text + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # a closed stream never stops the batch
            return
        self._shown, self._shown_at = text, now

    def message(self, text: str) -> None:
        """Print a line above the status line."""
        try:
            if self.tty and self._width:
                self.stream.write("\r" + " " * self._width + "\r")
                self._width = 0
            self.stream.write(text + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass


class _Silent(Progress):
    def update(self, *args: Any, **kwargs: Any) -> None:
        pass

    def message(self, text: str) -> None:
        pass


# --------------------------------------------------------------------------------------------
# The batch folder
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """Hold a lock on the batch folder: one batch writes into a folder at a time."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    with open(out / LOCK_FILE, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"{out}: another dcsite batch is writing into this folder") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_leftovers(runs: Path) -> None:
    """Temporary folders of runs whose process was killed while saving."""
    if not runs.is_dir():
        return
    for path in runs.iterdir():
        if path.name.startswith(".") and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def _write_manifest(out: Path, sweep: Sweep, batch_id: str) -> None:
    manifest = {
        "source": sweep.source,
        "description": sweep.description,
        "base": str(sweep.base),
        "override_files": [str(p) for p in sweep.override_files],
        "batch_id": batch_id,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "variants": [{"name": v.name, "overrides": v.overrides} for v in sweep.variants],
    }
    with atomic_path(out / MANIFEST_FILE) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2, default=str))


# --------------------------------------------------------------------------------------------
# Dask
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def dask_client(workers: int | None, scheduler: str | None, n_jobs: int) -> Iterator[Any]:
    """A Dask client: of the cluster at ``scheduler``, else of a local cluster of processes.
    Every command whose tasks run on the engine uses it (batch, sensitivity, alternatives)."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        try:
            yield client
        finally:
            client.close()
        return
    n = default_workers() if workers is None else workers
    if n < 1:
        raise InputError(f"--workers {workers}: need at least one worker")
    config = {
        "distributed.scheduler.allowed-failures": WORKER_DEATHS_ALLOWED,
        "distributed.scheduler.worker-saturation": 1.0,  # one task per single-thread worker
    }
    with dask.config.set(config):
        cluster = LocalCluster(
            n_workers=min(n, max(n_jobs, 1)),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            scheduler_port=0,
            dashboard_address="127.0.0.1:0",  # HTTP endpoint on a free local port
            silence_logs=logging.ERROR,
        )
    client = None
    try:
        client = Client(cluster, set_as_default=False)
        yield client
    except BaseException:
        _stop_workers(cluster)  # interrupted or failed: now, not when the running tasks end
        raise
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                client.close(timeout=CLOSE_TIMEOUT_S)
        cluster.close()


CLOSE_TIMEOUT_S = 10
"""Seconds the client may take to close."""


def _stop_workers(cluster: Any) -> None:
    """Kill the local cluster's worker processes. A worker only writes run folders atomically,
    so a killed one leaves at most a temporary folder, which the next run removes; a graceful
    close would wait for each running task (seconds, or far longer on a loaded machine)."""
    for nanny in list(cluster.workers.values()):
        process = getattr(nanny, "process", None)
        pid = getattr(process, "pid", None)
        if pid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def _outcome(future: Any, job: Job, batch_id: str) -> dict[str, Any]:
    """The record of a finished task; a task Dask gave up on is recorded here as lost."""
    from distributed.scheduler import KilledWorker

    if future.status == "finished":
        return future.result()
    if future.status == "error":
        exc = future.exception()
        if isinstance(exc, KilledWorker):
            status = "lost"
            error = (
                "the worker process running this variant died each time it was tried "
                f"(crash, out of memory or killed): {exc}"
            )
        else:
            status, error = "error", f"{type(exc).__name__}: {exc}"
    else:
        status, error = "lost", f"task {future.status} (scheduler connection lost?)"
    previous = read_summary(job.run_dir)
    if previous and (previous.get("batch") or {}).get("id") == batch_id:
        return record(previous)  # saved by an attempt whose worker died before reporting
    try:
        summary = write_failure(
            job.run_dir, job.name, job.overrides, status, error, batch_info={"id": batch_id}
        )
    except OSError as exc:  # the batch goes on; the row says what happened
        summary = {"variant": job.name, "status": status, "error": f"{error}; not saved: {exc}"}
    return record(summary)


def _execute(client: Any, jobs: list[Job], batch_id: str, display: Progress) -> list[dict]:
    """Submit every job, follow them to the end, and return their records in job order."""
    topic = jobs[0].topic if jobs else None
    started: set[str] = set()
    lock = threading.Lock()  # events arrive on the client's event-loop thread

    def on_event(event: Any) -> None:
        message = event[1] if isinstance(event, tuple) and len(event) == 2 else event
        if isinstance(message, dict) and message.get("event") == "start":
            with lock:
                started.add(message.get("variant"))

    if topic:
        client.subscribe_topic(topic, on_event)
    shared = {}  # one build per build key, which that key's variants wait for
    for job in jobs:
        if job.build_key is not None and job.build_key not in shared:
            shared[job.build_key] = client.submit(
                build_shared,
                job,
                key=f"dcsite-build-{job.build_key}-{batch_id}",
                retries=TASK_RETRIES,
                pure=False,
            )
    futures = {
        client.submit(
            run_variant,
            job,
            shared.get(job.build_key),
            key=f"dcsite-{job.name}-{batch_id}",
            retries=TASK_RETRIES,
            pure=False,
        ): i
        for i, job in enumerate(jobs)
    }
    records: list[dict | None] = [None] * len(jobs)
    finished: set[str] = set()
    ok = failed = skipped = 0
    pending = set(futures)
    while pending:
        done = [f for f in pending if f.done()]
        for future in done:
            pending.discard(future)
            job = jobs[futures[future]]
            rec = _outcome(future, job, batch_id)
            records[futures[future]] = rec
            finished.add(job.name)
            if rec["has_solution"]:
                ok += 1
            else:
                failed += 1
                display.message(f"variant {job.name}: {rec['status']}: {rec['error']}")
            skipped += bool(rec["skipped"])
        with lock:
            running = len(started - finished)
        display.update(ok, failed, skipped, min(running, len(pending)))
        if pending and not done:
            time.sleep(0.1)
    display.update(ok, failed, skipped, 0, final=True)
    if topic:  # not after an interruption: a call into the cluster could wait; it is closed next
        with contextlib.suppress(Exception):
            client.unsubscribe_topic(topic)
    return [r for r in records if r is not None]


def run_sweep(
    sweep: str | os.PathLike[str] | Sweep | dict[str, Any],
    out_dir: str | os.PathLike[str],
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = True,
    data_dir: str | os.PathLike[str] | None = None,
    kind: Kind = "batch",
    files: Sequence[str] = (),
) -> pd.DataFrame:
    """Run every variant of a sweep into ``out_dir/runs/<variant>/``; the summary table.

    Args:
        sweep: a sweep file, a :class:`Sweep`, or a sweep as a mapping (paths relative to the
            current folder).
        out_dir: the batch folder (created if needed).
        workers: local worker processes (default: the number of cores, at most one per
            variant); ignored with ``scheduler``.
        scheduler: address of a Dask scheduler (``tcp://host:8786``) to run on instead.
        resume: skip variants whose run folder holds a complete result for the same scenario
            hash (failed runs with status error, invalid or lost are run again).
        progress: show a status line on stderr.
        data_dir: the public data mirror, handed to every variant (needed for a built base
            scenario; with it, maps get their base layers).
        kind: the kind of folder ``out_dir`` is (:mod:`optimizer.outputs`): ``batch``, or that
            of a command built on the batch, such as ``sensitivity``.
        files: further files that command writes into ``out_dir``, recorded in its manifest
            before anything runs.

    Returns:
        The table of :func:`optimizer.batch.collect_summary`, one row per variant (also written
        to ``out_dir/summary.parquet`` and ``out_dir/summary.csv``; the comparison of the
        variants goes to ``comparison.csv`` and ``comparison.png``). A failed variant is a row
        with its status and error, not an exception; a bad sweep raises
        :class:`~optimizer.batch.SweepError` before anything runs.

    Local workers are new Python processes (``spawn``): a script that calls this must do so
    under ``if __name__ == "__main__":``, as with :mod:`multiprocessing`.
    """
    if isinstance(sweep, Sweep):
        spec = sweep
    elif isinstance(sweep, dict):
        spec = sweep_from_dict(sweep)
    else:
        spec = load_sweep(sweep)
    sources = [spec.source_of(v) for v in spec.variants]
    built = sources[0].built
    if built or data_dir is not None:  # a built scenario needs it; checked before any work
        data_dir = resolve_data_dir(data_dir).absolute()
    out = check_output(out_dir, kind, [spec.source, spec.base, data_dir, *spec.override_files])
    batch_id = uuid.uuid4().hex
    topic = f"dcsite-batch-{batch_id}"
    runs = out / RUNS_DIR
    jobs = [
        Job(
            name=v.name,
            source=source,
            overrides=v.overrides,
            run_dir=str(runs / v.name),
            batch_id=batch_id,
            data_dir=None if data_dir is None else str(data_dir),
            cache_dir=str(out / CACHE_DIR) if built else None,
            build_key=build_key(source.config()) if built else None,
            exports=spec.exports,
            resume=resume,
            topic=topic,
        )
        for v, source in zip(spec.variants, sources, strict=True)
    ]
    display = Progress(len(jobs)) if progress else _Silent(len(jobs))
    owned = [MANIFEST_FILE, RUNS_DIR, LOCK_FILE, CACHE_DIR, *TABLE_FILES, *COMPARISON_FILES]
    claim_folder(out, kind, [*owned, *files])
    with _exclusive(out):
        _write_manifest(out, spec, batch_id)
        _remove_leftovers(runs)
        try:
            with dask_client(workers, scheduler, len(jobs)) as client:
                display.started = time.monotonic()
                _execute(client, jobs, batch_id, display)
        except BaseException:
            with contextlib.suppress(Exception):
                collect_summary(out)
            raise
        table = collect_summary(out)
        write_comparison(out, table)
        return table
