"""The Python API: load/solve/Plan/Study, warm re-solves equal cold ones, integrality."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

import supplyopt
from supplyopt.engines.solver import check_plan, make_engine
from supplyopt.model.options import load_options
from supplyopt.model.statement import build_lp

SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))


def test_solve_known_optimum_and_tables():
    plan = supplyopt.solve(REPO / "data/examples/transport")
    assert plan.summary["objective"] == pytest.approx(153.675, rel=1e-9)  # GAMS trnsport
    assert isinstance(plan.flows, pd.DataFrame) and plan.flows["flow_t"].sum() > 0
    assert plan.summary["status"] == "optimal"


def test_plan_write_matches_cli(tmp_path):
    plan = supplyopt.solve(REPO / "data/examples/winter")
    plan.write(tmp_path / "api")
    rc = subprocess.run([sys.executable, "-m", "supplyopt", "solve", str(REPO / "data/examples/winter"), "--out", str(tmp_path / "cli"), "--quiet"], cwd=REPO).returncode
    assert rc == 0
    for name in ("flows.csv", "stocks.csv", "unmet.csv", "production.csv", "prices.csv"):
        assert (tmp_path / "api" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name
    a, c = (json.loads((tmp_path / d / "summary.json").read_text()) for d in ("api", "cli"))
    assert a["objective"] == c["objective"]


def test_no_plan_is_explained(tmp_dataset):
    path = tmp_dataset(["w1"], {
        "nodes": [{"id": "m", "kind": "mine"}, {"id": "d", "kind": "demand"}],
        "links": [{"id": "l", "from": "m", "to": "d", "mode": "rail", "distance_km": 10, "capacity_t": 5, "cost_cny_per_t": 1}],
        "supply": [{"node": "m", "product": "coal", "capacity_t": 100, "cost_cny_per_t": 1, "min_t": 50}],
        "demand": [{"node": "d", "product": "coal", "demand_t": 5}],
    })
    with pytest.raises(supplyopt.NoPlan) as err:
        supplyopt.solve(path)
    assert err.value.status == "infeasible" and err.value.exit_code == 3
    assert any("m" in line for line in err.value.explanation)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_warm_equals_cold_on_bundled_scenarios(scenario):
    """A scenario applied to a kept model gives the cold optimum (1e-9 relative)."""
    study = supplyopt.Study(REPO / "data/shanxi", model=REPO / "models/default.yaml")
    base = study.solve()
    warm = study.apply(scenario).solve()
    cold = supplyopt.solve(REPO / "data/shanxi", model=REPO / "models/default.yaml", scenario=scenario)
    assert warm.summary["objective"] == pytest.approx(cold.summary["objective"], rel=1e-9)
    # the base, then one solve per re-plan (foresight: surprise), each on the kept model
    assert study.stats["builds"] + study.stats["warm"] == 1 + len(warm.summary["foresight"]["replans"])
    back = study.reset().solve()
    assert back.summary["objective"] == pytest.approx(base.summary["objective"], rel=1e-9)


def test_warm_change_really_is_warm():
    study = supplyopt.Study(REPO / "data/shanxi", model=REPO / "models/default.yaml")
    study.solve()
    study.apply(REPO / "scenarios/cold_wave.yaml").solve()
    assert study.stats == {"builds": 1, "warm": 1}


def test_several_scenarios_apply_in_order(tmp_path):
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text("name: a\nedits:\n  - {what: demand, where: {}, scale: 2}\n")
    b.write_text("name: b\nedits:\n  - {what: demand, where: {}, set: 0}\n")
    net = supplyopt.load(REPO / "data/examples/transport")
    ab = supplyopt.solve(net, scenario=[a, b])
    ba = supplyopt.solve(net, scenario=[b, a])
    assert ab.summary["demand_t"] == 0  # the last edit wins: set 0 after doubling
    assert ba.summary["demand_t"] == 0  # doubling zero is zero
    assert [f["path"] for f in ab.summary["scenario"]["files"]] == [str(a), str(b)]


def test_options_object_and_overrides():
    opt = supplyopt.options(REPO / "models/default.yaml", time_limit_s=30)
    assert opt.solver.time_limit_s == 30
    again = supplyopt.options(opt, threads=1)
    assert again.solver.threads == 1 and again.solver.time_limit_s == 30
    with pytest.raises(supplyopt.DataError):
        supplyopt.options(opt, no_such_option=1)


def test_integer_family_gives_whole_numbers(tmp_dataset):
    """Flows forced integer (whole tonnes).

    Two mines (1 and 2 CNY/t, 2.5 t each) serve 5 t. LP: 2.5·1 + 2.5·2 = 7.5. With whole
    tonnes each link carries at most 2 t (its mine has 2.5), so 4 t arrive and 1 t is unmet
    at 100 CNY/t: 2·1 + 2·2 + 100 = 106."""
    path = tmp_dataset(["w1"], {
        "nodes": [{"id": "a", "kind": "mine"}, {"id": "b", "kind": "mine"}, {"id": "d", "kind": "demand"}],
        "links": [
            {"id": "la", "from": "a", "to": "d", "mode": "rail", "distance_km": 1, "capacity_t": "", "cost_cny_per_t": 0},
            {"id": "lb", "from": "b", "to": "d", "mode": "rail", "distance_km": 1, "capacity_t": "", "cost_cny_per_t": 0},
        ],
        "supply": [
            {"node": "a", "product": "coal", "capacity_t": 2.5, "cost_cny_per_t": 1},
            {"node": "b", "product": "coal", "capacity_t": 2.5, "cost_cny_per_t": 2},
        ],
        "demand": [{"node": "d", "product": "coal", "demand_t": 5, "penalty_cny_per_t": 100}],
    })
    net = supplyopt.load(path)
    opt = load_options(None)
    lp = build_lp(net, opt)
    assert make_engine(lp, opt, net.periods).solve().objective == pytest.approx(7.5)
    lp.variables["flow"].integrality = "integer"
    sol = make_engine(lp, opt, net.periods).solve()
    assert sol.status == "optimal" and sol.objective == pytest.approx(106.0)
    assert sol.mip_gap is not None and np.isnan(sol.row_dual).all()
    assert check_plan(lp, sol.x) == []
    x = sol.x.copy()
    x[lp.variables["flow"].start] += 0.5
    assert any("whole number" in v for v in check_plan(lp, x))


def test_python_dash_m():
    out = subprocess.run([sys.executable, "-m", "supplyopt", "--version"], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0 and "supplyopt" in out.stdout


def test_extension_adds_a_family_and_its_cost():
    """An extension's cost part shows in the summary and the objective: a fee of 1 CNY per
    tonne produced on the transport case (total supply used 900 t) adds 900 CNY."""
    from supplyopt.model.statement import LinearProgram

    def fee(lp: LinearProgram, net, opt):
        prod = lp.variables["production"]
        lp.add_cost("production_fee", prod.cols, np.ones(prod.size))

    plan = supplyopt.Study(REPO / "data/examples/transport", layers=[fee]).solve()
    assert plan.summary["costs"]["production_fee"] == pytest.approx(900.0)  # demand 325+300+275
    assert plan.summary["objective"] == pytest.approx(153.675 + 900.0)


def test_whole_numbers_survive_the_kilotonne_scale(tmp_dataset):
    """A bound above 1e9 t makes an LP solve in kilotonnes; a MIP must not (whole kilotonnes
    are not whole tonnes, and a binary would become 0 … 0.001). Same case as above plus an
    idle mine c (2e9 t, 1,000 CNY/t, never worth its cost against the 100 CNY/t penalty):
    still 2·1 + 2·2 + 100 = 106."""
    path = tmp_dataset(["w1"], {
        "nodes": [{"id": "a", "kind": "mine"}, {"id": "b", "kind": "mine"}, {"id": "c", "kind": "mine"}, {"id": "d", "kind": "demand"}],
        "links": [
            {"id": "la", "from": "a", "to": "d", "mode": "rail", "distance_km": 1, "capacity_t": "", "cost_cny_per_t": 0},
            {"id": "lb", "from": "b", "to": "d", "mode": "rail", "distance_km": 1, "capacity_t": "", "cost_cny_per_t": 0},
            {"id": "lc", "from": "c", "to": "d", "mode": "rail", "distance_km": 1, "capacity_t": "", "cost_cny_per_t": 0},
        ],
        "supply": [
            {"node": "a", "product": "coal", "capacity_t": 2.5, "cost_cny_per_t": 1},
            {"node": "b", "product": "coal", "capacity_t": 2.5, "cost_cny_per_t": 2},
            {"node": "c", "product": "coal", "capacity_t": 2e9, "cost_cny_per_t": 1000},
        ],
        "demand": [{"node": "d", "product": "coal", "demand_t": 5, "penalty_cny_per_t": 100}],
    })
    net = supplyopt.load(path)
    opt = load_options(None)
    lp = build_lp(net, opt)
    lp.variables["flow"].integrality = "integer"
    sol = make_engine(lp, opt, net.periods).solve()
    assert sol.status == "optimal" and sol.objective == pytest.approx(106.0)


def test_shanxi_loads_quietly_with_its_snapshot_and_reserve_columns():
    """The bundled data set reads without warnings: its storage period rows fill the optional
    boolean `reserve` column from the base row (a crash before), and snapshot.csv beside the
    tables is a schedule input, not an unread table."""
    net = supplyopt.load(REPO / "data/shanxi")
    assert net.warnings == []
    assert (REPO / "data/shanxi/snapshot.csv").is_file()


def test_input_warnings_are_recorded_even_when_quiet(tmp_path):
    """A cell read as meant (full-width digits) is a warning; a --quiet run must still keep it
    in run.log and summary.json, so an unattended run's record shows what was reinterpreted."""
    import shutil

    data = tmp_path / "transport"
    shutil.copytree(REPO / "data/examples/transport", data)
    text = (data / "supply.csv").read_text(encoding="utf-8")
    (data / "supply.csv").write_text(text.replace("350", "３５０", 1), encoding="utf-8")
    out = tmp_path / "out"
    rc = subprocess.run([sys.executable, "-m", "supplyopt", "solve", str(data), "--out", str(out), "--quiet"], cwd=REPO).returncode
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["objective"] == pytest.approx(153.675)  # read as 350, the optimum is unchanged
    assert any("３５０" in w for w in summary["input_warnings"])
    assert "input warning" in (out / "run.log").read_text(encoding="utf-8")
