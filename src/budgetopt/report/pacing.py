"""The plan report's pacing section, for a policy with a period: the spend so far, the plan for the days
left, an even pace and the period's budget, as cumulative spend over the period's days."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from budgetopt.allocate.explain import money
from budgetopt.report.html import Figure as PageFigure
from budgetopt.report.html import Section, figure_png


def pacing_figure(period: dict[str, Any], currency: str, *, ax: Axes | None = None) -> Figure:
    """Cumulative spend over the period (summary.json's `period`): logged so far, planned for the days left,
    an even pace from 0 to the budget, and the budget itself."""
    if ax is None:
        figure = Figure(figsize=(8.0, 4.0))
        ax = figure.add_subplot()
    else:
        figure = ax.figure
    start, end = pd.Timestamp(period["start"]), pd.Timestamp(period["end"])
    spent = pd.Series({pd.Timestamp(d["date"]): d["spend"] for d in period.get("spent_by_day", [])}, dtype=float)
    planned = pd.Series({pd.Timestamp(d["date"]): d["spend"] for d in period["planned_by_day"]}, dtype=float)
    days = pd.date_range(start, end + pd.Timedelta(days=1), freq="D")  # cumulative spend at the start of each day
    ax.plot([start, days[-1]], [0.0, period["total"]], color="0.6", linestyle="--", label="even pace")
    ax.axhline(period["total"], color="firebrick", linewidth=1.0, label=f"period budget {money(period['total'], currency)}")
    first_left = pd.Timestamp(period["planned_by_day"][0]["date"]) if period["planned_by_day"] else days[-1]
    so_far = spent.reindex(pd.date_range(start, first_left - pd.Timedelta(days=1), freq="D"), fill_value=0.0)
    x_spent = [start, *(so_far.index + pd.Timedelta(days=1))]
    y_spent = np.r_[0.0, so_far.cumsum().to_numpy()]
    y_spent[-1] = period["spent"]  # what the summary counts, to the cent
    ax.plot(x_spent, y_spent, color="steelblue", marker="." if len(x_spent) < 40 else None, label="spent so far")
    ax.plot([first_left, *(planned.index + pd.Timedelta(days=1))], np.r_[period["spent"], period["spent"] + planned.cumsum().to_numpy()],
            color="darkorange", marker="." if len(planned) < 40 else None, label="plan for the days left")
    ax.set_ylabel(f"cumulative spend ({currency})")
    ax.yaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")
    ax.set_ylim(0, period["total"] * 1.08)
    ax.legend(loc="upper left", fontsize="small")
    figure.autofmt_xdate()
    return figure


def pacing_sections(summary: dict[str, Any]) -> list[Section]:
    """The pacing section when the summary has a period, else none."""
    period = summary.get("period")
    if not period:
        return []
    cur = summary["currency"]
    pace = period["pace"]
    planned = sum(d["spend"] for d in period["planned_by_day"])
    words = (
        f"The period {period['start']} to {period['end']} has a budget of {money(period['total'], cur)}; "
        f"{money(period['spent'], cur)} is spent so far"
        + (f", {pace:.0%} of what an even pace would have spent by now" if pace is not None else "")
        + f". {money(period['remaining'], cur)} remains for {period['days_left']} days; the plan spends "
        f"{money(planned, cur)} of it, tomorrow {money(summary['total_spend'], cur)}."
    )
    effects = ", ".join(f"{day} {value:.2f}" for day, value in period["weekday_effects"].items())
    return [Section(
        "Pacing the period",
        paragraphs=(words, f"Weekday effects on what a {cur} earns, fitted from the log (1 = none): {effects}."),
        figures=(PageFigure("pacing.png", figure_png(pacing_figure(period, cur)), f"cumulative spend over the period ({cur})"),),
    )]
