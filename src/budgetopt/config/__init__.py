"""The budget policy file (TOML) as validated, typed models.

Each field's description is the documentation of that key; the README's policy
reference is checked against these descriptions by the tests.
"""

from __future__ import annotations

import datetime as dt
import difflib
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from budgetopt.config.base import DEFAULT_SEED, MAX_NUMBER, NotANumber, StrictModel
from budgetopt.config.sections import (
    MISSING_TOTAL,
    Bound,
    BudgetSection,
    CampaignTarget,
    CellMatch,
    DecideSection,
    EstimateSection,
    GuardrailsSection,
    SegmentsSection,
    TargetsSection,
)
from budgetopt.errors import InputError

__all__ = [
    "DEFAULT_SEED", "MAX_NUMBER", "MISSING_TOTAL", "Bound", "BudgetSection", "CampaignTarget", "CellMatch", "DecideSection",
    "EstimateSection", "GuardrailsSection", "NotANumber", "Policy", "SegmentsSection", "StrictModel", "TargetsSection",
    "load_policy", "policy_from_dict", "policy_reference", "read_toml", "rule_message", "validation_problems",
]


class Policy(StrictModel):
    budget: BudgetSection
    bounds: tuple[Bound, ...] = ()
    segments: SegmentsSection = SegmentsSection()
    estimate: EstimateSection = EstimateSection()
    decide: DecideSection = DecideSection()
    guardrails: GuardrailsSection = GuardrailsSection()
    targets: TargetsSection = TargetsSection()


SECTIONS: dict[str, type[BaseModel]] = {
    "budget": BudgetSection,
    "bounds": Bound,
    "segments": SegmentsSection,
    "estimate": EstimateSection,
    "decide": DecideSection,
    "guardrails": GuardrailsSection,
    "targets": TargetsSection,
    "targets.campaigns": CampaignTarget,
}


def _key_path(loc: tuple[Any, ...]) -> str:
    if not loc:
        return "(top level)"
    head, *rest = loc
    if head == "bounds" and rest and isinstance(rest[0], int):
        return f"[[bounds]] #{rest[0] + 1}" + (f" {rest[1]}" if len(rest) > 1 else "")
    if head == "guardrails" and len(rest) > 1 and rest[0] == "freeze" and isinstance(rest[1], int):
        return f"[[guardrails.freeze]] #{rest[1] + 1}" + (f" {rest[2]}" if len(rest) > 2 else "")
    if head == "targets" and len(rest) > 1 and rest[0] == "campaigns" and isinstance(rest[1], int):
        return f"[[targets.campaigns]] #{rest[1] + 1}" + (f" {rest[2]}" if len(rest) > 2 else "")
    return f"[{head}]" + (f" {'.'.join(map(str, rest))}" if rest else "")


def _known_policy_keys(loc: tuple[Any, ...]) -> list[str]:
    if tuple(loc[:2]) == ("guardrails", "freeze") and len(loc) > 3:
        return list(CellMatch.model_fields)
    section = SECTIONS.get(str(loc[0])) if len(loc) > 1 else Policy
    if loc[:2] == ("targets", "campaigns") and len(loc) > 3:
        section = CampaignTarget
    return list(section.model_fields) if section else []


Special = Callable[[dict[str, Any], tuple[Any, ...], str], "str | None"]


def validation_problems(
    error: ValidationError,
    where: Callable[[tuple[Any, ...]], str],
    known_keys: Callable[[tuple[Any, ...]], list[str]],
    special: Special | None = None,
) -> list[str]:
    """One line per pydantic error, in the words of the file: "<where>: unknown key (did you mean
    …?)", "required key is missing", or the rule's message with the value given.

    where: how the file names a location; known_keys: the keys allowed beside an unknown one;
    special(item, loc, place): the file's own message for an error, or None for the usual one.
    """
    problems = []
    for item in error.errors():
        loc = tuple(item["loc"])
        place = where(loc)
        message = special(item, loc, place) if special else None
        if message is not None:
            problems.append(message)
        elif item["type"] == "extra_forbidden":
            known = known_keys(loc)
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else (f" (known keys: {', '.join(known)})" if known else "")
            problems.append(f"{place}: unknown key{hint}")
        elif item["type"] == "missing":
            problems.append(f"{place}: required key is missing")
        else:
            problems.append(f"{place}: {rule_message(item)}")
    return problems


def rule_message(item: Any) -> str:
    """A broken rule in words, with the value given (not when the message names it, nor a whole table's
    worth of values for a rule between keys, whose message names them)."""
    given = item.get("input")
    if isinstance(given, NotANumber):
        return given.message
    rule = str(item["msg"]).removeprefix("Value error, ")
    return rule if isinstance(given, dict) and item["type"] == "value_error" else f"{rule}, got {given!r}"


def policy_from_dict(data: dict[str, Any], *, source: str = "policy") -> Policy:
    """Validate a policy given as nested dicts (as parsed from TOML)."""
    budget = data.get("budget")
    no_total = isinstance(budget, dict) and "daily_total" not in budget and "period_total" not in budget
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        problems = validation_problems(error, _key_path, _known_policy_keys)
        if no_total:  # as when daily_total was required: first, whatever else is wrong with the table
            problems = [MISSING_TOTAL] + [p for p in problems if not p.startswith("[budget]: give daily_total")]
        raise InputError(problems, source=source) from None


def read_toml(path: str | Path, kind: str) -> dict[str, Any]:
    """Parse a TOML input file; a missing, unreadable or malformed one is an InputError naming it.

    kind: what the file should be, for the message ("budget policy", "scenario", …)."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"file not found; give the path of a {kind} TOML file", source=str(path)) from None
    except IsADirectoryError:
        raise InputError(f"is a folder; give the path of a {kind} TOML file", source=str(path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"not valid TOML ({error}); check the syntax around that line", source=str(path)) from None


def load_policy(path: str | Path) -> Policy:
    """Read and validate a budget policy TOML file; errors name the file and the key."""
    return policy_from_dict(read_toml(path, "budget policy"), source=str(path))


def _toml_value(value: Any) -> str:
    if value is None:
        return "(omitted)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple):
        return "[]" if not value else str(list(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def policy_reference() -> str:
    """The README's policy reference, one Markdown table row per key, from the fields' descriptions."""
    lines = ["| key | default | meaning |", "|---|---|---|"]
    for section, model in SECTIONS.items():
        for name, field in model.model_fields.items():
            default = "required" if field.is_required() else _toml_value(field.default)
            if section == "targets" and name == "campaigns":
                continue
            key = f"[[{section}]] {name}" if section in ("bounds", "targets.campaigns") else f"[{section}] {name}"
            lines.append(f"| `{key}` | `{default}` | {field.description} |")
    return "\n".join(lines)
