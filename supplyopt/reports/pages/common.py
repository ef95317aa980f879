"""What every page of a non-solve results folder shares: the folder as read (summary.json and
every CSV, typed), numbers with their units, tables with units in their headers, the page
skeleton (executive summary first, then the sections, the run's warnings and the record), the
charts (none drawn when there is nothing to show) and the workbook (a ``Summary`` sheet, one
sheet per CSV, ``long``: one row per figure, and ``columns``: the unit of every column).

Like the report of a solve, a page is drawn only from what the command wrote, never from a
model in memory; identical folders give byte-identical pages, charts and workbooks.
"""

from __future__ import annotations

import html
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import StrMethodFormatter
from openpyxl import Workbook

from supplyopt.io.data import DataError, Problem
from supplyopt.io.xlsx import reproducible_xlsx
from supplyopt.reports import workbook
from supplyopt.reports.workbook import long_frame, sheet_name, unit_of
from supplyopt.reports.charts import Chart, Figures, wrap
from supplyopt.reports.executive import Line, summary_frame
from supplyopt.reports.folders import run_warnings
from supplyopt.reports.htmlreport import SORT_SCRIPT, STYLE, extension_text, figure, summary_block, table
from supplyopt.reports.stochastic_page import EXTRA_STYLE, dataset_facts, latin_part

TOL_T = 0.5  # tonnes: smaller shortfalls are solver noise (as results/warning.py)
TOL_CNY = 0.5
# columns that name things (kept as text, so a case called 2027 stays "2027")
TEXT_COLUMNS = {"case", "scenario", "node", "name", "region", "product", "period", "week", "link", "from", "to", "mode", "element", "kind",
                "candidate", "id", "target", "metric", "unit", "severity", "message", "status", "effect", "demand_class", "weeks", "basis",
                "members", "opens", "earliest_period", "excludes", "requires", "open", "origin", "destination", "movement", "commodity",
                "wagon_type", "line", "origin_station", "destination_station", "shipper", "consignee", "period_kind", "from_date", "to_date",
                "loading_port", "destination_port", "ship_class", "mine", "cover_status", "demand_unit", "scope", "corridor", "link_role",
                "rule", "lowest_cover_node", "lowest_cover_period", "demand_centres_hurt", "bottlenecks", "explanation", "ship", "kind_of",
                "description", "chosen_alone", "as_planned", "day", "date"}
BOOL_TEXT = {"true", "false"}
NB = "\u00a0"


# --------------------------------------------------------------------------- the folder
@dataclass
class Folder:
    """A results folder as read: its kind, summary.json and every CSV (by file stem)."""

    path: Path
    kind: str
    summary: dict
    tables: dict[str, pd.DataFrame]
    names: dict[str, str] = field(default_factory=dict)  # node id -> planner name
    periods: list[str] = field(default_factory=list)  # the data set's periods in order, where known

    @property
    def currency(self) -> str:
        return str(self.summary.get("currency") or "CNY")

    @property
    def label(self) -> str:
        return self.path.resolve().name

    def name(self, node: str) -> str:
        return self.names.get(str(node), str(node))


def read_csv(file: Path) -> pd.DataFrame:
    """A CSV as the command wrote it: names as text, ``true``/``false`` columns as booleans,
    other columns as numbers where every filled cell is one."""
    frame = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8")
    for col in frame.columns:
        filled = frame[col][frame[col] != ""]
        if len(filled) and filled.str.lower().isin(BOOL_TEXT).all():
            frame[col] = frame[col].str.lower().eq("true")
            continue
        if col in TEXT_COLUMNS:
            continue
        numbers = pd.to_numeric(frame[col].where(frame[col] != ""), errors="coerce")
        if numbers.notna().sum() == len(filled):
            frame[col] = numbers.astype(float)
    return frame


