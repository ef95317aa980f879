"""Every what-if that re-solves warm gives the cold answer (issue 28 item 2): sweep (one kept
model per worker), frontier points, the budget-tightening steps of invest, and the Pyomo
engine's kept view (changed in place, an extension re-run where its data changed). Each warm
result is checked against a freshly built model of the same case: objective to 1e-7 relative,
the same unmet tonnes."""

from __future__ import annotations

import dataclasses

import pyomo.environ as pyo
import pytest
from conftest import write_dataset

import supplyopt
from supplyopt.engines.pyomo_view import add_cost
from supplyopt.model import candidates
from supplyopt.workflows import frontier
from supplyopt.workflows.invest import investment_options, solve_within_budget
from supplyopt.workflows.sweep import run_sweep

REL = 1e-7


def _tiers(tmp_path):
    """One mine (200 t/week, 10 CNY/t), one plant needing 100 t a week for three weeks; road
    20 CNY/t unlimited, rail 30 CNY/t up to 60 t, rail2 45 CNY/t up to 20 t."""
    return write_dataset(tmp_path / "tiers", ["W1", "W2", "W3"], {
        "nodes": [{"id": "mine", "kind": "mine"}, {"id": "plant", "kind": "demand"}],
        "supply": [{"node": "mine", "capacity_t": 200, "cost_cny_per_t": 10}],
        "links": [
            {"id": "road", "from": "mine", "to": "plant", "mode": "truck", "capacity_t": "", "cost_cny_per_t": 20, "distance_km": 50},
            {"id": "rail", "from": "mine", "to": "plant", "mode": "rail", "capacity_t": 60, "cost_cny_per_t": 30, "distance_km": 50},
            {"id": "rail2", "from": "mine", "to": "plant", "mode": "rail", "capacity_t": 20, "cost_cny_per_t": 45, "distance_km": 50},
        ],
        "demand": [{"node": "plant", "demand_t": 100}],
    })


# the same shape every time (no capacity set to 0, which drops flows): each is a change of the kept model
SCENARIOS = [
    {"name": "rail halved", "edits": [{"what": "link_capacity", "where": {"id": "rail"}, "set": 30}]},
    {"name": "demand up", "edits": [{"what": "demand", "scale": 1.3}]},
    {"name": "mine short", "edits": [{"what": "mine_capacity", "where": {"node": "mine"}, "set": 90, "periods": [1]}]},
    {"name": "demand down", "edits": [{"what": "demand", "scale": 0.8}]},
]


def _same(warm, cold):
    assert warm.summary["objective"] == pytest.approx(cold.summary["objective"], rel=REL)
    assert warm.summary["unmet_t"] == pytest.approx(cold.summary["unmet_t"], abs=1e-6)


def _cold(path, opt, scenario=None, **kw):
    study = supplyopt.Study(path, model=opt, **kw)
    if scenario is not None:
        study.apply(scenario)
    return study.solve()


def test_sweep_scenarios_warm_on_one_kept_model_equal_cold(tmp_path):
    path = _tiers(tmp_path)
    study = supplyopt.Study(path, race=False)
    study.solve()
    cases = run_sweep(study.base, study.options, SCENARIOS * 2, study=study)  # 8 scenarios: two chunks, one model
    assert [c.warm for c in cases] == [True] * 8 and study.stats["builds"] == 1
    for case, sc in zip(cases, SCENARIOS * 2):
        _same(case.plan, _cold(path, study.options, sc))


def test_frontier_points_warm_equal_cold_on_both_engines(tmp_path):
    path = _tiers(tmp_path)
    for engine in ("highs", "pyomo"):
        fr = frontier.frontier(path, points=5, engine=engine)
        assert fr.timing["builds"] == 1 and fr.timing["warm_solves"] >= 5
        opt = supplyopt.options(None, engine=engine, foresight="perfect")
        for row in fr.table.to_dict("records"):
            cold = _cold(path, dataclasses.replace(opt, max_mine_truck_share=row["cap"]))
            assert row["objective_cny"] == pytest.approx(cold.summary["objective"], rel=REL)
            assert row["unmet_t"] == pytest.approx(cold.summary["unmet_t"], abs=1e-6)


def _slip(tmp_path):
    """Sidings a and b together cost the budget (5e9) + 60 CNY and save most; c fits with a."""
    budget = 5e9
    rail = {"kind": "new_link", "from": "mine", "to": "plant", "mode": "rail", "distance_km": 100, "capacity_t": 4_500_000, "lifetime_years": 10, "discount_rate": 0}
    return write_dataset(tmp_path / "slip", ["W1", "W2"], {
        "nodes": [{"id": "mine", "kind": "mine"}, {"id": "plant", "kind": "demand"}],
        "supply": [{"node": "mine", "capacity_t": 10_000_000, "cost_cny_per_t": 10}],
        "demand": [{"node": "plant", "demand_t": 9_000_000, "penalty_cny_per_t": 500}],
        "links": [{"id": "road", "from": "mine", "to": "plant", "mode": "truck", "capacity_t": "", "cost_cny_per_t": 50, "distance_km": 100}],
        "candidates": [
            {"id": "a", **rail, "cost_cny_per_t": 20, "build_cost_cny": budget * 0.55},
            {"id": "b", **rail, "cost_cny_per_t": 21, "build_cost_cny": budget * 0.45 + 60},
            {"id": "c", **rail, "cost_cny_per_t": 35, "build_cost_cny": budget * 0.3},
        ],
    })


