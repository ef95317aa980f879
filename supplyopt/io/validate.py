"""Checks on a read data set: every problem at once, each with file, row, column and value.

:func:`check` returns problems (errors and warnings); :func:`validate` returns the expanded
:class:`~supplyopt.data.Network` or raises :class:`~supplyopt.data.DataError`.
Rows in messages count data rows from 1 (the header line is not counted).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from supplyopt.io.data import DEFAULT_MODES, DEMAND_UNITS, NODE_KINDS, TABLES, DataError, Dataset, Problem
from supplyopt.io.years import check_years
from supplyopt.io.network import Network, expand, period_index, products_of, serving_grades, split_products, with_candidate_links


def validate(ds: Dataset, count_candidates: bool = False) -> Network:
    """The checked network, or :class:`DataError` carrying every error (and warnings).

    ``count_candidates``: the checks that depend on which links exist (demand centres reached,
    free cycles, grades reaching a demand) count every candidate of candidates.csv as built,
    as ``evaluate``, ``invest`` and ``frontier --with-candidates`` may build them: a demand
    centre or mine connected only through candidates is then a warning naming them, not an
    error (a greenfield study). Without it (``solve`` and every command that builds nothing)
    such a network is refused, the message naming the candidates that would connect it."""
    problems, net = _check(ds, count_candidates)
    if net is None:
        raise DataError(problems)
    net.warnings = [p for p in problems if p.severity != "error"]
    return net


def check(ds: Dataset, count_candidates: bool = False) -> list[Problem]:
    """All problems in a data set: errors first, in file and row order, then warnings
    (``count_candidates`` as in :func:`validate`)."""
    return _check(ds, count_candidates)[0]


def _check(ds: Dataset, count_candidates: bool = False) -> tuple[list[Problem], Network | None]:
    """Problems, and the expanded network when there is no error."""
    problems = list(ds.problems)
    if not ds.periods or any(name not in ds.tables for name, s in TABLES.items() if s.required):
        return problems, None  # the checks below need the core tables
    t = ds.tables
    for name, frame in t.items():
        problems += _required_values(frame, name, ds)
        problems += _duplicates(frame, name, ds)
        problems += _period_rows(frame, name, ds)
    problems += _nodes(t["nodes"], ds)
    problems += _case_variants(ds)
    problems += _references(ds)
    problems += _links(t["links"], ds)
    problems += _supply(t["supply"], ds)
    if "storage" in t:
        problems += _storage(t["storage"], ds)
    if "candidates" in t:
        problems += _candidates(t["candidates"], ds)
    problems += _demand_units(t["demand"], ds)
    if "quality" in t:
        problems += _quality(t["quality"], ds)
    problems += check_years(ds)
    net = None
    if not any(p.severity == "error" for p in problems):
        net = expand(ds)
        problems += _network(ds, net, count_candidates)
    problems = sorted(problems, key=_reading_order)
    return problems, (net if not any(p.severity == "error" for p in problems) else None)


_FILE_ORDER = {name: i for i, name in enumerate(["network"] + list(TABLES))}


def _reading_order(p: Problem) -> tuple:
    """Errors before warnings, then files in the order a reader meets them, then rows."""
    table = p.file.split("[")[-1].rstrip("]").lower().removesuffix(".csv").removesuffix(".yaml")
    return (p.severity != "error", _FILE_ORDER.get(table, 99), p.row or 0)


# --------------------------------------------------------------------------- per table
def _has_base(frame: pd.DataFrame, key: list[str]) -> pd.Series:
    """For each row: does its key have a period-less row?"""
    base_keys = frame.loc[frame["period"] == -1, key].drop_duplicates()
    flag = frame[key].merge(base_keys.assign(_b=True), on=key, how="left")["_b"]
    return flag.fillna(False).astype(bool).to_numpy()


def _required_values(frame: pd.DataFrame, name: str, ds: Dataset) -> list[Problem]:
    spec = TABLES[name]
    label = ds.sources[name]
    out = []
    inherits = None  # period rows whose key has a period-less row: worked out where a cell is blank
    for col in spec.columns:
        if not col.needs_value or col.name not in frame or col.name in ds.missing_columns.get(label, ()):
            continue
        values = frame[col.name]
        blank = (values == "") if col.kind == "text" else values.isna()
        if not blank.any():
            continue
        if inherits is None:
            inherits = (frame["period"] >= 0).to_numpy() & _has_base(frame, list(spec.key)) if "period" in frame else np.zeros(len(frame), bool)
        # Unreadable cells were reported while reading; only report truly blank ones.
        raw_blank = blank & ~inherits
        if col.kind == "number":
            raw_blank &= ~_was_unreadable(ds, label, frame, col.name)
        for row in frame.loc[raw_blank, "row"]:
            out.append(Problem(label, f"is blank; expected a value for {col.name}", row=int(row), column=col.name, value=""))
    return out


def _was_unreadable(ds: Dataset, label: str, frame: pd.DataFrame, column: str) -> np.ndarray:
    bad = {p.row for p in ds.problems if p.file == label and p.column == column}
    return frame["row"].isin(bad).to_numpy()


def _duplicates(frame: pd.DataFrame, name: str, ds: Dataset) -> list[Problem]:
    spec = TABLES[name]
    key = list(spec.key) + (["period"] if "period" in frame else [])
    if "period" in frame:
        frame = frame[frame["period"] != -2]  # unknown periods are reported already
    dup = frame.duplicated(key, keep="first")
    out = []
    if not dup.any():
        return out
    first_row = frame.drop_duplicates(key).set_index(key)["row"]
    for _, r in frame[dup].iterrows():
        k = tuple(r[c] for c in key)
        what = ", ".join(f"{c} {r[c]}" for c in spec.key)
        when = "" if r.get("period", -1) < 0 else f" in period {ds.periods[int(r['period'])]}"
        first = first_row.loc[k if len(k) > 1 else k[0]]
        out.append(Problem(ds.sources[name], f"duplicate {what}{when}: row {int(first)} already has it; keys must be unique (key plus period)", row=int(r["row"]), column=spec.key[0], value=r[spec.key[0]]))
    return out


def _period_rows(frame: pd.DataFrame, name: str, ds: Dataset) -> list[Problem]:
    """Period rows may not change what describes the thing (from, to, initial stock …)."""
    spec = TABLES[name]
    if "period" not in frame or not (frame["period"] >= 0).any():
        return []
    label = ds.sources[name]
    key = list(spec.key)
    out = []
    base = frame[frame["period"] == -1].drop_duplicates(key)
    periodic = frame[frame["period"] >= 0]
    merged = periodic.merge(base, on=key, how="left", suffixes=("", "__base"), indicator=True)
    orphan = merged["_merge"] == "left_only"
    if name == "storage" and orphan.any():
        for row, node, period in zip(merged.loc[orphan, "row"], merged.loc[orphan, "node"], merged.loc[orphan, "period"]):
            out.append(Problem(label, f"period row for node {node} without a period-less row for the same node and product; storage needs one (it carries initial_t)", row=int(row), column="period", value=ds.periods[int(period)]))
    for col in spec.static:
        mine, theirs = merged[col], merged[f"{col}__base"]
        if pd.api.types.is_numeric_dtype(mine):
            differs = mine.notna() & theirs.notna() & ~np.isclose(mine.fillna(0), theirs.fillna(0))
        else:
            differs = (mine != "") & theirs.notna() & (mine != theirs.fillna(""))
        differs &= ~orphan
        if not differs.any():
            continue
        for row, a, b in zip(merged.loc[differs, "row"], mine[differs], theirs[differs]):
            out.append(Problem(label, f"period row differs from the period-less row ({b}); {col} cannot change by period", row=int(row), column=col, value=a))
    return out


def _nodes(nodes: pd.DataFrame, ds: Dataset) -> list[Problem]:
    label = ds.sources["nodes"]
    out = []
    bad_kind = ~nodes["kind"].isin(NODE_KINDS) & (nodes["kind"] != "")
    for row, kind in zip(nodes.loc[bad_kind, "row"], nodes.loc[bad_kind, "kind"]):
        out.append(Problem(label, f"unknown node kind; expected one of {', '.join(NODE_KINDS)}", row=int(row), column="kind", value=kind))
    for col, lo, hi in (("lon", -180, 180), ("lat", -90, 90)):
        off = (nodes[col] < lo) | (nodes[col] > hi)
        for row, v in zip(nodes.loc[off, "row"], nodes.loc[off, col]):
            out.append(Problem(label, f"out of range; expected degrees between {lo} and {hi}", row=int(row), column=col, value=v))
    return out


def _case_variants(ds: Dataset) -> list[Problem]:
    """Ids, products, modes and regions that differ only in case (``mine_a`` and ``Mine_A``):
    the tool matches them exactly, so they would silently be two different things. Ids,
    products and modes are errors; regions (only used to select rows) are warnings."""
    t = ds.tables
    out = []
    checks = [("nodes", "id", "node id", "error"), ("links", "id", "link id", "error"), ("nodes", "region", "region", "warning")]
    for name, col, what, severity in checks:
        frame = t[name].drop_duplicates(col)
        frame = frame[frame[col] != ""]
        first = {}
        for row, value in zip(frame["row"], frame[col]):
            key = value.casefold()
            if key in first and first[key][1] != value:
                out.append(Problem(ds.sources[name], f"{what} differs from {first[key][1]!r} (row {first[key][0]}) only in case; names are case-sensitive, so these are two different {what}s: use one spelling", row=int(row), column=col, value=value, severity=severity))
            first.setdefault(key, (int(row), value))
    seen: dict[str, tuple[str, str, int]] = {}
    uses = [(n, "product") for n in ("supply", "demand", "storage") if n in t] + ([("modes", "mode")] if "modes" in t else [])
    for mode in DEFAULT_MODES["mode"]:
        seen.setdefault("mode:" + mode.casefold(), (mode, "built-in modes", 0))
    for name, col in uses:
        kind = "mode" if col == "mode" else "product"
        frame = t[name].drop_duplicates(col)
        for row, value in zip(frame["row"], frame[col]):
            key = f"{kind}:{value.casefold()}"
            if key in seen and seen[key][0] != value:
                spelled, where, first_row = seen[key]
                at = f"{where} row {first_row}" if first_row else where
                out.append(Problem(ds.sources[name], f"{kind} differs from {spelled!r} ({at}) only in case; names are case-sensitive, so these would be two different {kind}s: use one spelling", row=int(row), column=col, value=value))
            seen.setdefault(key, (value, ds.sources[name], int(row)))
    return out


def _references(ds: Dataset) -> list[Problem]:
    t = ds.tables
    node_ids = set(t["nodes"]["id"].unique())
    modes = set(DEFAULT_MODES["mode"]) | (set(t["modes"]["mode"].unique()) if "modes" in t else set())
    products = set(products_of(ds))
    out = []

    def unknown(name: str, col: str, allowed: set[str], expected: str) -> None:
        frame = t[name]
        bad = ~frame[col].isin(allowed) & (frame[col] != "")
        for row, value in zip(frame.loc[bad, "row"], frame.loc[bad, col]):
            out.append(Problem(ds.sources[name], f"unknown {expected}{did_you_mean(value, allowed)}", row=int(row), column=col, value=value))

    node_expected = "node; expected an id from nodes.csv"
    for name, col in (("supply", "node"), ("demand", "node"), ("storage", "node"), ("links", "from"), ("links", "to")):
        if name in t:
            unknown(name, col, node_ids, node_expected)
    unknown("links", "mode", modes, f"mode; expected one of {', '.join(sorted(modes))} (or add it to modes.csv)")
    if ds.declared_products:
        for name in ("supply", "demand", "storage"):
            if name in t:
                unknown(name, "product", products, f"product; expected one of the products in network.yaml ({', '.join(ds.declared_products)})")
    links = t["links"][t["links"]["products"] != ""]
    for row, cell in zip(links["row"], links["products"]):
        for p in split_products(cell):
            if p not in products:
                out.append(Problem(ds.sources["links"], f"unknown product {p!r}; expected products named in supply, demand or storage ({', '.join(sorted(products))}), separated by ';'", row=int(row), column="products", value=cell))
    return out


def closest(value: str, allowed: set[str]) -> str | None:
    """The allowed value ``value`` was probably meant to be: the same but for case, the one
    label it ends (``W50`` for ``2026-W50``), or a close spelling; None if none is close."""
    import difflib

    same_case = [a for a in allowed if a.lower() == value.lower()]
    ending = [a for a in allowed if len(value) >= 2 and a.lower().endswith(("-" + value).lower())]
    close = same_case or (ending if len(ending) == 1 else []) or difflib.get_close_matches(value, sorted(allowed), n=1, cutoff=0.75)
    return close[0] if close else None


def did_you_mean(value: str, allowed: set[str]) -> str:
    close = closest(value, allowed)
    return f" (did you mean '{close}'?)" if close else ""


def _links(links: pd.DataFrame, ds: Dataset) -> list[Problem]:
    label = ds.sources["links"]
    out = []
    loop = (links["from"] == links["to"]) & (links["from"] != "")
    for row, node in zip(links.loc[loop, "row"], links.loc[loop, "from"]):
        out.append(Problem(label, "link goes from a node to itself; expected different from and to nodes", row=int(row), column="to", value=node))
    eff = links["efficiency"]
    bad = eff.notna() & ((eff <= 0) | (eff > 1))
    for row, v in zip(links.loc[bad, "row"], eff[bad]):
        out.append(Problem(label, "expected an efficiency above 0 and at most 1 (share of entering tonnes that arrive)", row=int(row), column="efficiency", value=v))
    if "train_t" in links:
        for row, v in zip(links.loc[links["train_t"] == 0, "row"], links.loc[links["train_t"] == 0, "train_t"]):
            out.append(Problem(label, "expected tonnes per train above 0 (leave blank for a link without trainloads)", row=int(row), column="train_t", value=v))
    return out


def _supply(supply: pd.DataFrame, ds: Dataset) -> list[Problem]:
    bad = supply["min_t"].notna() & supply["capacity_t"].notna() & (supply["min_t"] > supply["capacity_t"])
    return [
        Problem(ds.sources["supply"], f"min_t is above capacity_t ({cap:g}); expected min_t ≤ capacity_t", row=int(row), column="min_t", value=mn)
        for row, mn, cap in zip(supply.loc[bad, "row"], supply.loc[bad, "min_t"], supply.loc[bad, "capacity_t"])
    ]


def _storage(storage: pd.DataFrame, ds: Dataset) -> list[Problem]:
    """Capacity is shared by the node's products: stock levels are compared with it summed."""
    label = ds.sources["storage"]
    out = []
    # Product rows of one node must not disagree about the shared capacity.
    given = storage[storage["capacity_t"].notna()]
    spread = given.groupby(["node", "period"])["capacity_t"].agg(["min", "max"])
    for (node, period), r in spread[spread["min"] != spread["max"]].iterrows():
        rows = given[(given["node"] == node) & (given["period"] == period)]
        out.append(Problem(label, f"capacity_t differs between product rows of node {node} ({r['min']:g} vs {r['max']:g}); it is shared by all products, give one value", row=int(rows["row"].iloc[-1]), column="capacity_t", value=rows["capacity_t"].iloc[-1]))
    base = storage[storage["period"] == -1]
    cap = base.groupby("node")["capacity_t"].max()
    for col, what in (("initial_t", "initial stock"), ("safety_t", "safety stock"), ("end_t", "end stock")):
        total = base.groupby("node")[col].sum(min_count=1)
        over = total[(total > cap.reindex(total.index)) & total.notna()]
        for node, amount in over.items():
            rows = base[base["node"] == node]
            row = rows.loc[rows[col].idxmax()]
            out.append(Problem(label, f"{what} at node {node} ({amount:g} t over all products) is above its capacity_t ({cap[node]:g} t)", row=int(row["row"]), column=col, value=row[col]))
    periodic = storage[(storage["period"] >= 0) & storage["safety_t"].notna()]
    if not periodic.empty:
        # the period's own capacity where a row gives one, else the period-less capacity
        caps = storage.groupby(["node", "period"])["capacity_t"].max().rename("period_cap").reset_index()
        checked = periodic.merge(caps, on=["node", "period"], how="left")
        checked["cap"] = checked["period_cap"].fillna(checked["node"].map(cap))
        over = checked[checked["safety_t"] > checked["cap"]]
        for row, c, period, value in zip(over["row"], over["cap"], over["period"], over["safety_t"]):
            out.append(Problem(label, f"safety stock above capacity_t ({c:g} t) in period {ds.periods[int(period)]}", row=int(row), column="safety_t", value=value))
    return out


