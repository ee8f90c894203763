"""Small shared fixtures: the bundled demo log and policy, and a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from budgetopt.data.demo import demo_path


@pytest.fixture
def demo_log() -> Path:
    return demo_path("demo_log.csv")


@pytest.fixture
def demo_policy() -> Path:
    return demo_path("demo_policy.toml")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
