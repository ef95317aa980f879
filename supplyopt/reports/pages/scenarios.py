"""Pages of the folders that hold many cases of one network: ``compare`` and ``sweep``
(cases.csv beside the base: who goes short, cost and unmet per case) and ``screen`` (N-1:
each element out in turn, ranked worst first, with the demand centres each outage hurts)."""

from __future__ import annotations

import pandas as pd

from supplyopt.reports.charts import Figures
from supplyopt.reports.executive import Line, money, money_change, tonnes
from supplyopt.reports.pages.common import (TOL_CNY, TOL_T, Col, Folder, Section, auto_cols, bar_chart, chart_label, e, frame_table, num,
                                            record_section, require, warning_lines, warnings_section)

NAMED = 3  # short centres named per case in the summary; the rest are counted
MAX_ROWS = 40  # rows of a ranked table on the page (the workbook has all)
TOP_BARS = 15


# --------------------------------------------------------------------------- compare and sweep
def case_order(folder: Folder) -> pd.DataFrame:
    """cases.csv: compare keeps its order (base first); sweep ranks the cases by unmet tonnes,
    then cost, worst first, the base last among equals."""
    cases = folder.tables["cases"].copy()
    if folder.kind == "sweep":
        cases["_base"] = cases["case"].eq("base")
        cases = cases.sort_values(["unmet_t", "objective_cny", "_base"], ascending=[False, False, True], kind="stable").drop(columns="_base")
        cases.insert(0, "rank", range(1, len(cases) + 1))
    if "lowest_cover_node" in cases:
        cases["lowest_cover_node"] = cases["lowest_cover_node"].map(folder.name)
    return cases.reset_index(drop=True)


def base_row(cases: pd.DataFrame) -> dict:
    base = cases[cases["case"] == "base"]
    return (base if len(base) else cases.head(1)).iloc[0].to_dict()


def shortfall_lines(folder: Folder, short: pd.DataFrame, cases: pd.DataFrame) -> list[Line]:
    """Who goes short in each case, case by case, largest first: every short centre counted."""
    out = []
    if short.empty:
        out.append(Line(folder.label, "shortage", "ok", f"No case leaves any demand centre short ({len(cases)} case(s), base included)."))
        return out
    for case in [c for c in cases["case"] if c in set(short["case"])]:
        rows = short[short["case"] == case].sort_values("unmet_t", ascending=False, kind="stable")
        named = "; ".join(f"{r['name'] or r['node']} ({r['demand_class'] or '–'}) {tonnes(r['unmet_t'])}" + (f" in {r['weeks']}" if r.get("weeks") else "")
                          for r in rows.head(NAMED).to_dict("records"))
        more = f"; and {len(rows) - NAMED} more centre(s), {tonnes(float(rows['unmet_t'].iloc[NAMED:].sum()))}" if len(rows) > NAMED else ""
        out.append(Line(folder.label, "shortage", "red", f"{case}: {tonnes(float(rows['unmet_t'].sum()))} unmet at {len(rows)} demand centre(s): {named}{more}."))
    return out


def cases_lines(folder: Folder, cases: pd.DataFrame) -> list[Line]:
    cur, out = folder.currency, []
    base = base_row(cases)
    bad = cases[~cases["status"].astype(str).isin(["optimal"])]
    if len(bad):
        out.append(Line(folder.label, "status", "red", "No optimal plan for: " + ", ".join(f"{r['case']} ({r['status']})" for r in bad.to_dict("records")) + "."))
    others = cases[cases["case"] != base["case"]]
    if len(others) and "objective_cny" in cases:
        worst = others.loc[others["objective_cny"].idxmax()]
        out.append(Line(folder.label, "cost", "info", f"Costliest case: {worst['case']}, {money(worst['objective_cny'], cur)}, "
                                                      f"{money_change(worst['objective_cny'] - base['objective_cny'], cur)} against {base['case']} "
                                                      f"({money(base['objective_cny'], cur)})."))
    if "red_warnings" in cases:
        red = cases[cases["red_warnings"] > 0]
        if len(red):
            out.append(Line(folder.label, "warnings", "red", "Red early warnings: " + ", ".join(f"{r['case']} {int(r['red_warnings'])}" for r in red.to_dict("records")) + "."))
    if "end_deficit_t" in cases:
        deficit = cases[cases["end_deficit_t"] > TOL_T]
        if len(deficit):
            out.append(Line(folder.label, "end_deficit", "amber", "Ending below the end-stock target (the end rule, not unmet demand): "
                            + ", ".join(f"{r['case']} {tonnes(r['end_deficit_t'])}" for r in deficit.to_dict("records")) + "."))
    return out


