"""The policy's sections, one model each: [budget], [[bounds]], [segments], [estimate], [decide],
[guardrails], [targets]. Each field's description is the documentation of that key."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

import numpy as np
from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from budgetopt.config.base import StrictModel

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
    probe: float = Field(
        0.5, ge=0, le=1,
        description="A segment whose value per euro is still uncertain (about 10 conversions or fewer), whose whole log holds fewer than 11 conversions (a segment never measured, not one measured and then changed), and whose log does not show a loss keeps at least this share of an even split of the total (0 = no probe). A loss: a segment that earned halfway (in log terms) between break-even and what a unit of budget earns at the account's margin (break-even where the total does not bind) would show as few conversions less than 10 % of the time.",
    )
    optimism: float = Field(
        0.5, ge=0, le=3,
        description="The allocation values each creative at its posterior mean × (1 + optimism × its value per euro's posterior coefficient of variation, at most 2): thin evidence keeps its budget until it shows a loss (0 = the mean).",
    )

    @model_validator(mode="after")
    def _floor_below_cap(self) -> SegmentsSection:
        if self.min_spend > self.max_spend:
            raise ValueError(f"min_spend ({self.min_spend:g}) is above max_spend ({self.max_spend:g})")
        return self


class EstimateSection(StrictModel):
    half_life_days: float | Literal["auto"] = Field(
        "auto", description="Older days weigh less: a day this old counts half; inf = no decay; \"auto\" = learned per segment from the log."
    )
    wear_out: bool = Field(True, description="Forecast each creative's rate from how much it has been shown (ads tire as their audience sees them again).")
    shifts: bool = Field(
        True, description="Estimate a step in the conversion rate of a whole campaign (shown by two of its segments) or of the whole account (by two of its campaigns), creatives alike, and count older days at the new level instead of reading it as news about the creatives; the plan warns of each."
    )
    dispersion: bool = Field(
        True, description="Count each day's conversions as the evidence they are when creatives' daily rates vary beyond chance (the variation learned from the log's consecutive days; a busy day then weighs at most about 1 / variation² conversions)."
    )
    weekday: bool = Field(
        True, description="Forecast tomorrow's rates for its weekday: each segment's weekday effects, fitted from the log and shrunk towards none (14 days at least), also shape a period's days."
    )
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

    @field_validator("half_life_days", mode="before")
    @classmethod
    def _positive_half_life(cls, value: Any) -> Any:
        """One message for both forms (a number of days or "auto"), not one per member of the union."""
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if value != "auto" and not (number and value > 0):
            raise ValueError("must be a positive number of days, inf, or \"auto\"")
        return value

    @property
    def fixed_half_life(self) -> float | None:
        """The half-life in days, or None when it is learned from the log."""
        return None if self.half_life_days == "auto" else float(self.half_life_days)

    @property
    def time_model(self) -> dict[str, Any]:
        """The History's model of time, as `build_history` and `history_from_rows` take it: one place, so `plan`
        and the simulator's budgetopt cannot read the log differently."""
        return dict(half_life_days=self.fixed_half_life, wear_out=self.wear_out, weekday=self.weekday, shifts=self.shifts, dispersion=self.dispersion)

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
    retest_after_days: float | None = Field(
        None, ge=1,
        description="Test a creative again once it has been off (disabled, or shown off in the log) this many days; unset = never.",
    )
    challenger_p_best: float = Field(
        0.25, ge=0, le=1,
        description="A judged creative other than its segment's leader gets traffic only while its chance to be best is at least this; below, it rests (0 = every creative under test gets traffic).",
    )
    draws: int = Field(
        2000, ge=100, le=100_000,
        description="Most posterior draws behind a creative's chance to be best where it is sampled: 500 first, more "
        "only for segments whose verdict is near a threshold (p_best_se in decisions.csv is the Monte Carlo error).",
    )


class GuardrailsSection(StrictModel):
    """Caps that stop a bad day from doing damage: bounds of the allocation (the plan stays optimal under them)
    and limits on what the decision engine may switch off. A change a guardrail stops is named with it."""

    max_increase: float = Field(math.inf, ge=0, description="Largest increase of a segment's budget in one day, currency; inf = no limit.")
    max_increase_percent: float = Field(
        math.inf, ge=0, description="Largest increase of a segment's budget in one day, % of its budget before (new segments exempt); inf = no limit."
    )
    max_decrease: float = Field(math.inf, ge=0, description="Largest decrease of a segment's budget in one day, currency; inf = no limit.")
    max_decrease_percent: float = Field(100.0, ge=0, le=100, description="Largest decrease of a segment's budget in one day, % of its budget before; 100 = no limit.")
    keep_last_creative: bool = Field(True, description="Never pause a segment's last active creative.")
    max_paused_per_day: int | None = Field(
        None, ge=0, description="Most creatives the engine pauses in one plan (the surest losers first); omitted = no limit."
    )
    freeze: tuple[CellMatch, ...] = Field(
        (), description="[[guardrails.freeze]] tables (campaign / segment / creative): what the engine may not touch; a frozen "
        "segment's budget stays as before, a frozen creative is never paused.",
    )


class CampaignTarget(StrictModel):
    campaign: str = Field(min_length=1, description="The campaign this target is for.")
    min_roas: float = Field(gt=0, description="Its cells' expected revenue ÷ spend is at least this, every day.")


class TargetsSection(StrictModel):
    min_roas: float | None = Field(None, gt=0, description="The plan's expected revenue ÷ spend is at least this, every day (omitted = no target).")
    max_cpa: float | None = Field(None, gt=0, description="The plan's spend ÷ expected conversions is at most this, currency (omitted = no target).")
    min_conversions: float | None = Field(None, gt=0, description="The plan buys at least this many expected conversions per day (omitted = no target).")
    campaigns: tuple[CampaignTarget, ...] = Field((), description="Per-campaign min_roas, as [[targets.campaigns]] tables.")
    caution: float = Field(
        1.0, ge=0, le=3, description="Targets are checked on each creative's value per euro less this many posterior sds (0 = the posterior mean, which a realised outcome misses about half the time).",
    )

    @property
    def any(self) -> bool:
        return self.min_roas is not None or self.max_cpa is not None or self.min_conversions is not None or bool(self.campaigns)
