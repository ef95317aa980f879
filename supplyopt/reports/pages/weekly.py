"""Pages of the weekly runs: ``schedule`` (the committed week's shipment plan, its red
warnings and the request plan for the railway and the ports) and ``roll`` (weekly runs over a
span, week by week: cost, unmet and stocks of each committed week against the full-horizon plan)."""

from __future__ import annotations

import pandas as pd

from supplyopt.reports.charts import Figures
from supplyopt.reports.executive import Line, executive_summary, money, money_change, percent, tonnes
from supplyopt.reports.folders import load_results
from supplyopt.reports.pages.common import (TOL_T, Col, Folder, Section, auto_cols, frame_table, line_chart, missing, num, record_section, require,
                                            warning_lines, warnings_section)
from supplyopt.reports.pages.scenarios import red_warnings_section

MAX_ROWS = 40


# --------------------------------------------------------------------------- schedule
def shipment_totals(ships: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(committed week by mode: links, tonnes, trains; every week: committed or look-ahead,
    tonnes by mode and in all)."""
    committed = ships[ships["committed"] == True]  # noqa: E712 — a boolean column
    by_mode = committed.groupby("mode", sort=True).agg(links=("link", "nunique"), shipment_t=("shipment_t", "sum"),
                                                       trains=("trains", lambda v: v.sum(min_count=1))).reset_index()
    by_mode = by_mode.sort_values("shipment_t", ascending=False, kind="stable")
    weeks = ships.pivot_table(index=["week", "committed"], columns="mode", values="shipment_t", aggfunc="sum", fill_value=0.0, sort=True)
    weeks.columns = [f"{m}_t" for m in weeks.columns]
    weeks["total_t"] = weeks.sum(axis=1)
    return by_mode, weeks.reset_index()


def schedule_page(folder: Folder, figs: Figures):
    cur, s = folder.currency, folder.summary
    require(folder, {"shipments": ("link", "mode", "week", "shipment_t", "committed")})
    sched = s.get("schedule") or {}
    week = sched.get("committed_week", "–")
    run = load_results(folder.path, warn=lambda message: None)
    ships = folder.tables["shipments"]
    by_mode, weeks = shipment_totals(ships)
    committed_t = float(by_mode["shipment_t"].sum()) if len(by_mode) else 0.0
    lines = [Line(folder.label, "committed", "info", f"Committed week {week}: {tonnes(committed_t)} to ship on {int(by_mode['links'].sum()) if len(by_mode) else 0} link(s) ("
                                                     + ", ".join(f"{r['mode']} {tonnes(r['shipment_t'])}" for r in by_mode.to_dict("records")) + f"); look-ahead to "
                                                     f"{(sched.get('weeks') or ['–'])[-1]}.")]
    lines += [Line(folder.label, line.topic, line.severity, line.text) for line in executive_summary([run], "en")]
    rp = sched.get("request_plan") or {}
    if rp:
        lines.append(Line(folder.label, "request_plan", "info", f"Request plan for {week}: {tonnes(rp.get('committed_rail_t') or 0)} by rail in "
                                                                f"{num(rp.get('committed_wagons') or 0, 0)} wagons; {tonnes(rp.get('committed_sea_t') or 0)} by sea in "
                                                                f"{num(rp.get('committed_ship_calls') or 0, 0)} ship calls."))
    actuals = sched.get("actuals")
    if actuals:
        lines.append(Line(folder.label, "actuals", "info", "Last week's receipts reconciled (reconciliation.csv); opening stocks derived from them."))
    changes = folder.tables.get("changes")
    if changes is not None and len(changes):
        lines.append(Line(folder.label, "changes", "info", f"{len(changes)} change(s) to the previous run's look-ahead, "
                                                           f"{tonnes(float(changes['change_t'].abs().sum()))} moved in all."))
    lines += warning_lines(folder)
    mode_cols = [Col("mode", "mode"), Col("links", "links", "count"), Col("shipment_t", "to ship", "t"), Col("trains", "trains", "count")]
    week_cols = [Col("week", "week"), Col("committed", "committed")] + [Col(c, c[:-2] if c != "total_t" else "all modes", "t") for c in weeks.columns if c.endswith("_t")]
    with figs.context():
        chart = line_chart(figs, "shipments_by_week.png", "Shipments by week and mode (t); the first week is committed", list(range(len(weeks))),
                           {c[:-2]: list(weeks[c]) for c in weeks.columns if c.endswith("_t") and c != "total_t"}, "t", "week", list(weeks["week"]))
    plan = Section("shipments", f"Shipment plan: committed week {week}", frame_table(by_mode, mode_cols) + "<h3>Every week of the run</h3>" + frame_table(weeks, week_cols), [chart])
    sections = [plan, red_warnings_section(folder), request_section(folder, rp), actuals_section(folder), warnings_section(folder),
                record_section(folder, [("committed week", str(week)), ("weeks", ", ".join(sched.get("weeks") or [])), ("end target", str(sched.get("end_target_rule", "–"))),
                                        ("scenarios", str(sched.get("scenario_foresight", "–"))), ("previous run", str((sched.get("previous") or {}).get("path", "none")
                                                                                                                       if isinstance(sched.get("previous"), dict) else sched.get("previous") or "none")),
                                        ("cost", money(s.get("objective") or 0, cur))])]
    return f"Weekly schedule {week}: {(s.get('dataset') or {}).get('name') or folder.label}", lines, sections, {"shipments_by_mode": by_mode, "shipments_by_week": weeks}


def request_section(folder: Folder, rp: dict) -> Section | None:
    """The committed week's request plan by line and commodity (wagons, trains, tonnes), and
    its berth plan by loading port."""
    req = folder.tables.get("request_plan")
    if req is None:
        return None
    out = []
    if rp:
        items = [("committed by rail", tonnes(rp.get("committed_rail_t") or 0)), ("wagons", num(rp.get("committed_wagons") or 0, 0)),
                 ("committed by sea", tonnes(rp.get("committed_sea_t") or 0)), ("ship calls", num(rp.get("committed_ship_calls") or 0, 0))]
        items += [(f"not shipments: {m} (committed week)", tonnes(v)) for m, v in (rp.get("not_shipments_committed_t") or {}).items() if v]
        out.append('<dl class="meta">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items) + "</dl>")
    committed = req[req["period_kind"].astype(str).str.startswith("committed")] if "period_kind" in req else req
    if len(committed):
        committed = committed.assign(line=committed["line"].where(committed["line"] != "", committed["origin_station"] + " → " + committed["destination_station"]))
        by_line = committed.groupby(["line", "commodity", "wagon_type"], sort=True).agg(tonnes=("tonnes", "sum"), wagons=("wagons", "sum"),
                                                                                     trains=("trains", lambda v: v.sum(min_count=1))).reset_index()
        by_line = by_line.sort_values("tonnes", ascending=False, kind="stable")
        out.append("<h3>Rail requests of the committed week, by line</h3>" + frame_table(by_line, [Col("line", "line (or stations)"), Col("commodity", "commodity"),
                                                                                                     Col("wagon_type", "wagon type"), Col("tonnes", "tonnes", "t"),
                                                                                                     Col("wagons", "wagons", "count"), Col("trains", "trains", "count")], limit=MAX_ROWS))
    berth = folder.tables.get("berth_plan")
    if berth is not None and len(berth):
        b = berth[berth["committed"] == True].groupby("loading_port", sort=True).agg(tonnes=("tonnes", "sum"), ship_calls=("ship_calls", "sum")).reset_index()  # noqa: E712
        out.append("<h3>Berth plan of the committed week, by loading port</h3>" + frame_table(b, [Col("loading_port", "loading port"), Col("tonnes", "tonnes", "t"),
                                                                                                  Col("ship_calls", "ship calls", "count")]))
    out.append('<p class="note">request_plan.csv (and request_plan.xlsx in the results folder) has every row, week by week; results.xlsx, sheet request_plan.</p>')
    return Section("request_plan", "Request plan", "\n".join(out))


def actuals_section(folder: Folder) -> Section | None:
    rec = folder.tables.get("reconciliation")
    if rec is None or rec.empty:
        return None
    status = next((c for c in rec.columns if c in ("status", "as_planned", "outcome")), None)
    body = frame_table(rec, auto_cols(rec, folder.currency), limit=MAX_ROWS)
    if status:
        counts = rec[status].value_counts(sort=False)
        body = "<p>" + ", ".join(f"{k}: {v}" for k, v in counts.items()) + "</p>" + body
    return Section("actuals", "Last week's receipts against the plan", body)


# --------------------------------------------------------------------------- roll
def timeline(folder: Folder) -> pd.DataFrame:
    """One row per committed week: rolled and full-horizon cost and unmet (weeks.csv) with the
    stock at the end of the week, its shortfall below safety and the lowest days of cover
    (stock_trajectory.csv)."""
    weeks = folder.tables["weeks"].copy()
    weeks["cost_gap_cny"] = (weeks["rolled_cost_cny"] - weeks["full_cost_cny"]).round(2)  # to the fen: solver noise shows as 0, not -3.81e-06
    traj = folder.tables.get("stock_trajectory")
    if traj is not None and len(traj):
        stock = traj.groupby("week", sort=False).agg(stock_t=("stock_t", "sum"), safety_shortfall_t=("safety_shortfall_t", "sum")).reset_index()
        weeks = weeks.merge(stock, on="week", how="left")
        # demand centres only (those with a cover_status), as the solve report's summary: a port that
        # ships a product straight through holds 0 days of it, which says nothing about supply
        centres = traj[traj["cover_status"].fillna("").astype(str) != ""] if "cover_status" in traj else traj
        cover = centres.dropna(subset=["days_of_cover"]).sort_values(["days_of_cover", "node"], kind="stable").drop_duplicates("week")
        weeks = weeks.merge(cover[["week", "days_of_cover", "node"]].rename(columns={"days_of_cover": "lowest_days_of_cover", "node": "lowest_cover_node"}),
                            on="week", how="left")
        weeks["lowest_cover_node"] = weeks["lowest_cover_node"].map(lambda n: folder.name(n) if isinstance(n, str) else "–")
    return weeks


def roll_page(folder: Folder, figs: Figures):
    cur, s = folder.currency, folder.summary
    require(folder, {"weeks": ("week", "rolled_cost_cny", "full_cost_cny", "rolled_unmet_t", "full_unmet_t")})
    t = timeline(folder)
    rolled, full = s.get("rolled_cost"), s.get("full_horizon_cost")
    lines = []
    if not missing(rolled) and not missing(full):
        lines.append(Line(folder.label, "cost", "info", f"{len(t)} weekly run(s) of {s.get('horizon_weeks', '–')} week(s) each cost {money(rolled, cur)}; the full-horizon plan "
                                                        f"{money(full, cur)}: {money_change(rolled - full, cur)} ({percent((rolled - full) / full, signed=True) if full else '–'})."))
    ru, fu = float(s.get("rolled_unmet_t") or 0), float(s.get("full_unmet_t") or 0)
    short_weeks = s.get("weeks_short_not_in_full_plan") or []
    lines.append(Line(folder.label, "shortage", "red" if ru > TOL_T else "ok",
                      f"Unmet demand in the rolled weeks: {tonnes(ru)} (full-horizon plan: {tonnes(fu)})." if ru > TOL_T or fu > TOL_T
                      else "No demand left unmet in any committed week, rolled or planned in full."))
    if short_weeks:
        lines.append(Line(folder.label, "shortage", "red", f"Short only when planned week by week: {', '.join(map(str, short_weeks))}."))
    if "lowest_days_of_cover" in t and t["lowest_days_of_cover"].notna().any():
        low = t.loc[t["lowest_days_of_cover"].idxmin()]
        lines.append(Line(folder.label, "cover", "info", f"Lowest days of cover: {num(low['lowest_days_of_cover'])} days at {low['lowest_cover_node']} at the end of {low['week']}."))
    for key in ("deviation", "actuals"):
        if s.get(key):
            lines.append(Line(folder.label, key, "info", f"{key}: {s[key] if isinstance(s[key], str) else ', '.join(f'{k} {v}' for k, v in s[key].items())}"))
    lines += warning_lines(folder)
    cols = [Col("week", "committed week"), Col("rolled_cost_cny", "rolled cost", cur), Col("full_cost_cny", "full-horizon plan cost", cur),
            Col("cost_gap_cny", "rolled − full", cur), Col("rolled_unmet_t", "rolled unmet", "t"), Col("full_unmet_t", "full-plan unmet", "t"),
            Col("stock_t", "stock at end of week", "t"), Col("safety_shortfall_t", "below safety stock", "t"), Col("lowest_days_of_cover", "lowest cover", "days"),
            Col("lowest_cover_node", "lowest cover at")]
    x, labels = list(range(len(t))), list(t["week"])
    with figs.context():
        charts = [line_chart(figs, "roll_cost.png", f"Cost of each committed week ({cur})", x, {"rolled": list(t["rolled_cost_cny"]), "full-horizon plan": list(t["full_cost_cny"])},
                             cur, "week", labels),
                  line_chart(figs, "roll_unmet.png", "Unmet demand of each committed week (t)", x, {"rolled": list(t["rolled_unmet_t"]), "full-horizon plan": list(t["full_unmet_t"])},
                             "t", "week", labels),
                  line_chart(figs, "roll_stock.png", "Stock at the end of each committed week (t)", x, {"stock": list(t["stock_t"])}, "t", "week", labels) if "stock_t" in t else None]
    sections = [Section("timeline", "Week by week", frame_table(t, cols, bad=lambda r, c: c == "rolled_unmet_t" and r[c] > TOL_T), charts)]
    short = folder.tables.get("short_weeks")
    if short is not None and len(short):
        sections.append(Section("short_weeks", "Where the rolled plan goes short", frame_table(short.assign(node=short["node"].map(folder.name)), auto_cols(short, cur), limit=MAX_ROWS)))
    costs = pd.DataFrame({"part": list((s.get("rolled_costs") or {}).keys())})
    if len(costs):
        costs["rolled_cny"] = [s["rolled_costs"][p] for p in costs["part"]]
        costs["full_cny"] = [(s.get("full_costs") or {}).get(p) for p in costs["part"]]
        costs["difference_cny"] = (costs["rolled_cny"] - costs["full_cny"]).round(2)
        sections.append(Section("costs", "Cost by part", frame_table(costs, [Col("part", "part"), Col("rolled_cny", "rolled", cur), Col("full_cny", "full-horizon plan", cur),
                                                                             Col("difference_cny", "rolled − full", cur)])))
    sections += [warnings_section(folder), record_section(folder, [("weeks", ", ".join(map(str, s.get("weeks") or []))), ("horizon", f"{s.get('horizon_weeks', '–')} week(s)"),
                                                                  ("stable", str(s.get("stable", False))), ("end target", str(s.get("end_target_rule", "–"))),
                                                                  ("status", str(s.get("status_message", s.get("status", "–"))))])]
    return f"Rolling weekly runs: {(s.get('dataset') or {}).get('name') or folder.label}", lines, sections, {"timeline": t}
