"""Objective: total annualized cost (USD per year), as a sum of named cost terms.

Capital costs are annualized with the capital recovery factor
``crf(r, n) = r (1 + r)^n / ((1 + r)^n - 1)`` at the scenario's cost of capital r (given, or
derived from the financing mix) and each asset's lifetime n.

Site terms (``site_cost_usd[s, term]``, summed over sites into ``cost_usd[term]``)
    ``campus_capex``:       crf_campus * campus_capex_usd_per_mw * sum_s campus_mw[s]
    ``edge_capex``:         crf_edge * edge_capex_usd_per_mw * sum_s edge_mw[s]
    ``storage_capex``:      crf_storage * (storage_energy_capex_usd_per_mwh * sum_s storage_energy_mwh[s]
                                           + storage_power_capex_usd_per_mw * sum_s storage_power_mw[s])
    ``interconnect_capex``: crf_interconnect * interconnect_upgrade_capex_usd_per_mw
                            * sum_s interconnect_upgrade_mw[s]
    ``spur_capex``:         crf_interconnect * spur_capex_usd_per_mw[s] * (campus_mw[s] + edge_mw[s])
    ``energy``:             sum_{s,t} weight_h[t] * price(s, t) * grid_import_mw[s, t]
                            (sites not in a pool), with price(s, t) = energy_price_adder_usd_per_mwh[s]
                            + price_usd_per_mwh[region(s), t]
    ``curtailment``:        curtailment_cost_usd_per_mwh * sum_{s,t} weight_h[t] * curtailed_mw[s, t]
                            (sites not in a pool)
    ``time_to_power``:      delay_cost_usd_per_mw_year * sum_s time_to_power_years[s]
                            * (crf_campus * campus_mw[s] + crf_edge * edge_mw[s])
                            (the one-off cost of waiting for power, annualized like the asset)

Pool terms (``pool_cost_usd[p, term]``, added to ``cost_usd[term]``): ``energy`` and
``curtailment`` as above with the pool's ``pool_grid_import_mw[p, t]`` and
``pool_curtailed_mw[p, t]`` (a pool's sites share their hourly operation; the results give each
site its share in proportion to its campus MW, see ``power``).

System terms (``cost_usd[term]``)
    ``firm_capacity``:      sum_n node_firm_capacity_usd_per_mw_year[n] * firm_capacity_mw[n]
                            (a node's price is its region's ``firm_capacity_usd_per_mw_year``
                            times ``costs.firm_capacity_price_scale_pct`` / 100)
    ``unserved``:           unserved_penalty_usd_per_mwh
                            * sum_m (sum_t weight_h[t] * inference_profile[z(m), t]) * unserved_mw[m]

Full-year check: ``unserved`` adds the penalty on sum_{r,t} weight_h[t] * shortfall_mw[r, t], and
curtailment beyond the budget (``curtail_excess_mwh``, ``pool_curtail_excess_mwh``) costs the
unserved penalty per MWh.

Objective ``total_cost_usd``: minimize sum of the terms.

Parts (:class:`ObjectiveParts`): the expressions ``site_cost_usd``, ``pool_cost_usd`` and
``cost_usd``, the objective, and the names of the terms: per site, per pool, in total, and those
that depend on hourly operation (``dispatch_terms``; the others are fixed with the build).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pyomo.environ as pyo

from optimizer.model.parts import Family, expression, objective
from optimizer.model.power import grid_import
from optimizer.model.sets import ModelData


@dataclass(frozen=True)
class ObjectiveParts(Family):
    """The objective family's parts (see the module docstring)."""

    name = "objective"
    site_terms: ClassVar[tuple[str, ...]] = (
        "campus_capex",
        "edge_capex",
        "storage_capex",
        "interconnect_capex",
        "spur_capex",
        "energy",
        "curtailment",
        "time_to_power",
    )
    pool_terms: ClassVar[tuple[str, ...]] = ("energy", "curtailment")
    terms: ClassVar[tuple[str, ...]] = (*site_terms, "firm_capacity", "unserved")
    dispatch_terms: ClassVar[tuple[str, ...]] = ("energy", "curtailment", "unserved")
    site_cost_usd: pyo.Expression = expression()
    pool_cost_usd: pyo.Expression = expression()
    cost_usd: pyo.Expression = expression()
    total_cost_usd: pyo.Objective = objective()


def _site_terms(d: ModelData) -> list[tuple[str, str]]:
    campus, edge, storage = set(d.campus_sites), set(d.edge_sites), set(d.storage_sites)
    own_operation = set(d.sites) - set(d.pool_of)
    applies = {
        "campus_capex": campus,
        "edge_capex": edge,
        "storage_capex": storage,
        "spur_capex": campus | edge,
        "energy": own_operation,
        "curtailment": campus & own_operation,
        "time_to_power": campus | edge,
    }
    return [
        (s, name)
        for s in d.sites
        for name in ObjectiveParts.site_terms
        if name not in applies or s in applies[name]
    ]


