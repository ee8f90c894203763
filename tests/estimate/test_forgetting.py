"""The learned half-life: short where rates change, long where they do not (simulated logs, fixed seeds)."""

import numpy as np
import pytest

from budgetopt.estimate.forgetting import (
    HALF_LIVES,
    STATIONARY_PRIOR,
    fixed,
    learn_forgetting,
)
from budgetopt.estimate.history import day_weights


def _log(rates_by_day: np.ndarray, visits: float, seed: int):
    """Rows (cell, day, exposure, conversions) of cells with the given true rates (days, cells)."""
    rng = np.random.default_rng(seed)
    days, cells = rates_by_day.shape
    day, cell = np.divmod(np.arange(days * cells), cells)
    exposure = np.full(days * cells, visits)
    conversions = rng.binomial(int(visits), rates_by_day.ravel()).astype(float)
    return cell, day, exposure, conversions


def _weights(rates_by_day: np.ndarray, segment_index: np.ndarray, seed: int = 1, visits: float = 2000.0):
    cell, day, exposure, conversions = _log(rates_by_day, visits, seed)
    segment_start = np.flatnonzero(np.r_[True, segment_index[1:] != segment_index[:-1]])
    return learn_forgetting(cell, day, exposure, conversions, segment_index, segment_start, rates_by_day.shape[0])


def test_a_stable_segment_keeps_a_long_memory_and_a_changing_one_forgets():
    days = 60
    stable = np.full((days, 3), 0.03)
    changing = np.full((days, 3), 0.03)
    changing[: days // 2 + 15, 0] = 0.05  # the leader's rate drops by 40 % fifteen days before the end
    f = _weights(np.hstack([stable, changing]), np.repeat([0, 1], 3))
    grid = np.asarray(HALF_LIVES)
    assert f.weight[1, grid <= 7].sum() > 0.99
    assert f.weight[0, grid >= 14].sum() > 0.5  # with plenty of data, 7 and 28 days forecast a steady rate almost equally well
    half = f.effective_half_life(days)
    assert half[1] <= 7 and half[0] >= 14


def test_little_data_leaves_the_weights_near_the_prior_which_keeps_the_evidence():
    """A handful of conversions singles out no half-life: the weights stay near the prior (no decay half of it),
    so a thin segment is not made to forget: its days weigh at least half at any age."""
    f = _weights(np.full((10, 2), 0.002), np.zeros(2, dtype=int), visits=50.0)
    grid = np.asarray(HALF_LIVES)
    prior = np.where(np.isinf(grid), STATIONARY_PRIOR, (1 - STATIONARY_PRIOR) / (len(grid) - 1))
    assert f.weight[0] == pytest.approx(prior, abs=0.1)
    assert f.kernel(365)[0, 1:].min() >= STATIONARY_PRIOR - 0.1


def test_weights_are_a_distribution_and_scores_are_finite():
    f = _weights(np.full((30, 4), 0.02), np.array([0, 0, 1, 1]))
    assert np.allclose(f.weight.sum(1), 1.0)
    assert np.isfinite(f.score).all()
    assert f.days_scored == 28


@pytest.mark.parametrize("half_life", [3.0, 14.0, np.inf])
def test_a_fixed_half_life_weighs_days_exactly_as_before(half_life):
    age = np.arange(1, 40)
    kernel = fixed(half_life, 2).kernel(40)
    assert np.array_equal(kernel[1, age], day_weights(age, half_life))
