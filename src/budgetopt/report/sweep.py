"""Figures and the HTML page of a sweep (`budgetopt sweep GRID.toml --out DIR`).

Each figure function takes sweep.csv as a DataFrame (and optional axes) and returns the matplotlib
Figure, without pyplot's global state. Setting values and scenario names are drawn as plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from budgetopt.report.figures import plain
from budgetopt.report.html import Figure as PageFigure
from budgetopt.report.html import Section, figure_png, write_report
from budgetopt.report.scales import DistinctFormatter

POINT_COLOR = "#2f6db5"
#: rows of the full table shown on the page (sweep.csv has them all)
MAX_PAGE_ROWS = 200
#: the settings figure's shared y-axis spans at least this share of the best margin, so that a 0.03 %
#: difference looks as small as it is
MIN_SPAN = 0.01


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def setting_label(row: pd.Series, settings: Sequence[str]) -> str:
    """'#12  exploration 0.05 · half_life_days 14' (the point's number, then its settings)."""
    shown = " · ".join(f"{name} {_value(row[name])}" for name in settings)
    return plain(f"#{row['point']}  {shown}" if shown else f"#{row['point']}")


def best_settings_figure(table: pd.DataFrame, settings: Sequence[str], *, top: int = 10, axes: Sequence[Axes] | None = None) -> Figure:
    """Each scenario's `top` grid points by margin (best at the top), each against the scenario's best
    point replication by replication: the mean difference, and the interval holding 90 % of
    replications (every point faces the same draws, so the difference is the settings'). At the
    right, the point's margin and its share of the oracle's under the same settings.

    table: sweep.csv; settings: the grid's keys (its setting columns); axes: one per scenario."""
    scenarios = list(dict.fromkeys(table["scenario"]))
    if axes is None:
        heights = [1.3 + 0.36 * min(top, int((table["scenario"] == name).sum())) for name in scenarios]
        figure = Figure(figsize=(10.0, sum(heights) + 0.4), layout="constrained")
        axes = figure.subplots(len(scenarios), 1, squeeze=False, height_ratios=heights)[:, 0]
    figure = axes[0].figure
    for ax, name in zip(axes, scenarios):
        best = table[table["scenario"] == name].sort_values(["rank", "point"], kind="stable").head(top)
        y = np.arange(len(best))[::-1]
        mean = best["vs_best_mean"].to_numpy()
        spread = np.maximum([mean - best["vs_best_p05"].to_numpy(), best["vs_best_p95"].to_numpy() - mean], 0.0)
        ax.errorbar(mean, y, xerr=spread, fmt="o", color=POINT_COLOR, ecolor=POINT_COLOR, elinewidth=1.2, capsize=3,
                    label="mean difference with the best point, and the interval holding 90 % of replications")
        ax.axvline(0.0, color="#999999", lw=0.8)
        ax.set_yticks(y, [setting_label(row, settings) for _, row in best.iterrows()], fontsize="small")
        currency = best["currency"].iloc[0]
        for yi, (_, row) in zip(y, best.iterrows()):
            ax.annotate(f"{row['margin_mean']:,.0f} · {100 * row['share_of_oracle']:.1f} %", (1.0, yi), xycoords=("axes fraction", "data"),
                        xytext=(4, 0), textcoords="offset points", va="center", fontsize="x-small", color="#555555")
        ax.xaxis.set_major_locator(MaxNLocator(6))
        ax.xaxis.set_major_formatter(DistinctFormatter(sign=True))
        ax.set_xlabel(plain(f"margin against the best point, same replications ({currency} over the run)"))
        ax.grid(axis="x", alpha=0.3)
        total = int((table["scenario"] == name).sum())
        ax.set_title(plain(f"{name}: the best {len(best)} of {total} settings (right: margin · share of the oracle)"), loc="left", fontsize="medium")
    figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", fontsize="x-small", frameon=False)
    return figure


def _reachable(rows: pd.DataFrame, name: str, values: list[str]) -> pd.DataFrame:
    """For each value of setting `name`, the scenario's point with the best margin among those with it."""
    best = rows.groupby(rows[name].map(_value), sort=False)["margin_mean"].idxmax().reindex(values)
    return rows.reindex(best.to_numpy())


def _settings_axes(n: int) -> list[Axes]:
    columns = min(3, n)
    rows = -(-n // columns)
    figure = Figure(figsize=(3.4 * columns + 0.6, 2.8 * rows + 0.4), layout="constrained")
    grid = figure.subplots(rows, columns, squeeze=False, sharey=True)
    for extra in grid.ravel()[n:]:
        extra.set_visible(False)
    return list(grid.ravel()[:n])


def settings_figure(table: pd.DataFrame, settings: Sequence[str], *, axes: Sequence[Axes] | None = None) -> Figure:
    """For each swept setting, the best margin reachable with each of its values (the other settings
    at their best), relative to the scenario's best point: 0 % = the best point has this value. The
    bars hold 90 % of replications of that point's difference with the best (the same draws), so a
    difference inside them is noise. Every panel shares one y-scale, spanning at least MIN_SPAN.

    table: sweep.csv; settings: the grid's keys; axes: one per setting."""
    if not settings:
        raise ValueError("a sweep without settings has nothing to show per setting")
    axes = list(axes) if axes is not None else _settings_axes(len(settings))
    figure = axes[0].figure
    scenarios = list(dict.fromkeys(table["scenario"]))
    low, high = -MIN_SPAN, 0.0
    for ax, name in zip(axes, settings):
        values = list(dict.fromkeys(table[name].map(_value)))
        x = np.arange(len(values))
        for k, scenario in enumerate(scenarios):
            rows = table[table["scenario"] == scenario]
            best = float(rows["margin_mean"].max()) or 1.0
            reach = _reachable(rows, name, values)
            mean, p05, p95 = (reach[c].to_numpy(float) / abs(best) for c in ("vs_best_mean", "vs_best_p05", "vs_best_p95"))
            dodge = (k - (len(scenarios) - 1) / 2) * 0.12
            ax.errorbar(x + dodge, mean, yerr=np.maximum([mean - p05, p95 - mean], 0.0), marker="o", capsize=3, elinewidth=1.0,
                        label=plain(scenario))
            low, high = float(np.nanmin([low, *p05, *mean])), float(np.nanmax([high, *p95, *mean]))
        ax.set_xticks(x, [plain(v) for v in values], fontsize="small")
        ax.set_xlabel(plain(name))
        ax.axhline(0.0, color="#999999", lw=0.8)
        ax.grid(alpha=0.3)
    pad = 0.08 * (high - low)
    for ax in axes:  # one scale for every panel, also when the caller's axes do not share it
        ax.set_ylim(low - pad, high + pad)
        ax.yaxis.set_major_locator(MaxNLocator(6))
        ax.yaxis.set_major_formatter(DistinctFormatter(100.0, " %"))
    axes[0].set_ylabel("best margin vs the best point")
    if len(scenarios) > 1:
        axes[0].legend(fontsize="x-small")
    figure.suptitle(
        "What each setting's values can reach (the other settings at their best)\n"
        "bars: 90 % of replications of the difference with the best point; one scale for all panels",
        fontsize="medium",
    )
    return figure


def write_sweep_report(directory: str | Path, table: pd.DataFrame, settings: Sequence[str], notes: Sequence[str], *, top: int = 10, **how: Any) -> Path:
    """index.html with the best points, best_settings.png, settings.png (when the grid has keys) and the table."""
    best = pd.concat([g.sort_values(["rank", "point"], kind="stable").head(top) for _, g in table.groupby("scenario", sort=False)])
    shown = ["point", "scenario", *settings, "margin_mean", "margin_p05", "margin_p95", "vs_best_mean", "vs_best_p05", "vs_best_p95",
             "share_of_oracle", "winners_killed", "rank"]
    figures = [PageFigure("best_settings.png", figure_png(best_settings_figure(table, settings, top=top)), "The best settings of each scenario")]
    if settings:
        figures.append(PageFigure("settings.png", figure_png(settings_figure(table, settings)), "The best margin each value of each setting can reach"))
    page_table = table.head(MAX_PAGE_ROWS)
    sections = [
        Section("Which settings would have earned most", paragraphs=tuple(notes), table=best[shown], figures=tuple(figures), figures_first=True),
        Section(
            "Every grid point" + (f" (the first {MAX_PAGE_ROWS}; sweep.csv has all {len(table)})" if len(table) > MAX_PAGE_ROWS else ""),
            table=page_table.astype(object).where(page_table.notna(), ""),
        ),
    ]
    return write_report(directory, "budgetopt sweep", sections, **how)
