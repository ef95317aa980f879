"""Properties that must hold on any network (hypothesis draws small random ones).

- coal is conserved at every node, product and period (checked on the written tables);
- cutting a capacity never makes the plan cheaper;
- more supply never leaves more demand unmet (efficiency 1, one penalty for all demand);
- multiplying every cost and penalty by k multiplies the optimum by k.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import solve_path, write_dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def networks(draw, lossy: bool = True):
    T = draw(st.integers(1, 3))
    mines = [f"m{i}" for i in range(draw(st.integers(1, 3)))]
    hubs = [f"h{i}" for i in range(draw(st.integers(0, 2)))]
    dems = [f"d{i}" for i in range(draw(st.integers(1, 3)))]
    nodes = [{"id": n, "kind": k} for k, ns in (("mine", mines), ("hub", hubs), ("demand", dems)) for n in ns]
    supply = [{"node": m, "capacity_t": draw(st.integers(0, 100)), "cost_cny_per_t": draw(st.integers(0, 50))} for m in mines]
    pairs = [(a, b) for a in mines + hubs for b in hubs + dems if a != b]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=8, unique=True))
    chosen += [(draw(st.sampled_from(mines)), d) for d in dems]  # every demand reachable
    links = []
    for i, (a, b) in enumerate(dict.fromkeys(chosen)):
        links.append({
            "id": f"l{i}", "from": a, "to": b, "mode": draw(st.sampled_from(["rail", "truck"])),
            "capacity_t": draw(st.one_of(st.just(""), st.integers(1, 80))), "cost_cny_per_t": draw(st.integers(1, 30)),
            "distance_km": draw(st.integers(1, 300)), "efficiency": draw(st.sampled_from([1.0, 0.9, 0.75])) if lossy else 1.0,
        })
    demand = [{"node": d, "demand_t": draw(st.integers(0, 120)), "penalty_cny_per_t": 1000} for d in dems]
    storage = [{"node": n, "capacity_t": draw(st.integers(0, 60)), "initial_t": 0, "safety_t": draw(st.integers(0, 10)), "holding_cny_per_t": draw(st.integers(0, 3))}
               for n in hubs + dems if T > 1 and draw(st.booleans())]
    tables = {"nodes": nodes, "supply": supply, "links": links, "demand": demand}
    if storage:
        for s in storage:
            s["safety_t"] = min(s["safety_t"], s["capacity_t"])
        tables["storage"] = storage
    return T, tables


def solve(T, tables, **options):
    with tempfile.TemporaryDirectory() as tmp:
        path = write_dataset(Path(tmp) / "n", T, tables)
        return solve_path(path, **options)


@SETTINGS
@given(networks())
def test_coal_is_conserved_everywhere(case):
    T, tables = case
    net, _, sol, plan = solve(T, tables)
    assert sol.status == "optimal"
    eff = {r["id"]: r["efficiency"] for r in tables["links"]}
    periods = net.periods
    rows = []
    p = plan.production
    rows.append(pd.DataFrame({"node": p["mine"], "period": p["period"], "t": p["production_t"]}))
    f = plan.flows
    rows.append(pd.DataFrame({"node": f["to"], "period": f["period"], "t": f["flow_t"] * f["link"].map(eff)}))
    rows.append(pd.DataFrame({"node": f["from"], "period": f["period"], "t": -f["flow_t"]}))
    u = plan.unmet
    rows.append(pd.DataFrame({"node": u["node"], "period": u["period"], "t": -u["delivered_t"]}))
    s = plan.stocks
    if len(s):
        rows.append(pd.DataFrame({"node": s["node"], "period": s["period"], "t": -s["stock_t"]}))
        nxt = s[s["period"] != periods[-1]]
        rows.append(pd.DataFrame({"node": nxt["node"], "period": nxt["period"].map(lambda q: periods[periods.index(q) + 1]), "t": nxt["stock_t"]}))
    balance = pd.concat(rows).groupby(["node", "period"])["t"].sum()
    assert (balance.abs() < 1e-6).all(), balance[balance.abs() >= 1e-6]
    assert (f["flow_t"] >= 0).all() and (u["unmet_t"] >= -1e-9).all()


@SETTINGS
@given(networks(), st.data())
def test_cutting_a_capacity_never_lowers_cost(case, data):
    T, tables = case
    before = solve(T, tables)[2].objective
    i = data.draw(st.integers(0, len(tables["links"]) - 1))
    link = tables["links"][i]
    link["capacity_t"] = max(1, (link["capacity_t"] if link["capacity_t"] != "" else 100) // 2)
    after = solve(T, tables)[2].objective
    assert after >= before - 1e-6


@SETTINGS
@given(networks(lossy=False), st.data())
def test_more_supply_never_leaves_more_unmet(case, data):
    T, tables = case
    before = solve(T, tables)[3].kpis["unmet_t"]
    i = data.draw(st.integers(0, len(tables["supply"]) - 1))
    tables["supply"][i]["capacity_t"] += data.draw(st.integers(1, 100))
    after = solve(T, tables)[3].kpis["unmet_t"]
    assert after <= before + 1e-6


@SETTINGS
@given(networks(), st.sampled_from([2, 10, 0.5]))
def test_scaling_every_cost_scales_the_optimum(case, k):
    T, tables = case
    base = solve(T, tables)[2].objective
    for r in tables["supply"]:
        r["cost_cny_per_t"] *= k
    for r in tables["links"]:
        r["cost_cny_per_t"] *= k
    for r in tables["demand"]:
        r["penalty_cny_per_t"] *= k
    for r in tables.get("storage", []):
        r["holding_cny_per_t"] *= k
    scaled = solve(T, tables, safety_penalty_cny_per_t=500 * k)[2].objective
    assert scaled == pytest.approx(k * base, rel=1e-9, abs=1e-6)
