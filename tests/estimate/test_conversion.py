"""Conversion-rate posteriors against their closed forms and against simulated truth."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from budgetopt.estimate import conversion
from budgetopt.estimate.conversion import pooled, unpooled
from budgetopt.estimate.history import day_weights, lag_completeness

#: exactness of the unpooled posterior (issue 3: equal the exact Beta posterior to 1e-6)
EXACT = 1e-6


def test_unpooled_is_the_exact_beta_posterior():
    x, n = np.array([0.0, 3.0, 40.0, 250.0]), np.array([10.0, 100.0, 1000.0, 5000.0])
    posterior = unpooled(x, n, 1.0, 1.0)
    exact = stats.beta(1 + x, 1 + n - x)
    assert posterior.mean() == pytest.approx(exact.mean(), abs=EXACT)
    assert posterior.quantile(0.05) == pytest.approx(exact.ppf(0.05), abs=EXACT)
    assert posterior.quantile(0.95) == pytest.approx(exact.ppf(0.95), abs=EXACT)


def test_unpooled_draws_follow_the_posterior():
    posterior = unpooled(np.array([30.0]), np.array([1000.0]), 2.0, 3.0)
    draws = posterior.draws(np.random.default_rng(1), 20_000)[:, 0]
    assert stats.kstest(draws, stats.beta(32, 973).cdf).pvalue > 0.01


def test_pooled_new_creative_starts_near_its_segment():
    # segment 0 converts at ~5 %, segment 1 at ~1 %; the last cell of each has no visits yet
    x = np.array([50.0, 48.0, 52.0, 0.0, 10.0, 9.0, 11.0, 0.0])
    n = np.array([1000.0, 1000.0, 1000.0, 0.0, 1000.0, 1000.0, 1000.0, 0.0])
    group = np.repeat([0, 1], 4)
    mean = pooled(x, n, group).mean()
    assert mean[3] == pytest.approx(0.05, rel=0.15)
    assert mean[7] == pytest.approx(0.01, rel=0.15)


def test_pooled_weights_are_a_distribution_and_draws_are_reproducible():
    rng = np.random.default_rng(3)
    n = rng.integers(0, 2000, 30).astype(float)
    x = rng.binomial(n.astype(int), 0.03).astype(float)
    posterior = pooled(x, n, np.repeat(np.arange(6), 5))
    assert posterior.weight.sum(1) == pytest.approx(np.ones(6))
    first = posterior.draws(np.random.default_rng(9), 50)
    assert np.array_equal(first, posterior.draws(np.random.default_rng(9), 50))
    assert np.all((first > 0) & (first < 1))


def test_pooled_intervals_cover_the_truth():
    """Simulated truth: 200 segments × 5 creatives, rates drawn around each segment's rate."""
    rng = np.random.default_rng(2026)
    segments, per = 200, 5
    segment_rate = rng.uniform(0.01, 0.06, segments)
    kappa = rng.choice([50.0, 300.0, 3000.0], segments)
    truth = rng.beta(np.repeat(segment_rate * kappa, per), np.repeat((1 - segment_rate) * kappa, per))
    visits = rng.integers(20, 3000, segments * per).astype(float)
    conversions = rng.binomial(visits.astype(int), truth).astype(float)
    posterior = pooled(conversions, visits, np.repeat(np.arange(segments), per))
    inside = (posterior.quantile(0.05) <= truth) & (truth <= posterior.quantile(0.95))
    assert 0.86 <= inside.mean() <= 0.94


def test_decay_and_lag_weights():
    age = np.array([1, 2, 15, 29])
    assert day_weights(age, 14.0) == pytest.approx([1.0, 0.5 ** (1 / 14), 0.5, 0.25])
    assert day_weights(age, np.inf) == pytest.approx(np.ones(4))
    assert lag_completeness(age, (0.5, 0.8)) == pytest.approx([0.5, 0.8, 1.0, 1.0])


def test_trigamma_matches_scipy():
    from scipy.special import polygamma

    from budgetopt.estimate.conversion import trigamma

    x = np.r_[np.geomspace(1e-3, 1e6, 500), 5.999, 6.0, 6.001]
    assert trigamma(x) == pytest.approx(polygamma(1, x), rel=2e-9)


def test_components_are_drawn_with_their_weights():
    rng = np.random.default_rng(8)
    weight = np.zeros((4, 6))
    weight[0, :2] = [0.9, 0.1]  # two components and four padded zeros
    weight[1] = rng.dirichlet(np.ones(6))
    weight[2, 3] = 1.0
    weight[3] = [0.5, 0.0, 0.2, 0.0, 0.0, 0.3]
    drawn = conversion._draw_components(weight, rng, 200_000)
    frequency = np.stack([np.bincount(drawn[:, g], minlength=6) for g in range(4)]) / 200_000
    assert frequency == pytest.approx(weight, abs=0.004)  # binomial sd ≤ 0.0012
    assert np.all(frequency[weight == 0] == 0)  # a zero weight is never drawn


@pytest.mark.parametrize("successes, trials", [(2.0, 4000.0), (0.0, 900.0), (25.0, 60.0), (3.0, 20.0)], ids=["few conversions", "none", "high rate", "few visits"])
def test_draws_follow_the_exact_beta(successes, trials):
    """Many non-converting visits: G_β log-normal (see BetaMixture.draws); few: exact Beta variates."""
    posterior = unpooled(np.array([successes, 10.0]), np.array([trials, 500.0]), 1.0, 1.0)
    drawn = posterior.draws(np.random.default_rng(4), 1_000_000)[:, 0]  # quantile error at 1 %: about 0.3 % (sd)
    exact = stats.beta(1.0 + successes, 1.0 + trials - successes)
    for q in (0.01, 0.05, 0.5, 0.95, 0.99):
        assert np.quantile(drawn, q) == pytest.approx(exact.ppf(q), rel=0.01)
    assert drawn.mean() == pytest.approx(exact.mean(), rel=0.005)


def test_thin_segment_leans_on_its_campaign_as_far_as_the_account_says_segments_differ():
    """A segment of two ads with one conversion each on 152 unpaid impressions (a real Facebook export's
    quirk, 180× its campaign's rate). Its campaign's 120 measured segments stray by a factor of about 1.5
    (sd 0.4) and their ads by a few %: the thin ads are believed a few times their campaign's rate, where
    a fixed, wide prior on the segment and a κ of its own two ads let them keep 79× (now 2.2×)."""
    rng = np.random.default_rng(5)
    measured = 120
    segment_rate = np.repeat(np.exp(np.log(4e-5) + rng.normal(0.0, 0.4, measured)), 2)
    visits = np.r_[rng.integers(300_000, 2_000_000, 2 * measured).astype(float), 152.0, 152.0]
    conversions = np.r_[rng.binomial(visits[:-2].astype(int), segment_rate * rng.uniform(0.95, 1.05, 2 * measured)), 1.0, 1.0]
    group = np.repeat(np.arange(measured + 1), 2)
    parent = np.zeros(measured + 1, dtype=int)
    campaign_rate = conversions.sum() / visits.sum()
    thin = pooled(conversions, visits, group, parent).mean()[-2:]
    assert np.all(thin < 5 * campaign_rate)
    alone = pooled(conversions[-2:], visits[-2:], np.zeros(2, dtype=int), parent=None).mean()
    assert np.all(alone > 20 * campaign_rate)  # the same segment with no campaign to lean on
