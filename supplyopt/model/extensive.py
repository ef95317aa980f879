"""Two-stage stochastic plans as one LP: the extensive form, built from each scenario's own
statement (``build_lp`` and the study's layers), never a second formulation.

First stage ("decide now"): every variable of a period up to ``--decide-until`` —
production, shipments, unmet demand, stock and its shortfalls, reserves called — and every
variable without a period (a build or contract decision). In the extensive form these
columns exist **once**, shared by all scenarios (non-anticipativity by construction, not by
equality rows), with the tightest of the scenarios' bounds. Second stage ("recourse"): the
rest, one copy per scenario. Every scenario keeps all its rows; a row of first-stage columns
only appears once per scenario (HiGHS's presolve removes the duplicates). The objective is
Σ_s p_s · cost_s, per cost part, plus the optional risk term.

Risk (:class:`Risk`): CVaR at level α of each scenario's cost or unmet tonnes, weighted by
``weight`` (no unit for cost; CNY per t for unmet), in the usual linear form
(Rockafellar and Uryasev 2000)::

    weight · ( η + 1/(1−α) · Σ_s p_s · u_s ),   u_s ≥ Z_s − η,  u_s ≥ 0

so that a planner can ask for the plan that also protects the worst (1−α) of the futures.

The expected-value problem (:func:`expected_value_lp`) is the deterministic LP whose data
are the probability-weighted means of the scenarios' (bounds, right-hand sides, costs,
coefficients), column and row matched by their labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from supplyopt.model.statement import LinearProgram

SHARED = "(all)"  # the scenario label of first-stage columns in the extensive form
RISK_FAMILIES = ("risk_threshold", "risk_excess")
INF = np.inf


@dataclass(frozen=True)
class Risk:
    """CVaR of ``measure`` (``cost``: CNY; ``unmet``: t) at ``level`` α in (0, 1),
    weighted by ``weight`` ≥ 0 in the objective."""

    measure: str = "cost"
    level: float = 0.9
    weight: float = 1.0

    def words(self) -> str:
        unit = "" if self.measure == "cost" else " CNY per t"
        return f"{self.weight:g}{unit} × CVaR{self.level:g} of {self.measure} (the mean of the worst {1 - self.level:.0%} of outcomes)"


@dataclass
class Extensive:
    """The extensive form and how each scenario's columns sit in it."""

    lp: LinearProgram
    names: list[str]
    probabilities: np.ndarray
    columns: list[np.ndarray]  # per scenario: its LP column j -> extensive-form column
    scenario_lps: list[LinearProgram]
    first_stage: dict[str, int] = field(default_factory=dict)  # family -> shared columns (the first n of the family)
    risk: Risk | None = None
    first_bounds: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # as built, before any fixing

    def scenario_x(self, x: np.ndarray, s: int) -> np.ndarray:
        """Scenario ``s``'s plan in its own LP's column order."""
        return x[self.columns[s]]


def first_stage_mask(lp: LinearProgram, last_period: int) -> dict[str, np.ndarray]:
    """Per variable family, True for the columns decided before the scenario is known:
    periods 0 … ``last_period``, and every column without a period."""
    out = {}
    for name, fam in lp.variables.items():
        if "period" in fam.keys:
            out[name] = fam.index["period"].to_numpy() <= last_period
        else:
            out[name] = np.ones(fam.size, bool)
    return out


def _key_frame(fam, positions: np.ndarray) -> pd.DataFrame:
    return fam.index.iloc[positions][fam.keys].reset_index(drop=True)


