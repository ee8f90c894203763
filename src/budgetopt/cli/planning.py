"""`budgetopt plan`, `decide` and `demo`: tomorrow's budgets and the A/B verdicts, from a log and a policy."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from budgetopt import api
from budgetopt.cli.main import fail, main
from budgetopt.cli.options import (
    DEFAULT_SEED,
    at_least,
    columns_option,
    console,
    date_option,
    existing_file,
    force_option,
    open_executor,
    output_file,
    output_folder,
    policy_option,
    progress_bar,
    read_log,
    report_option,
    say,
    scheduler_option,
    seed_option,
    sum_duplicates_option,
    wait_option,
    workers_option,
    wrote,
)
from budgetopt.cli.tables import changes_table, print_decisions, print_plan
from budgetopt.errors import InputError


def _load(log_path: Path, policy_path: Path, sum_duplicates: bool, columns_path: Path | None, out: Console):
    policy = api.load_policy(policy_path)
    return read_log(out, log_path, policy, columns_path=columns_path, sum_duplicates=sum_duplicates), policy


def _outputs(out, summary_path, decisions_path, report_dir, export_lp, inputs: dict, force: bool, changes_dir=None) -> dict:
    """The plan's outputs and the inputs they must never overwrite, as api.write_plan_outputs takes them."""
    named = {"out": out, "summary": summary_path, "decisions": decisions_path, "report": report_dir, "export_lp": export_lp}
    return named | {"changes_dir": changes_dir, "inputs": inputs, "force": force}


def _run_plan(log_path, policy_path, columns_path, date, seed, sum_duplicates, out: Console, outputs: dict) -> list[Path]:
    api.check_plan_outputs(**outputs)  # before any work: a bad output path costs nothing
    log, policy = _load(log_path, policy_path, sum_duplicates, columns_path, out)
    result = api.make_plan(log, policy, date=api.as_date(date, "--date"), rng=seed)
    changes = api.make_changes(result, policy, log=log) if outputs.get("changes_dir") else None
    # everything is computed before anything is written: bad input leaves no file behind
    written = api.write_plan_outputs(result, policy, changes=changes, **outputs)
    print_plan(out, result.plan, result.summary)
    if changes is not None:
        out.print(changes_table(changes))
    return written


def _run_ledger_plan(log_path, policy_path, columns_path, ledger_path, date, seed, sum_duplicates, replace, wait, outputs: dict) -> None:
    """`plan --ledger`: ingest LOG (if any), plan from the whole history, write the files, store the plan — the
    ledger changes only if all of it succeeds (one transaction, committed after the files are written)."""
    api.check_plan_outputs(**outputs)
    out = console()
    if log_path is not None:
        log, policy = _load(log_path, policy_path, sum_duplicates, columns_path, out)
    else:
        log, policy = None, api.load_policy(policy_path)
    written: list[Path] = []
    made: list = []

    def write(daily) -> None:
        changes = api.make_changes(daily.result, policy, log=log, disabled_before=daily.disabled_before) if outputs.get("changes_dir") else None
        made.append(changes)
        written.extend(api.write_plan_outputs(daily.result, policy, changes=changes, **outputs))

    daily = api.plan_with_ledger(
        ledger_path, policy, log=log, log_source=str(log_path), date=api.as_date(date, "--date"), replace=replace, seed=seed,
        wait=wait, before_commit=write,
    )
    if daily.ingested is not None:
        say(out, f"{ledger_path}: ingested {log_path}, {daily.ingested.describe()}")
    print_plan(out, daily.result.plan, daily.result.summary)
    if made and made[0] is not None:
        out.print(changes_table(made[0]))
    carried = f"budgets from the plan for {daily.previous_plan}" if daily.previous_plan else "no earlier plan"
    if daily.kept_disabled:
        carried += f"; kept disabled from earlier days: {', '.join(daily.kept_disabled)}, until you run budgetopt enable"
    say(out, f"{'replaced' if daily.replaced else 'stored'} the plan for {daily.result.summary['date']} in {ledger_path} ({carried})")
    wrote(out, written)


