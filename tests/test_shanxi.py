"""The Shanxi reference data sets (data/shanxi winter, data/shanxi-year 2027): generated from
one script, valid, calibrated against published figures, and robust to corridor outages.

Real figures are hard-coded from data/shanxi/SOURCES.md (not from the model); one quick solve
of the 52-week set (≈2–8 s) and a handful of 13-week solves (≈1 s each)."""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest
import yaml
from conftest import REPO, solve_path

from supplyopt.engines.solver import make_engine
from supplyopt.io.data import read_dataset
from supplyopt.io.scenario import apply_scenario, load_scenario
from supplyopt.io.validate import check, validate
from supplyopt.model.options import load_options
from supplyopt.model.statement import build_lp

WINTER = REPO / "data/shanxi"
YEAR = REPO / "data/shanxi-year"
PROFILE = REPO / "models/default.yaml"

# Published yearly figures (SOURCES.md §1), Mt/yr
PROVINCE_OUTPUT_MT = 1300  # 2024 plan ≈1.3 bn t (S1, S2); 1,377.5 Mt in 2023
DAQIN_MT = 422  # 2023 (S11, S12)
IN_PROVINCE_TRUCK_SHARE = (0.50, 0.65)  # 40–50 % of in-province coal by rail around 2020 (S22)
RED_LINE_DAYS = 7


