"""Hand-solved cases: each test states the arithmetic of its optimum in a comment.

Every case runs on both engines (HiGHS arrays and Pyomo), which must agree.
"""

from __future__ import annotations

import pytest
from conftest import CASES, REPO, solve_path

ENGINES = ["highs", "pyomo"]
MINE = {"id": "m", "kind": "mine"}
HUB = {"id": "h", "kind": "hub"}
DEM = {"id": "d", "kind": "demand"}
S = {"id": "s", "kind": "storage"}


def link(id, a, b, cost, cap="", mode="rail", km=10, **kw):
    return {"id": id, "from": a, "to": b, "mode": mode, "capacity_t": cap, "cost_cny_per_t": cost, "distance_km": km, **kw}


@pytest.mark.parametrize("engine", ENGINES)
def test_transport_example_known_optimum_and_duals(engine):
    # GAMS trnsport: z = 153.675; demand marginals 0.225 (NY), 0.153 (Chicago), 0.126 (Topeka)
    _, _, sol, plan = solve_path(REPO / "data/examples/transport", engine=engine)
    assert plan.kpis["objective"] == pytest.approx(153.675, abs=1e-9)
    prices = plan.prices[plan.prices["kind"] == "delivery"].set_index("id")["price_cny_per_t"]
    assert prices.to_dict() == pytest.approx({"new-york": 0.225, "chicago": 0.153, "topeka": 0.126})
    # t·km by hand: 325 × 4023 + 275 × 2253 + 300 × 2736 (one optimal plan; others give other t·km)
    assert plan.kpis["delivered_t"] == 900 and plan.kpis["unmet_t"] == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_prebuild_stock_before_spike(engine):
    # ../shared/checks/cases/prebuild/EXPECTED.md: 2,600 + 520 + 780 + 40 = 3,940
    _, _, _, plan = solve_path(CASES / "prebuild", engine=engine)
    assert plan.kpis["objective"] == pytest.approx(3940)
    s = plan.stocks.set_index("period")["stock_t"]
    assert s["2026-W50"] == pytest.approx(40) and s["2026-W49"] == pytest.approx(0)


@pytest.mark.parametrize("engine", ENGINES)
def test_efficiency_applies_to_entering_tonnes(tmp_dataset, engine):
    # 90 t must arrive through a link losing 10 %: 100 t enter. 100 × 10 + 100 × 5 = 1,500
    path = tmp_dataset(1, {
        "nodes": [MINE, DEM],
        "supply": [{"node": "m", "capacity_t": 1000, "cost_cny_per_t": 10}],
        "links": [link("l", "m", "d", 5, efficiency=0.9)],
        "demand": [{"node": "d", "demand_t": 90, "penalty_cny_per_t": 1000}],
    })
    _, _, _, plan = solve_path(path, engine=engine)
    assert plan.kpis["objective"] == pytest.approx(1500)
    assert plan.flows["flow_t"].sum() == pytest.approx(100)
    assert plan.kpis["delivered_t"] == pytest.approx(90)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_free_delivery_is_listed_at_zero_and_a_slack_capacity_is_not(tmp_dataset, engine):
    # Free coal (0 CNY/t at the mine, 0 on the link) into d: one more tonne delivered costs 0 in
    # both weeks, and prices.csv still lists d's delivery price there (a planner reads a
    # missing row as "not known", not as "free"). Link l (100 t) carries 30 t: not binding,
    # so no link_capacity price.
    path = tmp_dataset(2, {
        "nodes": [MINE, DEM],
        "supply": [{"node": "m", "capacity_t": 1000, "cost_cny_per_t": 0}],
        "links": [link("l", "m", "d", 0, cap=100)],
        "demand": [{"node": "d", "demand_t": 30, "penalty_cny_per_t": 1000}],
    })
    _, _, _, plan = solve_path(path, engine=engine)
    assert plan.kpis["objective"] == pytest.approx(0)
    delivery = plan.prices[plan.prices["kind"] == "delivery"]
    assert len(delivery) == 2 and delivery["id"].tolist() == ["d", "d"] and (delivery["price_cny_per_t"] == 0).all()
    assert not (plan.prices["kind"] == "link_capacity").any()


