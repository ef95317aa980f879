"""docs/api.md's examples run as written (in the repository root)."""

import os
import re

from conftest import REPO


def test_api_examples_run(capsys):
    text = (REPO / "docs/api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 4
    here = os.getcwd()
    os.chdir(REPO)
    try:
        scope: dict = {}
        for block in blocks:
            exec(compile(block, "docs/api.md", "exec"), scope)
    finally:
        os.chdir(here)
    out = capsys.readouterr().out
    assert "CNY" in out and "unmet" in out and "'warm': 3" in out
    assert "infeasible 3" in out and "minimum output" in out


def test_model_md_holds_the_statement_as_the_code_states_it():
    """docs/model.md's statement table is generated from the code (scripts/model_doc.py):
    a changed docstring or family that the docs do not follow fails here."""
    import sys

    sys.path.insert(0, str(REPO / "scripts"))
    import model_doc

    text = (REPO / "docs/model.md").read_text(encoding="utf-8")
    assert model_doc.table() in text, "docs/model.md is out of date: run .venv/bin/python scripts/model_doc.py --write"
