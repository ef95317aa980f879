"""Which command wrote a results folder, and its page.

    kind = folder_kind("results/winter-screen")        # "screen"
    write_page("results/winter-screen", "results/winter-screen-report")

A folder is recognised from what it holds: summary.json's ``command`` where it names one,
else the files and summary fields each command writes (:data:`KINDS`, checked in order).
``solve`` and ``stochastic`` folders have their own reports (reports/reporting.py,
reports/stochastic_page.py); every other kind gets a page here: report.html (executive summary
first), results.xlsx (Summary, the page's tables, one sheet per CSV, ``long`` with one row per
figure, ``columns`` with the units) and charts/*.png, written atomically, byte-identical for
identical folders.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path

from supplyopt.io.data import DataError, Problem
from supplyopt.io.write import check_out_dir, write_folder
from supplyopt.reports.charts import Figures
from supplyopt.reports.folders import ReportWarning
from supplyopt.reports.pages import candidates, scenarios, weekly
from supplyopt.reports.pages.common import page_html, read_folder, workbook_bytes

# kind -> what marks its folder (words for the error), checked in this order
KINDS = {
    "stochastic": "scenarios.csv and summary.json with vss_cny",
    "sweep": "cases.csv and summary.json with sweep",
    "compare": "cases.csv and summary.json with cases",
    "screen": "screen.csv and hurt.csv",
    "invest": "candidates.csv and summary.json with chosen (invest --budget), schedule.csv and cash_flow.csv (invest --years), "
              "or candidates.csv and scenarios.csv (invest --scenarios)",
    "evaluate": "economics.csv and flows_moved.csv, or against.csv (evaluate --against)",
    "frontier": "frontier.csv",
    "schedule": "shipments.csv and summary.json with schedule",
    "roll": "weeks.csv and summary.json with rolled_cost",
    "solve": "summary.json with objective, and flows.csv",
}
PAGES = {"compare": scenarios.compare_page, "sweep": scenarios.compare_page, "screen": scenarios.screen_page, "invest": candidates.invest_page,
         "evaluate": candidates.evaluate_page, "frontier": candidates.frontier_page, "schedule": weekly.schedule_page, "roll": weekly.roll_page}


def read_summary(path: Path) -> dict | None:
    try:
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return summary if isinstance(summary, dict) else None


def folder_kind(path: str | Path) -> str:
    """The command that wrote ``path`` (a key of :data:`KINDS`). A folder that does not exist
    is left to the solve reader (its error names it); one that is none of the kinds raises
    :class:`DataError` listing every kind and what marks it."""
    path = Path(path)
    if not path.is_dir():
        return "solve"
    summary = read_summary(path) or {}
    has = lambda name: (path / name).is_file()  # noqa: E731
    command = summary.get("command")
    if isinstance(command, str) and command in KINDS:
        return command
    if has("scenarios.csv") and "vss_cny" in summary:
        return "stochastic"
    if has("cases.csv"):
        return "sweep" if "sweep" in summary else "compare"
    if has("screen.csv") and has("hurt.csv"):
        return "screen"
    if (has("candidates.csv") and ("chosen" in summary or has("scenarios.csv"))) or (has("schedule.csv") and has("cash_flow.csv")):
        return "invest"
    if (has("economics.csv") and has("flows_moved.csv")) or has("against.csv"):
        return "evaluate"
    if has("frontier.csv"):
        return "frontier"
    if has("shipments.csv") and "schedule" in summary:
        return "schedule"
    if has("weeks.csv") and "rolled_cost" in summary:
        return "roll"
    if "objective" in summary or has("flows.csv"):
        return "solve"  # the solve reader names what is missing or broken
    held = sorted(p.name for p in path.iterdir() if not p.name.startswith("."))
    if (path / "network.yaml").is_file():  # the commonest slip: the data set given instead of its results
        raise DataError([Problem(str(path), f"is a data set (it holds network.yaml), not a results folder: solve it first, e.g. "
                                 f"`supplyopt solve {path} --out RESULTS`, then `supplyopt report RESULTS --out REPORT`")])
    raise DataError([Problem(str(path), "is not a results folder `supplyopt report` knows; it holds " + (", ".join(held[:12]) + (" …" if len(held) > 12 else "") if held else "nothing")
                             + ("" if (path / "summary.json").is_file() and summary else " (no readable summary.json)") + ". Recognised: "
                             + "; ".join(f"{kind} ({marks})" for kind, marks in KINDS.items()))])


def write_page(results_dir: str | Path, out_dir: str | Path, kind: str, warn: Callable[[str], None] | None = None) -> Path:
    """Write ``out_dir`` (report.html, results.xlsx, charts/*.png) for the ``kind`` results
    folder ``results_dir``; returns ``out_dir``. A missing or broken file raises
    :class:`DataError` naming it, before anything is written."""
    if warn is None:
        def warn(message: str) -> None:
            warnings.warn(message, ReportWarning, stacklevel=3)

    results_dir = Path(results_dir)
    target, source = Path(out_dir).resolve(), results_dir.resolve()
    if target == source or target in source.parents:
        raise DataError([Problem(str(out_dir), f"holds the results folder {str(results_dir)!r}: the report replaces its folder whole; give a folder outside it")])
    check_out_dir(out_dir)
    folder = read_folder(results_dir, kind)
    figs = Figures("en", warn, needs_cjk=False)  # the charts of these pages name cases, elements and candidates by id
    title, lines, sections, extra = PAGES[kind](folder, figs)
    files: dict[str, bytes] = {}
    for section in sections:
        for chart in section.drawn if section is not None else ():
            files[f"charts/{chart.file}"] = chart.png
    files["results.xlsx"] = workbook_bytes(folder, lines, extra)
    files["report.html"] = page_html(title, lines, sections).encode("utf-8")
    return write_folder(out_dir, files)
