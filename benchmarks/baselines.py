"""Two independent builders of the same LP, for the benchmark's side-by-side figures.

- ``raw_highspy``: numpy arrays straight from the CSV files into ``Highs.passModel`` — the
  floor for modelling overhead. Written from the model's definition (docs/data-format.md),
  not from supplyopt's code, in supplyopt's column and row order, so that the two LPs can be
  compared array by array and HiGHS runs the very same problem.
- ``linopy_model``: the same LP in linopy 0.10 (vectorised, xarray-based), handed to HiGHS
  with ``Model.to_highspy`` (linopy's direct interface).

Both cover what the synthetic generator writes (both families): products allowed per link,
shared link and storage capacity, link efficiency, period rows for supply, demand and link
capacity, storage with initial/safety stock, soft safety stock, end stock ≥ initial, and from
the profile the truck penalty and the mine truck-share cap (no carbon price).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

SAFETY_PENALTY = 500.0


END_PENALTY = 1_000.0  # CNY per t below the end target: supplyopt's default (options.py)


def _profile(path: Path | None) -> dict:
    """The few profile values this LP uses (defaults: pure cost minimisation)."""
    raw = yaml.safe_load(Path(path).read_text()) if path else {}
    return {"safety": float(raw.get("safety_penalty_cny_per_t", SAFETY_PENALTY)), "unmet": float(raw.get("unmet_penalty_cny_per_t", 10_000.0)),
            "truck_tkm": float(raw.get("truck_penalty_cny_per_tkm", 0.0)), "mine_truck_share": raw.get("max_mine_truck_share"),
            # the end-of-horizon target (initial stock): soft at this penalty, or hard (None)
            "end_penalty": None if raw.get("end_stock_penalty_cny_per_t", END_PENALTY) in (None, "hard") else float(raw.get("end_stock_penalty_cny_per_t", END_PENALTY))}


def _tables(folder: Path):
    meta = yaml.safe_load((folder / "network.yaml").read_text())
    T = len(meta["periods"])
    label = {p: i for i, p in enumerate(meta["periods"])}
    read = lambda n: pd.read_csv(folder / f"{n}.csv", keep_default_na=True, dtype={"period": str, "id": str, "node": str, "products": str})  # noqa: E731
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


def lp_arrays(folder: Path, profile: Path | None = None) -> dict:
    """The LP as arrays: c, col_lower, col_upper, row_lower, row_upper, and COO triplets.

    Columns: production, flow (link, product, period), stock, unmet, safety shortfall.
    Rows: node balances, shared link capacity, shared storage capacity, safety stock, and the
    mine truck-share cap when the profile sets one. A capacity used by one product is a
    column bound; shared by several, a row."""
    meta, T, label, nodes, supply, links, demand, storage = _tables(folder)
    prof = _profile(profile)
    products = list(meta.get("products") or sorted(set(supply["product"]) | set(demand["product"])))
    P = len(products)
    node_code = {n: i for i, n in enumerate(nodes["id"])}
    prod_code = {p: i for i, p in enumerate(products)}
    sup = _by_period(supply, ["node", "product"], T, label)
    for col in ("products", "efficiency"):
        if col not in links:
            links[col] = np.nan
    lk = _by_period(links, ["id"], T, label)
    allowed = lk["products"].map(lambda cell: sorted(p.strip() for p in str(cell).split(";")) if isinstance(cell, str) and cell.strip() else sorted(products))
    lk = lk.assign(product=allowed, n_products=allowed.map(len)).explode("product").sort_values(["id", "product", "period"], kind="stable").reset_index(drop=True)
    lk["capacity_t"] = lk["capacity_t"].fillna(np.inf)
    dem = _by_period(demand, ["node", "product"], T, label)
    sto = _by_period(storage, ["node", "product"], T, label)
    sto["n_products"] = sto.groupby(["node", "period"])["product"].transform("size")
    sto["capacity_t"] = sto["capacity_t"].fillna(np.inf)
    sf = sto[sto["safety_t"] > 0]
    last = sto["period"] == T - 1
    soft_end = prof["end_penalty"] is not None
    target = np.where(last, sto["initial_t"].fillna(0), 0.0)
    es = sto[(target > 0) & soft_end]  # soft end target: stock + end shortfall ≥ initial in the last period
    blocks = [("production", len(sup)), ("flow", len(lk)), ("stock", len(sto)), ("unmet", len(dem)), ("shortfall", len(sf)), ("end_shortfall", len(es))]
    start, n = {}, 0
    for name, size in blocks:
        start[name], n = n, n + size
    col = lambda name, k: start[name] + np.arange(k)  # noqa: E731
    truck = (lk["mode"] == "truck").to_numpy()  # built-in modes; the generator writes no modes.csv
    c = np.concatenate([sup["cost_cny_per_t"], lk["cost_cny_per_t"] + prof["truck_tkm"] * np.where(truck, lk["distance_km"], 0.0), sto["holding_cny_per_t"],
                        dem["penalty_cny_per_t"].fillna(prof["unmet"]), np.full(len(sf), prof["safety"]), np.full(len(es), prof["end_penalty"] or 0.0)])
    lo = np.concatenate([sup["min_t"].fillna(0), np.zeros(len(lk)), 0.0 * target if soft_end else target, np.zeros(len(dem)), np.zeros(len(sf)), np.zeros(len(es))])
    up = np.concatenate([sup["capacity_t"].fillna(np.inf), np.where(lk["n_products"] == 1, lk["capacity_t"], np.inf),
                         np.where(sto["n_products"] == 1, sto["capacity_t"], np.inf), dem["demand_t"], sf["safety_t"], es["initial_t"]])

    code = lambda node, product, t: (pd.Series(node).map(node_code).to_numpy() * P + pd.Series(product).map(prod_code).to_numpy()) * T + np.asarray(t)  # noqa: E731
    eff = lk["efficiency"].astype(float).fillna(1.0).to_numpy()
    carried = (sto["period"] < T - 1).to_numpy()
    terms = [
        (code(sup["node"], sup["product"], sup["period"]), col("production", len(sup)), np.ones(len(sup))),
        (code(lk["from"], lk["product"], lk["period"]), col("flow", len(lk)), -np.ones(len(lk))),
        (code(lk["to"], lk["product"], lk["period"]), col("flow", len(lk)), eff),
        (code(sto["node"], sto["product"], sto["period"]), col("stock", len(sto)), -np.ones(len(sto))),
        (code(sto["node"][carried], sto["product"][carried], sto["period"][carried] + 1), col("stock", len(sto))[carried], np.ones(carried.sum())),
        (code(dem["node"], dem["product"], dem["period"]), col("unmet", len(dem)), np.ones(len(dem))),
    ]
    keys = np.concatenate([t[0] for t in terms])
    row_codes, rows = np.unique(keys, return_inverse=True)
    rhs = np.zeros(len(row_codes))
    np.add.at(rhs, np.searchsorted(row_codes, code(dem["node"], dem["product"], dem["period"])), dem["demand_t"].to_numpy())
    first = sto[sto["period"] == 0]
    np.add.at(rhs, np.searchsorted(row_codes, code(first["node"], first["product"], first["period"])), -first["initial_t"].fillna(0).to_numpy())
    r_parts, k_parts, v_parts, lo_parts, up_parts = [rows], [np.concatenate([t[1] for t in terms])], [np.concatenate([t[2] for t in terms])], [rhs], [rhs]
    nrow = len(row_codes)

    def shared(frame, key, first_col):
        """One row per (key, period) over the products sharing a finite capacity."""
        nonlocal nrow
        sel = ((frame["n_products"] > 1) & np.isfinite(frame["capacity_t"])).to_numpy()
        pairs = frame.loc[sel, [key, "period"]]
        uniq, inv = np.unique(pairs[key].astype(str).to_numpy() + "|" + pairs["period"].map("{:06d}".format).to_numpy(), return_inverse=True)
        cap = np.zeros(len(uniq))
        cap[inv] = frame.loc[sel, "capacity_t"].to_numpy()
        r_parts.append(nrow + inv); k_parts.append(first_col + np.flatnonzero(sel)); v_parts.append(np.ones(sel.sum()))
        lo_parts.append(np.full(len(uniq), -np.inf)); up_parts.append(cap)
        nrow += len(uniq)

    shared(lk, "id", start["flow"])
    shared(sto, "node", start["stock"])
    stock_pos = sto.reset_index().merge(sf[["node", "product", "period"]], on=["node", "product", "period"])["index"].to_numpy()
    r_parts += [nrow + np.arange(len(sf)), nrow + np.arange(len(sf))]
    k_parts += [start["stock"] + stock_pos, col("shortfall", len(sf))]
    v_parts += [np.ones(len(sf)), np.ones(len(sf))]
    lo_parts.append(sf["safety_t"].to_numpy()); up_parts.append(np.full(len(sf), np.inf))
    nrow += len(sf)
    end_pos = np.flatnonzero((target > 0) & soft_end)
    r_parts += [nrow + np.arange(len(es)), nrow + np.arange(len(es))]
    k_parts += [start["stock"] + end_pos, col("end_shortfall", len(es))]
    v_parts += [np.ones(len(es)), np.ones(len(es))]
    lo_parts.append(es["initial_t"].to_numpy(float)); up_parts.append(np.full(len(es), np.inf))
    nrow += len(es)
    if prof["mine_truck_share"] is not None:  # truck tonnes leaving mines ≤ share × all output, over the horizon
        from_mine = truck & lk["from"].isin(set(sup["node"])).to_numpy()
        r_parts.append(np.full(from_mine.sum() + len(sup), nrow)); k_parts += [start["flow"] + np.flatnonzero(from_mine), col("production", len(sup))]
        v_parts += [np.ones(from_mine.sum()), np.full(len(sup), -float(prof["mine_truck_share"]))]
        lo_parts.append(np.array([-np.inf])); up_parts.append(np.array([0.0]))
        nrow += 1
    row_lo, row_up = np.concatenate(lo_parts), np.concatenate(up_parts)
    return {"c": c.astype(float), "col_lower": lo.astype(float), "col_upper": up.astype(float), "row_lower": row_lo, "row_upper": row_up,
            "rows": np.concatenate(r_parts), "cols": np.concatenate(k_parts), "vals": np.concatenate(v_parts), "n_cols": n, "n_rows": len(row_lo),
            "blocks": blocks, "balance_rows": len(row_codes)}


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
    """The same LP in linopy: one variable per block, rows by a vectorised group-sum of each
    block's terms (the idiomatic linopy way for a sparse network), grouped by sense."""
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
    # a group-sum pads every row to the longest one: rows with many terms (the horizon-wide
    # truck-share cap) are summed on their own instead of widening all rows to their length
    long_rows = np.flatnonzero(np.bincount(arrays["rows"], minlength=arrays["n_rows"]) > 200)
    in_long = np.isin(arrays["rows"], long_rows)
    for r in long_rows:
        parts = []
        for b, var in enumerate(variables):
            sel = (arrays["rows"] == r) & (block_of == b)
            if sel.any():
                local = xr.DataArray(arrays["cols"][sel] - bounds[b], dims="term")
                parts.append((var.isel({var.dims[0]: local}) * xr.DataArray(arrays["vals"][sel], dims="term")).sum())
        row_expr = linopy.merge(parts) if len(parts) > 1 else parts[0]
        lo_r, up_r = arrays["row_lower"][r], arrays["row_upper"][r]
        m.add_constraints(row_expr == lo_r if lo_r == up_r else (row_expr >= lo_r if np.isfinite(lo_r) else row_expr <= up_r), name=f"row_{r}")
    lhs = []
    for b, var in enumerate(variables):
        sel = (block_of == b) & ~in_long
        if not sel.any():
            continue
        local = arrays["cols"][sel] - bounds[b]
        dim = var.dims[0]
        term = var.isel({dim: xr.DataArray(local, dims="term")}) * xr.DataArray(arrays["vals"][sel], dims="term")
        group = xr.DataArray(arrays["rows"][sel], dims="term", name="row")
        lhs.append(term.groupby(group).sum())
    expr = linopy.merge(lhs, dim="_term", join="outer") if len(lhs) > 1 else lhs[0]
    rows = expr.coords["row"].values
    row_lo, row_up = arrays["row_lower"][rows], arrays["row_upper"][rows]
    eq, ge = row_lo == row_up, (row_lo != row_up) & np.isfinite(row_lo)
    le = ~eq & ~ge
    for name, mask, sense, rhs in (("equal", eq, "==", row_lo), ("at_least", ge, ">=", row_lo), ("at_most", le, "<=", row_up)):
        if mask.any():
            side = xr.DataArray(rhs[mask], coords={"row": rows[mask]})
            part = expr.sel(row=rows[mask])
            m.add_constraints(part == side if sense == "==" else (part >= side if sense == ">=" else part <= side), name=name)
    m.add_objective(sum(linopy.LinearExpression((var * xr.DataArray(arrays["c"][bounds[b]:bounds[b + 1]], dims=var.dims[0])).data, m).sum() for b, var in enumerate(variables)))
    return m
