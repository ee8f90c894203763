"""Small shared fixtures: the bundled demo log and policy, and a CLI runner; and Hypothesis's profiles.

Property tests run the same examples on every run (`derandomize`), so a red CI always means a change, never a
new draw; `HYPOTHESIS_PROFILE=explore python -m pytest tests/allocate` draws afresh on every run (and 1,000
examples where a test does not set its own number), to look for cases the fixed draw misses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

settings.register_profile("reproducible", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False, max_examples=1000, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "reproducible"))

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
