"""Coal quality of a plan: what each demand centre receives, blended, against its limits, and
the limits that no grade able to reach the centre can meet.

Tables (units in the column names):
  quality     node, product, period, received_t, blend_kcal_per_kg, blend_sulphur_pct,
              min_kcal_per_kg, max_sulphur_pct, demand_unit — one row per demand row of a
              data set with quality.csv: the raw tonnes received in the period (every grade
              counted as the demand's product, after link losses, whatever the demand's unit)
              and their weighted calorific value and sulphur (blank where nothing arrived or a
              grade received has no value), beside the demand's limits (blank: none).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from supplyopt.engines.solver import Solution
from supplyopt.io.network import Network, serving_grades
from supplyopt.model.statement import LinearProgram, receipts

QUALITY_COLUMNS = ["node", "product", "period", "received_t", "blend_kcal_per_kg", "blend_sulphur_pct", "min_kcal_per_kg", "max_sulphur_pct", "demand_unit"]
LIMIT_COLUMNS = ["node", "product", "limit", "limit_value", "best_grade", "best_value", "message"]
TOL = 1e-6  # tonnes: below this a receipt is solver noise


def quality_table(net: Network, lp: LinearProgram, sol: Solution) -> pd.DataFrame | None:
    """quality.csv of a plan (columns ``QUALITY_COLUMNS``), None without quality.csv in the
    data set. Rows in demand order; periods as labels."""
    if net.quality is None:
        return None
    keys = ["node", "product", "period"]
    r = receipts(net, lp.variables["flow"])
    x = sol.x[r["col"].to_numpy()]
    r["received_t"] = r["efficiency"].to_numpy() * np.where(np.abs(x) < 1e-9, 0.0, x)
    r = r[r["received_t"] > TOL]
    grade = net.quality.set_index("product")
    for value, column in (("kcal", "calorific_kcal_per_kg"), ("sulphur", "sulphur_pct")):
        v = r["grade"].map(grade[column])
        r[f"{value}_t"] = v * r["received_t"]  # NaN where the grade has no value: the blend is unknown
    totals = r.groupby(keys, sort=False).agg(received_t=("received_t", "sum"), kcal_t=("kcal_t", lambda s: s.sum(min_count=len(s))),
                                            sulphur_t=("sulphur_t", lambda s: s.sum(min_count=len(s)))).reset_index()
    out = net.demand[keys].merge(totals, on=keys, how="left")
    received = out["received_t"].to_numpy(float)
    out["received_t"] = np.nan_to_num(received, nan=0.0)
    some = out["received_t"].to_numpy() > TOL
    for blend, total in (("blend_kcal_per_kg", "kcal_t"), ("blend_sulphur_pct", "sulphur_t")):
        out[blend] = np.where(some, out[total].to_numpy(float) / np.where(some, received, 1.0), np.nan)
    limits = net.demand_quality[["node", "product", "min_kcal_per_kg", "max_sulphur_pct", "demand_unit"]]
    out = out.merge(limits, on=["node", "product"], how="left")
    out["demand_unit"] = out["demand_unit"].fillna("t")
    labels = np.asarray(net.periods, dtype=object)
    out["period"] = labels[out["period"].to_numpy(np.int64)]
    return out[QUALITY_COLUMNS].reset_index(drop=True)


def unmeetable_limits(net: Network) -> pd.DataFrame:
    """Blend limits no grade that can reach the centre meets on its own (columns
    ``LIMIT_COLUMNS``): every grade able to arrive has less than ``min_kcal_per_kg``, or more
    sulphur than ``max_sulphur_pct``, so no blend of them meets it and every tonne of that
    demand beyond the centre's opening stock goes unmet. Not an error: the plan is made, and
    this says why the demand is short."""
    dq = net.demand_quality
    if net.quality is None or dq.empty:
        return pd.DataFrame(columns=LIMIT_COLUMNS)
    reach = serving_grades(net, open_only=True).merge(net.quality.rename(columns={"product": "grade"}), on="grade", how="left")
    stocked = set(zip(net.storage.loc[net.storage["initial_t"] > 0, "node"], net.storage.loc[net.storage["initial_t"] > 0, "product"]))
    rows = []
    for d in dq.itertuples(index=False):
        grades = reach[(reach["node"] == d.node) & (reach["product"] == d.product)]
        if grades.empty:
            continue
        tail = "only its opening stock can serve it, the rest of its demand will go unmet" if (d.node, d.product) in stocked else "all of its demand will go unmet"
        if pd.notna(d.min_kcal_per_kg) and not (grades["calorific_kcal_per_kg"] >= d.min_kcal_per_kg).any():
            best = grades.sort_values(["calorific_kcal_per_kg", "grade"], ascending=[False, True], kind="stable").iloc[0]
            rows.append((d.node, d.product, "min_kcal_per_kg", d.min_kcal_per_kg, best["grade"], best["calorific_kcal_per_kg"],
                         f"{d.node} ({d.product}): no grade that can reach it has {d.min_kcal_per_kg:,.0f} kcal/kg or more "
                         f"(best: {best['grade']} {best['calorific_kcal_per_kg']:,.0f} kcal/kg); {tail}"))
        if pd.notna(d.max_sulphur_pct) and not (grades["sulphur_pct"] <= d.max_sulphur_pct).any():
            best = grades.sort_values(["sulphur_pct", "grade"], kind="stable").iloc[0]
            rows.append((d.node, d.product, "max_sulphur_pct", d.max_sulphur_pct, best["grade"], best["sulphur_pct"],
                         f"{d.node} ({d.product}): no grade that can reach it has {d.max_sulphur_pct:g} % sulphur or less "
                         f"(best: {best['grade']} {best['sulphur_pct']:g} %); {tail}"))
    return pd.DataFrame(rows, columns=LIMIT_COLUMNS)


def blend_warnings(net: Network) -> list[str]:
    """The plan's warnings about blend limits no grade can meet (:func:`unmeetable_limits`)."""
    return unmeetable_limits(net)["message"].tolist()


def quality_record(net: Network, table: pd.DataFrame | None, warnings: list[str]) -> dict | None:
    """summary.json's ``quality`` (None without quality.csv): grades, demands with a limit or
    in tce, tonnes received by them, and ``warnings`` (:func:`blend_warnings`)."""
    if net.quality is None:
        return None
    dq = net.demand_quality
    limited = table.merge(dq[["node", "product"]], on=["node", "product"], how="inner") if table is not None else pd.DataFrame(columns=["received_t"])
    return {
        "grades": int(len(net.quality)),
        "demands_with_limits": int(len(dq)),
        "received_t": float(limited["received_t"].sum()),
        "limits_no_grade_meets": list(warnings),
    }
