"""Scenario edits: exact effect on a hand case, the bundled Shanxi scenarios run, and a
scenario that selects nothing or names unknown things is an error."""

from __future__ import annotations

import pytest
import yaml

from conftest import REPO
from supplyopt.data import DataError, read_dataset
from supplyopt.scenario import apply_scenario, load_scenario
from supplyopt.validate import validate


def scenario(tmp_path, edits):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "t", "edits": edits}))
    return load_scenario(path)


def winter():
    return validate(read_dataset(REPO / "data/examples/winter"))


def test_scale_and_set_only_the_selected_rows_and_periods(tmp_path):
    net = winter()
    s = scenario(tmp_path, [
        {"what": "link_capacity", "where": {"id": "station_plant"}, "periods": ["2026-W50", 3], "scale": 0.5},
        {"what": "demand", "where": {"kind": "demand", "region": "east"}, "set": 100},
        {"what": "mine_capacity", "where": {"id": "mine_a"}, "scale": 0},
    ])
    out = apply_scenario(net, s)
    lp = out.link_periods.set_index(["link", "period"])["capacity_t"]
    assert lp[("station_plant", 0)] == 3000 and lp[("station_plant", 1)] == 1500 and lp[("station_plant", 2)] == 1500
    assert lp[("station_plant", 3)] == 3000
    assert (out.demand.loc[out.demand["node"] == "plant_coast", "demand_t"] == 100).all()
    assert (out.demand.loc[out.demand["node"] == "plant_in", "demand_t"] > 100).all()
    assert (out.supply.loc[out.supply["node"] == "mine_a", ["capacity_t", "min_t"]] == 0).all().all()
    assert (net.link_periods.loc[net.link_periods["link"] == "station_plant", "capacity_t"] == 3000).all()  # input untouched


@pytest.mark.parametrize("edit, needle", [
    ({"what": "link_capacity", "where": {"corridor": "x"}, "scale": 1}, "unknown selector column"),
    ({"what": "link_capacity", "where": {"id": "nope"}, "scale": 1}, "selects nothing"),
    ({"what": "link_capacity", "where": {"id": "b_plant"}, "periods": ["2030-W01"], "scale": 1}, "unknown period"),
])
def test_scenario_mistakes_are_errors(tmp_path, edit, needle):
    with pytest.raises(DataError) as err:
        apply_scenario(winter(), scenario(tmp_path, [edit]))
    assert needle in str(err.value.problems[0])


@pytest.mark.parametrize("edits, needle", [
    ([{"what": "flow", "scale": 1}], "expected one of link_capacity"),
    ([{"what": "demand", "scale": 1, "set": 2}], "exactly one of scale"),
    ([{"what": "demand", "scale": -1}], "≥ 0"),
])
def test_scenario_file_format_errors(tmp_path, edits, needle):
    with pytest.raises(DataError) as err:
        scenario(tmp_path, edits)
    assert needle in " ".join(str(p) for p in err.value.problems)


def test_bundled_shanxi_scenarios_select_something_and_bite():
    from conftest import solve_path  # noqa: F401  (same in-process path as the CLI)
    from supplyopt.model import build_lp
    from supplyopt.options import load_options
    from supplyopt.solve import make_engine

    net = validate(read_dataset(REPO / "data/shanxi"))
    opt = load_options(REPO / "models/default.yaml")
    base = make_engine(build_lp(net, opt), opt, net.periods).solve().objective
    for path in sorted((REPO / "scenarios").glob("*.yaml")):
        changed = apply_scenario(net, load_scenario(path))
        sol = make_engine(build_lp(changed, opt), opt, changed.periods).solve()
        assert sol.status == "optimal", path.name
        assert sol.objective != pytest.approx(base, rel=1e-9), f"{path.name} changes nothing"
