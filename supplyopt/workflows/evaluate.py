"""One candidate with and without: two LPs on one kept model (the build decision fixed to 0,
then to 1), the comparison, the flows that move and the economics."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from supplyopt import study as api
from supplyopt.io.data import DataError, Problem
from supplyopt.io.network import Network
from supplyopt.io.validate import did_you_mean
from supplyopt.io.write import csv_text, summary_json, write_folder
from supplyopt.model.candidates import CandidateChoice, candidate_table, horizon_days, requirement_closure, with_candidates, year_basis
from supplyopt.model.foresight import DESIGN_FORESIGHT
from supplyopt.workflows.economics import (ROW_COLUMNS, Valuation, attribution, delivered, economics_rows, economics_text, measures, number_text, open_days,
                                           per_tce, saved, summary_of, years_text)

# --------------------------------------------------------------------------- comparing plans
def headline(plan) -> dict:
    """The figures compared between plans (horizon totals; CNY, t, t·km, share 0–1)."""
    k = plan.kpis
    costs = dict(k["costs"])
    invest = costs.get("investment", 0.0)
    truck_share = k["truck_share_tkm"] or 0.0
    return {
        "objective_cny": k["objective"],
        **{f"{name}_cny": v for name, v in costs.items()},
        "operating_cny": k["objective"] - invest,
        "delivered_t": k["delivered_t"],
        "unmet_t": k["unmet_t"],
        "tkm": k["tkm"],
        "truck_tkm": truck_share * k["tkm"],
        "mine_truck_share": k["mine_truck_share"] or 0.0,
        "co2_t": k["co2_t"],
    }


def comparison(without: dict, with_: dict) -> pd.DataFrame:
    """metric, without, with, change (with − without)."""
    names = list(dict.fromkeys(list(without) + list(with_)))
    a = np.array([without.get(n, 0.0) for n in names], float)
    b = np.array([with_.get(n, 0.0) for n in names], float)
    return pd.DataFrame({"metric": names, "without": a, "with": b, "change": b - a})


FLOW_TOLERANCE_T = 0.5  # t over the horizon: below this a change of flow is solver noise
FLOW_TOLERANCE_SHARE = 1e-6  # of the larger plan's total flow: the same, relative, for big networks


def flow_tolerance_t(without, with_) -> float:
    """The smallest change of flow on a link (t over the horizon) that counts as moved:
    max(FLOW_TOLERANCE_T, FLOW_TOLERANCE_SHARE × total flow of the larger plan)."""
    total = max(float(without.flows["flow_t"].sum()), float(with_.flows["flow_t"].sum()))
    return max(FLOW_TOLERANCE_T, FLOW_TOLERANCE_SHARE * total)


def flows_moved(without, with_, tol_t: float | None = None) -> pd.DataFrame:
    """Tonnes per link over the horizon that change by more than ``tol_t`` (default
    :func:`flow_tolerance_t`): link, from, to, mode, without_t, with_t, change_t. Largest
    change first; changes equal to the tonne, and ties, in link id order, so that every run
    lists the same rows in the same order. Magnitudes below 1e-9 t are written as 0 (no "-0")."""
    tol_t = flow_tolerance_t(without, with_) if tol_t is None else tol_t
    cols = ["link", "from", "to", "mode"]
    a = without.flows.groupby(cols, sort=True)["flow_t"].sum().rename("without_t")
    b = with_.flows.groupby(cols, sort=True)["flow_t"].sum().rename("with_t")
    both = pd.concat([a, b], axis=1).fillna(0.0).reset_index()
    both["change_t"] = both["with_t"] - both["without_t"]
    for col in ("without_t", "with_t", "change_t"):
        v = both[col].to_numpy(float)
        both[col] = np.where(np.abs(v) < 1e-9, 0.0, v)
    both = both[both["change_t"].abs() > tol_t]
    order = np.lexsort((both["link"].to_numpy(), -np.round(both["change_t"].abs().to_numpy())))
    return both.iloc[order].reset_index(drop=True)


# --------------------------------------------------------------------------- evaluate
@dataclass
class Evaluation:
    """One candidate with and without: comparison table, flows that move, the economics
    table (``rows``: one row per candidate built, plus the bundle's total where it needs
    others; :mod:`supplyopt.workflows.economics`), its summary ``economics`` (the bundle's
    figures) and what the candidate links carry (``delivery``, per year and per tce)."""

    candidate: str
    built: list[str]
    without: object  # Plan
    with_: object  # Plan
    table: pd.DataFrame
    moved: pd.DataFrame
    economics: dict
    rows: pd.DataFrame | None = None
    delivery: dict | None = None
    valuation: Valuation | None = None
    basis: dict | None = None  # candidates.year_basis: the horizon and whether it is a year

    def summary(self) -> dict:
        t = self.table.set_index("metric")
        return {
            **self.without.inputs(),
            "year_basis": self.basis,
            "candidate": self.candidate,
            "built": self.built,
            "economics": self.economics,
            "economics_table": [summary_of(r) for _, r in self.rows.iterrows()] if self.rows is not None else [],
            "delivery": self.delivery or {},
            "valuation": (self.valuation or Valuation()).record(),
            "without": t["without"].to_dict(),
            "with": t["with"].to_dict(),
            "change": t["change"].to_dict(),
            "flows_moved": len(self.moved),
            "flows_moved_tolerance_t": flow_tolerance_t(self.without, self.with_),  # changes at or below it are not listed
            "units": "CNY, t, t·km over the horizon (without/with/change); economics per year once open where named, NPVs at the horizon's start",
        }

    def files(self) -> dict:
        return {"summary.json": summary_json(self.summary()), "comparison.csv": csv_text(self.table), "flows_moved.csv": csv_text(self.moved),
                "economics.csv": csv_text(self.rows if self.rows is not None else pd.DataFrame(columns=ROW_COLUMNS))}

    def write(self, out_dir: str | Path) -> Path:
        """summary.json, comparison.csv, flows_moved.csv, economics.csv — atomically."""

        return write_folder(out_dir, self.files())


def evaluate(network, candidate: str, model=None, scenario=None, extend=None, valuation: Valuation | None = None, **solver) -> Evaluation:
    """Solve with and without one candidate (builds fixed: two LPs on one kept model).

    What the candidate requires is built with it. The economics (cash and social cases, one
    timing: :mod:`supplyopt.workflows.economics`) value the horizon's savings per year once
    open, at ``valuation``'s carbon price and truck payload."""

    net = network if isinstance(network, Network) else api.load(network, count_candidates=True)
    cands = candidate_table(net)
    study, choice = kept_study(net, cands, [candidate], model, scenario, extend, solver)
    return with_candidate(study, choice, net, cands, candidate, study.solve(), valuation)