def _demand_units(demand: pd.DataFrame, ds: Dataset) -> list[Problem]:
    """demand_unit is t (the default) or tce (tonnes of standard coal, 7,000 kcal/kg)."""
    unit = demand["demand_unit"].str.strip().str.lower()
    bad = (unit != "") & ~unit.isin(DEMAND_UNITS)
    return [
        Problem(ds.sources["demand"], "unknown demand unit; expected t (tonnes, the default) or tce (tonnes of standard coal of 7,000 kcal/kg)", row=int(row), column="demand_unit", value=value)
        for row, value in zip(demand.loc[bad, "row"], demand.loc[bad, "demand_unit"])
    ]


def _quality(quality: pd.DataFrame, ds: Dataset) -> list[Problem]:
    """quality.csv: each row a grade the network knows, with a calorific value above 0, serving
    a product the network knows that is not itself blended into another."""
    label = ds.sources["quality"]
    products = set(products_of(ds))
    named = ", ".join(sorted(products))
    out = []
    for row, product in zip(quality["row"], quality["product"]):
        if product and product not in products:
            out.append(Problem(label, f"unknown product{did_you_mean(product, products)}; expected a product of the network ({named}): a grade named in supply, demand or storage", row=int(row), column="product", value=product))
    zero = quality["calorific_kcal_per_kg"] == 0
    for row, value in zip(quality.loc[zero, "row"], quality.loc[zero, "calorific_kcal_per_kg"]):
        out.append(Problem(label, "expected a calorific value above 0 kcal/kg (leave it blank where not known)", row=int(row), column="calorific_kcal_per_kg", value=value))
    serves = dict(zip(quality["product"], quality["serves"].where(quality["serves"] != "", quality["product"])))
    for row, grade, target in zip(quality["row"], quality["product"], quality["serves"]):
        if not target or target == grade:
            continue
        if target not in products:
            out.append(Problem(label, f"unknown product in serves{did_you_mean(target, products)}; expected the demand product this grade may be delivered for ({named}), or blank for itself", row=int(row), column="serves", value=target))
        elif serves.get(target, target) != target:
            out.append(Problem(label, f"serves {target}, which itself serves {serves[target]}; a grade blends into one demand product: name {serves[target]} here, or leave {target}'s serves blank", row=int(row), column="serves", value=target))
    return out