@pytest.mark.parametrize("engine", ENGINES)
def test_link_capacity_shared_by_products_and_its_price(tmp_dataset, engine):
    # Link of 100 t carries A (11 CNY/t delivered) and B (21 CNY/t); demand A 80, B 60 at
    # penalty 1,000. Ship A 80 + B 20: 880 + 420 + 40 × 1,000 = 41,300. One more tonne of
    # capacity ships one more B: saves 1,000 − 21 = 979 CNY.
    path = tmp_dataset(1, {
        "nodes": [MINE, DEM],
        "supply": [{"node": "m", "product": "A", "capacity_t": 500, "cost_cny_per_t": 10},
                   {"node": "m", "product": "B", "capacity_t": 500, "cost_cny_per_t": 20}],
        "links": [link("l", "m", "d", 1, cap=100)],
        "demand": [{"node": "d", "product": "A", "demand_t": 80, "penalty_cny_per_t": 1000},
                   {"node": "d", "product": "B", "demand_t": 60, "penalty_cny_per_t": 1000}],
    })
    _, _, _, plan = solve_path(path, engine=engine)
    assert plan.kpis["objective"] == pytest.approx(41300)
    assert plan.kpis["unmet_t"] == pytest.approx(40)
    cap = plan.prices[plan.prices["kind"] == "link_capacity"]
    assert cap["price_cny_per_t"].tolist() == pytest.approx([979])


@pytest.mark.parametrize("engine", ENGINES)
def test_shared_storage_capacity_period_rows_and_storage_price(tmp_dataset, engine):
    # Coal costs 10 in period 1 and 50 in period 2 (a period row); demand only in period 2
    # (period rows only): A 50, B 50 at the storage node itself. The store holds 60 t of
    # both together: buy 60 early: 60 × (10 + 1) + 60 × 1 holding = 720; then 40 × (50 + 1)
    # = 2,040. Total 2,760. One more tonne of store saves 51 − 11 − 1 = 39.
    path = tmp_dataset(["P1", "P2"], {
        "nodes": [MINE, S],
        "supply": [{"node": "m", "product": p, "capacity_t": 100, "cost_cny_per_t": c, "period": t}
                   for p in "AB" for c, t in ((10, ""), (50, "P2"))],
        "links": [link("l", "m", "s", 1)],
        "demand": [{"node": "s", "product": p, "demand_t": 50, "penalty_cny_per_t": 1000, "period": "P2"} for p in "AB"],
        "storage": [{"node": "s", "product": "A", "capacity_t": 60, "holding_cny_per_t": 1},
                    {"node": "s", "product": "B", "capacity_t": "", "holding_cny_per_t": 1}],
    })
    _, lp, _, plan = solve_path(path, engine=engine)
    assert plan.kpis["objective"] == pytest.approx(2760)
    assert "storage_capacity" in lp.constraints and lp.constraints["storage_capacity"].size == 2
    price = plan.prices[(plan.prices["kind"] == "storage_capacity") & (plan.prices["period"] == "P1")]
    assert price["price_cny_per_t"].tolist() == pytest.approx([39])


@pytest.mark.parametrize("engine", ENGINES)
def test_soft_safety_stock_built_when_penalty_exceeds_cost(tmp_dataset, engine):
    # Safety 20 t at s. Building it: 20 × (10 + 1) + 20 × 1 holding = 240 < 20 × 500.
    # With the penalty at 5: 20 × 5 = 100 < 240, so the stock is not built.
    tables = {
        "nodes": [MINE, S],
        "supply": [{"node": "m", "capacity_t": 100, "cost_cny_per_t": 10}],
        "links": [link("l", "m", "s", 1)],
        "demand": [{"node": "s", "demand_t": 0}],
        "storage": [{"node": "s", "capacity_t": 100, "initial_t": 0, "safety_t": 20, "holding_cny_per_t": 1}],
    }
    path = tmp_dataset(1, tables)
    _, _, _, plan = solve_path(path, engine=engine)
    assert plan.kpis["objective"] == pytest.approx(240)
    _, _, _, plan = solve_path(path, engine=engine, safety_penalty_cny_per_t=5)
    assert plan.kpis["objective"] == pytest.approx(100)
    assert plan.kpis["costs"]["safety_penalty"] == pytest.approx(100)


def test_hard_safety_stock_unreachable_is_infeasible_and_explained(tmp_dataset):
    from supplyopt.engines.explain import explain_infeasible

    path = tmp_dataset(1, {
        "nodes": [MINE, S, DEM],
        "supply": [{"node": "m", "capacity_t": 10, "cost_cny_per_t": 10}],
        "links": [link("l", "m", "s", 1), link("o", "s", "d", 1)],
        "demand": [{"node": "d", "demand_t": 5}],
        "storage": [{"node": "s", "capacity_t": 100, "safety_t": 25}],
    })
    net, _, sol, _ = solve_path(path, safety_stock="hard")
    assert sol.status == "infeasible"
    from supplyopt.model.options import load_options

    lines = " ".join(explain_infeasible(net, load_options(None, safety_stock="hard")))
    # Mine makes 10 t at most: the store can reach 10, short by 15 (demand is left unmet)
    assert "safety stock of coal at s" in lines and "short by 15 t" in lines


