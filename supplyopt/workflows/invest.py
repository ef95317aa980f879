"""Investment candidates (rail sidings, loading platforms, capacity upgrades): evaluate one,
or choose the best set under a budget (a MILP).

How candidates enter the model (model.py stays untouched):

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

import copy
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from supplyopt import study as api
from supplyopt.io.data import DataError, Problem
from supplyopt.io.network import Network, period_index, split_products
from supplyopt.io.validate import did_you_mean
from supplyopt.io.write import csv_text, summary_json
from supplyopt.io.write import write_folder as write
from supplyopt.model.foresight import DESIGN_FORESIGHT

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
    added, upgraded capacities raised); :class:`CandidateChoice` takes back what is not built."""
    cands = candidate_table(net)
    out = copy.copy(net)
    T = net.n_periods
    periods = np.arange(T)

    new = cands[cands["kind"] == "new_link"]
    if len(new):
        rows = pd.DataFrame({
            "id": new["id"], "from": new["from"], "to": new["to"], "mode": new["mode"],
            "distance_km": new["distance_km"], "efficiency": new["efficiency"],
            "products": new["products"].map(split_products),
        })
        links = pd.concat([net.links, rows], ignore_index=True)
        for col in net.links.columns.difference(rows.columns):  # the data set's own columns (corridor …)
            if links[col].dtype == object or pd.api.types.is_string_dtype(links[col]):
                links[col] = links[col].fillna("")
        out.links = links
        per = pd.DataFrame({
            "link": np.repeat(new["id"].to_numpy(), T), "period": np.tile(periods, len(new)),
            "capacity_t": np.repeat(new["capacity_t"].to_numpy(float), T), "cost_cny_per_t": np.repeat(new["cost_cny_per_t"].to_numpy(float), T),
        })
        link_periods = pd.concat([net.link_periods, per], ignore_index=True)
    else:
        link_periods = net.link_periods.copy()
    up = cands[cands["kind"] == "link_capacity"].groupby("target")["added_t"].sum()
    link_periods["capacity_t"] = link_periods["capacity_t"] + link_periods["link"].map(up).fillna(0.0)
    # model.flow_variables relies on (link, period) order
    out.link_periods = link_periods.sort_values(["link", "period"], kind="stable").reset_index(drop=True)

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


def investment_budget(lp, cands: pd.DataFrame, build, budget: float | None):
    """Σ build_cost_cny · build ≤ budget (capital, not annualised), written in million CNY:
    a row bound above 1e9 makes the engine pass every bound in thousands (solve.BIG_TONNES),
    which would also shrink the binary build columns to [0, 0.001]."""
    if budget is None:
        return None
    cost = cands["build_cost_cny"].to_numpy(float) / 1e6
    return lp.add_constraints("investment_budget", "build cost of the chosen candidates (million CNY)", [], pd.DataFrame({"budget_cny": [budget]}),
                              np.zeros(len(cost), np.int64), build.cols, cost, -np.inf, float(budget) / 1e6)


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


# --------------------------------------------------------------------------- comparing plans
def headline(plan) -> dict:
    """The figures compared between plans (horizon totals; CNY, t, t·km, share 0–1)."""
    k = plan.kpis
    costs = dict(k["costs"])
    invest = costs.get("investment", 0.0)
    truck_share = k["truck_share_tkm"] or 0.0
    return {
        "objective_cny": k["objective"],
        **{f"{name}_cny": v for name, v in costs.items()},
        "operating_cny": k["objective"] - invest,
        "delivered_t": k["delivered_t"],
        "unmet_t": k["unmet_t"],
        "tkm": k["tkm"],
        "truck_tkm": truck_share * k["tkm"],
        "mine_truck_share": k["mine_truck_share"] or 0.0,
        "co2_t": k["co2_t"],
    }


def comparison(without: dict, with_: dict) -> pd.DataFrame:
    """metric, without, with, change (with − without)."""
    names = list(dict.fromkeys(list(without) + list(with_)))
    a = np.array([without.get(n, 0.0) for n in names], float)
    b = np.array([with_.get(n, 0.0) for n in names], float)
    return pd.DataFrame({"metric": names, "without": a, "with": b, "change": b - a})


