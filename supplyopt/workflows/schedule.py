"""Weekly scheduling: next week's shipment plan from this week's stocks, with a look-ahead.

``supplyopt schedule DATA --snapshot stocks.csv --start 2026-W50 --horizon 6`` plans the
weeks ``2026-W50 … 2027-W03`` from the stocks in the snapshot; the first week is the one the
dispatch team commits, the rest is the look-ahead. Built on the API (:mod:`supplyopt.api`):
the scheduled window is an ordinary :class:`~supplyopt.data.Network`, cut out of the data set
by :func:`slice_periods`, and the pieces a weekly run adds to the LP — stability against the
previous plan here, trainloads in :mod:`supplyopt.trains` — are layers of the statement (Study(layers=...)).

End-of-horizon rule. The snapshot replaces ``initial_t``; it never moves the stock the plan
must leave at the end of its window. That target is fixed from the *data set* before the
snapshot is applied (:func:`freeze_end_targets`): ``end_t`` where storage.csv gives one,
else the profile's ``end_stock`` rule on the data set's own values — ``initial``: the data
set's ``initial_t`` (the planned level), ``safety``: ``safety_t`` of the window's last week,
``free``: 0. A low snapshot therefore means "rebuild to the planned level by the end of the
look-ahead", not "stay low".

Tables a run adds to the results folder (units in the column names):
  shipments.csv        origin, link, destination, mode, movement, product, week, shipment_t,
                       trains, committed — one row per shipment, grouped by origin
  stock_trajectory.csv node, product, week, opening_t, stock_t, safety_t, above_safety_t,
                       safety_shortfall_t, days_of_cover, cover_status
  changes.csv          link, product, week, previous_t, planned_t, change_t (with --previous)
  trains.csv           link, product, week, train_t, trains, shipment_t (links with train_t)
  request_plan.csv     the rail movements as railway orders: committed week, then ten-day
                       periods (request_plan.py); berth_plan.csv the sea movements as ship
                       calls; request_plan.xlsx both as sheets
  reconciliation.csv,  with --actuals: last week's receipts against its committed plan, and
  stock_reconciliation.csv  the opening stocks derived from them (workflows/actuals.py)
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from supplyopt import study as api
from supplyopt.io.data import DEFAULT_PRODUCT, Column, DataError, Problem, read_side_table, to_number
from supplyopt.io.network import Network
from supplyopt.io.runlog import sha256_file
from supplyopt.io.scenario import apply_scenario
from supplyopt.io.validate import did_you_mean
from supplyopt.engines.solution import captured_console
from supplyopt.io.write import csv_text, write_results
from supplyopt.model.options import Options
from supplyopt.results.plan import TOL, WINDOW_END, Plan, window_end_cover
from supplyopt.workflows.actuals import Reconciliation, actuals_in, format_actuals
from supplyopt.workflows.days import DayPlan, days_in, plan_days, read_calls
from supplyopt.workflows.request_plan import berth_plan, movements, not_shipments, request_plan, request_workbook, require_dispatch_columns, with_days
from supplyopt.workflows.trains import solve_window

SNAPSHOT_COLUMNS = ("node", "product", "stock_t", "as_of")


# --------------------------------------------------------------------------- the window
def start_index(net: Network, start: str | None) -> int:
    """Position of the ``--start`` label among the data set's periods (0 when None)."""
    if start is None:
        return 0
    if start not in net.periods:
        shown = ", ".join(net.periods[:3]) + (" …" if net.n_periods > 3 else "")
        raise DataError([Problem("--start", f"unknown period{did_you_mean(start, set(net.periods))}; expected a label from network.yaml ({shown})", value=start)])
    return net.periods.index(start)


def slice_periods(net: Network, first: int, count: int) -> Network:
    """The network restricted to periods ``first … first + count − 1`` (fewer where the data
    set ends sooner), renumbered from 0; stocks, links and nodes are kept as they are."""
    last = min(first + int(count), net.n_periods)
    if count < 1 or first < 0 or first >= last:
        raise ValueError(f"no periods in [{first}, {first + count}) of {net.n_periods}")
    out = copy.copy(net)
    out.periods = list(net.periods[first:last])
    for name in ("link_periods", "supply", "demand", "storage_periods", "storage_capacity"):
        frame = getattr(net, name)
        keep = frame[(frame["period"] >= first) & (frame["period"] < last)].copy()
        keep["period"] = keep["period"] - first
        setattr(out, name, keep.reset_index(drop=True))
    out.storage = net.storage.copy()
    return out


def freeze_end_targets(net: Network, opt: Options) -> Network:
    """``end_t`` made explicit from the data set where the profile's ``end_stock: initial``
    rule would take it from ``initial_t``, so that changing ``initial_t`` (a snapshot, a
    carried stock) cannot move the end-of-horizon target."""
    if opt.end_stock != "initial":
        return net  # safety and free do not depend on initial_t
    out = copy.copy(net)
    out.storage = net.storage.copy()
    out.storage["end_t"] = out.storage["end_t"].fillna(out.storage["initial_t"])
    return out


