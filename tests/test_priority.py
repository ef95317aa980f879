"""Priority demand: a case built to tempt the solver into serving the lower class."""

from __future__ import annotations

import pytest

import supplyopt
from supplyopt.io.data import DataError


def _tempting(tmp_dataset):
    # Mine M (100 t/wk, 10 CNY/t) reaches homes R (residential_heating, 100 t/wk) only by an
    # expensive truck link (50 CNY/t) and works I (industry, 100 t/wk) by a cheap rail link
    # (1 CNY/t); I's shortfall penalty (20000) is even higher than R's (10000). Mine M2
    # (30 t/wk) reaches only I. One week.
    return tmp_dataset(["w1"], {
        "nodes": [{"id": n, "kind": k} for n, k in (("M", "mine"), ("M2", "mine"), ("R", "demand"), ("I", "demand"))],
        "links": [
            {"id": "toR", "from": "M", "to": "R", "mode": "truck", "distance_km": 100, "capacity_t": 1000, "cost_cny_per_t": 50},
            {"id": "toI", "from": "M", "to": "I", "mode": "rail", "distance_km": 10, "capacity_t": 1000, "cost_cny_per_t": 1},
            {"id": "m2I", "from": "M2", "to": "I", "mode": "rail", "distance_km": 10, "capacity_t": 1000, "cost_cny_per_t": 1},
        ],
        "supply": [
            {"node": "M", "product": "coal", "capacity_t": 100, "cost_cny_per_t": 10, "min_t": 0},
            {"node": "M2", "product": "coal", "capacity_t": 30, "cost_cny_per_t": 10, "min_t": 0},
        ],
        "demand": [
            {"node": "R", "product": "coal", "demand_t": 100, "penalty_cny_per_t": 10000, "demand_class": "residential_heating"},
            {"node": "I", "product": "coal", "demand_t": 100, "penalty_cny_per_t": 20000, "demand_class": "industry"},
        ],
    })


def test_cost_alone_takes_the_bait(tmp_dataset):
    """Without priority the plan fills industry first (M2's 30 t + 70 t of M at 11 CNY/t,
    each saving 20000) and sends only M's last 30 t to the homes: R 70 short."""
    plan = supplyopt.solve(_tempting(tmp_dataset))
    assert plan.summary["unmet_by_class_t"] == {"industry": pytest.approx(0), "residential_heating": pytest.approx(70)}
    assert plan.summary["priority"] is None


@pytest.mark.parametrize("order", ["default", ["residential_heating", "industry"]])
def test_priority_serves_the_higher_class_first(tmp_dataset, order):
    """Stage 1: R can get all of M's 100 t → 0 short. Stage 2: I then gets only M2's 30 t →
    70 short (M2's coal cannot reach R, so it still serves I). Cost: 100 × (10 + 50) +
    30 × (10 + 1) + 70 × 20000 = 6000 + 330 + 1,400,000 = 1,406,330 CNY."""
    plan = supplyopt.solve(_tempting(tmp_dataset), model={"demand_priority": order})
    assert plan.summary["unmet_by_class_t"] == {"industry": pytest.approx(70), "residential_heating": pytest.approx(0)}
    assert plan.summary["objective"] == pytest.approx(1_406_330)
    stages = plan.summary["priority"]["stages"]
    assert [s["demand_class"] for s in stages] == ["residential_heating", "industry"]  # classes present, in order
    assert stages[0]["min_unmet_t"] == pytest.approx(0) and stages[-1]["min_unmet_t"] == pytest.approx(70)


def test_priority_on_a_kept_model_and_bad_profile(tmp_dataset, tmp_path):
    study = supplyopt.Study(_tempting(tmp_dataset), model={"demand_priority": "default"})
    study.solve()
    # cut the homes' truck link to 40 t: R 60 short, I gets 60 of M + 30 of M2 = 90 (10 short)
    plan = study.apply({"name": "cut", "edits": [{"what": "link_capacity", "where": {"id": "toR"}, "set": 40}]}).solve()
    assert plan.summary["unmet_by_class_t"] == {"industry": pytest.approx(10), "residential_heating": pytest.approx(60)}
    assert study.stats["builds"] == 1
    (tmp_path / "good.yaml").write_text("demand_priority: [residential_heating, power]\n")
    assert supplyopt.options(tmp_path / "good.yaml").demand_priority == ("residential_heating", "power")
    (tmp_path / "bad.yaml").write_text("demand_priority: [power, power]\n")
    with pytest.raises(DataError) as err:
        supplyopt.options(tmp_path / "bad.yaml")
    assert err.value.problems[0].column == "demand_priority"
