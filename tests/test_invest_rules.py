"""Rules the investment commands keep exactly (docs/invest.md, "Rules kept exactly"):
greenfield networks, the budget never exceeded, contradictory rules refused, money and number
options checked, flows that move reported the same way every run.

The oracle never uses supplyopt's model: for each subset of candidates it solves one networkx
min-cost flow per period (no storage in these cases, so periods are independent) with the
subset's links as ordinary arcs from their earliest period on, and adds the annualised build
cost worked out here from the documented formula.
"""

from __future__ import annotations

import itertools
import json
import math
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from conftest import write_dataset

import supplyopt
from supplyopt.cli import main
from supplyopt.io.data import DataError
from supplyopt.workflows import evaluate, invest

PERIODS = ["W1", "W2"]
DAYS = 7.0


# --------------------------------------------------------------------------- the oracle
def subset_cost(tables: dict, subset: tuple[str, ...]) -> float:
    """Least cost with exactly ``subset`` built: per period a min-cost flow (source → mine at
    its cost, links at theirs, demand → sink, unmet straight from the source at its penalty;
    integer data, so network simplex is exact), plus annual cost × open days / 365."""
    cands = pd.DataFrame(tables["candidates"]).astype(object)
    cands = cands.where(cands.notna(), "")
    chosen = cands[cands["id"].isin(subset)]
    total = 0.0
    for t, period in enumerate(PERIODS):
        g = nx.DiGraph()
        arcs = [(lk["from"], lk["to"], lk.get("capacity_t", ""), lk["cost_cny_per_t"]) for lk in tables["links"]]
        for _, c in chosen.iterrows():
            opens = PERIODS.index(c["earliest_period"]) if c.get("earliest_period", "") else 0
            if t < opens:
                continue
            if c["kind"] == "new_link":
                arcs.append((c["from"], c["to"], c["capacity_t"], c["cost_cny_per_t"]))
            else:  # link_capacity: a parallel arc at the link's cost
                base = next(lk for lk in [*tables["links"], *tables["candidates"]] if lk["id"] == c["link"])
                arcs.append((base["from"], base["to"], c["capacity_t"], base["cost_cny_per_t"]))
        need = sum(int(d["demand_t"]) for d in tables["demand"])
        g.add_node("S", demand=-need)
        g.add_node("Z", demand=need)
        for i, (a, b, cap, cost) in enumerate(arcs):  # each arc through its own midpoint: parallel arcs allowed
            mid = ("arc", i)
            g.add_edge(a, mid, weight=int(cost), **({"capacity": int(cap)} if cap != "" else {}))
            g.add_edge(mid, b, weight=0)
        for m in tables["supply"]:
            g.add_edge("S", m["node"], weight=int(m["cost_cny_per_t"]), capacity=int(m["capacity_t"]))
        for d in tables["demand"]:
            g.add_edge(d["node"], "Z", weight=0, capacity=int(d["demand_t"]))
            g.add_edge("S", ("unmet", d["node"]), weight=int(d["penalty_cny_per_t"]), capacity=int(d["demand_t"]))
            g.add_edge(("unmet", d["node"]), "Z", weight=0)
        total += nx.min_cost_flow_cost(g)
    for _, c in chosen.iterrows():
        r, n = float(c["discount_rate"]), float(c["lifetime_years"])
        crf = 1 / n if r == 0 else r / (1 - (1 + r) ** -n)
        opens = PERIODS.index(c["earliest_period"]) if c.get("earliest_period", "") else 0
        total += (float(c["build_cost_cny"]) * crf + float(c.get("fixed_om_cny_per_year") or 0)) * (len(PERIODS) - opens) * DAYS / 365
    return total


def allowed(tables: dict, subset: tuple[str, ...], budget: float) -> bool:
    """Within the budget (exactly: a Python sum), no excluded pair, every requirement built."""
    rows = {c["id"]: c for c in tables["candidates"]}
    if sum(float(rows[c]["build_cost_cny"]) for c in sorted(subset)) > budget:
        return False
    for c in subset:
        if any(x in subset for x in str(rows[c].get("excludes") or "").split(";") if x):
            return False
        if any(x not in subset for x in str(rows[c].get("requires") or "").split(";") if x):
            return False
    return True