def with_initial_stocks(net: Network, stocks: pd.DataFrame) -> Network:
    """A copy with ``initial_t`` replaced where ``stocks`` (node, product, stock_t) gives one."""
    out = copy.copy(net)
    storage = net.storage.copy()
    given = storage[["node", "product"]].merge(stocks[["node", "product", "stock_t"]], on=["node", "product"], how="left")["stock_t"]
    storage["initial_t"] = given.fillna(storage["initial_t"]).to_numpy()
    out.storage = storage
    return out


def week_start(label: str) -> dt.date | None:
    """Monday of an ISO-week label (``2026-W50`` → 2026-12-07); None for other labels."""
    m = re.fullmatch(r"(\d{4})-W(\d{1,2})", str(label))
    if not m:
        return None
    try:
        return dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        return None


# --------------------------------------------------------------------------- snapshot
@dataclass
class Snapshot:
    """Stocks at the start of the first scheduled week (t), as read and checked."""

    path: str
    stocks: pd.DataFrame  # node, product, stock_t, as_of (date)
    sha256: str | None
    warnings: list[Problem] = field(default_factory=list)


def read_snapshot(path: str | Path, net: Network, left_out: str = "the data set's initial_t") -> Snapshot:
    """Read and check a snapshot CSV (node, product, stock_t, as_of) against the window.

    Errors (:class:`DataError`, exit 2): missing file or column, a node not in nodes.csv, a
    node and product without a storage.csv row, no data rows (no stock counted), a node and
    product counted twice (case and spaces ignored), stock_t not a number ≥ 0, as_of
    not a date (YYYY-MM-DD), stocks at a node above its capacity in the first week.
    Warnings: a snapshot dated more than one period before the first week starts (stale) or
    after it ends, and storage rows the snapshot leaves out (they keep ``left_out``: the
    data set's initial_t, or the stock derived from --actuals).
    """
    label, snap, problems = read_side_table(path, "snapshot", SNAPSHOT_COLUMNS, ("node", "stock_t", "as_of"), "a snapshot needs node, product, stock_t, as_of",
                                            "no stock counted: the snapshot has a header but no data rows; expected one row per node and product counted (node, product, stock_t, as_of)")
    snap["product"] = snap["product"].where(snap["product"] != "", DEFAULT_PRODUCT)
    snap["stock_t"] = _snapshot_numbers(snap, label, problems)
    snap["as_of"] = _snapshot_dates(snap, label, problems)
    problems += _snapshot_keys(snap, net, label)
    dup = _snapshot_duplicates(snap, label, problems)
    problems += _snapshot_capacity(snap[snap["stock_t"].notna() & ~dup], net, label)
    problems += _snapshot_age(snap, net, label)
    problems += _snapshot_coverage(snap, net, label, left_out)
    problems.sort(key=lambda p: (p.row is None, p.row or 0))
    if any(p.severity == "error" for p in problems):
        raise DataError(problems)
    return Snapshot(str(path), snap.drop(columns="row"), sha256_file(path), [p for p in problems if p.severity != "error"])


def _snapshot_numbers(snap: pd.DataFrame, label: str, problems: list[Problem]) -> pd.Series:
    """stock_t read like every number cell of a data set (same checks and hints); blank is
    an error here: a count without a number."""
    values = to_number(snap["stock_t"], snap["row"], label, Column("stock_t", "number"), problems)
    for row in snap.loc[snap["stock_t"] == "", "row"]:
        problems.append(Problem(label, "blank; expected the stock counted, in tonnes (a number ≥ 0)", row=int(row), column="stock_t"))
    return values


def _snapshot_dates(snap: pd.DataFrame, label: str, problems: list[Problem]) -> pd.Series:
    out = []
    for row, v in zip(snap["row"], snap["as_of"]):
        try:
            out.append(dt.date.fromisoformat(v[:10]) if re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ].*)?", v) else None)
        except ValueError:
            out.append(None)
        if out[-1] is None:
            problems.append(Problem(label, "expected the date of the stock count as YYYY-MM-DD", row=int(row), column="as_of", value=v))
    return pd.Series(out, index=snap.index, dtype=object)


def _snapshot_keys(snap: pd.DataFrame, net: Network, label: str) -> list[Problem]:
    out = []
    nodes = set(net.nodes["id"])
    held = set(zip(net.storage["node"], net.storage["product"]))
    storage_nodes = sorted(set(net.storage["node"]))
    for row, node, product in zip(snap["row"], snap["node"], snap["product"]):
        if node not in nodes:
            out.append(Problem(label, f"unknown node{did_you_mean(node, set(storage_nodes))}; expected a node id from nodes.csv that has a storage.csv row", row=int(row), column="node", value=node))
        elif (node, product) not in held:
            what = f"node {node} holds no {product} in storage.csv" if node in storage_nodes else f"node {node} has no storage.csv row"
            out.append(Problem(label, f"{what}; a snapshot can only give stocks the data set models", row=int(row), column="product", value=product))
    return out


