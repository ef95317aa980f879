"""The report's interactive map: ``map.html``, one self-contained page that opens from disk
with no network (Bokeh with its JavaScript inlined).

What it draws: China's provinces and coastline (``geo/cn_provinces.geojson``, from DCW-GMT,
LGPL-3+, see ``geo/LICENSE.md``), every link of flows.csv as a line whose width is the tonnes
that entered it in the chosen week and whose colour is its mode (sea links routed along an
offshore coastal lane, not over land), every node of nodes.csv by kind, demand centres that go
short in red. Hover gives a link's flow (t), capacity (t), utilisation (%) and shadow price
(CNY/t, from prices.csv), and a node's name, kind, stock (t), days of cover and unmet demand
(t). A week slider switches the week; with compared folders a scenario selector picks the
folder and a difference view draws each link's flow change against the base.

All weeks' numbers are in the page as arrays (two ColumnDataSources, ``link_weeks`` and
``node_weeks``, one column per quantity, folder and week: ``flow_t|RUN|WEEK``) that a small
CustomJS copies into the drawn sources; tonnes are whole tonnes. The page is byte-identical for
identical results folders: Bokeh's random ids are renamed in order of appearance.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from bokeh.document import Document
from bokeh.embed import file_html
from bokeh.layouts import column, row
from bokeh.models import (
    Button,
    ColumnDataSource,
    CustomJS,
    CustomJSTickFormatter,
    DataRange1d,
    Div,
    HoverTool,
    Select,
    Slider,
)
from bokeh.plotting import figure
from bokeh.resources import INLINE
from bokeh.settings import settings

from supplyopt.reports.charts import mode_colour
from supplyopt.reports.folders import Results, node_names
from supplyopt.reports.maps import KIND_STYLE
from supplyopt.results.labels import text

GEO = Path(__file__).resolve().parent / "geo" / "cn_provinces.geojson"
SEA_MODES = ("sea",)  # links of these modes follow the coastal lane
LAND, SEA, BORDER = "#f3f0e8", "#e3eef6", "#b8b0a0"
MORE, LESS, IDLE, SHORT = "#2166ac", "#e66101", "#9a9a9a", "#d7301f"
MIN_WIDTH_PX, MAX_WIDTH_PX = 1.0, 14.0
MARKERS = {"mine": ("triangle", 11), "hub": ("square", 7), "storage": ("diamond", 11), "port": ("hex", 11), "demand": ("circle", 9)}
KIND_SYMBOL = {"mine": "▲", "hub": "■", "storage": "◆", "port": "⬢", "demand": "●"}

# Offshore waypoints (lon °E, lat °N) of China's coastal shipping lane, from the Bohai ports round
# the Shandong peninsula, down the coast to the Pearl River and the Beibu Gulf, with the lower
# Yangtze to Nanjing. Drawn by hand on the bundled coastline and checked against it (shapely,
# once): every sea stretch stays off the land polygons. A sea link's ends are snapped onto the
# nearest stretch and it follows the shortest way along the lane.
LANE_POINTS = {
    "tianjin": (118.0, 38.95), "huanghua": (118.1, 38.4), "caofeidian": (118.65, 38.8), "jingtang": (119.15, 39.0),
    "qinhuangdao": (119.75, 39.7), "bohai": (119.6, 38.75), "bohai_strait": (120.95, 38.3), "chengshan": (123.0, 37.45), "shidao": (122.75, 36.7),
    "qingdao": (120.9, 35.75), "rizhao": (119.85, 35.3), "lianyungang": (119.75, 34.75), "yancheng": (121.2, 33.6),
    "nantong": (122.2, 32.35), "yangtze_mouth": (122.2, 31.35), "changxing": (121.9, 31.2), "wusong": (121.55, 31.45), "jiangyin": (120.3, 31.95),
    "nanjing": (118.8, 32.1), "zhoushan": (122.6, 30.2), "taizhou": (122.0, 28.6), "wenzhou": (121.2, 27.6),
    "fuzhou": (120.1, 26.1), "pingtan": (120.15, 25.5), "putian": (119.6, 25.0), "xiamen": (118.5, 24.25), "shantou": (117.0, 23.15),
    "shanwei": (115.6, 22.55), "pearl_mouth": (114.0, 22.1), "yangjiang": (112.8, 21.5), "maoming": (111.9, 21.1),
    "zhanjiang": (111.2, 20.6), "leizhou": (110.8, 20.2), "qiongzhou": (110.15, 20.15), "beibu": (109.8, 20.1), "beihai": (109.2, 20.9),
}
LANE = (
    "tianjin huanghua caofeidian jingtang qinhuangdao",
    ("caofeidian bohai bohai_strait chengshan shidao qingdao rizhao lianyungang yancheng nantong yangtze_mouth zhoushan taizhou wenzhou fuzhou "
     "pingtan putian xiamen shantou shanwei pearl_mouth yangjiang maoming zhanjiang leizhou qiongzhou beibu beihai"),
    "qinhuangdao bohai",
    "yangtze_mouth changxing wusong jiangyin nanjing",
)
LANE_REACH_DEG = 3.0  # a sea link end farther than this from the lane is drawn straight
SEA_SPACING_DEG = 0.04  # sea links drawn side by side along the lane, this far apart (~4 km)

WORDS = {  # the page's own labels: (en, zh)
    "title": ("Interactive flow map", "交互式煤流地图"),
    "week": ("Week", "周"),
    "scenario": ("Results", "方案"),
    "view": ("View", "视图"),
    "view_flow": ("flows", "流量"),
    "view_change": ("change against {base}", "相对{base}的变化"),
    "zoom": ("Zoom to the mines", "放大产区"),
    "width_key": ("Line width: tonnes entering the link in the week", "线宽:本周进入线路的吨数"),
    "colour_key": ("Colour: mode", "颜色:运输方式"),
    "change_key": ("Change against {base} (change view): blue more, orange less, width = tonnes of change in the week",
                   "相对{base}的变化(变化视图):蓝色增加,橙色减少,线宽 = 本周变化吨数"),
    "nodes_key": ("Nodes", "节点"),
    "short_key": ("demand centre short in the week (red)", "本周缺煤的需求点(红色)"),
    "hover": ("Hover a line or node for its figures; drag to pan, wheel or box to zoom, ↻ to reset.",
              "鼠标悬停查看数值;拖动平移,滚轮或框选缩放,↻ 复位。"),
    "link": ("link", "线路"), "from_to": ("from → to", "起 → 止"), "flow": ("flow", "流量"), "capacity": ("capacity", "能力"),
    "utilisation": ("utilisation", "利用率"), "price": ("shadow price", "影子价格"), "change": ("change against base", "相对基准变化"),
    "node": ("node", "节点"), "kind": ("kind", "类型"), "stock": ("stock (end of week)", "周末库存"), "cover": ("days of cover", "可用天数"),
    "unmet": ("unmet demand", "未满足需求"), "unmet_change": ("unmet change against base", "未满足需求变化"),
    "no_map": ("No map: the results folder has no node coordinates (lon, lat in nodes.csv).", "无地图:结果文件夹没有节点坐标(nodes.csv 的 lon、lat)。"),
    "outline": ("Province outlines: DCW-GMT 2.1.1 (LGPL-3+), simplified.", "省界:DCW-GMT 2.1.1(LGPL-3+),已简化。"),
}


def word(key: str, lang: str, **fmt) -> str:
    en, zh = WORDS[key]
    return (zh if lang == "zh" else en).format(**fmt)


def mercator_y(lat: float) -> float:
    """Web-Mercator northing in degrees-equivalent (x stays the longitude), so shapes keep their form."""
    return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


@functools.cache
def province_rings() -> tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]:
    """Exterior rings of the bundled provinces as (xs, ys) in map coordinates (lon, Mercator y)."""
    geo = json.loads(GEO.read_text(encoding="utf-8"))
    out = []
    for feature in geo["features"]:
        g = feature["geometry"]
        polygons = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        for polygon in polygons:
            ring = polygon[0]  # holes are other provinces (Beijing in Hebei), drawn on their own
            out.append((tuple(round(x, 3) for x, _ in ring), tuple(round(mercator_y(y), 3) for _, y in ring)))
    return tuple(out)


@functools.cache
def lane_graph() -> nx.Graph:
    g = nx.Graph()
    for stretch in LANE:
        names = stretch.split()
        for a, b in itertools.pairwise(names):
            g.add_edge(a, b, weight=distance(LANE_POINTS[a], LANE_POINTS[b]))
    return g


def distance(a, b) -> float:
    """Rough distance in degrees of latitude (longitude shrunk by cos lat)."""
    k = math.cos(math.radians((a[1] + b[1]) / 2))
    return math.hypot((a[0] - b[0]) * k, a[1] - b[1])


def snap(point) -> tuple[float, tuple[str, str], tuple[float, float]]:
    """(distance, lane stretch (a, b), nearest point on it) for ``point`` (lon, lat)."""
    best = None
    for a, b in sorted(lane_graph().edges):
        (ax, ay), (bx, by) = LANE_POINTS[a], LANE_POINTS[b]
        k = math.cos(math.radians(point[1])) ** 2
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((point[0] - ax) * dx * k + (point[1] - ay) * dy) / (dx * dx * k + dy * dy)))
        near = (ax + t * dx, ay + t * dy)
        found = (distance(point, near), (a, b), near)
        if best is None or found[0] < best[0] - 1e-12:
            best = found
    return best


def sea_path(start, end) -> list[tuple[float, float]]:
    """The drawn path (lon, lat) of a sea link from ``start`` to ``end``: out to the coastal lane,
    along it, back in. Straight where either end is far from the lane."""
    (d0, e0, p0), (d1, e1, p1) = snap(start), snap(end)
    if max(d0, d1) > LANE_REACH_DEG:
        return [start, end]
    g = lane_graph().copy()
    for name, (a, b), p in (("start", e0, p0), ("end", e1, p1)):
        g.add_edge(name, a, weight=distance(p, LANE_POINTS[a]))
        g.add_edge(name, b, weight=distance(p, LANE_POINTS[b]))
    if e0 == e1:  # both on one stretch: straight along it
        g.add_edge("start", "end", weight=distance(p0, p1))
    where = {**LANE_POINTS, "start": p0, "end": p1}
    path = nx.shortest_path(g, "start", "end", weight="weight")
    return [start] + [where[n] for n in path] + [end]


def map_nodes(runs: list[Results]) -> pd.DataFrame:
    """Nodes of every folder with coordinates (base first), indexed by id: name, kind, lon, lat."""
    frames = []
    for run in runs:
        if run.nodes is None:
            continue
        names = node_names(run)
        n = run.nodes.dropna(subset=["lon", "lat"]).assign(id=lambda d: d["id"].astype(str))
        frames.append(pd.DataFrame({"id": n["id"], "name": n["id"].map(names), "kind": n["kind"].astype(str),
                                    "lon": n["lon"].astype(float), "lat": n["lat"].astype(float)}))
    if not frames:
        return pd.DataFrame(columns=["name", "kind", "lon", "lat"], index=pd.Index([], name="id"))
    return pd.concat(frames).drop_duplicates("id").set_index("id")


def map_links(runs: list[Results], nodes: pd.DataFrame) -> pd.DataFrame:
    """Every link of the folders' flows.csv whose ends have coordinates, sorted by id: from, to,
    mode, and its drawn path (lon list, lat list)."""
    f = pd.concat([r.tables["flows"][["link", "from", "to", "mode"]].astype(str) for r in runs])
    links = f.drop_duplicates("link").sort_values("link", kind="stable").set_index("link")
    links = links[links["from"].isin(nodes.index) & links["to"].isin(nodes.index)]
    sea = links[links["mode"].isin(SEA_MODES)].sort_values(["from", "to"], kind="stable").index
    rank = {link: k - (len(sea) - 1) / 2 for k, link in enumerate(sea)}
    paths = []
    for link in links.itertuples():
        a, b = nodes.loc[link[1], ["lon", "lat"]].tolist(), nodes.loc[link.to, ["lon", "lat"]].tolist()
        if link.mode in SEA_MODES:  # side by side along the lane, so that one ship route does not hide another
            paths.append(shifted(sea_path(tuple(a), tuple(b)), rank[link.Index] * SEA_SPACING_DEG))
        else:
            paths.append([tuple(a), tuple(b)])
    return links.assign(path=paths)


def shifted(path: list[tuple[float, float]], shift_deg: float) -> list[tuple[float, float]]:
    """``path`` with its inner vertices moved ``shift_deg`` to the left of the way it runs (the
    ends stay on their nodes)."""
    if shift_deg == 0 or len(path) < 3:
        return path
    out = [path[0]]
    for before, here, after in zip(path, path[1:], path[2:], strict=False):
        k = math.cos(math.radians(here[1]))
        dx, dy = (after[0] - before[0]) * k, after[1] - before[1]
        norm = math.hypot(dx, dy) or 1.0
        out.append((here[0] - shift_deg * dy / norm / k, here[1] + shift_deg * dx / norm))
    return out + [path[-1]]


def whole(values) -> list:
    """Numbers as whole numbers, missing as None (null in the page)."""
    return [None if v is None or not np.isfinite(v) else round(float(v)) for v in values]


def tenths(values) -> list:
    return [None if v is None or not np.isfinite(v) else round(float(v), 1) for v in values]


def weekly_columns(run: Results, r: int, periods: list[str], links: pd.DataFrame, nodes: pd.DataFrame) -> tuple[dict, dict]:
    """(link columns, node columns) of one folder ``r``, one per quantity and week: flow_t,
    capacity_t, price (CNY/t of link capacity), stock_t, cover_d (lowest over products), unmet_t."""
    f = run.tables["flows"].assign(link=lambda d: d["link"].astype(str))
    flow = f.pivot_table(index="link", columns="period", values="flow_t", aggfunc="sum")
    cap = f.pivot_table(index="link", columns="period", values="capacity_t", aggfunc="first") if "capacity_t" in f else pd.DataFrame()
    prices = run.tables.get("prices", pd.DataFrame(columns=["kind", "id", "period", "price_cny_per_t"]))
    lp = prices[prices["kind"] == "link_capacity"].assign(id=lambda d: d["id"].astype(str))
    price = lp.pivot_table(index="id", columns="period", values="price_cny_per_t", aggfunc="max") if len(lp) else pd.DataFrame()
    s = run.tables["stocks"].assign(node=lambda d: d["node"].astype(str))
    stock = s.pivot_table(index="node", columns="period", values="stock_t", aggfunc="sum")
    cover = s.pivot_table(index="node", columns="period", values="days_of_cover", aggfunc="min")
    u = run.tables["unmet"].assign(node=lambda d: d["node"].astype(str))
    unmet = u.pivot_table(index="node", columns="period", values="unmet_t", aggfunc="sum")

    def pick(table: pd.DataFrame, index, period: str, fill) -> np.ndarray:
        if period not in table.columns:
            return np.full(len(index), fill, dtype=float)
        return table[period].reindex(index).astype(float).fillna(fill).to_numpy()

    link_cols, node_cols = {}, {}
    for w, period in enumerate(periods):
        link_cols[f"flow_t|{r}|{w}"] = whole(pick(flow, links.index, period, 0.0))
        link_cols[f"capacity_t|{r}|{w}"] = whole(pick(cap, links.index, period, np.nan))
        link_cols[f"price|{r}|{w}"] = tenths(pick(price, links.index, period, np.nan))
        node_cols[f"stock_t|{r}|{w}"] = whole(pick(stock, nodes.index, period, np.nan))
        node_cols[f"cover_d|{r}|{w}"] = tenths(pick(cover, nodes.index, period, np.nan))
        node_cols[f"unmet_t|{r}|{w}"] = whole(pick(unmet, nodes.index, period, np.nan))
    return link_cols, node_cols


def nice(value: float) -> float:
    """The largest 1, 2 or 5 × 10^k not above ``value``."""
    if value <= 0:
        return 0.0
    k = 10 ** math.floor(math.log10(value))
    return max(m * k for m in (1, 2, 5) if m * k <= value)


def width_px(tonnes: float, most: float) -> float:
    return MIN_WIDTH_PX + (MAX_WIDTH_PX - MIN_WIDTH_PX) * tonnes / most


def key_html(lang: str, modes: list[str], kinds: list[str], most: float, most_change: float | None, base: str) -> str:
    """The key under the map: widths (t), mode colours, node kinds, and the change view's widths
    and colours (``most_change`` None: no compared folders)."""
    bar = '<span style="display:inline-block;width:34px;height:{h:.1f}px;background:{c};vertical-align:middle;margin-right:4px"></span>'
    item = '<span style="display:inline-block;white-space:nowrap;margin-left:10px">{}</span>'  # swatch and its words wrap together

    def widths(top: float, colour: str, sign: str = "") -> str:
        samples = sorted({nice(top), nice(top / 5), nice(top / 25)} - {0.0}, reverse=True)
        return "".join(item.format(bar.format(h=width_px(t, top), c=colour) + f"{sign}{t:,.0f} t") for t in samples)

    parts = [f"<b>{word('width_key', lang)}</b><br>" + widths(most, "#555")]
    parts.append(f"<b>{word('colour_key', lang)}</b><br>" + "".join(item.format(bar.format(h=4, c=mode_colour(m, modes)) + m) for m in modes))
    parts.append(f"<b>{word('nodes_key', lang)}</b><br>"
                 + "".join(item.format(f'<span style="color:{KIND_STYLE.get(k, ("", "#777"))[1]}">{KIND_SYMBOL.get(k, "●")}</span> '
                                       + (text(f"kind_{k}", lang) if k in KIND_STYLE else k)) for k in kinds)
                 + item.format(f'<span style="color:{SHORT}">●</span> {word("short_key", lang)}'))
    if most_change is not None:
        parts.append(f"<b>{word('change_key', lang, base=base)}</b><br>" + widths(most_change, MORE, "+") + "<br>" + widths(most_change, LESS, "−"))
    parts.append(f'<span style="color:#666">{word("hover", lang)} {word("outline", lang)}</span>')
    return '<div style="font-size:13px;line-height:1.9">' + "".join(f"<div>{p}</div>" for p in parts) + "</div>"


# Runs on page load and on every control change: copies the chosen folder's week into the drawn
# sources and sets widths and colours (the same scale for every week and folder).
UPDATE_JS = """
const w = week ? Math.round(week.value) : 0, r = run ? Number(run.value) : 0;
const num = (v, unit) => v == null || Number.isNaN(v) ? "–" : v.toLocaleString("en-US", {maximumFractionDigits: 1}) + unit;
const signed = (v, unit) => v == null || Number.isNaN(v) ? "–" : (v > 0 ? "+" : "") + num(v, unit);
const change = view ? view.value === "change" : false;
const L = link_weeks.data, N = node_weeks.data;
const f = L[`flow_t|${r}|${w}`], c = L[`capacity_t|${r}|${w}`], p = L[`price|${r}|${w}`], f0 = L[`flow_t|0|${w}`];
const mode_color = links.data.mode_color;
const n = f.length, width = [], color = [], alpha = [], util = [], dflow = [];
for (let i = 0; i < n; i++) {
  dflow.push(f[i] - f0[i]);
  util.push(c[i] ? Math.round(1000 * f[i] / c[i]) / 10 : null);
  const v = change ? Math.abs(dflow[i]) : f[i];
  width.push(v > 0 ? min_px + (max_px - min_px) * v / (change ? most_change : most) : 0.6);
  alpha.push(v > 0 ? 0.85 : 0.35);
  color.push(v <= 0 ? idle : change ? (dflow[i] > 0 ? more : less) : mode_color[i]);
}
links.data = {...links.data, flow: f, cap: c, price: p, util, dflow, width, color, alpha,
  flow_txt: f.map(v => num(v, " t")), cap_txt: c.map(v => num(v, " t")), util_txt: util.map(v => num(v, " %")),
  price_txt: p.map(v => num(v, " CNY/t")), dflow_txt: dflow.map(v => signed(v, " t"))};
