"""The daily loop on a ledger: ingest an export, plan from the whole history and store the plan,
re-enable creatives, and compare stored plans with what happened.

The ledger (`budgetopt.ledger`) stores and reads; planning happens here. Each function opens the
ledger file, does its work in one transaction and closes it: a failure anywhere leaves the ledger as
it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import replace as replace_fields
from pathlib import Path

import numpy as np
import pandas as pd

from budgetopt.api.changes import make_changes
from budgetopt.api.inputs import DateLike, as_date
from budgetopt.config import Policy
from budgetopt.data import LoadedLog
from budgetopt.errors import InputError
from budgetopt.ledger import (
    DEFAULT_WAIT,
    EnableResult,
    IngestCounts,
    Ledger,
    approve,
    change_history,
    disabled_cells,
    disabled_in_latest_plan,
    enable,
    fresh_since,
    has_plan,
    held_overrides,
    history,
    ingest,
    last_date,
    open_ledger,
    previous_budgets,
    read_observations,
    set_override,
    store_changes,
    store_plan,
)
from budgetopt.ledger.plans import label
from budgetopt.ledger.store import translating
from budgetopt.plan import PlanResult, plan_day


@dataclass(frozen=True)
class LedgerPlan:
    """A plan made from the ledger and stored in it, with what it carried over from earlier plans."""

    result: PlanResult
    previous_plan: str | None  # date of the plan whose budgets bounded max_daily_change, if any
    kept_disabled: tuple[str, ...]  # "campaign/segment/creative" kept disabled from earlier days
    replaced: bool  # a plan for the same date was replaced (--replace)
    ingested: IngestCounts | None = None  # what the log given with it added to the ledger
    disabled_before: frozenset[tuple[str, str, str]] = frozenset()  # cells the previous plan disabled: paused in the account today


@translating
def plan_from_ledger(
    ledger: Ledger,
    policy: Policy,
    *,
    date: DateLike = None,
    replace: bool = False,
    rng: np.random.Generator | int | None = None,
    seed: int | None = None,
) -> LedgerPlan:
    """Plan `date` (default: the day after the ledger's last observations) from an open ledger's whole
    history, carrying over the previous plan's budgets and disabled creatives, and store it, all in one
    transaction. `seed` is only recorded with the plan (the draws come from `rng`)."""
    with ledger.transaction():
        last = last_date(ledger)
        if last is None:
            raise InputError("the ledger has no observations yet; ingest a log first (budgetopt ingest LOG)", source=str(ledger.path))
        day = last + pd.Timedelta(days=1) if date is None else as_date(date)
        key = day.strftime("%Y-%m-%d")
        if has_plan(ledger, key) and not replace:  # say so before spending time on the plan
            raise InputError(
                f"the ledger already has a plan for {key}; pass --replace to make a new one in its place",
                source=str(ledger.path),
            )
        observed = read_observations(ledger, before=key, exposure=policy.estimate.exposure)
        if observed.empty:
            raise InputError(f"the ledger has no observations before {key}; ingest earlier days or choose a later --date", source=str(ledger.path))
        previous_date, budgets = previous_budgets(ledger, key)
        disabled = disabled_cells(ledger, key)
        pins, override_ids = held_overrides(ledger)
        result = plan_day(
            observed, policy, date=day, rng=rng, previous_segment_spend=budgets, previously_disabled=disabled,
            fresh_since=fresh_since(ledger, key), pins=pins,
        )
        paused_today = frozenset(disabled_in_latest_plan(ledger, key))
        replaced = store_plan(ledger, result, policy, seed=seed, replace=replace)
        changes = make_changes(result, policy, disabled_before=paused_today)
        store_changes(ledger, key, changes.for_file().assign(applies=changes.table["applies"].to_numpy()), override_ids)
    planned = set(zip(result.plan["campaign"], result.plan["segment"], result.plan["creative"]))
    return LedgerPlan(result, previous_date, tuple(sorted(label(c) for c in disabled & planned)), replaced, disabled_before=paused_today)


def plan_with_ledger(
    path: str | Path,
    policy: Policy,
    *,
    log: pd.DataFrame | LoadedLog | None = None,
    log_source: str = "log",
    date: DateLike = None,
    replace: bool = False,
    seed: int | None = None,
    wait: float = DEFAULT_WAIT,
    before_commit: Callable[[LedgerPlan], object] | None = None,
) -> LedgerPlan:
    """`budgetopt plan --ledger`: ingest `log` (if given), plan from the ledger's whole history and store
    the plan. `before_commit(daily)` runs inside the transaction with the LedgerPlan (the CLI writes its
    files there), so the ledger changes only if all of it succeeds. seed: of the draws, and recorded with the plan."""
    from budgetopt.config import DEFAULT_SEED

    seed = DEFAULT_SEED if seed is None else seed
    with open_ledger(path, create=log is not None, wait=wait) as ledger, ledger.transaction():
        counts = None if log is None else ingest(ledger, log.log if isinstance(log, LoadedLog) else log, source=log_source)
        daily = plan_from_ledger(ledger, policy, date=date, replace=replace, rng=seed, seed=seed)
        if before_commit is not None:
            before_commit(daily)
    return replace_fields(daily, ingested=counts)


def ingest_log(
    path: str | Path,
    log: pd.DataFrame | LoadedLog,
    *,
    source: str = "log",
    wait: float = DEFAULT_WAIT,
    progress: Callable[[int, int], None] | None = None,
) -> IngestCounts:
    """`budgetopt ingest`: store a validated log in the ledger at `path` (made if missing), all or nothing."""
    with open_ledger(path, create=True, wait=wait) as ledger:
        return ingest(ledger, log.log if isinstance(log, LoadedLog) else log, source=source, progress=progress)


def enable_creatives(path: str | Path, names: list[str], *, wait: float = DEFAULT_WAIT) -> EnableResult:
    """`budgetopt enable`: the named "campaign/segment/creative" cells are judged afresh from the next plan on."""
    with open_ledger(path, wait=wait) as ledger:
        return enable(ledger, list(names))


def plan_history(path: str | Path, cell: str | None = None) -> pd.DataFrame:
    """`budgetopt history`: every stored plan against what happened (see budgetopt.ledger.history)."""
    with open_ledger(path) as ledger:
        return history(ledger, cell)


def approve_changes(path: str | Path, names: list[str], *, by: str, date: DateLike = None, wait: float = DEFAULT_WAIT) -> tuple[str, list[str], list[str]]:
    """`budgetopt approve`: record `by`'s approval of the named changes of the latest plan (or `date`'s), all when none is named.
    Returns (the plan's date, approved now, approved already)."""
    day = as_date(date, "--date")
    with open_ledger(path, wait=wait) as ledger:
        return approve(ledger, list(names), by, None if day is None else day.strftime("%Y-%m-%d"))


def override_plan(path: str | Path, target: str, *, by: str, budget: float | None = None, lift: bool = False, wait: float = DEFAULT_WAIT) -> str:
    """`budgetopt override`: pin a segment's budget or keep a creative on in every next plan, or lift the override."""
    with open_ledger(path, wait=wait) as ledger:
        return set_override(ledger, target, by, budget=budget, lift=lift)


def changes_history(path: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """The stored changes, planned, approved and delivered side by side, and the overrides held now (see budgetopt.ledger)."""
    with open_ledger(path) as ledger:
        return change_history(ledger)