def _snapshot_duplicates(snap: pd.DataFrame, label: str, problems: list[Problem]) -> pd.Series:
    """Rows that count a node and product an earlier row already counted — compared with
    case and whitespace ignored, so that ``port_qhd`` and ``Port_QHD `` are one stock. One
    error per repeated row naming the first row; returns the mask of repeated rows."""
    key = snap["node"].map(_loose) + "\x00" + snap["product"].map(_loose)
    dup = key.duplicated(keep="first")
    first = snap.loc[~dup].assign(_key=key[~dup]).set_index("_key")
    for row, k, node, product in zip(snap.loc[dup, "row"], key[dup], snap.loc[dup, "node"], snap.loc[dup, "product"]):
        was = first.loc[k]
        same = "" if (node, product) == (was["node"], was["product"]) else f" (written {was['node']}/{was['product']} there; case and spaces are ignored)"
        problems.append(Problem(label, f"duplicate stock for {node}/{product}: row {int(was['row'])} already counts it{same}; expected one row per node and product", row=int(row), column="node", value=node))
    return dup


def _loose(text: str) -> str:
    return re.sub(r"\s+", "", str(text)).casefold()


def _snapshot_capacity(snap: pd.DataFrame, net: Network, label: str) -> list[Problem]:
    """Stocks at a node, all products together (the snapshot's, else the data set's), above
    the node's capacity in the first scheduled week."""
    stocks = with_initial_stocks(net, snap).storage.groupby("node")["initial_t"].sum()
    cap = net.storage_capacity[net.storage_capacity["period"] == 0].set_index("node")["capacity_t"]
    over = stocks[stocks > cap.reindex(stocks.index).fillna(np.inf) + TOL]
    out = []
    for node, total in over.items():
        rows = snap[snap["node"] == node]
        if len(rows):
            out.append(Problem(label, f"stock at {node} ({total:,.0f} t over all products) is above its storage capacity ({cap[node]:,.0f} t) in {net.periods[0]}", row=int(rows["row"].iloc[0]), column="stock_t", value=rows["stock_t"].iloc[0]))
    return out


def _snapshot_age(snap: pd.DataFrame, net: Network, label: str) -> list[Problem]:
    begins = week_start(net.periods[0])
    if begins is None:
        return []
    days = float(net.period_days)
    out = []
    for row, as_of in zip(snap["row"], snap["as_of"]):
        if as_of is None:
            continue
        age = (begins - as_of).days
        if age > days:
            out.append(Problem(label, f"stale: counted {age} days before {net.periods[0]} begins ({begins}), more than one period ({days:g} days)", row=int(row), column="as_of", value=str(as_of), severity="warning"))
        elif -age >= days:
            out.append(Problem(label, f"dated after {net.periods[0]} ends ({begins} + {days:g} days); expected the stock at the start of that week", row=int(row), column="as_of", value=str(as_of), severity="warning"))
    return out


def _snapshot_coverage(snap: pd.DataFrame, net: Network, label: str, left_out: str) -> list[Problem]:
    given = set(zip(snap["node"], snap["product"]))
    left = [f"{n}/{p}" for n, p in zip(net.storage["node"], net.storage["product"]) if (n, p) not in given]
    if not left:
        return []
    shown = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
    return [Problem(label, f"{len(left)} stock(s) not in the snapshot keep {left_out}: {shown}", severity="warning")]


# --------------------------------------------------------------------------- stability
@dataclass
class Previous:
    """The look-ahead of the last run: flows (link, product, period label, flow_t) in the
    weeks it planned (``weeks``), from its results folder."""

    path: str
    flows: pd.DataFrame
    weeks: list[str]
    hashes: dict[str, str | None]
    committed_week: str | None = None  # the week that run committed (summary.json's schedule section)


def read_previous(path: str | Path) -> Previous:
    """Read a previous ``supplyopt schedule`` results folder (flows.csv, summary.json)."""
    folder = Path(path)
    label = str(path)
    if not folder.is_dir():
        raise DataError([Problem(label, "--previous folder not found; expected the results folder of an earlier supplyopt schedule run")])
    problems = [Problem(label, f"missing {name}; expected the results folder of an earlier supplyopt schedule run") for name in ("flows.csv", "summary.json") if not (folder / name).is_file()]
    if problems:
        raise DataError(problems)
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        if isinstance(summary, dict) and "schedule" not in summary:  # e.g. the folder of `supplyopt solve`
            raise DataError([Problem(label, "is a results folder, but not of `supplyopt schedule` (its summary.json has no schedule section); expected the --out folder of last week's schedule run")])
        weeks = [str(w) for w in summary["schedule"]["weeks"]]
        committed = summary["schedule"].get("committed_week") or (weeks[0] if weeks else None)
        flows = pd.read_csv(folder / "flows.csv", dtype={"link": str, "product": str, "period": str})[["link", "product", "period", "flow_t"]]
    except (ValueError, KeyError, TypeError) as err:
        raise DataError([Problem(label, f"not a supplyopt schedule results folder ({type(err).__name__}: {err}); expected summary.json with schedule.weeks and flows.csv with link, product, period, flow_t")]) from None
    return Previous(label, flows, weeks, {name: sha256_file(folder / name) for name in ("flows.csv", "summary.json")}, None if committed is None else str(committed))


