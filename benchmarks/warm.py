"""Benchmark of warm what-ifs (issue 28 item 2): per-step seconds re-solving a kept model
against building the model anew, for sweep, frontier and invest's budget steps, and the
Pyomo engine against the default one on a screen of link outages.

    .venv/bin/python benchmarks/warm.py                       # data/shanxi, small sizes
    .venv/bin/python benchmarks/warm.py --scenarios 12 --points 7 --outages 40

* sweep: the bundled scenarios (scenarios/*.yaml) and ``--scenarios`` seeded random stress
  scenarios on data/shanxi, in process, on the sweep's one kept model, against a Study built
  for each (the cold reference). A scenario that sets a capacity to 0 drops variables (another
  shape): the kept model is rebuilt for it, so random outages gain little; ``warm_cases`` counts.
* frontier: ``--points`` caps on data/shanxi (``compare_rebuilt``): warm points against each
  point on a freshly built model.
* invest budget steps: a generated case (2 sidings costing the budget + 60 CNY, a solver
  simulated 100 CNY loose on the row) on data/shanxi's horizon: the steps tightening the kept
  row against a model built per step (the old way: the budget set, the Study built, solved).
* screen: the first ``--outages`` link outages of data/shanxi with ``engine: pyomo`` against
  ``engine: highs`` (per case, warm; the profile is models/default.yaml with the engine set),
  and with ``engine: pyomo`` and the CO2-cap extension (models/extensions/co2_cap.py), which
  is handed each outage's data and re-run on the kept Pyomo view.
Prints one JSON object; figures are wall seconds on this machine at the time (rerun both sides
together when comparing).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import supplyopt  # noqa: E402
from supplyopt.model import candidates  # noqa: E402
from supplyopt.workflows import frontier, screen, sweep  # noqa: E402
from supplyopt.workflows.invest import investment_options, solve_within_budget  # noqa: E402

SHANXI = REPO / "data/shanxi"
PROFILE = REPO / "models/default.yaml"
EXTENSION = REPO / "models/extensions/co2_cap.py"  # a cap on transport CO2: one row over every flow
BUDGET = 5e7  # CNY: sidings a and b together cost this + 60 CNY


def bench_sweep(n: int) -> dict:
    study = supplyopt.Study(SHANXI, model=PROFILE, race=False)
    study.solve()
    bundled = sorted((REPO / "scenarios").glob("*.yaml"))
    specs = [supplyopt.scenario(s) for s in [*bundled, *sweep.random_scenarios(study.base, n, seed=1, probability=0.02)]]
    n = len(specs)
    t = time.perf_counter()
    cases = sweep.run_sweep(study.base, study.options, specs, study=study)
    warm_s = time.perf_counter() - t
    t = time.perf_counter()
    cold = [supplyopt.Study(study.base, model=study.options).apply(s).solve() for s in specs]
    cold_s = time.perf_counter() - t
    diff = max(abs(c.plan.summary["objective"] - p.summary["objective"]) / abs(p.summary["objective"]) for c, p in zip(cases, cold))
    return {"scenarios": n, "warm_per_scenario_s": warm_s / n, "rebuilt_per_scenario_s": cold_s / n, "warm_cases": sum(c.warm for c in cases),
            "largest_relative_difference": diff}


def bench_frontier(points: int) -> dict:
    fr = frontier.frontier(SHANXI, model=PROFILE, points=points, compare_rebuilt=True)
    t = fr.timing
    return {"points": points, "warm_per_point_s": t["points_warm_s"] / points, "rebuilt_per_point_s": t["points_rebuilt_s"] / points,
            "builds": t["builds"], "largest_relative_difference": t["largest_relative_difference"]}


def _slip_case(folder: Path) -> Path:
    """data/shanxi with two sidings a, b at its first mine's first link costing the budget + 60 CNY together, c fitting with a."""
    import shutil

    import pandas as pd

    shutil.copytree(SHANXI, folder)
    links = pd.read_csv(folder / "links.csv")
    first = links[links["mode"] == "rail"].iloc[0]
    budget = BUDGET
    rail = {"kind": "new_link", "from": first["from"], "to": first["to"], "mode": "rail", "distance_km": float(first["distance_km"]),
            "capacity_t": 200_000, "lifetime_years": 10, "discount_rate": 0}
    pd.DataFrame([{"id": "a", **rail, "cost_cny_per_t": 1, "build_cost_cny": budget * 0.55},
                  {"id": "b", **rail, "cost_cny_per_t": 1, "build_cost_cny": budget * 0.45 + 60},
                  {"id": "c", **rail, "cost_cny_per_t": 2, "build_cost_cny": budget * 0.3}]).to_csv(folder / "candidates.csv", index=False)
    return folder


