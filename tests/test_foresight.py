"""What the plan knows and when (foresight), the end-of-horizon rule, priority-first screening
and cover that turns red — on cases small enough to solve by hand (arithmetic in comments)."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
import yaml

import supplyopt
from supplyopt.workflows.compare import compare
from supplyopt.workflows.screen import screen

WEEKS = ["w1", "w2", "w3", "w4"]


def one_mine_one_store(tmp_dataset, initial_t=0, mine_t=20, name="case"):
    """Mine M (mine_t t/week at 10 CNY/t) → plant D (link 15 t/week, 1 CNY/t); D burns 10 t a
    week (power) and has a yard of 100 t (holding 1 CNY/t per week, initial_t at the start)."""
    return tmp_dataset(WEEKS, {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "D", "kind": "demand"}],
        "links": [{"id": "l", "from": "M", "to": "D", "mode": "rail", "distance_km": 1, "capacity_t": 15, "cost_cny_per_t": 1}],
        "supply": [{"node": "M", "product": "coal", "capacity_t": mine_t, "cost_cny_per_t": 10}],
        "demand": [{"node": "D", "product": "coal", "demand_t": 10, "demand_class": "power"}],
        "storage": [{"node": "D", "product": "coal", "capacity_t": 100, "initial_t": initial_t, "safety_t": 0, "holding_cny_per_t": 1}],
    }, name=name)


STOP = {"name": "mine_stop", "edits": [{"what": "mine_capacity", "where": {"node": "M"}, "periods": ["w3"], "set": 0}]}


def unmet_by_week(plan) -> dict:
    return plan.unmet.groupby("period")["unmet_t"].sum().round(6).to_dict()


@pytest.mark.parametrize("engine", ["highs", "pyomo"])
def test_surprise_perfect_and_a_week_of_warning_by_hand(tmp_dataset, engine):
    path = one_mine_one_store(tmp_dataset)
    # perfect: the plan knows of the w3 stop from w1 and ships 15 t (the link's capacity) in w1
    # and w2, 5 t a week into the yard: 10 t in stock for w3, nothing short.
    # cost 40 t × (10 + 1) + holding 5 + 10 = 455 CNY
    perfect = supplyopt.solve(path, model=supplyopt.options(foresight="perfect", engine=engine), scenario=STOP)
    assert perfect.summary["unmet_t"] == pytest.approx(0, abs=1e-6)
    assert perfect.summary["objective"] == pytest.approx(455)
    # surprise (the default): w1 and w2 are the base plan's (10 t a week, nothing stocked), the
    # stop comes unannounced and w3's 10 t go short: 30 t × 11 + 10 × 10,000 = 100,330 CNY
    surprise = supplyopt.solve(path, model=supplyopt.options(engine=engine), scenario=STOP)
    assert unmet_by_week(surprise) == {"w1": 0, "w2": 0, "w3": 10, "w4": 0}
    assert surprise.summary["objective"] == pytest.approx(100_330)
    shipped = surprise.flows.set_index("period")["flow_t"]
    assert shipped["w1"] == pytest.approx(10) and shipped["w2"] == pytest.approx(10)
    f = surprise.summary["foresight"]
    assert f["mode"] == "surprise" and f["edits"][0]["known_from"] == "w3" and f["replans"][0]["from"] == "w3"
    # known a week earlier (w2): w1 is the base plan's, w2 ships 15 (5 t stocked), w3 takes
    # those 5 t from the yard and 5 t go short: 35 × 11 + holding 5 + 5 × 10,000 = 50,390 CNY
    early = {"name": "mine_stop", "edits": [{**STOP["edits"][0], "known_from": "w2"}]}
    warned = supplyopt.solve(path, model=supplyopt.options(engine=engine), scenario=early)
    assert unmet_by_week(warned) == {"w1": 0, "w2": 0, "w3": 5, "w4": 0}
    assert warned.summary["objective"] == pytest.approx(50_390)
    # no scenario: both modes give the same (base) plan, 40 t × 11 = 440 CNY
    for mode in ("surprise", "perfect"):
        assert supplyopt.solve(path, model=supplyopt.options(foresight=mode, engine=engine)).summary["objective"] == pytest.approx(440)


def test_a_chain_of_replans_keeps_each_earlier_decision(tmp_dataset):
    path = one_mine_one_store(tmp_dataset)
    # the mine stops in w3 (known w3) and again in w4 (known w4): two re-plans. At w3 the plan
    # expects w4 to run and ships nothing extra; at w4 nothing can arrive: 10 + 10 t short
    both = {"name": "two_stops", "edits": [STOP["edits"][0], {"what": "mine_capacity", "where": {"node": "M"}, "periods": ["w4"], "set": 0}]}
    plan = supplyopt.solve(path, scenario=both)
    assert [r["from"] for r in plan.summary["foresight"]["replans"]] == ["w3", "w4"]
    assert unmet_by_week(plan) == {"w1": 0, "w2": 0, "w3": 10, "w4": 10}
    # both known in w2: 5 t stocked in w2 cover half of w3; w4 is short in full
    known = {"name": "two_stops", "edits": [{**e, "known_from": "w2"} for e in both["edits"]]}
    assert unmet_by_week(supplyopt.solve(path, scenario=known)) == {"w1": 0, "w2": 0, "w3": 5, "w4": 10}


def test_a_surprise_cannot_be_met_by_leaving_earlier_weeks_short(tmp_dataset):
    path = one_mine_one_store(tmp_dataset)
    # the stop also makes w3's shortage dearer (20,000 CNY/t): a plan free to change w1–w2
    # would burn less then (10,000 CNY/t) to keep coal for w3. Deliveries and consumption
    # before w3 are the base plan's: w1 and w2 are met in full, w3 is 10 t short.
    dear = {"name": "dear_stop", "edits": [STOP["edits"][0], {"what": "demand_penalty", "where": {"node": "D"}, "periods": ["w3"], "set": 20_000}]}
    plan = supplyopt.solve(path, scenario=dear)
    assert unmet_by_week(plan) == {"w1": 0, "w2": 0, "w3": 10, "w4": 0}
    assert plan.summary["objective"] == pytest.approx(30 * 11 + 10 * 20_000)


def test_known_from_after_the_event_or_unknown_is_refused(tmp_dataset):
    path = one_mine_one_store(tmp_dataset)
    late = {"name": "x", "edits": [{**STOP["edits"][0], "known_from": "w4"}, {**STOP["edits"][0], "known_from": "w9"}]}
    with pytest.raises(supplyopt.DataError) as err:
        supplyopt.solve(path, scenario=late)
    messages = [p.message for p in err.value.problems]
    assert len(messages) == 2, messages  # both problems at once
    assert "after the edit's first period w3" in messages[0] and "unknown period" in messages[1]


def test_the_end_rule_alone_makes_a_deficit_not_unmet_demand(tmp_dataset):
    # the mine makes 8 t a week against 10 t of demand; D starts with 10 t and the end rule
    # (initial) wants 10 t back at the end. Supply 32 t + stock 10 t ≥ demand 40 t.
    path = one_mine_one_store(tmp_dataset, initial_t=10, mine_t=8)
    # hard: the 10 t must stay, so 8 t of demand go short — the rule's doing, not an event's,
    # and the run says so
    hard = supplyopt.solve(path, model=supplyopt.options(end_stock_penalty_cny_per_t="hard"))
    assert hard.summary["unmet_t"] == pytest.approx(8) and hard.summary["end_deficit_t"] == pytest.approx(0)
    assert any("hard end-of-horizon rule" in w for w in hard.warnings)
    # soft (default, 1,000 CNY/t): demand is served in full and the yard ends 8 t low — the
    # end-stock deficit, its own figure: 8 t, 8,000 CNY, at D
    soft = supplyopt.solve(path)
    assert soft.summary["unmet_t"] == pytest.approx(0, abs=1e-6)
    e = soft.summary["end_of_horizon"]
    assert (e["deficit_t"], e["deficit_cost_cny"], e["nodes_below_target"], e["enforcement"]) == (pytest.approx(8), pytest.approx(8_000), ["D"], "soft")
    row = soft.end_stock.iloc[0]
    assert (row["node"], row["period"], row["target_t"], row["end_stock_t"], row["deficit_t"]) == ("D", "w4", 10, pytest.approx(2), pytest.approx(8))
    # free: no target at all
    assert supplyopt.solve(path, model=supplyopt.options(end_stock="free")).summary["end_of_horizon"]["target_t"] == 0


def test_a_centre_short_in_a_week_is_red_that_week(tmp_dataset):
    path = one_mine_one_store(tmp_dataset)
    plan = supplyopt.solve(path, scenario=STOP)  # surprise: 10 t short in w3
    st = plan.stocks.set_index("period")
    # cover = (stock 0 − 10 t short) ÷ (next week's demand 10 t ÷ 7 days) = −7 days
    assert st.loc["w3", "days_of_cover"] == pytest.approx(-7)
    assert st.loc["w3", "cover_status"] == "red" and st.loc["w3", "went_short_t"] == pytest.approx(10)
    w = plan.early_warnings
    short = w[w["kind"] == "unmet"]
    assert list(zip(short["severity"], short["period"], short["value"])) == [("red", "w3", pytest.approx(10))]
    # the yard is empty at every week's end (just in time): 0 days, below power's 7-day red line
    base = supplyopt.solve(path)
    assert (base.stocks["cover_status"] == "red").all() and (base.early_warnings["kind"] != "unmet").all()


def test_shanxi_red_count_moves_with_a_shortfall():
    """The 2008 snow storm (scenarios/history) leaves a receiving centre short: every centre-week
    that goes short is a red warning in warnings.csv, and the red count is above the base's."""
    from conftest import REPO

    net = supplyopt.load(REPO / "data/shanxi")
    base = supplyopt.solve(net, model=REPO / "models/default.yaml")
    short = supplyopt.solve(net, model=REPO / "models/default.yaml", scenario=REPO / "scenarios/history/snowstorm_2008.yaml")
    assert short.summary["unmet_t"] > 1e5
    went_short = short.unmet.loc[short.unmet["unmet_t"] > 0.5, ["node", "period"]]
    red = short.early_warnings[short.early_warnings["severity"] == "red"]
    flagged = set(zip(red["node"], red["period"]))
    assert set(zip(went_short["node"], went_short["period"])) <= flagged
    assert len(red) > (base.early_warnings["severity"] == "red").sum()


