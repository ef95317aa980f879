"""The library face every command and workflow stands on.

    import supplyopt
    net = supplyopt.load("data/shanxi")                       # read + validate (DataError if bad)
    plan = supplyopt.solve(net, model="models/default.yaml", scenario="scenarios/cold_wave.yaml")
    plan.summary["objective"], plan.flows, plan.unmet          # dict as summary.json, DataFrames
    plan.write("results/cold")                                  # atomically, like the CLI

    study = supplyopt.Study(net, model="models/default.yaml")   # one kept model
    base = study.solve()
    study.apply("scenarios/cold_wave.yaml")                     # relative to the base network
    cold = study.solve()                                        # warm: only bounds/costs changed

A solve that finds no plan raises :class:`NoPlan`, which says why in planner words (for an
infeasible plan: which requirement, where, when, by how much). Periods are labels
(``2026-W49``) in every table and argument.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import sys
import time
from importlib import metadata
from pathlib import Path

from supplyopt.engines.explain import explain_infeasible
from supplyopt.engines.pyomo import PyomoEngine, compiled_lp
from supplyopt.engines.solver import HighsEngine, check_plan, highs_version, make_engine, scaling_report
from supplyopt.io.data import DataError, Problem, read_dataset
from supplyopt.io.extension import load_extension
from supplyopt.io.network import Network
from supplyopt.io.scenario import Scenario, apply_scenario, combine_scenarios, load_scenario, no_scenario_record
from supplyopt.io.validate import validate
from supplyopt.model import foresight, priority, reserves
from supplyopt.model.options import Options, load_options
from supplyopt.model.requirements import summary as requirement_summary
from supplyopt.model.statement import build_lp
from supplyopt.results.plan import Plan, build_plan, end_of_horizon, end_rule_warnings, end_stock_table
from supplyopt.results.quality import blend_warnings, quality_record
from supplyopt.version import __version__

EXIT_INFEASIBLE, EXIT_NO_PLAN = 3, 4
logger = logging.getLogger("supplyopt")


class NoPlan(Exception):
    """The solve ended without a plan. ``status``: infeasible, unbounded, no_plan (stopped
    before a feasible plan), error, or numerical (the solver's plan broke a requirement).
    ``explanation`` lists, in planner words, what makes the requirements impossible."""

    def __init__(self, status: str, message: str, explanation: list[str] | None = None, hint: str = ""):
        super().__init__(message)
        self.status = status
        self.message = message
        self.explanation = list(explanation or [])
        self.hint = hint

    @property
    def exit_code(self) -> int:
        return EXIT_INFEASIBLE if self.status == "infeasible" else EXIT_NO_PLAN

    def lines(self) -> list[str]:
        """The message, the explanation and the hint, as lines to print."""
        return [self.message, *(f"  {line}" for line in self.explanation), *([self.hint] if self.hint else [])]


# --------------------------------------------------------------------------- inputs
def load(path: str | Path, count_candidates: bool = False) -> Network:
    """Read and check a data set (folder or .xlsx). Raises :class:`DataError` listing every
    problem; warnings are kept on ``network.warnings``. ``count_candidates``: the checks that
    depend on which links exist count the candidates of candidates.csv as built (for the
    commands that may build them: evaluate, invest, frontier --with-candidates; see
    :func:`supplyopt.io.validate.validate`)."""
    net = validate(read_dataset(path), count_candidates=count_candidates)
    net.source = str(path)
    return net


def options(model: str | Path | Options | dict | None = None, **overrides) -> Options:
    """Run options from a profile path, an :class:`Options`, a dict of profile keys, or the
    defaults; ``overrides`` (``engine=``, ``time_limit_s=``, ``mip_gap=`` …; None ignored) on top."""
    if isinstance(model, Options):
        return _override(model, overrides)
    if isinstance(model, dict):
        return _override(load_options(None), {**model, **{k: v for k, v in overrides.items() if v is not None}})
    return load_options(model, **overrides)


def _override(opt: Options, overrides: dict) -> Options:
    overrides = {k: v for k, v in overrides.items() if v is not None}
    solver_keys = {f.name for f in dataclasses.fields(opt.solver)}
    model_keys = {f.name for f in dataclasses.fields(opt)} - {"solver"}
    unknown = set(overrides) - solver_keys - model_keys
    if unknown:
        raise DataError([Problem("options", f"unknown option; expected one of {', '.join(sorted(model_keys | solver_keys))}", column=k) for k in sorted(unknown)])
    solver = dataclasses.replace(opt.solver, **{k: v for k, v in overrides.items() if k in solver_keys})
    return dataclasses.replace(opt, solver=solver, **{k: v for k, v in overrides.items() if k in model_keys})


def dataset_record(net) -> dict:
    """summary.json's record of the data set read: its name, folder and every file's SHA-256."""
    return {"name": net.name, "path": getattr(net, "source", ""), "files_sha256": dict(net.file_hashes)}


def input_warnings(net) -> list[str]:
    """What was read as meant rather than as written (full-width digits, files not read …):
    part of every run's record, so that a --quiet or unattended run keeps it."""
    return [str(w) for w in net.warnings]


def scenario(spec, network: Network | None = None) -> Scenario | None:
    """A scenario from a path, a :class:`Scenario`, a dict (the YAML's content), or a list of
    these applied in order; None for none. Every file's problems are raised together; with the
    ``network`` they will be applied to, also where the well-formed part points at nothing (an
    unknown node beside a bad number, at once)."""
    try:
        return _scenario(spec)
    except DataError as err:
        partial = getattr(err, "partial", None)
        if network is None or partial is None or not partial.edits:
            raise
        try:
            apply_scenario(network, partial)
        except DataError as more:
            raise DataError(err.problems + err.warnings + more.problems) from None
        raise


def scenarios(specs, network: Network | None = None) -> list[Scenario | None]:
    """Each of ``specs`` as a scenario (:func:`scenario`; None stays None), the problems of
    every one raised together."""
    out, problems = [], []
    for spec in specs:
        try:
            out.append(scenario(spec, network))
        except DataError as err:
            problems += err.problems + err.warnings
    if problems:
        raise DataError(problems)
    return out


def _scenario(spec) -> Scenario | None:
    if spec is None:
        return None
    if isinstance(spec, Scenario):
        return spec
    if isinstance(spec, (str, Path)):
        return load_scenario(spec)
    if isinstance(spec, dict):
        return Scenario(str(spec.get("name", "scenario")), str(spec.get("description", "")), list(spec.get("edits", [])), "<dict>")
    parts, problems, partial = [], [], []
    for x in spec:  # every file read, its problems kept, before any is raised
        try:
            part = _scenario(x)
        except DataError as err:
            problems += err.problems + err.warnings
            part = getattr(err, "partial", None)
        if part is not None:
            (partial if problems else parts).append(part)
    if problems:
        err = DataError(problems)
        err.partial = combine_scenarios(parts + partial) if parts + partial else None
        raise err
    return combine_scenarios(parts) if parts else None


def extension_of(extend) -> tuple:
    """(the hook, summary.json's record of it: function, path, sha256, and what a fresh study or
    a worker process re-loads: (path, source text) for a file, so that a cluster worker need not
    see it) for a callable, a path, a (path, source) pair, or None. A bad file is an input error
    before any work."""
    if extend is None:
        return None, None, None
    spec = extend
    if isinstance(extend, tuple):
        path, text = extend
        extend = load_extension(path, text)
    elif isinstance(extend, (str, Path)):
        func = load_extension(extend)
        path, text = str(extend), Path(extend).read_text(encoding="utf-8")
        spec, extend = (path, text), func
    else:
        path, text = getattr(extend, "__module__", None), None
    record = {"function": getattr(extend, "__name__", "extra_functionality"), "path": path,
              "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest() if text is not None else None}
    return extend, record, spec


def _network(network) -> Network:
    return network if isinstance(network, Network) else load(network)


# --------------------------------------------------------------------------- solving
def solve(network, model=None, scenario=None, engine: str | None = None, extend=None, **solver) -> Plan:
    """Solve a data set (a :class:`Network` or a path) under a profile and optional scenario.

    ``model``: profile path, :class:`Options` or dict; ``scenario``: path, :class:`Scenario`,
    dict, or a list applied in order; ``engine``: highs (default) or pyomo; ``solver``:
    HiGHS settings (``time_limit_s``, ``threads``, ``method``, ``mip_gap`` …); ``extend``:
    ``extra_functionality(model, network, options)`` adding to the Pyomo model (or a path to a
    .py file defining it), which selects the Pyomo engine. Returns a :class:`Plan`; raises
    :class:`NoPlan` when there is none, :class:`DataError` for bad input.
    """
    study = Study(network, model=model, engine=engine, extend=extend, **solver)
    if scenario is not None:
        study.apply(scenario)
    return study.solve()


class Study:
    """One network and profile with a kept model: apply scenarios and re-solve warm.

    ``apply`` sets the scenario relative to the base network (not on top of the last one);
    ``solve`` rebuilds the LP from the edited network and, where only bounds, costs or
    coefficients changed, hands just those changes to the kept HiGHS model, which restarts
    from its last basis; where the shape changed (a variable or row appears or vanishes) the
    solver model is rebuilt. Either way the optimum is the cold one. ``stats`` counts both.
    """

    def __init__(self, network, model=None, engine: str | None = None, layers=(), extend=None, **solver):
        """``extend``: the one extension hook, ``extra_functionality(model, network, options)``
        (a callable, or a path to a .py file defining one), applied to the Pyomo view of the
        model in every solve of this study, and of every workflow built on it: sets, params,
        variables, constraints and cost parts (``engines.pyomo_view.add_cost``). Whatever it adds
        appears in the results by its component name (``study.lp``); summary.json records the
        file and its SHA-256.

        ``layers``: supplyopt's own additions to the statement (investment decisions,
        trainloads, the stability term of a weekly run), callables ``layer(lp, network,
        options)`` run after ``build_lp``; not a user hook."""
        self.layers = list(layers)
        self.base = _network(network)
        self.extend, self.extension, self._extend_spec = extension_of(extend)
        self.options = options(model, engine="pyomo" if self.extend is not None else engine, **solver)
        self.profile_path = str(model) if isinstance(model, (str, Path)) else None
        self.network = self.base
        self.scenario: Scenario | None = None
        self.lp = None
        self.engine = None
        self.solution = None  # the last solve's Solution (arrays in LP order)
        self.stats = {"builds": 0, "warm": 0}

    def fresh(self, network=None, **changes) -> Study:
        """A new study with this one's profile, layers and extension (a cold reference, a
        worker's own model); ``changes`` replace options."""
        opt = dataclasses.replace(self.options, **changes) if changes else self.options
        other = Study(self.base if network is None else network, model=opt, layers=self.layers, extend=self._extend_spec)
        other.profile_path = self.profile_path
        return other

    @property
    def extend_spec(self):
        """The extension as a worker process re-loads it: (path, source text), a callable, or None."""
        return self._extend_spec

    def apply(self, spec) -> Study:
        """Set the scenario (path, Scenario, dict, list, or None for the base network)."""
        self.scenario = scenario(spec, self.base)
        self.network = apply_scenario(self.base, self.scenario) if self.scenario else self.base
        return self

    def reset(self) -> Study:
        return self.apply(None)

    def solve(self, refine=None) -> Plan:
        """Solve the current network; a :class:`Plan`, or :class:`NoPlan` with the reason.

        Under ``foresight: surprise`` (the default) a scenario's edits are unknown until their
        ``known_from`` period: the base plan's decisions stand until then and the plan is
        re-optimised from each such period on (``foresight.py``).

        ``refine(engine, lp, solution) -> solution``: run on the kept engine after the solve and
        before the plan is built, for re-solves that change the engine directly (a budget kept
        exactly: ``engines.budget``); the plan is built once, from what it returns."""
        started = dt.datetime.now(dt.timezone.utc)
        net, opt = self.network, self.options
        log = [f"{_stamp(started)} supplyopt {__version__} solving {net.name}" + (f" under scenario {self.scenario.name}" if self.scenario else "")]
        timing = foresight.timings(self.base, self.scenario) if self.scenario else []
        replans: list[dict] = []
        fixes = ()
        if opt.foresight == "surprise" and any(t.known > 0 for t in timing):
            fixes, replans = self._replan_chain(timing, log)
        lp, sol, warm, build_s, stages, scale_warnings, ranges = self._optimise(net, log, fixes, refine)
        if self.scenario is None:
            self._remember_base(lp, sol)
        violations = check_plan(lp, sol.x)
        if violations:
            raise NoPlan(
                "numerical",
                "the solver's plan does not hold up (numerical trouble). It breaks:",
                violations[:10],
                "Try --method ipm, or check the units of very large or very small numbers in the data.",
            )
        warnings = scale_warnings + sol.warnings + end_rule_warnings(net, opt, lp, sol)
        log += [f"{_now()} warning: {w}" for w in warnings[len(scale_warnings) + len(sol.warnings):]]
        plan = build_plan(net, opt, lp, sol)
        plan.reserves = reserves.reserve_table(net, lp, sol)
        plan.end_stock = end_stock_table(net, opt, lp, sol)
        plan.summary = _summary(self, net, lp, sol, plan, build_s, warm)
        plan.summary["reserves_t"] = {k: float(v) for k, v in plan.reserves.groupby("kind", sort=True)["tonnes_t"].sum().items()}
        plan.summary["unmet_by_class_t"] = priority.unmet_by_class(plan.unmet)
        plan.summary["priority"] = {"order": [s["demand_class"] for s in stages], "stages": stages} if stages is not None else None
        plan.summary["end_of_horizon"] = end_of_horizon(opt, plan.end_stock)
        plan.summary["foresight"] = foresight.record(opt.foresight, self.base, timing, replans)
        plan.summary["numerics"] = {"ranges": {k: list(v) for k, v in ranges.items()}, "warnings": warnings, "notes": sol.notes}
        plan.summary["input_warnings"] = input_warnings(self.base)
        blends = blend_warnings(net)  # blend limits no grade can meet: why such a demand goes unmet
        if net.quality is not None:  # coal quality: only for a data set with quality.csv
            plan.summary["quality"] = quality_record(net, plan.quality, blends)
        log += [f"{_now()} warning: {w}" for w in blends]
        log.append(f"{_now()} foresight: {foresight.describe(plan.summary['foresight'])}")
        # what was read as meant rather than as written is part of the run's record, also under --quiet
        log += [f"{_now()} input warning: {w}" for w in self.base.warnings]
        log.append(f"{_now()} end of horizon: {opt.end_rule_words}")
        plan.log = log
        plan.warnings = warnings + blends
        for line in log:
            logger.info(line)
        return plan

    def _replan_chain(self, timing, log: list[str]):
        """Surprise: the plan up to each distinct ``known_from`` k is the previous plan's (the
        base plan's before the first), re-optimised from k with the edits known by then. The
        last re-plan is left to the caller (the reported plan): returns its ``fixes`` =
        (previous (LP, values), k) and the re-plans for summary.json."""
        known = sorted({t.known for t in timing})
        # the base plan is solved even when some edits are known from the first period: each
        # stage starts from its basis, so a chain's choice among equally cheap early plans (and
        # so its cost) is the same in a one-off solve, a kept Study and compare
        base = self._base_solution(log)
        previous = base if known[0] > 0 else None
        replans: list[dict] = []
        for k in known:
            part = foresight.known_by(self.scenario, timing, k)
            if previous is not None:
                log.append(f"{_now()} surprise: decisions before {self.base.periods[k]} are the "
                           f"{'base plan' if not replans else 're-plan from ' + replans[-1]['from']}'s; re-planning from {self.base.periods[k]} with {len(part.edits)} edit(s) known")
                replans.append({"from": self.base.periods[k], "edits_known": len(part.edits)})
            if k == known[-1]:
                return (previous, k), replans
            lp, sol = self._optimise(apply_scenario(self.base, part), log, (previous, k) if previous is not None else ())[:2]
            if previous is not None:
                replans[-1]["objective"] = sol.objective
            previous = (lp, sol.x)
        raise AssertionError("unreachable: the loop returns at the last known period")

    def _base_solution(self, log: list[str]):
        """(LP, plan values) of the base network under this study's options: solved once and
        kept, the plan every surprise starts from."""
        held = getattr(self, "_base", None)
        if held is None or held[0] is not self.options:
            log.append(f"{_now()} surprise: solving the base plan (no scenario), which stands until an edit becomes known")
            lp, sol = self._optimise(self.base, log, ())[:2]
            self._remember_base(lp, sol)
        return self._base[1], self._base[2]

    def _remember_base(self, lp, sol) -> None:
        """The base plan of these options, kept once: its values (where every surprise starts)
        and its basis (where every later solve starts, so that a case's plan does not depend
        on what was solved before it)."""
        held = getattr(self, "_base", None)
        if held is None or held[0] is not self.options:
            self._base = (self.options, lp, sol.x.copy(), self.engine.basis())

    def start_from_base(self) -> bool:
        """Make the base plan's basis the start of the kept engine's next solve (False where
        there is none for these options or it does not fit): a what-if changed directly on the
        engine (``screen``'s closed flows) then starts where every other case does, so its plan
        does not depend on which cases ran before it, and it starts close to its answer."""
        held = getattr(self, "_base", None)
        return held is not None and held[0] is self.options and self.engine is not None and self.engine.start_from(held[3])

    def _optimise(self, net: Network, log: list[str], fixes=(), refine=None):
        """Build the model of ``net``, hold the decisions ``fixes`` = (previous (LP, values),
        period) took before that period, and solve it on the kept engine (warm where only
        bounds, costs or coefficients changed). Returns (lp, solution, warm, build seconds,
        priority stages, scaling warnings, ranges); raises :class:`NoPlan`."""
        opt = self.options
        t0 = time.perf_counter()
        lp = self.statement(net, opt)
        pyomo = opt.engine == "pyomo" or self.extend is not None
        if self.extend is not None:
            log.append(f"{_now()} extension hook {getattr(self.extend, '__name__', 'extra_functionality')} given: using the Pyomo engine")
        fixed = foresight.fixings(lp, fixes[0][0], fixes[0][1], fixes[1]) if fixes else []
        foresight.fix_in_lp(lp, fixed)
        warm = self.engine is not None and (self.engine.update(lp, net) if isinstance(self.engine, PyomoEngine) else self.engine.update(lp))
        if warm:
            self.stats["warm"] += 1
        else:
            self.engine = make_engine(lp, opt, net.periods, net=net, extend=self.extend)
            self.stats["builds"] += 1
        lp = self.engine.lp  # the Pyomo engine's compiled model, with whatever the extension added
        ranges, scale_warnings = scaling_report(lp)
        self.lp = lp
        build_s = time.perf_counter() - t0
        # every solve after the base one starts from the base plan's basis, not from whatever
        # was solved last: a case's plan — and a surprise's chain of re-plans, whose cost
        # depends on which of several equally cheap plans came before — is the same in any
        # order of cases, warm or cold, on either engine
        self.start_from_base()
        stages = None
        if priority.active(net, opt):
            # a stage changes the objective and the class caps of the compiled arrays: on the Pyomo
            # engine those stages run on HiGHS holding the compiled model (the same LP)
            restage = (lambda m: HighsEngine(m, opt.solver)) if pyomo else (lambda m: make_engine(m, opt, net.periods))
            sol, staged, stages = priority.solve_in_order(self.engine.highs if pyomo else self.engine, lp, net, opt, restage)
            if pyomo:
                self.engine.highs = staged
                sol.engine = "pyomo"
            else:
                self.engine = staged
        else:
            sol = self.engine.solve()
        if refine is not None and sol.has_plan:
            sol = refine(self.engine, lp, sol)
        self.solution = sol
        how = "changed the kept model (warm start)" if warm else "built"
        parts = f" (Pyomo model {self.engine.build_s:.3f} s, compiled in {self.engine.compile_s:.3f} s)" if hasattr(self.engine, "compile_s") and not warm else ""
        log.append(f"{_now()} {how} [{sol.engine} engine]: {lp.n_cols} variables, {lp.n_rows} constraints in {build_s:.3f} s{parts}; "
                   f"solved ({sol.solver_status}, {sol.iterations} iterations) in {sol.solve_s:.3f} s"
                   + (f"; {sum(len(f[1]) for f in fixed):,} decisions before {net.periods[fixes[1]]} held at the earlier plan's" if fixes else ""))
        if getattr(self.engine, "method_reason", None) and not warm:
            log.append(f"{_now()} HiGHS method: {self.engine.method_reason}")
        if getattr(self.engine, "reform_note", "") and not warm:
            log.append(f"{_now()} reformulated: {self.engine.reform_note}")
        log += [f"{_now()} warning: {w}" for w in scale_warnings + sol.warnings]
        log += [f"{_now()} note: {n}" for n in sol.notes]
        if not sol.has_plan:
            err = _no_plan(net, opt, sol, self._relaxable(fixes))
            if fixes:
                err.explanation.insert(0, f"(foresight: surprise — the decisions before {net.periods[fixes[1]]} were already taken by the plan made without this scenario's "
                                          "later edits; --foresight perfect shows whether knowing earlier would have helped)")
            raise err
        return lp, sol, warm, build_s, stages, scale_warnings, ranges

    def statement(self, net: Network, opt: Options):
        """The model of ``net`` as one statement: ``model.build_lp`` and the layers on it — this
        study's own (investment decisions, trainloads …), capacity-reserve mines and reserve
        stock, demand classes in priority order (each a no-op where the data has none)."""
        lp = build_lp(net, opt)
        for layer in [*self.layers, reserves.reserve_families, priority.priority_rows]:
            layer(lp, net, opt)
        return lp

    def _relaxable(self, fixes=()):
        """The model explain.py relaxes: the statement (through the extended Pyomo view where
        an extension is given); under a surprise re-plan, with the decisions already taken held."""
        extend = self.extend

        def build(net, opt):
            lp = self.statement(net, opt)
            if fixes:
                foresight.fix_in_lp(lp, foresight.fixings(lp, fixes[0][0], fixes[0][1], fixes[1]))
            if extend is not None:
                lp = compiled_lp(net, opt, lp, extend)
            return lp

        return build


def _no_plan(net: Network, opt: Options, sol, build=None) -> NoPlan:
    if sol.status == "infeasible":

        return NoPlan("infeasible", sol.message, explain_infeasible(net, opt, build))
    hint = ""
    if sol.status == "no_plan" and opt.solver.time_limit_s is not None:
        hint = f"Raise the time limit (now {opt.solver.time_limit_s:g} s, --time-limit) or try --method ipm."
    return NoPlan(sol.status, f"{sol.message} (solver status: {sol.solver_status})", [], hint)


def _stamp(t: dt.datetime) -> str:
    return t.isoformat(timespec="seconds")


def _now() -> str:
    return _stamp(dt.datetime.now(dt.timezone.utc))


def _sha256(path: str | None) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None
    except OSError:
        return None


def versions() -> dict:
    """Versions of Python, supplyopt, the solver and the libraries that shape results."""
    out = {"python": sys.version.split()[0], "supplyopt": __version__, "solver": highs_version()}
    for pkg in ("highspy", "pyomo", "pandas", "numpy", "networkx", "pyyaml"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def _summary(study: Study, net: Network, lp, sol, plan: Plan, build_s: float, warm: bool) -> dict:
    """summary.json's content: headline figures, then everything needed to reproduce the run."""

    opt, k = study.options, plan.kpis

    return {
        "status": sol.status,
        "status_message": sol.message,
        "objective": k["objective"],
        "currency": net.currency,
        "language": net.language,
        "costs": k["costs"],
        "demand_t": k["demand_t"],
        "delivered_t": k["delivered_t"],
        "unmet_t": k["unmet_t"],
        "production_t": k["production_t"],
        "end_stock_t": k["end_stock_t"],
        "safety_shortfall_t": k["safety_shortfall_t"],
        "end_deficit_t": k["end_deficit_t"],
        "tkm": k["tkm"],
        "truck_share_tkm": k["truck_share_tkm"],
        "mine_truck_share": k["mine_truck_share"],
        "clean_share_tkm": k["clean_share_tkm"],
        "co2_t": k["co2_t"],
        "units": {
            "objective": f"{net.currency} over the horizon",
            "costs": f"{net.currency} over the horizon",
            "*_t": "tonnes over the horizon",
            "tkm": "tonne-kilometres over the horizon",
            "*_share*": "share 0–1",
            "co2_t": "tonnes of CO2 (tank-to-wheel, see modes)",
        },
        "dataset": {**dataset_record(study.base), "name": net.name},
        "periods": {"count": net.n_periods, "days": net.period_days, "first": net.periods[0], "last": net.periods[-1]},
        "profile": {"path": study.profile_path, "sha256": _sha256(study.profile_path)},
        "scenario": study.scenario.record() if study.scenario else no_scenario_record(),
        "extension": study.extension,
        "options": opt.to_dict(),
        "model": {
            "engine": sol.engine,
            "variables": lp.n_cols,
            "constraints": lp.n_rows,
            "nonzeros": lp.n_nonzeros,
            "integer_variables": int(lp.integrality().sum()),
            "variable_families": {n: f.size for n, f in lp.variables.items()},
            "constraint_families": {n: f.size for n, f in lp.constraints.items()},
        },
        "requirements": requirement_summary(lp),
        "solver": {
            "status": sol.solver_status,
            "iterations": sol.iterations,
            "objective": sol.objective,
            "warm_start": warm,
            "safety_rows_eliminated": study.engine.safety_rows_eliminated,
            "mip_gap": sol.mip_gap,
            "dual_bound": sol.dual_bound,
        },
        "build_s": build_s,
        "solve_s": sol.solve_s,
        "versions": versions(),
    }
