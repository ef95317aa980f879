"""Kill a weekly run at every file-system step of its results write; report what is left.

    python tests/crash_driver.py DATASET OUT REPORT.json

Used by tests/test_schedule_faults.py. Plans DATASET once (``schedule``), writes it to OUT
(the previous results, whose runs.jsonl the crashes must not lose), then for k = 1, 2, …:
forks a child that runs the unattended run (``Run``: lock, recovery, commit of
``write_schedule``) with the file-system calls wrapped — in the child only — so that the k-th
one SIGKILLs the child before it happens; records the folder beside OUT after the kill, after
a next run that fails (an input error) and after a next run that succeeds; puts the previous
results back and goes on until a child finishes unkilled. A second pass starts each child from
the state of a run killed between the two renames of the swap (no OUT, a backup beside it), so
that a crash during the recovery itself is covered. Nothing in supplyopt knows about this.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import json
import os
import shutil
import signal
import sys
from pathlib import Path

from supplyopt.io.data import DataError, Problem
from supplyopt.io.runlog import Run
from supplyopt.workflows.schedule import schedule, write_schedule

WRITES = ("mkdir", "chmod", "replace", "rename", "unlink", "rmdir", "remove")


def arm(kill_at: int, log: list[str]) -> None:
    """Wrap os's writing calls and open-for-writing so that call number ``kill_at`` SIGKILLs
    this process before it runs (0: never); every call is appended to ``log``."""

    def step(what: str) -> None:
        log.append(what)
        if len(log) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    for name in WRITES:
        real = getattr(os, name)

        def wrapped(*a, _real=real, _name=name, **k):
            step(f"{_name} {' -> '.join(Path(str(x)).name for x in a[:2])}")
            return _real(*a, **k)

        setattr(os, name, wrapped)
    real_open = builtins.open

    def opened(file, mode="r", *a, **k):
        if any(c in mode for c in "wax+"):
            step(f"open({mode}) {Path(str(file)).parent.name}/{Path(str(file)).name}")
        return real_open(file, mode, *a, **k)

    builtins.open = io.open = opened


def unattended(out: Path, sched, kill_at: int = 0, fail: bool = False, steps_file: Path | None = None) -> int:
    """Fork a child doing one unattended run on ``out``; its exit status (negative: signal)."""
    pid = os.fork()
    if pid == 0:
        code = 0
        log: list[str] = []
        try:
            if kill_at >= 0:
                arm(kill_at, log)
            with Run(out, ["crash_driver", f"kill at {kill_at}", "fail" if fail else "ok"]) as run:
                if fail:
                    raise DataError([Problem("snapshot.csv", "no stock counted")])
                run.commit(lambda text: write_schedule(out, sched, text))
        except DataError:
            code = 2
        except BaseException:  # noqa: BLE001 - a child must never return into the driver
            import traceback

            traceback.print_exc()
            code = 1
        if steps_file is not None:
            steps_file.write_text(json.dumps(log))
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def state(parent: Path) -> dict:
    """Every entry beside and inside the results folder: runs.jsonl as its lines' commands,
    other files as SHA-256."""
    out = {}
    for p in sorted(parent.iterdir()):
        if p.is_dir():
            files = {}
            for f in sorted(p.iterdir()):
                if f.name == "runs.jsonl":
                    files[f.name] = [json.loads(x)["command"][1:] for x in f.read_text().splitlines()]
                else:
                    files[f.name] = hashlib.sha256(f.read_bytes()).hexdigest()
            out[p.name] = files
        else:
            out[p.name] = "file"
    return out


def reset(parent: Path, pristine: Path) -> None:
    for p in parent.iterdir():
        shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
    for p in pristine.iterdir():
        (shutil.copytree if p.is_dir() else shutil.copy2)(p, parent / p.name)


def crash_pass(out: Path, sched, pristine: Path, label: str) -> list[dict]:
    parent = out.parent
    steps_file = parent.parent / "steps.json"
    reset(parent, pristine)
    unattended(out, sched, kill_at=0, steps_file=steps_file)  # a run not killed: its steps
    steps = json.loads(steps_file.read_text())
    rows = []
    for k in range(1, len(steps) + 2):
        reset(parent, pristine)
        code = unattended(out, sched, kill_at=k)
        row = {"pass": label, "k": k, "step": steps[k - 1] if k <= len(steps) else "(none: the run finishes)", "exit": code, "after_kill": state(parent)}
        row["failed_run_exit"] = unattended(out, sched, kill_at=-1, fail=True)
        row["after_failed_run"] = state(parent)
        row["next_run_exit"] = unattended(out, sched, kill_at=-1)
        row["after_next_run"] = state(parent)
        rows.append(row)
    return rows


def main(dataset: str, out_path: str, report: str) -> None:
    out = Path(out_path).absolute()
    work = out.parent.parent
    sched = schedule(dataset, horizon=2)
    # the previous results: one successful run (its line in runs.jsonl is what must survive)
    assert unattended(out, sched, kill_at=-1) == 0
    pristine = work / "pristine"
    shutil.copytree(out.parent, pristine)
    first = crash_pass(out, sched, pristine, "clean")
    between = next(r for r in first if r["step"].startswith("replace ") and ".old-" in r["step"])
    # the state of a run killed between the two renames, as the next run finds it
    reset(out.parent, pristine)
    assert unattended(out, sched, kill_at=between["k"] + 1) == -signal.SIGKILL
    crashed = work / "crashed"
    shutil.copytree(out.parent, crashed)
    second = crash_pass(out, sched, crashed, "recovering")
    Path(report).write_text(json.dumps({"previous": json.loads(json.dumps(state(pristine))), "rows": first + second}, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:4])
