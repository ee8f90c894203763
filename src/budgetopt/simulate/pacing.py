"""Budget periods in the simulator: the `budgetopt` policy paces the scenario's period as `budgetopt plan` does
(what remains of it over the days left, weekday effects fitted on the log so far); every other policy spends it
evenly, period_total ÷ its days each day, as a traffic manager's daily budget = monthly ÷ days does."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from budgetopt.allocate.period import Period, period_of
from budgetopt.config import Policy
from budgetopt.estimate import Estimates
from budgetopt.estimate.weekday import both_weekday_effects, weekday_of
from budgetopt.model import saturation_factor
from budgetopt.simulate.log import LogView

EPOCH = dt.date(1970, 1, 1)


def flat_policy(policy: Policy) -> Policy:
    """The policy with its period spent evenly: daily_total = period_total ÷ the period's days (unchanged without a period)."""
    b = policy.budget
    if not b.has_period:
        return policy
    days = (b.period_end - b.period_start).days + 1
    flat = b.model_copy(update={"daily_total": b.period_total / days, "period_total": None, "period_start": None, "period_end": None})
    return policy.model_copy(update={"budget": flat})


def log_week(start_date: dt.date, log: LogView, cells: np.ndarray, estimates: Estimates) -> tuple[np.ndarray, np.ndarray]:
    """(pooled (7,), by segment (segments, 7)) weekday effects of the simulated log's days so far, as plan fits them
    on a log's rows; `cells`: the History's cells in the account's numbering."""
    h = estimates.history
    first = (start_date - EPOCH).days
    day = first + np.arange(log.today)
    spend = h.segment_sum(log.spend[:, cells])  # (days, segments)
    revenue = h.segment_sum(log.revenue[:, cells])
    rows = np.nonzero(spend > 0)
    bought = spend[rows] * saturation_factor(spend[rows], estimates.saturation_spend[rows[1]])
    return both_weekday_effects(day[rows[0]], rows[1], bought, revenue[rows], h.n_segments)


def log_period(policy: Policy | None, start_date: dt.date, log: LogView, week: tuple[np.ndarray, np.ndarray]) -> Period | None:
    """The period on the day after the simulated log's last (None without one): its spend so far and the weekday
    effects `week` (log_week)."""
    if policy is None or not policy.budget.has_period:
        return None
    first = (start_date - EPOCH).days
    day = first + np.arange(log.today)
    as_of = pd.Timestamp(start_date) + pd.Timedelta(days=log.today)
    in_period = (day >= (policy.budget.period_start - EPOCH).days) & (day < first + log.today)
    return period_of(policy, as_of, float(log.spend[in_period].sum()), *week)


def tomorrow_weekday(start_date: dt.date, log: LogView, week: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """(segments,) the weekday effect of the day after the simulated log's last, in each segment."""
    return week[1][:, int(weekday_of(np.array([(start_date - EPOCH).days + log.today]))[0])]
