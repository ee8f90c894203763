"""Chance to be best and expected loss by sampling, with as many draws as each segment's verdicts need.

Every sampled segment gets a first pass of `first` joint posterior draws; a segment whose verdict
could still turn (the caller's `uncertain`: a p_best within a few Monte Carlo standard errors of a
threshold, …) gets as many again, doubling, up to `most`. The passes' tallies add (wins,
Σ(best − value), Σ(best − value)², draws), so a segment's numbers are those of one pass of all its
draws. Draws are made a block of segments at a time: no (draws, cells) array of the account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: variates drawn at a time (16 MB of float32)
DRAW_BLOCK = 4_000_000


@dataclass(frozen=True)
class Chance:
    """(cells,) chance to be best, expected loss (draws' units), the Monte Carlo standard error of
    p_best, and the expected loss's; and the draws each cell's numbers rest on (0: not sampled)."""

    p_best: np.ndarray
    expected_loss: np.ndarray
    p_best_se: np.ndarray
    loss_se: np.ndarray
    draws: np.ndarray


def sequential_chance(
    draw: Callable[[int, np.ndarray], np.ndarray],
    sampled: np.ndarray,
    eligible: np.ndarray,
    segment_start: np.ndarray,
    segment_index: np.ndarray,
    uncertain: Callable[[Chance], np.ndarray],
    first: int,
    most: int,
) -> Chance:
    """Chance for the `eligible` cells of the `sampled` segments (segments,) bool; other cells get p_best 0,
    loss nan. draw(n, cells) gives (n, len(cells)) joint posterior draws of the given sorted cells;
    uncertain(chance) says (segments,) which segments' verdicts need more draws."""
    n_cells = len(segment_index)
    wins, gap, gap2, seen = (np.zeros(n_cells) for _ in range(4))
    todo, n = sampled.copy(), min(first, most)
    while todo.any() and n > 0:
        cells = np.flatnonzero(eligible & todo[segment_index])
        _tally(draw, n, cells, segment_index, (wins, gap, gap2, seen))
        chance = _chance(wins, gap, gap2, seen, eligible, segment_start, segment_index)
        done = np.maximum.reduceat(seen, segment_start)  # draws so far, per segment (equal for all still to do)
        todo = todo & uncertain(chance) & (done < most)
        n = int(min(done[todo].max(), most - done[todo].max())) if todo.any() else 0
    return _chance(wins, gap, gap2, seen, eligible, segment_start, segment_index)


def _tally(draw, n: int, cells: np.ndarray, segment_index: np.ndarray, sums: tuple[np.ndarray, ...]) -> None:
    """Add n draws of `cells` (whole segments' eligible cells, sorted) to the running sums (wins, gap, gap², draws)."""
    wins, gap, gap2, seen = sums
    seg = segment_index[cells]
    starts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])  # each segment's first sampled cell
    edges = _block_edges(starts, len(cells), max(1, DRAW_BLOCK // max(n, 1)))
    for lo, hi in zip(edges[:-1], edges[1:]):
        block = cells[lo:hi]
        local = starts[(starts >= lo) & (starts < hi)] - lo
        values = draw(n, block)  # (n, cells of the block)
        best = np.maximum.reduceat(values, local, axis=1)[:, np.repeat(np.arange(len(local)), np.diff(np.r_[local, hi - lo]))]
        wins[block] += np.count_nonzero(values == best, axis=0)
        best -= values  # the gap to the segment's best, in each draw
        gap[block] += best.sum(0, dtype=np.float64)
        np.square(best, out=best)
        gap2[block] += best.sum(0, dtype=np.float64)
        seen[block] += n


def _block_edges(starts: np.ndarray, n_cells: int, step: int) -> list[int]:
    """Cut points at segment starts, each block about `step` cells (one segment's cells when it has more)."""
    edges = [0]
    while edges[-1] < n_cells:
        cut = n_cells
        if edges[-1] + step < n_cells:
            cut = int(starts[np.searchsorted(starts, edges[-1] + step, side="right") - 1])
            if cut <= edges[-1]:  # one segment larger than a block: the block is that segment
                later = np.searchsorted(starts, edges[-1], side="right")
                cut = int(starts[later]) if later < len(starts) else n_cells
        edges.append(cut)
    return edges


def _chance(wins, gap, gap2, seen, eligible, segment_start, segment_index) -> Chance:
    """The tallies as numbers: p_best renormalised within each segment (exact ties, vanishingly rare with
    continuous draws, are split), the expected loss E[best − cell] and both standard errors."""
    drawn = seen > 0
    total = np.add.reduceat(wins, segment_start)[segment_index]
    p_best = np.where(drawn & (total > 0), wins / np.where(total > 0, total, 1.0), 0.0)
    n = np.where(drawn, seen, 1.0)
    loss = np.where(eligible & drawn, gap / n, np.nan)
    loss_se = np.sqrt(np.maximum(gap2 / n - (gap / n) ** 2, 0.0) / n)
    p_best_se = np.where(drawn, np.sqrt(p_best * (1.0 - p_best) / n), 0.0)
    return Chance(p_best, loss, p_best_se, np.where(drawn, loss_se, 0.0), seen.astype(int))
