"""The Pyomo view of the model: generated from the one statement (``model.build_lp``), never
written a second time.

Every variable family of the :class:`~supplyopt.model.LinearProgram` becomes a ``Var`` indexed
by its keys (``model.flow[link, product, period]``, periods as labels), every constraint family
a ``Constraint`` of the same name and rows (``model.node_balance[node, product, period]``), every
cost part an Expression ``<part>_cost``, and the objective ``total_cost`` their sum — in the
statement's own order, so both engines hand HiGHS the same columns and rows. Whatever the
statement holds — reserves, priority rows, investment decisions, trainloads, the soft end
target, decisions held by foresight — is in the Pyomo model by construction.

Around it, the data an extension reads: sets (``PERIODS``, ``PRODUCTS``, ``NODES``, ``LINKS``,
``MINES``, ``STORES``, ``DEMAND_NODES``; each family's index set, ``FLOWS``, ``SUPPLY``,
``STOCKS`` …) and params (``distance_km``, ``co2_kg_per_tkm``, ``demand_t`` …; docs/model.md).

This is the model a user extends: ``extra_functionality(model, network, options)`` adds sets,
params, variables (integer or binary too), constraints and cost parts (:func:`add_cost`);
:func:`to_lp` compiles what it added (Pyomo's ``generate_standard_repn``) and takes the
generated components back from the statement's arrays, with any bound an extension changed.
Units: tonnes per period; costs in the data set's currency (CNY).
"""

from __future__ import annotations

import hashlib
import uuid

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression
from pyomo.repn.standard_repn import generate_standard_repn

from supplyopt.io.extension import load_extension  # noqa: F401 — the hook lives with the model users extend
from supplyopt.io.network import Network
from supplyopt.model.options import Options
from supplyopt.model.statement import LinearProgram, build_lp

# Index sets of the standard families under the names extensions know (docs/model.md).
SET_NAMES = {
    "production": "SUPPLY", "flow": "FLOWS", "stock": "STOCKS", "unmet": "DEMAND", "safety_shortfall": "SAFETY",
    "end_shortfall": "END", "node_balance": "BALANCE", "link_capacity": "SHARED_LINKS", "storage_capacity": "SHARED_STORES",
    "safety_stock": "SAFETY", "end_stock_target": "END",
}
# Key names of the data sets (for compiling what an extension indexes over them).
SET_KEYS = {"NODES": ["node"], "LINKS": ["link"], "PRODUCTS": ["product"], "PERIODS": ["period"], "MINES": ["mine"], "STORES": ["node"],
            "DEMAND_NODES": ["node"], "LINK_PERIODS": ["link", "period"]}
GENERATED = "_supplyopt_generated"  # the model attribute holding (statement, {name: component}, columns, rows)
DATA = "_supplyopt_data"  # the model attribute holding the digests of what the data params were read from (data_fingerprint)


# --------------------------------------------------------------------------- the view
def build_model(net: Network, opt: Options, lp: LinearProgram | None = None) -> pyo.ConcreteModel:
    """The Pyomo model of ``lp`` (default: ``model.build_lp(net, opt)``), with the network's
    sets and params around it for extensions."""
    lp = lp if lp is not None else build_lp(net, opt)
    m = pyo.ConcreteModel(name=net.name)
    labels = np.asarray(net.periods, dtype=object)
    data_sets(m, net)
    data_params(m, net, opt)
    setattr(m, DATA, data_fingerprint(net, opt))
    m.cost_parts = []
    components, columns, rows, keys_of = {}, [], [], dict(SET_KEYS)
    for fam in lp.variables.values():
        var = _variable_family(m, fam, labels, keys_of)
        components[fam.name] = var
        columns += list(var.values())
    for con in lp.constraints.values():
        c = _constraint_family(m, con, labels, columns, keys_of)
        components[con.name] = c
        rows += list(c.values())
    for name, (cols, coefs) in lp.costs.items():
        add_cost(m, name, LinearExpression(constant=0.0, linear_coefs=coefs.tolist(), linear_vars=[columns[j] for j in cols.tolist()]))
        components[f"{name}_cost"] = m.component(f"{name}_cost")
    setattr(m, GENERATED, (lp, components, columns, rows, keys_of))
    return m


