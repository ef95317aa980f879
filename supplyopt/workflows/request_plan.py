"""The railway request plan and the berth plan: a weekly run's shipments as a dispatch desk files them.

A railway whole-car order (货物运输服务订单) names the origin and destination stations, the
shipper and consignee, the commodity, the wagon type, the number of wagons and the tonnes
(research notes, dispatch.md §1). :func:`request_plan` writes the plan's rail movements in that
shape: the committed week as one period, the look-ahead in the railway's ten-day periods
(旬: days 1–10, 11–20, 21 to the month's end). An ISO week that straddles two ten-day periods
is split by days: each of its seven days carries a seventh of the week's tonnes (under
``--trainloads``, whole trains are split by the cumulative days, so each piece stays whole).
Sea movements go to :func:`berth_plan` (loading port, destination port, week, ship calls).

Movements that are not shipments — conveyors from a mine to its own plant, coal by wire
(UHV lines) — stay in shipments.csv under their ``movement`` (:func:`movements`) and are
reported apart (:func:`not_shipments`).

Defaults, stated: the wagon type is links.csv's ``wagon`` where given, else C80 on a line
whose ``corridor`` names Daqin (built for it) and C70 elsewhere; payloads C70 70 t, C80 (and
C80A/B/E/H variants) 80 t, C96 96 t. A ship call carries links.csv's ``ship_t`` where given,
else 50,000 t (a 50–60k DWT ship, the size of the Qinhuangdao–Guangzhou and –Xiamen coastal
index routes).
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re

import numpy as np
import pandas as pd

from supplyopt.io.data import DataError, Problem
from supplyopt.io.network import Network
from supplyopt.io.xlsx import tables_workbook

WAGON_PAYLOAD_T = {"C70": 70.0, "C80": 80.0, "C96": 96.0}  # dispatch.md §2; C80A/AH/B/BH/E/EF/EH/H count as C80
DAQIN_WAGON, OTHER_WAGON = "C80", "C70"
SHIP_T = 50_000.0  # coal per ship call where links.csv gives no ship_t
SHIP_CLASS = "50–60k DWT"
NOT_SHIPMENTS = ("conveyor", "uhv")  # movements that need no wagon, ship or truck booking
REQUEST_COLUMNS = ["period", "period_kind", "from_date", "to_date", "days", "origin_station", "destination_station", "line", "commodity",
                   "wagon_type", "wagon_t", "wagons", "trains", "tonnes", "shipper", "consignee", "link"]
BERTH_COLUMNS = ["loading_port", "destination_port", "commodity", "week", "committed", "tonnes", "ship_class", "ship_t", "ship_calls", "link"]


# --------------------------------------------------------------------------- what moves how
def movements(net: Network) -> pd.Series:
    """The movement of each link (index: link id): ``uhv`` for coal by wire (mode uhv, or
    link_role coal_by_wire), ``truck`` for a mode modes.csv marks as trucks (truck, ev_truck),
    else the mode (rail, sea, conveyor, river …). Efficiency below 1 alone does not make a
    link UHV: a rail link may state its losses in transit and is still a shipment."""
    links = net.links.set_index("id")
    truck = set(net.modes.loc[net.modes["truck"].astype(bool), "mode"]) if "truck" in net.modes else {"truck"}
    role = links["link_role"].fillna("").astype(str) if "link_role" in links else pd.Series("", index=links.index)
    mode = links["mode"].astype(str)
    out = mode.where(~mode.isin(truck), "truck")
    return out.where(~((mode == "uhv") | (role == "coal_by_wire")), "uhv").rename("movement")


def wagon_payload_t(wagon: str) -> float | None:
    """Payload of a wagon type (t): C70 70, C80 and its variants 80, C96 96; None if unknown."""
    m = re.fullmatch(r"(C70|C80|C96)[A-Z]{0,2}", str(wagon).strip().upper())
    return WAGON_PAYLOAD_T[m.group(1)] if m else None


def wagon_types(net: Network) -> pd.DataFrame:
    """wagon_type and wagon_t per rail link (index: link id), links.csv's ``wagon`` or the default."""
    links = net.links.set_index("id")
    given = links["wagon"].fillna("").astype(str).str.strip().str.upper() if "wagon" in links else pd.Series("", index=links.index)
    corridor = links["corridor"].fillna("").astype(str) if "corridor" in links else pd.Series("", index=links.index)
    default = np.where(corridor.str.contains("daqin", case=False), DAQIN_WAGON, OTHER_WAGON)
    kind = given.where(given != "", pd.Series(default, index=links.index))
    return pd.DataFrame({"wagon_type": kind, "wagon_t": kind.map(wagon_payload_t)}, index=links.index)


