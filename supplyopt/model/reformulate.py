"""The LP as HiGHS gets it: exact eliminations the engine makes, and the way back.

**Safety rows** (issue 16). A safety row ``stock + shortfall ≥ safety_t`` with a shortfall
column that appears in no other row, costs ``P ≥ 0`` per tonne and lies in ``[0, U]`` (``U``
= ``safety_t`` when soft, 0 when hard) is removed, together with the shortfall column, by
splitting the stock ``s ∈ [lo, ub]`` (holding cost ``h``) into

- ``a``, the stock up to the safety level: ``a ∈ [max(S − U, min(lo, A)), A]``, ``A = min(S, ub)``,
  costing ``h − P``, placed in the shortfall's column slot;
- ``b``, the stock above it: ``b ∈ [max(0, lo − A), ub − A]``, costing ``h``, placed in the
  stock's slot;

plus the constant ``P · S``. Both carry the stock's coefficients in every other row. Every
feasible ``(s, u)`` maps to ``a = min(s, A)``, ``b = s − a`` at no more cost, and every ``(a, b)``
maps back to ``s = a + b``, ``u = S − a`` at the same cost, so the optimum is the same
(docs/model.md has the proof). The plan handed back is in the model's own columns and rows:
stock, shortfall, and a dual for every safety row, derived from the split columns' reduced
costs so that it satisfies the original LP's optimality conditions (tested against them).

Rows the rule does not fit (another coefficient, a shortfall used elsewhere, a negative
penalty, integer columns) are passed unchanged. ``solver.reformulate: false`` passes the LP
exactly as built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from supplyopt.model.statement import LinearProgram


@dataclass
class HighsArrays:
    """The LP as HiGHS holds it (before tonnage scaling): costs, bounds, nonzeros, offset."""

    cost: np.ndarray
    col_lo: np.ndarray
    col_up: np.ndarray
    row_lo: np.ndarray
    row_up: np.ndarray
    rows: np.ndarray  # HiGHS row of each nonzero
    cols: np.ndarray
    vals: np.ndarray
    offset: float
    n_rows: int
    safety_t: np.ndarray  # S of each eliminated row, the shortfall's upper bound U and its penalty P (the split's order)
    shortfall_max_t: np.ndarray
    penalty_cny_per_t: np.ndarray


@dataclass
class SafetySplit:
    """Which safety rows are eliminated: LP row ``row[k]``, stock column ``stock[k]`` (kept
    for the part above the safety level), shortfall column ``short[k]`` (reused for the part
    up to it). ``row_to_highs`` maps every LP row to its HiGHS row, −1 for eliminated ones."""

    row: np.ndarray
    stock: np.ndarray
    short: np.ndarray
    row_to_highs: np.ndarray

    @property
    def n(self) -> int:
        return len(self.row)

    def same_shape(self, other: SafetySplit) -> bool:
        return all(np.array_equal(getattr(self, k), getattr(other, k)) for k in ("row", "stock", "short", "row_to_highs"))


def no_split(lp: LinearProgram) -> SafetySplit:
    """Every row passed as built."""
    empty = np.zeros(0, np.int64)
    return SafetySplit(empty, empty, empty, np.arange(lp.n_rows))


def as_built(lp: LinearProgram) -> HighsArrays:
    """The LP's arrays with nothing eliminated (computed once per model handed to HiGHS)."""
    rows, cols, vals = lp.triplets()
    col_lo, col_up, row_lo, row_up = lp.bounds()
    empty = np.zeros(0)
    return HighsArrays(lp.objective(), col_lo, col_up, row_lo, row_up, rows, cols, vals, 0.0, lp.n_rows, empty, empty, empty)


