"""The `budgetopt` command. Exit 0 on success, 2 on bad input or an infeasible policy (one line
on stderr, nothing written), 1 on an internal error."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click
import numpy as np
import pandas as pd
from rich.console import Console
from rich.text import Text

from budgetopt.errors import BudgetoptError, InputError
from budgetopt.ledger.store import DEFAULT_WAIT
from budgetopt.scale.options import scheduler_option, workers_option

DEFAULT_SEED = 7


def _fail(message: str, code: int) -> None:
    click.echo(f"budgetopt: error: {message}", err=True)
    sys.exit(code)


def _date(value: str | None) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(pd.to_datetime(value, format="%Y-%m-%d"))
    except ValueError:
        raise InputError(f"--date {value!r} is not an ISO date yyyy-mm-dd") from None


def _load(log_path: Path, policy_path: Path, sum_duplicates: bool):
    from budgetopt.config import load_policy
    from budgetopt.data import load_log

    policy = load_policy(policy_path)
    log = load_log(log_path, exposure=policy.estimate.exposure, sum_duplicates=sum_duplicates)
    return log, policy


def _write_plan_outputs(result, policy, out=None, summary_path=None, decisions_path=None, report_dir=None, export_lp=None) -> None:
    """Every file a plan can write; called only once the plan has succeeded."""
    from budgetopt.report.files import write_csv, write_json

    if out:
        write_csv(out, result.plan)
    if summary_path:
        write_json(summary_path, result.summary)
    if decisions_path:
        write_csv(decisions_path, result.decisions)
    if export_lp:
        from budgetopt.allocate.solve import export_model

        export_model(result.problem, export_lp)
    if report_dir:
        from budgetopt.report.plan_report import write_plan_report

        write_plan_report(result, policy, report_dir)


def _run_plan(log_path, policy_path, date, out, summary_path, seed, sum_duplicates, console, decisions_path=None, report_dir=None, export_lp=None):
    from budgetopt.plan import make_plan
    from budgetopt.report.tables import print_plan

    log, policy = _load(log_path, policy_path, sum_duplicates)
    result = make_plan(log, policy, date=_date(date), rng=np.random.default_rng(seed))
    # everything is computed before anything is written: bad input leaves no file behind
    _write_plan_outputs(result, policy, out, summary_path, decisions_path, report_dir, export_lp)
    print_plan(console, result.plan, result.summary)
    return result


class _Group(click.Group):
    """Maps budgetopt's errors to exit 2 and one line; anything else is a bug (exit 1)."""

    def main(self, *args, **kwargs):
        """click's own objections to a command line (a missing option, an unknown command, a value
        of the wrong type) get the same one line as every other bad input, and say where help is."""
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.UsageError as error:
            if isinstance(error, getattr(click.exceptions, "NoArgsIsHelpError", ())):  # bare `budgetopt`: the help
                error.show()
                sys.exit(error.exit_code)
            where = error.ctx.command_path if error.ctx else "budgetopt"
            _fail(f"{error.format_message()} (see '{where} --help')", error.exit_code)
        except click.ClickException as error:
            _fail(error.format_message(), error.exit_code)
        except click.Abort:
            _fail("aborted; nothing was written", 1)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BudgetoptError as error:
            _fail(str(error), 2)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            _fail("interrupted; nothing was written", 130)
        except Exception as error:
            if os.environ.get("BUDGETOPT_DEBUG"):
                raise
            _fail(f"internal error ({type(error).__name__}: {error}); rerun with BUDGETOPT_DEBUG=1 and report it", 1)


@click.group(name="budgetopt", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="budgetopt")
def main() -> None:
    """Budget optimisation and A/B decisions for paid acquisition."""


_existing = click.Path(path_type=Path, dir_okay=False)
_policy_option = click.option("--policy", "policy_path", type=_existing, required=True, help="Budget policy TOML file.")
_date_option = click.option("--date", default=None, help="Plan date yyyy-mm-dd (default: the day after the log's last); only earlier days are used.")
_seed_option = click.option("--seed", default=DEFAULT_SEED, show_default=True, type=int, help="Seed of the posterior draws (results are reproducible).")
_dup_option = click.option("--sum-duplicates", is_flag=True, help="Add up rows of the same date and cell instead of rejecting them.")
_report_option = click.option(
    "--report", "report_dir", type=click.Path(path_type=Path, file_okay=False),
    help="Write an HTML report (index.html, figures embedded, and the PNGs) into this folder.",
)


