"""Make a report folder (``report.html``, ``results.xlsx``, PNG charts) from results folders.

A report is drawn from what ``supplyopt solve`` wrote (``summary.json`` and the CSV tables),
never from a model in memory, so it works on any results folder, old or new:

    make_report("results/base", "results/base-report", compare=["results/cold"], lang="zh")

The first folder is the base; ``compare`` folders are drawn beside it and their KPIs are
shown as changes against it. A folder written by ``supplyopt stochastic`` (summary.json with
``vss_cny``, and scenarios.csv) gets its own page (:mod:`supplyopt.reports.stochastic_page`);
it cannot be compared. The report folder is written atomically and is byte-identical
for identical results folders (charts, workbook and HTML carry no timestamps).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from supplyopt.io.data import DataError, Problem
from supplyopt.io.write import write_folder
from supplyopt.reports import charts, htmlreport, interactive_map, maps, workbook
from supplyopt.reports.executive import executive_summary
from supplyopt.reports.folders import ReportWarning, has_cjk, load_results, report_language, unique_labels
from supplyopt.reports.pages.kinds import folder_kind, write_page
from supplyopt.reports.stochastic_page import is_stochastic_folder, write_stochastic_report


def make_report(results_dir: str | Path, out_dir: str | Path, compare: Sequence[str | Path] = (), lang: str | None = None,
                warn: Callable[[str], None] | None = None) -> Path:
    """Write ``out_dir`` with report.html, results.xlsx and charts/*.png for ``results_dir``
    (and the ``compare`` folders beside it); returns ``out_dir``. Warnings (no CJK font, no
    coordinates) go to ``warn``, by default :class:`ReportWarning` through :mod:`warnings`."""
    if warn is None:
        def warn(message: str) -> None:
            warnings.warn(message, ReportWarning, stacklevel=3)

    stochastic = list(dict.fromkeys(str(p) for p in [results_dir, *compare] if is_stochastic_folder(p)))
    if stochastic and compare:
        raise DataError([Problem("--compare", "a stochastic results folder (from `supplyopt stochastic`) cannot be compared: its page already sets every "
                                 "scenario against the others and against hindsight; report it alone, without --compare", value=", ".join(stochastic))])
    if stochastic:
        if lang not in (None, "en"):
            warn(f"the report of a stochastic results folder is in English only; --lang {lang} is not applied")
        return write_stochastic_report(results_dir, out_dir, warn=warn)
    # compare, sweep, screen, evaluate, invest, frontier, schedule, roll: each its own page (reports/pages/)
    kinds = {str(p): folder_kind(p) for p in [results_dir, *compare]}
    others = {p: k for p, k in kinds.items() if k != "solve"}
    if others and compare:
        raise DataError([Problem("--compare", "only results folders written by `supplyopt solve` can be set side by side; "
                                 + "; ".join(f"{p} was written by `supplyopt {k}`" for p, k in others.items()) + ": report it alone, without --compare",
                                 value=", ".join(others))])
    if others:
        if lang not in (None, "en"):
            warn(f"the report of a {kinds[str(results_dir)]} results folder is in English only; --lang {lang} is not applied")
        return write_page(results_dir, out_dir, kinds[str(results_dir)], warn=warn)

    runs = [load_results(results_dir, warn)] + [load_results(p, warn) for p in compare]
    unique_labels(runs)
    language = report_language(lang, runs[0])
    figures = charts.Figures(language, warn, needs_cjk=language == "zh" or any(has_cjk(r.nodes) for r in runs))

    sections: dict[str, list] = {key: [] for key in htmlreport.SECTIONS}
    with figures.context():  # fonts are looked up when text is drawn, not when it is made
        for run in runs:
            sections["sec_map"].append(maps.flow_map(figures, run))
            sections["sec_stocks"] += charts.stock_charts(figures, run)
            sections["sec_stocks"].append(charts.cover_heatmap(figures, run))
        sections["sec_modal"].append(charts.modal_split(figures, runs))
        if len(runs) > 1:  # one folder has nothing to compare: no comparison section
            sections["sec_compare"].append(charts.kpi_deltas(figures, runs))
            sections["sec_compare"].append(charts.unmet_by_class(figures, runs))
            sections["sec_compare"].append(charts.corridor_utilisation(figures, runs))

    files: dict[str, bytes] = {}
    for items in sections.values():
        for item in items:
            if item.png is not None:
                files[f"charts/{item.file}"] = item.png
    summary = executive_summary(runs, language)  # first on the page and first sheet of the workbook
    files["results.xlsx"] = workbook.workbook_bytes(runs, language, summary)
    with_map = not interactive_map.map_nodes(runs).empty
    if with_map:
        files["map.html"] = interactive_map.map_html(runs, language)
    else:  # a page that only says "no map" is not worth 1.6 MB of map library
        warn("no node has coordinates (lon, lat in nodes.csv): no interactive map.html is written")
    files["report.html"] = htmlreport.render(runs, sections, language, summary, with_map=with_map).encode("utf-8")
    return write_folder(out_dir, files)
