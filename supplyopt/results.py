"""Turn a solution back into planner tables and KPIs, using the model's own labels.

Tables (one row per key; units in the column names):
  flows       link, product, period, from, to, mode, flow_t, capacity_t, utilisation,
              cost_cny, tkm, co2_t (+ the data set's own link columns; links with flow only)
  production  mine, product, period, production_t, min_t, capacity_t, utilisation, cost_cny
  stocks      node, product, period, stock_t, capacity_t, safety_t, safety_shortfall_t,
              days_of_cover, cover_status
  unmet       node, product, period, demand_t, delivered_t, unmet_t, penalty_cny_per_t
  prices      kind, id, product, period, price_cny_per_t — shadow prices of binding link and
              storage capacities (CNY saved per extra tonne of capacity) and the marginal cost
              of delivering one more tonne at each demand node and period
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .data import Network
from .model import COST_COMPONENTS, LinearProgram
from .options import Options
from .solve import Solution

TOL = 1e-6  # tonnes: below this a flow or stock is reported as zero


@dataclass
class Plan:
    """A solved plan: the tables (DataFrames, units in column names), the headline figures
    (``kpis``), and — when it came from :func:`supplyopt.solve` — ``summary`` (the content of
    summary.json), the run ``log`` lines and the solver's ``warnings``."""

    kpis: dict
    flows: pd.DataFrame
    production: pd.DataFrame
    stocks: pd.DataFrame
    unmet: pd.DataFrame
    prices: pd.DataFrame
    summary: dict = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reserves: pd.DataFrame | None = None  # reserves.csv: reserves called up / released (reserves.py)
    early_warnings: pd.DataFrame | None = None  # warnings.csv: planner alerts by severity and week (warning.py)

    def write(self, out_dir: str | Path) -> Path:
        """Write summary.json, the CSV tables and run.log into ``out_dir``, atomically."""
        from .report import write_results

        return write_results(out_dir, self, self.summary, self.log + [f"writing {out_dir}"])


def values(lp: LinearProgram, sol: Solution, family: str) -> np.ndarray:
    """Primal values of one variable family (tonnes), tiny solver noise set to zero."""
    fam = lp.variables[family]
    x = sol.x[fam.start : fam.start + fam.size]
    return np.where(np.abs(x) < 1e-9, 0.0, x)


def build_plan(net: Network, opt: Options, lp: LinearProgram, sol: Solution) -> Plan:
    labels = pd.Series(net.periods)
    flows = _flows(lp, sol, labels)
    production = _production(lp, sol, labels)
    unmet = _unmet(lp, sol, labels)
    stocks = _stocks(net, opt, lp, sol, labels, flows)
    prices = _prices(lp, sol, labels)
    kpis = _kpis(net, lp, sol, flows, production, unmet, stocks)
    from .warning import early_warnings

    return Plan(kpis, flows, production, stocks, unmet, prices, early_warnings=early_warnings(net, opt, unmet, stocks))


