"""Explain an infeasible plan in a planner's words.

Only hard requirements can make the plan impossible (unmet demand is always allowed): those
marked ``hard`` in ``requirements.py`` — minimum mine output, end-of-horizon stock, hard
safety stock, the truck-share caps, the blend limits of coal quality — and any constraint an
extension added.
Each family is relaxed on its own in an *elastic* copy of the model — the requirement may
be missed, each tonne (or t·km) missed costs 1, every other cost is 0 — and the families
whose relaxation alone gives a plan are reported with the smallest violations that do.
If no single family is enough, all are relaxed together.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from supplyopt.engines.solver import HighsEngine
from supplyopt.io.data import STANDARD_COAL_KCAL_PER_KG
from supplyopt.io.network import Network
from supplyopt.model.options import Options
from supplyopt.model.requirements import BY_NAME, HARD, Requirement, registry
from supplyopt.model.statement import LinearProgram, build_lp, receipts

TOL = 1e-6
# Weights of a missed unit when several families are relaxed together: one tonne ≈ one
# 1000 t·km ≈ one tce of energy below a blend's floor ≈ one tonne 1 % over a sulphur limit.
WEIGHTS = {"max_truck_share_tkm": 1e-3}
# blend requirement: (limit column, unit, side, scale): blend = limit + scale × missed ÷ t received
BLENDS = {"blend_min_calorific": ("min_kcal_per_kg", "kcal/kg", "at least", -STANDARD_COAL_KCAL_PER_KG), "blend_max_sulphur": ("max_sulphur_pct", "% sulphur", "at most", 1.0)}


def explain_infeasible(net: Network, opt: Options, build=None) -> list[str]:
    """Lines that say which hard requirements cannot all be met, and by how much. ``build``
    (``build(net, opt) -> LinearProgram``, default ``model.build_lp``) gives the model to
    relax, e.g. the compiled Pyomo model with an extension's constraints."""
    build = build or build_lp
    first = build(net, replace(opt, solver=replace(opt.solver, time_limit_s=None)))
    hard = [r for r in registry(first) if r.hard]
    present = [r.name for r in hard if r.mask(first).any()]
    extra = {r.name: r for r in hard if r.name not in BY_NAME}
    single = []
    for fam in present:
        found = _elastic(net, opt, {fam}, build, extra)
        if found is not None:
            single.append((fam, found))
    if single:
        head = "This requirement cannot be met:" if len(single) == 1 else "Relaxing any one of these requirements gives a plan:"
        lines = [head]
        for _fam, items in single:
            lines += [f"- {line}" for line in items]
        return lines
    found = _elastic(net, opt, set(present), build, extra) if present else None
    if found is not None:
        return ["These requirements cannot all be met together:"] + [f"- {line}" for line in found]
    # Coal cannot vanish: stock that has nowhere to go must fit the store it is in.
    found = _elastic(net, opt, set(present) | {"storage_room"}, build, extra)
    if found is None:
        return ["No plan exists even with every requirement relaxed: please report this data set (a bug)."]
    return ["Stock has nowhere to go (coal cannot be discarded), even with every other requirement relaxed:"] + [f"- {line}" for line in found if "does not fit" in line]


def _elastic(net: Network, opt: Options, relax: set[str], build, extra: dict) -> list[str] | None:
    """Solve the elastic model relaxing ``relax``; None if still infeasible, else the
    violated requirements in planner words."""
    lp = build(net, replace(opt, solver=replace(opt.solver, time_limit_s=None)))
    lp.costs = {}
    slacks: list[tuple[str, pd.DataFrame, np.ndarray]] = []  # (requirement, labels, violation columns)
    for name in sorted(relax - {"storage_room"}, key=lambda n: (n not in HARD, HARD.index(n) if n in HARD else 0, n)):
        req = BY_NAME.get(name) or extra[name]
        if req.carrier == "row":
            if req.family in lp.constraints:
                # t·km and tonnes differ in scale; the weight keeps one tonne ≈ one 1000 t·km.
                slacks.append(_elastic_rows(lp, req.family, name, lp.constraints[req.family].index, WEIGHTS.get(name, 1.0)))
        else:
            slacks.append(_elastic_bound(lp, req, "required_t" if req.carrier == "lower" else "room_t"))
    if "storage_room" in relax:
        slacks.append(_elastic_bound(lp, BY_NAME["storage_capacity"], "room_t", "storage_room"))
        if "storage_capacity" in lp.constraints:  # stores shared by several products
            con = lp.constraints["storage_capacity"]
            slacks.append(_elastic_rows(lp, "storage_capacity", "storage_shared", con.index.assign(product="all products", room_t=con.upper), 1.0))
    sol = HighsEngine(lp, replace(opt.solver, time_limit_s=None)).solve()
    if not sol.has_plan:
        return None
    lines = []
    for fam, labels, cols in slacks:
        amount = sol.x[cols]
        if fam in BLENDS:  # in planner words: the tonnes received and the blend they make
            labels = labels.assign(received_t=_received_t(net, lp, sol.x, labels))
        for i in np.flatnonzero(amount > TOL):
            lines.append(_words(net, opt, fam, labels.iloc[i], float(amount[i])))
    return lines or ["(the relaxed model needed no violation; numerical trouble — try --method ipm)"]


