"""Corpus of deliberately broken inputs: every mistake must be reported, not crash.

Each folder in ``tests/cases/bad/`` is a small data set (a copy of ``data/examples/winter``
or a workbook built from it) with one kind of mistake, plus ``expect.yaml``:

    mistake: what is wrong (for people)
    command: validate | solve        (solve writes to --out under tmp_path)
    model: profile.yaml              (optional, passed as --model, inside the case folder)
    scenario: [a.yaml, b.yaml]       (optional, each passed as --scenario, inside the case folder)
    dataset: network.xlsx            (optional, data set path inside the case folder)
    exit: 2                          (0 for a slip read as meant with a warning)
    must_mention: [file, "row N", column, value]   (substrings of stdout + stderr)

The CLI runs as a subprocess, as a planner would run it. The runs of all selected cases are
started together (a few at a time) so that the corpus stays fast; each test waits for its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
WINTER = REPO / "data" / "examples" / "winter"
BAD = Path(__file__).resolve().parent / "cases" / "bad"
CASES = sorted(p.name for p in BAD.iterdir() if p.is_dir()) if BAD.is_dir() else []
TIMEOUT_S = 120


def _expect(name: str) -> dict:
    return yaml.safe_load((BAD / name / "expect.yaml").read_text(encoding="utf-8"))


def _command(name: str, out_root: Path) -> tuple[list[str], Path | None]:
    """The CLI command line for a case (paths relative to the repository root) and its --out."""
    exp = _expect(name)
    case = (BAD / name).relative_to(REPO)
    dataset = case / exp["dataset"] if exp.get("dataset") else case
    cmd = [sys.executable, "-m", "supplyopt.cli", exp["command"], str(dataset)]
    out = None
    if exp["command"] == "solve":
        out = out_root / name / "results"
        cmd += ["--out", str(out)]
        if exp.get("model"):
            cmd += ["--model", str(case / exp["model"])]
        for scenario in exp.get("scenario") or []:
            cmd += ["--scenario", str(case / scenario)]
    return cmd, out


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=TIMEOUT_S)


@pytest.fixture(scope="session")
def runs(request, tmp_path_factory):
    """Start the CLI for every selected case at once: {case: (command, --out folder or None, future)}."""
    selected = [
        item.callspec.params["case"]
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_bad_input" and hasattr(item, "callspec")
    ]
    out_root = tmp_path_factory.mktemp("bad_out")
    pool = ThreadPoolExecutor(max_workers=max(2, min(8, (os.cpu_count() or 2) * 2)))
    started = {}
    for name in selected:
        cmd, out = _command(name, out_root)
        started[name] = (cmd, out, pool.submit(_run, cmd))
    yield started
    pool.shutdown(wait=True)


def test_corpus_is_large_enough():
    assert len(CASES) >= 40, f"only {len(CASES)} cases in {BAD}"
    for name in CASES:
        exp = _expect(name)
        assert exp.get("mistake") and exp.get("must_mention"), name
        assert exp["command"] in ("validate", "solve"), name


@pytest.mark.parametrize("case", CASES, ids=CASES)
def test_bad_input(case, runs, tmp_path):
    exp = _expect(case)
    if case in runs:
        cmd, out, future = runs[case]
        proc = future.result()
    else:  # selected in a way the fixture did not see: run it now
        cmd, out = _command(case, tmp_path)
        proc = _run(cmd)
    output = proc.stdout + proc.stderr
    shown = f"$ {' '.join(cmd[2:])}\n(exit {proc.returncode})\n{output}"
    assert "Traceback" not in output, shown
    assert proc.returncode == exp["exit"], shown
    missing = [s for s in exp["must_mention"] if str(s) not in output]
    assert not missing, f"not mentioned: {missing}\n{shown}"
    if out is not None and exp["exit"] != 0:
        assert not out.exists(), f"{out} was written although the input is invalid\n{shown}"
    if exp["exit"] == 0:
        assert "warning" in output, f"a slip read as meant must be reported as a warning\n{shown}"


def test_utf8_bom_is_accepted(tmp_path):
    data = tmp_path / "winter_bom"
    shutil.copytree(WINTER, data)
    text = (data / "nodes.csv").read_text(encoding="utf-8")
    (data / "nodes.csv").write_text(text, encoding="utf-8-sig")
    assert (data / "nodes.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    proc = _run([sys.executable, "-m", "supplyopt.cli", "validate", str(data)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("given, needle", [("scenarios/cold_wave.yaml", "a .yaml file is a scenario, --scenario, or a model profile, --model"),
                                           ("data/examples/winter/links.csv", "it is one of a data set's files: give its folder")])
def test_a_file_given_for_the_data_set_says_what_to_give(tmp_path, capsys, given, needle):
    from supplyopt.cli import main

    assert main(["solve", str(REPO / given), "--out", str(tmp_path / "o")]) == 2
    assert needle in capsys.readouterr().err and not (tmp_path / "o").exists()
