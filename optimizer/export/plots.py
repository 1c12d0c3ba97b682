"""Matplotlib figures written as PNG (no display needed)."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
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


# --- run folder figures -------------------------------------------------------------------------


def _save(fig: plt.Figure, path: str | os.PathLike[str]) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)


def regions_used(region_timesteps: pd.DataFrame) -> list[str]:
    """Regions whose sites import from the grid in some step, in table order."""
    imports = region_timesteps.groupby("region", sort=False)["grid_import_mw"].max()
    return [str(r) for r in imports.index if imports[r] > 1e-6]


def plot_stranded_power_duration(
    region_timesteps: pd.DataFrame,
    path: str | os.PathLike[str],
    regions: list[str] | None = None,
) -> None:
    """Stranded-power duration curve of each region used, with the run's grid import.

    For each region the steps are sorted by ``stranded_available_mw`` (the stranded power the
    sites may use, largest first) and drawn against the cumulative hours they stand for
    (``weight_h``); the region's ``grid_import_mw`` in the same steps and, when procured, the
    stranded power plus ``firm_capacity_mw`` are drawn over it. ``regions`` defaults to
    :func:`regions_used` (all regions when none imports).
    """
    chosen = regions if regions is not None else regions_used(region_timesteps)
    if not chosen:
        chosen = [str(r) for r in region_timesteps["region"].unique()]
    n = len(chosen)
    cols = 1 if n == 1 else 2
    rows = -(-n // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(7 * cols, 3.2 * rows + 0.6), squeeze=False, layout="constrained"
    )
    for ax, region in zip(axes.flat, chosen, strict=False):
        steps = region_timesteps[region_timesteps["region"] == region]
        steps = steps.sort_values("stranded_available_mw", ascending=False, kind="stable")
        hours = steps["weight_h"].cumsum().to_numpy()
        edges = [0.0, *hours]
        available = steps["stranded_available_mw"].to_numpy()
        ax.stairs(available, edges, fill=True, alpha=0.35, color="tab:green",
                  label="stranded power available (MW)")  # fmt: skip
        firm = steps["firm_capacity_mw"].fillna(0).to_numpy()
        if (firm > 1e-6).any():
            ax.stairs(available + firm, edges, color="tab:purple", linestyle="--",
                      label="available + firm capacity procured (MW)")  # fmt: skip
        ax.stairs(steps["grid_import_mw"].to_numpy(), edges, color="tab:blue", linewidth=1.8,
                  label="grid import of the run (MW)")  # fmt: skip
        ax.set_title(f"region {region}")
        ax.set_xlim(0, edges[-1] if edges[-1] > 0 else 1)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("hours of the year (steps sorted by stranded power)")
        ax.set_ylabel("MW")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper right")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle("Stranded-power duration curves of the regions used")
    _save(fig, path)


def largest_campus(sites: pd.DataFrame) -> str | None:
    """The site with the largest campus (or, with no campus, the built site with the highest
    grid import peak); None when nothing is built."""
    campus = sites[sites["campus_mw"] > 1e-6]
    if len(campus):
        return str(campus.sort_values("campus_mw", ascending=False, kind="stable")["site"].iloc[0])
    built = sites[sites["built"].astype(bool)] if "built" in sites else sites.iloc[0:0]
    if len(built):
        ordered = built.sort_values("grid_import_peak_mw", ascending=False, kind="stable")
        return str(ordered["site"].iloc[0])
    return None


def plot_campus_dispatch(
    dispatch: pd.DataFrame,
    site: str,
    path: str | os.PathLike[str],
    periods: list[str],
) -> None:
    """Dispatch of one site over the representative days, step by step.

    Top: grid import and storage discharge stacked above zero, storage charge below zero, the
    site load (PUE x IT) as a line and, stacked on it in red, the training curtailed (times the
    site's PUE, so the band reaches the load the campus would have drawn). Bottom: storage
    state of charge (MWh). ``periods`` labels each step's representative period; period
    changes are marked by vertical lines.
    """
    d = dispatch[dispatch["site"] == site].reset_index(drop=True)
    edges = list(range(len(d) + 1))
    fig, (ax, ax_soc) = plt.subplots(
        2, 1, figsize=(11, 6.5), sharex=True, height_ratios=(3, 1), layout="constrained"
    )
    grid, discharge = d["grid_import_mw"].to_numpy(), d["discharge_mw"].to_numpy()
    charge, soc = d["charge_mw"].to_numpy(), d["soc_mwh"].to_numpy()
    has_storage = bool((charge > 1e-9).any() or (discharge > 1e-9).any() or (soc > 1e-9).any())
    ax.stairs(grid, edges, fill=True, color="tab:blue", alpha=0.55, label="grid import")
    if has_storage:
        ax.stairs(grid + discharge, edges, baseline=grid, fill=True, color="tab:green",
                  alpha=0.6, label="storage discharge")  # fmt: skip
        ax.stairs(-charge, edges, fill=True, color="tab:olive", alpha=0.6,
                  label="storage charge (below zero)")  # fmt: skip
    load = d["site_load_mw"].to_numpy()
    ax.stairs(load, edges, color="black", linewidth=1.5, label="site load (PUE x IT)")
    it_mw = (d["inference_mw"] + d["training_mw"]).to_numpy()
    ratio = load[it_mw > 1e-9] / it_mw[it_mw > 1e-9]
    pue = float(np.median(ratio)) if len(ratio) else 1.0
    curtailed = d["curtailed_mw"].to_numpy()
    if (curtailed > 1e-9).any():
        ax.stairs(load + pue * curtailed, edges, baseline=load, fill=True, color="tab:red",
                  alpha=0.45, hatch="//", label="training curtailed (x PUE)")  # fmt: skip
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_ylabel("MW")
    ax.set_title(f"Dispatch of site {site} over the representative days")
    ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center", ncols=5, fontsize=8)
    ax_soc.stairs(soc, edges, fill=True, color="tab:green", alpha=0.4)
    if not has_storage:
        ax_soc.set_ylim(0, 1)
        ax_soc.text(0.5, 0.5, "no storage at this site", transform=ax_soc.transAxes,
                    ha="center", va="center", color="grey")  # fmt: skip
    ax_soc.set_ylabel("storage\nMWh")
    ax_soc.grid(alpha=0.3)
    ax_soc.set_xlim(0, max(len(d), 1))
    if periods:
        starts = [i for i in range(len(periods)) if i == 0 or periods[i] != periods[i - 1]]
        for i in starts[1:]:
            for a in (ax, ax_soc):
                a.axvline(i, color="grey", linestyle=":", linewidth=1)
        ends = [*starts[1:], len(periods)]
        ax_soc.set_xticks([(s + e) / 2 for s, e in zip(starts, ends, strict=True)])
        weight = d["weight_h"].to_numpy()
        ax_soc.set_xticklabels(
            [f"{periods[s]}\n({weight[s]:g} h per step)" for s in starts], fontsize=8
        )
    else:
        ax_soc.set_xlabel("time step")
    _save(fig, path)


def plot_cost_breakdown(breakdown_usd: dict[str, float], path: str | os.PathLike[str]) -> None:
    """Horizontal bars of the objective's terms (million USD per year), largest first; terms
    that are zero are left out; the total is in the title."""
    terms = pd.Series(breakdown_usd, dtype="float64").fillna(0.0)
    shown = terms[terms.abs() > 0.5].sort_values()
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(shown), 2) + 1.6), layout="constrained")
    values = shown.to_numpy() / 1e6
    bars = ax.barh(shown.index.astype(str), values, color="tab:blue")
    ax.bar_label(bars, labels=[f"{v:,.1f}" for v in values], padding=3, fontsize=8)
    ax.set_xlabel("million USD per year (annualized)")
    ax.set_title(f"Cost breakdown: total {terms.sum() / 1e6:,.1f} M USD/yr")
    ax.grid(axis="x", alpha=0.3)
    ax.margins(x=0.15)
    _save(fig, path)


def plot_weather_years(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """The plan in each year of the record (``weather_years.csv``): training curtailment against
    its budget, and the energy left unserved with the firm capacity short."""
    years = table["year"].astype(int).astype(str).to_numpy()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True, layout="constrained")
    cut = table["training_curtailment_pct"].astype(float).to_numpy()
    budget = float(table["curtailment_budget_pct"].iloc[0])
    over = table["curtailment_beyond_budget_mwh"].astype(float).to_numpy() > 0
    top.bar(years, cut, color=np.where(over, "tab:red", "tab:blue"))
    top.axhline(budget, color="black", linestyle="--", linewidth=1, label=f"budget {budget:g} %")
    top.set_ylabel("training curtailed, %")
    top.legend(loc="upper left", fontsize=8)
    top.set_title("The plan in every year of the record (red: some campus beyond its budget)")
    unserved = table["unserved_energy_mwh"].astype(float).to_numpy() / 1e3
    bottom.bar(years, unserved, color="tab:orange")
    bottom.set_ylabel("unserved, GWh")
    short = bottom.twinx()
    short.plot(years, table["firm_capacity_short_mw"].astype(float), color="black", marker="o")
    short.set_ylabel("firm capacity short, MW")
    bottom.set_xlabel("weather year (load of that year, thresholds of the record)")
    for ax in (top, bottom):
        ax.grid(axis="y", alpha=0.3)
    _save(fig, path)


def plot_batch_comparison(
    summary_table: pd.DataFrame,
    path: str | os.PathLike[str],
    terms: list[str] | None = None,
) -> None:
    """Compare the objective and its terms across the variants of a batch.

    ``summary_table`` has one row per variant: a ``variant`` column (or the index names the
    variants), ``objective_usd``, and one column per cost term named ``{term}_usd`` (the keys
    of ``summary.json``'s ``objective_breakdown_usd`` with ``_usd`` added), as written by
    :func:`optimizer.batch.table.collect_summary`. Terms are stacked bars in million USD per
    year; the objective is marked on each bar (a variant without a solution has neither).
    ``terms`` names the term columns; by default every numeric ``*_usd`` column except
    ``objective_usd``, ``best_bound_usd`` and override paths (names with a dot), leaving out a
    term that is zero in every variant.
    """
    table = summary_table.set_index("variant") if "variant" in summary_table else summary_table
    table = table.copy()
    table.index = table.index.astype(str)
    skip = {"objective_usd", "best_bound_usd"}
    if terms is None:
        terms = [
            c
            for c in table.columns
            if str(c).endswith("_usd")
            and "." not in str(c)
            and c not in skip
            and pd.api.types.is_numeric_dtype(table[c])
            and (table[c].fillna(0).abs() > 0.5).any()
        ]
    million = table[terms].fillna(0.0) / 1e6
    fig, ax = plt.subplots(figsize=(max(7, 1.1 * len(table) + 4), 5), layout="constrained")
    colors = plt.get_cmap("tab20").colors
    x = range(len(table))
    above, below = np.zeros(len(table)), np.zeros(len(table))
    for i, term in enumerate(terms):
        values = million[term].to_numpy(dtype="float64")
        bottom = np.where(values >= 0, above, below)
        ax.bar(x, values, bottom=bottom, color=colors[i % len(colors)],
               label=term.removesuffix("_usd"), width=0.7)  # fmt: skip
        above += np.clip(values, 0, None)
        below += np.clip(values, None, 0)
    if "objective_usd" in table:
        objective = table["objective_usd"].to_numpy(dtype="float64") / 1e6
        ax.scatter(x, objective, color="black", marker="D", zorder=3, label="objective")
        for xi, v in zip(x, objective, strict=True):
            text, at = (f"{v:,.0f}", v) if np.isfinite(v) else ("no solution", 0.0)
            ax.annotate(text, (xi, at), textcoords="offset points", xytext=(0, 6),
                        ha="center", fontsize=8)  # fmt: skip
    ax.set_xticks(list(x))
    ax.set_xticklabels(table.index, rotation=30 if len(table) > 4 else 0, ha="right")
    ax.set_ylabel("million USD per year (annualized)")
    ax.set_title("Objective and cost terms by variant")
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    _save(fig, path)


def plot_training_comparison(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """The variants of a batch side by side (``optimizer.batch.compare``'s table): training
    cost per MW, campus MW per region, firm capacity and training curtailment, one bar (row)
    per variant."""
    names = table["variant"].astype(str).tolist()
    y = np.arange(len(names))
    regions = [c for c in table.columns if c.startswith("campus_mw.")]
    fig, axes = plt.subplots(
        1, 4, figsize=(17, 1.6 + 0.38 * len(names)), sharey=True, layout="constrained"
    )
    cost, campus, firm, curtail = axes
    cost.barh(y, table["training_cost_usd_per_mw_year"] / 1e3, color="tab:blue")
    cost.set_title("training cost (k USD per MW-year)")
    left = np.zeros(len(names))
    colours = plt.get_cmap("tab20")
    for i, column in enumerate(regions):
        values = table[column].to_numpy() / 1e3
        campus.barh(y, values, left=left, color=colours(i % 20), label=column.split(".", 1)[1])
        left += values
    campus.set_title("campus per region (GW)")
    below = {"fontsize": 7, "loc": "upper center", "bbox_to_anchor": (0.5, -0.06)}
    if regions:
        campus.legend(ncols=min(len(regions), 6), **below)
    firm.barh(y, table["firm_capacity_mw"], color="tab:purple")
    firm.set_title("firm capacity procured (MW)")
    height = 0.4
    curtail.barh(y - height / 2, table["training_curtailment_pct"], height,
                 color="tab:red", label="representative days")  # fmt: skip
    curtail.barh(y + height / 2, table["full_year_curtailment_pct"], height,
                 color="tab:orange", label="full year")  # fmt: skip
    curtail.set_title("training curtailment (% of its energy)")
    curtail.legend(ncols=2, **below)
    cost.set_yticks(y, names, fontsize=8)
    cost.invert_yaxis()
    for ax in axes:
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle("Variants of the batch")
    _save(fig, path)


INTERFACES_SHOWN = 10
"""Interfaces in the figure of the most valuable ones."""


def plot_interface_values(interfaces: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Horizontal bars of the ten most valuable interfaces of a zonal run (``interfaces.csv``):
    what one more MW allowed on each is worth, thousand USD per MW-year (forward: from
    ``from_zone`` to ``to_zone``; reverse: back), with its hours at the limit."""
    table = interfaces.copy()
    table["dual_usd_per_mw_year"] = table["dual_usd_per_mw_year"].astype(float).fillna(0.0)
    top = table.sort_values("dual_usd_per_mw_year", ascending=False).head(INTERFACES_SHOWN)
    top = top[top["dual_usd_per_mw_year"] > 0].iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(top), 2) + 1.8), layout="constrained")
    if len(top):
        labels = [
            f"{r.from_zone} \u2192 {r.to_zone}" + ("" if r.kind == "AC" else f" ({r.kind})")
            for r in top.itertuples()
        ]
        forward = top["forward_dual_usd_per_mw_year"].astype(float).fillna(0).to_numpy() / 1e3
        reverse = top["reverse_dual_usd_per_mw_year"].astype(float).fillna(0).to_numpy() / 1e3
        ax.barh(labels, forward, color="tab:blue", label="forward (from \u2192 to)")
        bars = ax.barh(labels, reverse, left=forward, color="tab:orange", label="reverse")
        ax.bar_label(
            bars,
            labels=[
                f"{v:,.0f} k  ({h:,.0f} h at limit, {a:,.0f} MW allowed)"
                for v, h, a in zip(
                    forward + reverse,
                    top["hours_at_limit_h"].astype(float),
                    top["forward_allowed_mw"].astype(float),
                    strict=True,
                )
            ],
            padding=3,
            fontsize=8,
        )
        ax.legend(loc="lower right", fontsize=8)
        ax.margins(x=0.6)
    else:
        ax.text(0.5, 0.5, "no interface binds", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
    ax.set_xlabel("value of one more MW on the interface, thousand USD per MW-year")
    ax.set_title("The most valuable interfaces (zonal deliverability)")
    ax.grid(axis="x", alpha=0.3)
    _save(fig, path)
