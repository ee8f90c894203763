"""Axes a person can read: tick labels that differ from each other, limits set by the bulk of the data
with the values beyond them marked at the edge, and the rows of a long table worth drawing.

Shared by report.figures, report.simulation and report.sweep. Nothing here touches pyplot's state.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import Formatter, MaxNLocator

#: a rate's unit: per cent while its largest value reads at least 0.1 %, else per 10,000 or per million
RATE_UNITS = ((100.0, "%", 1e-3), (1e4, "per 10,000", 1e-4), (1e6, "per million", 0.0))
#: values left beyond an axis: at most this share on each side (and at least 2) ...
TRIM_SHARE = 0.02
#: ... and only when the rest would otherwise fill less than 1/CRUSH of the axis (one outlier crushing them)
CRUSH = 5.0
OUTLIER_COLOR = "#7a1f5c"


class DistinctFormatter(Formatter):
    """Tick labels with as many decimals as it takes for every tick to read differently.

    scale: multiplies the value before it is written (100 for per cent); suffix: written after it
    (" %"); sign: a "+" before positive values. `format_ticks` chooses the decimals from the ticks
    drawn, so 0.00001, 0.00002 … read "0.001 %, 0.002 %" instead of "0.0 %" each.
    """

    def __init__(self, scale: float = 1.0, suffix: str = "", *, sign: bool = False, most_decimals: int = 9) -> None:
        self.scale, self.suffix, self.sign, self.most_decimals = scale, suffix, sign, most_decimals
        self.decimals = 0

    def _text(self, value: float, decimals: int) -> str:
        text = f"{value * self.scale:{'+' if self.sign else ''},.{decimals}f}"
        if float(text.replace(",", "")) == 0.0:
            text = f"{0.0:.{decimals}f}"  # never "-0" nor "+0.00"
        return text + self.suffix

    def format_ticks(self, values) -> list[str]:
        values = list(values)
        self.set_locs(values)
        finite = [v for v in values if math.isfinite(v)]
        span = max((abs(v) for v in finite), default=0.0)
        tiny = span * 1e-9
        cleaned = [0.0 if abs(v) <= tiny else v for v in values]
        for decimals in range(self.most_decimals + 1):
            labels = [self._text(v, decimals) for v in cleaned]
            if len(set(labels)) == len(set(cleaned)):
                break
        self.decimals = decimals
        return labels

    def __call__(self, value, pos=None) -> str:
        return self._text(value, self.decimals)


def rate_unit(values: Sequence[float] | np.ndarray) -> tuple[float, str]:
    """(scale, unit) for rates whose largest magnitude is that of `values`: (100, "%") down to 0.1 %,
    then (1e4, "per 10,000") down to 0.01 %, then (1e6, "per million")."""
    finite = np.abs(np.asarray(values, float))
    finite = finite[np.isfinite(finite)]
    top = float(finite.max()) if finite.size else 0.0
    if top == 0.0:
        return 100.0, "%"
    for scale, unit, floor in RATE_UNITS:
        if top >= floor:
            return scale, unit
    return RATE_UNITS[-1][:2]


def rate_axis(axis, values, label: str, *, nbins: int = 5) -> str:
    """Ticks of a rate axis in the unit its values need; returns the axis label with the unit said
    ("conversion rate (per million, 90 % interval)" or "conversion rate (90 % interval)" with "%" ticks)."""
    scale, unit = rate_unit(values)
    axis.set_major_locator(MaxNLocator(nbins))
    if unit == "%":
        axis.set_major_formatter(DistinctFormatter(scale, " %"))
        return label
    axis.set_major_formatter(DistinctFormatter(scale))
    head, _, tail = label.partition(" (")
    return f"{head} ({unit}, {tail}" if tail else f"{head} ({unit})"


def in_unit(value: float, scale: float, unit: str) -> str:
    """A rate written in an axis' unit with two significant digits at least: "0.38 %", "3,800 per million"."""
    scaled = value * scale
    if not math.isfinite(scaled) or scaled == 0.0:
        return f"{scaled:g}" + (" %" if unit == "%" else f" {unit}")
    decimals = max(0, 1 - math.floor(math.log10(abs(scaled))))
    return f"{scaled:,.{decimals}f}" + (" %" if unit == "%" else f" {unit}")


def money_ticks(axis, *, sign: bool = False, nbins: int = 6) -> None:
    """Amounts with thousands separators and just enough decimals (none for whole amounts)."""
    axis.set_major_locator(MaxNLocator(nbins))
    axis.set_major_formatter(DistinctFormatter(sign=sign))


def rate_text(value: float) -> str:
    """A rate for a table: "3.12%" at or above 0.1 %, else with two significant digits ("0.0025%")."""
    if not math.isfinite(value):
        return str(value)
    if value == 0.0 or abs(value) >= 1e-3:
        return f"{value:.2%}"
    decimals = 1 - math.floor(math.log10(abs(value * 100)))
    return f"{value * 100:.{decimals}f}%"


