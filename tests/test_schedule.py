"""Weekly scheduling (supplyopt/schedule.py, trains.py, runlog.py): snapshots and end targets,
the previous-plan penalty, rolling carry-over, trainloads and their fallback, determinism,
the lock and the wall-clock limit. Every optimum is worked out by hand in the comments."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import REPO, write_dataset

from supplyopt import api
from supplyopt.cli import main
from supplyopt.io.data import DataError
from supplyopt.io.runlog import EXIT_LOCKED, EXIT_WALL_LIMIT, OutputLock
from supplyopt.workflows.roll import roll
from supplyopt.workflows.schedule import schedule, slice_periods

WEEKS = ["2026-W50", "2026-W51", "2026-W52"]  # Mondays 2026-12-07, 12-14, 12-21


def profile(tmp_path: Path, **keys) -> Path:
    path = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}.yaml"
    path.write_text(yaml.safe_dump(keys), encoding="utf-8")
    return path


def snapshot(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "snapshot.csv"
    pd.DataFrame(rows, columns=["node", "product", "stock_t", "as_of"]).to_csv(path, index=False)
    return path


@pytest.fixture
def yard(tmp_path):
    """Mine M (100 t/week at 10 CNY/t) → rail (1 CNY/t) → plant P, demand 50 t/week,
    plant yard capacity 500 t, initial 80 t, no holding cost; W51 demand is 60 t."""
    return write_dataset(tmp_path / "yard", WEEKS, {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "P", "kind": "demand"}],
        "supply": [{"node": "M", "capacity_t": 100, "cost_cny_per_t": 10}],
        "links": [{"id": "rail", "from": "M", "to": "P", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 1, "distance_km": 10}],
        "demand": [{"node": "P", "demand_t": 50, "period": ""}, {"node": "P", "demand_t": 60, "period": "2026-W51"}],
        "storage": [{"node": "P", "capacity_t": 500, "initial_t": 80, "safety_t": 0}],
    })


# --------------------------------------------------------------------------- snapshot
def test_snapshot_replaces_initial_stock_but_not_the_end_target(yard, tmp_path):
    # Snapshot: 20 t at P. End target (end_stock: initial) stays the data set's 80 t.
    # Coal needed = demand 50 + 60 + 50 + end 80 − opening 20 = 220 t, at 10 + 1 CNY/t = 2,420.
    # (Had the snapshot moved the target to 20 t: 160 t, 1,760 CNY.)
    snap = snapshot(tmp_path, [{"node": "P", "product": "coal", "stock_t": 20, "as_of": "2026-12-07"}])
    s = schedule(yard, profile(tmp_path, end_stock="initial"), snapshot=snap, horizon=3)
    assert s.summary["objective"] == pytest.approx(2420)
    traj = s.trajectory.set_index("week")
    assert traj.loc["2026-W50", "opening_t"] == pytest.approx(20)
    assert traj.loc["2026-W52", "stock_t"] == pytest.approx(80)
    assert s.plan.production["production_t"].sum() == pytest.approx(220)
    assert s.shipments["committed"].tolist() == [w == "2026-W50" for w in s.shipments["week"]]


def test_start_and_horizon_slice_the_periods(yard, tmp_path):
    # From W51 for 1 week: demand is W51's 60 t; opening 80 (data set), end ≥ 80 → 60 t made.
    net = api.load(yard)
    win = slice_periods(net, 1, 5)
    assert win.periods == ["2026-W51", "2026-W52"] and sorted(win.demand["period"]) == [0, 1]
    s = schedule(yard, profile(tmp_path, end_stock="initial"), start="2026-W51", horizon=1)
    assert s.summary["schedule"]["weeks"] == ["2026-W51"]
    assert s.plan.production["production_t"].sum() == pytest.approx(60)
    assert any("no --snapshot" in w for w in s.warnings)


def test_scenario_edits_the_forecast_before_the_window_is_cut(yard, tmp_path):
    # W51's demand set to 0 by a scenario given in week labels: opening 80, end target 80,
    # demand 50 + 0 + 50 = 100 t made at 11 CNY/t = 1,100 CNY.
    no_w51 = {"name": "plant outage", "edits": [{"what": "demand", "periods": ["2026-W51"], "set": 0}]}
    s = schedule(yard, profile(tmp_path, end_stock="initial"), horizon=3, scenario=no_w51)
    assert s.summary["objective"] == pytest.approx(1100)


@pytest.mark.parametrize("row, column, words", [
    ({"node": "X", "product": "coal", "stock_t": 5, "as_of": "2026-12-07"}, "node", "unknown node"),
    ({"node": "M", "product": "coal", "stock_t": 5, "as_of": "2026-12-07"}, "product", "no storage.csv row"),
    ({"node": "P", "product": "coal", "stock_t": 501, "as_of": "2026-12-07"}, "stock_t", "above its storage capacity"),
    ({"node": "P", "product": "coal", "stock_t": "lots", "as_of": "2026-12-07"}, "stock_t", "number"),
    ({"node": "P", "product": "coal", "stock_t": 5, "as_of": "07/12/2026"}, "as_of", "YYYY-MM-DD"),
])
def test_bad_snapshot_is_an_input_error_and_writes_nothing(yard, tmp_path, capsys, row, column, words):
    snap = snapshot(tmp_path, [row])
    out = tmp_path / "out"
    assert main(["schedule", str(yard), "--snapshot", str(snap), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"snapshot.csv row 1, column {column}" in err and words in err and "Traceback" not in err
    assert not out.exists()


def test_stale_snapshot_is_a_warning(yard, tmp_path, capsys):
    # W50 begins 2026-12-07; counted 2026-11-27 is 10 days before: more than one 7-day period.
    snap = snapshot(tmp_path, [{"node": "P", "product": "coal", "stock_t": 80, "as_of": "2026-11-27"}])
    assert main(["schedule", str(yard), "--snapshot", str(snap), "--out", str(tmp_path / "out"), "--horizon", "2"]) == 0
    assert "stale: counted 10 days before 2026-W50 begins" in capsys.readouterr().err
    log = json.loads((tmp_path / "out" / "runs.jsonl").read_text().splitlines()[-1])
    assert any("stale" in w for w in log["warnings"]) and log["status"] == "ok" and log["inputs"]["snapshot"]


def test_shanxi_snapshot_file_is_valid():
    net = api.load(REPO / "data" / "shanxi")
    from supplyopt.workflows.schedule import read_snapshot

    snap = read_snapshot(REPO / "data" / "shanxi" / "snapshot.csv", slice_periods(net, 1, 6))
    assert len(snap.stocks) == len(net.storage) and not snap.warnings


# --------------------------------------------------------------------------- stability
@pytest.fixture
def two_routes(tmp_path):
    """M → P by route A (1 CNY/t) or B (3 CNY/t); mine 10 CNY/t; demand 50 t in W50."""
    return write_dataset(tmp_path / "routes", WEEKS[:1], {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "P", "kind": "demand"}],
        "supply": [{"node": "M", "capacity_t": 100, "cost_cny_per_t": 10}],
        "links": [{"id": "A", "from": "M", "to": "P", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 1, "distance_km": 10},
                  {"id": "B", "from": "M", "to": "P", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 3, "distance_km": 10}],
        "demand": [{"node": "P", "demand_t": 50}],
    })


def previous_run(tmp_path: Path) -> Path:
    """Last week's results folder, written by hand: 50 t on route B in W50."""
    prev = tmp_path / "last-week"
    prev.mkdir()
    (prev / "summary.json").write_text(json.dumps({"schedule": {"weeks": ["2026-W49", "2026-W50"]}}))
    (prev / "flows.csv").write_text("link,product,period,flow_t\nB,coal,2026-W49,40\nB,coal,2026-W50,50\n")
    return prev


