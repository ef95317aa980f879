"""Write a plan's tables and summary, atomically and reproducibly, and print the KPI table.

Reproducible: rows in a fixed order, numbers in one fixed format (at most 6 decimals, no
trailing zeros, no -0), JSON keys in a fixed order. The only things that differ between two
runs on the same inputs are the wall-clock figures ``build_s`` and ``solve_s`` in
``summary.json`` and the timestamps in ``run.log``.

Atomic: everything is written to a hidden temporary folder beside the target, which is then
swapped into place (:func:`replace_dir`); a crash at any step leaves the previous results, or
the new ones complete, or the previous ones as a backup that the next run puts back
(:func:`recover_dir`) — never half, and never a leftover for ever.

Safe: every results folder carries a marker file (:data:`MARKER`); an existing folder is
replaced only when it carries the marker or is empty. :func:`check_out_dir` refuses, before any
solving, a folder that holds anything else, the input data set (or a folder inside or around
it), the working folder and a path under a regular file. Folders are created with the user's
umask, so colleagues on a shared server can read results as they read the user's other files.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from supplyopt.io.data import DataError, Problem

TABLE_FILES = ("flows", "production", "stocks", "unmet", "prices", "nodes")
MARKER = ".supplyopt-results"  # in every results folder: this tool wrote it and may replace it
MARKER_TEXT = "This folder was written by supplyopt. A later run with the same --out replaces it whole.\n"


def check_out_dir(out: str | Path, protected_paths=()) -> Path:
    """``out`` resolved, or :class:`DataError` (exit 2) when writing results there could lose
    something: an existing file or a folder not written by supplyopt (no marker, not empty),
    the working folder or one above it, a path under a regular file, or any of
    ``protected_paths`` (the data set, profile and scenario files) — the same path, inside
    it, or containing it. Call it before solving; :func:`replace_dir` checks again."""
    label = str(out)
    target = Path(out).resolve()
    problems = []
    here = Path.cwd().resolve()
    if target == here or target in here.parents:
        problems.append(Problem(label, "is the working folder (or a folder above it); results replace their folder whole, so give a new folder such as results/run1"))
    for given in protected_paths:
        if not given:
            continue
        inp = Path(given).resolve()
        if target == inp or target in inp.parents:
            problems.append(Problem(label, f"holds the input {given!r}: results replace their folder whole and would delete it; give a folder outside the input"))
        elif inp in target.parents:
            problems.append(Problem(label, f"is inside the input {given!r}; write results outside the input"))
    up = Path(out).absolute()
    for parent in [up, *up.parents]:
        if parent.exists() or parent.is_symlink():
            if parent != up and not parent.is_dir():
                problems.append(Problem(label, f"is under {parent}, which is a file, not a folder; give a folder path"))
            break
    if not problems and up.exists():
        problems += _replaceable(up, label)
    if problems:
        raise DataError(problems)
    return target


def _replaceable(folder: Path, label: str) -> list[Problem]:
    """Problems with replacing an existing ``folder`` by a new results folder."""
    if not folder.is_dir():
        return [Problem(label, "exists and is a file, not a folder; give a folder path for the results")]
    if (folder / MARKER).is_file() or not any(folder.iterdir()):
        return []
    ours = {f"{name}.csv" for name in TABLE_FILES} | {"summary.json", "run.log"}
    if (folder / "summary.json").is_file() and all(p.name in ours for p in folder.iterdir()):
        return []  # written before results carried the marker: nothing but our own files
    return [Problem(label, f"exists and was not written by supplyopt (it has no {MARKER} file); results replace their folder whole, so give a new folder (or one an earlier run wrote), or remove it yourself")]


def round_floats(value):
    """Round floats for stable output: 6 decimals, -0 -> 0, NaN/inf -> None."""
    if isinstance(value, dict):
        return {k: round_floats(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [round_floats(v) for v in value]
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            return None
        r = round(float(value), 6)
        return 0.0 if r == 0 else r
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def summary_json(summary: dict) -> str:
    return json.dumps(round_floats(summary), indent=2, ensure_ascii=False) + "\n"


def format_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers fixed for output: rounded to 6 decimals (so solver noise never shows), -0
    written as 0, whole-number columns as integers, NaN/inf blank; booleans as true/false.
    pandas then writes each float in its shortest exact form (vectorised, no per-cell
    formatting in Python)."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s):
            out[col] = np.where(s.to_numpy(), "true", "false")
        elif pd.api.types.is_float_dtype(s):
            v = s.to_numpy(float)
            finite = np.isfinite(v)
            r = np.where(finite, np.round(np.where(finite, v, 0.0), 6) + 0.0, np.nan)  # + 0.0 turns -0 into 0
            if np.all(r[finite] == np.floor(r[finite])) and np.all(np.abs(r[finite]) < 2**53):
                out[col] = pd.Series(np.where(finite, r, 0).astype(np.int64), index=out.index, dtype="Int64").mask(~finite)
            else:
                out[col] = r
    return out


def csv_text(frame: pd.DataFrame) -> str:
    return format_numbers(frame).to_csv(index=False, lineterminator="\n")


def write_results(out_dir: str | Path, plan, summary: dict, log_lines: list[str], extra: dict[str, str | bytes] | None = None) -> Path:
    """Write summary.json, the CSV tables and run.log into ``out_dir``, atomically;
    ``extra`` maps further file names to their text or bytes (a workflow's own tables)."""
    out_dir = Path(out_dir)
    check_out_dir(out_dir)

    def fill(tmp: Path) -> None:
        for name in TABLE_FILES:
            (tmp / f"{name}.csv").write_text(csv_text(getattr(plan, name)), encoding="utf-8")
        if plan.reserves is not None and len(plan.reserves):  # only where a scenario calls reserves up
            (tmp / "reserves.csv").write_text(csv_text(plan.reserves), encoding="utf-8")
        if plan.end_stock is not None:  # the end-of-horizon rule: target, reached, deficit by node
            (tmp / "end_stock.csv").write_text(csv_text(plan.end_stock), encoding="utf-8")
        if getattr(plan, "quality", None) is not None:  # only for a data set with quality.csv (results/quality.py)
            (tmp / "quality.csv").write_text(csv_text(plan.quality), encoding="utf-8")
        if plan.early_warnings is not None:  # the planner's warning list (warning.py)
            (tmp / "warnings.csv").write_text(csv_text(plan.early_warnings), encoding="utf-8")
        (tmp / "summary.json").write_text(summary_json(summary), encoding="utf-8")
        (tmp / "run.log").write_text("\n".join(log_lines) + "\n", encoding="utf-8")
        for name, content in (extra or {}).items():  # text as UTF-8, bytes (a workbook) as they are
            (tmp / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)

    return _write_atomically(out_dir.absolute(), fill)


def write_folder(out_dir: str | Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> content; text is written as UTF-8) as the folder
    ``out_dir``, atomically."""

    def fill(tmp: Path) -> None:
        for name, content in sorted(files.items()):
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)

    return _write_atomically(Path(out_dir), fill)


def _write_atomically(out_dir: Path, fill) -> Path:
    """A marked results folder at ``out_dir``: ``fill(tmp)`` writes into a hidden temporary
    folder beside it, which is then swapped into place (:func:`replace_dir`); a crash at any
    step leaves the previous folder, or the new one complete, or a backup the next run puts
    back (:func:`recover_dir`) — never half a folder."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    recover_dir(out_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-{os.getpid()}-", dir=out_dir.parent))
    held = _hold(tmp)  # while this process lives, no other run takes the folder for a leftover
    try:
        mark_results(tmp)
        fill(tmp)
        replace_dir(tmp, out_dir)
    except BaseException:
        remove_marked(tmp)
        raise
    finally:
        _let_go(held)
    return out_dir


