"""Staged investment over years (invest --years): a two-year hand case whose best schedule is
enumerated independently (every build year or never, for each candidate, each year's plan a
networkx min-cost flow with the open candidates as ordinary arcs), under four budget paths and
two commissioning lags; years.csv read and refused as documented; the CLI's options.

The hand case: one mine, one plant, 365-day periods (so a year's cost is the period's cost).
Road 50 CNY/t (unlimited), rail 25 CNY/t (30 t). Demand 100 t in 2027, 300 t in 2028
(years.csv scale 3). Candidates (rate 0, 10 years: annual charge = build cost / 10):
  siding  — new rail link at 20 CNY/t, build 40,000 → charge 4,000 a year
  upgrade — +50 t on the rail link, build 10,000 → charge 1,000 a year
By hand: the siding saves 2,250 in 2027 (100 t at 20 against 30 × 25 + 70 × 50 = 4,250) and
8,250 in 2028 (6,000 against 14,250): it pays in 2028 only, so with no budget limit it is paid
for and opened in 2028 (saves 8,250 − 4,000 = 4,250). With 2027's money only (2028's budget 0)
it is built in 2027 (−1,750 + 4,250 = 2,500 > 0): building early pays only under that path.
"""

from __future__ import annotations

import itertools
import json

import networkx as nx
import pytest
from conftest import write_dataset

from supplyopt.cli import main
from supplyopt.io.data import DataError
from supplyopt.workflows.invest_years import staged_invest

YEARS = [2027, 2028]
DEMAND = {2027: 100, 2028: 300}
CANDS = {"siding": 40_000, "upgrade": 10_000}


def hand_case(folder, years_rows=None, extra_cands=()):
    cands = [
        {"id": "siding", "kind": "new_link", "link": "", "from": "mine", "to": "plant", "mode": "rail", "distance_km": 100, "cost_cny_per_t": 20,
         "capacity_t": 10_000, "build_cost_cny": 40_000, "lifetime_years": 10, "discount_rate": 0, "fixed_om_cny_per_year": 0, "excludes": ""},
        {"id": "upgrade", "kind": "link_capacity", "link": "rail", "from": "", "to": "", "mode": "", "distance_km": "", "cost_cny_per_t": "",
         "capacity_t": 50, "build_cost_cny": 10_000, "lifetime_years": 10, "discount_rate": 0, "fixed_om_cny_per_year": 0, "excludes": ""},
        *extra_cands,
    ]
    return write_dataset(folder, ["Y"], {
        "nodes": [{"id": "mine", "kind": "mine", "name": "Mine"}, {"id": "plant", "kind": "demand", "name": "Plant"}],
        "supply": [{"node": "mine", "capacity_t": 1000, "cost_cny_per_t": 0}],
        "demand": [{"node": "plant", "demand_t": 100}],
        "links": [{"id": "road", "from": "mine", "to": "plant", "mode": "truck", "capacity_t": "", "cost_cny_per_t": 50, "distance_km": 100},
                  {"id": "rail", "from": "mine", "to": "plant", "mode": "rail", "capacity_t": 30, "cost_cny_per_t": 25, "distance_km": 100}],
        "candidates": cands,
        "years": years_rows if years_rows is not None else [{"year": 2027, "what": "demand", "scale": 1.0}, {"year": 2028, "what": "demand", "scale": 3.0}],
    }, period_days=365)


def operating_cost(demand: float, open_: set[str], road_t: int = 10**6) -> float:
    """A year's transport cost by networkx min-cost flow (integer tonnes and costs); inf when
    the demand cannot be carried."""
    g = nx.DiGraph()
    g.add_node("mine", demand=-int(demand))
    g.add_node("plant", demand=int(demand))
    g.add_edge("mine", "road", weight=50, capacity=road_t)
    g.add_edge("road", "plant", weight=0)
    g.add_edge("mine", "rail", weight=25, capacity=30 + (50 if "upgrade" in open_ else 0))
    g.add_edge("rail", "plant", weight=0)
    if "siding" in open_:
        g.add_edge("mine", "siding", weight=20, capacity=10_000)
        g.add_edge("siding", "plant", weight=0)
    try:
        return float(nx.min_cost_flow_cost(g))
    except nx.NetworkXUnfeasible:
        return float("inf")


