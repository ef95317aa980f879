"""Hand the LP to HiGHS, keep it for warm re-solves, and say what came back in planner words.

Two engines take the same :class:`~supplyopt.model.LinearProgram`:

- ``highs`` (default): the arrays go straight into HiGHS through highspy, in memory.
- ``pyomo``: the LP is transcribed to a Pyomo model (``pyomo_model.py``) and solved with
  Pyomo's persistent HiGHS interface (``pyomo.contrib.solver``), also in memory.

Both return a :class:`Solution` with primal values, duals and reduced costs as arrays in
LP order, so ``results.py`` does not care which engine ran. Tests solve every case with
both and require the same optimum. Both keep their model: change bounds with
``set_variable_bounds`` / ``set_constraint_bounds`` and call ``solve`` again (warm start).
"""

from __future__ import annotations

import contextlib
import os
import time
import tempfile
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .model import LinearProgram
from .options import Options, SolverOptions

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
    warnings: list[str] = field(default_factory=list)  # HiGHS's own warnings


# `method: choose` switches from dual simplex to interior point + crossover at this many LP
# columns. Measured on both benchmark families (benchmarks/README.md, "method: choose"): below
# it every method takes well under a second of CPU; from medium size up (83k–230k columns)
# IPM + crossover took 1.9–13× less CPU than dual simplex (issue 16: 3.2× at national), and
# devex pricing was no faster than HiGHS's default pricing.
IPM_FROM_COLUMNS = 40_000


def choose_method(lp: LinearProgram) -> tuple[str, str]:
    """The HiGHS solver ``method: choose`` uses for this LP, and why (one line).

    Both end with a basis (IPM runs crossover), so the plan is a vertex, duals are exact and
    warm re-solves start from it."""
    if lp.n_cols >= IPM_FROM_COLUMNS:
        return "ipm", f"interior point + crossover: {lp.n_cols:,} columns ≥ {IPM_FROM_COLUMNS:,}, where it beat dual simplex on both benchmark families"
    return "simplex", f"dual simplex: {lp.n_cols:,} columns < {IPM_FROM_COLUMNS:,}, where it solves as fast as interior point and needs no crossover"


def highs_option_values(so: SolverOptions, lp: LinearProgram | None = None) -> dict:
    """SolverOptions as HiGHS option names and values; with ``lp``, ``method: choose`` is
    resolved by :func:`choose_method`."""
    method = choose_method(lp)[0] if so.method == "choose" and lp is not None else so.method
    values = {"output_flag": bool(so.log), "random_seed": int(so.random_seed), "presolve": so.presolve, "solver": method}
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


def make_engine(lp: LinearProgram, opt: Options, periods: list[str]):
    """The engine the options ask for, with the LP already handed over."""
    try:
        import highspy  # noqa: F401
    except ImportError as err:
        raise SolverMissing(f"the HiGHS solver (Python package highspy) is not installed ({err}); run `make demo` or `pip install highspy==1.16.0`") from err
    if opt.engine == "pyomo":
        try:
            import pyomo.environ  # noqa: F401
        except ImportError as err:
            raise SolverMissing(f"Pyomo is not installed ({err}); use --engine highs or `pip install pyomo==6.10.1`") from err
        return PyomoEngine(lp, opt.solver, periods)
    return HighsEngine(lp, opt.solver)


# --------------------------------------------------------------------------- numerics
BIG_TONNES = 1e9  # above this the LP is solved in kilotonnes


def scaling_report(lp: LinearProgram) -> tuple[dict, list[str]]:
    """Ranges of matrix coefficients, costs and finite bounds, and warnings where they span
    so many orders of magnitude that a solver's tolerances start to matter."""
    _, _, vals = lp.triplets()
    col_lo, col_up, row_lo, row_up = lp.bounds()
    c = lp.objective()

    def span(values):
        v = np.abs(values[np.isfinite(values) & (values != 0)])
        return (float(v.min()), float(v.max())) if len(v) else (0.0, 0.0)

    ranges = {"matrix": span(vals), "cost": span(c), "bounds": span(np.concatenate([col_lo, col_up, row_lo, row_up]))}
    warnings = []
    for name, (lo, hi) in ranges.items():
        if lo > 0 and hi / lo > 1e9:
            warnings.append(f"{name} values span {np.log10(hi / lo):.0f} orders of magnitude ({lo:.3g} … {hi:.3g}); results may carry rounding noise — check units (t vs kt, CNY vs 10k CNY)")
    if ranges["bounds"][1] > BIG_TONNES:
        warnings.append(f"tonnages up to {ranges['bounds'][1]:.3g} t per period: solved in kilotonnes internally")
    return ranges, warnings


