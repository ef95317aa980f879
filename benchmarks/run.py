"""Benchmark: supplyopt against raw highspy and linopy on the same LP, warm re-solves, scaling.

    .venv/bin/python benchmarks/run.py --sizes small medium national      # figures
    .venv/bin/python benchmarks/run.py --sizes tiny --quick                # smoke run

For each size a seeded synthetic data set is written (benchmarks/generate.py) and measured
in fresh processes, one per builder, so that peak memory is each builder's own:

- supplyopt: read CSV, validate, build, hand-off, HiGHS, results, write — each timed; then
  30 changes (20 link capacities cut to 70 %, 10 demands up 10 %) on the kept model and a
  warm re-solve, against a rebuild from the changed data plus a cold solve;
- raw highspy: numpy arrays from the CSVs straight into HiGHS (benchmarks/baselines.py),
  checked array by array against supplyopt's LP;
- linopy 0.10: the same LP built with linopy and handed over with ``to_highspy``.

All use HiGHS with the same options (defaults: dual simplex, one thread, seed 0). Objectives
must agree to 1e-7 relative. Results: benchmarks/out/results.csv and results.md.
Needs linopy for the linopy column (``pip install linopy==0.10.1``); without it that column
is skipped. Timings are wall-clock on whatever machine runs it: say which in reports.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
HIGHS_OPTIONS = {"output_flag": False, "random_seed": 0}


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- workers
def worker_supplyopt(data: Path, warm: bool) -> dict:
    from supplyopt.data import read_dataset
    from supplyopt.model import build_lp
    from supplyopt.options import load_options
    from supplyopt.report import write_results
    from supplyopt.results import build_plan
    from supplyopt.solve import HighsEngine, change_demand, change_link_capacity
    from supplyopt.validate import validate

    out, t = {}, time.perf_counter()

    def lap(name):
        nonlocal t
        now = time.perf_counter()
        out[name] = now - t
        t = now

    ds = read_dataset(data); lap("read_s")
    net = validate(ds); lap("validate_s")
    opt = load_options(None)
    lp = build_lp(net, opt); lap("build_s")
    engine = HighsEngine(lp, opt.solver); lap("handoff_s")
    sol = engine.solve(); lap("highs_s")
    plan = build_plan(net, opt, lp, sol); lap("results_s")
    with tempfile.TemporaryDirectory() as tmp:  # writing is timed; where it lands does not matter
        write_results(Path(tmp) / "results", plan, {"objective": plan.kpis["objective"]}, []); lap("write_s")
    out.update(objective=sol.objective, iterations=sol.iterations, variables=lp.n_cols, constraints=lp.n_rows, nonzeros=lp.n_nonzeros,
               links_products_periods=lp.variables["flow"].size, status=sol.status)
    out["overhead_s"] = sum(out[k] for k in ("read_s", "validate_s", "build_s", "handoff_s", "results_s", "write_s"))
    out["end_to_end_s"] = out["overhead_s"] + out["highs_s"]
    out["peak_mib"] = _peak_mib()
    if warm:
        rng = np.random.default_rng(1)
        flow = lp.variables["flow"].index
        x = sol.x[lp.variables["flow"].start : lp.variables["flow"].start + len(flow)]
        used = flow.assign(flow_t=x)
        used = used[np.isfinite(used["capacity_t"]) & (used["flow_t"] > 0)].drop_duplicates(["link", "period"])
        top = used.sort_values("flow_t", ascending=False, kind="stable").head(60)
        cuts = top.sample(min(20, len(top)), random_state=1)
        cuts = cuts[["link", "period"]].assign(capacity_t=(cuts["capacity_t"] * 0.7).round())
        dem = lp.variables["unmet"].index
        rise = dem.iloc[rng.choice(len(dem), min(10, len(dem)), replace=False)][["node", "product", "period", "demand_t"]]
        rise = rise.assign(demand_t=(rise["demand_t"] * 1.1).round())
        t0 = time.perf_counter()
        change_link_capacity(engine, cuts)
        change_demand(engine, rise)
        warm_sol = engine.solve()
        out["warm_s"] = time.perf_counter() - t0
        out["warm_iterations"] = warm_sol.iterations
        out["warm_objective"] = warm_sol.objective
        # the same changes in the data, then a rebuild and a cold solve
        lp_cap = net.link_periods.merge(cuts.rename(columns={"capacity_t": "new"}), on=["link", "period"], how="left")
        net.link_periods["capacity_t"] = lp_cap["new"].fillna(lp_cap["capacity_t"]).to_numpy()
        d = net.demand.merge(rise.rename(columns={"demand_t": "new"}), on=["node", "product", "period"], how="left")
        net.demand["demand_t"] = d["new"].fillna(d["demand_t"]).to_numpy()
        t0 = time.perf_counter()
        lp2 = build_lp(net, opt)
        cold = HighsEngine(lp2, opt.solver).solve()
        out["rebuild_cold_s"] = time.perf_counter() - t0
        out["cold_iterations"] = cold.iterations
        out["cold_objective"] = cold.objective
        out["changes"] = len(cuts) + len(rise)
    return out


def worker_raw(data: Path) -> dict:
    from baselines import lp_arrays, raw_highspy

    t0 = time.perf_counter()
    arrays = lp_arrays(data)
    t1 = time.perf_counter()
    h = raw_highspy(arrays, HIGHS_OPTIONS)
    t2 = time.perf_counter()
    h.run()
    t3 = time.perf_counter()
    info = h.getInfo()
    return {"build_s": t1 - t0, "handoff_s": t2 - t1, "highs_s": t3 - t2, "objective": info.objective_function_value,
            "iterations": info.simplex_iteration_count, "peak_mib": _peak_mib(), "status": h.modelStatusToString(h.getModelStatus())}


def worker_linopy(data: Path, solve: bool) -> dict:
    import warnings

    from baselines import linopy_model, lp_arrays

    warnings.filterwarnings("ignore")
    arrays = lp_arrays(data)  # reading is not linopy's work; not timed
    t0 = time.perf_counter()
    m = linopy_model(arrays)
    t1 = time.perf_counter()
    h = m.to_highspy()
    t2 = time.perf_counter()
    out = {"build_s": t1 - t0, "handoff_s": t2 - t1, "peak_mib": _peak_mib()}
    if solve:
        for k, v in HIGHS_OPTIONS.items():
            h.setOptionValue(k, v)
        h.run()
        out["highs_s"] = time.perf_counter() - t2
        out["objective"] = h.getInfo().objective_function_value
    return out


def worker_check(data: Path) -> dict:
    """Is supplyopt's LP array-for-array the raw builder's LP?"""
    from baselines import lp_arrays

    from supplyopt.data import read_dataset
    from supplyopt.model import build_lp
    from supplyopt.options import load_options
    from supplyopt.validate import validate

    a = lp_arrays(data)
    lp = build_lp(validate(read_dataset(data)), load_options(None))
    cl, cu, rl, ru = lp.bounds()
    r, c, v = lp.triplets()
    o1, o2 = np.lexsort((r, c)), np.lexsort((a["rows"], a["cols"]))
    same = (a["n_cols"] == lp.n_cols and a["n_rows"] == lp.n_rows and np.allclose(a["c"], lp.objective())
            and all(np.array_equal(x, y) for x, y in ((a["col_lower"], cl), (a["col_upper"], cu), (a["row_lower"], rl), (a["row_upper"], ru)))
            and np.array_equal(r[o1], a["rows"][o2]) and np.array_equal(c[o1], a["cols"][o2]) and np.allclose(v[o1], a["vals"][o2]))
    return {"identical_lp": bool(same)}


# --------------------------------------------------------------------------- driver
def _run_worker(kind: str, data: Path, *flags: str) -> dict:
    cmd = [sys.executable, str(Path(__file__)), "--worker", kind, "--data", str(data), *flags]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} worker failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(size: str, seed: int, quick: bool, linopy: bool) -> dict:
    from generate import SIZES, generate, write

    data = HERE / "out" / "data" / f"{size}-s{seed}"
    if not (data / "network.yaml").exists():
        write(data, *generate(SIZES[size], seed))
    row = {"size": size, "seed": seed}
    row["check"] = _run_worker("check", data)
    row["supplyopt"] = _run_worker("supplyopt", data, *([] if quick else ["--warm"]))
    row["raw"] = _run_worker("raw", data)
    if linopy:
        row["linopy"] = _run_worker("linopy", data, *([] if quick else ["--solve"]))
    return row


def _rel(a, b) -> float:
    return abs(a - b) / max(1.0, abs(b))


def summarise(rows: list[dict]) -> tuple[list[dict], str]:
    flat, md = [], []
    md.append("| size | vars | rows | nnz | read | validate | build | hand-off | results | write | **overhead** | linopy build+hand-off | overhead ÷ linopy | HiGHS (supplyopt) | HiGHS (raw) | end-to-end ÷ raw HiGHS | warm s (iters) | rebuild+cold s (iters) | warm speed-up | peak MiB (supplyopt / raw / linopy) | same LP | objectives agree |")
    md.append("|" + "---|" * 22)
    for r in rows:
        s, raw, lin = r["supplyopt"], r["raw"], r.get("linopy")
        lin_total = lin["build_s"] + lin["handoff_s"] if lin else float("nan")
        objs = [s["objective"], raw["objective"]] + ([lin["objective"]] if lin and "objective" in lin else [])
        agree = max(_rel(o, raw["objective"]) for o in objs) < 1e-7
        if "warm_objective" in s:
            agree = agree and _rel(s["warm_objective"], s["cold_objective"]) < 1e-7
        f = {
            "size": r["size"], "variables": s["variables"], "constraints": s["constraints"], "nonzeros": s["nonzeros"],
            "links_products_periods": s["links_products_periods"],
            **{k: s[k] for k in ("read_s", "validate_s", "build_s", "handoff_s", "highs_s", "results_s", "write_s", "overhead_s", "end_to_end_s", "peak_mib", "iterations")},
            "raw_build_s": raw["build_s"], "raw_handoff_s": raw["handoff_s"], "raw_highs_s": raw["highs_s"], "raw_peak_mib": raw["peak_mib"],
            "linopy_build_s": lin["build_s"] if lin else None, "linopy_handoff_s": lin["handoff_s"] if lin else None,
            "linopy_highs_s": lin.get("highs_s") if lin else None, "linopy_peak_mib": lin["peak_mib"] if lin else None,
            "overhead_vs_linopy": s["overhead_s"] / lin_total if lin else None,
            "end_to_end_vs_raw_highs": s["end_to_end_s"] / raw["highs_s"],
            "warm_s": s.get("warm_s"), "warm_iterations": s.get("warm_iterations"), "rebuild_cold_s": s.get("rebuild_cold_s"),
            "cold_iterations": s.get("cold_iterations"), "warm_speedup": s["rebuild_cold_s"] / s["warm_s"] if "warm_s" in s else None,
            "identical_lp": r["check"]["identical_lp"], "objectives_agree": agree,
        }
        flat.append(f)
        g = lambda v, p=2: "–" if v is None else f"{v:.{p}f}"  # noqa: E731
        md.append(
            f"| {f['size']} | {f['variables']:,} | {f['constraints']:,} | {f['nonzeros']:,} | {g(f['read_s'])} | {g(f['validate_s'])} | {g(f['build_s'])} | "
            f"{g(f['handoff_s'])} | {g(f['results_s'])} | {g(f['write_s'])} | **{g(f['overhead_s'])}** | {g(lin_total if lin else None)} | "
            f"{g(f['overhead_vs_linopy'])} | {g(f['highs_s'])} | {g(f['raw_highs_s'])} | {g(f['end_to_end_vs_raw_highs'], 3)} | "
            f"{g(f['warm_s'])} ({f['warm_iterations'] or '–'}) | {g(f['rebuild_cold_s'])} ({f['cold_iterations'] or '–'}) | {g(f['warm_speedup'], 1)}× | "
            f"{f['peak_mib']:.0f} / {f['raw_peak_mib']:.0f} / {g(f['linopy_peak_mib'], 0)} | {'yes' if f['identical_lp'] else 'NO'} | {'yes' if agree else 'NO'} |"
        )
    if len(flat) >= 3:
        n = np.log([f["links_products_periods"] for f in flat])
        for key, label in (("overhead_s", "overhead time"), ("peak_mib", "peak memory"), ("highs_s", "HiGHS time")):
            slope = np.polyfit(n, np.log([f[key] for f in flat]), 1)[0]
            md.append(f"\nLog-log slope of {label} against links × products × periods: **{slope:.2f}**")
    return flat, "\n".join(md) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description="supplyopt benchmark")
    p.add_argument("--sizes", nargs="+", default=["tiny", "small", "medium"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="no warm re-solve, no linopy solve")
    p.add_argument("--no-linopy", action="store_true")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--warm", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--solve", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        fn = {"supplyopt": lambda: worker_supplyopt(a.data, a.warm), "raw": lambda: worker_raw(a.data),
              "linopy": lambda: worker_linopy(a.data, a.solve), "check": lambda: worker_check(a.data)}[a.worker]
        print(json.dumps(fn()))
        return
    try:
        import linopy  # noqa: F401

        linopy_ok = not a.no_linopy
    except ImportError:
        linopy_ok = False
        print("linopy not installed: its column is skipped (pip install linopy==0.10.1)", file=sys.stderr)
    rows = []
    for size in a.sizes:
        print(f"measuring {size} …", file=sys.stderr, flush=True)
        rows.append(measure(size, a.seed, a.quick, linopy_ok))
    flat, md = summarise(rows)
    import pandas as pd

    (HERE / "out").mkdir(exist_ok=True)
    pd.DataFrame(flat).to_csv(HERE / "out" / "results.csv", index=False)
    header = f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores\n\n"
    (HERE / "out" / "results.md").write_text(header + md)
    print(header + md)
    bad = [f["size"] for f in flat if not (f["objectives_agree"] and f["identical_lp"])]
    if bad:
        print(f"objectives or LPs differ for: {bad}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
