"""Apply a scenario's edits (``scenarios/*.yaml``) to a checked network.

A scenario scales or sets one quantity on the rows its selector picks, in the periods it
names: a corridor under maintenance, mines stopped for inspection, a cold wave, a port
closed by a storm. The format is documented in ``docs/scenarios.md``. Edits act on the
expanded per-period tables of a :class:`~supplyopt.data.Network`; the input network is left
unchanged and a changed copy is returned.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .data import DataError, Network, Problem, read_yaml


@dataclass(frozen=True)
class Target:
    table: str  # Network attribute
    column: str
    key: str  # the column holding the thing's id
    periodic: bool = True


EDITS = {
    "link_capacity": Target("link_periods", "capacity_t", "link"),
    "link_cost": Target("link_periods", "cost_cny_per_t", "link"),
    "mine_capacity": Target("supply", "capacity_t", "node"),
    "mine_min": Target("supply", "min_t", "node"),
    "mine_cost": Target("supply", "cost_cny_per_t", "node"),
    "demand": Target("demand", "demand_t", "node"),
    "demand_penalty": Target("demand", "penalty_cny_per_t", "node"),
    "safety_stock": Target("storage_periods", "safety_t", "node"),
    "storage_capacity": Target("storage_capacity", "capacity_t", "node"),
    "initial_stock": Target("storage", "initial_t", "node", periodic=False),
    # emergency planning (supplyopt/reserves.py): share 0–1 of a mine's reserve_t called up in
    # the periods named; 1 = reserve stock may go below safety in the periods named;
    # the stock required at the end of the horizon; close_node: every link into or out of
    # the selected nodes closed (a port, a storage base) and their own mining stopped
    "call_reserve": Target("supply", "reserve_called", "node"),
    "release_reserve": Target("storage_periods", "reserve_released", "node"),
    "end_stock": Target("storage", "end_t", "node", periodic=False),
    "close_node": Target("nodes", "closed", "id", periodic=False),
}


@dataclass
class Scenario:
    name: str
    description: str
    edits: list[dict]
    path: str
    paths: list[str] = field(default_factory=list)  # every file it came from, in order


def combine_scenarios(parts: list[Scenario]) -> Scenario:
    """Several scenarios as one whose edits apply in the given order (each edit keeps the
    file it came from, for messages)."""
    if len(parts) == 1:
        return parts[0]
    edits = [{**e, "_file": e.get("_file", s.path)} for s in parts for e in s.edits]
    paths = [p for s in parts for p in (s.paths or [s.path])]
    return Scenario(" + ".join(s.name for s in parts), "; ".join(s.description for s in parts if s.description), edits, parts[0].path, paths)


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file; format problems raise :class:`DataError`."""
    label = str(path)
    file = Path(path)
    if not file.is_file():
        raise DataError([Problem(label, "scenario file not found; expected a YAML file such as scenarios/cold_wave.yaml")])
    problems: list[Problem] = []
    raw = read_yaml(file, label, problems)
    if problems:
        raise DataError(problems)
    if not isinstance(raw, dict) or not isinstance(raw.get("edits"), list):
        raise DataError([Problem(label, "expected a mapping with name, description and a list of edits")])
    for key in raw:
        if key not in ("name", "description", "edits"):
            problems.append(Problem(label, "unknown key; expected name, description, edits", column=str(key)))
    for i, edit in enumerate(raw["edits"], start=1):
        where = f"edits[{i}]"
        if not isinstance(edit, dict):
            problems.append(Problem(label, "expected a mapping with what, where, periods and scale or set", column=where))
            continue
        for key in edit:
            if key not in ("what", "where", "periods", "scale", "set"):
                problems.append(Problem(label, "unknown key; expected what, where, periods, scale, set", column=f"{where}.{key}"))
        if edit.get("what") not in EDITS:
            problems.append(Problem(label, f"expected one of {', '.join(EDITS)}", column=f"{where}.what", value=edit.get("what")))
        if ("scale" in edit) == ("set" in edit) and edit.get("what") != "close_node":
            problems.append(Problem(label, "give exactly one of scale (a factor) or set (a value in the column's unit)", column=where))
        for key in ("scale", "set"):
            v = edit.get(key)
            if key in edit and (isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v < 0):
                problems.append(Problem(label, "expected a finite number ≥ 0", column=f"{where}.{key}", value=v))
        if not isinstance(edit.get("where", {}), dict):
            problems.append(Problem(label, "expected a mapping of column: value (or list of values)", column=f"{where}.where", value=edit.get("where")))
    if problems:
        raise DataError(problems)
    return Scenario(str(raw.get("name") or file.stem), str(raw.get("description") or ""), raw["edits"], label, [label])


