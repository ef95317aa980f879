"""Charts of one or more results folders, as PNG bytes: stocks against safety stock, days of
cover, modal split and CO2, KPI changes, unmet demand by class and corridor utilisation.

matplotlib is imported here only (the report path); figures are drawn on its Agg canvas, without
pyplot, so no display is needed and no global backend is chosen. PNGs are reproducible: fixed figure size and dpi, no metadata.
Chinese text needs a CJK font: :func:`find_cjk_font` looks for one among the fonts matplotlib
knows, then on disk (``fc-list``, the usual font folders: a font installed after matplotlib
built its font cache is not in that cache) and adds the files it finds (Debian:
``apt-get install fonts-noto-cjk``); without one, text is drawn in the default font (Chinese
characters as boxes) and a warning says so.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import warnings
from datetime import date
from pathlib import Path
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from supplyopt.reports.folders import node_kinds, node_names
from supplyopt.results.labels import KPIS, mode_name, status_word, text

DPI = 100
# Families with Chinese glyphs, most preferred first (Noto/Source Han are SIL OFL; WenQuanYi GPL+FE).
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "Noto Sans CJK JP", "Noto Sans CJK TC", "Source Han Sans CN", "Microsoft YaHei", "SimHei", "PingFang SC",
    "Hiragino Sans GB", "Droid Sans Fallback", "AR PL UMing CN", "Noto Serif CJK SC",
)
MODE_COLOURS = {
    "rail": "#1f5fa8", "truck": "#d62728", "ev_truck": "#2ca02c", "sea": "#17becf", "river": "#7fb8e6",
    "conveyor": "#8c564b", "uhv": "#9467bd",
}
OTHER_COLOURS = ("#ff7f0e", "#e377c2", "#7f7f7f", "#bcbd22", "#393b79")
RUN_COLOURS = ("#1f5fa8", "#e6550d", "#31a354", "#756bb1", "#636363", "#d6616b")
COVER_COLOURS = ("#d7301f", "#fdae61", "#a6d96a")  # red, amber, ok


@dataclass
class Chart:
    """One picture of the report: its file name under charts/, its title, the PNG bytes
    (None when there is nothing to draw) and a note shown beside it."""

    file: str
    title: str
    png: bytes | None
    note: str = ""


# where Debian, Fedora, Arch and macOS put fonts, and the file names of the CJK families above
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts", "/Library/Fonts", "/System/Library/Fonts")
CJK_FILE_PATTERNS = ("NotoSansCJK*", "NotoSansSC*", "SourceHanSans*", "wqy-zenhei*", "wqy-microhei*", "NotoSerifCJK*", "DroidSansFallback*",
                     "uming*", "PingFang*", "Hiragino Sans GB*", "msyh*", "simhei*")


def find_cjk_font(families: tuple[str, ...] | None = None) -> str | None:
    """The first font family of ``families`` (default :data:`CJK_FAMILIES`, which carry
    Chinese glyphs) that matplotlib knows, or None. Where it knows none, the CJK font files
    on disk (:func:`cjk_font_files`) are added to its font manager first: matplotlib caches
    its font list, so a font installed after the cache was built is otherwise never seen."""
    families = CJK_FAMILIES if families is None else families

    def known() -> str | None:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in families if name in installed), None)

    found = known()
    if found is None:
        for path in cjk_font_files():
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # unreadable or not a font: look on
                continue
        found = known()
    return found


def cjk_font_files() -> list[str]:
    """Font files with Chinese glyphs on this machine: what ``fc-list :lang=zh`` lists (where
    fontconfig is installed), else the files in :data:`FONT_DIRS` named like a CJK family
    (Noto Sans CJK, Source Han Sans, WenQuanYi …); sorted, so the choice is the same every run."""
    files: set[str] = set()
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            listed = subprocess.run([fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=30, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            listed = ""
        files |= {line.split(":")[0].strip() for line in listed.splitlines() if line.strip()}
    if not files:
        for folder in FONT_DIRS:
            root = Path(folder).expanduser()
            if root.is_dir():
                files |= {str(f) for pattern in CJK_FILE_PATTERNS for f in root.rglob(pattern) if f.suffix.lower() in (".ttf", ".ttc", ".otf")}
    return sorted(f for f in files if Path(f).suffix.lower() in (".ttf", ".ttc", ".otf"))


def mode_colour(mode: str, modes: list[str]) -> str:
    """A fixed colour per known mode; other modes take the spare colours in sorted order."""
    if mode in MODE_COLOURS:
        return MODE_COLOURS[mode]
    others = sorted(m for m in modes if m not in MODE_COLOURS)
    return OTHER_COLOURS[others.index(mode) % len(OTHER_COLOURS)] if mode in others else "#7f7f7f"


class Figures:
    """Makes figures in one language and font, and turns them into PNG bytes."""

    def __init__(self, lang: str, warn: Callable[[str], None], needs_cjk: bool = True, families: tuple[str, ...] | None = None):
        self.lang = lang
        self.font = find_cjk_font(families)
        if self.font is None and needs_cjk:
            warn("no Chinese (CJK) font is installed: Chinese text in the charts will show as boxes. "
                 "Install one, e.g. `apt-get install fonts-noto-cjk` (Debian/Ubuntu), then run the report again")
        self.rc = {
            # named families, not "sans-serif": matplotlib falls back glyph by glyph only
            # along an explicit family list (Latin from DejaVu Sans, Chinese from the CJK font)
            "font.family": ["DejaVu Sans"] + ([self.font] if self.font else []),
            "axes.unicode_minus": False,
            "font.size": 9,
            "svg.hashsalt": "supplyopt",
        }

    @contextlib.contextmanager
    def context(self):
        """Drawing settings for every chart of a report: the font list, and matplotlib's
        per-glyph 'missing from font' warnings silenced (the missing font was warned once)."""
        with matplotlib.rc_context(self.rc), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
            yield

    def t(self, key: str, **fmt) -> str:
        return text(key, self.lang, **fmt)

    def new(self, width_in: float, height_in: float, **kw) -> Figure:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        with matplotlib.rc_context(self.rc):
            fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained", **kw)
        FigureCanvasAgg(fig)  # a canvas that can measure text (maps place labels where they fit)
        return fig

    def png(self, fig: Figure) -> bytes:
        """PNG bytes without metadata (no software version or date), so identical figures
        give identical files."""
        buf = io.BytesIO()
        with self.context():
            fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
        return buf.getvalue()

    def tonnes_scale(self, largest: float) -> tuple[float, str]:
        """Divisor and unit for tonnes: 万吨 in Chinese; Mt or kt in English."""
        return self.scale("t", largest)

    def scale(self, quantity: str, largest: float) -> tuple[float, str]:
        """Divisor and unit for ``quantity`` ("t", "tkm", "co2") so that ``largest`` reads
        as a number of a sensible size (Chinese uses 万 = 10⁴ and 亿 = 10⁸)."""
        for factor, unit in UNIT_STEPS[quantity][self.lang]:
            if largest >= factor:
                return factor, unit
        return UNIT_STEPS[quantity][self.lang][-1]


UNIT_STEPS = {
    "t": {"en": ((1e6, "Mt"), (1e3, "kt"), (1.0, "t")), "zh": ((1e4, "万吨"), (1.0, "吨"))},
    "tkm": {"en": ((1e9, "billion t·km"), (1e6, "million t·km"), (1.0, "t·km")), "zh": ((1e8, "亿吨公里"), (1e4, "万吨公里"), (1.0, "吨公里"))},
    "co2": {"en": ((1e6, "Mt CO2"), (1e3, "kt CO2"), (1.0, "t CO2")), "zh": ((1e4, "万吨二氧化碳"), (1.0, "吨二氧化碳"))},
}


def wrap(name: str, width: int) -> str:
    """A long node name on up to two lines, broken at spaces (Chinese counts double width)."""
    import textwrap
    import unicodedata

    def size(s: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)

    if size(name) <= width:
        return name
    words, lines = name.split(" "), [""]
    for w in words:
        if lines[-1] and size(lines[-1] + " " + w) > width and len(lines) < 2:
            lines.append(w)
        else:
            lines[-1] = (lines[-1] + " " + w).strip()
    return "\n".join(textwrap.shorten(line, width=max(width, 10), placeholder="…") if size(line) > width * 1.3 else line for line in lines)


def slug(label: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in label)


# --------------------------------------------------------------------------- stocks and cover
STOCK_GROUPS = (("storage", "stocks_storage"), ("port", "stocks_port"), ("demand", "stocks_demand"))
MAX_PANELS = 16


def stock_charts(figs: Figures, run) -> list[Chart]:
    """Per node kind (storage bases, ports, plant yards, other), small panels of end-of-period
    stock (all products) against safety stock and capacity, largest stocks first."""

    stocks = run.tables["stocks"]
    periods = run.periods
    if stocks.empty:
        return [Chart(f"stocks_{slug(run.label)}.png", f"{figs.t('stocks_title')} — {run.label}", None, figs.t("no_stock"))]
    kinds, names = node_kinds(run), node_names(run)
    by_node = stocks.groupby(["node", "period"], sort=False).agg(stock_t=("stock_t", "sum"), safety_t=("safety_t", "sum"), capacity_t=("capacity_t", "first") if "capacity_t" in stocks else ("stock_t", "size")).reset_index()
    if "capacity_t" not in stocks:
        by_node["capacity_t"] = np.nan
    by_node["group"] = by_node["node"].map(kinds).where(lambda k: k.isin([g for g, _ in STOCK_GROUPS]), "other")
    out = []
    for group, title_key in STOCK_GROUPS + (("other", "stocks_other"),):
        part = by_node[by_node["group"] == group]
        if part.empty:
            continue
        order = part.groupby("node")["stock_t"].mean().sort_values(ascending=False, kind="stable")
        shown = list(order.index[:MAX_PANELS])
        ncols = min(len(shown), 4)
        nrows = -(-len(shown) // ncols)
        fig = figs.new(max(6.5, 3.2 * ncols), 2.4 * nrows + 0.6)
        scale, unit = figs.tonnes_scale(float(part[["stock_t", "safety_t"]].max().max()))
        axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False, sharex=True)).ravel()
        x = np.arange(len(periods))
        for ax, node in zip(axes, shown):
            rows = part[part["node"] == node].set_index("period").reindex(periods)
            ax.plot(x, rows["stock_t"] / scale, color="#1f5fa8", lw=1.8, label=figs.t("stock"))
            ax.plot(x, rows["safety_t"] / scale, color="#d7301f", lw=1.2, ls="--", label=figs.t("safety"))
            if rows["capacity_t"].notna().any():
                ax.plot(x, rows["capacity_t"] / scale, color="#7f7f7f", lw=0.8, ls=":", label=figs.t("capacity"))
            ax.fill_between(x, 0, rows["stock_t"] / scale, where=(rows["stock_t"] < rows["safety_t"] - 1e-6).to_numpy(), color="#d7301f", alpha=0.15, step=None)
            ax.set_title(wrap(names.get(node, node), 44), fontsize=7.5)
            top = np.nanmax(rows[["stock_t", "safety_t", "capacity_t"]].to_numpy(float)) / scale
            ax.set_ylim(0, top * 1.1 if np.isfinite(top) and top > 0 else 1)  # capacity line clear of the frame
            ax.grid(alpha=0.3)
        for ax in axes[len(shown):]:
            ax.set_visible(False)
        _period_ticks(_bottom_panels(axes, len(shown), ncols), periods)
        for ax in axes[::ncols]:
            ax.set_ylabel(unit)
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3, fontsize=8)
        more = len(order) - len(shown)
        title = f"{figs.t(title_key)}: {figs.t('stocks_title')} — {run.label}"
        fig.suptitle(title + (f" ({figs.t('more_nodes', n=more)})" if more else ""), fontsize=10)
        out.append(Chart(f"stocks_{group}_{slug(run.label)}.png", title, figs.png(fig)))
    return out


def _bottom_panels(axes, used: int, ncols: int) -> list:
    """The lowest drawn panel of each column of a grid (their period labels are shown; panels
    above share the x axis and hide theirs)."""
    return [axes[max(i for i in range(used) if i % ncols == c)] for c in range(min(ncols, used))]


def _period_ticks(axes, periods: list[str]) -> None:
    step = max(1, -(-len(periods) // 7))
    for ax in axes:
        ax.xaxis.set_tick_params(labelbottom=True)
        ax.set_xticks(np.arange(0, len(periods), step))
        ax.set_xticklabels(periods[::step], rotation=45, ha="right", fontsize=7)


def cover_grid(run) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(days, status) by demand centre and period: the lowest product's days of cover
    ((stock − tonnes short) ÷ daily need) and its status; a centre without a stockpile is
    red in a week it goes short (−days of demand missed) and blank otherwise. Centres most at
    risk first."""

    stocks, unmet = run.tables["stocks"], run.tables["unmet"]
    kinds = node_kinds(run)
    centres = set(unmet["node"]) | {n for n, k in kinds.items() if k == "demand"}
    short = (stocks["went_short_t"].fillna(0.0) > 0.5) if "went_short_t" in stocks else pd.Series(False, index=stocks.index)
    s = stocks[stocks["node"].isin(centres) & (stocks["days_of_cover"].notna() | short)]
    if "cover_status" in s:
        s = s[(s["cover_status"] != "") | short[s.index]]
    rank = {"red": 0, "amber": 1, "ok": 2}
    r = s["cover_status"].map(rank).fillna(2) if "cover_status" in s else pd.Series(2, index=s.index)
    # a week the centre went short is red whatever its status says (folders from older solves)
    rows = s[["node", "period", "days_of_cover"]].assign(_r=r.where(~short[s.index], 0))
    stocked = set(stocks["node"])
    u = unmet[~unmet["node"].isin(stocked)].groupby(["node", "period"], sort=False)[["unmet_t", "demand_t"]].sum().reset_index()
    u = u[u["unmet_t"] > 0.5]
    days = run.summary.get("periods", {}).get("days", 7) or 7
    rows = pd.concat([rows, pd.DataFrame({"node": u["node"], "period": u["period"], "days_of_cover": -u["unmet_t"] / (u["demand_t"] / days), "_r": 0})], ignore_index=True)
    if rows.empty:
        return pd.DataFrame(), pd.DataFrame()
    worst = rows.sort_values(["_r", "days_of_cover"], kind="stable").drop_duplicates(["node", "period"])
    grid = worst.pivot(index="node", columns="period", values="days_of_cover").reindex(columns=run.periods)
    status = worst.pivot(index="node", columns="period", values="_r").reindex(columns=run.periods)
    order = pd.DataFrame({"r": status.min(axis=1), "d": grid.min(axis=1)}).sort_values(["r", "d"], kind="stable").index
    return grid.loc[order], status.loc[order]


