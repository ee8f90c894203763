"""A small account the policy tests share."""

from __future__ import annotations

import numpy as np

from budgetopt.config import policy_from_dict
from budgetopt.simulate.limits import Account


def account(policy: dict | None = None) -> Account:
    """Two segments: s0 with creatives a, b, c; s1 with a, b."""
    return Account(
        campaign=np.array(["c"] * 5),
        segment=np.array(["s0", "s0", "s0", "s1", "s1"]),
        creative=np.array(["a", "b", "c", "a", "b"]),
        segment_index=np.array([0, 0, 0, 1, 1]),
        n_segments=2,
        policy=policy_from_dict(policy or {"budget": {"daily_total": 1000.0}}),
    )
