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
- Stopping: both relative residuals ≤ ``tolerance`` (default 1e-4) — primal Σ_s p_s |x_s − x̄|
  and dual |x̄_k − x̄_{k−1}|, each over max(1, Σ|x̄|) — or the iteration limit (default
  500) or the time limit. mpi-sppy's own primal-only stop is off: on LPs it stops early at
  a wrong answer (``../shared/research/stochastic-notes.md``).
- Bounds: the iteration-0 bound (every scenario with hindsight) while running; at the end
  the Lagrangian bound with the final weights. The gap reported is the evaluated plan's cost
  over the best bound.
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
DEFAULTS = {"rho": 1.0, "max_iterations": 500, "tolerance": 1e-4, "time_limit_s": None}


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


def run(job: dict, result_file: str | None = None) -> dict:
    """One rank's part of a PH run (also callable in one process, without mpiexec)."""
    from mpisppy.utils import sputils

    sputils.disable_tictoc_output()
    import mpisppy.MPI as MPI
    from mpisppy.convergers.converger import Converger
    from mpisppy.extensions.extension import Extension
    from mpisppy.opt.ph import PH
    from mpisppy.utils import sputils as su

    from supplyopt import study as api

    rank = MPI.COMM_WORLD.Get_rank()
    study = api.Study(job["network"], model=job["options"], layers=job["layers"], extend=job["extend"])
    members = {m.name: m for m in job["members"]}
    opts = job["ph"]
    held: dict = {}  # scenario name -> (costs of the nonants, labels)
    rows: list[dict] = []
    started = time.perf_counter()

    def creator(name, **_):
        m, first_cost, nonants, costs, labels = scenario_model(job, members[name], study)
        su.attach_root_node(m, first_cost, nonants)
        m._mpisppy_probability = members[name].probability
        held[name] = (costs, labels)
        return m

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

    class Residuals(Converger):
        """Relative primal and dual residuals ≤ tolerance; one progress line per iteration."""

        def __init__(self, ph):
            super().__init__(ph)
            self.ph, self.prev = ph, None

        def is_converged(self):
            ph = self.ph
            local = np.zeros(2)
            xbar = None
            for s in ph.local_scenarios.values():
                node = s._mpisppy_node_list[0]
                xb = np.array([s._mpisppy_model.xbars[("ROOT", i)]._value for i in range(len(node.nonant_vardata_list))])
                x = np.array([v._value for v in node.nonant_vardata_list])
                local[0] += s._mpisppy_probability * np.abs(x - xb).sum()
                xbar = xb
            total = np.zeros(2)
            ph.comms["ROOT"].Allreduce(local, total, op=MPI.SUM)
            scale = max(1.0, float(np.abs(xbar).sum()))
            primal = total[0] / scale
            dual = float(np.abs(xbar - self.prev).sum()) / scale if self.prev is not None else float("inf")
            self.prev = xbar
            it, elapsed = ph._PHIter, time.perf_counter() - started
            rows.append({"iteration": it, "primal_residual": primal, "dual_residual": dual, "elapsed_s": elapsed})
            if rank == 0:
                print(f"{PROGRESS} PH iteration {it}: primal residual {primal:.2e}, dual residual {dual:.2e} (stop at {opts['tolerance']:g}); "
                      f"bound ≥ {ph.trivial_bound:,.0f} (iteration 0); {elapsed:.1f} s", flush=True)
            return max(primal, dual) <= opts["tolerance"]

    options = {
        "solver_name": "highs", "PHIterLimit": opts["max_iterations"], "defaultPHrho": 1.0, "convthresh": -1.0,
        "verbose": False, "display_progress": False, "display_timing": False, "display_convergence_detail": False, "smoothed": 0,
        "time_limit": opts["time_limit_s"],
        "solver_options_layers": [su.solver_options_layer("default", {"threads": 1})],
    }
    names = [m.name for m in job["members"]]
    try:
        quiet = io.StringIO()
        with contextlib.redirect_stdout(quiet):  # mpi-sppy's own chatter (kept out of the progress lines)
            ph = PH(options, names, creator, lambda *a, **k: None, extensions=SepRho, ph_converger=Residuals)
            _, _, trivial = ph.ph_main(finalize=False)
        iterations = ph._PHIter
        converged = bool(rows) and max(rows[-1]["primal_residual"], rows[-1]["dual_residual"]) <= opts["tolerance"]
        timed_out = opts["time_limit_s"] is not None and time.perf_counter() - started >= opts["time_limit_s"] and not converged
        s0 = next(iter(ph.local_scenarios.values()))
        xbar = np.array([s0._mpisppy_model.xbars[("ROOT", i)]._value for i in range(len(s0._mpisppy_node_list[0].nonant_vardata_list))])
        with contextlib.redirect_stdout(quiet):
            lagrangian = ph.post_solve_bound()
    except Exception as err:  # noqa: BLE001 — reported to the parent, which explains it
        if rank == 0 and result_file:
            Path(result_file).write_bytes(pickle.dumps({"error": f"{type(err).__name__}: {err}"}))
        raise
    out = None
    if rank == 0:
        costs, labels = held[s0.name] if s0.name in held else next(iter(held.values()))
        plan, i = {}, 0
        for name, frame in labels:
            plan[name] = frame.assign(value=xbar[i : i + len(frame)])
            i += len(frame)
        if job["risk"] is not None:
            plan["risk_threshold"] = pd.DataFrame({"value": [xbar[-1]]})
        stopped = "converged" if converged else ("iteration limit" if iterations >= opts["max_iterations"] and not timed_out else "time limit")
        out = {"plan": plan, "progress": rows, "summary": {"iterations": iterations, "stopped": stopped, "trivial_bound_cny": float(trivial),
                                                              "lagrangian_bound_cny": float(lagrangian), "bound_cny": float(max(trivial, lagrangian)),
                                                              "rho": f"SEP (Watson and Woodruff 2011) × {opts['rho']:g}", "tolerance": opts["tolerance"],
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
