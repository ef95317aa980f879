"""Investment candidates (rail sidings, loading platforms, capacity upgrades) as a layer on the
model: the candidate table, the network with every candidate in place, and the build decisions.

How candidates enter the model (the statement stays untouched):

1. :func:`with_candidates` adds every candidate to the network as if it were built — a new
   link or storage with its capacity, an upgraded link or storage with capacity + added
   capacity — so the flow and stock variables exist and enter the node balance as usual.
2. :class:`CandidateChoice`, a Study extension, adds ``build[candidate]`` (binary when
   choosing, fixed 0/1 when evaluating) and one ``candidate_capacity`` row per target and
   period that takes the capacity back unless the candidate is built and open:

       Σ_products flow[link, p, t] − Σ_c added_t(c) · open_t(c) · build[c] ≤ base_t(link)

   (the same with stock[node, p, t] for storage), where ``base_t`` is the capacity without
   the candidates (0 for a new link or storage) and ``open_t(c)`` is 1 from the candidate's
   ``earliest_period`` on. Plus the cost part ``investment`` (annualised, scaled to the
   horizon), and when choosing: ``investment_budget``, ``candidate_excludes``,
   ``candidate_requires``.

Money: build cost is annualised with the capital recovery factor
``CRF = r / (1 − (1 + r)^−n)`` (r = discount_rate, n = lifetime_years; 1/n when r = 0);
annual cost = build_cost_cny × CRF + fixed_om_cny_per_year; the objective carries
annual cost × open_days / 365, open_days = days of the horizon from earliest_period on.
Savings over the horizon are scaled to a year by × 365 / horizon_days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from supplyopt.io.data import DataError, Problem
from supplyopt.io.network import Network, period_index, split_products, with_candidate_links

DEFAULT_DISCOUNT_RATE = 0.08  # social discount rate, China's 建设项目经济评价方法与参数 (3rd ed.)
DEFAULT_LIFETIME_YEARS = 30.0  # rail track and structures; give lifetime_years for anything else
LINK_KINDS, STORAGE_KINDS = ("new_link", "link_capacity"), ("new_storage", "storage_capacity")


# --------------------------------------------------------------------------- money
def capital_recovery_factor(rate: float, years: float) -> float:
    """CRF = r / (1 − (1 + r)^−n): the yearly payment that repays 1 CNY over n years at r."""
    return 1.0 / years if rate == 0 else rate / (1.0 - (1.0 + rate) ** -years)


def annuity_factor(rate: float, years: float) -> float:
    """Present value of 1 CNY a year for n years at r: (1 − (1 + r)^−n) / r (n when r = 0)."""
    return 1.0 / capital_recovery_factor(rate, years)


def horizon_days(net: Network) -> float:
    return net.n_periods * net.period_days


FULL_YEAR_DAYS = 357  # 51 weeks and more count as a year (a 52-week planning year is 364 days)


def year_basis(net: Network) -> dict:
    """What an investment figure per year stands on: the horizon in days, the factor that
    scales it to a year, and a warning when the horizon is a season rather than a year (a
    siding is built for decades, not for a winter: its savings then assume every week of the
    year looks like these)."""
    days = horizon_days(net)
    scale = 365.0 / days
    warning = None
    if days < FULL_YEAR_DAYS:
        warning = (f"the horizon is {days:g} days ({net.periods[0]} … {net.periods[-1]}), scaled ×{scale:.2f} to a year: savings assume every week of "
                   "the year looks like these. Decide on a full year (e.g. data/shanxi-year) and keep a season like this as a stress check")
    return {"horizon_days": days, "year_scale": scale, "full_year": warning is None, "warning": warning}


# --------------------------------------------------------------------------- the table
def candidate_table(net: Network) -> pd.DataFrame:
    """candidates.csv with defaults applied and the money worked out, one row per candidate:

    target (link or node id), family (link | storage), added_t (t per period), earliest
    (period from 0), annual_cost_cny (CRF × build + O&M), horizon_cost_cny (annual cost ×
    open days / 365). Empty when the data set has no candidates."""
    if net.candidates is None or net.candidates.empty:
        raise DataError([Problem("candidates.csv", "the data set has no candidates; add candidates.csv (docs/data-format.md)")])
    c = net.candidates.drop(columns="row", errors="ignore").copy()
    c["discount_rate"] = c["discount_rate"].fillna(DEFAULT_DISCOUNT_RATE)
    c["lifetime_years"] = c["lifetime_years"].fillna(DEFAULT_LIFETIME_YEARS)
    c["fixed_om_cny_per_year"] = c["fixed_om_cny_per_year"].fillna(0.0)
    c["efficiency"] = c["efficiency"].fillna(1.0)
    c["earliest"] = [max(period_index(p, net.periods), 0) for p in c["earliest_period"]]
    c["target"] = np.select([c["kind"] == "new_link", c["kind"] == "link_capacity"], [c["id"], c["link"]], c["node"])
    c["family"] = np.where(c["kind"].isin(LINK_KINDS), "link", "storage")
    c["added_t"] = c["capacity_t"]
    c["crf"] = [capital_recovery_factor(r, n) for r, n in zip(c["discount_rate"], c["lifetime_years"])]
    c["annual_cost_cny"] = c["build_cost_cny"] * c["crf"] + c["fixed_om_cny_per_year"]
    open_days = (net.n_periods - c["earliest"]) * net.period_days
    c["horizon_cost_cny"] = c["annual_cost_cny"] * open_days / 365.0
    return c.sort_values("id", kind="stable").reset_index(drop=True)


def requirement_closure(cands: pd.DataFrame, chosen: list[str]) -> list[str]:
    """The chosen ids plus everything they require, directly or through others, sorted."""
    requires = dict(zip(cands["id"], cands["requires"].map(split_products)))
    out, todo = set(), list(chosen)
    while todo:
        c = todo.pop()
        if c not in out:
            out.add(c)
            todo += list(requires.get(c, ()))
    return sorted(out)


# --------------------------------------------------------------------------- the network
def with_candidates(net: Network) -> Network:
    """A copy of ``net`` with every candidate in place as if built (new links and storage
    added, upgraded capacities raised; the links by ``io.network.with_candidate_links``);
    :class:`CandidateChoice` takes back what is not built."""
    cands = candidate_table(net)
    out = with_candidate_links(net)  # new links and raised link capacities
    T = net.n_periods
    periods = np.arange(T)

    stores = cands[cands["kind"] == "new_storage"]
    storage, storage_periods, capacity = net.storage, net.storage_periods, net.storage_capacity.copy()
    if len(stores):
        held = [(n, p) for n, ps in zip(stores["node"], stores["products"]) for p in (split_products(ps) or net.products)]
        add = pd.DataFrame(held, columns=["node", "product"])
        storage = pd.concat([storage, add.assign(initial_t=0.0, end_t=np.nan)], ignore_index=True)
        sp = add.loc[add.index.repeat(T)].assign(period=np.tile(periods, len(add)), safety_t=0.0, holding_cny_per_t=0.0)
        storage_periods = pd.concat([storage_periods, sp[storage_periods.columns]], ignore_index=True)
        cap = stores.groupby("node")["added_t"].sum()
        capacity = pd.concat([capacity, pd.DataFrame({"node": np.repeat(cap.index.to_numpy(), T), "period": np.tile(periods, len(cap)), "capacity_t": np.repeat(cap.to_numpy(float), T)})], ignore_index=True)
    up = cands[cands["kind"] == "storage_capacity"].groupby("target")["added_t"].sum()
    capacity["capacity_t"] = capacity["capacity_t"] + capacity["node"].map(up).fillna(0.0)
    out.storage = storage.sort_values(["node", "product"], kind="stable").reset_index(drop=True)
    out.storage_periods = storage_periods.sort_values(["node", "product", "period"], kind="stable").reset_index(drop=True)
    out.storage_capacity = capacity.sort_values(["node", "period"], kind="stable").reset_index(drop=True)
    return out


# --------------------------------------------------------------------------- the extension
@dataclass
class CandidateChoice:
    """Layer: build decisions for the candidates of ``table``.

    ``fixed`` None: choose (binary build, with budget, exclusions and requirements);
    a dict {id: 0 or 1}: every candidate fixed (ids not named are not built) — an LP, with
    duals. ``budget`` (CNY of build cost) applies when choosing; None = no budget row."""

    table: pd.DataFrame
    fixed: dict | None = None
    budget: float | None = None

    def __call__(self, lp, net: Network, opt) -> None:
        build = self.build_variables(lp)
        candidate_capacity(lp, net, self.table, build, "link")
        candidate_capacity(lp, net, self.table, build, "storage")
        if self.fixed is None:
            investment_budget(lp, self.table, build, self.budget)
            candidate_excludes(lp, self.table, build)
            candidate_requires(lp, self.table, build)
        lp.add_cost("investment", build.cols, self.table["horizon_cost_cny"].to_numpy(float))

    def build_variables(self, lp):
        """build[candidate]: 1 if built. Binary when choosing; fixed bounds when evaluating."""
        index = self.table[["id", "kind", "target", "build_cost_cny", "horizon_cost_cny"]].rename(columns={"id": "candidate"})
        if self.fixed is None:
            return lp.add_variables("build", "1 if the candidate is built", ["candidate"], index, 0.0, 1.0, integrality="binary")
        unknown = sorted(set(self.fixed) - set(index["candidate"]))
        if unknown:
            raise DataError([Problem("candidates.csv", "unknown candidate; expected an id from candidates.csv", column="id", value=u) for u in unknown])
        value = index["candidate"].map(self.fixed).fillna(0.0).to_numpy(float)
        return lp.add_variables("build", "1 if the candidate is built (fixed)", ["candidate"], index, value, value)

    def built(self, study) -> list[str]:
        """Ids built in the study's last solution."""
        fam = study.lp.variables["build"]
        x = study.solution.x[fam.start : fam.start + fam.size]
        return sorted(fam.index.loc[x > 0.5, "candidate"])


