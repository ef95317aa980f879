"""The safety-row elimination (supplyopt/reformulate.py) is exact.

Oracles, none of them the reformulation itself:
- the same LP solved as built (``solver.reformulate: false``): the same optimum;
- the optimality conditions of the LP as built, checked on the plan and duals mapped back
  (primal feasible, reduced costs = c − Aᵀy, signs by which bound is active, complementary
  slackness): the stock, shortfall and safety prices reported are an optimal solution of
  the model as the planner reads it, not only of HiGHS's form;
- networkx min-cost flow on a time-expanded network where safety shortfall is a penalty
  arc (convex piecewise-linear holding cost), on random networks.
"""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest
from conftest import write_dataset

import supplyopt
from supplyopt.engines.highs import HighsEngine
from supplyopt.engines.solver import check_plan
from supplyopt.model.options import Options, SolverOptions
from supplyopt.model.statement import build_lp

SHANXI = "data/shanxi"


def solve_lp(lp, reformulate: bool):
    engine = HighsEngine(lp, SolverOptions(reformulate=reformulate, method="simplex"))
    return engine, engine.solve()


def kkt_violations(lp, sol, tol: float = 1e-6) -> list[str]:
    """Where (x, y, d) fails the optimality conditions of ``lp`` as built (HiGHS's sign
    convention: d = c − Aᵀy; minimisation)."""
    rows, cols, vals = lp.triplets()
    col_lo, col_up, row_lo, row_up = lp.bounds()
    c = lp.objective()
    x, y, d = sol.x, sol.row_dual, sol.col_dual
    out = []
    aty = np.bincount(cols, weights=vals * y[rows], minlength=lp.n_cols)
    scale = 1.0 + np.abs(c) + np.abs(aty)
    bad = np.flatnonzero(np.abs(d - (c - aty)) > tol * scale)
    out += [f"reduced cost of column {j}: {d[j]} != c − Aᵀy = {c[j] - aty[j]}" for j in bad[:5]]
    size = np.maximum(1.0, np.abs(x))
    at_lo = np.abs(x - col_lo) <= tol * size
    at_up = np.abs(x - col_up) <= tol * size
    bad = np.flatnonzero((~at_lo & (d > tol * scale)) | (~at_up & (d < -tol * scale)))
    out += [f"column {j} at {x[j]} in [{col_lo[j]}, {col_up[j]}] has reduced cost {d[j]}" for j in bad[:5]]
    act = np.bincount(rows, weights=vals * x[cols], minlength=lp.n_rows)
    rsize = np.maximum(1.0, np.abs(act))
    r_lo = np.abs(act - row_lo) <= tol * rsize
    r_up = np.abs(act - row_up) <= tol * rsize
    yscale = 1.0 + np.abs(y)
    bad = np.flatnonzero((~r_lo & (y > tol * yscale)) | (~r_up & (y < -tol * yscale)))
    out += [f"row {i} with activity {act[i]} in [{row_lo[i]}, {row_up[i]}] has dual {y[i]}" for i in bad[:5]]
    return out + check_plan(lp, x)


PROFILES = {
    "built-in defaults": {},
    "default profile": {"path": "models/default.yaml"},
    "hard safety, end at safety": {"safety_stock": "hard", "end_stock": "safety"},
    "cheap safety": {"safety_penalty_cny_per_t": 0.5},
    "no safety penalty": {"safety_penalty_cny_per_t": 0.0},
}


@pytest.fixture(scope="module")
def shanxi():
    return supplyopt.load(SHANXI)


@pytest.mark.parametrize("profile", list(PROFILES))
def test_the_plan_mapped_back_is_optimal_for_the_model_as_built(shanxi, profile):
    kw = dict(PROFILES[profile])
    opt = supplyopt.options(kw.pop("path", None), **kw)
    lp = build_lp(shanxi, opt)
    engine, reformed = solve_lp(lp, True)
    assert engine.safety_rows_eliminated == lp.constraints["safety_stock"].size > 600
    _, built = solve_lp(build_lp(shanxi, opt), False)
    assert reformed.status == built.status == "optimal"
    assert reformed.objective == pytest.approx(built.objective, rel=1e-9)
    assert kkt_violations(lp, reformed) == []
    assert kkt_violations(lp, built) == []  # the checker itself holds on HiGHS's own duals
    short = lp.variables["safety_shortfall"]
    x = reformed.x[short.start: short.start + short.size]
    assert x.min() >= -1e-6 and (x <= short.upper + 1e-6).all()


