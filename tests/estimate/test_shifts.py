"""Campaign-wide steps of the conversion rate: found where a whole campaign moved, at the right day and size;
none invented in a stationary campaign, for one creative's change, or for a better creative launched."""

import numpy as np
import pandas as pd

from budgetopt.config import policy_from_dict
from budgetopt.estimate import build_history
from budgetopt.estimate.shifts import find_shifts
from budgetopt.plan import plan_day

# one campaign of three segments, two creatives each (cells sorted: segment-major); a second campaign of two
SEGMENT = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4])
CAMPAIGN = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
RATE = np.array([0.05, 0.04, 0.03, 0.036, 0.06, 0.05, 0.04, 0.03, 0.05, 0.045])


def _log(multiplier, days: int = 60, visits: float = 400.0, seed: int = 3, live=None):
    """Rows (cell, day, exposure, conversions) of every cell shown `visits` a day at RATE × multiplier(day)
    ((days, cells) array); live: (days, cells) bool, the cells shown that day (default all)."""
    rng = np.random.default_rng(seed)
    day, cell = np.divmod(np.arange(days * len(RATE)), len(RATE))
    keep = np.ones(len(day), bool) if live is None else live[day, cell]
    day, cell = day[keep], cell[keep]
    conversions = rng.poisson(visits * RATE[cell] * multiplier[day, cell]).astype(float)
    return cell, day, np.full(len(day), visits), conversions


def _frame(cell, day, visits, conversions) -> pd.DataFrame:
    """The rows as a log: campaign c0/c1, segments s0-s4, creatives a and b, from 2026-01-01, 0.50 a visit, 50 a conversion."""
    names = [(f"c{CAMPAIGN[i]}", f"s{SEGMENT[i]}", "ab"[i % 2]) for i in range(len(RATE))]
    return pd.DataFrame({
        "date": pd.Timestamp("2026-01-01") + pd.to_timedelta(day, unit="D"),
        "campaign": [names[i][0] for i in cell], "segment": [names[i][1] for i in cell], "creative": [names[i][2] for i in cell],
        "spend": visits * 0.5, "visits": visits, "impressions": visits * 20, "conversions": conversions, "revenue": conversions * 50.0,
        "status": "active",
    })


def _find(rows, days: int = 60):
    return find_shifts(*rows, SEGMENT, CAMPAIGN, days)


def test_a_campaign_wide_step_is_found_at_its_day_and_size():
    multiplier = np.ones((60, len(RATE)))
    multiplier[40:, CAMPAIGN == 0] = 1.5
    rows = _log(multiplier)
    found = _find(rows)
    assert list(found.campaign) == [0] and list(found.day) == [40]
    assert abs(found.ratio[0] / 1.5 - 1) < 0.08
    cell, day = rows[0], rows[1]
    before, other = (CAMPAIGN[cell] == 0) & (day < 40), CAMPAIGN[cell] == 1
    assert np.allclose(found.factor[before], 1 / found.ratio[0]) and np.all(found.factor[~before] == 1.0)
    assert np.all(found.factor[other] == 1.0)


def test_a_stationary_account_has_no_step():
    flat = np.ones((60, len(RATE)))
    found = [len(_find(_log(flat, seed=seed)).day) for seed in range(40)]
    assert sum(found) <= 1  # the scan's false alarms: p ≈ 1e-4 per day scanned, two campaigns, 40 logs


def test_one_creatives_change_is_not_the_campaigns():
    multiplier = np.ones((60, len(RATE)))
    multiplier[30:, 4] = 0.4  # one creative of one segment loses 60 %: a shock of its own, or a tired ad
    assert len(_find(_log(multiplier)).day) == 0


def test_steps_shared_by_segments_but_not_by_their_creatives_are_refused():
    multiplier = np.ones((60, len(RATE)))
    multiplier[30:, [0, 2, 4]] = 0.6  # each segment's first creative alone: three ads tiring together
    assert len(_find(_log(multiplier)).day) == 0