def read_folder(path: str | Path, kind: str) -> Folder:
    """summary.json and every CSV of a results folder; a file that cannot be read raises
    :class:`DataError` naming it and what was expected."""
    path = Path(path)
    file = path / "summary.json"
    try:
        summary = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError([Problem(str(file), f"missing file; expected the summary.json that `supplyopt {kind}` writes")]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataError([Problem(str(file), f"not valid JSON ({err}); expected the summary written by `supplyopt {kind}`")]) from None
    if not isinstance(summary, dict):
        raise DataError([Problem(str(file), f"expected the JSON object `supplyopt {kind}` writes")])
    tables, problems = {}, []
    for csv in sorted(path.glob("*.csv")):
        try:
            tables[csv.stem] = read_csv(csv)
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
            problems.append(Problem(str(csv), f"cannot be read as a UTF-8 CSV table: {err}"))
    if problems:
        raise DataError(problems)
    names, periods = dataset_facts(summary)
    nodes = tables.get("nodes")
    if nodes is not None and {"id", "name"} <= set(nodes.columns):
        names = {**names, **{str(i): (str(n).strip() or str(i)) for i, n in zip(nodes["id"], nodes["name"])}}
    return Folder(path, kind, summary, tables, names, periods)


def require(folder: Folder, needed: dict[str, Sequence[str]]) -> None:
    """Every table named in ``needed`` with its columns, else :class:`DataError` naming each
    missing file and column."""
    problems = []
    for name, columns in needed.items():
        file = folder.path / f"{name}.csv"
        if name not in folder.tables:
            problems.append(Problem(str(file), f"missing file; a `supplyopt {folder.kind}` results folder has {', '.join(n + '.csv' for n in needed)}"))
            continue
        for col in columns:
            if col not in folder.tables[name].columns:
                problems.append(Problem(str(file), f"missing column {col}; the report needs {', '.join(columns)}", column=col))
    if problems:
        raise DataError(problems)


# --------------------------------------------------------------------------- units and numbers
def missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and not math.isfinite(v))


def num(v, decimals: int | None = None) -> str:
    """A number for a table whose header names the unit: thousands separators; to the unit
    from 1,000 up, else to two decimals (or ``decimals``)."""
    if missing(v):
        return "–"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if not isinstance(v, (int, float, np.integer, np.floating)):
        return str(v)
    v = float(v)
    if decimals is not None:
        return f"{v:,.{decimals}f}"
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{v:.3g}"


def pct(share, decimals: int = 1) -> str:
    """A share 0–1 as a percentage number (the header says %)."""
    return "–" if missing(share) else f"{100 * float(share):,.{decimals}f}"


def signed(v) -> str:
    if missing(v):
        return "–"
    return ("+" if float(v) > 0 else "") + num(v)


def cell(value, unit: str) -> str:
    """A figure shown in a column of the given unit: shares as percentages, others by :func:`num`."""
    if unit == "share 0–1":
        return pct(value)
    if unit in ("year", "count") and not missing(value) and isinstance(value, (int, float)):
        return f"{value:,.0f}" if unit == "count" else f"{value:.0f}"
    return num(value)


def header(column: str, unit: str, title: str | None = None) -> str:
    """``cash NPV (CNY)``; shares are shown in %."""
    shown = "%" if unit == "share 0–1" else "" if unit == "count" and "(" in (title or "") else unit
    title = title or column.replace("_", " ")
    return f"{title} ({shown})" if shown else title


# --------------------------------------------------------------------------- tables on the page
@dataclass(frozen=True)
class Col:
    """A column of a page table: the CSV column, its title and unit ('' for text)."""

    column: str
    title: str
    unit: str = ""


def frame_table(frame: pd.DataFrame, cols: Sequence[Col], bad: Callable[[dict, str], bool] | None = None, limit: int | None = None) -> str:
    """An HTML table of ``frame`` in ``cols`` (columns the frame lacks are left out); a cell
    is red where ``bad(row, column)``."""
    cols = [c for c in cols if c.column in frame.columns]
    rows, classes = [], {}
    records = frame.to_dict("records")
    for i, r in enumerate(records[:limit] if limit else records):
        rows.append([cell(r[c.column], c.unit) if c.unit else ("–" if missing(r[c.column]) or r[c.column] == "" else num(r[c.column])) for c in cols])
        if bad:
            for j, c in enumerate(cols):
                if bad(r, c.column):
                    classes[(i, j)] = "bad"
    out = table([header(c.column, c.unit, c.title) for c in cols], rows, numeric={j for j, c in enumerate(cols) if c.unit}, classes=classes)
    if limit and len(records) > limit:
        out += f'<p class="note">The first {limit} of {len(records):,} rows; results.xlsx has every row.</p>'
    return out


