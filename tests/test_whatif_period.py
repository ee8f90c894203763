"""`budgetopt whatif` with a period split (a `date` column): the budgets of a period's days left against the period's plan."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from budgetopt.api import PeriodWhatIf, compare_split, make_plan
from budgetopt.cli import main
from budgetopt.config import load_policy
from budgetopt.data import load_log
from budgetopt.data.demo import demo_path
from budgetopt.errors import InputError

#: the demo's policy with November's budget: the log ends on 2026-11-24, so six days are left
PERIOD = "period_total = 120000.0\nperiod_start = 2026-11-01\nperiod_end = 2026-11-30\ndaily_total = 5000.0"
DAYS_LEFT = [f"2026-11-{d}" for d in range(25, 31)]


@pytest.fixture(scope="module")
def period_policy(tmp_path_factory) -> Path:
    text = demo_path("demo_policy.toml").read_text()
    path = tmp_path_factory.mktemp("policy") / "policy.toml"
    path.write_text(re.sub(r"daily_total = [0-9.]+", PERIOD, text, count=1))
    return path


@pytest.fixture(scope="module")
def demo(period_policy):
    """(log, policy, the plan's summary) of the demo account with November's budget."""
    log, policy = load_log(demo_path("demo_log.csv")), load_policy(period_policy)
    return log, policy, make_plan(log, policy, rng=7).summary


def even_split(log: pd.DataFrame, total: float) -> pd.DataFrame:
    segments = log.drop_duplicates(["campaign", "segment"])[["campaign", "segment"]]
    rows = [(c, s, d, total / len(DAYS_LEFT) / len(segments)) for d in DAYS_LEFT for c, s in segments.itertuples(index=False)]
    return pd.DataFrame(rows, columns=["campaign", "segment", "date", "spend"])


def test_an_even_split_of_the_remainder_loses_to_the_period_plan(demo):
    log, policy, summary = demo
    remaining = summary["period"]["remaining"]
    w = compare_split(log, policy, even_split(log, remaining), rng=7)
    assert isinstance(w, PeriodWhatIf)
    assert (w.start, w.end) == ("2026-11-25", "2026-11-30") and w.days["date"].tolist() == DAYS_LEFT
    assert w.proposal.total_spend == pytest.approx(remaining) and w.plan.total_spend == pytest.approx(remaining, rel=1e-6)
    assert w.chance_beats < 0.01 and w.difference.expected_margin < 0  # it funds the money-losing segment as much as the best
    assert w.notes == ()
    assert w.days["plan_spend"].iloc[0] == pytest.approx(summary["total_spend"])  # tomorrow's row is the final plan's
    assert w.days["plan_spend"].sum() == pytest.approx(w.plan.total_spend)
    assert w.segments["proposal_margin"].sum() == pytest.approx(w.days["proposal_margin"].sum())


def test_the_plans_own_period_split_ties_with_it(demo):
    log, policy, _ = demo
    first = compare_split(log, policy, even_split(log, 1000.0), rng=7)
    own = first.result.period.spend.copy()
    h = first.result.estimates.history
    own[0] = h.segment_sum(first.result.plan["spend"].to_numpy(float))
    segments = list(zip(h.campaign[h.segment_start], h.segment[h.segment_start]))
    rows = [(c, s, d, own[i, j]) for i, d in enumerate(DAYS_LEFT) for j, (c, s) in enumerate(segments)]
    w = compare_split(log, policy, pd.DataFrame(rows, columns=["campaign", "segment", "date", "spend"]), rng=7)
    assert w.chance_beats == 0.0 and w.difference.expected_margin == pytest.approx(0.0, abs=1e-6)
    assert w.proposal.expected_margin == pytest.approx(w.plan.expected_margin)


def test_breaking_the_period_and_leaving_days_out_are_noted(demo):
    log, policy, summary = demo
    split = even_split(log, 2 * summary["period"]["remaining"])
    split = split[split["date"] != "2026-11-28"]
    w = compare_split(log, policy, split, rng=7)
    assert any(n.startswith("breaks what remains of [budget] period_total") for n in w.notes)
    assert any("names no spend on 2026-11-28" in n for n in w.notes)
    assert any(n.startswith("breaks [budget] daily_total 5,000.00 EUR on 2026-11-25") for n in w.notes)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("c,s,2026-11-25,1\n", "no campaign 'c' in the log"),
        ("brand-search,exact-brand,2026-11-24,1\n", "2026-11-24 is not a day left of the period (2026-11-25 to 2026-11-30)"),
        ("brand-search,exact-brand,someday,1\n", "column 'date': 'someday' is not a date"),
        ("brand-search,exact-brand,2026-11-25,1\nbrand-search,exact-brand,2026-11-25,2\n", "the same segment and day appears more than once"),
        ("brand-search,exact-brand,2026-11-25,-5\n", "column 'spend': negative"),
    ],
    ids=["unknown campaign", "past day", "not a date", "twice", "negative"],
)
def test_bad_period_splits_name_the_row_and_column(demo, tmp_path, rows, message):
    log, policy, _ = demo
    path = tmp_path / "split.csv"
    path.write_text("campaign,segment,date,spend\n" + rows)
    with pytest.raises(InputError, match=re.escape(message)) as error:
        compare_split(log, policy, path, rng=7)
    assert "split.csv" in str(error.value)


def test_a_period_split_needs_a_period_and_a_split_per_creative_is_tomorrows(demo):
    log, policy, _ = demo
    split = even_split(log, 1000.0)
    with pytest.raises(InputError, match="the policy has no budget period"):
        compare_split(log, load_policy(demo_path("demo_policy.toml")), split, rng=7)
    plan = make_plan(log, policy, rng=7).plan  # plan.csv's columns, date included: tomorrow's split per creative
    assert not isinstance(compare_split(log, policy, plan, rng=7), PeriodWhatIf)


def test_cli_prints_the_days_and_writes_the_json(runner, period_policy, tmp_path, demo):
    log, _, summary = demo
    split = tmp_path / "period.csv"
    even_split(log, summary["period"]["remaining"]).to_csv(split, index=False)
    out = tmp_path / "whatif.json"
    result = runner.invoke(main, ["whatif", str(demo_path("demo_log.csv")), "--policy", str(period_policy), "--split", str(split), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "what-if for the period's days left, 2026-11-25 to 2026-11-30" in result.output and "by day" in result.output
    data = json.loads(out.read_text())
    assert data["split_per"] == "segment and day" and [d["date"] for d in data["days"]] == DAYS_LEFT and len(data["segments"]) == 8
    assert data["chance_proposal_beats_plan"] == pytest.approx(0.0, abs=0.01)
    assert np.isclose(sum(d["proposal_spend"] for d in data["days"]), summary["period"]["remaining"])


def test_the_period_plans_days_report_margins_on_the_posterior_means(demo):
    """planned_by_day's expected margins are at the posterior means (× each day's weekday effect), not at the values
    with the optimism bonus the LP allocates on: the later days' margins are what whatif's plan side says."""
    log, policy, _ = demo
    w = compare_split(log, policy, even_split(log, 1000.0), rng=7)
    period = w.result.period
    assert period.margin[1:].sum(1) == pytest.approx(w.days["plan_margin"].to_numpy()[1:], rel=0.02)  # whatif: 2,000 draws' mean
    optimistic = period.problem.curves.margin(period.spend.ravel()).reshape(period.spend.shape)
    assert optimistic[1:].sum() > period.margin[1:].sum()
