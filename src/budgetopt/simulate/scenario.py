"""The scenario file (TOML, DESIGN.md "Scenario"): a world with known truth, the budget policy the
policies work under, and events. Validated like every input: unknown keys are errors, and every
message names the file and the key ("[[cells]] #3 basket: required key is missing").

Days are numbered from 0, the first day of the warm-up; a run lasts warmup_days + days days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from budgetopt.config import (
    CellMatch,
    Policy,
    StrictModel,
    policy_from_dict,
    read_toml,
    validation_problems,
)
from budgetopt.errors import InputError
from budgetopt.simulate.world import Events, World


class WorldSection(StrictModel):
    days: int = Field(60, ge=1, description="Simulated days after the warm-up, during which the policies decide.")
    warmup_days: int = Field(7, ge=1, description="Days of an even split before the policies take over (the log they start from).")
    seed: int = Field(7, ge=0, description="Seed of every random draw of the run (replications get their own streams from it).")
    basket_cv: float = Field(0.5, gt=0, description="Spread of a single order's value around the basket (coefficient of variation).")
    rate_noise: float = Field(
        0.0, ge=0, le=1, description="Day-to-day spread of every creative's conversion rate beyond chance: each day its rate is multiplied by a log-normal factor of mean 1 and this log-sd (0 = none).",
    )
    segment_rate_noise: float = Field(
        0.0, ge=0, le=1, description="The same, one factor per segment and day shared by its creatives (the auction moves an ad set's ads together).",
    )
    start_date: dt.date = Field(dt.date(2026, 1, 5), description="Date of day 0 in the simulated log.")


class SegmentSpec(StrictModel):
    campaign: str = Field(min_length=1)
    segment: str = Field(min_length=1)
    saturation_spend: float = Field(gt=0, description="S: total spend T buys visits at (1 - exp(-T/S)) / (T/S) of the low-spend rate; inf = none.")


class CellSpec(StrictModel):
    campaign: str = Field(min_length=1)
    segment: str = Field(min_length=1)
    creative: str = Field(min_length=1)
    conversion_rate: float = Field(gt=0, le=1, description="True conversions per visit, hidden from the policies.")
    cost_per_visit: float = Field(gt=0, description="Currency per visit at low spend.")
    basket: float = Field(gt=0, description="Mean revenue per conversion, currency.")


class _Match(CellMatch):
    """An event's target cells (matched like [[bounds]])."""


class FatigueEvent(_Match):
    kind: Literal["fatigue"]
    half_life_visits: float = Field(gt=0, description="Conversion rate × 0.5 ** (cumulative visits / half_life_visits).")


class LaunchEvent(_Match):
    kind: Literal["launch"]
    day: int = Field(ge=0, description="The matched cells exist only from this day on.")


class ShockEvent(_Match):
    kind: Literal["shock"]
    day: int = Field(ge=0, description="From this day on, conversion rates of the matched cells × factor.")
    factor: float = Field(ge=0)


class WeeklyEvent(_Match):
    kind: Literal["weekly"]
    amplitude: float = Field(ge=0, lt=1, description="Conversion rates × (1 + amplitude × sin(2π (day + phase) / 7)).")
    phase: float = Field(0.0, description="Days added to the day number in the weekly wave.")


Event = Annotated[FatigueEvent | LaunchEvent | ShockEvent | WeeklyEvent, Field(discriminator="kind")]
EVENT_KINDS = ("fatigue", "launch", "shock", "weekly")


class RulesSection(StrictModel):
    target_cpa: float | None = Field(None, gt=0, description="Target cost per acquisition of the `rules` policy; default: the account's over the warm-up.")
    target_roas: float | None = Field(None, gt=0, description="Target return on ad spend of the `rules` policy; default: the account's over the warm-up.")


class ScenarioFile(StrictModel):
    world: WorldSection = WorldSection()
    policy: dict[str, Any]
    rules: RulesSection = RulesSection()
    segments: list[SegmentSpec] = Field(min_length=1)
    cells: list[CellSpec] = Field(min_length=1)
    events: list[Event] = []


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: the world (truth and events), the policy, and the run's length and seed."""

    name: str
    source: str
    world: World
    policy: Policy
    days: int
    warmup_days: int
    seed: int
    start_date: dt.date
    target_cpa: float | None = None
    target_roas: float | None = None

    @property
    def total_days(self) -> int:
        return self.warmup_days + self.days

    def with_overrides(self, *, days: int | None = None, seed: int | None = None) -> Scenario:
        """The same scenario run for `days` policy days and/or with another seed (the CLI's --days, --seed)."""
        if days is not None and days < 1:
            raise InputError(f"--days must be at least 1, got {days}")
        if seed is not None and seed < 0:
            raise InputError(f"--seed must be ≥ 0, got {seed}")
        return replace(self, days=self.days if days is None else days, seed=self.seed if seed is None else seed)


