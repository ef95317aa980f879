"""The cost-versus-truck-share frontier: least cost as the cap on the share of mine output
leaving by truck (``max_mine_truck_share``) tightens from the unconstrained level to the
lowest feasible one.

* Unconstrained level: the mine truck share of the plan with the cap at 100 % (the row is
  there but does not bind, so every later point is the same model with another coefficient).
* Lowest feasible level: the smallest cap at which a plan still delivers at least what the
  unconstrained plan delivers (unmet ≤ its unmet). Found by bisection (to 1e-4) on a probe
  model that minimises the cap's violation instead of cost (a bounded LP; a violation of 0
  means the cap is reachable), so no infeasible solve is ever needed.
* Points: caps evenly spaced between the two; one kept :class:`~supplyopt.api.Study`, each
  point changes only the cap row's coefficients (−share on output) and re-solves warm.
* Knee: the point farthest below the chord from the first to the last point, both axes
  scaled to 0–1 (the "Kneedle" rule: Satopää et al. 2011) — where tightening starts to cost
  much more per point of share.

With candidates (``with_candidates``), every point is a MILP that also chooses what to build
(within ``budget``), so the frontier shows what investment buys.
"""

from __future__ import annotations

import dataclasses
import io
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from supplyopt import study as api
from supplyopt.io.network import Network
from supplyopt.io.write import csv_text, summary_json, write_folder
from supplyopt.model.candidates import CandidateChoice, candidate_table
from supplyopt.model.candidates import with_candidates as add_candidates
from supplyopt.model.foresight import DESIGN_FORESIGHT
from supplyopt.workflows.invest import investment_options, solve_within_budget

BISECTION_TOL = 1e-4  # share (0.01 percentage points)
# measure -> (the profile cap tightened, the KPI it caps, what the cap row counts)
MEASURES = {"mine": ("max_mine_truck_share", "mine_truck_share", "production_t"), "tkm": ("max_truck_share_tkm", "truck_share_tkm", "tkm")}


@dataclass
class Frontier:
    table: pd.DataFrame  # one row per point
    knee: int  # row of the knee
    unconstrained_share: float
    lowest_share: float
    with_candidates: bool
    timing: dict = field(default_factory=dict)
    lowest_given: bool = False  # the last cap was given (down_to), not searched
    measure: str = "mine"
    inputs: dict = field(default_factory=dict)  # the data set read and its input warnings (api.dataset_record)

    def summary(self) -> dict:
        k = self.table.iloc[self.knee]
        return {
            **self.inputs,
            "points": int(len(self.table)),
            "measure": MEASURES[self.measure][1],
            "unconstrained_share": self.unconstrained_share,
            "lowest_feasible_share": None if self.lowest_given else self.lowest_share,
            "last_cap": self.lowest_share,
            "with_candidates": self.with_candidates,
            "knee": {"cap": float(k["cap"]), "objective_cny": float(k["objective_cny"])},
            "timing_s": self.timing,
            "frontier": self.table.to_dict("records"),
            "units": "cap and shares 0–1; CNY, t over the horizon; *_per_point_cny: extra cost per percentage point of share",
        }

    def write(self, out_dir: str | Path) -> Path:

        return write_folder(out_dir, {"summary.json": summary_json(self.summary()), "frontier.csv": csv_text(self.table), "frontier.png": plot_png(self)})


# --------------------------------------------------------------------------- probe
@dataclass
class _ViolationProbe:
    """Extension: minimise the violation v ≥ 0 of the mine truck cap instead of cost, with
    delivery at least that of the unconstrained plan: Σ unmet ≤ ``unmet_t``."""

    unmet_t: float
    cap_row: str = "max_mine_truck_share"

    def __call__(self, lp, net, opt) -> None:
        cap = lp.constraints[self.cap_row]
        v = lp.add_variables("cap_violation", "truck tonnes (or t·km) above the cap", [], pd.DataFrame({"cap": [0]}), 0.0, np.inf)
        cap.rows, cap.cols, cap.coefs = np.append(cap.rows, 0), np.append(cap.cols, v.start), np.append(cap.coefs, -1.0)
        unmet = lp.variables["unmet"]
        lp.add_constraints("unmet_limit", "no more unmet demand than the unconstrained plan (t)", [], pd.DataFrame({"unmet_t": [self.unmet_t]}),
                           np.zeros(unmet.size, np.int64), unmet.cols, np.ones(unmet.size), -np.inf, self.unmet_t)
        lp.costs.clear()
        lp.add_cost("cap_violation", v.cols, [1.0])


