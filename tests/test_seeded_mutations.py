"""Hand-solved cases for the bugs seeded in issue 10 that no earlier test caught.

Each test names the seeded mutation it catches and states its arithmetic. They run on both
engines where the model is involved, and form most of the fast subset that
scripts/mutation.sh runs under mutmut.
"""

from __future__ import annotations

import pytest
from conftest import solve_path

from supplyopt.io.data import DataError

ENGINES = ["highs", "pyomo"]
MINE = {"id": "m", "kind": "mine"}
HUB = {"id": "h", "kind": "hub"}
DEM = {"id": "d", "kind": "demand"}
S = {"id": "s", "kind": "storage"}


def link(id, a, b, cost, cap="", mode="rail", km=10, **kw):
    return {"id": id, "from": a, "to": b, "mode": mode, "capacity_t": cap, "cost_cny_per_t": cost, "distance_km": km, **kw}


def cover_case(tmp_dataset):
    # 300 t in store s, demand at s: 70 t in P1 and P2, 140 t in P3; the mine costs more than
    # using the stock and coal cannot be discarded, so stocks are 230, 160, 20 t.
    # Daily need (7-day weeks): the next period's demand ÷ 7 (the same period's in the last):
    # P1 70/7 = 10 t/d → 230/10 = 23 d (ok); P2 140/7 = 20 t/d → 160/20 = 8 d (amber,
    # 7 ≤ 8 < 15); P3 140/7 = 20 t/d → 20/20 = 1 d (red, < 7).
    return tmp_dataset(["P1", "P2", "P3"], {
        "nodes": [MINE, S],
        "supply": [{"node": "m", "capacity_t": 100, "cost_cny_per_t": 5}],
        "links": [link("l", "m", "s", 1)],
        "demand": [{"node": "s", "demand_t": 70, "penalty_cny_per_t": 1000, "period": ""},
                   {"node": "s", "demand_t": 140, "penalty_cny_per_t": "", "period": "P3"}],
        "storage": [{"node": "s", "capacity_t": 1000, "initial_t": 300, "safety_t": 0, "holding_cny_per_t": 0}],
    }, name="cover")


@pytest.mark.parametrize("engine", ENGINES)
def test_days_of_cover_and_status_colours(tmp_dataset, engine):
    # catches: red/amber swapped; days of cover ignoring the period length (230/70 = 3.3 d)
    _, _, _, plan = solve_path(cover_case(tmp_dataset), engine=engine, end_stock="free")
    s = plan.stocks.set_index("period")
    assert s["stock_t"].tolist() == pytest.approx([230, 160, 20])
    assert s["days_of_cover"].tolist() == pytest.approx([23, 8, 1])
    assert s["cover_status"].tolist() == ["ok", "amber", "red"]


def truck_case(tmp_dataset):
    # Mine m → hub h → demand d by truck (1 + 1 CNY/t, 10 km each) or m → d by rail (10 CNY/t).
    return tmp_dataset(1, {
        "nodes": [MINE, HUB, DEM],
        "supply": [{"node": "m", "capacity_t": 1000, "cost_cny_per_t": 1}],
        "links": [link("mh", "m", "h", 1, mode="truck"), link("hd", "h", "d", 1, mode="truck"), link("md", "m", "d", 10, km=100)],
        "demand": [{"node": "d", "demand_t": 100, "penalty_cny_per_t": 1000}],
    }, name="trucks")


@pytest.mark.parametrize("engine", ENGINES)
def test_mine_truck_share_counts_only_trucks_leaving_mines(tmp_dataset, engine):
    # catches: the mine truck share (KPI and cap) counting truck links that do not leave a mine.
    # Uncapped: all 100 t by truck via h (2 CNY/t): truck tonnes leaving mines 100 of 100
    # produced → share 1.0 (2.0 if h → d counted too).
    _, _, _, plan = solve_path(truck_case(tmp_dataset), engine=engine)
    assert plan.kpis["objective"] == pytest.approx(100 * 1 + 100 * 2)
    assert plan.kpis["mine_truck_share"] == pytest.approx(1.0)
    # Cap 30 %: 30 t by truck, 70 t by rail: 100 × 1 + 30 × 2 + 70 × 10 = 860 (counting h → d
    # too would allow only 15 t: 100 + 30 + 85 × 10 = 980).
    _, _, _, plan = solve_path(truck_case(tmp_dataset), engine=engine, max_mine_truck_share=0.3)
    assert plan.kpis["objective"] == pytest.approx(860)
    assert plan.kpis["mine_truck_share"] == pytest.approx(0.3)
    # its price: one more tonne of truck allowance saves 10 − 2 = 8 CNY, per 0.3 t of... the
    # row is trucks − 0.3 × output ≤ 0, so one unit of slack saves 8 CNY
    price = plan.prices[plan.prices["kind"] == "max_mine_truck_share"]["price_cny_per_t"]
    assert price.tolist() == pytest.approx([8])


