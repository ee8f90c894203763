"""The world's formulas against closed forms (DESIGN.md "Scenario"), and its draws' means over many days."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from budgetopt.simulate.scenario import scenario_from_dict
from budgetopt.simulate.world import Events, World, best_masks

#: a mean over N draws is within this many standard errors of its expectation (false alarm ≈ 6e-5)
Z = 4.0


def two_segment_world(**kwargs) -> World:
    return World(
        campaign=("c", "c", "c"),
        segment=("s1", "s1", "s2"),
        creative=("a", "b", "a"),
        segment_index=np.array([0, 0, 1]),
        saturation_spend=np.array([400.0, np.inf]),
        conversion_rate=np.array([0.04, 0.02, 0.1]),
        cost_per_visit=np.array([0.5, 0.25, 1.0]),
        basket=np.array([60.0, 60.0, 30.0]),
        **kwargs,
    )


def test_expected_visits_saturate_by_the_segments_total_spend():
    world = two_segment_world()
    spend = np.array([200.0, 200.0, 300.0])
    factor = (1 - np.exp(-1.0)) / 1.0  # T = 400 = S
    assert world.expected_visits(spend) == pytest.approx([400 * factor, 800 * factor, 300.0])
    # the same euro buys fewer visits when the segment spends more: every creative of it pays
    assert world.expected_visits(np.array([200.0, 0.0, 0.0]))[0] == pytest.approx(400 * (1 - np.exp(-0.5)) / 0.5)
    # margin = visits × rate × basket × margin_rate − spend
    assert world.expected_margin(spend, 0.5) == pytest.approx(
        [400 * factor * 0.04 * 60 * 0.5 - 200, 800 * factor * 0.02 * 60 * 0.5 - 200, 300 * 0.1 * 30 * 0.5 - 300]
    )


def test_draws_have_the_stated_means_and_spreads():
    world = two_segment_world(basket_cv=0.5)
    spend = np.array([40.0, 30.0, 50.0])
    rng = np.random.default_rng(1)
    n = 4000
    draws = np.array([np.stack(world.draw_day(spend, rng)) for _ in range(n)])  # (n, 3, cells)
    visits, conversions, revenue = draws[:, 0], draws[:, 1], draws[:, 2]
    expected = world.expected_visits(spend)
    # Poisson: mean = variance = λ
    assert np.all(np.abs(visits.mean(0) - expected) < Z * np.sqrt(expected / n))
    assert visits.var(0) == pytest.approx(expected, rel=0.1)
    # Binomial(visits, rate): E[conversions] = λ · rate
    rate = world.conversion_rate
    assert np.all(np.abs(conversions.mean(0) - expected * rate) < Z * np.sqrt(expected * rate / n))
    # Gamma revenue: given c conversions, mean c × basket, variance c × (basket × cv)²
    has = conversions > 0
    per_order = revenue[has] / conversions[has]
    basket = np.broadcast_to(world.basket, conversions.shape)[has]
    residual = (revenue[has] - conversions[has] * basket) / (basket * 0.5 * np.sqrt(conversions[has]))
    assert abs(residual.mean()) < Z / np.sqrt(has.sum())
    assert residual.var() == pytest.approx(1.0, rel=0.1)
    assert np.all(revenue[~has] == 0) and np.all(per_order > 0)


def test_rate_noise_spreads_the_days_conversions_beyond_the_binomial_and_keeps_their_mean():
    """rate_noise σ: conversions ~ Binomial(visits, rate × ε), ε log-normal of mean 1, so Var = μ + μ² (e^{σ²} − 1)
    given the day's visits, μ = visits × rate."""
    world = replace(two_segment_world(), rate_noise=0.3)
    rng = np.random.default_rng(2)
    n = 6000
    spend = np.array([0.0, 0.0, 100.0])  # cell 2: 100 visits a day on average, rate 0.1
    draws = np.array([world.draw_day(spend, rng)[:2] for _ in range(n)])  # (n, 2, cells)
    visits, conversions = draws[:, 0, 2], draws[:, 1, 2]
    mu = visits * 0.1
    assert abs(conversions.mean() - mu.mean()) < Z * np.sqrt(conversions.var() / n)
    excess = ((conversions - mu) ** 2 - mu * 0.9).mean() / (mu**2).mean()  # the binomial's variance removed
    assert excess == pytest.approx(np.expm1(0.09), rel=0.15)


