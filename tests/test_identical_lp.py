"""The Pyomo view (pyomo_model.py) is generated from the one statement (model.build_lp and its
layers) and compiles back to the very same LP: every column with its bounds and integrality,
every row with its bounds, every coefficient and every cost part, keyed by (family, key), on
every bundled data set and case under six profiles, on random two-product networks and on
Shanxi with reserves and priority rows. What an extension changes on the generated model
(a fixed variable, a deactivated row) is what gets solved.

The statement itself is checked against independent formulations elsewhere: the raw-highspy
builder of benchmarks/baselines.py (tests/test_benchmark_smoke.py, term by term), the networkx
min-cost-flow oracles (tests/test_oracle_networkx.py) and the hand-solved cases.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CASES, REPO, write_dataset
from test_oracle_networkx import random_network

import supplyopt
from supplyopt.engines.pyomo_view import build_model, to_lp
from supplyopt.io.data import read_dataset
from supplyopt.io.validate import validate
from supplyopt.model.options import load_options
from supplyopt.model.statement import build_lp

DATASETS = {
    "transport": REPO / "data/examples/transport",
    "winter": REPO / "data/examples/winter",
    "prebuild": CASES / "prebuild",
    "shanxi": REPO / "data/shanxi",
}
PROFILES = {
    "none": (None, {}),
    "default": (REPO / "models/default.yaml", {}),
    "clean_transport": (REPO / "models/clean_transport.yaml", {}),
    "carbon_price": (REPO / "models/carbon_price.yaml", {}),
    "hard_safety_end_safety": (None, {"safety_stock": "hard", "end_stock": "safety", "max_truck_share_tkm": 0.3}),
    "end_free": (None, {"end_stock": "free", "truck_penalty_cny_per_tkm": 0.07}),
    "priority": (REPO / "models/priority.yaml", {"end_stock_penalty_cny_per_t": "hard"}),
}


def canonical(lp) -> dict:
    """The LP as dictionaries keyed by labels, independent of column and row order."""
    col_label, row_label = [], []
    for fam in lp.variables.values():
        col_label += [(fam.name, *r) for r in fam.index[fam.keys].itertuples(index=False, name=None)] if fam.keys else [(fam.name,)]
    for con in lp.constraints.values():
        row_label += [(con.name, *r) for r in con.index[con.keys].itertuples(index=False, name=None)] if con.keys else [(con.name,)]
    assert len(col_label) == lp.n_cols == len(set(col_label)), "column labels must be unique"
    assert len(row_label) == lp.n_rows == len(set(row_label)), "row labels must be unique"
    col_lo, col_up, row_lo, row_up = lp.bounds()
    integ = lp.integrality()
    rows, cols, vals = lp.triplets()
    matrix: dict = {}
    for r, c, v in zip(rows.tolist(), cols.tolist(), vals.tolist()):
        if v != 0:
            key = (row_label[r], col_label[c])
            matrix[key] = matrix.get(key, 0.0) + v
    costs = {}
    for name, (cs, coefs) in lp.costs.items():
        part: dict = {}
        for c, v in zip(cs.tolist(), coefs.tolist()):
            part[col_label[c]] = part.get(col_label[c], 0.0) + v
        costs[name] = {k: v for k, v in part.items() if v != 0}
    return {
        "columns": {lab: (lo, up, int(i)) for lab, lo, up, i in zip(col_label, col_lo.tolist(), col_up.tolist(), integ.tolist())},
        "rows": {lab: (lo, up) for lab, lo, up in zip(row_label, row_lo.tolist(), row_up.tolist())},
        "matrix": matrix,
        "costs": costs,
    }


def assert_same(a: dict, b: dict) -> None:
    for part in ("columns", "rows", "matrix"):
        assert set(a[part]) == set(b[part]), f"{part}: only in one LP: {sorted(set(a[part]) ^ set(b[part]), key=str)[:5]}"
        keys = sorted(a[part], key=str)
        x = np.array([a[part][k] for k in keys], float)
        y = np.array([b[part][k] for k in keys], float)
        bad = ~np.isclose(x, y, rtol=1e-12, atol=0.0) & ~(np.isinf(x) & (x == y))
        assert not bad.any(), f"{part}: differ at {[keys[i] for i in np.flatnonzero(bad.reshape(len(keys), -1).any(axis=1))[:5]]}"
    assert set(a["costs"]) == set(b["costs"])
    for name in a["costs"]:
        pa, pb = a["costs"][name], b["costs"][name]
        assert set(pa) == set(pb), f"cost part {name}: columns differ"
        keys = list(pa)
        assert np.allclose([pa[k] for k in keys], [pb[k] for k in keys], rtol=1e-12, atol=0.0), f"cost part {name}: coefficients differ"


def both(path, profile, overrides):
    net = validate(read_dataset(path))
    opt = load_options(profile, **overrides)
    array_lp = supplyopt.Study(net, model=opt).statement(net, opt)
    pyomo_lp = to_lp(build_model(net, opt, array_lp), net.periods)[0]
    return canonical(array_lp), canonical(pyomo_lp)


@pytest.mark.parametrize("profile", list(PROFILES))
@pytest.mark.parametrize("dataset", [d for d in DATASETS if d != "shanxi"])
def test_pyomo_model_and_array_lp_are_identical(dataset, profile):
    a, b = both(DATASETS[dataset], *PROFILES[profile])
    assert_same(a, b)


@pytest.mark.parametrize("profile", ["default", "hard_safety_end_safety", "priority"])
def test_identical_on_shanxi(profile):
    a, b = both(DATASETS["shanxi"], *PROFILES[profile])
    assert len(a["columns"]) > 5000 and len(a["matrix"]) > 10000  # the real thing, not an empty LP
    assert_same(a, b)


@pytest.mark.parametrize("seed", [0, 5, 11, 102, 107, 113])
def test_identical_on_random_networks_with_shared_links_and_stores(tmp_path, seed):
    # two products, so links and stores are shared by several products (the row families)
    T = 1 if seed < 100 else 3
    tables = random_network(seed, T)
    tables["supply"] += [{**r, "product": "coke"} for r in tables["supply"]]
    tables["demand"] += [{**r, "product": "coke"} for r in tables["demand"]]
    if "storage" in tables:
        tables["storage"] += [{**r, "product": "coke", "capacity_t": ""} for r in tables["storage"]]
    path = write_dataset(tmp_path / f"n{seed}", T, tables)
    a, b = both(path, None, {"max_mine_truck_share": 0.2})
    assert any(k[0] == "link_capacity" for k in a["rows"]) or seed >= 100
    assert_same(a, b)


def test_a_slip_in_one_model_is_caught():
    # the comparison itself must see a one-coefficient difference
    net = validate(read_dataset(DATASETS["winter"]))
    opt = load_options(None)
    lp = build_lp(net, opt)
    a = canonical(lp)
    lp.constraints["node_balance"].coefs[3] *= 1.0 + 1e-9
    with pytest.raises(AssertionError):
        assert_same(a, canonical(lp))


def test_the_generated_model_reads_as_the_model_and_extensions_change_what_is_solved():
    import pyomo.environ as pyo

    net = validate(read_dataset(DATASETS["winter"]))
    opt = load_options(None)
    lp = build_lp(net, opt)
    m = build_model(net, opt, lp)
    row = str(m.node_balance["plant_in", "coal", "2026-W49"].expr)
    assert "flow[b_plant,coal,2026-W49]" in row and "unmet[plant_in,coal,2026-W49]" in row and "1300" in row
    assert m.flow["b_plant", "coal", "2026-W49"].ub == lp.variables["flow"].upper[lp.variables["flow"].index.query("link == 'b_plant' and period == 0").index[0]]
    assert ("b_plant", "coal", "2026-W49") in m.FLOWS and m.distance_km["b_plant"] > 0
    # an extension fixes a flow and switches a balance row off: the compiled LP says so
    m.flow["b_plant", "coal", "2026-W49"].fix(0)
    m.node_balance["plant_in", "coal", "2026-W49"].deactivate()
    m.extra = pyo.Var(bounds=(0, 5))
    compiled = to_lp(m, net.periods)[0]
    flow = compiled.variables["flow"]
    at = flow.index.query("link == 'b_plant' and period == 0").index[0]
    assert flow.lower[at] == 0 and flow.upper[at] == 0
    assert compiled.constraints["node_balance"].size == lp.constraints["node_balance"].size - 1
    assert compiled.variables["extra"].upper[0] == 5 and compiled.n_cols == lp.n_cols + 1
