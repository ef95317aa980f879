"""Rolling horizon: simulate a span of weekly runs and compare with the full-horizon plan.

``supplyopt roll DATA --weeks 13 --horizon 6`` plans 6 weeks, commits the first, carries its
closing stocks into the next run's opening stocks, and repeats for 13 weeks; then solves the
13 weeks at once (perfect foresight) and reports the rolled plan's cost against that optimum
(the gap) and the weeks the rolled plan left demand unmet that the full plan met. Each run
is a :mod:`supplyopt.schedule` window; see docs/schedule.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from supplyopt import study as api
from supplyopt.engines.solution import captured_console
from supplyopt.io.data import DataError, Problem
from supplyopt.io.network import Network
from supplyopt.io.write import csv_text, write_results
from supplyopt.results.plan import Plan, window_end_cover
from supplyopt.workflows.schedule import (
    Previous,
    planning_base,
    prepare_window,
    read_snapshot,
    reference_flows,
    shipment_list,
    slice_periods,
    solver_notes,
    solver_warnings,
    stability_extension,
    stock_trajectory,
    with_initial_stocks,
)
from supplyopt.workflows.trains import solve_window


def period_costs(lp, sol, periods: int) -> pd.DataFrame:
    """Each cost part split by period (CNY): rows = periods from 0, columns = cost parts.
    Columns of families without a period (none in the standard model) count nowhere."""
    col_period = np.full(lp.n_cols, -1, np.int64)
    for fam in lp.variables.values():
        if "period" in fam.index.columns:
            col_period[fam.start : fam.start + fam.size] = fam.index["period"].to_numpy(np.int64)
    out = {}
    for name, (cols, coefs) in lp.costs.items():
        p = col_period[cols]
        keep = p >= 0
        out[name] = np.bincount(p[keep], weights=coefs[keep] * sol.x[cols][keep], minlength=periods)
    return pd.DataFrame(out)


@dataclass
class Roll:
    """A simulated span of weekly runs against the full-horizon optimum."""

    weeks: pd.DataFrame  # per committed week: costs of the rolled and full plans, unmet
    short: pd.DataFrame  # weeks/nodes the rolled plan left short that the full plan did not
    plan: Plan  # the committed weeks, one after another
    shipments: pd.DataFrame
    trajectory: pd.DataFrame
    summary: dict
    runs: list[dict]  # per weekly run: week, build_s, solve_s, status, trainloads method
    warnings: list[str]
    inputs: dict
    notes: list[str] = field(default_factory=list)  # HiGHS's harmless notices and printed log: run.log, runs.jsonl

    @property
    def record_timings(self) -> dict:
        return {"weekly_runs": self.runs}


ROLL_EXCLUDED = ("change_penalty",)  # steering terms, not costs: left out of the comparison


def roll(network, model=None, *, weeks: int = 13, horizon: int = 6, start: str | None = None, snapshot=None,
         trainloads: bool = False, stable: bool = False, scenario=None, time_left=None, progress=None, extend=None,
         deviation: float = 0.0, seed: int = 0, **solver) -> Roll:
    """Simulate ``weeks`` weekly runs: plan ``horizon`` weeks, commit the first, carry its
    closing stocks to the next run, repeat. Look-ahead windows end at the span's end, where
    every run and the full plan meet the same end target. ``stable``: each run keeps to the
    last run's look-ahead like ``schedule --previous``. ``progress(week, seconds)`` is called
    after each run. Compares with the full-horizon optimum over the same span.

    ``deviation`` (a share, 0 = none): simulated actuals. Each committed week is then realised
    with every link that carries coal in it delivering only planned × (1 − u), u drawn uniformly
    in [0, deviation] per link (seeded by ``seed``: trains cancelled, ships late) — the realised
    week is the model's own best response (:func:`realised_week`: re-routing within the week
    allowed, the plan's end-of-week stocks as a soft target), so coal is conserved through every
    hub; its costs, unmet tonnes and closing stocks are what the next run starts from."""

    base, inputs, scenarios = planning_base(network, scenario)
    extend, extension, _ = api.extension_of(extend)
    opt = api.options(model, **solver)
    if weeks < 1 or horizon < 1:
        raise DataError([Problem("--weeks/--horizon", "expected whole numbers of weeks ≥ 1", value=f"{weeks}/{horizon}")])
    span = prepare_window(base, opt, start, weeks)
    warnings = [str(p) for p in base.warnings]
    if snapshot is not None:
        snap = read_snapshot(snapshot, span)
        span = with_initial_stocks(span, snap.stocks)
        warnings += [str(p) for p in snap.warnings]
        inputs["snapshot"] = snap.sha256
    profile = str(model) if isinstance(model, (str, Path)) else None
    T = span.n_periods

    with captured_console() as console:  # HiGHS's own printing goes to the run log, not the terminal
        full_plan, _, full_info, full_t = solve_window(span, opt, [], trainloads, time_left, profile, extend)
    warnings += [f"full plan: {w}" for w in solver_warnings(console)]
    notes = [f"full plan: {n}" for n in solver_notes(full_plan, console)]
    full_costs = period_costs(full_t["lp"], full_t["solution"], T).drop(columns=list(ROLL_EXCLUDED), errors="ignore")
    runs = [{"run": "full", "weeks": T, "build_s": full_t["build_s"], "solve_s": full_t["solve_s"], "status": full_plan.summary["status"], "trainloads": full_info.get("method")}]

    if not (np.isfinite(deviation) and 0.0 <= deviation < 1.0):
        raise DataError([Problem("--deviation", "expected a share of planned tonnes from 0 to below 1, e.g. 0.1 for up to 10 % short", value=deviation)])
    rng = np.random.default_rng(seed)
    realised_rows = []
    stocks = span.storage[["node", "product", "initial_t"]].rename(columns={"initial_t": "stock_t"})
    committed, rolled_costs, previous = [], [], None
    for k in range(T):
        win = with_initial_stocks(slice_periods(span, k, horizon), stocks)
        exts = []
        if stable and previous is not None:
            covered, ref = reference_flows(previous, win)
            exts.append(stability_extension(covered, ref, opt.change_penalty_cny_per_t))
        with captured_console() as console:
            plan, trains, info, t = solve_window(win, opt, exts, trainloads, time_left, profile, extend)
        plan = window_end_cover(plan, win, opt)  # a window's last week: the end rule's stock, not a red cover alert
        week = win.periods[0]
        warnings += [f"{week}: {w}" for w in solver_warnings(console)]
        notes += [f"{week}: {n}" for n in solver_notes(plan, console)]
        costs = period_costs(t["lp"], t["solution"], win.n_periods).iloc[0]
        if deviation > 0:
            plan, costs, row = realised_week(win, opt, plan, deviation, rng, time_left, profile, extend)
            realised_rows.append(row)
        rolled_costs.append(costs.drop(labels=list(ROLL_EXCLUDED), errors="ignore"))
        committed.append((plan, trains, win))
        closing = plan.stocks[plan.stocks["period"] == week][["node", "product", "stock_t"]]
        stocks = closing.reset_index(drop=True)
        previous = Previous("(last run)", plan.flows[["link", "product", "period", "flow_t"]], list(win.periods), {})
        runs.append({"run": week, "weeks": win.n_periods, "build_s": t["build_s"], "solve_s": t["solve_s"], "status": plan.summary["status"], "trainloads": info.get("method")})
        warnings += [f"{week}: {w}" for w in plan.warnings + info.get("warnings", [])]
        if progress:
            progress(week, t["build_s"] + t["solve_s"])
    result = _roll_result(span, opt, full_plan, full_costs, committed, rolled_costs, runs, warnings, inputs, weeks, horizon, trainloads, stable)
    result.summary["scenarios"] = scenarios
    result.summary["extension"] = extension
    if deviation > 0:
        dev = pd.DataFrame(realised_rows)
        result.weeks = result.weeks.merge(dev, on="week", how="left")
        result.summary["deviation"] = {
            "share": deviation, "seed": seed, "planned_t": float(dev["planned_t"].sum()), "realised_t": float(dev["realised_t"].sum()),
            "rule": "each committed week realised with every link carrying coal delivering planned × (1 − u), u uniform in [0, share] per link and week "
                    "(seeded); the realised week is the model's best response (re-routing within the week, the plan's end-of-week stocks as a soft "
                    "target); the next run starts from its closing stocks",
        }
    result.notes = notes
    return result


def realised_week(win, opt, plan, deviation: float, rng, time_left, profile, extend):
    """The committed week as it happens: its window's first week alone, each link that carries
    coal in the plan capped at planned × (1 − u), u ~ U[0, deviation]; the plan's end-of-week
    stocks its (soft) end target. Returns (realised one-week plan, its costs, a row for
    weeks.csv: week, planned_t, realised_t, realised_unmet_t)."""
    week = win.periods[0]
    one = slice_periods(win, 0, 1)
    flows = plan.flows[plan.flows["period"] == week].groupby("link")["flow_t"].sum()
    flows = flows[flows > 1e-6]
    cap = flows * (1.0 - rng.uniform(0.0, deviation, size=len(flows)))
    lp = one.link_periods.copy()
    lp["capacity_t"] = np.minimum(lp["capacity_t"].to_numpy(float), lp["link"].map(cap).fillna(np.inf).to_numpy(float))
    one.link_periods = lp
    end = plan.stocks[plan.stocks["period"] == week][["node", "product", "stock_t"]]
    storage = one.storage.copy()
    storage["end_t"] = storage.merge(end, on=["node", "product"], how="left")["stock_t"].to_numpy(float)
    one.storage = storage
    realised, _, _, t = solve_window(one, opt, [], False, time_left, profile, extend)
    # the end-of-week target only steers the realised week; its shortfall is carried as stock
    # into the next run, which pays for it there (as a committed week of a plain roll)
    costs = period_costs(t["lp"], t["solution"], 1).iloc[0].drop(labels=["end_stock_penalty"], errors="ignore")
    moved = float(realised.flows["flow_t"].sum())
    return realised, costs, {"week": week, "planned_t": float(flows.sum()), "realised_t": moved, "realised_unmet_t": float(realised.unmet["unmet_t"].sum())}


def _roll_result(span, opt, full_plan, full_costs, committed, rolled_costs, runs, warnings, inputs, weeks, horizon, trainloads, stable) -> Roll:
    labels = list(span.periods)
    rolled = pd.DataFrame(rolled_costs).reset_index(drop=True).fillna(0.0)
    first = [(p, w) for p, _, w in committed]

    def week_rows(name):
        frames = [getattr(p, name)[getattr(p, name)["period"] == w.periods[0]] for p, w in first]
        return pd.concat(frames, ignore_index=True)

    plan = Plan({}, week_rows("flows"), week_rows("production"), week_rows("stocks"), week_rows("unmet"), pd.DataFrame(columns=["kind", "id", "product", "period", "price_cny_per_t"]),
                nodes=full_plan.nodes)  # the data set's nodes (names, kinds, coordinates) for reports, as solve writes them
    unmet_r = _weekly_unmet(plan, labels)
    unmet_f = _weekly_unmet(full_plan, labels)
    table = pd.DataFrame({"week": labels, "rolled_cost_cny": rolled.sum(axis=1).to_numpy(), "full_cost_cny": full_costs.sum(axis=1).to_numpy(),
                          "rolled_unmet_t": unmet_r, "full_unmet_t": unmet_f})
    for name in rolled.columns:
        table[f"rolled_{name}_cny"] = rolled[name].to_numpy()
    keys = ["node", "product", "period"]
    both = plan.unmet[keys + ["unmet_t"]].merge(full_plan.unmet[keys + ["unmet_t"]], on=keys, how="left", suffixes=("_rolled", "_full")).fillna(0.0)
    short = both[both["unmet_t_rolled"] > both["unmet_t_full"] + 1e-3].rename(columns={"period": "week", "unmet_t_rolled": "rolled_unmet_t", "unmet_t_full": "full_unmet_t"})
    short = short.assign(extra_unmet_t=short["rolled_unmet_t"] - short["full_unmet_t"]).reset_index(drop=True)
    rolled_total, full_total = float(table["rolled_cost_cny"].sum()), float(table["full_cost_cny"].sum())
    shipments = pd.concat([shipment_list(_only_week(p, w), w, tr) for p, tr, w in committed], ignore_index=True)
    shipments["committed"] = True
    shipments = shipments.assign(_o=shipments["week"].map({w: i for i, w in enumerate(labels)})).sort_values(["origin", "_o", "link", "product"], kind="stable").drop(columns="_o").reset_index(drop=True)
    trajectory = pd.concat([stock_trajectory(_only_week(p, w), w) for p, _, w in committed], ignore_index=True)
    summary = {
        "dataset": full_plan.summary["dataset"],
        "input_warnings": full_plan.summary["input_warnings"],
        "weeks": labels,
        "horizon_weeks": horizon,
        "trainloads": trainloads,
        "stable": stable,
        "currency": span.currency,
        "rolled_cost": rolled_total,
        "full_horizon_cost": full_total,
        "gap": None if abs(full_total) < 1e-9 else (rolled_total - full_total) / abs(full_total),
        "rolled_unmet_t": float(unmet_r.sum()),
        "full_unmet_t": float(unmet_f.sum()),
        "weeks_short_not_in_full_plan": sorted(set(short["week"]), key=labels.index),
        "rolled_costs": {c: float(rolled[c].sum()) for c in rolled.columns},
        "full_costs": {c: float(full_costs[c].sum()) for c in full_costs.columns},
        "end_target_rule": f"end_t, else the profile's end_stock rule on the data set's own values; every look-ahead ends at most at the span's end; {opt.end_rule_words}",
        "scenario_foresight": "perfect: the scenarios are forecasts, known to every weekly run",
        "options": opt.to_dict(),
        "versions": full_plan.summary["versions"],
        "status": "optimal" if all(r.get("status", "optimal") == "optimal" for r in runs) else "time_limit",
        "status_message": "rolled plan and full-horizon plan found",
    }
    return Roll(table, short, plan, shipments, trajectory, summary, runs, warnings, inputs)


def _weekly_unmet(plan: Plan, labels: list[str]) -> np.ndarray:
    """Unmet tonnes per week (solver noise below 1e-6 t shown as 0)."""
    t = plan.unmet.groupby("period", sort=False)["unmet_t"].sum().reindex(labels).fillna(0.0).to_numpy()
    return np.where(np.abs(t) < 1e-6, 0.0, t)


def _only_week(plan: Plan, win: Network) -> Plan:
    """The plan cut to its first (committed) week, as a one-week plan of that window."""
    w = win.periods[0]
    return Plan({}, *(getattr(plan, n)[getattr(plan, n)["period"] == w].reset_index(drop=True) for n in ("flows", "production", "stocks", "unmet", "prices")))


def roll_files(result: Roll) -> dict[str, str]:

    return {
        "weeks.csv": csv_text(result.weeks),
        "short_weeks.csv": csv_text(result.short),
        "shipments.csv": csv_text(result.shipments),
        "stock_trajectory.csv": csv_text(result.trajectory),
    }


def write_roll(out: str | Path, result: Roll, runs_text: str) -> Path:
    """Write a roll's results folder atomically (committed weeks as the plan's tables)."""

    s = result.summary
    lines = [f"supplyopt roll: {s['dataset']['name']}, {len(s['weeks'])} weekly runs of {s['horizon_weeks']} weeks from {s['weeks'][0]}",
             f"rolled cost {s['rolled_cost']:,.2f}, full-horizon cost {s['full_horizon_cost']:,.2f} {s['currency']}"]
    lines += [f"warning: {w}" for w in result.warnings] + [f"note: {n}" for n in result.notes]
    return write_results(out, result.plan, result.summary, lines, {**roll_files(result), "runs.jsonl": runs_text})


def format_roll(result: Roll) -> str:
    s = result.summary
    lines = [f"supplyopt roll — {s['dataset']['name']}: {len(s['weeks'])} weekly runs of {s['horizon_weeks']} weeks ({s['weeks'][0]} … {s['weeks'][-1]})",
             "", f"{'week':<10}{'rolled cost':>18}{'full-plan cost':>18}{'rolled unmet t':>16}{'full unmet t':>14}{'seconds':>9}"]
    secs = {r["run"]: r["build_s"] + r["solve_s"] for r in result.runs}
    for _, r in result.weeks.iterrows():
        lines.append(f"{r['week']:<10}{r['rolled_cost_cny']:>18,.0f}{r['full_cost_cny']:>18,.0f}{r['rolled_unmet_t']:>16,.0f}{r['full_unmet_t']:>14,.0f}{secs[r['week']]:>9.2f}")
    gap = s["gap"]
    lines += ["", f"Rolled cost      {s['rolled_cost']:>20,.0f} {s['currency']}", f"Full-horizon cost{s['full_horizon_cost']:>20,.0f} {s['currency']}",
              f"Gap              {'–' if gap is None else f'{100 * gap:.3f} %':>20}",
              f"Weeks short that the full plan was not: {', '.join(s['weeks_short_not_in_full_plan']) or 'none'}"]
    return "\n".join(lines)
