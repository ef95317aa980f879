"""`method: choose` (solve.choose_method), warm re-solves after a chosen IPM, the key look-up of
warm changes, and what a solve imports."""

from __future__ import annotations

import importlib
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, solve_path

solve = importlib.import_module("supplyopt.engines.solver")  # the engine module (supplyopt.solve is the API function, and only that)
solution = importlib.import_module("supplyopt.engines.solution")  # where the choose rule lives
highs_engine = importlib.import_module("supplyopt.engines.highs")
from supplyopt.io.data import read_dataset
from supplyopt.io.validate import validate
from supplyopt.model.options import SolverOptions, load_options
from supplyopt.model.statement import LinearProgram, build_lp


def test_choose_rule_by_columns_and_cores(monkeypatch):
    small, big = LinearProgram("s", n_cols=solve.IPM_FROM_COLUMNS - 1), LinearProgram("b", n_cols=solve.IPM_FROM_COLUMNS)
    monkeypatch.setattr(solution, "cores", lambda: 1)
    assert solve.choose_method(small)[0] == "simplex"
    assert solve.choose_method(big)[0] == "ipm"
    assert "crossover" in solve.choose_method(big)[1]
    assert solve.highs_option_values(SolverOptions(), big)["solver"] == "ipm"
    assert solve.highs_option_values(SolverOptions(), big)["run_crossover"] == "on"
    assert solve.highs_option_values(SolverOptions(method="simplex"), big)["solver"] == "simplex"  # the profile wins
    assert solve.highs_option_values(SolverOptions(), small)["solver"] == "simplex"
    monkeypatch.setattr(solution, "cores", lambda: 2)
    assert solve.choose_method(small)[0] == "simplex"
    assert solve.choose_method(big)[0] == "race"
    assert solve.choose_method(big, SolverOptions(threads=1))[0] == "ipm"  # one thread asked for: no race
    assert solve.choose_method(big, SolverOptions(race=False))[0] == "ipm"
    values = solve.highs_option_values(SolverOptions(), big)
    assert values["solver"] == "simplex" and values["simplex_dual_edge_weight_strategy"] == 1  # the kept model's side


def _race_engine(monkeypatch, **partner):
    monkeypatch.setattr(solution, "IPM_FROM_COLUMNS", 1)
    monkeypatch.setattr(solution, "cores", lambda: 2)
    monkeypatch.setattr(highs_engine, "RACE_PARTNER", {**highs_engine.RACE_PARTNER, **partner})
    opt = load_options(None)
    lp = build_lp(validate(read_dataset(REPO / "data/examples/winter")), opt)
    return solve.HighsEngine(lp, opt.solver), lp, opt


@pytest.mark.parametrize("partner", [{}, {"ipm_iteration_limit": 0}, {"solver": "simplex", "simplex_iteration_limit": 0}])
def test_a_race_gives_the_optimum_and_leaves_a_warm_kept_model(monkeypatch, partner):
    # as chosen; with an interior point side that stops without a plan (the simplex side must
    # then give it, not the first to finish); and with a partner that gives up at once
    eng, lp, opt = _race_engine(monkeypatch, **partner)
    assert eng.method == "race"
    first = eng.solve()
    cold = solve.HighsEngine(build_lp(validate(read_dataset(REPO / "data/examples/winter")), opt), SolverOptions(method="simplex")).solve()
    assert first.status == "optimal" and first.objective == pytest.approx(cold.objective, rel=1e-9)
    assert solve.check_plan(lp, first.x) == []
    assert "finished first" in eng.method_reason or "gave it" in eng.method_reason
    if partner:
        assert "dual simplex" in eng.method_reason.split(";")[-1]
    assert eng.h.getOptionValue("simplex_dual_edge_weight_strategy")[1] == -1  # re-solves: HiGHS's default pricing
    solve.change_link_capacity(eng, pd.DataFrame({"link": ["station_plant"], "period": [1], "capacity_t": [1000.0]}))
    warm = eng.solve()
    rebuilt = solve.HighsEngine(eng.lp, SolverOptions(method="simplex")).solve()
    assert warm.objective == pytest.approx(rebuilt.objective, rel=1e-9)
    assert warm.iterations < rebuilt.iterations


def test_a_race_won_by_interior_point_hands_its_basis_to_the_kept_model(monkeypatch):
    eng, lp, opt = _race_engine(monkeypatch)
    eng.h.setOptionValue("simplex_iteration_limit", 0)  # the simplex side cannot finish
    first = eng.solve()
    assert first.status == "optimal" and "interior point" in eng.method_reason.split(";")[-1]
    eng.h.setOptionValue("simplex_iteration_limit", 1_000_000)
    again = eng.solve()  # from the interior point's basis: nothing left to do
    assert again.objective == pytest.approx(first.objective, rel=1e-9) and again.iterations == 0