def lowest_share(network: Network, opt, layers: list, scenario, unmet_t: float, high: float, size: float, measure: str = "mine", extend=None) -> float:
    """The smallest cap (to BISECTION_TOL) whose violation is 0 with unmet ≤ ``unmet_t``;
    ``size``: what the cap row counts in the uncapped plan (t of output, or t·km), for the
    tolerance."""
    option = MEASURES[measure][0]

    probe = api.Study(network, model=opt, layers=[*layers, _ViolationProbe(unmet_t * (1 + 1e-9) + 1e-6, option)], extend=extend)
    if scenario is not None:
        probe.apply(scenario)
    tol = 1e-7 * max(size, 1.0)

    def reachable(share: float) -> bool:
        probe.options = dataclasses.replace(opt, **{option: float(share)})
        solve_kept(probe)
        v = probe.lp.variables["cap_violation"]
        return probe.solution.x[v.start] <= tol

    reachable(high)  # builds the probe model (violation 0 here, found at once)
    if probe.lp.is_mip and hasattr(probe.engine, "h"):
        # The probe only asks "is the violation ≤ tol?": an absolute gap of tol answers it;
        # a relative gap on an optimum near 0 would make HiGHS prove it to the last tonne.
        probe.engine.h.setOptionValue("mip_abs_gap", tol)
    if reachable(0.0):
        return 0.0
    lo, hi = 0.0, high
    while hi - lo > BISECTION_TOL:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if reachable(mid) else (mid, hi)
    return hi


def solve_kept(study):
    """``study.solve()``, with a candidate budget kept exactly where the study has one
    (:func:`~supplyopt.workflows.invest.solve_within_budget`)."""
    choice = next((layer for layer in study.layers if isinstance(layer, CandidateChoice) and layer.fixed is None), None)
    if choice is None or choice.budget is None:
        return study.solve()
    return solve_within_budget(study, choice, choice.budget)


# --------------------------------------------------------------------------- frontier
def frontier(network, model=None, scenario=None, points: int = 11, with_candidates: bool = False, budget: float | None = None,
             compare_rebuilt: bool = False, down_to: float | None = None, measure: str = "mine", extend=None, **solver) -> Frontier:
    """Least cost at ``points`` caps from the unconstrained mine truck share to the lowest
    feasible one (see module doc). ``compare_rebuilt`` also solves every point on a freshly
    built model and reports both timings (and the largest objective difference).
    ``down_to``: the last cap instead of the lowest feasible share (then demand may go unmet,
    at its penalty, below that share). ``measure``: ``mine`` (share of mine output leaving by
    truck, ``max_mine_truck_share``) or ``tkm`` (truck share of all t·km, ``max_truck_share_tkm``)."""

    net = network if isinstance(network, Network) else api.load(network, count_candidates=with_candidates)

    def layers() -> list:
        return [CandidateChoice(candidate_table(net), budget=budget)] if with_candidates else []

    full = add_candidates(net) if with_candidates else net
    option, kpi, size = MEASURES[measure]
    opt = dataclasses.replace(api.options(model, **{**solver, "foresight": DESIGN_FORESIGHT}), **{option: 1.0})
    if with_candidates:
        opt = investment_options(opt)
    t0 = time.perf_counter()
    _, _, extend = api.extension_of(extend)  # read once: every point's study re-loads the same source
    study = api.Study(full, model=opt, layers=layers(), extend=extend)
    if scenario is not None:
        study.apply(scenario)
    first = solve_kept(study)
    high = first.kpis[kpi] or 0.0
    if down_to is None:
        low = lowest_share(full, opt, layers(), scenario, first.kpis["unmet_t"], high, first.kpis[size], measure, extend)
    else:
        low = float(down_to)
    search_s = time.perf_counter() - t0

    caps = np.linspace(high, low, points)
    rows, warm_s = [], 0.0
    for cap in caps:
        study.options = dataclasses.replace(opt, **{option: float(cap)})
        t = time.perf_counter()
        plan = solve_kept(study)
        warm_s += time.perf_counter() - t
        rows.append(_point(cap, plan, study, kpi))
        if budget is not None and with_candidates:  # where the budget row had to be tightened (solver tolerance)
            rows[-1]["budget_tightenings"] = len(plan.summary["budget_check"]["tightenings"])
    table = pd.DataFrame(rows)
    base = table["objective_cny"].iloc[0]
    table["extra_cost_cny"] = table["objective_cny"] - base
    step = np.diff(table["objective_cny"].to_numpy(), prepend=base)
    d_share = -np.diff(table["cap"].to_numpy(), prepend=table["cap"].iloc[0]) * 100
    table["extra_per_point_cny"] = np.where(d_share > 0, step / np.where(d_share > 0, d_share, 1), 0.0)
    timing = {"search_lowest_s": search_s, "points_warm_s": warm_s, "warm_solves": study.stats["warm"], "builds": study.stats["builds"]}
    if compare_rebuilt:
        t = time.perf_counter()
        diffs = []
        for cap, obj in zip(caps, table["objective_cny"]):
            fresh = api.Study(full, model=dataclasses.replace(opt, **{option: float(cap)}), layers=layers(), extend=extend)
            if scenario is not None:
                fresh.apply(scenario)
            diffs.append(abs(solve_kept(fresh).kpis["objective"] - obj) / max(abs(obj), 1.0))
        timing |= {"points_rebuilt_s": time.perf_counter() - t, "largest_relative_difference": float(max(diffs))}
    knee = knee_index(table["cap"].to_numpy(), table["objective_cny"].to_numpy())
    inputs = {"dataset": api.dataset_record(study.base), "input_warnings": api.input_warnings(study.base)}
    return Frontier(table, knee, float(high), float(low), with_candidates, timing, down_to is not None, measure, inputs)