def kept_study(net: Network, cands: pd.DataFrame, ids: list[str], model, scenario, extend, solver):
    """The LP study every evaluation re-solves (builds fixed, nothing built yet) and its
    CandidateChoice; unknown ids are a DataError."""
    for candidate in ids:
        if candidate not in set(cands["id"]):
            raise DataError([Problem("candidates.csv", f"unknown candidate{did_you_mean(candidate, set(cands['id']))}; expected one of {', '.join(cands['id'])}", column="id", value=candidate)])
    choice = CandidateChoice(cands, fixed={})
    study = api.Study(with_candidates(net), model=model, layers=[choice], extend=extend, **{**solver, "foresight": DESIGN_FORESIGHT})
    if scenario is not None:
        study.apply(scenario)
    return study, choice


def with_candidate(study, choice, net: Network, cands: pd.DataFrame, candidate: str, without, valuation: Valuation | None = None) -> Evaluation:
    """Re-solve ``study`` (warm) with ``candidate`` and what it requires built and compare
    with ``without`` (its plan with nothing built)."""
    valuation = valuation or Valuation()
    built = requirement_closure(cands, [candidate])
    choice.fixed = dict.fromkeys(built, 1.0)
    with_ = study.solve()
    table = comparison(headline(without), headline(with_))
    chosen = cands[cands["id"].isin(built)]
    moved = flows_moved(without, with_)
    savings = saved(measures(without), measures(with_))
    rows = economics_rows(net, chosen, savings, valuation,
                          basis="with against without" + (f" (with {', '.join(c for c in built if c != candidate)}, which it requires)" if len(built) > 1 else ""),
                          name=f"{candidate} (bundle)" if len(built) > 1 else candidate)
    total = rows.iloc[-1]
    delivery = per_tce(total, delivered(study.network, chosen, without, with_, year_factor(net, chosen)))
    econ = economics(net, chosen, headline(without), headline(with_), total)
    econ |= carried(study.network, chosen, moved, econ)
    return Evaluation(candidate, built, without, with_, table, moved, econ, rows, delivery, valuation, year_basis(net))


