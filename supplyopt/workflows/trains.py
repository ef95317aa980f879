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

Rounding fallback, rounded and repaired: when the MIP stops *without* any plan, the LP
relaxation is solved (trains continuous) and every train count rounded *down* — rounding to
the nearest whole number can round two 0.75-train links up to 1 each and send 200 t out of a
mine that makes 150 t, calling a feasible case infeasible. The plan is re-solved with the
counts fixed (production, other modes, stocks and unmet demand adjust around them); then
whole trains are added back one at a time, largest fractional part of the LP value first
(ties: larger LP value, then link, product, week), each kept only where the fixed-count
re-solve stays feasible and gets cheaper. summary.json says ``trainloads.method: rounded and
repaired`` and lists, per link and week the relaxation left fractional, the LP value, the
rounded-down count and the final count; the run carries a warning. Where the rounded-down
counts have no plan at all, a MIP over rounding each count down or up chooses instead
(``repair: bounded MIP``). Only when that too has no plan does the run end without a plan
(exit 3), naming the MIP's stop and the repair.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from supplyopt import study as api
from supplyopt.io.network import Network
from supplyopt.model.options import Options

KEYS = ["link", "product", "period"]
BOUNDED_MIN_S = 30.0  # the round-down-or-up MIP's least time limit (s), within the wall-clock limit


def has_trains(net: Network) -> bool:
    return "train_t" in net.links and bool((net.links["train_t"].fillna(0) > 0).any())


def trainload_extension(mode: str = "integer", fixed: pd.DataFrame | None = None):
    """Layer adding ``trains[link, product, week]`` on links with ``train_t``.

    ``mode``: ``integer`` (the MIP), ``relaxed`` (continuous trains: the LP relaxation) or
    ``fixed`` (train counts set to ``fixed``'s ``trains`` column, keyed by link, product,
    period from 0; missing keys are fixed at 0; ``fixed`` may be a callable returning that
    table, read at every build) or ``bounded`` (whole trains between ``fixed``'s ``lower``
    and ``upper`` columns: the round-down-or-up MIP)."""

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
            table = fixed() if callable(fixed) else fixed  # a callable: counts that change between re-solves of one kept model
            given = index[KEYS].merge(table[KEYS + ["trains"]], on=KEYS, how="left")["trains"].fillna(0.0).to_numpy()
            lower = upper = np.minimum(given, upper)
        elif mode == "bounded":
            given = index[KEYS].merge(fixed[KEYS + ["lower", "upper"]], on=KEYS, how="left").fillna({"lower": 0.0, "upper": 0.0})
            upper = np.minimum(given["upper"].to_numpy(float), upper)
            lower = np.minimum(given["lower"].to_numpy(float), upper)
        integrality = "integer" if mode in ("integer", "bounded") else "continuous"
        trains = lp.add_variables("trains", "whole trains entering a link in a week", KEYS, index, lower, upper, integrality=integrality)
        n = len(sel)
        lp.add_constraints(
            "trainload", "tonnes entering a link equal train size times trains (t)", KEYS, index,
            np.tile(np.arange(n), 2), np.concatenate([flow.cols[sel], trains.cols]), np.concatenate([np.ones(n), -size]), 0.0, 0.0,
        )

    return extension


def _study(win: Network, opt: Options, layers: list, time_left, profile: str | None, fallback: bool = False, extend=None) -> api.Study:
    """A study of the window with the given layers (and the user's extension); the solver's
    time limit is the profile's or the time left before the wall-clock limit, whichever is
    shorter. The fallback's LPs (``fallback``) ignore the profile's limit, which was the MIP's."""
    if fallback:
        opt = dataclasses.replace(opt, solver=dataclasses.replace(opt.solver, time_limit_s=None))
    if time_left is not None and (left := time_left()) is not None:
        limit = max(0.5, left - 1.0)  # a second for writing the results
        if opt.solver.time_limit_s is None or opt.solver.time_limit_s > limit:
            opt = api.options(opt, time_limit_s=limit)
    study = api.Study(win, model=opt, layers=layers, extend=extend)
    study.profile_path = profile
    return study