def find_safety_rows(lp: LinearProgram, built: HighsArrays) -> SafetySplit:
    """The safety rows the split removes exactly (none in a MIP); ``built``: ``as_built(lp)``."""
    n_rows = lp.n_rows
    none = no_split(lp)
    con = lp.constraints.get("safety_stock")
    if con is None or not con.size or lp.is_mip:
        return none
    rows, cols = built.rows, built.cols
    col_lo, row_lo, row_up, cost = built.col_lo, built.row_lo, built.row_up, built.cost
    per_row = np.bincount(rows, minlength=n_rows)
    per_col = np.bincount(cols, minlength=lp.n_cols)
    # the family's nonzeros, two per row: the stock first and the shortfall second (model.safety_stock)
    fam_rows = con.start + con.rows
    order = np.lexsort((np.arange(len(fam_rows)), fam_rows))
    r, c, v = fam_rows[order], con.cols[order], con.coefs[order]
    if len(r) % 2 or not np.array_equal(r[0::2], r[1::2]):
        return none
    row, first_col, second_col = r[0::2], c[0::2], c[1::2]

    def can_be_shortfall(col):  # in this row only, from 0, at no negative cost
        return (per_col[col] == 1) & (col_lo[col] == 0.0) & (cost[col] >= 0.0)

    # the stock comes first in model.safety_stock; a compiled or extended model may differ
    second = can_be_shortfall(second_col)
    short = np.where(second, second_col, first_col)
    stock = np.where(second, first_col, second_col)
    fits = (
        (per_row[row] == 2) & np.isinf(row_up[row]) & np.isfinite(row_lo[row])
        & (v[0::2] == 1.0) & (v[1::2] == 1.0) & (stock != short) & can_be_shortfall(short)
    )
    row, stock, short = row[fits], stock[fits], short[fits]
    _, first = np.unique(stock, return_index=True)  # a stock split once only
    keep = np.sort(first)
    row, stock, short = row[keep], stock[keep], short[keep]
    eliminated = np.zeros(n_rows, bool)
    eliminated[row] = True
    row_to_highs = np.where(eliminated, -1, np.cumsum(~eliminated) - 1)
    return SafetySplit(row, stock, short, row_to_highs)


def highs_arrays(built: HighsArrays, split: SafetySplit) -> HighsArrays:
    """The arrays HiGHS solves: the LP as built (``as_built``) with ``split``'s rows eliminated."""
    if not split.n:
        return built
    rows, cols, vals = built.rows, built.cols, built.vals
    col_lo, col_up, row_lo, row_up, cost = built.col_lo, built.col_up, built.row_lo, built.row_up, built.cost
    s, u, r = split.stock, split.short, split.row
    S, U, P, h, lo, ub = row_lo[r], col_up[u], cost[u], cost[s], col_lo[s], col_up[s]
    A = np.minimum(S, ub)
    col_lo, col_up, cost = col_lo.copy(), col_up.copy(), cost.copy()
    col_lo[u], col_up[u], cost[u] = np.maximum(S - U, np.minimum(lo, A)), A, h - P
    col_lo[s], col_up[s], cost[s] = np.maximum(0.0, lo - A), ub - A, h
    keep = split.row_to_highs[rows] >= 0
    rows, cols, vals = split.row_to_highs[rows[keep]], cols[keep], vals[keep]
    # the part up to the safety level carries the stock's coefficients in every other row
    slot = np.full(len(cost), -1, np.int64)
    slot[s] = u
    twin = slot[cols] >= 0
    rows = np.concatenate([rows, rows[twin]])
    vals = np.concatenate([vals, vals[twin]])
    cols = np.concatenate([cols, slot[cols[twin]]])
    kept = split.row_to_highs >= 0
    return HighsArrays(cost, col_lo, col_up, row_lo[kept], row_up[kept], rows, cols, vals, float(np.dot(P, S)), int(kept.sum()), S, U, P)


def plan_back(split: SafetySplit, held: HighsArrays, x: np.ndarray, row_dual: np.ndarray, col_dual: np.ndarray, tol: float = 1e-6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """HiGHS's primal values, row duals and reduced costs, in the LP's own columns and rows.

    Stock = a + b, shortfall = S − a. The safety row's dual y (CNY per t of safety stock)
    is chosen to meet the original LP's optimality conditions: P while the shortfall is
    strictly between its bounds, 0 while the stock is above the safety level, and otherwise
    the split's own reduced cost of the part above, clipped to what the shortfall's bound
    allows. Then stock's reduced cost is d_b − y and the shortfall's P − y.
    """
    if not split.n:
        return x, row_dual, col_dual
    full_dual = np.full(len(split.row_to_highs), np.nan)
    full_dual[split.row_to_highs >= 0] = row_dual
    s, u, r = split.stock, split.short, split.row
    S, U, P = held.safety_t, held.shortfall_max_t, held.penalty_cny_per_t
    a, b = x[u], x[s]
    x = x.copy()
    x[s], x[u] = a + b, S - a
    d_b = col_dual[s]
    short = S - a
    eps = tol * np.maximum(1.0, np.abs(S))
    y = np.where(
        (short > eps) & (short < U - eps), P,  # shortfall strictly inside its bounds
        np.where(b > eps, 0.0,  # stock above the safety level: the row is slack
                 np.where(U > 0, np.where(short >= U - eps, np.maximum(P, d_b), np.clip(d_b, 0.0, P)),
                          np.maximum(d_b, 0.0))))  # hard safety: no shortfall to cap the price
    y = np.where(np.isnan(d_b), np.nan, y)  # no duals (a stopped or failed solve): none derived
    col_dual = col_dual.copy()
    col_dual[s], col_dual[u] = d_b - y, P - y
    full_dual[r] = y
    return x, full_dual, col_dual
