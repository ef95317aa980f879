"""N-1 screen on a hand-made network where every outage's effect is worked out by hand."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO

from supplyopt.workflows.screen import elements, screen


def _network(tmp_dataset):
    # M1 (100 t/wk, 10 CNY/t) → port H (link a) → demand D (link b 100 t at 1, b2 30 t at 5);
    # M1 → D direct (a2, 10 t at 50); M2 (20 CNY/t) → D (c, 40 t at 1); M4 (30 CNY/t) must
    # produce 5 t/wk and has one way out (d). D wants 100 t/wk; two weeks; no storage.
    return tmp_dataset(["w1", "w2"], {
        "nodes": [{"id": n, "kind": k} for n, k in (("M1", "mine"), ("M2", "mine"), ("M4", "mine"), ("H", "port"), ("D", "demand"))],
        "links": [
            {"id": i, "from": f, "to": t, "mode": "rail", "distance_km": 10, "capacity_t": cap, "cost_cny_per_t": c}
            for i, f, t, cap, c in (("a", "M1", "H", 100, 1), ("b", "H", "D", 100, 1), ("b2", "H", "D", 30, 5), ("a2", "M1", "D", 10, 50), ("c", "M2", "D", 40, 1), ("d", "M4", "D", 10, 1))
        ],
        "supply": [
            {"node": "M1", "product": "coal", "capacity_t": 100, "cost_cny_per_t": 10, "min_t": 0},
            {"node": "M2", "product": "coal", "capacity_t": 100, "cost_cny_per_t": 20, "min_t": 0},
            {"node": "M4", "product": "coal", "capacity_t": 5, "cost_cny_per_t": 30, "min_t": 5},
        ],
        "demand": [{"node": "D", "product": "coal", "demand_t": 100}],
    })


# Per week, base: M4 5 t via d (31 CNY/t) + M1 95 t via a, b (12) = 1295; two weeks 2590.
# link a out (port H out is the same): a2 10 × 60 + c 40 × 21 + M4 155 + 45 t unmet × 10000
#   = 451,595 a week → 903,190 − 2590 = 900,600; unmet 90 t
# mine M1 out: c 840 + M4 155 + 55 × 10000 = 550,995 a week → Δ 1,099,400; unmet 110 t
# link b out: b2 30 × 16 + a2 600 + c 840 + M4 155 + 15 × 10000 = 152,075 → Δ 301,560; 30 t
# link d out: M4's 5 t minimum has nowhere to go → no plan (ranks first)
# mine M4 out: M1 delivers all 100 t at 12 → 1200 a week: Δ −190
EXPECTED = [
    ("links", "d", None, None),
    ("mines", "M1", 110, 1_099_400),
    ("links", "a", 90, 900_600),
    ("ports", "H", 90, 900_600),
    ("links", "b", 30, 301_560),
]


def test_ranking_matches_hand_solution(tmp_dataset):
    path = _network(tmp_dataset)
    result = screen(path, kinds=["links", "ports", "mines"])
    t = result.table
    assert len(t) == 6 + 1 + 3
    for row, (kind, element, unmet, cost) in zip(t.itertuples(), EXPECTED):
        assert (row.kind, row.element) == (kind, element)
        if unmet is None:
            assert row.status == "infeasible" and "M4" in row.explanation
        else:
            assert row.delta_unmet_t == pytest.approx(unmet) and row.delta_cost_cny == pytest.approx(cost)
            assert row.demand_centres_hurt.startswith(f"D:{unmet}t[w1…w2]")
    last = t.iloc[-1]
    assert (last.element, last.delta_cost_cny, last.delta_unmet_t) == ("M4", pytest.approx(-190), pytest.approx(0))
    assert set(t.loc[t["delta_unmet_t"] == 0, "element"]) == {"a2", "b2", "c", "M2", "M4"}
    assert result.summary["no_plan"] == 1 and result.summary["with_extra_unmet"] == 4
    # the capacity worth most when link b is out: b2 (H → D) saves 10000 − 16 per tonne
    b = t.set_index("element").loc["b"]
    assert b.bottlenecks.startswith("b2 9,984 CNY/t (2 wk)")


def test_window_and_workers_give_the_same_answer(tmp_dataset):
    path = _network(tmp_dataset)
    one = screen(path, kinds=["links"], window="w2:w2")
    two = screen(path, kinds=["links"], window="w2:w2", workers=2)
    assert one.table.drop(columns=[]).equals(two.table)
    a = one.table.set_index("element").loc["a"]
    assert a.delta_unmet_t == pytest.approx(45) and a.demand_centres_hurt == "D:45t[w2]"
    assert list(one.hurt.loc[one.hurt["element"] == "a", "period"]) == ["w2"]


def test_cli_screen_and_bad_window(tmp_dataset, tmp_path):
    path = _network(tmp_dataset)
    run = subprocess.run([sys.executable, "-m", "supplyopt", "screen", str(path), "--elements", "mines", "--out", str(tmp_path / "s"), "--json"],
                         capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["top"][0]["element"] == "M1"
    assert {p.name for p in (tmp_path / "s").iterdir()} == {".supplyopt-results", "screen.csv", "hurt.csv", "summary.json"}
    bad = subprocess.run([sys.executable, "-m", "supplyopt", "screen", str(path), "--window", "w1:w9", "--out", str(tmp_path / "bad")], capture_output=True, text=True, cwd=REPO)
    assert bad.returncode == 2 and "w9" in bad.stderr and "Traceback" not in bad.stderr and not (tmp_path / "bad").exists()
    assert elements(__import__("supplyopt").load(path), ["ports"]) == [("ports", "H")]


def test_link_outages_by_flow_bounds_give_the_scenario_answers(monkeypatch):
    # The warm path holds every flow on the closed links at 0 on the kept model; the
    # reference is the outage scenario applied and solved through the Study. Costs and unmet
    # tonnes are the same; CO2 and which centre goes short may differ between equally cheap
    # plans (CO2 is not in the default objective).
    import numpy as np

    import supplyopt
    from supplyopt import api
    from supplyopt.workflows import screen as screen_module

    net = supplyopt.load(REPO / "data/shanxi")
    todo = [e for e in elements(net, ["links", "corridors", "ports", "storage"])][::15]
    window = ["2027-W01", "2027-W02"]

    def cases(study):
        base = study.solve()
        return [screen_module.run_case(study, base, k, e, window if i % 3 == 0 else None) for i, (k, e) in enumerate(todo)]

    fast = cases(api.Study(net, model=REPO / "models/default.yaml"))
    monkeypatch.setattr(screen_module, "_by_flow_bounds", lambda *a: False)
    slow = cases(api.Study(net, model=REPO / "models/default.yaml"))
    assert len(todo) > 12
    for a, b in zip(fast, slow):
        assert (a["kind"], a["element"], a["status"]) == (b["kind"], b["element"], b["status"])
        if a["status"] == "optimal":
            assert np.isclose(a["objective_cny"], b["objective_cny"], rtol=1e-9), a["element"]
            assert np.isclose(a["delta_unmet_t"], b["delta_unmet_t"], atol=1e-3), a["element"]


def test_element_kinds_comma_or_space_separated(tmp_dataset, tmp_path, capsys):
    """Was: ``--elements mines ports`` ended in 'unrecognized arguments: ports'."""
    from supplyopt.cli import main

    path = _network(tmp_dataset)
    got = {}
    for name, kinds in (("spaces", ["mines", "ports"]), ("commas", ["mines,ports"]), ("both", ["mines,", "ports"])):
        assert main(["screen", str(path), "--elements", *kinds, "--out", str(tmp_path / name), "--quiet"]) == 0
        got[name] = json.loads((tmp_path / name / "summary.json").read_text())["by_kind"]
    assert got["spaces"] == got["commas"] == got["both"] == {"mines": 3, "ports": 1}, got
    assert main(["screen", str(path), "--elements", "mines", "prots", "--out", str(tmp_path / "bad")]) == 2
    assert "prots" in capsys.readouterr().err and not (tmp_path / "bad").exists()


def test_a_case_is_the_same_whatever_ran_before_it():
    """Every warm case starts from the base plan's basis (``Study.start_from_base``): its plan,
    figures and even its pivots do not depend on which cases ran before it in the same process,
    so a screen with one worker and with several (other chunks before it) agree. Was: each case
    started from the previous case's basis — at Shanxi 44k simplex iterations for 53 link cases
    against 16k from the base basis, and a plan among equally cheap ones that depended on order."""
    import supplyopt
    from supplyopt import api
    from supplyopt.workflows import screen as screen_module

    net = supplyopt.load(REPO / "data/shanxi")
    study = api.Study(net, model=REPO / "models/default.yaml", race=False)
    base = study.solve()
    pivots: list[int] = []
    solve = study.engine.solve

    def counted():
        sol = solve()
        pivots.append(sol.iterations)
        return sol

    study.engine.solve = counted
    first, other, last = "rail_daqin_main", "rail_shuohuang_main", "load_huanghua"
    runs = []
    for before in (first, other):
        screen_module.run_case(study, base, "links", before)
        runs.append((screen_module.run_case(study, base, "links", last), pivots[-1]))
    (a, pa), (b, pb) = runs
    assert pa == pb and pa > 0
    drop = {"seconds"}
    assert {k: v for k, v in a.items() if k not in drop} == {k: v for k, v in b.items() if k not in drop}
