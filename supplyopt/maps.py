"""The flow map of one results folder: nodes at their lon/lat, links as straight lines.

Nodes are drawn by kind (mine ▲, hub ■, storage base ◆, port ⬢, demand centre ●) with area
proportional to the tonnes they handle over the horizon; links with width proportional to the
tonnes that entered them and coloured by mode; demand centres with unmet demand ringed in red.
No province outline: none is bundled, because no boundary file with a clear licence is
available offline here (lon/lat grid lines give the geographic frame).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .charts import Chart, Figures, _slug, mode_colour

KIND_STYLE = {  # marker, face colour
    "mine": ("^", "#4d4d4d"),
    "hub": ("s", "#9e9e9e"),
    "storage": ("D", "#2ca02c"),
    "port": ("h", "#17607d"),
    "demand": ("o", "#ff9f1c"),
}
MAX_LABELS = 14


def node_tonnes(run) -> pd.Series:
    """Tonnes each node handles over the horizon: the larger of what it produced or received
    and what it sent (t)."""
    f = run.tables["flows"]
    sent = f.groupby("from")["flow_t"].sum()
    received = f.groupby("to")["flow_t"].sum()
    made = run.tables["production"].groupby("mine")["production_t"].sum()
    both = pd.concat([sent.rename("sent"), received.rename("received"), made.rename("made")], axis=1).fillna(0.0)
    return both[["sent"]].join((both["received"] + both["made"]).rename("in")).max(axis=1)


def link_tonnes(run) -> pd.DataFrame:
    """Tonnes entering each (from, to, mode) over the horizon, all products: from, to, mode, flow_t."""
    f = run.tables["flows"]
    return f.groupby(["from", "to", "mode"], sort=True)["flow_t"].sum().reset_index()


def flow_map(figs: Figures, run) -> Chart:
    """The map as a :class:`Chart` (no PNG, with a note, when nodes have no coordinates)."""
    from .reporting import node_names

    file = f"map_{_slug(run.label)}.png"
    title = f"{figs.t('map_title')} — {run.label}"
    nodes = run.nodes
    if nodes is None or nodes[["lon", "lat"]].isna().all().any():
        return Chart(file, title, None, figs.t("no_map"))
    nodes = nodes.dropna(subset=["lon", "lat"]).assign(id=lambda n: n["id"].astype(str)).set_index("id")
    lon, lat = nodes["lon"].astype(float), nodes["lat"].astype(float)
    links = link_tonnes(run)
    links = links[links["from"].isin(nodes.index) & links["to"].isin(nodes.index)]
    handled = node_tonnes(run).reindex(nodes.index).fillna(0.0)
    unmet = run.tables["unmet"].groupby("node")["unmet_t"].sum()
    unmet = unmet[unmet > 1e-6].reindex(nodes.index).dropna()

    fig = figs.new(11, 8.5)
    ax = fig.subplots()
    modes = sorted(links["mode"].unique())
    biggest = float(links["flow_t"].max()) if len(links) else 1.0
    for _, row in links.sort_values(["flow_t", "from", "to"], kind="stable").iterrows():
        width = 0.4 + 6.0 * row["flow_t"] / biggest
        ax.plot([lon[row["from"]], lon[row["to"]]], [lat[row["from"]], lat[row["to"]]], color=mode_colour(row["mode"], modes),
                lw=width, alpha=0.75, solid_capstyle="round", zorder=2)
    most = float(handled.max()) or 1.0
    for kind, (marker, colour) in KIND_STYLE.items():
        sel = nodes.index[nodes["kind"].astype(str) == kind]
        if len(sel):
            ax.scatter(lon[sel], lat[sel], s=12 + 500 * handled[sel] / most, marker=marker, c=colour, edgecolors="white", linewidths=0.6,
                       zorder=3, label=figs.t(f"kind_{kind}"))
    if len(unmet):
        ax.scatter(lon[unmet.index], lat[unmet.index], s=60 + 500 * handled[unmet.index] / most, facecolors="none", edgecolors="#d7301f",
                   linewidths=2.0, zorder=4, label=figs.t("map_unmet"))
    names = node_names(run)
    scale, unit = figs.tonnes_scale(float(max(handled.max(), unmet.max() if len(unmet) else 0.0)))
    labelled = list(handled.sort_values(ascending=False, kind="stable").index[:MAX_LABELS])
    labelled += [n for n in unmet.index if n not in labelled]
    for node in labelled:
        text = names.get(node, node)
        if node in unmet.index:
            text += f"\n{figs.t('map_unmet')} {unmet[node] / scale:,.1f} {unit}"
        ax.annotate(text, (lon[node], lat[node]), xytext=(4, 4), textcoords="offset points", fontsize=6.5, zorder=5,
                    color="#b30000" if node in unmet.index else "#222222")
    # mode legend: one line per mode present, width of the largest flow
    from matplotlib.lines import Line2D

    mode_handles = [Line2D([], [], color=mode_colour(m, modes), lw=3, label=m) for m in modes]
    first = ax.legend(loc="upper left", fontsize=7, title=figs.t("map_size"), title_fontsize=7, markerscale=0.5)
    ax.add_artist(first)
    ax.legend(handles=mode_handles, loc="lower right", fontsize=7, title=f"{figs.t('mode')} (max {biggest / scale:,.1f} {unit})", title_fontsize=7)
    ax.set_aspect(1 / np.cos(np.radians(float(lat.mean()))))
    pad_x, pad_y = 0.05 * (lon.max() - lon.min()) + 0.2, 0.05 * (lat.max() - lat.min()) + 0.2
    ax.set_xlim(lon.min() - pad_x, lon.max() + pad_x)
    ax.set_ylim(lat.min() - pad_y, lat.max() + pad_y)
    ax.set_xlabel("lon (°E)")
    ax.set_ylabel("lat (°N)")
    ax.grid(alpha=0.25, lw=0.5)
    ax.set_title(title)
    return Chart(file, title, figs.png(fig), figs.t("no_boundary"))
