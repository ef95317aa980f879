"""The report's interactive map (map.html, supplyopt/reports/interactive_map.py), read as a file:
written for a solve report and a compare report, offline (no external src/href), one drawn
entry per link and node, a week's flows as in flows.csv, sea links routed along the coast,
byte-identical on re-run. The winter example (small); Shanxi once for the sizes. The page in a
browser: tests/test_browser.py."""

from __future__ import annotations

import json
import re

import bokeh
import numpy as np
import pandas as pd
import pytest
from conftest import REPO

from supplyopt.cli import main
from supplyopt.reports.folders import load_results
from supplyopt.reports.interactive_map import GEO, LANE, LANE_POINTS, map_html, sea_path
from supplyopt.reports.reporting import make_report

WINTER = REPO / "data/examples/winter"
EXTERNAL = re.compile(r'<(script|link|img|iframe|source|audio|video)\b[^>]*\b(src|href)\s*=\s*["\']?\s*(https?:)?//', re.IGNORECASE)


def sources(page: str) -> dict[str, dict[str, list]]:
    """The named ColumnDataSources of a Bokeh page: name -> {column: values}."""
    blocks = re.findall(r'<script type="application/json" id="[^"]+">\s*(.*?)\s*</script>', page, re.DOTALL)
    assert len(blocks) == 1
    found: dict[str, dict[str, list]] = {}

    def walk(o):
        if isinstance(o, dict):
            if o.get("type") == "object" and o.get("name") == "ColumnDataSource" and o["attributes"].get("name"):
                found[o["attributes"]["name"]] = dict(o["attributes"]["data"]["entries"])
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(json.loads(blocks[0]))
    return found


@pytest.fixture(scope="module")
def winter(tmp_path_factory):
    """The winter example solved twice (base, and its coastal plant's demand doubled in
    2026-W51: unmet demand), a report of the base and one comparing both."""
    root = tmp_path_factory.mktemp("imap")
    scenario = root / "surge.yaml"
    scenario.write_text("name: surge\nedits:\n  - what: demand\n    where: {node: plant_coast}\n    periods: [2026-W51]\n    scale: 2\n", encoding="utf-8")
    assert main(["solve", str(WINTER), "--out", str(root / "base"), "--quiet"]) == 0
    assert main(["solve", str(WINTER), "--scenario", str(scenario), "--out", str(root / "surge"), "--quiet"]) == 0
    make_report(root / "base", root / "rep", lang="en", warn=lambda m: None)
    make_report(root / "base", root / "cmp", compare=[root / "surge"], lang="en", warn=lambda m: None)
    return root


@pytest.fixture(scope="module")
def shanxi(tmp_path_factory):
    root = tmp_path_factory.mktemp("imap-shanxi")
    assert main(["solve", str(REPO / "data/shanxi"), "--model", str(REPO / "models/default.yaml"), "--out", str(root / "base"), "--quiet"]) == 0
    (root / "map.html").write_bytes(map_html([load_results(root / "base", pytest.fail)], "en"))  # the map alone: the charts take long
    return root