# --- messages -------------------------------------------------------------------------------------

_ARRAYS = ("segments", "cells", "events")
_TABLES: dict[str, type[BaseModel]] = {"world": WorldSection, "rules": RulesSection, "segments": SegmentSpec, "cells": CellSpec}
_EVENT_MODELS: dict[str, type[BaseModel]] = dict(zip(EVENT_KINDS, (FatigueEvent, LaunchEvent, ShockEvent, WeeklyEvent)))


def _where(loc: tuple[Any, ...]) -> str:
    if not loc:
        return "(top level)"
    head, *rest = loc
    if head in _ARRAYS and rest and isinstance(rest[0], int):
        text = f"[[{head}]] #{rest[0] + 1}"
        rest = rest[1:]
        if head == "events" and rest and rest[0] in EVENT_KINDS:
            rest = rest[1:]  # pydantic puts the event kind in the location; the user did not write it
        return text + (f" {'.'.join(map(str, rest))}" if rest else "")
    return f"[{head}]" + (f" {'.'.join(map(str, rest))}" if rest else "")


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    if len(loc) == 1:
        return list(ScenarioFile.model_fields)
    head = loc[0]
    if head == "events" and len(loc) > 2:
        kind = loc[2] if loc[2] in EVENT_KINDS else None
        model = _EVENT_MODELS.get(kind or "")
        return list(model.model_fields) if model else []
    model = _TABLES.get(head)
    return list(model.model_fields) if model else []


def _event_kind_problem(item: dict[str, Any], loc: tuple[Any, ...], place: str) -> str | None:
    if item["type"] == "union_tag_invalid":
        return f"{place} kind: unknown event kind {item['ctx']['tag']!r}; use one of {', '.join(EVENT_KINDS)}"
    if item["type"] == "union_tag_not_found":
        return f"{place}: every event needs a kind ({', '.join(EVENT_KINDS)})"
    return None


def _policy_key(problem: str) -> str:
    """'[budget] daily_total: …' from the policy validator → '[policy.budget] daily_total: …'."""
    if problem.startswith("[["):
        return "[[policy." + problem[2:]
    if problem.startswith("["):
        return "[policy." + problem[1:]
    return f"[policy] {problem}"


# --- building the world ---------------------------------------------------------------------------


def _check_structure(spec: ScenarioFile) -> list[str]:
    problems = []
    seen_segments: dict[tuple[str, str], int] = {}
    for i, s in enumerate(spec.segments):
        key = (s.campaign, s.segment)
        if key in seen_segments:
            problems.append(f"[[segments]] #{i + 1}: {s.campaign}/{s.segment} is already [[segments]] #{seen_segments[key] + 1}")
        seen_segments.setdefault(key, i)
    seen_cells: dict[tuple[str, str, str], int] = {}
    for i, c in enumerate(spec.cells):
        key = (c.campaign, c.segment, c.creative)
        if key in seen_cells:
            problems.append(f"[[cells]] #{i + 1}: {'/'.join(key)} is already [[cells]] #{seen_cells[key] + 1}")
        seen_cells.setdefault(key, i)
        if (c.campaign, c.segment) not in seen_segments:
            problems.append(f"[[cells]] #{i + 1}: segment {c.campaign}/{c.segment} is not declared in [[segments]]; add it with its saturation_spend")
    with_cells = {(c.campaign, c.segment) for c in spec.cells}
    for i, s in enumerate(spec.segments):
        if (s.campaign, s.segment) not in with_cells:
            problems.append(f"[[segments]] #{i + 1}: {s.campaign}/{s.segment} has no [[cells]]; add its creatives or remove it")
    return problems


