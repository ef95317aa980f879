#!/usr/bin/env bash
# Mutation testing of supplyopt/model/statement.py and supplyopt/results/plan.py with mutmut (3.8.1), on a fast
# test subset (the seeded-mutation cases, the hand-solved model cases and the report tests,
# default engine only). Prints the kill rate per file; mutmut's own report: `.venv/bin/mutmut results`.
# Only lines the subset executes are mutated (COVERED_ONLY=false mutates every line: ~2,000
# mutants, hours on two shared cores).
#
#   scripts/mutation.sh            # JOBS=2 parallel test runs by default
#   JOBS=1 scripts/mutation.sh
#   SAMPLE=15 scripts/mutation.sh  # after a (possibly interrupted) run: check every 15th mutant
#                                  # not yet checked, for a kill rate in a fraction of the time
#
# mutmut is a developer tool, not a supplyopt dependency: it is installed into .venv on first use.
# It works on a copy of the package in ./mutants (git-ignored); setup.cfg holds its settings only
# while it runs (the file list is built here, so new modules are never mutated by surprise).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
"$PY" -c "import mutmut" 2>/dev/null || "$PY" -m pip install -q mutmut==3.8.1
if [ -e setup.cfg ]; then echo "scripts/mutation.sh: setup.cfg exists; this script writes its own" >&2; exit 2; fi
trap 'rm -f setup.cfg' EXIT
{
  echo "[mutmut]"
  echo "source_paths=supplyopt/"
  echo "only_mutate="
  echo "    supplyopt/model/statement.py"
  echo "    supplyopt/results/plan.py"
  echo "also_copy="
  for d in data/ models/ scenarios/; do echo "    $d"; done
  echo "pytest_add_cli_args_test_selection="
  for a in tests/test_seeded_mutations.py tests/test_model.py tests/test_report.py -k "not pyomo"; do echo "    $a"; done
  echo "mutate_only_covered_lines=${COVERED_ONLY:-true}"
  echo "use_git_change_detection=false"
} > setup.cfg
start=$(date +%s)
if [ -n "${SAMPLE:-}" ] && [ -d mutants/supplyopt ]; then
  # every SAMPLE-th mutant of each function not yet checked (mutants from an earlier run)
  mapfile -t names < <("$PY" - "$SAMPLE" <<'PY'
import json, sys
from pathlib import Path
step = int(sys.argv[1])
for meta in sorted(Path("mutants/supplyopt").glob("*.py.meta")):
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    for i, (name, code) in enumerate(sorted(codes.items())):
        if code is None and i % step == 0:
            print(name)
PY
)
  echo "checking a sample of ${#names[@]} mutants (every ${SAMPLE}th)"
  .venv/bin/mutmut run --max-children "${JOBS:-2}" "${names[@]}" > mutants.log 2>&1 || true
else
  rm -rf mutants
  .venv/bin/mutmut run --max-children "${JOBS:-2}" > mutants.log 2>&1 || true
fi
"$PY" - "$start" <<'PY'
import json, sys, time
from collections import Counter
from pathlib import Path

KILLED = {1, 3, -24}
for meta in sorted(Path("mutants/supplyopt").glob("*.py.meta")):
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    c = Counter("killed" if v in KILLED else "survived" if v == 0 else "no tests" if v in (5, 33) else "timeout" if v in (24, 36, 152, 255) else "not checked" if v is None else f"exit {v}" for v in codes.values())
    checked = c["killed"] + c["survived"] + c["timeout"]
    rate = (c["killed"] + c["timeout"]) / checked if checked else float("nan")
    print(f"{meta.name[:-5]}: {len(codes)} mutants, kill rate {rate:.1%} ({dict(c)})")
print(f"took {time.time() - float(sys.argv[1]):.0f} s")
PY
