"""The combinations users make: every profile × every bundled scenario × both engines, and the
one extension hook through every workflow, warm and cold, in process and in worker processes.
Each seam bug of issue 22 has its regression test here."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO

import supplyopt
from supplyopt.cli import main
from supplyopt.workflows.compare import compare
from supplyopt.workflows.screen import screen
from supplyopt.workflows.sweep import sweep

SHANXI = REPO / "data/shanxi"
PROFILES = ["default", "clean_transport", "carbon_price", "priority"]
SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))
CO2 = REPO / "models/extensions/co2_cap.py"


@pytest.fixture(scope="module")
def net():
    return supplyopt.load(SHANXI)


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_and_scenario_gives_one_answer_on_both_engines(net, profile):
    """Both engines state the same LP (the Pyomo view is generated from the arrays), so every
    bundled scenario, foresight surprise included, costs the same to 1e-7."""
    studies = {e: supplyopt.Study(net, model=supplyopt.options(REPO / f"models/{profile}.yaml", engine=e)) for e in ("highs", "pyomo")}
    for sc in [None, *SCENARIOS]:
        got = {}
        for engine, study in studies.items():
            plan = study.apply(sc).solve()
            assert plan.summary["model"]["engine"] == engine
            got[engine] = plan.summary
        name = sc.stem if sc else "base"
        assert got["pyomo"]["objective"] == pytest.approx(got["highs"]["objective"], rel=1e-7), (profile, name)
        assert got["pyomo"]["unmet_t"] == pytest.approx(got["highs"]["unmet_t"], rel=1e-7, abs=1e-3), (profile, name)


def test_compare_with_an_extension_warm_and_cold_agree(net):
    """Was: a cold compare dropped the extension (278.0 vs 186.2 bn CNY with the CO2 cap)."""
    scs = [REPO / "scenarios/cold_wave.yaml", REPO / "scenarios/port_storm_bohai.yaml"]
    warm = compare(net, scs, model=REPO / "models/default.yaml", extend=CO2)
    cold = compare(net, scs, model=REPO / "models/default.yaml", extend=CO2, warm=False)
    plain = compare(net, scs[:1], model=REPO / "models/default.yaml")
    for w, c in zip(warm.cases.itertuples(), cold.cases.itertuples()):
        assert w.objective_cny == pytest.approx(c.objective_cny, rel=1e-9), w.case
    assert warm.cases["co2_t"].iloc[0] <= 4_100_000 * (1 + 1e-9)  # the cap holds in the base …
    assert cold.cases["co2_t"].max() <= 4_100_000 * (1 + 1e-9)  # … and in every cold case
    assert warm.cases["objective_cny"].iloc[0] > plain.cases["objective_cny"].iloc[0] * 1.01  # the cap costs something
    assert warm.summary["extension"]["path"] == str(CO2) and len(warm.summary["extension"]["sha256"]) == 64


def test_screen_with_an_extension_warm_cold_and_workers_agree(net):
    """Was: screen dropped extensions (its workers and cold cases built plain models)."""
    runs = {
        "warm": screen(net, model=REPO / "models/default.yaml", kinds=["ports"], extend=CO2, limit=4),
        "cold": screen(net, model=REPO / "models/default.yaml", kinds=["ports"], extend=CO2, cold=True, limit=4),
        "workers": screen(net, model=REPO / "models/default.yaml", kinds=["ports"], extend=CO2, workers=2, limit=4),
    }
    tables = {k: r.table.set_index("element") for k, r in runs.items()}
    for k in ("cold", "workers"):
        for e in tables["warm"].index:
            assert tables[k].loc[e, "objective_cny"] == pytest.approx(tables["warm"].loc[e, "objective_cny"], rel=1e-9), (k, e)
    assert runs["workers"].summary["extension"]["function"] == "extra_functionality"
    plain = screen(net, model=REPO / "models/default.yaml", kinds=["ports"], limit=1).summary["base"]["objective"]
    assert runs["warm"].summary["base"]["objective"] > plain * 1.01


SPARE_CAPACITY = """
import math

import pyomo.environ as pyo


def extra_functionality(model, network, options):
    # half of the capacity-limited links' capacity stays spare each week: the row reads
    # link_capacity_t, so an outage (capacity 0) tightens it
    m = model
    capped = {(l, t): float(m.link_capacity_t[l, t]) for l, t in m.LINK_PERIODS if math.isfinite(float(m.link_capacity_t[l, t]))}

    def spare(m, t):
        return sum(m.flow[l, p, tt] for l, p, tt in m.FLOWS if tt == t and (l, tt) in capped) <= 0.5 * sum(c for (l, tt), c in capped.items() if tt == t)

    m.spare_capacity = pyo.Constraint(m.PERIODS, rule=spare)
