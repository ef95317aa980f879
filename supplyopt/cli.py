"""Command line: ``supplyopt validate DATASET`` and ``supplyopt solve DATASET``.

Argument parsing and printing only; each step lives in its own module.

Exit codes: 0 a plan was found (optimal, or stopped at the time limit with a feasible plan,
flagged in the summary); 1 internal error (a bug: please report it); 2 invalid input (data
set or profile); 3 no feasible plan under the hard requirements; 4 the solver stopped or
failed without a plan (time limit, numerical trouble). Nothing is written unless the exit
code is 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
import time
import traceback
from pathlib import Path

from . import __version__
from .data import ROWS_NOTE, DataError, Problem, read_dataset
from .options import CHOICES, Options, load_options
from .solve import SolverMissing
from .validate import check, validate

EXIT_OK, EXIT_BUG, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_PLAN = 0, 1, 2, 3, 4


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except DataError as err:
        _print_problems(err.problems + err.warnings, getattr(args, "json", False))
        return EXIT_INPUT
    except SolverMissing as err:
        print(f"supplyopt: {err}; nothing was written.", file=sys.stderr)
        return EXIT_NO_PLAN
    except KeyboardInterrupt:
        print("supplyopt: interrupted; nothing was written", file=sys.stderr)
        return 130
    except Exception:  # a bug, not a user mistake: keep the traceback for the report
        print("supplyopt: internal error (this is a bug; nothing was written). Details:", file=sys.stderr)
        traceback.print_exc()
        return EXIT_BUG


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="supplyopt", description="Coal supply and stockpile planning (LP, HiGHS).")
    p.add_argument("--version", action="version", version=f"supplyopt {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check a data set and report every problem at once")
    v.add_argument("dataset", help="data set folder (network.yaml + CSV) or .xlsx workbook")
    v.add_argument("--json", action="store_true", help="print problems as JSON")
    v.set_defaults(func=cmd_validate)

    s = sub.add_parser("solve", help="solve a data set and write a results folder")
    s.add_argument("dataset", help="data set folder (network.yaml + CSV) or .xlsx workbook")
    s.add_argument("--model", help="run profile YAML (e.g. models/default.yaml); default: pure cost minimisation")
    s.add_argument("--scenario", help="scenario YAML (e.g. scenarios/cold_wave.yaml) applied to the data set before solving")
    s.add_argument("--out", help="results folder (default results/<data set name>)")
    s.add_argument("--engine", choices=CHOICES["engine"], help="highs: arrays straight to HiGHS (default); pyomo: Pyomo's persistent HiGHS interface")
    s.add_argument("--time-limit", type=float, dest="time_limit_s", metavar="SECONDS")
    s.add_argument("--threads", type=int)
    s.add_argument("--presolve", choices=CHOICES["presolve"])
    s.add_argument("--method", choices=CHOICES["method"], help="HiGHS algorithm (default: HiGHS chooses; dual simplex on these LPs)")
    s.add_argument("--mip-gap", type=float, dest="mip_gap")
    s.add_argument("--quiet", action="store_true", help="print nothing on success")
    s.add_argument("--json", action="store_true", help="print summary.json to stdout instead of the KPI table")
    s.set_defaults(func=cmd_solve)
    return p


def _print_problems(problems: list[Problem], as_json: bool = False) -> None:
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    if as_json:
        rows = [{"severity": p.severity, "file": p.file, "row": p.row, "column": p.column, "value": None if p.value is None else str(p.value), "message": p.message} for p in problems]
        print(json.dumps({"valid": not errors, "problems": rows}, indent=2, ensure_ascii=False))
        return
    if errors:
        note = f" ({ROWS_NOTE})" if any(p.row is not None for p in errors) else ""
        print(f"supplyopt: {len(errors)} error(s) in the input{note}:", file=sys.stderr)
        for p in errors:
            print(f"  error    {p}", file=sys.stderr)
    if warnings:
        print(f"supplyopt: {len(warnings)} warning(s):", file=sys.stderr)
        for p in warnings:
            print(f"  warning  {p}", file=sys.stderr)


def cmd_validate(args) -> int:
    ds = read_dataset(args.dataset)
    problems = check(ds)
    _print_problems(problems, args.json)
    if any(p.severity == "error" for p in problems):
        return EXIT_INPUT
    if not args.json:
        t = ds.tables
        print(f"{args.dataset}: valid — {len(t['nodes'])} nodes, {len(t['links'])} link rows, {len(ds.periods)} periods")
    return EXIT_OK


def cmd_solve(args) -> int:
    from .model import build_lp
    from .report import format_kpis, summary_json, versions, write_results
    from .results import build_plan
    from .solve import check_plan, make_engine, scaling_report

    started = dt.datetime.now(dt.timezone.utc)
    log = [f"{started.isoformat(timespec='seconds')} supplyopt {__version__} solve {' '.join(sys.argv[1:]) or args.dataset}"]
    opt = load_options(args.model, engine=args.engine, time_limit_s=args.time_limit_s, threads=args.threads, presolve=args.presolve, method=args.method, mip_gap=args.mip_gap)
    ds = read_dataset(args.dataset)
    net = validate(ds)
    if net.warnings and not args.quiet:
        _print_problems(net.warnings)
    if args.scenario:
        from .scenario import apply_scenario, load_scenario

        net = apply_scenario(net, load_scenario(args.scenario))

    t0 = time.perf_counter()
    lp = build_lp(net, opt)
    ranges, scale_warnings = scaling_report(lp)
    engine = make_engine(lp, opt, net.periods)
    build_s = time.perf_counter() - t0
    sol = engine.solve()
    log.append(f"{_now()} built {lp.n_cols} variables, {lp.n_rows} constraints in {build_s:.3f} s; solved ({sol.solver_status}) in {sol.solve_s:.3f} s")
    if hasattr(engine, "method_reason"):
        log.append(f"{_now()} HiGHS method: {engine.method_reason}")
    for w in scale_warnings + sol.warnings:
        log.append(f"{_now()} warning: {w}")
        if not args.quiet:
            print(f"supplyopt: warning: {w}", file=sys.stderr)

    if not sol.has_plan:
        return _no_plan(net, opt, lp, sol)
    violations = check_plan(lp, sol.x)
    if violations:
        print("supplyopt: the solver's plan does not hold up (numerical trouble); nothing was written. It breaks:", file=sys.stderr)
        for v in violations[:10]:
            print(f"  {v}", file=sys.stderr)
        print("  Try --method ipm, or check the units of very large or very small numbers in the data.", file=sys.stderr)
        return EXIT_NO_PLAN

    plan = build_plan(net, opt, lp, sol)
    summary = _summary(args, ds, net, opt, lp, sol, plan, build_s, versions())
    summary["numerics"] = {"ranges": {k: list(v) for k, v in ranges.items()}, "warnings": scale_warnings + sol.warnings}
    out = Path(args.out) if args.out else Path("results") / net.name
    log.append(f"{_now()} writing {out}")
    write_results(out, plan, summary, log)
    if args.json:
        print(summary_json(summary), end="")
    elif not args.quiet:
        print(format_kpis(summary, plan))
        print(f"\nResults written to {out}/ (summary.json, flows.csv, production.csv, stocks.csv, unmet.csv, prices.csv)")
    return EXIT_OK


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _no_plan(net, opt: Options, lp, sol) -> int:
    if sol.status == "infeasible":
        from .explain import explain_infeasible

        print(f"supplyopt: {sol.message}; nothing was written.", file=sys.stderr)
        for line in explain_infeasible(net, opt):
            print(f"  {line}", file=sys.stderr)
        return EXIT_INFEASIBLE
    hint = ""
    if sol.status == "no_plan" and opt.solver.time_limit_s is not None:
        hint = f" Raise the time limit (now {opt.solver.time_limit_s:g} s, --time-limit) or try --method ipm."
    print(f"supplyopt: {sol.message} (solver status: {sol.solver_status}); nothing was written.{hint}", file=sys.stderr)
    return EXIT_NO_PLAN


def _file_sha256(path: str | None) -> str | None:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None


def _summary(args, ds, net, opt, lp, sol, plan, build_s: float, vers: dict) -> dict:
    k = plan.kpis
    return {
        "status": sol.status,
        "status_message": sol.message,
        "objective": k["objective"],
        "currency": net.currency,
        "costs": k["costs"],
        "demand_t": k["demand_t"],
        "delivered_t": k["delivered_t"],
        "unmet_t": k["unmet_t"],
        "production_t": k["production_t"],
        "end_stock_t": k["end_stock_t"],
        "safety_shortfall_t": k["safety_shortfall_t"],
        "tkm": k["tkm"],
        "truck_share_tkm": k["truck_share_tkm"],
        "mine_truck_share": k["mine_truck_share"],
        "clean_share_tkm": k["clean_share_tkm"],
        "co2_t": k["co2_t"],
        "units": {
            "objective": f"{net.currency} over the horizon",
            "costs": f"{net.currency} over the horizon",
            "*_t": "tonnes over the horizon",
            "tkm": "tonne-kilometres over the horizon",
            "*_share*": "share 0–1",
            "co2_t": "tonnes of CO2 (tank-to-wheel, see modes)",
        },
        "dataset": {"name": net.name, "path": str(args.dataset), "files_sha256": ds.file_hashes},
        "periods": {"count": net.n_periods, "days": net.period_days, "first": net.periods[0], "last": net.periods[-1]},
        "profile": {"path": args.model, "sha256": _file_sha256(args.model)},
        "scenario": {"path": args.scenario, "sha256": _file_sha256(args.scenario)},
        "options": opt.to_dict(),
        "model": {
            "engine": sol.engine,
            "variables": lp.n_cols,
            "constraints": lp.n_rows,
            "nonzeros": lp.n_nonzeros,
            "variable_families": {n: f.size for n, f in lp.variables.items()},
            "constraint_families": {n: f.size for n, f in lp.constraints.items()},
        },
        "solver": {"status": sol.solver_status, "iterations": sol.iterations, "objective": sol.objective},
        "build_s": build_s,
        "solve_s": sol.solve_s,
        "versions": vers,
    }


if __name__ == "__main__":
    sys.exit(main())