CANDIDATE_KINDS = ("new_link", "new_storage", "link_capacity", "storage_capacity")


def _unlimited_in_some_period(rows: pd.DataFrame, periods: int) -> bool:
    """Whether a link's or storage node's rows leave its capacity blank (unlimited) in some
    period. A blank cell in a period row takes the period-less row's value (period -1), so a
    forecast row that changes only safety_t keeps the capacity; only a blank period-less
    capacity with some period not given one by its own row is unlimited."""
    if "period" not in rows:
        return bool(rows["capacity_t"].isna().any())
    base = rows[rows["period"] < 0]
    if len(base) and base["capacity_t"].notna().all():
        return False
    given = rows.loc[(rows["period"] >= 0) & rows["capacity_t"].notna(), "period"].nunique()
    return given < periods


def _candidates(cands: pd.DataFrame, ds: Dataset) -> list[Problem]:
    """Investment candidates: each kind names its target, ids referred to exist, numbers
    make sense (docs/data-format.md, candidates.csv)."""
    label, t = ds.sources["candidates"], ds.tables
    nodes = set(t["nodes"]["id"])
    links = t["links"]
    link_ids = set(links["id"])
    modes = set(DEFAULT_MODES["mode"]) | (set(t["modes"]["mode"]) if "modes" in t else set())
    products = set(products_of(ds))
    stores = t["storage"] if "storage" in t else pd.DataFrame(columns=["node", "capacity_t"])
    ids = set(cands["id"])
    new_links = set(cands.loc[cands["kind"] == "new_link", "id"])
    out = []

    def bad(row, column, value, message):
        out.append(Problem(label, message, row=int(row), column=column, value=value))

    for _, r in cands.iterrows():
        row, kind = r["row"], r["kind"]
        if kind not in CANDIDATE_KINDS:
            bad(row, "kind", kind, f"unknown candidate kind; expected one of {', '.join(CANDIDATE_KINDS)}")
            continue
        if kind == "new_link":
            for col in ("from", "to", "mode"):
                if r[col] == "":
                    bad(row, col, "", "is blank; a new_link candidate needs from, to, mode, distance_km and cost_cny_per_t")
            for col in ("distance_km", "cost_cny_per_t"):
                if pd.isna(r[col]):
                    bad(row, col, "", "is blank; a new_link candidate needs from, to, mode, distance_km and cost_cny_per_t")
            for col in ("from", "to"):
                if r[col] and r[col] not in nodes:
                    bad(row, col, r[col], f"unknown node; expected an id from nodes.csv{did_you_mean(r[col], nodes)}")
            if r["from"] and r["from"] == r["to"]:
                bad(row, "to", r["to"], "a new link goes from a node to itself; expected different from and to nodes")
            if r["mode"] and r["mode"] not in modes:
                bad(row, "mode", r["mode"], f"unknown mode; expected one of {', '.join(sorted(modes))}")
            if r["id"] in link_ids:
                bad(row, "id", r["id"], "a new_link candidate's id is already a link in links.csv; expected a new id (it becomes the link's id)")
            if pd.notna(r["efficiency"]) and not 0 < r["efficiency"] <= 1:
                bad(row, "efficiency", r["efficiency"], "expected an efficiency above 0 and at most 1")
        elif kind == "link_capacity" and r["link"] in new_links:
            if r["link"] not in split_products(r["requires"]):
                bad(row, "requires", r["requires"], f"raises the capacity of candidate link {r['link']}, so it must require it; expected {r['link']} in requires")
        elif kind == "link_capacity":
            if r["link"] not in link_ids:
                bad(row, "link", r["link"], f"unknown link; a link_capacity candidate names a link id from links.csv (or a new_link candidate it requires){did_you_mean(r['link'], link_ids)}")
            elif _unlimited_in_some_period(links[links["id"] == r["link"]], len(ds.periods)):
                bad(row, "link", r["link"], "this link's capacity is unlimited (blank capacity_t) in some period: raising it changes nothing; expected a link with a finite capacity_t")
        elif kind == "new_storage":
            if r["node"] not in nodes:
                bad(row, "node", r["node"], f"unknown node; expected an id from nodes.csv{did_you_mean(r['node'], nodes)}")
            elif r["node"] in set(stores["node"]):
                bad(row, "node", r["node"], "this node already has storage in storage.csv; expected kind storage_capacity to enlarge it")
        else:  # storage_capacity
            held = stores[stores["node"] == r["node"]]
            if held.empty:
                bad(row, "node", r["node"], "no storage at this node in storage.csv; expected a node with storage (or kind new_storage)")
            elif _unlimited_in_some_period(held, len(ds.periods)):
                bad(row, "node", r["node"], "this node's storage is unlimited (blank capacity_t): enlarging it changes nothing; expected a finite capacity_t")
        if kind in ("new_link", "new_storage"):
            for p in split_products(r["products"]):
                if p not in products:
                    bad(row, "products", r["products"], f"unknown product {p!r}; expected products named in supply, demand or storage ({', '.join(sorted(products))}), separated by ';'")
        if pd.notna(r["capacity_t"]) and r["capacity_t"] <= 0:
            bad(row, "capacity_t", r["capacity_t"], "expected a capacity above 0 t per period (what the candidate adds)")
        if pd.notna(r["lifetime_years"]) and r["lifetime_years"] <= 0:
            bad(row, "lifetime_years", r["lifetime_years"], "expected a lifetime above 0 years")
        if pd.notna(r["discount_rate"]) and r["discount_rate"] >= 1:
            bad(row, "discount_rate", r["discount_rate"], "expected a yearly discount rate as a share, 0 ≤ rate < 1 (0.06 for 6 %)")
        if period_index(r["earliest_period"], ds.periods) is None:
            bad(row, "earliest_period", r["earliest_period"], f"unknown period; expected a label from network.yaml ({', '.join(ds.periods[:3])} …) or a position 1–{len(ds.periods)}")
        for col in ("excludes", "requires"):
            for other in split_products(r[col]):
                if other == r["id"]:
                    bad(row, col, r[col], f"a candidate cannot name itself in {col}")
                elif other not in ids:
                    bad(row, col, r[col], f"unknown candidate {other!r}; expected ids from candidates.csv separated by ';'")
    return out + _candidate_rules(cands, label)


