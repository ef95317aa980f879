"""The terminal summary of a solve: the KPI table a planner reads, in planner words and units."""

from __future__ import annotations

import pandas as pd

from supplyopt.model.foresight import describe as describe_foresight
from supplyopt.results.plan import Plan


def _t(v: float | None) -> str:
    return "–" if v is None else f"{v:,.0f}"


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f} %"


def format_kpis(summary: dict, plan: Plan) -> str:
    """The KPI table a planner reads in the terminal."""
    cur = summary["currency"]
    lines = [
        f"supplyopt — {summary['dataset']['name']}: {summary['periods']['count']} periods of {summary['periods']['days']:g} days "
        f"({summary['periods']['first']} … {summary['periods']['last']})",
        f"Status: {summary['status_message']}",
        *([f"Foresight: {describe_foresight(summary['foresight'])}"] if summary.get("foresight") else []),
        *([f"End of horizon: {summary['end_of_horizon']['rule']}"] if summary.get("end_of_horizon") else []),
        *([f"Extension: {summary['extension']['path']} ({summary['extension']['function']})"] if summary.get("extension") else []),
        "",
        f"Cost by component ({cur})",
    ]
    for name, value in summary["costs"].items():
        lines.append(f"  {name:<18}{value:>20,.2f}")
    lines.append(f"  {'total (objective)':<18}{summary['objective']:>20,.2f}")
    k = summary
    lines += [
        "",
        "Tonnes over the horizon",
        f"  {'demand':<18}{_t(k['demand_t']):>20} t",
        f"  {'delivered':<18}{_t(k['delivered_t']):>20} t",
        f"  {'unmet':<18}{_t(k['unmet_t']):>20} t",
        *[f"    {cls:<20}{_t(v):>16} t" for cls, v in (k.get("unmet_by_class_t") or {}).items()],
        *_produced_lines(k),
        *_end_lines(k),
        "",
        "Transport",
        f"  {'tonne-km':<18}{_t(k['tkm']):>20} t·km",
        f"  {'truck share':<18}{_pct(k['truck_share_tkm']):>20} of t·km",
        f"  {'mine truck share':<18}{_pct(k['mine_truck_share']):>20} of mine output",
        f"  {'clean share':<18}{_pct(k['clean_share_tkm']):>20} of t·km",
        f"  {'CO2':<18}{k['co2_t']:>20,.1f} t",
    ]
    busiest = _busiest_links(plan)
    if len(busiest):
        by = "corridor" if "corridor" in busiest else "link"
        lines += ["", f"Busiest {by}s (tonnes entering ÷ capacity over the horizon; peak week)"]
        for _, r in busiest.iterrows():
            name = f"{r['corridor']} ({r['link']})" if by == "corridor" and _named(r["corridor"]) else r["link"]
            lines.append(f"  {name:<44}{r['mode']:<9}{100 * r['mean']:>5.0f} %  peak {100 * r['peak']:>4.0f} % in {r['period']}  {r['flow_t']:>16,.0f} t")
    low = _lowest_cover(plan)
    if len(low):
        lines += ["", "Lowest days of cover at demand centres ((stock − tonnes short) ÷ daily need; lines by demand class)"]
        for _, r in low.iterrows():
            lines.append(f"  {r['node']:<28}{r['product']:<10}{r['days_of_cover']:>7.1f} d  {r['period']}  {r['cover_status']}")
    w = plan.early_warnings
    if w is not None and len(w):  # warning.py: red first, then by week
        red, amber = int((w["severity"] == "red").sum()), int((w["severity"] == "amber").sum())
        lines += ["", f"Early warnings: {red} red, {amber} amber (all in warnings.csv); first by severity and week"]
        lines += [f"  {r.severity:<6}{r.message}" for r in w.head(5).itertuples()]
    short = plan.unmet[plan.unmet["unmet_t"] > 1e-6]
    if len(short):
        lines += ["", "Demand not met (largest)"]
        top = short.groupby(["node", "product"], sort=True)["unmet_t"].sum().sort_values(ascending=False, kind="stable").head(5)
        for (node, product), v in top.items():
            lines.append(f"  {node:<28}{product:<10}{v:>14,.0f} t")
    return "\n".join(lines)


def _produced_lines(k: dict) -> list[str]:
    """Tonnes produced: the mines' own output plus what capacity-reserve mines produced when
    called up (summary ``reserves_t``, reserves.csv), each on its own line when there is any."""
    made = k["production_t"]
    reserve = (k.get("reserves_t") or {}).get("capacity_reserve", 0.0)
    if reserve <= 0.5:
        return [f"  {'produced':<18}{_t(made):>20} t"]
    return [f"  {'produced':<18}{_t(made + reserve):>20} t",
            f"    {'mine output':<20}{_t(made):>16} t",
            f"    {'capacity reserve':<20}{_t(reserve):>16} t  called up (reserves.csv)"]


def _end_lines(k: dict) -> list[str]:
    """The end-of-horizon rule's figures: target, reached, and the deficit it leaves (its own
    figure, not unmet demand)."""
    e = k.get("end_of_horizon")
    if not e or not e["target_t"]:
        return []
    lines = [f"  {'end stock':<18}{_t(e['end_stock_t']):>20} t  (target {_t(e['target_t'])} t)"]
    if e["deficit_t"] > 0.5:
        lines.append(f"  {'end-stock deficit':<18}{_t(e['deficit_t']):>20} t  at {len(e['nodes_below_target'])} stock(s), {e['deficit_cost_cny']:,.0f} CNY: the end rule's, not unmet demand (end_stock.csv)")
    return lines


def _busiest_links(plan: Plan, n: int = 5) -> pd.DataFrame:
    """Links (or, where the data set names corridors, the busiest link of each corridor)
    ranked by tonnes entering over capacity across the horizon, every period counted
    (``Plan.link_use``)."""
    link = plan.link_use
    if link is None or link.empty:
        return pd.DataFrame()
    ranked = link[link["flow_t"] > 0].sort_values(["mean", "link"], ascending=[False, True], kind="stable")
    if "corridor" in ranked:  # one row per named corridor; a link on no corridor stands alone
        named = ranked["corridor"].map(_named)
        ranked = ranked[~(named & ranked.duplicated("corridor"))]
    return ranked.head(n)


def _named(corridor) -> bool:
    """True for a corridor name, False for a blank cell (a link on no named corridor)."""
    return isinstance(corridor, str) and corridor.strip() != ""


def _lowest_cover(plan: Plan, n: int = 5) -> pd.DataFrame:
    """The demand centres with the least cover (the stocks that carry a cover status)."""
    s = plan.stocks.dropna(subset=["days_of_cover"])
    if "cover_status" in s:
        s = s[s["cover_status"] != ""]
    if s.empty:
        return s
    low = s.sort_values(["days_of_cover", "node"], kind="stable").drop_duplicates(["node", "product"])
    return low.head(n)
