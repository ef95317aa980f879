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

from supplyopt.io.data import DataError, Problem, read_yaml

CHOICES = {
    "safety_stock": ("soft", "hard"),
    "end_stock": ("initial", "safety", "free"),
    "engine": ("highs", "pyomo"),
    "presolve": ("choose", "on", "off"),
    "method": ("choose", "simplex", "ipm", "race", "pdlp"),
    "foresight": ("surprise", "perfect"),
}

# Days of cover at demand centres, [red, amber] per demand class: red below the first, amber
# below the second (docs/profiles.md gives the sources). Classes not listed use
# cover_red_days / cover_amber_days.
DEFAULT_COVER_DAYS = {
    "power": (7.0, 12.0),  # NDRC peak-season minimum 7 days (Sep 2021); rail tracking bands <7 / <12 days (2021)
    "residential_heating": (7.0, 12.0),  # heating plants are held to the power-plant lines
    "industry": (3.0, 7.0),  # estimate: coking and steel works run lean yards of about a week; amber below a week, red below 3 days
    "export": (0.0, 0.0),  # port yards for export: only a shortage is red
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
    reformulate: bool = True  # exact eliminations before HiGHS (reformulate.py); false: the LP as built
    race: bool = True  # method choose may race dual simplex and interior point on two cores; false: interior point alone


@dataclass(frozen=True)
class Options:
    """Model options. Money in the data set's currency (CNY), tonnes per period."""

    description: str = "built-in defaults: pure cost minimisation"
    unmet_penalty_cny_per_t: float = 10_000.0  # where demand.csv leaves penalty blank
    safety_penalty_cny_per_t: float = 500.0  # per tonne below safety stock, per period
    safety_stock: str = "soft"  # soft: shortfall penalised; hard: must be met
    end_stock: str = "initial"  # the end-of-horizon target: initial | safety | free
    # CNY per t the last period's stock ends below its target; None: the target is hard (must be met)
    end_stock_penalty_cny_per_t: float | None = 1_000.0
    foresight: str = "surprise"  # surprise: a scenario's edits are unknown until known_from; perfect: known from the start
    truck_penalty_cny_per_tkm: float = 0.0
    carbon_price_cny_per_t_co2: float = 0.0
    max_truck_share_tkm: float | None = None  # truck t·km ≤ share × all t·km
    max_mine_truck_share: float | None = None  # truck tonnes leaving mines ≤ share × output
    cover_red_days: float = 7.0  # days of cover below which a stock is flagged red
    cover_amber_days: float = 12.0
    cover_days_by_class: dict = field(default_factory=lambda: {k: list(v) for k, v in DEFAULT_COVER_DAYS.items()})
    change_penalty_cny_per_t: float = 1.0  # schedule --previous: per tonne changed against the last plan's look-ahead
    demand_priority: str | tuple[str, ...] | None = None  # None: off; "default" or classes, highest first (priority.py)
    engine: str = "highs"  # highs: arrays straight to HiGHS; pyomo: Pyomo's persistent HiGHS
    solver: SolverOptions = field(default_factory=SolverOptions)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def cover_days(self, demand_class: str | None) -> tuple[float, float]:
        """(red, amber) days of cover for a demand class (the profile's fallback lines for a
        class it does not list, or none)."""
        red, amber = (self.cover_days_by_class or {}).get(demand_class or "", (self.cover_red_days, self.cover_amber_days))
        return float(red), float(amber)

    @property
    def end_rule_words(self) -> str:
        """The end-of-horizon rule in planner words, for the terminal, logs and reports."""
        target = {"initial": "the initial stock", "safety": "the safety stock", "free": "no target"}[self.end_stock]
        if self.end_stock == "free":
            return "end stock free (no target)"
        if self.end_stock_penalty_cny_per_t is None:
            return f"end stock ≥ {target} (hard: must be met)"
        return f"end stock ≥ {target} (soft: each tonne below costs {self.end_stock_penalty_cny_per_t:,.0f} CNY)"


_SHARES = ("max_truck_share_tkm", "max_mine_truck_share")
_NULLABLE = ("end_stock_penalty_cny_per_t",)  # null: the end-of-horizon target is hard


def _cover_days(value, bad) -> dict | None:
    """``{class: [red, amber]}`` with 0 ≤ red ≤ amber days; None (after ``bad``) otherwise."""
    if not isinstance(value, dict):
        bad("expected a mapping of demand class to [red, amber] days, e.g. {power: [7, 12]}")
        return None
    out = {}
    for cls, pair in value.items():
        ok = isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0 for v in pair)
        if not ok or pair[0] > pair[1]:
            bad(f"class {cls}: expected [red, amber] days, two numbers with 0 ≤ red ≤ amber (e.g. [7, 12])")
            return None
        out[str(cls)] = [float(pair[0]), float(pair[1])]
    return out