def _solve(win: Network, opt: Options, layers: list, time_left, profile: str | None, fallback: bool = False, extend=None):
    """One solve of the window (see :func:`_study`): (plan, study)."""
    study = _study(win, opt, layers, time_left, profile, fallback, extend)
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
    (``method``: off | mip | rounded and repaired, the MIP's status and gap, warnings); ``timings`` has
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
    fam = rstudy.lp.variables["trains"]
    lp_trains = rstudy.solution.x[fam.start : fam.start + fam.size]
    keys = fam.index[KEYS].copy()
    fixed = {"trains": keys.assign(trains=0.0)}
    study = _study(win, opt, [*layers, trainload_extension("fixed", lambda: fixed["trains"])], time_left, profile, fallback=True, extend=extend)

    def cost_of(counts: np.ndarray):
        """The plan with the train counts fixed at ``counts``: (plan, trains table), or None where none is feasible."""
        fixed["trains"] = keys.assign(trains=counts)
        try:
            plan = study.solve()
        except api.NoPlan as err:
            if err.status != "infeasible":
                raise
            return None
        return plan, train_counts(study, win)

    def bounded(down: np.ndarray, up: np.ndarray):
        """The MIP over rounding each count down or up, with the MIP's time limit (at least
        BOUNDED_MIN_S): (plan, trains table, counts), or None without a plan."""
        least = dataclasses.replace(opt, solver=dataclasses.replace(opt.solver, time_limit_s=max(opt.solver.time_limit_s or 0.0, BOUNDED_MIN_S)))
        choice = keys.assign(lower=down, upper=up)
        try:
            plan, bstudy = _solve(win, least, [*layers, trainload_extension("bounded", choice)], time_left, profile, extend=extend)
        except api.NoPlan as err:
            if err.status not in ("infeasible", "no_plan"):
                raise
            return None
        bfam = bstudy.lp.variables["trains"]
        return plan, train_counts(bstudy, win), np.round(bstudy.solution.x[bfam.start : bfam.start + bfam.size])

    try:
        repair = round_and_repair(lp_trains, fam.lower, fam.upper, cost_of, time_left, bounded)
    except api.NoPlan as err:
        # not "infeasible" (exit 3): the plan in tonnes exists and a whole-train plan may too —
        # the MIP stopped before finding one, and rounding did not find one either (exit 4)
        raise api.NoPlan(
            "no_plan",
            f"the trainload MIP stopped without a plan ({stopped}) and the LP relaxation's trains, rounded down and filled back, leave none either: {err.message}",
            err.explanation,
            "Raise the time limit (--time-limit) or the gap (--mip-gap), or plan in tonnes (without --trainloads).",
        ) from None
    if repair.last_tried is not repair.best or repair.how == "bounded MIP":  # the kept model holds another trial: solve the chosen counts again
        cost_of(repair.counts)
    plan, trains = repair.best
    rows = keys.assign(week=np.asarray(win.periods, dtype=object)[keys["period"].to_numpy()], lp_trains=lp_trains, rounded=repair.rounded, final=repair.counts)
    rows = rows.iloc[repair.fractional][["link", "product", "week", "lp_trains", "rounded", "final"]].astype({"rounded": int, "final": int})
    added = int((repair.counts - repair.rounded).sum())
    nearest_up = int((np.round(lp_trains[repair.fractional]) > repair.rounded[repair.fractional]).sum())
    how = ("then the MIP over rounding each down or up chose" if repair.how == "bounded MIP" else "then") + f" {added} whole train(s) added back"
    note = (f"trainload MIP stopped without a plan ({stopped}); trains from the LP relaxation (relaxed cost {relaxed.summary['objective']:,.0f}) rounded down "
            f"at {len(repair.fractional)} fractional link-week(s){' (no plan with them)' if repair.rounded_cost is None else ''}, {how}"
            f"{' where the plan stayed feasible and got cheaper' if repair.how == 'fill' else ''} "
            f"({repair.solves} re-solves{'; filling stopped at the wall-clock limit' if repair.stopped else ''}; rounding to the nearest would have rounded {nearest_up} up): "
            f"plan cost {plan.summary['objective']:,.0f}")
    info = {
        "method": "rounded and repaired", "status": plan.summary["status"], "relaxed_objective": relaxed.summary["objective"],
        "rounded_down_objective": repair.rounded_cost, "repair": repair.how, "fill_solves": repair.solves, "fill_stopped_at_wall_limit": repair.stopped,
        "rounding": rows.to_dict("records"), "warnings": [note],
    }
    return plan, trains, info, _timings([relaxed, plan], study, extra_s=repair.seconds)


@dataclass
class Repair:
    """What :func:`round_and_repair` did: the counts rounded down and the final counts (one per
    train variable), the positions whose LP value was fractional, the best (plan, trains) found
    and the last one tried, the rounded-down plan's cost (None: infeasible), solves and seconds."""

    rounded: np.ndarray
    counts: np.ndarray
    fractional: np.ndarray
    best: tuple
    last_tried: tuple | None
    rounded_cost: float | None
    solves: int
    seconds: dict
    stopped: bool
    how: str = "fill"  # fill | bounded MIP


def round_and_repair(lp_trains: np.ndarray, lower: np.ndarray, upper: np.ndarray, cost_of, time_left=None, bounded=None) -> Repair:
    """Whole train counts from the LP relaxation's ``lp_trains``: round down, then fill.

    ``cost_of(counts)`` re-solves the plan with the counts fixed: (plan, trains table), or
    None where no plan is feasible. Counts start at ⌊lp⌋ (within ``lower … upper``); then,
    for each count whose LP value is fractional — largest fractional part first, ties by
    larger LP value, then position — one more train is tried and kept where the plan is
    feasible and cheaper than the best so far (or the first feasible one, where the
    rounded-down counts had none). Where the rounded-down counts have no plan (a mine's
    minimum output with too few trains to leave by) and ``bounded(down, up)`` is given, it
    chooses instead: the MIP over rounding each count down or up, returning (plan, trains
    table, counts) or None — one train at a time rarely restores such a plan. Raises :class:`~supplyopt.api.NoPlan` (infeasible) when no
    tried counts give a plan. ``time_left``: stop filling (keeping the best plan) when fewer
    seconds are left than the slowest re-solve took, plus one.
    """
    x = np.asarray(lp_trains, float)
    down = np.clip(np.floor(x + 1e-6), lower, upper)
    fractional = np.flatnonzero(x - down > 1e-6)
    order = sorted(fractional, key=lambda i: (-(x[i] - down[i]), -x[i], i))
    seconds = {"build_s": 0.0, "solve_s": 0.0}
    slowest = 0.0

    def tried(counts):
        nonlocal slowest
        t0 = time.perf_counter()
        out = cost_of(counts)
        slowest = max(slowest, time.perf_counter() - t0)
        if out is not None:
            seconds["build_s"] += out[0].summary["build_s"]
            seconds["solve_s"] += out[0].summary["solve_s"]
        return out

    best = last = tried(down)
    counts, solves, stopped = down.copy(), 1, False
    rounded_cost = None if best is None else best[0].summary["objective"]
    if best is None and bounded is not None:
        up = np.minimum(np.ceil(x - 1e-6), upper)
        chosen = bounded(down, np.maximum(up, down))
        if chosen is None:
            raise api.NoPlan("infeasible", "no plan with the trains rounded down nor with any choice of rounding each down or up", [])
        seconds["build_s"] += chosen[0].summary["build_s"]
        seconds["solve_s"] += chosen[0].summary["solve_s"]
        return Repair(down, chosen[2], np.asarray(fractional, dtype=int), chosen[:2], None, None, 2, seconds, False, "bounded MIP")
    for i in order:
        if counts[i] + 1 > upper[i] + 1e-9:
            continue
        if time_left is not None and (left := time_left()) is not None and left < slowest + 1.0:
            stopped = True
            break
        trial = counts.copy()
        trial[i] += 1
        last = tried(trial)
        solves += 1
        if last is None:
            continue
        cost = last[0].summary["objective"]
        if best is None or cost < best[0].summary["objective"] - 1e-6 * max(1.0, abs(best[0].summary["objective"])):
            best, counts = last, trial
    if best is None:
        raise api.NoPlan("infeasible", f"no plan with the trains rounded down nor with any one train added back ({solves} re-solves)", [])
    return Repair(down, counts, np.asarray(fractional, dtype=int), best, last, rounded_cost, solves, seconds, stopped)


def _timings(plans, study, extra_s: dict | None = None) -> dict:
    """Seconds building and solving ``plans`` (plus ``extra_s``), and the final lp and solution."""
    extra_s = extra_s or {}
    return {
        "build_s": float(sum(p.summary["build_s"] for p in plans) + extra_s.get("build_s", 0.0)),
        "solve_s": float(sum(p.summary["solve_s"] for p in plans) + extra_s.get("solve_s", 0.0)),
        "lp": study.lp,
        "solution": study.solution,
    }
