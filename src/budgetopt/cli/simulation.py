"""`budgetopt simulate` and `budgetopt sweep`: replay scenarios under every policy, and tune settings by simulation."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
from rich import box
from rich.table import Table
from rich.text import Text

from budgetopt import api
from budgetopt.cli.main import main
from budgetopt.cli.options import (
    at_least,
    console,
    existing_file,
    force_option,
    open_executor,
    output_folder,
    progress_bar,
    say,
    scheduler_option,
    workers_option,
    wrote,
)

DEFAULT_REPS = 10


@main.command("simulate")
@click.argument("scenario_path", metavar="SCENARIO.toml", type=existing_file)
@click.option("--days", type=int, default=None, help="Policy days after the warm-up (default: the scenario's [world] days).")
@click.option("--reps", type=int, default=DEFAULT_REPS, show_default=True, help="Replications (each policy faces the same draws in each).")
@click.option("--seed", type=int, default=None, help="Seed of the run (default: the scenario's [world] seed).")
@click.option("--policies", "policy_list", default=None, help="Comma-separated policies to compare (default: all; the oracle always runs).")
@click.option("--report", "report_dir", type=output_folder, default=None,
              help="Write metrics.csv, daily.csv, allocation.csv, figures and index.html into this folder.")
@force_option
@workers_option("replications")
@scheduler_option
def simulate_command(
    scenario_path: Path, days: int | None, reps: int, seed: int | None, policy_list: str | None, report_dir: Path | None, force: bool,
    workers: int, scheduler: str | None,
) -> None:
    """Replay SCENARIO.toml day by day under budgetopt and the baselines; compare their margins."""
    at_least("--reps", reps, 1)
    at_least("--days", days, 1)
    at_least("--seed", seed, 0)
    at_least("--workers", workers, 1)
    api.check_workers(workers)
    inputs = {"SCENARIO.toml": scenario_path}
    api.check_run_outputs({}, report=report_dir, inputs=inputs, force=force)
    scenario = api.load_scenario(scenario_path).with_overrides(days=days, seed=seed)
    policies = api.parse_policies(policy_list)
    api.check_simulation(scenario, reps=reps, policies=policies, workers=workers)  # memory, days and cores: before any work
    out = console()
    with (
        open_executor(workers, scheduler, reps) as executor,
        progress_bar(out, f"simulating {scenario.name}: {len(policies)} policies × {scenario.days} days", reps) as progress,
    ):
        simulation = api.simulate_scenario(scenario, reps=reps, policies=policies, executor=executor, progress=progress)
    written = api.write_simulation_report(simulation, report_dir, inputs=inputs, force=force) if report_dir is not None else []
    _print_simulation(out, scenario, simulation.result, simulation.metrics)
    wrote(out, written)


def _print_simulation(console, scenario, result, metrics) -> None:
    plural = "s" if result.reps > 1 else ""
    table = Table(title=f"{scenario.name}: {result.reps} replication{plural} × {scenario.days} days, margins in {result.currency}", box=box.SIMPLE_HEAD)
    bands = console.width >= 100  # the 90 % band of margins needs room; metrics.csv always has it
    headers = ["policy", "margin", *(["p05", "p95"] if bands else []), "of oracle", "regret", "wasted", "days to off", "killed", "days to follow"]
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i == 0 else "right", no_wrap=True)
    blank = lambda value, text: "" if np.isnan(value) else text
    for row in metrics.itertuples(index=False):
        band = [f"{row.margin_p05:,.0f}", f"{row.margin_p95:,.0f}"] if bands else []
        table.add_row(
            Text(row.policy),
            f"{row.margin_mean:,.0f}",
            *band,
            blank(row.share_of_oracle, f"{100 * row.share_of_oracle:.1f}%"),
            blank(row.regret, f"{row.regret:,.0f}"),
            f"{row.wasted_spend:,.0f}",
            blank(row.days_to_disable, f"{row.days_to_disable:.1f}"),
            f"{100 * row.winners_killed:.0f}%",
            blank(row.days_to_follow, f"{row.days_to_follow:.1f}"),
        )
    console.print(table)


@main.command("sweep")
@click.argument("grid_path", metavar="GRID.toml", type=existing_file)
@click.option(
    "--out", "out_dir", required=True, type=output_folder,
    help="Folder for sweep.csv, the figures, index.html and points/ (one file per finished point; a rerun skips them).",
)
@workers_option("the replications")
@scheduler_option
def sweep_command(grid_path: Path, out_dir: Path, workers: int, scheduler: str | None) -> None:
    """Simulate every grid point of GRID.toml (scenarios × policy settings) and rank the settings.

    Resumable: each finished point is kept in OUT/points/, and a rerun of the same command
    simulates only the points that are missing.
    """
    at_least("--workers", workers, 1)
    api.check_workers(workers)
    grid = api.load_sweep(grid_path)
    api.check_sweep(grid, workers=workers)  # memory, days and cores: before any work
    out = console()
    todo = api.sweep_todo(grid, out_dir)
    total = len(grid.points)
    tasks = todo * grid.reps
    try:
        with open_executor(workers if todo else 1, scheduler if todo else None, tasks) as executor:
            if todo:
                kept = f"{total - todo} of {total} points already in {out_dir / 'points'}; " if todo < total else ""
                say(out, f"{kept}simulating {todo} points × {grid.reps} replications {executor.description}")
            with progress_bar(out, f"sweep {grid_path.name}: {todo} points × {grid.reps} replications", tasks) as progress:
                result = api.sweep_grid(grid, out_dir, executor=executor, progress=progress)
    except KeyboardInterrupt:
        click.echo(
            f"budgetopt: interrupted; the finished points are kept in {out_dir / 'points'}: rerun the same command to resume",
            err=True,
        )
        raise click.exceptions.Exit(130) from None
    _print_best(out, result.table, grid.setting_names)
    say(
        out,
        f"wrote {out_dir / 'sweep.csv'} ({total} points: {result.computed} simulated, {result.reused} from earlier runs), "
        f"best_settings.png, settings.png and {out_dir / 'index.html'}",
    )


def _print_best(console, table, settings) -> None:
    best = api.best_points(table, top=5)
    for scenario, rows in best.groupby("scenario", sort=False):
        title = f"{scenario}: the best of {int((table['scenario'] == scenario).sum())} settings, margins in {rows['currency'].iloc[0]}"
        view = Table(title=Text(title), box=box.SIMPLE_HEAD, title_justify="left")
        for header in ("rank", "point"):
            view.add_column(header, justify="right", no_wrap=True)
        for name in settings:  # long key names wrap in the header; values never do
            view.add_column(Text(name.replace("_", " ")), justify="right", min_width=max(map(len, name.split("_"))))
        for header in ("margin", "vs best", "90 % of reps", "of oracle", "killed"):
            view.add_column(header, justify="right", no_wrap=True)
        for _, row in rows.iterrows():
            view.add_row(
                str(row["rank"]), f"#{row['point']}", *(Text(f"{row[name]:g}" if isinstance(row[name], float) else str(row[name])) for name in settings),
                f"{row['margin_mean']:,.0f}", f"{row['vs_best_mean']:+,.0f}" if row["vs_best_mean"] else "0",
                f"{row['vs_best_p05']:+,.0f} – {row['vs_best_p95']:+,.0f}" if row["rank"] != 1 else "",
                f"{100 * row['share_of_oracle']:.1f}%", f"{100 * row['winners_killed']:.0f}%",
            )
        console.print(view)
