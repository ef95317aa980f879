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
from supplyopt.model.candidates import CandidateChoice, annuity_factor, candidate_table, horizon_days, requirement_closure, with_candidates
from supplyopt.model.foresight import DESIGN_FORESIGHT

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


def flows_moved(without, with_, tol_t: float = 0.5) -> pd.DataFrame:
    """Tonnes per link over the horizon that change (|change| > tol_t), largest first."""
    cols = ["link", "from", "to", "mode"]
    a = without.flows.groupby(cols, sort=True)["flow_t"].sum().rename("without_t")
    b = with_.flows.groupby(cols, sort=True)["flow_t"].sum().rename("with_t")
    both = pd.concat([a, b], axis=1).fillna(0.0).reset_index()
    both["change_t"] = both["with_t"] - both["without_t"]
    both = both[both["change_t"].abs() > tol_t]
    order = np.lexsort((both["link"].to_numpy(), -both["change_t"].abs().to_numpy()))
    return both.iloc[order].reset_index(drop=True)


# --------------------------------------------------------------------------- evaluate
@dataclass
class Evaluation:
    """One candidate with and without: comparison table, flows that move, economics."""

    candidate: str
    built: list[str]
    without: object  # Plan
    with_: object  # Plan
    table: pd.DataFrame
    moved: pd.DataFrame
    economics: dict

    def summary(self) -> dict:
        t = self.table.set_index("metric")
        return {
            **self.without.inputs(),
            "candidate": self.candidate,
            "built": self.built,
            "economics": self.economics,
            "without": t["without"].to_dict(),
            "with": t["with"].to_dict(),
            "change": t["change"].to_dict(),
            "flows_moved": len(self.moved),
            "units": "CNY, t, t·km over the horizon (without/with/change); economics per year where named",
        }

    def write(self, out_dir: str | Path) -> Path:
        """summary.json, comparison.csv, flows_moved.csv — atomically."""

        return write_folder(out_dir, {"summary.json": summary_json(self.summary()), "comparison.csv": csv_text(self.table), "flows_moved.csv": csv_text(self.moved)})


def evaluate(network, candidate: str, model=None, scenario=None, extend=None, **solver) -> Evaluation:
    """Solve with and without one candidate (builds fixed: two LPs on one kept model).

    What the candidate requires is built with it. Economics: operating savings over the
    horizon (operating cost = objective − investment part) × 365 / horizon_days = annual
    savings; payback_years = build_cost / (annual savings − fixed O&M); NPV = −build_cost +
    (annual savings − fixed O&M) × annuity factor (the candidate's rate and lifetime)."""

    net = network if isinstance(network, Network) else api.load(network)
    cands = candidate_table(net)
    if candidate not in set(cands["id"]):
        raise DataError([Problem("candidates.csv", f"unknown candidate{did_you_mean(candidate, set(cands['id']))}; expected one of {', '.join(cands['id'])}", column="id", value=candidate)])
    built = requirement_closure(cands, [candidate])
    choice = CandidateChoice(cands, fixed={})
    study = api.Study(with_candidates(net), model=model, layers=[choice], extend=extend, **{**solver, "foresight": DESIGN_FORESIGHT})
    if scenario is not None:
        study.apply(scenario)
    without = study.solve()
    choice.fixed = dict.fromkeys(built, 1.0)
    with_ = study.solve()
    table = comparison(headline(without), headline(with_))
    row = cands.set_index("id").loc[candidate]
    chosen = cands[cands["id"].isin(built)]
    moved = flows_moved(without, with_)
    econ = economics(net, chosen, headline(without), headline(with_), row["discount_rate"], row["lifetime_years"])
    econ |= carried(study.network, chosen, moved, econ)
    return Evaluation(candidate, built, without, with_, table, moved, econ)


