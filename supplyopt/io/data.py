"""Read a data set (a folder of CSV files plus network.yaml, or one .xlsx workbook).

Reading turns every cell into a typed value and records a :class:`Problem` for every cell it
cannot read; it never raises for bad data. ``network.expand`` then turns the typed tables, with
their optional ``period`` override rows, into one row per key and period: the
:class:`~supplyopt.network.Network` that the later steps (scenario, model) work on.

The format is documented in ``docs/data-format.md``; the column tables below are its source.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from supplyopt.io.problems import ROWS_NOTE, DataError, Problem  # noqa: F401 — importable from io.data as before

NODE_KINDS = ("mine", "hub", "storage", "port", "demand")
DEFAULT_PRODUCT = "coal"

# Largest magnitude accepted in any number cell: beyond it an LP is badly scaled and the
# value is almost certainly a typo (tonnes written in grams, a pasted id).
MAX_ABS_NUMBER = 1e12


# --------------------------------------------------------------------------- schemas
@dataclass(frozen=True)
class Column:
    """A column of a table: its type, whether the header must have it, whether a
    period-less row must fill it, and whether negative numbers are allowed."""

    name: str
    kind: str = "text"  # text | number | bool | period
    in_header: bool = False
    needs_value: bool = False
    signed: bool = False
    near_miss: bool = True  # False: only a close spelling is taken for a slip of it, not a shared word


@dataclass(frozen=True)
class TableSpec:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    required: bool = True
    # Columns that describe the thing, not the period: period rows must leave them blank
    # or repeat the period-less value.
    static: tuple[str, ...] = ()

    @property
    def by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}


def _num(name: str, **kw) -> Column:
    return Column(name, "number", **kw)


PERIOD = Column("period", "period")
# demand.csv's quality columns: one value per (node, product), never changed by a period row
DEMAND_QUALITY = ("min_kcal_per_kg", "max_sulphur_pct", "demand_unit")
DEMAND_UNITS = ("t", "tce")  # tce: tonnes of standard coal of 7,000 kcal/kg
STANDARD_COAL_KCAL_PER_KG = 7000.0
PRODUCT = Column("product")

TABLES: dict[str, TableSpec] = {
    "nodes": TableSpec(
        "nodes",
        key=("id",),
        columns=(
            Column("id", in_header=True, needs_value=True),
            Column("kind", in_header=True, needs_value=True),
            Column("name"),
            Column("region"),
            _num("lon", signed=True),
            _num("lat", signed=True),
            _num("loading_t_per_day"),  # optional: a station's daily loading window (schedule --days)
        ),
    ),
    "supply": TableSpec(
        "supply",
        key=("node", "product"),
        columns=(
            Column("node", in_header=True, needs_value=True),
            PRODUCT,
            _num("capacity_t", in_header=True),
            _num("cost_cny_per_t", in_header=True, needs_value=True),
            _num("min_t"),
            PERIOD,
            # optional, capacity-reserve mines (supplyopt/reserves.py, docs/data-format.md)
            _num("reserve_t"),
            _num("callup_cny_per_t"),
            _num("lead_weeks"),
        ),
    ),
    "links": TableSpec(
        "links",
        key=("id",),
        columns=(
            Column("id", in_header=True, needs_value=True),
            Column("from", in_header=True, needs_value=True),
            Column("to", in_header=True, needs_value=True),
            Column("mode", in_header=True, needs_value=True),
            _num("capacity_t", in_header=True),
            _num("cost_cny_per_t", in_header=True, needs_value=True),
            _num("distance_km", in_header=True, needs_value=True),
            _num("efficiency", signed=True),
            Column("products"),
            _num("train_t"),  # optional: tonnes per train, for trainload scheduling (supplyopt schedule --trainloads)
            # optional, schedule --days: train paths a day, trainsets and their round trip in days
            _num("paths_per_day"),
            _num("trainsets"),
            _num("cycle_days"),
            PERIOD,
        ),
        static=("from", "to", "mode", "distance_km", "efficiency", "products", "train_t", "paths_per_day", "trainsets", "cycle_days"),
    ),
    "demand": TableSpec(
        "demand",
        key=("node", "product"),
        columns=(
            Column("node", in_header=True, needs_value=True),
            PRODUCT,
            _num("demand_t", in_header=True, needs_value=True),
            _num("penalty_cny_per_t"),
            PERIOD,
            # optional, coal quality of what the centre receives (docs/data-format.md, quality.csv)
            _num("min_kcal_per_kg"),
            _num("max_sulphur_pct"),
            Column("demand_unit", near_miss=False),  # t (default) or tce; demand_class is not a slip of it
        ),
        static=DEMAND_QUALITY,
    ),
    "storage": TableSpec(
        "storage",
        key=("node", "product"),
        columns=(
            Column("node", in_header=True, needs_value=True),
            PRODUCT,
            _num("capacity_t", in_header=True),
            _num("initial_t"),
            _num("safety_t"),
            _num("holding_cny_per_t"),
            _num("end_t"),
            PERIOD,
            # optional, reserve stock (supplyopt/reserves.py, docs/data-format.md)
            Column("reserve", "bool"),
            _num("release_cny_per_t"),
        ),
        required=False,
        static=("initial_t", "end_t"),
    ),
    "modes": TableSpec(
        "modes",
        key=("mode",),
        columns=(
            Column("mode", in_header=True, needs_value=True),
            Column("truck", "bool", in_header=True, needs_value=True),
            Column("clean", "bool", in_header=True, needs_value=True),
            _num("co2_kg_per_tkm", in_header=True, needs_value=True),
        ),
        required=False,
    ),
    # Coal grades and what each may be delivered for: docs/data-format.md (quality.csv), the
    # blend rows of model/statement.py. Without this file the model has no quality at all.
    "quality": TableSpec(
        "quality",
        key=("product",),
        columns=(
            Column("product", in_header=True, needs_value=True),
            _num("calorific_kcal_per_kg", in_header=True),
            _num("sulphur_pct"),
            Column("serves"),
        ),
        required=False,
    ),
    # Investment candidates (sidings, platforms, capacity upgrades): see docs/data-format.md
    # and supplyopt/model/candidates.py. Which target columns a row needs depends on its kind.
    "candidates": TableSpec(
        "candidates",
        key=("id",),
        columns=(
            Column("id", in_header=True, needs_value=True),
            Column("kind", in_header=True, needs_value=True),
            Column("link"),
            Column("node"),
            Column("from"),
            Column("to"),
            Column("mode"),
            _num("distance_km"),
            _num("cost_cny_per_t"),
            _num("capacity_t", in_header=True, needs_value=True),
            _num("efficiency", signed=True),
            Column("products"),
            _num("build_cost_cny", in_header=True, needs_value=True),
            _num("lifetime_years"),
            _num("discount_rate"),
            _num("fixed_om_cny_per_year"),
            Column("earliest_period"),
            Column("excludes"),
            Column("requires"),
            _num("lag_years"),
        ),
        required=False,
    ),
    # Paths over the years of a plan (invest --years): demand and mine output relative to
    # the data set's own year, from the provincial plan's targets; supplyopt/io/years.py.
    "years": TableSpec(
        "years",
        key=("year", "what", "node", "demand_class"),
        columns=(
            _num("year", in_header=True, needs_value=True),
            Column("what", in_header=True, needs_value=True),
            Column("node"),
            Column("demand_class"),
            _num("scale", in_header=True, needs_value=True),
            Column("basis"),
        ),
        required=False,
    ),
}

# Built-in transport modes; sources in docs/data-format.md.
DEFAULT_MODES = pd.DataFrame(
    [
        ("rail", False, True, 0.011),
        ("truck", True, False, 0.09),
        ("ev_truck", True, True, 0.0),
        ("conveyor", False, True, 0.0),
        ("sea", False, True, 0.007),
        ("river", False, True, 0.039),
        ("uhv", False, True, 0.0),
    ],
    columns=["mode", "truck", "clean", "co2_kg_per_tkm"],
)

# ASCII digits only: Python's \d also matches full-width digits, which float() then rejects.
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}


# --------------------------------------------------------------------------- raw data set
@dataclass
class Dataset:
    """A data set as read: typed tables (one row per input row) plus what went wrong.

    Each table keeps a ``row`` column (data rows from 1) so that later checks can point at
    the input line. Number cells left blank are NaN; ``period`` is the period's position
    from 0, or -1 where blank.
    """

    path: Path
    name: str
    description: str
    currency: str
    period_days: float
    periods: list[str]
    declared_products: list[str] | None
    tables: dict[str, pd.DataFrame]
    sources: dict[str, str]  # table name -> what to call it in messages
    problems: list[Problem] = field(default_factory=list)
    file_hashes: dict[str, str] = field(default_factory=dict)
    missing_columns: dict[str, list[str]] = field(default_factory=dict)  # by label, columns the header lacked
    language: str | None = None  # "zh" or "en" for reports; None = not given


def read_dataset(path: str | Path) -> Dataset:
    """Read a data set folder or ``.xlsx`` workbook; bad cells become problems, not errors."""
    path = Path(path)
    problems: list[Problem] = []
    if path.is_dir():
        meta, raw, sources, hashes = _read_folder(path, problems)
    elif path.suffix.lower() in (".xlsx", ".xlsm") and path.is_file():
        meta, raw, sources, hashes = _read_workbook(path, problems)
    else:
        what = "does not exist" if not path.exists() else "is neither a folder nor an .xlsx file"
        if path.is_file() and (path.name == "network.yaml" or path.suffix.lower() == ".csv"):
            what += f" (it is one of a data set's files: give its folder, {path.parent})"
        elif path.is_file() and path.suffix.lower() in (".yaml", ".yml"):
            what += " (a .yaml file is a scenario, --scenario, or a model profile, --model)"
        problems.append(Problem(str(path), f"data set {what}; expected a folder with network.yaml and CSV tables, or an .xlsx workbook"))
        return Dataset(path, path.name, "", "CNY", 7.0, [], None, {}, {}, problems)

    periods = _periods(meta, sources.get("network", "network.yaml"), problems)
    unreadable = {p.file for p in problems}
    missing_columns: dict[str, list[str]] = {}
    what = "sheet" if path.is_file() else "file"
    tables = {}
    for name, spec in TABLES.items():
        frame = raw.get(name)
        if frame is None:
            label = sources.get(name, f"{name}.csv")
            if spec.required and label not in unreadable:
                problems.append(Problem(label, f"missing {what}: the {name} table is required"))
            continue
        tables[name] = _typed_table(frame, spec, sources[name], periods, problems, missing_columns)
    products = meta.get("products")
    return Dataset(
        path=path,
        name=str(meta.get("name") or path.stem),
        description=str(meta.get("description") or ""),
        currency=str(meta.get("currency") or "CNY"),
        period_days=_period_days(meta, sources.get("network", "network.yaml"), problems),
        periods=periods,
        declared_products=[str(p) for p in products] if isinstance(products, list) else None,
        tables=tables,
        sources=sources,
        problems=problems,
        file_hashes=hashes,
        missing_columns=missing_columns,
        language=_language(meta, sources.get("network", "network.yaml"), problems),
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_folder(path: Path, problems: list[Problem]):
    """network.yaml and the tables of a folder. File names are matched ignoring case and
    spacing (``Storage.csv`` is read, with a warning); files not read are listed."""

    sources, raw, hashes = {}, {}, {}
    meta: dict = {}
    wanted = {"network": ["network.yaml", "network.yml"]} | {name: [f"{name}.csv"] for name in TABLES}
    entries = folder_entries(path)
    chosen = match_names(entries, wanted, str(path), "file", problems)
    close = near_miss([names[0] for names in wanted.values()], entries, chosen)
    sources["network"] = chosen.get("network") or "network.yaml"
    if "network.yaml/" in entries:
        problems.append(Problem("network.yaml", "is a folder, not a file; expected the YAML file with name, period_days, periods"))
    elif "network" not in chosen:
        hint = f" ({close['network.yaml']!r} looks like it: rename it)" if "network.yaml" in close else ""
        problems.append(Problem("network.yaml", f"missing file: every data set needs network.yaml (name, period_days, periods){hint}"))
    elif chosen["network"]:
        meta_file = path / chosen["network"]
        hashes[meta_file.name] = _sha256(meta_file)
        meta = _read_yaml(meta_file, meta_file.name, problems)
    for name in TABLES:
        found = chosen.get(name)
        sources[name] = found or f"{name}.csv"
        if f"{name}.csv/" in entries:
            problems.append(Problem(f"{name}.csv", "is a folder, not a file; expected a CSV file (see docs/data-format.md)"))
        elif found:
            file = path / found
            hashes[file.name] = _sha256(file)
            frame = read_csv_table(file, problems)
            if frame is not None:
                raw[name] = frame
        elif name in chosen:  # ambiguous: reported, so the table is not "missing" too
            problems.append(Problem(sources[name], "not read (see above)", severity="warning"))
        elif f"{name}.csv" in close and TABLES[name].required:  # optional ones: see the list of files not read
            problems.append(Problem(f"{name}.csv", f"missing file: the {name} table is required; {close[name + '.csv']!r} looks like it: rename it to {name}.csv"))
    return meta, raw, sources, hashes


MAX_PERIODS = 100_000  # ~1,900 years of weeks: more is a typo, and would not fit in memory


class NumberLoader(yaml.SafeLoader):
    """PyYAML's safe loader, reading ``1e4`` and ``1.0e15`` as numbers (YAML 1.1, which
    PyYAML follows, wants a dot and a signed exponent, so it reads them as text)."""


NumberLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def read_yaml(file: Path, label: str, problems: list[Problem], loader=NumberLoader):
    """The parsed YAML of a file (None when empty or unreadable); a file that is not UTF-8 or
    not valid YAML becomes a problem. ``yaml.BaseLoader`` keeps every value as written."""
    text = decode_text(file, label, problems)
    if text is None:
        return None
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as err:
        problems.append(Problem(label, yaml_message(err, text)))
        return None


def _read_yaml(file: Path, label: str, problems: list[Problem]) -> dict:
    meta = read_yaml(file, label, problems)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        problems.append(Problem(label, "expected a mapping of keys (name, period_days, periods, …)", value=type(meta).__name__))
        return {}
    return _meta_keys(meta, label, problems)


META_KEYS = ("name", "description", "currency", "period_days", "periods", "products", "language")


def _meta_keys(meta: dict, label: str, problems: list[Problem]) -> dict:
    """network.yaml's (or the network sheet's) keys: a case/width variant of a known key is
    read as it (warning); an unknown key that looks like a missing known one names it."""

    out = {}
    for key, value in meta.items():
        k = str(key)
        if k not in META_KEYS and canonical(k) in META_KEYS and canonical(k) not in meta:
            problems.append(Problem(label, f"key written {k!r}; read as {canonical(k)}", column=k, severity="warning"))
            k = canonical(k)
        out[k] = value
    for key in out:
        if key in META_KEYS:
            continue
        close = [m for m in META_KEYS if m not in out and looks_like(key, m)]
        if close:
            what = "it is required" if close[0] == "periods" else "its default applies"
            problems.append(Problem(label, f"unknown key; it looks like {close[0]}, which is missing ({what}): rename it to {close[0]}", column=key, severity="warning"))
        else:
            problems.append(Problem(label, f"unknown key; expected one of {', '.join(sorted(META_KEYS))}", column=key, severity="warning"))
    return out


def yaml_message(err: yaml.YAMLError, text: str) -> str:
    """A YAML syntax error in words, with line numbers that exist in the file (PyYAML
    reports the end of the stream one line past the last)."""
    last = max(1, len(text.splitlines()))
    parts = []
    for what, mark in ((getattr(err, "context", None), getattr(err, "context_mark", None)), (getattr(err, "problem", None), getattr(err, "problem_mark", None))):
        if what:
            parts.append(f"{what} (line {min(mark.line + 1, last)}, column {mark.column + 1})" if mark else what)
    return "not valid YAML: " + ("; ".join(parts) or str(err)) + "; check brackets, quotes and indentation there"


def decode_text(file: Path, label: str, problems: list[Problem]) -> str | None:
    """A text file's content, or None with a problem saying why it is not UTF-8."""
    data = file.read_bytes()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        problems.append(Problem(label, "is UTF-16 text (it starts with a UTF-16 byte-order mark); expected UTF-8: save it as 'CSV UTF-8'"))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        hint = ""
        try:
            data.decode("gb18030")
            hint = " It reads as GBK/GB18030: save it as UTF-8 (Excel: 'CSV UTF-8')."
        except UnicodeDecodeError:
            pass
        problems.append(Problem(label, f"not UTF-8 text (byte 0x{data[err.start]:02x} on line {line}); expected UTF-8.{hint}"))
        return None


