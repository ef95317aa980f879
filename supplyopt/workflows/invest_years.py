"""Staged investment over years (``invest --years Y1:Y2``): when to build each candidate.

    from supplyopt.workflows.invest_years import staged_invest
    inv = staged_invest("data/shanxi-year", (2027, 2030), budget=5e9, annual_budget={2027: 1e9})
    inv.schedule, inv.cash_flow

One operating model per calendar year: the data set's year with that year's demand and mine
output from ``years.csv`` (the provincial plan's path, ``io/years.py``), each with every
candidate in place and its own ``build`` column meaning "open this year". Across the years:

    build_year[c, y] ∈ {0, 1}                  construction of c is paid in year y
    Σ_y build_year[c, y] ≤ 1                    built at most once            (build_once)
    open[c, y] = Σ_{y' ≤ y − lag(c)} build_year  open from lag(c) years after (commissioning)
    Σ_c build_cost(c) · build_year[c, y] ≤ B_y  each year's budget            (annual_budget)
    Σ_{c, y} build_cost(c) · build_year[c, y] ≤ B  the whole plan's budget    (investment_budget)
    build_year[a, ·] + build_year[b, ·] ≤ 1      a excludes b, over all years  (candidate_excludes_years)

and, inside each year, a candidate is open only with the ones it requires. A build that
would open after Y2 is not offered (its benefits lie outside the plan). The objective is the
present value at ``discount_rate`` (to the start of Y1) of each year's cost — operating cost
scaled to a year (× 365 / horizon days), plus the annualised capital charge and O&M of every
open candidate (CRF at the candidate's own rate and lifetime, as in a one-year invest) — so a
siding built early pays its charge in years it saves little, and building it later is cheaper
unless it saves more than its charge. Cash flow per year is reported apart: capital when paid,
O&M, operating cost with the plan and with nothing built.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from supplyopt import study as api
from supplyopt.engines.budget import BudgetNotKept, solve_within_budgets
from supplyopt.engines.solver import HighsEngine, check_plan
from supplyopt.io.data import DataError, Problem
from supplyopt.io.network import Network
from supplyopt.io.network import split_products
from supplyopt.io.scenario import Scenario, apply_scenario
from supplyopt.io.write import csv_text, summary_json, write_folder
from supplyopt.io.years import FILE as YEARS_FILE
from supplyopt.io.years import year_edits
from supplyopt.model.candidates import DEFAULT_DISCOUNT_RATE, BudgetRow, CandidateChoice, budget_row_bound, candidate_table, with_candidates, year_basis
from supplyopt.model.extensive import extensive_form
from supplyopt.model.foresight import DESIGN_FORESIGHT
from supplyopt.workflows.evaluate import money_text
from supplyopt.workflows.invest import investment_options
from supplyopt.workflows.invest_risk import run_record
from supplyopt.workflows.stochastic import scenario_lp

# cost parts paid in cash; the rest (unmet, safety and end-stock penalties, truck externality,
# carbon) are weights of the plan, reported apart and never counted as cash
CASH_PARTS = ("production", "transport", "holding", "reserve_production", "reserve_callup", "reserve_release")
DEFAULT_LAG_YEARS = 1  # a siding or platform decided and paid in one year carries coal from the next
ASSUMPTION = ("one operating model per year (the data set's year scaled by years.csv), each known in advance (perfect foresight over the years); "
              "a candidate paid for in year y opens lag years later and stays open; objective: present value of each year's plan cost (the profile's "
              "whole objective: cash costs and its penalty weights — truck externality, unmet, end stock) plus the annualised capital charge and O&M "
              "of open candidates; default lag 1 year and discount rate 8 % unless given")


@dataclass
class StagedInvestment:
    """A build schedule over years and its cash flow."""

    summary: dict
    schedule: pd.DataFrame  # one row per candidate: build year, opening year, cost
    cash_flow: pd.DataFrame  # one row per year

    def write(self, out_dir: str | Path) -> Path:
        """summary.json, schedule.csv, cash_flow.csv — atomically."""
        return write_folder(out_dir, {"summary.json": summary_json(self.summary), "schedule.csv": csv_text(self.schedule), "cash_flow.csv": csv_text(self.cash_flow)})


def parse_years(spec) -> list[int]:
    """``2027:2030`` (or a tuple) as [2027, 2028, 2029, 2030]."""
    try:
        a, b = (spec.split(":") if isinstance(spec, str) else spec)
        a, b = int(a), int(b)
    except (ValueError, TypeError):
        raise DataError([Problem("--years", "expected FIRST:LAST calendar years, e.g. 2027:2030", value=spec)]) from None
    if b < a or b - a > 49:
        raise DataError([Problem("--years", "expected FIRST ≤ LAST and at most 50 years", value=spec)])
    return list(range(a, b + 1))


def year_candidates(cands: pd.DataFrame, net: Network, first: bool) -> pd.DataFrame:
    """The candidate table for one year's model: earliest_period counts in the first year
    only (a candidate open from a later year is open all that year)."""
    if first:
        return cands
    out = cands.copy()
    out["earliest"] = 0
    out["horizon_cost_cny"] = out["annual_cost_cny"] * net.n_periods * net.period_days / 365.0
    return out


def lags(cands: pd.DataFrame, lag_years: int | None) -> np.ndarray:
    """Each candidate's commissioning lag in whole years: candidates.csv's lag_years, else
    ``lag_years``, else DEFAULT_LAG_YEARS."""
    default = DEFAULT_LAG_YEARS if lag_years is None else int(lag_years)
    col = cands["lag_years"] if "lag_years" in cands else pd.Series(np.nan, index=cands.index)
    return col.fillna(default).to_numpy(float).astype(int)


def staged_invest(network, years, budget: float | None = None, annual_budget: dict | float | None = None, lag_years: int | None = None,
                  discount_rate: float = DEFAULT_DISCOUNT_RATE, model=None, scenario=None, max_mine_truck_share: float | None = None,
                  extend=None, **solver) -> StagedInvestment:
    """The build schedule over ``years`` (``Y1:Y2`` or a list) minimising the present value of
    cost; ``budget``: the whole plan's capital (CNY, None = no limit); ``annual_budget``: CNY per
    year (one number for every year, or {year: CNY}; years not named have no limit)."""
    started = time.perf_counter()
    net = network if isinstance(network, Network) else api.load(network, count_candidates=True)
    yrs = years if isinstance(years, list) else parse_years(years)
    problems = []
    if budget is not None and (not np.isfinite(budget) or budget < 0):
        problems.append(Problem("--budget", "expected a budget ≥ 0 CNY", value=budget))
    if not (np.isfinite(discount_rate) and 0 <= discount_rate < 1):
        problems.append(Problem("--discount-rate", "expected a rate in [0, 1), e.g. 0.08", value=discount_rate))
    per_year = {y: float(annual_budget) for y in yrs} if isinstance(annual_budget, (int, float)) else dict(annual_budget or {})
    for y, b in per_year.items():
        if y not in yrs:
            problems.append(Problem("--annual-budget", f"year {y} is outside --years {yrs[0]}:{yrs[-1]}", value=y))
        if b is None or not np.isfinite(b) or b < 0:
            problems.append(Problem("--annual-budget", f"expected a budget ≥ 0 CNY for {y}", value=b))
    if lag_years is not None and (lag_years < 0 or lag_years != int(lag_years)):
        problems.append(Problem("--lag-years", "expected a whole number of years ≥ 0", value=lag_years))
    if problems:
        raise DataError(problems)
    cands = candidate_table(net)
    lag = lags(cands, lag_years)
    opt = investment_options(api.options(model, max_mine_truck_share=max_mine_truck_share, **{**solver, "foresight": DESIGN_FORESIGHT}))
    full = with_candidates(net)
    study = api.Study(full, model=opt, layers=[CandidateChoice(cands)], extend=extend)
    if scenario is not None:
        study.apply(scenario)
    paths, notes = year_edits(net, yrs)
    lps = []
    for i, y in enumerate(yrs):
        edits, origins = paths[y]
        year_net = apply_scenario(study.network, Scenario(f"year {y}", f"{YEARS_FILE} paths read for {y}", edits, YEARS_FILE, [], {}, origins)) if edits else study.network
        study.layers = [CandidateChoice(year_candidates(cands, net, i == 0))]
        lps.append(scenario_lp(study, year_net))
    scale = 365.0 / (net.n_periods * net.period_days)
    discount = np.array([(1.0 + discount_rate) ** -(y - yrs[0]) for y in yrs])
    ext = extensive_form(lps, [str(y) for y in yrs], discount * scale, -1, share=False)
    lp = ext.lp
    open_fam = lp.variables["build"]
    open_fam.integrality = "continuous"  # = Σ build_year: integral by the commissioning rows
    ids = cands["id"].tolist()
    C, Y = len(ids), len(yrs)
    grid = pd.DataFrame({"candidate": np.repeat(ids, Y), "year": np.tile(yrs, C)})
    reachable = (np.tile(np.arange(Y), C) + np.repeat(lag, Y)) <= Y - 1  # opens within the plan
    b = lp.add_variables("build_year", "1 if the candidate's construction is paid in this year", ["candidate", "year"], grid,
                         0.0, reachable.astype(float), integrality="binary")
    bcol = b.start + np.arange(C * Y).reshape(C, Y)  # [candidate, year]
    ocol = open_fam.start + open_fam.index.reset_index().pivot(index="candidate", columns="scenario", values="index").loc[ids, [str(y) for y in yrs]].to_numpy()
    add_commissioning(lp, ids, yrs, lag, bcol, ocol)
    add_build_once(lp, ids, bcol)
    cost_m = cands["build_cost_cny"].to_numpy(float) / 1e6  # rows in million CNY, as candidates.investment_budget
    if per_year:
        years_b = [y for y in yrs if y in per_year]
        rows = np.repeat(np.arange(len(years_b)), C)
        cols = np.concatenate([bcol[:, yrs.index(y)] for y in years_b])
        lp.add_constraints("annual_budget", "build cost paid in the year (million CNY)", ["year"], pd.DataFrame({"year": years_b}), rows, cols,
                           np.tile(cost_m, len(years_b)), -np.inf, np.array([budget_row_bound(per_year[y]) for y in years_b]))
    if budget is not None:
        lp.add_constraints("investment_budget", "build cost of the whole plan (million CNY)", [], pd.DataFrame({"budget_cny": [budget]}),
                           np.zeros(C * Y, np.int64), bcol.ravel(), np.repeat(cost_m, Y), -np.inf, budget_row_bound(budget))
    add_excludes_over_years(lp, cands, bcol)
    engine = HighsEngine(lp, study.options.solver)
    sol, tightened = solve_exact(engine, lp, cands, bcol, yrs, budget, per_year)
    if not sol.has_plan:
        raise api.NoPlan(sol.status, f"no build schedule within the budgets gives every year a plan ({sol.message})")
    violations = check_plan(lp, sol.x)
    if violations:
        raise api.NoPlan("numerical", "the solver's plan does not hold up (numerical trouble). It breaks:", violations[:10])
    built = sol.x[bcol] > 0.5
    year_costs = yearly_costs(ext, sol.x, scale)
    engine.set_variable_bounds("build_year", np.arange(C * Y), np.zeros(C * Y), np.zeros(C * Y))
    none = engine.solve()
    none_costs = yearly_costs(ext, none.x, scale) if none.has_plan else None
    schedule = schedule_table(cands, yrs, lag, built)
    flow = cash_flow_table(cands, yrs, lag, built, year_costs, none_costs, discount)
    summary = {
        **run_record(study),
        "year_basis": year_basis(net),
        "years": [yrs[0], yrs[-1]],
        "assumption": ASSUMPTION,
        "discount_rate": discount_rate,
        "lag_years": {c: int(v) for c, v in zip(ids, lag)},
        "budget_cny": budget,
        "annual_budget_cny": {str(y): v for y, v in sorted(per_year.items())},
        "budget_check": {"tightenings": tightened, "rule": "each year's and the plan's build cost, summed exactly, never above its budget; where the "
                         "solver's tolerance let a budget row be broken, the row was tightened just below that cost and re-solved"},
        "schedule": [{"candidate": r.candidate, "build_year": int(r.build_year), "opens": int(r.opens)} for r in schedule.itertuples() if r.build_year > 0],
        "build_cost_cny": math.fsum(schedule["build_cost_cny"][schedule["build_year"] > 0]),
        "present_value_cny": float(sol.objective),
        "present_value_nothing_built_cny": float(none.objective) if none.has_plan else None,
        "present_value_saved_cny": float(none.objective - sol.objective) if none.has_plan else None,
        "mip_gap": sol.mip_gap,
        "solver_status": sol.status,
        "solve_s": sol.solve_s,
        "wall_s": time.perf_counter() - started,
        "year_paths": notes + [f"{y}: {len(paths[y][0])} path(s) from years.csv" if paths[y][0] else f"{y}: the data set's own figures" for y in yrs],
        "model": {"variables": lp.n_cols, "constraints": lp.n_rows, "years": Y},
        "units": "CNY per year in cash_flow.csv; present values discounted to the start of the first year",
    }
    return StagedInvestment(summary, schedule, flow)


# --------------------------------------------------------------------------- rows across years
def add_commissioning(lp, ids, yrs, lag, bcol, ocol):
    """open[c, y] − Σ_{y' ≤ y − lag(c)} build_year[c, y'] = 0."""
    rows, cols, coefs, index = [], [], [], []
    r = 0
    for i, c in enumerate(ids):
        for j, y in enumerate(yrs):
            paid = [bcol[i, k] for k in range(0, j - int(lag[i]) + 1)]
            rows += [r] * (1 + len(paid))
            cols += [ocol[i, j], *paid]
            coefs += [1.0] + [-1.0] * len(paid)
            index.append((c, y))
            r += 1
    return lp.add_constraints("commissioning", "a candidate is open from lag years after it is paid for, and stays open", ["candidate", "year"],
                              pd.DataFrame(index, columns=["candidate", "year"]), np.asarray(rows), np.asarray(cols, np.int64), np.asarray(coefs), 0.0, 0.0)


def add_build_once(lp, ids, bcol):
    """Σ_y build_year[c, y] ≤ 1."""
    C, Y = bcol.shape
    return lp.add_constraints("build_once", "a candidate is built at most once", ["candidate"], pd.DataFrame({"candidate": ids}),
                              np.repeat(np.arange(C), Y), bcol.ravel(), np.ones(C * Y), -np.inf, 1.0)


def add_excludes_over_years(lp, cands, bcol):
    """Σ_y build_year[a, y] + Σ_y build_year[b, y] ≤ 1 for each pair that excludes each other."""
    pos = {c: i for i, c in enumerate(cands["id"])}
    pairs = sorted({tuple(sorted((pos[a], pos[b]))) for a, cell in zip(cands["id"], cands["excludes"]) for b in split_products(cell) if b in pos})
    if not pairs:
        return None
    Y = bcol.shape[1]
    ids = cands["id"].to_numpy()
    cols = np.concatenate([np.concatenate([bcol[a], bcol[b]]) for a, b in pairs])
    return lp.add_constraints("candidate_excludes_years", "at most one of two mutually exclusive candidates, over all years", ["a", "b"],
                              pd.DataFrame({"a": [ids[a] for a, _ in pairs], "b": [ids[b] for _, b in pairs]}),
                              np.repeat(np.arange(len(pairs)), 2 * Y), cols, np.ones(len(cols)), -np.inf, 1.0)


def solve_exact(engine, lp, cands, bcol, yrs, budget, per_year):
    """Solve, each year's and the whole plan's build cost (summed exactly) kept within its
    budget: the rows tightened and re-solved on the kept engine (``engines.budget``).
    Returns (solution, tightenings)."""
    cost = cands["build_cost_cny"].to_numpy(float)

    def paid_in(j):
        return lambda x: math.fsum(cost[x[bcol[:, j]] > 0.5])

    rows = []
    if per_year:
        years_b = list(lp.constraints["annual_budget"].index["year"])
        rows += [BudgetRow("annual_budget", np.array([i]), float(per_year[y]), paid_in(yrs.index(y)), lambda x, y=y: {"row": "annual_budget", "year": y})
                 for i, y in enumerate(years_b)]
    if budget is not None:
        rows.append(BudgetRow("investment_budget", np.array([0]), float(budget), lambda x: math.fsum(cost[(x[bcol] > 0.5).any(axis=1)]),
                              lambda x: {"row": "investment_budget", "year": None}))
    try:
        return solve_within_budgets(engine, rows)
    except BudgetNotKept as err:
        raise api.NoPlan("numerical", str(err)) from None


# --------------------------------------------------------------------------- tables
def yearly_costs(ext, x, scale) -> pd.DataFrame:
    """Per year: each cost part of that year's model, scaled to a year (CNY per year)."""
    rows = []
    for s, (name, lp) in enumerate(zip(ext.names, ext.scenario_lps)):
        xs = ext.scenario_x(x, s)
        row = {"year": int(name)}
        for part, (cols, coefs) in lp.costs.items():
            row[part] = float(np.asarray(coefs, float) @ xs[cols]) * scale
        rows.append(row)
    return pd.DataFrame(rows).fillna(0.0)


