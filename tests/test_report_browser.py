"""Every kind of report in a real browser (issue 27, "done means"): the Shanxi demo's solve report,
a compare of three bundled scenarios (`supplyopt compare`; `report BASE --compare A --compare B` and its
map's results selector are opened by tests/test_browser.py on the small winter example),
a screen, an invest and a roll, each report.html (and map.html where there is one) opened from
disk in headless Chromium at 390 and 1280 px: no console or page errors, no network request, every
section of its kind present, and nothing wider than the phone's screen except a table or figure that
scrolls inside its own box. Screenshots go to $SUPPLYOPT_ARTIFACTS (default
results/browser-artifacts/), named ``report-<kind>-<width>.png``, to be looked at.

The runs are kept small: the screen takes the first 4 ports (``--limit``), the roll 2 weeks of a
3-week horizon, the invest the hand case of tests/test_invest.py (tests/cases/invest).

Needs `apt-get install chromium` and playwright; skipped with the reason when either is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browsing import chromium, shot
from browsing import open_page as browsing_open
from conftest import CASES, REPO

from supplyopt.cli import main
from supplyopt.reports.reporting import make_report

CHROMIUM = shutil.which("chromium")
if CHROMIUM is None:
    pytest.skip("chromium not installed: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed: pip install -r requirements.lock")

SHANXI = REPO / "data/shanxi"
SCENARIOS = ["cold_wave", "port_storm_bohai", "daqin_winter_disruption"]
WIDTHS = (390, 1280)
SOLVE_SECTIONS = ["sec_summary", "sec_kpis", "sec_map", "sec_stocks", "sec_modal", "sec_tables"]
# every section each kind of page must have, in order (a page may hold more, e.g. Warnings)
SECTIONS = {
    "solve": SOLVE_SECTIONS,
    "compare": ["summary", "short", "cases", "red", "record"],
    "screen": ["summary", "failures", "centres", "record"],
    "invest": ["summary", "built", "economics", "comparison", "record"],
    "roll": ["summary", "timeline", "costs", "record"],
}
MAPS = ("solve",)


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """Each kind run once and reported: kind -> report folder."""
    root = tmp_path_factory.mktemp("report-browser")
    shanxi = str(SHANXI)
    runs = {
        "base": ["solve", shanxi],
        "compare": ["compare", shanxi, *[a for name in SCENARIOS for a in ("--scenario", str(REPO / f"scenarios/{name}.yaml"))]],
        "screen": ["screen", shanxi, "--elements", "ports", "--limit", "4"],
        "invest": ["invest", str(CASES / "invest"), "--budget", "450000", "--mip-gap", "0"],
        "roll": ["roll", shanxi, "--weeks", "2", "--horizon", "3"],
    }
    for name, args in runs.items():
        assert main([*args, "--out", str(root / name), "--quiet"]) == 0, name
    quiet = {"lang": "en", "warn": lambda m: None}
    out = {"solve": make_report(root / "base", root / "solve-report", **quiet)}
    for kind in ("compare", "screen", "invest", "roll"):
        out[kind] = make_report(root / kind, root / f"{kind}-report", **quiet)
    return out


@pytest.fixture(scope="module")
def browser():
    yield from chromium(sync_api, CHROMIUM)


def open_page(browser, file: Path, width: int):
    page, problems = browsing_open(browser, file, width)
    page.wait_for_load_state("load")
    return page, problems


# every element whose right edge passes the screen and that is not inside a box that scrolls sideways
WIDE = """() => { const w = window.innerWidth, out = [];
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.right <= w + 1) continue;
    let p = e.parentElement, inside = false;
    for (; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p).overflowX;
      if ((s === 'auto' || s === 'scroll' || s === 'hidden') && p.getBoundingClientRect().right <= w + 1) { inside = true; break; }
    }
    if (!inside) out.push(`${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className ? '.' + e.className : ''} right=${Math.round(r.right)}`);
  }
  return out.slice(0, 10); }"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", list(SECTIONS))
def test_report_page_in_the_browser(reports, browser, kind, width):
    page, problems = open_page(browser, reports[kind] / "report.html", width)
    ids = page.evaluate("[...document.querySelectorAll('section')].map(s => s.id)")
    assert [i for i in ids if i in SECTIONS[kind]] == SECTIONS[kind], ids
    for sid in SECTIONS[kind]:  # each with a heading and something under it
        text = page.locator(f"section#{sid}").inner_text()
        assert page.locator(f"section#{sid} h2").count() == 1 and len(text.strip().splitlines()) >= 2, (sid, text[:200])
    assert page.locator("section").first.locator("li").count() >= 1  # the executive summary says something
    shot(page, f"report-{kind}-{width}.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, page.evaluate(WIDE)
    assert page.evaluate(WIDE) == []
    # every picture loads (from charts/ beside the page) and fits its box
    broken = page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
    assert broken == []
    assert (page.locator('a[href="map.html"]').count() == 1) == (kind in MAPS)
    if kind == "invest":  # 45,000 CNY more buys the same set: said so, not "would build siding_b" again
        assert "more budget would change nothing: the same set (siding_b) is built." in page.locator("section#summary").inner_text()
    assert problems == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", MAPS)
def test_map_in_the_browser(reports, browser, kind, width):
    page, problems = open_page(browser, reports[kind] / "map.html", width)
    page.wait_for_function("window.Bokeh && Bokeh.documents.length > 0 && "
                           "Bokeh.documents[0].get_model_by_name('links').data.width.some(v => v > 0)")
    shot(page, f"map-{kind}-{width}.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    assert problems == []