# The hidden folders a swap makes beside ``<out>``: ``.<out>.tmp-<pid>-<random>`` (the new
# results being written) and ``.<out>.old-<pid>-<random>`` (the previous results, moved aside
# while the new ones are put in place). Nothing else beside the folder is ever touched.
SWAP_NAME = re.compile(r"\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)(-[A-Za-z0-9_]+)?")


def recover_dir(target: str | Path) -> list[str]:
    """Finish what a killed run left beside ``target``; returns what was done, in words.

    A folder ``target`` missing while a dead run's backup ``.<out>.old-…`` exists means the
    run died between the two renames of the swap: the backup (the previous results, their
    ``runs.jsonl`` included) is renamed back to ``target``. Every other temporary or backup
    folder of a dead run is removed. A folder counts as a dead run's only when its name has the
    swap's pattern, it carries :data:`MARKER` (or is empty) and the process named in it no
    longer holds it (:func:`_in_use`); folders this tool did not create are never touched."""
    target = Path(target).absolute()
    if not target.parent.is_dir():
        return []
    dead = {"tmp": [], "old": []}
    for p in sorted(target.parent.iterdir()):
        m = SWAP_NAME.fullmatch(p.name)
        if m is None or m["name"] != target.name or p.is_symlink() or not p.is_dir():
            continue
        if _replaceable(p, str(p)) or _in_use(p, int(m["pid"])):
            continue
        dead[m["kind"]].append(p)
    done = []
    if dead["old"] and not (target.exists() or target.is_symlink()):
        back = max(dead["old"], key=lambda p: p.stat().st_mtime_ns)
        os.replace(back, target)
        dead["old"].remove(back)
        done.append(f"put back {target.name} from {back.name}, left by a run killed while replacing it")
    for p in dead["tmp"] + dead["old"]:
        remove_marked(p)
        done.append(f"removed {p.name}, left by a run that was killed")
    return done


