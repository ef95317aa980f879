"""N-1 screening: take each element out in turn, re-solve warm, rank what hurts most.

    result = screen("data/shanxi", model="models/default.yaml", kinds=["corridors", "ports"])
    result.table.head()          # rank, kind, element, status, delta_unmet_t, delta_cost_cny …
    result.write("results/screen")

Elements and what "out" means (each a scenario of ordinary edits, ``outage_scenario``):
  links      one link: link_capacity set 0
  corridors  every link of one corridor (links.csv ``corridor`` column): link_capacity set 0
  ports      every link into or out of a port node (kind ``port``): the port is closed
  mines      one mine: mine_capacity set 0 (its minimum output falls with it)
  storage    every link into or out of a storage node (kind ``storage``): its stock is locked in
             (it can neither take nor give coal), which keeps the end-stock rule satisfiable

With ``window=(first, last)`` the element is out only in those weeks. Each case is a warm
re-solve of one kept model (:class:`~supplyopt.api.Study`): an outage that only closes links
holds their flows at 0 on the kept HiGHS model and reads back only what the ranking needs
(``results.outcome``); a mine outage goes through its scenario. With ``workers > 1`` the
cases are split among processes, each with its own Study. Ranked by extra unmet tonnes, then
extra cost; an outage with no plan at all (infeasible: e.g. a mine's minimum output with
nowhere to go) ranks first, with the reason, and does not stop the screen.

For each element: the demand centres it leaves short and in which weeks (``hurt``), and the
capacities that would cover it: the binding link and storage capacities of the outage plan
with the largest shadow prices (CNY saved per extra tonne), i.e. where spare capacity is
worth most.
"""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from supplyopt import study as api
from supplyopt.engines.solver import check_plan
from supplyopt.io.data import DataError, Problem
from supplyopt.io.scenario import apply_scenario
from supplyopt.io.write import csv_text, summary_json
from supplyopt.model import foresight, priority
from supplyopt.results.plan import outcome
from supplyopt.results.warning import week_runs
from supplyopt.workflows.compare import write_folder

KINDS = ("links", "corridors", "ports", "mines", "storage")
TOL_T = 0.5  # tonnes: smaller changes in unmet are solver noise
N_BOTTLENECKS = 3


# --------------------------------------------------------------------------- elements
def elements(net, kinds=KINDS) -> list[tuple[str, str]]:
    """(kind, id) of every element to take out, in a fixed order (kind as given, ids sorted)."""
    out = []
    for kind in kinds:
        if kind not in KINDS:
            raise DataError([Problem("--elements", f"unknown element kind; expected some of {', '.join(KINDS)}", value=kind)])
        if kind == "links":
            ids = net.links["id"].astype(str)
        elif kind == "corridors":
            ids = net.links["corridor"].dropna().astype(str) if "corridor" in net.links else pd.Series([], dtype=str)
            ids = ids[ids != ""]
        elif kind == "mines":
            ids = net.supply["node"].astype(str)
        else:
            node_kind = "port" if kind == "ports" else "storage"
            ids = net.nodes.loc[net.nodes["kind"] == node_kind, "id"].astype(str)
        out += [(kind, i) for i in sorted(set(ids))]
    return out


def parse_window(net, text: str | None) -> list[str] | None:
    """``W1:W2`` (period labels, inclusive) → the labels in between; None for the whole horizon."""
    if not text:
        return None
    first, _, last = text.partition(":")
    last = last or first
    for label in (first, last):
        if label not in net.periods:
            raise DataError([Problem("--window", f"unknown period; expected FIRST:LAST with labels {net.periods[0]} … {net.periods[-1]}", value=label)])
    i, j = net.periods.index(first), net.periods.index(last)
    if j < i:
        raise DataError([Problem("--window", "the window ends before it starts; expected FIRST:LAST in horizon order", value=text)])
    return net.periods[i : j + 1]