def apply_scenario(net: Network, scenario: Scenario) -> Network:
    """A copy of ``net`` with the scenario's edits applied in order.

    A selector that matches nothing, an unknown column or an unknown period is an error:
    a scenario that silently does nothing is worse than one that fails.
    """
    out = copy.copy(net)
    for name in ("link_periods", "supply", "demand", "storage", "storage_periods", "storage_capacity"):
        setattr(out, name, getattr(net, name).copy())
    problems: list[Problem] = []
    for i, edit in enumerate(scenario.edits, start=1):
        if edit["what"] == "close_node":
            _close_node(out, edit, edit.get("_file", scenario.path), f"edits[{i}]", problems)
            continue
        target = EDITS[edit["what"]]
        frame = getattr(out, target.table)
        chosen = _select(out, frame, target, edit, edit.get("_file", scenario.path), f"edits[{i}]", problems)
        if chosen is None:
            continue
        if not _has_reserve(out, edit["what"], frame.loc[chosen]):
            problems.append(Problem(edit.get("_file", scenario.path), f"{edit['what']} selects no reserve; expected mines with reserve_t > 0 (supply.csv) or stocks with reserve = true (storage.csv)", column=f"edits[{i}].where", value=edit.get("where")))
            continue
        if target.column not in frame:  # an optional column (reserve_called …) starts at 0
            frame[target.column] = 0.0
        values = frame.loc[chosen, target.column].to_numpy(float)
        if "scale" in edit:  # unlimited stays unlimited unless scaled to zero
            with np.errstate(invalid="ignore"):  # inf × 0 is handled by the where
                new = np.where(np.isinf(values) & (edit["scale"] == 0), 0.0, values * edit["scale"])
        else:
            new = np.full(len(values), float(edit["set"]))
        frame.loc[chosen, target.column] = new
        if edit["what"] == "mine_capacity":  # a stopped mine cannot keep its minimum output
            frame.loc[chosen, "min_t"] = np.minimum(frame.loc[chosen, "min_t"], frame.loc[chosen, "capacity_t"])
    if problems:
        raise DataError(problems)
    return out


def _has_reserve(net: Network, what: str, rows: pd.DataFrame) -> bool:
    """call_reserve / release_reserve must select at least one reserve (else it would do nothing)."""
    if what == "call_reserve":
        return "reserve_t" in rows and bool((rows["reserve_t"].fillna(0) > 0).any())
    if what == "release_reserve":
        st = net.storage
        if "reserve" not in st:
            return False
        res = st[st["reserve"].fillna(False).astype(bool)]
        return bool(rows.merge(res[["node", "product"]], on=["node", "product"]).shape[0])
    return True