def _keys(frame: pd.DataFrame, keys: list[str], labels: np.ndarray) -> list:
    """Index tuples of a family (periods as labels, a whole-horizon row's −1 as ""; one key:
    plain values)."""
    def period(values):
        p = values.to_numpy(np.int64)
        return np.where(p >= 0, labels[np.maximum(p, 0)], "")

    parts = [period(frame[k]) if k == "period" else frame[k].to_numpy(object) for k in keys]
    return list(zip(*parts)) if len(keys) > 1 else list(parts[0])


def _index_set(m, name: str, keys: list[str], index: pd.DataFrame, labels: np.ndarray, keys_of: dict):
    """The family's index set: its standard name (``FLOWS`` …) or ``<NAME>_INDEX``; reused when a
    family with the same index was generated before it (``SAFETY`` for shortfall and row)."""
    tuples = _keys(index, keys, labels) if keys else list(range(len(index)))
    if len(set(tuples)) != len(tuples):  # keys that do not tell rows apart: index by position
        keys, tuples = [], list(range(len(index)))
    set_name = SET_NAMES.get(name, f"{name.upper()}_INDEX")
    held = m.component(set_name)
    if held is not None:
        if list(held) == tuples:
            return held
        set_name = f"{name.upper()}_INDEX"
    m.add_component(set_name, pyo.Set(initialize=tuples, dimen=max(len(keys), 1), ordered=True))
    keys_of[set_name] = list(keys) if keys else [f"{name}_row"]
    return m.component(set_name)


def _variable_family(m, fam, labels: np.ndarray, keys_of: dict):
    """One Var per variable family, with the statement's bounds and integrality."""
    domain = {"continuous": pyo.Reals, "integer": pyo.Integers, "binary": pyo.Binary}[fam.integrality]
    lower = [None if not np.isfinite(v) else float(v) for v in fam.lower]
    upper = [None if not np.isfinite(v) else float(v) for v in fam.upper]
    if not fam.keys and fam.size == 1:
        m.add_component(fam.name, pyo.Var(domain=domain, bounds=(lower[0], upper[0]), doc=fam.meaning))
        return m.component(fam.name)
    index = _index_set(m, fam.name, fam.keys, fam.index, labels, keys_of)
    m.add_component(fam.name, pyo.Var(index, domain=domain, doc=fam.meaning))
    var = m.component(fam.name)
    for v, lo, up in zip(var.values(), lower, upper):
        v.setlb(lo)
        v.setub(up)
    return var


def _row_maker(con, columns: list):
    """``row(i)``: the Pyomo relation of row i of ``con`` (``lower ≤ Σ coef · x ≤ upper``)."""
    order = np.argsort(con.rows, kind="stable")
    starts = np.searchsorted(con.rows[order], np.arange(con.size + 1))
    cols, coefs = con.cols[order].tolist(), con.coefs[order].tolist()

    def row(i: int):
        a, b = starts[i], starts[i + 1]
        expr = LinearExpression(constant=0.0, linear_coefs=coefs[a:b], linear_vars=[columns[j] for j in cols[a:b]])
        lo, up = con.lower[i], con.upper[i]
        if lo == up:
            return expr == float(lo)
        # a row free on both sides (a priority cap not yet set) keeps an infinite upper bound
        return (float(lo) if np.isfinite(lo) else None, expr, float(up) if np.isfinite(up) or not np.isfinite(lo) else None)

    return row


