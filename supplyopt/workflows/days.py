"""The committed week day by day (``schedule --days``): train paths, loading windows,
trainsets and ship calls that a weekly bucket cannot see.

The weekly run decides the week; this step sequences its first (committed) week over its days
with the same statement of the model (``study.Study`` on a day network), so every feature of
a plan — stocks and their safety levels, unmet demand at its penalty, whole trains — holds per
day. The look-ahead stays weekly: the day plan must end the week with the stocks the weekly
plan ends it with (each storage row's ``end_t``; a shortfall is the end-stock deficit at the
profile's penalty, reported).

The day network (:func:`day_network`): the committed week's figures spread evenly over its
days — mine output and its minimum, demand, link capacity and holding cost divided by the
number of days; stock levels (capacity, safety, opening stock) as they are. Then, per day:

- **train paths** — links.csv ``paths_per_day`` (trains a link can take a day, its slots in the
  timetable): capacity ≤ paths_per_day × train_t;
- **trainsets** — links.csv ``trainsets`` and ``cycle_days`` (a trainset's round trip): at most
  ``trainsets`` trains a day, and over the week ⌊trainsets × days ÷ cycle_days⌋ trains (rows
  ``trainset_cycle``);
- **loading windows** — nodes.csv ``loading_t_per_day``: Σ rail tonnes leaving the station in a
  day ≤ it (rows ``loading_window``);
- **ship calls** — ``--calls calls.csv`` (:func:`read_calls`): a ship of ``size_t`` arriving on
  a day on a sea link is loaded whole on one day from its arrival, or waits (binary
  ``ship_served[ship, day]``, rows ``ship_call_load``: the link carries exactly the ships
  loaded that day; ``ship_once``); each day waited costs ``demurrage_cny_per_day``, and a ship
  not loaded this week waits at least to its end (cost part ``demurrage``).

Whole trains (links with ``train_t``) are integers when the run plans trainloads.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from supplyopt.io.data import DataError, Problem, read_side_table
from supplyopt.io.network import Network
from supplyopt.io.validate import did_you_mean
from supplyopt.model.options import Options
from supplyopt.workflows.trains import solve_window  # the weekly run's own solve: whole trains, rounding repair

CALL_COLUMNS = ("ship", "link", "size_t", "arrival_day", "demurrage_cny_per_day")


# --------------------------------------------------------------------------- the day network
def day_labels(week: str, days: int) -> list[str]:
    return [f"{week}-D{d}" for d in range(1, days + 1)]


def days_in(win: Network) -> int:
    """Days of the committed week: the data set's period length, a whole number of days."""
    days = win.period_days
    if not float(days).is_integer() or not 2 <= days <= 31:
        raise DataError([Problem("--days", f"a period of {days:g} days cannot be planned day by day; expected periods of 2 to 31 whole days (network.yaml period_days)")])
    return int(days)


def _spread(frame: pd.DataFrame, key: list[str], days: int, divide: tuple[str, ...]) -> pd.DataFrame:
    """The period-0 rows of ``frame`` repeated for each day (period 0 … days − 1), the
    ``divide`` columns divided by the number of days (unlimited stays unlimited)."""
    week = frame[frame["period"] == 0].drop(columns="period")
    out = week.loc[week.index.repeat(days)].reset_index(drop=True)
    out["period"] = np.tile(np.arange(days), len(week))
    for c in divide:
        if c in out:
            out[c] = out[c].astype(float) / days
    return out.sort_values([*key, "period"], kind="stable").reset_index(drop=True)


def day_network(win: Network, end_stock: pd.DataFrame) -> Network:
    """The committed week (period 0 of ``win``) as a network of days; ``end_stock`` (node,
    product, stock_t) is the weekly plan's stock at the end of that week: each storage row's
    end target."""
    days = days_in(win)
    d = copy.copy(win)
    d.periods = day_labels(win.periods[0], days)
    d.period_days = 1.0
    links = win.links.copy()
    lp = _spread(win.link_periods, ["link"], days, ("capacity_t",))
    lp["capacity_t"] = np.minimum(lp["capacity_t"].to_numpy(float), lp["link"].map(daily_train_cap(links)).fillna(np.inf).to_numpy(float))
    d.link_periods = lp
    d.supply = _spread(win.supply, ["node", "product"], days, ("capacity_t", "min_t", "reserve_t"))
    d.demand = _spread(win.demand, ["node", "product"], days, ("demand_t",))
    d.storage_periods = _spread(win.storage_periods, ["node", "product"], days, ("holding_cny_per_t",))
    d.storage_capacity = _spread(win.storage_capacity, ["node"], days, ())
    storage = win.storage.copy()
    target = storage.merge(end_stock[["node", "product", "stock_t"]], on=["node", "product"], how="left")["stock_t"]
    storage["end_t"] = target.to_numpy(float)
    d.storage = storage
    return d


