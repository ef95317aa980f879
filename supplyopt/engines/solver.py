"""Choose an engine, check what the solver returned, and change a kept model for a warm re-solve.

Two engines, one formulation (``docs/model.md``):

- ``highs`` (default, ``highs_engine.py``): ``model.build_lp``'s arrays go straight into HiGHS
  through highspy, in memory.
- ``pyomo`` (``pyomo_engine.py``): the Pyomo view generated from the same arrays
  (``pyomo_view.py``), optionally extended by ``extra_functionality(model, network, options)``,
  compiled back into a :class:`~supplyopt.model.LinearProgram` whose families are its
  components, then solved by HiGHS.

Both return a :class:`~supplyopt.solution.Solution` with primal values, duals and reduced
costs as arrays in LP order, so ``results.py`` does not care which engine ran.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from supplyopt.engines.highs import BIG_TONNES, HighsEngine, split_highs_warnings
from supplyopt.engines.pyomo import PyomoEngine
from supplyopt.engines.solution import (
    IPM_FROM_COLUMNS,
    STATUS_WORDS,
    Solution,
    SolverMissing,
    choose_method,
    highs_option_values,
    highs_version,
)
from supplyopt.model.options import Options
from supplyopt.model.requirements import requirement_of
from supplyopt.model.statement import LinearProgram

__all__ = ["BIG_TONNES", "HighsEngine", "STATUS_WORDS", "Solution", "SolverMissing", "check_plan", "change_demand",
           "change_link_capacity", "choose_method", "IPM_FROM_COLUMNS", "highs_option_values", "split_highs_warnings", "highs_version", "make_engine", "scaling_report"]


def make_engine(lp: LinearProgram, opt: Options, periods: list[str], net=None, extend=None):
    """The engine the options ask for, with the model already handed over. The Pyomo engine
    (``opt.engine == "pyomo"``, or any ``extend`` hook) generates its Pyomo model from ``lp``
    (and needs ``net`` for the data around it); its ``engine.lp`` is the compiled Pyomo model,
    which results must then read."""
    try:
        import highspy  # noqa: F401
    except ImportError as err:
        raise SolverMissing(f"the HiGHS solver (Python package highspy) is not installed ({err}); run `make demo` or `pip install highspy==1.16.0`") from err
    if opt.engine == "pyomo" or extend is not None:
        try:
            import pyomo.environ  # noqa: F401
        except ImportError as err:
            raise SolverMissing(f"Pyomo is not installed ({err}); use --engine highs or `pip install pyomo==6.10.1`") from err
        if net is None:
            raise TypeError("the pyomo engine reads the network's sets and params: pass net=")
        return PyomoEngine(net, opt, lp, extend=extend)
    return HighsEngine(lp, opt.solver)


# --------------------------------------------------------------------------- numerics
def scaling_report(lp: LinearProgram) -> tuple[dict, list[str]]:
    """Ranges of matrix coefficients, costs and finite bounds, and warnings where they span
    so many orders of magnitude that a solver's tolerances start to matter."""
    _, _, vals = lp.triplets()
    col_lo, col_up, row_lo, row_up = lp.bounds()
    c = lp.objective()

    def span(values):
        v = np.abs(values[np.isfinite(values) & (values != 0)])
        return (float(v.min()), float(v.max())) if len(v) else (0.0, 0.0)

    ranges = {"matrix": span(vals), "cost": span(c), "bounds": span(np.concatenate([col_lo, col_up, row_lo, row_up]))}
    warnings = []
    for name, (lo, hi) in ranges.items():
        if lo > 0 and hi / lo > 1e9:
            warnings.append(f"{name} values span {np.log10(hi / lo):.0f} orders of magnitude ({lo:.3g} … {hi:.3g}); results may carry rounding noise — check units (t vs kt, CNY vs 10k CNY)")
    if ranges["bounds"][1] > BIG_TONNES:
        warnings.append(f"tonnages up to {ranges['bounds'][1]:.3g} t per period: solved in kilotonnes internally")
    return ranges, warnings