def three_nodes(tmp_dataset):
    """Mine M (100 t) → heating H (10 t, residential_heating) on lh, → export E (50 t, 1,200
    CNY/t penalty) on le; one week."""
    return tmp_dataset(["w1"], {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "H", "kind": "demand"}, {"id": "E", "kind": "port"}],
        "links": [{"id": "lh", "from": "M", "to": "H", "mode": "rail", "distance_km": 1, "capacity_t": 100, "cost_cny_per_t": 1},
                  {"id": "le", "from": "M", "to": "E", "mode": "rail", "distance_km": 1, "capacity_t": 100, "cost_cny_per_t": 1}],
        "supply": [{"node": "M", "product": "coal", "capacity_t": 100, "cost_cny_per_t": 10}],
        "demand": [{"node": "H", "product": "coal", "demand_t": 10, "demand_class": "residential_heating"},
                   {"node": "E", "product": "coal", "demand_t": 50, "demand_class": "export", "penalty_cny_per_t": 1200}],
    })


def test_screen_ranks_the_heating_outage_first_under_priority(tmp_dataset):
    path = three_nodes(tmp_dataset)
    # losing lh leaves 10 t of heating short; losing le leaves 50 t of export short
    by_tonnes = screen(path, kinds=["links"]).table
    assert list(by_tonnes["element"]) == ["le", "lh"]
    first = screen(path, model=supplyopt.options(demand_priority="default"), kinds=["links"]).table
    assert list(first["element"]) == ["lh", "le"]
    lh, le = first.set_index("element").loc["lh"], first.set_index("element").loc["le"]
    assert lh["delta_unmet_residential_heating_t"] == pytest.approx(10) and lh["delta_unmet_export_t"] == pytest.approx(0)
    assert le["delta_unmet_export_t"] == pytest.approx(50)
    assert lh["effect"] == "leaves residential_heating short" and le["effect"] == "leaves export short"