def daily_train_cap(links: pd.DataFrame) -> pd.Series:
    """Per link, the most tonnes a day its train paths and trainsets allow (inf: no limit):
    paths_per_day × train_t, and trainsets × train_t (a trainset leaves at most once a day)."""
    train = links["train_t"].to_numpy(float) if "train_t" in links else np.full(len(links), np.nan)
    out = np.full(len(links), np.inf)
    for col in ("paths_per_day", "trainsets"):
        if col in links:
            out = np.fmin(out, links[col].to_numpy(float) * train)
    return pd.Series(np.where(np.isnan(out), np.inf, out), index=links["id"].to_numpy())


@dataclass
class TrainsetCycles:
    """Layer: Σ_days tonnes on a link ≤ ⌊trainsets × days ÷ cycle_days⌋ × train_t — each
    trainset makes a round trip of ``cycle_days`` (links.csv) before it loads again."""

    def __call__(self, lp, net: Network, opt) -> None:
        if not {"trainsets", "cycle_days", "train_t"} <= set(net.links):
            return
        lk = net.links.dropna(subset=["trainsets", "cycle_days", "train_t"]).set_index("id")
        if lk.empty:
            return
        limit = np.floor(lk["trainsets"] * net.n_periods / lk["cycle_days"]) * lk["train_t"]
        fam = lp.variables["flow"]
        sel = fam.index["link"].isin(lk.index).to_numpy()
        keys = pd.DataFrame({"link": sorted(lk.index)})
        keys["trains_t"] = keys["link"].map(limit).to_numpy(float)
        row_of = {l: i for i, l in enumerate(keys["link"])}
        rows = np.array([row_of[l] for l in fam.index["link"][sel]], np.int64)
        lp.add_constraints("trainset_cycle", "tonnes on the link over the days, within the round trips its trainsets can make (t)", ["link"], keys,
                           rows, fam.cols[sel], np.ones(sel.sum()), -np.inf, keys["trains_t"].to_numpy(float))


def check_day_columns(net: Network) -> list[Problem]:
    """paths_per_day, trainsets and cycle_days count trains: the link needs train_t; values > 0."""
    out = []
    lk = net.links
    for col in ("paths_per_day", "trainsets", "cycle_days"):
        if col not in lk:
            continue
        for r in lk.loc[lk[col].notna()].itertuples():
            v = getattr(r, col)
            if "train_t" not in lk or pd.isna(r.train_t):
                out.append(Problem("links.csv", f"{col} counts trains, but link {r.id} has no train_t; expected train_t (tonnes per train) beside it", column=col, value=v))
            elif not v > 0:
                out.append(Problem("links.csv", f"expected {col} > 0 on link {r.id}", column=col, value=v))
    return out


# --------------------------------------------------------------------------- ship calls
def read_calls(path: str | Path, net: Network, days: int) -> tuple[pd.DataFrame, list[Problem]]:
    """calls.csv: ship, link (a sea link of the data set), size_t (> 0), arrival_day (1 …
    days of the week), demurrage_cny_per_day (≥ 0), read like the data set (full-width digits
    read as meant). Returns (calls, warnings); DataError with every problem at once."""
    label, calls, problems = read_side_table(path, "ship calls", CALL_COLUMNS, CALL_COLUMNS, f"ship calls need {', '.join(CALL_COLUMNS)}",
                                             "no ship calls: a header and no rows; expected one row per ship call")
    sea = set(net.links.loc[net.links["mode"] == "sea", "id"])
    seen: dict[str, int] = {}
    rows = []
    for r in calls.to_dict("records"):
        i = int(r["row"])
        ship = r["ship"].strip()
        if not ship:
            problems.append(Problem(label, "expected a ship name", row=i, column="ship", value=r["ship"]))
        elif ship in seen:
            problems.append(Problem(label, f"ship {ship} is called twice (row {seen[ship]} already); expected one row per ship call", row=i, column="ship", value=ship))
        seen.setdefault(ship, i)
        link = r["link"].strip()
        if link not in sea:
            problems.append(Problem(label, f"expected a sea link id from links.csv (mode sea){did_you_mean(link, sea)}", row=i, column="link", value=link))
        values = {}
        for col, low, whole, high in (("size_t", 0.0, False, None), ("arrival_day", 1.0, True, days), ("demurrage_cny_per_day", 0.0, False, None)):
            try:
                v = float(r[col])
            except ValueError:
                v = math.nan
            ok = math.isfinite(v) and (v > low if col == "size_t" else v >= low) and (not whole or v.is_integer()) and (high is None or v <= high)
            if not ok:
                what = {"size_t": "tonnes > 0", "arrival_day": f"a day 1–{days} of the committed week", "demurrage_cny_per_day": "CNY a day ≥ 0"}[col]
                problems.append(Problem(label, f"expected {what}", row=i, column=col, value=r[col]))
            values[col] = v
        rows.append({"ship": ship, "link": link, **values})
    if any(p.severity == "error" for p in problems):
        raise DataError(problems)
    out = pd.DataFrame(rows)
    out["arrival"] = out["arrival_day"].astype(int) - 1
    return out, problems


