"""Stochastic plans at scale (issue 24): a 100-scenario Shanxi winter set, the extensive form
against progressive hedging on 1 and 2 MPI processes: wall time, peak memory, optimality gap.

    .venv/bin/python benchmarks/stochastic.py --scenarios 100 --seed 0 --time-limit 900 --methods ef,ph1,ph2 --readme
    .venv/bin/python benchmarks/stochastic.py --scenarios 4 --time-limit 60             # a smoke run (minutes)

The scenario set (seeded, reproducible; written to benchmarks/out/stochastic/set/, git-ignored)
combines the six winter scenario files of scenarios/ that act after 2026-W49 on data/shanxi,
each absent or present at one of three intensities:

| event | file | chance present |
|---|---|---|
| cold | cold_wave.yaml | 0.30 |
| daqin | daqin_winter_disruption.yaml | 0.10 |
| storm | port_storm_bohai.yaml | 0.15 |
| inspect | safety_inspection_north.yaml | 0.20 |
| phaseout | small_mine_phaseout.yaml | 0.10 |
| uhv | uhv_full_coal.yaml | 0.10 |

Six on/off files give only 64 combinations, fewer than 100, so a present event also has an
intensity: ``lo`` (chance 0.25), the file as it is (0.5) or ``hi`` (0.25). An intensity moves
every edit's ``scale`` away from 1 by half as much (lo) or half as much again (hi):
scale' = 1 + f (scale − 1), f = 0.5 / 1 / 1.5 — the cold wave's heating demand ×1.1 / 1.2 /
1.3 (power ×1.05 / 1.1 / 1.15), Daqin's worst week at 79 / 59 / 38 % of capacity, the northern
mines under inspection at 75 / 50 / 25 %. Variants are written as small scenario files of the
same format next to the set (``cold_wave_lo.yaml`` …); the file as it is is referenced from
scenarios/. That makes 4⁶ = 4,096 possible futures. Each future's chance is the product of
its events' chances (present: chance × intensity chance; absent: 1 − chance), events
independent. The set is ``--scenarios N`` distinct futures drawn with numpy's default_rng(seed)
from that distribution (draws repeated until N distinct ones are found), each given its chance
normalised over the N drawn so that the probabilities sum to 1; sorted by probability. The
calm winter (no event, chance 0.35) is practically always drawn. The set is an illustration of
scale, not a forecast: the chances are planning guesses like those of scenarios/sets/winter.yaml.

Each method runs ``supplyopt stochastic data/shanxi --model models/default.yaml --scenarios
SET --decide-until 2026-W49 --json --out DIR`` in its own process (``--method ef``;
``--method ph --procs 1|2 --time-limit T``), under ``/usr/bin/time -v`` where it exists. Measured:

- wall s: the whole command, from start to exit (for PH that includes building and solving,
  in the parent, the extensive form with PH's first stage fixed, the expected-value problem
  and the wait-and-see problem, as ``supplyopt stochastic`` always does; ``PH s`` is the MPI
  job's own time);
- peak MiB: the largest sum of resident memory over the whole process tree (the supplyopt
  process, mpiexec, hydra's proxy and every MPI rank), sampled every 0.1 s with psutil (pages
  shared between processes, such as libraries, are counted once per process); ``largest
  process`` is GNU time's maximum RSS, the peak of the single largest process of the tree;
- expected cost, objective (RP), and for PH the number of iterations, why it stopped, its
  Lagrangian bound, its own gap (best plan − bound) / best plan (recomputed from the two: summary.json
  rounds numbers to 6 decimals, so a gap below 5e-7 reads 0 there), and its evaluated objective's
  difference from EF's, (PH − EF) / EF (0 when PH's plan is optimal; PH's bound must be at
  most EF's objective).

Results go to benchmarks/out/stochastic/results.json; ``--readme`` writes a table into
benchmarks/README.md between ``<!-- stochastic: begin -->`` and ``<!-- stochastic: end -->``
(a section "## Stochastic plans (issue 24)" is added at the end if the markers are missing).
The script exits 1 when a run fails or PH's bound lies above EF's objective.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import psutil
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out" / "stochastic"
README = HERE / "README.md"
BEGIN, END = "<!-- stochastic: begin -->", "<!-- stochastic: end -->"
SECTION = "## Stochastic plans (issue 24)"

# tag, file in scenarios/, chance that the event is present
EVENTS = [
    ("cold", "cold_wave.yaml", 0.30),
    ("daqin", "daqin_winter_disruption.yaml", 0.10),
    ("storm", "port_storm_bohai.yaml", 0.15),
    ("inspect", "safety_inspection_north.yaml", 0.20),
    ("phaseout", "small_mine_phaseout.yaml", 0.10),
    ("uhv", "uhv_full_coal.yaml", 0.10),
]
# intensity: suffix of the name, factor on (scale − 1), chance given that the event is present
LEVELS = [("lo", 0.5, 0.25), ("", 1.0, 0.5), ("hi", 1.5, 0.25)]
METHODS = {"ef": ("ef", None), "ph1": ("ph", 1), "ph2": ("ph", 2)}
GNU_TIME = "/usr/bin/time"
MIB = 1024 * 1024


# --------------------------------------------------------------------------- the scenario set
def chance(combo: tuple[int, ...]) -> float:
    """A future's chance; ``combo[i]`` is -1 (event i absent) or its intensity level."""
    p = 1.0
    for (_, _, present), level in zip(EVENTS, combo):
        p *= (1 - present) if level < 0 else present * LEVELS[level][2]
    return p