def check_previous_week(prev: Previous, periods: list[str], first: str) -> None:
    """DataError (exit 2) when ``prev`` committed ``first`` or a later week: last week's run
    is the reference, never a run for this week or the future (a mixed-up folder). Weeks are
    ordered by the data set's periods, else by their ISO-week dates; a week neither can place
    is let through."""
    week = prev.committed_week
    if week is None:
        return
    if week in periods and first in periods:
        later = periods.index(week) >= periods.index(first)
    elif week_start(week) is not None and week_start(first) is not None:
        later = week_start(week) >= week_start(first)
    else:
        return
    if later:
        what = "the same week as" if week == first else "a later week than"
        raise DataError([Problem("--previous", f"is the results folder of the run that committed {week}, {what} this run's first week {first}; "
                                 f"expected the folder of an earlier week's run (last week's --out)", value=prev.path)])


def check_actuals_week(prev: Previous | None, actuals, periods: list[str], first: str) -> None:
    """DataError (exit 2) unless ``prev`` is the run that committed the week just before
    ``first``: receipts are last week's, reconciled with last week's plan, and the stocks
    they give open this week (a gap of a week would drop that week's movements)."""
    if prev is None:
        raise DataError([Problem("--actuals", "needs --previous LASTWEEK_DIR: receipts are reconciled with the week that run committed and carried from its end-of-week stocks", value=str(actuals))])
    week = prev.committed_week
    if week in periods and first in periods:
        adjacent = periods.index(first) - periods.index(week) == 1
    elif week is not None and week_start(week) is not None and week_start(first) is not None:
        adjacent = (week_start(first) - week_start(week)).days == 7
    else:
        adjacent = week is not None
    if not adjacent:
        raise DataError([Problem("--actuals", f"--previous committed {week}, not the week before this run's first week {first}; the receipts of {week} cannot open {first} "
                                 f"(expected last week's --out)", value=prev.path)])


def reference_flows(prev: Previous, net: Network) -> tuple[list[int], pd.DataFrame]:
    """The weeks both plans cover (positions in ``net``) and the previous tonnes on every
    (link, product, week) of those weeks (0 where it planned none)."""
    covered = [i for i, w in enumerate(net.periods) if w in set(prev.weeks)]
    ref = prev.flows[prev.flows["period"].isin([net.periods[i] for i in covered])].copy()
    ref["period"] = ref["period"].map({w: i for i, w in enumerate(net.periods)}).astype(int)
    return covered, ref.rename(columns={"flow_t": "previous_t"})


def stability_extension(covered: list[int], ref: pd.DataFrame, penalty_cny_per_t: float):
    """Extension: every tonne changed against the previous plan costs ``penalty_cny_per_t``.

    For each flow[link, product, week] in a week both plans cover:
    flow − change_up + change_down = previous_t, change_up, change_down ≥ 0, and the cost
    part ``change_penalty`` = penalty × Σ (change_up + change_down). Moving a tonne from one
    route to another therefore counts two tonnes changed (one off, one on).
    """

    def extension(lp, net, opt) -> None:
        flow = lp.variables["flow"]
        keys = ["link", "product", "period"]
        sel = np.flatnonzero(flow.index["period"].isin(covered).to_numpy())
        index = flow.index.loc[sel, keys].reset_index(drop=True)
        index = index.merge(ref[keys + ["previous_t"]], on=keys, how="left").fillna({"previous_t": 0.0})
        n = len(index)
        up = lp.add_variables("change_up", "tonnes shipped above the previous plan", keys, index, 0.0, np.inf)
        down = lp.add_variables("change_down", "tonnes shipped below the previous plan", keys, index, 0.0, np.inf)
        rows = np.tile(np.arange(n), 3)
        cols = np.concatenate([flow.cols[sel], up.cols, down.cols])
        coefs = np.concatenate([np.ones(n), -np.ones(n), np.ones(n)])
        rhs = index["previous_t"].to_numpy()
        lp.add_constraints("plan_change", "flow minus change up plus change down equals the previous plan (t)", keys, index, rows, cols, coefs, rhs, rhs)
        lp.add_cost("change_penalty", np.concatenate([up.cols, down.cols]), np.full(2 * n, float(penalty_cny_per_t)))

    return extension


def change_list(plan: Plan, net: Network, covered: list[int], ref: pd.DataFrame) -> pd.DataFrame:
    """Shipments that differ from the previous plan, in the weeks both cover (t)."""
    keys = ["link", "product", "period"]
    labels = [net.periods[i] for i in covered]
    now = plan.flows[plan.flows["period"].isin(labels)][keys + ["flow_t"]].rename(columns={"flow_t": "planned_t"})
    before = ref.assign(period=[net.periods[i] for i in ref["period"]])[keys + ["previous_t"]]
    both = before.merge(now, on=keys, how="outer").fillna({"previous_t": 0.0, "planned_t": 0.0})
    both["change_t"] = both["planned_t"] - both["previous_t"]
    both = both[both["change_t"].abs() > 1e-3].copy()
    both["_order"] = both["period"].map({w: i for i, w in enumerate(net.periods)})
    both = both.sort_values(["_order", "link", "product"], kind="stable").drop(columns="_order")
    return both.rename(columns={"period": "week"})[["link", "product", "week", "previous_t", "planned_t", "change_t"]].reset_index(drop=True)


