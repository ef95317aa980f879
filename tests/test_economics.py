"""The economics of candidates: cash and social cases on one timing, bundles, invest's table,
coal by wire against rail per tce, and money printed without "-0".

Every case is one year: 5 periods of 73 days (365 days), so a period's figure × 5 is a year's
and a candidate opening in the third period opens 146 days (0.4 years) in, for 219 days.
The figures asserted are worked out by hand in the comments.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pandas as pd
import pytest
from conftest import write_dataset

import supplyopt
from supplyopt.workflows import economics, evaluate, invest

PERIODS = ["P1", "P2", "P3", "P4", "P5"]
VALUATION = economics.Valuation(carbon_price_cny_per_t_co2=80.0, truck_payload_t=30.0)
PROFILE = {"truck_penalty_cny_per_tkm": 0.1, "carbon_price_cny_per_t_co2": 100.0}  # the profile prices carbon at 100: not used in the economics


def siding_case(tmp_path, name="siding"):
    """A mine and a plant 50 km apart by road (truck, 30 CNY/t, no limit); demand 100 t a
    period. Candidates: a rail siding (12 CNY/t, 60 t a period, 20,000 CNY, 10 years at 5 %,
    O&M 400 CNY/yr) open from the start; the same siding opening in P3; a platform on the
    siding (+20 t a period from P3, 5,000 CNY, 20 years at 8 %) that requires it."""
    siding = {"kind": "new_link", "from": "mine", "to": "plant", "mode": "rail", "distance_km": 50, "cost_cny_per_t": 12, "capacity_t": 60,
              "build_cost_cny": 20_000, "lifetime_years": 10, "discount_rate": 0.05, "fixed_om_cny_per_year": 400}
    cands = [{"id": "siding", **siding}, {"id": "siding_late", **siding, "earliest_period": "P3", "excludes": "siding"},
             {"id": "platform", "kind": "link_capacity", "link": "siding", "capacity_t": 20, "build_cost_cny": 5_000, "lifetime_years": 20,
              "discount_rate": 0.08, "fixed_om_cny_per_year": 0, "earliest_period": "P3", "requires": "siding"}]
    return write_dataset(tmp_path / name, PERIODS, {
        "nodes": [{"id": "mine", "kind": "mine"}, {"id": "plant", "kind": "demand"}],
        "supply": [{"node": "mine", "capacity_t": 1000, "cost_cny_per_t": 10}],
        "demand": [{"node": "plant", "demand_t": 100}],
        "links": [{"id": "road", "from": "mine", "to": "plant", "mode": "truck", "capacity_t": None, "cost_cny_per_t": 30, "distance_km": 50}],
        "candidates": pd.DataFrame(cands),
    }, period_days=73)


def row_of(ev, name):
    return ev.rows.set_index("candidate").loc[name]


# --------------------------------------------------------------------------- the hand case
def test_cash_and_social_npv_payback_trucks_and_co2_by_hand(tmp_path):
    """Without: 100 t a period by road: transport 100 × 30 = 3,000; truck penalty
    0.1 × 50 km × 100 t = 500; CO2 100 × 50 × 0.09 kg = 450 kg.
    With the siding: 60 t by rail 60 × 12 = 720, 40 by road 40 × 30 = 1,200 → 1,920;
    truck penalty 0.1 × 50 × 40 = 200; CO2 40 × 50 × 0.09 = 180 kg + 60 × 50 × 0.011 = 33 kg.
    Production is 100 t × 10 either way. A year is the 5 periods:
      cash savings      (3,000 − 1,920) × 5 = 5,400 CNY/yr; less O&M 400 → 5,000 net
      truck externality (500 − 200) × 5 = 1,500 CNY/yr (the profile's weight, not cash)
      CO2 avoided       (450 − 213) × 5 = 1,185 kg = 1.185 t/yr; × 80 CNY/t = 94.8 CNY/yr
                        (the profile's own carbon price, 100, is not used)
      trucks removed    60 t × 5 = 300 t/yr ÷ 30 t a trip = 10 trips; 300 × 50 = 15,000 t·km
    Annuity 10 years at 5 %: 1.05^10 = 1.628894627, (1 − 1/1.628894627)/0.05 = 7.72173493.
      cash NPV   = −20,000 + 5,000 × 7.72173493 = 18,608.67
      social NPV = −20,000 + (5,000 + 1,500 + 94.8) × 7.72173493 = −20,000 + 50,923.30 = 30,923.30
      payback simple 20,000 / 5,000 = 4.0 years; discounted: 1.05^−k = 1 − 0.05 × 20,000 / 5,000
      = 0.8 → k = −ln 0.8 / ln 1.05 = 0.22314355 / 0.04879016 = 4.57353 years."""
    ev = evaluate.evaluate(supplyopt.load(siding_case(tmp_path)), "siding", model=PROFILE, valuation=VALUATION)
    r = row_of(ev, "siding")
    assert len(ev.rows) == 1 and r["basis"] == "with against without"
    assert r["cash_savings_cny_per_year"] == pytest.approx(5_400, rel=1e-9)
    assert r["truck_externality_cny_per_year"] == pytest.approx(1_500, rel=1e-9)
    assert r["co2_t_avoided_per_year"] == pytest.approx(1.185, rel=1e-9)
    assert r["carbon_value_cny_per_year"] == pytest.approx(94.8, rel=1e-9)
    assert r["external_savings_cny_per_year"] == pytest.approx(1_594.8, rel=1e-9)
    assert r["service_value_cny_per_year"] == pytest.approx(0, abs=1e-6)
    assert r["cash_npv_cny"] == pytest.approx(18_608.67, abs=0.01)
    assert r["social_npv_cny"] == pytest.approx(30_923.30, abs=0.01)
    assert r["simple_payback_years"] == pytest.approx(4.0, rel=1e-9)
    assert r["discounted_payback_years"] == pytest.approx(4.57353, abs=1e-5)
    assert r["truck_trips_removed_per_year"] == pytest.approx(10, rel=1e-9)
    assert r["truck_tkm_removed_per_year"] == pytest.approx(15_000, rel=1e-9)
    e = ev.economics
    assert e["npv_cny"] == pytest.approx(18_608.67, abs=0.01) and e["social_npv_cny"] == pytest.approx(30_923.30, abs=0.01)
    assert e["payback_years"] == pytest.approx(4.0) and e["annual_savings_cny"] == pytest.approx(5_400)


def test_the_truck_penalty_is_never_cash(tmp_path):
    """The same case with the truck penalty at 0 and at 0.1 CNY/t·km: the same plans, the same
    cash case (5,400 CNY/yr, NPV 18,608.67); only the social case moves, by the 1,500 CNY/yr
    of truck externality × 7.72173493 = 11,582.60."""
    net = supplyopt.load(siding_case(tmp_path))
    off = evaluate.evaluate(net, "siding", model={**PROFILE, "truck_penalty_cny_per_tkm": 0.0}, valuation=VALUATION)
    on = evaluate.evaluate(net, "siding", model=PROFILE, valuation=VALUATION)
    a, b = row_of(off, "siding"), row_of(on, "siding")
    assert a["cash_savings_cny_per_year"] == pytest.approx(b["cash_savings_cny_per_year"], rel=1e-12)
    assert a["cash_npv_cny"] == pytest.approx(b["cash_npv_cny"], rel=1e-12) == pytest.approx(18_608.67, abs=0.01)
    assert a["truck_externality_cny_per_year"] == pytest.approx(0, abs=1e-9)
    assert b["social_npv_cny"] - a["social_npv_cny"] == pytest.approx(11_582.60, abs=0.01)
    # the objective's own change does include it: the old "operating savings" were not cash
    assert on.economics["operating_savings_cny"] - off.economics["operating_savings_cny"] == pytest.approx(1_500, rel=1e-9)


def test_a_candidate_opening_late_is_valued_from_its_opening(tmp_path):
    """siding_late opens in P3: 2 × 73 = 146 days = 0.4 years in, open 219 days. Its savings over
    the horizon are 3 periods × 1,080 = 3,240, annualised over its open days: 3,240 × 365/219 =
    5,400 CNY/yr — the same year as the siding open all year (spread over the whole horizon it
    would be 3,240/yr and a payback of 20,000 / 2,840 = 7.04 years: the mixed basis). Payback
    from the year it opens: 4.0 years simple, 4.57353 discounted, as the siding's. NPV at the
    horizon's start: 18,608.67 × 1.05^−0.4; 1.05^0.4 = e^(0.4 × 0.04879016) = e^0.01951606 =
    1.0197078 → 18,249.03."""
    ev = evaluate.evaluate(supplyopt.load(siding_case(tmp_path)), "siding_late", model=PROFILE, valuation=VALUATION)
    r = row_of(ev, "siding_late")
    assert r["opens"] == "P3" and r["opens_after_years"] == pytest.approx(0.4) and r["open_days"] == pytest.approx(219)
    assert r["cash_savings_cny_per_year"] == pytest.approx(5_400, rel=1e-9)
    assert r["simple_payback_years"] == pytest.approx(4.0, rel=1e-9)
    assert r["discounted_payback_years"] == pytest.approx(4.57353, abs=1e-5)
    assert r["cash_npv_cny"] == pytest.approx(18_249.03, abs=0.02)
    assert r["co2_t_avoided_per_year"] == pytest.approx(1.185, rel=1e-9) and r["truck_trips_removed_per_year"] == pytest.approx(10, rel=1e-9)


def test_a_bundle_keeps_each_members_timing_and_rate(tmp_path):
    """platform requires siding: both built. With both: P1–P2 as the siding alone (1,080 saved
    a period), P3–P5 80 t by rail: 80 × 12 + 20 × 30 = 1,560, saving 1,440 → 2 × 1,080 + 3 ×
    1,440 = 6,480 CNY over the horizon. Attribution by investment part: siding 20,000 ×
    CRF(5 %, 10) + 400 = 20,000 / 7.72173493 + 400 = 2,990.09 × 365/365; platform 5,000 ×
    CRF(8 %, 20) = 5,000 × 0.10185221 = 509.26 × 219/365 = 305.56; shares 2,990.09 / 3,295.65
    = 0.90728 and 0.09272. The shares of the horizon's savings add up to 6,480, each member's
    NPV is at its own rate from its own opening, and the bundle's NPV is their sum."""
    ev = evaluate.evaluate(supplyopt.load(siding_case(tmp_path)), "platform", model=PROFILE, valuation=VALUATION)
    rows = ev.rows.set_index("candidate")
    assert list(rows.index) == ["platform", "siding", "platform (bundle)"]
    assert rows.loc["siding", "savings_share"] == pytest.approx(0.90728, abs=1e-5)
    horizon = sum(rows.loc[m, "cash_savings_cny_per_year"] * rows.loc[m, "open_days"] / 365 for m in ("platform", "siding"))
    assert horizon == pytest.approx(6_480, rel=1e-9)
    p = rows.loc["platform"]
    af = (1 - 1.08**-20) / 0.08
    assert p["cash_npv_cny"] == pytest.approx(1.08**-0.4 * (-5_000 + p["cash_savings_cny_per_year"] * af), rel=1e-9)
    s = rows.loc["siding"]
    assert s["cash_npv_cny"] == pytest.approx(-20_000 + (s["cash_savings_cny_per_year"] - 400) * (1 - 1.05**-10) / 0.05, rel=1e-9)
    total = rows.loc["platform (bundle)"]
    assert total["cash_npv_cny"] == pytest.approx(p["cash_npv_cny"] + s["cash_npv_cny"], rel=1e-12)
    assert total["build_cost_cny"] == 25_000 and total["opens"] == "P1"


# --------------------------------------------------------------------------- invest
def test_invest_rows_marginal_for_the_chosen_and_alone_for_the_others(tmp_path):
    """A budget of 20,000 builds the siding (siding_late excludes it; the platform needs it
    and more money). The chosen siding's row is its marginal value: the chosen set with and
    without it — here the same as the siding alone (the hand case above); the others are
    alone against nothing built, each row saying which."""
    inv = invest.invest(supplyopt.load(siding_case(tmp_path)), 20_000, model=PROFILE, valuation=VALUATION)
    assert inv.chosen == ["siding"]
    rows = inv.economics.set_index("candidate")
    assert rows.loc["siding", "basis"].startswith("marginal")
    assert rows.loc["siding", "cash_npv_cny"] == pytest.approx(18_608.67, abs=0.01)
    assert rows.loc["siding_late", "basis"] == "alone against nothing built"
    assert rows.loc["siding_late", "cash_npv_cny"] == pytest.approx(18_249.03, abs=0.02)
    assert "with siding, which it requires" in rows.loc["platform", "basis"]
    inv.write(tmp_path / "out")
    assert set(pd.read_csv(tmp_path / "out" / "economics.csv")["candidate"]) == {"siding", "siding_late", "platform"}


# --------------------------------------------------------------------------- coal by wire against rail
def wire_case(tmp_path):
    """A mine and a coast demand (100 t a period) 100 km apart by road (60 CNY/t); coal of
    5,600 kcal/kg (0.8 tce/t). A UHV line (20 CNY/t, 50 t a period entering, 90 % arriving,
    10,000 CNY, 10 years at 0 %) against a rail line (25 CNY/t, 50 t, 20,000 CNY, 10 years at 0 %)."""
    line = {"kind": "new_link", "from": "mine", "to": "coast", "distance_km": 100, "capacity_t": 50, "lifetime_years": 10, "discount_rate": 0.0,
            "fixed_om_cny_per_year": 0}
    return write_dataset(tmp_path / "wire", PERIODS, {
        "nodes": [{"id": "mine", "kind": "mine"}, {"id": "coast", "kind": "demand"}],
        "supply": [{"node": "mine", "capacity_t": 1000, "cost_cny_per_t": 10}],
        "demand": [{"node": "coast", "demand_t": 100}],
        "links": [{"id": "road", "from": "mine", "to": "coast", "mode": "truck", "capacity_t": None, "cost_cny_per_t": 60, "distance_km": 100}],
        "quality": [{"product": "coal", "calorific_kcal_per_kg": 5600}],
        "candidates": pd.DataFrame([{"id": "uhv_line", **line, "mode": "uhv", "cost_cny_per_t": 20, "efficiency": 0.9, "build_cost_cny": 10_000},
                                    {"id": "rail_line", **line, "mode": "rail", "cost_cny_per_t": 25, "build_cost_cny": 20_000}]),
    }, period_days=73)


def test_uhv_against_rail_per_tce_by_hand(tmp_path):
    """Without: 100 t by road, 60 × 100 + production 10 × 100 = 7,000 a period.
    UHV: 50 t enter, 45 arrive; road 55 t: 50 × 20 + 55 × 60 + production 105 × 10 = 5,350 →
    saves 1,650 a period, 8,250 CNY/yr; annualised 10,000 / 10 = 1,000 CNY/yr. Arriving 45 × 5
    = 225 t/yr × 0.8 = 180 tce/yr; cash cost per tce (1,000 − 8,250) / 180 = −40.28 CNY;
    line loss 5 × 5 = 25 t/yr (20 tce/yr). CO2: 45 t off the road × 100 km × 0.09 kg = 405 kg a
    period, 2,025 kg/yr ÷ 180 tce = −11.25 kg/tce. Capacity 50 × 365/73 = 250 t/yr entering,
    250 × 0.9 × 0.8 = 180 tce/yr arriving.
    Rail: 50 × 25 + 50 × 60 + 1,000 = 5,250 → saves 1,750, 8,750 CNY/yr; 2,000 CNY/yr
    annualised; 250 t = 200 tce/yr arriving; (2,000 − 8,750) / 200 = −33.75 CNY/tce; CO2
    −450 + 50 × 100 × 0.011 = −395 kg a period → −1,975 / 200 = −9.875 kg/tce.
    Cash NPVs (0 %, 10 years): −10,000 + 82,500 = 72,500 and −20,000 + 87,500 = 67,500."""
    ag = evaluate.against(supplyopt.load(wire_case(tmp_path)), "uhv_line", "rail_line", valuation=VALUATION)
    t = ag.table.set_index(["metric", "unit"])
    expect = {("cash cost per tce arriving", "CNY/tce"): (-7_250 / 180, -33.75), ("carried arriving", "tce/yr"): (180, 200),
              ("line loss (produced, not delivered)", "t/yr"): (25, 0), ("line loss", "tce/yr"): (20, 0),
              ("CO2 change per tce arriving", "kg/tce"): (-11.25, -9.875), ("capacity entering", "t/yr"): (250, 250),
              ("capacity arriving", "tce/yr"): (180, 200), ("cash NPV", "CNY"): (72_500, 67_500), ("cash savings", "CNY/yr"): (8_250, 8_750)}
    for key, (uhv, rail) in expect.items():
        assert t.loc[key, "first"] == pytest.approx(uhv, abs=1e-6), key
        assert t.loc[key, "second"] == pytest.approx(rail, abs=1e-6), key
    assert ag.first.without is ag.second.without  # one kept study: one plan with nothing built


# --------------------------------------------------------------------------- printing
def test_money_is_never_printed_as_minus_zero(tmp_path):
    assert economics.number_text(-0.4) == "0" and economics.number_text(-1e-12, 1) == "0.0" and economics.number_text(-1_234.6) == "-1,235"
    case = siding_case(tmp_path)
    outs = []
    for i, cmd in enumerate((["evaluate", "--candidate", "siding_late", "--carbon-price", "80", "--truck-payload", "30"], ["invest", "--budget", "0"],
                             ["evaluate", "--candidate", "siding", "--against", "siding_late"])):
        r = subprocess.run([sys.executable, "-m", "supplyopt", cmd[0], str(case), *cmd[1:], "--out", str(tmp_path / f"out{i}")],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        outs.append(r.stdout)
        assert not re.search(r"(?<![\w.,])-0(\.0+)?(?![\d.,])", r.stdout), r.stdout
    assert "18,249" in outs[0] and "economics.csv" in outs[0]
    summary = json.loads((tmp_path / "out0" / "summary.json").read_text())
    assert summary["valuation"]["carbon_price_cny_per_t_co2"] == 80 and summary["valuation"]["truck_payload_t"] == 30


def test_bad_valuation_options_are_refused(tmp_path):
    r = subprocess.run([sys.executable, "-m", "supplyopt", "evaluate", str(siding_case(tmp_path)), "--candidate", "siding", "--truck-payload", "0",
                        "--out", str(tmp_path / "bad")], capture_output=True, text=True)
    assert r.returncode == 2 and "--truck-payload" in r.stdout + r.stderr and not (tmp_path / "bad").exists()