@pytest.mark.parametrize("penalty, objective, on_a", [
    # Moving 50 t from B to A saves 2 × 50 = 100 CNY and changes 50 + 50 = 100 t.
    (0.5, 500 + 50 * 1 + 0.5 * 100, 50),  # 100 t × 0.5 = 50 < 100 saved: switch → 600
    (2.0, 500 + 50 * 3, 0),  # 100 t × 2 = 200 > 100 saved: keep B → 650
])
def test_previous_plan_penalty(two_routes, tmp_path, penalty, objective, on_a):
    s = schedule(two_routes, profile(tmp_path, change_penalty_cny_per_t=penalty), horizon=1, previous=previous_run(tmp_path))
    assert s.summary["objective"] == pytest.approx(objective)
    flows = s.plan.flows.set_index("link")["flow_t"]
    assert flows.get("A", 0.0) == pytest.approx(on_a)
    assert s.summary["costs"]["change_penalty"] == pytest.approx(penalty * 2 * on_a)
    expected = [("A", 0, 50, 50), ("B", 50, 0, -50)] if on_a else []
    assert [tuple(r) for r in s.changes[["link", "previous_t", "planned_t", "change_t"]].itertuples(index=False)] == expected


def test_previous_folder_must_be_a_schedule_result(two_routes, tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    assert main(["schedule", str(two_routes), "--previous", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "missing flows.csv" in capsys.readouterr().err


# --------------------------------------------------------------------------- rolling horizon
@pytest.fixture
def price_rise(tmp_path):
    """Mine M: 60 t/week at 10 CNY/t in W50-W51, 40 t/week at 30 CNY/t in W52; rail 1 CNY/t;
    plant P: demand 50 t/week (unmet 100 CNY/t), yard 1,000 t from 0 t, holding 1 CNY/t/week."""
    return write_dataset(tmp_path / "rise", WEEKS, {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "P", "kind": "demand"}],
        "supply": [{"node": "M", "capacity_t": 60, "cost_cny_per_t": 10, "period": ""},
                   {"node": "M", "capacity_t": 40, "cost_cny_per_t": 30, "period": "2026-W52"}],
        "links": [{"id": "rail", "from": "M", "to": "P", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 1, "distance_km": 10}],
        "demand": [{"node": "P", "demand_t": 50, "penalty_cny_per_t": 100}],
        "storage": [{"node": "P", "capacity_t": 1000, "initial_t": 0, "holding_cny_per_t": 1}],
    })


def test_roll_carries_stock_and_compares_with_the_full_plan(price_rise, tmp_path):
    # Full plan: make 60, 60, 30 → 660 + 660 + 930 + holding (10 + 20) = 2,280.
    # Horizon 2: W50 run sees W51 only (cheap): makes 50 → 550, carries 0. W51 run sees W52's
    # 40 t cap: makes 60 → 660 + holding 10 = 670, carries 10. W52 run: makes 40 → 1,240.
    # Rolled 550 + 670 + 1,240 = 2,460.
    r = roll(price_rise, profile(tmp_path, end_stock="free"), weeks=3, horizon=2)
    assert r.summary["full_horizon_cost"] == pytest.approx(2280)
    assert r.weeks["rolled_cost_cny"].tolist() == pytest.approx([550, 670, 1240])
    assert r.summary["gap"] == pytest.approx((2460 - 2280) / 2280)
    traj = r.trajectory.set_index("week")
    assert traj.loc["2026-W51", "stock_t"] == pytest.approx(10) and traj.loc["2026-W52", "opening_t"] == pytest.approx(10)
    assert r.summary["weeks_short_not_in_full_plan"] == []
    # Horizon 1 (no look-ahead): 550 + 550, then W52 makes 40 (1,240) and leaves 10 t short
    # (1,000) = 3,340; W52 is short where the full plan was not.
    r1 = roll(price_rise, profile(tmp_path, end_stock="free"), weeks=3, horizon=1)
    assert r1.summary["rolled_cost"] == pytest.approx(3340)
    assert r1.summary["weeks_short_not_in_full_plan"] == ["2026-W52"]
    assert r1.short["extra_unmet_t"].tolist() == pytest.approx([10])


def test_stable_roll_keeps_the_steering_penalty_out_of_the_cost(price_rise, tmp_path):
    # --stable: the W51 run keeps to the W50 run's look-ahead (50 t in W51) at 1 CNY/t per
    # tonne changed. Making 10 t more in W51 still pays (W52 coal costs 31, W51 coal + a week
    # of holding 12, + 10 t × 1 CNY changed), so the committed plan is the same as without
    # --stable and the rolled cost stays 2,460: the 10 CNY of change penalty is not a cost.
    r = roll(price_rise, profile(tmp_path, end_stock="free", change_penalty_cny_per_t=1), weeks=3, horizon=2, stable=True)
    assert r.weeks["rolled_cost_cny"].tolist() == pytest.approx([550, 670, 1240])
    assert "change_penalty" not in r.summary["rolled_costs"]


def test_roll_command_writes_its_folder(price_rise, tmp_path, capsys):
    out = tmp_path / "roll"
    assert main(["roll", str(price_rise), "--weeks", "3", "--horizon", "2", "--out", str(out)]) == 0
    assert "Gap" in capsys.readouterr().out
    assert {"weeks.csv", "short_weeks.csv", "shipments.csv", "stock_trajectory.csv", "summary.json", "runs.jsonl"} <= {p.name for p in out.iterdir()}
    runs = json.loads((out / "runs.jsonl").read_text())
    assert [w["run"] for w in runs["timings"]["weekly_runs"]] == ["full", *WEEKS]
    # was: an empty nodes.csv (reports found the demand centres from the stock table)
    assert sorted(pd.read_csv(out / "nodes.csv")["id"]) == sorted(pd.read_csv(price_rise / "nodes.csv")["id"])


# --------------------------------------------------------------------------- trainloads
@pytest.fixture
def trains_case(tmp_path):
    """M → P by rail in trains of 20 t (1 CNY/t, ≤ 100 t) or by road (5 CNY/t); demand 50 t,
    no yard at P, so at most 50 t may arrive."""
    return write_dataset(tmp_path / "trains", WEEKS[:1], {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "P", "kind": "demand"}],
        "supply": [{"node": "M", "capacity_t": 100, "cost_cny_per_t": 10}],
        "links": [{"id": "rail", "from": "M", "to": "P", "mode": "rail", "capacity_t": 100, "cost_cny_per_t": 1, "distance_km": 10, "train_t": 20},
                  {"id": "road", "from": "M", "to": "P", "mode": "truck", "capacity_t": "", "cost_cny_per_t": 5, "distance_km": 10, "train_t": ""}],
        "demand": [{"node": "P", "demand_t": 50}],
    })


