"""supplyopt: coal supply and stockpile planning as a linear program solved by HiGHS.

The flow of a run, one module per step:
``io -> model -> engines -> results -> study -> workflows / reports -> api -> cli``: each
sub-package one step (docs/architecture.md). The library face (``api``) gathers them; the
command line (``cli``) is a thin layer over the same functions::

    import supplyopt
    plan = supplyopt.solve(supplyopt.load("data/shanxi"), model="models/default.yaml")

See docs/api.md.
"""

from supplyopt.api import NoPlan, Study, load, options, scenario, solve  # noqa: E402
from supplyopt.io.data import DataError  # noqa: E402
from supplyopt.version import __version__  # noqa: E402

__all__ = ["DataError", "NoPlan", "Study", "load", "options", "scenario", "solve", "__version__"]