def line_names(net: Network) -> pd.Series:
    """The line of each link (index: link id): links.csv's ``corridor``; where blank, its
    ``link_role`` in brackets (``(siding)``, ``(local_rail)``), else blank."""
    links = net.links.set_index("id")
    corridor = links["corridor"].fillna("").astype(str).str.strip() if "corridor" in links else pd.Series("", index=links.index)
    role = links["link_role"].fillna("").astype(str).str.strip() if "link_role" in links else pd.Series("", index=links.index)
    return corridor.where(corridor != "", role.map(lambda r: f"({r})" if r else ""))


def check_dispatch_columns(net: Network) -> list[Problem]:
    """links.csv's optional dispatch columns: ``wagon`` a known type, ``ship_t`` a number > 0."""
    out = []
    links = net.links
    if "wagon" in links:
        for link, wagon in zip(links["id"], links["wagon"].fillna("").astype(str)):
            if wagon.strip() and wagon_payload_t(wagon) is None:
                out.append(Problem("links.csv", f"unknown wagon type on link {link}; expected C70, C80 (or C80A, C80B, C80E, C80H …) or C96, or blank for the default (C80 on Daqin, C70 elsewhere)", column="wagon", value=wagon))
    if "ship_t" in links:
        size = pd.to_numeric(links["ship_t"], errors="coerce")
        for link, text, value in zip(links["id"], links["ship_t"], size):
            if str(text).strip() not in ("", "nan", "<NA>") and not (value > 0):
                out.append(Problem("links.csv", f"ship size on link {link} is not a number above 0; expected the tonnes one ship call carries (e.g. 50000), or blank for {SHIP_T:,.0f} t", column="ship_t", value=text))
    return out


def require_dispatch_columns(net: Network) -> None:
    """:class:`DataError` (exit 2) with every problem :func:`check_dispatch_columns` finds."""
    problems = check_dispatch_columns(net)
    if problems:
        raise DataError(problems)


# --------------------------------------------------------------------------- the calendar
def week_days(label: str) -> list[dt.date] | None:
    """The seven days of an ISO-week label (``2026-W53`` → 2026-12-28 … 2027-01-03); None for others."""
    m = re.fullmatch(r"(\d{4})-W(\d{1,2})", str(label))
    if not m:
        return None
    try:
        monday = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        return None
    return [monday + dt.timedelta(days=i) for i in range(7)]


def ten_day_period(day: dt.date) -> str:
    """The railway's ten-day period (旬) of a day: ``2026-12 上旬`` (1–10), ``中旬`` (11–20), ``下旬`` (21–end)."""
    part = "上旬" if day.day <= 10 else "中旬" if day.day <= 20 else "下旬"
    return f"{day.year}-{day.month:02d} {part}"


def split_by_ten_days(label: str) -> list[tuple[str, dt.date, dt.date, int]]:
    """The pieces of a week in ten-day periods: (period, first day, last day, days), in order.
    An ISO week straddling two ten-day periods gives two pieces (e.g. 2026-W53: 2026-12 下旬
    28–31 Dec, 4 days; 2027-01 上旬 1–3 Jan, 3 days); a label that is not an ISO week is one
    piece without dates."""
    days = week_days(label)
    if days is None:
        return [(str(label), None, None, None)]
    pieces: list[tuple[str, dt.date, dt.date, int]] = []
    for day in days:
        name = ten_day_period(day)
        if pieces and pieces[-1][0] == name:
            pieces[-1] = (name, pieces[-1][1], day, pieces[-1][3] + 1)
        else:
            pieces.append((name, day, day, 1))
    return pieces


def request_periods(weeks: list[str]) -> pd.DataFrame:
    """The periods of a request plan for a window's weeks: the first (committed) week whole,
    the look-ahead weeks cut into ten-day periods. One row per week piece: week, period,
    period_kind (committed week | ten-day | week), piece_from, piece_to, piece_days; and per
    period its from_date, to_date and days over the whole look-ahead."""
    rows = []
    for i, week in enumerate(weeks):
        if i == 0:
            days = week_days(week)
            rows.append((week, week, "committed week", days[0] if days else None, days[-1] if days else None, 7 if days else None))
            continue
        for name, first, last, n in split_by_ten_days(week):
            rows.append((week, name, "ten-day" if n is not None else "week", first, last, n))
    out = pd.DataFrame(rows, columns=["week", "period", "period_kind", "piece_from", "piece_to", "piece_days"])
    span = out.groupby("period", sort=False).agg(from_date=("piece_from", "min"), to_date=("piece_to", "max"), days=("piece_days", lambda d: d.sum(min_count=1)))
    return out.merge(span, left_on="period", right_index=True, how="left")


