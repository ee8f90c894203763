"""What a plan changes in the ad account: segment budgets up or down, creatives to pause or resume.

The current state is what the account runs today: each segment's budget before the plan (the
ledger's last plan, or the log's last day: `summary["segments"][…]["before"]`) and each creative's
status (paused when the log's latest row says so, or when the ledger's last plan disabled it).
Only what changes is listed, plus the changes a guardrail stopped (a frozen segment the engine
would have moved, a creative the engine would have paused), which carry the guardrail's name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from budgetopt.data.schema import ID_COLUMNS, CellStatus
from budgetopt.plan import PlanResult

#: changes.csv's columns
CHANGE_COLUMNS = ["level", "campaign", "segment", "creative", "field", "before", "after", "change", "reason", "guardrail"]
#: currencies whose ad platforms take whole units only (no cents): Meta's "offset 1" currencies, Google's alike
WHOLE_UNIT_CURRENCIES = frozenset({"CLP", "COP", "CRC", "HUF", "IDR", "ISK", "JPY", "KRW", "PYG", "TWD", "VND"})
#: the words that mark a limit as a guardrail or a human override (the LP's labels start with them)
GUARD_MARKS = ("[guardrails]", "override ")
ACTIVE, PAUSED = "active", "paused"
Cell = tuple[str, str, str]


def currency_unit(currency: str) -> float:
    """The smallest amount an ad platform takes in `currency`: 1 for whole-unit currencies, else 0.01."""
    return 1.0 if currency.upper() in WHOLE_UNIT_CURRENCIES else 0.01


def to_unit(amounts: np.ndarray, unit: float) -> np.ndarray:
    """Amounts rounded (half to even) to the platform's unit, without float noise."""
    digits = 0 if unit >= 1 else 2
    return np.round(np.asarray(amounts, dtype=float), digits) + 0.0


def guardrail_of(limiter: str) -> str:
    """The guardrail or override named in a segment's limiter ('capped by [guardrails] …'), or ''."""
    if not any(mark in limiter for mark in GUARD_MARKS):
        return ""
    text = limiter.removeprefix("capped by ").removeprefix("held up by ")
    return text.split(" (it would earn more elsewhere)")[0]


@dataclass(frozen=True)
class Changes:
    """The plan's changes: `table` has CHANGE_COLUMNS, then `campaign_id`, `segment_id`, `creative_id`
    (text, '' when the export had none) and `applies` (False for a change a guardrail stopped).
    Budget amounts are numbers in the account's currency, rounded to the platform's unit; statuses
    are 'active' or 'paused'."""

    table: pd.DataFrame
    date: str
    currency: str
    campaign_budgets: pd.DataFrame  # campaign, campaign_id, before, after (sums of its segments' budgets), moved (bool)
    segments: pd.DataFrame  # every segment: campaign, segment, limited_by, before, after (the platform's unit)

    @property
    def to_apply(self) -> pd.DataFrame:
        """The rows the bulk files carry: the changes no guardrail stopped."""
        return self.table[self.table["applies"]].reset_index(drop=True)

    def for_file(self) -> pd.DataFrame:
        """changes.csv: CHANGE_COLUMNS, amounts written with the unit's decimals."""
        digits = 0 if currency_unit(self.currency) >= 1 else 2
        table = self.table[CHANGE_COLUMNS].copy()
        for column in ("before", "after"):
            table[column] = [f"{v:.{digits}f}" if isinstance(v, float) else v for v in table[column]]
        return table


def cell_ids(log: pd.DataFrame | None) -> pd.DataFrame:
    """Each cell's ids from an export (the latest non-empty value of each id column), '' where it had none."""
    cells = ["campaign", "segment", "creative"]
    if log is None or not any(c in log.columns for c in ID_COLUMNS):
        return pd.DataFrame(columns=[*cells, *ID_COLUMNS])
    frame = log[[*cells, *(c for c in ID_COLUMNS if c in log.columns)]].copy()
    for column in ID_COLUMNS:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None) if column in frame else None
    last = frame.groupby(cells, sort=False)[list(ID_COLUMNS)].last()  # last() skips missing values
    return last.fillna("").astype(str).reset_index()


def _budget_change(moved: bool, delta: float, pct: float, unit: float) -> str:
    """'up 102.37 (+30.0 %)', 'down 99.49 (-30.0 %)', 'up 50.00 (new)' or 'stopped' (words first: a cell
    starting with a sign would be neutralised as a formula in the CSV)."""
    if not moved:
        return "stopped"
    amount = f"{'up' if delta > 0 else 'down'} {abs(delta):,.{0 if unit >= 1 else 2}f}"
    return f"{amount} ({pct:+.1f} %)" if np.isfinite(pct) else f"{amount} (new)"


def segment_budgets(result: PlanResult, unit: float, frozen: np.ndarray) -> pd.DataFrame:
    """Every segment's campaign, segment, budget before and after (in the platform's unit; a frozen one keeps its own) and limiter."""
    segments = pd.DataFrame(result.summary["segments"])
    before = to_unit(segments["before"].to_numpy(), unit)
    after = to_unit(np.where(frozen, segments["before"].to_numpy(), result.budgets_in_cents), unit)
    return segments[["campaign", "segment", "limited_by"]].assign(before=before, after=after)