@pytest.mark.parametrize("engine", ["highs", "pyomo"])
def test_budget_steps_warm_equal_the_last_step_rebuilt(tmp_path, monkeypatch, engine):
    """A solver that lets the budget row be broken by 100 CNY (every row bound written 100 CNY
    looser): the warm steps tighten the kept row until the set fits; a model built cold with
    the last step's bound gives the same plan."""
    real = candidates.budget_row_bound
    monkeypatch.setattr(candidates, "budget_row_bound", lambda cny: real(cny + 100))
    path = _slip(tmp_path)
    net = supplyopt.load(path, count_candidates=True)
    cands = candidates.candidate_table(net)
    opt = investment_options(supplyopt.options(None, mip_gap=0, engine=engine, foresight="perfect"))
    choice = candidates.CandidateChoice(cands, budget=5e9)
    study = supplyopt.Study(candidates.with_candidates(net), model=opt, layers=[choice])
    warm = solve_within_budget(study, choice, 5e9)
    steps = warm.summary["budget_check"]["tightenings"]
    assert len(steps) >= 2 and study.stats["builds"] == 1 and warm.summary["budget_check"]["chosen"] == ["a", "c"]
    cold_choice = candidates.CandidateChoice(cands, budget=steps[-1]["row_bound_cny"])
    cold_study = supplyopt.Study(candidates.with_candidates(net), model=opt, layers=[cold_choice])
    cold = cold_study.solve()
    assert cold_choice.built(cold_study) == ["a", "c"]
    _same(warm, cold)


def _rail_share(share):
    """An extension that reads the data: rail carries at least ``share`` of all demand."""

    def extra_functionality(m, net, opt):
        rail = [k for k in m.FLOWS if k[0] == "rail"]
        m.rail_floor = pyo.Constraint(expr=sum(m.flow[k] for k in rail) >= share * sum(m.demand_t.sparse_values()))

    return extra_functionality


def test_pyomo_kept_view_with_an_extension_equals_cold(tmp_path):
    """The Pyomo engine keeps its view: each scenario is a change in place (the extension,
    which reads demand_t, re-run where the data changed) and equals a cold build; without an
    extension (nothing re-run: only the changed bounds and rows are put in place, and put back
    on the next scenario) likewise."""
    path = _tiers(tmp_path)
    ext = _rail_share(0.3)
    sequence = [None, *SCENARIOS, None, SCENARIOS[1]]  # rail halved, then back to 60 t in the next ones
    study = supplyopt.Study(path, extend=ext)
    for sc in sequence:
        _same(study.apply(sc).solve(), _cold(path, study.options, sc, extend=ext))
    stats = study.engine.stats
    assert stats["generated"] == 1 and stats["changed_in_place"] == 6 and stats["extension_rerun"] >= 3
    plain = supplyopt.Study(path, engine="pyomo")
    for sc in sequence:
        _same(plain.apply(sc).solve(), _cold(path, plain.options, sc))
    assert plain.engine.stats["generated"] == 1 and plain.engine.stats["extension_rerun"] == 0


def _closing_and_toll():
    """An extension whose bounds and cost terms depend on the data: capacity-limited links
    with under 40 t in a week are closed that week (flows fixed at 0), and road flows pay a toll
    of demand_t / 2 CNY/t (50 CNY/t at 100 t), added to the statement's transport cost part."""

    def extra_functionality(m, net, opt):
        for link, product, period in m.FLOWS:
            cap = m.link_capacity_t[link, period]
            if cap < 40:
                m.flow[link, product, period].fix(0)
        toll = sum(m.demand_t[n, p, t] / 2 * m.flow[link, p, t] for link, p, t in m.FLOWS if link == "road" for n in m.DEMAND_NODES)
        add_cost(m, "transport", toll)

    return extra_functionality


def test_an_extension_re_run_on_the_kept_view_starts_from_the_statement(tmp_path):
    """A re-run extension sees the statement's bounds and cost parts, not what its last run
    left: a link it closed in one case opens in the next where the data no longer says so,
    and its toll is added once (warm equals cold in every case of the sequence)."""
    path = _tiers(tmp_path)
    ext = _closing_and_toll()
    sequence = [None, {"name": "rail2 up", "edits": [{"what": "link_capacity", "where": {"id": "rail2"}, "set": 50}]}, None,
                SCENARIOS[0], SCENARIOS[1], None]
    study = supplyopt.Study(path, extend=ext)
    costs = []
    for sc in sequence:
        warm = study.apply(sc).solve()
        _same(warm, _cold(path, study.options, sc, extend=ext))
        costs.append(warm.summary["objective"])
    assert study.engine.stats["generated"] == 1 and study.engine.stats["extension_rerun"] >= 4
    # rail2 (20 t) closed in the base, open at 50 t; rail closed at 30 t: all by road, tolled
    assert costs[2] == pytest.approx(costs[0]) and costs[5] == pytest.approx(costs[0])
    assert costs[1] < costs[0] < costs[3]
