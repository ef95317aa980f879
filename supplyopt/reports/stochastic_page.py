"""The report page of a stochastic results folder (``supplyopt stochastic … --out DIR``).

    write_stochastic_report("results/winter-stochastic", "results/winter-stochastic-report")

Like the report of a solve, it is drawn only from what the command wrote (summary.json,
scenarios.csv, first_stage.csv, unmet.csv, first_stage_shipments.csv, ph_progress.csv), never
from a model in memory. The folder written holds:

* ``report.html``: one self-contained page (charts embedded as base64 PNG, styles and the
  table-sorting script inline, nothing fetched). It opens with an executive summary a director reads in a minute (expected cost,
  worst case, expected unmet and the scenarios that go short, VSS and EVPI with what they
  mean, the risk term, progressive hedging's convergence), then the scenarios, the first-stage
  stock at the end of the decision stage, unmet demand, and the assumptions (stages,
  end-of-horizon rule, the scenario set and its files' SHA-256).
* ``results.xlsx``: sheets ``summary`` (every measure with its unit and meaning),
  ``scenarios``, ``first_stage``, ``first_stage_shipments``, ``unmet``, ``scenario_set`` and,
  after progressive hedging, ``ph_progress``.
* ``charts/*.png``: the charts of the page.

The folder is written atomically and is byte-identical for identical results folders.
"""

from __future__ import annotations

import html
import json
import math
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from supplyopt.io.data import DataError, Problem, read_dataset
from supplyopt.io.write import check_out_dir, write_folder
from supplyopt.io.xlsx import reproducible_xlsx
from supplyopt.reports import workbook
from supplyopt.reports.charts import Chart, Figures, wrap
from supplyopt.reports.folders import ReportWarning
from supplyopt.reports.htmlreport import SORT_SCRIPT, STYLE, figure, table

TEXT_COLUMNS = {"scenario", "node", "product", "demand_class", "period", "link", "from", "to", "mode"}
NEEDED = {
    "scenarios": ("scenario", "probability", "cost_cny", "unmet_t"),
    "first_stage": ("node", "product", "period", "stock_t"),
    "unmet": ("scenario", "node", "product", "period", "unmet_t"),
}
OPTIONAL = ("first_stage_shipments", "ph_progress")
TOP_NODES = 15  # first-stage stock chart and table
MAX_SCENARIOS_DRAWN = 40  # scenario chart: the costliest ones beyond this
MAX_UNMET_ROWS = 30  # unmet table on the page (the workbook has every row)
PLAN_COLOUR, HINDSIGHT_COLOUR, EV_COLOUR = "#1f5fa8", "#7f7f7f", "#e6550d"
PRODUCT_COLOURS = ("#1f5fa8", "#e6550d", "#31a354", "#756bb1", "#8c564b", "#17becf", "#bcbd22", "#636363")
EXTRA_STYLE = """
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:12px;margin:1em 0}
.card{border:1px solid #d0d7de;border-left:5px solid #1f5fa8;border-radius:4px;padding:.6em .9em;background:#fafcff}
.card.warn{border-left-color:#b30000;background:#fff8f7}
.card.good{border-left-color:#006d2c}
.card h3{margin:0;font-size:.85em;font-weight:normal;color:#555;text-transform:uppercase;letter-spacing:.03em}
.card .big{font-size:1.45em;font-weight:bold;margin:.15em 0;font-variant-numeric:tabular-nums}
.card p{margin:.2em 0;font-size:.88em}
.short li{margin:.25em 0}
.assume{background:#f6f8fa;border:1px solid #d0d7de;padding:.5em 1em;font-size:.9em}
td{vertical-align:top}
td.n{white-space:nowrap}
"""
SCALES = ((1e9, "bn"), (1e6, "million"), (1e3, "thousand"))
NB = "\u00a0"  # between a number and its unit: never broken over two lines


# --------------------------------------------------------------------------- reading
def is_stochastic_folder(path: str | Path) -> bool:
    """True for a folder written by ``supplyopt stochastic``: summary.json carries
    ``vss_cny`` and scenarios.csv is there."""
    path = Path(path)
    if not (path / "scenarios.csv").is_file():
        return False
    try:
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(summary, dict) and "vss_cny" in summary


def _read_table(file: Path) -> pd.DataFrame:
    """A CSV as the command wrote it: names and labels as text (a scenario called ``2020``
    stays ``2020``), other columns as numbers where every filled cell is one."""
    frame = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8")
    for col in frame.columns:
        if col in TEXT_COLUMNS:
            continue
        numbers = pd.to_numeric(frame[col].where(frame[col] != ""), errors="coerce")
        if numbers.notna().sum() == (frame[col] != "").sum():
            frame[col] = numbers.astype(float)
    return frame


