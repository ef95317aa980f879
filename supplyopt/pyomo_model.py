"""The LP of ``model.py`` as a Pyomo model, for Pyomo's persistent HiGHS interface.

Components carry the family names and keys a planner reads: ``m.flow[link, product, period]``,
``m.stock[node, product, period]``, ``m.node_balance[node, product, period]`` … (periods by
their labels). Each constraint is built from the family's arrays as a ``LinearExpression``
(no per-constraint Python rules). Right-hand sides are mutable Params so a re-solve after a
bound change stays warm in the persistent solver.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from .model import ConstraintFamily, LinearProgram


def _keys(index, keys: list[str], periods: list[str]) -> list[tuple]:
    cols = [index[k].map(lambda p: periods[p]) if k == "period" else index[k] for k in keys]
    return list(cols[0]) if len(cols) == 1 else list(zip(*cols))


def _bound(v: float):
    return None if not np.isfinite(v) else float(v)


def to_pyomo(lp: LinearProgram, periods: list[str]):
    """Build the Pyomo model. Returns (model, columns, rows): the VarData of every LP column
    and the ConstraintData of every LP row, both in LP order."""
    m = pyo.ConcreteModel(name=lp.name)
    columns: list = []
    for fam in lp.variables.values():
        keys = _keys(fam.index, fam.keys, periods)
        idx = pyo.Set(initialize=keys, dimen=len(fam.keys), ordered=True)
        m.add_component(f"{fam.name}_index", idx)
        var = pyo.Var(idx, domain=pyo.Reals)
        m.add_component(fam.name, var)
        vars_ = list(var.values())
        for v, lo, up in zip(vars_, fam.lower, fam.upper):
            v.setlb(_bound(lo))
            v.setub(_bound(up))
        columns += vars_

    rows: list = []
    for fam in lp.constraints.values():
        rows += _constraint_family(m, fam, columns, periods)

    c = lp.objective()
    nz = np.flatnonzero(c)
    for name, (cols, coefs) in lp.costs.items():
        m.add_component(f"{name}_cost", pyo.Expression(expr=LinearExpression(constant=0.0, linear_coefs=coefs.tolist(), linear_vars=[columns[j] for j in cols])))
    m.total_cost = pyo.Objective(expr=LinearExpression(constant=0.0, linear_coefs=c[nz].tolist(), linear_vars=[columns[j] for j in nz]), sense=pyo.minimize)
    return m, columns, rows


def _constraint_family(m, fam: ConstraintFamily, columns: list, periods: list[str]) -> list:
    order = np.argsort(fam.rows, kind="stable")
    cols, coefs = fam.cols[order], fam.coefs[order]
    starts = np.searchsorted(fam.rows[order], np.arange(fam.size + 1))
    has_lower = np.isfinite(fam.lower).any()
    has_upper = np.isfinite(fam.upper).any()
    equality = bool(np.array_equal(fam.lower, fam.upper))
    keys = _keys(fam.index, fam.keys, periods) if fam.keys else [None]
    idx = pyo.Set(initialize=keys, dimen=len(fam.keys), ordered=True) if fam.keys else None
    args = (idx,) if idx is not None else ()
    if idx is not None:
        m.add_component(f"{fam.name}_index", idx)
    lower = pyo.Param(*args, mutable=True, initialize=_init(fam.lower, keys), within=pyo.Any) if has_lower else None
    upper = pyo.Param(*args, mutable=True, initialize=_init(fam.upper, keys), within=pyo.Any) if has_upper else None
    if lower is not None:
        m.add_component(f"{fam.name}_lower", lower)
    if upper is not None:
        m.add_component(f"{fam.name}_upper", upper)

    def body(i: int):
        s, e = starts[i], starts[i + 1]
        return LinearExpression(constant=0.0, linear_coefs=coefs[s:e].tolist(), linear_vars=[columns[j] for j in cols[s:e]])

    position = {k: i for i, k in enumerate(keys)}

    def rule(_m, *key):
        k = (key[0] if len(key) == 1 else key) if fam.keys else None
        i = position[k]
        lo = None if lower is None else (lower[k] if fam.keys else lower)
        up = None if upper is None else (upper[k] if fam.keys else upper)
        if equality:
            return body(i) == up
        return pyo.inequality(lo, body(i), up) if (lo is not None and up is not None) else (body(i) >= lo if lo is not None else body(i) <= up)

    con = pyo.Constraint(*args, rule=rule)
    m.add_component(fam.name, con)
    return list(con.values())


def _init(values: np.ndarray, keys: list):
    if keys == [None]:
        return float(values[0])
    return {k: float(v) for k, v in zip(keys, values)}
