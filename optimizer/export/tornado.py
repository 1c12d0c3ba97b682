"""The tornado figure of a sensitivity batch (``tornado.png``), from its tornado table
(:func:`optimizer.batch.tornado.tornado_table`)."""

from __future__ import annotations

import math
import os
import textwrap

import pandas as pd

from optimizer.export.plots import _save, plt

LOW_COLOUR = "tab:blue"
HIGH_COLOUR = "tab:red"
LABEL_WIDTH = 42
"""Characters per line of an input's label."""


def value_text(value: object) -> str:
    """A setting value as people read it: 250,000, 5.5, true."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.6g}"


def _label(row: pd.Series) -> str:
    low, high = value_text(row["low_value"]), value_text(row["high_value"])
    lines = textwrap.wrap(str(row["label"]), LABEL_WIDTH)
    lines += textwrap.wrap(f"{low} / {high} {row['unit']}", LABEL_WIDTH)
    flags = ["within the solver gap"] if row["within_gap"] else []
    if isinstance(row["note"], str) and row["note"]:
        flags.append("see the note in tornado.csv")
    return "\n".join(lines + ([f"({'; '.join(flags)})"] if flags else []))


def plot_tornado(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Bars of each input's low and high run from the base cost, largest swing on top (the
    table's order), the base's gap shaded; inputs whose changes lie within the solver gap
    hatched and named so; a side without a solution written at the base line, one stopped by
    the time limit marked with its status."""
    n = len(table)
    fig, ax = plt.subplots(figsize=(11, 2.2 + 0.75 * max(n, 1)), layout="constrained")
    base = float(table["base_cost_musd_per_year"].iloc[0]) if n else math.nan
    for y, (_, row) in enumerate(table.iterrows()):
        hatch = "//" if row["within_gap"] else None
        for side, colour, offset in (("low", LOW_COLOUR, -0.18), ("high", HIGH_COLOUR, 0.18)):
            change = row[f"{side}_change_musd_per_year"]
            status = row[f"{side}_status"]
            if not math.isfinite(change):
                ax.text(base if math.isfinite(base) else 0.0, y + offset, f" {side}: {status}",
                        va="center", fontsize=7, color=colour)  # fmt: skip
                continue
            ax.barh(y + offset, change, left=base, height=0.34, color=colour, hatch=hatch,
                    alpha=0.55 if hatch else 0.9, edgecolor=colour,
                    label=f"{side} value" if y == 0 else None)  # fmt: skip
            text = f"{change:+,.1f} ({row[f'{side}_change_pct']:+.1f} %)"
            if status != "optimal":
                text += f" [{status}]"
            end = base + change
            ax.text(end, y + offset, f" {text} ", va="center", fontsize=7,
                    ha="left" if change >= 0 else "right")  # fmt: skip
    if math.isfinite(base):
        gap = table["base_gap_pct"].iloc[0]
        label = f"base {base:,.1f} M USD/yr (gap {gap:.2f} %)"
        ax.axvline(base, color="black", linewidth=1, label=label)
        band = abs(base) * gap / 100 if math.isfinite(gap) else 0.0
        if band > 0:
            ax.axvspan(base - band, base + band, color="grey", alpha=0.15, label="base's gap")
    ax.set_yticks(range(n), [_label(row) for _, row in table.iterrows()], fontsize=8)
    ax.set_ylim(max(n, 1) - 0.5, -0.5)  # the first row on top, also when no bar is drawn
    if n and not math.isfinite(base):
        ax.set_title(f"base: {table['base_status'].iloc[0]}, no solution", loc="left", fontsize=8)
    ax.set_xlabel("total annualized cost (M USD/yr)")
    ax.set_title("Total cost with each input at its low and high value, one at a time",
                 fontsize=10)  # fmt: skip
    ax.grid(axis="x", alpha=0.3)
    ax.margins(x=0.25)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=4)
    _save(fig, path)