def load_stochastic(path: str | Path) -> tuple[dict, dict[str, pd.DataFrame]]:
    """summary.json and the tables of a stochastic results folder; a missing or broken file
    raises :class:`DataError` naming it (and the column) and what was expected."""
    path = Path(path)
    if not path.is_dir():
        raise DataError([Problem(str(path), "results folder does not exist; expected the --out folder of `supplyopt stochastic`")])
    file = path / "summary.json"
    try:
        summary = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError([Problem(str(file), "missing file; expected a results folder written by `supplyopt stochastic`")]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataError([Problem(str(file), f"not valid JSON ({err}); expected the summary written by `supplyopt stochastic`")]) from None
    problems = []
    if not isinstance(summary, dict) or "expected_cost_cny" not in summary:
        problems.append(Problem(str(file), "expected the JSON object `supplyopt stochastic` writes (expected_cost_cny, vss_cny, evpi_cny, …)"))
    tables: dict[str, pd.DataFrame] = {}
    for name in (*NEEDED, *OPTIONAL):
        file = path / f"{name}.csv"
        if not file.is_file():
            if name in NEEDED:
                problems.append(Problem(str(file), f"missing file; a stochastic results folder has {', '.join(n + '.csv' for n in NEEDED)}"))
            continue
        try:
            frame = _read_table(file)
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
            problems.append(Problem(str(file), f"cannot be read as a UTF-8 CSV table: {err}"))
            continue
        for col in NEEDED.get(name, ()):
            if col not in frame.columns:
                problems.append(Problem(str(file), f"missing column {col}; the report needs {', '.join(NEEDED[name])}", column=col))
            elif col not in TEXT_COLUMNS and len(frame) and not pd.api.types.is_numeric_dtype(frame[col]):
                problems.append(Problem(str(file), "expected numbers in every row", column=col))
        tables[name] = frame
    if problems:
        raise DataError(problems)
    return summary, tables


def dataset_facts(summary: dict) -> tuple[dict[str, str], list[str]]:
    """(node id -> name, periods in order) from the data set summary.json names; ({}, [])
    where it cannot be read any more (ids are shown, periods put in natural order)."""
    path = (summary.get("dataset") or {}).get("path")
    if not path or not Path(path).exists():
        return {}, []
    try:
        ds = read_dataset(path)
    except Exception:  # noqa: BLE001 — names and order are niceties; ids and labels serve as well
        return {}, []
    nodes = ds.tables.get("nodes")
    names = {}
    if nodes is not None and "name" in nodes:
        given = nodes["name"].fillna("").astype(str).str.strip()
        names = {str(i): (n or str(i)) for i, n in zip(nodes["id"], given)}
    return names, [str(p) for p in ds.periods]


def period_key(known: list[str]) -> Callable[[str], tuple]:
    """Sort key for period labels: the data set's order where known, else natural order
    (``w2`` before ``w10``; ISO weeks and dates sort as written)."""
    position = {p: i for i, p in enumerate(known)}

    def key(label: str) -> tuple:
        if label in position:
            return (0, position[label])
        return (1, tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.findall(r"\d+|\D+", str(label))))

    return key


def latin_part(name: str, fallback: str) -> str:
    """The name without its Chinese characters (for a chart drawn with no CJK font):
    ``大同(大型矿) Datong large mines`` → ``Datong large mines``; ``fallback`` if nothing is left."""
    s = re.sub(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]", "", name)
    s = re.sub(r"[(\[][^A-Za-z0-9()\[\]]*[)\]]", "", s)  # brackets left empty (or holding only punctuation)
    s = re.sub(r"\s+", " ", s).strip(" ,;:/-·")
    return s if re.search(r"[A-Za-z0-9]", s) else fallback


# --------------------------------------------------------------------------- numbers with units
def _missing(v) -> bool:
    return v is None or (isinstance(v, (float, np.floating)) and not math.isfinite(v))


def amount(v) -> str:
    """A sum of money without its unit (for a table whose header names it): exact to the
    unit, to the cent below 1,000, with thousands separators."""
    if _missing(v):
        return "–"
    return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"


def money(v, cur: str) -> str:
    """:func:`amount` with its currency."""
    return "–" if _missing(v) else f"{amount(v)}{NB}{cur}"


def money_short(v, cur: str) -> str:
    """For a headline: 184.72 bn CNY, 136.1 million CNY; exact below a million."""
    if _missing(v):
        return "–"
    if abs(v) >= 1e9:
        return f"{v / 1e9:,.2f}{NB}bn{NB}{cur}"
    if abs(v) >= 1e6:
        return f"{v / 1e6:,.1f}{NB}million{NB}{cur}"
    return money(v, cur)


def tonnage(v) -> str:
    """Tonnes without the unit (for a table whose header names it)."""
    if _missing(v):
        return "–"
    if v == 0:
        return "0"
    if abs(v) < 1:
        return f"{v:.3g}"
    if abs(v) < 100:
        return f"{v:,.1f}"
    return f"{v:,.0f}"


def tonnes(v) -> str:
    return "–" if _missing(v) else f"{tonnage(v)}{NB}t"


def tonnes_short(v) -> str:
    if _missing(v):
        return "–"
    if abs(v) >= 1e6:
        return f"{v / 1e6:,.2f}{NB}Mt"
    if abs(v) >= 1e4:
        return f"{v / 1e3:,.0f}{NB}kt"
    return tonnes(v)


def percent(share) -> str:
    return "–" if _missing(share) else f"{share_number(share)}{NB}%"


def probability(p) -> str:
    """A probability as a percentage, as exact as the set gives it (99.985 %, never 100 %)."""
    return "–" if _missing(p) else f"{100 * p:.6g}{NB}%"


def probability_number(p) -> str:
    return "–" if _missing(p) else f"{100 * p:.6g}"


def share_number(share) -> str:
    """A share 0–1 as a percentage without the sign (for a table whose header says %)."""
    if _missing(share):
        return "–"
    v = 100 * share
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _money_scale(largest: float, cur: str) -> tuple[float, str]:
    for factor, word in SCALES:
        if largest >= factor:
            return factor, f"{word} {cur}"
    return 1.0, cur


def _label(v: float) -> str:
    """A bar's value on its chart's scale: three significant figures or more, 0 as 0."""
    if not np.isfinite(v):
        return ""
    if v == 0:
        return "0"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}" if abs(v) >= 1 else f"{v:.2g}"


def gap_text(gap) -> str:
    """PH's relative gap: 0 where the bound reached the plan's cost (rounding can make it
    a hair below 0), else in scientific notation and as a percentage."""
    if _missing(gap):
        return "–"
    return "0 (the bound reached the plan's cost)" if gap <= 0 else f"{gap:.1e} ({100 * gap:.2g}{NB}%)"


def _periods(first: str, last: str) -> str:
    return first if first == last else f"{first} … {last}"


