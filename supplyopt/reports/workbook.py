"""The Excel workbook of a report: every result table of the first results folder as a sheet
(headers are the CSV column names, which carry the units: ``flow_t``, ``cost_cny``,
``price_cny_per_t``), first a ``Summary`` sheet (the executive summary, reports/executive.py),
a ``kpis`` sheet with every folder side by side, ``warnings`` (each folder's own warnings and
its warnings.csv), each compared folder's unmet demand (``unmet <folder>``), ``long`` (one row
per figure, for a pivot table: :func:`long_frame`, which the pages of other commands use too)
and a ``columns`` sheet spelling out each column's unit. Header rows are frozen, numbers
formatted, columns sized.

``pandas.read_excel(path, sheet_name="flows")`` gives back the frame that
``pandas.read_csv("flows.csv")`` gives. The file is reproducible: fixed document dates and
zip entry times, so identical results give an identical workbook.
"""

from __future__ import annotations

import io
import re
import unicodedata

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from supplyopt.io.xlsx import reproducible_xlsx
from supplyopt.reports.executive import Line, summary_frame
from supplyopt.reports.folders import run_warnings
from supplyopt.results.labels import KPIS, kpi_unit, text

SHEETS = ("flows", "production", "stocks", "unmet", "prices", "nodes")
# free text left out of a row's key in the long sheet
FREE_TEXT = {"message", "explanation", "description", "bottlenecks", "demand_centres_hurt", "basis", "effect", "name", "members", "shipper",
             "consignee", "weeks", "excludes", "requires"}
LONG_MAX_ROWS = 1_000_000  # an Excel sheet holds 1,048,576 rows
# attributes of a link or stock repeated on every row, not results of the plan: left out of a
# solve report's long sheet (they stay in their own sheets)
LONG_SKIP = {"capacity_t", "distance_km", "cover_red_days", "cover_amber_days", "lon", "lat"}
WARNING_SHEET_COLUMNS = ["results", "source", "severity", "period", "node", "name", "region", "product", "kind", "value", "unit", "message"]
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")


def column_unit(name: str, currency: str = "CNY") -> str:
    """The unit a column name states (a KPI's from the one KPI table; else by its ending:
    ``_t`` tonnes, ``_cny`` currency, ``_km`` …); '' for text."""
    known = kpi_unit(name, currency)
    if known is not None:
        return known
    rules = (
        (r"_cny_per_t$", f"{currency}/t"), (r"_cny$", currency), (r"^utilisation$|_share", "share 0–1"), (r"^tkm$|_tkm$", "t·km"), (r"^co2_t$", "t CO2"),
        (r"_t$", "t"), (r"_km$", "km"), (r"^days_of_cover$|_days$", "days"),
        (r"^lon$", "° east"), (r"^lat$", "° north"),
    )
    return next((unit for pattern, unit in rules if re.search(pattern, name)), "")


UNIT_RULES = (
    (r"_cny_per_t$", "{cur}/t"), (r"_cny_per_tce$", "{cur}/tce"), (r"_cny_per_year$", "{cur}/yr"), (r"_cny_per_day$", "{cur}/day"),
    (r"^extra_per_point_cny$", "{cur} per percentage point"), (r"_t_per_year$", "t/yr"), (r"_tce_per_year$", "tce/yr"),
    (r"_tkm_per_year$", "t·km/yr"), (r"^co2_t_avoided_per_year$|^co2_t_removed_per_year$", "t CO2/yr"), (r"_trips_removed_per_year$", "trips/yr"),
    (r"_per_year$", "/yr"), (r"_years$|^lag_years$", "years"), (r"_s$", "s"), (r"^cap$|(^|_)share(_|$)", "share 0–1"), (r"^utilisation$", "share 0–1"),
    (r"^probability$", "share 0–1"), (r"_pct$", "%"), (r"^discount_factor$|^discount_rate$", "share 0–1"), (r"_kcal_per_kg$", "kcal/kg"),
    (r"^wagons$|^trains$|^ship_calls$|_warnings$|^rank$|^trainsets$", "count"), (r"^(year|build_year|opens)$", "year"),
    (r"^value$", ""),
)


def unit_of(column: str, currency: str = "CNY") -> str:
    """The unit a column name states (``cash_npv_cny`` CNY, ``truck_t_removed_per_year``
    t/yr, ``simple_payback_years`` years …); '' where it states none."""
    for pattern, unit in UNIT_RULES:
        if re.search(pattern, column):
            return unit.format(cur=currency)
    return column_unit(column, currency)


