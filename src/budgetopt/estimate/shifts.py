"""Shared shifts: a step in the conversion rate of a whole campaign, or of the whole account, estimated
once, not read as evidence against the creatives whose data happen to be recent (issue 15's segment-day
effects, at the levels where they can be told apart from one creative's change).

A market moves, a tracking change lands, a campaign's audience is switched: every segment of a campaign
(or every campaign) converts ×k from one day on. Left alone, the learned half-lives shorten (the log
changed), a creative that rested through the step keeps only old evidence that now counts less, and its
chance to be best drifts towards the segment's new level although only the level moved, not the order.

Two levels, one test: the whole account, whose units are its campaigns, and each campaign, whose units are
its segments; the account's steps are looked for first (an account of one-segment campaigns, common in
search, can step only as a whole). Each group's days are scanned for one step (Poisson likelihood ratio,
levels free before and after) in its conversions against what its creatives' own rates expect each day:
the mix of creatives that ran is accounted for, so a better creative launched is not a step. A step is
kept when
  * it is significant (SHIFT_LR) and large enough to matter (MIN_EFFECT);
  * it beats a log-linear trend as clearly (OVER_TREND): leaders tiring in several ad sets make a ramp;
  * its units share it: two show it on their own (SEGMENT_Z) and most of those measured on both sides move
    its way (a group needs two units or more);
  * creatives share it: at most a third of those measured on both sides depart from it (CREATIVE_Z), and the
    siblings of each segment's busiest creative, where measured on both sides, do not say they stayed put
    (NO_STEP_EVIDENCE): two leaders shocked in two ad sets at once are not the campaign.
The levels between the kept steps are then fitted jointly with the creatives' rates, each row's exposure is
put at its latest level (× its level ÷ the latest, the account's times its campaign's), and the scan runs
again for another step, MAX_SHIFTS rounds at most. Rows carry the factor; the learned half-life, the
wear-out and the posteriors are fitted on the exposure so adjusted, so a step explained is no longer a
reason to forget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import xlogy

from budgetopt.model import segment_sums

#: a step is significant when twice its log-likelihood ratio passes this (χ²₁ at p ≈ 1e-4, so scanning a
#: quarter's days rarely finds one in a stationary campaign)
SHIFT_LR = 15.0
#: a step smaller than this (in log rate, ≈ 10 %) is left to the half-life: not worth moving every older day
MIN_EFFECT = 0.1
#: conversions each side of a step needs, for the campaign and for each segment counted as sharing it
MIN_SIDE_CONVERSIONS = 5.0
#: a step must beat a log-linear trend in days by this much (twice the log-likelihood): tiring leaders
#: across a campaign make a ramp, not a step, and are the wear-out's
OVER_TREND = 15.0
#: a step is shared when at least two segments show it on their own, each at this z-score
SEGMENT_Z = 2.0
#: the siblings of the busiest creatives refute a step when their evidence for no step passes e^this (≈ 7 : 1)
NO_STEP_EVIDENCE = 2.0
#: Newton steps of the trend's Poisson regression
TREND_STEPS = 8
#: a unit (campaign, segment or creative) departs from a step when its own ratio is this many standard errors from the common one
CREATIVE_Z = 3.0
#: alternations between the levels between steps and the creatives' rates
LEVEL_ROUNDS = 3
#: no step is looked for in a shorter log: the weekday model needs two weeks, and a weekly wave left in the
#: rates reads as steps
MIN_LOG_DAYS = 14
#: most steps kept per campaign
MAX_SHIFTS = 3
#: prior weight, in conversions, pulling a creative's rate towards its segment's (the expected count of a day)
RATE_PRIOR_CONVERSIONS = 1.0


@dataclass(frozen=True)
class Shifts:
    """Steps found, (steps,) each, and the factor each row's exposure is multiplied by, (rows,)."""

    campaign: np.ndarray  # int, campaign index; −1: the whole account
    day: np.ndarray  # int, day number of the first day at the new level (0 = the log's first day)
    ratio: np.ndarray  # the new level ÷ the old
    factor: np.ndarray | float  # (rows,) the row's level ÷ its latest (account × campaign; 1.0: none)
    since: np.ndarray | None = None  # datetime64[D], the first day at the new level (None: no first_day given)