def _candidate_rules(cands: pd.DataFrame, label: str) -> list[Problem]:
    """Requirements and exclusions that contradict each other. Building a candidate means
    building everything it requires, directly or through others (the closure); if two
    candidates of that closure exclude each other (either naming the other), the candidate can
    never be built: an error on its row, naming the chain. A requirement cycle whose members
    are compatible (a requires b, b requires a) means they are built together: a warning."""
    ids = list(cands["id"])
    known = set(ids)
    rows = dict(zip(cands["id"], cands["row"]))
    cells = {col: dict(zip(cands["id"], cands[col])) for col in ("requires", "excludes")}
    requires = {c: [r for r in split_products(cells["requires"][c]) if r in known and r != c] for c in ids}
    excluded = {frozenset((a, b)) for a in ids for b in split_products(cells["excludes"][a]) if b in known and b != a}
    out = []

    def chain(a: str) -> dict[str, str | None]:
        """Everything ``a`` requires, directly or through others: {candidate: the one requiring it}."""
        via: dict[str, str | None] = {a: None}
        todo = [a]
        while todo:
            c = todo.pop(0)
            for r in requires[c]:
                if r not in via:
                    via[r] = c
                    todo.append(r)
        return via

    def route(via: dict, x: str) -> list[str]:
        steps = []
        while via[x] is not None:
            steps.append(f"{via[x]} requires {x}")
            x = via[x]
        return steps[::-1]

    closures = {c: chain(c) for c in ids}
    for a in ids:
        via = closures[a]
        clashes = sorted(tuple(sorted(p)) for p in excluded if p <= set(via))
        for x, y in clashes:
            reasons = list(dict.fromkeys(route(via, x) + route(via, y)))
            names = x if x == a else y if y == a else None
            column = "excludes" if names is not None and (y if names == x else x) in split_products(cells["excludes"][a]) else "requires"
            out.append(Problem(label, f"contradictory rules: building {a} means building {', '.join(sorted(set(via) - {a}))} ({'; '.join(reasons)}), "
                                      f"but {x} and {y} exclude each other: {a} could never be built; remove the requirement or the exclusion",
                               row=int(rows[a]), column=column, value=cells[column][a]))
    seen: set[str] = set()
    for a in ids:
        cycle = sorted(c for c in closures[a] if a in closures[c])
        if len(cycle) > 1 and a not in seen:
            seen |= set(cycle)
            if not any(p <= set(closures[a]) for p in excluded):
                out.append(Problem(label, f"candidates {', '.join(cycle)} require one another (a cycle): they are built together, as one, and their build costs count together against the budget",
                                   row=int(rows[a]), column="requires", value=cells["requires"][a], severity="warning"))
    return out


