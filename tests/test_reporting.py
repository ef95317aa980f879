"""Reports (supplyopt report): workbook round trip, sections, embedded images, a two-results
comparison, the CJK font fallback, reproducibility and clear errors for bad results folders.
Small cases only (data/examples/winter); Shanxi is covered by the README demo."""

from __future__ import annotations

import base64
import json
import re
import shutil
import struct
import subprocess
import sys
import warnings

import pandas as pd
import pytest
from conftest import REPO
from pandas.testing import assert_frame_equal

from supplyopt.cli import main
from supplyopt.reports import charts
from supplyopt.reports.htmlreport import SECTIONS
from supplyopt.reports.reporting import ReportWarning, make_report
from supplyopt.results.labels import KPIS

WINTER = REPO / "data/examples/winter"
TABLES = ("flows", "production", "stocks", "unmet", "prices", "nodes")
# one map, stock panels for the reserve base, the port and the plant yard, one cover heat
# map, modal split; no comparison charts for one folder
ONE_RESULT_CHARTS = {"map_base.png", "stocks_storage_base.png", "stocks_port_base.png", "stocks_demand_base.png", "cover_base.png",
                     "modal_split.png"}
COMPARE_CHARTS = {"compare_kpis.png", "compare_unmet.png", "compare_corridors.png"}
IMG = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Two results folders for the winter example: base, and a scenario that doubles the
    coastal plant's demand in 2026-W51 (11 600 t against a 6 000 t sea link: unmet demand)."""
    root = tmp_path_factory.mktemp("results")
    scenario = root / "surge.yaml"
    scenario.write_text("name: surge\nedits:\n  - what: demand\n    where: {node: plant_coast}\n    periods: [2026-W51]\n    scale: 2\n", encoding="utf-8")
    assert main(["solve", str(WINTER), "--out", str(root / "base"), "--quiet"]) == 0
    assert main(["solve", str(WINTER), "--scenario", str(scenario), "--out", str(root / "surge"), "--quiet"]) == 0
    return root


@pytest.fixture(scope="module")
def single(results):
    return make_report(results / "base", results / "report-base", lang="en", warn=lambda m: None)


@pytest.fixture(scope="module")
def compared(results):
    return make_report(results / "base", results / "report-cmp", compare=[results / "surge"], lang="zh", warn=lambda m: None)


def test_solve_writes_nodes_and_language(results):
    nodes = pd.read_csv(results / "base/nodes.csv")
    assert list(nodes.columns) == ["id", "name", "kind", "region", "lon", "lat"]
    data = pd.read_csv(WINTER / "nodes.csv").sort_values("id").reset_index(drop=True)
    assert_frame_equal(nodes, data[list(nodes.columns)])
    assert json.loads((results / "base/summary.json").read_text())["language"] is None  # winter's network.yaml names none


def test_workbook_round_trip(results, single):
    book = single / "results.xlsx"
    for name in TABLES:
        assert_frame_equal(pd.read_excel(book, sheet_name=name), pd.read_csv(results / "base" / f"{name}.csv"), obj=name)
    from openpyxl import load_workbook

    wb = load_workbook(book)
    flows = wb["flows"]
    assert flows.freeze_panes == "A2"
    header = [c.value for c in flows[1]]
    assert flows.cell(row=2, column=header.index("flow_t") + 1).number_format == "#,##0"
    assert flows.cell(row=2, column=header.index("utilisation") + 1).number_format == "0.0%"
    assert flows.column_dimensions["A"].width >= len("station_reserve")
    units = pd.read_excel(book, sheet_name="columns").set_index(["sheet", "column"])["unit"]
    assert units["flows", "flow_t"] == "t" and units["flows", "cost_cny"] == "CNY" and units["prices", "price_cny_per_t"] == "CNY/t"
    kpis = pd.read_excel(book, sheet_name="kpis").set_index("kpi")
    summary = json.loads((results / "base/summary.json").read_text())
    assert kpis.loc["objective", "base"] == pytest.approx(summary["objective"])


def test_every_section_present_and_images_embedded(single):
    page = (single / "report.html").read_text(encoding="utf-8")
    for key in SECTIONS:
        assert (f'<section id="{key}">' in page) == (key != "sec_compare"), key  # one folder: nothing to compare
    assert '<html lang="en">' in page and "Key figures" in page
    files = {p.name: p.read_bytes() for p in (single / "charts").iterdir()}
    assert set(files) == ONE_RESULT_CHARTS
    embedded = [base64.b64decode(m) for m in IMG.findall(page)]
    assert len(embedded) == len(files) == 6
    assert sorted(embedded) == sorted(files.values())  # the page carries exactly the chart files
    assert "src=\"http" not in page and "<script src" not in page and page.count("<script>") == 1  # self-contained: the inline sort script only
    kpi_rows = page.split('<section id="sec_kpis">')[1].split("</table>")[0].count("<tr>") - 1
    assert kpi_rows == len(KPIS)


