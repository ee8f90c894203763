"""A world with known truth: per-cell conversion rate, cost per visit and basket, per-segment saturation,
and the events that change the truth over time (DESIGN.md, "Scenario").

One day's outcomes are drawn as DESIGN.md states: for a cell with spend s in a segment
whose cells spend T in total, expected visits = s / cost_per_visit × factor(T, S);
visits ~ Poisson, conversions ~ Binomial(visits, rate), revenue ~ Gamma with mean
conversions × basket and coefficient of variation basket_cv / sqrt(conversions). With rate_noise σ > 0
each cell's rate is first multiplied, each day, by its own exp(σ z − σ²/2), z ~ Normal(0, 1): day-to-day
variation beyond chance (the auction, the audience's mix), mean 1, which no policy (nor the oracle) foresees;
with segment_rate_noise, by one such factor per segment and day, shared by the segment's cells.

Events multiply a cell's true conversion rate on day d (day 0 = the first simulated day):
  fatigue  × 0.5 ** (cumulative visits before d / half_life_visits)
  shock    × factor, from its day on
  weekly   × (1 + amplitude × sin(2π (d + phase) / 7))
and a launch makes a cell exist only from its day on.

Arrays over cells may carry leading axes — (reps, cells) for replications run side by side — and
every method keeps them; a replication's row is computed exactly as it would be alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from budgetopt.model import saturation_factor, segment_sums


@dataclass(frozen=True)
class Events:
    """Everything that changes the truth over time, as arrays over cells (stacked per event where several can apply)."""

    launch_day: np.ndarray  # (cells,) int: the first day the cell exists
    fatigue_per_visit: np.ndarray  # (cells,) half-lives of conversion rate lost per visit: Σ 1 / half_life_visits
    shock_day: np.ndarray  # (shocks,) int
    shock_factor: np.ndarray  # (shocks, cells) rate multiplier from shock_day on (1 = not matched)
    weekly_amplitude: np.ndarray  # (weeklies, cells) 0 = not matched
    weekly_phase: np.ndarray  # (weeklies,) days

    @classmethod
    def none(cls, n_cells: int) -> Events:
        """No events: every cell exists from day 0 and its rate never changes."""
        return cls(
            launch_day=np.zeros(n_cells, dtype=int),
            fatigue_per_visit=np.zeros(n_cells),
            shock_day=np.zeros(0, dtype=int),
            shock_factor=np.ones((0, n_cells)),
            weekly_amplitude=np.zeros((0, n_cells)),
            weekly_phase=np.zeros(0),
        )

    def live(self, day: int) -> np.ndarray:
        """(cells,) bool: the cell exists on `day`."""
        return self.launch_day <= day

    def rate_multiplier(self, day: int, cumulative_visits: np.ndarray) -> np.ndarray:
        """(cells,) factor on the base conversion rate on `day`, given each cell's visits before that day."""
        multiplier = 0.5 ** (cumulative_visits * self.fatigue_per_visit)
        active = self.shock_day <= day
        if active.any():
            multiplier = multiplier * self.shock_factor[active].prod(axis=0)
        if len(self.weekly_phase):
            wave = np.sin(2 * np.pi * (day + self.weekly_phase) / 7.0)  # (weeklies,)
            multiplier = multiplier * (1.0 + self.weekly_amplitude * wave[:, None]).prod(axis=0)
        return multiplier


