"""`supplyopt report` on every kind of results folder (issue 27 item 3): compare, sweep, screen,
evaluate (alone and --against), invest (--budget and --years), frontier, schedule and roll are
run once on a small case (module-scoped), reported, and each page is checked against the
folder's own CSVs — the screen's top row is its rank 1, the roll timeline has one row per
committed week with weeks.csv's figures, the schedule's committed tonnes are shipments.csv's
— and every workbook has Summary, a sheet per CSV, ``long`` (one row per figure) and ``columns``.

The case (`pages`): two mines feed a hub yard by rail and road; the yard feeds a power plant
and a heating centre by rail and a steel works by road; mine B also has a rail line to the
steel works. Candidates: a siding from mine B to the yard, a rail line from the yard to the
steel works. Scenarios: rail_x (the power plant's only line) out in 2026-W50 and W51, which
leaves the plant 200 t short; heating demand +30 %.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser

import pandas as pd
import pytest
from conftest import REPO, write_dataset

from supplyopt.cli import main
from supplyopt.io.data import DataError
from supplyopt.reports.pages.kinds import KINDS, folder_kind
from supplyopt.reports.reporting import make_report

PERIODS = ["2026-W49", "2026-W50", "2026-W51", "2026-W52"]


def pages_case(folder):
    return write_dataset(folder, PERIODS, {
        "nodes": [
            {"id": "mine_a", "kind": "mine", "name": "Mine A", "region": "north", "lon": 112.0, "lat": 39.0},
            {"id": "mine_b", "kind": "mine", "name": "Mine B", "region": "north", "lon": 112.5, "lat": 39.2},
            {"id": "hub", "kind": "storage", "name": "Hub yard", "region": "centre", "lon": 113.0, "lat": 38.5},
            {"id": "plant_x", "kind": "demand", "name": "Plant X", "region": "east", "lon": 114.0, "lat": 38.0},
            {"id": "city_y", "kind": "demand", "name": "City Y heating", "region": "east", "lon": 114.2, "lat": 38.4},
            {"id": "steel_z", "kind": "demand", "name": "Steel Z", "region": "south", "lon": 113.5, "lat": 37.5},
        ],
        "supply": [{"node": "mine_a", "product": "coal", "capacity_t": 300, "cost_cny_per_t": 10},
                   {"node": "mine_b", "product": "coal", "capacity_t": 200, "cost_cny_per_t": 12}],
        "storage": [{"node": "hub", "product": "coal", "capacity_t": 500, "initial_t": 100, "safety_t": 20, "holding_cny_per_t": 1},
                    {"node": "plant_x", "product": "coal", "capacity_t": 400, "initial_t": 150, "safety_t": 100, "holding_cny_per_t": 1}],
        "links": [
            {"id": "rail_a", "from": "mine_a", "to": "hub", "mode": "rail", "capacity_t": 250, "cost_cny_per_t": 5, "distance_km": 100},
            {"id": "road_b", "from": "mine_b", "to": "hub", "mode": "truck", "capacity_t": "", "cost_cny_per_t": 15, "distance_km": 60},
            {"id": "rail_x", "from": "hub", "to": "plant_x", "mode": "rail", "capacity_t": 200, "cost_cny_per_t": 4, "distance_km": 120},
            {"id": "rail_y", "from": "hub", "to": "city_y", "mode": "rail", "capacity_t": 150, "cost_cny_per_t": 4, "distance_km": 90},
            {"id": "road_z", "from": "hub", "to": "steel_z", "mode": "truck", "capacity_t": 60, "cost_cny_per_t": 20, "distance_km": 80},
            {"id": "rail_bz", "from": "mine_b", "to": "steel_z", "mode": "rail", "capacity_t": 60, "cost_cny_per_t": 6, "distance_km": 150},
        ],
        "demand": [
            {"node": "plant_x", "product": "coal", "demand_t": 150, "penalty_cny_per_t": 4000, "demand_class": "power"},
            {"node": "city_y", "product": "coal", "demand_t": 100, "penalty_cny_per_t": 5000, "demand_class": "residential_heating"},
            {"node": "steel_z", "product": "coal", "demand_t": 80, "penalty_cny_per_t": 1500, "demand_class": "industry"},
        ],
        "candidates": [
            {"id": "siding_b", "kind": "new_link", "link": "", "from": "mine_b", "to": "hub", "mode": "rail", "distance_km": 60, "cost_cny_per_t": 6,
             "capacity_t": 200, "build_cost_cny": 20000, "lifetime_years": 10, "discount_rate": 0.08, "fixed_om_cny_per_year": 0},
            {"id": "rail_z_new", "kind": "new_link", "link": "", "from": "hub", "to": "steel_z", "mode": "rail", "distance_km": 80, "cost_cny_per_t": 5,
             "capacity_t": 100, "build_cost_cny": 90000, "lifetime_years": 10, "discount_rate": 0.08, "fixed_om_cny_per_year": 0},
        ],
        "years": [{"year": 2027, "what": "demand", "scale": 1.0}, {"year": 2028, "what": "demand", "scale": 1.5}],
    }, description="report pages test case")


RUNS = {
    "solve": [],
    "compare": ["--scenario", "{outage}", "--scenario", "{cold}"],
    "sweep": ["--scenarios", "{outage}", "{cold}"],
    "screen": ["--elements", "links,storage"],
    "evaluate": ["--candidate", "siding_b"],
    "against": ["--candidate", "siding_b", "--against", "rail_z_new"],
    "invest": ["--budget", "100000"],
    "years": ["--years", "2027:2028", "--annual-budget", "50000"],
    "frontier": ["--points", "4"],
    "schedule": ["--horizon", "3"],
    "roll": ["--weeks", "3", "--horizon", "2"],
}
COMMAND = {"against": "evaluate", "years": "invest"}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Every command run once on the case, and its folder reported: name -> (results, report)."""
    root = tmp_path_factory.mktemp("pages")
    data = pages_case(root / "pages")
    (root / "outage.yaml").write_text("name: outage\ndescription: rail_x out in W50-W51\nedits:\n  - what: link_capacity\n    where: {id: rail_x}\n"
                                      "    periods: [2026-W50, 2026-W51]\n    scale: 0\n", encoding="utf-8")
    (root / "cold.yaml").write_text("name: cold\ndescription: heating +30 %\nedits:\n  - what: demand\n    where: {node: city_y}\n    scale: 1.3\n", encoding="utf-8")
    out = {}
    for name, extra in RUNS.items():
        args = [a.format(outage=root / "outage.yaml", cold=root / "cold.yaml") for a in extra]
        assert main([COMMAND.get(name, name), str(data), *args, "--out", str(root / name), "--quiet"]) == 0, name
        if name != "solve":
            make_report(root / name, root / f"{name}-report", warn=lambda m: None)
        out[name] = (root / name, root / f"{name}-report")
    return out


