"""Choose the best set of investment candidates under a budget (a MILP) against building nothing."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from supplyopt import study as api
from supplyopt.engines.budget import BudgetNotKept, solve_within_budgets
from supplyopt.io.network import Network
from supplyopt.io.write import csv_text, summary_json, write_folder
from supplyopt.model.candidates import CandidateChoice, budget_rows, candidate_table, exact_build_cost, with_candidates, year_basis
from supplyopt.model.foresight import DESIGN_FORESIGHT
from supplyopt.workflows.economics import Valuation, economics_lines, legend, per_candidate, summary_of
from supplyopt.workflows.evaluate import money_text, comparison_text, comparison, headline

# --------------------------------------------------------------------------- invest
DEFAULT_MIP_GAP = 1e-7
BUDGET_RULE = ("the chosen set's build cost, summed exactly, never above the budget: where the solver's tolerance let the "
               "budget row be broken, the row was tightened just below that set's cost and re-solved")


def solve_within_budget(study, choice: CandidateChoice, budget: float | None):
    """Solve ``study`` (one of whose layers is ``choice``, choosing) so that the chosen set's
    build cost, summed exactly, is never above ``budget`` (CNY): the kept model's budget row
    tightened and re-solved on the engine (``engines.budget.solve_within_budgets``), the plan
    built once from the last solve.

    ``budget`` None: no budget row, one solve. Returns the :class:`~supplyopt.results.plan.Plan`;
    ``plan.summary["budget_check"]`` records ``budget_cny``, ``build_cost_cny`` (exact),
    ``chosen`` and ``tightenings`` (one dict per re-solve: ``over_budget_set``, ``row_bound_cny``
    and ``over_budget_cost_cny``; empty when none was needed). Raises what ``study.solve``
    raises (``NoPlan``)."""
    choice.budget = None if budget is None else float(budget)
    tightenings: list[dict] = []

    def keep_budget(engine, lp, sol):
        try:
            sol, steps = solve_within_budgets(engine, budget_rows(lp, choice.table, budget), first=sol)
        except BudgetNotKept as err:
            raise api.NoPlan("numerical", str(err)) from None
        tightenings.extend(steps)
        return sol

    plan = study.solve(refine=keep_budget if budget is not None else None)
    chosen = choice.built(study)
    plan.summary["budget_check"] = {"budget_cny": None if budget is None else float(budget), "build_cost_cny": exact_build_cost(choice.table, chosen),
                                    "chosen": chosen, "tightenings": tightenings, "rule": BUDGET_RULE}
    return plan


def investment_options(opt):
    """The options with ``mip_gap`` DEFAULT_MIP_GAP where the profile leaves it blank. The
    gap is relative to the whole plan's cost: HiGHS's own default (1e-4) on the Shanxi plan
    (1.6e11 CNY) is 16 million CNY, more than one siding saves over a 13-week horizon, so
    the search would stop before comparing candidates at all."""
    if opt.solver.mip_gap is not None:
        return opt
    return dataclasses.replace(opt, solver=dataclasses.replace(opt.solver, mip_gap=DEFAULT_MIP_GAP))


@dataclass
class Investment:
    """The chosen set under a budget, against building nothing."""

    budget: float
    chosen: list[str]
    plan: object  # Plan with the chosen set
    none: object  # Plan with nothing built (None if that is infeasible)
    candidates: pd.DataFrame  # one row per candidate: chosen or not, money
    table: pd.DataFrame  # comparison without (nothing built) / with (chosen)
    mip_gap: float | None
    solve_s: float
    marginal: dict = field(default_factory=dict)
    economics: pd.DataFrame | None = None  # one row per candidate, cash and social cases (economics.per_candidate)
    valuation: Valuation | None = None
    basis: dict | None = None  # candidates.year_basis: the horizon and whether it is a year

    def summary(self) -> dict:
        t = self.table.set_index("metric") if self.table is not None else None
        return {
            **self.plan.inputs(),
            "year_basis": self.basis,
            "budget_cny": self.budget,
            "chosen": self.chosen,
            "build_cost_cny": float(self.candidates.loc[self.candidates["chosen"], "build_cost_cny"].sum()),
            "budget_check": self.plan.summary.get("budget_check"),  # solve_within_budget: exact sum, tightenings
            "savings_cny": None if t is None else -float(t.loc["objective_cny", "change"]),
            "operating_savings_cny": None if t is None else -float(t.loc["operating_cny", "change"]),
            "mip_gap": self.mip_gap,
            "mip_gap_cny": self.plan.summary["solver"]["objective"] - self.plan.summary["solver"]["dual_bound"] if self.plan.summary["solver"]["dual_bound"] is not None else None,
            "solver_status": self.plan.summary["solver"]["status"],
            "solve_s": self.solve_s,
            "marginal_value_of_budget": self.marginal,
            "economics": [summary_of(r) for _, r in self.economics.iterrows()] if self.economics is not None else [],
            "valuation": (self.valuation or Valuation()).record(),
            "without": None if t is None else t["without"].to_dict(),
            "with": None if t is None else t["with"].to_dict(),
            "units": "CNY and tonnes over the horizon; savings = objective with nothing built − objective with the chosen set (investment part included)",
        }

    def write(self, out_dir: str | Path) -> Path:
        """summary.json, candidates.csv (chosen or not), comparison.csv, economics.csv — atomically."""

        files = {"summary.json": summary_json(self.summary()), "candidates.csv": csv_text(self.candidates)}
        if self.economics is not None:
            files["economics.csv"] = csv_text(self.economics)
        if self.table is not None:
            files["comparison.csv"] = csv_text(self.table)
        return write_folder(out_dir, files)


def invest(network, budget: float, model=None, scenario=None, max_mine_truck_share: float | None = None, budget_step: float | None = None,
           extend=None, valuation: Valuation | None = None, **solver) -> Investment:
    """Choose candidates with Σ build cost ≤ budget minimising the plan's cost including the
    annualised investment (MILP; gap and time limit from the profile). Marginal value of
    budget: re-solved at budget + step (default 10 % of the budget), (objective(B) −
    objective(B + step)) / step, CNY of horizon cost per CNY of budget."""

    net = network if isinstance(network, Network) else api.load(network, count_candidates=True)
    cands = candidate_table(net)
    opt = investment_options(api.options(model, max_mine_truck_share=max_mine_truck_share, **{**solver, "foresight": DESIGN_FORESIGHT}))
    full = with_candidates(net)
    none_choice = CandidateChoice(cands, fixed={})
    none_study = api.Study(full, model=opt, layers=[none_choice], extend=extend)
    choice = CandidateChoice(cands, budget=float(budget))
    study = none_study.fresh()
    study.layers = [choice]
    if scenario is not None:
        none_study.apply(scenario)
        study.apply(scenario)
    try:
        none = none_study.solve()
    except api.NoPlan:
        none = None  # only some investment makes the plan possible
    plan = solve_within_budget(study, choice, float(budget))
    sol = study.solution
    chosen = choice.built(study)
    # nothing built: the same network as the reference — a second optimal plan of equal cost
    # would show route changes that building did not cause
    table = comparison(headline(none), headline(plan if chosen else none)) if none is not None else None
    step = budget_step if budget_step is not None else (0.1 * budget if budget > 0 else float(cands["build_cost_cny"].min()))
    marginal = {}
    if step > 0:
        more = solve_within_budget(study, choice, float(budget) + step)
        marginal = {
            "budget_step_cny": step,
            "chosen_at_budget_plus_step": choice.built(study),
            "budget_check_at_budget_plus_step": more.summary["budget_check"],
            "objective_at_budget_plus_step_cny": more.kpis["objective"],
            "cny_saved_per_cny_of_budget": (plan.kpis["objective"] - more.kpis["objective"]) / step,
            "note": "re-solved at budget + step (MILP; both within the MIP gap)",
        }
    table_c = cands[["id", "kind", "target", "build_cost_cny", "annual_cost_cny", "horizon_cost_cny", "earliest_period", "excludes", "requires"]].copy()
    table_c.insert(1, "chosen", table_c["id"].isin(chosen))
    result = Investment(float(budget), chosen, plan, none, table_c, table, sol.mip_gap, sol.solve_s, marginal, valuation=valuation or Valuation(), basis=year_basis(net))
    # one row per candidate: the marginal value of each chosen one, the others alone (warm LPs, builds fixed)
    result.economics = per_candidate(none_study, none_choice, net, cands, chosen, none, result.valuation)
    return result


def format_investment(inv: Investment) -> str:
    s = inv.summary()
    gap = "—" if inv.mip_gap is None else f"{inv.mip_gap:.2e} ({money_text(s['mip_gap_cny'])} CNY)"
    lines = [f"Budget {money_text(inv.budget)} CNY: build {', '.join(inv.chosen) or 'nothing'} (build cost {money_text(s['build_cost_cny'])} CNY)",
             f"MIP gap reached {gap} ({s['solver_status']}, {inv.solve_s:.2f} s)"]
    if inv.table is not None:
        lines += [f"Savings over the horizon {money_text(s['savings_cny'])} CNY (operating {money_text(s['operating_savings_cny'])} CNY, investment part included)",
                  comparison_text(inv.table)]
    else:
        lines.append("Without any candidate there is no feasible plan.")
    m = inv.marginal
    if m:
        lines.append(f"Marginal value of budget: {m['cny_saved_per_cny_of_budget']:.4f} CNY saved per CNY "
                     f"(re-solved at budget + {money_text(m['budget_step_cny'])}: builds {', '.join(m['chosen_at_budget_plus_step']) or 'nothing'})")
    if inv.economics is not None and len(inv.economics):
        lines += ["", "Per candidate (million CNY; per year once open; payback simple/discounted years from opening; basis per row):",
                  economics_lines(inv.economics), legend(inv.valuation or Valuation())]
    if inv.basis and inv.basis["warning"]:
        lines += ["", f"Warning: {inv.basis['warning']}"]
    return "\n".join(lines)
