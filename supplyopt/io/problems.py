"""Problems in the input: one located problem (file, row, column, value, what was expected),
and the error that carries every problem found at once (the CLI prints them and exits 2)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ROWS_NOTE = "rows count data rows from 1; the header line is not counted"


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
        value = "" if self.value is None else f": {show(self.value)}"
        return f"{where}{value} — {self.message}"


def show(value: object) -> str:
    if isinstance(value, (float, np.floating)) and math.isfinite(value):
        text = str(int(value)) if float(value).is_integer() else format(float(value), ".12g")
    else:
        text = str(value)
    # repr shows what cannot be seen: edge spaces, no-break and zero-width spaces (\xa0, \u200b)
    return repr(text) if text.strip() != text or text == "" or not text.isprintable() else f"'{text}'"


class DataError(Exception):
    """Raised with every problem found in the input; the CLI prints them and exits 2."""

    def __init__(self, problems: list[Problem]):
        self.problems = [p for p in problems if p.severity == "error"]
        self.warnings = [p for p in problems if p.severity != "error"]
        # the first problems in the message too: where no one prints the list (a worker
        # process's traceback), the reason still shows
        shown = "; ".join(str(p) for p in self.problems[:3]) + (" …" if len(self.problems) > 3 else "")
        super().__init__(f"{len(self.problems)} problem(s) in the input" + (f": {shown}" if shown else ""))
