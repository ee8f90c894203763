"""Replications side by side: the day loop of `runner.run_policy` for the `thompson` policy over
(reps, cells) arrays.

`budgetopt simulate` runs each replication in its own loop (runner.py). For a policy whose decision
is array arithmetic that costs more in Python per replication and day than in numbers, so here each
day's truth, bookkeeping, budgets and metrics are computed once for all replications. Random draws
stay per replication and come from the runner's streams (replication r's outcomes on day d from its
child (0, d), the policy's draws from (1, k)), so a batch run equals the runner's, replication by
replication, bit for bit (tests/simulate/test_batch.py); budgets the policy wants that are already
feasible are kept as they are (what `feasible_budgets` returns for them), the others go through it.

`draws` is the number of posterior draws per creative behind each day's shares: THOMPSON_DRAWS (1,
Thompson sampling with a day as the decision), as `budgetopt simulate` runs the policy, or more for
probability matching within the day (see `matching_shares`: the same expected shares, less
day-to-day noise, that many times the random variates).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from budgetopt.allocate.problem import change_limit, limit_arrays
from budgetopt.model import segment_sums
from budgetopt.simulate.limits import TOLERANCE, Account, feasible_budgets
from budgetopt.simulate.policies import (
    THOMPSON_DRAWS,
    conversion_draws,
    matching_shares,
)
from budgetopt.simulate.runner import (
    _OUTCOMES,
    Trajectory,
    _stream,
    account_of,
    build_policy,
    warm_up,
)
from budgetopt.simulate.scenario import Scenario
from budgetopt.simulate.world import best_masks

#: replications whose (draws, cells) samples are stacked at once (bounds memory at draws × cells × this)
_STACK_VARIATES = 4_000_000


def _limits(previous: np.ndarray, live: np.ndarray, account: Account) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper), each (reps, segments): `Account.segment_limits`'s numbers for every replication at once."""
    b, s = account.policy.budget, account.policy.segments
    lower, upper, _ = limit_arrays(previous, live, s.min_spend, s.max_spend, change_limit(account.policy), b.daily_total)
    return lower, upper


def even_feasible_budgets(shares: np.ndarray, previous: np.ndarray, account: Account) -> np.ndarray:
    """(reps, segments): the daily total split equally across each replication's live segments, made
    feasible as `feasible_budgets` makes it — kept as it is where it already meets every limit."""
    budget = account.policy.budget
    live = segment_sums(shares, account.segment_index, account.n_segments) > 0
    desired = np.where(live, budget.daily_total / np.maximum(live.sum(-1, keepdims=True), 1), 0.0)
    lower, upper = _limits(previous, live, account)
    slack = TOLERANCE * budget.daily_total
    total = desired.sum(-1)
    ok = np.all((desired >= lower) & (desired <= upper), axis=-1) & (total >= budget.min_total - slack) & (total <= budget.daily_total + slack)
    for bound in account.policy.bounds:
        match = bound.matches(account.campaign, account.segment, account.creative)
        spent = (np.where(match, shares, 0.0) * desired[:, account.segment_index]).sum(-1)
        ok &= (spent <= bound.max + slack) & (spent >= bound.min - slack)
    out = desired.copy()
    for r in np.flatnonzero(~ok):
        out[r] = feasible_budgets(desired[r], shares[r], previous[r], account)
    return out


def simulate_thompson(
    scenario: Scenario,
    reps: int,
    *,
    draws: int = THOMPSON_DRAWS,
    progress: Callable[[int], None] | None = None,
) -> tuple[Trajectory, dict[str, float]]:
    """`reps` replications of the `thompson` policy, side by side: the stacked trajectory (reps, days,
    cells), as `runner.simulate` gives for it, and seconds by stage (warm_up, policy, budgets, world,
    bookkeeping). `progress(day)` is called after each policy day."""
    seconds = dict.fromkeys(("warm_up", "policy", "budgets", "world", "bookkeeping"), 0.0)
    started = time.perf_counter()
    world, account = scenario.world, account_of(scenario)
    margin_rate = scenario.policy.budget.margin_rate
    replications = np.random.SeedSequence(scenario.seed).spawn(reps)
    logs = [warm_up(scenario, account, replication) for replication in replications]
    rngs = [build_policy("thompson", scenario, account, replication).rng for replication in replications]
    w = scenario.warmup_days
    cumulative = np.stack([c for _, c in logs])  # (reps, cells) visits so far
    conversions = np.stack([log.conversions[:w].sum(0) for log, _ in logs])
    visits = np.stack([log.visits[:w].sum(0) for log, _ in logs])
    previous = segment_sums(np.stack([log.spend[w - 1] for log, _ in logs]), account.segment_index, account.n_segments)
    days, n = scenario.days, world.n_cells
    out = {name: np.zeros((reps, days, n)) for name in ("spend", "expected_margin", "visits", "conversions", "revenue")}
    masks = {name: np.zeros((reps, days, n), dtype=bool) for name in ("live", "best", "strictly_best")}
    launch = world.timeline.launch_day
    stack = max(1, _STACK_VARIATES // max(draws * n, 1))
    seconds["warm_up"] = time.perf_counter() - started

    for t, day in enumerate(range(w, scenario.total_days)):
        clock = time.perf_counter()
        truth = world.day_truth(day, cumulative, margin_rate)
        known = launch < day  # the cells the log has shown so far
        shares = np.empty((reps, n))
        for first in range(0, reps, stack):
            rows = range(first, min(first + stack, reps))
            samples = np.stack([conversion_draws(conversions[r], visits[r], rngs[r], draws) for r in rows])
            shares[first : first + len(rows)] = matching_shares(samples, known, account.segment_index, account.n_segments)
        now = time.perf_counter()
        seconds["policy"] += now - clock
        clock = now

        budgets = even_feasible_budgets(shares, previous, account)
        spend = np.where(truth.live, np.maximum(shares * budgets[:, account.segment_index], 0.0), 0.0)
        now = time.perf_counter()
        seconds["budgets"] += now - clock
        clock = now

        for r, replication in enumerate(replications):
            drawn = world.draw_day(spend[r], _stream(replication, _OUTCOMES, day), truth.rate_multiplier[r])
            out["visits"][r, t], out["conversions"][r, t], out["revenue"][r, t] = drawn
        now = time.perf_counter()
        seconds["world"] += now - clock
        clock = now

        cumulative += out["visits"][:, t]
        conversions += out["conversions"][:, t]
        visits += out["visits"][:, t]
        previous = segment_sums(spend, account.segment_index, account.n_segments)
        best, strictly = best_masks(truth.value_per_euro, truth.live, world.segment_index, world.n_segments)
        out["spend"][:, t] = spend
        out["expected_margin"][:, t] = world.expected_margin(spend, margin_rate, truth.rate_multiplier)
        masks["live"][:, t] = truth.live
        masks["best"][:, t], masks["strictly_best"][:, t] = best, strictly
        seconds["bookkeeping"] += time.perf_counter() - clock
        if progress:
            progress(t + 1)
    return Trajectory(**out, **masks, disabled_day=np.full((reps, n), -1)), seconds
