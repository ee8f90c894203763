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

    def value_per_euro_draws(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """(n, cells) joint posterior draws of revenue-margin per unsaturated euro."""
        rate = self.conversion_rate.draws(rng, n)
        return self.exposure_per_euro.draws(rng, n) * rate * self.basket.draws(rng, n) * self.margin_rate


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
