"""Turn a solution back into planner tables and KPIs, using the model's own labels.

Tables (one row per key; units in the column names):
  flows       link, product, period, from, to, mode, flow_t, capacity_t, utilisation,
              cost_cny, distance_km, tkm, co2_t, truck, clean (+ the data set's own link
              columns; links with flow only)
  production  mine, product, period, production_t, min_t, capacity_t, utilisation, cost_cny
  stocks      node, product, period, stock_t, capacity_t, safety_t, safety_shortfall_t,
              days_of_cover, cover_status, cover_red_days, cover_amber_days, went_short_t
              (the last three at demand centres: the lines of the centre's demand class, and
              the tonnes it went short in the period, which count against its cover)
  unmet       node, product, period, demand_t, delivered_t, unmet_t, penalty_cny_per_t
  prices      kind, id, product, period, price_cny_per_t — shadow prices of every priced
              requirement in requirements.py: binding link and storage capacities (CNY saved
              per extra tonne of capacity), the marginal cost of delivering one more tonne at
              each demand node and period, the mine truck-share cap, and any row an extension
              added (kind = its name, CNY per unit of that row). A capacity is
              listed only where one more tonne of it would lower the cost (price ≠ 0): a link
              or store that is full but whose extra tonne would save nothing (a degenerate
              bound: the plan would not use it) shows as utilisation 1 in flows.csv/stocks.csv.
  link_use    (not written; the terminal's busiest links) link, mode, flow_t and capacity_t
              summed over every period with a finite capacity, mean = flow_t ÷ capacity_t,
              peak utilisation and its period
  nodes       id, name, kind, region, lon, lat — the data set's nodes, so that a report
              (maps, groupings by kind and region) needs only the results folder
  end_stock   node, product, period, rule, target_t, end_stock_t, deficit_t,
              penalty_cny_per_t, deficit_cost_cny, price_cny_per_t — the end-of-horizon rule
              at every stock with a target: what the horizon must end with, what it ends with,
              and the deficit (its own figure, never unmet demand); price_cny_per_t is what one
              more tonne of target would cost
  quality     node, product, period, received_t, blend_kcal_per_kg, blend_sulphur_pct,
              min_kcal_per_kg, max_sulphur_pct, demand_unit — only for a data set with
              quality.csv: what each demand centre receives, blended, against its limits
              (results/quality.py)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from supplyopt.io.network import Network
from supplyopt.model.statement import COST_COMPONENTS, LinearProgram
from supplyopt.model.requirements import registry
from supplyopt.model.options import Options
from supplyopt.engines.solver import Solution
from supplyopt.results.quality import quality_table
from supplyopt.results.warning import early_warnings
from supplyopt.io.write import write_results

TOL = 1e-6  # tonnes: below this a flow or stock is reported as zero
PRICE_TOL = 1e-6  # CNY per t: below this a shadow price is solver noise, reported as zero


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
    link_use: pd.DataFrame | None = None  # not written; the terminal's busiest links
    nodes: pd.DataFrame | None = None  # id, name, kind, region, lon, lat (written as nodes.csv)
    reserves: pd.DataFrame | None = None  # reserves.csv: reserves called up / released (reserves.py)
    early_warnings: pd.DataFrame | None = None  # warnings.csv: planner alerts by severity and week (warning.py)
    end_stock: pd.DataFrame | None = None  # end_stock.csv: the end-of-horizon rule, target, reached and deficit by node
    quality: pd.DataFrame | None = None  # quality.csv: blend received by demand centres (quality.py); None without quality.csv

    def __post_init__(self):
        if self.nodes is None:
            self.nodes = pd.DataFrame(columns=list(NODE_COLUMNS))

    def inputs(self) -> dict:
        """The data set read, what was read as meant rather than as written, the assumptions
        that decide the answer (foresight, end of horizon) and the extension hook: summary.json's
        ``dataset``, ``input_warnings``, ``assumptions`` and ``extension``, for a workflow's own
        summary."""
        out = {k: self.summary[k] for k in ("dataset", "input_warnings") if k in self.summary}
        if "foresight" in self.summary:
            out["assumptions"] = {"foresight": self.summary["foresight"]["mode"], "end_of_horizon": self.summary["end_of_horizon"]["rule"]}
        if "extension" in self.summary:
            out["extension"] = self.summary["extension"]
        return out

    def write(self, out_dir: str | Path) -> Path:
        """Write summary.json, the CSV tables and run.log into ``out_dir``, atomically."""

        return write_results(out_dir, self, self.summary, self.log + [f"writing {out_dir}"])


NODE_COLUMNS = ("id", "name", "kind", "region", "lon", "lat")


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

    nodes = net.nodes.reindex(columns=list(NODE_COLUMNS)).sort_values("id", kind="stable").reset_index(drop=True)
    return Plan(kpis, flows, production, stocks, unmet, prices, link_use=_link_use(lp, sol, labels), nodes=nodes,
                early_warnings=early_warnings(net, opt, unmet, stocks), quality=quality_table(net, lp, sol))


@dataclass
class Outcome:
    """What a screening case needs of a solve, without the full plan tables: ``summary``
    (``status``, ``objective``, ``unmet_t``, ``co2_t``, ``end_deficit_t``, as in summary.json), ``unmet`` (as
    unmet.csv) and the capacity ``prices`` (link and storage, as prices.csv)."""

    summary: dict
    unmet: pd.DataFrame
    prices: pd.DataFrame


def outcome(net: Network, lp: LinearProgram, sol: Solution) -> Outcome:
    """The figures of :func:`build_plan` a screen ranks by, computed the same way (a test
    holds them equal to a full plan's) at a fraction of the cost."""
    labels = pd.Series(net.periods)
    unmet = _unmet(lp, sol, labels)
    flow = lp.variables["flow"]
    flow_t = values(lp, sol, "flow")
    co2 = float((flow_t * flow.index["co2_t_per_t"].to_numpy())[flow_t > TOL].sum())
    prices = _prices(lp, sol, labels, kinds=("link_capacity", "storage_capacity"))
    objective = float(sum(_cost_parts(lp, sol).values()))
    end_deficit = float(values(lp, sol, "end_shortfall").sum()) if "end_shortfall" in lp.variables else 0.0
    return Outcome({"status": sol.status, "objective": objective, "unmet_t": float(unmet["unmet_t"].sum()), "co2_t": co2, "end_deficit_t": end_deficit}, unmet, prices)


def _cost_parts(lp: LinearProgram, sol: Solution) -> dict:
    """CNY of every named cost part of the plan."""
    return {name: float(np.dot(coefs, sol.x[cols])) for name, (cols, coefs) in lp.costs.items()}


def _label(frame: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Period positions as labels (−1, for a requirement over the whole horizon, as blank)."""
    frame = frame.copy()
    if not len(frame):
        frame["period"] = frame["period"].astype(str)
        return frame
    period = frame["period"].to_numpy(np.int64)
    frame["period"] = np.where(period >= 0, labels.to_numpy()[np.maximum(period, 0)], "")
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
        "distance_km": fi["distance_km"].to_numpy(float),
        "tkm": flow_t * fi["distance_km"].to_numpy(),
        "co2_t": flow_t * fi["co2_t_per_t"].to_numpy(),
        "truck": fi["truck"].to_numpy(bool),
        "clean": fi["clean"].to_numpy(bool),
    })
    standard = {"link", "product", "period", "from", "to", "mode", "capacity_t", "cost_cny_per_t", "distance_km", "efficiency",
                "n_products", "truck", "clean", "co2_kg_per_tkm", "truck_tkm_per_t", "co2_t_per_t", "from_code", "to_code", "train_t",
                "paths_per_day", "trainsets", "cycle_days"}
    for col in [c for c in fi.columns if c not in standard]:  # the data set's own link columns (corridor …)
        out[col] = fi[col].to_numpy()
    return _label(out[out["flow_t"] > TOL], labels).reset_index(drop=True)


def _link_use(lp: LinearProgram, sol: Solution, labels: pd.Series) -> pd.DataFrame:
    """How full each link is over the horizon: tonnes entering (all products) and capacity
    summed over every period in which the link has a finite capacity — weeks without flow
    count, so a link full in 12 of 13 weeks is 92 % used — plus the peak week."""
    fi = lp.variables["flow"].index
    keys = ["link", "mode"] + (["corridor"] if "corridor" in fi else [])
    per = fi[keys + ["period", "capacity_t"]].assign(flow_t=values(lp, sol, "flow"))
    week = per.groupby(keys + ["period"], sort=True).agg(flow_t=("flow_t", "sum"), capacity_t=("capacity_t", "first")).reset_index()
    week = week[np.isfinite(week["capacity_t"])]
    week["peak"] = np.where(week["capacity_t"] > 0, week["flow_t"] / week["capacity_t"].where(week["capacity_t"] > 0, 1.0), np.nan)
    link = week.groupby(keys, sort=True).agg(flow_t=("flow_t", "sum"), capacity_t=("capacity_t", "sum"), peak=("peak", "max")).reset_index()
    link = link[link["capacity_t"] > 0].reset_index(drop=True)
    link["mean"] = link["flow_t"] / link["capacity_t"]
    top = week.sort_values(["peak", "period"], ascending=[False, True], kind="stable").drop_duplicates("link").set_index("link")["period"]
    link["period"] = labels.to_numpy()[link["link"].map(top).to_numpy(int)] if len(link) else pd.Series(dtype=str)
    return link


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


def _stocks(net: Network, opt: Options, lp: LinearProgram, sol: Solution, labels: pd.Series, flows: pd.DataFrame, unmet: pd.DataFrame | None = None) -> pd.DataFrame:
    """End-of-period stock with days of cover.

    At a demand centre, cover counts what the centre has and receives against its demand:
    (stock at the end of the period − tonnes it went short in the period) ÷ daily need, the
    daily need being the next period's demand (the same period's in the last one). A centre
    short in a week has negative cover that week — it is red, whatever its stock did before.
    Its status follows the profile's lines for its demand class (``cover_days_by_class``:
    red below the first, amber below the second; ``cover_red_days`` / ``cover_amber_days``
    for a class not listed). Elsewhere (ports, reserve bases, hubs) cover is stock ÷ the
    node's average daily departures, shown but not flagged: the official lines are for
    consumers' yards, and those stocks are watched through their safety stock."""
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
    keys = ["node", "product", "period"]
    dem = net.demand[keys + ["demand_t"]]
    nxt = dem.assign(period=dem["period"] - 1)
    last = dem[dem["period"] == T - 1]
    need = pd.concat([nxt[nxt["period"] >= 0], last]).rename(columns={"demand_t": "need_t"})
    out = out.merge(need, on=keys, how="left")
    centre = out.merge(dem[keys].drop_duplicates().assign(_centre=True), on=keys, how="left")["_centre"].fillna(False).to_numpy(bool)
    u = lp.variables["unmet"]
    went_short = u.index[keys].assign(short_t=values(lp, sol, "unmet"))
    out["short_t"] = out[keys].merge(went_short, on=keys, how="left")["short_t"].fillna(0.0).to_numpy()
    classes = net.demand.drop_duplicates(["node", "product"]).set_index(["node", "product"])["demand_class"] if "demand_class" in net.demand else None
    departures = flows.groupby([flows["from"].rename("node"), flows["product"]])["flow_t"].sum() / T
    out = out.merge(departures.rename("avg_out_t").reset_index(), on=["node", "product"], how="left")
    daily = np.where(centre, out["need_t"], out["avg_out_t"]) / net.period_days
    held = np.where(centre, out["stock_t"] - out["short_t"], out["stock_t"])
    with np.errstate(invalid="ignore", divide="ignore"):
        out["days_of_cover"] = np.where(daily > TOL, held / np.where(daily > TOL, daily, 1.0), np.nan)
    # the red and amber lines of each row's demand class, looked up once per class, not per row
    cls = (out.set_index(["node", "product"]).index.map(classes) if classes is not None else pd.Index([None] * len(out))).fillna("").astype(str)
    by_class = {c: opt.cover_days(c or None) for c in cls.unique()}
    lines = np.array([by_class[c] for c in cls], float).reshape(-1, 2)
    d = out["days_of_cover"].to_numpy()
    status = np.select([(out["short_t"] > 0.5).to_numpy() | (d < lines[:, 0]), d < lines[:, 1]], ["red", "amber"], "ok")
    out["cover_status"] = np.where(centre & ~np.isnan(d), status, np.where(centre & (out["short_t"] > 0.5).to_numpy(), "red", ""))
    out["cover_red_days"] = np.where(centre, lines[:, 0], np.nan)
    out["cover_amber_days"] = np.where(centre, lines[:, 1], np.nan)
    out["went_short_t"] = np.where(centre, out["short_t"], np.nan)
    out = out.drop(columns=["need_t", "avg_out_t", "short_t"])
    return _label(out, labels)


