"""compare: base + scenarios on one kept model; deltas checked by hand, warm == cold."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from conftest import REPO

from supplyopt.workflows.compare import compare

SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))


def test_warm_equals_cold_through_compare():
    """compare's own path (one Study, warm re-solves) gives the same KPIs as a fresh model
    per case, on every bundled scenario (objective to 1e-9 relative)."""
    warm = compare(REPO / "data/shanxi", SCENARIOS, model=REPO / "models/default.yaml")
    cold = compare(REPO / "data/shanxi", SCENARIOS, model=REPO / "models/default.yaml", warm=False)
    assert [c["warm_start"] for c in warm.summary["cases"]] == [False] + [True] * len(SCENARIOS)
    assert not any(c["warm_start"] for c in cold.summary["cases"])
    assert list(warm.cases["case"]) == ["base"] + [p.stem for p in SCENARIOS]
    for w, c in zip(warm.cases.itertuples(), cold.cases.itertuples()):
        assert w.objective_cny == pytest.approx(c.objective_cny, rel=1e-9), w.case
        assert w.delta_objective_cny == pytest.approx(c.delta_objective_cny, rel=1e-6, abs=1e-3), w.case
        assert w.unmet_t == pytest.approx(c.unmet_t, rel=1e-6, abs=1e-3), w.case


def _case(tmp_dataset):
    # one mine (100 t/week at 10 CNY/t) feeding a power plant d (60 t/week, link l at 1 CNY/t,
    # 100 t) and a works e (30 t/week, link l2 at 2 CNY/t, 50 t); two weeks, no storage.
    return tmp_dataset(["w1", "w2"], {
        "nodes": [{"id": "m", "kind": "mine", "region": "A"}, {"id": "d", "kind": "demand", "region": "B"}, {"id": "e", "kind": "demand", "region": "C"}],
        "links": [
            {"id": "l", "from": "m", "to": "d", "mode": "rail", "distance_km": 10, "capacity_t": 100, "cost_cny_per_t": 1},
            {"id": "l2", "from": "m", "to": "e", "mode": "truck", "distance_km": 10, "capacity_t": 50, "cost_cny_per_t": 2},
        ],
        "supply": [{"node": "m", "product": "coal", "capacity_t": 100, "cost_cny_per_t": 10, "min_t": 0}],
        "demand": [
            {"node": "d", "product": "coal", "demand_t": 60, "demand_class": "power"},
            {"node": "e", "product": "coal", "demand_t": 30, "demand_class": "industry"},
        ],
    })


CUT = {"name": "cut", "edits": [{"what": "link_capacity", "where": {"id": "l"}, "periods": ["w2"], "set": 40}]}
STUCK = {"name": "stuck", "edits": [{"what": "mine_min", "where": {"node": "m"}, "set": 95}]}


def test_deltas_and_shortfalls_by_hand(tmp_dataset):
    cmp = compare(_case(tmp_dataset), [CUT, STUCK])
    base, cut, stuck = (r for _, r in cmp.cases.iterrows())
    # base: 2 weeks × (60 × (10 + 1) + 30 × (10 + 2)) = 2 × 1020 = 2040 CNY
    assert base["objective_cny"] == pytest.approx(2040)
    # cut: week 2 d gets 40 t: 1020 + 40 × 11 + 30 × 12 + 20 t × 10000 (default penalty) = 201820
    assert cut["objective_cny"] == pytest.approx(201_820)
    assert cut["delta_objective_cny"] == pytest.approx(199_780)
    assert cut["unmet_power_t"] == pytest.approx(20) and cut["unmet_industry_t"] == pytest.approx(0)
    assert cut["delta_cost_unmet_penalty_cny"] == pytest.approx(200_000)
    assert cut["red_warnings"] == 1
    sf = cmp.shortfalls.set_index("case").loc["cut"]
    assert (sf["node"], sf["unmet_t"], sf["weeks"], sf["region"]) == ("d", pytest.approx(20), "w2", "B")
    cw = cmp.unmet_by_class_week.set_index(["case", "demand_class", "period"])["unmet_t"]
    assert cw[("cut", "power", "w2")] == pytest.approx(20) and cw[("cut", "power", "w1")] == 0
    # stuck: the mine must ship 95 t a week but only 90 t are wanted: no plan, explained
    assert stuck["status"] == "infeasible"
    info = cmp.summary["cases"][2]
    assert info["status"] == "infeasible" and any("m" in line for line in info["explanation"])
    w = cmp.warnings[cmp.warnings["case"] == "cut"]
    assert list(w["kind"]) == ["unmet"] and "short 20 t in w2" in w["message"].iloc[0]


def test_cli_compare_writes_tables_and_rejects_bad_scenario(tmp_dataset, tmp_path):
    data = _case(tmp_dataset)
    (tmp_path / "cut.yaml").write_text(yaml.safe_dump(CUT))
    out = tmp_path / "cmp"
    run = subprocess.run([sys.executable, "-m", "supplyopt", "compare", str(data), "--scenario", str(tmp_path / "cut.yaml"), "--out", str(out), "--json"],
                         capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr
    printed = json.loads(run.stdout)
    assert [r["case"] for r in printed["table"]] == ["base", "cut"]
    assert sorted(p.name for p in out.iterdir()) == [".supplyopt-results", "cases.csv", "region_gaps.csv", "shortfalls.csv", "summary.json", "unmet_by_class_week.csv", "warnings.csv"]
    first = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix == ".csv"}
    assert pd.read_csv(out / "cases.csv")["delta_unmet_t"].tolist() == [0, 20]
    # same inputs, same bytes
    subprocess.run([sys.executable, "-m", "supplyopt", "compare", str(data), "--scenario", str(tmp_path / "cut.yaml"), "--out", str(out), "--quiet"], cwd=REPO, check=True)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.suffix == ".csv"} == first
    (tmp_path / "bad.yaml").write_text("name: bad\nedits:\n  - what: link_capacity\n    where: {id: nowhere}\n    set: 0\n")
    bad = subprocess.run([sys.executable, "-m", "supplyopt", "compare", str(data), "--scenario", str(tmp_path / "bad.yaml"), "--out", str(tmp_path / "bad")],
                         capture_output=True, text=True, cwd=REPO)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "nowhere" in bad.stderr
    assert not (tmp_path / "bad").exists()
