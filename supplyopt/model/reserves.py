"""Emergency reserves: capacity-reserve mines and reserve stock, used only when a scenario
calls them up (docs/data-format.md "Reserves", docs/scenarios.md).

Capacity-reserve mines (supply.csv ``reserve_t``, ``callup_cny_per_t``, ``lead_weeks``): a
mine may produce up to ``reserve_t`` t per period above its capacity, but only in periods a
scenario's ``call_reserve`` edit names (``set`` = share of the reserve called, 0–1), and not
before ``lead_weeks`` periods after the first period it is called in. Each reserve tonne
costs the mine's ``cost_cny_per_t`` plus ``callup_cny_per_t``:

  0 ≤ reserve_output[mine, product, period] ≤ reserve_t × called share × (period ≥ first call + lead)

Reserve stock (storage.csv ``reserve`` = true, ``release_cny_per_t``): the safety stock of a
reserve is hard — the plan may not go below it — unless a scenario's ``release_reserve``
edit releases it in that period; then every tonne below the safety level at the end of a
released period costs ``release_cny_per_t`` (instead of the profile's safety penalty):

  safety_shortfall[reserve node, product, period] ≤ safety_t if released, else 0

Both are added to the LP by :func:`reserve_families` (an extension the Study always runs;
it adds nothing to a data set without these columns), and reported by :func:`reserve_table`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

FAMILY = "reserve_output"
TABLE_COLUMNS = ["kind", "node", "product", "period", "tonnes_t", "limit_t", "cost_cny"]


def _reserve_mines(net) -> pd.DataFrame:
    s = net.supply
    if "reserve_t" not in s:
        return s.iloc[0:0]
    return s[s["reserve_t"].fillna(0.0) > 0].reset_index(drop=True)


def available_t(net) -> pd.DataFrame:
    """Per reserve-mine row and period: ``limit_t`` = reserve_t × called share where the call
    is in force after the lead time, else 0."""
    rows = _reserve_mines(net).copy()
    called = rows["reserve_called"].fillna(0.0).clip(0.0, 1.0) if "reserve_called" in rows else pd.Series(0.0, index=rows.index)
    lead = rows["lead_weeks"].fillna(0.0).map(math.ceil) if "lead_weeks" in rows else pd.Series(0, index=rows.index)
    first = rows["period"].where(called > 0).groupby([rows["node"], rows["product"]]).transform("min")
    ready = (called > 0) & (rows["period"] >= first + lead)
    rows["limit_t"] = np.where(ready, rows["reserve_t"] * called, 0.0)
    return rows


def reserve_families(lp, net, opt) -> None:
    """Layer: capacity-reserve output (variables joined to node_balance) and reserve
    stock (safety shortfall bounds and cost). No-op without reserve columns."""
    _capacity_reserve(lp, net)
    _stock_reserve(lp, net, opt)


def _capacity_reserve(lp, net) -> None:
    rows = available_t(net)
    if rows.empty:
        return
    index = rows[["node", "product", "period", "limit_t", "cost_cny_per_t"]].rename(columns={"node": "mine"})
    index["callup_cny_per_t"] = rows["callup_cny_per_t"].fillna(0.0).to_numpy() if "callup_cny_per_t" in rows else 0.0
    fam = lp.add_variables(FAMILY, "tonnes a capacity-reserve mine produces above its capacity when called up", ["mine", "product", "period"], index, 0.0, index["limit_t"])
    bal = lp.constraints["node_balance"]
    keys = ["node", "product", "period"]
    pos = index.rename(columns={"mine": "node"})[keys].merge(bal.index[keys].assign(_pos=np.arange(bal.size)), on=keys, how="left")["_pos"].to_numpy()
    bal.rows = np.concatenate([bal.rows, pos.astype(np.int64)])
    bal.cols = np.concatenate([bal.cols, fam.cols])
    bal.coefs = np.concatenate([bal.coefs, np.ones(fam.size)])
    lp.add_cost("reserve_production", fam.cols, index["cost_cny_per_t"])
    lp.add_cost("reserve_callup", fam.cols, index["callup_cny_per_t"])


def _reserve_stock(net, sf) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each safety_shortfall column: is it a reserve stock, its release cost (CNY/t),
    and is it released in that period."""
    st = net.storage
    if "reserve" not in st or not st["reserve"].fillna(False).astype(bool).any():
        return np.zeros(sf.size, bool), np.zeros(sf.size), np.zeros(sf.size, bool)
    res = st[st["reserve"].fillna(False).astype(bool)][["node", "product"]]
    res = res.assign(release_cny_per_t=st.loc[res.index, "release_cny_per_t"].fillna(0.0).to_numpy() if "release_cny_per_t" in st else 0.0)
    idx = sf.index[["node", "product", "period"]].merge(res, on=["node", "product"], how="left")
    is_res = idx["release_cny_per_t"].notna().to_numpy()
    sp = net.storage_periods
    rel = np.zeros(sf.size)
    if "reserve_released" in sp:
        released = sp.set_index(["node", "product", "period"])["reserve_released"]
        rel = np.nan_to_num(idx.set_index(["node", "product", "period"]).index.map(released).to_numpy(float))
    return is_res, idx["release_cny_per_t"].fillna(0.0).to_numpy(), rel > 0


def _stock_reserve(lp, net, opt) -> None:
    sf = lp.variables["safety_shortfall"]
    is_res, price, rel = _reserve_stock(net, sf)
    if not is_res.any():
        return
    sf.upper[is_res] = np.where(rel[is_res], sf.index["safety_t"].to_numpy()[is_res], 0.0)
    cols, coefs = lp.costs["safety_penalty"]
    keep = ~np.isin(cols, sf.cols[is_res])
    lp.costs["safety_penalty"] = (cols[keep], coefs[keep])
    lp.add_cost("reserve_release", sf.cols[is_res], price[is_res])


def reserve_table(net, lp, sol) -> pd.DataFrame:
    """What the plan calls up, where and when: capacity reserve produced and reserve stock
    drawn below safety (t), with their limits and costs (CNY); periods as labels. Only
    rows with a positive amount."""
    parts = []
    labels = np.asarray(net.periods)
    if FAMILY in lp.variables:
        fam = lp.variables[FAMILY]
        x = sol.x[fam.start : fam.start + fam.size]
        i = fam.index
        parts.append(pd.DataFrame({"kind": "capacity_reserve", "node": i["mine"], "product": i["product"], "period": labels[i["period"].to_numpy()],
                                   "tonnes_t": x, "limit_t": i["limit_t"], "cost_cny": x * (i["cost_cny_per_t"] + i["callup_cny_per_t"]).to_numpy()}))
    sf = lp.variables["safety_shortfall"]
    is_res, price, _ = _reserve_stock(net, sf)
    if is_res.any():
        i = sf.index[is_res]
        x = sol.x[sf.cols[is_res]]
        parts.append(pd.DataFrame({"kind": "reserve_stock", "node": i["node"].to_numpy(), "product": i["product"].to_numpy(), "period": labels[i["period"].to_numpy()],
                                   "tonnes_t": x, "limit_t": sf.upper[is_res], "cost_cny": x * price[is_res]}))
    if not parts:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    return out[out["tonnes_t"] > 1e-6][TABLE_COLUMNS].reset_index(drop=True)