def number_format(name: str) -> str | None:
    if re.search(r"_cny_per_t$|^price", name):
        return "#,##0.00"
    if re.search(r"^utilisation$|_share", name):
        return "0.0%"
    if name == "days_of_cover":
        return "0.0"
    if name in ("lon", "lat"):
        return "0.000"
    if re.search(r"_t$|_cny$|tkm$|_km$", name):
        return "#,##0"
    return None


def _display_width(value) -> int:
    s = str(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _cell(value):
    """A frame value as an Excel cell value: NaN -> empty, numpy scalars -> Python."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if not np.isfinite(value) else float(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def write_sheet(wb: Workbook, title: str, frame: pd.DataFrame) -> None:
    """One sheet: bold frozen header, one row per frame row, number formats and widths."""
    ws = wb.create_sheet(title)
    ws.append([str(c) for c in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        ws.append([_cell(v) for v in row])
    for j, col in enumerate(frame.columns, start=1):
        head = ws.cell(row=1, column=j)
        head.font = Font(bold=True)
        head.fill = HEADER_FILL
        head.alignment = Alignment(horizontal="center")
        fmt = number_format(str(col))
        if fmt and len(frame):
            for (c,) in ws.iter_rows(min_row=2, max_row=len(frame) + 1, min_col=j, max_col=j):
                c.number_format = fmt
        sample = frame[col].head(500)
        shown = sample.map(lambda v: f"{v:,.0f}" if isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_)) and np.isfinite(v) else v)
        width = max([_display_width(col)] + [_display_width(v) for v in shown]) + 2
        ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = min(60, max(8, width))
    ws.freeze_panes = "A2"
    if len(frame.columns):
        ws.auto_filter.ref = ws.dimensions


def row_keys(frame: pd.DataFrame) -> list[str]:
    """What names each row in the long sheet: its text columns (``case=cold; node=x``), free
    text left out; ``row N`` where there are none."""
    keys = [c for c in frame.columns if c not in FREE_TEXT and (frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])) and c != "unit"]
    if not keys:
        return [f"row {i + 1}" for i in range(len(frame))]
    return ["; ".join(f"{c}={v}" for c, v in zip(keys, row) if v != "") or f"row {i + 1}"
            for i, row in enumerate(frame[keys].astype(str).itertuples(index=False, name=None))]


def long_frame(label: str, tables: dict[str, pd.DataFrame], currency: str = "CNY") -> pd.DataFrame:
    """One row per figure of ``tables`` (of the results folder called ``label``): folder,
    table, row key, column, value, unit — for a pivot table across folders. A table with a ``unit`` column (against.csv) gives each row its unit; one with
    a ``metric`` column (comparison.csv) takes the metric's."""
    parts = []
    for name, frame in tables.items():
        numbers = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and frame[c].dtype != bool]
        if not numbers or frame.empty:
            continue
        keys = row_keys(frame)
        for col in numbers:
            if "unit" in frame.columns:
                units = frame["unit"].astype(str).tolist()
            elif "metric" in frame.columns:
                units = [unit_of(str(m), currency) for m in frame["metric"]]
            else:
                units = [unit_of(col, currency)] * len(frame)
            part = pd.DataFrame({"folder": label, "table": name, "row": keys, "column": col, "value": frame[col].to_numpy(float), "unit": units})
            parts.append(part[part["value"].notna()])
    columns = ["folder", "table", "row", "column", "value", "unit"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    return out[columns].head(LONG_MAX_ROWS)


def sheet_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31]
    out, n = base, 2
    while out.lower() in taken:
        out = f"{base[:28]}-{n}"
        n += 1
    taken.add(out.lower())
    return out


def kpi_frame(runs, lang: str) -> pd.DataFrame:
    """KPIs of every results folder side by side (the first is the base)."""
    currency = runs[0].summary.get("currency", "CNY")
    rows = []
    for key, unit in KPIS:
        row = {"kpi": key, "name": text(key, lang), "unit": kpi_unit(key, currency)}
        for run in runs:
            row[run.label] = run.summary.get(key)
        rows.append(row)
    for name in runs[0].summary.get("costs", {}):
        row = {"kpi": f"cost_{name}", "name": name, "unit": currency}
        for run in runs:
            row[run.label] = (run.summary.get("costs") or {}).get(name)
        rows.append(row)
    return pd.DataFrame(rows)


