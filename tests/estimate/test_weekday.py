"""Weekday effects: recovered from a simulated log with known effects, none from a short or flat one."""

from __future__ import annotations

import numpy as np
import pytest

from budgetopt.estimate.weekday import (
    both_weekday_effects,
    rate_weekday_effects,
    weekday_effects,
    weekday_of,
)

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


def segment_log(rng, weeks, effects, scale=1.0):
    """Segment-days whose revenue per euro follows each segment's own weekday `effects` (segments, 7)."""
    segments = len(effects)
    day = np.repeat(np.arange(20_000, 20_000 + 7 * weeks), segments)
    segment = np.tile(np.arange(segments), 7 * weeks)
    spend = rng.uniform(300, 900, len(day)) * scale
    conversions = rng.poisson(spend * 0.07 * effects[segment, weekday_of(day)])
    revenue = rng.gamma(np.maximum(conversions, 1e-9) / 0.25, 50.0 * 0.25) * (conversions > 0)
    return day, segment, spend, revenue


#: how far (in log) a segment's recovered multiplier may be from the truth: ≈ 3.5 sd of the largest of 42 errors
SEGMENT_RECOVERY = 0.1
#: segments 0–2 follow the ±30 % cycle, segments 3–5 its opposite (Saturday their best day)
OPPOSITE = np.r_[np.tile(TRUE, (3, 1)), np.tile(1 / TRUE, (3, 1))]


@pytest.mark.parametrize("seed", [1, 2])
def test_each_segments_own_week_is_recovered(seed):
    day, segment, spend, revenue = segment_log(np.random.default_rng(seed), weeks=12, effects=OPPOSITE, scale=3.0)
    pooled, by_segment = both_weekday_effects(day, segment, spend, revenue, 6)
    assert np.abs(np.log(pooled)).max() < FLAT_NOISE  # the two halves cancel out in the account's week
    # ~120 conversions a segment-day, 12 of each weekday: a segment-weekday's log ratio has sd ≈ 0.03 (basket cv 0.5)
    assert np.abs(np.log(by_segment / OPPOSITE)).max() < SEGMENT_RECOVERY
    assert np.exp(np.log(by_segment).mean(1)) == pytest.approx(np.ones(6))


def test_segments_that_share_the_accounts_week_get_the_pooled_one():
    day, segment, spend, revenue = segment_log(np.random.default_rng(3), weeks=8, effects=np.tile(TRUE, (6, 1)))
    pooled, by_segment = both_weekday_effects(day, segment, spend, revenue, 6)
    assert np.abs(np.log(by_segment / pooled)).max() < FLAT_NOISE


def test_a_thin_segment_is_shrunk_to_the_pooled_week():
    """Five segments with ~40 conversions a day follow the cycle; a sixth with ~0.2 a day looks random and gets the pooled week."""
    rng = np.random.default_rng(4)
    day, segment, spend, revenue = segment_log(rng, weeks=8, effects=np.tile(TRUE, (6, 1)))
    thin = segment == 5
    spend[thin] *= 0.005
    conversions = rng.poisson(spend[thin] * 0.07)
    revenue[thin] = rng.gamma(np.maximum(conversions, 1e-9) / 0.25, 50.0 * 0.25) * (conversions > 0)
    pooled, by_segment = both_weekday_effects(day, segment, spend, revenue, 6)
    assert np.abs(np.log(by_segment[5] / pooled)).max() < 0.1


def test_no_segment_effect_from_a_short_log():
    pooled, by_segment = both_weekday_effects(*segment_log(np.random.default_rng(5), weeks=1, effects=OPPOSITE), 6)
    assert by_segment.tolist() == [[1.0] * 7] * 6


def rate_log(rng, weeks, effects, shock_day=None, shock=1.0):
    """Rows (segment, day, exposure, conversions) of segments whose rate follows `effects` (segments, 7), every
    rate × `shock` from log day `shock_day` on."""
    segments = len(effects)
    day = np.repeat(np.arange(20_000, 20_000 + 7 * weeks), segments)
    segment = np.tile(np.arange(segments), 7 * weeks)
    exposure = rng.uniform(3_000, 9_000, len(day))
    level = np.where(shock_day is not None and (day - 20_000) >= (shock_day or 0), shock, 1.0)
    conversions = rng.poisson(exposure * 0.01 * level * effects[segment, weekday_of(day)])
    return segment, day, exposure, conversions.astype(float)


#: a shock on log day 19 (from 2024-10-04, a Friday: a Tuesday): after it, three weekdays have one more day than the rest
SHOCK_DAY = 19


def test_rate_effects_are_recovered_by_segment():
    found = rate_weekday_effects(*rate_log(np.random.default_rng(7), weeks=12, effects=OPPOSITE), 6)
    assert np.abs(np.log(found / OPPOSITE)).max() < SEGMENT_RECOVERY


def test_a_shock_is_a_level_not_a_weekday():
    """Every rate falls to 40 % mid-log, without a weekly cycle: no weekday effect appears (the weekdays with one
    more day after the shock are not read as worse)."""
    segment, day, exposure, conversions = rate_log(np.random.default_rng(8), weeks=6, effects=np.ones((6, 7)), shock_day=SHOCK_DAY, shock=0.4)
    assert np.abs(np.log(rate_weekday_effects(segment, day, exposure, conversions, 6))).max() < FLAT_NOISE
