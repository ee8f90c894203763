"""Wear-out: a creative's conversion rate as a function of how much it has been shown.

Ads tire as their audience sees them again: each creative's rate is modelled as
    rate(day) = rate_tomorrow × exp(b × x(day)),   x = (exposure before that day − exposure so far) / exposure so far
(x runs from −1 on the creative's first day to 0 tomorrow), a Poisson regression of each day's
conversions on x, fitted per creative by Newton's method. The slopes are shrunk by empirical
Bayes, adaptively (`shrinkage.adaptive_shrinkage`): their prior is a mixture of "no wear-out" and normals of
several widths, its weights learned from the account's creatives with ten conversions or more. A few
creatives that tire among many that do not keep most of their slope (a lone ad set's creative halving
every week among eight steady ones: z ≈ 2.5 from its first week), and an account where nothing wears
out keeps every slope at exactly 0, so nothing changes. A day's exposure then counts as exp(b × x) exposures
at tomorrow's rate: the conversion posterior built from the adjusted exposure is a forecast of tomorrow,
not an average of the past.

Newton's method runs until no creative's (a, b) moves by more than TOLERANCE, so a fit started from
yesterday's solution (the simulator's next day: `start`) ends where one started from b = 0 does (a
plan on the same log), to that tolerance, in two or three steps instead of five or six. A creative
without a conversion has no slope to learn (b = 0; its rate's maximum is at −∞): it is not iterated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from budgetopt.estimate.shrinkage import adaptive_shrinkage

if TYPE_CHECKING:
    from budgetopt.estimate.history import History

#: most Newton steps of the per-creative regression (converges in 4–6 from b = 0, 2–3 from yesterday's fit)
NEWTON_STEPS = 20
#: Newton stops once no creative's intercept or slope moves more than this (its error is then about its square)
TOLERANCE = 1e-9
#: a creative's slope counts towards the prior's fit (adaptive shrinkage) once it has this many conversions
MIN_CONVERSIONS = 10.0
#: weak prior on the raw slope, so a creative with no spread in x stays finite
RAW_SLOPE_SD = 3.0


@dataclass(frozen=True)
class WearOut:
    """Per creative (cells,): the shrunk slope, the raw slope and its standard error; per row, the factor."""

    slope: np.ndarray  # log rate change from the first day to tomorrow (negative: tiring)
    raw_slope: np.ndarray
    raw_se: np.ndarray
    spread: float  # the prior's standard deviation of slopes (empirical Bayes; 0: nothing wears out)
    factor: np.ndarray  # (rows,) exp(slope × x): a row's exposure in tomorrow's units
    intercept: np.ndarray | None = None  # (cells,) a: log rate tomorrow, as fitted
    so_far: np.ndarray | None = None  # (cells,) exposure so far: x's unit


def fit_wear_out(
    cell: np.ndarray, day: np.ndarray, exposure: np.ndarray, conversions: np.ndarray, n_cells: int,
    start: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> WearOut:
    """Fit every creative's wear-out slope from its rows (rows,): cell index, day number (0 = oldest),
    exposure (visits or impressions) and conversions. start: (intercept, raw slope, exposure so far) (cells,)
    of an earlier fit (nan: none), where Newton starts (see `warm_start`); the fit ends at the same place."""
    order = np.lexsort((day, cell))
    so_far = np.bincount(cell, weights=exposure, minlength=n_cells)
    sorted_cell = cell[order]
    running = np.cumsum(np.r_[0.0, exposure[order]])  # exposure before each sorted row, over every cell
    first_of_cell = np.r_[0, np.cumsum(np.bincount(cell, minlength=n_cells))[:-1]]
    before = running[:-1]
    before -= running[first_of_cell][sorted_cell]  # … within its own cell
    before -= so_far[sorted_cell]
    before /= np.maximum(so_far, 1.0)[sorted_cell]
    x = np.empty(len(cell))
    x[order] = before
    del order, sorted_cell, running, before

    with np.errstate(all="ignore"):
        return _fit(cell, exposure, conversions, x, so_far, n_cells, start)


def warm_start(start: tuple[np.ndarray, np.ndarray, np.ndarray], so_far: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) (cells,): an earlier fit's (intercept, slope, exposure so far) carried to today's x, whose unit is
    today's exposure so far: the same rate curve, log rate = a' + b' (exposure before / so far' − 1), so
    b = b' so_far / so_far' and a = a' + b' (so_far / so_far' − 1). Cells it lacks (nan, or never shown)
    keep the cold (a, b) given."""
    old_a, old_b, old_so_far = start
    known = np.isfinite(old_a) & np.isfinite(old_b) & (old_so_far > 0)
    stretch = so_far / np.where(known, old_so_far, 1.0)
    return np.where(known, old_a + old_b * (stretch - 1.0), a), np.where(known, old_b * stretch, b)


