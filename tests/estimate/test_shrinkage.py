"""Adaptive shrinkage against truth: the mixture it learns, the normal-normal closed form, and calibration."""

import numpy as np

from budgetopt.estimate.shrinkage import (
    NULL_PENALTY,
    adaptive_shrinkage,
    mixture_weights,
    relative_likelihood,
    scale_grid,
)


def _effects(n: int, null: float, sd: float, se: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(truth, estimate): a share `null` of true effects exactly 0, the rest N(0, sd²), each seen with noise se."""
    rng = np.random.default_rng(seed)
    truth = np.where(rng.random(n) < null, 0.0, rng.normal(0.0, sd, n))
    return truth, truth + rng.normal(0.0, se)


def test_the_mixture_learned_is_the_one_that_made_the_effects():
    se = np.full(20_000, 1.0)
    _, estimate = _effects(20_000, null=0.8, sd=2.0, se=se, seed=3)
    _, prior_sd = adaptive_shrinkage(estimate, se)
    assert abs(prior_sd - np.sqrt(0.2 * 4.0)) < 0.05  # the prior's variance: 20 % of effects with variance 4


def test_one_normal_prior_gives_the_closed_form():
    # no zeros and one scale: the posterior mean is the normal-normal b σ² / (σ² + se²)
    se = np.random.default_rng(1).uniform(0.5, 1.5, 20_000)
    _, estimate = _effects(20_000, null=0.0, sd=3.0, se=se, seed=4)
    shrunk, _ = adaptive_shrinkage(estimate, se)
    closed = estimate * 9.0 / (9.0 + se**2)
    assert np.max(np.abs(shrunk - closed)) < 0.05 * np.max(np.abs(closed))


def test_posterior_means_are_calibrated_and_beat_the_raw_estimates():
    se = np.random.default_rng(2).uniform(0.2, 0.6, 4_000)
    truth, estimate = _effects(4_000, null=0.9, sd=1.0, se=se, seed=5)
    shrunk, _ = adaptive_shrinkage(estimate, se)
    assert np.mean((shrunk - truth) ** 2) < 0.5 * np.mean((estimate - truth) ** 2)
    # one normal prior with the moment spread (what wear-out used before) does worse on sparse effects
    spread2 = max(np.mean(estimate**2 - se**2), 0.0)
    assert np.mean((shrunk - truth) ** 2) < np.mean((estimate * spread2 / (spread2 + se**2) - truth) ** 2)
    # E[truth | posterior mean] = posterior mean: large shrunk values are not inflated, small ones not lost
    big = np.abs(shrunk) > 0.5
    assert big.sum() > 100 and abs(np.mean(truth[big] - shrunk[big])) < 0.05
    assert abs(np.mean((truth - shrunk)[big] * np.sign(shrunk[big]))) < 0.05


def test_noise_alone_is_shrunk_to_nothing_and_a_large_effect_survives_among_it():
    se = np.full(50, 0.3)
    _, estimate = _effects(50, null=1.0, sd=1.0, se=se, seed=6)
    shrunk, prior_sd = adaptive_shrinkage(estimate, se)
    assert prior_sd < 0.01 and np.max(np.abs(shrunk)) < 0.01
    estimate[0] = -1.5  # one effect 5 se from zero among 49 of noise
    shrunk, _ = adaptive_shrinkage(estimate, se)
    assert shrunk[0] < -1.2  # kept nearly whole: one normal prior with the moment spread keeps a third (-0.53)
    assert np.all(np.abs(shrunk[1:]) < 0.25 * np.abs(estimate[1:])) and np.median(np.abs(shrunk[1:])) < 0.01


def test_unknown_effects_and_effects_left_out_of_the_fit():
    effect = np.array([0.5, -2.0, 3.0, 0.1])
    se = np.array([np.inf, 0.2, 0.2, 0.2])
    shrunk, _ = adaptive_shrinkage(effect, se, fitted=np.array([True, True, True, False]))
    assert shrunk[0] == 0.0  # nothing known: its prior mean
    assert np.isfinite(shrunk).all() and abs(shrunk[3]) < 0.1  # shrunk by a prior it did not help fit
    shrunk, prior_sd = adaptive_shrinkage(effect, se, fitted=np.zeros(4, dtype=bool))
    assert prior_sd == 0.0 and np.all(shrunk == 0.0)  # no effect to learn a prior from: nothing moves


def test_the_weights_are_a_distribution_on_a_grid_that_covers_the_effects():
    se = np.array([0.1, 0.4, 0.2])
    effect = np.array([0.0, 2.0, -0.3])
    grid = scale_grid(effect, se)
    assert grid[0] == 0.0 and grid[1] <= 0.01 + 1e-12 and grid[-1] >= 2.0 * np.sqrt(4.0 - 0.16)
    weights = mixture_weights(np.random.default_rng(0).random((10, len(grid))))
    assert np.all(weights >= 0) and abs(weights.sum() - 1.0) < 1e-12


def _penalised_loglik(weights: np.ndarray, likelihood: np.ndarray) -> float:
    with np.errstate(divide="ignore"):
        return float(np.log(likelihood @ weights).sum() + (NULL_PENALTY - 1.0) * np.log(weights[0]))


def test_the_weights_fit_reaches_the_optimum_that_em_crawls_to():
    se = np.random.default_rng(7).uniform(0.05, 1.0, 500)
    for null in (0.95, 1.0):
        _, estimate = _effects(500, null=null, sd=1.0, se=se, seed=8)
        likelihood = relative_likelihood(estimate, se, scale_grid(estimate, se))
        em = np.full(likelihood.shape[1], 1.0 / likelihood.shape[1])
        prior = np.r_[NULL_PENALTY, np.ones(likelihood.shape[1] - 1)]
        for _ in range(5_000):  # expectation-maximisation: slow near the zeros, but every step is an ascent
            em = np.maximum(em * (likelihood.T @ (1.0 / (likelihood @ em))) + prior - 1.0, 0.0)
            em /= em.sum()
        weights = mixture_weights(likelihood)
        assert _penalised_loglik(weights, likelihood) > _penalised_loglik(em, likelihood) - 1e-3
        assert np.max(np.abs(weights - em)) < 1e-3