NUMBERED_PERIODS = 20  # up to this many periods each cell carries its days of cover


def cover_heatmap(figs: Figures, run) -> Chart:
    """Days of cover by demand centre and period, coloured by each centre's status (red /
    amber / ok by the lines of its demand class; red in any week it goes short). Up to
    :data:`NUMBERED_PERIODS` periods each cell shows its days; a longer horizon (a year of
    weeks) is drawn as narrow cells without figures, ticked at the first week of each month."""

    file = f"cover_{slug(run.label)}.png"
    title = f"{figs.t('cover_title')} — {run.label}"
    grid, status = cover_grid(run)
    if grid.empty:
        return Chart(file, title, None, figs.t("no_cover"))
    names = node_names(run)
    lines = (run.summary.get("options", {}).get("cover_days_by_class") or {}).get("power") or [7.0, 12.0]
    red, amber = float(lines[0]), float(lines[1])
    periods = run.periods
    numbered = len(periods) <= NUMBERED_PERIODS
    from matplotlib.colors import BoundaryNorm, ListedColormap

    # colour by status (0 red, 1 amber, 2 ok): each class has its own lines
    norm = BoundaryNorm([-0.5, 0.5, 1.5, 2.5], 3)
    cell_in = 0.55 if numbered else 0.22
    fig = figs.new(max(7.5, 1.6 + cell_in * len(periods) + 2.8), 1.4 + 0.28 * len(grid))
    ax = fig.subplots()
    im = ax.imshow(np.ma.masked_invalid(status.to_numpy(float)), cmap=ListedColormap(COVER_COLOURS), norm=norm, aspect="auto")
    if numbered:
        for (i, j), v in np.ndenumerate(grid.to_numpy(float)):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=6.5)
    else:  # thin white lines between cells keep the rows and weeks apart
        ax.set_xticks(np.arange(-0.5, len(periods)), minor=True)
        ax.set_yticks(np.arange(-0.5, len(grid)), minor=True)
        ax.grid(which="minor", color="white", lw=0.4)
        ax.tick_params(which="minor", length=0)
    ax.set_yticks(np.arange(len(grid)))
    ax.set_yticklabels([wrap(names.get(n, n), 56) for n in grid.index], fontsize=7)
    ticks, labels = month_ticks(periods) if not numbered else (list(range(len(periods))), periods)
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=7)
    ax.set_xlabel(figs.t("week"))
    bar = fig.colorbar(im, ax=ax, ticks=[0, 1, 2], fraction=0.04 if numbered else 0.025)
    bar.ax.set_yticklabels([status_word(s, figs.lang) for s in ("red", "amber", "ok")])
    legend = figs.t("cover_legend", red=red, amber=amber) + ("" if numbered else "\n" + figs.t("cover_many", n=len(periods)))
    ax.set_title(f"{title}\n{legend}", fontsize=9)
    return Chart(file, title, figs.png(fig))