def _prices(lp: LinearProgram, sol: Solution, labels: pd.Series, kinds: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Shadow prices (CNY per t, or per unit of an extension's row) of every priced
    requirement in ``requirements.registry``: binding capacities (CNY saved per extra tonne),
    the delivered cost of one more tonne at each demand node and period, and every constraint
    an extension added (under its own name). HiGHS duals are ∂cost/∂bound, so a binding upper
    bound has a dual ≤ 0 and one more unit of it saves −dual. None for a MIP (no duals).
    ``kinds``: only these price kinds (all when None)."""
    columns = ["kind", "id", "product", "period", "price_cny_per_t"]
    if np.isnan(sol.col_dual).all() and np.isnan(sol.row_dual).all():
        return pd.DataFrame(columns=columns)
    priced = [req for req in registry(lp) if req.price and (kinds is None or req.price in kinds)]
    # each requirement gives columns as arrays and one frame is made of them all: a screen
    # prices every case, and a frame per requirement cost more than the prices themselves
    parts = [part for req in priced for part in [_requirement_prices(lp, sol, req)] if part is not None and len(part["price_cny_per_t"])]
    if not parts:
        return pd.DataFrame(columns=columns)
    cols = {c: np.concatenate([part[c] for part in parts]) for c in columns}
    price = np.where(np.abs(cols["price_cny_per_t"]) < 1e-9, 0.0, cols["price_cny_per_t"])
    # a full capacity whose extra tonne saves nothing is degenerate, not binding: left out
    keep = (cols["kind"] == "delivery") | (price != 0)
    cols["price_cny_per_t"] = price
    return _label(pd.DataFrame({c: v[keep] for c, v in cols.items()}), labels)


def _requirement_prices(lp: LinearProgram, sol: Solution, req) -> dict | None:
    """One requirement's prices as columns (arrays of equal length): reduced costs of its
    binding bounds, or duals of its rows."""
    mask = req.mask(lp)
    if req.carrier == "row":
        fam = lp.constraints.get(req.family)
        if fam is None or not fam.size:
            return None
        value = np.bincount(fam.rows, weights=fam.coefs * sol.x[fam.cols], minlength=fam.size)
        dual = sol.row_dual[fam.start : fam.start + fam.size]
    else:
        fam = lp.variables.get(req.family)
        if fam is None or not fam.size:
            return None
        value = sol.x[fam.start : fam.start + fam.size]
        dual = sol.col_dual[fam.start : fam.start + fam.size]
    if req.price_where is not None:
        mask = mask & np.asarray(req.price_where(lp, fam), bool)
    at_upper = _at(value, fam.upper)
    at_lower = _at(value, fam.lower)
    if req.binding_only:
        side = {"upper": at_upper, "lower": at_lower}.get(req.carrier, at_upper | at_lower)
        mask = mask & side
    # a binding lower side of a row (≥) is loosened by lowering it: that saves +dual
    price = np.where((req.carrier == "row") & at_lower & ~at_upper, dual, req.sign * dual) if req.sign < 0 else req.sign * dual
    # columns taken by position, not the whole index masked: a screen prices every case, and
    # the flow family's index is wide (every link column), so masking it all cost most of the time
    if req.price != "delivery":  # _prices leaves out the zero prices of all but deliveries: skip them here
        mask = mask & (np.abs(price) >= 1e-9)
    pos = np.flatnonzero(mask)
    idx = fam.index
    n = len(pos)
    ids = idx[req.price_id].to_numpy()[pos] if req.price_id in idx else (_key_text(idx.iloc[pos], fam.keys).to_numpy() if fam.keys else np.full(n, ""))
    return {
        "kind": np.full(n, req.price, dtype=object), "id": np.asarray(ids, dtype=object),
        "product": idx["product"].to_numpy(dtype=object)[pos] if "product" in idx else np.full(n, "", dtype=object),
        "period": idx["period"].to_numpy(np.int64)[pos] if "period" in idx else np.full(n, -1, np.int64),
        "price_cny_per_t": np.asarray(price[pos], float),
    }


def _at(value: np.ndarray, bound: np.ndarray) -> np.ndarray:
    finite = np.isfinite(bound)
    b = np.where(finite, bound, 0.0)
    return finite & (np.abs(value - b) <= TOL * np.maximum(1.0, np.abs(b)))


def _key_text(idx: pd.DataFrame, keys: list[str]) -> pd.Series:
    """An extension row's key as one id (its keys other than product and period)."""
    rest = [k for k in keys if k not in ("product", "period")]
    if not rest or idx.empty:  # agg over no rows gives a frame, not a column
        return pd.Series("", index=idx.index, dtype=object)
    return idx[rest].astype(str).agg("/".join, axis=1)


def _share(part: float, whole: float) -> float | None:
    return None if whole <= TOL else part / whole


def _kpis(net, lp, sol, flows, production, unmet, stocks) -> dict:
    costs = _cost_parts(lp, sol)
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
        "end_deficit_t": float(values(lp, sol, "end_shortfall").sum()) if "end_shortfall" in lp.variables else 0.0,
    }


# --------------------------------------------------------------------------- end of a weekly window
WINDOW_END = "end"  # cover_status of a weekly window's last week: its stock is the end rule's, not judged on cover


def window_end_cover(plan: Plan, net: Network, opt: Options) -> Plan:
    """A weekly run's plan (``schedule``, each run of ``roll``) with the cover of its window's
    last week not judged as a shortage risk.

    The stock a window ends with is set by the end-of-horizon rule (``end_stock``: initial,
    safety, free — and its soft deficit), and the daily need that week's cover is divided by is
    that same week's demand, since the week after lies outside the window. A plan that draws a
    yard down to its safety stock or to zero there is obeying the rule, not running short: the
    next weekly run plans the weeks after. So at demand centres the last week's
    ``cover_status`` is ``end`` (days of cover still shown), and red only where the centre
    went short in that week (its unmet demand, a real shortfall). The early warnings are
    rebuilt from those statuses: no cover warning for the last week; its safety shortfall
    stays an amber ``safety`` warning and the end-stock deficit its own figure (end_stock.csv).
    Every earlier week keeps the usual rule (results ``_stocks``)."""
    stocks = plan.stocks.copy()
    last = (stocks["period"] == net.periods[-1]).to_numpy()
    judged = stocks["cover_status"].isin(["red", "amber", "ok"]).to_numpy()
    went_short = (stocks["went_short_t"].fillna(0.0) > 0.5).to_numpy()
    stocks["cover_status"] = np.where(last & judged & ~went_short, WINDOW_END, stocks["cover_status"])
    return replace(plan, stocks=stocks, early_warnings=early_warnings(net, opt, plan.unmet, stocks))


# --------------------------------------------------------------------------- end of horizon
END_COLUMNS = ["node", "product", "period", "rule", "target_t", "end_stock_t", "deficit_t", "penalty_cny_per_t", "deficit_cost_cny", "price_cny_per_t"]


def end_stock_table(net: Network, opt: Options, lp: LinearProgram, sol: Solution) -> pd.DataFrame:
    """The end-of-horizon rule at every stock with a target above 0 (columns ``END_COLUMNS``):
    the target, the stock reached, the deficit (soft rule: t below the target, at the penalty;
    hard rule: 0, the target is a bound) and the shadow price of one more tonne of target."""
    stock = lp.variables["stock"]
    si = stock.index
    if "end_target_t" not in si:
        return pd.DataFrame(columns=END_COLUMNS)
    at = np.flatnonzero(si["end_target_t"].to_numpy(float) > 0)
    x = values(lp, sol, "stock")[at]
    out = si.iloc[at][["node", "product", "period", "end_target_t"]].rename(columns={"end_target_t": "target_t"}).reset_index(drop=True)
    out["end_stock_t"] = x
    soft = opt.end_stock_penalty_cny_per_t is not None
    out["rule"] = f"{opt.end_stock} ({'soft' if soft else 'hard'})"
    out["deficit_t"] = 0.0
    out["price_cny_per_t"] = np.nan
    keys = ["node", "product", "period"]
    if soft and "end_shortfall" in lp.variables and lp.variables["end_shortfall"].size:
        fam = lp.variables["end_shortfall"]
        short = fam.index[keys].assign(deficit_t=values(lp, sol, "end_shortfall"))
        con = lp.constraints.get("end_stock_target")
        if con is not None and con.size:
            short["price_cny_per_t"] = sol.row_dual[con.start : con.start + con.size]
        out = out.drop(columns=["deficit_t", "price_cny_per_t"]).merge(short, on=keys, how="left").fillna({"deficit_t": 0.0})
    elif not soft:
        out["price_cny_per_t"] = sol.col_dual[stock.start + at]
    out["penalty_cny_per_t"] = opt.end_stock_penalty_cny_per_t if soft else np.nan
    out["deficit_cost_cny"] = out["deficit_t"] * (opt.end_stock_penalty_cny_per_t or 0.0)
    out["price_cny_per_t"] = np.where(np.abs(out["price_cny_per_t"]) < PRICE_TOL, 0.0, out["price_cny_per_t"])
    out = _label(out[END_COLUMNS], pd.Series(net.periods))
    return out.sort_values(["deficit_t", "node", "product"], ascending=[False, True, True], kind="stable").reset_index(drop=True)


def end_of_horizon(opt: Options, table: pd.DataFrame) -> dict:
    """summary.json's ``end_of_horizon``: the rule in force and its totals (t, CNY)."""
    return {
        "rule": opt.end_rule_words,
        "end_stock": opt.end_stock,
        "enforcement": "hard" if opt.end_stock_penalty_cny_per_t is None else "soft",
        "penalty_cny_per_t": opt.end_stock_penalty_cny_per_t,
        "target_t": float(table["target_t"].sum()) if len(table) else 0.0,
        "end_stock_t": float(table["end_stock_t"].sum()) if len(table) else 0.0,
        "deficit_t": float(table["deficit_t"].sum()) if len(table) else 0.0,
        "deficit_cost_cny": float(table["deficit_cost_cny"].sum()) if len(table) else 0.0,
        "nodes_below_target": sorted(set(table.loc[table["deficit_t"] > 0.5, "node"])) if len(table) else [],
        "note": "the end rule's deficit is its own figure, never counted as unmet demand",
    }


def end_rule_warnings(net: Network, opt: Options, lp: LinearProgram, sol: Solution) -> list[str]:
    """Where the end rule, not the event, may decide the answer: a soft penalty at or above a
    demand's unmet penalty (rebuilding stock would be worth leaving that demand short), or a
    hard target whose shadow price reaches the unmet penalty while demand goes short."""
    unmet = lp.variables["unmet"]
    if not unmet.size:
        return []
    lowest = float(unmet.index["penalty_cny_per_t"].min())
    short_t = float(values(lp, sol, "unmet").sum())
    pen = opt.end_stock_penalty_cny_per_t
    if pen is not None:
        if pen >= lowest and "end_shortfall" in lp.variables and lp.variables["end_shortfall"].size:
            return [f"end_stock_penalty_cny_per_t ({pen:,.0f} CNY/t) is not below the lowest unmet penalty in the data ({lowest:,.0f} CNY/t): "
                    "the plan may leave that demand short to rebuild end stock; set it lower (docs/emergency.md, End of horizon)"]
        return []
    stock = lp.variables["stock"]
    si = stock.index
    if "end_target_t" not in si or short_t <= 0.5 or np.isnan(sol.col_dual).all():
        return []
    at = np.flatnonzero(si["end_target_t"].to_numpy(float) > 0)
    price = sol.col_dual[stock.start + at]
    holding = at[price >= lowest - 1e-6]
    if not len(holding):
        return []
    nodes = ", ".join(sorted(set(si["node"].iloc[holding]))[:5])
    return [f"the hard end-of-horizon rule ({opt.end_stock}) is worth at least the unmet penalty ({lowest:,.0f} CNY/t) at {len(holding)} stock(s) ({nodes}) while "
            f"{short_t:,.0f} t of demand goes short: some of that shortfall is coal held back to meet the end rule, not the event's doing. A soft end rule "
            "(end_stock_penalty_cny_per_t) reports it as end-stock deficit instead (end_stock.csv)"]
