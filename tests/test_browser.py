"""The report in a real browser: map.html and report.html opened from disk in headless Chromium
(Debian's chromium, driven by Playwright; no browser download). No console errors, page errors
or network requests; the map holds one glyph entry per link and node; the week slider, the
scenario selector and the difference view change what is drawn; hover names a node; the pages
are usable 390 px and 1280 px wide. Screenshots go to $SUPPLYOPT_ARTIFACTS (default
results/browser-artifacts/) to be looked at.

Needs `apt-get install chromium fonts-noto-cjk` (.ci/run installs them where it can); skipped
with the reason when chromium or playwright is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from browsing import chromium, shot
from browsing import open_page as browsing_open
from conftest import REPO

from supplyopt.cli import main
from supplyopt.reports.reporting import make_report

CHROMIUM = shutil.which("chromium")
if CHROMIUM is None:
    pytest.skip("chromium not installed: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed: pip install -r requirements.lock")

WINTER = REPO / "data/examples/winter"
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}
READY = "window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents[0].get_model_by_name('links').data.width.some(v => v > 0)"
LINKS = "Bokeh.documents[0].get_model_by_name('links').data"
NODES = "Bokeh.documents[0].get_model_by_name('nodes').data"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The winter example, base against its coastal plant's demand doubled in 2026-W51 (short)."""
    root = tmp_path_factory.mktemp("browser")
    scenario = root / "surge.yaml"
    scenario.write_text("name: surge\nedits:\n  - what: demand\n    where: {node: plant_coast}\n    periods: [2026-W51]\n    scale: 2\n", encoding="utf-8")
    assert main(["solve", str(WINTER), "--out", str(root / "base"), "--quiet"]) == 0
    assert main(["solve", str(WINTER), "--scenario", str(scenario), "--out", str(root / "surge"), "--quiet"]) == 0
    return make_report(root / "base", root / "cmp", compare=[root / "surge"], lang="en", warn=lambda m: None)


@pytest.fixture(scope="module")
def browser():
    yield from chromium(sync_api, CHROMIUM)