# --------------------------------------------------------------------------- dispatch tables
def shipment_list(plan: Plan, net: Network, trains: pd.DataFrame | None = None) -> pd.DataFrame:
    """Shipments per origin: origin, link, destination, mode, movement (rail, sea, truck,
    conveyor, uhv …: request_plan.movements), product, week, shipment_t (whole tonnes; the
    exact plan is in flows.csv), trains (whole trains
    under --trainloads, else shipment_t ÷ train_t; blank without a train size), committed
    (the first week)."""
    f = plan.flows
    out = pd.DataFrame({
        "origin": f["from"], "link": f["link"], "destination": f["to"], "mode": f["mode"],
        "movement": f["link"].map(movements(net)).fillna(f["mode"]),
        "product": f["product"], "week": f["period"],
        # a shipment is whole tonnes (half to even): one number format in the column; flows.csv keeps the exact plan
        "shipment_t": np.round(f["flow_t"].to_numpy(float)),
    })
    size = out["link"].map(net.links.set_index("id")["train_t"]) if "train_t" in net.links else pd.Series(np.nan, index=out.index)
    out["trains"] = np.round(out["shipment_t"] / size, 2)
    if trains is not None and len(trains):
        whole = out[["link", "product", "week"]].merge(trains[["link", "product", "week", "trains"]], on=["link", "product", "week"], how="left")["trains"]
        out["trains"] = whole.fillna(out["trains"]).to_numpy()
    out["committed"] = out["week"] == net.periods[0]
    order = out["week"].map({w: i for i, w in enumerate(net.periods)})
    return out.assign(_o=order).sort_values(["origin", "_o", "link", "product"], kind="stable").drop(columns="_o").reset_index(drop=True)


def stock_trajectory(plan: Plan, net: Network) -> pd.DataFrame:
    """Stock per node and week against safety stock, with the opening stock of each week."""
    s = plan.stocks.copy()
    order = s["period"].map({w: i for i, w in enumerate(net.periods)})
    s = s.assign(_o=order).sort_values(["node", "product", "_o"], kind="stable")
    initial = s[["node", "product"]].merge(net.storage[["node", "product", "initial_t"]], on=["node", "product"], how="left")["initial_t"].to_numpy()
    opening = s.groupby(["node", "product"], sort=False)["stock_t"].shift(1).to_numpy()
    s["opening_t"] = np.where(s["_o"].to_numpy() == 0, initial, opening)
    s["above_safety_t"] = s["stock_t"] - s["safety_t"]
    cols = ["node", "product", "period", "opening_t", "stock_t", "safety_t", "above_safety_t", "safety_shortfall_t", "capacity_t", "days_of_cover", "cover_status"]
    return s[cols].rename(columns={"period": "week"}).reset_index(drop=True)


# --------------------------------------------------------------------------- one weekly run
@dataclass
class Schedule:
    """A weekly run: the window it planned, the plan, the dispatch tables, what to record."""

    network: Network
    plan: Plan
    shipments: pd.DataFrame
    trajectory: pd.DataFrame
    changes: pd.DataFrame
    trains: pd.DataFrame
    summary: dict
    warnings: list[str]
    timings: dict
    inputs: dict  # file -> sha256, for the run log
    notes: list[str] = field(default_factory=list)  # HiGHS's harmless notices and printed log: run.log, runs.jsonl
    request_plan: pd.DataFrame = field(default_factory=pd.DataFrame)  # rail movements as railway orders (request_plan.py)
    berth_plan: pd.DataFrame = field(default_factory=pd.DataFrame)  # sea movements as ship calls
    days: DayPlan | None = None  # the committed week day by day (schedule --days)
    actuals: Reconciliation | None = None  # last week's actuals against its plan (schedule --actuals)

    @property
    def record_timings(self) -> dict:
        """Seconds spent building and solving (for runs.jsonl, not the results files)."""
        return {"build_s": self.timings["build_s"], "solve_s": self.timings["solve_s"]}


def planning_base(network, scenario=None) -> tuple[Network, dict, list[str]]:
    """The data set (a Network or a path) with ``scenario`` (paths, dicts, a list — this
    week's corridor plans and forecast edits) applied over all its periods; the SHA-256 of
    every input file for the run log; the scenario files."""
    base = network if isinstance(network, Network) else api.load(network)
    inputs = {f"dataset/{k}": v for k, v in sorted(base.file_hashes.items())}
    sc = api.scenario(scenario, base)
    if sc is None:
        return base, inputs, []
    paths = [p for p in (sc.paths or [sc.path]) if p and p != "<dict>"]
    inputs.update({f"scenario/{p}": sha256_file(p) for p in paths})
    return apply_scenario(base, sc), inputs, paths


def prepare_window(base: Network, opt: Options, start: str | None, horizon: int) -> Network:
    """The data set cut to ``horizon`` periods from ``start``, end targets frozen first."""
    if horizon < 1:
        raise DataError([Problem("--horizon", "expected a whole number of weeks ≥ 1", value=horizon)])
    return slice_periods(freeze_end_targets(base, opt), start_index(base, start), horizon)