def _constraint_family(m, con, labels: np.ndarray, columns: list, keys_of: dict):
    """One Constraint per constraint family: ``lower ≤ Σ coef · x ≤ upper`` row by row."""
    row = _row_maker(con, columns)

    if not con.keys and con.size == 1:
        m.add_component(con.name, pyo.Constraint(expr=row(0), doc=con.meaning))
        return m.component(con.name)
    index = _index_set(m, con.name, con.keys, con.index, labels, keys_of)
    position = {k: i for i, k in enumerate(index)}
    m.add_component(con.name, pyo.Constraint(index, rule=lambda m, *k: row(position[k[0] if len(k) == 1 else k]), doc=con.meaning))
    return m.component(con.name)


# --------------------------------------------------------------------------- the kept view, changed
def same_shape(old: LinearProgram, new: LinearProgram) -> bool:
    """Whether ``new`` has ``old``'s families, sizes, keys, integrality, sparsity pattern and
    cost parts (columns), so that its Pyomo view is ``old``'s with other numbers."""
    if list(old.variables) != list(new.variables) or list(old.constraints) != list(new.constraints) or list(old.costs) != list(new.costs):
        return False
    for a, b in zip(old.variables.values(), new.variables.values()):
        if a.size != b.size or a.start != b.start or a.integrality != b.integrality or a.keys != b.keys or not _same_keys(a, b):
            return False
    for a, b in zip(old.constraints.values(), new.constraints.values()):
        if a.size != b.size or a.keys != b.keys or not (np.array_equal(a.rows, b.rows) and np.array_equal(a.cols, b.cols)) or not _same_keys(a, b):
            return False
    return all(np.array_equal(old.costs[k][0], new.costs[k][0]) for k in old.costs)


def _same_keys(a, b) -> bool:
    return a.index is b.index or not a.keys or a.index[a.keys].reset_index(drop=True).equals(b.index[b.keys].reset_index(drop=True))


def restate(m, new: LinearProgram, also: dict | None = None) -> dict:
    """Make the kept Pyomo view ``m`` the view of ``new`` (a statement of the same shape as
    the one it was generated from, :func:`same_shape`) in place: the bounds of the variables
    whose statement bounds changed (and of ``also``: {family: positions} changed directly),
    the rows whose bounds or coefficients changed, the cost parts whose coefficients changed.
    Nothing else is touched: what an extension added stays. Returns {"columns": n, "rows": n,
    "costs": n} changed. Raises ValueError where a changed cost part was extended by an
    extension (its terms cannot be told apart: the caller rebuilds)."""
    old, components, columns, rows, keys_of = getattr(m, GENERATED)
    changed = {"columns": 0, "rows": 0, "costs": 0}
    for name, fam in new.variables.items():
        was = old.variables[name]
        hit = np.flatnonzero((fam.lower != was.lower) | (fam.upper != was.upper))
        if also and name in also:
            hit = np.union1d(hit, np.asarray(also[name], np.int64))
        for i in hit.tolist():
            v = columns[fam.start + i]
            v.setlb(float(fam.lower[i]) if np.isfinite(fam.lower[i]) else None)
            v.setub(float(fam.upper[i]) if np.isfinite(fam.upper[i]) else None)
        changed["columns"] += len(hit)
    for name, con in new.constraints.items():
        was = old.constraints[name]
        hit = np.flatnonzero((con.lower != was.lower) | (con.upper != was.upper))
        moved = con.coefs != was.coefs
        if moved.any():
            hit = np.union1d(hit, np.unique(con.rows[moved]))
        if len(hit):
            row = _row_maker(con, columns)
            data = components[name]
            held = list(data.values()) if data.is_indexed() else [data]
            for i in hit.tolist():
                held[i].set_value(row(i))
        changed["rows"] += len(hit)
    for name, (cols, coefs) in new.costs.items():
        if np.array_equal(coefs, old.costs[name][1]):
            continue
        part = components.get(f"{name}_cost")
        if part is None or m.component(f"{name}_cost") is not part:
            raise ValueError(f"cost part {name} was extended by the extension: rebuild")
        part.set_value(LinearExpression(constant=0.0, linear_coefs=np.asarray(coefs, float).tolist(), linear_vars=[columns[j] for j in cols.tolist()]))
        changed["costs"] += 1
    setattr(m, GENERATED, (new, components, columns, rows, keys_of))
    return changed


