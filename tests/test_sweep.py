"""sweep: the same merged table in process, in 2 processes and on a dask LocalCluster."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from conftest import REPO

import supplyopt
from supplyopt.workflows.sweep import random_scenarios, sweep


def _network(tmp_dataset):
    # mine M (100 t/wk, 10 CNY/t) → D by link a (100 t, 1 CNY/t) or b (40 t, 3 CNY/t);
    # D wants 90 t/wk for three weeks
    return tmp_dataset(["w1", "w2", "w3"], {
        "nodes": [{"id": "M", "kind": "mine"}, {"id": "D", "kind": "demand"}],
        "links": [
            {"id": "a", "from": "M", "to": "D", "mode": "rail", "distance_km": 10, "capacity_t": 100, "cost_cny_per_t": 1},
            {"id": "b", "from": "M", "to": "D", "mode": "rail", "distance_km": 10, "capacity_t": 40, "cost_cny_per_t": 3},
        ],
        "supply": [{"node": "M", "product": "coal", "capacity_t": 100, "cost_cny_per_t": 10, "min_t": 0}],
        "demand": [{"node": "D", "product": "coal", "demand_t": 90}],
    })


def _scenarios():
    # link a out for k weeks: b carries 40 of 90 → 50 t short a week;
    # Δ cost per week = 40 × (13 − 11) + 50 × (10000 − 11) = 80 + 499,450 = 499,530
    return [{"name": f"a out {k} wk", "edits": [{"what": "link_capacity", "where": {"id": "a"}, "periods": list(range(1, k + 1)), "set": 0}]} for k in (1, 2, 3)]


def test_sweep_by_hand_and_in_processes(tmp_dataset):
    path = _network(tmp_dataset)
    one = sweep(path, _scenarios(), random=4, seed=2, probability=0.5)  # 7 scenarios: 2 chunks
    t = one.cases.set_index("case")
    for k in (1, 2, 3):
        assert t.loc[f"a out {k} wk", "delta_unmet_t"] == pytest.approx(50 * k)
        assert t.loc[f"a out {k} wk", "delta_objective_cny"] == pytest.approx(499_530 * k)
    two = sweep(path, _scenarios(), random=4, seed=2, probability=0.5, workers=2)
    assert len(two.cases) == 8
    pd.testing.assert_frame_equal(one.cases, two.cases)
    assert two.summary["sweep"]["runner"] == "processes"


def test_sweep_on_a_dask_local_cluster(tmp_dataset):
    distributed = pytest.importorskip("distributed")
    path = _network(tmp_dataset)
    local = sweep(path, _scenarios(), random=2, seed=3, probability=0.5)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        seen = []
        remote = sweep(path, _scenarios(), random=2, seed=3, probability=0.5, dask=client, progress=lambda d, n: seen.append((d, n)))
    pd.testing.assert_frame_equal(local.cases, remote.cases)
    assert remote.summary["sweep"]["runner"] == "dask" and seen[-1] == (5, 5)


def test_random_scenarios_are_seeded(tmp_dataset):
    net = supplyopt.load(_network(tmp_dataset))
    a, b, c = (random_scenarios(net, 5, seed=s, probability=0.3) for s in (7, 7, 8))
    assert a == b and a != c
    assert all(s["edits"] for s in a)


def test_cli_sweep_glob_and_bad_pattern(tmp_path):
    out = tmp_path / "sw"
    run = subprocess.run([sys.executable, "-m", "supplyopt", "sweep", str(REPO / "data/examples/winter"), "--random", "2", "--seed", "1", "--out", str(out)],
                         capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert "2/2" in run.stderr  # the progress bar
    assert list(pd.read_csv(out / "cases.csv")["case"]) == ["base", "random-1-001", "random-1-002"]
    bad = subprocess.run([sys.executable, "-m", "supplyopt", "sweep", str(REPO / "data/examples/winter"), "--scenarios", str(tmp_path / "none*.yaml"), "--out", str(tmp_path / "x")],
                         capture_output=True, text=True, cwd=REPO)
    assert bad.returncode == 2 and "matches no file" in bad.stderr and not (tmp_path / "x").exists()
