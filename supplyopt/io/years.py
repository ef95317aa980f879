"""years.csv: how demand and mine output move over the years of a plan (``invest --years``).

Each row scales one quantity of the data set's own year — ``demand`` at demand centres or
``mine_output`` (mine capacity) — in one calendar ``year``, for every node (node blank), one
node, or one demand class. A path given at milestone years (2025, 2027, 2030) is read
between them by straight lines and held flat before its first and after its last year. Paths
multiply: the all-nodes path times a node's or a class's own path. A year no row reaches
keeps the data set's figures (scale 1), and is named in the notes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from supplyopt.io.data import Dataset, Problem
from supplyopt.io.network import Network

FILE = "years.csv"
WHAT = {"demand": "demand", "mine_output": "mine_capacity"}  # years.csv's word -> the scenario edit


def check_years(ds: Dataset) -> list[Problem]:
    """years.csv's problems beyond its cells (the reader checks those, and validate's key
    check finds a path given twice for a year): unknown ``what``, a year that is not a whole
    number, a node that is not a demand centre (demand) or a mine (mine_output), an unknown
    demand class. Runs on the tables as read, so it reports beside every other problem."""
    y = ds.tables.get("years")
    if y is None or y.empty:
        return []
    out = []
    kinds = dict(zip(ds.tables["nodes"]["id"], ds.tables["nodes"]["kind"]))
    demand_nodes, mines = set(ds.tables["demand"]["node"]), set(ds.tables["supply"]["node"])
    demand = ds.tables["demand"]
    classes = set(demand["demand_class"].dropna()) if "demand_class" in demand else set()
    label = ds.sources.get("years", FILE)
    for r in y.itertuples():
        row = int(r.row)
        if r.what not in WHAT:
            out.append(Problem(label, f"unknown what; expected one of {', '.join(WHAT)}", row=row, column="what", value=r.what))
        if np.isfinite(r.year) and not float(r.year).is_integer():
            out.append(Problem(label, "expected a calendar year (a whole number, e.g. 2028)", row=row, column="year", value=r.year))
        node = r.node if isinstance(r.node, str) and r.node else None
        if node is not None and r.what in WHAT:
            wanted = demand_nodes if r.what == "demand" else mines
            if node not in wanted:
                what = "a demand centre (demand.csv)" if r.what == "demand" else "a mine (supply.csv)"
                out.append(Problem(label, f"{node} is {'unknown' if node not in kinds else 'a ' + str(kinds[node]) + ' node'}; expected {what}", row=row, column="node", value=node))
        cls = r.demand_class if isinstance(r.demand_class, str) and r.demand_class else None
        if cls is not None and (r.what != "demand" or cls not in classes):
            expected = f"one of {', '.join(sorted(classes))}" if classes else "no class (demand.csv has no demand_class)"
            out.append(Problem(label, f"demand_class applies to what=demand only, and must be {expected}", row=row, column="demand_class", value=cls))
    return out


def scale_at(years: np.ndarray, scales: np.ndarray, year: int) -> float:
    """The path's scale in ``year``: straight lines between the years given, flat outside."""
    order = np.argsort(years)
    return float(np.interp(year, years[order], scales[order]))


def year_edits(net: Network, years: list[int]) -> tuple[dict[int, tuple[list[dict], list[tuple[str, str]]]], list[str]]:
    """For each year, the scenario edits that turn the data set into that year and where each
    comes from (empty: unchanged), and notes for the output."""
    y = net.years
    notes = []
    if y is None or y.empty:
        notes.append("no years.csv: every year has the data set's own demand and output")
        return {yr: ([], []) for yr in years}, notes
    y = y.assign(node=y["node"].fillna(""), demand_class=y["demand_class"].fillna(""))
    first, last = int(y["year"].min()), int(y["year"].max())
    outside = [yr for yr in years if yr < first or yr > last]
    if outside:
        notes.append(f"years.csv covers {first}–{last}: {', '.join(map(str, outside))} held at the nearest year's scale")
    out = {}
    for year in years:
        edits, origins = [], []
        for (what, node, cls), path in y.groupby(["what", "node", "demand_class"], sort=True):
            s = scale_at(path["year"].to_numpy(float), path["scale"].to_numpy(float), year)
            if s == 1.0:
                continue
            edit = {"what": WHAT[what], "scale": s}
            where = {k: v for k, v in (("node", node), ("demand_class", cls)) if v}
            if where:
                edit["where"] = where
            edits.append(edit)
            origins.append((FILE, f"rows {', '.join(str(int(r)) for r in path['row'])}"))
        out[year] = (edits, origins)
    return out, notes
