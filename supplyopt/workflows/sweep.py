"""Sweeps: many scenarios at once, in local processes or on a dask.distributed cluster,
merged into one comparison with the base (compare.py's tables).

    cmp = sweep("data/shanxi", sorted(glob("scenarios/*.yaml")), model="models/default.yaml",
                random=20, seed=1, workers=2)
    cmp.write("results/sweep")

Every scenario is a warm re-solve of a kept model: one :class:`~supplyopt.api.Study` per
worker for the whole sweep — the caller's own study in process, one per worker process
(``workers``) or per dask worker thread (``dask="tcp://host:8786"`` or a
``distributed.Client``) — with the base solved first, so that each scenario is applied as a
change to it and starts from the base plan's basis. Scenarios travel in chunks of ``CHUNK``.
Results come back in the order the scenarios were given and, every case starting from the
same basis, are the same however they were run.

What a task needs travels with it: the data set as read (its tables), the run options, every
scenario already read from its file (a :class:`~supplyopt.io.scenario.Scenario`, not a path)
and the extension's source text, so cluster workers need no shared disk and no working folder
of the caller's. A task whose worker dies is run again on another (the scheduler's
``distributed.scheduler.allowed-failures``, 3 by default); one that raises is retried
``RETRIES`` times. An address that is not ``[tcp://]HOST:PORT`` is an input error (exit 2); a
scheduler that cannot be reached, or a cluster that loses the work, is :class:`ClusterFailed`
(exit 4), with the address and what happened.

Random stress scenarios (``random=N``, ``seed``): in each, every link, port and mine is out
independently with probability ``probability``, for a run of 1–3 weeks starting in a
random week (numpy's seeded generator: the same seed gives the same scenarios).
"""

from __future__ import annotations

import multiprocessing
import socket
import threading
import time
import uuid
from concurrent.futures import CancelledError

import numpy as np

from supplyopt import study as api
from supplyopt.io.data import DataError, Problem
from supplyopt.workflows.compare import Case, Comparison, tabulate
from supplyopt.workflows.screen import elements, outage_scenario

RANDOM_KINDS = ("links", "ports", "mines")
DASK_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
DASK_EXPECTED = "expected the scheduler's address as tcp://HOST:PORT, such as tcp://127.0.0.1:8786 (8786: dask's default port)"
CONNECT_TIMEOUT_S = 20.0  # to reach the scheduler and greet it
RETRIES = 2  # a task that raises is run again this many times (a worker that dies: allowed-failures)


class ClusterFailed(Exception):
    """The dask scheduler could not be reached, or the cluster lost the work (exit 4); the
    message names the address and what happened."""


def random_scenarios(net, n: int, seed: int = 0, probability: float = 0.02, kinds=RANDOM_KINDS, max_weeks: int = 3, first: int = 0) -> list[dict]:
    """``n`` seeded stress scenarios (dicts): each element of ``kinds`` out with
    ``probability`` for 1–``max_weeks`` consecutive weeks starting in period ``first`` or later. A scenario that drew no outage
    gets the single most likely one: one element, so that none is empty."""
    if not 0 < probability <= 1:
        raise DataError([Problem("--probability", "expected a probability in (0, 1]", value=probability)])
    rng = np.random.default_rng(seed)
    todo = elements(net, kinds)
    T = net.n_periods
    out = []
    for i in range(n):
        hit = np.flatnonzero(rng.random(len(todo)) < probability)
        if not len(hit):
            hit = rng.integers(len(todo), size=1)
        edits, names = [], []
        for j in hit:
            kind, element = todo[j]
            start = first + int(rng.integers(T - first))
            weeks = net.periods[start : min(T, start + int(rng.integers(1, max_weeks + 1)))]
            edits += outage_scenario(net, kind, element, weeks)["edits"]
            names.append(f"{element}@{weeks[0]}+{len(weeks)}w")
        out.append({"name": f"random-{seed}-{i + 1:03d}", "description": "; ".join(names), "edits": edits})
    return out


# --------------------------------------------------------------------------- workers
_KEPT: dict = {}  # (sweep token, thread) -> the worker's kept Study, for every chunk of that sweep