def draw(n: int, seed: int) -> list[tuple[int, ...]]:
    """``n`` distinct futures drawn from the events' distribution, sorted by chance (then name)."""
    total = (1 + len(LEVELS)) ** len(EVENTS)
    if not 1 <= n <= total:
        raise SystemExit(f"--scenarios: expected 1 … {total} (six events, each absent or at {len(LEVELS)} intensities)")
    rng = np.random.default_rng(seed)
    level_p = [lv[2] for lv in LEVELS]
    seen: dict[tuple[int, ...], None] = {}
    draws = 0
    while len(seen) < n:
        draws += 1
        if draws > 10_000_000:
            raise SystemExit(f"--scenarios {n}: only {len(seen)} distinct futures after {draws - 1:,} draws; ask for fewer")
        combo = tuple(int(rng.choice(len(LEVELS), p=level_p)) if rng.random() < present else -1 for _, _, present in EVENTS)
        seen.setdefault(combo)
    return sorted(seen, key=lambda c: (-chance(c), name_of(c)))


def name_of(combo: tuple[int, ...]) -> str:
    parts = [tag + (f"_{LEVELS[lv][0]}" if LEVELS[lv][0] else "") for (tag, _, _), lv in zip(EVENTS, combo) if lv >= 0]
    return "_and_".join(parts) or "calm"


def variant(file: str, level: int, folder: Path) -> str:
    """The scenario file for ``file`` at intensity ``level``, relative to ``folder`` (the set's):
    the original for factor 1, else a new file there with every edit's scale moved."""
    suffix, factor, _ = LEVELS[level]
    source = REPO / "scenarios" / file
    if factor == 1.0:
        return os.path.relpath(source, folder)
    raw = yaml.safe_load(source.read_text())
    edits = []
    for edit in raw["edits"]:
        if "scale" not in edit:
            raise SystemExit(f"{source}: an edit without scale cannot be given an intensity: {edit}")
        edits.append({**edit, "scale": round(1 + factor * (float(edit["scale"]) - 1), 6)})
    stem = Path(file).stem
    out = {"name": f"{stem}_{suffix}",
           "description": f"{stem} (scenarios/{file}) at intensity {suffix}: every scale moved from 1 by {factor:g} times as much as in the original. "
                          f"Written by benchmarks/stochastic.py.",
           "edits": edits}
    target = folder / f"{stem}_{suffix}.yaml"
    target.write_text(yaml.safe_dump(out, sort_keys=False, allow_unicode=True, width=100))
    return target.name


