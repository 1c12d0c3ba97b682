"""Matplotlib figures written as PNG (no display needed)."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from optimizer.atomic import atomic_path  # noqa: E402


def plot_headroom(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Grouped bars of headroom (GW) per BA and curtailment limit, BAs by their 1 % headroom."""
    wide = table.pivot(index="ba", columns="limit_pct", values="headroom_mw") / 1000.0
    wide = wide.sort_values(wide.columns[len(wide.columns) // 2], ascending=False)
    fig, ax = plt.subplots(figsize=(max(8, 0.55 * len(wide)), 5), layout="constrained")
    wide.plot.bar(ax=ax, width=0.8, colormap="viridis")
    ax.set_xlabel("balancing authority")
    ax.set_ylabel("headroom for new constant load (GW)")
    ax.set_title("Curtailment-enabled headroom by BA and curtailment limit")
    ax.legend([f"{c:g} % curtailment" for c in wide.columns], title="limit")
    ax.grid(axis="y", alpha=0.3)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
