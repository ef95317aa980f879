"""Benchmark: supplyopt against raw highspy and linopy on the same LP, the method ``choose``
picks, warm re-solves, worker scaling, peak memory.

    .venv/bin/python benchmarks/run.py --sizes tiny small medium large --methods medium large --many shanxi large
    .venv/bin/python benchmarks/run.py --sizes national --methods national --keep     # add national to the same tables
    .venv/bin/python benchmarks/run.py --sizes tiny --quick                            # smoke run
    .venv/bin/python benchmarks/run.py --readme     # rewrite README.md's figures from benchmarks/out
    .venv/bin/python benchmarks/run.py --sizes --china realistic --china-weeks 13   # the china size (issue 28 item 4), its own README block

For each family (``network``: one-product min-cost flow; ``realistic``: Shanxi-shaped, see
generate.py) and size a seeded synthetic data set is written and measured in fresh
processes, one per builder, so that peak memory is each builder's own:

- supplyopt: read CSV, validate, build, hand-off, HiGHS, results, write — each timed; then
  30 changes (20 link capacities cut to 70 %, 10 demands up 10 %) on the kept model and a
  warm re-solve, against a rebuild from the changed data plus a cold solve;
- raw highspy: numpy arrays from the CSVs straight into HiGHS (benchmarks/baselines.py),
  checked array by array against supplyopt's LP;
- linopy 0.10: the same LP built with linopy and handed over with ``to_highspy``.

supplyopt runs with ``method: choose`` (solve.choose_method); the raw reference runs HiGHS's
defaults (dual simplex, seed 0): "end to end ÷ raw HiGHS" is supplyopt's whole run against
HiGHS's default time on the independent formulation. ``--methods`` solves the LP with dual
simplex, dual simplex with devex pricing and IPM + crossover, each in its own process (wall
and CPU seconds, peak memory). ``--many`` times N-1 link outages re-solved warm on one kept
model, against raw highspy doing the same bound changes, and with two worker processes.
Objectives must agree to 1e-7 relative. Each measured row is kept in benchmarks/out/rows/, so
runs add up (``--keep``); results.csv and results.md are made from all kept rows.
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
from dataclasses import replace
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# linopy and what it pulls in (xarray, dask, scipy, numexpr, bottleneck …) live outside the
# virtual environment: installed there, numexpr and bottleneck are picked up by pandas in
# supplyopt's own runs and add ~50 MiB and ~0.3 s to every one of them.
LINOPY_SITE = HERE / "out" / "linopy-site"  # pip install --target benchmarks/out/linopy-site linopy==0.10.1
HIGHS_OPTIONS = {"output_flag": False, "random_seed": 0}


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- workers
def worker_supplyopt(data: Path, warm: bool, profile: Path | None = None) -> dict:
    t_import, c_start = time.perf_counter(), time.process_time()
    from supplyopt.engines.solver import HighsEngine, change_demand, change_link_capacity
    from supplyopt.io.data import read_dataset
    from supplyopt.io.validate import validate
    from supplyopt.io.write import write_results
    from supplyopt.model.options import load_options
    from supplyopt.model.statement import build_lp
    from supplyopt.results.plan import build_plan

    out, t = {"import_s": time.perf_counter() - t_import}, time.perf_counter()

    def lap(name):
        nonlocal t
        now = time.perf_counter()
        out[name] = now - t
        t = now

    ds = read_dataset(data); lap("read_s")
    net = validate(ds); lap("validate_s")
    opt = load_options(profile)
    lp = build_lp(net, opt); lap("build_s")
    engine = HighsEngine(lp, opt.solver); lap("handoff_s")
    out.update(method=engine.method, method_reason=engine.method_reason)
    cpu = time.process_time()
    sol = engine.solve(); lap("highs_s")
    out["highs_cpu_s"] = time.process_time() - cpu
    plan = build_plan(net, opt, lp, sol); lap("results_s")
    with tempfile.TemporaryDirectory() as tmp:  # writing is timed; where it lands does not matter
        write_results(Path(tmp) / "results", plan, {"objective": plan.kpis["objective"]}, []); lap("write_s")
    out.update(objective=sol.objective, iterations=sol.iterations, variables=lp.n_cols, constraints=lp.n_rows, nonzeros=lp.n_nonzeros,
               links_products_periods=lp.variables["flow"].size, status=sol.status)
    out["overhead_s"] = sum(out[k] for k in ("import_s", "read_s", "validate_s", "build_s", "handoff_s", "results_s", "write_s"))
    out["end_to_end_s"] = out["overhead_s"] + out["highs_s"]
    out["overhead_cpu_s"] = time.process_time() - c_start - out["highs_cpu_s"]  # less exposed to other processes than wall time
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
        cold = HighsEngine(lp2, replace(opt.solver, method=engine.method)).solve()  # the same method as the first solve
        out["rebuild_cold_s"] = time.perf_counter() - t0
        out["cold_iterations"] = cold.iterations
        out["cold_objective"] = cold.objective
        out["changes"] = len(cuts) + len(rise)
    return out


def worker_raw(data: Path, profile: Path | None = None, limit_s: float | None = None) -> dict:
    """HiGHS's defaults on the independent formulation; ``limit_s`` stops it (then its time
    is a lower bound and the ratio against it an upper bound)."""
    from baselines import lp_arrays, raw_highspy

    t0 = time.perf_counter()
    arrays = lp_arrays(data, profile)
    t1 = time.perf_counter()
    h = raw_highspy(arrays, {**HIGHS_OPTIONS, **({"time_limit": float(limit_s)} if limit_s else {})})
    t2 = time.perf_counter()
    cpu = time.process_time()
    h.run()
    t3 = time.perf_counter()
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    return {"build_s": t1 - t0, "handoff_s": t2 - t1, "highs_s": t3 - t2, "highs_cpu_s": time.process_time() - cpu, "objective": info.objective_function_value,
            "iterations": info.simplex_iteration_count, "peak_mib": _peak_mib(), "status": status, "stopped": status != "Optimal"}


def worker_linopy(data: Path, solve: bool, profile: Path | None = None) -> dict:
    import warnings

    sys.path.append(str(LINOPY_SITE))  # after the venv's own numpy and pandas
    from baselines import linopy_model, lp_arrays

    warnings.filterwarnings("ignore")
    if (HERE / "out" / "skip-linopy").exists():  # a marker to cut a run short (linopy needs minutes at large sizes under load)
        return {"skipped": "benchmarks/out/skip-linopy exists", "build_s": None, "handoff_s": None, "peak_mib": None}
    arrays = lp_arrays(data, profile)  # reading is not linopy's work; not timed
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


def worker_check(data: Path, profile: Path | None = None) -> dict:
    """Is supplyopt's LP array-for-array the raw builder's LP?"""
    from baselines import lp_arrays

    from supplyopt.io.data import read_dataset
    from supplyopt.io.validate import validate
    from supplyopt.model.options import load_options
    from supplyopt.model.statement import build_lp

    a = lp_arrays(data, profile)
    lp = build_lp(validate(read_dataset(data)), load_options(profile))
    cl, cu, rl, ru = lp.bounds()
    r, c, v = lp.triplets()
    o1, o2 = np.lexsort((r, c)), np.lexsort((a["rows"], a["cols"]))
    same = (a["n_cols"] == lp.n_cols and a["n_rows"] == lp.n_rows and np.allclose(a["c"], lp.objective())
            and all(np.array_equal(x, y) for x, y in ((a["col_lower"], cl), (a["col_upper"], cu), (a["row_lower"], rl), (a["row_upper"], ru)))
            and np.array_equal(r[o1], a["rows"][o2]) and np.array_equal(c[o1], a["cols"][o2]) and np.allclose(v[o1], a["vals"][o2]))
    return {"identical_lp": bool(same)}


METHODS = {  # the settings compared for `method: choose` (HiGHS option names), on the LP as HiGHS gets it
    "dual": {"solver": "simplex"},
    "devex": {"solver": "simplex", "simplex_dual_edge_weight_strategy": 1},
    "ipm": {"solver": "ipm", "run_crossover": "on"},
    # the same, on the LP as built (solver.reformulate: false): what the safety-row elimination saves
    "dual-built": {"solver": "simplex"},
    "ipm-built": {"solver": "ipm", "run_crossover": "on"},
}
METHODS["race"] = {}  # supplyopt's own `method: race` (HighsEngine._race_once): devex and IPM on two threads
METHOD_TITLES = {"dual": "dual simplex", "devex": "dual + devex", "ipm": "IPM + crossover", "dual-built": "dual simplex, LP as built",
                 "ipm-built": "IPM + crossover, LP as built", "race": "`race`: devex and IPM on two threads (wall s / CPU s of both, peak MiB; who won)"}


def _supplyopt_lp(data: Path, profile: Path | None):
    from supplyopt.io.data import read_dataset
    from supplyopt.io.validate import validate
    from supplyopt.model.options import load_options
    from supplyopt.model.statement import build_lp

    opt = load_options(profile)
    net = validate(read_dataset(data))
    return net, opt, build_lp(net, opt)


def worker_method(data: Path, method: str, profile: Path | None = None, limit_s: float | None = None) -> dict:
    """One method on supplyopt's LP, in a process of its own: wall and CPU seconds, peak MiB,
    rows HiGHS was given; stopped at ``limit_s``."""
    from supplyopt.engines.solver import HighsEngine

    _, opt, lp = _supplyopt_lp(data, profile)
    engine = HighsEngine(lp, replace(opt.solver, method="race" if method == "race" else "simplex", time_limit_s=limit_s, reformulate=not method.endswith("-built")))
    for key, value in METHODS[method].items():
        engine.h.setOptionValue(key, value)
    t0, c0 = time.perf_counter(), time.process_time()
    sol = engine.solve()
    return {"method": method, "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0, "objective": sol.objective,
            "status": sol.status, "stopped": sol.status != "optimal", "iterations": sol.iterations, "peak_mib": _peak_mib(), "columns": lp.n_cols,
            "highs_rows": engine.held.n_rows, "rows": lp.n_rows, "winner": engine.method_reason.rsplit("; ", 1)[-1] if method == "race" else None}


def _outage_cases(lp, x: np.ndarray, k: int):
    """The k busiest links with a finite capacity (tonnes over the horizon), for N-1 outages."""
    flow = lp.variables["flow"]
    used = flow.index[["link", "period", "capacity_t"]].assign(flow_t=x[flow.start : flow.start + flow.size])
    used = used[np.isfinite(used["capacity_t"])]
    busiest = used.groupby("link", sort=True)["flow_t"].sum().sort_values(ascending=False, kind="stable")
    return list(busiest.index[:k])


def worker_many(data: Path, cases: int, shard: int = 0, shards: int = 1, barrier: Path | None = None, profile: Path | None = None) -> dict:
    """N-1 screening on one kept model: for each of the busiest links, cut its capacity to 0 in
    every period, re-solve warm, restore it. supplyopt (engine.change_link_capacity + solve)
    against raw highspy making the same bound changes on the identical LP. With ``shards``,
    this process does every shards-th case, starting together with the others at ``barrier``."""

    from supplyopt import api
    from supplyopt.engines.solver import change_link_capacity
    from supplyopt.workflows import screen as screening

    # one kept model (a Study, as screen uses), solved once: both loops below start from it
    study = api.Study(data, model=profile, race=False)  # as screen runs it
    base_plan = study.solve()
    engine, lp, base = study.engine, study.lp, study.solution
    base_basis = engine.h.getBasis()  # raw highspy starts from the same basis: the same pivots
    links = _outage_cases(lp, base.x, cases)[shard::shards]
    flow = lp.variables["flow"]
    periods = {link: flow.index.loc[flow.index["link"] == link, ["link", "period", "capacity_t"]].drop_duplicates(["link", "period"]) for link in links}
    if barrier is not None:  # start the timed loops of all shards together
        (barrier / f"ready-{shard}").touch()
        while len(list(barrier.glob("ready-*"))) < shards:
            time.sleep(0.01)
    out = {"cases": len(links), "method": engine.method}
    t0, c0 = time.perf_counter(), time.process_time()
    objectives, iterations, highs_s = [], 0, 0.0
    for link in links:
        rows = periods[link]
        change_link_capacity(engine, rows.assign(capacity_t=0.0))
        sol = engine.solve()
        objectives.append(sol.objective if sol.status == "optimal" else np.nan)  # an outage may leave no plan
        iterations += sol.iterations or 0
        highs_s += sol.solve_s
        change_link_capacity(engine, rows)
    out["supplyopt_s"], out["supplyopt_cpu_s"] = time.perf_counter() - t0, time.process_time() - c0
    out["supplyopt_iterations"], out["supplyopt_highs_s"] = iterations, highs_s
    if shards > 1:
        return out
    # the workflow's own path: supplyopt.screen.run_case on the same kept model (ranking figures included)
    t0 = time.perf_counter()
    rows = [screening.run_case(study, base_plan, "links", link) for link in links]
    out["screen_s"] = time.perf_counter() - t0
    out["screen_objectives_agree"] = bool(np.allclose([r.get("objective_cny", np.nan) for r in rows], objectives, rtol=1e-7, atol=1e-6, equal_nan=True))
    # raw highspy: the same LP, the same bound changes by column and row number; once chained
    # (each case from the last one's basis, as the engine loop above) and once with every case
    # from the base basis, as screen.run_case starts (Study.start_from_base: clearSolver + setBasis)
    agree = []
    for key, from_base in (("raw", False), ("raw_from_base", True)):
        objs, out[f"{key}_iterations"], out[f"{key}_s"], out[f"{key}_cpu_s"] = _raw_outages(engine.h.getLp(), base_basis, lp, links, from_base)
        agree.append(bool(np.allclose(objectives, objs, rtol=1e-7, atol=1e-6, equal_nan=True)))
    out["objectives_agree"] = all(agree)
    out["without_plan"] = int(np.isnan(objectives).sum())
    return out


def _raw_outages(model, base_basis, lp, links, from_base: bool):
    """Raw highspy on ``model`` from ``base_basis``: each link's capacity cut to 0 (column bounds
    of one-product flows, row bounds of shared capacity rows), re-solved warm, put back.
    Returns (objectives, simplex iterations, wall s, CPU s)."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(model)
    h.setBasis(base_basis)
    # which columns and rows each outage touches, and their bounds, looked up before the clock
    # starts: the reference times HiGHS, not supplyopt's tables or copies of the whole LP
    flow, cap = lp.variables["flow"], lp.constraints["link_capacity"]
    col_up, row_up = np.asarray(model.col_upper_), np.asarray(model.row_upper_)
    changes = []
    for link in links:
        cols = (flow.start + np.flatnonzero((flow.index["link"] == link).to_numpy())).astype(np.int32)
        single = cols[flow.index["n_products"].to_numpy()[cols - flow.start] == 1]
        rows = (cap.start + np.flatnonzero((cap.index["link"] == link).to_numpy())).astype(np.int32) if cap.size else np.zeros(0, np.int32)
        changes.append((single, rows, col_up[single], row_up[rows]))
    t0, c0 = time.perf_counter(), time.process_time()
    objectives, iterations = [], 0
    for single, rows, old_col_up, old_row_up in changes:
        if len(single):
            h.changeColsBounds(len(single), single, np.zeros(len(single)), np.zeros(len(single)))
        if len(rows):
            h.changeRowsBounds(len(rows), rows, np.full(len(rows), -np.inf), np.zeros(len(rows)))
        if from_base:
            h.clearSolver()
            h.setBasis(base_basis)
        h.run()
        iterations += h.getInfo().simplex_iteration_count
        sol = h.getSolution()
        objectives.append(h.getInfo().objective_function_value if h.getModelStatus() == highspy.HighsModelStatus.kOptimal else np.nan)
        _ = (np.asarray(sol.col_value), np.asarray(sol.row_dual))
        if len(single):
            h.changeColsBounds(len(single), single, np.zeros(len(single)), old_col_up)
        if len(rows):
            h.changeRowsBounds(len(rows), rows, np.full(len(rows), -np.inf), old_row_up)
    return objectives, iterations, time.perf_counter() - t0, time.process_time() - c0


