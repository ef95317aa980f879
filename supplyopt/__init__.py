"""supplyopt: coal supply and stockpile planning as a linear program solved by HiGHS.

The flow of a run, one module per step:
``data -> validate -> scenario -> model -> solve -> results -> report`` (``cli`` drives it).
"""

__version__ = "0.1.0"
