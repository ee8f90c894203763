"""Terminal tables (rich): the plan, the decisions, the ledger's history. Names are printed as text,
never as markup, and never wrapped: a name column does not break a name mid-word."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from budgetopt import api
from budgetopt.api import binding_in_words, money, noisy_days_in_words

#: above this many cells the plan is shown per segment, not per cell
MAX_CELL_ROWS = 60
#: the binding constraints named on the terminal (the largest shadow prices first)
MAX_BINDING_LINES = 15
#: a plan of many segments shows the ones raised most and cut most, this many each
MAX_SEGMENT_ENDS = 15


def plan_table(plan: pd.DataFrame, summary: dict[str, Any]) -> Table:
    """The plan per cell (small accounts) or per segment (large ones), with totals; amounts in the policy's currency."""
    cur = summary["currency"]
    per_cell = len(plan) <= MAX_CELL_ROWS
    table = Table(title=f"budget plan for {summary['date']} ({cur} per day)", show_footer=True, header_style="bold")
    before_total = sum(s["before"] for s in summary["segments"])
    table.add_column("campaign / segment", footer="total", no_wrap=True)
    if per_cell:
        table.add_column("creative", no_wrap=True)
        table.add_column("status")
    table.add_column("yesterday", justify="right", footer=f"{before_total:,.0f}")
    table.add_column("tomorrow", justify="right", footer=f"{summary['total_spend']:,.0f}")
    if per_cell:
        table.add_column("share", justify="right")
        table.add_column("p_best", justify="right")
    table.add_column("margin", justify="right", footer=f"{summary['expected_margin']:,.0f}")
    if per_cell:
        previous_segment = None
        for _, row in plan.iterrows():
            segment = (row["campaign"], row["segment"])
            label = Text(f"{segment[0]} / {segment[1]}") if segment != previous_segment else Text("")
            if segment != previous_segment and previous_segment is not None:
                table.add_section()
            previous_segment = segment
            table.add_row(
                label, Text(str(row["creative"])), row["status"], f"{row['previous_spend']:,.0f}", f"{row['spend']:,.0f}",
                f"{row['share']:.0%}", f"{row['p_best']:.0%}", f"{row['expected_margin']:,.0f}",
                style="dim" if row["status"] != "active" else None,
            )
    else:
        margin = plan.groupby(["campaign", "segment"], sort=False)["expected_margin"].sum()
        segments = summary["segments"]
        if len(segments) > 2 * MAX_SEGMENT_ENDS:  # the segments raised most and cut most; plan.csv has them all
            by_change = sorted(segments, key=lambda s: s["after"] - s["before"], reverse=True)
            segments = [*by_change[:MAX_SEGMENT_ENDS], None, *by_change[-MAX_SEGMENT_ENDS:]]
        for s in segments:
            if s is None:
                table.add_row(Text(f"… {len(summary['segments']) - 2 * MAX_SEGMENT_ENDS} more segments (plan.csv)", style="dim"), "", "", "")
                continue
            table.add_row(
                Text(f"{s['campaign']} / {s['segment']}"), f"{s['before']:,.0f}", f"{s['after']:,.0f}",
                f"{margin.loc[(s['campaign'], s['segment'])]:,.0f}",
            )
    return table


def print_plan(console: Console, plan: pd.DataFrame, summary: dict[str, Any]) -> None:
    """The plan table, the margin interval and the binding constraints in words."""
    cur = summary["currency"]
    console.print(plan_table(plan, summary))
    console.print(
        f"expected gross margin {money(summary['expected_margin'], cur)} "
        f"(90 % interval {money(summary['margin_p05'], cur)} to {money(summary['margin_p95'], cur)})"
    )
    if noisy := noisy_days_in_words(summary.get("daily_rate_spread")):
        console.print(Text(noisy), soft_wrap=True)
    worth_saying = binding_in_words(summary["binding"], cur)
    if worth_saying:
        console.print("what limits the plan:")
        for sentence in worth_saying[:MAX_BINDING_LINES]:
            console.print(Text("  • " + sentence))
        if len(worth_saying) > MAX_BINDING_LINES:
            console.print(Text(f"  … and {len(worth_saying) - MAX_BINDING_LINES} more (the largest first; summary.json's binding has them all)"))
    for warning in summary.get("warnings", []):
        console.print(Text(f"warning: {warning}", style="bold yellow"), soft_wrap=True)


def print_decisions(console: Console, decisions: pd.DataFrame, metric: str) -> None:
    """The verdicts as one table per segment."""
    for (campaign, segment), group in decisions.groupby(["campaign", "segment"], sort=False):
        table = Table(title=Text(f"{campaign} / {segment}"), title_justify="left", header_style="bold")
        for name in ("creative", "visits", "conv.", "cvr (90 % interval)", metric, "p_best", "verdict"):
            table.add_column(name, justify="left" if name in ("creative", "verdict") else "right", no_wrap=name == "creative")
        for _, row in group.iterrows():
            table.add_row(
                Text(str(row["creative"])), f"{row['visits']:,.0f}", f"{row['conversions']:,.0f}",
                f"{row['cvr_mean']:.2%} ({row['cvr_p05']:.2%}–{row['cvr_p95']:.2%})",
                f"{row['metric_mean']:.3f}", f"{row['p_best']:.1%}", row["verdict"],
            )
        console.print(table)