def outage_scenario(net, kind: str, element: str, window: list[str] | None = None) -> dict:
    """The scenario (dict of ordinary edits) that takes one element out."""
    when = {"periods": list(window)} if window else {}
    if kind == "links":
        edits = [{"what": "link_capacity", "where": {"id": element}, "set": 0, **when}]
    elif kind == "corridors":
        edits = [{"what": "link_capacity", "where": {"corridor": element}, "set": 0, **when}]
    elif kind == "mines":
        edits = [{"what": "mine_capacity", "where": {"node": element}, "set": 0, **when}]
    else:  # ports, storage: close the node = every link touching it
        edits = [{"what": "link_capacity", "where": {end: element}, "set": 0, **when} for end in ("from", "to") if (net.links[end] == element).any()]
    return {"name": f"{kind[:-1] if kind != 'storage' else kind} {element} out", "edits": edits}


# --------------------------------------------------------------------------- one case
def _node_unmet(plan) -> dict:
    """{(node, period): unmet t}, products summed (a dict: a case's hurt is a few lookups)."""
    out: dict = {}
    u = plan.unmet
    for key, v in zip(zip(u["node"].tolist(), u["period"].tolist()), u["unmet_t"].tolist()):
        out[key] = out.get(key, 0.0) + v
    return out


def _extra_unmet(plan, base_plan) -> dict:
    """{(node, period): unmet t above the base plan's}, where above TOL_T, in (node, period) order."""
    base = _node_unmet(base_plan)
    now = _node_unmet(plan)
    return {k: v - base.get(k, 0.0) for k, v in sorted(now.items()) if v - base.get(k, 0.0) > TOL_T}


def outage_links(net, kind: str, element: str) -> set[str]:
    """The links an outage closes (none for a mine)."""
    links = net.links
    if kind == "links":
        return {element}
    if kind == "corridors":
        return set(links.loc[links["corridor"].astype(str) == element, "id"])
    if kind in ("ports", "storage"):
        return set(links.loc[(links["from"] == element) | (links["to"] == element), "id"])
    return set()


def _bottlenecks(plan, closed: set[str] = frozenset(), window=None, n: int = N_BOTTLENECKS) -> str:
    """The binding capacities worth most per extra tonne in a plan, other than those the
    outage closed, in the outage weeks: 'id P CNY/t (weeks binding)'."""
    p = plan.prices
    best: dict = {}  # (kind, id) -> [highest price, weeks binding]
    for kind, eid, period, price in zip(p["kind"].tolist(), p["id"].tolist(), p["period"].tolist(), p["price_cny_per_t"].tolist()):
        if kind in ("link_capacity", "storage_capacity") and price > 1e-6 and eid not in closed and (not window or period in window):
            b = best.setdefault((kind, eid), [price, set()])
            b[0] = max(b[0], price)
            b[1].add(period)
    top = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0][1], kv[0][0]))[:n]
    return "; ".join(f"{eid} {price:,.0f} CNY/t ({len(weeks)} wk)" for (_, eid), (price, weeks) in top)


def _reason(err: api.NoPlan) -> str:
    """The explanation's findings on one line (headings such as 'This requirement cannot be
    met:' left out)."""
    lines = [line.strip().lstrip("- ").strip() for line in err.explanation if line.strip() and not line.strip().endswith(":")]
    return " | ".join(lines[:4]) or err.message


def _by_flow_bounds(study: api.Study, kind: str) -> bool:
    """Whether this kind of outage is a change of flow bounds on the kept model (not a mine;
    not a model with priority stages or layers)."""
    return kind != "mines" and not study.layers and not priority.active(study.base, study.options)


def _closed_flows(study: api.Study, kind: str, element: str, window) -> np.ndarray:
    """Positions in the kept model's flow family of every flow the outage stops."""
    flow = study.lp.variables["flow"].index
    closed = flow["link"].isin(outage_links(study.base, kind, element)).to_numpy()
    if window:
        closed = closed & flow["period"].isin([study.base.periods.index(w) for w in window]).to_numpy()
    return np.flatnonzero(closed)


