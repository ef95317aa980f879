"""The layers of the package hold: a layer imports only from the layers below it (the
import-linter contract in pyproject.toml), and no module imports a private name of another."""

from __future__ import annotations

import ast
import subprocess
import sys

from conftest import REPO


def test_the_import_contract_holds():
    code = "import sys; from importlinter.cli import lint_imports_command; sys.argv = ['lint-imports']; sys.exit(lint_imports_command())"
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "1 kept, 0 broken" in r.stdout


def test_every_sub_package_says_what_it_is():
    for pkg in ("io", "model", "engines", "results", "workflows", "reports"):
        init = REPO / "supplyopt" / pkg / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc.splitlines()) == 1, pkg


def test_no_private_name_is_imported_across_modules():
    offenders = []
    for f in sorted((REPO / "supplyopt").rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("supplyopt"):
                offenders += [f"{f.relative_to(REPO)}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_") and a.name != "__version__"]
    assert not offenders, offenders
