"""Actuals in, plan out (workflows/actuals.py, schedule --actuals): last week's receipts
reconciled with its committed plan, this week's opening stocks derived from them, the count
winning where there is one. Every figure worked out by hand in the comments."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import write_dataset

from supplyopt.cli import main
from supplyopt.io.data import DataError
from supplyopt.workflows.actuals import shipment_status
from supplyopt.workflows.schedule import schedule

WEEKS = ["2026-W50", "2026-W51", "2026-W52"]  # Mondays 2026-12-07, 12-14, 12-21


@pytest.fixture
def short_rail(tmp_path):
    """Mine M: 100 t/week at 10 CNY/t → rail (1 CNY/t) → plant P (demand 100 t/week, yard
    500 t from 100 t, end target 100 t). Mine N: 100 t/week at 20 CNY/t → truck (2 CNY/t) →
    P, the dear reserve. Yard Q (no links) holds 10 t. With M's 100 t a week the W50 plan
    must ship exactly 100 t on the rail every week (300 t needed, 300 t the mine can make)."""
    return write_dataset(tmp_path / "short_rail", WEEKS, {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "N", "kind": "mine"}, {"id": "P", "kind": "demand"}, {"id": "Q", "kind": "storage"}],
        "supply": [{"node": "M", "capacity_t": 100, "cost_cny_per_t": 10}, {"node": "N", "capacity_t": 100, "cost_cny_per_t": 20}],
        "links": [{"id": "rail", "from": "M", "to": "P", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 1, "distance_km": 10},
                  {"id": "truck", "from": "N", "to": "P", "mode": "truck", "capacity_t": "", "cost_cny_per_t": 2, "distance_km": 10}],
        "demand": [{"node": "P", "demand_t": 100}],
        "storage": [{"node": "P", "capacity_t": 500, "initial_t": 100, "safety_t": 0}, {"node": "Q", "capacity_t": 100, "initial_t": 10, "safety_t": 0}],
    })


def profile(tmp_path: Path) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump({"end_stock": "initial", "change_penalty_cny_per_t": 1}), encoding="utf-8")
    return path


def receipts(tmp_path: Path, rows: list[dict], name: str = "receipts.csv") -> Path:
    path = tmp_path / name
    pd.DataFrame(rows, columns=["link", "product", "week", "shipped_t", "received_t"]).to_csv(path, index=False)
    return path


@pytest.fixture
def last_week(short_rail, tmp_path):
    """The W50 run's results folder: 100 t on the rail in W50, P ends W50 with 100 t."""
    out = tmp_path / "w50"
    assert main(["schedule", str(short_rail), "--model", str(profile(tmp_path)), "--horizon", "3", "--out", str(out), "--quiet"]) == 0
    ships = pd.read_csv(out / "shipments.csv")
    assert ships.loc[ships["committed"], ["link", "shipment_t"]].values.tolist() == [["rail", 100]]
    return out


