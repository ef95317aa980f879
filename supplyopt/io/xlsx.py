"""Excel workbooks that are byte-identical for identical content.

openpyxl stamps the document's created and modified dates with the clock, and zip entries
carry the time they were written: :func:`reproducible_xlsx` fixes both, so two runs on the
same inputs write the same bytes. :func:`tables_workbook` writes data frames as sheets (the
header row frozen and bold, columns sized), numbers as numbers, blanks as empty cells.
"""

from __future__ import annotations

import io
import math
import re
import zipfile

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

FIXED_TIME = "2000-01-01T00:00:00Z"
FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def reproducible_xlsx(data: bytes) -> bytes:
    """The saved workbook ``data`` with fixed zip entry times and fixed document dates."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + FIXED_TIME.encode() + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, content)
    return out.getvalue()


def cell_value(value):
    """A value as a cell holds it: numbers rounded to 6 decimals (whole ones as int), NaN and
    None blank, numpy scalars as Python ones, dates and text as they are."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(float(value)):
            return None
        r = round(float(value), 6) + 0.0
        return int(r) if r == int(r) and abs(r) < 2**53 else r
    return value


def tables_workbook(sheets: dict[str, pd.DataFrame], number_formats: dict[str, str] | None = None, creator: str = "supplyopt") -> bytes:
    """A workbook with one sheet per frame (sheet name → frame, in the order given), as
    reproducible bytes. ``number_formats``: column name → Excel number format."""
    number_formats = number_formats or {}
    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in sheets.items():
        ws = wb.create_sheet(name[:31])
        ws.append([str(c) for c in frame.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False, name=None):
            ws.append([cell_value(v) for v in row])
        for j, col in enumerate(frame.columns, start=1):
            letter = ws.cell(row=1, column=j).column_letter
            fmt = number_formats.get(str(col))
            if fmt:
                for r in range(2, len(frame) + 2):
                    ws.cell(row=r, column=j).number_format = fmt
            longest = max([len(str(col))] + [len(str(v)) for v in frame[col].head(200) if v is not None])
            ws.column_dimensions[letter].width = min(48, max(8, longest + 2))
        ws.freeze_panes = "A2"
    wb.properties.creator = creator
    buf = io.BytesIO()
    wb.save(buf)
    return reproducible_xlsx(buf.getvalue())
