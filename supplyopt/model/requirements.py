"""Every requirement a plan must meet, by its planner name, in one place.

Some requirements are rows of the LP (a constraint family), others are variable bounds
(HiGHS handles a bound far more cheaply than a row): minimum output is production's lower
bound, a one-product link's capacity is flow's upper bound, the end-of-horizon stock is the
last period's lower bound of stock. The registry below names each one with the family that
carries it, which bound or row, where it applies, whether it can make a plan impossible
(``hard``) and, when it has a shadow price, the ``kind`` it takes in prices.csv.

Readers: ``results._prices`` (prices.csv), ``engine.check_plan`` (messages name the
requirement), ``explain.py`` (which hard requirements to relax) and the summary
(summary.json → ``requirements``). A constraint family an extension adds (an Excel column,
a Pyomo ``extra_functionality``) that is not listed here is a requirement too:
:func:`registry` adds it under its own name, priced by its row duals.

To add a requirement: add its family in ``model.py`` (the Pyomo view follows by itself), then one
``Requirement`` line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from supplyopt.model.statement import LinearProgram


@dataclass(frozen=True)
class Requirement:
    """One requirement. ``carrier``: ``row`` (a constraint family), ``lower`` or ``upper``
    (a bound of a variable family). ``applies(lp, family)`` says which columns or rows carry
    it (all when None). Prices: ``price`` is the prices.csv ``kind``, ``price_id`` the key
    column giving its ``id``; ``sign`` −1 reports −dual (CNY saved per unit of limit added),
    +1 reports the dual (CNY per unit more required); ``binding_only`` keeps binding ones."""

    name: str
    family: str
    carrier: str
    meaning: str
    hard: bool = False
    applies: Callable | None = None
    price: str | None = None
    price_id: str | None = None
    sign: float = -1.0
    binding_only: bool = True
    price_where: Callable | None = None  # which of its rows/columns are priced (all when None)

    def mask(self, lp: LinearProgram) -> np.ndarray:
        """Which columns (bound) or rows (row) of its family carry the requirement."""
        fam = (lp.constraints if self.carrier == "row" else lp.variables).get(self.family)
        if fam is None:
            return np.zeros(0, bool)
        if self.applies is None:
            return np.ones(fam.size, bool)
        return np.asarray(self.applies(lp, fam), bool)


def _one_product(lp, fam):
    return (fam.index["n_products"].to_numpy() == 1) & np.isfinite(fam.upper)


def _hard_end(lp, fam):
    """Stock columns whose lower bound is a hard end-of-horizon target (the last period's)."""
    last = fam.index["period"].to_numpy() == fam.index["period"].max() if fam.size else np.zeros(0, bool)
    return (fam.lower > 0) & last


def _demand_rows(lp, fam):
    keys = ["node", "product", "period"]
    demand = lp.variables["unmet"].index[keys].drop_duplicates()
    return fam.index[keys].merge(demand.assign(_d=True), on=keys, how="left")["_d"].fillna(False).to_numpy(bool)


REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement("coal_balance", "node_balance", "row", "coal in = coal out at every node, product and period; its dual at a demand centre is the delivered cost of one more tonne",
                price="delivery", price_id="node", sign=1.0, binding_only=False, price_where=_demand_rows),
    Requirement("min_output", "production", "lower", "a mine produces at least its minimum output (min_t) in every period",
                hard=True, applies=lambda lp, f: f.lower > 0),
    Requirement("mine_capacity", "production", "upper", "a mine produces at most its capacity (capacity_t)",
                applies=lambda lp, f: np.isfinite(f.upper)),
    Requirement("link_capacity", "flow", "upper", "tonnes entering a one-product link in a period stay within its capacity (a bound)",
                applies=_one_product, price="link_capacity", price_id="link"),
    Requirement("link_capacity_shared", "link_capacity", "row", "tonnes of all products entering a shared link in a period stay within its capacity (a row)",
                price="link_capacity", price_id="link"),
    Requirement("storage_capacity", "stock", "upper", "stock of a one-product store at the end of a period fits its capacity (a bound)",
                applies=_one_product, price="storage_capacity", price_id="node"),
    Requirement("storage_capacity_shared", "storage_capacity", "row", "stock of all products at a shared store fits its capacity (a row)",
                price="storage_capacity", price_id="node"),
    Requirement("end_stock", "stock", "lower", "stock at the end of the horizon reaches the end level (end_t, or the profile's end_stock rule) — a hard end rule (end_stock_penalty_cny_per_t: hard)",
                hard=True, applies=_hard_end, price="end_stock", price_id="node", sign=1.0),
    Requirement("end_stock_target", "end_stock_target", "row", "stock at the end of the horizon reaches its target, or the tonnes below cost end_stock_penalty_cny_per_t (a soft end rule)",
                price="end_stock", price_id="node", sign=1.0),
    Requirement("unmet_at_most_demand", "unmet", "upper", "unmet demand never exceeds the demand itself"),
    Requirement("safety_stock", "safety_stock", "row", "stock plus shortfall reaches the safety stock (a soft requirement: each tonne short costs safety_penalty_cny_per_t)",
                price="safety_stock", price_id="node", sign=1.0),
    Requirement("safety_stock_hard", "safety_shortfall", "upper", "with safety_stock: hard, stock never falls below the safety stock (shortfall fixed at 0)",
                hard=True, applies=lambda lp, f: f.upper == 0),
    Requirement("max_truck_share_tkm", "max_truck_share_tkm", "row", "truck t·km stay within the profile's share of all t·km (its dual is per t·km, so it is not in prices.csv)", hard=True),
    Requirement("max_mine_truck_share", "max_mine_truck_share", "row", "truck tonnes leaving mines stay within the profile's share of output", hard=True,
                price="max_mine_truck_share", price_id=None),
    Requirement("blend_min_calorific", "blend_calorific", "row", "the coal a demand centre receives in a period, blended, has at least its min_kcal_per_kg (demand.csv; grades from quality.csv) — its dual is per tce of energy above the floor, so it is not in prices.csv", hard=True),
    Requirement("blend_max_sulphur", "blend_sulphur", "row", "the coal a demand centre receives in a period, blended, has at most its max_sulphur_pct (demand.csv; grades from quality.csv) — its dual is per %·t, so it is not in prices.csv", hard=True),
)