def candidate_capacity(lp, net: Network, cands: pd.DataFrame, build, family: str):
    """Σ_products flow[link, p, t] − Σ_c added_t(c)·open_t(c)·build[c] ≤ base_t, one row per
    candidate target and period (``stock[node, p, t]`` for storage): a candidate's capacity
    exists only if it is built and open (period ≥ earliest_period)."""
    var, key = ("flow", "link") if family == "link" else ("stock", "node")
    mine = cands[cands["family"] == family]
    name = f"candidate_{family}_capacity"
    fam = lp.variables[var]
    idx = fam.index[[key, "period"]]
    sel = idx[key].isin(set(mine["target"])).to_numpy()
    groups = idx[sel].groupby([key, "period"], sort=True)
    var_rows = groups.ngroup().to_numpy()
    index = groups.size().reset_index()[[key, "period"]]
    if family == "link":
        cap = net.link_periods.rename(columns={"link": key})
    else:
        cap = net.storage_capacity
    with_all = index.merge(cap[[key, "period", "capacity_t"]], on=[key, "period"], how="left")["capacity_t"].to_numpy(float)
    row_of = pd.Series(np.arange(len(index)), index=pd.MultiIndex.from_frame(index))
    b_rows, b_cols, b_coefs = [], [], []
    added_total = np.zeros(len(index))
    for i, c in mine.reset_index(drop=True).iterrows():
        pos = int(np.flatnonzero(build.index["candidate"].to_numpy() == c["id"])[0])
        for t in range(int(c["earliest"]), net.n_periods):
            r = row_of.get((c["target"], t))
            if r is not None:
                b_rows.append(r)
                b_cols.append(build.start + pos)
                b_coefs.append(-float(c["added_t"]))
        for t in range(net.n_periods):
            r = row_of.get((c["target"], t))
            if r is not None:
                added_total[r] += float(c["added_t"])
    base = np.maximum(np.nan_to_num(with_all - added_total, nan=0.0), 0.0)
    index["base_t"] = base
    rows = np.concatenate([var_rows, np.asarray(b_rows, np.int64)])
    cols = np.concatenate([fam.cols[sel], np.asarray(b_cols, np.int64)])
    coefs = np.concatenate([np.ones(sel.sum()), np.asarray(b_coefs, float)])
    meaning = f"{'tonnes entering a candidate link' if family == 'link' else 'stock at a candidate storage'} within the capacity built (t)"
    return lp.add_constraints(name, meaning, [key, "period"], index, rows, cols, coefs, -np.inf, base)