def check_plan(lp: LinearProgram, x: np.ndarray, tol: float = 1e-6) -> list[str]:
    """Violations of bounds and constraints by more than ``tol`` (relative to the size of
    the bound, at least 1 t), in the model's own labels. Empty when the plan is sound."""
    out = []
    for fam in lp.variables.values():
        v = x[fam.start : fam.start + fam.size]
        slack = tol * np.maximum(1.0, np.abs(np.where(np.isfinite(fam.upper), fam.upper, 0)))
        bad = np.flatnonzero((v < fam.lower - tol * np.maximum(1.0, np.abs(fam.lower))) | (v > fam.upper + slack))
        for i in bad[:5]:
            out.append(f"{fam.name} {_label(fam.index, fam.keys, i)} = {v[i]:,.6g} outside [{fam.lower[i]:,.6g}, {fam.upper[i]:,.6g}]")
    for con in lp.constraints.values():
        act = np.bincount(con.rows, weights=con.coefs * x[con.cols], minlength=con.size)
        scale = np.maximum(1.0, np.abs(np.where(np.isfinite(con.upper), con.upper, np.where(np.isfinite(con.lower), con.lower, 0))))
        bad = np.flatnonzero((act < con.lower - tol * scale) | (act > con.upper + tol * scale))
        for i in bad[:5]:
            out.append(f"{con.name} {_label(con.index, con.keys, i)}: {act[i]:,.6g} outside [{con.lower[i]:,.6g}, {con.upper[i]:,.6g}]")
    return out


def _label(index, keys, i) -> str:
    return "[" + ", ".join(str(index[k].iloc[i]) for k in keys) + "]" if keys else ""


def highs_version() -> str:

    h = _new_highs()
    return f"HiGHS {h.version()}"


_banner_shown = False


def _new_highs():
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


# --------------------------------------------------------------------------- warm changes
def _positions(index: pd.DataFrame, changes: pd.DataFrame, keys: list[str], cache: dict | None = None) -> pd.DataFrame:
    """Rows of ``changes`` with ``pos``, the position of their key in ``index`` (a row for
    each match, in the order of ``changes``); keys the model does not have are an error (a
    new link or demand needs a rebuild). ``cache`` keeps the key look-up between calls, so
    that a re-solve loop does not pay a merge over the whole index per change."""
    lookup = _key_lookup(index, keys, cache)
    wanted = list(zip(*(changes[k].tolist() for k in keys)))
    missing = [w for w in wanted if w not in lookup]
    if missing:
        raise KeyError(f"not in the built model (rebuild to add them): {[dict(zip(keys, w)) for w in missing[:5]]}")
    found = [lookup[w] for w in wanted]
    out = changes.iloc[np.repeat(np.arange(len(changes)), [len(f) for f in found])].reset_index(drop=True)
    out["pos"] = np.concatenate(found) if found else np.zeros(0, np.int64)
    return out


def _key_lookup(index: pd.DataFrame, keys: list[str], cache: dict | None) -> dict:
    """{key tuple: positions in ``index``}, from ``cache`` when it holds this very index."""
    held = cache.get(tuple(keys)) if cache is not None else None
    if held is not None and held[0] is index:
        return held[1]
    lookup = {(k if isinstance(k, tuple) else (k,)): v for k, v in index.groupby(keys, sort=False).indices.items()} if len(index) else {}
    if cache is not None:
        cache[tuple(keys)] = (index, lookup)
    return lookup


def _cache(engine, family: str) -> dict:
    """The engine's key look-ups for one family (kept on the engine, built on first use)."""
    caches = engine.__dict__.setdefault("_key_lookups", {})
    return caches.setdefault(family, {})