@pytest.mark.parametrize("engine", ENGINES)
def test_end_stock_rule(tmp_dataset, engine):
    # Initial 50 at s, mine 40, demand 80. End stock ≥ initial: only 40 can be delivered
    # (unmet 40 × 100 = 4,000; 40 × 1 = 40 production). Free end stock: all 80 delivered
    # from 50 stock + 30 mined: 30.
    path = tmp_dataset(1, {
        "nodes": [MINE, S],
        "supply": [{"node": "m", "capacity_t": 40, "cost_cny_per_t": 1}],
        "links": [link("l", "m", "s", 0)],
        "demand": [{"node": "s", "demand_t": 80, "penalty_cny_per_t": 100}],
        "storage": [{"node": "s", "capacity_t": 100, "initial_t": 50}],
    })
    _, _, _, plan = solve_path(path, engine=engine)
    assert plan.kpis["objective"] == pytest.approx(4040)
    _, _, _, plan = solve_path(path, engine=engine, end_stock="free")
    assert plan.kpis["objective"] == pytest.approx(30)


def _two_routes(tmp_dataset):
    # Truck 10 km at 5 CNY/t, or rail 100 km at 6 CNY/t, to 100 t of demand.
    return tmp_dataset(1, {
        "nodes": [MINE, DEM],
        "supply": [{"node": "m", "capacity_t": 1000, "cost_cny_per_t": 0}],
        "links": [link("truck", "m", "d", 5, mode="truck", km=10), link("rail", "m", "d", 6, mode="rail", km=100)],
        "demand": [{"node": "d", "demand_t": 100, "penalty_cny_per_t": 1000}],
    })


@pytest.mark.parametrize("engine", ENGINES)
def test_truck_penalty_and_carbon_price(tmp_dataset, engine):
    path = _two_routes(tmp_dataset)
    # penalty 0.05/t·km: truck 5 + 0.5 < 6: stays on truck. 500 + 100 × 10 × 0.05 = 550
    _, _, _, plan = solve_path(path, engine=engine, truck_penalty_cny_per_tkm=0.05)
    assert plan.kpis["objective"] == pytest.approx(550)
    assert plan.kpis["costs"]["truck_penalty"] == pytest.approx(50)
    # penalty 0.2: truck 5 + 2 > 6: rail. 600
    _, _, _, plan = solve_path(path, engine=engine, truck_penalty_cny_per_tkm=0.2)
    assert plan.kpis["objective"] == pytest.approx(600)
    assert plan.kpis["truck_share_tkm"] == 0
    # carbon 100 CNY/t CO2 on truck: 100 t × 10 km × 0.09 kg = 0.09 t CO2 → 9 CNY
    _, _, _, plan = solve_path(path, engine=engine, carbon_price_cny_per_t_co2=100)
    assert plan.kpis["co2_t"] == pytest.approx(0.09)
    assert plan.kpis["objective"] == pytest.approx(509)


@pytest.mark.parametrize("engine", ENGINES)
def test_truck_share_cap_on_tkm(tmp_dataset, engine):
    # 10 T ≤ 0.5 (10 T + 100 R), T + R = 100 → T = 1000/11, R = 100/11.
    # Cost 5 T + 6 R = (5000 + 600) / 11 = 509.0909…
    _, _, _, plan = solve_path(_two_routes(tmp_dataset), engine=engine, max_truck_share_tkm=0.5)
    assert plan.kpis["objective"] == pytest.approx(5600 / 11)
    assert plan.kpis["truck_share_tkm"] == pytest.approx(0.5)


@pytest.mark.parametrize("engine", ENGINES)
def test_mine_truck_share_cap(tmp_dataset, engine):
    # At most 30 % of output leaves by truck: T = 30, R = 70 → 150 + 420 = 570
    _, _, _, plan = solve_path(_two_routes(tmp_dataset), engine=engine, max_mine_truck_share=0.3)
    assert plan.kpis["objective"] == pytest.approx(570)
    assert plan.kpis["mine_truck_share"] == pytest.approx(0.3)
    # KPIs by hand: t·km = 30 × 10 + 70 × 100 = 7,300; truck share 300 / 7,300
    assert plan.kpis["tkm"] == pytest.approx(7300)
    assert plan.kpis["truck_share_tkm"] == pytest.approx(300 / 7300)
    assert plan.kpis["clean_share_tkm"] == pytest.approx(7000 / 7300)


