"""Wear-out: a creative's conversion rate as a function of how much it has been shown.

Ads tire as their audience sees them again: each creative's rate is modelled as
    rate(day) = rate_tomorrow × exp(b × x(day)),   x = (exposure before that day − exposure so far) / exposure so far
(x runs from −1 on the creative's first day to 0 tomorrow), a Poisson regression of each day's
conversions on x, fitted per creative by Newton's method. The slopes are shrunk by empirical Bayes:
their spread across the account's creatives, net of each slope's own sampling variance, is the prior
(method of moments), so an account where nothing wears out keeps every slope at about 0 and nothing
changes. A day's exposure then counts as exp(b × x) exposures at tomorrow's rate: the conversion
posterior built from the adjusted exposure is a forecast of tomorrow, not an average of the past.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

#: Newton steps of the per-creative regression (converges in 4–6 from b = 0)
NEWTON_STEPS = 8
#: a creative's slope counts towards the account's spread once it has this many conversions
MIN_CONVERSIONS = 10.0
#: the slopes' spread is taken as real only when their sum of squared z-scores passes this χ² quantile
HETEROGENEITY_LEVEL = 0.95
#: weak prior on the raw slope, so a creative with no spread in x stays finite
RAW_SLOPE_SD = 3.0


@dataclass(frozen=True)
class WearOut:
    """Per creative (cells,): the shrunk slope, the raw slope and its standard error; per row, the factor."""

    slope: np.ndarray  # log rate change from the first day to tomorrow (negative: tiring)
    raw_slope: np.ndarray
    raw_se: np.ndarray
    spread: float  # the prior's standard deviation of slopes (empirical Bayes)
    factor: np.ndarray  # (rows,) exp(slope × x): a row's exposure in tomorrow's units


def fit_wear_out(cell: np.ndarray, day: np.ndarray, exposure: np.ndarray, conversions: np.ndarray, n_cells: int) -> WearOut:
    """Fit every creative's wear-out slope from its rows (rows,): cell index, day number (0 = oldest),
    exposure (visits or impressions) and conversions."""
    order = np.lexsort((day, cell))
    so_far = np.bincount(cell, weights=exposure, minlength=n_cells)
    sorted_cell = cell[order]
    running = np.cumsum(np.r_[0.0, exposure[order]])  # exposure before each sorted row, over every cell
    first_of_cell = np.r_[0, np.cumsum(np.bincount(cell, minlength=n_cells))[:-1]]
    before = running[:-1]
    before -= running[first_of_cell][sorted_cell]  # … within its own cell
    before -= so_far[sorted_cell]
    before /= np.maximum(so_far, 1.0)[sorted_cell]
    x = np.empty(len(cell))
    x[order] = before
    del order, sorted_cell, running, before

    with np.errstate(all="ignore"):
        return _fit(cell, exposure, conversions, x, so_far, n_cells)


def _fit(cell: np.ndarray, exposure: np.ndarray, conversions: np.ndarray, x: np.ndarray, so_far: np.ndarray, n_cells: int) -> WearOut:
    """Newton's method per creative, then the empirical-Bayes shrinkage; a slope that is not finite (absurd
    counts) is taken as no wear-out."""
    add = lambda values: np.bincount(cell, weights=values, minlength=n_cells)  # noqa: E731
    total = add(conversions)
    a = np.log((total + 0.5) / (so_far + 1.0))
    b = np.zeros(n_cells)
    prior = 1.0 / RAW_SLOPE_SD**2
    def expected(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """(rows,) exposure × exp(a + b x), computed in place (the rows may be millions)."""
        mu = b[cell]
        mu *= x
        mu += a[cell]
        np.exp(mu, out=mu)
        mu *= exposure
        return mu

    for _ in range(NEWTON_STEPS):
        mu = expected(a, b)
        residual = conversions - mu
        g_a, g_b = add(residual), add(x * residual) - prior * b
        h_aa, h_ab, h_bb = add(mu) + 1e-9, add(x * mu), add(x * x * mu) + prior
        det = h_aa * h_bb - h_ab**2
        a = a + (h_bb * g_a - h_ab * g_b) / det
        b = b + (h_aa * g_b - h_ab * g_a) / det
        a = np.clip(a, -30.0, 5.0)
        b = np.clip(b, -10.0, 10.0)
    mu = expected(a, b)
    h_aa, h_ab, h_bb = add(mu) + 1e-9, add(x * mu), add(x * x * mu) + prior
    se = np.sqrt(h_aa / np.maximum(h_aa * h_bb - h_ab**2, 1e-300))
    usable = np.isfinite(b) & np.isfinite(se) & (se > 0)
    b, se = np.where(usable, b, 0.0), np.where(usable, se, np.inf)
    informative = (total >= MIN_CONVERSIONS) & usable
    k = int(informative.sum())
    spread2 = 0.0
    # slopes that differ from 0 no more than their own noise says (Cochran's Q below its 95th percentile) mean nothing wears out
    if k and np.sum((b[informative] / se[informative]) ** 2) > chi2.ppf(HETEROGENEITY_LEVEL, k):
        spread2 = max(float(np.mean(b[informative] ** 2 - se[informative] ** 2)), 0.0)
    slope = b * spread2 / (spread2 + se**2) if spread2 > 0 else np.zeros(n_cells)
    factor = slope[cell]
    factor *= x
    return WearOut(slope, b, se, float(np.sqrt(spread2)), np.exp(factor, out=factor))