def case_cols(cur: str) -> list[Col]:
    return [Col("rank", "rank (1 = worst)", "count"), Col("case", "case"), Col("status", "status"), Col("objective_cny", "cost", cur),
            Col("delta_objective_cny", "cost change against base", cur), Col("unmet_t", "unmet", "t"), Col("delta_unmet_t", "unmet change against base", "t"),
            Col("end_deficit_t", "end-stock deficit", "t"), Col("lowest_days_of_cover", "lowest cover", "days"), Col("lowest_cover_node", "lowest cover at"),
            Col("lowest_cover_period", "lowest cover week"), Col("red_warnings", "red warnings", "count"), Col("amber_warnings", "amber warnings", "count"),
            Col("co2_t", "CO2", "t CO2"), Col("truck_share_tkm", "truck share of t·km", "share 0–1")]


def compare_page(folder: Folder, figs: Figures) -> tuple[str, list[Line], list[Section | None], dict[str, pd.DataFrame]]:
    """(title, summary lines, sections, page tables) of a compare or sweep folder."""
    require(folder, {"cases": ("case", "status", "objective_cny", "unmet_t")})
    cur = folder.currency
    cases = case_order(folder)
    short = folder.tables.get("shortfalls", pd.DataFrame(columns=["case", "node", "name", "region", "demand_class", "unmet_t", "delta_unmet_t", "weeks"]))
    short = short.assign(name=short["node"].map(folder.name) if "name" not in short else short["name"].where(short["name"] != "", short["node"]))
    short = short[short["unmet_t"] > TOL_T] if len(short) else short
    order = {c: i for i, c in enumerate(cases["case"])}
    short = short.assign(_o=short["case"].map(order)).sort_values(["_o", "unmet_t"], ascending=[True, False], kind="stable").drop(columns="_o")
    lines = shortfall_lines(folder, short, cases) + cases_lines(folder, cases) + warning_lines(folder)
    if folder.kind == "sweep":
        sweep = folder.summary.get("sweep") or {}
        lines.append(Line(folder.label, "cases", "info", f"{len(cases) - 1} scenario(s) swept against the base ({sweep.get('scenarios', '–')} from files, "
                                                         f"{sweep.get('random', 0)} random, seed {sweep.get('seed', '–')}); ranked by unmet tonnes, then cost."))
    who = frame_table(short, [Col("case", "case"), Col("name", "demand centre"), Col("region", "region"), Col("demand_class", "class"), Col("unmet_t", "unmet", "t"),
                              Col("delta_unmet_t", "change against base", "t"), Col("weeks", "weeks short")], bad=lambda r, c: c == "unmet_t", limit=MAX_ROWS) \
        if len(short) else "<p>No case leaves any demand centre short (0 t).</p>"
    others = cases[cases["case"] != base_row(cases)["case"]]
    labels = [chart_label(figs, str(c)) for c in others["case"]]
    with figs.context():
        charts = [bar_chart(figs, "cost_change.png", f"Cost change against the base ({cur})", labels, list(others.get("delta_objective_cny", pd.Series(dtype=float))), cur),
                  bar_chart(figs, "unmet.png", "Unmet demand by case (t)", [chart_label(figs, str(c)) for c in cases["case"]], list(cases["unmet_t"]), "t",
                            colour="#b30000")]
    title = "Cases ranked by unmet, then cost" if folder.kind == "sweep" else "Cases"
    sections = [Section("short", "Who goes short, case by case", who),
                Section("cases", title, frame_table(cases, case_cols(cur), bad=lambda r, c: c == "unmet_t" and r[c] > TOL_T, limit=MAX_ROWS), charts),
                red_warnings_section(folder)]
    if "warning_value" in folder.tables:
        wv = folder.tables["warning_value"]
        sections.append(Section("warning_value", "What warning is worth", frame_table(wv, auto_cols(wv, cur), limit=MAX_ROWS)))
    sections += [warnings_section(folder), record_section(folder, [("foresight", str(folder.summary.get("foresight", "–"))),
                                                                  ("end of horizon", str(folder.summary.get("end_of_horizon", "–")))])]
    name = (folder.summary.get("dataset") or {}).get("name") or folder.label
    return f"{'Sweep' if folder.kind == 'sweep' else 'Comparison'}: {name}", lines, sections, {"ranked_cases" if folder.kind == "sweep" else "case_table": cases}