def load_options(path: str | Path | None = None, **overrides) -> Options:
    """Options from a profile file (or the defaults), with CLI ``overrides`` on top.

    ``overrides`` may name model options or solver options; ``None`` values are ignored.
    Raises :class:`DataError` listing every unknown key and bad value.
    """
    raw: dict = {}
    written: dict = {}  # values as typed (YAML reads `yes` as true): shown in messages
    label = str(path) if path else "options"
    problems: list[Problem] = []
    if path is not None:
        file = Path(path)
        if file.is_dir():
            found = ", ".join(str(p) for p in sorted(file.glob("*.y*ml"))[:5])
            raise DataError([Problem(label, "is a folder; expected a model profile (YAML file)" + (f" such as {found}" if found else " such as models/default.yaml"))])
        if not file.is_file():
            raise DataError([Problem(label, "model profile not found; expected a YAML file such as models/default.yaml")])
        if file.suffix.lower() in (".py", ".csv", ".xlsx", ".xls"):  # surely not a profile: say what is
            hint = " — an extension (extra_functionality) goes to --extend" if file.suffix.lower() == ".py" else ""
            raise DataError([Problem(label, f"is a {file.suffix} file; expected a model profile (YAML file, .yaml) such as models/default.yaml{hint}")])
        raw = read_yaml(file, label, problems) or {}
        if not problems:
            written = read_yaml(file, label, problems, loader=yaml.BaseLoader) or {}
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
    written = written if isinstance(written, dict) else {}
    solver_written = written.get("solver") if isinstance(written.get("solver"), dict) else {}
    solver = SolverOptions(**_checked(solver_raw, SolverOptions, label, "solver.", problems, solver_written))
    opts = _checked(raw, Options, label, "", problems, written)
    if problems:
        raise DataError(problems)
    opts = Options(**opts, solver=solver)
    if opts.cover_amber_days < opts.cover_red_days:
        raise DataError([Problem(label, "cover_amber_days must be at least cover_red_days", column="cover_amber_days", value=opts.cover_amber_days)])
    return opts


def _checked(raw: dict, cls, label: str, prefix: str, problems: list[Problem], written: dict) -> dict:
    """Known keys with values of the right type; every other key or value is a problem,
    shown as it was written in the file."""
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "solver"}
    out = {}
    for key, value in raw.items():
        name = f"{prefix}{key}"
        shown = written.get(key) if isinstance(written.get(key), str) else value

        def bad(expected: str) -> None:
            problems.append(Problem(label, expected, column=name, value=shown))

        if key not in fields:
            bad(f"unknown option; expected one of {', '.join(sorted(prefix + f for f in fields))}")
            continue
        default = fields[key].default
        if key in CHOICES:
            if value not in CHOICES[key]:
                bad(f"expected one of {', '.join(CHOICES[key])}")
                continue
        elif key == "demand_priority":
            if value is None or value == "default":
                pass
            elif isinstance(value, (list, tuple)) and value and all(isinstance(v, str) and v.strip() for v in value) and len(set(value)) == len(value):
                value = tuple(value)
            else:
                bad("expected default, or a list of distinct demand classes, highest priority first (e.g. [residential_heating, power, industry, export])")
                continue
        elif key == "description":
            value = str(value)
        elif key in _NULLABLE and (value is None or value == "hard"):
            value = None
        elif key == "cover_days_by_class":
            value = _cover_days(value, bad)
            if value is None:
                continue
        elif key in ("log", "reformulate", "race"):
            if not isinstance(value, bool):
                bad("expected true or false")
                continue
        elif value is None:
            if default is not None and key not in _NULLABLE:
                bad("expected a number")
                continue
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            bad("expected a finite number ≥ 0" + (" (CNY per t), or hard for a target that must be met" if key in _NULLABLE else ""))
            continue
        elif key in _SHARES and value > 1:
            bad("expected a share between 0 and 1 (0.3 for 30 %)")
            continue
        elif key in ("threads", "random_seed"):
            if int(value) != value:
                bad("expected a whole number")
                continue
            value = int(value)
        out[key] = value
    return out