def exact_build_cost(cands: pd.DataFrame, chosen: list[str]) -> float:
    """Σ build_cost_cny of ``chosen`` (CNY), summed exactly (``math.fsum``, in id order): the
    figure the budget is checked against, the same in every run."""
    cost = dict(zip(cands["id"], cands["build_cost_cny"]))
    return math.fsum(float(cost[c]) for c in sorted(chosen))


def investment_budget(lp, cands: pd.DataFrame, build, budget: float | None):
    """Σ build_cost_cny · build ≤ budget (capital, not annualised), written in million CNY:
    a row bound above 1e9 makes the engine pass every bound in thousands (solve.BIG_TONNES),
    which would also shrink the binary build columns to [0, 0.001]."""
    if budget is None:
        return None
    cost = cands["build_cost_cny"].to_numpy(float) / 1e6
    return lp.add_constraints("investment_budget", "build cost of the chosen candidates (million CNY)", [], pd.DataFrame({"budget_cny": [budget]}),
                              np.zeros(len(cost), np.int64), build.cols, cost, -np.inf, budget_row_bound(budget))


def _pairs(cands: pd.DataFrame, column: str) -> list[tuple[int, int]]:
    pos = {c: i for i, c in enumerate(cands["id"])}
    return [(pos[a], pos[b]) for a, cell in zip(cands["id"], cands[column]) for b in split_products(cell) if b in pos]