def red_warnings_section(folder: Folder) -> Section | None:
    w = folder.tables.get("warnings")
    if w is None or "severity" not in w:
        return None
    red = w[w["severity"] == "red"]
    amber = int((w["severity"] == "amber").sum())
    note = f'<p class="note">{amber:,} amber warning(s) besides; every warning is in results.xlsx, sheet warnings.</p>'
    if red.empty:
        return Section("red", "Red warnings", "<p>No red warning in any case.</p>" + note)
    cols = [Col("case", "case"), Col("period", "week"), Col("name", "demand centre"), Col("product", "product"), Col("kind", "kind"), Col("value", "value", "number"),
            Col("unit", "unit of value"), Col("message", "warning")]
    return Section("red", "Red warnings", frame_table(red, cols, bad=lambda r, c: c == "message", limit=MAX_ROWS) + note)


# --------------------------------------------------------------------------- screen
def hurt_by_element(folder: Folder) -> dict[tuple[str, str], str]:
    """(kind, element) -> the demand centres its outage leaves short, most tonnes first:
    ``Plant X 300 t (2026-W50 … 2026-W51)``."""
    hurt = folder.tables.get("hurt")
    if hurt is None or hurt.empty:
        return {}
    hurt = hurt[hurt["extra_unmet_t"] > TOL_T]
    out = {}
    for (kind, element), rows in hurt.groupby(["kind", "element"], sort=False):
        parts = []
        for node, r in rows.groupby("node", sort=False):
            periods = list(dict.fromkeys(r["period"]))
            span = periods[0] if len(periods) == 1 else f"{periods[0]} … {periods[-1]}"
            parts.append((float(r["extra_unmet_t"].sum()), f"{folder.name(node)} {num(float(r['extra_unmet_t'].sum()))}\u00a0t ({span})"))
        out[(str(kind), str(element))] = "; ".join(p for _, p in sorted(parts, key=lambda p: -p[0]))
    return out