def test_trainloads_ship_whole_trains(trains_case):
    # In tonnes: 50 t by rail, 550 CNY. In trains: 2 trains (40 t) + 10 t by road
    # = 500 + 40 + 50 = 590 CNY (3 trains would deliver 60 t > 50 t).
    assert schedule(trains_case, horizon=1).summary["objective"] == pytest.approx(550)
    s = schedule(trains_case, horizon=1, trainloads=True)
    assert s.summary["objective"] == pytest.approx(590)
    assert s.summary["schedule"]["trainloads"]["method"] == "mip"
    assert s.trains[["link", "trains", "shipment_t"]].values.tolist() == [["rail", 2, 40]]
    ship = s.shipments.set_index("link")
    assert ship.loc["rail", "trains"] == 2 and ship.loc["road", "shipment_t"] == pytest.approx(10)


def test_trainload_fallback_rounds_the_relaxation(trains_case):
    # A zero time limit stops the MIP before any plan. Relaxation: 2.5 trains (550 CNY);
    # rounded down to 2 and re-solved: 2 trains + 10 t by road = 590. Filling back a third
    # train (60 t > 50 t demand, no yard) has no plan, so 2 stay.
    s = schedule(trains_case, horizon=1, trainloads=True, time_limit_s=0)
    info = s.summary["schedule"]["trainloads"]
    assert info["method"] == "rounded and repaired" and info["relaxed_objective"] == pytest.approx(550)
    assert s.summary["objective"] == pytest.approx(590)
    assert s.trains["trains"].tolist() == [2]
    assert info["rounding"] == [{"link": "rail", "product": "coal", "week": "2026-W50", "lp_trains": pytest.approx(2.5), "rounded": 2, "final": 2}]
    assert any("rounded down" in w for w in s.warnings)


