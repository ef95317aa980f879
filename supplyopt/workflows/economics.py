"""The economics of investment candidates, one row per candidate, in two cases on one basis.

**Cash case**: the costs a logistics operator actually pays (:data:`CASH_PARTS`: production,
transport, holding and the reserve costs) saved per year, less fixed O&M, against the build
cost. **Social case**: cash plus the externalities avoided — the truck externality (the
profile's ``truck_penalty`` part: a weight on truck t·km, never cash) and carbon, valued as
CO2 avoided (from the plans' ``co2_t``) × a stated price (:class:`Valuation`), never from the
objective's ``carbon`` part, so a profile that already prices carbon is not counted twice.
Penalties for service (:data:`SERVICE_PARTS`: unmet demand, safety stock, end stock) avoided
are reported apart as *service value* and counted in neither case; cost parts an extension
adds are reported as *other* and not counted either.

**One timing.** Year 0 is the start of the horizon (its first period). A candidate opens at
its ``earliest_period``: t_open = periods before it × period_days / 365 years. Its build cost
is paid when it opens, and each year after it, for its lifetime n at its own rate r, it
saves S a year and pays O&M:

    NPV = (1 + r)^−t_open × (−build + (S − O&M) × (1 − (1 + r)^−n) / r)

S is the horizon's savings annualised over the days the candidate is open
(× 365 / open days): before it opens the plan is the same with and without it. Payback is
counted from the year it opens, on the same flows: simple = build / (S − O&M); discounted =
the k at which −build + (S − O&M) × (1 − (1 + r)^−k) / r reaches 0; none within the lifetime
is "never". A candidate built with what it ``requires`` is a bundle: each member keeps its
own build year, rate, lifetime, cost and O&M; the bundle's savings (measured together) are
attributed to the members in proportion to the investment part each carries in the plan
(annualised cost × open days / 365), each share annualised over that member's own open days,
so the shares add up to the bundle's savings over the horizon and the bundle's NPV is the sum
of its members' NPVs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from supplyopt import study as api
from supplyopt.io.data import STANDARD_COAL_KCAL_PER_KG
from supplyopt.io.network import Network
from supplyopt.model.candidates import requirement_closure

CASH_PARTS = ("production", "transport", "holding", "reserve_production", "reserve_callup", "reserve_release")
SERVICE_PARTS = ("unmet_penalty", "safety_penalty", "end_stock_penalty")
TRUCK_PART = "truck_penalty"
UNCOUNTED_PARTS = ("carbon", "investment")  # carbon is valued from co2_t; investment is the candidates' own cost

# China's national ETS (power sector): average secondary-market allowance price in 2024,
# CNY 95.96 per t CO2 (ICAP, "China National ETS" factsheet, icapcarbonaction.com); the year
# closed at 97.49 (Ministry of Ecology and Environment, 6 Jan 2025). A market price, not a
# social cost of carbon: --carbon-price sets another.
DEFAULT_CARBON_PRICE_CNY_PER_T_CO2 = 96.0
# A six-axle articulated coal truck: 49 t gross at most (GB 1589-2016, the national limit on
# vehicle masses) less about 15 t for tractor and semi-trailer (estimate) = 34 t a trip.
TRUCK_PAYLOAD_T = 34.0


@dataclass(frozen=True)
class Valuation:
    """The prices the social case and the truck count use."""

    carbon_price_cny_per_t_co2: float = DEFAULT_CARBON_PRICE_CNY_PER_T_CO2
    truck_payload_t: float = TRUCK_PAYLOAD_T

    def record(self) -> dict:
        return {"carbon_price_cny_per_t_co2": self.carbon_price_cny_per_t_co2, "truck_payload_t": self.truck_payload_t,
                "cash_parts": list(CASH_PARTS), "service_parts": list(SERVICE_PARTS), "externality_parts": [TRUCK_PART, "co2_t × carbon price"],
                "not_counted": list(UNCOUNTED_PARTS)}


# --------------------------------------------------------------------------- what a plan costs and moves
def measures(plan) -> dict:
    """A plan's horizon totals, sorted into the cases: cash_cny, truck_externality_cny,
    service_cny, other_cny (parts an extension added), co2_t, truck_t (tonnes entering truck
    links), truck_tkm."""
    costs = plan.kpis["costs"]
    known = set(CASH_PARTS) | set(SERVICE_PARTS) | {TRUCK_PART} | set(UNCOUNTED_PARTS)
    truck = plan.flows["truck"].to_numpy(bool)
    return {
        "cash_cny": sum(costs.get(p, 0.0) for p in CASH_PARTS),
        "truck_externality_cny": costs.get(TRUCK_PART, 0.0),
        "service_cny": sum(costs.get(p, 0.0) for p in SERVICE_PARTS),
        "other_cny": sum(v for p, v in costs.items() if p not in known),
        "co2_t": plan.kpis["co2_t"],
        "truck_t": float(plan.flows.loc[truck, "flow_t"].sum()),
        "truck_tkm": float(plan.flows.loc[truck, "tkm"].sum()),
    }


def saved(before: dict, after: dict) -> dict:
    """before − after for every measure: money saved, tonnes, t·km and CO2 removed."""
    return {k: before[k] - after[k] for k in before}


# --------------------------------------------------------------------------- money over time
def annuity(rate: float, years) -> np.ndarray:
    """Present value of 1 CNY a year for ``years`` (any real ≥ 0) at ``rate``."""
    k = np.asarray(years, float)
    return k if rate == 0 else (1.0 - (1.0 + rate) ** -k) / rate


def payback_years(members: list[dict], discounted: bool) -> float | None:
    """Years from the first member's opening until the members' flows (−build at opening, then
    net cash a year for the lifetime, each at its own rate) add up to zero; simple payback with
    ``discounted`` False (every rate 0). None when they never do within the lifetimes."""
    t0 = min(m["t_open"] for m in members)
    end = max(m["t_open"] - t0 + m["lifetime_years"] for m in members)

    def worth(tau):
        tau = np.atleast_1d(np.asarray(tau, float))
        total = np.zeros_like(tau)
        for m in members:
            r = m["discount_rate"] if discounted else 0.0
            since = np.clip(tau - (m["t_open"] - t0), 0.0, m["lifetime_years"])
            opened = tau >= m["t_open"] - t0
            total += (1.0 + r) ** -(m["t_open"] if discounted else 0.0) * (-m["build_cost_cny"] * opened + m["net_cny_per_year"] * annuity(r, since))
        return total

    grid = np.linspace(0.0, end, int(end * 200) + 2)
    ok = np.flatnonzero(worth(grid) >= -1e-9 * max(1.0, sum(m["build_cost_cny"] for m in members)))
    if not len(ok):
        return None
    if ok[0] == 0:
        return 0.0
    lo, hi = grid[ok[0] - 1], grid[ok[0]]
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if worth(mid)[0] >= 0 else (mid, hi)
    return float(hi)


def attribution(net: Network, members: pd.DataFrame) -> np.ndarray:
    """Each member's share of a bundle's savings: its investment part in the plan (annualised
    cost × open days / 365) over the bundle's; by open days where nothing costs anything."""
    weight = members["horizon_cost_cny"].to_numpy(float)
    if weight.sum() <= 0:
        weight = open_days(net, members)
    return weight / weight.sum()