def add_objective(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Add per-site costs ``site_cost_usd[s, term]``, the totals ``cost_usd[term]`` and the
    objective ``total_cost_usd``. Site terms are defined once, at the site, and summed."""
    c, crf = d.costs, d.crf
    campus, edge = set(d.campus_sites), set(d.edge_sites)

    def it_mw(m, s):
        return (m.campus_mw[s] if s in campus else 0) + (m.edge_mw[s] if s in edge else 0)

    def site_term(m, s, name):
        if name == "campus_capex":
            return crf["campus"] * c["campus_capex_usd_per_mw"] * m.campus_mw[s]
        if name == "edge_capex":
            return crf["edge"] * c["edge_capex_usd_per_mw"] * m.edge_mw[s]
        if name == "storage_capex":
            return crf["storage"] * (
                c["storage_energy_capex_usd_per_mwh"] * m.storage_energy_mwh[s]
                + c["storage_power_capex_usd_per_mw"] * m.storage_power_mw[s]
            )
        if name == "interconnect_capex":
            return (
                crf["interconnect"]
                * c["interconnect_upgrade_capex_usd_per_mw"]
                * m.interconnect_upgrade_mw[s]
            )
        if name == "spur_capex":
            return crf["interconnect"] * d.spur_capex_usd_per_mw[s] * it_mw(m, s)
        if name == "energy":
            return sum(
                d.weight_h[t] * d.energy_price_usd_per_mwh(s, t) * grid_import(m, s, t)
                for t in d.timesteps
            )
        if name == "curtailment":
            excess = m.curtail_excess_mwh[s] if d.operational_check else 0
            return curtailment(m.curtailed_mw, s, excess)
        if name == "time_to_power":
            per_mw_year = c["delay_cost_usd_per_mw_year"] * d.time_to_power_years[s]
            mw = (crf["campus"] * m.campus_mw[s] if s in campus else 0) + (
                crf["edge"] * m.edge_mw[s] if s in edge else 0
            )
            return per_mw_year * mw
        raise KeyError(name)

    def curtailment(curtailed, key, excess):
        cost = d.curtailment_cost_usd_per_mwh * sum(
            d.weight_h[t] * curtailed[key, t] for t in d.timesteps
        )
        if d.operational_check:  # a MWh beyond the budget costs the unserved penalty
            extra = max(d.unserved_penalty_usd_per_mwh - d.curtailment_cost_usd_per_mwh, 0.0)
            cost += extra * excess
        return cost

    def pool_term(m, p, name):
        if name == "energy":
            r, adder = d.pool_region[p], d.pool_price_adder_usd_per_mwh[p]
            return sum(
                d.weight_h[t] * (d.price_usd_per_mwh[r, t] + adder) * m.pool_grid_import_mw[p, t]
                for t in d.timesteps
            )
        if name == "curtailment":
            excess = m.pool_curtail_excess_mwh[p] if d.operational_check else 0
            return curtailment(m.pool_curtailed_mw, p, excess)
        raise KeyError(name)

    m.pool_cost_usd = pyo.Expression(m.pools, ObjectiveParts.pool_terms, rule=pool_term)
    site_terms = _site_terms(d)
    m.site_cost_index = pyo.Set(initialize=site_terms, dimen=2, ordered=True)
    m.site_cost_usd = pyo.Expression(m.site_cost_index, rule=site_term)
    sites_of_term: dict[str, list[str]] = {name: [] for name in ObjectiveParts.site_terms}
    for s, name in site_terms:
        sites_of_term[name].append(s)

    def term(m, name):
        if name in sites_of_term:
            pooled = (
                sum(m.pool_cost_usd[p, name] for p in d.pools)
                if name in ObjectiveParts.pool_terms
                else 0
            )
            return sum(m.site_cost_usd[s, name] for s in sites_of_term[name]) + pooled
        if name == "firm_capacity":
            return sum(
                d.node_firm_capacity_usd_per_mw_year[n] * m.firm_capacity_mw[n] for n in m.nodes
            )
        if name == "unserved":
            energy_h = {z: d.inference_energy_h(z) for z in d.zones}
            unserved = sum(energy_h[d.metro_zone[mm]] * m.unserved_mw[mm] for mm in m.metros)
            if d.operational_check:
                unserved += sum(d.weight_h[t] * v for (_, t), v in m.shortfall_mw.items())
            return d.unserved_penalty_usd_per_mwh * unserved
        raise KeyError(name)

    m.cost_terms = pyo.Set(initialize=ObjectiveParts.terms, ordered=True)
    m.cost_usd = pyo.Expression(m.cost_terms, rule=term)
    m.total_cost_usd = pyo.Objective(
        expr=sum(m.cost_usd[k] for k in ObjectiveParts.terms), sense=pyo.minimize
    )
