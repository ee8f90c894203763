"""Checks that tell a person when a log or a plan should not be trusted as if normal.

A plan is only as good as its log: a stray row dated years ahead, an export where most ads have no
row on the last day, conversions on rows without spend, or a plan that expects far more than the
account ever earned are said in words (`summary.json`'s `warnings`, printed by the CLI), with what
to check. The plan is still made; the warnings say what it rests on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from budgetopt.estimate.shifts import Shifts

#: a plan expecting more margin per unit spent than this many times the account's best week is flagged
BEST_WEEK_FACTOR = 3.0
#: … and more than this margin per unit spent in any case (an account that never earned much)
MARGIN_PER_UNIT_FLOOR = 0.5
#: a creative planned above this many times the most it ever spent in a day is flagged
SPEND_JUMP_FACTOR = 3.0
#: a last date more than this many days after the one before is a stray row, not yesterday
STRAY_GAP_DAYS = 7
#: when more than this share of recently spending cells have no row on the last date, say so
MISSING_SHARE = 0.5
#: a day without a single conversion is said when its visits at the account's rate would bring this many
#: (the chance of none by luck: e^−10 ≈ 5e-5): a tracking outage, not a bad day
OUTAGE_EXPECTED = 10.0


def log_warnings(seen: pd.DataFrame, as_of: pd.Timestamp, today: pd.Timestamp | None = None) -> list[str]:
    """What in the log a plan for `as_of` could be fooled by, in words (`seen`: its rows before `as_of`)."""
    warnings = []
    last = seen["date"].max()
    today = pd.Timestamp.today().normalize() if today is None else today
    if last > today:
        warnings.append(f"the log's last date {last:%Y-%m-%d} is after today ({today:%Y-%m-%d}); check the export's dates")
    dates = np.sort(seen["date"].unique())
    if len(dates) > 1 and (gap := int((dates[-1] - dates[-2]) / np.timedelta64(1, "D"))) > STRAY_GAP_DAYS:
        rows = int((seen["date"] == last).sum())
        warnings.append(
            f"the log's last date {last:%Y-%m-%d} ({rows} row{'s' if rows > 1 else ''}) comes {gap} days after the one before "
            f"({pd.Timestamp(dates[-2]):%Y-%m-%d}); a stray row? the plan is for {as_of:%Y-%m-%d}"
        )
    cells = ["campaign", "segment", "creative"]
    recent = seen[(seen["date"] >= last - pd.Timedelta(days=STRAY_GAP_DAYS)) & (seen["spend"] > 0)][cells].drop_duplicates()
    on_last = seen[seen["date"] == last][cells].drop_duplicates()
    missing = len(recent.merge(on_last, how="left", indicator=True).query("_merge == 'left_only'"))
    if len(recent) and missing > MISSING_SHARE * len(recent):
        warnings.append(
            f"{missing} of the {len(recent)} creatives that spent in the last week have no row on the last date {last:%Y-%m-%d}: "
            "each segment's yesterday is its own last day with spend; export one row per creative and day to plan from yesterday"
        )
    if seen["conversions"].sum() <= 0:
        warnings.append(
            "no conversion in the log yet: nothing says what a conversion is worth or how often one comes, so the plan "
            "keeps each segment at least at yesterday's budget instead of cutting (its expected margin is the prior's guess); "
            "plan on value once conversions arrive, or set [estimate] value_per_conversion"
        )
    warnings += outage_warnings(seen)
    free = (seen["spend"] <= 0) & (seen["conversions"] > 0)
    if free.any():
        warnings.append(
            f"{int(free.sum())} rows have conversions but no spend ({int(seen.loc[free, 'conversions'].sum()):,} conversions): they count as "
            "evidence about conversion rates, never as traffic bought for nothing; creatives that never spent get at most a test budget"
        )
    return warnings


def outage_warnings(seen: pd.DataFrame) -> list[str]:
    """Days with no conversion at all in the whole account, or in one campaign, where their visits at the account's
    (the campaign's) rate would have brought OUTAGE_EXPECTED or more: a tracking outage reads as a day of failures
    for every creative that ran."""
    day_code, days = pd.factorize(seen["date"], sort=True)
    campaign_code, campaigns = pd.factorize(seen["campaign"], sort=True)
    shape = (len(campaigns), len(days))
    key = campaign_code * shape[1] + day_code  # summed by campaign-day with numpy: a groupby on names costs 4×
    visits, conversions = (
        np.bincount(key, weights=seen[c].to_numpy(float), minlength=shape[0] * shape[1]).reshape(shape) for c in ("visits", "conversions")
    )
    account = _expected_where_quiet(visits.sum(0, keepdims=True), conversions.sum(0, keepdims=True))  # (1, days)
    by_campaign = _expected_where_quiet(visits, conversions) * (account == 0)  # the account's days are said once
    words = []
    for expected, names, where in ((account, None, "the account's rate"), (by_campaign, campaigns, "its campaign's rate")):
        campaign, day = np.nonzero(expected)
        if not len(day):
            continue
        named = [f"{days[d]:%Y-%m-%d}" + ("" if names is None else f" in campaign {str(names[c])!r}") for c, d in zip(campaign[:3], day[:3])]
        listed = ", ".join(named) + (f" and {len(day) - 3} more" if len(day) > 3 else "")
        when = f"on {listed}, where" if len(day) == 1 else f"on {len(day)} days ({listed}), where each day"
        words.append(
            f"no conversion at all {when} {where} would have brought {'about' if len(day) == 1 else 'at least'} "
            f"{expected[campaign, day].min():,.0f}: a tracking outage, or conversions not reported yet? such a day counts as a failure "
            "for every creative that ran; drop it from the export if its conversions were lost, or set [estimate] conversion_lag if they come later"
        )
    return words


def _expected_where_quiet(visits: np.ndarray, conversions: np.ndarray) -> np.ndarray:
    """(rows, days) the conversions each day's visits would bring at its row's rate over all days, where it had none
    and that is OUTAGE_EXPECTED or more; 0 elsewhere (rows: campaigns, or the account)."""
    rate = conversions.sum(1, keepdims=True) / np.maximum(visits.sum(1, keepdims=True), 1e-12)
    expected = visits * rate
    return np.where((conversions <= 0) & (expected >= OUTAGE_EXPECTED), expected, 0.0)


def name_variant_warnings(campaign: np.ndarray, segment: np.ndarray) -> list[str]:
    """Campaigns (or segments of one campaign) whose names differ only in case, spaces or punctuation —
    'Men ComfortMax Launch', 'MEN COMFORTMAX LAUNCH', 'Men_ComfortMax_Launch' — in words: they are planned
    apart, each on its own share of the evidence, which is right only if they really are different.
    campaign, segment: (cells,) each cell's names (a History's: one entry per cell, not per row)."""
    warnings = []
    cells = pd.DataFrame({"campaign": campaign, "segment": segment})
    for level, within in (("campaign", []), ("segment", ["campaign"])):
        names = cells[[*within, level]].drop_duplicates().astype(str)
        folded = names[level].str.casefold().str.replace(r"[\W_]+", "", regex=True)
        keyed = names.assign(folded=folded)
        keyed = keyed[keyed.duplicated([*within, "folded"], keep=False)]  # only names that clash: no list per name
        if keyed.empty:  # the usual case (10,000 cells: 20 → 7 ms)
            continue
        variants = keyed[level].groupby([keyed[k] for k in [*within, "folded"]]).agg(list)
        variants = variants[variants.map(len) > 1].sort_values(key=lambda groups: -groups.map(len), kind="stable")
        if len(variants):
            largest = variants.iloc[0]
            where = f" (campaign {variants.index[0][0]!r})" if within else ""
            more = f"; and {len(variants) - 1} more such groups, {int(variants.map(len).sum())} names in all" if len(variants) > 1 else ""
            warnings.append(
                f"{level} names that differ only in case, spaces or punctuation are planned as different {level}s: "
                f"{', '.join(repr(name) for name in largest[:4])}{' …' if len(largest) > 4 else ''}{where}{more}; "
                f"if they are one {level}, give it one name in the export"
            )
    return warnings


def shift_warnings(campaign: np.ndarray, campaign_index: np.ndarray, shifts: Shifts | None) -> list[str]:
    """One line per step of a campaign's or the account's conversion rate the History found (estimate.shifts): it is
    modelled, not an error, but a person should know, because a tracking or attribution change makes the
    same step. campaign, campaign_index: (cells,) a History's names and indices; shifts: its `Shifts` (None: off)."""
    if shifts is None:
        return []
    name = {int(i): f"campaign {str(n)!r}" for i, n in zip(campaign_index, campaign)} | {-1: "the whole account"}
    alike = {-1: "its campaigns and creatives alike"}
    return [
        f"{name[int(c)]} converts ×{r:.2f} ({r - 1:+.0%}) since {pd.Timestamp(d):%Y-%m-%d}, "
        f"{alike.get(int(c), 'its segments and creatives alike')}: its days before count at the new level; if a tracking or "
        "attribution change did this, check the export ([estimate] shifts = false reads the days as logged)"
        for c, d, r in zip(shifts.campaign, shifts.since, shifts.ratio)
    ]


