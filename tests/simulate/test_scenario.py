"""The scenario file: every validation rule as a table row (bad input → the message a user reads),
the shipped scenarios load, and scenarios/demo.toml is the demo account's truth."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from budgetopt.errors import InputError
from budgetopt.simulate.demo_account import demo_world
from budgetopt.simulate.scenario import load_scenario, scenario_from_dict

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _set(data, path, value):
    *head, last = path
    for key in head:
        data = data.setdefault(key, {}) if isinstance(data, dict) else data[key]
    if value is _DELETE:
        del data[last]
    else:
        data[last] = value


_DELETE = object()

# (what is changed, new value, message pattern)
BAD = [
    (("world", "dayz"), 3, r"\[world\] dayz: unknown key \(did you mean 'days'\?\)"),
    (("wolrd",), {}, r"\[wolrd\]: unknown key \(did you mean 'world'\?\)"),
    (("world", "days"), 0, r"\[world\] days: .*greater than or equal to 1"),
    (("cells", 1, "basket"), _DELETE, r"\[\[cells\]\] #2 basket: required key is missing"),
    (("cells", 0, "conversion_rate"), 1.5, r"\[\[cells\]\] #1 conversion_rate: .*less than or equal to 1"),
    (("cells", 0, "colour"), "red", r"\[\[cells\]\] #1 colour: unknown key"),
    (("segments", 0, "saturation_spend"), -5.0, r"\[\[segments\]\] #1 saturation_spend: .*greater than 0"),
    (("events", 0, "kind"), "holiday", r"\[\[events\]\] #1 kind: unknown event kind 'holiday'; use one of fatigue, launch, shock, weekly"),
    (("events", 0, "kind"), _DELETE, r"\[\[events\]\] #1: every event needs a kind"),
    (("events", 1, "half_life"), 10.0, r"\[\[events\]\] #2 half_life: unknown key \(did you mean 'half_life_visits'\?\)"),
    (("events", 2, "factor"), _DELETE, r"\[\[events\]\] #3 factor: required key is missing"),
    (("events", 3, "amplitude"), 1.5, r"\[\[events\]\] #4 amplitude: .*less than 1"),
    (("events", 1, "creative"), "vidoe", r"\[\[events\]\] #2: the fatigue event matches no cell \(creative 'vidoe'\)"),
    (("policy", "budget", "daily_totl"), 5.0, r"\[policy.budget\] daily_totl: unknown key \(did you mean 'daily_total'\?\)"),
    (("policy", "budget"), _DELETE, r"\[policy.budget\]: required key is missing"),
    (("policy",), _DELETE, r"\[policy\]: required key is missing"),
    (("cells", 6, "segment"), "nowhere", r"\[\[cells\]\] #7: segment search/nowhere is not declared in \[\[segments\]\]"),
    (("cells", 6, "creative"), "a", r"\[\[cells\]\] #7: search/generic/a is already \[\[cells\]\] #1"),
    (("segments", 2), {"campaign": "search", "segment": "brand", "saturation_spend": 1.0}, r"\[\[segments\]\] #3: search/brand is already \[\[segments\]\] #2"),
    (("rules", "target_cpa"), 0.0, r"\[rules\] target_cpa: .*greater than 0"),
    (("policy", "estimate"), {"exposure": "impressions"}, r"\[policy.estimate\] exposure: a simulated world draws visits, not impressions"),
]


@pytest.mark.parametrize(("path", "value", "pattern"), BAD, ids=[".".join(map(str, row[0])) for row in BAD])
def test_a_bad_scenario_names_the_file_and_the_key(small, path, value, pattern):
    _set(small, path, value)
    with pytest.raises(InputError) as caught:
        scenario_from_dict(small, source="bad.toml")
    message = str(caught.value)
    assert message.startswith("bad.toml: ")
    assert re.search(pattern, message), message


def test_a_segment_without_creatives_and_a_second_launch_are_errors(small):
    small["segments"].append({"campaign": "social", "segment": "empty", "saturation_spend": 100.0})
    small["events"].append({"kind": "launch", "creative": "ugc", "segment": "broad", "day": 8})
    with pytest.raises(InputError) as caught:
        scenario_from_dict(small, source="s.toml")
    assert "[[segments]] #4: social/empty has no [[cells]]" in str(caught.value)
    small["segments"].pop()
    with pytest.raises(InputError, match=r"\[\[events\]\] #5: social/broad/ugc is already launched by \[\[events\]\] #1"):
        scenario_from_dict(small, source="s.toml")


def test_every_cell_launched_late_is_an_error(small):
    small["events"].append({"kind": "launch", "day": 2})
    with pytest.raises(InputError, match="at least one creative must exist from the start"):
        scenario_from_dict({**small, "events": [small["events"][-1]]}, source="s.toml")


def test_a_file_that_is_not_toml_or_missing(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text("[world\ndays = 3\n")
    with pytest.raises(InputError, match=r"broken.toml: not valid TOML"):
        load_scenario(bad)
    with pytest.raises(InputError, match=r"nothing.toml: file not found"):
        load_scenario(tmp_path / "nothing.toml")


def test_events_become_arrays_over_cells(small):
    scenario = scenario_from_dict(small)
    events = scenario.world.timeline
    creative = np.array(scenario.world.creative)
    assert events.launch_day.tolist() == [6 if c == "ugc" else 0 for c in creative]
    assert np.allclose(events.fatigue_per_visit, np.where(creative == "video", 1 / 5000.0, 0.0))
    assert events.shock_day.tolist() == [7]
    assert np.allclose(events.shock_factor[0], np.where(np.array(scenario.world.segment) == "brand", 0.5, 1.0))
    assert np.allclose(events.weekly_amplitude, 0.1)


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_scenarios_load(path):
    scenario = load_scenario(path)
    assert scenario.days >= 30 and scenario.world.n_cells >= 10
    assert path.read_text().startswith("#"), "each scenario starts with a comment saying what it tests"


def test_demo_scenario_is_the_demo_accounts_truth():
    scenario = load_scenario(SCENARIOS / "demo.toml")
    world, _, launch = demo_world()
    ours = scenario.world
    assert ours.campaign == world.campaign and ours.segment == world.segment and ours.creative == world.creative
    for name in ("segment_index", "saturation_spend", "conversion_rate", "cost_per_visit", "basket"):
        assert np.array_equal(getattr(ours, name), getattr(world, name)), name
    assert ours.basket_cv == world.basket_cv
    assert np.array_equal(ours.timeline.launch_day, launch)
