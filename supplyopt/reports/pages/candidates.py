"""Pages of the folders about building things: ``evaluate`` (one candidate with and without,
or two side by side), ``invest`` (what is built under a budget and each candidate's
economics; staged over years: the schedule and its cash flow; over a scenario set: the shared
choice per scenario) and ``frontier`` (least cost as the truck-share cap tightens)."""

from __future__ import annotations

import pandas as pd

from supplyopt.reports.charts import Chart, Figures
from supplyopt.reports.executive import Line, money, money_change, percent, tonnes
from supplyopt.reports.htmlreport import table
from supplyopt.reports.pages.common import (TOL_T, Col, Folder, Section, auto_cols, bar_chart, frame_table, line_chart, missing, num, record_section,
                                            require, unit_of, warning_lines, warnings_section)

MAX_ROWS = 40


def economics_cols(cur: str) -> list[Col]:
    """The per-candidate economics a director compares: cash and social NPV, payback, trucks, CO2."""
    return [Col("candidate", "candidate"), Col("basis", "basis"), Col("opens", "opens"), Col("build_cost_cny", "build cost", cur),
            Col("annualised_cost_cny_per_year", "annualised cost incl. O&M", f"{cur}/yr"), Col("cash_savings_cny_per_year", "cash savings", f"{cur}/yr"),
            Col("external_savings_cny_per_year", "external savings (trucks, CO2)", f"{cur}/yr"), Col("cash_npv_cny", "cash NPV", cur),
            Col("social_npv_cny", "social NPV", cur), Col("simple_payback_years", "simple payback", "years"),
            Col("discounted_payback_years", "discounted payback", "years"), Col("truck_trips_removed_per_year", "truck trips avoided", "trips/yr"),
            Col("truck_t_removed_per_year", "truck tonnes avoided", "t/yr"), Col("co2_t_avoided_per_year", "CO2 avoided", "t CO2/yr")]


def economics_lines(folder: Folder, econ: pd.DataFrame) -> list[Line]:
    cur, out = folder.currency, []
    for r in econ.to_dict("records"):
        npv = r.get("cash_npv_cny")
        pay = r.get("simple_payback_years")
        words = (f"{r['candidate']}: cash NPV {money(npv, cur)}, social NPV {money(r.get('social_npv_cny'), cur)}; "
                 + (f"pays back in {num(pay)} years" + (f" ({num(r.get('discounted_payback_years'))} discounted)" if not missing(r.get("discounted_payback_years")) else "")
                    if not missing(pay) else "never pays back on cash savings")
                 + f"; {num(r.get('truck_trips_removed_per_year'), 0)} truck trips and {num(r.get('co2_t_avoided_per_year'))} t CO2 avoided a year.")
        out.append(Line(folder.label, "economics", "ok" if not missing(npv) and npv > 0 else "amber", words))
    return out


def comparison_section(folder: Folder, title: str = "With and without") -> Section | None:
    """comparison.csv: each measure without, with and the change, in its unit."""
    t = folder.tables.get("comparison")
    if t is None or t.empty:
        return None
    rows = [[r["metric"], unit_of(str(r["metric"]), folder.currency).replace("share 0–1", "%")]
            + [num(100 * r[c], 4) if unit_of(str(r["metric"])) == "share 0–1" and not missing(r[c]) else num(r[c]) for c in ("without", "with", "change")]
            for r in t.to_dict("records")]
    return Section("comparison", title, table(["measure", "unit", "without (in the row's unit)", "with (in the row's unit)", "change (in the row's unit)"], rows, numeric={2, 3, 4}))