def test_the_checker_catches_a_wrong_safety_price(shanxi):
    # seed the slip the dual rule could make: the price of every safety row set to the penalty
    opt = supplyopt.options()
    lp = build_lp(shanxi, opt)
    engine, sol = solve_lp(lp, True)
    rows = engine.split.row
    sol.row_dual[rows] = opt.safety_penalty_cny_per_t
    assert kkt_violations(lp, sol) != []


def test_safety_prices_reach_prices_csv_under_their_planner_name(tmp_path):
    # one store, safety 100 t that no coal can refill: every week's shortfall is priced at
    # the penalty (raising the safety level by a tonne costs one more tonne of shortfall)
    tables = {
        "nodes": [{"id": "m", "kind": "mine"}, {"id": "d", "kind": "demand"}, {"id": "s", "kind": "hub"}],
        "supply": [{"node": "m", "product": "coal", "capacity_t": 50, "cost_cny_per_t": 10, "min_t": 0}],
        "links": [{"id": "md", "from": "m", "to": "d", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 5, "distance_km": 10}],
        "demand": [{"node": "d", "product": "coal", "demand_t": 50, "penalty_cny_per_t": 1000, "period": ""}],
        "storage": [{"node": "s", "product": "coal", "capacity_t": 300, "initial_t": 40, "safety_t": 100, "holding_cny_per_t": 2}],
    }
    path = write_dataset(tmp_path / "d", 3, tables)
    net = supplyopt.load(path)
    plans = [supplyopt.solve(net, model=supplyopt.options(reformulate=r)) for r in (True, False)]
    for plan in plans:
        safety = plan.prices[plan.prices["kind"] == "safety_stock"]
        assert len(safety) == 3 and np.allclose(safety["price_cny_per_t"], 500.0)
        assert plan.summary["safety_shortfall_t"] == pytest.approx(3 * 60)
        # 50 t × 15 CNY a week, 40 t held 3 weeks at 2, 60 t short 3 weeks at 500
        assert plan.summary["objective"] == pytest.approx(3 * 750 + 3 * 80 + 3 * 60 * 500)
    assert plans[0].summary["solver"]["safety_rows_eliminated"] == 3
    assert plans[1].summary["solver"]["safety_rows_eliminated"] == 0
    assert any("safety rows" in line for line in plans[0].log)


