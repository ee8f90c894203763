"""Verdicts per creative (disable / winner / keep / too early), their reasons, and traffic shares.

Rules (DESIGN.md): disable when the chance to be best in its segment is below
`disable_below_p_best` and the creative has at least `min_visits_before_disable` visits — never
the segment's leader, so a segment always keeps an active creative; a winner when the leader's
expected loss is below `winner_expected_loss` (with at least two candidates and enough visits);
a user-paused creative is not judged. Shares within a segment follow probability matching on
p_best, with `min_share` for every creative still under test, at most an even share for one too
early to judge whose posterior is still mostly prior (`share_measured`), and all of it to a winner.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from budgetopt.config import DecideSection
from budgetopt.errors import InputError


class Verdict(StrEnum):
    """The decision engine's verdict on a creative within its segment."""

    DISABLE = "disable"
    WINNER = "winner"
    KEEP = "keep"
    TOO_EARLY = "too early"
    PAUSED = "paused"


DISABLE, WINNER, KEEP, TOO_EARLY, PAUSED = Verdict.DISABLE, Verdict.WINNER, Verdict.KEEP, Verdict.TOO_EARLY, Verdict.PAUSED


def segment_leaders(p_best: np.ndarray, eligible: np.ndarray, segment_start: np.ndarray, segment_index: np.ndarray) -> np.ndarray:
    """(cells,) index of each cell's segment leader: the first eligible cell with the highest p_best
    (the segment's first cell when none is eligible)."""
    index = np.arange(len(p_best))
    best = np.maximum.reduceat(np.where(eligible, p_best, -1.0), segment_start)[segment_index]
    leader = np.minimum.reduceat(np.where(eligible & (p_best == best), index, len(p_best)), segment_start)
    return np.where(leader < len(p_best), leader, segment_start)[segment_index]


def verdicts(
    p_best: np.ndarray,
    expected_loss: np.ndarray,
    visits: np.ndarray,
    paused: np.ndarray,
    previously_disabled: np.ndarray,
    segment_start: np.ndarray,
    segment_index: np.ndarray,
    rules: DecideSection,
) -> np.ndarray:
    """(cells,) verdict strings. `previously_disabled` cells stay disabled (the user re-enables them)."""
    eligible = ~paused & ~previously_disabled
    is_leader = segment_leaders(p_best, eligible, segment_start, segment_index) == np.arange(len(p_best))
    candidates = np.add.reduceat(eligible.astype(int), segment_start)[segment_index]
    enough = visits >= rules.min_visits_before_disable

    verdict = np.full(len(p_best), KEEP, dtype=object)
    verdict[~enough] = TOO_EARLY
    disable = eligible & ~is_leader & enough & (p_best < rules.disable_below_p_best) & (candidates > 1)
    verdict[disable] = DISABLE
    winner = is_leader & (candidates > 1) & enough & (np.nan_to_num(expected_loss, nan=np.inf) < rules.winner_expected_loss)
    verdict[winner] = WINNER
    verdict[previously_disabled & ~paused] = DISABLE
    verdict[paused] = PAUSED
    return verdict


def resting(p_best: np.ndarray, verdict: np.ndarray, is_leader: np.ndarray, challenger_p_best: float) -> np.ndarray:
    """(cells,) judged creatives that could not overtake their leader (chance to be best below `challenger_p_best`)."""
    return (verdict == KEEP) & ~is_leader & (p_best < challenger_p_best)


@dataclass(frozen=True)
class Off:
    """Creatives the log shows switched off, and those back in test, (cells,) each; None: none.

    `cells`: no spend on their segment's last day with spend though they spent before (History.off):
    rested by an earlier plan, disabled, or paused by hand. They are not given a new test (a creative too
    early to judge gets one): they come back only as a challenger whose chance to be best warrants it, or
    after `[decide] retest_after_days` (`back`: their evidence set aside, judged afresh)."""

    cells: np.ndarray | None = None
    back: np.ndarray | None = None


def retested(off: np.ndarray, last_paid_day: np.ndarray, retest_after_days: float | None) -> np.ndarray:
    """(cells,) cells off for at least `retest_after_days` days (None: never), by the days since they last
    spent (last_paid_day: days before the plan date of their last row with spend; 1 = yesterday)."""
    if retest_after_days is None:
        return np.zeros(len(off), dtype=bool)
    return off & (last_paid_day - 1 >= retest_after_days)


#: a creative too early to judge is measured enough for its share to follow its chance to be best once its
#: exposure would bring this many conversions at its segment's rate: its posterior is then mostly its own data,
#: not the prior (60 ad sets of three creatives at 13-41 visits a day each run an even split for one to three
#: weeks on the 300 visits alone; see README, issue 15)
SHARE_EVIDENCE = 5.0


