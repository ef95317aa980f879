"""The measured tables of docs/emergency.md: every bundled scenario under each foresight mode
and under each end-of-horizon rule, on the data set it was written for.

    .venv/bin/python scripts/emergency_tables.py > /tmp/tables.md

Prints Markdown. Figures: unmet demand (Mt, by class where any), end-stock deficit (Mt, the
end rule's own figure), cost against the base plan under the same settings (bn CNY).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import supplyopt  # noqa: E402
from supplyopt.model import foresight  # noqa: E402

SETS = [("data/shanxi", sorted((REPO / "scenarios").glob("*.yaml"))), ("data/shanxi-year", sorted((REPO / "scenarios/year").glob("*.yaml")))]
PROFILE = REPO / "models/default.yaml"
RULES = [("initial, hard", "initial", "hard"), ("safety, hard", "safety", "hard"), ("free", "free", "hard"), ("initial, soft 1,000 CNY/t (default)", "initial", 1000.0)]


def mt(v: float) -> str:
    return f"{v / 1e6:,.2f}"


def figures(study, base_obj, spec) -> str:
    try:
        plan = study.apply(spec).solve()
    except supplyopt.NoPlan as err:
        return f"no plan ({err.status}) | | "
    s = plan.summary
    by_class = ", ".join(f"{c} {mt(v)}" for c, v in (s.get("unmet_by_class_t") or {}).items() if v > 0.5)
    return f"{mt(s['unmet_t'])}{' (' + by_class + ')' if by_class else ''} | {mt(s['end_deficit_t'])} | {(s['objective'] - base_obj) / 1e9:+,.2f}"


def foresight_table() -> list[str]:
    lines = ["| data set | scenario | surprise (no warning) | 2 weeks' warning | perfect foresight |", "|---|---|---|---|---|"]
    for data, scenarios in SETS:
        net = supplyopt.load(REPO / data)
        study = supplyopt.Study(net, model=PROFILE, race=False)
        base_obj = study.solve().summary["objective"]
        perfect = dataclasses.replace(study.options, foresight="perfect")
        for path in scenarios:
            sc = supplyopt.api.scenario(path)
            cells = []
            for mode, weeks in (("surprise", 0), ("surprise", 2), ("perfect", None)):
                keep = study.options
                study.options = perfect if mode == "perfect" else keep
                try:
                    cells.append(figures(study, base_obj, sc if weeks is None else foresight.with_warning(sc, net, weeks)).replace(" | ", " / "))
                finally:
                    study.options = keep
            lines.append(f"| {data} | {path.stem} | " + " | ".join(cells) + " |")
    return lines


def end_rule_table() -> list[str]:
    lines = ["| data set | scenario | " + " | ".join(r[0] for r in RULES) + " |", "|---|---|" + "---|" * len(RULES)]
    rows: dict = {}
    for name, target, penalty in RULES:
        for data, scenarios in SETS:
            net = supplyopt.load(REPO / data)
            study = supplyopt.Study(net, model=supplyopt.options(PROFILE, end_stock=target, end_stock_penalty_cny_per_t=penalty), race=False)
            base = study.solve().summary
            rows.setdefault((data, "(base)"), []).append(f"prod {base['production_t'] / 1e6:,.1f} Mt, end stock {base['end_stock_t'] / 1e6:,.1f} Mt")
            for path in scenarios:
                rows.setdefault((data, path.stem), []).append(figures(study, base["objective"], path).replace(" | ", " / "))
    for (data, stem), cells in rows.items():
        lines.append(f"| {data} | {stem} | " + " | ".join(cells) + " |")
    return lines


if __name__ == "__main__":
    print("Each cell: unmet Mt (by class) / end-stock deficit Mt / Δ cost bn CNY against the base plan of the same settings.\n")
    print("\n".join(foresight_table()))
    print("\nEnd-of-horizon rules (foresight: surprise; base rows: production and end stock):\n")
    print("\n".join(end_rule_table()))