# --------------------------------------------------------------------------- networkx oracle
def random_stocked_network(seed: int, periods: int):
    rng = random.Random(seed)
    mines = [f"m{i}" for i in range(rng.randint(1, 3))]
    hubs = [f"h{i}" for i in range(rng.randint(1, 3))]
    dems = [f"d{i}" for i in range(rng.randint(1, 3))]
    nodes = [{"id": n, "kind": k} for k, ns in (("mine", mines), ("hub", hubs), ("demand", dems)) for n in ns]
    supply = [{"node": m, "product": "coal", "capacity_t": rng.randint(20, 120), "cost_cny_per_t": rng.randint(1, 30), "min_t": 0} for m in mines]
    links = []
    pairs = {(rng.choice(mines + hubs), rng.choice(hubs + dems)) for _ in range(6)} | {(rng.choice(mines), d) for d in dems}
    for a, b in sorted(p for p in pairs if p[0] != p[1]):
        cap = rng.randint(10, 100) if rng.random() < 0.6 else ""
        links.append({"id": f"l{len(links)}", "from": a, "to": b, "mode": "rail", "capacity_t": cap, "cost_cny_per_t": rng.randint(1, 40), "distance_km": 10})
    demand = [{"node": d, "product": "coal", "demand_t": rng.randint(10, 90), "penalty_cny_per_t": rng.randint(600, 900), "period": ""} for d in dems]
    for d in dems:
        for t in range(1, periods + 1):
            if rng.random() < 0.5:
                demand.append({"node": d, "product": "coal", "demand_t": rng.randint(0, 150), "penalty_cny_per_t": "", "period": t})
    storage = []
    for n in rng.sample(hubs + dems, k=rng.randint(1, len(hubs + dems))):
        cap = rng.randint(20, 150)
        storage.append({"node": n, "product": "coal", "capacity_t": cap, "initial_t": rng.randint(0, cap // 2),
                        "safety_t": rng.randint(0, cap), "holding_cny_per_t": rng.randint(0, 5)})
    return {"nodes": nodes, "supply": supply, "links": links, "demand": demand, "storage": storage}


def oracle_cost(tables, periods: int, penalty: float) -> float:
    """Min-cost flow over time. A stock arc carries the end-of-period stock; its cost
    hold·s + penalty·max(0, safety − s) is convex piecewise linear, so it is two parallel
    arcs (the first `safety` tonnes at hold − penalty, the rest at hold) plus penalty·safety.
    The last period's stock ends in a sink with at least the initial stock (end_stock:
    initial), so its first `initial` tonnes are a fixed amount."""
    g = nx.DiGraph()
    T = periods
    base = {r["node"]: r for r in tables["demand"] if r["period"] == ""}
    demand = {(n, t): r["demand_t"] for n, r in base.items() for t in range(T)}
    demand.update({(r["node"], int(r["period"]) - 1): r["demand_t"] for r in tables["demand"] if r["period"] != ""})
    need: dict = {}
    const = 0.0

    def arc(a, b, cap, cost):
        mid = ("arc", g.number_of_edges())
        g.add_edge(a, mid, weight=cost, **({} if cap is None or cap == "" else {"capacity": cap}))
        g.add_edge(mid, b, weight=0)

    for t in range(T):
        for r in tables["supply"]:
            arc("source", (r["node"], t), r["capacity_t"], r["cost_cny_per_t"])
        for r in tables["links"]:
            arc((r["from"], t), (r["to"], t), r["capacity_t"], r["cost_cny_per_t"])
    for (n, t), d in demand.items():
        need[(n, t)] = need.get((n, t), 0) + d
        arc("source", (n, t), d, base[n]["penalty_cny_per_t"])
    for r in tables["storage"]:
        n, cap, init, safe, hold = r["node"], r["capacity_t"], r["initial_t"], r["safety_t"], r["holding_cny_per_t"]
        need[(n, 0)] = need.get((n, 0), 0) - init
        for t in range(T):
            to, low = ((n, t + 1), 0) if t < T - 1 else ("sink", init)
            # the first `low` tonnes are forced (end stock ≥ initial): a constant
            const += low * hold + penalty * max(0, safe - low)
            need[(n, t)] = need.get((n, t), 0) + low
            need[to] = need.get(to, 0) - low
            below = max(0, safe - low)
            if below:
                arc((n, t), to, below, hold - penalty)
            arc((n, t), to, cap - low - below, hold)
    need["source"] = -sum(demand.values()) - sum(r["capacity_t"] for r in tables["storage"]) - 1
    arc("source", "sink", None, 0)
    need["sink"] = need.get("sink", 0) - sum(need.values())
    for node, value in need.items():
        g.add_node(node)
        g.nodes[node]["demand"] = value
    return nx.min_cost_flow_cost(g) + const


@pytest.mark.parametrize("seed", range(12))
def test_random_networks_with_safety_stock_match_networkx(tmp_path, seed):
    T = 4
    tables = random_stocked_network(seed, T)
    path = write_dataset(tmp_path / f"n{seed}", T, tables)
    net = supplyopt.load(path)
    expected = oracle_cost(tables, T, Options().safety_penalty_cny_per_t)
    for reformulate in (True, False):
        plan = supplyopt.solve(net, model=supplyopt.options(reformulate=reformulate))
        assert plan.summary["objective"] == pytest.approx(expected, abs=1e-6), reformulate


def test_warm_changes_to_safety_and_storage_move_both_parts_of_the_split_stock(shanxi):
    # a scenario that raises safety levels and cuts store capacity reaches HiGHS as new
    # bounds and costs of the split columns (HighsEngine.update), not as a rebuild
    study = supplyopt.Study(shanxi, model="models/default.yaml")
    study.solve()
    edits = {"name": "tight_stores", "edits": [
        {"what": "safety_stock", "where": {"kind": "port"}, "scale": 1.3},
        {"what": "storage_capacity", "where": {"kind": "port"}, "periods": ["2027-W01", "2027-W02"], "scale": 0.9},
    ]}
    warm = study.apply(edits).solve()
    # surprise: the safety edit is known from the first week, the capacity cut from 2027-W01
    assert study.stats == {"builds": 1, "warm": 2}
    cold = supplyopt.solve(shanxi, model=supplyopt.options("models/default.yaml", reformulate=False), scenario=edits)
    assert warm.summary["objective"] == pytest.approx(cold.summary["objective"], rel=1e-9)
    assert warm.summary["safety_shortfall_t"] == pytest.approx(cold.summary["safety_shortfall_t"], rel=1e-6, abs=1e-3)
    assert kkt_violations(study.lp, study.solution) == []
    back = study.reset().solve()  # and back to the base, warm again
    assert back.summary["objective"] == pytest.approx(supplyopt.solve(shanxi, model="models/default.yaml").summary["objective"], rel=1e-9)