def load_script(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "data" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def year_solved():
    return solve_path(YEAR, PROFILE)


@pytest.fixture(scope="module")
def winter_solved():
    return solve_path(WINTER, PROFILE)


def test_committed_files_are_what_the_generator_writes():
    """Both folders come from data/build_shanxi.py: editing a CSV by hand (or the script
    without regenerating) fails here."""
    assert load_script("build_shanxi").main(["--check"]) == 0


def text(folder, table):
    """A table as text, so that equal cells compare equal whatever pandas infers."""
    return pd.read_csv(folder / f"{table}.csv", dtype=str)


def test_winter_and_year_share_every_parameter():
    """The same nodes, links, mines and stores, with the same period-less values except the
    horizon-dependent ones (demand level of the first week, plant-yard sizes, Daqin's
    planned maintenance rows in the year only)."""
    for table in ("nodes", "modes"):
        assert text(WINTER, table).equals(text(YEAR, table))
    w_links = text(WINTER, "links")
    y_links = text(YEAR, "links")
    base = lambda f: f[f["period"].isna()].drop(columns="period").reset_index(drop=True)  # noqa: E731
    assert base(w_links).equals(base(y_links))
    assert set(y_links.loc[y_links["period"].notna(), "id"]) == {"rail_daqin_main"}
    assert base(text(WINTER, "supply")).equals(base(text(YEAR, "supply")))
    # the Spring Festival rows (2027-W05…W07) lie in both horizons and are identical
    sw, sy = text(WINTER, "supply"), text(YEAR, "supply")
    festival = ["2027-W05", "2027-W06", "2027-W07"]
    assert sw[sw["period"].isin(festival)].reset_index(drop=True).equals(sy[sy["period"].isin(festival)].reset_index(drop=True))
    # demand of a week present in both sets is the same number
    dw, dy = text(WINTER, "demand"), text(YEAR, "demand")
    for week in ("2027-W03", "2027-W08"):
        a = dw[dw["period"] == week].set_index("node")["demand_t"]
        b = dy[dy["period"] == week].set_index("node")["demand_t"]
        assert a.equals(b.loc[a.index])


@pytest.mark.parametrize("folder", [WINTER, YEAR])
def test_validates_without_errors(folder):
    problems = check(read_dataset(folder))
    assert [str(p) for p in problems if p.severity == "error"] == []


def test_year_output_and_daqin_within_10_percent_of_published(year_solved):
    net, _, sol, plan = year_solved
    assert sol.status == "optimal" and net.n_periods == 52
    shanxi = set(net.supply.loc[net.supply["origin"] == "shanxi", "node"])
    prod = plan.production
    output_mt = prod.loc[prod["mine"].isin(shanxi), "production_t"].sum() / 1e6
    assert output_mt == pytest.approx(PROVINCE_OUTPUT_MT, rel=0.10)
    daqin_mt = plan.flows.loc[plan.flows["link"] == "rail_daqin_main", "flow_t"].sum() / 1e6
    assert daqin_mt == pytest.approx(DAQIN_MT, rel=0.10)
    assert plan.kpis["unmet_t"] == pytest.approx(0, abs=1)


def test_year_has_daqin_spring_and_autumn_maintenance():
    links = pd.read_csv(YEAR / "links.csv")
    daqin = links[links["id"] == "rail_daqin_main"]
    normal = daqin.loc[daqin["period"].isna(), "capacity_t"].item()
    assert normal == pytest.approx(450e6 / 52, rel=0.001)  # 450 Mt/yr design
    cut = daqin.dropna(subset=["period"]).set_index("period")["capacity_t"] / normal
    assert set(cut.index) == {"2027-W14", "2027-W15", "2027-W16", "2027-W17", "2027-W41", "2027-W42", "2027-W43"}
    assert cut.between(0.80, 0.88).all()  # −12 … −20 % of daily volume (S55)


def test_winter_plan_looks_right_to_a_planner(winter_solved):
    net, _, sol, plan = winter_solved
    assert sol.status == "optimal"
    assert plan.kpis["unmet_t"] == pytest.approx(0, abs=1)
    # stocks never below the 7-day red line in the base case
    assert (plan.stocks["cover_status"] != "red").all()
    # trucks: short feeders only, and about half of in-province deliveries (S22)
    trucks = plan.flows[plan.flows["mode"] == "truck"]
    assert ((trucks["tkm"] / trucks["flow_t"]) <= 150).all()
    in_prov = set(net.demand.loc[net.demand["scope"] == "in_province", "node"])
    arriving = plan.flows[plan.flows["to"].isin(in_prov)]
    share = arriving.loc[arriving["mode"] == "truck", "flow_t"].sum() / arriving["flow_t"].sum()
    assert IN_PROVINCE_TRUCK_SHARE[0] <= share <= IN_PROVINCE_TRUCK_SHARE[1]
    # the model, not the data, decides which Bohai loaders bind: not all of them in every week
    loaders = plan.flows[plan.flows["link"].isin(
        ["load_qinhuangdao", "load_caofeidian", "load_jingtang", "load_huanghua", "load_tianjin"])]
    loader_use = loaders.groupby(["link", "period"])["utilisation"].sum()
    assert (loader_use < 0.95).any()
    assert plan.flows.loc[plan.flows["mode"] == "uhv", "flow_t"].sum() > 0


def test_plant_stocks_start_winter_at_21_days_of_use_and_keep_a_7_day_red_line():
    """Independent arithmetic on the CSVs: initial stock ÷ the first week's daily demand ≈ 21
    days at power and heating plants (national plants held 21–22 days of use in winter, H19,
    H20); safety stock = 7 days of the next week's demand."""
    storage = pd.read_csv(WINTER / "storage.csv")
    demand = pd.read_csv(WINTER / "demand.csv")
    base = storage[storage["period"].isna() & (storage["storage_kind"] == "plant_yard")].set_index("node")
    first = demand[demand["period"].isna()].set_index("node")
    for node in base.index:
        if first.loc[node, "demand_class"] in ("power", "residential_heating"):
            days = base.loc[node, "initial_t"] / (first.loc[node, "demand_t"] / 7)
            assert 20.5 <= days <= 21.5, node
    rows = storage[storage["period"].notna() & (storage["node"] == "dem_jiangsu_coast")].set_index("period")
    dem = demand[demand["node"] == "dem_jiangsu_coast"].copy()
    dem["period"] = dem["period"].fillna("2026-W49")
    need = dem.set_index("period")["demand_t"]
    assert rows.loc["2026-W52", "safety_t"] >= need["2026-W53"]  # 7 days of next week's burn
    assert rows.loc["2026-W52", "safety_t"] <= need["2026-W53"] * 1.02 + 1000


@pytest.mark.parametrize("corridor", ["Daqin", "Shuohuang", "Wari", "Haoji"])
def test_stopping_a_main_corridor_all_winter_leaves_a_plan(tmp_path, corridor):
    """Minimum outputs are low enough (external through-traffic has none) that no mine is
    forced to produce coal it cannot move: a full outage costs unmet demand, not feasibility."""
    path = tmp_path / "stop.yaml"
    path.write_text(yaml.safe_dump({"name": "stop", "edits": [
        {"what": "link_capacity", "where": {"corridor": corridor}, "set": 0}]}))
    net = apply_scenario(validate(read_dataset(WINTER)), load_scenario(path))
    opt = load_options(PROFILE)
    sol = make_engine(build_lp(net, opt), opt, net.periods).solve()
    assert sol.status == "optimal", corridor


@pytest.mark.parametrize("path", sorted((REPO / "scenarios/year").glob("*.yaml")), ids=lambda p: p.name)
def test_year_scenarios_apply_to_the_year_data_set(path):
    net = validate(read_dataset(YEAR))
    changed = apply_scenario(net, load_scenario(path))
    assert not (changed.link_periods.equals(net.link_periods) and changed.demand.equals(net.demand))


# Link categories that once sat in the corridor column (issue: `screen --elements corridors`
# treated "siding" or "coastal shipping" as a corridor); written by hand, not read from the script
LINK_CATEGORIES = {"siding", "mine_mouth", "truck_feeder", "truck_direct", "coastal shipping",
                   "coastal_shipping", "port loading", "port_loading", "reserve in", "reserve_in",
                   "reserve out", "reserve_out", "coal by wire", "coal_by_wire"}


@pytest.mark.parametrize("folder", [WINTER, YEAR], ids=["winter", "year"])
def test_corridor_column_names_only_rail_lines(folder):
    links = pd.read_csv(folder / "links.csv", dtype=str, keep_default_na=False)
    base = links[links["period"] == ""]
    named = set(base["corridor"]) - {""}
    assert not named & LINK_CATEGORIES
    assert {"Daqin", "Shuohuang", "Wari", "Haoji"} <= named
    assert (base["link_role"] != "").all()
    # every sea link is coastal shipping by role and on no corridor
    sea = base[base["mode"] == "sea"]
    assert len(sea) and (sea["link_role"] == "coastal_shipping").all() and (sea["corridor"] == "").all()


def test_reserve_release_calls_the_capacity_reserve_after_its_lead_time():
    """scenarios/reserve_release.yaml calls the large units' reserve from 2026-W51; with a
    2-week lead time (supply.csv lead_weeks) nothing is produced before 2026-W53, and no
    week's call-up exceeds the unit's reserve_t. Without the call the reserve is never used."""
    supply = pd.read_csv(WINTER / "supply.csv", dtype={"period": str}, keep_default_na=False)
    limit = supply[supply["period"] == ""].set_index(["node", "product"])["reserve_t"]
    assert (supply.loc[supply["period"] == "", "lead_weeks"].replace("", 0).astype(int) <= 2).all()
    import supplyopt
    study = supplyopt.Study(WINTER, model=PROFILE)
    used = {}
    for name in ("reserve_release", "safety_inspection_north"):
        plan = study.apply(REPO / f"scenarios/{name}.yaml").solve()
        assert plan.summary["status"] == "optimal"
        used[name] = plan
    calls = used["reserve_release"].reserves
    assert len(calls) and calls["tonnes_t"].sum() > 0
    assert set(calls.loc[calls["tonnes_t"] > 0, "period"]) <= {"2026-W53", *(f"2027-W0{w}" for w in range(1, 9))}
    for r in calls.itertuples():
        assert r.tonnes_t <= float(limit[(r.node, r.product)]) + 1e-6
    assert used["safety_inspection_north"].reserves.empty
    # the inspection, a surprise, leaves stocks 8.5 Mt below their end target (end-stock
    # deficit, the soft end rule's own figure); the reserve (5 % of capacity, from W53)
    # refills more than half of it
    inspected, released = (used[n].summary for n in ("safety_inspection_north", "reserve_release"))
    assert inspected["end_of_horizon"]["deficit_t"] > 5e6 and inspected["unmet_t"] < 1.0
    assert released["end_of_horizon"]["deficit_t"] < 0.5 * inspected["end_of_horizon"]["deficit_t"] and released["unmet_t"] < 1.0


@pytest.mark.parametrize("folder", [WINTER, YEAR])
def test_candidates_exist_and_are_valid_in_both_sets(folder):
    """Both sets carry the same candidates (issue 23: the year set had none); the existing
    Linxian North siding (open since 2018) is not one; every siding's build cost is at least
    the published ≈54 M CNY/km (history.md §6) where its length is known."""
    net = read_dataset(folder)
    assert [str(p) for p in check(net) if p.severity == "error"] == []
    cand = pd.read_csv(folder / "candidates.csv")
    assert cand.equals(pd.read_csv(WINTER / "candidates.csv")) and len(cand) >= 10
    assert not cand["id"].str.contains("linxian").any()
    sidings = cand[cand["basis"].str.contains("km rule")]   # the rest carry their published budget
    assert len(sidings) >= 5
    assert (sidings["build_cost_cny"] / sidings["distance_km"] >= 54e6).all()


def test_the_two_sets_agree_on_their_common_weeks():
    """The winter set is the year set's first 13 weeks: identical rows in every table for those
    weeks (demand, supply, links, storage and red lines)."""
    weeks = set(yaml.safe_load((WINTER / "network.yaml").read_text())["periods"])
    for table in ("demand", "supply", "links", "storage"):
        w = pd.read_csv(WINTER / f"{table}.csv", dtype=str, keep_default_na=False)
        y = pd.read_csv(YEAR / f"{table}.csv", dtype=str, keep_default_na=False)
        y = y[(y["period"] == "") | y["period"].isin(weeks)]
        assert w.reset_index(drop=True).equals(y.reset_index(drop=True)), table