def test_screen_says_when_an_outage_only_costs(tmp_dataset):
    path = tmp_dataset(["w1"], {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "D", "kind": "demand"}],
        "links": [{"id": "a", "from": "M", "to": "D", "mode": "rail", "distance_km": 1, "capacity_t": 100, "cost_cny_per_t": 1},
                  {"id": "b", "from": "M", "to": "D", "mode": "truck", "distance_km": 1, "capacity_t": 100, "cost_cny_per_t": 5}],
        "supply": [{"node": "M", "product": "coal", "capacity_t": 100, "cost_cny_per_t": 10}],
        "demand": [{"node": "D", "product": "coal", "demand_t": 10}],
    })
    t = screen(path, kinds=["links"]).table.set_index("element")
    # without a: the truck link carries it at 4 CNY/t more, nobody short; without b: nothing changes
    assert (t.loc["a", "effect"], t.loc["a", "delta_cost_cny"]) == ("cost only", pytest.approx(40))
    assert t.loc["b", "effect"] == "none"


def test_screen_windows_are_surprises_on_both_paths(tmp_dataset, monkeypatch):
    from supplyopt.workflows import screen as screen_module

    path = one_mine_one_store(tmp_dataset)
    for flow_bounds in (True, False):
        if not flow_bounds:
            monkeypatch.setattr(screen_module, "_by_flow_bounds", lambda *a: False)
        # link l out in w3 only: unannounced, w3 is 10 t short; with perfect foresight the plan
        # ships 5 t extra in w1 and w2 and nobody is short
        surprise = screen(path, kinds=["links"], window="w3:w3").table.iloc[0]
        perfect = screen(path, model=supplyopt.options(foresight="perfect"), kinds=["links"], window="w3:w3").table.iloc[0]
        assert surprise["delta_unmet_t"] == pytest.approx(10), flow_bounds
        assert perfect["delta_unmet_t"] == pytest.approx(0, abs=1e-6), flow_bounds


