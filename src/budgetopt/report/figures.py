"""Figures for people: spend before → after, creatives' credible intervals and verdicts, expected margin.

Every function takes data (and an optional `ax` or `axes`) and returns the matplotlib Figure; none
calls `plt.show()` or touches pyplot's global state, so they work the same in a script, a report
and a notebook. Figures are rendered by Agg when saved as PNG (`report.html.figure_png`).

Campaign, segment and creative names come from ad platforms: they are drawn as plain text (a `$`
never starts mathtext) and shortened to `MAX_LABEL` characters; the full names are in the tables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from budgetopt.decide.verdicts import Verdict
from budgetopt.report.scales import (
    bulk_range,
    in_unit,
    interval_range,
    mark_beyond,
    money_ticks,
    padded,
    rate_axis,
    rate_unit,
    top_and_bottom,
)

#: labels longer than this are shortened with "…" (the tables keep the full names)
MAX_LABEL = 42
#: rows drawn at each end of a long figure (the largest and the smallest by what the figure is about)
MAX_ROWS = 15

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


def short_label(text: Any) -> str:
    """`text` shortened to MAX_LABEL characters ("…" at the end) and escaped with `plain`."""
    text = str(text)
    if len(text) > MAX_LABEL:
        text = text[: MAX_LABEL - 1] + "…"
    return plain(text)


def _labels(names: Sequence[Any]) -> list[str]:
    """Each name as `short_label` draws it; if that makes two read the same (names that differ only at
    their end, "Summer sale — variant A" and "— variant B"), every long one keeps its start and its end
    instead, "…" in the middle."""
    labels = [short_label(name) for name in names]
    if len(set(labels)) == len(set(map(str, names))):
        return labels
    half = (MAX_LABEL - 1) // 2
    return [plain(n if len(n) <= MAX_LABEL else n[:half] + "…" + n[-(MAX_LABEL - 1 - half):]) for n in map(str, names)]


def _pair(campaign: Any, segment: Any) -> str:
    """"campaign / segment" (unescaped) within MAX_LABEL characters, the segment kept whole when it can be (the
    campaign is shortened first, since a campaign's segments often share its long name)."""
    campaign, segment = str(campaign), str(segment)
    room = MAX_LABEL - len(" / ")
    if len(campaign) + len(segment) <= room:
        return f"{campaign} / {segment}"
    segment = segment if len(segment) <= room * 2 // 3 else segment[: room * 2 // 3 - 1] + "…"
    keep = max(room - len(segment), 4)
    campaign = campaign if len(campaign) <= keep else campaign[: keep - 1] + "…"
    return f"{campaign} / {segment}"


def _money_axis(axis, currency: str, label: str) -> None:
    money_ticks(axis)
    axis.set_label_text(plain(f"{label} ({currency})"))


def _new_axes(ax: Axes | None, height: float, width: float = 8.0) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    figure = Figure(figsize=(width, height), layout="constrained")
    return figure, figure.add_subplot()


def _height(rows: int, per_row: float = 0.42, extra: float = 1.3) -> float:
    return max(1.9, extra + per_row * rows)


def _rows(n: int, first: int, left_out: int) -> np.ndarray:
    """y of each of `n` drawn rows, top to bottom; when rows were left out, one empty row after the first `first`."""
    y = np.arange(n, dtype=float)
    if left_out:
        y[first:] += 1.0
    return y


def _row_labels(ax: Axes, y: np.ndarray, labels: Sequence[str], first: int, left_out: int, more: str) -> None:
    """The rows' names as y ticks; where rows were left out, "… and K more …" in the empty row between the groups."""
    ticks, names = list(y), list(labels)
    if left_out:
        ticks.insert(first, float(first))
        names.insert(first, plain(f"… and {left_out:,} more {more}"))
        ax.axhline(first, color="#bbbbbb", linewidth=0.8, linestyle=":")
    ax.set_yticks(ticks, names)
    if left_out:
        note = ax.get_yticklabels()[first]
        note.set_color("#666666")
        note.set_fontstyle("italic")
    ax.set_ylim(max(ticks, default=0.0) + 0.6, -0.6)


def spend_before_after(
    labels: Sequence[str],
    before: Sequence[float],
    after: Sequence[float],
    currency: str,
    *,
    title: str = "spend before → after",
    ax: Axes | None = None,
    limit: int | None = MAX_ROWS,
    more: str = "rows (see plan.csv)",
) -> Figure:
    """Horizontal bars of yesterday's and tomorrow's spend per row, tomorrow's amount and change written beside.

    labels: (rows,) names; before, after: (rows,) currency per day. With more than 2 × `limit` + 1 rows,
    only the `limit` largest raises and the `limit` largest cuts are drawn, from the largest raise down,
    "… and K more {more}" between them. The axis holds the bulk of the amounts: one far larger is drawn
    to the edge, marked and labelled.
    """
    frame = pd.DataFrame({"label": [str(name) for name in labels], "before": np.asarray(before, float), "after": np.asarray(after, float)})
    frame, left_out = top_and_bottom(frame, (frame["after"] - frame["before"]).to_numpy(), limit or 0)
    first = min(limit or 0, len(frame)) if left_out else len(frame)
    before, after = frame["before"].to_numpy(), frame["after"].to_numpy()
    figure, ax = _new_axes(ax, _height(len(frame) + bool(left_out), per_row=0.4, extra=1.0), width=7.5)
    y = _rows(len(frame), first, left_out)
    ax.barh(y - 0.2, before, height=0.4, color=BEFORE_COLOR, label="yesterday")
    ax.barh(y + 0.2, after, height=0.4, color=AFTER_COLOR, label="tomorrow")
    _row_labels(ax, y, _labels(frame["label"]), first, left_out, more)
    low, high = bulk_range(np.concatenate([before, after]), include=[0.0])
    ax.set_xlim(*padded(low, high if high > low else 1.0, before=0.04, after=0.35))
    texts = []
    for i in range(len(frame)):
        change = after[i] - before[i]
        text = f"{after[i]:,.0f} ({change:+,.0f}"
        texts.append(text + (f", {change / before[i]:+.0%})" if before[i] > 0 else ", new)"))
        if after[i] <= ax.get_xlim()[1]:
            ax.annotate(texts[i], (after[i], y[i] + 0.2), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    mark_beyond(ax, y + 0.2, after, texts)
    mark_beyond(ax, y - 0.2, before, lambda value: f"yesterday {value:,.0f}")
    _money_axis(ax.xaxis, currency, "spend per day")
    ax.set_title(plain(title), loc="left", pad=22)  # the legend on its own line between the title and the bars
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, frameon=False, fontsize="small", borderaxespad=0.1)
    ax.grid(axis="x", alpha=0.3)
    return figure


def spend_by_segment(segments: pd.DataFrame, currency: str, *, ax: Axes | None = None, limit: int | None = MAX_ROWS) -> Figure:
    """Spend before → after per segment. segments: columns campaign, segment, before, after (summary["segments"])."""
    labels = [_pair(c, s) for c, s in zip(segments["campaign"], segments["segment"])]
    return spend_before_after(labels, segments["before"], segments["after"], currency, title="spend by segment, yesterday → tomorrow",
                              ax=ax, limit=limit, more="segments (see plan.csv)")


def spend_by_campaign(segments: pd.DataFrame, currency: str, *, ax: Axes | None = None, limit: int | None = MAX_ROWS) -> Figure:
    """Spend before → after per campaign (the sum of its segments); same columns as `spend_by_segment`."""
    totals = segments.groupby("campaign", sort=False)[["before", "after"]].sum()
    return spend_before_after(list(totals.index), totals["before"], totals["after"], currency, title="spend by campaign, yesterday → tomorrow",
                              ax=ax, limit=limit, more="campaigns (see plan.csv)")


def _intervals(ax: Axes, mean, low, high, verdicts, y) -> None:
    for i in range(len(y)):
        color = VERDICT_COLORS.get(verdicts[i], "#444444")
        hollow = verdicts[i] == Verdict.PAUSED
        ax.hlines(y[i], low[i], high[i], color=color, linewidth=3, alpha=0.55 if hollow else 0.9)
        ax.plot(mean[i], y[i], "o", color=color, markerfacecolor="white" if hollow else color, markersize=7)


def _interval_panel(ax: Axes, rows: pd.DataFrame, prefix: str, y, verdicts, *, write: Callable[[float], str], rate: bool, zero: bool) -> None:
    """One panel of 90 % intervals, its axis holding the bulk of them; a mean beyond is marked and
    written ("mean …"), else an interval's end beyond ("to …", "from …")."""
    mean, low, high = (rows[f"{prefix}_{end}"].to_numpy(float) for end in ("mean", "p05", "p95"))
    _intervals(ax, mean, low, high, verdicts, y)
    lo, hi = interval_range(low, mean, high, include=[0.0] if zero else [])
    lo, hi = padded(lo, hi, before=0.06, after=0.06, keep_zero=False)
    if rate and lo < 0 <= np.nanmin(low, initial=0.0):
        lo = 0.0
    ax.set_xlim(lo, hi)
    outside = (mean < lo) | (mean > hi)
    mark_beyond(ax, y, np.where(outside, mean, np.nan), lambda value: f"mean {write(value)}")
    mark_beyond(ax, y, np.where(outside, np.nan, high), lambda value: f"to {write(value)}")
    mark_beyond(ax, y, np.where(outside, np.nan, low), lambda value: f"from {write(value)}")


def creative_intervals(
    creatives: pd.DataFrame,
    *,
    metric: str = "margin_per_euro",
    currency: str = "EUR",
    title: str | None = None,
    axes: Sequence[Axes] | None = None,
    limit: int | None = MAX_ROWS,
) -> Figure:
    """One segment's creatives: conversion rate and the decision metric with their 90 % credible intervals.

    creatives: rows of the decisions table for one segment (creative, cvr_mean, cvr_p05, cvr_p95,
    metric_mean, metric_p05, metric_p95, p_best, verdict). Each creative's verdict and chance to be
    best are written at the right; colour follows the verdict. With metric = "conversion_rate" the two
    panels would be the same, so only one is drawn. axes: one or two Axes to draw into. With more than
    2 × `limit` + 1 creatives, the `limit` best and worst by the metric are drawn ("… and K more" between).
    Rates are written in the unit their size needs (%, per 10,000, per million; said on the axis); each
    axis holds the bulk of the intervals, one far beyond is marked at the edge with its value.
    """
    panels = 1 if metric == "conversion_rate" else 2
    left_out = 0
    if limit and len(creatives) > 2 * limit + 1:
        creatives, left_out = top_and_bottom(creatives, "metric_mean", limit)
    n, first = len(creatives), (limit or 0) if left_out else len(creatives)
    if axes is None:
        figure = Figure(figsize=(9.0, _height(n + bool(left_out), per_row=0.45, extra=1.2)), layout="constrained")
        axes = figure.subplots(1, panels, sharey=True, squeeze=False)[0]
    else:
        figure = axes[0].figure
    verdict = creatives["verdict"].astype(str).to_numpy()
    y = _rows(n, first, left_out)
    shown = interval_range(*(creatives[f"cvr_{end}"] for end in ("p05", "mean", "p95")))
    label = rate_axis(axes[0].xaxis, shown, "conversion rate (90 % interval)")
    scale, unit = rate_unit(shown)
    _interval_panel(axes[0], creatives, "cvr", y, verdict, write=lambda value: in_unit(value, scale, unit), rate=True, zero=False)
    axes[0].set_xlabel(label)
    _row_labels(axes[0], y, _labels(creatives["creative"]), first, left_out, "creatives (see decisions.csv)")
    last = axes[0]
    if panels == 2:
        last = axes[1]
        money_ticks(last.xaxis, nbins=5)
        _interval_panel(last, creatives, "metric", y, verdict, write=lambda value: f"{value:,.2f}", rate=False, zero=metric == "margin_per_euro")
        last.set_xlabel(plain(f"margin per {currency} spent (90 % interval)"))
        if metric == "margin_per_euro":
            last.axvline(0.0, color="#555555", linewidth=0.8, linestyle="--")
    for i, row in enumerate(creatives.itertuples(index=False)):
        note = str(row.verdict) if row.verdict == Verdict.PAUSED else f"{row.verdict} · {row.p_best:.0%} best"
        last.annotate(
            note, (1.0, y[i]), xycoords=("axes fraction", "data"), xytext=(10, 0), textcoords="offset points",
            va="center", fontsize=9, color=VERDICT_COLORS.get(str(row.verdict), "#444444"),
        )
    for ax in axes[:panels]:
        ax.grid(axis="x", alpha=0.3)
    if title:
        figure.suptitle(plain(title), x=0.02, ha="left")
    return figure


def _amount(value: float) -> str:
    """An amount beside a bar: whole units, or cents below 10 (so small ones do not all read "0")."""
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:,.2f}"


