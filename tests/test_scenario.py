"""Scenario edits: exact effect on a hand case, the bundled Shanxi scenarios run, and a
scenario that selects nothing or names unknown things is an error."""

from __future__ import annotations

import pytest
import yaml
from conftest import REPO

from supplyopt.io.data import DataError, read_dataset
from supplyopt.io.scenario import apply_scenario, load_scenario
from supplyopt.io.validate import validate


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

    from supplyopt.engines.solver import make_engine
    from supplyopt.model.options import load_options
    from supplyopt.model.statement import build_lp

    net = validate(read_dataset(REPO / "data/shanxi"))
    opt = load_options(REPO / "models/default.yaml")
    base = make_engine(build_lp(net, opt), opt, net.periods).solve().objective
    for path in sorted((REPO / "scenarios").glob("*.yaml")):
        changed = apply_scenario(net, load_scenario(path))
        sol = make_engine(build_lp(changed, opt), opt, changed.periods).solve()
        assert sol.status == "optimal", path.name
        assert sol.objective != pytest.approx(base, rel=1e-9), f"{path.name} changes nothing"


def test_several_scenarios_apply_in_order_and_are_all_recorded(tmp_path):
    from supplyopt.io.scenario import load_scenarios

    (tmp_path / "a.yaml").write_text(yaml.safe_dump({"name": "a", "edits": [{"what": "demand", "where": {"id": "plant_coast"}, "scale": 0.5}]}))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump({"name": "b", "edits": [{"what": "demand", "where": {"id": "plant_coast"}, "scale": 0.5}]}))
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({"name": "c", "include": "a.yaml", "edits": [{"what": "demand", "where": {"id": "plant_coast"}, "set": 1000}]}))
    net = winter()
    before = net.demand.loc[net.demand["node"] == "plant_coast", "demand_t"].to_numpy()
    both = load_scenarios([tmp_path / "a.yaml", tmp_path / "b.yaml"])
    after = apply_scenario(net, both).demand.loc[net.demand["node"] == "plant_coast", "demand_t"].to_numpy()
    assert (after == before * 0.25).all()  # both applied: 0.5 × 0.5, not only the last
    assert [f["path"] for f in both.record()["files"]] == [str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]
    assert all(len(f["sha256"]) == 64 for f in both.record()["files"])
    # include: a.yaml first, then c's own edit; b after c scales the set value
    chain = load_scenarios([tmp_path / "c.yaml", tmp_path / "b.yaml"])
    after = apply_scenario(net, chain).demand.loc[net.demand["node"] == "plant_coast", "demand_t"].to_numpy()
    assert (after == 500).all()
    assert [f["path"] for f in chain.record()["files"]] == [str(tmp_path / "a.yaml"), str(tmp_path / "c.yaml"), str(tmp_path / "b.yaml")]


def test_storage_extra_columns_select_and_messages_name_data_files(tmp_path):
    import shutil

    data = tmp_path / "w"
    shutil.copytree(REPO / "data/examples/winter", data)
    text = (data / "storage.csv").read_text().splitlines()
    text = [text[0] + ",storage_kind"] + [ln + (",reserve" if ln.startswith("reserve") else ",other") for ln in text[1:]]
    (data / "storage.csv").write_text("\n".join(text) + "\n")
    net = validate(read_dataset(data))
    out = apply_scenario(net, scenario(tmp_path, [
        {"what": "safety_stock", "where": {"storage_kind": "reserve"}, "set": 0},
        {"what": "storage_capacity", "where": {"storage_kind": "reserve"}, "scale": 2},
        {"what": "initial_stock", "where": {"storage_kind": "reserve"}, "set": 10},
    ]))
    sp = out.storage_periods.set_index("node")["safety_t"]
    assert (sp["reserve"] == 0).all() and (sp["port"] == 1500).all()
    cap = out.storage_capacity.set_index("node")["capacity_t"]
    assert (cap["reserve"] == 16000).all() and (cap["port"] == 10000).all()
    assert out.storage.set_index("node").loc["reserve", "initial_t"] == 10
    with pytest.raises(DataError) as err:
        apply_scenario(net, scenario(tmp_path, [{"what": "link_capacity", "where": {"id": "nope"}, "scale": 1}]))
    message = str(err.value.problems[0])
    assert "links.csv" in message and "link_periods" not in message