def best_subset(tables: dict, budget: float) -> tuple[float, tuple[str, ...]]:
    ids = sorted(c["id"] for c in tables["candidates"])
    subsets = [s for k in range(len(ids) + 1) for s in itertools.combinations(ids, k) if allowed(tables, s, budget)]
    return min((subset_cost(tables, s), s) for s in subsets)


# --------------------------------------------------------------------------- 1. greenfield
def greenfield_tables() -> dict:
    """A mine and its plant by road; a new mine whose only outlet is a proposed siding
    (siding_new, or the cheaper-to-build but dearer-to-run siding_alt: they exclude each other),
    a new plant reached only by a proposed line (line_np), and a platform on siding_new that
    requires it."""
    return {
        "nodes": [{"id": n, "kind": k} for n, k in (("mine", "mine"), ("newmine", "mine"), ("plant", "demand"), ("newplant", "demand"))],
        "supply": [{"node": "mine", "capacity_t": 100, "cost_cny_per_t": 10}, {"node": "newmine", "capacity_t": 100, "cost_cny_per_t": 5}],
        "demand": [{"node": "plant", "demand_t": 90, "penalty_cny_per_t": 500}, {"node": "newplant", "demand_t": 30, "penalty_cny_per_t": 400}],
        "links": [{"id": "road", "from": "mine", "to": "plant", "mode": "truck", "capacity_t": "", "cost_cny_per_t": 50, "distance_km": 100}],
        "candidates": [
            {"id": "siding_new", "kind": "new_link", "from": "newmine", "to": "plant", "mode": "rail", "distance_km": 100, "cost_cny_per_t": 20,
             "capacity_t": 50, "build_cost_cny": 600_000, "lifetime_years": 10, "discount_rate": 0, "excludes": "siding_alt"},
            {"id": "siding_alt", "kind": "new_link", "from": "newmine", "to": "plant", "mode": "rail", "distance_km": 120, "cost_cny_per_t": 30,
             "capacity_t": 60, "build_cost_cny": 350_000, "lifetime_years": 10, "discount_rate": 0},
            {"id": "platform", "kind": "link_capacity", "link": "siding_new", "capacity_t": 30, "build_cost_cny": 150_000,
             "lifetime_years": 10, "discount_rate": 0, "requires": "siding_new"},
            {"id": "line_np", "kind": "new_link", "from": "mine", "to": "newplant", "mode": "rail", "distance_km": 80, "cost_cny_per_t": 15,
             "capacity_t": 40, "build_cost_cny": 400_000, "lifetime_years": 10, "discount_rate": 0, "earliest_period": "W2"},
        ],
    }


def test_greenfield_solve_refuses_and_names_the_candidate(tmp_path):
    """solve builds no candidate: the new plant cannot be reached, and the message names the
    line that would connect it and points to evaluate/invest."""
    data = write_dataset(tmp_path / "gf", PERIODS, greenfield_tables())
    with pytest.raises(DataError) as err:
        supplyopt.load(data)
    msgs = [str(p) for p in err.value.problems if p.severity == "error"]
    assert len(msgs) == 1, msgs
    assert "demand.csv row 2, column node: 'newplant'" in msgs[0] and "line_np" in msgs[0] and "evaluate or invest" in msgs[0]
    assert main(["solve", str(data), "--out", str(tmp_path / "out")]) == 2 and not (tmp_path / "out").exists()


