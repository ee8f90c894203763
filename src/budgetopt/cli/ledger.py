"""`budgetopt ingest`, `enable` and `history`: the ledger that remembers observations and plans across days."""

from __future__ import annotations

import click

from budgetopt import api
from budgetopt.cli.main import main
from budgetopt.cli.options import (
    columns_option,
    console,
    existing_file,
    ledger_option,
    output_file,
    read_log,
    say,
    sum_duplicates_option,
    wait_option,
    wrote,
)
from budgetopt.cli.tables import changes_history_table, history_table
from budgetopt.errors import InputError


@main.command("ingest")
@click.argument("log_path", metavar="LOG", type=existing_file)
@ledger_option
@columns_option
@click.option(
    "--policy", "policy_path", type=existing_file, default=None,
    help='Check conversions as this policy\'s [estimate] exposure requires (default: conversions ≤ visits; give a policy with exposure = "impressions" for view-through exports).',
)
@sum_duplicates_option
@wait_option
def ingest_command(log_path, ledger_path, columns_path, policy_path, sum_duplicates, wait) -> None:
    """Store a performance LOG in the ledger, all or nothing; the same rows twice are stored once, and a
    corrected row replaces the stored one."""
    out = console()
    policy = api.load_policy(policy_path) if policy_path else api.as_policy({"budget": {"daily_total": 1.0}})  # only its [estimate] counts
    # a day's export may spend nothing (a paused weekend); a plan needs spend somewhere in the ledger's history
    log = read_log(out, log_path, policy, columns_path=columns_path, sum_duplicates=sum_duplicates, require_spend=False).log
    if out.is_terminal:
        from rich.progress import Progress

        with Progress(console=out, transient=True) as bar:
            task = bar.add_task(f"ingesting {log_path.name}", total=len(log))
            counts = api.ingest_log(
                ledger_path, log, source=str(log_path), wait=wait, progress=lambda done, total: bar.update(task, completed=done)
            )
    else:
        counts = api.ingest_log(ledger_path, log, source=str(log_path), wait=wait)
    first, last = f"{log['date'].min():%Y-%m-%d}", f"{log['date'].max():%Y-%m-%d}"
    days = first if first == last else f"{first} to {last}"
    say(out, f"{ledger_path}: ingested {log_path} ({days}), {counts.describe()}")


@main.command("enable")
@click.argument("cells", metavar="CAMPAIGN/SEGMENT/CREATIVE...", nargs=-1, required=True)
@ledger_option
@wait_option
def enable_command(cells, ledger_path, wait) -> None:
    """Re-enable creatives the decision engine disabled: the next plan judges them afresh."""
    result = api.enable_creatives(ledger_path, list(cells), wait=wait)
    out = console()
    for cell in result.enabled:
        say(out, f"re-enabled {cell}: the next plan judges it afresh (and disables it again if the evidence still says so)")
    for line in result.unchanged:
        say(out, f"left alone {line}")


@main.command("history")
@ledger_option
@click.option("--cell", default=None, metavar="CAMPAIGN/SEGMENT/CREATIVE", help="One cell instead of the whole account.")
@click.option("--out", type=output_file, help="Also write the table as CSV.")
def history_command(ledger_path, cell, out) -> None:
    """Stored plans against what happened: planned vs actual spend, expected vs actual gross margin."""
    inputs = {"--ledger": ledger_path}
    if out:
        api.check_outputs({"--out": out}, inputs)
    table = api.plan_history(ledger_path, cell)
    if out:
        api.write_table(out, table, money=api.HISTORY_MONEY, option="--out", inputs=inputs)
    out_console = console()
    if table.empty:
        say(out_console, f"{ledger_path} holds no plan yet; make one with budgetopt plan --ledger {ledger_path}")
    else:
        out_console.print(history_table(table, f"plans against what happened: {cell or 'whole account'}", show_status=cell is not None))
    changes, held = api.changes_history(ledger_path)
    if cell is None and ((changes["approved"] != "").any() or held):  # approval with memory, once someone used it
        out_console.print(changes_history_table(changes))
        for line in held:
            say(out_console, f"override held: {line}")
    wrote(out_console, [out] if out else [])


def _who(by: str | None) -> str:
    """Who is recorded: --by, else the login name."""
    import getpass

    if by is not None:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


by_option = click.option("--by", default=None, metavar="NAME", help="Who is recorded (default: your login name).")


@main.command("approve")
@click.argument("changes", metavar="[CAMPAIGN/SEGMENT | CAMPAIGN/SEGMENT/CREATIVE]...", nargs=-1)
@ledger_option
@click.option("--date", default=None, help="The plan whose changes are approved (default: the latest).")
@by_option
@wait_option
def approve_command(changes, ledger_path, date, by, wait) -> None:
    """Approve the latest plan's changes (all, or the ones named: a segment's budget, a creative's status); who and when are recorded."""
    day, approved, already = api.approve_changes(ledger_path, list(changes), by=_who(by), date=date, wait=wait)
    out = console()
    say(out, f"approved {len(approved)} change{'s' if len(approved) != 1 else ''} of the plan for {day}" + (f": {', '.join(approved)}" if approved else ""))
    if already:
        say(out, f"already approved: {', '.join(already)}")


@main.command("override")
@click.argument("target", metavar="CAMPAIGN/SEGMENT | CAMPAIGN/SEGMENT/CREATIVE")
@ledger_option
@click.option("--budget", type=float, default=None, help="Pin this segment's daily budget (currency) in every next plan.")
@click.option("--keep", is_flag=True, help="Keep this creative on in every next plan (the engine may not pause it).")
@click.option("--lift", is_flag=True, help="Lift the override held on it: the engine decides again.")
@by_option
@wait_option
def override_command(target, ledger_path, budget, keep, lift, by, wait) -> None:
    """Pin a human decision that the next plans respect as a constraint until lifted: a segment's budget or a creative kept on."""
    chosen = [name for name, given in (("--budget", budget is not None), ("--keep", keep), ("--lift", lift)) if given]
    if len(chosen) != 1:
        raise InputError(f"give exactly one of --budget X, --keep or --lift (got {', '.join(chosen) or 'none'})")
    if budget is not None and not (budget >= 0 and budget < 1e12):
        raise InputError(f"--budget must be a number of currency ≥ 0, got {budget:g}")
    if budget is not None and target.count("/") < 1:
        raise InputError(f"--budget applies to a segment, given as CAMPAIGN/SEGMENT, got {target!r}")
    say(console(), api.override_plan(ledger_path, target, by=_who(by), budget=budget, lift=lift, wait=wait))