@dataclass(frozen=True)
class DayTruth:
    """The truth on one day as one policy's world stands (fatigue depends on the policy's own past)."""

    day: int
    live: np.ndarray  # (cells,) bool
    rate_multiplier: np.ndarray  # (cells,)
    value_per_euro: np.ndarray  # (cells,) revenue-margin per unsaturated euro (0 for cells not live)


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
    events: Events | None = None  # None: no events
    rate_noise: float = 0.0  # log-sd of each cell's daily rate around its expected rate (0: binomial days)
    segment_rate_noise: float = 0.0  # log-sd of a daily factor shared by each segment's cells

    @property
    def n_cells(self) -> int:
        return len(self.creative)

    @property
    def n_segments(self) -> int:
        return len(self.saturation_spend)

    @property
    def timeline(self) -> Events:
        """The events, or an empty set of them."""
        return Events.none(self.n_cells) if self.events is None else self.events

    def segment_totals(self, spend: np.ndarray) -> np.ndarray:
        """(..., segments) total spend of each segment's cells, from (..., cells)."""
        return segment_sums(spend, self.segment_index, self.n_segments)

    def expected_visits(self, spend: np.ndarray) -> np.ndarray:
        """(..., cells) expected visits for a day's spend per cell."""
        factor = saturation_factor(self.segment_totals(spend), self.saturation_spend)[..., self.segment_index]
        return spend / self.cost_per_visit * factor

    def expected_margin(self, spend: np.ndarray, margin_rate: float = 1.0, rate_multiplier: np.ndarray | float = 1.0) -> np.ndarray:
        """(..., cells) expected gross margin, currency, of a day's spend per cell."""
        rate = np.clip(self.conversion_rate * rate_multiplier, 0.0, 1.0)
        return self.expected_visits(spend) * rate * self.basket * margin_rate - spend

    def day_truth(self, day: int, cumulative_visits: np.ndarray, margin_rate: float = 1.0) -> DayTruth:
        """The live cells, rate multipliers and true value per unsaturated euro on `day`; cumulative_visits
        (..., cells) gives the multipliers and values that shape (fatigue differs by replication)."""
        events = self.timeline
        live = events.live(day)
        multiplier = events.rate_multiplier(day, cumulative_visits)
        rate = np.clip(self.conversion_rate * multiplier, 0.0, 1.0)
        value = np.where(live, rate * self.basket * margin_rate / self.cost_per_visit, 0.0)
        return DayTruth(day, live, multiplier, value)

    def draw_day(
        self, spend: np.ndarray, rng: np.random.Generator, rate_multiplier: np.ndarray | float = 1.0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Draw (visits, conversions, revenue), each shaped like `spend` (..., cells), for one day's spend per cell."""
        if self.rate_noise > 0:  # drawn first: every policy's world gets the same noise on the same day
            rate_multiplier = rate_multiplier * _mean_one(self.rate_noise, rng.standard_normal(np.shape(spend)))
        if self.segment_rate_noise > 0:
            z = rng.standard_normal(np.shape(spend)[:-1] + (self.n_segments,))[..., self.segment_index]
            rate_multiplier = rate_multiplier * _mean_one(self.segment_rate_noise, z)
        visits = rng.poisson(self.expected_visits(spend)).astype(float)
        rate = np.clip(self.conversion_rate * rate_multiplier, 0.0, 1.0)
        conversions = rng.binomial(visits.astype(np.int64), rate).astype(float)
        shape = conversions / self.basket_cv**2
        has = conversions > 0
        revenue = np.zeros(np.shape(conversions))
        basket = np.broadcast_to(self.basket, np.shape(conversions))
        revenue[has] = rng.gamma(shape[has], basket[has] * self.basket_cv**2)
        return visits, conversions, revenue


def _mean_one(sigma: float, z: np.ndarray) -> np.ndarray:
    """exp(σ z − σ²/2): a log-normal factor of mean 1 for standard normal z."""
    return np.exp(sigma * z - 0.5 * sigma**2)


def segment_maxima(values: np.ndarray, segment_index: np.ndarray, n_segments: int) -> np.ndarray:
    """(..., segments) maximum over each segment's cells of (..., cells) values; −inf for a segment without cells."""
    values = np.asarray(values)
    order = np.argsort(segment_index, kind="stable")
    counts = np.bincount(segment_index, minlength=n_segments)
    present = np.flatnonzero(counts)
    starts = np.r_[0, np.cumsum(counts)[:-1]][present]
    out = np.full(values.shape[:-1] + (n_segments,), -np.inf, dtype=np.result_type(values.dtype, np.float32))
    if len(present):
        out[..., present] = np.maximum.reduceat(values[..., order], starts, axis=-1)
    return out


def best_masks(value_per_euro: np.ndarray, live: np.ndarray, segment_index: np.ndarray, n_segments: int) -> tuple[np.ndarray, np.ndarray]:
    """(best, strictly_best), each (..., cells) bool: a live cell whose true value per euro is its segment's
    highest; strictly: and no other live cell of the segment ties it."""
    masked = np.where(live, value_per_euro, -np.inf)
    top = segment_maxima(masked, segment_index, n_segments)
    best = live & (masked >= top[..., segment_index])
    ties = segment_sums(best.astype(float), segment_index, n_segments)
    return best, best & (ties[..., segment_index] == 1)
