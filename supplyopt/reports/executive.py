"""The executive summary: the few lines a director reads first, at the top of report.html and
as the first sheet (``Summary``) of results.xlsx.

Drawn only from the results folders (unmet.csv, warnings.csv, stocks.csv, end_stock.csv,
reserves.csv, summary.json), in this order for each folder:

  shortage     red    who goes short, how many tonnes, in which weeks, by demand class
  warnings     red    how many red early warnings (warnings.csv), and blend limits no coal meets
  cover        red/amber/ok  the lowest days of cover at demand centres (centre, week)
  cost         info   the total cost and its largest parts
  cost_change  amber/ok  (a compared folder) the cost change against the base and its parts,
                     to the yuan: a change is never rounded away
  end_deficit  amber  the end-of-horizon stock deficit, stated as the end rule's, not unmet demand
  action       amber  reserves to call up and reserve stock to release, where reserves.csv says so

A shortage is never left out: every short demand centre is counted, the five largest are named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from supplyopt.reports.folders import Results, node_kinds, node_names
from supplyopt.results.labels import LABELS, text, warning_kind

TOL_T = 0.5  # tonnes: smaller shortfalls are solver noise (as results/warning.py)
NAMED_CENTRES = 5  # short centres named one by one; the rest are counted
COLUMNS = ["results", "topic", "severity", "text"]


@dataclass(frozen=True)
class Line:
    """One line of the summary: the results folder it is about, its topic, its severity
    (red, amber, ok, info) and its words."""

    results: str
    topic: str
    severity: str
    text: str


def tonnes(value: float) -> str:
    """``446,180 t``; from a million up also in Mt: ``4,600,000 t (4.60 Mt)``."""
    out = f"{value:,.0f} t"
    return f"{out} ({value / 1e6:,.2f} Mt)" if abs(value) >= 1e6 else out


def money(value: float, currency: str = "CNY", exact: bool = True) -> str:
    """``190.33 bn CNY (190,327,832,430 CNY)``; ``9.20 M CNY (9,200,000 CNY)``; exact below a
    million; ``exact=False`` leaves the exact figure off a rounded one (a part beside its total)."""
    full = f"{value:,.0f} {currency}" if abs(value) >= 1000 else f"{value:,.2f} {currency}"
    for scale, unit in ((1e9, "bn"), (1e6, "M")):
        if abs(value) >= scale:
            return f"{value / scale:,.2f} {unit} {currency}" + (f" ({full})" if exact else "")
    return full


def money_change(delta: float, currency: str = "CNY") -> str:
    """A signed change, exact to the yuan (to the fen below 1,000): ``+9,200,000 CNY (+9.2 M CNY)``."""
    exact = f"{delta:+,.0f} {currency}" if abs(delta) >= 1000 else f"{delta:+,.2f} {currency}"
    if abs(delta) >= 1e9:
        return f"{exact} ({delta / 1e9:+,.2f} bn {currency})"
    if abs(delta) >= 1e5:
        return f"{exact} ({delta / 1e6:+,.1f} M {currency})"
    return exact


def percent(share: float, signed: bool = False) -> str:
    """A share 0–1 as a percentage with as many decimals as it takes to show it is not 0
    (``0.0048 %``, never ``0.0 %`` for a change that exists)."""
    p = 100 * share
    if p == 0 or not math.isfinite(p):
        return "0 %"
    decimals = max(1, min(6, 1 - math.floor(math.log10(abs(p)))))
    return f"{p:{'+' if signed else ''}.{decimals}f} %"


def weeks_text(periods: list[str], lang: str) -> str:
    """``2026-W50`` / ``2026-W50, 2026-W51`` / ``2026-W50 … 2027-W03 (6 weeks)``."""
    if len(periods) <= 3:
        return ", ".join(periods)
    return text("es_weeks", lang, first=periods[0], last=periods[-1], n=len(periods))


def cost_part(key: str, lang: str) -> str:
    """A cost component's name (summary.json ``costs``) in the report language."""
    return text(f"cost_{key}", lang) if f"cost_{key}" in LABELS else key


