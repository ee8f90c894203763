"""How fast the account changes, learned from the log: a posterior over a grid of half-lives.

Each half-life h is a model of time: a day `a` days old counts 0.5^((a − 1) / h). For every segment,
each model predicts every recent day's conversions of every creative from the days before it (a
Beta-binomial one-step-ahead forecast: the creative's discounted conversions and exposure on a prior
centred on its segment's discounted rate), and the segment's half-lives are weighted by how well they
predicted (Bayesian model averaging: weight ∝ prior × exp(log predictive score), the prior giving no
decay STATIONARY_PRIOR and the finite half-lives the rest evenly). A stable segment keeps a long memory;
a segment whose best creative wears out, a short one; a segment with too little data to tell stays
close to the prior, a mixture in which no decay weighs half.

The day weights a segment's estimates use are the model-averaged kernel Σ_h w_h 0.5^((a − 1) / h).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from budgetopt.model import segment_sums

#: the half-lives compared, in days (inf: no decay)
HALF_LIVES = (2.0, 4.0, 7.0, 14.0, 28.0, np.inf)
#: prior probability of no decay (a stationary segment); the finite half-lives share the rest evenly. A segment
#: is taken as stable until its forecasts say otherwise: with a uniform prior a segment too thin to tell kept a
#: ~10-day memory and threw away most of its evidence (sparse.toml: 75.7 → 77.8 % of the oracle over 80
#: paired replications with 0.5; the worlds that change within ±0.3)
STATIONARY_PRIOR = 0.5
#: the most recent days whose forecasts are scored
SCORE_DAYS = 28
#: strength of each creative's prior around its segment's rate, in conversions
PRIOR_CONVERSIONS = 2.0


@dataclass(frozen=True)
class Forgetting:
    """Per segment, the weight of each half-life (segments, grid) and their log predictive scores."""

    half_lives: np.ndarray  # (grid,) days
    weight: np.ndarray  # (segments, grid), rows sum to 1
    score: np.ndarray  # (segments, grid) log predictive density of the scored days (higher: better)
    days_scored: int

    def kernel(self, max_age: int) -> np.ndarray:
        """(segments, max_age + 1) the weight of a day by its age (yesterday = 1 → 1; index 0 unused)."""
        age = np.arange(max_age + 1, dtype=float)
        decay = np.where(np.isinf(self.half_lives)[:, None], 1.0, 0.5 ** ((age[None, :] - 1) / self.half_lives[:, None]))
        return self.weight @ decay

    def effective_half_life(self, max_age: int) -> np.ndarray:
        """(segments,) the age at which the averaged kernel falls to one half, days (inf: not within max_age)."""
        kernel = self.kernel(max_age)[:, 1:]
        below = kernel <= 0.5
        return np.where(below.any(1), below.argmax(1) + 1.0, np.inf)


def fixed(half_life_days: float, n_segments: int) -> Forgetting:
    """One half-life for every segment (the policy's `half_life_days` set to a number)."""
    return Forgetting(np.array([half_life_days]), np.ones((n_segments, 1)), np.zeros((n_segments, 1)), 0)


def learn_forgetting(
    cell: np.ndarray, day: np.ndarray, exposure: np.ndarray, conversions: np.ndarray,
    segment_index: np.ndarray, segment_start: np.ndarray, n_days: int, half_lives: tuple[float, ...] = HALF_LIVES,
) -> Forgetting:
    """The posterior over `half_lives` per segment from the log's rows (rows,): cell index, day number
    (0 = the oldest day, n_days − 1 = yesterday), exposure (visits or impressions, already discounted
    for conversions not yet reported) and conversions. Cells are laid out segment by segment:
    segment_index (cells,), segment_start (segments,) as in a History."""
    n_cells, n_segments = len(segment_index), len(segment_start)
    sums = lambda values: segment_sums(values, segment_index, n_segments, segment_start)  # noqa: E731
    grid = np.asarray(half_lives, dtype=float)
    delta = np.where(np.isinf(grid), 1.0, 0.5 ** (1.0 / grid))[:, None]  # (grid, 1) one day's decay
    flat = day * n_cells + cell
    seen = np.bincount(flat, weights=exposure, minlength=n_days * n_cells).reshape(n_days, n_cells)
    converted = np.bincount(flat, weights=conversions, minlength=n_days * n_cells).reshape(n_days, n_cells)
    seen = np.maximum(seen, converted)  # an export may show more conversions than visits on a day
    account_rate = (converted.sum() + 0.5) / (seen.sum() + 1.0)
    first_scored = max(1, n_days - SCORE_DAYS)
    with np.errstate(all="ignore"):
        score = _scores(seen, converted, delta, first_scored, segment_index, sums, account_rate)
    by_segment = np.nan_to_num(sums(score).T, nan=0.0, posinf=0.0, neginf=0.0)  # absurd counts: no half-life preferred
    posterior = by_segment + np.log(_prior(grid))[None, :]
    weight = np.exp(posterior - posterior.max(1, keepdims=True))
    return Forgetting(grid, weight / weight.sum(1, keepdims=True), by_segment, n_days - first_scored)


def _prior(grid: np.ndarray) -> np.ndarray:
    """(grid,) prior probability of each half-life: STATIONARY_PRIOR on no decay (uniform without it in the grid)."""
    stationary = np.isinf(grid)
    if not stationary.any() or stationary.all():
        return np.full(len(grid), 1.0 / len(grid))
    return np.where(stationary, STATIONARY_PRIOR / stationary.sum(), (1.0 - STATIONARY_PRIOR) / (~stationary).sum())


def _scores(seen, converted, delta, first_scored, segment_index, sums, account_rate) -> np.ndarray:
    """(grid, cells) each half-life's log predictive score over the scored days (days × cells arrays in)."""
    n_days, n_cells = seen.shape
    exposure_sum = np.zeros((len(delta), n_cells))
    conversion_sum = np.zeros((len(delta), n_cells))
    score = np.zeros((len(delta), n_cells))
    for d in range(n_days):
        if d >= first_scored:
            score += _log_predictive(seen[d], converted[d], exposure_sum, conversion_sum, segment_index, sums, account_rate)
        exposure_sum = delta * exposure_sum + seen[d]
        conversion_sum = delta * conversion_sum + converted[d]
    return score


def _log_predictive(
    n: np.ndarray, c: np.ndarray, exposure_sum: np.ndarray, conversion_sum: np.ndarray,
    segment_index: np.ndarray, sums, account_rate: float,
) -> np.ndarray:
    """(grid, cells) log Beta-binomial probability of today's conversions `c` out of `n` (cells,) under
    each half-life's posterior (the binomial coefficient, the same for every model, left out)."""
    # the segment's discounted rate, itself shrunk to the account's by one pseudo-conversion
    centre = (sums(conversion_sum) + 1.0) / (sums(exposure_sum) + 1.0 / account_rate)
    prior_beta = PRIOR_CONVERSIONS * (1.0 - centre) / centre
    alpha = PRIOR_CONVERSIONS + conversion_sum
    beta = prior_beta[:, segment_index] + np.maximum(exposure_sum - conversion_sum, 0.0)
    active = n > 0
    if not active.any():
        return np.zeros_like(alpha)
    a, b, nn, cc = alpha[:, active], beta[:, active], n[active], c[active]
    out = np.zeros_like(alpha)
    out[:, active] = (
        gammaln(cc + a) + gammaln(nn - cc + b) - gammaln(nn + a + b) - gammaln(a) - gammaln(b) + gammaln(a + b)
    )
    return out
