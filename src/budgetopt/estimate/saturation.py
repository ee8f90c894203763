"""Each segment's saturation spend S, fitted from how its visits per euro fell as its spend rose.

Model: segment visits on day d ~ Poisson(λ · T_d · f(T_d / S)), f(x) = (1 − e^(−x)) / x.
For each S on a grid (multiples r of the segment's mean daily spend) λ has a closed-form
maximum; the profile log-likelihood is summed over segments (with a weak hyperprior) to find the
account's typical r, which is then the prior each segment's own evidence moves (a segment whose
spend never varied keeps the account's value; an account where none varied gets the hyperprior's).
"""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

from budgetopt.allocate.response import saturation_factor

#: multiples of a segment's mean daily spend tried for S; the last, inf, is "no saturation"
RATIO_GRID = np.r_[np.geomspace(0.25, 40.0, 33), np.inf]
#: how far (in log r) a segment's S may move from the account's before its data must insist
PRIOR_LOG_SD = 0.7
#: weak hyperprior on the account's typical r (S = 3 × mean daily spend: the first euro buys 1.7×
#: the visits of the last at the usual spend), decisive only when no segment's spend ever varied
ACCOUNT_PRIOR_RATIO = 3.0
ACCOUNT_PRIOR_LOG_SD = 1.5


def fit_saturation(day_segment: np.ndarray, day_spend: np.ndarray, day_visits: np.ndarray, n_segments: int) -> np.ndarray:
    """(segments,) saturation spend S in currency per day; inf where the data show no saturation.

    Inputs are (segment_days,) arrays: the segment of each day, its total spend and visits.
    """
    mean_spend = np.bincount(day_segment, weights=day_spend, minlength=n_segments) / np.maximum(
        np.bincount(day_segment, minlength=n_segments), 1
    )
    scale = mean_spend[day_segment][:, None] * RATIO_GRID[None, :]  # (segment_days, grid)
    units = day_spend[:, None] * saturation_factor(day_spend[:, None], scale)
    visits_sum = np.bincount(day_segment, weights=day_visits, minlength=n_segments)
    units_sum = np.stack([np.bincount(day_segment, weights=units[:, k], minlength=n_segments) for k in range(units.shape[1])], 1)
    rate = visits_sum[:, None] / np.maximum(units_sum, 1e-12)  # (segments, grid) λ̂
    expected = rate[day_segment] * units
    loglik_rows = xlogy(day_visits[:, None], np.maximum(expected, 1e-300)) - expected
    loglik = np.stack([np.bincount(day_segment, weights=loglik_rows[:, k], minlength=n_segments) for k in range(units.shape[1])], 1)
    # visits are overdispersed against Poisson day to day; temper so one noisy day cannot decide
    loglik = loglik / np.maximum(1.0, _dispersion(loglik_rows, day_visits, expected, day_segment, n_segments))[:, None]

    log_r = np.log(np.where(np.isinf(RATIO_GRID), RATIO_GRID[-2] * 4, RATIO_GRID))
    account = loglik.sum(0) - 0.5 * ((log_r - np.log(ACCOUNT_PRIOR_RATIO)) / ACCOUNT_PRIOR_LOG_SD) ** 2
    centre = log_r[np.argmax(account)]
    log_prior = -0.5 * ((log_r - centre) / PRIOR_LOG_SD) ** 2
    post = loglik + log_prior[None, :]
    post = np.exp(post - post.max(1, keepdims=True))
    post /= post.sum(1, keepdims=True)
    best = RATIO_GRID[np.argmax(post, axis=1)]
    return np.where(mean_spend > 0, best * mean_spend, np.inf)


def _dispersion(loglik_rows, day_visits, expected, day_segment, n_segments) -> np.ndarray:
    """Pearson dispersion per segment under the best-fitting S (≥ 1 means overdispersed)."""
    resid = (day_visits[:, None] - expected) ** 2 / np.maximum(expected, 1e-9)
    best = np.argmax(loglik_rows.sum(0))
    count = np.maximum(np.bincount(day_segment, minlength=n_segments) - 2, 1)
    return np.bincount(day_segment, weights=resid[:, best], minlength=n_segments) / count