def read_csv_table(file: Path, problems: list[Problem]) -> pd.DataFrame | None:
    """Rows exactly as written (no type guessing, no renaming of repeated headers). A row
    with more or fewer values than the header is reported and left out."""
    text = decode_text(file, file.name, problems)
    if text is None:
        return None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as err:
        problems.append(Problem(file.name, f"cannot be read as CSV: {err}"))
        return None
    return _frame(rows, file.name, problems)


def _frame(rows: list[list[str]], label: str, problems: list[Problem]) -> pd.DataFrame | None:
    """Header plus data rows -> DataFrame of text with a ``row`` column (data rows from 1)."""
    while rows and not any(str(c).strip() for c in rows[-1]):
        rows.pop()  # trailing empty lines are harmless
    if not rows:
        problems.append(Problem(label, "file is empty; expected a header line and data rows"))
        return None
    header, body = [str(c) for c in rows[0]], rows[1:]
    if len(header) == 1 and any(sep in header[0] for sep in (";", "\t")):
        sep = "semicolons" if ";" in header[0] else "tabs"
        problems.append(Problem(label, f"values are separated by {sep}, not commas (a European-locale Excel export?); save it as 'CSV UTF-8 (comma delimited)'", value=header[0]))
        return None
    n = len(header)
    keep, numbers = [], []
    for i, r in enumerate(body, start=1):
        if len(r) == n or not any(str(c).strip() for c in r):
            keep.append([str(c) for c in r] if r else [""] * n)
            numbers.append(i)
        else:
            hint = " (a number written with a thousands separator, like 2,500, or a comma inside an unquoted name?)" if len(r) > n else ""
            problems.append(Problem(label, f"has {len(r)} values but the header has {n} columns{hint}", row=i, column=header[0] if header else None, value=r[0] if r else ""))
    header = [h if h.strip() != "row" else "row_" for h in header]  # "row" is ours: the data row number
    frame = pd.DataFrame(keep, columns=pd.Index(header, dtype=object)) if keep else pd.DataFrame(columns=pd.Index(header, dtype=object))
    frame.insert(0, "row", np.asarray(numbers, dtype=np.int64))
    return frame


