"""The options every scaled command shares (--workers N, --scheduler ADDR), the executor they ask
for, and the terminal bits around it (a progress bar, a console wide enough for whole tables).

Only click is imported at module level, so that `budgetopt --help` stays fast; Dask is imported
only when a command runs with --workers > 1 or --scheduler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click


def workers_option(what: str) -> Callable:
    return click.option(
        "--workers", type=int, default=1, show_default=True,
        help=f"Run {what} on a local Dask cluster of this many worker processes (without Dask: local processes); results are identical.",
    )


scheduler_option = click.option(
    "--scheduler", default=None, metavar="tcp://HOST:PORT",
    help="Run on the existing Dask cluster whose scheduler listens here (see the README); results are identical.",
)


def open_executor(workers: int, scheduler: str | None):
    """The executor --workers / --scheduler ask for; says on stderr when Dask is missing and it falls back."""
    from budgetopt.scale.executors import open_executor as _open

    executor = _open(workers, scheduler)
    if executor.note:
        click.echo(f"budgetopt: note: {executor.note}", err=True)
    return executor


@contextmanager
def progress_bar(console: Any, description: str, total: int) -> Iterator[Callable[[int], None] | None]:
    """A transient progress bar on a terminal, yielding its `progress(done)` callback; None elsewhere."""
    if not console.is_terminal or total == 0:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda done: bar.update(task, completed=done)


def wide_console():
    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # a file or pipe gets whole tables, not rich's 80-column default
        console = Console(width=max(console.width, 112))
    return console