# --------------------------------------------------------------------------- whole network
def _network(ds: Dataset, net: Network, count_candidates: bool = False) -> list[Problem]:
    """Graph and balance checks on the expanded network (only once the tables are clean).
    ``count_candidates``: the link-dependent checks read the network with every candidate link
    built (:func:`~supplyopt.io.network.with_candidate_links`)."""
    built = with_candidate_links(net)  # net itself without candidates
    links_net = built if count_candidates else net
    out = _free_cycles(links_net, ds)
    sources = {"demand": ds.sources["demand"], "supply": ds.sources["supply"]}
    demand = net.demand[net.demand["demand_t"] > 0]
    supplied = set(net.supply["product"].unique())
    stocked = set(net.storage.loc[net.storage["initial_t"] > 0, "product"].unique())
    first_row = ds.tables["demand"].drop_duplicates(["node", "product"]).set_index(["node", "product"])["row"]
    blended = _blended_into(net)
    for product, rows in demand.groupby("product", sort=True):
        grades = [product, *blended.get(product, [])]  # grades of quality.csv that serve it count as it
        if not supplied & set(grades):
            sev = "warning" if stocked & set(grades) else "error"
            what = "only initial stock can serve it" if sev == "warning" else "no mine produces it and no node holds it"
            row = first_row.get((rows["node"].iloc[0], product))
            out.append(Problem(sources["demand"], f"product {product!r} has demand but no supply: {what}", row=int(row) if row is not None else None, column="product", value=product, severity=sev))
            continue
        sources_of = {grade: set(net.supply.loc[net.supply["product"] == grade, "node"].unique()) | set(
            net.storage.loc[(net.storage["product"] == grade) & (net.storage["initial_t"] > 0), "node"].unique()
        ) for grade in grades}
        reachable: set[str] = set()
        for grade in grades:
            reachable |= _reachable(_product_links(net, grade), sources_of[grade])  # one search from all sources
        carrying = " or ".join(repr(g) for g in grades)
        for node in sorted(set(rows["node"].unique()) - reachable):
            row = first_row.get((node, product))
            through = _candidates_reaching(net, built, grades, sources_of, node)
            where = {"row": int(row) if row is not None else None, "column": "node", "value": node}
            if through and count_candidates:
                out.append(Problem(sources["demand"], f"demand centre {node} can be reached only through candidate(s) {', '.join(through)} (candidates.csv): a plan that builds none of them leaves its demand unmet, at its penalty", severity="warning", **where))
            elif through:
                out.append(Problem(sources["demand"], f"demand centre {node} cannot be reached: no chain of links carrying {carrying} leads to it from a mine or stock; candidate(s) {', '.join(through)} in candidates.csv would connect it: study them with supplyopt evaluate or invest (solve builds no candidate)", **where))
            else:
                out.append(Problem(sources["demand"], f"demand centre {node} cannot be reached: no chain of links carrying {carrying} leads to it from a mine or stock", **where))
        capacity = net.supply.loc[net.supply["product"].isin(grades), "capacity_t"].sum()
        stock = net.storage.loc[net.storage["product"].isin(grades), "initial_t"].sum()
        need = rows["demand_t"].sum()
        if capacity + stock < need:
            out.append(Problem(sources["supply"], f"total supply capacity of {carrying} over the horizon ({capacity:,.0f} t) plus initial stock ({stock:,.0f} t) is below total demand ({need:,.0f} t): some demand will go unmet", severity="warning"))
    if count_candidates:
        out += _mines_only_through_candidates(ds, net, built)
    return out + _demand_quality(ds, links_net, first_row)


