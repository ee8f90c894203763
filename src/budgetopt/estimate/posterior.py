"""All of a cell's posteriors together, and joint draws of what a euro earns there.

Margin per euro of cell c at its segment's saturation factor f:
    exposure per euro × conversion rate × basket × margin_rate × f − 1
(the last term is the euro itself). Posteriors are independent across the three factors.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.special import ndtri

from budgetopt.config import EstimateSection
from budgetopt.estimate import conversion, value
from budgetopt.estimate.history import History

#: the standard normal's 95th percentile: a 90 % interval of a log-normal is exp(mean ± Z_90 sd) of its log
Z_90 = float(ndtri(0.95))
#: posterior draws made at a time when summarising many cells (16 MB of float32)
DRAW_BLOCK = 4_000_000


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
    exposure: str = "visits"  # what a conversion rate is per, and what evidence is counted in

    def value_per_euro_mean(self) -> np.ndarray:
        """(cells,) posterior mean of gross revenue-margin bought by one unsaturated euro."""
        return self.exposure_per_euro.mean() * self.conversion_rate.mean() * self.basket.mean() * self.margin_rate

    def value_per_euro_cv(self) -> np.ndarray:
        """(cells,) posterior coefficient of variation (sd / mean) of revenue-margin per unsaturated euro:
        for independent factors, cv² = Π (1 + cv_i²) − 1 (Beta mixture: variance / mean²; Gamma rate:
        1 / shape; basket, an inverse Gamma: 1 / (shape − 2), infinite below shape 2)."""
        rate = self.conversion_rate
        cv2 = rate.variance() / np.maximum(rate.mean(), 1e-300) ** 2
        basket_cv2 = np.where(self.basket.shape > 2, 1.0 / np.maximum(self.basket.shape - 2.0, 1e-9), np.inf)
        return np.sqrt((1 + cv2) * (1 + 1.0 / self.exposure_per_euro.shape) * (1 + basket_cv2) - 1)

    @cached_property
    def factor_log_moments(self) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """(mean, variance) of the log of conversion rate, exposure per euro and basket, per cell
        (closed forms: digamma, trigamma); computed once, used by the draws and the lift intervals."""
        return self.conversion_rate.log_moments(), self.exposure_per_euro.log_moments(), self.basket.log_moments()

    def log_value_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean, variance) of log(revenue-margin per unsaturated euro) per cell: the sum of the three
        independent factors' log moments."""
        moments = self.factor_log_moments
        return sum(m for m, _ in moments) + np.log(self.margin_rate), sum(v for _, v in moments)

    def _factors(self) -> tuple[tuple[object, np.ndarray], ...]:
        """Each factor's posterior with its (cells,) shape: how far from log-normal it is."""
        return (
            (self.conversion_rate, self.conversion_rate.smallest_shape()),
            (self.exposure_per_euro, self.exposure_per_euro.shape),
            (self.basket, self.basket.shape),
        )

    @cached_property
    def lognormal(self) -> np.ndarray:
        """(cells,) bool: every factor's posterior shape is at least conversion.LOGNORMAL_MIN_SHAPE, so the
        value per euro is log-normal with `log_value_moments` (no exact draw is needed)."""
        return np.logical_and.reduce([shape >= conversion.LOGNORMAL_MIN_SHAPE for _, shape in self._factors()])

    def value_per_euro_draws(self, rng: np.random.Generator, n: int, cells: np.ndarray | None = None) -> np.ndarray:
        """(n, cells) float32 posterior draws of revenue-margin per unsaturated euro (of the `cells` given,
        sorted indices; default all).

        value = exposure per euro × conversion rate × basket × margin_rate. Each factor whose
        posterior shape is at least conversion.LOGNORMAL_MIN_SHAPE (≈ 30 events and more) enters through one
        log-normal with the exact mean and variance of the sum of those factors' logs (digamma and
        trigamma moments; at that size each log is Gaussian to within a skewness of 0.2), so one
        normal per draw replaces their gamma variates. A factor with a smaller shape is drawn
        exactly, for the cells that need it: the Beta mixture (with its group's shared grid point),
        or the Gamma of visits per euro or of the basket's rate.
        """
        cells = np.arange(self.history.n_cells) if cells is None else np.asarray(cells)
        log_mean = np.full(len(cells), np.log(self.margin_rate))
        log_var = np.zeros(len(cells))
        exact = []
        for (posterior, shape), (mean, var) in zip(self._factors(), self.factor_log_moments):
            approximate = shape[cells] >= conversion.LOGNORMAL_MIN_SHAPE
            log_mean += np.where(approximate, mean[cells], 0.0)
            log_var += np.where(approximate, var[cells], 0.0)
            if not approximate.all():
                exact.append((posterior, np.flatnonzero(~approximate)))
        out = rng.standard_normal((n, len(cells)), dtype=np.float32)
        out *= np.sqrt(log_var).astype(np.float32)
        out += log_mean.astype(np.float32)
        np.exp(out, out=out)
        for posterior, local in exact:
            out[:, local] *= posterior.draws(rng, n, cells[local])
        return out

    def value_per_euro_summary(
        self, rng: np.random.Generator, n: int, weights: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(p05, p95, total): each cell's 90 % interval of value per unsaturated euro (cells,) — closed form
        where it is log-normal, the quantiles of n draws elsewhere — and with `weights` (cells,), n draws of
        Σ_c weights_c × value_c (else None). Only the cells that need it are drawn (not log-normal, or with a
        weight), DRAW_BLOCK variates at a time (no (n, cells) array): a plan's resting creatives and unfunded
        segments cost nothing once their value is log-normal."""
        log_mean, log_var = self.log_value_moments()
        with np.errstate(over="ignore"):  # an absurd posterior's bound is inf, not a warning
            p05 = np.exp(log_mean - Z_90 * np.sqrt(log_var))
            p95 = np.exp(log_mean + Z_90 * np.sqrt(log_var))
        exact = np.flatnonzero(~self.lognormal)
        weighted = np.array([], dtype=int) if weights is None else np.flatnonzero(self.lognormal & (weights != 0))
        total = None if weights is None else np.zeros(n)
        step = max(1, DRAW_BLOCK // max(n, 1))
        # the exact cells' blocks first, the same with or without weights: the same rng gives the same intervals
        blocks = [cells[start : start + step] for cells in (exact, weighted) for start in range(0, len(cells), step)]
        for block in blocks:
            draws = self.value_per_euro_draws(rng, n, block)
            if total is not None:
                total += draws.astype(np.float64) @ weights[block]
            sampled = ~self.lognormal[block]
            if sampled.any():
                q = np.quantile(np.ascontiguousarray(draws[:, sampled].T), [0.05, 0.95], axis=1)
                p05[block[sampled]], p95[block[sampled]] = q[0], q[1]
        return p05, p95, total


def fit(history: History, settings: EstimateSection, saturation_spend: np.ndarray, margin_rate: float = 1.0) -> Estimates:
    """Fit every cell's posteriors from a History weighted by `settings` (decay, lag, pooling)."""
    t = history.totals
    group = {"segment": history.segment_index, "campaign": history.campaign_index, "none": None}[settings.pooling]
    if group is None:
        rate = conversion.unpooled(t.conversions, t.exposure, settings.prior_alpha, settings.prior_beta)
        value_group = np.zeros(history.n_cells, dtype=int)  # cost and basket still lean on the account
    else:
        parent = history.campaign_index[history.segment_start] if settings.pooling == "segment" else np.zeros(group.max() + 1, dtype=int)
        rate = conversion.pooled(t.conversions, t.exposure, group, parent)
        value_group = group
    visits = value.per_euro(t.paid_visits, t.effective_spend, value_group)
    if settings.exposure == "impressions":
        exposure = value.per_euro(t.paid_exposure, t.effective_spend, value_group)
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
        exposure=settings.exposure,
    )