def carried(net: Network, chosen: pd.DataFrame, moved: pd.DataFrame, econ: dict) -> dict:
    """Tonnes the built links take on over the horizon (change of flow on their target
    links), what arrives of them (× efficiency: coal equivalent for UHV), and the net cost
    per tonne arriving: (investment part − operating savings) / tonnes arriving, CNY per t
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
        "net_cost_cny_per_t_delivered": (horizon_invest - econ["operating_savings_cny"]) / arriving if arriving > 0 else None,
    }


def economics(net: Network, chosen: pd.DataFrame, without: dict, with_: dict, rate: float, years: float) -> dict:
    """Savings, payback and NPV of building ``chosen`` (see :func:`evaluate` for the formulas)."""
    scale = 365.0 / horizon_days(net)
    savings = without["operating_cny"] - with_["operating_cny"]
    annual = savings * scale
    build = float(chosen["build_cost_cny"].sum())
    om = float(chosen["fixed_om_cny_per_year"].sum())
    net_annual = annual - om
    return {
        "horizon_days": horizon_days(net),
        "year_scale": scale,
        "build_cost_cny": build,
        "fixed_om_cny_per_year": om,
        "annualised_cost_cny_per_year": float(chosen["annual_cost_cny"].sum()),
        "operating_savings_cny": savings,
        "annual_savings_cny": annual,
        "net_annual_savings_cny": net_annual,
        "payback_years": build / net_annual if net_annual > 0 else None,
        "npv_cny": -build + net_annual * annuity_factor(rate, years),
        "discount_rate": float(rate),
        "lifetime_years": float(years),
        "truck_tkm_removed_per_year": (without["truck_tkm"] - with_["truck_tkm"]) * scale,
        "co2_t_removed_per_year": (without["co2_t"] - with_["co2_t"]) * scale,
    }


# --------------------------------------------------------------------------- terminal
def money_text(v) -> str:
    return "—" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:,.0f}"


def comparison_text(table: pd.DataFrame) -> str:
    shown = table[(table[["without", "with"]].abs().sum(axis=1) > 0)]
    lines = [f"  {'':<22}{'without':>16}{'with':>16}{'change':>16}"]
    for m, a, b, c in zip(shown["metric"], shown["without"], shown["with"], shown["change"]):
        fmt = (lambda v: f"{v:.1%}") if "share" in m else (lambda v: f"{v:,.1f}") if m == "co2_t" else (lambda v: f"{v:,.0f}")
        lines.append(f"  {m:<22}{fmt(a):>16}{fmt(b):>16}{fmt(c):>16}")
    return "\n".join(lines)


def format_evaluation(ev: Evaluation) -> str:
    e = ev.economics
    lines = [f"Candidate {ev.candidate}" + (f" (built with {', '.join(c for c in ev.built if c != ev.candidate)})" if len(ev.built) > 1 else ""),
             "Over the horizon (CNY, t, t·km):", comparison_text(ev.table), "",
             f"Per year (horizon {e['horizon_days']:g} days × {e['year_scale']:.3f}):",
             f"  operating savings        {money_text(e['annual_savings_cny'])} CNY/yr (fixed O&M {money_text(e['fixed_om_cny_per_year'])})",
             f"  build cost               {money_text(e['build_cost_cny'])} CNY; annualised {money_text(e['annualised_cost_cny_per_year'])} CNY/yr",
             f"  payback                  {'never' if e['payback_years'] is None else format(e['payback_years'], '.1f') + ' years'}",
             f"  NPV                      {money_text(e['npv_cny'])} CNY ({e['lifetime_years']:g} years at {e['discount_rate']:.1%})",
             f"  truck t·km removed       {money_text(e['truck_tkm_removed_per_year'])} per year; CO2 {e['co2_t_removed_per_year']:,.0f} t per year"]
    if e.get("net_cost_cny_per_t_delivered") is not None:
        lines.append(f"  carried                  {money_text(e['candidate_links_added_t'])} t more on the candidate link(s) over the horizon, "
                     f"{money_text(e['candidate_links_delivered_added_t'])} t arriving; net cost {e['net_cost_cny_per_t_delivered']:,.2f} CNY per t arriving "
                     "(investment − operating savings)")
    if len(ev.moved):
        lines += ["", "Flows that move (t over the horizon, largest first):"]
        for r in ev.moved.head(8).itertuples():
            lines.append(f"  {r.link:<40} {r.mode:<9}{r.without_t:>14,.0f} → {r.with_t:>12,.0f}  ({r.change_t:+,.0f})")
    return "\n".join(lines)
