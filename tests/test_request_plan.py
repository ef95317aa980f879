"""The weekly run a dispatch desk hands to the railway (supplyopt/workflows/request_plan.py,
trains.py): the rounding fallback repaired, the railway request plan and the berth plan,
movements that are not shipments, changes.csv under --trainloads, a byte-identical workbook.
Every figure is worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import write_dataset

from supplyopt.cli import main
from supplyopt.workflows.schedule import schedule

W = ["2026-W52", "2026-W53", "2027-W01"]  # Mondays 2026-12-21, 12-28, 2027-01-04


def profile(tmp_path: Path, **keys) -> Path:
    path = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}.yaml"
    path.write_text(yaml.safe_dump(keys), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- rounding, repaired
@pytest.fixture
def tight_mine(tmp_path):
    """Mine M: 150 t/week at 10 CNY/t. Rail A: M → P1, rail B: M → P2, both 1 CNY/t in
    trains of 100 t; road R: M → P2 at 5 CNY/t. P1 and P2 each burn 75 t (unmet 1,000 CNY/t)
    and have a 100 t yard (from 0, holding 2 CNY/t); end stock free."""
    return write_dataset(tmp_path / "tight", W[:1], {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "P1", "kind": "demand"}, {"id": "P2", "kind": "demand"}],
        "supply": [{"node": "M", "capacity_t": 150, "cost_cny_per_t": 10}],
        "links": [{"id": "A", "from": "M", "to": "P1", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 1, "distance_km": 10, "train_t": 100},
                  {"id": "B", "from": "M", "to": "P2", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 1, "distance_km": 10, "train_t": 100},
                  {"id": "R", "from": "M", "to": "P2", "mode": "truck", "capacity_t": "", "cost_cny_per_t": 5, "distance_km": 10, "train_t": ""}],
        "demand": [{"node": "P1", "demand_t": 75, "penalty_cny_per_t": 1000}, {"node": "P2", "demand_t": 75, "penalty_cny_per_t": 1000}],
        "storage": [{"node": "P1", "capacity_t": 100, "initial_t": 0, "holding_cny_per_t": 2}, {"node": "P2", "capacity_t": 100, "initial_t": 0, "holding_cny_per_t": 2}],
    })


def test_rounding_never_turns_a_feasible_plan_into_infeasible(tight_mine, tmp_path, capsys):
    # LP relaxation: 75 t on A and on B = 0.75 + 0.75 trains, 150 × 11 = 1,650 CNY (the only
    # optimum: road costs 5, stock costs holding). Nearest rounding: 1 + 1 train = 200 t out of
    # a 150 t mine — no plan (the old fallback's exit 3). Rounded down: 0 + 0 trains; P2 gets
    # 75 t by road, P1 nothing: 75 × 10 + 75 × 5 + 75 t unmet × 1,000 = 76,125.
    # Fill, A first (equal fractions and LP values: link order): 1 train on A = 100 t to P1
    # (75 burnt, 25 in the yard), the 50 t left go by road to P2, 25 t unmet there:
    # 150 × 10 + 100 × 1 + 50 × 5 + 25 × 2 + 25 × 1,000 = 26,900 < 76,125: kept. Then B: 200 t
    # from the mine again: no plan, not kept. Final A 1, B 0 — also the MIP's optimum.
    prof = profile(tmp_path, end_stock="free")
    assert schedule(tight_mine, prof, horizon=1, trainloads=True).summary["objective"] == pytest.approx(26900)
    s = schedule(tight_mine, prof, horizon=1, trainloads=True, time_limit_s=0)
    info = s.summary["schedule"]["trainloads"]
    assert info["method"] == "rounded and repaired"
    assert info["relaxed_objective"] == pytest.approx(1650) and info["rounded_down_objective"] == pytest.approx(76125)
    assert s.summary["objective"] == pytest.approx(26900)
    assert info["rounding"] == [
        {"link": "A", "product": "coal", "week": "2026-W52", "lp_trains": pytest.approx(0.75), "rounded": 0, "final": 1},
        {"link": "B", "product": "coal", "week": "2026-W52", "lp_trains": pytest.approx(0.75), "rounded": 0, "final": 0},
    ]
    assert info["fill_solves"] == 3  # rounded down, +A, +B
    assert s.trains[["link", "trains", "shipment_t"]].values.tolist() == [["A", 1, 100]]
    # the command: a plan (exit 0), the warning says what changed, summary.json records it
    out = tmp_path / "out"
    assert main(["schedule", str(tight_mine), "--model", str(prof), "--horizon", "1", "--trainloads", "--time-limit", "0", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "rounded down at 2 fractional link-week(s), then 1 whole train(s) added back" in captured.err
    assert "rounding to the nearest would have rounded 2 up" in captured.err
    assert "Trainloads: rounded and repaired" in captured.out
    written = json.loads((out / "summary.json").read_text())["schedule"]["trainloads"]
    assert [(r["link"], r["rounded"], r["final"]) for r in written["rounding"]] == [("A", 0, 1), ("B", 0, 0)]


def test_a_mip_stopped_early_keeps_its_plan_and_reports_the_gap(monkeypatch, tmp_path, capsys):
    # HiGHS told to stop at its first improving plan (as a time limit would stop it later):
    # the plan is kept (status time_limit, method mip — no rounding), its gap is in
    # summary.json, the warning and the terminal.
    import supplyopt.engines.highs as highs

    given = highs.highs_option_values

    def first_plan_only(so, lp=None):
        values = given(so, lp)
        if lp is not None and lp.is_mip:
            values.update({"mip_max_improving_sols": 1, "presolve": "off", "mip_heuristic_effort": 0.0})
        return values

    monkeypatch.setattr(highs, "highs_option_values", first_plan_only)
    data = write_dataset(tmp_path / "stop", W, {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "P1", "kind": "demand"}, {"id": "P2", "kind": "demand"}],
        "supply": [{"node": "M", "capacity_t": 1000, "cost_cny_per_t": 10}],
        "links": [{"id": "A", "from": "M", "to": "P1", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 1, "distance_km": 10, "train_t": 37},
                  {"id": "B", "from": "M", "to": "P2", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 1, "distance_km": 10, "train_t": 23},
                  {"id": "R", "from": "M", "to": "P2", "mode": "truck", "capacity_t": "", "cost_cny_per_t": 5, "distance_km": 10, "train_t": ""},
                  {"id": "R1", "from": "M", "to": "P1", "mode": "truck", "capacity_t": "", "cost_cny_per_t": 6, "distance_km": 10, "train_t": ""}],
        "demand": [{"node": "P1", "demand_t": 175, "penalty_cny_per_t": 1000}, {"node": "P2", "demand_t": 275, "penalty_cny_per_t": 1000}],
        "storage": [{"node": "P1", "capacity_t": 100, "initial_t": 0, "holding_cny_per_t": 2}, {"node": "P2", "capacity_t": 100, "initial_t": 0, "holding_cny_per_t": 2}],
    })
    out = tmp_path / "out"
    assert main(["schedule", str(data), "--horizon", "3", "--trainloads", "--out", str(out)]) == 0
    info = json.loads((out / "summary.json").read_text())["schedule"]["trainloads"]
    assert info["method"] == "mip" and info["status"] == "time_limit" and info["mip_gap"] > 0
    captured = capsys.readouterr()
    assert f"stopped at the time limit with a plan {100 * info['mip_gap']:.2f} % from the best bound" in captured.err
    assert f"Trainloads: mip (gap {100 * info['mip_gap']:.2f} %)" in captured.out


def test_changes_are_listed_under_trainloads(tmp_path):
    # Last week's plan sent 50 t by B (5 CNY/t); A (1 CNY/t, trains of 10 t) saves 4 CNY/t,
    # more than the 2 × 1 CNY/t of change penalty: 5 trains on A, B dropped — in the MIP and in
    # the rounded-and-repaired fallback alike, and changes.csv lists both changes.
    data = write_dataset(tmp_path / "routes", W[:2], {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "P", "kind": "demand"}],
        "supply": [{"node": "M", "capacity_t": 100, "cost_cny_per_t": 10}],
        "links": [{"id": "A", "from": "M", "to": "P", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 1, "distance_km": 10, "train_t": 10},
                  {"id": "B", "from": "M", "to": "P", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 5, "distance_km": 10, "train_t": ""}],
        "demand": [{"node": "P", "demand_t": 50}],
    })
    prev = tmp_path / "last-week"
    prev.mkdir()
    (prev / "summary.json").write_text(json.dumps({"schedule": {"weeks": ["2026-W51", "2026-W52"], "committed_week": "2026-W51"}}))
    (prev / "flows.csv").write_text("link,product,period,flow_t\nB,coal,2026-W51,40\nB,coal,2026-W52,50\n")
    for extra in ([], ["--time-limit", "0"]):
        out = tmp_path / f"out{len(extra)}"
        assert main(["schedule", str(data), "--previous", str(prev), "--trainloads", "--quiet", "--out", str(out), *extra]) == 0
        assert (out / "changes.csv").read_text() == "link,product,week,previous_t,planned_t,change_t\nA,coal,2026-W52,0,50,50\nB,coal,2026-W52,50,0,-50\n"
        assert (out / "trains.csv").read_text().splitlines()[1:] == ["A,coal,2026-W52,10,5,50", "A,coal,2026-W53,10,5,50"]


# --------------------------------------------------------------------------- request plan
@pytest.fixture
def dispatch(tmp_path):
    """Mine M → loading station L by conveyor C; L → port Q by rail R1 on Daqin (trains of
    20,000 t); L → plant P1 by rail R2 (no corridor, trains of 5,000 t); Q → coastal plant P2
    by sea S; M → grid E by UHV line U (efficiency 0.95). Demand per week: P1 7,000 t, P2
    70,000 t, E 9,500 t (= 10,000 t sent down the line). Every link 1 CNY/t, mine 10 CNY/t:
    one way to serve each, so the flows are C 77,000, R1 70,000, R2 7,000, S 70,000, U 10,000."""
    return write_dataset(tmp_path / "dispatch", W, {
        "nodes": [{"id": "M", "kind": "mine", "name": "Mine M"}, {"id": "L", "kind": "hub", "name": "Loading L"}, {"id": "Q", "kind": "port", "name": "Port Q"},
                  {"id": "P1", "kind": "demand", "name": "Plant P1"}, {"id": "P2", "kind": "demand", "name": "Plant P2"}, {"id": "E", "kind": "demand", "name": "Grid E"}],
        "supply": [{"node": "M", "capacity_t": 200000, "cost_cny_per_t": 10}],
        "links": [{"id": "C", "from": "M", "to": "L", "mode": "conveyor", "train_t": "", "corridor": "", "efficiency": ""},
                  {"id": "R1", "from": "L", "to": "Q", "mode": "rail", "train_t": 20000, "corridor": "Daqin", "efficiency": ""},
                  {"id": "R2", "from": "L", "to": "P1", "mode": "rail", "train_t": 5000, "corridor": "", "efficiency": ""},
                  {"id": "S", "from": "Q", "to": "P2", "mode": "sea", "train_t": "", "corridor": "", "efficiency": ""},
                  {"id": "U", "from": "M", "to": "E", "mode": "uhv", "train_t": "", "corridor": "", "efficiency": 0.95}],
        "demand": [{"node": "P1", "demand_t": 7000}, {"node": "P2", "demand_t": 70000}, {"node": "E", "demand_t": 9500}],
    })


def _links_csv(folder: Path, **columns) -> None:
    links = pd.read_csv(folder / "links.csv", keep_default_na=False)
    for name, values in columns.items():
        links[name] = values
    links.to_csv(folder / "links.csv", index=False)


@pytest.fixture
def dispatch_data(dispatch):
    links = pd.read_csv(dispatch / "links.csv", keep_default_na=False)
    links["capacity_t"], links["cost_cny_per_t"], links["distance_km"] = "", 1, 10
    links.to_csv(dispatch / "links.csv", index=False)
    return dispatch


def test_request_plan_by_hand(dispatch_data, tmp_path, capsys):
    # Weeks: 2026-W52 (21–27 Dec, committed), 2026-W53 (28 Dec – 3 Jan: 4 days in Dec 下旬,
    # 3 in Jan 上旬), 2027-W01 (4–10 Jan, Jan 上旬). Rail only: R1 (L → Q) and R2 (L → P1).
    # R2, C70 (no corridor: the default), 70 t a wagon, trains of 5,000 t:
    #   W52 7,000 t → 100 wagons, 1.4 trains; Dec 下旬 7,000 × 4/7 = 4,000 t → ⌈57.1⌉ = 58
    #   wagons, 0.8 trains; Jan 上旬 3,000 + 7,000 = 10,000 t → ⌈142.9⌉ = 143 wagons, 2 trains.
    # R1, C80 (Daqin), 80 t a wagon, trains of 20,000 t: W52 70,000 t → 875 wagons, 3.5 trains;
    #   Dec 下旬 40,000 t → 500 wagons, 2 trains; Jan 上旬 30,000 + 70,000 = 100,000 t → 1,250
    #   wagons, 5 trains.
    # Sea S: 70,000 t a week at 50,000 t a call → ⌈1.4⌉ = 2 ship calls each week.
    # Not shipments in W52: conveyor C 77,000 t, UHV U 10,000 t.
    out = tmp_path / "out"
    assert main(["schedule", str(dispatch_data), "--out", str(out)]) == 0
    request = pd.read_csv(out / "request_plan.csv", keep_default_na=False)
    rows = request[["period", "period_kind", "from_date", "to_date", "days", "origin_station", "destination_station", "line",
                    "commodity", "wagon_type", "wagon_t", "wagons", "trains", "tonnes", "shipper", "consignee", "link"]].values.tolist()
    assert rows == [
        ["2026-W52", "committed week", "2026-12-21", "2026-12-27", 7, "L", "P1", "", "coal", "C70", 70, 100, 1.4, 7000, "Loading L", "Plant P1", "R2"],
        ["2026-W52", "committed week", "2026-12-21", "2026-12-27", 7, "L", "Q", "Daqin", "coal", "C80", 80, 875, 3.5, 70000, "Loading L", "Port Q", "R1"],
        ["2026-12 下旬", "ten-day", "2026-12-28", "2026-12-31", 4, "L", "P1", "", "coal", "C70", 70, 58, 0.8, 4000, "Loading L", "Plant P1", "R2"],
        ["2026-12 下旬", "ten-day", "2026-12-28", "2026-12-31", 4, "L", "Q", "Daqin", "coal", "C80", 80, 500, 2, 40000, "Loading L", "Port Q", "R1"],
        ["2027-01 上旬", "ten-day", "2027-01-01", "2027-01-10", 10, "L", "P1", "", "coal", "C70", 70, 143, 2, 10000, "Loading L", "Plant P1", "R2"],
        ["2027-01 上旬", "ten-day", "2027-01-01", "2027-01-10", 10, "L", "Q", "Daqin", "coal", "C80", 80, 1250, 5, 100000, "Loading L", "Port Q", "R1"],
    ]
    berth = pd.read_csv(out / "berth_plan.csv", keep_default_na=False)
    assert berth[["loading_port", "destination_port", "week", "committed", "tonnes", "ship_class", "ship_t", "ship_calls"]].values.tolist() == [
        ["Q", "P2", w, w == "2026-W52", 70000, "50–60k DWT", 50000, 2] for w in W]
    ship = pd.read_csv(out / "shipments.csv")
    assert dict(zip(ship.loc[ship["week"] == "2026-W52", "link"], ship.loc[ship["week"] == "2026-W52", "movement"])) == {
        "C": "conveyor", "R1": "rail", "R2": "rail", "S": "sea", "U": "uhv"}
    record = json.loads((out / "summary.json").read_text())["schedule"]["request_plan"]
    assert record["not_shipments_committed_t"] == pytest.approx({"conveyor": 77000, "uhv": 10000})
    assert record["committed_rail_t"] == 77000 and record["committed_wagons"] == 975 and record["committed_ship_calls"] == 2
    shown = capsys.readouterr().out
    assert "Not shipments in 2026-W52 (in shipments.csv, not in the request plan): conveyor 77,000 t, UHV 10,000 t" in shown
    assert "77,000 t in 975 wagons in 2026-W52" in shown and "70,000 t in 2 ship calls in 2026-W52" in shown


def test_ten_day_split_of_a_straddling_week():
    from supplyopt.workflows.request_plan import split_by_ten_days

    d = dt.date
    # 2026-W53 runs Mon 28 Dec – Sun 3 Jan: 4 days in December's 下旬, 3 in January's 上旬.
    assert split_by_ten_days("2026-W53") == [("2026-12 下旬", d(2026, 12, 28), d(2026, 12, 31), 4), ("2027-01 上旬", d(2027, 1, 1), d(2027, 1, 3), 3)]
    # 2027-W03 runs 18–24 Jan: 18–20 in 中旬 (3 days), 21–24 in 下旬 (4 days).
    assert split_by_ten_days("2027-W03") == [("2027-01 中旬", d(2027, 1, 18), d(2027, 1, 20), 3), ("2027-01 下旬", d(2027, 1, 21), d(2027, 1, 24), 4)]
    assert split_by_ten_days("2027-W02") == [("2027-01 中旬", d(2027, 1, 11), d(2027, 1, 17), 7)]
    assert split_by_ten_days("January") == [("January", None, None, None)]  # not an ISO week: kept whole


def test_whole_trains_are_split_whole(dispatch_data):
    # Under --trainloads a look-ahead week of 3 whole trains on R1 (20,000 t) straddling two
    # ten-day periods: cumulative days 4/7 → round(3 × 4/7 = 1.71) = 2 trains in Dec 下旬, the
    # other 1 in Jan 上旬 (with W01's 5 trains: 6). Tonnes follow: 40,000 and 120,000.
    from supplyopt import api
    from supplyopt.workflows.request_plan import request_plan

    net = api.load(dispatch_data)
    ship = pd.DataFrame({"origin": "L", "link": "R1", "destination": "Q", "mode": "rail", "movement": "rail", "product": "coal",
                         "week": W, "shipment_t": [60000.0, 60000.0, 100000.0], "trains": [3.0, 3.0, 5.0], "committed": [True, False, False]})
    plan = request_plan(ship, net, whole_trains=True)
    assert plan[["period", "trains", "tonnes", "wagons"]].values.tolist() == [["2026-W52", 3, 60000, 750], ["2026-12 下旬", 2, 40000, 500], ["2027-01 上旬", 6, 120000, 1500]]


def test_wagon_column_overrides_the_default_and_unknown_types_are_refused(dispatch_data, tmp_path, capsys):
    _links_csv(dispatch_data, wagon=["", "", "C96", "", ""])
    out = tmp_path / "out"
    assert main(["schedule", str(dispatch_data), "--horizon", "1", "--quiet", "--out", str(out)]) == 0
    request = pd.read_csv(out / "request_plan.csv").set_index("link")
    assert request.loc["R2", "wagon_type"] == "C96" and request.loc["R2", "wagons"] == 73  # ⌈7,000 ÷ 96 = 72.9⌉
    assert request.loc["R1", "wagon_type"] == "C80"
    _links_csv(dispatch_data, wagon=["", "", "C64", "", ""])
    assert main(["schedule", str(dispatch_data), "--horizon", "1", "--out", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert "links.csv, column wagon: 'C64' — unknown wagon type on link R2" in err and not (tmp_path / "bad").exists()


def test_request_workbook_is_byte_identical_and_holds_both_plans(dispatch_data, tmp_path):
    for name in ("one", "two"):
        assert main(["schedule", str(dispatch_data), "--quiet", "--out", str(tmp_path / name)]) == 0
    one, two = ((tmp_path / n / "request_plan.xlsx").read_bytes() for n in ("one", "two"))
    assert one == two
    sheets = pd.read_excel(io.BytesIO(one), sheet_name=None, keep_default_na=False)
    assert list(sheets) == ["request_plan", "berth_plan"]
    csv = pd.read_csv(tmp_path / "one" / "request_plan.csv", keep_default_na=False)
    assert sheets["request_plan"].astype(str).values.tolist() == csv.astype(str).values.tolist()
    assert len(sheets["berth_plan"]) == 3
    from openpyxl import load_workbook

    props = load_workbook(io.BytesIO(one)).properties
    assert props.created == props.modified == dt.datetime(2000, 1, 1)


def test_only_rail_goes_in_the_request_plan(dispatch_data, tmp_path):
    out = tmp_path / "out"
    assert main(["schedule", str(dispatch_data), "--quiet", "--out", str(out)]) == 0
    request = pd.read_csv(out / "request_plan.csv")
    assert set(request["link"]) == {"R1", "R2"}  # not the conveyor C, the sea link S or the UHV line U
    assert set(pd.read_csv(out / "berth_plan.csv")["link"]) == {"S"}


def test_rounded_down_without_a_plan_is_repaired_by_the_down_or_up_mip(tmp_path):
    # As tight_mine, but the mine must make at least 150 t (of up to 200 t) and has no road:
    # LP 0.75 + 0.75 trains (150 t, 75 t to each plant). Rounded down, 0 + 0 trains leave the
    # 150 t nowhere to go: no plan, and one train alone (100 t) is still below 150 t. The MIP
    # over rounding each down or up picks 1 + 1: 200 t made (2,000) and railed (200), 25 t
    # into each yard (2 × 25 × 2 = 100) = 2,300 CNY.
    data = write_dataset(tmp_path / "min", W[:1], {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "P1", "kind": "demand"}, {"id": "P2", "kind": "demand"}],
        "supply": [{"node": "M", "capacity_t": 200, "min_t": 150, "cost_cny_per_t": 10}],
        "links": [{"id": "A", "from": "M", "to": "P1", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 1, "distance_km": 10, "train_t": 100},
                  {"id": "B", "from": "M", "to": "P2", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 1, "distance_km": 10, "train_t": 100}],
        "demand": [{"node": "P1", "demand_t": 75}, {"node": "P2", "demand_t": 75}],
        "storage": [{"node": "P1", "capacity_t": 100, "initial_t": 0, "holding_cny_per_t": 2}, {"node": "P2", "capacity_t": 100, "initial_t": 0, "holding_cny_per_t": 2}],
    })
    s = schedule(data, profile(tmp_path, end_stock="free"), horizon=1, trainloads=True, time_limit_s=0)
    info = s.summary["schedule"]["trainloads"]
    assert info["method"] == "rounded and repaired" and info["repair"] == "bounded MIP" and info["rounded_down_objective"] is None
    assert s.summary["objective"] == pytest.approx(2300)
    assert [(r["link"], r["rounded"], r["final"]) for r in info["rounding"]] == [("A", 0, 1), ("B", 0, 1)]
    assert any("(no plan with them), then the MIP over rounding each down or up chose 2 whole train(s) added back" in w for w in s.warnings)


def test_a_failed_repair_is_no_plan_found_not_infeasible(tight_mine, tmp_path, monkeypatch):
    """When the MIP stopped without a plan and rounding finds none either, the run says "no
    plan found" (exit 4), not "infeasible" (exit 3): the plan in tonnes exists, and a
    whole-train plan may too (the MIP finds one given time)."""
    from supplyopt import study as api
    from supplyopt.workflows import trains

    def nothing(*args, **kwargs):
        raise api.NoPlan("infeasible", "no rounding of the trains gives a plan")

    monkeypatch.setattr(trains, "round_and_repair", nothing)
    with pytest.raises(api.NoPlan) as err:
        schedule(tight_mine, profile(tmp_path, end_stock="free"), horizon=1, trainloads=True, time_limit_s=0)
    assert err.value.status == "no_plan" and err.value.exit_code == 4 and "raise the time limit" in " ".join(err.value.lines()).lower()
