"""Read a data set (a folder of CSV files plus network.yaml, or one .xlsx workbook).

Reading turns every cell into a typed value and records a :class:`Problem` for every cell it
cannot read; it never raises for bad data. :func:`expand` then turns the typed tables, with
their optional ``period`` override rows, into one row per key and period: the
:class:`Network` that the later steps (scenario, model) work on.

The format is documented in ``docs/data-format.md``; the column tables below are its source.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

NODE_KINDS = ("mine", "hub", "storage", "port", "demand")
DEFAULT_PRODUCT = "coal"
ROWS_NOTE = "rows count data rows from 1; the header line is not counted"

# Largest magnitude accepted in any number cell: beyond it an LP is badly scaled and the
# value is almost certainly a typo (tonnes written in grams, a pasted id).
MAX_ABS_NUMBER = 1e12


# --------------------------------------------------------------------------- problems
@dataclass(frozen=True)
class Problem:
    """One thing wrong (or doubtful) in the input, located as precisely as possible.

    ``row`` counts data rows from 1 (the header line is not counted); ``None`` for a
    problem with a whole file or column.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: object = None
    severity: str = "error"  # "error" stops a solve, "warning" is shown only

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        value = "" if self.value is None else f": {_show(self.value)}"
        return f"{where}{value} — {self.message}"


def _show(value: object) -> str:
    if isinstance(value, (float, np.floating)) and math.isfinite(value):
        text = str(int(value)) if float(value).is_integer() else format(float(value), ".12g")
    else:
        text = str(value)
    return repr(text) if text.strip() != text or text == "" else f"'{text}'"


class DataError(Exception):
    """Raised with every problem found in the input; the CLI prints them and exits 2."""

    def __init__(self, problems: list[Problem]):
        self.problems = [p for p in problems if p.severity == "error"]
        self.warnings = [p for p in problems if p.severity != "error"]
        super().__init__(f"{len(self.problems)} problem(s) in the input")


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
            PERIOD,
        ),
        static=("from", "to", "mode", "distance_km", "efficiency", "products"),
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
        ),
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

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
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
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_folder(path: Path, problems: list[Problem]):
    sources, raw, hashes = {}, {}, {}
    meta: dict = {}
    meta_file = path / "network.yaml"
    sources["network"] = "network.yaml"
    if not meta_file.exists():
        problems.append(Problem("network.yaml", "missing file: every data set needs network.yaml (name, period_days, periods)"))
    else:
        hashes["network.yaml"] = _sha256(meta_file)
        meta = _read_yaml(meta_file, "network.yaml", problems)
    for name in TABLES:
        file = path / f"{name}.csv"
        sources[name] = file.name
        if file.exists():
            hashes[file.name] = _sha256(file)
            frame = _read_csv(file, problems)
            if frame is not None:
                raw[name] = frame
    return meta, raw, sources, hashes


def read_yaml(file: Path, label: str, problems: list[Problem], loader=yaml.SafeLoader):
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
    known = {"name", "description", "currency", "period_days", "periods", "products"}
    for key in meta:
        if key not in known:
            problems.append(Problem(label, f"unknown key; expected one of {', '.join(sorted(known))}", column=str(key), severity="warning"))
    return meta


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


def _read_csv(file: Path, problems: list[Problem]) -> pd.DataFrame | None:
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
    label = path.name
    hashes = {label: _sha256(path)}
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, header=None, keep_default_na=False)
    except Exception as err:  # openpyxl raises many kinds for broken files
        problems.append(Problem(label, f"cannot be read as an Excel workbook: {err}"))
        return {}, {}, {}, hashes
    sources = {name: f"{label}[{name}]" for name in list(TABLES) + ["network", "periods"]}
    sheets = {name: _frame(sheet.astype(str).values.tolist(), sources.get(name, f"{label}[{name}]"), problems) for name, sheet in sheets.items()}
    sheets = {name: sheet for name, sheet in sheets.items() if sheet is not None}
    meta: dict = {}
    if "network" not in sheets:
        problems.append(Problem(sources["network"], "missing sheet 'network' (two columns: key, value)"))
    else:
        sheet = sheets["network"]
        if not {"key", "value"} <= set(sheet.columns):
            problems.append(Problem(sources["network"], "expected two columns named key and value"))
        else:
            for k, v in zip(sheet["key"], sheet["value"]):
                if str(k).strip():
                    meta[str(k).strip()] = _yaml_scalar(v)
    if "periods" in sheets and "period" in sheets["periods"].columns:
        meta["periods"] = [str(v).strip() for v in sheets["periods"]["period"] if str(v).strip()]
    raw = {name: sheets[name] for name in TABLES if name in sheets}
    return meta, raw, sources, hashes


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
        if periods < 1:
            problems.append(Problem(label, "expected a positive count of periods", column="periods", value=periods))
            return []
        return [str(i) for i in range(1, periods + 1)]
    labels = [str(p).strip() for p in periods]
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
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        problems.append(Problem(label, "expected a positive number of days per period", column="period_days", value=value))
        return 7.0
    return float(value)


