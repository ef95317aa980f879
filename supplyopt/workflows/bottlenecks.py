"""Screening by duals: which capacities and which truck caps cost money, before any MILP.

From one LP solve:

* **capacity value** of each existing link and storage: the shadow price of its capacity,
  −dual of the ``link_capacity``/``storage_capacity`` row or of the flow/stock column bound
  (CNY saved by one more tonne of capacity in that period). Reported per period (the
  largest), over the horizon (one more tonne in every period: the sum) and per year (the
  horizon sum × 365 / horizon_days).
* **truck caps**: −dual of ``max_mine_truck_share`` (CNY per truck tonne removed from mines:
  what the cap costs at the margin) and of ``max_truck_share_tkm`` (CNY per truck t·km removed).

Duals hold for small changes only (until the basis changes); use ``evaluate`` for a real
project size.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from supplyopt import study as api
from supplyopt.io.network import Network
from supplyopt.io.write import csv_text, summary_json, write_folder
from supplyopt.model.foresight import DESIGN_FORESIGHT

CAPS = {"max_mine_truck_share": ("CNY per truck tonne removed from mines", "t"), "max_truck_share_tkm": ("CNY per truck t·km removed", "t·km")}


@dataclass
class Screen:
    """The ranked capacities (``table``) and the truck caps' shadow prices (``caps``)."""

    table: pd.DataFrame
    caps: list[dict]
    plan: object  # the Plan screened
    horizon_days: float

    def summary(self) -> dict:
        top = self.table.head(10)
        return {
            **self.plan.inputs(),
            "objective": self.plan.kpis["objective"],
            "horizon_days": self.horizon_days,
            "binding_capacities": int(len(self.table)),
            "top": top.to_dict("records"),
            "truck_caps": self.caps,
            "units": "value_cny_per_t_period: CNY saved by 1 t more capacity in one period (the largest over periods); "
                     "value_cny_per_t_horizon: 1 t more in every period; value_cny_per_t_year: horizon × 365 / horizon_days",
        }

    def write(self, out_dir: str | Path) -> Path:

        return write_folder(out_dir, {"summary.json": summary_json(self.summary()), "bottlenecks.csv": csv_text(self.table)})


def screen(network, model=None, scenario=None, max_mine_truck_share: float | None = None, extend=None, **solver) -> Screen:
    """Solve once and rank capacities and caps by their shadow prices (see module doc)."""

    net = network if isinstance(network, Network) else api.load(network)
    study = api.Study(net, model=api.options(model, max_mine_truck_share=max_mine_truck_share, **{**solver, "foresight": DESIGN_FORESIGHT}), extend=extend)
    if scenario is not None:
        study.apply(scenario)
    plan = study.solve()
    days = study.network.n_periods * study.network.period_days
    return Screen(capacity_values(plan, study.network, days), cap_prices(study), plan, days)


def capacity_values(plan, net: Network, days: float) -> pd.DataFrame:
    """One row per link or storage node with a binding capacity, most valuable first."""
    prices = plan.prices
    prices = prices[prices["kind"].isin(["link_capacity", "storage_capacity"]) & (prices["price_cny_per_t"] > 1e-9)]
    cols = ["kind", "id", "periods_binding", "value_cny_per_t_period", "value_cny_per_t_horizon", "value_cny_per_t_year", "capacity_t"]
    if prices.empty:
        return pd.DataFrame(columns=cols)
    g = prices.groupby(["kind", "id"], sort=True)["price_cny_per_t"]
    out = pd.DataFrame({
        "periods_binding": prices.groupby(["kind", "id"], sort=True)["period"].nunique(),
        "value_cny_per_t_period": g.max(),
        "value_cny_per_t_horizon": g.sum(),
    }).reset_index()
    out["value_cny_per_t_year"] = out["value_cny_per_t_horizon"] * 365.0 / days
    link_cap = net.link_periods.groupby("link")["capacity_t"].max()
    store_cap = net.storage_capacity.groupby("node")["capacity_t"].max()
    out["capacity_t"] = np.where(out["kind"] == "link_capacity", out["id"].map(link_cap), out["id"].map(store_cap))
    order = np.lexsort((out["id"].to_numpy(), out["kind"].to_numpy(), -out["value_cny_per_t_year"].to_numpy()))
    return out.iloc[order][cols].reset_index(drop=True)


def cap_prices(study) -> list[dict]:
    """Shadow price of each truck cap in the study's last LP solve (empty if no cap is set)."""
    out = []
    for name, (unit, what) in CAPS.items():
        con = study.lp.constraints.get(name)
        if con is None or not con.size:
            continue
        dual = float(study.solution.row_dual[con.start])
        activity = float(np.dot(con.coefs, study.solution.x[con.cols]))
        out.append({"cap": name, "share": float(con.index["share"].iloc[0]), "binding": bool(activity >= -1e-6 * max(1.0, abs(activity))),
                    "price": -dual if np.isfinite(dual) else None, "unit": unit, "slack": -activity, "slack_unit": what})
    return out


def format_screen(scr: Screen, top: int = 15) -> str:
    lines = [f"Binding capacities, most valuable first ({len(scr.table)}; CNY per t of extra capacity; year = horizon × 365/{scr.horizon_days:g}):",
             f"  {'kind':<17}{'id':<44}{'periods':>8}{'per period':>12}{'horizon':>12}{'per year':>12}"]
    for r in scr.table.head(top).itertuples():
        lines.append(f"  {r.kind:<17}{r.id:<44}{r.periods_binding:>8}{r.value_cny_per_t_period:>12,.1f}{r.value_cny_per_t_horizon:>12,.1f}{r.value_cny_per_t_year:>12,.1f}")
    if not len(scr.table):
        lines.append("  none: no capacity binds")
    if scr.caps:
        lines.append("Truck caps:")
        for c in scr.caps:
            state = f"{c['price']:,.2f} {c['unit']}" if c["binding"] and c["price"] is not None else f"not binding (slack {c['slack']:,.0f} {c['slack_unit']})"
            lines.append(f"  {c['cap']} ≤ {c['share']:.0%}: {state}")
    else:
        lines.append("No truck cap in the profile (set max_mine_truck_share, or --max-mine-truck-share, to price it).")
    return "\n".join(lines)