def _close_node(out: Network, edit: dict, label: str, where: str, problems: list[Problem]) -> None:
    """close_node: the nodes ``where`` selects (node columns: id, kind, region, name …) lose
    every link into or out of them (capacity 0 in ``periods``, or the whole horizon), and a
    mine among them stops. ``set``/``scale`` are ignored (a node is closed or not)."""
    nodes = out.nodes
    mask = pd.Series(True, index=nodes.index)
    for col, wanted in (edit.get("where") or {}).items():
        if col not in nodes:
            problems.append(Problem(label, f"unknown selector column; expected one of {', '.join(map(str, nodes.columns))}", column=f"{where}.where.{col}"))
            return
        wanted = wanted if isinstance(wanted, list) else [wanted]
        mask &= nodes[col].astype(str).isin([str(w) for w in wanted])
    closed = set(nodes.loc[mask, "id"])
    if not closed:
        problems.append(Problem(label, "selects no node; check the values against nodes.csv", column=f"{where}.where", value=edit.get("where")))
        return
    links = set(out.links.loc[out.links["from"].isin(closed) | out.links["to"].isin(closed), "id"])
    for table, key, cols in (("link_periods", "link", ["capacity_t"]), ("supply", "node", ["capacity_t", "min_t"])):
        frame = getattr(out, table)
        rows = frame[key].isin(links if key == "link" else closed)
        if "periods" in edit:
            wanted = edit["periods"] if isinstance(edit["periods"], list) else [edit["periods"]]
            index = [out.periods.index(str(p)) if str(p) in out.periods else (p - 1 if isinstance(p, int) and 1 <= p <= out.n_periods else None) for p in wanted]
            if None in index:
                problems.append(Problem(label, f"unknown period; expected a label ({out.periods[0]} … {out.periods[-1]})", column=f"{where}.periods", value=edit["periods"]))
                return
            rows &= frame["period"].isin(index)
        frame.loc[rows, cols] = 0.0


def _attributes(net: Network, frame: pd.DataFrame, target: Target) -> pd.DataFrame:
    """The rows with the columns selectors may use: the table's own, the link's or the
    node's (``kind``, ``region``, ``name``), ``id`` for the thing's id, and for links the
    ends' ``from_kind``, ``from_region``, ``to_kind``, ``to_region``."""
    nodes = net.nodes.set_index("id")
    if target.key == "link":
        links = net.links.drop(columns=["products"]).rename(columns={"id": "link"})
        attrs = frame[["link"]].merge(links, on="link", how="left")
        for end in ("from", "to"):
            for col in ("kind", "region"):
                attrs[f"{end}_{col}"] = attrs[end].map(nodes[col]).to_numpy()
        attrs["id"] = attrs["link"]
    else:
        attrs = frame.reset_index(drop=True).copy()
        for col in nodes.columns:
            if col not in attrs:
                attrs[col] = attrs["node"].map(nodes[col]).to_numpy()
        attrs["id"] = attrs["node"]
    attrs.index = frame.index
    return attrs


def _select(net, frame, target, edit, label, where, problems) -> pd.Index | None:
    attrs = _attributes(net, frame, target)
    mask = pd.Series(True, index=frame.index)
    for col, wanted in (edit.get("where") or {}).items():
        if col not in attrs:
            problems.append(Problem(label, f"unknown selector column; expected one of {', '.join(sorted(map(str, attrs.columns)))}", column=f"{where}.where.{col}"))
            return None
        wanted = wanted if isinstance(wanted, list) else [wanted]
        mask &= attrs[col].astype(str).isin([str(w) for w in wanted])
    if "periods" in edit:
        if not target.periodic:
            problems.append(Problem(label, f"{edit['what']} does not vary by period; remove periods", column=f"{where}.periods"))
            return None
        wanted = edit["periods"] if isinstance(edit["periods"], list) else [edit["periods"]]
        index = []
        for p in wanted:
            if str(p) in net.periods:
                index.append(net.periods.index(str(p)))
            elif isinstance(p, int) and 1 <= p <= net.n_periods:
                index.append(p - 1)
            else:
                problems.append(Problem(label, f"unknown period; expected a label ({net.periods[0]} … {net.periods[-1]}) or a position 1–{net.n_periods}", column=f"{where}.periods", value=p))
                return None
        mask &= frame["period"].isin(index)
    if not mask.any():
        problems.append(Problem(label, f"selects nothing in {target.table}; check the values against the data set", column=f"{where}.where", value=edit.get("where")))
        return None
    return frame.index[mask.to_numpy()]
