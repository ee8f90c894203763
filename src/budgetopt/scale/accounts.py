"""`budgetopt plan --accounts DIR`: plan many accounts at once, each in its own folder.

```
DIR/
  shop-a/  log.csv (or log.parquet)  policy.toml   →  plan.csv  summary.json
  shop-b/  log.parquet               policy.toml   →  plan.csv  summary.json
  accounts.csv                                       (written: one row per account)
```

Every sub-folder of DIR is an account (hidden ones, whose name starts with ".", are skipped).
It holds its performance log as `log.csv` or `log.parquet` (not both) and its budget policy as
`policy.toml`; without one, `plan --policy FILE` is its policy. Each account is planned exactly
as `budgetopt plan LOG --policy POLICY [--date D] [--seed S]` would plan it (same seed, so the same
numbers), on a worker; its `plan.csv` and `summary.json` are written into its folder, atomically,
once its plan has succeeded. One account's bad input (or infeasible policy) is reported for that
account and the others are planned all the same; its folder is left as it was.

The workers read the accounts' files: on a cluster (`--scheduler`), DIR must be at the same
path on every worker (a shared file system). The outputs are written by the process that runs
the command.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from budgetopt.errors import BudgetoptError, InputError
from budgetopt.outputs import OutputSet, write_csv
from budgetopt.plan import PLAN_MONEY, plan_for_file, summary_for_plan_file

LOG_NAMES = ("log.csv", "log.parquet")
POLICY_NAME = "policy.toml"
COLUMNS_NAME = "columns.toml"
PLAN_NAME, SUMMARY_NAME = "plan.csv", "summary.json"
SUMMARY_TABLE = "accounts.csv"


class AccountStatus(StrEnum):
    """What became of an account: planned, or why not."""

    PLANNED = "planned"
    BAD_INPUT = "bad input"
    INTERNAL_ERROR = "internal error"


PLANNED, BAD_INPUT, INTERNAL_ERROR = AccountStatus.PLANNED, AccountStatus.BAD_INPUT, AccountStatus.INTERNAL_ERROR
ACCOUNT_MONEY = ("total_spend", "expected_margin", "margin_p05", "margin_p95")
ACCOUNT_COLUMNS = ["account", "status", "date", "total_spend", "expected_margin", "margin_p05", "margin_p95", "currency", "message"]


@dataclass(frozen=True)
class AccountOutcome:
    """One account's plan, or why it has none."""

    account: str  # the folder's name
    folder: str
    status: AccountStatus
    message: str = ""  # what went wrong (one line), empty when planned
    plan: pd.DataFrame | None = None
    summary: dict[str, Any] | None = None
    traceback: str | None = None  # for an internal error


def find_accounts(directory: str | Path) -> list[Path]:
    """The account folders of `directory`, sorted by name."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"--accounts {directory}: no such folder; give a folder holding one sub-folder per account")
    folders = sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise InputError(
            f"--accounts {directory}: no account sub-folder; put each account's log.csv (or log.parquet) and {POLICY_NAME} in a folder of its own"
        )
    return folders


def account_files(folder: Path, default_policy: Path | None = None) -> tuple[Path, Path]:
    """The account's log and policy files; InputError naming the folder when one is missing or ambiguous."""
    logs = [folder / name for name in LOG_NAMES if (folder / name).is_file()]
    if not logs:
        raise InputError(f"no performance log: put it in the folder as {' or '.join(LOG_NAMES)}", source=str(folder))
    if len(logs) > 1:
        raise InputError(f"holds both {LOG_NAMES[0]} and {LOG_NAMES[1]}; keep the one to plan from", source=str(folder))
    policy = folder / POLICY_NAME
    if not policy.is_file():
        if default_policy is None:
            raise InputError(f"no budget policy: put it in the folder as {POLICY_NAME} (or give plan --policy FILE for every such account)", source=str(folder))
        policy = default_policy
    return logs[0], policy


