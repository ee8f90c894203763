"""The budget policy file (TOML) as validated, typed models.

Each field's description is the documentation of that key; the README's policy
reference is checked against these descriptions by the tests.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import tomllib
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from budgetopt.errors import InputError

#: the largest size of a non-integer number in an input file (a budget, a bound, a basket, a half-life, …): far
#: beyond any real account, and far below where float64 arithmetic overflows (the log's rows have the same limit)
MAX_NUMBER = 1e12

#: the seed of the posterior draws when none is given: the CLI's --seed default and the API's, so both give the same numbers
DEFAULT_SEED = 7


def _members(annotation: Any) -> tuple[Any, ...]:
    """The types a field's annotation admits at the top level (`float | None` → float, NoneType)."""
    return get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else (annotation,)


def _number_kinds(annotation: Any) -> tuple[bool, bool, bool]:
    """(a number itself, a list or tuple of numbers, a float): where a boolean is refused, a float must be
    finite, and a float key's number at most MAX_NUMBER."""
    members = _members(annotation)
    scalar = bool({int, float} & set(members)) and bool not in members
    elements = [a for m in members if get_origin(m) in (list, tuple) for a in get_args(m) if a is not Ellipsis]
    return scalar, bool({int, float} & set(elements)) and bool not in elements, float in members


def _allows_inf(field: Any) -> bool:
    """A key may be inf where its description says what inf means ("inf = no limit"), or inf is its default."""
    default = field.default
    return "inf =" in (field.description or "") or (isinstance(default, float) and default == math.inf)


class NotANumber:
    """What stands, during validation, for a value pydantic would take for a number but is not one here (a
    boolean: true is not 1; nan; an infinity the key gives no meaning to): the key's own validation then fails,
    at the key, and the message says why."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __repr__(self) -> str:
        return self.message


def _screened(value: Any, allow_inf: bool, bounded: bool = True) -> Any:
    """`value`, or a NotANumber standing for it; `bounded`: its size at most MAX_NUMBER."""
    if isinstance(value, bool):
        return NotANumber(f"expected a number, got a boolean ({str(value).lower()})")
    if isinstance(value, float) and not math.isfinite(value) and not (allow_inf and value == math.inf):
        shown = "nan" if math.isnan(value) else ("-inf" if value < 0 else "inf")
        return NotANumber(f"expected {'a number or inf' if allow_inf else 'a finite number'}, got {shown}")
    if bounded and isinstance(value, (int, float)) and math.isfinite(value) and abs(value) > MAX_NUMBER:
        return NotANumber(f"expected a number of at most 1e12{' (or inf)' if allow_inf else ''}, beyond any real account, got {value:g}")
    return value


class StrictModel(BaseModel):
    """Every input file's tables: unknown keys are errors (a typo is never ignored), values are frozen,
    and a number is a number: a boolean is refused where a number is expected (pydantic would read
    true as 1), and so are nan and inf, except inf where the key's description says what it means
    ("inf = no limit") or inf is its default, and a float key's number above MAX_NUMBER (1e12) in size.
    Ints stay accepted for float keys (5000 is 5000.0)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _numbers_are_numbers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        screened = dict(data)
        for key, value in data.items():
            field = cls.model_fields.get(key) if isinstance(key, str) else None
            if field is None:
                continue
            scalar, elements, real = _number_kinds(field.annotation)
            if scalar:
                screened[key] = _screened(value, _allows_inf(field), bounded=real)
            elif elements and isinstance(value, (list, tuple)):
                screened[key] = [_screened(item, False) for item in value]
        return screened


#: a [budget] with neither a day's total nor a period's: what it said when daily_total was required
MISSING_TOTAL = "[budget] daily_total: required key is missing"