def _read_workbook(path: Path, problems: list[Problem]):
    """The sheets of a workbook as text. Sheet names are matched ignoring case and spacing;
    sheets not read are listed; merged cells and formulas without a saved value (both read
    as blank) are errors."""

    label = path.name
    hashes = {label: _sha256(path)}
    try:
        cells = _workbook_cells(path, label, problems)
    except Exception as err:  # openpyxl raises many kinds for broken files
        problems.append(Problem(label, f"cannot be read as an Excel workbook: {err}"))
        return {}, {}, {}, hashes
    wanted = {name: [name] for name in ["network", "periods"] + list(TABLES)}
    chosen = match_names(list(cells), wanted, label, "sheet", problems)
    close = near_miss(list(wanted), list(cells), chosen)
    listed = ", ".join(repr(n) for n in cells) or "none"
    sources = {name: f"{label}[{chosen.get(name) or name}]" for name in wanted}
    sheets = {}
    for name, sheet in chosen.items():
        if sheet is not None:
            frame = _frame(cells[sheet], sources[name], problems)
            if frame is not None:
                sheets[name] = frame
        else:  # ambiguous: reported, so the table is not "missing" too
            problems.append(Problem(sources[name], "not read (see above)", severity="warning"))
    for name in wanted:
        if name not in chosen and name in close:
            sev = "error" if name == "network" or (name in TABLES and TABLES[name].required) else "warning"
            problems.append(Problem(sources[name], f"missing sheet {name!r}, but sheet {close[name]!r} looks like it: rename it to {name}; sheets found: {listed}", severity=sev))
    meta: dict = {}
    if "network" not in sheets:
        if "network" not in chosen and "network" not in close:
            problems.append(Problem(sources["network"], f"missing sheet 'network' (two columns: key, value); sheets found: {listed}"))
    else:
        sheet = sheets["network"]
        if not {"key", "value"} <= set(sheet.columns):
            problems.append(Problem(sources["network"], "expected two columns named key and value"))
        else:
            for k, v in zip(sheet["key"], sheet["value"]):
                if str(k).strip():
                    meta[str(k).strip()] = _yaml_scalar(v)
            meta = _meta_keys(meta, sources["network"], problems)
    if "periods" in sheets and "period" in sheets["periods"].columns:
        meta["periods"] = [str(v).strip() for v in sheets["periods"]["period"] if str(v).strip()]
    raw = {name: sheets[name] for name in TABLES if name in sheets}
    for name, spec in TABLES.items():
        if spec.required and name not in chosen and name not in close:
            problems.append(Problem(sources[name], f"missing sheet: the {name} table is required; sheets found: {listed}"))
    return meta, raw, sources, hashes


