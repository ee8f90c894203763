"""Tomorrow's plan, the A/B verdicts and the posteriors behind them, from a log and a policy; the
files a plan writes; and what a proposed split would earn beside the plan."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from budgetopt.allocate.solve import check_model_path, model_bytes
from budgetopt.api.changes import change_paths, make_changes, stage_changes
from budgetopt.api.inputs import (
    DateLike,
    LogLike,
    PolicyLike,
    as_date,
    as_log,
    as_policy,
)
from budgetopt.changes import Changes
from budgetopt.config import Policy
from budgetopt.data.period_split import is_period_split, resolve_period_split
from budgetopt.data.split import read_split_file, resolve_split
from budgetopt.decide import Decisions, decide_creatives
from budgetopt.errors import InputError
from budgetopt.estimate import Estimates
from budgetopt.outputs import (
    OutputSet,
    Paths,
    check_outputs,
    claim_report_dir,
    write_json,
)
from budgetopt.plan import (
    PLAN_MONEY,
    PlanResult,
    day_rng,
    decisions_table,
    estimates_from_log,
    plan_day,
    plan_for_file,
    summary_for_plan_file,
)
from budgetopt.whatif import DRAWS, PeriodWhatIf, WhatIf, compare, compare_period


@dataclass(frozen=True)
class DecideResult:
    """The A/B verdicts: `decisions` has `budgetopt decide`'s columns, one row per cell.

    estimates: the posteriors they were computed from; detail: the engine's arrays (cells,), shares
    and posterior draws of value per euro (draws, cells), for plots or your own analysis.
    """

    decisions: pd.DataFrame
    estimates: Estimates
    detail: Decisions


def fit_estimates(log: LogLike, policy: PolicyLike, *, date: DateLike = None, sum_duplicates: bool = False) -> Estimates:
    """Every cell's posteriors (conversion rate, visits per euro, basket) and each segment's saturation.

    date: the plan date (default: the day after the log's last); only earlier days are used.
    """
    policy = as_policy(policy)
    return estimates_from_log(as_log(log, policy, sum_duplicates=sum_duplicates), policy, as_date(date))


def make_decisions(
    log: LogLike, policy: PolicyLike, *, date: DateLike = None, rng: np.random.Generator | int | None = None, sum_duplicates: bool = False
) -> DecideResult:
    """The A/B verdicts alone, as `budgetopt decide`: chance to be best, expected loss, verdict and reason per creative."""
    policy = as_policy(policy)
    estimates = estimates_from_log(as_log(log, policy, sum_duplicates=sum_duplicates), policy, as_date(date))
    detail = decide_creatives(estimates, policy.decide, day_rng(rng, estimates.history.as_of), currency=policy.budget.currency)
    return DecideResult(decisions_table(estimates, detail), estimates, detail)


def make_plan(
    log: LogLike,
    policy: PolicyLike,
    *,
    date: DateLike = None,
    rng: np.random.Generator | int | None = None,
    sum_duplicates: bool = False,
    **options: Any,
) -> PlanResult:
    """Tomorrow's plan, as `budgetopt plan`: `.plan` and `.decisions` DataFrames, `.summary` dict (the --summary JSON).

    options go to `budgetopt.plan.plan_day` (previous_segment_spend, previously_disabled, fresh_since).
    Raises InputError for a bad log or policy, InfeasiblePolicyError naming the conflicting constraints.
    """
    policy = as_policy(policy)
    log = as_log(log, policy, sum_duplicates=sum_duplicates)
    return plan_day(log, policy, date=as_date(date), rng=rng, **options)


def compare_split(
    log: LogLike,
    policy: PolicyLike,
    split: str | Path | pd.DataFrame,
    *,
    date: DateLike = None,
    rng: np.random.Generator | int | None = None,
    sum_duplicates: bool = False,
    draws: int = DRAWS,
) -> WhatIf | PeriodWhatIf:
    """Plan tomorrow as `make_plan` does, then compare a proposed split (SPLIT.csv's path, or a DataFrame
    with its columns) with the plan on the same posterior draws, as `budgetopt whatif`. A split with a `date`
    column gives the budgets of a period's days left (the policy must have a period) and is compared with
    the period's plan (`PeriodWhatIf`)."""
    policy = as_policy(policy)
    log = as_log(log, policy, sum_duplicates=sum_duplicates)
    if isinstance(split, pd.DataFrame):
        raw, lines, source = split, None, "split"
    else:
        raw, lines = read_split_file(split)
        source = str(split)
    by_day = is_period_split(raw)
    if by_day and not policy.budget.has_period:
        raise InputError(
            "the split has a date column (budgets by day), but the policy has no budget period; give [budget] period_total, "
            "period_start and period_end, or drop the date column to compare tomorrow's split",
            source=source,
        )
    result = plan_day(log, policy, date=as_date(date), rng=rng)
    generator = day_rng(rng, result.estimates.history.as_of, 1)  # a Generator given goes on after the plan's draws
    if by_day:
        h = result.estimates.history
        segments = list(zip(h.campaign[h.segment_start], h.segment[h.segment_start]))
        split = resolve_period_split(raw, segments, result.period.period.dates, source=source, lines=lines)
        return compare_period(result, policy, split, generator, draws)
    return compare(result, policy, resolve_split(raw, result.plan, source=source, lines=lines), generator, draws)


def check_run_outputs(
    files: Mapping[str, Path | None], *, report: Path | None = None, inputs: Paths | None = None, force: bool = False
) -> None:
    """Refuse, before any work, outputs that cannot be written: `files` (option → path) and `report` (a folder)
    against `inputs` (option → path): an input, another output, a device, a folder, a report folder holding
    files budgetopt did not write (unless `force`); see budgetopt.outputs."""
    if report:
        claim_report_dir(report, force=force)
    check_outputs({**files, "--report": Path(report) / "index.html" if report else None}, inputs)


def _staged(inputs: Paths | None, report: Path | None, force: bool) -> OutputSet:
    """A run's outputs, written all or nothing (each path checked as it is staged, all again at commit)."""
    return OutputSet(inputs, reports=[claim_report_dir(report, force=force)] if report else [])


def check_plan_outputs(
    *,
    out: Path | None = None,
    summary: Path | None = None,
    decisions: Path | None = None,
    report: Path | None = None,
    export_lp: Path | None = None,
    changes_dir: Path | None = None,
    inputs: Paths | None = None,
    force: bool = False,
) -> None:
    """`check_run_outputs` for the files a plan writes, and a model file that is not .lp or .mps."""
    if export_lp:
        check_model_path(export_lp)
    named = {"--out": out, "--summary": summary, "--decisions": decisions, "--export-lp": export_lp}
    named |= change_paths(changes_dir) if changes_dir else {}
    check_run_outputs(named, report=report, inputs=inputs, force=force)


def write_plan_outputs(
    result: PlanResult,
    policy: Policy,
    *,
    out: Path | None = None,
    summary: Path | None = None,
    decisions: Path | None = None,
    report: Path | None = None,
    export_lp: Path | None = None,
    changes_dir: Path | None = None,
    changes: Changes | None = None,
    inputs: Paths | None = None,
    force: bool = False,
) -> list[Path]:
    """Every file a plan can write, all or nothing (`check_plan_outputs` checks them before the work): plan.csv
    (money to the cent), summary.json, decisions.csv, the LP model, the report, and into `changes_dir` the
    changes (`changes`, default: against the log's last day) and the bulk files. Returns what was written,
    the report as its index.html."""
    from budgetopt.report.plan_report import write_plan_report

    written = []
    with _staged(inputs, report, force) as outputs:
        if out:
            outputs.csv("--out", out, plan_for_file(result), money=PLAN_MONEY)
            written.append(out)
        if summary:
            outputs.json("--summary", summary, summary_for_plan_file(result))
            written.append(summary)
        if decisions:
            outputs.csv("--decisions", decisions, result.decisions)
            written.append(decisions)
        if export_lp:
            outputs.bytes("--export-lp", export_lp, model_bytes(result.problem, Path(export_lp).suffix))
            written.append(export_lp)
        if changes_dir:
            changes = changes or make_changes(result, policy)
            written += stage_changes(outputs, changes_dir, changes)
        if report:
            write_plan_report(result, policy, report, outputs=outputs, changes=changes if changes_dir else None)
            written.append(Path(report) / "index.html")
    return [Path(path) for path in written]


def write_decisions_outputs(
    result: DecideResult, policy: Policy, *, out: Path | None = None, report: Path | None = None, inputs: Paths | None = None, force: bool = False
) -> list[Path]:
    """decisions.csv and the decisions report, as `budgetopt decide` writes them, all or nothing; returns what was written."""
    from budgetopt.report.plan_report import write_decisions_report

    written = []
    with _staged(inputs, report, force) as outputs:
        if out:
            outputs.csv("--out", out, result.decisions)
            written.append(out)
        if report:
            write_decisions_report(result.decisions, policy, report, outputs=outputs)
            written.append(Path(report) / "index.html")
    return [Path(path) for path in written]


def write_what_if(w: WhatIf | PeriodWhatIf, path: Path, *, inputs: Paths | None = None) -> Path:
    """whatif's --out JSON, written atomically (never onto an input)."""
    write_json(path, w.as_dict(), option="--out", inputs=inputs)
    return Path(path)