# --------------------------------------------------------------------------- the hand case
def test_a_short_rail_delivery_is_reconciled_and_made_up(short_rail, last_week, tmp_path, capsys):
    # Receipts: 70 t entered the rail in W50 (planned 100); received blank = 70 × efficiency 1.
    # Reconciliation: planned 100, actual 70, difference −30 t, −30 %, short (beyond max(1 t, 0.5 t)).
    # P's opening stock in W51 = planned end of W50 100 + (70 − 100 received) − (0 − 0 shipped) = 70 t,
    # 30 t lower than planned; Q = 10 + 0 − 0 = 10 t.
    # W51 run (W51–W52): P needs 100 + 100 + end target 100 − 70 = 230 t; M makes 200 (rail,
    # 11 CNY/t = 2,200), the 30 t missing come from N by truck (22 CNY/t = 660): 2,860 CNY, plus
    # 30 t changed against last week's look-ahead (truck 0 → 30) at 1 CNY/t = 30 → 2,890.
    rec = receipts(tmp_path, [{"link": "rail", "product": "", "week": "2026-W50", "shipped_t": 70, "received_t": ""}])
    out = tmp_path / "w51"
    assert main(["schedule", str(short_rail), "--model", str(profile(tmp_path)), "--start", "2026-W51", "--horizon", "2",
                 "--previous", str(last_week), "--actuals", str(rec), "--out", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "Actuals for 2026-W50 (reconciliation.csv): planned 100 t, shipped 70 t (-30 t, -30.00 %); 0 as planned, 1 short" in shown
    assert "Demand centres that received less than planned: P -30 t" in shown

    table = pd.read_csv(out / "reconciliation.csv")
    row = table.iloc[0]
    assert len(table) == 1 and (row["link"], row["from"], row["to"], row["mode"], row["product"], row["week"]) == ("rail", "M", "P", "rail", "coal", "2026-W50")
    assert (row["planned_t"], row["actual_t"], row["difference_t"], row["difference_pct"], row["status"]) == (100, 70, -30, -30, "short")
    assert (row["planned_received_t"], row["received_t"], row["received_difference_t"]) == (100, 70, -30)

    stocks = pd.read_csv(out / "stock_reconciliation.csv").set_index("node")
    assert stocks.loc["P", ["planned_t", "received_difference_t", "shipped_difference_t", "derived_t", "opening_t"]].tolist() == [100, -30, 0, 70, 70]
    assert stocks.loc["Q", "derived_t"] == 10 and (stocks["opening_from"] == "derived").all() and stocks["counted_t"].isna().all()

    traj = pd.read_csv(out / "stock_trajectory.csv").set_index(["node", "week"])
    assert traj.loc[("P", "2026-W51"), "opening_t"] == 70
    assert traj.loc[("P", "2026-W52"), "stock_t"] == pytest.approx(100)  # made up by the end of the window
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objective"] == pytest.approx(2890) and summary["unmet_t"] == pytest.approx(0)
    flows = pd.read_csv(out / "flows.csv").groupby("link")["flow_t"].sum()
    assert flows["rail"] == pytest.approx(200) and flows["truck"] == pytest.approx(30)
    a = summary["schedule"]["actuals"]
    assert (a["planned_t"], a["actual_t"], a["difference_t"]) == (100, 70, -30)
    assert a["links"] == {"as planned": 0, "short": 1, "over": 0, "not shipped": 0, "unplanned": 0}
    assert a["largest_deviations"][0] == {"link": "rail", "product": "coal", "planned_t": 100, "actual_t": 70, "difference_t": -30, "status": "short"}
    assert a["demand_centres_short"] == [{"node": "P", "product": "coal", "planned_received_t": 100, "received_t": 70, "difference_t": -30}]
    log = json.loads((out / "runs.jsonl").read_text().splitlines()[-1])
    assert log["inputs"]["actuals"] and log["inputs"]["previous/shipments.csv"]


def test_received_tonnes_and_unplanned_links(short_rail, last_week, tmp_path):
    # rail: 100 t entered, 95 t arrived (received_t given) → shipped as planned, received −5 t.
    # truck: 20 t from N, none planned → unplanned, +20 t. P opens W51 with
    # 100 + (95 − 100) + (20 − 0) = 115 t.
    rec = receipts(tmp_path, [{"link": "rail", "product": "coal", "week": "2026-W50", "shipped_t": 100, "received_t": 95},
                              {"link": "truck", "product": "coal", "week": "2026-W50", "shipped_t": 20, "received_t": ""}])
    s = schedule(short_rail, profile(tmp_path), start="2026-W51", horizon=2, previous=last_week, actuals=rec)
    t = s.actuals.table.set_index("link")
    assert t.loc["rail", "status"] == "as planned" and t.loc["rail", "received_difference_t"] == -5
    assert t.loc["truck", "status"] == "unplanned" and np.isnan(t.loc["truck", "difference_pct"]) and t.loc["truck", "received_t"] == 20
    assert s.actuals.stocks.set_index("node").loc["P", "derived_t"] == 115
    assert s.trajectory.set_index(["node", "week"]).loc[("P", "2026-W51"), "opening_t"] == 115


@pytest.mark.parametrize("planned, actual, status", [
    (1000, 995, "as planned"), (1000, 994, "short"), (1000, 1006, "over"),  # 0.5 % of 1,000 t = 5 t
    (100, 99, "as planned"), (100, 98.5, "short"),  # 1 t is the floor below 200 t
    (100, 0, "not shipped"), (0, 30, "unplanned"),
])
def test_as_planned_tolerance(planned, actual, status):
    assert shipment_status(np.array([planned], float), np.array([actual], float)).tolist() == [status]


def test_a_negative_derived_stock_is_clipped_and_named(tmp_path):
    # M → rail → yard Y (0 t, no end target above 0) → truck → plant P (100 t a week, no yard).
    # The W50 plan moves 100 t on both links, Y ends W50 empty. Receipts: 60 t on the rail,
    # 100 t on the truck: Y = 0 + (60 − 100) − (100 − 100) = −40 t, clipped to 0 with a warning
    # naming Y (100 t left a yard that received 60: a booking error or a miscounted yard).
    data = write_dataset(tmp_path / "via_yard", WEEKS, {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "Y", "kind": "storage"}, {"id": "P", "kind": "demand"}],
        "supply": [{"node": "M", "capacity_t": 100, "cost_cny_per_t": 10}],
        "links": [{"id": "rail", "from": "M", "to": "Y", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 1, "distance_km": 10},
                  {"id": "truck", "from": "Y", "to": "P", "mode": "truck", "capacity_t": "", "cost_cny_per_t": 2, "distance_km": 10}],
        "demand": [{"node": "P", "demand_t": 100}],
        "storage": [{"node": "Y", "capacity_t": 500, "initial_t": 0, "safety_t": 0}],
    })
    prof = profile(tmp_path)
    prev = tmp_path / "w50"
    assert main(["schedule", str(data), "--model", str(prof), "--horizon", "3", "--out", str(prev), "--quiet"]) == 0
    rec = receipts(tmp_path, [{"link": "rail", "product": "", "week": "2026-W50", "shipped_t": 60, "received_t": ""},
                              {"link": "truck", "product": "", "week": "2026-W50", "shipped_t": 100, "received_t": ""}])
    s = schedule(data, prof, start="2026-W51", horizon=2, previous=prev, actuals=rec)
    y = s.actuals.stocks.set_index("node").loc["Y"]
    assert (y["planned_t"], y["received_difference_t"], y["shipped_difference_t"], y["derived_t"]) == (0, -40, 0, 0)
    assert s.actuals.summary["opening_stocks"]["clipped_at_zero"] == ["Y/coal"]
    assert any("derived opening stock of Y/coal is -40 t" in w and "clipped to 0" in w for w in s.warnings)


