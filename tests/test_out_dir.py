"""--out never loses files: only folders this tool wrote (marker file) or empty ones are
replaced; the input data set, the working folder and paths under a file are refused (exit 2,
nothing written, nothing removed); folders are created with the user's umask."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys

import pytest
from conftest import REPO

from supplyopt.io.data import DataError
from supplyopt.io.write import MARKER, check_out_dir, replace_dir

WINTER = REPO / "data/examples/winter"


def run(*args, cwd=REPO, umask=None):
    pre = (lambda: os.umask(umask)) if umask is not None else None
    proc = subprocess.run([sys.executable, "-m", "supplyopt.cli", *map(str, args)], cwd=cwd, capture_output=True, text=True, preexec_fn=pre,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc.returncode, proc.stdout + proc.stderr


def tree(folder):
    return sorted((str(p.relative_to(folder)), p.read_bytes() if p.is_file() else None) for p in folder.rglob("*"))


def test_folder_of_earlier_runs_is_not_deleted(tmp_path):
    res = tmp_path / "res"
    assert run("solve", WINTER, "--out", res / "base", "--quiet")[0] == 0
    assert run("solve", WINTER, "--out", res / "cold", "--quiet")[0] == 0
    assert (res / "base" / MARKER).is_file()
    before = tree(res)
    code, text = run("solve", WINTER, "--out", res, "--quiet")
    assert code == 2 and "was not written by supplyopt" in text and str(res) in text
    assert tree(res) == before  # res/base and res/cold untouched


def test_input_data_set_is_never_replaced_or_written_into(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(WINTER, data)
    before = tree(tmp_path)
    for out, needle in ((data, "holds the input"), (data / "results", "inside the input"), (tmp_path, "holds the input")):
        code, text = run("solve", data, "--out", out, "--quiet")
        assert code == 2 and needle in text, text
        assert tree(tmp_path) == before, out


def test_working_folder_and_path_under_a_file_are_refused(tmp_path):
    shutil.copytree(WINTER, tmp_path / "data")
    code, text = run("solve", "data", "--out", ".", "--quiet", cwd=tmp_path)
    assert code == 2 and "working folder" in text
    code, text = run("solve", tmp_path / "data", "--out", tmp_path / "data" / "nodes.csv" / "res", "--quiet")
    assert code == 2 and "which is a file, not a folder" in text
    (tmp_path / "plain.txt").write_text("mine")
    code, text = run("solve", tmp_path / "data", "--out", tmp_path / "plain.txt", "--quiet")
    assert code == 2 and "is a file" in text and (tmp_path / "plain.txt").read_text() == "mine"


@pytest.mark.parametrize("umask", [0o002, 0o022])
def test_results_folder_follows_the_umask(tmp_path, umask):
    out = tmp_path / "res"
    assert run("solve", WINTER, "--out", out, "--quiet", umask=umask)[0] == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask  # not mkdtemp's 0700
    assert stat.S_IMODE((out / "flows.csv").stat().st_mode) == 0o666 & ~umask


def test_replace_dir_replaces_only_marked_or_empty_folders(tmp_path):
    new = tmp_path / "new"
    new.mkdir()
    (new / "a.csv").write_text("x")
    target = tmp_path / "target"
    target.mkdir()
    (target / "thesis.docx").write_text("years of work")
    with pytest.raises(DataError):
        replace_dir(new, target)
    assert (target / "thesis.docx").read_text() == "years of work"
    (target / "thesis.docx").unlink()
    replace_dir(new, target)  # empty: replaced
    assert (target / "a.csv").is_file()


def test_check_out_dir_protects_every_input(tmp_path):
    profile = tmp_path / "cfg" / "profile.yaml"
    profile.parent.mkdir()
    profile.write_text("{}")
    with pytest.raises(DataError) as err:
        check_out_dir(tmp_path / "cfg", [WINTER, profile])
    assert "holds the input" in err.value.problems[0].message
    assert check_out_dir(tmp_path / "fresh", [WINTER, profile]) == (tmp_path / "fresh").resolve()