@dataclass(frozen=True)
class _Level:
    """Where steps are looked for: groups (the account, or each campaign) made of units (campaigns, or segments)."""

    group: np.ndarray  # (cells,) int: each cell's group
    unit_of_segment: np.ndarray  # (segments,) int: each segment's unit (its campaign, or itself)
    group_of_unit: np.ndarray  # (units,) int: each unit's group
    n_groups: int
    account: bool  # the whole account, one group of campaigns

    def by_unit(self, values: np.ndarray) -> np.ndarray:
        """(units, days) sums of (segments, days) values."""
        return segment_sums(values.T, self.unit_of_segment, len(self.group_of_unit)).T


def find_shifts(
    cell: np.ndarray, day: np.ndarray, exposure: np.ndarray, conversions: np.ndarray,
    segment_index: np.ndarray, campaign_index: np.ndarray, n_days: int, first_day: np.datetime64 | None = None,
) -> Shifts:
    """Steps of the conversion rate of the whole account (shared by its campaigns) and of each campaign (shared by
    its segments). Rows (rows,): cell index, day number (0 = oldest, `first_day`), exposure (in the units the
    rates are fitted on) and conversions; segment_index, campaign_index (cells,)."""
    none = Shifts(np.zeros(0, int), np.zeros(0, int), np.zeros(0), 1.0, np.zeros(0, "datetime64[D]"))
    n_cells = len(segment_index)
    n_segments = int(segment_index.max()) + 1 if n_cells else 0
    n_campaigns = int(campaign_index.max()) + 1 if n_cells else 0
    campaign_of_segment = np.zeros(n_segments, dtype=int)
    campaign_of_segment[segment_index] = campaign_index
    levels = [
        _Level(np.zeros(n_cells, dtype=int), campaign_of_segment, np.zeros(n_campaigns, dtype=int), 1, account=True),
        _Level(campaign_index, np.arange(n_segments), campaign_of_segment, n_campaigns, account=False),
    ]
    levels = [lv for lv in levels if (np.bincount(lv.group_of_unit, minlength=lv.n_groups) >= 2).any()]
    if n_days < MIN_LOG_DAYS or not levels:
        return none
    segday = segment_index.astype(np.int32 if n_segments * n_days < 2**31 else np.int64)[cell]  # a 4 M-row log: as few row arrays as can be
    segday *= n_days
    segday += day
    observed = np.bincount(segday, weights=conversions, minlength=n_segments * n_days).reshape(n_segments, n_days)
    steps_at: set[tuple[int, int, int]] = set()  # (level, group, first day at the new level)
    factor = None
    for _ in range(MAX_SHIFTS):
        adjusted = exposure if factor is None else exposure * factor
        expected, row_expected = _expected(cell, adjusted, conversions, segment_index, n_cells, n_segments, segday, n_days)
        found = []
        for k, lv in enumerate(levels):
            for group, at, ratio in _scan(lv.by_unit(observed), lv.by_unit(expected), lv.group_of_unit, lv.n_groups):
                in_group = lv.group[cell] == group
                if (k, group, at) not in steps_at and _creatives_agree(in_group, day < at, ratio, cell, conversions, row_expected, segment_index):
                    found.append((k, group, at))
            if found:
                break  # the account's steps first: a campaign's are looked for once the account's are in
        del adjusted, row_expected
        if not found:
            break
        steps_at.update(found)
        factor, ratios = _levels(sorted(steps_at), levels, cell, day, exposure, conversions, segment_index, n_cells, n_segments, segday, n_days)
    if not steps_at:
        return none
    k, g, d = np.array(sorted(steps_at)).T
    campaign = np.where([levels[i].account for i in k], -1, g)
    since = None if first_day is None else np.datetime64(first_day, "D") + d.astype(int)
    return Shifts(campaign.astype(int), d.astype(int), ratios, factor, since)


