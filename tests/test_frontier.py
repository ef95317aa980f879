"""Frontier (cost vs mine truck share) and screening by duals, on hand-solved cases."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CASES, write_dataset

from supplyopt.workflows import bottlenecks, frontier


def _tiers(tmp_path):
    """One mine (200 t/week over 2 weeks, 10 CNY/t), one plant needing 100 t a week.
    Road 20 CNY/t unlimited; rail 30 CNY/t up to 60 t; rail2 45 CNY/t up to 20 t.

    Truck share s (of 100 t a week): for s ≥ 0.4 rail carries 100(1 − s):
      weekly cost 2,000 s + 3,000 (1 − s) = 3,000 − 1,000 s;
    for 0.2 ≤ s < 0.4 rail is full and rail2 carries 40 − 100 s:
      2,000 s + 1,800 + 45 (40 − 100 s) = 3,600 − 2,500 s.
    Below 0.2 demand goes unmet, so the lowest feasible share is 0.2; unconstrained 1.0.
    Horizon cost = 2 × weekly + production 2,000. Knee at 0.4 (slope 10 → 25 CNY per t).
    """
    return write_dataset(tmp_path / "tiers", ["W1", "W2"], {
        "nodes": [{"id": "mine", "kind": "mine"}, {"id": "plant", "kind": "demand"}],
        "supply": [{"node": "mine", "capacity_t": 200, "cost_cny_per_t": 10}],
        "links": [
            {"id": "road", "from": "mine", "to": "plant", "mode": "truck", "capacity_t": "", "cost_cny_per_t": 20, "distance_km": 50},
            {"id": "rail", "from": "mine", "to": "plant", "mode": "rail", "capacity_t": 60, "cost_cny_per_t": 30, "distance_km": 50},
            {"id": "rail2", "from": "mine", "to": "plant", "mode": "rail", "capacity_t": 20, "cost_cny_per_t": 45, "distance_km": 50},
        ],
        "demand": [{"node": "plant", "demand_t": 100}],
    })


def _hand_cost(s: float) -> float:
    weekly = 3_000 - 1_000 * s if s >= 0.4 else 3_600 - 2_500 * s
    return 2 * weekly + 2_000


def test_frontier_matches_hand_and_is_monotone(tmp_path):
    fr = frontier.frontier(_tiers(tmp_path), points=9, compare_rebuilt=True)
    t = fr.table
    assert fr.unconstrained_share == pytest.approx(1.0)
    assert 0.2 <= fr.lowest_share <= 0.2 + frontier.BISECTION_TOL
    for cap, cost in zip(t["cap"], t["objective_cny"]):
        assert cost == pytest.approx(_hand_cost(cap), rel=1e-9)
    # cost never falls as the cap tightens
    assert np.all(np.diff(t["objective_cny"].to_numpy()) >= -1e-6)
    assert np.all(np.diff(t["cap"].to_numpy()) < 0)
    assert abs(t["cap"].iloc[fr.knee] - 0.4) <= 0.1 + 1e-3  # the grid point nearest the slope change
    assert fr.timing["warm_solves"] == 9 and fr.timing["builds"] == 1  # one kept model
    assert fr.timing["largest_relative_difference"] < 1e-9  # warm equals rebuilt


def test_frontier_with_candidates_monotone_and_writes(tmp_path):
    """The hand investment case: the cheapest plan already builds siding_b (share 0)."""
    fr = frontier.frontier(CASES / "invest", points=3, with_candidates=True, mip_gap=0.0)
    assert fr.lowest_share == 0.0 and list(fr.table["built"]) == ["siding_b"] * 3
    fr.write(tmp_path / "out")
    png = (tmp_path / "out/frontier.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "out/frontier.csv").read_text().startswith("cap,mine_truck_share,objective_cny")


def test_knee_rule():
    caps = np.array([1.0, 0.8, 0.6, 0.4, 0.2])
    assert frontier.knee_index(caps, np.array([0, 1, 2, 3, 30.0])) == 3
    assert frontier.knee_index(caps, np.zeros(5)) == 0


def test_screening_prices_caps_and_capacities(tmp_path):
    """Cap at 30 % truck: rail carries 60, rail2 10; one more tonne on trucks (cap row
    relaxed) replaces rail2 at 45 by road at 20: 25 CNY per truck tonne removed. One more
    tonne of rail capacity replaces rail2: 45 − 30 = 15 CNY per t per week, 30 over the
    horizon, 30 × 365 / 14 per year. rail2 has slack: not listed."""
    scr = bottlenecks.screen(_tiers(tmp_path), max_mine_truck_share=0.3)
    cap = scr.caps[0]
    assert cap["cap"] == "max_mine_truck_share" and cap["binding"] and cap["price"] == pytest.approx(25.0)
    rows = scr.table.set_index("id")
    assert list(rows.index) == ["rail"]
    assert rows.loc["rail", "value_cny_per_t_period"] == pytest.approx(15.0)
    assert rows.loc["rail", "value_cny_per_t_year"] == pytest.approx(30.0 * 365 / 14)


def test_cli_frontier_and_bottlenecks(tmp_path):
    from supplyopt.cli import main

    data = _tiers(tmp_path)
    assert main(["frontier", str(data), "--points", "3", "--out", str(tmp_path / "f"), "--quiet"]) == 0
    assert {p.name for p in (tmp_path / "f").iterdir()} == {".supplyopt-results", "frontier.csv", "frontier.png", "summary.json"}
    assert main(["bottlenecks", str(data), "--max-mine-truck-share", "0.3", "--out", str(tmp_path / "b"), "--quiet"]) == 0
    assert main(["frontier", str(data), "--points", "1", "--out", str(tmp_path / "g")]) == 2 and not (tmp_path / "g").exists()


def test_down_to_goes_below_the_lowest_share(tmp_path):
    """Cap 0.1 is below the lowest feasible 0.2: with u t a week unmet, output is 100 − u and
    trucks carry 100 − u − 80 (both rails full): 20 − u ≤ 0.1 (100 − u) gives u = 100/9 t.
    Weekly: road (20 − u) × 20 + rail 1,800 + rail2 900 + u × 10,000; production (100 − u) × 10."""
    fr = frontier.frontier(_tiers(tmp_path), points=2, down_to=0.1)
    last = fr.table.iloc[-1]
    u = 100 / 9
    assert last["cap"] == pytest.approx(0.1) and last["unmet_t"] == pytest.approx(2 * u)
    assert last["objective_cny"] == pytest.approx(2 * ((20 - u) * 20 + 1_800 + 900 + u * 10_000 + (100 - u) * 10))


def test_frontier_on_truck_tkm_share(tmp_path):
    """Every link is 50 km and leaves the mine: the truck share of t·km equals the mine truck
    share, so the t·km frontier has the same hand costs."""
    fr = frontier.frontier(_tiers(tmp_path), points=5, measure="tkm")
    assert fr.unconstrained_share == pytest.approx(1.0) and 0.2 <= fr.lowest_share <= 0.2 + frontier.BISECTION_TOL
    for cap, share, cost in zip(fr.table["cap"], fr.table["truck_share_tkm"], fr.table["objective_cny"]):
        assert cost == pytest.approx(_hand_cost(cap), rel=1e-9) and share <= cap + 1e-9