def schedule(network, model=None, *, snapshot=None, start: str | None = None, horizon: int = 6, previous=None,
             trainloads: bool = False, scenario=None, time_left=None, extend=None, days: bool = False, calls=None, actuals=None, **solver) -> Schedule:
    """Plan ``horizon`` weeks from ``start`` (default: the first period) from the stocks in
    ``snapshot`` (path or None: the data set's initial_t); ``previous``: an earlier run's
    results folder whose look-ahead the plan should keep to (profile option
    ``change_penalty_cny_per_t``); ``trainloads``: whole trains on links with ``train_t``.
    ``scenario``: edits applied to the data set first (corridor maintenance, forecasts).
    ``time_left``: a callable giving the seconds left (the wall-clock limit), used as the
    solver's time limit. ``days``: the committed week planned day by day as well
    (workflows/days.py: train paths, loading windows, trainsets, ``calls`` — a ship-calls
    CSV). ``actuals``: receipts of the week ``previous`` committed (workflows/actuals.py):
    reconciled with its plan, and this week's opening stocks derived from them where the
    snapshot gives no count. Raises DataError (bad input) or api.NoPlan."""

    base, inputs, scenarios = planning_base(network, scenario)
    extend, extension, _ = api.extension_of(extend)
    opt = api.options(model, **solver)
    win = prepare_window(base, opt, start, horizon)
    require_dispatch_columns(win)  # links.csv's wagon and ship_t, before any solving
    warnings: list[str] = [str(p) for p in base.warnings]
    prev = None
    if previous is not None:
        prev = read_previous(previous)
        check_previous_week(prev, list(base.periods), win.periods[0])
    if actuals is not None:
        check_actuals_week(prev, actuals, list(base.periods), win.periods[0])
    snap = None
    if snapshot is not None:
        snap = read_snapshot(snapshot, win, left_out="the stock derived from --actuals" if actuals is not None else "the data set's initial_t")
        win = with_initial_stocks(win, snap.stocks)
        warnings += [str(p) for p in snap.warnings]
        inputs["snapshot"] = snap.sha256
    elif actuals is None:
        warnings.append(f"no --snapshot: stocks at the start of {win.periods[0]} are the data set's initial_t")
    recon = None
    if actuals is not None:  # the count wins where there is one; the rest start from last week's plan and actuals
        recon = actuals_in(actuals, previous, prev.committed_week, base, None if snap is None else snap.stocks)
        win = with_initial_stocks(win, recon.stocks[["node", "product", "opening_t"]].rename(columns={"opening_t": "stock_t"}))
        warnings += recon.warnings
        inputs.update({k: v for k, v in recon.hashes.items() if k not in inputs})
    layers, covered, ref = [], [], None
    if previous is not None:
        covered, ref = reference_flows(prev, win)
        inputs.update({f"previous/{k}": v for k, v in prev.hashes.items()})
        if not covered:
            warnings.append(f"--previous {prev.path} planned {prev.weeks[0] if prev.weeks else '-'} … {prev.weeks[-1] if prev.weeks else '-'}, no week of this window: no changes to compare")
        else:
            layers.append(stability_extension(covered, ref, opt.change_penalty_cny_per_t))
    profile = str(model) if isinstance(model, (str, Path)) else None
    if profile:
        inputs["profile"] = sha256_file(profile)
    with captured_console() as console:  # HiGHS's own printing goes to the run log, not the terminal
        plan, trains, train_info, timings = solve_window(win, opt, layers, trainloads, time_left, profile, extend)
    plan = window_end_cover(plan, win, opt)  # the last week's stock is the end rule's: not a red cover alert
    warnings += plan.warnings + train_info.get("warnings", []) + solver_warnings(console)
    changes = change_list(plan, win, covered, ref) if ref is not None else pd.DataFrame(columns=["link", "product", "week", "previous_t", "planned_t", "change_t"])
    summary = schedule_summary(plan, win, horizon, snap, prev, changes, train_info, opt)
    summary["extension"] = extension
    summary["schedule"]["scenarios"] = scenarios
    summary["schedule"]["actuals"] = None if recon is None else recon.summary
    shipments = shipment_list(plan, win, trains)
    requests = request_plan(shipments, win, whole_trains=train_info.get("method") not in (None, "off"))
    berths = berth_plan(shipments, win)
    summary["schedule"]["request_plan"] = request_record(requests, berths, shipments, win.periods[0])
    sched = Schedule(win, plan, shipments, stock_trajectory(plan, win), changes, trains, summary, warnings, timings, inputs, request_plan=requests, berth_plan=berths, actuals=recon)
    sched.notes = solver_notes(plan, console)
    if days or calls is not None:
        sched.days = committed_days(win, opt, plan, layers, calls, trainloads, time_left, profile, extend, inputs, warnings)
        summary["schedule"]["days"] = sched.days.summary
        sched.request_plan = with_days(requests, sched.days.days, win, win.periods[0])  # the committed week's orders by day
        warnings += [w for w in sched.days.plan.warnings if w not in warnings]
    return sched