def open_days(net: Network, members: pd.DataFrame) -> np.ndarray:
    return (net.n_periods - members["earliest"].to_numpy(int)) * net.period_days


# --------------------------------------------------------------------------- the table
ROW_COLUMNS = [
    "candidate", "basis", "members", "opens", "opens_after_years", "open_days", "discount_rate", "lifetime_years", "savings_share",
    "build_cost_cny", "fixed_om_cny_per_year", "annualised_cost_cny_per_year",
    "cash_savings_cny_per_year", "truck_externality_cny_per_year", "carbon_value_cny_per_year", "external_savings_cny_per_year",
    "service_value_cny_per_year", "other_parts_cny_per_year",
    "cash_npv_cny", "social_npv_cny", "simple_payback_years", "discounted_payback_years",
    "truck_trips_removed_per_year", "truck_t_removed_per_year", "truck_tkm_removed_per_year", "co2_t_avoided_per_year",
]


def economics_rows(net: Network, members: pd.DataFrame, savings: dict, valuation: Valuation, basis: str, name: str | None = None,
                   members_too: bool = True) -> pd.DataFrame:
    """Rows of the economics table for one bundle (``members``: rows of the candidate table)
    whose horizon ``savings`` (:func:`saved`) were measured together: one row per member
    (``members_too``) and, for a bundle of more than one or where ``members_too`` is False, a
    total row named ``name``. Per year = once open; NPVs at the start of the horizon."""
    share = attribution(net, members)
    days = open_days(net, members)
    rows = []
    for (_, c), w, d in zip(members.iterrows(), share, days):
        k = w * 365.0 / d  # horizon quantity -> this member's share per year while open
        co2 = savings["co2_t"] * k
        cash, truck_ext, carbon = savings["cash_cny"] * k, savings["truck_externality_cny"] * k, co2 * valuation.carbon_price_cny_per_t_co2
        net_cash = cash - c["fixed_om_cny_per_year"]
        r, n = float(c["discount_rate"]), float(c["lifetime_years"])
        t_open = c["earliest"] * net.period_days / 365.0
        af, disc = float(annuity(r, n)), (1.0 + r) ** -t_open
        member = {"t_open": t_open, "build_cost_cny": c["build_cost_cny"], "net_cny_per_year": net_cash, "discount_rate": r, "lifetime_years": n}
        rows.append({
            "candidate": c["id"], "basis": basis, "members": c["id"], "opens": net.periods[int(c["earliest"])], "opens_after_years": t_open,
            "open_days": d, "discount_rate": r, "lifetime_years": n, "savings_share": w,
            "build_cost_cny": c["build_cost_cny"], "fixed_om_cny_per_year": c["fixed_om_cny_per_year"], "annualised_cost_cny_per_year": c["annual_cost_cny"],
            "cash_savings_cny_per_year": cash, "truck_externality_cny_per_year": truck_ext, "carbon_value_cny_per_year": carbon,
            "external_savings_cny_per_year": truck_ext + carbon,
            "service_value_cny_per_year": savings["service_cny"] * k, "other_parts_cny_per_year": savings["other_cny"] * k,
            "cash_npv_cny": disc * (-c["build_cost_cny"] + net_cash * af),
            "social_npv_cny": disc * (-c["build_cost_cny"] + (net_cash + truck_ext + carbon) * af),
            "simple_payback_years": payback_years([member], discounted=False),
            "discounted_payback_years": payback_years([member], discounted=True),
            "truck_trips_removed_per_year": savings["truck_t"] * k / valuation.truck_payload_t,
            "truck_t_removed_per_year": savings["truck_t"] * k, "truck_tkm_removed_per_year": savings["truck_tkm"] * k, "co2_t_avoided_per_year": co2,
            "_member": member,
        })
    if len(rows) > 1:
        for r in rows:
            r["basis"] = f"member of the bundle {name}: {r['savings_share']:.0%} of its savings (by investment part)"
    out = rows if members_too else []
    if len(rows) > 1 or not members_too:
        out = out + [bundle_total(rows, name or rows[0]["candidate"], basis)]
    return pd.DataFrame(out, columns=ROW_COLUMNS)