# --------------------------------------------------------------------------- the facts drawn
def shortfalls(unmet: pd.DataFrame, scenarios: pd.DataFrame, key: Callable[[str], tuple]) -> pd.DataFrame:
    """Unmet demand by scenario, centre, product and class: tonnes, first and last period
    short (``key`` orders periods), number of periods; most tonnes first."""
    cols = ["scenario", "node", "product", "demand_class", "unmet_t", "first", "last", "periods"]
    u = unmet[unmet["unmet_t"] > 0] if len(unmet) else unmet
    if u.empty:
        return pd.DataFrame(columns=cols)
    u = u.assign(demand_class=u["demand_class"] if "demand_class" in u else "")
    order = {p: i for i, p in enumerate(sorted(pd.unique(u["period"]), key=key))}
    u = u.assign(_k=u["period"].map(order))
    g = u.sort_values("_k", kind="stable").groupby(["scenario", "node", "product", "demand_class"], sort=False)
    out = g.agg(unmet_t=("unmet_t", "sum"), first=("period", "first"), last=("period", "last"), periods=("period", "nunique")).reset_index()
    rank = {s: i for i, s in enumerate(scenarios["scenario"])}
    out = out.assign(_s=out["scenario"].map(rank)).sort_values(["unmet_t", "_s", "node"], ascending=[False, True, True], kind="stable")
    return out[cols].reset_index(drop=True)


def stock_at_decision(first_stage: pd.DataFrame, period: str) -> pd.DataFrame:
    """Stock at the end of ``period`` by node (columns: one per product, and total_t),
    largest first."""
    fs = first_stage[first_stage["period"] == period]
    if fs.empty:
        return pd.DataFrame(columns=["total_t"])
    wide = fs.pivot_table(index="node", columns="product", values="stock_t", aggfunc="sum", fill_value=0.0, sort=True)
    wide["total_t"] = wide.sum(axis=1)
    wide = wide[wide["total_t"] > 1e-6]
    return wide.sort_values("total_t", ascending=False, kind="stable")


# --------------------------------------------------------------------------- charts
def scenario_chart(figs: Figures, summary: dict, scen: pd.DataFrame) -> Chart:
    """Cost per scenario against its hindsight cost (left), and what each plan costs over
    hindsight in each scenario: the stochastic plan's and the expected-value plan's (right)."""
    file, cur = "scenario_costs.png", summary.get("currency", "CNY")
    title = f"Cost per scenario against hindsight ({cur})"
    if scen.empty:
        return Chart(file, title, None, "No scenario in scenarios.csv.")
    note = ""
    shown = scen
    if len(scen) > MAX_SCENARIOS_DRAWN:
        shown = scen.loc[scen["cost_cny"].sort_values(ascending=False, kind="stable").index[:MAX_SCENARIOS_DRAWN]].sort_index()
        note = f"The {MAX_SCENARIOS_DRAWN} costliest of {len(scen)} scenarios are drawn; the table and the workbook have all."
    labels = [f"{s} ({probability(p)})" for s, p in zip(shown["scenario"], shown["probability"])]
    cost = shown["cost_cny"].to_numpy(float)
    hind = shown["hindsight_cost_cny"].to_numpy(float) if "hindsight_cost_cny" in shown else np.full(len(shown), np.nan)
    ev = shown["ev_plan_cost_cny"].to_numpy(float) if "ev_plan_cost_cny" in shown else np.full(len(shown), np.nan)
    has_hind = bool(np.isfinite(hind).any())
    fig = figs.new(11, 1.5 + 0.42 * len(shown))
    axes = fig.subplots(1, 2 if has_hind else 1, sharey=True, squeeze=False, width_ratios=[1.25, 1] if has_hind else None)[0]
    y = np.arange(len(shown))
    scale, unit = _money_scale(float(np.nanmax(np.abs(np.concatenate([cost, hind[np.isfinite(hind)]])))), cur)
    ax = axes[0]
    h = 0.38 if has_hind else 0.7
    bars = ax.barh(y - (h / 2 if has_hind else 0), cost / scale, height=h, color=PLAN_COLOUR, label="this plan")
    ax.bar_label(bars, labels=[f"{v / scale:,.2f}" if scale > 1 else _label(v) for v in cost], fontsize=7, padding=2)  # 183.06 bn, not 183
    if has_hind:
        ax.barh(y + h / 2, np.nan_to_num(hind) / scale, height=h, color=HINDSIGHT_COLOUR, label="hindsight (planned knowing this future)")
    ax.set_xlim(0, float(np.nanmax(cost)) / scale * 1.16)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_xlabel(f"cost over the horizon ({unit})")
    ax.set_title("Cost in each scenario (probability)", fontsize=9)
    if has_hind:
        ax = axes[1]
        over = cost - hind
        ev_over = ev - hind
        both = np.concatenate([over[np.isfinite(over)], ev_over[np.isfinite(ev_over)]])
        dscale, dunit = _money_scale(float(np.max(np.abs(both))) / 10 if len(both) else 1.0, cur)  # labels of 10 or more, not 0.0
        has_ev = bool(np.isfinite(ev_over).any())
        h2 = 0.38 if has_ev else 0.7
        b1 = ax.barh(y - (h2 / 2 if has_ev else 0), over / dscale, height=h2, color=PLAN_COLOUR, label="this plan")
        ax.bar_label(b1, labels=[_label(v / dscale) for v in over], fontsize=7, padding=2)
        if has_ev:
            b2 = ax.barh(y + h2 / 2, np.nan_to_num(ev_over) / dscale, height=h2, color=EV_COLOUR, label="expected-value plan")
            ax.bar_label(b2, labels=[_label(v / dscale) for v in ev_over], fontsize=7, padding=2)
        lo, hi = min(0.0, float(np.nanmin(both)) / dscale), max(0.0, float(np.nanmax(both)) / dscale)
        pad = 0.18 * (hi - lo or 1.0)
        ax.set_xlim(lo - (pad if lo < 0 else 0), hi + pad)
        ax.axvline(0, color="#333", lw=0.6)
        ax.grid(axis="x", alpha=0.3)
        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.set_xlabel(f"cost above hindsight ({dunit})")
        ax.set_title("What each plan costs above hindsight", fontsize=9)
    handles = {}
    for a in axes:
        for hd, lb in zip(*a.get_legend_handles_labels()):
            handles.setdefault(lb, hd)
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=3, fontsize=8)
    fig.suptitle(title, fontsize=10)
    return Chart(file, title, figs.png(fig), note)