def plan_account(folder: str, default_policy: str | None, date: pd.Timestamp | None, seed: int, sum_duplicates: bool) -> AccountOutcome:
    """Plan one account (the task a worker runs). Never raises: an error becomes the outcome's status."""
    from budgetopt.config import load_policy
    from budgetopt.plan import plan_day, read_performance_log

    path = Path(folder)
    try:
        log_path, policy_path = account_files(path, Path(default_policy) if default_policy else None)
        policy = load_policy(policy_path)
        columns = path / COLUMNS_NAME if (path / COLUMNS_NAME).is_file() else None  # the account's own column map, if any
        log = read_performance_log(log_path, policy, columns=columns, sum_duplicates=sum_duplicates).log
        result = plan_day(log, policy, date=date, rng=seed)
    except BudgetoptError as error:
        return AccountOutcome(path.name, folder, BAD_INPUT, message=str(error))
    except Exception as error:  # noqa: BLE001 — a bug in one account must not stop the others; reported as an internal error
        return AccountOutcome(path.name, folder, INTERNAL_ERROR, message=f"{type(error).__name__}: {error}", traceback=traceback.format_exc())
    # as plan.csv and summary.json hold them: amounts to the cent that add up
    return AccountOutcome(path.name, folder, PLANNED, plan=plan_for_file(result), summary=summary_for_plan_file(result))


def write_account(outcome: AccountOutcome) -> AccountOutcome:
    """Write a planned account's plan.csv and summary.json into its folder (each atomically)."""
    if outcome.status != PLANNED:
        return outcome
    folder = Path(outcome.folder)
    try:
        with OutputSet() as outputs:
            outputs.csv("plan.csv", folder / PLAN_NAME, outcome.plan, money=PLAN_MONEY)
            outputs.json("summary.json", folder / SUMMARY_NAME, outcome.summary)
    except BudgetoptError as error:
        return replace(outcome, status=BAD_INPUT, message=str(error))
    return outcome


def plan_accounts(
    directory: str | Path,
    executor: Any,
    *,
    default_policy: str | Path | None = None,
    date: pd.Timestamp | None = None,
    seed: int,
    sum_duplicates: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[AccountOutcome]:
    """Plan every account of `directory` on `executor`, write each planned account's files as soon
    as its plan is in, and `accounts.csv`; returns the outcomes in folder order."""
    folders = find_accounts(directory)
    policy = str(default_policy) if default_policy is not None else None
    tasks = [(str(folder), policy, date, seed, sum_duplicates) for folder in folders]
    outcomes: list[AccountOutcome | None] = [None] * len(folders)
    for done, finished in enumerate(executor.run(plan_account, tasks), start=1):
        folder = folders[finished.index]
        if finished.error is not None:  # the worker itself failed (it died too often, or cannot import budgetopt)
            error = finished.error
            outcome = AccountOutcome(folder.name, str(folder), INTERNAL_ERROR, message=f"{type(error).__name__}: {error}",
                                     traceback="".join(traceback.format_exception(error)))
        else:
            outcome = write_account(finished.value)
        outcomes[finished.index] = outcome
        if progress:
            progress(done)
    write_csv(Path(directory) / SUMMARY_TABLE, accounts_table(outcomes), money=ACCOUNT_MONEY, option=SUMMARY_TABLE)
    return outcomes


def accounts_table(outcomes: list[AccountOutcome]) -> pd.DataFrame:
    """accounts.csv: one row per account, its status, plan date, spend and expected margin."""
    rows = []
    for o in outcomes:
        s = o.summary or {}
        rows.append({
            "account": o.account, "status": str(o.status), "date": s.get("date", ""),
            "total_spend": s.get("total_spend", np.nan), "expected_margin": s.get("expected_margin", np.nan),
            "margin_p05": s.get("margin_p05", np.nan), "margin_p95": s.get("margin_p95", np.nan),
            "currency": s.get("currency", ""), "message": o.message,
        })
    return pd.DataFrame(rows, columns=ACCOUNT_COLUMNS)