def test_train_size_must_be_positive(trains_case, capsys):
    links = trains_case / "links.csv"
    links.write_text(links.read_text().replace(",20\n", ",0\n"))
    with pytest.raises(DataError) as err:
        api.load(trains_case)
    assert "links.csv row 1, column train_t" in str(err.value.problems[0])


# --------------------------------------------------------------------------- unattended
def test_identical_inputs_give_identical_files(tmp_path):
    data = REPO / "data" / "shanxi"
    args = ["schedule", str(data), "--model", str(REPO / "models" / "default.yaml"), "--snapshot", str(REPO / "data" / "shanxi" / "snapshot.csv"),
            "--start", "2026-W50", "--horizon", "3", "--quiet"]
    for name in ("one", "two"):
        assert main([*args, "--out", str(tmp_path / name)]) == 0
    files = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert {"shipments.csv", "stock_trajectory.csv", "changes.csv", "trains.csv", "summary.json"} <= set(files)
    for name in files:
        if name != "runs.jsonl":  # the run log holds clock times: the one file that differs
            assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_lock_makes_a_second_run_wait_or_give_up(yard, tmp_path, capsys):
    out = tmp_path / "out"
    with OutputLock(out):
        t0 = time.monotonic()
        assert main(["schedule", str(yard), "--out", str(out), "--wait", "0.3"]) == EXIT_LOCKED
        assert time.monotonic() - t0 >= 0.3
    assert "another supplyopt run (process" in capsys.readouterr().err and not out.exists()

    lock = OutputLock(out).__enter__()
    threading.Timer(0.5, lock.__exit__, (None, None, None)).start()
    assert main(["schedule", str(yard), "--out", str(out), "--wait", "20"]) == 0
    record = json.loads((out / "runs.jsonl").read_text())
    assert record["timings"]["wait_s"] >= 0.4