def test_min_output_with_nowhere_to_go_is_explained(tmp_dataset):
    from supplyopt.engines.explain import explain_infeasible
    from supplyopt.model.options import load_options

    path = tmp_dataset(1, {
        "nodes": [MINE, DEM],
        "supply": [{"node": "m", "capacity_t": 100, "cost_cny_per_t": 1, "min_t": 50}],
        "links": [link("l", "m", "d", 1, cap=30)],
        "demand": [{"node": "d", "demand_t": 30}],
    })
    net, _, sol, _ = solve_path(path)
    assert sol.status == "infeasible"
    text = " ".join(explain_infeasible(net, load_options(None)))
    # 50 t must be produced; the only way out carries 30 t and there is no store: 20 t too many
    assert "minimum output of coal at mine m in 1 (50 t) cannot be met: 20 t of it cannot be moved on or stored" in text


@pytest.mark.parametrize("engine", ENGINES)
def test_period_rows_inherit_and_period_only_keys(tmp_dataset, engine):
    # Demand 10 every period; a period row for P2 sets 30 and leaves the penalty blank
    # (inherits 100). A link opens only in P3 (period-only row): before, d is served by the
    # expensive link (cost 9). P1: 10 × 9, P2: 30 × 9, P3: 10 × 1 → 90 + 270 + 10 = 370.
    path = tmp_dataset(["P1", "P2", "P3"], {
        "nodes": [MINE, DEM],
        "supply": [{"node": "m", "capacity_t": 100, "cost_cny_per_t": 0}],
        "links": [link("dear", "m", "d", 9, period=""), link("cheap", "m", "d", 1, period="P3")],
        "demand": [{"node": "d", "demand_t": 10, "penalty_cny_per_t": 100, "period": ""},
                   {"node": "d", "demand_t": 30, "penalty_cny_per_t": "", "period": "P2"}],
    })
    _, lp, _, plan = solve_path(path, engine=engine)
    assert plan.kpis["objective"] == pytest.approx(370)
    assert lp.variables["flow"].size == 4  # dear × 3 periods + cheap × 1
    assert plan.unmet["penalty_cny_per_t"].tolist() == [100, 100, 100]


@pytest.mark.parametrize("engine", ENGINES)
def test_warm_changes_give_the_same_optimum_as_a_rebuild(tmp_path, engine):
    """Change capacities and demands on the kept model, re-solve warm, compare with a model
    built from the changed data (the oracle here is the rebuild, itself oracle-tested)."""
    import shutil

    import pandas as pd

    from supplyopt.engines.solver import change_demand, change_link_capacity, make_engine
    from supplyopt.io.data import read_dataset
    from supplyopt.io.validate import validate
    from supplyopt.model.options import load_options
    from supplyopt.model.statement import build_lp

    src = REPO / "data/examples/winter"
    opt = load_options(None, engine=engine)
    net = validate(read_dataset(src))
    lp = build_lp(net, opt)
    eng = make_engine(lp, opt, net.periods, net=net)
    first = eng.solve().objective
    change_link_capacity(eng, pd.DataFrame({"link": ["station_plant", "port_coast"], "period": [1, 2], "capacity_t": [1000.0, 4000.0]}))
    change_demand(eng, pd.DataFrame({"node": ["plant_in"], "product": ["coal"], "period": [3], "demand_t": [6000.0]}))
    warm = eng.solve()
    assert warm.objective != pytest.approx(first)

    data = tmp_path / "changed"
    shutil.copytree(src, data)
    links = pd.read_csv(data / "links.csv", dtype=str, keep_default_na=False)
    extra = pd.DataFrame([{"id": "station_plant", "capacity_t": "1000", "period": "2026-W50"}, {"id": "port_coast", "capacity_t": "4000", "period": "2026-W51"}])
    pd.concat([links.assign(period=""), extra], ignore_index=True).fillna("").to_csv(data / "links.csv", index=False)
    demand = pd.read_csv(data / "demand.csv", dtype=str, keep_default_na=False)
    demand.loc[(demand["node"] == "plant_in") & (demand["period"] == ""), "period"] = ""
    extra = pd.DataFrame([{"node": "plant_in", "product": "coal", "demand_t": "6000", "penalty_cny_per_t": "", "period": "2026-W52"}])
    pd.concat([demand, extra], ignore_index=True).to_csv(data / "demand.csv", index=False)
    _, _, cold, _ = solve_path(data, engine=engine)
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)


