"""The Pyomo engine: the Pyomo view of the statement (``pyomo_view.py``), extended if asked, solved by HiGHS.

Steps: ``build_model(net, opt, lp)`` generates the Pyomo view of the statement (``model.py``:
every family, reserves, priority rows, investment decisions, decisions held by foresight) →
``extra_functionality(model, net, opt)`` (optional) → ``to_lp`` takes the generated families
back from the arrays and compiles what the extension added into a
:class:`~supplyopt.model.LinearProgram` whose families carry the component names → HiGHS
solves those arrays in memory (the same hand-over as the default engine, so iteration counts,
MIP gap, warm bound changes and numerics checks behave alike). Values are loaded back into the
Pyomo variables (``model.flow[l, p, t].value``) and, if the model has a ``dual`` Suffix, row
duals into it. Results, prices, checks and the summary read ``engine.lp``: a constraint or
cost part an extension added shows up there by its component name.

A model with integer or binary variables is a MIP: HiGHS honours ``mip_gap`` and the time
limit; duals (prices) do not exist for a MIP and are left out, with a note in the run log.
"""

from __future__ import annotations

import time

import numpy as np

from supplyopt.engines.highs import HighsEngine
from supplyopt.engines.solution import Solution
from supplyopt.io.network import Network
from supplyopt.model.options import Options
from supplyopt.model.statement import LinearProgram


class PyomoEngine:
    """Generate the Pyomo view of the statement, extend it, compile it and solve it;
    ``self.model`` is the Pyomo model, ``self.lp`` its compiled form (the one results read)."""

    name = "pyomo"

    def __init__(self, net: Network, opt: Options, lp: LinearProgram, extend=None):
        self.net, self.opt, self.extend = net, opt, extend
        self._generate(lp)
        self._highs = HighsEngine(self.lp, opt.solver)
        self.reform_note = self._highs.reform_note

    def _generate(self, lp: LinearProgram, net: Network | None = None) -> None:
        """The Pyomo view of ``lp``, extended, and its compiled form."""
        from supplyopt.engines.pyomo_view import build_model, to_lp

        net = net or self.net
        t0 = time.perf_counter()
        self.model = build_model(net, self.opt, lp)
        if self.extend is not None:
            self.extend(self.model, net, self.opt)
        self.build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        self.lp, self.columns, self.rows, self.notes = to_lp(self.model, net.periods)
        self.compile_s = time.perf_counter() - t0
        if self.lp.is_mip:
            self.notes.append("the model has integer or binary variables (a MIP): prices (duals) are not defined and are left out")

    @property
    def safety_rows_eliminated(self) -> int:
        return self._highs.safety_rows_eliminated

    def solve(self) -> Solution:
        sol = self._highs.solve()
        sol.engine = self.name
        sol.warnings = self.notes + sol.warnings
        if sol.has_plan:
            self._load(sol)
        return sol

    def _load(self, sol: Solution) -> None:
        """Primal values into the Pyomo variables; row duals into a ``dual`` Suffix if the
        model (an extension) declared one."""
        for v, x in zip(self.columns, sol.x[: len(self.columns)].tolist()):
            if not v.fixed:
                v.set_value(x, skip_validation=True)
        dual = self.model.component("dual")
        if dual is not None and hasattr(dual, "set_value") and not self.lp.is_mip:
            for c, y in zip(self.rows, sol.row_dual[: len(self.rows)].tolist()):
                dual[c] = y

    @property
    def highs(self) -> HighsEngine:
        """The HiGHS model holding the compiled LP (priority stages change it directly)."""
        return self._highs

    @highs.setter
    def highs(self, engine: HighsEngine) -> None:
        self._highs = engine

    def basis(self):
        return self._highs.basis()

    def start_from(self, basis) -> bool:
        return self._highs.start_from(basis)

    def update(self, lp: LinearProgram, net: Network | None = None) -> bool:
        """A new Pyomo view of the edited statement (the extension applied again), handed to
        the kept HiGHS model as changes where the compiled LP has the same shape: a warm
        re-solve, the same one the default engine makes. False: the caller rebuilds."""
        held = (self.model, self.lp, self.columns, self.rows, self.notes, self.build_s, self.compile_s)
        self._generate(lp, net)
        if self._highs.update(self.lp):
            return True
        self.model, self.lp, self.columns, self.rows, self.notes, self.build_s, self.compile_s = held
        return False

    def set_variable_bounds(self, family: str, positions, lower, upper) -> None:
        """Change bounds of some variables of a family, in HiGHS and in the Pyomo model."""
        self._highs.set_variable_bounds(family, positions, lower, upper)
        fam = self.lp.variables[family]
        for p in np.asarray(positions, np.int64):
            v = self.columns[fam.start + p]
            v.setlb(float(fam.lower[p]) if np.isfinite(fam.lower[p]) else None)
            v.setub(float(fam.upper[p]) if np.isfinite(fam.upper[p]) else None)

    def set_constraint_bounds(self, family: str, positions, lower, upper) -> None:
        """Change row bounds of some rows of a family (HiGHS; the Pyomo rows keep their
        original right-hand sides: the model is rebuilt for the next scenario)."""
        self._highs.set_constraint_bounds(family, positions, lower, upper)


def compiled_lp(net: Network, opt: Options, lp: LinearProgram, extend=None) -> LinearProgram:
    """The statement ``lp`` through the Pyomo view, extended and compiled, without solving it."""
    from supplyopt.engines.pyomo_view import build_model, to_lp

    m = build_model(net, opt, lp)
    if extend is not None:
        extend(m, net, opt)
    return to_lp(m, net.periods)[0]
