"""Larger scenarios for batch tests and the batch benchmark, grown from an example folder.

:func:`scaled_scenario` copies a scenario folder and multiplies its representative day and its
candidate sites (with jittered coordinates, stranded power and wires), keeping every other column as
it is, so the copy follows whatever format the example folder has. A few such copies give
variants that take seconds to solve instead of a fraction of one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SCENARIOS = Path(__file__).absolute().parent.parent / "data" / "scenarios"


def _jitter(values: pd.Series, rng: np.random.Generator, low: float, high: float, fmt: str):
    return [fmt.format(float(x) * rng.uniform(low, high)) for x in values]


def scaled_scenario(
    src: str | Path, dst: str | Path, days: int = 4, site_copies: int = 3, seed: int = 0
) -> Path:
    """Copy scenario folder ``src`` to ``dst`` with ``days`` copies of its timesteps (weights
    divided among them; stranded power and inference profile jittered) and ``site_copies`` copies of
    its sites (coordinates, interconnection and size jittered)."""
    src, dst = Path(src), Path(dst)
    shutil.copytree(src, dst)
    rng = np.random.default_rng(seed)
    steps = pd.read_csv(src / "timesteps.csv", keep_default_na=False, dtype=str)
    copies = []
    for d in range(days):
        frame = steps.copy()
        frame["timestep"] = [f"d{d}{t}" for t in steps["timestep"]]
        if "period" in frame:
            frame["period"] = [f"{p}-{d}" for p in steps["period"]]
        if "weight_h" in frame:
            frame["weight_h"] = [str(float(w) / days) for w in steps["weight_h"]]
        if "inference_profile" in frame:
            profile = _jitter(steps["inference_profile"], rng, 0.9, 1.1, "{:.3f}")
            frame["inference_profile"] = [str(min(1.0, float(p))) for p in profile]
        copies.append(frame)
    pd.concat(copies).to_csv(dst / "timesteps.csv", index=False)
    for table in sorted(src.glob("*.csv")):
        if table.name == "timesteps.csv":
            continue
        frame = pd.read_csv(table, keep_default_na=False, dtype=str)
        if "timestep" in frame:
            parts = []
            for d in range(days):
                part = frame.copy()
                part["timestep"] = [f"d{d}{t}" for t in frame["timestep"]]
                if "stranded_mw" in part:
                    part["stranded_mw"] = _jitter(frame["stranded_mw"], rng, 0.7, 1.3, "{:.1f}")
                parts.append(part)
            frame = pd.concat(parts)
        if table.name == "sites.csv":
            parts = [frame]
            for c in range(1, site_copies):
                part = frame.copy()
                part["site"] = [f"{s}-{c}" for s in frame["site"]]
                part["lat"] = [f"{float(x) + rng.uniform(-0.3, 0.3):.3f}" for x in frame["lat"]]
                part["lon"] = [f"{float(x) + rng.uniform(-0.3, 0.3):.3f}" for x in frame["lon"]]
                for column in ("interconnect_mw", "site_max_mw"):
                    if column in part:
                        part[column] = _jitter(frame[column], rng, 0.6, 1.2, "{:.0f}")
                parts.append(part)
            frame = pd.concat(parts)
        frame.to_csv(dst / table.name, index=False)
    return dst


def test_scaled_scenario_loads_with_more_steps_and_sites(tmp_path):
    from optimizer.scenario import load_scenario

    base = load_scenario(SCENARIOS / "tiny")
    scaled = load_scenario(scaled_scenario(SCENARIOS / "tiny", tmp_path / "big", 3, 2))
    assert len(scaled.timesteps) == 3 * len(base.timesteps)
    assert len(scaled.sites) == 2 * len(base.sites)
    assert scaled.hash() != base.hash()


@pytest.mark.parametrize("name", ["tiny", "stranded-storage"])
def test_scaled_scenario_is_deterministic(tmp_path, name):
    from optimizer.scenario import load_scenario

    one = load_scenario(scaled_scenario(SCENARIOS / name, tmp_path / "a", 2, 2))
    two = load_scenario(scaled_scenario(SCENARIOS / name, tmp_path / "b", 2, 2))
    assert one.hash() == two.hash()