def _candidate_link_ids(net: Network) -> dict[str, list[str]]:
    """Links that exist only if a candidate is built -> the candidates that make them: a
    ``new_link`` candidate's own link, and a link closed in every period (capacity 0) that
    ``link_capacity`` candidates open."""
    if net.candidates is None:
        return {}
    c = net.candidates
    out = {i: [i] for i in c.loc[c["kind"] == "new_link", "id"]}
    open_links = set(net.link_periods.loc[net.link_periods["capacity_t"] > 0, "link"])
    for link, ups in c[c["kind"] == "link_capacity"].groupby("link")["id"]:
        if link not in open_links and link not in out:
            out[link] = sorted(ups)
    return out


def _candidates_reaching(net: Network, built: Network, grades: list[str], sources_of: dict[str, set[str]], node: str) -> list[str]:
    """The candidates on some route from a mine or stock to ``node`` in the network with every
    candidate built (``built``), sorted; [] when no route reaches it even then. A candidate
    link a → b is on a route when a can be reached from a source and ``node`` from b."""
    made_by = _candidate_link_ids(net)
    if not made_by:
        return []
    out: set[str] = set()
    for grade in grades:
        succ = _product_links(built, grade)
        ahead = _reachable(succ, sources_of[grade])
        if node not in ahead:
            continue
        pred: dict[str, list[str]] = {}
        for a, bs in succ.items():
            for b in bs:
                pred.setdefault(b, []).append(a)
        behind = _reachable(pred, {node})
        links = built.links[built.links["id"].isin(set(made_by))]
        for link, a, b, ps in zip(links["id"], links["from"], links["to"], links["products"]):
            if (not ps or grade in ps) and a in ahead and b in behind:
                out |= set(made_by[link])
    return sorted(out)