def committed_days(win, opt, plan, layers, calls, trainloads, time_left, profile, extend, inputs, warnings: list[str]) -> DayPlan:
    """The committed week day by day (workflows/days.py), ship calls read first (what was
    read as meant goes to ``warnings``)."""
    table = None
    if calls is not None:
        table, read = read_calls(calls, win, days_in(win))
        warnings += [str(p) for p in read]
        inputs["calls"] = sha256_file(calls)
    with captured_console():
        return plan_days(win, opt, plan, layers, table, trainloads, time_left, profile, extend)


def request_record(requests: pd.DataFrame, berths: pd.DataFrame, shipments: pd.DataFrame, week: str) -> dict:
    """summary.json's record of the request and berth plans: rows, the committed week's rail
    tonnes, wagons and ship calls, and what moved without being a shipment (conveyor, UHV)."""
    now = requests[requests["period"] == week]
    ships = berths[berths["week"] == week]
    return {
        "rows": int(len(requests)), "berth_rows": int(len(berths)),
        "committed_rail_t": float(now["tonnes"].sum()), "committed_wagons": int(now["wagons"].sum()),
        "committed_sea_t": float(ships["tonnes"].sum()), "committed_ship_calls": int(ships["ship_calls"].sum()),
        "not_shipments_committed_t": not_shipments(shipments, week), "not_shipments_window_t": not_shipments(shipments),
    }


def solver_warnings(console: list[str]) -> list[str]:
    """HiGHS's WARNING and ERROR lines among what it printed, as the run's warnings."""
    return [f"HiGHS: {ln.strip()}" for ln in console if re.search(r"\b(WARNING|ERROR)\b", ln)]


def solver_notes(plan: Plan, console: list[str]) -> list[str]:
    """For run.log and runs.jsonl: HiGHS's notices judged harmless (summary.json →
    numerics.notes) and the rest of what HiGHS printed (its log, under ``solver.log: true``)."""
    notes = list((plan.summary.get("numerics") or {}).get("notes") or [])
    return notes + [f"HiGHS: {ln}" for ln in console if not re.search(r"\b(WARNING|ERROR)\b", ln)]


def schedule_summary(plan: Plan, win: Network, horizon: int, snap: Snapshot | None, prev: Previous | None, changes: pd.DataFrame, train_info: dict, opt: Options) -> dict:
    """summary.json for a weekly run: the plan's summary without wall-clock figures (they go
    to runs.jsonl, so that identical inputs give byte-identical files), plus ``schedule``."""
    summary = {k: v for k, v in plan.summary.items() if k not in ("build_s", "solve_s")}
    as_of = sorted(str(d) for d in snap.stocks["as_of"]) if snap is not None else []
    summary["schedule"] = {
        "committed_week": win.periods[0],
        "weeks": list(win.periods),
        "horizon_weeks": horizon,
        "end_target_rule": f"end_t, else the profile's end_stock rule on the data set's own values (never the snapshot); {opt.end_rule_words}",
        "scenario_foresight": "perfect: a weekly run's scenarios are forecasts (maintenance, demand), known when the run is made",
        "snapshot": None if snap is None else {"path": snap.path, "sha256": snap.sha256, "rows": int(len(snap.stocks)), "as_of_first": as_of[0] if as_of else None, "as_of_last": as_of[-1] if as_of else None},
        "previous": None if prev is None else {
            "path": prev.path, "weeks": prev.weeks, "change_penalty_cny_per_t": opt.change_penalty_cny_per_t,
            "changes": int(len(changes)), "changed_t": float(changes["change_t"].abs().sum()),
        },
        "trainloads": {k: v for k, v in train_info.items() if k != "warnings"},
    }
    return summary


def dispatch_files(sched: Schedule) -> dict[str, str | bytes]:
    """The dispatch tables as file name -> CSV text (numbers formatted like every table), and
    the request plan's workbook (bytes, identical for identical tables)."""

    return {
        "shipments.csv": csv_text(sched.shipments),
        "stock_trajectory.csv": csv_text(sched.trajectory),
        "changes.csv": csv_text(sched.changes),
        "trains.csv": csv_text(sched.trains),
        "request_plan.csv": csv_text(sched.request_plan),
        "berth_plan.csv": csv_text(sched.berth_plan),
        "request_plan.xlsx": request_workbook(sched.request_plan, sched.berth_plan),
    } | ({"days.csv": csv_text(sched.days.days), "ship_calls.csv": csv_text(sched.days.calls)} if sched.days is not None else {}) | (
        {"reconciliation.csv": csv_text(sched.actuals.table), "stock_reconciliation.csv": csv_text(sched.actuals.stocks)} if sched.actuals is not None else {})


def log_lines(sched: Schedule) -> list[str]:
    """run.log of a weekly run: what was planned and the warnings; no clock times, so that
    identical inputs give identical files (times are in runs.jsonl)."""
    s = sched.summary
    lines = [
        f"supplyopt schedule: {s['dataset']['name']}, weeks {s['schedule']['weeks'][0]} … {s['schedule']['weeks'][-1]}, committing {s['schedule']['committed_week']}",
        f"status: {s['status_message']}; objective {s['objective']:,.2f} {s['currency']}",
        f"shipments: {len(sched.shipments)} rows ({int(sched.shipments['committed'].sum())} in the committed week); changes against --previous: {len(sched.changes)}",
    ]
    return lines + [f"warning: {w}" for w in sched.warnings] + [f"note: {n}" for n in sched.notes]


