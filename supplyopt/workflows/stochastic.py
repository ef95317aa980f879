"""Pre-positioning under uncertainty: one first-stage plan for every future of a scenario set.

    from supplyopt.workflows.stochastic import stochastic
    plan = stochastic("data/shanxi", "scenarios/sets/winter.yaml", decide_until="2026-W49")
    plan.summary["expected_cost_cny"], plan.summary["vss_cny"], plan.first_stage.head()
    plan.write("results/winter-stochastic")

Decisions in periods up to ``decide_until`` (production, shipments, stock built, unmet,
reserves called; and every decision without a period) are taken before anyone knows which
future comes, so they are the same in every scenario; from the next period on each scenario
has its own recourse, knowing its whole future (the scenario is revealed at the end of
``decide_until``; the scenario files' ``known_from`` is not used: the stages replace it).
The objective is the expected cost, plus an optional CVaR term (``model/extensive.py``).

Two methods, one model: ``ef`` solves the extensive form (every scenario's statement,
first-stage columns shared) with HiGHS in memory; ``ph`` runs progressive hedging on mpi-sppy
over MPI processes (``workflows/hedging.py``), each scenario's Pyomo model generated from the
same statement. Either way the plan is then evaluated exactly: its first stage fixed in the
extensive form, each scenario's recourse optimised.

The two standard measures (Birge and Louveaux, *Introduction to Stochastic Programming*, §4.1):
EVPI = RP − WS, what knowing the future in advance is worth (WS: each scenario planned with
hindsight, first stage included); VSS = EEV − RP, what planning for the spread of futures is
worth over planning for their mean (EEV: the expected-value plan's first stage, fixed, in
every scenario).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from supplyopt import study as api
from supplyopt.engines.explain import explain_infeasible
from supplyopt.engines.pyomo import compiled_lp
from supplyopt.engines.solver import HighsEngine, check_plan
from supplyopt.io.data import DataError, Problem
from supplyopt.io.scenario import apply_scenario, period_position
from supplyopt.io.scenario_set import ScenarioSet, equally_likely, load_scenario_set
from supplyopt.io.validate import closest
from supplyopt.io.write import check_out_dir, csv_text, summary_json, write_folder
from supplyopt.model import foresight, priority
from supplyopt.model.extensive import Extensive, Risk, expected_value_lp, extensive_form, first_stage_plan, fixed_first_stage, measure_terms, plan_of

METHODS = ("ef", "ph")
STAGES = (
    "first stage: every decision in periods up to --decide-until (production, shipments, stock, unmet, reserves called) and every decision "
    "without a period, the same in every scenario; recourse: each scenario's decisions after it, knowing that scenario's whole future"
)


@dataclass
class StochasticPlan:
    """What ``stochastic`` returns: tables (DataFrames), the summary (summary.json) and the log."""

    summary: dict
    first_stage: pd.DataFrame  # node, product, period, stock_t, production_t, received_t, shipped_t, unmet_t
    shipments: pd.DataFrame  # first-stage shipments: link, from, to, mode, product, period, flow_t
    scenarios: pd.DataFrame  # one row per scenario: probability, cost, unmet, hindsight and EV-plan cost
    unmet: pd.DataFrame  # scenario, node, product, demand_class, period, unmet_t (rows > 0)
    log: list[str] = field(default_factory=list)
    progress: pd.DataFrame | None = None  # progressive hedging: one row per iteration
    node_kinds: dict = field(default_factory=dict)  # node id -> kind (mine, port, storage, demand …)

    def files(self) -> dict[str, bytes]:
        out = {
            "first_stage.csv": csv_text(self.first_stage),
            "first_stage_shipments.csv": csv_text(self.shipments),
            "scenarios.csv": csv_text(self.scenarios),
            "unmet.csv": csv_text(self.unmet),
            "summary.json": summary_json(self.summary),
            "run.log": "\n".join(self.log) + "\n",
        }
        if self.progress is not None:
            out["ph_progress.csv"] = csv_text(self.progress)
        return {k: v.encode("utf-8") for k, v in out.items()}

    def write(self, out_dir: str | Path) -> Path:
        check_out_dir(out_dir)
        return write_folder(out_dir, self.files())


# --------------------------------------------------------------------------- inputs
def scenario_set(spec, net=None, random: int = 0, seed: int = 0, first: int = 0) -> ScenarioSet:
    """A :class:`ScenarioSet` from a path or a set, or ``random`` equally likely seeded
    outage scenarios (sweep's draws) whose outages start after period ``first`` − 1."""
    if random and spec is not None:
        raise DataError([Problem("--random", "give --scenarios SET.yaml or --random N, not both: the probabilities of a mix would be a guess", value=random)])
    if random:
        from supplyopt.workflows.sweep import random_scenarios

        if random < 1:
            raise DataError([Problem("--random", "expected a whole number of scenarios ≥ 1", value=random)])
        draws = random_scenarios(net, random, seed, first=first)
        return equally_likely([(d["name"], api.scenario(d)) for d in draws], name=f"random-{seed}")
    if spec is None:
        raise DataError([Problem("--scenarios", "no scenario set: give --scenarios SET.yaml (docs/stochastic.md) or --random N")])
    return spec if isinstance(spec, ScenarioSet) else load_scenario_set(spec)


def decision_period(net, decide_until) -> int:
    """The last first-stage period (from 0); there must be a period after it."""
    k = period_position(net, decide_until) if decide_until is not None else None
    if k is None:
        near = closest(str(decide_until), set(net.periods))
        hint = f" (did you mean {near!r}?)" if near else ""
        raise DataError([Problem("--decide-until", f"unknown period{hint}; expected a label ({net.periods[0]} … {net.periods[-2]}) or a position 1–{net.n_periods - 1}",
                                 value=decide_until)])
    if k >= net.n_periods - 1:
        raise DataError([Problem("--decide-until", f"is the last period: nothing would be left to the scenarios; expected {net.periods[0]} … {net.periods[-2]}", value=decide_until)])
    return k


def scenario_networks(study, sset: ScenarioSet, k: int) -> tuple[list, list[str]]:
    """Each scenario's network, and notes; every edit that acts in a first-stage period is an
    error (the first stage is decided before any scenario is known: the plan made without it
    would break it), all reported at once."""
    base = study.base
    nets, problems, notes = [], [], []
    ignored = 0
    for m in sset.members:
        if m.scenario is None:
            nets.append(base)
            continue
        try:
            nets.append(apply_scenario(base, m.scenario))
        except DataError as err:
            problems += [dataclasses.replace(p, message=f"(scenario {m.name}) {p.message}") for p in err.problems]
            continue
        origins = m.scenario.origins or [(m.scenario.path, f"edits[{i}]") for i in range(1, len(m.scenario.edits) + 1)]
        for edit, (label, where) in zip(m.scenario.edits, origins):
            first = foresight.first_period(base, edit)
            ignored += edit.get("known_from") is not None
            if first <= k:
                problems.append(Problem(label, f"(scenario {m.name}) acts in {base.periods[first]}, a first-stage period (--decide-until {base.periods[k]}): the first stage is "
                                        f"decided before any scenario is known; expected an edit from {base.periods[k + 1]} on, or an earlier --decide-until",
                                        column=f"{where}.periods", value=edit.get("periods", "(every period)")))
    if problems:
        raise DataError(problems)
    if ignored:
        notes.append(f"{ignored} edit(s) give known_from: not used here — every scenario is revealed at the end of {base.periods[k]} (--decide-until)")
    return nets, notes


# --------------------------------------------------------------------------- solving
def stochastic(network, scenarios=None, decide_until=None, model=None, method: str = "ef", risk: Risk | None = None, procs: int = 1,
               extend=None, random: int = 0, seed: int = 0, ph_options: dict | None = None, progress=None, **solver) -> StochasticPlan:
    """Solve a two-stage stochastic plan; see the module docstring. ``scenarios``: a set file
    or :class:`ScenarioSet`; ``method`` ef or ph (``procs`` MPI processes, ``ph_options``:
    rho, max_iterations, tolerance, time_limit_s); ``risk``: a :class:`Risk` or None."""
    started = time.perf_counter()
    if method not in METHODS:
        raise DataError([Problem("--method", f"expected one of {', '.join(METHODS)}", value=method)])
    study = network if isinstance(network, api.Study) else api.Study(network, model=model, extend=extend, **solver)
    net, opt = study.base, study.options
    _check_options(study, risk, method, procs)
    k = decision_period(net, decide_until)
    sset = scenario_set(scenarios, net, random, seed, first=k + 1)
    log = [f"{api._now()} supplyopt stochastic: {len(sset.members)} scenarios of {sset.name}, decisions up to {net.periods[k]} shared, method {method}"]
    nets, notes = scenario_networks(study, sset, k)
    t0 = time.perf_counter()
    lps = [scenario_lp(study, n) for n in nets]
    build_s = time.perf_counter() - t0
    p = np.asarray(sset.probabilities)
    ext = extensive_form(lps, sset.names, p, k, share=True, risk=risk)
    log.append(f"{api._now()} extensive form: {ext.lp.n_cols:,} variables, {ext.lp.n_rows:,} constraints ({len(lps)} scenario models built in {build_s:.2f} s)")
    engine = HighsEngine(ext.lp, opt.solver)
    ph = None
    if method == "ef":
        sol = _solved(engine, "the extensive form", study, nets, sset)
        x, rp_method = sol.x, {"solve_s": sol.solve_s, "iterations": sol.iterations, "status": sol.status}
    else:
        from supplyopt.workflows.hedging import progressive_hedging

        ph = progressive_hedging(study, sset, k, risk, procs=procs, options=ph_options or {}, progress=progress, log=log)
        engine_fix(engine, fixed_first_stage(ext, ph.plan))
        sol = _solved(engine, "the extensive form with progressive hedging's first stage fixed", study, nets, sset)
        # the plan is evaluated exactly, but it is optimal only if PH converged
        status = {"converged": sol.status, "time limit": "time_limit", "iteration limit": "iteration_limit"}.get(ph.summary["stopped"], sol.status)
        x, rp_method = sol.x, {"solve_s": sol.solve_s, "status": status}
    violations = check_plan(ext.lp, x)
    if violations:
        raise api.NoPlan("numerical", "the solver's plan does not hold up (numerical trouble). It breaks:", violations[:10])
    rp = float(sol.objective)
    plan = first_stage_plan(ext, x)
    outcomes = outcome_table(ext, x)
    log.append(f"{api._now()} recourse problem (RP): {rp:,.0f} {net.currency} ({method})")
    # the expected-value plan, and what it costs in each scenario with its first stage fixed
    ev_lp = expected_value_lp(lps, p)
    ev_sol = HighsEngine(ev_lp, opt.solver).solve()
    eev, eev_by, eev_note = None, None, None
    if ev_sol.has_plan:
        engine_fix(engine, fixed_first_stage(ext, plan_of(ev_lp, ev_sol.x, k)))
        eev_sol = engine.solve()
        if eev_sol.has_plan:
            eev, eev_by = float(eev_sol.objective), outcome_table(ext, eev_sol.x)["cost_cny"].to_numpy()
        else:
            eev_note = "the expected-value plan's first stage leaves no feasible recourse in some scenario (a hard requirement cannot be met): VSS is unbounded"
    else:
        eev_note = f"the expected-value problem has no plan ({ev_sol.message})"
    ws, ws_by = wait_and_see(lps, sset, k, risk, opt)
    outcomes["hindsight_cost_cny"] = ws_by
    outcomes["ev_plan_cost_cny"] = eev_by
    table = with_base_plan(first_stage_table(net, plan), study, k)
    summary = _summary(study, sset, k, method, risk, ext, rp, ws, eev, eev_note, outcomes, ph, rp_method, notes, time.perf_counter() - started)
    log += [f"{api._now()} note: {n}" for n in notes]
    log.append(f"{api._now()} EVPI {summary['evpi_cny']}, VSS {summary['vss_cny']} ({net.currency}); {STAGES}")
    return StochasticPlan(summary, table, shipments_table(net, plan), outcomes, unmet_table(ext, x, net), log,
                          ph.progress if ph is not None else None, dict(zip(net.nodes["id"], net.nodes["kind"])))


def wait_and_see(lps, sset, k: int, risk, opt) -> tuple[float | None, np.ndarray | None]:
    """WS: every scenario planned with hindsight, first stage included — (the expected
    objective, each scenario's cost), or (None, None) where some scenario has no plan. Without
    a risk term the scenarios are independent: each is solved alone, warm from the last
    (100 Shanxi scenarios: 100 small LPs, not one of a million columns); with one, CVaR's
    threshold couples them and the unshared extensive form is solved."""
    p = np.asarray(sset.probabilities)
    if risk is not None:
        ext = extensive_form(lps, sset.names, p, k, share=False, risk=risk)
        sol = HighsEngine(ext.lp, opt.solver).solve()
        return (float(sol.objective), outcome_table(ext, sol.x)["cost_cny"].to_numpy()) if sol.has_plan else (None, None)
    engine, costs = None, []
    for lp in lps:
        if engine is None or not engine.update(lp):
            engine = HighsEngine(lp, opt.solver)
        sol = engine.solve()
        if not sol.has_plan:
            return None, None
        costs.append(float(sol.objective))
    costs = np.asarray(costs)
    return float(p @ costs), costs


def _check_options(study, risk, method, procs) -> None:
    problems = []
    if priority.active(study.base, study.options):
        problems.append(Problem(study.profile_path or "profile", "priority (demand classes met in order, one solve per class) cannot be combined with a stochastic "
                                "plan, whose objective is one expected cost; use penalties by class instead (docs/profiles.md)", column="priority"))
    if risk is not None:
        if risk.measure not in ("cost", "unmet"):
            problems.append(Problem("--risk", "expected cost or unmet", value=risk.measure))
        if not 0 < risk.level < 1:
            problems.append(Problem("--risk-level", "expected a level in (0, 1), e.g. 0.9 for the worst 10 %", value=risk.level))
        if not risk.weight >= 0:
            problems.append(Problem("--risk-weight", "expected a weight ≥ 0", value=risk.weight))
    if method == "ph" and (isinstance(procs, bool) or not isinstance(procs, int) or procs < 1):
        problems.append(Problem("--procs", "expected a whole number of processes ≥ 1", value=procs))
    if problems:
        raise DataError(problems)


def scenario_lp(study, net):
    """One scenario's model: the study's statement, through the (extended) Pyomo view where an
    extension or the Pyomo engine is asked for (the same model ``solve`` would build)."""
    lp = study.statement(net, study.options)
    if study.extend is not None or study.options.engine == "pyomo":
        lp = compiled_lp(net, study.options, lp, study.extend)
    return lp


def engine_fix(engine: HighsEngine, fixes) -> None:
    """Hold the first stage at given values on the kept extensive-form model (a warm re-solve)."""
    for name, pos, values in fixes:
        engine.set_variable_bounds(name, pos, values, values)


def _solved(engine, what: str, study, nets, sset):
    """The engine's solution, or :class:`NoPlan` naming the scenario whose requirements
    cannot be met (or saying that no one first stage serves them all)."""
    sol = engine.solve()
    if sol.has_plan:
        return sol
    if sol.status != "infeasible":
        raise api._no_plan(study.base, study.options, sol)
    for name, net in zip(sset.names, nets):
        alone = HighsEngine(scenario_lp(study, net), study.options.solver).solve()
        if alone.status == "infeasible":
            raise api.NoPlan("infeasible", f"scenario {name} has no plan meeting the hard requirements, even with hindsight",
                             explain_infeasible(net, study.options, study._relaxable()))
    raise api.NoPlan("infeasible", f"{what} has no plan: every scenario has one alone, but no single first stage serves them all (the hard requirements of "
                     "different scenarios pull the shared decisions apart); try an earlier --decide-until")


# --------------------------------------------------------------------------- tables
def outcome_table(ext: Extensive, x: np.ndarray) -> pd.DataFrame:
    """One row per scenario: probability, cost (CNY, every part), unmet (t) and unmet by class."""
    rows = []
    for s, (name, lp) in enumerate(zip(ext.names, ext.scenario_lps)):
        xs = ext.scenario_x(x, s)
        row = {"scenario": name, "probability": float(ext.probabilities[s])}
        cols, coefs = measure_terms(lp, "cost")
        row["cost_cny"] = float(coefs @ xs[cols])
        unmet = lp.variables.get("unmet")
        row["unmet_t"] = float(xs[unmet.cols].sum()) if unmet is not None else 0.0
        if unmet is not None and "demand_class" in unmet.index:
            by = pd.Series(xs[unmet.cols]).groupby(unmet.index["demand_class"].fillna("(none)").to_numpy()).sum()
            row.update({f"unmet_{c}_t": float(v) for c, v in by.items()})
        rows.append(row)
    out = pd.DataFrame(rows).fillna(0.0)
    return out


def unmet_table(ext: Extensive, x: np.ndarray, net) -> pd.DataFrame:
    """Every scenario's unmet demand by centre, class and period (rows with unmet > 0)."""
    frames = []
    for s, (name, lp) in enumerate(zip(ext.names, ext.scenario_lps)):
        fam = lp.variables.get("unmet")
        if fam is None:
            continue
        v = ext.scenario_x(x, s)[fam.cols]
        keep = v > 1e-6
        cols = [c for c in ("node", "product", "demand_class") if c in fam.index]
        f = fam.index.loc[keep, cols + ["period"]].copy()
        f["period"] = [net.periods[i] for i in f["period"]]
        f["unmet_t"] = v[keep]
        frames.append(f.assign(scenario=name))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["scenario", "node", "product", "period", "unmet_t"])
    return out[["scenario", *[c for c in out.columns if c != "scenario"]]]