_ledger_file = click.Path(path_type=Path, dir_okay=False)
_ledger_option = click.option("--ledger", "ledger_path", type=_ledger_file, default=Path("budgetopt.db"), show_default=True, help="The ledger file (SQLite).")
_wait_option = click.option(
    "--wait", default=DEFAULT_WAIT, show_default=True, type=click.FloatRange(min=0),
    help="Seconds to wait while another budgetopt process writes to the same ledger, before giving up (exit 2).",
)


def _run_ledger_plan(log_path, policy_path, ledger_path, date, outputs, seed, sum_duplicates, replace, wait, console):
    """`plan --ledger`: ingest LOG (if any), plan from the whole history, write the files, store the plan — the
    ledger changes only if all of it succeeds (one transaction, committed after the files are written)."""
    from budgetopt.config import load_policy
    from budgetopt.ledger import ingest as ingest_log
    from budgetopt.ledger import open_ledger, plan_from_ledger
    from budgetopt.report.tables import print_plan

    if log_path is not None:
        log, policy = _load(log_path, policy_path, sum_duplicates)
    else:
        log, policy = None, load_policy(policy_path)
    day = _date(date)
    with open_ledger(ledger_path, create=log is not None, wait=wait) as ledger, ledger.transaction():
        counts = None if log is None else ingest_log(ledger, log, source=str(log_path))
        daily = plan_from_ledger(ledger, policy, date=day, replace=replace, rng=np.random.default_rng(seed), seed=seed)
        result = daily.result
        _write_plan_outputs(result, policy, *outputs)
    if counts is not None:
        console.print(Text(f"{ledger_path}: ingested {log_path}, {counts.describe()}"))
    print_plan(console, result.plan, result.summary)
    carried = f"budgets from the plan for {daily.previous_plan}" if daily.previous_plan else "no earlier plan"
    if daily.kept_disabled:
        carried += f"; kept disabled from earlier days: {', '.join(daily.kept_disabled)}, until you run budgetopt enable"
    console.print(Text(f"{'replaced' if daily.replaced else 'stored'} the plan for {result.summary['date']} in {ledger_path} ({carried})"))


@main.command()
@click.argument("log_path", metavar="[LOG]", type=_existing, required=False)
@click.option("--policy", "policy_path", type=_existing, default=None, help="Budget policy TOML file (required, except with --accounts).")
@_date_option
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write the plan CSV here.")
@click.option("--summary", "summary_path", type=click.Path(path_type=Path, dir_okay=False), help="Write the summary JSON here.")
@click.option("--decisions", "decisions_path", type=click.Path(path_type=Path, dir_okay=False), help="Write the decisions CSV here.")
@_seed_option
@_dup_option
@_report_option
@click.option(
    "--ledger", "ledger_path", type=_ledger_file, default=None,
    help="Plan from this ledger's whole history (LOG, if given, is ingested first) and store the plan in it.",
)
@click.option("--replace", is_flag=True, help="With --ledger: replace the plan already stored for the same date.")
@_wait_option
@click.option(
    "--export-lp", type=click.Path(path_type=Path, dir_okay=False), default=None,
    help="Write the allocation model as solved (.lp or .mps, by the extension), to inspect or solve elsewhere.",
)
@click.option(
    "--accounts", "accounts_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
    help="Plan every account of this folder: one sub-folder per account holding log.csv (or log.parquet) and policy.toml; "
    "plan.csv and summary.json go into each (--policy: for accounts without policy.toml).",
)
@workers_option("the accounts")
@scheduler_option
def plan(
    log_path, policy_path, date, out, summary_path, decisions_path, seed, sum_duplicates, report_dir, ledger_path, replace, wait, export_lp,
    accounts_dir, workers, scheduler,
) -> None:
    """Tomorrow's budget per segment and creative, from a performance LOG (CSV or Parquet).

    With --ledger DB the plan uses the ledger's whole history, keeps creatives disabled on earlier
    days disabled, measures max_daily_change from the stored previous plan, and is stored in the
    ledger; LOG is then optional. With --accounts DIR, every account of DIR is planned (in parallel
    with --workers N or --scheduler ADDR).
    """
    if accounts_dir is not None:
        others = {"LOG": log_path, "--ledger": ledger_path, "--out": out, "--summary": summary_path, "--decisions": decisions_path,
                  "--report": report_dir, "--export-lp": export_lp, "--replace": replace or None}
        given = [name for name, value in others.items() if value is not None]
        if given:
            raise InputError(f"--accounts plans each account from its own folder and writes its files there; drop {', '.join(given)}")
        _run_accounts(accounts_dir, policy_path, date, seed, sum_duplicates, workers, scheduler)
        return
    if workers != 1 or scheduler is not None:
        raise InputError("--workers and --scheduler apply to plan --accounts DIR (one plan is not split across workers)")
    if policy_path is None:
        raise click.MissingParameter(ctx=click.get_current_context(), param=next(p for p in plan.params if p.name == "policy_path"))
    if ledger_path is not None:
        outputs = (out, summary_path, decisions_path, report_dir, export_lp)
        _run_ledger_plan(log_path, policy_path, ledger_path, date, outputs, seed, sum_duplicates, replace, wait, Console())
        return
    if log_path is None:
        raise InputError("give a performance LOG, or --ledger DB to plan from a ledger's history")
    if replace:
        raise InputError("--replace applies to a plan stored in a ledger; add --ledger DB")
    _run_plan(
        log_path, policy_path, date, out, summary_path, seed, sum_duplicates, Console(),
        decisions_path=decisions_path, report_dir=report_dir, export_lp=export_lp,
    )


