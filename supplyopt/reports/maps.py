"""The flow map of one results folder: nodes at their lon/lat, links as straight lines.

Nodes are drawn by kind (mine ▲, hub ■, storage base ◆, port ⬢, demand centre ●) with area
proportional to the tonnes they handle over the horizon; links with width proportional to the
tonnes that entered them and coloured by mode; demand centres with unmet demand ringed in red.
No province outline here (lon/lat grid lines give the geographic frame): the report's
interactive map.html (interactive_map.py) draws the bundled province outlines and sea lanes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from supplyopt.reports.charts import Chart, Figures, mode_colour, slug
from supplyopt.reports.folders import node_names
from supplyopt.results.labels import mode_name

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


def _draw_network(ax, nodes, links, handled, unmet, modes, biggest, most) -> None:
    """Links (width ∝ tonnes, colour by mode), nodes by kind (area ∝ tonnes), unmet ringed."""
    lon, lat = nodes["lon"], nodes["lat"]
    for _, row in links.sort_values(["flow_t", "from", "to"], kind="stable").iterrows():
        width = 0.4 + 6.0 * row["flow_t"] / biggest
        ax.plot([lon[row["from"]], lon[row["to"]]], [lat[row["from"]], lat[row["to"]]], color=mode_colour(row["mode"], modes),
                lw=width, alpha=0.75, solid_capstyle="round", zorder=2)
    for kind, (marker, colour) in KIND_STYLE.items():
        sel = nodes.index[nodes["kind"].astype(str) == kind]
        if len(sel):
            ax.scatter(lon[sel], lat[sel], s=12 + 400 * handled[sel] / most, marker=marker, c=colour, edgecolors="white", linewidths=0.6, zorder=3)
    if len(unmet):
        ax.scatter(lon[unmet.index], lat[unmet.index], s=60 + 400 * handled[unmet.index] / most, facecolors="none", edgecolors="#d7301f",
                   linewidths=2.0, zorder=4)
    ax.grid(alpha=0.25, lw=0.5)


def _frame(ax, lon: pd.Series, lat: pd.Series, right_room: float = 0.12) -> None:
    """Limits around the given coordinates, equal-distance aspect at their mean latitude."""
    span_x, span_y = float(lon.max() - lon.min()), float(lat.max() - lat.min())
    pad_x, pad_y = 0.04 * span_x + 0.15, 0.04 * span_y + 0.15
    ax.set_xlim(lon.min() - pad_x, lon.max() + pad_x + right_room * span_x)  # room for labels on the right
    ax.set_ylim(lat.min() - pad_y, lat.max() + pad_y)
    ax.set_aspect(1 / np.cos(np.radians(float(lat.mean()))))


def _label_nodes(fig, ax, candidates: list[str], texts: dict[str, str], nodes, unmet) -> None:
    """Name ``candidates`` in order, skipping a label that would overlap one already placed
    or leave the panel (sizes measured with the renderer, after the layout is fixed)."""
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    placed = []
    for node in candidates:
        x, y = nodes.at[node, "lon"], nodes.at[node, "lat"]
        if not (ax.get_xlim()[0] <= x <= ax.get_xlim()[1] and ax.get_ylim()[0] <= y <= ax.get_ylim()[1]):
            continue
        red = node in unmet.index
        label = ax.annotate(texts[node], (x, y), xytext=(4, 3), textcoords="offset points", fontsize=6.5, zorder=5,
                            color="#b30000" if red else "#222222", annotation_clip=True)
        label.set_in_layout(False)
        ext = label.get_window_extent(renderer).expanded(1.04, 1.7)  # a little air between labels
        inside = ext.x0 >= box.x0 and ext.x1 <= box.x1 and ext.y0 >= box.y0 and ext.y1 <= box.y1
        if (not inside or any(ext.overlaps(p) for p in placed)) and not red:
            label.remove()
            continue
        placed.append(ext)
        if len(placed) >= MAX_LABELS + len(unmet):
            break


def _zoom_box(nodes) -> tuple[float, float, float, float] | None:
    """lon/lat box of the production area (the mines) when it is much smaller than the
    whole network, else None (one panel is enough)."""
    core = nodes[nodes["kind"].astype(str) == "mine"]
    if len(core) < 3:
        return None
    full = (nodes["lon"].max() - nodes["lon"].min()) * (nodes["lat"].max() - nodes["lat"].min())
    part = (core["lon"].max() - core["lon"].min()) * (core["lat"].max() - core["lat"].min())
    if full <= 0 or part > 0.35 * full:
        return None
    return float(core["lon"].min()), float(core["lon"].max()), float(core["lat"].min()), float(core["lat"].max())


def flow_map(figs: Figures, run) -> Chart:
    """The map as a :class:`Chart` (no PNG, with a note, when nodes have no coordinates).
    Where the mines sit in a small part of the network (Shanxi against the coast), a second
    panel shows that production area enlarged."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle


    file = f"map_{slug(run.label)}.png"
    title = f"{figs.t('map_title')} — {run.label}"
    nodes = run.nodes
    if nodes is None or nodes[["lon", "lat"]].isna().all().any():
        return Chart(file, title, None, figs.t("no_map"))
    nodes = nodes.dropna(subset=["lon", "lat"]).assign(id=lambda n: n["id"].astype(str), lon=lambda n: n["lon"].astype(float),
                                                      lat=lambda n: n["lat"].astype(float)).set_index("id")
    links = link_tonnes(run)
    links = links[links["from"].isin(nodes.index) & links["to"].isin(nodes.index)]
    handled = node_tonnes(run).reindex(nodes.index).fillna(0.0)
    unmet = run.tables["unmet"].groupby("node")["unmet_t"].sum()
    unmet = unmet[unmet > 1e-6].reindex(nodes.index).dropna()
    modes = sorted(links["mode"].unique())
    biggest = float(links["flow_t"].max()) if len(links) else 1.0
    most = float(handled.max()) or 1.0
    scale, unit = figs.tonnes_scale(max(biggest, float(unmet.max()) if len(unmet) else 0.0))
    names = node_names(run)
    texts = {n: names.get(n, n) + (f"\n{figs.t('map_unmet')} {unmet[n] / scale:,.1f} {unit}" if n in unmet.index else "") for n in nodes.index}
    order = list(unmet.sort_values(ascending=False, kind="stable").index)
    order += [n for n in handled.sort_values(ascending=False, kind="stable").index if n not in order and handled[n] > 0]

    zoom = _zoom_box(nodes)
    fig = figs.new(15 if zoom else 11, 8.5)
    axes = list(np.atleast_1d(fig.subplots(1, 2 if zoom else 1, width_ratios=[1, 1.35] if zoom else None)))
    for ax in axes:
        _draw_network(ax, nodes, links, handled, unmet, modes, biggest, most)
        ax.set_xlabel(figs.t("lon_axis"))
        ax.set_ylabel(figs.t("lat_axis"))
    _frame(axes[0], nodes["lon"], nodes["lat"])
    axes[0].set_title(title, fontsize=10)
    if zoom:
        x0, x1, y0, y1 = zoom
        inside = nodes[(nodes["lon"].between(x0, x1)) & (nodes["lat"].between(y0, y1))]
        _frame(axes[1], inside["lon"], inside["lat"], right_room=0.2)
        zx, zy = axes[1].get_xlim(), axes[1].get_ylim()
        axes[0].add_patch(Rectangle((zx[0], zy[0]), zx[1] - zx[0], zy[1] - zy[0], fill=False, ls="--", lw=0.8, color="#555555", zorder=1))
        axes[1].set_title(figs.t("map_zoom"), fontsize=10)

    kind_handles = [Line2D([], [], ls="none", marker=KIND_STYLE[k][0], color=KIND_STYLE[k][1], markersize=7, label=figs.t(f"kind_{k}"))
                    for k in KIND_STYLE if (nodes["kind"].astype(str) == k).any()]
    if len(unmet):
        kind_handles.append(Line2D([], [], ls="none", marker="o", markerfacecolor="none", markeredgecolor="#d7301f", markeredgewidth=2, markersize=8,
                                   label=figs.t("map_unmet")))
    mode_handles = [Line2D([], [], color=mode_colour(m, modes), lw=3, label=mode_name(m, figs.lang)) for m in modes]
    legend_ax = axes[-1]
    first = legend_ax.legend(handles=kind_handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, title=figs.t("map_size"), title_fontsize=7)
    legend_ax.add_artist(first)
    legend_ax.legend(handles=mode_handles, loc="lower left", bbox_to_anchor=(1.01, 0.0), fontsize=8,
                     title=f"{figs.t('mode')}\n(max {biggest / scale:,.1f} {unit})", title_fontsize=7)
    fig.draw_without_rendering()  # fix the layout, then place labels where they fit
    fig.set_layout_engine("none")
    if zoom:
        inside_zoom = nodes["lon"].between(*axes[1].get_xlim()) & nodes["lat"].between(*axes[1].get_ylim())
        _label_nodes(fig, axes[0], [n for n in order if not inside_zoom[n]], texts, nodes, unmet)
        _label_nodes(fig, axes[1], [n for n in order if inside_zoom[n]], texts, nodes, unmet)
    else:
        _label_nodes(fig, axes[0], order, texts, nodes, unmet)
    return Chart(file, title, figs.png(fig), figs.t("no_boundary"))
