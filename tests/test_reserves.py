"""Reserves: capacity-reserve mines and reserve stock, arithmetic checked by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import REPO

import supplyopt


def _case(tmp_dataset):
    # Mine M: 50 t/wk at 10 CNY/t, plus a 30 t/wk capacity reserve (call-up 5 CNY/t, lead 1
    # week). Reserve base S: 40 t, safety 40 t (a reserve: hard unless released; release
    # 100 CNY/t), no end-stock requirement. D wants 70, 70, 100 t; links 1 CNY/t; penalty 10000.
    return tmp_dataset(["w1", "w2", "w3"], {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "S", "kind": "storage"}, {"id": "D", "kind": "demand"}],
        "links": [
            {"id": "md", "from": "M", "to": "D", "mode": "rail", "distance_km": 10, "capacity_t": 1000, "cost_cny_per_t": 1},
            {"id": "sd", "from": "S", "to": "D", "mode": "rail", "distance_km": 10, "capacity_t": 1000, "cost_cny_per_t": 1},
        ],
        "supply": [{"node": "M", "product": "coal", "capacity_t": 50, "cost_cny_per_t": 10, "min_t": 0, "reserve_t": 30, "callup_cny_per_t": 5, "lead_weeks": 1}],
        "demand": pd.DataFrame([
            {"node": "D", "product": "coal", "demand_t": 70, "penalty_cny_per_t": 10000, "period": ""},
            {"node": "D", "product": "coal", "demand_t": 100, "penalty_cny_per_t": None, "period": "w3"},
        ]),
        "storage": [{"node": "S", "product": "coal", "capacity_t": 100, "initial_t": 40, "safety_t": 40, "end_t": 0, "reserve": "true", "release_cny_per_t": 100}],
    })


CALL = {"what": "call_reserve", "where": {"node": "M"}, "periods": ["w1", "w2", "w3"], "set": 1}
RELEASE = {"what": "release_reserve", "where": {"node": "S"}, "periods": ["w3"], "set": 1}


def test_reserves_unused_without_a_scenario(tmp_dataset):
    # nothing called: M 50 t/wk (11 CNY/t) and S must keep its 40 t → short 20 + 20 + 50 = 90 t
    # cost 3 × 550 + 90 × 10000 = 901,650
    plan = supplyopt.solve(_case(tmp_dataset))
    assert plan.summary["objective"] == pytest.approx(901_650)
    assert plan.summary["unmet_t"] == pytest.approx(90) and plan.reserves.empty


def test_call_up_and_release_by_hand(tmp_dataset):
    study = supplyopt.Study(_case(tmp_dataset))
    study.solve()
    plan = study.apply({"name": "emergency", "edits": [CALL, RELEASE]}).solve()
    # w1: reserve not ready (lead 1 week), S not released: 550 + 20 t short × 10000 = 200,550
    # w2: M 550 + reserve 20 t × (10 + 5 + 1) = 320                                  =     870
    # w3: M 550 + reserve 30 × 16 = 480 + 20 t from S × 1 + 20 t below safety × 100  =   3,050
    assert plan.summary["objective"] == pytest.approx(204_470)
    assert plan.summary["costs"]["reserve_callup"] == pytest.approx(50 * 5)
    assert plan.summary["costs"]["reserve_release"] == pytest.approx(2000)
    r = plan.reserves.set_index(["kind", "period"])
    assert r.loc[("capacity_reserve", "w2"), "tonnes_t"] == pytest.approx(20)
    assert r.loc[("capacity_reserve", "w3"), "tonnes_t"] == pytest.approx(30)
    assert ("capacity_reserve", "w1") not in r.index
    assert r.loc[("reserve_stock", "w3"), "tonnes_t"] == pytest.approx(20) and r.loc[("reserve_stock", "w3"), "cost_cny"] == pytest.approx(2000)
    assert plan.summary["reserves_t"] == {"capacity_reserve": pytest.approx(50), "reserve_stock": pytest.approx(20)}
    # surprise (the default): the call is known from w1 and the release from w3, two solves on the kept model
    assert study.stats == {"builds": 1, "warm": 2}



def test_results_folder_has_reserves_and_warnings(tmp_dataset, tmp_path):
    plan = supplyopt.solve(_case(tmp_dataset), scenario={"name": "emergency", "edits": [CALL, RELEASE]})
    plan.write(tmp_path / "res")
    reserves = pd.read_csv(tmp_path / "res" / "reserves.csv")
    assert list(reserves["kind"]) == ["capacity_reserve", "capacity_reserve", "reserve_stock"]
    warnings = pd.read_csv(tmp_path / "res" / "warnings.csv")
    # the one shortfall (w1, 20 t of 70) is the first, red warning; S below safety in w3 is amber
    first = warnings.iloc[0]
    assert (first["severity"], first["kind"], first["period"], first["value"]) == ("red", "unmet", "w1", 20)
    assert "short 20 t in w1 (29 % of demand)" in first["message"]
    assert ((warnings["kind"] == "safety") & (warnings["period"] == "w3")).any()


def test_end_stock_target_and_close_node(tmp_dataset):
    path = _case(tmp_dataset)
    # an end-stock target of 40 t at S forbids the w3 release: 20 t short instead of
    # 2,020 CNY of release → 204,470 − 2,020 + 200,000 = 402,450
    keep = {"what": "end_stock", "where": {"node": "S"}, "set": 40}
    hard = supplyopt.options(end_stock_penalty_cny_per_t="hard")
    plan = supplyopt.solve(path, model=hard, scenario={"name": "keep", "edits": [CALL, RELEASE, keep]})
    assert plan.summary["objective"] == pytest.approx(402_450)
    # soft (the default, 1,000 CNY/t below the target): the release goes ahead and the 20 t
    # the store ends below 40 t are end-stock deficit, not unmet demand: 204,470 + 20 × 1,000
    plan = supplyopt.solve(path, scenario={"name": "keep", "edits": [CALL, RELEASE, keep]})
    assert plan.summary["objective"] == pytest.approx(224_470)
    assert plan.summary["end_of_horizon"]["deficit_t"] == pytest.approx(20) and plan.summary["unmet_t"] == pytest.approx(20)
    assert plan.end_stock.set_index("node").loc["S", "deficit_t"] == pytest.approx(20)
    # closing the mine in w1: 70 t short in w1, then base: 700,000 + 200,550 + 500,550
    shut = {"what": "close_node", "where": {"id": "M"}, "periods": ["w1"]}
    plan = supplyopt.solve(path, scenario={"name": "shut", "edits": [shut]})
    assert plan.summary["objective"] == pytest.approx(1_401_100)
    with pytest.raises(supplyopt.DataError) as err:
        supplyopt.solve(path, scenario={"name": "x", "edits": [{"what": "close_node", "where": {"id": "nowhere"}}]})
    assert "selects no node" in err.value.problems[0].message


def test_calling_up_nothing_is_an_error(tmp_dataset):
    path = _case(tmp_dataset)
    for edit in ({"what": "call_reserve", "where": {"node": "M"}, "set": 1}, {"what": "release_reserve", "where": {"node": "S"}, "set": 1}):
        supplyopt.solve(path, scenario={"name": "ok", "edits": [edit]})  # selects a reserve: fine
    with pytest.raises(supplyopt.DataError) as err:
        supplyopt.solve(REPO / "data/examples/winter", scenario={"name": "x", "edits": [{"what": "release_reserve", "set": 1}]})
    assert "selects no reserve" in err.value.problems[0].message


def test_terminal_produced_counts_the_reserve_called_up(tmp_dataset):
    from supplyopt.reports.terminal import format_kpis

    plan = supplyopt.solve(_case(tmp_dataset), scenario={"name": "emergency", "edits": [CALL, RELEASE]})
    lines = [" ".join(line.split()) for line in format_kpis(plan.summary, plan).splitlines()]
    # M 50 t a week for 3 weeks = 150 t; the reserve 20 t (w2) + 30 t (w3) = 50 t; 200 t in all
    assert "produced 200 t" in lines
    assert "mine output 150 t" in lines and "capacity reserve 50 t called up (reserves.csv)" in lines
    base = supplyopt.solve(_case(tmp_dataset))
    lines = [" ".join(line.split()) for line in format_kpis(base.summary, base).splitlines()]
    assert "produced 150 t" in lines and not any("capacity reserve" in line for line in lines)
