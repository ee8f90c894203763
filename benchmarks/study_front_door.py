"""The daily loop through the front door: `budgetopt plan` on CSV files every morning, as issue 15 measured it.

The simulator's `budgetopt` policy calls the engine on the log's arrays and remembers what it disabled,
as a ledger would. A traffic manager (and whoever judges the engine on a world of their own) runs the
command instead: each morning the export so far goes out as a CSV file, `budgetopt plan` reads it with
the scenario's policy written out as a TOML file, and plan.csv's `spend` column is what each creative
gets that day. This study runs the same worlds both ways, on common seeds (the world's outcomes are
the same random stream whoever plans), so any gap between them is the front door's: the CSV round trip
(money in cents, as exports have it), the plan's own draws (each replication its own `--seed`, taken
with each morning's date), and how the command remembers:

- `cli`: `budgetopt plan LOG.csv --policy POLICY.toml --out plan.csv`, no ledger: a creative the log
  shows without spend while its segment spent is *off* (README, "Switched off, without a ledger");
- `cli+ledger`: the same with `--ledger ads.db`, one SQLite file per replication that the command
  fills with the log's rows (idempotently) and its plans, so disabled creatives stay disabled;
- `budgetopt` and `greedy`: the simulator's policies, for comparison.

Printed per world: each way's share of the oracle (mean over replications) and the paired difference
`cli − budgetopt` ± its standard error, with the seconds per planned day.

    python benchmarks/study_front_door.py [--scenarios fatigue,sparse,w27] [--reps 4] [--days N] [--workers 2]

A name `wN` is random world N of `study_worlds.py`. The command runs in the worker process (click's
entry point, as the console script calls it; its terminal output discarded), not as a new process:
the code path is the console's, the interpreter's start-up (about 2 s) is not measured.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from budgetopt.cli import main as cli
from budgetopt.simulate.policies import SimulationPolicy, Step
from budgetopt.simulate.runner import account_of, build_policy, run_policy, warm_up
from budgetopt.simulate.scenario import Scenario, load_scenario, scenario_from_dict

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
WAYS = ("cli", "cli+ledger", "budgetopt", "greedy")
KEY = ["campaign", "segment", "creative"]


def toml_text(table: dict, prefix: str = "") -> str:
    """A policy table (nested dicts of scalars and lists; lists of dicts for [[bounds]]) as TOML text."""
    scalars = [f"{key} = {_value(value)}" for key, value in table.items() if not isinstance(value, dict | list) or _scalars(value)]
    lines = ([f"[{prefix}]"] if prefix and scalars else []) + scalars
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            lines.append(toml_text(value, name))
        elif isinstance(value, list) and not _scalars(value):
            for item in value:
                lines += [f"[[{name}]]"] + [f"{k} = {_value(v)}" for k, v in item.items()]
    return "\n".join(line for line in lines if line) + "\n"


def _scalars(value: object) -> bool:
    return isinstance(value, list) and not any(isinstance(item, dict) for item in value)


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(value)) if isinstance(value, float) else str(value)


class FrontDoorPolicy(SimulationPolicy):
    """Each morning: the log so far to a CSV file, `budgetopt plan` on it, plan.csv's spend per creative."""

    name = "cli"
    disables = True

    def __init__(self, account, briefing, rng, policy_toml: str, folder: Path, ledger: bool) -> None:
        super().__init__(account, briefing, rng)
        self.folder = folder
        self.policy_file = folder / "policy.toml"
        self.policy_file.write_text(policy_toml)
        self.ledger = folder / "ads.db" if ledger else None
        self.index = {key: i for i, key in enumerate(zip(account.campaign, account.segment, account.creative))}
        self.seed = int(rng.integers(2**31))  # this replication's --seed: replications are accounts of their own, not one stream

    def plan(self, log, truth=None) -> Step:
        frame = log.frame(self.account, self.briefing.start_date)
        frame["spend"], frame["revenue"] = frame["spend"].round(2), frame["revenue"].round(2)  # an export's cents
        frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
        log_file, plan_file = self.folder / "log.csv", self.folder / "plan.csv"
        frame.to_csv(log_file, index=False)
        plan_file.unlink(missing_ok=True)
        args = ["plan", str(log_file), "--policy", str(self.policy_file), "--out", str(plan_file), "--seed", str(self.seed)]
        if self.ledger is not None:
            args += ["--ledger", str(self.ledger)]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as errors:
            try:
                cli.main(args=args, prog_name="budgetopt")
            except SystemExit as stop:
                if stop.code:
                    raise RuntimeError(f"budgetopt plan failed on day {log.today}: {errors.getvalue().strip()}") from None
        plan = pd.read_csv(plan_file, dtype={k: str for k in KEY})
        cells = np.array([self.index[key] for key in zip(plan["campaign"], plan["segment"], plan["creative"])], dtype=int)
        spend = np.zeros(self.account.n_cells)
        spend[cells] = plan["spend"].to_numpy(float)
        self.disabled[cells[plan["status"].to_numpy() == "disabled"]] = True
        return Step(spend, self.disabled.copy())


