"""Two independent builders of the same LP, for the benchmark's side-by-side figures.

- ``raw_highspy``: numpy arrays straight from the CSV files into ``Highs.passModel`` — the
  floor for modelling overhead. Written from the model's definition (docs/data-format.md),
  not from supplyopt's code, in supplyopt's column and row order, so that the two LPs can be
  compared array by array and HiGHS runs the very same problem.
- ``linopy_model``: the same LP in linopy 0.10 (vectorised, xarray-based), handed to HiGHS
  with ``Model.to_highspy`` (linopy's direct interface).

Both cover what the synthetic generator writes: one product, period rows for demand and
link capacity, storage with initial/safety stock, default options (soft safety stock at
500 CNY/t, end stock ≥ initial, no truck penalty, carbon price or caps).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

SAFETY_PENALTY = 500.0


def _tables(folder: Path):
    meta = yaml.safe_load((folder / "network.yaml").read_text())
    T = len(meta["periods"])
    label = {p: i for i, p in enumerate(meta["periods"])}
    read = lambda n: pd.read_csv(folder / f"{n}.csv", keep_default_na=True, dtype={"period": str, "id": str, "node": str})  # noqa: E731
    return meta, T, label, read("nodes"), read("supply"), read("links"), read("demand"), read("storage")


def _by_period(df: pd.DataFrame, key: list[str], T: int, label: dict) -> pd.DataFrame:
    """Period-less rows apply to every period; a period row replaces them (blank cells inherit)."""
    if "period" not in df:
        df = df.assign(period="")
    has = df["period"].notna() & (df["period"] != "")
    base, over = df[~has].drop(columns="period"), df[has].copy()
    over["period"] = over["period"].map(lambda p: label.get(p, int(p) - 1 if str(p).isdigit() else None)).astype(int)
    full = base.merge(pd.DataFrame({"period": range(T)}), how="cross")
    over = over.merge(base, on=key, how="left", suffixes=("", "_b"))
    for c in base.columns.difference(key):
        over[c] = over[c].fillna(over[f"{c}_b"])
    out = pd.concat([over[full.columns], full]).drop_duplicates(key + ["period"])
    return out.sort_values(key + ["period"]).reset_index(drop=True)


def lp_arrays(folder: Path) -> dict:
    """The LP as arrays: c, col_lower, col_upper, row_lower, row_upper, and COO triplets."""
    meta, T, label, nodes, supply, links, demand, storage = _tables(folder)
    node_code = {n: i for i, n in enumerate(nodes["id"])}
    sup = _by_period(supply, ["node"], T, label)
    lk = _by_period(links, ["id"], T, label)
    lk["capacity_t"] = lk["capacity_t"].fillna(np.inf)
    dem = _by_period(demand, ["node"], T, label)
    sto = _by_period(storage.drop(columns=["product"]), ["node"], T, label)
    sf = sto[sto["safety_t"] > 0]
    blocks = [("production", len(sup)), ("flow", len(lk)), ("stock", len(sto)), ("unmet", len(dem)), ("shortfall", len(sf))]
    start, n = {}, 0
    for name, size in blocks:
        start[name], n = n, n + size
    col = lambda name, k: start[name] + np.arange(k)  # noqa: E731
    c = np.concatenate([sup["cost_cny_per_t"], lk["cost_cny_per_t"], sto["holding_cny_per_t"], dem["penalty_cny_per_t"], np.full(len(sf), SAFETY_PENALTY)])
    last = sto["period"] == T - 1
    lo = np.concatenate([sup["min_t"].fillna(0), np.zeros(len(lk)), np.where(last, sto["initial_t"], 0), np.zeros(len(dem)), np.zeros(len(sf))])
    up = np.concatenate([sup["capacity_t"].fillna(np.inf), lk["capacity_t"], sto["capacity_t"].fillna(np.inf), dem["demand_t"], sf["safety_t"]])

    code = lambda node, t: pd.Series(node).map(node_code).to_numpy() * T + np.asarray(t)  # noqa: E731
    eff = lk["efficiency"].fillna(1.0).to_numpy() if "efficiency" in lk else np.ones(len(lk))
    carried = (sto["period"] < T - 1).to_numpy()
    terms = [
        (code(sup["node"], sup["period"]), col("production", len(sup)), np.ones(len(sup))),
        (code(lk["from"], lk["period"]), col("flow", len(lk)), -np.ones(len(lk))),
        (code(lk["to"], lk["period"]), col("flow", len(lk)), eff),
        (code(sto["node"], sto["period"]), col("stock", len(sto)), -np.ones(len(sto))),
        (code(sto["node"][carried], sto["period"][carried] + 1), col("stock", len(sto))[carried], np.ones(carried.sum())),
        (code(dem["node"], dem["period"]), col("unmet", len(dem)), np.ones(len(dem))),
    ]
    keys = np.concatenate([t[0] for t in terms])
    row_codes, rows = np.unique(keys, return_inverse=True)
    rhs = np.zeros(len(row_codes))
    np.add.at(rhs, np.searchsorted(row_codes, code(dem["node"], dem["period"])), dem["demand_t"].to_numpy())
    first = sto[sto["period"] == 0]
    np.add.at(rhs, np.searchsorted(row_codes, code(first["node"], first["period"])), -first["initial_t"].to_numpy())
    nb = len(row_codes)
    stock_pos = sto.reset_index().merge(sf[["node", "period"]], on=["node", "period"])["index"].to_numpy()
    r = np.concatenate([rows, nb + np.arange(len(sf)), nb + np.arange(len(sf))])
    k = np.concatenate([np.concatenate([t[1] for t in terms]), start["stock"] + stock_pos, col("shortfall", len(sf))])
    v = np.concatenate([np.concatenate([t[2] for t in terms]), np.ones(2 * len(sf))])
    row_lo = np.concatenate([rhs, sf["safety_t"].to_numpy()])
    row_up = np.concatenate([rhs, np.full(len(sf), np.inf)])
    return {"c": c.astype(float), "col_lower": lo.astype(float), "col_upper": up.astype(float), "row_lower": row_lo, "row_upper": row_up,
            "rows": r, "cols": k, "vals": v, "n_cols": n, "n_rows": len(row_lo), "blocks": blocks, "balance_rows": nb}


def raw_highspy(arrays: dict, options: dict):
    """A Highs object holding the LP (column-wise, entries sorted by column then row)."""
    import highspy

    h = highspy.Highs()
    for key, value in options.items():
        h.setOptionValue(key, value)
    order = np.lexsort((arrays["rows"], arrays["cols"]))
    starts = np.searchsorted(arrays["cols"][order], np.arange(arrays["n_cols"])).astype(np.int32)
    h.passModel(arrays["n_cols"], arrays["n_rows"], len(order), 1, 1, 0.0, arrays["c"], arrays["col_lower"], arrays["col_upper"],
                arrays["row_lower"], arrays["row_upper"], starts, arrays["rows"][order].astype(np.int32), arrays["vals"][order], np.zeros(arrays["n_cols"], np.int32))
    return h


def linopy_model(arrays: dict):
    """The same LP in linopy: one variable per block, node balances by a vectorised
    group-sum of each block's terms (the idiomatic linopy way for a sparse network)."""
    import linopy
    import xarray as xr

    m = linopy.Model()
    lo, up = arrays["col_lower"], arrays["col_upper"]
    start = 0
    variables = []
    for name, size in arrays["blocks"]:
        sl = slice(start, start + size)
        variables.append(m.add_variables(lower=xr.DataArray(lo[sl], dims=f"{name}_i"), upper=xr.DataArray(up[sl], dims=f"{name}_i"), name=name))
        start += size
    bounds = np.cumsum([0] + [s for _, s in arrays["blocks"]])
    block_of = np.searchsorted(bounds, arrays["cols"], side="right") - 1
    nb = arrays["balance_rows"]
    lhs = []
    for b, var in enumerate(variables):
        for kind in ("balance", "safety"):
            sel = (block_of == b) & ((arrays["rows"] < nb) if kind == "balance" else (arrays["rows"] >= nb))
            if not sel.any():
                continue
            local = arrays["cols"][sel] - bounds[b]
            dim = var.dims[0]
            term = var.isel({dim: xr.DataArray(local, dims="term")}) * xr.DataArray(arrays["vals"][sel], dims="term")
            group = xr.DataArray(arrays["rows"][sel], dims="term", name="row")
            lhs.append(term.groupby(group).sum())
    expr = linopy.merge(lhs, dim="_term", join="outer") if len(lhs) > 1 else lhs[0]
    rows = expr.coords["row"].values
    rhs_lo = xr.DataArray(arrays["row_lower"][rows], coords={"row": rows})
    eq = rows < nb
    m.add_constraints(expr.sel(row=rows[eq]) == rhs_lo.sel(row=rows[eq]), name="node_balance")
    m.add_constraints(expr.sel(row=rows[~eq]) >= rhs_lo.sel(row=rows[~eq]), name="safety_stock")
    m.add_objective(sum(linopy.LinearExpression((var * xr.DataArray(arrays["c"][bounds[b]:bounds[b + 1]], dims=var.dims[0])).data, m).sum() for b, var in enumerate(variables)))
    return m
