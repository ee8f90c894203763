"""Probe budgets are kept until a segment's own log shows a loss (plan/probes.py)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import stats

from budgetopt.config import policy_from_dict
from budgetopt.plan import plan_day
from budgetopt.plan.probes import LossEvidence
from tests.estimate.test_posterior import log_of


def test_the_loss_test_is_the_poisson_tail_at_break_even():
    evidence = LossEvidence(np.array([0.0, 1.0, 4.0]), np.array([300.0, 100.0, 600.0]), np.array([60.0, 60.0, 60.0]))
    assert evidence.break_even() == pytest.approx([5.0, 5 / 3, 10.0])
    assert evidence.p_value() == pytest.approx(stats.poisson.cdf([0, 1, 4], [5.0, 5 / 3, 10.0]), rel=1e-12)


def _log(thin_spend: float, thin_orders: list[float]) -> object:
    """'rich' converts plenty at 60 an order; 'thin' spends `thin_spend` a day for 10 days, its orders on the first days."""
    rows = []
    for day in range(10):
        rows.append((day, "rich", "r", 90.0, 200, 8, 8 * 60.0))
        order = thin_orders[day] if day < len(thin_orders) else 0.0
        rows.append((day, "thin", "t", thin_spend, 2 * thin_spend, 1 if order else 0, order))
    return log_of(rows)


SETTINGS = {"budget": {"daily_total": 100.0, "max_daily_change": float("inf")}, "segments": {"optimism": 0.0}}


def _thin(result) -> tuple[float, str]:
    row = [s for s in result.summary["segments"] if s["segment"] == "thin"][0]
    return result.plan.set_index("segment").loc["thin", "spend"], row["limited_by"]


def test_one_cheap_order_is_not_evidence_of_a_loss():
    """100 spent, one order of 15 where 60 is the account's basket: the posterior leans low, but a segment that
    broke even would show as few conversions half the time: it keeps its probe and says why."""
    spend, limited = _thin(plan_day(_log(10.0, [15.0]), policy_from_dict(SETTINGS)))
    assert spend >= 0.5 * 100.0 / 2 - 0.01
    assert re.search(r"probe: thin evidence \([0-9.]+ conversions where [0-9.]+ would break even\)", limited)  # days weighted


def test_a_loss_the_log_shows_is_cut():
    """600 spent and no order where 10 would have paid for it: P(0 | break-even) ≈ e^-10, so no probe."""
    spend, limited = _thin(plan_day(_log(60.0, []), policy_from_dict(SETTINGS)))
    assert spend < 0.5 * 100.0 / 2
    assert "probe" not in limited