# --------------------------------------------------------------------------- evaluate
def evaluate_page(folder: Folder, figs: Figures):
    cur, s = folder.currency, folder.summary
    if "against" in folder.tables:
        require(folder, {"against": ("metric", "unit"), "economics": ("candidate",)})
        econ = folder.tables["economics"]
        names = [str(c) for c in s.get("candidates") or econ["candidate"]]
        lines = [Line(folder.label, "against", "info", f"{' against '.join(names)}: each evaluated with and without on one kept model, side by side per year.")]
        lines += economics_lines(folder, econ) + warning_lines(folder)
        against = folder.tables["against"]
        body = frame_table(against, [Col("metric", "measure"), Col("unit", "unit")] + [Col(c, c, "number") for c in against.columns if c not in ("metric", "unit")])
        sections = [Section("against", "Side by side", body + '<p class="note">Each figure in the unit of its row.</p>'),
                    Section("economics", "Economics", frame_table(econ, economics_cols(cur)), [npv_chart(figs, econ, cur)]), warnings_section(folder), record_section(folder)]
        return f"Evaluate: {' against '.join(names)}", lines, sections, {}
    require(folder, {"economics": ("candidate", "cash_npv_cny", "social_npv_cny"), "comparison": ("metric", "without", "with", "change")})
    econ = folder.tables["economics"]
    change = folder.tables["comparison"].set_index("metric")["change"]
    candidate = s.get("candidate") or (econ["candidate"].iloc[0] if len(econ) else folder.label)
    saved = -float(change.get("objective_cny", float("nan")))
    lines = [Line(folder.label, "savings", "ok" if saved > 0 else "amber",
                  f"{candidate} {'saves' if saved >= 0 else 'costs'} {money(abs(saved), cur)} over the horizon (objective without − with, its investment charge included); "
                  f"operating cost {money_change(float(change.get('operating_cny', 0.0)), cur)}.")]
    if "unmet_t" in change and abs(change["unmet_t"]) > TOL_T:
        lines.append(Line(folder.label, "shortage", "ok" if change["unmet_t"] < 0 else "red", f"Unmet demand {'falls' if change['unmet_t'] < 0 else 'rises'} by {tonnes(abs(change['unmet_t']))}."))
    lines += economics_lines(folder, econ) + warning_lines(folder)
    moved = folder.tables.get("flows_moved")
    sections = [Section("economics", "Economics", frame_table(econ, economics_cols(cur)), [npv_chart(figs, econ, cur)]), comparison_section(folder)]
    if moved is not None and len(moved):
        sections.append(Section("moved", "Flows moved", frame_table(moved, [Col("link", "link"), Col("from", "from"), Col("to", "to"), Col("mode", "mode"),
                                                                            Col("without_t", "without", "t"), Col("with_t", "with", "t"), Col("change_t", "change", "t")],
                                                                 limit=MAX_ROWS)))
    sections += [warnings_section(folder), record_section(folder, assumption_items(s))]
    return f"Evaluate: {candidate}", lines, sections, {}


def assumption_items(s: dict) -> list[tuple[str, str]]:
    a = s.get("assumptions") or {}
    items = [(k.replace("_", " "), str(v)) for k, v in a.items()] if isinstance(a, dict) else []
    if s.get("assumption"):
        items.append(("assumption", str(s["assumption"])))
    basis = s.get("year_basis") or {}
    if basis:
        items.append(("year basis", f"{num(basis.get('horizon_days'))} days scaled ×{num(basis.get('year_scale'))} to a year"))
    return items


def npv_chart(figs: Figures, econ: pd.DataFrame, cur: str) -> Chart | None:
    if econ.empty or "cash_npv_cny" not in econ:
        return None
    labels = list(econ["candidate"].astype(str))
    with figs.context():
        return bar_chart(figs, "npv.png", f"Cash NPV by candidate ({cur}); red: below zero", labels, list(econ["cash_npv_cny"]), cur,
                         bad=[not missing(v) and v < 0 for v in econ["cash_npv_cny"]])


