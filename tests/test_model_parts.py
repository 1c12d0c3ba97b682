"""The model's declared parts: complete, of the roles they claim, and what results read."""

from __future__ import annotations

from pathlib import Path

import pyomo.environ as pyo
import pytest
from factory import make_scenario, site
from pyomo.core.expr.visitor import identify_variables
from test_model_random import EXACT, random_scenario

from optimizer.model import ModelParts, ModelPartsError, build_model
from optimizer.pipeline import _run
from optimizer.scenario import load_scenario

EXAMPLES = sorted(
    p for p in (Path(__file__).parents[1] / "data" / "scenarios").iterdir() if p.is_dir()
)
COMPONENTS = (pyo.Var, pyo.Constraint, pyo.Expression, pyo.Objective)


def _check_declarations(built) -> None:
    """Every model component is declared once; roles match what the components are."""
    m, p, d = built.model, built.parts, built.data
    declared = [c for family in p.families() for _, c in family.parts() if c is not None]
    assert len({id(c) for c in declared}) == len(declared)
    on_model = list(m.component_objects(COMPONENTS, descend_into=True))
    assert {c.name for c in on_model} == {c.name for c in declared}
    steps = set(d.timesteps)
    for family in p.families():
        for role, component in family.parts():
            if component is None:
                assert role.kind == "slack" and not d.operational_check
                continue
            indices = list(component.keys())
            if role.hourly:  # indexed by time step, last
                assert all(index[-1] in steps for index in indices), component.name
            elif indices and indices != [None]:
                assert not any(i in steps for index in indices for i in index), component.name
    hourly = {id(c) for c in p.hourly_decisions() + p.hourly_rows()}
    assert hourly == {
        id(c)
        for family in p.families()
        for role, c in family.parts()
        if role.hourly and role.kind in ("decision", "row")
    }
    static = {id(v) for v in p.static_decisions()}
    assert not static & hourly
    for rows in p.planning_rows():  # planning-only rows hold static decisions alone
        for con in rows.values():
            owners = {id(v.parent_component()) for v in identify_variables(con.body)}
            assert owners <= static, con.name
    assert {c.name for c in p.limits()} == {
        "siting_training_target",
        "siting_site_cap",
        "power_curtail_budget",
        "power_curtail_budget_year",
        "power_pool_curtail_budget",
        "power_pool_curtail_budget_year",
        "power_campus_wire",
        "power_interconnect_limit",
        "power_edge_interconnect_limit",
        "stranded_limit",
    }


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
@pytest.mark.parametrize("check", [False, True], ids=["planning", "full-year check"])
def test_every_declared_part_is_on_the_model_of_every_example(folder, check):
    _check_declarations(build_model(load_scenario(folder), operational_check=check))


@pytest.mark.parametrize("seed", range(4))
def test_declarations_hold_on_random_models(seed):
    _check_declarations(build_model(random_scenario(seed)))


@pytest.mark.realdata
def test_every_declared_part_is_on_the_us_model(data_dir):
    from optimizer.builders.us.settings import DEFAULT_SCENARIO
    from optimizer.pipeline import prepare
    from optimizer.source import Source

    source = Source.of(DEFAULT_SCENARIO, ["build.bas=[ERCO,SWPP]", "build.n_metros=15"])
    scenario = prepare(source, data_dir, full_year=False).scenario
    _check_declarations(build_model(scenario))


def test_a_declared_part_the_model_lacks_is_an_error():
    built = build_model(load_scenario(EXAMPLES[0]))
    built.model.del_component(built.model.power_curtail_budget)
    with pytest.raises(ModelPartsError, match="power family declares row power_curtail_budget"):
        ModelParts.bind(built.model, operational_check=False)


def test_a_part_of_another_kind_is_an_error():
    built = build_model(load_scenario(EXAMPLES[0]))
    built.model.del_component(built.model.campus_mw)
    built.model.campus_mw = pyo.Var()
    with pytest.raises(ModelPartsError, match="campus_mw as a expression, but .* is a Var"):
        ModelParts.bind(built.model, operational_check=False)


def _edge_and_campus():
    # a campus site and an edge-only site without storage (grid import is an expression)
    sites = [site("c", edge_allowed=False), site("e", campus_allowed=False, pue=1.2)]
    metros = [{"metro": "m1", "lat": 40.0, "lon": -90.0, "inference_demand_mw": 20.0}]
    steps = [
        {"timestep": "t1", "period": "d", "duration_h": 1.0, "weight_h": 4000.0},
        {"timestep": "t2", "period": "d", "duration_h": 1.0, "weight_h": 4760.0},
    ]
    return make_scenario(
        sites,
        metros=metros,
        steps=steps,
        prices={("r1", "t1"): 20.0, ("r1", "t2"): 60.0},
        training={"target_mw": 100.0},
    )


@pytest.mark.solver
@pytest.mark.parametrize("case", ["edge and campus", *range(4)])
def test_results_read_the_model_expressions(case):
    scenario = _edge_and_campus() if case == "edge and campus" else random_scenario(case)
    results, built = _run(scenario, EXACT, lambda _msg: None)
    if not results.summary["has_solution"]:
        pytest.skip("infeasible draw")
    p, d, value = built.parts, built.data, pyo.value
    terms = results.summary["objective_breakdown_usd"]
    assert terms == {k: pytest.approx(value(p.objective.cost_usd[k])) for k in terms}
    assert sum(terms.values()) == pytest.approx(value(p.objective.total_cost_usd))
    sites = results.sites.set_index("site")
    for s in d.campus_sites:
        assert sites.loc[s, "campus_mw"] == pytest.approx(value(p.siting.campus_mw[s]))
    for s in d.edge_sites:
        assert sites.loc[s, "edge_mw"] == pytest.approx(value(p.siting.edge_mw[s]))
    for (s, term), cost in p.objective.site_cost_usd.items():
        assert sites.loc[s, f"{term}_usd"] == pytest.approx(value(cost))
    dispatch = results.dispatch.set_index(["site", "timestep"])
    for (s, t), draw in p.power.edge_grid_import_mw.items():
        assert dispatch.loc[(s, t), "grid_import_mw"] == pytest.approx(value(draw), abs=1e-9)
    if case == "edge and campus":
        assert len(p.power.edge_grid_import_mw) == 2  # the edge-only site, both steps
        # 20 MW of inference at PUE 1.2 in every step
        assert dispatch.loc["e", "grid_import_mw"].tolist() == pytest.approx([24.0, 24.0])
