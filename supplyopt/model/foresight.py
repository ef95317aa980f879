"""What a plan knows, and when: ``foresight`` in the profile, ``--foresight`` on the command line.

``perfect``   every edit of a scenario is known from the first period: the LP over the whole
              horizon prepares for it (stocks up before a mine stops, …). Useful as the bound of
              what early warning could achieve; not what happens to a planner.
``surprise``  (default) an edit is unknown until its ``known_from`` period (scenario YAML; default:
              the edit's first period). Until then every decision is the base plan's; from then on
              the plan is re-optimised with the stocks actually reached. Edits known at different
              periods give a chain of re-plans, each keeping every decision before its period.

"A decision" is every variable with a period — production, shipments, unmet demand, reserves
called, whatever an extension adds — except the stock carried and the shortfalls measured on it
(``STATE_FAMILIES``): those follow from the decisions (stock[t] = stock[t−1] + in − out), so they
are left free, which also lets the solver absorb rounding in the fixed periods' balances.
Variables without a period (a build decision of ``invest``) are not fixed. The base plan is
solved with the same profile and end rule, so that with no scenario both modes give one plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from supplyopt.io.data import DataError, Problem
from supplyopt.io.network import Network
from supplyopt.io.scenario import Scenario, period_position
from supplyopt.io.validate import closest

MODES = ("surprise", "perfect")
# Design studies (evaluate, invest, frontier, bottlenecks) take a scenario as the condition the
# network must be built for, known from the start: a siding is not built in the week a storm hits
DESIGN_FORESIGHT = "perfect"
STATE_FAMILIES = ("stock", "safety_shortfall", "end_shortfall")


@dataclass(frozen=True)
class EditTiming:
    """When one edit acts (``first``: its first period, from 0) and when the plan learns of it
    (``known``); ``origin``: (file, ``edits[i]``)."""

    origin: tuple[str, str]
    what: str
    first: int
    known: int

    def record(self, periods: list[str]) -> dict:
        return {"file": self.origin[0], "edit": self.origin[1], "what": self.what, "first_period": periods[self.first], "known_from": periods[self.known]}


def first_period(net: Network, edit: dict) -> int:
    """The first period (from 0) an edit changes: the earliest of its ``periods``, else the
    first period of the horizon; an ``end_stock`` edit acts on the last period only."""
    if edit.get("what") == "end_stock":
        return net.n_periods - 1
    wanted = edit.get("periods")
    if wanted is None:
        return 0
    wanted = wanted if isinstance(wanted, list) else [wanted]
    found = [period_position(net, p) for p in wanted]
    return min(p for p in found if p is not None) if any(p is not None for p in found) else 0


def timings(net: Network, scenario: Scenario) -> list[EditTiming]:
    """Each edit's first period and ``known_from``. A ``known_from`` that is no period of the
    data set, or that comes after the edit's first period (the plan cannot be ignorant of an
    event while it happens: the base plan's decisions would break it), is an error; every
    such problem is reported at once."""
    origins = scenario.origins or [(scenario.path, f"edits[{i}]") for i in range(1, len(scenario.edits) + 1)]
    out, problems = [], []
    for edit, (label, where) in zip(scenario.edits, origins):
        first = first_period(net, edit)
        known = first
        if edit.get("known_from") is not None:
            k = period_position(net, edit["known_from"])
            if k is None:
                near = closest(str(edit["known_from"]), set(net.periods))
                hint = f" (did you mean {near!r}?)" if near else ""
                problems.append(Problem(label, f"unknown period{hint}; expected a label ({net.periods[0]} … {net.periods[-1]}) or a position 1–{net.n_periods}",
                                        column=f"{where}.known_from", value=edit["known_from"]))
                continue
            if k > first:
                problems.append(Problem(label, f"known_from {net.periods[k]} is after the edit's first period {net.periods[first]}; an event cannot be unknown while it "
                                        f"happens (the plan made without it would break it): expected {net.periods[first]} or earlier", column=f"{where}.known_from",
                                        value=edit["known_from"]))
                continue
            known = k
        out.append(EditTiming((label, where), str(edit.get("what")), first, known))
    if problems:
        raise DataError(problems)
    return out


def known_by(scenario: Scenario, timing: list[EditTiming], period: int) -> Scenario | None:
    """The part of the scenario known by ``period`` (edits in their order), None if none."""
    keep = [i for i, t in enumerate(timing) if t.known <= period]
    if not keep:
        return None
    origins = scenario.origins or [(scenario.path, f"edits[{i}]") for i in range(1, len(scenario.edits) + 1)]
    return Scenario(scenario.name, scenario.description, [scenario.edits[i] for i in keep], scenario.path, list(scenario.paths), dict(scenario.sha256), [origins[i] for i in keep])


def with_warning(scenario: Scenario, net: Network, weeks: int) -> Scenario:
    """The scenario with every edit known ``weeks`` periods earlier than it would be (at the
    first period at the earliest): the value of early warning."""
    edits = []
    for edit in scenario.edits:
        base = period_position(net, edit["known_from"]) if edit.get("known_from") is not None else first_period(net, edit)
        edits.append({**edit, "known_from": net.periods[max(0, (base if base is not None else 0) - weeks)]})
    return Scenario(scenario.name, scenario.description, edits, scenario.path, list(scenario.paths), dict(scenario.sha256), list(scenario.origins))


# --------------------------------------------------------------------------- fixing decisions
def fixings(lp, previous_lp, previous_x: np.ndarray, period: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(family, positions, values): every decision of ``lp`` in periods before ``period``,
    at its value in the previous plan (``previous_lp``, ``previous_x``), matched by key. A
    decision the previous model did not have was not taken: 0 (within its bounds)."""
    out = []
    for name, fam in lp.variables.items():
        if name in STATE_FAMILIES or "period" not in fam.keys or not fam.size:
            continue
        pos = np.flatnonzero(fam.index["period"].to_numpy() < period)
        if not len(pos):
            continue
        values = np.zeros(len(pos))
        prev = previous_lp.variables.get(name)
        if prev is not None and _same_index(prev, fam):  # the usual case (a re-plan, a screen window): no key matching
            values = previous_x[prev.start + pos]
        elif prev is not None and prev.size:
            had = prev.index[prev.keys].assign(_x=previous_x[prev.start : prev.start + prev.size])
            got = fam.index.iloc[pos][fam.keys].merge(had, on=fam.keys, how="left")["_x"].to_numpy(float)
            values = np.where(np.isnan(got), 0.0, got)
        out.append((name, pos, np.clip(values, fam.lower[pos], fam.upper[pos])))
    return out


