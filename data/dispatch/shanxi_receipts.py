"""Illustrative receipts for Shanxi 2026-W50: the committed shipments of a W50 run with a few
deviations, as a dispatch desk might report them (not observed data).

    supplyopt schedule data/shanxi --model models/default.yaml --snapshot data/shanxi/snapshot.csv \
        --start 2026-W50 --horizon 6 --out results/w50
    python data/dispatch/shanxi_receipts.py results/w50 data/dispatch/shanxi-receipts-2026-W50.csv

Every committed shipment is reported as planned except the deviations below; a chain through
hubs without a yard (hub_hudong, hub_qianan, hub_ld_xinzhou, hub_taiyuan) is changed on every
leg, so that what a hub received it sent on.
"""

from __future__ import annotations

import sys

import pandas as pd

WEEK = "2026-W50"
# (link, product): tonnes shipped instead of the plan (a number) or a change (a string "+n"/"-n")
DEVIATIONS = {
    # a Daqin maintenance window ran long: 300 kt less from Ordos over Daqin to Qinhuangdao
    ("rail_ext_ordos__hudong", "thermal"): "-300000",
    ("rail_daqin_main", "thermal"): "-300000",
    ("rail_daqin__qinhuangdao", "thermal"): "-300000",
    # Taiyuan heating coal: 300 kt short from Xinzhou (wagons held at Xinzhou)
    ("rail_xinzhou_large__ld_xinzhou", "thermal"): "-300000",
    ("rail_ld_xinzhou__taiyuan", "thermal"): "-300000",
    ("rail_taiyuan__heat_taiyuan", "thermal"): "-300000",
    # the Rizhao–Jiangsu ship did not come: nothing loaded, nothing sailed
    ("load_rizhao", "thermal"): 0,
    ("sea_rizhao__jiangsu_coast", "thermal"): 0,
    # Linfen's coke plant took 41 kt more by truck; a Jinzhong truck count 1.5 kt low (within tolerance)
    ("truck_linfen_large__coke_linfen", "coking"): "+41000",
    ("truck_jinzhong_large__coke_jinzhong", "coking"): "-1500",
    # a truck run nobody planned: 20 kt from Datong's large mines to the northern power plants
    ("truck_datong_large__power_north", "thermal"): 20000,
}
RECEIVED = {("rail_ld_luliang__coke_luliang", "coking"): 1655000}  # weighed at the coke plant: 9 kt less than loaded


def receipts(shipments: pd.DataFrame) -> pd.DataFrame:
    """One row per committed link and product (plus unplanned ones): shipped_t, received_t."""
    now = shipments[shipments["committed"].astype(str).str.lower() == "true"]
    rows = {(r.link, r.product): float(r.shipment_t) for r in now.itertuples()}
    for key, change in DEVIATIONS.items():
        rows[key] = rows.get(key, 0.0) + float(change) if isinstance(change, str) else float(change)
    out = pd.DataFrame([{"link": k[0], "product": k[1], "week": WEEK, "shipped_t": round(v), "received_t": RECEIVED.get(k, "")} for k, v in rows.items()])
    return out.sort_values(["link", "product"], kind="stable")


if __name__ == "__main__":
    folder, target = sys.argv[1], sys.argv[2]
    receipts(pd.read_csv(f"{folder}/shipments.csv", dtype={"link": str, "product": str})).to_csv(target, index=False)
