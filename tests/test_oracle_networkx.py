"""Optimal costs checked against networkx min-cost flow (network simplex), an independent oracle.

Single-period cases map directly to a min-cost flow. Multi-period cases with storage map to
a time-expanded network: node (n, t), storage arcs (n, t) → (n, t+1) carrying end-of-period
stock (capacity = storage capacity, cost = holding), initial stock as supply at (n, 0), and
the end-of-horizon rule "stock ≥ initial" as a lower bound on the last stock arc (removed by
the usual lower-bound transformation). Unmet demand is an arc from the source at the penalty.
All data are integers so that network simplex is exact.
"""

from __future__ import annotations

import random

import networkx as nx
import pytest
from conftest import solve_path, write_dataset


def random_network(seed: int, periods: int):
    rng = random.Random(seed)
    n_mines, n_hubs, n_dem = rng.randint(1, 4), rng.randint(0, 4), rng.randint(1, 4)
    mines = [f"m{i}" for i in range(n_mines)]
    hubs = [f"h{i}" for i in range(n_hubs)]
    dems = [f"d{i}" for i in range(n_dem)]
    nodes = [{"id": n, "kind": k} for k, ns in (("mine", mines), ("hub", hubs), ("demand", dems)) for n in ns]
    supply = [{"node": m, "product": "coal", "capacity_t": rng.randint(20, 120), "cost_cny_per_t": rng.randint(1, 30), "min_t": 0} for m in mines]
    links, seen = [], set()

    def link(a, b, cap_prob=0.6):
        if a == b or (a, b) in seen:
            return
        seen.add((a, b))
        cap = rng.randint(10, 100) if rng.random() < cap_prob else ""
        links.append({"id": f"l{len(links)}", "from": a, "to": b, "mode": rng.choice(["rail", "truck"]), "capacity_t": cap, "cost_cny_per_t": rng.randint(1, 40), "distance_km": rng.randint(5, 500)})

    for _ in range(rng.randint(2, 10)):
        link(rng.choice(mines + hubs), rng.choice(hubs + dems))
    for d in dems:  # every demand reachable (validation requires it)
        link(rng.choice(mines), d, cap_prob=0.3)
    demand = [{"node": d, "product": "coal", "demand_t": rng.randint(10, 90), "penalty_cny_per_t": rng.randint(60, 200)} for d in dems]
    storage = []
    if periods > 1:
        for n in rng.sample(hubs + dems, k=min(len(hubs + dems), rng.randint(1, 3))):
            cap = rng.randint(20, 150)
            storage.append({"node": n, "product": "coal", "capacity_t": cap, "initial_t": rng.randint(0, cap // 2), "safety_t": 0, "holding_cny_per_t": rng.randint(0, 5)})
        # demand varies by period: period rows override the base row
        for d in dems:
            for t in range(1, periods + 1):
                if rng.random() < 0.5:
                    demand.append({"node": d, "product": "coal", "demand_t": rng.randint(0, 150), "penalty_cny_per_t": "", "period": t})
        for row in demand:
            row.setdefault("period", "")
    tables = {"nodes": nodes, "supply": supply, "links": links, "demand": demand}
    if storage:
        tables["storage"] = storage
    return tables


def oracle_cost(tables, periods: int) -> int:
    """Min-cost flow on the time-expanded network (see module docstring).

    Demand nodes must receive exactly their demand (from links, stock or the unmet arc from
    the source); the source may spill what is not needed to a spill node for free.
    """
    g = nx.DiGraph()
    T = periods
    penalty = {r["node"]: r["penalty_cny_per_t"] for r in tables["demand"] if r.get("period", "") == ""}
    demand = {}
    for r in tables["demand"]:
        if r.get("period", "") == "":
            for t in range(T):
                demand.setdefault((r["node"], t), r["demand_t"])
    for r in tables["demand"]:
        if r.get("period", "") != "":
            demand[(r["node"], int(r["period"]) - 1)] = r["demand_t"]
    storage = tables.get("storage", [])
    need = {"source": -(sum(demand.values()) + sum(r["capacity_t"] for r in storage) + 1)}

    def add(a, b, cap, cost):
        # parallel arcs go through a fresh middle node (DiGraph holds one arc per pair)
        mid = f"{a}->{b}#{g.number_of_edges()}"
        kw = {} if cap == "" or cap is None else {"capacity": int(cap)}
        g.add_edge(a, mid, weight=int(cost), **kw)
        g.add_edge(mid, b, weight=0)

    for t in range(T):
        for r in tables["supply"]:
            add("source", (r["node"], t), r["capacity_t"], r["cost_cny_per_t"])
        for r in tables["links"]:
            add((r["from"], t), (r["to"], t), r["capacity_t"], r["cost_cny_per_t"])
    for (node, t), d in demand.items():
        need[(node, t)] = need.get((node, t), 0) + d
        add("source", (node, t), d, penalty[node])
    add("source", "spill", None, 0)
    offset = 0  # holding cost of the tonnes forced onto the last stock arc by its lower bound
    for r in storage:
        n, cap, init, hold = r["node"], r["capacity_t"], r["initial_t"], r["holding_cny_per_t"]
        need[(n, 0)] = need.get((n, 0), 0) - init
        for t in range(T - 1):
            add((n, t), (n, t + 1), cap, hold)
        # end stock ≥ initial: lower bound `init` on the last stock arc (n, T-1) → spill
        need[(n, T - 1)] = need.get((n, T - 1), 0) + init
        add((n, T - 1), "spill", cap - init, hold)
        offset += init * hold
    need["spill"] = -sum(need.values())
    for node, value in need.items():
        g.add_node(node)
        g.nodes[node]["demand"] = value
    return nx.min_cost_flow_cost(g) + offset


def both_engines(seeds):
    """Every seed on the default engine, every third one on the Pyomo engine too (the Pyomo
    build costs ~0.1 s a case; tests/test_identical_lp.py proves the LPs identical anyway)."""
    seeds = list(seeds)
    return [(s, "highs") for s in seeds] + [(s, "pyomo") for s in seeds[::3]]


@pytest.mark.parametrize("seed,engine", both_engines(range(60)))
def test_single_period_matches_networkx(tmp_path, seed, engine):
    tables = random_network(seed, 1)
    path = write_dataset(tmp_path / f"n{seed}", 1, tables)
    expected = oracle_cost(tables, 1)
    _, _, sol, plan = solve_path(path, engine=engine)
    assert sol.status == "optimal"
    assert plan.kpis["objective"] == pytest.approx(expected, abs=1e-6)
    assert sol.objective == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("seed,engine", both_engines(range(100, 125)))
def test_multi_period_with_storage_matches_time_expanded_networkx(tmp_path, seed, engine):
    T = 4
    tables = random_network(seed, T)
    path = write_dataset(tmp_path / f"n{seed}", T, tables)
    expected = oracle_cost(tables, T)
    _, _, sol, plan = solve_path(path, engine=engine)
    assert sol.status == "optimal"
    assert plan.kpis["objective"] == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("seed", [3, 7, 104, 111, 118])
def test_engines_give_the_same_plan_where_the_optimum_is_unique(tmp_path, seed):
    # Integer costs leave ties (two routes of equal cost), and then each engine may return a
    # different optimal vertex (docs/model.md, "Why plans may differ"). Distinct irrational-ish
    # perturbations of every cost make the optimum unique (with probability 1), so both
    # engines must return the same tonnes on every link, mine and store.
    T = 1 if seed < 100 else 4
    tables = random_network(seed, T)
    for i, row in enumerate(tables["links"] + tables["supply"]):
        row["cost_cny_per_t"] = row["cost_cny_per_t"] + ((i * 0.6180339887) % 1) * 1e-2
    path = write_dataset(tmp_path / f"n{seed}", T, tables)
    _, _, sol_h, plan_h = solve_path(path)
    _, _, sol_p, plan_p = solve_path(path, engine="pyomo")
    assert sol_p.status == "optimal" and sol_p.iterations is not None and sol_p.iterations >= 0
    assert sol_p.objective == pytest.approx(sol_h.objective, rel=1e-9, abs=1e-9)
    for table, key, value in (("flows", ["link", "product", "period"], "flow_t"), ("production", ["mine", "product", "period"], "production_t")):
        a = getattr(plan_h, table).set_index(key)[value].sort_index()
        b = getattr(plan_p, table).set_index(key)[value].sort_index()
        assert list(a.index) == list(b.index)
        assert a.to_numpy() == pytest.approx(b.to_numpy(), abs=1e-6)