def write_set(n: int, seed: int, folder: Path) -> tuple[Path, list[dict], int, float]:
    """Write the set (and its variant files) into ``folder``; returns the set file, its members,
    the number of variant files written and the drawn futures' total chance."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    combos = draw(n, seed)
    raw = np.array([chance(c) for c in combos])
    probs = raw / raw.sum()
    members, files = [], {}
    for combo, p in zip(combos, probs):
        used = []
        for (tag, file, _), lv in zip(EVENTS, combo):
            if lv >= 0:
                if (file, lv) not in files:
                    files[(file, lv)] = variant(file, lv, folder)
                used.append(files[(file, lv)])
        members.append({"name": name_of(combo), "probability": float(p), "scenario": used})
    # probabilities written to 15 significant digits sum to 1 within the reader's 1e-6
    text = {
        "name": f"winter{n}_seed{seed}",
        "description": (f"{n} distinct Shanxi winter futures (data/shanxi, decide up to 2026-W49) drawn with seed {seed} by benchmarks/stochastic.py: "
                        "the six winter scenario files, each absent or present at intensity lo / as written / hi; chances are planning guesses "
                        f"(the drawn futures' chances, {raw.sum():.4f} in all, normalised to sum to 1)."),
        "scenarios": [{**m, "probability": float(f"{m['probability']:.15g}")} for m in members],
    }
    path = folder / "set.yaml"
    path.write_text(yaml.safe_dump(text, sort_keys=False, allow_unicode=True, width=100))
    written = sum(LEVELS[lv][1] != 1.0 for _, lv in files)
    return path, members, written, float(raw.sum())


# --------------------------------------------------------------------------- running and measuring
def supplyopt_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "supplyopt"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "supplyopt"]


def tree_memory(root: psutil.Process, skip_root: bool) -> tuple[int, int]:
    """(sum of RSS over ``root``'s process tree, number of processes); ``skip_root``: leave out
    the root itself (GNU time, a few MiB)."""
    try:
        procs = root.children(recursive=True)
    except psutil.Error:
        return 0, 0
    if not skip_root:
        procs.append(root)
    total, count = 0, 0
    for p in procs:
        try:
            total += p.memory_info().rss
            count += 1
        except psutil.Error:  # gone between listing and reading
            pass
    return total, count


def kill_tree(root: psutil.Process) -> None:
    try:
        procs = root.children(recursive=True) + [root]
    except psutil.Error:
        procs = [root]
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass


def measure(cmd: list[str], log_stem: Path, kill_after: float | None) -> dict:
    """Run ``cmd`` (under GNU time where available), sampling its process tree's memory."""
    timed = Path(GNU_TIME).exists()
    full = ([GNU_TIME, "-v"] if timed else []) + cmd
    out_file, err_file = log_stem.with_suffix(".stdout"), log_stem.with_suffix(".stderr")
    peak, peak_procs, most_procs = 0, 0, 0
    killed = False
    with open(out_file, "w") as out, open(err_file, "w") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(full, cwd=REPO, stdout=out, stderr=err, start_new_session=True)
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            rss, n = tree_memory(root, skip_root=timed)
            if rss > peak:
                peak, peak_procs = rss, n
            most_procs = max(most_procs, n)
            if kill_after is not None and time.perf_counter() - started > kill_after:
                kill_tree(root)  # not killpg: the MPI job runs in a session of its own
                killed = True
                proc.wait()
                break
            time.sleep(0.1)
        wall = time.perf_counter() - started
    stderr = err_file.read_text(errors="replace")
    largest = None
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    if m:
        largest = int(m.group(1)) * 1024 / MIB
    return {"rc": proc.returncode, "killed": killed, "wall_s": wall, "peak_mib": peak / MIB, "processes_at_peak": peak_procs, "processes_max": most_procs,
            "largest_process_mib": largest, "stdout": str(out_file.relative_to(REPO)), "stderr": str(err_file.relative_to(REPO)),
            "stderr_tail": [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("\t")][-15:]}


def run_method(key: str, a, set_path: Path) -> dict:
    method, procs = METHODS[key]
    out_dir = OUT / "runs" / key
    if out_dir.exists():
        shutil.rmtree(out_dir)  # a fresh folder: supplyopt refuses to replace what it did not write
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    rel = lambda p: os.path.relpath(p, REPO)  # noqa: E731
    args = ["stochastic", a.data, "--model", a.model, "--scenarios", rel(set_path), "--decide-until", a.decide_until, "--method", method]
    if method == "ph":
        args += ["--procs", str(procs), "--time-limit", f"{a.time_limit:g}"]
    else:  # HiGHS's limit: models/default.yaml's 300 s stops the 100-scenario extensive form before any plan
        args += ["--time-limit", f"{a.ef_time_limit:g}"]
    args += ["--json", "--out", rel(out_dir)]
    cmd = supplyopt_cmd() + args
    print(f"[{key}] supplyopt {' '.join(args)}", flush=True)
    row = {"key": key, "method": method, "procs": procs, "command": "supplyopt " + shlex.join(args)}
    row.update(measure(cmd, OUT / "runs" / key, a.kill_after))
    summary_file = out_dir / "summary.json"
    if row["rc"] == 0 and summary_file.exists():
        s = json.loads(summary_file.read_text())
        ph = s.get("progressive_hedging") or {}
        row.update({
            "objective": s.get("objective"), "expected_cost_cny": s.get("expected_cost_cny"), "vss_cny": s.get("vss_cny"), "evpi_cny": s.get("evpi_cny"),
            "ws_cny": s.get("ws_cny"), "eev_cny": s.get("eev_cny"), "supplyopt_wall_s": s.get("wall_s"), "variables": s.get("model", {}).get("variables"),
            "constraints": s.get("model", {}).get("constraints"), "scenarios": s.get("scenarios"), "solver": s.get("solver"),
            "ph_iterations": ph.get("iterations"), "ph_stopped": ph.get("stopped"), "ph_bound_cny": ph.get("bound_cny"),
            "ph_best_plan_cny": ph.get("best_plan_cny"), "ph_gap_reported": ph.get("gap"), "ph_wall_s": ph.get("wall_s"), "ph_procs": ph.get("procs"),
        })
        # summary.json rounds every number to 6 decimals, so a gap below 5e-7 reads 0 there:
        # recomputed from the plan's cost and the bound, as hedging.py computes it
        best, bound = ph.get("best_plan_cny"), ph.get("bound_cny")
        row["ph_gap"] = (best - bound) / max(1.0, abs(best)) if best is not None and bound is not None else None
        row["ok"] = True
    else:
        row["ok"] = False
        row["error"] = error_lines(OUT / "runs" / f"{key}.stdout")
    return row


def error_lines(stdout: Path) -> list[str]:
    """What a failed run said: with --json supplyopt prints its problems as JSON on stdout."""
    text = stdout.read_text(errors="replace") if stdout.exists() else ""
    try:
        problems = json.loads(text).get("problems") or []
        return [f"{p.get('file') or ''} {p.get('column') or ''}: {p.get('message')}".strip() for p in problems[:5]]
    except (ValueError, AttributeError):
        return [ln for ln in text.splitlines() if ln.strip()][-10:]


def compare(rows: list[dict]) -> list[str]:
    """Fill PH's difference from EF; return the problems (a bound above EF's objective)."""
    problems = []
    ef = next((r for r in rows if r["key"] == "ef" and r["ok"]), None)
    for r in rows:
        r["vs_ef"], r["bound_below_ef"] = None, None
        if ef is None or r["method"] != "ph" or not r["ok"] or r.get("objective") is None:
            continue
        base = ef["objective"]
        r["vs_ef"] = (r["objective"] - base) / abs(base)
        if r.get("ph_bound_cny") is not None:
            r["bound_below_ef"] = r["ph_bound_cny"] <= base + 1e-7 * abs(base)
            if not r["bound_below_ef"]:
                problems.append(f"{r['key']}: PH's bound {r['ph_bound_cny']:,.0f} is above EF's objective {base:,.0f}")
        if r["vs_ef"] < -1e-7:
            problems.append(f"{r['key']}: PH's evaluated plan {r['objective']:,.0f} is cheaper than EF's optimum {base:,.0f}")
    return problems


# --------------------------------------------------------------------------- report
def fmt(v, spec: str = ",.2f", none: str = "–") -> str:
    return none if v is None else format(v, spec)


def bn(v) -> str:
    return fmt(None if v is None else v / 1e9, ",.6f")


def table(result: dict) -> str:
    m = result["machine"]
    lines = [
        f"Machine: {m['machine']}, {m['cores']} cores (os.cpu_count()), Python {m['python']}, load average at the end {m['load_end']}; "
        f"made {result['date']} by",
        "",
        "```sh",
        result["command"],
        "```",
        "",
        f"Set: {result['set']['scenarios']} scenarios (seed {result['set']['seed']}, {result['set']['variant_files']} variant files; "
        f"the drawn futures cover {result['set']['raw_probability']:.1%} of the events' distribution), decide up to {result['decide_until']}; "
        f"extensive form {fmt(result.get('variables'), ',d')} variables, {fmt(result.get('constraints'), ',d')} constraints.",
        "",
        "| method | MPI procs | wall s | PH s | peak MiB (tree, summed) | largest process MiB | objective (bn CNY) | expected cost (bn CNY) "
        "| PH iterations | PH stopped | PH bound (bn CNY) | PH gap | PH − EF (relative) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["runs"]:
        if not r["ok"]:
            why = "killed (--kill-after)" if r["killed"] else f"failed (exit {r['rc']})"
            lines.append(f"| {r['method']} | {fmt(r['procs'], 'd')} | {r['wall_s']:,.1f} | – | {r['peak_mib']:,.0f} | {fmt(r['largest_process_mib'], ',.0f')} "
                         f"| {why} | – | – | – | – | – | – |")
            continue
        lines.append(
            f"| {r['method']} | {fmt(r['procs'], 'd')} | {r['wall_s']:,.1f} | {fmt(r['ph_wall_s'], ',.1f')} | {r['peak_mib']:,.0f} "
            f"| {fmt(r['largest_process_mib'], ',.0f')} | {bn(r['objective'])} | {bn(r['expected_cost_cny'])} | {fmt(r['ph_iterations'], 'd')} "
            f"| {r['ph_stopped'] or '–'} | {bn(r['ph_bound_cny'])} | {fmt(r['ph_gap'], '.2e')} | {fmt(r['vs_ef'], '.2e')} |")
    lines += [
        "",
        "Wall s: the whole `supplyopt stochastic` command; for PH that includes the parent's exact evaluation of PH's plan in the extensive form "
        "(first stage fixed) and the expected-value and wait-and-see problems (VSS, EVPI), which EF also solves. PH s: the MPI job alone. "
        "Peak MiB: the largest sum of resident memory over the process tree (supplyopt, mpiexec, proxy, every rank; psutil every 0.1 s). "
        "Largest process: GNU time's maximum RSS. PH gap: (best plan − Lagrangian bound) / best plan, PH's own; PH − EF: PH's evaluated "
        "objective against EF's optimum.",
    ]
    return "\n".join(lines)


def write_readme(md: str) -> None:
    text = README.read_text()
    if BEGIN not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n{BEGIN}\n{END}\n"
    a, b = text.index(BEGIN) + len(BEGIN), text.index(END)
    README.write_text(text[:a] + "\n" + md + "\n" + text[b:])


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenarios", type=int, default=100, help="futures in the set (default 100)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--time-limit", type=float, default=900, help="PH's --time-limit in seconds (default 900)")
    p.add_argument("--ef-time-limit", type=float, default=3600, help="HiGHS's --time-limit for the extensive form (default 3600 s)")
    p.add_argument("--methods", default="ef,ph1,ph2", help="comma-separated, of ef, ph1, ph2 (PH on 1 or 2 MPI processes)")
    p.add_argument("--data", default="data/shanxi")
    p.add_argument("--model", default="models/default.yaml")
    p.add_argument("--decide-until", default="2026-W49")
    p.add_argument("--kill-after", type=float, help="kill a run (its whole process tree) after this many seconds (default: never)")
    p.add_argument("--readme", action="store_true", help="write the table into benchmarks/README.md")
    a = p.parse_args(argv)
    keys = [k.strip() for k in a.methods.split(",") if k.strip()]
    bad = [k for k in keys if k not in METHODS]
    if bad or not keys:
        p.error(f"--methods: unknown {', '.join(bad) or '(none)'}; expected a list of {', '.join(METHODS)}")
    if not Path(GNU_TIME).exists():
        print(f"note: {GNU_TIME} not found (apt-get install -y time): the largest-process column stays empty; the summed peak is measured anyway", flush=True)

    OUT.mkdir(parents=True, exist_ok=True)
    set_path, members, variants, raw = write_set(a.scenarios, a.seed, OUT / "set")
    print(f"set: {set_path.relative_to(REPO)}: {len(members)} futures, {variants} variant files; most likely: "
          + ", ".join(f"{m['name']} {m['probability']:.3f}" for m in members[:4]), flush=True)
    rows = []
    for key in keys:
        r = run_method(key, a, set_path)
        rows.append(r)
        if r["ok"]:
            extra = f", PH {r['ph_iterations']} iterations ({r['ph_stopped']}), gap {fmt(r['ph_gap'], '.2e')}" if r["method"] == "ph" else ""
            print(f"[{key}] {r['wall_s']:.1f} s, peak {r['peak_mib']:,.0f} MiB over {r['processes_at_peak']} processes, objective {r['objective']:,.0f}{extra}", flush=True)
        else:
            print(f"[{key}] FAILED (exit {r['rc']}{', killed' if r['killed'] else ''}) after {r['wall_s']:.1f} s; it said:\n  "
                  + ("\n  ".join(r["error"] + r["stderr_tail"]) or "(nothing)"), flush=True)
    problems = compare(rows)
    for r in rows:
        if r["method"] == "ph" and r["vs_ef"] is not None:
            print(f"[{r['key']}] PH − EF: {r['vs_ef']:.2e} (relative); bound below EF: {r['bound_below_ef']}", flush=True)
    ok = next((r for r in rows if r["ok"]), {})
    result = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": ".venv/bin/python benchmarks/stochastic.py " + shlex.join(sys.argv[1:] if argv is None else argv),
        "machine": {"machine": platform.machine(), "cores": os.cpu_count(), "python": platform.python_version(),
                    "load_end": " ".join(f"{x:.1f}" for x in os.getloadavg())},
        "decide_until": a.decide_until, "data": a.data, "model": a.model, "time_limit_s": a.time_limit,
        "set": {"path": str(set_path.relative_to(REPO)), "scenarios": len(members), "seed": a.seed, "variant_files": variants, "raw_probability": raw,
                "members": members},
        "variables": ok.get("variables"), "constraints": ok.get("constraints"),
        "runs": rows, "problems": problems,
    }
    (OUT / "results.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    md = table(result)
    print("\n" + md + "\n")
    print(f"written: {(OUT / 'results.json').relative_to(REPO)}")
    if a.readme:
        write_readme(md)
        print(f"written: {README.relative_to(REPO)} (between {BEGIN} and {END})")
    for prob in problems:
        print(f"PROBLEM: {prob}")
    return 0 if all(r["ok"] for r in rows) and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
