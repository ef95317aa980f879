"""Re-apply the bugs seeded in issues 10 and 21 one at a time and check that a test fails for each.

    .venv/bin/python scripts/seeded_mutations.py      # from the repository root; restores every file

Each line: KILLED (a test caught it) or SURVIVED. Complements scripts/mutation.sh (mutmut).
"""
import subprocess

M = [
 ("supplyopt/results/plan.py", '["red", "amber"], "ok"', '["amber", "red"], "ok"', "cover"),
 ("supplyopt/results/plan.py", "/ net.period_days", "", "cover"),
 ("supplyopt/results/plan.py", "from_mine & truck", "truck", "truck"),
 ("supplyopt/model/statement.py", 'fi["truck"] & fi["from"].isin(mines)', 'fi["truck"]', "truck"),
 ("supplyopt/model/statement.py", '"safety": stocks["safety_t"]', '"safety": stocks["initial_t"]', "end_stock"),
 ("supplyopt/model/requirements.py", 'applies=_one_product, price="link_capacity", price_id="link"),', 'applies=_one_product, price="link_capacity", price_id="link", sign=1.0),', "link_capacity_price"),
 ("supplyopt/io/scenario.py", 'frame.loc[chosen, "min_t"] = np.minimum(frame.loc[chosen, "min_t"], frame.loc[chosen, "capacity_t"])', 'pass', "clip"),
 ("supplyopt/engines/highs.py", '"Primal infeasible or unbounded": "infeasible"', '"Primal infeasible or unbounded": "unbounded"', "unbounded"),
 # issue 21 (tests/test_foresight.py): decisions before known_from, cover counting shortfalls, priority ranking, the end deficit
 ("supplyopt/model/foresight.py", 'fam.index["period"].to_numpy() < period', 'fam.index["period"].to_numpy() <= period', "foresight"),
 ("supplyopt/model/foresight.py", '"end_shortfall")', '"end_shortfall", "unmet")', "foresight"),
 ("supplyopt/results/plan.py", 'held = np.where(centre, out["stock_t"] - out["short_t"], out["stock_t"])', 'held = out["stock_t"]', "foresight"),
 ("supplyopt/workflows/screen.py", 'order = per_class if priority.active(net, study.options) else ["delta_unmet_t"]', 'order = ["delta_unmet_t"]', "foresight"),
 ("supplyopt/workflows/screen.py", 'start = study.base.periods.index(window[0]) if window else 0', 'start = 0', "foresight"),
 ("supplyopt/model/statement.py", 'index["end_min_t"] = index["end_target_t"] if hard else 0.0', 'index["end_min_t"] = index["end_target_t"]', "foresight"),
]
for f, old, new, k in M:
    src = open(f).read()
    assert old in src, (f, old)
    open(f, "w").write(src.replace(old, new, 1))
    try:
        target = ["tests/test_foresight.py"] if k == "foresight" else ["tests/test_seeded_mutations.py", "-k", f"{k} and not pyomo"]
        r = subprocess.run([".venv/bin/python", "-m", "pytest", *target, "-x", "-q", "-p", "no:cacheprovider"], capture_output=True, text=True)
        print(f"{'KILLED' if r.returncode else 'SURVIVED'}  {f}: {old[:50]!r} -> {new[:40]!r}", flush=True)
    finally:
        open(f, "w").write(src)