BY_NAME = {r.name: r for r in REQUIREMENTS}
STANDARD_ROWS = {r.family for r in REQUIREMENTS if r.carrier == "row"}
HARD = tuple(r.name for r in REQUIREMENTS if r.hard)


def registry(lp: LinearProgram) -> list[Requirement]:
    """The standard requirements plus one for every constraint family an extension added
    (priced under its own name by its row duals)."""
    extra = [
        Requirement(con.name, con.name, "row", con.meaning, hard=True, price=con.name, price_id=None, sign=-1.0)
        for con in lp.constraints.values() if con.name not in STANDARD_ROWS
    ]
    return list(REQUIREMENTS) + extra


def requirement_of(lp: LinearProgram, family: str, carrier: str, i: int) -> Requirement | None:
    """The requirement carried by column/row ``i`` of ``family`` at ``carrier`` (row, lower,
    upper), or None for a bound that is no requirement (flow ≥ 0)."""
    for req in registry(lp):
        if req.family == family and req.carrier == carrier:
            m = req.mask(lp)
            if i < len(m) and m[i]:
                return req
    return None


def present(lp: LinearProgram, name: str) -> bool:
    """Whether the requirement constrains anything in this LP."""
    req = BY_NAME[name]
    return bool(req.mask(lp).any())


def summary(lp: LinearProgram) -> list[dict]:
    """summary.json → requirements: every requirement, where it sits and how many it binds."""
    return [
        {"name": r.name, "family": r.family, "as": "row" if r.carrier == "row" else f"{r.carrier} bound", "count": int(r.mask(lp).sum()),
         "hard": r.hard, "price_kind": r.price, "meaning": r.meaning}
        for r in registry(lp)
    ]