@pytest.mark.parametrize("report", ["rep", "cmp"])
def test_map_html_is_written_offline_and_linked(winter, report):
    page = (winter / report / "map.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not EXTERNAL.search(page), EXTERNAL.search(page).group(0)
    assert "<script>" in page and f'"version":"{bokeh.__version__}"' in page and len(page) > 1_000_000  # Bokeh's JS inlined, not fetched
    assert '<a href="map.html">Open the interactive map (map.html)</a>' in (winter / report / "report.html").read_text(encoding="utf-8")


def test_one_entry_per_link_and_node(winter):
    data = sources((winter / "rep/map.html").read_text(encoding="utf-8"))
    flows = pd.read_csv(winter / "base/flows.csv")
    nodes = pd.read_csv(winter / "base/nodes.csv")
    assert sorted(data["links"]["link"]) == sorted(flows["link"].unique())
    assert sorted(data["nodes"]["id"]) == sorted(nodes["id"])
    assert all(len(col) == len(data["links"]["link"]) for col in data["link_weeks"].values())


def test_a_weeks_flows_are_flows_csv(winter):
    data = sources((winter / "cmp/map.html").read_text(encoding="utf-8"))
    links = data["links"]["link"]
    for r, folder in enumerate(["base", "surge"]):
        flows = pd.read_csv(winter / folder / "flows.csv")
        periods = list(dict.fromkeys(flows["period"]))
        for w, period in enumerate(periods):
            want = flows[flows["period"] == period].groupby("link")["flow_t"].sum().round().reindex(links).fillna(0)
            assert data["link_weeks"][f"flow_t|{r}|{w}"] == want.astype(int).tolist(), (folder, period)
    # the surge folder is short at the coastal plant in 2026-W51 (week 2): the node's unmet tonnes
    unmet = pd.read_csv(winter / "surge/unmet.csv").set_index(["node", "period"])["unmet_t"]
    assert unmet["plant_coast", "2026-W51"] > 0
    i = data["nodes"]["id"].index("plant_coast")
    assert data["node_weeks"]["unmet_t|1|2"][i] == round(unmet["plant_coast", "2026-W51"])
    assert data["node_weeks"]["unmet_t|0|2"][i] == 0


def test_sea_links_follow_the_coast(winter):
    data = sources((winter / "rep/map.html").read_text(encoding="utf-8"))
    i = data["links"]["link"].index("port_coast")  # Qinhuangdao area to Shanghai by sea: round Shandong, not over it
    xs, ys = data["links"]["xs"][i], data["links"]["ys"][i]
    assert len(xs) > 2 and len(xs) == len(ys)
    assert max(xs) > 122.5  # out past the Shandong peninsula's tip (122.7 °E) ...
    j = data["links"]["link"].index("station_port")  # ... while a rail link stays a straight line
    assert len(data["links"]["xs"][j]) == 2


def test_sea_path_by_hand():
    # Huanghua (117.85, 38.32) to Rizhao (119.55, 35.38): out of Bohai by its strait, round the peninsula
    path = sea_path((117.85, 38.32), (119.55, 35.38))
    assert path[0] == (117.85, 38.32) and path[-1] == (119.55, 35.38)
    assert LANE_POINTS["bohai_strait"] in path and LANE_POINTS["chengshan"] in path
    # an end far from any coast (a mid-ocean point) is drawn straight
    assert sea_path((119.6, 39.9), (150.0, 0.0)) == [(119.6, 39.9), (150.0, 0.0)]


def test_the_coastal_lane_stays_at_sea():
    # every sea stretch of the lane, sampled every ~1 km, lies outside every bundled province
    # polygon (ray casting); the lower Yangtze stretch is a river, inside the land outlines
    stretches = [(a, b) for s in LANE for a, b in zip(s.split(), s.split()[1:], strict=False) if not {a, b} & {"jiangyin", "nanjing"}]
    points = np.array([np.add(LANE_POINTS[a], t * np.subtract(LANE_POINTS[b], LANE_POINTS[a])) for a, b in stretches for t in np.linspace(0, 1, 200)])
    px, py = points[:, 0], points[:, 1]
    inside = np.zeros(len(points), dtype=bool)
    for feature in json.loads(GEO.read_text(encoding="utf-8"))["features"]:
        g = feature["geometry"]
        for polygon in g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]:
            ring = np.array(polygon[0])
            x0, y0, x1, y1 = ring[:-1, 0, None], ring[:-1, 1, None], ring[1:, 0, None], ring[1:, 1, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                crosses = ((y0 > py) != (y1 > py)) & (px < (x1 - x0) * (py - y0) / (y1 - y0) + x0)
            inside ^= crosses.sum(axis=0) % 2 == 1
    assert not inside.any(), points[inside][:5]


def test_map_is_byte_identical_on_rerun(winter):
    # make_report's whole folder is checked in test_reporting.py; here the page alone, twice in one
    # process (Bokeh's id counter moves on between pages) and against the report's copy
    runs = [load_results(winter / "base", pytest.fail), load_results(winter / "surge", pytest.fail)]
    assert map_html(runs, "en") == map_html(runs, "en") == (winter / "cmp/map.html").read_bytes()


def test_shanxi_map(shanxi):
    page = (shanxi / "map.html").read_text(encoding="utf-8")
    data = sources(page)
    flows = pd.read_csv(shanxi / "base/flows.csv")
    nodes = pd.read_csv(shanxi / "base/nodes.csv")
    assert len(data["links"]["link"]) == flows["link"].nunique()
    assert len(data["nodes"]["id"]) == len(nodes)
    sea = [k for k, m in enumerate(data["links"]["mode"]) if m == "sea"]
    assert sea and all(len(data["links"]["xs"][k]) > 2 for k in sea)
    assert len(data["provinces"]["xs"]) >= 34
    assert len(page.encode("utf-8")) < 3_000_000  # 13 weeks: about 2 MB, 1.4 MB of it Bokeh's JS


def test_no_coordinates_no_map_page_and_no_link(tmp_path, capsys):
    """A data set without lon/lat (optional columns): no map.html (a page saying only "no map"
    was 1.6 MB), no link to it, and the report says why."""
    data = tmp_path / "nolon"
    data.mkdir()
    for f in WINTER.iterdir():
        if f.is_file():
            (data / f.name).write_bytes(f.read_bytes())
    nodes = pd.read_csv(WINTER / "nodes.csv", dtype=str, keep_default_na=False)
    nodes.drop(columns=["lon", "lat"]).to_csv(data / "nodes.csv", index=False)
    assert main(["solve", str(data), "--out", str(tmp_path / "r"), "--report"]) == 0
    captured = capsys.readouterr()
    report = tmp_path / "r" / "report"
    assert not (report / "map.html").exists() and 'href="map.html"' not in (report / "report.html").read_text(encoding="utf-8")
    assert "no interactive map.html is written" in captured.err and "(report.html, results.xlsx, charts/)" in captured.out