def month_ticks(periods: list[str]) -> tuple[list[int], list[str]]:
    """Tick positions and labels for a long row of periods: the first ISO week (``2027-W05``)
    of each month, labelled ``2027-02``; periods not named as ISO weeks get about 12 evenly
    spaced ticks labelled with their names."""
    months = []
    for period in periods:
        try:
            year, week = str(period).split("-W")
            months.append(date.fromisocalendar(int(year), int(week), 4).strftime("%Y-%m"))  # the Thursday: ISO's own rule
        except ValueError:
            step = max(1, -(-len(periods) // 12))
            return list(range(0, len(periods), step)), list(periods[::step])
    ticks = [i for i, m in enumerate(months) if i == 0 or m != months[i - 1]]
    return ticks, [months[i] for i in ticks]


# --------------------------------------------------------------------------- modal split
def modal_split(figs: Figures, runs) -> Chart:
    """Tonnes, t·km and CO2 by mode, and truck share of mine output by mine region, one bar
    per results folder."""

    tables = []
    for run in runs:
        f = run.tables["flows"]
        by_mode = f.groupby("mode").agg(flow_t=("flow_t", "sum"), tkm=("tkm", "sum"), co2_t=("co2_t", "sum"))
        tables.append(by_mode)
    modes = sorted(set().union(*[t.index for t in tables]))
    fig = figs.new(11, 7.5)
    axes = fig.subplots(2, 2).ravel()
    panels = (("flow_t", "tonnes_by_mode", "t"), ("tkm", "tkm_by_mode", "tkm"), ("co2_t", "co2_by_mode", "co2"))
    for ax, (col, key, quantity) in zip(axes, panels):
        scale, unit = figs.scale(quantity, max([float(t[col].max()) for t in tables if len(t)] or [0.0]))
        values = [[float(t[col].get(m, 0.0)) / scale for m in modes] for t in tables]
        _grouped_bars(ax, [mode_name(m, figs.lang) for m in modes], values, [r.label for r in runs],
                      colours=[mode_colour(m, modes) for m in modes] if len(runs) == 1 else None)
        ax.set_title(figs.t(key))
        ax.set_ylabel(unit)
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}") if max(max(v) for v in values) >= 100 else StrMethodFormatter("{x:,.1f}"))
    ax = axes[3]
    regions, shares = _truck_share_by_region(runs, node_kinds)
    _grouped_bars(ax, regions, [[100 * v for v in s] for s in shares], [r.label for r in runs], fmt="{:.0f}%")
    ax.set_title(figs.t("truck_share_region"))
    ax.set_ylabel("%")
    fig.suptitle(figs.t("sec_modal"), fontsize=11)
    return Chart("modal_split.png", figs.t("sec_modal"), figs.png(fig))


def _truck_share_by_region(runs, node_kinds) -> tuple[list[str], list[list[float]]]:
    """Mine output leaving by truck ÷ mine output, by the mines' region (nodes.csv)."""
    per_run = []
    for run in runs:
        nodes = run.nodes
        region = {} if nodes is None or "region" not in nodes else dict(zip(nodes["id"].astype(str), nodes["region"].fillna("").astype(str)))
        prod = run.tables["production"]
        region_of = {m: region.get(m) or "—" for m in set(prod["mine"]) | set(run.tables["flows"]["from"])}
        made = prod.groupby(prod["mine"].map(region_of))["production_t"].sum()
        f = run.tables["flows"]
        truck = f["truck"] if "truck" in f else f["mode"].isin(["truck", "ev_truck"])
        from_mine = f["from"].isin(set(prod["mine"]))
        by_truck = f[from_mine & truck].groupby(f["from"].map(region_of))["flow_t"].sum()
        per_run.append((by_truck.reindex(made.index).fillna(0.0) / made.where(made > 0)).fillna(0.0))
    regions = sorted(set().union(*[s.index for s in per_run]))
    return regions, [[float(s.get(r, 0.0)) for r in regions] for s in per_run]


def _grouped_bars(ax, categories: list[str], values: list[list[float]], series: list[str], colours=None, fmt: str | None = None,
                  horizontal: bool = False, labels: list[list[str]] | None = None) -> None:
    """One group of bars per category, one bar per series (results folder)."""
    n = max(1, len(values))
    width = 0.8 / n
    x = np.arange(len(categories))
    for i, (vals, name) in enumerate(zip(values, series)):
        pos = x - 0.4 + width * (i + 0.5)
        colour = colours if colours is not None else RUN_COLOURS[i % len(RUN_COLOURS)]
        bars = ax.barh(pos, vals, height=width, color=colour, label=name) if horizontal else ax.bar(pos, vals, width=width, color=colour, label=name)
        if labels is not None:
            ax.bar_label(bars, labels=labels[i], fontsize=6.5, padding=2)
        elif fmt and len(categories) * n <= 40:
            # side by side, upright labels of neighbouring bars run into one another: turn them
            upright = n > 1 and not horizontal
            ax.bar_label(bars, labels=[fmt.format(v) for v in vals], fontsize=6 if upright else 6.5, padding=2 if upright else 1,
                         rotation=90 if upright else 0)
    if fmt and labels is None and not horizontal:
        ax.set_ylim(top=ax.get_ylim()[1] * (1.15 if n > 1 else 1.06))  # room above the tallest bar for its label
    if horizontal:
        ax.set_yticks(x)
        ax.set_yticklabels(categories, fontsize=7)
        ax.invert_yaxis()
        ax.grid(axis="x", alpha=0.3)
    else:
        ax.set_xticks(x)
        ax.set_xticklabels(categories, rotation=30 if len(categories) > 5 else 0, ha="right" if len(categories) > 5 else "center", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    if len(series) > 1:
        ax.legend(fontsize=7)


# --------------------------------------------------------------------------- comparison
def kpi_deltas(figs: Figures, runs) -> Chart:
    """Each compared folder's KPIs against the first: % change (shares: percentage points).
    Where the base value is 0 (no unmet demand, say) a % change has no meaning: the bar is
    left at 0 and labelled with the new value."""
    base = runs[0]
    currency = base.summary.get("currency", "CNY")
    names, values, labels = [], [[] for _ in runs[1:]], [[] for _ in runs[1:]]
    for key, unit in KPIS:
        b = base.summary.get(key)
        if b is None:
            continue
        names.append(figs.t(key) + (" (pp)" if unit == "%" else " (%)"))
        for vals, texts, run in zip(values, labels, runs[1:]):
            v = run.summary.get(key)
            if v is None:
                vals.append(0.0)
                texts.append("–")
            elif unit == "%":
                vals.append(100 * (v - b))
                texts.append(f"{100 * (v - b):+.1f}")
            elif abs(b) > 1e-9:
                vals.append(100 * (v - b) / abs(b))
                texts.append(f"{100 * (v - b) / abs(b):+.1f}")
            else:
                vals.append(0.0)
                shown = currency if unit == "currency" else unit
                texts.append("±0" if abs(v) < 1e-9 else f"0 → {v:,.0f} {shown}")
    fig = figs.new(9, 0.9 + 0.42 * len(names) * max(1, len(runs) - 1) ** 0.5)
    ax = fig.subplots()
    _grouped_bars(ax, names, values, [r.label for r in runs[1:]], labels=labels, horizontal=True)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("% / pp")
    lo, hi = ax.get_xlim()
    ax.set_xlim(lo - 0.08 * (hi - lo), hi + 0.25 * (hi - lo))  # room for the value labels
    title = figs.t("kpi_delta_title", base=base.label)
    if len(runs) == 2:  # one bar per KPI, no legend: name the compared folder in the title
        title = f"{runs[1].label}: {title}"
    ax.set_title(title)
    return Chart("compare_kpis.png", title, figs.png(fig))


def unmet_by_class(figs: Figures, runs) -> Chart:
    """Unmet tonnes per period, one panel per demand class (``demand_class`` column in the
    data set's demand table, else one panel), one line per results folder."""
    frames = []
    for run in runs:
        u = run.tables["unmet"]
        cls = u["demand_class"].fillna("").astype(str).replace("", "—") if "demand_class" in u else pd.Series(figs.t("all"), index=u.index)
        frames.append(u.assign(_class=cls).groupby(["_class", "period"])["unmet_t"].sum())
    classes = sorted(set().union(*[f.index.get_level_values(0) for f in frames]))
    if all(float(f.sum()) <= 0.5 for f in frames):  # nothing unmet anywhere: no chart of zeros
        return Chart("compare_unmet.png", figs.t("unmet_title"), None, figs.t("no_unmet"))
    periods = runs[0].periods
    ncols = min(3, len(classes))
    nrows = -(-len(classes) // ncols)
    fig = figs.new(3.6 * ncols + 0.5, 2.4 * nrows + 0.7)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)).ravel()  # one scale: classes compare
    largest = max([float(f.max()) for f in frames if len(f)] or [0.0])
    scale, unit = figs.tonnes_scale(largest)
    x = np.arange(len(periods))
    for ax, c in zip(axes, classes):
        for i, (f, run) in enumerate(zip(frames, runs)):
            series = f.get(c, pd.Series(dtype=float)).reindex(periods).fillna(0.0)
            ax.plot(x, series / scale, marker="o", ms=3, color=RUN_COLOURS[i % len(RUN_COLOURS)], label=run.label)
        ax.set_title(c, fontsize=9)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    for ax in axes[len(classes):]:
        ax.set_visible(False)
    _period_ticks(_bottom_panels(axes, len(classes), ncols), periods)
    for ax in axes[::ncols]:
        ax.set_ylabel(unit)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=min(6, len(runs)), fontsize=8)
    fig.suptitle(figs.t("unmet_title"), fontsize=10)
    return Chart("compare_unmet.png", figs.t("unmet_title"), figs.png(fig))