# --------------------------------------------------------------------------- the count wins
def test_a_counted_stock_wins_and_the_difference_is_unexplained(short_rail, last_week, tmp_path, capsys):
    # Same 70 t delivery: P derived 70 t, but the yard is counted at 60 t → the count wins,
    # unexplained −10 t (a loss). Q is not counted: it opens with its derived 10 t.
    # W51 needs 100 + 100 + 100 − 60 = 240 t: M 200 by rail (2,200), N 40 by truck (880), and
    # 40 t changed against last week's look-ahead (40 CNY): 3,120 CNY.
    rec = receipts(tmp_path, [{"link": "rail", "product": "", "week": "2026-W50", "shipped_t": 70, "received_t": ""}])
    snap = tmp_path / "snapshot.csv"
    snap.write_text("node,product,stock_t,as_of\nP,coal,60,2026-12-14\n", encoding="utf-8")
    out = tmp_path / "w51"
    assert main(["schedule", str(short_rail), "--model", str(profile(tmp_path)), "--start", "2026-W51", "--horizon", "2",
                 "--previous", str(last_week), "--actuals", str(rec), "--snapshot", str(snap), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "1 stock(s) not in the snapshot keep the stock derived from --actuals: Q/coal" in captured.err
    assert "1 derived from the actuals, 1 counted (the count wins)" in captured.out and "counted − derived -10 t unexplained" in captured.out
    stocks = pd.read_csv(out / "stock_reconciliation.csv").set_index("node")
    assert stocks.loc["P", ["derived_t", "counted_t", "unexplained_t", "opening_t"]].tolist() == [70, 60, -10, 60]
    assert stocks.loc["P", "opening_from"] == "counted" and stocks.loc["Q", "opening_from"] == "derived" and stocks.loc["Q", "opening_t"] == 10
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objective"] == pytest.approx(3120)
    o = summary["schedule"]["actuals"]["opening_stocks"]
    assert (o["counted"], o["derived"], o["unexplained_t"]) == (1, 1, -10)
    assert o["largest_unexplained"] == [{"node": "P", "product": "coal", "derived_t": 70, "counted_t": 60, "unexplained_t": -10}]


# --------------------------------------------------------------------------- bad receipts
def test_bad_receipts_are_named_at_once(short_rail, last_week, tmp_path, capsys):
    rec = receipts(tmp_path, [
        {"link": "rial", "product": "", "week": "2026-W50", "shipped_t": 70, "received_t": ""},  # 1: did you mean 'rail'?
        {"link": "rail", "product": "", "week": "2026-W49", "shipped_t": 70, "received_t": ""},  # 2: not the committed week
        {"link": "rail", "product": "COAL ", "week": "2026-W50", "shipped_t": 70, "received_t": ""},  # 3: product 'COAL' unknown; and a duplicate of 2
        {"link": "truck", "product": "", "week": "2026-W50", "shipped_t": -5, "received_t": ""},  # 4: negative
        {"link": "truck", "product": "coking", "week": "2026-W50", "shipped_t": "lots", "received_t": -1},  # 5: product, number, negative
        {"link": "rail", "product": "coal", "week": "2026-W50", "shipped_t": "", "received_t": ""},  # 6: blank, duplicate of 2
    ])
    out = tmp_path / "w51"
    assert main(["schedule", str(short_rail), "--start", "2026-W51", "--horizon", "2", "--previous", str(last_week), "--actuals", str(rec), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and not out.exists()
    for words in [
        "receipts.csv row 1, column link: 'rial' — unknown link (did you mean 'rail'?); expected a link id from links.csv",
        "receipts.csv row 2, column week: '2026-W49' — expected 2026-W50, the week --previous committed",
        "receipts.csv row 3, column product: 'COAL' — unknown product (did you mean 'coal'?)",
        "receipts.csv row 3, column link: 'rail' — duplicate row for rail/COAL: row 2 already reports it",
        "receipts.csv row 4, column shipped_t: '-5' — is negative; expected a number ≥ 0",
        "receipts.csv row 5, column product: 'coking' — unknown product",
        "receipts.csv row 5, column shipped_t: 'lots'",
        "receipts.csv row 5, column received_t: '-1' — is negative",
        "receipts.csv row 6, column shipped_t — blank; expected the tonnes that entered the link",
        "receipts.csv row 6, column link: 'rail' — duplicate row for rail/coal: row 2 already reports it",
    ]:
        assert words in err, words


def test_header_only_receipts_are_refused(short_rail, last_week, tmp_path, capsys):
    rec = receipts(tmp_path, [])
    assert main(["schedule", str(short_rail), "--start", "2026-W51", "--horizon", "2", "--previous", str(last_week), "--actuals", str(rec), "--out", str(tmp_path / "o")]) == 2
    assert "receipts.csv — nothing reported: the file has a header but no data rows" in capsys.readouterr().err


def test_actuals_need_previous(short_rail, tmp_path, capsys):
    rec = receipts(tmp_path, [{"link": "rail", "product": "", "week": "2026-W50", "shipped_t": 70, "received_t": ""}])
    out = tmp_path / "w51"
    assert main(["schedule", str(short_rail), "--start", "2026-W51", "--actuals", str(rec), "--out", str(out)]) == 2
    assert "--actuals" in (err := capsys.readouterr().err) and "needs --previous LASTWEEK_DIR" in err
    assert not out.exists()
    with pytest.raises(DataError):
        schedule(short_rail, start="2026-W51", actuals=rec)


def test_actuals_must_be_of_the_week_just_before(short_rail, last_week, tmp_path, capsys):
    # --previous committed W50; a run for W52 would skip W51's movements.
    rec = receipts(tmp_path, [{"link": "rail", "product": "", "week": "2026-W50", "shipped_t": 70, "received_t": ""}])
    assert main(["schedule", str(short_rail), "--start", "2026-W52", "--horizon", "1", "--previous", str(last_week), "--actuals", str(rec), "--out", str(tmp_path / "o")]) == 2
    assert "--previous committed 2026-W50, not the week before this run's first week 2026-W52" in capsys.readouterr().err


def test_roll_replays_simulated_deviations(tmp_path):
    """roll --deviation: each committed week realised short (planned × (1 − u) per link, u in
    [0, share], seeded) — less coal moved than planned, the same figures for the same seed, the
    plain roll for share 0, and a share outside [0, 1) refused."""
    from conftest import REPO

    from supplyopt.workflows.roll import roll

    data, model = REPO / "data/shanxi", REPO / "models/default.yaml"
    plain = roll(data, model, weeks=3, horizon=3)
    same = roll(data, model, weeks=3, horizon=3, deviation=0.0)
    assert same.summary["rolled_cost"] == pytest.approx(plain.summary["rolled_cost"], rel=1e-12) and "deviation" not in same.summary
    a = roll(data, model, weeks=3, horizon=3, deviation=0.2, seed=7)
    b = roll(data, model, weeks=3, horizon=3, deviation=0.2, seed=7)
    d = a.summary["deviation"]
    assert d["realised_t"] < d["planned_t"] and d["realised_t"] >= 0.8 * d["planned_t"] - 1e-6
    assert a.weeks["realised_t"].tolist() == b.weeks["realised_t"].tolist()
    assert a.summary["rolled_unmet_t"] >= plain.summary["rolled_unmet_t"]
    with pytest.raises(DataError):
        roll(data, model, weeks=2, horizon=2, deviation=1.5)
