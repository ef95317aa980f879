"""The HTML report: one self-contained file (charts embedded as base64 PNG data URIs, styles
and one small sorting script inline, nothing fetched), so it opens from disk or an e-mail
attachment with no server.

Sections, in order, each an ``<section id=...>``: executive summary (reports/executive.py),
key figures, warnings, flow map, stocks and days of cover, modal split and CO2, comparison
(only with compared folders), tables. Every table sorts on a click on its header
(:data:`SORT_SCRIPT`); a print stylesheet drops the navigation, starts each section on a new
page and keeps table rows and charts whole.
"""

from __future__ import annotations

import base64
import html
import math

from supplyopt.model.foresight import describe as describe_foresight
from supplyopt.reports.charts import corridor_table
from supplyopt.reports.executive import Line
from supplyopt.reports.folders import node_names, run_warnings
from supplyopt.results.labels import KPIS, status_word, text, warning_kind

# KPI changes coloured green when better, red when worse (+1: more is better); others plain
BETTER = {"objective": -1, "delivered_t": 1, "unmet_t": -1, "safety_shortfall_t": -1, "end_deficit_t": -1, "truck_share_tkm": -1, "mine_truck_share": -1,
          "clean_share_tkm": 1, "co2_t": -1}
SECTIONS = ("sec_summary", "sec_kpis", "sec_warnings", "sec_map", "sec_stocks", "sec_modal", "sec_compare", "sec_tables")
WARNING_ROWS = 60  # warnings.csv rows shown on the page (red first); the workbook has all
STYLE = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",system-ui,sans-serif;margin:0 auto;max-width:1180px;padding:0 24px 48px;color:#222;line-height:1.45}
h1{font-size:1.6em;border-bottom:3px solid #1f5fa8;padding-bottom:.3em}
h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}
nav a{margin-right:1.2em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.9em}
th,td{border:1px solid #d0d7de;padding:.25em .6em}
th{background:#dde6f0;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
td.bad{color:#b30000}td.good{color:#006d2c}td.amber{color:#9c6500}
figure{margin:1em 0}
figure img{max-width:100%;height:auto;border:1px solid #e5e5e5}
figcaption,.note{color:#555;font-size:.85em}
dl.meta{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.2em 1em;font-size:.9em}
dl.meta dt{font-weight:bold}
dl.meta dd{margin:0;overflow-wrap:anywhere}
ul.exec{list-style:none;padding:0}
ul.exec li{padding:.3em .6em;margin:.2em 0;border-left:5px solid #999}
ul.exec li.red{border-color:#b30000;background:#fde8e8;color:#8a0000;font-weight:bold}
ul.exec li.amber{border-color:#d98c00;background:#fff4dc}
ul.exec li.ok{border-color:#2b8a3e}
table.sortable th{cursor:pointer}
table.sortable th[aria-sort=ascending]::after{content:" \\25B2"}
table.sortable th[aria-sort=descending]::after{content:" \\25BC"}
/* on a phone a wide table or chart scrolls sideways in its own box, the page does not */
div.scroll{overflow-x:auto;max-width:100%}
@media screen and (max-width:600px){
body{padding:0 12px 32px}
figure{overflow-x:auto}
figure img{max-width:none;width:760px}
div.scroll td:not(.n){min-width:8em}
}
@media print{
body{max-width:none;padding:0;font-size:10pt}
nav,p.map-link{display:none}
section{break-before:page}
section:first-of-type{break-before:auto}
h2,h3,h4{break-after:avoid}
table{width:100%;font-size:8pt}
thead{display:table-header-group}
tr,figure,ul.exec li{break-inside:avoid}
th,td{word-break:break-word}
figure img{max-height:24cm;object-fit:contain}
}
"""
# Sorts a table on a click on a header cell (again: the other way): numbers by value (commas,
# units and signs read), text as text; "–" sorts last. Inline, no network; a fixed string, so
# pages stay byte-reproducible.
SORT_SCRIPT = """
document.querySelectorAll("table.sortable th").forEach(function(th){th.addEventListener("click",function(){
var table=th.closest("table"),body=table.tBodies[0],col=Array.prototype.indexOf.call(th.parentNode.children,th);
var up=th.getAttribute("aria-sort")!=="ascending";
table.querySelectorAll("th").forEach(function(h){h.removeAttribute("aria-sort");});
th.setAttribute("aria-sort",up?"ascending":"descending");
function key(row){var c=row.children[col],t=c?c.textContent.trim():"";
if(t===""||t==="–")return[2,0,""];var m=/^([+\\-−]?[\\d,.]*\\d)(\\s|%|$)/.exec(t);
return m?[0,parseFloat(m[1].replace(/,/g,"").replace("−","-")),t]:[1,0,t];}
var rows=Array.prototype.slice.call(body.rows);
rows.sort(function(a,b){var x=key(a),y=key(b);if(x[0]!==y[0])return x[0]-y[0];
var d=x[0]===0?x[1]-y[1]:x[2].localeCompare(y[2]);return up?d:-d;});
rows.forEach(function(r){body.appendChild(r);});});});
"""


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def fmt_value(value, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "%":
        return f"{100 * value:.1f} %"
    return f"{value:,.0f}"


def table(header: list[str], rows: list[list], numeric: set[int] = frozenset(), classes: dict | None = None) -> str:
    """An HTML table in a box that scrolls sideways on a narrow screen (the page itself never
    does); columns in ``numeric`` right-aligned; ``classes[(i, j)]`` styles a cell."""
    classes = classes or {}
    out = ['<div class="scroll"><table class="sortable"><thead><tr>' + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr></thead><tbody>"]
    for i, row in enumerate(rows):
        cells = []
        for j, v in enumerate(row):
            cls = " ".join(filter(None, ["n" if j in numeric else "", classes.get((i, j), "")]))
            cells.append(f'<td class="{cls}">{_e(v)}</td>' if cls else f"<td>{_e(v)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join(out) + "</tbody></table></div>"


def kpi_table(runs, lang: str) -> str:
    """KPIs of every folder; with several, the change of each against the first."""
    currency = runs[0].summary.get("currency", "CNY")
    header = [text("kpi", lang), text("unit", lang)] + [r.label for r in runs] + [f"{text('delta', lang)} {runs[0].label}: {r.label}" for r in runs[1:]]
    rows, classes = [], {}
    for key, unit in KPIS:
        shown_unit = currency if unit == "currency" else unit
        values = [r.summary.get(key) for r in runs]
        row = [text(key, lang), shown_unit] + [fmt_value(v, unit) for v in values]
        for k, v in enumerate(values[1:]):
            b = values[0]
            if v is None or b is None:
                row.append("–")
                continue
            d = v - b
            row.append(f"{100 * d:+.1f} pp" if unit == "%" else f"{d:+,.0f}" + (f" ({100 * d / abs(b):+.1f} %)" if abs(b) > 1e-9 else ""))
            if abs(d) > 1e-9 and key in BETTER:
                classes[(len(rows), 2 + len(runs) + k)] = "good" if (d > 0) == (BETTER[key] > 0) else "bad"
        rows.append(row)
    return table(header, rows, numeric=set(range(2, 2 + 2 * len(runs))), classes=classes)


def meta_list(run, lang: str) -> str:
    s = run.summary
    periods = s.get("periods", {})
    items = [
        (text("results", lang), str(run.path)),
        (text("dataset", lang), (s.get("dataset") or {}).get("name", "")),
        (text("periods", lang), f"{periods.get('count', '')} × {periods.get('days', '')} d: {periods.get('first', '')} … {periods.get('last', '')}"),
        (text("status", lang), s.get("status_message", s.get("status", ""))),
        (text("profile", lang), (s.get("profile") or {}).get("path") or text("none", lang)),
        (text("scenario", lang), (s.get("scenario") or {}).get("path") or text("none", lang)),
        (text("extension", lang), extension_text(s.get("extension")) or text("none", lang)),
        (text("foresight", lang), describe_foresight(s["foresight"]) if s.get("foresight") else "–"),
        (text("end_rule", lang), _end_rule(s.get("end_of_horizon"), lang)),
    ]
    return '<dl class="meta">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items) + "</dl>"


def extension_text(ext: dict | None) -> str:
    """The extension hook that shaped the plan (it changes the optimum: say so beside the figures)."""
    if not ext:
        return ""
    return f"{ext.get('function', 'extra_functionality')} from {ext.get('path', '?')} (sha256 {str(ext.get('sha256', ''))[:12]}…)"


def _end_rule(end: dict | None, lang: str = "en") -> str:
    """The end-of-horizon rule with its figures: target, reached, deficit (t, CNY)."""
    if not end:
        return "–"
    deficit = text("end_rule_deficit", lang, t=f"{end['deficit_t']:,.0f}", cny=f"{end['deficit_cost_cny']:,.0f}") if end["deficit_t"] > 0.5 else ""
    return text("end_rule_figures", lang, rule=end["rule"], target=f"{end['target_t']:,.0f}", reached=f"{end['end_stock_t']:,.0f}") + deficit


def figure(chart) -> str:
    """A chart as an embedded image (or its note where there is nothing to draw)."""
    note = f'<p class="note">{_e(chart.note)}</p>' if chart.note else ""
    if chart.png is None:
        return f'<div class="chart" id="{_e(chart.file)}"><h3>{_e(chart.title)}</h3>{note}</div>'
    data = base64.b64encode(chart.png).decode("ascii")
    return (f'<figure id="{_e(chart.file)}"><img src="data:image/png;base64,{data}" alt="{_e(chart.title)}">'
            f"<figcaption>{_e(chart.title)} ({_e('charts/' + chart.file)})</figcaption>{note}</figure>")


def planner_tables(run, lang: str) -> str:
    """The tables a planner reads first: busiest corridors, lowest cover, demand not met."""

    names = node_names(run)
    out = [f"<h3>{_e(run.label)}</h3>"]
    busy = corridor_table(run).sort_values(ascending=False, kind="stable").head(10)
    by = text("corridor", lang) if "corridor" in run.tables["flows"] else text("link", lang)
    out.append(f"<h4>{_e(text('tab_corridors', lang))}</h4>")
    out.append(table([by, f"{text('utilisation', lang)} (%)"], [[k, f"{100 * v:.0f}"] for k, v in busy.items()], numeric={1}))
    s = run.tables["stocks"].dropna(subset=["days_of_cover"])
    if "cover_status" in s:  # demand centres, as the summary's cover line: a port shipping a product straight through holds 0 days of it
        s = s[s["cover_status"].fillna("").astype(str) != ""]
    low = s.sort_values(["days_of_cover", "node"], kind="stable").drop_duplicates(["node", "product"]).head(10)
    out.append(f"<h4>{_e(text('tab_cover', lang))}</h4>")
    out.append(table([text("node", lang), text("product", lang), text("week", lang), text("days", lang), text("cover_status", lang)],
                     [[names.get(r.node, r.node), r.product, r.period, f"{r.days_of_cover:.1f}", status_word(r.cover_status, lang) if "cover_status" in s else ""]
                      for r in low.itertuples()], numeric={3}))
    u = run.tables["unmet"]
    short = u[u["unmet_t"] > 1e-6].groupby(["node", "product"], sort=True)["unmet_t"].sum().sort_values(ascending=False, kind="stable").head(10)
    out.append(f"<h4>{_e(text('tab_unmet', lang))}</h4>")
    out.append(table([text("node", lang), text("product", lang), text("unmet_col", lang)], [[names.get(n, n), p, f"{v:,.0f}"] for (n, p), v in short.items()], numeric={2})
               if len(short) else "<p>–</p>")
    return "\n".join(out)


def summary_block(lines: list[Line], several: bool) -> str:
    """The executive summary as lists, one per results folder (headed by its label when
    there are several); each line coloured by its severity (red, amber, ok, info)."""
    out, current = [], None
    for line in lines:
        if line.results != current:
            if current is not None:
                out.append("</ul>")
            if several:
                out.append(f"<h3>{_e(line.results)}</h3>")
            out.append('<ul class="exec">')
            current = line.results
        out.append(f'<li class="{_e(line.severity)}" data-topic="{_e(line.topic)}">{_e(line.text)}</li>')
    return "\n".join(out + (["</ul>"] if lines else []))


def sections_of(runs) -> tuple[str, ...]:
    """The sections of a page on ``runs``: every one of :data:`SECTIONS`, the comparison only
    where there is something to compare (more than one folder)."""
    return tuple(key for key in SECTIONS if key != "sec_compare" or len(runs) > 1)


def warnings_block(run, lang: str) -> str:
    """One folder's warnings: the run's own (summary.json ``input_warnings`` and the like) in
    amber, then warnings.csv's early warnings counted by severity and kind and listed, red
    first (the first :data:`WARNING_ROWS`; the workbook's ``warnings`` sheet has every row)."""
    out = []
    own = run_warnings(run.summary)
    if own:
        out.append(f"<h4>{_e(text('warn_run', lang))}</h4>")
        out.append('<ul class="exec">' + "".join(f'<li class="amber">{_e(w)}</li>' for w in own) + "</ul>")
    w = run.tables.get("warnings")
    if w is None or w.empty or "severity" not in w:
        out.append(f'<p class="note">{_e(text("warn_none", lang))}</p>' if not own else "")
        return "\n".join(out)
    rank = {"red": 0, "amber": 1}
    w = w.assign(_r=w["severity"].map(rank).fillna(2)).sort_values("_r", kind="stable")
    counts = w.groupby(["_r", "severity", "kind"], sort=True).size()
    out.append(f"<h4>{_e(text('warn_early', lang))}</h4>")
    out.append(table([text("severity", lang), text("warn_kind", lang), text("count", lang)],
                     [[status_word(sev, lang), warning_kind(kind, lang), f"{n:,}"] for (_, sev, kind), n in counts.items()], numeric={2},
                     classes={(i, 0): "bad" for i, ((r, _, _), _) in enumerate(counts.items()) if r == 0}))
    names = node_names(run)
    shown = w.head(WARNING_ROWS)
    header = [text("severity", lang), text("week", lang), text("node", lang), text("product", lang), text("warn_kind", lang), text("value", lang), text("unit", lang)]
    rows = [[status_word(r.severity, lang), r.period, names.get(r.node, r.node), r.product, warning_kind(r.kind, lang),
             "–" if r.value != r.value else f"{r.value:,.1f}", r.unit] for r in shown.itertuples()]
    if lang == "en" and "message" in w:  # results/warning.py words its messages in English
        header.append(text("message", lang))
        for row, message in zip(rows, shown["message"]):
            row.append(message)
    out.append(table(header, rows, numeric={5}, classes={(i, 0): {"red": "bad", "amber": "amber"}[sev] for i, sev in enumerate(shown["severity"]) if sev in ("red", "amber")}))
    if len(w) > WARNING_ROWS:
        out.append(f'<p class="note">{_e(text("warn_more", lang, shown=WARNING_ROWS, n=f"{len(w):,}"))}</p>')
    return "\n".join(out)


def render(runs, sections: dict[str, list], lang: str, summary: list[Line] = (), with_map: bool = True) -> str:
    """The whole page. ``sections`` maps a section key to its charts; ``summary`` is
    the executive summary drawn first."""
    title = f"{text('title', lang)}: {runs[0].summary.get('dataset', {}).get('name', runs[0].label)}"
    keys = sections_of(runs)
    nav = "".join(f'<a href="#{key}">{_e(text(key, lang))}</a>' for key in keys)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1><nav>{nav}</nav>",
    ]
    for key in keys:
        parts.append(f'<section id="{key}"><h2>{_e(text(key, lang))}</h2>')
        if key == "sec_summary":
            parts.append(summary_block(list(summary), len(runs) > 1))
        elif key == "sec_kpis":
            parts.append(kpi_table(runs, lang))
            parts += [meta_list(r, lang) for r in runs]
        elif key == "sec_warnings":
            parts.append(f'<p class="note">{_e(text("warn_note", lang))}</p>')
            parts += [(f"<h3>{_e(r.label)}</h3>" if len(runs) > 1 else "") + warnings_block(r, lang) for r in runs]
        elif key == "sec_tables":
            parts.append(f'<p class="note">{_e(text("workbook_note", lang))}</p>')
            parts += [planner_tables(r, lang) for r in runs]
        else:
            if key == "sec_map" and with_map:  # written beside the page by reporting.make_report (interactive_map.py)
                parts.append(f'<p class="map-link"><a href="map.html">{_e(text("open_map", lang))}</a></p>')
            parts += [figure(c) for c in sections.get(key, [])]
        parts.append("</section>")
    parts.append(f"<script>{SORT_SCRIPT}</script>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