def bundle_total(rows: list[dict], name: str, basis: str) -> dict:
    """The bundle's row: sums of its members' money, flows and NPVs; payback of their flows
    together, from the first opening."""
    if len(rows) == 1:
        return {**rows[0], "candidate": name}
    summed = [c for c in ROW_COLUMNS[9:] if "payback" not in c]
    first = min(rows, key=lambda r: r["opens_after_years"])
    members = [r["_member"] for r in rows]
    return {
        "candidate": name, "basis": f"{basis}; bundle total (members on their own timing and rate)", "members": ";".join(r["candidate"] for r in rows),
        "opens": first["opens"], "opens_after_years": first["opens_after_years"], "open_days": first["open_days"],
        "discount_rate": np.nan, "lifetime_years": np.nan, "savings_share": 1.0,
        **{c: float(sum(r[c] for r in rows)) for c in summed},
        "simple_payback_years": payback_years(members, discounted=False), "discounted_payback_years": payback_years(members, discounted=True),
    }


def summary_of(row: pd.Series) -> dict:
    """One row of the table as plain JSON values (None for blanks)."""
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v.item() if hasattr(v, "item") else v) for k, v in row.items()}


# --------------------------------------------------------------------------- invest: one row per candidate
def dependants(cands: pd.DataFrame, chosen: list[str], candidate: str) -> list[str]:
    """``candidate`` and the chosen ones that require it, directly or through others."""
    out = {candidate}
    for c in chosen:
        if candidate in requirement_closure(cands, [c]):
            out.add(c)
    return sorted(out)


