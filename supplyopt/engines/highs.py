"""The default engine: the LP's arrays handed to HiGHS through highspy, in memory.

HiGHS keeps the model and its basis, so :meth:`HighsEngine.update` (changed bounds, costs or
coefficients) and ``set_variable_bounds`` / ``set_constraint_bounds`` make the next solve warm.
"""

from __future__ import annotations

import atexit
import os
import tempfile
import time

import numpy as np

from supplyopt.engines.solution import STATUS_WORDS, Solution, choose_method, highs_option_values, new_highs
from supplyopt.model.options import SolverOptions
from supplyopt.model.reformulate import HighsArrays, as_built, find_safety_rows, highs_arrays, no_split, plan_back
from supplyopt.model.statement import LinearProgram

BIG_TONNES = 1e9  # above this the LP is solved in kilotonnes


# HiGHS model status (as modelStatusToString names it) -> supplyopt status word. A model
# HiGHS calls "unbounded or infeasible" has no plan to offer: it is reported as infeasible,
# and explain.py then finds which hard requirement cannot be met (the costs here are bounded
# below: every variable has a lower bound and non-negative costs, unless an extension adds one).
HIGHS_STATUS = {
    "Optimal": "optimal",
    "Empty": "optimal",
    "Infeasible": "infeasible",
    "Primal infeasible or unbounded": "infeasible",
    "Unbounded": "unbounded",
}
STOPPED = {"Time limit reached", "Iteration limit reached", "Interrupted by user", "Interrupted by HiGHS", "Solution limit reached",
           "Bound on objective reached", "Target for objective reached"}


def status_word(highs_status: str, feasible: bool) -> str:
    """The planner status for a HiGHS model status name; a stop (time or iteration limit)
    is ``time_limit`` with a feasible plan, ``no_plan`` without one."""
    if highs_status in HIGHS_STATUS:
        return HIGHS_STATUS[highs_status]
    if highs_status in STOPPED:
        return "time_limit" if feasible else "no_plan"
    return "error"


def tonnage_scale(lp: LinearProgram, built: HighsArrays) -> float:
    """1000 when tonnages beyond 1e9 t per period are passed in kilotonnes (costs per kt), so
    that HiGHS's absolute tolerances stay meaningful (results are scaled back); else 1. A MIP
    is never scaled: dividing an integer or binary column by 1000 would change what its whole
    numbers mean (a binary would become 0 … 0.001)."""
    if lp.is_mip:
        return 1.0
    col_up, row_up = built.col_up, built.row_up
    finite = np.concatenate([col_up[np.isfinite(col_up)], row_up[np.isfinite(row_up)]])
    return 1000.0 if len(finite) and np.abs(finite).max() > BIG_TONNES else 1.0


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
    verdict = f"the largest primal infeasibility of the plan is {max_primal:.2g} and dual {max_dual:.2g}, within HiGHS's tolerance {FEASIBILITY_TOL:g}"
    if sound:
        return other, scaling + [f"HiGHS scaling notices above are harmless here: {verdict} (see docs/errors.md)"]
    explained = f"HiGHS finds the data badly scaled and the plan's largest primal infeasibility is {max_primal:.2g}, dual {max_dual:.2g}: check units of very large or small numbers (t vs kt, CNY vs 10k CNY)"
    return other + scaling + [explained], []


# The interior point side of ``method: race`` (the kept model runs dual simplex with devex).
RACE_PARTNER = {"solver": "ipm", "run_crossover": "on", "simplex_dual_edge_weight_strategy": -1}

# Race partners still solving after they lost (an interior point run that had not reached an
# interrupt check): joined before the interpreter exits, so that HiGHS is never torn down
# under a running solve.
_LINGERING: list = []
atexit.register(lambda: [t.join() for t in _LINGERING])


