"""A small scenario (3 segments, 7 creatives) for fast simulator tests, as the dict a TOML file parses to."""

from __future__ import annotations

import copy
from typing import Any

import pytest

SMALL: dict[str, Any] = {
    "world": {"days": 6, "warmup_days": 4, "seed": 3, "basket_cv": 0.5},
    "policy": {"budget": {"daily_total": 900.0, "max_daily_change": 0.3}, "segments": {"max_spend": 600.0}},
    "segments": [
        {"campaign": "search", "segment": "generic", "saturation_spend": 400.0},
        {"campaign": "search", "segment": "brand", "saturation_spend": 150.0},
        {"campaign": "social", "segment": "broad", "saturation_spend": 600.0},
    ],
    "cells": [
        {"campaign": "search", "segment": "generic", "creative": "a", "conversion_rate": 0.04, "cost_per_visit": 0.5, "basket": 60.0},
        {"campaign": "search", "segment": "generic", "creative": "b", "conversion_rate": 0.02, "cost_per_visit": 0.5, "basket": 60.0},
        {"campaign": "search", "segment": "brand", "creative": "a", "conversion_rate": 0.08, "cost_per_visit": 0.4, "basket": 60.0},
        {"campaign": "social", "segment": "broad", "creative": "video", "conversion_rate": 0.015, "cost_per_visit": 0.3, "basket": 50.0},
        {"campaign": "social", "segment": "broad", "creative": "static", "conversion_rate": 0.006, "cost_per_visit": 0.3, "basket": 50.0},
        {"campaign": "social", "segment": "broad", "creative": "ugc", "conversion_rate": 0.02, "cost_per_visit": 0.3, "basket": 50.0},
        {"campaign": "search", "segment": "generic", "creative": "c", "conversion_rate": 0.035, "cost_per_visit": 0.45, "basket": 60.0},
    ],
    "events": [
        {"kind": "launch", "creative": "ugc", "day": 6},
        {"kind": "fatigue", "creative": "video", "half_life_visits": 5000.0},
        {"kind": "shock", "segment": "brand", "day": 7, "factor": 0.5},
        {"kind": "weekly", "amplitude": 0.1},
    ],
}


@pytest.fixture
def small() -> dict[str, Any]:
    """A fresh deep copy, so a test can break it."""
    return copy.deepcopy(SMALL)