def _kept_study(network, opt, extend, token: str):
    """This worker's kept model for the sweep ``token``: built and its base solved on the
    first chunk (every later case starts from the base plan's basis), kept for the next
    chunks; a worker that served an earlier sweep drops that one's."""
    key = (token, threading.get_ident())
    study = _KEPT.get(key)
    if study is None:
        for old in [k for k in _KEPT if k[0] != token]:
            del _KEPT[old]
        study = api.Study(network, model=opt, extend=extend)
        try:
            study.reset().solve()
        except api.NoPlan:
            pass  # the base has no plan: each scenario is still solved (from the last basis)
        _KEPT[key] = study
    return study


def _solve_chunk(network, opt, specs: list, extend=None, token: str | None = None, study=None) -> list[tuple]:
    """Solve scenarios as changes of one kept model (``study``, or this worker's for the sweep
    ``token``, with the extension re-loaded from its source text: a cluster worker need not see
    the file); plain tuples (name, plan, error, seconds, warm, paths, description) with the
    error as (status, message, explanation) so that they pickle."""
    study = study if study is not None else _kept_study(network, opt, extend, token or uuid.uuid4().hex)
    out = []
    for spec in specs:
        sc = api.scenario(spec)
        builds = study.stats["builds"]
        t0 = time.perf_counter()
        try:
            plan, err = study.apply(sc).solve(), None
        except api.NoPlan as e:
            plan, err = None, (e.status, e.message, list(e.explanation), e.hint)
        out.append((sc.name, plan, err, time.perf_counter() - t0, study.stats["builds"] == builds and study.stats["warm"] > 0, list(sc.paths), sc.description))
    study.reset()
    return out


def _chunk_task(args) -> list[tuple]:
    return _solve_chunk(*args)


def _case(t: tuple) -> Case:
    name, plan, err, seconds, warm, paths, description = t
    return Case(name, plan, api.NoPlan(*err) if err else None, seconds, warm, paths, description)


CHUNK = 5  # scenarios solved in turn on one kept model


def _chunks(specs: list) -> list[list]:
    """Fixed-size chunks, whatever the number of workers (the unit of work handed out; every
    case starts from the base plan's basis, so where the LP has several equally cheap plans
    the same one is reported: byte-identical results in process, in processes, on dask)."""
    return [specs[i : i + CHUNK] for i in range(0, len(specs), CHUNK)]


def run_sweep(network, opt, specs: list, workers: int = 1, dask=None, progress=None, extend=None, study=None) -> list[Case]:
    """Solve every scenario (local processes or dask); cases in the order given. Scenario
    files are read here, so that the tasks carry their content. ``study``: the kept model an
    in-process sweep re-solves (its base solved already); else one is made."""
    chunks = _chunks([api.scenario(spec) for spec in specs])
    token = uuid.uuid4().hex  # this sweep's: workers keep one model for it across chunks
    done = 0
    results: list[list[tuple] | None] = [None] * len(chunks)

    def tick(i, part):
        nonlocal done
        results[i] = part
        done += len(part)
        if progress:
            progress(done, len(specs))

    if dask is not None:
        client, own = connect(dask)
        try:
            _on_cluster(client, network, opt, chunks, extend, token, tick)
        finally:
            if own:
                client.close()
    elif workers <= 1:
        for i, chunk in enumerate(chunks):
            tick(i, _solve_chunk(network, opt, chunk, extend, token, study))
    else:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            for i, part in pool.imap_unordered(_indexed, [(i, (network, opt, c, extend, token)) for i, c in enumerate(chunks)]):
                tick(i, part)
    return [_case(t) for part in results for t in part]


def _indexed(item):
    i, args = item
    return i, _solve_chunk(*args)


def _on_cluster(client, network, opt, chunks: list, extend, token: str, tick) -> None:
    """Each chunk as a task on the cluster, everything it needs in its arguments; a cluster
    that loses the work raises :class:`ClusterFailed` (a worker's own error is raised as is)."""
    from distributed import KilledWorker, as_completed

    address = getattr(client.scheduler, "address", "the cluster")
    try:
        futures = {client.submit(_solve_chunk, network, opt, chunk, extend, token, pure=False, retries=RETRIES): i for i, chunk in enumerate(chunks)}
        for fut in as_completed(list(futures)):
            tick(futures[fut], fut.result())
    except KilledWorker as err:
        raise ClusterFailed(f"the dask cluster at {address} lost a task: every worker that ran it died ({err})") from None
    except (CancelledError, OSError, TimeoutError) as err:  # CommClosedError is an OSError: the scheduler went away
        raise ClusterFailed(f"the dask cluster at {address} stopped answering while the sweep ran ({type(err).__name__}: {err})") from None