def test_greenfield_counted_for_the_commands_that_build(tmp_path, capsys):
    """load(count_candidates=True): warnings name the nodes and the candidates they depend on."""
    data = write_dataset(tmp_path / "gf", PERIODS, greenfield_tables())
    net = supplyopt.load(data, count_candidates=True)
    warns = {p.value: str(p) for p in net.warnings}
    assert "line_np" in warns["newplant"] and "only through candidate" in warns["newplant"]
    assert "siding_new" in warns["newmine"] and "siding_alt" in warns["newmine"] and "platform" not in warns["newmine"]
    out = tmp_path / "inv"
    assert main(["invest", str(data), "--budget", "1e6", "--mip-gap", "0", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "newplant" in printed.err and "line_np" in printed.err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert any("newplant" in w and "line_np" in w for w in summary["input_warnings"])
    assert main(["evaluate", str(data), "--candidate", "line_np", "--out", str(tmp_path / "ev"), "--quiet"]) == 0
    assert main(["frontier", str(data), "--with-candidates", "--points", "2", "--out", str(tmp_path / "fr"), "--quiet"]) == 0
    assert main(["frontier", str(data), "--points", "2", "--out", str(tmp_path / "fr0"), "--quiet"]) == 2  # builds nothing: refused


@pytest.mark.parametrize("budget", [0, 350_000, 750_000, 1_000_000, 1_150_000, 2_000_000])
def test_greenfield_invest_equals_enumeration(tmp_path, budget):
    tables = greenfield_tables()
    data = write_dataset(tmp_path / "gf", PERIODS, tables)
    cost, subset = best_subset(tables, budget)
    inv = invest.invest(data, budget, mip_gap=0, budget_step=0)
    assert inv.plan.kpis["objective"] == pytest.approx(cost, rel=1e-9, abs=1e-6), (inv.chosen, subset)
    assert allowed(tables, tuple(inv.chosen), budget)


# --------------------------------------------------------------------------- 2. the budget, exactly
def slip_tables(extra_cny: float = 0.9) -> dict:
    """One mine, one plant by road; sidings a and b together cost the budget (5e9) + 0.9 CNY
    and save most: HiGHS's feasibility tolerance (the row is in million CNY) accepted them
    before the exact check. c is the dearer-to-run alternative that fits."""
    budget = 5e9
    rail = {"kind": "new_link", "from": "mine", "to": "plant", "mode": "rail", "distance_km": 100, "capacity_t": 4_500_000, "lifetime_years": 10, "discount_rate": 0}
    return {
        "nodes": [{"id": "mine", "kind": "mine"}, {"id": "plant", "kind": "demand"}],
        "supply": [{"node": "mine", "capacity_t": 10_000_000, "cost_cny_per_t": 10}],
        "demand": [{"node": "plant", "demand_t": 9_000_000, "penalty_cny_per_t": 500}],
        "links": [{"id": "road", "from": "mine", "to": "plant", "mode": "truck", "capacity_t": "", "cost_cny_per_t": 50, "distance_km": 100}],
        "candidates": [
            {"id": "a", **rail, "cost_cny_per_t": 20, "build_cost_cny": budget * 0.55},
            {"id": "b", **rail, "cost_cny_per_t": 21, "build_cost_cny": budget * 0.45 + extra_cny},
            {"id": "c", **rail, "cost_cny_per_t": 35, "build_cost_cny": budget * 0.3},
        ],
    }


def test_budget_never_exceeded_by_the_solver_tolerance(tmp_path):
    """a + b cost 5,000,000,000.9 CNY: over a budget of 5e9 by 0.9 CNY, and they save most.
    The exact check tightens the row and the plan is the best set within the budget (a, c)."""
    tables = slip_tables()
    data = write_dataset(tmp_path / "slip", PERIODS, tables)
    cost, subset = best_subset(tables, 5e9)
    assert subset == ("a", "c")
    out = tmp_path / "inv"
    assert main(["invest", str(data), "--budget", "5e9", "--budget-step", "0", "--mip-gap", "0", "--out", str(out), "--quiet"]) == 0
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["chosen"] == ["a", "c"] and s["budget_check"]["build_cost_cny"] <= 5e9
    assert s["budget_check"]["tightenings"] and s["budget_check"]["tightenings"][0]["over_budget_set"] == ["a", "b"]
    assert s["with"]["objective_cny"] == pytest.approx(cost, rel=1e-12)


def test_budget_within_after_several_tightenings(tmp_path, monkeypatch):
    """A solver that lets the row be broken by 100 CNY (simulated: every budget row bound, the
    first and each tightened one, written 100 CNY looser than asked): the bound is tightened by
    2, 4, 8 … CNY on the kept model until the set fits."""
    from supplyopt.model import candidates

    real = candidates.budget_row_bound
    monkeypatch.setattr(candidates, "budget_row_bound", lambda budget_cny: real(budget_cny + 100))
    tables = slip_tables(extra_cny=60)
    data = write_dataset(tmp_path / "slip", PERIODS, tables)
    inv = invest.invest(data, 5e9, mip_gap=0, budget_step=1e9)
    check = inv.plan.summary["budget_check"]
    assert inv.chosen == ["a", "c"] and check["build_cost_cny"] <= 5e9 and len(check["tightenings"]) >= 2
    assert inv.summary()["budget_check"] == check
    assert inv.marginal["budget_check_at_budget_plus_step"]["build_cost_cny"] <= 6e9
    fr = frontier_with_budget(data, 5e9)
    assert all(set(b.split(";")) != {"a", "b"} for b in fr.table["built"]) and "budget_tightenings" in fr.table


def frontier_with_budget(data, budget):
    from supplyopt.workflows import frontier

    return frontier.frontier(data, points=2, with_candidates=True, budget=budget, mip_gap=0)


def random_tables(seed: int) -> dict:
    """Two mines, two plants, trucks everywhere; five candidates (sidings, a new plant line,
    an upgrade, an exclusion, a requirement) with build costs not round."""
    rng = np.random.default_rng(seed)
    cost = lambda: float(rng.integers(100_000, 900_000)) + float(rng.integers(0, 100)) / 100  # noqa: E731
    rail = {"kind": "new_link", "mode": "rail", "distance_km": 100, "lifetime_years": 20, "discount_rate": 0.08}
    return {
        "nodes": [{"id": n, "kind": k} for n, k in (("m1", "mine"), ("m2", "mine"), ("d1", "demand"), ("d2", "demand"))],
        "supply": [{"node": "m1", "capacity_t": 120, "cost_cny_per_t": 10}, {"node": "m2", "capacity_t": 80, "cost_cny_per_t": int(rng.integers(8, 14))}],
        "demand": [{"node": d, "demand_t": int(rng.integers(40, 90)), "penalty_cny_per_t": 400} for d in ("d1", "d2")],
        "links": [{"id": f"road_{m}_{d}", "from": m, "to": d, "mode": "truck", "capacity_t": "", "cost_cny_per_t": int(rng.integers(60, 90)), "distance_km": 100}
                  for m in ("m1", "m2") for d in ("d1", "d2")]
                 + [{"id": "rail_m1_d1", "from": "m1", "to": "d1", "mode": "rail", "capacity_t": 30, "cost_cny_per_t": 25, "distance_km": 100}],
        "candidates": [
            {"id": "s1", **rail, "from": "m1", "to": "d2", "cost_cny_per_t": int(rng.integers(15, 30)), "capacity_t": int(rng.integers(30, 70)), "build_cost_cny": cost()},
            {"id": "s2", **rail, "from": "m2", "to": "d2", "cost_cny_per_t": int(rng.integers(15, 30)), "capacity_t": int(rng.integers(30, 70)), "build_cost_cny": cost(), "excludes": "s1"},
            {"id": "s3", **rail, "from": "m2", "to": "d1", "cost_cny_per_t": int(rng.integers(15, 30)), "capacity_t": int(rng.integers(30, 70)), "build_cost_cny": cost(), "earliest_period": "W2"},
            {"id": "up1", "kind": "link_capacity", "link": "rail_m1_d1", "capacity_t": int(rng.integers(20, 60)), "build_cost_cny": cost(), "lifetime_years": 20, "discount_rate": 0.08},
            {"id": "up3", "kind": "link_capacity", "link": "s3", "capacity_t": 30, "build_cost_cny": cost(), "lifetime_years": 20, "discount_rate": 0.08, "requires": "s3"},
        ],
    }


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_invest_equals_enumeration_budget_exactly_a_subset_cost(tmp_path, seed):
    """Budgets exactly equal to the build cost of the best set (a Python sum in id order):
    first the best set with no budget, then, each time, the best set costing less than the
    last budget. The MILP finds that set, and never one costing a cent more."""
    tables = random_tables(seed)
    data = write_dataset(tmp_path / "rnd", PERIODS, tables)
    net = supplyopt.load(data, count_candidates=True)
    cost_of = {c["id"]: c["build_cost_cny"] for c in tables["candidates"]}
    budget, seen = float("inf"), []
    for _ in range(3):
        _, best = best_subset(tables, budget)
        if not best:
            break
        budget = sum(cost_of[c] for c in sorted(best))  # the best set costs the budget exactly
        cost, _ = best_subset(tables, budget)
        inv = invest.invest(net, budget, mip_gap=0, budget_step=0)
        assert inv.plan.kpis["objective"] == pytest.approx(cost, rel=1e-9, abs=1e-6), (budget, inv.chosen, best)
        assert allowed(tables, tuple(inv.chosen), budget)
        seen.append(best)
        budget = math.nextafter(budget, 0)  # the next: the best set costing less
    assert len(seen) >= 2, seen


# --------------------------------------------------------------------------- 3. contradictory rules
HAND = Path(__file__).parent / "cases" / "invest"  # siding_a ⟂ siding_b; platform_a requires siding_a; rail_up (rows 1–4: a, b, rail_up, platform)


def hand_with(tmp_path, **cells) -> Path:
    """The hand case of test_invest.py with candidates.csv cells replaced: {(id, column): value}."""
    shutil.copytree(HAND, tmp_path / "d")
    c = pd.read_csv(tmp_path / "d/candidates.csv", dtype=str, keep_default_na=False)
    for key, value in cells.items():
        cid, column = key.split("__")
        c.loc[c["id"] == cid, column] = value
    c.to_csv(tmp_path / "d/candidates.csv", index=False)
    return tmp_path / "d"


def load_errors(data) -> list[str]:
    with pytest.raises(DataError) as err:
        supplyopt.load(data, count_candidates=True)
    return [str(p) for p in err.value.problems if p.severity == "error"]


@pytest.mark.parametrize("cells,row,column,words", [
    ({"platform_a__excludes": "siding_a"}, 4, "excludes", ["platform_a requires siding_a", "platform_a and siding_a exclude each other"]),
    # through the closure: rail_up requires platform_a, which requires siding_a; rail_up excludes siding_a
    ({"rail_up__requires": "platform_a", "rail_up__excludes": "siding_a"}, 3, "excludes", ["rail_up requires platform_a; platform_a requires siding_a", "rail_up and siding_a exclude"]),
    # a requires b and b excludes a
    ({"rail_up__requires": "siding_b", "siding_b__excludes": "siding_a;rail_up"}, 3, "requires", ["rail_up requires siding_b", "rail_up and siding_b exclude"]),
    # the closure brings in two that exclude each other: rail_up requires platform_a (→ siding_a) and siding_b
    ({"rail_up__requires": "platform_a;siding_b"}, 3, "requires", ["platform_a requires siding_a", "siding_a and siding_b exclude"]),
])
def test_contradictory_rules_are_invalid(tmp_path, cells, row, column, words):
    msgs = load_errors(hand_with(tmp_path, **cells))
    hit = [m for m in msgs if f"candidates.csv row {row}, column {column}:" in m and "contradictory rules" in m]
    assert hit and all(w in hit[0] for w in words), msgs


def test_contradictory_cycle_and_unknown_named_at_once(tmp_path, capsys):
    """siding_a and siding_b require each other but exclude each other: neither can be built
    (both rows); platform_a names a ghost. All three at once, exit 2, nothing written — for
    evaluate too, which would otherwise build a forbidden pair."""
    data = hand_with(tmp_path, siding_a__requires="siding_b", siding_b__requires="siding_a", platform_a__requires="siding_a;ghost")
    msgs = load_errors(data)
    assert any("row 1, column" in m and "siding_a could never be built" in m for m in msgs), msgs
    assert any("row 2, column" in m and "siding_b could never be built" in m for m in msgs), msgs
    assert any("row 4, column requires: 'siding_a;ghost'" in m and "unknown candidate 'ghost'" in m for m in msgs), msgs
    for argv in (["evaluate", str(data), "--candidate", "siding_a"], ["invest", str(data), "--budget", "1e6"]):
        out = tmp_path / argv[0]
        assert main([*argv, "--out", str(out)]) == 2 and not out.exists()
        err = capsys.readouterr().err
        assert "siding_a could never be built" in err and "ghost" in err


def test_compatible_requires_cycle_built_together(tmp_path):
    """siding_a requires platform_a and platform_a requires siding_a: a warning; evaluate builds
    both; invest builds both or neither. Hand arithmetic (test_invest.py's case, 2 weeks):
    siding_b alone 2,000 + 2 × (80 × 22 + 20 × 25) + 400,000 × 0.1 × 14/365 = 8,054.2;
    siding_a + platform_a 2,000 + 2 × (90 × 20 + 10 × 25) + 600,000 × 0.1 × 14/365 = 8,401.4;
    so siding_b at 600,000, and at 500,000 siding_b too (siding_a alone is not allowed)."""
    data = hand_with(tmp_path, siding_a__requires="platform_a")
    net = supplyopt.load(data, count_candidates=True)
    assert any("platform_a, siding_a require one another" in str(w) and w.severity == "warning" for w in net.warnings)
    assert evaluate.evaluate(net, "siding_a").built == ["platform_a", "siding_a"]
    for budget in (500_000, 600_000):
        inv = invest.invest(net, budget, mip_gap=0, budget_step=0)
        assert ("siding_a" in inv.chosen) == ("platform_a" in inv.chosen)
        assert inv.chosen == ["siding_b"]
        assert inv.plan.kpis["objective"] == pytest.approx(2_000 + 2 * (80 * 22 + 20 * 25) + 400_000 * 0.1 * 14 / 365)


def test_negative_build_cost_is_invalid(tmp_path):
    """The exact budget check relies on build costs ≥ 0 (already refused when read)."""
    msgs = load_errors(hand_with(tmp_path, rail_up__build_cost_cny="-300000"))
    assert any("row 3, column build_cost_cny: '-300000'" in m and "negative" in m for m in msgs), msgs


# --------------------------------------------------------------------------- 4. money and number options
@pytest.mark.parametrize("argv,option,value,expected", [
    (["invest", "--budget", "-1e6"], "--budget", "-1e6", "CNY of 0 or more"),  # argparse once read -1e6 as an option
    (["invest", "--budget", "nan"], "--budget", "nan", "CNY of 0 or more"),
    (["invest", "--budget", "inf"], "--budget", "inf", "CNY of 0 or more"),
    (["invest", "--budget", "1,000,000"], "--budget", "1,000,000", "CNY of 0 or more"),
    (["invest", "--budget", "1e6", "--budget-step", "-inf"], "--budget-step", "-inf", "CNY of 0 or more"),
    (["invest", "--budget", "1e6", "--max-mine-truck-share", "1.5"], "--max-mine-truck-share", "1.5", "a share from 0 to 1"),
    (["invest", "--budget", "1e6", "--max-mine-truck-share", "-0.1"], "--max-mine-truck-share", "-0.1", "a share from 0 to 1"),
    (["invest", "--budget", "1e6", "--mip-gap", "-1e-4"], "--mip-gap", "-1e-4", "a relative gap from 0 to 1"),
    (["invest", "--budget", "1e6", "--time-limit", "-5"], "--time-limit", "-5", "seconds, 0 or more"),  # 0: the solver stops at once (exit 4), as in solve
    (["evaluate", "--candidate", "siding_a", "--time-limit", "nan"], "--time-limit", "nan", "seconds, 0 or more"),
    (["evaluate", "--candidate", "siding_a", "--mip-gap", "abc"], "--mip-gap", "abc", "a relative gap"),
    (["bottlenecks", "--top", "-1"], "--top", "-1", "a whole number of rows, 0 or more"),
    (["bottlenecks", "--top", "2.5"], "--top", "2.5", "a whole number of rows"),
    (["bottlenecks", "--max-mine-truck-share", "inf"], "--max-mine-truck-share", "inf", "a share from 0 to 1"),
    (["frontier", "--points", "1"], "--points", "1", "a whole number of points, 2 or more"),
    (["frontier", "--points", "-1e3"], "--points", "-1e3", "a whole number of points"),
    (["frontier", "--with-candidates", "--budget", "-5e8"], "--budget", "-5e8", "CNY of 0 or more"),
])
def test_number_options_refused_with_what_is_expected(tmp_path, capsys, argv, option, value, expected):
    out = tmp_path / "out"
    assert main([argv[0], str(HAND), *argv[1:], "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{option}: '{value}' — expected" in err and expected in err, err
    assert "Traceback" not in err and not out.exists()


def test_number_options_all_named_at_once(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["invest", str(HAND), "--budget", "-1", "--budget-step", "x", "--max-mine-truck-share", "nan", "--mip-gap", "2", "--time-limit", "-inf", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert all(o in err for o in ("--budget:", "--budget-step:", "--max-mine-truck-share:", "--mip-gap:", "--time-limit:")), err
    assert not out.exists()


# --------------------------------------------------------------------------- 5. flows that move
def test_flows_moved_tolerance_ties_and_no_minus_zero():
    """Changes at or below max(0.5 t, 1e-6 × total flow) are noise and not listed; equal
    changes in link id order; -0 and tiny negatives written as 0."""
    from types import SimpleNamespace

    def plan(flows):
        rows = [{"link": k, "from": "a", "to": "b", "mode": "rail", "period": 0, "flow_t": v} for k, v in flows.items()]
        return SimpleNamespace(flows=pd.DataFrame(rows))

    without = plan({"z_big": 2_000_000.0, "b_tie": 10.0, "a_tie": 30.0, "noise": 5.0, "zero": -0.0})
    with_ = plan({"z_big": 2_000_000.4, "b_tie": 30.0, "a_tie": 10.0, "noise": 5.0 + 1.5, "zero": -1e-12, "new": 20.0})
    moved = evaluate.flows_moved(without, with_)
    assert evaluate.flow_tolerance_t(without, with_) == pytest.approx(2.0000669)  # 1e-6 × 2,000,066.9 t (the larger plan)
    assert list(moved["link"]) == ["a_tie", "b_tie", "new"]  # |change| 20 each: by link id; noise (1.5 t) and z_big (0.4 t) not listed
    assert "-0" not in moved.to_csv(index=False)
    zero = evaluate.flows_moved(plan({"x": -0.0}), plan({"x": -1e-12, "y": 3.0}))
    assert not (np.signbit(zero[["without_t", "with_t"]].to_numpy()).any())


def equal_routes_tables() -> dict:
    """Two roads of equal cost from the mine to the plant (the split between them is
    arbitrary) and a siding that takes part of the traffic."""
    road = {"from": "mine", "to": "plant", "mode": "truck", "capacity_t": 70, "cost_cny_per_t": 50, "distance_km": 100}
    return {
        "nodes": [{"id": "mine", "kind": "mine"}, {"id": "plant", "kind": "demand"}],
        "supply": [{"node": "mine", "capacity_t": 200, "cost_cny_per_t": 10}],
        "demand": [{"node": "plant", "demand_t": 100, "penalty_cny_per_t": 500}],
        "links": [{"id": "road_east", **road}, {"id": "road_west", **road}],
        "candidates": [{"id": "siding", "kind": "new_link", "from": "mine", "to": "plant", "mode": "rail", "distance_km": 100, "cost_cny_per_t": 20,
                        "capacity_t": 60, "build_cost_cny": 300_000, "lifetime_years": 10, "discount_rate": 0}],
    }


def test_evaluate_twice_byte_identical(tmp_path, capsys):
    data = write_dataset(tmp_path / "eq", PERIODS, equal_routes_tables())
    texts = []
    for run in ("one", "two"):
        assert main(["evaluate", str(data), "--candidate", "siding", "--out", str(tmp_path / run)]) == 0
        texts.append(capsys.readouterr().out.replace(str(tmp_path / run), "OUT"))
    for name in ("comparison.csv", "flows_moved.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    assert texts[0] == texts[1]
    assert "changes above 0.5 t" in texts[0] and "siding" in texts[0]
    assert not any(w in texts[0] for w in (" -0 ", "(-0)", "-0%", "-0.0 "))
    summary = json.loads((tmp_path / "one" / "summary.json").read_text(encoding="utf-8"))
    assert summary["flows_moved_tolerance_t"] == 0.5
    moved = pd.read_csv(tmp_path / "one" / "flows_moved.csv")
    assert (moved["change_t"].abs() > 0.5).all() and moved.loc[moved["link"] == "siding", "change_t"].iloc[0] == pytest.approx(120)


def test_nothing_built_compares_equal():
    """When the budget buys nothing, the comparison is the nothing-built plan against itself:
    every change 0 (not a second optimal routing of equal cost)."""
    import supplyopt
    from conftest import CASES

    from supplyopt.workflows import invest

    inv = invest.invest(supplyopt.load(CASES / "invest", count_candidates=True), 0, mip_gap=1e-9, budget_step=0)
    assert inv.chosen == [] and (inv.table["change"] == 0).all()