def stock_chart(figs: Figures, wide: pd.DataFrame, names: dict[str, str], period: str) -> Chart:
    """First-stage stock at the end of the decision stage, the largest nodes, by product."""
    file = "first_stage_stock.png"
    title = f"Stock at the end of {period} (first stage), " + (f"the {TOP_NODES} largest of {len(wide)} nodes" if len(wide) > TOP_NODES else f"all {len(wide)} node(s) holding stock")
    if wide.empty:
        return Chart(file, f"Stock at the end of {period} (first stage)", None, f"No stock is held at the end of {period}.")
    top = wide.head(TOP_NODES)
    products = [c for c in top.columns if c != "total_t"]
    scale, unit = figs.tonnes_scale(float(top["total_t"].max()))
    fig = figs.new(10, 1.3 + 0.36 * len(top))
    ax = fig.subplots()
    y = np.arange(len(top))
    left = np.zeros(len(top))
    for i, product in enumerate(products):
        v = top[product].to_numpy(float) / scale
        ax.barh(y, v, left=left, height=0.7, color=PRODUCT_COLOURS[i % len(PRODUCT_COLOURS)], label=product)
        left += v
    for yi, total in zip(y, top["total_t"]):
        ax.text(total / scale, yi, f"  {tonnes_short(total)}", va="center", fontsize=7.5)
    ax.set_xlim(0, float(top["total_t"].max()) / scale * 1.15)
    ax.set_yticks(y)
    ax.set_yticklabels([wrap(names.get(n, n), 48) for n in top.index], fontsize=7.5)
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlabel(f"stock at the end of {period} ({unit})")
    if len(products) > 1:
        ax.legend(fontsize=7, loc="lower right", title="product", title_fontsize=7)
    ax.set_title(title, fontsize=10)
    return Chart(file, title, figs.png(fig))


def ph_chart(figs: Figures, progress: pd.DataFrame, ph: dict, cur: str) -> Chart:
    """Progressive hedging by iteration: the best plan's cost and the lower bound (left), the
    relative gap between them on a log scale, with the stopping tolerance (right)."""
    file, title = "ph_progress.png", "Progressive hedging: best plan, bound and gap by iteration"
    need = {"iteration", "lower_bound_cny", "best_plan_cny", "gap"}
    if progress is None or progress.empty or not need <= set(progress.columns):
        return Chart(file, title, None, "ph_progress.csv is missing or empty.")
    it = progress["iteration"].to_numpy(float)
    lower, best, gap = (progress[c].to_numpy(float) for c in ("lower_bound_cny", "best_plan_cny", "gap"))
    finite = np.concatenate([lower[np.isfinite(lower)], best[np.isfinite(best)]])
    scale, unit = _money_scale(float(np.max(np.abs(finite))) if len(finite) else 1.0, cur)
    fig = figs.new(11, 3.4)
    a, b = fig.subplots(1, 2)
    a.plot(it, best / scale, color=PLAN_COLOUR, marker="o", ms=3, label="best plan found (evaluated)")
    a.plot(it, lower / scale, color=EV_COLOUR, marker="s", ms=3, label="lower bound")
    a.yaxis.set_major_formatter(lambda v, _: f"{v:,.2f}")
    a.set_xlabel("iteration")
    a.set_ylabel(unit)
    a.grid(alpha=0.3)
    a.legend(fontsize=7)
    ok = np.isfinite(gap) & (gap > 0)
    b.set_yscale("log")
    if ok.any():
        b.plot(it[ok], gap[ok], color=PLAN_COLOUR, marker="o", ms=3, label="relative gap")
    reached = np.isfinite(gap) & (gap <= 0)
    if reached.any():
        b.text(0.5, 0.5, f"gap 0 from iteration {int(it[reached][0])}: the bound reached the plan's cost", transform=b.transAxes, ha="center", fontsize=8)
    tol = ph.get("tolerance")
    if not ok.any():  # nothing on the log scale but the tolerance: limits set before it is drawn
        b.set_ylim((tol if isinstance(tol, (int, float)) and tol > 0 else 1e-6) / 100, 1.0)
    if isinstance(tol, (int, float)) and tol > 0:
        b.axhline(tol, color="#d7301f", ls="--", lw=0.9, label=f"stopping tolerance {tol:.0e}")
    for axis in (a, b):
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(it) == 1:
            axis.set_xlim(it[0] - 1, it[0] + 1)
    b.set_xlabel("iteration")
    b.set_ylabel("(best plan − bound) ÷ best plan")
    b.grid(alpha=0.3, which="both")
    b.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    return Chart(file, title, figs.png(fig))


# --------------------------------------------------------------------------- the page
def _card(title: str, big: str, lines: list[str], kind: str = "") -> str:
    body = "".join(f"<p>{line}</p>" for line in lines)  # lines are HTML, escaped by the caller
    return f'<div class="card {kind}"><h3>{_e(title)}</h3><div class="big">{_e(big)}</div>{body}</div>'


def _end_rule(end) -> str:
    if isinstance(end, dict):  # a solve's record: rule and figures
        return f"{end.get('rule', '')}: target {tonnes(end.get('target_t'))}, reached {tonnes(end.get('end_stock_t'))}"
    return str(end) if end else "not stated in summary.json"


