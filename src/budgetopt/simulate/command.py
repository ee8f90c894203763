"""`budgetopt simulate SCENARIO.toml`: replay a scenario under every policy and compare them.

Only click is imported at module level so that `budgetopt --help` stays fast; the simulator (and
Dask, for --workers N or --scheduler ADDR) is imported when the command runs. Errors
(`BudgetoptError`) become exit 2 and one line through the `budgetopt` group.
"""

from __future__ import annotations

from pathlib import Path

import click

from budgetopt.scale.options import (
    open_executor,
    progress_bar,
    scheduler_option,
    wide_console,
    workers_option,
)

DEFAULT_REPS = 10


@click.command("simulate")
@click.argument("scenario_path", metavar="SCENARIO.toml", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--days", type=int, default=None, help="Policy days after the warm-up (default: the scenario's [world] days).")
@click.option("--reps", type=int, default=DEFAULT_REPS, show_default=True, help="Replications (each policy faces the same draws in each).")
@click.option("--seed", type=int, default=None, help="Seed of the run (default: the scenario's [world] seed).")
@click.option("--policies", "policy_list", default=None, help="Comma-separated policies to compare (default: all; the oracle always runs).")
@click.option("--report", "report_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Write metrics.csv, daily.csv, allocation.csv, figures and index.html into this folder.")
@workers_option("replications")
@scheduler_option
def simulate_command(
    scenario_path: Path, days: int | None, reps: int, seed: int | None, policy_list: str | None, report_dir: Path | None, workers: int, scheduler: str | None
) -> None:
    """Replay SCENARIO.toml day by day under budgetopt and the baselines; compare their margins."""
    from budgetopt.errors import InputError
    from budgetopt.simulate.metrics import allocation_table, daily_table, policy_metrics
    from budgetopt.simulate.policies import parse_policies
    from budgetopt.simulate.scenario import load_scenario

    if reps < 1:
        raise InputError(f"--reps must be at least 1, got {reps}")
    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    scenario = load_scenario(scenario_path).with_overrides(days=days, seed=seed)
    policies = parse_policies(policy_list)
    console = wide_console()
    # a local cluster needs no more workers than there are replications
    with open_executor(workers if scheduler else min(workers, reps), scheduler) as executor:
        result = _run(scenario, reps, policies, executor, console)
    metrics = policy_metrics(result)
    if report_dir is not None:
        _write_report(report_dir, scenario, result, metrics, daily_table(result), allocation_table(result))
    _print(console, scenario, result, metrics, report_dir)


def _run(scenario, reps, policies, executor, console):
    from budgetopt.simulate.runner import simulate

    description = f"simulating {scenario.name}: {len(policies)} policies × {scenario.days} days"
    with progress_bar(console, description, reps) as progress:
        return simulate(scenario, reps=reps, policies=policies, executor=executor, progress=progress)


def _notes(scenario, result) -> list[str]:
    setting = (
        f"Scenario {scenario.name} ({scenario.source}): {scenario.world.n_cells} creatives in {scenario.world.n_segments} segments, "
        f"{scenario.warmup_days} warm-up days (even split, shared by every policy) then {scenario.days} policy days; "
        f"{result.reps} replications, seed {result.seed}. Every policy faces the same draws in a replication."
    )
    reading = (
        "Margins are the true expected gross margin of what each policy spent over the policy days "
        f"({result.currency}); share_of_oracle and regret compare with the oracle, which knows every true rate. "
        "wasted_spend: spend on creatives that were not their segment's true best that day. days_to_disable: mean days "
        "until a truly losing creative was switched off (one never switched off counts the whole run). winners_killed: "
        "share of replications in which a segment's strictly best creative was switched off."
    )
    return [setting, reading]


def _write_report(directory: Path, scenario, result, metrics, daily, allocation) -> None:
    from budgetopt.report.files import write_csv
    from budgetopt.report.html import write_report
    from budgetopt.report.simulation import simulation_sections

    sections = simulation_sections(
        f"Would the engine have beaten what you do today? ({scenario.name})",
        metrics.round(4).astype(object).where(metrics.notna(), ""),
        daily,
        allocation,
        result.currency,
        _notes(scenario, result),
    )
    directory.mkdir(parents=True, exist_ok=True)
    write_csv(directory / "metrics.csv", metrics)
    write_csv(directory / "daily.csv", daily)
    write_csv(directory / "allocation.csv", allocation)
    write_report(directory, f"budgetopt simulate — {scenario.name}", sections)


def _print(console, scenario, result, metrics, report_dir: Path | None) -> None:
    import numpy as np
    from rich import box
    from rich.table import Table

    plural = "s" if result.reps > 1 else ""
    table = Table(title=f"{scenario.name}: {result.reps} replication{plural} × {scenario.days} days, margins in {result.currency}", box=box.SIMPLE_HEAD)
    bands = console.width >= 100  # the 90 % band of margins needs room; metrics.csv always has it
    headers = ["policy", "margin", *(["p05", "p95"] if bands else []), "of oracle", "regret", "wasted", "days to off", "killed"]
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i == 0 else "right", no_wrap=True)
    blank = lambda value, text: "" if np.isnan(value) else text
    for row in metrics.itertuples(index=False):
        band = [f"{row.margin_p05:,.0f}", f"{row.margin_p95:,.0f}"] if bands else []
        table.add_row(
            row.policy,
            f"{row.margin_mean:,.0f}",
            *band,
            blank(row.share_of_oracle, f"{100 * row.share_of_oracle:.1f}%"),
            blank(row.regret, f"{row.regret:,.0f}"),
            f"{row.wasted_spend:,.0f}",
            blank(row.days_to_disable, f"{row.days_to_disable:.1f}"),
            f"{100 * row.winners_killed:.0f}%",
        )
    console.print(table)
    if report_dir is not None:
        console.print(f"wrote {report_dir / 'metrics.csv'}, daily.csv, allocation.csv and {report_dir / 'index.html'}")
