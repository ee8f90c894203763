"""Figures and the HTML page of a simulation (`budgetopt simulate --report DIR`).

Each figure function takes the run's tables (daily.csv, allocation.csv as DataFrames) and an
optional `ax`, and returns the matplotlib Figure; none uses pyplot's global state, so they render
with Agg anywhere (a server, a test, a notebook). Names from the scenario are drawn as plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from budgetopt.report.figures import plain, short_label
from budgetopt.report.html import Figure as PageFigure
from budgetopt.report.html import Section, figure_png, write_report
from budgetopt.report.scales import money_ticks

#: one colour per policy, the same in every figure
POLICY_COLORS = {
    "budgetopt": "#2f6db5",
    "even": "#8c8c8c",
    "proportional": "#e08a1e",
    "rules": "#c0392b",
    "ab_then_commit": "#8e44ad",
    "thompson": "#16a085",
    "greedy": "#d4a017",
    "oracle": "#222222",
}
#: the 5–95 % bands: shaded this much, and edged by thin dashed lines of the policy's colour
BAND_ALPHA = 0.22
#: when most bands are narrower than this share of the cumulative margin's axis, the figure says so (and points at regret)
NARROW_BAND = 0.03
#: segments coloured in an allocation figure (the largest spenders); the others share one grey band
ALLOCATION_TOP = 8
#: eight colours told apart at a glance (matplotlib's tab10 without its grey and olive), then "other"
QUALITATIVE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
OTHER_COLOR = "#c8c8c8"


def _axes(ax: Axes | None, width: float = 8.0, height: float = 4.2) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    figure = Figure(figsize=(width, height), layout="constrained")
    return figure, figure.add_subplot()


def _money(ax: Axes, currency: str, label: str) -> None:
    money_ticks(ax.yaxis)
    ax.set_ylabel(plain(f"{label} ({currency})"))


def _bands(ax: Axes, daily: pd.DataFrame, column: str, policies: Sequence[str], currency: str, label: str, title: str) -> float:
    """Each policy's daily mean of `column` with its 90 % band across replications (shaded, and edged by
    thin lines), on a money axis; the legend says each policy's last value and band. Returns the median
    policy's band at the last day as a share of the axis' span."""
    widths = []
    for name in policies:
        rows = daily[daily["policy"] == name]
        color = POLICY_COLORS.get(name, "#555555")
        low, high, mean = rows[f"{column}_p05"].to_numpy(), rows[f"{column}_p95"].to_numpy(), rows[f"{column}_mean"].to_numpy()
        end = f": {mean[-1]:,.0f} ({low[-1]:,.0f} to {high[-1]:,.0f})" if len(rows) else ""
        ax.plot(rows["day"], mean, color=color, lw=1.8 if name in ("budgetopt", "oracle") else 1.2, label=plain(f"{name}{end}"))
        ax.fill_between(rows["day"], low, high, color=color, alpha=BAND_ALPHA, lw=0)
        for edge in (low, high):
            ax.plot(rows["day"], edge, color=color, lw=0.6, alpha=0.8, linestyle=(0, (3, 2)))
        if len(rows):
            widths.append(float(high[-1] - low[-1]))
    _money(ax, currency, label)
    ax.set_xlabel("day")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="x-small", title="last day: mean (5 % to 95 % of replications)", title_fontsize="x-small")
    ax.set_title(title)
    span = abs(ax.get_ylim()[1] - ax.get_ylim()[0]) or 1.0
    return float(np.median(widths)) / span if widths else 0.0


def cumulative_margin_figure(daily: pd.DataFrame, currency: str = "EUR", ax: Axes | None = None) -> Figure:
    """Cumulative true expected gross margin per policy over the policy days; bands: 90 % of replications.
    Where the bands are too narrow to see at this scale, the figure says so (the regret figure shows
    the differences against the oracle, same replications, with theirs)."""
    figure, ax = _axes(ax)
    median = _bands(ax, daily, "cumulative_margin", list(dict.fromkeys(daily["policy"])), currency, "cumulative expected gross margin",
                    "Cumulative margin (band: 5th–95th percentile of replications)")
    if median < NARROW_BAND:
        ax.annotate(
            f"most bands are under {NARROW_BAND:.0%} of this axis, too narrow to see: the regret figure\nshows the differences against the oracle, same replications, with theirs",
            (0.99, 0.03), xycoords="axes fraction", ha="right", va="bottom", fontsize="x-small", color="#555555",
        )
    return figure


def regret_figure(daily: pd.DataFrame, currency: str = "EUR", ax: Axes | None = None) -> Figure:
    """Cumulative regret against the oracle (same replication) per policy."""
    figure, ax = _axes(ax)
    _bands(ax, daily, "cumulative_regret", [p for p in dict.fromkeys(daily["policy"]) if p != "oracle"], currency,
           "margin behind the oracle", "Regret: what each policy left on the table against the oracle")
    return figure


def allocation_figure(allocation: pd.DataFrame, policy: str, ax: Axes | None = None, *, top: int = ALLOCATION_TOP) -> Figure:
    """Each segment's share of the day's spend over time under one policy (means over replications): the
    `top` segments by spend over the run in distinguishable colours (largest at the bottom), the rest as
    one grey "other" band on top; the legend lists them top to bottom with their mean share."""
    figure, ax = _axes(ax, height=3.8)
    rows = allocation[allocation["policy"] == policy]
    rows = rows.assign(label=rows["campaign"].astype(str) + "/" + rows["segment"].astype(str))
    wide = rows.pivot_table(index="day", columns="label", values="share_mean", aggfunc="sum", sort=False).fillna(0.0)
    spend = rows.groupby("label", sort=False)["spend_mean"].sum().reindex(wide.columns).fillna(0.0)
    order = list(spend.sort_values(ascending=False, kind="stable").index)
    shown, rest = order[:top] if len(order) > top + 1 else order, order[top:] if len(order) > top + 1 else []
    layers = [wide[label].to_numpy() for label in shown]
    labels = [f"{short_label(label)} ({wide[label].mean():.0%})" for label in shown]
    colors = [QUALITATIVE[i % len(QUALITATIVE)] for i in range(len(shown))]
    if rest:
        layers.append(wide[rest].sum(axis=1).to_numpy())
        labels.append(f"other: {len(rest)} segments ({wide[rest].sum(axis=1).mean():.0%})")
        colors.append(OTHER_COLOR)
    ax.stackplot(wide.index, layers, labels=labels, colors=colors, edgecolor="white", linewidth=0.5)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1)
    ax.set_xlabel("day")
    ax.set_ylabel("share of the day's spend")
    ax.set_title(plain(f"Allocation over time: {policy}"))
    handles, names = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], names[::-1], loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="x-small",
              title="top to bottom (mean share)", title_fontsize="x-small")
    return figure


def simulation_sections(
    title: str, metrics: pd.DataFrame, daily: pd.DataFrame, allocation: pd.DataFrame, currency: str, notes: Sequence[str]
) -> list[Section]:
    """The report's sections: the metrics table, then cumulative margin, regret and allocations."""
    policies = list(dict.fromkeys(daily["policy"]))
    allocations = tuple(
        PageFigure(f"allocation_{name}.png", figure_png(allocation_figure(allocation, name)), f"Segment shares of spend under {name}")
        for name in policies
    )
    return [
        Section(title, paragraphs=tuple(notes), table=metrics),
        Section(
            "Margin",
            figures=(
                PageFigure("cumulative_margin.png", figure_png(cumulative_margin_figure(daily, currency)),
                           "Cumulative expected gross margin per policy (bands: 5th–95th percentile of replications)"),
                PageFigure("regret.png", figure_png(regret_figure(daily, currency)),
                           "Cumulative regret against the oracle, replication by replication (bands: 5th–95th percentile)"),
            ),
        ),
        Section("Allocation over time", paragraphs=((
            f"Each policy's figure colours the {ALLOCATION_TOP} segments it spent most on over the run; the others share "
            "one grey band ('other'). allocation.csv has every segment's spend and share, day by day."
        ),), figures=allocations),
    ]


