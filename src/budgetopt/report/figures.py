"""Figures for people: spend before → after, creatives' credible intervals and verdicts, expected margin.

Every function takes data (and an optional `ax` or `axes`) and returns the matplotlib Figure; none
calls `plt.show()` or touches pyplot's global state, so they work the same in a script, a report
and a notebook. Figures are rendered by Agg when saved as PNG (`report.html.figure_png`).

Campaign, segment and creative names come from ad platforms: they are drawn as plain text (a `$`
never starts mathtext) and shortened to `MAX_LABEL` characters; the full names are in the tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from budgetopt.decide.verdicts import Verdict

#: labels longer than this are shortened with "…" (the tables keep the full names)
MAX_LABEL = 42

BEFORE_COLOR, AFTER_COLOR = "#b8c4d6", "#2f6db5"
GAIN_COLOR, LOSS_COLOR = "#2e8b57", "#c0392b"
VERDICT_COLORS = {
    Verdict.WINNER: "#2e8b57",
    Verdict.KEEP: "#2f6db5",
    Verdict.TOO_EARLY: "#8c8c8c",
    Verdict.DISABLE: "#c0392b",
    Verdict.PAUSED: "#9a9a9a",
}


def plain(text: Any) -> str:
    """`text` as matplotlib draws it literally: every `$` escaped so no mathtext is parsed.

    With mathtext on (matplotlib's default) an escaped dollar is drawn as `$` and nothing else
    changes, so names such as "$\\frac{1}{0}$" are shown as typed instead of raising or rendering maths.
    """
    return str(text).replace("$", r"\$")


def _label(text: Any) -> str:
    text = str(text)
    if len(text) > MAX_LABEL:
        text = text[: MAX_LABEL - 1] + "…"
    return plain(text)


def _money_axis(axis, currency: str, label: str) -> None:
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    axis.set_label_text(plain(f"{label} ({currency})"))


def _new_axes(ax: Axes | None, height: float, width: float = 8.0) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    figure = Figure(figsize=(width, height), layout="constrained")
    return figure, figure.add_subplot()


def _height(rows: int, per_row: float = 0.42, extra: float = 1.3) -> float:
    return max(1.9, extra + per_row * rows)


def spend_before_after(
    labels: Sequence[str],
    before: Sequence[float],
    after: Sequence[float],
    currency: str,
    *,
    title: str = "spend before → after",
    ax: Axes | None = None,
) -> Figure:
    """Horizontal bars of yesterday's and tomorrow's spend per row, tomorrow's amount and change written beside.

    labels: (rows,) names; before, after: (rows,) currency per day.
    """
    before, after = np.asarray(before, float), np.asarray(after, float)
    figure, ax = _new_axes(ax, _height(len(labels), per_row=0.4, extra=1.0), width=7.5)
    y = np.arange(len(labels))
    ax.barh(y - 0.2, before, height=0.4, color=BEFORE_COLOR, label="yesterday")
    ax.barh(y + 0.2, after, height=0.4, color=AFTER_COLOR, label="tomorrow")
    ax.set_yticks(y, [_label(name) for name in labels])
    ax.invert_yaxis()
    top = float(max(before.max(initial=0.0), after.max(initial=0.0)))
    for i in range(len(labels)):
        change = after[i] - before[i]
        text = f"{after[i]:,.0f} ({change:+,.0f}"
        text += f", {change / before[i]:+.0%})" if before[i] > 0 else ", new)"
        ax.annotate(text, (after[i], y[i] + 0.2), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_xlim(0, top * 1.3 if top > 0 else 1.0)
    _money_axis(ax.xaxis, currency, "spend per day")
    ax.set_title(plain(title), loc="left")
    ax.legend(loc="lower right", frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return figure


def spend_by_segment(segments: pd.DataFrame, currency: str, *, ax: Axes | None = None) -> Figure:
    """Spend before → after per segment. segments: columns campaign, segment, before, after (summary["segments"])."""
    labels = [f"{c} / {s}" for c, s in zip(segments["campaign"], segments["segment"])]
    return spend_before_after(labels, segments["before"], segments["after"], currency, title="spend by segment, yesterday → tomorrow", ax=ax)


def spend_by_campaign(segments: pd.DataFrame, currency: str, *, ax: Axes | None = None) -> Figure:
    """Spend before → after per campaign (the sum of its segments); same columns as `spend_by_segment`."""
    totals = segments.groupby("campaign", sort=False)[["before", "after"]].sum()
    return spend_before_after(list(totals.index), totals["before"], totals["after"], currency, title="spend by campaign, yesterday → tomorrow", ax=ax)


def _metric_axis(metric: str, currency: str) -> tuple[str, Any]:
    if metric == "conversion_rate":
        return "conversion rate (90 % interval)", PercentFormatter(1.0, decimals=1)
    return f"margin per {currency} spent (90 % interval)", FuncFormatter(lambda value, _: f"{value:,.2f}")


def _intervals(ax: Axes, mean, low, high, verdicts, y) -> None:
    for i in range(len(y)):
        color = VERDICT_COLORS.get(verdicts[i], "#444444")
        hollow = verdicts[i] == Verdict.PAUSED
        ax.hlines(y[i], low[i], high[i], color=color, linewidth=3, alpha=0.55 if hollow else 0.9)
        ax.plot(mean[i], y[i], "o", color=color, markerfacecolor="white" if hollow else color, markersize=7)


def creative_intervals(
    creatives: pd.DataFrame,
    *,
    metric: str = "margin_per_euro",
    currency: str = "EUR",
    title: str | None = None,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """One segment's creatives: conversion rate and the decision metric with their 90 % credible intervals.

    creatives: rows of the decisions table for one segment (creative, cvr_mean, cvr_p05, cvr_p95,
    metric_mean, metric_p05, metric_p95, p_best, verdict). Each creative's verdict and chance to be
    best are written at the right; colour follows the verdict. With metric = "conversion_rate" the two
    panels would be the same, so only one is drawn. axes: one or two Axes to draw into.
    """
    panels = 1 if metric == "conversion_rate" else 2
    n = len(creatives)
    if axes is None:
        figure = Figure(figsize=(9.0, _height(n, per_row=0.45, extra=1.2)), layout="constrained")
        axes = figure.subplots(1, panels, sharey=True, squeeze=False)[0]
    else:
        figure = axes[0].figure
    verdict = creatives["verdict"].astype(str).to_numpy()
    y = np.arange(n)
    _intervals(axes[0], creatives["cvr_mean"].to_numpy(), creatives["cvr_p05"].to_numpy(), creatives["cvr_p95"].to_numpy(), verdict, y)
    axes[0].xaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    axes[0].set_xlabel("conversion rate (90 % interval)")
    axes[0].set_yticks(y, [_label(name) for name in creatives["creative"]])
    axes[0].set_ylim(n - 0.5, -0.5)
    last = axes[0]
    if panels == 2:
        last = axes[1]
        _intervals(last, creatives["metric_mean"].to_numpy(), creatives["metric_p05"].to_numpy(), creatives["metric_p95"].to_numpy(), verdict, y)
        label, formatter = _metric_axis(metric, currency)
        last.xaxis.set_major_formatter(formatter)
        last.set_xlabel(plain(label))
        if metric == "margin_per_euro":
            last.axvline(0.0, color="#555555", linewidth=0.8, linestyle="--")
    for i, row in enumerate(creatives.itertuples(index=False)):
        note = str(row.verdict) if row.verdict == Verdict.PAUSED else f"{row.verdict} · {row.p_best:.0%} best"
        last.annotate(
            note, (1.0, y[i]), xycoords=("axes fraction", "data"), xytext=(6, 0), textcoords="offset points",
            va="center", fontsize=9, color=VERDICT_COLORS.get(str(row.verdict), "#444444"),
        )
    for ax in axes[:panels]:
        ax.grid(axis="x", alpha=0.3)
    if title:
        figure.suptitle(plain(title), x=0.02, ha="left")
    return figure


def expected_margin(plan: pd.DataFrame, summary: dict[str, Any], *, axes: Sequence[Axes] | None = None) -> Figure:
    """The plan's expected gross margin: the total with its 90 % interval, then each segment's share of it.

    plan: the plan table (campaign, segment, expected_margin per cell); summary: plan_day's summary
    (currency, expected_margin, margin_p05, margin_p95).
    """
    cur = summary["currency"]
    by_segment = plan.groupby(["campaign", "segment"], sort=False)["expected_margin"].sum()
    n = len(by_segment)
    if axes is None:
        figure = Figure(figsize=(7.5, 1.4 + _height(n, per_row=0.3, extra=0.8)), layout="constrained")
        axes = figure.subplots(2, 1, height_ratios=[1.0, max(1.6, 0.3 * n)])
    else:
        figure = axes[0].figure
    top, bottom = axes[0], axes[1]
    mean, low, high = summary["expected_margin"], summary["margin_p05"], summary["margin_p95"]
    top.barh([0], [high - low], left=[low], height=0.3, color=AFTER_COLOR, alpha=0.25)
    top.plot([mean], [0], "o", color=AFTER_COLOR, markersize=9)
    for value, text, align in ((low, f"5 %: {low:,.0f}", "right"), (mean, f"expected {mean:,.0f}", "center"), (high, f"95 %: {high:,.0f}", "left")):
        top.annotate(text, (value, 0), xytext=(0, 13), textcoords="offset points", ha=align, va="bottom", fontsize=9)
    span = max(high - low, abs(mean) * 0.05, 1.0)
    top.set_xlim(low - 0.6 * span, high + 0.6 * span)
    top.set_ylim(-0.5, 1.0)
    top.set_yticks([0], ["total, 90 % interval"])
    _money_axis(top.xaxis, cur, "expected gross margin per day")
    top.set_title(plain(f"expected gross margin tomorrow ({cur})"), loc="left")
    values = by_segment.to_numpy()
    y = np.arange(n)
    bottom.barh(y, values, color=[GAIN_COLOR if v >= 0 else LOSS_COLOR for v in values])
    bottom.set_yticks(y, [_label(f"{c} / {s}") for c, s in by_segment.index])
    bottom.set_ylim(n - 0.5, -0.5)
    bottom.axvline(0.0, color="#555555", linewidth=0.8)
    for i, v in enumerate(values):
        bottom.annotate(f"{v:,.0f}", (v, i), xytext=(4 if v >= 0 else -4, 0), textcoords="offset points", va="center", ha="left" if v >= 0 else "right", fontsize=8)
    low_x, high_x = min(0.0, values.min(initial=0.0)), max(0.0, values.max(initial=0.0))
    pad = 0.18 * max(high_x - low_x, 1.0)
    bottom.set_xlim(low_x - (pad if low_x < 0 else 0), high_x + pad)
    _money_axis(bottom.xaxis, cur, "expected gross margin per day, by segment")
    for ax in (top, bottom):
        ax.grid(axis="x", alpha=0.3)
    return figure