def write_schedule(out: str | Path, sched: Schedule, runs_text: str) -> Path:
    """Write a weekly run's results folder atomically: the plan's tables, the dispatch
    tables, summary.json, run.log and the run log ``runs.jsonl``."""

    return write_results(out, sched.plan, sched.summary, log_lines(sched), {**dispatch_files(sched), "runs.jsonl": runs_text})


def format_schedule(sched: Schedule) -> str:
    """What a dispatcher reads in the terminal: the committed week by origin, stocks that
    fall below safety or into red cover, changes against the previous plan."""
    s = sched.summary
    week = s["schedule"]["committed_week"]
    lines = [f"supplyopt schedule — {s['dataset']['name']}: committing {week}, look-ahead to {s['schedule']['weeks'][-1]} ({len(s['schedule']['weeks'])} weeks)",
             f"Status: {s['status_message']}; cost over the window {s['objective']:,.0f} {s['currency']}"]
    end = s.get("end_of_horizon")
    if end:
        lines.append(f"End of look-ahead: {end['rule']}" + (f"; {end['deficit_t']:,.0f} t below target at {', '.join(end['nodes_below_target'][:4])} "
                                                            f"(end-stock deficit, not unmet demand: end_stock.csv)" if end["deficit_t"] > 0.5 else ""))
    short = s.get("unmet_t", 0.0)
    if short > 0.5:
        lines.append(f"Unmet demand over the window: {short:,.0f} t (unmet.csv)")
    tl = s["schedule"]["trainloads"]
    if tl.get("method") != "off":
        gap = tl.get("mip_gap")
        lines.append(f"Trainloads: {tl['method']}" + (f" (gap {100 * gap:.2f} %)" if gap is not None else ""))
    rp = s["schedule"].get("request_plan")
    if rp:
        lines.append(f"Railway request plan (request_plan.csv, .xlsx): {rp['committed_rail_t']:,.0f} t in {rp['committed_wagons']:,} wagons in {week} "
                     f"(one row per rail link: coal over two links is ordered on each), {rp['rows']} rows to {s['schedule']['weeks'][-1]}")
        lines.append(f"Berth plan (berth_plan.csv): {rp['committed_sea_t']:,.0f} t in {rp['committed_ship_calls']:,} ship calls in {week}")
        ns = rp["not_shipments_committed_t"]
        lines.append(f"Not shipments in {week} (in shipments.csv, not in the request plan): conveyor {ns['conveyor']:,.0f} t, UHV {ns['uhv']:,.0f} t")
    dd = s["schedule"].get("days")
    if dd:
        lines.append(f"Day by day (days.csv): {dd['days'][0]} … {dd['days'][-1]}, cost {dd['cost_cny']:,.0f} {s['currency']}, unmet {dd['unmet_t']:,.0f} t, "
                     f"end-of-week deficit against the weekly plan {dd['end_of_week_deficit_t']:,.0f} t"
                     + (f", MIP gap {dd['mip_gap_cny']:,.0f} {s['currency']} ({dd['status']})" if dd.get("mip_gap_cny") is not None else "") + (f"; {dd['ships']} ship call(s) (ship_calls.csv): "
                     f"{dd['ships_waiting_past_week']} waiting past the week, demurrage {dd['demurrage_cny']:,.0f} {s['currency']}" if dd["ships"] else ""))
    if s["schedule"].get("actuals"):
        lines += format_actuals(s["schedule"]["actuals"])
    now = sched.shipments[sched.shipments["committed"]]
    by_origin = now.groupby("origin", sort=True).agg(shipment_t=("shipment_t", "sum"), links=("link", "size"), trains=("trains", lambda t: t.sum(min_count=1)))
    top = by_origin.sort_values("shipment_t", ascending=False, kind="stable").head(12)
    lines += ["", f"Largest origins in {week} ({len(by_origin)} origins, {len(now)} shipments in shipments.csv)"]
    for origin, r in top.iterrows():
        lines.append(f"  {origin:<32}{r['shipment_t']:>14,.0f} t  {int(r['links']):>3} link(s)" + ("" if pd.isna(r["trains"]) else f"  {r['trains']:,.0f} trains"))
    low = sched.trajectory[(sched.trajectory["safety_shortfall_t"] > 1e-3) | (sched.trajectory["cover_status"] == "red")]
    if len(low):
        lines += ["", "Stocks below safety or in red cover"]
        for _, r in low.head(10).iterrows():
            lines.append(f"  {r['node']:<28}{r['product']:<10}{r['week']:<10}{r['stock_t']:>12,.0f} t  safety {r['safety_t']:>10,.0f} t  {r['cover_status']}")
        if (low["cover_status"] == WINDOW_END).any():
            lines.append(f"  ('{WINDOW_END}': {s['schedule']['weeks'][-1]} ends the look-ahead; its stock is the end rule's, not a cover alert — the next weekly run plans what follows)")
    if s["schedule"]["previous"] is not None:
        p = s["schedule"]["previous"]
        lines += ["", f"Changes against {p['path']}: {p['changes']} shipment(s), {p['changed_t']:,.0f} t (changes.csv)"]
    return "\n".join(lines)