def screen_page(folder: Folder, figs: Figures) -> tuple[str, list[Line], list[Section | None], dict[str, pd.DataFrame]]:
    require(folder, {"screen": ("rank", "kind", "element", "status", "delta_unmet_t", "delta_cost_cny"), "hurt": ("kind", "element", "node", "period", "extra_unmet_t")})
    cur, s = folder.currency, folder.summary
    ranked = folder.tables["screen"].sort_values("rank", kind="stable").reset_index(drop=True)
    centres = hurt_by_element(folder)
    ranked["centres_hurt"] = [centres.get((str(k), str(el)), "") for k, el in zip(ranked["kind"], ranked["element"])]
    failing = ranked[(ranked["delta_unmet_t"] > TOL_T) | (ranked["delta_cost_cny"] > TOL_CNY) | (ranked["status"] != "optimal")]
    short = ranked[ranked["delta_unmet_t"] > TOL_T]
    lines = [Line(folder.label, "screen", "info", f"{s.get('elements', len(ranked))} element(s) taken out one at a time "
                                                  f"({', '.join(f'{k} {n}' for k, n in (s.get('by_kind') or {}).items())}), {s.get('window', 'whole horizon')}; "
                                                  f"ranked by {s.get('ranking', 'extra unmet tonnes, then extra cost')}.")]
    if len(short):
        lines.append(Line(folder.label, "shortage", "red", f"{len(short)} outage(s) leave demand unmet; the worst:"))
        for r in short.head(NAMED).to_dict("records"):
            lines.append(Line(folder.label, "shortage", "red", f"#{int(r['rank'])} {r['kind']} {r['element']}: +{tonnes(r['delta_unmet_t'])} unmet, "
                                                               f"{money_change(r['delta_cost_cny'], cur)}; short: {r['centres_hurt'] or '–'}."))
    else:
        lines.append(Line(folder.label, "shortage", "ok", "No single outage leaves any demand unmet."))
    no_plan = ranked[ranked["status"] != "optimal"]
    if len(no_plan):
        lines.append(Line(folder.label, "status", "red", "No plan without: " + ", ".join(f"{r['kind']} {r['element']} ({r['status']})" for r in no_plan.to_dict("records")) + "."))
    if len(ranked) and ranked["delta_cost_cny"].notna().any():
        costliest = ranked.loc[ranked["delta_cost_cny"].idxmax()]
        lines.append(Line(folder.label, "cost", "info", f"Costliest outage: {costliest['kind']} {costliest['element']}, {money_change(costliest['delta_cost_cny'], cur)} "
                                                        f"against the base plan ({money((s.get('base') or {}).get('objective', float('nan')), cur)})."))
    lines += warning_lines(folder)
    cols = [Col("rank", "rank (1 = worst)", "count"), Col("kind", "kind"), Col("element", "element out"), Col("status", "status"), Col("delta_unmet_t", "extra unmet", "t"),
            Col("delta_cost_cny", "cost increase", cur), Col("delta_end_deficit_t", "extra end-stock deficit", "t"), Col("effect", "effect"),
            Col("centres_hurt", "demand centres hurt (extra unmet, weeks)")]
    top_unmet = short.head(TOP_BARS)
    top_cost = failing.sort_values("delta_cost_cny", ascending=False, kind="stable").head(TOP_BARS)
    with figs.context():
        charts = [bar_chart(figs, "screen_unmet.png", "Extra unmet demand by outage (t), worst first", [f"{k} {el}" for k, el in zip(top_unmet["kind"], top_unmet["element"])],
                            list(top_unmet["delta_unmet_t"]), "t", colour="#b30000"),
                  bar_chart(figs, "screen_cost.png", f"Cost increase by outage ({cur}), largest first", [f"{k} {el}" for k, el in zip(top_cost["kind"], top_cost["element"])],
                            list(top_cost["delta_cost_cny"]), cur)]
    body = frame_table(failing, cols, bad=lambda r, c: c in ("delta_unmet_t", "centres_hurt") and r["delta_unmet_t"] > TOL_T, limit=MAX_ROWS) if len(failing) \
        else "<p>No outage raises the cost or leaves demand unmet.</p>"
    quiet = len(ranked) - len(failing)
    if quiet:
        body += f'<p class="note">{quiet} element(s) whose outage changes neither cost nor unmet demand are left out here (results.xlsx, sheet screen, has them).</p>'
    sections = [Section("failures", "Outages ranked, worst first", body, charts), centres_section(folder),
                warnings_section(folder), record_section(folder, [("window", str(s.get("window", "–"))), ("foresight", str(s.get("foresight", "–"))),
                                                                  ("end of horizon", str(s.get("end_of_horizon", "–")))])]
    name = (s.get("dataset") or {}).get("name") or folder.label
    return f"N-1 screen: {name}", lines, sections, {"failures": failing}


def centres_section(folder: Folder) -> Section | None:
    """The demand centres that outages leave short: by how many outages, and the most tonnes."""
    hurt = folder.tables["hurt"]
    hurt = hurt[hurt["extra_unmet_t"] > TOL_T]
    if hurt.empty:
        return None
    per = hurt.groupby(["node", "kind", "element"], sort=False)["extra_unmet_t"].sum().reset_index()
    rows = []
    for node, r in per.groupby("node", sort=False):
        worst = r.loc[r["extra_unmet_t"].idxmax()]
        rows.append({"centre": folder.name(node), "node": node, "outages": len(r), "worst_t": float(worst["extra_unmet_t"]),
                     "worst": f"{worst['kind']} {worst['element']}"})
    frame = pd.DataFrame(rows).sort_values(["outages", "worst_t"], ascending=False, kind="stable")
    return Section("centres", "Demand centres hurt", frame_table(frame, [Col("centre", "demand centre"), Col("node", "id"), Col("outages", "outages leaving it short", "count"),
                                                                         Col("worst", "worst outage"), Col("worst_t", "unmet in the worst outage", "t")])
                   + f'<p class="note">{e("From hurt.csv: extra unmet tonnes by outage, centre and week.")}</p>')
