"""Each segment's saturation spend S, fitted from how its visits per euro fell as its spend rose.

Model: a creative's visits on day d ~ Poisson(λ_c · s_cd · f(T_d / S)), f(x) = (1 − e^(−x)) / x,
where T_d is its segment's total spend that day. For each S on a grid (multiples r of the
segment's mean daily spend) every λ_c has a closed-form maximum; the profile log-likelihood is summed over segments (with a weak hyperprior) to find the
account's typical r, which is then the prior each segment's own evidence moves (a segment whose
spend never varied keeps the account's value; an account where none varied gets the hyperprior's).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.special import xlogy

from budgetopt.estimate.history import CellDays, sum_by
from budgetopt.model.response import saturation_factor

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
    The saturation factor depends only on the segment-day, so the grid is evaluated per
    segment-day and carried to the creatives by one sparse product.
    """
    n_cells = int(days.cell.max()) + 1 if len(days.cell) else 0
    n_segdays = int(days.segment_day.max()) + 1 if len(days.segment_day) else 0
    day_segment = np.zeros(n_segdays, dtype=int)
    day_segment[days.segment_day] = days.segment
    day_total = np.zeros(n_segdays)
    day_total[days.segment_day] = days.segment_spend
    day_visits = np.bincount(days.segment_day, weights=days.visits, minlength=n_segdays)
    spent = day_total > 0
    mean_spend = np.bincount(day_segment, weights=day_total, minlength=n_segments) / np.maximum(
        np.bincount(day_segment, weights=spent.astype(float), minlength=n_segments), 1e-12
    )
    level = np.where(mean_spend > 0, mean_spend, 1.0)  # a segment that never spent: any level (its rows are 0)
    spend_by_day = sparse.csr_matrix((days.spend, (days.cell, days.segment_day)), shape=(n_cells, n_segdays))
    units = np.empty((n_cells, len(RATIO_GRID)))  # what each creative's spend bought, unsaturated, for each S
    day_term = np.empty((n_segments, len(RATIO_GRID)))  # Σ_days V_d log f_d per segment, for each S
    day_level = level[day_segment]
    for g, ratio in enumerate(RATIO_GRID):  # one column at a time: no (segment-days, grid) array
        factor = saturation_factor(day_total, day_level * ratio)
        units[:, g] = spend_by_day @ factor
        day_term[:, g] = np.bincount(day_segment, weights=xlogy(day_visits, np.maximum(factor, 1e-300)), minlength=n_segments)
    visits = np.bincount(days.cell, weights=days.visits, minlength=n_cells)
    rate = visits[:, None] / np.maximum(units, 1e-12)  # (cells, grid) each creative's λ̂
    cell_segment = np.zeros(n_cells, dtype=int)
    cell_segment[days.cell] = days.segment
    # Poisson log-likelihood up to terms that do not depend on S: Σ_c V_c log λ̂_c + Σ_days V_d log f_d
    loglik = sum_by(cell_segment, xlogy(visits[:, None], np.maximum(rate, 1e-300)), n_segments) + day_term
    # visits are overdispersed against Poisson day to day; temper so one noisy day cannot decide
    best = int(np.argmax(loglik.sum(0)))
    best_factor = saturation_factor(day_total, day_level * RATIO_GRID[best])
    expected = rate[days.cell, best] * days.spend * best_factor[days.segment_day]
    loglik = loglik / np.maximum(1.0, _dispersion(days.visits, expected, days.segment, n_segments))[:, None]

    log_r = np.log(np.where(np.isinf(RATIO_GRID), RATIO_GRID[-2] * 4, RATIO_GRID))
    account = loglik.sum(0) - 0.5 * ((log_r - np.log(ACCOUNT_PRIOR_RATIO)) / ACCOUNT_PRIOR_LOG_SD) ** 2
    centre = log_r[np.argmax(account)]
    log_prior = -0.5 * ((log_r - centre) / PRIOR_LOG_SD) ** 2
    post = loglik + log_prior[None, :]
    fitted = RATIO_GRID[np.argmax(post, axis=1)] * mean_spend
    # a segment with no spend yet (new) saturates like the account's median segment, not never
    known = (mean_spend > 0) & np.isfinite(fitted)
    default = float(np.median(fitted[known])) if known.any() else np.inf
    return np.where(mean_spend > 0, fitted, default)


def _dispersion(visits: np.ndarray, expected: np.ndarray, segment: np.ndarray, n_segments: int) -> np.ndarray:
    """Pearson dispersion per segment under the account's best S (≥ 1 means overdispersed)."""
    resid = (visits - expected) ** 2 / np.maximum(expected, 1e-9)
    count = np.maximum(np.bincount(segment, minlength=n_segments) - 2, 1)
    return np.bincount(segment, weights=resid, minlength=n_segments) / count
