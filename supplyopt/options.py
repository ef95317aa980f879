"""Run profiles (``models/*.yaml``): every model and solver option in one typed object.

The built-in defaults (no ``--model``) are pure cost minimisation: no truck penalty, no
carbon price, no share caps, soft safety stock. See ``docs/profiles.md``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .data import DataError, Problem, _decode

CHOICES = {
    "safety_stock": ("soft", "hard"),
    "end_stock": ("initial", "safety", "free"),
    "engine": ("highs", "pyomo"),
    "presolve": ("choose", "on", "off"),
    "method": ("choose", "simplex", "ipm", "pdlp"),
}


@dataclass(frozen=True)
class SolverOptions:
    """HiGHS settings. ``time_limit_s`` None = no limit; ``threads`` None = HiGHS decides."""

    time_limit_s: float | None = None
    mip_gap: float | None = None
    threads: int | None = None
    presolve: str = "choose"
    method: str = "choose"
    random_seed: int = 0
    log: bool = False


@dataclass(frozen=True)
class Options:
    """Model options. Money in the data set's currency (CNY), tonnes per period."""

    description: str = "built-in defaults: pure cost minimisation"
    unmet_penalty_cny_per_t: float = 10_000.0  # where demand.csv leaves penalty blank
    safety_penalty_cny_per_t: float = 500.0  # per tonne below safety stock, per period
    safety_stock: str = "soft"  # soft: shortfall penalised; hard: must be met
    end_stock: str = "initial"  # stock at the end of the horizon ≥ initial | safety | free
    truck_penalty_cny_per_tkm: float = 0.0
    carbon_price_cny_per_t_co2: float = 0.0
    max_truck_share_tkm: float | None = None  # truck t·km ≤ share × all t·km
    max_mine_truck_share: float | None = None  # truck tonnes leaving mines ≤ share × output
    cover_red_days: float = 7.0  # days of cover below which a stock is flagged red
    cover_amber_days: float = 15.0
    engine: str = "highs"  # highs: arrays straight to HiGHS; pyomo: Pyomo's persistent HiGHS
    solver: SolverOptions = field(default_factory=SolverOptions)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


_SHARES = ("max_truck_share_tkm", "max_mine_truck_share")


def load_options(path: str | Path | None = None, **overrides) -> Options:
    """Options from a profile file (or the defaults), with CLI ``overrides`` on top.

    ``overrides`` may name model options or solver options; ``None`` values are ignored.
    Raises :class:`DataError` listing every unknown key and bad value.
    """
    raw: dict = {}
    label = str(path) if path else "options"
    problems: list[Problem] = []
    if path is not None:
        file = Path(path)
        if not file.is_file():
            raise DataError([Problem(label, "model profile not found; expected a YAML file such as models/default.yaml")])
        text = _decode(file, label, problems)
        if text is not None:
            try:
                raw = yaml.safe_load(text) or {}
            except yaml.YAMLError as err:
                mark = getattr(err, "problem_mark", None)
                where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
                problems.append(Problem(label, f"not valid YAML{where}: {getattr(err, 'problem', err)}"))
        if not isinstance(raw, dict):
            problems.append(Problem(label, "expected a mapping of option names to values", value=type(raw).__name__))
            raw = {}
    solver_raw = raw.pop("solver", {}) or {}
    raw.pop("name", None)
    if not isinstance(solver_raw, dict):
        problems.append(Problem(label, "expected a mapping of solver options", column="solver", value=solver_raw))
        solver_raw = {}
    solver_fields = {f.name for f in dataclasses.fields(SolverOptions)}
    for key, value in overrides.items():
        if value is not None:
            (solver_raw if key in solver_fields else raw)[key] = value
    solver = SolverOptions(**_checked(solver_raw, SolverOptions, label, "solver.", problems))
    opts = _checked(raw, Options, label, "", problems)
    if problems:
        raise DataError(problems)
    opts = Options(**opts, solver=solver)
    if opts.cover_amber_days < opts.cover_red_days:
        raise DataError([Problem(label, "cover_amber_days must be at least cover_red_days", column="cover_amber_days", value=opts.cover_amber_days)])
    return opts


def _checked(raw: dict, cls, label: str, prefix: str, problems: list[Problem]) -> dict:
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "solver"}
    out = {}
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if key not in fields:
            problems.append(Problem(label, f"unknown option; expected one of {', '.join(sorted(prefix + f for f in fields))}", column=name, value=value))
            continue
        default = fields[key].default
        if key in CHOICES:
            if value not in CHOICES[key]:
                problems.append(Problem(label, f"expected one of {', '.join(CHOICES[key])}", column=name, value=value))
                continue
        elif key in ("description",):
            value = str(value)
        elif key == "log":
            if not isinstance(value, bool):
                problems.append(Problem(label, "expected true or false", column=name, value=value))
                continue
        elif value is None:
            if default is not None:
                problems.append(Problem(label, "expected a number", column=name, value=value))
                continue
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            problems.append(Problem(label, "expected a finite number ≥ 0", column=name, value=value))
            continue
        elif key in _SHARES and value > 1:
            problems.append(Problem(label, "expected a share between 0 and 1", column=name, value=value))
            continue
        elif key in ("threads", "random_seed"):
            if int(value) != value:
                problems.append(Problem(label, "expected a whole number", column=name, value=value))
                continue
            value = int(value)
        out[key] = value
    return out
