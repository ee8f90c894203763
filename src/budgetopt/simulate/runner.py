"""The day loop: replications of a scenario, every policy facing the same world draws.

Random streams (all from the scenario's seed, so a run is reproducible and its replications can
run in any order, in any process):
- replication r uses `SeedSequence(seed).spawn(reps)[r]`;
- day d's outcomes (visits, conversions, revenue) use its child (0, d) — the same for every policy:
  common random numbers, so two policies that spend alike see identical outcomes;
- a policy's own randomness (posterior draws) uses the child (1, k), k its place in the registry,
  so a policy's results do not depend on which other policies run beside it.
The warm-up (an even split) is drawn once per replication and shared by every policy.

`run_replication` is the unit of work: `replication_tasks` lists its arguments, any executor of
budgetopt.scale.executors (serial, local processes, Dask) runs them (the API chooses one), `assemble` puts them together.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from budgetopt.simulate.limits import Account, feasible_budgets
from budgetopt.simulate.log import SimulatedLog
from budgetopt.simulate.pacing import flat_policy
from budgetopt.simulate.policies import (
    POLICIES,
    Briefing,
    OraclePolicy,
    SimulationPolicy,
)
from budgetopt.simulate.scenario import Scenario
from budgetopt.simulate.world import best_masks

_OUTCOMES, _POLICIES = 0, 1


@dataclass(frozen=True)
class Trajectory:
    """One policy over the policy days (after the warm-up). Arrays are (..., days, cells): one
    replication, or stacked replications (reps, days, cells); `disabled_day` is (..., cells)."""

    spend: np.ndarray  # currency
    expected_margin: np.ndarray  # currency: the true expected gross margin of that spend
    visits: np.ndarray
    conversions: np.ndarray
    revenue: np.ndarray  # currency
    live: np.ndarray  # bool: the cell exists that day
    best: np.ndarray  # bool: its true value per euro is the highest of its segment's live cells
    strictly_best: np.ndarray  # bool: … and no other live cell of the segment ties it
    disabled_day: np.ndarray  # int: the day the policy switched the cell off for good, -1 never

    @classmethod
    def stack(cls, items: Sequence[Trajectory]) -> Trajectory:
        return cls(**{f.name: np.stack([getattr(t, f.name) for t in items]) for f in fields(cls)})


@dataclass(frozen=True)
class SimulationResult:
    """Every policy's trajectories over the replications, and what is needed to read them."""

    scenario: str
    policies: tuple[str, ...]
    reps: int
    seed: int
    first_day: int  # the first policy day (= warmup_days)
    days: int  # policy days
    start_date: object  # datetime.date of day 0
    margin_rate: float
    currency: str
    campaign: np.ndarray  # (cells,)
    segment: np.ndarray
    creative: np.ndarray
    segment_index: np.ndarray
    segment_labels: tuple[str, ...]
    launch_day: np.ndarray  # (cells,)
    runs: dict[str, Trajectory]  # policy → (reps, days, cells)
    plan_seconds: dict[str, float]  # policy → seconds spent in its plan() over all replications
    period: tuple[object, object, float] | None = None  # the policy's (period_start, period_end, period_total), if any
    min_roas: float | None = None  # the policy's [targets] min_roas, if any


def account_of(scenario: Scenario) -> Account:
    w = scenario.world
    paced = scenario.policy if scenario.policy.budget.has_period else None
    return Account(np.array(w.campaign), np.array(w.segment), np.array(w.creative), w.segment_index, w.n_segments, flat_policy(scenario.policy), paced)


def _stream(replication: np.random.SeedSequence, *key: int) -> np.random.Generator:
    """The generator of a child stream of a replication: what `replication.spawn` would give at that key."""
    return np.random.default_rng(np.random.SeedSequence(replication.entropy, spawn_key=(*replication.spawn_key, *key)))


def build_policy(name: str, scenario: Scenario, account: Account, replication: np.random.SeedSequence) -> SimulationPolicy:
    cls = POLICIES[name]
    briefing = Briefing(scenario.start_date, scenario.target_cpa, scenario.target_roas)
    rng = _stream(replication, _POLICIES, list(POLICIES).index(name))
    if cls is OraclePolicy:
        return OraclePolicy(account, briefing, rng, scenario.world.saturation_spend)
    return cls(account, briefing, rng)


