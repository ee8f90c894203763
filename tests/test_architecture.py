"""The package's shape: layers that only point down (import-linter's contracts in pyproject.toml),
small modules and functions, and names that do not hide modules."""

from __future__ import annotations

import ast
import importlib
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "budgetopt"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80
#: SQL migrations are written out whole, as the schema was at each version
EXEMPT_FUNCTIONS = {("ledger/schema.py", "_v1_initial")}


def test_import_contracts_hold():
    command = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    done = subprocess.run([command, "--config", str(PACKAGE.parents[1] / "pyproject.toml")], capture_output=True, text=True, cwd=PACKAGE.parents[1])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_over_400_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in _sources() if (n := p.read_text().count("\n")) > MAX_MODULE_LINES}
    assert long == {}


def test_no_function_over_80_lines():
    long = {}
    for path in _sources():
        name = str(path.relative_to(PACKAGE))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (name, node.name) not in EXEMPT_FUNCTIONS:
                if (length := node.end_lineno - node.lineno + 1) > MAX_FUNCTION_LINES:
                    long[f"{name}:{node.name}"] = length
    assert long == {}


@pytest.mark.parametrize("module", ["budgetopt.plan", "budgetopt.decide", "budgetopt.estimate", "budgetopt.whatif", "budgetopt.simulate"])
def test_modules_are_modules_and_api_functions_have_names_of_their_own(module):
    import budgetopt

    assert isinstance(importlib.import_module(module), types.ModuleType)
    assert isinstance(getattr(budgetopt, module.rsplit(".", 1)[1]), types.ModuleType)
    for name in budgetopt.__all__:
        assert not isinstance(getattr(budgetopt, name), types.ModuleType), name
