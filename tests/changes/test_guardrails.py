"""[guardrails]: bounds of the allocation and limits on what the engine pauses; a change a guardrail stops
is shown with its name; over random plans and guardrails, none is ever exceeded."""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from budgetopt import api
from budgetopt.errors import InfeasiblePolicyError, InputError

#: budgets are typed to the cent: a limit holds to within one cent of the amounts the changes list shows
CENT = 0.01 + 1e-9


@pytest.fixture(scope="module")
def demo():
    policy = tomllib.loads(api.demo_path("demo_policy.toml").read_text(encoding="utf-8"))
    return api.load_log(api.demo_path("demo_log.csv")), policy


def plan_with(demo, guardrails: dict) -> tuple[api.PlanResult, api.Changes]:
    log, tables = demo
    policy = api.as_policy(tables | {"guardrails": guardrails})
    result = api.make_plan(log, policy)
    return result, api.make_changes(result, policy, log=log)


def changes_with(demo, guardrails: dict) -> api.Changes:
    return plan_with(demo, guardrails)[1]


def test_a_frozen_campaign_keeps_its_budgets_and_says_which_change_it_stopped(demo):
    table = changes_with(demo, {"freeze": [{"campaign": "brand-search"}]}).table.set_index("segment")
    for segment in ("exact-brand", "brand-generic"):  # the engine wanted both up: shown, stopped, named
        row = table.loc[segment]
        assert (row["before"], row["change"], row["applies"]) == (row["after"], "stopped", False)
        assert row["guardrail"] == "[guardrails] freeze #1 campaign 'brand-search'"


def test_a_cap_in_currency_bounds_the_lp_and_is_named(demo):
    result, changes = plan_with(demo, {"max_increase": 50.0})
    table = changes.table
    budgets = table[table["field"] == "budget"]
    rise = budgets["after"].astype(float) - budgets["before"].astype(float)
    assert rise.max() <= 50.0 + CENT
    capped = budgets[rise > 49.99]
    assert len(capped) >= 3 and (capped["guardrail"] == "[guardrails] max_increase 50.00 EUR").all()
    # a bound of the LP, not clipping: each cap binds with a shadow price, what one more EUR of it would earn
    prices = [b["shadow_price"] for b in result.summary["binding"] if "[guardrails] max_increase 50.00 EUR" in b["constraint"]]
    assert len(prices) == len(capped) and min(prices) > 0


def test_a_creative_kept_on_moves_only_its_own_segments_shares(demo):
    # the engine pauses static-c in women-25-34; kept on, it gets min_share there, and every other segment's
    # creatives keep the engine's shares (resting challengers stay resting: the guardrail wakes no one)
    plans = [plan_with(demo, g)[0].plan.set_index(["segment", "creative"]) for g in ({}, {"max_paused_per_day": 0})]
    moved = (plans[0]["share"] - plans[1]["share"]).abs() > 1e-12
    assert set(moved[moved].index.get_level_values("segment")) == {"women-25-34"}
    assert plans[1].loc[("women-25-34", "static-c"), "share"] == pytest.approx(0.05)
    assert plans[1].loc[("women-25-34", "video-a"), "share"] == 0  # resting before, resting still


def test_max_paused_per_day_keeps_a_creative_on_and_says_so(demo):
    table = changes_with(demo, {"max_paused_per_day": 0}).table
    row = table[table["creative"] == "static-c"].iloc[0]
    assert (row["before"], row["after"], row["change"], row["guardrail"]) == ("active", "active", "stopped", "[guardrails] max_paused_per_day 0")
    assert "; kept on by [guardrails] max_paused_per_day 0 (the engine would pause it); still testing: 0.0 % chance" in row["reason"]


