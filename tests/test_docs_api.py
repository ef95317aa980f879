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
