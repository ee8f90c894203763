"""What the commands share: their options, the console they print on, progress bars, the executor
--workers / --scheduler ask for, and the one line that says which files a command wrote."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from budgetopt import api
from budgetopt.api import DEFAULT_SEED, DEFAULT_WAIT
from budgetopt.errors import InputError

#: the width of a console that is not a terminal (a file or a pipe): whole lines and whole names,
#: never rich's 80-column default that folds a long campaign name mid-word
PIPE_WIDTH = 10_000

existing_file = click.Path(path_type=Path, dir_okay=False)
output_file = click.Path(path_type=Path, dir_okay=False)
output_folder = click.Path(path_type=Path, file_okay=False)

policy_option = click.option("--policy", "policy_path", type=existing_file, required=True, help="Budget policy TOML file.")
date_option = click.option("--date", default=None, help="Plan date yyyy-mm-dd (default: the day after the log's last); only earlier days are used.")
seed_option = click.option(
    "--seed", default=DEFAULT_SEED, show_default=True, type=int, help="Seed of the posterior draws, taken with the plan's date (the same inputs give the same results; each day draws afresh; ≥ 0)."
)
sum_duplicates_option = click.option("--sum-duplicates", is_flag=True, help="Add up rows of the same date and cell instead of rejecting them.")
report_option = click.option(
    "--report", "report_dir", type=output_folder, help="Write an HTML report (index.html, figures embedded, and the PNGs) into this folder."
)
columns_option = click.option(
    "--columns", "columns_path", type=existing_file, default=None, metavar="MAP.toml",
    help="How the log's headers map to budgetopt's columns ([columns] table: spend = \"Spent\", …), when it is not a known export.",
)
force_option = click.option(
    "--force", is_flag=True,
    help="Write the report into a folder that holds files budgetopt did not write (they are kept; without it, such a folder is refused).",
)
ledger_option = click.option(
    "--ledger", "ledger_path", type=existing_file, default=Path("budgetopt.db"), show_default=True, help="The ledger file (SQLite)."
)
def _seconds(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """nan is not a number of seconds (FloatRange lets it through: nan < 0 is false)."""
    if math.isnan(value):
        raise click.BadParameter("nan is not a number of seconds")
    return value


wait_option = click.option(
    "--wait", default=DEFAULT_WAIT, show_default=True, type=click.FloatRange(min=0), callback=_seconds,
    help="Seconds to wait while another budgetopt process writes to the same ledger, before giving up (exit 2).",
)
scheduler_option = click.option(
    "--scheduler", default=None, metavar="tcp://HOST:PORT",
    help="Run on the existing Dask cluster whose scheduler listens here (see the README); results are identical.",
)


def workers_option(what: str) -> Callable:
    return click.option(
        "--workers", type=int, default=1, show_default=True,
        help=f"Run {what} on a local Dask cluster of this many worker processes (without Dask: local processes; at most 4 per core); "
        "results are identical.",
    )


def at_least(option: str, value: int | None, minimum: int) -> None:
    """An option's number below its minimum is bad input (exit 2, one line), checked before any work."""
    if value is not None and value < minimum:
        word = "≥ 0" if minimum == 0 else f"at least {minimum}"
        raise InputError(f"{option} must be {word}, got {value}")


def console() -> Console:
    """rich's console on a terminal; on a file or pipe, one wide enough that no line or name is broken."""
    terminal = Console()
    return terminal if terminal.is_terminal else Console(width=PIPE_WIDTH)


def say(out: Console, text: str) -> None:
    """A line of plain text (names are never read as markup), wrapped only by the terminal."""
    out.print(Text(text), soft_wrap=True)


def read_log(
    out: Console, log_path: Path, policy: Any, *, columns_path: Path | None = None, sum_duplicates: bool = False, require_spend: bool = True
) -> Any:
    """The log as the policy reads it; says how an ad platform's export was read (its columns, currency, skipped rows)."""
    loaded = api.read_performance_log(log_path, policy, columns=columns_path, sum_duplicates=sum_duplicates, require_spend=require_spend)
    if loaded.layout != "budgetopt" or loaded.notes or loaded.skipped_rows:
        kind = {"meta": "a Meta Ads Manager export", "google-ads": "a Google Ads report", "mapped": "mapped by --columns"}.get(loaded.layout, "")
        skipped = [f"skipped {loaded.skipped_rows} total or summary rows"] if loaded.skipped_rows else []
        say(out, f"{log_path}: {'; '.join(([kind] if kind else []) + list(loaded.notes) + skipped)}")
    return loaded


def wrote(out: Console, paths: Sequence[Path | str]) -> None:
    """'wrote a, b and c': every command says which files it wrote, and where."""
    names = [str(p) for p in paths]
    if names:
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        say(out, f"wrote {listed}")


def open_executor(workers: int, scheduler: str | None, tasks: int) -> Any:
    """The executor --workers / --scheduler ask for (at most what the machine can use, a local cluster no
    larger than the tasks need); says on stderr when Dask is missing and it falls back."""
    executor = api.open_executor(workers, scheduler, tasks=tasks)
    if executor.note:
        click.echo(f"budgetopt: note: {executor.note}", err=True)
    return executor


@contextmanager
def progress_bar(out: Console, description: str, total: int) -> Iterator[Callable[[int], None] | None]:
    """A transient progress bar on a terminal, yielding its `progress(done)` callback; None elsewhere."""
    if not out.is_terminal or total == 0:
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
    with Progress(*columns, console=out, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda done: bar.update(task, completed=done)
