"""Saturation spend recovered from simulated segments whose budgets varied."""

from __future__ import annotations

import numpy as np
import pytest

from budgetopt.estimate.history import CellDays
from budgetopt.estimate.saturation import ACCOUNT_PRIOR_RATIO, fit_saturation
from budgetopt.model.response import saturation_factor


def one_creative_each(segment: np.ndarray, spend: np.ndarray, visits: np.ndarray) -> CellDays:
    """Rows of segments with a single creative: the cell is the segment."""
    return CellDays(cell=segment, segment=segment, segment_day=np.arange(len(segment)), segment_spend=spend, spend=spend, visits=visits)


def test_recovers_saturation_when_spend_varies():
    rng = np.random.default_rng(4)
    truth = np.array([200.0, 500.0, 1500.0, 4000.0])
    segment = np.repeat(np.arange(4), 60)
    spend = truth[segment] * rng.uniform(0.3, 1.7, 240) * 0.8
    visits = rng.poisson(2.0 * spend * saturation_factor(spend, truth[segment])).astype(float)
    fitted = fit_saturation(one_creative_each(segment, spend, visits), 4)
    # a grid step is 17 %; day-to-day noise on 60 days keeps the fit within two steps
    assert fitted == pytest.approx(truth, rel=0.4)


def test_constant_spend_falls_back_to_the_account_prior():
    segment = np.repeat([0, 1], 20)
    fitted = fit_saturation(one_creative_each(segment, np.full(40, 100.0), np.full(40, 150.0)), 2)
    assert fitted == pytest.approx(np.full(2, ACCOUNT_PRIOR_RATIO * 100.0), rel=0.1)


def test_a_shift_to_a_dearer_creative_is_not_mistaken_for_saturation():
    """No saturation at all; the segment's budget grows while its mix moves to a creative whose
    visits cost twice as much, so the segment's visits per euro fall as its spend rises."""
    rng = np.random.default_rng(12)
    days = 60
    budget = np.linspace(200, 600, days)
    dear_share = np.linspace(0.1, 0.9, days)
    spend = np.column_stack([budget * (1 - dear_share), budget * dear_share]).ravel()  # cells 0 (cheap), 1 (dear)
    cell = np.tile([0, 1], days)
    visits = rng.poisson(spend / np.array([0.4, 0.8])[cell]).astype(float)
    rows = CellDays(
        cell=cell, segment=np.zeros(2 * days, int), segment_day=np.repeat(np.arange(days), 2),
        segment_spend=np.repeat(budget, 2), spend=spend, visits=visits,
    )
    fitted = fit_saturation(rows, 1)
    assert fitted[0] > 10 * budget.mean()  # at most a mild curvature over this range (inf is the truth)


def test_a_segment_that_never_spent_saturates_like_the_accounts_median_segment():
    rng = np.random.default_rng(4)
    truth = np.array([300.0, 600.0, 900.0])
    segment = np.repeat(np.arange(3), 40)
    spend = truth[segment] * rng.uniform(0.3, 1.7, 120)
    visits = rng.poisson(2.0 * spend * saturation_factor(spend, truth[segment])).astype(float)
    # a fourth segment launched today: one row, nothing spent
    rows = one_creative_each(np.r_[segment, 3], np.r_[spend, 0.0], np.r_[visits, 0.0])
    with np.errstate(all="raise"):
        fitted = fit_saturation(rows, 4)
    assert fitted[3] == pytest.approx(np.median(fitted[:3]))
