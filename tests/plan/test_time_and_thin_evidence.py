"""Issue 15 end to end on small logs: switched-off creatives, retests, and probes for thin evidence."""

from __future__ import annotations

import numpy as np
import pandas as pd

from budgetopt.config import policy_from_dict
from budgetopt.plan import plan_day
from tests.estimate.test_posterior import log_of


def _switched_off_log() -> pd.DataFrame:
    """a and b share the segment for 20 days (a converts 4 %, b 2 %); then b gets no spend for 5 days."""
    rng = np.random.default_rng(3)
    rows = []
    for day in range(25):
        for creative, rate in (("a", 0.04), ("b", 0.02)):
            spend = 0.0 if (creative == "b" and day >= 20) else 50.0
            visits = 100 if spend else 0
            conversions = rng.binomial(visits, rate)
            rows.append((day, "s", creative, spend, visits, conversions, 60.0 * conversions))
    return log_of(rows)


def _row(result, creative: str) -> pd.Series:
    return result.plan.set_index("creative").loc[creative]


def test_a_creative_the_log_shows_switched_off_stays_off_and_says_so():
    result = plan_day(_switched_off_log(), policy_from_dict({"budget": {"daily_total": 100.0}}))
    b = _row(result, "b")
    assert b["spend"] == 0.0
    assert "off: no spend since 2026-03-20" in b["reason"] and "retest_after_days" in b["reason"]


def test_retest_after_days_brings_it_back_as_a_fair_test():
    policy = policy_from_dict({"budget": {"daily_total": 100.0}, "decide": {"retest_after_days": 3}})
    b = _row(plan_day(_switched_off_log(), policy), "b")
    assert "back in test after 5 days off ([decide] retest_after_days = 3), judged afresh; too early" in b["reason"]
    assert 0.0 < b["share"] <= 0.5  # a new creative's test: at most an even share


def _thin_and_rich_log(thin_conversions: int) -> pd.DataFrame:
    """'rich' converts plenty; 'thin' spent 10 a day for 10 days, 20 visits a day, `thin_conversions` in all."""
    rows = []
    for day in range(10):
        rows.append((day, "rich", "r", 90.0, 200, 8, 8 * 60.0))
        conversions = 1 if day < thin_conversions else 0
        rows.append((day, "thin", "t", 10.0, 20, conversions, conversions * 60.0))
    return log_of(rows)


def test_a_segment_with_thin_evidence_keeps_a_probe_budget():
    """2 conversions in 200 visits: perhaps a loss, not a sure one; without the probe the plan cuts it to 0."""
    settings = {"budget": {"daily_total": 100.0, "max_daily_change": float("inf")}}
    without = plan_day(_thin_and_rich_log(2), policy_from_dict({**settings, "segments": {"probe": 0.0, "optimism": 0.0}}))
    probed = plan_day(_thin_and_rich_log(2), policy_from_dict({**settings, "segments": {"optimism": 0.0}}))
    thin = lambda result: result.plan.set_index("segment").loc["thin", "spend"]  # noqa: E731
    assert thin(without) == 0.0
    assert thin(probed) >= 0.5 * 100.0 / 2 - 0.01  # half an even split of the total
    limited = [s for s in probed.summary["segments"] if s["segment"] == "thin"][0]["limited_by"]
    assert "probe: thin evidence" in limited


def test_an_account_without_a_conversion_yet_is_held_not_cut_and_says_why():
    """A week of spend and no conversion anywhere: no evidence of loss, only of conversions not arrived yet."""
    rows = [(day, segment, creative, 7.5, 15, 0, 0.0) for day in range(7) for segment in ("brand", "generic", "social") for creative in ("a", "b")]
    result = plan_day(log_of(rows), policy_from_dict({"budget": {"daily_total": 45.0}}))
    assert result.summary["total_spend"] == 45.0
    assert all("no conversion in the log yet" in s["limited_by"] for s in result.summary["segments"])
    assert any(w.startswith("no conversion in the log yet") for w in result.summary["warnings"])
    opted_out = plan_day(log_of(rows), policy_from_dict({"budget": {"daily_total": 45.0}, "segments": {"probe": 0.0}}))
    assert opted_out.summary["total_spend"] < 45.0  # [segments] probe = 0: cut as the means say
