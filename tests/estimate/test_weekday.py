"""Weekday effects: recovered from a simulated log with known effects, none from a short or flat one."""

from __future__ import annotations

import numpy as np
import pytest

from budgetopt.estimate.weekday import weekday_effects, weekday_of

#: a ±30 % weekly cycle, Monday first (geometric mean 1, as weekday_effects returns them)
TRUE = np.exp(np.log(1 + 0.3 * np.sin(2 * np.pi * np.arange(7) / 7)) - np.log(1 + 0.3 * np.sin(2 * np.pi * np.arange(7) / 7)).mean())
#: how far a recovered multiplier may be from the truth after 8 weeks of 6 segments (about 3 standard errors of
#: a weekday's mean of 48 segment-days of ~40 conversions each, plus the shrinkage towards 1 it costs)
RECOVERY = 0.06
#: a flat log's multipliers stay within this of 1: about two standard errors of a weekday's mean there (≈ 0.025)
FLAT_NOISE = 0.05


def simulated_log(rng, weeks, segments, multipliers, basket=50.0):
    """Segment-days of a log whose revenue per euro follows `multipliers` by weekday: (day, segment, bought, revenue)."""
    day = np.repeat(np.arange(20_000, 20_000 + 7 * weeks), segments)  # from 2024-10-04
    segment = np.tile(np.arange(segments), 7 * weeks)
    spend = rng.uniform(300, 900, len(day))
    rate = rng.uniform(0.04, 0.1, segments)[segment] * multipliers[weekday_of(day)]  # conversions per euro
    conversions = rng.poisson(spend * rate)
    revenue = rng.gamma(np.maximum(conversions, 1e-9) / 0.25, basket * 0.25) * (conversions > 0)
    return day, segment, spend, revenue


def test_weekday_of_counts_monday_as_0():
    assert weekday_of(np.array([0, 4, 20_000])).tolist() == [3, 0, 4]  # 1970-01-01 a Thursday, 1970-01-05 a Monday, 2024-10-04 a Friday


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_known_effects_are_recovered(seed):
    found = weekday_effects(*simulated_log(np.random.default_rng(seed), weeks=8, segments=6, multipliers=TRUE))
    assert found == pytest.approx(TRUE, abs=RECOVERY)
    assert np.exp(np.log(found).mean()) == pytest.approx(1.0)


def test_a_flat_log_shows_next_to_no_effect():
    found = weekday_effects(*simulated_log(np.random.default_rng(4), weeks=8, segments=6, multipliers=np.ones(7)))
    assert np.abs(np.log(found)).max() < FLAT_NOISE


def test_a_short_log_has_no_effect():
    found = weekday_effects(*simulated_log(np.random.default_rng(5), weeks=1, segments=6, multipliers=TRUE))
    assert found.tolist() == [1.0] * 7


def test_a_noisy_log_is_shrunk_towards_no_effect():
    rng = np.random.default_rng(6)
    day, segment, spend, revenue = simulated_log(rng, weeks=3, segments=1, multipliers=TRUE)
    noisy = weekday_effects(day, segment, spend * 0.02, revenue * 0.02 * rng.lognormal(0, 1.0, len(day)))  # mostly noise
    raw_spread = np.log(TRUE).std()
    assert np.log(noisy).std() < raw_spread