def _point(cap: float, plan, study, kpi: str) -> dict:
    k = plan.kpis
    row = {
        "cap": float(cap),
        kpi: k[kpi] or 0.0,
        "objective_cny": k["objective"],
        "investment_cny": k["costs"].get("investment", 0.0),
        "unmet_t": k["unmet_t"],
        "truck_tkm": (k["truck_share_tkm"] or 0.0) * k["tkm"],
        "co2_t": k["co2_t"],
        "mip_gap": study.solution.mip_gap,
    }
    if "build" in study.lp.variables:
        fam = study.lp.variables["build"]
        x = study.solution.x[fam.start : fam.start + fam.size]
        row["built"] = ";".join(sorted(fam.index.loc[x > 0.5, "candidate"]))
    return row


def knee_index(caps: np.ndarray, cost: np.ndarray) -> int:
    """Kneedle: both axes to 0–1 (share removed, extra cost); the point farthest below the
    chord. 0 when the frontier is flat or has fewer than 3 points."""
    removed = caps[0] - caps
    span_x, span_y = removed[-1] - removed[0], cost.max() - cost.min()
    if len(caps) < 3 or span_x <= 0 or span_y <= 0:
        return 0
    x, y = (removed - removed[0]) / span_x, (cost - cost.min()) / span_y
    return int(np.argmax(x - y))


# --------------------------------------------------------------------------- outputs
def plot_png(fr: Frontier) -> bytes:
    """The frontier as a PNG (matplotlib, Agg, imported here only), knee marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = fr.table
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    ax.plot(t["cap"] * 100, t["objective_cny"] / 1e6, marker="o", color="#1f5f8b")
    k = t.iloc[fr.knee]
    ax.plot([k["cap"] * 100], [k["objective_cny"] / 1e6], marker="o", markersize=11, color="#c0392b", fillstyle="none", mew=2)
    ax.annotate(f"knee: cap {k['cap']:.1%}", (k["cap"] * 100, k["objective_cny"] / 1e6), textcoords="offset points", xytext=(10, -18), color="#c0392b")
    ax.invert_xaxis()
    ax.set_xlabel(("cap on mine truck share" if fr.measure == "mine" else "cap on truck share of t·km") + ", % (tightening →)")
    ax.set_ylabel("least cost over the horizon, million CNY")
    ax.set_title(("Cost vs mine truck share" if fr.measure == "mine" else "Cost vs truck share of t·km") + (" (with candidates)" if fr.with_candidates else ""))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def format_frontier(fr: Frontier) -> str:
    t = fr.table
    kpi = MEASURES[fr.measure][1]
    lines = [f"{'Mine truck share' if fr.measure == 'mine' else 'Truck share of t·km'}: unconstrained {fr.unconstrained_share:.2%}, {'down to' if fr.lowest_given else 'lowest feasible'} {fr.lowest_share:.2%}"
             + (" (candidates may be built)" if fr.with_candidates else ""),
             f"  {'cap':>8}{'share':>8}{'cost CNY':>20}{'extra CNY':>18}{'per point':>16}{'unmet t':>12}{'CO2 t':>14}" + ("  built" if "built" in t else "")]
    for i, r in enumerate(t.to_dict("records")):
        mark = " ← knee" if i == fr.knee else ""
        built = f"  {r['built']}" if "built" in r else ""
        lines.append(f"  {r['cap']:>8.2%}{r[kpi]:>8.2%}{r['objective_cny']:>20,.0f}{r['extra_cost_cny']:>18,.0f}{r['extra_per_point_cny']:>16,.0f}"
                     f"{r['unmet_t']:>12,.0f}{r['co2_t']:>14,.0f}{built}{mark}")
    tm = fr.timing
    lines.append(f"Timing: lowest share search {tm['search_lowest_s']:.2f} s; {len(t)} points warm {tm['points_warm_s']:.2f} s"
                 + (f", rebuilt {tm['points_rebuilt_s']:.2f} s (largest objective difference {tm['largest_relative_difference']:.1e})" if "points_rebuilt_s" in tm else ""))
    return "\n".join(lines)