def test_wall_limit_ends_a_waiting_run_with_exit_5(yard, tmp_path, capsys):
    out = tmp_path / "out"
    with OutputLock(out):
        assert main(["schedule", str(yard), "--out", str(out), "--wait", "60", "--wall-limit", "0.3"]) == EXIT_WALL_LIMIT
    assert "wall-clock limit of 0.3 s" in capsys.readouterr().err


def test_wall_limit_ends_a_stuck_run_and_logs_it(tmp_path):
    # A run stuck in a step that never returns: the watchdog records it and exits with 5.
    out = tmp_path / "out"
    out.mkdir()
    (out / "runs.jsonl").write_text("")  # a results folder an earlier run wrote
    script = f"import time\nfrom supplyopt.io.runlog import Run\nwith Run({str(out)!r}, ['test'], wall_limit_s=0.5):\n    time.sleep(60)\n"
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == EXIT_WALL_LIMIT and time.monotonic() - t0 < 20
    assert "wall-clock limit of 0.5 s reached" in done.stderr
    assert json.loads((out / "runs.jsonl").read_text())["status"] == "wall_limit"


def test_a_failed_run_never_writes_into_a_folder_it_did_not_write(yard, tmp_path):
    other = tmp_path / "not-results"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert main(["schedule", str(yard), "--out", str(other), "--start", "2099-W01"]) == 2
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


def test_failed_run_is_logged_in_an_existing_folder(yard, tmp_path):
    out = tmp_path / "out"
    assert main(["schedule", str(yard), "--out", str(out), "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.name != "runs.jsonl"}
    assert main(["schedule", str(yard), "--out", str(out), "--start", "2027-W01"]) == 2
    lines = [json.loads(x) for x in (out / "runs.jsonl").read_text().splitlines()]
    assert [x["status"] for x in lines] == ["ok", "input_error"]
    assert before == {p.name: p.read_bytes() for p in out.iterdir() if p.name != "runs.jsonl"}
