"""Early warning: what a supply-guarantee planner must look at first, in planner words.

From a solved plan's tables (no solver access), three kinds of warning per node and week:

  unmet   red    a demand centre gets less than its demand (tonnes short, share of demand)
  cover   red    at a demand centre, days of cover — (stock − tonnes short in the week) ÷
                 daily need — below the red line of its demand class (profile
                 ``cover_days_by_class``), or any shortfall in the week
          amber  below the amber line
  safety  amber  a stockpile ends the week below its safety stock
  blend   red    a demand centre's blend limit (coal quality) that no grade able to reach it
                 meets, in the first week of its demand: why that demand goes unmet

and the supply–demand gap by region and week (demand, delivered, short, produced in the region).
Warnings are sorted by severity (red first), week, then node, so the list reads as a to-do list.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from supplyopt.results.quality import unmeetable_limits

TOL_T = 0.5  # tonnes: smaller shortfalls are solver noise, not a warning
WARNING_COLUMNS = ["severity", "period", "node", "name", "region", "product", "kind", "value", "unit", "message"]
_RANK = {"red": 0, "amber": 1}


def early_warnings(net, opt, unmet: pd.DataFrame, stocks: pd.DataFrame) -> pd.DataFrame:
    """The warning list of a plan (columns ``WARNING_COLUMNS``), sorted by severity and week.

    ``unmet`` and ``stocks`` are the plan's tables with period labels; ``opt`` gives the
    red/amber thresholds in days of cover."""
    parts = [_blend_warnings(net), _unmet_warnings(unmet), _cover_warnings(stocks, opt), _safety_warnings(stocks)]
    out = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else pd.DataFrame(columns=WARNING_COLUMNS)
    nodes = net.nodes.set_index("id")
    out["name"] = out["node"].map(nodes["name"]).fillna("").astype(str) if "name" in nodes else ""
    out["region"] = out["node"].map(nodes["region"]).fillna("").astype(str) if "region" in nodes else ""
    order = {p: i for i, p in enumerate(net.periods)}
    out["_rank"] = out["severity"].map(_RANK)
    out["_week"] = out["period"].map(order)
    out["_kind"] = out["kind"].map({"blend": 0, "unmet": 1, "cover": 2, "safety": 3})
    out = out.sort_values(["_rank", "_week", "_kind", "node", "product"], kind="stable")
    return out[WARNING_COLUMNS].reset_index(drop=True)


def _blend_warnings(net) -> pd.DataFrame:
    """Blend limits no grade that can reach the centre meets (results/quality.py), in the
    first week of the centre's demand."""
    limits = unmeetable_limits(net)
    if limits.empty:
        return pd.DataFrame(columns=WARNING_COLUMNS)
    first = net.demand.groupby(["node", "product"])["period"].min()
    weeks = [net.periods[int(first[(n, p)])] for n, p in zip(limits["node"], limits["product"])]
    units = limits["limit"].map({"min_kcal_per_kg": "kcal/kg", "max_sulphur_pct": "% sulphur"})
    return pd.DataFrame({"severity": "red", "period": weeks, "node": limits["node"], "product": limits["product"], "kind": "blend",
                         "value": limits["limit_value"].to_numpy(float), "unit": units, "message": limits["message"]})


def _unmet_warnings(unmet: pd.DataFrame) -> pd.DataFrame:
    short = unmet[unmet["unmet_t"] > TOL_T]
    if short.empty:
        return pd.DataFrame(columns=WARNING_COLUMNS)
    share = short["unmet_t"] / short["demand_t"].where(short["demand_t"] > 0, np.nan)
    cls = short["demand_class"].fillna("").astype(str) if "demand_class" in short else pd.Series("", index=short.index)
    msg = [
        f"{n} ({c + ', ' if c else ''}{p}) is short {u:,.0f} t in {w} ({100 * s:.0f} % of demand)"
        for n, c, p, u, w, s in zip(short["node"], cls, short["product"], short["unmet_t"], short["period"], share.fillna(1.0))
    ]
    return pd.DataFrame({"severity": "red", "period": short["period"], "node": short["node"], "product": short["product"], "kind": "unmet",
                         "value": short["unmet_t"].to_numpy(), "unit": "t", "message": msg})


