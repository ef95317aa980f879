"""What a solve returns, in planner words, and what every engine shares: the status words,
the :class:`Solution` arrays, HiGHS option names, and a quiet way to create a HiGHS object."""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from supplyopt.model.options import SolverOptions

if TYPE_CHECKING:
    from supplyopt.model.statement import LinearProgram

# Planner words for the outcomes. ``has_plan`` decides exit code 0.
STATUS_WORDS = {
    "optimal": "optimal plan found",
    "time_limit": "stopped at the time limit with a feasible plan that may not be the cheapest",
    "no_plan": "stopped before any feasible plan was found (time or iteration limit)",
    "infeasible": "no plan meets all hard requirements",
    "unbounded": "the cost can fall without limit (a negative cost cycle?)",
    "error": "the solver failed",
}


@dataclass
class Solution:
    """What a solve returned, as arrays in LP order (tonnes, CNY; duals in CNY per t)."""

    status: str
    has_plan: bool
    message: str
    objective: float
    x: np.ndarray
    row_dual: np.ndarray  # ∂objective/∂(row bound)
    col_dual: np.ndarray  # reduced costs
    iterations: int | None
    solve_s: float
    engine: str
    solver_status: str  # the solver's own status name, for the run log
    warnings: list[str] = field(default_factory=list)  # HiGHS's own warnings, to show
    notes: list[str] = field(default_factory=list)  # HiGHS warnings found harmless: run.log only
    mip_gap: float | None = None  # relative gap between plan and bound, for a MIP (None for an LP)
    dual_bound: float | None = None  # best lower bound on the cost, for a MIP


# `method: choose` switches from dual simplex to interior point + crossover at this many LP
# columns. Measured on both benchmark families (benchmarks/README.md, "method: choose"): below
# it every method takes well under a second of CPU; from medium size up (83k–230k columns)
# IPM + crossover took 1.9–13× less CPU than dual simplex (issue 16: 3.2× at national), and
# devex pricing was no faster than HiGHS's default pricing.
IPM_FROM_COLUMNS = 40_000


def cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def choose_method(lp: LinearProgram, so: SolverOptions | None = None) -> tuple[str, str]:
    """The HiGHS solver ``method: choose`` uses for this LP, and why (one line).

    From IPM_FROM_COLUMNS columns no single method wins on every network shape (benchmarks/
    README.md): interior point is 3–13× faster on long horizons with storage, dual simplex
    with devex pricing up to 1.8× faster on short pure networks. With two cores free, both
    run at once and the first to finish gives the plan (``race``); on one core, interior
    point. Every method ends with a basis (IPM runs crossover), so the plan is a vertex,
    duals are exact and warm re-solves start from it."""
    if lp.is_mip:
        return "choose", "branch and bound (a MIP): HiGHS picks the LP method for its nodes"
    if lp.n_cols >= IPM_FROM_COLUMNS:
        threads = so.threads if so is not None and so.threads else cores()
        if min(threads, cores()) >= 2 and (so is None or so.race):
            return "race", (f"dual simplex (devex pricing) and interior point + crossover at once on two cores, the first to finish wins: "
                            f"{lp.n_cols:,} columns ≥ {IPM_FROM_COLUMNS:,}, where either can be the faster by a factor of 2–13")
        return "ipm", f"interior point + crossover: {lp.n_cols:,} columns ≥ {IPM_FROM_COLUMNS:,} and one core or race: false, where it beat dual simplex on both benchmark families"
    return "simplex", f"dual simplex: {lp.n_cols:,} columns < {IPM_FROM_COLUMNS:,}, where it solves as fast as interior point and needs no crossover"


def highs_option_values(so: SolverOptions, lp: LinearProgram | None = None) -> dict:
    """SolverOptions as HiGHS option names and values; with ``lp``, ``method: choose`` is
    resolved by :func:`choose_method`. A race's kept model runs the dual simplex side."""
    method = choose_method(lp, so)[0] if so.method == "choose" and lp is not None else so.method
    values = {"output_flag": bool(so.log), "random_seed": int(so.random_seed), "presolve": so.presolve, "solver": "simplex" if method == "race" else method}
    if method == "race":
        values["simplex_dual_edge_weight_strategy"] = 1  # devex: the simplex side of the race
    if method == "ipm":
        values["run_crossover"] = "on"  # a vertex plan and a basis for warm re-solves
    if so.time_limit_s is not None:
        values["time_limit"] = float(so.time_limit_s)
    if so.mip_gap is not None:
        values["mip_rel_gap"] = float(so.mip_gap)
    if so.threads is not None:
        values["threads"] = int(so.threads)
    return values


class SolverMissing(RuntimeError):
    """HiGHS (or Pyomo, for the pyomo engine) cannot be imported."""

    status, exit_code = "no_solver", 4  # as the command line ends (run logs record the same)


def highs_version() -> str:

    h = new_highs()
    return f"HiGHS {h.version()}"


_banner_shown = False


def new_highs():
    """A Highs object; the copyright banner HiGHS prints on first use is kept off stdout
    so that ``--json`` output stays parseable."""
    global _banner_shown
    import highspy

    if _banner_shown:
        return highspy.Highs()
    with _stdout_to_devnull():
        h = highspy.Highs()
    _banner_shown = True
    return h


@contextlib.contextmanager
def captured_console():
    """Whatever the solver prints on standard output (HiGHS's console log, with ``solver.log:
    true``, or a warning it prints before its log file is set) caught at the file-descriptor
    level: yields a list that holds the printed lines once the block ends. Unattended runs
    route them to their run log; the terminal and ``--json`` output stay clean."""
    import ctypes
    import tempfile

    lines: list[str] = []
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:
        yield lines
        return
    libc = ctypes.CDLL(None)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 1)
        try:
            yield lines
        finally:
            libc.fflush(None)  # the C library's buffer of a redirected stdout
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
            sink.seek(0)
            lines += [ln.rstrip() for ln in sink.read().decode("utf-8", "replace").splitlines() if ln.strip()]


@contextlib.contextmanager
def _stdout_to_devnull():
    try:
        fd = os.dup(1)
    except OSError:
        yield
        return
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(fd, 1)
            os.close(fd)
