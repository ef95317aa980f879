"""Invest over a scenario set: one choice of candidates for every future that may come.

    from supplyopt.workflows.invest_risk import robust_invest
    inv = robust_invest("data/shanxi-year", 5e9, "scenarios/sets/year.yaml")
    inv.chosen, inv.scenarios   # the shared choice; per scenario: its own best choice and regret

The build decisions are shared by every scenario (they are taken before anyone knows which
future comes); each scenario has its own operations over the whole horizon, knowing that
scenario (a design study: perfect foresight within each future). The objective is the
probability-weighted cost of the scenarios (``model/extensive.py``'s extensive form with only
the period-less columns — the builds — shared), plus an optional CVaR term for a risk-averse
choice. Solved as one MILP with HiGHS.

How each scenario changes the choice: each scenario is also solved alone (its own best
choice, with hindsight), and each of those choices is priced in every scenario (its builds
fixed in the extensive form), so the table shows what betting on one future costs when the
mix comes instead.
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
from supplyopt.io.scenario import apply_scenario
from supplyopt.io.write import csv_text, summary_json, write_folder
from supplyopt.model.candidates import CandidateChoice, budget_rows, candidate_table, exact_build_cost, with_candidates, year_basis
from supplyopt.model.extensive import Extensive, Risk, extensive_form, measure_terms
from supplyopt.model.foresight import DESIGN_FORESIGHT
from supplyopt.workflows.evaluate import money_text
from supplyopt.workflows.invest import investment_options
from supplyopt.workflows.stochastic import outcome_table, scenario_lp, scenario_set

ASSUMPTION = ("builds shared by every scenario, decided before the future is known; each scenario's operations over the whole horizon "
              "with that scenario known (perfect foresight within it); objective: the probability-weighted plan cost (the profile's whole objective: "
              "cash costs and its penalty weights — truck externality, unmet, end stock — plus the investment charge)")


@dataclass
class RobustInvestment:
    """The shared choice and how each scenario would have chosen alone."""

    summary: dict
    candidates: pd.DataFrame  # one row per candidate: chosen, chosen alone in each scenario
    scenarios: pd.DataFrame  # one row per scenario: probability, costs, its own choice, regret

    def write(self, out_dir: str | Path) -> Path:
        """summary.json, candidates.csv, scenarios.csv — atomically."""
        return write_folder(out_dir, {"summary.json": summary_json(self.summary), "candidates.csv": csv_text(self.candidates),
                                      "scenarios.csv": csv_text(self.scenarios)})


def run_record(study) -> dict:
    """What summary.json records of any investment run: the data set and its warnings, the
    profile, options and end-of-horizon rule, the extension hook, versions."""
    net, opt = study.base, study.options
    return {"dataset": api.dataset_record(net), "input_warnings": api.input_warnings(net), "profile": {"path": study.profile_path},
            "options": opt.to_dict(), "assumptions": {"foresight": "perfect (a design study)", "end_of_horizon": opt.end_rule_words},
            "extension": study.extension, "currency": net.currency, "versions": api.versions()}


# --------------------------------------------------------------------------- the budget, exactly
def chosen_ids(ext: Extensive, x: np.ndarray) -> list[str]:
    fam = ext.lp.variables["build"]
    n = ext.first_stage["build"]
    return sorted(fam.index["candidate"].iloc[:n][x[fam.start : fam.start + n] > 0.5])


def solve_within_budget(engine: HighsEngine, ext: Extensive, cands: pd.DataFrame, budget: float):
    """Solve, the shared choice's build cost kept exactly within ``budget`` (every scenario's
    budget row tightened together: ``engines.budget``). Returns (solution, tightenings)."""
    try:
        return solve_within_budgets(engine, budget_rows(ext.lp, cands, budget))
    except BudgetNotKept as err:
        raise api.NoPlan("numerical", str(err)) from None


# --------------------------------------------------------------------------- solving
def robust_invest(network, budget: float, scenarios, model=None, risk: Risk | None = None, scenario=None, max_mine_truck_share: float | None = None,
                  extend=None, **solver) -> RobustInvestment:
    """Choose candidates under ``budget`` (CNY of build cost) for every scenario of the set
    ``scenarios`` at once; see the module docstring."""
    started = time.perf_counter()
    net = network if isinstance(network, Network) else api.load(network)
    if budget is None or not np.isfinite(budget) or budget < 0:
        raise DataError([Problem("--budget", "expected a budget ≥ 0 CNY", value=budget)])
    cands = candidate_table(net)
    opt = investment_options(api.options(model, max_mine_truck_share=max_mine_truck_share, **{**solver, "foresight": DESIGN_FORESIGHT}))
    choice = CandidateChoice(cands, budget=float(budget))
    study = api.Study(with_candidates(net), model=opt, layers=[choice], extend=extend)
    if scenario is not None:
        study.apply(scenario)
    sset = scenario_set(scenarios)
    base = study.network
    nets, problems = [], []
    for m in sset.members:
        try:
            nets.append(base if m.scenario is None else apply_scenario(base, m.scenario))
        except DataError as err:
            problems += [Problem(p.file, f"(scenario {m.name}) {p.message}", p.row, p.column, p.value) for p in err.problems]
    if problems:
        raise DataError(problems)
    lps = [scenario_lp(study, n) for n in nets]
    p = np.asarray(sset.probabilities, float)
    ext = extensive_form(lps, sset.names, p, -1, share=True, risk=risk)  # only the period-less build columns are shared
    engine = HighsEngine(ext.lp, study.options.solver)
    sol, tightened = solve_within_budget(engine, ext, cands, float(budget))
    if not sol.has_plan:
        raise api.NoPlan(sol.status, f"no choice of candidates within the budget gives every scenario a plan ({sol.message})")
    violations = check_plan(ext.lp, sol.x)
    if violations:
        raise api.NoPlan("numerical", "the solver's plan does not hold up (numerical trouble). It breaks:", violations[:10])
    chosen = chosen_ids(ext, sol.x)
    outcomes = outcome_table(ext, sol.x)
    n = ext.first_stage["build"]
    labels = ext.lp.variables["build"].index["candidate"].iloc[:n].tolist()

    def priced(ids: list[str]) -> tuple[float, np.ndarray]:
        """The expected objective and each scenario's cost with the builds fixed to ``ids``."""
        v = np.array([1.0 if c in ids else 0.0 for c in labels])
        engine.set_variable_bounds("build", np.arange(n), v, v)
        s = engine.solve()
        if not s.has_plan:
            return math.inf, np.full(len(lps), math.inf)
        return float(s.objective), outcome_table(ext, s.x)["cost_cny"].to_numpy()

    nothing_expected, nothing_by = priced([])
    own_rows = []
    for s, (name, lp) in enumerate(zip(sset.names, lps)):
        alone = HighsEngine(lp, study.options.solver)
        one = Extensive(lp, [name], np.ones(1), [np.arange(lp.n_cols)], [lp], {"build": lp.variables["build"].size})
        alone_sol, _ = solve_within_budget(alone, one, cands, float(budget))
        own = chosen_ids(one, alone_sol.x) if alone_sol.has_plan else None
        own_rows.append((name, own, float(alone_sol.objective) if alone_sol.has_plan else math.inf))
    table = outcomes[["scenario", "probability", "cost_cny", "unmet_t"]].rename(columns={"cost_cny": "cost_with_shared_choice_cny", "unmet_t": "unmet_with_shared_choice_t"})
    table["cost_with_nothing_built_cny"] = nothing_by
    table["own_choice"] = [" ".join(o) if o is not None else "(no plan)" for _, o, _ in own_rows]
    table["cost_with_own_choice_cny"] = [c for _, _, c in own_rows]
    table["regret_cny"] = table["cost_with_shared_choice_cny"] - table["cost_with_own_choice_cny"]
    expected_if = {}
    for name, own, _ in own_rows:
        if own is not None:
            expected_if[name] = priced(own)[0]
    table["expected_cost_if_own_choice_everywhere_cny"] = [expected_if.get(name, math.inf) for name in table["scenario"]]
    cand_table = cands[["id", "kind", "target", "build_cost_cny", "annual_cost_cny", "horizon_cost_cny"]].copy()
    cand_table.insert(1, "chosen", cand_table["id"].isin(chosen))
    for name, own, _ in own_rows:
        cand_table[f"chosen_alone_{name}"] = cand_table["id"].isin(own or [])
    summary = {
        **run_record(study),
        "year_basis": year_basis(net),
        "scenario_set": sset.record(),
        "assumption": ASSUMPTION,
        "risk": None if risk is None else {"measure": risk.measure, "level": risk.level, "weight": risk.weight, "words": risk.words()},
        "budget_cny": float(budget),
        "chosen": chosen,
        "build_cost_cny": exact_build_cost(cands, chosen),
        "budget_check": {"budget_cny": float(budget), "build_cost_cny": exact_build_cost(cands, chosen), "tightenings": tightened,
                         "rule": "the chosen set's build cost, summed exactly, never above the budget; where the solver's tolerance let a budget row be "
                                 "broken, the rows were tightened just below that set's cost and re-solved"},
        "expected_objective_cny": float(sol.objective),
        "expected_objective_nothing_built_cny": nothing_expected,
        "expected_savings_cny": nothing_expected - float(sol.objective),
        "choice_changes_with_scenario": sorted({" ".join(o or []) for _, o, _ in own_rows}) != [" ".join(chosen)],
        "mip_gap": sol.mip_gap,
        "solver_status": sol.status,
        "solve_s": sol.solve_s,
        "wall_s": time.perf_counter() - started,
        "model": {"variables": ext.lp.n_cols, "constraints": ext.lp.n_rows, "scenarios": len(lps)},
        "units": "CNY over the horizon (probability-weighted where 'expected'); t",
    }
    return RobustInvestment(summary, cand_table, table)


