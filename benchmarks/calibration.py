"""A machine's speed, measured in the same run as a benchmark, so that its timings compare across machines
and across loads (issue 18): the time numpy takes to draw 2,000,000 Beta(2, 50) variates, best of 3 — the
decision engine's own kind of work (Gamma variates underneath), single-threaded, no cache effects to speak of.

Every `bench_*.py` measures it at its start and again at its end and prints each timing beside its ratio
to the calibration (a dimensionless "calibrations"): a figure of 12.0 cal means 12 times the time this
machine took, in the same run, to draw 2 M Beta variates. When the two measurements differ by more than
20 %, the machine's load changed during the run and the end line says so.

    from calibration import Calibration
    calibration = Calibration.measure()
    print(f"plan {seconds:.3f} s ({calibration.ratio(seconds)})")
    calibration.report()
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

#: variates drawn per measurement: about 0.05–0.1 s on this project's 2-core machine, long enough to time well
VARIATES = 2_000_000
#: measurements taken, the fastest kept (the least disturbed by other jobs)
REPEATS = 3
#: relative change between the start's and the end's calibration above which the load is said to have changed
DRIFT = 0.2


def beta_seconds(variates: int = VARIATES, repeats: int = REPEATS, seed: int = 0) -> float:
    """Seconds to draw `variates` Beta(2, 50) variates with numpy, the fastest of `repeats` tries."""
    rng = np.random.default_rng(seed)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        rng.beta(2.0, 50.0, variates)
        best = min(best, time.perf_counter() - started)
    return best


@dataclass
class Calibration:
    """The calibration measured at a benchmark's start (`seconds`), and at its end once `report` is called."""

    seconds: float

    @classmethod
    def measure(cls) -> Calibration:
        calibration = cls(beta_seconds())
        print(f"calibration: 2 M Beta variates in {calibration.seconds:.3f} s (numpy, best of {REPEATS}); "
              f"'cal' below = a timing ÷ this", flush=True)
        return calibration

    def ratio(self, seconds: float) -> str:
        """`seconds` in calibrations, as printed beside the timing: '12.3 cal', '6,250 cal'."""
        ratio = seconds / self.seconds
        return f"{ratio:,.0f} cal" if ratio >= 100 else f"{ratio:.3g} cal"

    def report(self) -> None:
        """Measure again and print both: a large drift means other jobs started or stopped during the run."""
        end = beta_seconds()
        drift = end / self.seconds - 1.0
        note = " — the machine's load changed during the run; compare with care" if abs(drift) > DRIFT else ""
        print(f"calibration at the end: {end:.3f} s ({100 * drift:+.0f} % against the start){note}")
