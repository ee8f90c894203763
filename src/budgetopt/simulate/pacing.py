"""Budget periods in the simulator: the `budgetopt` policy paces the scenario's period as `budgetopt plan` does
(what remains of it over the days left, weekday effects fitted on the log so far); every other policy spends it
evenly, period_total ÷ its days each day, as a traffic manager's daily budget = monthly ÷ days does."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from budgetopt.allocate.period import Period, period_of
from budgetopt.config import Policy
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


def log_period(policy: Policy | None, start_date: dt.date, log: LogView, week: np.ndarray | None) -> Period | None:
    """The period on the day after the simulated log's last (None without one): its spend so far and each segment's
    weekday effects `week` (segments, 7), as the History fitted them."""
    if policy is None or not policy.budget.has_period:
        return None
    first = (start_date - EPOCH).days
    day = first + np.arange(log.today)
    as_of = pd.Timestamp(start_date) + pd.Timedelta(days=log.today)
    in_period = (day >= (policy.budget.period_start - EPOCH).days) & (day < first + log.today)
    return period_of(policy, as_of, float(log.spend[in_period].sum()), week)
