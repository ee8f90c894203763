"""Weekday effects: one multiplier per day of the week, pooled across segments and shrunk towards no
effect when the log is too short or too noisy to tell; then each segment's own departure from the
pooled effect, shrunk towards it (segment_weekday_effects). The estimator fits them on conversions
per unit of exposure (rate_weekday_effects, History.weekday); the functions take any count-like
outcome over what bought it (revenue over unsaturated euros works the same way).

Each segment s has its own return per unit ρ_s; a day d of weekday j multiplies it by m_j:

    revenue_sd ≈ m_j · ρ_s · bought_sd        (revenue: conversions; bought: exposure, for the rate)

The day's log-ratio l_d = log(Σ_s revenue_sd / Σ_s ρ_s bought_sd) is averaged per weekday (ρ and m
refitted in turn), centred, and each weekday's mean is shrunk by τ² / (τ² + se_j²), with τ² the
spread of the weekday means beyond their noise (method of moments) and se_j² the noise of weekday j's
mean (the pooled within-weekday variance of l over its count): empirical Bayes, so a log whose
weekdays differ no more than noise says "no effect".
"""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2

#: fewer distinct days than this (two of each weekday): no effect is estimated at all
MIN_DAYS = 14
#: alternations between the segments' returns and the weekday multipliers (two settle to 1e-4 on simulated logs)
ROUNDS = 3


def weekday_of(day: np.ndarray) -> np.ndarray:
    """Monday = 0 … Sunday = 6 of day numbers counted from 1970-01-01 (a Thursday)."""
    return (np.asarray(day, dtype=np.int64) + 3) % 7


def weekday_effects(day: np.ndarray, segment: np.ndarray, bought: np.ndarray, revenue: np.ndarray) -> np.ndarray:
    """(7,) multipliers of what a euro earns, Monday first (1 = no effect; geometric mean 1).

    day: (rows,) day numbers since 1970-01-01; segment: (rows,) ints; bought: (rows,) unsaturated euros the
    segment's spend bought that day (spend × saturation factor), currency; revenue: (rows,) currency.
    Rows are segment-days; days without spend or revenue say nothing and are left out."""
    day, segment = np.asarray(day, dtype=np.int64), np.asarray(segment, dtype=np.int64)
    bought, revenue = np.asarray(bought, dtype=float), np.asarray(revenue, dtype=float)
    if len(day) == 0:
        return np.ones(7)
    days, d = np.unique(day, return_inverse=True)
    weekday = weekday_of(days)
    n_seg = int(segment.max()) + 1
    log_m = np.zeros(7)
    for _ in range(ROUNDS):
        scaled = bought * np.exp(log_m[weekday[d]])
        rho = np.bincount(segment, weights=revenue, minlength=n_seg) / np.maximum(np.bincount(segment, weights=scaled, minlength=n_seg), 1e-12)
        expected = np.bincount(d, weights=bought * rho[segment], minlength=len(days))
        observed = np.bincount(d, weights=revenue, minlength=len(days))
        seen = (expected > 0) & (observed > 0)
        count = np.bincount(weekday[seen], minlength=7)
        if seen.sum() < MIN_DAYS or np.any(count < 2):
            return np.ones(7)
        ratio = np.log(observed[seen] / expected[seen])
        means = np.bincount(weekday[seen], weights=ratio, minlength=7) / count
        log_m = means - means.mean()
    residual = ratio - means[weekday[seen]]
    noise = (residual**2).sum() / max(seen.sum() - 7, 1) / count  # (7,) se² of each weekday's mean
    if not differs(log_m, noise, 6):
        return np.ones(7)
    spread = max(0.0, float((log_m**2).mean() - noise.mean()))
    shrunk = log_m * spread / (spread + noise)
    return np.exp(shrunk - shrunk.mean())


#: the effects are kept only when the weekdays differ beyond noise at this level (Cochran's Q against its χ²)
GATE = 0.95


