"""Reports readable everywhere (issue 27 item 4): a year of weeks in the cover heat map, red
where a centre went short, sortable tables and a print stylesheet, English and Chinese both
complete, CJK fonts found on disk when matplotlib's font cache does not know them, warnings on
the page and in the workbook, the long sheet, no comparison charts for one folder and bar
labels that do not run into each other.

Small cases only: the winter example (four weeks) with a demand surge that leaves the coastal
plant short, and a synthetic 52-week results folder for the heat map."""

from __future__ import annotations

import json
import re
import shutil
import string
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO
from matplotlib import font_manager

from supplyopt.cli import main
from supplyopt.reports import charts
from supplyopt.reports.folders import Results, load_results
from supplyopt.reports.htmlreport import SECTIONS
from supplyopt.reports.reporting import make_report
from supplyopt.results.labels import LABELS, LANGUAGES, text

WINTER = REPO / "data/examples/winter"
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """base: the winter example; surge: the coastal plant's demand doubled in 2026-W51
    (11,600 t against a 6,000 t/week sea link), so it goes short (red warnings, unmet)."""
    root = tmp_path_factory.mktemp("readable")
    scenario = root / "surge.yaml"
    scenario.write_text("name: surge\nedits:\n  - what: demand\n    where: {node: plant_coast}\n    periods: [2026-W51]\n    scale: 2\n", encoding="utf-8")
    assert main(["solve", str(WINTER), "--out", str(root / "base"), "--quiet"]) == 0
    assert main(["solve", str(WINTER), "--scenario", str(scenario), "--out", str(root / "surge"), "--quiet"]) == 0
    # a run's own warning, as solve writes it into summary.json
    summary = json.loads((root / "surge/summary.json").read_text(encoding="utf-8"))
    summary["input_warnings"] = ["demand.csv: plant_coast has no stock yard; its days of cover are not judged"]
    (root / "surge/summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def zh_compared(results):
    return make_report(results / "base", results / "rep-zh", compare=[results / "surge"], lang="zh", warn=lambda m: None)


@pytest.fixture(scope="module")
def en_single(results):
    return make_report(results / "surge", results / "rep-en", lang="en", warn=lambda m: None)


def visible(page: str) -> str:
    """The page's text, without styles, scripts and embedded images."""
    page = re.sub(r"<(style|script)>.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", re.sub(r'src="data:[^"]+"', "", page))


# --------------------------------------------------------------------------- languages
def test_every_label_has_english_and_chinese_with_the_same_fields():
    assert LANGUAGES == ("en", "zh")
    for key, pair in LABELS.items():
        assert len(pair) == 2 and all(isinstance(t, str) and t.strip() for t in pair), key
        en, zh = pair
        fields = [{f for _, f, _, _ in string.Formatter().parse(t) if f} for t in pair]
        assert fields[0] == fields[1], f"{key}: {fields}"
        # Chinese wording, not the English copied across (symbols and names excepted)
        assert CJK.search(zh) or not re.search(r"[A-Za-z]{3,}", en), key
    for quantity, steps in charts.UNIT_STEPS.items():
        assert set(steps) == set(LANGUAGES), quantity


def test_every_label_the_reports_ask_for_exists():
    # every literal key passed to text()/figs.t()/self.t() in the report code, and the keys
    # built from data: cover statuses, warning kinds and cost components as solve writes them
    used = set()
    for file in sorted((REPO / "supplyopt/reports").rglob("*.py")):
        used |= set(re.findall(r"""\b(?:text|t)\(\s*["']([a-z_]+)["']""", file.read_text(encoding="utf-8")))
    used |= set(SECTIONS) | {f"status_{s}" for s in ("red", "amber", "ok", "end")} | {f"wkind_{k}" for k in ("unmet", "cover", "safety", "blend")}
    used |= {f"mode_{m}" for m in charts.MODE_COLOURS}
    used |= {f"cost_{c}" for c in ("production", "transport", "holding", "unmet_penalty", "safety_penalty", "end_stock_penalty", "truck_penalty",
                                   "carbon", "reserve_production", "reserve_callup")}
    assert sorted(used - set(LABELS)) == []
    assert {"warn_run", "warn_early", "no_unmet"} <= used


def test_a_chinese_page_holds_no_english_titles(results, zh_compared):
    page = (zh_compared / "report.html").read_text(encoding="utf-8")
    english = {text(k, "en") for k in LABELS if k.startswith(("sec_", "tab_", "warn_", "stocks_", "status_", "wkind_")) or k.endswith("_title")}
    heads = re.findall(r"<(h[1-4]|th|a|dt|figcaption)\b[^>]*>(.*?)</\1>", page, flags=re.S)
    for tag, inner in heads:
        words = re.sub(r"<[^>]+>", "", inner)
        assert not any(e in words for e in english if len(e) > 3), (tag, words)
        # what Latin is left: folder names, file names, units and the data's own names
        latin = set(re.findall(r"[A-Za-z]{3,}", re.sub(r"\b(base|surge|map\.html|charts/\S+|warnings\.csv|CNY|CO2|winter)\b", "", words)))
        assert latin <= {"coal"}, (tag, words)  # coal: the winter example's product name
    for key in SECTIONS:
        assert f'<section id="{key}"><h2>{text(key, "zh")}</h2>' in page
    # the warning table's statuses and kinds in Chinese
    warnings_html = page.split('<section id="sec_warnings">')[1].split("</section>")[0]
    assert "红色" in warnings_html and "未满足需求" in warnings_html and ">red<" not in warnings_html


# --------------------------------------------------------------------------- the cover heat map
def year_of_weeks(short_weeks: range) -> Results:
    """A results folder as read, 52 weeks, three demand centres: ``a`` went short in
    ``short_weeks`` although its (old) cover_status says ok; ``b`` amber throughout; ``c`` ok."""
    periods = [f"2027-W{w:02d}" for w in range(1, 53)]
    rows = []
    for node, days, status in (("a", 20.0, "ok"), ("b", 8.0, "amber"), ("c", 30.0, "ok")):
        for i, p in enumerate(periods):
            short = 1000.0 if node == "a" and i in short_weeks else 0.0
            rows.append({"node": node, "product": "coal", "period": p, "stock_t": 100.0, "safety_t": 0.0, "days_of_cover": days,
                         "cover_status": status, "went_short_t": short})
    stocks = pd.DataFrame(rows)
    unmet = stocks[["node", "product", "period"]].assign(demand_t=700.0, unmet_t=stocks["went_short_t"])
    nodes = pd.DataFrame({"id": ["a", "b", "c"], "name": ["A", "B", "C"], "kind": "demand", "lon": [110.0, 111.0, 112.0], "lat": 36.0})
    return Results(Path("year"), "year", {"periods": {"days": 7}}, {"stocks": stocks, "unmet": unmet}, nodes)


def test_a_centre_that_went_short_is_red_in_the_heat_map():
    run = year_of_weeks(range(10, 15))
    grid, status = charts.cover_grid(run)
    assert list(status.index) == ["a", "b", "c"]  # most at risk first
    assert (status.loc["a", run.periods[10:15]] == 0).all()  # 0 = red, in the weeks it went short
    assert (status.loc["a", run.periods[:10]] == 2).all() and (status.loc["b"] == 1).all()


def test_a_year_of_weeks_is_drawn_readable():
    run = year_of_weeks(range(10, 15))
    figs = charts.Figures("en", warn=pytest.fail, needs_cjk=False)
    with figs.context():
        chart = charts.cover_heatmap(figs, run)
    width = int.from_bytes(chart.png[16:20], "big")
    assert width <= 1600  # 52 cells of 0.22 in, not 52 × 0.55 in (3,000 px and more)
    ticks, labels = charts.month_ticks(run.periods)
    # ISO weeks fall in the month of their Thursday: 2027-W01 (Thu 7 Jan), W05 (Thu 4 Feb), W09 (4 Mar)
    assert labels[:3] == ["2027-01", "2027-02", "2027-03"] and ticks[:3] == [0, 4, 8]
    assert len(labels) == 12 and labels[-1] == "2027-12"
    assert charts.month_ticks([f"p{i}" for i in range(30)]) == (list(range(0, 30, 3)), [f"p{i}" for i in range(0, 30, 3)])


# --------------------------------------------------------------------------- tables, print, warnings
def test_tables_sort_and_the_page_prints(en_single):
    page = (en_single / "report.html").read_text(encoding="utf-8")
    assert page.count("<table") == page.count('<table class="sortable">') > 3
    assert page.count("<script>") == 1 and "<script src" not in page and "http" not in page.split("<script>")[1]
    style = page.split("<style>")[1].split("</style>")[0]
    printing = style[style.index("@media print"):]
    assert "nav" in printing and "display:none" in printing and "break-before:page" in printing and "break-inside:avoid" in printing


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_a_click_on_a_header_sorts_the_table(tmp_path):
    from supplyopt.reports.htmlreport import SORT_SCRIPT, table

    # numbers by value (commas, signs and units read), "–" last either way; weeks as text
    html = table(["week", "t"], [["2027-W02", "1,200"], ["2026-W50", "–"], ["2027-W01", "-5.5"], ["2026-W49", "30 %"], ["2026-W51", "+7"]], numeric={1})
    probe = ("var th=document.querySelectorAll('th');function col(j){return [...document.querySelectorAll('tbody tr')].map(r=>r.children[j].textContent).join('|');}"
             "th[1].click();var a=col(1);th[1].click();var b=col(1);th[0].click();document.body.setAttribute('data-out',[a,b,col(0)].join(' # '));")
    file = tmp_path / "sort.html"
    file.write_text(f"<html><body>{html}<script>{SORT_SCRIPT}</script><script>{probe}</script></body></html>", encoding="utf-8")
    dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", f"file://{file}"], capture_output=True, text=True,
                         timeout=120, check=False).stdout
    out = re.search(r'data-out="([^"]*)"', dom).group(1)
    assert out == "-5.5|+7|30 %|1,200|– # 1,200|30 %|+7|-5.5|– # 2026-W49|2026-W50|2026-W51|2027-W01|2027-W02"