def year_factor(net: Network, members: pd.DataFrame) -> float:
    """The bundle's horizon → per year once open factor: Σ members' share × 365 / their open days."""
    return float((attribution(net, members) * 365.0 / open_days(net, members)).sum())


def carried(net: Network, chosen: pd.DataFrame, moved: pd.DataFrame, econ: dict) -> dict:
    """Tonnes the built links take on over the horizon (change of flow on their target
    links), what arrives of them (× efficiency: coal equivalent for UHV), and the net cost
    per tonne arriving: (investment part − cash savings) / tonnes arriving, CNY per t
    (negative: saves money per tonne). Empty for storage-only candidates."""
    links = set(chosen.loc[chosen["family"] == "link", "target"])
    if not links:
        return {}
    eff = net.links.set_index("id")["efficiency"]
    hit = moved[moved["link"].isin(links)]
    entering = float(hit["change_t"].sum())
    arriving = float((hit["change_t"] * hit["link"].map(eff)).sum())
    horizon_invest = float(chosen["horizon_cost_cny"].sum())
    return {
        "candidate_links_added_t": entering,
        "candidate_links_delivered_added_t": arriving,
        "net_cost_cny_per_t_delivered": (horizon_invest - econ["cash_savings_cny"]) / arriving if arriving > 0 else None,
    }


def economics(net: Network, chosen: pd.DataFrame, without: dict, with_: dict, total: pd.Series) -> dict:
    """The bundle's figures (its row of the economics table, ``total``) with the horizon's
    savings: ``annual_savings_cny`` is the cash savings per year once open, ``npv_cny`` the
    cash NPV, ``payback_years`` the simple payback from opening (see
    :mod:`supplyopt.workflows.economics`); ``operating_savings_cny`` is the objective's
    change less the investment part (penalties and weights included: not cash)."""
    return {
        "horizon_days": horizon_days(net),
        "year_scale": 365.0 / horizon_days(net),
        "build_cost_cny": float(chosen["build_cost_cny"].sum()),
        "fixed_om_cny_per_year": float(chosen["fixed_om_cny_per_year"].sum()),
        "annualised_cost_cny_per_year": float(chosen["annual_cost_cny"].sum()),
        "operating_savings_cny": without["operating_cny"] - with_["operating_cny"],
        "cash_savings_cny": float(total["cash_savings_cny_per_year"]) / year_factor(net, chosen),
        "annual_savings_cny": float(total["cash_savings_cny_per_year"]),
        "net_annual_savings_cny": float(total["cash_savings_cny_per_year"] - total["fixed_om_cny_per_year"]),
        "external_savings_cny_per_year": float(total["external_savings_cny_per_year"]),
        "service_value_cny_per_year": float(total["service_value_cny_per_year"]),
        "payback_years": none_if_nan(total["simple_payback_years"]),
        "discounted_payback_years": none_if_nan(total["discounted_payback_years"]),
        "npv_cny": float(total["cash_npv_cny"]),
        "social_npv_cny": float(total["social_npv_cny"]),
        "opens": total["opens"],
        "discount_rate": float(chosen["discount_rate"].iloc[0]) if len(chosen) == 1 else None,
        "lifetime_years": float(chosen["lifetime_years"].iloc[0]) if len(chosen) == 1 else None,
        "truck_trips_removed_per_year": float(total["truck_trips_removed_per_year"]),
        "truck_tkm_removed_per_year": float(total["truck_tkm_removed_per_year"]),
        "co2_t_removed_per_year": float(total["co2_t_avoided_per_year"]),
    }