class Tables(HTMLParser):
    """Each <section id=...>'s tables as lists of rows (header first), and its <li> lines."""

    def __init__(self, text: str):
        super().__init__()
        self.sections: dict[str, list[list[list[str]]]] = {}
        self.lines: dict[str, list[str]] = {}
        self.order: list[str] = []
        self.section = self.row = self.cell = self.li = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.section = dict(attrs)["id"]
            self.order.append(self.section)
            self.sections[self.section], self.lines[self.section] = [], []
        elif tag == "table":
            self.sections[self.section].append([])
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = ""
        elif tag == "li":
            self.li = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.row.append(self.cell)
            self.cell = None
        elif tag == "tr":
            self.sections[self.section][-1].append(self.row)
        elif tag == "li":
            self.lines[self.section].append(self.li)
            self.li = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
        if self.li is not None:
            self.li += data


def page(folders, name) -> Tables:
    return Tables((folders[name][1] / "report.html").read_text(encoding="utf-8"))


def rows(table):
    """A page table as dicts by header."""
    return [dict(zip(table[0], r)) for r in table[1:]]


def number(text: str) -> float:
    return float(text.replace(",", "").replace("+", ""))


def test_every_kind_is_recognised_from_its_folder(folders):
    expected = {**{k: k for k in RUNS}, **COMMAND}
    assert {name: folder_kind(f[0]) for name, f in folders.items()} == expected


@pytest.mark.parametrize("name", [n for n in RUNS if n != "solve"])
def test_every_page_opens_with_the_summary_and_has_units_and_no_empty_chart(folders, name):
    p = page(folders, name)
    assert p.order[0] == "summary" and p.lines["summary"], name
    assert p.order[-1] == "record"
    for section, tables in p.sections.items():
        for t in tables:
            for head, cell in zip(t[0], t[1] if len(t) > 1 else t[0]):
                if re.fullmatch(r"[+-]?[\d,]+(\.\d+)?", cell) and head not in ("case", "scenario", "element out", "candidate"):
                    assert "(" in head, (name, section, head, cell)  # a number column names its unit
    text = (folders[name][1] / "report.html").read_text(encoding="utf-8")
    drawn = sorted(p.name for p in (folders[name][1] / "charts").glob("*.png")) if (folders[name][1] / "charts").exists() else []
    assert sorted(re.findall(r"\(charts/([\w.]+\.png)\)", text)) == drawn  # each chart on the page, none without a picture