# --------------------------------------------------------------------------- china (issue 28 item 4)
# A network at the scale of all of China's coal logistics (generate.SIZES["china"]: 4,000 mines,
# 2,000 demand centres, 100 ports and bases, 800 hubs, 52 weeks), solved by `supplyopt solve` as a
# user runs it, stage by stage, with its peak memory. `--china-weeks 13` measures a 13-week cut.
CHINA_RSS_LIMIT_GIB = 20.0  # the machine has 24 GiB, shared: a run above this is stopped and reported


def worker_cli(data: Path, profile: Path | None, method: str, limit_s: float | None, rss_limit_gib: float) -> dict:
    """``supplyopt solve DATA --method M --json`` run in this process through the CLI's own main,
    a timer around each stage it passes (read, validate, build, hand-off, HiGHS, results, write)
    and resident memory sampled every half second (the peak of each stage). Above
    ``rss_limit_gib`` the process ends at once, after writing what it saw."""
    import contextlib
    import io
    import os
    import threading

    t_start = time.perf_counter()
    import supplyopt.study as study
    from supplyopt import cli
    from supplyopt.engines.highs import HighsEngine
    from supplyopt.results.plan import Plan

    out = {"import_s": time.perf_counter() - t_start, "load_start": os.getloadavg()}
    stage, stages, cpu, peaks, seen = ["import"], {}, {}, {}, {}

    def rss_mib() -> float:
        with open("/proc/self/status") as f:
            return next(int(ln.split()[1]) for ln in f if ln.startswith("VmRSS:")) / 1024

    def timed(name, fn, keep=None):
        def wrapper(*a, **k):
            before, stage[0] = stage[0], name
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                result = fn(*a, **k)
                if keep:
                    seen[keep] = result
                return result
            finally:
                stages[name] = stages.get(name, 0.0) + time.perf_counter() - t0
                cpu[name] = cpu.get(name, 0.0) + time.process_time() - c0
                stage[0] = before
        return wrapper

    study.read_dataset = timed("read", study.read_dataset)
    study.validate = timed("validate", study.validate)
    study.build_lp = timed("build", study.build_lp, keep="lp")
    study.make_engine = timed("handoff", study.make_engine, keep="engine")
    study.build_plan = timed("results", study.build_plan)
    HighsEngine.solve = timed("highs", HighsEngine.solve)
    Plan.write = timed("write", Plan.write)
    loads, stop = [], threading.Event()

    def sample():
        while not stop.wait(0.5):
            now = rss_mib()
            peaks[stage[0]] = max(peaks.get(stage[0], 0.0), now)
            if len(loads) < 100_000 and int(time.perf_counter() * 2) % 20 == 0:
                loads.append(os.getloadavg()[0])
            if now > rss_limit_gib * 1024:
                lp = seen.get("lp")
                sizes = {"columns": lp.n_cols, "rows": lp.n_rows, "nonzeros": lp.n_nonzeros} if lp else {}
                print(json.dumps({**out, **sizes, "stopped_at_rss_gib": now / 1024, "stage": stage[0], "stages_s": stages, "stage_peak_mib": peaks}), flush=True)
                os._exit(9)

    threading.Thread(target=sample, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        argv = ["solve", str(data), "--method", method, "--json", "--out", str(Path(tmp) / "results")] + (["--model", str(profile)] if profile else [])
        argv += ["--time-limit", str(limit_s)] if limit_s else []
        printed = io.StringIO()
        stage[0] = "other"  # the CLI's own work between the timed stages (checks, summary)
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(printed):
            code = cli.main(argv)
        out["command_s"] = time.perf_counter() - t0
    stop.set()
    summary = json.loads(printed.getvalue()) if code == 0 else {}
    lp, engine = seen.get("lp"), seen.get("engine")
    out.update(exit_code=code, stages_s=stages, stages_cpu_s=cpu, stage_peak_mib=peaks, peak_mib=_peak_mib(), load_end=os.getloadavg(),
               load_mean=float(np.mean(loads)) if loads else None, objective=summary.get("objective"), status=summary.get("solver", {}).get("status"),
               iterations=summary.get("solver", {}).get("iterations"), summary_build_s=summary.get("build_s"), summary_solve_s=summary.get("solve_s"),
               columns=lp.n_cols if lp else None, rows=lp.n_rows if lp else None, nonzeros=lp.n_nonzeros if lp else None,
               highs_rows=engine.held.n_rows if engine is not None and hasattr(engine, "held") else None,
               variable_families=summary.get("model", {}).get("variable_families"), constraint_families=summary.get("model", {}).get("constraint_families"))
    return out


def measure_china(family: str, weeks: int, method: str, limit_s: float, seed: int) -> dict:
    """The china size (or a ``weeks`` cut of it) generated, then ``supplyopt solve`` under
    ``/usr/bin/time -v`` (peak RSS as the kernel counts it) in a fresh process."""
    import os

    from generate import SIZES, generate, generate_realistic, write

    size = replace(SIZES["china"], weeks=weeks)
    data = HERE / "out" / "data" / f"{family}-china-{weeks}w-s{seed}"
    t0 = time.perf_counter()
    if not (data / "network.yaml").exists():
        write(data, *(generate_realistic if family == "realistic" else generate)(size, seed))
    generate_s = time.perf_counter() - t0
    profile = FAMILY_PROFILE[family]
    cmd = [sys.executable, str(Path(__file__)), "--worker", "cli", "--data", str(data), "--method", method, "--limit", str(limit_s)] + (["--profile", str(profile)] if profile else [])
    timer = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(timer + cmd, capture_output=True, text=True, timeout=limit_s + 1800)
    except subprocess.TimeoutExpired:  # HiGHS's own time limit did not end it: killed, nothing measured but that
        proc = subprocess.CompletedProcess(cmd, -9, "", f"killed after {limit_s + 1800:.0f} s")
    wall = time.perf_counter() - t0
    lines = proc.stdout.strip().splitlines()
    row = json.loads(lines[-1]) if lines else {"error": proc.stderr[-3000:]}
    maxrss = [ln for ln in proc.stderr.splitlines() if "Maximum resident set size" in ln]
    cpu_s = sum(float(ln.split()[-1]) for ln in proc.stderr.splitlines() if ln.strip().startswith(("User time (seconds)", "System time (seconds)")))
    row.update(family=family, size="china", weeks=weeks, method_asked=method, seed=seed, generate_s=generate_s, process_wall_s=wall, returncode=proc.returncode,
               time_v_max_rss_mib=int(maxrss[-1].split()[-1]) / 1024 if maxrss else None, time_v_cpu_s=cpu_s if maxrss else None, cores=os.cpu_count(),
               memory_gib=os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
               command=" ".join(["supplyopt", "solve", str(data.relative_to(HERE.parent)), "--method", method, "--json", "--time-limit", str(limit_s)]
                                + (["--model", str(profile.relative_to(HERE.parent))] if profile else [])))
    return row


CHINA_ROWS = HERE / "out" / "china"  # one JSON per family and weeks; not cleared by other runs
CHINA_START, CHINA_END = "<!-- china: written by benchmarks/run.py --china -->", "<!-- end of china -->"


def save_china(row: dict) -> None:
    CHINA_ROWS.mkdir(parents=True, exist_ok=True)
    (CHINA_ROWS / f"{row['family']}-{row['weeks']}w.json").write_text(json.dumps(row))


def write_china_readme() -> None:
    """README.md's china block (its own markers, below the latest figures) from all kept china rows."""
    rows = sorted((json.loads(f.read_text()) for f in CHINA_ROWS.glob("*.json")), key=lambda r: (r["family"], -r["weeks"]))
    readme = HERE / "README.md"
    text = readme.read_text()
    block = CHINA_START + "\n" + china_table(rows) + "\n" + CHINA_END
    if CHINA_START in text:
        text = text[: text.index(CHINA_START)] + block + text[text.index(CHINA_END) + len(CHINA_END) :]
    else:
        end = text.index(README_END) + len(README_END)
        text = text[:end] + "\n\n" + block + text[end:]
    readme.write_text(text)
    print(china_table(rows))


def china_table(rows: list[dict]) -> str:
    """The README section for the china rows."""
    if not rows:
        return ""
    md = ["### China-sized network on one machine (issue 28 item 4): `supplyopt solve` end to end, stage by stage\n",
          "| family | weeks | columns | rows (given to HiGHS) | nonzeros | method | generate s | import | read | validate | build | hand-off | HiGHS s / CPU s | results | write | command s / CPU s | status | peak RSS MiB (`time -v`) | peak MiB by stage: read / validate / build / hand-off / HiGHS / results / write | load mean (start → end) |",
          "|" + "---|" * 20]
    for r in rows:
        s, p = r.get("stages_s", {}), r.get("stage_peak_mib", {})
        status = r.get("status") or (f"stopped at {r['stopped_at_rss_gib']:.1f} GiB in {r['stage']}" if "stopped_at_rss_gib" in r else f"exit {r.get('exit_code', r.get('returncode'))}")
        md.append(f"| {r['family']} | {r['weeks']} | {r.get('columns') or 0:,} | {r.get('rows') or 0:,} ({r.get('highs_rows') or 0:,}) | {r.get('nonzeros') or 0:,} | {r['method_asked']} | {_g(r['generate_s'])} | {_g(r.get('import_s'))} | "
                  + " | ".join(_g(s.get(k)) for k in ("read", "validate", "build", "handoff"))
                  + f" | {_g(s.get('highs'))} / {_g(r.get('stages_cpu_s', {}).get('highs'))} | " + " | ".join(_g(s.get(k)) for k in ("results", "write"))
                  + f" | {_g(r.get('command_s'))} / {_g(r.get('time_v_cpu_s'))} | {status} | {_g(r.get('time_v_max_rss_mib'), 0)} | " + " / ".join(_g(p.get(k), 0) for k in ("read", "validate", "build", "handoff", "highs", "results", "write"))
                  + f" | {_g(r.get('load_mean'), 1)} ({_g((r.get('load_start') or [None])[0], 1)} → {_g((r.get('load_end') or [None])[0], 1)}) |")
    md.append("\nEach row: `" + "`; `".join(r["command"] for r in rows) + "` (benchmarks/run.py --china), on "
              f"{rows[0]['cores']} cores and {rows[0]['memory_gib']:.0f} GiB shared with other work (the load column). HiGHS's time is wall time of `HighsEngine.solve`; "
              "the stages are timed around the functions the CLI calls, memory sampled every 0.5 s.")
    return "\n".join(md) + "\n"


# --------------------------------------------------------------------------- driver
FAMILY_PROFILE = {"network": None, "realistic": HERE / "realistic.yaml"}


def _run_worker(kind: str, data: Path, profile: Path | None, *flags: str) -> dict:
    cmd = [sys.executable, str(Path(__file__)), "--worker", kind, "--data", str(data), *flags] + (["--profile", str(profile)] if profile else [])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} worker failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def dataset(family: str, size: str, seed: int) -> Path:
    """The data set folder for a family and size (``shanxi``: the reference network)."""
    from generate import SIZES, generate, generate_realistic, write

    if size == "shanxi":
        return HERE.parent / "data" / "shanxi"
    data = HERE / "out" / "data" / f"{family}-{size}-s{seed}"
    if not (data / "network.yaml").exists():
        write(data, *(generate_realistic if family == "realistic" else generate)(SIZES[size], seed))
    return data