def refresh_data(m, net: Network, opt: Options) -> list[str]:
    """The data params (``demand_t``, ``link_capacity_t`` …) of the kept view read again from
    ``net`` where what they are read from changed; the groups read again (:data:`DATA_GROUPS`)."""
    now = data_fingerprint(net, opt)
    held = getattr(m, DATA)
    changed = [g for g in DATA_GROUPS if now[g] != held[g]]
    for group in changed:
        for name in DATA_GROUPS[group][0]:
            m.del_component(name)
    if changed:
        data_params(m, net, opt, changed)
        setattr(m, DATA, now)
    return changed


def data_fingerprint(net: Network, opt: Options) -> dict:
    """{group: a digest of what its params are read from}: equal digests, equal params."""
    out = {}
    for group, (_, tables) in DATA_GROUPS.items():
        digest = hashlib.sha256()
        for table in tables:
            table, columns = table if isinstance(table, tuple) else (table, None)
            frame = getattr(net, table) if columns is None else getattr(net, table)[list(columns)]
            try:
                digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
            except TypeError:  # a cell pandas cannot hash: count the data as changed
                digest.update(uuid.uuid4().bytes)
            digest.update("|".join(map(str, frame.columns)).encode())
        if group == "prices":
            digest.update(repr((opt.unmet_penalty_cny_per_t, opt.safety_penalty_cny_per_t, opt.truck_penalty_cny_per_tkm, opt.carbon_price_cny_per_t_co2)).encode())
        out[group] = digest.hexdigest()
    return out


# --------------------------------------------------------------------------- data for extensions
def data_sets(m, net: Network) -> None:
    """PERIODS (ordered labels), PRODUCTS, NODES, LINKS, MINES, STORES, DEMAND_NODES, LINK_PERIODS."""
    labels = np.asarray(net.periods, dtype=object)
    m.PERIODS = pyo.Set(initialize=list(net.periods), ordered=True)
    m.PRODUCTS = pyo.Set(initialize=list(net.products), ordered=True)
    m.NODES = pyo.Set(initialize=net.nodes["id"].tolist(), ordered=True)
    m.LINKS = pyo.Set(initialize=net.links["id"].tolist(), ordered=True)
    m.MINES = pyo.Set(within=m.NODES, initialize=sorted(set(net.supply["node"])), ordered=True)
    m.STORES = pyo.Set(within=m.NODES, initialize=sorted(set(net.storage["node"])), ordered=True)
    m.DEMAND_NODES = pyo.Set(within=m.NODES, initialize=sorted(set(net.demand["node"])), ordered=True)
    m.LINK_PERIODS = pyo.Set(dimen=2, initialize=_keys(net.link_periods, ["link", "period"], labels), ordered=True)


def _params(frame: pd.DataFrame, keys: list[str], value: str, labels: np.ndarray) -> dict:
    return dict(zip(_keys(frame, keys, labels), frame[value].to_numpy(float).tolist()))


