"""Two-stage stochastic plans (``supplyopt stochastic``), checked against hand-solved cases.

The hand case: mine M (20 t/week at 10 CNY/t) → plant D (link 15 t/week at 1 CNY/t), D burns
10 t a week (unmet 10,000 CNY/t) and stocks up to 100 t (1 CNY/t per week). Weeks w1–w4;
decisions up to w2 are the first stage. With probability p the mine stops in w3.

Let s be D's stock at the end of w2. Stocking s ≤ 5 t costs the holding of w2 only (ship 10 + s
in w2); s in (5, 10] also needs w1 to ship s − 5 extra, held two weeks: h(s) = s + max(0, s − 5).
  calm:  40 t shipped: 440 + h(s)
  stop:  30 + s t shipped, 10 − s short: (30 + s)·11 + h(s) + (10 − s)·10,000
E[cost]'s slope in s is 1 − 9,989 p below 5 t and 2 − 9,989 p above: the optimal hedge is
s* = 10 for p > 2/9,989, 5 for 1/9,989 < p < 2/9,989, 0 below.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from supplyopt.io.data import DataError
from supplyopt.model.extensive import Risk
from supplyopt.workflows.hedging import mpiexec
from supplyopt.workflows.stochastic import cvar_of, stochastic

WEEKS = ["w1", "w2", "w3", "w4"]
STOP = {"name": "mine_stop", "edits": [{"what": "mine_capacity", "where": {"node": "M"}, "periods": ["w3"], "set": 0}]}
needs_mpi = pytest.mark.skipif(mpiexec() is None, reason="MPI (the mpich wheel) is not installed")


def hand_case(tmp_dataset, p: float, name: str = "case") -> tuple[Path, Path]:
    path = tmp_dataset(WEEKS, {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "D", "kind": "demand"}],
        "links": [{"id": "l", "from": "M", "to": "D", "mode": "rail", "distance_km": 1, "capacity_t": 15, "cost_cny_per_t": 1}],
        "supply": [{"node": "M", "product": "coal", "capacity_t": 20, "cost_cny_per_t": 10}],
        "demand": [{"node": "D", "product": "coal", "demand_t": 10, "demand_class": "power"}],
        "storage": [{"node": "D", "product": "coal", "capacity_t": 100, "initial_t": 0, "safety_t": 0, "holding_cny_per_t": 1}],
    }, name=name)
    (path.parent / "stop.yaml").write_text(yaml.safe_dump(STOP), encoding="utf-8")
    sset = path.parent / f"{name}-set.yaml"
    sset.write_text(yaml.safe_dump({"scenarios": [{"name": "calm", "probability": 1 - p, "scenario": []},
                                                  {"name": "stop", "probability": p, "scenario": ["stop.yaml"]}]}), encoding="utf-8")
    return path, sset


def hedge(plan) -> float:
    fs = plan.first_stage
    return float(fs[(fs["node"] == "D") & (fs["period"] == "w2")]["stock_t"].iloc[0])


def expected(p: float, s: float) -> float:
    h = s + max(0.0, s - 5)
    return (1 - p) * (440 + h) + p * ((30 + s) * 11 + h + (10 - s) * 10_000)


def test_extensive_form_matches_the_hand_solution(tmp_dataset):
    path, sset = hand_case(tmp_dataset, 0.3)
    plan = stochastic(path, sset, decide_until="w2")
    s = plan.summary
    assert hedge(plan) == pytest.approx(10)
    assert s["expected_cost_cny"] == pytest.approx(expected(0.3, 10)) == pytest.approx(455)
    # wait and see: calm alone 440; the stop known from w1 (the foresight test's 455)
    assert s["ws_cny"] == pytest.approx(0.7 * 440 + 0.3 * 455)
    assert s["evpi_cny"] == pytest.approx(455 - 444.5)
    # the mean future: w3's capacity 0.7 × 20 = 14 t ≥ 10 t burnt, so nothing is stocked;
    # then the stop leaves 10 t short: EEV = 0.7 × 440 + 0.3 × (30 × 11 + 100,000)
    assert s["eev_cny"] == pytest.approx(0.7 * 440 + 0.3 * 100_330)
    assert s["vss_cny"] == pytest.approx(30_407 - 455)
    assert s["method"] == "ef" and s["decide_until"] == "w2"
    rows = plan.scenarios.set_index("scenario")
    assert rows.loc["stop", "ev_plan_cost_cny"] == pytest.approx(100_330)
    assert rows.loc["calm", "hindsight_cost_cny"] == pytest.approx(440)
    assert plan.unmet.empty


@pytest.mark.parametrize(("p", "stock"), [(0.3, 10), (0.00015, 5), (0.00005, 0)])
def test_the_hedge_follows_the_closed_form_threshold(tmp_dataset, p, stock):
    path, sset = hand_case(tmp_dataset, p)
    plan = stochastic(path, sset, decide_until="w2")
    assert hedge(plan) == pytest.approx(stock, abs=1e-6)
    assert plan.summary["expected_cost_cny"] == pytest.approx(expected(p, stock))
    assert plan.summary["expected_unmet_t"] == pytest.approx(p * (10 - stock))


def test_a_cvar_term_buys_the_full_hedge_risk_neutral_planning_would_not(tmp_dataset):
    # p = 0.00015: risk neutral s* = 5. CVaR at 0.5 of cost (weight 1): the worst half is the
    # stop (0.00015) and 0.49985 of calm, slope in s above 5 t: (0.00015·(−9,987) + 0.49985·2)/0.5
    # = −0.997, plus E's +0.502: still falling, so s* = 10; both scenarios then cost 455.
    path, sset = hand_case(tmp_dataset, 0.00015)
    plan = stochastic(path, sset, decide_until="w2", risk=Risk("cost", 0.5, 1.0))
    assert hedge(plan) == pytest.approx(10)
    assert plan.summary["objective"] == pytest.approx(455 + 455)
    assert plan.summary["expected_cost_cny"] == pytest.approx(455)
    neutral = stochastic(path, sset, decide_until="w2")
    assert hedge(neutral) == pytest.approx(5)
    assert plan.summary["cvar"]["cost_cny"] < neutral.summary["cvar"]["cost_cny"]


def test_cvar_of_a_discrete_distribution():
    import numpy as np

    # worst 10 %: 0.05 at 100 and 0.05 of the 0.15 at 50 → (5 + 2.5) / 0.1
    assert cvar_of(np.array([10.0, 100.0, 50.0]), np.array([0.8, 0.05, 0.15]), 0.9) == pytest.approx(75)


EXTENSION = '''
import pyomo.environ as pyo

def extra_functionality(model, network, options):
    """At most 7 t in D's yard at the end of w2."""
    model.yard_cap = pyo.Constraint(expr=model.stock["D", "coal", "w2"] <= 7)