def measure(family: str, size: str, seed: int, warm: bool, linopy: bool, methods: list[str], reference_limit: float | None, method_limit: float | None) -> dict:
    data, profile = dataset(family, size, seed), FAMILY_PROFILE[family]
    row = {"family": family, "size": size, "seed": seed}
    row["check"] = _run_worker("check", data, profile)
    row["supplyopt"] = _run_worker("supplyopt", data, profile, *(["--warm"] if warm else []))
    row["raw"] = _run_worker("raw", data, profile, *(["--limit", str(reference_limit)] if reference_limit else []))
    if linopy:
        row["linopy"] = _run_worker("linopy", data, profile)
    if methods:
        row["methods"] = {}
        for m in methods:
            if m == "dual-built" and row["methods"].get("dual", {}).get("stopped"):
                continue  # the LP as built is no easier for dual simplex: not run where it already hit the limit
            row["methods"][m] = _run_worker("method", data, profile, "--method", m, *(["--limit", str(method_limit)] if method_limit else []))
    return row


def measure_many(family: str, size: str, seed: int, cases: int) -> dict:
    """Warm N-1 re-solves: one process against raw highspy, then two worker processes."""
    data = dataset(family, size, seed)
    profile = None if size == "shanxi" else FAMILY_PROFILE[family]
    one = _run_worker("many", data, profile, "--cases", str(cases))
    with tempfile.TemporaryDirectory() as barrier:
        procs = [subprocess.Popen([sys.executable, str(Path(__file__)), "--worker", "many", "--data", str(data), "--cases", str(cases), "--shard", str(i),
                                   "--shards", "2", "--barrier", barrier] + (["--profile", str(profile)] if profile else []), stdout=subprocess.PIPE, text=True)
                 for i in range(2)]
        two = [json.loads(pr.communicate()[0].strip().splitlines()[-1]) for pr in procs]
    out = {"family": "shanxi" if size == "shanxi" else family, "size": size, "one": one, "two": two}
    if size == "shanxi":
        out["screen_cli"] = {w: _screen_cli(data, w) for w in (1, 2)}
    return out


