"""A proposed split of what remains of a budget period (`budgetopt whatif --split` with a `date` column).

SPLIT.csv, one row per segment and day: columns `campaign, segment, date, spend` (no `creative`: the
creatives of later days are not decided yet, and a split per creative is tomorrow's) — the segment's budget
on that day, currency; its creatives share it as the plan's decision engine says for tomorrow (the
plan's `share` column). Dates are those of the period's days left, tomorrow first (any form the log
reader takes: 2026-12-01, 01/12/2026, Dec 1, 2026); a segment-day the file does not name spends 0.
Each row must name a segment of the log and a day left, once, with a finite spend ≥ 0 and at most 1e12;
every violation is reported with the file, row, line and column.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from budgetopt.data.load import missing_columns, name_column, number_column, where_rows
from budgetopt.data.split import duplicate_problems, spend_problems
from budgetopt.data.values import iso_dates
from budgetopt.errors import InputError

PERIOD_COLUMNS = ("campaign", "segment", "date", "spend")


@dataclass(frozen=True)
class PeriodSplit:
    """A proposed split of the period's days left, resolved onto the plan's segments."""

    spend: np.ndarray  # (days left, segments) currency per day, tomorrow first, segments in the plan's order
    dates: tuple[str, ...]  # yyyy-mm-dd of the days left, tomorrow first
    source: str
    unnamed_days: tuple[str, ...]  # days left the file gives no row: every segment spends 0 on them


def is_period_split(raw: pd.DataFrame) -> bool:
    """Whether a raw split gives budgets by segment and day: a `date` column and no `creative` one (a split per
    creative is tomorrow's, whatever else it holds: an edited plan.csv has a date column too)."""
    columns = {str(c).strip().lower() for c in raw.columns}
    return "date" in columns and "creative" not in columns


def resolve_period_split(
    raw: pd.DataFrame, segment_labels: list[tuple[str, str]], dates: pd.DatetimeIndex, *, source: str = "split", lines: np.ndarray | None = None
) -> PeriodSplit:
    """Check a raw period split against the plan's segments ((campaign, segment) in the plan's order) and the
    period's days left `dates`; raises InputError listing every problem with its rows and column."""
    raw = raw.rename(columns=lambda c: str(c).strip().lower())
    missing = [c for c in PERIOD_COLUMNS if c not in raw.columns]
    if missing:
        raise InputError(f"{missing_columns(missing)}; a period split needs {', '.join(PERIOD_COLUMNS)} (one row per segment and day)", source=source)
    if raw.empty:
        raise InputError("the split has no rows; give one row per segment and day with its spend", source=source)
    problems: list[str] = []
    campaign = name_column(raw, "campaign", lines, problems).to_numpy()
    segment = name_column(raw, "segment", lines, problems).to_numpy()
    text, _ = iso_dates(raw["date"], "date", None, lines, source)
    day = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = np.flatnonzero(day.isna().to_numpy())
    if len(bad):
        problems.append(f"{where_rows(bad, lines)}, column 'date': {str(raw['date'].iloc[bad[0]])!r} is not a date; write it as yyyy-mm-dd")
    spend = number_column(raw, "spend", lines, problems, hint="; spend is currency per day").to_numpy()
    problems += spend_problems(spend, lines)
    if problems:
        raise InputError(problems, source=source)

    labels = [f"{d:%Y-%m-%d}" for d in dates]
    day_text = day.dt.strftime("%Y-%m-%d").to_numpy()
    keys = list(zip(campaign, segment, day_text))
    problems += duplicate_problems(keys, "segment and day", lines)
    index = {key: i for i, key in enumerate(segment_labels)}
    position = {label: d for d, label in enumerate(labels)}
    outside = np.flatnonzero([t not in position for t in day_text])
    if len(outside):
        problems.append(
            f"{where_rows(outside, lines)}, column 'date': {day_text[outside[0]]} is not a day left of the period "
            f"({labels[0]} to {labels[-1]}); give budgets for the days still to plan"
        )
    campaigns = {c for c, _ in segment_labels}
    for i, (c, s) in enumerate(zip(campaign, segment)):
        if (c, s) in index:
            continue
        where = where_rows(np.array([i]), lines)
        if c not in campaigns:
            problems.append(f"{where}, column 'campaign': no campaign {c!r} in the log; check the name against the log")
        else:
            problems.append(f"{where}, column 'segment': no segment {s!r} in campaign {c!r} in the log; check the name")
    if problems:
        raise InputError(problems, source=source)
    out = np.zeros((len(labels), len(segment_labels)))
    out[[position[t] for t in day_text], [index[k] for k in zip(campaign, segment)]] = spend
    named = set(day_text)
    return PeriodSplit(out, tuple(labels), source, tuple(label for label in labels if label not in named))
