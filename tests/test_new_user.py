"""Mistakes a new user makes, checked on every command: each gives a clear message and its
documented exit code, never a traceback, and loses or half-writes no folder. Small data
sets only (data/examples/winter, tests/cases/invest), so the file runs in seconds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from conftest import CASES, REPO

from supplyopt import api
from supplyopt.cli import EXIT_OUTPUT_CLOSED, main
from supplyopt.io.write import MARKER
from supplyopt.workflows.schedule import read_snapshot

WINTER = REPO / "data/examples/winter"
INVEST = CASES / "invest"


def tree(folder):
    return sorted((str(p.relative_to(folder)), p.read_bytes() if p.is_file() else None) for p in folder.rglob("*"))


def test_output_closed_by_head_exits_quietly_after_writing(tmp_path):
    # `supplyopt solve … --json | head -0`: the reader is gone before the summary is printed.
    # Before the fix: "internal error (this is a bug; nothing was written)" + a traceback, exit 1.
    out = tmp_path / "res"
    proc = subprocess.Popen([sys.executable, "-m", "supplyopt", "solve", str(WINTER), "--out", str(out), "--json"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)})
    proc.stdout.close()  # long before the import finishes, let alone the solve
    err = proc.stderr.read().decode()
    assert proc.wait() == EXIT_OUTPUT_CLOSED == 141
    assert err == "", err  # no "internal error", no traceback
    assert (out / MARKER).is_file() and (out / "summary.json").is_file()  # the results were written whole


@pytest.mark.parametrize("command", [["evaluate", "--candidate", "siding_a"], ["invest", "--budget", "1e6"], ["bottlenecks"], ["frontier", "--points", "2"]])
def test_out_inside_or_holding_the_input_is_refused_before_solving(tmp_path, capsys, command):
    # Before the fix these commands checked --out only when writing (after the solve) and
    # without the inputs: `--out DATA/res` wrote a results folder into the data set.
    data = tmp_path / "data"
    shutil.copytree(INVEST, data)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "thesis.txt").write_text("years of work")
    before = tree(tmp_path)
    for out, words in ((data / "res", "is inside the input"), (data, "holds the input"), (tmp_path / "notes", "was not written by supplyopt")):
        assert main([command[0], str(data), *command[1:], "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err, err
        assert tree(tmp_path) == before, out


def test_default_out_that_is_not_a_results_folder_is_refused_before_solving(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results" / "invest_hand-bottlenecks").mkdir(parents=True)  # the default --out of bottlenecks
    (tmp_path / "results" / "invest_hand-bottlenecks" / "mine.xlsx").write_text("x")
    assert main(["bottlenecks", str(INVEST)]) == 2
    err = capsys.readouterr().err
    assert "results/invest_hand-bottlenecks" in err and "was not written by supplyopt" in err
    assert [p.name for p in (tmp_path / "results" / "invest_hand-bottlenecks").iterdir()] == ["mine.xlsx"]


@pytest.mark.parametrize("args, words", [
    (["--with-candidates", "--budget", "-1"], "expected an amount of CNY of 0 or more"),
    (["--budget", "1e9"], "expected --with-candidates with it"),  # silently ignored before
])
def test_frontier_budget_mistakes(tmp_path, capsys, args, words):
    out = tmp_path / "fr"
    assert main(["frontier", str(INVEST), "--points", "2", "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert "--budget" in err and words in err and not out.exists()


def test_investment_commands_show_the_data_set_warnings(tmp_path, capsys):
    # A full-width 60 in candidates.csv is read as 60 with a warning; `validate` and `solve`
    # showed it, evaluate/invest/bottlenecks/frontier did not.
    data = tmp_path / "data"
    shutil.copytree(INVEST, data)
    text = (data / "candidates.csv").read_text(encoding="utf-8")
    (data / "candidates.csv").write_text(text.replace("rail,100,20,60,", "rail,100,20,６０,", 1), encoding="utf-8")
    assert main(["evaluate", str(data), "--candidate", "siding_a", "--out", str(tmp_path / "ev")]) == 0
    err = capsys.readouterr().err
    assert "candidates.csv row 1, column capacity_t: '６０'" in err and "read as '60'" in err


def test_snapshot_full_width_digits_are_read_as_meant_with_a_warning(tmp_path):
    # The data set reads a full-width 1000 as 1000 with a warning; the snapshot said
    # "is not a number" (exit 2) for the same cell.
    snap = tmp_path / "count.csv"
    snap.write_text("node,product,stock_t,as_of\nport,coal,１０００,２０２６-12-07\n", encoding="utf-8")
    result = read_snapshot(snap, api.load(WINTER))
    assert result.stocks.set_index("node").loc["port", "stock_t"] == 1000
    notes = [str(w) for w in result.warnings]
    assert any("column stock_t: '１０００'" in n and "read as '1000'" in n for n in notes), notes
    assert any("column as_of" in n and "read as '2026-12-07'" in n for n in notes), notes


def test_capacity_candidate_on_a_node_with_forecast_rows_is_valid(tmp_path):
    # storage.csv: yard Y holds 100 t; a period row changes only safety_t (its blank
    # capacity_t takes the period-less row's 100 t). Enlarging Y was refused as "unlimited
    # (blank capacity_t)", which broke benchmarks/invest_scale.py on the Shanxi data.
    from conftest import write_dataset

    from supplyopt.io.data import DataError, read_dataset
    from supplyopt.io.validate import validate

    tables = {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "Y", "kind": "demand"}, {"id": "Z", "kind": "demand"}],
        "supply": [{"node": "M", "capacity_t": 100, "cost_cny_per_t": 10}],
        "links": [{"id": "rail", "from": "M", "to": "Y", "mode": "rail", "capacity_t": 50, "cost_cny_per_t": 1, "distance_km": 10, "period": ""},
                  {"id": "rail", "from": "M", "to": "Y", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 2, "distance_km": 10, "period": "W2"},
                  {"id": "road", "from": "M", "to": "Z", "mode": "truck", "capacity_t": "", "cost_cny_per_t": 5, "distance_km": 10, "period": ""}],
        "demand": [{"node": "Y", "demand_t": 40}, {"node": "Z", "demand_t": 10}],
        "storage": [{"node": "Y", "capacity_t": 100, "initial_t": 20, "safety_t": 10, "period": ""},
                    {"node": "Y", "capacity_t": "", "initial_t": "", "safety_t": 15, "period": "W2"},
                    {"node": "Z", "capacity_t": "", "initial_t": 0, "safety_t": 0, "period": ""}],
        "candidates": [{"id": "yard_up", "kind": "storage_capacity", "node": "Y", "link": "", "capacity_t": 50, "build_cost_cny": 1000},
                       {"id": "rail_up", "kind": "link_capacity", "node": "", "link": "rail", "capacity_t": 50, "build_cost_cny": 1000}],
    }
    validate(read_dataset(write_dataset(tmp_path / "ok", ["W1", "W2"], tables)))  # no DataError
    tables["candidates"] = [{"id": "z_up", "kind": "storage_capacity", "node": "Z", "link": "", "capacity_t": 50, "build_cost_cny": 1000},
                            {"id": "road_up", "kind": "link_capacity", "node": "", "link": "road", "capacity_t": 50, "build_cost_cny": 1000}]
    with pytest.raises(DataError) as err:  # really unlimited: still refused
        validate(read_dataset(write_dataset(tmp_path / "bad", ["W1", "W2"], tables)))
    messages = [p.message for p in err.value.problems]
    assert any("storage is unlimited" in m for m in messages) and any("capacity is unlimited" in m for m in messages), messages


@pytest.mark.parametrize("argv, words", [
    # a period label without its year: the one label it ends is suggested
    (["schedule", str(WINTER), "--start", "W50"], "unknown period (did you mean '2026-W50'?)"),
    # a candidate id one letter short
    (["evaluate", str(INVEST), "--candidate", "siding_aa"], "unknown candidate (did you mean 'siding_a'?)"),
    (["bottlenecks", str(WINTER), "--top", "-1"], "--top: '-1' — expected a whole number of rows, 0 or more"),  # printed one row fewer before
])
def test_typos_name_what_was_meant(tmp_path, capsys, argv, words):
    out = tmp_path / "out"
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err, err
    assert not out.exists()


@pytest.mark.parametrize("edit, words", [
    ({"what": "mine_capacity", "where": {"node": "mine_aa"}, "scale": 0}, "selects nothing in supply.csv (mine rows by period) (node: did you mean 'mine_a'?)"),
    ({"what": "mine_capacity", "where": {"node": "mine_a"}, "periods": ["W50"], "scale": 0}, "unknown period (did you mean '2026-W50'?)"),
])
def test_scenario_typos_name_what_was_meant(tmp_path, capsys, edit, words):
    import yaml

    scenario = tmp_path / "typo.yaml"
    scenario.write_text(yaml.safe_dump({"name": "typo", "edits": [edit]}), encoding="utf-8")
    assert main(["solve", str(WINTER), "--scenario", str(scenario), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "typo.yaml, column edits[1]" in err and words in err, err
    assert not (tmp_path / "out").exists()


def test_schedule_previous_and_snapshot_of_the_wrong_kind(tmp_path, capsys):
    # --previous given the folder of `supplyopt solve` said "(KeyError: 'schedule')";
    # --snapshot given a folder said "snapshot file not found".
    solved = tmp_path / "solved"
    assert main(["solve", str(WINTER), "--out", str(solved), "--quiet"]) == 0
    assert main(["schedule", str(WINTER), "--previous", str(solved), "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "not of `supplyopt schedule`" in err and "KeyError" not in err, err
    assert main(["schedule", str(WINTER), "--snapshot", str(WINTER), "--out", str(tmp_path / "b")]) == 2
    assert "is a folder, not a file; expected a CSV" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_sweep_takes_a_glob_the_shell_expanded(tmp_path):
    """`--scenarios scenarios/*.yaml` unquoted reaches the tool as several paths: all are swept."""
    from supplyopt.cli import main

    data = REPO / "data" / "examples" / "transport"
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("name: a\nedits:\n  - {what: demand, where: {}, scale: 0.5}\n")
    b.write_text("name: b\nedits:\n  - {what: demand, where: {}, scale: 0.8}\n")
    out = tmp_path / "sw"
    assert main(["sweep", str(data), "--scenarios", str(a), str(b), "--workers", "1", "--out", str(out), "--quiet"]) == 0
    cases = (out / "cases.csv").read_text(encoding="utf-8")
    assert "\na," in cases and "\nb," in cases


@pytest.mark.parametrize("command", [["compare", "--scenario", str(REPO / "scenarios/cold_wave.yaml")], ["screen", "--elements", "ports"], ["bottlenecks"]])
def test_workflow_summaries_keep_what_was_read_as_meant(tmp_path, command):
    # a full-width capacity is read as meant with a warning; a --quiet workflow run must
    # still record it (summary.json input_warnings), not only print it
    data = tmp_path / "shanxi"
    shutil.copytree(REPO / "data/shanxi", data)
    lines = (data / "supply.csv").read_text(encoding="utf-8").split("\n")
    col = lines[0].split(",").index("capacity_t")
    row = lines[1].split(",")
    row[col] = row[col].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    lines[1] = ",".join(row)
    (data / "supply.csv").write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "out"
    assert main([command[0], str(data), *command[1:], "--quiet", "--out", str(out)]) == 0
    import json

    summary = json.loads((out / "summary.json").read_text())
    assert any("full-width" in w for w in summary["input_warnings"])
    assert summary["dataset"]["files_sha256"]