def _run_accounts(accounts_dir, policy_path, date, seed, sum_duplicates, workers, scheduler) -> None:
    """`plan --accounts DIR`: every account planned, a table of them all; exit 2 if any had bad input, 1 on an internal error."""
    from budgetopt.scale import accounts as scale_accounts
    from budgetopt.scale.command import accounts_summary
    from budgetopt.scale.options import open_executor, progress_bar, wide_console

    day = _date(date)
    accounts = scale_accounts.find_accounts(accounts_dir)
    console = wide_console()
    with (
        open_executor(workers if scheduler else min(workers, len(accounts)), scheduler) as executor,
        progress_bar(console, f"planning {len(accounts)} accounts", len(accounts)) as progress,
    ):
        outcomes = scale_accounts.plan_accounts(
            accounts_dir, executor, default_policy=policy_path, date=day, seed=seed, sum_duplicates=sum_duplicates, progress=progress,
        )
    console.print(accounts_summary(outcomes, f"{len(accounts)} accounts in {accounts_dir}"))
    for outcome in outcomes:
        if outcome.message:
            console.print(Text(f"{outcome.account}: {outcome.status}: {outcome.message}"), soft_wrap=True)
    planned = [o for o in outcomes if not o.message]
    written = f"wrote plan.csv and summary.json for {len(planned)} of {len(outcomes)} accounts, and {accounts_dir / scale_accounts.SUMMARY_TABLE}"
    console.print(Text(written), soft_wrap=True)
    internal = [o for o in outcomes if o.status == scale_accounts.INTERNAL_ERROR]
    bad = [o for o in outcomes if o.status == scale_accounts.BAD_INPUT]
    if internal:
        if os.environ.get("BUDGETOPT_DEBUG"):
            for outcome in internal:
                click.echo(f"--- {outcome.account}\n{outcome.traceback}", err=True)
        _fail(
            f"internal error in {len(internal)} of {len(outcomes)} accounts ({', '.join(o.account for o in internal)}); "
            "rerun with BUDGETOPT_DEBUG=1 and report it", 1,
        )
    if bad:
        raise InputError(
            f"{len(bad)} of {len(outcomes)} accounts had bad input ({', '.join(o.account for o in bad)}); the others were planned and written"
        )


@main.command("ingest")
@click.argument("log_path", metavar="LOG", type=_existing)
@_ledger_option
@click.option(
    "--policy", "policy_path", type=_existing, default=None,
    help='Check conversions as this policy\'s [estimate] exposure requires (default: conversions ≤ visits; give a policy with exposure = "impressions" for view-through exports).',
)
@_dup_option
@_wait_option
def ingest_command(log_path, ledger_path, policy_path, sum_duplicates, wait) -> None:
    """Store a performance LOG in the ledger, all or nothing; the same rows twice are stored once, and a
    corrected row replaces the stored one."""
    from budgetopt.config import load_policy
    from budgetopt.data import load_log
    from budgetopt.ledger import ingest, open_ledger

    exposure = load_policy(policy_path).estimate.exposure if policy_path else "visits"
    log = load_log(log_path, exposure=exposure, sum_duplicates=sum_duplicates)
    console = Console()
    with open_ledger(ledger_path, create=True, wait=wait) as ledger:
        if console.is_terminal:
            from rich.progress import Progress

            with Progress(console=console, transient=True) as bar:
                task = bar.add_task(f"ingesting {log_path.name}", total=len(log))
                counts = ingest(ledger, log, source=str(log_path), progress=lambda done, total: bar.update(task, completed=done))
        else:
            counts = ingest(ledger, log, source=str(log_path))
    first, last = f"{log['date'].min():%Y-%m-%d}", f"{log['date'].max():%Y-%m-%d}"
    days = first if first == last else f"{first} to {last}"
    console.print(Text(f"{ledger_path}: ingested {log_path} ({days}), {counts.describe()}"))


