"""The command line end to end: exit codes, files, KPIs against the tables, reproducibility."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from conftest import REPO

WINTER = REPO / "data/examples/winter"


def run(*args, cwd=REPO):
    proc = subprocess.run([sys.executable, "-m", "supplyopt.cli", *map(str, args)], cwd=cwd, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


def test_solve_writes_every_table_and_kpis_match_them(tmp_path):
    out = tmp_path / "res"
    code, text = run("solve", WINTER, "--model", REPO / "models/default.yaml", "--out", out)
    assert code == 0, text
    assert "Cost by component (CNY)" in text and "truck share" in text
    for name in ("summary.json", "flows.csv", "production.csv", "stocks.csv", "unmet.csv", "prices.csv", "run.log"):
        assert (out / name).is_file(), name
    s = json.loads((out / "summary.json").read_text())
    flows = pd.read_csv(out / "flows.csv")
    unmet = pd.read_csv(out / "unmet.csv")
    production = pd.read_csv(out / "production.csv")
    assert s["status"] == "optimal"
    assert s["objective"] == pytest.approx(sum(s["costs"].values()), rel=1e-9)
    assert s["objective"] == pytest.approx(s["solver"]["objective"], rel=1e-7)
    assert s["delivered_t"] == pytest.approx(unmet["delivered_t"].sum(), abs=1e-3)
    assert s["unmet_t"] == pytest.approx(unmet["unmet_t"].sum(), abs=1e-3)
    assert s["production_t"] == pytest.approx(production["production_t"].sum(), abs=1e-3)
    truck = flows[flows["mode"] == "truck"]  # the only truck mode in this data set
    assert s["truck_share_tkm"] == pytest.approx(truck["tkm"].sum() / flows["tkm"].sum(), abs=1e-6)
    assert s["co2_t"] == pytest.approx(flows["co2_t"].sum(), abs=1e-4)
    assert s["costs"]["transport"] == pytest.approx(flows["cost_cny"].sum(), rel=1e-6)
    assert s["model"]["variables"] > 0 and s["model"]["nonzeros"] > 0
    assert set(s["dataset"]["files_sha256"]) >= {"network.yaml", "nodes.csv", "links.csv"}
    assert s["versions"]["solver"].startswith("HiGHS")
    assert s["options"]["truck_penalty_cny_per_tkm"] == 0.05
    # utilisation is the link's flow of all products over its capacity
    capped = flows.dropna(subset=["capacity_t"])
    assert ((capped["utilisation"] - capped["flow_t"] / capped["capacity_t"]).abs() < 1e-6).all()


def test_json_output_and_quiet(tmp_path):
    code, text = run("solve", WINTER, "--out", tmp_path / "a", "--json")
    assert code == 0
    assert json.loads(text)["status"] == "optimal"
    code, text = run("solve", WINTER, "--out", tmp_path / "b", "--quiet")
    assert code == 0 and text == ""


def test_same_inputs_give_byte_identical_results(tmp_path):
    for name in ("a", "b"):
        assert run("solve", WINTER, "--model", REPO / "models/default.yaml", "--out", tmp_path / name, "--quiet")[0] == 0
    for file in ("flows.csv", "production.csv", "stocks.csv", "unmet.csv", "prices.csv"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file

    def stable(p):  # wall-clock timings are the only fields allowed to differ
        s = json.loads((p / "summary.json").read_text())
        s.pop("build_s"), s.pop("solve_s")
        return s

    assert stable(tmp_path / "a") == stable(tmp_path / "b")


def test_engines_agree_through_the_cli(tmp_path):
    objectives = []
    for engine in ("highs", "pyomo"):
        code, text = run("solve", WINTER, "--model", REPO / "models/default.yaml", "--engine", engine, "--out", tmp_path / engine, "--json")
        assert code == 0, text
        objectives.append(json.loads(text)["objective"])
    assert objectives[0] == pytest.approx(objectives[1], rel=1e-9)


def test_existing_results_are_replaced_whole_and_kept_on_failure(tmp_path):
    out = tmp_path / "res"
    assert run("solve", WINTER, "--out", out, "--quiet")[0] == 0  # a results folder (it carries the marker)
    (out / "stale.txt").write_text("old")
    assert run("solve", WINTER, "--out", out, "--quiet")[0] == 0
    assert not (out / "stale.txt").exists() and (out / "summary.json").exists()
    before = (out / "summary.json").read_bytes()
    code, _ = run("solve", REPO / "tests/cases/bad/does_not_exist", "--out", out)
    assert code == 2
    assert (out / "summary.json").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["res"]  # no temporary folders left


def test_infeasible_plan_exit_3_explained_nothing_written(tmp_path):
    profile = tmp_path / "hard.yaml"
    profile.write_text(yaml.safe_dump({"safety_stock": "hard"}))
    data = tmp_path / "data"
    import shutil

    shutil.copytree(WINTER, data)
    storage = pd.read_csv(data / "storage.csv")
    storage.loc[storage["node"] == "port", "safety_t"] = 9500
    storage.loc[storage["node"] == "port", "initial_t"] = 0
    storage.to_csv(data / "storage.csv", index=False)
    links = pd.read_csv(data / "links.csv", dtype=str, keep_default_na=False)
    links[links["id"] != "station_port"].to_csv(data / "links.csv", index=False)
    # Only reserve_port (5,000 t/week) reaches the port: 9,500 t by the end of week 1 is
    # impossible, short by 4,500 t.
    code, text = run("solve", data, "--model", profile, "--out", tmp_path / "never")
    assert code == 3, text
    assert "safety stock of coal at port in 2026-W49 cannot be met: short by 4,500 t" in text
    assert not (tmp_path / "never").exists()


def test_time_limit_without_plan_exit_4(tmp_path):
    # HiGHS checks a zero time limit before its first iteration: no plan, every time
    code, text = run("solve", WINTER, "--time-limit", "0", "--presolve", "off", "--out", tmp_path / "never")
    assert code == 4, text
    assert "stopped before any feasible plan was found" in text and "Time limit reached" in text and "nothing was written" in text
    assert "Raise the time limit (now 0 s" in text
    assert not (tmp_path / "never").exists()


def test_excel_workbook_gives_the_same_plan(tmp_path):
    book = tmp_path / "winter.xlsx"
    meta = yaml.safe_load((WINTER / "network.yaml").read_text())
    with pd.ExcelWriter(book) as xl:
        pd.DataFrame({"key": ["name", "period_days"], "value": [meta["name"], meta["period_days"]]}).to_excel(xl, sheet_name="network", index=False)
        pd.DataFrame({"period": meta["periods"]}).to_excel(xl, sheet_name="periods", index=False)
        for name in ("nodes", "supply", "links", "demand", "storage"):
            pd.read_csv(WINTER / f"{name}.csv", dtype=str, keep_default_na=False).to_excel(xl, sheet_name=name, index=False)
    a = json.loads(run("solve", WINTER, "--out", tmp_path / "a", "--json")[1])
    code, text = run("solve", book, "--out", tmp_path / "b", "--json")
    assert code == 0, text
    assert json.loads(text)["objective"] == pytest.approx(a["objective"], rel=1e-12)


def test_validate_reports_all_problems_of_the_reference_case():
    code, text = run("validate", REPO / "tests/cases/broken-refs")
    assert code == 2 and "Traceback" not in text
    for needle in ("nodes.csv row 5", "'d1'", "supply.csv row 2", "'-50'", "links.csv row 3", "'nowhere'", "links.csv row 4", "'teleport'", "demand.csv row 1", "'abc'"):
        assert needle in text, needle