# --------------------------------------------------------------------------- typing
def _typed_table(frame: pd.DataFrame, spec: TableSpec, label: str, periods: list[str], problems: list[Problem], missing_columns: dict) -> pd.DataFrame:
    """Strip, check the header and convert each known column to its type (vectorised)."""
    rows_read = frame.pop("row").to_numpy() if "row" in frame else np.arange(1, len(frame) + 1)
    headers = [str(c).strip() for c in frame.columns]
    for i, h in enumerate(headers, start=1):
        if not h or h.startswith("Unnamed:") or h == "nan":
            problems.append(Problem(label, f"header cell {i} (column {_letter(i)}) is empty (merged or missing header?); expected a column name"))
    dupes = sorted({h for h in headers if headers.count(h) > 1 and h})
    for h in dupes:
        problems.append(Problem(label, "column appears more than once in the header", column=h))
    frame.columns = headers
    frame = frame.loc[:, ~pd.Index(headers).duplicated()]
    missing = [c.name for c in spec.columns if c.in_header and c.name not in frame.columns]
    for name in missing:
        problems.append(Problem(label, f"missing column {name}; the {spec.name} table needs {', '.join(c.name for c in spec.columns if c.in_header)}", column=name))
    frame = pd.DataFrame({c: frame[c].astype(str).str.strip() for c in frame.columns}, index=frame.index)
    frame.insert(0, "row", np.asarray(rows_read, dtype=np.int64))

    blank_row = (frame.drop(columns="row") == "").all(axis=1)
    for row in frame.loc[blank_row, "row"]:
        problems.append(Problem(label, "empty row; expected values (delete the line)", row=int(row)))
    frame = frame.loc[~blank_row].reset_index(drop=True)

    for col in spec.columns:
        if col.name not in frame.columns:
            frame[col.name] = ""
        raw = frame[col.name]
        if col.kind == "number":
            frame[col.name] = _to_number(raw, frame["row"], label, col, problems)
        elif col.kind == "bool":
            frame[col.name] = _to_bool(raw, frame["row"], label, col, problems)
        elif col.kind == "period":
            frame[col.name] = _to_period(raw, frame["row"], label, periods, problems)
    if "product" in frame.columns:
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


def _to_number(raw: pd.Series, rows: pd.Series, label: str, col: Column, problems: list[Problem]) -> pd.Series:
    ok = raw.str.fullmatch(_NUMBER) | (raw == "")
    values = pd.to_numeric(raw.where(ok & (raw != "")), errors="coerce").astype(float)
    for row, value in zip(rows[~ok], raw[~ok]):
        problems.append(Problem(label, _number_hint(value), row=int(row), column=col.name, value=value))
    too_big = values.abs() > MAX_ABS_NUMBER
    for row, value in zip(rows[too_big], raw[too_big]):
        problems.append(Problem(label, f"magnitude above {MAX_ABS_NUMBER:.0e}: the LP would be badly scaled; check the unit (tonnes, CNY, km)", row=int(row), column=col.name, value=value))
    values[too_big] = np.nan
    if not col.signed:
        negative = values < 0
        for row, value in zip(rows[negative], raw[negative]):
            problems.append(Problem(label, "is negative; expected a number ≥ 0", row=int(row), column=col.name, value=value))
        values[negative] = np.nan  # reported once; later checks treat it as not given
    return values


def _number_hint(value: str) -> str:
    low = value.lower()
    if low in ("nan", "inf", "-inf", "+inf", "infinity", "na", "n/a", "null", "none"):
        return "expected a finite number (leave the cell blank for 'not given'; blank capacity means unlimited)"
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", value):
        return "has a thousands separator; expected a plain number such as " + value.replace(",", "")
    if re.match(_NUMBER, value):
        return "has text after the number (a unit?); expected a plain number, the unit is in the column name"
    return "is not a number; expected a plain decimal number"


