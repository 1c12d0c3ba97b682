"""A quick starting solution and a lower bound, before (or instead of) branch and bound.

1. Solve the LP relaxation (every integer relaxed): its objective is a valid lower bound.
2. Round it: campus blocks by largest remainder until the training target is met (each site
   row holds at most ``count`` campuses), edge modules up to the relaxed load they serve.
3. Solve the LP with those integers fixed (a feasible plan and its exact cost). Then re-choose
   the edge modules with a small MIP of the edge decisions alone, built from the siting and
   demand families' own functions, which prices the hourly grid through the plan's stranded
   duals (:func:`edge_modules_mip`), and solve the fixed LP again; repeat while the plan
   improves.

If the plan is within the requested gap of the LP bound, it is proven good enough and branch and
bound is not needed; otherwise it is handed to HiGHS as the MIP's starting solution.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo

from optimizer.model import BuiltModel
from optimizer.model.demand import add_demand, peak_steps, zones_of_sites
from optimizer.model.power import inference_mw
from optimizer.model.sets import ModelData, add_sets
from optimizer.model.siting import add_edge_modules
from optimizer.solve.highs import (
    MatrixModel,
    SolverOptions,
    load_values,
    new_highs,
    solve_fixed,
    solve_matrix,
    to_matrix,
)

EPS = 1e-6


@dataclass
class WarmStart:
    """The LP bound, the rounded plan (columns in matrix order) and its cost."""

    bound_usd: float | None
    x: np.ndarray | None
    objective_usd: float | None
    rounds: int
    seconds: float
    row_dual: np.ndarray | None = None

    @property
    def gap(self) -> float | None:
        """Relative gap of the plan to the LP bound (HiGHS' definition: over the incumbent)."""
        if self.bound_usd is None or self.objective_usd is None:
            return None
        return (self.objective_usd - self.bound_usd) / max(abs(self.objective_usd), 1e-9)


def relaxation(
    matrix: MatrixModel, options: SolverOptions
) -> tuple[float | None, np.ndarray | None]:
    """Objective and solution of the LP relaxation."""
    h = new_highs(matrix.lp, options)
    idx = matrix.integer_columns.astype(np.int32)
    if idx.size:
        h.changeColsIntegrality(idx.size, idx, np.full(idx.size, highspy.HighsVarType.kContinuous))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None, None
    return float(h.getInfo().objective_function_value), np.asarray(h.getSolution().col_value)


def round_campuses(matrix: MatrixModel, built: BuiltModel, x: np.ndarray) -> dict[tuple, int]:
    """Integer campus blocks from relaxed ones: floors, then the largest remainders (in MW)
    until the target is met, then the smallest block at the roomiest site if still short."""
    d = built.data
    cols = matrix.columns_of(built.parts.siting.build_campus)
    n = {key: math.floor(x[i] + EPS) for key, i in cols.items()}
    used = {s: 0 for s in d.campus_sites}
    for (s, _), v in n.items():
        used[s] += v
    built_mw = sum(d.block_mw[k] * v for (_, k), v in n.items())
    order = sorted(cols, key=lambda key: -(x[cols[key]] - n[key]) * d.block_mw[key[1]])
    for s, k in order:
        if built_mw >= d.training_target_mw - EPS:
            break
        if x[cols[s, k]] - n[s, k] > EPS and used[s] < d.count[s]:
            n[s, k] += 1
            used[s] += 1
            built_mw += d.block_mw[k]
    while built_mw < d.training_target_mw - EPS:
        options = [(s, k) for (s, k) in cols if used[s] < d.count[s]]
        if not options:
            break
        s, k = min(options, key=lambda sk: (d.block_mw[sk[1]], -used[sk[0]]))
        n[s, k] += 1
        used[s] += 1
        built_mw += d.block_mw[k]
    return n


def edge_modules_mip(
    d: ModelData, stranded_value: dict[tuple[str, str], float], options: SolverOptions
) -> dict[str, int] | None:
    """Edge modules from a small MIP of the edge decisions alone, the rest of the plan fixed.

    Serving 1 MW of peak inference at site s for a metro of zone z costs its energy and the
    value of the stranded power it takes, step by step (``stranded_value[n, t]``: the marginal
    cost of one more MW drawn at grid node n at step t, from the duals of the plan's LP), times
    PUE; each module costs its annualized capex, delay and spur; a site's peak draw beyond its
    connection needs an upgrade. This keeps the hourly detail out while pricing it. The
    modules and the demand rows are the model's own (``add_edge_modules``, ``add_demand``).
    """
    c, crf = d.costs, d.crf
    zones = sorted({d.metro_zone[mm] for mm in d.metros})
    places = {(d.site_region[s], d.site_node[s]) for s in d.edge_sites}
    energy = {
        (r, n, z): sum(
            d.inference_profile[z, t]
            * (d.weight_h[t] * d.price_usd_per_mwh[r, t] + stranded_value.get((n, t), 0.0))
            for t in d.timesteps
        )
        for r, n in places
        for z in zones
    }
    m = pyo.ConcreteModel()
    add_sets(m, d)
    add_edge_modules(m, d)
    add_demand(m, d)
    sites = [s for s in d.edge_sites if d.pairs_of_site[s]]
    zones_of = zones_of_sites(d)
    m.upgrade = pyo.Var(
        sites,
        domain=pyo.NonNegativeReals,
        bounds=lambda _, s: (0, d.interconnect_upgrade_max_mw[s]),
    )
    m.wire = pyo.Constraint(
        peak_steps(d, sites),
        rule=lambda m, s, t: (
            d.pue[s] * inference_mw(d, m.edge_served_mw, zones_of[s], s, t)
            <= d.interconnect_mw[s] + m.upgrade[s]
        ),
    )
    per_module = {
        s: d.module_mw
        * (
            crf["edge"]
            * (
                c["edge_capex_usd_per_mw"]
                + c["delay_cost_usd_per_mw_year"] * d.time_to_power_years[s]
            )
            + crf["interconnect"] * d.spur_capex_usd_per_mw[s]
        )
        for s in sites
    }
    upgrade_usd_per_mw = crf["interconnect"] * c["interconnect_upgrade_capex_usd_per_mw"]
    unserved_usd_per_mw = {
        z: d.unserved_penalty_usd_per_mwh * d.inference_energy_h(z) for z in zones
    }
    m.cost = pyo.Objective(
        expr=sum(
            per_module[s] * m.edge_modules[s] + upgrade_usd_per_mw * m.upgrade[s] for s in sites
        )
        + sum(
            d.pue[s]
            * (
                energy[d.site_region[s], d.site_node[s], d.metro_zone[mm]]
                + d.energy_price_adder_usd_per_mwh[s] * d.inference_energy_h(d.metro_zone[mm])
            )
            * m.served_mw[s, mm]
            for s, mm in d.pairs
        )
        + sum(unserved_usd_per_mw[d.metro_zone[mm]] * m.unserved_mw[mm] for mm in d.metros)
    )
    matrix = to_matrix(m)
    # a quarter of the plan's gap, at most 30 s: the edge is part of the plan, not all of it
    quick = dataclasses.replace(
        options,
        mip_gap_pct=options.mip_gap_pct / 4,
        time_limit_s=min(options.time_limit_s, 30.0),
        log_to_console=False,
    )
    result = solve_matrix(matrix, quick, duals=False)
    if not result.has_solution:
        return None
    load_values(matrix, result.x)
    return {s: int(round(pyo.value(m.edge_modules[s]))) for s in sites}


def _stranded_value(
    matrix: MatrixModel, row_dual: np.ndarray, limit: pyo.Constraint
) -> dict[tuple[str, str], float]:
    return {
        con.index(): max(-float(row_dual[i]), 0.0)
        for i, con in enumerate(matrix.rows)
        if con.parent_component() is limit
    }


def warm_start(
    matrix: MatrixModel, built: BuiltModel, options: SolverOptions, max_rounds: int = 3
) -> WarmStart:
    """LP bound and a rounded, re-optimised plan (see the module docstring)."""
    started = time.perf_counter()
    d, p = built.data, built.parts
    bound, x_lp = relaxation(matrix, options)
    if x_lp is None:
        return WarmStart(None, None, None, 0, time.perf_counter() - started)
    x = x_lp.copy()
    campus_cols = matrix.columns_of(p.siting.build_campus)
    for key, v in round_campuses(matrix, built, x_lp).items():
        x[campus_cols[key]] = v
    module_cols = matrix.columns_of(p.siting.edge_modules)
    served_cols = matrix.columns_of(p.demand.served_mw)
    peak_load = {s: 0.0 for s in module_cols}  # first guess: the relaxed coincident peak, up
    for s, t in peak_steps(d, list(module_cols)):
        load = sum(
            d.inference_profile[d.metro_zone[mm], t] * x_lp[served_cols[s, mm]]
            for mm in d.pairs_of_site[s]
        )
        peak_load[s] = max(peak_load[s], load)
    for s, idx in module_cols.items():
        x[idx] = math.ceil(peak_load[s] / d.module_mw - EPS)
    best = None
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 (reported after the loop)
        fixed = solve_fixed(matrix, x, options)
        if fixed.objective_usd is None:
            break
        if best is not None and fixed.objective_usd >= best[0] * (1 - 1e-5):
            break
        best = (fixed.objective_usd, fixed.x.copy(), fixed.row_dual)
        value = _stranded_value(matrix, fixed.row_dual, p.stranded.stranded_limit)
        modules = edge_modules_mip(d, value, options)
        if modules is None:
            break
        for s, n in modules.items():
            x[module_cols[s]] = n
    if best is None:
        return WarmStart(bound, None, None, rounds, time.perf_counter() - started)
    return WarmStart(bound, best[1], best[0], rounds, time.perf_counter() - started, best[2])