def check_plan(lp: LinearProgram, x: np.ndarray, tol: float = 1e-6) -> list[str]:
    """Violations of bounds and constraints by more than ``tol`` (relative to the size of
    the bound or, for a row, of its terms summed, at least 1 t), in the model's own labels and naming the requirement broken
    (``requirements.py``). Empty when the plan is sound."""
    out = []
    for fam in lp.variables.values():
        v = x[fam.start : fam.start + fam.size]
        slack = tol * np.maximum(1.0, np.abs(np.where(np.isfinite(fam.upper), fam.upper, 0)))
        bad = np.flatnonzero((v < fam.lower - tol * np.maximum(1.0, np.abs(fam.lower))) | (v > fam.upper + slack))
        for i in bad[:5]:
            side = "lower" if v[i] < fam.lower[i] else "upper"
            out.append(f"{fam.name} {_label(fam.index, fam.keys, i)} = {v[i]:,.6g} outside [{fam.lower[i]:,.6g}, {fam.upper[i]:,.6g}]{_breaks(lp, fam.name, side, i)}")
        if fam.integrality != "continuous":
            for i in np.flatnonzero(np.abs(v - np.round(v)) > 1e-5)[:5]:
                out.append(f"{fam.name} {_label(fam.index, fam.keys, i)} = {v[i]:,.6g} is not a whole number")
    for con in lp.constraints.values():
        terms = con.coefs * x[con.cols]
        act = np.bincount(con.rows, weights=terms, minlength=con.size)
        # relative to the bound, or to the terms summed where they are larger: a blend row
        # (bound 0, coefficients in kcal/kg) adds terms of 10⁵ or more to reach about 0
        gross = np.bincount(con.rows, weights=np.abs(terms), minlength=con.size)
        scale = np.maximum(np.maximum(1.0, gross), np.abs(np.where(np.isfinite(con.upper), con.upper, np.where(np.isfinite(con.lower), con.lower, 0))))
        bad = np.flatnonzero((act < con.lower - tol * scale) | (act > con.upper + tol * scale))
        for i in bad[:5]:
            out.append(f"{con.name} {_label(con.index, con.keys, i)}: {act[i]:,.6g} outside [{con.lower[i]:,.6g}, {con.upper[i]:,.6g}]{_breaks(lp, con.name, 'row', i)}")
    return out


def _breaks(lp: LinearProgram, family: str, carrier: str, i: int) -> str:
    req = requirement_of(lp, family, carrier, i)
    return f" (breaks {req.name}: {req.meaning})" if req else ""


def _label(index, keys, i) -> str:
    return "[" + ", ".join(str(index[k].iloc[i]) for k in keys) + "]" if keys else ""