def _budget_rows(segments: pd.DataFrame, unit: float) -> pd.DataFrame:
    """One row per segment whose budget changes, or whose change a guardrail stopped."""
    before, after = segments["before"].to_numpy(), segments["after"].to_numpy()
    guard = np.array([guardrail_of(str(text)) for text in segments["limited_by"]], dtype=object)
    moved = np.abs(after - before) >= unit / 2
    keep = moved | (guard != "")
    delta = after - before
    pct = np.where(before > 0, 100 * delta / np.where(before > 0, before, 1.0), np.nan)
    change = [_budget_change(m, d, p, unit) for m, d, p in zip(moved, delta, pct)]
    return pd.DataFrame({
        "level": "segment", "campaign": segments["campaign"], "segment": segments["segment"], "creative": "",
        "field": "budget", "before": before, "after": after, "change": change,
        "reason": segments["limited_by"].astype(str), "guardrail": guard, "applies": moved,
    })[keep].astype({"before": object, "after": object})


def _status_rows(result: PlanResult, disabled_before: set[Cell]) -> pd.DataFrame:
    """One row per creative whose status changes (pause / resume), or whose pause a guardrail stopped."""
    plan, h, d = result.plan, result.estimates.history, result.decision_detail
    earlier = np.array([cell in disabled_before for cell in zip(h.campaign, h.segment, h.creative)], dtype=bool)
    before = np.where(h.paused | earlier, PAUSED, ACTIVE)
    after = np.where(plan["status"].to_numpy() == CellStatus.ACTIVE.value, ACTIVE, PAUSED)
    guard = np.asarray(d.guarded if d.guarded is not None else np.full(h.n_cells, ""), dtype=object)
    moved = before != after
    keep = moved | (guard != "")
    change = np.where(moved, np.where(after == PAUSED, "pause", "resume"), "stopped")
    return pd.DataFrame({
        "level": "creative", "campaign": h.campaign, "segment": h.segment, "creative": h.creative, "field": "status",
        "before": before, "after": after, "change": change, "reason": plan["reason"].to_numpy(), "guardrail": guard,
        "applies": moved,
    })[keep].astype({"before": object, "after": object})


def plan_changes(
    result: PlanResult,
    *,
    disabled_before: set[Cell] | frozenset[Cell] = frozenset(),
    log: pd.DataFrame | None = None,
    frozen_segments: np.ndarray | None = None,
) -> Changes:
    """The changes `result` makes to the account as it runs today.

    disabled_before: cells the ledger's last plan disabled (paused in the account until resumed);
    log: the log or export the plan read, for its ids; frozen_segments: (segments,) bool, segments
    the [guardrails] freeze list holds (their budget stays as before, to the cent)."""
    currency = result.summary["currency"]
    unit = currency_unit(currency)
    n_segments = result.estimates.history.n_segments
    frozen = np.zeros(n_segments, dtype=bool) if frozen_segments is None else np.asarray(frozen_segments, dtype=bool)
    segments = segment_budgets(result, unit, frozen)
    table = pd.concat([_budget_rows(segments, unit), _status_rows(result, set(disabled_before))], ignore_index=True)
    ids = cell_ids(log)
    segment_ids = ids.drop_duplicates(["campaign", "segment"])[["campaign", "segment", "campaign_id", "segment_id"]]
    campaign_ids = ids.drop_duplicates("campaign")[["campaign", "campaign_id"]]
    table = table.merge(ids, on=["campaign", "segment", "creative"], how="left")
    missing = table["segment_id"].isna()
    fill = table[missing].drop(columns=list(ID_COLUMNS)).merge(segment_ids, on=["campaign", "segment"], how="left")
    table.loc[missing, ["campaign_id", "segment_id"]] = fill[["campaign_id", "segment_id"]].to_numpy()
    missing = table["campaign_id"].isna()
    fill = table[missing][["campaign"]].merge(campaign_ids, on="campaign", how="left")
    table.loc[missing, "campaign_id"] = fill["campaign_id"].to_numpy()
    table[list(ID_COLUMNS)] = table[list(ID_COLUMNS)].fillna("").astype(str)
    table["applies"] = table["applies"].astype(bool)
    campaigns = segments.groupby("campaign", sort=False)[["before", "after"]].sum().reset_index()
    campaigns[["before", "after"]] = to_unit(campaigns[["before", "after"]].to_numpy(), unit)
    campaigns = campaigns.merge(campaign_ids, on="campaign", how="left").fillna({"campaign_id": ""})
    campaigns["moved"] = np.abs(campaigns["after"] - campaigns["before"]) >= unit / 2
    return Changes(table[[*CHANGE_COLUMNS, *ID_COLUMNS, "applies"]], result.summary["date"], currency, campaigns, segments)
