"""Progressive hedging (``stochastic --method ph``) on mpi-sppy, over MPI processes.

The parent (:func:`progressive_hedging`) writes the job — network, options, scenario set,
last first-stage period, risk term, extension — to a file and launches
``mpiexec -n PROCS python -m mpi4py -m supplyopt.workflows.hedging JOB RESULT`` with the
``mpiexec`` of the MPI package installed beside Python (the ``mpich`` wheel). Every rank
builds its scenarios' Pyomo models from the same statement as ``solve``
(``engines/pyomo_view.py``, the extension applied), marks the first-stage columns as
non-anticipative, and runs mpi-sppy's PH. Rank 0 prints one progress line per iteration
and writes the first-stage plan (x̄), the iterations and the bounds to RESULT; the parent
then evaluates that plan exactly (``stochastic.py``: first stage fixed in the extensive form).

Choices, and why:
- rho: Watson and Woodruff's SEP rule (2011), ρ_j = max(|c_j|, 1) / max(1, max_s x_sj − min_s x_sj)
  from iteration 0, times ``rho`` (default 1): a cost in CNY per t over a spread in t, so
  the proximal term is on the scale of the costs whatever the network's size.
- Stopping: by the optimality gap, never by agreement alone. Every ``bound_every`` iterations
  (default 5) x̄ and one scenario's own first stage (round robin) are evaluated as first
  stages (each scenario re-solved with it fixed: an upper bound, the best kept as the plan) and the Lagrangian bound with the current weights is
  computed (a lower bound, as is iteration 0's wait-and-see bound); PH stops when
  (best plan − best bound) / best plan ≤ ``tolerance`` (default 1e-6), at the iteration
  limit (default 500) or at the time limit, and returns the best plan with its bound.
  Agreement alone stops early at wrong answers: mpi-sppy's primal-only rule on LPs
  (``../shared/research/stochastic-notes.md``), and a large rho pins every scenario to x̄
  long before x̄ is right.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from supplyopt.io.data import DataError, Problem
from supplyopt.model.extensive import first_stage_mask, measure_terms

PROGRESS = "PH|"  # rank 0's progress lines start with this
# tolerance: relative to the whole cost, which on a real network is mostly cost no first-stage
# decision changes (Shanxi's winter: 185 bn CNY, of which the value of perfect information is
# 28 M): 1e-6 there is 0.2 M CNY, under 1 % of what hedging is worth
DEFAULTS = {"rho": 1.0, "max_iterations": 500, "tolerance": 1e-6, "time_limit_s": None, "prox_tolerance": 1e-2, "bound_every": 5}


class HedgingFailed(Exception):
    """Progressive hedging ended without a plan: a worker failed, was killed, or MPI is missing."""


@dataclass
class Hedged:
    """Progressive hedging's answer: the first-stage plan (per family, labels + value), one row
    per iteration, and the summary.json record."""

    plan: dict
    progress: pd.DataFrame
    summary: dict


# --------------------------------------------------------------------------- parent
def mpiexec() -> str | None:
    """The mpiexec beside this Python (the mpich wheel puts it in the venv), else on PATH."""
    here = Path(sys.executable).with_name("mpiexec")
    return str(here) if here.exists() else shutil.which("mpiexec")


def progressive_hedging(study, sset, last_period: int, risk, procs: int = 1, options: dict | None = None, progress=None, log: list | None = None) -> Hedged:
    """Run PH on ``procs`` MPI processes; ``progress(line)`` gets each iteration's line."""
    opts = {**DEFAULTS, **{k: v for k, v in (options or {}).items() if v is not None}}
    unknown = set(opts) - set(DEFAULTS)
    problems = [Problem("ph options", f"unknown option; expected {', '.join(DEFAULTS)}", column=k) for k in sorted(unknown)]
    if procs > len(sset.members):
        problems.append(Problem("--procs", f"more processes than scenarios ({len(sset.members)}): each process needs at least one scenario", value=procs))
    if not opts["rho"] > 0:
        problems.append(Problem("--rho", "expected a multiplier > 0", value=opts["rho"]))
    if not (isinstance(opts["max_iterations"], int) and opts["max_iterations"] >= 1):
        problems.append(Problem("--max-iterations", "expected a whole number ≥ 1", value=opts["max_iterations"]))
    if not opts["tolerance"] > 0:
        problems.append(Problem("--tolerance", "expected a relative tolerance > 0, e.g. 1e-4", value=opts["tolerance"]))
    if problems:
        raise DataError(problems)
    launcher = mpiexec()
    if launcher is None:
        raise HedgingFailed("progressive hedging needs MPI: mpiexec was not found beside Python nor on PATH; install the MPI wheel (`pip install mpich`, as `make venv` does)")
    job = {"network": study.base, "options": study.options, "layers": study.layers, "extend": study.extend_spec, "members": sset.members,
           "last_period": last_period, "risk": risk, "ph": opts}
    with tempfile.TemporaryDirectory(prefix="supplyopt-ph-") as tmp:
        job_file, result_file = Path(tmp) / "job.pkl", Path(tmp) / "result.pkl"
        job_file.write_bytes(pickle.dumps(job))
        cmd = [launcher, "-n", str(procs), sys.executable, "-m", "mpi4py", "-m", "supplyopt.workflows.hedging", str(job_file), str(result_file)]
        started = time.perf_counter()
        rc, tail = _run(cmd, tmp, progress, log, opts["time_limit_s"])
        result = pickle.loads(result_file.read_bytes()) if result_file.exists() else None
    if result is not None and "error" in result:
        raise HedgingFailed(f"progressive hedging failed on a worker: {result['error']}")
    if rc != 0 or result is None:
        raise HedgingFailed(f"progressive hedging's MPI job exited with code {rc} without a result (a worker failed or was killed). Last lines of its output:\n  " + "\n  ".join(tail))
    result["summary"].update(procs=procs, wall_s=time.perf_counter() - started, launcher=" ".join(cmd[:3]))
    return Hedged(result["plan"], pd.DataFrame(result["progress"]), result["summary"])


