"""The extension hook: extra_functionality(model, network, options) on the Pyomo model.

What an extension adds must show up in the results by its name (summary, prices, checks,
explanations), integer variables make a MIP, and the CLI takes --extend FILE.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pyomo.environ as pyo
import pytest
from conftest import REPO

import supplyopt
from supplyopt.engines.pyomo_view import add_cost

MINE = {"id": "m", "kind": "mine"}
DEM = {"id": "d", "kind": "demand"}


def two_modes(tmp_dataset):
    # m → d by rail (8 CNY/t) or truck (5 CNY/t), both 100 km; demand 100 t. CO2 per tonne:
    # rail 100 × 0.011 / 1000 = 0.0011 t, truck 100 × 0.090 / 1000 = 0.009 t.
    return tmp_dataset(1, {
        "nodes": [MINE, DEM],
        "supply": [{"node": "m", "capacity_t": 1000, "cost_cny_per_t": 1}],
        "links": [{"id": "rail", "from": "m", "to": "d", "mode": "rail", "capacity_t": "", "cost_cny_per_t": 8, "distance_km": 100},
                  {"id": "road", "from": "m", "to": "d", "mode": "truck", "capacity_t": "", "cost_cny_per_t": 5, "distance_km": 100}],
        "demand": [{"node": "d", "demand_t": 100, "penalty_cny_per_t": 1000}],
    })


def co2_cap(limit_t):
    def extra_functionality(m, net, opt):
        m.co2_cap = pyo.Constraint(expr=sum(m.distance_km[l] * m.co2_kg_per_tkm[l] / 1000 * m.flow[l, p, t] for l, p, t in m.FLOWS) <= limit_t,
                                   doc="t of CO2 over the horizon, within the cap")
    return extra_functionality


def test_co2_cap_changes_the_optimum_and_is_priced(tmp_dataset):
    # Uncapped: all by truck, 100 × (1 + 5) = 600 t·CNY, CO2 0.9 t. Cap 0.5 t: truck tonnes x
    # with 0.009 x + 0.0011 (100 − x) ≤ 0.5 → x = 0.39 / 0.0079 = 49.367 t; cost
    # 100 + 5x + 8 (100 − x) = 900 − 3x = 751.899. One more tonne of CO2 allowed moves
    # 1 / 0.0079 t from rail to truck, saving 3 / 0.0079 = 379.75 CNY.
    path = two_modes(tmp_dataset)
    base = supplyopt.solve(path)
    assert base.kpis["objective"] == pytest.approx(600) and base.kpis["co2_t"] == pytest.approx(0.9)
    plan = supplyopt.solve(path, extend=co2_cap(0.5))
    assert plan.kpis["objective"] == pytest.approx(900 - 3 * 0.39 / 0.0079)
    assert plan.kpis["co2_t"] == pytest.approx(0.5)
    assert plan.summary["model"]["engine"] == "pyomo"
    assert plan.summary["model"]["constraint_families"]["co2_cap"] == 1
    req = {r["name"]: r for r in plan.summary["requirements"]}["co2_cap"]
    assert req["as"] == "row" and req["count"] == 1 and req["meaning"] == "t of CO2 over the horizon, within the cap"
    price = plan.prices[plan.prices["kind"] == "co2_cap"]["price_cny_per_t"]
    assert price.tolist() == pytest.approx([3 / 0.0079])
    assert any("using the Pyomo engine" in line for line in plan.log)
    assert plan.summary["solver"]["iterations"] is not None


def test_extension_cost_part_and_integer_variable(tmp_dataset):
    # A binary "use the road" decision with a fixed cost of 150: the road saves 3 CNY/t on
    # 100 t (300 > 150), so it is opened: 600 + 150 = 750. At a fixed cost of 400 the rail
    # carries all: 100 × 9 = 900. The model is a MIP: no prices, a note says so.
    path = two_modes(tmp_dataset)

    def road_decision(fixed):
        def extra_functionality(m, net, opt):
            m.open_road = pyo.Var(within=pyo.Binary)
            m.road_only_if_open = pyo.Constraint(m.PERIODS, rule=lambda m, t: m.flow["road", "coal", t] <= 1000 * m.open_road)
            add_cost(m, "road_fixed", fixed * m.open_road)
        return extra_functionality

    study = supplyopt.Study(path, extend=road_decision(150))
    plan = study.solve()
    assert plan.kpis["objective"] == pytest.approx(750)
    assert plan.kpis["costs"]["road_fixed"] == pytest.approx(150)
    assert study.lp.variables["open_road"].integrality == "binary" and study.lp.is_mip
    assert study.engine.model.open_road.value == pytest.approx(1)  # values loaded back into Pyomo
    assert plan.prices.empty and any("MIP" in w for w in plan.warnings)
    assert plan.summary["model"]["integer_variables"] == 1
    plan = supplyopt.solve(path, extend=road_decision(400))
    assert plan.kpis["objective"] == pytest.approx(900)


def test_an_impossible_extension_row_is_named_in_the_explanation(tmp_dataset):
    # The extension asks for 2,000 t of output; coal cannot be discarded and there is no store,
    # so only the 100 t of demand can be produced: 1,900 t short.
    path = two_modes(tmp_dataset)

    def extra_functionality(m, net, opt):
        m.make_at_least = pyo.Constraint(expr=sum(m.production[k] for k in m.SUPPLY) >= 2000)

    with pytest.raises(supplyopt.NoPlan) as err:
        supplyopt.solve(path, extend=extra_functionality)
    assert err.value.status == "infeasible"
    assert err.value.explanation == ["This requirement cannot be met:", "- make_at_least cannot be met: missed by 1,900"]


def test_cli_extend_with_the_example_file(tmp_path):
    out = tmp_path / "out"
    env = {"SUPPLYOPT_CO2_CAP_T": "10", "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "supplyopt", "solve", str(REPO / "data/examples/winter"), "--extend", str(REPO / "models/extensions/co2_cap.py"), "--out", str(out), "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["co2_t"] == pytest.approx(10, rel=1e-6)
    assert summary["model"]["engine"] == "pyomo" and "co2_cap" in summary["model"]["constraint_families"]
    assert "co2_cap" in (out / "prices.csv").read_text()
    assert "extension hook extra_functionality given: using the Pyomo engine" in (out / "run.log").read_text()
    bad = subprocess.run(cmd[:6] + [str(tmp_path / "missing.py"), "--out", str(tmp_path / "x")], capture_output=True, text=True, cwd=REPO)
    assert bad.returncode == 2 and "extension file not found" in bad.stderr and not (tmp_path / "x").exists()


def test_pyomo_engine_check_plan_names_the_broken_requirement(tmp_dataset):
    from supplyopt.engines.solver import check_plan

    study = supplyopt.Study(two_modes(tmp_dataset), extend=co2_cap(0.5))
    study.solve()
    x = study.solution.x.copy()
    x[study.lp.variables["flow"].start + 1] += 50  # 50 t more by truck: CO2 above the cap
    broken = check_plan(study.lp, x)
    assert any(line.startswith("co2_cap") and "breaks co2_cap" in line for line in broken)
    assert np.isfinite(study.solution.row_dual).all()


def test_the_builder_refuses_a_second_family_of_one_name_and_adds_cost_terms():
    import numpy as np
    import pandas as pd

    from supplyopt.model.statement import LinearProgram

    lp = LinearProgram("x")
    lp.add_variables("flow", "t", ["k"], pd.DataFrame({"k": [1, 2]}), 0.0, 1.0)
    with pytest.raises(ValueError, match="exists already"):
        lp.add_variables("flow", "t", ["k"], pd.DataFrame({"k": [3]}), 0.0, 1.0)
    with pytest.raises(ValueError, match="exists already"):
        lp.add_constraints("flow", "rows", [], pd.DataFrame({"a": [0]}), [0], [0], [1.0], 0.0, 1.0)
    lp.add_cost("transport", [0], [2.0])
    lp.add_cost("transport", [1], [3.0])  # appended, not replaced
    assert list(lp.objective()) == [2.0, 3.0]
    assert np.array_equal(lp.costs["transport"][0], [0, 1])


def test_an_extension_adds_to_a_standard_cost_part_and_an_empty_family_is_reported(tmp_dataset):
    path = two_modes(tmp_dataset)
    base = supplyopt.solve(path).summary

    def extra_functionality(m, net, opt):
        # a fee of 1 CNY on every tonne by road, added to the transport part (road stays cheaper)
        add_cost(m, "transport", sum(m.flow[l, p, t] for l, p, t in m.FLOWS if l == "road"))
        m.nothing = pyo.Constraint([l for l in m.LINKS if l == "no such link"], rule=lambda m, l: m.flow[l, "coal", m.PERIODS.first()] <= 0)

    plan = supplyopt.solve(path, extend=extra_functionality)
    road_t = float(plan.flows.loc[plan.flows["link"] == "road", "flow_t"].sum())
    assert road_t == pytest.approx(100)
    assert plan.summary["costs"]["transport"] == pytest.approx(base["costs"]["transport"] + road_t)
    assert any("nothing" in w and "matches nothing" in w for w in plan.warnings)


@pytest.mark.parametrize("command", [["solve"], ["screen", "--elements", "links"]])
def test_a_failing_extension_is_the_user_file_s_error_not_an_internal_one(tmp_path, capsys, command):
    """Was: an extension that raised ended in 'internal error (this is a bug)' and a traceback.
    Now: exit 2 naming the file, the line and the error, nothing written. The screen one fails
    only on an outage's data (it divides by a link's capacity, 0 when the link is out)."""
    from supplyopt.cli import main

    ext = tmp_path / "ext.py"
    body = ("    raise ValueError('no column called tonnage')\n" if command == ["solve"] else
            "    import math\n    rows = [(l, p, t) for l, p, t in m.FLOWS if math.isfinite(float(m.link_capacity_t[l, t]))]\n"
            "    m.utilisation = pyo.Constraint(rows, rule=lambda m, l, p, t: m.flow[l, p, t] / m.link_capacity_t[l, t] <= 0.9)\n")
    ext.write_text("import pyomo.environ as pyo\n\n\ndef extra_functionality(m, network, options):\n" + body)
    assert main([*command[:1], str(REPO / "data/examples/winter"), *command[1:], "--extend", str(ext), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{ext} — extra_functionality failed at line" in err, err
    assert ("ValueError: no column called tonnage" if command == ["solve"] else "ZeroDivisionError") in err
    assert "internal error" not in err and "Traceback" not in err and not (tmp_path / "out").exists()


@pytest.mark.parametrize("given, needle", [("models/extensions", "is a folder; expected a .py file"), ("models/default.yaml", "a model profile goes to --model")])
def test_extend_given_a_folder_or_a_profile_says_what_it_takes(tmp_path, capsys, given, needle):
    from supplyopt.cli import main

    assert main(["solve", str(REPO / "data/examples/winter"), "--extend", str(REPO / given), "--out", str(tmp_path / "o")]) == 2
    assert needle in capsys.readouterr().err and not (tmp_path / "o").exists()


@pytest.mark.parametrize("given, needle", [("models/extensions/co2_cap.py", "an extension (extra_functionality) goes to --extend"), ("models", "is a folder; expected a model profile")])
def test_model_given_an_extension_or_a_folder_says_what_it_takes(tmp_path, capsys, given, needle):
    from supplyopt.cli import main

    assert main(["solve", str(REPO / "data/examples/winter"), "--model", str(REPO / given), "--out", str(tmp_path / "o")]) == 2
    assert needle in capsys.readouterr().err and not (tmp_path / "o").exists()