def test_chosen_ipm_gives_the_exact_vertex_plan_and_duals(monkeypatch):
    # GAMS trnsport: z = 153.675; demand marginals 0.225, 0.153, 0.126 (published optimum)
    monkeypatch.setattr(solution, "IPM_FROM_COLUMNS", 1)
    monkeypatch.setattr(solution, "cores", lambda: 1)  # one core: interior point alone, no race
    _, lp, sol, plan = solve_path(REPO / "data/examples/transport")
    assert sol.iterations is not None
    assert plan.kpis["objective"] == pytest.approx(153.675, abs=1e-9)
    prices = plan.prices[plan.prices["kind"] == "delivery"].set_index("id")["price_cny_per_t"]
    assert prices.to_dict() == pytest.approx({"new-york": 0.225, "chicago": 0.153, "topeka": 0.126})
    assert solve.check_plan(lp, sol.x) == []


def test_chosen_ipm_then_warm_simplex_matches_a_cold_solve(monkeypatch):
    monkeypatch.setattr(solution, "IPM_FROM_COLUMNS", 1)
    monkeypatch.setattr(solution, "cores", lambda: 1)  # one core: interior point alone, no race
    opt = load_options(None)
    lp = build_lp(validate(read_dataset(REPO / "data/examples/winter")), opt)
    eng = solve.HighsEngine(lp, opt.solver)
    assert eng.method == "ipm"
    first = eng.solve()
    assert first.status == "optimal" and eng.h.getOptionValue("solver")[1] == "simplex"  # re-solves start from crossover's basis
    solve.change_link_capacity(eng, pd.DataFrame({"link": ["station_plant"], "period": [1], "capacity_t": [1000.0]}))
    warm = eng.solve()
    cold = solve.HighsEngine(eng.lp, SolverOptions(method="simplex")).solve()  # the changed LP, from scratch
    assert warm.objective != pytest.approx(first.objective)
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    assert warm.iterations < cold.iterations


def test_positions_of_changes_keep_their_order_and_repeat_for_every_match():
    index = pd.DataFrame({"link": ["a", "a", "b", "b", "c"], "period": [0, 0, 0, 1, 0], "product": ["x", "y", "x", "x", "x"]})
    changes = pd.DataFrame({"link": ["b", "a"], "period": [1, 0], "capacity_t": [5.0, 7.0]})
    cache: dict = {}
    for _ in range(2):  # the second call uses the cached look-up
        take, pos = solve._positions(index, changes, ["link", "period"], cache)
        assert pos.tolist() == [3, 0, 1]
        assert changes["capacity_t"].to_numpy()[take].tolist() == [5.0, 7.0, 7.0]
    with pytest.raises(KeyError, match="'link': 'z'"):
        solve._positions(index, pd.DataFrame({"link": ["z"], "period": [0]}), ["link", "period"], cache)


def test_a_solve_does_not_import_networkx_scipy_matplotlib_or_pyomo(tmp_path):
    code = (
        "import sys\n"
        "from supplyopt.cli import main\n"
        f"sys.argv = ['supplyopt', 'solve', {str(REPO / 'data/examples/winter')!r}, '--out', {str(tmp_path / 'out')!r}, '--quiet']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'networkx', 'scipy', 'matplotlib', 'pyomo'})\n"
        "assert not loaded, loaded\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "out" / "summary.json").exists()


def test_reachability_search_matches_a_hand_traced_graph():
    # a → b → c, d → e, c → a (cycle); from {a}: a, b, c; from {d}: d, e; from {}: nothing
    from supplyopt.io.validate import _reachable

    succ = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["e"]}
    assert _reachable(succ, {"a"}) == {"a", "b", "c"}
    assert _reachable(succ, {"d"}) == {"d", "e"}
    assert _reachable(succ, {"b", "d"}) == {"a", "b", "c", "d", "e"}
    assert _reachable(succ, set()) == set()
    assert np.all([n in _reachable(succ, {"c"}) for n in "abc"])


def test_a_thread_count_other_than_the_first_solves_still_solves():
    # HiGHS sizes one thread pool per process at its first solve; asking for another size
    # later used to fail with "the solver failed (HiGHS status Not Set)"
    import supplyopt

    net = supplyopt.load(REPO / "data/examples/transport")
    first = supplyopt.solve(net).summary["objective"]
    for threads in (1, 2, None):
        assert supplyopt.solve(net, threads=threads).summary["objective"] == pytest.approx(first, rel=1e-12)
