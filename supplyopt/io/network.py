"""The checked data set as one row per key and period: the :class:`Network` every later step
(scenario, model, results) works on, made by :func:`expand` from the typed tables that
``data.read_dataset`` returns. Period override rows replace the period-less row of their key;
blank cells in a period row take the period-less value.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from supplyopt.io.data import DEFAULT_MODES, DEFAULT_PRODUCT, DEMAND_QUALITY, TABLES, Dataset
from supplyopt.io.problems import Problem


# --------------------------------------------------------------------------- expanded network
@dataclass
class Network:
    """A checked data set with one row per key and period (periods numbered from 0).

    Tables (units in the column names):
      nodes          id, kind, name, region, lon, lat (+ extra columns)
      modes          mode, truck, clean, co2_kg_per_tkm
      links          id, from, to, mode, distance_km, efficiency, products (tuple, () = all)
      link_periods   link, period, capacity_t (inf = unlimited), cost_cny_per_t
      supply         node, product, period, capacity_t (inf), cost_cny_per_t, min_t
      demand         node, product, period, demand_t, penalty_cny_per_t (NaN = profile default)
      storage        node, product, initial_t, end_t (NaN = profile rule) (+ extra columns)
      storage_periods node, product, period, safety_t, holding_cny_per_t
      storage_capacity node, period, capacity_t (shared by all products; inf = unlimited)
      quality        product, calorific_kcal_per_kg, sulphur_pct (NaN = not given), serves
                     (the demand product a grade is blended into; itself where blank);
                     None without quality.csv
      demand_quality node, product, min_kcal_per_kg, max_sulphur_pct (NaN = no limit),
                     demand_unit (t or tce): demands with a limit or in tce only
    """

    name: str
    description: str
    currency: str
    period_days: float
    periods: list[str]
    products: list[str]
    nodes: pd.DataFrame
    modes: pd.DataFrame
    links: pd.DataFrame
    link_periods: pd.DataFrame
    supply: pd.DataFrame
    demand: pd.DataFrame
    storage: pd.DataFrame
    storage_periods: pd.DataFrame
    storage_capacity: pd.DataFrame
    file_hashes: dict[str, str] = field(default_factory=dict)
    candidates: pd.DataFrame | None = None  # candidates.csv as read (model/candidates.py); None if absent
    years: pd.DataFrame | None = None  # years.csv as read (io/years.py: paths for invest --years); None if absent
    warnings: list[Problem] = field(default_factory=list)
    source: str = ""  # the path it was read from
    language: str | None = None  # report language from network.yaml ("zh", "en"), None = not given
    quality: pd.DataFrame | None = None  # quality.csv: coal grades (model/statement.py blends them); None if absent
    demand_quality: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["node", "product", *DEMAND_QUALITY]))

    @property
    def n_periods(self) -> int:
        return len(self.periods)


def per_period(table: pd.DataFrame, key: list[str], n_periods: int) -> pd.DataFrame:
    """One row per key and period: period rows replace the period-less row of their key,
    blank cells in a period row take the period-less value, and a key with period rows
    only exists in those periods. Rows come sorted by key, then period."""
    table = table.drop(columns="row", errors="ignore")
    is_base = (table["period"] < 0).to_numpy()
    base = table[is_base].drop(columns="period").reset_index(drop=True)
    override = table[~is_base].reset_index(drop=True)
    if len(override) and len(base):
        merged = override.merge(base, on=key, how="left", suffixes=("", "__base"))
        for col in base.columns.difference(key):
            filled = merged[f"{col}__base"]
            if pd.api.types.is_numeric_dtype(merged[col]) or pd.api.types.is_bool_dtype(merged[col]):  # blank = NA
                merged[col] = merged[col].fillna(filled)
            else:  # text: blank means "not given"
                merged[col] = merged[col].where(merged[col] != "", filled.fillna(""))
        override = merged[table.columns]
    # Integer codes for (key, period), keys numbered in sorted order, so that overriding,
    # and sorting work on integers rather than on strings.
    both = pd.concat([base[key], override[key]], ignore_index=True).astype(str)
    joined = both[key[0]]
    for col in key[1:]:
        joined = joined + "\x1f" + both[col]
    codes, _ = pd.factorize(joined, sort=True)
    base_code, over_code = codes[: len(base)], codes[len(base) :]
    rows = np.repeat(np.arange(len(base)), n_periods)
    periods = np.tile(np.arange(n_periods), len(base))
    every_code = base_code[rows] * n_periods + periods
    over_full = over_code * n_periods + override["period"].to_numpy()
    keep = ~np.isin(every_code, over_full)
    every = base.iloc[rows[keep]].reset_index(drop=True)
    every.insert(len(every.columns), "period", periods[keep])
    out = pd.concat([override, every[table.columns]], ignore_index=True)
    order = np.argsort(np.concatenate([over_full, every_code[keep]]), kind="stable")
    return out.iloc[order].reset_index(drop=True)


def products_of(ds: Dataset) -> list[str]:
    """Products named anywhere in the data set, in declared order or sorted."""
    if ds.declared_products:
        return list(ds.declared_products)
    found: set[str] = set()
    for name in ("supply", "demand", "storage"):
        if name in ds.tables:
            found |= set(ds.tables[name]["product"].unique())
    return sorted(found) or [DEFAULT_PRODUCT]


def period_index(cell: str, periods: list[str]) -> int | None:
    """The position (from 0) of a period named by its label or its position from 1; -1 for a
    blank cell; None when it names no period."""
    cell = str(cell).strip()
    if not cell:
        return -1
    if cell in periods:
        return periods.index(cell)
    if cell.isdigit() and 1 <= int(cell) <= len(periods):
        return int(cell) - 1
    return None


def split_products(cell: str) -> tuple[str, ...]:
    """The products a ``products`` cell allows: ``"a; b"`` -> ("a", "b"), blank -> () (all)."""
    return tuple(p.strip() for p in re.split(r"[;|]", cell) if p.strip())


def expand(ds: Dataset) -> Network:
    """Turn a checked :class:`Dataset` into a :class:`Network` (defaults applied)."""
    T = len(ds.periods)
    t = ds.tables
    modes = DEFAULT_MODES.copy()
    if "modes" in t:
        own = t["modes"].drop(columns="row")[list(DEFAULT_MODES.columns)].astype({"truck": bool, "clean": bool})
        modes = pd.concat([own, modes[~modes["mode"].isin(own["mode"])]], ignore_index=True)

    link_rows = per_period(t["links"][["row", "id", "period", "capacity_t", "cost_cny_per_t"]], ["id"], T)
    # what describes a link: its period-less row, or its first period row if it has none
    first = t["links"].sort_values(["id", "period"], key=lambda c: c if c.name == "id" else (c < 0).map({True: 0, False: 1}), kind="stable")
    links = first.drop_duplicates("id").drop(columns=["row", "period", "capacity_t", "cost_cny_per_t"]).copy()
    links["efficiency"] = links["efficiency"].fillna(1.0)
    links["products"] = links["products"].map(split_products)
    link_periods = link_rows[["id", "period", "capacity_t", "cost_cny_per_t"]].rename(columns={"id": "link"})
    link_periods["capacity_t"] = link_periods["capacity_t"].fillna(np.inf)
    if "paths_per_day" in links and "train_t" in links:
        # train paths are capacity: paths a day × days in a period × tonnes a train (schedule --days plans each day)
        paths = (links["paths_per_day"] * links["train_t"] * ds.period_days).to_numpy(float)
        by_link = pd.Series(np.where(np.isnan(paths), np.inf, paths), index=links["id"].to_numpy())
        link_periods["capacity_t"] = np.minimum(link_periods["capacity_t"].to_numpy(float), link_periods["link"].map(by_link).fillna(np.inf).to_numpy(float))

    supply = per_period(t["supply"], ["node", "product"], T)
    supply["capacity_t"] = supply["capacity_t"].fillna(np.inf)
    supply["min_t"] = supply["min_t"].fillna(0.0)

    demand = per_period(t["demand"], ["node", "product"], T)
    demand, demand_quality = split_demand_quality(demand)

    if "storage" in t:
        rows = per_period(t["storage"], ["node", "product"], T)
    else:
        rows = per_period(pd.DataFrame(columns=[c.name for c in TABLES["storage"].columns]).astype(
            {"capacity_t": float, "initial_t": float, "safety_t": float, "holding_cny_per_t": float, "end_t": float, "period": int}
        ), ["node", "product"], T)
    extra = [c for c in rows.columns if c not in TABLES["storage"].by_name and c != "row"]  # the data set's own columns
    reserve_cols = [c for c in ("reserve", "release_cny_per_t") if c in rows and c not in extra]  # optional (reserves.py)
    storage = rows.drop_duplicates(["node", "product"])[["node", "product", "initial_t", "end_t", *reserve_cols, *extra]].reset_index(drop=True)
    storage["initial_t"] = storage["initial_t"].fillna(0.0)
    storage_periods = rows[["node", "product", "period", "safety_t", "holding_cny_per_t"]].fillna(
        {"safety_t": 0.0, "holding_cny_per_t": 0.0}
    )
    # Shared capacity: the value any product row of the node gives (validation checks they agree).
    cap = rows.groupby(["node", "period"], sort=True)["capacity_t"].max().fillna(np.inf)
    storage_capacity = cap.reset_index()

    return Network(
        name=ds.name,
        description=ds.description,
        currency=ds.currency,
        period_days=ds.period_days,
        periods=list(ds.periods),
        products=products_of(ds),
        nodes=t["nodes"].drop(columns="row").reset_index(drop=True),
        modes=modes.reset_index(drop=True),
        links=links.reset_index(drop=True),
        link_periods=link_periods.reset_index(drop=True),
        supply=supply,
        demand=demand,
        storage=storage,
        storage_periods=storage_periods.reset_index(drop=True),
        storage_capacity=storage_capacity,
        file_hashes=dict(ds.file_hashes),
        language=ds.language,
        candidates=t["candidates"].reset_index(drop=True) if "candidates" in t else None,
        years=t["years"].reset_index(drop=True) if "years" in t else None,
        quality=grades(t["quality"]) if "quality" in t else None,
        demand_quality=demand_quality,
    )


def grades(table: pd.DataFrame) -> pd.DataFrame:
    """quality.csv as the model reads it: one row per grade, ``serves`` filled with the grade
    itself where blank."""
    out = table.drop(columns="row", errors="ignore")[["product", "calorific_kcal_per_kg", "sulphur_pct", "serves"]].reset_index(drop=True)
    out["serves"] = out["serves"].where(out["serves"] != "", out["product"])
    return out


def split_demand_quality(demand: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(demand without its quality columns, one row per (node, product) that has a quality
    limit or counts in tce). The quality columns are static, so the first row of a key holds
    them; the demand table keeps exactly the columns it had before they existed."""
    cols = [c for c in DEMAND_QUALITY if c in demand]
    limits = demand.drop_duplicates(["node", "product"])[["node", "product", *cols]].reindex(columns=["node", "product", *DEMAND_QUALITY])
    limits["demand_unit"] = limits["demand_unit"].fillna("").astype(str).str.strip().str.lower().replace("", "t")
    given = limits["min_kcal_per_kg"].notna() | limits["max_sulphur_pct"].notna() | (limits["demand_unit"] != "t")
    return demand.drop(columns=cols).reset_index(drop=True), limits[given].reset_index(drop=True)