# --------------------------------------------------------------------------- the tables
def request_plan(shipments: pd.DataFrame, net: Network, whole_trains: bool = False) -> pd.DataFrame:
    """The railway request plan: one row per period, origin, destination, link and commodity
    of the rail movements in ``shipments`` (shipment_list's table with ``movement``).

    tonnes: the week's shipment_t, or the days' share of it in a ten-day period, in whole
    tonnes (t); line: :func:`line_names`; trains: whole trains under ``whole_trains`` (--trainloads, split by cumulative days), else
    tonnes ÷ train_t to 2 decimals, blank without train_t; wagons: ⌈tonnes ÷ wagon_t⌉.
    Columns: :data:`REQUEST_COLUMNS`."""
    rail = shipments[shipments["movement"] == "rail"]
    if not len(rail):
        return pd.DataFrame(columns=REQUEST_COLUMNS)
    periods = request_periods(list(net.periods))
    pieces = rail.merge(periods, on="week", how="inner")
    size = pieces["link"].map(net.links.set_index("id")["train_t"]).to_numpy(float) if "train_t" in net.links else np.full(len(pieces), np.nan)
    share = np.where(pieces["piece_days"].notna(), pieces["piece_days"].fillna(7).to_numpy(float) / 7.0, 1.0)
    share = np.where(pieces["period_kind"] == "committed week", 1.0, share)
    tonnes = pieces["shipment_t"].to_numpy(float) * share
    trains = np.where(np.isfinite(size) & (size > 0), tonnes / np.where(size > 0, size, 1.0), np.nan)
    if whole_trains:
        whole = _whole_train_pieces(pieces, size)
        tonnes = np.where(np.isfinite(whole), whole * size, tonnes)
        trains = np.where(np.isfinite(whole), whole, trains)
    pieces = pieces.assign(tonnes=tonnes, trains=trains)
    keys = ["period", "origin", "destination", "link", "product"]
    out = pieces.groupby(keys, sort=False).agg(
        period_kind=("period_kind", "first"), from_date=("from_date", "first"), to_date=("to_date", "first"), days=("days", "first"),
        tonnes=("tonnes", "sum"), trains=("trains", lambda t: t.sum(min_count=1))).reset_index()
    out["tonnes"] = np.round(out["tonnes"].to_numpy(float))  # an order is in whole tonnes
    out = out[out["tonnes"] > 0].copy()
    wagons = wagon_types(net).reindex(out["link"])
    out["wagon_type"] = wagons["wagon_type"].to_numpy()
    out["wagon_t"] = wagons["wagon_t"].to_numpy(float)
    out["wagons"] = np.ceil(out["tonnes"].to_numpy(float) / out["wagon_t"].to_numpy(float) - 1e-9).astype(int)
    if not whole_trains:
        out["trains"] = np.round(out["trains"].astype(float), 2)
    links = net.links.set_index("id")
    out["line"] = out["link"].map(line_names(net))
    names = net.nodes.set_index("id")["name"] if "name" in net.nodes else pd.Series(dtype=str)
    out["shipper"] = out["origin"].map(names).fillna(out["origin"]).astype(str)
    out["consignee"] = out["destination"].map(names).fillna(out["destination"]).astype(str)
    out = out.rename(columns={"origin": "origin_station", "destination": "destination_station", "product": "commodity"})
    order = {p: i for i, p in enumerate(dict.fromkeys(periods["period"]))}
    out["_o"] = out["period"].map(order)
    out = out.sort_values(["_o", "origin_station", "destination_station", "commodity", "link"], kind="stable")
    for col in ("from_date", "to_date"):
        out[col] = out[col].map(lambda d: d.isoformat() if isinstance(d, dt.date) else "")
    return out[REQUEST_COLUMNS].reset_index(drop=True)


