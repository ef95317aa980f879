"""Priority demand: serve demand classes in a stated order, then minimise cost.

With ``demand_priority`` in the profile (``default`` = residential_heating > power >
industry > export, or a list of classes, highest first) and a ``demand_class`` column in
demand.csv, a solve is lexicographic (docs/model.md, "Priority demand"):

  stage k (k = 1 … K):  minimise Σ unmet[class k]   subject to the model and
                        Σ unmet[class j] ≤ u*_j (+ a tolerance) for every j < k
  last stage:           minimise the ordinary cost  subject to Σ unmet[class j] ≤ u*_j for all j

Classes not in the list (and rows without a class) form one last class, ``other``. The
stages run on the kept solver model: only the objective and the ``priority_unmet`` row bounds
change between them (a warm start each time). Because every stage keeps what the earlier
ones achieved, no plan leaves a higher class shorter so that a lower class can be served
with coal that could have reached it: moving that coal would lower the higher class's
unmet below its stage optimum, a contradiction.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

DEFAULT_PRIORITY = ("residential_heating", "power", "industry", "export")
OTHER = "other"
FAMILY = "priority_unmet"
REL_TOL, ABS_TOL_T = 1e-9, 1e-6  # slack on each fixed class: relative to its demand, and tonnes


def classes(opt) -> tuple[str, ...] | None:
    """The priority order of the options, or None when priority is off."""
    p = getattr(opt, "demand_priority", None)
    if not p:
        return None
    return DEFAULT_PRIORITY if p == "default" or p == ["default"] else tuple(p)


def class_of(demand: pd.DataFrame) -> pd.Series:
    """Each demand row's class label (blank → ``unclassified``)."""
    if "demand_class" not in demand:
        return pd.Series("unclassified", index=demand.index)
    return demand["demand_class"].fillna("").astype(str).replace("", "unclassified")


def unmet_by_class(unmet: pd.DataFrame) -> dict[str, float]:
    """Unmet tonnes over the horizon by demand class, classes sorted by name; {} without a
    demand_class column."""
    if "demand_class" not in unmet:
        return {}
    return {k: float(v) for k, v in unmet["unmet_t"].groupby(class_of(unmet), sort=True).sum().items()}


def active(net, opt) -> bool:
    return classes(opt) is not None and "demand_class" in net.demand


def priority_rows(lp, net, opt) -> None:
    """Layer: one row per priority class, Σ unmet[class] ≤ cap (cap = ∞ until the stages
    fix it). Added only when priority is on and the data set has demand classes."""
    if not active(net, opt):
        return
    classes = order(net, opt)
    unmet = lp.variables["unmet"]
    cls = class_of(unmet.index)
    rank = {c: i for i, c in enumerate(classes)}
    rows = cls.map(lambda c: rank.get(c, len(classes) - 1)).to_numpy(np.int64)
    index = pd.DataFrame({"demand_class": list(classes)})
    lp.add_constraints(FAMILY, "unmet tonnes of a priority class at most its best (t)", ["demand_class"], index, rows, unmet.cols, np.ones(unmet.size), -np.inf, np.inf)


def order(net, opt) -> list[str]:
    """The classes present in the data, highest first; ``other`` last for the unlisted."""
    listed = list(classes(opt))
    present = set(class_of(net.demand))
    return [c for c in listed if c in present] + ([OTHER] if present - set(listed) else [])


def solve_in_order(engine, lp, net, opt, make_engine):
    """Run the stages on ``engine`` (rebuilt with ``make_engine(lp)`` where it cannot take a
    change warm). Returns (solution of the last stage, engine, stages) where ``stages`` lists
    {demand_class, min_unmet_t}; ``lp``'s priority rows end with the fixed caps. A stage
    without a plan returns that stage's solution."""
    fam = lp.constraints[FAMILY]
    unmet = lp.variables["unmet"]
    caps = np.full(fam.size, np.inf)
    slack = np.array([REL_TOL * float(unmet.upper[fam.rows == k].sum()) + ABS_TOL_T for k in range(fam.size)])
    stages = []

    def run(stage_lp):
        """Solve; if the exact caps of earlier stages are numerically just out of reach,
        relax them by their tolerance once and solve again."""
        nonlocal engine
        engine = _load(engine, stage_lp, make_engine)
        sol = engine.solve()
        fixed = np.isfinite(caps)
        if sol.status == "infeasible" and fixed.any():
            caps[fixed] += slack[fixed]
            stage_lp.constraints[FAMILY].upper[fixed] = caps[fixed]
            engine = _load(engine, stage_lp, make_engine)
            sol = engine.solve()
        return sol

    for k in range(fam.size):
        in_class = fam.rows == k
        sol = run(_with(lp, caps, {"priority_stage": (unmet.cols[in_class], np.ones(in_class.sum()))}))
        if not sol.has_plan:
            return sol, engine, stages
        best = float(sol.x[unmet.cols[in_class]].sum())
        caps[k] = max(best, 0.0)  # exact: the next stages keep what this one achieved
        stages.append({"demand_class": fam.index["demand_class"].iloc[k], "min_unmet_t": best})
    fam.upper[:] = caps
    return run(lp), engine, stages


def _with(lp, caps: np.ndarray, costs: dict):
    """A copy of ``lp`` sharing its arrays, with other priority caps and cost parts."""
    cons = dict(lp.constraints)
    cons[FAMILY] = dataclasses.replace(cons[FAMILY], upper=caps.copy())
    return dataclasses.replace(lp, constraints=cons, costs=costs)


def _load(engine, lp, make_engine):
    return engine if engine.update(lp) else make_engine(lp)