def history_table(frame: pd.DataFrame, title: str, *, show_status: bool = True) -> Table:
    """The history as a terminal table; amounts in the plans' currency (named in the title)."""
    currencies = ", ".join(dict.fromkeys(frame["currency"]))
    table = Table(
        title=Text(f"{title} ({currencies})"), header_style="bold underline", box=None, pad_edge=False,
        caption=(
            "margin = revenue × margin_rate − spend; interval: the plan's 90 % interval; outcome: where the actual "
            f"margin fell, when every cell spent within {api.SPEND_TOLERANCE:.0%} of its plan (else: off plan)"
        ),
    )
    table.add_column("date", no_wrap=True)
    if show_status:
        table.add_column("status", min_width=8)
    for name in ("spend\nplanned", "spend\nactual", "margin\nexpected", "margin\ninterval", "margin\nactual"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("outcome", min_width=7)

    def amount(value: float) -> str:
        return "—" if pd.isna(value) else f"{value:,.0f}"

    for row in frame.itertuples(index=False):
        status = [Text(row.status)] if show_status else []
        table.add_row(
            row.date, *status, amount(row.planned_spend), amount(row.actual_spend), amount(row.expected_margin),
            f"{amount(row.margin_p05)}–{amount(row.margin_p95)}", amount(row.actual_margin), row.outcome,
            style="dim" if row.outcome == "no data yet" else None,
        )
    return table


def accounts_summary(outcomes, title: str):
    """The table `plan --accounts` prints: each account's status, plan date, spend and expected margin."""
    table = Table(title=Text(title), box=box.SIMPLE_HEAD, title_justify="left")
    for header in ("account", "status", "date", "spend", "expected margin", "90 % interval"):
        table.add_column(header, justify="left" if header in ("account", "status") else "right", no_wrap=True)
    for o in outcomes:
        s = o.summary
        if s is None:
            table.add_row(Text(o.account), Text(str(o.status), style="bold red"), "", "", "", "")
            continue
        cur = s["currency"]
        table.add_row(
            Text(o.account), Text(str(o.status)), s["date"], f"{s['total_spend']:,.2f} {cur}", f"{s['expected_margin']:,.2f} {cur}",
            f"{s['margin_p05']:,.0f} – {s['margin_p95']:,.0f}",
        )
    return table


#: the changes shown on the terminal (changes.csv has them all)
MAX_CHANGE_ROWS = 40


def changes_table(changes: api.Changes) -> Table:
    """What the plan changes in the account: one row per budget or status that changes, and per change a guardrail stopped."""
    table = changes.for_file()
    moved = int(changes.table["applies"].sum())
    out = Table(
        title=Text(f"changes for {changes.date}: {moved} to apply ({changes.currency} per day)"), title_justify="left",
        header_style="bold", box=box.SIMPLE_HEAD,
    )
    for header in ("campaign / segment", "creative", "field", "before", "after", "change", "guardrail"):
        out.add_column(header, justify="right" if header in ("before", "after", "change") else "left", no_wrap=header != "guardrail")
    for row in table.head(MAX_CHANGE_ROWS).itertuples(index=False):
        out.add_row(
            Text(f"{row.campaign} / {row.segment}"), Text(str(row.creative)), row.field, str(row.before), str(row.after), row.change,
            Text(str(row.guardrail)), style="dim" if row.change == "stopped" else None,
        )
    if len(table) > MAX_CHANGE_ROWS:
        out.add_row(Text(f"… {len(table) - MAX_CHANGE_ROWS} more (changes.csv)", style="dim"), "", "", "", "", "", "")
    return out


def changes_history_table(frame: pd.DataFrame) -> Table:
    """Each stored change: planned, approved (who, when) and delivered, side by side (the latest MAX_CHANGE_ROWS)."""
    table = Table(title=Text("changes: planned, approved, delivered"), title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
    for header in ("date", "campaign / segment", "creative", "field", "before", "planned", "approved", "delivered", "guardrail"):
        table.add_column(header, justify="right" if header in ("before", "planned") else "left", no_wrap=header != "guardrail")
    for row in frame.tail(MAX_CHANGE_ROWS).itertuples(index=False):
        table.add_row(
            row.date, Text(f"{row.campaign} / {row.segment}"), Text(row.creative), row.field, row.before, row.planned,
            Text(row.approved or "—"), row.delivered, Text(row.guardrail),
        )
    return table