def _levels(
    steps: list[tuple[int, int, int]], levels: list[_Level], cell: np.ndarray, day: np.ndarray, exposure: np.ndarray,
    conversions: np.ndarray, segment_index: np.ndarray, n_cells: int, n_segments: int, segday: np.ndarray, n_days: int,
) -> tuple[np.ndarray, np.ndarray]:
    """((rows,) each row's exposure factor: its level ÷ its latest, the account's times its campaign's; (steps,)
    each step's new ÷ old level), the levels between the `steps` (sorted (level, group, day)) fitted jointly with
    the creatives' rates (LEVEL_ROUNDS alternations, a level at a time): each stretch's conversions over what
    its creatives' rates expect."""
    width = MAX_SHIFTS + 1
    keys, lasts, own = [], [], []  # per level: each row's (group, stretch) key, each group's latest stretch, its factor
    for k, lv in enumerate(levels):
        last = np.zeros(lv.n_groups, dtype=int)
        lasts.append(last)
        if not any(kk == k for kk, _, _ in steps):  # a level without steps holds no (rows,) array
            keys.append(None)
            own.append(None)
            continue
        row_group = lv.group[cell]
        row_stretch = np.zeros(len(cell), dtype=int)  # 0 = before the group's first step
        for g in {g for kk, g, _ in steps if kk == k}:
            days = np.array(sorted(d for kk, gg, d in steps if kk == k and gg == g))
            rows = row_group == g
            row_stretch[rows], last[g] = np.searchsorted(days, day[rows], side="right"), len(days)
        keys.append(row_group * width + row_stretch)
        own.append(np.ones(len(cell)))
    factor = np.ones(len(cell))
    level_values = [None] * len(levels)
    for _ in range(LEVEL_ROUNDS):
        for k, lv in enumerate(levels):
            if keys[k] is None:
                continue
            _, row_expected = _expected(cell, exposure * factor, conversions, segment_index, n_cells, n_segments, segday, n_days)
            row_expected /= own[k]  # what the rows expect with every level but this one (in place: one (rows,) array)
            n_keys = lv.n_groups * width
            level = np.bincount(keys[k], weights=conversions, minlength=n_keys) / np.maximum(np.bincount(keys[k], weights=row_expected, minlength=n_keys), 1e-300)
            latest = level[np.arange(lv.n_groups) * width + lasts[k]]
            row_group = lv.group[cell]
            new_own = np.where(lasts[k][row_group] > 0, level[keys[k]] / latest[row_group], 1.0)
            factor = factor / own[k] * new_own
            own[k], level_values[k] = new_own, level
    ratios = [
        level_values[k][g * width + i + 1] / level_values[k][g * width + i]
        for k, g in sorted({(kk, gg) for kk, gg, _ in steps}) for i in range(lasts[k][g])
    ]
    return factor, np.array(ratios)


def _expected(
    cell: np.ndarray, exposure: np.ndarray, conversions: np.ndarray, segment_index: np.ndarray, n_cells: int, n_segments: int,
    segday: np.ndarray, n_days: int,
) -> tuple[np.ndarray, np.ndarray]:
    """((segments, days), (rows,)) conversions each segment-day's creatives, and each row, would bring at their own
    whole-log rates (each shrunk towards its segment's by RATE_PRIOR_CONVERSIONS): the mix that ran, no step."""
    cell_exposure = np.bincount(cell, weights=exposure, minlength=n_cells)
    cell_conversions = np.bincount(cell, weights=conversions, minlength=n_cells)
    segment_rate = np.bincount(segment_index, weights=cell_conversions, minlength=n_segments) / np.maximum(
        np.bincount(segment_index, weights=cell_exposure, minlength=n_segments), 1e-300
    )
    prior = segment_rate[segment_index]
    rate = (cell_conversions + RATE_PRIOR_CONVERSIONS) / (cell_exposure + RATE_PRIOR_CONVERSIONS / np.maximum(prior, 1e-300))
    rate = np.where(prior > 0, rate, 0.0)
    row_expected = rate[cell]
    row_expected *= exposure
    return np.bincount(segday, weights=row_expected, minlength=n_segments * n_days).reshape(n_segments, n_days), row_expected