const s = N[`stock_t|${r}|${w}`], d = N[`cover_d|${r}|${w}`], u = N[`unmet_t|${r}|${w}`], u0 = N[`unmet_t|0|${w}`];
const kind_color = nodes.data.kind_color, m = s.length, fill = [], line = [], dunmet = [];
for (let i = 0; i < m; i++) {
  const short = u[i] > 0;
  dunmet.push(u[i] == null ? null : u[i] - (u0[i] || 0));
  fill.push(short ? short_color : kind_color[i]);
  line.push(short ? short_color : "white");
}
nodes.data = {...nodes.data, stock: s, cover: d, unmet: u, dunmet, fill, line, stock_txt: s.map(v => num(v, " t")),
  cover_txt: d.map(v => num(v, " d")), unmet_txt: u.map(v => num(v, " t")), dunmet_txt: dunmet.map(v => signed(v, " t"))};
heading.text = `<b>${periods[w]}</b> · ${labels[r]}` + (change ? ` · ${change_word}` : "");
"""


# The mines' box, widened in one direction to the map's own shape (the map keeps its aspect).
ZOOM_JS = """
const [x0, x1, y0, y1] = box, w = plot.inner_width, h = plot.inner_height;
let dx = x1 - x0, dy = y1 - y0;
if (dx / dy > w / h) dy = dx * h / w; else dx = dy * w / h;
const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
plot.x_range.setv({start: cx - dx / 2, end: cx + dx / 2});
plot.y_range.setv({start: cy - dy / 2, end: cy + dy / 2});
"""


def build(runs: list[Results], lang: str) -> Document:
    """The map page as a Bokeh document (see the module docstring)."""
    doc = Document()
    nodes = map_nodes(runs)
    title = f"{word('title', lang)}: {runs[0].summary.get('dataset', {}).get('name', runs[0].label)}"
    if nodes.empty:
        doc.add_root(column(Div(text=f"<h2>{title}</h2><p>{word('no_map', lang)}</p>")))
        doc.title = title
        return doc
    links = map_links(runs, nodes)
    periods = list(dict.fromkeys(p for run in runs for p in run.periods))
    modes = sorted(links["mode"].unique())
    labels = [run.label for run in runs]
    compare = len(runs) > 1

    link_weeks, node_weeks = {}, {}
    for r, run in enumerate(runs):
        lc, nc = weekly_columns(run, r, periods, links, nodes)
        link_weeks.update(lc)
        node_weeks.update(nc)
    flows = [v for k, col in link_weeks.items() if k.startswith("flow_t|") for v in col]
    most = float(max(flows, default=0)) or 1.0
    changes = [abs(v - v0) for r in range(1, len(runs)) for w in range(len(periods))
               for v, v0 in zip(link_weeks[f"flow_t|{r}|{w}"], link_weeks[f"flow_t|0|{w}"], strict=True)]
    most_change = float(max(changes, default=0)) or 1.0  # the change view's own scale: changes are far smaller than flows

    names = nodes["name"].to_dict()
    link_src = ColumnDataSource(name="links", data={
        "xs": [[round(x, 3) for x, _ in path] for path in links["path"]],
        "ys": [[round(mercator_y(y), 3) for _, y in path] for path in links["path"]],
        "link": links.index.tolist(), "mode": links["mode"].tolist(), "mode_color": [mode_colour(m, modes) for m in links["mode"]],
        "from_name": links["from"].map(names).tolist(), "to_name": links["to"].map(names).tolist(),
        **{k: [0] * len(links) for k in ("flow", "cap", "price", "util", "dflow", "width", "alpha")}, "color": [IDLE] * len(links),
        **{f"{k}_txt": [""] * len(links) for k in ("flow", "cap", "price", "util", "dflow")}})
    kinds = nodes["kind"].tolist()
    node_src = ColumnDataSource(name="nodes", data={
        "x": nodes["lon"].round(4).tolist(), "y": [round(mercator_y(v), 4) for v in nodes["lat"]], "id": nodes.index.tolist(),
        "name": nodes["name"].tolist(), "kind": [text(f"kind_{k}", lang) if k in KIND_STYLE else k for k in kinds],
        "marker": [MARKERS.get(k, ("circle", 8))[0] for k in kinds], "size": [MARKERS.get(k, ("circle", 8))[1] for k in kinds],
        "kind_color": [KIND_STYLE.get(k, ("o", "#777777"))[1] for k in kinds],
        **{k: [0] * len(nodes) for k in ("stock", "cover", "unmet", "dunmet")}, "fill": ["#777777"] * len(nodes), "line": ["white"] * len(nodes),
        **{f"{k}_txt": [""] * len(nodes) for k in ("stock", "cover", "unmet", "dunmet")}})

    p = figure(name="map", match_aspect=True, sizing_mode="stretch_width", height=720, min_width=360, x_axis_type=None, y_axis_type=None,
               tools="pan,wheel_zoom,box_zoom,reset,save", active_scroll="wheel_zoom", background_fill_color=SEA, border_fill_color="white",
               x_range=DataRange1d(range_padding=0.1), y_range=DataRange1d(range_padding=0.1), output_backend="canvas")
    p.grid.visible = False
    p.toolbar.logo = None
    rings = province_rings()
    p.patches("xs", "ys", source=ColumnDataSource(name="provinces", data={"xs": [list(x) for x, _ in rings], "ys": [list(y) for _, y in rings]}),
              fill_color=LAND, line_color=BORDER, line_width=0.7)
    link_r = p.multi_line("xs", "ys", source=link_src, line_width="width", line_color="color", line_alpha="alpha", line_cap="round",
                          line_join="round", hover_line_alpha=1.0)
    node_r = p.scatter("x", "y", source=node_src, marker="marker", size="size", fill_color="fill", line_color="line", line_width=1.2)
    p.x_range.renderers = [node_r]
    p.y_range.renderers = [node_r]

    # the *_txt columns are the numbers with their units, written by UPDATE_JS ("–" where there is none)
    link_tips = [(word("link", lang), "@link (@mode)"), (word("from_to", lang), "@from_name → @to_name"), (word("flow", lang), "@flow_txt"),
                 (word("capacity", lang), "@cap_txt"), (word("utilisation", lang), "@util_txt"), (word("price", lang), "@price_txt")]
    node_tips = [(word("node", lang), "@name (@id)"), (word("kind", lang), "@kind"), (word("stock", lang), "@stock_txt"),
                 (word("cover", lang), "@cover_txt"), (word("unmet", lang), "@unmet_txt")]
    if compare:
        link_tips.append((word("change", lang), "@dflow_txt"))
        node_tips.append((word("unmet_change", lang), "@dunmet_txt"))
    p.add_tools(HoverTool(renderers=[link_r], tooltips=link_tips, line_policy="interp"), HoverTool(renderers=[node_r], tooltips=node_tips))

    week = None
    if len(periods) > 1:
        week = Slider(name="week", title=word("week", lang), start=0, end=len(periods) - 1, step=1, value=0, sizing_mode="stretch_width",
                      format=CustomJSTickFormatter(args={"periods": periods}, code="return periods[Math.round(tick)]"), min_width=220)
    run = Select(name="scenario", title=word("scenario", lang), value="0", options=[(str(i), lab) for i, lab in enumerate(labels)],
                 width=175) if compare else None
    view = Select(name="view", title=word("view", lang), value="flow",
                  options=[("flow", word("view_flow", lang)), ("change", word("view_change", lang, base=labels[0]))], width=175) if compare else None
    heading = Div(name="heading", text="", styles={"font-size": "14px"})
    update = CustomJS(args={"week": week, "run": run, "view": view, "links": link_src, "nodes": node_src, "heading": heading,
                            "link_weeks": ColumnDataSource(name="link_weeks", data=link_weeks),
                            "node_weeks": ColumnDataSource(name="node_weeks", data=node_weeks),
                            "periods": periods, "labels": labels, "change_word": word("view_change", lang, base=labels[0]),
                            "most": most, "most_change": most_change, "min_px": MIN_WIDTH_PX, "max_px": MAX_WIDTH_PX,
                            "more": MORE, "less": LESS, "idle": IDLE, "short_color": SHORT}, code=UPDATE_JS)
    controls = [c for c in (week, run, view) if c is not None]
    for c in controls:
        c.js_on_change("value", update)
    mines = nodes[nodes["kind"] == "mine"]
    if len(mines) >= 3:
        x0, x1 = mines["lon"].min() - 0.4, mines["lon"].max() + 0.4
        y0, y1 = mercator_y(mines["lat"].min()) - 0.4, mercator_y(mines["lat"].max()) + 0.4
        zoom = Button(name="zoom", label=word("zoom", lang), width=170, align="end")
        zoom.js_on_event("button_click", CustomJS(args={"plot": p, "box": [round(v, 3) for v in (x0, x1, y0, y1)]}, code=ZOOM_JS))
        controls.append(zoom)

    header = Div(text=f'<div style="font-size:18px;font-weight:bold">{title}</div>', sizing_mode="stretch_width")
    key = Div(name="key", text=key_html(lang, modes, list(dict.fromkeys(kinds)), most, most_change if compare else None, labels[0]), width=300)
    # the key beside the map on a wide screen, under it on a narrow one
    page = column(header, row(*controls, sizing_mode="stretch_width", styles={"flex-wrap": "wrap", "gap": "8px"}), heading,
                  row(p, key, sizing_mode="stretch_width", styles={"flex-wrap": "wrap", "gap": "12px"}), sizing_mode="stretch_width")
    doc.add_root(page)
    doc.js_on_event("document_ready", update)
    doc.title = title
    return doc


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def map_html(runs: list[Results], lang: str) -> bytes:
    """``map.html`` for the report of ``runs`` (base first) as UTF-8 bytes, byte-identical for
    identical folders. Bokeh ids are made random (uuid4) while the page is built, then renamed
    ``m1``, ``m2``, … in order of first appearance: a model counter would differ between pages
    made in one process, and a uuid cannot be mistaken for data."""
    was_set, previous = settings.simple_ids.is_set, settings.simple_ids()
    settings.simple_ids.set_value(False)
    try:
        doc = build(runs, lang)
        page = file_html(doc, INLINE, doc.title)
    finally:
        if was_set:
            settings.simple_ids.set_value(previous)
        else:
            settings.simple_ids.unset_value()
    renamed: dict[str, str] = {}
    page = UUID.sub(lambda m: renamed.setdefault(m.group(0), f"m{len(renamed) + 1}"), page)
    return page.encode("utf-8")
