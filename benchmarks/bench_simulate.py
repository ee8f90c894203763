"""Timings of `budgetopt simulate` on scenarios/demo.toml (21 creatives, 8 segments).

Prints the time per simulated day of each policy (the `budgetopt` policy runs the whole plan —
estimate, decide, allocate — on the log so far every day), and the wall time of the same
replications run serially and on worker processes (results are identical; a test checks it).
    python benchmarks/bench_simulate.py [--days 30] [--reps 4] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from budgetopt.scale.executors import open_executor
from budgetopt.simulate.policies import POLICIES
from budgetopt.simulate.runner import simulate
from budgetopt.simulate.scenario import load_scenario

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibration import Calibration  # noqa: E402

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "demo.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--reps", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    calibration = Calibration.measure()
    scenario = load_scenario(SCENARIO).with_overrides(days=args.days)
    policies = tuple(POLICIES)

    started = time.perf_counter()
    serial = simulate(scenario, reps=args.reps, policies=policies)
    serial_wall = time.perf_counter() - started
    started = time.perf_counter()
    with open_executor(args.workers, None) as executor:
        simulate(scenario, reps=args.reps, policies=policies, executor=executor)
    parallel_wall = time.perf_counter() - started

    days = args.reps * scenario.days
    print(f"{SCENARIO.name}: {scenario.world.n_cells} creatives, {scenario.warmup_days} warm-up + {scenario.days} days, "
          f"{args.reps} replications, {len(policies)} policies ({os.cpu_count()} cores)")
    for name in policies:
        per_day = serial.plan_seconds[name] / days
        print(f"  {name:<15} {1000 * per_day:8.2f} ms per simulated day ({calibration.ratio(per_day)}; deciding only)")
    print(f"  serial wall time {serial_wall:.2f} s ({calibration.ratio(serial_wall)}); {args.workers} workers {parallel_wall:.2f} s "
          f"({calibration.ratio(parallel_wall)}; speed-up {serial_wall / parallel_wall:.2f}×, process start-up included)")
    calibration.report()


if __name__ == "__main__":
    main()
