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
        self.stats = {"generated": 0, "changed_in_place": 0, "extension_rerun": 0}
        self._generate(lp)
        self._highs = HighsEngine(self.lp, opt.solver)
        self.reform_note = self._highs.reform_note

    def _generate(self, lp: LinearProgram, net: Network | None = None) -> None:
        """The Pyomo view of ``lp``, extended, and its compiled form."""
        from supplyopt.engines.pyomo_view import build_model

        net = net or self.net
        t0 = time.perf_counter()
        self.model = build_model(net, self.opt, lp)
        # what the view holds before the extension: what update() puts back to re-run it
        self._plain = (set(self.model.component_map()), list(self.model.cost_parts))
        if self.extend is not None:
            self.extend(self.model, net, self.opt)
        self.build_s = time.perf_counter() - t0
        self._touched: dict = {}  # {family: positions} whose bounds set_variable_bounds changed
        self.stats["generated"] += 1
        self._compile(net)

    def _compile(self, net: Network) -> None:
        """``self.lp``: the view compiled (the statement's arrays, what the extension added)."""
        from supplyopt.engines.pyomo_view import to_lp

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
        """Take the edited statement ``lp`` (of ``net``) as the model, warm: where it has the
        shape of the kept one, the kept Pyomo view is changed in place — the bounds, rows and
        cost parts that differ (:func:`~supplyopt.engines.pyomo_view.restate`) — and, where the
        data an extension reads changed, its params are read again and the extension re-run on
        the kept view (its own components replaced; the statement's are not built again). The
        compiled model goes to the kept HiGHS model as changes, which restarts from its basis.
        Where the shape differs the view is generated anew and handed over as changes if the
        compiled shape allows. False: the caller builds a new engine."""
        from supplyopt.engines.pyomo_view import GENERATED, refresh_data, restate, same_shape

        net = net or self.net
        t0 = time.perf_counter()
        try:
            # a bound an extension's own variable took directly is not the statement's to put back
            in_place = set(self._touched) <= set(lp.variables) and same_shape(getattr(self.model, GENERATED)[0], lp)
            if in_place:
                restate(self.model, lp, self._touched)
        except ValueError:
            in_place = False
        if in_place:
            self._touched = {}
            if refresh_data(self.model, net, self.opt) and self.extend is not None:
                self._rerun_extension(lp, net)
            self.net = net
            self.build_s = time.perf_counter() - t0
            self.stats["changed_in_place"] += 1
            self._compile(net)
        else:
            self._generate(lp, net)
            self.net = net
        return self._highs.update(self.lp)

    def see(self, net: Network) -> None:
        """Hand the extension ``net``'s data on the kept view, the statement's families as they
        are (a what-if whose change is made on the kept model directly, such as an outage's
        flows held at 0, while the extension should read the outage's capacities): where the
        tables the data params are read from differ, those params are read again, the extension
        re-run on them and the compiled model handed to the kept HiGHS model as changes (warm;
        a new HiGHS model where the extension changed the shape)."""
        from supplyopt.engines.pyomo_view import GENERATED, refresh_data

        t0 = time.perf_counter()
        if self.extend is None or not refresh_data(self.model, net, self.opt):
            self.net = net
            return
        self._rerun_extension(getattr(self.model, GENERATED)[0], net)
        self._touched = {}  # every bound is the statement's again
        self.net = net
        self.build_s = time.perf_counter() - t0
        self._compile(net)
        if not self._highs.update(self.lp):
            self._highs = HighsEngine(self.lp, self.opt.solver)

    def _rerun_extension(self, lp: LinearProgram, net: Network) -> None:
        """Remove what the extension added to the kept view, put back what it changed of the
        statement's part (cost parts, bounds, fixed values, deactivated rows) and run it again
        on ``net``'s data."""
        import pyomo.environ as pyo
        from pyomo.core.expr.numeric_expr import LinearExpression

        from supplyopt.engines.pyomo_view import GENERATED

        m = self.model
        names, cost_parts = self._plain
        for name in [c for c in m.component_map() if c not in names]:
            m.del_component(name)
        statement, components, columns, _, _ = getattr(m, GENERATED)
        m.cost_parts = []
        m.del_component("total_cost")
        for name in cost_parts:
            if f"{name}_cost" not in components:  # a part the extension added terms to (add_cost): the statement's terms again
                cols, coefs = statement.costs[name]
                part = m.component(f"{name}_cost")
                part.set_value(LinearExpression(constant=0.0, linear_coefs=np.asarray(coefs, float).tolist(), linear_vars=[columns[j] for j in cols.tolist()]))
                components[f"{name}_cost"] = part
            m.cost_parts.append(name)
        m.total_cost = pyo.Objective(expr=sum(m.component(f"{c}_cost") for c in m.cost_parts), sense=pyo.minimize)
        # the columns whose bounds are not the statement's: those the compiled model holds
        # otherwise (the extension's changes, fixed values) and those changed directly since
        # (set_variable_bounds); a loop over every column cost more than the extension itself
        lower, upper = lp.bounds()[:2]
        held_lo, held_up = (b[: len(columns)] for b in self.lp.bounds()[:2])
        hit = set(np.flatnonzero((held_lo != lower) | (held_up != upper)).tolist())
        for name, positions in self._touched.items():
            hit.update((lp.variables[name].start + np.asarray(positions, np.int64)).tolist())
        for j in sorted(hit):
            v = columns[j]
            if v.fixed:
                v.unfix()
            v.setlb(float(lower[j]) if np.isfinite(lower[j]) else None)
            v.setub(float(upper[j]) if np.isfinite(upper[j]) else None)
        for name, con in lp.constraints.items():
            comp = components[name]
            comp.activate()
            for cd in comp.values():
                if not cd.active:
                    cd.activate()
        self.extend(m, net, self.opt)
        self.stats["extension_rerun"] += 1

    def set_variable_bounds(self, family: str, positions, lower, upper) -> None:
        """Change bounds of some variables of a family, in HiGHS and in the Pyomo model (until
        the next :meth:`update` puts the statement's back)."""
        self._highs.set_variable_bounds(family, positions, lower, upper)
        fam = self.lp.variables[family]
        positions = np.asarray(positions, np.int64)
        self._touched[family] = np.union1d(self._touched.get(family, np.zeros(0, np.int64)), positions)
        for p in positions:
            v = self.columns[fam.start + p]
            v.setlb(float(fam.lower[p]) if np.isfinite(fam.lower[p]) else None)
            v.setub(float(fam.upper[p]) if np.isfinite(fam.upper[p]) else None)

    def set_constraint_bounds(self, family: str, positions, lower, upper) -> None:
        """Change row bounds of some rows of a family (in HiGHS: the Pyomo rows keep the
        statement's right-hand sides, which the next :meth:`update` hands HiGHS again)."""
        self._highs.set_constraint_bounds(family, positions, lower, upper)


def compiled_lp(net: Network, opt: Options, lp: LinearProgram, extend=None) -> LinearProgram:
    """The statement ``lp`` through the Pyomo view, extended and compiled, without solving it."""
    from supplyopt.engines.pyomo_view import build_model, to_lp

    m = build_model(net, opt, lp)
    if extend is not None:
        extend(m, net, opt)
    return to_lp(m, net.periods)[0]