def differs(log_effect: np.ndarray, noise: np.ndarray, dof: int) -> bool:
    """Whether log effects with these noise variances differ from none beyond chance: Cochran's Q = Σ effect² ÷ noise
    above the χ²(dof) GATE quantile. Without it, a flat log's noise would still leave some effect after shrinkage."""
    if dof <= 0:
        return False
    return float((log_effect**2 / noise).sum()) > float(chi2.ppf(GATE, dof))


def segment_weekday_effects(day: np.ndarray, segment: np.ndarray, bought: np.ndarray, revenue: np.ndarray, pooled: np.ndarray, n_segments: int) -> np.ndarray:
    """(segments, 7) multipliers of what a euro earns in each segment, Monday first: the pooled effect (7,) times
    the segment's own departure from it, shrunk towards none (each segment's geometric mean over weekdays 1).

    Segment s on weekday j earned R_sj = Σ revenue ÷ Σ ρ_s m_j bought over its days of that weekday (ρ_s its
    return per unit bought, m the pooled effect). Revenue (or conversions) is compound Poisson, its variance φ × its
    mean (φ, in its unit, fitted on the whole log: quasi-Poisson), so log R_sj's noise is about φ ÷ Σ expected
    revenue; departures are shrunk by τ² / (τ² + noise), τ² their spread beyond noise (method of moments): a
    segment whose week looks like the account's, or that is too thin to tell, gets the pooled effect.
    Arguments as weekday_effects'."""
    day, segment = np.asarray(day, dtype=np.int64), np.asarray(segment, dtype=np.int64)
    bought, revenue = np.asarray(bought, dtype=float), np.asarray(revenue, dtype=float)
    out = np.tile(np.asarray(pooled, dtype=float), (n_segments, 1))
    if len(np.unique(day)) < MIN_DAYS:
        return out  # too short a log to tell a weekday from another
    weekday = weekday_of(day)
    scaled = bought * pooled[weekday]
    rho = np.bincount(segment, weights=revenue, minlength=n_segments) / np.maximum(np.bincount(segment, weights=scaled, minlength=n_segments), 1e-12)
    expected = scaled * rho[segment]
    cell = segment * 7 + weekday
    observed_sj = np.bincount(cell, weights=revenue, minlength=7 * n_segments)
    expected_sj = np.bincount(cell, weights=expected, minlength=7 * n_segments)
    days_sj = np.bincount(cell, minlength=7 * n_segments)
    seen = (observed_sj > 0) & (expected_sj > 0) & (days_sj >= 2)
    ratio = np.where(seen, observed_sj / np.where(seen, expected_sj, 1.0), 1.0)
    fitted = expected * ratio[cell]
    dof = len(day) - int(seen.sum())
    if dof < MIN_DAYS or not seen.any():
        return out
    dispersion = float(((revenue - fitted) ** 2 / np.maximum(fitted, 1e-12))[fitted > 0].sum() / dof)  # φ, currency
    departure = np.where(seen, np.log(ratio), 0.0).reshape(n_segments, 7)
    noise = np.where(seen, dispersion / np.where(seen, expected_sj, 1.0), np.inf).reshape(n_segments, 7)
    known = np.isfinite(noise)
    if not differs(departure[known], noise[known], int(known.sum()) - int(known.any(1).sum())):
        return out
    spread = max(0.0, float((departure[known] ** 2 - noise[known]).mean()))
    shrunk = departure * spread / (spread + noise)
    shrunk -= shrunk.mean(1, keepdims=True)
    return out * np.exp(shrunk)


def both_weekday_effects(day: np.ndarray, segment: np.ndarray, bought: np.ndarray, revenue: np.ndarray, n_segments: int) -> tuple[np.ndarray, np.ndarray]:
    """(pooled (7,), by segment (segments, 7)) weekday effects of segment-day rows (see weekday_effects)."""
    pooled = weekday_effects(day, segment, bought, revenue)
    return pooled, segment_weekday_effects(day, segment, bought, revenue, pooled, n_segments)


#: days of the centred window whose rate is each day's local level: one of each weekday, so the level is weekday-neutral
WINDOW = 7


