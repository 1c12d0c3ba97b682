"""Siting: campus size blocks, edge modules, the training target and each site's cap.

Sets: campus sites S_c, edge sites S_e, blocks K (sizes ``block_mw[k]``, IT MW); the pairs
(s, k) where block k fits the site (:func:`fits`): within ``site_max_mw[s]`` and, at a pooled
site, its full load ``pue[s] * block_mw[k]`` within ``interconnect_mw[s] +
interconnect_upgrade_max_mw[s]`` (any other block would break ``power_campus_wire``: leaving it
out changes no plan and keeps roundings feasible).

Variables
    ``build_campus[s, k]`` in {0, ..., count[s]}: number of campuses of block k at site row s
    (binary for a single site; a group of ``count[s]`` identical sites takes up to that many);
    ``edge_modules[s]`` in Z+, s in S_e: number of edge modules of ``module_mw`` IT MW.

Expressions
    ``campus_mw[s] = sum_k block_mw[k] * build_campus[s, k]`` (IT MW);
    ``campus_count[s] = sum_k build_campus[s, k]`` (campuses built);
    ``edge_mw[s] = module_mw * edge_modules[s]``.

Constraints
    ``siting_one_block[s]``:   campus_count[s] <= count[s]   (one campus per site)
    ``siting_training_target``: sum_s campus_mw[s] >= training_target_mw
    ``siting_site_cap[s]``:    campus_mw[s] + edge_mw[s] <= site_max_mw[s]   (single sites with both)
Upper bound ``edge_modules[s] <= floor(site_max_mw[s] / module_mw)``. No target row when no
block fits any site (then the target must be 0).

Parts (:class:`SitingParts`): both variables are static decisions; the target and the site cap
are limits a user sets; all three rows bind build decisions only (planning-only).

A group's sites are identical, so the group model is exact for campuses of one block size: any
plan for the individual sites sums to a plan of the group, and a group plan splits evenly into
one for its sites (see ``power`` for the one pooling a group with mixed sizes allows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pyomo.environ as pyo

from optimizer.errors import InputError
from optimizer.model.parts import Family, decision, expression, row
from optimizer.model.sets import ModelData


@dataclass(frozen=True)
class SitingParts(Family):
    """The siting family's parts (see the module docstring)."""

    name = "siting"
    build_campus: pyo.Var = decision()
    edge_modules: pyo.Var = decision()
    campus_mw: pyo.Expression = expression()
    campus_count: pyo.Expression = expression()
    edge_mw: pyo.Expression = expression()
    siting_one_block: pyo.Constraint = row(planning_only=True)
    siting_training_target: pyo.Constraint = row(limit=True, planning_only=True)
    siting_site_cap: pyo.Constraint = row(limit=True, planning_only=True)


def add_edge_modules(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Add ``edge_modules[s]`` and ``edge_mw[s]`` to ``m`` (also the heuristic's edge model)."""
    m.edge_modules = pyo.Var(
        m.edge_sites,
        domain=pyo.NonNegativeIntegers,
        bounds=lambda _, s: (0, math.floor(d.site_max_mw[s] / d.module_mw + 1e-9)),
    )
    m.edge_mw = pyo.Expression(m.edge_sites, rule=lambda m, s: d.module_mw * m.edge_modules[s])


def fits(d: ModelData, s: str, k: int) -> bool:
    """Block k fits site s: within its ``site_max_mw`` and, at a pooled site (whose connection
    carries the campus's full load, see ``power``), with ``pue * block_mw`` within its
    connection and largest upgrade (per campus, also in a group row)."""
    if d.block_mw[k] > d.site_max_mw[s]:
        return False
    if s in d.pool_of:
        wire = d.interconnect_mw[s] + d.interconnect_upgrade_max_mw[s]
        return d.pue[s] * d.block_mw[k] <= wire + 1e-9
    return True


def add_siting(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Add campus blocks, edge modules, the training target and the site caps to ``m``."""
    fitting = [(s, k) for s in d.campus_sites for k in d.blocks if fits(d, s, k)]
    m.site_blocks = pyo.Set(initialize=fitting, dimen=2, ordered=True)
    m.build_campus = pyo.Var(
        m.site_blocks,
        domain=pyo.NonNegativeIntegers,
        bounds=lambda _, s, k: (0, d.count[s]),
    )
    add_edge_modules(m, d)
    blocks_of_site: dict[str, list[int]] = {s: [] for s in d.campus_sites}
    for s, k in fitting:
        blocks_of_site[s].append(k)

    m.campus_mw = pyo.Expression(
        m.campus_sites,
        rule=lambda m, s: sum(d.block_mw[k] * m.build_campus[s, k] for k in blocks_of_site[s]),
    )
    m.campus_count = pyo.Expression(
        m.campus_sites, rule=lambda m, s: sum(m.build_campus[s, k] for k in blocks_of_site[s])
    )

    m.siting_one_block = pyo.Constraint(
        [s for s in d.campus_sites if len(blocks_of_site[s]) > 1],
        rule=lambda m, s: m.campus_count[s] <= d.count[s],
    )
    if not fitting and d.training_target_mw > 0:
        raise InputError(
            f"training target of {d.training_target_mw:g} MW cannot be met: no site allows a "
            "campus with a block that fits its site_max_mw"
        )
    m.siting_training_target = pyo.Constraint(  # no row when no campus fits (and no target)
        rule=lambda m: (
            sum(m.campus_mw[s] for s in d.campus_sites) >= d.training_target_mw
            if fitting
            else pyo.Constraint.Skip
        )
    )
    edge = set(d.edge_sites)
    m.siting_site_cap = pyo.Constraint(
        [s for s in d.campus_sites if s in edge],
        rule=lambda m, s: m.campus_mw[s] + m.edge_mw[s] <= d.site_max_mw[s],
    )
