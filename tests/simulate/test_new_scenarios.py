"""The scenarios of issue 15 ("notice change in days, not weeks") load, run, and hold what their
opening comments say."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from budgetopt.simulate.metrics import policy_metrics
from budgetopt.simulate.runner import simulate
from budgetopt.simulate.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
NEW = ("fast_fatigue", "recovery", "segment_shock", "weekly_launch", "sparse", "campaign_shift")


def load(name: str):
    return load_scenario(SCENARIOS / f"{name}.toml")


def values(scenario, day: int, visits: np.ndarray | None = None) -> np.ndarray:
    """(cells,) true value per unsaturated euro on `day` (before any fatigue unless `visits` is given)."""
    w = scenario.world
    return w.day_truth(day, np.zeros(w.n_cells) if visits is None else visits, scenario.policy.budget.margin_rate).value_per_euro


def cell(scenario, segment: str, creative: str) -> int:
    w = scenario.world
    return next(i for i in range(w.n_cells) if w.segment[i] == segment and w.creative[i] == creative)


@pytest.mark.parametrize("name", NEW)
def test_each_new_scenario_loads_opens_with_a_comment_and_runs_a_few_days(name):
    path = SCENARIOS / f"{name}.toml"
    assert path.read_text().startswith("# ") and "What it tests" in path.read_text().split("\n[world]")[0]
    scenario = load_scenario(path).with_overrides(days=3)
    result = simulate(scenario, reps=1, policies=("budgetopt", "greedy", "thompson", "oracle"))
    metrics = policy_metrics(result).set_index("policy")
    assert np.all(metrics["margin_mean"].notna())
    for run in result.runs.values():
        assert run.spend.sum(-1).max() <= scenario.policy.budget.daily_total * (1 + 1e-6)
        assert run.spend.sum() > 0


def test_fast_fatigue_a_sibling_overtakes_each_tiring_leader_within_one_or_two_weeks():
    scenario = load("fast_fatigue").with_overrides(days=20)
    w = scenario.world
    assert np.all(1.0 / w.timeline.fatigue_per_visit[w.timeline.fatigue_per_visit > 0] == 8000.0)
    oracle = simulate(scenario, reps=1, policies=("oracle",)).runs["oracle"]
    for segment, leader in (("women-25-34", "video-a"), ("lookalike-1pct", "ugc-a"), ("men-25-34", "video-a")):
        best = oracle.best[0][:, cell(scenario, segment, leader)]
        overtaken = int(np.argmin(best))
        assert best[:overtaken].all() and not best[overtaken:].any()
        assert 5 <= overtaken <= 14, (segment, overtaken)


def test_recovery_the_leader_is_worse_for_twenty_days_and_then_as_good_as_before():
    scenario = load("recovery")
    for segment, leader, sibling, down in (("women-25-34", "video-a", "carousel-b", 20), ("lookalike-1pct", "ugc-a", "video-b", 25)):
        i, j = cell(scenario, segment, leader), cell(scenario, segment, sibling)
        before, rested, back = values(scenario, down - 1), values(scenario, down), values(scenario, down + 20)
        assert before[i] > 1.2 * before[j] and rested[i] < 0.7 * rested[j]
        assert back[i] == pytest.approx(before[i]) and values(scenario, down + 19)[i] == pytest.approx(rested[i])


def test_segment_shock_one_segment_falls_to_forty_percent_on_day_25_and_no_ranking_changes():
    scenario = load("segment_shock")
    w = scenario.world
    before, after = values(scenario, 24), values(scenario, 25)
    hit = np.array(w.segment) == "lookalike-2pct"
    assert after[hit] == pytest.approx(0.4 * before[hit]) and after[~hit] == pytest.approx(before[~hit])


def test_campaign_shift_whole_campaigns_step_and_no_creatives_order_changes():
    scenario = load("campaign_shift")
    w = scenario.world
    campaign = np.array(w.campaign)
    prospecting, retargeting = campaign == "social-prospecting", campaign == "retargeting"
    assert len(set(np.array(w.segment)[prospecting])) == 5 and len(set(np.array(w.segment)[retargeting])) == 2
    start, down, up = values(scenario, 34), values(scenario, 35), values(scenario, 50)
    assert down[prospecting] == pytest.approx(0.7 * start[prospecting]) and down[~prospecting] == pytest.approx(start[~prospecting])
    assert up[retargeting] == pytest.approx(1.25 * start[retargeting]) and up[prospecting] == pytest.approx(down[prospecting])
    for day in (34, 35, 50):  # each segment's order of creatives is the same every day
        v = values(scenario, day)
        for s in range(w.n_segments):
            cells = np.flatnonzero(w.segment_index == s)
            assert list(np.argsort(v[cells])) == list(np.argsort(start[cells]))


def test_weekly_launch_two_better_creatives_launch_into_the_trough_of_a_25_percent_wave():
    scenario = load("weekly_launch")
    w = scenario.world
    assert np.all(w.timeline.launch_day[w.timeline.launch_day > 0] == 20)
    multiplier = np.array([w.timeline.rate_multiplier(day, np.zeros(w.n_cells))[0] for day in range(14, 28)])
    assert multiplier.max() == pytest.approx(1.25, abs=0.01) and multiplier.min() == pytest.approx(0.75, abs=0.03)
    assert multiplier[20 - 14: 23 - 14].max() < 1.0 and np.argmin(multiplier) + 14 in (21, 22)  # launched into the trough
    v = values(scenario, 20)
    assert v[cell(scenario, "broad-18-44", "ugc-d")] == pytest.approx(1.3 * v[cell(scenario, "broad-18-44", "video-a")], rel=0.01)
    assert v[cell(scenario, "women-25-34", "ugc-e")] == pytest.approx(1.12 * v[cell(scenario, "women-25-34", "video-a")], rel=0.01)


def test_sparse_about_fifty_conversions_in_120_days():
    scenario = load("sparse")
    w = scenario.world
    assert (scenario.warmup_days, scenario.days, w.n_segments) == (7, 113, 3)
    result = simulate(scenario, reps=1, policies=("even", "oracle"))
    even = scenario.policy.budget.daily_total / w.n_segments / np.bincount(w.segment_index)[w.segment_index]  # the warm-up's split
    warm_up = scenario.warmup_days * (w.expected_visits(even) * w.conversion_rate).sum()
    for name, low, high in (("even", 40, 55), ("oracle", 50, 65)):
        expected = warm_up + (w.expected_visits(result.runs[name].spend[0]) * w.conversion_rate).sum()
        assert low < expected < high, (name, expected)
