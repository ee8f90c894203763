"""Terminal tables (rich) for plans and decisions. Names are printed as text, never as markup."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from budgetopt.allocate.explain import describe_binding, money
from budgetopt.allocate.solve import Binding

#: above this many cells the plan is shown per segment, not per cell
MAX_CELL_ROWS = 60



def plan_table(plan: pd.DataFrame, summary: dict[str, Any]) -> Table:
    """The plan per cell (small accounts) or per segment (large ones), with totals; amounts in the policy's currency."""
    cur = summary["currency"]
    per_cell = len(plan) <= MAX_CELL_ROWS
    table = Table(title=f"budget plan for {summary['date']} ({cur} per day)", show_footer=True, header_style="bold")
    before_total = sum(s["before"] for s in summary["segments"])
    table.add_column("campaign / segment", footer="total", overflow="fold")
    if per_cell:
        table.add_column("creative", overflow="fold")
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
        for s in summary["segments"]:
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
    # constraints worth less than half a cent per unit are binding only on paper; the JSON keeps them
    worth_saying = [item for item in summary["binding"] if abs(item["shadow_price"]) >= 0.005]
    if worth_saying:
        console.print("what limits the plan:")
        for item in worth_saying:
            console.print(Text("  • " + describe_binding(Binding(**item), cur)))


def print_decisions(console: Console, decisions: pd.DataFrame, metric: str) -> None:
    """The verdicts as one table per segment."""
    for (campaign, segment), group in decisions.groupby(["campaign", "segment"], sort=False):
        table = Table(title=Text(f"{campaign} / {segment}"), title_justify="left", header_style="bold")
        for name in ("creative", "visits", "conv.", "cvr (90 % interval)", metric, "p_best", "verdict"):
            table.add_column(name, justify="left" if name in ("creative", "verdict") else "right")
        for _, row in group.iterrows():
            table.add_row(
                Text(str(row["creative"])), f"{row['visits']:,.0f}", f"{row['conversions']:,.0f}",
                f"{row['cvr_mean']:.2%} ({row['cvr_p05']:.2%}–{row['cvr_p95']:.2%})",
                f"{row['metric_mean']:.3f}", f"{row['p_best']:.1%}", row["verdict"],
            )
        console.print(table)