def share_measured(exposure: np.ndarray, conversions: np.ndarray, segment_start: np.ndarray, segment_index: np.ndarray) -> np.ndarray:
    """(cells,) creatives whose exposure (visits or impressions, as logged) would bring SHARE_EVIDENCE
    conversions at their segment's rate (its logged conversions per exposure; none: no creative is)."""
    rate = np.add.reduceat(conversions, segment_start) / np.maximum(np.add.reduceat(exposure, segment_start), 1e-300)
    return exposure * rate[segment_index] >= SHARE_EVIDENCE


def check_min_share(verdict: np.ndarray, segment_start: np.ndarray, min_share: float, campaign: np.ndarray, segment: np.ndarray) -> None:
    """InputError when min_share cannot be honoured: a segment whose creatives still under test (neither
    disabled nor paused, and no winner yet) are more than 1 / min_share would need more than the whole
    segment. Refused rather than rescaled, so a plan never quietly gives less than the policy promises.
    campaign, segment: (cells,) names, for the message."""
    active = (verdict != DISABLE) & (verdict != PAUSED)
    count = np.add.reduceat(active.astype(int), segment_start)
    winner = np.add.reduceat((verdict == WINNER).astype(int), segment_start) > 0
    over = np.flatnonzero((count * min_share > 1.0 + 1e-9) & ~winner)
    if not len(over):
        return
    worst = over[np.argmax(count[over])]
    n, first = int(count[worst]), segment_start[worst]
    more = f" (and {len(over) - 1} more segment{'s' if len(over) > 2 else ''})" if len(over) > 1 else ""
    raise InputError(
        f"[decide] min_share {min_share:g} × {n} active creatives in {campaign[first]}/{segment[first]} = {n * min_share:.3g} > 1{more}; "
        f"lower min_share to at most {_at_most(n)}"
    )


def _at_most(n: int) -> str:
    """The largest min_share (rounded down, two significant decimals at least) that n creatives can all have."""
    for digits in range(2, 8):
        value = math.floor(10**digits / n) / 10**digits
        if value > 0:
            return f"{value:.{digits}f}"
    return f"{1 / n:.2g}"


def traffic_shares(
    p_best: np.ndarray,
    verdict: np.ndarray,
    segment_start: np.ndarray,
    segment_index: np.ndarray,
    min_share: float,
    unbought: np.ndarray | None = None,
    challenger_p_best: float = 0.0,
    measured: np.ndarray | None = None,
    kept_on: np.ndarray | None = None,
) -> np.ndarray:
    """(cells,) each creative's share of its segment's traffic; shares of a segment with a live creative sum to 1.

    unbought: (cells,) creatives that never spent: what they convert is not traffic anyone paid for, so in a
    segment where others have spent they get `min_share` at most (a test), whatever their p_best.
    challenger_p_best: a judged creative (verdict keep) that is not its segment's leader gets traffic only
    while its chance to be best is at least this: a challenger that could overtake is measured, one that
    could not rests (share 0, not disabled: its chance rises again if the leader fades).
    measured: (cells,) creatives too early to judge whose share follows their chance to be best all the same
    (`share_measured`); the others are capped at an even share (None: all are).
    kept_on: (cells,) creatives a guardrail kept on against the engine's verdict: under test, never resting."""
    active = (verdict != DISABLE) & (verdict != PAUSED)
    n_live = np.add.reduceat(active.astype(float), segment_start)[segment_index]  # resting ones included
    if challenger_p_best > 0:  # the leader among the judged: a newcomer too early to judge never sends the others to rest
        leader = segment_leaders(p_best, active & (verdict != TOO_EARLY), segment_start, segment_index) == np.arange(len(p_best))
        rests = resting(p_best, verdict, leader, challenger_p_best)
        active &= ~(rests if kept_on is None else rests & ~kept_on)
    has_winner = np.add.reduceat((verdict == WINNER).astype(int), segment_start)[segment_index] > 0
    n_active = np.add.reduceat(active.astype(float), segment_start)[segment_index]
    floor = np.where(n_active * min_share >= 1.0, 1.0 / np.maximum(n_active, 1), min_share)
    share = np.where(active, p_best, 0.0)
    total = np.add.reduceat(share, segment_start)[segment_index]
    share = np.where(total > 0, share / np.where(total > 0, total, 1), np.where(active, 1.0 / np.maximum(n_active, 1), 0.0))
    for _ in range(int(n_active.max(initial=1))):  # water-filling: lift creatives below the floor, rescale the rest
        fixed = active & (share <= floor + 1e-12)
        n_fixed = np.add.reduceat(fixed.astype(float), segment_start)[segment_index]
        free_sum = np.add.reduceat(np.where(active & ~fixed, share, 0.0), segment_start)[segment_index]
        free_mass = 1.0 - n_fixed * floor
        new = np.where(fixed, floor, np.where(free_sum > 0, share * free_mass / np.where(free_sum > 0, free_sum, 1), 0.0))
        new = np.where(active, new, 0.0)
        if np.allclose(new, share, atol=1e-12):
            break
        share = new
    cap = np.broadcast_to(1.0 / np.maximum(n_live, 1), share.shape)  # a fair test: an even share of the segment's creatives
    capped = verdict == TOO_EARLY
    if measured is not None:
        capped &= ~measured
    if unbought is not None:
        bought_here = np.add.reduceat((active & ~unbought).astype(int), segment_start)[segment_index] > 0
        test = unbought & bought_here
        cap = np.where(test, np.minimum(cap, min_share), cap)
        capped = capped | test
    share = _cap_untested(share, capped, active, cap, n_active, segment_start, segment_index)
    share = np.where(has_winner, (verdict == WINNER).astype(float), share)
    return share