def _shortfall_items(scen: pd.DataFrame, short: pd.DataFrame, names: dict[str, str], key: Callable[[str], tuple], most: int = 10) -> list[str]:
    """One line per scenario that goes short: how much, when, which centres (HTML)."""
    short_scen = scen[scen["unmet_t"] > 0].sort_values("unmet_t", ascending=False, kind="stable")
    items = []
    for r in short_scen.head(most).itertuples():
        rows = short[short["scenario"] == r.scenario]
        when = _periods(min(rows["first"], key=key), max(rows["last"], key=key)) if len(rows) else "–"
        by_node = rows.groupby(["node"], sort=False)["unmet_t"].sum().sort_values(ascending=False, kind="stable")
        classes = rows.groupby("node", sort=False)["demand_class"].agg(lambda c: ", ".join(sorted({x for x in c if x})))
        centres = [f"{_e(names.get(n, n))}{' (' + _e(classes[n]) + ')' if classes.get(n) else ''} {_e(tonnes(v))}" for n, v in by_node.head(3).items()]
        more = f" and {len(by_node) - 3} more centre(s)" if len(by_node) > 3 else ""
        items.append(f"<li><b>{_e(r.scenario)}</b> (probability {_e(probability(r.probability))}): <b>{_e(tonnes(r.unmet_t))}</b> short, "
                     f"{_e(when)}, at {'; '.join(centres) or '–'}{more}</li>")
    if len(short_scen) > most:
        items.append(f"<li>… and {len(short_scen) - most} more scenario(s); see the table below</li>")
    return items


def summary_section(summary: dict, scen: pd.DataFrame, short: pd.DataFrame, wide: pd.DataFrame, names: dict[str, str], key: Callable[[str], tuple]) -> str:
    """The executive summary: the figures a director reads in a minute."""
    s, cur = summary, summary.get("currency", "CNY")
    n = len(scen)
    expected = s.get("expected_cost_cny")
    worst = s.get("worst_case") or {}
    cards = []
    lines = [f"exactly {_e(money(expected, cur))}, probability-weighted over {n} scenario(s)"]
    if s.get("risk"):
        lines.append(f"the plan minimises expected cost plus a risk term: objective {_e(money(s.get('objective'), cur))}")
    cards.append(_card("Expected cost", money_short(expected, cur), lines))
    wp = scen.loc[scen["scenario"] == worst.get("scenario"), "probability"]
    cvar = s.get("cvar") or {}
    lines = [f"scenario <b>{_e(worst.get('scenario', '–'))}</b>" + (f" (probability {_e(probability(wp.iloc[0]))})" if len(wp) else "")
             + f": {_e(money(worst.get('cost_cny'), cur))}, {_e(tonnes(worst.get('unmet_t')))} unmet"]
    if cvar:
        lines.append(f"mean of the worst {_e(percent(1 - cvar.get('level', 0.9)))} of futures (CVaR at {cvar.get('level', 0.9):g}): "
                     f"{_e(money(cvar.get('cost_cny'), cur))}, {_e(tonnes(cvar.get('unmet_t')))} unmet")
    if expected and worst.get("cost_cny") is not None:
        lines.append(f"{_e(percent((worst['cost_cny'] - expected) / abs(expected)))} above the expected cost")
    cards.append(_card("Worst case", money_short(worst.get("cost_cny"), cur), lines))
    n_short = int((scen["unmet_t"] > 0).sum())
    p_short = float(scen.loc[scen["unmet_t"] > 0, "probability"].sum())
    exp_unmet = s.get("expected_unmet_t") or 0.0
    lines = ([f"{n_short} of {n} scenario(s) go short, together {_e(probability(p_short))} likely; worst {_e(tonnes(float(scen['unmet_t'].max())))} "
              f"in {_e(scen.loc[scen['unmet_t'].idxmax(), 'scenario'])}"] if n_short else ["no scenario leaves demand unmet"])
    cards.append(_card("Expected unmet demand", tonnes(exp_unmet), lines, "warn" if n_short else "good"))
    vss, evpi = s.get("vss_cny"), s.get("evpi_cny")
    lines = ["what planning for the whole spread of futures saves, in expectation, over planning for the average future "
             f"(EEV − RP = {_e(money(s.get('eev_cny'), cur))} − {_e(money(s.get('rp_cny'), cur))})"]
    if not _missing(vss):
        lines.insert(0, f"exactly {_e(money(vss, cur))}" + (f", {_e(percent(vss / abs(expected)))} of the expected cost" if expected else ""))
    if s.get("vss_note"):
        lines.append(f"<b>note:</b> {_e(s['vss_note'])}")
    cards.append(_card("Value of the stochastic solution (VSS)", money_short(vss, cur), lines))
    lines = ["what knowing in advance which future comes would be worth: the most a perfect forecast could save, in expectation "
             f"(RP − WS = {_e(money(s.get('rp_cny'), cur))} − {_e(money(s.get('ws_cny'), cur))})"]
    if not _missing(evpi):
        lines.insert(0, f"exactly {_e(money(evpi, cur))}" + (f", {_e(percent(evpi / abs(expected)))} of the expected cost" if expected else ""))
    cards.append(_card("Expected value of perfect information (EVPI)", money_short(evpi, cur), lines))
    risk = s.get("risk")
    if risk:
        cards.append(_card("Risk term", f"CVaR{risk.get('level', 0):g} of {risk.get('measure', '')}", [_e(risk.get("words", "")),
                           "added to the expected cost in the objective: the plan accepts a higher average cost to do better in the worst futures"]))
    else:
        cards.append(_card("Risk term", "none", ["risk neutral: the plan minimises the expected cost"]))
    ph = s.get("progressive_hedging")
    if s.get("method") == "ph" and ph:
        converged = ph.get("stopped") == "converged"
        gap = ph.get("gap")
        lines = [f"after {ph.get('iterations', '–')} iteration(s) on {ph.get('procs', '–')} process(es); relative gap <b>{_e(gap_text(gap))}</b>",
                 f"the plan ({_e(money(ph.get('best_plan_cny'), cur))}) costs at most that much above the best possible (lower bound {_e(money(ph.get('bound_cny'), cur))})"]
        if not converged:
            lines.append("<b>not converged:</b> the plan is feasible in every scenario but may cost up to the gap more than the best; "
                         "run again with a higher --max-iterations or --time-limit, or use --method ef")
        cards.append(_card("Progressive hedging", f"stopped: {ph.get('stopped', '–')}", lines, "good" if converged else "warn"))
    period = s.get("decide_until", "–")
    total = float(wide["total_t"].sum()) if len(wide) else 0.0
    top = ", ".join(f"{_e(names.get(i, i))} {_e(tonnes_short(v))}" for i, v in wide["total_t"].head(3).items()) if len(wide) else "–"
    cards.append(_card(f"Decided now (up to {period})", tonnes_short(total) + " in stock",
                       [f"held at the end of {_e(period)} at {len(wide)} node(s), the same in every scenario; largest: {top}" if len(wide)
                        else f"no stock is held at the end of {_e(period)}: the plan builds no reserve before the futures diverge"]))

    out = ['<section id="summary"><h2>Executive summary</h2>',
           f'<p>One pre-positioning plan for <b>{n}</b> possible futures (scenario set <b>{_e((s.get("scenario_set") or {}).get("name", "–"))}</b>), '
           f'solved by <b>{_e("progressive hedging" if s.get("method") == "ph" else "the extensive form" if s.get("method") == "ef" else s.get("method", "–"))}</b>. '
           f'Decisions up to <b>{_e(period)}</b> are made now, before anyone knows which future comes; later ones adapt to each future.</p>',
           '<div class="cards">' + "".join(cards) + "</div>"]
    if n_short:
        out.append("<h3>Scenarios that go short</h3><ul class=\"short\">" + "".join(_shortfall_items(scen, short, names, key)) + "</ul>")
    out.append('<div class="assume"><dl class="meta">'
               f"<dt>Stages</dt><dd>{_e(s.get('stages', 'not stated in summary.json'))}</dd>"
               f"<dt>End of horizon</dt><dd>{_e(_end_rule(s.get('end_of_horizon')))}</dd>"
               f"<dt>Units</dt><dd>costs in {_e(cur)} over the whole horizon (expected: probability-weighted); tonnes (t) over the whole horizon</dd>"
               + "".join(f"<dt>Note</dt><dd>{_e(note)}</dd>" for note in s.get("notes") or []) + "</dl></div></section>")
    return "\n".join(out)


