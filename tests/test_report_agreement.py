"""The report agrees with the folder it is drawn from (issue 27, "done means"), on the Shanxi demo
and every bundled scenario (scenarios/*.yaml and scenarios/history/*.yaml; a history scenario
whose weeks lie outside data/shanxi's 13 is run on data/shanxi-year, whose scenario it is): each
is solved once on one kept model per data set (``supplyopt.Study``, warm re-solves), its results
folder written, and its
report.html rendered from the folder as `supplyopt report` renders it (charts left out: they are
pictures, checked elsewhere; the heat map's grid is checked here through ``charts.cover_grid``,
the function that draws it). Then, against unmet.csv and warnings.csv as written:

- every demand centre with unmet_t > 0 is red in the cover heat map in each week it is short;
- the executive summary's shortage total is unmet.csv's sum to the tonne, and the summary
  names the centre short the most tonnes (or says no demand goes short where none is);
- the summary's count of red warnings is warnings.csv's red rows, by kind;
- report.html's Warnings section lists every red row (red first, up to its row limit).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from conftest import REPO

import supplyopt
from supplyopt.io.data import DataError
from supplyopt.reports import charts, htmlreport
from supplyopt.reports.executive import TOL_T, executive_summary
from supplyopt.reports.folders import load_results, node_names
from supplyopt.results.labels import warning_kind

SHANXI, YEAR = REPO / "data/shanxi", REPO / "data/shanxi-year"
SCENARIOS = sorted(REPO.glob("scenarios/*.yaml")) + sorted(REPO.glob("scenarios/history/*.yaml"))
CASES = ["base", *(p.stem for p in SCENARIOS)]


def study_for(spec, studies):
    """The Shanxi demo's study where the scenario applies to it, else (a history scenario of a
    whole year) data/shanxi-year's."""
    try:
        return studies[SHANXI].apply(spec)
    except DataError:
        if spec.parent.name != "history":
            raise  # a scenario of scenarios/ is written for the demo
        if YEAR not in studies:
            studies[YEAR] = supplyopt.Study(supplyopt.load(YEAR))
        return studies[YEAR].apply(spec)


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    """case -> (results folder, Results as the report reads it, summary lines, report.html)."""
    root = tmp_path_factory.mktemp("agreement")
    studies = {SHANXI: supplyopt.Study(supplyopt.load(SHANXI))}
    out = {}
    for case, spec in [("base", None), *((p.stem, p) for p in SCENARIOS)]:
        study = studies[SHANXI].reset() if spec is None else study_for(spec, studies)
        folder = study.solve().write(root / case)
        run = load_results(folder, warn=lambda m: None)
        lines = executive_summary([run], "en")
        page = htmlreport.render([run], {key: [] for key in htmlreport.SECTIONS}, "en", lines)
        out[case] = (folder, run, lines, page)
    return out


class Section(HTMLParser):
    """The rows (lists of cell texts) of every table inside one <section id=...>."""

    def __init__(self, page: str, section: str):
        super().__init__()
        self.section, self.inside, self.rows, self.row, self.cell = section, False, [], None, None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.inside = dict(attrs).get("id") == self.section
        elif self.inside and tag == "tr":
            self.row = []
        elif self.inside and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "section":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.row is not None:
            self.row.append(self.cell)
            self.cell = None
        elif self.inside and tag == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def unmet_csv(folder) -> pd.DataFrame:
    return pd.read_csv(folder / "unmet.csv")


def warnings_csv(folder) -> pd.DataFrame:
    return pd.read_csv(folder / "warnings.csv")


def test_every_bundled_scenario_is_checked(reported):
    assert len(SCENARIOS) >= 10 and set(reported) == set(CASES)
    # the checks below bite: at least one case goes short and one has red warnings
    assert any((unmet_csv(f)["unmet_t"] > 0).any() for f, *_ in reported.values())
    assert any((warnings_csv(f)["severity"] == "red").any() for f, *_ in reported.values())


@pytest.mark.parametrize("case", CASES)
def test_heat_map_is_red_wherever_a_centre_goes_short(reported, case):
    folder, run, _, _ = reported[case]
    unmet = unmet_csv(folder)
    short = unmet[unmet["unmet_t"] > 0].groupby(["node", "period"])["unmet_t"].sum()
    _, status = charts.cover_grid(run)
    not_red = [(node, period, round(t, 3)) for (node, period), t in short.items()
               if node not in status.index or period not in status.columns or status.loc[node, period] != 0]
    assert not_red == [], f"{case}: short but not red in the heat map (node, week, t): {not_red[:10]}"


@pytest.mark.parametrize("case", CASES)
def test_summary_states_the_shortage_of_unmet_csv(reported, case):
    folder, run, lines, _ = reported[case]
    unmet = unmet_csv(folder)
    shortage = [line for line in lines if line.topic == "shortage"]
    total = unmet["unmet_t"].sum()
    if total == 0:
        assert [(s.severity, s.text.startswith("No demand goes short")) for s in shortage] == [("ok", True)]
        return
    head = shortage[0]
    assert head.severity == "red" and head.text.startswith("SHORTAGE: ")
    assert re.match(r"SHORTAGE: ([\d,]+) t", head.text).group(1) == f"{round(total):,}", (head.text, total)
    by_centre = unmet.groupby(["node", "product"])["unmet_t"].sum().sort_values(ascending=False, kind="stable")
    (node, product), worst = next(iter(by_centre.items()))
    name = node_names(run).get(node, node)
    assert any(s.severity == "red" and s.text.startswith(name) and f"short {round(worst):,} t" in s.text for s in shortage[1:]), (name, worst, shortage)
    n = len(by_centre[by_centre > TOL_T])
    assert f"at {n} demand centre(s)" in head.text


@pytest.mark.parametrize("case", CASES)
def test_summary_counts_the_red_warnings_of_warnings_csv(reported, case):
    folder, _, lines, _ = reported[case]
    red = warnings_csv(folder).query("severity == 'red'")
    said = [line for line in lines if line.topic == "warnings"]
    if red.empty:
        assert [(s.severity, s.text) for s in said] == [("ok", "No red warnings.")]
        return
    m = re.match(r"(\d+) red warning\(s\) \(warnings\.csv\): (.*)\.$", said[0].text)
    assert said[0].severity == "red" and m, said[0].text
    assert int(m.group(1)) == len(red)
    assert dict(re.findall(r"([\w ]+?) (\d+)(?:, |$)", m.group(2))) == {warning_kind(k, "en"): str(v) for k, v in red["kind"].value_counts().items()}, m.group(2)


@pytest.mark.parametrize("case", CASES)
def test_warnings_section_lists_the_red_rows(reported, case):
    folder, run, _, page = reported[case]
    red = warnings_csv(folder).query("severity == 'red'")
    rows = Section(page, "sec_warnings").rows
    listed = [r for r in rows if r and r[0] == "red"]
    counts = [r for r in listed if len(r) == 3]  # the count by severity and kind
    assert sum(int(r[2].replace(",", "")) for r in counts) == len(red)
    shown = [r for r in listed if len(r) > 3]
    limit = htmlreport.WARNING_ROWS
    assert len(shown) == min(len(red), limit)
    names = node_names(run)
    assert [(r[1], r[2]) for r in shown] == [(p, names.get(n, n)) for p, n in zip(red["period"][:limit], red["node"][:limit])]
