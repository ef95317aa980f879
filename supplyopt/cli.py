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
import json
import sys
import traceback
from pathlib import Path

from . import __version__
from .data import ROWS_NOTE, DataError, Problem, read_dataset
from .options import CHOICES
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
    s.add_argument("--scenario", action="append", help="scenario YAML (e.g. scenarios/cold_wave.yaml) applied to the data set before solving; repeat to apply several in order")
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
    _add_emergency_commands(sub)
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
    from . import api
    from .report import format_kpis, summary_json

    opt = api.options(args.model, engine=args.engine, time_limit_s=args.time_limit_s, threads=args.threads, presolve=args.presolve, method=args.method, mip_gap=args.mip_gap)
    net = api.load(args.dataset)
    if net.warnings and not args.quiet:
        _print_problems(net.warnings)
    study = api.Study(net, model=opt)
    study.profile_path = args.model
    if args.scenario:
        study.apply(args.scenario)
    try:
        plan = study.solve()
    except api.NoPlan as err:
        _print_no_plan(err)
        return err.exit_code
    plan.log.insert(0, f"command: supplyopt {' '.join(sys.argv[1:]) or 'solve ' + args.dataset}")
    if not args.quiet:
        for w in plan.warnings:
            print(f"supplyopt: warning: {w}", file=sys.stderr)
    out = Path(args.out) if args.out else Path("results") / net.name
    plan.write(out)
    if args.json:
        print(summary_json(plan.summary), end="")
    elif not args.quiet:
        print(format_kpis(plan.summary, plan))
        print(f"\nResults written to {out}/ (summary.json, flows.csv, production.csv, stocks.csv, unmet.csv, prices.csv, warnings.csv)")
    return EXIT_OK


def _print_no_plan(err) -> None:
    """A solve without a plan, in planner words: what happened, why, what to try."""
    lines = err.lines()
    print(f"supplyopt: {lines[0]}; nothing was written.", file=sys.stderr)
    for line in lines[1:]:
        print(f"  {line.strip()}" if not line.startswith("  ") else line, file=sys.stderr)


# --------------------------------------------------------------------------- issue 11: compare, screen, sweep
def _common(p, out_help: str) -> None:
    """The options every workflow command shares with ``solve``."""
    p.add_argument("dataset", help="data set folder (network.yaml + CSV) or .xlsx workbook")
    p.add_argument("--model", help="run profile YAML (e.g. models/default.yaml)")
    p.add_argument("--out", help=out_help)
    p.add_argument("--time-limit", type=float, dest="time_limit_s", metavar="SECONDS")
    p.add_argument("--threads", type=int)
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    p.add_argument("--json", action="store_true", help="print the result as JSON instead of the table")


def _add_emergency_commands(sub) -> None:
    c = sub.add_parser("compare", help="solve the base and each scenario; KPI deltas, shortfalls, warnings")
    _common(c, "results folder (default results/<data set name>-compare)")
    c.add_argument("--scenario", action="append", default=[], help="scenario YAML; repeat for several cases (each compared with the base)")
    c.add_argument("--cold", action="store_true", help="solve every case on a fresh model instead of warm re-solves")
    c.set_defaults(func=cmd_compare)

    s = sub.add_parser("screen", help="N-1 screening: take each element out in turn and rank the outages")
    _common(s, "results folder (default results/<data set name>-screen)")
    s.add_argument("--elements", default="links,ports,mines,storage,corridors", help="comma-separated kinds: links, corridors, ports, mines, storage")
    s.add_argument("--window", metavar="W1:W2", help="out only in these weeks (period labels, inclusive); default the whole horizon")
    s.add_argument("--top", type=int, default=20, help="rows to print (all are written)")
    s.add_argument("--workers", type=int, default=1, help="processes, each with its own kept model")
    s.add_argument("--cold", action="store_true", help="rebuild the model for every case (timing reference)")
    s.add_argument("--limit", type=int, help="screen only the first N elements (timing runs)")
    s.set_defaults(func=cmd_screen)

    w = sub.add_parser("sweep", help="many scenarios in parallel (processes or a dask cluster), merged into one compare table")
    _common(w, "results folder (default results/<data set name>-sweep)")
    w.add_argument("--scenarios", action="append", default=[], metavar="GLOB", help="scenario files, e.g. 'scenarios/*.yaml' (quoted); repeat for more")
    w.add_argument("--random", type=int, default=0, metavar="N", help="add N seeded random stress scenarios (outages by element and probability)")
    w.add_argument("--seed", type=int, default=0)
    w.add_argument("--probability", type=float, default=0.02, help="chance each link, port and mine is out in a random scenario (default 0.02)")
    w.add_argument("--workers", type=int, default=1, help="local processes, each with its own kept model")
    w.add_argument("--dask", metavar="ADDRESS", help="run on an existing dask.distributed scheduler, e.g. tcp://127.0.0.1:8786")
    w.set_defaults(func=cmd_sweep)


