"""The plan report's pacing section: there for a policy with a period, absent otherwise; its figure draws
the spend so far, the plan for the days left, the even pace and the budget."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

import budgetopt
from budgetopt.config import policy_from_dict
from budgetopt.data.demo import demo_path
from budgetopt.report.pacing import pacing_figure, pacing_sections
from budgetopt.report.plan_report import write_plan_report

POLICY = tomllib.loads(demo_path("demo_policy.toml").read_text())


def test_a_period_plan_report_has_a_pacing_section_and_figure(tmp_path):
    raw = {**POLICY, "budget": {**POLICY["budget"], "period_total": 120000.0, "period_start": "2026-11-01", "period_end": "2026-11-30"}}
    policy = policy_from_dict(raw)
    result = budgetopt.make_plan(demo_path("demo_log.csv"), policy, rng=np.random.default_rng(7))
    period = result.summary["period"]
    assert len(period["spent_by_day"]) == 24 and sum(d["spend"] for d in period["spent_by_day"]) == pytest.approx(period["spent"])
    page = write_plan_report(result, policy, tmp_path / "report").read_text()
    assert "Pacing the period" in page and "120,000.00 EUR" in page
    assert (tmp_path / "report" / "pacing.png").read_bytes().startswith(b"\x89PNG")
    figure = pacing_figure(period, "EUR")
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert labels[:1] == ["even pace"] and {"spent so far", "plan for the days left"} <= set(labels)
    drawn = figure.axes[0].get_lines()[labels.index("plan for the days left")].get_ydata()
    assert drawn[-1] == pytest.approx(period["spent"] + sum(d["spend"] for d in period["planned_by_day"]))


def test_a_daily_plan_has_no_pacing_section():
    assert pacing_sections({"currency": "EUR"}) == []


def test_a_risk_averse_plan_report_shows_the_tradeoff(tmp_path):
    raw = {**POLICY, "budget": {**POLICY["budget"], "risk_aversion": 1.0, "max_daily_change": float("inf")}}
    policy = policy_from_dict(raw)
    result = budgetopt.make_plan(demo_path("demo_log.csv"), policy, rng=np.random.default_rng(7))
    page = write_plan_report(result, policy, tmp_path / "report").read_text()
    assert "Risk: expected margin against the worst outcomes" in page and "1 (this plan)" in page


def test_the_tradeoff_gives_up_expected_margin_for_the_worst_draws():
    from budgetopt.allocate.tradeoff import risk_tradeoff

    raw = {**POLICY, "budget": {**POLICY["budget"], "max_daily_change": float("inf")}}
    result = budgetopt.make_plan(demo_path("demo_log.csv"), policy_from_dict(raw), rng=np.random.default_rng(7))
    rows = risk_tradeoff(result.problem, result.estimates, result.decision_detail.share, np.random.default_rng(1), (0.0, 1.0, 5.0))
    assert [r["risk_aversion"] for r in rows] == [0.0, 1.0, 5.0]
    # judged on draws the LP did not see: small differences can go either way, so the ends only, with a margin
    assert rows[-1]["margin_worst_5pct"] >= rows[0]["margin_worst_5pct"] - 0.002 * abs(rows[0]["margin_worst_5pct"])
    assert rows[-1]["expected_margin"] <= rows[0]["expected_margin"] + 0.002 * abs(rows[0]["expected_margin"])
