"""The performance log's contract: columns, and the rules every row must follow.

Rules are data (a table of checks), so each one is tested by a row of a table.
Each check takes the typed frame and returns a boolean mask of offending rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

NAME_COLUMNS = ("campaign", "segment", "creative")
NUMBER_COLUMNS = ("spend", "visits", "conversions", "revenue")
REQUIRED_COLUMNS = ("date", *NAME_COLUMNS, *NUMBER_COLUMNS)


class CellStatus(StrEnum):
    """A cell's status: in a log (active or paused by the user) and in a plan (also disabled by the engine)."""

    ACTIVE = "active"
    DISABLED = "disabled"
    PAUSED = "paused"


OPTIONAL_COLUMNS = ("impressions", "status")
ID_COLUMNS = ("campaign_id", "segment_id", "creative_id")  # kept as exact text after the other columns
#: what a log's `status` column may say
STATUSES = (CellStatus.ACTIVE.value, CellStatus.PAUSED.value)
CELL = list(NAME_COLUMNS)

#: the most one row (one cell, one day) may say: far beyond any real account (a trillion in any currency,
#: a trillion visits), and far below where float64 arithmetic overflows (squares stay under 1e24, and
#: sums over a billion rows under 1e21), so an absurd number is refused with its row, never turned
#: into overflow warnings, nan reasons or a solver that cannot solve
MAX_AMOUNT = 1e12  # spend and revenue, currency
MAX_COUNT = 1e12  # impressions, visits and conversions


@dataclass(frozen=True)
class RowRule:
    """One rule over rows: `offending(frame)` marks the rows that break it."""

    column: str
    offending: Callable[[pd.DataFrame], pd.Series]
    message: str
    applies: Callable[[pd.DataFrame, str], bool] = lambda frame, exposure: True


def _negative(column: str) -> RowRule:
    return RowRule(column, lambda f: f[column] < 0, f"{column} must be ≥ 0; fix the export or drop the row")


def _short(number: float) -> str:
    """1e+12 as 1e12."""
    return f"{number:.0e}".replace("e+", "e")


def _too_large(column: str) -> RowRule:
    limit, unit = (MAX_AMOUNT, "currency") if column in ("spend", "revenue") else (MAX_COUNT, column)
    return RowRule(
        column,
        lambda f: f[column] > limit,
        f"{column} above {_short(limit)} {unit} in one day of one cell, beyond any real account; fix the export or drop the row",
        lambda f, exposure: column in f.columns,
    )


def _has_impressions(frame: pd.DataFrame, exposure: str) -> bool:
    return "impressions" in frame.columns


ROW_RULES: tuple[RowRule, ...] = (
    *(_negative(column) for column in NUMBER_COLUMNS),
    RowRule("impressions", lambda f: f["impressions"] < 0, "impressions must be ≥ 0; fix the export or drop the row", _has_impressions),
    *(_too_large(column) for column in (*NUMBER_COLUMNS, "impressions")),
    RowRule(
        "conversions",
        lambda f: f["conversions"] > f["visits"],
        "conversions exceed visits; if the export counts view-through conversions, set "
        '[estimate] exposure = "impressions" in the policy (needs an impressions column)',
        lambda f, exposure: exposure == "visits",
    ),
    RowRule(
        "conversions",
        lambda f: f["conversions"] > f["impressions"],
        "conversions exceed impressions; check the export",
        lambda f, exposure: exposure == "impressions" and "impressions" in f.columns,
    ),
    RowRule(
        "visits",
        lambda f: f["visits"] > f["impressions"],
        "visits exceed impressions; check the export",
        _has_impressions,
    ),
)


def offending_rows(frame: pd.DataFrame, exposure: str) -> list[tuple[RowRule, np.ndarray]]:
    """Every applicable rule with the (0-based) positions of the rows that break it."""
    found = []
    for rule in ROW_RULES:
        if not rule.applies(frame, exposure):
            continue
        mask = rule.offending(frame).to_numpy(dtype=bool)
        if mask.any():
            found.append((rule, np.flatnonzero(mask)))
    return found
