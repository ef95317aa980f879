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
from supplyopt.workflows.bottlenecks import screen as bottlenecks  # noqa: F401
from supplyopt.workflows.compare import compare  # noqa: F401
from supplyopt.workflows.frontier import frontier  # noqa: F401
from supplyopt.workflows.evaluate import evaluate  # noqa: F401
from supplyopt.workflows.invest import invest  # noqa: F401
from supplyopt.workflows.invest_risk import robust_invest  # noqa: F401
from supplyopt.workflows.invest_years import staged_invest  # noqa: F401
from supplyopt.workflows.roll import roll  # noqa: F401
from supplyopt.workflows.schedule import schedule  # noqa: F401
from supplyopt.workflows.screen import screen  # noqa: F401
from supplyopt.workflows.stochastic import stochastic  # noqa: F401
from supplyopt.workflows.sweep import sweep  # noqa: F401
