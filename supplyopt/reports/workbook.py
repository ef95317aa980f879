"""The Excel workbook of a report: every result table of the first results folder as a sheet
(headers are the CSV column names, which carry the units: ``flow_t``, ``cost_cny``,
``price_cny_per_t``), first a ``Summary`` sheet (the executive summary, reports/executive.py), a ``kpis`` sheet with every folder side by side and a ``columns`` sheet
spelling out each column's unit. Header rows are frozen, numbers formatted, columns sized.

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
from supplyopt.results.labels import KPIS, kpi_unit, text

SHEETS = ("flows", "production", "stocks", "unmet", "prices", "nodes")
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


def columns_frame(base, currency: str) -> pd.DataFrame:
    rows = [{"sheet": s, "column": c, "unit": column_unit(c, currency)} for s in SHEETS if s in base.tables for c in base.tables[s].columns]
    return pd.DataFrame(rows, columns=["sheet", "column", "unit"])


SEVERITY_FONT = {"red": Font(bold=True, color="B30000"), "amber": Font(color="9C6500")}


def workbook_bytes(runs, lang: str, summary: list[Line] = ()) -> bytes:
    """The workbook (.xlsx bytes) for a report on ``runs`` (results folders, base first);
    its first sheet ``Summary`` holds the executive summary ``summary``."""
    base = runs[0]
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
    for name in SHEETS:
        if name in base.tables:
            write_sheet(wb, name, base.tables[name])
    write_sheet(wb, "columns", columns_frame(base, base.summary.get("currency", "CNY")))
    wb.properties.creator = "supplyopt"
    buf = io.BytesIO()
    wb.save(buf)
    return reproducible_xlsx(buf.getvalue())