def bench_budget() -> dict:
    real = candidates.budget_row_bound
    candidates.budget_row_bound = lambda cny: real(cny + 100)  # a solver 100 CNY loose on the row, simulated
    try:
        with tempfile.TemporaryDirectory() as tmp:
            net = supplyopt.load(_slip_case(Path(tmp) / "slip"), count_candidates=True)
            cands = candidates.candidate_table(net)
            opt = investment_options(supplyopt.options(PROFILE, mip_gap=0, foresight="perfect"))
            choice = candidates.CandidateChoice(cands, budget=BUDGET)
            study = supplyopt.Study(candidates.with_candidates(net), model=opt, layers=[choice])
            study.solve()  # the kept model, built once (as invest's marginal step finds it)
            t = time.perf_counter()
            plan = solve_within_budget(study, choice, BUDGET)
            warm_s = time.perf_counter() - t
            steps = plan.summary["budget_check"]["tightenings"]
            bounds = [BUDGET] + [s["row_bound_cny"] for s in steps]
            t = time.perf_counter()
            for bound in bounds:  # the old way: each step's budget set on the layer, the model built and solved
                supplyopt.Study(candidates.with_candidates(net), model=opt, layers=[candidates.CandidateChoice(cands, budget=bound)]).solve()
            cold_s = time.perf_counter() - t
    finally:
        candidates.budget_row_bound = real
    return {"solves": len(bounds), "warm_per_step_s": warm_s / len(bounds), "rebuilt_per_step_s": cold_s / len(bounds), "chosen": plan.summary["budget_check"]["chosen"]}


def bench_screen(n: int) -> dict:
    out = {}
    for name, engine, extend in (("highs", "highs", None), ("pyomo", "pyomo", None), ("pyomo_extended", "pyomo", EXTENSION)):
        opt = dataclasses.replace(supplyopt.options(PROFILE), engine=engine)
        study = supplyopt.Study(SHANXI, model=opt, extend=extend)
        study.profile_path = str(PROFILE)
        r = screen.screen(study, kinds=["links"], limit=n)
        out[name] = {"per_case_mean_s": r.summary["timing"]["seconds_per_case_mean"], "per_case_median_s": r.summary["timing"]["seconds_per_case_median"],
                     "base_s": r.summary["timing"]["base_solve_s"], "objective_sum": float(r.table["objective_cny"].sum())}
        if extend is not None:
            out["highs_on_extended_lp"] = _highs_on(study, n)
    out["pyomo_over_highs"] = out["pyomo"]["per_case_mean_s"] / out["highs"]["per_case_mean_s"]
    # the extended LP is another LP (the cap binds: more pivots per case); its reference is the
    # HiGHS engine holding that same compiled LP, through the same screen path
    out["pyomo_extended_over_highs_same_lp"] = out["pyomo_extended"]["per_case_mean_s"] / out["highs_on_extended_lp"]["per_case_mean_s"]
    return {"outages": n, "extension": str(EXTENSION.relative_to(REPO)), **out}


def _highs_on(extended: supplyopt.Study, n: int) -> dict:
    """The screen's cases on the HiGHS engine holding the extended study's compiled LP (the
    statement and the extension's row): a study on the default engine whose kept model is
    swapped for that LP, so the cases take the same flow-bound path without the Pyomo view."""
    from supplyopt.engines.highs import HighsEngine

    extended.reset().solve()
    lp = extended.engine.lp
    ref = supplyopt.Study(SHANXI, model=dataclasses.replace(extended.options, engine="highs"))
    base = ref.solve()  # the base network's tables; the plan figures below are the extended LP's
    ref.engine, ref.lp = HighsEngine(lp, ref.options.solver), lp
    ref.solution = ref.engine.solve()
    base.summary.update(objective=ref.solution.objective)
    cases = screen.elements(ref.base, ["links"])[:n]
    seconds = [screen.run_case(ref, base, k, e)["seconds"] for k, e in cases]
    return {"per_case_mean_s": round(sum(seconds) / len(seconds), 4), "per_case_median_s": round(sorted(seconds)[len(seconds) // 2], 4)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenarios", type=int, default=6)
    p.add_argument("--points", type=int, default=5)
    p.add_argument("--outages", type=int, default=20)
    p.add_argument("--only", choices=["sweep", "frontier", "budget", "screen"])
    a = p.parse_args(argv)
    runs = {"sweep": lambda: bench_sweep(a.scenarios), "frontier": lambda: bench_frontier(a.points), "budget": bench_budget, "screen": lambda: bench_screen(a.outages)}
    out = {name: run() for name, run in runs.items() if a.only in (None, name)}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