def columns_frame(sheets: dict[str, pd.DataFrame], currency: str) -> pd.DataFrame:
    rows = [{"sheet": s, "column": c, "unit": column_unit(c, currency)} for s, frame in sheets.items() for c in frame.columns]
    return pd.DataFrame(rows, columns=["sheet", "column", "unit"])


def warnings_frame(runs) -> pd.DataFrame:
    """Every folder's warnings, one row each: the run's own (summary.json ``input_warnings``
    and the like; source ``run``, amber) then its early warnings (source ``warnings.csv``,
    red and amber, as written)."""
    parts = []
    for run in runs:
        own = run_warnings(run.summary)
        if own:
            parts.append(pd.DataFrame({"results": run.label, "source": "run", "severity": "amber", "message": own}))
        w = run.tables.get("warnings")
        if w is not None and not w.empty:
            parts.append(w.assign(results=run.label, source="warnings.csv"))
    if not parts:
        return pd.DataFrame(columns=WARNING_SHEET_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    return out.reindex(columns=WARNING_SHEET_COLUMNS + [c for c in out.columns if c not in WARNING_SHEET_COLUMNS])


def long_tables(runs, kpis: pd.DataFrame) -> pd.DataFrame:
    """The long sheet of a solve report: each folder's key figures and cost parts and its
    unmet demand, and every other table of the base (as its sheets), one row per figure."""
    parts = []
    for i, run in enumerate(runs):
        own = kpis[["kpi", "unit", run.label]].rename(columns={run.label: "value"})
        tables = {"kpis": own.assign(value=pd.to_numeric(own["value"], errors="coerce"))}
        names = [n for n in run.tables if n != "nodes"] if i == 0 else ["unmet"]
        tables |= {n: run.tables[n].drop(columns=[c for c in run.tables[n].columns if c in LONG_SKIP]) for n in names if n in run.tables}
        parts.append(long_frame(run.label, tables, run.summary.get("currency", "CNY")))
    return pd.concat(parts, ignore_index=True).head(LONG_MAX_ROWS)


SEVERITY_FONT = {"red": Font(bold=True, color="B30000"), "amber": Font(color="9C6500")}


def workbook_bytes(runs, lang: str, summary: list[Line] = ()) -> bytes:
    """The workbook (.xlsx bytes) for a report on ``runs`` (results folders, base first);
    its first sheet ``Summary`` holds the executive summary ``summary``."""
    base = runs[0]
    currency = base.summary.get("currency", "CNY")
    wb = Workbook()
    wb.remove(wb.active)
    write_sheet(wb, "Summary", summary_frame(list(summary)))
    ws = wb["Summary"]
    ws.column_dimensions["D"].width = 120
    for r, line in enumerate(summary, start=2):
        if line.severity in SEVERITY_FONT:
            for j in range(1, 5):
                ws.cell(row=r, column=j).font = SEVERITY_FONT[line.severity]
    kpis = kpi_frame(runs, lang)
    write_sheet(wb, "kpis", kpis)
    ws = wb["kpis"]
    for r, (_, unit) in enumerate(zip(kpis["kpi"], kpis["unit"]), start=2):
        for j in range(4, 4 + len(runs)):
            ws.cell(row=r, column=j).number_format = "0.0%" if unit == "share 0–1" else "#,##0"
    sheets = {name: base.tables[name] for name in SHEETS if name in base.tables}
    taken = {"summary", "kpis", "warnings", "long", "columns"} | set(sheets)
    sheets |= {sheet_name(f"unmet {run.label}", taken): run.tables["unmet"] for run in runs[1:]}
    sheets["warnings"] = warnings_frame(runs)
    for name, frame in sheets.items():
        write_sheet(wb, name, frame)
    ws = wb["warnings"]
    for r, severity in enumerate(sheets["warnings"]["severity"], start=2):
        if severity in SEVERITY_FONT:
            for j in range(1, len(WARNING_SHEET_COLUMNS) + 1):
                ws.cell(row=r, column=j).font = SEVERITY_FONT[severity]
    sheets["long"] = long_tables(runs, kpis)
    write_sheet(wb, "long", sheets["long"])
    write_sheet(wb, "columns", columns_frame(sheets, currency))
    wb.properties.creator = "supplyopt"
    buf = io.BytesIO()
    wb.save(buf)
    return reproducible_xlsx(buf.getvalue())