def _solve_outage(study: api.Study, kind: str, element: str, window, cold: bool):
    """The outage's outcome (``results.Outcome``). Where it only closes links: every flow on
    them held at 0 on the kept model — the same plans as the scenario's capacity 0, shared
    links included (Σ flows ≤ 0 with flows ≥ 0 is each flow 0) — a warm re-solve, the bounds
    put back, and no rebuild or full plan tables; an extension re-run on the outage's data
    where that data is what it reads (``PyomoEngine.see``). Otherwise, and to explain a case
    with no plan, through the outage scenario. Raises NoPlan."""

    if cold or not _by_flow_bounds(study, kind):
        runner = study.fresh() if cold else study
        return runner.apply(outage_scenario(study.base, kind, element, window)).solve()
    if study.scenario is not None or study.engine is None or study.solution is None:
        study.reset().solve()  # the flow bounds below act on the base model (after a case that went through a scenario)
    closed = _closed_flows(study, kind, element, window)
    engine, lp = study.engine, study.lp
    if study.extend is not None:  # the extension reads the data: it is handed the outage's (capacities 0)
        engine.see(apply_scenario(study.base, api.scenario(outage_scenario(study.base, kind, element, window))))
    # surprise: an outage in a window is unknown until the window opens; the base plan's
    # decisions before it stand (foresight.py), held here on the kept model like the outage
    start = study.base.periods.index(window[0]) if window else 0
    fixes = foresight.fixings(lp, lp, study.solution.x, start) if study.options.foresight == "surprise" and start > 0 else []
    held = [(name, pos, lp.variables[name].lower[pos].copy(), lp.variables[name].upper[pos].copy()) for name, pos, _ in fixes]
    held.append(("flow", closed, lp.variables["flow"].lower[closed].copy(), lp.variables["flow"].upper[closed].copy()))
    foresight.fix_in_engine(engine, fixes)
    engine.set_variable_bounds("flow", closed, 0.0, 0.0)
    study.start_from_base()  # every case from the base plan's basis: the same plan in any order, and fewer pivots
    try:
        sol = engine.solve()
        result = outcome(study.base, engine.lp, sol) if sol.has_plan and not check_plan(engine.lp, sol.x) else None
    finally:
        for name, pos, lower, upper in reversed(held):
            engine.set_variable_bounds(name, pos, lower, upper)
    if result is None:  # no plan: the scenario path explains why, in planner words
        return study.apply(outage_scenario(study.base, kind, element, window)).solve()
    return result


def run_case(study: api.Study, base_plan, kind: str, element: str, window=None, cold: bool = False) -> dict:
    """Solve one outage and describe it against the base plan (a flat dict, plus ``hurt``
    rows: node, period, extra_unmet_t)."""
    t0 = time.perf_counter()
    row = {"kind": kind, "element": element}
    try:
        plan = _solve_outage(study, kind, element, window, cold)
    except api.NoPlan as err:
        row.update(status=err.status, seconds=time.perf_counter() - t0, explanation=_reason(err))
        return {**row, "hurt": []}
    seconds = time.perf_counter() - t0
    base_s = base_plan.summary
    extra = _extra_unmet(plan, base_plan)
    by_node: dict = {}
    for (node, week), v in extra.items():
        by_node.setdefault(node, [0.0, []])
        by_node[node][0] += v
        by_node[node][1].append(week)
    hurt_nodes = sorted(by_node.items(), key=lambda kv: -kv[1][0])  # stable: ties stay in node order
    row.update(
        status=plan.summary["status"],
        objective_cny=plan.summary["objective"],
        unmet_t=plan.summary["unmet_t"],
        delta_unmet_t=plan.summary["unmet_t"] - base_s["unmet_t"],
        delta_cost_cny=plan.summary["objective"] - base_s["objective"],
        delta_co2_t=plan.summary["co2_t"] - base_s["co2_t"],
        delta_end_deficit_t=plan.summary.get("end_deficit_t", 0.0) - base_s.get("end_deficit_t", 0.0),
        demand_centres_hurt=" ".join(f"{n}:{v:,.0f}t[{week_runs(weeks, study.base.periods)}]" for n, (v, weeks) in hurt_nodes[:5]),
        bottlenecks=_bottlenecks(plan, outage_links(study.base, kind, element), window),
        seconds=seconds,
        warm=not cold,
        explanation="",
    )
    base_class = _class_unmet(base_plan)
    for cls, v in _class_unmet(plan).items():
        row[f"delta_unmet_{cls}_t"] = v - base_class.get(cls, 0.0)
    hurt = [{"kind": kind, "element": element, "node": n, "period": w, "extra_unmet_t": float(v)} for (n, w), v in extra.items()]
    return {**row, "hurt": hurt}


