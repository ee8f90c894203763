"""The public Python API: the CLI's jobs as functions returning typed results, and a fast `import budgetopt`."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import budgetopt
from budgetopt import api
from budgetopt.cli.options import DEFAULT_SEED
from budgetopt.plan import DECISION_COLUMNS, PLAN_COLUMNS, plan_day


@pytest.fixture(scope="module")
def demo():
    from budgetopt.data.demo import demo_path

    log_path, policy_path = demo_path("demo_log.csv"), demo_path("demo_policy.toml")
    return log_path, policy_path, budgetopt.load_log(log_path), budgetopt.load_policy(policy_path)


def test_plan_matches_the_cli_default_seed_whatever_form_the_inputs_take(demo):
    log_path, policy_path, log, policy = demo
    assert api.DEFAULT_SEED == DEFAULT_SEED
    date = log["date"].max() + pd.Timedelta(days=1)
    reference = plan_day(log, policy, rng=np.random.default_rng([DEFAULT_SEED, date.toordinal()]))  # the seed with the date
    for log_in, policy_in in ((log, policy), (log_path, policy_path), (pd.read_csv(log_path), policy.model_dump())):
        result = budgetopt.make_plan(log_in, policy_in)
        assert isinstance(result, budgetopt.PlanResult)
        assert list(result.plan.columns) == PLAN_COLUMNS
        pd.testing.assert_frame_equal(result.plan, reference.plan)
        assert result.summary["expected_margin"] == reference.summary["expected_margin"]


def test_a_seed_gives_the_same_plan_for_the_same_date_and_fresh_draws_each_morning(demo):
    """Run every morning with the default seed, one stream restarted daily would repeat the same numbers: an
    exploration draw that is no longer random, Monte Carlo errors that never average out. The seed is taken
    with the date, so a plan is still reproducible."""
    _, _, log, policy = demo
    day = log["date"].max() + pd.Timedelta(days=1)
    same = [budgetopt.make_plan(log, policy, date=day, rng=seed).plan for seed in (None, DEFAULT_SEED)]
    pd.testing.assert_frame_equal(same[0], same[1])
    assert api.day_rng(None, day).random(4).tolist() == api.day_rng(DEFAULT_SEED, day).random(4).tolist()
    later = [api.day_rng(None, day + pd.Timedelta(days=k)).random(4) for k in range(3)]
    assert not np.array_equal(later[0], later[1]) and not np.array_equal(later[1], later[2])
    mine = np.random.default_rng(5)
    assert api.day_rng(mine, day) is mine  # a caller's own Generator is used as it is (the simulator's stream)


def test_decide_returns_the_plans_verdicts_as_a_typed_result(demo):
    _, _, log, policy = demo
    decided = budgetopt.make_decisions(log, policy)
    assert isinstance(decided, budgetopt.DecideResult)
    assert list(decided.decisions.columns) == DECISION_COLUMNS
    assert len(decided.detail.p_best) == len(decided.decisions) == decided.estimates.history.n_cells
    assert len(decided.detail.p_best_se) == len(decided.decisions)
    planned = budgetopt.make_plan(log, policy)
    pd.testing.assert_frame_equal(decided.decisions, planned.decisions)


def test_estimate_honours_the_date(demo):
    _, _, log, policy = demo
    estimates = budgetopt.fit_estimates(log, policy, date="2026-11-10")
    assert estimates.history.as_of == pd.Timestamp("2026-11-10")
    assert estimates.history.raw.visits.sum() < budgetopt.fit_estimates(log, policy).history.raw.visits.sum()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda log, policy: budgetopt.make_plan(log.assign(spend=-log["spend"]), policy), r"column 'spend'"),
        (lambda log, policy: budgetopt.make_plan(log, {"budget": {"daily_totl": 5}}), r"did you mean 'daily_total'"),
        (lambda log, policy: budgetopt.make_decisions(log, policy, date="25/11/2026"), r"'date' argument must be an ISO date"),
        (lambda log, policy: budgetopt.fit_estimates(log.to_numpy(), policy), r"'log' argument must be a DataFrame"),
        (lambda log, policy: budgetopt.make_plan(log, 42), r"'policy' argument must be a Policy"),
    ],
)
def test_bad_arguments_raise_input_errors_that_say_what_to_do(demo, call, message):
    _, _, log, policy = demo
    with pytest.raises(budgetopt.InputError, match=message):
        call(log, policy)


def test_import_is_fast_and_loads_matplotlib_only_for_reports():
    code = (
        "import sys, budgetopt; assert 'matplotlib' not in sys.modules; "
        "budgetopt.write_plan_report; assert 'matplotlib' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        budgetopt.nope  # noqa: B018