class HighsEngine:
    """The LP passed to HiGHS as column-wise sparse arrays; HiGHS keeps its basis between
    solves, so a re-solve after a bound change starts warm."""

    name = "highs"

    def __init__(self, lp: LinearProgram, so: SolverOptions):
        import highspy

        self.lp = lp
        self.h = new_highs()
        # the method of the first solve, and why (choose_method's rule, or the profile's)
        self.method, self.method_reason = choose_method(lp, so) if so.method == "choose" else (so.method, f"{so.method}, as the profile or --method asks")
        self._then_simplex = so.method == "choose" and self.method == "ipm"
        self._race = self.method == "race" and not lp.is_mip
        self._options = highs_option_values(so, lp)
        self._threads_set = False
        for key, value in self._options.items():
            self.h.setOptionValue(key, value)
        # HiGHS's own warnings go to a log file we read back (the console stays quiet).
        self._log = tempfile.NamedTemporaryFile(prefix="supplyopt-highs-", suffix=".log", delete=False)
        self._log.close()
        self.h.setOptionValue("log_file", self._log.name)
        if not so.log:
            self.h.setOptionValue("output_flag", True)
            self.h.setOptionValue("log_to_console", False)
        built = as_built(lp)
        self.scale = tonnage_scale(lp, built)
        self.reformulate = so.reformulate
        self.split = find_safety_rows(lp, built) if so.reformulate else no_split(lp)
        self.held = highs_arrays(built, self.split)
        self._split_cols = np.zeros(lp.n_cols, bool)  # columns whose bounds move both parts of a split stock
        self._split_cols[np.concatenate([self.split.stock, self.split.short])] = True
        self.reform_note = (f"{self.split.n:,} safety rows and their shortfall columns eliminated exactly before HiGHS (stock split at the safety level; "
                            "plan, shortfall and safety prices mapped back: supplyopt/reformulate.py)") if self.split.n else ""
        a = self.held
        order = np.lexsort((a.rows, a.cols))  # canonical: by column, then row
        starts = np.searchsorted(a.cols[order], np.arange(lp.n_cols)).astype(np.int32)
        # The array overload of passModel takes numpy buffers without per-element conversion.
        status = self.h.passModel(
            lp.n_cols, a.n_rows, len(a.vals), int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize), a.offset,
            a.cost * self.scale, a.col_lo / self.scale, a.col_up / self.scale, a.row_lo / self.scale, a.row_up / self.scale,
            starts, a.rows[order].astype(np.int32), a.vals[order], lp.integrality(),
        )
        if status == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS rejected the model (passModel returned an error)")

    @property
    def safety_rows_eliminated(self) -> int:
        return self.split.n

    def update(self, lp: LinearProgram) -> bool:
        """Take ``lp`` as the new model by changing only bounds, costs and coefficients of the
        one HiGHS holds, so the next solve starts from the last basis. Returns False (nothing
        changed) when ``lp`` differs in shape — other columns, rows or sparsity pattern, other
        integrality, or another internal tonnage scale — and the caller must rebuild."""
        old = self.lp
        if (lp.n_cols, lp.n_rows) != (old.n_cols, old.n_rows) or not np.array_equal(lp.integrality(), old.integrality()):
            return False
        built = as_built(lp)
        # the sparsity pattern is compared with the held LP's own, made again here rather than
        # kept: where safety rows are eliminated the arrays HiGHS solves are new ones, and a kept
        # copy of the pattern cost 16 bytes a nonzero for the model's whole life (87 MB at the
        # 5.5 million nonzeros of benchmarks/README.md's china size)
        rows, cols, _ = old.triplets()
        if len(built.rows) != len(rows) or not (np.array_equal(built.rows, rows) and np.array_equal(built.cols, cols)):
            return False
        if tonnage_scale(lp, built) != self.scale:
            return False
        split = find_safety_rows(lp, built) if self.reformulate else no_split(lp)
        if not split.same_shape(self.split):
            return False
        self._push(highs_arrays(built, split))
        self.lp = lp
        return True

    def _push(self, new: HighsArrays) -> None:
        """Hand HiGHS only what differs between the arrays it holds and ``new``."""
        old, k = self.held, self.scale
        for i in np.flatnonzero(new.vals != old.vals):
            self.h.changeCoeff(int(new.rows[i]), int(new.cols[i]), float(new.vals[i]))
        hit = np.flatnonzero((new.col_lo != old.col_lo) | (new.col_up != old.col_up))
        if len(hit):
            self.h.changeColsBounds(len(hit), hit.astype(np.int32), new.col_lo[hit] / k, new.col_up[hit] / k)
        hit = np.flatnonzero((new.row_lo != old.row_lo) | (new.row_up != old.row_up))
        if len(hit):
            self.h.changeRowsBounds(len(hit), hit.astype(np.int32), new.row_lo[hit] / k, new.row_up[hit] / k)
        hit = np.flatnonzero(new.cost != old.cost)
        if len(hit):
            self.h.changeColsCost(len(hit), hit.astype(np.int32), new.cost[hit] * k)
        if new.offset != old.offset:
            self.h.changeObjectiveOffset(new.offset)
        self.held = new

    def solve(self) -> Solution:
        import highspy

        if "threads" in self._options and not self._threads_set:
            # HiGHS keeps one thread pool per process, sized by the first solve; a solve that
            # asks for another size fails ("Not Set") unless the pool is made anew
            highspy.Highs.resetGlobalScheduler(True)
            self._threads_set = True
        t0 = time.perf_counter()
        h, run_status = self._race_once() if self._race else (self.h, self.h.run())
        solve_s = time.perf_counter() - t0
        ms = h.getModelStatus()
        if self._then_simplex and self.h.getBasis().valid:
            # the chosen IPM ended in crossover's basis: re-solves are warm dual simplex from it
            self.h.setOptionValue("solver", "simplex")
            self._then_simplex = False
        info = h.getInfo()
        feasible = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
        status = status_word(h.modelStatusToString(ms), feasible)
        n = self.lp.n_cols
        mip = self.lp.is_mip
        if mip and status == "time_limit" and not feasible:
            status = "no_plan"
        if status in ("optimal", "time_limit") and self.lp.n_cols:
            sol = h.getSolution()
            x = np.asarray(sol.col_value, float) * self.scale
            # a MIP has no duals: prices are left blank (NaN), see results._prices
            row_dual = np.asarray(sol.row_dual, float) / self.scale if sol.dual_valid and not mip else np.full(self.held.n_rows, np.nan)
            col_dual = np.asarray(sol.col_dual, float) / self.scale if sol.dual_valid and not mip else np.full(n, np.nan)
            x, row_dual, col_dual = plan_back(self.split, self.held, x, row_dual, col_dual)
            objective = float(info.objective_function_value)
        else:
            x, row_dual, col_dual = np.zeros(n), np.full(self.lp.n_rows, np.nan), np.full(n, np.nan)
            objective = float("nan") if status != "optimal" else 0.0
        message = STATUS_WORDS[status]
        if status == "error":
            message += f" (HiGHS status {h.modelStatusToString(ms)}, run status {run_status})"
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
            solver_status=h.modelStatusToString(ms),
            warnings=shown,
            notes=notes,
            mip_gap=float(info.mip_gap) if mip and status in ("optimal", "time_limit") else None,
            dual_bound=float(info.mip_dual_bound) if mip else None,
        )

    def _race_once(self):
        """``method: race``: dual simplex (devex) on the kept model and interior point +
        crossover on a copy, each in its own thread (HiGHS releases Python's lock while it
        solves). The first to finish optimally wins and the other is interrupted; a side that
        ends otherwise (stopped, numerical trouble) lets the other finish. The kept model
        then holds the winner's basis, so re-solves are warm dual simplex with HiGHS's default
        pricing. Returns (the winning HiGHS object, its run status)."""
        import threading

        import highspy

        partner = new_highs()
        partner.passModel(self.h.getLp())
        for key, value in self._options.items():
            partner.setOptionValue(key, value)
        partner.setOptionValue("output_flag", False)  # one log: the kept model's
        for key, value in RACE_PARTNER.items():
            partner.setOptionValue(key, value)
        sides = {"dual simplex": self.h, "interior point": partner}
        finished, order, status = threading.Event(), [], {}

        def run(name, h):
            try:
                status[name] = h.run()
            finally:
                order.append(name)
                finished.set()

        for h in sides.values():
            h.HandleUserInterrupt = True
        threads = {name: threading.Thread(target=run, args=(name, h), daemon=True) for name, h in sides.items()}
        for t in threads.values():
            t.start()
        try:
            finished.wait()
        except BaseException:  # Ctrl-C: stop both solves before leaving, so no solve outlives the run
            for h in sides.values():
                h.cancelSolve()
            for t in threads.values():
                t.join()
            raise
        optimal = sides[order[0]].getModelStatus() == highspy.HighsModelStatus.kOptimal
        if optimal:
            for name, h in sides.items():
                if name != order[0]:
                    h.cancelSolve()
        threads["dual simplex"].join()  # the kept model: it stops at its next iteration
        threads["interior point"].join(None if not optimal or order[0] == "interior point" else 5.0)
        if threads["interior point"].is_alive():
            _LINGERING.append(threads["interior point"])  # beyond an interrupt check: it ends on its own, joined at exit
        winner = order[0] if optimal or sides[order[-1]].getModelStatus() != highspy.HighsModelStatus.kOptimal else order[-1]
        self.h.HandleUserInterrupt = False
        self.h.setOptionValue("simplex_dual_edge_weight_strategy", -1)
        if winner == "interior point" and partner.getBasis().valid:
            self.h.setBasis(partner.getBasis())  # warm re-solves of the kept model start from crossover's basis
        self._race = False
        self.method_reason += f"; {winner} finished first" if winner == order[0] else f"; {order[0]} ended without a plan, {winner} gave it"
        return sides[winner], status.get(winner)

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

    def basis(self):
        """The basis HiGHS holds now (a copy), or None when it has none."""
        b = self.h.getBasis()
        return b if b.valid else None

    def start_from(self, basis) -> bool:
        """Make ``basis`` (from a model of the same shape) the start of the next solve, so that
        the plan does not depend on what was solved before; False where it does not fit."""
        if basis is None or len(basis.col_status) != self.h.getNumCol() or len(basis.row_status) != self.h.getNumRow():
            return False
        # the basis alone is the start: HiGHS otherwise keeps the last solve's factorisation and
        # pricing weights, which can steer a degenerate LP to another of its equally cheap plans
        self.h.clearSolver()
        self.h.setBasis(basis)
        return True

    def set_variable_bounds(self, family: str, positions, lower, upper) -> None:
        """Change bounds of some variables of a family (positions within the family)."""
        fam = self.lp.variables[family]
        positions = np.asarray(positions, np.int64)
        fam.lower[positions], fam.upper[positions] = lower, upper
        cols = fam.start + positions
        if self.split.n and self._split_cols[cols].any():
            self._push(highs_arrays(as_built(self.lp), self.split))  # a split stock: both parts move
            return
        self.held.col_lo[cols], self.held.col_up[cols] = fam.lower[positions], fam.upper[positions]
        self.h.changeColsBounds(len(cols), cols.astype(np.int32), fam.lower[positions] / self.scale, fam.upper[positions] / self.scale)

    def set_constraint_bounds(self, family: str, positions, lower, upper) -> None:
        """Change bounds (right-hand sides) of some rows of a family."""
        fam = self.lp.constraints[family]
        positions = np.asarray(positions, np.int64)
        fam.lower[positions], fam.upper[positions] = lower, upper
        rows = self.split.row_to_highs[fam.start + positions]
        if (rows < 0).any():
            self._push(highs_arrays(as_built(self.lp), self.split))  # an eliminated safety row: its stock's parts move
            return
        self.held.row_lo[rows], self.held.row_up[rows] = fam.lower[positions], fam.upper[positions]
        self.h.changeRowsBounds(len(rows), rows.astype(np.int32), fam.lower[positions] / self.scale, fam.upper[positions] / self.scale)