def _creatives_agree(
    in_campaign: np.ndarray, before: np.ndarray, ratio: float, cell: np.ndarray, conversions: np.ndarray, expected: np.ndarray,
    segment_index: np.ndarray,
) -> bool:
    """Whether the campaign's creatives took a step of `ratio` (new ÷ old level; rows (rows,) masks) alike, judged
    on those with conversions on both sides: at most a third depart from their common ratio by more than
    CREATIVE_Z standard errors, and the creatives that were not their segment's busiest before the step do not
    say, together, that they stayed where they were (their evidence for no step over this one below
    e^NO_STEP_EVIDENCE). Leaders tiring or shocked in two ad sets at once make a campaign's step that their
    siblings, measured on both sides, did not take; one creative that tired through a real step does not hide it;
    siblings resting through it say nothing either way."""
    n_cells = len(segment_index)
    side = lambda m, v: np.bincount(cell[m], weights=v[m], minlength=n_cells)  # noqa: E731
    ob, xb = side(in_campaign & before, conversions), side(in_campaign & before, expected)
    oa, xa = side(in_campaign & ~before, conversions), side(in_campaign & ~before, expected)
    both, log_ratio, weight = _moves(ob, xb, oa, xa)
    busiest = ob >= np.maximum.reduceat(ob, np.flatnonzero(np.r_[True, np.diff(segment_index) != 0]))[segment_index]
    others = both & ~busiest
    # Gaussian log-likelihood of their log ratios under no step against under this one
    stayed = np.sum(weight[others] * ((log_ratio[others] - np.log(ratio)) ** 2 - log_ratio[others] ** 2)) / 2.0
    return not _depart(both, log_ratio, weight) and stayed < NO_STEP_EVIDENCE


def _depart(both: np.ndarray, log_ratio: np.ndarray, weight: np.ndarray) -> bool:
    """Whether more than a third of the units measured on both sides (see _moves) depart from their common ratio
    by more than CREATIVE_Z standard errors: a step some took and others, well measured, did not."""
    common = np.sum(weight * log_ratio) / max(weight.sum(), 1e-300)
    return np.sum(both & (np.abs(log_ratio - common) * np.sqrt(weight) > CREATIVE_Z)) * 3 > both.sum()