class BudgetSection(StrictModel):
    daily_total: float | None = Field(
        None, gt=0, description="Cap on tomorrow's total spend, currency per day (required unless a period is given; with one, a cap on each day)."
    )
    min_total: float = Field(0.0, ge=0, description="Floor on tomorrow's total spend (committed spend), currency per day.")
    currency: str = Field("EUR", min_length=1, max_length=8, description="Currency code shown in tables and reports.")
    margin_rate: float = Field(1.0, gt=0, le=1, description="Product margin on revenue: gross margin = revenue × margin_rate − spend.")
    max_daily_change: float | None = Field(
        0.30, ge=0, description="A segment's budget moves at most ± this fraction of its previous spend (new segments exempt); inf = no limit."
    )
    objective: Literal["margin", "revenue", "conversions", "min_spend"] = Field(
        "margin", description="What the plan maximises: gross margin, revenue or conversions; \"min_spend\": the least spend that meets [targets]."
    )
    period_total: float | None = Field(
        None, gt=0, description="Budget of the whole period (a month, a flight), currency; the plan paces what remains of it over the days left."
    )
    period_start: dt.date | None = Field(None, description="First day of the period (yyyy-mm-dd); spend logged from this day on counts against period_total.")
    period_end: dt.date | None = Field(None, description="Last day of the period (yyyy-mm-dd), included.")
    overdelivery: float = Field(
        1.0, ge=1, le=2, description="Safety factor for platforms that overspend: the plan spreads what remains ÷ this over the days left."
    )
    risk_aversion: float = Field(
        0.0, ge=0, description="λ: maximise expected margin − λ × the expected shortfall of the worst 5 % of posterior draws (0 = expected margin only)."
    )

    @model_validator(mode="after")
    def _floor_below_cap(self) -> BudgetSection:
        period = (self.period_total, self.period_start, self.period_end)
        if any(v is not None for v in period) and any(v is None for v in period):
            raise ValueError("a period needs period_total, period_start and period_end together; give all three or none")
        if self.daily_total is None and self.period_total is None:
            raise ValueError("give daily_total (a day's budget), or period_total with period_start and period_end (a period's)")
        if self.period_start is not None and self.period_end is not None and self.period_end < self.period_start:
            raise ValueError(f"period_end ({self.period_end}) is before period_start ({self.period_start})")
        if self.daily_total is not None and self.min_total > self.daily_total:
            raise ValueError(f"min_total ({self.min_total:g}) is above daily_total ({self.daily_total:g}); lower min_total or raise daily_total")
        return self

    @property
    def has_period(self) -> bool:
        return self.period_total is not None


class CellMatch(StrictModel):
    """Matches cells by campaign / segment / creative; an omitted key matches any (bounds, scenario events)."""

    campaign: str | None = Field(None, min_length=1, description="Match cells of this campaign (omitted = any).")
    segment: str | None = Field(None, min_length=1, description="Match cells of this segment (omitted = any).")
    creative: str | None = Field(None, min_length=1, description="Match cells of this creative (omitted = any).")

    def matches(self, campaign: np.ndarray, segment: np.ndarray, creative: np.ndarray) -> np.ndarray:
        """(cells,) bool: the cells this matches."""
        hit = np.ones(len(creative), dtype=bool)
        for wanted, values in ((self.campaign, campaign), (self.segment, segment), (self.creative, creative)):
            if wanted is not None:
                hit &= np.asarray(values) == wanted
        return hit

    @property
    def label(self) -> str:
        parts = [f"{k} '{v}'" for k, v in (("campaign", self.campaign), ("segment", self.segment), ("creative", self.creative)) if v is not None]
        return " / ".join(parts) if parts else "all cells"


class Bound(CellMatch):
    min: float = Field(0.0, ge=0, description="The matched cells' planned spend sums to at least this, currency per day.")
    max: float = Field(math.inf, ge=0, description="The matched cells' planned spend sums to at most this, currency per day.")

    @model_validator(mode="after")
    def _min_below_max(self) -> Bound:
        if self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is above max ({self.max:g})")
        return self


class SegmentsSection(StrictModel):
    min_spend: float = Field(0.0, ge=0, description="Floor for every segment's budget, currency per day.")
    max_spend: float = Field(math.inf, gt=0, description="Cap for every segment's budget (capacity), currency per day; default: no cap.")
    exploration: float = Field(
        0.05, ge=0, le=1, description="Share of the budget kept for uncertain segments (0 = pure exploitation)."
    )

    @model_validator(mode="after")
    def _floor_below_cap(self) -> SegmentsSection:
        if self.min_spend > self.max_spend:
            raise ValueError(f"min_spend ({self.min_spend:g}) is above max_spend ({self.max_spend:g})")
        return self


