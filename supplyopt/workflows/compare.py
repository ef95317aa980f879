"""Compare scenarios with the base plan: KPI deltas, shortfalls by demand centre, warnings.

    cmp = compare("data/shanxi", ["scenarios/cold_wave.yaml", "scenarios/daqin_winter_disruption.yaml"],
                  model="models/default.yaml")
    cmp.cases            # one row per case (base first): KPIs and their change from the base
    cmp.write("results/compare")

The base and every scenario are solved on one :class:`~supplyopt.api.Study` (one kept model):
a scenario that changes only bounds, costs or right-hand sides is a warm re-solve from the
last basis; one that changes the model's shape is rebuilt. A scenario without a plan
(infeasible, …) is a finding with its explanation, not a crash.

Tables written (units in the column names; deltas are case − base):
  cases.csv                one row per case: status, every KPI, delta_* columns
  unmet_by_class_week.csv  case, demand_class, period, unmet_t, base_unmet_t, delta_unmet_t
  shortfalls.csv           case, node, name, region, demand_class, unmet_t, base_unmet_t,
                           delta_unmet_t, weeks (the weeks it is short, as runs W1…W2)
  warnings.csv             case + the early-warning list of each case (warning.py)
  region_gaps.csv          case + supply–demand gap by region and week (warning.py)
  summary.json             data set, profile, each case's status, message and explanation
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from supplyopt import study as api
from supplyopt.io.write import csv_text, round_floats, summary_json
from supplyopt.io.write import write_folder as write
from supplyopt.model import foresight
from supplyopt.results.warning import WARNING_COLUMNS, region_gaps, week_runs

TOL_T = 0.5  # tonnes: smaller unmet is solver noise
NO_CLASS = "all"  # demand class label where the data set has no demand_class column


@dataclass
class Case:
    """One solved (or failed) case: ``plan`` is None when there is no plan, then ``error``."""

    name: str
    plan: object | None
    error: api.NoPlan | None = None
    seconds: float = 0.0
    warm: bool = False
    paths: list[str] = field(default_factory=list)
    description: str = ""  # the scenario's description (random sweeps: what is out, when)


@dataclass
class Comparison:
    """The base and its scenarios side by side; tables as described in the module doc."""

    network: object
    options: object
    cases: pd.DataFrame
    unmet_by_class_week: pd.DataFrame
    shortfalls: pd.DataFrame
    warnings: pd.DataFrame
    region_gaps: pd.DataFrame
    summary: dict
    warning_value: pd.DataFrame | None = None  # --warning-weeks: each scenario with 0, 1, 2 … weeks of warning, and perfect

    def write(self, out_dir: str | Path) -> Path:
        """Write the tables and summary.json into ``out_dir``, atomically."""

        names = ["cases", "unmet_by_class_week", "shortfalls", "warnings", "region_gaps"] + (["warning_value"] if self.warning_value is not None else [])
        files = {f"{name}.csv": csv_text(getattr(self, name)) for name in names}
        files["summary.json"] = summary_json(self.summary)
        return write_folder(out_dir, files)


# --------------------------------------------------------------------------- running
def run_cases(study: api.Study, scenarios, warm: bool = True) -> list[Case]:
    """Solve the base and each scenario (path, dict, Scenario or list applied in order).

    ``warm``: re-solve on the study's kept model (default); False solves each case on a
    fresh model (the cold reference)."""
    cases = []
    for sc in api.scenarios([None, *scenarios], study.base):  # every file's problems at once, before any solve
        name = "base" if sc is None else sc.name
        runner = study if warm else study.fresh()
        builds = runner.stats["builds"]
        t0 = time.perf_counter()
        try:
            plan, error = runner.apply(sc).solve(), None
        except api.NoPlan as err:
            plan, error = None, err
        # warm: no model was built for this case (every solve of it, re-plans included, changed the kept one)
        cases.append(Case(_unique(name, cases), plan, error, time.perf_counter() - t0, runner.stats["builds"] == builds and runner.stats["warm"] > 0,
                          list(sc.paths) if sc else [], sc.description if sc else ""))
    study.reset()
    return cases


def _unique(name: str, cases: list[Case]) -> str:
    names = {c.name for c in cases}
    if name not in names:
        return name
    i = 2
    while f"{name} #{i}" in names:
        i += 1
    return f"{name} #{i}"


def compare(network, scenarios, model=None, warm: bool = True, warning_weeks=None, extend=None, **solver) -> Comparison:
    """Solve the base and each scenario and tabulate the differences (see module doc).
    ``warning_weeks`` (e.g. ``[0, 1, 2, 4]``): also solve each scenario as a surprise known
    that many weeks earlier, and with perfect foresight (:func:`warning_value`)."""
    study = network if isinstance(network, api.Study) else api.Study(network, model=model, extend=extend, **solver)
    if not isinstance(network, api.Study) and isinstance(model, (str, Path)):
        study.profile_path = str(model)
    cmp = tabulate(study.base, study.options, run_cases(study, scenarios, warm=warm), profile=study.profile_path, extension=study.extension)
    if warning_weeks:
        cmp.warning_value = warning_value(study, scenarios, warning_weeks)
        cmp.summary["warning_weeks"] = [int(w) for w in warning_weeks]
    return cmp


def warning_value(study: api.Study, scenarios, weeks) -> pd.DataFrame:
    """What early warning is worth: every scenario solved as a surprise known ``w`` weeks
    before its edits' ``known_from`` (for each ``w`` in ``weeks``; at the first week at the
    earliest), and with perfect foresight. One row each: unmet by class, end-stock deficit,
    cost, and ``value_cny`` — the cost saved against no warning (``w`` = 0)."""
    opt = study.options
    modes = [("surprise", int(w)) for w in weeks] + [("perfect", None)]
    rows = []
    try:
        for sc in api.scenarios(scenarios, study.base):
            for mode, w in modes:
                study.options = dataclasses.replace(opt, foresight=mode) if opt.foresight != mode else opt
                case = sc if mode == "perfect" else foresight.with_warning(sc, study.base, w)
                label = "perfect foresight" if mode == "perfect" else ("surprise (no warning)" if w == 0 else f"{w} week(s) of warning")
                known = min(t.known for t in foresight.timings(study.base, case)) if case.edits else 0
                row = {"case": sc.name, "foresight": label, "warning_weeks": w, "known_from": study.base.periods[0 if mode == "perfect" else known]}
                try:
                    plan = study.apply(case).solve()
                except api.NoPlan as err:
                    rows.append({**row, "status": err.status})
                    continue
                k = kpis(study.base, plan)
                row.update(status=plan.summary["status"], objective_cny=k["objective_cny"], unmet_t=k["unmet_t"],
                           **{c: v for c, v in k.items() if c.startswith("unmet_") and c != "unmet_t"}, end_deficit_t=k["end_deficit_t"])
                rows.append(row)
    finally:
        study.options = opt
        study.reset()
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    for c in [c for c in out.columns if c.startswith("unmet_")]:
        out[c] = out[c].astype(float).fillna(0.0) if c != "unmet_t" else out[c]
    none = out[out["warning_weeks"] == 0].set_index("case")["objective_cny"] if "objective_cny" in out else pd.Series(dtype=float)
    out["value_cny"] = out["case"].map(none) - out["objective_cny"] if "objective_cny" in out else np.nan
    return out


# --------------------------------------------------------------------------- KPIs
def kpis(net, plan) -> dict:
    """Headline figures of one plan, flat, units in the names (CNY, t, days, share 0–1)."""
    s = plan.summary or plan.kpis
    out = {"objective_cny": s["objective"]}
    out.update({f"cost_{k}_cny": v for k, v in s["costs"].items()})
    out.update({k: s[k] for k in ("demand_t", "delivered_t", "unmet_t", "production_t", "safety_shortfall_t", "end_stock_t")})
    out["end_deficit_t"] = s.get("end_deficit_t", 0.0)
    for cls, v in unmet_by_class(plan).items():
        out[f"unmet_{cls}_t"] = v
    out["truck_share_tkm"] = s["truck_share_tkm"]
    out["co2_t"] = s["co2_t"]
    st = plan.stocks
    centres = st[st["cover_status"] != ""] if "cover_status" in st else st
    cover = centres.dropna(subset=["days_of_cover"]).sort_values(["days_of_cover", "node", "period"], kind="stable")
    out["lowest_days_of_cover"] = float(cover["days_of_cover"].iloc[0]) if len(cover) else None
    out["lowest_cover_node"] = str(cover["node"].iloc[0]) if len(cover) else ""
    out["lowest_cover_period"] = str(cover["period"].iloc[0]) if len(cover) else ""
    total = st.groupby("period", sort=False)["stock_t"].sum()
    out["lowest_total_stock_t"] = float(total.min()) if len(total) else 0.0
    out["reserve_drawn_t"] = reserve_drawn_t(net, plan)
    w = plan.early_warnings if plan.early_warnings is not None else pd.DataFrame(columns=WARNING_COLUMNS)
    out["red_warnings"] = int((w["severity"] == "red").sum())
    out["amber_warnings"] = int((w["severity"] == "amber").sum())
    return out


def unmet_by_class(plan) -> dict:
    """Unmet tonnes over the horizon by demand class (``all`` without a demand_class column),
    classes in alphabetical order."""
    u = plan.unmet
    cls = u["demand_class"].fillna("").astype(str).replace("", "unclassified") if "demand_class" in u else pd.Series(NO_CLASS, index=u.index)
    return {k: float(v) for k, v in u["unmet_t"].groupby(cls, sort=True).sum().items()}


def reserve_drawn_t(net, plan) -> float:
    """Coal drawn from stockpiles (t): Σ over stockpiles of initial stock − lowest end-of-week
    stock, where positive. Reserve bases, port yards and plant yards alike."""
    st = plan.stocks
    if st.empty:
        return 0.0
    low = st.groupby(["node", "product"], sort=True)["stock_t"].min()
    init = net.storage.set_index(["node", "product"])["initial_t"].reindex(low.index).fillna(0.0)
    return float(np.clip(init - low, 0.0, None).sum())


# --------------------------------------------------------------------------- tables
def tabulate(net, opt, cases: list[Case], profile: str | None = None, extension: dict | None = None) -> Comparison:
    """The comparison tables of solved cases; the first case is the base."""
    base = cases[0]
    base_k = kpis(net, base.plan) if base.plan is not None else {}
    rows = []
    for c in cases:
        row = {"case": c.name, "status": c.plan.summary["status"] if c.plan is not None else c.error.status}
        k = kpis(net, c.plan) if c.plan is not None else {}
        row.update(k)
        rows.append(row)
    frame = pd.DataFrame(rows)
    numeric = [col for col in frame.columns if col not in ("case", "status") and pd.api.types.is_numeric_dtype(frame[col])]
    for col in numeric:
        if col.startswith("unmet_") and col not in base_k:
            base_k[col] = 0.0
        frame[col] = frame[col].astype(float).fillna(0.0) if col.startswith("unmet_") and col != "unmet_t" else frame[col]
        frame[f"delta_{col}"] = frame[col].astype(float) - (float(base_k[col]) if base_k.get(col) is not None else np.nan)
    summary = {
        "dataset": api.dataset_record(net),
        "input_warnings": api.input_warnings(net),
        "profile": profile,
        "currency": net.currency,
        "foresight": opt.foresight,
        "end_of_horizon": opt.end_rule_words,
        "extension": extension,
        "cases": [_case_summary(c) for c in cases],
        "units": {"*_cny": net.currency, "*_t": "tonnes over the horizon", "days": "days of cover", "delta_*": "case − base"},
    }
    return Comparison(net, opt, frame, _class_week(net, cases), _shortfalls(net, cases), _tagged(cases, "early_warnings"), _gaps(net, cases), summary)


def _case_summary(c: Case) -> dict:
    out = {"case": c.name, "description": c.description, "scenario_paths": c.paths, "status": c.plan.summary["status"] if c.plan is not None else c.error.status,
           "warm_start": c.warm, "seconds": round(c.seconds, 3)}
    if c.plan is not None:
        out["objective"] = c.plan.summary["objective"]
        out["unmet_t"] = c.plan.summary["unmet_t"]
        out["end_deficit_t"] = c.plan.summary.get("end_deficit_t", 0.0)
        out["foresight"] = c.plan.summary.get("foresight")
    else:
        out["message"] = c.error.message
        out["explanation"] = [line.strip() for line in c.error.explanation]
    return out


def _classes(frame: pd.DataFrame) -> pd.Series:
    if "demand_class" not in frame:
        return pd.Series(NO_CLASS, index=frame.index)
    return frame["demand_class"].fillna("").astype(str).replace("", "unclassified")


def _class_week(net, cases: list[Case]) -> pd.DataFrame:
    order = {p: i for i, p in enumerate(net.periods)}
    parts = []
    for c in cases:
        if c.plan is None:
            continue
        u = c.plan.unmet
        g = u.assign(demand_class=_classes(u)).groupby(["demand_class", "period"], sort=False)["unmet_t"].sum().reset_index()
        parts.append(g.assign(case=c.name))
    if not parts:
        return pd.DataFrame(columns=["case", "demand_class", "period", "unmet_t", "base_unmet_t", "delta_unmet_t"])
    out = pd.concat(parts, ignore_index=True)
    base = out[out["case"] == cases[0].name].set_index(["demand_class", "period"])["unmet_t"] if cases[0].plan is not None else pd.Series(dtype=float)
    out["base_unmet_t"] = out.set_index(["demand_class", "period"]).index.map(base).to_numpy(float)
    out["delta_unmet_t"] = out["unmet_t"] - out["base_unmet_t"]
    out["_case"] = out["case"].map({c.name: i for i, c in enumerate(cases)})
    out["_w"] = out["period"].map(order)
    out = out.sort_values(["_case", "demand_class", "_w"], kind="stable")
    return out[["case", "demand_class", "period", "unmet_t", "base_unmet_t", "delta_unmet_t"]].reset_index(drop=True)


def _shortfalls(net, cases: list[Case]) -> pd.DataFrame:
    """Per demand centre and case: tonnes short over the horizon, the base's, the change,
    and the weeks it is short; only centres short in the case or the base."""
    cols = ["case", "node", "name", "region", "demand_class", "unmet_t", "base_unmet_t", "delta_unmet_t", "weeks"]
    nodes = net.nodes.set_index("id")

    def per_node(plan):
        u = plan.unmet.assign(demand_class=_classes(plan.unmet))
        g = u.groupby("node", sort=True).agg(unmet_t=("unmet_t", "sum"), demand_class=("demand_class", lambda s: "/".join(sorted(set(s)))))
        weeks = u[u["unmet_t"] > TOL_T].groupby("node", sort=True)["period"].agg(lambda s: week_runs(s, net.periods))
        return g.join(weeks.rename("weeks")).fillna({"weeks": ""})

    base = per_node(cases[0].plan) if cases[0].plan is not None else None
    parts = []
    for c in cases:
        if c.plan is None:
            continue
        g = per_node(c.plan)
        g["base_unmet_t"] = base["unmet_t"].reindex(g.index).fillna(0.0) if base is not None else np.nan
        g = g[(g["unmet_t"] > TOL_T) | (g["base_unmet_t"] > TOL_T)]
        g = g.reset_index().assign(case=c.name)
        g["name"] = g["node"].map(nodes["name"]).fillna("").astype(str) if "name" in nodes else ""
        g["region"] = g["node"].map(nodes["region"]).fillna("").astype(str) if "region" in nodes else ""
        g["delta_unmet_t"] = g["unmet_t"] - g["base_unmet_t"]
        parts.append(g.sort_values(["unmet_t", "node"], ascending=[False, True], kind="stable"))
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def _tagged(cases: list[Case], attr: str) -> pd.DataFrame:
    parts = [getattr(c.plan, attr).assign(case=c.name) for c in cases if c.plan is not None and getattr(c.plan, attr) is not None]
    if not parts:
        return pd.DataFrame(columns=["case", *WARNING_COLUMNS])
    out = pd.concat(parts, ignore_index=True)
    return out[["case", *[col for col in out.columns if col != "case"]]]


def _gaps(net, cases: list[Case]) -> pd.DataFrame:
    parts = [region_gaps(net, c.plan).assign(case=c.name) for c in cases if c.plan is not None]
    if not parts:
        return pd.DataFrame(columns=["case", "region", "period", "demand_t", "delivered_t", "unmet_t", "produced_t"])
    out = pd.concat(parts, ignore_index=True)
    return out[["case", *[col for col in out.columns if col != "case"]]]


# --------------------------------------------------------------------------- output
def write_folder(out_dir: str | Path, files: dict[str, str]) -> Path:
    """Write ``files`` (name -> text) into ``out_dir`` atomically, marked as a results folder
    (report.write_folder)."""

    return write(out_dir, {name: text.encode("utf-8") for name, text in files.items()})


def _signed(v, fmt: str = ",.0f") -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    return "0" if abs(v) < 0.5 and fmt == ",.0f" else f"{v:+{fmt}}"


def _with_delta(value, delta) -> str:
    return f"{value:,.0f} ({_signed(delta)})"


def format_comparison(cmp: Comparison, top: int = 5) -> str:
    """The table a planner reads in the terminal: one row per case, then the demand centres
    that each case leaves shorter than the base, then the first warnings."""
    cur = cmp.network.currency
    s = cmp.summary
    lines = [f"Foresight: {s.get('foresight')} ({'each scenario a surprise until its edits are known' if s.get('foresight') == 'surprise' else 'each scenario known from the first week'}); "
             f"end of horizon: {s.get('end_of_horizon')}",
             *([f"Extension: {s['extension']['path']} ({s['extension']['function']}) applied to every case"] if s.get("extension") else []), "",
             f"{'case':<30}{'status':<12}{'Δ cost (' + cur + ')':>18}{'unmet t':>14}{'Δ unmet t':>14}{'end deficit t':>15}{'truck %':>9}{'Δ CO2 t':>12}{'min cover d':>13}{'red':>5}"]
    for _, r in cmp.cases.iterrows():
        if r["status"] not in ("optimal", "time_limit"):
            lines.append(f"{str(r['case'])[:29]:<30}{r['status']:<12}  no plan — see summary.json")
            continue
        cover = r.get("lowest_days_of_cover")
        lines.append(
            f"{str(r['case'])[:29]:<30}{r['status']:<12}{_signed(r['delta_objective_cny']):>18}{r['unmet_t']:>14,.0f}{_signed(r['delta_unmet_t']):>14}{r['end_deficit_t']:>15,.0f}"
            f"{'–' if pd.isna(r['truck_share_tkm']) else format(100 * r['truck_share_tkm'], '.1f'):>9}{_signed(r['delta_co2_t']):>12}"
            f"{'–' if pd.isna(cover) else format(cover, '.1f'):>13}{int(r['red_warnings']):>5}"
        )
    lines += _penalty_lines(cmp, cur)
    cls = [c for c in cmp.cases.columns if c.startswith("unmet_") and c.endswith("_t") and c != "unmet_t"]
    if cls:
        lines += ["", "Unmet by demand class (t; change from base in brackets)"]
        lines.append(f"{'case':<30}" + "".join(f"{c[6:-2]:>26}" for c in cls))
        for _, r in cmp.cases.iterrows():
            if r["status"] in ("optimal", "time_limit"):
                lines.append(f"{str(r['case'])[:29]:<30}" + "".join(f"{_with_delta(r[c], r['delta_' + c]):>26}" for c in cls))
    worse = cmp.shortfalls[cmp.shortfalls["delta_unmet_t"] > TOL_T]
    if len(worse):
        lines += ["", "Demand centres short of the base plan (t over the horizon; weeks short)"]
        for case, g in worse.groupby("case", sort=False):
            for _, r in g.sort_values("delta_unmet_t", ascending=False, kind="stable").head(top).iterrows():
                lines.append(f"  {str(case)[:24]:<26}{r['node']:<26}{_signed(r['delta_unmet_t']):>14}  {r['weeks']}")
    if cmp.warning_value is not None and len(cmp.warning_value):
        lines += ["", f"What early warning is worth (value: {cur} saved against no warning)"]
        lines.append(f"{'case':<30}{'foresight':<26}{'known from':<12}{'unmet t':>14}{'end deficit t':>15}{'cost (' + cur + ')':>22}{'value (' + cur + ')':>20}")
        for r in cmp.warning_value.to_dict("records"):
            if r.get("status") not in ("optimal", "time_limit"):
                lines.append(f"{str(r['case'])[:29]:<30}{r['foresight']:<26}{r['known_from']:<12}  no plan ({r.get('status')})")
                continue
            lines.append(f"{str(r['case'])[:29]:<30}{r['foresight']:<26}{r['known_from']:<12}{r['unmet_t']:>14,.0f}{r['end_deficit_t']:>15,.0f}{r['objective_cny']:>22,.0f}{_signed(r['value_cny']):>20}")
    for c in cmp.summary["cases"]:
        if c["status"] not in ("optimal", "time_limit"):
            lines += ["", f"{c['case']}: {c['message']}", *[f"  {e}" for e in c["explanation"][:6]]]
    return "\n".join(lines)


PENALTIES = ("unmet_penalty", "end_stock_penalty", "safety_penalty")


def _penalty_lines(cmp: Comparison, cur: str) -> list[str]:
    """Δ cost counts penalties, which are valuations, not cash: say how much of each case's
    change they are (the end-stock deficit at the profile's price, unmet demand at its penalty)."""
    out = []
    for _, r in cmp.cases.iloc[1:].iterrows():
        parts = {p: r.get(f"delta_cost_{p}_cny", 0.0) for p in PENALTIES}
        parts = {p: v for p, v in parts.items() if isinstance(v, float) and abs(v) >= 0.5}
        if parts:
            out.append(f"  {str(r['case'])[:29]}: of Δ cost {_signed(r['delta_objective_cny'])} {cur}, penalties (valuations, not cash) "
                       + ", ".join(f"{p.replace('_', ' ')} {_signed(v)}" for p, v in parts.items()))
    return ["", "Penalties in Δ cost"] + out if out else []


def comparison_json(cmp: Comparison) -> str:
    """summary.json plus the cases table, as JSON for ``--json``."""

    rows = json.loads(cmp.cases.to_json(orient="records"))
    return json.dumps(round_floats({**cmp.summary, "table": rows}), indent=2, ensure_ascii=False) + "\n"