def _events(spec: ScenarioFile, campaign: np.ndarray, segment: np.ndarray, creative: np.ndarray) -> tuple[Events, list[str]]:
    n = len(creative)
    launch = np.zeros(n, dtype=int)
    launched_by = np.full(n, -1)
    fatigue = np.zeros(n)
    shock_day, shock_factor, weekly_amplitude, weekly_phase = [], [], [], []
    problems = []
    for i, event in enumerate(spec.events):
        hit = event.matches(campaign, segment, creative)
        if not hit.any():
            problems.append(f"[[events]] #{i + 1}: the {event.kind} event matches no cell ({event.label}); check the names against [[cells]]")
            continue
        if isinstance(event, FatigueEvent):
            fatigue[hit] += 1.0 / event.half_life_visits
        elif isinstance(event, LaunchEvent):
            twice = np.flatnonzero(hit & (launched_by >= 0))
            if len(twice):
                j = twice[0]
                problems.append(
                    f"[[events]] #{i + 1}: {campaign[j]}/{segment[j]}/{creative[j]} is already launched by [[events]] #{launched_by[j] + 1}; "
                    "a cell launches once"
                )
            launch[hit] = event.day
            launched_by[hit] = i
        elif isinstance(event, ShockEvent):
            shock_day.append(event.day)
            shock_factor.append(np.where(hit, event.factor, 1.0))
        else:
            weekly_amplitude.append(np.where(hit, event.amplitude, 0.0))
            weekly_phase.append(event.phase)
    if not (launch == 0).any():
        problems.append("[[events]]: every cell is launched after day 0; at least one creative must exist from the start")
    events = Events(
        launch_day=launch,
        fatigue_per_visit=fatigue,
        shock_day=np.array(shock_day, dtype=int),
        shock_factor=np.array(shock_factor).reshape(len(shock_day), n),
        weekly_amplitude=np.array(weekly_amplitude).reshape(len(weekly_phase), n),
        weekly_phase=np.array(weekly_phase, dtype=float),
    )
    return events, problems


def scenario_from_dict(data: dict[str, Any], *, source: str = "scenario", name: str = "scenario") -> Scenario:
    """Validate a scenario given as nested dicts (as parsed from TOML) and build its world."""
    try:
        spec = ScenarioFile.model_validate(data)
    except ValidationError as error:
        raise InputError(validation_problems(error, _where, _known_keys, _event_kind_problem), source=source) from None
    problems = _check_structure(spec)
    if problems:
        raise InputError(problems, source=source)
    try:
        policy = policy_from_dict(spec.policy, source="policy")
    except InputError as error:
        raise InputError([_policy_key(p) for p in error.problems], source=source) from None
    if policy.estimate.exposure == "impressions":
        raise InputError(
            "[policy.estimate] exposure: a simulated world draws visits, not impressions; set exposure = \"visits\" (or leave it out)",
            source=source,
        )
    campaign = np.array([c.campaign for c in spec.cells])
    segment = np.array([c.segment for c in spec.cells])
    creative = np.array([c.creative for c in spec.cells])
    segment_of = {(s.campaign, s.segment): i for i, s in enumerate(spec.segments)}
    events, problems = _events(spec, campaign, segment, creative)
    if problems:
        raise InputError(problems, source=source)
    world = World(
        campaign=tuple(campaign.tolist()),
        segment=tuple(segment.tolist()),
        creative=tuple(creative.tolist()),
        segment_index=np.array([segment_of[(c.campaign, c.segment)] for c in spec.cells]),
        saturation_spend=np.array([s.saturation_spend for s in spec.segments], dtype=float),
        conversion_rate=np.array([c.conversion_rate for c in spec.cells]),
        cost_per_visit=np.array([c.cost_per_visit for c in spec.cells]),
        basket=np.array([c.basket for c in spec.cells]),
        basket_cv=spec.world.basket_cv,
        events=events,
        rate_noise=spec.world.rate_noise,
        segment_rate_noise=spec.world.segment_rate_noise,
    )
    return Scenario(
        name=name,
        source=source,
        world=world,
        policy=policy,
        days=spec.world.days,
        warmup_days=spec.world.warmup_days,
        seed=spec.world.seed,
        start_date=spec.world.start_date,
        target_cpa=spec.rules.target_cpa,
        target_roas=spec.rules.target_roas,
    )


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file; errors name the file and the key."""
    path = Path(path)
    data = read_toml(path, "scenario (see scenarios/)")
    return scenario_from_dict(data, source=str(path), name=path.stem)