@main.command()
@click.argument("log_path", metavar="[LOG]", type=existing_file, required=False)
@click.option("--policy", "policy_path", type=existing_file, default=None, help="Budget policy TOML file (required, except with --accounts).")
@columns_option
@date_option
@click.option("--out", type=output_file, help="Write the plan CSV here.")
@click.option("--summary", "summary_path", type=output_file, help="Write the summary JSON here.")
@click.option("--decisions", "decisions_path", type=output_file, help="Write the decisions CSV here.")
@seed_option
@sum_duplicates_option
@report_option
@force_option
@click.option(
    "--ledger", "ledger_path", type=existing_file, default=None,
    help="Plan from this ledger's whole history (LOG, if given, is ingested first) and store the plan in it.",
)
@click.option("--replace", is_flag=True, help="With --ledger: replace the plan already stored for the same date.")
@click.option(
    "--changes", "changes_dir", type=output_folder, default=None, metavar="DIR",
    help="Write what the plan changes in the account into DIR: changes.csv, meta-bulk.csv (Meta Ads Manager) and "
    "google-ads-editor.csv (Google Ads Editor); the changes are printed too.",
)
@wait_option
@click.option(
    "--export-lp", type=output_file, default=None,
    help="Write the allocation model as solved (.lp or .mps, by the extension), to inspect or solve elsewhere.",
)
@click.option(
    "--accounts", "accounts_dir", type=output_folder, default=None,
    help="Plan every account of this folder: one sub-folder per account holding log.csv (or log.parquet) and policy.toml; "
    "plan.csv and summary.json go into each (--policy: for accounts without policy.toml).",
)
@workers_option("the accounts")
@scheduler_option
def plan(
    log_path, policy_path, columns_path, date, out, summary_path, decisions_path, seed, sum_duplicates, report_dir, force, ledger_path, replace,
    changes_dir, wait, export_lp, accounts_dir, workers, scheduler,
) -> None:
    """Tomorrow's budget per segment and creative, from a performance LOG (CSV or Parquet).

    With --ledger DB the plan uses the ledger's whole history, keeps creatives disabled on earlier
    days disabled, measures max_daily_change from the stored previous plan, and is stored in the
    ledger; LOG is then optional. With --accounts DIR, every account of DIR is planned (in parallel
    with --workers N or --scheduler ADDR).
    """
    at_least("--seed", seed, 0)
    at_least("--workers", workers, 1)
    if accounts_dir is not None:
        others = {"LOG": log_path, "--ledger": ledger_path, "--out": out, "--summary": summary_path, "--decisions": decisions_path,
                  "--report": report_dir, "--export-lp": export_lp, "--replace": replace or None, "--changes": changes_dir}
        given = [name for name, value in others.items() if value is not None]
        if given:
            raise InputError(f"--accounts plans each account from its own folder and writes its files there; drop {', '.join(given)}")
        api.check_workers(workers)  # at most what the machine can use, before any account is read
        _run_accounts(accounts_dir, policy_path, date, seed, sum_duplicates, workers, scheduler)
        return
    if workers != 1 or scheduler is not None:
        raise InputError("--workers and --scheduler apply to plan --accounts DIR (one plan is not split across workers)")
    if policy_path is None:
        raise click.MissingParameter(ctx=click.get_current_context(), param=next(p for p in plan.params if p.name == "policy_path"))
    inputs = {"LOG": log_path, "--policy": policy_path, "--columns": columns_path, "--ledger": ledger_path}
    outputs = _outputs(out, summary_path, decisions_path, report_dir, export_lp, inputs, force, changes_dir)
    if ledger_path is not None:
        _run_ledger_plan(log_path, policy_path, columns_path, ledger_path, date, seed, sum_duplicates, replace, wait, outputs)
        return
    if log_path is None:
        raise InputError("give a performance LOG, or --ledger DB to plan from a ledger's history")
    if replace:
        raise InputError("--replace applies to a plan stored in a ledger; add --ledger DB")
    out_console = console()
    wrote(out_console, _run_plan(log_path, policy_path, columns_path, date, seed, sum_duplicates, out_console, outputs))


