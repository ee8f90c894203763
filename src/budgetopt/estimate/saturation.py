"""Each segment's saturation spend S, fitted from how its visits per euro fell as its spend rose.

Model: a creative's visits on day d ~ Poisson(λ_c · s_cd · f(T_d / S)), f(x) = (1 − e^(−x)) / x,
where T_d is its segment's total spend that day. For each S on a grid (multiples r of the
segment's mean daily spend) every λ_c has a closed-form maximum; the profile log-likelihood is summed over segments (with a weak hyperprior) to find the
account's typical r, which is then the prior each segment's own evidence moves (a segment whose
spend never varied keeps the account's value; an account where none varied gets the hyperprior's).
"""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

from budgetopt.allocate.response import saturation_factor
from budgetopt.estimate.history import CellDays

#: multiples of a segment's mean daily spend tried for S; the last, inf, is "no saturation"
RATIO_GRID = np.r_[np.geomspace(0.25, 40.0, 33), np.inf]
#: how far (in log r) a segment's S may move from the account's before its data must insist
PRIOR_LOG_SD = 0.7
#: weak hyperprior on the account's typical r (S = 3 × mean daily spend: the first euro buys 1.7×
#: the visits of the last at the usual spend), decisive only when no segment's spend ever varied
ACCOUNT_PRIOR_RATIO = 3.0
ACCOUNT_PRIOR_LOG_SD = 1.5


def fit_saturation(days: CellDays, n_segments: int) -> np.ndarray:
    """(segments,) saturation spend S in currency per day; inf where the data show no saturation.

    Each creative keeps its own visits per euro (profiled out in closed form for every S on the
    grid), so a segment whose mix moved to a dearer creative is not mistaken for a saturating one.
    """
    segment, spend, visits = days.segment, days.spend, days.visits
    n_cells = int(days.cell.max()) + 1 if len(days.cell) else 0
    # a segment's mean daily spend over the days it spent: each row adds its share of its day's total
    share_of_day = np.divide(spend, days.segment_spend, out=np.zeros_like(spend), where=days.segment_spend > 0)
    spent_days = np.bincount(segment, weights=share_of_day, minlength=n_segments)
    mean_spend = np.bincount(segment, weights=spend, minlength=n_segments) / np.maximum(spent_days, 1e-12)
    scale = mean_spend[segment][:, None] * RATIO_GRID[None, :]  # (rows, grid)
    units = spend[:, None] * saturation_factor(days.segment_spend[:, None], scale)
    grid = range(units.shape[1])
    visits_sum = np.bincount(days.cell, weights=visits, minlength=n_cells)
    units_sum = np.stack([np.bincount(days.cell, weights=units[:, k], minlength=n_cells) for k in grid], 1)
    rate = visits_sum[:, None] / np.maximum(units_sum, 1e-12)  # (cells, grid) each creative's λ̂
    expected = rate[days.cell] * units
    loglik_rows = xlogy(visits[:, None], np.maximum(expected, 1e-300)) - expected
    loglik = np.stack([np.bincount(segment, weights=loglik_rows[:, k], minlength=n_segments) for k in grid], 1)
    # visits are overdispersed against Poisson day to day; temper so one noisy day cannot decide
    loglik = loglik / np.maximum(1.0, _dispersion(loglik_rows, visits, expected, segment, n_segments))[:, None]

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