def flows_moved(without, with_, tol_t: float = 0.5) -> pd.DataFrame:
    """Tonnes per link over the horizon that change (|change| > tol_t), largest first."""
    cols = ["link", "from", "to", "mode"]
    a = without.flows.groupby(cols, sort=True)["flow_t"].sum().rename("without_t")
    b = with_.flows.groupby(cols, sort=True)["flow_t"].sum().rename("with_t")
    both = pd.concat([a, b], axis=1).fillna(0.0).reset_index()
    both["change_t"] = both["with_t"] - both["without_t"]
    both = both[both["change_t"].abs() > tol_t]
    order = np.lexsort((both["link"].to_numpy(), -both["change_t"].abs().to_numpy()))
    return both.iloc[order].reset_index(drop=True)


# --------------------------------------------------------------------------- evaluate
@dataclass
class Evaluation:
    """One candidate with and without: comparison table, flows that move, economics."""

    candidate: str
    built: list[str]
    without: object  # Plan
    with_: object  # Plan
    table: pd.DataFrame
    moved: pd.DataFrame
    economics: dict

    def summary(self) -> dict:
        t = self.table.set_index("metric")
        return {
            **self.without.inputs(),
            "candidate": self.candidate,
            "built": self.built,
            "economics": self.economics,
            "without": t["without"].to_dict(),
            "with": t["with"].to_dict(),
            "change": t["change"].to_dict(),
            "flows_moved": len(self.moved),
            "units": "CNY, t, t·km over the horizon (without/with/change); economics per year where named",
        }

    def write(self, out_dir: str | Path) -> Path:
        """summary.json, comparison.csv, flows_moved.csv — atomically."""

        return write_folder(out_dir, {"summary.json": summary_json(self.summary()), "comparison.csv": csv_text(self.table), "flows_moved.csv": csv_text(self.moved)})


def evaluate(network, candidate: str, model=None, scenario=None, extend=None, **solver) -> Evaluation:
    """Solve with and without one candidate (builds fixed: two LPs on one kept model).

    What the candidate requires is built with it. Economics: operating savings over the
    horizon (operating cost = objective − investment part) × 365 / horizon_days = annual
    savings; payback_years = build_cost / (annual savings − fixed O&M); NPV = −build_cost +
    (annual savings − fixed O&M) × annuity factor (the candidate's rate and lifetime)."""

    net = network if isinstance(network, Network) else api.load(network)
    cands = candidate_table(net)
    if candidate not in set(cands["id"]):
        raise DataError([Problem("candidates.csv", f"unknown candidate{did_you_mean(candidate, set(cands['id']))}; expected one of {', '.join(cands['id'])}", column="id", value=candidate)])
    built = requirement_closure(cands, [candidate])
    choice = CandidateChoice(cands, fixed={})
    study = api.Study(with_candidates(net), model=model, layers=[choice], extend=extend, **{**solver, "foresight": DESIGN_FORESIGHT})
    if scenario is not None:
        study.apply(scenario)
    without = study.solve()
    choice.fixed = dict.fromkeys(built, 1.0)
    with_ = study.solve()
    table = comparison(headline(without), headline(with_))
    row = cands.set_index("id").loc[candidate]
    chosen = cands[cands["id"].isin(built)]
    moved = flows_moved(without, with_)
    econ = economics(net, chosen, headline(without), headline(with_), row["discount_rate"], row["lifetime_years"])
    econ |= carried(study.network, chosen, moved, econ)
    return Evaluation(candidate, built, without, with_, table, moved, econ)


def carried(net: Network, chosen: pd.DataFrame, moved: pd.DataFrame, econ: dict) -> dict:
    """Tonnes the built links take on over the horizon (change of flow on their target
    links), what arrives of them (× efficiency: coal equivalent for UHV), and the net cost
    per tonne arriving: (investment part − operating savings) / tonnes arriving, CNY per t
    (negative: saves money per tonne). Empty for storage-only candidates."""
    links = set(chosen.loc[chosen["family"] == "link", "target"])
    if not links:
        return {}
    eff = net.links.set_index("id")["efficiency"]
    hit = moved[moved["link"].isin(links)]
    entering = float(hit["change_t"].sum())
    arriving = float((hit["change_t"] * hit["link"].map(eff)).sum())
    horizon_invest = float(chosen["horizon_cost_cny"].sum())
    return {
        "candidate_links_added_t": entering,
        "candidate_links_delivered_added_t": arriving,
        "net_cost_cny_per_t_delivered": (horizon_invest - econ["operating_savings_cny"]) / arriving if arriving > 0 else None,
    }