def candidate_excludes(lp, cands: pd.DataFrame, build):
    """build[a] + build[b] ≤ 1 for each pair a excludes b (either names the other)."""
    pairs = sorted({tuple(sorted(p)) for p in _pairs(cands, "excludes")})
    n = len(pairs)
    ids = cands["id"].to_numpy()
    index = pd.DataFrame({"a": [ids[a] for a, _ in pairs], "b": [ids[b] for _, b in pairs]})
    cols = build.start + np.asarray([c for p in pairs for c in p], np.int64)
    return lp.add_constraints("candidate_excludes", "at most one of two mutually exclusive candidates", ["a", "b"], index,
                              np.repeat(np.arange(n), 2), cols, np.ones(2 * n), -np.inf, 1.0)


def candidate_requires(lp, cands: pd.DataFrame, build):
    """build[c] − build[r] ≤ 0 where c requires r (a platform needs its siding)."""
    pairs = _pairs(cands, "requires")
    n = len(pairs)
    ids = cands["id"].to_numpy()
    index = pd.DataFrame({"candidate": [ids[a] for a, _ in pairs], "requires": [ids[b] for _, b in pairs]})
    cols = build.start + np.asarray([c for p in pairs for c in p], np.int64)
    return lp.add_constraints("candidate_requires", "a candidate only with the one it requires", ["candidate", "requires"], index,
                              np.repeat(np.arange(n), 2), cols, np.tile([1.0, -1.0], n), -np.inf, 0.0)


# --------------------------------------------------------------------------- the budget, exactly
# HiGHS accepts a row broken by up to its feasibility tolerance (mip_feasibility_tolerance 1e-6):
# on the budget row, written in million CNY, that is about 1 CNY, more where the engine scales.
BUDGET_ROW_TOLERANCE_CNY = 1.0
MAX_BUDGET_TIGHTENINGS = 40


@dataclass
class BudgetRow:
    """A budget the chosen builds must keep exactly: the row(s) ``positions`` of constraint
    family ``family`` (written in million CNY, :func:`budget_row_bound`), the limit
    ``limit_cny``, and from a plan's values x: ``spent_cny(x)``, the build cost summed
    exactly (``math.fsum``), and ``describe(x)``, what a tightening record says of the plan
    (the over-budget set, the year …). Used by ``engines.budget.solve_within_budgets``."""

    family: str
    positions: np.ndarray
    limit_cny: float
    spent_cny: object  # Callable[[np.ndarray], float]
    describe: object = None  # Callable[[np.ndarray], dict] | None


def budget_rows(lp, cands: pd.DataFrame, budget: float | None, family: str = "investment_budget") -> list[BudgetRow]:
    """The plan's budget as a :class:`BudgetRow` (none without a budget or a budget row):
    every row of ``family`` (one per scenario of an extensive form, where the builds are
    shared), the build cost of the candidates ``build`` chooses in the first ``len(cands)``
    build columns."""
    if budget is None or family not in lp.constraints:
        return []
    build = lp.variables["build"]
    ids = build.index["candidate"].to_numpy()[: len(cands)]
    cols = build.start + np.arange(len(cands))

    def chosen(x: np.ndarray) -> list[str]:
        return sorted(ids[x[cols] > 0.5].tolist())

    return [BudgetRow(family, np.arange(lp.constraints[family].size), float(budget), lambda x: exact_build_cost(cands, chosen(x)),
                      lambda x: {"over_budget_set": chosen(x)})]


def budget_row_bound(budget_cny: float) -> float:
    """The bound of a budget row for ``budget_cny`` CNY: rows are written in million CNY (see
    :func:`investment_budget`)."""
    return float(budget_cny) / 1e6
