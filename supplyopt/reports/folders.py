"""Results folders as a report reads them: summary.json and the CSV tables, typed and checked,
with the planner names of the nodes. Every part of a report (charts, maps, HTML, workbook)
reads runs through here."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from supplyopt.io.data import DataError, Problem, read_dataset
from supplyopt.results.labels import LANGUAGES

# quality, warnings, end_stock, reserves: only where solve wrote them
RESULT_TABLES = ("flows", "production", "stocks", "unmet", "prices", "nodes", "quality", "warnings", "end_stock", "reserves")
REQUIRED_TABLES = ("flows", "production", "stocks", "unmet")
# columns each table must have for the report to read it
NEEDED_COLUMNS = {
    "flows": ("link", "product", "period", "from", "to", "mode", "flow_t", "tkm", "co2_t"),
    "production": ("mine", "product", "period", "production_t"),
    "stocks": ("node", "product", "period", "stock_t", "safety_t", "days_of_cover"),
    "unmet": ("node", "product", "period", "demand_t", "unmet_t"),
    "nodes": ("id", "kind", "lon", "lat"),
}
TEXT_COLUMNS = {"link", "product", "period", "from", "to", "mode", "node", "mine", "id", "kind", "name", "region", "cover_status", "demand_unit",
                "severity", "unit", "message", "rule"}
BOOL_COLUMNS = {"truck", "clean"}


class ReportWarning(UserWarning):
    """Something the report could not draw as asked (no CJK font, no coordinates)."""


@dataclass
class Results:
    """One results folder as read: its summary and tables (units in the column names)."""

    path: Path
    label: str
    summary: dict
    tables: dict[str, pd.DataFrame]
    nodes: pd.DataFrame | None  # id, name, kind, region, lon, lat; None when unknown

    @property
    def periods(self) -> list[str]:
        """Period labels in plan order. summary.json gives only the first and last, so take
        them from the demand centre with the most periods (each one's rows are in order)."""
        unmet = self.tables["unmet"]
        if unmet.empty:
            return list(pd.unique(self.tables["stocks"]["period"]))
        groups = unmet.groupby(["node", "product"], sort=False)["period"]
        longest = max(groups, key=lambda g: len(g[1]))[1]
        return list(pd.unique(pd.concat([longest, unmet["period"]])))


def read_table(file: Path) -> pd.DataFrame:
    """A results CSV as written by ``solve``: id-like columns as text (so ``007`` stays
    ``007``), number columns as floats or integers, ``truck``/``clean`` as booleans."""
    frame = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8")
    for col in frame.columns:
        if col in BOOL_COLUMNS:
            frame[col] = frame[col].str.lower().eq("true")
        elif col in TEXT_COLUMNS:
            continue
        else:
            numbers = pd.to_numeric(frame[col].where(frame[col] != ""), errors="coerce")
            if numbers.notna().sum() == (frame[col] != "").sum():  # every filled cell is a number
                frame[col] = numbers
    return frame


def load_results(path: str | Path, warn: Callable[[str], None]) -> Results:
    """Read a results folder; a missing or broken one raises :class:`DataError` naming the
    file (and column) and what was expected."""
    path = Path(path)
    problems: list[Problem] = []
    summary_file = path / "summary.json"
    if not path.is_dir():
        raise DataError([Problem(str(path), "results folder does not exist; expected the --out folder of `supplyopt solve`")])
    if not summary_file.is_file():
        raise DataError([Problem(str(summary_file), "missing file; expected a results folder written by `supplyopt solve` (summary.json and CSV tables)")])
    try:
        summary = json.loads(summary_file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataError([Problem(str(summary_file), f"not valid JSON ({err}); expected the summary written by `supplyopt solve`")]) from None
    if not isinstance(summary, dict) or "objective" not in summary:
        raise DataError([Problem(str(summary_file), "expected a JSON object with the plan's KPIs (objective, costs, …)")])
    tables: dict[str, pd.DataFrame] = {}
    for name in RESULT_TABLES:
        file = path / f"{name}.csv"
        if not file.is_file():
            if name in REQUIRED_TABLES:
                problems.append(Problem(str(file), f"missing file; a results folder has {', '.join(t + '.csv' for t in REQUIRED_TABLES)}"))
            continue
        try:
            frame = read_table(file)
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
            problems.append(Problem(str(file), f"cannot be read as a UTF-8 CSV table: {err}"))
            continue
        missing = [c for c in NEEDED_COLUMNS.get(name, ()) if c not in frame.columns]
        for col in missing:
            problems.append(Problem(str(file), f"missing column {col}; the report needs {', '.join(NEEDED_COLUMNS[name])}", column=col))
        tables[name] = frame
    if problems:
        raise DataError(problems)
    nodes = tables.get("nodes")
    if nodes is None:
        nodes = _nodes_from_dataset(summary, warn)
    return Results(path, path.resolve().name, summary, tables, nodes)


def _nodes_from_dataset(summary: dict, warn: Callable[[str], None]) -> pd.DataFrame | None:
    """Results written before nodes.csv existed: read the nodes from the data set the summary
    names, or None (no map) with a warning."""

    path = (summary.get("dataset") or {}).get("path")
    if path and Path(path).exists():
        ds = read_dataset(path)
        if "nodes" in ds.tables and not ds.problems:
            warn(f"nodes.csv is missing from the results folder; node coordinates read from the data set {path}")
            return ds.tables["nodes"].drop(columns="row").reindex(columns=["id", "name", "kind", "region", "lon", "lat"])
    warn(f"nodes.csv is missing from the results folder and the data set ({path or 'not named in summary.json'}) cannot be read: no map is drawn")
    return None


def report_language(lang: str | None, base: Results) -> str:
    """``--lang`` if given, else the data set's ``language`` (carried in summary.json), else en."""
    chosen = lang or base.summary.get("language") or "en"
    if chosen not in LANGUAGES:
        raise DataError([Problem("--lang", f"unknown report language; expected one of {', '.join(LANGUAGES)}", value=chosen)])
    return chosen


def unique_labels(runs: list[Results]) -> None:
    """Folder names label the results in charts; make repeated names unique (base, base-2)."""
    seen: dict[str, int] = {}
    for run in runs:
        n = seen.get(run.label, 0) + 1
        seen[run.label] = n
        if n > 1:
            run.label = f"{run.label}-{n}"


def has_cjk(nodes: pd.DataFrame | None) -> bool:
    if nodes is None or "name" not in nodes:
        return False
    return bool(nodes["name"].astype(str).str.contains(r"[\u3000-\u9fff\uff00-\uffef]", regex=True).any())


def node_names(run: Results) -> dict[str, str]:
    """Node id -> display name (the data set's name, or the id where it has none)."""
    if run.nodes is None:
        return {}
    names = run.nodes.get("name", pd.Series("", index=run.nodes.index)).fillna("").astype(str)
    return dict(zip(run.nodes["id"].astype(str), np.where(names.str.strip() != "", names, run.nodes["id"].astype(str))))


def node_kinds(run: Results) -> dict[str, str]:
    """Node id -> kind (mine, hub, storage, port, demand), from nodes.csv."""
    if run.nodes is None:
        return {}
    return dict(zip(run.nodes["id"].astype(str), run.nodes["kind"].astype(str)))


def run_warnings(summary: dict) -> list[str]:
    """What the run itself warned of: summary.json's ``input_warnings`` and every ``warning``
    (or ``warnings``) text anywhere in it, in the order written, once each."""
    found: list[str] = []

    def walk(value, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            if key in ("input_warnings", "warnings"):
                found.extend(str(v) for v in value if isinstance(v, str))
            for v in value:
                if isinstance(v, (dict, list)):
                    walk(v, key)
        elif isinstance(value, str) and key in ("warning", "warnings", "input_warnings"):
            found.append(value)

    walk(summary)
    return list(dict.fromkeys(found))