def shortage_lines(run: Results, lang: str) -> list[Line]:
    """Who goes short, how much, when, by demand class: every short centre counted."""
    u = run.tables["unmet"]
    order = {p: i for i, p in enumerate(run.periods)}
    short = u[u["unmet_t"] > TOL_T]
    if short.empty:
        return [Line(run.label, "shortage", "ok", text("es_no_short", lang, t=tonnes(float(u["demand_t"].sum()))))]
    names = node_names(run)
    total, demand = float(short["unmet_t"].sum()), float(u["demand_t"].sum())
    weeks = sorted(set(short["period"]), key=lambda p: order.get(p, 0))
    centres = short.groupby(["node", "product"], sort=True)["unmet_t"].sum().sort_values(ascending=False, kind="stable")
    out = [Line(run.label, "shortage", "red", text("es_short_total", lang, t=tonnes(total), share=percent(total / demand) if demand else "–",
                                                      n=len(centres), weeks=weeks_text(weeks, lang)))]
    classes = short["demand_class"].fillna("").astype(str).str.strip() if "demand_class" in short else pd.Series("", index=short.index)
    has_class = bool(classes.ne("").any())
    short = short.assign(demand_class=classes)
    if has_class:
        by_class = short.groupby(classes.replace("", "–"))["unmet_t"].sum().sort_values(ascending=False, kind="stable")
        out.append(Line(run.label, "shortage", "red", text("es_by_class", lang) + "; ".join(f"{c} {tonnes(v)}" for c, v in by_class.items())))
    for (node, product), t in centres.head(NAMED_CENTRES).items():
        rows = short[(short["node"] == node) & (short["product"] == product)]
        rows = rows.assign(_w=rows["period"].map(order)).sort_values("_w", kind="stable")
        worst = rows.loc[rows["unmet_t"].idxmax()]
        cls = str(rows["demand_class"].iloc[0]) if has_class else ""
        label = f"{names.get(node, node)} ({', '.join(filter(None, [cls, product]))})"
        out.append(Line(run.label, "shortage", "red", text("es_short_centre", lang, centre=label, t=tonnes(float(t)), weeks=weeks_text(list(rows["period"]), lang),
                                                           week=worst["period"], wt=tonnes(float(worst["unmet_t"])))))
    if len(centres) > NAMED_CENTRES:
        rest = float(centres.iloc[NAMED_CENTRES:].sum())
        out.append(Line(run.label, "shortage", "red", text("es_short_more", lang, n=len(centres) - NAMED_CENTRES, t=tonnes(rest))))
    return out


def warning_lines(run: Results, lang: str) -> list[Line]:
    """The red rows of warnings.csv: how many of each kind, and every blend limit no coal meets."""
    w = run.tables.get("warnings")
    if w is None or "severity" not in w:
        return []
    red = w[w["severity"] == "red"]
    if red.empty:
        return [Line(run.label, "warnings", "ok", text("es_no_red", lang))]
    kinds = red["kind"].value_counts(sort=False)
    out = [Line(run.label, "warnings", "red", text("es_red", lang, n=len(red), kinds=", ".join(f"{warning_kind(k, lang)} {n}" for k, n in kinds.items())))]
    out += [Line(run.label, "warnings", "red", str(m)) for m in red.loc[red["kind"] == "blend", "message"].head(3)]
    return out


def cover_lines(run: Results, lang: str) -> list[Line]:
    """The three demand centres with the lowest days of cover, each at its lowest week."""
    s = run.tables["stocks"].dropna(subset=["days_of_cover"])
    kinds = node_kinds(run)
    demand_nodes = set(run.tables["unmet"]["node"]) if not kinds else {n for n, k in kinds.items() if k == "demand"}
    s = s[s["node"].isin(demand_nodes)]
    if s.empty:
        return []
    names = node_names(run)
    low = s.sort_values(["days_of_cover", "node"], kind="stable").drop_duplicates("node").head(3)
    status = low["cover_status"].astype(str).tolist() if "cover_status" in low else ["ok"] * len(low)
    severity = "red" if "red" in status else "amber" if "amber" in status else "ok"
    items = "; ".join(f"{names.get(r.node, r.node)} {r.days_of_cover:.1f} {text('days', lang)} ({r.period})" for r in low.itertuples())
    return [Line(run.label, "cover", severity, text("es_cover", lang) + items)]


def cost_lines(run: Results, lang: str) -> list[Line]:
    """The total cost and its three largest parts with their shares."""
    currency = run.summary.get("currency", "CNY")
    total = float(run.summary.get("objective") or 0.0)
    parts = sorted(((k, float(v)) for k, v in (run.summary.get("costs") or {}).items() if v and float(v) > 0), key=lambda kv: -kv[1])[:3]
    shown = "; ".join(f"{cost_part(k, lang)} {money(v, currency, exact=False)}" + (f" ({percent(v / total)})" if total else "") for k, v in parts)
    return [Line(run.label, "cost", "info", text("es_cost", lang, cost=money(total, currency)) + (text("es_parts", lang) + shown if shown else ""))]