def with_days(requests: pd.DataFrame, days: pd.DataFrame, net: Network, week: str) -> pd.DataFrame:
    """The request plan with the committed week's rows replaced by one row per day of the day
    plan (``schedule --days``: days.csv's rail movements, period_kind ``day``, its date where the
    week is an ISO week); the look-ahead's ten-day rows as they were."""
    rail = days[days["link"].map(movements(net)).fillna(days["mode"]) == "rail"] if len(days) else days
    if not len(rail):
        return requests[requests["period"] != week].reset_index(drop=True)
    dates = week_days(week) or []
    labels = sorted(set(rail["day"]), key=lambda d: int(str(d).rsplit("-D", 1)[-1]))
    date_of = {d: (dates[int(str(d).rsplit("-D", 1)[-1]) - 1].isoformat() if dates else "") for d in labels}
    shipments = pd.DataFrame({"origin": rail["from"], "destination": rail["to"], "link": rail["link"], "product": rail["product"], "week": rail["day"],
                              "shipment_t": np.round(rail["flow_t"].to_numpy(float)), "movement": "rail"})
    day_net = copy.copy(net)
    day_net.periods = labels
    rows = request_plan(shipments, day_net, whole_trains="trains" in rail and rail["trains"].notna().any())
    rows["period_kind"] = "day"
    rows["from_date"] = rows["period"].map(date_of)
    rows["to_date"] = rows["from_date"]
    rows["days"] = 1
    return pd.concat([rows, requests[requests["period"] != week]], ignore_index=True)[REQUEST_COLUMNS]


def _whole_train_pieces(pieces: pd.DataFrame, size: np.ndarray) -> np.ndarray:
    """Whole trains per week piece: a week's whole trains T split by cumulative days,
    piece k gets round(T × days up to k ÷ 7) − round(T × days before k ÷ 7) (halves up), so
    the pieces are whole and add up to T. NaN where the week's trains are not whole."""
    out = np.full(len(pieces), np.nan)
    total = pieces["trains"].to_numpy(float)
    ok = np.isfinite(total) & (np.abs(total - np.round(total)) < 1e-6) & np.isfinite(size)
    days = pieces["piece_days"].fillna(7).to_numpy(float)
    days = np.where(pieces["period_kind"] == "committed week", 7.0, days)
    seen: dict[tuple, float] = {}
    for i, key in enumerate(zip(pieces["link"], pieces["product"], pieces["week"])):
        if not ok[i]:
            continue
        before = seen.get(key, 0.0)
        seen[key] = before + days[i]
        out[i] = math.floor(total[i] * seen[key] / 7.0 + 0.5) - math.floor(total[i] * before / 7.0 + 0.5)
    return out


def berth_plan(shipments: pd.DataFrame, net: Network) -> pd.DataFrame:
    """The berth plan: one row per sea movement and week — loading port, destination port,
    commodity, week, committed, tonnes, ship class, ship_t (coal per call), ship calls
    ⌈tonnes ÷ ship_t⌉. Columns: :data:`BERTH_COLUMNS`."""
    sea = shipments[(shipments["movement"] == "sea") & (shipments["shipment_t"] > 1e-6)]
    links = net.links.set_index("id")
    given = pd.to_numeric(sea["link"].map(links["ship_t"]), errors="coerce") if "ship_t" in links else pd.Series(np.nan, index=sea.index)
    ship_t = given.fillna(SHIP_T).to_numpy(float)
    tonnes = np.round(sea["shipment_t"].to_numpy(float))  # whole tonnes, as ordered
    out = pd.DataFrame({
        "loading_port": sea["origin"], "destination_port": sea["destination"], "commodity": sea["product"], "week": sea["week"],
        "committed": sea["committed"], "tonnes": tonnes, "ship_class": np.where(given.notna(), [f"{t / 1000:g}k t per call" for t in ship_t], SHIP_CLASS),
        "ship_t": ship_t, "ship_calls": np.ceil(tonnes / ship_t - 1e-9).astype(int), "link": sea["link"],
    })
    out = out[out["tonnes"] > 0]
    order = out["week"].map({w: i for i, w in enumerate(net.periods)})
    out = out.assign(_o=order).sort_values(["_o", "loading_port", "destination_port", "commodity", "link"], kind="stable")
    return out[BERTH_COLUMNS].reset_index(drop=True)


def not_shipments(shipments: pd.DataFrame, week: str | None = None) -> dict[str, float]:
    """Tonnes moved by conveyor and by wire (UHV) — in ``week``, or the whole window."""
    rows = shipments if week is None else shipments[shipments["week"] == week]
    return {m: float(rows.loc[rows["movement"] == m, "shipment_t"].sum()) for m in NOT_SHIPMENTS}


def request_workbook(request: pd.DataFrame, berth: pd.DataFrame) -> bytes:
    """request_plan.xlsx: sheets ``request_plan`` and ``berth_plan``, byte-identical for identical tables."""
    formats = {"tonnes": "#,##0.##", "wagons": "#,##0", "trains": "#,##0.##", "ship_t": "#,##0", "ship_calls": "#,##0", "wagon_t": "0", "days": "0"}
    berth = berth.assign(committed=berth["committed"].map({True: "true", False: "false"}))
    return tables_workbook({"request_plan": request, "berth_plan": berth}, formats)