def test_warnings_on_the_page_and_in_the_workbook(results, en_single):
    page = (en_single / "report.html").read_text(encoding="utf-8")
    section = page.split('<section id="sec_warnings">')[1].split("</section>")[0]
    w = pd.read_csv(results / "surge/warnings.csv", keep_default_na=False)
    red = w[w["severity"] == "red"]
    assert len(red) > 0 and set(red["kind"]) >= {"unmet"}
    assert "plant_coast has no stock yard" in section  # the run's own warning
    assert section.count('<td class="bad">red</td>') == len(red) + red["kind"].nunique()  # each red row, and a count row per kind
    for message in red["message"]:
        assert message in section
    sheet = pd.read_excel(en_single / "results.xlsx", sheet_name="warnings", keep_default_na=False)
    assert list(sheet["source"]) == ["run"] + ["warnings.csv"] * len(w)
    assert list(sheet["message"][1:]) == list(w["message"]) and list(sheet["severity"][1:]) == list(w["severity"])


def test_long_sheet_one_row_per_figure(results, zh_compared):
    book = pd.read_excel(zh_compared / "results.xlsx", sheet_name=None, keep_default_na=False)
    long = book["long"]
    assert list(long.columns) == ["folder", "table", "row", "column", "value", "unit"]
    for folder in ("base", "surge"):
        summary = json.loads((results / folder / "summary.json").read_text(encoding="utf-8"))
        kpi = long[(long["folder"] == folder) & (long["table"] == "kpis")].set_index("row")
        assert kpi.loc["kpi=objective", "value"] == pytest.approx(summary["objective"])
        assert kpi.loc["kpi=unmet_t", "unit"] == "t"
        unmet = long[(long["folder"] == folder) & (long["table"] == "unmet") & (long["column"] == "unmet_t")]
        assert unmet["value"].sum() == pytest.approx(summary["unmet_t"]) and set(unmet["unit"]) == {"t"}
    flows = long[(long["folder"] == "base") & (long["table"] == "flows") & (long["column"] == "flow_t")]
    assert len(flows) == len(pd.read_csv(results / "base/flows.csv"))
    assert not long["column"].isin(["capacity_t", "distance_km"]).any()  # link attributes stay in their sheets
    # the compared folder's own tables: its KPIs beside the base's, its unmet demand as written
    assert "surge" in book["kpis"].columns
    pd.testing.assert_frame_equal(pd.read_excel(zh_compared / "results.xlsx", sheet_name="unmet surge"), pd.read_csv(results / "surge/unmet.csv"))


