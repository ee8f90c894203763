"""The simulated performance log: all a policy sees of the world (DESIGN.md: "each policy sees only
the simulated log so far").

Held as (days, cells) arrays; a launched cell has a row every day from its launch on, with spend 0
on days no policy funded it, as an ad platform's export lists every existing ad. `frame` turns the
days before a date into the log DataFrame that `budgetopt plan` reads (the same columns and dtypes
as `budgetopt.load_log` returns; a test checks it against `validate_log`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from budgetopt.estimate.history import LogRows
from budgetopt.simulate.limits import Account


@dataclass
class SimulatedLog:
    """Rows of days [0, days_logged); arrays are (total_days, cells), filled day by day."""

    spend: np.ndarray
    visits: np.ndarray
    conversions: np.ndarray
    revenue: np.ndarray
    present: np.ndarray  # bool: the cell existed that day (a row in the export)
    days_logged: int = 0

    @classmethod
    def empty(cls, total_days: int, n_cells: int) -> SimulatedLog:
        zeros = lambda: np.zeros((total_days, n_cells))
        return cls(zeros(), zeros(), zeros(), zeros(), np.zeros((total_days, n_cells), dtype=bool))

    def record(self, day: int, present: np.ndarray, spend: np.ndarray, visits: np.ndarray, conversions: np.ndarray, revenue: np.ndarray) -> None:
        """Append day `day` (days are logged in order)."""
        if day != self.days_logged:
            raise ValueError(f"day {day} logged after day {self.days_logged - 1}; days are logged in order")
        self.present[day] = present
        self.spend[day] = np.where(present, spend, 0.0)
        self.visits[day] = np.where(present, visits, 0.0)
        self.conversions[day] = np.where(present, conversions, 0.0)
        self.revenue[day] = np.where(present, revenue, 0.0)
        self.days_logged = day + 1

    def copy(self) -> SimulatedLog:
        return SimulatedLog(
            self.spend.copy(), self.visits.copy(), self.conversions.copy(), self.revenue.copy(), self.present.copy(), self.days_logged
        )

    def seen(self) -> LogView:
        """The days logged so far, as read-only views."""
        d = self.days_logged
        views = [a[:d].view() for a in (self.spend, self.visits, self.conversions, self.revenue, self.present)]
        for v in views:
            v.flags.writeable = False
        return LogView(*views)


@dataclass(frozen=True)
class LogView:
    """What a policy sees on day `today` (= len of the arrays): rows of every earlier day, (days, cells)."""

    spend: np.ndarray
    visits: np.ndarray
    conversions: np.ndarray
    revenue: np.ndarray
    present: np.ndarray

    @property
    def today(self) -> int:
        return len(self.spend)

    @property
    def known(self) -> np.ndarray:
        """(cells,) bool: the cell has appeared in the log (a policy can fund it)."""
        return self.present.any(axis=0)

    @property
    def first_seen(self) -> np.ndarray:
        """(cells,) the first logged day of each cell (today for cells not yet seen)."""
        return np.where(self.known, self.present.argmax(axis=0), self.today)

    def rows(self, cells: np.ndarray) -> LogRows:
        """The rows of `cells` (account indices, in the order given) as `build_history` reads the
        frame's: by day, then cell, aged from today; no DataFrame in between."""
        present = self.present[:, cells]
        day, column = np.nonzero(present)
        pick = lambda values: values[:, cells][present]  # noqa: E731
        visits = pick(self.visits)
        return LogRows(
            cell=column, age=self.today - day, spend=pick(self.spend), visits=visits, exposure=visits,
            conversions=pick(self.conversions), revenue=pick(self.revenue),
        )

    def frame(self, account: Account, start_date: dt.date) -> pd.DataFrame:
        """The log as `budgetopt.load_log` returns it: one row per existing cell per day, sorted by date and cell."""
        day, cell = np.nonzero(self.present)
        dates = pd.Timestamp(start_date) + pd.to_timedelta(day, unit="D")
        frame = pd.DataFrame({
            "date": dates.as_unit("us"),
            "campaign": account.campaign[cell].astype(str),
            "segment": account.segment[cell].astype(str),
            "creative": account.creative[cell].astype(str),
            "spend": self.spend[day, cell],
            "visits": self.visits[day, cell],
            "conversions": self.conversions[day, cell],
            "revenue": self.revenue[day, cell],
            "status": "active",
        })
        return frame.sort_values(["date", "campaign", "segment", "creative"], kind="stable").reset_index(drop=True)
