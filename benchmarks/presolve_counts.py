"""What other exact reformulations could remove from supplyopt's LP, against what HiGHS's own
presolve removes (issue 16, item 3): fixed-zero columns, singleton rows, flows on links no
coal of their product can reach (no mine or initial stock upstream), and the safety rows the
engine already eliminates.

    .venv/bin/python benchmarks/presolve_counts.py data/shanxi@models/default.yaml benchmarks/out/data/realistic-medium-s0@benchmarks/realistic.yaml
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict, deque

import numpy as np

from supplyopt.engines.highs import HighsEngine
from supplyopt.engines.solution import new_highs
from supplyopt.io.data import read_dataset
from supplyopt.io.validate import validate
from supplyopt.model.options import load_options
from supplyopt.model.statement import build_lp


def unreachable_flows(lp) -> int:
    """Flow columns whose link starts where no coal of that product can ever be (over all periods)."""
    flows = lp.variables["flow"].index
    sources = defaultdict(set)
    made = lp.variables["production"].index
    for mine, product in zip(made["mine"], made["product"]):
        sources[product].add(mine)
    stock = lp.variables["stock"].index if "stock" in lp.variables else None
    if stock is not None and "initial_t" in stock:
        for node, product, initial in zip(stock["node"], stock["product"], stock["initial_t"]):
            if initial > 0:
                sources[product].add(node)
    open_links = flows[flows["capacity_t"] > 0][["from", "to", "product"]].drop_duplicates()
    successors = defaultdict(list)
    for a, b, p in zip(open_links["from"], open_links["to"], open_links["product"]):
        successors[(a, p)].append(b)
    reached = set()
    for product, start in sources.items():
        seen, queue = set(start), deque(start)
        while queue:
            node = queue.popleft()
            for nxt in successors[(node, product)]:
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        reached |= {(n, product) for n in seen}
    return int(sum((a, p) not in reached for a, p in zip(flows["from"], flows["product"])))


def main() -> None:
    for arg in sys.argv[1:]:
        data, _, profile = arg.partition("@")
        opt = load_options(profile or None)
        lp = build_lp(validate(read_dataset(data)), opt)
        col_lo, col_up, _, _ = lp.bounds()
        rows, _, _ = lp.triplets()
        engine = HighsEngine(lp, opt.solver)
        h = new_highs()
        h.setOptionValue("output_flag", False)
        h.passModel(engine.h.getLp())
        t0 = time.perf_counter()
        h.presolve()
        presolve_s = time.perf_counter() - t0
        reduced = h.getPresolvedLp()
        print(f"{data}: {lp.n_cols:,} columns, {lp.n_rows:,} rows | fixed-zero columns {int(((col_up == 0) & (col_lo == 0)).sum()):,} | "
              f"singleton rows {int((np.bincount(rows, minlength=lp.n_rows) == 1).sum()):,} | flows on links no coal can reach {unreachable_flows(lp):,} | "
              f"safety rows eliminated {engine.safety_rows_eliminated:,} | HiGHS presolve {presolve_s:.2f} s, to {reduced.num_col_:,} columns, {reduced.num_row_:,} rows")


if __name__ == "__main__":
    main()