def warm_up(scenario: Scenario, account: Account, replication: np.random.SeedSequence) -> tuple[SimulatedLog, np.ndarray]:
    """The shared warm-up: an even split of the live cells; returns the log and each cell's visits so far."""
    world = scenario.world
    log = SimulatedLog.empty(scenario.total_days, world.n_cells)
    cumulative = np.zeros(world.n_cells)
    daily_total = account.policy.budget.daily_total
    for day in range(scenario.warmup_days):
        truth = world.day_truth(day, cumulative, scenario.policy.budget.margin_rate)
        count = account.segment_sum(truth.live.astype(float))
        shares = np.where(truth.live, 1.0 / np.maximum(count[world.segment_index], 1.0), 0.0)
        live_segments = count > 0
        previous = account.segment_sum(log.spend[day - 1]) if day else np.zeros(world.n_segments)
        desired = np.where(live_segments, daily_total / max(live_segments.sum(), 1), 0.0)
        spend = shares * feasible_budgets(desired, shares, previous, account)[world.segment_index]
        visits, conversions, revenue = world.draw_day(spend, _stream(replication, _OUTCOMES, day), truth.rate_multiplier)
        log.record(day, truth.live, spend, visits, conversions, revenue)
        cumulative += visits
    return log, cumulative


def run_policy(
    scenario: Scenario, account: Account, policy: SimulationPolicy, log: SimulatedLog, cumulative: np.ndarray, replication: np.random.SeedSequence
) -> tuple[Trajectory, float]:
    """Run one policy from the end of the warm-up to the last day; returns its trajectory and seconds in plan()."""
    world = scenario.world
    margin_rate = scenario.policy.budget.margin_rate
    days, n = scenario.days, world.n_cells
    out = {name: np.zeros((days, n)) for name in ("spend", "expected_margin", "visits", "conversions", "revenue")}
    masks = {name: np.zeros((days, n), dtype=bool) for name in ("live", "best", "strictly_best")}
    disabled_day = np.full(n, -1)
    cumulative = cumulative.copy()
    seconds = 0.0
    for t, day in enumerate(range(scenario.warmup_days, scenario.total_days)):
        truth = world.day_truth(day, cumulative, margin_rate)
        started = time.perf_counter()
        step = policy.plan(log.seen(), truth if policy.knows_truth else None)
        seconds += time.perf_counter() - started
        spend = np.where(truth.live, np.maximum(step.spend, 0.0), 0.0)
        visits, conversions, revenue = world.draw_day(spend, _stream(replication, _OUTCOMES, day), truth.rate_multiplier)
        log.record(day, truth.live, spend, visits, conversions, revenue)
        cumulative += visits
        best, strictly = best_masks(truth.value_per_euro, truth.live, world.segment_index, world.n_segments)
        out["spend"][t], out["visits"][t], out["conversions"][t], out["revenue"][t] = spend, visits, conversions, revenue
        out["expected_margin"][t] = world.expected_margin(spend, margin_rate, truth.rate_multiplier)
        masks["live"][t], masks["best"][t], masks["strictly_best"][t] = truth.live, best, strictly
        disabled_day[step.disabled & (disabled_day < 0)] = day
    return Trajectory(**out, **masks, disabled_day=disabled_day), seconds


def run_replication(
    scenario: Scenario, replication: np.random.SeedSequence, policies: Sequence[str]
) -> tuple[dict[str, Trajectory], dict[str, float]]:
    """One replication: the shared warm-up, then each policy on its own copy of the log."""
    account = account_of(scenario)
    log, cumulative = warm_up(scenario, account, replication)
    trajectories, seconds = {}, {}
    for name in policies:
        policy = build_policy(name, scenario, account, replication)
        trajectories[name], seconds[name] = run_policy(scenario, account, policy, log.copy(), cumulative, replication)
    return trajectories, seconds


