"""Apply a scenario's edits (``scenarios/*.yaml``) to a checked network.

A scenario scales or sets one quantity on the rows its selector picks, in the periods it
names: a corridor under maintenance, mines stopped for inspection, a cold wave, a port
closed by a storm. The format is documented in ``docs/scenarios.md``. Edits act on the
expanded per-period tables of a :class:`~supplyopt.data.Network`; the input network is left
unchanged and a changed copy is returned.

Several scenario files (``--scenario a.yaml --scenario b.yaml``, or ``include:`` inside a
file) combine into one :class:`Scenario` whose edits apply in order: included files first,
then the including file's own edits, then the next file given.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from supplyopt.io.data import DataError, Problem, read_yaml
from supplyopt.io.matching import looks_like, normalise
from supplyopt.io.network import Network
from supplyopt.io.validate import closest, did_you_mean


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


# Planner words for the network tables that edits change (messages never name internal tables).
TABLE_WORDS = {
    "link_periods": "links.csv (link rows by period)",
    "supply": "supply.csv (mine rows by period)",
    "demand": "demand.csv (demand rows by period)",
    "storage": "storage.csv",
    "storage_periods": "storage.csv (storage rows by period)",
    "storage_capacity": "storage.csv (storage capacity by node and period)",
}


@dataclass
class Scenario:
    """Edits to apply in order. ``paths`` lists every file read (includes too, in the
    order read) and ``sha256`` their hashes; ``origins`` says, for each edit, the file and
    position it came from (for messages)."""

    name: str
    description: str
    edits: list[dict]
    path: str
    paths: list[str] = field(default_factory=list)
    sha256: dict[str, str] = field(default_factory=dict)
    origins: list[tuple[str, str]] = field(default_factory=list)

    def record(self) -> dict:
        """What ``summary.json`` records: every scenario file with its SHA-256, in order."""
        return {"name": self.name, "path": self.paths[0] if len(self.paths) == 1 else None, "sha256": self.sha256.get(self.paths[0]) if len(self.paths) == 1 else None,
                "files": [{"path": p, "sha256": self.sha256[p]} for p in self.paths]}


def no_scenario_record() -> dict:
    return {"name": None, "path": None, "sha256": None, "files": []}


def load_scenarios(paths: list[str | Path]) -> Scenario:
    """Several scenario files combined into one, their edits applied in the order given."""
    return combine_scenarios([load_scenario(p) for p in paths])


def combine_scenarios(parts: list[Scenario]) -> Scenario:
    """Several scenarios as one whose edits apply in the given order; each edit keeps the
    file and position it came from, for messages."""
    if len(parts) == 1:
        return parts[0]
    combined = Scenario(" + ".join(p.name for p in parts), "; ".join(p.description for p in parts if p.description), [], str(parts[0].path))
    for part in parts:
        combined.edits += part.edits
        combined.origins += part.origins or [(part.path, f"edits[{i}]") for i in range(1, len(part.edits) + 1)]
        combined.paths += part.paths
        combined.sha256.update(part.sha256)
    return combined


def load_scenario(path: str | Path, _seen: tuple[str, ...] = ()) -> Scenario:
    """Read a scenario file and the files it includes; format problems raise :class:`DataError`."""
    label = str(path)
    file = Path(path)
    if file.is_dir():
        found = sorted(file.glob("*.y*ml"))
        raise DataError([Problem(label, "is a folder; expected a scenario file" + (f" such as {found[0]}, or all of them in one run: supplyopt sweep DATA --scenarios '{file}/*.yaml'" if found else ""))])
    if not file.is_file():
        near = difflib.get_close_matches(file.name, [p.name for p in file.parent.glob("*.y*ml")], n=1) if file.parent.is_dir() else []
        hint = f" (did you mean {str(file.parent / near[0])!r}?)" if near else ""
        raise DataError([Problem(label, f"scenario file not found{hint}; expected a YAML file such as scenarios/cold_wave.yaml")])
    here = str(file.resolve())
    if here in _seen:
        raise DataError([Problem(label, "includes itself (directly or through another file); remove the cycle", column="include")])
    problems: list[Problem] = []
    raw = read_yaml(file, label, problems)
    if problems:
        raise DataError(problems)
    if not isinstance(raw, dict) or not isinstance(raw.get("edits", []), list) or not ("edits" in raw or "include" in raw):
        profile = isinstance(raw, dict) and not ({"edits", "include"} & set(raw))
        raise DataError([Problem(label, "expected a mapping with name, description, include (optional) and a list of edits"
                                        + (" (it has none: if it is a model profile, it goes to --model)" if profile else ""))])
    for key in raw:
        if key not in ("name", "description", "edits", "include"):
            problems.append(Problem(label, "unknown key; expected name, description, include, edits", column=str(key)))
    includes = raw.get("include") or []
    includes = includes if isinstance(includes, list) else [includes]
    included = []
    for inc in includes:
        if not isinstance(inc, str) or not inc.strip():
            problems.append(Problem(label, "expected a scenario file path (relative to this file) or a list of them", column="include", value=inc))
            continue
        target = file.parent / inc
        if not target.is_file():
            problems.append(Problem(label, f"included scenario file not found (looked for {target})", column="include", value=inc))
            continue
        try:
            included.append(load_scenario(target, _seen + (here,)))
        except DataError as err:  # its problems with this file's, and what of it is well formed
            problems += err.problems
            if getattr(err, "partial", None) is not None:
                included.append(err.partial)
    raw.setdefault("edits", [])
    kept = []  # (position, edit): the well-formed edits, and of the others what points somewhere
    for i, edit in enumerate(raw["edits"], start=1):
        before = len(problems)
        _check_edit(edit, label, f"edits[{i}]", problems)
        probe = edit if len(problems) == before else _pointer(edit)
        if probe is not None:
            kept.append((i, probe))
    own = Scenario(str(raw.get("name") or file.stem), str(raw.get("description") or ""), [], label)
    for part in included:
        own.edits += part.edits
        own.origins += part.origins
        own.paths += [p for p in part.paths if p not in own.paths]
        own.sha256.update(part.sha256)
    own.edits += [e for _, e in kept]
    own.origins += [(label, f"edits[{i}]") for i, _ in kept]
    own.paths.append(label)
    own.sha256[label] = hashlib.sha256(file.read_bytes()).hexdigest()
    if problems:
        # what can be applied goes with the error: a caller holding the network applies it
        # too (study.scenario), so that an unknown node is reported beside a bad number
        err = DataError(problems)
        err.partial = own
        raise err
    return own


def _pointer(edit) -> dict | None:
    """Of an edit with a problem, what still says where it points (what, where, periods) with
    no change of value (scale 1), so that applying it finds only selection problems; None
    where it cannot be applied at all."""
    if not isinstance(edit, dict) or edit.get("what") not in EDITS or not isinstance(edit.get("where", {}), dict):
        return None
    out = {k: v for k, v in edit.items() if k in ("what", "where", "periods")}
    return out if edit["what"] == "close_node" else {**out, "scale": 1.0}


def _check_edit(edit, label: str, where: str, problems: list[Problem]) -> None:
    """The format of one edit (what, where, periods, scale or set, known_from)."""
    if not isinstance(edit, dict):
        problems.append(Problem(label, "expected a mapping with what, where, periods and scale or set", column=where))
        return
    for key in edit:
        if key not in ("what", "where", "periods", "scale", "set", "known_from"):
            problems.append(Problem(label, "unknown key; expected what, where, periods, scale, set, known_from", column=f"{where}.{key}"))
    known = edit.get("known_from")
    if "known_from" in edit and (isinstance(known, bool) or not isinstance(known, (str, int)) or (isinstance(known, str) and not known.strip())):
        problems.append(Problem(label, "expected the period the plan learns of this edit: a period label (2026-W50) or a position from 1", column=f"{where}.known_from", value=known))
    if edit.get("what") not in EDITS:
        problems.append(Problem(label, f"expected one of {', '.join(EDITS)}", column=f"{where}.what", value=edit.get("what")))
    if ("scale" in edit) == ("set" in edit) and edit.get("what") != "close_node":
        problems.append(Problem(label, "give exactly one of scale (a factor) or set (a value in the column's unit)", column=where))
    for key in ("scale", "set"):
        v = edit.get(key)
        if key in edit and (isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v < 0):
            problems.append(Problem(label, "expected a finite number ≥ 0" + _written_as(v), column=f"{where}.{key}", value=v))
    if not isinstance(edit.get("where", {}), dict):
        problems.append(Problem(label, "expected a mapping of column: value (or list of values)", column=f"{where}.where", value=edit.get("where")))


def _written_as(value) -> str:
    """A hint where a text is a number written with full-width or invisible characters (YAML
    reads it as text): how to write it."""
    if not isinstance(value, str):
        return ""
    meant = normalise(value).replace(",", "")
    try:
        float(meant)
    except ValueError:
        return ""
    return f" (it is written with full-width or special characters, so YAML reads it as text; write {meant})"


def apply_scenario(net: Network, scenario: Scenario) -> Network:
    """A copy of ``net`` with the scenario's edits applied in order.

    A selector that matches nothing, an unknown column or an unknown period is an error:
    a scenario that silently does nothing is worse than one that fails.
    """
    out = copy.copy(net)
    for name in ("link_periods", "supply", "demand", "storage", "storage_periods", "storage_capacity"):
        setattr(out, name, getattr(net, name).copy())
    problems: list[Problem] = []
    origins = scenario.origins or [(scenario.path, f"edits[{i}]") for i in range(1, len(scenario.edits) + 1)]
    edited: dict[str, pd.Series] = {}  # table -> the last edit (file, edits[i]) that changed each row
    for edit, (label, where) in zip(scenario.edits, origins):
        if edit["what"] == "close_node":
            _close_node(out, edit, label, where, problems)
            continue
        target = EDITS[edit["what"]]
        frame = getattr(out, target.table)
        chosen = _select(out, frame, target, edit, label, where, problems)
        if chosen is None:
            continue
        who = edited.setdefault(target.table, pd.Series(None, index=frame.index, dtype=object))
        who.loc[chosen] = [(label, where)] * len(chosen)
        if not _has_reserve(out, edit["what"], frame.loc[chosen]):
            problems.append(Problem(label, f"{edit['what']} selects no reserve; expected mines with reserve_t > 0 (supply.csv) or stocks with reserve = true (storage.csv)", column=f"{where}.where", value=edit.get("where")))
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
    node's (``kind``, ``region``, ``name``), ``id`` for the thing's id, for links the
    ends' ``from_kind``, ``from_region``, ``to_kind``, ``to_region``, and for storage edits
    the storage table's own extra columns."""
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
        if target.table.startswith("storage"):  # storage.csv's own columns, whichever storage table is edited
            on = ["node", "product"] if "product" in attrs else ["node"]
            extra = net.storage.drop(columns=[c for c in net.storage.columns if c in attrs and c not in on]).drop_duplicates(on)
            attrs = attrs.merge(extra, on=on, how="left")
        for col in nodes.columns:
            if col not in attrs:
                attrs[col] = attrs["node"].map(nodes[col]).to_numpy()
        attrs["id"] = attrs["node"]
    attrs.index = frame.index
    return attrs


