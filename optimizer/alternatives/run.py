"""``dcsite alternatives RUN_DIR``: drive the near-optimal solves and write ``alternatives/``.

The solves are tasks on the batch engine's Dask client (:func:`optimizer.batch.engine.dask_client`:
local worker processes, or a cluster by address), at most one in flight per worker, chosen as
workers free up so that what is already known is not solved again:

1. the Hop-Skip-Jump chain first, one plan at a time (plan i minimises the campus MW at every
   site the run's plan or the plans before it use), each written as a run folder in
   ``plans/alt-i/``; a step that finds no new plan within the slack (its search stopped by the
   time limit, no rounding within the slack, or only plans the run or an earlier step already
   has) writes none, and the next step avoids the same sites;
2. the maximisations, of every BA and then of the ``top_sites`` largest sites of the run;
3. the minimisations, of the BAs and sites the run's plan builds in, each only if no plan found
   so far leaves it empty (that plan already proves least = 0).

Every plan found narrows every range (:mod:`optimizer.alternatives.ranges`). ``workers=0`` runs
the tasks in this process, one after another (tests, notebooks).

``RUN_DIR/alternatives/`` (written under a temporary name and renamed whole; recorded in the run
folder's manifest and with its own, of kind ``alternatives``): ``ranges.csv``,
``alternatives.geojson``, ``ranges.png``, ``summary.json`` and ``plans/<name>/``.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.alternatives.outputs import plot_ranges, write_geojson
from optimizer.alternatives.problem import ZERO_MW, Found, Objective, plan_key
from optimizer.alternatives.ranges import VERDICTS, Entity, Ranges, entities
from optimizer.alternatives.worker import AlternativesJob, solve_task
from optimizer.errors import InputError
from optimizer.outputs import check_files_writable, check_output, output_dir, record_files
from optimizer.results.folder import read_summary, read_table
from optimizer.source import recorded_source

ALTERNATIVES_DIR = "alternatives"
PLANS_DIR = "plans"
FILES = ("ranges.csv", "alternatives.geojson", "ranges.png", "summary.json", PLANS_DIR)
Say = Callable[[str], None]


class _InProcess:
    """Runs each task when it is submitted, in this process (``workers=0``)."""

    workers = 1

    def submit(self, fn: Callable, *args: Any) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # re-raised by result(), as a Dask future does
            future.set_exception(exc)
        return future

    def wait_any(self, futures: list) -> list:
        return [f for f in futures if f.done()]


class _Dask:
    """Submits tasks to a Dask client; :meth:`wait_any` wakes when a task finishes."""

    def __init__(self, client: Any, workers: int) -> None:
        self.client, self.workers = client, workers
        self.finished = threading.Event()

    def submit(self, fn: Callable, *args: Any) -> Any:
        future = self.client.submit(fn, *args, pure=False, key=f"dcsite-alt-{uuid.uuid4().hex}")
        future.add_done_callback(lambda _: self.finished.set())
        return future

    def wait_any(self, futures: list) -> list:
        while True:
            done = [f for f in futures if f.done()]
            if done:
                return done
            self.finished.wait()
            self.finished.clear()


def _objectives(items: list[Entity]) -> deque[Objective]:
    maxes = [Objective(f"{e.key}:max", e.sites, maximise=True) for e in items]
    mins = [Objective(f"{e.key}:min", e.sites) for e in items if e.optimal_mw > ZERO_MW]
    return deque(maxes + mins)


def _plan_record(run: Path) -> tuple[dict, pd.DataFrame]:
    summary = read_summary(run)
    if not summary.get("has_solution"):
        raise InputError(f"{run}: the run has no solution; nothing is near its optimum")
    recorded_source(run)  # the clear error for a folder without its scenario, before any work
    return summary, read_table(run, "sites")


def _drive(
    executor: Any,
    job: AlternativesJob,
    items: list[Entity],
    ranges: Ranges,
    optimal: dict[str, float],
    count: int,
    plans_dir: Path,
    say: Say,
) -> tuple[list[dict], list[dict]]:
    """Run the tasks (module docstring); the records of every solve and of the plans."""
    queue = _objectives(items)
    keys = {f"{e.key}:{sense}": e.key for e in items for sense in ("min", "max")}
    records: list[dict] = []
    plans: list[dict] = []
    in_flight: dict[Any, Objective] = {}
    avoided = set(optimal)
    chain = [plan_key(optimal)]  # the plans a Hop-Skip-Jump step must differ from
    chain_busy = False
    steps = 0  # Hop-Skip-Jump steps started
    skipped = 0
    total = len(queue) + count

    def next_objective() -> tuple[Objective, str | None] | None:
        nonlocal chain_busy, skipped, steps
        if not chain_busy and steps < count:
            chain_busy, steps = True, steps + 1
            name = f"alt-{steps}"
            objective = Objective(f"plan:{name}", tuple(sorted(avoided)), exclude=tuple(chain))
            return objective, str(plans_dir / name)
        while queue:
            objective = queue.popleft()
            if not objective.maximise and not ranges.needs_min(keys[objective.task]):
                skipped += 1
                say(f"  {objective.task}: skipped, a plan found already leaves it empty")
                continue
            return objective, None
        return None

    while True:
        while len(in_flight) < executor.workers:
            chosen = next_objective()
            if chosen is None:
                break
            objective, plan_dir = chosen
            in_flight[executor.submit(solve_task, job, objective, plan_dir)] = objective
        if not in_flight:
            break
        for future in executor.wait_any(list(in_flight)):
            objective = in_flight.pop(future)
            rec = future.result()
            records.append(rec)
            found = Found(**{k: rec[k] for k in Found.__dataclass_fields__ if k != "x"})
            ranges.granularity_mw = rec["granularity_mw"]
            if objective.task.startswith("plan:"):
                chain_busy = False
                if rec["plan"] is not None:
                    ranges.add_plan(found.campus_mw)
                    avoided |= set(found.campus_mw)
                    chain.append(plan_key(found.campus_mw))
                    plans.append({**rec["plan"], "campus_mw": found.campus_mw})
            else:
                ranges.add_found(keys[objective.task], objective.maximise, found)
            bound = "-" if found.bound_mw is None else f"{found.bound_mw:,.0f}"
            setup = rec["setup_seconds"]
            setup = f", model set up in {setup:.0f} s" if setup else ""
            say(
                f"[{len(records)}/{total - skipped}] {objective.task}: {found.value_mw:,.0f} MW "
                f"(bound {bound}, {found.status}), cost "
                f"{found.cost_usd / 1e6:,.1f} M USD/yr, {found.seconds:.1f} s{setup}"
            )
            if objective.task.startswith("plan:") and rec["plan"] is None:
                say(f"  {objective.task}: no new plan within the slack; none written")
    return records, plans


def _plans_table(plans: list[dict], optimal: dict[str, float]) -> list[dict]:
    """Each plan's cost and how far it is from the run's plan (campus MW moved)."""
    out = []
    total = sum(optimal.values()) or 1.0
    for plan in plans:
        campus = plan.pop("campus_mw")
        every = set(campus) | set(optimal)
        moved = sum(abs(campus.get(s, 0.0) - optimal.get(s, 0.0)) for s in every)
        out.append(
            {
                **plan,
                "campus_mw_moved": moved / 2,
                "campus_moved_pct": 100 * moved / 2 / total,
                "campus_sites": len(campus),
                "sites_shared_with_run": len(set(campus) & set(optimal)),
            }
        )
    return out


def run_alternatives(
    run_dir: str | os.PathLike[str],
    slack_pct: float = 2.0,
    count: int = 4,
    top_sites: int = 10,
    workers: int | None = None,
    scheduler: str | None = None,
    time_limit_s: float = 60.0,
    data_dir: str | os.PathLike[str] | None = None,
    exports: bool = True,
    progress: Say | None = None,
) -> dict[str, Any]:
    """Near-optimal alternatives of a run folder into ``RUN_DIR/alternatives/``; its summary.

    Args:
        run_dir: a run folder written by ``dcsite run`` (it must record its scenario).
        slack_pct: plans may cost up to this much above the run's plan, %.
        count: maximally different plans to write (Hop-Skip-Jump), 0 for none.
        top_sites: the largest sites of the run whose range is found besides the BAs'.
        workers: local worker processes (default: the cores); 0 runs in this process.
        scheduler: a Dask scheduler's address to run on instead of local workers.
        time_limit_s: time limit of each objective's search (its LPs), s.
        data_dir: the public data mirror the run was built from (built scenarios).
        exports: write maps and plots into each plan's run folder.
        progress: called with a line per solve (default: silent).
    """
    say = progress or (lambda _msg: None)
    if not 0 <= slack_pct <= 100:
        raise InputError(f"--slack-pct {slack_pct:g}: must be a percentage from 0 to 100")
    if count < 0 or top_sites < 0:
        raise InputError("--count and --sites must be 0 or more")
    if time_limit_s <= 0:
        raise InputError(f"--time-limit {time_limit_s:g}: must be above 0 s")
    run = Path(os.path.abspath(run_dir))
    summary, sites = _plan_record(run)
    check_files_writable(run, "run", [ALTERNATIVES_DIR])
    check_output(run / ALTERNATIVES_DIR, "alternatives", label="alternatives folder")
    items = entities(sites, top_sites)
    optimal = {
        row["site"]: float(row["campus_mw"])
        for row in sites.to_dict("records")
        if row["campus_mw"] > ZERO_MW
    }
    ranges = Ranges(items, optimal)
    job = AlternativesJob(
        job_id=uuid.uuid4().hex,
        run_dir=str(run),
        data_dir=None if data_dir is None else str(Path(data_dir).absolute()),
        slack_pct=float(slack_pct),
        time_limit_s=float(time_limit_s),
        exports=exports,
    )
    started = time.perf_counter()
    with output_dir(run / ALTERNATIVES_DIR, "alternatives", label="alternatives folder") as tmp:
        plans_dir = tmp / PLANS_DIR
        plans_dir.mkdir()
        if workers == 0 and scheduler is None:
            records, plans = _drive(
                _InProcess(), job, items, ranges, optimal, count, plans_dir, say
            )
            n_workers = 0
        else:
            from optimizer.batch.engine import dask_client

            n_tasks = 2 * len(items) + count
            with dask_client(workers, scheduler, n_tasks) as client:
                n_workers = max(1, len(client.scheduler_info().get("workers", {})))
                say(f"{n_workers} worker(s); each builds the model once")
                executor = _Dask(client, n_workers)
                records, plans = _drive(
                    executor, job, items, ranges, optimal, count, plans_dir, say
                )
        table = ranges.table()
        table.to_csv(tmp / "ranges.csv", index=False)
        write_geojson(table, sites, run, tmp / "alternatives.geojson")
        plot_ranges(table, slack_pct, tmp / "ranges.png")
        result = _summary(summary, records, plans, optimal, table, job, n_workers, scheduler)
        result["count"] = count
        result["top_sites"] = top_sites
        result["witnesses"] = ranges.witnesses
        result["seconds"] = time.perf_counter() - started
        (tmp / "summary.json").write_text(json.dumps(result, indent=2, default=str))
    record_files(run, [ALTERNATIVES_DIR])
    return result


def _summary(
    run_summary: dict,
    records: list[dict],
    plans: list[dict],
    optimal: dict[str, float],
    table: pd.DataFrame,
    job: AlternativesJob,
    n_workers: int,
    scheduler: str | None,
) -> dict[str, Any]:
    first = records[0] if records else {}
    solved = [r for r in records if r["plan"] is None]
    statuses = sorted({r["status"] for r in records})
    kinds = table["kind"]
    return {
        "slack_pct": job.slack_pct,
        "run_objective_usd": run_summary.get("objective_usd"),
        "run_mip_gap_pct": run_summary.get("mip_gap_pct"),
        "plan_cost_usd": first.get("plan_cost_usd"),
        "cost_limit_usd": first.get("limit_usd"),
        "granularity_mw": first.get("granularity_mw"),
        "time_limit_s": job.time_limit_s,
        "workers": n_workers,
        "scheduler": scheduler,
        "solves": len(records),
        "solves_by_status": {s: sum(r["status"] == s for r in records) for s in statuses},
        "solve_seconds": sum(r["seconds"] for r in solved),
        "lp_solves": sum(r["lp_solves"] for r in records),
        "searches_at_lp_optimum": sum(bool(r["lp_optimum"]) for r in records),
        "setup_seconds": [r["setup_seconds"] for r in records if r["setup_seconds"]],
        "highest_cost_usd": max((r["cost_usd"] for r in records), default=None),
        "verdicts": {
            kind: {v: int(((kinds == kind) & (table["verdict"] == v)).sum()) for v in VERDICTS}
            for kind in ("ba", "site")
        },
        "not_proven": table.loc[~table["verdict_proven"], "name"].tolist(),
        "plans": _plans_table(plans, optimal),
        "definitions": {
            "essential": "least > 0: every plan within the slack builds there",
            "interchangeable": "least = 0 < most: some plans within the slack build there",
            "avoidable": "most = 0: no plan within the slack builds there",
        },
    }
