"""Trainloads: shipments on a link in whole trains of the link's ``train_t`` tonnes.

A heavy-haul corridor such as Daqin runs 10,000 t and 20,000 t unit trains; a plan that
sends 13,700 t cannot be dispatched. With ``--trainloads`` every link whose links.csv row
gives ``train_t`` carries whole trains of one product:

    flow[link, product, week] = train_t × trains[link, product, week],
    trains integer, 0 ≤ trains ≤ ⌊capacity_t ÷ train_t⌋

added to the LP as a Study extension (variable family ``trains``, constraint family
``trainload``). The LP becomes a MIP; HiGHS stops at the profile's ``solver.mip_gap`` and
``solver.time_limit_s`` (or the time left before ``--wall-limit``). A plan found by then is
kept, with its gap in summary.json.

Rounding fallback: when the MIP stops *without* any plan, the LP relaxation is solved (trains
continuous), each train count is rounded to the nearest whole number within its bounds, and
the LP is solved once more with the train counts fixed at those numbers — the rest of the
plan (production, other modes, stocks, unmet demand) adjusts around them. summary.json says
``trainloads.method: rounded`` and the run carries a warning. If the rounded trains leave no
feasible plan (e.g. a mine's minimum output has nowhere to go), the run ends without a plan
(exit 3), naming the MIP's stop and the rounding.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from supplyopt import study as api
from supplyopt.io.network import Network
from supplyopt.model.options import Options

KEYS = ["link", "product", "period"]


def has_trains(net: Network) -> bool:
    return "train_t" in net.links and bool((net.links["train_t"].fillna(0) > 0).any())


def trainload_extension(mode: str = "integer", fixed: pd.DataFrame | None = None):
    """Layer adding ``trains[link, product, week]`` on links with ``train_t``.

    ``mode``: ``integer`` (the MIP), ``relaxed`` (continuous trains: the LP relaxation) or
    ``fixed`` (train counts set to ``fixed``'s ``trains`` column, keyed by link, product,
    period from 0; missing keys are fixed at 0)."""

    def extension(lp, net, opt) -> None:
        flow = lp.variables["flow"]
        fi = flow.index
        if "train_t" not in fi:
            return
        size = fi["train_t"].to_numpy(float)
        sel = np.flatnonzero(np.isfinite(size) & (size > 0))
        if not len(sel):
            return
        index = fi.loc[sel, KEYS + ["train_t"]].reset_index(drop=True)
        size = size[sel]
        cap = fi["capacity_t"].to_numpy(float)[sel]
        upper = np.where(np.isfinite(cap), np.floor(np.where(np.isfinite(cap), cap, 0.0) / size + 1e-9), np.inf)
        lower = np.zeros(len(sel))
        if mode == "fixed":
            given = index[KEYS].merge(fixed[KEYS + ["trains"]], on=KEYS, how="left")["trains"].fillna(0.0).to_numpy()
            lower = upper = np.minimum(given, upper)
        integrality = "integer" if mode == "integer" else "continuous"
        trains = lp.add_variables("trains", "whole trains entering a link in a week", KEYS, index, lower, upper, integrality=integrality)
        n = len(sel)
        lp.add_constraints(
            "trainload", "tonnes entering a link equal train size times trains (t)", KEYS, index,
            np.tile(np.arange(n), 2), np.concatenate([flow.cols[sel], trains.cols]), np.concatenate([np.ones(n), -size]), 0.0, 0.0,
        )

    return extension


def _solve(win: Network, opt: Options, layers: list, time_left, profile: str | None, fallback: bool = False, extend=None):
    """One solve of the window with the given layers (and the user's extension); the solver's time limit is the
    profile's or the time left before the wall-clock limit, whichever is shorter. The
    fallback's LPs (``fallback``) ignore the profile's limit, which was the MIP's."""
    if fallback:
        opt = dataclasses.replace(opt, solver=dataclasses.replace(opt.solver, time_limit_s=None))
    if time_left is not None and (left := time_left()) is not None:
        limit = max(0.5, left - 1.0)  # a second for writing the results
        if opt.solver.time_limit_s is None or opt.solver.time_limit_s > limit:
            opt = api.options(opt, time_limit_s=limit)
    study = api.Study(win, model=opt, layers=layers, extend=extend)
    study.profile_path = profile
    return study.solve(), study


def train_counts(study, net: Network) -> pd.DataFrame:
    """link, product, week, train_t, trains, shipment_t for every week with trains > 0."""
    fam = study.lp.variables.get("trains")
    cols = ["link", "product", "week", "train_t", "trains", "shipment_t"]
    if fam is None or not fam.size:
        return pd.DataFrame(columns=cols)
    x = study.solution.x[fam.start : fam.start + fam.size]
    out = fam.index[KEYS + ["train_t"]].copy()
    out["trains"] = np.where(np.abs(x - np.round(x)) < 1e-6, np.round(x), x)
    out["shipment_t"] = out["trains"] * out["train_t"]
    out = out[out["trains"] > 1e-6].copy()
    out["period"] = np.asarray(net.periods, dtype=object)[out["period"].to_numpy()] if len(out) else out["period"].astype(str)
    return out.rename(columns={"period": "week"})[cols].reset_index(drop=True)


def solve_window(win: Network, opt: Options, layers: list, trainloads: bool, time_left=None, profile: str | None = None, extend=None):
    """Solve a scheduling window, with whole trains when ``trainloads``.

    Returns (plan, trains table, info, timings): ``info`` says how trains were planned
    (``method``: off | mip | rounded, the MIP's status and gap, warnings); ``timings`` has
    ``build_s`` and ``solve_s`` (all solves together) and the final ``lp`` and ``solution``.
    Raises :class:`~supplyopt.api.NoPlan` when there is no plan.
    """
    if not trainloads:
        plan, study = _solve(win, opt, layers, time_left, profile, extend=extend)
        return plan, train_counts(study, win), {"method": "off"}, _timings([plan], study)
    if not has_trains(win):
        plan, study = _solve(win, opt, layers, time_left, profile, extend=extend)
        return plan, train_counts(study, win), {"method": "off", "warnings": ["--trainloads: no link in links.csv gives train_t; planned in tonnes"]}, _timings([plan], study)
    try:
        plan, study = _solve(win, opt, [*layers, trainload_extension("integer")], time_left, profile, extend=extend)
        s = plan.summary["solver"]
        info = {"method": "mip", "status": plan.summary["status"], "mip_gap": s["mip_gap"], "dual_bound": s["dual_bound"]}
        if plan.summary["status"] != "optimal":
            info["warnings"] = [f"trainload MIP stopped at the time limit with a plan {100 * (s['mip_gap'] or 0):.2f} % from the best bound"]
        return plan, train_counts(study, win), info, _timings([plan], study)
    except api.NoPlan as err:
        if err.status != "no_plan":
            raise
        stopped = err.message
    relaxed, rstudy = _solve(win, opt, [*layers, trainload_extension("relaxed")], time_left, profile, fallback=True, extend=extend)
    counts = train_counts(rstudy, win)
    fam = rstudy.lp.variables["trains"]
    values = fam.index[KEYS].copy()
    x = rstudy.solution.x[fam.start : fam.start + fam.size]
    values["trains"] = np.clip(np.round(x), fam.lower, fam.upper)
    try:
        plan, study = _solve(win, opt, [*layers, trainload_extension("fixed", values)], time_left, profile, fallback=True, extend=extend)
    except api.NoPlan as err:
        raise api.NoPlan(
            err.status,
            f"the trainload MIP stopped without a plan ({stopped}) and the rounded LP relaxation has none either: {err.message}",
            err.explanation,
            "Raise the time limit (--time-limit) or the gap (--mip-gap), or plan in tonnes (without --trainloads).",
        ) from None
    note = f"trainload MIP stopped without a plan ({stopped}); trains rounded from the LP relaxation (relaxed cost {relaxed.summary['objective']:,.0f}, {len(counts)} link-weeks) and the plan re-solved around them"
    info = {"method": "rounded", "status": plan.summary["status"], "relaxed_objective": relaxed.summary["objective"], "warnings": [note]}
    return plan, train_counts(study, win), info, _timings([relaxed, plan], study)


def _timings(plans, study) -> dict:
    return {
        "build_s": float(sum(p.summary["build_s"] for p in plans)),
        "solve_s": float(sum(p.summary["solve_s"] for p in plans)),
        "lp": study.lp,
        "solution": study.solution,
    }
