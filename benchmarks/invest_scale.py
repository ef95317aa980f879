"""MILP time and gap of ``supplyopt invest`` with many generated candidates on the Shanxi data.

    .venv/bin/python benchmarks/invest_scale.py --candidates 20 100 --time-limit 300

Candidates are generated with a fixed seed: rail sidings from every mine unit to the
loading hubs near it, capacity upgrades of finite links and storage, with build costs drawn
around what a siding saves over the horizon (so that choices are close, the hard case), one
exclusion per ten candidates and one requirement per ten. The budget is 30 % of the total
build cost. Each run copies data/shanxi to a temporary folder with the generated
candidates.csv; nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import supplyopt
from supplyopt.model import candidates
from supplyopt.workflows import invest

REPO = Path(__file__).resolve().parent.parent


def generate(net, n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` candidates on ``net``: sidings (60 %), link upgrades (30 %), storage upgrades (10 %)."""
    rng = np.random.default_rng(seed)
    mines = sorted(net.supply["node"].unique())
    hubs = sorted(net.nodes.loc[net.nodes["kind"] == "hub", "id"])
    # finite in every period (a blank capacity_t, read as NaN, is unlimited: nothing to upgrade)
    finite = np.isfinite(net.link_periods["capacity_t"]).groupby(net.link_periods["link"]).all()
    links = sorted(finite[finite].index)
    finite = np.isfinite(net.storage_capacity["capacity_t"]).groupby(net.storage_capacity["node"]).all()
    stores = sorted(finite[finite].index)
    rows = []
    for i in range(n):
        kind = rng.choice(["new_link", "link_capacity", "storage_capacity"], p=[0.6, 0.3, 0.1])
        cap = float(rng.integers(2, 20)) * 10_000  # t per week
        row = {"id": f"g{i:03d}", "kind": kind, "capacity_t": cap, "lifetime_years": 30, "discount_rate": 0.08, "fixed_om_cny_per_year": 0}
        if kind == "new_link":
            km = float(rng.integers(10, 80))
            row |= {"from": rng.choice(mines), "to": rng.choice(hubs), "mode": "rail", "distance_km": km, "cost_cny_per_t": round(12 + 0.155 * km, 2)}
        elif kind == "link_capacity":
            row["link"] = rng.choice(links)
        else:
            row["node"] = rng.choice(stores)
        # about what 15 CNY/t saved on the capacity for a year is worth, ±60 %
        row["build_cost_cny"] = float(round(cap * 52 * 15 / 0.0888 * rng.uniform(0.4, 1.6), -5))
        rows.append(row)
    cands = pd.DataFrame(rows)
    cands["excludes"], cands["requires"] = "", ""
    for k in range(n // 10):
        a, b = rng.choice(n, 2, replace=False)
        cands.loc[a, "excludes"] = cands.loc[b, "id"]
        c, d = rng.choice(n, 2, replace=False)
        if cands.loc[c, "excludes"] != cands.loc[d, "id"] and cands.loc[d, "excludes"] != cands.loc[c, "id"]:
            cands.loc[c, "requires"] = cands.loc[d, "id"]
    return cands


def run(n: int, time_limit: float, seed: int) -> dict:
    base = supplyopt.load(REPO / "data/shanxi")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "shanxi"
        shutil.copytree(REPO / "data/shanxi", folder)
        generate(base, n, seed).to_csv(folder / "candidates.csv", index=False)
        net = supplyopt.load(folder)
        budget = 0.3 * candidates.candidate_table(net)["build_cost_cny"].sum()
        t0 = time.perf_counter()
        inv = invest.invest(net, budget, model=REPO / "models/default.yaml", time_limit_s=time_limit, budget_step=0)
        wall = time.perf_counter() - t0
    s = inv.summary()
    return {"candidates": n, "chosen": len(inv.chosen), "budget_cny": budget, "milp_s": inv.solve_s, "invest_wall_s": wall,
            "mip_gap": inv.mip_gap, "mip_gap_cny": s["mip_gap_cny"], "status": s["solver_status"], "savings_cny": s["savings_cny"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--candidates", type=int, nargs="+", default=[20, 100])
    p.add_argument("--time-limit", type=float, default=300.0)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    print(f"{'candidates':>10}{'chosen':>8}{'MILP s':>9}{'invest s':>10}{'gap':>10}{'gap CNY':>14}{'savings CNY':>16}  status")
    for n in args.candidates:
        r = run(n, args.time_limit, args.seed)
        print(f"{r['candidates']:>10}{r['chosen']:>8}{r['milp_s']:>9.2f}{r['invest_wall_s']:>10.2f}{r['mip_gap']:>10.1e}{r['mip_gap_cny']:>14,.0f}{r['savings_cny']:>16,.0f}  {r['status']}")


if __name__ == "__main__":
    main()