def data_params(m, net: Network, opt: Options, groups=None) -> None:
    """The network's numbers by the sets above (inf = unlimited) and the profile's prices;
    ``groups``: only these of :data:`DATA_GROUPS` (a refresh)."""
    labels = np.asarray(net.periods, dtype=object)
    groups = DATA_GROUPS if groups is None else groups
    if "supply" in groups:
        s = net.supply
        m.mine_capacity_t = pyo.Param(m.MINES * m.PRODUCTS * m.PERIODS, initialize=_params(s, ["node", "product", "period"], "capacity_t", labels), default=0.0)
        m.mine_min_t = pyo.Param(m.MINES * m.PRODUCTS * m.PERIODS, initialize=_params(s, ["node", "product", "period"], "min_t", labels), default=0.0)
        m.mine_cost_cny_per_t = pyo.Param(m.MINES * m.PRODUCTS * m.PERIODS, initialize=_params(s, ["node", "product", "period"], "cost_cny_per_t", labels), default=0.0)
    if "link_capacity" in groups:
        m.link_capacity_t = pyo.Param(m.LINK_PERIODS, initialize=_params(net.link_periods, ["link", "period"], "capacity_t", labels))
    if "link_cost" in groups:
        m.link_cost_cny_per_t = pyo.Param(m.LINK_PERIODS, initialize=_params(net.link_periods, ["link", "period"], "cost_cny_per_t", labels))
    if "links" in groups:
        links = net.links.merge(net.modes, on="mode", how="left").set_index("id")
        m.efficiency = pyo.Param(m.LINKS, initialize=links["efficiency"].astype(float).to_dict())
        m.distance_km = pyo.Param(m.LINKS, initialize=links["distance_km"].astype(float).to_dict())
        m.truck = pyo.Param(m.LINKS, initialize=links["truck"].astype(bool).to_dict(), within=pyo.Boolean)
        m.co2_kg_per_tkm = pyo.Param(m.LINKS, initialize=links["co2_kg_per_tkm"].astype(float).to_dict())
        m.link_from = pyo.Param(m.LINKS, initialize=links["from"].to_dict(), within=m.NODES)
        m.link_to = pyo.Param(m.LINKS, initialize=links["to"].to_dict(), within=m.NODES)
    if "demand" in groups:
        m.demand_t = pyo.Param(m.DEMAND_NODES * m.PRODUCTS * m.PERIODS, initialize=_params(net.demand, ["node", "product", "period"], "demand_t", labels), default=0.0)
    if "storage" in groups:
        st = net.storage_periods.merge(net.storage_capacity, on=["node", "period"], how="left")
        m.initial_t = pyo.Param(m.STORES, m.PRODUCTS, default=0.0, initialize={(n, p): v for n, p, v in zip(net.storage["node"], net.storage["product"], net.storage["initial_t"].astype(float))})
        m.safety_t = pyo.Param(m.STORES * m.PRODUCTS * m.PERIODS, initialize=_params(st, ["node", "product", "period"], "safety_t", labels), default=0.0)
        m.storage_capacity_t = pyo.Param(m.STORES * m.PRODUCTS * m.PERIODS, initialize=_params(st.fillna({"capacity_t": np.inf}), ["node", "product", "period"], "capacity_t", labels), default=0.0)
    if "prices" in groups:
        m.unmet_penalty_cny_per_t = pyo.Param(initialize=opt.unmet_penalty_cny_per_t)
        m.safety_penalty_cny_per_t = pyo.Param(initialize=opt.safety_penalty_cny_per_t)
        m.truck_penalty_cny_per_tkm = pyo.Param(initialize=opt.truck_penalty_cny_per_tkm)
        m.carbon_price_cny_per_t_co2 = pyo.Param(initialize=opt.carbon_price_cny_per_t_co2)


# The params of each group and what they are read from: tables, or (table, columns) where a
# what-if changes one column of a table several groups read (a refresh reads a group again only
# where what it reads changed: an outage's capacities, not the link costs beside them).
DATA_GROUPS = {
    "supply": (("mine_capacity_t", "mine_min_t", "mine_cost_cny_per_t"), ("supply",)),
    "link_capacity": (("link_capacity_t",), (("link_periods", ("link", "period", "capacity_t")),)),
    "link_cost": (("link_cost_cny_per_t",), (("link_periods", ("link", "period", "cost_cny_per_t")),)),
    "links": (("efficiency", "distance_km", "truck", "co2_kg_per_tkm", "link_from", "link_to"), ("links", "modes")),
    "demand": (("demand_t",), ("demand",)),
    "storage": (("initial_t", "safety_t", "storage_capacity_t"), ("storage", "storage_periods", "storage_capacity")),
    "prices": (("unmet_penalty_cny_per_t", "safety_penalty_cny_per_t", "truck_penalty_cny_per_tkm", "carbon_price_cny_per_t_co2"), ()),
}


