"""Issue 18: the simulator's budgetopt policy carries yesterday's fits into today's history; the History it
gets is the one `budgetopt plan` rebuilds from the whole log, to the fits' tolerance, day after day."""

from __future__ import annotations

import numpy as np
import pytest

from budgetopt.estimate import build_history
from budgetopt.estimate.wearout import fit_wear_out
from budgetopt.simulate.policies import Briefing, BudgetoptPolicy
from budgetopt.simulate.runner import account_of, run_policy, warm_up
from budgetopt.simulate.scenario import scenario_from_dict


class _ComparedWithRebuilt(BudgetoptPolicy):
    """The policy, its History (built from yesterday's) compared each day with one rebuilt cold from the log's frame."""

    days = 0
    warm_days = 0

    def plan(self, log, truth=None):
        step = super().plan(log, truth)
        a, s = self.account, self.account.policy.estimate
        carried = self.yesterday
        rebuilt = build_history(
            log.frame(a, self.briefing.start_date), half_life_days=s.fixed_half_life, conversion_lag=s.conversion_lag, wear_out=s.wear_out,
            weekday=s.weekday,
        )
        assert carried.creative.tolist() == rebuilt.creative.tolist()
        for name in ("spend", "visits", "exposure", "conversions", "revenue", "paid_visits"):
            assert getattr(carried.totals, name) == pytest.approx(getattr(rebuilt.totals, name), rel=1e-9, abs=1e-9), name
        assert carried.forgetting.weight == pytest.approx(rebuilt.forgetting.weight, rel=1e-9, abs=1e-12)
        assert carried.wear.raw_slope == pytest.approx(rebuilt.wear.raw_slope, rel=1e-7, abs=1e-8)
        assert carried.wear.slope == pytest.approx(rebuilt.wear.slope, rel=1e-7, abs=1e-8)
        type(self).days += 1
        type(self).warm_days += int(np.isfinite(carried.wear.intercept).all())
        return step


def test_the_history_carried_from_yesterday_is_the_one_rebuilt_from_the_log(small):
    small["world"]["days"] = 12  # through the launch (day 6), the shock (day 7) and the video's wear-out
    scenario = scenario_from_dict(small)
    acc = account_of(scenario)
    replication = np.random.SeedSequence(scenario.seed).spawn(1)[0]
    log, cumulative = warm_up(scenario, acc, replication)
    before = _ComparedWithRebuilt.days
    run_policy(scenario, acc, _ComparedWithRebuilt(acc, Briefing(scenario.start_date), np.random.default_rng(4)), log, cumulative, replication)
    assert _ComparedWithRebuilt.days - before == 12


def test_a_wear_out_fit_started_from_yesterdays_ends_where_a_cold_one_does():
    rng = np.random.default_rng(2)
    cells, days = 40, 30
    day, cell = np.divmod(np.arange(days * cells), cells)
    exposure = rng.uniform(200, 2000, days * cells)
    slope = rng.normal(0, 0.5, cells)
    conversions = rng.poisson(exposure * 0.02 * np.exp(slope[cell] * day / days)).astype(float)
    conversions[cell == 0] = 0.0  # one creative never converts: b stays 0
    yesterday = day < days - 1
    old = fit_wear_out(cell[yesterday], day[yesterday], exposure[yesterday], conversions[yesterday], cells)
    cold = fit_wear_out(cell, day, exposure, conversions, cells)
    warm = fit_wear_out(cell, day, exposure, conversions, cells, (old.intercept, old.raw_slope, old.so_far))
    assert warm.raw_slope == pytest.approx(cold.raw_slope, rel=1e-8, abs=1e-10)
    assert warm.intercept == pytest.approx(cold.intercept, rel=1e-8, abs=1e-10)
    assert warm.factor == pytest.approx(cold.factor, rel=1e-10)
    assert cold.raw_slope[0] == 0.0