def change_link_capacity(engine, changes: pd.DataFrame) -> None:
    """Set new capacities (``link``, ``period`` from 0, ``capacity_t``) on a built model,
    for a warm re-solve: a column bound on one-product links, a row bound on shared ones."""
    lp = engine.lp
    flow = lp.variables["flow"]
    hit = _positions(flow.index, changes, ["link", "period"], _cache(engine, "flow"))
    pos, new_t = hit["pos"].to_numpy(), hit["capacity_t"].to_numpy(float)
    single = flow.index["n_products"].to_numpy()[pos] == 1
    if single.any():
        engine.set_variable_bounds("flow", pos[single], 0.0, new_t[single])
    if not single.all():
        every = _capacity_rows(engine)[pos[~single]]
        if (every < 0).any():
            raise KeyError(f"not in the built model (rebuild to add them): shared capacity rows for {hit[~single][every < 0][['link', 'period']].head(5).to_dict('records')}")
        rows, first = np.unique(every, return_index=True)
        engine.set_constraint_bounds("link_capacity", rows, -np.inf, new_t[~single][first])
        lp.constraints["link_capacity"].index.loc[rows, "capacity_t"] = new_t[~single][first]
    flow.index.loc[pos, "capacity_t"] = new_t


def _capacity_rows(engine) -> np.ndarray:
    """For each flow variable, its ``link_capacity`` row (-1 where its link has none); kept
    on the engine while the LP's tables are the same objects."""
    lp = engine.lp
    flows, con = lp.variables["flow"].index, lp.constraints["link_capacity"].index
    held = _cache(engine, "flow").get("capacity_rows")
    if held is not None and held[0] is flows and held[1] is con:
        return held[2]
    rows = flows[["link", "period"]].merge(con[["link", "period"]].assign(_row=np.arange(len(con))), on=["link", "period"], how="left")["_row"]
    rows = rows.fillna(-1).to_numpy(np.int64)
    _cache(engine, "flow")["capacity_rows"] = (flows, con, rows)
    return rows


def change_demand(engine, changes: pd.DataFrame) -> None:
    """Set new demand (``node``, ``product``, ``period`` from 0, ``demand_t``) on a built
    model, for a warm re-solve: unmet's upper bound and the node balance right-hand side."""
    lp = engine.lp
    keys = ["node", "product", "period"]
    unmet = lp.variables["unmet"]
    hit = _positions(unmet.index, changes, keys, _cache(engine, "unmet"))
    old = unmet.index["demand_t"].to_numpy()[hit["pos"]]
    new = hit["demand_t"].to_numpy()
    engine.set_variable_bounds("unmet", hit["pos"], 0.0, new)
    balance = lp.constraints["node_balance"]
    rows = _positions(balance.index, hit[keys], keys, _cache(engine, "node_balance"))["pos"].to_numpy()
    rhs = balance.upper[rows] + (new - old)
    engine.set_constraint_bounds("node_balance", rows, rhs, rhs)
    unmet.index.loc[hit["pos"], "demand_t"] = new


