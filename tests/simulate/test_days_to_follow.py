"""days_to_follow (metrics.csv) on trajectories made by hand: when a segment's true best changes,
how many days until the new best gets at least half of the segment's spend."""

from __future__ import annotations

import numpy as np
import pytest

from budgetopt.simulate.metrics import days_to_follow, follow_days, follow_events
from budgetopt.simulate.runner import Trajectory

FIRST_DAY = 7
#: two segments: s0 = cells 0 (a), 1 (b), 2 (c, launched on the first policy day); s1 = cells 3, 4
SEGMENT = np.array([0, 0, 0, 1, 1])


def run(spend, best, live=None) -> Trajectory:
    """(reps, days, cells) spend and best masks; everything else is not read by the metric."""
    spend = np.asarray(spend, dtype=float)
    best = np.asarray(best, dtype=bool)
    live = np.ones_like(best) if live is None else np.asarray(live, dtype=bool)
    zeros = np.zeros_like(spend)
    return Trajectory(spend, zeros, zeros, zeros, zeros, live, best, best, np.full((spend.shape[0], spend.shape[2]), -1))


def best_from(changes: dict[int, int], days: int, default: tuple[int, int] = (0, 3)) -> np.ndarray:
    """(days, cells): s0's best is cell 0 then, from each day in `changes`, the cell given; s1's is cell 3."""
    best = np.zeros((days, 5), dtype=bool)
    current = default[0]
    for day in range(days):
        current = changes.get(day, current)
        best[day, current] = True
        best[day, default[1]] = True
    return best


def test_the_days_until_the_new_best_gets_half_of_its_segment():
    # b becomes s0's best on policy day 2; it gets 0, 40 %, then 60 % of s0 on days 2, 3, 4: followed after 2 days
    spend = [[[100, 0, 0, 50, 50]] * 2 + [[100, 0, 0, 50, 50], [60, 40, 0, 50, 50], [40, 60, 0, 50, 50], [0, 100, 0, 50, 50]]]
    trajectory = run(spend, [best_from({2: 1}, 6)])
    assert [(r, t, cells.tolist()) for r, t, cells in follow_events(trajectory, FIRST_DAY, np.zeros(5, int), SEGMENT)] == [(0, 2, [1])]
    assert days_to_follow(trajectory, FIRST_DAY, np.zeros(5, int), SEGMENT) == 2.0
    assert follow_days(trajectory, FIRST_DAY, np.zeros(5, int), SEGMENT) == [(0, 2)]  # (segment, days), per change


def test_each_change_is_counted_with_its_segment():
    # s0: b best from day 1, followed the same day; s1: cell 4 best from day 2, followed a day later; the median of 0 and 1
    spend = [[[100, 0, 0, 50, 50], [0, 100, 0, 50, 50], [0, 100, 0, 80, 20], [0, 100, 0, 0, 100]]]
    best = best_from({1: 1}, 4)
    best[2:, 3], best[2:, 4] = False, True
    trajectory = run(spend, [best])
    assert follow_days(trajectory, FIRST_DAY, np.zeros(5, int), SEGMENT) == [(0, 0), (1, 1)]
    assert days_to_follow(trajectory, FIRST_DAY, np.zeros(5, int), SEGMENT) == 0.5


def test_exactly_half_counts_and_the_same_day_is_zero():
    spend = [[[100, 0, 0, 50, 50], [50, 50, 0, 50, 50], [50, 50, 0, 50, 50]]]
    assert days_to_follow(run(spend, [best_from({1: 1}, 3)]), FIRST_DAY, np.zeros(5, int), SEGMENT) == 0.0


def test_a_change_never_followed_counts_the_days_left_in_the_run():
    spend = [[[100, 0, 0, 50, 50]] * 6]  # b is best from day 2 and never gets anything: days 2-5, 4 days
    assert days_to_follow(run(spend, [best_from({2: 1}, 6)]), FIRST_DAY, np.zeros(5, int), SEGMENT) == 4.0


def test_a_day_the_segment_spends_nothing_does_not_count_as_followed():
    spend = [[[100, 0, 0, 50, 50], [0, 0, 0, 50, 50], [0, 10, 0, 50, 50]]]
    assert days_to_follow(run(spend, [best_from({1: 1}, 3)]), FIRST_DAY, np.zeros(5, int), SEGMENT) == 1.0


def test_a_better_creative_launched_on_the_first_policy_day_is_an_event_and_other_first_days_are_not():
    launch = np.array([0, 0, FIRST_DAY, 0, 0])
    live = np.ones((1, 4, 5), dtype=bool)
    spend = [[[50, 50, 0, 50, 50], [50, 0, 50, 50, 50], [0, 0, 100, 50, 50], [0, 0, 100, 50, 50]]]
    launched_best = best_from({0: 2}, 4)
    assert [(t, c.tolist()) for _, t, c in follow_events(run(spend, [launched_best], live), FIRST_DAY, launch, SEGMENT)] == [(0, [2])]
    assert days_to_follow(run(spend, [launched_best], live), FIRST_DAY, launch, SEGMENT) == 1.0  # half of s0 on day 1
    # a launch that is not the best, and bests that were already bests in the warm-up: no event at all
    assert np.isnan(days_to_follow(run(spend, [best_from({}, 4)], live), FIRST_DAY, launch, SEGMENT))
    assert np.isnan(days_to_follow(run(spend, [best_from({0: 2}, 4)], live), FIRST_DAY, np.zeros(5, int), SEGMENT))


def test_the_median_over_segments_events_and_replications():
    days = 8
    # rep 0: s0 a → b on day 1 (followed on day 2: 1 day), b → a again on day 5 (followed the same day: 0)
    rep0_best = best_from({1: 1, 5: 0}, days)
    rep0 = np.tile([100.0, 0, 0, 50, 50], (days, 1))
    rep0[2:5, :2] = [0, 100]
    # rep 1: s1's best turns from cell 3 to cell 4 on day 3 and is never followed (5 days left); s0 never changes
    rep1_best = best_from({}, days)
    rep1_best[3:, 3], rep1_best[3:, 4] = False, True
    rep1 = np.tile([100.0, 0, 0, 90, 10], (days, 1))
    trajectory = run([rep0, rep1], [rep0_best, rep1_best])
    events = follow_events(trajectory, FIRST_DAY, np.zeros(5, int), SEGMENT)
    assert sorted((r, t, c.tolist()) for r, t, c in events) == [(0, 1, [1]), (0, 5, [0]), (1, 3, [4])]
    assert days_to_follow(trajectory, FIRST_DAY, np.zeros(5, int), SEGMENT) == pytest.approx(1.0)  # median of 1, 0, 5


def test_no_change_of_best_gives_nan():
    assert np.isnan(days_to_follow(run([[[100, 0, 0, 50, 50]] * 3], [best_from({}, 3)]), FIRST_DAY, np.zeros(5, int), SEGMENT))