# --------------------------------------------------------------------------- warm changes
def _positions(index: pd.DataFrame, changes: pd.DataFrame, keys: list[str], cache: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(take, pos)``: for each row of ``changes`` (``take``, its position there) every
    position ``pos`` of its key in ``index``, in the order of ``changes``; keys the model does
    not have are an error (a new link or demand needs a rebuild). ``cache`` keeps the key
    look-up between calls, so that a re-solve loop does not pay a merge over the whole index
    per change."""
    lookup = _key_lookup(index, keys, cache)
    wanted = list(zip(*(changes[k].tolist() for k in keys)))
    found = [lookup.get(w) for w in wanted]
    missing = [w for w, f in zip(wanted, found) if f is None]
    if missing:
        raise KeyError(f"not in the built model (rebuild to add them): {[dict(zip(keys, w)) for w in missing[:5]]}")
    take = np.repeat(np.arange(len(wanted)), [len(f) for f in found])
    return take, (np.concatenate(found) if found else np.zeros(0, np.int64))


def _set_column(frame: pd.DataFrame, column: str, positions: np.ndarray, values: np.ndarray) -> None:
    """Write ``values`` at ``positions`` of one column of a label table (``iloc``: a third of
    ``loc``'s cost in a re-solve loop)."""
    frame.iloc[positions, frame.columns.get_loc(column)] = values


def _key_lookup(index: pd.DataFrame, keys: list[str], cache: dict | None) -> dict:
    """{key tuple: positions in ``index``}, from ``cache`` when it holds this very index."""
    held = cache.get(tuple(keys)) if cache is not None else None
    if held is not None and held[0] is index:
        return held[1]
    lookup = {(k if isinstance(k, tuple) else (k,)): v for k, v in index.groupby(keys, sort=False).indices.items()} if len(index) else {}
    if cache is not None:
        cache[tuple(keys)] = (index, lookup)
    return lookup


def _cache(engine, family: str) -> dict:
    """The engine's key look-ups for one family (kept on the engine, built on first use)."""
    caches = engine.__dict__.setdefault("_key_lookups", {})
    return caches.setdefault(family, {})


def change_link_capacity(engine, changes: pd.DataFrame) -> None:
    """Set new capacities (``link``, ``period`` from 0, ``capacity_t``) on a built model,
    for a warm re-solve: a column bound on one-product links, a row bound on shared ones."""
    lp = engine.lp
    flow = lp.variables["flow"]
    take, pos = _positions(flow.index, changes, ["link", "period"], _cache(engine, "flow"))
    new_t = changes["capacity_t"].to_numpy(float)[take]
    single = flow.index["n_products"].to_numpy()[pos] == 1
    if single.any():
        engine.set_variable_bounds("flow", pos[single], 0.0, new_t[single])
    if not single.all():
        every = _capacity_rows(engine)[pos[~single]]
        if (every < 0).any():
            shown = changes.iloc[take[~single][every < 0]][["link", "period"]].head(5).to_dict("records")
            raise KeyError(f"not in the built model (rebuild to add them): shared capacity rows for {shown}")
        rows, first = np.unique(every, return_index=True)
        engine.set_constraint_bounds("link_capacity", rows, -np.inf, new_t[~single][first])
        _set_column(lp.constraints["link_capacity"].index, "capacity_t", rows, new_t[~single][first])
    _set_column(flow.index, "capacity_t", pos, new_t)


def _capacity_rows(engine) -> np.ndarray:
    """For each flow variable, its ``link_capacity`` row (-1 where its link has none); kept
    on the engine while the LP's tables are the same objects."""
    lp = engine.lp
    flows, con = lp.variables["flow"].index, lp.constraints["link_capacity"].index
    held = _cache(engine, "flow").get("capacity_rows")
    if held is not None and held[0] is flows and held[1] is con:
        return held[2]
    rows = flows[["link", "period"]].merge(con[["link", "period"]].assign(_row=np.arange(len(con))), on=["link", "period"], how="left")["_row"]
    rows = rows.fillna(-1).to_numpy(np.int64)
    _cache(engine, "flow")["capacity_rows"] = (flows, con, rows)
    return rows


def change_demand(engine, changes: pd.DataFrame) -> None:
    """Set new demand (``node``, ``product``, ``period`` from 0, ``demand_t``) on a built
    model, for a warm re-solve: unmet's upper bound and the node balance right-hand side."""
    lp = engine.lp
    keys = ["node", "product", "period"]
    unmet = lp.variables["unmet"]
    take, pos = _positions(unmet.index, changes, keys, _cache(engine, "unmet"))
    old = unmet.index["demand_t"].to_numpy()[pos]
    new = changes["demand_t"].to_numpy(float)[take]
    engine.set_variable_bounds("unmet", pos, 0.0, new)
    balance = lp.constraints["node_balance"]
    _, rows = _positions(balance.index, unmet.index.iloc[pos][keys], keys, _cache(engine, "node_balance"))
    rhs = balance.upper[rows] + (new - old)
    engine.set_constraint_bounds("node_balance", rows, rhs, rhs)
    _set_column(unmet.index, "demand_t", pos, new)