def serving_grades(net: Network, open_only: bool = False) -> pd.DataFrame:
    """Which grades can reach each demand: one row (node, product, grade) for every demand
    (node, product) and every grade that counts as its product there — the product itself, or
    a grade of quality.csv that ``serves`` it — and has a chain of links allowing it from a
    mine or stock of it. ``open_only``: only mines with capacity and stocks above 0 t and
    links open (capacity above 0) in some period, what a plan can use; else every mine, store
    and link, what a scenario could open."""
    keys = net.demand[["node", "product"]].drop_duplicates()
    demanded = set(keys["product"])
    counts_for: dict[str, set[str]] = {p: {p} for p in demanded}
    if net.quality is not None:
        for grade, product in zip(net.quality["product"], net.quality["serves"]):
            if product != grade and product in demanded:
                counts_for.setdefault(grade, set()).add(product)
    supply, storage, link_periods = net.supply, net.storage, net.link_periods
    if open_only:
        supply = supply[supply["capacity_t"] > 0]
        storage = storage[storage["initial_t"] > 0]
        link_periods = link_periods[link_periods["capacity_t"] > 0]
    links = net.links[net.links["id"].isin(set(link_periods["link"]))]
    rows = []
    for grade in sorted(counts_for):
        sources = set(supply.loc[supply["product"] == grade, "node"]) | set(storage.loc[storage["product"] == grade, "node"])
        if not sources:
            continue
        allowed = links[links["products"].map(lambda ps: not ps or grade in ps)]
        successors: dict[str, list[str]] = {}
        for a, b in zip(allowed["from"].tolist(), allowed["to"].tolist()):
            successors.setdefault(a, []).append(b)
        seen, frontier = set(sources), list(sources)
        while frontier:
            frontier = [b for a in frontier for b in successors.get(a, ()) if b not in seen and not seen.add(b)]
        for product in sorted(counts_for[grade]):
            for node in keys.loc[(keys["product"] == product) & keys["node"].isin(seen), "node"]:
                rows.append((node, product, grade))
    return pd.DataFrame(rows, columns=["node", "product", "grade"]).drop_duplicates().reset_index(drop=True)


