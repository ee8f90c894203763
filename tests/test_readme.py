"""The README documents what the code does: its policy reference is generated from the models."""

from __future__ import annotations

from pathlib import Path

from budgetopt.config import policy_reference

README = Path(__file__).resolve().parents[1] / "README.md"


def test_policy_reference_in_readme_matches_the_models():
    assert policy_reference() in README.read_text(encoding="utf-8")


def test_readme_second_command_is_what_ci_runs():
    ci = (README.parent / ".ci" / "run").read_text()
    command = "python3 -m venv .venv && . .venv/bin/activate && pip install '.[test]' && python -m pytest"
    assert command in README.read_text(encoding="utf-8") and command in ci
