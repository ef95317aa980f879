"""What the terminal and the tables say agrees with the documentation and with hand-worked
figures: busiest links over every week, the flows.csv columns README.md lists, prices of
capacities that are worth something, days of cover exactly as docs/model.md defines it, and
HiGHS's harmless scaling notices in run.log only."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, solve_path, write_dataset

from supplyopt.engines.solver import split_highs_warnings
from supplyopt.model.options import load_options

NODES = [
    {"id": "m", "kind": "mine"}, {"id": "b", "kind": "mine"},
    {"id": "d1", "kind": "demand"}, {"id": "d2", "kind": "demand"},
]


def _cli(*args):
    proc = subprocess.run([sys.executable, "-m", "supplyopt.cli", *map(str, args)], cwd=REPO, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def busy(tmp_path_factory):
    """Link L (m → d1, 100 t per period) needed 100 t in periods 1–3 and nothing in 4."""
    folder = write_dataset(tmp_path_factory.mktemp("busy") / "busy", ["P1", "P2", "P3", "P4"], {
        "nodes": NODES[:1] + NODES[2:3],
        "supply": [{"node": "m", "product": "coal", "capacity_t": "", "cost_cny_per_t": 10}],
        "links": [{"id": "L", "from": "m", "to": "d1", "mode": "rail", "capacity_t": 100, "cost_cny_per_t": 1, "distance_km": 10}],
        "demand": [{"node": "d1", "product": "coal", "demand_t": 100, "period": ""}, {"node": "d1", "product": "coal", "demand_t": 0, "period": "P4"}],
    })
    out = folder.parent / "out"
    code, text = _cli("solve", folder, "--out", out)
    assert code == 0, text
    return folder, out, text


def test_busiest_links_count_weeks_without_flow(busy):
    _, _, text = busy
    # 300 t entered over 4 weeks of 100 t capacity: 300 / 400 = 75 %, peak 100 % (P1, the first full week)
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("L "))
    assert re.search(r"\b75 %\s+peak\s+100 % in P1", line), line


def test_flows_csv_has_the_columns_readme_lists(busy):
    _, out, _ = busy
    row = next(ln for ln in (REPO / "README.md").read_text(encoding="utf-8").splitlines() if ln.startswith("| `flows.csv` |"))
    listed = [c.strip() for c in row.split("|")[2].split("(+")[0].split(",")]
    header = pd.read_csv(out / "flows.csv", nrows=0).columns.tolist()
    assert header == listed
    flows = pd.read_csv(out / "flows.csv")
    assert (flows["distance_km"] == 10).all() and (~flows["truck"]).all() and flows["clean"].all()  # rail: not truck, clean
    assert np.allclose(flows["tkm"], flows["flow_t"] * flows["distance_km"])


def test_prices_list_only_capacities_worth_something(tmp_path):
    # d1 needs 80 t: 50 t from m over L1 (cap 50) at 100 + 10, the rest from b over L2 at 200 + 10.
    # One more tonne of L1 saves 210 − 110 = 100 CNY; one more tonne at d1 costs 210 (over L2,
    # which has room). d2 needs 30 t, all from m over L3 (cap 30, full): one more tonne of L3
    # saves nothing (d2 is served), a degenerate corner where a zero price must not be listed.
    folder = write_dataset(tmp_path / "p", ["P1"], {
        "nodes": NODES,
        "supply": [{"node": "m", "capacity_t": "", "cost_cny_per_t": 100}, {"node": "b", "capacity_t": "", "cost_cny_per_t": 200}],
        "links": [
            {"id": "L1", "from": "m", "to": "d1", "mode": "rail", "capacity_t": 50, "cost_cny_per_t": 10, "distance_km": 1},
            {"id": "L2", "from": "b", "to": "d1", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 10, "distance_km": 1},
            {"id": "L3", "from": "m", "to": "d2", "mode": "rail", "capacity_t": 30, "cost_cny_per_t": 10, "distance_km": 1},
            {"id": "L4", "from": "b", "to": "d2", "mode": "rail", "capacity_t": 30, "cost_cny_per_t": 10, "distance_km": 1},
        ],
        "demand": [{"node": "d1", "demand_t": 80}, {"node": "d2", "demand_t": 30}],
    })
    _, _, sol, plan = solve_path(folder)
    flows = plan.flows.set_index("link")["flow_t"]
    assert flows["L1"] == pytest.approx(50) and flows["L3"] == pytest.approx(30) and "L4" not in flows
    prices = plan.prices
    caps = prices[prices["kind"] != "delivery"].set_index("id")["price_cny_per_t"]
    assert caps["L1"] == pytest.approx(100.0)
    assert (caps != 0).all() and set(caps.index) <= {"L1", "L3"}
    delivery = prices[prices["kind"] == "delivery"].set_index("id")["price_cny_per_t"]
    assert delivery["d1"] == pytest.approx(210.0)


def test_no_zero_price_capacity_rows_although_links_are_full(tmp_path):
    # L is full (100 t of 100) but the demand it serves is only 100 t: one more tonne of
    # capacity saves nothing whichever dual HiGHS picks for this degenerate corner, unless it
    # prices the capacity, which must then be nonzero. Either way no zero-price row.
    folder = write_dataset(tmp_path / "z", ["P1", "P2"], {
        "nodes": NODES[:1] + NODES[2:3],
        "supply": [{"node": "m", "capacity_t": "", "cost_cny_per_t": 10}],
        "links": [{"id": "L", "from": "m", "to": "d1", "mode": "rail", "capacity_t": 100, "cost_cny_per_t": 1, "distance_km": 1}],
        "demand": [{"node": "d1", "demand_t": 100}],
    })
    _, _, _, plan = solve_path(folder)
    assert (plan.flows["utilisation"] == 1).all()
    caps = plan.prices[plan.prices["kind"] != "delivery"]
    assert (caps["price_cny_per_t"] != 0).all()


def test_days_of_cover_as_documented(tmp_path):
    # port s holds stock for d: stock ÷ (next period's demand ÷ period_days) at a demand
    # centre; elsewhere stock ÷ (average departures per period ÷ period_days).
    folder = write_dataset(tmp_path / "c", ["P1", "P2", "P3"], {
        "nodes": [{"id": "m", "kind": "mine"}, {"id": "s", "kind": "port"}, {"id": "d", "kind": "demand"}],
        "supply": [{"node": "m", "capacity_t": 0, "cost_cny_per_t": 10}],
        "links": [
            {"id": "ms", "from": "m", "to": "s", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 1, "distance_km": 1},
            {"id": "sd", "from": "s", "to": "d", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 1, "distance_km": 1},
        ],
        "demand": [{"node": "d", "demand_t": 70, "period": ""}, {"node": "d", "demand_t": 140, "period": "P2"}],
        "storage": [{"node": "s", "capacity_t": 1000, "initial_t": 500, "safety_t": 0, "holding_cny_per_t": 0, "end_t": 0}],
    }, period_days=7)
    opt = load_options(None)
    _, _, _, plan = solve_path(folder)
    st = plan.stocks.set_index(["node", "period"])
    # s starts with 500 t, sends 70, 140, 70: stock 430, 290, 220 ... end_t 0 is only a floor.
    # departures average (70 + 140 + 70) / 3 = 93.33 t per 7-day period = 13.33 t per day
    for period, stock in (("P1", 430.0), ("P2", 290.0), ("P3", 220.0)):
        assert st.loc[("s", period), "stock_t"] == pytest.approx(stock)
        assert st.loc[("s", period), "days_of_cover"] == pytest.approx(stock / (280 / 3 / 7))
    # a port's cover is shown but not flagged: the red/amber lines are for demand centres' yards
    assert (st["cover_status"] == "").all() and st["cover_red_days"].isna().all()
    assert opt.cover_days("power") == (7.0, 12.0) and opt.cover_days("no such class") == (opt.cover_red_days, opt.cover_amber_days)


def test_harmless_highs_scaling_notices_go_to_run_log_only(busy):
    notices = ["WARNING: Problem is badly scaled, which may compromise the speed", "WARNING: some other thing"]
    shown, logged = split_highs_warnings(notices, True, 0.0, 3e-13)
    assert shown == ["WARNING: some other thing"] and logged[0] == notices[0] and "harmless" in logged[-1]
    shown, logged = split_highs_warnings(notices, True, 1e-3, 0.0)  # a plan outside tolerance: shown, explained
    assert notices[0] in shown and logged == [] and "check units" in shown[-1]


def test_shanxi_terminal_has_no_highs_warnings_but_run_log_keeps_them(tmp_path):
    code, text = _cli("solve", REPO / "data/shanxi", "--out", tmp_path / "s")
    assert code == 0, text
    assert "WARNING" not in text and "badly scaled" not in text
    log = (tmp_path / "s" / "run.log").read_text()
    assert "harmless" in log and "solve solve" not in log
    summary = json.loads((tmp_path / "s" / "summary.json").read_text())
    assert summary["numerics"]["notes"] and not any("badly scaled" in w for w in summary["numerics"]["warnings"])
    prices = pd.read_csv(tmp_path / "s" / "prices.csv")
    assert (prices.loc[prices["kind"] != "delivery", "price_cny_per_t"] != 0).all()


def test_busiest_links_keep_links_on_no_corridor_apart():
    # Two Daqin links (the busier one stands for the corridor) and two links on no named corridor
    # (blank cell, as data/shanxi leaves sidings and conveyors): each of those is its own row,
    # not merged into one blank "corridor".
    from types import SimpleNamespace

    from supplyopt.reports.terminal import _busiest_links
    use = pd.DataFrame({"link": ["d1", "d2", "s1", "s2"], "corridor": ["Daqin", "Daqin", np.nan, ""],
                        "mean": [0.9, 0.8, 0.7, 0.6], "flow_t": [1.0, 1.0, 1.0, 1.0]})
    ranked = _busiest_links(SimpleNamespace(link_use=use))
    assert ranked["link"].tolist() == ["d1", "s1", "s2"]