def test_compare_says_who_goes_short_first(folders):
    results, _ = folders["compare"]
    p = page(folders, "compare")
    assert p.order[1] == "short"
    short = pd.read_csv(results / "shortfalls.csv")
    shown = rows(p.sections["short"][0])
    assert [(r["case"], r["demand centre"], number(r["unmet (t)"])) for r in shown] == list(zip(short["case"], short["name"], short["unmet_t"].astype(float)))
    assert p.lines["summary"][0].startswith("outage: 200 t unmet at 1 demand centre(s): Plant X (power) 200 t")
    cases = pd.read_csv(results / "cases.csv")
    table = rows(p.sections["cases"][0])
    assert [r["case"] for r in table] == list(cases["case"])
    assert [number(r["cost (CNY)"]) for r in table] == pytest.approx(list(cases["objective_cny"]), abs=0.5)


def test_sweep_ranks_cases_by_unmet_then_cost(folders):
    results, _ = folders["sweep"]
    cases = pd.read_csv(results / "cases.csv").sort_values(["unmet_t", "objective_cny"], ascending=False)
    table = rows(page(folders, "sweep").sections["cases"][0])
    assert [r["case"] for r in table] == list(cases["case"])
    assert table[0]["rank (1 = worst)"] == "1" and table[0]["case"] == "outage"


def test_screen_ranks_failures_worst_first_with_the_centres_hurt(folders):
    results, _ = folders["screen"]
    screen = pd.read_csv(results / "screen.csv")
    hurt = pd.read_csv(results / "hurt.csv")
    table = rows(page(folders, "screen").sections["failures"][0])
    worst = screen[screen["rank"] == 1].iloc[0]
    assert (table[0]["kind"], table[0]["element out"]) == (worst["kind"], worst["element"])
    assert number(table[0]["extra unmet (t)"]) == pytest.approx(worst["delta_unmet_t"])
    assert number(table[0]["cost increase (CNY)"]) == pytest.approx(worst["delta_cost_cny"], abs=0.5)
    mine = hurt[(hurt["kind"] == worst["kind"]) & (hurt["element"] == worst["element"])].groupby("node")["extra_unmet_t"].sum()
    names = {"plant_x": "Plant X", "city_y": "City Y heating", "steel_z": "Steel Z"}
    centres = table[0]["demand centres hurt (extra unmet, weeks)"]
    assert [c.split(" ")[0] for c in centres.split("; ")] == [names[n].split(" ")[0] for n in mine.sort_values(ascending=False).index]
    assert [int(r["rank (1 = worst)"]) for r in table] == sorted(int(r["rank (1 = worst)"]) for r in table)


def test_invest_shows_what_is_built_and_each_candidates_economics(folders):
    results, _ = folders["invest"]
    p = page(folders, "invest")
    econ = pd.read_csv(results / "economics.csv")
    table = rows(p.sections["economics"][0])
    assert [r["candidate"] for r in table] == list(econ["candidate"])
    assert [number(r["cash NPV (CNY)"]) for r in table] == pytest.approx(list(econ["cash_npv_cny"]), abs=0.5)
    assert [number(r["CO2 avoided (t CO2/yr)"]) for r in table] == pytest.approx(list(econ["co2_t_avoided_per_year"]), rel=0.01)
    built = rows(p.sections["built"][0])
    assert [(r["candidate"], r["chosen"]) for r in built] == [("siding_b", "yes"), ("rail_z_new", "no")]
    assert p.lines["summary"][0] == "Build siding_b: 20,000 CNY of a budget of 100,000 CNY."
    assert any("scaled ×13.04 to a year" in li for li in p.lines["run_warnings"])  # the run's own warning is on the page


def test_invest_years_shows_the_schedule_and_cash_flow(folders):
    results, _ = folders["years"]
    p = page(folders, "years")
    flow = pd.read_csv(results / "cash_flow.csv")
    table = rows(p.sections["cash_flow"][0])
    assert [int(r["year (year)"]) for r in table] == list(flow["year"])
    assert [number(r["net cash flow (CNY)"]) for r in table] == pytest.approx(list(flow["net_cash_flow_cny"]), abs=0.5)
    sched = rows(p.sections["schedule"][0])
    assert sched[0]["candidate"] == "siding_b" and sched[0]["paid in (year)"] == "2027" and sched[0]["opens (year)"] == "2028"
    assert (folders["years"][1] / "charts/cash_flow.png").is_file()