def _same_index(a, b) -> bool:
    """Whether two variable families hold the same keys in the same order."""
    if a is b or a.index is b.index:
        return True
    return a.size == b.size and a.keys == b.keys and all(np.array_equal(a.index[k].to_numpy(), b.index[k].to_numpy()) for k in a.keys)


def fix_in_lp(lp, fixes) -> None:
    """Hold each fixed decision at its value (lower = upper) in the LP's bounds."""
    for name, pos, values in fixes:
        fam = lp.variables[name]
        fam.lower[pos] = values
        fam.upper[pos] = values


def fix_in_engine(engine, fixes) -> None:
    """The same on a kept engine, as bound changes (screen's windowed outages)."""
    for name, pos, values in fixes:
        if name in engine.lp.variables:
            engine.set_variable_bounds(name, pos, values, values)


def record(mode: str, net: Network, timing: list[EditTiming], stages: list[dict] | None = None) -> dict:
    """summary.json's ``foresight``: the mode, each edit's first period and known_from, and
    under surprise the chain of re-plans."""
    out = {"mode": mode, "edits": [t.record(net.periods) for t in timing]}
    if mode == "surprise":
        out["replans"] = stages or []
        out["fixed"] = "decisions (every variable with a period except stock, safety_shortfall and end_shortfall) before each re-plan's period"
    return out


def describe(summary_foresight: dict) -> str:
    """Which mode, and what it meant for this run, in one line (after "Foresight: ")."""
    mode = summary_foresight.get("mode")
    replans = summary_foresight.get("replans") or []
    edits = summary_foresight.get("edits") or []
    if not edits:
        return f"{mode} (no scenario: the base plan)"
    if mode == "perfect":
        return "perfect — every scenario edit known from the first period (the plan prepares for events it could not know; --foresight surprise for what would happen)"
    if not replans:
        return "surprise — every edit is known from the first period (known_from), so the plan is the same as under perfect foresight"
    steps = "; ".join(f"from {r['from']} ({r['edits_known']} edit(s) known)" for r in replans)
    return f"surprise — the base plan until the first edit became known, then re-planned {steps}"