def _fit(
    cell: np.ndarray, exposure: np.ndarray, conversions: np.ndarray, x: np.ndarray, so_far: np.ndarray, n_cells: int,
    start: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> WearOut:
    """Newton's method per creative until no (a, b) moves more than TOLERANCE, then the empirical-Bayes
    shrinkage; a slope that is not finite (absurd counts) is taken as no wear-out."""
    add = lambda values: np.bincount(cell, weights=values, minlength=n_cells)  # noqa: E731
    total = add(conversions)
    a = np.log((total + 0.5) / (so_far + 1.0))
    b = np.zeros(n_cells)
    free = total > 0  # a creative without a conversion keeps b = 0 and its starting rate
    if start is not None:
        a, b = np.where(free, warm_start(start, so_far, a, b), (a, b))
    prior = 1.0 / RAW_SLOPE_SD**2
    def expected(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """(rows,) exposure × exp(a + b x), computed in place (the rows may be millions)."""
        mu = b[cell]
        mu *= x
        mu += a[cell]
        np.exp(mu, out=mu)
        mu *= exposure
        return mu

    a, b = _newton(cell, exposure, conversions, x, a, b, free, prior)
    mu = expected(a, b)
    h_aa, h_ab, h_bb = add(mu) + 1e-9, add(x * mu), add(x * x * mu) + prior
    se = np.sqrt(h_aa / np.maximum(h_aa * h_bb - h_ab**2, 1e-300))
    usable = np.isfinite(b) & np.isfinite(se) & (se > 0)
    b, se = np.where(usable, b, 0.0), np.where(usable, se, np.inf)
    slope, spread = adaptive_shrinkage(b, se, fitted=(total >= MIN_CONVERSIONS) & usable)
    factor = slope[cell]
    factor *= x
    return WearOut(slope, b, se, spread, np.exp(factor, out=factor), a, so_far)


def _newton(
    cell: np.ndarray, exposure: np.ndarray, conversions: np.ndarray, x: np.ndarray, a: np.ndarray, b: np.ndarray, free: np.ndarray,
    prior: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) (cells,) after Newton's steps on the `free` creatives until none moves more than TOLERANCE; a step
    works on the rows of the creatives still moving only (each creative's step needs its own rows alone)."""
    a, b = a.copy(), b.copy()
    todo = np.flatnonzero(free)
    local, rows = cell, None  # rows of the creatives still moving (None: all), their cells numbered in `todo`
    for _ in range(NEWTON_STEPS):
        if not len(todo):
            break
        if rows is not None:
            local = np.searchsorted(todo, cell[rows])
        pick = (lambda v: v) if rows is None else (lambda v: v[rows])  # noqa: E731
        xr, er, cr = pick(x), pick(exposure), pick(conversions)
        add = lambda values: np.bincount(local, weights=values, minlength=len(todo) if rows is not None else len(a))  # noqa: E731
        ta, tb = (a, b) if rows is None else (a[todo], b[todo])
        mu = tb[local]  # exposure × exp(a + b x), in place (the rows may be millions)
        mu *= xr
        mu += ta[local]
        np.exp(mu, out=mu)
        mu *= er
        scratch = xr * mu  # one more (rows,) array, reused: the sums are linear, so no residual array is needed
        h_aa, h_ab = add(mu), add(scratch)
        scratch *= xr
        h_bb = add(scratch) + prior
        np.multiply(xr, cr, out=scratch)
        g_a, g_b = add(cr) - h_aa, add(scratch) - h_ab - prior * tb
        del scratch
        h_aa += 1e-9
        det = h_aa * h_bb - h_ab**2
        new_a = np.clip(ta + (h_bb * g_a - h_ab * g_b) / det, -30.0, 5.0)
        new_b = np.clip(tb + (h_aa * g_b - h_ab * g_a) / det, -10.0, 10.0)
        moved = np.nan_to_num(np.maximum(np.abs(new_a - ta), np.abs(new_b - tb)), nan=0.0)
        if rows is None:
            moved = np.where(free, moved, 0.0)
            a[free], b[free] = new_a[free], new_b[free]
            moving = moved > TOLERANCE
            todo = np.flatnonzero(moving)
        else:
            a[todo], b[todo] = new_a, new_b
            moving = moved > TOLERANCE
            todo = todo[moving]
        still = np.zeros(len(a), dtype=bool)
        still[todo] = True
        rows = (np.flatnonzero(still[cell]) if rows is None else rows[still[cell[rows]]]) if len(todo) else None
    return a, b


def carried_wear(previous: History | None, campaign: np.ndarray, segment: np.ndarray, creative: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """(intercept, slope, exposure so far) (cells,) of `previous`'s wear-out fit for the cells named (nan for a
    cell it lacks): an earlier day's fit, where today's Newton starts. None without one."""
    if previous is None or previous.wear is None or previous.wear.intercept is None:
        return None
    w = previous.wear
    fits = (w.intercept, w.raw_slope, w.so_far)
    same = len(previous.creative) == len(creative) and all(
        np.array_equal(p, c) for p, c in ((previous.campaign, campaign), (previous.segment, segment), (previous.creative, creative))
    )
    if same:
        return fits
    key = lambda h: np.char.add(np.char.add(np.char.add(h[0].astype(str), "\x1f"), np.char.add(h[1].astype(str), "\x1f")), h[2].astype(str))  # noqa: E731
    old, new = key((previous.campaign, previous.segment, previous.creative)), key((campaign, segment, creative))
    order = np.argsort(old)
    at = np.minimum(np.searchsorted(old[order], new), len(old) - 1)
    found = old[order][at] == new
    return tuple(np.where(found, f[order][at], np.nan) for f in fits)
