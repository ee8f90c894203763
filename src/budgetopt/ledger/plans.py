"""Plans in the ledger: storing a day's plan and decisions, and what the next plan carries over.

Two things carry over from one plan to the next:
- budgets: a plan's segment budgets are what the ad platform runs until the next plan, so the
  latest plan dated before day D gives D's `previous_segment_spend` (max_daily_change is measured
  from them; segments it did not cover fall back to the log's last day);
- disabled creatives: a cell the latest plan before D disabled stays disabled on D, unless
  `enable` was recorded for it after that plan was made (events are ordered by their id, so this
  holds whatever order the days were planned in).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from budgetopt.config import Policy
from budgetopt.data.schema import CellStatus
from budgetopt.errors import InputError
from budgetopt.ledger.store import Ledger, translating
from budgetopt.plan import PlanResult

Cell = tuple[str, str, str]

_CELL_COLUMNS = (
    "campaign", "segment", "creative", "status", "spend", "share", "segment_spend", "previous_spend", "change",
    "expected_visits", "expected_conversions", "expected_margin", "margin_p05", "margin_p95", "p_best", "reason",
)
_DECISION_COLUMNS = (
    "campaign", "segment", "creative", "visits", "conversions", "cvr_mean", "cvr_p05", "cvr_p95",
    "metric_mean", "metric_p05", "metric_p95", "p_best", "expected_loss", "verdict", "reason",
)


@dataclass(frozen=True)
class EnableResult:
    enabled: tuple[str, ...]  # "campaign/segment/creative" re-enabled for the next plan
    unchanged: tuple[str, ...]  # "campaign/segment/creative: why nothing was done"


def label(cell: Cell) -> str:
    return "/".join(cell)


def _latest_plan(ledger: Ledger, before: str | None) -> tuple[str, int] | None:
    """(date, event id) of the latest plan dated before `before` (any date when None)."""
    if before is None:
        row = ledger.connection.execute("SELECT date, event_id FROM plans ORDER BY date DESC LIMIT 1").fetchone()
    else:
        row = ledger.connection.execute("SELECT date, event_id FROM plans WHERE date < ? ORDER BY date DESC LIMIT 1", (before,)).fetchone()
    return None if row is None else (row[0], int(row[1]))


@translating
def has_plan(ledger: Ledger, day: str) -> bool:
    return ledger.connection.execute("SELECT 1 FROM plans WHERE date = ?", (day,)).fetchone() is not None


@translating
def previous_budgets(ledger: Ledger, before: str) -> tuple[str | None, dict[tuple[str, str], float]]:
    """(date of the plan, its budget per (campaign, segment)) for the latest plan dated before `before`."""
    latest = _latest_plan(ledger, before)
    if latest is None:
        return None, {}
    rows = ledger.connection.execute("SELECT campaign, segment, after FROM plan_segments WHERE date = ?", (latest[0],))
    return latest[0], {(c, s): float(after) for c, s, after in rows}


@translating
def disabled_cells(ledger: Ledger, before: str | None = None) -> set[Cell]:
    """Cells a plan on day `before` keeps disabled (None: the next plan after the latest); see the module doc."""
    latest = _latest_plan(ledger, before)
    if latest is None:
        return set()
    rows = ledger.connection.execute(
        """SELECT c.campaign, c.segment, c.creative FROM plan_cells AS c
           WHERE c.date = ? AND c.status = 'disabled' AND NOT EXISTS (
               SELECT 1 FROM enables AS e
               WHERE e.campaign = c.campaign AND e.segment = c.segment AND e.creative = c.creative AND e.event_id > ?)""",
        latest,
    )
    return {(c, s, k) for c, s, k in rows}


def fresh_since(ledger: Ledger, day: str) -> dict[Cell, pd.Timestamp]:
    """Re-enabled cells and the day their new test began: the first plan made after their latest
    `enable` (or `day`, the plan being made). The plan sets their earlier conversions aside."""
    rows = ledger.connection.execute(
        """WITH latest AS (SELECT campaign, segment, creative, MAX(event_id) AS enabled FROM enables GROUP BY 1, 2, 3)
           SELECT l.campaign, l.segment, l.creative,
                  (SELECT MIN(p.date) FROM plans AS p WHERE p.event_id > l.enabled AND p.date <= ?)
           FROM latest AS l""",
        (day,),
    )
    return {(c, s, k): pd.Timestamp(since or day) for c, s, k, since in rows}


def _column_values(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[list]:
    """Python values per column (NaN → None, so SQLite stores NULL)."""
    out = []
    for column in columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values):
            array = values.to_numpy(dtype=float)
            out.append([None if np.isnan(v) else v for v in array.tolist()])
        else:
            out.append(values.astype(object).tolist())
    return out


@translating
def store_plan(ledger: Ledger, result: PlanResult, policy: Policy, *, seed: int | None = None, replace: bool = False) -> bool:
    """Store a plan with its segments and decisions; returns True if it replaced one for the same date.

    A plan for a date that already has one raises InputError unless `replace`.
    """
    day = result.summary["date"]
    con = ledger.connection
    with ledger.transaction():
        exists = has_plan(ledger, day)
        if exists and not replace:
            raise InputError(
                f"the ledger already has a plan for {day}; pass --replace to make a new one in its place",
                source=str(ledger.path),
            )
        if exists:
            for table in ("decisions", "plan_cells", "plan_segments", "plans"):
                con.execute(f"DELETE FROM {table} WHERE date = ?", (day,))  # table names are ours; values are bound
        summary = result.summary
        event_id = ledger.record_event("plan", detail={"date": day, "replaced": exists})
        con.execute(
            "INSERT INTO plans (date, event_id, currency, margin_rate, total_spend, expected_margin, margin_p05, margin_p95, "
            "seed, policy, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                day, event_id, policy.budget.currency, policy.budget.margin_rate, summary["total_spend"],
                summary["expected_margin"], summary["margin_p05"], summary["margin_p95"], seed,
                policy.model_dump_json(), json.dumps(summary),
            ),
        )
        con.executemany(
            "INSERT INTO plan_segments (date, campaign, segment, before, after, limited_by) VALUES (?, ?, ?, ?, ?, ?)",
            [(day, s["campaign"], s["segment"], s["before"], s["after"], s["limited_by"]) for s in summary["segments"]],
        )
        for table, frame, columns in (("plan_cells", result.plan, _CELL_COLUMNS), ("decisions", result.decisions, _DECISION_COLUMNS)):
            placeholders = ", ".join("?" * (len(columns) + 1))
            con.executemany(
                f"INSERT INTO {table} (date, {', '.join(columns)}) VALUES ({placeholders})",  # our names; values bound
                zip([day] * len(frame), *_column_values(frame, columns)),
            )
    return exists


@translating
def planned_cells(ledger: Ledger, names: list[str]) -> list[Cell]:
    """Each "campaign/segment/creative" matched against the cells of stored plans (names may contain '/').

    Raises InputError naming the unknown or ambiguous ones, with the closest known cells.
    """
    con = ledger.connection
    found, problems = [], []
    for name in names:
        rows = con.execute(
            "SELECT DISTINCT campaign, segment, creative FROM plan_cells WHERE campaign || '/' || segment || '/' || creative = ?",
            (name,),
        ).fetchall()
        if len(rows) == 1:
            found.append(tuple(rows[0]))
            continue
        if rows:
            problems.append(f"{name!r} matches {len(rows)} cells ({'; '.join(repr(r) for r in rows[:3])}); rename one in your ad platform")
            continue
        known = [label(tuple(r)) for r in con.execute("SELECT DISTINCT campaign, segment, creative FROM plan_cells")]
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else "give it as CAMPAIGN/SEGMENT/CREATIVE as in the plan"
        problems.append(f"no planned cell {name!r}; {hint}")
    if problems:
        raise InputError(problems, source=str(ledger.path))
    return found


@translating
def enable(ledger: Ledger, names: list[str]) -> EnableResult:
    """Re-enable creatives the decision engine disabled: from the next plan on they are judged afresh,
    on the conversions they get from then (their earlier ones are set aside; see fresh_since).

    All or nothing: an unknown name raises InputError and records nothing. Cells that are not
    disabled are left alone and reported in `unchanged`.
    """
    with ledger.transaction():
        latest = _latest_plan(ledger, None)
        if latest is None:
            raise InputError("the ledger has no plan yet, so nothing is disabled; make one with budgetopt plan --ledger", source=str(ledger.path))
        cells = list(dict.fromkeys(planned_cells(ledger, names)))
        disabled = disabled_cells(ledger, None)
        status = {
            (c, s, k): st
            for c, s, k, st in ledger.connection.execute(
                "SELECT campaign, segment, creative, status FROM plan_cells WHERE date = ?", (latest[0],)
            )
        }
        to_enable = [cell for cell in cells if cell in disabled]
        unchanged = []
        for cell in cells:
            if cell in disabled:
                continue
            if status.get(cell) == CellStatus.PAUSED:
                why = "paused by you in the log, not disabled by budgetopt; un-pause it in the ad platform"
            elif status.get(cell) == CellStatus.DISABLED:
                why = "already re-enabled for the next plan"
            elif cell in status:
                why = f"not disabled (it is {status[cell]} in the plan for {latest[0]})"
            else:
                why = f"not in the latest plan ({latest[0]})"
            unchanged.append(f"{label(cell)}: {why}")
        if to_enable:
            event_id = ledger.record_event("enable", detail={"cells": [list(cell) for cell in to_enable]})
            ledger.connection.executemany(
                "INSERT INTO enables (event_id, campaign, segment, creative) VALUES (?, ?, ?, ?)",
                [(event_id, *cell) for cell in to_enable],
            )
    return EnableResult(tuple(label(c) for c in to_enable), tuple(unchanged))