def test_segment_rate_noise_moves_a_segments_creatives_together():
    """segment_rate_noise σ: one factor a day per segment, so siblings' relative deviations c / μ − 1 share a
    covariance of e^{σ²} − 1 and creatives of different segments none."""
    world = replace(two_segment_world(), segment_rate_noise=0.3)
    rng = np.random.default_rng(3)
    draws = np.array([world.draw_day(np.array([100.0, 100.0, 300.0]), rng)[:2] for _ in range(6000)])
    visits, conversions = draws[:, 0], draws[:, 1]
    deviation = conversions / (visits * world.conversion_rate) - 1.0
    siblings, strangers = np.mean(deviation[:, 0] * deviation[:, 1]), np.mean(deviation[:, 0] * deviation[:, 2])
    assert siblings == pytest.approx(np.expm1(0.09), rel=0.2)
    assert abs(strangers) < 0.02


def test_a_world_without_events_draws_the_same_stream_as_before():
    """draw_day's stream is what the bundled demo log was generated with (tests/test_demo.py pins it byte for byte)."""
    world = two_segment_world()
    spend = np.array([40.0, 30.0, 50.0])
    plain = world.draw_day(spend, np.random.default_rng(5))
    truth = world.day_truth(0, np.zeros(3))
    with_multiplier = world.draw_day(spend, np.random.default_rng(5), truth.rate_multiplier)
    for a, b in zip(plain, with_multiplier):
        assert np.array_equal(a, b)


def test_events_multiply_the_rate_as_designed():
    events = Events(
        launch_day=np.array([0, 0, 5]),
        fatigue_per_visit=np.array([1 / 1000.0, 0.0, 0.0]),
        shock_day=np.array([3]),
        shock_factor=np.array([[1.0, 0.5, 1.0]]),
        weekly_amplitude=np.array([[0.2, 0.2, 0.0]]),
        weekly_phase=np.array([1.5]),
    )
    world = two_segment_world(events=events)
    visits_before = np.array([2000.0, 10.0, 0.0])
    wave = lambda day: 1 + 0.2 * np.sin(2 * np.pi * (day + 1.5) / 7)
    day2 = world.day_truth(2, visits_before, margin_rate=0.8)
    assert day2.rate_multiplier == pytest.approx([0.25 * wave(2), wave(2), 1.0])  # fatigue: two half-lives
    assert day2.live.tolist() == [True, True, False]
    day4 = world.day_truth(4, visits_before)
    assert day4.rate_multiplier == pytest.approx([0.25 * wave(4), 0.5 * wave(4), 1.0])  # shock from day 3 on
    assert world.day_truth(5, visits_before).live.all()
    # value per euro = rate × multiplier × basket × margin_rate / cost per visit; 0 before launch
    assert day2.value_per_euro == pytest.approx([0.04 * 0.25 * wave(2) * 60 * 0.8 / 0.5, 0.02 * wave(2) * 60 * 0.8 / 0.25, 0.0])


def test_fatigue_half_life_from_a_scenario_file(small):
    scenario = scenario_from_dict(small)
    video = scenario.world.creative.index("video")
    cumulative = np.zeros(scenario.world.n_cells)
    cumulative[video] = 5000.0  # one half-life
    day = 14  # sin(2π · 14 / 7) = 0: the weekly wave is neutral
    ratio = scenario.world.day_truth(day, cumulative).rate_multiplier[video] / scenario.world.day_truth(day, 0 * cumulative).rate_multiplier[video]
    assert ratio == pytest.approx(0.5)


def test_best_and_strictly_best_within_segments():
    value = np.array([3.0, 3.0, 1.0, 2.0, 5.0])
    live = np.array([True, True, True, True, False])
    segment = np.array([0, 0, 0, 1, 1])
    best, strictly = best_masks(value, live, segment, 2)
    assert best.tolist() == [True, True, False, True, False]  # the not-yet-launched 5.0 does not count
    assert strictly.tolist() == [False, False, False, True, False]  # a tie has no strict best