def test_compare_warning_weeks_by_hand(tmp_dataset):
    path = one_mine_one_store(tmp_dataset)
    cmp = compare(path, [STOP], warning_weeks=[0, 1])
    w = cmp.warning_value.set_index("foresight")
    # no warning 10 t short, one week 5 t, perfect none; value = cost saved against no warning
    assert w.loc["surprise (no warning)", "unmet_t"] == pytest.approx(10)
    assert w.loc["1 week(s) of warning", "unmet_t"] == pytest.approx(5)
    assert w.loc["perfect foresight", "unmet_t"] == pytest.approx(0, abs=1e-6)
    assert w.loc["1 week(s) of warning", "value_cny"] == pytest.approx(100_330 - 50_390)
    assert w.loc["perfect foresight", "value_cny"] == pytest.approx(100_330 - 455)
    assert cmp.summary["foresight"] == "surprise" and "soft" in cmp.summary["end_of_horizon"]


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "supplyopt", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_cli_foresight_known_from_and_warning_weeks(tmp_dataset, tmp_path):
    path = one_mine_one_store(tmp_dataset)
    stop = tmp_path / "stop.yaml"
    stop.write_text(yaml.safe_dump(STOP))
    early = tmp_path / "early.yaml"
    early.write_text(yaml.safe_dump({"name": "early", "edits": [{**STOP["edits"][0], "known_from": "w2"}]}))
    expected = {"surprise": (stop, 10), "perfect": (stop, 0)}
    for mode, (scenario, short) in expected.items():
        r = run_cli("solve", path, "--scenario", scenario, "--foresight", mode, "--out", tmp_path / mode, "--json")
        assert r.returncode == 0, r.stderr
        s = json.loads(r.stdout)
        assert s["foresight"]["mode"] == mode and s["unmet_t"] == pytest.approx(short, abs=1e-6)
    r = run_cli("solve", path, "--scenario", early, "--out", tmp_path / "early")
    assert r.returncode == 0 and "Foresight: surprise" in r.stdout and "End of horizon" in r.stdout
    assert json.loads((tmp_path / "early/summary.json").read_text())["unmet_t"] == pytest.approx(5)
    r = run_cli("compare", path, "--scenario", stop, "--warning-weeks", "0,1", "--out", tmp_path / "cmp")
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(tmp_path / "cmp/warning_value.csv")
    assert list(table["unmet_t"].round(6)) == [10, 5, 0]
    # a typical slip: a week that is not a number
    r = run_cli("compare", path, "--scenario", stop, "--warning-weeks", "1,two", "--out", tmp_path / "bad")
    assert r.returncode == 2 and "whole numbers of weeks" in r.stderr and not (tmp_path / "bad").exists()
    r = run_cli("solve", path, "--end-stock-penalty", "soft", "--out", tmp_path / "bad2")
    assert r.returncode == 2 and "or hard" in r.stderr


