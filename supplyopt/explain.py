"""Explain an infeasible plan in a planner's words.

Only hard requirements can make the plan impossible (unmet demand is always allowed):
minimum mine output, end-of-horizon stock, hard safety stock and the truck-share caps.
Each family is relaxed on its own in an *elastic* copy of the model — the requirement may
be missed, each tonne (or t·km) missed costs 1, every other cost is 0 — and the families
whose relaxation alone gives a plan are reported with the smallest violations that do.
If no single family is enough, all are relaxed together.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .data import Network
from .model import LinearProgram, build_lp
from .options import Options
from .solve import HighsEngine

TOL = 1e-6
FAMILIES = ("min_output", "end_stock", "safety_stock", "max_truck_share_tkm", "max_mine_truck_share")


def explain_infeasible(net: Network, opt: Options) -> list[str]:
    """Lines that say which hard requirements cannot all be met, and by how much."""
    present = [f for f in FAMILIES if _has(net, opt, f)]
    single = []
    for fam in present:
        found = _elastic(net, opt, {fam})
        if found is not None:
            single.append((fam, found))
    if single:
        head = "This requirement cannot be met:" if len(single) == 1 else "Relaxing any one of these requirements gives a plan:"
        lines = [head]
        for _fam, items in single:
            lines += [f"- {line}" for line in items]
        return lines
    found = _elastic(net, opt, set(present)) if present else None
    if found is not None:
        return ["These requirements cannot all be met together:"] + [f"- {line}" for line in found]
    # Coal cannot vanish: stock that has nowhere to go must fit the store it is in.
    found = _elastic(net, opt, set(present) | {"storage_room"})
    if found is None:
        return ["No plan exists even with every requirement relaxed: please report this data set (a bug)."]
    return ["Stock has nowhere to go (coal cannot be discarded), even with every other requirement relaxed:"] + [f"- {line}" for line in found if "does not fit" in line]


def _has(net: Network, opt: Options, family: str) -> bool:
    if family == "min_output":
        return bool((net.supply["min_t"] > 0).any())
    if family == "end_stock":
        return opt.end_stock != "free" or bool(net.storage["end_t"].notna().any())
    if family == "safety_stock":
        return opt.safety_stock == "hard" and bool((net.storage_periods["safety_t"] > 0).any())
    return getattr(opt, family) is not None


def _elastic(net: Network, opt: Options, relax: set[str]) -> list[str] | None:
    """Solve the elastic model relaxing ``relax``; None if still infeasible, else the
    violated requirements in planner words."""
    lp = build_lp(net, replace(opt, solver=replace(opt.solver, time_limit_s=None)))
    lp.costs = {}
    slacks: list[tuple[str, pd.DataFrame, np.ndarray]] = []  # (family, labels, violation columns)
    for var_name, fam in (("production", "min_output"), ("stock", "end_stock")):
        if fam in relax:
            slacks.append(_elastic_bound(lp, var_name, fam, "lower", "required_t"))
    if "safety_stock" in relax:
        v = lp.variables["safety_shortfall"]
        v.upper[:] = v.index["safety_t"].to_numpy()
        lp.add_cost("safety_violation", v.cols, np.ones(v.size))
        slacks.append(("safety_stock", v.index, v.cols))
    if "storage_room" in relax:
        slacks.append(_elastic_bound(lp, "stock", "storage_room", "upper", "room_t"))
        if "storage_capacity" in lp.constraints:  # stores shared by several products
            con = lp.constraints["storage_capacity"]
            slacks.append(_elastic_rows(lp, "storage_capacity", "storage_shared", con.index.assign(product="all products", room_t=con.upper), 1.0))
    for fam in ("max_truck_share_tkm", "max_mine_truck_share"):
        if fam in relax and fam in lp.constraints:
            # t·km and tonnes differ in scale; the weight keeps one tonne ≈ one 1000 t·km.
            slacks.append(_elastic_rows(lp, fam, fam, lp.constraints[fam].index, 1e-3 if fam.endswith("tkm") else 1.0))
    sol = HighsEngine(lp, replace(opt.solver, time_limit_s=None)).solve()
    if not sol.has_plan:
        return None
    lines = []
    for fam, labels, cols in slacks:
        amount = sol.x[cols]
        for i in np.flatnonzero(amount > TOL):
            lines.append(_words(net, opt, fam, labels.iloc[i], float(amount[i])))
    return lines or ["(the relaxed model needed no violation; numerical trouble — try --method ipm)"]


def _elastic_bound(lp: LinearProgram, var_name: str, family: str, side: str, label: str):
    """Turn a column bound into a requirement that may be missed: the bound moves into a row
    ``x ± violation ⋚ bound`` and each tonne of violation costs 1."""
    v = lp.variables[var_name]
    lower = side == "lower"
    bound = v.lower if lower else v.upper
    pos = np.flatnonzero(bound > 0) if lower else np.flatnonzero(np.isfinite(bound))
    labels = v.index.iloc[pos].assign(**{label: bound[pos]})
    miss = lp.add_variables(f"{family}_violation", f"tonnes beyond the {family} requirement", [], labels, 0.0, np.inf)
    n = np.arange(len(pos))
    coefs = np.r_[np.ones(len(pos)), (1.0 if lower else -1.0) * np.ones(len(pos))]
    lo, up = (bound[pos], np.inf) if lower else (-np.inf, bound[pos])
    lp.add_constraints(f"{family}_elastic", "requirement met or violation counted (t)", [], labels, np.r_[n, n], np.r_[v.start + pos, miss.cols], coefs, lo, up)
    bound[pos] = 0.0 if lower else np.inf
    lp.add_cost(f"{family}_violation", miss.cols, np.ones(len(pos)))
    return family, labels, miss.cols


def _elastic_rows(lp: LinearProgram, con_name: str, family: str, labels: pd.DataFrame, weight: float):
    """Let every row of a ``≤`` family be exceeded, at ``weight`` per unit."""
    con = lp.constraints[con_name]
    over = lp.add_variables(f"{family}_violation", "amount above the limit", [], con.index, 0.0, np.inf)
    con.rows, con.cols, con.coefs = np.r_[con.rows, np.arange(con.size)], np.r_[con.cols, over.cols], np.r_[con.coefs, -np.ones(con.size)]
    lp.add_cost(f"{family}_violation", over.cols, np.full(con.size, weight))
    return family, labels, over.cols


def _words(net: Network, opt: Options, family: str, r: pd.Series, amount: float) -> str:
    period = lambda: net.periods[int(r["period"])]  # noqa: E731
    if family == "min_output":
        return f"minimum output of {r['product']} at mine {r['mine']} in {period()} ({r['required_t']:,.0f} t) cannot be produced: {amount:,.0f} t has nowhere to go (no link or storage room)"
    if family == "end_stock":
        return f"end-of-horizon stock of {r['product']} at {r['node']} in {period()} cannot reach {r['required_t']:,.0f} t: short by {amount:,.0f} t"
    if family == "safety_stock":
        return f"safety stock of {r['product']} at {r['node']} in {period()} cannot be met: short by {amount:,.0f} t (safety {r['safety_t']:,.0f} t)"
    if family in ("storage_room", "storage_shared"):
        return f"stock of {r['product']} at {r['node']} in {period()} does not fit: {amount:,.0f} t above the capacity of {r['room_t']:,.0f} t (it cannot leave the node fast enough)"
    if family == "max_truck_share_tkm":
        return f"truck share cap of {opt.max_truck_share_tkm:.0%} of t·km cannot be met: truck t·km above the cap by {amount:,.0f} t·km"
    return f"mine truck share cap of {opt.max_mine_truck_share:.0%} of output cannot be met: truck tonnes leaving mines above the cap by {amount:,.0f} t"