def with_candidate_links(net: Network) -> Network:
    """A shallow copy of ``net`` whose links include every link candidate of candidates.csv
    as if built: each ``new_link`` a link with its capacity in every period, each
    ``link_capacity`` candidate's capacity added to its link in every period. The one place
    candidate links join the network: the checks that depend on which links exist (reachability,
    free cycles, grades reaching a demand) read it when a command may build candidates, and
    ``model.candidates.with_candidates`` builds the model's network on it (its build rows take
    back what is not built or not yet open). ``net`` itself when it has no candidates."""
    if net.candidates is None or net.candidates.empty:
        return net
    cands = net.candidates.sort_values("id", kind="stable")
    out = copy.copy(net)
    T = net.n_periods
    periods = np.arange(T)
    new = cands[cands["kind"] == "new_link"]
    link_periods = net.link_periods
    if len(new):
        rows = pd.DataFrame({
            "id": new["id"], "from": new["from"], "to": new["to"], "mode": new["mode"],
            "distance_km": new["distance_km"], "efficiency": new["efficiency"].fillna(1.0),
            "products": new["products"].map(split_products),
        })
        links = pd.concat([net.links, rows], ignore_index=True)
        for col in net.links.columns.difference(rows.columns):  # the data set's own columns (corridor …)
            if links[col].dtype == object or pd.api.types.is_string_dtype(links[col]):
                links[col] = links[col].fillna("")
        out.links = links
        per = pd.DataFrame({
            "link": np.repeat(new["id"].to_numpy(), T), "period": np.tile(periods, len(new)),
            "capacity_t": np.repeat(new["capacity_t"].to_numpy(float), T), "cost_cny_per_t": np.repeat(new["cost_cny_per_t"].to_numpy(float), T),
        })
        link_periods = pd.concat([link_periods, per], ignore_index=True)
    else:
        link_periods = link_periods.copy()
    up = cands[cands["kind"] == "link_capacity"].groupby("link")["capacity_t"].sum()
    link_periods["capacity_t"] = link_periods["capacity_t"] + link_periods["link"].map(up).fillna(0.0)
    # model.flow_variables relies on (link, period) order
    out.link_periods = link_periods.sort_values(["link", "period"], kind="stable").reset_index(drop=True)
    return out