def economics(net: Network, chosen: pd.DataFrame, without: dict, with_: dict, rate: float, years: float) -> dict:
    """Savings, payback and NPV of building ``chosen`` (see :func:`evaluate` for the formulas)."""
    scale = 365.0 / horizon_days(net)
    savings = without["operating_cny"] - with_["operating_cny"]
    annual = savings * scale
    build = float(chosen["build_cost_cny"].sum())
    om = float(chosen["fixed_om_cny_per_year"].sum())
    net_annual = annual - om
    return {
        "horizon_days": horizon_days(net),
        "year_scale": scale,
        "build_cost_cny": build,
        "fixed_om_cny_per_year": om,
        "annualised_cost_cny_per_year": float(chosen["annual_cost_cny"].sum()),
        "operating_savings_cny": savings,
        "annual_savings_cny": annual,
        "net_annual_savings_cny": net_annual,
        "payback_years": build / net_annual if net_annual > 0 else None,
        "npv_cny": -build + net_annual * annuity_factor(rate, years),
        "discount_rate": float(rate),
        "lifetime_years": float(years),
        "truck_tkm_removed_per_year": (without["truck_tkm"] - with_["truck_tkm"]) * scale,
        "co2_t_removed_per_year": (without["co2_t"] - with_["co2_t"]) * scale,
    }


# --------------------------------------------------------------------------- invest
DEFAULT_MIP_GAP = 1e-7


def investment_options(opt):
    """The options with ``mip_gap`` DEFAULT_MIP_GAP where the profile leaves it blank. The
    gap is relative to the whole plan's cost: HiGHS's own default (1e-4) on the Shanxi plan
    (1.6e11 CNY) is 16 million CNY, more than one siding saves over a 13-week horizon, so
    the search would stop before comparing candidates at all."""
    import dataclasses

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

    def summary(self) -> dict:
        t = self.table.set_index("metric") if self.table is not None else None
        return {
            **self.plan.inputs(),
            "budget_cny": self.budget,
            "chosen": self.chosen,
            "build_cost_cny": float(self.candidates.loc[self.candidates["chosen"], "build_cost_cny"].sum()),
            "savings_cny": None if t is None else -float(t.loc["objective_cny", "change"]),
            "operating_savings_cny": None if t is None else -float(t.loc["operating_cny", "change"]),
            "mip_gap": self.mip_gap,
            "mip_gap_cny": self.plan.summary["solver"]["objective"] - self.plan.summary["solver"]["dual_bound"] if self.plan.summary["solver"]["dual_bound"] is not None else None,
            "solver_status": self.plan.summary["solver"]["status"],
            "solve_s": self.solve_s,
            "marginal_value_of_budget": self.marginal,
            "without": None if t is None else t["without"].to_dict(),
            "with": None if t is None else t["with"].to_dict(),
            "units": "CNY and tonnes over the horizon; savings = objective with nothing built − objective with the chosen set (investment part included)",
        }

    def write(self, out_dir: str | Path) -> Path:
        """summary.json, candidates.csv (chosen or not), comparison.csv — atomically."""

        files = {"summary.json": summary_json(self.summary()), "candidates.csv": csv_text(self.candidates)}
        if self.table is not None:
            files["comparison.csv"] = csv_text(self.table)
        return write_folder(out_dir, files)


def invest(network, budget: float, model=None, scenario=None, max_mine_truck_share: float | None = None, budget_step: float | None = None,
           extend=None, **solver) -> Investment:
    """Choose candidates with Σ build cost ≤ budget minimising the plan's cost including the
    annualised investment (MILP; gap and time limit from the profile). Marginal value of
    budget: re-solved at budget + step (default 10 % of the budget), (objective(B) −
    objective(B + step)) / step, CNY of horizon cost per CNY of budget."""

    net = network if isinstance(network, Network) else api.load(network)
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
    plan = study.solve()
    sol = study.solution
    chosen = choice.built(study)
    table = comparison(headline(none), headline(plan)) if none is not None else None
    step = budget_step if budget_step is not None else (0.1 * budget if budget > 0 else float(cands["build_cost_cny"].min()))
    marginal = {}
    if step > 0:
        choice.budget = float(budget) + step
        more = study.solve()
        marginal = {
            "budget_step_cny": step,
            "chosen_at_budget_plus_step": choice.built(study),
            "objective_at_budget_plus_step_cny": more.kpis["objective"],
            "cny_saved_per_cny_of_budget": (plan.kpis["objective"] - more.kpis["objective"]) / step,
            "note": "re-solved at budget + step (MILP; both within the MIP gap)",
        }
    table_c = cands[["id", "kind", "target", "build_cost_cny", "annual_cost_cny", "horizon_cost_cny", "earliest_period", "excludes", "requires"]].copy()
    table_c.insert(1, "chosen", table_c["id"].isin(chosen))
    return Investment(float(budget), chosen, plan, none, table_c, table, sol.mip_gap, sol.solve_s, marginal)


