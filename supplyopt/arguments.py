"""The number options of every command: what each accepts, checked all at once.

Every option that takes a number (a count, seconds, a share, CNY, a level) is read by argparse
as text and checked here against its :class:`Rule`: a value that is not a finite number in its
range (negative, NaN, inf, text, a fraction where a whole number is meant) is a
:class:`~supplyopt.io.data.Problem` naming the option, the value as typed and what is
expected; all of them are raised together as one :class:`~supplyopt.io.data.DataError`
(exit 2, before anything is read or written). argparse's own conversion would stop at the
first one with "invalid float value" and no word of what is wanted.

One table, :data:`NUMBER_OPTIONS`, keyed by the option as typed: an option means the same
thing in every command that has it (``--time-limit`` in ``solve`` and in ``schedule``).
``tests/test_arguments.py`` walks the parser tree, so an option added without a rule here
(or without a place in its list of options that take no number) fails the suite.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

from supplyopt.io.data import DataError, Problem


@dataclass(frozen=True)
class Rule:
    """What a number option accepts: ``low ≤ value ≤ high`` (either end open where
    ``low_ok``/``high_ok`` is False), finite, whole where ``whole``; ``words`` accepted as
    they are (``hard``); ``listed``: distinct values separated by commas, returned sorted;
    ``keyed``: a value or ``YEAR=value`` (the text is kept: its reader splits it)."""

    expected: str
    whole: bool = False
    low: float = 0.0
    high: float = math.inf
    low_ok: bool = True
    high_ok: bool = True
    words: tuple[str, ...] = ()
    listed: bool = False
    keyed: bool = False

    def read(self, text: str):
        """The value of ``text``; ValueError where the rule refuses it."""
        if text.strip().lower() in self.words:
            return text.strip().lower()
        if self.listed:
            values = [self.number(part) for part in text.split(",") if part.strip()]
            if not values or len(set(values)) != len(values):
                raise ValueError(text)
            return sorted(values)
        if self.keyed:
            year, sep, amount = text.rpartition("=")
            if sep and not year.strip().isdigit():
                raise ValueError(text)
            value = self.number(amount)
            return f"{int(year)}={value!r}" if sep else repr(value)  # as meant: full-width digits read
        return self.number(text)

    def number(self, text: str) -> int | float:
        value = float(text)  # ValueError for text; "nan", "inf" pass here and fail below
        if not math.isfinite(value) or (self.whole and value != int(value)):
            raise ValueError(text)
        if self.whole:
            value = int(text.strip()) if text.strip().lstrip("+-").isdigit() else int(value)
        if value < self.low or value > self.high or (value == self.low and not self.low_ok) or (value == self.high and not self.high_ok):
            raise ValueError(text)
        return value


SECONDS = "a number of seconds, 0 or more, such as 300"
CNY = "an amount of CNY of 0 or more, such as 5e9"

# option as typed -> its rule; the same in every command that has the option
NUMBER_OPTIONS: dict[str, Rule] = {
    # solver and run limits
    "--time-limit": Rule(SECONDS + " (0 stops the solver at once: no plan, exit 4)"),
    "--mip-gap": Rule("a relative gap from 0 to 1, such as 1e-6", high=1.0),
    "--threads": Rule("a whole number of threads, 0 (HiGHS decides) or more", whole=True),
    "--wait": Rule(SECONDS),
    "--wall-limit": Rule("a number of seconds above 0, such as 3600", low_ok=False),
    "--end-stock-penalty": Rule("CNY per t (a number 0 or more, such as 1000) or hard", words=("hard",)),
    # counts
    "--top": Rule("a whole number of rows, 0 or more", whole=True),
    "--points": Rule("a whole number of points, 2 or more", whole=True, low=2),
    "--workers": Rule("a whole number of processes, 1 or more", whole=True, low=1),
    "--procs": Rule("a whole number of MPI processes, 1 or more", whole=True, low=1),
    "--limit": Rule("a whole number of elements, 1 or more", whole=True, low=1),
    "--random": Rule("a whole number of scenarios, 0 or more", whole=True),
    "--seed": Rule("a whole number, 0 or more, such as 1", whole=True),
    "--horizon": Rule("a whole number of weeks, 1 or more, such as 6", whole=True, low=1),
    "--weeks": Rule("a whole number of weeks, 1 or more, such as 13", whole=True, low=1),
    "--warning-weeks": Rule("distinct whole numbers of weeks, 0 or more, separated by commas, such as 0,1,2,4", whole=True, listed=True),
    "--max-iterations": Rule("a whole number of iterations, 1 or more", whole=True, low=1),
    "--lag-years": Rule("a whole number of years, 0 or more", whole=True),
    # shares, levels, rates
    "--probability": Rule("a probability above 0 and at most 1, such as 0.02", low_ok=False, high=1.0),
    "--max-mine-truck-share": Rule("a share from 0 to 1, such as 0.15 for 15 %", high=1.0),
    "--deviation": Rule("a share from 0 to 1, such as 0.1 (links deliver planned × (1 − u), u up to it)", high=1.0),
    "--down-to": Rule("a share from 0 to 1, such as 0.1", high=1.0),
    "--risk-level": Rule("a CVaR level above 0 and below 1, such as 0.9 for the worst 10 %", low_ok=False, high=1.0, high_ok=False),
    "--risk-weight": Rule("a weight of 0 or more, such as 1"),
    "--rho": Rule("a multiplier above 0, such as 1", low_ok=False),
    "--tolerance": Rule("a relative tolerance above 0, such as 1e-4", low_ok=False),
    "--discount-rate": Rule("a rate from 0 to below 1, such as 0.08", high=1.0, high_ok=False),
    # money and tonnes
    "--budget": Rule(CNY),
    "--budget-step": Rule("an amount of CNY of 0 or more, such as 5e8"),
    "--annual-budget": Rule("one figure in CNY (0 or more), or YEAR=CNY items such as 2028=1.5e9", keyed=True),
    "--carbon-price": Rule("a price of 0 CNY per t CO2 or more, such as 90"),
    "--truck-payload": Rule("tonnes a truck trip carries, above 0, such as 32", low_ok=False),
}


def read_as_text(parser: argparse.ArgumentParser) -> None:
    """Every number option of ``parser`` and its sub-commands read as text (argparse converts
    nothing): :func:`check` converts and says what is wrong, all at once."""
    for action in parser._actions:  # argparse keeps no public list of its actions
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                read_as_text(sub)
        elif any(o in NUMBER_OPTIONS for o in action.option_strings):
            action.type = None


def option_of(action: argparse.Action) -> str | None:
    """The option string of ``action`` that :data:`NUMBER_OPTIONS` knows, or None."""
    return next((o for o in action.option_strings if o in NUMBER_OPTIONS), None)


def command_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The sub-parser of ``command`` in ``parser``."""
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return subs.choices[command]


