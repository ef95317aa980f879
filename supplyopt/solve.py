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
    warnings: list[str] = field(default_factory=list)  # HiGHS's own warnings, to show
    notes: list[str] = field(default_factory=list)  # HiGHS warnings found harmless: run.log only
    mip_gap: float | None = None  # relative gap between plan and bound, for a MIP (None for an LP)
    dual_bound: float | None = None  # best lower bound on the cost, for a MIP


def highs_option_values(so: SolverOptions) -> dict:
    """SolverOptions as HiGHS option names and values."""
    values = {"output_flag": bool(so.log), "random_seed": int(so.random_seed), "presolve": so.presolve, "solver": so.method}
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

# HiGHS's notices about wide ranges of bounds or costs ("Problem is badly scaled", "Consider
# scaling the bounds by 1e-2 …"). HiGHS warns once a bound exceeds about 1e6; weekly corridor
# capacities of 1.4e7 t trigger it. Measured on data/shanxi (bounds 3.2e4 … 1.4e7 t, costs
# 1.2 … 5e3 CNY/t): with and without HiGHS's suggested user_bound_scale -4 the optimum
# (162,280,503,532 CNY), the iterations (2,917), the largest primal infeasibility (0) and
# dual infeasibility (2.8e-13) are the same. So when a plan meets HiGHS's own 1e-7 feasibility
# tolerances the notices are harmless and go to run.log only; otherwise they are shown.
SCALING_NOTICES = ("excessively large", "excessively small", "consider scaling", "badly scaled", "user_bound_scale", "user_cost_scale")
FEASIBILITY_TOL = 1e-7  # HiGHS's default primal and dual feasibility tolerances


