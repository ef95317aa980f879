"""Coal quality and blending (quality.csv, demand.csv's min_kcal_per_kg, max_sulphur_pct and
demand_unit): hand-solved optima on both engines, the warning for a limit no grade meets, an
impossible plan explained, quality.csv in the results, and the validation messages.

The case (tests/cases/quality_blend): mine A's grade thermal_rich has 6,000 kcal/kg and 0.5 %
sulphur at 300 CNY/t, mine B's thermal_lean 4,000 kcal/kg and 2.0 % at 200 CNY/t; both serve
``thermal``, of which the plant needs 100 t (unmet penalty 1,000 CNY/t); links cost nothing.
With a tonnes received from A and b from B (a + b = 100 t):

- no requirement: all from B, the cheaper: 100 × 200 = 20,000 CNY.
- min 5,000 kcal/kg: 6,000a + 4,000b ≥ 5,000(a + b) ⇔ a ≥ b, so a = b = 50:
  50 × 300 + 50 × 200 = 25,000 CNY.
- max 1.0 % sulphur: 0.5a + 2.0b ≤ 1.0(a + b) ⇔ b ≤ a / 2, so a = 66.67, b = 33.33:
  66.67 × 300 + 33.33 × 200 = 20,000 + 6,666.67 = 26,666.67 CNY.
- both: a ≥ b and a ≥ 2b; the second is the tighter one: the same 26,666.67 CNY.
- 100 tce (7,000 kcal/kg each), no limit: a tonne from A counts 6/7 tce and costs 300, so a
  tce from A costs 300 × 7/6 = 350; from B 200 × 7/4 = 350 as well. Every mix with
  6a/7 + 4b/7 = 100 costs 35,000 CNY (all from A: 116.67 t; all from B: 175 t).
- min 7,000 kcal/kg: neither grade reaches it alone, so no blend does: nothing is delivered,
  100 t unmet × 1,000 = 100,000 CNY, and a warning says why.
- min_t 10 t at B, whose only outlet is the plant, and min 6,000 kcal/kg: B's 10 t must go
  to the plant, and any tonne of B takes the blend below 6,000: no plan.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import CASES
from test_identical_lp import assert_same, both

import supplyopt
from supplyopt.io.data import read_dataset
from supplyopt.io.validate import check

BASE = CASES / "quality_blend"
ENGINES = ["highs", "pyomo"]
DEMAND = "node,product,demand_t,penalty_cny_per_t,min_kcal_per_kg,max_sulphur_pct,demand_unit\n"


def case(tmp_path, demand: str = "plant,thermal,100,1000,,,", **files: str):
    """A copy of the base case with demand.csv's one row, and other files, replaced."""
    folder = tmp_path / "case"
    shutil.copytree(BASE, folder)
    (folder / "demand.csv").write_text(DEMAND + demand + "\n", encoding="utf-8")
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def received(plan) -> dict[str, float]:
    """Tonnes entering the plant by grade."""
    f = plan.flows
    return f[f["to"] == "plant"].groupby("product")["flow_t"].sum().to_dict()


def solve(path, engine, **options):
    return supplyopt.solve(path, model=supplyopt.options(engine=engine, **options))


# --------------------------------------------------------------------------- optima by hand
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("limits, cost, rich, lean", [
    (",,", 20_000, 0.0, 100.0),
    ("5000,,", 25_000, 50.0, 50.0),
    (",1.0,", 80_000 / 3, 200 / 3, 100 / 3),
    ("5000,1.0,", 80_000 / 3, 200 / 3, 100 / 3),
], ids=["none", "min_5000", "max_sulphur_1", "both"])
def test_blend_optima_by_hand(tmp_path, engine, limits, cost, rich, lean):
    plan = solve(case(tmp_path, f"plant,thermal,100,1000,{limits}"), engine)
    assert plan.summary["objective"] == pytest.approx(cost, rel=1e-9)
    got = received(plan)
    assert got.get("thermal_rich", 0.0) == pytest.approx(rich, abs=1e-6)
    assert got.get("thermal_lean", 0.0) == pytest.approx(lean, abs=1e-6)
    assert plan.summary["unmet_t"] == pytest.approx(0.0, abs=1e-6)
    assert plan.summary["model"]["engine"] == engine


