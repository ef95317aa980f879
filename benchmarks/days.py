"""Benchmark of ``schedule --days`` (the committed week day by day, with ship calls).

    .venv/bin/python benchmarks/days.py                 # Shanxi (bundled calls) and a national-size network
    .venv/bin/python benchmarks/days.py --only shanxi

For each case: wall seconds of the whole ``supplyopt schedule`` run with and without ``--days``
(6-week window, default profile), the day plan's MIP status and gap (relative and CNY), ships
and demurrage. The national case is ``benchmarks/generate.py national --family realistic``
(1,000 mines, 52 weeks; the 6-week window is cut from it) with, added here and stated:
unit trains of 10,000 t and train paths on every rail link that has a capacity
(⌈capacity ÷ 7 ÷ 10,000⌉ + 1 paths a day, so paths bind only on busy days), a loading window
at every hub (its largest weekly rail outflow capacity ÷ 7), and ship calls of 20,000 t on
every sea link for the tonnes the weekly plan ships in the committed week (arrivals spread
over the days, demurrage 40,000 CNY a day) — seeded, illustrative.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SUPPLYOPT = [sys.executable, "-m", "supplyopt.cli"]


def run(args: list[str]) -> tuple[float, dict]:
    t0 = time.perf_counter()
    r = subprocess.run(SUPPLYOPT + args + ["--json"], cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"failed ({r.returncode}): {' '.join(args)}\n{r.stderr[-2000:]}")
    return wall, json.loads(r.stdout)


def national(folder: Path, seed: int = 0) -> tuple[Path, Path]:
    """The generated national network with train paths, loading windows, and ship calls for
    the committed week's sea tonnes of a plain weekly run."""
    subprocess.run([sys.executable, str(REPO / "benchmarks/generate.py"), "national", str(folder / "data"), "--family", "realistic", "--seed", str(seed)], check=True)
    data = folder / "data"
    links = pd.read_csv(data / "links.csv", dtype=str, keep_default_na=False)  # cells as written (period labels, blanks)
    static = links["period"] == ""
    rail = static & (links["mode"] == "rail")
    cap = pd.to_numeric(links["capacity_t"].where(rail & (links["capacity_t"] != "")), errors="coerce")
    links["train_t"] = np.where(rail, "10000", "")
    links["paths_per_day"] = [str(int(np.ceil(c / 7 / 10_000) + 1)) if c == c else "" for c in cap]
    links.to_csv(data / "links.csv", index=False)
    nodes = pd.read_csv(data / "nodes.csv", dtype=str, keep_default_na=False)
    out_cap = pd.DataFrame({"from": links["from"], "cap": cap}).dropna().groupby("from")["cap"].max()
    nodes["loading_t_per_day"] = [f"{out_cap[n] / 7:.0f}" if k == "hub" and n in out_cap.index else "" for n, k in zip(nodes["id"], nodes["kind"])]
    nodes.to_csv(data / "nodes.csv", index=False)
    _, s = run(["schedule", str(data), "--horizon", "6", "--out", str(folder / "plain")])
    ship = pd.read_csv(folder / "plain" / "shipments.csv")
    sea = ship[(ship["mode"] == "sea") & (ship["committed"])].groupby("link")["shipment_t"].sum()
    rng = np.random.default_rng(seed)
    rows = []
    for link, t in sea.items():
        for i in range(int(t // 20_000)):
            rows.append({"ship": f"{link}-{i + 1:03d}", "link": link, "size_t": 20_000, "arrival_day": int(rng.integers(1, 8)), "demurrage_cny_per_day": 40_000})
    calls = folder / "calls.csv"
    pd.DataFrame(rows).to_csv(calls, index=False)
    return data, calls


def measure(name: str, data: Path, calls: Path, extra: list[str], out: Path) -> dict:
    base = ["schedule", str(data), "--horizon", "6", *extra]
    weekly_s, _ = run([*base, "--out", str(out / "weekly")])
    days_s, s = run([*base, "--calls", str(calls), "--out", str(out / "days")])
    d = s["schedule"]["days"]
    return {"case": name, "weekly_s": round(weekly_s, 2), "with_days_s": round(days_s, 2), "day_status": d["status"], "mip_gap": d["mip_gap"],
            "mip_gap_cny": d["mip_gap_cny"], "ships": d["ships"], "ships_waiting": d["ships_waiting_past_week"], "demurrage_cny": d["demurrage_cny"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=("shanxi", "national"))
    a = p.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if a.only in (None, "shanxi"):
            rows.append(measure("shanxi", REPO / "data/shanxi", REPO / "data/dispatch/shanxi-calls-2026-W50.csv",
                                ["--model", str(REPO / "models/default.yaml"), "--snapshot", str(REPO / "data/shanxi/snapshot.csv"), "--start", "2026-W50"], tmp / "shanxi"))
        if a.only in (None, "national"):
            data, calls = national(tmp / "national")
            rows.append(measure("national (realistic, 1,000 mines)", data, calls, [], tmp / "nat"))
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