def per_candidate(study, choice, net: Network, cands: pd.DataFrame, chosen: list[str], none, valuation: Valuation | None = None) -> pd.DataFrame:
    """One row per candidate on one kept LP study (``choice``: its CandidateChoice, builds
    fixed; each re-solve warm). Chosen: the marginal value — the chosen set against the chosen
    set without the candidate and what requires it. Not chosen: alone (with what it requires)
    against nothing built (``none``, that study's plan with nothing built; None if infeasible)."""
    valuation = valuation or Valuation()
    rows = []

    def solved(fixed):
        choice.fixed = dict.fromkeys(fixed, 1.0)
        try:
            return measures(study.solve())
        except api.NoPlan:
            return None

    def row(candidate, group, before, after, basis):
        members = cands[cands["id"].isin(group)]
        if before is None or after is None:
            return pd.DataFrame([{"candidate": candidate, "basis": f"{basis}: no feasible plan", "members": ";".join(group)}], columns=ROW_COLUMNS)
        return economics_rows(net, members, saved(before, after), valuation, basis, name=candidate, members_too=False)

    if chosen:
        with_set = solved(chosen)
        for c in chosen:
            group = dependants(cands, chosen, c)
            others = [g for g in group if g != c]
            basis = "marginal: the chosen set with and without " + c + (f" and {', '.join(others)} (which require it)" if others else "")
            rows.append(row(c, group, solved(sorted(set(chosen) - set(group))), with_set, basis))
    base = measures(none) if none is not None else None
    for c in cands.loc[~cands["id"].isin(chosen), "id"]:
        group = requirement_closure(cands, [c])
        others = [g for g in group if g != c]
        basis = "alone against nothing built" + (f" (with {', '.join(others)}, which it requires)" if others else "")
        rows.append(row(c, group, base, solved(group), basis))
    choice.fixed = {}
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=ROW_COLUMNS)