@pytest.mark.parametrize("engine", ENGINES)
def test_demand_in_tce(tmp_path, engine):
    # both grades cost 350 CNY per tce (see the module docstring): 100 tce cost 35,000 CNY
    plan = solve(case(tmp_path, "plant,thermal,100,1000,,,tce"), engine)
    assert plan.summary["objective"] == pytest.approx(35_000, rel=1e-9)
    got = received(plan)
    tce = got.get("thermal_rich", 0.0) * 6 / 7 + got.get("thermal_lean", 0.0) * 4 / 7
    assert tce == pytest.approx(100.0, abs=1e-6)
    q = plan.quality.iloc[0]
    assert q["demand_unit"] == "tce"
    assert q["received_t"] == pytest.approx(sum(got.values()), abs=1e-6)  # raw tonnes, not tce
    assert q["received_t"] * q["blend_kcal_per_kg"] / 7000 == pytest.approx(100.0, abs=1e-6)


@pytest.mark.parametrize("engine", ENGINES)
def test_tce_with_a_calorific_floor_counts_raw_tonnes(tmp_path, engine):
    # 100 tce and at least 5,000 kcal/kg: a ≥ b in raw tonnes; every mix still costs 350 CNY/tce
    plan = solve(case(tmp_path, "plant,thermal,100,1000,5000,,tce"), engine)
    assert plan.summary["objective"] == pytest.approx(35_000, rel=1e-9)
    got = received(plan)
    assert got.get("thermal_rich", 0.0) >= got.get("thermal_lean", 0.0) - 1e-6


