"""Issue 9's target: a sweep of 40 grid points × 10 replications, serially and on 2 local Dask
workers: speed-up ≥ 1.7× on this 2-core machine, with identical results.

The sweep is scenarios/sweeps/demo.toml (the demo account, 20 policy days; exploration ×
half_life_days × disable_below_p_best = 4 × 2 × 5 points). Both runs start from an empty folder;
the Dask run's time includes starting the LocalCluster (its workers import budgetopt). The load
average before each run is printed: the machine's two cores may be shared, and a busy core shows.

    python benchmarks/bench_sweep.py [--grid scenarios/sweeps/demo.toml] [--workers 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from budgetopt.scale.executors import SerialExecutor, local_cluster
from budgetopt.scale.grid import load_grid
from budgetopt.scale.sweep import run_sweep

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibration import Calibration  # noqa: E402

GRID = Path(__file__).resolve().parents[1] / "scenarios" / "sweeps" / "demo.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=Path, default=GRID)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None, help="Keep the serial sweep's outputs in this folder (a rerun of `budgetopt sweep --out` there simulates nothing).")
    args = parser.parse_args()
    if args.keep is not None and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"--keep {args.keep} is not empty: the serial run must simulate every point")
    calibration = Calibration.measure()
    grid = load_grid(args.grid)
    replications = len(grid.points) * grid.reps
    print(f"{args.grid.name}: {len(grid.points)} grid points × {grid.reps} replications = {replications} replications "
          f"(budgetopt and the oracle, {grid.points[0].scenario.days} policy days each); {os.cpu_count()} cores")

    with tempfile.TemporaryDirectory() as folder:
        print(f"  load average before the serial run: {os.getloadavg()[0]:.2f}")
        started, cpu = time.perf_counter(), time.process_time()
        serial_dir = args.keep or Path(folder) / "serial"
        serial = run_sweep(grid, serial_dir, SerialExecutor())
        serial_wall, serial_cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"  serial: {serial_wall:.1f} s wall ({calibration.ratio(serial_wall)}), {serial_cpu:.1f} s CPU ({1000 * serial_wall / replications:.0f} ms per replication)")

        print(f"  load average before the Dask run: {os.getloadavg()[0]:.2f}")
        started = time.perf_counter()
        with local_cluster(args.workers) as executor:
            start_up = time.perf_counter() - started
            before, cpu = executor.client.run(time.process_time), time.process_time()
            parallel = run_sweep(grid, Path(folder) / "dask", executor)
            after, client_cpu = executor.client.run(time.process_time), time.process_time() - cpu
        parallel_wall = time.perf_counter() - started
        worker_cpu = [after[w] - before[w] for w in sorted(before) if w in after]
        print(f"  {args.workers} Dask workers: {parallel_wall:.1f} s wall ({calibration.ratio(parallel_wall)}), of which {start_up:.1f} s starting the LocalCluster; "
              f"CPU per worker {', '.join(f'{c:.1f}' for c in worker_cpu)} s ({sum(worker_cpu):.1f} s in all), "
              f"this process (scheduler and client) {client_cpu:.1f} s")
        print(f"  load average after: {os.getloadavg()[0]:.2f} (a load above {args.workers} while we run means the cores were shared)")

        identical = serial.table.equals(parallel.table) and (
            (serial_dir / "sweep.csv").read_bytes() == (Path(folder) / "dask" / "sweep.csv").read_bytes()
        )
        pd.testing.assert_frame_equal(serial.table, parallel.table, check_exact=True)
    print(f"  speed-up {serial_wall / parallel_wall:.2f}× (start-up included; target ≥ 1.7×); "
          f"results {'identical' if identical else 'DIFFERENT'} (sweep.csv byte for byte, every metric exactly)")
    best = serial.table.sort_values("rank").iloc[0]
    settings = ", ".join(f"{name} = {best[name]:g}" for name in grid.setting_names)
    print(f"  best point: #{best['point']} ({settings}), margin {best['margin_mean']:,.0f} {best['currency']}, "
          f"{100 * best['share_of_oracle']:.1f} % of the oracle")
    calibration.report()


if __name__ == "__main__":
    main()
