"""Scenario sets for two-stage stochastic plans (``supplyopt stochastic --scenarios SET.yaml``).

A set is a YAML file listing the futures a plan must be ready for, each with its probability
and the scenario files (the existing format, ``docs/scenarios.md``) that make it, applied in
order; paths are relative to the set file and an empty list is the base network::

    name: winter_risks                 # optional
    description: …                     # optional
    scenarios:
      - {name: calm, probability: 0.7, scenario: []}
      - {name: cold, probability: 0.3, scenario: [cold_wave.yaml]}

Probabilities are numbers in (0, 1] that sum to 1 (within 1e-6); names are unique. Every
problem of the file is reported at once (:class:`DataError`, exit 2).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from supplyopt.io.data import DataError, Problem, read_yaml
from supplyopt.io.scenario import Scenario, combine_scenarios, load_scenario

SUM_TOLERANCE = 1e-6
SET_KEYS = ("name", "description", "scenarios")
MEMBER_KEYS = ("name", "probability", "scenario", "description")


@dataclass
class Member:
    """One future of a set: its name, probability, and the scenario that makes it (None: the
    base network). ``files`` are the scenario files as written in the set."""

    name: str
    probability: float
    scenario: Scenario | None
    files: list[str] = field(default_factory=list)
    description: str = ""

    def record(self) -> dict:
        return {"name": self.name, "probability": self.probability, "files": self.files,
                "edits": len(self.scenario.edits) if self.scenario else 0,
                "sha256": dict(self.scenario.sha256) if self.scenario else {}}


@dataclass
class ScenarioSet:
    """The futures of a stochastic plan, in the order given."""

    name: str
    description: str
    members: list[Member]
    path: str | None = None
    sha256: str | None = None

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.members]

    @property
    def probabilities(self) -> list[float]:
        return [m.probability for m in self.members]

    def record(self) -> dict:
        """summary.json's record: the set file and its SHA-256, each member and its files."""
        return {"name": self.name, "path": self.path, "sha256": self.sha256, "members": [m.record() for m in self.members]}


def load_scenario_set(path: str | Path) -> ScenarioSet:
    """Read and check a scenario-set file; :class:`DataError` lists every problem."""
    label = str(path)
    file = Path(path)
    if not file.is_file():
        raise DataError([Problem(label, "scenario set file not found; expected a YAML file with a list `scenarios:` of {name, probability, scenario}")])
    problems: list[Problem] = []
    raw = read_yaml(file, label, problems)
    if problems:
        raise DataError(problems)
    if not isinstance(raw, dict) or not isinstance(raw.get("scenarios"), list) or not raw["scenarios"]:
        raise DataError([Problem(label, "expected a mapping with a non-empty list `scenarios:`, each {name, probability, scenario: [files]}", column="scenarios")])
    for key in raw:
        if key not in SET_KEYS:
            problems.append(Problem(label, f"unknown key; expected {', '.join(SET_KEYS)}", column=str(key)))
    members, seen = [], {}
    for i, item in enumerate(raw["scenarios"], start=1):
        where = f"scenarios[{i}]"
        member = _member(item, where, file.parent, label, problems)
        if member is None:
            continue
        if member.name in seen:
            problems.append(Problem(label, f"duplicate name (also {seen[member.name]}); every scenario of a set needs its own name", column=f"{where}.name", value=member.name))
        seen.setdefault(member.name, where)
        members.append(member)
    # the sum is checked whenever every probability is a number, even if other fields are wrong
    probs = [item.get("probability") if isinstance(item, dict) else None for item in raw["scenarios"]]
    numbers = [p for p in probs if isinstance(p, (int, float)) and not isinstance(p, bool)]
    total = float(sum(numbers))
    if len(numbers) == len(probs) and abs(total - 1.0) > SUM_TOLERANCE:
        problems.append(Problem(label, f"probabilities sum to {total:.9g}; expected 1 (within {SUM_TOLERANCE:g})", column="scenarios[*].probability", value=total))
    if problems:
        raise DataError(problems)
    return ScenarioSet(str(raw.get("name") or file.stem), str(raw.get("description") or ""), members, label, hashlib.sha256(file.read_bytes()).hexdigest())


def _member(item, where: str, folder: Path, label: str, problems: list[Problem]) -> Member | None:
    """One entry of ``scenarios:``, or None (with its problems recorded)."""
    if not isinstance(item, dict):
        problems.append(Problem(label, "expected a mapping {name, probability, scenario: [files]}", column=where, value=str(item)))
        return None
    before = len(problems)
    for key in item:
        if key not in MEMBER_KEYS:
            problems.append(Problem(label, f"unknown key; expected {', '.join(MEMBER_KEYS)}", column=f"{where}.{key}"))
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem(label, "expected a name (text)", column=f"{where}.name", value=name))
    prob = item.get("probability")
    if isinstance(prob, bool) or not isinstance(prob, (int, float)) or not 0 < prob <= 1:
        problems.append(Problem(label, "expected a probability, a number in (0, 1]", column=f"{where}.probability", value=prob))
    files = item.get("scenario", [])
    if files is None:
        files = []
    if isinstance(files, str):
        files = [files]
    if not isinstance(files, list) or not all(isinstance(f, str) and f.strip() for f in files):
        problems.append(Problem(label, "expected a list of scenario files (paths relative to the set file; [] for the base network)", column=f"{where}.scenario", value=str(files)))
        files = []
    parts = []
    for f in files:
        try:
            parts.append(load_scenario(folder / f))
        except DataError as err:
            for p in err.problems:
                inside = "" if Path(p.file) == folder / f else f"{p.file}: "  # a problem inside the file (or one it includes)
                at = f" (row {p.row})" if p.row is not None else ""
                at += f" ({p.column}: {p.value!r})" if p.column is not None else ""
                problems.append(Problem(label, f"{inside}{p.message}{at}", column=f"{where}.scenario", value=f))
    if len(problems) > before:
        return None
    scenario = combine_scenarios(parts) if parts else None
    return Member(name.strip(), float(prob), scenario, list(files), str(item.get("description") or ""))


def equally_likely(named: list[tuple[str, Scenario | None]], name: str = "random") -> ScenarioSet:
    """A set of the given scenarios, each with probability 1/n (``--random N`` draws)."""
    n = len(named)
    return ScenarioSet(name, f"{n} equally likely scenarios", [Member(k, 1.0 / n, s) for k, s in named])