def _mines_only_through_candidates(ds: Dataset, net: Network, built: Network) -> list[Problem]:
    """A mine with capacity whose every open link out is a candidate: a warning naming them
    (its output is used only if one is built)."""
    made_by = _candidate_link_ids(net)
    open_now = set(net.link_periods.loc[net.link_periods["capacity_t"] > 0, "link"])
    open_built = set(built.link_periods.loc[built.link_periods["capacity_t"] > 0, "link"])
    first_row = ds.tables["supply"].drop_duplicates("node").set_index("node")["row"]
    out = []
    for mine in sorted(set(net.supply.loc[net.supply["capacity_t"] > 0, "node"])):
        leaving = built.links.loc[built.links["from"] == mine, "id"]
        if leaving.isin(open_now).any():
            continue
        through = sorted({c for link in leaving if link in open_built and link in made_by for c in made_by[link]})
        if through:
            row = first_row.get(mine)
            out.append(Problem(ds.sources["supply"], f"mine {mine} can send coal out only through candidate(s) {', '.join(through)} (candidates.csv): a plan that builds none of them leaves its output unused",
                               row=int(row) if row is not None else None, column="node", value=mine, severity="warning"))
    return out


def _blended_into(net: Network) -> dict[str, list[str]]:
    """For each product, the other grades of quality.csv that serve it."""
    if net.quality is None:
        return {}
    q = net.quality[net.quality["serves"] != net.quality["product"]]
    return {p: sorted(g) for p, g in q.groupby("serves")["product"]}


