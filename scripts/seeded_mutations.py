"""Re-apply the bugs seeded in issue 10 one at a time and check that a test fails for each.

    .venv/bin/python scripts/seeded_mutations.py      # from the repository root; restores every file

Each line: KILLED (a test caught it) or SURVIVED. Complements scripts/mutation.sh (mutmut).
"""
import subprocess, sys
M = [
 ("supplyopt/results.py", '["red", "amber"], "ok"', '["amber", "red"], "ok"', "cover"),
 ("supplyopt/results.py", "/ net.period_days", "", "cover"),
 ("supplyopt/results.py", "from_mine & truck", "truck", "truck"),
 ("supplyopt/model.py", 'fi["truck"] & fi["from"].isin(mines)', 'fi["truck"]', "truck"),
 ("supplyopt/model.py", '"safety": index["safety_t"]', '"safety": index["initial_t"]', "end_stock"),
 ("supplyopt/requirements.py", 'applies=_one_product, price="link_capacity", price_id="link"),', 'applies=_one_product, price="link_capacity", price_id="link", sign=1.0),', "link_capacity_price"),
 ("supplyopt/scenario.py", 'frame.loc[chosen, "min_t"] = np.minimum(frame.loc[chosen, "min_t"], frame.loc[chosen, "capacity_t"])', 'pass', "clip"),
 ("supplyopt/highs_engine.py", '"Primal infeasible or unbounded": "infeasible"', '"Primal infeasible or unbounded": "unbounded"', "unbounded"),
]
for f, old, new, k in M:
    src = open(f).read()
    assert old in src, (f, old)
    open(f, "w").write(src.replace(old, new, 1))
    try:
        r = subprocess.run([".venv/bin/python", "-m", "pytest", "tests/test_seeded_mutations.py", "-x", "-q", "-p", "no:cacheprovider", "-k", f"{k} and not pyomo"], capture_output=True, text=True)
        print(f"{'KILLED' if r.returncode else 'SURVIVED'}  {f}: {old[:50]!r} -> {new[:40]!r}", flush=True)
    finally:
        open(f, "w").write(src)
