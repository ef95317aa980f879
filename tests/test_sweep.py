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


# --------------------------------------------------------------------------- --dask robustness
@pytest.mark.parametrize("address, words", [
    ("127.0.0.1", "no port"),
    ("nonsense address", "an address has no spaces"),
    ("tcp://127.0.0.1:abc", "port 'abc' is not a number from 1 to 65535"),
    ("foo://host:8786", "unknown scheme 'foo'"),
])
def test_dask_malformed_address_is_an_input_error(tmp_path, capsys, address, words):
    from supplyopt.cli import main

    out = tmp_path / "out"
    assert main(["sweep", str(REPO / "data/examples/winter"), "--random", "1", "--dask", address, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"--dask: '{address}' — {words}" in err and "expected the scheduler's address as tcp://HOST:PORT" in err, err
    assert "Traceback" not in err and not out.exists()


def test_dask_unreachable_scheduler_exits_4_at_once(tmp_path, capsys):
    import socket
    import time

    from supplyopt.cli import main

    with socket.socket() as s:  # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "out"
    t0 = time.perf_counter()
    assert main(["sweep", str(REPO / "data/examples/winter"), "--random", "1", "--dask", f"127.0.0.1:{port}", "--out", str(out)]) == 4
    err = capsys.readouterr().err
    assert f"cannot reach the dask scheduler at tcp://127.0.0.1:{port}" in err and "nothing was written" in err, err
    assert "Traceback" not in err and not out.exists() and time.perf_counter() - t0 < 15


# Runs on the first attempt at a scenario on a dask worker: writes the marker, then kills the
# worker process (os._exit) — a lost worker; its nanny starts a new one and the task runs again.
KILLER = '''
import os
from pathlib import Path


def extra_functionality(model, network, options):
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return  # not on a dask worker: the base solve in the caller's process
    marker = Path({marker!r})
    if not marker.exists():
        marker.write_text("killed once", encoding="utf-8")
        os._exit(1)
'''


def test_sweep_on_workers_in_another_folder_and_a_lost_worker(tmp_path, tmp_dataset, monkeypatch):
    """Relative paths on the caller's side (data set, scenario files, extension), a worker
    process whose working folder is elsewhere (nothing of the caller's there), and a worker
    killed mid-sweep: the merged table is the one solved in process. About 15 s."""
    import os

    distributed = pytest.importorskip("distributed")
    from supplyopt.cli import main

    driver, elsewhere = tmp_path / "driver", tmp_path / "elsewhere"
    _network(lambda periods, tables: tmp_dataset(periods, tables, name="driver/data"))
    (driver / "scen").mkdir()
    for k in (1, 2):
        (driver / "scen" / f"a_out_{k}.yaml").write_text(
            f"name: a out {k} wk\nedits:\n  - {{what: link_capacity, where: {{id: a}}, periods: {list(range(1, k + 1))}, set: 0}}\n", encoding="utf-8")
    (driver / "killer.py").write_text(KILLER.format(marker=str(tmp_path / "killed")), encoding="utf-8")
    elsewhere.mkdir()
    monkeypatch.chdir(driver)
    argv = ["sweep", "data", "--scenarios", "scen/*.yaml", "--random", "2", "--seed", "4", "--probability", "0.5", "--quiet"]
    assert main([*argv, "--out", "local"]) == 0
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None, local_directory=str(tmp_path / "scratch")) as cluster, \
            distributed.Client(cluster) as client:
        client.run(os.chdir, str(elsewhere))
        assert list(client.run(os.getcwd).values()) == [str(elsewhere)]
        assert list(client.run(os.path.exists, "scen/a_out_1.yaml").values()) == [False]  # the worker cannot read the caller's paths
        assert main([*argv, "--dask", cluster.scheduler_address, "--out", "remote"]) == 0
        # a lost worker: the first task to build a model on a worker kills it; the scheduler runs it again on the new one
        assert main([*argv, "--extend", "killer.py", "--out", "local-ext"]) == 0
        assert main([*argv, "--extend", "killer.py", "--dask", cluster.scheduler_address, "--out", "remote-ext"]) == 0
    assert (tmp_path / "killed").exists()
    for a, b in (("local", "remote"), ("local-ext", "remote-ext")):
        assert (driver / a / "cases.csv").read_bytes() == (driver / b / "cases.csv").read_bytes(), (a, b)
    cases = pd.read_csv(driver / "remote" / "cases.csv")
    assert list(cases["case"]) == ["base", "a out 1 wk", "a out 2 wk", "random-4-001", "random-4-002"]