# --------------------------------------------------------------------------- invest
def invest_page(folder: Folder, figs: Figures):
    if "cash_flow" in folder.tables:
        return staged_page(folder, figs)
    cur, s = folder.currency, folder.summary
    require(folder, {"candidates": ("id", "chosen", "build_cost_cny")})
    cands = folder.tables["candidates"]
    chosen = [str(c) for c in s.get("chosen") or cands.loc[cands["chosen"] == True, "id"]]  # noqa: E712 — a boolean column
    budget = s.get("budget_cny")
    lines = [Line(folder.label, "built", "info" if chosen else "amber",
                  (f"Build {', '.join(chosen)}: {money(float(s.get('build_cost_cny', 0) or 0), cur)}" if chosen else "Build nothing")
                  + (f" of a budget of {money(budget, cur)}" if not missing(budget) else "") + ".")]
    if not missing(s.get("savings_cny")):
        lines.append(Line(folder.label, "savings", "ok" if s["savings_cny"] > 0 else "info",
                          f"Saves {money(s['savings_cny'], cur)} over the horizon against nothing built (investment charge included); operating savings "
                          f"{money(s.get('operating_savings_cny') or 0, cur)}."))
    if s.get("mip_gap"):
        lines.append(Line(folder.label, "gap", "amber", f"MIP gap {percent(s['mip_gap'])} ({money(s.get('mip_gap_cny') or 0, cur)}): a better set may exist within it."))
    mv = s.get("marginal_value_of_budget") or {}
    if mv:
        more = mv.get("chosen_at_budget_plus_step") or []
        step = money(mv.get("budget_step_cny") or 0, cur)
        if sorted(more) == sorted(chosen):  # the same set: say so, not "would build" what is built already
            lines.append(Line(folder.label, "budget", "info", f"{step} more budget would change nothing: the same set ({', '.join(more) or 'nothing'}) is built."))
        else:
            lines.append(Line(folder.label, "budget", "info", f"{step} more budget would build {', '.join(more) or 'nothing'} and save "
                                                              f"{num(mv.get('cny_saved_per_cny_of_budget'))} {cur} per {cur} of budget."))
    econ = folder.tables.get("economics")
    if econ is not None:
        lines += economics_lines(folder, econ[econ["candidate"].isin(chosen)])
    lines += warning_lines(folder)
    built = cands.sort_values(["chosen", "id"], ascending=[False, True], kind="stable")
    sections = [Section("built", "What is built", frame_table(built, [Col("id", "candidate"), Col("chosen", "chosen"), Col("kind", "kind"), Col("target", "on"),
                                                                     Col("build_cost_cny", "build cost", cur), Col("annual_cost_cny", "annualised cost", f"{cur}/yr"),
                                                                     Col("horizon_cost_cny", "charge over the horizon", cur), Col("earliest_period", "earliest period"),
                                                                     Col("excludes", "excludes"), Col("requires", "requires")]
                                                             + [Col(c, c.replace("_", " ")) for c in cands.columns if c.startswith("chosen_")],
                                                             bad=lambda r, c: False))]
    if econ is not None and len(econ):
        sections.append(Section("economics", "Economics per candidate", frame_table(econ, economics_cols(cur))
                                + '<p class="note">Basis: a chosen candidate is valued at the margin (the chosen set with and without it); one not chosen, alone '
                                  "against nothing built. Savings per year scale the horizon to a year (see the warnings).</p>", [npv_chart(figs, econ, cur)]))
    if "scenarios" in folder.tables:
        sc = folder.tables["scenarios"]
        sections.append(Section("scenarios", "Scenarios", frame_table(sc, auto_cols(sc, cur), limit=MAX_ROWS)))
    sections.append(comparison_section(folder, "With the chosen set and without"))
    if "frontier" in folder.tables:
        sections.append(frontier_section(folder, figs))
    sections += [warnings_section(folder), record_section(folder, assumption_items(s))]
    return f"Invest: {(s.get('dataset') or {}).get('name') or folder.label}", lines, sections, {}


