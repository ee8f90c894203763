"""`budgetopt whatif LOG --policy P --split SPLIT.csv`: what a proposed split of tomorrow's budget would
earn, beside the optimised plan, and the chance that it earns more (the maths: budgetopt.whatif)."""

from __future__ import annotations

from pathlib import Path

import click
from rich import box
from rich.table import Table
from rich.text import Text

from budgetopt import api
from budgetopt.cli.main import main
from budgetopt.cli.options import (
    at_least,
    columns_option,
    console,
    date_option,
    existing_file,
    output_file,
    policy_option,
    read_log,
    seed_option,
    sum_duplicates_option,
    wrote,
)

#: above this many segments the terminal shows those whose spend changes most (the JSON has them all)
MAX_SEGMENT_ROWS = 40


@main.command("whatif")
@click.argument("log_path", metavar="LOG", type=existing_file)
@policy_option
@columns_option
@click.option("--split", "split_path", type=existing_file, required=True,
              help="Proposed spend: CSV with campaign, segment, spend (per segment), campaign, segment, creative, spend (per creative), "
                   "or campaign, segment, date, spend (a budget period's days left).")
@date_option
@seed_option
@sum_duplicates_option
@click.option("--out", "out_path", type=output_file, default=None, help="Also write the numbers as JSON here.")
def whatif_command(
    log_path: Path, policy_path: Path, columns_path: Path | None, split_path: Path, date: str | None, seed: int, sum_duplicates: bool, out_path: Path | None) -> None:
    """What a proposed split of tomorrow's budget would earn, beside the optimised plan, and the chance it earns more."""
    at_least("--seed", seed, 0)
    inputs = {"LOG": log_path, "--policy": policy_path, "--columns": columns_path, "--split": split_path}
    api.check_outputs({"--out": out_path}, inputs)
    out = console()
    policy = api.load_policy(policy_path)
    log = read_log(out, log_path, policy, columns_path=columns_path, sum_duplicates=sum_duplicates)
    w = api.compare_split(log, policy, split_path, rng=seed, date=api.as_date(date, "--date"))
    written = [api.write_what_if(w, out_path, inputs=inputs)] if out_path is not None else []
    print_what_if(out, w)
    wrote(out, written)


def _whole(value: float, sign: str = "") -> str:
    """Rounded to the unit, never '-0'; sign '+' shows it on positives too."""
    return f"{round(value):{sign},}"


def _distributions(console, w: api.WhatIf | api.PeriodWhatIf, title: str) -> None:
    """The proposal's and the plan's margin, their difference, and the chance the proposal earns more."""
    table = Table(title=title, box=box.SIMPLE_HEAD, header_style="bold")
    for header in ("", "spend", "expected margin", "90 % interval"):
        table.add_column(header, justify="left" if not header else "right", no_wrap=True)
    rows = ((Text(f"proposal ({Path(w.split.source).name})"), w.proposal, ""), (Text("plan"), w.plan, ""), (Text("proposal − plan"), w.difference, "+"))
    for label, d, sign in rows:
        table.add_row(label, _whole(d.total_spend, sign), _whole(d.expected_margin, sign), f"{_whole(d.margin_p05, sign)} to {_whole(d.margin_p95, sign)}")
    console.print(table)
    console.print(f"chance the proposal earns more than the plan: {100 * w.chance_beats:.1f} % (share of draws; a tie is not a win)")


def print_what_if(console, w: api.WhatIf | api.PeriodWhatIf) -> None:
    """The two distributions, their difference and the chance, then the segments (and days) and the notes."""
    if isinstance(w, api.PeriodWhatIf):
        print_period_what_if(console, w)
        return
    cur = w.currency
    _distributions(console, w, f"what-if for {w.date}: gross margin in {cur} per day ({w.draws:,} paired posterior draws)")
    if w.is_the_plan:
        console.print("the proposal is the plan's own split (to within a cent per creative)")

    _segment_table(console, w.segments, f"by segment ({cur} per day; margins at the posterior mean)")
    for note in w.notes:
        console.print(Text(f"note: {note}"))


def _segment_table(console, segments, title: str) -> None:
    """Each segment's spend and margin under both splits (the MAX_SEGMENT_ROWS whose spend changes most)."""
    seg = segments.assign(change=lambda f: (f["proposal_spend"] - f["plan_spend"]).abs())
    shown = seg if len(seg) <= MAX_SEGMENT_ROWS else seg.nlargest(MAX_SEGMENT_ROWS, "change", keep="first")
    detail = Table(title=title, box=box.SIMPLE_HEAD, header_style="bold")
    detail.add_column("campaign / segment", no_wrap=True)
    for header in ("spend", "plan spend", "margin", "plan margin"):
        detail.add_column(header, justify="right", no_wrap=True)
    for row in shown.itertuples(index=False):
        detail.add_row(
            Text(f"{row.campaign} / {row.segment}"), _whole(row.proposal_spend), _whole(row.plan_spend),
            _whole(row.proposal_margin), _whole(row.plan_margin),
        )
    console.print(detail)
    if len(shown) < len(seg):
        console.print(f"… and {len(seg) - len(shown)} more segments whose spend changes less (all of them in --out)")


def print_period_what_if(console, w: api.PeriodWhatIf) -> None:
    """The period's days left: both margins and the chance, then day by day, the segments and the notes."""
    cur = w.currency
    _distributions(console, w, f"what-if for the period's days left, {w.start} to {w.end}: gross margin in {cur} ({w.draws:,} paired posterior draws)")
    by_day = Table(title=f"by day ({cur}; margins at the posterior mean)", box=box.SIMPLE_HEAD, header_style="bold")
    for header in ("date", "spend", "plan spend", "margin", "plan margin"):
        by_day.add_column(header, justify="left" if header == "date" else "right", no_wrap=True)
    for row in w.days.itertuples(index=False):
        by_day.add_row(row.date, _whole(row.proposal_spend), _whole(row.plan_spend), _whole(row.proposal_margin), _whole(row.plan_margin))
    console.print(by_day)
    _segment_table(console, w.segments, f"by segment ({cur} over the days left; margins at the posterior mean)")
    for note in w.notes:
        console.print(Text(f"note: {note}"))
