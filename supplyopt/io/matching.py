"""How what a planner typed is matched to the data format: cell text, column names, file and
sheet names. Part of reading a data set (:mod:`supplyopt.data`).

The rule everywhere: a slip that changes nothing but the way a thing is written (full-width
digits from a Chinese input method, a no-break space, a file called ``Storage.csv``) is read
as meant and reported as a warning quoting what was written; a slip that could change the
meaning (a column ``initial_stock_t`` next to the known ``initial_t``, a unit in the column
name, two files that differ only in case) is an error where the known thing is required and
a warning naming both where it is optional. Nothing is ignored without a message.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd

from supplyopt.io.problems import Problem

# Characters that never carry meaning in a cell: zero-width spaces and joiners, the
# byte-order mark (left inside a file by pasting two files together), soft hyphens.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_DROP = dict.fromkeys(map(ord, INVISIBLE))
# Free text kept exactly as written (only stripped): it is shown, never matched.
FREE_TEXT = ("name",)
# Words that carry a unit, not a meaning, in a column name (capacity_t, cost_cny_per_t).
UNIT_WORDS = {"t", "kt", "mt", "wt", "ton", "tons", "tonne", "tonnes", "cny", "rmb", "yuan", "per", "km", "kg", "tkm", "d", "day", "days", "pct", "percent"}
SHOWN_PER_COLUMN = 5  # normalised cells quoted one by one per column; the rest are counted


def normalise(text: str) -> str:
    """A cell as meant: Unicode NFKC (full-width digits, letters and punctuation become ASCII,
    a no-break or ideographic space a plain space), invisible characters dropped, stripped."""
    return unicodedata.normalize("NFKC", text).translate(_DROP).strip()


def normalise_column(written: pd.Series, label: str, column: str, rows: pd.Series, problems: list[Problem]) -> pd.Series:
    """``written`` (stripped text) normalised; one warning per changed cell quoting it as
    written (the first few of a column, then a count)."""
    plain = written.map(lambda v: v.isascii()).to_numpy(bool)
    if plain.all():
        return written
    meant = written.copy()
    meant[~plain] = written[~plain].map(normalise)
    changed = (meant != written).to_numpy()
    shown = 0
    for row, before, after in zip(rows[changed], written[changed], meant[changed]):
        if shown == SHOWN_PER_COLUMN:
            problems.append(Problem(label, f"and {int(changed.sum()) - shown} more cells in this column with full-width or invisible characters, read the same way", column=column, severity="warning"))
            break
        problems.append(Problem(label, f"written with {_what_changed(before)}; read as {after!r}", row=int(row), column=column, value=before, severity="warning"))
        shown += 1
    return meant


def _what_changed(text: str) -> str:
    kinds = []
    if any(0xFF01 <= ord(c) <= 0xFF5E or c == "\u3000" for c in text):
        kinds.append("full-width characters (a Chinese input-method slip?)")
    if any(c in INVISIBLE for c in text):
        kinds.append("invisible characters (zero-width space or byte-order mark)")
    if any(c in "\u00a0\u2007\u202f" for c in text):
        kinds.append("a no-break space")
    return " and ".join(kinds) or "special Unicode characters"


# --------------------------------------------------------------------------- column names
def canonical(name: str) -> str:
    """A column, file or sheet name with case, width, spacing and separators set aside."""
    text = normalise(str(name)).lower()
    return re.sub(r"[\s\-]+", "_", text)


def _tokens(name: str) -> set[str]:
    return {t for t in re.split(r"[^0-9a-z\u4e00-\u9fff]+", canonical(name)) if t}


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i]
        for j, cb in enumerate(b, start=1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def looks_like(header: str, known: str) -> bool:
    """Is ``header`` probably ``known`` mistyped, or written with another unit or an extra
    word? (``capacty_t``, ``capacity_kt``, ``demand_t (t)``, ``initial_stock_t``, ``cost``,
    ``longitude`` for ``lon``)."""
    h = canonical(header)
    if edit_distance(h, known) <= max(1, len(known) // 4):
        return True
    th, tk = _tokens(header), _tokens(known)
    mh, mk = th - UNIT_WORDS, tk - UNIT_WORDS
    if mk and mk <= th or mh and mh <= tk:
        return True
    return any(len(a) >= 3 and b.startswith(a) for a in mk for b in mh)


def _slip_of(header: str, col) -> bool:
    """Whether ``header`` looks like column ``col`` written wrongly: by :func:`looks_like`, or
    for a column whose words other columns share (``demand_unit`` and ``demand_class``) by
    spelling alone."""
    if getattr(col, "near_miss", True):
        return looks_like(header, col.name)
    return edit_distance(canonical(header), col.name) <= max(1, len(col.name) // 4)


def match_columns(headers: list[str], spec, label: str, problems: list[Problem]) -> tuple[list[str], dict[str, str]]:
    """Headers with case, width and spacing variants of known names read as those names
    (with a warning), and for each known column still missing the header that looks like it.
    Near misses of optional columns are reported here as warnings; those of columns the
    header must have are returned for the missing-column error."""
    known = [c.name for c in spec.columns]
    out = list(headers)
    for i, h in enumerate(headers):
        c = canonical(h)
        if h not in known and c in known:
            out[i] = c
            problems.append(Problem(label, f"column name written {h!r}; read as {c} (column names are lower case, with underscores)", column=c, value=h, severity="warning"))
    present = set(out)
    extra = [h for h in out if h not in known and h]
    near: dict[str, str] = {}
    for col in spec.columns:
        if col.name in present:
            continue
        close = sorted((edit_distance(canonical(h), col.name), h) for h in extra if h not in near.values() and _slip_of(h, col))
        if not close:
            continue
        h = close[0][1]
        near[col.name] = h
        if not col.in_header:
            problems.append(Problem(
                label,
                f"column {h!r} is not a column of the {spec.name} table but looks like {col.name}, which is missing: "
                f"it is kept as an extra column and {col.name} is taken as not given (blank) in every row; "
                f"rename it to {col.name} (in the unit the name says) if that is what it holds",
                column=h, severity="warning",
            ))
    return out, near


# --------------------------------------------------------------------------- files and sheets
def _close_name(name: str, wanted: list[str]) -> str | None:
    """The wanted name a file or sheet name is probably a slip of (``storages.csv``,
    ``nodes (1).csv``, ``storage.txt``)."""
    stem = re.sub(r"\.[a-z0-9]+$", "", canonical(name))
    for w in wanted:
        ws = w.split(".")[0]
        if stem == ws or edit_distance(stem, ws) <= max(1, len(ws) // 4) or (len(stem) > len(ws) and stem.startswith(ws) and not stem[len(ws)].isalpha()):
            return w
    return None


def match_names(found: list[str], wanted: dict[str, list[str]], where: str, what: str, problems: list[Problem]) -> dict[str, str]:
    """Which of the ``found`` names (files in a folder, sheets in a workbook) to read as
    each wanted table: the exact name, else the one name equal to it but for case, width
    and spacing (read, with a warning). Two candidates for one table are an error. Every
    name not read is listed in one warning, with the table it looks like."""
    chosen: dict[str, str] = {}
    used: set[str] = set()
    for table, names in wanted.items():
        exact = [f for f in found if f in names]
        loose = [f for f in found if f not in exact and re.sub(r"\s+", "", canonical(f)) in names]
        if len(exact) + len(loose) > 1:
            both = ", ".join(repr(f) for f in exact + loose)
            problems.append(Problem(where, f"{both} differ only in case or spacing: each would be the {table} table; keep one {what}"))
            used.update(exact + loose)
            chosen[table] = None  # reported; not read
            continue
        if exact:
            chosen[table] = exact[0]
        elif loose:
            chosen[table] = loose[0]
            problems.append(Problem(where, f"{what} {loose[0]!r} read as the {table} table ({what} names are matched ignoring case and spacing); rename it to {names[0]!r}", severity="warning"))
        used.update(exact + loose)
    flat = [n for table, names in wanted.items() if not chosen.get(table) for n in names]  # hints name only tables not found
    unread = [f for f in found if f not in used]
    if unread:
        shown = []
        for f in unread:
            close = _close_name(f, flat)
            shown.append(f"{f!r} (did you mean {close!r}?)" if close else repr(f))
        problems.append(Problem(where, f"{what}s not read (not part of the data format): {', '.join(shown)}", severity="warning"))
    return chosen


def near_miss(table_names: list[str], found: list[str], chosen: dict) -> dict[str, str]:
    """For each wanted name not found, a found-but-unread name that looks like it."""
    taken = {v for v in chosen.values() if v}
    out = {}
    for f in found:
        if f in taken:
            continue
        close = _close_name(f, table_names)
        if close and close not in out:
            out[close] = f
    return out


def folder_entries(path: Path) -> list[str]:
    """Names in a data set folder that could hold data: hidden files, Office lock files
    (``~$…``), Markdown documentation (``README.md``, ``SOURCES.md``) and stock snapshots
    (``snapshot*.csv``) are left out."""
    return sorted(p.name + ("/" if p.is_dir() else "") for p in path.iterdir()
                  if not p.name.startswith((".", "~$")) and p.suffix.lower() != ".md" and not _is_snapshot(p.name))


def _is_snapshot(name: str) -> bool:
    """Stock counts for ``supplyopt schedule --snapshot`` (``snapshot.csv``, ``snapshot-2026-W50.csv``)
    may be kept beside the tables; they are an input of their own, not a table of the data set."""
    return name.lower().startswith("snapshot") and name.lower().endswith(".csv")
