"""How a segment's audience saturates: each extra euro buys fewer visits.

With saturation spend S (currency per day), a segment whose cells spend T in total buys
visits at the efficiency factor (1 − exp(−T/S)) / (T/S) of its low-spend rate; so its
visits are v0 · S · (1 − exp(−T/S)), concave in T. S = inf means no saturation.
"""

from __future__ import annotations

import numpy as np


def saturation_factor(total_spend: np.ndarray, saturation_spend: np.ndarray) -> np.ndarray:
    """(1 − exp(−T/S)) / (T/S), elementwise; 1 at T = 0 or S = inf. Shapes broadcast."""
    x = np.divide(total_spend, saturation_spend, out=np.zeros(np.broadcast(total_spend, saturation_spend).shape), where=np.isfinite(saturation_spend))
    x = np.maximum(x, 0.0)
    safe = np.where(x > 1e-8, x, 1.0)
    return np.where(x > 1e-8, -np.expm1(-safe) / safe, 1.0 - x / 2)