def best_week_margin_per_unit(log: pd.DataFrame, margin_rate: float) -> float:
    """The account's best 7-day margin per unit spent ((revenue × margin_rate − spend) / spend), weeks counted back
    from the last date; NaN without spend."""
    dates = log["date"].to_numpy()
    weeks = ((dates.max() - dates) // np.timedelta64(7, "D")).astype(np.int64)
    spend, revenue = (np.bincount(weeks, weights=log[c].to_numpy(float)) for c in ("spend", "revenue"))
    spent = spend > 0
    if not spent.any():
        return float("nan")
    return float(((revenue[spent] * margin_rate - spend[spent]) / spend[spent]).max())


def plan_warnings(
    log: pd.DataFrame, plan: pd.DataFrame, most_spent: np.ndarray, expected_margin: float, total_spend: float, margin_rate: float, currency: str
) -> list[str]:
    """What in the plan goes far beyond the account's own history, in words; most_spent: (rows of plan,) the most each
    creative spent in a day of the log."""
    warnings = []
    best = best_week_margin_per_unit(log, margin_rate)
    per_unit = expected_margin / total_spend if total_spend > 0 else 0.0
    if np.isfinite(best) and per_unit > max(BEST_WEEK_FACTOR * best, MARGIN_PER_UNIT_FLOOR):
        warnings.append(
            f"the plan expects {per_unit:,.2f} {currency} of margin per {currency} spent, above {BEST_WEEK_FACTOR:g}× the account's "
            f"best week ({best:,.2f}): it leans on creatives whose evidence is thin; check the largest expected margins before using it"
        )
    jump = (most_spent > 0) & (plan["spend"].to_numpy() > SPEND_JUMP_FACTOR * most_spent + 1.0)
    if jump.any():
        worst = int(np.argmax(np.where(jump, plan["spend"].to_numpy() / np.maximum(most_spent, 1e-9), 0.0)))
        row = plan.iloc[worst]
        warnings.append(
            f"{int(jump.sum())} creatives are planned above {SPEND_JUMP_FACTOR:g}× the most they ever spent in a day (largest: "
            f"{row['campaign']}/{row['segment']}/{row['creative']}, {row['spend']:,.2f} {currency} against at most {most_spent[worst]:,.2f}): "
            "the plan extrapolates their response"
        )
    return warnings
