"""Invest over a scenario set (invest --scenarios): a two-scenario hand case where the shared
choice differs from both single-scenario choices, checked against enumeration (every allowed
subset, each scenario's cost a networkx min-cost flow with the subset as ordinary arcs), and
the CLI.

The hand case: one mine, two plants (north, south), each served by truck at 50 CNY/t; a hub
reached from the mine only through a candidate, with trucks hub → each plant at 20 CNY/t.
One 365-day period (a year's cost is the period's cost). Candidates (build 10,000 each, rate 0,
10 years: charge 1,000 a year), budget 10,000 (one of them):
  rail_north — mine → north at 20 CNY/t (saves 30 per t to north)
  rail_south — mine → south at 20 CNY/t (saves 30 per t to south)
  rail_hub   — mine → hub at 12 CNY/t (32 to either plant: saves 18 per t to both)
Scenarios: north_peak (north 300 t, south 100 t) and south_peak (the reverse), 50 % each.
By hand: north_peak alone builds rail_north (saves 9,000 against the hub's 7,200); south_peak
alone builds rail_south; together the expected savings are 6,000, 6,000 and 7,200: the hub.
"""

from __future__ import annotations

import itertools
import json

import networkx as nx
import pytest
import yaml
from conftest import write_dataset

from supplyopt.cli import main
from supplyopt.workflows.invest_risk import robust_invest

CANDS = {"rail_north": ("mine", "north", 20), "rail_south": ("mine", "south", 20), "rail_hub": ("mine", "hub", 12)}
COST = 10_000


def hand_case(folder, probabilities=(0.5, 0.5)):
    cands = [{"id": c, "kind": "new_link", "from": a, "to": b, "mode": "rail", "distance_km": 100, "cost_cny_per_t": w, "capacity_t": 10_000,
              "build_cost_cny": COST, "lifetime_years": 10, "discount_rate": 0, "fixed_om_cny_per_year": 0} for c, (a, b, w) in CANDS.items()]
    data = write_dataset(folder / "data", ["Y"], {
        "nodes": [{"id": "mine", "kind": "mine", "name": "Mine"}, {"id": "hub", "kind": "storage", "name": "Hub"},
                  {"id": "north", "kind": "demand", "name": "North"}, {"id": "south", "kind": "demand", "name": "South"}],
        "supply": [{"node": "mine", "capacity_t": 10_000, "cost_cny_per_t": 0}],
        "demand": [{"node": "north", "demand_t": 100}, {"node": "south", "demand_t": 100}],
        "links": [{"id": "truck_north", "from": "mine", "to": "north", "mode": "truck", "capacity_t": "", "cost_cny_per_t": 50, "distance_km": 100},
                  {"id": "truck_south", "from": "mine", "to": "south", "mode": "truck", "capacity_t": "", "cost_cny_per_t": 50, "distance_km": 100},
                  {"id": "hub_north", "from": "hub", "to": "north", "mode": "truck", "capacity_t": "", "cost_cny_per_t": 20, "distance_km": 40},
                  {"id": "hub_south", "from": "hub", "to": "south", "mode": "truck", "capacity_t": "", "cost_cny_per_t": 20, "distance_km": 40}],
        "candidates": cands,
    }, period_days=365)
    for name, node in (("north_peak", "north"), ("south_peak", "south")):
        (folder / f"{name}.yaml").write_text(yaml.safe_dump({"name": name, "edits": [{"what": "demand", "where": {"node": node}, "scale": 3.0}]}))
    (folder / "set.yaml").write_text(yaml.safe_dump({"name": "peaks", "scenarios": [
        {"name": "north_peak", "probability": probabilities[0], "scenario": ["north_peak.yaml"]},
        {"name": "south_peak", "probability": probabilities[1], "scenario": ["south_peak.yaml"]}]}))
    return data, folder / "set.yaml"


def cost(demand: dict, built: set[str]) -> float:
    """Transport cost by networkx min-cost flow, built candidates as ordinary arcs."""
    g = nx.DiGraph()
    g.add_node("mine", demand=-sum(demand.values()))
    for n, d in demand.items():
        g.add_node(n, demand=d)
        g.add_edge("mine", f"truck_{n}", weight=50)
        g.add_edge(f"truck_{n}", n, weight=0)
        g.add_edge("hub", f"hub_{n}", weight=20)
        g.add_edge(f"hub_{n}", n, weight=0)
    for c in built:
        a, b, w = CANDS[c]
        g.add_edge(a, c, weight=w)
        g.add_edge(c, b, weight=0)
    return float(nx.min_cost_flow_cost(g))


SCENARIOS = {"north_peak": {"north": 300, "south": 100}, "south_peak": {"north": 100, "south": 300}}


