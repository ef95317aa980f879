"""Seeded synthetic coal networks in the documented data format (docs/data-format.md).

A coal region in the west, demand spread over a 2,000 × 1,500 km country, ports on the east
coast. Large mines load onto rail at their nearest hubs, small mines truck to a hub or a
nearby plant; hubs form a rail grid, feed ports and demand centres; ports ship by sea to
coastal demand. Weekly demand follows a winter peak (period rows), some corridors lose
capacity for maintenance weeks (period rows), and hubs, ports and some plants hold stock.

Two families share that geography:

- ``network`` (the first family): one product, lossless links — a pure min-cost flow over
  time with node balances and safety rows only.
- ``realistic``: the Shanxi reference network's shape (data/shanxi) at every size — two
  products (thermal 2/3, coking 1/3 of mines and demand) sharing rail, port and sea capacity
  (``link_capacity`` rows) and port and loading-hub stockyards (``storage_capacity`` rows),
  mine links carrying their mine's product, lossy links (sea 0.5 % handling loss, coal-by-wire
  UHV links at 0.95–0.97 from mine-mouth plants, conveyors), large mines with a minimum
  output and weekly capacity overrides, safety stocks on every stockyard, and the
  clean-transport truck-share cap of ``benchmarks/realistic.yaml`` (at most 10 % of mine
  output leaves by truck).

    python benchmarks/generate.py medium /tmp/medium                       # network family
    python benchmarks/generate.py medium /tmp/medium-r --family realistic  # realistic family
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml


@dataclass(frozen=True)
class Size:
    mines: int
    hubs: int
    ports: int
    demand: int
    weeks: int


SIZES = {
    "tiny": Size(8, 4, 2, 6, 4),
    "small": Size(50, 20, 5, 40, 12),
    "medium": Size(300, 80, 10, 200, 26),
    "large": Size(600, 140, 12, 400, 39),
    "national": Size(1000, 200, 15, 600, 52),
    # all of China's coal logistics at installation level (issue 28 item 4): about 4,000 mines,
    # 2,000 power plants, steel works and other consumers, 100 ports and storage bases, and
    # 800 rail hubs, a third of them loading stations in the coal region
    "china": Size(4000, 800, 100, 2000, 52),
}
NEAREST_CHUNK = 512  # source points per block in _nearest: a block's distances are 512 × len(dst) floats


def _names(prefix: str, n: int, width: int) -> list[str]:
    """``prefix`` + a zero-padded number, at least ``width`` digits and as many as ``n`` needs,
    so that names sort in the order they are numbered at every size."""
    width = max(width, len(str(max(n - 1, 0))))
    return [f"{prefix}{i:0{width}d}" for i in range(n)]


def _nearest(src: np.ndarray, dst: np.ndarray, k: int, skip_self: bool = False) -> np.ndarray:
    """Indices of the k nearest dst points for each src point (brute force, vectorised), nearest
    first, ties to the lower index. Done in blocks of NEAREST_CHUNK source points, so that no
    len(src) × len(dst) × 2 array is made (4,000 mines × 2,000 demand centres: 128 MB)."""
    k = min(k, dst.shape[0] - (1 if skip_self else 0))
    out = np.empty((src.shape[0], k), dtype=np.intp)
    for a in range(0, src.shape[0], NEAREST_CHUNK):
        block = src[a : a + NEAREST_CHUNK]
        d = np.linalg.norm(block[:, None, :] - dst[None, :, :], axis=2)
        if skip_self:
            d[np.arange(len(block)), np.arange(a, a + len(block))] = np.inf
        if k < d.shape[1]:  # the k smallest, then sorted by (distance, index); a tie at the k-th place sorts the row in full
            idx = np.argpartition(d, k - 1, axis=1)[:, :k]
            near = np.take_along_axis(d, idx, axis=1)
            idx = np.take_along_axis(idx, np.lexsort((idx, near), axis=1), axis=1)
            tied = np.flatnonzero((d <= np.take_along_axis(d, idx[:, -1:], axis=1)).sum(axis=1) > k)
            idx[tied] = np.argsort(d[tied], axis=1, kind="stable")[:, :k]
        else:
            idx = np.argsort(d, axis=1, kind="stable")
        out[a : a + len(block)] = idx
    return out


def generate(size: Size, seed: int = 0) -> tuple[dict, dict[str, pd.DataFrame]]:
    """(network.yaml content, tables) for a synthetic network of the given size."""
    rng = np.random.default_rng(seed)
    mine_xy = rng.normal([300, 700], [150, 250], (size.mines, 2))
    # a third of the hubs are loading stations in the coal region, the rest spread out
    n_load = max(1, size.hubs // 3)
    hub_xy = np.vstack([
        rng.normal([300, 700], [150, 250], (n_load, 2)),
        np.column_stack([rng.uniform(100, 1900, size.hubs - n_load), rng.uniform(0, 1500, size.hubs - n_load)]),
    ])
    port_xy = np.column_stack([np.full(size.ports, 2000.0), np.linspace(100, 1400, size.ports)])
    dem_xy = np.column_stack([rng.uniform(0, 2200, size.demand), rng.uniform(0, 1500, size.demand)])
    mines, hubs, ports, dems = _names("m", size.mines, 4), _names("h", size.hubs, 3), _names("p", size.ports, 2), _names("d", size.demand, 3)
    nodes = pd.DataFrame({
        "id": mines + hubs + ports + dems,
        "kind": ["mine"] * size.mines + ["hub"] * size.hubs + ["port"] * size.ports + ["demand"] * size.demand,
        "name": mines + hubs + ports + dems,
        "region": [f"r{int(x // 500)}{int(y // 500)}" for x, y in np.vstack([mine_xy, hub_xy, port_xy, dem_xy])],
        "lon": np.round(100 + np.vstack([mine_xy, hub_xy, port_xy, dem_xy])[:, 0] / 100, 4),
        "lat": np.round(25 + np.vstack([mine_xy, hub_xy, port_xy, dem_xy])[:, 1] / 100, 4),
    })

    large = rng.random(size.mines) < 0.6
    mine_cap = np.where(large, rng.uniform(40_000, 150_000, size.mines), rng.uniform(5_000, 20_000, size.mines)).round()
    supply = pd.DataFrame({
        "node": mines, "product": "coal", "capacity_t": mine_cap,
        "cost_cny_per_t": rng.uniform(180, 420, size.mines).round(1), "min_t": 0,
        "size_class": np.where(large, "large", "small"),
    })

    links = []

    def add(frm, to, mode, dist, cap, per_km, fixed):
        n = len(frm)
        links.append(pd.DataFrame({
            "from": frm, "to": to, "mode": mode, "capacity_t": cap,
            "cost_cny_per_t": (fixed + per_km * dist).round(2), "distance_km": dist.round(1),
        }).iloc[:n])

    dist = lambda a, b: np.maximum(1.0, 1.2 * np.linalg.norm(a - b, axis=1))  # noqa: E731
    near = _nearest(mine_xy, hub_xy, 3)
    for j in range(near.shape[1]):
        h = near[:, j]
        d = dist(mine_xy, hub_xy[h])
        mode = np.where(large, "rail", "truck")
        add(np.array(mines), np.array(hubs)[h], mode, d, "", np.where(large, 0.12, 0.5), np.where(large, 8.0, 5.0))
    near_d = _nearest(mine_xy[~large], dem_xy, 1)[:, 0]
    add(np.array(mines)[~large], np.array(dems)[near_d], "truck", dist(mine_xy[~large], dem_xy[near_d]), "", 0.5, 5.0)
    hub_cap = (mine_cap.sum() / size.hubs * rng.uniform(1.0, 4.0, size.hubs)).round(-3)
    for h in _nearest(hub_xy, hub_xy, 3, skip_self=True).T:  # rail grid, both directions
        add(np.array(hubs), np.array(hubs)[h], "rail", dist(hub_xy, hub_xy[h]), hub_cap, 0.1, 2.0)
        add(np.array(hubs)[h], np.array(hubs), "rail", dist(hub_xy, hub_xy[h]), hub_cap, 0.1, 2.0)
    # trunk corridors: every loading station to three random hubs outside the coal region
    outer = np.arange(n_load, size.hubs)
    if len(outer):
        trunk = rng.choice(outer, size=(n_load, min(3, len(outer))))
        for h in trunk.T:
            add(np.array(hubs)[:n_load], np.array(hubs)[h], "rail", dist(hub_xy[:n_load], hub_xy[h]), 2 * hub_cap[:n_load], 0.1, 2.0)
    for h in _nearest(hub_xy, port_xy, 2).T:
        add(np.array(hubs), np.array(ports)[h], "rail", dist(hub_xy, port_xy[h]), hub_cap / 2, 0.1, 6.0)
    for h in _nearest(hub_xy, dem_xy, 8).T:
        add(np.array(hubs), np.array(dems)[h], "rail", dist(hub_xy, dem_xy[h]), "", 0.13, 4.0)
    for h in _nearest(dem_xy, hub_xy, 2).T:  # every demand centre served by its two nearest hubs
        add(np.array(hubs)[h], np.array(dems), "rail", dist(hub_xy[h], dem_xy), "", 0.13, 4.0)
    coastal = np.flatnonzero(dem_xy[:, 0] > 1200)
    if len(coastal):
        for h in _nearest(port_xy, dem_xy[coastal], 20).T:
            add(np.array(ports), np.array(dems)[coastal[h]], "sea", dist(port_xy, dem_xy[coastal[h]]), 400_000.0, 0.03, 20.0)
    links = pd.concat(links, ignore_index=True).drop_duplicates(["from", "to"]).reset_index(drop=True)
    links.insert(0, "id", [f"l{i:05d}" for i in range(len(links))])
    links["capacity_t"] = links["capacity_t"].replace("", np.nan).astype(float)

    base = mine_cap.sum() * 0.85 / size.demand
    dem_base = rng.uniform(0.3, 1.7, size.demand) * base
    demand = pd.DataFrame({"node": dems, "product": "coal", "demand_t": dem_base.round(), "penalty_cny_per_t": 3000.0, "period": ""})
    weeks = np.arange(size.weeks)
    season = 1 + 0.25 * np.cos(2 * np.pi * (weeks + 2) / 52)
    forecast = pd.DataFrame({
        "node": np.repeat(dems, size.weeks), "product": "coal",
        "demand_t": (np.repeat(dem_base, size.weeks) * np.tile(season, size.demand) * rng.uniform(0.95, 1.05, size.demand * size.weeks)).round(),
        "penalty_cny_per_t": np.nan, "period": np.tile(weeks + 1, size.demand).astype(str),
    })
    demand = pd.concat([demand, forecast], ignore_index=True)

    maintenance = links[links["mode"] == "rail"].sample(frac=0.05, random_state=seed)
    m_rows = []
    for lid, cap in zip(maintenance["id"], maintenance["capacity_t"]):
        start = rng.integers(0, max(1, size.weeks - 2))
        for w in (start, start + 1):
            if w < size.weeks and np.isfinite(cap):
                m_rows.append({"id": lid, "capacity_t": round(cap * 0.6), "period": str(w + 1)})
    links["period"] = ""
    if m_rows:
        extra = pd.DataFrame(m_rows)
        for col in ("from", "to", "mode", "cost_cny_per_t", "distance_km"):
            extra[col] = np.nan if col in ("cost_cny_per_t", "distance_km") else ""
        links = pd.concat([links, extra[links.columns]], ignore_index=True)

    stock_nodes = list(np.array(hubs)[rng.random(size.hubs) < 0.3]) + ports + list(np.array(dems)[rng.random(size.demand) < 0.2])
    cap = rng.uniform(50_000, 400_000, len(stock_nodes)).round(-3)
    storage = pd.DataFrame({
        "node": stock_nodes, "product": "coal", "capacity_t": cap, "initial_t": (cap * rng.uniform(0.2, 0.6, len(stock_nodes))).round(),
        "safety_t": (cap * 0.1).round(), "holding_cny_per_t": rng.uniform(0.5, 3, len(stock_nodes)).round(2),
    })
    meta = {"name": f"synthetic-{size.mines}m-{size.weeks}w-s{seed}", "description": "seeded synthetic network (benchmarks/generate.py)",
            "currency": "CNY", "period_days": 7, "periods": [f"W{w + 1:02d}" for w in weeks]}
    return meta, {"nodes": nodes, "supply": supply, "links": links, "demand": demand, "storage": storage}


FAMILIES = ("network", "realistic")
REALISTIC_PROFILE = Path(__file__).resolve().parent / "realistic.yaml"  # the truck-share cap for the realistic family


def generate_realistic(size: Size, seed: int = 0) -> tuple[dict, dict[str, pd.DataFrame]]:
    """The realistic family: the network family's geography with Shanxi's products, shared
    capacities, lossy links, mine minimum output and weekly overrides (see the module doc)."""
    meta, t = generate(size, seed)
    rng = np.random.default_rng(seed + 1000)
    nodes, supply, links, demand, storage = (t[k] for k in ("nodes", "supply", "links", "demand", "storage"))
    xy = dict(zip(nodes["id"], zip(nodes["lon"], nodes["lat"])))
    dems = nodes.loc[nodes["kind"] == "demand", "id"].to_numpy()

    # products: a third of the mines and of the demand centres are coking coal; a tenth of the
    # demand centres take both (as Shanxi's steel cities do)
    mine_product = pd.Series(np.where(rng.random(len(supply)) < 1 / 3, "coking", "thermal"), index=supply["node"])
    dem_kind = rng.choice(["thermal", "coking", "both"], size=len(dems), p=[0.6, 0.3, 0.1])
    large = (supply["size_class"] == "large").to_numpy()
    supply = supply.assign(product=mine_product.to_numpy(), min_t=np.where(large, (0.3 * supply["capacity_t"]).round(), 0.0), period="")
    # weekly overrides: large mines lose 0-30 % of capacity in a quarter of the weeks (inspections)
    over = []
    node, product, cap_t, min_t = (supply[c].to_numpy() for c in ("node", "product", "capacity_t", "min_t"))
    for i in np.flatnonzero(large):
        for w in np.flatnonzero(rng.random(size.weeks) < 0.25):
            f = rng.uniform(0.7, 1.0)
            over.append({"node": node[i], "product": product[i], "capacity_t": round(cap_t[i] * f),
                         "cost_cny_per_t": np.nan, "min_t": round(min_t[i] * f), "size_class": "", "period": str(w + 1)})
    supply = pd.concat([supply, pd.DataFrame(over, columns=supply.columns)], ignore_index=True)

    # demand: each centre's product(s); totals per product at 85 % of that product's capacity
    cap_by_product = supply[supply["period"] == ""].groupby("product")["capacity_t"].sum()
    rows = []
    for kind, share in (("thermal", {"thermal": 1.0, "both": 0.7}), ("coking", {"coking": 1.0, "both": 0.3})):
        w = pd.Series([share.get(k, 0.0) for k in dem_kind], index=dems)
        part = demand[demand["node"].isin(w.index[w > 0])].copy()
        part["demand_t"] = part["demand_t"] * part["node"].map(w).to_numpy()
        base = part[part["period"] == ""]["demand_t"].sum()
        part["demand_t"] = (part["demand_t"] * (0.85 * cap_by_product.get(kind, 0.0) / max(base, 1.0))).round()
        rows.append(part.assign(product=kind))
    demand = pd.concat(rows, ignore_index=True).sort_values(["node", "product"], kind="stable").reset_index(drop=True)

    # links: mine links carry the mine's product, links into demand centres the centre's
    # product(s), trunk rail / port / sea links both (shared capacity)
    base = links["period"] == ""
    frm, to = links["from"].astype(str), links["to"].astype(str)
    dem_products = pd.Series(np.where(dem_kind == "both", "", dem_kind), index=dems)
    products = np.where(frm.str.startswith("m"), frm.map(mine_product).fillna(""), np.where(to.str.startswith("d"), to.map(dem_products).fillna(""), ""))
    links["products"] = np.where(base, products, "")
    links["efficiency"] = np.where(base & (links["mode"] == "sea"), 0.995, np.nan)
    # coal by wire and conveyors from large thermal mines (mine-mouth plants), 1 % and 4 % of links
    first = supply[supply["period"] == ""]
    big_thermal = first[(first["size_class"] == "large") & (first["product"] == "thermal")]["node"].to_numpy()
    thermal_dems = dems[dem_kind != "coking"]
    extra = []
    n_links = int(base.sum())
    d_xy = np.array([xy[d] for d in thermal_dems])
    for mode, share, eff, far in (("uhv", 0.01, (0.95, 0.97), True), ("conveyor", 0.04, None, False)):
        k = min(len(big_thermal), max(1, round(share * n_links)))
        for m in rng.choice(big_thermal, size=k, replace=False):
            dist_km = 100 * np.linalg.norm(d_xy - np.array(xy[m]), axis=1)
            d = thermal_dems[np.argmax(dist_km) if far else np.argmin(dist_km)]
            km = max(5.0, round(float(dist_km.max() if far else dist_km.min()), 1))
            extra.append({"from": m, "to": d, "mode": mode, "capacity_t": round(rng.uniform(20_000, 60_000)), "cost_cny_per_t": round((25.0 if far else 3.0) + 0.01 * km, 2),
                          "distance_km": km, "efficiency": round(rng.uniform(*eff), 3) if eff else np.nan, "products": "thermal", "period": ""})
    extra = pd.DataFrame(extra).drop_duplicates(["from", "to"])
    extra.insert(0, "id", [f"x{i:05d}" for i in range(len(extra))])
    links = pd.concat([links, extra[links.columns]], ignore_index=True)

    # stockyards: ports and loading hubs hold both products in one yard (shared capacity),
    # other hubs thermal, demand centres their own product(s); safety a quarter of capacity
    n_load = max(1, size.hubs // 3)
    kind_of = dict(zip(dems, dem_kind))
    st = []
    for node, cap in zip(storage["node"], storage["capacity_t"]):
        if node.startswith("p") or (node.startswith("h") and int(node[1:]) < n_load):
            split = {"thermal": 0.7, "coking": 0.3}
        elif node.startswith("h"):
            split = {"thermal": 1.0}
        else:
            k = kind_of[node]
            split = {"thermal": 0.7, "coking": 0.3} if k == "both" else {k: 1.0}
        fill = rng.uniform(0.3, 0.6)
        for product, f in split.items():
            st.append({"node": node, "product": product, "capacity_t": cap, "initial_t": round(cap * fill * f), "safety_t": round(cap * 0.25 * f),
                       "holding_cny_per_t": round(rng.uniform(0.5, 3), 2)})
    storage = pd.DataFrame(st)
    meta = {**meta, "name": meta["name"].replace("synthetic", "realistic"), "description": "seeded synthetic network, realistic family (benchmarks/generate.py)",
            "products": ["thermal", "coking"]}
    return meta, {"nodes": nodes, "supply": supply, "links": links, "demand": demand, "storage": storage}


def write(folder: Path, meta: dict, tables: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "network.yaml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("size", choices=SIZES)
    p.add_argument("folder", type=Path)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--family", choices=FAMILIES, default="network")
    a = p.parse_args()
    write(a.folder, *(generate_realistic if a.family == "realistic" else generate)(SIZES[a.size], a.seed))


if __name__ == "__main__":
    main()
