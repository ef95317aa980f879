"""Candidates, evaluate and invest: hand arithmetic and exhaustive enumeration of every subset.

The enumeration oracle never uses supplyopt's model: for each subset it solves a time-expanded
networkx min-cost flow in which the chosen candidates are ordinary arcs (from their earliest
period on), and adds the annualised build cost worked out here from the documented formula.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from conftest import CASES, REPO, write_dataset

import supplyopt
from supplyopt.io.data import DataError
from supplyopt.model import candidates
from supplyopt.workflows import evaluate, invest

HAND = CASES / "invest"


# --------------------------------------------------------------------------- hand case
def test_evaluate_hand_arithmetic():
    """platform_a requires siding_a, so both are built.

    Without: demand 100 t per week; rail (30 t at 25) + road (70 t at 50) = 4,250 CNY a week,
    × 2 weeks = 8,500; production 200 t × 10 = 2,000 → 10,500.
    With: siding_a + platform carry 90 t at 20, rail 10 t at 25 = 2,050 a week → 4,100.
    Investment: (500,000 + 100,000) × CRF(0 %, 10 y) = 0.1 → 60,000 CNY/yr × 14 / 365 = 2,301.37.
    Annual savings 4,400 × 365 / 14 = 114,714.29; payback 600,000 / 114,714.29 = 5.23 years;
    NPV = −600,000 + 114,714.29 × 10 = 547,142.9 (rate 0). Truck t·km 140 t × 100 km = 14,000.
    """
    ev = evaluate.evaluate(supplyopt.load(HAND), "platform_a")
    assert ev.built == ["platform_a", "siding_a"]
    t = ev.table.set_index("metric")
    assert t.loc["objective_cny", "without"] == pytest.approx(10_500)
    assert t.loc["transport_cny", "with"] == pytest.approx(4_100)
    assert t.loc["investment_cny", "with"] == pytest.approx(60_000 * 14 / 365)
    assert t.loc["truck_tkm", "change"] == pytest.approx(-14_000)
    assert t.loc["mine_truck_share", "without"] == pytest.approx(0.7)
    # CO2: road 14,000 t·km × 0.09 kg + rail 6,000 × 0.011 = 1.326 t; with: rail 20,000 × 0.011 = 0.22 t
    assert t.loc["co2_t", "without"] == pytest.approx(1.326) and t.loc["co2_t", "with"] == pytest.approx(0.22)
    e = ev.economics
    assert e["annual_savings_cny"] == pytest.approx(4_400 * 365 / 14)
    assert e["payback_years"] == pytest.approx(600_000 / (4_400 * 365 / 14))
    assert e["npv_cny"] == pytest.approx(-600_000 + 10 * 4_400 * 365 / 14)
    # carried: siding_a takes 180 t; net cost per t = (2,301.37 − 4,400) / 180 = −11.66 CNY
    assert e["candidate_links_delivered_added_t"] == pytest.approx(180)
    assert e["net_cost_cny_per_t_delivered"] == pytest.approx((60_000 * 14 / 365 - 4_400) / 180)
    moved = ev.moved.set_index("link")["change_t"]
    assert moved["siding_a"] == pytest.approx(180) and moved["road"] == pytest.approx(-140) and moved["rail"] == pytest.approx(-40)


def test_without_is_the_base_network():
    """Candidates not built change nothing: the same optimum as the data set without them."""
    net = supplyopt.load(HAND)
    ev = evaluate.evaluate(net, "rail_up")
    assert ev.without.kpis["objective"] == pytest.approx(supplyopt.solve(net).kpis["objective"], rel=1e-12)
    # rail_up opens in W2 only: 40 t more rail in W2 saves 40 × (50 − 25) = 1,000
    assert ev.economics["operating_savings_cny"] == pytest.approx(1_000)


def test_crf_formula():
    # r = 8 %, n = 20: 0.08 / (1 − 1.08^−20) = 0.101852 (annuity tables)
    assert candidates.capital_recovery_factor(0.08, 20) == pytest.approx(0.1018522, rel=1e-6)
    assert candidates.capital_recovery_factor(0.0, 10) == 0.1


# --------------------------------------------------------------------------- enumeration oracle
def _plain_cost(base: dict, cands: pd.DataFrame, subset: tuple[str, ...], periods: list[str], days: float) -> float:
    """Least cost with exactly ``subset`` built, as a time-expanded networkx min-cost flow
    (node (n, t); storage arcs (n, t) → (n, t+1); unmet demand an arc from the source at its
    penalty; all data integers, so network simplex is exact), plus the annualised build cost
    of ``subset`` from the documented formula."""
    T = len(periods)
    chosen = cands[cands["id"].isin(subset)]
    links = [dict(lk) for lk in base["links"]]
    for _, c in chosen[chosen["kind"] == "new_link"].iterrows():
        links.append({"id": c["id"], "from": c["from"], "to": c["to"], "cost_cny_per_t": c["cost_cny_per_t"], "capacity_t": 0.0, "_new": (c["capacity_t"], int(c["_earliest"]))})
    stores = {r["node"]: {"capacity_t": r["capacity_t"]} for r in base.get("storage", [])}
    for _, c in chosen[chosen["kind"] == "new_storage"].iterrows():
        stores[c["node"]] = {"capacity_t": 0.0, "_new": (c["capacity_t"], int(c["_earliest"]))}

    def capacity(thing: dict, kind: str, key: str, name: str, t: int) -> float:
        cap = thing["capacity_t"]
        if "_new" in thing and t >= thing["_new"][1]:
            cap += thing["_new"][0]
        for _, u in chosen[(chosen["kind"] == kind) & (chosen[key] == name)].iterrows():
            cap += u["capacity_t"] if t >= u["_earliest"] else 0.0
        return cap

    g = nx.DiGraph()
    demand = {(d["node"], t): d["demand_t"] for d in base["demand"] for t, p in enumerate(periods) if d.get("period", "") in ("", p)}
    total = int(sum(demand.values()))
    g.add_node("S", demand=-total)
    g.add_node("Z", demand=total)

    def arc(a, b, cap, cost):
        attrs = {"weight": int(cost)} | ({"capacity": int(cap)} if np.isfinite(cap) else {})
        if g.has_edge(a, b):  # parallel arc: through a midpoint
            a, mid = a, ("mid", a, b, g.number_of_nodes())
            g.add_edge(a, mid, weight=0)
            a = mid
        g.add_edge(a, b, **attrs)

    penalty = {d["node"]: d.get("penalty_cny_per_t", 10_000) for d in base["demand"]}
    for t in range(T):
        for m in base["supply"]:
            arc("S", (m["node"], t), m["capacity_t"], m["cost_cny_per_t"])
        for lk in links:
            arc((lk["from"], t), (lk["to"], t), capacity(lk, "link_capacity", "link", lk["id"], t), lk["cost_cny_per_t"])
        for node, st in stores.items():
            if t < T - 1:
                arc((node, t), (node, t + 1), capacity(st, "storage_capacity", "node", node, t), 0)
    for (node, t), need in demand.items():
        arc((node, t), "Z", need, 0)
        arc("S", ("unmet", node, t), need, penalty[node])
        arc(("unmet", node, t), "Z", need, 0)
    cost = nx.min_cost_flow_cost(g)
    for _, c in chosen.iterrows():
        r, n = c["discount_rate"], c["lifetime_years"]
        crf = 1 / n if r == 0 else r / (1 - (1 + r) ** -n)
        cost += (c["build_cost_cny"] * crf + c["fixed_om_cny_per_year"]) * (T - c["_earliest"]) * days / 365
    return cost


def _allowed(cands: pd.DataFrame, subset: tuple[str, ...], budget: float) -> bool:
    chosen = cands[cands["id"].isin(subset)]
    if chosen["build_cost_cny"].sum() > budget + 1e-6:
        return False
    for _, c in chosen.iterrows():
        if any(x in subset for x in str(c["excludes"] or "").split(";") if x):
            return False
        if any(x not in subset for x in str(c["requires"] or "").split(";") if x):
            return False
    return True


def _enumerate(base, cands, periods, days) -> dict:
    """Cost of every subset of the candidates (2^n min-cost flows)."""
    return {s: _plain_cost(base, cands, s, periods, days) for k in range(len(cands) + 1) for s in itertools.combinations(sorted(cands["id"]), k)}


def _hand_tables():
    base = {name: pd.read_csv(HAND / f"{name}.csv", keep_default_na=False).to_dict("records") for name in ("nodes", "supply", "demand")}
    links = pd.read_csv(HAND / "links.csv")
    base["links"] = [{**r, "capacity_t": float(r["capacity_t"]) if pd.notna(r["capacity_t"]) else np.inf} for r in links.to_dict("records")]
    cands = pd.read_csv(HAND / "candidates.csv", keep_default_na=False, na_values=[""])
    cands[["excludes", "requires"]] = cands[["excludes", "requires"]].fillna("")
    cands["_earliest"] = cands["earliest_period"].map({"W2": 1}).fillna(0).astype(int)
    return base, cands


@pytest.fixture(scope="module")
def hand_costs():
    base, cands = _hand_tables()
    return cands, _enumerate(base, cands, ["W1", "W2"], 7.0)


@pytest.mark.parametrize("budget", [0, 350_000, 450_000, 650_000, 2_000_000, 5e9])  # 5e9: a row bound above 1e9 once shrank the binaries
def test_invest_equals_enumeration_hand(hand_costs, budget):
    cands, costs = hand_costs
    best = min((v, s) for s, v in costs.items() if _allowed(cands, s, budget))
    inv = invest.invest(supplyopt.load(HAND), budget, mip_gap=1e-9)
    assert inv.plan.kpis["objective"] == pytest.approx(best[0], rel=1e-9, abs=1e-6)
    assert costs[tuple(inv.chosen)] == pytest.approx(best[0], rel=1e-9, abs=1e-6)
    assert _allowed(cands, tuple(inv.chosen), budget)


def _random_case(seed: int):
    """Two mines, a hub with storage, two plants, 3 weeks; 6 candidates of every kind, one
    exclusion and one requirement; build costs sized so that choices are close."""
    rng = np.random.default_rng(seed)
    periods = ["P1", "P2", "P3"]
    base = {
        "nodes": [{"id": n, "kind": k} for n, k in (("m1", "mine"), ("m2", "mine"), ("h", "hub"), ("d1", "demand"), ("d2", "demand"))],
        "supply": [{"node": "m1", "capacity_t": 100, "cost_cny_per_t": 10}, {"node": "m2", "capacity_t": 60, "cost_cny_per_t": 14}],
        # a cold last week: more demand than the mines make, so storage filled earlier pays
        "demand": [{"node": d, "demand_t": float(rng.integers(90, 141) if p == "P3" else rng.integers(30, 71)), "penalty_cny_per_t": 300, "period": p}
                   for d in ("d1", "d2") for p in periods],
        "links": [
            {"id": f"road_{m}_{d}", "from": m, "to": d, "mode": "truck", "distance_km": 100, "cost_cny_per_t": float(rng.integers(40, 61)), "capacity_t": np.inf}
            for m in ("m1", "m2") for d in ("d1", "d2")
        ] + [
            {"id": "r_m1_h", "from": "m1", "to": "h", "mode": "rail", "distance_km": 80, "cost_cny_per_t": 8.0, "capacity_t": 100.0},
            {"id": "r_m2_h", "from": "m2", "to": "h", "mode": "rail", "distance_km": 80, "cost_cny_per_t": 9.0, "capacity_t": 20.0},
            {"id": "r_h_d1", "from": "h", "to": "d1", "mode": "rail", "distance_km": 60, "cost_cny_per_t": 10.0, "capacity_t": 60.0},
            {"id": "r_h_d2", "from": "h", "to": "d2", "mode": "rail", "distance_km": 60, "cost_cny_per_t": 12.0, "capacity_t": 30.0},
        ],
        "storage": [{"node": "h", "capacity_t": 40.0}],
    }
    cost = lambda: float(rng.integers(1, 9)) * 50_000  # noqa: E731
    early = lambda: periods[int(rng.integers(0, 2))]  # noqa: E731
    rows = [
        dict(id="c1", kind="new_link", **{"from": "m2", "to": "d2"}, mode="rail", distance_km=120, cost_cny_per_t=15, capacity_t=float(rng.integers(30, 61)), earliest_period=early()),
        dict(id="c2", kind="new_link", **{"from": "m1", "to": "d2"}, mode="rail", distance_km=120, cost_cny_per_t=18, capacity_t=float(rng.integers(30, 61)), earliest_period="P1", excludes="c1"),
        dict(id="c3", kind="link_capacity", link="r_h_d2", capacity_t=float(rng.integers(20, 51)), earliest_period=early()),
        dict(id="c4", kind="link_capacity", link="c1", capacity_t=20.0, earliest_period="P1", requires="c1"),
        dict(id="c5", kind="new_storage", node="d1", capacity_t=40.0, earliest_period="P1"),
        dict(id="c6", kind="storage_capacity", node="h", capacity_t=30.0, earliest_period=early()),
    ]
    cands = pd.DataFrame(rows)
    cands["build_cost_cny"] = [cost() for _ in rows]
    cands["lifetime_years"] = 20
    cands["discount_rate"] = 0.08
    cands["fixed_om_cny_per_year"] = [float(rng.integers(0, 3)) * 5_000 for _ in rows]
    for col in ("link", "node", "from", "to", "mode", "excludes", "requires"):
        cands[col] = cands[col].fillna("")
    cands["_earliest"] = cands["earliest_period"].map({p: i for i, p in enumerate(periods)})
    return base, cands, periods


@pytest.mark.parametrize("seed", [1, 2])
def test_invest_equals_enumeration_random(tmp_path, seed):
    base, cands, periods = _random_case(seed)
    costs = _enumerate(base, cands, periods, 7.0)
    links = [{**lk, "capacity_t": lk["capacity_t"] if np.isfinite(lk["capacity_t"]) else ""} for lk in base["links"]]
    data = write_dataset(tmp_path / "with_candidates", periods, {**base, "links": links, "candidates": cands.drop(columns="_earliest")})
    net = supplyopt.load(data)
    total = cands["build_cost_cny"].sum()
    chosen = set()
    for budget in (0.15 * total, 0.4 * total, total):
        best = min((v, s) for s, v in costs.items() if _allowed(cands, s, budget))
        inv = invest.invest(net, budget, mip_gap=1e-9, budget_step=0)
        assert inv.plan.kpis["objective"] == pytest.approx(best[0], rel=1e-9, abs=1e-6), (budget, inv.chosen, best)
        assert costs[tuple(inv.chosen)] == pytest.approx(best[0], rel=1e-9, abs=1e-6)
        assert _allowed(cands, tuple(inv.chosen), budget)
        chosen |= set(inv.chosen)
    assert len(chosen) >= 2  # the case does discriminate: building pays, not only one candidate


def test_exclusion_and_requirement_respected():
    """Unlimited budget: building both sidings, or the platform without its siding, would
    pay, but the rows forbid it."""
    inv = invest.invest(supplyopt.load(HAND), 10_000_000, mip_gap=1e-9)
    assert not {"siding_a", "siding_b"} <= set(inv.chosen)
    assert "platform_a" not in inv.chosen or "siding_a" in inv.chosen


def test_marginal_value_of_budget():
    """At 350,000 only rail_up fits (net +425 CNY); at 450,000 siding_b (net +2,446):
    (objective(350k) − objective(450k)) / 100,000 = (10,075 − 8,054.25) / 100,000."""
    inv = invest.invest(supplyopt.load(HAND), 350_000, budget_step=100_000, mip_gap=1e-9)
    assert inv.chosen == ["rail_up"]
    assert inv.marginal["chosen_at_budget_plus_step"] == ["siding_b"]
    before = 10_500 - 1_000 + 300_000 * 0.1 * 7 / 365  # rail_up opens in W2: one week of cost
    after = 2_000 + 2 * (80 * 22 + 20 * 25) + 400_000 * 0.1 * 14 / 365
    assert inv.plan.kpis["objective"] == pytest.approx(before)
    assert inv.marginal["cny_saved_per_cny_of_budget"] == pytest.approx((before - after) / 100_000)


# --------------------------------------------------------------------------- command line and validation
def test_cli_invest_and_evaluate(tmp_path):
    out = tmp_path / "inv"
    r = subprocess.run([sys.executable, "-m", "supplyopt", "invest", str(HAND), "--budget", "450000", "--mip-gap", "0", "--out", str(out), "--json"],
                       cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["chosen"] == ["siding_b"] and summary["mip_gap"] == 0
    assert json.loads((out / "summary.json").read_text()) == summary
    assert pd.read_csv(out / "candidates.csv").set_index("id")["chosen"].to_dict() == {"platform_a": False, "rail_up": False, "siding_a": False, "siding_b": True}
    r = subprocess.run([sys.executable, "-m", "supplyopt", "evaluate", str(HAND), "--candidate", "nope", "--out", str(tmp_path / "ev")], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 2 and "nope" in r.stderr and not (tmp_path / "ev").exists()


@pytest.mark.parametrize("column,value,expected", [
    ("kind", "new_bridge", "unknown candidate kind"),
    ("link", "no_such_link", "unknown link"),
    ("requires", "", "must require it"),
    ("excludes", "ghost", "unknown candidate 'ghost'"),
    ("earliest_period", "W9", "unknown period"),
    ("lifetime_years", "0", "lifetime above 0"),
])
def test_bad_candidates(tmp_path, column, value, expected):
    import shutil

    shutil.copytree(HAND, tmp_path / "d")
    c = pd.read_csv(tmp_path / "d/candidates.csv", dtype=str, keep_default_na=False)
    c.loc[c["id"] == "platform_a", column] = value
    c.to_csv(tmp_path / "d/candidates.csv", index=False)
    with pytest.raises(DataError) as err:
        supplyopt.load(tmp_path / "d")
    msgs = [str(p) for p in err.value.problems]
    assert any("candidates.csv row 4" in m and f"column {column}" in m and expected in m for m in msgs), msgs


def test_truck_share_cap_needs_investment():
    """Cap: trucks ≤ 20 % of output. Without candidates rail carries 30 t a week, so output p
    obeys p − 30 ≤ 0.2 p: p ≤ 37.5 and 62.5 t a week go unmet (125 t). Within 450,000 siding_b
    (80 t a week) meets all demand with no truck at all. Within 350,000 only rail_up fits:
    W1 as without (62.5 unmet), W2 rail 70 t: p ≤ 87.5, 12.5 unmet — 75 t in all."""
    net = supplyopt.load(HAND)
    inv = invest.invest(net, 450_000, max_mine_truck_share=0.2, mip_gap=1e-9, budget_step=0)
    assert inv.chosen == ["siding_b"] and inv.plan.kpis["unmet_t"] == pytest.approx(0)
    assert inv.none.kpis["unmet_t"] == pytest.approx(125)
    assert inv.plan.kpis["mine_truck_share"] <= 0.2 + 1e-9
    small = invest.invest(net, 350_000, max_mine_truck_share=0.2, mip_gap=1e-9, budget_step=0)
    assert small.chosen == ["rail_up"] and small.plan.kpis["unmet_t"] == pytest.approx(75)


def test_invest_on_shanxi_runs_end_to_end(tmp_path):
    """The bundled candidates on the bundled data (a storage-candidate row family with no
    binding row once crashed the price table). Budget 5e9 CNY: within budget, a plan."""
    from supplyopt.cli import main

    out = tmp_path / "inv"
    assert main(["invest", str(REPO / "data" / "shanxi"), "--model", str(REPO / "models" / "default.yaml"), "--budget", "5e9", "--out", str(out), "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert 0 < summary["build_cost_cny"] <= 5e9 and summary["chosen"]
    assert (out / "candidates.csv").is_file()
    # 13 winter weeks are a season, not a year: the figures say what they stand on
    assert summary["year_basis"]["horizon_days"] == 91 and "scaled ×4.01 to a year" in summary["year_basis"]["warning"]
