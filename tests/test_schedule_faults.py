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