def dask_address(text: str) -> str:
    """``--dask``: ``[SCHEME://]HOST:PORT`` as ``scheme://host:port`` (tcp when no scheme is
    given); anything else is a :class:`DataError` saying what is expected."""
    scheme, sep, rest = text.strip().partition("://")
    if not sep:
        scheme, rest = "tcp", text.strip()
    host, colon, port = rest.rpartition(":")
    if scheme not in DASK_SCHEMES:
        problem = f"unknown scheme {scheme!r} (dask speaks {', '.join(DASK_SCHEMES)})"
    elif any(c.isspace() for c in text.strip()):
        problem = "an address has no spaces"
    elif not colon or not host:
        problem = "no port"
    elif not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        problem = f"port {port!r} is not a number from 1 to 65535"
    elif any(c in "/?#@" for c in host):
        problem = f"{host!r} is not a host name or IP address"
    else:
        return f"{scheme}://{host}:{port}"
    raise DataError([Problem("--dask", f"{problem}; {DASK_EXPECTED}", value=text)])


def connect(dask, timeout_s: float = CONNECT_TIMEOUT_S):
    """(a ``distributed.Client``, whether this call opened it) for an address, or the client
    given. A malformed address or dask not installed: :class:`DataError`; a scheduler not
    reached within ``timeout_s``: :class:`ClusterFailed`."""
    if not isinstance(dask, str):
        return dask, False
    address = dask_address(dask)
    try:
        from distributed import Client
    except ImportError as err:  # an optional dependency: pip install 'supplyopt[cluster]'
        raise DataError([Problem("--dask", "dask.distributed is not installed; install supplyopt[cluster] (pinned in requirements.lock)", value=dask)]) from err
    scheme, _, rest = address.partition("://")
    host, _, port = rest.rpartition(":")
    if scheme == "tcp":  # a refused or unknown address answers at once here; distributed would retry until its timeout
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
        except OSError as err:
            raise ClusterFailed(f"cannot reach the dask scheduler at {address}: {err.strerror or err}; start it (dask scheduler) or check the host and port") from None
    try:
        return Client(address, timeout=f"{timeout_s}s"), True
    except (OSError, TimeoutError) as err:
        raise ClusterFailed(f"cannot reach the dask scheduler at {address} within {timeout_s:g} s: {err}; is a dask scheduler listening there?") from None


def sweep(network, scenarios, model=None, random: int = 0, seed: int = 0, probability: float = 0.02, workers: int = 1, dask=None,
          progress=None, extend=None, **solver) -> Comparison:
    """The base and every scenario (given, then ``random`` seeded stress scenarios) as one
    :class:`~supplyopt.compare.Comparison`."""
    # no race of two solvers (method: choose): which one wins can change the plan among equally
    # cheap ones, and the results must be the same in process, with workers or on a cluster
    study = network if isinstance(network, api.Study) else api.Study(network, model=model, extend=extend, **{"race": False, **solver})
    net = study.base
    # every file read here, first: a bad one stops the sweep before any solve, and the tasks
    # carry the scenarios' content, not paths a cluster worker could not open
    specs = api.scenarios([*scenarios, *random_scenarios(net, random, seed, probability)], net)
    client, own = connect(dask) if dask is not None else (None, False)
    try:
        return _sweep(study, specs, random, seed, probability, workers, client, progress)
    finally:
        if own:
            client.close()


def _sweep(study, specs: list, random: int, seed: int, probability: float, workers: int, client, progress) -> Comparison:
    net, opt = study.base, study.options
    t0 = time.perf_counter()
    try:
        base = Case("base", study.reset().solve(), None, time.perf_counter() - t0)
    except api.NoPlan as err:
        base = Case("base", None, err, time.perf_counter() - t0)
    t1 = time.perf_counter()
    cases = run_sweep(net, opt, specs, workers, client, progress, study.extend_spec, study if base.plan is not None else None)
    wall = time.perf_counter() - t1
    cmp = tabulate(net, opt, [base, *cases], profile=study.profile_path, extension=study.extension)
    cmp.summary["sweep"] = {"scenarios": len(specs), "random": random, "seed": seed, "probability": probability,
                            "runner": "dask" if client is not None else ("processes" if workers > 1 else "in process"),
                            "workers": workers if client is None else max(1, len(client.scheduler_info().get("workers", {}))), "wall_s": round(wall, 3)}
    return cmp
