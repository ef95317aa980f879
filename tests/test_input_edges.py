"""Inputs that used to crash with a traceback: exit 2 with a message, nothing written."""

from __future__ import annotations

import shutil
import subprocess
import sys

from conftest import REPO

WINTER = REPO / "data/examples/winter"


def run(*args):
    done = subprocess.run([sys.executable, "-m", "supplyopt", *map(str, args)], capture_output=True, text=True, cwd=REPO)
    return done.returncode, done.stdout + done.stderr


def test_a_folder_named_links_csv(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(WINTER, data)
    (data / "links.csv").unlink()
    (data / "links.csv").mkdir()
    code, text = run("solve", data, "--out", tmp_path / "out")
    assert code == 2, text
    assert "links.csv — is a folder, not a file; expected a CSV file" in text and "Traceback" not in text
    assert not (tmp_path / "out").exists()


def test_a_huge_period_count(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(WINTER, data)
    meta = (data / "network.yaml").read_text(encoding="utf-8").splitlines()
    meta = [line for line in meta if not line.startswith(("periods", "  -", "- "))] + ["periods: 300000000"]
    (data / "network.yaml").write_text("\n".join(meta) + "\n", encoding="utf-8")
    code, text = run("validate", data)
    assert code == 2, text
    assert "column periods: '300000000' — expected a positive count of periods, at most 100,000" in text and "Traceback" not in text