def staged_page(folder: Folder, figs: Figures):
    """invest --years: the build schedule and the cash flow year by year."""
    cur, s = folder.currency, folder.summary
    require(folder, {"schedule": ("candidate", "build_year", "opens", "build_cost_cny"), "cash_flow": ("year", "capital_cny", "net_cash_flow_cny")})
    sched = folder.tables["schedule"].copy()
    sched["opens"] = pd.to_numeric(sched["opens"], errors="coerce")  # a year here (a period label in evaluate's economics)
    built = sched[sched["build_year"] > 0].sort_values(["build_year", "candidate"], kind="stable")
    flow = folder.tables["cash_flow"]
    lines = [Line(folder.label, "built", "info", "Build " + "; ".join(f"{r['candidate']} paid in {r['build_year']:.0f}, open from {r['opens']:.0f} "
                                                                        f"({money(r['build_cost_cny'], cur)})" for r in built.to_dict("records")) + "."
                  if len(built) else "Build nothing in the years planned.")]
    if not missing(s.get("present_value_saved_cny")):
        lines.append(Line(folder.label, "savings", "ok" if s["present_value_saved_cny"] > 0 else "info",
                          f"Present value saved {money(s['present_value_saved_cny'], cur)} against nothing built "
                          f"({money(s.get('present_value_nothing_built_cny') or 0, cur)} → {money(s.get('present_value_cny') or 0, cur)}), "
                          f"discount rate {percent(s.get('discount_rate') or 0)}."))
    budget = s.get("annual_budget_cny") or {}
    if budget:
        lines.append(Line(folder.label, "budget", "info", "Budget per year: " + ", ".join(f"{y} {money(v, cur, exact=False)}" for y, v in budget.items()) + "."))
    lines += warning_lines(folder)
    sched["built"] = sched["build_year"] > 0
    sched = sched.sort_values(["built", "build_year", "candidate"], ascending=[False, True, True], kind="stable")
    sched_cols = [Col("candidate", "candidate"), Col("kind", "kind"), Col("built", "built"), Col("build_year", "paid in", "year"), Col("opens", "opens", "year"),
                  Col("lag_years", "lag", "years"), Col("build_cost_cny", "build cost", cur), Col("annual_charge_cny", "annual charge", f"{cur}/yr")]
    shown = sched.assign(build_year=sched["build_year"].where(sched["built"]), opens=sched["opens"].where(sched["built"]))
    flow_cols = [Col("year", "year", "year"), Col("open", "open"), Col("discount_factor", "discount factor", "number"), Col("capital_cny", "capital", cur),
                 Col("om_cny", "O&M", cur), Col("annual_charge_cny", "annual charge", cur), Col("cash_operating_cny", "cash operating cost", cur),
                 Col("cash_operating_nothing_built_cny", "cash operating, nothing built", cur), Col("cash_savings_cny", "cash savings", cur),
                 Col("penalties_and_externalities_saved_cny", "penalties and externalities saved", cur), Col("net_cash_flow_cny", "net cash flow", cur),
                 Col("saved_after_charge_cny", "saved after charge", cur), Col("present_value_saved_cny", "present value saved", cur)]
    years = [f"{y:.0f}" for y in flow["year"]]
    with figs.context():
        charts = [line_chart(figs, "cash_flow.png", f"Net cash flow and its running total ({cur})", list(range(len(years))),
                             {"net cash flow": list(flow["net_cash_flow_cny"]), "running total": list(flow["net_cash_flow_cny"].cumsum())}, cur, "year", years)]
    sections = [Section("schedule", "Build schedule", frame_table(shown, sched_cols)),
                Section("cash_flow", "Cash flow, year by year", frame_table(flow, flow_cols), charts),
                Section("paths", "Year paths", "<ul>" + "".join(f"<li>{p}</li>" for p in s.get("year_paths") or []) + "</ul>") if s.get("year_paths") else None,
                warnings_section(folder), record_section(folder, assumption_items(s))]
    return f"Invest over years {min(years, default='')}–{max(years, default='')}: {(s.get('dataset') or {}).get('name') or folder.label}", lines, sections, {}