'''


def test_the_extension_hook_applies_in_the_extensive_form(tmp_dataset, tmp_path):
    path, sset = hand_case(tmp_dataset, 0.3)
    ext = tmp_path / "yard.py"
    ext.write_text(EXTENSION, encoding="utf-8")
    plan = stochastic(path, sset, decide_until="w2", extend=str(ext))
    assert hedge(plan) == pytest.approx(7)
    assert plan.summary["expected_cost_cny"] == pytest.approx(expected(0.3, 7))
    assert plan.summary["extension"]["sha256"]


@needs_mpi
def test_progressive_hedging_on_two_processes_reaches_the_hand_solution(tmp_dataset, tmp_path):
    path, sset = hand_case(tmp_dataset, 0.3)
    ext = tmp_path / "yard.py"
    ext.write_text(EXTENSION, encoding="utf-8")
    lines = []
    plan = stochastic(path, sset, decide_until="w2", method="ph", procs=2, progress=lines.append)
    assert hedge(plan) == pytest.approx(10, abs=1e-3)
    assert plan.summary["expected_cost_cny"] == pytest.approx(455, rel=1e-6)
    ph = plan.summary["progressive_hedging"]
    assert ph["procs"] == 2 and ph["stopped"] == "converged" and ph["bound_cny"] <= 455 + 1e-6
    assert lines and all(line.startswith("PH iteration") for line in lines)
    assert plan.summary["vss_cny"] == pytest.approx(30_407 - 455) and plan.summary["evpi_cny"] == pytest.approx(10.5)
    # the extension reaches the workers' Pyomo models too
    capped = stochastic(path, sset, decide_until="w2", method="ph", procs=2, extend=str(ext))
    assert hedge(capped) == pytest.approx(7, abs=1e-3)
    assert capped.summary["expected_cost_cny"] == pytest.approx(expected(0.3, 7), rel=1e-6)


@needs_mpi
@pytest.mark.parametrize(("p", "risk"), [(0.05, Risk("cost", 0.9, 1.0)), (0.02, Risk("unmet", 0.95, 50.0)), (0.2, None)])
def test_progressive_hedging_agrees_with_the_extensive_form_within_its_stated_gap(tmp_dataset, p, risk):
    path, sset = hand_case(tmp_dataset, p)
    ef = stochastic(path, sset, decide_until="w2", risk=risk)
    ph = stochastic(path, sset, decide_until="w2", risk=risk, method="ph", procs=1)
    hedged = ph.summary["progressive_hedging"]
    assert hedged["stopped"] == "converged"
    # PH's plan is evaluated exactly: never cheaper than the optimum, and within its gap of it;
    # its bound never above the optimum
    assert ef.summary["objective"] - 1e-6 <= ph.summary["objective"] <= ef.summary["objective"] + hedged["gap"] * abs(ph.summary["objective"]) + 1e-6
    assert hedged["bound_cny"] <= ef.summary["objective"] + 1e-6
    assert hedge(ph) == pytest.approx(hedge(ef), abs=1e-3)


@needs_mpi
def test_progressive_hedging_says_when_it_has_not_converged(tmp_dataset):
    # a scenario 6,666 times rarer than the other: PH's weights grow slowly (docs/stochastic.md);
    # at the iteration limit it returns its best plan with an honest gap, not a false "converged"
    path, sset = hand_case(tmp_dataset, 0.00015)
    ph = stochastic(path, sset, decide_until="w2", method="ph", ph_options={"max_iterations": 20})
    hedged = ph.summary["progressive_hedging"]
    optimum = expected(0.00015, 5)
    assert hedged["stopped"] == "iteration limit" and hedged["iterations"] == 20
    assert ph.summary["status"] == "iteration_limit"  # not "optimal": the plan is PH's best, not proven
    assert hedged["bound_cny"] <= optimum + 1e-6 <= ph.summary["objective"] + 1e-6
    assert ph.summary["objective"] - hedged["bound_cny"] == pytest.approx(hedged["gap"] * ph.summary["objective"])


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "supplyopt", "stochastic", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_the_command_writes_the_planner_files(tmp_dataset, tmp_path):
    path, sset = hand_case(tmp_dataset, 0.3)
    out = tmp_path / "out"
    r = run_cli(path, "--scenarios", sset, "--decide-until", "w2", "--out", out)
    assert r.returncode == 0, r.stderr
    assert "VSS" in r.stdout and "EVPI" in r.stdout and "10.50" in r.stdout
    for name in ("first_stage.csv", "first_stage_shipments.csv", "scenarios.csv", "unmet.csv", "summary.json", "run.log"):
        assert (out / name).is_file(), name
    head = (out / "first_stage.csv").read_text().splitlines()[0].split(",")
    assert head[:4] == ["node", "product", "period", "stock_t"] and "production_t" in head and "shipped_t" in head
    s = json.loads((out / "summary.json").read_text())
    assert s["expected_cost_cny"] == pytest.approx(455) and s["vss_cny"] == pytest.approx(29_952) and s["evpi_cny"] == pytest.approx(10.5) and s["method"] == "ef"
    assert s["scenario_set"]["sha256"] and s["versions"]["highspy"]


def test_an_invalid_set_lists_every_problem_and_writes_nothing(tmp_dataset, tmp_path):
    path, _ = hand_case(tmp_dataset, 0.3)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"scenarios": [{"name": "calm", "probability": 0.5, "scenario": []},
                                                 {"name": "calm", "probability": 0.3, "scenario": ["stop.yaml"]},
                                                 {"name": "typo", "probability": 0.1, "scenario": ["no_such_file.yaml"]}]}), encoding="utf-8")
    out = tmp_path / "out"
    r = run_cli(path, "--scenarios", bad, "--decide-until", "w2", "--out", out)
    assert r.returncode == 2
    assert "duplicate name" in r.stderr and "no_such_file.yaml" in r.stderr and "scenario file not found" in r.stderr
    assert "sum to 0.9" in r.stderr  # every problem at once: the sum too, though two entries are wrong
    assert "Traceback" not in r.stderr and not out.exists()
    off = tmp_path / "off.yaml"
    off.write_text(yaml.safe_dump({"scenarios": [{"name": "a", "probability": 0.5, "scenario": []}, {"name": "b", "probability": 0.4, "scenario": []}]}), encoding="utf-8")
    r = run_cli(path, "--scenarios", off, "--decide-until", "w2", "--out", out)
    assert r.returncode == 2 and "sum to 0.9" in r.stderr


def test_an_event_inside_the_first_stage_is_refused(tmp_dataset):
    path, sset = hand_case(tmp_dataset, 0.3)
    with pytest.raises(DataError) as err:
        stochastic(path, sset, decide_until="w3")
    assert "acts in w3, a first-stage period" in str(err.value.problems[0])
    for wrong, words in (("w4", "is the last period"), ("w9", "unknown period")):
        with pytest.raises(DataError) as err:
            stochastic(path, sset, decide_until=wrong)
        assert words in str(err.value.problems[0])


def test_more_processes_than_scenarios_is_an_input_error(tmp_dataset):
    path, sset = hand_case(tmp_dataset, 0.3)
    with pytest.raises(DataError) as err:
        stochastic(path, sset, decide_until="w2", method="ph", procs=3)
    assert "more processes than scenarios" in str(err.value.problems[0])


def test_random_draws_are_equally_likely_seeded_and_after_the_first_stage(tmp_dataset):
    path, _ = hand_case(tmp_dataset, 0.3)
    a = stochastic(path, None, decide_until="w2", random=4, seed=3)
    b = stochastic(path, None, decide_until="w2", random=4, seed=3)
    assert a.scenarios["probability"].tolist() == [0.25] * 4
    assert a.summary["expected_cost_cny"] == b.summary["expected_cost_cny"]
    assert a.scenarios["scenario"].tolist() == b.scenarios["scenario"].tolist()


FAILING_WORKER = '''
import os