def _trimmed_top(x: np.ndarray, low: float, most: int) -> float:
    """The largest of `x` (sorted ascending) worth the axis: the most values (up to `most`) are left
    beyond it such that each lies at least CRUSH times as far from `low` as the largest value kept."""
    keep = len(x) - 1
    for m in range(1, most + 1):
        if x[-m] - low >= CRUSH * max(x[-1 - m] - low, 0.0) and x[-m] > x[-1 - m]:
            keep = len(x) - 1 - m
    return float(x[keep])


def bulk_range(values, *, include: Sequence[float] = ()) -> tuple[float, float]:
    """(low, high) of the bulk of `values`: the full range, unless a few values on one side (at most 2 %
    of them, at least 2; none of 3 or fewer) lie so far out that the rest would fill less than 1/CRUSH
    of the axis; those are left beyond it. `include` (e.g. 0 for bars) is always inside, and counts as
    the rest. NaN and infinities are ignored."""
    x = np.asarray(values, float).ravel()
    x = np.sort(np.concatenate([x[np.isfinite(x)], np.asarray(include, float)]))
    extra = [float(v) for v in include]
    if x.size == 0:
        return 0.0, 1.0
    most = 0 if x.size <= 3 else min(max(2, math.ceil(TRIM_SHARE * x.size)), x.size // 3)
    # each side is judged from the other's end; a large sample's is judged from its robust end first
    low = float(x[most]) if x.size >= 20 else float(x[0])
    high = _trimmed_top(x, min([low, *extra]), most)
    low = -_trimmed_top(-x[::-1], -high, most)
    high = _trimmed_top(x, low, most)
    return min([low, *extra]), max([high, *extra])


def interval_range(low, mean, high, *, include: Sequence[float] = (), reach: float = 1.5) -> tuple[float, float]:
    """(low, high) of an axis of intervals: the bulk of the means (`bulk_range`), widened to the
    intervals' ends but by at most `reach` × the larger of that span and the median interval's width,
    so one very uncertain interval does not crush the others (its end is drawn beyond the axis)."""
    low, mean, high = (np.asarray(v, float).ravel() for v in (low, mean, high))
    lo, hi = bulk_range(mean, include=include)
    widths = (high - low)[np.isfinite(high - low)]
    span = max(hi - lo, float(np.median(widths)) if widths.size else 0.0)
    ends = np.concatenate([low, high, mean[(mean >= lo) & (mean <= hi)]])
    ends = ends[np.isfinite(ends)]
    if ends.size:
        lo = min(lo, max(float(ends.min()), lo - reach * span))
        hi = max(hi, min(float(ends.max()), hi + reach * span))
    return lo, hi


def padded(low: float, high: float, *, before: float = 0.05, after: float = 0.05, keep_zero: bool = True) -> tuple[float, float]:
    """low..high widened by these shares of its span (a bound at 0 stays at 0 when keep_zero)."""
    span = high - low
    if span <= 0:
        span = abs(high) * 0.1 or 1.0
    low2 = low if (keep_zero and low == 0.0) else low - before * span
    high2 = high if (keep_zero and high == 0.0) else high + after * span
    return low2, high2


def mark_beyond(ax: Axes, positions, values, text: Callable[[float], str] | Sequence[str], *, axis: str = "x", labels: bool = True) -> int:
    """Every value beyond the axis' limits drawn as a triangle at the edge pointing out, its value
    written beside it inside the axes; returns how many were marked. positions: the other coordinate;
    text: the label of a value, or one label per value. Call it once the axis' limits are set."""
    low, high = sorted(ax.get_xlim() if axis == "x" else ax.get_ylim())
    marked = 0
    for i, (position, value) in enumerate(zip(positions, values)):
        if not math.isfinite(value) or low <= value <= high:
            continue
        above = value > high
        edge = high if above else low
        if axis == "x":
            point, marker, offset, align = (edge, position), (">" if above else "<"), ((-7 if above else 7), 0), ("right" if above else "left")
        else:
            point, marker, offset, align = (position, edge), ("^" if above else "v"), (0, (-7 if above else 7)), "center"
        ax.plot(*point, marker=marker, color=OUTLIER_COLOR, markersize=7, clip_on=False, zorder=5)
        if labels:
            ax.annotate(
                text(value) if callable(text) else text[i], point, xytext=offset, textcoords="offset points", ha=align,
                va="center" if axis == "x" else ("top" if above else "bottom"), fontsize=8, color=OUTLIER_COLOR, zorder=6,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
            )
        marked += 1
    return marked


def top_and_bottom(frame: pd.DataFrame, by: str | Sequence[float], n: int) -> tuple[pd.DataFrame, int]:
    """With more than 2n + 1 rows (n > 0): frame sorted by `by` (a column, or values per row), largest
    first, cut to its n first and n last rows; else frame as it is. Returns (rows, how many were left out)."""
    if n <= 0 or len(frame) <= 2 * n + 1:
        return frame, 0
    key = frame[by] if isinstance(by, str) else pd.Series(np.asarray(by, float), index=frame.index)
    ordered = frame.iloc[(-key.astype(float).fillna(-np.inf).to_numpy()).argsort(kind="stable")]
    return pd.concat([ordered.iloc[:n], ordered.iloc[-n:]]), len(frame) - 2 * n