@dataclass
class ShipCalls:
    """Layer: whole ship loads on the sea links of ``calls`` (see the module docstring)."""

    calls: pd.DataFrame

    def __call__(self, lp, net: Network, opt) -> None:
        days = net.n_periods
        c = self.calls
        grid = pd.DataFrame([(r.ship, d) for r in c.itertuples() for d in range(int(r.arrival), days)], columns=["ship", "period"])
        served = lp.add_variables("ship_served", "1 if the ship is loaded on that day", ["ship", "period"], grid, 0.0, 1.0, integrality="binary")
        late = lp.add_variables("ship_waits_past_week", "1 if the ship is not loaded this week", ["ship"], c[["ship"]], 0.0, 1.0)
        ship_pos = {s: i for i, s in enumerate(c["ship"])}
        size = c["size_t"].to_numpy(float)
        # Σ_p flow[link, p, d] − Σ_ships size · served = 0 for each called link and day
        fam = lp.variables["flow"]
        idx = fam.index[["link", "period"]]
        links = sorted(set(c["link"]))
        keys = pd.DataFrame([(l, d) for l in links for d in range(days)], columns=["link", "period"])
        row_of = {(l, d): i for i, (l, d) in enumerate(zip(keys["link"], keys["period"]))}
        sel = idx["link"].isin(links).to_numpy()
        f_rows = np.array([row_of[(l, int(d))] for l, d in zip(idx["link"][sel], idx["period"][sel])], np.int64)
        s_rows = np.array([row_of[(c["link"].iloc[ship_pos[s]], int(d))] for s, d in zip(grid["ship"], grid["period"])], np.int64)
        s_coef = -size[[ship_pos[s] for s in grid["ship"]]]
        lp.add_constraints("ship_call_load", "tonnes loaded on a called sea link in a day: exactly the ships loaded that day (t)", ["link", "period"], keys,
                           np.concatenate([f_rows, s_rows]), np.concatenate([fam.cols[sel], served.cols]), np.concatenate([np.ones(sel.sum()), s_coef]), 0.0, 0.0)
        # Σ_d served + waits_past_week = 1
        once_rows = np.concatenate([[ship_pos[s] for s in grid["ship"]], np.arange(len(c))])
        lp.add_constraints("ship_once", "a ship is loaded once, this week or after it", ["ship"], c[["ship"]], np.asarray(once_rows, np.int64),
                           np.concatenate([served.cols, late.cols]), np.ones(len(grid) + len(c)), 1.0, 1.0)
        rate = c["demurrage_cny_per_day"].to_numpy(float)
        waited = grid["period"].to_numpy() - c["arrival"].to_numpy()[[ship_pos[s] for s in grid["ship"]]]
        lp.add_cost("demurrage", np.concatenate([served.cols, late.cols]),
                    np.concatenate([rate[[ship_pos[s] for s in grid["ship"]]] * waited, rate * (days - c["arrival"].to_numpy())]))


@dataclass
class LoadingWindows:
    """Layer: Σ rail tonnes leaving a station in a day ≤ nodes.csv ``loading_t_per_day``."""

    def __call__(self, lp, net: Network, opt) -> None:
        if "loading_t_per_day" not in net.nodes:
            return
        cap = net.nodes.set_index("id")["loading_t_per_day"].dropna()
        if cap.empty:
            return
        rail = net.links[(net.links["mode"] == "rail") & net.links["from"].isin(cap.index)].set_index("id")["from"]
        fam = lp.variables["flow"]
        idx = fam.index[["link", "period"]]
        sel = idx["link"].isin(rail.index).to_numpy()
        station = idx["link"][sel].map(rail).to_numpy()
        keys = pd.DataFrame({"node": station, "period": idx["period"][sel].to_numpy()}).drop_duplicates().sort_values(["node", "period"]).reset_index(drop=True)
        row_of = {(n, int(p)): i for i, (n, p) in enumerate(zip(keys["node"], keys["period"]))}
        rows = np.array([row_of[(n, int(p))] for n, p in zip(station, idx["period"][sel])], np.int64)
        keys["loading_t_per_day"] = keys["node"].map(cap).to_numpy(float)
        lp.add_constraints("loading_window", "rail tonnes loaded at the station in a day, within its loading window (t)", ["node", "period"], keys,
                           rows, fam.cols[sel], np.ones(sel.sum()), -np.inf, keys["loading_t_per_day"].to_numpy(float))