# --------------------------------------------------------------------------- writing
def write_folder(out_dir: str | Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (name -> text or bytes) into ``out_dir`` atomically, marked as a
    results folder (report.write_folder)."""

    return write(out_dir, {name: c if isinstance(c, bytes) else c.encode("utf-8") for name, c in files.items()})


# --------------------------------------------------------------------------- terminal
def _money(v) -> str:
    return "—" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:,.0f}"


def _table_text(table: pd.DataFrame) -> str:
    shown = table[(table[["without", "with"]].abs().sum(axis=1) > 0)]
    lines = [f"  {'':<22}{'without':>16}{'with':>16}{'change':>16}"]
    for m, a, b, c in zip(shown["metric"], shown["without"], shown["with"], shown["change"]):
        fmt = (lambda v: f"{v:.1%}") if "share" in m else (lambda v: f"{v:,.1f}") if m == "co2_t" else (lambda v: f"{v:,.0f}")
        lines.append(f"  {m:<22}{fmt(a):>16}{fmt(b):>16}{fmt(c):>16}")
    return "\n".join(lines)


def format_evaluation(ev: Evaluation) -> str:
    e = ev.economics
    lines = [f"Candidate {ev.candidate}" + (f" (built with {', '.join(c for c in ev.built if c != ev.candidate)})" if len(ev.built) > 1 else ""),
             "Over the horizon (CNY, t, t·km):", _table_text(ev.table), "",
             f"Per year (horizon {e['horizon_days']:g} days × {e['year_scale']:.3f}):",
             f"  operating savings        {_money(e['annual_savings_cny'])} CNY/yr (fixed O&M {_money(e['fixed_om_cny_per_year'])})",
             f"  build cost               {_money(e['build_cost_cny'])} CNY; annualised {_money(e['annualised_cost_cny_per_year'])} CNY/yr",
             f"  payback                  {'never' if e['payback_years'] is None else format(e['payback_years'], '.1f') + ' years'}",
             f"  NPV                      {_money(e['npv_cny'])} CNY ({e['lifetime_years']:g} years at {e['discount_rate']:.1%})",
             f"  truck t·km removed       {_money(e['truck_tkm_removed_per_year'])} per year; CO2 {e['co2_t_removed_per_year']:,.0f} t per year"]
    if e.get("net_cost_cny_per_t_delivered") is not None:
        lines.append(f"  carried                  {_money(e['candidate_links_added_t'])} t more on the candidate link(s) over the horizon, "
                     f"{_money(e['candidate_links_delivered_added_t'])} t arriving; net cost {e['net_cost_cny_per_t_delivered']:,.2f} CNY per t arriving "
                     "(investment − operating savings)")
    if len(ev.moved):
        lines += ["", "Flows that move (t over the horizon, largest first):"]
        for r in ev.moved.head(8).itertuples():
            lines.append(f"  {r.link:<40} {r.mode:<9}{r.without_t:>14,.0f} → {r.with_t:>12,.0f}  ({r.change_t:+,.0f})")
    return "\n".join(lines)


def format_investment(inv: Investment) -> str:
    s = inv.summary()
    gap = "—" if inv.mip_gap is None else f"{inv.mip_gap:.2e} ({_money(s['mip_gap_cny'])} CNY)"
    lines = [f"Budget {_money(inv.budget)} CNY: build {', '.join(inv.chosen) or 'nothing'} (build cost {_money(s['build_cost_cny'])} CNY)",
             f"MIP gap reached {gap} ({s['solver_status']}, {inv.solve_s:.2f} s)"]
    if inv.table is not None:
        lines += [f"Savings over the horizon {_money(s['savings_cny'])} CNY (operating {_money(s['operating_savings_cny'])} CNY, investment part included)",
                  _table_text(inv.table)]
    else:
        lines.append("Without any candidate there is no feasible plan.")
    m = inv.marginal
    if m:
        lines.append(f"Marginal value of budget: {m['cny_saved_per_cny_of_budget']:.4f} CNY saved per CNY "
                     f"(re-solved at budget + {_money(m['budget_step_cny'])}: builds {', '.join(m['chosen_at_budget_plus_step']) or 'nothing'})")
    return "\n".join(lines)