def _label(frame: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    frame = frame.copy()
    frame["period"] = labels.to_numpy()[frame["period"].to_numpy()] if len(frame) else frame["period"].astype(str)
    return frame


def _flows(lp: LinearProgram, sol: Solution, labels: pd.Series) -> pd.DataFrame:
    fam = lp.variables["flow"]
    fi = fam.index
    flow_t = values(lp, sol, "flow")
    # utilisation counts all products on a link; most links carry one, so sum only the rest
    link_total = flow_t.copy()
    shared = (fi["n_products"] > 1).to_numpy()
    if shared.any():
        link_total[shared] = pd.Series(flow_t[shared]).groupby([fi["link"][shared].to_numpy(), fi["period"][shared].to_numpy()]).transform("sum").to_numpy()
    cap = fi["capacity_t"].to_numpy()
    out = pd.DataFrame({
        "link": fi["link"], "product": fi["product"], "period": fi["period"],
        "from": fi["from"], "to": fi["to"], "mode": fi["mode"],
        "flow_t": flow_t,
        "capacity_t": np.where(np.isfinite(cap), cap, np.nan),
        "utilisation": np.where(np.isfinite(cap) & (cap > 0), link_total / np.where(cap > 0, cap, 1), np.nan),
        "cost_cny": flow_t * fi["cost_cny_per_t"].to_numpy(),
        "tkm": flow_t * fi["distance_km"].to_numpy(),
        "co2_t": flow_t * fi["co2_t_per_t"].to_numpy(),
    })
    standard = {"link", "product", "period", "from", "to", "mode", "capacity_t", "cost_cny_per_t", "distance_km", "efficiency",
                "n_products", "truck", "clean", "co2_kg_per_tkm", "truck_tkm_per_t", "co2_t_per_t", "from_code", "to_code"}
    for col in [c for c in fi.columns if c not in standard]:  # the data set's own link columns (corridor …)
        out[col] = fi[col].to_numpy()
    return _label(out[out["flow_t"] > TOL], labels).reset_index(drop=True)


def _flow_flags(net: Network, flows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Truck and clean flags of each reported flow, from its mode."""
    modes = net.modes.set_index("mode")
    return flows["mode"].map(modes["truck"]).astype(bool).to_numpy(), flows["mode"].map(modes["clean"]).astype(bool).to_numpy()


def _production(lp: LinearProgram, sol: Solution, labels: pd.Series) -> pd.DataFrame:
    fam = lp.variables["production"]
    pi = fam.index
    made = values(lp, sol, "production")
    cap = pi["capacity_t"].to_numpy()
    out = pd.DataFrame({
        "mine": pi["mine"], "product": pi["product"], "period": pi["period"],
        "production_t": made, "min_t": pi["min_t"],
        "capacity_t": np.where(np.isfinite(cap), cap, np.nan),
        "utilisation": np.where(np.isfinite(cap) & (cap > 0), made / np.where(cap > 0, cap, 1), np.nan),
        "cost_cny": made * pi["cost_cny_per_t"].to_numpy(),
    })
    return _label(out, labels)


def _unmet(lp: LinearProgram, sol: Solution, labels: pd.Series) -> pd.DataFrame:
    fam = lp.variables["unmet"]
    di = fam.index
    short = values(lp, sol, "unmet")
    extra = [c for c in di.columns if c not in ("node", "product", "period", "demand_t", "penalty_cny_per_t")]
    out = pd.DataFrame({
        "node": di["node"], "product": di["product"], "period": di["period"],
        "demand_t": di["demand_t"], "delivered_t": di["demand_t"].to_numpy() - short, "unmet_t": short,
        "penalty_cny_per_t": di["penalty_cny_per_t"],
    })
    for c in extra:
        out[c] = di[c].to_numpy()
    return _label(out, labels)


def _stocks(net: Network, opt: Options, lp: LinearProgram, sol: Solution, labels: pd.Series, flows: pd.DataFrame) -> pd.DataFrame:
    """End-of-period stock with days of cover: stock ÷ daily need, where the daily need at a
    demand centre is the next period's demand (the same period's in the last one) and
    elsewhere the node's average daily departures over the horizon."""
    fam = lp.variables["stock"]
    si = fam.index
    stock_t = values(lp, sol, "stock")
    out = pd.DataFrame({
        "node": si["node"], "product": si["product"], "period": si["period"], "stock_t": stock_t,
        "capacity_t": si["capacity_t"].where(np.isfinite(si["capacity_t"].fillna(np.inf))),
        "safety_t": si["safety_t"],
    })
    sf = lp.variables["safety_shortfall"]
    short = pd.DataFrame({"node": sf.index["node"], "product": sf.index["product"], "period": sf.index["period"], "safety_shortfall_t": values(lp, sol, "safety_shortfall")})
    out = out.merge(short, on=["node", "product", "period"], how="left").fillna({"safety_shortfall_t": 0.0})

    T = net.n_periods
    dem = net.demand[["node", "product", "period", "demand_t"]]
    nxt = dem.assign(period=dem["period"] - 1)
    last = dem[dem["period"] == T - 1]
    need = pd.concat([nxt[nxt["period"] >= 0], last]).rename(columns={"demand_t": "need_t"})
    out = out.merge(need, on=["node", "product", "period"], how="left")
    departures = flows.groupby([flows["from"].rename("node"), flows["product"]])["flow_t"].sum() / T
    out = out.merge(departures.rename("avg_out_t").reset_index(), on=["node", "product"], how="left")
    daily = out["need_t"].where(out["need_t"].notna(), out["avg_out_t"]) / net.period_days
    out["days_of_cover"] = np.where(daily > TOL, out["stock_t"] / daily.where(daily > TOL, 1.0), np.nan)
    status = np.select([out["days_of_cover"] < opt.cover_red_days, out["days_of_cover"] < opt.cover_amber_days], ["red", "amber"], "ok")
    out["cover_status"] = np.where(out["days_of_cover"].isna(), "", status)
    out = out.drop(columns=["need_t", "avg_out_t"])
    return _label(out, labels)


def _prices(lp: LinearProgram, sol: Solution, labels: pd.Series) -> pd.DataFrame:
    """Shadow prices (CNY per t). HiGHS duals are ∂cost/∂bound, so a binding upper bound has
    a dual ≤ 0: one more tonne of capacity saves −dual."""
    parts = []
    if np.isnan(sol.col_dual).all():
        return pd.DataFrame(columns=["kind", "id", "product", "period", "price_cny_per_t"])
    for family, kind, key in (("flow", "link_capacity", "link"), ("stock", "storage_capacity", "node")):
        fam = lp.variables[family]
        x = sol.x[fam.start : fam.start + fam.size]
        ub = fam.upper
        finite = np.isfinite(ub)
        binding = finite & (x >= np.where(finite, ub, 0.0) - TOL * np.maximum(1.0, np.abs(np.where(finite, ub, 0.0)))) & (fam.index["n_products"].to_numpy() == 1)
        rc = sol.col_dual[fam.start : fam.start + fam.size]
        idx = fam.index[binding]
        parts.append(pd.DataFrame({"kind": kind, "id": idx[key], "product": idx["product"], "period": idx["period"], "price_cny_per_t": -rc[binding]}))
    for family, kind, key in (("link_capacity", "link_capacity", "link"), ("storage_capacity", "storage_capacity", "node")):
        con = lp.constraints[family]
        if not con.size:
            continue
        rows, cols, coefs = con.rows, con.cols, con.coefs
        activity = np.bincount(rows, weights=coefs * sol.x[cols], minlength=con.size)
        binding = activity >= con.upper - TOL * np.maximum(1.0, np.abs(con.upper))
        dual = sol.row_dual[con.start : con.start + con.size]
        idx = con.index[binding]
        parts.append(pd.DataFrame({"kind": kind, "id": idx[key], "product": "", "period": idx["period"], "price_cny_per_t": -dual[binding]}))
    bal = lp.constraints["node_balance"]
    demand = lp.variables["unmet"].index[["node", "product", "period"]]
    pos = demand.merge(bal.index.assign(_pos=np.arange(bal.size)), on=["node", "product", "period"], how="left")["_pos"].to_numpy()
    parts.append(pd.DataFrame({"kind": "delivery", "id": demand["node"], "product": demand["product"], "period": demand["period"], "price_cny_per_t": sol.row_dual[bal.start + pos]}))
    out = pd.concat(parts, ignore_index=True)
    out["price_cny_per_t"] = np.where(np.abs(out["price_cny_per_t"]) < 1e-9, 0.0, out["price_cny_per_t"])
    return _label(out, labels)


def _share(part: float, whole: float) -> float | None:
    return None if whole <= TOL else part / whole


def _kpis(net, lp, sol, flows, production, unmet, stocks) -> dict:
    costs = {name: float(np.dot(coefs, sol.x[cols])) for name, (cols, coefs) in lp.costs.items()}
    # the standard parts always (0 when absent), then any part an extension added
    costs = {**{name: costs.get(name, 0.0) for name in COST_COMPONENTS}, **costs}
    tkm = float(flows["tkm"].sum())
    truck, clean = _flow_flags(net, flows)
    truck_tkm = float(flows.loc[truck, "tkm"].sum())
    clean_tkm = float(flows.loc[clean, "tkm"].sum())
    from_mine = flows["from"].isin(net.supply["node"].unique()).to_numpy()
    made = float(production["production_t"].sum())
    return {
        "objective": float(sum(costs.values())),
        "costs": costs,
        "demand_t": float(unmet["demand_t"].sum()),
        "delivered_t": float(unmet["delivered_t"].sum()),
        "unmet_t": float(unmet["unmet_t"].sum()),
        "production_t": made,
        "tkm": tkm,
        "truck_share_tkm": _share(truck_tkm, tkm),
        "clean_share_tkm": _share(clean_tkm, tkm),
        "mine_truck_share": _share(float(flows.loc[from_mine & truck, "flow_t"].sum()), made),
        "co2_t": float(flows["co2_t"].sum()),
        "end_stock_t": float(stocks.loc[stocks["period"] == net.periods[-1], "stock_t"].sum()) if len(stocks) else 0.0,
        "safety_shortfall_t": float(stocks["safety_shortfall_t"].sum()) if len(stocks) else 0.0,
    }
