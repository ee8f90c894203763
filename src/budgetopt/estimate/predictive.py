"""A day's conversions given its visits: the Beta-binomial predictive of a cell's conversion-rate posterior.

A cell whose rate has the posterior Σ_k w_k Beta(α_k, β_k) (a BetaMixture) converts x of n visits with
probability
    p(x | n) = Σ_k w_k C(n, x) B(x + α_k, n − x + β_k) / B(α_k, β_k),
the forecast of a held-out day: its log is the day's predictive score, its CDF says whether the day fell
inside the forecast's interval (see benchmarks/study_forecasts.py).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, gammaln

from budgetopt.estimate.conversion import BetaMixture

#: entries of the (pairs, counts) table summed at a time by `cdf` (32 MB of float64)
CDF_BLOCK = 4_000_000


def _pairs(rate: BetaMixture, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pair indices of `cells`' mixture components, the position in `cells` each pair belongs to)."""
    per_cell = np.diff(np.r_[rate.offset, len(rate.alpha)])[cells]
    owner = np.repeat(np.arange(len(cells)), per_cell)
    first = np.r_[0, np.cumsum(per_cell)[:-1]]
    return rate.offset[cells][owner] + np.arange(len(owner)) - first[owner], owner


def _log_pair_pmf(a: np.ndarray, b: np.ndarray, n: np.ndarray, x: np.ndarray) -> np.ndarray:
    """log BB(x | n, a, b), elementwise (broadcasting); −inf where x < 0 or x > n."""
    possible = (x >= 0) & (x <= n)
    x, rest = np.where(possible, x, 0.0), np.where(possible, n - x, n)
    value = gammaln(n + 1) - gammaln(x + 1) - gammaln(rest + 1) + betaln(x + a, rest + b) - betaln(a, b)
    return np.where(possible, value, -np.inf)


def log_pmf(rate: BetaMixture, cells: np.ndarray, visits: np.ndarray, conversions: np.ndarray) -> np.ndarray:
    """(k,) log p(conversions | visits) of `cells` (k,) int under their posterior `rate`, mixture weights
    included; visits and conversions (k,) are a day's counts (−inf where conversions exceed visits)."""
    cells = np.asarray(cells)
    pairs, owner = _pairs(rate, cells)
    n, x = np.asarray(visits, dtype=float)[owner], np.asarray(conversions, dtype=float)[owner]
    with np.errstate(divide="ignore"):
        log_pair = np.log(rate.pair_weight[pairs]) + _log_pair_pmf(rate.alpha[pairs], rate.beta[pairs], n, x)
    top = np.full(len(cells), -np.inf)
    np.maximum.at(top, owner, log_pair)
    finite_top = np.where(np.isfinite(top), top, 0.0)
    total = np.bincount(owner, weights=np.exp(log_pair - finite_top[owner]), minlength=len(cells))
    with np.errstate(divide="ignore"):
        return finite_top + np.log(total)


def cdf(rate: BetaMixture, cells: np.ndarray, visits: np.ndarray, conversions: np.ndarray) -> np.ndarray:
    """(k,) P(X ≤ conversions | visits) of `cells` (k,) int under their posterior `rate`: the predictive
    probabilities of 0 … conversions summed (0 where conversions < 0; 1 from conversions = visits on).
    Visits and conversions (k,) are whole counts; cost grows with the conversions (summed a block at a time)."""
    cells = np.asarray(cells)
    pairs, owner = _pairs(rate, cells)
    n = np.asarray(visits, dtype=float)[owner]
    x = np.minimum(np.floor(np.asarray(conversions, dtype=float))[owner], n)
    out = np.zeros(len(cells))
    order = np.argsort(x, kind="stable")  # blocks of similar counts: little of each table is padding
    step = max(1, CDF_BLOCK // (int(max(x.max(initial=0.0), 0.0)) + 1))
    for start in range(0, len(order), step):
        block = order[start : start + step]
        width = int(max(x[block].max(), -1.0)) + 1
        if width:
            j = np.arange(width, dtype=float)[None, :]
            p = pairs[block, None]
            counts = np.where(j <= x[block, None], j, -1.0)  # −1: outside the sum, probability 0
            terms = np.exp(_log_pair_pmf(rate.alpha[p], rate.beta[p], n[block, None], counts)).sum(1)
            out += np.bincount(owner[block], weights=rate.pair_weight[pairs[block]] * terms, minlength=len(cells))
    return np.minimum(out, 1.0)
