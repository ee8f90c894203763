"""A world with known truth: per-cell conversion rate, cost per visit and basket, per-segment saturation.

One day's outcomes are drawn as DESIGN.md states: for a cell with spend s in a segment
whose cells spend T in total, expected visits = s / cost_per_visit × factor(T, S);
visits ~ Poisson, conversions ~ Binomial(visits, rate), revenue ~ Gamma with mean
conversions × basket and coefficient of variation basket_cv / sqrt(conversions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from budgetopt.allocate.response import saturation_factor


@dataclass(frozen=True)
class World:
    """The truth of an account. Arrays are (cells,) unless said; segments index `saturation_spend`."""

    campaign: tuple[str, ...]
    segment: tuple[str, ...]
    creative: tuple[str, ...]
    segment_index: np.ndarray  # (cells,) int, into saturation_spend
    saturation_spend: np.ndarray  # (segments,) currency per day
    conversion_rate: np.ndarray  # conversions per visit
    cost_per_visit: np.ndarray  # currency per visit at low spend
    basket: np.ndarray  # currency per conversion
    basket_cv: float = 0.5

    @property
    def n_cells(self) -> int:
        return len(self.creative)

    def segment_totals(self, spend: np.ndarray) -> np.ndarray:
        """(segments,) total spend of each segment's cells."""
        return np.bincount(self.segment_index, weights=spend, minlength=len(self.saturation_spend))

    def expected_visits(self, spend: np.ndarray) -> np.ndarray:
        """(cells,) expected visits for a day's spend per cell."""
        factor = saturation_factor(self.segment_totals(spend), self.saturation_spend)[self.segment_index]
        return spend / self.cost_per_visit * factor

    def expected_margin(self, spend: np.ndarray, margin_rate: float = 1.0, rate_multiplier: np.ndarray | float = 1.0) -> np.ndarray:
        """(cells,) expected gross margin, currency, of a day's spend per cell."""
        rate = self.conversion_rate * rate_multiplier
        return self.expected_visits(spend) * rate * self.basket * margin_rate - spend

    def draw_day(
        self, spend: np.ndarray, rng: np.random.Generator, rate_multiplier: np.ndarray | float = 1.0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Draw (visits, conversions, revenue), each (cells,), for one day's spend per cell."""
        visits = rng.poisson(self.expected_visits(spend)).astype(float)
        rate = np.clip(self.conversion_rate * rate_multiplier, 0.0, 1.0)
        conversions = rng.binomial(visits.astype(np.int64), rate).astype(float)
        shape = conversions / self.basket_cv**2
        has = conversions > 0
        revenue = np.zeros(self.n_cells)
        revenue[has] = rng.gamma(shape[has], self.basket[has] * self.basket_cv**2)
        return visits, conversions, revenue