def _class_unmet(plan) -> dict:
    """{demand class: unmet t over the horizon} (nothing without a demand_class column)."""
    u = plan.unmet
    if "demand_class" not in u:
        return {}
    # numpy, not a pandas groupby: a screen does this for every case
    cls = np.array(["unclassified" if c is None or c != c or c == "" else str(c) for c in u["demand_class"].tolist()], dtype=object)
    names, which = np.unique(cls, return_inverse=True)
    return {str(k): float(v) for k, v in zip(names, np.bincount(which, weights=u["unmet_t"].to_numpy(float), minlength=len(names)))}


# --------------------------------------------------------------------------- the screen
@dataclass
class Screen:
    """The ranked table (one row per element), the long ``hurt`` table and a summary."""

    network: object
    table: pd.DataFrame
    hurt: pd.DataFrame
    summary: dict

    def write(self, out_dir: str | Path) -> Path:

        return write_folder(out_dir, {"screen.csv": csv_text(self.table), "hurt.csv": csv_text(self.hurt), "summary.json": summary_json(self.summary)})


_WORKER: dict = {}


def _worker_init(network, opt, window, cold, extend=None, layers=()) -> None:
    study = api.Study(network, model=opt, extend=extend, layers=layers)
    _WORKER.update(study=study, base=study.solve(), window=window, cold=cold)


def _worker_chunk(chunk: list[tuple[str, str]]) -> list[dict]:
    w = _WORKER
    return [run_case(w["study"], w["base"], k, e, w["window"], w["cold"]) for k, e in chunk]