def best_schedule(annual=None, budget=None, lag=0, road_t=10**6):
    """Every schedule (each candidate: a build year or never), its present value (rate 0):
    each year's operating cost + annual charge (build cost / 10) of the open candidates."""
    options = [None, *YEARS]
    best = None
    for pick in itertools.product(options, repeat=len(CANDS)):
        sched = {c: y for c, y in zip(CANDS, pick) if y is not None}
        if any(y + lag > YEARS[-1] for y in sched.values()):
            continue  # opens after the plan: not offered
        if budget is not None and sum(CANDS[c] for c in sched) > budget:
            continue
        if annual and any(sum(CANDS[c] for c, y in sched.items() if y == yr) > annual.get(yr, float("inf")) for yr in YEARS):
            continue
        total = 0.0
        for yr in YEARS:
            open_ = {c for c, y in sched.items() if y + lag <= yr}
            total += operating_cost(DEMAND[yr], open_, road_t) + sum(CANDS[c] / 10 for c in open_)
        if best is None or total < best[0] - 1e-9:
            best = (total, sched)
    return best


@pytest.mark.parametrize("annual,budget,lag", [
    (None, None, 0),
    ({2027: 40_000, 2028: 0}, None, 0),  # building early is the only way to build: it pays
    ({2027: 0, 2028: 40_000}, None, 0),
    (None, 10_000, 0),  # only the upgrade fits
    (None, None, 1),  # paid in 2027, opens in 2028
    ({2027: 0}, None, 1),  # nothing can open within the plan
])
def test_schedule_equals_enumeration(tmp_path, annual, budget, lag):
    data = hand_case(tmp_path / "case")
    inv = staged_invest(str(data), "2027:2028", budget=budget, annual_budget=annual, lag_years=lag, discount_rate=0.0, mip_gap=1e-9)
    want_pv, want = best_schedule(annual, budget, lag)
    got = {s["candidate"]: s["build_year"] for s in inv.summary["schedule"]}
    assert got == want
    assert inv.summary["present_value_cny"] == pytest.approx(want_pv, abs=1e-6)
    # what the cash flow table says sums to what the objective saves
    assert inv.cash_flow["present_value_saved_cny"].sum() == pytest.approx(inv.summary["present_value_saved_cny"], abs=1e-6)


def test_hand_figures_and_cash_flow(tmp_path):
    """The docstring's arithmetic: no limit → siding paid and opened 2028; 2027's money only →
    built in 2027, its 2027 cash: −40,000 capital + 2,250 saved."""
    data = hand_case(tmp_path / "case")
    free = staged_invest(str(data), "2027:2028", lag_years=0, discount_rate=0.0, mip_gap=1e-9)
    assert free.summary["schedule"] == [{"candidate": "siding", "build_year": 2028, "opens": 2028}]
    assert free.summary["present_value_saved_cny"] == pytest.approx(4_250)
    early = staged_invest(str(data), "2027:2028", annual_budget={2027: 40_000, 2028: 0}, lag_years=0, discount_rate=0.0, mip_gap=1e-9)
    assert early.summary["schedule"] == [{"candidate": "siding", "build_year": 2027, "opens": 2027}]
    assert early.summary["present_value_saved_cny"] == pytest.approx(-1_750 + 4_250)
    cf = early.cash_flow.set_index("year")
    assert cf.loc[2027, "capital_cny"] == 40_000 and cf.loc[2027, "cash_savings_cny"] == pytest.approx(2_250)
    assert cf.loc[2027, "net_cash_flow_cny"] == pytest.approx(2_250 - 40_000)
    assert cf.loc[2028, "capital_cny"] == 0 and cf.loc[2028, "cash_savings_cny"] == pytest.approx(8_250)
    assert cf.loc[2028, "annual_charge_cny"] == pytest.approx(4_000)


def test_discounting_moves_the_charge(tmp_path):
    """At 10 %, 2028 weighs 1/1.1: the free schedule's present value saved is 4,250 / 1.1."""
    data = hand_case(tmp_path / "case")
    inv = staged_invest(str(data), "2027:2028", lag_years=0, discount_rate=0.10, mip_gap=1e-9)
    assert inv.summary["present_value_saved_cny"] == pytest.approx(4_250 / 1.1)


def test_budget_never_exceeded_by_tolerance(tmp_path):
    """A budget 1 CNY short of the siding: the siding is not built (a solver tolerance of a few
    CNY in the million-CNY budget row would let it through)."""
    data = hand_case(tmp_path / "case")
    inv = staged_invest(str(data), "2027:2028", budget=39_999, lag_years=0, discount_rate=0.0, mip_gap=1e-9)
    assert "siding" not in {s["candidate"] for s in inv.summary["schedule"]}
    assert inv.summary["build_cost_cny"] <= 39_999


