"""Visits per euro and basket: pooled Gamma posteriors against simulated truth."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from budgetopt.estimate.value import ORDER_CV, basket, per_euro


def test_a_new_creative_starts_at_its_segments_cost_and_basket():
    visits = np.array([2000.0, 2100.0, 0.0, 500.0, 520.0, 0.0])
    spend = np.array([1000.0, 1000.0, 0.0, 1000.0, 1000.0, 0.0])
    group = np.repeat([0, 1], 3)
    mean = per_euro(visits, spend, group).mean()
    assert mean[2] == pytest.approx(2.05, rel=0.02) and mean[5] == pytest.approx(0.51, rel=0.02)
    conversions = np.array([40.0, 50.0, 0.0, 10.0, 12.0, 0.0])
    revenue = conversions * np.array([60.0, 60.0, 1.0, 20.0, 20.0, 1.0])
    assert basket(conversions, revenue, group).mean()[[2, 5]] == pytest.approx([60.0, 20.0], rel=0.05)


def test_visits_per_euro_intervals_cover_the_truth():
    rng = np.random.default_rng(8)
    segments, per = 300, 5
    centre = np.repeat(rng.uniform(0.5, 3.0, segments), per)
    truth = rng.gamma(40.0, centre / 40.0)  # creatives' visits per euro spread ±16 % around the segment's
    spend = rng.uniform(1.0, 400.0, segments * per)
    visits = rng.poisson(truth * spend).astype(float)
    posterior = per_euro(visits, spend, np.repeat(np.arange(segments), per))
    low = stats.gamma.ppf(0.05, posterior.shape, scale=1 / posterior.rate)
    high = stats.gamma.ppf(0.95, posterior.shape, scale=1 / posterior.rate)
    assert 0.86 <= np.mean((low <= truth) & (truth <= high)) <= 0.94


def test_basket_recovers_each_cells_mean_order_value():
    rng = np.random.default_rng(9)
    cells = 500
    truth = np.repeat(rng.uniform(30, 90, 100), 5) * rng.uniform(0.9, 1.1, cells)
    conversions = rng.integers(50, 400, cells).astype(float)
    k = 1 / ORDER_CV**2
    revenue = rng.gamma(conversions * k, truth / k)
    mean = basket(conversions, revenue, np.repeat(np.arange(100), 5)).mean()
    assert np.median(np.abs(mean / truth - 1)) < 0.05