def _elastic_bound(lp: LinearProgram, req: Requirement, label: str, name: str | None = None):
    """Turn a requirement carried by a column bound into one that may be missed: the bound
    moves into a row ``x ± violation ⋚ bound`` and each tonne of violation costs 1."""
    family = name or req.name
    v = lp.variables[req.family]
    lower = req.carrier == "lower"
    bound = v.lower if lower else v.upper
    pos = np.flatnonzero(req.mask(lp))
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
    """Let every row of a family be missed (a ``≤`` row exceeded, a ``≥`` row undershot), at
    ``weight`` per unit."""
    con = lp.constraints[con_name]
    over = lp.add_variables(f"{family}_violation", "amount beyond the limit", [], con.index, 0.0, np.inf)
    sign = np.where(np.isfinite(con.upper), -1.0, 1.0)  # ranged or equality rows: relaxed upwards only
    con.rows, con.cols, con.coefs = np.r_[con.rows, np.arange(con.size)], np.r_[con.cols, over.cols], np.r_[con.coefs, sign]
    lp.add_cost(f"{family}_violation", over.cols, np.full(con.size, weight))
    return family, labels, over.cols


def _received_t(net: Network, lp: LinearProgram, x: np.ndarray, labels: pd.DataFrame) -> np.ndarray:
    """Raw tonnes received (all grades counted as the product) at each blend row's demand
    centre, product and period, in the plan ``x``."""
    keys = ["node", "product", "period"]
    r = receipts(net, lp.variables["flow"])
    r["received_t"] = r["efficiency"].to_numpy() * x[r["col"].to_numpy()]
    total = r.groupby(keys, sort=False)["received_t"].sum().reset_index()
    return labels[keys].merge(total, on=keys, how="left")["received_t"].fillna(0.0).to_numpy()


def _blend_words(net: Network, family: str, r: pd.Series, amount: float) -> str:
    """A missed blend limit in planner words: the demand centre, product and period, the
    limit, and the tonnes received and the blend they make in the plan that misses it least
    (the row is Σ (quality − limit) · t received ÷ per, so the blend is the limit ∓ amount ×
    per ÷ t)."""
    column, unit, side, scale = BLENDS[family]
    limit, received = float(r[column]), float(r["received_t"])
    fmt = (lambda v: f"{v:,.0f} {unit}") if unit == "kcal/kg" else (lambda v: f"{v:,.2f} {unit}")
    head = f"{family}: {r['node']} ({r['product']}) in {net.periods[int(r['period'])]} must receive coal of {side} {fmt(limit)} ({column})"
    if received <= TOL:
        return f"{head}; missed by {amount:,.6g}"
    blend = limit + scale * amount / received
    return f"{head}, but in the plan that misses it least the {received:,.0f} t it receives blend to {fmt(blend)}"


def _words(net: Network, opt: Options, family: str, r: pd.Series, amount: float) -> str:
    period = lambda: net.periods[int(r["period"])]  # noqa: E731
    if family in BLENDS:
        return _blend_words(net, family, r, amount)
    if family == "min_output":
        return f"minimum output of {r['product']} at mine {r['mine']} in {period()} ({r['required_t']:,.0f} t) cannot be met: {amount:,.0f} t of it cannot be moved on or stored under the other requirements"
    if family == "end_stock":
        return f"end-of-horizon stock of {r['product']} at {r['node']} in {period()} cannot reach {r['required_t']:,.0f} t: short by {amount:,.0f} t"
    if family == "safety_stock_hard":
        return f"safety stock of {r['product']} at {r['node']} in {period()} cannot be met: short by {amount:,.0f} t (safety {r['safety_t']:,.0f} t)"
    if family in ("storage_room", "storage_shared"):
        return f"stock of {r['product']} at {r['node']} in {period()} does not fit: {amount:,.0f} t above the capacity of {r['room_t']:,.0f} t (it cannot leave the node fast enough)"
    if family == "max_truck_share_tkm":
        return f"truck share cap of {opt.max_truck_share_tkm:.0%} of t·km cannot be met: truck t·km above the cap by {amount:,.0f} t·km"
    if family == "max_mine_truck_share":
        return f"mine truck share cap of {opt.max_mine_truck_share:.0%} of output cannot be met: truck tonnes leaving mines above the cap by {amount:,.0f} t"
    where = ", ".join(f"{k} {v}" for k, v in r.items() if k != "period") + (f", {period()}" if "period" in r else "")
    return f"{family}{' (' + where + ')' if where else ''} cannot be met: missed by {amount:,.6g}"
