"""Siting: campus size blocks, edge modules, the training target and each site's cap.

Sets: campus sites S_c, edge sites S_e, blocks K (sizes ``block_mw[k]``, IT MW).

Variables
    ``build_campus[s, k]`` in {0, 1}, s in S_c: site s hosts a campus of size block k;
    ``edge_modules[s]`` in Z+, s in S_e: number of edge modules of ``module_mw`` IT MW.

Expressions
    ``campus_mw[s] = sum_k block_mw[k] * build_campus[s, k]`` (IT MW);
    ``edge_mw[s] = module_mw * edge_modules[s]``.

Constraints
    ``siting_one_block[s]``:   sum_k build_campus[s, k] <= 1
    ``siting_training_target``: sum_s campus_mw[s] >= training_target_mw
    ``siting_site_cap[s]``:    campus_mw[s] + edge_mw[s] <= site_max_mw[s]
Upper bound ``edge_modules[s] <= floor(site_max_mw[s] / module_mw)``.
"""

from __future__ import annotations

import math

import pyomo.environ as pyo

from optimizer.errors import InputError
from optimizer.model.sets import ModelData


def add_siting(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Add campus blocks, edge modules, the training target and the site caps to ``m``."""
    fitting = [
        (s, k) for s in d.campus_sites for k in d.blocks if d.block_mw[k] <= d.site_max_mw[s]
    ]
    m.site_blocks = pyo.Set(initialize=fitting, dimen=2, ordered=True)
    m.build_campus = pyo.Var(m.site_blocks, domain=pyo.Binary)
    m.edge_modules = pyo.Var(
        m.edge_sites,
        domain=pyo.NonNegativeIntegers,
        bounds=lambda _, s: (0, math.floor(d.site_max_mw[s] / d.module_mw + 1e-9)),
    )
    blocks_of_site: dict[str, list[int]] = {s: [] for s in d.campus_sites}
    for s, k in fitting:
        blocks_of_site[s].append(k)

    m.campus_mw = pyo.Expression(
        m.campus_sites,
        rule=lambda m, s: sum(d.block_mw[k] * m.build_campus[s, k] for k in blocks_of_site[s]),
    )
    m.edge_mw = pyo.Expression(m.edge_sites, rule=lambda m, s: d.module_mw * m.edge_modules[s])

    m.siting_one_block = pyo.Constraint(
        [s for s in d.campus_sites if blocks_of_site[s]],
        rule=lambda m, s: sum(m.build_campus[s, k] for k in blocks_of_site[s]) <= 1,
    )
    if fitting:
        m.siting_training_target = pyo.Constraint(
            expr=sum(m.campus_mw[s] for s in d.campus_sites) >= d.training_target_mw
        )
    elif d.training_target_mw > 0:
        raise InputError(
            f"training target of {d.training_target_mw:g} MW cannot be met: no site allows a "
            "campus with a block that fits its site_max_mw"
        )
    campus, edge = set(d.campus_sites), set(d.edge_sites)

    def site_cap(m, s):
        load = (m.campus_mw[s] if s in campus else 0) + (m.edge_mw[s] if s in edge else 0)
        return load <= d.site_max_mw[s]

    m.siting_site_cap = pyo.Constraint(
        [s for s in d.sites if s in campus and s in edge], rule=site_cap
    )