def _run_accounts(accounts_dir, policy_path, date, seed, sum_duplicates, workers, scheduler) -> None:
    """`plan --accounts DIR`: every account planned, a table of them all; exit 2 if any had bad input, 1 on an internal error."""
    from budgetopt.cli.tables import accounts_summary

    day = api.as_date(date, "--date")
    accounts = api.find_accounts(accounts_dir)
    out = console()
    with (
        open_executor(workers, scheduler, len(accounts)) as executor,
        progress_bar(out, f"planning {len(accounts)} accounts", len(accounts)) as progress,
    ):
        outcomes = api.plan_accounts(
            accounts_dir, default_policy=policy_path, date=day, seed=seed, sum_duplicates=sum_duplicates, executor=executor, progress=progress,
        )
    out.print(accounts_summary(outcomes, f"{len(accounts)} accounts in {accounts_dir}"))
    for outcome in outcomes:
        if outcome.message:
            say(out, f"{outcome.account}: {outcome.status}: {outcome.message}")
    planned = [o for o in outcomes if not o.message]
    say(out, f"wrote plan.csv and summary.json for {len(planned)} of {len(outcomes)} accounts, and {accounts_dir / api.ACCOUNTS_TABLE}")
    internal = [o for o in outcomes if o.status == api.AccountStatus.INTERNAL_ERROR]
    bad = [o for o in outcomes if o.status == api.AccountStatus.BAD_INPUT]
    if internal:
        if os.environ.get("BUDGETOPT_DEBUG"):
            for outcome in internal:
                click.echo(f"--- {outcome.account}\n{outcome.traceback}", err=True)
        fail(
            f"internal error in {len(internal)} of {len(outcomes)} accounts ({', '.join(o.account for o in internal)}); "
            "rerun with BUDGETOPT_DEBUG=1 and report it", 1,
        )
    if bad:
        raise InputError(
            f"{len(bad)} of {len(outcomes)} accounts had bad input ({', '.join(o.account for o in bad)}); the others were planned and written"
        )


@main.command("decide")
@click.argument("log_path", metavar="LOG", type=existing_file)
@policy_option
@columns_option
@date_option
@click.option("--out", type=output_file, help="Write the decisions CSV here.")
@seed_option
@sum_duplicates_option
@report_option
@force_option
def decide_command(log_path, policy_path, columns_path, date, out, seed, sum_duplicates, report_dir, force) -> None:
    """The A/B verdicts alone: chance to be best, expected loss and verdict per creative."""
    at_least("--seed", seed, 0)
    inputs = {"LOG": log_path, "--policy": policy_path, "--columns": columns_path}
    api.check_run_outputs({"--out": out}, report=report_dir, inputs=inputs, force=force)
    out_console = console()
    log, policy = _load(log_path, policy_path, sum_duplicates, columns_path, out_console)
    result = api.make_decisions(log, policy, date=api.as_date(date, "--date"), rng=seed)
    written = api.write_decisions_outputs(result, policy, out=out, report=report_dir, inputs=inputs, force=force)
    print_decisions(out_console, result.decisions, policy.decide.metric)
    if noisy := api.noisy_days_in_words(result.estimates.history.daily_rate_spread):  # under the verdicts it slows
        out_console.print(Text(noisy), soft_wrap=True)
    wrote(out_console, written)


@main.command()
@click.option("--out", "out_dir", type=output_folder, default=Path("budgetopt-demo"), show_default=True, help="Folder for the demo's files.")
@click.option("--report", "report_dir", type=output_folder, default=None, help="Folder for the HTML report  [default: OUT/report]")
def demo(out_dir: Path, report_dir: Path | None) -> None:
    """The main job on the bundled demo account: plan tomorrow's budget and say where the files are."""
    out = console()
    report_dir = report_dir or out_dir / "report"
    out_dir.mkdir(parents=True, exist_ok=True)
    log_path, policy_path = out_dir / "demo_log.csv", out_dir / "demo_policy.toml"
    shutil.copyfile(api.demo_path("demo_log.csv"), log_path)
    shutil.copyfile(api.demo_path("demo_policy.toml"), policy_path)
    say(out, f"demo account: 4 weeks, 3 campaigns, 8 segments, 21 creatives → {log_path}")
    # the demo's own folder: an earlier demo's report there (even one older than the report manifests) is replaced
    inputs = {"demo log": log_path, "demo policy": policy_path}
    outputs = _outputs(out_dir / "plan.csv", out_dir / "summary.json", out_dir / "decisions.csv", report_dir, None, inputs, True)
    _run_plan(log_path, policy_path, None, None, DEFAULT_SEED, False, out, outputs)
    say(
        out,
        f"wrote {out_dir / 'plan.csv'}, {out_dir / 'decisions.csv'} and {out_dir / 'summary.json'}; "
        f"try: budgetopt plan {log_path} --policy {policy_path}",
    )
    say(out, f"report: open {report_dir / 'index.html'} in a browser")
