"""The README's examples, run and compared: every line of a block marked
`<!-- checked by tests/test_readme.py: NAME -->` (but '…') appears in what the commands print.

Whitespace is compared loosely (runs of spaces collapsed), so a table's column widths may change
with the terminal, never its numbers or words."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

from budgetopt.data.demo import demo_path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("update_readme", ROOT / "docs" / "update_readme.py")
UPDATE = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(UPDATE)
README = (ROOT / "README.md").read_text()


def block(name: str) -> list[str]:
    """The lines of the code block after the marker `name`, without '…' lines."""
    found = re.search(rf"<!-- checked by tests/test_readme\.py: {re.escape(name)} -->\n```[a-z]*\n(.*?)\n```", README, re.S)
    assert found, f"no checked block {name!r} in the README"
    return [line for line in found.group(1).splitlines() if line.strip() and line.strip() != "…"]


def squeeze(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text)


def assert_shown(name: str, output: str) -> None:
    shown = squeeze(output)
    missing = [line for line in block(name) if squeeze(line.strip()) not in shown]
    assert missing == [], f"README block {name!r}: not printed by the command:\n" + "\n".join(missing) + "\n--- output:\n" + output[-3000:]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("readme")
    shutil.copy(demo_path("demo_log.csv"), folder / "demo_log.csv")
    shutil.copy(demo_path("demo_policy.toml"), folder / "demo_policy.toml")
    return folder


def test_the_tour_plan(demo_dir):
    output = UPDATE.run("plan", str(demo_dir / "demo_log.csv"), "--policy", str(demo_dir / "demo_policy.toml"))
    assert_shown("demo", output)


def test_the_whatif_example(demo_dir):
    output = UPDATE.run(
        "whatif", str(demo_dir / "demo_log.csv"), "--policy", str(demo_dir / "demo_policy.toml"), "--split", str(ROOT / "docs" / "proposal.csv")
    )
    assert_shown("whatif", output)


def test_the_ledger_week(demo_dir, monkeypatch):
    monkeypatch.chdir(demo_dir)
    printed, history = UPDATE.run_ledger_week(demo_dir)  # the loop the README shows, as the script that rewrites it runs it
    assert_shown("ledger week", printed)
    assert_shown("ledger history", history)
    static_c = [line for line in Path("plan.csv").read_text().splitlines() if ",women-25-34,static-c," in line][0]
    assert "too early: 0 visits of the 300 needed" in static_c and ",0.25," in static_c  # what the README says after enable