def _in_use(folder: Path, pid: int) -> bool:
    """Whether the run that made ``folder`` may still be writing it: its process is alive and
    holds the folder's lock (:func:`_hold`), or is alive and has not yet marked it. A process
    id that the system gave to another process since (a container that starts every run as
    the same pid) does not keep a leftover for ever: that process holds no lock on it."""
    if not _alive(pid):
        return False
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return True  # cannot tell: leave it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
    return not (folder / MARKER).is_file()  # just made, not marked yet: its maker is about to lock it


def _hold(folder: Path) -> int | None:
    """An exclusive ``flock`` on ``folder`` for as long as this process writes or moves it (the
    kernel drops it when the process dies, however it dies); the file descriptor, or None."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pass  # held by nobody else in practice; the process id still protects it
    return fd


def _let_go(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_results(folder: Path) -> None:
    """Make a freshly made (``tempfile.mkdtemp``, mode 0700) folder a results folder: the
    user's umask for its mode, and the marker that lets a later run replace it. Every command
    that writes a results folder through :func:`replace_dir` calls this on its new folder."""
    os.chmod(folder, 0o777 & ~_umask())
    (folder / MARKER).write_text(MARKER_TEXT, encoding="utf-8")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def replace_dir(new: Path, target: Path) -> None:
    """Put folder ``new`` at ``target`` in three steps, each recoverable: (1) an existing
    target is renamed to a backup ``.<out>.old-<pid>-<random>`` beside it, (2) ``new`` is
    renamed to ``target``, (3) the backup is removed. A crash between (1) and (2) leaves no
    ``target`` but a complete backup, which :func:`recover_dir` renames back at the next run;
    a crash in (3) leaves a backup that it removes. Only a folder that carries
    :data:`MARKER` (or is empty) is replaced; anything else raises :class:`DataError`."""
    backup, held = None, None
    if target.exists() or target.is_symlink():
        problems = [] if target.is_symlink() and not target.exists() else _replaceable(target, str(target))
        if problems:
            raise DataError(problems)
        backup = target.parent / f".{target.name}.old-{os.getpid()}-{new.name.rsplit('-', 1)[-1]}"
        if backup.exists():
            remove_marked(backup)
        held = None if target.is_symlink() else _hold(target)  # the lock moves with the folder
        os.replace(target, backup)
    try:
        os.replace(new, target)
        _sync_folder(target.parent)
    finally:
        _let_go(held)
    if backup is not None:
        remove_marked(backup)


def remove_marked(folder: Path) -> None:
    """Remove a results folder, its :data:`MARKER` last: a removal cut short leaves a folder
    still marked (or empty), which :func:`recover_dir` still knows as this tool's."""
    try:
        for p in folder.iterdir():
            if p.name != MARKER:
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() and not p.is_symlink() else p.unlink(missing_ok=True)
        (folder / MARKER).unlink(missing_ok=True)
        folder.rmdir()
    except OSError:
        pass


def _sync_folder(folder: Path) -> None:
    """The renames made durable on disk (a power cut after the swap keeps the new folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- terminal
