"""Faults the dispatch desk found in the weekly run (``schedule``, ``roll``), each with the
test that failed before its fix: snapshot duplicates and empty snapshots, a --previous folder
from the wrong week, crash consistency of the results folder, the run log of failed and locked
runs, the wall-clock limit, HiGHS's output, whole tonnes in the committed week, red cover and
the end-stock rule. Hand-worked figures are in the comments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, write_dataset

from supplyopt.cli import main
from supplyopt.workflows.schedule import schedule

WEEKS = ["2026-W50", "2026-W51", "2026-W52"]  # Mondays 2026-12-07, 12-14, 12-21
SHANXI = REPO / "data" / "shanxi"


def snapshot(tmp_path: Path, rows: list[dict], name: str = "snapshot.csv") -> Path:
    path = tmp_path / name
    pd.DataFrame(rows, columns=["node", "product", "stock_t", "as_of"]).to_csv(path, index=False)
    return path


@pytest.fixture
def yard(tmp_path):
    """Mine M (100 t/week at 10 CNY/t) → rail (1 CNY/t) → plant P, demand 50 t/week (60 t in
    W51), plant yard 500 t from 80 t; a second yard Q (no demand) holds 10 t."""
    return write_dataset(tmp_path / "yard", WEEKS, {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "P", "kind": "demand"}, {"id": "Q", "kind": "storage"}],
        "supply": [{"node": "M", "capacity_t": 100, "cost_cny_per_t": 10}],
        "links": [{"id": "rail", "from": "M", "to": "P", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 1, "distance_km": 10},
                  {"id": "spur", "from": "M", "to": "Q", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 1, "distance_km": 10}],
        "demand": [{"node": "P", "demand_t": 50, "period": ""}, {"node": "P", "demand_t": 60, "period": "2026-W51"}],
        "storage": [{"node": "P", "capacity_t": 500, "initial_t": 80, "safety_t": 0}, {"node": "Q", "capacity_t": 100, "initial_t": 10, "safety_t": 0}],
    })


def run_log(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "runs.jsonl").read_text(encoding="utf-8").splitlines()]


# --------------------------------------------------------------------------- 1, 2: snapshot
def test_duplicate_snapshot_rows_are_one_input_error_listing_every_row(yard, tmp_path, capsys):
    # P/coal three times (the third after case and spaces are ignored: ' p ' is 'P'), Q twice:
    # three duplicate rows, each naming the first row, all in one error list; no traceback.
    snap = snapshot(tmp_path, [
        {"node": "P", "product": "coal", "stock_t": 20, "as_of": "2026-12-07"},
        {"node": "Q", "product": "coal", "stock_t": 5, "as_of": "2026-12-07"},
        {"node": "P", "product": "coal", "stock_t": 30, "as_of": "2026-12-07"},
        {"node": "Q", "product": "", "stock_t": 6, "as_of": "2026-12-07"},
        {"node": " p ", "product": "COAL", "stock_t": 40, "as_of": "2026-12-07"},
    ])
    out = tmp_path / "out"
    assert main(["schedule", str(yard), "--snapshot", str(snap), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "snapshot.csv row 3, column node: 'P' — duplicate stock for P/coal: row 1 already counts it" in err
    assert "snapshot.csv row 4, column node: 'Q' — duplicate stock for Q/coal: row 2 already counts it" in err
    assert "snapshot.csv row 5, column node: 'p' — duplicate stock for p/COAL: row 1 already counts it (written P/coal there; case and spaces are ignored)" in err
    assert not out.exists()


def test_header_only_snapshot_is_refused(yard, tmp_path, capsys):
    snap = tmp_path / "snapshot.csv"
    snap.write_text("node,product,stock_t,as_of\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["schedule", str(yard), "--snapshot", str(snap), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "snapshot.csv — no stock counted" in err and "Traceback" not in err
    assert not out.exists()


# --------------------------------------------------------------------------- 3: --previous week
@pytest.mark.parametrize("start, previous_start, words", [
    ("2026-W50", "2026-W51", "committed 2026-W51, a later week than this run's first week 2026-W50"),
    ("2026-W51", "2026-W51", "committed 2026-W51, the same week as this run's first week 2026-W51"),
])
def test_previous_from_a_later_or_the_same_week_is_refused(yard, tmp_path, capsys, start, previous_start, words):
    prev = tmp_path / "prev"
    assert main(["schedule", str(yard), "--start", previous_start, "--horizon", "2", "--out", str(prev), "--quiet"]) == 0
    out = tmp_path / "out"
    assert main(["schedule", str(yard), "--start", start, "--horizon", "2", "--previous", str(prev), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--previous" in err and words in err
    assert not out.exists()


def test_previous_from_an_earlier_week_is_accepted(yard, tmp_path):
    prev = tmp_path / "prev"
    assert main(["schedule", str(yard), "--start", "2026-W50", "--horizon", "3", "--out", str(prev), "--quiet"]) == 0
    assert main(["schedule", str(yard), "--start", "2026-W51", "--horizon", "2", "--previous", str(prev), "--out", str(tmp_path / "out"), "--quiet"]) == 0


# --------------------------------------------------------------------------- 4: crash consistency
def test_a_run_killed_at_any_write_step_loses_nothing_and_the_next_run_recovers(yard, tmp_path):
    # tests/crash_driver.py SIGKILLs a weekly run before each file-system step of its run
    # (lock, recovery, the temporary folder, every file, both renames of the swap, the removal
    # of the backup), once from a clean state and once from the state of a run killed between
    # the two renames (so the recovery itself is killed at each of its steps).
    out = tmp_path / "runs" / "w50"
    report = tmp_path / "report.json"
    done = subprocess.run([sys.executable, str(REPO / "tests" / "crash_driver.py"), str(yard), str(out), str(report)],
                          cwd=REPO, capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    facts = json.loads(report.read_text())
    previous = facts["previous"]["w50"]
    old_runs = previous["runs.jsonl"]
    assert len(old_runs) == 1
    files = set(previous)

    def results(entry, runs_before):
        """'old' (the previous folder as it was), 'new' (complete, with one line more), else None."""
        if entry == previous:
            return "old"
        if set(entry) == files and entry["runs.jsonl"][:-1] == runs_before and entry["runs.jsonl"][-1][0].startswith("kill at"):
            return "new"
        return None

    rows = facts["rows"]
    assert len(rows) > 40 and {r["pass"] for r in rows} == {"clean", "recovering"}
    seen = {"old": 0, "new": 0, "backup": 0}
    for r in rows:
        where = f"{r['pass']} run killed before step {r['k']} ({r['step']})"
        last = r["k"] == max(x["k"] for x in rows if x["pass"] == r["pass"])
        assert r["exit"] == (0 if last else -9), where
        after = r["after_kill"]
        if "w50" in after:
            kind = results(after["w50"], old_runs)
            assert kind is not None, where
            seen[kind] += 1
        else:  # killed between the two renames: the previous folder waits whole as the backup
            backups = [v for name, v in after.items() if name.startswith(".w50.old-")]
            assert backups == [previous], where
            seen["backup"] += 1
            kind = "old"
        # a next run that fails puts the folder back, removes every leftover, logs its line
        assert r["failed_run_exit"] == 2, where
        failed = r["after_failed_run"]
        assert sorted(failed) == [".w50.lock", "w50"], where
        runs = failed["w50"]["runs.jsonl"]
        assert runs[:len(old_runs)] == old_runs and runs[-1][-1] == "fail", where
        assert len(runs) == len(old_runs) + (2 if kind == "new" else 1), where
        # and a next run that succeeds writes complete results, every earlier line kept
        assert r["next_run_exit"] == 0, where
        final = r["after_next_run"]
        assert sorted(final) == [".w50.lock", "w50"] and set(final["w50"]) == files, where
        assert final["w50"]["runs.jsonl"][:-1] == runs, where
    assert seen["old"] and seen["new"] and seen["backup"]  # every outcome was met


# --------------------------------------------------------------------------- 5: run log of every end
def _no_solver(*a, **k):
    from supplyopt.engines.solution import SolverMissing

    raise SolverMissing("the HiGHS solver (Python package highspy) is not installed")


def _bug(*a, **k):
    raise ZeroDivisionError("a bug")


@pytest.mark.parametrize("case, code, status", [
    ("bad --start", 2, "input_error"),
    ("bad --wall-limit", 2, "input_error"),
    ("infeasible", 3, "infeasible"),
    ("solver stopped", 4, "no_plan"),
    ("no solver", 4, "no_solver"),
    ("bug", 1, "bug"),
    ("locked", 6, "locked"),
    ("wall limit while waiting", 5, "wall_limit"),
])
def test_every_failed_run_leaves_one_complete_line(tmp_path, monkeypatch, capsys, case, code, status):
    # M → P by a rail link of 50 t/week; P's yard holds 80 t at the start (data set). Under a
    # hard end-of-horizon rule a snapshot of 0 t cannot be rebuilt to 80 t in one week through a
    # 50 t link: no plan (exit 3).
    data = write_dataset(tmp_path / "narrow", WEEKS, {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "P", "kind": "demand"}],
        "supply": [{"node": "M", "capacity_t": 100, "cost_cny_per_t": 10}],
        "links": [{"id": "rail", "from": "M", "to": "P", "mode": "rail", "capacity_t": 50, "cost_cny_per_t": 1, "distance_km": 10}],
        "demand": [{"node": "P", "demand_t": 20}],
        "storage": [{"node": "P", "capacity_t": 500, "initial_t": 80, "safety_t": 0}],
    })
    out = tmp_path / "out"
    assert main(["schedule", str(data), "--out", str(out), "--horizon", "1", "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.name != "runs.jsonl"}
    args = ["schedule", str(data), "--out", str(out), "--horizon", "1"]
    if case == "bad --start":
        args += ["--start", "2099-W01"]
    elif case == "bad --wall-limit":
        args += ["--wall-limit", "-3"]
    elif case == "infeasible":
        hard = tmp_path / "hard.yaml"
        hard.write_text("end_stock: initial\nend_stock_penalty_cny_per_t: hard\n")
        args += ["--model", str(hard), "--snapshot", str(snapshot(tmp_path, [{"node": "P", "product": "coal", "stock_t": 0, "as_of": "2026-12-07"}]))]
    elif case == "solver stopped":
        args += ["--time-limit", "0"]
    elif case == "no solver":
        monkeypatch.setattr("supplyopt.workflows.schedule.solve_window", _no_solver)
    elif case == "bug":
        monkeypatch.setattr("supplyopt.workflows.schedule.solve_window", _bug)
    if case in ("locked", "wall limit while waiting"):
        from supplyopt.io.runlog import OutputLock

        with OutputLock(out):
            assert main(args + (["--wait", "5", "--wall-limit", "0.2"] if case != "locked" else [])) == code
    else:
        assert main(args) == code
    lines = run_log(out)
    assert [x["status"] for x in lines] == ["ok", status]
    last = lines[-1]
    assert last["exit_code"] == code and last["command"][:2] == ["supplyopt", "schedule"]
    assert last["started"] <= last["finished"] and last["finished"].endswith("+00:00")
    assert before == {p.name: p.read_bytes() for p in out.iterdir() if p.name != "runs.jsonl"}  # results untouched
    assert "run log:" not in capsys.readouterr().err


def test_a_run_locked_out_before_any_folder_exists_prints_its_line(yard, tmp_path, capsys):
    # No results folder yet: a failed run never creates one, so its line goes to stderr.
    from supplyopt.io.runlog import OutputLock

    out = tmp_path / "out"
    with OutputLock(out):
        assert main(["schedule", str(yard), "--out", str(out)]) == 6
    err = capsys.readouterr().err
    assert f"run log: this run's line has no results folder to go to: {out} does not exist yet" in err
    line = json.loads(err.split("here it is: ", 1)[1].splitlines()[0])
    assert line["status"] == "locked" and line["exit_code"] == 6 and line["finished"]
    assert not out.exists()


# --------------------------------------------------------------------------- 6: wall-clock limit
def test_wall_limit_counts_from_the_process_start_and_ends_the_run_on_time(tmp_path):
    # The 13-week Shanxi roll takes about 12 s; with --wall-limit 2 the process must be gone
    # within 2.5 s of its start (it took 3.1–3.2 s when the clock started after the imports).
    out = tmp_path / "roll"
    cmd = [sys.executable, "-m", "supplyopt", "roll", str(SHANXI), "--model", str(REPO / "models" / "default.yaml"),
           "--weeks", "13", "--horizon", "6", "--out", str(out), "--wall-limit", "2", "--quiet"]
    t0 = time.monotonic()
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    elapsed = time.monotonic() - t0
    assert done.returncode == 5, done.stderr
    assert elapsed <= 2.5, f"ended {elapsed:.2f} s after it started (limit 2 s)"
    line = json.loads(done.stderr.split("here it is: ", 1)[1].splitlines()[0])
    assert line["status"] == "wall_limit" and line["exit_code"] == 5
    assert not out.exists()


# --------------------------------------------------------------------------- 7: HiGHS's own output
@pytest.mark.parametrize("command", ["schedule", "roll"])
def test_highs_output_goes_to_the_run_log_not_the_terminal(yard, tmp_path, command):
    # solver.log: true makes HiGHS print its log on standard output, which broke --json
    # ("LP has 7 rows; …" before the JSON); now it is caught and kept in run.log and runs.jsonl.
    profile = tmp_path / "log.yaml"
    profile.write_text("solver:\n  log: true\n")
    out = tmp_path / "out"
    extra = ["--weeks", "2", "--horizon", "1"] if command == "roll" else []
    done = subprocess.run([sys.executable, "-m", "supplyopt", command, str(yard), "--model", str(profile), "--out", str(out), "--json", *extra],
                          cwd=REPO, capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    json.loads(done.stdout)  # nothing but summary.json on stdout
    assert "Coefficient ranges" not in done.stdout + done.stderr
    log = (out / "run.log").read_text()
    assert "HiGHS: Coefficient ranges:" in log
    notes = run_log(out)[-1]["notes"]
    assert any("Coefficient ranges" in n for n in notes)


# --------------------------------------------------------------------------- red cover at the window's end
def drawdown_yard(tmp_path: Path, mine_cny_per_t: float, mine_t: float = 200, initial_t: float = 100, safety_t: float = 100) -> Path:
    """Mine M (``mine_t`` a week at ``mine_cny_per_t``) → rail (1 CNY/t) → plant P, demand 70
    t/week (10 t a day); P's yard holds ``initial_t`` at the start, safety ``safety_t`` (100 t: 10
    days, amber, between the default 7-day red and 12-day amber lines), holding 1 CNY/t a week (coal comes
    just in time)."""
    return write_dataset(tmp_path / f"drawdown-{mine_cny_per_t:g}-{mine_t:g}-{initial_t:g}", WEEKS, {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "P", "kind": "demand"}],
        "supply": [{"node": "M", "capacity_t": mine_t, "cost_cny_per_t": mine_cny_per_t}],
        "links": [{"id": "rail", "from": "M", "to": "P", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 1, "distance_km": 10}],
        "demand": [{"node": "P", "demand_t": 70, "period": ""}],
        "storage": [{"node": "P", "capacity_t": 500, "initial_t": initial_t, "safety_t": safety_t, "holding_cny_per_t": 1}],
    })


@pytest.mark.parametrize("rule, mine_cny_per_t, deficit_t", [
    # free: no end target. A tonne kept in W52 costs 601 CNY of coal and 1 of holding, 500 of
    # safety penalty if not: the yard is drawn down in W52 as far as demand lets it, 100 − 70 =
    # 30 t. Earlier, a tonne below safety costs 500 twice (W51 and W52) to save 603: kept.
    ("free", 600, 0),
    # initial (soft, 1,000 CNY/t): a tonne kept in W52 costs 1,802, not keeping it 500 + 1,000
    # = 1,500: drawn down to 30 t again, 70 t of end-stock deficit; in W51 not keeping it would
    # cost 500 + 500 + 1,000 = 2,000 > 1,803: kept
    ("initial", 1800, 70),
])
def test_the_end_rule_never_raises_a_red_cover_alert(tmp_path, capsys, rule, mine_cny_per_t, deficit_t):
    # Stocks 100, 100, 30 t. Cover: W50 and W51 100 t ÷ (next week's 70 t ÷ 7) = 10 days,
    # amber; W52 30 t ÷ (its own 70 t ÷ 7) = 3 days — below the 7-day red line, but that stock
    # is the end rule's choice and the week after W52 is not planned: status 'end', no red
    # warning anywhere (trajectory, warnings.csv, terminal). The 70 t below safety stay an
    # amber safety warning; the deficit stays end-stock deficit, never red cover.
    data = drawdown_yard(tmp_path, mine_cny_per_t)
    model = tmp_path / f"{rule}.yaml"
    model.write_text(f"end_stock: {rule}\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["schedule", str(data), "--model", str(model), "--horizon", "3", "--out", str(out)]) == 0
    terminal = capsys.readouterr().out
    t = pd.read_csv(out / "stock_trajectory.csv", keep_default_na=False)
    assert t["stock_t"].tolist() == pytest.approx([100, 100, 30])
    assert t["days_of_cover"].tolist() == pytest.approx([10, 10, 3])
    assert t["cover_status"].tolist() == ["amber", "amber", "end"]
    w = pd.read_csv(out / "warnings.csv")
    assert (w["severity"] != "red").all()
    assert list(zip(w["kind"], w["period"])) == [("cover", "2026-W50"), ("cover", "2026-W51"), ("safety", "2026-W52")]
    assert [ln.split()[-1] for ln in terminal.splitlines() if ln.startswith("  P ")] == ["end"]  # W52, below safety: 'end', not 'red'
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["end_of_horizon"]["deficit_t"] == pytest.approx(deficit_t)
    assert summary["unmet_t"] == pytest.approx(0, abs=1e-6)
    # the roll: its last run commits W52 as the last week of its window: 'end' there too
    roll_out = tmp_path / "roll"
    assert main(["roll", str(data), "--model", str(model), "--weeks", "3", "--horizon", "2", "--out", str(roll_out), "--quiet"]) == 0
    r = pd.read_csv(roll_out / "stock_trajectory.csv", keep_default_na=False)
    assert r["cover_status"].tolist() == ["amber", "amber", "end"]


def test_a_real_shortfall_in_the_last_week_stays_red(tmp_path):
    # An empty yard without safety stock and a mine making 50 t a week against 70 t of demand:
    # 20 t short every week (holding coal to shift a shortfall only costs), the last one
    # included — red there too (cover (0 − 20) ÷ 10 = −2 days) with its unmet warning: a
    # shortage in the plan, not the end rule's stock.
    data = drawdown_yard(tmp_path, 10, mine_t=50, initial_t=0, safety_t=0)
    model = tmp_path / "free.yaml"
    model.write_text("end_stock: free\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["schedule", str(data), "--model", str(model), "--horizon", "3", "--out", str(out), "--quiet"]) == 0
    t = pd.read_csv(out / "stock_trajectory.csv", keep_default_na=False)
    assert t["days_of_cover"].tolist() == pytest.approx([-2, -2, -2])
    assert t["cover_status"].tolist() == ["red", "red", "red"]
    w = pd.read_csv(out / "warnings.csv")
    assert list(zip(w["severity"], w["kind"], w["period"]))[:3] == [("red", "unmet", week) for week in WEEKS]


def test_shanxi_end_stock_safety_raises_no_red_cover():
    # Measured 2026-12-07: end_stock: safety draws 17 demand centres down to exactly their
    # safety stock in 2027-W02, the look-ahead's last week; against that week's own demand that
    # is 6.93-6.99 days, under power's 7-day line, and they all came out red. Now 'end', and no
    # red warning: the centres of the committed week and the look-ahead are judged as before.
    s = schedule(SHANXI, {"end_stock": "safety"}, snapshot=SHANXI / "snapshot.csv", start="2026-W50", horizon=6)
    t = s.trajectory
    assert (t["cover_status"] != "red").all() and (s.plan.early_warnings["severity"] != "red").all()
    last = t[t["week"] == "2027-W02"]
    assert (last.loc[last["cover_status"] != "", "cover_status"] == "end").all() and (last["cover_status"] == "end").sum() >= 17
    assert set(t.loc[t["week"] != "2027-W02", "cover_status"]) <= {"", "ok", "amber"}


def test_shipments_are_whole_tonnes_in_one_format(tmp_path):
    """Was: committed shipments carried fractional tonnes (1122387.101775) beside '4000000.0'.
    Now every shipment_t in shipments.csv is a whole number written without a decimal point;
    flows.csv keeps the exact plan."""
    from conftest import REPO

    from supplyopt.cli import main

    out = tmp_path / "w50"
    assert main(["schedule", str(REPO / "data/shanxi"), "--model", str(REPO / "models/default.yaml"), "--snapshot", str(REPO / "data/shanxi/snapshot.csv"),
                 "--start", "2026-W50", "--horizon", "2", "--out", str(out), "--quiet"]) == 0
    column = [line.split(",")[7] for line in (out / "shipments.csv").read_text().splitlines()[1:]]
    assert column and all(v.isdigit() for v in column), [v for v in column if not v.isdigit()][:5]