class EstimateSection(StrictModel):
    half_life_days: float = Field(14.0, gt=0, description="Older days weigh less: a day this old counts half; inf = no decay.")
    pooling: Literal["none", "segment", "campaign"] = Field(
        "segment", description="What a cell borrows strength from: none, its segment's creatives, or its campaign's cells."
    )
    prior_alpha: float = Field(1.0, gt=0, description="Beta prior of the conversion rate when pooling = \"none\" (pseudo-conversions).")
    prior_beta: float = Field(1.0, gt=0, description="Beta prior of the conversion rate when pooling = \"none\" (pseudo-non-conversions).")
    exposure: Literal["visits", "impressions"] = Field(
        "visits", description="What a conversion rate is per; \"impressions\" for view-through exports (needs an impressions column)."
    )
    conversion_lag: tuple[float, ...] = Field(
        (), description="Share of final conversions reported after 1, 2, … days; [] = none."
    )
    value_per_conversion: float | None = Field(
        None, gt=0,
        description="Value of one conversion, currency, for logs without a revenue column (lead generation): revenue = conversions × this.",
    )

    @field_validator("conversion_lag")
    @classmethod
    def _lag_profile(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not (0 < v <= 1) for v in value):
            raise ValueError("every share must be in (0, 1]")
        if any(b < a for a, b in zip(value, value[1:])):
            raise ValueError("shares must not decrease (they are cumulative)")
        return value


class DecideSection(StrictModel):
    metric: Literal["margin_per_euro", "conversion_rate"] = Field(
        "margin_per_euro", description="What creatives are compared on within their segment."
    )
    disable_below_p_best: float = Field(0.01, ge=0, lt=1, description="Disable a creative whose chance to be best in its segment is below this.")
    min_visits_before_disable: float = Field(300, ge=0, description="Never judge a creative before it has this many visits (impressions with [estimate] exposure = \"impressions\").")
    winner_expected_loss: float = Field(
        0.002, ge=0, description="Declare a winner when choosing the leader risks less than this (metric units)."
    )
    min_share: float = Field(0.05, ge=0, le=1, description="Each creative still under test keeps at least this share of its segment.")


class CampaignTarget(StrictModel):
    campaign: str = Field(min_length=1, description="The campaign this target is for.")
    min_roas: float = Field(gt=0, description="Its cells' expected revenue ÷ spend is at least this, every day.")


class TargetsSection(StrictModel):
    min_roas: float | None = Field(None, gt=0, description="The plan's expected revenue ÷ spend is at least this, every day (omitted = no target).")
    max_cpa: float | None = Field(None, gt=0, description="The plan's spend ÷ expected conversions is at most this, currency (omitted = no target).")
    min_conversions: float | None = Field(None, gt=0, description="The plan buys at least this many expected conversions per day (omitted = no target).")
    campaigns: tuple[CampaignTarget, ...] = Field((), description="Per-campaign min_roas, as [[targets.campaigns]] tables.")

    @property
    def any(self) -> bool:
        return self.min_roas is not None or self.max_cpa is not None or self.min_conversions is not None or bool(self.campaigns)


class Policy(StrictModel):
    budget: BudgetSection
    bounds: tuple[Bound, ...] = ()
    segments: SegmentsSection = SegmentsSection()
    estimate: EstimateSection = EstimateSection()
    decide: DecideSection = DecideSection()
    targets: TargetsSection = TargetsSection()


SECTIONS: dict[str, type[BaseModel]] = {
    "budget": BudgetSection,
    "bounds": Bound,
    "segments": SegmentsSection,
    "estimate": EstimateSection,
    "decide": DecideSection,
    "targets": TargetsSection,
    "targets.campaigns": CampaignTarget,
}


def _key_path(loc: tuple[Any, ...]) -> str:
    if not loc:
        return "(top level)"
    head, *rest = loc
    if head == "bounds" and rest and isinstance(rest[0], int):
        return f"[[bounds]] #{rest[0] + 1}" + (f" {rest[1]}" if len(rest) > 1 else "")
    if head == "targets" and len(rest) > 1 and rest[0] == "campaigns" and isinstance(rest[1], int):
        return f"[[targets.campaigns]] #{rest[1] + 1}" + (f" {rest[2]}" if len(rest) > 2 else "")
    return f"[{head}]" + (f" {'.'.join(map(str, rest))}" if rest else "")


def _known_policy_keys(loc: tuple[Any, ...]) -> list[str]:
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

