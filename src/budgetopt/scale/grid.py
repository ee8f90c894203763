"""The sweep file (GRID.toml): which scenarios, how many replications, and the policy settings to try.

```toml
[sweep]
scenarios = ["demo.toml"]      # scenario files, relative to this file
reps = 10                      # replications per grid point
days = 20                      # optional: policy days (default: each scenario's [world] days)
seed = 7                       # optional: seed (default: each scenario's [world] seed)

[grid.segments]                # any key of a budget policy's [budget], [segments], [estimate], [decide]
exploration = [0.0, 0.05, 0.15]
[grid.decide]
disable_below_p_best = [0.005, 0.01, 0.05]
```

The grid points are every scenario × every combination of the listed values (scenarios outermost,
then the keys in the file's order, the last varying fastest). A point's policy is its scenario's
`[policy]` with the point's values put in. Validated like every input: unknown keys are errors (with
a "did you mean"), every value is checked by the policy's own models, and every message names the
file and the key (`[grid.segments] exploration #3: …`).

Every point of a scenario is simulated with the same seed, so the settings are compared on the
same draws (common random numbers): differences between points are the settings', not luck's.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError, create_model

from budgetopt.config import (
    SECTIONS,
    Policy,
    StrictModel,
    policy_from_dict,
    read_toml,
    rule_message,
    validation_problems,
)
from budgetopt.errors import InputError
from budgetopt.simulate.scenario import Scenario, load_scenario

#: what a grid point simulates: this project's policy, and the oracle that share_of_oracle needs
SWEEP_POLICIES = ("budgetopt", "oracle")
#: bumped when a point's file or meaning changes, so older point files are recomputed
POINT_FORMAT = 2
#: policy sections a grid may vary ([[bounds]] is a list of tables, not settings)
GRID_SECTIONS = tuple(name for name in SECTIONS if name != "bounds")


class SweepSection(StrictModel):
    scenarios: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1, description="Scenario TOML files, relative to the grid file.")
    reps: int = Field(10, ge=1, description="Replications per grid point.")
    days: int | None = Field(None, ge=1, description="Policy days after the warm-up (default: each scenario's [world] days).")
    seed: int | None = Field(None, ge=0, description="Seed of every point (default: each scenario's [world] seed).")


_Values = Annotated[list[Any], Field(min_length=1)]
#: [grid.<section>]: the policy section's keys, each a list of values to try
GRID_TABLES: dict[str, type[BaseModel]] = {
    name: create_model(
        f"Grid{name.title()}", __base__=StrictModel, **{key: (_Values | None, None) for key in SECTIONS[name].model_fields}
    )
    for name in GRID_SECTIONS
}
GridSection = create_model("GridSection", __base__=StrictModel, **{name: (GRID_TABLES[name] | None, None) for name in GRID_SECTIONS})


class GridFile(StrictModel):
    sweep: SweepSection
    grid: GridSection = GridSection()  # type: ignore[valid-type]


@dataclass(frozen=True)
class GridPoint:
    """One scenario under one combination of settings."""

    number: int  # 1-based, in grid order
    scenario: Scenario  # with the point's policy, days and seed
    scenario_index: int
    settings: dict[str, Any]  # key → value, e.g. {"exploration": 0.05}, in the grid's key order
    key: str  # identifies the point's result on disk (scenario file, settings, reps, days, seed)

    @property
    def label(self) -> str:
        shown = ", ".join(f"{key} = {_show(value)}" for key, value in self.settings.items())
        return f"{self.scenario.name}: {shown}" if shown else self.scenario.name


@dataclass(frozen=True)
class Grid:
    source: str
    reps: int
    keys: tuple[tuple[str, str], ...]  # (section, key) in file order
    scenarios: tuple[Scenario, ...]
    points: tuple[GridPoint, ...]

    @property
    def setting_names(self) -> list[str]:
        return [key for _, key in self.keys]


def _show(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (str, list, tuple)) else f"{value:g}" if isinstance(value, float) else str(value)


# --- messages -------------------------------------------------------------------------------------



def _where(loc: tuple[Any, ...]) -> str:
    if not loc:
        return "(top level)"
    if loc[0] == "grid" and len(loc) == 2 and loc[1] not in GRID_SECTIONS:
        return f"[grid] {loc[1]}"
    if loc[0] == "grid" and len(loc) >= 2:
        text = f"[grid.{loc[1]}]"
        rest = loc[2:]
    else:
        text, rest = f"[{loc[0]}]", loc[1:]
    if rest and isinstance(rest[-1], int) and len(rest) >= 2:  # a list item: "scenarios #2"
        return f"{text} {'.'.join(map(str, rest[:-1]))} #{rest[-1] + 1}"
    return text + (f" {'.'.join(map(str, rest))}" if rest else "")


def _known(loc: tuple[Any, ...]) -> list[str]:
    if len(loc) == 1:
        return list(GridFile.model_fields)
    if loc[0] == "sweep":
        return list(SweepSection.model_fields)
    if loc[0] == "grid" and len(loc) == 2:
        return list(GRID_SECTIONS)
    if loc[0] == "grid" and len(loc) == 3 and loc[1] in GRID_TABLES:
        return list(GRID_TABLES[loc[1]].model_fields)
    return []


def _grid_problem(item: dict[str, Any], loc: tuple[Any, ...], place: str) -> str | None:
    """A sweep file's own messages: where a misplaced key belongs, and that grid values are lists."""
    if item["type"] == "extra_forbidden" and loc[0] == "grid" and len(loc) == 2:
        if loc[1] == "bounds":
            return f"{place}: unknown key ([[bounds]] cannot be swept; put the bounds in each scenario's [policy])"
        owner = next((name for name, table in GRID_TABLES.items() if loc[1] in table.model_fields), None)
        if owner:
            return f"{place}: unknown key (a policy key goes under its section: [grid.{owner}] {loc[1]} = [...])"
    if item["type"] in ("list_type", "too_short") and loc[0] == "grid" and len(loc) == 3:
        return f"{place}: give a list of the values to try, e.g. {loc[-1]} = [a, b], got {item.get('input')!r}"
    return None