def best(probabilities: dict, budget: float):
    out = None
    for k in range(len(CANDS) + 1):
        for subset in itertools.combinations(sorted(CANDS), k):
            if COST * len(subset) > budget:
                continue
            total = sum(p * cost(SCENARIOS[s], set(subset)) for s, p in probabilities.items()) + len(subset) * COST / 10
            if out is None or total < out[0] - 1e-9:
                out = (total, sorted(subset))
    return out


def test_shared_choice_differs_from_each_scenario_alone(tmp_path):
    data, sset = hand_case(tmp_path)
    inv = robust_invest(str(data), COST, str(sset), mip_gap=1e-9)
    want_cost, want = best({"north_peak": 0.5, "south_peak": 0.5}, COST)
    assert want == ["rail_hub"]  # the docstring's arithmetic, by enumeration
    assert inv.summary["chosen"] == want
    assert inv.summary["expected_objective_cny"] == pytest.approx(want_cost)
    own = dict(zip(inv.scenarios["scenario"], inv.scenarios["own_choice"]))
    assert own == {"north_peak": "rail_north", "south_peak": "rail_south"}
    assert best({"north_peak": 1.0}, COST)[1] == ["rail_north"]
    s = inv.scenarios.set_index("scenario")
    # north_peak with the hub: 400 t × 32 = 12,800 + charge 1,000; with its own rail: 100 × 50 + 300 × 20 + 1,000
    assert s.loc["north_peak", "cost_with_shared_choice_cny"] == pytest.approx(13_800)
    assert s.loc["north_peak", "cost_with_own_choice_cny"] == pytest.approx(12_000)
    assert s.loc["north_peak", "regret_cny"] == pytest.approx(1_800)
    # betting on north everywhere: expected (12,000 + (300 × 50 + 100 × 20 + 1,000)) / 2 = 15,000
    assert s.loc["north_peak", "expected_cost_if_own_choice_everywhere_cny"] == pytest.approx(15_000)
    assert inv.summary["choice_changes_with_scenario"] is True
    assert inv.summary["expected_objective_nothing_built_cny"] == pytest.approx(20_000)


@pytest.mark.parametrize("p_north,budget", [(0.9, COST), (0.5, 2 * COST), (0.7, 3 * COST), (0.5, 0)])
def test_equals_enumeration(tmp_path, p_north, budget):
    data, sset = hand_case(tmp_path, (p_north, 1 - p_north))
    inv = robust_invest(str(data), budget, str(sset), mip_gap=1e-9)
    want_cost, want = best({"north_peak": p_north, "south_peak": 1 - p_north}, budget)
    assert inv.summary["chosen"] == want
    assert inv.summary["expected_objective_cny"] == pytest.approx(want_cost)


def test_risk_averse_choice(tmp_path):
    """With north 90 % likely, the expected cost picks rail_north (0.9 × 12,000 + 0.1 × 18,000 =
    12,600 against the hub's 13,800). CVaR at 0.9 is the cost of the worst 10 %: south_peak,
    where rail_north costs 300 × 50 + 100 × 20 + 1,000 = 18,000 and the hub 13,800; with weight
    10 the hub wins (13,800 + 10 × 13,800 < 12,600 + 10 × 18,000)."""
    from supplyopt.model.extensive import Risk

    data, sset = hand_case(tmp_path, (0.9, 0.1))
    neutral = robust_invest(str(data), COST, str(sset), mip_gap=1e-9)
    assert neutral.summary["chosen"] == ["rail_north"]
    averse = robust_invest(str(data), COST, str(sset), risk=Risk("cost", 0.9, 10.0), mip_gap=1e-9)
    assert averse.summary["chosen"] == ["rail_hub"]


def test_cli(tmp_path, capsys):
    data, sset = hand_case(tmp_path)
    out = tmp_path / "out"
    assert main(["invest", str(data), "--budget", str(COST), "--scenarios", str(sset), "--mip-gap", "1e-9", "--out", str(out), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["chosen"] == ["rail_hub"] and s["scenario_set"]["name"] == "peaks"
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["candidates.csv", "scenarios.csv", "summary.json"]
    assert main(["invest", str(data), "--budget", str(COST), "--scenarios", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "no")]) == 2
    assert main(["invest", str(data), "--budget", str(COST), "--scenarios", str(sset), "--years", "2027:2028", "--out", str(tmp_path / "no")]) == 2
    assert main(["invest", str(data), "--budget", str(COST), "--scenarios", str(sset), "--budget-step", "5", "--out", str(tmp_path / "no")]) == 2
    assert not (tmp_path / "no").exists()


def test_budget_one_cny_short_builds_nothing(tmp_path):
    """Each candidate costs 10,000: a budget of 9,999 CNY buys none of them, however the
    solver's tolerances treat the million-CNY budget row."""
    data, sset = hand_case(tmp_path)
    inv = robust_invest(str(data), COST - 1, str(sset), mip_gap=1e-9)
    assert inv.summary["chosen"] == [] and inv.summary["budget_check"]["build_cost_cny"] == 0
