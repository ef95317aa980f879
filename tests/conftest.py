"""Shared helpers: write small data sets to disk and solve them in-process."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from supplyopt.engines.solver import make_engine
from supplyopt.io.data import read_dataset
from supplyopt.io.validate import validate
from supplyopt.model.options import load_options
from supplyopt.model.statement import build_lp
from supplyopt.results.plan import build_plan

REPO = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"


def write_dataset(folder: Path, periods, tables: dict, **meta) -> Path:
    """Write network.yaml plus one CSV per table (a list of dicts or a DataFrame)."""
    folder.mkdir(parents=True, exist_ok=True)
    network = {"name": folder.name, "period_days": 7, "periods": periods, **meta}
    (folder / "network.yaml").write_text(yaml.safe_dump(network, allow_unicode=True), encoding="utf-8")
    for name, rows in tables.items():
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def solve_path(path, profile=None, **overrides):
    """(net, lp, solution, plan) for a data set on disk; ``overrides`` are profile options."""
    net = validate(read_dataset(path))
    opt = load_options(profile, **overrides)
    lp = build_lp(net, opt)
    eng = make_engine(lp, opt, net.periods, net=net)
    lp = eng.lp
    sol = eng.solve()
    plan = build_plan(net, opt, lp, sol) if sol.has_plan else None
    return net, lp, sol, plan


@pytest.fixture
def tmp_dataset(tmp_path):
    def make(periods, tables, name="case", **meta):
        return write_dataset(tmp_path / name, periods, tables, **meta)

    return make