# --- building the points --------------------------------------------------------------------------


def _value_problems(section: str, key: str, values: list[Any]) -> list[tuple[int, str]]:
    """(place, message) of each value the key's own rules reject (type, range, the field's validators)."""
    model = SECTIONS[section]
    problems = []
    for i, value in enumerate(values):
        try:
            # the key's field on its own: the other keys of the section are left out, and errors about them ignored
            model.model_validate({key: value})
        except ValidationError as error:
            for item in error.errors():
                if tuple(item["loc"])[:1] == (key,):
                    problems.append((i, rule_message(item)))
    return problems


def _point_policy(base: dict[str, Any], settings: dict[tuple[str, str], Any]) -> Policy:
    data = {section: dict(values) if isinstance(values, dict) else values for section, values in base.items()}
    for (section, key), value in settings.items():
        data[section] = {**data.get(section, {}), key: value}
    return policy_from_dict(data, source="policy")


def _base_policy(scenario: Scenario) -> dict[str, Any]:
    """The scenario's policy as the nested dicts a policy file parses to (round-trips through validation)."""
    return scenario.policy.model_dump()


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _point_key(digest: str, settings: dict[tuple[str, str], Any], reps: int, days: int, seed: int) -> str:
    identity = {
        "format": POINT_FORMAT,
        "scenario_sha256": digest,
        "settings": [[section, key, value] for (section, key), value in settings.items()],
        "reps": reps,
        "days": days,
        "seed": seed,
        "policies": list(SWEEP_POLICIES),
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=list).encode()).hexdigest()[:20]


def _load_scenarios(path: Path, sweep: SweepSection) -> list[tuple[Scenario, str]]:
    scenarios, names = [], {}
    for i, name in enumerate(sweep.scenarios):
        scenario_path = (path.parent / name).resolve() if not Path(name).is_absolute() else Path(name)
        if not scenario_path.is_file():
            raise InputError(f"[sweep] scenarios #{i + 1}: no scenario file at {scenario_path}; paths are relative to the grid file", source=str(path))
        scenario = load_scenario(scenario_path).with_overrides(days=sweep.days, seed=sweep.seed)
        if scenario.name in names:
            raise InputError(
                f"[sweep] scenarios #{i + 1}: another scenario is already named {scenario.name!r} (#{names[scenario.name] + 1}); "
                "sweep.csv tells them apart by file name, so rename one",
                source=str(path),
            )
        names[scenario.name] = i
        scenarios.append((scenario, _file_digest(scenario_path)))
    return scenarios


def grid_from_dict(data: dict[str, Any], path: Path) -> Grid:
    """Validate a parsed grid file and build its points (scenario paths are relative to `path`)."""
    source = str(path)
    try:
        spec = GridFile.model_validate(data)
    except ValidationError as error:
        raise InputError(validation_problems(error, _where, _known, _grid_problem), source=source) from None
    raw_grid = data.get("grid", {})
    keys = tuple((section, key) for section, table in raw_grid.items() for key in table)
    scenarios = _load_scenarios(path, spec.sweep)

    # each value on its own first, so the message names the grid key and the value's place; rules
    # between keys (min_total ≤ daily_total) are checked on every combination below
    problems = [f"[grid.{section}] {key} #{i + 1}: {problem}" for section, key in keys for i, problem in _value_problems(section, key, raw_grid[section][key])]
    if problems:
        raise InputError(problems, source=source)

    points: list[GridPoint] = []
    for index, (scenario, digest) in enumerate(scenarios):
        base = _base_policy(scenario)
        for combination in itertools.product(*(raw_grid[section][key] for section, key in keys)):
            settings = dict(zip(keys, combination))
            try:
                policy = _point_policy(base, settings)
            except InputError as error:
                shown = ", ".join(f"{key} = {_show(value)}" for (_, key), value in settings.items())
                problems.append(f"[grid] the point {shown} on scenario {scenario.name}: {error.problems[0]}")
                continue
            # the validated values (7 → 7.0 for a float key), so a point's identity does not depend on how it was typed
            settings = {(section, key): getattr(getattr(policy, section), key) for section, key in keys}
            point_scenario = replace(scenario, policy=policy)
            points.append(GridPoint(
                number=len(points) + 1,
                scenario=point_scenario,
                scenario_index=index,
                settings={key: value for (_, key), value in settings.items()},
                key=_point_key(digest, settings, spec.sweep.reps, point_scenario.days, point_scenario.seed),
            ))
    if problems:
        raise InputError(problems, source=source)
    return Grid(source=source, reps=spec.sweep.reps, keys=keys, scenarios=tuple(s for s, _ in scenarios), points=tuple(points))


def load_grid(path: str | Path) -> Grid:
    """Read and validate a sweep file; errors name the file and the key."""
    return grid_from_dict(read_toml(path, "sweep"), Path(path))
