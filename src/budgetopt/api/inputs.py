"""What every API function accepts: a log, a policy, a date and a seed in any of their usual forms.

`log` is a validated DataFrame (`load_log`), a DataFrame you built (validated here with the same rules
as a file), the path of a CSV/Parquet file or an export, or a `LoadedLog` (`read_performance_log`'s,
taken as it was checked); `policy` is a `Policy`, the path of a TOML file or the
same tables as nested dicts; `date` a Timestamp or an ISO string; `rng` a numpy Generator, a seed, or None for
DEFAULT_SEED — the CLI's `--seed` default, so the API and the CLI give the same numbers; a seed is taken
with the plan's date (`budgetopt.plan.day_rng`), so each day's plan draws afresh.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pandas as pd

from budgetopt.config import Policy, load_policy, policy_from_dict
from budgetopt.data import LoadedLog, validate_log
from budgetopt.errors import InputError
from budgetopt.plan import (
    read_performance_log,  # the API's, re-exported by budgetopt.api
)

LogLike = pd.DataFrame | LoadedLog | str | os.PathLike
PolicyLike = Policy | str | os.PathLike | Mapping[str, Any]
DateLike = pd.Timestamp | str | None


def as_policy(policy: PolicyLike) -> Policy:
    """A validated Policy from a Policy, a TOML path or nested dicts; raises InputError naming the key."""
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, Mapping):
        return policy_from_dict(dict(policy))
    if isinstance(policy, (str, os.PathLike)):
        return load_policy(policy)
    raise InputError(f"the 'policy' argument must be a Policy, a TOML path or a dict, got {type(policy).__name__} instead")


def as_log(log: LogLike, policy: Policy, *, sum_duplicates: bool = False, columns: Any = None) -> pd.DataFrame:
    """A validated log from a path or a DataFrame (checked with the file rules); raises InputError naming row and column."""
    exposure = policy.estimate.exposure
    if isinstance(log, LoadedLog):  # read and checked by read_performance_log for this policy: not checked twice
        return log.log
    if isinstance(log, pd.DataFrame):
        value = policy.estimate.value_per_conversion
        if value is not None and "revenue" not in {str(c).strip().lower() for c in log.columns} and "conversions" in log.columns:
            log = log.assign(revenue=pd.to_numeric(log["conversions"], errors="coerce") * value)
        return validate_log(log, source="log DataFrame", exposure=exposure, sum_duplicates=sum_duplicates)
    if isinstance(log, (str, os.PathLike)):
        return read_performance_log(log, policy, columns=columns, sum_duplicates=sum_duplicates).log
    raise InputError(f"the 'log' argument must be a DataFrame or a CSV/Parquet path, got {type(log).__name__} instead")


def as_date(date: DateLike, what: str = "the 'date' argument") -> pd.Timestamp | None:
    """A plan date from an ISO string (yyyy-mm-dd) or a Timestamp; None stays None (the day after the log's last)."""
    if date is None or isinstance(date, pd.Timestamp):
        return date
    try:
        return pd.Timestamp(pd.to_datetime(date, format="%Y-%m-%d")) if isinstance(date, str) else pd.Timestamp(date)
    except (ValueError, TypeError):
        if what.startswith("--"):
            raise InputError(f"{what} {date!r} is not an ISO date yyyy-mm-dd") from None
        raise InputError(f"{what} must be an ISO date yyyy-mm-dd, got {date!r} instead") from None