def test_charts_for_a_two_results_comparison(results, compared):
    page = (compared / "report.html").read_text(encoding="utf-8")
    names = {p.name for p in (compared / "charts").iterdir()}
    per_run = {n.replace("_base", "_surge") for n in ONE_RESULT_CHARTS if "_base" in n}
    assert names == ONE_RESULT_CHARTS | per_run | COMPARE_CHARTS
    assert len(IMG.findall(page)) == len(names) == 14
    assert '<html lang="zh-CN">' in page and "关键指标" in page
    # the KPI table's change column: surge − base, figures from the two summaries
    base, surge = (json.loads((results / r / "summary.json").read_text()) for r in ("base", "surge"))
    assert surge["unmet_t"] > 0 == base["unmet_t"]
    assert f"{surge['unmet_t'] - base['unmet_t']:+,.0f}" in page
    assert f"{surge['objective'] - base['objective']:+,.0f}" in page
    # deterministic shapes: fixed figure sizes at 100 dpi
    assert png_size((compared / "charts/modal_split.png").read_bytes()) == (1100, 750)
    assert png_size((compared / "charts/map_base.png").read_bytes()) == (1100, 850)


def test_corridor_utilisation_by_hand():
    # link L: utilisation 0.5 in p1, 1.0 in p2, no flow (no row) in p3 -> (0.5 + 1.0 + 0) / 3 = 0.5;
    # link M: 0.9 in every period -> 0.9. Corridor K holds both: its busiest link, 0.9.
    from types import SimpleNamespace

    flows = pd.DataFrame({"link": ["L", "L", "M", "M", "M"], "period": ["p1", "p2", "p1", "p2", "p3"],
                          "utilisation": [0.5, 1.0, 0.9, 0.9, 0.9], "corridor": ["K"] * 5})
    unmet = pd.DataFrame({"node": ["d"] * 3, "product": ["coal"] * 3, "period": ["p1", "p2", "p3"]})
    run = SimpleNamespace(tables={"flows": flows, "unmet": unmet}, summary={"periods": {"count": 3}})
    run.periods = ["p1", "p2", "p3"]
    assert charts.corridor_table(run).to_dict() == {"K": pytest.approx(0.9)}
    assert charts.corridor_table(SimpleNamespace(tables={"flows": flows.drop(columns="corridor")}, periods=run.periods)).to_dict() == {
        "L": pytest.approx(0.5), "M": pytest.approx(0.9)}


def test_truck_share_by_region_adds_up_to_the_plan_kpi(results):
    # one region ("north") holds both mines, so its share must equal the plan's mine truck
    # share, which results.py computes from the model's own truck flags
    from supplyopt.reports.folders import load_results, node_kinds

    run = load_results(results / "base", warn=pytest.fail)
    regions, shares = charts._truck_share_by_region([run], node_kinds)
    assert regions == ["north"]
    assert shares[0][0] == pytest.approx(run.summary["mine_truck_share"], abs=1e-6)
    assert 0 < shares[0][0] < 1


def test_without_a_cjk_font_the_report_falls_back_with_a_warning(results, monkeypatch, tmp_path):
    monkeypatch.setattr(charts, "CJK_FAMILIES", ("No Such CJK Font",))
    with pytest.warns(ReportWarning, match="no Chinese \\(CJK\\) font"):
        out = make_report(results / "base", tmp_path / "fallback", lang="zh")
    assert (out / "report.html").is_file() and len(list((out / "charts").iterdir())) == 6
    assert charts.find_cjk_font() is None
    monkeypatch.undo()
    if charts.find_cjk_font() is None:
        pytest.skip("no CJK font installed here: the font-present half needs one (apt-get install fonts-noto-cjk)")
    # the same chart drawn with the CJK font differs from the fallback drawing (boxes)
    from supplyopt.reports.folders import load_results

    run = load_results(results / "base", warn=pytest.fail)
    figs = charts.Figures("zh", warn=pytest.fail)
    with figs.context():
        chart = charts.cover_heatmap(figs, run)
    assert chart.png != (out / "charts/cover_base.png").read_bytes()


def test_report_is_reproducible_and_replaced_atomically(results, single, tmp_path):
    again = make_report(results / "base", tmp_path / "again", lang="en", warn=lambda m: None)
    for p in sorted(single.rglob("*")):
        if p.is_file():
            assert (again / p.relative_to(single)).read_bytes() == p.read_bytes(), p.name
    assert sorted(q.name for q in tmp_path.iterdir()) == ["again"]  # no temporary folder left