def rate_weekday_effects(segment: np.ndarray, day: np.ndarray, exposure: np.ndarray, conversions: np.ndarray, n_segments: int) -> np.ndarray:
    """(segments, 7) weekday multipliers of each segment's conversion rate, Monday first.

    Ratio to a moving average: each segment-day's conversions are compared with its exposure × the segment's
    rate over the centred 7-day window around it (a week holds each weekday once), so a shock, a launch or
    fatigue moves the level, not the weekdays; then segment_weekday_effects on those segment-days (counts are
    compound Poisson with φ ≈ 1). The log's first and last 3 days take the window of its first or last 7.
    segment, day: (rows,) ints, day numbers since 1970-01-01; exposure, conversions: (rows,)."""
    segment, day = np.asarray(segment, dtype=np.int64), np.asarray(day, dtype=np.int64)
    if len(day) == 0:
        return np.ones((n_segments, 7))
    first = int(day.min())
    span = int(day.max()) - first + 1
    key = segment * span + (day - first)
    exposure_sd = np.bincount(key, weights=exposure, minlength=n_segments * span).reshape(n_segments, span)
    conversions_sd = np.bincount(key, weights=conversions, minlength=n_segments * span).reshape(n_segments, span)
    return segment_day_weekday_effects(exposure_sd, conversions_sd, first)


def segment_day_weekday_effects(exposure_sd: np.ndarray, conversions_sd: np.ndarray, first: int) -> np.ndarray:
    """rate_weekday_effects of a log already summed by segment-day: exposure and conversions (segments, days), the
    days consecutive from day number `first` (since 1970-01-01)."""
    n_segments, span = exposure_sd.shape
    if span < WINDOW:
        return np.ones((n_segments, 7))
    nearest = np.clip(np.arange(span) - WINDOW // 2, 0, span - WINDOW)  # each day's whole window nearest to being centred on it
    local_exposure, local_conversions = _window_sums(exposure_sd)[:, nearest], _window_sums(conversions_sd)[:, nearest]  # (segments, span)
    level = np.where(local_exposure > 0, local_conversions / np.where(local_exposure > 0, local_exposure, 1.0), 0.0)
    s, d = np.nonzero((exposure_sd > 0) & (local_conversions > 0))
    return both_weekday_effects(d + first, s, (exposure_sd * level)[s, d], conversions_sd[s, d], n_segments)[1]


def _window_sums(x: np.ndarray) -> np.ndarray:
    """(rows, days − WINDOW + 1) sums of each run of WINDOW consecutive days of `x` (rows, days)."""
    total = np.cumsum(np.c_[np.zeros(len(x)), x], axis=1)
    return total[:, WINDOW:] - total[:, :-WINDOW]


def row_weekday_factors(
    exposure: np.ndarray, conversions: np.ndarray, age: np.ndarray, row_segment: np.ndarray, segday: np.ndarray, today: int, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray | float]:
    """((segments, 7) each segment's weekday effects on its rate, (rows,) each row's exposure in tomorrow's units: its
    weekday's effect ÷ tomorrow's; the scalar 1 when no weekday moves), fitted on the rows' (rows,) exposure and
    conversions as counted (discounted for conversions not yet reported); age: each row's days before the plan's
    day `today` (days since 1970-01-01); segday: each row's segment × day number, in `shape` (segments, days), the
    log's first day first."""
    # summed by segment-day first: a 4 M-row log holds 34 MB per (rows,) array, so as few as possible are made
    oldest = int(age.max())
    exposure, conversions = (np.bincount(segday, weights=v, minlength=shape[0] * shape[1]).reshape(shape) for v in (exposure, conversions))
    seen = np.flatnonzero((exposure > 0).any(0))  # the days any segment had exposure: the window runs from the first to the last
    if not len(seen):
        return np.ones((shape[0], 7)), 1.0
    days = slice(seen[0], seen[-1] + 1)
    week = segment_day_weekday_effects(exposure[:, days], np.where(exposure > 0, conversions, 0.0)[:, days], today - oldest + int(seen[0]))
    if np.all(week == 1.0):
        return week, 1.0  # no weekday effect: no (rows,) array of ones
    relative = week / week[:, [int(weekday_of(today))]]  # (segments, 7) each weekday against tomorrow's
    return week, relative[row_segment, weekday_of(today - age)]
