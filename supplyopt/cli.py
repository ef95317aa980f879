"""Command line: ``supplyopt validate DATASET`` and ``supplyopt solve DATASET``.

Argument parsing and printing only; each step lives in its own module.

Exit codes: 0 a plan was found (optimal, or stopped at the time limit with a feasible plan,
flagged in the summary); 1 internal error (a bug: please report it); 2 invalid input (data
set or profile); 3 no feasible plan under the hard requirements; 4 the solver stopped or
failed without a plan (time limit, numerical trouble), or ``sweep --dask``'s cluster could not be
reached or lost the work; 5 ``schedule``/``roll`` reached
``--wall-limit``; 6 another run held the results folder for longer than ``--wait``; 141 the
output was closed by its reader (``supplyopt … | head``), printing stopped quietly. Nothing
is written unless the exit code is 0.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import traceback
from pathlib import Path

from supplyopt import api, arguments
from supplyopt.engines.solver import SolverMissing
from supplyopt.io.data import ROWS_NOTE, DataError, Problem, read_dataset
from supplyopt.io.runlog import Locked, Run, process_started
from supplyopt.io.validate import check
from supplyopt.io.write import check_out_dir, summary_json
from supplyopt.model.options import CHOICES
from supplyopt.reports.terminal import format_kpis
from supplyopt.version import __version__
from supplyopt.workflows import economics  # its defaults are --carbon-price's and --truck-payload's (about 1 ms)

# Each command imports its workflow module when it runs, not here: a plain `solve` needs none
# of them, and loading all twelve (schedule alone brings openpyxl) doubled a tiny solve's
# start-up (issue 28, small runs feel instant). tests/test_cli_imports.py holds it.

EXIT_OK, EXIT_BUG, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_PLAN = 0, 1, 2, 3, 4


def _logging() -> None:
    """Messages the layers below log (``logging.getLogger("supplyopt")``) go to stderr as
    ``supplyopt: …``; INFO (each solve's steps) only with SUPPLYOPT_LOG=info."""
    import logging
    import os

    logger = logging.getLogger("supplyopt")
    if not any(getattr(h, "_supplyopt", False) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("supplyopt: %(message)s"))
        handler._supplyopt = True
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(logging.INFO if os.environ.get("SUPPLYOPT_LOG", "").lower() == "info" else logging.WARNING)


class _StderrHandler(logging.StreamHandler):
    """A log handler writing to whatever ``sys.stderr`` is when it writes (tests and callers
    swap it; a plain StreamHandler would keep writing to the stream it first saw)."""

    def emit(self, record) -> None:
        self.stream = sys.stderr
        super().emit(record)


def main(argv: list[str] | None = None) -> int:
    _logging()
    typed = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    args = parser.parse_args(arguments.negative_values(typed))
    args.argv = typed  # as typed, for run logs
    args.from_command_line = argv is None
    try:
        _numbers(args, arguments.command_parser(parser, args.command))
        _check_out(args)
        return args.func(args)
    except BrokenPipeError:
        return _output_closed()
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


EXIT_OUTPUT_CLOSED = 141  # 128 + SIGPIPE, as `cat` or `grep` exit when `head` stops reading


def _output_closed() -> int:
    """Standard output was closed by its reader (``supplyopt … | head``): stop quietly.

    Whatever the command wrote to disk before printing stays written. stdout is pointed at
    /dev/null so that Python's own flush at exit does not raise the same error again."""
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return EXIT_OUTPUT_CLOSED


class _Once(argparse.Action):
    """An option that takes one value: given twice it is an error (exit 2), not "the last wins"."""

    def __call__(self, parser, namespace, values, option_string=None):
        if getattr(namespace, f"_seen_{self.dest}", False):
            parser.error(f"{option_string} given more than once; give it once (only --scenario may be repeated)")
        setattr(namespace, f"_seen_{self.dest}", True)
        setattr(namespace, self.dest, values)


def _written(out: Path) -> str:
    """The closing line of a command: the folder and the files it now holds."""
    files = ", ".join(sorted(p.name + ("/" if p.is_dir() else "") for p in Path(out).iterdir() if not p.name.startswith(".")))
    return f"\nResults written to {out}/ ({files})"


def _check_out(args) -> None:
    """Before any work: an --out that would replace the inputs or a folder this tool did not
    write is refused (exit 2), for every command that writes a folder."""
    out = getattr(args, "out", None)
    if not out:
        return

    inputs = [getattr(args, name, None) for name in ("dataset", "model", "snapshot", "previous", "actuals", "results", "extend")]
    inputs += list(getattr(args, "scenario", None) or []) + list(getattr(args, "compare", None) or [])
    check_out_dir(out, [p for p in inputs if isinstance(p, str)])


def _extend_arg(p) -> None:
    """--extend: the one extension hook, on every command that solves."""
    p.add_argument("--extend", action=_Once, metavar="FILE.py",
                   help="Python file defining extra_functionality(model, network, options) that adds to the Pyomo model of every solve (selects the Pyomo engine; docs/model.md)")


def _assumption_args(p, foresight: bool = True) -> None:
    """The assumptions that decide an emergency answer, overridable per run (the profile holds
    the defaults; summary.json records what was used)."""
    if foresight:
        p.add_argument("--foresight", action=_Once, choices=CHOICES["foresight"],
                       help="surprise (default): a scenario's edits are unknown until their known_from period, the base plan stands until then; perfect: known from the start")
    p.add_argument("--end-stock", action=_Once, dest="end_stock", choices=CHOICES["end_stock"], help="end-of-horizon target: initial (default), safety or free")
    p.add_argument("--end-stock-penalty", action=_Once, dest="end_stock_penalty_cny_per_t", metavar="CNY|hard",
                   help="CNY per t the horizon ends below its target (default 1000), or hard: the target must be met")


def _assumptions(args) -> dict:
    return {k: getattr(args, k) for k in ("foresight", "end_stock", "end_stock_penalty_cny_per_t") if getattr(args, k, None) is not None}


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
    s.add_argument("--model", action=_Once, help="run profile YAML (e.g. models/default.yaml); default: pure cost minimisation")
    s.add_argument("--scenario", action="append", help="scenario YAML (e.g. scenarios/cold_wave.yaml) applied to the data set before solving; repeat to apply several, in order")
    s.add_argument("--out", action=_Once, help="results folder (default results/<data set name>)")
    s.add_argument("--engine", action=_Once, choices=CHOICES["engine"], help="highs: arrays straight to HiGHS (default); pyomo: Pyomo's persistent HiGHS interface")
    _extend_arg(s)
    s.add_argument("--time-limit", action=_Once, dest="time_limit_s", metavar="SECONDS")
    s.add_argument("--threads", action=_Once)
    s.add_argument("--presolve", action=_Once, choices=CHOICES["presolve"])
    s.add_argument("--method", action=_Once, choices=CHOICES["method"], help="HiGHS algorithm (default choose: dual simplex below 40,000 columns, else a race of dual simplex and interior point on two cores; docs/profiles.md)")
    s.add_argument("--mip-gap", action=_Once, dest="mip_gap")
    _assumption_args(s)
    s.add_argument("--quiet", action="store_true", help="print nothing on success")
    s.add_argument("--json", action="store_true", help="print summary.json to stdout instead of the KPI table")
    s.add_argument("--report", action="store_true", help="also write a report (HTML, Excel, charts) into OUT/report/")
    s.set_defaults(func=cmd_solve)
    _schedule_parsers(sub)

    # ---- report: HTML, Excel and charts from results folders (supplyopt/reporting.py)
    r = sub.add_parser("report", help="draw an HTML report, an Excel workbook and charts from results folders")
    r.add_argument("results", help="results folder written by `supplyopt solve` or `supplyopt stochastic`")
    r.add_argument("--compare", nargs="+", action="extend", default=[], metavar="OTHER",
                   help="more results folders, compared against the first; repeat it or list several (all are kept)")
    r.add_argument("--lang", choices=["zh", "en"], help="report language (default: the data set's `language`, else en)")
    r.add_argument("--out", required=True, help="report folder (report.html, results.xlsx, charts/*.png); replaced atomically")
    r.add_argument("--quiet", action="store_true", help="print nothing on success")
    r.add_argument("--json", action="store_true", help="print the report's files and warnings as JSON")
    r.set_defaults(func=cmd_report)
    _investment_parsers(sub)
    _add_emergency_commands(sub)
    arguments.read_as_text(p)  # every number option: checked by _numbers, all at once
    return p


RUN_LOGGED = ("schedule", "roll")  # commands whose every end, a refused number too, leaves a runs.jsonl line


def _numbers(args, command) -> None:
    """The number options of ``command`` (its sub-parser) converted in place, or every one
    refused at once (exit 2, before anything is read or written: arguments.NUMBER_OPTIONS).
    ``schedule``/``roll`` keep the refusal for their run log (:func:`_unattended`)."""
    args.refused_numbers = []
    try:
        notes = arguments.check(args, command)
    except DataError as err:
        if args.command not in RUN_LOGGED:
            raise
        args.refused_numbers, notes = err.problems, []
    for note in notes:  # full-width digits are read as meant, and said so
        print(f"supplyopt: warning: {note}", file=sys.stderr)


def cmd_report(args) -> int:
    from supplyopt.reports.reporting import make_report

    warnings: list[str] = []

    def warn(message: str) -> None:
        warnings.append(message)
        if not args.quiet and not args.json:
            print(f"supplyopt: warning: {message}", file=sys.stderr)

    out = make_report(args.results, args.out, compare=args.compare, lang=args.lang, warn=warn)
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    if args.json:
        print(json.dumps({"report": str(out), "files": files, "warnings": warnings}, indent=2, ensure_ascii=False))
    elif not args.quiet:
        pages = ", ".join(f for f in ("report.html", "map.html", "results.xlsx") if f in files)
        print(f"Report written to {out}/: {pages} and {sum(f.endswith('.png') for f in files)} charts")
    return EXIT_OK


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

    opt = api.options(args.model, engine=args.engine, time_limit_s=args.time_limit_s, threads=args.threads, presolve=args.presolve, method=args.method, mip_gap=args.mip_gap,
                      **_assumptions(args))
    net = api.load(args.dataset)
    out = Path(args.out) if args.out else Path("results") / net.name
    check_out_dir(out, [args.dataset, args.model, *(args.scenario or [])])
    if net.warnings and not args.quiet:
        _print_problems(net.warnings)
    study = api.Study(net, model=opt, extend=args.extend)
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
    plan.write(out)
    if args.report:  # drawn from the folder just written, like `supplyopt report OUT --out OUT/report`
        from supplyopt.reports.reporting import make_report

        make_report(out, out / "report", warn=lambda m: None if args.quiet else print(f"supplyopt: warning: {m}", file=sys.stderr))
    if args.json:
        print(summary_json(plan.summary), end="")
    elif not args.quiet:
        print(format_kpis(plan.summary, plan))
        print(_written(out))
        if args.report:
            pages = ", ".join(f for f in ("report.html", "map.html", "results.xlsx") if (out / "report" / f).is_file())
            print(f"Report written to {out / 'report'}/ ({pages}, charts/)")
    return EXIT_OK


# --------------------------------------------------------------------------- schedule, roll
def _schedule_parsers(sub) -> None:
    """``schedule`` (a weekly run) and ``roll`` (a simulated span of weekly runs)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("dataset", help="data set folder (network.yaml + CSV) or .xlsx workbook")
    common.add_argument("--model", help="run profile YAML (e.g. models/default.yaml)")
    common.add_argument("--start", help="first week to plan, a period label from network.yaml (default: the first)")
    common.add_argument("--horizon", type=int, default=6, help="weeks planned by each run: the committed week plus the look-ahead (default 6)")
    common.add_argument("--snapshot", help="CSV of stocks at the start of the first week: node, product, stock_t, as_of")
    common.add_argument("--trainloads", action="store_true", help="ship whole trains on links with train_t (a MIP)")
    common.add_argument("--scenario", action="append", help="scenario YAML applied to the data set first (corridor maintenance, forecast changes); repeat to apply several in order")
    common.add_argument("--out", help="results folder")
    common.add_argument("--time-limit", type=float, dest="time_limit_s", metavar="SECONDS", help="solver time limit per solve")
    common.add_argument("--mip-gap", type=float, dest="mip_gap", help="relative MIP gap for --trainloads")
    common.add_argument("--wait", type=float, default=0.0, metavar="SECONDS", help="wait this long for another run on the same --out to finish (default 0: exit 6 at once)")
    common.add_argument("--wall-limit", type=float, dest="wall_limit_s", metavar="SECONDS", help="end the whole run after this long (exit 5, nothing written)")
    _assumption_args(common, foresight=False)  # a weekly run's scenarios are forecasts: perfect foresight
    _extend_arg(common)
    common.add_argument("--quiet", action="store_true", help="print nothing on success")
    common.add_argument("--json", action="store_true", help="print summary.json to stdout")
    s = sub.add_parser("schedule", parents=[common], help="weekly run: commit next week's shipments, look ahead the rest")
    s.add_argument("--previous", metavar="DIR", help="last run's results folder: changes to its look-ahead cost change_penalty_cny_per_t")
    s.add_argument("--actuals", metavar="RECEIPTS.csv", help="what moved in the week --previous committed (link, product, week, shipped_t, received_t): reconciled with its plan, opening stocks derived from it (docs/schedule.md)")
    s.add_argument("--days", action="store_true", help="plan the committed week day by day too: train paths, loading windows, trainsets (docs/schedule.md)")
    s.add_argument("--calls", metavar="CALLS.csv", help="ship calls of the committed week (ship, link, size_t, arrival_day, demurrage_cny_per_day); implies --days")
    s.set_defaults(func=cmd_schedule)
    r = sub.add_parser("roll", parents=[common], help="simulate weekly runs over a span and compare with the full-horizon plan")
    r.add_argument("--weeks", type=int, default=13, help="weeks to simulate (default 13)")
    r.add_argument("--stable", action="store_true", help="each run keeps to the last run's look-ahead, like schedule --previous")
    r.add_argument("--deviation", type=float, default=0.0, metavar="SHARE", help="simulated actuals: each committed week's links deliver planned × (1 − u), u uniform in [0, SHARE] (default 0: as planned)")
    r.add_argument("--seed", type=int, default=0, help="seed of the simulated deviations (default 0)")
    r.set_defaults(func=cmd_roll)


def _unattended(args, default_out: str, work, write, show) -> int:
    """Run ``work(time_left)`` under the results folder's lock and the wall-clock limit,
    then ``write(out, result, runs_text)`` and ``show(result)``; exit codes as documented."""

    out = Path(args.out) if args.out else Path(default_out)
    # a refused --wall-limit or --wait is left as typed (text): the run starts without it, to log the refusal
    limit = args.wall_limit_s if not isinstance(args.wall_limit_s, str) else None
    wait = args.wait if not isinstance(args.wait, str) else 0.0
    # a command line run counts from the process's start (imports included); a call of main()
    # from Python counts from the call
    started = process_started() if args.from_command_line else None
    run = Run(out, ["supplyopt", *args.argv], wait_s=wait, wall_limit_s=limit, started=started)
    try:
        with run:  # from here on every end of the run leaves its line in runs.jsonl (or on stderr)
            if args.refused_numbers:
                raise DataError(args.refused_numbers)
            result = work(run.time_left)
            run.record.update(inputs=result.inputs, options=result.summary.get("options"), versions=result.summary.get("versions"), warnings=result.warnings,
                              notes=result.notes)
            run.record["timings"].update(result.record_timings)
            run.commit(lambda runs_text: write(out, result, runs_text))
    except Locked as err:
        if run.wall_limited:
            print(f"supplyopt: wall-clock limit of {args.wall_limit_s:g} s reached while waiting: {err} (exit 5)", file=sys.stderr)
            return 5
        print(f"supplyopt: {err} (exit 6)", file=sys.stderr)
        return err.exit_code
    except api.NoPlan as err:
        if run.wall_limited:
            print(f"supplyopt: wall-clock limit of {args.wall_limit_s:g} s reached while solving; nothing was written (exit 5)", file=sys.stderr)
            return 5
        _print_no_plan(err)
        return err.exit_code
    if not args.quiet:
        for w in result.warnings:
            print(f"supplyopt: warning: {w}", file=sys.stderr)
    if args.json:

        print(summary_json(result.summary), end="")
    elif not args.quiet:
        print(show(result))
        print(_written(out))
    return EXIT_OK


def cmd_schedule(args) -> int:
    from supplyopt.workflows import schedule

    def work(time_left):
        return schedule.schedule(args.dataset, args.model, extend=args.extend, snapshot=args.snapshot, start=args.start, horizon=args.horizon, previous=args.previous,
                            trainloads=args.trainloads, scenario=args.scenario, time_left=time_left, time_limit_s=args.time_limit_s, mip_gap=args.mip_gap,
                            days=args.days, calls=args.calls, actuals=args.actuals, **_assumptions(args))

    return _unattended(args, "results/schedule", work, schedule.write_schedule, schedule.format_schedule)


def cmd_roll(args) -> int:
    from supplyopt.workflows import roll

    def progress(week, seconds):
        if not args.quiet and not args.json:
            print(f"  {week}: planned in {seconds:.2f} s", file=sys.stderr)

    def work(time_left):
        return roll.roll(args.dataset, args.model, extend=args.extend, weeks=args.weeks, horizon=args.horizon, start=args.start, snapshot=args.snapshot,
                        trainloads=args.trainloads, stable=args.stable, scenario=args.scenario, time_left=time_left, progress=progress, time_limit_s=args.time_limit_s, mip_gap=args.mip_gap,
                        deviation=args.deviation, seed=args.seed,
                        **_assumptions(args))

    return _unattended(args, "results/roll", work, roll.write_roll, roll.format_roll)


def _print_no_plan(err) -> None:
    """A solve without a plan, in planner words: what happened, why, what to try."""
    lines = err.lines()
    print(f"supplyopt: {lines[0]}; nothing was written.", file=sys.stderr)
    for line in lines[1:]:
        print(f"  {line.strip()}" if not line.startswith("  ") else line, file=sys.stderr)


# --------------------------------------------------------------------------- investment (issue 12)
def _investment_parsers(sub) -> None:
    """evaluate, invest, bottlenecks, frontier: candidates.csv and the truck-share frontier."""

    def common(p, what):
        p.add_argument("dataset", help="data set folder (network.yaml + CSV) or .xlsx workbook")
        p.add_argument("--model", help="run profile YAML (e.g. models/default.yaml)")
        p.add_argument("--scenario", action="append", help="scenario YAML applied first; repeat to apply several in order")
        p.add_argument("--out", help=f"results folder (default results/<data set name>-{what})")
        p.add_argument("--time-limit", dest="time_limit_s", metavar="SECONDS")
        p.add_argument("--mip-gap", dest="mip_gap")
        _extend_arg(p)
        p.add_argument("--json", action="store_true", help="print summary.json to stdout instead of the tables")
        p.add_argument("--quiet", action="store_true", help="print nothing on success")

    e = sub.add_parser("evaluate", help="one candidate (candidates.csv) with and without: cost, truck t·km, CO2, payback, NPV")
    common(e, "evaluate")
    e.add_argument("--candidate", required=True, help="candidate id from candidates.csv")
    e.add_argument("--against", metavar="ID", help="a second candidate: both evaluated on one kept model, side by side per tce arriving (coal by wire against rail)")
    _valuation_args(e)
    e.set_defaults(func=cmd_evaluate)

    i = sub.add_parser("invest", help="choose candidates under a budget (MILP): chosen set, savings, gap, marginal value of budget")
    common(i, "invest")
    i.add_argument("--budget", metavar="CNY", help="most build cost (capital, CNY) to spend; required, except with --years and --annual-budget")
    i.add_argument("--max-mine-truck-share", dest="max_mine_truck_share", metavar="SHARE", help="cap on the share of mine output leaving by truck (0–1)")
    i.add_argument("--budget-step", dest="budget_step", metavar="CNY", help="re-solve at budget + this for the marginal value (default 10 %% of the budget)")
    g = i.add_argument_group("staged over years (docs/invest.md#staged-over-years)")
    g.add_argument("--years", metavar="FIRST:LAST", help="plan builds over calendar years FIRST..LAST: a build year per candidate, demand and output paths from years.csv")
    g.add_argument("--annual-budget", action="append", dest="annual_budget", metavar="CNY|YEAR=CNY", help="build cost payable in a year: one figure for every year, or YEAR=CNY (repeat)")
    g.add_argument("--lag-years", dest="lag_years", metavar="N", help="years from paying for a candidate to its opening (default 1; candidates.csv lag_years per candidate)")
    g.add_argument("--discount-rate", dest="discount_rate", default=None, metavar="RATE", help="rate that discounts later years' costs (default 0.08)")
    r = i.add_argument_group("robust to what may happen (docs/invest.md#invest-over-a-scenario-set)")
    r.add_argument("--scenarios", metavar="SET.yaml", help="choose once for every scenario of a set with probabilities (docs/stochastic.md's set format)")
    r.add_argument("--risk", action=_Once, choices=["cost", "unmet"], help="with --scenarios: add a CVaR term on each scenario's cost or unmet tonnes")
    r.add_argument("--risk-level", action=_Once, dest="risk_level", default=0.9, help="CVaR level α (default 0.9: the worst 10 %%)")
    r.add_argument("--risk-weight", action=_Once, dest="risk_weight", default=1.0, help="weight of the CVaR term (default 1)")
    _valuation_args(i)
    i.set_defaults(func=cmd_invest)

    b = sub.add_parser("bottlenecks", help="rank link and storage capacities and truck-share caps by their shadow prices (duals)")
    common(b, "bottlenecks")
    b.add_argument("--max-mine-truck-share", dest="max_mine_truck_share", metavar="SHARE", help="cap on the share of mine output leaving by truck (0–1)")
    b.add_argument("--top", default="15", help="rows to print (all are written)")
    b.set_defaults(func=cmd_bottlenecks)

    f = sub.add_parser("frontier", help="least cost as the cap on truck share (of mine output, or of t·km) tightens to the lowest feasible (CSV + PNG)")
    common(f, "frontier")
    f.add_argument("--points", default="11", help="points on the frontier (default 11)")
    f.add_argument("--with-candidates", action="store_true", help="let the model build candidates (candidates.csv) at every point (MILP)")
    f.add_argument("--budget", metavar="CNY", help="with --with-candidates: most build cost")
    f.add_argument("--compare-rebuilt", action="store_true", help="also solve every point on a freshly built model and report both timings")
    f.add_argument("--down-to", dest="down_to", metavar="SHARE", help="last cap (0–1) instead of the lowest share that still delivers what the uncapped plan does")
    f.add_argument("--measure", choices=("mine", "tkm"), default="mine", help="mine: share of mine output leaving by truck (default); tkm: truck share of all t·km")
    f.set_defaults(func=cmd_frontier)


def _valuation_args(p) -> None:
    p.add_argument("--carbon-price", dest="carbon_price", metavar="CNY_PER_T_CO2", default=economics.DEFAULT_CARBON_PRICE_CNY_PER_T_CO2,
                   help=f"price of the CO2 avoided in the social case (default {economics.DEFAULT_CARBON_PRICE_CNY_PER_T_CO2:g}: China's national ETS, 2024 average)")
    p.add_argument("--truck-payload", dest="truck_payload", metavar="T", default=economics.TRUCK_PAYLOAD_T,
                   help=f"tonnes a truck trip carries, for the trucks removed (default {economics.TRUCK_PAYLOAD_T:g})")


def _solver_args(args) -> dict:
    return {"time_limit_s": args.time_limit_s, "mip_gap": args.mip_gap}


def _load(args, what: str, count_candidates: bool = False):
    """The data set and the results folder, before any solving: the data set's warnings
    printed (as ``solve`` prints them) and the folder checked, the default
    ``results/<data set name>-<what>`` included, so a refused --out costs no solve.
    ``count_candidates``: the command may build candidates, so the data set's checks count
    them as links (a demand centre reached only through a candidate is a warning)."""

    net = api.load(args.dataset, count_candidates=count_candidates)
    out = Path(args.out) if args.out else Path("results") / f"{net.name}-{what}"
    check_out_dir(out, [args.dataset, args.model, *(args.scenario or [])])
    if net.warnings and not args.quiet:
        _print_problems(net.warnings)
    return net, out


def _finish(args, out: Path, write, summary: dict, text: str) -> int:

    write(out)
    if args.json:
        print(summary_json(summary), end="")
    elif not args.quiet:
        print(text)
        print(_written(out))
    return EXIT_OK


def cmd_evaluate(args) -> int:
    from supplyopt.workflows import evaluate

    valuation = economics.Valuation(args.carbon_price, args.truck_payload)
    what = f"evaluate-{args.candidate}" + (f"-against-{args.against}" if args.against else "")
    net, out = _load(args, what, count_candidates=True)
    try:
        if args.against:
            ag = evaluate.against(net, args.candidate, args.against, model=args.model, scenario=args.scenario, extend=args.extend, valuation=valuation, **_solver_args(args))
            return _finish(args, out, ag.write, ag.summary(), evaluate.format_against(ag))
        ev = evaluate.evaluate(net, args.candidate, model=args.model, scenario=args.scenario, extend=args.extend, valuation=valuation, **_solver_args(args))
    except api.NoPlan as err:
        _print_no_plan(err)
        return err.exit_code
    return _finish(args, out, ev.write, ev.summary(), evaluate.format_evaluation(ev))


def cmd_invest(args) -> int:
    from supplyopt.workflows import invest

    if args.budget is None and not (args.years and args.annual_budget):
        _print_problems([Problem("--budget", "is required: the most build cost (CNY) to spend (with --years, --annual-budget may stand instead)")])
        return EXIT_INPUT
    net, out = _load(args, "invest", count_candidates=True)
    if args.years or args.scenarios:
        return _invest_over(args, net, out)
    try:
        inv = invest.invest(net, args.budget, model=args.model, scenario=args.scenario, max_mine_truck_share=args.max_mine_truck_share, extend=args.extend,
                            budget_step=args.budget_step, valuation=economics.Valuation(args.carbon_price, args.truck_payload), **_solver_args(args))
    except api.NoPlan as err:
        _print_no_plan(err)
        return err.exit_code
    return _finish(args, out, inv.write, inv.summary(), invest.format_investment(inv))


def _annual_budgets(values) -> float | dict | None:
    """--annual-budget: one figure for every year, or YEAR=CNY items (repeatable); each
    item's number already checked (arguments.NUMBER_OPTIONS)."""
    if not values:
        return None
    if len(values) == 1 and "=" not in values[0]:
        return float(values[0])
    out, problems = {}, []
    for v in values:
        year, _, cny = v.partition("=")
        if not year.strip().isdigit() or not cny:
            problems.append(Problem("--annual-budget", "expected one figure in CNY, or YEAR=CNY items such as 2028=1.5e9", value=v))
            continue
        out[int(year)] = float(cny)
    if problems:
        raise DataError(problems)
    return out


def _invest_over(args, net, out) -> int:
    """invest --years (staged) or --scenarios (one choice for a set of futures)."""
    from supplyopt.model.extensive import Risk
    from supplyopt.workflows.invest_risk import format_robust, robust_invest
    from supplyopt.workflows.invest_years import format_staged, staged_invest

    if args.years and args.scenarios:
        raise DataError([Problem("--years", "give --years (staged over years) or --scenarios (one choice for a set of futures), not both: staging under uncertainty is not built yet",
                                 value=args.years)])
    if args.budget_step is not None:
        raise DataError([Problem("--budget-step", f"applies to a one-year invest only, not with {'--years' if args.years else '--scenarios'}", value=args.budget_step)])
    try:
        if args.years:
            inv = staged_invest(net, args.years, budget=args.budget, annual_budget=_annual_budgets(args.annual_budget), lag_years=args.lag_years,
                                **({} if args.discount_rate is None else {"discount_rate": args.discount_rate}), model=args.model, scenario=args.scenario,
                                max_mine_truck_share=args.max_mine_truck_share, extend=args.extend, **_solver_args(args))
            text = format_staged(inv)
        else:
            for name in ("annual_budget", "lag_years", "discount_rate"):
                if getattr(args, name) is not None:
                    raise DataError([Problem("--" + name.replace("_", "-"), "applies with --years only", value=getattr(args, name))])
            risk = Risk(args.risk, args.risk_level, args.risk_weight) if args.risk else None
            inv = robust_invest(net, args.budget, args.scenarios, model=args.model, risk=risk, scenario=args.scenario,
                                max_mine_truck_share=args.max_mine_truck_share, extend=args.extend, **_solver_args(args))
            text = format_robust(inv)
    except api.NoPlan as err:
        _print_no_plan(err)
        return err.exit_code
    return _finish(args, out, inv.write, inv.summary, text)


def cmd_bottlenecks(args) -> int:
    from supplyopt.workflows import bottlenecks

    net, out = _load(args, "bottlenecks")
    try:
        scr = bottlenecks.screen(net, model=args.model, scenario=args.scenario, max_mine_truck_share=args.max_mine_truck_share, extend=args.extend, **_solver_args(args))
    except api.NoPlan as err:
        _print_no_plan(err)
        return err.exit_code
    return _finish(args, out, scr.write, scr.summary(), bottlenecks.format_screen(scr, args.top))


def cmd_frontier(args) -> int:
    from supplyopt.workflows import frontier

    if args.budget is not None and not args.with_candidates:
        _print_problems([Problem("--budget", "expected --with-candidates with it (without candidates there is nothing to spend a budget on)", value=args.budget)])
        return EXIT_INPUT
    net, out = _load(args, "frontier", count_candidates=args.with_candidates)
    try:
        fr = frontier.frontier(net, model=args.model, scenario=args.scenario, points=args.points, with_candidates=args.with_candidates, extend=args.extend,
                               budget=args.budget, compare_rebuilt=args.compare_rebuilt, down_to=args.down_to,
                               measure=args.measure, **_solver_args(args))
    except api.NoPlan as err:
        _print_no_plan(err)
        return err.exit_code
    return _finish(args, out, fr.write, fr.summary(), frontier.format_frontier(fr))


# --------------------------------------------------------------------------- issue 11: compare, screen, sweep
def _common(p, out_help: str) -> None:
    """The options every workflow command shares with ``solve``."""
    p.add_argument("dataset", help="data set folder (network.yaml + CSV) or .xlsx workbook")
    p.add_argument("--model", help="run profile YAML (e.g. models/default.yaml)")
    p.add_argument("--out", help=out_help)
    p.add_argument("--time-limit", dest="time_limit_s", metavar="SECONDS")
    p.add_argument("--threads")
    _assumption_args(p)
    _extend_arg(p)
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    p.add_argument("--json", action="store_true", help="print the result as JSON instead of the table")


def _add_emergency_commands(sub) -> None:
    c = sub.add_parser("compare", help="solve the base and each scenario; KPI deltas, shortfalls, warnings")
    _common(c, "results folder (default results/<data set name>-compare)")
    c.add_argument("--scenario", action="append", default=[], help="scenario YAML; repeat for several cases (each compared with the base)")
    c.add_argument("--cold", action="store_true", help="solve every case on a fresh model instead of warm re-solves")
    c.add_argument("--warning-weeks", dest="warning_weeks", metavar="W,W,…",
                   help="also solve each scenario as a surprise known this many weeks earlier (e.g. 0,1,2,4), and with perfect foresight: what warning is worth (warning_value.csv)")
    c.set_defaults(func=cmd_compare)

    s = sub.add_parser("screen", help="N-1 screening: take each element out in turn and rank the outages")
    _common(s, "results folder (default results/<data set name>-screen)")
    s.add_argument("--elements", nargs="+", default=["links,ports,mines,storage,corridors"],
                   help="kinds, comma- or space-separated: links, corridors, ports, mines, storage")
    s.add_argument("--window", metavar="W1:W2", help="out only in these weeks (period labels, inclusive); default the whole horizon")
    s.add_argument("--top", default=20, help="rows to print (all are written)")
    s.add_argument("--workers", default=1, help="processes, each with its own kept model")
    s.add_argument("--cold", action="store_true", help="rebuild the model for every case (timing reference)")
    s.add_argument("--limit", help="screen only the first N elements (timing runs)")
    s.set_defaults(func=cmd_screen)

    w = sub.add_parser("sweep", help="many scenarios in parallel (processes or a dask cluster), merged into one compare table")
    _common(w, "results folder (default results/<data set name>-sweep)")
    w.add_argument("--scenarios", action="extend", nargs="+", default=[], metavar="GLOB", help="scenario files or patterns, e.g. 'scenarios/*.yaml' (quoted, or let the shell expand it); repeat for more")
    w.add_argument("--random", default=0, metavar="N", help="add N seeded random stress scenarios (outages by element and probability)")
    w.add_argument("--seed", default=0)
    w.add_argument("--probability", default=0.02, help="chance each link, port and mine is out in a random scenario (default 0.02)")
    w.add_argument("--workers", default=1, help="local processes, each with its own kept model")
    w.add_argument("--dask", metavar="ADDRESS",
                   help="run on an existing dask.distributed scheduler, e.g. tcp://127.0.0.1:8786; the data set and scenarios travel with the tasks (no shared disk needed)")
    w.set_defaults(func=cmd_sweep)

    t = sub.add_parser("stochastic", help="one pre-positioning plan for a set of futures: two-stage stochastic (extensive form or progressive hedging)")
    t.add_argument("dataset", help="data set folder (network.yaml + CSV) or .xlsx workbook")
    t.add_argument("--scenarios", action=_Once, metavar="SET.yaml", help="scenario set: names, probabilities, scenario files (docs/stochastic.md)")
    t.add_argument("--random", action=_Once, default=0, metavar="N", help="instead of a set: N equally likely seeded random outage scenarios (as in sweep), after --decide-until")
    t.add_argument("--seed", action=_Once, default=0)
    t.add_argument("--decide-until", action=_Once, dest="decide_until", required=True, metavar="PERIOD",
                   help="last period of the first stage: decisions up to and including it are the same in every scenario")
    t.add_argument("--method", action=_Once, choices=["ef", "ph"], default="ef", help="ef: extensive form, HiGHS in memory (default); ph: progressive hedging on mpi-sppy over MPI processes")
    t.add_argument("--procs", action=_Once, default=1, help="MPI processes for --method ph (default 1)")
    t.add_argument("--risk", action=_Once, choices=["cost", "unmet"], help="add a CVaR term on each scenario's cost or unmet tonnes")
    t.add_argument("--risk-level", action=_Once, dest="risk_level", default=0.9, help="CVaR level α (default 0.9: the worst 10 %%)")
    t.add_argument("--risk-weight", action=_Once, dest="risk_weight", default=1.0, help="weight of the CVaR term (no unit for cost; CNY per t for unmet; default 1)")
    t.add_argument("--rho", action=_Once, help="PH: multiplier on the SEP rho (default 1)")
    t.add_argument("--max-iterations", action=_Once, dest="max_iterations", help="PH: iteration limit (default 500)")
    t.add_argument("--tolerance", action=_Once, help="PH: stop when (best plan − bound) / best plan is at most this (default 1e-6)")
    t.add_argument("--model", action=_Once, help="run profile YAML (e.g. models/default.yaml)")
    t.add_argument("--out", action=_Once, help="results folder (default results/<data set name>-stochastic)")
    t.add_argument("--time-limit", action=_Once, dest="time_limit_s", metavar="SECONDS", help="ef: HiGHS's limit; ph: stop iterating after this and return the best plan with its bound")
    t.add_argument("--threads", action=_Once)
    t.add_argument("--engine", action=_Once, choices=CHOICES["engine"], help="highs: the statement's arrays (default); pyomo: each scenario through the Pyomo view, compiled")
    _assumption_args(t, foresight=False)
    _extend_arg(t)
    t.add_argument("--quiet", action="store_true", help="print nothing on success")
    t.add_argument("--json", action="store_true", help="print summary.json instead of the table")
    t.set_defaults(func=cmd_stochastic)


def _study(args):

    opt = api.options(args.model, time_limit_s=args.time_limit_s, threads=args.threads, **_assumptions(args))
    net = api.load(args.dataset)
    if net.warnings and not args.quiet:
        _print_problems(net.warnings)
    study = api.Study(net, model=opt, extend=args.extend)
    study.profile_path = args.model
    return study


def cmd_compare(args) -> int:
    from supplyopt.workflows.compare import run_cases, tabulate, warning_value

    study = _study(args)
    if args.warning_weeks and not args.scenario:
        raise DataError([Problem("--warning-weeks", "needs at least one --scenario: warning is about a scenario's events", value=",".join(map(str, args.warning_weeks)))])
    cases = run_cases(study, args.scenario, warm=not args.cold)
    cmp = tabulate(study.base, study.options, cases, profile=args.model, extension=study.extension)
    if args.warning_weeks:
        cmp.warning_value = warning_value(study, args.scenario, args.warning_weeks)
        cmp.summary["warning_weeks"] = args.warning_weeks
    return _write_comparison(args, cmp, f"{study.base.name}-compare")


def _write_comparison(args, cmp, default_out: str, footer: str = "") -> int:
    """Write a compare or sweep result and print it (JSON, the table, or nothing)."""
    from supplyopt.workflows.compare import comparison_json, format_comparison

    out = Path(args.out) if args.out else Path("results") / default_out
    cmp.write(out)
    if args.json:
        print(comparison_json(cmp), end="")
    elif not args.quiet:
        print(format_comparison(cmp))
        print(footer + _written(out))
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
    from supplyopt.workflows.screen import format_screen, screen

    study = _study(args)
    kinds = [k.strip() for text in args.elements for k in text.split(",") if k.strip()]
    try:
        result = screen(study, kinds=kinds, window=args.window, workers=args.workers, cold=args.cold, limit=args.limit, progress=_progress(args))
    except api.NoPlan as err:  # the base itself has no plan: nothing to screen against
        _print_no_plan(err)
        return err.exit_code
    out = Path(args.out) if args.out else Path("results") / f"{study.base.name}-screen"
    result.write(out)
    if args.json:

        print(summary_json({**result.summary, "top": result.table.head(args.top).to_dict(orient="records")}), end="")
    elif not args.quiet:
        print(format_screen(result, args.top))
        print(_written(out))
    return EXIT_OK


def cmd_sweep(args) -> int:
    from supplyopt.workflows.sweep import ClusterFailed

    try:
        return _sweep(args)
    except ClusterFailed as err:  # a dask cluster not reached, or one that lost the work
        print(f"supplyopt: {err}; nothing was written.", file=sys.stderr)
        return EXIT_NO_PLAN


def _sweep(args) -> int:
    import glob

    from supplyopt.workflows.sweep import dask_address, sweep

    if args.dask is not None:  # a malformed address before the data set is read
        dask_address(args.dask)
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
    info = cmp.summary["sweep"]
    return _write_comparison(args, cmp, f"{study.base.name}-sweep", f"\n{info['scenarios']} scenarios on {info['workers']} worker(s) ({info['runner']}) in {info['wall_s']:.1f} s")


def cmd_stochastic(args) -> int:
    from supplyopt.model.extensive import Risk
    from supplyopt.workflows.hedging import HedgingFailed
    from supplyopt.workflows.stochastic import format_stochastic, stochastic

    net, out = _load(argparse.Namespace(**{**vars(args), "scenario": [args.scenarios] if args.scenarios else []}), "stochastic")
    ph_time = args.time_limit_s if args.method == "ph" else None
    opt = api.options(args.model, time_limit_s=None if ph_time else args.time_limit_s, threads=args.threads, engine=args.engine, **_assumptions(args))
    study = api.Study(net, model=opt, extend=args.extend)
    study.profile_path = args.model
    risk = Risk(args.risk, args.risk_level, args.risk_weight) if args.risk else None
    progress = None if args.quiet or args.json else (lambda line: print(line, file=sys.stderr, flush=True))
    try:
        plan = stochastic(study, args.scenarios, args.decide_until, method=args.method, risk=risk, procs=args.procs, random=args.random, seed=args.seed,
                          ph_options={"rho": args.rho, "max_iterations": args.max_iterations, "tolerance": args.tolerance, "time_limit_s": ph_time}, progress=progress)
    except api.NoPlan as err:
        _print_no_plan(err)
        return err.exit_code
    except HedgingFailed as err:
        print(f"supplyopt: {err}; nothing was written.", file=sys.stderr)
        return EXIT_NO_PLAN
    plan.log.insert(0, "command: supplyopt " + " ".join(args.argv))
    return _finish(args, out, plan.write, plan.summary, format_stochastic(plan))


if __name__ == "__main__":
    sys.exit(main())