def _same_keys(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return len(a) == len(b) and list(a.columns) == list(b.columns) and all(np.array_equal(a[k].to_numpy(), b[k].to_numpy()) for k in a.columns)


def _union(frames: list[pd.DataFrame], keys: list[str]) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """The union of labelled rows (first occurrence kept, in order) and each frame's positions
    in it. Fast where every frame holds the same keys (the usual case: scenarios edit bounds)."""
    ref = frames[0]
    if all(_same_keys(f[keys], ref[keys]) for f in frames[1:]):
        return ref.reset_index(drop=True), [np.arange(len(ref))] * len(frames)
    union = pd.concat(frames, ignore_index=True).drop_duplicates(subset=keys, keep="first").reset_index(drop=True)
    look = union[keys].assign(_pos=np.arange(len(union)))
    positions = [f[keys].merge(look, on=keys, how="left")["_pos"].to_numpy(np.int64) if keys else np.zeros(len(f), np.int64) for f in frames]
    return union, positions


def extensive_form(lps: list[LinearProgram], names: list[str], probabilities, last_period: int, share: bool = True, risk: Risk | None = None) -> Extensive:
    """The extensive form of scenario LPs ``lps`` (one per name, probabilities summing to 1):
    first-stage columns shared when ``share`` (False: each scenario decides with hindsight,
    the wait-and-see problem), each family keyed by ``scenario`` first."""
    p = np.asarray(probabilities, float)
    ef = LinearProgram(f"{lps[0].name} (extensive form, {len(lps)} scenarios)")
    maps = [np.full(lp.n_cols, -1, np.int64) for lp in lps]
    masks = [first_stage_mask(lp, last_period) if share else {n: np.zeros(f.size, bool) for n, f in lp.variables.items()} for lp in lps]
    first_sizes = {}
    for name in _ordered({n for lp in lps for n in lp.variables}, lps, "variables"):
        held = [(s, lp.variables[name]) for s, lp in enumerate(lps) if name in lp.variables]
        fam0 = held[0][1]
        keys = fam0.keys
        pieces, lower, upper, owners = [], [], [], []
        # the first stage: one column per label, shared; its bounds the tightest of the scenarios'
        firsts = [(s, fam, np.flatnonzero(masks[s][name])) for s, fam in held]
        if any(len(pos) for _, _, pos in firsts):
            frames = [fam.index.iloc[pos].reset_index(drop=True) for _, fam, pos in firsts]
            union, where = _union(frames, keys)
            lo, up = np.full(len(union), -INF), np.full(len(union), INF)
            present = np.zeros(len(union), np.int64)
            for (s, fam, pos), w in zip(firsts, where):
                np.maximum.at(lo, w, fam.lower[pos])
                np.minimum.at(up, w, fam.upper[pos])
                np.add.at(present, w, 1)
                owners.append((s, pos, w))
            # a first-stage decision one scenario's model does not have cannot be taken in it,
            # so it cannot be taken at all (it is decided before the scenario is known)
            absent = present < len(lps)
            lo[absent], up[absent] = np.maximum(lo[absent], 0.0), np.minimum(up[absent], 0.0)
            pieces.append(union.assign(scenario=SHARED))
            lower.append(lo)
            upper.append(up)
        n_first = sum(len(x) for x in lower)
        first_sizes[name] = n_first
        offset = n_first
        seconds = []
        for s, fam in held:
            pos = np.flatnonzero(~masks[s][name])
            pieces.append(fam.index.iloc[pos].assign(scenario=names[s]))
            lower.append(fam.lower[pos])
            upper.append(fam.upper[pos])
            seconds.append((s, pos, offset + np.arange(len(pos))))
            offset += len(pos)
        index = pd.concat(pieces, ignore_index=True)
        index = index[["scenario", *[c for c in index.columns if c != "scenario"]]]
        out = ef.add_variables(name, fam0.meaning, ["scenario", *keys], index, np.concatenate(lower), np.concatenate(upper), fam0.integrality)
        for s, pos, w in owners:
            maps[s][lps[s].variables[name].start + pos] = out.start + w
        for s, pos, w in seconds:
            maps[s][lps[s].variables[name].start + pos] = out.start + w
    for name in _ordered({n for lp in lps for n in lp.constraints}, lps, "constraints"):
        held = [(s, lp.constraints[name]) for s, lp in enumerate(lps) if name in lp.constraints]
        con0 = held[0][1]
        index = pd.concat([c.index.assign(scenario=names[s]) for s, c in held], ignore_index=True)
        index = index[["scenario", *[c for c in index.columns if c != "scenario"]]]
        starts = np.cumsum([0] + [c.size for _, c in held])
        ef.add_constraints(name, con0.meaning, ["scenario", *con0.keys], index,
                           np.concatenate([c.rows + starts[i] for i, (_, c) in enumerate(held)]),
                           np.concatenate([maps[s][c.cols] for s, c in held]),
                           np.concatenate([c.coefs for _, c in held]),
                           np.concatenate([c.lower for _, c in held]), np.concatenate([c.upper for _, c in held]))
    for part in _ordered({k for lp in lps for k in lp.costs}, lps, "costs"):
        for s, lp in enumerate(lps):
            if part in lp.costs:
                cols, coefs = lp.costs[part]
                ef.add_cost(part, maps[s][cols], p[s] * coefs)
    if risk is not None:
        add_risk(ef, lps, maps, names, p, risk)
    bounds = {n: (ef.variables[n].lower[:k].copy(), ef.variables[n].upper[:k].copy()) for n, k in first_sizes.items()}
    return Extensive(ef, list(names), p, maps, lps, first_sizes, risk, bounds)


def _ordered(names: set, lps: list[LinearProgram], attr: str) -> list[str]:
    """Family names in the order the scenarios' statements hold them (first scenario first)."""
    out: list[str] = []
    for lp in lps:
        out += [n for n in getattr(lp, attr) if n in names and n not in out]
    return out


def measure_terms(lp: LinearProgram, measure: str) -> tuple[np.ndarray, np.ndarray]:
    """(columns, coefficients) of a scenario's cost (CNY, every cost part) or unmet tonnes."""
    if measure == "unmet":
        fam = lp.variables.get("unmet")
        return (fam.cols, np.ones(fam.size)) if fam is not None else (np.zeros(0, np.int64), np.zeros(0))
    parts = [lp.costs[k] for k in lp.costs]
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0)
    # a column may carry several cost parts (transport, carbon …): one coefficient each, as a
    # matrix row may hold a column only once
    cols, inverse = np.unique(np.concatenate([c for c, _ in parts]), return_inverse=True)
    return cols, np.bincount(inverse, weights=np.concatenate([v for _, v in parts]), minlength=len(cols))