def test_a_better_creative_launched_is_not_a_step():
    multiplier = np.ones((60, len(RATE)))
    multiplier[:, [1, 3, 5]] = 2.0  # the second creative of each segment converts twice as well …
    live = np.ones((60, len(RATE)), bool)
    live[:30, [1, 3, 5]] = False  # … and is launched on day 30, taking its share of the traffic
    assert len(_find(_log(multiplier, live=live)).day) == 0


def test_two_steps_down_then_back_are_both_found():
    multiplier = np.ones((90, len(RATE)))
    multiplier[30:60, CAMPAIGN == 0] = 0.5
    found = _find(_log(multiplier, days=90), days=90)
    assert found.day.tolist() == [30, 60] and np.all(found.campaign == 0)
    assert abs(found.ratio[0] / 0.5 - 1) < 0.1 and abs(found.ratio[1] / 2.0 - 1) < 0.1


def test_a_resting_creative_keeps_its_standing_across_the_step():
    """Creative b of every segment rests from day 30 (its old evidence only), then the campaign converts ×1.5
    from day 40: with the step, b's rate is put at the new level like a's, so their ratio stays the truth."""
    multiplier = np.ones((60, len(RATE)))
    multiplier[40:, CAMPAIGN == 0] = 1.5
    live = np.ones((60, len(RATE)), bool)
    live[30:, [1, 3, 5]] = False
    log = _frame(*_log(multiplier, live=live, visits=600.0))
    on, off = (build_history(log, half_life_days=14.0, shifts=s) for s in (True, False))
    assert on.shifts is not None and list(on.shifts.day) == [40]
    rate = lambda h: h.totals.conversions / h.totals.exposure  # noqa: E731
    truth = RATE[[0, 2, 4]] / RATE[[1, 3, 5]]
    with_step, without = rate(on)[[0, 2, 4]] / rate(on)[[1, 3, 5]], rate(off)[[0, 2, 4]] / rate(off)[[1, 3, 5]]
    assert np.all(np.abs(with_step / truth - 1) < 0.15)
    assert np.mean(without / truth) > 1.25  # a's recent days at the new level, b's all at the old


def test_the_plan_says_which_campaign_stepped_and_since_when():
    multiplier = np.ones((60, len(RATE)))
    multiplier[40:, CAMPAIGN == 0] = 1.5
    log = _frame(*_log(multiplier))
    policy = policy_from_dict({"budget": {"daily_total": 2000.0, "currency": "EUR"}})
    said = [w for w in plan_day(log, policy, rng=np.random.default_rng(0)).summary["warnings"] if "converts" in w]
    assert len(said) == 1 and said[0].startswith("campaign 'c0' converts ×1.") and "since 2026-02-10" in said[0]
    quiet = policy_from_dict({"budget": {"daily_total": 2000.0, "currency": "EUR"}, "estimate": {"shifts": False}})
    assert not [w for w in plan_day(log, quiet, rng=np.random.default_rng(0)).summary["warnings"] if "converts" in w]
    multiplier[40:] = 1.5  # every campaign
    said = [w for w in plan_day(_frame(*_log(multiplier)), policy, rng=np.random.default_rng(0)).summary["warnings"] if "converts" in w]
    assert len(said) == 1 and said[0].startswith("the whole account converts ×1.") and "campaigns and creatives alike" in said[0]


def test_a_step_of_the_whole_account_is_the_accounts_not_each_campaigns():
    multiplier = np.ones((60, len(RATE)))
    multiplier[30:] = 0.6  # a tracking change: every campaign's conversions from day 30
    found = _find(_log(multiplier))
    assert list(found.campaign) == [-1] and list(found.day) == [30] and abs(found.ratio[0] / 0.6 - 1) < 0.08


def test_an_account_of_one_segment_campaigns_steps_as_a_whole():
    """Search accounts often run one ad group per campaign: no campaign can show a step its segments share,
    the account can (its campaigns share it)."""
    segment, campaign = np.arange(len(RATE)), np.arange(len(RATE)) // 2  # five campaigns, one segment of two creatives each
    multiplier = np.ones((60, len(RATE)))
    multiplier[25:] = 1.4
    found = find_shifts(*_log(multiplier), segment // 2, campaign, 60)
    assert list(found.campaign) == [-1] and list(found.day) == [25] and abs(found.ratio[0] / 1.4 - 1) < 0.08