def open_page(browser, file: Path, size: str):
    return browsing_open(browser, file, *SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_map_in_the_browser(report, browser, size):
    page, problems = open_page(browser, report / "map.html", size)
    page.wait_for_function(READY)
    flows = pd.read_csv(report.parent / "base/flows.csv")
    nodes = pd.read_csv(report.parent / "base/nodes.csv")
    assert page.evaluate(f"{LINKS}.link.length") == flows["link"].nunique()
    assert page.evaluate(f"{LINKS}.xs.length") == flows["link"].nunique()
    assert page.evaluate(f"{NODES}.x.length") == len(nodes)
    shot(page, f"map-winter-{size}.png")

    # usable: nothing wider than the screen, the map and the controls on it
    width = SIZES[size][0]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    canvas = page.evaluate("() => { const r = Bokeh.index.find_one(Bokeh.documents[0].get_model_by_name('map')).el.getBoundingClientRect();"
                           " return {width: r.width, height: r.height}; }")
    assert canvas["width"] >= (0.85 if width < 500 else 0.6) * width and canvas["height"] >= 400, canvas  # the key beside it when wide
    for name in ("week", "scenario", "view", "key"):
        box = page.evaluate("name => { const v = Bokeh.index.find_one(Bokeh.documents[0].get_model_by_name(name));"
                            " const r = v.el.getBoundingClientRect(); return [r.left, r.right, r.width]; }", name)
        assert box[0] >= 0 and box[1] <= width and box[2] > 100, (name, box)

    # the week slider: one step right shows the next week's flows
    first = page.evaluate(f"JSON.stringify({LINKS}.flow)")
    page.locator(".noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"first => JSON.stringify({LINKS}.flow) !== first", arg=first)
    base = pd.read_csv(report.parent / "base/flows.csv")
    week2 = base[base["period"] == "2026-W50"].groupby("link")["flow_t"].sum().round()
    shown = dict(zip(page.evaluate(f"{LINKS}.link"), page.evaluate(f"{LINKS}.flow"), strict=True))
    assert all(shown[k] == v for k, v in week2.items())
    assert "2026-W50" in page.evaluate("Bokeh.documents[0].get_model_by_name('heading').text")
    assert problems == []


def test_compare_selector_difference_view_and_hover(report, browser):
    page, problems = open_page(browser, report / "map.html", "desktop")
    page.wait_for_function(READY)
    page.locator(".noUi-handle").first.focus()
    for _ in range(2):  # to 2026-W51, when the surge leaves the coastal plant short
        page.keyboard.press("ArrowRight")
    page.wait_for_function("Bokeh.documents[0].get_model_by_name('heading').text.includes('2026-W51')")
    page.locator("select").nth(0).select_option(label="surge")
    i = page.evaluate(f"{NODES}.id.indexOf('plant_coast')")
    page.wait_for_function(f"{NODES}.unmet[{i}] > 0")
    assert page.evaluate(f"{NODES}.fill[{i}]") == "#d7301f"  # short: red
    page.locator("select").nth(1).select_option(index=1)  # change against base
    page.wait_for_function(f"{LINKS}.dflow.some(v => v !== 0)")
    colours = set(page.evaluate(f"{LINKS}.color"))
    assert colours & {"#2166ac", "#e66101"}  # more / less than the base
    shot(page, "map-winter-compare-change-desktop.png")

    # hover the coastal plant: its name and unmet tonnes in the tooltip
    xy = page.evaluate(f"""() => {{ const d = Bokeh.documents[0], n = d.get_model_by_name('nodes').data;
        const v = Bokeh.index.find_one(d.get_model_by_name('map')), r = v.canvas_view.el.getBoundingClientRect();
        return [r.left + v.frame.x_scale.compute(n.x[{i}]), r.top + v.frame.y_scale.compute(n.y[{i}])]; }}""")
    page.mouse.move(*xy)
    page.wait_for_function("[...document.querySelectorAll('.bk-Tooltip')].some(e => e.checkVisibility())")
    tips = " ".join(page.locator(".bk-Tooltip").evaluate_all("els => els.map(e => (e.shadowRoot || e).textContent)"))
    assert "Coastal power plant" in tips and "unmet demand" in tips and " t" in tips
    shot(page, "map-winter-hover-desktop.png")

    # hover the sea link at a vertex of its coastal lane: its flow, capacity, utilisation, price
    xy = page.evaluate("""() => { const d = Bokeh.documents[0], L = d.get_model_by_name('links').data, i = L.link.indexOf('port_coast');
        const v = Bokeh.index.find_one(d.get_model_by_name('map')), r = v.canvas_view.el.getBoundingClientRect(), k = 5;
        return [r.left + v.frame.x_scale.compute(L.xs[i][k]), r.top + v.frame.y_scale.compute(L.ys[i][k])]; }""")
    page.mouse.move(*xy)
    page.wait_for_function("[...document.querySelectorAll('.bk-Tooltip')].some(e => e.checkVisibility() && (e.shadowRoot || e).textContent.includes('port_coast'))")
    tips = " ".join(page.locator(".bk-Tooltip").evaluate_all("els => els.map(e => (e.shadowRoot || e).textContent)"))
    for words in ("port_coast (sea)", "capacity", "6,000 t", "utilisation", " %", "shadow price", "change against base"):
        assert words in tips, (words, tips)
    assert problems == []


@pytest.mark.parametrize("size", SIZES)
def test_report_page_in_the_browser(report, browser, size):
    page, problems = open_page(browser, report / "report.html", size)
    page.wait_for_load_state("load")
    assert page.locator('a[href="map.html"]').count() == 1
    assert page.locator("section").count() >= 7
    shot(page, f"report-winter-{size}.png")
    assert problems == []