# --------------------------------------------------------------------------- costs
def add_cost(m, name: str, expr) -> None:
    """Add a named cost part (an Expression ``<name>_cost``, CNY) and re-form the objective
    ``total_cost`` as the sum of all parts. Every part shows in summary.json → costs. Terms
    given under a name already used are added to that part, never replace it."""
    held = m.component(f"{name}_cost")
    if name in m.cost_parts and held is not None:
        held.set_value(held.expr + expr)
        generated = getattr(m, GENERATED, None)
        if generated is not None:
            generated[1].pop(f"{name}_cost", None)  # no longer the statement's part: compiled as it now reads
    else:
        if held is not None:
            raise ValueError(f"a component named {name}_cost exists already and is not a cost part; give the cost part another name")
        m.add_component(f"{name}_cost", pyo.Expression(expr=expr))
        m.cost_parts.append(name)
    if m.component("total_cost") is not None:
        m.del_component("total_cost")
    m.total_cost = pyo.Objective(expr=sum(m.component(f"{c}_cost") for c in m.cost_parts), sense=pyo.minimize)


# --------------------------------------------------------------------------- compile
def to_lp(m, periods: list[str]) -> tuple[LinearProgram, list, list, list[str]]:
    """The (possibly extended) Pyomo model as a :class:`LinearProgram`: the generated families
    from the statement's arrays (with the bounds their variables hold now, and without rows an
    extension deactivated), then every ``Var``, ``Constraint`` and ``<name>_cost`` an extension
    added, compiled by Pyomo. Returns the LP, the VarData of every column and the
    ConstraintData of every row in LP order, and notes (an added family that is empty)."""
    statement, generated, gen_columns, _, keys_of = getattr(m, GENERATED)
    positions = {label: i for i, label in enumerate(periods)}
    lp = LinearProgram(m.name)
    columns: list = []
    notes: list[str] = []
    for var in m.component_objects(pyo.Var, active=True, descend_into=True):
        data = list(var.values())
        lower, upper = _bounds(data)
        if generated.get(var.local_name) is var:
            fam = statement.variables[var.local_name]
            lp.add_variables(fam.name, fam.meaning, fam.keys, fam.index, lower, upper, fam.integrality)
        else:
            keys, frame = _index_frame(var, positions, keys_of)
            kind = "binary" if data and all(v.is_binary() for v in data) else "integer" if any(v.is_integer() for v in data) else "continuous"
            fam = lp.add_variables(var.local_name, var.doc or f"{var.local_name} (added by an extension)", keys, frame, lower, upper, kind)
            fam.lower[:], fam.upper[:] = lower, upper  # keep bounds exactly as given
            if not data:
                notes.append(f"the extension's variable {var.local_name} has no index entries (it matches nothing)")
        columns += data
    if columns[: len(gen_columns)] != gen_columns:
        raise ValueError("an extension removed or re-created a variable of the model; add new components instead")
    col_of = {id(v): j for j, v in enumerate(columns)}

    rows: list = []
    for con in m.component_objects(pyo.Constraint, active=True, descend_into=True):
        data = list(con.values())
        if generated.get(con.local_name) is con:
            fam = statement.constraints[con.local_name]
            active = np.array([cd.active for cd in data], bool)
            keep = np.flatnonzero(active)
            renumber = np.full(fam.size, -1, np.int64)
            renumber[keep] = np.arange(len(keep))
            terms = active[fam.rows]
            lp.add_constraints(fam.name, fam.meaning, fam.keys, fam.index.iloc[keep], renumber[fam.rows[terms]], fam.cols[terms], fam.coefs[terms],
                               fam.lower[keep], fam.upper[keep])
            rows += [data[i] for i in keep]
            continue
        data = [cd for cd in data if cd.active]
        keys, frame = _index_frame(con, positions, keys_of)
        if data and len(frame) != len(data):
            frame = frame.iloc[[i for i, cd in enumerate(con.values()) if cd.active]].reset_index(drop=True)
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
            lo[i] = -np.inf if lower is None else lower - repn.constant
            up[i] = np.inf if upper is None else upper - repn.constant
        if not data:
            notes.append(f"the extension's constraint {con.local_name} has no rows (it matches nothing)")
        lp.add_constraints(con.local_name, con.doc or f"{con.local_name} (added by an extension)", keys, frame, np.array(r, np.int64), np.array(c, np.int64),
                           np.array(a, float), lo, up)
        rows += data

    total = np.zeros(lp.n_cols)
    for name in m.cost_parts:
        expr = m.component(f"{name}_cost")
        if generated.get(f"{name}_cost") is expr:
            cols, coefs = statement.costs[name]
        else:
            cols, coefs = _linear(expr.expr, col_of)
        lp.add_cost(name, cols, coefs)
        np.add.at(total, lp.costs[name][0], lp.costs[name][1])
    objective = next(m.component_objects(pyo.Objective, active=True, descend_into=True), None)
    if objective is not None and objective.local_name != "total_cost":  # an extension's own objective: what it adds beyond the parts
        cols, coefs = _linear(objective.expr, col_of)
        c = np.zeros(lp.n_cols)
        np.add.at(c, cols, coefs)
        rest = np.flatnonzero(np.abs(c - total) > 1e-12 * np.maximum(1.0, np.abs(c)))
        if len(rest):
            lp.add_cost("other", rest, (c - total)[rest])
    return lp, columns, rows, notes


