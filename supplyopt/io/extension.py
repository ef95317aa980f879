"""The one extension hook: ``extra_functionality(model, network, options)``, read from a file.

Light on purpose (no Pyomo import): every command that takes ``--extend`` checks the file before
any work; the Pyomo view it acts on is ``engines/pyomo_view.py``.
"""

from __future__ import annotations

import traceback
import types
from pathlib import Path

from supplyopt.io.data import DataError, Problem


def load_extension(path: str | Path, source: str | None = None):
    """``extra_functionality(model, network, options)`` from a Python file (or from its
    ``source`` text, on a worker that may not see the file); a missing file or function is an
    input error (exit 2)."""
    file = Path(path)
    if source is None and file.is_dir():
        found = ", ".join(str(p) for p in sorted(file.glob("*.py"))[:5])
        raise DataError([Problem(str(path), "is a folder; expected a .py file defining extra_functionality(model, network, options)" + (f" such as {found}" if found else ""))])
    if source is None and not file.is_file():
        raise DataError([Problem(str(path), "extension file not found; expected a .py file defining extra_functionality(model, network, options)")])
    if file.suffix.lower() in (".yaml", ".yml", ".csv", ".xlsx"):
        raise DataError([Problem(str(path), f"is a {file.suffix} file; --extend takes a Python file (.py) defining extra_functionality(model, network, options)"
                                            + (" — a model profile goes to --model" if file.suffix.lower() in (".yaml", ".yml") else ""))])
    module = types.ModuleType(f"supplyopt_extension_{file.stem}")
    module.__file__ = str(file)
    try:
        exec(compile(file.read_text(encoding="utf-8") if source is None else source, str(file), "exec"), module.__dict__)  # noqa: S102 — the user's own extension file
    except Exception as err:  # the user's file: report, do not crash
        raise DataError([Problem(str(path), f"the extension file failed to load: {type(err).__name__}: {err}")]) from err
    func = getattr(module, "extra_functionality", None)
    if not callable(func):
        raise DataError([Problem(str(path), "defines no function extra_functionality(model, network, options)")])
    return _reported(func, str(path))


def _reported(func, path: str):
    """``func`` whose failure is the user's file's, reported as such: an input error naming the
    file and the line that failed (exit 2), not an internal error of supplyopt's."""

    def extra_functionality(model, network, options):
        try:
            return func(model, network, options)
        except DataError:
            raise
        except Exception as err:  # noqa: BLE001 — the user's own code
            inside = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == path]
            where = f" at line {inside[-1].lineno} ({(inside[-1].line or '').strip()})" if inside else ""
            raise DataError([Problem(path, f"extra_functionality failed{where}: {type(err).__name__}: {err}; "
                                           "it runs on every model a command builds or changes (an outage's capacities of 0 included)")]) from err

    extra_functionality.__doc__ = func.__doc__
    return extra_functionality