# --------------------------------------------------------------------------- highspy
class HighsEngine:
    """The LP passed to HiGHS as column-wise sparse arrays; HiGHS keeps its basis between
    solves, so a re-solve after a bound change starts warm."""

    name = "highs"

    def __init__(self, lp: LinearProgram, so: SolverOptions):
        import highspy

        self.lp = lp
        self.h = _new_highs()
        # the method of the first solve, and why (choose_method's rule, or the profile's)
        self.method, self.method_reason = choose_method(lp) if so.method == "choose" else (so.method, f"{so.method}, as the profile or --method asks")
        self._then_simplex = so.method == "choose" and self.method == "ipm"
        for key, value in highs_option_values(so, lp).items():
            self.h.setOptionValue(key, value)
        # HiGHS's own warnings go to a log file we read back (the console stays quiet).
        self._log = tempfile.NamedTemporaryFile(prefix="supplyopt-highs-", suffix=".log", delete=False)
        self._log.close()
        self.h.setOptionValue("log_file", self._log.name)
        if not so.log:
            self.h.setOptionValue("output_flag", True)
            self.h.setOptionValue("log_to_console", False)
        col_lo, col_up, row_lo, row_up = lp.bounds()
        # Tonnages beyond 1e9 t per period are passed in kilotonnes (costs per kt), so that
        # HiGHS's absolute tolerances stay meaningful; results are scaled back.
        finite = np.concatenate([col_up[np.isfinite(col_up)], row_up[np.isfinite(row_up)]])
        self.scale = 1000.0 if len(finite) and np.abs(finite).max() > BIG_TONNES else 1.0
        col_lo, col_up, row_lo, row_up = (b / self.scale for b in (col_lo, col_up, row_lo, row_up))
        rows, cols, vals = lp.triplets()
        order = np.lexsort((rows, cols))  # canonical: by column, then row
        starts = np.searchsorted(cols[order], np.arange(lp.n_cols)).astype(np.int32)
        # The array overload of passModel takes numpy buffers without per-element conversion.
        status = self.h.passModel(
            lp.n_cols, lp.n_rows, len(vals), int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize), 0.0,
            lp.objective() * self.scale, col_lo, col_up, row_lo, row_up,
            starts, rows[order].astype(np.int32), vals[order], np.zeros(lp.n_cols, np.int32),
        )
        if status == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS rejected the model (passModel returned an error)")

    def solve(self) -> Solution:
        import highspy

        t0 = time.perf_counter()
        run_status = self.h.run()
        solve_s = time.perf_counter() - t0
        ms = self.h.getModelStatus()
        if self._then_simplex and self.h.getBasis().valid:
            # the chosen IPM ended in crossover's basis: re-solves are warm dual simplex from it
            self.h.setOptionValue("solver", "simplex")
            self._then_simplex = False
        info = self.h.getInfo()
        M = highspy.HighsModelStatus
        feasible = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
        if ms == M.kOptimal:
            status = "optimal"
        elif ms in (M.kInfeasible,):
            status = "infeasible"
        elif ms in (M.kUnbounded, M.kUnboundedOrInfeasible):
            status = "unbounded" if ms == M.kUnbounded else "infeasible"
        elif ms in (M.kTimeLimit, M.kIterationLimit, M.kInterrupt, M.kHighsInterrupt, M.kSolutionLimit, M.kObjectiveBound, M.kObjectiveTarget):
            status = "time_limit" if feasible else "no_plan"
        elif ms == M.kModelEmpty:
            status = "optimal"
        else:
            status = "error"
        n = self.lp.n_cols
        if status in ("optimal", "time_limit") and self.lp.n_cols:
            sol = self.h.getSolution()
            x = np.asarray(sol.col_value, float) * self.scale
            row_dual = np.asarray(sol.row_dual, float) / self.scale if sol.dual_valid else np.full(self.lp.n_rows, np.nan)
            col_dual = np.asarray(sol.col_dual, float) / self.scale if sol.dual_valid else np.full(n, np.nan)
            objective = float(info.objective_function_value)
        else:
            x, row_dual, col_dual = np.zeros(n), np.full(self.lp.n_rows, np.nan), np.full(n, np.nan)
            objective = float("nan") if status != "optimal" else 0.0
        message = STATUS_WORDS[status]
        if status == "error":
            message += f" (HiGHS status {self.h.modelStatusToString(ms)}, run status {run_status})"
        return Solution(
            status=status,
            has_plan=status in ("optimal", "time_limit"),
            message=message,
            objective=objective,
            x=x,
            row_dual=row_dual,
            col_dual=col_dual,
            iterations=int(info.simplex_iteration_count) + max(int(info.ipm_iteration_count), 0) + max(int(info.pdlp_iteration_count), 0),
            solve_s=solve_s,
            engine=self.name,
            solver_status=self.h.modelStatusToString(ms),
            warnings=self._highs_warnings(),
        )

    def _highs_warnings(self) -> list[str]:
        try:
            with open(self._log.name, encoding="utf-8", errors="replace") as f:
                # the integrality notice is about the all-continuous array we pass ourselves
                lines = [ln.strip() for ln in f if "WARNING" in ln.upper() and "integrality" not in ln]
            open(self._log.name, "w").close()  # the next solve's warnings only
        except OSError:
            return []
        return sorted(set(lines), key=lines.index)

    def __del__(self):
        try:
            os.unlink(self._log.name)
        except (AttributeError, OSError):
            pass

    def set_variable_bounds(self, family: str, positions, lower, upper) -> None:
        """Change bounds of some variables of a family (positions within the family)."""
        fam = self.lp.variables[family]
        positions = np.asarray(positions, np.int64)
        fam.lower[positions], fam.upper[positions] = lower, upper
        cols = (fam.start + positions).astype(np.int32)
        self.h.changeColsBounds(len(cols), cols, fam.lower[positions] / self.scale, fam.upper[positions] / self.scale)

    def set_constraint_bounds(self, family: str, positions, lower, upper) -> None:
        """Change bounds (right-hand sides) of some rows of a family."""
        fam = self.lp.constraints[family]
        positions = np.asarray(positions, np.int64)
        fam.lower[positions], fam.upper[positions] = lower, upper
        rows = (fam.start + positions).astype(np.int32)
        self.h.changeRowsBounds(len(rows), rows, fam.lower[positions] / self.scale, fam.upper[positions] / self.scale)