# --------------------------------------------------------------------------- coal delivered, per tce
def delivered(net: Network, members: pd.DataFrame, without, with_, per_year: float) -> dict:
    """What the candidate links take on (change of flow on their target links, ``without`` →
    ``with_`` plans) and what of it arrives, per year (horizon × ``per_year``): t entering,
    t arriving (× the link's efficiency: for UHV, coal equivalent after the line loss), tce
    arriving (× calorific_kcal_per_kg / 7,000 of each grade, quality.csv; None where a grade
    carried has no calorific value or there is no quality.csv), the line loss (coal produced
    and not delivered) and the capacity added (t/yr entering, tce/yr arriving at the carried
    mix). Empty for storage-only candidates. ``net`` must hold the candidate links."""
    targets = members.loc[members["family"] == "link", ["target", "added_t"]]
    if targets.empty:
        return {}
    links = set(targets["target"])
    eff = net.links.set_index("id")["efficiency"].fillna(1.0)
    kcal = net.quality.set_index("product")["calorific_kcal_per_kg"] if net.quality is not None else pd.Series(dtype=float)

    def carried(plan):
        f = plan.flows[plan.flows["link"].isin(links)]
        return f.groupby(["link", "product"])["flow_t"].sum()

    change = carried(with_).sub(carried(without), fill_value=0.0).rename("change_t").reset_index()
    change["arriving_t"] = change["change_t"] * change["link"].map(eff)
    change["kcal"] = change["product"].map(kcal)
    unknown_t = float(change.loc[change["kcal"].isna(), "arriving_t"].abs().sum()) * per_year
    known = unknown_t <= 1e-6
    entering, arriving = float(change["change_t"].sum()) * per_year, float(change["arriving_t"].sum()) * per_year
    tce = float((change["arriving_t"] * change["kcal"] / STANDARD_COAL_KCAL_PER_KG).sum()) * per_year if known else None
    if known and change["arriving_t"].sum() > 1e-9:
        mix_kcal = float((change["arriving_t"] * change["kcal"]).sum() / change["arriving_t"].sum())
    else:  # nothing carried: the mean of the grades the links may carry, where all have a value
        allowed = [p for t in links for p in net.links.set_index("id").at[t, "products"] or net.products]
        values = [kcal.get(p) for p in allowed]
        mix_kcal = float(np.mean(values)) if values and all(v is not None and np.isfinite(v) for v in values) else None
    cap_t = float(targets["added_t"].sum()) * 365.0 / net.period_days
    cap_arriving = float((targets["added_t"] * targets["target"].map(eff)).sum()) * 365.0 / net.period_days
    return {
        "entering_t_per_year": entering, "arriving_t_per_year": arriving, "arriving_tce_per_year": tce,
        "loss_t_per_year": entering - arriving, "loss_tce_per_year": None if tce is None or arriving <= 0 else tce * (entering - arriving) / arriving,
        "mix_kcal_per_kg": mix_kcal, "without_calorific_t_per_year": unknown_t,
        "capacity_t_per_year": cap_t, "capacity_tce_per_year": None if mix_kcal is None else cap_arriving * mix_kcal / STANDARD_COAL_KCAL_PER_KG,
    }


def per_tce(total: pd.Series, carried: dict) -> dict:
    """The bundle's row and what it carries as figures per t and per tce arriving: cost =
    (annualised cost incl. O&M − cash savings) per year ÷ arriving per year; social cost also
    less the external savings; CO2 change (kg) per t and tce arriving."""
    out = dict(carried)
    annual = float(total["annualised_cost_cny_per_year"])
    cash, ext, co2 = float(total["cash_savings_cny_per_year"]), float(total["external_savings_cny_per_year"]), float(total["co2_t_avoided_per_year"])
    for unit, amount in (("t", carried.get("arriving_t_per_year")), ("tce", carried.get("arriving_tce_per_year"))):
        ok = amount is not None and amount > 1e-9
        out[f"cash_cost_cny_per_{unit}"] = (annual - cash) / amount if ok else None
        out[f"social_cost_cny_per_{unit}"] = (annual - cash - ext) / amount if ok else None
        out[f"co2_kg_per_{unit}"] = -co2 * 1000.0 / amount if ok else None
    return out


# --------------------------------------------------------------------------- text
def number_text(v, decimals: int = 0) -> str:
    """Thousands separators, ``decimals`` places, never "-0"; "—" for None or not finite."""
    if v is None or (isinstance(v, float | np.floating) and not math.isfinite(v)):
        return "—"
    v = round(float(v), decimals)
    return f"{(v if v != 0 else 0.0):,.{decimals}f}"


def years_text(v, never: str = "beyond life") -> str:
    """Years to one decimal; ``never`` where the flows never pay back within the lifetime."""
    return never if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{number_text(v, 1)}"


