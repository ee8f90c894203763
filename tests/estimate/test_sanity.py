"""The log's warnings: names that differ only in case, spaces or punctuation."""

from __future__ import annotations

import numpy as np

from budgetopt.estimate.sanity import name_variant_warnings


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