def _bounds(data: list) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of variables (a fixed one: its value; none: ∓inf), one pass."""
    held = [(v.value, v.value) if v.fixed else v.bounds for v in data]
    lower = np.array([b[0] for b in held], float)  # None reads as NaN: no bound
    upper = np.array([b[1] for b in held], float)
    lower[np.isnan(lower)], upper[np.isnan(upper)] = -np.inf, np.inf
    return lower, upper


def _linear(expr, col_of: dict) -> tuple[np.ndarray, np.ndarray]:
    repn = generate_standard_repn(expr, compute_values=True, quadratic=False)
    if repn.nonlinear_expr is not None:
        raise ValueError("the objective is not linear; supplyopt solves linear (mixed-integer) programs")
    return np.array([col_of[id(v)] for v in repn.linear_vars], np.int64), np.array(repn.linear_coefs, float)


def _key_names(component, keys_of: dict) -> list[str]:
    """Column names for a component's index: from the set it is indexed over (FLOWS → link,
    product, period) or the named sets of a product (LINKS * PERIODS)."""
    if not component.is_indexed():
        return []
    index = component.index_set()
    name = index.local_name if index.parent_block() is not None else ""
    if name in keys_of:
        return list(keys_of[name])
    subsets = list(index.subsets()) if hasattr(index, "subsets") else [index]
    names: list[str] = []
    for s in subsets:
        sname = s.local_name if s.parent_block() is not None else ""
        names += keys_of.get(sname) or [f"key{len(names) + i}" for i in range(_dimen(s))]
    dim = _dimen(index)
    return names if len(names) == dim else [f"key{i}" for i in range(dim)]


def _dimen(s) -> int:
    """A set's dimension (an empty set built from a list has none known: 1)."""
    return s.dimen if isinstance(s.dimen, int) and s.dimen > 0 else 1


def _index_frame(component, positions: dict, keys_of: dict) -> tuple[list[str], pd.DataFrame]:
    keys = _key_names(component, keys_of)
    if not keys:
        return [], pd.DataFrame(index=range(1))
    raw = [k if isinstance(k, tuple) else (k,) for k in component.keys()]
    frame = pd.DataFrame(raw, columns=keys) if raw else pd.DataFrame(columns=keys)
    for k in keys:
        if k == "period":
            frame[k] = frame[k].map(positions).astype(np.int64)
    return keys, frame