"""


def test_screen_hands_an_extension_the_outage_data(net, tmp_path, monkeypatch):
    """A warm screen case holds the closed flows at 0 on the kept model; an extension that
    reads the data (here link capacities) is re-run on the outage's data, so the warm plan is
    the cold one (the outage scenario built anew). Handing it the base data gives other plans:
    the check below would not notice a screen that skipped it."""
    from supplyopt.engines.pyomo import PyomoEngine

    ext = tmp_path / "spare.py"
    ext.write_text(SPARE_CAPACITY)
    args = dict(model=REPO / "models/default.yaml", kinds=["corridors"], extend=ext, limit=4)
    warm = screen(net, **args).table.set_index("element")["objective_cny"]
    cold = screen(net, cold=True, **args).table.set_index("element")["objective_cny"]
    assert warm.to_dict() == pytest.approx(cold.to_dict(), rel=1e-9)
    # an outage in a window (surprise: the base plan stands until it opens) likewise
    window = {**args, "limit": 2, "window": f"{net.periods[3]}:{net.periods[6]}"}
    warm_w = screen(net, **window).table.set_index("element")["objective_cny"]
    cold_w = screen(net, cold=True, **window).table.set_index("element")["objective_cny"]
    assert warm_w.to_dict() == pytest.approx(cold_w.to_dict(), rel=1e-9)
    monkeypatch.setattr(PyomoEngine, "see", lambda self, network: None)
    stale = screen(net, **args).table.set_index("element")["objective_cny"]
    assert sum(abs(stale[e] - cold[e]) > 1e-6 * cold[e] for e in cold.index) >= 2


def test_sweep_with_an_extension_in_process_and_in_processes_agree(net):
    scs = [str(REPO / "scenarios/cold_wave.yaml"), str(REPO / "scenarios/daqin_winter_disruption.yaml")]
    one = sweep(net, scs, model=REPO / "models/default.yaml", extend=CO2)
    two = sweep(net, scs, model=REPO / "models/default.yaml", extend=CO2, workers=2)
    assert list(one.cases["objective_cny"]) == pytest.approx(list(two.cases["objective_cny"]), rel=1e-9)
    assert one.cases["co2_t"].max() <= 4_100_000 * (1 + 1e-9)
    assert two.summary["extension"]["sha256"] == one.summary["extension"]["sha256"]


def test_design_and_weekly_workflows_carry_the_extension(net):
    from supplyopt.workflows import evaluate as invest
    from supplyopt.workflows.schedule import schedule

    ev = invest.evaluate(net, "siding_tianbang_yuanping", model=REPO / "models/default.yaml", extend=CO2)
    assert ev.summary()["extension"]["path"] == str(CO2) and ev.without.summary["co2_t"] <= 4_100_000 * (1 + 1e-9)
    sch = schedule(net, REPO / "models/default.yaml", horizon=3, extend=CO2)
    assert sch.summary["extension"]["path"] == str(CO2) and "co2_cap" in sch.summary["model"]["constraint_families"]


def test_priority_with_the_pyomo_engine_and_an_extension_on_the_command_line(tmp_path, capsys):
    """Was: solve --model models/priority.yaml --engine pyomo (or with --extend) exited 1 with
    a TypeError; only solve took --extend. The CLI's main in process (the same parsing and
    dispatch as the command; a new process per command only added imports)."""
    assert main(["solve", str(SHANXI), "--model", str(REPO / "models/priority.yaml"), "--extend", str(CO2), "--out", str(tmp_path / "p"), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["model"]["engine"] == "pyomo" and s["priority"]["order"][0] == "residential_heating" and s["co2_t"] <= 4_100_000 * (1 + 1e-9)
    for cmd in (["compare", "--scenario", str(REPO / "scenarios/cold_wave.yaml")], ["screen", "--elements", "ports", "--limit", "1"],
                ["sweep", "--scenarios", str(REPO / "scenarios/cold_wave.yaml")], ["bottlenecks"], ["evaluate", "--candidate", "siding_tianbang_yuanping"]):
        code = main([cmd[0], str(SHANXI), *cmd[1:], "--model", str(REPO / "models/default.yaml"), "--extend", str(CO2), "--out", str(tmp_path / cmd[0]), "--quiet"])
        assert code == 0, (cmd, capsys.readouterr().err)
        summary = json.loads((tmp_path / cmd[0] / "summary.json").read_text())
        assert json.dumps(summary).count(str(CO2)) >= 1, cmd
    capsys.readouterr()
    code = main(["compare", str(SHANXI), "--scenario", str(REPO / "scenarios/cold_wave.yaml"), "--extend", str(tmp_path / "missing.py"), "--out", str(tmp_path / "bad")])
    assert code == 2 and "extension file not found" in capsys.readouterr().err and not (tmp_path / "bad").exists()