def replication_tasks(scenario: Scenario, reps: int, policies: Sequence[str]) -> list[tuple[Scenario, np.random.SeedSequence, tuple[str, ...]]]:
    """The arguments of `run_replication` for each of `reps` replications, in order: replication r is
    seeded by `SeedSequence(scenario.seed).spawn(reps)[r]`, whichever process or machine runs it."""
    return [(scenario, replication, tuple(policies)) for replication in np.random.SeedSequence(scenario.seed).spawn(reps)]


def simulate(
    scenario: Scenario,
    *,
    reps: int,
    policies: Sequence[str],
    progress: Callable[[int], None] | None = None,
    executor: Any = None,
) -> SimulationResult:
    """Run `reps` replications of every policy. They run on `executor` (any of budgetopt.scale.executors:
    serial, local processes or Dask) if given, else serially in this process; results are identical
    to the serial run either way. `progress(done)` is called after each replication.
    Policies of SIDE_BY_SIDE (thompson) run all their replications at once, in this process, with the
    results one by one would give."""
    unknown = [p for p in policies if p not in POLICIES]
    if unknown:
        raise ValueError(f"unknown policies {unknown}")
    side_by_side = [p for p in policies if p in SIDE_BY_SIDE]
    one_by_one = [p for p in policies if p not in SIDE_BY_SIDE]
    outcomes: list[tuple[dict[str, Trajectory], dict[str, float]]] = [({}, {}) for _ in range(reps)]
    if one_by_one:
        tasks = replication_tasks(scenario, reps, one_by_one)
        if executor is None:
            finished = ((index, run_replication(*task)) for index, task in enumerate(tasks))
        else:
            finished = ((done.index, done.result()) for done in executor.run(run_replication, tasks))
        for done, (index, outcome) in enumerate(finished, start=1):
            outcomes[index] = outcome
            if progress:
                progress(done)
    for name in side_by_side:
        stacked, seconds = SIDE_BY_SIDE[name](scenario, reps)
        for r, (trajectories, plan_seconds) in enumerate(outcomes):
            trajectories[name] = Trajectory(**{f.name: getattr(stacked, f.name)[r] for f in fields(Trajectory)})
            plan_seconds[name] = seconds["policy"] / reps
    if progress and not one_by_one:
        progress(reps)
    return assemble(scenario, policies, outcomes)


def _thompson_side_by_side(scenario: Scenario, reps: int) -> tuple[Trajectory, dict[str, float]]:
    from budgetopt.simulate.batch import simulate_thompson

    return simulate_thompson(scenario, reps)


#: policies whose replications run side by side in one process (simulate/batch.py: array arithmetic
#: over (replications, cells), the runner's random streams, its results bit for bit), not one by one
SIDE_BY_SIDE: dict[str, Callable[[Scenario, int], tuple[Trajectory, dict[str, float]]]] = {"thompson": _thompson_side_by_side}


def assemble(
    scenario: Scenario, policies: Sequence[str], outcomes: Sequence[tuple[dict[str, Trajectory], dict[str, float]]]
) -> SimulationResult:
    """The run's result from its replications' outcomes (`run_replication`'s values, in replication order)."""
    world = scenario.world
    account = account_of(scenario)
    return SimulationResult(
        scenario=scenario.name,
        policies=tuple(policies),
        reps=len(outcomes),
        seed=scenario.seed,
        first_day=scenario.warmup_days,
        days=scenario.days,
        start_date=scenario.start_date,
        margin_rate=scenario.policy.budget.margin_rate,
        currency=scenario.policy.budget.currency,
        campaign=account.campaign,
        segment=account.segment,
        creative=account.creative,
        segment_index=world.segment_index,
        segment_labels=account.segment_labels,
        launch_day=world.timeline.launch_day,
        runs={name: Trajectory.stack([o[0][name] for o in outcomes]) for name in policies},
        plan_seconds={name: float(sum(o[1][name] for o in outcomes)) for name in policies},
        period=(b.period_start, b.period_end, b.period_total) if (b := scenario.policy.budget).has_period else None,
        min_roas=scenario.policy.targets.min_roas,
    )
