"""Number options on every command (supplyopt/arguments.py): each one has a rule, and every
value a rule refuses (negative, NaN, inf, text, a fraction for a count, out of range) is named
with the value as typed and what is expected, all at once, exit 2, nothing written, never a
traceback nor argparse's "invalid float value".

The options are read off the parser tree, so an option added to any command without a rule
(or, when it takes no number, without a place in NOT_NUMBERS below) fails here."""

from __future__ import annotations

import argparse

import pytest
from conftest import CASES, REPO

from supplyopt import arguments
from supplyopt.cli import _parser, main

WINTER = REPO / "data/examples/winter"

# options that take a value which is not a number: paths, names, period labels, lists of them
# (checked where they are read); options with fixed choices are checked by argparse
NOT_NUMBERS = {
    "--model", "--scenario", "--scenarios", "--out", "--extend", "--compare", "--snapshot", "--previous", "--actuals", "--calls",
    "--start", "--window", "--decide-until", "--years",  # period labels, FIRST:LAST years (invest_years checks them)
    "--elements", "--candidate", "--against", "--dask",
}

# what each command needs besides its number options, so that the parse gets as far as the check
BASE = {
    "stochastic": [str(WINTER), "--decide-until", "2026-W50"],
    "evaluate": [str(CASES / "invest"), "--candidate", "siding_a"],
    "report": [str(WINTER)],
}

# refused by every rule; the ones that start with '-' and are not plain numbers also check
# that argparse does not take them for options (arguments.negative_values)
BAD = ["-1", "nan", "abc", "inf", "-1e9", "1e999", "-inf", "1,5x"]


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = _parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(subs.choices)


def valued_options(command: argparse.ArgumentParser):
    """(option, action) for every option that takes a value the user types freely."""
    for action in command._actions:
        if action.option_strings and action.nargs != 0 and not action.choices and not isinstance(action, argparse._HelpAction):
            yield action.option_strings[0], action


def test_every_option_that_takes_a_value_is_a_number_with_a_rule_or_known_not_to_be_one():
    unknown = sorted({f"{name} {option}" for name, cmd in commands().items() for option, _ in valued_options(cmd)
                      if option not in arguments.NUMBER_OPTIONS and option not in NOT_NUMBERS})
    assert not unknown, ("options without a rule: give each a Rule in supplyopt/arguments.py NUMBER_OPTIONS (or, if it takes no number, "
                         f"add it to NOT_NUMBERS here): {unknown}")
    typed = sorted(f"{name} {option}" for name, cmd in commands().items() for option, a in valued_options(cmd)
                   if option in arguments.NUMBER_OPTIONS and a.type is not None)
    assert not typed, f"number options converted by argparse (its 'invalid float value' message) instead of arguments.check: {typed}"
    unused = set(arguments.NUMBER_OPTIONS) - {o for cmd in commands().values() for o, _ in valued_options(cmd)}
    assert not unused, f"rules for options no command has: {unused}"


@pytest.mark.parametrize("name", sorted(n for n, cmd in commands().items() if any(o in arguments.NUMBER_OPTIONS for o, _ in valued_options(cmd))))
def test_every_number_option_of_a_command_refused_at_once(tmp_path, capsys, name):
    out = tmp_path / "out"
    options = [o for o, _ in valued_options(commands()[name]) if o in arguments.NUMBER_OPTIONS]
    given = {o: BAD[i % len(BAD)] for i, o in enumerate(options)}
    argv = [name, *BASE.get(name, [str(WINTER)]), *[t for o, v in given.items() for t in (o, v)], "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{len(options)} error(s) in the input" in err, err
    for option, value in given.items():
        assert f"{option}: '{value}' — expected {arguments.NUMBER_OPTIONS[option].expected}" in err, (option, err)
    assert "Traceback" not in err and "invalid" not in err and "usage:" not in err, err
    assert not out.exists()


@pytest.mark.parametrize("argv, option, value", [
    (["sweep", "--random", "-3"], "--random", "-3"),
    (["sweep", "--random", "2", "--workers", "0"], "--workers", "0"),
    (["sweep", "--random", "2", "--probability", "1.5"], "--probability", "1.5"),
    (["sweep", "--random", "2", "--probability", "0"], "--probability", "0"),
    (["screen", "--top", "-2"], "--top", "-2"),
    (["screen", "--workers", "-1"], "--workers", "-1"),
    (["stochastic", "--decide-until", "2026-W50", "--random", "2", "--procs", "0"], "--procs", "0"),
    (["stochastic", "--decide-until", "2026-W50", "--random", "2", "--risk", "cost", "--risk-level", "1"], "--risk-level", "1"),
    (["schedule", "--horizon", "0"], "--horizon", "0"),
    (["roll", "--weeks", "-1"], "--weeks", "-1"),
    (["solve", "--threads", "2.5"], "--threads", "2.5"),
    (["solve", "--mip-gap", "-1e-4"], "--mip-gap", "-1e-4"),
    (["compare", "--time-limit", "-inf"], "--time-limit", "-inf"),
    (["bottlenecks", "--max-mine-truck-share", "1.2"], "--max-mine-truck-share", "1.2"),
    (["frontier", "--points", "1"], "--points", "1"),
])
def test_named_slips(tmp_path, capsys, argv, option, value):
    out = tmp_path / "out"
    assert main([argv[0], str(WINTER), *argv[1:], "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{option}: '{value}' — expected" in err and "Traceback" not in err, err
    assert not out.exists()


def test_numbers_are_converted_and_full_width_digits_read_as_meant():
    parser = _parser()
    args = parser.parse_args(["sweep", "d", "--random", "３", "--probability", "0.5", "--time-limit", "1e2"])
    notes = arguments.check(args, arguments.command_parser(parser, "sweep"))
    assert (args.random, args.probability, args.time_limit_s, args.seed, args.workers) == (3, 0.5, 100.0, 0, 1)
    assert type(args.random) is int and notes == ["--random '３' read as 3"]
    args = parser.parse_args(["compare", "d", "--warning-weeks", "4,0,1", "--end-stock-penalty", "HARD"])
    arguments.check(args, arguments.command_parser(parser, "compare"))
    assert args.warning_weeks == [0, 1, 4] and args.end_stock_penalty_cny_per_t == "hard"
    args = parser.parse_args(["frontier", "d"])
    arguments.check(args, arguments.command_parser(parser, "frontier"))
    assert (args.points, args.top if hasattr(args, "top") else None) == (11, None)


def test_a_refused_number_in_a_weekly_run_leaves_its_run_log_line(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["schedule", str(WINTER), "--horizon", "0", "--wall-limit", "x", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert '"status": "input_error"' in err and "--horizon: '0'" in err and "--wall-limit: 'x'" in err
    assert not out.exists()


def test_docs_list_every_rule():
    """docs/errors.md's table of number options says what each rule expects, word for word."""
    text = (REPO / "docs/errors.md").read_text(encoding="utf-8")
    missing = [o for o, rule in arguments.NUMBER_OPTIONS.items() if not any(line.startswith(f"| `{o}` |") and line.rstrip().endswith(f"| {rule.expected} |")
                                                                              for line in text.splitlines())]
    assert not missing, f"docs/errors.md 'Number options': rows missing or out of date for {missing}"