def simulation_notes(scenario: Any, result: Any) -> list[str]:
    """What the run was and how to read its numbers: the report's opening paragraphs."""
    setting = (
        f"Scenario {scenario.name} ({scenario.source}): {scenario.world.n_cells} creatives in {scenario.world.n_segments} segments, "
        f"{scenario.warmup_days} warm-up days (even split, shared by every policy) then {scenario.days} policy days; "
        f"{result.reps} replications, seed {result.seed}. Every policy faces the same draws in a replication."
    )
    reading = (
        "Margins are the true expected gross margin of what each policy spent over the policy days "
        f"({result.currency}); share_of_oracle and regret compare with the oracle, which knows every true rate. "
        "wasted_spend: spend on creatives that were not their segment's true best that day. days_to_disable: mean days "
        "until a truly losing creative was switched off (one never switched off counts the whole run). winners_killed: "
        "share of replications in which a segment's strictly best creative was switched off."
    )
    return [setting, reading]


def write_simulation_report(
    directory: str | Path, scenario: Any, result: Any, metrics: pd.DataFrame, daily: pd.DataFrame, allocation: pd.DataFrame, **how: Any
) -> Path:
    """`simulate --report DIR`'s index.html and figures (the scenario and SimulationResult as the API returns them);
    returns index.html's path."""
    sections = simulation_sections(
        f"Would the engine have beaten what you do today? ({scenario.name})",
        metrics.round(4).astype(object).where(metrics.notna(), ""),
        daily,
        allocation,
        result.currency,
        simulation_notes(scenario, result),
    )
    return write_report(Path(directory), f"budgetopt simulate — {scenario.name}", sections, **how)
