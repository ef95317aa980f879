"""Actuals in: what really moved last week, against last week's committed plan.

``supplyopt schedule … --previous LASTWEEK --actuals receipts.csv`` reads one row per link and
product of last week's committed week (what entered the link, and optionally what arrived),
reconciles it with the committed rows of LASTWEEK's shipments.csv, and derives this week's
opening stocks from it:

    derived[node, product] = planned end-of-week stock (LASTWEEK's stock_trajectory.csv)
                           + (actual received − planned received into the node)
                           − (actual shipped − planned shipped out of the node)

never below 0. A stock counted in ``--snapshot`` wins over the derived one (a count is a
measurement; the derivation carries every weighing and booking error of the week), and the
difference counted − derived is reported as unexplained gain or loss (stock_reconciliation.csv).

Tables (units in the column names):
  reconciliation.csv        link, from, to, mode, product, week, planned_t, actual_t,
                            difference_t, difference_pct, status, planned_received_t,
                            received_t, received_difference_t
  stock_reconciliation.csv  node, product, planned_t, received_difference_t,
                            shipped_difference_t, derived_t, counted_t, unexplained_t,
                            opening_t, opening_from
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from supplyopt.io.data import DEFAULT_PRODUCT, Column, DataError, Problem, read_side_table, to_number
from supplyopt.io.network import Network
from supplyopt.io.runlog import sha256_file
from supplyopt.io.validate import did_you_mean
from supplyopt.model.statement import receipts

ACTUALS_COLUMNS = ("link", "product", "week", "shipped_t", "received_t")
AS_PLANNED_T = 1.0  # a shipment within max(1 t, 0.5 % of the plan) is "as planned": the plan is in whole
AS_PLANNED_SHARE = 0.005  # tonnes, and a weighbridge reads a 4,000-t train to about ±0.5 %
STATUSES = ("as planned", "short", "over", "not shipped", "unplanned")
SHOWN = 5  # deviations and nodes listed in summary.json and on the terminal


# --------------------------------------------------------------------------- last week's plan
@dataclass
class LastWeek:
    """The committed week of the previous run, as planned: its shipments (link, product,
    from, to, mode, planned_t: shipments.csv's whole tonnes) and its end-of-week stocks
    (node, product, planned_t: stock_trajectory.csv's stock_t)."""

    week: str
    shipments: pd.DataFrame
    stocks: pd.DataFrame
    hashes: dict[str, str | None]


def read_last_week(folder: str | Path, week: str) -> LastWeek:
    """shipments.csv and stock_trajectory.csv of a previous ``schedule`` results folder,
    cut to ``week`` (the week it committed). DataError where either is missing or unreadable."""
    folder = Path(folder)
    need = ("shipments.csv", "stock_trajectory.csv")
    missing = [Problem(str(folder), f"missing {name}; --actuals reconciles against the committed week of --previous's shipments.csv and starts from its stock_trajectory.csv") for name in need if not (folder / name).is_file()]
    if missing:
        raise DataError(missing)
    try:
        ships = pd.read_csv(folder / "shipments.csv", dtype={"link": str, "product": str, "week": str, "origin": str, "destination": str, "mode": str})
        traj = pd.read_csv(folder / "stock_trajectory.csv", dtype={"node": str, "product": str, "week": str})
        ships = ships[ships["week"] == week]
        planned = ships.groupby(["link", "product"], as_index=False, sort=True).agg(
            **{"from": ("origin", "first"), "to": ("destination", "first"), "mode": ("mode", "first"), "planned_t": ("shipment_t", "sum")})
        stocks = traj.loc[traj["week"] == week, ["node", "product", "stock_t"]].rename(columns={"stock_t": "planned_t"}).reset_index(drop=True)
    except (ValueError, KeyError) as err:
        raise DataError([Problem(str(folder), f"shipments.csv or stock_trajectory.csv cannot be read ({type(err).__name__}: {err}); expected the tables of a supplyopt schedule run")]) from None
    return LastWeek(week, planned[planned["planned_t"] > 0].reset_index(drop=True), stocks, {f"previous/{n}": sha256_file(folder / n) for n in need})


# --------------------------------------------------------------------------- receipts.csv
@dataclass
class Actuals:
    """What moved in ``week``: link, product, shipped_t, received_t (NaN: shipped × efficiency)."""

    path: str
    week: str
    rows: pd.DataFrame
    sha256: str | None
    warnings: list[Problem] = field(default_factory=list)


def read_actuals(path: str | Path, net: Network, week: str) -> Actuals:
    """Read and check receipts.csv (link, product, week, shipped_t, received_t) against the
    data set's links and last week's committed ``week``.

    Errors (DataError, exit 2; all found at once): missing file or column (link, week,
    shipped_t), no data rows, a link not in links.csv (with a did-you-mean), a product not in
    the data set or not allowed on the link, the same link and product twice (case and spaces
    ignored), a week other than ``week``, shipped_t blank, not a number or negative,
    received_t not a number or negative. Warning: received_t above shipped_t.
    """
    label, rows, problems = read_side_table(path, "receipts", ACTUALS_COLUMNS, ("link", "week", "shipped_t"), "receipts need link, product, week, shipped_t (received_t optional)",
                                            f"nothing reported: the file has a header but no data rows; expected one row per link and product that moved in {week}")
    rows["product"] = rows["product"].where(rows["product"] != "", DEFAULT_PRODUCT)
    for row in rows.loc[rows["shipped_t"] == "", "row"]:
        problems.append(Problem(label, "blank; expected the tonnes that entered the link (a number ≥ 0; 0 if nothing moved)", row=int(row), column="shipped_t"))
    rows["shipped_t"] = to_number(rows["shipped_t"], rows["row"], label, Column("shipped_t", "number"), problems)
    rows["received_t"] = to_number(rows["received_t"], rows["row"], label, Column("received_t", "number"), problems)
    problems += _actuals_keys(rows, net, label) + _actuals_weeks(rows, week, label) + _actuals_duplicates(rows, label)
    over = rows["received_t"] > rows["shipped_t"] + AS_PLANNED_T
    for row, got, sent in zip(rows.loc[over, "row"], rows.loc[over, "received_t"], rows.loc[over, "shipped_t"]):
        problems.append(Problem(label, f"more arrived than entered the link ({sent:,.0f} t); check the weighing", row=int(row), column="received_t", value=got, severity="warning"))
    problems.sort(key=lambda p: (p.row is None, p.row or 0))
    if any(p.severity == "error" for p in problems):
        raise DataError(problems)
    return Actuals(str(path), week, rows.drop(columns=["row", "week"]).reset_index(drop=True), sha256_file(path), problems)


def _actuals_keys(rows: pd.DataFrame, net: Network, label: str) -> list[Problem]:
    out = []
    links = net.links.set_index("id")
    products = set(net.products)
    for row, link, product in zip(rows["row"], rows["link"], rows["product"]):
        if link not in links.index:
            out.append(Problem(label, f"unknown link{did_you_mean(link, set(links.index))}; expected a link id from links.csv", row=int(row), column="link", value=link))
        elif product not in products:
            out.append(Problem(label, f"unknown product{did_you_mean(product, products)}; expected one of {', '.join(sorted(products))} (blank: {DEFAULT_PRODUCT})", row=int(row), column="product", value=product))
        elif links.at[link, "products"] and product not in links.at[link, "products"]:
            out.append(Problem(label, f"link {link} does not carry {product} (links.csv products: {', '.join(links.at[link, 'products'])})", row=int(row), column="product", value=product))
    return out


def _actuals_weeks(rows: pd.DataFrame, week: str, label: str) -> list[Problem]:
    return [Problem(label, f"expected {week}, the week --previous committed (receipts report last week's committed shipments)", row=int(row), column="week", value=w)
            for row, w in zip(rows["row"], rows["week"]) if w != week]


def _actuals_duplicates(rows: pd.DataFrame, label: str) -> list[Problem]:
    """One error per row that repeats an earlier row's link and product (case and spaces ignored)."""
    key = rows["link"].map(_loose) + "\x00" + rows["product"].map(_loose)
    first = {}
    out = []
    for row, k, link, product in zip(rows["row"], key, rows["link"], rows["product"]):
        if k in first:
            out.append(Problem(label, f"duplicate row for {link}/{product}: row {first[k]} already reports it; expected one row per link and product", row=int(row), column="link", value=link))
        else:
            first[k] = int(row)
    return out


def _loose(text: str) -> str:
    return re.sub(r"\s+", "", str(text)).casefold()


# --------------------------------------------------------------------------- reconciliation
def reconcile(actuals: Actuals, last: LastWeek, net: Network) -> tuple[pd.DataFrame, list[str]]:
    """reconciliation.csv: every link and product planned or reported in the week, planned
    against shipped, and the tonnes arriving against those planned to arrive. A planned
    shipment without a receipts row counts as not shipped (a warning lists them).

    status: ``as planned`` where |actual − planned| ≤ max(1 t, 0.5 % of planned); ``not
    shipped`` where planned > 0 and nothing moved; ``short`` / ``over`` beyond the tolerance;
    ``unplanned`` where nothing was planned. Received: received_t, else shipped × efficiency.
    """
    links = net.links.set_index("id")
    reported = actuals.rows[["link", "product", "shipped_t", "received_t"]]
    both = last.shipments[["link", "product", "planned_t"]].merge(reported, on=["link", "product"], how="outer", indicator=True)
    warnings = []
    absent = both[both["_merge"] == "left_only"]
    if len(absent):
        shown = ", ".join(f"{a}/{b}" for a, b in zip(absent["link"].head(SHOWN), absent["product"].head(SHOWN)))
        warnings.append(f"{actuals.path}: {len(absent)} planned shipment(s) of {last.week} have no row, read as not shipped: {shown}" + (" …" if len(absent) > SHOWN else ""))
    both = both.drop(columns="_merge")
    both["planned_t"] = both["planned_t"].fillna(0.0)
    both["shipped_t"] = both["shipped_t"].fillna(0.0)
    both = both[(both["planned_t"] > 0) | (both["shipped_t"] > 0)]
    efficiency = both["link"].map(links["efficiency"]).fillna(1.0).astype(float)
    out = pd.DataFrame({
        "link": both["link"], "from": both["link"].map(links["from"]), "to": both["link"].map(links["to"]), "mode": both["link"].map(links["mode"]),
        "product": both["product"], "week": last.week, "planned_t": both["planned_t"], "actual_t": both["shipped_t"],
    })
    out["difference_t"] = out["actual_t"] - out["planned_t"]
    out["difference_pct"] = np.where(out["planned_t"] > 0, 100 * out["difference_t"] / out["planned_t"].where(out["planned_t"] > 0), np.nan)
    out["status"] = shipment_status(out["planned_t"].to_numpy(float), out["actual_t"].to_numpy(float))
    out["planned_received_t"] = out["planned_t"] * efficiency
    out["received_t"] = both["received_t"].fillna(both["shipped_t"] * efficiency)
    out["received_difference_t"] = out["received_t"] - out["planned_received_t"]
    out = out.assign(_big=-out["difference_t"].abs()).sort_values(["_big", "link", "product"], kind="stable").drop(columns="_big")
    return out.reset_index(drop=True), warnings


def shipment_status(planned_t: np.ndarray, actual_t: np.ndarray) -> np.ndarray:
    """``as planned``, ``short``, ``over``, ``not shipped``, ``unplanned`` (see reconcile)."""
    tol = np.maximum(AS_PLANNED_T, AS_PLANNED_SHARE * planned_t)
    diff = actual_t - planned_t
    return np.select([planned_t <= 0, actual_t <= 0, diff < -tol, diff > tol], ["unplanned", "not shipped", "short", "over"], "as planned")


def node_effects(recon: pd.DataFrame, net: Network) -> pd.DataFrame:
    """node, product, received_difference_t, shipped_difference_t: how far last week's
    actuals moved each node's end-of-week stock from the plan. Arrivals count in the node's
    balance as the model counts them (model/statement.py receipts: a grade blended into the
    product it serves at a demand centre, tonnes of standard coal where demand is in tce)."""
    index = pd.DataFrame({"to": recon["to"].to_numpy(), "product": recon["product"].to_numpy(), "period": 0,
                          "efficiency": recon["link"].map(net.links.set_index("id")["efficiency"]).fillna(1.0).to_numpy(float)})
    counted = receipts(net, SimpleNamespace(index=index, cols=np.arange(len(index))))
    per_tonne_arrived = (counted["coef"] / counted["efficiency"].where(counted["efficiency"] > 0)).fillna(1.0).to_numpy()
    inflow = pd.DataFrame({"node": counted["node"], "product": counted["product"], "received_difference_t": recon["received_difference_t"].to_numpy() * per_tonne_arrived})
    outflow = pd.DataFrame({"node": recon["from"].to_numpy(), "product": recon["product"].to_numpy(), "shipped_difference_t": recon["difference_t"].to_numpy()})
    both = pd.concat([inflow.groupby(["node", "product"]).sum(), outflow.groupby(["node", "product"]).sum()], axis=1)
    return both.fillna(0.0).reset_index()


def derived_stocks(last: LastWeek, recon: pd.DataFrame, net: Network) -> tuple[pd.DataFrame, list[str]]:
    """Opening stocks of this week from last week's plan and actuals, one row per storage row:
    node, product, planned_t, received_difference_t, shipped_difference_t, derived_t (never
    below 0: clipped, with a warning naming the node). Also warns where a node without a
    yard (a hub, not a mine or demand centre) received and sent on different tonnes than
    planned: coal that has nowhere to be and is not carried."""
    effects = node_effects(recon, net)
    rows = net.storage[["node", "product"]].merge(last.stocks, on=["node", "product"], how="left").merge(effects, on=["node", "product"], how="left")
    rows = rows.fillna({"received_difference_t": 0.0, "shipped_difference_t": 0.0})
    warnings = []
    no_plan = rows[rows["planned_t"].isna()]
    if len(no_plan):
        warnings.append(f"--previous has no {last.week} stock for {len(no_plan)} storage row(s), taken as the data set's initial_t: {', '.join(no_plan['node'].head(SHOWN))}")
        rows["planned_t"] = rows["planned_t"].fillna(rows[["node", "product"]].merge(net.storage, on=["node", "product"])["initial_t"])
    raw = rows["planned_t"] + rows["received_difference_t"] - rows["shipped_difference_t"]
    for node, product, value in zip(rows["node"], rows["product"], raw):
        if value < -1e-6:
            warnings.append(f"actuals: derived opening stock of {node}/{product} is {value:,.0f} t (more left than the plan's stock and the arrivals); clipped to 0 — count it")
    rows["derived_t"] = raw.clip(lower=0.0)
    kinds = net.nodes.set_index("id")["kind"]
    held = set(net.storage["node"])
    loose = effects[~effects["node"].isin(held) & effects["node"].map(kinds).isin(["hub", "port", "storage"])]
    loose = loose.groupby("node")[["received_difference_t", "shipped_difference_t"]].sum()
    gap = loose["received_difference_t"] - loose["shipped_difference_t"]
    for node, t in gap[gap.abs() > AS_PLANNED_T].items():
        warnings.append(f"actuals: {node} has no yard, yet {'received' if t > 0 else 'sent on'} {abs(t):,.0f} t more than it {'sent on' if t > 0 else 'received'} against the plan; not carried into any stock — check the receipts of its links")
    return rows[["node", "product", "planned_t", "received_difference_t", "shipped_difference_t", "derived_t"]], warnings


def stock_reconciliation(derived: pd.DataFrame, counted: pd.DataFrame | None) -> pd.DataFrame:
    """stock_reconciliation.csv: derived against counted stock per storage row. The count
    wins where there is one (``opening_from`` counted), else the derived stock (derived);
    unexplained_t = counted − derived (a gain where positive, a loss where negative)."""
    out = derived.copy()
    if counted is None:
        out["counted_t"] = np.nan
    else:
        out = out.merge(counted[["node", "product", "stock_t"]].rename(columns={"stock_t": "counted_t"}), on=["node", "product"], how="left")
    out["unexplained_t"] = out["counted_t"] - out["derived_t"]
    out["opening_t"] = out["counted_t"].fillna(out["derived_t"])
    out["opening_from"] = np.where(out["counted_t"].notna(), "counted", "derived")
    return out.sort_values(["node", "product"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- summary, terminal
def actuals_summary(actuals: Actuals, recon: pd.DataFrame, stocks: pd.DataFrame, net: Network) -> dict:
    """summary.json → schedule.actuals: totals, counts by status, the largest deviations,
    demand centres that received less than planned, and how the opening stocks were set."""
    counts = recon["status"].value_counts()
    top = recon[recon["status"] != "as planned"].head(SHOWN)
    kinds = net.nodes.set_index("id")["kind"]
    arrived = recon[recon["to"].map(kinds) == "demand"].groupby(["to", "product"], as_index=False)[["planned_received_t", "received_t"]].sum()
    arrived["difference_t"] = arrived["received_t"] - arrived["planned_received_t"]
    tol = np.maximum(AS_PLANNED_T, AS_PLANNED_SHARE * arrived["planned_received_t"])
    short = arrived[arrived["difference_t"] < -tol].sort_values("difference_t", kind="stable")
    counted = stocks["counted_t"].notna()
    clipped = stocks[(stocks["planned_t"] + stocks["received_difference_t"] - stocks["shipped_difference_t"]) < -1e-6]
    unexplained = stocks.loc[counted].assign(_a=-stocks["unexplained_t"].abs()).sort_values("_a", kind="stable").head(SHOWN)
    return {
        "path": actuals.path, "sha256": actuals.sha256, "week": actuals.week, "rows": int(len(actuals.rows)),
        "as_planned_rule": f"|actual − planned| ≤ max({AS_PLANNED_T:g} t, {100 * AS_PLANNED_SHARE:g} % of planned)",
        "planned_t": float(recon["planned_t"].sum()), "actual_t": float(recon["actual_t"].sum()), "difference_t": float(recon["difference_t"].sum()),
        "planned_received_t": float(recon["planned_received_t"].sum()), "received_t": float(recon["received_t"].sum()),
        "links": {s: int(counts.get(s, 0)) for s in STATUSES},
        "largest_deviations": [{"link": r["link"], "product": r["product"], "planned_t": float(r["planned_t"]), "actual_t": float(r["actual_t"]),
                                "difference_t": float(r["difference_t"]), "status": r["status"]} for _, r in top.iterrows()],
        "demand_centres_short": [{"node": r["to"], "product": r["product"], "planned_received_t": float(r["planned_received_t"]), "received_t": float(r["received_t"]),
                                  "difference_t": float(r["difference_t"])} for _, r in short.iterrows()],
        "opening_stocks": {
            "rule": "a stock counted in --snapshot wins; else last week's planned end stock + (received − planned received) − (shipped − planned shipped), never below 0",
            "counted": int(counted.sum()), "derived": int((~counted).sum()),
            "planned_t": float(stocks["planned_t"].sum()), "derived_t": float(stocks["derived_t"].sum()), "opening_t": float(stocks["opening_t"].sum()),
            "clipped_at_zero": [f"{n}/{p}" for n, p in zip(clipped["node"], clipped["product"])],
            "unexplained_t": float(stocks.loc[counted, "unexplained_t"].sum()),
            "largest_unexplained": [{"node": r["node"], "product": r["product"], "derived_t": float(r["derived_t"]), "counted_t": float(r["counted_t"]),
                                     "unexplained_t": float(r["unexplained_t"])} for _, r in unexplained.iterrows()],
        },
    }


def format_actuals(a: dict) -> list[str]:
    """The terminal's reconciliation block: totals, counts, largest deviations first."""
    pct = 100 * a["difference_t"] / a["planned_t"] if a["planned_t"] else 0.0
    links = a["links"]
    lines = ["", f"Actuals for {a['week']} (reconciliation.csv): planned {a['planned_t']:,.0f} t, shipped {a['actual_t']:,.0f} t ({a['difference_t']:+,.0f} t, {pct:+.2f} %); "
             + ", ".join(f"{links[s]} {s}" for s in STATUSES) + f" (as planned: {a['as_planned_rule']})"]
    for d in a["largest_deviations"]:
        lines.append(f"  {d['link']:<44}{d['product']:<14}{d['planned_t']:>12,.0f} → {d['actual_t']:>12,.0f} t  {d['difference_t']:>+12,.0f} t  {d['status']}")
    if a["demand_centres_short"]:
        shown = ", ".join(f"{d['node']} {d['difference_t']:+,.0f} t" for d in a["demand_centres_short"][:SHOWN])
        lines.append(f"  Demand centres that received less than planned: {shown}" + (" …" if len(a["demand_centres_short"]) > SHOWN else ""))
    o = a["opening_stocks"]
    lines.append(f"  Opening stocks (stock_reconciliation.csv): {o['derived']} derived from the actuals, {o['counted']} counted (the count wins); "
                 f"derived {o['derived_t']:,.0f} t against the plan's {o['planned_t']:,.0f} t"
                 + (f"; counted − derived {o['unexplained_t']:+,.0f} t unexplained" if o["counted"] else "")
                 + (f"; clipped at 0: {', '.join(o['clipped_at_zero'])}" if o["clipped_at_zero"] else ""))
    return lines


# --------------------------------------------------------------------------- one step
@dataclass
class Reconciliation:
    """Last week's actuals against its plan, and the opening stocks they give this week."""

    actuals: Actuals
    table: pd.DataFrame  # reconciliation.csv
    stocks: pd.DataFrame  # stock_reconciliation.csv
    summary: dict  # summary.json → schedule.actuals
    warnings: list[str]
    hashes: dict[str, str | None]


def actuals_in(path: str | Path, previous: str | Path, week: str, net: Network, counted: pd.DataFrame | None = None) -> Reconciliation:
    """Read receipts ``path`` for ``week`` (the week ``previous`` committed), reconcile them
    with that run's committed shipments and derive this week's opening stocks; ``counted``
    (node, product, stock_t: the snapshot) wins where given."""
    actuals = read_actuals(path, net, week)
    last = read_last_week(previous, week)
    table, warnings = reconcile(actuals, last, net)
    derived, more = derived_stocks(last, table, net)
    stocks = stock_reconciliation(derived, counted)
    summary = actuals_summary(actuals, table, stocks, net)
    return Reconciliation(actuals, table, stocks, summary, [str(p) for p in actuals.warnings] + warnings + more, {"actuals": actuals.sha256, **last.hashes})
