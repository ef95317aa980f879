"""The benchmark's pieces on the smallest size, for correctness only (no timing): the
generator writes a valid data set, the independent raw-highspy builder produces the very same
LP as supplyopt, and both reach the same optimum; warm changes match a rebuild."""

from __future__ import annotations

import sys

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

import generate  # noqa: E402
import run as bench  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return generate.write(tmp_path_factory.mktemp("bench") / "tiny", *generate.generate(generate.SIZES["tiny"], seed=3))


def test_generated_data_set_is_valid_and_the_lp_is_identical(tiny):
    assert bench.worker_check(tiny) == {"identical_lp": True}


def test_supplyopt_and_raw_highspy_agree_and_warm_matches_rebuild(tiny):
    ours = bench.worker_supplyopt(tiny, warm=True)
    raw = bench.worker_raw(tiny)
    assert ours["status"] == "optimal"
    assert ours["objective"] == pytest.approx(raw["objective"], rel=1e-9)
    assert ours["warm_objective"] == pytest.approx(ours["cold_objective"], rel=1e-9)
    assert ours["changes"] > 0


@pytest.fixture(scope="module")
def tiny_realistic(tmp_path_factory):
    return generate.write(tmp_path_factory.mktemp("bench") / "tiny-r", *generate.generate_realistic(generate.SIZES["tiny"], seed=3))


def test_realistic_family_has_the_shanxi_features_and_the_raw_builder_matches(tiny_realistic):
    from supplyopt.io.data import read_dataset
    from supplyopt.io.validate import validate
    from supplyopt.model.options import load_options
    from supplyopt.model.statement import build_lp

    prof = generate.REALISTIC_PROFILE
    net = validate(read_dataset(tiny_realistic))
    lp = build_lp(net, load_options(prof))
    assert net.products == ["thermal", "coking"]
    for family in ("link_capacity", "storage_capacity", "safety_stock", "max_mine_truck_share"):
        assert lp.constraints[family].size > 0, family
    assert (net.links["efficiency"] < 1).any() and set(net.links["mode"]) >= {"rail", "truck", "sea", "uhv", "conveyor"}
    assert (net.supply["min_t"] > 0).any()
    assert bench.worker_check(tiny_realistic, prof) == {"identical_lp": True}
    ours, raw = bench.worker_supplyopt(tiny_realistic, warm=False, profile=prof), bench.worker_raw(tiny_realistic, prof)
    assert ours["status"] == "optimal"
    assert ours["objective"] == pytest.approx(raw["objective"], rel=1e-9)


def test_warm_outage_re_solves_agree_with_raw_highspy(tiny_realistic):
    out = bench.worker_many(tiny_realistic, 3, profile=generate.REALISTIC_PROFILE)
    assert out["cases"] == 3 and out["objectives_agree"]