@pytest.mark.parametrize("engine", ENGINES)
def test_end_stock_safety_rule(tmp_dataset, engine):
    # catches: `end_stock: safety` not applied. Store s starts with 10 t, safety 40 t, and the
    # shortfall itself costs nothing (safety_penalty 0): only the end rule asks for 40 t at the
    # end: 30 t made and moved, 30 × (10 + 1) = 330. Under `initial` (≥ 10 t) nothing is needed.
    path = tmp_dataset(1, {
        "nodes": [MINE, S],
        "supply": [{"node": "m", "capacity_t": 100, "cost_cny_per_t": 10}],
        "links": [link("l", "m", "s", 1)],
        "demand": [{"node": "s", "demand_t": 0}],
        "storage": [{"node": "s", "capacity_t": 100, "initial_t": 10, "safety_t": 40, "holding_cny_per_t": 0}],
    })
    _, _, _, plan = solve_path(path, engine=engine, end_stock="safety", safety_penalty_cny_per_t=0)
    assert plan.kpis["objective"] == pytest.approx(330)
    assert plan.stocks["stock_t"].tolist() == pytest.approx([40])
    _, _, _, plan = solve_path(path, engine=engine, end_stock="initial", safety_penalty_cny_per_t=0)
    assert plan.kpis["objective"] == pytest.approx(0)


@pytest.mark.parametrize("engine", ENGINES)
def test_one_product_link_capacity_price_is_positive(tmp_dataset, engine):
    # catches: the sign of one-product capacity prices flipped. Link of 60 t, demand 100 t at
    # penalty 1,000, coal 10 + 1 CNY/t delivered: 60 × 11 + 40 × 1,000 = 40,660. One more
    # tonne of capacity replaces a tonne of unmet demand: saves 1,000 − 11 = 989 CNY.
    path = tmp_dataset(1, {
        "nodes": [MINE, DEM],
        "supply": [{"node": "m", "capacity_t": 500, "cost_cny_per_t": 10}],
        "links": [link("l", "m", "d", 1, cap=60)],
        "demand": [{"node": "d", "demand_t": 100, "penalty_cny_per_t": 1000}],
    })
    _, _, _, plan = solve_path(path, engine=engine)
    assert plan.kpis["objective"] == pytest.approx(40660)
    p = plan.prices.set_index("kind")["price_cny_per_t"]
    assert p["link_capacity"] == pytest.approx(989)
    assert p["delivery"] == pytest.approx(1000)  # the next tonne at d goes unmet


def test_stopping_a_mine_clips_its_minimum_output(tmp_dataset):
    # catches: the scenario's clip of min_t removed. Mine m must produce 50 t (min_t) of 100;
    # a scenario stops it (capacity × 0). Its minimum goes with it: no production, all 80 t of
    # demand unmet: 80 × 1,000 = 80,000.
    import supplyopt

    path = tmp_dataset(1, {
        "nodes": [MINE, DEM],
        "supply": [{"node": "m", "capacity_t": 100, "cost_cny_per_t": 10, "min_t": 50}],
        "links": [link("l", "m", "d", 1)],
        "demand": [{"node": "d", "demand_t": 80, "penalty_cny_per_t": 1000}],
    })
    stop = {"name": "stop", "edits": [{"what": "mine_capacity", "where": {"id": "m"}, "scale": 0}]}
    plan = supplyopt.solve(path, scenario=stop)
    assert plan.kpis["objective"] == pytest.approx(80000)
    assert plan.production["production_t"].tolist() == [0] and plan.production["min_t"].tolist() == [0]
    # but raising the minimum above capacity in a scenario is an input error naming the edit
    with pytest.raises(DataError) as err:
        supplyopt.solve(path, scenario={"name": "too much", "edits": [{"what": "mine_min", "where": {"id": "m"}, "set": 200}]})
    text = " ".join(str(p) for p in err.value.problems)
    assert "edits[1]" in text and "min_t (200 t) is above capacity_t (100 t) at mine m" in text