def test_evaluate_states_the_savings_and_against_sets_both_side_by_side(folders):
    results, _ = folders["evaluate"]
    comp = pd.read_csv(results / "comparison.csv").set_index("metric")
    p = page(folders, "evaluate")
    assert p.lines["summary"][0].startswith(f"siding_b saves {-comp.loc['objective_cny', 'change']:,.2f} CNY over the horizon")
    assert rows(p.sections["economics"][0])[0]["candidate"] == "siding_b"
    against = page(folders, "against")
    assert [h for h in against.sections["against"][0][0]] == ["measure", "unit", "siding_b (number)", "rail_z_new (number)"]


def test_frontier_plots_cost_against_the_cap_and_tables_it(folders):
    results, report = folders["frontier"]
    front = pd.read_csv(results / "frontier.csv")
    table = rows(page(folders, "frontier").sections["frontier"][0])
    assert [number(r["cap (%)"]) for r in table] == pytest.approx(list(100 * front["cap"]), abs=0.05)
    assert [number(r["cost (CNY)"]) for r in table] == pytest.approx(list(front["objective_cny"]), abs=0.5)
    assert (report / "charts/frontier.png").is_file()


def test_schedule_shows_the_committed_plan_red_warnings_and_request_plan(folders):
    results, _ = folders["schedule"]
    p = page(folders, "schedule")
    ships = pd.read_csv(results / "shipments.csv")
    committed = ships[ships["committed"]].groupby("mode")["shipment_t"].sum()
    by_mode = {r["mode"]: number(r["to ship (t)"]) for r in rows(p.sections["shipments"][0])}
    assert by_mode == pytest.approx(committed.to_dict())
    warn = pd.read_csv(results / "warnings.csv")
    red = rows(p.sections["red"][0])
    assert [r["warning"] for r in red] == list(warn.loc[warn["severity"] == "red", "message"])
    req = pd.read_csv(results / "request_plan.csv")
    wagons = sum(number(r["wagons (count)"]) for r in rows(p.sections["request_plan"][0]))
    assert wagons == req.loc[req["period_kind"] == "committed week", "wagons"].sum()
    assert any("red warning" in li for li in p.lines["summary"])


def test_roll_timeline_has_one_row_per_committed_week_with_its_figures(folders):
    results, report = folders["roll"]
    weeks = pd.read_csv(results / "weeks.csv")
    traj = pd.read_csv(results / "stock_trajectory.csv").groupby("week")["stock_t"].sum()
    table = rows(page(folders, "roll").sections["timeline"][0])
    assert [r["committed week"] for r in table] == list(weeks["week"])
    assert [number(r["rolled cost (CNY)"]) for r in table] == pytest.approx(list(weeks["rolled_cost_cny"]), abs=0.5)
    assert [number(r["full-horizon plan cost (CNY)"]) for r in table] == pytest.approx(list(weeks["full_cost_cny"]), abs=0.5)
    assert [number(r["rolled unmet (t)"]) for r in table] == list(weeks["rolled_unmet_t"])
    assert [number(r["stock at end of week (t)"]) for r in table] == pytest.approx([traj[w] for w in weeks["week"]], abs=0.5)
    assert (report / "charts/roll_cost.png").is_file() and not (report / "charts/roll_unmet.png").exists()  # nothing unmet: no chart


@pytest.mark.parametrize("name", ["screen", "roll", "invest"])
def test_workbook_has_every_table_and_a_long_sheet(folders, name):
    results, report = folders[name]
    book = pd.read_excel(report / "results.xlsx", sheet_name=None)
    csvs = sorted(p.stem for p in results.glob("*.csv"))
    names = list(book)
    assert names[0] == "Summary" and names[-2:] == ["long", "columns"]
    assert set(csvs) <= set(names)
    long = book["long"]
    assert list(long.columns) == ["folder", "table", "row", "column", "value", "unit"]
    for stem in csvs:
        frame = pd.read_csv(results / f"{stem}.csv")
        numbers = [c for c in frame.select_dtypes("number").columns if frame[c].dtype != bool]
        assert (long["table"] == stem).sum() == int(frame[numbers].notna().sum().sum()), stem
    if name == "screen":
        top = long[(long["table"] == "screen") & (long["column"] == "delta_unmet_t")].iloc[0]
        assert top["unit"] == "t" and "element=" in top["row"]
        assert book["screen"]["element"].tolist() == pd.read_csv(results / "screen.csv")["element"].tolist()
    assert (long["unit"].fillna("") != "").mean() > 0.8  # figures carry their unit


