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