def add_risk(ef: LinearProgram, lps, maps, names, p: np.ndarray, risk: Risk) -> None:
    """CVaR in linear form: η (``risk_threshold``), u_s ≥ Z_s − η (``risk_excess``)."""
    eta = ef.add_variables("risk_threshold", f"value at risk: the {risk.measure} the worst {1 - risk.level:.0%} of scenarios exceed (CVaR's threshold η)", [],
                           pd.DataFrame(index=[0]), -INF, INF)
    u = ef.add_variables("risk_excess", f"{risk.measure} of a scenario above the threshold η", ["scenario"], pd.DataFrame({"scenario": names}), 0.0, INF)
    rows, cols, coefs = [], [], []
    for s, lp in enumerate(lps):
        c, v = measure_terms(lp, risk.measure)
        rows += [np.full(len(c) + 2, s)]
        cols += [maps[s][c], [u.start + s, eta.start]]
        coefs += [-v, [1.0, 1.0]]
    ef.add_constraints("risk_excess_definition", f"risk_excess ≥ the scenario's {risk.measure} − risk_threshold", ["scenario"], pd.DataFrame({"scenario": names}),
                       np.concatenate(rows), np.concatenate([np.asarray(c, np.int64) for c in cols]), np.concatenate([np.asarray(c, float) for c in coefs]), 0.0, INF)
    ef.add_cost("risk", np.concatenate([[eta.start], u.cols]), np.concatenate([[risk.weight], risk.weight * p / (1.0 - risk.level)]))


def first_stage_plan(ext: Extensive, x: np.ndarray) -> dict[str, pd.DataFrame]:
    """The shared decisions of an extensive-form plan: per family, its labels and ``value``."""
    out = {}
    for name, n in ext.first_stage.items():
        fam = ext.lp.variables[name]
        if n:
            out[name] = fam.index.iloc[:n].drop(columns="scenario").reset_index(drop=True).assign(value=x[fam.start : fam.start + n])
    return out


def plan_of(lp: LinearProgram, x: np.ndarray, last_period: int) -> dict[str, pd.DataFrame]:
    """The first-stage decisions of a one-scenario plan (the expected-value plan)."""
    out = {}
    for name, mask in first_stage_mask(lp, last_period).items():
        fam = lp.variables[name]
        pos = np.flatnonzero(mask)
        if len(pos):
            out[name] = fam.index.iloc[pos].reset_index(drop=True).assign(value=x[fam.start + pos])
    return out