def scenarios_section(summary: dict, scen: pd.DataFrame, chart: Chart) -> str:
    cur = summary.get("currency", "CNY")
    worst = (summary.get("worst_case") or {}).get("scenario")
    header = ["scenario", "probability (%)", f"cost ({cur})", "unmet (t)", f"hindsight cost ({cur})", f"EV-plan cost ({cur})", f"this plan above hindsight ({cur})"]
    classes = [c for c in scen.columns if re.fullmatch(r"unmet_.+_t", c) and c != "unmet_t" and scen[c].abs().sum() > 0]
    header += [f"unmet {c[6:-2]} (t)" for c in classes]
    rows, cls = [], {}
    for i, r in enumerate(scen.to_dict("records")):
        hind, ev = r.get("hindsight_cost_cny"), r.get("ev_plan_cost_cny")
        rows.append([r["scenario"], probability_number(r["probability"]), amount(r["cost_cny"]), tonnage(r["unmet_t"]), amount(hind), amount(ev),
                     amount(r["cost_cny"] - hind) if not _missing(hind) else "–"] + [tonnage(r[c]) for c in classes])
        if r["scenario"] == worst:
            cls[(i, 2)] = "bad"
        if r["unmet_t"] > 0:
            cls[(i, 3)] = "bad"
    p, c, u = scen["probability"].to_numpy(float), scen["cost_cny"].to_numpy(float), scen["unmet_t"].to_numpy(float)
    exp = lambda col: amount(float(p @ scen[col].to_numpy(float))) if col in scen and scen[col].notna().all() else "–"  # noqa: E731
    rows.append(["expected (probability-weighted)", probability_number(float(p.sum())), amount(float(p @ c)), tonnage(float(p @ u)), exp("hindsight_cost_cny"),
                 exp("ev_plan_cost_cny"), f"EVPI{NB}{amount(summary.get('evpi_cny'))}" if not _missing(summary.get("evpi_cny")) else "–"]
                + [tonnage(float(p @ scen[k].to_numpy(float))) for k in classes])
    note = ('<p class="note">Hindsight cost: the cost had this future been known from the start (wait and see); EV-plan cost: the cost, in this future, '
            "of the plan made for the average future (its first stage fixed, the rest adapting). Their probability-weighted means are WS and EEV; "
            "the expected row's last cell is the EVPI.</p>")
    return ('<section id="scenarios"><h2>Scenarios</h2>' + table(header, rows, numeric=set(range(1, len(header))), classes=cls) + note
            + figure(chart) + "</section>")


def first_stage_section(summary: dict, wide: pd.DataFrame, names: dict[str, str], chart: Chart, shipments: pd.DataFrame | None) -> str:
    period = summary.get("decide_until", "–")
    out = ['<section id="first_stage"><h2>First stage: stock at the end of ' + _e(period) + "</h2>", figure(chart)]
    if len(wide):
        products = [c for c in wide.columns if c != "total_t"]
        top = wide.head(TOP_NODES)
        rows = [[names.get(i, i), i] + [tonnage(r[p]) for p in products] + [tonnage(r["total_t"])] for i, r in top.iterrows()]
        out.append(table(["node", "id"] + [f"{p} (t)" for p in products] + ["total (t)"], rows, numeric=set(range(2, 3 + len(products)))))
        shown = f"The {TOP_NODES} largest of {len(wide)} nodes holding stock" if len(wide) > TOP_NODES else f"All {len(wide)} node(s) holding stock"
        out.append(f'<p class="note">{shown}, {tonnes(float(wide["total_t"].sum()))} in all. '
                   "Every first-stage decision (stock, production, receipts, shipments, unmet by node, product and period) is in results.xlsx, "
                   "sheet first_stage.</p>")
    if shipments is not None and len(shipments) and "flow_t" in shipments:
        out.append(f'<p class="note">First-stage shipments: {len(shipments):,} link-product-period rows, {_e(tonnes(float(shipments["flow_t"].sum())))} '
                   "in all (sheet first_stage_shipments).</p>")
    out.append("</section>")
    return "\n".join(out)


