"""All of a cell's posteriors together, and joint draws of what a euro earns there.

Margin per euro of cell c at its segment's saturation factor f:
    exposure per euro × conversion rate × basket × margin_rate × f − 1
(the last term is the euro itself). Posteriors are independent across the three factors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from budgetopt.config import EstimateSection
from budgetopt.estimate import conversion, value
from budgetopt.estimate.history import History


#: posterior shapes from which a cell's value is drawn log-normally (see value_per_euro_draws)
LOGNORMAL_MIN_SHAPE = 30.0


@dataclass(frozen=True)
class Estimates:
    """Posteriors for every cell of a History; arrays are (cells,)."""

    history: History
    conversion_rate: conversion.BetaMixture  # conversions per exposure (visit or impression)
    exposure_per_euro: value.GammaRate  # at low spend
    visits_per_euro: value.GammaRate  # at low spend
    basket: value.Basket  # currency per conversion
    saturation_spend: np.ndarray  # (segments,) currency per day
    margin_rate: float

    def value_per_euro_mean(self) -> np.ndarray:
        """(cells,) posterior mean of gross revenue-margin bought by one unsaturated euro."""
        return self.exposure_per_euro.mean() * self.conversion_rate.mean() * self.basket.mean() * self.margin_rate

    def log_value_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean, variance) of log(revenue-margin per unsaturated euro) per cell: the sum of the three
        independent factors' closed-form log moments."""
        moments = [self.conversion_rate.log_moments(), self.exposure_per_euro.log_moments(), self.basket.log_moments()]
        return sum(m for m, _ in moments) + np.log(self.margin_rate), sum(v for _, v in moments)

    def value_per_euro_draws(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """(n, cells) float32 posterior draws of revenue-margin per unsaturated euro.

        Cells whose every posterior shape is at least LOGNORMAL_MIN_SHAPE (≈ 30 conversions and
        more) are drawn from the log-normal with the exact mean and variance of log value (sum of
        the three factors' digamma/trigamma moments): at that size each factor's log is Gaussian to
        within a skewness of 0.2, and one normal per draw replaces three gamma variates. The others
        are drawn exactly (Beta mixture with its group's shared grid point, Gamma, inverse Gamma).
        """
        out = np.empty((n, self.history.n_cells), dtype=np.float32)  # draws need no more precision
        shape = np.minimum(np.minimum(self.conversion_rate.smallest_shape(), self.exposure_per_euro.shape), self.basket.shape)
        approximate = shape >= LOGNORMAL_MIN_SHAPE
        exact = np.flatnonzero(~approximate)
        if len(exact):
            rate = self.conversion_rate.draws(rng, n, exact)
            out[:, exact] = self.exposure_per_euro.draws(rng, n, exact) * rate * self.basket.draws(rng, n, exact) * self.margin_rate
        if approximate.any():
            log_mean, log_var = self.log_value_moments()
            mean, sd = log_mean[approximate], np.sqrt(log_var[approximate])
            z = rng.standard_normal((n, int(approximate.sum())), dtype=np.float32)
            z *= sd.astype(np.float32)
            z += mean.astype(np.float32)
            np.exp(z, out=z)
            if approximate.all():
                return z
            out[:, approximate] = z
        return out


def fit(history: History, settings: EstimateSection, saturation_spend: np.ndarray, margin_rate: float = 1.0) -> Estimates:
    """Fit every cell's posteriors from a History weighted by `settings` (decay, lag, pooling)."""
    t = history.totals
    group = {"segment": history.segment_index, "campaign": history.campaign_index, "none": None}[settings.pooling]
    if group is None:
        rate = conversion.unpooled(t.conversions, t.exposure, settings.prior_alpha, settings.prior_beta)
        value_group = np.zeros(history.n_cells, dtype=int)  # cost and basket still lean on the account
    else:
        rate = conversion.pooled(t.conversions, t.exposure, group)
        value_group = group
    visits = value.per_euro(t.visits, t.effective_spend, value_group)
    if settings.exposure == "impressions":
        exposure = value.per_euro(t.raw_exposure, t.effective_spend, value_group)
    else:
        exposure = visits
    return Estimates(
        history=history,
        conversion_rate=rate,
        exposure_per_euro=exposure,
        visits_per_euro=visits,
        basket=value.basket(t.conversions, t.revenue, value_group),
        saturation_spend=saturation_spend,
        margin_rate=margin_rate,
    )
