"""Issue 6's scale targets: 90 days × 1,000 cells × 100 replications, `thompson` in < 10 s, `budgetopt` in < 60 s.

The account: 1,000 creatives in 250 segments (4 each) over 4 campaigns, values per unsaturated euro
from 0.6 to 10, a daily total of 100,000 under ±30 % a day; 7 warm-up days, then 90 policy days.
Prints, for each way of running a policy, the seconds measured, the replications they covered and
the time for 100 replications (measured when all 100 ran, else extrapolated linearly — replications
are independent and alike — and marked "extrapolated"), then what dominates:

- thompson as `budgetopt simulate` runs it (runner.py: one replication at a time, 1,000 posterior
  draws per cell and day for the shares), the same on simulate/batch.py (replications side by side),
  and on the batch with one draw per cell and day (Thompson sampling with a day as the decision);
- budgetopt as `budgetopt simulate` runs it (make_plan on the simulated log, each day), profiled.

    python benchmarks/bench_simulate_scale.py [--runner-reps 2] [--batch-reps 3] [--budgetopt-days 90]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import time
from collections import defaultdict

import numpy as np

from budgetopt.simulate.batch import simulate_thompson
from budgetopt.simulate.runner import account_of, build_policy, run_policy, warm_up
from budgetopt.simulate.scenario import Scenario, scenario_from_dict

DAYS, CELLS, REPS = 90, 1_000, 100
TARGETS = {"thompson": 10.0, "budgetopt": 60.0}


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


def runner_path(scenario: Scenario, policy: str, reps: int) -> tuple[float, float]:
    """(wall seconds, seconds inside the policy's plan) for `reps` replications as runner.py runs them."""
    acc = account_of(scenario)
    started, deciding = time.perf_counter(), 0.0
    for replication in np.random.SeedSequence(scenario.seed).spawn(reps):
        log, cumulative = warm_up(scenario, acc, replication)
        _, seconds = run_policy(scenario, acc, build_policy(policy, scenario, acc, replication), log, cumulative, replication)
        deciding += seconds
    return time.perf_counter() - started, deciding


def line(label: str, seconds: float, reps: int, target: float) -> None:
    total = seconds * REPS / reps
    how = "measured" if reps == REPS else f"extrapolated from {reps}"
    verdict = "meets" if total < target else "misses"
    print(f"  {label:<58} {seconds:7.1f} s for {reps:>3} reps → {total:8.1f} s for {REPS} ({how}); {verdict} < {target:.0f} s")


def grouped_profile(profile: cProfile.Profile) -> list[tuple[str, float]]:
    """Own time (tottime) by package of budgetopt, and the rest (numpy, scipy, highspy, pandas)."""
    totals: dict[str, float] = defaultdict(float)
    for (filename, _, function), (_, _, own, _, _) in pstats.Stats(profile).stats.items():
        if "budgetopt" in filename:
            part = filename.split("budgetopt/")[-1].split("/")[0].removesuffix(".py")
        elif "highspy" in filename or function.startswith("<built-in method highspy"):
            part = "HiGHS"
        elif "pandas" in filename:
            part = "pandas"
        else:
            part = "numpy/scipy/other"
        totals[part] += own
    return sorted(totals.items(), key=lambda item: -item[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runner-reps", type=int, default=2, help="replications of thompson on the runner (1,000 draws a day)")
    parser.add_argument("--batch-reps", type=int, default=3, help="replications of thompson on the batch with 1,000 draws a day")
    parser.add_argument("--budgetopt-days", type=int, default=DAYS, help="policy days of the one budgetopt replication measured")
    args = parser.parse_args()
    scenario = account()
    print(f"{scenario.world.n_cells} cells in {scenario.world.n_segments} segments, {scenario.warmup_days} warm-up + {DAYS} days; "
          f"{os.cpu_count()} cores, one process")

    print("thompson (target < 10 s):")
    wall, deciding = runner_path(scenario, "thompson", args.runner_reps)
    line("runner.py, 1,000 draws a day (as `budgetopt simulate`)", wall, args.runner_reps, TARGETS["thompson"])
    print(f"    in the policy's plan: {100 * deciding / wall:.0f} % (1,000 Beta draws per cell and day)")
    started = time.perf_counter()
    _, stages = simulate_thompson(scenario, args.batch_reps)
    line("batch.py, 1,000 draws a day", time.perf_counter() - started, args.batch_reps, TARGETS["thompson"])
    started = time.perf_counter()
    _, stages = simulate_thompson(scenario, REPS, draws=1)
    wall = time.perf_counter() - started
    line("batch.py, 1 draw a day (Thompson sampling, a day = a decision)", wall, REPS, TARGETS["thompson"])
    print("    " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in sorted(stages.items(), key=lambda item: -item[1])))

    print("budgetopt (target < 60 s):")
    days = min(args.budgetopt_days, DAYS)
    short = scenario.with_overrides(days=days)
    profile = cProfile.Profile()
    profile.enable()
    wall, deciding = runner_path(short, "budgetopt", 1)
    profile.disable()
    per_day = wall / days
    total = per_day * DAYS * REPS
    how = "measured" if days == DAYS else f"extrapolated from {days} days"
    print(f"  runner.py, make_plan every day: {wall:.1f} s for 1 rep × {days} days ({1000 * per_day:.0f} ms per day, "
          f"{100 * deciding / wall:.0f} % in make_plan, profiler on)")
    print(f"    → {total:,.0f} s for {REPS} reps × {DAYS} days serially, {total / 2:,.0f} s on 2 workers at best "
          f"(linear from 1 rep, {how}); {'meets' if total / 2 < TARGETS['budgetopt'] else 'misses'} < {TARGETS['budgetopt']:.0f} s")
    print("    own time by part:")
    profiled = sum(seconds for _, seconds in grouped_profile(profile))
    for part, seconds in grouped_profile(profile)[:8]:
        print(f"      {part:<20} {100 * seconds / profiled:5.1f} %")
    print("    the largest functions (cumulative):")
    stats = pstats.Stats(profile)
    rows = [(cum, f"{func[0].split('src/')[-1].split('site-packages/')[-1]}:{func[2]}") for func, (_, _, _, cum, _) in stats.stats.items()
            if "budgetopt/estimate" in func[0] or "budgetopt/decide" in func[0] or "budgetopt/allocate/solve" in func[0]]
    for cum, name in sorted(rows, reverse=True)[:8]:
        print(f"      {1000 * cum / days:7.1f} ms/day  {name}")


if __name__ == "__main__":
    main()
