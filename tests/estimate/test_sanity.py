"""The log's warnings: names that differ only in case, spaces or punctuation; days without a conversion where many were due."""

from __future__ import annotations

import numpy as np
import pandas as pd

from budgetopt.estimate.sanity import name_variant_warnings, outage_warnings


def log(*names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """(campaign, segment) of one creative in each segment named."""
    campaign, segment = zip(*names)
    return np.array(campaign), np.array(segment)


def test_campaign_names_in_several_spellings_are_said_with_the_largest_group_first():
    warnings = name_variant_warnings(*log(
        ("Men ComfortMax Launch", "adset-1"), ("MEN COMFORTMAX LAUNCH", "adset-1"), ("Men_ComfortMax_Launch", "adset-2"),
        ("Brand", "exact"), ("brand", "exact"), ("Prospecting", "broad"),
    ))
    assert warnings == [
        "campaign names that differ only in case, spaces or punctuation are planned as different campaigns: "
        "'Men ComfortMax Launch', 'MEN COMFORTMAX LAUNCH', 'Men_ComfortMax_Launch'; and 1 more such groups, 5 names in all; "
        "if they are one campaign, give it one name in the export"
    ]


def test_segment_spellings_are_said_within_a_campaign_only():
    warnings = name_variant_warnings(*log(("search", "Exact Brand"), ("search", "exact-brand"), ("social", "exact brand")))
    assert warnings == [
        "segment names that differ only in case, spaces or punctuation are planned as different segments: "
        "'Exact Brand', 'exact-brand' (campaign 'search'); if they are one segment, give it one name in the export"
    ]


def test_distinct_names_say_nothing():
    assert name_variant_warnings(*log(("brand", "exact"), ("brand", "broad"), ("brand-2", "exact"))) == []


def daily_log(conversions: list[float], visits: float = 2000.0) -> pd.DataFrame:
    """One creative's account, a row a day from 2026-03-01."""
    n = len(conversions)
    return pd.DataFrame({
        "date": pd.date_range("2026-03-01", periods=n), "campaign": "c", "segment": "s", "creative": "a",
        "spend": 100.0, "visits": visits, "conversions": conversions,
    })


def test_a_day_without_a_conversion_where_many_were_due_is_said_with_its_date():
    days = [60.0] * 10
    days[6] = 0.0
    assert outage_warnings(daily_log(days)) == [
        "no conversion at all on 2026-03-07, where the account's rate would have brought about 54: a tracking outage, or conversions "
        "not reported yet? such a day counts as a failure for every creative that ran; drop it from the export if its conversions "
        "were lost, or set [estimate] conversion_lag if they come later"
    ]
    days[8] = 0.0
    assert outage_warnings(daily_log(days))[0].startswith("no conversion at all on 2 days (2026-03-07, 2026-03-09), where each day")


def test_quiet_days_of_a_small_account_are_chance_not_an_outage():
    """Two conversions a day on average: a day without any happens once a week by luck (e^−2)."""
    assert outage_warnings(daily_log([2.0, 0.0, 3.0, 1.0, 0.0, 2.0, 4.0], visits=100.0)) == []
    assert outage_warnings(daily_log([0.0] * 5)) == []  # nothing converted yet: said elsewhere


def test_a_campaign_without_a_conversion_for_a_day_is_said_by_name_and_the_accounts_day_once():
    busy, quiet = daily_log([60.0] * 8).assign(campaign="search"), daily_log([60.0] * 8).assign(campaign="social")
    quiet.loc[3, "conversions"] = 0.0
    assert outage_warnings(pd.concat([busy, quiet])) == [
        "no conversion at all on 2026-03-04 in campaign 'social', where its campaign's rate would have brought about 52: a tracking "
        "outage, or conversions not reported yet? such a day counts as a failure for every creative that ran; drop it from the "
        "export if its conversions were lost, or set [estimate] conversion_lag if they come later"
    ]
    busy.loc[3, "conversions"] = 0.0  # the whole account that day: said once, for the account
    (warning,) = outage_warnings(pd.concat([busy, quiet]))
    assert warning.startswith("no conversion at all on 2026-03-04, where the account's rate would have brought about 105")