def _study(args):
    from . import api

    opt = api.options(args.model, time_limit_s=args.time_limit_s, threads=args.threads)
    net = api.load(args.dataset)
    if net.warnings and not args.quiet:
        _print_problems(net.warnings)
    study = api.Study(net, model=opt)
    study.profile_path = args.model
    return study


def cmd_compare(args) -> int:
    from .compare import comparison_json, format_comparison, run_cases, tabulate

    study = _study(args)
    cases = run_cases(study, args.scenario, warm=not args.cold)
    cmp = tabulate(study.base, study.options, cases, profile=args.model)
    out = Path(args.out) if args.out else Path("results") / f"{study.base.name}-compare"
    cmp.write(out)
    if args.json:
        print(comparison_json(cmp), end="")
    elif not args.quiet:
        print(format_comparison(cmp))
        print(f"\nResults written to {out}/ (cases.csv, unmet_by_class_week.csv, shortfalls.csv, warnings.csv, region_gaps.csv, summary.json)")
    return EXIT_OK


def _progress(args):
    """A progress bar on stderr (off with --quiet)."""
    if args.quiet:
        return None

    def show(done: int, total: int) -> None:
        filled = int(30 * done / max(total, 1))
        print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)

    return show


def cmd_screen(args) -> int:
    from . import api
    from .screen import format_screen, screen

    if args.workers < 1:
        raise DataError([Problem("--workers", "expected a whole number ≥ 1", value=args.workers)])
    study = _study(args)
    kinds = [k.strip() for k in args.elements.split(",") if k.strip()]
    try:
        result = screen(study, kinds=kinds, window=args.window, workers=args.workers, cold=args.cold, limit=args.limit, progress=_progress(args))
    except api.NoPlan as err:  # the base itself has no plan: nothing to screen against
        _print_no_plan(err)
        return err.exit_code
    out = Path(args.out) if args.out else Path("results") / f"{study.base.name}-screen"
    result.write(out)
    if args.json:
        from .report import summary_json

        print(summary_json({**result.summary, "top": result.table.head(args.top).to_dict(orient="records")}), end="")
    elif not args.quiet:
        print(format_screen(result, args.top))
        print(f"\nResults written to {out}/ (screen.csv, hurt.csv, summary.json)")
    return EXIT_OK


def cmd_sweep(args) -> int:
    import glob

    from .compare import comparison_json, format_comparison
    from .sweep import sweep

    if args.workers < 1:
        raise DataError([Problem("--workers", "expected a whole number ≥ 1", value=args.workers)])
    files = []
    for pattern in args.scenarios:
        found = sorted(glob.glob(pattern))
        if not found:
            raise DataError([Problem("--scenarios", "matches no file; expected a path or pattern such as 'scenarios/*.yaml'", value=pattern)])
        files += found
    if not files and not args.random:
        raise DataError([Problem("--scenarios", "nothing to sweep; give --scenarios GLOB and/or --random N")])
    study = _study(args)
    cmp = sweep(study, files, random=args.random, seed=args.seed, probability=args.probability, workers=args.workers, dask=args.dask, progress=_progress(args))
    out = Path(args.out) if args.out else Path("results") / f"{study.base.name}-sweep"
    cmp.write(out)
    if args.json:
        print(comparison_json(cmp), end="")
    elif not args.quiet:
        print(format_comparison(cmp))
        info = cmp.summary["sweep"]
        print(f"\n{info['scenarios']} scenarios on {info['workers']} worker(s) ({info['runner']}) in {info['wall_s']:.1f} s")
        print(f"Results written to {out}/ (cases.csv, unmet_by_class_week.csv, shortfalls.csv, warnings.csv, region_gaps.csv, summary.json)")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
