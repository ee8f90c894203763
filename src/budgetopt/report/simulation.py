"""Figures and the HTML page of a simulation (`budgetopt simulate --report DIR`).

Each figure function takes the run's tables (daily.csv, allocation.csv as DataFrames) and an
optional `ax`, and returns the matplotlib Figure; none uses pyplot's global state, so they render
with Agg anywhere (a server, a test, a notebook). Names from the scenario are drawn as plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from budgetopt.report.figures import plain
from budgetopt.report.html import Figure as PageFigure
from budgetopt.report.html import Section, figure_png, write_report

#: one colour per policy, the same in every figure
POLICY_COLORS = {
    "budgetopt": "#2f6db5",
    "even": "#8c8c8c",
    "proportional": "#e08a1e",
    "rules": "#c0392b",
    "ab_then_commit": "#8e44ad",
    "thompson": "#16a085",
    "oracle": "#222222",
}


def _axes(ax: Axes | None, width: float = 8.0, height: float = 4.2) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    figure = Figure(figsize=(width, height), layout="constrained")
    return figure, figure.add_subplot()


def _money(ax: Axes, currency: str, label: str) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    ax.set_ylabel(plain(f"{label} ({currency})"))


def _bands(ax: Axes, daily: pd.DataFrame, column: str, policies: Sequence[str], currency: str, label: str, title: str) -> None:
    """Each policy's daily mean of `column` with its 90 % band across replications, on a money axis."""
    for name in policies:
        rows = daily[daily["policy"] == name]
        color = POLICY_COLORS.get(name)
        ax.plot(rows["day"], rows[f"{column}_mean"], color=color, lw=1.8 if name in ("budgetopt", "oracle") else 1.2, label=plain(name))
        ax.fill_between(rows["day"], rows[f"{column}_p05"], rows[f"{column}_p95"], color=color, alpha=0.12, lw=0)
    _money(ax, currency, label)
    ax.set_xlabel("day")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="small", ncols=2)
    ax.set_title(title)


def cumulative_margin_figure(daily: pd.DataFrame, currency: str = "EUR", ax: Axes | None = None) -> Figure:
    """Cumulative true expected gross margin per policy over the policy days; bands: 90 % of replications."""
    figure, ax = _axes(ax)
    _bands(ax, daily, "cumulative_margin", list(dict.fromkeys(daily["policy"])), currency, "cumulative expected gross margin",
           "Cumulative margin (band: 5th–95th percentile of replications)")
    return figure


def regret_figure(daily: pd.DataFrame, currency: str = "EUR", ax: Axes | None = None) -> Figure:
    """Cumulative regret against the oracle (same replication) per policy."""
    figure, ax = _axes(ax)
    _bands(ax, daily, "cumulative_regret", [p for p in dict.fromkeys(daily["policy"]) if p != "oracle"], currency,
           "margin behind the oracle", "Regret: what each policy left on the table against the oracle")
    return figure


def allocation_figure(allocation: pd.DataFrame, policy: str, ax: Axes | None = None) -> Figure:
    """Each segment's share of the day's spend over time under one policy (means over replications)."""
    figure, ax = _axes(ax, height=3.8)
    rows = allocation[allocation["policy"] == policy]
    labels = list(dict.fromkeys(rows["campaign"] + "/" + rows["segment"]))
    wide = rows.assign(label=rows["campaign"] + "/" + rows["segment"]).pivot(index="day", columns="label", values="share_mean")[labels]
    palette = colormaps["tab20"].colors if len(labels) > 10 else colormaps["tab10"].colors
    colors = [palette[i % len(palette)] for i in range(len(labels))]
    ax.stackplot(wide.index, wide.to_numpy().T, labels=[plain(label) for label in labels], colors=colors, alpha=0.85)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1)
    ax.set_xlabel("day")
    ax.set_ylabel("share of the day's spend")
    ax.set_title(plain(f"Allocation over time: {policy}"))
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="x-small")
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
                PageFigure("cumulative_margin.png", figure_png(cumulative_margin_figure(daily, currency)), "Cumulative expected gross margin per policy"),
                PageFigure("regret.png", figure_png(regret_figure(daily, currency)), "Cumulative regret against the oracle"),
            ),
        ),
        Section("Allocation over time", figures=allocations),
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