@main.command("enable")
@click.argument("cells", metavar="CAMPAIGN/SEGMENT/CREATIVE...", nargs=-1, required=True)
@_ledger_option
@_wait_option
def enable_command(cells, ledger_path, wait) -> None:
    """Re-enable creatives the decision engine disabled: the next plan judges them afresh."""
    from budgetopt.ledger import enable, open_ledger

    with open_ledger(ledger_path, wait=wait) as ledger:
        result = enable(ledger, list(cells))
    console = Console()
    for cell in result.enabled:
        console.print(Text(f"re-enabled {cell}: the next plan judges it afresh (and disables it again if the evidence still says so)"))
    for line in result.unchanged:
        console.print(Text(f"left alone {line}"))


@main.command("history")
@_ledger_option
@click.option("--cell", default=None, metavar="CAMPAIGN/SEGMENT/CREATIVE", help="One cell instead of the whole account.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Also write the table as CSV.")
def history_command(ledger_path, cell, out) -> None:
    """Stored plans against what happened: planned vs actual spend, expected vs actual gross margin."""
    from budgetopt.ledger import history, history_table, open_ledger
    from budgetopt.report.files import write_csv

    with open_ledger(ledger_path) as ledger:
        table = history(ledger, cell)
    if out:
        write_csv(out, table)
    console = Console()
    if table.empty:
        console.print(Text(f"{ledger_path} holds no plan yet; make one with budgetopt plan --ledger {ledger_path}"))
        return
    console.print(history_table(table, f"plans against what happened: {cell or 'whole account'}", show_status=cell is not None))


@main.command("decide")
@click.argument("log_path", metavar="LOG", type=_existing)
@_policy_option
@_date_option
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write the decisions CSV here.")
@_seed_option
@_dup_option
@_report_option
def decide_command(log_path, policy_path, date, out, seed, sum_duplicates, report_dir) -> None:
    """The A/B verdicts alone: chance to be best, expected loss and verdict per creative."""
    from budgetopt.decide import decide
    from budgetopt.plan import decisions_table, estimate
    from budgetopt.report.files import write_csv
    from budgetopt.report.tables import print_decisions

    log, policy = _load(log_path, policy_path, sum_duplicates)
    estimates = estimate(log, policy, _date(date))
    decisions = decide(estimates, policy.decide, np.random.default_rng(seed), currency=policy.budget.currency)
    table = decisions_table(estimates, decisions)
    if out:
        write_csv(out, table)
    if report_dir:
        from budgetopt.report.plan_report import write_decisions_report

        write_decisions_report(table, policy, report_dir)
    print_decisions(Console(), table, policy.decide.metric)


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("budgetopt-demo"), show_default=True, help="Folder for the demo's files.")
@click.option("--report", "report_dir", type=click.Path(path_type=Path, file_okay=False), default=None, help="Folder for the HTML report  [default: OUT/report]")
def demo(out_dir: Path, report_dir: Path | None) -> None:
    """The main job on the bundled demo account: plan tomorrow's budget and say where the files are."""
    from budgetopt.data.demo import demo_path

    console = Console()
    report_dir = report_dir or out_dir / "report"
    out_dir.mkdir(parents=True, exist_ok=True)
    log_path, policy_path = out_dir / "demo_log.csv", out_dir / "demo_policy.toml"
    shutil.copyfile(demo_path("demo_log.csv"), log_path)
    shutil.copyfile(demo_path("demo_policy.toml"), policy_path)
    console.print(f"demo account: 4 weeks, 3 campaigns, 8 segments, 21 creatives → {log_path}")
    _run_plan(
        log_path, policy_path, None, out_dir / "plan.csv", out_dir / "summary.json", DEFAULT_SEED, False, console,
        decisions_path=out_dir / "decisions.csv", report_dir=report_dir,
    )
    console.print(
        f"wrote {out_dir / 'plan.csv'}, {out_dir / 'decisions.csv'} and {out_dir / 'summary.json'}; "
        f"try: budgetopt plan {log_path} --policy {policy_path}"
    )
    console.print(f"report: open {report_dir / 'index.html'} in a browser")


# `simulate` lives in its own module, which imports click only: --help stays fast
from budgetopt.simulate.command import simulate_command

main.add_command(simulate_command, "simulate")

# `sweep` likewise: the simulator and Dask are imported when it runs
from budgetopt.scale.command import sweep_command

main.add_command(sweep_command, "sweep")

# `whatif` too: its module imports the plan (and the solver) only when the command runs
from budgetopt.simulate.whatif import whatif_command

main.add_command(whatif_command, "whatif")


if __name__ == "__main__":
    main()