# --------------------------------------------------------------------------- coal by wire against rail
@dataclass
class Against:
    """Two candidates evaluated on one kept study (one plan with nothing built), side by side
    per tonne and per tce arriving on the candidate links."""

    first: Evaluation
    second: Evaluation
    table: pd.DataFrame  # metric, unit, <first>, <second>

    def summary(self) -> dict:
        return {**self.first.without.inputs(), "year_basis": self.first.basis, "candidates": [self.first.candidate, self.second.candidate],
                "against": {r.metric: {"unit": r.unit, self.first.candidate: none_if_nan(r.first), self.second.candidate: none_if_nan(r.second)} for r in self.table.itertuples()},
                "evaluations": {e.candidate: {k: v for k, v in e.summary().items() if k not in ("data_set", "model", "dataset")} for e in (self.first, self.second)},
                "units": "per year once open; per t and per tce arriving on the candidate links (tce = t × calorific_kcal_per_kg / 7,000, quality.csv)"}

    def write(self, out_dir: str | Path) -> Path:
        """summary.json, against.csv, economics.csv (both), and each evaluation's files in a
        folder named after its candidate — atomically."""
        files = {"summary.json": summary_json(self.summary()), "against.csv": csv_text(self.table.rename(columns={"first": self.first.candidate, "second": self.second.candidate})),
                 "economics.csv": csv_text(pd.concat([self.first.rows, self.second.rows], ignore_index=True))}
        for e in (self.first, self.second):
            files |= {f"{e.candidate}/{name}": text for name, text in e.files().items() if name != "summary.json"}
        return write_folder(out_dir, files)


AGAINST_ROWS = [  # metric, unit, where: "row" (economics total row) or "delivery"
    ("capacity entering", "t/yr", "delivery", "capacity_t_per_year"), ("capacity arriving", "tce/yr", "delivery", "capacity_tce_per_year"),
    ("carried entering", "t/yr", "delivery", "entering_t_per_year"), ("carried arriving", "t/yr", "delivery", "arriving_t_per_year"),
    ("carried arriving", "tce/yr", "delivery", "arriving_tce_per_year"), ("line loss (produced, not delivered)", "t/yr", "delivery", "loss_t_per_year"),
    ("line loss", "tce/yr", "delivery", "loss_tce_per_year"), ("calorific value (carried, else grades allowed)", "kcal/kg", "delivery", "mix_kcal_per_kg"),
    ("carried without a calorific value", "t/yr", "delivery", "without_calorific_t_per_year"),
    ("build cost", "CNY", "row", "build_cost_cny"), ("annualised cost incl. O&M", "CNY/yr", "row", "annualised_cost_cny_per_year"),
    ("cash savings", "CNY/yr", "row", "cash_savings_cny_per_year"), ("external savings", "CNY/yr", "row", "external_savings_cny_per_year"),
    ("cash cost per tce arriving", "CNY/tce", "delivery", "cash_cost_cny_per_tce"), ("social cost per tce arriving", "CNY/tce", "delivery", "social_cost_cny_per_tce"),
    ("cash cost per t arriving", "CNY/t", "delivery", "cash_cost_cny_per_t"), ("CO2 change per tce arriving", "kg/tce", "delivery", "co2_kg_per_tce"),
    ("CO2 avoided", "t/yr", "row", "co2_t_avoided_per_year"), ("truck trips removed", "/yr", "row", "truck_trips_removed_per_year"),
    ("cash NPV", "CNY", "row", "cash_npv_cny"), ("social NPV", "CNY", "row", "social_npv_cny"),
    ("payback simple", "years", "row", "simple_payback_years"), ("payback discounted", "years", "row", "discounted_payback_years"),
]


def none_if_nan(v):
    return None if v is None or (isinstance(v, float) and not np.isfinite(v)) else float(v) if isinstance(v, np.floating) else v


def against(network, candidate: str, other: str, model=None, scenario=None, extend=None, valuation: Valuation | None = None, **solver) -> Against:
    """``candidate`` against ``other`` (e.g. a UHV line against a rail upgrade): three LPs on
    one kept model (nothing built, then each with what it requires), side by side."""
    net = network if isinstance(network, Network) else api.load(network, count_candidates=True)
    cands = candidate_table(net)
    study, choice = kept_study(net, cands, [candidate, other], model, scenario, extend, solver)
    without = study.solve()
    first = with_candidate(study, choice, net, cands, candidate, without, valuation)
    second = with_candidate(study, choice, net, cands, other, without, valuation)

    def value(ev, where, key):
        v = ev.rows.iloc[-1].get(key) if where == "row" else (ev.delivery or {}).get(key)
        return np.nan if v is None else float(v)

    table = pd.DataFrame([{"metric": m, "unit": u, "first": value(first, w, k), "second": value(second, w, k)} for m, u, w, k in AGAINST_ROWS])
    return Against(first, second, table)