def test_pages_are_byte_identical_for_identical_folders(folders, tmp_path):
    for name in ("sweep", "schedule"):
        again = make_report(folders[name][0], tmp_path / name, warn=lambda m: None)
        for file in sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file()):
            assert (again / file).read_bytes() == (folders[name][1] / file).read_bytes(), (name, file)


def test_a_folder_of_no_known_kind_is_a_clear_error_and_nothing_is_written(tmp_path, capsys, folders):
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        folder_kind(odd)
    message = str(err.value.problems[0])
    assert "notes.csv" in message and "no readable summary.json" in message
    for kind in KINDS:
        assert kind in message
    assert main(["report", str(odd), "--out", str(tmp_path / "rep")]) == 2
    assert "Recognised: stochastic" in capsys.readouterr().err and not (tmp_path / "rep").exists()


def test_compare_with_a_non_solve_folder_is_refused(folders, tmp_path, capsys):
    for base, other in (("solve", "screen"), ("roll", "solve")):
        assert main(["report", str(folders[base][0]), "--compare", str(folders[other][0]), "--out", str(tmp_path / "rep")]) == 2
        err = html.unescape(capsys.readouterr().err)
        assert "only results folders written by `supplyopt solve` can be set side by side" in err
        assert f"written by `supplyopt {other if other != 'solve' else base}`" in err
        assert not (tmp_path / "rep").exists()


def test_a_broken_page_folder_names_the_missing_file(folders, tmp_path):
    broken = tmp_path / "roll"
    shutil.copytree(folders["roll"][0], broken)
    pd.DataFrame({"week": PERIODS[:3]}).to_csv(broken / "weeks.csv", index=False)
    with pytest.raises(DataError) as err:
        make_report(broken, tmp_path / "rep", warn=lambda m: None)
    assert "missing column rolled_cost_cny" in str(err.value.problems[0])
    assert not (tmp_path / "rep").exists()


def test_roll_lowest_cover_is_a_demand_centres_and_no_page_prints_e_notation(folders):
    """The roll's lowest days of cover is among demand centres (a yard or port holding none of a
    product it ships straight through has 0 days of it, which says nothing about supply), and no
    page prints solver noise as ``-3.81e-06``."""
    results, _ = folders["roll"]
    traj = pd.read_csv(results / "stock_trajectory.csv").dropna(subset=["days_of_cover"])
    centres = traj[traj["cover_status"].notna()].sort_values(["days_of_cover", "node"], kind="stable").drop_duplicates("week").set_index("week")
    names = {"plant_x": "Plant X", "city_y": "City Y heating", "steel_z": "Steel Z"}
    for r in rows(page(folders, "roll").sections["timeline"][0]):
        assert r["lowest cover at"] == names[centres.loc[r["committed week"], "node"]], r
    for name, (_, report) in folders.items():
        if name != "solve":
            text = re.sub(r"data:image/png;base64,[^\"']*", "", (report / "report.html").read_text(encoding="utf-8"))
            assert not re.search(r"\d[eE][-+]\d\d", text), (name, re.search(r".{40}\d[eE][-+]\d\d.{10}", text))


def test_invest_says_what_more_budget_buys_or_that_it_changes_nothing(folders):
    results, _ = folders["invest"]
    s = json.loads((results / "summary.json").read_text(encoding="utf-8"))
    more = s["marginal_value_of_budget"]["chosen_at_budget_plus_step"]
    line = next(li for li in page(folders, "invest").lines["summary"] if "more budget" in li)
    if sorted(more) == sorted(s["chosen"]):
        assert "more budget would change nothing: the same set (" + ", ".join(more) + ") is built." in line
    else:
        assert "more budget would build " + ", ".join(more) + " and save" in line


def test_a_data_set_given_instead_of_its_results_says_to_solve_it_first(tmp_path, capsys):
    """A new user's commonest slip: `supplyopt report data/shanxi --out rep`."""
    assert main(["report", str(REPO / "data/examples/winter"), "--out", str(tmp_path / "rep")]) == 2
    err = capsys.readouterr().err
    assert "is a data set (it holds network.yaml)" in err and "supplyopt solve" in err and not (tmp_path / "rep").exists()