def test_end_stock_out_of_reach_is_explained(tmp_dataset):
    from supplyopt.engines.explain import explain_infeasible
    from supplyopt.model.options import load_options

    # 100 t in stock at the start must be there at the end, but the store holds only 60 t in
    # the last period (a period row): short by 40 t.
    path = tmp_dataset(["P1", "P2", "P3"], {
        "nodes": [MINE, S, DEM],
        "supply": [{"node": "m", "capacity_t": 10, "cost_cny_per_t": 1}],
        "links": [link("l", "m", "s", 1), link("o", "s", "d", 1)],
        "demand": [{"node": "d", "demand_t": 50}],
        "storage": [{"node": "s", "capacity_t": 100, "initial_t": 100, "period": ""}, {"node": "s", "capacity_t": 60, "period": "P3"}],
    })
    net, _, sol, _ = solve_path(path, end_stock_penalty_cny_per_t="hard")
    assert sol.status == "infeasible"
    lines = explain_infeasible(net, load_options(None, end_stock_penalty_cny_per_t="hard"))
    assert lines == ["This requirement cannot be met:", "- end-of-horizon stock of coal at s in P3 cannot reach 100 t: short by 40 t"]
    # the soft end rule (the default) has a plan: demand (150 t) is worth more than end stock
    # (10,000 > 1,000 CNY/t), so the 100 t in store and the mine's 30 t serve it, 20 t go
    # short, and the store ends 100 t below its target: end-stock deficit, not unmet demand
    _, lp, sol, plan = solve_path(path)
    assert sol.status == "optimal" and plan.kpis["end_deficit_t"] == pytest.approx(100) and plan.kpis["unmet_t"] == pytest.approx(20)
    assert plan.kpis["costs"]["end_stock_penalty"] == pytest.approx(100_000)


def test_stock_with_nowhere_to_go_is_explained(tmp_dataset):
    from supplyopt.engines.explain import explain_infeasible
    from supplyopt.model.options import load_options

    # 100 t in a store with no way out but 5 t of local demand a period; the store shrinks to
    # 60 t in P3: at least 100 − 3 × 5 = 85 t are still there, 25 t too many.
    path = tmp_dataset(["P1", "P2", "P3"], {
        "nodes": [MINE, S],
        "supply": [{"node": "m", "capacity_t": 10, "cost_cny_per_t": 1}],
        "links": [link("l", "m", "s", 1)],
        "demand": [{"node": "s", "demand_t": 5}],
        "storage": [{"node": "s", "capacity_t": 100, "initial_t": 100, "period": ""}, {"node": "s", "capacity_t": 60, "period": "P3"}],
    })
    net, _, sol, _ = solve_path(path, end_stock="free")
    assert sol.status == "infeasible"
    lines = explain_infeasible(net, load_options(None, end_stock="free"))
    assert lines[1] == "- stock of coal at s in P3 does not fit: 25 t above the capacity of 60 t (it cannot leave the node fast enough)"


def test_two_requirements_that_each_alone_would_do_are_both_named(tmp_dataset):
    from supplyopt.engines.explain import explain_infeasible
    from supplyopt.model.options import load_options

    # The mine must produce 50 t and its only link is a 100 km truck road; trucks may carry
    # at most 10 % of t·km. Dropping either the minimum output or the cap gives a plan.
    path = tmp_dataset(1, {
        "nodes": [MINE, DEM],
        "supply": [{"node": "m", "capacity_t": 100, "cost_cny_per_t": 1, "min_t": 50}],
        "links": [link("road", "m", "d", 5, mode="truck", km=100)],
        "demand": [{"node": "d", "demand_t": 50}],
    })
    net, _, sol, _ = solve_path(path, max_truck_share_tkm=0.1)
    assert sol.status == "infeasible"
    lines = explain_infeasible(net, load_options(None, max_truck_share_tkm=0.1))
    assert lines[0] == "Relaxing any one of these requirements gives a plan:"
    assert "- minimum output of coal at mine m in 1 (50 t) cannot be met: 50 t of it cannot be moved on or stored under the other requirements" in lines
    # truck t·km 50 × 100 = 5,000; the cap allows 10 % of all t·km (5,000): 500; above by 4,500
    assert "- truck share cap of 10% of t·km cannot be met: truck t·km above the cap by 4,500 t·km" in lines