def split_highs_warnings(lines: list[str], has_plan: bool, max_primal: float, max_dual: float) -> tuple[list[str], list[str]]:
    """HiGHS's warning lines split into (shown, run.log only): scaling notices are harmless
    when the plan's largest primal and dual infeasibilities are within HiGHS's tolerances."""
    scaling = [ln for ln in lines if any(k in ln.lower() for k in SCALING_NOTICES)]
    other = [ln for ln in lines if ln not in scaling]
    if not scaling:
        return other, []
    sound = has_plan and 0 <= max_primal <= FEASIBILITY_TOL and 0 <= max_dual <= FEASIBILITY_TOL
    verdict = (f"the largest primal infeasibility of the plan is {max_primal:.2g} and dual {max_dual:.2g}, within HiGHS's tolerance {FEASIBILITY_TOL:g}")
    if sound:
        return other, scaling + [f"HiGHS scaling notices above are harmless here: {verdict} (see docs/errors.md)"]
    explained = f"HiGHS finds the data badly scaled and the plan's largest primal infeasibility is {max_primal:.2g}, dual {max_dual:.2g}: check units of very large or small numbers (t vs kt, CNY vs 10k CNY)"
    return other + scaling + [explained], []


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
        if fam.integrality != "continuous":
            for i in np.flatnonzero(np.abs(v - np.round(v)) > 1e-5)[:5]:
                out.append(f"{fam.name} {_label(fam.index, fam.keys, i)} = {v[i]:,.6g} is not a whole number")
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
def _positions(index: pd.DataFrame, changes: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows of ``changes`` with ``pos``, the position of their key in ``index``; keys the
    model does not have are an error (a new link or demand needs a rebuild)."""
    found = index[keys].assign(pos=np.arange(len(index))).merge(changes, on=keys, how="right", indicator=True)
    missing = found[found["_merge"] == "right_only"]
    if len(missing):
        raise KeyError(f"not in the built model (rebuild to add them): {missing[keys].head(5).to_dict('records')}")
    return found.drop(columns="_merge")


def change_link_capacity(engine, changes: pd.DataFrame) -> None:
    """Set new capacities (``link``, ``period`` from 0, ``capacity_t``) on a built model,
    for a warm re-solve: a column bound on one-product links, a row bound on shared ones."""
    lp = engine.lp
    flow = lp.variables["flow"]
    hit = _positions(flow.index, changes, ["link", "period"])
    single = hit[flow.index["n_products"].to_numpy()[hit["pos"]] == 1]
    if len(single):
        engine.set_variable_bounds("flow", single["pos"], 0.0, single["capacity_t"].to_numpy())
    shared = hit[flow.index["n_products"].to_numpy()[hit["pos"]] > 1].drop_duplicates(["link", "period"])
    if len(shared):
        rows = _positions(lp.constraints["link_capacity"].index, shared[["link", "period", "capacity_t"]].rename(columns={"capacity_t": "new_t"}), ["link", "period"])
        engine.set_constraint_bounds("link_capacity", rows["pos"], -np.inf, rows["new_t"].to_numpy())
        lp.constraints["link_capacity"].index.loc[rows["pos"], "capacity_t"] = rows["new_t"].to_numpy()
    flow.index.loc[hit["pos"], "capacity_t"] = hit["capacity_t"].to_numpy()


def change_demand(engine, changes: pd.DataFrame) -> None:
    """Set new demand (``node``, ``product``, ``period`` from 0, ``demand_t``) on a built
    model, for a warm re-solve: unmet's upper bound and the node balance right-hand side."""
    lp = engine.lp
    keys = ["node", "product", "period"]
    unmet = lp.variables["unmet"]
    hit = _positions(unmet.index, changes, keys)
    old = unmet.index["demand_t"].to_numpy()[hit["pos"]]
    new = hit["demand_t"].to_numpy()
    engine.set_variable_bounds("unmet", hit["pos"], 0.0, new)
    balance = lp.constraints["node_balance"]
    rows = _positions(balance.index, hit[keys], keys)["pos"].to_numpy()
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
        for key, value in highs_option_values(so).items():
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
            starts, rows[order].astype(np.int32), vals[order], lp.integrality(),
        )
        if status == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS rejected the model (passModel returned an error)")
        self._pattern = (rows, cols)  # the sparsity pattern, to tell a warm change from a rebuild

    def update(self, lp: LinearProgram) -> bool:
        """Take ``lp`` as the new model by changing only bounds, costs and coefficients of the
        one HiGHS holds, so the next solve starts from the last basis. Returns False (nothing
        changed) when ``lp`` differs in shape — other columns, rows or sparsity pattern, other
        integrality, or another internal tonnage scale — and the caller must rebuild."""
        old = self.lp
        if (lp.n_cols, lp.n_rows) != (old.n_cols, old.n_rows) or not np.array_equal(lp.integrality(), old.integrality()):
            return False
        rows, cols, vals = lp.triplets()
        if len(rows) != len(self._pattern[0]) or not (np.array_equal(rows, self._pattern[0]) and np.array_equal(cols, self._pattern[1])):
            return False
        col_lo, col_up, row_lo, row_up = lp.bounds()
        finite = np.concatenate([col_up[np.isfinite(col_up)], row_up[np.isfinite(row_up)]])
        if (1000.0 if len(finite) and np.abs(finite).max() > BIG_TONNES else 1.0) != self.scale:
            return False
        _, _, old_vals = old.triplets()
        for i in np.flatnonzero(vals != old_vals):
            self.h.changeCoeff(int(rows[i]), int(cols[i]), float(vals[i]))
        o_col_lo, o_col_up, o_row_lo, o_row_up = old.bounds()
        hit = np.flatnonzero((col_lo != o_col_lo) | (col_up != o_col_up))
        if len(hit):
            self.h.changeColsBounds(len(hit), hit.astype(np.int32), col_lo[hit] / self.scale, col_up[hit] / self.scale)
        hit = np.flatnonzero((row_lo != o_row_lo) | (row_up != o_row_up))
        if len(hit):
            self.h.changeRowsBounds(len(hit), hit.astype(np.int32), row_lo[hit] / self.scale, row_up[hit] / self.scale)
        c, o_c = lp.objective(), old.objective()
        hit = np.flatnonzero(c != o_c)
        if len(hit):
            self.h.changeColsCost(len(hit), hit.astype(np.int32), c[hit] * self.scale)
        self.lp = lp
        return True

    def solve(self) -> Solution:
        import highspy

        t0 = time.perf_counter()
        run_status = self.h.run()
        solve_s = time.perf_counter() - t0
        ms = self.h.getModelStatus()
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
        mip = self.lp.is_mip
        if mip and status == "time_limit" and not feasible:
            status = "no_plan"
        if status in ("optimal", "time_limit") and self.lp.n_cols:
            sol = self.h.getSolution()
            x = np.asarray(sol.col_value, float) * self.scale
            # a MIP has no duals: prices are left blank (NaN), see results._prices
            row_dual = np.asarray(sol.row_dual, float) / self.scale if sol.dual_valid and not mip else np.full(self.lp.n_rows, np.nan)
            col_dual = np.asarray(sol.col_dual, float) / self.scale if sol.dual_valid and not mip else np.full(n, np.nan)
            objective = float(info.objective_function_value)
        else:
            x, row_dual, col_dual = np.zeros(n), np.full(self.lp.n_rows, np.nan), np.full(n, np.nan)
            objective = float("nan") if status != "optimal" else 0.0
        message = STATUS_WORDS[status]
        if status == "error":
            message += f" (HiGHS status {self.h.modelStatusToString(ms)}, run status {run_status})"
        shown, notes = split_highs_warnings(self._highs_warnings(), status in ("optimal", "time_limit"), float(info.max_primal_infeasibility), float(info.max_dual_infeasibility))
        return Solution(
            status=status,
            has_plan=status in ("optimal", "time_limit"),
            message=message,
            objective=objective,
            x=x,
            row_dual=row_dual,
            col_dual=col_dual,
            iterations=max(int(info.simplex_iteration_count), 0) + max(int(info.ipm_iteration_count), 0) + max(int(info.pdlp_iteration_count), 0),
            solve_s=solve_s,
            engine=self.name,
            solver_status=self.h.modelStatusToString(ms),
            warnings=shown,
            notes=notes,
            mip_gap=float(info.mip_gap) if mip and status in ("optimal", "time_limit") else None,
            dual_bound=float(info.mip_dual_bound) if mip else None,
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
        values = highs_option_values(so)
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

    def update(self, lp: LinearProgram) -> bool:
        """Warm changes are not mapped onto the Pyomo model yet: always rebuild."""
        return False

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
