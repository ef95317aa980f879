"""The report page of a stochastic results folder (`supplyopt report` on `supplyopt stochastic`'s
--out), checked on a hand-solved case.

The case is tests/test_stochastic.py's: mine M (20 t/week at 10 CNY/t) → plant D (link 15 t/week
at 1 CNY/t), D burns 10 t a week (unmet 10,000 CNY/t) and stocks up to 100 t (1 CNY/t per
week); weeks w1–w4, decisions up to w2 shared. Three futures: calm (0.6), the mine stops in
w3 (0.3), the mine stops in w3 and w4 (0.1). D can hold at most 10 t at the end of w2 (15 t
a week in, 10 t burnt), which is what the plan stocks (s* = 10 for any chance of a stop above
2/9,989). Costs with s = 10 (holding 10 + 5): calm 440 + 15 = 455; stop 40 × 11 + 15 = 455;
long stop 30 × 11 + 15 + 10 t short in w4 × 10,000 = 100,345.
  RP  = 0.6 × 455 + 0.3 × 455 + 0.1 × 100,345 = 10,444
  WS  = 0.6 × 440 + 0.3 × 455 + 0.1 × 100,345 = 10,435        → EVPI = 9
  EEV (the mean future has 12 t in w3 and 18 t in w4: nothing stocked)
      = 0.6 × 440 + 0.3 × (30 × 11 + 100,000) + 0.1 × (20 × 11 + 200,000) = 50,385 → VSS = 39,941
Expected unmet 0.1 × 10 = 1 t, all of it the long stop's, at D in w4.
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from conftest import write_dataset
from openpyxl import load_workbook

from supplyopt.io.data import DataError
from supplyopt.reports.reporting import make_report
from supplyopt.reports.stochastic_page import is_stochastic_folder, money, tonnes, write_stochastic_report
from supplyopt.workflows.stochastic import stochastic

WEEKS = ["w1", "w2", "w3", "w4"]
NB = "\u00a0"
SCENARIOS = {"calm": 0.6, "mine_stop": 0.3, "long_stop": 0.1}


def three_futures(folder):
    """The hand case's data set and its three-future set (copied from test_stochastic's hand_case)."""
    path = write_dataset(folder / "case", WEEKS, {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "D", "kind": "demand"}],
        "links": [{"id": "l", "from": "M", "to": "D", "mode": "rail", "distance_km": 1, "capacity_t": 15, "cost_cny_per_t": 1}],
        "supply": [{"node": "M", "product": "coal", "capacity_t": 20, "cost_cny_per_t": 10}],
        "demand": [{"node": "D", "product": "coal", "demand_t": 10, "demand_class": "power"}],
        "storage": [{"node": "D", "product": "coal", "capacity_t": 100, "initial_t": 0, "safety_t": 0, "holding_cny_per_t": 1}],
    })
    for name, weeks in (("stop", ["w3"]), ("long", ["w3", "w4"])):
        edit = {"what": "mine_capacity", "where": {"node": "M"}, "periods": weeks, "set": 0}
        (folder / f"{name}.yaml").write_text(yaml.safe_dump({"name": name, "edits": [edit]}), encoding="utf-8")
    sset = folder / "set.yaml"
    sset.write_text(yaml.safe_dump({"name": "three_futures", "scenarios": [
        {"name": "calm", "probability": 0.6, "scenario": []},
        {"name": "mine_stop", "probability": 0.3, "scenario": ["stop.yaml"]},
        {"name": "long_stop", "probability": 0.1, "scenario": ["long.yaml"]}]}), encoding="utf-8")
    return path, sset


def report_cli(*args):
    return subprocess.run([sys.executable, "-m", "supplyopt", "report", *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("stochastic-report")
    path, sset = three_futures(root)
    plan = stochastic(path, sset, decide_until="w2")
    results = plan.write(root / "results")
    run = report_cli(results, "--out", root / "report")
    return results, root / "report", run, plan.summary


def test_the_hand_case_is_what_the_page_describes(folders):
    # the figures the page is checked against below, from the hand solution
    _, _, _, s = folders
    assert s["rp_cny"] == pytest.approx(10_444) and s["ws_cny"] == pytest.approx(10_435) and s["eev_cny"] == pytest.approx(50_385)
    assert s["vss_cny"] == pytest.approx(39_941) and s["evpi_cny"] == pytest.approx(9)
    assert s["expected_unmet_t"] == pytest.approx(1) and s["worst_case"]["scenario"] == "long_stop"


def test_report_on_a_stochastic_folder_writes_the_page(folders):
    results, report, run, _ = folders
    assert is_stochastic_folder(results)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert f"Report written to {report}/: report.html, results.xlsx and 2 charts" in run.stdout
    page = (report / "report.html").read_text(encoding="utf-8")
    # the executive summary: VSS, EVPI, expected and worst cost, expected unmet, with units
    for figure in ("39,941", "9.00", "10,444", "100,345"):
        assert f"{figure}{NB}CNY" in page, figure
    assert f"1.0{NB}t" in page  # expected unmet
    assert "Value of the stochastic solution (VSS)" in page and "Expected value of perfect information (EVPI)" in page
    assert "over planning for the average future" in page and "knowing in advance which future comes" in page
    # who goes short, by how much, when and where
    short = re.search(r'<ul class="short">(.*?)</ul>', page, re.S)
    assert short, "no list of the scenarios that go short"
    assert re.search(rf"<b>long_stop</b> \(probability 10{NB}%\): <b>10\.0{NB}t</b> short, w4, at D \(power\) 10\.0{NB}t", short.group(1)), short.group(1)
    assert "mine_stop" not in short.group(1) and "calm" not in short.group(1)
    # every scenario in the table, with its hindsight and EV-plan cost
    for name in SCENARIOS:
        assert f"<td>{name}</td>" in page, name
    assert "<td class=\"n\">100,330</td>" in page  # mine_stop under the expected-value plan: 30 × 11 + 10 × 10,000
    # the assumptions, stated
    assert "first stage: every decision in periods up to --decide-until" in page
    assert "end stock ≥ the initial stock" in page
    assert "risk neutral" in page


def test_the_page_embeds_the_charts_it_writes(folders):
    _, report, _, _ = folders
    page = (report / "report.html").read_text(encoding="utf-8")
    embedded = [base64.b64decode(b) for b in re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]
    files = sorted(p.name for p in (report / "charts").glob("*.png"))
    assert files == ["first_stage_stock.png", "scenario_costs.png"]
    assert sorted(embedded) == sorted((report / "charts" / f).read_bytes() for f in files)
    assert "http://" not in page and "https://" not in page and "<script src" not in page  # self-contained: only the inline sort script


def test_the_workbook_holds_the_measures_and_tables(folders):
    results, report, _, s = folders
    wb = load_workbook(report / "results.xlsx", read_only=True)
    assert {"summary", "scenarios", "first_stage", "unmet"} <= set(wb.sheetnames)
    measures = pd.read_excel(report / "results.xlsx", sheet_name="summary").set_index("measure")
    assert measures.loc["vss_cny", "value"] == pytest.approx(39_941) and measures.loc["vss_cny", "unit"] == "CNY"
    assert measures.loc["evpi_cny", "value"] == pytest.approx(9)
    assert measures.loc["expected_unmet_t", "unit"] == "t"
    scen = pd.read_excel(report / "results.xlsx", sheet_name="scenarios")
    assert scen["scenario"].tolist() == list(SCENARIOS)
    assert scen["cost_cny"].tolist() == pytest.approx([455, 455, 100_345])
    unmet = pd.read_excel(report / "results.xlsx", sheet_name="unmet")
    assert unmet[["scenario", "node", "period"]].values.tolist() == [["long_stop", "D", "w4"]] and unmet["unmet_t"].sum() == pytest.approx(10)
    first = pd.read_excel(report / "results.xlsx", sheet_name="first_stage")
    assert first.loc[(first["node"] == "D") & (first["period"] == "w2"), "stock_t"].item() == pytest.approx(10)


def test_compare_with_a_stochastic_folder_is_an_input_error(folders, tmp_path):
    results, _, _, _ = folders
    out = tmp_path / "cmp"
    run = report_cli(results, "--compare", results, "--out", out)
    assert run.returncode == 2, run.stderr
    assert "--compare" in run.stderr and "stochastic" in run.stderr
    assert "Traceback" not in run.stderr and not out.exists()
    with pytest.raises(DataError) as err:  # a stochastic folder compared against a solve folder, too
        make_report(tmp_path / "any", out, compare=[results])
    assert err.value.problems[0].file == "--compare"


def test_the_report_is_reproducible_and_never_replaces_its_results(folders, tmp_path):
    results, report, _, _ = folders
    again = write_stochastic_report(results, tmp_path / "again", warn=lambda m: None)
    for name in ("report.html", "results.xlsx", "charts/scenario_costs.png", "charts/first_stage_stock.png"):
        assert (again / name).read_bytes() == (report / name).read_bytes(), name
    with pytest.raises(DataError):
        write_stochastic_report(results, results, warn=lambda m: None)
    assert (results / "summary.json").is_file()


def test_a_broken_stochastic_folder_names_the_file(folders, tmp_path):
    results, _, _, _ = folders
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in ("summary.json", "scenarios.csv", "first_stage.csv"):
        (broken / f).write_bytes((results / f).read_bytes())
    with pytest.raises(DataError) as err:
        make_report(broken, tmp_path / "rep")
    assert [(p.file, p.message.split(";")[0]) for p in err.value.problems] == [(str(broken / "unmet.csv"), "missing file")]
    assert not (tmp_path / "rep").exists()


def test_numbers_carry_their_units():
    assert money(184_717_692_258.02, "CNY") == f"184,717,692,258{NB}CNY"
    assert money(10.5, "CNY") == f"10.50{NB}CNY"
    assert tonnes(12_802_229.4) == f"12,802,229{NB}t" and tonnes(0.00075) == f"0.00075{NB}t" and tonnes(0) == f"0{NB}t"


def test_shortfalls_put_periods_in_order():
    from supplyopt.reports.stochastic_page import period_key, shortfalls

    unmet = pd.DataFrame({"scenario": ["s", "s", "s", "t"], "node": ["B", "A", "A", "A"], "product": "coal", "demand_class": "power",
                          "period": ["w10", "w3", "w2", "w9"], "unmet_t": [1.0, 2.0, 4.0, 0.5]})
    scen = pd.DataFrame({"scenario": ["s", "t"]})
    short = shortfalls(unmet, scen, period_key([]))  # no data set: natural order, w2 … w10
    assert short[["scenario", "node", "unmet_t", "first", "last", "periods"]].values.tolist() == [["s", "A", 6.0, "w2", "w3", 2], ["s", "B", 1.0, "w10", "w10", 1],
                                                                                                   ["t", "A", 0.5, "w9", "w9", 1]]
    known = shortfalls(unmet, scen, period_key(["w10", "w9", "w3", "w2"]))  # the data set's order rules
    assert known.loc[0, ["first", "last"]].tolist() == ["w3", "w2"]