def _total_panel(top: Axes, summary: dict[str, Any]) -> None:
    cur = summary["currency"]
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


def expected_margin(plan: pd.DataFrame, summary: dict[str, Any], *, axes: Sequence[Axes] | None = None, limit: int | None = MAX_ROWS) -> Figure:
    """The plan's expected gross margin: the total with its 90 % interval, then each segment's share of it.

    plan: the plan table (campaign, segment, expected_margin per cell); summary: plan_day's summary
    (currency, expected_margin, margin_p05, margin_p95). With more than 2 × `limit` + 1 segments, the
    `limit` largest margins and the `limit` smallest (of those not zero) are drawn ("… and K more" between). The axis holds the bulk of the margins; one far beyond is marked at the edge and written.
    """
    by_segment = plan.groupby(["campaign", "segment"], sort=False)["expected_margin"].sum()
    frame = pd.DataFrame({"label": [_pair(c, s) for c, s in by_segment.index], "margin": by_segment.to_numpy(float)})
    first, left_out = len(frame), 0
    if limit and len(frame) > 2 * limit + 1:  # the ends among segments that earn or lose something (not the idle ones)
        earning = frame[frame["margin"].abs() >= 0.005].sort_values("margin", ascending=False, kind="stable")
        shown = earning if len(earning) <= 2 * limit else pd.concat([earning.iloc[:limit], earning.iloc[-limit:]])
        first = limit if len(earning) > 2 * limit else int((earning["margin"] > 0).sum())  # where the idle ones would be
        frame, left_out = shown, len(frame) - len(shown)
    n = len(frame)
    rows = n + bool(left_out)
    if axes is None:
        figure = Figure(figsize=(7.5, 1.4 + _height(rows, per_row=0.3, extra=0.8)), layout="constrained")
        axes = figure.subplots(2, 1, height_ratios=[1.0, max(1.6, 0.3 * rows)])
    else:
        figure = axes[0].figure
    top, bottom = axes[0], axes[1]
    _total_panel(top, summary)
    values, y = frame["margin"].to_numpy(), _rows(n, first, left_out)
    bottom.barh(y, values, color=[GAIN_COLOR if v >= 0 else LOSS_COLOR for v in values])
    _row_labels(bottom, y, _labels(frame["label"]), first, left_out, "segments (see plan.csv)")
    bottom.axvline(0.0, color="#555555", linewidth=0.8)
    low, high = bulk_range(values, include=[0.0])
    if high <= low:  # nothing earns or loses: an axis from 0 to 1
        high = 1.0
    pad = 0.18 * (high - low)
    bottom.set_xlim(low - (pad if low < 0 else 0), high + (pad if high > 0 else 0))
    left, right = bottom.get_xlim()
    for i, v in enumerate(values):
        if left <= v <= right:
            bottom.annotate(_amount(v), (v, y[i]), xytext=(4 if v >= 0 else -4, 0), textcoords="offset points", va="center",
                            ha="left" if v >= 0 else "right", fontsize=8)
    mark_beyond(bottom, y, values, _amount)
    _money_axis(bottom.xaxis, summary["currency"], "expected gross margin per day, by segment")
    for ax in (top, bottom):
        ax.grid(axis="x", alpha=0.3)
    return figure