def test_cli_applies_every_scenario_flag_and_records_it(tmp_path):
    import json
    import subprocess
    import sys

    for name, factor in (("a", 0.5), ("b", 0.5)):
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump({"name": name, "edits": [{"what": "demand", "scale": factor}]}))
    runs = {}
    for label, flags in (("one", ["--scenario", tmp_path / "a.yaml"]), ("two", ["--scenario", tmp_path / "a.yaml", "--scenario", tmp_path / "b.yaml"])):
        proc = subprocess.run([sys.executable, "-m", "supplyopt.cli", "solve", REPO / "data/examples/winter", "--out", tmp_path / label, "--quiet", *flags],
                              cwd=REPO, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        runs[label] = json.loads((tmp_path / label / "summary.json").read_text())
    assert runs["two"]["demand_t"] == pytest.approx(runs["one"]["demand_t"] / 2)  # both applied, in order
    assert [f["path"] for f in runs["two"]["scenario"]["files"]] == [str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]
    assert "solve solve" not in (tmp_path / "two" / "run.log").read_text()


def test_a_list_selector_with_a_value_that_matches_nothing_is_an_error(tmp_path):
    # [station_plant, Port_Coast]: the second is a case slip; editing only the first would be silent
    with pytest.raises(DataError) as err:
        apply_scenario(winter(), scenario(tmp_path, [{"what": "link_capacity", "where": {"id": ["station_plant", "Station_Port"]}, "scale": 0.5}]))
    message = str(err.value.problems[0])
    assert "'Station_Port'" in message and "did you mean 'station_port'" in message


@pytest.mark.parametrize("flag, a, b", [("--model", "models/default.yaml", "models/clean_transport.yaml"), ("--out", "x1", "x2"), ("--engine", "highs", "pyomo")])
def test_single_value_options_given_twice_are_refused(tmp_path, flag, a, b):
    import subprocess
    import sys

    a, b = (str(tmp_path / v) if flag == "--out" else v for v in (a, b))
    proc = subprocess.run([sys.executable, "-m", "supplyopt.cli", "solve", "data/examples/winter", flag, a, flag, b] + ([] if flag == "--out" else ["--out", str(tmp_path / "o")]),
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 2 and f"{flag} given more than once" in proc.stderr
    assert not any(tmp_path.iterdir())


def test_missing_scenario_file_names_the_close_one(tmp_path):
    from supplyopt.io.data import DataError
    from supplyopt.io.scenario import load_scenario

    (tmp_path / "cold_wave.yaml").write_text("name: c\nedits: []\n")
    with pytest.raises(DataError) as err:
        load_scenario(tmp_path / "cold_wav.yaml")
    assert "did you mean" in str(err.value.problems[0]) and "cold_wave.yaml" in str(err.value.problems[0])


@pytest.mark.parametrize("command", ["solve", "compare", "sweep"])
def test_every_scenario_problem_at_once_format_and_selection_across_files(tmp_path, command, capsys):
    """Was: a bad number stopped the reading before an unknown node in the same edit or in
    another file was looked for; a planner fixed one and met the next. Now the well-formed part
    of each file is applied too, and every problem of every file comes out in one run."""
    from supplyopt.cli import main

    (tmp_path / "a.yaml").write_text("name: a\nedits:\n  - what: demand\n    where: {node: plant_nowhere}\n    scale: 1.５\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text(yaml.safe_dump({"name": "b", "edits": [
        {"what": "link_capacity", "where": {"id": "a_station"}, "set": -3},
        {"what": "demand", "where": {"node": "Plant_In"}, "scale": 1.2},
        {"what": "demand", "where": {"node": "plant_in"}, "periods": ["2099-W01"], "scale": 1.1},
    ]}))
    files = [str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]
    flags = ["--scenarios", str(tmp_path / "*.yaml")] if command == "sweep" else ["--scenario", files[0], "--scenario", files[1]]
    assert main([command, str(REPO / "data/examples/winter"), *flags, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "5 error(s)" in err, err
    for needle in ("a.yaml, column edits[1].scale: '1.５'", "write 1.5", "a.yaml, column edits[1].where: '{'node': 'plant_nowhere'}'",
                   "b.yaml, column edits[1].set: '-3'", "b.yaml, column edits[2].where", "did you mean 'plant_in'", "b.yaml, column edits[3].periods: '2099-W01'"):
        assert needle in err, (needle, err)
    assert not (tmp_path / "out").exists()


def test_an_included_file_s_problems_come_with_the_including_file_s(tmp_path):
    import supplyopt

    (tmp_path / "inner.yaml").write_text(yaml.safe_dump({"name": "inner", "edits": [{"what": "demand", "where": {"node": "plant_inn"}, "scale": "x"}]}))
    (tmp_path / "outer.yaml").write_text(yaml.safe_dump({"name": "outer", "include": "inner.yaml", "edits": [{"what": "mine_capacity", "where": {"node": "mine_z"}, "scale": 0.5}]}))
    study = supplyopt.Study(winter())
    with pytest.raises(DataError) as err:
        study.apply(tmp_path / "outer.yaml")
    text = "\n".join(map(str, err.value.problems))
    assert len(err.value.problems) == 3, text
    assert "inner.yaml, column edits[1].scale: 'x'" in text and "'plant_inn'" in text and "'mine_z'" in text


@pytest.mark.parametrize("given, needle", [("scenarios", "is a folder; expected a scenario file such as"), ("models/default.yaml", "if it is a model profile, it goes to --model")])
def test_scenario_given_a_folder_or_a_profile_says_what_it_takes(tmp_path, capsys, given, needle):
    from supplyopt.cli import main

    assert main(["solve", str(REPO / "data/examples/winter"), "--scenario", str(REPO / given), "--out", str(tmp_path / "o")]) == 2
    assert needle in capsys.readouterr().err and not (tmp_path / "o").exists()