# --------------------------------------------------------------------------- charts
def test_one_folder_has_no_comparison_and_nothing_unmet_draws_no_chart(results, en_single, tmp_path):
    names = {p.name for p in (en_single / "charts").iterdir()}
    assert not {n for n in names if n.startswith("compare_")}
    assert '<section id="sec_compare">' not in (en_single / "report.html").read_text(encoding="utf-8")
    twin = tmp_path / "base-again"
    shutil.copytree(results / "base", twin)
    out = make_report(results / "base", tmp_path / "rep", compare=[twin], lang="en", warn=lambda m: None)
    assert not (out / "charts/compare_unmet.png").exists()
    assert text("no_unmet", "en") in (out / "report.html").read_text(encoding="utf-8")


def test_side_by_side_bar_labels_do_not_overlap():
    figs = charts.Figures("en", warn=pytest.fail, needs_cjk=False)
    fig = figs.new(5.5, 3.7)  # one panel of the modal split: 12 regions × 3 folders
    ax = fig.subplots()
    rng = np.random.default_rng(1)
    values = [list(rng.uniform(5, 80, 12)) for _ in range(3)]
    charts._grouped_bars(ax, [f"region {i}" for i in range(12)], values, ["a", "b", "c"], fmt="{:.0f}%")
    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert len(boxes) == 36
    for i, box in enumerate(boxes):
        for other in boxes[i + 1:]:
            assert not box.overlaps(other), (box, other)


