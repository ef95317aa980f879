"""A command imports only what it needs (issue 28: small runs feel instant).

``supplyopt solve`` with the HiGHS engine loads no Pyomo, no matplotlib, no openpyxl and no
workflow module but the one whose defaults the argument parser shows; ``--report`` and the
other commands load theirs when they run. Each case runs in a fresh interpreter, calls the
command line's ``main`` and prints the modules loaded at the end. Not timed: what is loaded is
the cause, the seconds follow from it (benchmarks/run.py --fixed measures them)."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO

TRANSPORT = REPO / "data" / "examples" / "transport"
HEAVY = ("pyomo", "matplotlib", "openpyxl", "networkx", "scipy", "dask", "jinja2", "mpi4py", "bokeh")


def loaded_by(argv: list[str]) -> tuple[int, set[str]]:
    """Exit code of ``supplyopt ARGV`` run in a fresh interpreter, and every module it loaded."""
    code = (
        "import json, sys\n"
        "from supplyopt.cli import main\n"
        f"rc = main({argv!r})\n"
        "print(json.dumps([rc, sorted(sys.modules)]))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    rc, modules = json.loads(r.stdout.strip().splitlines()[-1])
    return rc, set(modules)


def roots(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_solve_with_highs_loads_no_pyomo_matplotlib_or_workflows(tmp_path):
    rc, modules = loaded_by(["solve", str(TRANSPORT), "--model", "models/default.yaml", "--out", str(tmp_path / "r"), "--quiet"])
    assert rc == 0
    assert not roots(modules) & set(HEAVY), sorted(roots(modules) & set(HEAVY))
    assert not any(m.startswith("supplyopt.engines.pyomo_view") for m in modules)
    workflows = sorted(m for m in modules if m.startswith("supplyopt.workflows."))
    assert workflows == ["supplyopt.workflows.economics"], workflows  # --carbon-price's default
    assert not any(m.startswith("supplyopt.reports.") and m != "supplyopt.reports.terminal" for m in modules)


def test_validate_loads_no_solver_glue_and_the_library_face_loads_workflows_when_asked():
    rc, modules = loaded_by(["validate", str(TRANSPORT)])
    assert rc == 0
    assert not roots(modules) & set(HEAVY)
    assert "supplyopt.workflows.schedule" not in modules
    # the library face still offers every workflow: imported on first use
    code = "import sys, supplyopt.api as api; assert 'supplyopt.workflows.compare' not in sys.modules; f = api.compare; print(f.__module__)"
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "supplyopt.workflows.compare", r.stderr[-2000:]


def test_the_pyomo_engine_and_report_load_theirs_when_asked(tmp_path):
    rc, modules = loaded_by(["solve", str(TRANSPORT), "--engine", "pyomo", "--out", str(tmp_path / "p"), "--quiet"])
    assert rc == 0 and "pyomo" in roots(modules) and "matplotlib" not in roots(modules)
    rc, modules = loaded_by(["solve", str(TRANSPORT), "--out", str(tmp_path / "r"), "--quiet", "--report"])
    assert rc == 0 and "matplotlib" in roots(modules) and "pyomo" not in roots(modules)