def unmet_section(scen: pd.DataFrame, short: pd.DataFrame, names: dict[str, str]) -> str:
    out = ['<section id="unmet"><h2>Unmet demand</h2>']
    if short.empty:
        out.append("<p>No scenario leaves any demand unmet (0 t).</p></section>")
        return "\n".join(out)
    prob = dict(zip(scen["scenario"], scen["probability"]))
    rows = [[r.scenario, probability_number(prob.get(r.scenario)), names.get(r.node, r.node), r.product, r.demand_class or "–", _periods(r.first, r.last), r.periods, tonnage(r.unmet_t)]
            for r in short.head(MAX_UNMET_ROWS).itertuples()]
    out.append(table(["scenario", "probability (%)", "demand centre", "product", "class", "periods short", "number of periods", "unmet (t)"], rows, numeric={1, 6, 7}))
    more = f"The {MAX_UNMET_ROWS} largest of {len(short)} rows are shown. " if len(short) > MAX_UNMET_ROWS else ""
    out.append(f'<p class="note">{more}By scenario, centre, product and demand class, summed over the periods short; '
               "results.xlsx, sheet unmet, has every period.</p></section>")
    return "\n".join(out)


def ph_section(summary: dict, chart: Chart | None) -> str:
    ph = summary.get("progressive_hedging")
    if not ph:
        return ""
    cur = summary.get("currency", "CNY")
    items = []
    for key, value in ph.items():
        shown = (money(value, cur) if key.endswith("_cny") else gap_text(value) if key == "gap" else f"{value:,.1f}{NB}s" if key.endswith("_s") and isinstance(value, (int, float))
                 else "none" if value is None else value)
        items.append(f"<dt>{_e(key)}</dt><dd>{_e(shown)}</dd>")
    return ('<section id="ph"><h2>Progressive hedging</h2>' + (figure(chart) if chart is not None else "")
            + '<dl class="meta">' + "".join(items) + "</dl></section>")


def record_section(summary: dict, results_dir: Path) -> str:
    s = summary
    sset = s.get("scenario_set") or {}
    ds = s.get("dataset") or {}
    model = s.get("model") or {}
    items = [("results folder", str(results_dir)), ("data set", f"{ds.get('name', '–')} ({ds.get('path', '–')})"),
             ("periods", f"{(s.get('periods') or {}).get('first', '–')} … {(s.get('periods') or {}).get('last', '–')} ({(s.get('periods') or {}).get('count', '–')})"),
             ("method", s.get("method", "–")), ("status", s.get("status", "–")),
             ("scenario set", f"{sset.get('name', '–')} ({sset.get('path', '–')}), SHA-256 {sset.get('sha256', '–')}"),
             ("profile", (s.get("profile") or {}).get("path") or "none"),
             ("model", f"{model.get('variables', 0):,} variables, {model.get('constraints', 0):,} constraints" if model else "–")]
    out = ['<section id="record"><h2>Record</h2><dl class="meta">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items) + "</dl>"]
    members = sset.get("members") or []
    if members:
        out.append(table(["scenario", "probability (%)", "scenario files"],
                         [[m.get("name", ""), probability_number(m.get("probability")), ", ".join(m.get("files") or []) or "(none: the base data)"] for m in members], numeric={1}))
    out.append("</section>")
    return "\n".join(out)


def render(summary: dict, tables: dict[str, pd.DataFrame], charts: dict[str, Chart], names: dict[str, str], results_dir: Path,
           periods: list[str] = ()) -> str:
    """The whole page; ``periods``: the data set's periods in order (else natural order)."""
    scen = tables["scenarios"]
    key = period_key(list(periods))
    short = shortfalls(tables["unmet"], scen, key)
    wide = stock_at_decision(tables["first_stage"], summary.get("decide_until", ""))
    ds = (summary.get("dataset") or {}).get("name") or results_dir.name
    title = f"Stochastic plan: {ds}, {(summary.get('scenario_set') or {}).get('name', '')}".rstrip(", ")
    sections = [("summary", "Executive summary"), ("scenarios", "Scenarios"), ("first_stage", "First stage"), ("unmet", "Unmet demand")]
    if summary.get("progressive_hedging"):
        sections.append(("ph", "Progressive hedging"))
    sections.append(("record", "Record"))
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{_e(title)}</title><style>{STYLE}{EXTRA_STYLE}</style></head><body>",
             f"<h1>{_e(title)}</h1><nav>" + "".join(f'<a href="#{k}">{_e(v)}</a>' for k, v in sections) + "</nav>",
             summary_section(summary, scen, short, wide, names, key),
             scenarios_section(summary, scen, charts["scenarios"]),
             first_stage_section(summary, wide, names, charts["stock"], tables.get("first_stage_shipments")),
             unmet_section(scen, short, names),
             ph_section(summary, charts.get("ph")),
             record_section(summary, results_dir),
             f"<script>{SORT_SCRIPT}</script>",
             "</body></html>\n"]
    return "\n".join(p for p in parts if p)


