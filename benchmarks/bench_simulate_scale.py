"""Issue 6 and 18's scale targets: 90 days × 1,000 cells × 100 replications, `thompson` in < 10 s, `budgetopt` in < 90 s on 2 workers.

The account: 1,000 creatives in 250 segments (4 each) over 4 campaigns, values per unsaturated euro
from 0.6 to 10, a daily total of 100,000 under ±30 % a day; 7 warm-up days, then 90 policy days.
Prints, for each way of running a policy, the seconds measured, the replications they covered and
the time for 100 replications (measured when all 100 ran, else extrapolated linearly — replications
are independent and alike — and marked "extrapolated"), then what dominates:

- thompson as `budgetopt simulate` runs it (runner.py, one process and `--workers 2`), and on
  simulate/batch.py (replications side by side, the same results);
- budgetopt as `budgetopt simulate` runs it (runner.py: estimate → decide → allocate each day on
  the log's arrays, HiGHS warm), one replication timed stage by stage (no profiler), and two
  replications on 2 workers to check they scale.

    python benchmarks/bench_simulate_scale.py [--thompson-reps 100] [--budgetopt-days 90] [--profile FILE]

--profile FILE runs the budgetopt replication once more under cProfile, writes its stats to FILE (read them
with `python -m pstats FILE`) and prints the 25 functions of largest cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import os
import pstats
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from budgetopt.scale.executors import open_executor
from budgetopt.simulate.batch import simulate_thompson
from budgetopt.simulate.runner import (
    account_of,
    build_policy,
    run_policy,
    simulate,
    warm_up,
)
from budgetopt.simulate.scenario import Scenario, scenario_from_dict

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibration import Calibration  # noqa: E402

DAYS, CELLS, REPS = 90, 1_000, 100
TARGETS = {"thompson": 10.0, "budgetopt": 90.0}  # issue 6 asked 60 s for budgetopt; issue 18 settled on 90 s on 2 workers


def account(segments: int = CELLS // 4, creatives: int = 4, seed: int = 0) -> Scenario:
    """The 1,000-cell scenario: each segment's best creative at a value per unsaturated euro drawn
    log-uniformly in [0.6, 10], the others up to 40 % worse."""
    rng = np.random.default_rng(seed)
    segment_rows, cells = [], []
    for s in range(segments):
        campaign, name = f"campaign-{s % 4}", f"segment-{s:03d}"
        segment_rows.append({"campaign": campaign, "segment": name, "saturation_spend": float(rng.uniform(200, 1500))})
        cost, basket = float(rng.uniform(0.3, 1.0)), float(rng.uniform(40, 100))
        value = float(np.exp(rng.uniform(np.log(0.6), np.log(10.0))))
        for k in range(creatives):
            gap = 0.0 if k == 0 else float(rng.uniform(0, 0.4))
            rate = min(value * (1 - gap) * cost / basket, 0.5)
            cells.append({"campaign": campaign, "segment": name, "creative": f"creative-{k}", "conversion_rate": rate, "cost_per_visit": cost, "basket": basket})
    return scenario_from_dict({
        "world": {"days": DAYS, "warmup_days": 7, "seed": 1},
        "policy": {"budget": {"daily_total": 400.0 * segments, "max_daily_change": 0.3}},
        "segments": segment_rows,
        "cells": cells,
    }, name="scale")


def line(label: str, seconds: float, reps: int, target: float, calibration: Calibration) -> None:
    total = seconds * REPS / reps
    how = "measured" if reps == REPS else f"extrapolated from {reps}"
    verdict = "meets" if total < target else "misses"
    print(f"  {label:<58} {seconds:7.1f} s for {reps:>3} reps → {total:8.1f} s for {REPS} ({calibration.ratio(total)}; {how}); "
          f"{verdict} < {target:.0f} s")


#: the stages of a budgetopt day, timed by wrapping these functions where the policy calls them
STAGES = {
    "history (log arrays → History)": ("budgetopt.simulate.policies", "history_from_rows"),
    "estimate (saturation, pooled posteriors)": ("budgetopt.simulate.policies", "fit_history"),
    "posterior draws (sampled segments, margins, exploration)": ("budgetopt.estimate.posterior", "Estimates.value_per_euro_draws"),
    "decide: quadrature (log-normal segments)": ("budgetopt.decide.engine", "lognormal_chance_to_be_best"),
    "allocate: greedy or HiGHS (mean and exploration draw)": ("budgetopt.plan.day", "solve"),
}
#: parts of the stages above, timed the same way (shown indented, not counted twice in the rest)
SUBSTAGES = {
    "history: learned half-lives (forgetting)": ("budgetopt.estimate.history", "learn_forgetting"),
    "history: wear-out (Newton per creative)": ("budgetopt.estimate.history", "fit_wear_out"),
    "history: shared shifts (steps of a campaign or the account)": ("budgetopt.estimate.history", "find_shifts"),
    "history: noisy days (variation beyond chance, each day's worth)": ("budgetopt.estimate.history", "day_worths"),
    "estimate: saturation": ("budgetopt.plan.day", "fit_saturation"),
    "estimate: pooled conversion rates": ("budgetopt.estimate.conversion", "pooled"),
}


@contextmanager
def stage_timers(seconds: dict[str, float]):
    """Wrap each STAGES function (module attribute, or Class.method) to add its wall time to `seconds`."""
    undo = []
    for label, (module_name, attribute) in {**STAGES, **SUBSTAGES}.items():
        owner = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name)

        def timed(*args, _original=original, _label=label, **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                seconds[_label] += time.perf_counter() - started

        setattr(owner, name, timed)
        undo.append((owner, name, original))
    try:
        yield
    finally:
        for owner, name, original in undo:
            setattr(owner, name, original)


def one_replication(scenario: Scenario, policy: str) -> tuple[float, float]:
    """(wall seconds, seconds in the policy's plan) for replication 0 as runner.py runs it."""
    acc = account_of(scenario)
    replication = np.random.SeedSequence(scenario.seed).spawn(1)[0]
    started = time.perf_counter()
    log, cumulative = warm_up(scenario, acc, replication)
    _, deciding = run_policy(scenario, acc, build_policy(policy, scenario, acc, replication), log, cumulative, replication)
    return time.perf_counter() - started, deciding


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--thompson-reps", type=int, default=REPS, help="replications of thompson through simulate")
    parser.add_argument("--budgetopt-days", type=int, default=DAYS, help="policy days of the budgetopt replication timed")
    parser.add_argument("--profile", type=Path, default=None, help="also profile that replication (cProfile stats to this file)")
    args = parser.parse_args()
    calibration = Calibration.measure()
    scenario = account()
    print(f"{scenario.world.n_cells} cells in {scenario.world.n_segments} segments, {scenario.warmup_days} warm-up + {DAYS} days; "
          f"{os.cpu_count()} cores")

    print("thompson (target < 10 s):")
    for workers in (1, 2):
        started = time.perf_counter()
        with open_executor(workers, None) as executor:
            simulate(scenario, reps=args.thompson_reps, policies=("thompson",), executor=executor)
        line(f"budgetopt simulate --policies thompson --workers {workers}", time.perf_counter() - started, args.thompson_reps, TARGETS["thompson"],
             calibration)
    started = time.perf_counter()
    _, stages = simulate_thompson(scenario, REPS)
    line("batch.py (replications side by side)", time.perf_counter() - started, REPS, TARGETS["thompson"], calibration)
    print("    " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in sorted(stages.items(), key=lambda item: -item[1])))

    print(f"budgetopt (target < {TARGETS['budgetopt']:.0f} s on 2 workers):")
    days = min(args.budgetopt_days, DAYS)
    short = scenario.with_overrides(days=days)
    seconds: dict[str, float] = defaultdict(float)
    with stage_timers(seconds):
        wall, deciding = one_replication(short, "budgetopt")
    per_day = deciding / days
    total = wall * DAYS / days * REPS
    how = "measured" if days == DAYS else f"extrapolated from {days} days"
    print(f"  one replication, one process: {wall:.1f} s for {days} days ({1000 * per_day:.0f} ms a day in the policy, "
          f"{calibration.ratio(per_day)}, "
          f"{100 * deciding / wall:.0f} % of the run) → {total:,.0f} s for {REPS} reps serially, {total / 2:,.0f} s on 2 workers "
          f"({calibration.ratio(total / 2)}; {how}); {'meets' if total / 2 < TARGETS['budgetopt'] else 'misses'} < {TARGETS['budgetopt']:.0f} s")
    print("    a day's plan, by stage:")
    for label, spent in sorted(seconds.items(), key=lambda item: -item[1]):
        indent = "  " if label in SUBSTAGES else ""
        print(f"      {indent}{1000 * spent / days:6.1f} ms  ({calibration.ratio(spent / days)}, {100 * spent / deciding:.0f} %)  {label}")
    rest = (deciding - sum(spent for label, spent in seconds.items() if label in STAGES)) / days
    print(f"      {1000 * rest:6.1f} ms  ({calibration.ratio(rest)})  the rest (verdicts, shares, LP building, bookkeeping)")
    started = time.perf_counter()
    with open_executor(2, None) as executor:
        simulate(short, reps=2, policies=("budgetopt",), executor=executor)
    two = time.perf_counter() - started
    print(f"  simulate, 2 replications on 2 workers: {two:.1f} s ({2 * wall / two:.2f}× one process) → "
          f"{two * REPS / 2 * DAYS / days:,.0f} s for {REPS} reps of {DAYS} days ({calibration.ratio(two * REPS / 2 * DAYS / days)})")
    if args.profile is not None:
        profile(short, args.profile)
    calibration.report()


def profile(scenario: Scenario, path: Path) -> None:
    """The budgetopt replication under cProfile: stats written to `path`, the top 25 by cumulative time printed."""
    profiler = cProfile.Profile()
    profiler.enable()
    one_replication(scenario, "budgetopt")
    profiler.disable()
    profiler.dump_stats(path)
    print(f"  profile of one replication written to {path}; by cumulative time:")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