def fixed_first_stage(ext: Extensive, plan: dict[str, pd.DataFrame]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(family, positions, values): every shared column of ``ext`` at its value in ``plan``
    (matched by label, clipped to the column's bounds as built; a decision the plan lacks is 0)."""
    out = []
    for name, n in ext.first_stage.items():
        if not n:
            continue
        fam = ext.lp.variables[name]
        labels = fam.index.iloc[:n][[k for k in fam.keys if k != "scenario"]]
        given = plan.get(name)
        if given is None:
            values = np.zeros(n)
        else:
            keys = list(labels.columns)
            got = labels.merge(given[keys + ["value"]], on=keys, how="left")["value"].to_numpy(float) if keys else np.full(n, float(given["value"].iloc[0]))
            values = np.where(np.isnan(got), 0.0, got)
        lower, upper = ext.first_bounds[name]
        out.append((name, np.arange(n), np.clip(values, lower, upper)))
    return out


# --------------------------------------------------------------------------- expected value
def expected_value_lp(lps: list[LinearProgram], probabilities) -> LinearProgram:
    """The deterministic LP of the mean future: each column's bounds, each row's bounds and
    coefficients and each cost the probability-weighted mean over the scenarios, matched by
    label (a column a scenario lacks counts as fixed at 0 there; a row or cost a scenario lacks
    is averaged over the scenarios that have it). An infinite bound in any scenario stays
    infinite."""
    p = np.asarray(probabilities, float)
    ev = LinearProgram(f"{lps[0].name} (expected value)")
    maps = [np.full(lp.n_cols, -1, np.int64) for lp in lps]
    for name in _ordered({n for lp in lps for n in lp.variables}, lps, "variables"):
        held = [(s, lp.variables[name]) for s, lp in enumerate(lps) if name in lp.variables]
        fam0 = held[0][1]
        union, where = _union([f.index for _, f in held], fam0.keys)
        lo, up = np.zeros(len(union)), np.zeros(len(union))
        for (s, fam), w in zip(held, where):
            np.add.at(lo, w, p[s] * np.where(np.isfinite(fam.lower), fam.lower, 0.0))
            np.add.at(up, w, p[s] * np.where(np.isfinite(fam.upper), fam.upper, 0.0))
        for (s, fam), w in zip(held, where):
            lo[w[~np.isfinite(fam.lower)]] = -INF
            up[w[~np.isfinite(fam.upper)]] = INF
        out = ev.add_variables(name, fam0.meaning, fam0.keys, union, lo, up, fam0.integrality)
        for (s, fam), w in zip(held, where):
            maps[s][fam.start : fam.start + fam.size] = out.start + w
    for name in _ordered({n for lp in lps for n in lp.constraints}, lps, "constraints"):
        held = [(s, lp.constraints[name]) for s, lp in enumerate(lps) if name in lp.constraints]
        con0 = held[0][1]
        union, where = _union([c.index for _, c in held], con0.keys)
        weight = np.zeros(len(union))
        lo, up = np.zeros(len(union)), np.zeros(len(union))
        trip = []
        for (s, con), w in zip(held, where):
            np.add.at(weight, w, p[s])
            np.add.at(lo, w, p[s] * np.where(np.isfinite(con.lower), con.lower, 0.0))
            np.add.at(up, w, p[s] * np.where(np.isfinite(con.upper), con.upper, 0.0))
            trip.append(pd.DataFrame({"r": w[con.rows], "c": maps[s][con.cols], "v": p[s] * con.coefs}))
        lo, up = lo / weight, up / weight
        for (s, con), w in zip(held, where):
            lo[w[~np.isfinite(con.lower)]] = -INF
            up[w[~np.isfinite(con.upper)]] = INF
        t = pd.concat(trip, ignore_index=True).groupby(["r", "c"], sort=True)["v"].sum().reset_index()
        ev.add_constraints(name, con0.meaning, con0.keys, union, t["r"].to_numpy(np.int64), t["c"].to_numpy(np.int64),
                           t["v"].to_numpy(float) / weight[t["r"].to_numpy(np.int64)], lo, up)
    for part in _ordered({k for lp in lps for k in lp.costs}, lps, "costs"):
        c, share = np.zeros(ev.n_cols), np.zeros(ev.n_cols)
        for s, lp in enumerate(lps):
            if part in lp.costs:
                cols, coefs = lp.costs[part]
                np.add.at(c, maps[s][cols], p[s] * coefs)
                np.add.at(share, maps[s][cols], p[s])
        nz = np.flatnonzero(share > 0)
        ev.add_cost(part, nz, c[nz] / share[nz])
    return ev
