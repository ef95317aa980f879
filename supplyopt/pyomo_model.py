"""The supply-and-stockpile model stated algebraically in Pyomo, from the network.

Sets, parameters, variables, one constraint rule per family and the cost parts, in the words of
``docs/model.md``: ``sum(efficiency[l] * flow[l, p, t] for l in into(n, p, t))`` … It states the
same LP as ``model.build_lp`` (the array engine's fast path); ``tests/test_identical_lp.py``
compares the two term by term. This is the model a user extends: a function
``extra_functionality(model, network, options)`` (``supplyopt.solve(..., extend=f)``, CLI
``solve --extend file.py``) may add sets, params, variables (integer or binary too),
constraints and cost parts (:func:`add_cost`); :func:`to_lp` compiles the extended model into a
:class:`~supplyopt.model.LinearProgram` whose families are the Pyomo components, so results,
prices, checks and the summary name whatever was added.

Data preparation is vectorised (pandas merges and group-bys); Pyomo itself then builds one
component per family. Periods are labels (``2026-W49``) in the model, positions in the LP.
Units: tonnes per period; costs in the data set's currency (CNY).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from .data import DataError, Network, Problem
from .model import INF, LinearProgram, end_targets
from .options import Options

# Key names for the columns of a component's index, by the set it is indexed over.
SET_KEYS = {"NODES": ["node"], "LINKS": ["link"], "PRODUCTS": ["product"], "PERIODS": ["period"], "MINES": ["mine"], "STORES": ["node"], "DEMAND_NODES": ["node"]}
FAMILY_SETS = {
    "SUPPLY": ["mine", "product", "period"],
    "FLOWS": ["link", "product", "period"],
    "STOCKS": ["node", "product", "period"],
    "DEMAND": ["node", "product", "period"],
    "SAFETY": ["node", "product", "period"],
    "END": ["node", "product", "period"],
    "BALANCE": ["node", "product", "period"],
    "LINK_PERIODS": ["link", "period"],
    "SHARED_LINKS": ["link", "period"],
    "SHARED_STORES": ["node", "period"],
}
STANDARD_COSTS = ("production", "transport", "holding", "unmet_penalty", "safety_penalty", "end_stock_penalty", "truck_penalty", "carbon")


# --------------------------------------------------------------------------- data
def _tuples(frame: pd.DataFrame, cols: list[str], labels: np.ndarray) -> list[tuple]:
    """Rows as key tuples, the period column as its label."""
    parts = [labels[frame[c].to_numpy()] if c == "period" else frame[c].to_numpy(object) for c in cols]
    return list(zip(*parts))


def _params(frame: pd.DataFrame, cols: list[str], value: str, labels: np.ndarray) -> dict:
    return dict(zip(_tuples(frame, cols, labels), frame[value].to_numpy(float).tolist()))


def model_data(net: Network, opt: Options) -> dict:
    """The network's tables reshaped for the model, with vectorised pandas operations:
    one frame per index set and the link-end lookups ``into`` / ``out_of``."""
    T = net.n_periods
    links = net.links.merge(net.modes, on="mode", how="left")
    links["product"] = links["products"].map(lambda ps: list(ps) if ps else list(net.products))
    links["n_products"] = links["product"].map(len)
    flows = links.drop(columns="products").explode("product").rename(columns={"id": "link"}).merge(net.link_periods, on="link")
    stocks = net.storage_periods.merge(net.storage, on=["node", "product"]).merge(net.storage_capacity, on=["node", "period"], how="left")
    stocks["capacity_t"] = stocks["capacity_t"].fillna(INF)
    stocks["n_products"] = stocks.groupby(["node", "period"])["product"].transform("size")
    stocks["end_target_t"] = end_targets(stocks, net, opt)
    stocks["end_min_t"] = stocks["end_target_t"] if opt.end_stock_penalty_cny_per_t is None else 0.0
    demand = net.demand.assign(penalty_cny_per_t=net.demand["penalty_cny_per_t"].fillna(opt.unmet_penalty_cny_per_t))
    shared_links = flows[(flows["n_products"] > 1) & np.isfinite(flows["capacity_t"])].drop_duplicates(["link", "period"])
    shared_stores = stocks[(stocks["n_products"] > 1) & np.isfinite(stocks["capacity_t"])].drop_duplicates(["node", "period"])
    # every node, product and period some variable touches has a balance row
    touch = pd.concat([
        net.supply[["node", "product", "period"]],
        flows[["from", "product", "period"]].rename(columns={"from": "node"}),
        flows[["to", "product", "period"]].rename(columns={"to": "node"}),
        stocks[["node", "product", "period"]],
        stocks.loc[stocks["period"] < T - 1, ["node", "product", "period"]].assign(period=lambda f: f["period"] + 1),
        demand[["node", "product", "period"]],
    ]).drop_duplicates()
    return {"links": links, "flows": flows, "stocks": stocks, "demand": demand, "touch": touch, "shared_links": shared_links, "shared_stores": shared_stores}


def _grouped(frame: pd.DataFrame, by: list[str], value: str, labels: np.ndarray) -> dict:
    """{(node, product, period label): [values]} for the link-end look-ups."""
    if not len(frame):
        return {}
    keys = _tuples(frame, by, labels)
    out: dict = {}
    for k, v in zip(keys, frame[value].to_numpy(object)):
        out.setdefault(k, []).append(v)
    return out


# --------------------------------------------------------------------------- the model
def build_model(net: Network, opt: Options) -> pyo.ConcreteModel:
    """The Pyomo model for a network and options; reads top to bottom as the model."""
    m = pyo.ConcreteModel(name=net.name)
    d = model_data(net, opt)
    labels = np.asarray(net.periods, dtype=object)
    sets(m, net, d, labels)
    params(m, net, opt, d, labels)
    variables(m, opt)
    m.node_balance = pyo.Constraint(m.BALANCE, rule=node_balance)
    m.link_capacity = pyo.Constraint(m.SHARED_LINKS, rule=link_capacity)
    m.storage_capacity = pyo.Constraint(m.SHARED_STORES, rule=storage_capacity)
    m.safety_stock = pyo.Constraint(m.SAFETY, rule=safety_stock)
    m.end_stock_target = pyo.Constraint(m.END, rule=end_stock_target)
    if opt.max_truck_share_tkm is not None:
        m.max_truck_share_tkm = pyo.Constraint(rule=max_truck_share_tkm)
    if opt.max_mine_truck_share is not None:
        m.max_mine_truck_share = pyo.Constraint(rule=max_mine_truck_share)
    costs(m)
    return m


def sets(m, net: Network, d: dict, labels: np.ndarray) -> None:
    """NODES, LINKS, PRODUCTS, PERIODS (ordered labels), MINES, STORES, DEMAND_NODES and the
    index sets of each family, built from the rows that exist."""
    m.PERIODS = pyo.Set(initialize=list(net.periods), ordered=True)
    m.PRODUCTS = pyo.Set(initialize=list(net.products), ordered=True)
    m.NODES = pyo.Set(initialize=net.nodes["id"].tolist(), ordered=True)
    m.LINKS = pyo.Set(initialize=net.links["id"].tolist(), ordered=True)
    m.MINES = pyo.Set(within=m.NODES, initialize=sorted(set(net.supply["node"])), ordered=True)
    m.STORES = pyo.Set(within=m.NODES, initialize=sorted(set(net.storage["node"])), ordered=True)
    m.DEMAND_NODES = pyo.Set(within=m.NODES, initialize=sorted(set(net.demand["node"])), ordered=True)
    m.SUPPLY = pyo.Set(dimen=3, initialize=_tuples(net.supply, ["node", "product", "period"], labels), ordered=True)
    m.FLOWS = pyo.Set(dimen=3, initialize=_tuples(d["flows"], ["link", "product", "period"], labels), ordered=True)
    m.LINK_PERIODS = pyo.Set(dimen=2, initialize=_tuples(net.link_periods, ["link", "period"], labels), ordered=True)
    m.STOCKS = pyo.Set(dimen=3, initialize=_tuples(d["stocks"], ["node", "product", "period"], labels), ordered=True)
    m.DEMAND = pyo.Set(dimen=3, initialize=_tuples(d["demand"], ["node", "product", "period"], labels), ordered=True)
    safety = d["stocks"][d["stocks"]["safety_t"] > 0]
    m.SAFETY = pyo.Set(dimen=3, initialize=_tuples(safety, ["node", "product", "period"], labels), ordered=True)
    soft_end = d["stocks"][(d["stocks"]["end_target_t"] > 0) & (d["stocks"]["end_min_t"] == 0)]
    m.END = pyo.Set(dimen=3, initialize=_tuples(soft_end, ["node", "product", "period"], labels), ordered=True)
    m.BALANCE = pyo.Set(dimen=3, initialize=_tuples(d["touch"], ["node", "product", "period"], labels), ordered=True)
    m.SHARED_LINKS = pyo.Set(dimen=2, initialize=_tuples(d["shared_links"], ["link", "period"], labels), ordered=True)
    m.SHARED_STORES = pyo.Set(dimen=2, initialize=_tuples(d["shared_stores"], ["node", "period"], labels), ordered=True)
    # link ends: into(n, p, t) and out_of(n, p, t) are the links entering and leaving a node
    f = d["flows"]
    into, out_of = _grouped(f, ["to", "product", "period"], "link", labels), _grouped(f, ["from", "product", "period"], "link", labels)
    m.into = lambda n, p, t: into.get((n, p, t), ())
    m.out_of = lambda n, p, t: out_of.get((n, p, t), ())
    m.products_on = _grouped(f, ["link", "period"], "product", labels)
    m.products_at = _grouped(d["stocks"], ["node", "period"], "product", labels)


def params(m, net: Network, opt: Options, d: dict, labels: np.ndarray) -> None:
    """Capacities, costs, demand, efficiencies and shares (inf = unlimited)."""
    s, st, dem, links = net.supply, d["stocks"], d["demand"], d["links"].set_index("id")
    m.mine_capacity_t = pyo.Param(m.SUPPLY, initialize=_params(s, ["node", "product", "period"], "capacity_t", labels))
    m.mine_min_t = pyo.Param(m.SUPPLY, initialize=_params(s, ["node", "product", "period"], "min_t", labels))
    m.mine_cost_cny_per_t = pyo.Param(m.SUPPLY, initialize=_params(s, ["node", "product", "period"], "cost_cny_per_t", labels))
    m.link_capacity_t = pyo.Param(m.LINK_PERIODS, initialize=_params(net.link_periods, ["link", "period"], "capacity_t", labels))
    m.link_cost_cny_per_t = pyo.Param(m.LINK_PERIODS, initialize=_params(net.link_periods, ["link", "period"], "cost_cny_per_t", labels))
    m.efficiency = pyo.Param(m.LINKS, initialize=links["efficiency"].astype(float).to_dict())
    m.distance_km = pyo.Param(m.LINKS, initialize=links["distance_km"].astype(float).to_dict())
    m.truck = pyo.Param(m.LINKS, initialize=links["truck"].astype(bool).to_dict(), within=pyo.Boolean)
    m.co2_kg_per_tkm = pyo.Param(m.LINKS, initialize=links["co2_kg_per_tkm"].astype(float).to_dict())
    m.link_from = pyo.Param(m.LINKS, initialize=links["from"].to_dict(), within=m.NODES)
    m.link_products = pyo.Param(m.LINKS, initialize=links["n_products"].astype(int).to_dict())
    m.demand_t = pyo.Param(m.DEMAND, initialize=_params(dem, ["node", "product", "period"], "demand_t", labels))
    m.penalty_cny_per_t = pyo.Param(m.DEMAND, initialize=_params(dem, ["node", "product", "period"], "penalty_cny_per_t", labels))
    m.initial_t = pyo.Param(m.STORES, m.PRODUCTS, default=0.0, initialize={(n, p): v for n, p, v in zip(net.storage["node"], net.storage["product"], net.storage["initial_t"].astype(float))})
    m.end_min_t = pyo.Param(m.STOCKS, initialize=_params(st, ["node", "product", "period"], "end_min_t", labels))
    m.end_target_t = pyo.Param(m.STOCKS, initialize=_params(st, ["node", "product", "period"], "end_target_t", labels))
    m.end_stock_penalty_cny_per_t = pyo.Param(initialize=opt.end_stock_penalty_cny_per_t or 0.0)
    m.storage_capacity_t = pyo.Param(m.STOCKS, initialize=_params(st, ["node", "product", "period"], "capacity_t", labels))
    m.store_products = pyo.Param(m.STOCKS, initialize=_params(st, ["node", "product", "period"], "n_products", labels))
    m.safety_t = pyo.Param(m.STOCKS, initialize=_params(st, ["node", "product", "period"], "safety_t", labels))
    m.holding_cny_per_t = pyo.Param(m.STOCKS, initialize=_params(st, ["node", "product", "period"], "holding_cny_per_t", labels))
    m.safety_penalty_cny_per_t = pyo.Param(initialize=opt.safety_penalty_cny_per_t)
    m.truck_penalty_cny_per_tkm = pyo.Param(initialize=opt.truck_penalty_cny_per_tkm)
    m.carbon_price_cny_per_t_co2 = pyo.Param(initialize=opt.carbon_price_cny_per_t_co2)
    m.truck_share_tkm_cap = pyo.Param(initialize=opt.max_truck_share_tkm if opt.max_truck_share_tkm is not None else 1.0)
    m.mine_truck_share_cap = pyo.Param(initialize=opt.max_mine_truck_share if opt.max_mine_truck_share is not None else 1.0)
    m.hard_safety = opt.safety_stock == "hard"


def _finite(v: float):
    return None if not np.isfinite(v) else v


def variables(m, opt: Options) -> None:
    """production, flow, stock, unmet, safety_shortfall (t) with their bounds:
    one-product capacities are bounds, shared ones rows (see link_capacity)."""
    m.production = pyo.Var(m.SUPPLY, bounds=lambda m, n, p, t: (m.mine_min_t[n, p, t], _finite(m.mine_capacity_t[n, p, t])))
    m.flow = pyo.Var(m.FLOWS, bounds=lambda m, l, p, t: (0.0, _finite(m.link_capacity_t[l, t]) if m.link_products[l] == 1 else None))
    m.stock = pyo.Var(m.STOCKS, bounds=lambda m, n, p, t: (m.end_min_t[n, p, t], _finite(m.storage_capacity_t[n, p, t]) if m.store_products[n, p, t] == 1 else None))
    m.unmet = pyo.Var(m.DEMAND, bounds=lambda m, n, p, t: (0.0, m.demand_t[n, p, t]))
    m.safety_shortfall = pyo.Var(m.SAFETY, bounds=lambda m, n, p, t: (0.0, 0.0 if m.hard_safety else m.safety_t[n, p, t]))
    m.end_shortfall = pyo.Var(m.END, bounds=lambda m, n, p, t: (0.0, m.end_target_t[n, p, t]))


# --------------------------------------------------------------------------- constraint rules
def node_balance(m, n, p, t):
    """Coal in = coal out at a node, product and period (t):
    production + Σ efficiency·flow in + stock[t−1] − Σ flow out − stock[t] + unmet = demand."""
    first = t == m.PERIODS.first()
    made = m.production[n, p, t] if (n, p, t) in m.SUPPLY else 0
    arriving = sum(m.efficiency[l] * m.flow[l, p, t] for l in m.into(n, p, t))
    leaving = sum(m.flow[l, p, t] for l in m.out_of(n, p, t))
    carried_in = m.stock[n, p, m.PERIODS.prev(t)] if not first and (n, p, m.PERIODS.prev(t)) in m.STOCKS else 0
    kept = m.stock[n, p, t] if (n, p, t) in m.STOCKS else 0
    short = m.unmet[n, p, t] if (n, p, t) in m.DEMAND else 0
    demand = m.demand_t[n, p, t] if (n, p, t) in m.DEMAND else 0
    initial = m.initial_t[n, p] if first and (n, p, t) in m.STOCKS else 0
    return made + arriving + carried_in - leaving - kept + short == demand - initial


def link_capacity(m, l, t):
    """Σ_products flow[l, p, t] ≤ link_capacity_t[l, t] on links shared by several products."""
    return sum(m.flow[l, p, t] for p in m.products_on[l, t]) <= m.link_capacity_t[l, t]


def storage_capacity(m, n, t):
    """Σ_products stock[n, p, t] ≤ storage_capacity_t at stores holding several products."""
    return sum(m.stock[n, p, t] for p in m.products_at[n, t]) <= m.storage_capacity_t[n, m.products_at[n, t][0], t]


def safety_stock(m, n, p, t):
    """stock + safety_shortfall ≥ safety_t (shortfall fixed at 0 when safety is hard)."""
    return m.stock[n, p, t] + m.safety_shortfall[n, p, t] >= m.safety_t[n, p, t]


def end_stock_target(m, n, p, t):
    """stock + end_shortfall ≥ end_target_t in the last period, where the end target is soft."""
    return m.stock[n, p, t] + m.end_shortfall[n, p, t] >= m.end_target_t[n, p, t]


def max_truck_share_tkm(m):
    """Σ (truck[l] − share) · distance_km[l] · flow ≤ 0: truck t·km ≤ share × all t·km."""
    return sum((m.truck[l] - m.truck_share_tkm_cap) * m.distance_km[l] * m.flow[l, p, t] for l, p, t in m.FLOWS) <= 0


def max_mine_truck_share(m):
    """Σ flow on truck links leaving mines − share · Σ production ≤ 0 over the horizon."""
    from_mines = sum(m.flow[l, p, t] for l, p, t in m.FLOWS if m.truck[l] and m.link_from[l] in m.MINES)
    return from_mines - m.mine_truck_share_cap * sum(m.production[k] for k in m.SUPPLY) <= 0


# --------------------------------------------------------------------------- costs
def costs(m) -> None:
    """One Expression ``<part>_cost`` per cost part (CNY); the objective is their sum."""
    m.cost_parts = []
    add_cost(m, "production", sum(m.mine_cost_cny_per_t[k] * m.production[k] for k in m.SUPPLY))
    add_cost(m, "transport", sum(m.link_cost_cny_per_t[l, t] * m.flow[l, p, t] for l, p, t in m.FLOWS))
    add_cost(m, "holding", sum(m.holding_cny_per_t[k] * m.stock[k] for k in m.STOCKS))
    add_cost(m, "unmet_penalty", sum(m.penalty_cny_per_t[k] * m.unmet[k] for k in m.DEMAND))
    add_cost(m, "safety_penalty", sum(m.safety_penalty_cny_per_t * m.safety_shortfall[k] for k in m.SAFETY))
    add_cost(m, "end_stock_penalty", sum(m.end_stock_penalty_cny_per_t * m.end_shortfall[k] for k in m.END))
    add_cost(m, "truck_penalty", sum(m.truck_penalty_cny_per_tkm * m.distance_km[l] * m.flow[l, p, t] for l, p, t in m.FLOWS if m.truck[l]))
    add_cost(m, "carbon", sum(m.carbon_price_cny_per_t_co2 * m.distance_km[l] * m.co2_kg_per_tkm[l] / 1000.0 * m.flow[l, p, t] for l, p, t in m.FLOWS))


def add_cost(m, name: str, expr) -> None:
    """Add a named cost part (an Expression ``<name>_cost``, CNY) and re-form the objective
    ``total_cost`` as the sum of all parts. Every part shows in summary.json → costs."""
    m.add_component(f"{name}_cost", pyo.Expression(expr=expr))
    m.cost_parts.append(name)
    if m.component("total_cost") is not None:
        m.del_component("total_cost")
    m.total_cost = pyo.Objective(expr=sum(m.component(f"{c}_cost") for c in m.cost_parts), sense=pyo.minimize)


# --------------------------------------------------------------------------- the hook
def load_extension(path: str | Path):
    """``extra_functionality(model, network, options)`` from a Python file; a missing file or
    function is an input error (exit 2)."""
    file = Path(path)
    if not file.is_file():
        raise DataError([Problem(str(path), "extension file not found; expected a .py file defining extra_functionality(model, network, options)")])
    spec = importlib.util.spec_from_file_location(f"supplyopt_extension_{file.stem}", file)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # the user's file: report, do not crash
        raise DataError([Problem(str(path), f"the extension file failed to load: {type(err).__name__}: {err}")]) from err
    func = getattr(module, "extra_functionality", None)
    if not callable(func):
        raise DataError([Problem(str(path), "defines no function extra_functionality(model, network, options)")])
    return func


# --------------------------------------------------------------------------- compile
def _key_names(component) -> list[str]:
    """Column names for a component's index: from the family set it is indexed over
    (FLOWS → link, product, period) or the named sets of a product (LINKS * PERIODS)."""
    if not component.is_indexed():
        return []
    index = component.index_set()
    name = index.local_name if index.parent_block() is not None else ""
    if name in FAMILY_SETS:
        return list(FAMILY_SETS[name])
    subsets = list(index.subsets()) if hasattr(index, "subsets") else [index]
    names: list[str] = []
    for s in subsets:
        sname = s.local_name if s.parent_block() is not None else ""
        names += FAMILY_SETS.get(sname) or SET_KEYS.get(sname) or [f"key{len(names) + i}" for i in range(s.dimen or 1)]
    dim = index.dimen or 1
    return names if len(names) == dim else [f"key{i}" for i in range(dim)]


def _index_frame(component, positions: dict) -> tuple[list[str], pd.DataFrame]:
    keys = _key_names(component)
    if not keys:
        return [], pd.DataFrame(index=range(1))
    raw = [k if isinstance(k, tuple) else (k,) for k in component.keys()]
    frame = pd.DataFrame(raw, columns=keys) if raw else pd.DataFrame(columns=keys)
    for k in keys:
        if k == "period":
            frame[k] = frame[k].map(positions).astype(np.int64)
    return keys, frame


def _with_attributes(frame: pd.DataFrame, keys: list[str], base) -> pd.DataFrame:
    """The base LP's attribute columns (mode, capacity …) for a standard family, by key."""
    if base is None:
        return frame
    if not keys:
        return base.index.copy() if len(base.index) == len(frame) else frame
    extra = base.index.drop(columns=[c for c in keys if c in base.index.columns])
    merged = frame.merge(base.index[keys].assign(_pos=np.arange(base.size)), on=keys, how="left")
    if merged["_pos"].isna().any():
        return frame
    return pd.concat([frame.reset_index(drop=True), extra.iloc[merged["_pos"].to_numpy(np.int64)].reset_index(drop=True)], axis=1)