# --------------------------------------------------------------------------- fonts
def test_a_cjk_font_on_disk_but_not_in_matplotlibs_cache_is_added(monkeypatch):
    # a fresh machine: fonts-noto-cjk installed after matplotlib built its font cache
    stale = [f for f in font_manager.fontManager.ttflist if f.name not in charts.CJK_FAMILIES]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    added = []

    def addfont(path):
        added.append(path)
        stale.append(font_manager.FontEntry(fname=path, name="Noto Sans CJK SC"))

    monkeypatch.setattr(font_manager.fontManager, "addfont", addfont)
    monkeypatch.setattr(charts, "cjk_font_files", lambda: ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"])
    assert charts.find_cjk_font() == "Noto Sans CJK SC"
    assert added == ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"]
    # truly none: the warning stays
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [f for f in stale if f.name not in charts.CJK_FAMILIES])
    monkeypatch.setattr(charts, "cjk_font_files", lambda: [])
    said = []
    assert charts.Figures("zh", warn=said.append).font is None
    assert len(said) == 1 and "no Chinese (CJK) font is installed" in said[0]


def test_font_files_found_in_the_usual_folders_without_fc_list(monkeypatch, tmp_path):
    (tmp_path / "opentype/noto").mkdir(parents=True)
    (tmp_path / "truetype/wqy").mkdir(parents=True)
    for name in ("opentype/noto/NotoSansCJK-Regular.ttc", "truetype/wqy/wqy-zenhei.ttc", "truetype/wqy/DejaVuSans.ttf", "opentype/noto/NotoSansCJK.txt"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setattr(charts.shutil, "which", lambda name: None)
    monkeypatch.setattr(charts, "FONT_DIRS", (str(tmp_path),))
    assert charts.cjk_font_files() == [str(tmp_path / "opentype/noto/NotoSansCJK-Regular.ttc"), str(tmp_path / "truetype/wqy/wqy-zenhei.ttc")]
    # empty files are no fonts: skipped, and no font is found
    stale = [f for f in font_manager.fontManager.ttflist if f.name not in charts.CJK_FAMILIES]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    assert charts.find_cjk_font() is None


def test_with_the_real_font_files_on_disk(monkeypatch, results):
    files = charts.cjk_font_files()
    if not files:
        pytest.skip("no CJK font file on this machine (apt-get install fonts-noto-cjk)")
    stale = [f for f in font_manager.fontManager.ttflist if f.name not in charts.CJK_FAMILIES]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    assert charts.find_cjk_font() in charts.CJK_FAMILIES
    run = load_results(results / "base", warn=pytest.fail)
    figs = charts.Figures("zh", warn=pytest.fail)
    with figs.context():
        assert charts.cover_heatmap(figs, run).png is not None