@pytest.mark.parametrize("guardrails, message", [
    ({"max_increase": -1}, r"\[guardrails\] max_increase: Input should be greater than or equal to 0"),
    ({"max_decrease_percent": 150}, r"\[guardrails\] max_decrease_percent: Input should be less than or equal to 100"),
    ({"keep_last_creative": 1}, r"\[guardrails\] keep_last_creative: Input should be a valid boolean"),
    ({"max_paused_per_day": True}, r"\[guardrails\] max_paused_per_day: expected a number, got a boolean"),
    ({"freeze": [{"campain": "x"}]}, r"\[\[guardrails.freeze\]\] #1 campain: unknown key \(did you mean 'campaign'\?\)"),
])
def test_bad_guardrails_are_refused_naming_the_key(guardrails, message):
    with pytest.raises(InputError, match=message):
        api.as_policy({"budget": {"daily_total": 100.0}, "guardrails": guardrails})


def _account(draw, n_segments: int) -> pd.DataFrame:
    rows = []
    for s in range(n_segments):
        base = draw(st.floats(20, 300))
        for k in range(draw(st.integers(2, 3))):
            rate = draw(st.sampled_from([0.002, 0.01, 0.03, 0.06]))
            for day in pd.date_range("2026-01-01", periods=8):
                visits = round(base * 4)
                rows.append({"date": day, "campaign": f"c{s % 2}", "segment": f"s{s}", "creative": f"k{k}", "spend": round(base, 2),
                             "visits": visits, "conversions": round(visits * rate), "revenue": 50.0 * round(visits * rate)})
    return pd.DataFrame(rows)


@st.composite
def plans_and_guardrails(draw):
    n_segments = draw(st.integers(2, 4))
    log = _account(draw, n_segments)
    amount = st.one_of(st.just(math.inf), st.floats(0, 150))
    guardrails = {
        "max_increase": draw(amount), "max_decrease": draw(amount),
        "max_increase_percent": draw(st.one_of(st.just(math.inf), st.floats(0, 80))),
        "max_decrease_percent": draw(st.floats(0, 100)),
        "max_paused_per_day": draw(st.one_of(st.none(), st.integers(0, 2))),
        "freeze": [{"segment": f"s{s}"} for s in range(n_segments) if draw(st.booleans()) and draw(st.booleans())]
        + [{"segment": f"s{s}", "creative": "k0"} for s in range(n_segments) if draw(st.booleans()) and draw(st.booleans())],
    }
    previous = log[log["date"] == log["date"].max()]["spend"].sum()
    total = previous * draw(st.floats(1.0, 1.6))
    policy = {"budget": {"daily_total": total, "max_daily_change": math.inf}, "decide": {"min_visits_before_disable": 100}, "guardrails": guardrails}
    return log, policy, draw(st.integers(0, 2**16))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans_and_guardrails())
def test_no_guardrail_is_ever_exceeded(case):
    log, tables, seed = case
    policy = api.as_policy(tables)
    try:
        result = api.make_plan(log, policy, rng=seed)
    except InfeasiblePolicyError:
        assume(False)
    g = policy.guardrails
    segments = api.make_changes(result, policy, log=log).segments
    before, after = segments["before"].to_numpy(), segments["after"].to_numpy()
    plan_after = np.round(result.budgets_in_cents, 2)
    assert np.all(plan_after - before <= g.max_increase + CENT)
    assert np.all(before - plan_after <= g.max_decrease + CENT)
    if math.isfinite(g.max_increase_percent):
        assert np.all(plan_after <= before * (1 + g.max_increase_percent / 100) + CENT)
    assert np.all(plan_after >= before * (1 - g.max_decrease_percent / 100) - CENT)
    frozen = segments["segment"].isin([f["segment"] for f in tables["guardrails"]["freeze"] if "creative" not in f]).to_numpy()
    assert np.array_equal(plan_after[frozen], before[frozen]) and np.array_equal(after[frozen], before[frozen])
    plan = result.plan
    paused = (plan["status"] == "disabled").sum()
    assert g.max_paused_per_day is None or paused <= g.max_paused_per_day
    frozen_creatives = {(f["segment"], f["creative"]) for f in tables["guardrails"]["freeze"] if "creative" in f}
    assert not any((s, k) in frozen_creatives for s, k in plan.loc[plan["status"] == "disabled", ["segment", "creative"]].itertuples(index=False))
    assert (plan.groupby("segment")["status"].apply(lambda s: (s == "active").any())).all()  # keep_last_creative