@pytest.mark.parametrize("engine", ENGINES)
def test_the_blend_counts_tonnes_arriving(tmp_path, engine):
    # A's link loses 20 %: x t sent from A arrive as 0.8x. Min 5,000 kcal/kg on what arrives:
    # 0.8x ≥ b and 0.8x + b = 100, so 0.8x = b = 50, x = 62.5: 62.5 × 300 + 50 × 200 = 28,750 CNY
    links = ("id,from,to,mode,capacity_t,cost_cny_per_t,distance_km,efficiency\n"
             "a_plant,mine_a,plant,rail,,0,10,0.8\nb_plant,mine_b,plant,rail,,0,10,1\n")
    plan = solve(case(tmp_path, "plant,thermal,100,1000,5000,,", links=links), engine)
    assert plan.summary["objective"] == pytest.approx(28_750, rel=1e-9)
    assert received(plan) == pytest.approx({"thermal_rich": 62.5, "thermal_lean": 50.0}, abs=1e-6)
    assert plan.quality["received_t"].iloc[0] == pytest.approx(100.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_blending_upstream_is_what_the_plant_receives(tmp_path, engine):
    # both grades pass a port (free links); the grades stay apart on the way, so the optimum
    # with min 5,000 kcal/kg is the direct one: 50 t of each, 25,000 CNY
    links = ("id,from,to,mode,capacity_t,cost_cny_per_t,distance_km\n"
             "a_port,mine_a,port,rail,,0,10\nb_port,mine_b,port,rail,,0,10\nport_plant,port,plant,sea,,0,100\n")
    nodes = "id,kind,name\nmine_a,mine,A\nmine_b,mine,B\nport,port,Port\nplant,demand,Plant\n"
    plan = solve(case(tmp_path, "plant,thermal,100,1000,5000,,", links=links, nodes=nodes), engine)
    assert plan.summary["objective"] == pytest.approx(25_000, rel=1e-9)
    assert received(plan) == pytest.approx({"thermal_rich": 50.0, "thermal_lean": 50.0}, abs=1e-6)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_limit_no_grade_meets_warns_and_leaves_the_demand_unmet(tmp_path, engine):
    plan = solve(case(tmp_path, "plant,thermal,100,1000,7000,,"), engine)
    assert plan.summary["objective"] == pytest.approx(100_000, rel=1e-9)
    assert plan.summary["unmet_t"] == pytest.approx(100.0)
    text = "plant (thermal): no grade that can reach it has 7,000 kcal/kg or more (best: thermal_rich 6,000 kcal/kg); all of its demand will go unmet"
    assert text in plan.warnings
    assert plan.summary["quality"]["limits_no_grade_meets"] == [text]
    w = plan.early_warnings
    blend = w[w["kind"] == "blend"]
    assert len(blend) == 1 and blend["severity"].iloc[0] == "red" and blend["message"].iloc[0] == text
    assert w["kind"].iloc[0] == "blend"  # first: it says why the unmet warning follows


def test_a_sulphur_limit_no_grade_meets_warns(tmp_path):
    plan = supplyopt.solve(case(tmp_path, "plant,thermal,100,1000,,0.4,"))
    assert "plant (thermal): no grade that can reach it has 0.4 % sulphur or less (best: thermal_rich 0.5 %); all of its demand will go unmet" in plan.warnings
    assert plan.summary["unmet_t"] == pytest.approx(100.0)


def test_limits_that_can_be_met_give_no_warning(tmp_path):
    plan = supplyopt.solve(case(tmp_path, "plant,thermal,100,1000,6000,0.5,"))
    assert plan.summary["quality"]["limits_no_grade_meets"] == []
    assert not (plan.early_warnings["kind"] == "blend").any()
    assert plan.summary["objective"] == pytest.approx(30_000)  # all from A: 100 × 300


@pytest.mark.parametrize("engine", ENGINES)
def test_an_impossible_blend_is_explained_naming_the_requirement_and_the_plant(tmp_path, engine):
    supply = "node,product,capacity_t,cost_cny_per_t,min_t\nmine_a,thermal_rich,,300,0\nmine_b,thermal_lean,,200,10\n"
    with pytest.raises(supplyopt.NoPlan) as err:
        solve(case(tmp_path, "plant,thermal,100,1000,6000,,", supply=supply), engine)
    assert err.value.status == "infeasible"
    blend = [line for line in err.value.explanation if "blend_min_calorific" in line]
    assert blend, err.value.explanation
    assert "plant (thermal) in 1" in blend[0] and "6,000 kcal/kg" in blend[0]
    assert any("minimum output of thermal_lean at mine mine_b" in line for line in err.value.explanation)


def test_an_impossible_sulphur_limit_is_explained(tmp_path):
    supply = "node,product,capacity_t,cost_cny_per_t,min_t\nmine_a,thermal_rich,,300,0\nmine_b,thermal_lean,,200,10\n"
    with pytest.raises(supplyopt.NoPlan) as err:
        supplyopt.solve(case(tmp_path, "plant,thermal,100,1000,,0.4,", supply=supply))
    line = next(line for line in err.value.explanation if "blend_max_sulphur" in line)
    # with no cost in the relaxed model any tonne received counts; B's 10 t carry 2 % sulphur
    assert "plant (thermal) in 1" in line and "0.40 % sulphur" in line


# --------------------------------------------------------------------------- one statement
@pytest.mark.parametrize("limits", ["5000,1.0,", ",,tce", "5000,,tce"])
def test_the_pyomo_view_compiles_back_to_the_statement(tmp_path, limits):
    a, b = both(case(tmp_path, f"plant,thermal,100,1000,{limits}"), None, {})
    assert any(k[0] in ("blend_calorific", "blend_sulphur") for k in a["rows"]) or "tce" in limits
    assert_same(a, b)


def test_rows_only_where_asked(tmp_path):
    # quality.csv without any limit: grades blend into thermal, but no blend rows at all
    plan = supplyopt.solve(case(tmp_path))
    families = plan.summary["model"]["constraint_families"]
    assert "blend_calorific" not in families and "blend_sulphur" not in families
    plan = supplyopt.solve(case(tmp_path / "x", "plant,thermal,100,1000,5000,,"))
    assert plan.summary["model"]["constraint_families"]["blend_calorific"] == 1
    assert "blend_sulphur" not in plan.summary["model"]["constraint_families"]
    req = {r["name"]: r for r in plan.summary["requirements"]}
    assert req["blend_min_calorific"]["count"] == 1 and req["blend_min_calorific"]["hard"]
    assert req["blend_max_sulphur"]["count"] == 0


def test_without_quality_csv_the_results_have_no_quality(tmp_path):
    folder = case(tmp_path)
    (folder / "quality.csv").unlink()
    (folder / "supply.csv").write_text("node,product,capacity_t,cost_cny_per_t,min_t\nmine_a,thermal,,300,0\nmine_b,thermal,,200,0\n", encoding="utf-8")
    plan = supplyopt.solve(folder)
    assert plan.quality is None and "quality" not in plan.summary
    out = plan.write(tmp_path / "out")
    assert not (out / "quality.csv").exists()
    assert "min_kcal_per_kg" not in plan.unmet and "demand_unit" not in plan.unmet  # unmet.csv as before


def test_quality_csv_in_the_results(tmp_path):
    plan = supplyopt.solve(case(tmp_path, "plant,thermal,100,1000,5000,1.5,"))
    out = plan.write(tmp_path / "out")
    table = pd.read_csv(out / "quality.csv", keep_default_na=False)
    assert list(table.columns) == ["node", "product", "period", "received_t", "blend_kcal_per_kg", "blend_sulphur_pct",
                                   "min_kcal_per_kg", "max_sulphur_pct", "demand_unit"]
    row = table.iloc[0]
    # 50 t of each: (50 × 6,000 + 50 × 4,000) / 100 = 5,000 kcal/kg; (50 × 0.5 + 50 × 2.0) / 100 = 1.25 %
    assert (row["node"], row["product"], str(row["period"]), row["demand_unit"]) == ("plant", "thermal", "1", "t")
    assert float(row["received_t"]) == pytest.approx(100.0)
    assert float(row["blend_kcal_per_kg"]) == pytest.approx(5000.0)
    assert float(row["blend_sulphur_pct"]) == pytest.approx(1.25)
    assert float(row["min_kcal_per_kg"]) == 5000 and float(row["max_sulphur_pct"]) == 1.5


def test_extra_demand_columns_are_kept_and_not_taken_for_demand_unit(tmp_path):
    demand = "node,product,demand_t,penalty_cny_per_t,demand_class,scope\nplant,thermal,100,1000,power,in_province\n"
    folder = case(tmp_path)
    (folder / "demand.csv").write_text(demand, encoding="utf-8")
    problems = check(read_dataset(folder))
    assert not [p for p in problems if "demand_unit" in p.message or "looks like" in p.message], problems
    plan = supplyopt.solve(folder)
    assert list(plan.unmet.columns[-2:]) == ["demand_class", "scope"]


# --------------------------------------------------------------------------- bad input
def messages(folder) -> list[str]:
    return [str(p) for p in check(read_dataset(folder)) if p.severity == "error"]


def test_every_quality_mistake_at_once(tmp_path):
    quality = ("product,calorific_kcal_per_kg,sulphur_pct,serves\n"
               "thermal_rich,6000,0.5,thermal\n"
               "thermal_lean,4000,,thermal\n"      # no sulphur, but the plant limits sulphur
               "thermal_mid,5000,1.0,thermal\n"    # row 3: not a product of the network
               "coking,0,1.0,thermla\n")           # row 4: calorific 0, serves a misspelt product
    supply = ("node,product,capacity_t,cost_cny_per_t,min_t\nmine_a,thermal_rich,,300,0\nmine_b,thermal_lean,,200,0\n"
              "mine_b,coking,,500,0\n")
    demand = "plant,thermal,100,1000,5000,1.0,kg"
    got = messages(case(tmp_path, demand, quality=quality, supply=supply))
    assert any("quality.csv row 3, column product: 'thermal_mid'" in m and "unknown product" in m for m in got), got
    assert any("quality.csv row 4, column calorific_kcal_per_kg: '0'" in m and "above 0" in m for m in got), got
    assert any("quality.csv row 4, column serves: 'thermla'" in m and "did you mean 'thermal'" in m for m in got), got
    assert any("demand.csv row 1, column demand_unit: 'kg'" in m and "t (tonnes" in m and "tce" in m for m in got), got


def test_a_limit_needs_the_quality_of_every_grade_that_can_reach_it(tmp_path):
    quality = "product,calorific_kcal_per_kg,sulphur_pct,serves\nthermal_rich,6000,0.5,thermal\nthermal_lean,,,thermal\n"
    got = messages(case(tmp_path, "plant,thermal,100,1000,5000,1.0,", quality=quality))
    assert any("demand.csv row 1, column min_kcal_per_kg" in m and "no calorific_kcal_per_kg for thermal_lean" in m for m in got), got
    assert any("demand.csv row 1, column max_sulphur_pct" in m and "no sulphur_pct for thermal_lean" in m for m in got), got
    got = messages(case(tmp_path / "tce", "plant,thermal,100,1000,,,tce", quality=quality))
    assert any("demand.csv row 1, column demand_unit: 'tce'" in m and "no calorific_kcal_per_kg for thermal_lean" in m for m in got), got


def test_a_grade_that_cannot_reach_the_plant_needs_no_quality(tmp_path):
    # thermal itself is produced nowhere: it needs no calorific value although it is the demand's product
    assert messages(case(tmp_path, "plant,thermal,100,1000,5000,1.0,tce")) == []


def test_limits_without_quality_csv(tmp_path):
    folder = case(tmp_path, "plant,thermal,100,1000,5000,,")
    (folder / "quality.csv").unlink()
    (folder / "supply.csv").write_text("node,product,capacity_t,cost_cny_per_t,min_t\nmine_a,thermal,,300,0\n", encoding="utf-8")
    got = messages(folder)
    assert any("column min_kcal_per_kg" in m and "no quality.csv" in m for m in got), got


def test_quality_limits_cannot_change_by_period(tmp_path):
    folder = case(tmp_path)
    (folder / "network.yaml").write_text((folder / "network.yaml").read_text().replace("periods: 1", "periods: 2"), encoding="utf-8")
    (folder / "demand.csv").write_text("node,product,demand_t,penalty_cny_per_t,min_kcal_per_kg,max_sulphur_pct,demand_unit,period\n"
                                       "plant,thermal,100,1000,5000,,,\nplant,thermal,120,,5500,,,2\n", encoding="utf-8")
    got = messages(folder)
    assert any("demand.csv row 2, column min_kcal_per_kg" in m and "cannot change by period" in m for m in got), got


def test_serves_chains_and_double_demand_are_refused(tmp_path):
    quality = ("product,calorific_kcal_per_kg,sulphur_pct,serves\nthermal_rich,6000,0.5,thermal\n"
               "thermal_lean,4000,2.0,thermal_rich\n")
    got = messages(case(tmp_path, "plant,thermal,100,1000,,,", quality=quality))
    assert any("quality.csv row 2, column serves: 'thermal_rich'" in m and "itself serves thermal" in m for m in got), got
    demand = "plant,thermal,100,1000,,,\nplant,thermal_lean,10,1000,,,"
    got = messages(case(tmp_path / "two", demand))
    assert any("demand.csv row 2, column product: 'thermal_lean'" in m and "could never be served" in m for m in got), got
