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

from budgetopt.errors import BudgetoptError, InputError

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


def _run_plan(log_path, policy_path, date, out, summary_path, seed, sum_duplicates, console, decisions_path=None, report_dir=None):
    from budgetopt.plan import make_plan
    from budgetopt.report.files import write_csv, write_json
    from budgetopt.report.tables import print_plan

    log, policy = _load(log_path, policy_path, sum_duplicates)
    result = make_plan(log, policy, date=_date(date), rng=np.random.default_rng(seed))
    # everything is computed before anything is written: bad input leaves no file behind
    if out:
        write_csv(out, result.plan)
    if summary_path:
        write_json(summary_path, result.summary)
    if decisions_path:
        write_csv(decisions_path, result.decisions)
    if report_dir:
        from budgetopt.report.plan_report import write_plan_report

        write_plan_report(result, policy, report_dir)
    print_plan(console, result.plan, result.summary)
    return result


class _Group(click.Group):
    """Maps budgetopt's errors to exit 2 and one line; anything else is a bug (exit 1)."""

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


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
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


@main.command()
@click.argument("log_path", metavar="LOG", type=_existing)
@_policy_option
@_date_option
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write the plan CSV here.")
@click.option("--summary", "summary_path", type=click.Path(path_type=Path, dir_okay=False), help="Write the summary JSON here.")
@_seed_option
@_dup_option
@_report_option
def plan(log_path, policy_path, date, out, summary_path, seed, sum_duplicates, report_dir) -> None:
    """Tomorrow's budget per segment and creative, from a performance LOG (CSV or Parquet)."""
    _run_plan(log_path, policy_path, date, out, summary_path, seed, sum_duplicates, Console(), report_dir=report_dir)


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


if __name__ == "__main__":
    main()
