"""Chance to be best, verdicts and traffic shares."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from budgetopt.config import DecideSection
from budgetopt.decide import chance_to_be_best, traffic_shares, verdicts
from budgetopt.decide.verdicts import SHARE_EVIDENCE, share_measured

#: Monte Carlo error of p_best with 200,000 draws is below 0.0012 (sd); 0.005 is four of them
P_BEST_TOLERANCE = 0.005


def exact_p_b_beats_a(a, b) -> float:
    """P(θ_B > θ_A) for independent Betas, by quadrature."""
    return integrate.quad(lambda t: stats.beta(*b).pdf(t) * stats.beta(*a).cdf(t), 0, 1, limit=200)[0]


def test_p_best_of_two_matches_the_exact_probability():
    a, b = (31, 971), (45, 957)
    rng = np.random.default_rng(5)
    draws = np.column_stack([rng.beta(*a, 200_000), rng.beta(*b, 200_000)])
    p_best, loss = chance_to_be_best(draws, np.array([0]), np.array([0, 0]), np.array([True, True]))
    assert p_best[1] == pytest.approx(exact_p_b_beats_a(a, b), abs=P_BEST_TOLERANCE)
    assert loss[1] < loss[0]


def test_p_best_sums_to_one_per_segment_and_ignores_ineligible_cells():
    rng = np.random.default_rng(0)
    draws = rng.normal(size=(500, 7))
    start, index = np.array([0, 3]), np.array([0, 0, 0, 1, 1, 1, 1])
    eligible = np.array([True, True, False, True, True, True, True])
    p_best, loss = chance_to_be_best(draws, start, index, eligible)
    assert np.add.reduceat(p_best, start) == pytest.approx([1.0, 1.0], abs=1e-9)
    assert p_best[2] == 0 and np.isnan(loss[2])


RULES = DecideSection(disable_below_p_best=0.05, min_visits_before_disable=300, winner_expected_loss=0.01, min_share=0.1)


@pytest.mark.parametrize(
    ("p_best", "loss", "visits", "paused", "expected"),
    [
        ([0.98, 0.02], [0.001, 0.2], [1000, 1000], [False, False], ["winner", "disable"]),
        ([0.98, 0.02], [0.001, 0.2], [1000, 100], [False, False], ["winner", "too early"]),
        ([0.60, 0.40], [0.05, 0.08], [1000, 1000], [False, False], ["keep", "keep"]),
        ([1.00, 0.00], [0.00, 0.00], [1000, 1000], [False, True], ["keep", "paused"]),  # the last active is never judged away
        ([0.98, 0.02], [0.001, 0.2], [100, 1000], [False, False], ["too early", "disable"]),
    ],
)
def test_verdict_rules(p_best, loss, visits, paused, expected):
    got = verdicts(
        np.array(p_best), np.array(loss), np.array(visits, float), np.array(paused), np.zeros(2, bool),
        np.array([0]), np.array([0, 0]), RULES,
    )
    assert list(got) == expected


def test_shares_sum_to_one_with_a_floor_for_creatives_under_test():
    p_best = np.array([0.9, 0.07, 0.03, 0.0, 0.5, 0.5])
    verdict = np.array(["keep", "keep", "too early", "disable", "keep", "paused"], dtype=object)
    share = traffic_shares(p_best, verdict, np.array([0, 4]), np.array([0, 0, 0, 0, 1, 1]), 0.1)
    assert share[:4].sum() == pytest.approx(1.0)
    assert share[1] == pytest.approx(0.1) and share[2] == pytest.approx(0.1) and share[3] == 0
    assert share[4] == pytest.approx(1.0) and share[5] == 0


def test_a_winner_takes_the_whole_segment():
    verdict = np.array(["winner", "keep"], dtype=object)
    share = traffic_shares(np.array([0.97, 0.03]), verdict, np.array([0]), np.array([0, 0]), 0.05)
    assert list(share) == [1.0, 0.0]


def test_a_creative_is_measured_once_its_visits_could_bring_five_conversions_at_its_segments_rate():
    # the segment: 20 conversions on 2,000 visits (1 %), so 500 visits could bring 5; the other segment has none
    visits = np.array([499.0, 500.0, 1001.0, 400.0, 400.0])
    conversions = np.array([0.0, 5.0, 15.0, 0.0, 0.0])
    measured = share_measured(visits, conversions, np.array([0, 3]), np.array([0, 0, 0, 1, 1]))
    assert SHARE_EVIDENCE == 5.0 and list(measured) == [False, True, True, False, False]


def test_a_creative_too_early_to_judge_follows_its_chance_once_measured_and_is_capped_before():
    # three creatives, none judged yet: capped, each gets an even third whatever its chance to be best;
    # measured (their visits could bring 5 conversions), shares follow the chances, with min_share as floor
    p_best, verdict = np.array([0.7, 0.25, 0.05]), _verdicts_of("too early", "too early", "too early")
    start, index = np.array([0]), np.zeros(3, dtype=int)
    capped = traffic_shares(p_best, verdict, start, index, 0.1, challenger_p_best=0.25)
    assert capped == pytest.approx([1 / 3] * 3)
    measured = traffic_shares(p_best, verdict, start, index, 0.1, challenger_p_best=0.25, measured=np.ones(3, bool))
    assert measured == pytest.approx([0.7 * 0.9 / 0.95, 0.25 * 0.9 / 0.95, 0.1])
    # the leader not measured yet: capped at a third, what it gives up going to the others in proportion
    mixed = traffic_shares(p_best, verdict, start, index, 0.1, measured=np.array([False, True, True]))
    assert mixed[0] == pytest.approx(1 / 3) and mixed.sum() == pytest.approx(1.0)
    assert mixed[1] / mixed[2] == pytest.approx(measured[1] / measured[2])


# --- a min_share that cannot be honoured is refused, never rescaled ------------------------------


def _verdicts_of(*words: str) -> np.ndarray:
    return np.array(words, dtype=object)


@pytest.mark.parametrize(
    ("verdict", "min_share", "message"),
    [
        (("keep", "keep", "keep"), 0.6, r"^\[decide\] min_share 0\.6 × 3 active creatives in brand/exact = 1\.8 > 1; lower min_share to at most 0\.33$"),
        (("keep", "too early", "keep"), 0.34, r"× 3 active creatives in brand/exact = 1\.02 > 1; lower min_share to at most 0\.33$"),
        (("keep",) * 7, 0.15, r"× 7 active creatives .* lower min_share to at most 0\.14$"),
    ],
)
def test_a_min_share_the_segment_cannot_hold_is_refused(verdict, min_share, message):
    from budgetopt.decide.verdicts import check_min_share
    from budgetopt.errors import InputError

    n = len(verdict)
    with pytest.raises(InputError, match=message):
        check_min_share(_verdicts_of(*verdict), np.array([0]), min_share, np.array(["brand"] * n), np.array(["exact"] * n))


@pytest.mark.parametrize(
    ("verdict", "min_share"),
    [
        (("keep", "keep", "keep"), 1 / 3),  # exactly the whole segment
        (("keep", "disable", "paused"), 0.6),  # one creative under test
        (("winner", "keep", "keep"), 0.6),  # a winner takes the segment: no floor to honour
    ],
)
def test_a_min_share_the_segment_can_hold_is_kept(verdict, min_share):
    from budgetopt.decide.verdicts import check_min_share

    n = len(verdict)
    check_min_share(_verdicts_of(*verdict), np.array([0]), min_share, np.array(["c"] * n), np.array(["s"] * n))


def test_decisions_refuse_min_share_above_what_the_log_allows():
    import pandas as pd

    from budgetopt import api
    from budgetopt.errors import InputError

    rows = [(f"2026-01-0{d}", "brand", seg, k, 50.0, 100, 5, 200.0) for d in (1, 2, 3) for seg in ("exact", "broad") for k in "abc"[: 3 if seg == "exact" else 2]]
    log = pd.DataFrame(rows, columns=["date", "campaign", "segment", "creative", "spend", "visits", "conversions", "revenue"])
    policy = {"budget": {"daily_total": 1000.0}, "decide": {"min_share": 0.4}}
    with pytest.raises(InputError, match=r"min_share 0\.4 × 3 active creatives in brand/exact = 1\.2 > 1; lower min_share to at most 0\.33"):
        api.make_decisions(log, policy)
    policy["decide"]["min_share"] = 0.33
    detail = api.make_decisions(log, policy).detail
    assert np.add.reduceat(detail.share, [0, 2]) == pytest.approx([1.0, 1.0])  # broad (2 creatives), exact (3)
    assert detail.share[2:].min() >= 0.33 - 1e-9


def test_a_challenger_that_could_overtake_is_measured_and_one_that_could_not_rests():
    """Leader 0.6; 0.3 could overtake (≥ 0.25): probability-matched; 0.1 could not: it rests, not disabled."""
    p_best = np.array([0.6, 0.3, 0.1])
    verdict = np.array(["keep"] * 3, dtype=object)
    start, index = np.array([0]), np.zeros(3, dtype=int)
    share = traffic_shares(p_best, verdict, start, index, 0.05, challenger_p_best=0.25)
    assert share == pytest.approx([0.6 / 0.9, 0.3 / 0.9, 0.0])
    everyone = traffic_shares(p_best, verdict, start, index, 0.05, challenger_p_best=0.0)
    assert everyone == pytest.approx([0.6, 0.3, 0.1])


def test_a_creative_too_early_to_judge_is_tested_whatever_its_chance():
    p_best = np.array([0.9, 0.08, 0.02])
    verdict = np.array(["keep", "keep", "too early"], dtype=object)
    share = traffic_shares(p_best, verdict, np.array([0]), np.zeros(3, dtype=int), 0.05, challenger_p_best=0.25)
    assert share[1] == 0.0 and share[2] >= 0.05 and share.sum() == pytest.approx(1.0)


def test_a_newcomer_leading_on_its_prior_does_not_send_the_judged_creatives_to_rest():
    """Re-enabled or new, 54 % chance to be best on no evidence: an even share at most, the rest to the judged leader."""
    p_best = np.array([0.21, 0.54, 0.15, 0.10])
    verdict = np.array(["keep", "too early", "keep", "keep"], dtype=object)
    share = traffic_shares(p_best, verdict, np.array([0]), np.zeros(4, dtype=int), 0.05, challenger_p_best=0.25)
    assert share[1] == pytest.approx(0.25) and share[0] == pytest.approx(0.75) and share[2:].sum() == 0
