"""Ingesting 1,000,000 rows into a new ledger (issue 7: < 20 s), and again (idempotent: all unchanged).

Generates a CSV of 10,000 cells × 100 days in a temporary folder, then times separately:
loading + validating it (`load_log`), ingesting it into a new ledger (one transaction), ingesting
it again, and the CLI command as a user runs it (`budgetopt ingest`, Python start-up included).
    python benchmarks/bench_ingest.py [--rows N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from budgetopt import load_log
from budgetopt.ledger import ingest, open_ledger

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibration import Calibration  # noqa: E402

TARGET_SECONDS = 20.0


def synthetic_csv(path: Path, rows: int, cells: int = 10_000, seed: int = 1) -> None:
    """`rows` rows of `cells` cells (100 campaigns × 10 segments × 10 creatives), one row per cell per day."""
    rng = np.random.default_rng(seed)
    days = -(-rows // cells)
    cell = np.tile(np.arange(cells), days)[:rows]
    day = np.repeat(pd.date_range("2025-01-01", periods=days).strftime("%Y-%m-%d").to_numpy(), cells)[:rows]
    visits = rng.integers(0, 500, rows)
    conversions = rng.binomial(visits, 0.03)
    pd.DataFrame({
        "date": day,
        "campaign": np.char.add("campaign-", (cell // 100).astype(str)),
        "segment": np.char.add("segment-", (cell // 10 % 10).astype(str)),
        "creative": np.char.add("creative-", (cell % 10).astype(str)),
        "spend": np.round(rng.uniform(1, 200, rows), 2),
        "visits": visits,
        "conversions": conversions,
        "revenue": np.round(conversions * rng.uniform(30, 90, rows), 2),
    }).to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    calibration = Calibration.measure()
    with tempfile.TemporaryDirectory() as tmp:
        csv, ledger_path = Path(tmp) / "log.csv", Path(tmp) / "ledger.db"
        synthetic_csv(csv, rows)

        started = time.perf_counter()
        log = load_log(csv)
        load = time.perf_counter() - started

        started = time.perf_counter()
        with open_ledger(ledger_path, create=True) as ledger:
            first = ingest(ledger, log, source=str(csv))
        fresh = time.perf_counter() - started

        started = time.perf_counter()
        with open_ledger(ledger_path) as ledger:
            again = ingest(ledger, log, source=str(csv))
        repeat = time.perf_counter() - started
        assert first.new == rows and again.unchanged == rows, (first, again)

        cli_ledger = Path(tmp) / "cli.db"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "budgetopt.cli", "ingest", str(csv), "--ledger", str(cli_ledger)], check=True, capture_output=True)
        wall = time.perf_counter() - started
        size = ledger_path.stat().st_size / 2**20

    cal = calibration.ratio
    print(f"ingest {rows:,} rows: load + validate {load:.2f} s ({cal(load)}), ingest into a new ledger {fresh:.2f} s ({cal(fresh)}) "
          f"(total {load + fresh:.2f} s, {cal(load + fresh)}, target < {TARGET_SECONDS:g} s); again (all unchanged) {repeat:.2f} s "
          f"({cal(repeat)}); CLI wall time {wall:.2f} s ({cal(wall)}); ledger {size:,.0f} MiB")
    calibration.report()


if __name__ == "__main__":
    main()