def test_priority_on_the_pyomo_engine_matches_highs():
    """A priority profile on the Pyomo engine (its stages run on the compiled arrays) gives
    the HiGHS engine's plan: same objective, same unmet by class (was a TypeError)."""
    from conftest import REPO

    net = supplyopt.load(REPO / "data/shanxi")
    sc = REPO / "scenarios/history/snowstorm_2008.yaml"
    hard = {"foresight": "perfect", "end_stock_penalty_cny_per_t": "hard"}
    plans = {e: supplyopt.solve(net, model=supplyopt.options(REPO / "models/priority.yaml", engine=e, **hard), scenario=sc) for e in ("highs", "pyomo")}
    assert plans["pyomo"].summary["model"]["engine"] == "pyomo"
    assert plans["pyomo"].summary["objective"] == pytest.approx(plans["highs"].summary["objective"], rel=1e-9)
    assert plans["pyomo"].summary["unmet_by_class_t"] == pytest.approx(plans["highs"].summary["unmet_by_class_t"])
    assert sum(plans["highs"].summary["unmet_by_class_t"].values()) > 1e5


def test_a_surprise_chain_costs_the_same_alone_after_other_cases_and_in_compare():
    """The 2008 storm (an edit known from the first week, others later) gave 190.578 bn CNY in
    a one-off solve, 190.326 in a kept Study and 190.393 in compare's warning table: the chain's
    early re-plans have equally cheap alternatives, and which one HiGHS picked depended on its
    kept state. Every stage now starts from the base plan's basis alone."""
    from conftest import REPO

    from supplyopt.model import foresight as fs

    net = supplyopt.load(REPO / "data/shanxi")
    sc = supplyopt.scenario(REPO / "scenarios/history/snowstorm_2008.yaml")
    alone = supplyopt.solve(net, model=REPO / "models/default.yaml", scenario=sc).summary["objective"]
    study = supplyopt.Study(net, model=REPO / "models/default.yaml")
    study.solve()
    study.apply(REPO / "scenarios/daqin_winter_disruption.yaml").solve()
    after_other = study.apply(sc).solve().summary["objective"]
    again = study.apply(fs.with_warning(sc, net, 0)).solve().summary["objective"]
    assert after_other == pytest.approx(alone, rel=1e-9) and again == pytest.approx(alone, rel=1e-9)