def check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> list[str]:
    """Convert the number options of the command ``parser`` parsed into ``args``, in place.

    Defaults that are numbers already are taken as they are. Raises :class:`DataError` with
    one problem per option refused (each left as typed; the others converted); returns notes
    for values read as meant (full-width digits)."""
    problems, notes = [], []
    for action in parser._actions:
        option = option_of(action)
        value = getattr(args, action.dest, None) if option else None
        if value is None:
            continue
        rule = NUMBER_OPTIONS[option]
        texts = value if isinstance(value, list) and not rule.listed else [value]
        read, refused = [], False
        for text in texts:
            if not isinstance(text, str):  # a default, already a number
                read.append(text)
                continue
            try:
                read.append(rule.read(text))
            except (ValueError, OverflowError):
                problems.append(Problem(option, f"expected {rule.expected}", value=text))
                refused = True
                continue
            if not text.isascii():
                shown = ",".join(map(str, read[-1])) if isinstance(read[-1], list) else read[-1]
                notes.append(f"{option} {text!r} read as {shown}")
        if not refused:
            setattr(args, action.dest, read if texts is value else read[0])
    if problems:
        raise DataError(problems)
    return notes


def negative_values(argv: list[str]) -> list[str]:
    """``--budget -1e6`` as ``--budget=-1e6``: argparse reads a value starting with '-' that is
    not a plain negative integer or decimal ("-1e6", "-inf") as an option and stops with
    "expected one argument"; joined, the value reaches :func:`check`, which says what is
    wrong with it."""
    out: list[str] = []
    for token in argv:
        if out and out[-1] in NUMBER_OPTIONS and token.startswith("-") and not token.startswith("--"):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out