# --------------------------------------------------------------------------- terminal
def money_text(v) -> str:
    """Whole CNY with thousands separators, never "-0"; "—" for None."""
    return number_text(v)


def comparison_text(table: pd.DataFrame) -> str:
    shown = table[(table[["without", "with"]].abs().sum(axis=1) > 0)]
    lines = [f"  {'':<22}{'without':>19}{'with':>19}{'change':>19}"]
    for m, a, b, c in zip(shown["metric"], shown["without"], shown["with"], shown["change"]):
        fmt = (lambda v: number_text(100 * v, 1) + "%") if "share" in m else (lambda v: number_text(v, 1)) if m == "co2_t" else number_text
        lines.append(f"  {m:<22}{fmt(a):>19}{fmt(b):>19}{fmt(c):>19}")
    return "\n".join(lines)


def delivery_text(ev: Evaluation) -> str:
    d = ev.delivery or {}
    if not d:
        return ""
    tce = "" if d.get("arriving_tce_per_year") is None else f", {number_text(d['arriving_tce_per_year'])} tce"
    per = f"{number_text(d['cash_cost_cny_per_tce'], 2)} CNY per tce" if d.get("cash_cost_cny_per_tce") is not None else \
        f"{number_text(d.get('cash_cost_cny_per_t'), 2)} CNY per t"
    return (f"  carried: {number_text(d['entering_t_per_year'])} t/yr more entering the candidate link(s), {number_text(d['arriving_t_per_year'])} t arriving{tce}; "
            f"cash cost {per} arriving (annualised cost − cash savings)")


def format_evaluation(ev: Evaluation) -> str:
    e = ev.economics
    lines = [f"Candidate {ev.candidate}" + (f" (built with {', '.join(c for c in ev.built if c != ev.candidate)})" if len(ev.built) > 1 else ""),
             "Over the horizon (CNY, t, t·km):", comparison_text(ev.table), "",
             f"Economics (horizon {e['horizon_days']:g} days; per year once open, from the days each candidate is open):",
             economics_text(ev.rows, ev.valuation or Valuation())]
    if ev.delivery:
        lines.append(delivery_text(ev))
    if ev.basis and ev.basis["warning"]:
        lines += ["", f"Warning: {ev.basis['warning']}"]
    if len(ev.moved):
        lines += ["", f"Flows that move (t over the horizon, largest first; changes above {number_text(flow_tolerance_t(ev.without, ev.with_), 1)} t):"]
        for r in ev.moved.head(8).itertuples():
            lines.append(f"  {r.link:<40} {r.mode:<9}{number_text(r.without_t):>14} → {number_text(r.with_t):>12}  ({'+' if r.change_t > 0 else ''}{number_text(r.change_t)})")
    return "\n".join(lines)


def format_against(ag: Against) -> str:
    a, b = ag.first.candidate, ag.second.candidate
    w = max(18, len(a) + 2, len(b) + 2)
    lines = [f"{a} against {b} (per year once open; tce = t × kcal/kg ÷ 7,000 from quality.csv)",
             f"  {'':<48}{'unit':<9}{a:>{w}}{b:>{w}}"]
    for r in ag.table.itertuples():
        decimals = 2 if "per t" in r.metric or r.unit in ("kg/tce",) else 1 if r.unit == "years" else 0
        show = years_text if r.unit == "years" else (lambda v: number_text(v, decimals))
        lines.append(f"  {r.metric:<48}{r.unit:<9}{show(r.first):>{w}}{show(r.second):>{w}}")
    lines += ["", "Economics table:", economics_text(pd.concat([ag.first.rows, ag.second.rows], ignore_index=True), ag.first.valuation or Valuation())]
    if ag.first.basis and ag.first.basis["warning"]:
        lines += ["", f"Warning: {ag.first.basis['warning']}"]
    return "\n".join(lines)
