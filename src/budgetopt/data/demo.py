"""The bundled demo account: a four-week log and its budget policy, shipped with the package.

The log is drawn from known true rates by `budgetopt.simulate.demo_account` (which regenerates it
byte for byte); this module only finds the bundled files.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def demo_path(name: str) -> Path:
    """Path of a bundled demo file (demo_log.csv, demo_policy.toml)."""
    return Path(str(resources.files("budgetopt.data").joinpath("demo", name)))
