"""Sweeps: many scenarios at once, in local processes or on a dask.distributed cluster,
merged into one comparison with the base (compare.py's tables).

    cmp = sweep("data/shanxi", sorted(glob("scenarios/*.yaml")), model="models/default.yaml",
                random=20, seed=1, workers=2)
    cmp.write("results/sweep")

Scenarios are split into chunks of ``CHUNK``; each chunk is solved on its own kept model (one
:class:`~supplyopt.api.Study` per chunk, warm re-solves inside it) in a worker process
(``workers``) or as a task on a dask cluster (``dask="tcp://host:8786"`` or a
``distributed.Client``). Results come back in the order the scenarios were given, so the
output is the same however they were run.

Random stress scenarios (``random=N``, ``seed``): in each, every link, port and mine is out
independently with probability ``probability``, for a run of 1–3 weeks starting in a
random week (numpy's seeded generator: the same seed gives the same scenarios).
"""

from __future__ import annotations

import multiprocessing
import time

import numpy as np

from supplyopt import study as api
from supplyopt.io.data import DataError, Problem
from supplyopt.workflows.compare import Case, Comparison, tabulate
from supplyopt.workflows.screen import elements, outage_scenario

RANDOM_KINDS = ("links", "ports", "mines")


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
def _solve_chunk(network, opt, specs: list, extend=None) -> list[tuple]:
    """Solve scenarios on one kept model (with the extension, re-loaded from its source text:
    a cluster worker need not see the file); plain tuples (name, plan, error, seconds, warm,
    paths, description) with the error as (status, message, explanation) so that they pickle."""
    study = api.Study(network, model=opt, extend=extend)
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
    return out


def _chunk_task(args) -> list[tuple]:
    return _solve_chunk(*args)


def _case(t: tuple) -> Case:
    name, plan, err, seconds, warm, paths, description = t
    return Case(name, plan, api.NoPlan(*err) if err else None, seconds, warm, paths, description)


CHUNK = 5  # scenarios solved in turn on one kept model


def _chunks(specs: list) -> list[list]:
    """Fixed-size chunks, whatever the number of workers: each chunk's warm re-solves start
    from the same bases however the sweep runs, so where the LP has several equally cheap
    plans the same one is reported (byte-identical results in process, in processes, on dask)."""
    return [specs[i : i + CHUNK] for i in range(0, len(specs), CHUNK)]


def run_sweep(network, opt, specs: list, workers: int = 1, dask=None, progress=None, extend=None) -> list[Case]:
    """Solve every scenario (local processes or dask); cases in the order given."""
    chunks = _chunks(specs)
    done = 0
    results: list[list[tuple] | None] = [None] * len(chunks)

    def tick(i, part):
        nonlocal done
        results[i] = part
        done += len(part)
        if progress:
            progress(done, len(specs))

    if dask is not None:
        client = _client(dask)
        from distributed import as_completed

        futures = {client.submit(_solve_chunk, network, opt, chunk, extend, pure=False): i for i, chunk in enumerate(chunks)}
        for fut in as_completed(list(futures)):
            tick(futures[fut], fut.result())
    elif workers <= 1:
        for i, chunk in enumerate(chunks):
            tick(i, _solve_chunk(network, opt, chunk, extend))
    else:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            for i, part in pool.imap_unordered(_indexed, [(i, (network, opt, c, extend)) for i, c in enumerate(chunks)]):
                tick(i, part)
    return [_case(t) for part in results for t in part]


def _indexed(item):
    i, args = item
    return i, _solve_chunk(*args)


def _client(dask):
    """A distributed.Client from an address, or the client given."""
    if not isinstance(dask, str):
        return dask
    try:
        from distributed import Client
    except ImportError as err:  # an optional dependency: pip install 'supplyopt[cluster]'
        raise DataError([Problem("--dask", "dask.distributed is not installed; install supplyopt[cluster] (pinned in requirements.lock)", value=dask)]) from err
    try:
        return Client(dask, timeout="20s")
    except OSError as err:
        raise DataError([Problem("--dask", f"cannot reach the dask scheduler ({err}); expected an address such as tcp://127.0.0.1:8786", value=dask)]) from err


def _dask_workers(dask) -> int:
    try:
        return max(1, len(_client(dask).scheduler_info().get("workers", {})))
    except Exception:  # noqa: BLE001 — only sizes the chunks
        return 1


def sweep(network, scenarios, model=None, random: int = 0, seed: int = 0, probability: float = 0.02, workers: int = 1, dask=None,
          progress=None, extend=None, **solver) -> Comparison:
    """The base and every scenario (given, then ``random`` seeded stress scenarios) as one
    :class:`~supplyopt.compare.Comparison`."""
    # no race of two solvers (method: choose): which one wins can change the plan among equally
    # cheap ones, and the results must be the same in process, with workers or on a cluster
    study = network if isinstance(network, api.Study) else api.Study(network, model=model, extend=extend, **{"race": False, **solver})
    net, opt = study.base, study.options
    specs = list(scenarios) + random_scenarios(net, random, seed, probability)
    for spec in specs:  # read every file first: a bad one stops the sweep before any solve
        api.scenario(spec)
    t0 = time.perf_counter()
    try:
        base = Case("base", study.reset().solve(), None, time.perf_counter() - t0)
    except api.NoPlan as err:
        base = Case("base", None, err, time.perf_counter() - t0)
    t1 = time.perf_counter()
    cases = run_sweep(net, opt, specs, workers, dask, progress, study.extend_spec)
    wall = time.perf_counter() - t1
    cmp = tabulate(net, opt, [base, *cases], profile=study.profile_path, extension=study.extension)
    cmp.summary["sweep"] = {"scenarios": len(specs), "random": random, "seed": seed, "probability": probability,
                            "runner": "dask" if dask is not None else ("processes" if workers > 1 else "in process"),
                            "workers": workers if dask is None else _dask_workers(dask), "wall_s": round(wall, 3)}
    return cmp
