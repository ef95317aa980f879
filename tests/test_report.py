"""Outputs survive crashes whole or not at all; solver trouble is caught, not written."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, solve_path, write_dataset

WINTER = REPO / "data/examples/winter"
KILL_POINTS = ["after-flows", "after-stocks", "after-prices", "before-rename"]


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "supplyopt.cli", *map(str, args)], cwd=REPO, capture_output=True, text=True, env=env)


@pytest.mark.parametrize("point", KILL_POINTS)
def test_sigkill_mid_write_leaves_old_results_or_none(tmp_path, point):
    out = tmp_path / "res"
    assert cli("solve", WINTER, "--out", out, "--quiet").returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    # the run is killed from outside the product: the table writer (or the final rename) is
    # wrapped to SIGKILL the process once the named table is on disk
    code = (
        "import os, sys\n"
        "import supplyopt.io.write as r\n"
        f"point = {point!r}\n"
        "order, calls, real = list(r.TABLE_FILES), [0], r.csv_text\n"
        "def counted(frame, *a, **k):\n"
        "    if point.startswith('after-') and calls[0] == order.index(point[6:]) + 1:\n"
        "        os.kill(os.getpid(), 9)\n"
        "    calls[0] += 1\n"
        "    return real(frame, *a, **k)\n"
        "r.csv_text = counted\n"
        "if point == 'before-rename':\n"
        "    r.replace_dir = lambda *a, **k: os.kill(os.getpid(), 9)\n"
        "from supplyopt.cli import main\n"
        f"sys.exit(main(['solve', {str(WINTER)!r}, '--model', {str(REPO / 'models/default.yaml')!r}, '--out', {str(out)!r}, '--quiet']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == -9  # killed where asked
    assert out.exists(), "the old results must survive a crash before the rename"
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before
    # the next run clears the dead run's temporary folder and writes complete new results
    assert cli("solve", WINTER, "--out", out, "--quiet").returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_missing_solver_is_a_clear_message_and_nothing_is_written(tmp_path):
    code = (
        "import sys; sys.modules['highspy'] = None\n"
        "from supplyopt.cli import main\n"
        f"sys.exit(main(['solve', {str(WINTER)!r}, '--out', {str(tmp_path / 'never')!r}]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 4
    assert "HiGHS solver (Python package highspy) is not installed" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "never").exists()


def test_check_plan_names_what_a_broken_plan_violates():
    from supplyopt.engines.solver import check_plan

    net, lp, sol, _ = solve_path(WINTER)
    assert check_plan(lp, sol.x) == []
    x = sol.x.copy()
    flow = lp.variables["flow"]
    x[flow.start] = -5.0  # a negative flow: also breaks the balances it touches
    found = check_plan(lp, x)
    assert any(line.startswith("flow [a_station, coal, 0] = -5") for line in found)
    assert any(line.startswith("node_balance [") for line in found)


def test_huge_tonnages_are_solved_in_kilotonnes_with_the_same_optimum(tmp_path):
    # The transport example with every tonnage × 1e7: optimum 153.675 × 1e7.
    tables = {name: pd.read_csv(REPO / "data/examples/transport" / f"{name}.csv") for name in ("nodes", "supply", "links", "demand")}
    tables["supply"]["capacity_t"] *= 1e7
    tables["demand"]["demand_t"] *= 1e7
    path = write_dataset(tmp_path / "big", 1, tables)
    from supplyopt.engines.solver import scaling_report

    net, lp, sol, plan = solve_path(path)
    assert sol.objective == pytest.approx(153.675e7, rel=1e-9)
    assert any("kilotonnes" in w for w in scaling_report(lp)[1])
    prices = plan.prices[plan.prices["kind"] == "delivery"].set_index("id")["price_cny_per_t"]
    assert prices["new-york"] == pytest.approx(0.225)  # duals scaled back to per tonne


def test_summary_records_numerics_and_solver_warnings(tmp_path):
    proc = cli("solve", WINTER, "--out", tmp_path / "r", "--json")
    s = json.loads(proc.stdout)
    assert s["numerics"]["warnings"] == []
    assert s["numerics"]["ranges"]["matrix"] == [0.995, 1.0]
    assert np.isfinite(s["build_s"]) and s["solver"]["iterations"] > 0