def _to_bool(raw: pd.Series, rows: pd.Series, label: str, col: Column, problems: list[Problem]) -> pd.Series:
    low = raw.str.lower()
    ok = low.isin(_TRUE | _FALSE) | (low == "")
    for row, value in zip(rows[~ok], raw[~ok]):
        problems.append(Problem(label, "expected true or false", row=int(row), column=col.name, value=value))
    return low.isin(_TRUE)


def _to_period(raw: pd.Series, rows: pd.Series, label: str, periods: list[str], problems: list[Problem]) -> pd.Series:
    by_label = {p: i for i, p in enumerate(periods)}
    index = raw.map(by_label)
    numeric = raw.str.fullmatch(r"\d+") & index.isna()
    position = pd.to_numeric(raw.where(numeric), errors="coerce") - 1
    index = index.fillna(position.where((position >= 0) & (position < len(periods))))
    bad = index.isna() & (raw != "")
    if periods:
        shown = ", ".join(periods[:3]) + (" …" if len(periods) > 3 else "")
        for row, value in zip(rows[bad], raw[bad]):
            problems.append(Problem(label, f"unknown period; expected a label from network.yaml ({shown}) or a position 1–{len(periods)}", row=int(row), column="period", value=value))
    # -1: blank (every period); -2: unreadable (reported; kept out of later checks)
    return index.where(~bad, -2).fillna(-1).astype(int)


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
      storage        node, product, initial_t, end_t (NaN = profile rule)
      storage_periods node, product, period, safety_t, holding_cny_per_t
      storage_capacity node, period, capacity_t (shared by all products; inf = unlimited)
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
    warnings: list[Problem] = field(default_factory=list)
    source: str = ""  # the path it was read from

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
            if pd.api.types.is_numeric_dtype(merged[col]) and not pd.api.types.is_bool_dtype(merged[col]):
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


def split_products(cell: str) -> tuple[str, ...]:
    """The products a ``products`` cell allows: ``"a; b"`` -> ("a", "b"), blank -> () (all)."""
    return tuple(p.strip() for p in re.split(r"[;|]", cell) if p.strip())


def expand(ds: Dataset) -> Network:
    """Turn a checked :class:`Dataset` into a :class:`Network` (defaults applied)."""
    T = len(ds.periods)
    t = ds.tables
    modes = DEFAULT_MODES.copy()
    if "modes" in t:
        own = t["modes"].drop(columns="row")[list(DEFAULT_MODES.columns)]
        modes = pd.concat([own, modes[~modes["mode"].isin(own["mode"])]], ignore_index=True)

    link_rows = per_period(t["links"][["row", "id", "period", "capacity_t", "cost_cny_per_t"]], ["id"], T)
    # what describes a link: its period-less row, or its first period row if it has none
    first = t["links"].sort_values(["id", "period"], key=lambda c: c if c.name == "id" else (c < 0).map({True: 0, False: 1}), kind="stable")
    links = first.drop_duplicates("id").drop(columns=["row", "period", "capacity_t", "cost_cny_per_t"]).copy()
    links["efficiency"] = links["efficiency"].fillna(1.0)
    links["products"] = links["products"].map(split_products)
    link_periods = link_rows[["id", "period", "capacity_t", "cost_cny_per_t"]].rename(columns={"id": "link"})
    link_periods["capacity_t"] = link_periods["capacity_t"].fillna(np.inf)

    supply = per_period(t["supply"], ["node", "product"], T)
    supply["capacity_t"] = supply["capacity_t"].fillna(np.inf)
    supply["min_t"] = supply["min_t"].fillna(0.0)

    demand = per_period(t["demand"], ["node", "product"], T)

    if "storage" in t:
        rows = per_period(t["storage"], ["node", "product"], T)
    else:
        rows = per_period(pd.DataFrame(columns=[c.name for c in TABLES["storage"].columns]).astype(
            {"capacity_t": float, "initial_t": float, "safety_t": float, "holding_cny_per_t": float, "end_t": float, "period": int}
        ), ["node", "product"], T)
    reserve_cols = [c for c in ("reserve", "release_cny_per_t") if c in rows]  # optional (reserves.py)
    storage = rows.drop_duplicates(["node", "product"])[["node", "product", "initial_t", "end_t", *reserve_cols]].reset_index(drop=True)
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
    )
