"""The library face: load, solve -> Plan, Study, and the workflows, in one place.

    import supplyopt
    net = supplyopt.load("data/shanxi")                       # read + validate (DataError if bad)
    plan = supplyopt.solve(net, model="models/default.yaml", scenario="scenarios/cold_wave.yaml")
    study = supplyopt.Study(net, model="models/default.yaml")   # one kept model, warm re-solves

The machinery lives in :mod:`supplyopt.study` (every workflow stands on it); the workflows in
:mod:`supplyopt.workflows`; this module gathers them for users and for the command line.
See docs/api.md.
"""

from __future__ import annotations

import importlib

from supplyopt.study import (  # noqa: F401 — the library face re-exports them
    EXIT_INFEASIBLE,
    EXIT_NO_PLAN,
    NoPlan,
    Study,
    dataset_record,
    extension_of,
    input_warnings,
    load,
    options,
    scenario,
    solve,
)

# name here -> (module, name there). Each workflow is imported when first asked for
# (``api.compare`` or ``from supplyopt.api import compare``), not with this module: a plain
# solve needs none of them, and together they cost about a third of a tiny run's fixed time
# (issue 28: small runs feel instant).
WORKFLOWS = {
    "bottlenecks": ("supplyopt.workflows.bottlenecks", "screen"),
    "compare": ("supplyopt.workflows.compare", "compare"),
    "evaluate": ("supplyopt.workflows.evaluate", "evaluate"),
    "frontier": ("supplyopt.workflows.frontier", "frontier"),
    "invest": ("supplyopt.workflows.invest", "invest"),
    "robust_invest": ("supplyopt.workflows.invest_risk", "robust_invest"),
    "roll": ("supplyopt.workflows.roll", "roll"),
    "schedule": ("supplyopt.workflows.schedule", "schedule"),
    "screen": ("supplyopt.workflows.screen", "screen"),
    "staged_invest": ("supplyopt.workflows.invest_years", "staged_invest"),
    "stochastic": ("supplyopt.workflows.stochastic", "stochastic"),
    "sweep": ("supplyopt.workflows.sweep", "sweep"),
}


def __getattr__(name: str):
    if name in WORKFLOWS:
        module, attr = WORKFLOWS[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value  # asked once
        return value
    raise AttributeError(f"module 'supplyopt.api' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *WORKFLOWS])