# --------------------------------------------------------------------------- frontier
def share_column(folder: Folder) -> str:
    t = folder.tables["frontier"]
    measure = folder.summary.get("measure")
    return measure if isinstance(measure, str) and measure in t else next((c for c in t.columns if c.endswith("share") or "share" in c), "cap")


def frontier_section(folder: Folder, figs: Figures) -> Section:
    cur = folder.currency
    t = folder.tables["frontier"]
    measure = share_column(folder)
    knee = folder.summary.get("knee") or {}
    x = [100 * v for v in t["cap"]]
    marks = [(100 * knee["cap"], knee["objective_cny"], "knee")] if knee.get("cap") is not None and knee.get("objective_cny") is not None else []
    marks += [(100 * c, o, f"{num(u)} t unmet") for c, o, u in zip(t["cap"], t["objective_cny"], t.get("unmet_t", [0] * len(t))) if u > TOL_T]
    with figs.context():
        chart = line_chart(figs, "frontier.png", f"Least cost against the cap on {measure.replace('_', ' ')} ({cur})", x, {"cost": list(t["objective_cny"])}, cur,
                           f"cap on {measure.replace('_', ' ')} (%)", [f"{v:.1f}" for v in x], marks)
    cols = [Col("cap", "cap", "share 0–1"), Col(measure, measure.replace("_", " "), "share 0–1"), Col("objective_cny", "cost", cur),
            Col("extra_cost_cny", "extra cost against uncapped", cur), Col("extra_per_point_cny", "extra cost per point of share", f"{cur} per percentage point"),
            Col("unmet_t", "unmet", "t"), Col("truck_tkm", "truck t·km", "t·km"), Col("co2_t", "CO2", "t CO2"), Col("investment_cny", "investment charge", cur),
            Col("mip_gap", "MIP gap", "share 0–1")]
    return Section("frontier", "Frontier", frame_table(t, cols, bad=lambda r, c: c == "unmet_t" and r[c] > TOL_T), [chart])


def frontier_page(folder: Folder, figs: Figures):
    cur, s = folder.currency, folder.summary
    require(folder, {"frontier": ("cap", "objective_cny", "unmet_t")})
    t = folder.tables["frontier"]
    measure = share_column(folder).replace("_", " ")
    lines = []
    if len(t):
        first, last = t.iloc[0], t.iloc[-1]
        lines.append(Line(folder.label, "frontier", "info", f"Uncapped, the {measure} is {percent(s.get('unconstrained_share', first['cap']))}; capping it at "
                                                             f"{percent(last['cap'])} raises the least cost from {money(first['objective_cny'], cur)} to "
                                                             f"{money(last['objective_cny'], cur)} ({money_change(last['objective_cny'] - first['objective_cny'], cur)})."))
        knee = s.get("knee") or {}
        if knee.get("cap") is not None:
            lines.append(Line(folder.label, "knee", "info", f"The knee, where each further point of share starts to cost most: cap {percent(knee['cap'])}, "
                                                             f"cost {money(knee['objective_cny'], cur)}."))
        short = t[t["unmet_t"] > TOL_T]
        if len(short):
            lines.append(Line(folder.label, "shortage", "red", f"Demand goes unmet at caps of {', '.join(percent(c) for c in short['cap'])} "
                                                                f"(up to {tonnes(float(short['unmet_t'].max()))}): below the lowest share that delivers everything."))
        if not missing(s.get("lowest_feasible_share")):
            lines.append(Line(folder.label, "lowest", "info", f"Lowest share that delivers what the uncapped plan does: {percent(s['lowest_feasible_share'])}."))
    lines += warning_lines(folder)
    items = [("measure", str(s.get("measure", "–"))), ("points", str(s.get("points", len(t)))), ("with candidates", str(s.get("with_candidates", False))),
             ("units", str(s.get("units", "–")))]
    sections = [frontier_section(folder, figs), warnings_section(folder), record_section(folder, items)]
    return f"Truck-share frontier: {(s.get('dataset') or {}).get('name') or folder.label}", lines, sections, {}