def extra_functionality(model, network, options):
    if os.environ.get("PMI_RANK") == "1":
        {action}
'''


@needs_mpi
@pytest.mark.parametrize("action", ['raise RuntimeError("worker trouble")', "os.kill(os.getpid(), 9)"])
def test_a_failed_or_killed_worker_is_a_clear_error_not_a_hang(tmp_dataset, tmp_path, action):
    path, sset = hand_case(tmp_dataset, 0.3)
    ext = tmp_path / "fail.py"
    ext.write_text(FAILING_WORKER.format(action=action), encoding="utf-8")
    out = tmp_path / "out"
    r = run_cli(path, "--scenarios", sset, "--decide-until", "w2", "--method", "ph", "--procs", 2, "--extend", ext, "--out", out)
    assert r.returncode == 4, r.stderr
    assert "progressive hedging" in r.stderr and "nothing was written" in r.stderr and not out.exists()
    if "raise" in action:
        assert "worker trouble" in r.stderr


def test_a_risk_term_on_cost_takes_every_cost_part_of_a_column_once(tmp_dataset):
    # with a truck penalty the flow column carries two cost parts (transport and the penalty):
    # the CVaR row must hold it once, with both coefficients summed (HiGHS rejects a repeated
    # entry). The link is 1 km of rail: no truck, so the penalty is 0 and the hedge unchanged.
    path, sset = hand_case(tmp_dataset, 0.3)
    plan = stochastic(path, sset, decide_until="w2", model={"carbon_price_cny_per_t_co2": 100.0}, risk=Risk("cost", 0.9, 1.0))
    assert hedge(plan) == pytest.approx(10)
    assert plan.summary["objective"] == pytest.approx(plan.summary["expected_cost_cny"] + plan.summary["cvar"]["cost_cny"], rel=1e-9)


def test_priority_order_is_refused_with_a_reason(tmp_dataset):
    path, sset = hand_case(tmp_dataset, 0.3)
    with pytest.raises(DataError) as err:
        stochastic(path, sset, decide_until="w2", model="models/priority.yaml")
    assert "priority" in str(err.value.problems[0]) and "penalties by class" in str(err.value.problems[0])


def test_random_needs_a_positive_count_and_no_set_beside_it(tmp_dataset):
    path, sset = hand_case(tmp_dataset, 0.3)
    for kwargs, words in (({"random": -3}, "≥ 1"), ({"random": 2, "scenarios": sset}, "not both")):
        with pytest.raises(DataError) as err:
            stochastic(path, kwargs.pop("scenarios", None), decide_until="w2", **kwargs)
        assert words in str(err.value.problems[0])


@needs_mpi
def test_a_time_limit_returns_the_best_plan_with_its_bound(tmp_dataset):
    path, sset = hand_case(tmp_dataset, 0.00015)
    ph = stochastic(path, sset, decide_until="w2", method="ph", ph_options={"time_limit_s": 3, "max_iterations": 100_000})
    hedged = ph.summary["progressive_hedging"]
    assert hedged["stopped"] == "time limit" and hedged["iterations"] < 100_000
    assert hedged["bound_cny"] <= expected(0.00015, 5) + 1e-6 <= ph.summary["objective"] + 1e-6
    assert hedged["wall_s"] < 60


def test_one_scenario_is_the_deterministic_plan(tmp_dataset):
    path, _ = hand_case(tmp_dataset, 0.3)
    one = path.parent / "one.yaml"
    one.write_text(yaml.safe_dump({"scenarios": [{"name": "stop", "probability": 1, "scenario": ["stop.yaml"]}]}), encoding="utf-8")
    plan = stochastic(path, one, decide_until="w2")
    # the stop known from the start (perfect foresight): 455 CNY; nothing to hedge
    assert plan.summary["expected_cost_cny"] == pytest.approx(455)
    assert plan.summary["evpi_cny"] == pytest.approx(0, abs=1e-6) and plan.summary["vss_cny"] == pytest.approx(0, abs=1e-6)


def test_a_scenario_without_a_plan_is_named_with_the_requirement(tmp_dataset, tmp_path):
    path, _ = hand_case(tmp_dataset, 0.3)
    (path.parent / "big_end.yaml").write_text(yaml.safe_dump({"name": "big_end", "edits": [{"what": "end_stock", "where": {"node": "D"}, "set": 200}]}), encoding="utf-8")
    sset = path.parent / "inf.yaml"
    sset.write_text(yaml.safe_dump({"scenarios": [{"name": "calm", "probability": 0.5, "scenario": []},
                                                  {"name": "big_end", "probability": 0.5, "scenario": ["big_end.yaml"]}]}), encoding="utf-8")
    r = run_cli(path, "--scenarios", sset, "--decide-until", "w2", "--end-stock-penalty", "hard", "--out", tmp_path / "out")
    assert r.returncode == 3, r.stderr
    assert "scenario big_end has no plan" in r.stderr and "end-of-horizon stock of coal at D in w4 cannot reach 200 t: short by 140 t" in r.stderr
    assert not (tmp_path / "out").exists()


def test_a_solver_stop_without_a_plan_is_exit_4_not_a_traceback(tmp_dataset, tmp_path):
    path, sset = hand_case(tmp_dataset, 0.3)
    r = run_cli(path, "--scenarios", sset, "--decide-until", "w2", "--time-limit", "0", "--out", tmp_path / "out")
    assert r.returncode == 4, r.stderr
    assert "Traceback" not in r.stderr and "nothing was written" in r.stderr


def test_the_pyomo_engine_gives_the_same_extensive_form(tmp_dataset, tmp_path):
    path, sset = hand_case(tmp_dataset, 0.3)
    r = run_cli(path, "--scenarios", sset, "--decide-until", "w2", "--engine", "pyomo", "--out", tmp_path / "out", "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["expected_cost_cny"] == pytest.approx(455) and s["vss_cny"] == pytest.approx(29_952) and s["options"]["engine"] == "pyomo"