def _moves(ob: np.ndarray, xb: np.ndarray, oa: np.ndarray, xa: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(both, log ratio, weight) (units,) for units (segments or creatives) given their conversions and expected
    conversions before (ob, xb) and after (oa, xa) a step: those with MIN_SIDE_CONVERSIONS each side, each one's
    log ratio (after ÷ before) and its precision (1 / its variance); 0 for the others."""
    both = (ob >= MIN_SIDE_CONVERSIONS) & (oa >= MIN_SIDE_CONVERSIONS) & (xb > 0) & (xa > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.where(both, np.log((oa / xa) / (ob / xb)), 0.0)
        weight = np.where(both, 1.0 / (1.0 / ob + 1.0 / oa), 0.0)
    return both, log_ratio, weight


def _scan(observed: np.ndarray, expected: np.ndarray, group_of_unit: np.ndarray, n_groups: int) -> list[tuple[int, int, float]]:
    """[(group, first day at the new level, new ÷ old level)] of each group's strongest step that is significant,
    large and shared by its units; observed, expected: (units, days); group_of_unit: (units,) each unit's group."""
    several = np.bincount(group_of_unit, minlength=n_groups) >= 2
    o, x = (segment_sums(a.T, group_of_unit, n_groups).T for a in (observed, expected))  # (groups, days)
    ob, xb = np.cumsum(o, axis=1)[:, :-1], np.cumsum(x, axis=1)[:, :-1]  # before day τ = 1 … days − 1
    ot, xt = o.sum(1, keepdims=True), x.sum(1, keepdims=True)
    oa, xa = ot - ob, xt - xb
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = 2.0 * (xlogy(ob, ob / xb) + xlogy(oa, oa / xa) - xlogy(ot, ot / xt))
        effect = np.log((oa / xa) / (ob / xb))
    ok = (ob >= MIN_SIDE_CONVERSIONS) & (oa >= MIN_SIDE_CONVERSIONS) & (xb > 0) & (xa > 0) & several[:, None]
    ok &= np.isfinite(lr) & np.isfinite(effect) & (np.abs(effect) >= MIN_EFFECT)
    lr = np.where(ok, lr, -np.inf)
    steps = []
    over_trend = lr.max(1, initial=-np.inf) - _trend_lr(o, x)
    for group in np.flatnonzero((lr.max(1, initial=-np.inf) > SHIFT_LR) & (over_trend > OVER_TREND)):
        tau = int(np.argmax(lr[group]))
        units = np.flatnonzero(group_of_unit == group)
        sb, sxb = observed[units, : tau + 1].sum(1), expected[units, : tau + 1].sum(1)
        sa, sxa = observed[units, tau + 1 :].sum(1), expected[units, tau + 1 :].sum(1)
        direction = np.sign(effect[group, tau])
        both, log_ratio, weight = _moves(sb, sxb, sa, sxa)
        z = log_ratio * np.sqrt(weight)
        if np.sum(direction * z >= SEGMENT_Z) < 2 or np.sum(both & (direction * z > 0)) * 2 <= both.sum() or _depart(both, log_ratio, weight):
            continue  # not two units showing it on their own, not most of those measured both sides, or many departing
        steps.append((int(group), tau + 1, float(np.exp(effect[group, tau]))))
    return steps


def _trend_lr(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """(groups,) twice the log-likelihood ratio of a log-linear trend in days against a constant level,
    observed, expected: (groups, days): how well a gradual change explains what a step would."""
    t = np.arange(observed.shape[1], dtype=float)
    t = (t - t.mean()) / max(t.std(), 1.0)
    total_o, total_x = observed.sum(1), expected.sum(1)
    a = np.clip(np.log(np.maximum(total_o, 1e-300) / np.maximum(total_x, 1e-300)), -50.0, 50.0)
    b = np.zeros(len(a))
    with np.errstate(all="ignore"):  # a group without conversions has no trend: its ratio comes out 0
        for _ in range(TREND_STEPS):
            mu = expected * np.exp(a[:, None] + b[:, None] * t)
            r = observed - mu
            g_a, g_b = r.sum(1), (r * t).sum(1)
            h_aa, h_ab, h_bb = mu.sum(1) + 1e-12, (mu * t).sum(1), (mu * t * t).sum(1) + 1e-12
            det = h_aa * h_bb - h_ab**2
            a = np.nan_to_num(np.clip(a + (h_bb * g_a - h_ab * g_b) / det, -50.0, 50.0))
            b = np.nan_to_num(np.clip(b + (h_aa * g_b - h_ab * g_a) / det, -5.0, 5.0))
        mu = expected * np.exp(a[:, None] + b[:, None] * t)
        full = np.sum(xlogy(observed, mu) - mu, axis=1)
        level = expected * (total_o / total_x)[:, None]
        flat = np.sum(xlogy(observed, level) - level, axis=1)
    return np.nan_to_num(2.0 * (full - flat), nan=0.0)