def period_position(net, p) -> int | None:
    """A period given as a label (``2026-W50``) or a position from 1, as its position from 0;
    None if it is neither."""
    if str(p) in net.periods:
        return net.periods.index(str(p))
    if isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= net.n_periods:
        return p - 1
    return None


def _select(net, frame, target, edit, label, where, problems) -> pd.Index | None:
    attrs = _attributes(net, frame, target)
    mask = pd.Series(True, index=frame.index)
    for col, wanted in (edit.get("where") or {}).items():
        if col not in attrs:

            close = [str(c) for c in attrs.columns if looks_like(str(col), str(c))]
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(Problem(label, f"unknown selector column{hint}; expected one of {', '.join(sorted(map(str, attrs.columns)))}", column=f"{where}.where.{col}"))
            return None
        wanted = wanted if isinstance(wanted, list) else [wanted]
        present = set(attrs[col].astype(str))
        unmatched = [w for w in wanted if str(w) not in present]
        if unmatched and len(unmatched) < len(wanted):  # a list partly matching would silently edit fewer rows
            for w in unmatched:
                close = [v for v in sorted(present) if v.casefold() == str(w).casefold()]
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append(Problem(label, f"value {w!r} of the list matches no row of {TABLE_WORDS[target.table]}{hint}; every value in a list must exist", column=f"{where}.where.{col}", value=w))
            return None
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
                problems.append(Problem(label, f"unknown period{did_you_mean(str(p), set(net.periods))}; expected a label ({net.periods[0]} … {net.periods[-1]}) or a position 1–{net.n_periods}", column=f"{where}.periods", value=p))
                return None
        mask &= frame["period"].isin(index)
    if not mask.any():
        hints = [f"{col}: did you mean {close!r}?" for col, wanted in (edit.get("where") or {}).items() if not isinstance(wanted, list)
                 and (close := closest(str(wanted), set(attrs[col].astype(str))))]
        hint = f" ({'; '.join(hints)})" if hints else ""
        problems.append(Problem(label, f"selects nothing in {TABLE_WORDS[target.table]}{hint}; check the values against the data set", column=f"{where}.where", value=edit.get("where")))
        return None
    return frame.index[mask.to_numpy()]
