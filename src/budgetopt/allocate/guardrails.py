"""[guardrails] and human overrides as bounds of the allocation: each segment's budget may rise or fall by
at most so much in a day, a frozen segment keeps its budget, an overridden one gets the budget a person
set. They tighten the floors and caps the LP already has, so the plan is the optimum under them (not a
plan clipped afterwards), and every bound keeps the name of the guardrail that set it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from budgetopt.config import GuardrailsSection

Cell = tuple[str, str, str]


@dataclass(frozen=True)
class Pins:
    """Human decisions the next plans respect until lifted (`budgetopt override`): a segment's budget
    (campaign, segment) → (budget in currency per day, label), and creatives kept on (cell → label)."""

    budgets: Mapping[tuple[str, str], tuple[float, str]] = field(default_factory=dict)
    keep: Mapping[Cell, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Guard:
    """The guardrails and pins of one plan as arrays: per cell (cells,) and per segment (segments,).

    frozen_cell / kept: the freeze entry or the override that keeps a creative on ('' = none);
    frozen_segment: the freeze entry that holds a segment's budget ('' = none); pinned: a budget a
    person set (nan = none) with pin_label."""

    settings: GuardrailsSection
    frozen_cell: np.ndarray
    kept: np.ndarray
    frozen_segment: np.ndarray
    pinned: np.ndarray
    pin_label: np.ndarray


def freeze_label(i: int, label: str) -> str:
    return f"[guardrails] freeze #{i + 1} {label}"


def guard_for(
    settings: GuardrailsSection, campaign: np.ndarray, segment: np.ndarray, creative: np.ndarray, segment_start: np.ndarray,
    pins: Pins | None = None,
) -> Guard:
    """The arrays of `Guard` for these cells (campaign, segment, creative: (cells,); segment_start: (segments,))."""
    n_cells = len(creative)
    frozen_cell = np.full(n_cells, "", dtype=object)
    frozen_whole = np.full(n_cells, "", dtype=object)  # entries without a creative: the segment's budget too
    for i, entry in reversed(list(enumerate(settings.freeze))):  # the first entry that matches names it
        hit = entry.matches(campaign, segment, creative)
        frozen_cell[hit] = freeze_label(i, entry.label)
        if entry.creative is None:
            frozen_whole[hit] = freeze_label(i, entry.label)
    pins = pins or Pins()
    first = np.asarray(segment_start)
    kept, pinned, pin_label = np.full(n_cells, "", dtype=object), np.full(len(first), np.nan), np.full(len(first), "", dtype=object)
    if pins.keep:  # only a person's pins are looked up by name (a simulated day has none)
        kept = np.array([pins.keep.get(cell, "") for cell in zip(campaign, segment, creative)], dtype=object)
    if pins.budgets:
        pinned = np.array([pins.budgets.get((campaign[i], segment[i]), (np.nan, ""))[0] for i in first], dtype=float)
        pin_label = np.array([pins.budgets.get((campaign[i], segment[i]), (np.nan, ""))[1] for i in first], dtype=object)
    return Guard(settings, frozen_cell, kept, frozen_whole[first] if len(first) else np.zeros(0, object), pinned, pin_label)


def no_guard(settings: GuardrailsSection, n_segments: int) -> Guard:
    """The guardrails' limits alone: nothing frozen, nothing pinned (a caller that knows no cell names)."""
    empty = np.zeros(0, dtype=object)
    return Guard(settings, empty, empty, np.full(n_segments, "", dtype=object), np.full(n_segments, np.nan), np.full(n_segments, "", dtype=object))


def guarded_limits(
    guard: Guard, previous: np.ndarray, live: np.ndarray, lower: np.ndarray, upper: np.ndarray,
    lower_label: list[str], upper_label: list[str], currency: str,
) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """The segments' floors and caps (segments,) tightened by the guardrails, a frozen segment held at its
    budget before, a pinned one at its pin; a segment without a live creative stays at 0. Changes are
    measured from the budget before to the cent, as the changes list shows it."""
    g = guard.settings
    base = np.round(np.asarray(previous, dtype=float), 2)
    had = base > 0
    lower, upper = lower.copy(), upper.copy()
    lower_label, upper_label = list(lower_label), list(upper_label)
    caps = [
        (base + g.max_increase, np.ones_like(had), f"[guardrails] max_increase {g.max_increase:,.2f} {currency}"),
        (base * (1 + g.max_increase_percent / 100) if np.isfinite(g.max_increase_percent) else np.full_like(base, np.inf), had,
         f"[guardrails] max_increase_percent {g.max_increase_percent:g} %"),
    ]
    floors = [
        (base - g.max_decrease, had, f"[guardrails] max_decrease {g.max_decrease:,.2f} {currency}"),
        (base * (1 - g.max_decrease_percent / 100), had, f"[guardrails] max_decrease_percent {g.max_decrease_percent:g} %"),
    ]
    for cap, applies, label in caps:
        tighter = np.flatnonzero(applies & live & np.isfinite(cap) & (cap < upper))
        upper[tighter] = cap[tighter]
        for s in tighter:
            upper_label[s] = f"{label} of {base[s]:,.2f} {currency}" if "percent" in label else label
    for floor, applies, label in floors:
        tighter = np.flatnonzero(applies & live & (floor > lower))
        lower[tighter] = floor[tighter]
        for s in tighter:
            lower_label[s] = f"{label} of {base[s]:,.2f} {currency}" if "percent" in label else label
    held = [(guard.frozen_segment != "", base, guard.frozen_segment), (np.isfinite(guard.pinned), guard.pinned, guard.pin_label)]
    for mask, value, labels in held:  # a pin, applied last, wins over a freeze
        for s in np.flatnonzero(mask & live):
            lower[s] = upper[s] = value[s]
            lower_label[s] = upper_label[s] = str(labels[s])
    return lower, upper, lower_label, upper_label