def _run(cmd: list[str], cwd: str, progress, log, time_limit_s) -> tuple[int, list[str]]:
    """Run the MPI job; forward progress lines; kill it (all ranks) past the time limit plus
    a margin for start-up and the last iteration. Returns its exit code and last lines of output."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True)
    tail: deque[str] = deque(maxlen=20)
    deadline = None if time_limit_s is None else time.monotonic() + 2 * float(time_limit_s) + 120

    def watchdog():
        while proc.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, 9)
                tail.append(f"(stopped: still running {2 * float(time_limit_s) + 120:.0f} s after the start with --time-limit {time_limit_s:g} s)")
                return
            time.sleep(0.5)

    threading.Thread(target=watchdog, daemon=True).start()
    for line in proc.stdout:
        line = line.rstrip("\n")
        if line.startswith(PROGRESS):
            text = line[len(PROGRESS):].strip()
            if progress is not None:
                progress(text)
            if log is not None:
                log.append(text)
        elif line.strip():
            tail.append(line)
    return proc.wait(), list(tail)


# --------------------------------------------------------------------------- workers
def scenario_model(job: dict, member, study):
    """One scenario's Pyomo model from the statement (extension applied), its first-stage
    variables in a fixed order (family, then label), and their costs."""
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

    from supplyopt.engines.pyomo_view import build_model, to_lp
    from supplyopt.io.scenario import apply_scenario

    net = apply_scenario(study.base, member.scenario) if member.scenario is not None else study.base
    lp = study.statement(net, study.options)
    m = build_model(net, study.options, lp)
    if study.extend is not None:
        study.extend(m, net, study.options)
    compiled, columns, _, _ = to_lp(m, net.periods)
    c = compiled.objective()
    first, labels = [], []
    for name, mask in first_stage_mask(compiled, job["last_period"]).items():
        fam = compiled.variables[name]
        pos = np.flatnonzero(mask)
        if not len(pos):
            continue
        frame = fam.index.iloc[pos][fam.keys].reset_index(drop=True)
        order = np.lexsort([frame[k].astype(str).to_numpy() for k in reversed(fam.keys)]) if fam.keys else np.arange(len(pos))
        first += list(fam.start + pos[order])
        labels.append((name, frame.iloc[order].reset_index(drop=True)))
    first = np.asarray(first, np.int64)
    ceiling = coal_ceiling(net)
    for j in first:  # a first-stage decision without an upper bound gets one no plan can reach
        if columns[j].ub is None:
            columns[j].setub(ceiling)
    objective = next(m.component_data_objects(pyo.Objective, active=True))
    first_cost = LinearExpression(constant=0.0, linear_coefs=[float(c[j]) for j in first], linear_vars=[columns[j] for j in first])
    nonants = [columns[j] for j in first]
    risk = job["risk"]
    if risk is not None:
        cols, coefs = measure_terms(compiled, risk.measure)
        m.risk_threshold = pyo.Var(bounds=(None, None))
        m.risk_excess = pyo.Var(bounds=(0, None))
        m.risk_excess_definition = pyo.Constraint(expr=m.risk_excess >= sum(float(v) * columns[j] for j, v in zip(cols, coefs)) - m.risk_threshold)
        objective.deactivate()
        m.stochastic_objective = pyo.Objective(expr=objective.expr + risk.weight * (m.risk_threshold + m.risk_excess / (1.0 - risk.level)))
        first_cost = first_cost + risk.weight * m.risk_threshold
        nonants.append(m.risk_threshold)
        c = np.append(c, risk.weight)
        first = np.append(first, len(c) - 1)
    return m, first_cost, nonants, np.abs(c[first]), labels


def coal_ceiling(net) -> float:
    """Tonnes no flow, stock or output can exceed in any period: twice all the coal the network
    could ever hold (every mine's capacity and reserve over the horizon, plus every opening
    stock; links only lose coal). PH gives it as an upper bound to unbounded first-stage
    decisions, so that its Lagrangian subproblems (cost + W·x, no proximal term) stay bounded
    where W makes a decision pay (seen on Shanxi: HiGHS "unbounded")."""
    supply = net.supply
    total = float(np.nansum(supply["capacity_t"].to_numpy(float)))
    if "reserve_t" in supply:
        total += float(np.nansum(supply["reserve_t"].to_numpy(float)))
    total += float(np.nansum(net.storage["initial_t"].to_numpy(float)))
    return 2.0 * total if np.isfinite(total) and total > 0 else 1e12


def run(job: dict, result_file: str | None = None) -> dict:
    """One rank's part of a PH run (also callable in one process, without mpiexec)."""
    from mpisppy.utils import sputils

    sputils.disable_tictoc_output()
    import mpisppy.MPI as MPI
    import pyomo.environ as pyo
    from mpisppy.convergers.converger import Converger
    from mpisppy.extensions.extension import Extension
    from mpisppy.opt.ph import PH

    from supplyopt import study as api

    rank = MPI.COMM_WORLD.Get_rank()
    console = sys.stdout  # progress lines go here; mpi-sppy's own prints are kept out of it
    study = api.Study(job["network"], model=job["options"], layers=job["layers"], extend=job["extend"])
    members = {m.name: m for m in job["members"]}
    opts = job["ph"]
    held: dict = {}  # scenario name -> (costs of the nonants, labels)
    rows: list[dict] = []
    best = {"upper": np.inf, "lower": -np.inf, "x": None}
    names = [m.name for m in job["members"]]
    started = time.perf_counter()

    def creator(name, **_):
        m, first_cost, nonants, costs, labels = scenario_model(job, members[name], study)
        objective = next(m.component_data_objects(pyo.Objective, active=True))
        m._supplyopt_cost = pyo.Expression(expr=objective.expr)  # the scenario's cost, before PH adds its terms
        sputils.attach_root_node(m, first_cost, nonants)
        m._mpisppy_probability = members[name].probability
        held[name] = (costs, labels)
        return m

    def total(value: float, op) -> float:
        out = np.zeros(1)
        MPI.COMM_WORLD.Allreduce(np.array([value]), out, op=op)
        return float(out[0])

    def xbar_now(ph) -> np.ndarray:
        s = next(iter(ph.local_scenarios.values()))
        return np.array([s._mpisppy_model.xbars[("ROOT", i)]._value for i in range(len(s._mpisppy_node_list[0].nonant_vardata_list))])

    def scenario_x(ph, name: str) -> np.ndarray:
        """Scenario ``name``'s first stage as its last PH solve left it, on every rank."""
        n = len(next(iter(ph.local_scenarios.values()))._mpisppy_node_list[0].nonant_vardata_list)
        mine = np.zeros(n)
        if name in ph.local_scenarios:
            mine = np.array([v._value for v in ph.local_scenarios[name]._mpisppy_node_list[0].nonant_vardata_list])
        out = np.zeros(n)
        MPI.COMM_WORLD.Allreduce(mine, out, op=MPI.SUM)
        return out

    def evaluate(ph, x: np.ndarray) -> float:
        """E[cost] with first stage ``x`` (each scenario's recourse re-solved; inf where a
        scenario has none): an upper bound."""
        ph._save_nonants()
        ph._fix_nonants({"ROOT": x})
        ph.solve_loop(dis_W=True, dis_prox=True, gripe=False, warmstart=True)
        missing = ph.no_incumbent_prob()  # the probability of scenarios left without a recourse
        upper = sum(s._mpisppy_probability * pyo.value(s._supplyopt_cost) for s in ph.local_scenarios.values()) if not missing else np.inf
        ph._restore_nonants()
        return total(upper, MPI.SUM) if not missing else np.inf

    def bounds(ph, check: int) -> float:
        """The Lagrangian lower bound with the current weights; and the best plan updated with
        two candidates: x̄, and one scenario's own first stage (round robin, as mpi-sppy's
        xhat-shuffle spoke does: where scenarios disagree, x̄ can be a poor compromise that a
        scenario's own plan beats). All overwrite the scenario solutions, which the next PH
        solve recomputes."""
        with contextlib.redirect_stdout(io.StringIO()):
            candidates = [xbar_now(ph), scenario_x(ph, names[check % len(names)])]
            ph.solve_loop(dis_prox=True, gripe=False, warmstart=True)
            # a bound only from subproblems all solved (a failed or unbounded solve reports a
            # number that bounds nothing), and never above a plan actually found
            lower = ph.Ebound() if not ph.no_incumbent_prob() else -np.inf
            if lower > best["upper"] + 1e-9 * abs(best["upper"]):
                lower = -np.inf
            for x in candidates:
                upper = evaluate(ph, x)
                if upper < best["upper"]:
                    best["upper"], best["x"] = upper, x
        return lower

    class SepRho(Extension):
        """ρ_j from iteration 0: max(|c_j|, 1) / max(1, spread of x_j over the scenarios)."""

        def post_iter0(self):
            ph = self.opt
            xs = np.array([[v._value for v in s._mpisppy_node_list[0].nonant_vardata_list] for s in ph.local_scenarios.values()])
            hi, lo = np.zeros(xs.shape[1]), np.zeros(xs.shape[1])
            ph.comms["ROOT"].Allreduce(xs.max(axis=0), hi, op=MPI.MAX)
            ph.comms["ROOT"].Allreduce(xs.min(axis=0), lo, op=MPI.MIN)
            for name, s in ph.local_scenarios.items():
                rho = opts["rho"] * np.maximum(held[name][0], 1.0) / np.maximum(1.0, hi - lo)
                for i, r in enumerate(rho):
                    s._mpisppy_model.rho[("ROOT", i)] = float(r)

    class Gap(Converger):
        """Stop when the gap between the best plan found (x̄ evaluated) and the best bound is
        ≤ tolerance; checked every ``bound_every`` iterations; one progress line per iteration."""

        def __init__(self, ph):
            super().__init__(ph)
            self.ph, self.checks = ph, 0
            best["lower"] = max(best["lower"], ph.trivial_bound)

        def is_converged(self):
            ph = self.ph
            it = ph._PHIter
            local = 0.0
            for s in ph.local_scenarios.values():
                node = s._mpisppy_node_list[0]
                xb = np.array([s._mpisppy_model.xbars[("ROOT", i)]._value for i in range(len(node.nonant_vardata_list))])
                local = max(local, float(np.abs(np.array([v._value for v in node.nonant_vardata_list]) - xb).sum()) / max(1.0, float(np.abs(xb).sum())))
            # the worst scenario's distance from x̄, not a probability-weighted mean: a rare
            # scenario far from x̄ must not pass for agreement
            primal = total(local, MPI.MAX)
            failed = ph.no_incumbent_prob()  # the last PH solves' scenarios left without a solution, by probability
            checked = it == 1 or it % opts["bound_every"] == 0
            if checked:
                self.checks += 1
                best["lower"] = max(best["lower"], bounds(ph, self.checks))
            gap = (best["upper"] - best["lower"]) / max(1.0, abs(best["upper"])) if np.isfinite(best["upper"]) else np.inf
            elapsed = time.perf_counter() - started
            rows.append({"iteration": it, "primal_residual": primal, "lower_bound_cny": best["lower"], "best_plan_cny": best["upper"],
                         "gap_cny": best["upper"] - best["lower"], "gap": gap, "checked": checked, "unsolved_probability": failed, "elapsed_s": elapsed})
            if rank == 0:
                plan = f"{best['upper']:,.0f}" if np.isfinite(best["upper"]) else "none yet"
                print(f"{PROGRESS} PH iteration {it}: scenarios differ from x̄ by {primal:.2e}; best plan {plan}, bound {best['lower']:,.0f}, relative gap {gap:.2e} "
                      f"(stop at {opts['tolerance']:.0e}); {elapsed:.1f} s" + (f"; WARNING: subproblems of probability {failed:.2g} not solved (HiGHS)" if failed else ""),
                      file=console, flush=True)
            return checked and gap <= opts["tolerance"]

    options = {
        "solver_name": "highs", "PHIterLimit": opts["max_iterations"], "defaultPHrho": 1.0, "convthresh": -1.0,
        "verbose": False, "display_progress": False, "display_timing": False, "display_convergence_detail": False, "smoothed": 0,
        "time_limit": opts["time_limit_s"],
        # HiGHS's QP solver takes minutes on one Shanxi week-scenario with a quadratic proximal
        # term (228 s, then no solution); as outer linear cuts each subproblem stays an LP
        "linearize_proximal_terms": True, "proximal_linearization_tolerance": opts["prox_tolerance"],
        "solver_options_layers": [sputils.solver_options_layer("default", {"threads": 1})],
    }
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # mpi-sppy's own chatter (kept out of the progress lines)
            ph = PH(options, names, creator, lambda *a, **k: None, extensions=SepRho, ph_converger=Gap)
            ph.ph_main(finalize=False)
        over = opts["time_limit_s"] is not None and time.perf_counter() - started >= opts["time_limit_s"]
        if best["x"] is None or (rows and not rows[-1]["checked"] and not over):  # the last iterate, if not yet evaluated
            best["lower"] = max(best["lower"], bounds(ph, len(rows)))
    except Exception as err:  # noqa: BLE001 — reported to the parent, which explains it
        if rank == 0 and result_file:
            Path(result_file).write_bytes(pickle.dumps({"error": f"{type(err).__name__}: {err}"}))
        raise
    out = None
    if rank == 0:
        if best["x"] is None:
            out = {"error": "no first-stage plan of progressive hedging leaves every scenario a feasible recourse"}
        else:
            _, labels = next(iter(held.values()))
            plan, i = {}, 0
            for name, frame in labels:
                plan[name] = frame.assign(value=best["x"][i : i + len(frame)])
                i += len(frame)
            if job["risk"] is not None:
                plan["risk_threshold"] = pd.DataFrame({"value": [best["x"][-1]]})
            gap = (best["upper"] - best["lower"]) / max(1.0, abs(best["upper"]))
            iterations = ph._PHIter
            timed_out = opts["time_limit_s"] is not None and time.perf_counter() - started >= opts["time_limit_s"]
            stopped = "converged" if gap <= opts["tolerance"] else ("time limit" if timed_out else "iteration limit")
            out = {"plan": plan, "progress": rows, "summary": {
                "iterations": iterations, "stopped": stopped, "trivial_bound_cny": float(ph.trivial_bound), "bound_cny": float(best["lower"]),
                "best_plan_cny": float(best["upper"]), "gap_cny": float(best["upper"] - best["lower"]), "gap": float(gap), "tolerance": opts["tolerance"], "bound_every": opts["bound_every"],
                "rho": f"SEP (Watson and Woodruff 2011) × {opts['rho']:g}", "proximal_term": f"linearised (outer cuts, x tolerance {opts['prox_tolerance']:g}^½ t)",
                "max_iterations": opts["max_iterations"], "time_limit_s": opts["time_limit_s"]}}
        if result_file:
            Path(result_file).write_bytes(pickle.dumps(out))
    return out


def main(argv: list[str]) -> int:
    job = pickle.loads(Path(argv[0]).read_bytes())
    run(job, argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
