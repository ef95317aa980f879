"""Budgets kept exactly, on a kept engine: the one budget-tightening loop every investment
workflow uses (invest, frontier with candidates, invest over a scenario set, invest over years).

HiGHS accepts a row broken by up to its feasibility tolerance, so a MILP's budget row (in
million CNY) may let through a set of builds costing a few CNY more than the budget. After each
solve the chosen builds' cost is summed exactly (``model.candidates.BudgetRow.spent_cny``); while
it is above a budget, that row's bound is set just below the cost — by 2, 4, 8 … CNY, beyond the
tolerance, so the set is cut off — on the kept engine (a bound change, no model rebuilt) and the
MILP solved again. A set within a few CNY of the budget may then be passed over for a cheaper
one: never one above the budget.

The set that broke the row is the previous incumbent, and the tightened row cuts it off by
construction, so it cannot seed the next solve; what the loop saves is the model: the
statement, its Pyomo view and the plan tables are built once, not once per tightening.
"""

from __future__ import annotations

import numpy as np

from supplyopt.engines.solution import Solution
from supplyopt.model import candidates
from supplyopt.model.candidates import BUDGET_ROW_TOLERANCE_CNY, MAX_BUDGET_TIGHTENINGS, BudgetRow


class BudgetNotKept(Exception):
    """The chosen builds kept costing more than a budget after ``MAX_BUDGET_TIGHTENINGS``
    tightenings (only sets of a few CNY could get here: the bound is 0 long before)."""


def solve_within_budgets(engine, rows: list[BudgetRow], first: Solution | None = None) -> tuple[Solution, list[dict]]:
    """Solve ``engine`` (or take ``first``, its solution already found) and tighten the budget
    ``rows`` until every one holds exactly. Returns (the last solution, the tightenings: one
    dict per row tightened per re-solve — what the row's ``describe`` says of the plan,
    ``row_bound_cny``, ``over_budget_cost_cny``; empty when none was needed). The engine keeps
    the tightened bounds (the caller's next model change puts its own back). Raises
    :class:`BudgetNotKept`."""
    sol = engine.solve() if first is None else first
    tightenings: list[dict] = []
    margin, steps = BUDGET_ROW_TOLERANCE_CNY, 0
    while sol.has_plan:
        over = [(row, spent) for row in rows if (spent := row.spent_cny(sol.x)) > row.limit_cny]
        if not over:
            break
        if steps == MAX_BUDGET_TIGHTENINGS:
            limits = ", ".join(f"{row.limit_cny:,.2f}" for row, _ in over)
            raise BudgetNotKept(f"the chosen candidates kept costing more than the budget of {limits} CNY after {MAX_BUDGET_TIGHTENINGS} "
                                "tightenings of the budget row (solver tolerance)")
        steps += 1
        margin *= 2
        for row, spent in over:
            bound = max(min(row.limit_cny, spent - margin), 0.0)
            tightenings.append({**(row.describe(sol.x) if row.describe else {}), "row_bound_cny": bound, "over_budget_cost_cny": spent})
            n = len(row.positions)
            engine.set_constraint_bounds(row.family, row.positions, np.full(n, -np.inf), np.full(n, candidates.budget_row_bound(bound)))
        sol = engine.solve()
    return sol, tightenings