def schedule_table(cands, yrs, lag, built) -> pd.DataFrame:
    """candidate, build_year (0 = not built), opens (0 = not built), lag_years, build_cost_cny."""
    any_built = built.any(axis=1)
    year = np.where(any_built, np.array(yrs)[built.argmax(axis=1)], 0)
    return pd.DataFrame({"candidate": cands["id"], "kind": cands["kind"], "target": cands["target"], "build_year": year,
                         "opens": np.where(any_built, year + lag, 0), "lag_years": lag, "build_cost_cny": cands["build_cost_cny"],
                         "annual_charge_cny": cands["annual_cost_cny"]}).sort_values(["build_year", "candidate"], kind="stable").reset_index(drop=True)


def cash_flow_table(cands, yrs, lag, built, costs, none_costs, discount) -> pd.DataFrame:
    """One row per year (CNY per year): capital paid, O&M of open candidates, their annual
    charge (CRF × build cost + O&M: what the objective carries), cash operating cost
    (CASH_PARTS) with the schedule and with nothing built, cash savings, the change in the
    plan's other parts (penalties and externalities: not cash), net cash flow (cash savings −
    capital − O&M: the year's cash, capital when paid), and what the objective weighs: all
    savings − the annual charge, and its present value (these sum to the present value saved)."""
    build_cost = cands["build_cost_cny"].to_numpy(float)
    om = cands["fixed_om_cny_per_year"].to_numpy(float)
    charge = cands["annual_cost_cny"].to_numpy(float)

    def parts(frame, y):
        if frame is None:
            return np.nan, np.nan
        row = frame.loc[frame["year"] == y].iloc[0].drop(["year", "investment"], errors="ignore")
        cash = math.fsum(float(row[p]) for p in CASH_PARTS if p in row)
        return cash, math.fsum(float(v) for p, v in row.items() if p not in CASH_PARTS)

    out = []
    for j, y in enumerate(yrs):
        open_ = np.array([built[i, : max(j - int(lag[i]) + 1, 0)].any() for i in range(len(build_cost))], bool)
        cash, other = parts(costs, y)
        cash0, other0 = parts(none_costs, y)
        capital = math.fsum(build_cost[built[:, j]])
        o = math.fsum(om[open_])
        net = (cash0 - cash) - capital - o
        charged = math.fsum(charge[open_])
        after = (cash0 - cash) + (other0 - other) - charged
        out.append({"year": y, "discount_factor": discount[j], "open": " ".join(cands["id"][open_]), "capital_cny": capital, "om_cny": o,
                    "annual_charge_cny": charged, "cash_operating_cny": cash, "cash_operating_nothing_built_cny": cash0, "cash_savings_cny": cash0 - cash,
                    "penalties_and_externalities_saved_cny": other0 - other, "net_cash_flow_cny": net,
                    "saved_after_charge_cny": after, "present_value_saved_cny": after * discount[j]})
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- terminal
def format_staged(inv: StagedInvestment) -> str:
    s = inv.summary
    built = inv.schedule[inv.schedule["build_year"] > 0]
    lines = [f"Staged investment {s['years'][0]}–{s['years'][1]} (discount rate {s['discount_rate']:.1%}; budget "
             f"{'none' if s['budget_cny'] is None else money_text(s['budget_cny']) + ' CNY'}"
             + (f"; per year {', '.join(f'{y}: {money_text(v)}' for y, v in s['annual_budget_cny'].items())}" if s["annual_budget_cny"] else "") + ")"]
    if len(built):
        lines.append("Build schedule:")
        for r in built.itertuples():
            lines.append(f"  {r.candidate:<36} paid {r.build_year}, opens {r.opens}  {money_text(r.build_cost_cny):>16} CNY")
    else:
        lines.append("Build nothing: no candidate pays for its annual charge in these years.")
    pv = s["present_value_saved_cny"]
    lines.append(f"Present value saved against building nothing: {money_text(pv)} CNY (MIP gap "
                 f"{'—' if s['mip_gap'] is None else format(s['mip_gap'], '.2e')}, {s['solver_status']}, {s['solve_s']:.2f} s)")
    lines += ["", "Per year (CNY):", f"  {'year':<6}{'capital paid':>16}{'O&M':>12}{'cash saved':>16}{'net cash':>16}{'annual charge':>16}{'other saved':>14}{'PV after charge':>17}"]
    for r in inv.cash_flow.itertuples():
        lines.append(f"  {r.year:<6}{money_text(r.capital_cny):>16}{money_text(r.om_cny):>12}{money_text(r.cash_savings_cny):>16}{money_text(r.net_cash_flow_cny):>16}"
                     f"{money_text(r.annual_charge_cny):>16}{money_text(r.penalties_and_externalities_saved_cny):>14}{money_text(r.present_value_saved_cny):>17}")
    lines.append(f"  cash saved: {', '.join(CASH_PARTS)} with nothing built minus with the schedule; net cash = cash saved − capital − O&M (capital when paid);")
    lines.append("  other saved: penalties and externalities avoided (not cash); PV after charge = (cash + other saved − annual charge) discounted: the objective's measure")
    lines += [f"Years: {'; '.join(s['year_paths'])}", f"Assumption: {s['assumption']}"]
    if s["year_basis"]["warning"]:
        lines.append(f"Warning: {s['year_basis']['warning']}")
    return "\n".join(lines)