def _cap_untested(
    share: np.ndarray, early: np.ndarray, active: np.ndarray, cap: np.ndarray, n_active: np.ndarray, segment_start: np.ndarray,
    segment_index: np.ndarray,
) -> np.ndarray:
    """A creative too early to judge gets at most an even share of its segment (1 / its active creatives):
    a fair test, never the lead on a posterior that is mostly prior (one click and no conversion must not
    take two thirds of a segment from a sibling with 21 conversions). What it gives up goes to the others
    in proportion to their shares. `cap` (cells,) is each capped creative's most."""
    for _ in range(int(n_active.max(initial=1))):
        over = early & (share > cap + 1e-12)
        if not over.any():
            break
        excess = np.add.reduceat(np.where(over, share - cap, 0.0), segment_start)[segment_index]
        takers = active & ~over & ~(early & (share >= cap - 1e-12))
        room = np.add.reduceat(np.where(takers, share, 0.0), segment_start)[segment_index]
        count = np.add.reduceat(takers.astype(float), segment_start)[segment_index]
        gain = np.where(room > 0, share / np.where(room > 0, room, 1.0), 1.0 / np.maximum(count, 1.0)) * excess
        share = np.where(over, cap, np.where(takers, share + gain, share))
    return share


#: standard errors within which a Monte Carlo p_best or expected loss counts as near its threshold
#: (a verdict that could turn with more draws): see sampling.sequential_chance
UNCERTAIN_Z = 3.0


def uncertain_segments(
    p_best: np.ndarray,
    expected_loss: np.ndarray,
    loss_se: np.ndarray,
    draws: np.ndarray,
    enough: np.ndarray,
    eligible: np.ndarray,
    segment_start: np.ndarray,
    segment_index: np.ndarray,
    rules: DecideSection,
) -> np.ndarray:
    """(segments,) whose verdicts could turn with more draws: a creative that could be disabled with p_best
    within UNCERTAIN_Z standard errors of disable_below_p_best; a leader that could win with its expected loss
    (metric units) as near winner_expected_loss; or a leader that could win whose lead is as uncertain.
    The standard error of a p_best uses (wins + 1) / (draws + 2), so no count of 0 wins looks certain."""
    n = np.maximum(draws, 1)
    smoothed = (p_best * n + 1.0) / (n + 2.0)
    se = np.sqrt(smoothed * (1.0 - smoothed) / n)
    leader = segment_leaders(p_best, eligible, segment_start, segment_index)
    is_leader = leader == np.arange(len(p_best))
    several = np.add.reduceat(eligible.astype(int), segment_start)[segment_index] > 1
    judged = eligible & enough & several
    near_disable = judged & ~is_leader & (np.abs(p_best - rules.disable_below_p_best) < UNCERTAIN_Z * se)
    loss = np.nan_to_num(expected_loss, nan=np.inf)
    could_win = judged[leader] & (loss[leader] - UNCERTAIN_Z * loss_se[leader] < rules.winner_expected_loss)
    near_win = is_leader & could_win & (loss + UNCERTAIN_Z * loss_se >= rules.winner_expected_loss)
    contested = could_win & eligible & ~is_leader & (p_best[leader] - p_best < UNCERTAIN_Z * np.hypot(se, se[leader]))
    return np.add.reduceat((near_disable | near_win | contested).astype(int), segment_start) > 0