# --------------------------------------------------------------------------- terminal
def format_robust(inv: RobustInvestment) -> str:
    s = inv.summary
    lines = [f"Scenario set {s['scenario_set']['name']} ({len(inv.scenarios)} scenarios): budget {money_text(s['budget_cny'])} CNY",
             f"Shared choice: build {', '.join(s['chosen']) or 'nothing'} (build cost {money_text(s['build_cost_cny'])} CNY)",
             f"Expected cost {money_text(s['expected_objective_cny'])} CNY; with nothing built {money_text(s['expected_objective_nothing_built_cny'])} "
             f"(saves {money_text(s['expected_savings_cny'])} CNY over the horizon)",
             f"MIP gap {'—' if s['mip_gap'] is None else format(s['mip_gap'], '.2e')} ({s['solver_status']}, {s['solve_s']:.2f} s)"]
    if s["risk"]:
        lines.append(f"Risk: {s['risk']['words']}")
    lines += ["", "How each scenario changes the choice (CNY over the horizon):",
              f"  {'scenario':<28}{'p':>6}  {'shared choice':>18}{'own choice':>18}{'regret':>14}  own choice builds"]
    for r in inv.scenarios.itertuples():
        lines.append(f"  {r.scenario:<28}{r.probability:>6.3f}  {money_text(r.cost_with_shared_choice_cny):>18}{money_text(r.cost_with_own_choice_cny):>18}"
                     f"{money_text(r.regret_cny):>14}  {r.own_choice or 'nothing'}")
    lines.append("  regret: the scenario's cost with the shared choice minus with its own best choice (hindsight)")
    lines.append(f"Assumption: {s['assumption']}")
    if s["year_basis"]["warning"]:
        lines.append(f"Warning: {s['year_basis']['warning']}")
    return "\n".join(lines)