def test_interpolated_path_and_flat_outside(tmp_path):
    """years.csv gives 2027 ×1 and 2029 ×3: 2028 reads ×2 (a straight line); 2030 stays ×3."""
    from supplyopt import load
    from supplyopt.io.years import year_edits

    data = hand_case(tmp_path / "case", years_rows=[{"year": 2027, "what": "demand", "scale": 1.0}, {"year": 2029, "what": "demand", "scale": 3.0}])
    paths, notes = year_edits(load(data, count_candidates=True), [2027, 2028, 2029, 2030])
    assert paths[2027][0] == []
    assert paths[2028][0] == [{"what": "demand", "scale": 2.0}]
    assert paths[2030][0] == [{"what": "demand", "scale": 3.0}]
    assert any("2030" in n for n in notes)


def test_bad_years_file_lists_every_problem(tmp_path):
    data = hand_case(tmp_path / "case", years_rows=[
        {"year": 2027.5, "what": "demand", "node": "", "scale": 1.0},
        {"year": 2028, "what": "output", "node": "", "scale": 1.0},
        {"year": 2028, "what": "demand", "node": "mine", "scale": -1},
        {"year": 2029, "what": "mine_output", "node": "plant", "scale": 1.0},
        {"year": 2029, "what": "mine_output", "node": "plant", "scale": 2.0},
    ])
    with pytest.raises(DataError) as err:
        staged_invest(str(data), "2027:2029")
    text = str(err.value) + " ".join(p.message for p in err.value.problems)
    cols = sorted((p.row, p.column) for p in err.value.problems)
    assert cols == [(1, "year"), (2, "what"), (3, "node"), (3, "scale"), (4, "node"), (5, "node"), (5, "year")], text


def test_cli_staged_and_its_refusals(tmp_path, capsys):
    data = hand_case(tmp_path / "case")
    out = tmp_path / "out"
    rc = main(["invest", str(data), "--years", "2027:2028", "--annual-budget", "2027=40000", "--annual-budget", "2028=0", "--lag-years", "0",
               "--discount-rate", "0", "--mip-gap", "1e-9", "--out", str(out), "--json"])
    assert rc == 0
    s = json.loads(capsys.readouterr().out)
    assert s["schedule"] == [{"candidate": "siding", "build_year": 2027, "opens": 2027}]
    assert (out / "cash_flow.csv").exists() and (out / "schedule.csv").exists()
    for bad in (["--years", "2027"], ["--years", "2027:2028", "--annual-budget", "x=1"], ["--years", "2027:2028", "--annual-budget", "2031=5"],
                ["--years", "2027:2028", "--budget", "5", "--lag-years", "-1"], ["--years", "2027:2028", "--budget", "5", "--discount-rate", "1.5"],
                ["--budget", "5", "--lag-years", "1", "--scenarios", "x.yaml"], ["--years", "2027:2028"]):
        rc = main(["invest", str(data), *bad, "--out", str(tmp_path / "no")])
        assert rc == 2, bad
        assert not (tmp_path / "no").exists()


def test_a_season_is_named_as_the_basis():
    """The winter set (13 weeks) carries a warning that its savings are scaled from a season;
    the planning year (52 weeks) does not."""
    from conftest import REPO

    from supplyopt import load
    from supplyopt.model.candidates import year_basis

    winter = year_basis(load(REPO / "data/shanxi", count_candidates=True))
    assert winter["horizon_days"] == 91 and not winter["full_year"] and "scaled ×4.01" in winter["warning"]
    year = year_basis(load(REPO / "data/shanxi-year", count_candidates=True))
    assert year["full_year"] and year["warning"] is None


ROAD_CAP = '''
import pyomo.environ as pyo


def extra_functionality(model, network, options):
    """At most 50 t a year by road (a local truck ban)."""
    model.road_cap = pyo.Constraint(expr=sum(model.flow[l, p, t] for l, p, t in model.FLOWS if l == "road") <= 50)
'''


def test_every_year_carries_the_extension(tmp_path):
    """Seam: the extension hook acts in each year's model. With at most 50 t a year by road,
    2027 (100 t) needs more than rail's 30 + the road's 50, and 2028 (300 t) needs the siding:
    the schedule equals the enumeration with the road capped, and differs from the free one."""
    data = hand_case(tmp_path / "case")
    ext = tmp_path / "road_cap.py"
    ext.write_text(ROAD_CAP)
    free = staged_invest(str(data), "2027:2028", lag_years=0, discount_rate=0.0, mip_gap=1e-9)
    capped = staged_invest(str(data), "2027:2028", lag_years=0, discount_rate=0.0, mip_gap=1e-9, extend=str(ext))
    assert free.summary["schedule"] == [{"candidate": "siding", "build_year": 2028, "opens": 2028}]
    want_pv, want = best_schedule(road_t=50)
    assert {s["candidate"]: s["build_year"] for s in capped.summary["schedule"]} == want
    assert capped.summary["present_value_cny"] == pytest.approx(want_pv, abs=1e-6)
    assert want != {"siding": 2028} and capped.summary["extension"]["path"] == str(ext)