def _demand_quality(ds: Dataset, net: Network, first_row: pd.Series) -> list[Problem]:
    """A demand with a quality limit, or counted in tce, needs the quality of every grade that
    can reach it (its own product and the grades serving it, along any link that could open);
    a grade that serves a product cannot have demand of its own where that product is demanded
    (every tonne of it arriving there is blended into the other)."""
    label = ds.sources["demand"]
    out = []
    limits = net.demand_quality
    keys = set(zip(net.demand["node"], net.demand["product"]))
    serves = dict(zip(net.quality["product"], net.quality["serves"])) if net.quality is not None else {}
    for node, product in sorted(keys):
        target = serves.get(product, product)
        if target != product and (node, target) in keys:
            row = first_row.get((node, product))
            out.append(Problem(label, f"demand for {product!r} at {node}, where {product!r} serves {target!r} (quality.csv), which {node} also demands: every tonne of {product!r} arriving there is blended into {target!r}, so this demand could never be served; remove one of the two demands or the serves entry", row=int(row) if row is not None else None, column="product", value=product))
    if limits.empty:
        return out
    quality = net.quality.set_index("product") if net.quality is not None else pd.DataFrame(columns=["calorific_kcal_per_kg", "sulphur_pct"])
    reach = serving_grades(net)
    for r in limits.itertuples(index=False):
        grades = sorted(reach.loc[(reach["node"] == r.node) & (reach["product"] == r.product), "grade"])
        row = first_row.get((r.node, r.product))
        needs = [("calorific_kcal_per_kg", "min_kcal_per_kg", r.min_kcal_per_kg, pd.notna(r.min_kcal_per_kg)),
                 ("demand_unit", "demand_unit", r.demand_unit, r.demand_unit == "tce"),
                 ("sulphur_pct", "max_sulphur_pct", r.max_sulphur_pct, pd.notna(r.max_sulphur_pct))]
        for value_col, column, value, wanted in needs:
            if not wanted:
                continue
            need = "calorific_kcal_per_kg" if value_col == "demand_unit" else value_col
            missing = [g for g in grades if g not in quality.index or pd.isna(quality.loc[g, need])]
            if missing:
                what = "no quality.csv" if net.quality is None else f"quality.csv gives no {need} for {', '.join(missing)}"
                out.append(Problem(label, f"{r.node} ({r.product}) has {column} {value if column == 'demand_unit' else format(value, 'g')}, but {what}, which can reach it: give {need} of every grade that can be delivered there", row=int(row) if row is not None else None, column=column, value=value))
    return out


def _free_cycles(net: Network, ds: Dataset) -> list[Problem]:
    """Links that cost nothing and lose nothing must not form a cycle: the plan could then
    send coal round it for free, and flows, utilisation and t·km would be meaningless."""
    free_ids = net.link_periods.groupby("link")["cost_cny_per_t"].max()
    free_ids = set(free_ids[free_ids <= 0].index)
    free = net.links[net.links["id"].isin(free_ids) & (net.links["efficiency"] >= 1)]
    if len(free) < 2:  # a cycle needs two links; networkx is imported only when it might find one
        return []
    import networkx as nx

    graph = nx.DiGraph()
    for link, a, b in zip(free["id"], free["from"], free["to"]):
        graph.add_edge(a, b, link=link)
    rows = ds.tables["links"].drop_duplicates("id").set_index("id")["row"]
    # with candidates counted (validate's count_candidates) a new_link candidate may close the cycle
    cand_rows = ds.tables["candidates"].set_index("id")["row"] if "candidates" in ds.tables else pd.Series(dtype=int)
    out = []
    for component in sorted(nx.strongly_connected_components(graph), key=min):
        if len(component) < 2:
            continue
        cycle = nx.find_cycle(graph.subgraph(component))
        links = [graph.edges[a, b]["link"] for a, b in cycle]
        where = "rows " + ", ".join(str(int(rows[lk])) if lk in rows.index else f"candidates.csv row {int(cand_rows[lk])}" for lk in links)
        first = next((lk for lk in links if lk in rows.index), None)
        label, row = (ds.sources["links"], int(rows[first])) if first is not None else (ds.sources["candidates"], int(cand_rows[links[0]]))
        out.append(Problem(label, f"links {' → '.join(links)} ({where}) form a cycle that costs nothing (cost_cny_per_t 0, efficiency 1): coal could circulate on it for free; give at least one of them a cost", row=row, column="cost_cny_per_t", value=0))
    return out


def _product_links(net: Network, product: str) -> dict[str, list[str]]:
    """Successors of each node over the links that allow ``product`` and are open
    (capacity above zero) in some period."""
    allowed = net.links["products"].map(lambda ps: not ps or product in ps)
    open_links = net.link_periods.loc[net.link_periods["capacity_t"] > 0, "link"].unique()
    usable = net.links[allowed & net.links["id"].isin(open_links)]
    successors: dict[str, list[str]] = {}
    for a, b in zip(usable["from"].tolist(), usable["to"].tolist()):
        successors.setdefault(a, []).append(b)
    return successors


def _reachable(successors: dict[str, list[str]], sources: set[str]) -> set[str]:
    """Nodes reachable from any of ``sources`` (sources included): a breadth-first search,
    which spares a solve the import of networkx (about 0.2 s)."""
    seen, frontier = set(sources), list(sources)
    while frontier:
        nxt = []
        for node in frontier:
            for succ in successors.get(node, ()):
                if succ not in seen:
                    seen.add(succ)
                    nxt.append(succ)
        frontier = nxt
    return seen