def corridor_table(run) -> pd.Series:
    """Mean utilisation over the horizon of each corridor's busiest link (or of each link
    where the data set names no corridors): Σ over periods of tonnes entering ÷ capacity,
    divided by the number of periods (a period without flow counts as 0)."""
    f = run.tables["flows"]
    if "utilisation" not in f:
        return pd.Series(dtype=float)
    f = f[f["utilisation"].notna()]
    n = max(1, len(run.periods))
    per_link = f.drop_duplicates(["link", "period"]).groupby("link")["utilisation"].sum() / n
    if "corridor" in f:
        corridor = f.drop_duplicates("link").set_index("link")["corridor"].fillna("").astype(str)
        named = corridor[corridor != ""]
        return per_link[named.index].groupby(named).max().sort_index()
    return per_link.sort_index()


def corridor_utilisation(figs: Figures, runs, top: int = 15) -> Chart:
    """Corridor (or link) utilisation side by side across results folders, busiest first."""
    tables = [corridor_table(r) for r in runs]
    both = pd.concat(tables, axis=1).fillna(0.0)
    title = figs.t("corridor_title")
    if both.empty:
        return Chart("compare_corridors.png", title, None, "—")
    order = both.max(axis=1).sort_values(ascending=False, kind="stable").index[:top]
    fig = figs.new(9, 1.0 + 0.32 * len(order) * max(1, len(runs)) ** 0.6)
    ax = fig.subplots()
    _grouped_bars(ax, list(order), [[100 * float(t.get(c, 0.0)) for c in order] for t in tables], [r.label for r in runs], fmt="{:.0f}%", horizontal=True)
    ax.axvline(100, color="#d7301f", lw=0.8, ls="--")
    ax.set_xlim(0, max(112.0, ax.get_xlim()[1] * 1.08))
    ax.set_xlabel(f"{figs.t('utilisation')} (%)")
    ax.set_title(title)
    return Chart("compare_corridors.png", title, figs.png(fig))
