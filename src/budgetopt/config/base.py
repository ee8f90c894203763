"""What every policy section is built on: strict models whose numbers are screened (no booleans for numbers,
no nan, nothing beyond MAX_NUMBER), and the seed every command defaults to."""

from __future__ import annotations

import math
import types
from typing import Any, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    model_validator,
)

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
    boolean: true is not 1; nan; an infinity the key gives no meaning to), or for a boolean but is not one ("yes",
    1): the key's own validation then fails, at the key, and the message says why."""

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
    true as 1), only true or false where a boolean is (pydantic would read "yes" or 1 as true), and nan and inf, except inf where the key's description says what it means
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
            if field.annotation is bool and not isinstance(value, bool):
                screened[key] = NotANumber(f"Input should be a valid boolean, got {value!r}")  # pydantic's own words, strict
            elif scalar:
                screened[key] = _screened(value, _allows_inf(field), bounded=real)
            elif elements and isinstance(value, (list, tuple)):
                screened[key] = [_screened(item, False) for item in value]
        return screened


#: a [budget] with neither a day's total nor a period's: what it said when daily_total was required