def first_stage_table(net, plan: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The first stage by node, product and period: stock at the end of the period (t),
    production, receipts and shipments (t) and unmet demand (t)."""
    keys = ["node", "product", "period"]
    parts = []
    if "stock" in plan:
        parts.append(plan["stock"][keys + ["value"]].rename(columns={"value": "stock_t"}))
    if "production" in plan:
        parts.append(plan["production"].rename(columns={"mine": "node", "value": "production_t"})[keys + ["production_t"]])
    if "reserve_output" in plan:
        parts.append(plan["reserve_output"].rename(columns={"mine": "node", "value": "reserve_output_t"})[keys + ["reserve_output_t"]])
    if "flow" in plan:
        f = plan["flow"]
        arrive = f["value"] * f["efficiency"] if "efficiency" in f else f["value"]
        parts.append(f.assign(received_t=arrive).rename(columns={"to": "node"})[keys + ["received_t"]])
        parts.append(f.rename(columns={"from": "node", "value": "shipped_t"})[keys + ["shipped_t"]])
    if "unmet" in plan:
        parts.append(plan["unmet"].rename(columns={"value": "unmet_t"})[keys + ["unmet_t"]])
    columns = ["stock_t", "production_t", "reserve_output_t", "received_t", "shipped_t", "unmet_t"]
    if not parts:
        return pd.DataFrame(columns=keys + columns)
    out = pd.concat(parts, ignore_index=True).groupby(keys, sort=True).sum(min_count=1).reset_index()
    out = out.reindex(columns=keys + [c for c in columns if c in out.columns])
    out["period"] = [net.periods[int(i)] for i in out["period"]]
    return out.fillna(0.0)


def with_base_plan(table: pd.DataFrame, study, k: int) -> pd.DataFrame:
    """``table`` with the stock the deterministic plan for the base network alone would hold
    (``base_plan_stock_t``) and the difference (``hedge_stock_t``): what the spread of futures
    adds (or removes) over the plan a planner would make without them."""
    net = study.base
    lp = scenario_lp(study, net)
    sol = HighsEngine(lp, study.options.solver).solve()
    if not sol.has_plan:  # the base network alone has no plan: nothing to compare with
        return table
    base = first_stage_table(net, plan_of(lp, sol.x, k))[["node", "product", "period", "stock_t"]].rename(columns={"stock_t": "base_plan_stock_t"})
    out = table.merge(base, on=["node", "product", "period"], how="left")
    out["base_plan_stock_t"] = out["base_plan_stock_t"].fillna(0.0)
    out["hedge_stock_t"] = out["stock_t"] - out["base_plan_stock_t"]
    return out


def shipments_table(net, plan: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """First-stage shipments: link, from, to, mode, product, period, flow_t (rows > 0)."""
    cols = ["link", "from", "to", "mode", "product", "period", "flow_t"]
    if "flow" not in plan:
        return pd.DataFrame(columns=cols)
    f = plan["flow"].rename(columns={"value": "flow_t"})
    f = f[f["flow_t"] > 1e-6].sort_values(["period", "link", "product"])
    f = f[[c for c in cols if c in f.columns]].copy()
    f["period"] = [net.periods[int(i)] for i in f["period"]]
    return f.reset_index(drop=True)


def _summary(study, sset, k, method, risk, ext, rp, ws, eev, eev_note, outcomes, ph, rp_method, notes, wall_s) -> dict:
    net, opt = study.base, study.options
    p = outcomes["probability"].to_numpy()
    cost = outcomes["cost_cny"].to_numpy()
    expected = float(p @ cost)
    worst = outcomes.loc[outcomes["cost_cny"].idxmax()]
    cvar = None
    if risk is not None:
        cvar = {"measure": risk.measure, "level": risk.level, "weight": risk.weight, "words": risk.words()}
    level = risk.level if risk is not None else 0.9
    return {
        "status": rp_method.get("status"),
        "method": method,
        "objective": rp,
        "expected_cost_cny": expected,
        "expected_unmet_t": float(p @ outcomes["unmet_t"].to_numpy()),
        "worst_case": {"scenario": str(worst["scenario"]), "cost_cny": float(worst["cost_cny"]), "unmet_t": float(worst["unmet_t"])},
        "risk": cvar,
        "cvar": {"level": level, "cost_cny": cvar_of(cost, p, level), "unmet_t": cvar_of(outcomes["unmet_t"].to_numpy(), p, level),
                 "meaning": f"mean of the worst {1 - level:.0%} of scenarios (by probability)"},
        "vss_cny": (eev - rp) if eev is not None else None,
        "evpi_cny": (rp - ws) if ws is not None else None,
        "rp_cny": rp,
        "ws_cny": ws,
        "eev_cny": eev,
        "vss_note": eev_note,
        "decide_until": net.periods[k],
        "stages": STAGES,
        "scenarios": len(sset.members),
        "scenario_set": sset.record(),
        "progressive_hedging": ph.summary if ph is not None else None,
        "solver": rp_method,
        "model": {"variables": ext.lp.n_cols, "constraints": ext.lp.n_rows, "nonzeros": ext.lp.n_nonzeros, "scenario_variables": ext.scenario_lps[0].n_cols},
        "currency": net.currency,
        "units": {"*_cny": f"{net.currency} over the horizon (expected: probability-weighted)", "*_t": "tonnes over the horizon"},
        "dataset": api.dataset_record(net),
        "periods": {"count": net.n_periods, "first": net.periods[0], "last": net.periods[-1]},
        "profile": {"path": study.profile_path, "sha256": api._sha256(study.profile_path)},
        "extension": study.extension,
        "options": opt.to_dict(),
        "end_of_horizon": opt.end_rule_words,
        "notes": notes,
        "wall_s": wall_s,
        "versions": {**api.versions(), **(_mpi_versions() if method == "ph" else {})},
    }


def _mpi_versions() -> dict:
    from importlib import metadata

    out = {}
    for pkg in ("mpi-sppy", "mpi4py", "mpich", "scipy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def cvar_of(values: np.ndarray, p: np.ndarray, level: float) -> float:
    """CVaR at ``level`` of a discrete distribution: the probability-weighted mean of its worst
    1 − level (the scenario at the boundary counted in part)."""
    order = np.argsort(-values, kind="stable")
    tail, left = 0.0, 1.0 - level
    for i in order:
        take = min(p[i], left)
        tail += take * values[i]
        left -= take
        if left <= 1e-12:
            break
    return float(tail / (1.0 - level))


# --------------------------------------------------------------------------- terminal
def format_stochastic(plan: StochasticPlan) -> str:
    """The terminal table: the measures, then one line per scenario."""
    s = plan.summary
    cur = s["currency"]

    def money(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return "—"
        return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"

    lines = [
        f"Stochastic plan ({s['method']}): {s['scenarios']} scenarios, first stage up to {s['decide_until']} shared",
        f"  expected cost        {money(s['expected_cost_cny'])} {cur}" + (f"   (objective with risk term {money(s['objective'])})" if s["risk"] else ""),
        f"  expected unmet       {s['expected_unmet_t']:,.0f} t",
        f"  worst case           {s['worst_case']['scenario']}: {money(s['worst_case']['cost_cny'])} {cur}, {s['worst_case']['unmet_t']:,.0f} t unmet",
        f"  VSS                  {money(s['vss_cny'])} {cur}  (what planning for every scenario saves over planning for the mean)",
        f"  EVPI                 {money(s['evpi_cny'])} {cur}  (what knowing the future in advance would be worth)",
    ]
    if s.get("vss_note"):
        lines.append(f"  note: {s['vss_note']}")
    if s["risk"]:
        lines.append(f"  risk term            {s['risk']['words']}")
    ph = s.get("progressive_hedging")
    if ph:
        lines.append(f"  progressive hedging  {ph['iterations']} iterations on {ph['procs']} process(es), stopped: {ph['stopped']}; bound {money(ph['bound_cny'])} {cur}, "
                     f"relative gap {ph['gap']:.2e}" if ph.get("gap") is not None else f"  progressive hedging  {ph['iterations']} iterations, stopped: {ph['stopped']}")
    t = plan.scenarios
    lines += ["", f"  {'scenario':<28} {'prob':>6} {'cost ' + cur:>20} {'unmet t':>14} {'hindsight ' + cur:>20} {'EV plan ' + cur:>20}"]
    for _, r in t.iterrows():
        lines.append(f"  {str(r['scenario'])[:28]:<28} {r['probability']:>6.3f} {money(r['cost_cny']):>20} {r['unmet_t']:>14,.0f} "
                     f"{money(r.get('hindsight_cost_cny')):>20} {money(r.get('ev_plan_cost_cny')):>20}")
    fs = plan.first_stage
    if "hedge_stock_t" in fs and len(fs):
        # by kind of node: single nodes swap tonnes between equally cheap places (an LP has many
        # optimal plans), totals by kind do not
        last = fs[fs["period"] == s["decide_until"]]
        kinds = last.assign(kind=last["node"].map(plan.node_kinds).fillna("other")).groupby("kind", sort=True)[["stock_t", "base_plan_stock_t", "hedge_stock_t"]].sum()
        lines += ["", f"  stock at the end of {s['decide_until']} by kind of node, against the plan for the base network alone:",
                  f"    {'kind':<30} {'stock t':>14} {'base plan t':>14} {'change t':>14}"]
        lines += [f"    {k:<30} {r['stock_t']:>14,.0f} {r['base_plan_stock_t']:>14,.0f} {int(round(r['hedge_stock_t'])):>+14,}" for k, r in kinds.iterrows()]
        lines.append(f"    {'total':<30} {kinds['stock_t'].sum():>14,.0f} {kinds['base_plan_stock_t'].sum():>14,.0f} {int(round(kinds['hedge_stock_t'].sum())):>+14,}")
    lines += ["", f"  Stages: {STAGES}.", f"  End of horizon: {s['end_of_horizon']}"]
    return "\n".join(lines)
