"""`budgetopt sweep GRID.toml --out DIR`, and the table `plan --accounts DIR` prints.

Only click is imported at module level, so that `budgetopt --help` stays fast; the simulator and
Dask are imported when a command runs (Dask only when --workers > 1 or --scheduler asks for it).
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


@click.command("sweep")
@click.argument("grid_path", metavar="GRID.toml", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out", "out_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
    help="Folder for sweep.csv, the figures, index.html and points/ (one file per finished point; a rerun skips them).",
)
@workers_option("the replications")
@scheduler_option
def sweep_command(grid_path: Path, out_dir: Path, workers: int, scheduler: str | None) -> None:
    """Simulate every grid point of GRID.toml (scenarios × policy settings) and rank the settings.

    Resumable: each finished point is kept in OUT/points/, and a rerun of the same command
    simulates only the points that are missing.
    """
    from budgetopt.scale.executors import SerialExecutor
    from budgetopt.scale.grid import load_grid
    from budgetopt.scale.sweep import read_point, run_sweep

    grid = load_grid(grid_path)
    console = wide_console()
    todo = sum(read_point(out_dir, point) is None for point in grid.points)
    total = len(grid.points)
    try:
        # a local cluster needs no more workers than there are replications to run
        tasks = todo * grid.reps
        with (open_executor(workers if scheduler else min(workers, tasks), scheduler) if todo else SerialExecutor()) as executor:
            if todo:
                kept = f"{total - todo} of {total} points already in {out_dir / 'points'}; " if todo < total else ""
                console.print(f"{kept}simulating {todo} points × {grid.reps} replications {executor.description}", highlight=False, soft_wrap=True)
            with progress_bar(console, f"sweep {grid_path.name}: {todo} points × {grid.reps} replications", tasks) as progress:
                result = run_sweep(grid, out_dir, executor, progress=progress)
    except KeyboardInterrupt:
        click.echo(
            f"budgetopt: interrupted; the finished points are kept in {out_dir / 'points'}: rerun the same command to resume",
            err=True,
        )
        raise click.exceptions.Exit(130) from None
    _print_best(console, result.table, grid.setting_names)
    console.print(
        f"wrote {out_dir / 'sweep.csv'} ({total} points: {result.computed} simulated, {result.reused} from earlier runs), "
        f"best_settings.png and {out_dir / 'index.html'}",
        highlight=False, soft_wrap=True,
    )


def _print_best(console, table, settings) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from budgetopt.scale.sweep import best_points

    best = best_points(table, top=5)
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


def accounts_summary(outcomes, title: str):
    """The table `plan --accounts` prints: each account's status, plan date, spend and expected margin."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(title), box=box.SIMPLE_HEAD, title_justify="left")
    for header in ("account", "status", "date", "spend", "expected margin", "90 % interval"):
        table.add_column(header, justify="left" if header in ("account", "status") else "right", no_wrap=header != "account", overflow="fold")
    for o in outcomes:
        s = o.summary
        if s is None:
            table.add_row(Text(o.account), Text(o.status, style="bold red"), "", "", "", "")
            continue
        cur = s["currency"]
        table.add_row(
            Text(o.account), Text(o.status), s["date"], f"{s['total_spend']:,.2f} {cur}", f"{s['expected_margin']:,.2f} {cur}",
            f"{s['margin_p05']:,.0f} – {s['margin_p95']:,.0f}",
        )
    return table