def _cover_warnings(stocks: pd.DataFrame, opt) -> pd.DataFrame:
    """Red or amber cover at demand centres (results._stocks: stock less what the centre went
    short, against its daily need; the lines of its demand class)."""
    s = stocks[stocks["cover_status"].isin(["red", "amber"])] if "cover_status" in stocks else stocks.iloc[0:0]
    if "went_short_t" in s:  # a centre that went short has its red unmet warning for that week already
        s = s[~(s["went_short_t"].fillna(0.0) > TOL_T)]
    if s.empty:
        return pd.DataFrame(columns=WARNING_COLUMNS)
    red = s["cover_red_days"] if "cover_red_days" in s else pd.Series(opt.cover_red_days, index=s.index)
    amber = s["cover_amber_days"] if "cover_amber_days" in s else pd.Series(opt.cover_amber_days, index=s.index)
    msg = []
    for n, p, d, w, st, r, a in zip(s["node"], s["product"], s["days_of_cover"], s["period"], s["cover_status"], red, amber):
        msg.append(f"{n} {p} stock covers {d:.1f} days at the end of {w} (below the {st} line of {r if st == 'red' else a:g} days)")
    return pd.DataFrame({"severity": s["cover_status"].to_numpy(), "period": s["period"], "node": s["node"], "product": s["product"], "kind": "cover",
                         "value": s["days_of_cover"].to_numpy(), "unit": "days", "message": msg})


def _safety_warnings(stocks: pd.DataFrame) -> pd.DataFrame:
    s = stocks[stocks["safety_shortfall_t"] > TOL_T] if "safety_shortfall_t" in stocks else stocks.iloc[0:0]
    if s.empty:
        return pd.DataFrame(columns=WARNING_COLUMNS)
    msg = [f"{n} {p} stock ends {w} {v:,.0f} t below its safety stock of {sf:,.0f} t" for n, p, w, v, sf in zip(s["node"], s["product"], s["period"], s["safety_shortfall_t"], s["safety_t"])]
    return pd.DataFrame({"severity": "amber", "period": s["period"], "node": s["node"], "product": s["product"], "kind": "safety",
                         "value": s["safety_shortfall_t"].to_numpy(), "unit": "t", "message": msg})


def week_runs(labels, periods: list[str]) -> str:
    """Weeks as runs of consecutive periods: ``2026-W50…2026-W52 2027-W03``."""
    pos = sorted({periods.index(w) for w in labels})
    runs, start = [], None
    for i, p in enumerate(pos):
        start = p if start is None else start
        if i + 1 == len(pos) or pos[i + 1] != p + 1:
            runs.append(periods[start] if start == p else f"{periods[start]}…{periods[p]}")
            start = None
    return " ".join(runs)


def region_gaps(net, plan) -> pd.DataFrame:
    """Supply–demand balance by region and week (t): demand_t, delivered_t, unmet_t (the gap
    a planner must close) and produced_t by the region's mines; one row per region and week
    with any demand or production, weeks in horizon order."""
    regions = net.nodes.set_index("id")["region"].fillna("").astype(str)
    u = plan.unmet.assign(region=plan.unmet["node"].map(regions))
    dem = u.groupby(["region", "period"], sort=False)[["demand_t", "delivered_t", "unmet_t"]].sum()
    p = plan.production.assign(region=plan.production["mine"].map(regions))
    made = p.groupby(["region", "period"], sort=False)["production_t"].sum().rename("produced_t")
    out = dem.join(made, how="outer").fillna(0.0).reset_index()
    order = {w: i for i, w in enumerate(net.periods)}
    out["_w"] = out["period"].map(order)
    return out.sort_values(["region", "_w"], kind="stable").drop(columns="_w").reset_index(drop=True)
