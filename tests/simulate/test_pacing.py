"""The monthly scenario: `budgetopt` paces the period (never more than it, more on the better weekdays),
the baselines spend it evenly, period_total ÷ its days each day."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from budgetopt.simulate.pacing import flat_policy
from budgetopt.simulate.runner import simulate
from budgetopt.simulate.scenario import load_scenario

MONTHLY = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "monthly.toml")
#: the scenario's cycle: conversion rates × (1 + 0.3 sin(2π d / 7)), d counted from day 0
CYCLE = 1 + 0.3 * np.sin(2 * np.pi * np.arange(7) / 7)


def test_the_flat_policy_is_the_period_spread_evenly():
    flat = flat_policy(MONTHLY.policy).budget
    assert flat.daily_total == pytest.approx(150_000.0 / 30) and not flat.has_period
    assert MONTHLY.policy.budget.daily_total is None and MONTHLY.policy.budget.has_period


def test_budgetopt_paces_the_period_and_the_baselines_spend_it_evenly():
    short = dataclasses.replace(MONTHLY, days=14)  # two weeks of the 30-day period: enough to see the weekly shape
    result = simulate(short, reps=1, policies=("budgetopt", "even"))
    paced = result.runs["budgetopt"].spend[0].sum(1)  # (days,)
    even = result.runs["even"].spend[0].sum(1)
    assert even == pytest.approx(np.full(14, 5000.0))
    assert paced.sum() <= 150_000.0
    assert paced.sum() == pytest.approx(14 * 5000.0, rel=0.1)  # on pace, give or take the weekdays' shape
    day = short.warmup_days + np.arange(14)
    good, bad = CYCLE[day % 7] > 1.15, CYCLE[day % 7] < 0.85
    assert paced[good].mean() > paced[bad].mean()  # more money on the days a euro buys more


def test_metrics_tell_the_period_spend_against_its_budget():
    from budgetopt.simulate.metrics import policy_metrics

    result = simulate(dataclasses.replace(MONTHLY, days=7), reps=1, policies=("even",))
    table = policy_metrics(result).set_index("policy")
    # 7 days of the 30-day period at 5,000 a day: the even policy spends its prorated budget exactly
    assert table.loc["even", "period_spend_vs_budget"] == pytest.approx(0.0, abs=1e-9)
    assert "days_below_min_roas" not in table.columns  # the scenario sets no ROAS target