# --------------------------------------------------------------------------- pyomo
class PyomoEngine:
    """The LP as a Pyomo model, solved by Pyomo's persistent HiGHS interface."""

    name = "pyomo"

    def __init__(self, lp: LinearProgram, so: SolverOptions, periods: list[str]):
        import pyomo.environ  # noqa: F401  (registers the solver plugins)
        from pyomo.contrib.solver.common.factory import SolverFactory

        from .pyomo_model import to_pyomo

        self.lp = lp
        self.model, self.columns, self.rows = to_pyomo(lp, periods)
        self.opt = SolverFactory("highs")
        cfg = self.opt.config
        cfg.load_solutions = False
        cfg.raise_exception_on_nonoptimal_result = False
        cfg.time_limit = so.time_limit_s
        cfg.threads = so.threads
        cfg.rel_gap = so.mip_gap
        cfg.tee = bool(so.log)
        values = highs_option_values(so, lp)
        for key in ("output_flag", "time_limit", "threads", "mip_rel_gap"):
            values.pop(key, None)
        for key, value in values.items():
            cfg.solver_options[key] = value

    def solve(self) -> Solution:
        from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition as TC

        t0 = time.perf_counter()
        with _stdout_to_devnull():
            res = self.opt.solve(self.model)
        solve_s = time.perf_counter() - t0
        tc = res.termination_condition
        feasible = res.solution_status in (SolutionStatus.feasible, SolutionStatus.optimal)
        if tc == TC.convergenceCriteriaSatisfied:
            status = "optimal"
        elif tc in (TC.provenInfeasible, TC.locallyInfeasible, TC.infeasibleOrUnbounded):
            status = "infeasible"
        elif tc == TC.unbounded:
            status = "unbounded"
        elif tc in (TC.maxTimeLimit, TC.iterationLimit, TC.interrupted, TC.objectiveLimit, TC.minStepLength):
            status = "time_limit" if feasible else "no_plan"
        else:
            status = "error"
        n, m = self.lp.n_cols, self.lp.n_rows
        if status in ("optimal", "time_limit"):
            res.solution_loader.load_vars()
            x = np.array([v.value if v.value is not None else 0.0 for v in self.columns], float)
            duals = res.solution_loader.get_duals()
            row_dual = np.array([duals.get(c, np.nan) for c in self.rows], float)
            rc = res.solution_loader.get_reduced_costs()
            col_dual = np.array([rc[v] for v in self.columns], float) if n else np.zeros(0)
            objective = float(res.incumbent_objective) if res.incumbent_objective is not None else 0.0
        else:
            x, row_dual, col_dual, objective = np.zeros(n), np.full(m, np.nan), np.full(n, np.nan), float("nan")
        message = STATUS_WORDS[status]
        if status == "error":
            message += f" (Pyomo termination {tc.name})"
        return Solution(status, status in ("optimal", "time_limit"), message, objective, x, row_dual, col_dual, None, solve_s, self.name, tc.name)

    def set_variable_bounds(self, family: str, positions, lower, upper) -> None:
        fam = self.lp.variables[family]
        positions = np.asarray(positions, np.int64)
        fam.lower[positions], fam.upper[positions] = lower, upper
        for p in positions:
            v = self.columns[fam.start + p]
            v.setlb(None if not np.isfinite(fam.lower[p]) else float(fam.lower[p]))
            v.setub(None if not np.isfinite(fam.upper[p]) else float(fam.upper[p]))

    def set_constraint_bounds(self, family: str, positions, lower, upper) -> None:
        fam = self.lp.constraints[family]
        positions = np.asarray(positions, np.int64)
        fam.lower[positions], fam.upper[positions] = lower, upper
        lo = getattr(self.model, f"{family}_lower", None)
        up = getattr(self.model, f"{family}_upper", None)
        keys = list(getattr(self.model, f"{family}_index")) if fam.keys else [None]
        for p in positions:
            k = keys[p]
            for param, value in ((lo, fam.lower[p]), (up, fam.upper[p])):
                if param is not None:
                    (param[k] if k is not None else param).set_value(float(value))
