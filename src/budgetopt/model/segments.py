"""Sums within each segment, the one way every layer computes them.

Cells are numbered 0..cells-1 and each belongs to one segment (`segment_index`, (cells,) ints in
[0, n_segments)). Sums run in cell order within each segment, so the same numbers come out
whether a day is summed alone or among many rows.
"""

from __future__ import annotations

import numpy as np


def segment_sums(values: np.ndarray, segment_index: np.ndarray, n_segments: int, segment_start: np.ndarray | None = None) -> np.ndarray:
    """(..., segments) sums over each segment's cells of (..., cells) values.

    `segment_start` (segments,), the first cell of each segment, says the cells are laid out segment
    by segment (a History's are): then one reduceat sums them, as the plan always has (its numbers
    depend on that order to the last bit). Otherwise one bincount over the rows laid end to end (row r's segments shifted by r · n_segments): each row
    is summed in cell order, exactly as a bincount of that row alone."""
    if segment_start is not None:
        return np.add.reduceat(values, segment_start, axis=-1)
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        return np.bincount(segment_index, weights=values, minlength=n_segments)
    lead = values.shape[:-1]
    rows = int(np.prod(lead))
    shifted = (segment_index[None, :] + n_segments * np.arange(rows)[:, None]).ravel()
    return np.bincount(shifted, weights=values.reshape(rows, -1).ravel(), minlength=rows * n_segments).reshape(*lead, n_segments)