def auto_cols(frame: pd.DataFrame, currency: str, skip: Iterable[str] = ()) -> list[Col]:
    """Every column of a CSV with the unit its name states (text columns without one)."""
    skip = set(skip)
    return [Col(c, c.replace("_", " "), (unit_of(c, currency) or "number") if pd.api.types.is_numeric_dtype(frame[c]) and frame[c].dtype != bool else "")
            for c in frame.columns if c not in skip]


def e(value) -> str:
    return html.escape(str(value), quote=True)


# --------------------------------------------------------------------------- the page
@dataclass
class Section:
    """One section of a page: its anchor, heading, HTML body and the charts drawn after it
    (None where there was nothing to show)."""

    id: str
    title: str
    body: str
    charts: Sequence[Chart | None] = ()

    @property
    def drawn(self) -> list[Chart]:
        return [c for c in self.charts if c is not None and c.png is not None]


def warning_lines(folder: Folder) -> list[Line]:
    """Amber lines for the run's own warnings (all of them; also listed in their section)."""
    return [Line(folder.label, "run_warning", "amber", w) for w in run_warnings(folder.summary)]


def warnings_section(folder: Folder) -> Section | None:
    found = run_warnings(folder.summary)
    if not found:
        return None
    return Section("run_warnings", "Warnings of the run", '<ul class="exec">' + "".join(f'<li class="amber">{e(w)}</li>' for w in found) + "</ul>")


def record_section(folder: Folder, extra: Sequence[tuple[str, str]] = ()) -> Section:
    s = folder.summary
    ds = s.get("dataset") or {}
    profile = s.get("profile")
    profile = (profile.get("path") if isinstance(profile, dict) else profile) or "none"
    items = [("results folder", str(folder.path)), ("written by", f"supplyopt {folder.kind}"),
             ("data set", f"{ds.get('name', '–')} ({ds.get('path', '–')})" if ds else "–"), ("profile", str(profile)),
             ("model extension", extension_text(s.get("extension")) or "none"), *extra,
             ("tables", ", ".join(f"{n}.csv ({len(t):,} rows)" for n, t in folder.tables.items()) or "none")]
    return Section("record", "Record", '<dl class="meta">' + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in items) + "</dl>")


def page_html(title: str, lines: list[Line], sections: Sequence[Section | None]) -> str:
    """The whole page: the executive summary first, then ``sections`` (None left out)."""
    shown = [Section("summary", "Executive summary", summary_block(lines, several=False))] + [s for s in sections if s is not None]
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{e(title)}</title><style>{STYLE}{EXTRA_STYLE}</style></head><body>",
             f"<h1>{e(title)}</h1><nav>" + "".join(f'<a href="#{e(s.id)}">{e(s.title)}</a>' for s in shown) + "</nav>"]
    parts += [f'<section id="{e(s.id)}"><h2>{e(s.title)}</h2>\n{s.body}{"".join(figure(c) for c in s.drawn)}</section>' for s in shown]
    parts.append(f"<script>{SORT_SCRIPT}</script>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


# --------------------------------------------------------------------------- charts
def chart_label(figs: Figures, text: str) -> str:
    """A label fit for a chart: the Latin part of a Chinese name where no CJK font is installed."""
    return text if figs.font else latin_part(text, text)


def scale_of(values: Iterable[float], unit: str) -> tuple[float, str]:
    """Divisor and unit for an axis: bn/million/thousand of ``unit``."""
    largest = max((abs(v) for v in values if not missing(v)), default=0.0)
    for factor, word in ((1e9, "bn "), (1e6, "million "), (1e3, "thousand ")):
        if largest >= factor:
            return factor, f"{word}{unit}"
    return 1.0, unit


def bar_chart(figs: Figures, file: str, title: str, labels: Sequence[str], values: Sequence[float], unit: str, colour: str = "#1f5fa8",
              bad: Sequence[bool] | None = None) -> Chart | None:
    """Horizontal bars, first label on top; None when every value is 0 (nothing to show)."""
    values = [0.0 if missing(v) else float(v) for v in values]
    if not values or all(abs(v) < 1e-9 for v in values):
        return None
    factor, shown = scale_of(values, unit)
    fig = figs.new(8.5, 0.9 + 0.32 * len(values))
    ax = fig.add_subplot()
    y = np.arange(len(values))[::-1]
    colours = ["#b30000" if bad and bad[i] else colour for i in range(len(values))]
    ax.barh(y, [v / factor for v in values], color=colours)
    ax.set_yticks(y, [wrap(str(lab), 34) for lab in labels])
    ax.set_xlabel(shown)
    ax.axvline(0, color="#555", linewidth=0.8)
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.6g}"))
    ax.set_title(title, loc="left")
    ax.grid(axis="x", color="#ddd", linewidth=0.6)
    ax.set_axisbelow(True)
    return Chart(file, title, figs.png(fig))


