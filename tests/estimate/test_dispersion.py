"""Day-to-day variation of conversion rates beyond chance: recovered from simulated logs, zero on binomial ones,
and the evidence it leaves gives credible intervals that cover the truth."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import beta

from budgetopt.estimate.dispersion import Dispersion, day_worths, fit_dispersion


def overdispersed_log(rng: np.random.Generator, sigma: float, cells: int = 60, days: int = 45, visits: float = 800.0, trend=None):
    """(cell, day, exposure, conversions) rows and the true rates (cells,): each day's rate × exp(σ z − σ²/2)."""
    rate = rng.uniform(0.01, 0.05, cells)
    exposure = rng.poisson(visits, (days, cells)).astype(float)
    level = np.ones((days, 1)) if trend is None else trend[:, None]
    daily = rate * level * np.exp(sigma * rng.standard_normal((days, cells)) - 0.5 * sigma**2)
    conversions = rng.binomial(exposure.astype(np.int64), np.clip(daily, 0.0, 1.0)).astype(float)
    cell, day = np.tile(np.arange(cells), days), np.repeat(np.arange(days), cells)
    return cell, day, exposure.ravel(), conversions.ravel(), rate


@pytest.mark.parametrize("sigma", [0.15, 0.3, 0.5])
def test_the_spread_of_daily_rates_is_recovered(sigma):
    rng = np.random.default_rng(int(sigma * 100))
    cell, day, exposure, conversions, _ = overdispersed_log(rng, sigma)
    dispersion, worth = day_worths(cell, day, exposure, conversions, 60, 45)
    # the log-normal factor's variance is e^{σ²} − 1 ≈ σ²: its coefficient of variation is what shows
    assert dispersion.spread == pytest.approx(np.sqrt(np.expm1(sigma**2)), rel=0.12)
    assert np.all((worth > 0) & (worth < 1))


@pytest.mark.parametrize("seed", range(8))
def test_binomial_days_keep_their_whole_worth(seed):
    """No variation beyond chance: the estimate is shrunk to exactly 0, every row worth 1 (the plan unchanged)."""
    cell, day, exposure, conversions, _ = overdispersed_log(np.random.default_rng(seed), 0.0)
    dispersion, worth = day_worths(cell, day, exposure, conversions, 60, 45)
    assert dispersion.variance == 0.0
    assert worth == 1.0


def test_a_trend_is_not_noise():
    """Fatigue that halves every rate over the log, and a step of −40 % on day 30: consecutive days hardly differ."""
    days = 45
    trend = 0.5 ** (np.arange(days) / days) * np.where(np.arange(days) < 30, 1.0, 0.6)
    cell, day, exposure, conversions, _ = overdispersed_log(np.random.default_rng(3), 0.0, days=days, trend=trend)
    dispersion, _ = day_worths(cell, day, exposure, conversions, 60, days)
    assert dispersion.spread < 0.08


def test_a_busy_day_weighs_at_most_one_over_the_variance():
    dispersion = Dispersion(variance=0.09, estimate=0.09, standard_error=0.001, pairs=1000)
    expected = np.array([0.1, 1.0, 30.0, 1000.0])
    counted = expected * dispersion.day_worth(expected)
    assert counted[0] == pytest.approx(0.1, rel=0.01)  # a quiet day: nearly all of it
    assert np.all(np.diff(counted) > 0) and counted[-1] < 1 / 0.09


def test_discounted_evidence_covers_the_true_rates():
    """90 % Beta intervals of each cell's mean rate from its days' counts: with each day counted at its worth they
    cover the truth about 90 % of the time; counted as binomial, far less (σ = 0.3, 30 conversions a day)."""
    rng = np.random.default_rng(11)
    covered, naive = [], []
    for _ in range(5):
        cell, day, exposure, conversions, rate = overdispersed_log(rng, 0.3, cells=80, days=30, visits=1000.0)
        _, worth = day_worths(cell, day, exposure, conversions, 80, 30)
        for w, out in ((worth, covered), (1.0, naive)):
            c = np.bincount(cell, weights=conversions * w, minlength=80)
            n = np.bincount(cell, weights=exposure * w, minlength=80)
            low, high = beta.ppf([[0.05], [0.95]], 1 + c, 1 + n - c)
            out.append((low <= rate) & (rate <= high))
    assert 0.85 <= np.mean(covered) <= 0.95
    assert np.mean(naive) < 0.7  # too narrow by about √(1 + 30 σ²) ≈ 1.9: 1.645 / 1.9 sd, 61 % in theory (here 62 %; counted at their worth 91 %)


def test_a_log_without_consecutive_days_says_nothing():
    """One row per creative (an export summed over its period): no pair of days, the binomial kept."""
    dispersion = fit_dispersion(np.arange(5), np.zeros(5, dtype=int), np.full(5, 100.0), np.full(5, 3.0), np.full(5, 0.03), 1)
    assert dispersion.variance == 0.0 and dispersion.pairs == 0
