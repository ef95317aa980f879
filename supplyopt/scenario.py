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
        if ("scale" in edit) == ("set" in edit):
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
    edited: dict[str, pd.Series] = {}  # table -> the last edit (file, edits[i]) that changed each row
    for i, edit in enumerate(scenario.edits, start=1):
        target = EDITS[edit["what"]]
        frame = getattr(out, target.table)
        chosen = _select(out, frame, target, edit, edit.get("_file", scenario.path), f"edits[{i}]", problems)
        if chosen is None:
            continue
        who = edited.setdefault(target.table, pd.Series(None, index=frame.index, dtype=object))
        who.loc[chosen] = [(edit.get("_file", scenario.path), f"edits[{i}]")] * len(chosen)
        values = frame.loc[chosen, target.column].to_numpy(float)
        if "scale" in edit:  # unlimited stays unlimited unless scaled to zero
            with np.errstate(invalid="ignore"):  # inf × 0 is handled by the where
                new = np.where(np.isinf(values) & (edit["scale"] == 0), 0.0, values * edit["scale"])
        else:
            new = np.full(len(values), float(edit["set"]))
        frame.loc[chosen, target.column] = new
        if edit["what"] == "mine_capacity":  # a stopped mine cannot keep its minimum output
            frame.loc[chosen, "min_t"] = np.minimum(frame.loc[chosen, "min_t"], frame.loc[chosen, "capacity_t"])
    if not problems:
        problems = check_edited(out, edited)
    if problems:
        raise DataError(problems)
    return out


def check_edited(net: Network, edited: dict[str, pd.Series]) -> list[Problem]:
    """The edited network checked again, like validate.py checks the data: rules that hold
    between columns (min_t ≤ capacity_t, safety and initial stock within the store) may break
    after an edit. Each problem names the scenario file and the edit that broke the rule."""
    out = []

    def blame(table: str, rows) -> tuple[str, str] | None:
        who = edited.get(table)
        return None if who is None else next((w for w in who.loc[rows] if isinstance(w, tuple)), None)

    s = net.supply
    for r in np.flatnonzero((s["min_t"] > s["capacity_t"] * (1 + 1e-12)).to_numpy()):
        row = s.index[r]
        where = blame("supply", [row])
        if where:
            out.append(Problem(where[0], f"after this edit min_t ({s.at[row, 'min_t']:,.0f} t) is above capacity_t ({s.at[row, 'capacity_t']:,.0f} t) at mine {s.at[row, 'node']}, "
                               f"{s.at[row, 'product']}, period {net.periods[int(s.at[row, 'period'])]}; expected min_t ≤ capacity_t (lower mine_min too)", column=where[1], value=float(s.at[row, "min_t"])))
    sp = net.storage_periods.merge(net.storage_capacity, on=["node", "period"], how="left").set_index(net.storage_periods.index)
    total = sp["safety_t"]
    for r in np.flatnonzero((total > sp["capacity_t"].fillna(np.inf) * (1 + 1e-12)).to_numpy()):
        row = sp.index[r]
        cap_rows = net.storage_capacity.index[(net.storage_capacity["node"] == sp.at[row, "node"]) & (net.storage_capacity["period"] == sp.at[row, "period"])]
        where = blame("storage_periods", [row]) or blame("storage_capacity", cap_rows)
        if where:
            out.append(Problem(where[0], f"after this edit the safety stock at {sp.at[row, 'node']} in period {net.periods[int(sp.at[row, 'period'])]} ({total.iloc[r]:,.0f} t) "
                               f"is above the store's capacity_t ({sp.at[row, 'capacity_t']:,.0f} t); expected safety ≤ capacity", column=where[1]))
            break
    first = net.storage_capacity[net.storage_capacity["period"] == 0].set_index("node")["capacity_t"]
    initial = net.storage.groupby("node")["initial_t"].sum()
    for node in initial.index[(initial > first.reindex(initial.index).fillna(np.inf) * (1 + 1e-12)).to_numpy()]:
        cap_rows = net.storage_capacity.index[(net.storage_capacity["node"] == node) & (net.storage_capacity["period"] == 0)]
        where = blame("storage", net.storage.index[net.storage["node"] == node]) or blame("storage_capacity", cap_rows)
        if where:
            out.append(Problem(where[0], f"after this edit the initial stock at {node} ({initial[node]:,.0f} t) is above its capacity_t in the first period ({first[node]:,.0f} t)", column=where[1]))
    return out


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