def scenario_and_policy(name: str) -> tuple[Scenario, dict]:
    """The scenario (a file of scenarios/, or `wN`: random world N) and its [policy] table as written."""
    if name.startswith("w") and name[1:].isdigit():
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from study_worlds import world_spec

        spec = world_spec(int(name[1:]))[0]
        return scenario_from_dict(spec, source=f"world {name[1:]}", name=name), spec["policy"]
    path = SCENARIOS / f"{name}.toml"
    return load_scenario(path), tomllib.loads(path.read_text())["policy"]


def replication(task: tuple[str, int, int, int | None]) -> tuple[str, dict[str, float], dict[str, float]]:
    """(name, each way's share of the oracle, each way's seconds per planned day) for replication `index`."""
    name, index, reps, days = task
    scenario, policy_table = scenario_and_policy(name)
    if days is not None:
        scenario = scenario.with_overrides(days=days)
    account = account_of(scenario)
    seed = np.random.SeedSequence(scenario.seed).spawn(reps)[index]
    log, cumulative = warm_up(scenario, account, seed)
    margins, seconds = {}, {}
    for way in ("oracle",) + WAYS:
        with tempfile.TemporaryDirectory() as folder:
            if way.startswith("cli"):
                simulated = build_policy("budgetopt", scenario, account, seed)
                policy = FrontDoorPolicy(account, simulated.briefing, simulated.rng, toml_text(policy_table), Path(folder), way == "cli+ledger")
            else:
                policy = build_policy(way, scenario, account, seed)
            run, spent = run_policy(scenario, account, policy, log.copy(), cumulative, seed)
        margins[way], seconds[way] = float(run.expected_margin.sum()), spent / scenario.days
    return name, {way: margins[way] / margins["oracle"] for way in WAYS}, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default="fatigue,fast_fatigue,stable,sparse,demo,w27,w35")
    parser.add_argument("--reps", type=int, default=4)
    parser.add_argument("--days", type=int, default=None, help="policy days (default: each scenario's)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    names = args.scenarios.split(",")
    started = time.perf_counter()
    tasks = [(name, r, args.reps, args.days) for name in names for r in range(args.reps)]
    with ProcessPoolExecutor(args.workers) as pool:
        done = list(pool.map(replication, tasks))
    print(f"{len(names)} worlds × {args.reps} replications, {time.perf_counter() - started:.0f} s on {args.workers} workers; share of the oracle, %")
    print(f"{'world':16s}" + "".join(f"{way:>12s}" for way in WAYS) + "   cli − budgetopt   ledger − budgetopt   s/day cli, budgetopt")
    for name in names:
        rows = [(shares, seconds) for n, shares, seconds in done if n == name]
        share = {way: 100 * np.array([s[way] for s, _ in rows]) for way in WAYS}
        diff = [share[way] - share["budgetopt"] for way in ("cli", "cli+ledger")]
        se = [d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float("nan") for d in diff]
        per_day = [np.mean([t[way] for _, t in rows]) for way in ("cli", "budgetopt")]
        print(f"{name:16s}" + "".join(f"{share[way].mean():12.2f}" for way in WAYS)
              + f"   {diff[0].mean():+6.2f} ± {se[0]:.2f}     {diff[1].mean():+6.2f} ± {se[1]:.2f}      {per_day[0]:.2f}, {per_day[1]:.3f}")


if __name__ == "__main__":
    main()