def to_lp(m, periods: list[str], base: LinearProgram | None = None) -> tuple[LinearProgram, list, list]:
    """Compile a (possibly extended) Pyomo model into a :class:`LinearProgram`: one variable
    family per ``Var``, one constraint family per ``Constraint``, one cost part per
    ``<name>_cost`` Expression (a remainder of the objective becomes ``other``). ``base``
    (the array LP) lends its attribute columns to families it also has. Returns the LP, the
    VarData of every column and the ConstraintData of every row, in LP order."""
    from pyomo.repn.standard_repn import generate_standard_repn

    positions = {label: i for i, label in enumerate(periods)}
    lp = LinearProgram(m.name)
    columns: list = []
    for var in m.component_objects(pyo.Var, active=True, descend_into=True):
        keys, frame = _index_frame(var, positions)
        data = list(var.values())
        lower = np.array([(v.value if v.fixed else v.lb) if (v.fixed or v.lb is not None) else -INF for v in data], float)
        upper = np.array([(v.value if v.fixed else v.ub) if (v.fixed or v.ub is not None) else INF for v in data], float)
        kind = "binary" if data and all(v.is_binary() for v in data) else "integer" if any(v.is_integer() for v in data) else "continuous"
        base_fam = base.variables.get(var.local_name) if base is not None else None
        fam = lp.add_variables(var.local_name, base_fam.meaning if base_fam else (var.doc or f"{var.local_name} (added by an extension)"), keys, _with_attributes(frame, keys, base_fam), lower, upper, kind)
        fam.lower[:], fam.upper[:] = lower, upper  # keep bounds exactly as given
        columns += data
    col_of = {id(v): j for j, v in enumerate(columns)}

    rows: list = []
    for con in m.component_objects(pyo.Constraint, active=True, descend_into=True):
        keys, frame = _index_frame(con, positions)
        data = list(con.values())
        r, c, a, lo, up = [], [], [], np.empty(len(data)), np.empty(len(data))
        for i, cd in enumerate(data):
            repn = generate_standard_repn(cd.body, compute_values=True, quadratic=False)
            if repn.nonlinear_expr is not None:
                raise ValueError(f"constraint {cd.name} is not linear; supplyopt solves linear (mixed-integer) programs")
            for v, coef in zip(repn.linear_vars, repn.linear_coefs):
                if coef != 0:
                    r.append(i)
                    c.append(col_of[id(v)])
                    a.append(coef)
            lower, upper = pyo.value(cd.lower), pyo.value(cd.upper)
            lo[i] = -INF if lower is None else lower - repn.constant
            up[i] = INF if upper is None else upper - repn.constant
        base_fam = base.constraints.get(con.local_name) if base is not None else None
        meaning = base_fam.meaning if base_fam else (con.doc or f"{con.local_name} (added by an extension)")
        lp.add_constraints(con.local_name, meaning, keys, _with_attributes(frame, keys, base_fam), np.array(r, np.int64), np.array(c, np.int64), np.array(a, float), lo, up)
        rows += data

    total = np.zeros(lp.n_cols)
    for name in getattr(m, "cost_parts", []):
        cols, coefs = _linear(m.component(f"{name}_cost").expr, col_of, generate_standard_repn)
        lp.add_cost(name, cols, coefs)
        np.add.at(total, cols, coefs)
    objective = next(m.component_objects(pyo.Objective, active=True, descend_into=True), None)
    if objective is not None:
        cols, coefs = _linear(objective.expr, col_of, generate_standard_repn)
        c = np.zeros(lp.n_cols)
        np.add.at(c, cols, coefs)
        rest = np.flatnonzero(np.abs(c - total) > 1e-12 * np.maximum(1.0, np.abs(c)))
        if len(rest):
            lp.add_cost("other", rest, (c - total)[rest])
    return lp, columns, rows


def _linear(expr, col_of: dict, generate_standard_repn) -> tuple[np.ndarray, np.ndarray]:
    repn = generate_standard_repn(expr, compute_values=True, quadratic=False)
    if repn.nonlinear_expr is not None:
        raise ValueError("the objective is not linear; supplyopt solves linear (mixed-integer) programs")
    return np.array([col_of[id(v)] for v in repn.linear_vars], np.int64), np.array(repn.linear_coefs, float)