def _screen_cli(data: Path, workers: int) -> dict:
    """``supplyopt screen DATA --elements links --workers N`` as a user runs it: wall seconds
    of the whole command, and of its cases (summary.json → timing)."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "supplyopt", "screen", str(data), "--elements", "links", "--workers", str(workers), "--quiet", "--out", str(Path(tmp) / "s")],
                       cwd=HERE.parent, check=True, capture_output=True)
        wall = time.perf_counter() - t0
        timing = json.loads((Path(tmp) / "s" / "summary.json").read_text())["timing"]
        elements = json.loads((Path(tmp) / "s" / "summary.json").read_text())["elements"]
    return {"wall_s": wall, "cases_wall_s": timing["cases_wall_s"], "elements": elements}


TINY_GOAL_S = 0.35  # issue 28: `supplyopt solve` on a 10-node set, process start to exit
TEN_NODES = (4, 2, 1, 3, 4)  # generate.Size: 4 mines, 2 hubs, 1 port, 3 demand centres (10 nodes), 4 weeks


def measure_fixed(repeats: int) -> dict:
    """Fixed costs of a tiny solve, each command in ``repeats`` fresh processes (min and median
    wall seconds, process start to exit): the whole CLI on a 10-node data set of the realistic
    family with models/default.yaml (issue 28's goal: ≤ 0.35 s) and on data/examples/transport,
    against Python starting and importing only what any solve needs (pandas, highspy, yaml)."""
    from generate import Size, generate_realistic, write

    root = HERE.parent

    def timed(cmd: list[str]) -> tuple[float, float]:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            subprocess.run(cmd, cwd=root, check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
        return float(min(times)), float(np.median(times))

    with tempfile.TemporaryDirectory() as tmp:
        ten = write(Path(tmp) / "ten", *generate_realistic(Size(*TEN_NODES), 0))
        solve = [sys.executable, "-m", "supplyopt", "solve"]
        ten_min, ten_med = timed([*solve, str(ten), "--model", "models/default.yaml", "--quiet", "--out", str(Path(tmp) / "t")])
        _, transport = timed([*solve, "data/examples/transport", "--quiet", "--out", str(Path(tmp) / "r")])
    floor_min, floor_med = timed([sys.executable, "-c", "import pandas, highspy, yaml"])
    return {"repeats": repeats, "ten_nodes_min_s": ten_min, "ten_nodes_median_s": ten_med, "goal_s": TINY_GOAL_S, "tiny_solve_s": transport,
            "python_s": timed([sys.executable, "-c", "pass"])[1], "import_floor_min_s": floor_min, "import_floor_s": floor_med,
            "import_supplyopt_s": timed([sys.executable, "-c", "import supplyopt.cli"])[1]}


def _rel(a, b) -> float:
    return abs(a - b) / max(1.0, abs(b))


def _g(v, p=2) -> str:
    return "–" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.{p}f}"


def measure_warm_whatifs(scenarios: int, points: int, outages: int) -> dict:
    """benchmarks/warm.py in a fresh process: sweep, frontier and invest's budget steps warm
    against rebuilt, and screen's link outages on the Pyomo engine (plain and with the CO2-cap
    extension) against the HiGHS engine (issue 28 item 2)."""
    proc = subprocess.run([sys.executable, str(HERE / "warm.py"), "--scenarios", str(scenarios), "--points", str(points), "--outages", str(outages)],
                          cwd=HERE.parent, check=True, capture_output=True, text=True)
    return {"family": "shanxi", "size": "warm", "scenarios": scenarios, "points": points, "outages": outages, **json.loads(proc.stdout)}


def _warm_section(w: dict) -> list[str]:
    md = [f"\n### Warm what-ifs on data/shanxi (`benchmarks/warm.py --scenarios {w['scenarios']} --points {w['points']} --outages {w['outages']}`, models/default.yaml)\n",
          "| workflow | steps | warm: s per step | rebuilt per step: s | rebuilt ÷ warm | largest relative difference |", "|---|---|---|---|---|---|"]
    sw, fr, bu = w["sweep"], w["frontier"], w["budget"]
    md.append(f"| sweep (bundled + random scenarios; {sw['warm_cases']} warm) | {sw['scenarios']} | {sw['warm_per_scenario_s']:.3f} | {sw['rebuilt_per_scenario_s']:.3f} | "
              f"{sw['rebuilt_per_scenario_s'] / sw['warm_per_scenario_s']:.2f}× | {sw['largest_relative_difference']:.1e} |")
    md.append(f"| frontier points | {fr['points']} | {fr['warm_per_point_s']:.3f} | {fr['rebuilt_per_point_s']:.3f} | {fr['rebuilt_per_point_s'] / fr['warm_per_point_s']:.2f}× | "
              f"{fr['largest_relative_difference']:.1e} |")
    md.append(f"| invest budget steps | {bu['solves']} | {bu['warm_per_step_s']:.3f} | {bu['rebuilt_per_step_s']:.3f} | {bu['rebuilt_per_step_s'] / bu['warm_per_step_s']:.2f}× | – |")
    sc = w["screen"]
    md += ["\nN-1 link outages in `screen` (warm, per case), by engine; goal: the Pyomo engine ≤ 2× the HiGHS engine:\n",
           "| engine | s per case, mean (median) | ÷ HiGHS engine on the same LP |", "|---|---|---|",
           f"| HiGHS engine | {sc['highs']['per_case_mean_s']:.4f} ({sc['highs']['per_case_median_s']:.4f}) | 1 |",
           f"| Pyomo engine | {sc['pyomo']['per_case_mean_s']:.4f} ({sc['pyomo']['per_case_median_s']:.4f}) | **{sc['pyomo_over_highs']:.2f}×** |",
           f"| HiGHS engine holding the extended LP (statement + CO2 cap row) | {sc['highs_on_extended_lp']['per_case_mean_s']:.4f} ({sc['highs_on_extended_lp']['per_case_median_s']:.4f}) | 1 |",
           f"| Pyomo engine + extension ({sc['extension']}: re-run on each outage's data) | {sc['pyomo_extended']['per_case_mean_s']:.4f} ({sc['pyomo_extended']['per_case_median_s']:.4f}) | "
           f"**{sc['pyomo_extended_over_highs_same_lp']:.2f}×** |"]
    return md


def summarise(rows: list[dict], many: list[dict], fixed: dict | None = None, warm: dict | None = None) -> tuple[list[dict], str]:
    flat, md = [], []
    md.append("### End to end against the raw reference (supplyopt with `method: choose`; raw highspy with HiGHS's defaults)\n")
    md.append("| family | size | vars | rows | nnz | method chosen | import | read | validate | build | hand-off | results | write | **overhead** (CPU s) | linopy build+hand-off | overhead ÷ linopy | HiGHS (supplyopt) s / CPU s | HiGHS default (raw) s / CPU s | **end to end ÷ raw HiGHS** (CPU) | warm s (iters) | rebuild+cold s | peak MiB (supplyopt / raw / linopy) | same LP | objectives agree |")
    md.append("|" + "---|" * 24)
    for r in rows:
        s, raw, lin = r["supplyopt"], r["raw"], r.get("linopy")
        lin = None if lin and lin.get("skipped") else lin
        lin_total = lin["build_s"] + lin["handoff_s"] if lin else None
        # every finished solve of the same LP must reach the same optimum; a reference stopped
        # at its time limit has none to compare
        objs = [s["objective"]] + ([lin["objective"]] if lin and "objective" in lin else []) + [m["objective"] for m in r.get("methods", {}).values() if not m.get("stopped")]
        stopped = bool(raw.get("stopped"))
        objs += [] if stopped else [raw["objective"]]
        agree = max(_rel(o, s["objective"]) for o in objs) < 1e-7
        if "warm_objective" in s:
            agree = agree and _rel(s["warm_objective"], s["cold_objective"]) < 1e-7
        f = {
            "family": r["family"], "size": r["size"], "variables": s["variables"], "constraints": s["constraints"], "nonzeros": s["nonzeros"],
            "links_products_periods": s["links_products_periods"], "method": s["method"], "method_reason": s["method_reason"],
            **{k: s[k] for k in ("import_s", "read_s", "validate_s", "build_s", "handoff_s", "highs_s", "highs_cpu_s", "results_s", "write_s", "overhead_s", "end_to_end_s", "peak_mib", "iterations")},
            "raw_build_s": raw["build_s"], "raw_handoff_s": raw["handoff_s"], "raw_highs_s": raw["highs_s"], "raw_highs_cpu_s": raw["highs_cpu_s"], "raw_peak_mib": raw["peak_mib"],
            "linopy_build_s": lin["build_s"] if lin else None, "linopy_handoff_s": lin["handoff_s"] if lin else None, "linopy_peak_mib": lin["peak_mib"] if lin else None,
            "overhead_vs_linopy": s["overhead_s"] / lin_total if lin else None,
            "raw_stopped_at_limit": stopped,
            "end_to_end_vs_raw_highs": s["end_to_end_s"] / raw["highs_s"],  # an upper bound where the reference stopped
            "overhead_cpu_s": s.get("overhead_cpu_s"),
            "end_to_end_vs_raw_highs_cpu": (s["overhead_cpu_s"] + s["highs_cpu_s"]) / raw["highs_cpu_s"] if "overhead_cpu_s" in s and raw["highs_cpu_s"] > 0 else None,
            "warm_s": s.get("warm_s"), "warm_iterations": s.get("warm_iterations"), "rebuild_cold_s": s.get("rebuild_cold_s"),
            "identical_lp": r["check"]["identical_lp"], "objectives_agree": agree,
        }
        for m, res in r.get("methods", {}).items():
            f.update({f"{m}_wall_s": res["wall_s"], f"{m}_cpu_s": res["cpu_s"], f"{m}_peak_mib": res["peak_mib"]})
        flat.append(f)
        md.append(
            f"| {f['family']} | {f['size']} | {f['variables']:,} | {f['constraints']:,} | {f['nonzeros']:,} | {f['method']} | {_g(f['import_s'])} | {_g(f['read_s'])} | {_g(f['validate_s'])} | {_g(f['build_s'])} | "
            f"{_g(f['handoff_s'])} | {_g(f['results_s'])} | {_g(f['write_s'])} | **{_g(f['overhead_s'])}** ({_g(f['overhead_cpu_s'])}) | {_g(lin_total)} | "
            f"{_g(f['overhead_vs_linopy'])} | {_g(f['highs_s'])} / {_g(f['highs_cpu_s'])} | {'> ' if stopped else ''}{_g(f['raw_highs_s'])} / {_g(f['raw_highs_cpu_s'])} | **{'< ' if stopped else ''}{_g(f['end_to_end_vs_raw_highs'], 3)}** ({_g(f['end_to_end_vs_raw_highs_cpu'], 3)}) | "
            f"{_g(f['warm_s'])} ({f['warm_iterations'] or '–'}) | {_g(f['rebuild_cold_s'])} | "
            f"{f['peak_mib']:.0f} / {f['raw_peak_mib']:.0f} / {_g(f['linopy_peak_mib'], 0)} | {'yes' if f['identical_lp'] else 'NO'} | {'yes' if agree else 'NO'} |"
        )
    reasons = sorted({(r["supplyopt"]["method"], r["supplyopt"]["method_reason"].split(":")[0]) for r in rows})
    if reasons:
        md.append("\n`method: choose` says why, in `run.log`: " + "; ".join(f"**{m}** — {why}" for m, why in reasons) + " (the rule: below).")
    with_methods = [r for r in rows if "methods" in r]
    if with_methods:
        shown = [m for m in METHODS if any(m in r["methods"] for r in with_methods)]
        md.append("\n### Method and formulation by size: HiGHS on supplyopt's LP, each in its own process (wall s / CPU s, peak MiB; \"as built\" = `solver.reformulate: false`, safety rows kept)\n")
        md.append("| family | size | columns | rows given to HiGHS (as built) | " + " | ".join(METHOD_TITLES[m] for m in shown) + " | fastest (CPU) | `choose` picks | safety-row elimination saves (CPU) |")
        md.append("|" + "---|" * (len(shown) + 7))
        for r in with_methods:
            ms = r["methods"]
            done = {m: v for m, v in ms.items() if not v.get("stopped") and m != "race"}
            best = min(done, key=lambda m: done[m]["cpu_s"]) if done else "–"
            cells = [(f"{'> ' if ms[m].get('stopped') else ''}{_g(ms[m]['wall_s'])} / {_g(ms[m]['cpu_s'])}, {ms[m]['peak_mib']:.0f} MiB"
                      + (f"; {ms[m]['winner']}" if m == "race" and ms[m].get("winner") else "")) if m in ms else "not run" for m in shown]
            rows_given = next((f"{v['highs_rows']:,} ({v['rows']:,})" for v in ms.values() if "highs_rows" in v), "–")
            saves = [f"{m.split('-')[0]} {1 - done[m]['cpu_s'] / done[m + '-built']['cpu_s']:.0%}" for m in ("dual", "ipm") if m in done and m + "-built" in done]
            md.append(f"| {r['family']} | {r['size']} | {r['supplyopt']['variables']:,} | {rows_given} | {' | '.join(cells)} | {best} | {r['supplyopt']['method']} | {', '.join(saves) or '–'} |")
            for m, v in ms.items():
                flat[rows.index(r)][f"{m}_stopped"] = bool(v.get("stopped"))
    if many:
        md.append("\n### Many solves: N-1 link outages re-solved warm on one kept model\n")
        md.append("| data | cases (no plan) | method of the first solve | engine: s per case (CPU s) | `screen.run_case`: s per case | raw highspy: s per case (CPU s) | engine ÷ raw, wall (CPU) | raw highspy, each case from the base basis: s per case (iterations) | screen ÷ raw (÷ raw from the base basis, as screen starts) | simplex iterations, supplyopt / raw | warm re-solves per s | 2 workers: re-solves per s | worker scaling | objectives agree |")
        md.append("|" + "---|" * 14)
        for m in many:
            one, two = m["one"], m["two"]
            n = max(one["cases"], 1)
            per, raw, per_cpu, raw_cpu = one["supplyopt_s"] / n, one["raw_s"] / n, one["supplyopt_cpu_s"] / n, one["raw_cpu_s"] / n
            scr = one["screen_s"] / n if "screen_s" in one else None
            base_raw = one["raw_from_base_s"] / n if "raw_from_base_s" in one else None
            rate2 = sum(t["cases"] for t in two) / max(t["supplyopt_s"] for t in two)
            agree = one["objectives_agree"] and one.get("screen_objectives_agree", True)
            md.append(f"| {m['family']} {m['size'] if m['size'] != 'shanxi' else ''} | {one['cases']} ({one['without_plan']}) | {one['method']} | {per:.4f} ({per_cpu:.4f}) | {_g(scr, 4)} | {raw:.4f} ({raw_cpu:.4f}) | "
                      f"{per / raw:.2f} ({per_cpu / raw_cpu:.2f}) | {_g(base_raw, 4)} ({one.get('raw_from_base_iterations', '–'):,}) | "
                      f"{_g(scr / raw if scr else None)} ({_g(scr / base_raw if scr and base_raw else None)}) | {one.get('supplyopt_iterations', '–'):,} / {one.get('raw_iterations', '–'):,} | "
                      f"{1 / per:.1f} | {rate2:.1f} | {rate2 * per:.2f}× | {'yes' if agree else 'NO'} |")
            flat.append({"family": m["family"], "size": m["size"], "many_cases": one["cases"], "many_supplyopt_s_per_case": per, "many_raw_s_per_case": raw,
                         "many_screen_s_per_case": scr, "many_raw_from_base_s_per_case": base_raw, "many_two_workers_per_s": rate2, "many_objectives_agree": agree})
        cli = [m for m in many if "screen_cli" in m]
        if cli:
            md.append("\n**`supplyopt screen DATA --elements links --workers N`** as a user runs it (whole command, and its cases alone; each worker process builds and solves its own base model):\n")
            md.append("| data | elements | 1 worker: command s (cases s) | 2 workers: command s (cases s) | speed-up, command (cases) |")
            md.append("|---|---|---|---|---|")
            for m in cli:
                a, b = m["screen_cli"]["1"] if "1" in m["screen_cli"] else m["screen_cli"][1], m["screen_cli"]["2"] if "2" in m["screen_cli"] else m["screen_cli"][2]
                md.append(f"| {m['size']} | {a['elements']} | {a['wall_s']:.2f} ({a['cases_wall_s']:.2f}) | {b['wall_s']:.2f} ({b['cases_wall_s']:.2f}) | {a['wall_s'] / b['wall_s']:.2f}× ({a['cases_wall_s'] / b['cases_wall_s']:.2f}×) |")
    if fixed:
        md.append(f"\n### Fixed costs of a tiny solve (wall s of {fixed['repeats']} fresh processes, process start to exit)\n")
        if "ten_nodes_min_s" in fixed:
            met = "yes" if fixed["ten_nodes_min_s"] <= fixed["goal_s"] else "no"
            md.append(f"`supplyopt solve` on a 10-node set (realistic family, `--model models/default.yaml`): **{fixed['ten_nodes_min_s']:.3f}** min, "
                      f"{fixed['ten_nodes_median_s']:.3f} median; goal ≤ {fixed['goal_s']:.2f} s: {met} (the floor below: {fixed['import_floor_min_s']:.3f} min).\n")
        md.append("| `supplyopt solve data/examples/transport --quiet` (median) | Python alone | Python + `import pandas, highspy, yaml` (the floor while the pipeline uses pandas) | Python + `import supplyopt.cli` |")
        md.append("|---|---|---|---|")
        md.append(f"| **{fixed['tiny_solve_s']:.3f}** | {fixed['python_s']:.3f} | {fixed['import_floor_s']:.3f} | {fixed['import_supplyopt_s']:.3f} |")
        flat.append({"family": "fixed", "size": "tiny", **{k: v for k, v in fixed.items()}})
    if warm:
        md += _warm_section(warm)
        sc = warm["screen"]
        flat.append({"family": "shanxi", "size": "warm", "pyomo_over_highs": sc["pyomo_over_highs"], "pyomo_extended_over_highs_same_lp": sc["pyomo_extended_over_highs_same_lp"]})
    return flat, "\n".join(md) + "\n"


def _rows(kind: str) -> list[dict]:
    folder = HERE / "out" / "rows"
    order = {"tiny": 0, "small": 1, "shanxi": 1.5, "medium": 2, "large": 3, "national": 4}
    found = [json.loads(f.read_text()) for f in sorted(folder.glob(f"{kind}-*.json"))]
    return sorted(found, key=lambda r: (r["family"], order.get(r["size"], 9)))


def _save(kind: str, row: dict) -> None:
    folder = HERE / "out" / "rows"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{kind}-{row['family']}-{row['size']}.json").write_text(json.dumps(row))


README_START, README_END = "<!-- figures: written by benchmarks/run.py --readme -->", "<!-- end of figures -->"


def write_readme(md: str) -> None:
    readme = HERE / "README.md"
    text = readme.read_text()
    a, b = text.index(README_START) + len(README_START), text.index(README_END)
    readme.write_text(text[:a] + "\n" + md + "\n" + text[b:])


def main() -> None:
    p = argparse.ArgumentParser(description="supplyopt benchmark")
    p.add_argument("--sizes", nargs="*", default=["tiny", "small", "medium"])
    p.add_argument("--families", nargs="+", default=["network", "realistic"], choices=list(FAMILY_PROFILE))
    p.add_argument("--methods", nargs="*", default=[], help="sizes at which to compare methods: SIZE (the --method-names) or SIZE:m1,m2,…")
    p.add_argument("--method-names", nargs="+", default=list(METHODS), choices=list(METHODS), help="which methods --methods compares where a size names none")
    p.add_argument("--many", nargs="*", default=[], help="sizes (or shanxi) for the N-1 warm re-solve and worker figures")
    p.add_argument("--many-families", nargs="+", default=["network", "realistic"], choices=list(FAMILY_PROFILE), help="families for --many sizes other than shanxi")
    p.add_argument("--cases", type=int, default=20, help="N-1 cases per --many size")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="no warm re-solve")
    p.add_argument("--no-warm-at", nargs="*", default=["national"], help="sizes measured without the warm re-solve and rebuild (default: national)")
    p.add_argument("--no-linopy", action="store_true")
    p.add_argument("--linopy-up-to", default="medium", help="largest size at which linopy builds the LP (its build takes minutes beyond)")
    p.add_argument("--reference-limit", type=float, help="stop the raw reference after this many seconds (its time is then a lower bound)")
    p.add_argument("--method-limit", type=float, default=900.0, help="stop each --methods solve after this many seconds")
    p.add_argument("--shanxi-cases", type=int, default=60, help="N-1 cases for --many shanxi")
    p.add_argument("--fixed", type=int, default=0, metavar="N", help="time a tiny CLI solve (a 10-node set; data/examples/transport) in N fresh processes, min and median, against the 0.35 s goal and the import floor")
    p.add_argument("--warm-whatifs", nargs=3, type=int, metavar=("SCENARIOS", "POINTS", "OUTAGES"),
                   help="run benchmarks/warm.py (sweep, frontier, budget steps warm against rebuilt; screen on the Pyomo engine, plain and extended) and add its table")
    p.add_argument("--keep", action="store_true", help="keep rows measured by earlier runs (default: start afresh)")
    p.add_argument("--readme", action="store_true", help="write the figures of all kept rows into benchmarks/README.md")
    p.add_argument("--china", nargs="*", default=[], choices=list(FAMILY_PROFILE), metavar="FAMILY", help="families to measure at the china size with `supplyopt solve` (one full-size solve each)")
    p.add_argument("--china-weeks", type=int, default=52, help="weeks of the china size (13: a cut of it)")
    p.add_argument("--china-method", default="ipm", choices=["choose", "simplex", "ipm", "race", "pdlp"], help="--method of the china solve")
    p.add_argument("--china-limit", type=float, default=3600.0, help="--time-limit of the china solve, seconds")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--profile", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--warm", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--solve", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--method", help=argparse.SUPPRESS)
    p.add_argument("--shard", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--shards", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--barrier", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--limit", type=float, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        fn = {"supplyopt": lambda: worker_supplyopt(a.data, a.warm, a.profile), "raw": lambda: worker_raw(a.data, a.profile, a.limit),
              "linopy": lambda: worker_linopy(a.data, a.solve, a.profile), "check": lambda: worker_check(a.data, a.profile),
              "method": lambda: worker_method(a.data, a.method, a.profile, a.limit),
              "many": lambda: worker_many(a.data, a.cases, a.shard, a.shards, a.barrier, a.profile),
              "cli": lambda: worker_cli(a.data, a.profile, a.method, a.limit, CHINA_RSS_LIMIT_GIB)}[a.worker]
        print(json.dumps(fn()))
        return
    linopy_ok = not a.no_linopy and (LINOPY_SITE / "linopy").is_dir()
    if not linopy_ok and not a.no_linopy:
        print(f"linopy not found in {LINOPY_SITE}: its column is skipped (pip install --target {LINOPY_SITE} linopy==0.10.1)", file=sys.stderr)
    if not a.keep and not a.readme:
        for f in (HERE / "out" / "rows").glob("*.json"):
            f.unlink()
    order = ["tiny", "small", "medium", "large", "national"]
    methods_at = {m.partition(":")[0]: (m.partition(":")[2].split(",") if ":" in m else a.method_names) for m in a.methods}
    unknown = sorted({n for names in methods_at.values() for n in names} - set(METHODS))
    if unknown:
        p.error(f"unknown methods {unknown}; expected some of {', '.join(METHODS)}")
    for size in a.sizes:
        for family in a.families:
            print(f"{time.strftime('%H:%M:%S')} measuring {family} {size} …", file=sys.stderr, flush=True)
            linopy = linopy_ok and order.index(size) <= order.index(a.linopy_up_to)
            _save("size", measure(family, size, a.seed, not a.quick and size not in a.no_warm_at, linopy, methods_at.get(size, []),
                                  a.reference_limit, a.method_limit))
    for size in a.many:
        for family in (["network"] if size == "shanxi" else a.many_families):
            print(f"{time.strftime('%H:%M:%S')} measuring warm re-solves, {family} {size} …", file=sys.stderr, flush=True)
            _save("many", measure_many(family, size, a.seed, a.shanxi_cases if size == "shanxi" else a.cases))
    for family in a.china:
        print(f"{time.strftime('%H:%M:%S')} measuring {family} china, {a.china_weeks} weeks …", file=sys.stderr, flush=True)
        save_china(measure_china(family, a.china_weeks, a.china_method, a.china_limit, a.seed))
    if a.china:
        write_china_readme()
        if not (a.sizes or a.many or a.fixed):
            return
    warm_file = HERE / "out" / "rows" / "warm.json"
    if a.warm_whatifs:
        print(f"{time.strftime('%H:%M:%S')} measuring warm what-ifs (benchmarks/warm.py) …", file=sys.stderr, flush=True)
        warm_file.parent.mkdir(parents=True, exist_ok=True)
        warm_file.write_text(json.dumps(measure_warm_whatifs(*a.warm_whatifs)))
    fixed_file = HERE / "out" / "rows" / "fixed.json"
    if a.fixed:
        print(f"{time.strftime('%H:%M:%S')} measuring the fixed costs of a tiny solve …", file=sys.stderr, flush=True)
        fixed_file.parent.mkdir(parents=True, exist_ok=True)
        fixed_file.write_text(json.dumps(measure_fixed(a.fixed)))
    flat, md = summarise(_rows("size"), _rows("many"), json.loads(fixed_file.read_text()) if fixed_file.exists() else None,
                         json.loads(warm_file.read_text()) if warm_file.exists() else None)
    import pandas as pd

    (HERE / "out").mkdir(exist_ok=True)
    pd.DataFrame(flat).to_csv(HERE / "out" / "results.csv", index=False)
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    load = " ".join(f"{x:.1f}" for x in __import__("os").getloadavg())
    from importlib.metadata import version

    vers = ", ".join(f"{n} {version(n)}" for n in ("highspy", "pandas", "numpy"))
    command = " ".join(["benchmarks/run.py", *sys.argv[1:]])
    how = "one run of" if not a.keep else "a run that added to the rows kept from earlier runs (see each table's own command where it has one):"
    header = (f"Machine: {platform.machine()}, Python {platform.python_version()}, {nproc} cores, load average at the end {load}; {vers}; "
              f"made {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by {how}\n\n```sh\n.venv/bin/python {command}\n```\n\n")
    (HERE / "out" / "results.md").write_text(header + md)
    print(header + md)
    if a.readme:
        write_readme(header + md)
    bad = [(f["family"], f["size"]) for f in flat if not (f.get("objectives_agree", True) and f.get("identical_lp", True) and f.get("many_objectives_agree", True))]
    if bad:
        print(f"objectives or LPs differ for: {bad}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