# --------------------------------------------------------------------------- planning the days
@dataclass
class DayPlan:
    """The committed week day by day."""

    plan: object  # Plan of the day network
    days: pd.DataFrame  # link, from, to, mode, product, day, flow_t, trains
    calls: pd.DataFrame  # ship, link, size_t, arrival_day, loaded_day, waited_days, demurrage_cny
    summary: dict


def plan_days(win: Network, opt: Options, week_plan, layers: list, calls: pd.DataFrame | None = None, trainloads: bool = False,
              time_left=None, profile: str | None = None, extend=None) -> DayPlan:
    """Sequence the committed week of ``week_plan`` (a Plan of ``win``) over its days."""
    days = days_in(win)
    problems = check_day_columns(win)
    if problems:
        raise DataError(problems)
    first = week_plan.stocks[week_plan.stocks["period"] == win.periods[0]]
    dnet = day_network(win, first[["node", "product", "stock_t"]])
    day_layers = [*layers, LoadingWindows(), TrainsetCycles()]
    if calls is not None and len(calls):
        day_layers.append(ShipCalls(calls))
    plan, trains, info, timings = solve_window(dnet, opt, day_layers, trainloads, time_left, profile, extend=extend)
    flows = plan.flows.rename(columns={"period": "day"})
    keep = [c for c in ("link", "from", "to", "mode", "product", "day", "flow_t") if c in flows]
    table = flows.loc[flows["flow_t"] > 1e-9, keep].reset_index(drop=True)
    if trains is not None and len(trains):
        t = trains.rename(columns={"week": "day"})[["link", "product", "day", "trains"]]
        table = table.merge(t, on=["link", "product", "day"], how="left")
    call_table = served_calls(timings["lp"], timings["solution"], calls, dnet) if calls is not None and len(calls) else pd.DataFrame(columns=["ship", "link", "size_t", "arrival_day", "loaded_day", "waited_days", "demurrage_cny"])
    end = plan.end_stock
    summary = {
        "days": dnet.periods,
        "method": info.get("method"),
        "status": plan.summary.get("status"),
        "mip_gap": plan.summary["solver"].get("mip_gap"),
        "mip_gap_cny": (plan.summary["solver"]["objective"] - plan.summary["solver"]["dual_bound"]) if plan.summary["solver"].get("dual_bound") is not None else None,
        "cost_cny": plan.kpis["objective"],
        "unmet_t": plan.kpis["unmet_t"],
        "end_of_week_deficit_t": float(end["deficit_t"].sum()) if end is not None and "deficit_t" in end else 0.0,
        "ships": len(call_table),
        "ships_waiting_past_week": int((call_table["loaded_day"] == "").sum()) if len(call_table) else 0,
        "demurrage_cny": float(call_table["demurrage_cny"].sum()) if len(call_table) else 0.0,
        "rule": "the committed week's figures spread evenly over its days; train paths, trainsets, loading windows and ship calls per day; "
                "the week must end with the weekly plan's end-of-week stocks (a shortfall: end-of-week deficit at the end-stock penalty)",
    }
    return DayPlan(plan, table, call_table, summary)


def served_calls(lp, sol, calls: pd.DataFrame, dnet: Network) -> pd.DataFrame:
    """One row per ship call: the day it is loaded ("" if it waits past the week), days waited
    (to the week's end if not loaded) and the demurrage they cost."""
    fam = lp.variables["ship_served"]
    x = sol.x[fam.start : fam.start + fam.size]
    loaded_on = {s: int(d) for s, d, v in zip(fam.index["ship"], fam.index["period"], x) if v > 0.5}
    days = dnet.periods
    out = []
    for r in calls.itertuples():
        d = loaded_on.get(r.ship)
        waited = (d if d is not None else len(days)) - int(r.arrival)
        out.append({"ship": r.ship, "link": r.link, "size_t": r.size_t, "arrival_day": days[int(r.arrival)], "loaded_day": days[d] if d is not None else "",
                    "waited_days": waited, "demurrage_cny": waited * r.demurrage_cny_per_day})
    return pd.DataFrame(out)