def test_unbounded_or_infeasible_is_reported_as_infeasible():
    # catches: HiGHS's "unbounded or infeasible" mis-mapped. Costs here are bounded below
    # (every variable ≥ 0 or ≥ min_t, costs ≥ 0), so such a model has no plan: infeasible,
    # which sends it to explain.py. Stops give a plan only when one was found.
    from supplyopt.engines.highs import status_word

    assert status_word("Primal infeasible or unbounded", False) == "infeasible"
    assert status_word("Infeasible", False) == "infeasible"
    assert status_word("Unbounded", True) == "unbounded"
    assert status_word("Optimal", True) == "optimal"
    assert status_word("Time limit reached", True) == "time_limit"
    assert status_word("Time limit reached", False) == "no_plan"
    assert status_word("Iteration limit reached", False) == "no_plan"
    assert status_word("Load error", False) == "error"


def test_scenario_numbers_in_exponent_form(tmp_path):
    # YAML 1.1 (PyYAML) reads 1e4 as text; supplyopt reads it as 10,000
    from supplyopt.io.scenario import load_scenario

    f = tmp_path / "s.yaml"
    f.write_text("name: s\nedits:\n  - what: demand\n    set: 1e4\n  - what: link_capacity\n    set: 1.0e15\n", encoding="utf-8")
    sc = load_scenario(f)
    assert [e["set"] for e in sc.edits] == [10000.0, 1e15]


@pytest.mark.parametrize("engine", ENGINES)
def test_result_tables_report_what_was_planned(tmp_dataset, engine):
    # Gaps mutmut found (scripts/mutation.sh): KPI end stock, production utilisation, the
    # unmet table's keys, horizon-wide prices with a blank period, sub-tonne values kept.
    _, _, _, plan = solve_path(cover_case(tmp_dataset), engine=engine, end_stock="free")
    assert plan.kpis["end_stock_t"] == pytest.approx(20)  # the last period only (not 230 + 160)
    _, _, _, plan = solve_path(truck_case(tmp_dataset), engine=engine, max_mine_truck_share=0.3)
    # 100 t made of 1,000 t capacity
    assert plan.production[["mine", "production_t", "utilisation"]].values.tolist() == [["m", pytest.approx(100), pytest.approx(0.1)]]
    assert plan.unmet[["node", "product", "period", "demand_t", "delivered_t", "unmet_t"]].values.tolist() == [["d", "coal", "1", 100, pytest.approx(100), pytest.approx(0)]]
    cap = plan.prices[plan.prices["kind"] == "max_mine_truck_share"]
    assert cap[["id", "product", "period"]].values.tolist() == [["", "", ""]]  # one row over the horizon
    # utilisation of the uncapacitated links is blank, not a ratio to infinity
    assert plan.flows["utilisation"].isna().all() and plan.flows["capacity_t"].isna().all()


def test_half_a_tonne_is_reported(tmp_dataset):
    # 0.5 t of demand delivered: 0.5 t made and moved (values are zeroed only below 1e-9 t)
    path = tmp_dataset(1, {
        "nodes": [MINE, DEM],
        "supply": [{"node": "m", "capacity_t": 10, "cost_cny_per_t": 1}],
        "links": [link("l", "m", "d", 1, cap=5)],
        "demand": [{"node": "d", "demand_t": 0.5, "penalty_cny_per_t": 100}],
    })
    _, _, _, plan = solve_path(path)
    assert plan.flows["flow_t"].tolist() == pytest.approx([0.5])
    assert plan.flows["utilisation"].tolist() == pytest.approx([0.1])  # 0.5 of 5 t
    assert plan.production["production_t"].tolist() == pytest.approx([0.5])
