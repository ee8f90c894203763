"""The public Python API: the CLI's jobs as functions that take a log and a policy and return typed results.

`log` is a validated DataFrame (`load_log`), a DataFrame you built (validated here with the same rules
as a file), or the path of a CSV/Parquet file; `policy` is a `Policy`, the path of a TOML file or the
same tables as nested dicts. Results are frozen dataclasses holding pandas DataFrames with the CSV
outputs' columns. The default random generator is seeded like the CLI's `--seed`, so
`budgetopt.plan(log, policy)` gives the numbers `budgetopt plan` prints.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from budgetopt.config import Policy, load_policy, policy_from_dict
from budgetopt.data import load_log, validate_log
from budgetopt.decide import Decisions
from budgetopt.decide import decide as _decide
from budgetopt.errors import InputError
from budgetopt.estimate import Estimates
from budgetopt.plan import PlanResult, decisions_table, make_plan
from budgetopt.plan import estimate as _estimate

#: the default seed of the posterior draws; the same as the CLI's --seed default (a test checks)
DEFAULT_SEED = 7

LogLike = pd.DataFrame | str | os.PathLike
PolicyLike = Policy | str | os.PathLike | Mapping[str, Any]


@dataclass(frozen=True)
class DecideResult:
    """The A/B verdicts: `decisions` has `budgetopt decide`'s columns, one row per cell.

    estimates: the posteriors they were computed from; detail: the engine's arrays (cells,), shares
    and posterior draws of value per euro (draws, cells), for plots or your own analysis.
    """

    decisions: pd.DataFrame
    estimates: Estimates
    detail: Decisions


def as_policy(policy: PolicyLike) -> Policy:
    """A validated Policy from a Policy, a TOML path or nested dicts; raises InputError naming the key."""
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, Mapping):
        return policy_from_dict(dict(policy))
    if isinstance(policy, (str, os.PathLike)):
        return load_policy(policy)
    raise InputError(f"the 'policy' argument must be a Policy, a TOML path or a dict, got {type(policy).__name__} instead")


def as_log(log: LogLike, policy: Policy, *, sum_duplicates: bool = False) -> pd.DataFrame:
    """A validated log from a path or a DataFrame (checked with the file rules); raises InputError naming row and column."""
    exposure = policy.estimate.exposure
    if isinstance(log, pd.DataFrame):
        return validate_log(log, source="log DataFrame", exposure=exposure, sum_duplicates=sum_duplicates)
    if isinstance(log, (str, os.PathLike)):
        return load_log(log, exposure=exposure, sum_duplicates=sum_duplicates)
    raise InputError(f"the 'log' argument must be a DataFrame or a CSV/Parquet path, got {type(log).__name__} instead")


def _as_date(date: pd.Timestamp | str | None) -> pd.Timestamp | None:
    if date is None or isinstance(date, pd.Timestamp):
        return date
    try:
        return pd.Timestamp(pd.to_datetime(date, format="%Y-%m-%d")) if isinstance(date, str) else pd.Timestamp(date)
    except (ValueError, TypeError):
        raise InputError(f"the 'date' argument must be an ISO date yyyy-mm-dd, got {date!r} instead") from None


def _as_rng(rng: np.random.Generator | None) -> np.random.Generator:
    return np.random.default_rng(DEFAULT_SEED) if rng is None else rng


def estimate(log: LogLike, policy: PolicyLike, *, date: pd.Timestamp | str | None = None, sum_duplicates: bool = False) -> Estimates:
    """Every cell's posteriors (conversion rate, visits per euro, basket) and each segment's saturation.

    date: the plan date (default: the day after the log's last); only earlier days are used.
    """
    policy = as_policy(policy)
    return _estimate(as_log(log, policy, sum_duplicates=sum_duplicates), policy, _as_date(date))


def decide(
    log: LogLike,
    policy: PolicyLike,
    *,
    date: pd.Timestamp | str | None = None,
    rng: np.random.Generator | None = None,
    sum_duplicates: bool = False,
) -> DecideResult:
    """The A/B verdicts alone, as `budgetopt decide`: chance to be best, expected loss, verdict and reason per creative."""
    policy = as_policy(policy)
    estimates = _estimate(as_log(log, policy, sum_duplicates=sum_duplicates), policy, _as_date(date))
    detail = _decide(estimates, policy.decide, _as_rng(rng), currency=policy.budget.currency)
    return DecideResult(decisions_table(estimates, detail), estimates, detail)


def plan(
    log: LogLike,
    policy: PolicyLike,
    *,
    date: pd.Timestamp | str | None = None,
    rng: np.random.Generator | None = None,
    sum_duplicates: bool = False,
    **options: Any,
) -> PlanResult:
    """Tomorrow's plan, as `budgetopt plan`: `.plan` and `.decisions` DataFrames, `.summary` dict (the --summary JSON).

    options go to `make_plan` (previous_segment_spend, previously_disabled). Raises InputError for a bad
    log or policy, InfeasiblePolicyError naming the conflicting constraints.
    """
    policy = as_policy(policy)
    log = as_log(log, policy, sum_duplicates=sum_duplicates)
    return make_plan(log, policy, date=_as_date(date), rng=_as_rng(rng), **options)