def cli(*args):
    return subprocess.run([sys.executable, "-m", "supplyopt.cli", *map(str, args)], cwd=REPO, capture_output=True, text=True, check=False)


def test_bad_results_folder_is_a_clear_error_and_nothing_is_written(results, tmp_path):
    proc = cli("report", tmp_path / "nowhere", "--out", tmp_path / "rep")
    assert proc.returncode == 2 and "nowhere" in proc.stderr and "results folder does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "rep").exists()
    broken = tmp_path / "broken"
    shutil.copytree(results / "base", broken)
    pd.read_csv(broken / "flows.csv").drop(columns="flow_t").to_csv(broken / "flows.csv", index=False)
    proc = cli("report", broken, "--out", tmp_path / "rep")
    assert proc.returncode == 2
    assert "flows.csv, column flow_t" in proc.stderr and "missing column flow_t" in proc.stderr
    assert not (tmp_path / "rep").exists()


def test_results_without_nodes_csv(results, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(results / "base", old)
    (old / "nodes.csv").unlink()  # a results folder from before nodes.csv: the data set has the coordinates
    with pytest.warns(ReportWarning, match="read from the data set"):
        out = make_report(old, tmp_path / "rep1", lang="en")
    assert (out / "charts/map_old.png").is_file()
    summary = json.loads((old / "summary.json").read_text())
    summary["dataset"]["path"] = str(tmp_path / "moved-away")
    (old / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    from supplyopt.reports import maps
    from supplyopt.reports.folders import load_results

    with pytest.warns(ReportWarning, match="no map is drawn"):
        run = load_results(old, warn=lambda m: warnings.warn(m, ReportWarning, stacklevel=2))
    chart = maps.flow_map(charts.Figures("en", warn=pytest.fail, needs_cjk=False), run)
    assert chart.png is None and chart.note == "No map: the results folder has no node coordinates."


def test_language_from_network_yaml_and_solve_report_flag(tmp_path):
    data = tmp_path / "winter_zh"
    shutil.copytree(WINTER, data)
    (data / "network.yaml").write_text((WINTER / "network.yaml").read_text(encoding="utf-8") + "language: zh\n", encoding="utf-8")
    out = tmp_path / "res"
    assert main(["solve", str(data), "--out", str(out), "--quiet", "--report"]) == 0
    page = (out / "report/report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "煤炭供应计划报告" in page
    (data / "network.yaml").write_text((WINTER / "network.yaml").read_text(encoding="utf-8") + "language: fr\n", encoding="utf-8")
    proc = cli("validate", data)
    assert proc.returncode == 2 and "network.yaml, column language: 'fr' — unknown report language; expected one of zh, en" in proc.stderr


@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None, reason="chromium is not installed")
def test_report_opens_in_headless_chromium(single, tmp_path):
    shot = tmp_path / "shot.png"
    proc = subprocess.run(["bash", str(REPO / "scripts/check_report.sh"), str(single), str(shot)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "embedded images: 6" in proc.stdout
    assert "sections: " + " ".join(k for k in SECTIONS if k != "sec_compare") in proc.stdout
    assert png_size(shot.read_bytes()) == (1280, 4000)


def test_matplotlib_is_imported_only_for_reports():
    code = "import sys; from supplyopt import cli; from supplyopt.io import write; from supplyopt.results import plan; print('matplotlib' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert proc.stdout.strip() == "False", proc.stderr


def test_the_report_names_the_extension_that_shaped_the_plan(tmp_path):
    """An --extend file changes the optimum: the solve page and a workflow page both say which."""
    from supplyopt.cli import main

    ext = tmp_path / "noop.py"
    ext.write_text("def extra_functionality(model, network, options):\n    pass\n", encoding="utf-8")
    winter = REPO / "data/examples/winter"
    assert main(["solve", str(winter), "--extend", str(ext), "--out", str(tmp_path / "s"), "--quiet"]) == 0
    assert main(["screen", str(winter), "--elements", "ports", "--extend", str(ext), "--out", str(tmp_path / "sc"), "--quiet"]) == 0
    for folder in ("s", "sc"):
        page = make_report(tmp_path / folder, tmp_path / f"{folder}-r", lang="en", warn=lambda m: None) / "report.html"
        assert f"extra_functionality from {ext}" in page.read_text(encoding="utf-8"), folder
    assert main(["solve", str(winter), "--out", str(tmp_path / "p"), "--quiet"]) == 0
    plain = (make_report(tmp_path / "p", tmp_path / "p-r", lang="en", warn=lambda m: None) / "report.html").read_text(encoding="utf-8")
    assert "<dt>Model extension</dt><dd>none</dd>" in plain
