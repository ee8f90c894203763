"""The shipped scenarios test what issue 6 lists, and what their opening comments say they test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from budgetopt.simulate.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def load(name: str):
    return load_scenario(SCENARIOS / f"{name}.toml")


def value_per_euro(scenario) -> np.ndarray:
    """(cells,) true revenue-margin per unsaturated euro at the start."""
    w = scenario.world
    return w.conversion_rate * w.basket * scenario.policy.budget.margin_rate / w.cost_per_visit


def kinds(scenario) -> set[str]:
    e = scenario.world.timeline
    found = set()
    if (e.launch_day > 0).any():
        found.add("launch")
    if (e.fatigue_per_visit > 0).any():
        found.add("fatigue")
    if len(e.shock_day):
        found.add("shock")
    if len(e.weekly_phase):
        found.add("weekly")
    return found


@pytest.mark.parametrize(
    ("name", "events"),
    [("stable", set()), ("fatigue", {"fatigue"}), ("launch", {"launch"}), ("shock_weekly", {"shock", "weekly"})],
)
def test_each_scenario_has_the_events_it_is_named_for_and_no_others(name, events):
    assert kinds(load(name)) == events


def test_launches_happen_after_the_warm_up_and_a_whole_segment_launches():
    scenario = load("launch")
    launch = scenario.world.timeline.launch_day
    assert np.all((launch == 0) | (launch > scenario.warmup_days))
    segment = np.array(scenario.world.segment)
    assert np.all(launch[segment == "lookalike-new"] == 25)


def test_the_wide_account_is_wide_and_spans_losing_to_excellent_returns():
    scenario = load("wide")
    w = scenario.world
    assert w.n_cells >= 50 and len(set(w.campaign)) == 4
    best = np.array([value_per_euro(scenario)[w.segment_index == s].max() for s in range(w.n_segments)])
    assert best.min() < 1.0 < 5.0 < best.max()  # a segment where every euro loses money, and excellent ones
    assert len(kinds(scenario)) >= 3


@pytest.mark.parametrize("name", ["stable", "fatigue", "launch", "shock_weekly", "wide", "campaign_shift"])
def test_the_daily_total_binds_for_the_oracle(name):
    """Each segment's margin peaks at S · ln(v) (v its best value per unsaturated euro): the daily total
    is below their sum, so the allocation across segments matters."""
    scenario = load(name)
    w = scenario.world
    v = value_per_euro(scenario)
    best = np.array([v[w.segment_index == s].max() for s in range(w.n_segments)])
    peak = np.where(best > 1, w.saturation_spend * np.log(np.maximum(best, 1.0)), 0.0)
    cap = scenario.policy.segments.max_spend
    assert np.minimum(peak, cap).sum() > scenario.policy.budget.daily_total


def test_the_thin_account_is_many_small_segments_some_losing():
    """thin_many: what its opening comment says — 60 segments of three creatives, 40 a day each, every creative
    below 300 visits for its first week at an even split, 16 segments losing money whatever runs, a binding total."""
    scenario = load("thin_many")
    w = scenario.world
    assert (w.n_segments, w.n_cells, len(set(w.campaign))) == (60, 180, 4)
    even = scenario.policy.budget.daily_total / w.n_segments / 3 / w.cost_per_visit  # visits a creative gets a day
    assert np.all(7 * even < 300)
    best = np.array([value_per_euro(scenario)[w.segment_index == s].max() for s in range(w.n_segments)])
    assert (best < 1.0).sum() == 16 and best.max() < 4.0
    peak = np.where(best > 1, w.saturation_spend * np.log(np.maximum(best, 1.0)), 0.0)
    assert peak.sum() > scenario.policy.budget.daily_total


def test_the_noisy_account_is_stable_on_average_with_days_that_vary_beyond_chance():
    noisy, stable = load("noisy"), load("stable")
    assert kinds(noisy) == set() and noisy.world.rate_noise == 0.3 and stable.world.rate_noise == 0.0
    assert np.array_equal(noisy.world.conversion_rate, stable.world.conversion_rate)