def _workbook_cells(path: Path, label: str, problems: list[Problem]) -> dict[str, list[list[str]]]:
    """Each sheet's cells as text, as a planner sees them. Merged cells (openpyxl keeps the
    value in the first cell only) and formulas without a saved result (a workbook written by a
    program and never opened in Excel) would read as blank: both are reported as errors."""
    import openpyxl

    book = openpyxl.load_workbook(path, data_only=True)
    formulas = openpyxl.load_workbook(path, data_only=False)
    out = {}
    for ws in book.worksheets:
        rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        where = f"{label}[{ws.title}]"
        header = rows[0] if rows else []
        for merged in sorted(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
            col = header[merged.min_col - 1].strip() if merged.min_col <= len(header) else ""
            row = merged.min_row - 1 if merged.min_row > 1 else None
            problems.append(Problem(where, f"cells {merged.coord} are merged: only the first holds a value, the others read as blank; unmerge them and fill every cell", row=row, column=col or _letter(merged.min_col)))
        hidden = [r for r, dim in sorted(ws.row_dimensions.items()) if dim.hidden and 1 < r <= len(rows)]
        if hidden:
            shown = ", ".join(str(r - 1) for r in hidden[:10]) + (" …" if len(hidden) > 10 else "")
            what = "rows {} are".format(shown) if len(hidden) > 1 else f"row {shown} is"
            problems.append(Problem(where, f"{what} hidden (or filtered out) in Excel; hidden rows are read like every other row — delete them if they should not count", severity="warning"))
        fws = formulas[ws.title]
        for r, row in enumerate(fws.iter_rows(), start=1):
            for cell in row:
                if cell.data_type == "f" and r <= len(rows) and cell.column <= len(rows[r - 1]) and rows[r - 1][cell.column - 1] == "":
                    problems.append(Problem(where, f"cell {cell.coordinate} holds a formula ({cell.value}) without a saved result, read as blank; open the workbook in Excel and save it, or type the value", row=r - 1 if r > 1 else None, column=header[cell.column - 1].strip() if cell.column <= len(header) else None))
        out[ws.title] = rows
    return out


def _cell_text(value) -> str:
    """A workbook cell as text: whole numbers without '.0', dates at midnight as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _yaml_scalar(value: str):
    try:
        return yaml.safe_load(str(value))
    except yaml.YAMLError:
        return value


def _periods(meta: dict, label: str, problems: list[Problem]) -> list[str]:
    periods = meta.get("periods")
    if periods is None:
        if meta:
            problems.append(Problem(label, "missing key periods; expected a list of period labels or a count", column="periods"))
        return []
    if isinstance(periods, bool) or not isinstance(periods, (int, list)):
        problems.append(Problem(label, "expected a list of period labels or a positive count", column="periods", value=periods))
        return []
    if isinstance(periods, int):
        if periods < 1 or periods > MAX_PERIODS:
            problems.append(Problem(label, f"expected a positive count of periods, at most {MAX_PERIODS:,}", column="periods", value=periods))
            return []
        return [str(i) for i in range(1, periods + 1)]

    labels = [normalise(str(p)) for p in periods]
    for i, (lab, p) in enumerate(zip(labels, periods), start=1):
        if lab != str(p).strip():
            problems.append(Problem(label, f"period {i} is written with full-width or invisible characters; read as {lab!r}", column="periods", value=str(p), severity="warning"))
    if not labels:
        problems.append(Problem(label, "expected at least one period", column="periods", value="[]"))
    seen: set[str] = set()
    for i, lab in enumerate(labels, start=1):
        if not lab:
            problems.append(Problem(label, f"period {i} has an empty label", column="periods"))
        elif lab in seen:
            problems.append(Problem(label, f"duplicate period label (position {i}); labels must be unique", column="periods", value=lab))
        seen.add(lab)
    return labels


def _period_days(meta: dict, label: str, problems: list[Problem]) -> float:
    value = meta.get("period_days", 7)
    if isinstance(value, str):

        meant = _yaml_scalar(normalise(value))
        if isinstance(meant, (int, float)) and not isinstance(meant, bool):
            problems.append(Problem(label, f"written with full-width or special characters; read as {meant!r}", column="period_days", value=value, severity="warning"))
            value = meant
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        problems.append(Problem(label, "expected a positive number of days per period", column="period_days", value=value))
        return 7.0
    return float(value)


LANGUAGES = ("zh", "en")


def _language(meta: dict, label: str, problems: list[Problem]) -> str | None:
    """The report language named in network.yaml (``zh`` or ``en``), None when not given."""
    value = meta.get("language")
    if value is None or str(value).strip() == "":
        return None
    if str(value).strip().lower() not in LANGUAGES:
        problems.append(Problem(label, f"unknown report language; expected one of {', '.join(LANGUAGES)}", column="language", value=value))
        return None
    return str(value).strip().lower()


# --------------------------------------------------------------------------- typing
def _typed_table(frame: pd.DataFrame, spec: TableSpec, label: str, periods: list[str], problems: list[Problem], missing_columns: dict) -> pd.DataFrame:
    """Strip, check the header and convert each known column to its type (vectorised).

    Header names and the cells of known columns (free text such as ``name`` aside) are read
    as meant: full-width characters, no-break spaces and invisible characters are normalised
    (:func:`supplyopt.matching.normalise`), each with a warning quoting the cell as written.
    """

    rows_read = frame.pop("row").to_numpy() if "row" in frame else np.arange(1, len(frame) + 1)
    written = [str(c).strip() for c in frame.columns]
    headers = [normalise(h) for h in written]
    for i, (w, h) in enumerate(zip(written, headers), start=1):
        if not h or h.startswith("Unnamed:") or h == "nan":
            problems.append(Problem(label, f"header cell {i} (column {_letter(i)}) is empty (merged or missing header?); expected a column name"))
        elif w != h:
            problems.append(Problem(label, f"header cell {i} (column {_letter(i)}) is written with full-width or invisible characters; read as {h!r}", value=w, severity="warning"))
    headers, near = match_columns(headers, spec, label, problems)
    dupes = sorted({h for h in headers if headers.count(h) > 1 and h})
    for h in dupes:
        problems.append(Problem(label, "column appears more than once in the header", column=h))
    frame.columns = headers
    frame = frame.loc[:, ~pd.Index(headers).duplicated()]
    missing = [c.name for c in spec.columns if c.in_header and c.name not in frame.columns]
    for name in missing:
        hint = f" (column {near[name]!r} looks like it: rename it to {name}, in the unit the name says)" if name in near else ""
        problems.append(Problem(label, f"missing column {name}; the {spec.name} table needs {', '.join(c.name for c in spec.columns if c.in_header)}{hint}", column=name, value=near.get(name)))
    frame = pd.DataFrame({c: frame[c].astype(str).str.strip() for c in frame.columns}, index=frame.index)
    frame.insert(0, "row", np.asarray(rows_read, dtype=np.int64))
    as_written = {}
    for col in spec.columns:
        if col.name in frame.columns and col.name not in FREE_TEXT:
            as_written[col.name] = frame[col.name]
            frame[col.name] = normalise_column(frame[col.name], label, col.name, frame["row"], problems)

    blank_row = (frame.drop(columns="row") == "").all(axis=1)
    for row in frame.loc[blank_row, "row"]:
        problems.append(Problem(label, "empty row; expected values (delete the line)", row=int(row)))
    frame = frame.loc[~blank_row].reset_index(drop=True)

    for col in spec.columns:
        if col.name not in frame.columns:
            frame[col.name] = ""
        raw = frame[col.name]
        shown = as_written[col.name][~blank_row.to_numpy()].reset_index(drop=True) if col.name in as_written else raw
        if col.kind == "number":
            frame[col.name] = to_number(raw, frame["row"], label, col, problems, shown)
        elif col.kind == "bool":
            frame[col.name] = _to_bool(raw, frame["row"], label, col, problems, shown)
        elif col.kind == "period":
            frame[col.name] = _to_period(raw, frame["row"], label, periods, problems, shown)
    if "product" in frame.columns and not spec.by_name["product"].needs_value:  # quality.csv names each grade
        frame["product"] = frame["product"].where(frame["product"] != "", DEFAULT_PRODUCT)
    missing_columns[label] = missing
    return frame


def _letter(i: int) -> str:
    """Spreadsheet column letter of the i-th column (1 -> A, 27 -> AA)."""
    out = ""
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


NUMBER_CELL = re.compile(_NUMBER)
DOTTED_THOUSANDS = re.compile(r"[+-]?[1-9][0-9]{0,2}\.000")  # 6.000: six, or 6000 with a dot as thousands separator?


def to_number(raw: pd.Series, rows: pd.Series, label: str, col: Column, problems: list[Problem], written: pd.Series | None = None) -> pd.Series:
    """Numbers from text (NaN where blank); every other cell becomes a problem quoting the
    cell as written (``written``, before normalisation)."""
    # On numpy arrays, one pass of the pattern over the cells: a data set has some thirty number
    # columns, and a dozen pandas operations on each were a tenth of a tiny solve (issue 28).
    text = raw.to_numpy(dtype=object)
    shown = text if written is None else written.to_numpy(dtype=object)
    row_of = rows.to_numpy()
    blank = text == ""
    ok = blank | np.fromiter((isinstance(c, str) and NUMBER_CELL.fullmatch(c) is not None for c in text), bool, len(text))
    values = pd.to_numeric(np.where(ok & ~blank, text, np.nan), errors="coerce").astype(float)
    for i in np.flatnonzero(~ok):
        problems.append(Problem(label, _number_hint(str(text[i])), row=int(row_of[i]), column=col.name, value=shown[i]))
    magnitude = np.abs(values)
    whole = np.flatnonzero((magnitude >= 1) & (magnitude < 1000) & (values == np.round(values)))  # where a dotted thousand can be
    for i in whole:
        if DOTTED_THOUSANDS.fullmatch(text[i]):
            value = shown[i]
            problems.append(Problem(label, f"read as {float(value):g}; if {value.replace('.', '')} was meant (a dot as thousands separator), write {value.replace('.', '')}", row=int(row_of[i]), column=col.name, value=value, severity="warning"))
    too_big = magnitude > MAX_ABS_NUMBER
    for i in np.flatnonzero(too_big):
        problems.append(Problem(label, f"magnitude above {MAX_ABS_NUMBER:.0e}: the LP would be badly scaled; check the unit (tonnes, CNY, km)", row=int(row_of[i]), column=col.name, value=shown[i]))
    values[too_big] = np.nan
    if not col.signed:
        negative = values < 0
        for i in np.flatnonzero(negative):
            problems.append(Problem(label, "is negative; expected a number ≥ 0", row=int(row_of[i]), column=col.name, value=shown[i]))
        values[negative] = np.nan  # reported once; later checks treat it as not given
    return pd.Series(values + 0.0, index=raw.index, name=raw.name)  # -0 read as 0


def _number_hint(value: str) -> str:
    low = value.lower()
    if low in ("nan", "inf", "-inf", "+inf", "infinity", "na", "n/a", "null", "none", "-"):
        return "expected a finite number (leave the cell blank for 'not given'; blank capacity means unlimited)"
    if value.startswith("#"):
        return "is an Excel error value (a broken formula?); expected a number"
    if re.fullmatch(r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?", value):
        return "has a thousands separator; expected a plain number such as " + value.replace(",", "")
    if re.fullmatch(r"[+-]?[0-9]{1,3}(\.[0-9]{3}){2,}(,[0-9]*)?", value):
        return "has dots as thousands separators; expected a plain number such as " + value.replace(".", "").replace(",", ".")
    if re.fullmatch(r"[+-]?[0-9]+,[0-9]+", value):
        return "has a comma (a decimal comma, or a thousands separator?); expected a plain number with a decimal point, such as " + value.replace(",", ".")
    if re.fullmatch(r"[+-]?[0-9]{1,3}([ '’][0-9]{3})+(\.[0-9]*)?", value):
        return "has spaces or apostrophes between digit groups; expected a plain number such as " + re.sub(r"[ '’]", "", value)
    if re.fullmatch(_NUMBER + r"\s*%", value):
        return "is a percentage; expected a plain number (a share as 0.12 for 12 %, an efficiency as 0.995)"
    if re.match(_NUMBER, value):
        return "has text after the number (a unit?); expected a plain number, the unit is in the column name"
    return "is not a number; expected a plain decimal number"


def _to_bool(raw: pd.Series, rows: pd.Series, label: str, col: Column, problems: list[Problem], written: pd.Series | None = None) -> pd.Series:
    """true/false (also yes/no, y/n, t/f, 1/0, any case); blank stays NA so that a required
    cell left blank is reported rather than read as false."""
    written = raw if written is None else written
    low = raw.str.lower()
    ok = low.isin(_TRUE | _FALSE) | (low == "")
    for row, value in zip(rows[~ok], written[~ok]):
        hint = " (是/否: write true or false)" if value in ("是", "否", "真", "假", "对", "错", "有", "无") else ""
        problems.append(Problem(label, f"expected true or false{hint}", row=int(row), column=col.name, value=value))
    return pd.Series(pd.array(low.isin(_TRUE).to_numpy(), dtype="boolean"), index=raw.index).mask(low == "")


def _to_period(raw: pd.Series, rows: pd.Series, label: str, periods: list[str], problems: list[Problem], written: pd.Series | None = None) -> pd.Series:
    written = raw if written is None else written
    by_label = {p: i for i, p in enumerate(periods)}
    index = raw.map(by_label)
    numeric = raw.str.fullmatch(r"[0-9]+") & index.isna()
    position = pd.to_numeric(raw.where(numeric), errors="coerce") - 1
    index = index.fillna(position.where((position >= 0) & (position < len(periods))))
    bad = index.isna() & (raw != "")
    if periods:
        shown = ", ".join(periods[:3]) + (" …" if len(periods) > 3 else "")
        for row, value in zip(rows[bad], written[bad]):
            problems.append(Problem(label, f"unknown period; expected a label from network.yaml ({shown}) or a position 1–{len(periods)}", row=int(row), column="period", value=value))
    # -1: blank (every period); -2: unreadable (reported; kept out of later checks)
    return index.where(~bad, -2).fillna(-1).astype(int)


# Names of matching.py that readers of data sets use with these.
from supplyopt.io.matching import (
    FREE_TEXT,
    canonical,
    folder_entries,
    looks_like,
    match_columns,
    match_names,
    near_miss,
    normalise,
    normalise_column,
)



def read_side_table(path: str | Path, what: str, columns: tuple[str, ...], required: tuple[str, ...], needs: str, empty: str) -> tuple[str, pd.DataFrame, list[Problem]]:
    """A weekly run's own CSV (a stock count, receipts, ship calls) read like the data set's
    tables: same encodings and messages, cells stripped and read as meant (full-width digits,
    no-break spaces: with a warning). Returns (label, rows with ``row`` and every one of
    ``columns`` as text — those not written blank —, problems so far). DataError at once for a
    missing or unreadable file (``what``: "snapshot" …), a missing ``required`` column
    (``needs``: what the file needs, for the message) or no data rows (``empty``)."""
    file = Path(path)
    label = file.name
    if not file.is_file():
        raise DataError([Problem(str(path), f"{'is a folder, not a file' if file.is_dir() else what + ' file not found'}; expected a CSV with columns {', '.join(columns)}")])
    problems: list[Problem] = []
    frame = read_csv_table(file, problems)
    if frame is None:
        raise DataError(problems)
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError([Problem(label, f"missing column {c}; {needs}", column=c) for c in missing])
    if not len(frame):
        raise DataError([Problem(label, empty)])
    rows = pd.DataFrame({c: frame[c].astype(str).str.strip() if c in frame.columns else pd.Series("", index=frame.index) for c in columns})
    rows.insert(0, "row", frame["row"].to_numpy())
    for c in columns:
        rows[c] = normalise_column(rows[c], label, c, rows["row"], problems)
    return label, rows, problems