# --------------------------------------------------------------------------- workbook
def summary_frame(summary: dict) -> pd.DataFrame:
    """Every measure of summary.json a planner quotes: measure, value, unit, meaning."""
    s, cur = summary, summary.get("currency", "CNY")
    worst, cvar, risk = s.get("worst_case") or {}, s.get("cvar") or {}, s.get("risk") or {}
    sset, ph = s.get("scenario_set") or {}, s.get("progressive_hedging") or {}
    rows = [
        ("method", s.get("method"), "", "ef: extensive form; ph: progressive hedging"),
        ("scenarios", s.get("scenarios"), "", "number of futures in the set"),
        ("decide_until", s.get("decide_until"), "period", "last period of the first stage (decided now, the same in every scenario)"),
        ("objective", s.get("objective"), cur, "what the plan minimises: expected cost (plus the risk term, if any)"),
        ("expected_cost_cny", s.get("expected_cost_cny"), cur, "probability-weighted cost over the horizon"),
        ("expected_unmet_t", s.get("expected_unmet_t"), "t", "probability-weighted unmet demand over the horizon"),
        ("worst_case_scenario", worst.get("scenario"), "", "the costliest scenario"),
        ("worst_case_cost_cny", worst.get("cost_cny"), cur, "its cost"),
        ("worst_case_unmet_t", worst.get("unmet_t"), "t", "its unmet demand"),
        ("cvar_level", cvar.get("level"), "", cvar.get("meaning", "")),
        ("cvar_cost_cny", cvar.get("cost_cny"), cur, "mean cost of the worst futures (CVaR)"),
        ("cvar_unmet_t", cvar.get("unmet_t"), "t", "mean unmet demand of the worst futures (CVaR)"),
        ("vss_cny", s.get("vss_cny"), cur, "value of the stochastic solution: EEV − RP, what planning for the spread of futures saves over planning for the mean"),
        ("evpi_cny", s.get("evpi_cny"), cur, "expected value of perfect information: RP − WS, what knowing the future in advance would be worth"),
        ("rp_cny", s.get("rp_cny"), cur, "recourse problem: this plan's objective"),
        ("ws_cny", s.get("ws_cny"), cur, "wait and see: each scenario planned with hindsight"),
        ("eev_cny", s.get("eev_cny"), cur, "the expected-value plan's first stage fixed in every scenario"),
        ("vss_note", s.get("vss_note"), "", ""),
        ("risk", risk.get("words") if risk else "none (risk neutral)", "", "risk term in the objective"),
        ("stages", s.get("stages"), "", "stage assumption"),
        ("end_of_horizon", _end_rule(s.get("end_of_horizon")), "", "end-of-horizon rule"),
        ("scenario_set", sset.get("name"), "", sset.get("path", "")),
        ("scenario_set_sha256", sset.get("sha256"), "", "SHA-256 of the set file"),
        ("currency", cur, "", ""),
    ]
    for key, value in ph.items():
        rows.append((f"ph_{key}", value, cur if key.endswith("_cny") else "s" if key.endswith("_s") else "", "progressive hedging"))
    frame = pd.DataFrame(rows, columns=["measure", "value", "unit", "meaning"])
    frame["value"] = [None if _missing(v) else v if isinstance(v, (int, float, str)) or v is None else json.dumps(v, ensure_ascii=False) for v in frame["value"]]
    return frame


def workbook_bytes(summary: dict, tables: dict[str, pd.DataFrame]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    frame = summary_frame(summary)
    workbook.write_sheet(wb, "summary", frame)
    ws = wb["summary"]
    for r, (value, unit) in enumerate(zip(frame["value"], frame["unit"]), start=2):
        if isinstance(value, (int, float)) and unit in ("t", summary.get("currency", "CNY")):
            ws.cell(row=r, column=2).number_format = "#,##0.00" if abs(value) < 1000 else "#,##0"
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["D"].width = 90
    for name in ("scenarios", "first_stage", "first_stage_shipments", "unmet", "ph_progress"):
        if name in tables:
            workbook.write_sheet(wb, name, tables[name])
    members = (summary.get("scenario_set") or {}).get("members") or []
    if members:
        workbook.write_sheet(wb, "scenario_set", pd.DataFrame([{"scenario": m.get("name"), "probability": m.get("probability"),
                                                               "files": ", ".join(m.get("files") or []), "edits": m.get("edits")} for m in members]))
    wb.properties.creator = "supplyopt"
    import io

    buf = io.BytesIO()
    wb.save(buf)
    return reproducible_xlsx(buf.getvalue())


# --------------------------------------------------------------------------- entry point
def write_stochastic_report(results_dir: str | Path, out_dir: str | Path, warn: Callable[[str], None] | None = None) -> Path:
    """Write ``out_dir`` with report.html, results.xlsx and charts/*.png for the stochastic
    results folder ``results_dir``; returns ``out_dir``. A missing or broken folder raises
    :class:`DataError`; warnings go to ``warn`` (default: :class:`ReportWarning`)."""
    if warn is None:
        def warn(message: str) -> None:
            warnings.warn(message, ReportWarning, stacklevel=3)

    results_dir = Path(results_dir)
    summary, tables = load_stochastic(results_dir)
    target, source = Path(out_dir).resolve(), results_dir.resolve()
    if target == source or target in source.parents:
        raise DataError([Problem(str(out_dir), f"holds the results folder {str(results_dir)!r}: the report replaces its folder whole; give a folder outside it")])
    check_out_dir(out_dir)
    names, periods = dataset_facts(summary)
    figs = Figures("en", warn, needs_cjk=False)
    chart_names = names if figs.font else {k: latin_part(v, k) for k, v in names.items()}  # no CJK font: the Latin part, never boxes
    wide = stock_at_decision(tables["first_stage"], summary.get("decide_until", ""))
    with figs.context():
        charts = {"scenarios": scenario_chart(figs, summary, tables["scenarios"]),
                  "stock": stock_chart(figs, wide, chart_names, summary.get("decide_until", "–"))}
        if summary.get("progressive_hedging"):
            charts["ph"] = ph_chart(figs, tables.get("ph_progress"), summary["progressive_hedging"], summary.get("currency", "CNY"))
    files = {f"charts/{c.file}": c.png for c in charts.values() if c.png is not None}
    files["results.xlsx"] = workbook_bytes(summary, tables)
    files["report.html"] = render(summary, tables, charts, names, results_dir, periods).encode("utf-8")
    return write_folder(out_dir, files)
