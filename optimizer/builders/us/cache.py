"""Shared builds: a :class:`~.scenario.UsBuild` kept in a folder per build key, reused by every
scenario with that key (:func:`~.settings.build_key`: the sweep's variants that differ only
outside ``build``, ``latency`` and the latency limit).

``CACHE/<build key>/`` holds every table of the build as Parquet and ``build.json``: the key,
the BAs, the seconds of each stage, and who built it (``id``, host, process, time). The folder
is filled under a temporary name and renamed when complete; a writer that finds it there by
then keeps the one there. So any process that sees the folder sees a whole build: a local
worker, a worker of a Dask cluster on a shared file system, a retry or a resumed batch. A build
is always read back from its folder, so every scenario of a key sees the same tables.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.atomic import atomic_dir
from optimizer.builders.us.scenario import Steps, UsBuild, build_us
from optimizer.builders.us.settings import build_key
from optimizer.scenario import ScenarioConfig

META_FILE = "build.json"
_STEPS = ("timesteps", "stranded", "inference_profiles", "year_weights")


def _frames(build: UsBuild) -> dict[str, pd.DataFrame]:
    frames = {"sites": build.sites, "metros": build.metros, "latency": build.latency}
    named = [("days", build.days), ("full_year", build.full_year)]
    named += [(f"year{year}", steps) for year, steps in build.weather_years.items()]
    for name, steps in named:
        if steps is not None:
            parts = {part: getattr(steps, part) for part in _STEPS}
            frames.update({f"{name}.{p}": f for p, f in parts.items() if f is not None})
    frames.update({f"table.{name}": table for name, table in build.tables.items()})
    frames.update({f"grid.{name}": table for name, table in build.grid.items()})
    return frames


def save_build(build: UsBuild, folder: Path, meta: dict[str, Any]) -> None:
    """Write ``build`` into ``folder`` atomically, with ``meta`` in its ``build.json``."""
    with atomic_dir(folder, keep_existing=True) as tmp:
        for name, frame in _frames(build).items():
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
        meta = {**meta, "bas": build.bas, "stage_seconds": build.stage_seconds}
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2))


def load_build(folder: Path) -> tuple[UsBuild, dict[str, Any]]:
    """The build stored in ``folder`` and its ``build.json``."""
    meta = json.loads((folder / META_FILE).read_text())
    frames = {p.name.removesuffix(".parquet"): pd.read_parquet(p) for p in folder.glob("*.parquet")}

    def steps(name: str) -> Steps | None:
        if f"{name}.timesteps" not in frames:
            return None
        return Steps(**{part: frames.get(f"{name}.{part}") for part in _STEPS})

    build = UsBuild(
        bas=meta["bas"],
        sites=frames["sites"],
        metros=frames["metros"],
        latency=frames["latency"],
        days=steps("days"),
        full_year=steps("full_year"),
        grid={k.removeprefix("grid."): v for k, v in frames.items() if k.startswith("grid.")},
        weather_years={
            int(name.removeprefix("year").removesuffix(".timesteps")): steps(
                name.removesuffix(".timesteps")
            )
            for name in sorted(frames)
            if name.startswith("year") and name.endswith(".timesteps")
        },
        tables={k.removeprefix("table."): v for k, v in frames.items() if k.startswith("table.")},
        stage_seconds=meta["stage_seconds"],
    )
    return build, meta


def cached_build(
    config: ScenarioConfig,
    data_dir: str | Path | None,
    cache_dir: str | Path | None,
    full_year: bool = True,
    progress: Callable[[str], None] | None = None,
) -> tuple[UsBuild, dict[str, Any]]:
    """The build of ``config``'s key and its record for the run's summary: ``key``, ``id`` of
    the build, ``seconds`` it took, and ``reused`` (False for the call that built it).

    With ``cache_dir``, the build (always with its full year) comes from ``cache_dir/<key>``,
    built and stored there first when absent; without, it is built here (with the full year
    when ``full_year``)."""
    key = build_key(config)
    folder = None if cache_dir is None else Path(cache_dir) / key
    if folder is not None and (folder / META_FILE).is_file():
        build, meta = load_build(folder)
        return build, _record(meta, reused=True)
    started = time.perf_counter()
    build = build_us(config, data_dir, full_year or folder is not None, progress)
    meta = {
        "key": key,
        "id": uuid.uuid4().hex,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "seconds": time.perf_counter() - started,
    }
    if folder is not None:
        save_build(build, folder, meta)
        build, meta = load_build(folder)  # the stored tables (another writer's if it won)
    return build, _record(meta, reused=False)


def _record(meta: dict[str, Any], reused: bool) -> dict[str, Any]:
    return {"key": meta["key"], "id": meta["id"], "seconds": meta["seconds"], "reused": reused}
