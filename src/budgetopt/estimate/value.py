"""Cost and basket posteriors: how many visits a euro buys, and what a conversion is worth.

Visits per euro (at low spend) λ_c: visits ~ Poisson(λ_c · effective spend), Gamma prior
centred on the cell's group (PRIOR_VISITS pseudo-visits), so the posterior is
Gamma(a0 + visits, b0 + effective spend). Cost per visit is 1 / λ.

Basket: each order's value ~ Gamma(shape k, rate φ) with k = 1 / ORDER_CV², so a cell's
revenue over C orders ~ Gamma(kC, φ). A conjugate Gamma prior on φ worth PRIOR_ORDERS orders at
the group's basket gives basket = k / φ a posterior mean of (n0·B_group + R) / (n0 + C).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, polygamma

PRIOR_VISITS = 2.0
PRIOR_ORDERS = 3.0
ORDER_CV = 0.7  # spread of one order's value around the basket (typical e-commerce: 0.5–1)


@dataclass(frozen=True)
class GammaRate:
    """Per-cell Gamma(shape, rate) posterior of a positive rate, (cells,) arrays."""

    shape: np.ndarray
    rate: np.ndarray

    def mean(self) -> np.ndarray:
        return self.shape / self.rate

    def draws(self, rng: np.random.Generator, n: int, cells: np.ndarray | None = None) -> np.ndarray:
        """(n, cells) draws (of the `cells` given, default all)."""
        shape, rate = (self.shape, self.rate) if cells is None else (self.shape[cells], self.rate[cells])
        return rng.standard_gamma(np.broadcast_to(shape, (n, len(shape)))) / rate

    def log_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean, variance) of the log of the rate, per cell."""
        return digamma(self.shape) - np.log(self.rate), polygamma(1, self.shape)


@dataclass(frozen=True)
class Basket:
    """Per-cell posterior of the basket (currency per conversion): basket = k / φ, φ ~ Gamma(shape, rate)."""

    shape: np.ndarray
    rate: np.ndarray
    order_shape: float

    def mean(self) -> np.ndarray:
        return self.order_shape * self.rate / np.maximum(self.shape - 1.0, 1e-9)

    def draws(self, rng: np.random.Generator, n: int, cells: np.ndarray | None = None) -> np.ndarray:
        """(n, cells) draws (of the `cells` given, default all)."""
        shape, rate = (self.shape, self.rate) if cells is None else (self.shape[cells], self.rate[cells])
        phi = rng.standard_gamma(np.broadcast_to(shape, (n, len(shape)))) / rate
        return self.order_shape / phi

    def log_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean, variance) of log basket = log k − log φ, per cell."""
        return np.log(self.order_shape) - digamma(self.shape) + np.log(self.rate), polygamma(1, self.shape)


def _group_ratio(numerator: np.ndarray, denominator: np.ndarray, group: np.ndarray, fallback: float) -> np.ndarray:
    """(cells,) the ratio Σnum / Σden over each cell's group; the account's where the group has none."""
    g = int(group.max()) + 1
    num = np.bincount(group, weights=numerator, minlength=g)
    den = np.bincount(group, weights=denominator, minlength=g)
    ratio = np.where(den > 0, num / np.where(den > 0, den, 1), fallback)
    return ratio[group]


def per_euro(counts: np.ndarray, effective_spend: np.ndarray, group: np.ndarray) -> GammaRate:
    """Visits (or impressions) per euro at low spend, pooled toward the group's rate."""
    account = counts.sum() / effective_spend.sum() if effective_spend.sum() > 0 else 1.0
    centre = np.maximum(_group_ratio(counts, effective_spend, group, account), 1e-9)
    return GammaRate(shape=PRIOR_VISITS + counts, rate=PRIOR_VISITS / centre + effective_spend)


def basket(conversions: np.ndarray, revenue: np.ndarray, group: np.ndarray) -> Basket:
    """Basket per conversion, pooled toward the group's basket."""
    k = 1.0 / ORDER_CV**2
    account = revenue.sum() / conversions.sum() if conversions.sum() > 0 else 1.0
    centre = _group_ratio(revenue, conversions, group, account)
    centre = np.where(centre > 0, centre, account if account > 0 else 1.0)
    return Basket(shape=k * (PRIOR_ORDERS + conversions) + 1.0, rate=PRIOR_ORDERS * centre + revenue, order_shape=k)