ROW_LINES = [  # (label, column, decimals) for the vertical view
    ("opens", "opens", None), ("build cost, CNY", "build_cost_cny", 0), ("fixed O&M, CNY/yr", "fixed_om_cny_per_year", 0),
    ("annualised cost incl. O&M, CNY/yr", "annualised_cost_cny_per_year", 0),
    ("cash savings, CNY/yr", "cash_savings_cny_per_year", 0), ("truck externality, CNY/yr", "truck_externality_cny_per_year", 0),
    ("carbon value, CNY/yr", "carbon_value_cny_per_year", 0), ("service value (not counted), CNY/yr", "service_value_cny_per_year", 0),
    ("cash NPV, CNY", "cash_npv_cny", 0), ("social NPV, CNY", "social_npv_cny", 0),
    ("payback simple, years from opening", "simple_payback_years", "years"), ("payback discounted, years", "discounted_payback_years", "years"),
    ("truck trips removed /yr", "truck_trips_removed_per_year", 0), ("truck t·km removed /yr", "truck_tkm_removed_per_year", 0),
    ("CO2 avoided, t/yr", "co2_t_avoided_per_year", 0),
]


def cell(row, column, decimals) -> str:
    v = row.get(column)
    if decimals is None:
        return "" if v is None else str(v)
    if decimals == "years":
        return years_text(v)
    return number_text(v, decimals)


def economics_text(table: pd.DataFrame, valuation: Valuation) -> str:
    """The table turned on its side (one column per row of it), then the legend."""
    rows = [r for _, r in table.iterrows()]
    width = max([18] + [len(str(r["candidate"])) + 2 for r in rows])
    lines = [f"  {'':<38}" + "".join(f"{str(r['candidate']):>{width}}" for r in rows)]
    for label, column, decimals in ROW_LINES:
        lines.append(f"  {label:<38}" + "".join(f"{cell(r, column, decimals):>{width}}" for r in rows))
    if table["other_parts_cny_per_year"].fillna(0).abs().max() >= 0.5:
        lines.append(f"  {'other cost parts (not counted), CNY/yr':<38}" + "".join(f"{number_text(r['other_parts_cny_per_year']):>{width}}" for r in rows))
    lines += [f"  basis: {r['candidate']}: {r['basis']}" for r in rows]
    return "\n".join(lines + [legend(valuation)])


def economics_lines(table: pd.DataFrame) -> str:
    """One line per candidate (invest): money in million CNY."""
    head = f"  {'candidate':<28}{'build M':>9}{'cash M/yr':>11}{'ext. M/yr':>11}{'cash NPV M':>12}{'social NPV M':>13}{'payback':>14}{'trucks/yr':>11}{'CO2 t/yr':>10}  basis"
    lines = [head]
    for _, r in table.iterrows():
        m = (lambda c: number_text(r[c] / 1e6 if pd.notna(r[c]) else None, 1))
        pay = f"{years_text(r['simple_payback_years'], '>life')}/{years_text(r['discounted_payback_years'], '>life')}" if pd.notna(r["cash_npv_cny"]) else "—"
        lines.append(f"  {str(r['candidate'])[:27]:<28}{m('build_cost_cny'):>9}{m('cash_savings_cny_per_year'):>11}{m('external_savings_cny_per_year'):>11}"
                     f"{m('cash_npv_cny'):>12}{m('social_npv_cny'):>13}{pay:>14}{number_text(r['truck_trips_removed_per_year']):>11}"
                     f"{number_text(r['co2_t_avoided_per_year']):>10}  {r['basis']}")
    return "\n".join(lines)


def legend(valuation: Valuation) -> str:
    return ("  cash = production + transport + holding + reserve costs saved, less O&M; social = cash + truck externality (the profile's truck\n"
            f"  penalty) + CO2 avoided × {number_text(valuation.carbon_price_cny_per_t_co2)} CNY/t; service value (unmet, safety, end-stock penalties) "
            "is not counted.\n"
            f"  Per year once open; NPV at the horizon's start, each candidate from its opening at its own rate; trucks of {valuation.truck_payload_t:g} t.")