def screen(network, model=None, kinds=KINDS, window: str | list[str] | None = None, workers: int = 1, cold: bool = False,
           limit: int | None = None, progress=None, extend=None, **solver) -> Screen:
    """Take each element of ``kinds`` out in turn (in ``window`` weeks, ``FIRST:LAST`` or a
    list of labels) and rank the outages. ``cold``: solve each case on a fresh model (the
    reference for timing); ``limit``: only the first N elements (for timing runs);
    ``progress(done, total)``: called after each chunk."""
    # no race of two solvers (method: choose): which one wins can change the plan among equally
    # cheap ones, and the results must be the same in process, with workers or on a cluster
    study = network if isinstance(network, api.Study) else api.Study(network, model=model, extend=extend, **{"race": False, **solver})
    net, opt = study.base, study.options
    weeks = parse_window(net, window) if isinstance(window, str) or window is None else list(window)
    todo = elements(net, kinds)[:limit]
    t0 = time.perf_counter()
    base = study.reset().solve()
    base_s = time.perf_counter() - t0
    rows: list[dict] = []
    t1 = time.perf_counter()
    if workers <= 1 or len(todo) < 2:
        for i, (k, e) in enumerate(todo):
            rows.append(run_case(study, base, k, e, weeks, cold))
            if progress:
                progress(i + 1, len(todo))
    else:
        size = max(1, min(25, -(-len(todo) // (4 * workers))))  # a few chunks per worker, each warm
        chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(workers, initializer=_worker_init, initargs=(net, opt, weeks, cold, study.extend_spec, study.layers)) as pool:
            for part in pool.imap(_worker_chunk, chunks):
                rows += part
                if progress:
                    progress(len(rows), len(todo))
    wall = time.perf_counter() - t1
    study.reset()
    return _rank(net, study, base, rows, weeks, workers, base_s, wall, cold)


def _rank(net, study, base, rows, weeks, workers, base_s, wall, cold) -> Screen:
    hurt = pd.DataFrame([h for r in rows for h in r["hurt"]], columns=["kind", "element", "node", "period", "extra_unmet_t"])
    cols = ["rank", "kind", "element", "status", "delta_unmet_t", "delta_cost_cny", "delta_end_deficit_t", "delta_co2_t", "unmet_t", "objective_cny", "demand_centres_hurt", "bottlenecks", "explanation"]
    table = pd.DataFrame([{k: v for k, v in r.items() if k != "hurt"} for r in rows])
    if table.empty:
        table = pd.DataFrame(columns=cols + ["seconds"])
    for c in cols:
        if c not in table:
            table[c] = np.nan if c not in ("demand_centres_hurt", "bottlenecks", "explanation") else ""
    seconds = table["seconds"].astype(float)
    no_plan = table["status"].isin(["optimal", "time_limit"]) == False  # noqa: E712 (Series comparison)
    table["_np"] = (~no_plan).astype(int)
    classes = ranking_classes(net, study.options, table)
    per_class = [f"delta_unmet_{c}_t" for c in classes]
    if "other" in classes and "delta_unmet_other_t" not in table:  # classes the priority list leaves out, together
        rest = [c for c in table.columns if c.startswith("delta_unmet_") and c != "delta_unmet_t" and c[len("delta_unmet_"):-2] not in classes]
        table["delta_unmet_other_t"] = table[rest].astype(float).fillna(0.0).sum(axis=1) if rest else 0.0
    for c in per_class:
        table[c] = table[c].astype(float).fillna(0.0).where(~no_plan, np.nan) if c in table else np.where(no_plan, np.nan, 0.0)
    table["effect"] = _effect(table, no_plan, classes)
    # priority first: the highest class's extra unmet, then the next, …, then cost; without a
    # priority profile, total extra unmet tonnes, then cost
    order = per_class if priority.active(net, study.options) else ["delta_unmet_t"]
    table = table.sort_values(["_np", *order, "delta_cost_cny", "kind", "element"], ascending=[True, *[False] * len(order), False, True, True], kind="stable", na_position="first")
    table["rank"] = np.arange(1, len(table) + 1)
    cols = cols[:5] + per_class + ["effect"] + cols[5:]
    table = table[cols].reset_index(drop=True)
    for c in ("demand_centres_hurt", "bottlenecks", "explanation"):
        table[c] = table[c].fillna("")
    order = {e: i for i, e in enumerate(table["element"])}
    hurt["_r"] = hurt["element"].map(order)
    hurt["_w"] = hurt["period"].map({p: i for i, p in enumerate(net.periods)})
    hurt = hurt.sort_values(["_r", "_w", "node"], kind="stable").drop(columns=["_r", "_w"]).reset_index(drop=True)
    summary = {
        "dataset": api.dataset_record(net),
        "input_warnings": api.input_warnings(net),
        "profile": study.profile_path,
        "extension": study.extension,
        "ranking": (f"priority first: extra unmet of {', then '.join(classes)}, then extra cost" if priority.active(net, study.options)
                    else "extra unmet tonnes (all classes), then extra cost"),
        "foresight": (f"{study.options.foresight}" + (" (the base plan stands until the window opens)" if study.options.foresight == "surprise" else " (the plan knows of the outage from the first week)"))
                     if weeks and weeks[0] != net.periods[0] else "surprise and perfect alike (an outage from the first week is known from the start)",
        "end_of_horizon": study.options.end_rule_words,
        "window": weeks or "whole horizon",
        "elements": int(len(table)),
        "by_kind": {k: int(v) for k, v in table["kind"].value_counts().sort_index().items()},
        "no_plan": int(no_plan.sum()),
        "with_extra_unmet": int((table["delta_unmet_t"] > TOL_T).sum()),
        "base": {"objective": base.summary["objective"], "unmet_t": base.summary["unmet_t"]},
        "timing": {
            "mode": "rebuilt per case" if cold else "warm re-solve of one kept model",
            "workers": workers,
            "base_solve_s": round(base_s, 3),
            "cases_wall_s": round(wall, 3),
            "seconds_per_case_mean": round(float(seconds.mean()), 4) if len(seconds) else None,
            "seconds_per_case_median": round(float(seconds.median()), 4) if len(seconds) else None,
        },
    }
    return Screen(net, table, hurt, summary)


def ranking_classes(net, opt, table: pd.DataFrame | None = None) -> list[str]:
    """Demand classes in ranking order: the priority order where a priority profile is on
    (``other`` for classes it does not list), else the classes of the data, by name."""
    if "demand_class" not in net.demand:
        return []
    if priority.active(net, opt):
        return priority.order(net, opt)
    return sorted(set(priority.class_of(net.demand)))


def _effect(table: pd.DataFrame, no_plan: pd.Series, classes: list[str]) -> list[str]:
    """In words: no plan, which classes it leaves short, cost and end-stock deficit (stocks end
    below their target: the soft end rule's figure), cost only, or nothing."""
    out = []
    for row, none in zip(table.to_dict("records"), no_plan.tolist()):
        if none:
            out.append("no plan")
            continue
        short = [c for c in classes if row.get(f"delta_unmet_{c}_t", 0.0) > TOL_T]
        if short or row["delta_unmet_t"] > TOL_T:
            out.append("leaves " + (", ".join(short) if short else "demand") + " short")
        elif row.get("delta_end_deficit_t", 0.0) > TOL_T:
            out.append("cost and end-stock deficit")
        elif abs(row["delta_cost_cny"]) > 0.5:
            out.append("cost only")
        else:
            out.append("none")
    return out


def format_screen(result: Screen, top: int = 20) -> str:
    """The ranked outages a planner reads in the terminal."""
    s = result.summary
    cur = result.network.currency
    lines = [
        f"N-1 screen of {s['elements']} elements ({', '.join(f'{v} {k}' for k, v in s['by_kind'].items())}), "
        f"out {'in ' + s['window'][0] + ' … ' + s['window'][-1] if isinstance(s['window'], list) else 'for the whole horizon'}; "
        f"{s['with_extra_unmet']} leave demand short, {s['no_plan']} leave no plan",
        f"Ranked by {s['ranking']}; foresight: {s['foresight']}; {s['end_of_horizon']}",
        *([f"Extension: {s['extension']['path']} ({s['extension']['function']}) applied to every case"] if s.get("extension") else []),
        f"{'#':>3}  {'element':<44}{'Δ unmet t':>14}{'Δ cost ' + cur:>18}  {'effect':<34}demand centres hurt / capacity worth most",
    ]
    per_class = [c for c in result.table.columns if c.startswith("delta_unmet_") and c != "delta_unmet_t"]
    for r in result.table.head(top).itertuples():
        name = f"{r.kind[:-1] if r.kind != 'storage' else r.kind} {r.element}"[:43]
        if r.status not in ("optimal", "time_limit"):
            lines.append(f"{r.rank:>3}  {name:<44}{'no plan':>14}{r.status:>18}  {r.explanation[:110]}")
            continue
        lines.append(f"{r.rank:>3}  {name:<44}{r.delta_unmet_t:>14,.0f}{r.delta_cost_cny:>18,.0f}  {r.effect[:33]:<34}{r.demand_centres_hurt[:110]}")
        by_class = [f"{c[len('delta_unmet_'):-2]} {getattr(r, c):+,.0f} t" for c in per_class if abs(getattr(r, c)) > TOL_T]
        end = f"end-stock deficit {r.delta_end_deficit_t:+,.0f} t" if abs(r.delta_end_deficit_t) > TOL_T else ""
        if by_class or end:
            lines.append(f"{'':>5}{'':<44}{'':>32}  " + "; ".join(filter(None, [("unmet by class: " + "; ".join(by_class)) if by_class else "", end])))
        if r.bottlenecks:
            lines.append(f"{'':>5}{'':<44}{'':>32}  spare capacity worth most: {r.bottlenecks}")
    t = s["timing"]
    lines.append(f"\n{t['mode']}, {t['workers']} worker(s): {t['cases_wall_s']:.1f} s for {s['elements']} cases ({t['seconds_per_case_mean']} s per case on average)")
    return "\n".join(lines)
