"""Unattended runs: a lock per results folder, a wall-clock limit, and a JSON-lines run log.

A dispatch team runs ``supplyopt schedule`` from cron. Three things keep such runs safe:

- :class:`OutputLock` — an exclusive ``fcntl.flock`` on ``.<out>.lock`` beside the results
  folder, so two runs on one output never collide. The second waits up to ``wait_s`` seconds
  and then gives up with :class:`Locked` (exit code 6). The kernel drops the lock when a
  process ends, however it ends, so a crashed run never leaves a stale lock behind.
- :class:`Watchdog` — a wall-clock limit for the whole run. Solver time limits are set from
  the time left (:meth:`Watchdog.remaining_s`), so a solve normally stops on its own; should
  anything still run at the limit, the watchdog records the run and ends the process with
  exit code 5. It never interrupts the writing of results (see :meth:`Watchdog.critical`).
- :func:`append_run` — one JSON object per run appended to ``runs.jsonl`` in the results
  folder: input hashes, options, versions, timings, status, warnings. Every run leaves one
  line, whatever its end — ok, bad input, no plan, wall-clock limit, locked out (exit 6), a
  bug; where no results folder exists yet the line goes to stderr instead (a run that fails
  never creates the folder).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import sys
import threading
import time
from pathlib import Path

from supplyopt.io.data import DataError
from supplyopt.io.write import MARKER, recover_dir

logger = logging.getLogger("supplyopt")

EXIT_WALL_LIMIT = 5  # the run reached --wall-limit; nothing new was written
EXIT_LOCKED = 6  # another run held the results folder for longer than --wait
RUN_LOG = "runs.jsonl"


class Locked(Exception):
    """Another run holds the results folder."""

    exit_code = EXIT_LOCKED


class OutputLock:
    """Exclusive lock on a results folder: ``with OutputLock(out, wait_s=60): ...``.

    The lock file is ``.<name>.lock`` beside the folder (the folder itself is replaced
    atomically on every successful run, so it cannot hold the lock). ``waited_s`` says how
    long the run waited.
    """

    def __init__(self, out_dir: str | Path, wait_s: float = 0.0, poll_s: float = 0.1):
        out_dir = Path(out_dir).absolute()
        self.path = out_dir.parent / f".{out_dir.name}.lock"
        self.wait_s, self.poll_s = max(0.0, float(wait_s)), poll_s
        self.fd: int | None = None
        self.waited_s = 0.0

    def __enter__(self) -> OutputLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        t0 = time.monotonic()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() - t0 >= self.wait_s:
                    holder = _read_holder(fd)
                    os.close(fd)
                    raise Locked(
                        f"another supplyopt run{holder} is writing {self.path.parent / self.path.name[1:-5]}; "
                        f"gave up after waiting {self.wait_s:.3g} s; nothing was written"
                    ) from None
                time.sleep(self.poll_s)
        self.waited_s = time.monotonic() - t0
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _read_holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode().strip()
    except OSError:
        return ""
    return f" (process {pid})" if pid.isdigit() else ""


class Watchdog:
    """Ends the process with :data:`EXIT_WALL_LIMIT` once ``limit_s`` seconds have passed
    since ``started`` (``time.monotonic()``), unless the run has finished. ``on_timeout`` is
    called first (to record the run); ``limit_s`` None disables it.

    The solve releases the interpreter lock while HiGHS runs, so the watchdog's thread gets
    to run even in the middle of a long solve.
    """

    def __init__(self, limit_s: float | None, started: float, on_timeout=None):
        self.limit_s, self.started, self.on_timeout = limit_s, started, on_timeout
        self.finished = False
        self._critical = threading.Lock()
        self._timer = None
        if limit_s is not None:
            self._timer = threading.Timer(max(0.0, limit_s - (time.monotonic() - started)), self._fire)
            self._timer.daemon = True
            self._timer.start()

    def remaining_s(self) -> float | None:
        """Seconds left before the limit (None: no limit)."""
        if self.limit_s is None:
            return None
        return self.limit_s - (time.monotonic() - self.started)

    def expired(self) -> bool:
        left = self.remaining_s()
        return left is not None and left <= 0

    @contextlib.contextmanager
    def critical(self):
        """Code the limit must not cut in half (writing the results folder)."""
        with self._critical:
            yield

    def finish(self) -> None:
        with self._critical:
            self.finished = True
        if self._timer is not None:
            self._timer.cancel()

    def _fire(self) -> None:
        with self._critical:
            if self.finished:
                return
            try:
                if self.on_timeout is not None:
                    self.on_timeout()
            finally:
                sys.stderr.flush()
                sys.stdout.flush()
                os._exit(EXIT_WALL_LIMIT)


def process_started() -> float:
    """When this process started, on the ``time.monotonic()`` clock (Linux: from
    /proc/self/stat and the boot-time clock); now where that cannot be read."""
    now = time.monotonic()
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # field 22, starttime, in clock ticks since boot
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return now
    return now - age if 0 <= age < 3600 else now


# --------------------------------------------------------------------------- run log
def sha256_file(path: str | Path | None) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None
    except OSError:
        return None


def run_line(record: dict) -> str:
    """One run as a JSON line (keys in the order given, non-ASCII kept)."""
    return json.dumps(record, ensure_ascii=False, default=str) + "\n"


def previous_runs(out_dir: str | Path) -> str:
    """The run log already in a results folder ('' when none)."""
    try:
        return (Path(out_dir) / RUN_LOG).read_text(encoding="utf-8")
    except OSError:
        return ""


def append_run(out_dir: str | Path, record: dict) -> bool:
    """Append a run that wrote no results (bad input, no plan, wall-clock limit, locked out) to
    the run log of a results folder an earlier run wrote (it has ``runs.jsonl`` or the
    results marker), under the run log's lock (:func:`run_log_lock`). No folder is created:
    where there is none yet, the line goes to stderr (the log), saying so. Returns whether the
    line was appended to ``runs.jsonl``."""
    out_dir = Path(out_dir)
    line = run_line(record)
    with run_log_lock(out_dir):
        if (out_dir / RUN_LOG).is_file() or (out_dir / MARKER).is_file():
            try:
                with open(out_dir / RUN_LOG, "a", encoding="utf-8") as f:
                    f.write(line)
                return True
            except OSError as err:
                where = f"could not be appended to {out_dir / RUN_LOG} ({err})"
        else:
            where = f"has no results folder to go to: {out_dir} does not exist yet (a run that fails never creates it)"
    logger.warning(f"run log: this run's line {where}; here it is: {line.rstrip()}")
    return False


RUN_LOG_BYTE = 1 << 20  # the byte of the lock file whose POSIX lock guards runs.jsonl


@contextlib.contextmanager
def run_log_lock(out_dir: str | Path, wait_s: float = 30.0, poll_s: float = 0.05):
    """A short lock on the run log of ``out_dir``: a POSIX record lock (``lockf``) on one byte
    of ``.<out>.lock``, independent of the run's whole-file ``flock`` on it. The run that holds
    the folder takes it around its commit (read runs.jsonl, write and swap the folder); a run
    locked out or failing takes it to append its line, so that no line lands in a folder
    that is being replaced. Gives up after ``wait_s`` and goes on (a line may then be lost,
    never a folder)."""
    path = Path(out_dir).absolute()
    path = path.parent / f".{path.name}.lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644) if path.parent.is_dir() else None
    except OSError:
        fd = None
    held = False
    t0 = time.monotonic()
    while fd is not None:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, RUN_LOG_BYTE)
            held = True
            break
        except OSError:
            if time.monotonic() - t0 >= wait_s:
                break
            time.sleep(poll_s)
    try:
        yield held
    finally:
        if fd is not None:
            if held:
                fcntl.lockf(fd, fcntl.LOCK_UN, 1, RUN_LOG_BYTE)
            os.close(fd)


# --------------------------------------------------------------------------- one unattended run
class Run:
    """One unattended run on a results folder: wall-clock limit, lock, run log.

        with Run(out, command, wait_s=60, wall_limit_s=900) as run:
            result = work(time_left=run.time_left)        # may raise DataError, NoPlan …
            run.record.update(inputs=…, warnings=…)
            run.commit(lambda runs_text: write(out, result, runs_text))

    ``commit`` writes under the lock, never cut by the wall-clock limit, and hands the
    writer the folder's run log with this run's line appended (``runs.jsonl`` is part of
    the atomic write). A run that ends any other way appends its line to the run log of an
    existing results folder and leaves the results as they were.
    """

    def __init__(self, out_dir: str | Path, command: list[str], wait_s: float = 0.0, wall_limit_s: float | None = None, started: float | None = None):
        self.out_dir = Path(out_dir)
        # ``started`` (time.monotonic()): when the wall-clock limit starts counting; the command
        # line passes the process's own start (process_started), so Python's start-up and
        # imports count against --wall-limit as they count in the time cron sees
        self.started = time.monotonic() if started is None else min(float(started), time.monotonic())
        self.record: dict = {
            "started": _utc_now(),
            "command": list(command),
            "status": None,
            "exit_code": None,
            "out": str(self.out_dir),
        }
        self.wait_s, self.wall_limit_s = wait_s, wall_limit_s
        self.lock: OutputLock | None = None
        self.watchdog: Watchdog | None = None
        self.stage = "starting"
        self.wall_limited = False  # the solver ran out of the time the wall-clock limit left it

    def __enter__(self) -> Run:
        if self.wall_limit_s is not None and self.wall_limit_s <= 0:
            raise ValueError("wall_limit_s must be positive")
        # The wait for the lock is bounded by the wall-clock limit itself; the watchdog starts
        # once the lock is held (so it never races a wait that is about to give up).
        left = None if self.wall_limit_s is None else self.wall_limit_s - (time.monotonic() - self.started)
        cut = left is not None and left < self.wait_s  # the wall-clock limit ends the wait first
        self.stage = "waiting for the lock"
        lock = OutputLock(self.out_dir, self.wait_s if not cut else max(0.0, left))
        try:
            lock.__enter__()
        except Locked as err:
            self.wall_limited = cut
            # the run that holds the folder may be replacing it: append_run waits for its commit
            status, code = ("wall_limit", EXIT_WALL_LIMIT) if cut else ("locked", EXIT_LOCKED)
            self.record["timings"] = {"wait_s": time.monotonic() - self.started}
            self._close(status, code, error=str(err))
            append_run(self.out_dir, self.record)
            raise
        self.lock = lock
        self.record["timings"] = {"wait_s": lock.waited_s}
        # under the lock, before anything reads runs.jsonl: undo what a killed run left half done
        recovered = recover_dir(self.out_dir)
        for line in recovered:
            logger.warning(line)
        if recovered:
            self.record["recovered"] = recovered
        self.stage = "running"
        self.watchdog = Watchdog(self.wall_limit_s, self.started, self._timed_out)
        return self

    def time_left(self) -> float | None:
        return self.watchdog.remaining_s() if self.watchdog else None

    def commit(self, write) -> None:
        """Record success and write the results (``write(runs_text)``) atomically."""
        with self.watchdog.critical():
            if self.watchdog.finished:
                return
            self._close("ok", 0)
            with run_log_lock(self.out_dir):  # no line of a locked-out run lost between read and swap
                write(previous_runs(self.out_dir) + run_line(self.record))
            self.watchdog.finished = True

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc is not None and not self.watchdog.finished:
                status, code = _outcome(exc)
                left = self.time_left()
                if status == "no_plan" and left is not None and left < 1.5:
                    status, code, self.wall_limited = "wall_limit", EXIT_WALL_LIMIT, True
                with self.watchdog.critical():
                    self._close(status, code, error=str(exc) if status == "bug" else getattr(exc, "message", str(exc)))
                    append_run(self.out_dir, self.record)
                    self.watchdog.finished = True
        finally:
            self.watchdog.finish()
            if self.lock is not None:
                self.lock.__exit__(None, None, None)

    def _close(self, status: str, code: int, error: str | None = None) -> None:
        self.record["status"] = status
        self.record["exit_code"] = code
        if error:
            self.record["error"] = error
        self.record.setdefault("timings", {})["total_s"] = time.monotonic() - self.started
        self.record["finished"] = _utc_now()

    def _timed_out(self) -> None:
        """Called by the watchdog thread at the limit (then the process exits with 5)."""
        logger.error(f"wall-clock limit of {self.wall_limit_s:g} s reached ({self.stage}); stopped, nothing was written (exit {EXIT_WALL_LIMIT})")
        if self.lock is not None and self.lock.fd is not None:
            self._close("wall_limit", EXIT_WALL_LIMIT, error=f"wall-clock limit of {self.wall_limit_s:g} s reached ({self.stage})")
            append_run(self.out_dir, self.record)


def _outcome(exc: BaseException) -> tuple[str, int]:

    if isinstance(exc, DataError):
        return "input_error", 2
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", 130
    status, code = getattr(exc, "status", None), getattr(exc, "exit_code", None)
    if isinstance(status, str) and isinstance(code, int):
        return status, code  # api.NoPlan
    return "bug", 1


def _utc_now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