def change_lines(base: Results, run: Results, lang: str) -> list[Line]:
    """The cost change of a compared folder against the base, exact, with the parts that moved."""
    currency = base.summary.get("currency", "CNY")
    b, r = float(base.summary.get("objective") or 0.0), float(run.summary.get("objective") or 0.0)
    d = r - b
    bc, rc = base.summary.get("costs") or {}, run.summary.get("costs") or {}
    moved = sorted(((k, float(rc.get(k) or 0.0) - float(bc.get(k) or 0.0)) for k in dict.fromkeys([*bc, *rc])), key=lambda kv: -abs(kv[1]))
    moved = [(k, v) for k, v in moved if abs(v) > 1e-6]
    parts = "; ".join(f"{cost_part(k, lang)} {money_change(v, currency)}" for k, v in moved[:5])
    if len(moved) > 5:
        parts += "; " + text("es_other_parts", lang, d=money_change(sum(v for _, v in moved[5:]), currency))
    severity = "amber" if d > 1e-6 else "ok"
    line = text("es_change", lang, run=run.label, base=base.label, d=money_change(d, currency), pct=percent(d / b, signed=True) if b else "–",
                before=money(b, currency), after=money(r, currency))
    out = [Line(run.label, "cost_change", severity, line + (text("es_moved", lang) + parts if parts else ""))]
    bu, ru = _unmet(base), _unmet(run)
    if abs(ru - bu) > TOL_T:
        out.append(Line(run.label, "shortage", "red" if ru > bu else "ok", text("es_unmet_change", lang, before=tonnes(bu), after=tonnes(ru), d=f"{ru - bu:+,.0f} t")))
    return out


def _unmet(run: Results) -> float:
    u = run.tables["unmet"]
    return float(u.loc[u["unmet_t"] > TOL_T, "unmet_t"].sum())


def end_deficit_lines(run: Results, lang: str) -> list[Line]:
    """The end rule's deficit (summary.json ``end_of_horizon``, end_stock.csv): not unmet demand."""
    end = run.summary.get("end_of_horizon")
    if not end or float(end.get("deficit_t") or 0.0) <= TOL_T:
        return []
    names = node_names(run)
    table = run.tables.get("end_stock")
    largest = ""
    if table is not None and len(table) and "deficit_t" in table:
        top = table.sort_values("deficit_t", ascending=False, kind="stable").iloc[0]
        largest = text("es_end_largest", lang, node=names.get(top["node"], top["node"]), t=tonnes(float(top["deficit_t"])))
    return [Line(run.label, "end_deficit", "amber", text("es_end", lang, t=tonnes(float(end["deficit_t"])), n=len(end.get("nodes_below_target") or []),
                                                         cost=money(float(end.get("deficit_cost_cny") or 0.0), run.summary.get("currency", "CNY")), largest=largest))]


def action_lines(run: Results, lang: str) -> list[Line]:
    """Reserves to call up and reserve stock to release, where reserves.csv says so."""
    r = run.tables.get("reserves")
    if r is None or r.empty or "kind" not in r:
        return []
    names = node_names(run)
    order = {p: i for i, p in enumerate(run.periods)}
    out = []
    for (kind, node), rows in r.groupby(["kind", "node"], sort=True):
        weeks = sorted(set(rows["period"]), key=lambda p: order.get(p, 0))
        key = "es_call_reserve" if kind == "capacity_reserve" else "es_release_stock"
        out.append(Line(run.label, "action", "amber", text(key, lang, node=names.get(node, node), t=tonnes(float(rows["tonnes_t"].sum())), weeks=weeks_text(weeks, lang))))
    return out


def run_lines(run: Results, lang: str, base: Results | None = None) -> list[Line]:
    """The summary of one folder; a compared folder (``base`` given) shows its cost change instead of its cost."""
    cost = cost_lines(run, lang) if base is None else change_lines(base, run, lang)
    return shortage_lines(run, lang) + warning_lines(run, lang) + cover_lines(run, lang) + cost + end_deficit_lines(run, lang) + action_lines(run, lang)


def executive_summary(runs: list[Results], lang: str) -> list[Line]:
    """The summary of a report: the base folder's lines, then each compared folder's against it."""
    return run_lines(runs[0], lang) + [line for run in runs[1:] for line in run_lines(run, lang, base=runs[0])]


def summary_frame(lines: list[Line]) -> pd.DataFrame:
    """The lines as the workbook's ``Summary`` sheet (columns ``COLUMNS``)."""
    return pd.DataFrame([[ln.results, ln.topic, ln.severity, ln.text] for ln in lines], columns=COLUMNS)
