"""schedule --days: the committed week day by day, on hand cases worked out here.

The case: a mine (1,400 t a week: 200 t a day), a port and a plant across the sea. Rail mine →
port, 100-t trains, `paths_per_day` train paths a day; sea port → plant. The port holds 100 t,
the plant 300 t; the plant burns 500 t a week. A 500-t ship calls at the port on day 2,
demurrage 1,000 CNY a day. The weekly plan moves the week's coal as one bucket; loading the ship
on its arrival day would need 400 t by rail in two days — four trains on one path a day. By
hand: with one path a day the port holds 100 + 100 d after day d, so the ship is loaded on day 4
(100 + 400 = 500) and waits 2 days (2,000 CNY); with two paths a day it is loaded on its arrival
day (100 + 2 × 200 = 500) and waits none.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import write_dataset

from supplyopt.cli import main
from supplyopt.io.data import DataError
from supplyopt.workflows.schedule import schedule


def port_case(folder, paths=1, loading=None, trainsets=None, cycle=None):
    rail = {"id": "rail", "from": "mine", "to": "port", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 10, "distance_km": 100, "train_t": 100,
            "paths_per_day": paths, "trainsets": trainsets if trainsets is not None else "", "cycle_days": cycle if cycle is not None else ""}
    sea = {"id": "sea", "from": "port", "to": "plant", "mode": "sea", "capacity_t": "", "cost_cny_per_t": 20, "distance_km": 1000, "train_t": "",
           "paths_per_day": "", "trainsets": "", "cycle_days": ""}
    nodes = [{"id": "mine", "kind": "mine", "name": "Mine", "loading_t_per_day": loading if loading is not None else ""},
             {"id": "port", "kind": "port", "name": "Port", "loading_t_per_day": ""}, {"id": "plant", "kind": "demand", "name": "Plant", "loading_t_per_day": ""}]
    write_dataset(folder, ["2027-W01", "2027-W02"], {
        "nodes": nodes,
        "supply": [{"node": "mine", "capacity_t": 1400, "cost_cny_per_t": 0}],
        "demand": [{"node": "plant", "demand_t": 500}],
        "links": [rail, sea],
        "storage": [{"node": "port", "capacity_t": 10000, "initial_t": 100, "safety_t": 0, "holding_cny_per_t": 0},
                    {"node": "plant", "capacity_t": 2000, "initial_t": 300, "safety_t": 0, "holding_cny_per_t": 0}],
    })
    calls = folder / "calls.csv"
    calls.write_text("ship,link,size_t,arrival_day,demurrage_cny_per_day\nS1,sea,500,2,1000\n")
    return folder, calls


def day_flows(sched, link):
    d = sched.days.days
    return d[d["link"] == link].set_index("day")["flow_t"]


def test_a_ship_waits_for_the_trains_one_path_a_day_can_bring(tmp_path):
    data, calls = port_case(tmp_path / "case", paths=1)
    sched = schedule(str(data), horizon=2, days=True, calls=str(calls))
    call = sched.days.calls.iloc[0]
    assert call["loaded_day"] == "2027-W01-D4" and call["waited_days"] == 2 and call["demurrage_cny"] == 2_000
    rail = day_flows(sched, "rail")
    assert rail.max() <= 100 + 1e-9  # one path a day, never more
    assert rail.reindex(["2027-W01-D1", "2027-W01-D2", "2027-W01-D3", "2027-W01-D4"]).sum() == pytest.approx(400)
    assert day_flows(sched, "sea").to_dict() == {"2027-W01-D4": pytest.approx(500)}  # the ship, whole
    assert sched.summary["schedule"]["days"]["demurrage_cny"] == 2_000


def test_two_paths_a_day_load_the_ship_on_arrival(tmp_path):
    data, calls = port_case(tmp_path / "case", paths=2)
    sched = schedule(str(data), horizon=2, days=True, calls=str(calls))
    call = sched.days.calls.iloc[0]
    assert call["loaded_day"] == "2027-W01-D2" and call["waited_days"] == 0 and call["demurrage_cny"] == 0
    assert day_flows(sched, "rail").max() <= 200 + 1e-9


def test_loading_window_and_trainsets(tmp_path):
    """A 60 t a day loading window at the mine caps rail at 60 t a day (the ship then waits to
    day 7: 100 + 6 × 60 = 460 < 500 after day 6, 520 after day 7); one trainset on a 2-day round
    trip makes 3 trains in 7 days (⌊1 × 7 ÷ 2⌋), so at most 300 t the whole week."""
    data, calls = port_case(tmp_path / "w", paths=2, loading=60)
    sched = schedule(str(data), horizon=2, days=True, calls=str(calls))
    assert day_flows(sched, "rail").max() <= 60 + 1e-9
    assert sched.days.calls.iloc[0]["loaded_day"] == "2027-W01-D7"
    data, calls = port_case(tmp_path / "t", paths=2, trainsets=1, cycle=2)
    sched = schedule(str(data), horizon=2, days=True)
    rail = day_flows(sched, "rail")
    assert rail.sum() <= 300 + 1e-9 and rail.max() <= 100 + 1e-9  # one trainset: one train a day at most


def test_weekly_capacity_counts_the_paths(tmp_path):
    """One 100-t path a day is 700 t a week, also for the weekly plan (and solve)."""
    import supplyopt

    data, _ = port_case(tmp_path / "case", paths=1)
    net = supplyopt.load(data)
    assert set(net.link_periods.loc[net.link_periods["link"] == "rail", "capacity_t"]) == {700}


def test_bad_calls_and_columns_are_named_at_once(tmp_path):
    data, _ = port_case(tmp_path / "case")
    bad = tmp_path / "bad_calls.csv"
    bad.write_text("ship,link,size_t,arrival_day,demurrage_cny_per_day\nS1,rail,500,9,x\nS1,sea,-5,2,0\n")
    with pytest.raises(DataError) as err:
        schedule(str(data), horizon=2, calls=str(bad))
    got = sorted((p.row, p.column) for p in err.value.problems)
    assert got == [(1, "arrival_day"), (1, "demurrage_cny_per_day"), (1, "link"), (2, "ship"), (2, "size_t")]
    rows = pd.read_csv(data / "links.csv")
    rows.loc[rows["id"] == "rail", "train_t"] = None
    rows.to_csv(data / "links.csv", index=False)
    with pytest.raises(DataError) as err:
        schedule(str(data), horizon=2, days=True)
    assert any("has no train_t" in p.message for p in err.value.problems), [p.message for p in err.value.problems]


def test_cli_writes_the_days(tmp_path):
    data, calls = port_case(tmp_path / "case")
    out = tmp_path / "out"
    assert main(["schedule", str(data), "--horizon", "2", "--calls", str(calls), "--out", str(out), "--quiet"]) == 0
    days = pd.read_csv(out / "days.csv")
    assert {"link", "product", "day", "flow_t"} <= set(days.columns)
    assert pd.read_csv(out / "ship_calls.csv")["loaded_day"].tolist() == ["2027-W01-D4"]


def test_the_request_plan_orders_the_committed_week_by_day(tmp_path):
    """With --days the railway request plan's committed-week rows are the day plan's trains,
    one row per day with its date (2027-W01 begins Monday 2027-01-04); the look-ahead keeps its
    ten-day rows."""
    data, calls = port_case(tmp_path / "case")
    out = tmp_path / "out"
    assert main(["schedule", str(data), "--horizon", "2", "--calls", str(calls), "--out", str(out), "--quiet"]) == 0
    req = pd.read_csv(out / "request_plan.csv", dtype={"period": str})
    days = req[req["period_kind"] == "day"]
    assert len(days) >= 4 and set(days["days"]) == {1} and (days["trains"] == 1).all() and (days["tonnes"] == 100).all()
    assert days.iloc[0]["period"] == "2027-W01-D1" and days.iloc[0]["from_date"] == "2027-01-04"
    assert "2027-W01" not in set(req["period"]) and (req["period_kind"] == "ten-day").any()


def test_calls_are_read_like_the_data_set(tmp_path):
    """A full-width digit in calls.csv (typed in a Chinese input method) is read as meant, with
    a warning, as in the data set; a mistyped link gets a did-you-mean."""
    data, _ = port_case(tmp_path / "case")
    wide = tmp_path / "wide.csv"
    wide.write_text("ship,link,size_t,arrival_day,demurrage_cny_per_day\nS1,sea,５００,２,1000\n", encoding="utf-8")
    sched = schedule(str(data), horizon=2, calls=str(wide))
    assert sched.days.calls.iloc[0]["loaded_day"] == "2027-W01-D4"
    assert any("wide.csv" in w for w in sched.warnings)
    typo = tmp_path / "typo.csv"
    typo.write_text("ship,link,size_t,arrival_day,demurrage_cny_per_day\nS1,seaa,500,2,1000\n")
    with pytest.raises(DataError) as err:
        schedule(str(data), horizon=2, calls=str(typo))
    assert "did you mean 'sea'" in err.value.problems[0].message
