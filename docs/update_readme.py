"""Re-measure the README's checked examples: run the commands on the demo account and rewrite every
block marked `<!-- checked by tests/test_readme.py: NAME -->` with what they print today, and
`docs/proposal.csv` (the demo plan's segment budgets, 60 moved from lookalike-1pct to men-25-34).

    python docs/update_readme.py          # then read the diff: prose around the blocks may quote numbers

tests/test_readme.py checks the blocks against the commands on every test run.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from budgetopt.cli import main
from budgetopt.data.demo import demo_path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> str:
    """What `budgetopt ARGS` prints; a failure raises with its output."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    if result.exit_code:
        raise RuntimeError(f"budgetopt {' '.join(args)} exited {result.exit_code}: {result.output}")
    return result.output


def lines_between(text: str, first: str, last: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    start = next(i for i, line in enumerate(lines) if first in line)
    end = max(i for i, line in enumerate(lines) if last in line)
    return lines[start : end + 1]


def proposal(plan_csv: Path) -> None:
    plan = pd.read_csv(plan_csv)
    segments = plan.groupby(["campaign", "segment"], sort=False)["segment_spend"].first().reset_index(name="spend")
    segments.loc[segments["segment"] == "lookalike-1pct", "spend"] -= 60
    segments.loc[segments["segment"] == "men-25-34", "spend"] += 60
    segments.to_csv(ROOT / "docs" / "proposal.csv", index=False, float_format="%.2f")


def run_ledger_week(folder: Path) -> tuple[str, str]:
    """The README's daily loop, run in `folder` (the current directory, holding demo_log.csv and
    demo_policy.toml): the log cut into the history and one export per morning, ingested and planned day
    by day, static-c re-enabled and the last day planned again. Returns (what the week printed, `history`)."""
    rows = Path("demo_log.csv").read_text().splitlines(keepends=True)
    files: dict[str, list[str]] = {}
    for row in rows[1:]:
        files.setdefault("history.csv" if row[:10] < "2026-11-18" else f"day-{row[:10]}.csv", []).append(row)
    for name, body in files.items():
        Path(name).write_text(rows[0] + "".join(body))
    plan = ["plan", "--ledger", "ads.db", "--policy", "demo_policy.toml", "--out", "plan.csv", "--decisions", "decisions.csv"]
    printed = [run("ingest", "history.csv", "--ledger", "ads.db"), run(*plan)]
    printed += [run(plan[0], day, *plan[1:]) for day in sorted(n for n in files if n.startswith("day-"))]
    run("enable", "prospecting-social/women-25-34/static-c", "--ledger", "ads.db")
    run("plan", "--ledger", "ads.db", "--policy", "demo_policy.toml", "--replace", "--out", "plan.csv")
    return "".join(printed), run("history", "--ledger", "ads.db")


def ledger_blocks(printed: str, history: str) -> tuple[list[str], list[str]]:
    """The README's two blocks of the loop: the first plans' lines, and the history's head and ends."""
    said = printed.splitlines()
    stored = [line for line in said if line.startswith("stored the plan")]
    week = [said[0], stored[0], "…", stored[1], "wrote plan.csv and decisions.csv"]
    table = [line.rstrip() for line in history.splitlines()]
    head = [i for i, line in enumerate(table) if line.strip().startswith("date")][0]
    dated = [line for line in table if re.match(r"\s*2026-", line)]
    return week, [table[head - 1], table[head], *dated[:2], "…", *dated[-2:]]


def main_() -> None:
    readme = (ROOT / "README.md").read_text()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in ("demo_log.csv", "demo_policy.toml"):
            shutil.copy(demo_path(name), folder / name)
        plan_text = run("plan", str(folder / "demo_log.csv"), "--policy", str(folder / "demo_policy.toml"), "--out", str(folder / "p.csv"))
        proposal(folder / "p.csv")
        whatif = run("whatif", str(folder / "demo_log.csv"), "--policy", str(folder / "demo_policy.toml"),
                     "--split", str(ROOT / "docs" / "proposal.csv"))
        here = os.getcwd()
        os.chdir(folder)
        try:
            week, history = ledger_blocks(*run_ledger_week(folder))
        finally:
            os.chdir(here)
    blocks = {
        "demo": lines_between(plan_text, "expected gross margin", "  • "),
        "whatif": lines_between(whatif, "spend   expected margin", "chance the proposal"),
        "ledger week": week,
        "ledger history": history,
    }
    for name, lines in blocks.items():
        pattern = rf"(<!-- checked by tests/test_readme\.py: {re.escape(name)} -->\n```[a-z]*\n)(.*?)(\n```)"
        readme, count = re.subn(pattern, lambda m, body="\n".join(lines): m.group(1) + body + m.group(3), readme, flags=re.S)
        assert count == 1, name
    (ROOT / "README.md").write_text(readme)


if __name__ == "__main__":
    main_()