def line_chart(figs: Figures, file: str, title: str, x: Sequence, series: dict[str, Sequence[float]], unit: str, xlabel: str,
               x_labels: Sequence[str] | None = None, marks: Sequence[tuple[float, float, str]] = ()) -> Chart | None:
    """Lines with markers over ``x`` (positions; ``x_labels`` name them); None when no series
    has a value other than 0."""
    series = {k: [np.nan if missing(v) else float(v) for v in vals] for k, vals in series.items()}
    if not len(x) or all(np.nansum(np.abs(v)) < 1e-9 for v in series.values()):
        return None
    factor, shown = scale_of([v for vals in series.values() for v in vals if not np.isnan(v)], unit)
    fig = figs.new(8.5, 4.2)
    ax = fig.add_subplot()
    colours = ("#1f5fa8", "#e6550d", "#31a354", "#756bb1", "#636363")
    for i, (name, vals) in enumerate(series.items()):
        # later lines dashed with hollow markers: where two series are equal (a roll that matches
        # its full-horizon plan) both stay visible, not one hidden under the other
        ax.plot(list(x), [v / factor for v in vals], marker="os^dv"[i % 5], markersize=4 + 2 * (i > 0), linestyle=("-", "--", ":", "-.")[i % 4],
                markerfacecolor=colours[i % len(colours)] if i == 0 else "none", color=colours[i % len(colours)], label=name)
    for mx, my, note in marks:
        ax.annotate(note, (mx, my / factor), xytext=(8, 8), textcoords="offset points", fontsize=8, color="#b30000")
        ax.plot([mx], [my / factor], marker="o", markersize=8, markerfacecolor="none", markeredgecolor="#b30000")
    if x_labels is not None:
        ax.set_xticks(list(x), list(x_labels), rotation=45 if len(x_labels) > 6 else 0, ha="right" if len(x_labels) > 6 else "center")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(shown)
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.6g}"))
    ax.grid(color="#ddd", linewidth=0.6)
    ax.set_title(title, loc="left")
    if len(series) > 1:
        ax.legend(frameon=False)
    return Chart(file, title, figs.png(fig))


# --------------------------------------------------------------------------- the workbook
def columns_frame(folder: Folder, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = [{"sheet": n, "column": c, "unit": unit_of(c, folder.currency) if pd.api.types.is_numeric_dtype(t[c]) and t[c].dtype != bool else ""}
            for n, t in tables.items() for c in t.columns]
    return pd.DataFrame(rows, columns=["sheet", "column", "unit"])


def workbook_bytes(folder: Folder, lines: list[Line], extra: dict[str, pd.DataFrame] | None = None) -> bytes:
    """results.xlsx: ``Summary`` (the executive summary), the page's own tables (``extra``),
    one sheet per CSV of the folder, ``long`` (one row per figure) and ``columns`` (units)."""
    wb = Workbook()
    wb.remove(wb.active)
    taken = {"summary", "long", "columns"}
    workbook.write_sheet(wb, "Summary", summary_frame(list(lines)))
    ws = wb["Summary"]
    ws.column_dimensions["D"].width = 120
    for r, line in enumerate(lines, start=2):
        if line.severity in workbook.SEVERITY_FONT:
            for j in range(1, 5):
                ws.cell(row=r, column=j).font = workbook.SEVERITY_FONT[line.severity]
    for name, frame in (extra or {}).items():
        workbook.write_sheet(wb, sheet_name(name, taken), frame)
    sheets = {}
    for name, frame in folder.tables.items():
        sheets[sheet_name(name, taken)] = frame
        workbook.write_sheet(wb, list(sheets)[-1], frame)
    workbook.write_sheet(wb, "long", long_frame(folder.label, folder.tables, folder.currency))
    workbook.write_sheet(wb, "columns", columns_frame(folder, sheets))
    wb.properties.creator = "supplyopt"
    buf = io.BytesIO()
    wb.save(buf)
    return reproducible_xlsx(buf.getvalue())
