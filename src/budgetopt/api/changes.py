"""What a plan changes in the ad account: the list (`changes.csv`), the table's rows, and the bulk
files Meta Ads Manager and Google Ads Editor import, written into one folder (`plan --changes DIR`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from budgetopt.allocate import guard_for
from budgetopt.changes import Changes, google_ads_editor, meta_bulk, plan_changes
from budgetopt.config import Policy
from budgetopt.data import LoadedLog
from budgetopt.outputs import OutputSet
from budgetopt.plan import PlanResult

#: the files `plan --changes DIR` writes, by what they hold
CHANGE_FILES = {"changes": "changes.csv", "meta": "meta-bulk.csv", "google": "google-ads-editor.csv"}


def make_changes(
    result: PlanResult,
    policy: Policy,
    *,
    log: pd.DataFrame | LoadedLog | None = None,
    disabled_before: frozenset[tuple[str, str, str]] | set[tuple[str, str, str]] = frozenset(),
) -> Changes:
    """The changes `result` makes to the account as it runs today: segment budgets from the plan's
    `before` (the ledger's last plan, or the log's last day), creatives paused in the log or disabled
    by the ledger's last plan (`disabled_before`). `log`: the export the plan read, for its ids."""
    frame = log.log if isinstance(log, LoadedLog) else log
    h = result.estimates.history
    frozen = guard_for(policy.guardrails, h.campaign, h.segment, h.creative, h.segment_start).frozen_segment != ""
    return plan_changes(result, disabled_before=disabled_before, log=frame, frozen_segments=frozen)


def change_paths(directory: Path) -> dict[str, Path]:
    """Each file of `plan --changes DIR`, as the option names it in errors."""
    return {f"--changes {name}": Path(directory) / name for name in CHANGE_FILES.values()}


def stage_changes(outputs: OutputSet, directory: Path, changes: Changes) -> list[Path]:
    """Stage DIR/changes.csv and the bulk files in a plan's OutputSet (written all or nothing with the plan's other files)."""
    tables = {"changes": changes.for_file(), "meta": meta_bulk(changes), "google": google_ads_editor(changes)}
    paths = []
    for key, table in tables.items():
        paths.append(outputs.csv(f"--changes {CHANGE_FILES[key]}", Path(directory) / CHANGE_FILES[key], table))
    return paths
